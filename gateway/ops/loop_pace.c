/* gateway/ops/loop_pace.c: see loop_pace.h. One process, one loop: the
 * state is the loop's, kept here because GPollFunc carries no user data. */
#include "loop_pace.h"

#include <errno.h>
#include <time.h>

static struct {
    gint64 window_us;
    gint64 last_wake; /* monotonic µs: a poll last returned events */
    guint64 naps;
} pace;

static void
nap_us(gint64 us)
{
    struct timespec ts = { (time_t)(us / G_USEC_PER_SEC),
                           (long)(us % G_USEC_PER_SEC) * 1000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* GLib's poll, paced. timeout: ms, -1 for none (GPollFunc's contract). */
static gint
paced_poll(GPollFD *fds, guint nfds, gint timeout)
{
    if (timeout != 0 && pace.last_wake != 0) {
        gint64 now = g_get_monotonic_time();
        gint64 until = pace.last_wake + pace.window_us;
        if (now < until) {
            gint ready = g_poll(fds, nfds, 0);
            if (ready != 0) {
                if (ready > 0)
                    pace.last_wake = now;
                return ready;
            }
            gint64 nap = until - now;
            if (timeout > 0 && nap > (gint64)timeout * 1000)
                nap = (gint64)timeout * 1000;
            nap_us(nap);
            pace.naps++;
            if (timeout > 0) {
                gint64 left = (gint64)timeout * 1000 - nap;
                timeout = left <= 0 ? 0 : (gint)((left + 999) / 1000);
            }
        }
    }
    gint ready = g_poll(fds, nfds, timeout);
    pace.last_wake = ready > 0 ? g_get_monotonic_time() : 0;
    return ready;
}

void
gw_loop_pace_set(GMainContext *context, guint window_us)
{
    if (context == NULL)
        context = g_main_context_default();
    pace.window_us = window_us;
    pace.last_wake = 0;
    g_main_context_set_poll_func(context, window_us > 0 ? paced_poll : g_poll);
}

guint64
gw_loop_pace_naps(void)
{
    return pace.naps;
}
