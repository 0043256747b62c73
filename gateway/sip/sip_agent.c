/* gateway/sip/sip_agent.c: the gateway's one SIP agent: Sofia's nta on
 * the GLib loop, listening on [sip] listen (and listen_tls), every method
 * on that one address. See sip_private.h for how the files divide the
 * work and the path of a request.
 *
 * One su_root joined to the default GMainContext through su_glib, with
 * Sofia's own thread disabled (su_root_threading(root, 0)): nta, libstrophe
 * and GLib all run on the main thread. nta runs in UA mode (NTATAG_UA):
 * it retransmits our 2xx to an INVITE until the ACK and matches the ACK
 * and CANCEL to it, and it sends the ACK to a non-2xx answer of ours.
 *
 * T4 is 1 ms (SIP_T4_MS): nta would keep every request we sent over UDP
 * for timer K = T4 (5 s) after its final answer, ~10 KiB each, only to
 * absorb retransmitted answers (12,000 MESSAGEs/s held ~600 MiB); those
 * reach on_agent_message() instead and are dropped there, which is all K
 * does with them. T4 also times nta's wait for a TCP connection before it
 * falls back to UDP (N3): sip_tcreate() picks TCP itself for large
 * requests, so that wait does not arise. Timer I (the wait for more ACKs
 * to a non-2xx answer to an INVITE, T4 too) drops to 1 ms as well: a
 * retransmitted ACK reaches on_agent_message() and is dropped.
 *
 * Responses to untrusted sources name nothing ([sip] user_agent goes only
 * to sources the router let in, gw_sip_request_set_trusted()).
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#ifdef GW_HAVE_MALLINFO2
#include <malloc.h>
#endif
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "gw_error.h"
#include "map.h"
#include "num_text.h"
#include "sip_auth.h"

#define SIP_T4_MS 1
/* A SUBSCRIBE or INVITE is a few KiB at most; a MESSAGE body may be up to
 * [limits] max_message_bytes, which SIGHUP may raise up to its maximum
 * (256 KiB): room for that plus the headers, so that the bridge, which
 * reads the current limit, answers 413 itself. It is a bound, not an
 * allocation. */
#define HEADER_ROOM 16384
#define MAX_REQUEST (262144 + HEADER_ROOM)

/* ---- Sofia's logs into GLib's --------------------------------------- */

static void
sofia_logger(void *stream, char const *fmt, va_list ap)
{
    GwSipUa *self = stream;
    char *nl;

    g_string_append_vprintf(self->log_tail, fmt, ap);
    while ((nl = strchr(self->log_tail->str, '\n')) != NULL) {
        *nl = '\0';
        if (self->log_tail->str[0] != '\0')
            g_log_structured("sofia", G_LOG_LEVEL_DEBUG, "MESSAGE", "%s",
                             self->log_tail->str);
        g_string_erase(self->log_tail, 0, nl - self->log_tail->str + 1);
    }
}

/* ---- small helpers ---------------------------------------------------- */

char *
sip_name_addr(const char *uri)
{
    return g_strconcat("<", uri, ">", NULL);
}

/* Call-IDs, tags, branch-free tokens and first CSeqs: RFC 3261 8.1.1.4
 * and 19.3 recommend cryptographically random identifiers, which GLib's
 * g_random (a Mersenne twister behind a global mutex, two locks and a
 * printf per token) is not. The kernel's getrandom() in 4 KiB batches: one
 * system call per 512 tokens. */
static struct {
    guint8 buf[4096];
    gsize used;
} rnd = { .used = sizeof rnd.buf };

guint64
sip_random64(void)
{
    guint64 v;

    if (rnd.used + sizeof v > sizeof rnd.buf) {
        gsize got = 0;
        while (got < sizeof rnd.buf) {
            ssize_t n = getrandom(rnd.buf + got, sizeof rnd.buf - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                g_error("getrandom failed: %s", g_strerror(errno));
            got += (gsize)n;
        }
        rnd.used = 0;
    }
    memcpy(&v, rnd.buf + rnd.used, sizeof v);
    memset(rnd.buf + rnd.used, 0, sizeof v); /* used once */
    rnd.used += sizeof v;
    return v;
}

void
sip_random_token(char out[17])
{
    gw_num_hex16(sip_random64(), out);
}

char *
sip_url_text(const url_t *url)
{
    /* url_e() into the stack, not url_as_string() on a home of its own:
     * that home's setup and teardown cost as much as the text (four URLs
     * a received MESSAGE: ~6% of its instructions) */
    char buf[256], *out;
    issize_t n;

    if (url == NULL)
        return NULL;
    n = url_e(buf, sizeof buf, url);
    if (n < 0)
        return NULL;
    if ((gsize)n < sizeof buf)
        return g_strndup(buf, (gsize)n);
    out = g_malloc((gsize)n + 1);
    url_e(out, n + 1, url);
    out[n] = '\0';
    return out;
}

/* ---- the shared timer queue ------------------------------------------- */

static gint
cmp_timer(gconstpointer a, gconstpointer b, gpointer data)
{
    const SipTimer *x = a, *y = b;

    (void)data;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x < y ? -1 : x > y;
}

static gboolean on_timers_due(gpointer data);

static void
schedule_timers(GwSipUa *ua)
{
    SipTimer *first;
    gint64 wait_ms;

    g_clear_handle_id(&ua->timer_id, g_source_remove);
    if (g_sequence_is_empty(ua->timers))
        return;
    first = g_sequence_get(g_sequence_get_begin_iter(ua->timers));
    wait_ms = (first->at - g_get_monotonic_time()) / 1000 + 1;
    ua->timer_id = g_timeout_add((guint)CLAMP(wait_ms, 0, G_MAXINT32),
                                 on_timers_due, ua);
}

void
sip_timer_disarm(SipTimer *t)
{
    if (t->it != NULL) {
        g_sequence_remove(t->it); /* a stale GLib timeout copes */
        t->it = NULL;
    }
}

void
sip_timer_arm(GwSipUa *ua, SipTimer *t, guint ms, SipTimerFunc fire)
{
    sip_timer_disarm(t);
    t->at = g_get_monotonic_time() + (gint64)ms * 1000;
    t->fire = fire;
    t->it = g_sequence_insert_sorted(ua->timers, t, cmp_timer, NULL);
    if (t->it == g_sequence_get_begin_iter(ua->timers))
        schedule_timers(ua);
}

static gboolean
on_timers_due(gpointer data)
{
    GwSipUa *ua = data;
    gint64 now = g_get_monotonic_time();

    ua->timer_id = 0;
    while (!g_sequence_is_empty(ua->timers)) {
        SipTimer *t = g_sequence_get(g_sequence_get_begin_iter(ua->timers));
        if (t->at > now)
            break;
        sip_timer_disarm(t);
        t->fire(t); /* may arm it (or others) again */
    }
    schedule_timers(ua);
    return G_SOURCE_REMOVE;
}

/* ---- requests we send -------------------------------------------------- */

/* Where a request goes over TCP because of its size (RFC 3261 18.1.1):
 * its next hop (the first loose Route, else the Request-URI) with
 * transport=tcp; NULL when it stays as it is (small, or already on a
 * reliable transport). nta would try TCP by itself, but gives up on a
 * connection not up within T4 and sends over UDP, and T4 is ~0 here. */
static const char *
tcp_hop(su_home_t *home, const char *ruri, const char *route)
{
    url_t *u = NULL;

    if (route != NULL) {
        sip_route_t *r = sip_route_make(home, route);
        if (r != NULL && url_has_param(r->r_url, "lr"))
            u = url_hdup(home, r->r_url);
    }
    if (u == NULL)
        u = url_hdup(home, url_make(home, ruri));
    if (u == NULL || u->url_type == url_sips)
        return NULL;
    if (u->url_params != NULL) {
        char proto[16] = "";
        if (url_param(u->url_params, "transport", proto, sizeof proto) > 0 &&
            g_ascii_strcasecmp(proto, "udp") != 0)
            return NULL; /* tcp, tls, sctp: reliable already */
        u->url_params =
            url_strip_param_string(su_strdup(home, u->url_params), "transport");
        if (u->url_params[0] == '\0')
            u->url_params = NULL;
    }
    url_param_add(home, u, "transport=tcp");
    return url_as_string(home, u);
}

nta_outgoing_t *
sip_tcreate(GwSipUa *ua, nta_response_f *callback, gpointer magic,
            const char *hop, gsize estimate, gboolean *over_tcp,
            sip_method_t method, const char *name, const char *ruri,
            const char *route, tag_type_t tag, tag_value_t value, ...)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const GwConfig *cfg = ua->config;
    const char *next = hop;
    nta_outgoing_t *orq;
    ta_list ta;

    /* + the request line, Via, Max-Forwards, Content-Length, CSeq and
     * the header names: ~300 bytes */
    if (estimate > 0 && estimate + 300 > cfg->sip.udp_mtu) {
        const char *tcp = tcp_hop(home, hop != NULL ? hop : ruri,
                                  hop != NULL ? NULL : route);
        if (tcp != NULL)
            next = tcp;
    }
    if (over_tcp != NULL)
        *over_tcp = next != hop;
    ta_start(ta, tag, value);
    orq = nta_outgoing_tcreate(
        ua->leg, callback, (nta_outgoing_magic_t *)magic,
        next ? URL_STRING_MAKE(next) : NULL, method, name,
        URL_STRING_MAKE(ruri),
        TAG_IF(route != NULL, SIPTAG_ROUTE_STR(route)),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_USER_AGENT_STR(cfg->sip.user_agent)),
        TAG_NEXT(ta_args(ta)));
    ta_end(ta);
    su_home_deinit(home);
    if (orq != NULL)
        gw_metrics.sip_sent[sip_metric_method(method)]++;
    return orq;
}

GwSipMethod
sip_metric_method(sip_method_t method)
{
    switch (method) {
    case sip_method_invite: return GW_SIP_INVITE;
    case sip_method_ack: return GW_SIP_ACK;
    case sip_method_bye: return GW_SIP_BYE;
    case sip_method_cancel: return GW_SIP_CANCEL;
    case sip_method_options: return GW_SIP_OPTIONS;
    case sip_method_info: return GW_SIP_INFO;
    case sip_method_message: return GW_SIP_MESSAGE;
    case sip_method_subscribe: return GW_SIP_SUBSCRIBE;
    case sip_method_notify: return GW_SIP_NOTIFY;
    case sip_method_publish: return GW_SIP_PUBLISH;
    case sip_method_register: return GW_SIP_REGISTER;
    default: return GW_SIP_OTHER;
    }
}

gboolean
sip_final_of(nta_outgoing_t *orq, sip_t const *sip, int *status,
             const char **phrase, nta_outgoing_t **done)
{
    gboolean internal = sip == NULL || (sip->sip_flags & SIP_NTA_MADE_IT);

    *status = nta_outgoing_status(orq);
    *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase
                                     : sip_status_phrase(*status);
    if (*phrase == NULL)
        *phrase = "";
    if (*status < 200)
        return FALSE;
    /* a 408 nta made itself is no answer at all: "timeout" */
    gw_metrics.sip_outcome[sip_metric_method(nta_outgoing_method(orq))]
                          [internal && *status == 408 ? GW_SIP_CLASS_N - 1
                                                      : gw_metrics_sip_class(*status)]++;
    *done = orq; /* destroyed when the caller returns (SipDoneOrq) */
    return TRUE;
}

void
gw_sip_ua_set_authorizer(GwSipUa *ua, GwSipAuthorizeFunc func, gpointer data)
{
    g_return_if_fail(ua != NULL);
    ua->authorizer = func;
    ua->authorizer_data = data;
}

void
gw_sip_ua_set_hop(GwSipUa *ua, GwSipHopFunc func, gpointer data)
{
    g_return_if_fail(ua != NULL);
    ua->hop = func;
    ua->hop_data = data;
}

const char *
sip_account_hop(GwSipUa *ua, const char *from)
{
    return ua->hop != NULL && from != NULL ? ua->hop(ua->hop_data, from)
                                           : NULL;
}

const char *
sip_next_hop(GwSipUa *ua, const char *from)
{
    const char *own = sip_account_hop(ua, from);

    return own != NULL ? own : ua->config->sip.outbound_proxy;
}

char *
sip_digest_answer(GwSipUa *ua, sip_t const *sip, int status,
                  const char *method, const char *uri)
{
    const GwConfig *cfg = ua->config;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const void *au = status == 401 ? (const void *)sip->sip_www_authenticate
                                   : (const void *)sip->sip_proxy_authenticate;
    g_autoptr(GError) error = NULL;
    char *answer;
    char cnonce[17];

    if (au == NULL)
        return NULL;
    if (ua->authorizer != NULL && sip->sip_from != NULL) {
        /* her AOR (an account) is answered with her credentials and
         * never with the gateway's */
        gboolean owned = FALSE;
        char *from = url_as_string(home, sip->sip_from->a_url);
        answer = from == NULL ? NULL : ua->authorizer(
            ua->authorizer_data, from,
            sip_header_as_string(home, (sip_header_t const *)au), method,
            uri, &owned, &error);
        if (owned) {
            su_home_deinit(home);
            if (answer == NULL)
                g_warning("%s to %s: %d challenge not answered for an "
                          "account: %s", method, uri, status,
                          error ? error->message : "no credentials");
            return answer;
        }
        g_clear_error(&error);
    }
    if (cfg->sip.password == NULL || cfg->sip.auth_username == NULL) {
        su_home_deinit(home);
        return NULL;
    }
    sip_random_token(cnonce);
    answer = gw_sip_auth_answer(
        sip_header_as_string(home, (sip_header_t const *)au),
        cfg->sip.auth_username, cfg->sip.password, method, uri, cnonce, 1,
        &error);
    su_home_deinit(home);
    if (answer == NULL)
        g_warning("%s to %s: %d challenge not answered: %s", method, uri,
                  status, error->message);
    return answer;
}

/* ---- what comes in ------------------------------------------------------ */

static int
dispatch_request(GwSipUa *ua, nta_incoming_t *irq, sip_t const *sip)
{
    sip_method_t method = sip->sip_request->rq_method;

    if (method == sip_method_cancel) /* nta matched none of ours */
        return sip_reply_now(ua, irq, 481, "Call/Transaction Does Not Exist",
                             NULL);
    if (ua->stopping)
        return sip_reply_now(ua, irq, 503, "Gateway Shutting Down", "5");
    if (sip->sip_to->a_tag != NULL) {
        SipLeg *leg = sip_leg_find(ua, sip);
        if (leg == NULL)
            return sip_reply_now(
                ua, irq, 481,
                method == sip_method_subscribe || method == sip_method_notify
                    ? "Subscription Does Not Exist"
                    : "Call/Transaction Does Not Exist",
                NULL);
        if (leg->kind == LEG_CALL)
            return sip_call_request((GwSipCall *)leg, irq, sip);
        return sip_subscription_request(ua, irq, sip, leg);
    }
    switch (method) {
    case sip_method_subscribe:
        return sip_subscription_request(ua, irq, sip, NULL);
    case sip_method_invite:
        return sip_call_invite(ua, irq, sip);
    case sip_method_options: {
        /* through the router: untrusted sources learn nothing */
        GwSipIncoming in = { 0 };
        GwIncomingText text;
        msg_t *msg = nta_incoming_getrequest(irq);
        GwSipRequest *req;

        sip_incoming_fill(ua, &in, &text, sip, msg);
        msg_destroy(msg);
        req = sip_request_new(ua, &in, NULL);
        req->irq = irq;
        req->method = method;
        sip_request_deliver(ua, req, &in);
        sip_incoming_text_clear(&text);
        return 0;
    }
    case sip_method_bye:
    case sip_method_info:
    case sip_method_notify:
    case sip_method_prack:
    case sip_method_update:
        return sip_reply_now(ua, irq, 481, "Call/Transaction Does Not Exist",
                             NULL);
    default:
        return sip_reply_now(ua, irq, 405, "Method Not Allowed", NULL);
    }
}

/* nta's callback for what no transaction took: every request. */
static int
on_agent_message(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg,
                 sip_t *sip)
{
    GwSipUa *ua = (GwSipUa *)magic;
    g_autoptr(GError) error = NULL;
    nta_incoming_t *irq;

    if (sip == NULL || sip->sip_request == NULL) {
        msg_destroy(msg); /* a stray response: nothing of ours */
        return 0;
    }
    gw_metrics.sip_received[sip_metric_method(sip->sip_request->rq_method)]++;
    if (sip->sip_request->rq_method == sip_method_ack) {
        msg_destroy(msg); /* nta matched it to none of ours */
        return 0;
    }
    if (sip->sip_cseq == NULL || sip->sip_call_id == NULL ||
        sip->sip_from == NULL || sip->sip_to == NULL || sip->sip_via == NULL) {
        sip_count_answer(sip->sip_request->rq_method, 400);
        nta_msg_treply(agent, msg, 400, "Missing Headers", TAG_END());
        return 0;
    }
    if (sip->sip_request->rq_url->url_type != url_sip &&
        sip->sip_request->rq_url->url_type != url_sips &&
        sip->sip_request->rq_url->url_type != url_tel) {
        /* RFC 3261 8.2.2.1 */
        sip_count_answer(sip->sip_request->rq_method, 416);
        nta_msg_treply(agent, msg, 416, "Unsupported URI Scheme", TAG_END());
        return 0;
    }
    if (!sip_request_uri_ok(sip, &error)) {
        g_info("SIP %s (Call-ID %s) refused: Request-URI %s: 400",
               sip->sip_request->rq_method_name, sip->sip_call_id->i_id,
               error->message);
        sip_count_answer(sip->sip_request->rq_method, 400);
        nta_msg_treply(agent, msg, 400, "Bad Request-URI", TAG_END());
        return 0;
    }
    if (sip->sip_request->rq_method == sip_method_message) {
        sip_message_take(ua, msg, sip);
        return 0;
    }
    irq = nta_incoming_create(agent, NULL, msg, sip, TAG_END());
    if (irq == NULL) {
        g_warning("no memory for a %s transaction",
                  sip->sip_request->rq_method_name);
        return 0;
    }
    return dispatch_request(ua, irq, sip);
}

/* ---- construction ------------------------------------------------------ */

/* Over UDP, nta keeps every request it answered for timer J (64*T1 =
 * 32 s), ~10 KiB each (SUBSCRIBEs: MESSAGEs keep no transaction), and
 * frees them in bulk once a burst is over; glibc then keeps the freed heap
 * mapped. Give it back once the memory in use has fallen to half of its
 * peak since the last trim (a burst is over) with much of the heap free;
 * never during a steady load, where the memory would be faulted in again
 * at once, and not again and again on a heap that merely stays fragmented
 * (mallinfo2 counts trimmed pages inside the heap as free still). */
#define HEAP_TRIM_PERIOD_S 10
#define HEAP_TRIM_MIN_FREE (8u << 20)

#ifdef GW_HAVE_MALLINFO2
static gboolean
heap_trim_tick(gpointer data)
{
    static size_t peak_in_use;
    struct mallinfo2 mi = mallinfo2();

    peak_in_use = MAX(peak_in_use, mi.uordblks);
    if (mi.fordblks >= HEAP_TRIM_MIN_FREE &&
        mi.uordblks < peak_in_use / 2) {
        malloc_trim(0);
        g_debug("heap trimmed: %zu KiB were free, %zu KiB in use (peak "
                "%zu KiB)", mi.fordblks >> 10, mi.uordblks >> 10,
                peak_in_use >> 10);
        peak_in_use = mi.uordblks;
    }
    return G_SOURCE_CONTINUE;
}
#endif

/* su_glib's prepare() rounds the time to Sofia's next timer down to whole
 * ms and calls a timer due in 0.4 ms "ready now": the loop then spins,
 * dispatching nothing, until it is due. With a transaction timer expiring
 * every ms that kept a core at 100 % (tests/bench/bench_messages.py).
 * Wait one ms instead: su messages have already woken the context, and
 * su_glib's check() still finds them and the due timers after the poll. */
static GSourceFuncs su_funcs_sofia, su_funcs_gw;

static gboolean
su_prepare_no_spin(GSource *gs, gint *timeout)
{
    if (su_funcs_sofia.prepare(gs, timeout) && *timeout == 0)
        *timeout = 1;
    return FALSE;
}

static void
no_spin_prepare(GSource *gs)
{
    su_funcs_sofia = *gs->source_funcs;
    su_funcs_gw = su_funcs_sofia;
    su_funcs_gw.prepare = su_prepare_no_spin;
    gs->source_funcs = &su_funcs_gw;
}

/* Sofia leaves its UDP socket at the kernel's default receive buffer
 * (208 KiB, ~150 datagrams): a burst of answers beyond that was dropped
 * (bench). Sofia has no accessor for the socket: find the UDP sockets
 * bound to our listen port among the open fds. */
static void
raise_udp_rcvbuf(GwSipUa *self, guint port)
{
    for (int fd = 3; fd < 1024; fd++) {
        int type = 0, size = 4 << 20;
        socklen_t len = sizeof type;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        guint bound = 0;

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
            type != SOCK_DGRAM ||
            getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
            continue;
        if (ss.ss_family == AF_INET)
            bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        if (bound != port)
            continue;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
                       sizeof size) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        if (self->n_udp_fds < G_N_ELEMENTS(self->udp_fds))
            self->udp_fds[self->n_udp_fds++] = fd;
    }
}

gboolean
gw_sip_ua_input_pending(GwSipUa *self)
{
    struct pollfd p[G_N_ELEMENTS(self->udp_fds)];

    if (self->n_udp_fds == 0)
        return FALSE;
    if (self->stopping)
        return FALSE;
    for (guint i = 0; i < self->n_udp_fds; i++)
        p[i] = (struct pollfd){ .fd = self->udp_fds[i], .events = POLLIN };
    if (poll(p, self->n_udp_fds, 0) <= 0)
        return FALSE;
    for (guint i = 0; i < self->n_udp_fds; i++)
        if (p[i].revents & POLLIN) /* not POLLNVAL: a socket Sofia closed */
            return TRUE;
    return FALSE;
}

/* Host and port of a listen URL ("sip:host:port;params"); 5060 (5061
 * for sips:) if none. */
static void
split_listen(const char *url, char **host, guint *port)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    url_t *u = url_hdup(home, url_make(home, url));

    *host = g_strdup(u && u->url_host ? u->url_host : "0.0.0.0");
    if ((*host)[0] == '[') {
        /* "[::1]" -> "::1" */
        gsize n = strlen(*host);
        memmove(*host, *host + 1, n);
        if (n >= 2)
            (*host)[n - 2] = '\0';
    }
    *port = u && u->url_port ? (guint)g_ascii_strtoull(u->url_port, NULL, 10)
            : u && u->url_type == url_sips ? 5061 : 5060;
    su_home_deinit(home);
}

static char *
listen_url(const GwConfig *cfg)
{
    guint t = cfg->sip.transports;

    if (t == (GW_SIP_TRANSPORT_UDP | GW_SIP_TRANSPORT_TCP) ||
        strstr(cfg->sip.listen, "transport=") != NULL)
        return g_strdup(cfg->sip.listen);
    return g_strdup_printf("%s;transport=%s", cfg->sip.listen,
                           t == GW_SIP_TRANSPORT_UDP ? "udp" : "tcp");
}

/* Our Contacts, one per transport: the agent's address and port without
 * transport= (url_strip_transport would drop the port too). */
static void
make_contacts(GwSipUa *ua)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    sip_contact_t *m = nta_agent_contact(ua->agent);
    url_t *u = url_hdup(home, m->m_url);
    char *text;

    if (u->url_params != NULL)
        u->url_params = url_strip_param_string(
            su_strdup(home, u->url_params), "transport");
    if (u->url_params != NULL && u->url_params[0] == '\0')
        u->url_params = NULL;
    text = url_as_string(home, u);
    ua->contact[SIP_TP_UDP] = g_strdup_printf("<%s>", text);
    ua->contact[SIP_TP_TCP] = g_strdup_printf("<%s;transport=tcp>", text);
    if (ua->tls_port != 0)
        ua->contact[SIP_TP_TLS] = g_strdup_printf(
            "<sip:%s%s%s:%u;transport=tls>",
            strchr(u->url_host, ':') && u->url_host[0] != '[' ? "[" : "",
            u->url_host,
            strchr(u->url_host, ':') && u->url_host[0] != '[' ? "]" : "",
            ua->tls_port);
    else
        ua->contact[SIP_TP_TLS] = g_strdup(ua->contact[SIP_TP_TCP]);
    su_home_deinit(home);
}

GwSipUa *
gw_sip_ua_new(const GwConfig *config, GwSipRequestFunc on_request,
              gpointer user_data, GError **error)
{
    GwSipUa *self = g_new0(GwSipUa, 1);
    g_autofree char *url = listen_url(config);
    char level[4];

    self->config = config;
    self->on_request = on_request;
    self->user_data = user_data;
    self->requests = g_hash_table_new(NULL, NULL);
    self->dialogs = g_hash_table_new(g_str_hash, g_str_equal);
    self->timers = g_sequence_new(NULL);
    self->pubs = g_hash_table_new(NULL, NULL);
    self->log_tail = g_string_new(NULL);
    split_listen(config->sip.listen, &self->listen_host, &self->listen_port);
    if (config->sip.listen_tls != NULL) {
        g_autofree char *h = NULL;
        split_listen(config->sip.listen_tls, &h, &self->tls_port);
    }

    su_init();
    g_snprintf(level, sizeof level, "%u", config->log.sofia_level);
    su_log_redirect(su_log_default, sofia_logger, self);
    su_log_set_level(su_log_default, config->log.sofia_level);
    /* module logs (nta, tport) read their own variables */
    g_setenv("NTA_DEBUG", level, FALSE);
    g_setenv("TPORT_DEBUG", level, FALSE);

    self->root = su_glib_root_create(self);
    su_root_threading(self->root, 0);
    /* no nested main loops here: without it GLib removes and re-adds the
     * fds around every dispatch (two eventfd wakeups each time) */
    g_source_set_can_recurse(su_glib_root_gsource(self->root), TRUE);
    no_spin_prepare(su_glib_root_gsource(self->root));
    g_source_attach(su_glib_root_gsource(self->root), NULL);

    self->agent = nta_agent_create(
        self->root, URL_STRING_MAKE(url), on_agent_message,
        (nta_agent_magic_t *)self, NTATAG_UA(1), NTATAG_MERGE_482(1),
        NTATAG_CLIENT_RPORT(1),
        NTATAG_MAXSIZE(MAX_REQUEST),
        NTATAG_UDP_MTU(config->sip.udp_mtu),
        NTATAG_SIP_T1X64(config->sip.transaction_timeout_ms),
        NTATAG_SIP_T4(SIP_T4_MS),
        /* messages queued on a TCP/TLS connection still being set up:
         * Sofia's default of 64 made a burst toward a PBX fail with 503
         * until the connection was up (1000 is Sofia's maximum) */
        TPTAG_QUEUESIZE(1000), TAG_END());
    if (self->agent != NULL && config->sip.listen_tls != NULL &&
        nta_agent_add_tport(self->agent,
                            URL_STRING_MAKE(config->sip.listen_tls),
                            TPTAG_CERTIFICATE(config->sip.tls_dir),
                            TPTAG_QUEUESIZE(1000), TAG_END()) < 0) {
        nta_agent_destroy(self->agent);
        self->agent = NULL;
    }
    if (self->agent == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                    "cannot listen on %s%s%s (address in use or not local?)",
                    url, config->sip.listen_tls ? " / " : "",
                    config->sip.listen_tls ? config->sip.listen_tls : "");
        gw_sip_ua_free(self);
        return NULL;
    }
    /* Our requests go out on a dialogless leg bound to a name and method
     * no request can carry to us, so it never takes one; with no default
     * leg, nta gives every request to on_agent_message(). */
    self->leg = nta_leg_tcreate(self->agent, NULL, NULL, NTATAG_NO_DIALOG(1),
                                URLTAG_URL("sip:gateway-agent.invalid"),
                                NTATAG_METHOD("X-GW-NONE"), TAG_END());
    if (self->leg == NULL || nta_agent_contact(self->agent) == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN, "cannot serve %s",
                    url);
        gw_sip_ua_free(self);
        return NULL;
    }
    make_contacts(self);
    raise_udp_rcvbuf(self, self->listen_port);
    sip_udp_answer_init(self);
    sip_message_init(self);
#ifdef GW_HAVE_MALLINFO2
    self->trim_id = g_timeout_add_seconds(HEAP_TRIM_PERIOD_S, heap_trim_tick,
                                          NULL);
#endif
    g_message("SIP agent listening on %s%s%s", url,
              config->sip.listen_tls ? " and " : "",
              config->sip.listen_tls ? config->sip.listen_tls : "");
    return self;
}

void
gw_sip_ua_start(GwSipUa *self)
{
    if (self->config->sip.register_enabled)
        sip_register_start(self);
}

/* ---- stop ------------------------------------------------------------- */

static void
stop_finish(GwSipUa *self)
{
    GSourceFunc done = self->stop_done;

    g_clear_handle_id(&self->stop_id, g_source_remove);
    self->stop_done = NULL;
    if (done != NULL)
        g_idle_add(done, self->stop_data);
}

static gboolean
stop_timeout(gpointer data)
{
    GwSipUa *self = data;

    self->stop_id = 0;
    g_warning("no answer to un-REGISTER within 2 s");
    stop_finish(self);
    return G_SOURCE_REMOVE;
}

void
gw_sip_ua_stop(GwSipUa *self, GSourceFunc done, gpointer data)
{
    GList *reqs;

    self->stopping = TRUE;
    self->stop_done = done;
    self->stop_data = data;
    /* whatever is still outstanding ends now, visibly */
    reqs = g_hash_table_get_keys(self->requests);
    for (GList *l = reqs; l != NULL; l = l->next) {
        GwSipRequest *req = l->data;
        if (req->method == sip_method_invite)
            continue; /* the call bridge has ended its calls */
        gw_sip_request_respond(req, 503, "Gateway Shutting Down", 5, NULL);
    }
    g_list_free(reqs);
    sip_message_fail_outgoing(self, 503, "Gateway Shutting Down");
    self->stop_id = g_timeout_add(2000, stop_timeout, self);
    sip_register_stop(self, stop_finish);
}

/* ---- free ------------------------------------------------------------- */

void
gw_sip_ua_free(GwSipUa *self)
{
    if (self == NULL)
        return;
    g_clear_handle_id(&self->stop_id, g_source_remove);
    g_clear_handle_id(&self->trim_id, g_source_remove);
    g_clear_handle_id(&self->timer_id, g_source_remove);
    /* what lives on the agent goes before it */
    if (self->agent != NULL) {
        GList *reqs = g_hash_table_get_keys(self->requests);
        for (GList *l = reqs; l != NULL; l = l->next) {
            GwSipRequest *req = l->data;
            if (req->irq != NULL && req->call == NULL)
                nta_incoming_destroy(req->irq);
            if (req->msg != NULL)
                msg_destroy(req->msg);
            sip_request_free(req);
        }
        g_list_free(reqs);
        sip_register_free(self);
        sip_publish_remove_all(self);
        sip_subscription_free_all(self);
        sip_call_free_all(self);
        sip_message_fini(self);
    }
    if (self->leg != NULL)
        nta_leg_destroy(self->leg);
    if (self->agent != NULL)
        nta_agent_destroy(self->agent);
    if (self->root != NULL)
        su_root_destroy(self->root);
    su_log_redirect(su_log_default, NULL, NULL);
    su_deinit();
    g_hash_table_unref(self->requests);
    g_hash_table_unref(self->dialogs);
    g_hash_table_unref(self->pubs);
    g_sequence_free(self->timers);
    for (guint i = 0; i < G_N_ELEMENTS(self->contact); i++)
        g_free(self->contact[i]);
    g_free(self->listen_host);
    g_string_free(self->log_tail, TRUE);
    g_free(self);
}

void
gw_sip_ua_get_stats(const GwSipUa *self, GwSipStats *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->requests = g_hash_table_size(self->requests);
    stats->dialogs = g_hash_table_size(self->dialogs);
    stats->messages_out = self->outs ? g_hash_table_size(self->outs) : 0;
    stats->memo_entries = self->memo ? gw_dedup_size(self->memo) : 0;
}
