/* gateway/ops/loop_pace.c: see loop_pace.h. One process, one loop: the
 * state is the loop's, kept here because GPollFunc carries no user data. */
#include "loop_pace.h"

#include <errno.h>
#include <string.h>
#include <time.h>

/* Wakeups within one window that make the loop busy. Two per event (a
 * MESSAGE and the answer to the ping behind it, a stanza and the SIP 200
 * for it) at 1,000 events/s are not busy: their request/answer round
 * trips go unpaced, so the MESSAGE -> 200 latency stays where it was. */
#define BUSY_WAKES 4

static struct {
    gint64 window_us;
    gint64 wakes[BUSY_WAKES]; /* monotonic µs of the polls that last
                               * returned events, newest first; 0: none */
    guint64 naps;
} pace;

static void
note_wake(gint64 now)
{
    memmove(&pace.wakes[1], &pace.wakes[0],
            (BUSY_WAKES - 1) * sizeof pace.wakes[0]);
    pace.wakes[0] = now;
}

/* Busy: the last BUSY_WAKES wakeups fell within one window, and the
 * newest one less than a window ago. */
static gboolean
busy(gint64 now)
{
    gint64 oldest = pace.wakes[BUSY_WAKES - 1];

    return oldest != 0 && pace.wakes[0] - oldest < pace.window_us &&
           now < pace.wakes[0] + pace.window_us;
}

static void
nap_us(gint64 us)
{
    struct timespec ts = {(time_t)(us / G_USEC_PER_SEC),
                          (long)(us % G_USEC_PER_SEC) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* GLib's poll, paced. timeout: ms, -1 for none (GPollFunc's contract). */
static gint
paced_poll(GPollFD *fds, guint nfds, gint timeout)
{
    if (timeout != 0 && pace.wakes[0] != 0) {
        gint64 now = g_get_monotonic_time();
        gint64 until = pace.wakes[0] + pace.window_us;
        if (busy(now)) {
            gint ready = g_poll(fds, nfds, 0);
            if (ready != 0) {
                if (ready > 0)
                    note_wake(now);
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
    if (ready > 0)
        note_wake(g_get_monotonic_time());
    else if (ready == 0 && timeout != 0)
        memset(pace.wakes, 0, sizeof pace.wakes); /* idle: a quiet spell */
    return ready;
}

void
gw_loop_pace_set(GMainContext *context, guint window_us)
{
    if (context == NULL)
        context = g_main_context_default();
    pace.window_us = window_us;
    memset(pace.wakes, 0, sizeof pace.wakes);
    g_main_context_set_poll_func(context, window_us > 0 ? paced_poll : g_poll);
}

guint64
gw_loop_pace_naps(void)
{
    return pace.naps;
}
