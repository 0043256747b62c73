/* Unit tests of the gateway's pure parts: the error table, stanza text
 * helpers, the rate limiter; and the XMPP link's confirmations against a
 * scripted component server on loopback (in this process, on the same
 * main loop, so each step is deterministic). */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_alloc.h>
#include <sofia-sip/url.h>

#include "error_map.h"
#include "gw_config.h"
#include "gw_error.h"
#include "map.h"
#include "num_text.h"
#include "pool.h"
#include "ratelimit.h"
#include "stanza.h"
#include "strophe_quiet.h"
#include "xmpp_directory.h"
#include "xmpp_link.h"

static void
test_sip_to_xmpp(void)
{
    static const struct {
        int status;
        const char *condition, *type;
    } rows[] = {
        { 403, "forbidden", "auth" },
        { 404, "item-not-found", "cancel" },
        { 604, "item-not-found", "cancel" },
        { 408, "remote-server-timeout", "wait" },
        { 480, "recipient-unavailable", "wait" },
        { 486, "recipient-unavailable", "wait" },
        { 600, "recipient-unavailable", "wait" },
        { 413, "policy-violation", "modify" },
        { 415, "not-acceptable", "modify" },
        { 488, "not-acceptable", "modify" },
        { 500, "internal-server-error", "cancel" },
        { 503, "service-unavailable", "cancel" },
        { 302, "redirect", "modify" },
        { 499, "bad-request", "modify" },      /* class default */
        { 599, "internal-server-error", "cancel" },
        { 699, "service-unavailable", "cancel" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        GwStanzaError e = gw_errmap_sip_to_xmpp(rows[i].status);
        g_assert_cmpstr(e.condition, ==, rows[i].condition);
        g_assert_cmpstr(e.type, ==, rows[i].type);
    }
}

static void
test_xmpp_to_sip(void)
{
    g_assert_cmpint(gw_errmap_xmpp_to_sip("item-not-found"), ==, 404);
    g_assert_cmpint(gw_errmap_xmpp_to_sip("service-unavailable"), ==, 503);
    g_assert_cmpint(gw_errmap_xmpp_to_sip("recipient-unavailable"), ==, 480);
    g_assert_cmpint(gw_errmap_xmpp_to_sip("remote-server-timeout"), ==, 408);
    g_assert_cmpint(gw_errmap_xmpp_to_sip("no-such-condition"), ==, 400);
    g_assert_cmpint(gw_errmap_xmpp_to_sip(NULL), ==, 400);
    /* call setup toward one client: it is gone or takes no Jingle */
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("service-unavailable"), ==,
                    480);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call(NULL), ==, 480);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("item-not-found"), ==, 404);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("forbidden"), ==, 403);
    /* no 3xx without Contact, 401 without WWW-Authenticate, 405
     * without Allow (RFC 3261 21.3.3, 21.4.2, 21.4.6) */
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("redirect"), ==, 480);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("not-authorized"), ==, 403);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("feature-not-implemented"),
                    ==, 488);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("not-allowed"), ==, 403);
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("gone"), ==, 410);
}

/* A <message> bounced for a SIP MESSAGE: the call table's choices (no
 * 503 for a user who is not there, no code that needs a header we cannot
 * give), and never 408 to a non-INVITE (RFC 4320 4.2). Every RFC 6120
 * condition gets a code >= 400 with its phrase. */
static void
test_xmpp_to_sip_message(void)
{
    static const struct {
        const char *condition;
        int status;
        const char *phrase;
    } rows[] = {
        { "service-unavailable", 480, "Temporarily Unavailable" },
        { NULL, 480, "Temporarily Unavailable" },
        { "recipient-unavailable", 480, "Temporarily Unavailable" },
        { "item-not-found", 404, "Not Found" },
        { "remote-server-not-found", 404, "Not Found" },
        { "forbidden", 403, "Forbidden" },
        { "not-allowed", 403, "Forbidden" },
        { "not-authorized", 403, "Forbidden" },
        { "redirect", 480, "Temporarily Unavailable" },
        { "gone", 410, "Gone" },
        { "feature-not-implemented", 488, "Not Acceptable Here" },
        { "remote-server-timeout", 504, "Server Time-out" },
        { "internal-server-error", 500, "Server Internal Error" },
        { "no-such-condition", 400, "Bad Request" },
    };
    static const char *const conditions[] = {
        "bad-request", "conflict", "feature-not-implemented", "forbidden",
        "gone", "internal-server-error", "item-not-found", "jid-malformed",
        "not-acceptable", "not-allowed", "not-authorized",
        "payment-required", "policy-violation", "recipient-unavailable",
        "redirect", "registration-required", "remote-server-not-found",
        "remote-server-timeout", "resource-constraint",
        "service-unavailable", "subscription-required",
        "undefined-condition", "unexpected-request",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        const char *phrase = NULL;
        int status = gw_errmap_xmpp_to_sip_message(rows[i].condition, &phrase);
        g_assert_cmpint(status, ==, rows[i].status);
        g_assert_cmpstr(phrase, ==, rows[i].phrase);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(conditions); i++) {
        const char *phrase = NULL;
        int status = gw_errmap_xmpp_to_sip_message(conditions[i], &phrase);
        g_assert_cmpint(status, >=, 400);
        g_assert_true(status != 401 && status != 405 && status != 408 &&
                      status != 503);
        g_assert_cmpstr(phrase, !=, "Error");
    }
    g_assert_cmpint(gw_errmap_xmpp_to_sip_message("gone", NULL), ==, 410);
    /* the call path keeps Table 1's 408 for an INVITE */
    g_assert_cmpint(gw_errmap_xmpp_to_sip_call("remote-server-timeout"), ==,
                    408);
}

static void
test_from_gerror(void)
{
    g_autoptr(GError) e = g_error_new_literal(GW_ERROR, GW_ERROR_TOO_LARGE,
                                              "x");
    GwStanzaError x;
    int status;
    const char *phrase;

    gw_errmap_from_gerror(e, &x, &status, &phrase);
    g_assert_cmpstr(x.condition, ==, "policy-violation");
    g_assert_cmpint(status, ==, 413);
    g_clear_error(&e);
    e = g_error_new_literal(MAP_ERROR, MAP_ERROR_NO_RULE, "x");
    gw_errmap_from_gerror(e, &x, &status, &phrase);
    g_assert_cmpstr(x.condition, ==, "item-not-found");
    g_assert_cmpint(status, ==, 404);
    g_clear_error(&e);
    /* the XMPP side did not confirm in time: 504 to the MESSAGE, not
     * 408 (RFC 4320 4.2); the link lost first: 503 */
    e = g_error_new_literal(GW_ERROR, GW_ERROR_TIMEOUT, "x");
    gw_errmap_from_gerror(e, &x, &status, &phrase);
    g_assert_cmpstr(x.condition, ==, "remote-server-timeout");
    g_assert_cmpint(status, ==, 504);
    g_assert_cmpstr(phrase, ==, "Server Time-out");
    g_clear_error(&e);
    e = g_error_new_literal(GW_ERROR, GW_ERROR_LINK_DOWN, "x");
    gw_errmap_from_gerror(e, &x, &status, &phrase);
    g_assert_cmpint(status, ==, 503);
    g_clear_error(&e);
    e = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
    gw_errmap_from_gerror(e, &x, &status, &phrase);
    g_assert_cmpstr(x.condition, ==, "internal-server-error");
    g_assert_cmpint(status, ==, 500);
}

static void
test_escape(void)
{
    g_autoptr(GString) s = g_string_new(NULL);

    gw_xml_append_escaped(s, "a<b>&\"c'\r");
    g_assert_cmpstr(s->str, ==, "a&lt;b&gt;&amp;&quot;c&apos;&#13;");
    g_string_truncate(s, 0);
    gw_xml_append_attr(s, "to", "x'y");
    gw_xml_append_attr(s, "id", NULL);
    g_assert_cmpstr(s->str, ==, " to='x&apos;y'");
    g_string_truncate(s, 0);
    gw_xml_append_escaped(s, "");
    gw_xml_append_escaped(s, "&&");
    gw_xml_append_escaped(s, "plain ☎");
    gw_xml_append_escaped(s, "\r");
    g_assert_cmpstr(s->str, ==, "&amp;&amp;plain ☎&#13;");
}

static void
test_text_ok(void)
{
    g_assert_true(gw_xml_text_ok("plain ☎ text\n\t", strlen("plain ☎ text\n\t")));
    g_assert_false(gw_xml_text_ok("bell\x07", 5));
    g_assert_false(gw_xml_text_ok("nul\0x", 5));
    g_assert_false(gw_xml_text_ok("\xff\xfe", 2));
    g_assert_false(gw_xml_text_ok("\xef\xbf\xbf", 3)); /* U+FFFF */
    g_assert_true(gw_xml_text_ok("", 0));
    g_assert_true(gw_xml_text_ok("\r", 1));
    g_assert_false(gw_xml_text_ok("\x1f", 1));
    g_assert_false(gw_xml_text_ok("☎\x07", strlen("☎\x07")));
    g_assert_false(gw_xml_text_ok("☎\0", strlen("☎") + 1));
    g_assert_false(gw_xml_text_ok("ok \xed\xa0\x80", 6)); /* a surrogate */
    g_assert_false(gw_xml_text_ok("ok \xc3", 4));       /* cut short */
    g_assert_true(gw_xml_text_ok("\xf0\x9f\x98\x80", 4)); /* U+1F600 */
}

static void
test_rate_limiter(void)
{
    GwRateLimiter *rl = gw_rate_limiter_new();
    gint64 t = 1000000;

    /* burst of 3, then empty, refills at 2/s */
    for (int i = 0; i < 3; i++)
        g_assert_true(gw_rate_limiter_take(rl, "a", 2.0, 3, 10, t));
    g_assert_false(gw_rate_limiter_take(rl, "a", 2.0, 3, 10, t));
    g_assert_true(gw_rate_limiter_take(rl, "a", 2.0, 3, 10, t + 500000));
    g_assert_false(gw_rate_limiter_take(rl, "a", 2.0, 3, 10, t + 500000));
    /* bounded: two keys max; an idle full bucket is dropped for a new one */
    for (int i = 0; i < 3; i++)
        g_assert_true(gw_rate_limiter_take(rl, "b", 2.0, 3, 2, t));
    g_assert_false(gw_rate_limiter_take(rl, "c", 2.0, 3, 2, t + 500000));
    g_assert_true(gw_rate_limiter_take(rl, "c", 2.0, 3, 2, t + 10000000));
    g_assert_cmpuint(gw_rate_limiter_size(rl), <=, 2);
    gw_rate_limiter_free(rl);
}

/* An error reply: addresses swapped, id kept, the defined condition, an
 * application-specific one when given (RFC 6120 8.3.4), the text. */
static void
test_error_reply(void)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_stanza_t *iq = xmpp_stanza_new_from_string(
        ctx, "<iq type='set' id='j1' from='a@x/r' to='1001@gw'/>");
    GwStanzaError plain = { "bad-request", "modify", NULL, NULL };
    GwStanzaError jingle = { "unexpected-request", "wait", "out-of-order",
                             "urn:xmpp:jingle:errors:1" };
    GString *x = gw_stanza_error_reply(iq, NULL, &plain, "a < b");

    g_assert_cmpstr(x->str, ==,
                    "<iq from='1001@gw' to='a@x/r' id='j1' type='error'>"
                    "<error type='modify'><bad-request xmlns='"
                    GW_NS_STANZAS "'/><text xmlns='" GW_NS_STANZAS
                    "' xml:lang='en'>a &lt; b</text></error></iq>");
    g_string_free(x, TRUE);
    x = gw_stanza_error_reply(iq, "other@gw", &jingle, NULL);
    g_assert_cmpstr(x->str, ==,
                    "<iq from='other@gw' to='a@x/r' id='j1' type='error'>"
                    "<error type='wait'><unexpected-request xmlns='"
                    GW_NS_STANZAS "'/><out-of-order xmlns='"
                    "urn:xmpp:jingle:errors:1'/></error></iq>");
    g_string_free(x, TRUE);
    xmpp_stanza_release(iq);
    xmpp_ctx_free(ctx);
}

/* pool.h: slots per 32-byte class, reused after free, zeroed, large sizes
 * through g_malloc, strings round-trip; in_use comes back to where it
 * started. */
static void
test_pool(void)
{
    GwPoolStats s0, s1;
    gpointer p[300];
    char *str;

    gw_pool_get_stats(&s0);
    for (guint i = 0; i < G_N_ELEMENTS(p); i++) {
        gsize n = 1 + (i * 7) % 1500; /* up to the g_malloc fallback */
        p[i] = gw_pool_alloc0(n);
        for (gsize k = 0; k < n; k++)
            g_assert_cmpint(((guchar *)p[i])[k], ==, 0);
        memset(p[i], 0xab, n);
    }
    for (guint i = 0; i < G_N_ELEMENTS(p); i += 2)
        gw_pool_free(p[i], 1 + (i * 7) % 1500);
    /* a freed slot of the class comes back, zeroed */
    {
        gpointer q = gw_pool_alloc0(1 + (298 * 7) % 1500);
        g_assert_true(q == p[298]);
        g_assert_cmpint(((guchar *)q)[0], ==, 0);
        p[298] = q;
    }
    for (guint i = 1; i < G_N_ELEMENTS(p); i += 2)
        gw_pool_free(p[i], 1 + (i * 7) % 1500);
    gw_pool_free(p[298], 1 + (298 * 7) % 1500);
    gw_pool_free(NULL, 10);
    str = gw_pool_strdup("sip:w1@pbx.example.com");
    g_assert_cmpstr(str, ==, "sip:w1@pbx.example.com");
    gw_pool_free_str(str);
    g_assert_null(gw_pool_strdup(NULL));
    gw_pool_get_stats(&s1);
    g_assert_cmpuint(s1.in_use, ==, s0.in_use);
    g_assert_cmpuint(s1.mapped % (64 * 1024), ==, 0);
}

/* ---- the XMPP link's confirmations ------------------------------------ */

/* A scripted XEP-0114 server: accepts one connection at a time, answers
 * the stream header and the handshake, keeps what the link wrote. */
typedef struct {
    int lfd, fd;
    guint port;
    GString *in;     /* what the link wrote since the handshake */
    gboolean ready;  /* handshake answered */
    guint accepted;
} FakeServer;

static void
fake_start(FakeServer *f)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    g_assert_cmpint(f->lfd, >=, 0);
    g_assert_cmpint(bind(f->lfd, (struct sockaddr *)&a, sizeof a), ==, 0);
    g_assert_cmpint(listen(f->lfd, 4), ==, 0);
    g_assert_cmpint(getsockname(f->lfd, (struct sockaddr *)&a, &len), ==, 0);
    f->port = ntohs(a.sin_port);
    f->fd = -1;
    f->in = g_string_new(NULL);
}

static void
fake_write(FakeServer *f, const char *text)
{
    gsize n = strlen(text), done = 0;

    while (done < n) {
        ssize_t w = write(f->fd, text + done, n - done);
        if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = { .fd = f->fd, .events = POLLOUT };
            poll(&p, 1, 100);
            continue;
        }
        g_assert_cmpint(w, >, 0);
        done += (gsize)w;
    }
}

static void
fake_close(FakeServer *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    f->ready = FALSE;
    g_string_truncate(f->in, 0);
}

/* Reads what is there; answers the stream header and the handshake. */
static void
fake_poll(FakeServer *f)
{
    char buf[4096];
    ssize_t n;

    if (f->fd < 0) {
        f->fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK);
        if (f->fd < 0)
            return;
        f->accepted++;
    }
    while ((n = read(f->fd, buf, sizeof buf)) > 0)
        g_string_append_len(f->in, buf, n);
    if (strstr(f->in->str, "</stream:stream>") != NULL) {
        fake_write(f, "</stream:stream>");
        fake_close(f);
        return;
    }
    if (!f->ready && strstr(f->in->str, "</handshake>") != NULL) {
        fake_write(f, "<handshake/>");
        f->ready = TRUE;
        g_string_truncate(f->in, 0);
    } else if (!f->ready && strstr(f->in->str, "<stream:stream") != NULL &&
               strstr(f->in->str, "<handshake") == NULL &&
               strstr(f->in->str, "SENT-HEADER") == NULL) {
        fake_write(f, "<?xml version='1.0'?><stream:stream "
                      "xmlns='jabber:component:accept' xmlns:stream="
                      "'http://etherx.jabber.org/streams' from='sip.test' "
                      "id='s1'>");
        g_string_append(f->in, "SENT-HEADER");
    }
}

/* The ids of the pings in what the link wrote, in order. */
static GPtrArray *
fake_pings(FakeServer *f)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    const char *p = f->in->str;

    while ((p = strstr(p, "<iq type='get'")) != NULL) {
        const char *id = strstr(p, " id='");
        const char *end = id ? strchr(id + 5, '\'') : NULL;
        g_assert_nonnull(end);
        g_assert_nonnull(strstr(p, "<ping xmlns='urn:xmpp:ping'/>"));
        g_ptr_array_add(ids, g_strndup(id + 5, (gsize)(end - id - 5)));
        p = end;
    }
    return ids;
}

typedef struct {
    GString *log;      /* "A:ok B:lost ..." in callback order */
    guint stanzas;     /* seen by the stanza handler */
    gboolean up;
    char *text;        /* the last one, as xmpp_stanza_to_text gives it */
} LinkProbe;

static void
probe_stanza(xmpp_stanza_t *stanza, gpointer data)
{
    LinkProbe *p = data;
    char *buf = NULL;
    size_t len = 0;

    p->stanzas++;
    g_assert_cmpint(xmpp_stanza_to_text(stanza, &buf, &len), ==, XMPP_EOK);
    g_free(p->text);
    p->text = g_strndup(buf, len);
    xmpp_free(xmpp_stanza_get_context(stanza), buf);
}

static void
probe_state(gboolean up, gpointer data)
{
    ((LinkProbe *)data)->up = up;
}

static LinkProbe probe;

static void
probe_outcome(GwXmppOutcome outcome, gpointer data)
{
    static const char *const names[] = { "ok", "lost", "late" };

    g_string_append_printf(probe.log, "%s:%s ", (const char *)data,
                           names[outcome]);
}

/* Runs the loop and the server until cond() or 3 s. */
static gboolean
spin_until(FakeServer *f, gboolean (*cond)(FakeServer *f), guint min_ms)
{
    gint64 start = g_get_monotonic_time();
    gint64 end = start + 3 * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        fake_poll(f);
        if (g_get_monotonic_time() - start >= (gint64)min_ms * 1000 &&
            (cond == NULL || cond(f)))
            return TRUE;
        g_usleep(500);
    }
    return cond == NULL;
}

static gboolean
is_up(FakeServer *f)
{
    return probe.up && f->ready;
}

static guint want_pings;
static gboolean
has_pings(FakeServer *f)
{
    g_autoptr(GPtrArray) ids = fake_pings(f);
    return ids->len >= want_pings;
}

static const char *want_log;
static gboolean
log_is(FakeServer *f)
{
    return strcmp(probe.log->str, want_log) == 0;
}

static gboolean
is_down(FakeServer *f)
{
    return !probe.up;
}

static GwXmppLink *
link_up(FakeServer *f, GwConfig **cfg)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;
    GwXmppLink *link;

    fake_start(f);
    text = g_strdup_printf(
        "[xmpp]\nserver = 127.0.0.1\nport = %u\ncomponent_domain = "
        "sip.test\nsecret = x\nconfirm_timeout_ms = 300\n"
        "reconnect_min_ms = 10\nreconnect_max_ms = 20\n"
        "[mapping]\nsip_domain = pbx.test\n",
        f->port);
    *cfg = gw_config_parse(text, strlen(text), "/t/link.conf", NULL, NULL,
                           &error);
    g_assert_no_error(error);
    memset(&probe, 0, sizeof probe);
    probe.log = g_string_new(NULL);
    link = gw_xmpp_link_new(*cfg, probe_stanza, probe_state, &probe);
    gw_xmpp_link_start(link);
    g_assert_true(spin_until(f, is_up, 0));
    return link;
}

static gboolean stopped;

static gboolean
on_stopped(gpointer data)
{
    stopped = TRUE;
    return G_SOURCE_REMOVE;
}

static gboolean
is_stopped(FakeServer *f)
{
    return stopped;
}

static void
link_down(GwXmppLink *link, GwConfig *cfg, FakeServer *f)
{
    stopped = FALSE;
    gw_xmpp_link_stop(link, on_stopped, NULL);
    g_assert_true(spin_until(f, is_stopped, 0));
    gw_xmpp_link_free(link);
    gw_config_free(cfg);
    fake_close(f);
    close(f->lfd);
    g_string_free(f->in, TRUE);
    g_string_free(probe.log, TRUE);
    g_clear_pointer(&probe.text, g_free);
    /* what the link left on the default context (reconnect timers ...) */
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
send_to(GwXmppLink *link, const char *domain, const char *tag)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *x = g_strdup_printf(
        "<message from='1001@sip.test' to='u@%s' id='%s'><body>b</body>"
        "</message>",
        domain, tag);

    g_assert_true(gw_xmpp_link_send_confirmed(link, x, strlen(x), domain,
                                              probe_outcome, (gpointer)tag,
                                              &error));
    g_assert_no_error(error);
}

static void
answer(FakeServer *f, const char *from, const char *id, const char *type)
{
    g_autofree char *x = g_strdup_printf(
        "<iq type='%s' from='%s' to='sip.test' id='%s'/>", type, from, id);
    fake_write(f, x);
}

#define EXPECT_LOG(f, text)                                                  \
    do {                                                                     \
        want_log = (text);                                                   \
        spin_until((f), log_is, 0);                                          \
        g_assert_cmpstr(probe.log->str, ==, (text));                         \
    } while (0)

#define EXPECT_PINGS(f, n)                                                   \
    do {                                                                     \
        want_pings = (n);                                                    \
        g_assert_true(spin_until((f), has_pings, 0));                        \
    } while (0)

/* Stanzas queued in one loop turn share one ping, written behind them;
 * while it is in flight no other goes to that domain, and the next one
 * covers everything queued meanwhile; an error answer is an answer; the
 * answers never reach the stanza handler; other domains have their own;
 * a plain send asks for nothing. */
static void
test_link_batches(void)
{
    FakeServer f = { 0 };
    GwConfig *cfg = NULL;
    GwXmppLink *link = link_up(&f, &cfg);
    g_autoptr(GPtrArray) ids = NULL;
    g_autoptr(GError) error = NULL;
    const char *plain = "<presence from='sip.test' to='a@example.org'/>";

    g_assert_true(gw_xmpp_link_send(link, plain, strlen(plain), NULL, NULL,
                                    &error));
    send_to(link, "example.org", "A");
    send_to(link, "example.org", "B");
    EXPECT_PINGS(&f, 1);
    g_assert_true(spin_until(&f, NULL, 50));
    ids = fake_pings(&f);
    g_assert_cmpuint(ids->len, ==, 1);
    /* the ping is behind both stanzas, to their domain, from us */
    g_assert_true(strstr(f.in->str, "id='B'") <
                  strstr(f.in->str, "<iq type='get'"));
    g_assert_nonnull(strstr(f.in->str, "<iq type='get' from='sip.test' "
                                       "to='example.org'"));
    send_to(link, "example.org", "C");
    send_to(link, "other.test", "D");
    EXPECT_PINGS(&f, 2); /* other.test's; example.org's still in flight */
    g_assert_true(spin_until(&f, NULL, 50));
    g_clear_pointer(&ids, g_ptr_array_unref);
    ids = fake_pings(&f);
    g_assert_cmpuint(ids->len, ==, 2);
    g_assert_cmpstr(probe.log->str, ==, "");

    /* example.org's answer, from the wrong domain: not an answer */
    answer(&f, "other.test", g_ptr_array_index(ids, 0), "result");
    g_assert_true(spin_until(&f, NULL, 50));
    g_assert_cmpstr(probe.log->str, ==, "");
    answer(&f, "example.org", g_ptr_array_index(ids, 0), "result");
    EXPECT_LOG(&f, "A:ok B:ok ");
    EXPECT_PINGS(&f, 3); /* now C's */
    g_clear_pointer(&ids, g_ptr_array_unref);
    ids = fake_pings(&f);
    g_assert_cmpstr(strstr(f.in->str, "id='C'") <
                        strstr(f.in->str, g_ptr_array_index(ids, 2))
                        ? "behind" : "before", ==, "behind");
    answer(&f, "Other.Test", g_ptr_array_index(ids, 1), "error");
    EXPECT_LOG(&f, "A:ok B:ok D:ok ");
    answer(&f, "example.org", g_ptr_array_index(ids, 2), "result");
    EXPECT_LOG(&f, "A:ok B:ok D:ok C:ok ");
    /* a bounce is a stanza like any other */
    fake_write(&f, "<message type='error' from='u@example.org' "
                   "to='1001@sip.test' id='A'/>");
    g_assert_true(spin_until(&f, NULL, 50));
    g_assert_cmpuint(probe.stanzas, ==, 1);
    link_down(link, cfg, &f);
}

/* No answer within confirm_timeout_ms: given up (the link stays up), and
 * the next stanza gets a new ping; the old ping's late answer confirms
 * nothing. */
static void
test_link_timeout(void)
{
    FakeServer f = { 0 };
    GwConfig *cfg = NULL;
    GwXmppLink *link = link_up(&f, &cfg);
    g_autoptr(GPtrArray) ids = NULL;
    gint64 t0 = g_get_monotonic_time();

    send_to(link, "example.org", "A");
    EXPECT_PINGS(&f, 1);
    want_log = "A:late ";
    g_assert_true(spin_until(&f, log_is, 0));
    /* checked every 0.1 s while stanzas wait */
    g_assert_cmpint(g_get_monotonic_time() - t0, >=, 300 * 1000);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, 1000 * 1000);
    g_assert_true(probe.up);
    send_to(link, "example.org", "B");
    EXPECT_PINGS(&f, 2);
    ids = fake_pings(&f);
    answer(&f, "example.org", g_ptr_array_index(ids, 0), "result");
    g_assert_true(spin_until(&f, NULL, 50));
    g_assert_cmpstr(probe.log->str, ==, "A:late ");
    g_assert_cmpuint(probe.stanzas, ==, 0);
    answer(&f, "example.org", g_ptr_array_index(ids, 1), "result");
    EXPECT_LOG(&f, "A:late B:ok ");
    link_down(link, cfg, &f);
}

/* The stream dies: every stanza not confirmed is lost (written or not),
 * new ones are refused until the link is back. */
static void
test_link_lost(void)
{
    FakeServer f = { 0 };
    GwConfig *cfg = NULL;
    GwXmppLink *link = link_up(&f, &cfg);
    g_autoptr(GError) error = NULL;

    send_to(link, "example.org", "A");
    EXPECT_PINGS(&f, 1);
    send_to(link, "example.org", "B");
    g_assert_true(spin_until(&f, NULL, 30));
    fake_close(&f);
    g_assert_true(spin_until(&f, is_down, 0));
    g_assert_cmpstr(probe.log->str, ==, "A:lost B:lost ");
    g_assert_false(gw_xmpp_link_send_confirmed(link, "<x/>", 4, "example.org",
                                               probe_outcome, "C", &error));
    g_assert_error(error, GW_ERROR, GW_ERROR_LINK_DOWN);
    g_assert_true(spin_until(&f, is_up, 0)); /* it reconnects */
    g_assert_cmpuint(f.accepted, ==, 2);
    link_down(link, cfg, &f);
}

static guint want_stanzas;
static gboolean
has_stanzas(FakeServer *f)
{
    return probe.stanzas >= want_stanzas;
}

/* libstrophe 0.12.2 turns each stanza it receives into text for a debug
 * line nothing logs unless [log] stanzas: skipped (strophe_quiet.c) once
 * its call site is learned from the first stanza, never while stanza
 * dumps are on; the handler gets every stanza, and xmpp_stanza_to_text
 * called by us (here in the handler, and outside) still gives the text. */
static void
test_link_recv_not_dumped(void)
{
    FakeServer f = { 0 };
    GwConfig *cfg = NULL;
    GwXmppLink *link = link_up(&f, &cfg);
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(ctx, "<a x='1'/>");
    guint64 before = gw_strophe_quiet_skipped();
    char *buf = NULL;
    size_t len = 0;

    g_assert_false(cfg->log.stanzas);
    for (guint i = 0; i < 5; i++)
        fake_write(&f, "<message from='u@example.org' to='1001@sip.test' "
                       "type='chat'><body>b</body></message>");
    want_stanzas = 5;
    g_assert_true(spin_until(&f, has_stanzas, 0));
    g_assert_cmpuint(gw_strophe_quiet_skipped() - before, >=, 4);
    g_assert_true(g_str_has_prefix(probe.text, "<message "));
    g_assert_nonnull(strstr(probe.text, " from=\"u@example.org\""));
    g_assert_true(g_str_has_suffix(probe.text, "><body>b</body></message>"));
    g_assert_cmpint(xmpp_stanza_to_text(s, &buf, &len), ==, XMPP_EOK);
    g_assert_cmpstr(buf, ==, "<a x=\"1\"/>");
    xmpp_free(ctx, buf);

    /* stanza dumps on (a reload): from the next stanza handled on,
     * libstrophe's text is made again */
    cfg->log.stanzas = TRUE;
    fake_write(&f, "<message from='u@example.org' to='1001@sip.test'/>");
    want_stanzas = 6;
    g_assert_true(spin_until(&f, has_stanzas, 0));
    before = gw_strophe_quiet_skipped();
    for (guint i = 0; i < 3; i++)
        fake_write(&f, "<message from='u@example.org' to='1001@sip.test'>"
                       "<body>c</body></message>");
    want_stanzas = 9;
    g_assert_true(spin_until(&f, has_stanzas, 0));
    g_assert_cmpuint(gw_strophe_quiet_skipped() - before, ==, 0);
    cfg->log.stanzas = FALSE;
    xmpp_stanza_release(s);
    xmpp_ctx_free(ctx);
    link_down(link, cfg, &f);
}

/* gateway/sip/sip_ntop.c's inet_ntop (the one linked here, and the one
 * Sofia reaches) gives the C library's exact answer for IPv4: every octet
 * value in every place, random addresses, and every buffer size (ENOSPC
 * and nothing written when it does not fit); IPv6 is the library's. */
typedef const char *(*NtopFunc)(int, const void *, char *, socklen_t);

static void
ntop_same(NtopFunc libc, int af, const void *addr)
{
    for (socklen_t size = 0; size <= 48; size++) {
        char a[64], b[64];
        const char *ra, *rb;
        int ea, eb;

        memset(a, 'x', sizeof a);
        memset(b, 'x', sizeof b);
        errno = 0;
        ra = inet_ntop(af, addr, a, size);
        ea = errno;
        errno = 0;
        rb = libc(af, addr, b, size);
        eb = errno;
        g_assert_true((ra == NULL) == (rb == NULL));
        if (ra == NULL)
            g_assert_cmpint(ea, ==, eb);
        else
            g_assert_true(ra == a);
        g_assert_cmpmem(a, sizeof a, b, sizeof b);
    }
}

/* gw_num_decimal() and gw_num_hex16() write what printf writes */
static void
test_num_text(void)
{
    const guint64 edges[] = {0,
                             1,
                             9,
                             10,
                             99,
                             100,
                             199,
                             699,
                             1000,
                             G_MAXUINT32,
                             (guint64)G_MAXUINT32 + 1,
                             G_MAXUINT64 / 10,
                             G_MAXUINT64 - 1,
                             G_MAXUINT64};
    GRand *rand = g_rand_new_with_seed(23);

    for (guint i = 0; i < G_N_ELEMENTS(edges) + 10000; i++) {
        guint64 v = i < G_N_ELEMENTS(edges)
                        ? edges[i]
                        : (guint64)g_rand_int(rand) << (g_rand_int(rand) % 33) ^
                              g_rand_int(rand);
        char num[GW_NUM_TEXT_SIZE], hex[17];
        g_autofree char *want = g_strdup_printf("%" G_GUINT64_FORMAT, v);
        g_autofree char *want_hex =
            g_strdup_printf("%016" G_GINT64_MODIFIER "x", v);

        g_assert_cmpstr(gw_num_decimal(v, num), ==, want);
        gw_num_hex16(v, hex);
        g_assert_cmpstr(hex, ==, want_hex);
    }
    g_rand_free(rand);
}

/* gateway/sip/sip_agent.c (sip_private.h is the SIP agent's own) */
char *sip_url_text(const url_t *url);

/* sip_url_text() writes what Sofia's url_as_string() writes, short or
 * longer than its stack buffer */
static void
test_sip_url_text(void)
{
    g_autofree char *long_user = g_strnfill(300, 'u');
    g_autofree char *long_url =
        g_strdup_printf("sip:%s@example.com;transport=udp", long_user);
    const char *urls[] = {
        "sip:alice@example.com",
        "sip:alice:pw@example.com:5070;transport=tcp;lr?subject=x&h=y",
        "sips:[::1]:5061",
        "sip:%61lice@host",
        "tel:+15551234567;phone-context=example.com",
        "sip:+1555@127.0.0.1;user=phone",
        "sip:example.com",
        "*",
        long_url,
    };

    g_assert_null(sip_url_text(NULL));
    for (gsize i = 0; i < G_N_ELEMENTS(urls); i++) {
        su_home_t home[1] = {SU_HOME_INIT(home)};
        url_t *u = url_make(home, urls[i]);
        g_autofree char *ours = NULL;

        g_assert_nonnull(u);
        ours = sip_url_text(u);
        g_assert_cmpstr(ours, ==, url_as_string(home, u));
        su_home_deinit(home);
    }
}

static void
test_sip_ntop(void)
{
    NtopFunc libc = (NtopFunc)dlsym(RTLD_NEXT, "inet_ntop");
    GRand *rand = g_rand_new_with_seed(19);
    unsigned char v4[4], v6[16];

    g_assert_nonnull(libc);
    g_assert_true(libc != inet_ntop);
    for (guint place = 0; place < 4; place++) {
        for (guint v = 0; v < 256; v++) {
            memset(v4, place == 0 ? 7 : 255, sizeof v4);
            v4[place] = (unsigned char)v;
            ntop_same(libc, AF_INET, v4);
        }
    }
    for (guint i = 0; i < 20000; i++) {
        guint32 r = g_rand_int(rand);
        memcpy(v4, &r, sizeof v4);
        ntop_same(libc, AF_INET, v4);
    }
    memset(v6, 0, sizeof v6);
    v6[10] = v6[11] = 0xff;
    v6[12] = 192, v6[15] = 1; /* ::ffff:192.0.0.1 */
    ntop_same(libc, AF_INET6, v6);
    v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = 0xb8;
    ntop_same(libc, AF_INET6, v6);
    g_rand_free(rand);
}

/* The one builder: attributes escaped, NULL ones left out, from/to
 * swapped for an iq result, receipts carry the id they acknowledge. */
static void
test_builder(void)
{
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_stanza_t *iq = xmpp_stanza_new_from_string(
        ctx, "<iq type='get' id='q&amp;1' from='alice@example.com/x' "
             "to='sip.example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
    GString *x;

    x = gw_stanza_begin("message", "chat", "1001@sip.example.com",
                        "a'b@example.com", NULL);
    g_string_append(x, "<body>hi</body>");
    gw_stanza_end(x, "message");
    g_assert_cmpstr(x->str, ==,
                    "<message type='chat' from='1001@sip.example.com' "
                    "to='a&apos;b@example.com'><body>hi</body></message>");
    g_string_free(x, TRUE);
    x = gw_stanza_empty("presence", NULL, "a@b", "c@d", NULL);
    g_assert_cmpstr(x->str, ==, "<presence from='a@b' to='c@d'/>");
    g_string_free(x, TRUE);
    x = gw_stanza_iq_result(iq);
    g_assert_cmpstr(x->str, ==,
                    "<iq type='result' from='sip.example.com' "
                    "to='alice@example.com/x' id='q&amp;1'/>");
    g_string_free(x, TRUE);
    x = gw_stanza_iq_result_begin(iq);
    g_string_append(x, "<query/>");
    gw_stanza_end(x, "iq");
    g_assert_true(g_str_has_suffix(x->str, "id='q&amp;1'><query/></iq>"));
    g_string_free(x, TRUE);
    x = gw_stanza_receipt("1001@sip.example.com", "alice@example.com/x",
                          "m1");
    g_assert_true(g_str_has_prefix(x->str,
                                   "<message from='1001@sip.example.com' "
                                   "to='alice@example.com/x' id='"));
    g_assert_true(g_str_has_suffix(x->str,
                                   "'><received xmlns='urn:xmpp:receipts' "
                                   "id='m1'/></message>"));
    g_string_free(x, TRUE);
    xmpp_stanza_release(iq);
    xmpp_ctx_free(ctx);
}

/* Stanza ids: one random prefix per process, then a counter in decimal. */
static void
test_new_id(void)
{
    g_autofree char *a = gw_stanza_new_id();
    g_autofree char *b = gw_stanza_new_id();
    const char *da = strrchr(a, '-'), *db = strrchr(b, '-');

    g_assert_cmpuint(strlen(a), >, 37);
    g_assert_true(da == a + 36 && db == b + 36);
    g_assert_cmpmem(a, 36, b, 36);
    g_assert_cmpuint(g_ascii_strtoull(db + 1, NULL, 10), ==,
                     g_ascii_strtoull(da + 1, NULL, 10) + 1);
    for (guint i = 0; i < 1000; i++)
        g_free(gw_stanza_new_id());
    {
        g_autofree char *c = gw_stanza_new_id();
        g_autofree char *want = g_strdup_printf(
            "%.36s-%" G_GUINT64_FORMAT, a,
            g_ascii_strtoull(da + 1, NULL, 10) + 1002);
        g_assert_cmpstr(c, ==, want);
    }
}

/* Issue 15: a call ends at once when she has no client online only while
 * the directory is current for her: her broadcast presence came since the
 * link last came up and no refresh waits. */
static void
on_dir_updated(const char *bare, gboolean changed, gboolean was_online,
               gpointer data)
{
    (void)bare, (void)changed, (void)was_online, (void)data;
}

static gboolean
on_dir_probe(const char *bare, gpointer data)
{
    (void)bare, (void)data;
    return TRUE;
}

static guint
n_resources(GwXmppDirectory *d, const char *bare)
{
    g_autoptr(GPtrArray) r = gw_xmpp_directory_get_resources(d, bare);

    return r->len;
}

static void
test_directory_current(void)
{
    const char *bare = "alice@example.com", *full = "alice@example.com/pc";
    const char *to = "1001@gw.example.com";
    GwBridgeEnv env = { 0 }; /* no link: nothing is sent */
    g_autoptr(GwXmppDirectory) d =
        gw_xmpp_directory_new(&env, NULL, on_dir_updated, NULL);
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
    xmpp_stanza_t *on = xmpp_stanza_new_from_string(
        ctx, "<presence from='alice@example.com/pc'/>");
    xmpp_stanza_t *off = xmpp_stanza_new_from_string(
        ctx, "<presence from='alice@example.com/pc' type='unavailable'/>");

    /* never heard of, or heard before the link first came up */
    g_assert_false(gw_xmpp_directory_is_current(d, bare));
    gw_xmpp_directory_broadcast(d, full, bare, to, on, TRUE);
    g_assert_false(gw_xmpp_directory_is_current(d, bare));
    /* link up: her resource from before waits for her presence */
    gw_xmpp_directory_link_up(d, on_dir_probe, NULL);
    g_assert_false(gw_xmpp_directory_is_current(d, bare));
    gw_xmpp_directory_broadcast(d, full, bare, to, on, TRUE);
    g_assert_true(gw_xmpp_directory_is_current(d, bare));
    g_assert_cmpuint(n_resources(d, bare), ==, 1);
    /* she leaves: known to have no client online */
    gw_xmpp_directory_broadcast(d, full, bare, to, off, FALSE);
    g_assert_true(gw_xmpp_directory_is_current(d, bare));
    g_assert_cmpuint(n_resources(d, bare), ==, 0);
    /* the next link up: unknown until she is heard again */
    gw_xmpp_directory_link_up(d, on_dir_probe, NULL);
    g_assert_false(gw_xmpp_directory_is_current(d, bare));
    gw_xmpp_directory_broadcast(d, bare, bare, to, off, FALSE);
    g_assert_true(gw_xmpp_directory_is_current(d, bare));
    /* she revokes the last JID her presence came to */
    gw_xmpp_directory_forget(d, bare);
    g_assert_false(gw_xmpp_directory_is_current(d, bare));
    g_assert_false(gw_xmpp_directory_is_current(d, "bob@example.com"));
    gw_xmpp_directory_stop(d);
    xmpp_stanza_release(on);
    xmpp_stanza_release(off);
    xmpp_ctx_free(ctx);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/errmap/sip-to-xmpp", test_sip_to_xmpp);
    g_test_add_func("/errmap/xmpp-to-sip", test_xmpp_to_sip);
    g_test_add_func("/errmap/xmpp-to-sip-message", test_xmpp_to_sip_message);
    g_test_add_func("/errmap/from-gerror", test_from_gerror);
    g_test_add_func("/stanza/escape", test_escape);
    g_test_add_func("/stanza/text-ok", test_text_ok);
    g_test_add_func("/stanza/error-reply", test_error_reply);
    g_test_add_func("/stanza/builder", test_builder);
    g_test_add_func("/stanza/new-id", test_new_id);
    g_test_add_func("/ratelimit/buckets", test_rate_limiter);
    g_test_add_func("/pool/slots", test_pool);
    g_test_add_func("/directory/current", test_directory_current);
    /* the link logs a lost stream as a warning, which is no failure */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_test_add_func("/xmpp-link/confirm-batches", test_link_batches);
    g_test_add_func("/xmpp-link/confirm-timeout", test_link_timeout);
    g_test_add_func("/xmpp-link/confirm-lost", test_link_lost);
    g_test_add_func("/xmpp-link/recv-not-dumped", test_link_recv_not_dumped);
    g_test_add_func("/sip/ntop", test_sip_ntop);
    g_test_add_func("/sip/url-text", test_sip_url_text);
    g_test_add_func("/num/text", test_num_text);
    return g_test_run();
}
