#define _GNU_SOURCE 1 /* memmem, ppoll: also when built outside CMake */
/* tests/bench/load_common.c: scanner, buffers and load loops shared by
 * compload and c2sload (see load_common.h). */
#include "load_common.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK 65536
#define MAX_READS_PER_TURN 64
#define SEND_BATCH 512          /* stanzas queued per turn at most */
#define OUT_HIGH_WATER (1 << 20) /* stop queueing above this many bytes */

static void *
xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);

    if (q == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(3);
    }
    return q;
}

uint64_t
lc_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
lc_self_cpu_us(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int
lc_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- scanner ----------------------------------------------------------- */

/* Index of the '>' closing the tag at s->buf[from] ('<'), quotes honoured;
 * comments end at "-->". false when the tag is not complete yet. */
static bool
tag_end(const LcScanner *s, size_t from, size_t *end)
{
    const char *b = s->buf;
    char quote = 0;

    if (s->len - from >= 4 && memcmp(b + from, "<!--", 4) == 0) {
        for (size_t i = from + 4; i + 2 < s->len; i++)
            if (b[i] == '-' && b[i + 1] == '-' && b[i + 2] == '>') {
                *end = i + 2;
                return true;
            }
        return false;
    }
    for (size_t i = from + 1; i < s->len; i++) {
        char ch = b[i];
        if (quote != 0) {
            if (ch == quote)
                quote = 0;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '>') {
            *end = i;
            return true;
        }
    }
    return false;
}

static bool
name_is(const char *p, size_t avail, const char *name)
{
    size_t n = strlen(name);

    return avail > n && memcmp(p, name, n) == 0 &&
           (p[n] == ' ' || p[n] == '>' || p[n] == '/' || p[n] == '\t' ||
            p[n] == '\r' || p[n] == '\n');
}

int
lc_scanner_next(LcScanner *s, LcEvent *ev, const char **xml, size_t *len)
{
    for (;;) {
        const char *lt, *t;
        size_t end, tl;
        bool closing, selfclose;

        if (s->pos >= s->len)
            return 0;
        lt = memchr(s->buf + s->pos, '<', s->len - s->pos);
        if (lt == NULL) {
            s->pos = s->len; /* character data */
            return 0;
        }
        s->pos = (size_t)(lt - s->buf);
        if (!tag_end(s, s->pos, &end))
            return 0;
        t = s->buf + s->pos;
        tl = end - s->pos + 1;
        if (tl < 3) /* "<>" */
            return -1;
        if (t[1] == '?' || t[1] == '!') { /* prolog, comment */
            s->pos = end + 1;
            continue;
        }
        closing = t[1] == '/';
        selfclose = t[tl - 2] == '/';
        if (!s->in_elem) {
            if (!closing && name_is(t + 1, tl - 1, "stream:stream")) {
                *ev = LC_EV_STREAM_OPEN;
            } else if (closing && name_is(t + 2, tl - 2, "stream:stream")) {
                *ev = LC_EV_STREAM_CLOSE;
            } else if (closing) {
                return -1;
            } else if (selfclose) {
                *ev = LC_EV_ELEMENT;
            } else {
                s->in_elem = true;
                s->start = s->pos;
                s->depth = 1;
                s->pos = end + 1;
                continue;
            }
            *xml = t;
            *len = tl;
            s->pos = end + 1;
            return 1;
        }
        if (closing)
            s->depth--;
        else if (!selfclose)
            s->depth++;
        s->pos = end + 1;
        if (s->depth == 0) {
            s->in_elem = false;
            *ev = LC_EV_ELEMENT;
            *xml = s->buf + s->start;
            *len = s->pos - s->start;
            return 1;
        }
    }
}

/* Room for `want` more bytes; drops what the scanner no longer needs. */
static char *
scanner_space(LcScanner *s, size_t want)
{
    size_t keep = s->in_elem ? s->start : s->pos;

    if (keep > 0) {
        memmove(s->buf, s->buf + keep, s->len - keep);
        s->len -= keep;
        s->pos -= keep;
        if (s->in_elem)
            s->start = 0;
    }
    if (s->cap - s->len < want) {
        s->cap = s->len + want + s->cap / 2;
        s->buf = xrealloc(s->buf, s->cap);
    }
    return s->buf + s->len;
}

/* ---- output ------------------------------------------------------------ */

static void
out_reserve(LcOut *o, size_t n)
{
    if (o->pos > 0 && (o->pos == o->len || o->pos > o->cap / 2)) {
        memmove(o->buf, o->buf + o->pos, o->len - o->pos);
        o->len -= o->pos;
        o->pos = 0;
    }
    if (o->cap - o->len < n) {
        o->cap = o->len + n + o->cap;
        o->buf = xrealloc(o->buf, o->cap);
    }
}

void
lc_out_append(LcOut *o, const char *data, size_t n)
{
    out_reserve(o, n);
    memcpy(o->buf + o->len, data, n);
    o->len += n;
}

void
lc_out_printf(LcOut *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    out_reserve(o, 512);
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= o->cap - o->len) {
        out_reserve(o, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
    }
    o->len += (size_t)n;
}

/* ---- connection -------------------------------------------------------- */

void
lc_conn_init(LcConn *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    lc_set_nonblock(fd);
}

void
lc_conn_close(LcConn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->in.buf);
    free(c->out.buf);
    c->in.buf = NULL;
    c->out.buf = NULL;
}

int
lc_conn_flush(LcConn *c)
{
    LcOut *o = &c->out;

    while (o->pos < o->len) {
        ssize_t n = write(c->fd, o->buf + o->pos, o->len - o->pos);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        o->pos += (size_t)n;
        c->bytes_out += (uint64_t)n;
    }
    o->pos = o->len = 0;
    return 0;
}

int
lc_conn_read(LcConn *c)
{
    for (int i = 0; i < MAX_READS_PER_TURN; i++) {
        char *p = scanner_space(&c->in, READ_CHUNK);
        ssize_t n = read(c->fd, p, READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        if (n == 0) {
            c->eof = true;
            return 0;
        }
        c->in.len += (size_t)n;
        c->bytes_in += (uint64_t)n;
        if ((size_t)n < READ_CHUNK)
            return 0;
    }
    return 0;
}

static int
ms_left(uint64_t deadline)
{
    uint64_t now = lc_now_ns();

    return now >= deadline ? 0 : (int)((deadline - now) / 1000000u) + 1;
}

int
lc_conn_send_all(LcConn *c, const char *text, int timeout_ms)
{
    uint64_t deadline = lc_now_ns() + (uint64_t)timeout_ms * 1000000u;

    lc_out_append(&c->out, text, strlen(text));
    for (;;) {
        struct pollfd p = { .fd = c->fd, .events = POLLOUT };
        if (lc_conn_flush(c) < 0)
            return -1;
        if (lc_out_pending(&c->out) == 0)
            return 0;
        if (ms_left(deadline) == 0 || poll(&p, 1, ms_left(deadline)) < 0)
            return -1;
    }
}

int
lc_conn_wait(LcConn *c, int timeout_ms, LcEvent *ev, const char **xml,
             size_t *len)
{
    uint64_t deadline = lc_now_ns() + (uint64_t)timeout_ms * 1000000u;

    for (;;) {
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        int r = lc_scanner_next(&c->in, ev, xml, len);
        if (r != 0)
            return r;
        if (c->eof)
            return -1;
        if (lc_conn_flush(c) < 0)
            return -1;
        if (lc_out_pending(&c->out) > 0)
            p.events |= POLLOUT;
        if (ms_left(deadline) == 0)
            return 0;
        if (poll(&p, 1, ms_left(deadline)) < 0 && errno != EINTR)
            return -1;
        if ((p.revents & (POLLIN | POLLHUP | POLLERR)) && lc_conn_read(c) < 0)
            return -1;
    }
}

/* ---- XML helpers ------------------------------------------------------- */

const char *
lc_find(const char *xml, size_t len, const char *needle)
{
    return memmem(xml, len, needle, strlen(needle));
}

bool
lc_is_elem(const char *xml, size_t len, const char *name)
{
    return len > 1 && xml[0] == '<' && name_is(xml + 1, len - 1, name);
}

bool
lc_attr(const char *xml, size_t len, const char *name, const char **value,
        size_t *value_len)
{
    size_t n = strlen(name);
    char quote = 0;

    for (size_t i = 1; i < len; i++) {
        char ch = xml[i];
        if (quote != 0) {
            if (ch == quote)
                quote = 0;
            continue;
        }
        if (ch == '\'' || ch == '"') {
            quote = ch;
            continue;
        }
        if (ch == '>')
            return false;
        if ((ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') &&
            i + n + 2 < len && memcmp(xml + i + 1, name, n) == 0 &&
            xml[i + 1 + n] == '=' &&
            (xml[i + 2 + n] == '\'' || xml[i + 2 + n] == '"')) {
            const char *v = xml + i + 3 + n;
            const char *e = memchr(v, xml[i + 2 + n], len - (i + 3 + n));
            if (e == NULL)
                return false;
            *value = v;
            *value_len = (size_t)(e - v);
            return true;
        }
    }
    return false;
}

bool
lc_attr_is(const char *xml, size_t len, const char *name, const char *want)
{
    const char *v;
    size_t vl;

    return lc_attr(xml, len, name, &v, &vl) && vl == strlen(want) &&
           memcmp(v, want, vl) == 0;
}

/* Whether the stanza's from= is a JID of `domain` (local@domain[/res] or
 * domain[/res]). */
static bool
from_domain_is(const char *xml, size_t len, const char *domain)
{
    const char *v, *at, *slash;
    size_t vl, dl = strlen(domain);

    if (!lc_attr(xml, len, "from", &v, &vl))
        return false;
    slash = memchr(v, '/', vl);
    if (slash != NULL)
        vl = (size_t)(slash - v);
    at = memchr(v, '@', vl);
    if (at != NULL) {
        vl -= (size_t)(at + 1 - v);
        v = at + 1;
    }
    return vl == dl && memcmp(v, domain, dl) == 0;
}

/* ---- load runs --------------------------------------------------------- */

enum { ST_UNSENT, ST_SENT, ST_DONE };

typedef struct {
    const LcRunCfg *cfg;
    LcResult *r;
    uint64_t *sent_at;
    uint8_t *state;
    char *body;
    uint64_t last_sent; /* ns */
} SendRun;

/* seq from an id "b<seq>", or UINT64_MAX */
static uint64_t
parse_id(const char *v, size_t vl)
{
    uint64_t seq = 0;

    if (vl < 2 || vl > 20 || v[0] != 'b')
        return UINT64_MAX;
    for (size_t i = 1; i < vl; i++) {
        if (v[i] < '0' || v[i] > '9')
            return UINT64_MAX;
        seq = seq * 10 + (uint64_t)(v[i] - '0');
    }
    return seq;
}

static void
answered(SendRun *sr, uint64_t seq, bool ok, uint64_t now)
{
    LcResult *r = sr->r;

    if (seq >= sr->cfg->count || sr->state[seq] != ST_SENT) {
        r->unexpected++;
        return;
    }
    sr->state[seq] = ST_DONE;
    if (ok)
        r->ok++;
    else
        r->failed++;
    r->t_last = now;
    if (ok) {
        uint64_t us = (now - sr->sent_at[seq]) / 1000u;
        r->lat_us[r->n_lat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    }
    /* keep the latency by seq for the trace: sent_at becomes it */
    sr->sent_at[seq] = ok ? (now - sr->sent_at[seq]) / 1000u : UINT64_MAX;
}

static void
write_trace(const SendRun *sr, uint64_t t0, const uint64_t *sent_us)
{
    FILE *f = fopen(sr->cfg->trace, "w");

    if (f == NULL) {
        perror(sr->cfg->trace);
        return;
    }
    for (uint64_t i = 0; i < sr->r->sent; i++) {
        if (sr->state[i] == ST_DONE && sr->sent_at[i] != UINT64_MAX)
            fprintf(f, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", i, sent_us[i],
                    sr->sent_at[i]);
        else
            fprintf(f, "%" PRIu64 " %" PRIu64 " -1\n", i, sent_us[i]);
    }
    fclose(f);
    (void)t0;
}

static void
on_answer(SendRun *sr, const char *xml, size_t len, uint64_t now)
{
    const char *v, *rc;
    size_t vl;

    if (!lc_is_elem(xml, len, "message")) {
        if (!lc_is_elem(xml, len, "presence") && !lc_is_elem(xml, len, "iq"))
            sr->r->unexpected++;
        return;
    }
    if (lc_attr_is(xml, len, "type", "error")) {
        if (sr->r->failed < 3) /* say why, once or twice */
            fprintf(stderr, "error answer: %.*s\n", (int)(len < 600 ? len : 600),
                    xml);
        if (lc_attr(xml, len, "id", &v, &vl))
            answered(sr, parse_id(v, vl), false, now);
        else
            sr->r->unexpected++;
        return;
    }
    rc = lc_find(xml, len, "<received");
    if (rc != NULL &&
        lc_attr(rc, len - (size_t)(rc - xml), "id", &v, &vl)) {
        answered(sr, parse_id(v, vl), true, now);
        return;
    }
    sr->r->unexpected++;
}

static void
queue_message(SendRun *sr, LcConn *c, uint64_t seq)
{
    const LcRunCfg *cfg = sr->cfg;

    lc_out_printf(&c->out, "<message type='chat'");
    if (cfg->from != NULL)
        lc_out_printf(&c->out, " from='%s'", cfg->from);
    lc_out_printf(&c->out,
                  " to='%s' id='b%" PRIu64 "'><body>message %" PRIu64
                  " %s</body>%s</message>",
                  cfg->to, seq, seq, sr->body,
                  cfg->no_receipts ? ""
                                   : "<request xmlns='urn:xmpp:receipts'/>");
}

static int
ns_to_timespec_poll(struct pollfd *p, uint64_t wait_ns)
{
    struct timespec ts = { .tv_sec = (time_t)(wait_ns / 1000000000u),
                           .tv_nsec = (long)(wait_ns % 1000000000u) };
    return ppoll(p, 1, &ts, NULL);
}

static void
result_init(LcResult *r, const char *mode, uint64_t count)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->lat_us = calloc(count ? count : 1, sizeof *r->lat_us);
    if (r->lat_us == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(3);
    }
}

int
lc_run_send(LcConn *c, const LcRunCfg *cfg, LcResult *r)
{
    SendRun sr = { .cfg = cfg, .r = r };
    uint64_t cpu0 = lc_self_cpu_us();
    uint64_t t0, deadline, end_at = 0;
    size_t blen = cfg->body_bytes;
    uint64_t *sent_us = NULL;

    result_init(r, "send", cfg->count);
    sr.sent_at = calloc(cfg->count ? cfg->count : 1, sizeof *sr.sent_at);
    sr.state = calloc(cfg->count ? cfg->count : 1, 1);
    sr.body = malloc(blen + 1);
    if (sr.sent_at == NULL || sr.state == NULL || sr.body == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(3);
    }
    for (size_t i = 0; i < blen; i++)
        sr.body[i] = (char)('a' + (char)(i % 26));
    sr.body[blen] = '\0';

    if (cfg->trace != NULL)
        sent_us = calloc(cfg->count, sizeof *sent_us);
    t0 = lc_now_ns();
    r->t_begin = t0;
    deadline = t0 + (uint64_t)(cfg->timeout_s * 1e9);
    for (;;) {
        uint64_t now = lc_now_ns(), inflight, want, wait_ns = 100000000u;
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        const char *xml;
        size_t len;
        LcEvent ev;
        int rc;

        /* without receipts nothing is in flight for us: only errors come
         * back, and the run ends a drain time after the last send */
        inflight = cfg->no_receipts ? 0 : r->sent - r->ok - r->failed;
        if (!cfg->no_receipts && r->ok + r->failed >= cfg->count)
            break;
        if (now >= deadline) {
            r->timed_out = true;
            break;
        }
        if (r->sent == cfg->count) {
            if (end_at == 0)
                end_at = now + (uint64_t)(cfg->drain_s * 1e9);
            if (now >= end_at)
                break;
        }
        /* what is due now */
        want = cfg->count;
        if (cfg->rate > 0) {
            double due = (double)(now - t0) * cfg->rate / 1e9 + 1.0;
            want = due < (double)cfg->count ? (uint64_t)due : cfg->count;
        }
        if (want > r->sent) {
            uint64_t n = want - r->sent;
            if (cfg->window > 0)
                n = inflight >= cfg->window ? 0
                                            : (n < cfg->window - inflight
                                                   ? n
                                                   : cfg->window - inflight);
            if (n > SEND_BATCH)
                n = SEND_BATCH;
            if (lc_out_pending(&c->out) > OUT_HIGH_WATER)
                n = 0;
            for (uint64_t i = 0; i < n; i++) {
                uint64_t seq = r->sent++;
                queue_message(&sr, c, seq);
                sr.sent_at[seq] = now;
                sr.state[seq] = ST_SENT;
                if (sent_us != NULL)
                    sent_us[seq] = (now - t0) / 1000u;
                if (r->t_first == 0)
                    r->t_first = now;
                sr.last_sent = now;
            }
        }
        if (lc_conn_flush(c) < 0) {
            r->link_lost = true;
            break;
        }
        /* sleep until the next one is due, or an answer comes */
        if (r->sent < cfg->count &&
            (cfg->window == 0 || inflight < cfg->window)) {
            if (cfg->rate > 0) {
                double next = (double)(r->sent) * 1e9 / cfg->rate;
                uint64_t at = t0 + (uint64_t)next;
                wait_ns = at > now ? at - now : 0;
            } else {
                wait_ns = 0;
            }
        }
        if (lc_out_pending(&c->out) > 0) {
            p.events |= POLLOUT;
            if (lc_out_pending(&c->out) > OUT_HIGH_WATER)
                wait_ns = 100000000u; /* until the socket takes more */
        }
        rc = ns_to_timespec_poll(&p, wait_ns);
        if (rc < 0 && errno != EINTR) {
            r->link_lost = true;
            break;
        }
        if (rc > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
            if (lc_conn_read(c) < 0) {
                r->link_lost = true;
                break;
            }
            now = lc_now_ns();
            while ((rc = lc_scanner_next(&c->in, &ev, &xml, &len)) > 0) {
                if (ev == LC_EV_ELEMENT)
                    on_answer(&sr, xml, len, now);
                else if (ev == LC_EV_STREAM_CLOSE)
                    c->eof = true;
            }
            if (rc < 0) {
                fprintf(stderr, "malformed XML from the peer\n");
                r->link_lost = true;
                break;
            }
            if (c->eof) {
                r->link_lost = true;
                break;
            }
        }
    }
    if (cfg->no_receipts) {
        /* sent and not bounced; t_last: the last send */
        r->ok = r->sent - r->failed;
        r->t_last = sr.last_sent;
    }
    r->cpu_us = lc_self_cpu_us() - cpu0;
    if (sent_us != NULL)
        write_trace(&sr, t0, sent_us);
    free(sent_us);
    free(sr.sent_at);
    free(sr.state);
    free(sr.body);
    return 0;
}

static uint64_t
realtime_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* A body "ts=DATE\tTIME\tEPOCH.USEC ..." (SIPp's [timestamp]): the send
 * time in us since the epoch, or 0. */
static uint64_t
body_stamp_us(const char *xml, size_t len)
{
    const char *p = lc_find(xml, len, "<body>ts=");
    const char *end = xml + len;
    uint64_t sec = 0, usec = 0;
    int tabs = 0, digits = 0;

    if (p == NULL)
        return 0;
    for (p += 9; p < end && tabs < 2; p++)
        if (*p == '\t')
            tabs++;
    if (tabs < 2)
        return 0;
    for (; p < end && *p >= '0' && *p <= '9'; p++)
        sec = sec * 10 + (uint64_t)(*p - '0');
    if (p >= end || *p != '.')
        return 0;
    for (p++; p < end && *p >= '0' && *p <= '9' && digits < 6; p++, digits++)
        usec = usec * 10 + (uint64_t)(*p - '0');
    for (; digits < 6; digits++)
        usec *= 10;
    return sec * 1000000u + usec;
}

/* An <iq type='get'> (the gateway's XEP-0199 pings, which confirm its
 * MESSAGEs): a server answers every one (RFC 6120 8.2.3), a result will
 * do. Counted apart from the messages. */
static void
answer_iq_get(LcConn *c, const char *xml, size_t len)
{
    const char *from = "", *to = "", *id = "";
    size_t fl = 0, tl = 0, il = 0;

    lc_attr(xml, len, "from", &from, &fl);
    lc_attr(xml, len, "to", &to, &tl);
    lc_attr(xml, len, "id", &id, &il);
    lc_out_printf(&c->out, "<iq type='result' from='%.*s' to='%.*s' "
                           "id='%.*s'/>",
                  (int)tl, to, (int)fl, from, (int)il, id);
}

int
lc_run_recv(LcConn *c, const LcRunCfg *cfg, LcResult *r)
{
    uint64_t cpu0 = lc_self_cpu_us();
    uint64_t t0 = lc_now_ns();
    uint64_t deadline = t0 + (uint64_t)(cfg->timeout_s * 1e9);
    uint64_t idle_ns = (uint64_t)(cfg->idle_s * 1e9);
    /* once all have come, go on answering pings until 0.3 s without any:
     * the gateway answers its last MESSAGEs only when their ping is */
    uint64_t settle_ns = 300000000u, t_quiet = 0;

    result_init(r, "recv", cfg->count);
    r->t_begin = t0;
    for (;;) {
        uint64_t now = lc_now_ns(), wait_ns;
        struct pollfd p = { .fd = c->fd, .events = POLLIN };
        const char *xml;
        size_t len;
        LcEvent ev;
        int rc;

        if (cfg->count > 0 && r->received + r->bad >= cfg->count) {
            if (t_quiet == 0)
                t_quiet = now;
            if (lc_out_pending(&c->out) == 0 && now - t_quiet >= settle_ns)
                break;
        }
        if (now >= deadline) {
            r->timed_out = true;
            break;
        }
        if (r->t_last != 0 && now - r->t_last >= idle_ns &&
            (t_quiet == 0 || now - t_quiet >= settle_ns))
            break;
        wait_ns = deadline - now;
        if (r->t_last != 0 && r->t_last + idle_ns - now < wait_ns)
            wait_ns = r->t_last + idle_ns - now;
        if (t_quiet != 0 && t_quiet + settle_ns > now &&
            t_quiet + settle_ns - now < wait_ns)
            wait_ns = t_quiet + settle_ns - now;
        if (t_quiet != 0 && t_quiet + settle_ns <= now)
            wait_ns = wait_ns < 1000000u ? wait_ns : 1000000u;
        if (lc_out_pending(&c->out) > 0)
            p.events |= POLLOUT;
        rc = ns_to_timespec_poll(&p, wait_ns);
        if (rc < 0 && errno != EINTR) {
            r->link_lost = true;
            break;
        }
        if (lc_conn_flush(c) < 0) {
            r->link_lost = true;
            break;
        }
        if (rc <= 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        if (lc_conn_read(c) < 0) {
            r->link_lost = true;
            break;
        }
        now = lc_now_ns();
        while ((rc = lc_scanner_next(&c->in, &ev, &xml, &len)) > 0) {
            if (ev == LC_EV_STREAM_CLOSE) {
                c->eof = true;
                continue;
            }
            if (ev == LC_EV_ELEMENT && lc_is_elem(xml, len, "iq") &&
                lc_attr_is(xml, len, "type", "get")) {
                answer_iq_get(c, xml, len);
                r->iqs++;
                if (t_quiet != 0)
                    t_quiet = now;
                continue;
            }
            if (ev != LC_EV_ELEMENT || !lc_is_elem(xml, len, "message"))
                continue;
            if (cfg->from_domain != NULL &&
                !from_domain_is(xml, len, cfg->from_domain)) {
                r->stray++; /* neither counted nor timed */
                continue;
            }
            if (lc_attr_is(xml, len, "type", "error") ||
                lc_find(xml, len, "<body") == NULL) {
                r->bad++;
            } else {
                uint64_t sent_us = body_stamp_us(xml, len);
                r->received++;
                if (r->t_first == 0)
                    r->t_first = now;
                if (sent_us != 0 && r->n_lat < cfg->count) {
                    uint64_t now_us = realtime_us();
                    uint64_t us = now_us > sent_us ? now_us - sent_us : 0;
                    r->lat_us[r->n_lat++] =
                        us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
                }
            }
            r->t_last = now;
        }
        if (rc < 0) {
            fprintf(stderr, "malformed XML from the peer\n");
            r->link_lost = true;
            break;
        }
        if (c->eof) {
            r->link_lost = true;
            break;
        }
    }
    r->cpu_us = lc_self_cpu_us() - cpu0;
    return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static double
pct(const uint32_t *v, size_t n, double p)
{
    size_t i;

    if (n == 0)
        return 0;
    i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

void
lc_print_result(const char *prog, LcResult *r)
{
    double secs = r->t_last > r->t_first
                      ? (double)(r->t_last - r->t_first) / 1e9
                      : 0;
    uint64_t done = strcmp(r->mode, "send") == 0 ? r->ok + r->failed
                                                  : r->received;
    double rate = secs > 0 && done > 1 ? (double)(done - 1) / secs : 0;
    double p50 = 0, p99 = 0, pmax = 0;

    if (r->n_lat > 0) {
        qsort(r->lat_us, r->n_lat, sizeof *r->lat_us, cmp_u32);
        p50 = pct(r->lat_us, r->n_lat, 50);
        p99 = pct(r->lat_us, r->n_lat, 99);
        pmax = r->lat_us[r->n_lat - 1];
    }
    if (strcmp(r->mode, "send") == 0) {
        fprintf(stderr,
                "%s: sent %" PRIu64 ", receipts %" PRIu64 ", errors %" PRIu64
                ", unanswered %" PRIu64 ", unexpected %" PRIu64
                " in %.3f s = %.0f msg/s; latency p50 %.0f us, p99 %.0f us,"
                " max %.0f us; own CPU %.3f s%s%s\n",
                prog, r->sent, r->ok, r->failed, r->sent - r->ok - r->failed,
                r->unexpected, secs, rate, p50, p99, pmax,
                (double)r->cpu_us / 1e6, r->timed_out ? " (timed out)" : "",
                r->link_lost ? " (link lost)" : "");
    } else {
        fprintf(stderr,
                "%s: received %" PRIu64 " messages (%" PRIu64
                " errors/bodiless) in %.3f s = %.0f msg/s; SIP send -> "
                "stanza p50 %.0f us, p99 %.0f us, max %.0f us (%zu stamped);"
                " %" PRIu64 " iq pings answered; own CPU %.3f s%s%s\n",
                prog, r->received, r->bad, secs, rate, p50, p99, pmax,
                r->n_lat, r->iqs, (double)r->cpu_us / 1e6,
                r->timed_out ? " (timed out)" : "",
                r->link_lost ? " (link lost)" : "");
    }
    printf("RESULT mode=%s sent=%" PRIu64 " ok=%" PRIu64 " failed=%" PRIu64
           " unexpected=%" PRIu64 " received=%" PRIu64 " bad=%" PRIu64
           " secs=%.6f rate=%.1f p50_us=%.0f p99_us=%.0f max_us=%.0f"
           " cpu_us=%" PRIu64 " iqs=%" PRIu64 " stray=%" PRIu64
           " timed_out=%d link_lost=%d\n",
           r->mode, r->sent, r->ok, r->failed, r->unexpected, r->received,
           r->bad, secs, rate, p50, p99, pmax, r->cpu_us, r->iqs, r->stray,
           r->timed_out, r->link_lost);
    fflush(stdout);
    free(r->lat_us);
    r->lat_us = NULL;
}

bool
lc_wait_go(double timeout_s)
{
    struct pollfd p = { .fd = 0, .events = POLLIN };
    char line[64];
    ssize_t n;

    if (poll(&p, 1, (int)(timeout_s * 1000)) <= 0)
        return false;
    n = read(0, line, sizeof line);
    return n > 0;
}

void
lc_say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

/* ---- command line ------------------------------------------------------ */

const GOptionEntry *
lc_run_option_entries(LcRunOpts *o)
{
    const GOptionEntry e[] = {
        { "count", 'n', 0, G_OPTION_ARG_INT64, &o->count,
          "messages to send / expect", "N" },
        { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &o->rate,
          "messages per second (0: window-bound)", "R" },
        { "window", 'w', 0, G_OPTION_ARG_INT64, &o->window,
          "most messages awaiting an answer (0: unbounded)", "W" },
        { "body-bytes", 0, 0, G_OPTION_ARG_INT64, &o->body,
          "filler bytes in each body", "B" },
        { "timeout", 't', 0, G_OPTION_ARG_DOUBLE, &o->timeout,
          "seconds the run may take at most", "S" },
        { "idle", 0, 0, G_OPTION_ARG_DOUBLE, &o->idle,
          "receiving: stop this long after the last message", "S" },
        { "drain", 0, 0, G_OPTION_ARG_DOUBLE, &o->drain,
          "sending: wait this long for the last answers", "S" },
        { "wait-go", 0, 0, G_OPTION_ARG_NONE, &o->wait_go,
          "after READY, wait for a line on stdin before the run", NULL },
        { "trace", 0, 0, G_OPTION_ARG_FILENAME, &o->trace,
          "sending: write 'seq sent_us latency_us' lines here", "F" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    static GOptionEntry entries[G_N_ELEMENTS(e)];

    *o = (LcRunOpts){ .count = 10000, .window = 2000, .body = 40,
                      .timeout = 60, .idle = 3, .drain = 5 };
    memcpy(entries, e, sizeof e);
    return entries;
}

bool
lc_run_opts_apply(const LcRunOpts *o, LcRunCfg *cfg)
{
    if (o->count <= 0 || o->count > 50000000 || o->timeout <= 0 ||
        o->timeout > 600 || o->body < 0 || o->body > 65536 || o->rate < 0 ||
        o->window < 0)
        return false;
    cfg->count = (uint64_t)o->count;
    cfg->rate = o->rate;
    cfg->window = (uint64_t)o->window;
    cfg->body_bytes = (size_t)o->body;
    cfg->timeout_s = o->timeout;
    cfg->idle_s = o->idle;
    cfg->drain_s = o->drain;
    cfg->trace = o->trace;
    return true;
}

/* ---- the XEP-0114 server side (compload, xmpppeer) ------------------- */

int
lc_listen_loopback(int *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof a;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)*port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

bool
lc_write_port_file(const char *path, int port)
{
    g_autofree char *tmp = g_strdup_printf("%s.tmp", path);
    g_autofree char *text = g_strdup_printf("%d\n", port);

    return g_file_set_contents(tmp, text, -1, NULL) && rename(tmp, path) == 0;
}

bool
lc_component_accept(LcConn *c, const char *prog, const char *domain,
                    const char *secret)
{
    LcEvent ev;
    const char *xml, *v;
    size_t len, vl;
    char id[32];
    g_autofree char *reply = NULL, *want = NULL, *got = NULL;
    g_autofree char *idsecret = NULL;

    if (lc_conn_wait(c, 10000, &ev, &xml, &len) != 1 ||
        ev != LC_EV_STREAM_OPEN) {
        fprintf(stderr, "%s: no stream header from the gateway\n", prog);
        return FALSE;
    }
    if (!lc_attr(xml, len, "to", &v, &vl) || vl != strlen(domain) ||
        memcmp(v, domain, vl) != 0)
        fprintf(stderr, "%s: stream to '%.*s', expected '%s'\n", prog,
                (int)(lc_attr(xml, len, "to", &v, &vl) ? vl : 0),
                lc_attr(xml, len, "to", &v, &vl) ? v : "", domain);
    g_snprintf(id, sizeof id, "cl%08x", g_random_int());
    reply = g_strdup_printf(
        "<?xml version='1.0'?><stream:stream "
        "xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns='jabber:component:accept' from='%s' id='%s'>",
        domain, id);
    if (lc_conn_send_all(c, reply, 5000) < 0)
        return FALSE;
    if (lc_conn_wait(c, 10000, &ev, &xml, &len) != 1 ||
        ev != LC_EV_ELEMENT || !lc_is_elem(xml, len, "handshake")) {
        fprintf(stderr, "%s: no <handshake> from the gateway\n", prog);
        return FALSE;
    }
    {
        const char *gt = memchr(xml, '>', len);
        const char *lt = gt ? memchr(gt, '<', len - (size_t)(gt - xml)) : NULL;
        got = gt && lt ? g_strndup(gt + 1, (gsize)(lt - gt - 1)) : g_strdup("");
    }
    idsecret = g_strconcat(id, secret, NULL);
    want = g_compute_checksum_for_string(G_CHECKSUM_SHA1, idsecret, -1);
    if (g_ascii_strcasecmp(g_strstrip(got), want) != 0) {
        lc_conn_send_all(c,
                         "<stream:error><not-authorized "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                         "</stream:error></stream:stream>",
                         1000);
        fprintf(stderr, "%s: wrong handshake '%s' (want '%s')\n", prog, got,
                want);
        return FALSE;
    }
    return lc_conn_send_all(c, "<handshake/>", 5000) == 0;
}
