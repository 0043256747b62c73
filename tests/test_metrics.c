/* tests/test_metrics.c: the metrics core: classification tables, histogram
 * buckets, and the Prometheus text it renders. The integration test
 * test_ops.py runs promtool and a real Prometheus on the live output. */
#include <string.h>

#include "metrics.h"

static void
test_outcomes(void)
{
    static const struct {
        int status;
        GwOutcome out;
    } rows[] = {
        { 200, GW_OUT_DELIVERED },      { 202, GW_OUT_DELIVERED },
        { 400, GW_OUT_BAD_REQUEST },    { 416, GW_OUT_BAD_REQUEST },
        { 401, GW_OUT_UNAUTHENTICATED }, { 407, GW_OUT_UNAUTHENTICATED },
        { 403, GW_OUT_FORBIDDEN },      { 404, GW_OUT_NOT_FOUND },
        { 484, GW_OUT_NOT_FOUND },      { 604, GW_OUT_NOT_FOUND },
        { 480, GW_OUT_OFFLINE },        { 413, GW_OUT_TOO_LARGE },
        { 415, GW_OUT_UNSUPPORTED },    { 488, GW_OUT_UNSUPPORTED },
        { 486, GW_OUT_REJECTED },       { 603, GW_OUT_REJECTED },
        { 302, GW_OUT_REJECTED },       { 408, GW_OUT_TIMEOUT },
        { 504, GW_OUT_TIMEOUT },        { 0, GW_OUT_TIMEOUT },
        { 503, GW_OUT_UNAVAILABLE },    { 500, GW_OUT_FAILED },
        { 502, GW_OUT_FAILED },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
        g_assert_cmpint(gw_metrics_outcome_of_sip(rows[i].status), ==, rows[i].out);
}

static void
test_methods_and_classes(void)
{
    g_assert_cmpint(gw_metrics_sip_method("INVITE"), ==, GW_SIP_INVITE);
    g_assert_cmpint(gw_metrics_sip_method("REGISTER"), ==, GW_SIP_REGISTER);
    g_assert_cmpint(gw_metrics_sip_method("invite"), ==, GW_SIP_OTHER);
    g_assert_cmpint(gw_metrics_sip_method("UPDATE"), ==, GW_SIP_OTHER);
    g_assert_cmpint(gw_metrics_sip_method(NULL), ==, GW_SIP_OTHER);
    g_assert_cmpuint(gw_metrics_sip_class(100), ==, 0);
    g_assert_cmpuint(gw_metrics_sip_class(202), ==, 1);
    g_assert_cmpuint(gw_metrics_sip_class(699), ==, 5);
    g_assert_cmpuint(gw_metrics_sip_class(0), ==, 6);
    g_assert_cmpuint(gw_metrics_sip_class(700), ==, 6);
}

static void
test_call_failures(void)
{
    static const struct {
        const char *reason;
        int status;
        GwCallFailure want;
    } rows[] = {
        { "busy", 0, GW_CALL_BUSY },          { "decline", 603, GW_CALL_DECLINED },
        { "timeout", 480, GW_CALL_NO_ANSWER }, { "cancel", 0, GW_CALL_CANCELLED },
        { "gone", 0, GW_CALL_OFFLINE },       { "failed-application", 503, GW_CALL_MEDIA },
        { "general-error", 0, GW_CALL_ERROR }, { "something-new", 0, GW_CALL_ERROR },
        { NULL, 0, GW_CALL_CANCELLED },       { NULL, 486, GW_CALL_BUSY },
        { NULL, 603, GW_CALL_DECLINED },      { NULL, 480, GW_CALL_OFFLINE },
        { NULL, 404, GW_CALL_NOT_FOUND },     { NULL, 403, GW_CALL_FORBIDDEN },
        { NULL, 488, GW_CALL_MEDIA },         { NULL, 500, GW_CALL_ERROR },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
        g_assert_cmpint(gw_metrics_call_failure(rows[i].reason, rows[i].status), ==,
                        rows[i].want);
}

static gboolean
has_line(const char *text, const char *line)
{
    g_autofree char *needle = g_strconcat("\n", line, "\n", NULL);
    g_autofree char *hay = g_strconcat("\n", text, NULL);
    return strstr(hay, needle) != NULL;
}

static void
test_render(void)
{
    GwMetrics m;
    GwMetricsGauges g;
    g_autoptr(GString) out = g_string_new(NULL);

    gw_metrics_reset(&m);
    gw_metrics_gauges_init(&g);
    m.messages[GW_DIR_SIP_TO_XMPP][GW_OUT_DELIVERED] = 7;
    m.sip_received[GW_SIP_MESSAGE] = 9;
    m.sip_answered[GW_SIP_MESSAGE][1] = 7;
    m.sip_outcome[GW_SIP_INVITE][6] = 1;
    gw_histogram_observe(&m.message_seconds[GW_DIR_SIP_TO_XMPP], 0.0004);
    gw_histogram_observe(&m.message_seconds[GW_DIR_SIP_TO_XMPP], 0.0005);
    gw_histogram_observe(&m.message_seconds[GW_DIR_SIP_TO_XMPP], 0.003);
    gw_histogram_observe(&m.message_seconds[GW_DIR_SIP_TO_XMPP], 99);
    g.xmpp_link_up = 1;
    g.calls_active = 0;
    gw_metrics_render(&m, &g, "1.2.3", out);

    g_assert_true(has_line(out->str, "gw_build_info{version=\"1.2.3\"} 1"));
    g_assert_true(has_line(out->str, "# TYPE gw_messages_total counter"));
    g_assert_true(has_line(out->str,
        "gw_messages_total{direction=\"sip_to_xmpp\",outcome=\"delivered\"} 7"));
    g_assert_true(has_line(out->str,
        "gw_messages_total{direction=\"xmpp_to_sip\",outcome=\"timeout\"} 0"));
    /* buckets are cumulative, le is inclusive */
    g_assert_true(has_line(out->str,
        "gw_message_seconds_bucket{direction=\"sip_to_xmpp\",le=\"0.0005\"} 2"));
    g_assert_true(has_line(out->str,
        "gw_message_seconds_bucket{direction=\"sip_to_xmpp\",le=\"0.0025\"} 2"));
    g_assert_true(has_line(out->str,
        "gw_message_seconds_bucket{direction=\"sip_to_xmpp\",le=\"0.005\"} 3"));
    g_assert_true(has_line(out->str,
        "gw_message_seconds_bucket{direction=\"sip_to_xmpp\",le=\"10\"} 3"));
    g_assert_true(has_line(out->str,
        "gw_message_seconds_bucket{direction=\"sip_to_xmpp\",le=\"+Inf\"} 4"));
    g_assert_true(has_line(out->str,
        "gw_message_seconds_count{direction=\"sip_to_xmpp\"} 4"));
    g_assert_true(has_line(out->str, "gw_sip_requests_received_total{method=\"MESSAGE\"} 9"));
    g_assert_true(has_line(out->str,
        "gw_sip_responses_sent_total{method=\"MESSAGE\",class=\"2xx\"} 7"));
    g_assert_true(has_line(out->str,
        "gw_sip_responses_received_total{method=\"INVITE\",class=\"timeout\"} 1"));
    /* we never send a "timeout" response */
    g_assert_null(strstr(out->str, "gw_sip_responses_sent_total{method=\"INVITE\",class=\"timeout\"}"));
    g_assert_true(has_line(out->str, "gw_xmpp_link_up 1"));
    g_assert_true(has_line(out->str, "gw_calls_active 0"));
    /* unknown gauges are left out, not rendered as -1 */
    g_assert_null(strstr(out->str, "gw_sip_watchers"));
    g_assert_null(strstr(out->str, "gw_accounts")); /* [accounts] off */
    {
        g_autoptr(GString) on = g_string_new(NULL);
        g.accounts = 3;
        g.accounts_registered = 2;
        g.accounts_refused = 1;
        gw_metrics_render(&m, &g, "1.2.3", on);
        g_assert_true(has_line(on->str, "gw_accounts 3"));
        g_assert_true(has_line(on->str, "gw_accounts_registered 2"));
        g_assert_true(has_line(on->str, "gw_accounts_refused 1"));
    }
    g_assert_null(strstr(out->str, " -1\n"));
    g_assert_null(strstr(out->str, "process_start_time_seconds"));
    /* every sample line belongs to a family announced before it */
    {
        g_auto(GStrv) lines = g_strsplit(out->str, "\n", -1);
        g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        for (char **l = lines; *l != NULL; l++) {
            if (**l == '\0')
                continue;
            if (g_str_has_prefix(*l, "# TYPE ")) {
                g_auto(GStrv) f = g_strsplit(*l + 7, " ", 2);
                g_hash_table_add(typed, g_strdup(f[0]));
                continue;
            }
            if (**l == '#')
                continue;
            g_autofree char *name = g_strndup(*l, strcspn(*l, "{ "));
            if (!g_hash_table_contains(typed, name)) {
                char *cut = NULL;
                if ((cut = g_strrstr(name, "_bucket")) || (cut = g_strrstr(name, "_sum")) ||
                    (cut = g_strrstr(name, "_count")))
                    *cut = '\0';
            }
            g_assert_true(g_hash_table_contains(typed, name));
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/metrics/outcomes", test_outcomes);
    g_test_add_func("/metrics/methods-and-classes", test_methods_and_classes);
    g_test_add_func("/metrics/render", test_render);
    g_test_add_func("/metrics/call-failures", test_call_failures);
    return g_test_run();
}
