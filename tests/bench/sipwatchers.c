/* tests/bench/sipwatchers.c: the SIP side of the presence benchmark
 * (issue 5): many SIP watchers on one UDP socket, or a SIP presence
 * notifier. Raw SIP text, no stack; only what the benchmark needs.
 *
 * --mode watch: SUBSCRIBEs sip:USER@GW_DOMAIN as sip:wN@WATCHER_DOMAIN,
 *   one dialog each (unique Call-ID and From tag; Call-ID carries N),
 *   Expires --expires, paced at the rate asked; retransmits a SUBSCRIBE
 *   left unanswered (1 s, 2 s, 4 s ..., 6 tries); answers every NOTIFY
 *   with 200 OK and stamps its arrival (CLOCK_MONOTONIC); counts pending,
 *   active and terminated NOTIFYs per dialog (retransmissions, same CSeq,
 *   are answered but not counted twice).
 * --mode notify: a presence server for the gateway's own SUBSCRIBEs
 *   (B direction): 200 OK with a To tag, then NOTIFY active with a PIDF
 *   (basic open) for the Request-URI; Expires: 0 -> NOTIFY terminated.
 *
 * Commands, one a line on standard input:
 *   subscribe N R      N more watchers (numbered on from the last) at R/s
 *   wait-active K S    until K dialogs have had an active NOTIFY (or a
 *                      final failure), at most S s: "ACTIVE ..."
 *   stop               no new SUBSCRIBEs from now on
 *   mark               start counting NOTIFYs anew (fan-out window)
 *   wait-notifies K S  until K NOTIFYs arrived since mark, at most S s:
 *                      "NOTIFIES n=.. first_ns=.. last_ns=.. mark_ns=.."
 *   stats              "STATS k=v ..."
 *   quit
 * Prints "LISTEN port=N" first.
 */
#include "load_common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_DGRAM 65536
#define MAX_TRIES 6

static char *opt_mode = NULL;
static int opt_port = 0;
static char *opt_gw = NULL;
static char *opt_user = NULL;
static char *opt_gw_domain = NULL;
static char *opt_watcher_domain = NULL;
static char *opt_watcher_prefix = NULL;
static gint64 opt_expires = 3600;
static gint64 opt_max = 1000000;
static gint64 opt_rcvbuf = 16 << 20;
static double opt_life = 900;

static GOptionEntry entries[] = {
    { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode, "watch or notify", "M" },
    { "port", 0, 0, G_OPTION_ARG_INT, &opt_port,
      "local UDP port on 127.0.0.1 (0: pick one)", "P" },
    { "gw", 0, 0, G_OPTION_ARG_STRING, &opt_gw,
      "watch: the gateway's SIP address HOST:PORT", "A" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &opt_user,
      "watch: the presentity's user part (default alice)", "U" },
    { "gw-domain", 0, 0, G_OPTION_ARG_STRING, &opt_gw_domain,
      "watch: the gateway's SIP domain (default gw.localhost)", "D" },
    { "watcher-domain", 0, 0, G_OPTION_ARG_STRING, &opt_watcher_domain,
      "watch: the watchers' SIP domain (default pbx.localhost)", "D" },
    { "watcher-prefix", 0, 0, G_OPTION_ARG_STRING, &opt_watcher_prefix,
      "watch: watcher user parts are PREFIX<N> (default w)", "P" },
    { "expires", 0, 0, G_OPTION_ARG_INT64, &opt_expires,
      "watch: Expires of the SUBSCRIBEs (default 3600)", "S" },
    { "max", 0, 0, G_OPTION_ARG_INT64, &opt_max,
      "watch: most watchers in all (default 1000000)", "N" },
    { "rcvbuf", 0, 0, G_OPTION_ARG_INT64, &opt_rcvbuf,
      "socket buffer bytes (default 16 MiB)", "B" },
    { "life", 0, 0, G_OPTION_ARG_DOUBLE, &opt_life,
      "exit after this many seconds whatever happens", "S" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

typedef struct {
    uint64_t sent_ns;
    uint32_t last_notify_cseq;
    uint8_t state; /* 0 unsent, 1 sent, 2 2xx, 3 failed */
    uint8_t tries;
    uint8_t active; /* an active NOTIFY came */
} Sub;

static struct {
    int fd;
    int port;
    struct sockaddr_in gw;
    bool watch;
    Sub *subs;
    uint64_t n_subs, next_sub, lo, target, sub_t0, sub_base;
    double rate;
    /* counters */
    uint64_t dgrams_in, dgrams_out, responses_2xx, responses_fail,
        responses_1xx, retrans, notifies, notify_dups, n_pending,
        n_active_notifies, n_terminated, active_dialogs, failed_dialogs,
        gave_up, bad, send_errors, other_requests;
    /* fan-out window */
    uint64_t mark_ns, win_n, win_first, win_last;
    int64_t wait_notifies; /* -1: none */
    uint64_t wait_notifies_deadline;
    int64_t wait_active;
    uint64_t wait_active_deadline, last_active_ns;
    /* notify mode */
    GHashTable *dialogs; /* Call-ID -> cseq counter */
    uint64_t subscribes_in, notifies_out, notify_ok, notify_fail;
    bool quit;
    char *pid_tag;
} S;

/* ---- a parsed SIP message (pointers into the datagram) ----------------- */

typedef struct {
    const char *p;
    size_t n;
} Span;

#define MAX_VIAS 8

typedef struct {
    bool response;
    int status;
    Span method, ruri;
    Span via[MAX_VIAS];
    int n_via;
    Span from, to, call_id, cseq, contact, substate, expires, event;
    long content_length;
} SipMsg;

static bool
span_eq(Span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && g_ascii_strncasecmp(s.p, lit, n) == 0;
}

static Span
trim(const char *p, size_t n)
{
    while (n > 0 && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
        n--;
    return (Span){ p, n };
}

/* Parses the start line and headers; false when malformed. */
static bool
sip_parse(const char *buf, size_t len, SipMsg *m)
{
    const char *p = buf, *end = buf + len, *eol, *sp;

    memset(m, 0, sizeof *m);
    m->content_length = -1;
    eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
        return false;
    if (len > 8 && memcmp(p, "SIP/2.0 ", 8) == 0) {
        m->response = true;
        m->status = atoi(p + 8);
    } else {
        sp = memchr(p, ' ', (size_t)(eol - p));
        if (sp == NULL)
            return false;
        m->method = (Span){ p, (size_t)(sp - p) };
        const char *sp2 = memchr(sp + 1, ' ', (size_t)(eol - sp - 1));
        if (sp2 == NULL)
            return false;
        m->ruri = (Span){ sp + 1, (size_t)(sp2 - sp - 1) };
    }
    for (p = eol + 1; p < end; p = eol + 1) {
        const char *colon;
        Span name, value;

        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            eol = end;
        if (eol == p || (eol == p + 1 && *p == '\r'))
            break; /* blank line: the body follows */
        colon = memchr(p, ':', (size_t)(eol - p));
        if (colon == NULL)
            return false;
        name = trim(p, (size_t)(colon - p));
        value = trim(colon + 1, (size_t)(eol - colon - 1));
        if (span_eq(name, "Via") || span_eq(name, "v")) {
            if (m->n_via < MAX_VIAS)
                m->via[m->n_via++] = value;
        } else if (span_eq(name, "From") || span_eq(name, "f")) {
            m->from = value;
        } else if (span_eq(name, "To") || span_eq(name, "t")) {
            m->to = value;
        } else if (span_eq(name, "Call-ID") || span_eq(name, "i")) {
            m->call_id = value;
        } else if (span_eq(name, "CSeq")) {
            m->cseq = value;
        } else if (span_eq(name, "Contact") || span_eq(name, "m")) {
            m->contact = value;
        } else if (span_eq(name, "Subscription-State")) {
            m->substate = value;
        } else if (span_eq(name, "Expires")) {
            m->expires = value;
        } else if (span_eq(name, "Event") || span_eq(name, "o")) {
            m->event = value;
        } else if (span_eq(name, "Content-Length") || span_eq(name, "l")) {
            m->content_length = strtol(value.p, NULL, 10);
        }
    }
    return m->call_id.n > 0 && m->cseq.n > 0 && m->from.n > 0 && m->to.n > 0;
}

static void
send_to(const struct sockaddr_in *to, const char *buf, size_t len)
{
    for (;;) {
        ssize_t n = sendto(S.fd, buf, len, 0, (const struct sockaddr *)to,
                           sizeof *to);
        if (n >= 0) {
            S.dgrams_out++;
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
            struct pollfd p = { .fd = S.fd, .events = POLLOUT };
            poll(&p, 1, 100);
            continue;
        }
        S.send_errors++;
        return;
    }
}

/* 200 OK (or another status) echoing Via, From, To, Call-ID, CSeq. */
static void
respond(const SipMsg *m, const struct sockaddr_in *src, int status,
        const char *phrase, const char *to_tag, const char *extra)
{
    GString *r = g_string_sized_new(512);

    g_string_append_printf(r, "SIP/2.0 %d %s\r\n", status, phrase);
    for (int i = 0; i < m->n_via; i++)
        g_string_append_printf(r, "Via: %.*s\r\n", (int)m->via[i].n,
                               m->via[i].p);
    g_string_append_printf(r, "From: %.*s\r\n", (int)m->from.n, m->from.p);
    g_string_append_printf(r, "To: %.*s", (int)m->to.n, m->to.p);
    if (to_tag != NULL && memmem(m->to.p, m->to.n, ";tag=", 5) == NULL)
        g_string_append_printf(r, ";tag=%s", to_tag);
    g_string_append_printf(r, "\r\nCall-ID: %.*s\r\nCSeq: %.*s\r\n",
                           (int)m->call_id.n, m->call_id.p, (int)m->cseq.n,
                           m->cseq.p);
    if (extra != NULL)
        g_string_append(r, extra);
    g_string_append(r, "Content-Length: 0\r\n\r\n");
    send_to(src, r->str, r->len);
    g_string_free(r, TRUE);
}

/* ---- watch mode -------------------------------------------------------- */

static int64_t
sub_index(Span call_id)
{
    char tmp[64];
    char *end;
    long long n;

    if (call_id.n < 3 || call_id.n >= sizeof tmp || call_id.p[0] != 'b' ||
        call_id.p[1] != 'w')
        return -1;
    memcpy(tmp, call_id.p, call_id.n);
    tmp[call_id.n] = '\0';
    n = strtoll(tmp + 2, &end, 10);
    if (*end != '-' || n < 0 || (uint64_t)n >= S.n_subs)
        return -1;
    return n;
}

static void
send_subscribe(uint64_t i)
{
    char buf[1024];
    const char *wp = opt_watcher_prefix;
    int n = g_snprintf(
        buf, sizeof buf,
        "SUBSCRIBE sip:%s@%s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-bw%" PRIu64
        "-%s;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: <sip:%s%" PRIu64 "@%s>;tag=t%" PRIu64 "-%s\r\n"
        "To: <sip:%s@%s>\r\n"
        "Call-ID: bw%" PRIu64 "-%s@127.0.0.1\r\n"
        "CSeq: 1 SUBSCRIBE\r\n"
        "Contact: <sip:%s%" PRIu64 "@127.0.0.1:%d>\r\n"
        "Event: presence\r\n"
        "Accept: application/pidf+xml\r\n"
        "Expires: %" PRId64 "\r\n"
        "User-Agent: sipwatchers\r\n"
        "Content-Length: 0\r\n\r\n",
        opt_user, opt_gw_domain, S.port, i, S.pid_tag, wp, i + 1, opt_watcher_domain, i,
        S.pid_tag, opt_user, opt_gw_domain, i, S.pid_tag, wp, i + 1, S.port,
        opt_expires);

    S.subs[i].sent_ns = lc_now_ns();
    S.subs[i].state = 1;
    send_to(&S.gw, buf, (size_t)n);
}

static void
watch_response(const SipMsg *m)
{
    int64_t i = sub_index(m->call_id);
    Sub *s;

    if (i < 0) {
        S.bad++;
        return;
    }
    s = &S.subs[i];
    if (m->status < 200) {
        S.responses_1xx++;
        return;
    }
    if (s->state != 1)
        return; /* a retransmitted answer */
    if (m->status < 300) {
        S.responses_2xx++;
        s->state = 2;
    } else {
        S.responses_fail++;
        s->state = 3;
        S.failed_dialogs++;
        fprintf(stderr, "sipwatchers: watcher %" PRId64 " got %d\n", i,
                m->status);
    }
}

static void
watch_notify(const SipMsg *m, const struct sockaddr_in *src, uint64_t t)
{
    int64_t i = sub_index(m->call_id);
    uint32_t cseq = (uint32_t)strtoul(m->cseq.p, NULL, 10);
    Sub *s;

    respond(m, src, 200, "OK", NULL, NULL);
    if (i < 0) {
        S.bad++;
        return;
    }
    s = &S.subs[i];
    if (s->last_notify_cseq == cseq && cseq != 0) {
        S.notify_dups++;
        return;
    }
    s->last_notify_cseq = cseq;
    S.notifies++;
    if (m->substate.n >= 6 && g_ascii_strncasecmp(m->substate.p, "active",
                                                   6) == 0) {
        S.n_active_notifies++;
        if (!s->active) {
            s->active = 1;
            S.active_dialogs++;
            S.last_active_ns = t;
        }
    } else if (m->substate.n >= 7 &&
               g_ascii_strncasecmp(m->substate.p, "pending", 7) == 0) {
        S.n_pending++;
    } else {
        S.n_terminated++;
    }
    if (S.mark_ns != 0) {
        if (S.win_n == 0)
            S.win_first = t;
        S.win_n++;
        S.win_last = t;
    }
}

/* Paces new SUBSCRIBEs and retransmits unanswered ones; ns to the next. */
static uint64_t
watch_tick(uint64_t t)
{
    uint64_t next = 100000000u; /* retransmission scan every 100 ms */

    while (S.next_sub < S.target) {
        uint64_t due = S.sub_t0 + (uint64_t)((double)(S.next_sub -
                                                      S.sub_base) *
                                             1e9 / S.rate);
        if (due > t) {
            next = MIN(next, due - t);
            break;
        }
        send_subscribe(S.next_sub++);
    }
    while (S.lo < S.next_sub && S.subs[S.lo].state >= 2)
        S.lo++;
    for (uint64_t i = S.lo; i < S.next_sub; i++) {
        Sub *s = &S.subs[i];
        uint64_t rto = (uint64_t)1000000000u << s->tries;
        if (s->state != 1 || t < s->sent_ns + rto)
            continue;
        if (s->tries + 1 >= MAX_TRIES) {
            s->state = 3;
            S.gave_up++;
            S.failed_dialogs++;
            continue;
        }
        s->tries++;
        S.retrans++;
        send_subscribe(i);
    }
    return next;
}

/* ---- notify mode ------------------------------------------------------- */

static const char *
span_find(Span s, const char *needle)
{
    return memmem(s.p, s.n, needle, strlen(needle));
}

static void
notifier_subscribe(const SipMsg *m, const struct sockaddr_in *src)
{
    g_autofree char *cid = g_strndup(m->call_id.p, m->call_id.n);
    gpointer v = g_hash_table_lookup(S.dialogs, cid);
    guint cseq = GPOINTER_TO_UINT(v) + 1;
    long expires = m->expires.n ? strtol(m->expires.p, NULL, 10) : 600;
    char tag[32], extra[256];
    GString *n;
    g_autofree char *entity = g_strndup(m->ruri.p, m->ruri.n);
    g_autofree char *body = NULL;
    const char *lt, *gt, *to_tag;
    Span target = m->ruri;

    S.subscribes_in++;
    g_snprintf(tag, sizeof tag, "n%u", g_str_hash(cid));
    g_snprintf(extra, sizeof extra,
               "Contact: <sip:127.0.0.1:%d>\r\nExpires: %ld\r\n", S.port,
               expires);
    respond(m, src, 200, "OK", tag, extra);
    g_hash_table_insert(S.dialogs, g_steal_pointer(&cid),
                        GUINT_TO_POINTER(cseq));
    /* the NOTIFY: to the subscriber's Contact URI */
    if ((lt = span_find(m->contact, "<")) != NULL &&
        (gt = memchr(lt, '>', m->contact.n - (size_t)(lt - m->contact.p))))
        target = (Span){ lt + 1, (size_t)(gt - lt - 1) };
    else if (m->contact.n > 0)
        target = m->contact;
    {
        char *semi = strchr(entity, ';');
        if (semi != NULL)
            *semi = '\0';
    }
    body = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n"
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"%s\">"
        "<tuple id=\"t1\"><status><basic>open</basic></status>"
        "<note>bench</note></tuple></presence>",
        entity);
    to_tag = span_find(m->to, ";tag=");
    n = g_string_sized_new(1024);
    g_string_append_printf(
        n,
        "NOTIFY %.*s SIP/2.0\r\n"
        "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-nt%" PRIu64 "-%s;rport\r\n"
        "Max-Forwards: 70\r\n"
        "From: %.*s%s%s\r\n"
        "To: %.*s\r\n"
        "Call-ID: %.*s\r\n"
        "CSeq: %u NOTIFY\r\n"
        "Contact: <sip:127.0.0.1:%d>\r\n"
        "Event: presence\r\n",
        (int)target.n, target.p, S.port, S.notifies_out, S.pid_tag,
        (int)m->to.n, m->to.p, to_tag ? "" : ";tag=", to_tag ? "" : tag,
        (int)m->from.n, m->from.p, (int)m->call_id.n, m->call_id.p, cseq,
        S.port);
    if (expires > 0)
        g_string_append_printf(n, "Subscription-State: active;expires=%ld\r\n",
                               expires);
    else
        g_string_append(n, "Subscription-State: terminated;reason=timeout\r\n");
    g_string_append_printf(n,
                           "Content-Type: application/pidf+xml\r\n"
                           "Content-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
    send_to(src, n->str, n->len);
    S.notifies_out++;
    g_string_free(n, TRUE);
}

/* ---- the loop ---------------------------------------------------------- */

static void
on_datagram(const char *buf, size_t len, const struct sockaddr_in *src,
            uint64_t t)
{
    SipMsg m;

    S.dgrams_in++;
    if (!sip_parse(buf, len, &m)) {
        S.bad++;
        return;
    }
    if (m.response) {
        if (S.watch) {
            watch_response(&m);
        } else if (span_find(m.cseq, "NOTIFY") != NULL) {
            if (m.status >= 200 && m.status < 300)
                S.notify_ok++;
            else if (m.status >= 300)
                S.notify_fail++;
        }
        return;
    }
    if (S.watch && span_eq(m.method, "NOTIFY")) {
        watch_notify(&m, src, t);
    } else if (!S.watch && span_eq(m.method, "SUBSCRIBE")) {
        notifier_subscribe(&m, src);
    } else if (span_eq(m.method, "ACK")) {
        /* nothing */
    } else {
        S.other_requests++;
        respond(&m, src, span_eq(m.method, "OPTIONS") ? 200 : 501,
                span_eq(m.method, "OPTIONS") ? "OK" : "Not Implemented",
                "x", NULL);
    }
}

static void
print_stats(void)
{
    lc_say("STATS watchers=%" PRIu64 " sent=%" PRIu64 " ok2xx=%" PRIu64
        " failed=%" PRIu64 " gave_up=%" PRIu64 " retrans=%" PRIu64
        " active_dialogs=%" PRIu64 " notifies=%" PRIu64 " pending=%" PRIu64
        " active=%" PRIu64 " terminated=%" PRIu64 " notify_dups=%" PRIu64
        " dgrams_in=%" PRIu64 " dgrams_out=%" PRIu64 " bad=%" PRIu64
        " send_errors=%" PRIu64 " other_requests=%" PRIu64
        " subscribes_in=%" PRIu64 " notifies_out=%" PRIu64
        " notify_ok=%" PRIu64 " notify_fail=%" PRIu64 " cpu_us=%" PRIu64,
        S.target, S.next_sub, S.responses_2xx, S.responses_fail, S.gave_up,
        S.retrans, S.active_dialogs, S.notifies, S.n_pending,
        S.n_active_notifies, S.n_terminated, S.notify_dups, S.dgrams_in,
        S.dgrams_out, S.bad, S.send_errors, S.other_requests,
        S.subscribes_in, S.notifies_out, S.notify_ok, S.notify_fail,
        lc_self_cpu_us());
}

static void
command(char *line)
{
    g_auto(GStrv) w = g_strsplit_set(g_strstrip(line), " \t", -1);
    guint n = g_strv_length(w);

    if (n == 0 || w[0][0] == '\0')
        return;
    if (strcmp(w[0], "subscribe") == 0 && n >= 3 && S.watch) {
        uint64_t more = g_ascii_strtoull(w[1], NULL, 10);
        S.rate = g_ascii_strtod(w[2], NULL);
        if (S.rate <= 0)
            S.rate = 1000;
        S.sub_base = S.next_sub;
        S.target = MIN(S.n_subs, S.next_sub + more);
        S.sub_t0 = lc_now_ns();
    } else if (strcmp(w[0], "wait-active") == 0 && n >= 3) {
        S.wait_active = (int64_t)g_ascii_strtoull(w[1], NULL, 10);
        S.wait_active_deadline = lc_now_ns() +
                                 (uint64_t)(g_ascii_strtod(w[2], NULL) * 1e9);
    } else if (strcmp(w[0], "mark") == 0) {
        S.mark_ns = lc_now_ns();
        S.win_n = S.win_first = S.win_last = 0;
        lc_say("MARKED t_ns=%" PRIu64, S.mark_ns);
    } else if (strcmp(w[0], "wait-notifies") == 0 && n >= 3) {
        S.wait_notifies = (int64_t)g_ascii_strtoull(w[1], NULL, 10);
        S.wait_notifies_deadline =
            lc_now_ns() + (uint64_t)(g_ascii_strtod(w[2], NULL) * 1e9);
    } else if (strcmp(w[0], "stop") == 0) {
        /* no new SUBSCRIBEs (unanswered ones are still retransmitted) */
        S.target = S.next_sub;
        lc_say("STOPPED sent=%" PRIu64, S.next_sub);
    } else if (strcmp(w[0], "stats") == 0) {
        print_stats();
    } else if (strcmp(w[0], "quit") == 0) {
        S.quit = true;
    } else {
        lc_say("ERROR unknown command %s", w[0]);
    }
}

static void
check_done(uint64_t t)
{
    if (S.wait_active >= 0) {
        uint64_t done = S.active_dialogs + S.failed_dialogs;
        if (done >= (uint64_t)S.wait_active || t >= S.wait_active_deadline) {
            lc_say("ACTIVE n=%" PRIu64 " failed=%" PRIu64 " want=%" PRId64
                " ok2xx=%" PRIu64 " retrans=%" PRIu64 " last_ns=%" PRIu64
                " sent_all_ns=%" PRIu64 " t_ns=%" PRIu64 " timed_out=%d",
                S.active_dialogs, S.failed_dialogs, S.wait_active,
                S.responses_2xx, S.retrans, S.last_active_ns,
                S.sub_t0 + (uint64_t)((double)(S.target - S.sub_base) * 1e9 /
                                      (S.rate > 0 ? S.rate : 1)),
                t, done < (uint64_t)S.wait_active);
            S.wait_active = -1;
        }
    }
    if (S.wait_notifies >= 0) {
        if (S.win_n >= (uint64_t)S.wait_notifies ||
            t >= S.wait_notifies_deadline) {
            lc_say("NOTIFIES n=%" PRIu64 " want=%" PRId64 " mark_ns=%" PRIu64
                " first_ns=%" PRIu64 " last_ns=%" PRIu64 " timed_out=%d",
                S.win_n, S.wait_notifies, S.mark_ns, S.win_first, S.win_last,
                S.win_n < (uint64_t)S.wait_notifies);
            S.wait_notifies = -1;
        }
    }
}

static int
udp_socket(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int sz = (int)opt_rcvbuf;

    if (fd < 0)
        return -1;
    /* root may exceed rmem_max; otherwise take what the kernel allows */
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof sz) < 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)*port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static bool
parse_addr(const char *text, struct sockaddr_in *a)
{
    g_autofree char *host = g_strdup(text);
    char *colon = strrchr(host, ':');

    if (colon == NULL)
        return false;
    *colon = '\0';
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)atoi(colon + 1));
    return inet_pton(AF_INET, host, &a->sin_addr) == 1;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- SIP watchers / notifier for the presence benchmark");
    g_autoptr(GError) error = NULL;
    GString *line = g_string_new(NULL);
    char *buf = g_malloc(MAX_DGRAM + 1);
    bool stdin_open = true;
    uint64_t end_ns;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "sipwatchers: %s\n", error->message);
        return 2;
    }
    if (opt_mode == NULL ||
        (strcmp(opt_mode, "watch") != 0 && strcmp(opt_mode, "notify") != 0)) {
        fprintf(stderr, "sipwatchers: --mode watch|notify\n");
        return 2;
    }
    S.watch = strcmp(opt_mode, "watch") == 0;
    if (opt_user == NULL)
        opt_user = g_strdup("alice");
    if (opt_gw_domain == NULL)
        opt_gw_domain = g_strdup("gw.localhost");
    if (opt_watcher_domain == NULL)
        opt_watcher_domain = g_strdup("pbx.localhost");
    if (opt_watcher_prefix == NULL)
        opt_watcher_prefix = g_strdup("w");
    if (S.watch && (opt_gw == NULL || !parse_addr(opt_gw, &S.gw))) {
        fprintf(stderr, "sipwatchers: watch mode needs --gw HOST:PORT\n");
        return 2;
    }
    if (opt_max <= 0 || opt_max > 10000000) {
        fprintf(stderr, "sipwatchers: --max in 1..10000000\n");
        return 2;
    }
    S.n_subs = (uint64_t)opt_max;
    if (S.watch)
        S.subs = g_new0(Sub, S.n_subs);
    S.dialogs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    S.pid_tag = g_strdup_printf("%x", (unsigned)getpid());
    S.wait_active = S.wait_notifies = -1;
    S.port = opt_port;
    S.fd = udp_socket(&S.port);
    if (S.fd < 0) {
        fprintf(stderr, "sipwatchers: cannot bind UDP: %s\n",
                g_strerror(errno));
        return 2;
    }
    lc_say("LISTEN port=%d", S.port);
    end_ns = lc_now_ns() + (uint64_t)(opt_life * 1e9);

    while (!S.quit) {
        struct pollfd p[2];
        uint64_t t = lc_now_ns(), wait = 100000000u;

        if (t >= end_ns) {
            fprintf(stderr, "sipwatchers: --life reached\n");
            break;
        }
        if (S.watch)
            wait = watch_tick(t);
        check_done(t);
        p[0] = (struct pollfd){ .fd = S.fd, .events = POLLIN };
        p[1] = (struct pollfd){ .fd = stdin_open ? 0 : -1, .events = POLLIN };
        if (poll(p, 2, (int)((wait + 999999u) / 1000000u)) < 0 &&
            errno != EINTR)
            break;
        if (p[0].revents & POLLIN) {
            /* drain (bounded) the socket; one stamp per wake-up batch */
            for (int k = 0; k < 4096; k++) {
                struct sockaddr_in src;
                socklen_t sl = sizeof src;
                ssize_t n = recvfrom(S.fd, buf, MAX_DGRAM, 0,
                                     (struct sockaddr *)&src, &sl);
                if (n < 0)
                    break;
                buf[n] = '\0';
                on_datagram(buf, (size_t)n, &src, lc_now_ns());
            }
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            char in[4096];
            ssize_t got = read(0, in, sizeof in);
            if (got <= 0) {
                stdin_open = false;
            } else {
                char *nl;
                g_string_append_len(line, in, got);
                while ((nl = memchr(line->str, '\n', line->len)) != NULL) {
                    *nl = '\0';
                    command(line->str);
                    g_string_erase(line, 0, nl - line->str + 1);
                }
            }
        }
    }
    print_stats();
    close(S.fd);
    g_free(buf);
    g_string_free(line, TRUE);
    return 0;
}
