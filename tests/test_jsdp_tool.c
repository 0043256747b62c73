/* test_jsdp_tool.c: the jingle-sdp tool on fixtures, both ways, and its
 * exit codes (0 good input, 1 bad input, 2 bad usage).  The tool's path
 * comes from JSDP_TOOL (set by tests/jingle_sdp.cmake). */
#include <glib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
    int status;
    char *out;
    char *err;
} Run;

static void
run_clear(Run *r)
{
    g_free(r->out);
    g_free(r->err);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Run, run_clear)

/* Runs the tool with argv and input on stdin (via sh, fixture or text). */
static void
run_tool(Run *r, const char *args, const char *stdin_file, const char *stdin_text)
{
    const char *tool = g_getenv("JSDP_TOOL");
    g_autofree char *cmd = NULL, *qtool = NULL;
    g_autoptr(GError) error = NULL;
    char *argv[] = {"/bin/sh", "-c", NULL, NULL};
    int wait_status = 0;

    g_assert_nonnull(tool);
    qtool = g_shell_quote(tool);
    if (stdin_file != NULL) {
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "jsdp", stdin_file, NULL);
        g_autofree char *qpath = g_shell_quote(path);
        cmd = g_strdup_printf("%s %s < %s", qtool, args, qpath);
    } else {
        g_autofree char *qtext = g_shell_quote(stdin_text);
        cmd = g_strdup_printf("printf '%%s' %s | %s %s", qtext, qtool, args);
    }
    argv[2] = cmd;
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r->out, &r->err, &wait_status,
                 &error);
    g_assert_no_error(error);
    r->status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
}

static void
test_sdp_both_ways(void)
{
    g_auto(Run) a = {0};
    g_auto(Run) b = {0};
    g_auto(Run) c = {0};

    run_tool(&a, "to-jingle --role initiator --sid s1", "sdp/chrome-audio-offer-ipv6-tcp-candidates.sdp", NULL);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_true(g_str_has_prefix(a.out, "<jingle xmlns=\"urn:xmpp:jingle:1\" action=\"session-initiate\""));
    g_assert_nonnull(strstr(a.err, "warning: candidate extension 'network-cost'"));
    run_tool(&b, "to-sdp", NULL, a.out);
    g_assert_cmpint(b.status, ==, 0);
    g_assert_nonnull(strstr(b.out, "\r\na=candidate:2665802302 1 udp 2122262783 2001:db8::1 38475 typ host"));
    run_tool(&c, "to-jingle --role initiator --sid s1", NULL, b.out);
    g_assert_cmpint(c.status, ==, 0);
    g_assert_cmpstr(a.out, ==, c.out); /* stable after one round */
}

static void
test_iq_to_classic(void)
{
    g_auto(Run) a = {0};
    g_auto(Run) b = {0};

    run_tool(&a, "to-sdp --session-id 7", "jingle/xep0177-session-initiate-raw-udp.xml", NULL);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_nonnull(strstr(a.out, "o=- 7 0 IN IP4 0.0.0.0\r\n"));
    g_assert_nonnull(strstr(a.out, "m=audio 13540 RTP/AVP 18\r\nc=IN IP4 10.1.1.104\r\n"));
    run_tool(&b, "to-jingle --role responder", "sdp/polycom-sdes-srtp-offer.sdp", NULL);
    g_assert_cmpint(b.status, ==, 0);
    g_assert_nonnull(strstr(b.out, "action=\"session-accept\""));
    g_assert_nonnull(strstr(b.out, "<crypto crypto-suite=\"AES_CM_128_HMAC_SHA1_80\""));
}

static void
test_exit_codes(void)
{
    g_auto(Run) a = {0};
    g_auto(Run) b = {0};
    g_auto(Run) c = {0};
    g_auto(Run) d = {0};

    run_tool(&a, "to-jingle", NULL, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nm=audio 99999 RTP/AVP 0\r\n");
    g_assert_cmpint(a.status, ==, 1);
    g_assert_nonnull(strstr(a.err, "error: sdp line 4"));
    g_assert_cmpstr(a.out, ==, "");
    run_tool(&b, "to-sdp", NULL, "<jingle");
    g_assert_cmpint(b.status, ==, 1);
    run_tool(&c, "sideways", NULL, "");
    g_assert_cmpint(c.status, ==, 2);
    run_tool(&d, "to-jingle --role both", NULL, "");
    g_assert_cmpint(d.status, ==, 2);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/jsdp/tool/sdp-both-ways", test_sdp_both_ways);
    g_test_add_func("/jsdp/tool/iq-to-classic", test_iq_to_classic);
    g_test_add_func("/jsdp/tool/exit-codes", test_exit_codes);
    return g_test_run();
}
