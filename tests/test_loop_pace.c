/* tests/test_loop_pace.c: gateway/ops/loop_pace.h on a real GMainContext
 * and a pipe. Timing bounds are generous (a shared 2-core machine): they
 * tell a paced loop from an unpaced one by a factor, not to the µs. */
#include <glib.h>
#include <glib-unix.h>
#include <unistd.h>

#include "loop_pace.h"

typedef struct {
    int fds[2];
    guint wakeups; /* dispatches of the reader */
    guint bytes;
} Pipe;

static gboolean
on_readable(gint fd, GIOCondition cond, gpointer data)
{
    Pipe *p = data;
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);

    (void)cond;
    p->wakeups++;
    if (n > 0)
        p->bytes += (guint)n;
    return G_SOURCE_CONTINUE;
}

static GSource *
watch(GMainContext *ctx, Pipe *p)
{
    g_assert_cmpint(pipe(p->fds), ==, 0);
    GSource *s = g_unix_fd_source_new(p->fds[0], G_IO_IN);
    g_source_set_callback(s, (GSourceFunc)(void (*)(void))on_readable, p, NULL);
    g_source_attach(s, ctx);
    return s;
}

static void
unwatch(GSource *s, Pipe *p)
{
    g_source_destroy(s);
    g_source_unref(s);
    close(p->fds[0]);
    close(p->fds[1]);
}

/* A writer thread: one byte every `gap_us`, `count` times. */
typedef struct {
    int fd;
    guint count;
    gulong gap_us;
} Writer;

static gpointer
write_bytes(gpointer data)
{
    Writer *w = data;
    for (guint i = 0; i < w->count; i++) {
        g_assert_cmpint(write(w->fd, "x", 1), ==, 1);
        g_usleep(w->gap_us);
    }
    return NULL;
}

/* 400 events 100 µs apart (~40 ms): unpaced the reader runs about once
 * per event; paced at 10 ms, at most about once per 10 ms window. */
static guint
wakeups_for(guint window_us)
{
    GMainContext *ctx = g_main_context_new();
    Pipe p = {{-1, -1}, 0, 0};
    GSource *s = watch(ctx, &p);
    Writer w = {0, 400, 100};
    GThread *t;
    gint64 end;

    gw_loop_pace_set(ctx, window_us);
    w.fd = p.fds[1];
    t = g_thread_new("writer", write_bytes, &w);
    end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (p.bytes < 400 && g_get_monotonic_time() < end)
        g_main_context_iteration(ctx, TRUE);
    g_thread_join(t);
    g_assert_cmpuint(p.bytes, ==, 400); /* nothing lost, all handled */
    gw_loop_pace_set(ctx, 0);
    unwatch(s, &p);
    g_main_context_unref(ctx);
    return p.wakeups;
}

static void
test_fewer_wakeups_under_load(void)
{
    guint unpaced = wakeups_for(0);
    guint paced = wakeups_for(10000);

    g_test_message("wakeups for 400 events: unpaced %u, paced (10 ms) %u",
                   unpaced, paced);
    /* ~40 ms of events: a handful of windows, against about one
     * wakeup per event unpaced */
    g_assert_cmpuint(paced, <=, 30);
    g_assert_cmpuint(paced * 3, <, unpaced);
}

/* An idle loop is not paced: an event after a quiet spell longer than
 * the window is handled at once, not a window later. (Any wakeup within
 * the window, a timer's too, makes the next event wait for its end.) */
static void
test_idle_loop_wakes_at_once(void)
{
    GMainContext *ctx = g_main_context_new();
    Pipe p = {{-1, -1}, 0, 0};
    GSource *s = watch(ctx, &p);
    gint64 sent, took;

    gw_loop_pace_set(ctx, 500000); /* a half-second window */
    /* one wakeup first, then a quiet spell longer than the window */
    g_assert_cmpint(write(p.fds[1], "x", 1), ==, 1);
    g_main_context_iteration(ctx, TRUE);
    g_usleep(600000);
    sent = g_get_monotonic_time();
    g_assert_cmpint(write(p.fds[1], "x", 1), ==, 1);
    while (p.bytes < 2)
        g_main_context_iteration(ctx, TRUE);
    took = g_get_monotonic_time() - sent;
    g_test_message("handled after %" G_GINT64_FORMAT " us", took);
    g_assert_cmpint(took, <, 250000);
    gw_loop_pace_set(ctx, 0);
    unwatch(s, &p);
    g_main_context_unref(ctx);
}

/* A busy loop: an event already waiting when the loop comes back to poll
 * is handled at once (no nap), one never waits longer than the window,
 * and timers still fire through the naps. */
static gboolean
on_timer(gpointer data)
{
    (*(guint *)data)++;
    return G_SOURCE_REMOVE;
}

static void
test_busy_loop_waits_at_most_a_window(void)
{
    GMainContext *ctx = g_main_context_new();
    Pipe p = {{-1, -1}, 0, 0};
    GSource *s = watch(ctx, &p);
    GSource *timer = g_timeout_source_new(20);
    guint fired = 0;
    gint64 first, took;

    g_source_set_callback(timer, on_timer, &fired, NULL);
    g_source_attach(timer, ctx);
    g_source_unref(timer);
    gw_loop_pace_set(ctx, 50000);
    /* busy: four wakeups within the window */
    for (guint i = 0; i < 4; i++) {
        g_assert_cmpint(write(p.fds[1], "x", 1), ==, 1);
        g_main_context_iteration(ctx, TRUE);
    }
    first = g_get_monotonic_time();
    g_assert_cmpint(write(p.fds[1], "y", 1), ==, 1);
    while (p.bytes < 5)
        g_main_context_iteration(ctx, TRUE);
    took = g_get_monotonic_time() - first;
    g_test_message("fifth event handled after %" G_GINT64_FORMAT " us", took);
    g_assert_cmpint(took, <, 50000 + 200000);
    while (fired == 0)
        g_main_context_iteration(ctx, TRUE);
    g_assert_cmpuint(gw_loop_pace_naps(), >, 0);
    gw_loop_pace_set(ctx, 0);
    unwatch(s, &p);
    g_main_context_unref(ctx);
}

/* A request and its answer at a low rate (two wakeups, then a third a
 * moment later) are not a busy loop: the answer is handled at once, not
 * at the window's end. (1,000 SIP MESSAGEs/s: the MESSAGE, then the
 * answer to the confirmation ping behind its stanza.) */
static void
test_round_trip_not_paced(void)
{
    GMainContext *ctx = g_main_context_new();
    Pipe p = {{-1, -1}, 0, 0};
    GSource *s = watch(ctx, &p);
    guint64 naps = gw_loop_pace_naps();
    gint64 sent, took;

    gw_loop_pace_set(ctx, 200000); /* a 200 ms window */
    for (guint i = 0; i < 2; i++) {
        g_assert_cmpint(write(p.fds[1], "x", 1), ==, 1);
        g_main_context_iteration(ctx, TRUE);
    }
    g_usleep(1000);
    sent = g_get_monotonic_time();
    g_assert_cmpint(write(p.fds[1], "y", 1), ==, 1);
    while (p.bytes < 3)
        g_main_context_iteration(ctx, TRUE);
    took = g_get_monotonic_time() - sent;
    g_test_message("third event handled after %" G_GINT64_FORMAT " us", took);
    g_assert_cmpint(took, <, 100000); /* paced: ~200 ms */
    g_assert_cmpuint(gw_loop_pace_naps(), ==, naps);
    gw_loop_pace_set(ctx, 0);
    unwatch(s, &p);
    g_main_context_unref(ctx);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/loop_pace/fewer_wakeups_under_load",
                    test_fewer_wakeups_under_load);
    g_test_add_func("/loop_pace/idle_loop_wakes_at_once",
                    test_idle_loop_wakes_at_once);
    g_test_add_func("/loop_pace/busy_loop_waits_at_most_a_window",
                    test_busy_loop_waits_at_most_a_window);
    g_test_add_func("/loop_pace/round_trip_not_paced",
                    test_round_trip_not_paced);
    return g_test_run();
}
