/* gateway/core/ratelimit.h: token buckets per sender, bounded in number. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct GwRateLimiter GwRateLimiter;

GwRateLimiter *gw_rate_limiter_new(void);
void gw_rate_limiter_free(GwRateLimiter *rl);

/* Takes one token from `key`'s bucket (rate per second, burst size) at
 * time `now_us` (monotonic). FALSE when the bucket is empty, or when a new
 * key would exceed max_entries after dropping idle buckets. */
gboolean gw_rate_limiter_take(GwRateLimiter *rl, const char *key, double rate,
                              guint burst, guint max_entries, gint64 now_us);

guint gw_rate_limiter_size(const GwRateLimiter *rl);

G_END_DECLS
