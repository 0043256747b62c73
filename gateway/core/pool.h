/* gateway/core/pool.h: a slab pool for the small records that live as long as
 * a subscription (the lean notifier's dialogs, the presence bridge's
 * watches and their strings).
 *
 * Why: they are a few hundred bytes each, made while Sofia allocates and
 * frees ~20 KiB of transaction memory per subscription (Timer J keeps a
 * UDP transaction 32 s). From malloc's heap each long-lived record pinned
 * its own page once the transactions were gone: 10,000 watchers held
 * 8.4 MiB of live heap in 128 MiB of RSS, even after malloc_trim. Here
 * they sit densely in 64 KiB chunks of their own, mapped apart from the
 * heap.
 *
 * Slots come in 32-byte size classes up to 1 KiB (larger sizes fall back
 * to g_malloc). Freed slots are reused by their class; chunks are never
 * unmapped. Main thread only: no locking. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Zeroed memory of `size` bytes; never NULL (aborts like g_malloc). */
gpointer gw_pool_alloc0(gsize size);
/* Frees what gw_pool_alloc0(size) gave, with the same size. NULL is ok. */
void gw_pool_free(gpointer p, gsize size);
/* A copy of s (NULL for NULL), freed with gw_pool_free_str(). */
char *gw_pool_strdup(const char *s);
void gw_pool_free_str(char *s);

typedef struct {
    gsize mapped;  /* bytes mapped for chunks */
    gsize in_use;  /* bytes of slots handed out */
} GwPoolStats;
void gw_pool_get_stats(GwPoolStats *stats);

G_END_DECLS
