/* strophe_quiet.c: libstrophe's receive-side debug dump, skipped when
 * nothing would log it.
 *
 * libstrophe 0.12.2 (conn.c, _handle_stream_stanza) turns every stanza it
 * receives back into text for a "RECV: ..." debug line, before it fires
 * the handlers, whether or not a logger wants debug lines. The link drops
 * libstrophe's debug lines unless [log] stanzas is on (xmpp_link.c,
 * strophe_log), so that text is made for nothing: 5-6% of the gateway's
 * CPU per XMPP->SIP message (perf, tests/bench/bench_messages.sh --only a).
 *
 * libstrophe calls xmpp_stanza_to_text() through its PLT, so the
 * definition below, in the executable, is the one it reaches. It hands
 * every call to libstrophe's own, except the calls from that one site
 * while dumps are off: those get XMPP_EMEM, on which libstrophe skips the
 * line (and frees nothing) and goes on to fire the handlers. The site is
 * learned, not written down as an address: it is the call made outside
 * our handlers whose stanza is the very one the link's handler receives
 * next, with no other call in between. A libstrophe that no longer makes
 * that call (later versions check the log level first) is never matched,
 * and every other caller, ours (stanza_xml.c) and libstrophe's (xmpp_send
 * and its error paths), always gets the real text.
 *
 * Single-threaded, as the whole link is (docs/architecture.md). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "strophe_quiet.h"

#include <dlfcn.h>

typedef int (*ToTextFunc)(xmpp_stanza_t *, char **, size_t *);

static struct {
    ToTextFunc real;
    gboolean quiet;        /* libstrophe's debug lines are dropped */
    const void *site;      /* learned: the receive dump's call site */
    const void *candidate; /* the last call made outside our handlers */
    const xmpp_stanza_t *candidate_stanza;
    int in_handler;
    guint64 skipped;
} q;

int
xmpp_stanza_to_text(xmpp_stanza_t *stanza, char **buf, size_t *buflen)
{
    const void *from = __builtin_return_address(0);

    if (q.real == NULL) {
        q.real = (ToTextFunc)dlsym(RTLD_NEXT, "xmpp_stanza_to_text");
        g_assert(q.real != NULL && q.real != xmpp_stanza_to_text);
    }
    if (q.quiet && q.site != NULL && from == q.site) {
        q.skipped++;
        *buf = NULL;
        *buflen = 0;
        return XMPP_EMEM;
    }
    if (q.in_handler == 0) {
        q.candidate = from;
        q.candidate_stanza = stanza;
    } else {
        q.candidate = NULL;
    }
    return q.real(stanza, buf, buflen);
}

void
gw_strophe_quiet_handler_enter(const xmpp_stanza_t *stanza, gboolean quiet)
{
    q.quiet = quiet;
    if (q.in_handler == 0 && q.site == NULL && q.candidate != NULL &&
        q.candidate_stanza == stanza)
        q.site = q.candidate;
    q.candidate = NULL;
    q.in_handler++;
}

void
gw_strophe_quiet_handler_leave(void)
{
    g_assert(q.in_handler > 0);
    q.in_handler--;
    q.candidate = NULL;
}

guint64
gw_strophe_quiet_skipped(void)
{
    return q.skipped;
}
