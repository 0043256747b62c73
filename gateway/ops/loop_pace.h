/* gateway/ops/loop_pace.h: fewer wakeups under load.
 *
 * At a few thousand events a second, most of the gateway's CPU went into
 * sleeping and waking once per event (perf at 2,000 XMPP->SIP messages/s:
 * 1.8 context switches per message, 20% of the samples in the scheduler's
 * switch, more in waking the peers), not into the events. The pace wraps
 * the loop's poll: when the loop is busy (its last 4 wakeups fell within
 * one `window`, the newest less than a window ago) and nothing is ready
 * now, it naps until that window ends and then polls, so everything that
 * arrived meanwhile is handled in one wakeup. Events ready at once are
 * handled at once; a loop that is not busy blocks as before, so at low
 * rates (1,000 MESSAGEs/s: a MESSAGE and the answer to its confirmation
 * ping, two wakeups a millisecond) a request/answer round trip is not
 * delayed; under load the loop wakes at most about once per window and
 * each event waits at most one window. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Paces the wakeups of `context` (the default one when NULL) to at most
 * one per window_us; 0 restores GLib's own poll. */
void gw_loop_pace_set(GMainContext *context, guint window_us);

/* Naps taken (the loop waited for a window's end instead of waking at the
 * first event), for /metrics. */
guint64 gw_loop_pace_naps(void);

G_END_DECLS
