/* gateway/core/ratelimit.c: token buckets, one per sender key. A full bucket
 * carries no information, so buckets that have refilled are dropped when
 * the table reaches its bound: the table holds only senders that are
 * actively sending, and a flood of new keys cannot grow it past the bound. */
#include "ratelimit.h"

typedef struct {
    double tokens;
    gint64 last_us;
} Bucket;

struct GwRateLimiter {
    GHashTable *buckets; /* char* -> Bucket* */
};

GwRateLimiter *
gw_rate_limiter_new(void)
{
    GwRateLimiter *rl = g_new0(GwRateLimiter, 1);
    rl->buckets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        g_free);
    return rl;
}

void
gw_rate_limiter_free(GwRateLimiter *rl)
{
    if (rl == NULL)
        return;
    g_hash_table_unref(rl->buckets);
    g_free(rl);
}

static void
refill(Bucket *b, double rate, guint burst, gint64 now_us)
{
    double dt = (double)(now_us - b->last_us) / G_USEC_PER_SEC;

    if (dt > 0) {
        b->tokens = MIN((double)burst, b->tokens + dt * rate);
        b->last_us = now_us;
    }
}

static void
drop_full(GwRateLimiter *rl, double rate, guint burst, gint64 now_us)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, rl->buckets);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Bucket *b = v;
        refill(b, rate, burst, now_us);
        if (b->tokens >= (double)burst)
            g_hash_table_iter_remove(&it);
    }
}

gboolean
gw_rate_limiter_take(GwRateLimiter *rl, const char *key, double rate,
                     guint burst, guint max_entries, gint64 now_us)
{
    Bucket *b = g_hash_table_lookup(rl->buckets, key);

    if (b == NULL) {
        if (g_hash_table_size(rl->buckets) >= max_entries) {
            drop_full(rl, rate, burst, now_us);
            if (g_hash_table_size(rl->buckets) >= max_entries)
                return FALSE;
        }
        b = g_new(Bucket, 1);
        b->tokens = (double)burst;
        b->last_us = now_us;
        g_hash_table_insert(rl->buckets, g_strdup(key), b);
    }
    refill(b, rate, burst, now_us);
    if (b->tokens < 1.0)
        return FALSE;
    b->tokens -= 1.0;
    return TRUE;
}

guint
gw_rate_limiter_size(const GwRateLimiter *rl)
{
    return g_hash_table_size(rl->buckets);
}
