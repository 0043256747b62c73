/* gateway/core/dedup.h: what a stateless server keeps of the requests it took,
 * so that a retransmission is answered as the first was and is never
 * delivered twice (RFC 3261 17.2.2 Trying/Completed, timer J).
 *
 * One 8-byte slot per request: 56 bits of a 64-bit key (the caller hashes
 * the transaction identity with gw_dedup_hash()) and an 8-bit answer code
 * (0 while pending, else an entry of a small per-generation table of the
 * caller's answer values). Requests are kept in generations of
 * lifetime/8 each, a hash table per generation sized from the one
 * before: ~11 bytes per request at the steady load factor, no allocation
 * per entry, no ring to copy. A request is kept at least `lifetime` ms
 * and at most lifetime * 9/8 (its generation goes as a whole). Above
 * `max_entries` the oldest generation goes early (each holds at most an
 * eighth of max_entries). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct GwDedup GwDedup;

#define GW_DEDUP_PENDING 0u

GwDedup *gw_dedup_new(guint lifetime_ms, gsize max_entries);
void gw_dedup_free(GwDedup *d);

/* Drops what expired by now_ms (a monotonic clock in ms). */
void gw_dedup_expire(GwDedup *d, gint64 now_ms);

/* TRUE and *value if the key is kept (expired entries dropped first);
 * a key kept twice answers with the newer. */
gboolean gw_dedup_lookup(GwDedup *d, guint64 key, gint64 now_ms,
                         guint32 *value);

/* Keeps a new key (pending) from now_ms for the lifetime; at max_entries
 * the oldest go first. The caller looked it up first: a key added twice
 * is kept twice. */
void gw_dedup_add(GwDedup *d, guint64 key, gint64 now_ms);

/* Sets the value (below 2^31) of the newest copy of a kept key; FALSE if
 * it is not kept, or if its generation already holds 255 other distinct
 * values (then the key is forgotten: a retransmission is taken as new). */
gboolean gw_dedup_set(GwDedup *d, guint64 key, guint32 value);

/* Forgets a key now (every copy); FALSE if it is not kept. */
gboolean gw_dedup_remove(GwDedup *d, guint64 key);

/* Entries kept, how many went before their time for room, and the bytes
 * the tables hold. */
gsize gw_dedup_size(const GwDedup *d);
guint64 gw_dedup_evicted(const GwDedup *d);
gsize gw_dedup_bytes(const GwDedup *d);

/* A keyed 64-bit hash of a few strings (NULLs allowed), for the keys:
 * the seed is random per process, so a sender cannot aim a collision. */
guint64 gw_dedup_hash(const char *const *parts, gsize n);

G_END_DECLS
