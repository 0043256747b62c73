/* gateway/dedup.h: what a stateless server keeps of the requests it took,
 * so that a retransmission is answered as the first was and is never
 * delivered twice (RFC 3261 17.2.2 Trying/Completed, timer J).
 *
 * One entry per request: a 64-bit key (the caller hashes the transaction
 * identity), its expiry and a 32-bit value (0 while pending, then the
 * caller's packed answer). 24 bytes each, ring + index, no allocation per
 * entry. Entries expire in the order they were added (one lifetime for
 * all), oldest first; above `max_entries` the oldest goes early. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct GwDedup GwDedup;

#define GW_DEDUP_PENDING 0u

GwDedup *gw_dedup_new(guint lifetime_ms, gsize max_entries);
void gw_dedup_free(GwDedup *d);

/* Drops what expired by now_ms (a monotonic clock in ms). */
void gw_dedup_expire(GwDedup *d, gint64 now_ms);

/* TRUE and *value if the key is kept (expired entries dropped first). */
gboolean gw_dedup_lookup(GwDedup *d, guint64 key, gint64 now_ms,
                         guint32 *value);

/* Keeps a new key (pending) until now_ms + lifetime; at max_entries the
 * oldest goes first. The caller looked it up first: a key added twice is
 * kept twice. */
void gw_dedup_add(GwDedup *d, guint64 key, gint64 now_ms);

/* Sets the value (below 2^31) of a kept key; FALSE if it is not kept. */
gboolean gw_dedup_set(GwDedup *d, guint64 key, guint32 value);

/* Forgets a key now; FALSE if it is not kept. */
gboolean gw_dedup_remove(GwDedup *d, guint64 key);

/* Entries kept, and how many went before their time for room. */
gsize gw_dedup_size(const GwDedup *d);
guint64 gw_dedup_evicted(const GwDedup *d);

/* A keyed 64-bit hash of a few strings (NULLs allowed), for the keys:
 * the seed is random per process, so a sender cannot aim a collision. */
guint64 gw_dedup_hash(const char *const *parts, gsize n);

G_END_DECLS
