/* Unit tests of the gateway's pure parts: the error table, stanza text
 * helpers, the rate limiter. */
#include <string.h>

#include "error_map.h"
#include "gw_error.h"
#include "map.h"
#include "pool.h"
#include "ratelimit.h"
#include "stanza.h"

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
}

static void
test_text_ok(void)
{
    g_assert_true(gw_xml_text_ok("plain ☎ text\n\t", strlen("plain ☎ text\n\t")));
    g_assert_false(gw_xml_text_ok("bell\x07", 5));
    g_assert_false(gw_xml_text_ok("nul\0x", 5));
    g_assert_false(gw_xml_text_ok("\xff\xfe", 2));
    g_assert_false(gw_xml_text_ok("\xef\xbf\xbf", 3)); /* U+FFFF */
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
    g_test_add_func("/ratelimit/buckets", test_rate_limiter);
    g_test_add_func("/pool/slots", test_pool);
    return g_test_run();
}
