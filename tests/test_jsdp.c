/* test_jsdp.c: libjsdp unit tests.
 *
 *   /jsdp/roundtrip/sdp/<file>     every corpus SDP: SDP -> model -> Jingle
 *                                  -> model, and -> SDP -> model, equal
 *   /jsdp/roundtrip/jingle/<file>  every corpus Jingle sample likewise
 *   /jsdp/pairs/<name>             corpus pairs: both forms give the same model
 *   /jsdp/jingle-to-sdp/<case>     golden files (exact output)
 *   /jsdp/sdp-to-jingle/<case>     golden files (exact output)
 *   /jsdp/bad/<case>               malformed input -> expected error code
 *   /jsdp/interop/<case>           forms other implementations send or read
 *   /jsdp/edge/<case>, /jsdp/api/… edge cases and API behaviour
 *
 * Per-file expectations (expected errors, the exact set of warnings, how the
 * XEP snippets are wrapped, errata fixes) live in
 * tests/data/jsdp/expectations.ini, each with a note saying why.
 * JSDP_UPDATE_GOLDEN=1 rewrites the golden outputs instead of comparing.
 */
#include "jsdp.h"
#include "jsdp_private.h" /* jsdp_session_copy_without_rejected() */

#include <string.h>

static GKeyFile *expectations;

static const JsdpSdpPrintParams sdp_params_init = {
    .author = JSDP_ROLE_INITIATOR,
    .username = "-",
    .session_id = 1,
    .session_version = 1,
    .origin_address = "192.0.2.1",
    .session_name = "-",
};

static char *
read_data(const char *rel)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "jsdp", rel, NULL);
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    return text;
}

static char *
expect_string(const char *group, const char *key)
{
    return g_key_file_get_string(expectations, group, key, NULL);
}

static JsdpRole
expect_role(const char *group, JsdpRole fallback)
{
    g_autofree char *role = expect_string(group, "role");

    if (role == NULL)
        return fallback;
    return strcmp(role, "responder") == 0 ? JSDP_ROLE_RESPONDER : JSDP_ROLE_INITIATOR;
}

static gint
error_code(const char *name)
{
    if (g_strcmp0(name, "MALFORMED") == 0)
        return JSDP_ERROR_MALFORMED;
    if (g_strcmp0(name, "UNSUPPORTED") == 0)
        return JSDP_ERROR_UNSUPPORTED;
    if (g_strcmp0(name, "INCOMPATIBLE") == 0)
        return JSDP_ERROR_INCOMPATIBLE;
    g_assert_not_reached();
}

/* Applies "a|b;c|d" replacements (\n, \r escapes allowed via GKeyFile). */
static char *
apply_replacements(const char *group, const char *key, const char *text)
{
    g_auto(GStrv) pairs = g_key_file_get_string_list(expectations, group, key, NULL, NULL);
    g_autoptr(GString) s = g_string_new(text);

    for (guint i = 0; pairs != NULL && pairs[i] != NULL; i++) {
        g_auto(GStrv) ab = g_strsplit(pairs[i], "|", 2);
        guint n;
        g_assert_nonnull(ab[1]);
        n = g_string_replace(s, ab[0], ab[1], 0);
        if (n == 0)
            g_error("%s %s: '%s' not found", group, key, ab[0]);
    }
    return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The set of warnings must be exactly what the expectations list: each
 * actual warning contains one listed substring, and each listed substring
 * is in some warning.  Nothing is dropped without the test knowing. */
static void
check_warnings(const char *group, const GPtrArray *w1, const GPtrArray *w2)
{
    g_auto(GStrv) want = g_key_file_get_string_list(expectations, group, "warnings", NULL, NULL);
    const GPtrArray *lists[] = {w1, w2};

    for (guint l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (guint i = 0; lists[l] != NULL && i < lists[l]->len; i++) {
            const char *w = g_ptr_array_index(lists[l], i);
            gboolean listed = FALSE;
            for (guint k = 0; want != NULL && want[k] != NULL && !listed; k++)
                listed = strstr(w, want[k]) != NULL;
            if (!listed)
                g_error("%s: unexpected warning '%s'", group, w);
        }
    }
    for (guint k = 0; want != NULL && want[k] != NULL; k++) {
        gboolean seen = FALSE;
        for (guint l = 0; l < G_N_ELEMENTS(lists) && !seen; l++) {
            for (guint i = 0; lists[l] != NULL && i < lists[l]->len && !seen; i++)
                seen = strstr(g_ptr_array_index(lists[l], i), want[k]) != NULL;
        }
        if (!seen)
            g_error("%s: expected warning '%s' not produced", group, want[k]);
    }
}

static void
dump_both(const JsdpSession *a, const JsdpSession *b)
{
    JsdpSdpPrintParams p = sdp_params_init;
    g_autofree char *sa = jsdp_session_to_sdp(a, &p, NULL);
    g_autofree char *sb = jsdp_session_to_sdp(b, &p, NULL);

    g_test_message("first:\n%s\nsecond:\n%s", sa ? sa : "(none)", sb ? sb : "(none)");
}

static void
assert_equal(const JsdpSession *a, const JsdpSession *b)
{
    if (!jsdp_session_equal(a, b)) {
        dump_both(a, b);
        g_assert_true(jsdp_session_equal(a, b));
    }
}

/* ---- corpus round trips --------------------------------------------- */

/* SDP -> model (a) -> Jingle -> model, and -> SDP -> model: both equal to a
 * (less rejected contents on the Jingle side).  Print warnings go to pw. */
static void
roundtrip_from_sdp(const JsdpSession *a, const JsdpSdpParseParams *pp, GPtrArray *pw)
{
    JsdpSdpPrintParams sp = sdp_params_init;
    JsdpJinglePrintParams jp = {.action = "session-initiate", .sid = "s1", .warnings = pw};
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) b = NULL, c = NULL, a2 = NULL;
    g_autofree char *xml = NULL, *sdp = NULL;

    xml = jsdp_session_to_jingle_string(a, &jp, &error);
    g_assert_no_error(error);
    b = jsdp_session_from_jingle_string(xml, -1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(jsdp_session_get_warnings(b)->len, ==, 0);
    /* Jingle has no rejected content (port 0): its printer leaves them
     * out */
    a2 = jsdp_session_copy_without_rejected(a);
    assert_equal(a2, b);
    sp.author = pp->author;
    sp.warnings = pw;
    sdp = jsdp_session_to_sdp(a, &sp, &error);
    g_assert_no_error(error);
    c = jsdp_session_from_sdp(sdp, -1, pp, &error);
    g_assert_no_error(error);
    assert_equal(a, c);
}

/* Jingle -> model (a) -> SDP -> model, and -> Jingle -> model. */
static void
roundtrip_from_jingle(const char *group, JsdpSession *a, GPtrArray *pw)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) b = NULL, c = NULL;
    JsdpSdpPrintParams sp = sdp_params_init;
    JsdpJinglePrintParams jp = {.warnings = pw};
    JsdpSdpParseParams pp = {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_ICE_HOST};
    g_autofree char *sdp = NULL, *xml = NULL;

    /* The SDP is written by whoever sent the Jingle; for SDP without ICE
     * the caller's choice is what the Jingle side had. */
    pp.author = g_strcmp0(a->action, "session-accept") == 0 ? JSDP_ROLE_RESPONDER
                                                            : JSDP_ROLE_INITIATOR;
    for (guint i = 0; i < a->contents->len; i++) {
        const JsdpContent *k = g_ptr_array_index(a->contents, i);
        if (k->transport != NULL && k->transport->type == JSDP_TRANSPORT_RAW_UDP)
            pp.classic = JSDP_CLASSIC_RAW_UDP;
    }
    jp.action = a->action;
    jp.sid = a->sid;
    xml = jsdp_session_to_jingle_string(a, &jp, &error);
    g_assert_no_error(error);
    b = jsdp_session_from_jingle_string(xml, -1, &error);
    g_assert_no_error(error);
    assert_equal(a, b);
    sp.author = pp.author;
    sp.warnings = pw;
    sdp = jsdp_session_to_sdp(a, &sp, &error);
    g_assert_no_error(error);
    c = jsdp_session_from_sdp(sdp, -1, &pp, &error);
    g_assert_no_error(error);
    if (g_key_file_get_boolean(expectations, group, "responder-contents", NULL)) {
        /* SDP has no creator (warned): contents come back as the initiator's. */
        for (guint i = 0; i < a->contents->len; i++)
            ((JsdpContent *)g_ptr_array_index(a->contents, i))->creator = JSDP_ROLE_INITIATOR;
    }
    assert_equal(a, c);
}

static void
test_roundtrip_sdp(gconstpointer data)
{
    const char *file = data;
    g_autofree char *group = g_strdup_printf("sdp/%s", file);
    g_autofree char *text = read_data(group);
    g_autofree char *want_error = expect_string(group, "error");
    JsdpSdpParseParams pp = {expect_role(group, JSDP_ROLE_INITIATOR), JSDP_CLASSIC_RAW_UDP};
    g_autoptr(GPtrArray) pw = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) a = jsdp_session_from_sdp(text, -1, &pp, &error);

    if (want_error != NULL) {
        g_assert_error(error, JSDP_ERROR, error_code(want_error));
        g_assert_null(a);
        g_test_message("expected error: %s", error->message);
        return;
    }
    g_assert_no_error(error);
    roundtrip_from_sdp(a, &pp, pw);
    check_warnings(group, jsdp_session_get_warnings(a), pw);
}

/* Bare <content> snippets (MongooseIM fixtures) are wrapped in a
 * session-initiate, bare <transport>s in a transport-info. */
static char *
wrap_jingle(const char *text)
{
    const char *p = text;

    while (g_ascii_isspace(*p))
        p++;
    if (g_str_has_prefix(p, "<content"))
        return g_strdup_printf("<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'>%s"
                               "</jingle>", p);
    if (g_str_has_prefix(p, "<transport"))
        return g_strdup_printf("<jingle xmlns='urn:xmpp:jingle:1' action='transport-info'>"
                               "<content creator='initiator' name='0'>%s</content></jingle>", p);
    return g_strdup(text);
}

static void
test_roundtrip_jingle(gconstpointer data)
{
    const char *file = data;
    g_autofree char *group = g_strdup_printf("jingle/%s", file);
    g_autofree char *raw = read_data(group);
    g_autofree char *fixed = apply_replacements(group, "jingle-replace", raw);
    g_autofree char *text = wrap_jingle(fixed);
    g_autofree char *want_error = expect_string(group, "error");
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) a = jsdp_session_from_jingle_string(text, -1, &error);
    g_autoptr(GPtrArray) pw = g_ptr_array_new_with_free_func(g_free);

    if (want_error != NULL) {
        g_assert_error(error, JSDP_ERROR, error_code(want_error));
        g_assert_null(a);
        g_test_message("expected error: %s", error->message);
        return;
    }
    g_assert_no_error(error);
    roundtrip_from_jingle(group, a, pw);
    check_warnings(group, jsdp_session_get_warnings(a), pw);
}

/* ---- pairs ------------------------------------------------------------ */

static gpointer
copy_str(gconstpointer src, gpointer unused)
{
    return g_strdup(src);
}

/* Reduces a session to what a pair compares ("compare" in the
 * expectations): the XEP snippets show one aspect each. */
static void
project(JsdpSession *s, const char *aspect, gboolean ignore_names)
{
    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (ignore_names) {
            g_free(c->name);
            c->name = g_strdup_printf("content%u", i);
        }
        if (strcmp(aspect, "description") == 0 || strcmp(aspect, "codecs") == 0) {
            g_clear_pointer(&c->transport, jsdp_transport_free);
        }
        if (strcmp(aspect, "codecs") == 0) {
            JsdpContent *n = g_ptr_array_index(s->contents, i);
            g_ptr_array_set_size(n->sources, 0);
            g_ptr_array_set_size(n->ssrc_groups, 0);
            g_ptr_array_set_size(n->hdrexts, 0);
            g_ptr_array_set_size(n->bandwidths, 0);
            n->extmap_allow_mixed = FALSE;
            n->rtcp_mux = FALSE;
            g_clear_pointer(&n->msid_stream, g_free);
            g_clear_pointer(&n->msid_track, g_free);
        }
        if (strcmp(aspect, "dtls") == 0) {
            JsdpTransport *t = c->transport;
            c->has_description = FALSE;
            g_clear_pointer(&c->media, g_free);
            if (t != NULL) {
                t->type = JSDP_TRANSPORT_ICE_UDP;
                g_clear_pointer(&t->ufrag, g_free);
                g_clear_pointer(&t->pwd, g_free);
                g_ptr_array_set_size(t->candidates, 0);
            }
        }
    }
    if (ignore_names)
        g_ptr_array_set_size(s->groups, 0);
}

static void
test_pair(gconstpointer data)
{
    const char *name = data;
    g_autofree char *group = g_strdup_printf("pairs/%s", name);
    g_autofree char *compare = expect_string(group, "compare");
    g_autofree char *sdp_file = g_strdup_printf("pairs/%s.sdp", name);
    g_autofree char *xml_file = expect_string(group, "jingle-file");
    g_autofree char *sdp_raw = read_data(sdp_file);
    g_autofree char *xml_raw = NULL;
    g_autofree char *sdp_fixed = apply_replacements(group, "sdp-replace", sdp_raw);
    g_autofree char *sdp_pre = expect_string(group, "sdp-prefix");
    g_autofree char *sdp_post = expect_string(group, "sdp-suffix");
    g_autofree char *xml_pre = expect_string(group, "jingle-prefix");
    g_autofree char *xml_post = expect_string(group, "jingle-suffix");
    g_autofree char *sdp = NULL, *xml_fixed = NULL, *xml = NULL;
    JsdpSdpParseParams pp = {expect_role(group, JSDP_ROLE_INITIATOR), JSDP_CLASSIC_RAW_UDP};
    gboolean ignore_names = g_key_file_get_boolean(expectations, group, "ignore-names", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) from_sdp = NULL, from_xml = NULL;
    g_autoptr(GPtrArray) pw = g_ptr_array_new_with_free_func(g_free);

    g_assert_nonnull(compare);
    xml_raw = read_data(xml_file ? xml_file : (xml_file = g_strdup_printf("pairs/%s.xml", name)));
    xml_fixed = apply_replacements(group, "jingle-replace", xml_raw);
    sdp = g_strconcat(sdp_pre ? sdp_pre : "", sdp_fixed, sdp_post ? sdp_post : "", NULL);
    xml = g_strconcat(xml_pre ? xml_pre : "", xml_fixed, xml_post ? xml_post : "", NULL);
    from_sdp = jsdp_session_from_sdp(sdp, -1, &pp, &error);
    g_assert_no_error(error);
    if (g_str_has_suffix(xml_file, ".json")) {
        /* StanzaJS's intermediate JSON is not Jingle XML: only the SDP side
         * is checked here (and by the benchmark against StanzaJS). */
        g_assert_cmpstr(compare, ==, "none");
        roundtrip_from_sdp(from_sdp, &pp, pw);
        check_warnings(group, jsdp_session_get_warnings(from_sdp), pw);
        return;
    }
    from_xml = jsdp_session_from_jingle_string(xml, -1, &error);
    g_assert_no_error(error);
    /* Each side round-trips on its own too. */
    roundtrip_from_sdp(from_sdp, &pp, pw);
    roundtrip_from_jingle(group, from_xml, pw);
    g_ptr_array_extend(pw, (GPtrArray *)jsdp_session_get_warnings(from_xml), copy_str, NULL);
    check_warnings(group, jsdp_session_get_warnings(from_sdp), pw);
    if (strcmp(compare, "none") == 0)
        return;
    project(from_sdp, compare, ignore_names);
    project(from_xml, compare, ignore_names);
    assert_equal(from_sdp, from_xml);
}

/* ---- golden files ----------------------------------------------------- */

static void
check_golden(const char *expected_rel, const char *got)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "jsdp", expected_rel, NULL);
    g_autofree char *want = NULL;

    if (g_getenv("JSDP_UPDATE_GOLDEN") != NULL) {
        g_autoptr(GError) error = NULL;
        g_file_set_contents(path, got, -1, &error);
        g_assert_no_error(error);
        return;
    }
    want = read_data(expected_rel);
    g_assert_cmpstr(got, ==, want);
}

static void
test_golden_jingle_to_sdp(gconstpointer data)
{
    const char *name = data;
    g_autofree char *in_rel = g_strdup_printf("golden/jingle-to-sdp/%s.jingle.xml", name);
    g_autofree char *out_rel = g_strdup_printf("golden/jingle-to-sdp/%s.sdp", name);
    g_autofree char *xml = read_data(in_rel);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) s = jsdp_session_from_jingle_string(xml, -1, &error);
    JsdpSdpPrintParams sp = sdp_params_init;
    g_autofree char *got = NULL;

    g_assert_no_error(error);
    if (g_strcmp0(s->action, "session-accept") == 0)
        sp.author = JSDP_ROLE_RESPONDER;
    got = jsdp_session_to_sdp(s, &sp, &error);
    g_assert_no_error(error);
    check_golden(out_rel, got);
}

static void
test_golden_sdp_to_jingle(gconstpointer data)
{
    const char *name = data;
    g_autofree char *in_rel = g_strdup_printf("golden/sdp-to-jingle/%s.sdp", name);
    g_autofree char *out_rel = g_strdup_printf("golden/sdp-to-jingle/%s.jingle.xml", name);
    g_autofree char *sdp = read_data(in_rel);
    g_autoptr(GError) error = NULL;
    JsdpSdpParseParams pp = {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_RAW_UDP};
    JsdpJinglePrintParams jp = {.action = "session-initiate",
                                .sid = "a73sjjvkla37jfea",
                                .initiator = "romeo@example.com/orchard"};
    g_autoptr(JsdpSession) s = NULL;
    g_autofree char *got = NULL, *with_nl = NULL;

    if (strstr(name, "answer") != NULL) {
        pp.author = JSDP_ROLE_RESPONDER;
        jp.action = "session-accept";
    }
    if (strstr(name, "ice-host") != NULL)
        pp.classic = JSDP_CLASSIC_ICE_HOST;
    s = jsdp_session_from_sdp(sdp, -1, &pp, &error);
    g_assert_no_error(error);
    got = jsdp_session_to_jingle_string(s, &jp, &error);
    g_assert_no_error(error);
    with_nl = g_strconcat(got, "\n", NULL);
    check_golden(out_rel, with_nl);
}

/* ---- bad input and edge cases ----------------------------------------- */

#define SDP_HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
#define AUDIO "m=audio 49170 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"
#define ICE "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
#define CAND "a=candidate:1 1 udp 2130706431 192.0.2.1 49170 typ host\r\n"
#define J_OPEN "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='x'>" \
               "<content creator='initiator' name='a'>"
#define J_DESC "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>"
#define J_CLOSE "</content></jingle>"
#define J_ICE "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='u' pwd='p'>"

typedef struct {
    const char *name;
    gboolean jingle; /* else SDP */
    const char *input;
    gint code; /* -1: must succeed */
} BadCase;

static const BadCase bad_cases[] = {
    /* SDP */
    {"sdp-empty", FALSE, "", JSDP_ERROR_MALFORMED},
    {"sdp-not-sdp", FALSE, "hello world\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-version-1", FALSE, "v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n" AUDIO, JSDP_ERROR_MALFORMED},
    {"sdp-missing-origin", FALSE, "v=0\r\ns=-\r\nt=0 0\r\n" AUDIO, JSDP_ERROR_MALFORMED},
    {"sdp-no-media", FALSE, SDP_HEAD "c=IN IP4 192.0.2.1\r\n", JSDP_ERROR_UNSUPPORTED},
    {"sdp-missing-ufrag", FALSE, SDP_HEAD AUDIO "a=ice-pwd:0123456789abcdefghijkl\r\n" CAND,
     JSDP_ERROR_MALFORMED},
    {"sdp-candidates-without-credentials", FALSE, SDP_HEAD AUDIO CAND, JSDP_ERROR_MALFORMED},
    {"sdp-unknown-codec-no-rtpmap", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-unknown-codec-name", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\n"
                                               "a=rtpmap:96 X-NEVER-HEARD/12345\r\n", -1},
    {"sdp-duplicate-payload-id", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 0 0\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-duplicate-rtpmap", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\n"
                                             "a=rtpmap:96 opus/48000/2\r\na=rtpmap:96 opus/48000/2\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-payload-id-128", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 128\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-port-65536", FALSE, SDP_HEAD "m=audio 65536 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-port-huge", FALSE, SDP_HEAD "m=audio 99999999999999999999999 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-port-0", FALSE, SDP_HEAD "m=audio 0 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n", -1},
    {"sdp-port-count", FALSE, SDP_HEAD "m=audio 49170/2 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_UNSUPPORTED},
    {"sdp-priority-over-32-bit", FALSE,
     SDP_HEAD AUDIO ICE "a=candidate:1 1 udp 4294967296 192.0.2.1 49170 typ host\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-priority-max-32-bit", FALSE,
     SDP_HEAD AUDIO ICE "a=candidate:1 1 udp 4294967295 192.0.2.1 49170 typ host\r\n", -1},
    {"sdp-candidate-bad-type", FALSE,
     SDP_HEAD AUDIO ICE "a=candidate:1 1 udp 1 192.0.2.1 49170 typ bogus\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-candidate-short", FALSE, SDP_HEAD AUDIO ICE "a=candidate:1 1 udp 1 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-candidate-extensions", FALSE,
     SDP_HEAD AUDIO ICE "a=candidate:1 1 udp 1 192.0.2.1 49170 typ host generation 0 ufrag abcd "
                        "network-id 1 network-cost 10 x-future 7\r\n", -1},
    {"sdp-candidate-extension-without-value", FALSE,
     SDP_HEAD AUDIO ICE "a=candidate:1 1 udp 1 192.0.2.1 49170 typ host generation\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-ipv6", FALSE,
     SDP_HEAD "m=audio 49170 RTP/AVP 0\r\nc=IN IP6 2001:db8::1\r\n" ICE
              "a=candidate:1 1 udp 2130706431 2001:db8::1 49170 typ host\r\n", -1},
    {"sdp-lf-only", FALSE, "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 49170 RTP/AVP 0\n"
                           "c=IN IP4 192.0.2.1\n", -1},
    {"sdp-missing-c", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 0\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-multicast-c", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP 0\r\nc=IN IP4 224.2.1.1/127\r\n",
     JSDP_ERROR_UNSUPPORTED},
    {"sdp-m-no-formats", FALSE, SDP_HEAD "m=audio 49170 RTP/AVP\r\nc=IN IP4 192.0.2.1\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-m-bare", FALSE, SDP_HEAD "m=video\r\nc=IN IP4 192.0.2.1\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-bad-fingerprint", FALSE, SDP_HEAD AUDIO "a=fingerprint:sha-256 XY:ZZ\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-short-fingerprint", FALSE, SDP_HEAD AUDIO "a=fingerprint:sha-256 AB:CD\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-bad-setup", FALSE, SDP_HEAD AUDIO "a=setup:sometimes\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-duplicate-mid", FALSE, SDP_HEAD AUDIO "a=mid:a\r\n" AUDIO "a=mid:a\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-group-unknown-mid", FALSE, SDP_HEAD "a=group:BUNDLE a b\r\n" AUDIO "a=mid:a\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-nul-byte", FALSE, "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\x01\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-bad-line", FALSE, SDP_HEAD AUDIO "this is not a line\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-unknown-line-type", FALSE, SDP_HEAD "x=1\r\n" AUDIO, JSDP_ERROR_MALFORMED},
    {"sdp-ssrc-over-32-bit", FALSE, SDP_HEAD AUDIO "a=ssrc:4294967296 cname:x\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-extmap-id-0", FALSE, SDP_HEAD AUDIO "a=extmap:0 urn:x\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-ptime-0", FALSE, SDP_HEAD AUDIO "a=ptime:0\r\n", JSDP_ERROR_MALFORMED},
    {"sdp-crypto-short", FALSE, SDP_HEAD AUDIO "a=crypto:1 AES_CM_128_HMAC_SHA1_80\r\n",
     JSDP_ERROR_MALFORMED},
    {"sdp-fragment", FALSE, ICE "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n" CAND, -1},
    /* Jingle */
    {"xml-not-well-formed", TRUE, "<jingle xmlns='urn:xmpp:jingle:1'", JSDP_ERROR_MALFORMED},
    {"xml-doctype", TRUE, "<!DOCTYPE jingle [<!ENTITY a 'aaaa'>]><jingle xmlns='urn:xmpp:jingle:1'/>",
     JSDP_ERROR_MALFORMED},
    {"xml-external-entity", TRUE,
     "<!DOCTYPE j [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><jingle xmlns='urn:xmpp:jingle:1'>&x;</jingle>",
     JSDP_ERROR_MALFORMED},
    {"xml-not-jingle", TRUE, "<message xmlns='jabber:client'/>", JSDP_ERROR_UNSUPPORTED},
    {"xml-wrong-namespace", TRUE, "<jingle xmlns='urn:xmpp:jingle:0'/>", JSDP_ERROR_UNSUPPORTED},
    {"xml-no-content", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate'/>",
     JSDP_ERROR_UNSUPPORTED},
    /* (a content without name is named: /jsdp/interop/content-without-name) */
    {"xml-content-name-too-long", TRUE,
     "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'><content creator='initiator' name='"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'/></jingle>",
     JSDP_ERROR_MALFORMED},
    {"xml-bad-senders", TRUE,
     "<jingle xmlns='urn:xmpp:jingle:1' action='x'><content creator='initiator' name='a' senders='all'/></jingle>",
     JSDP_ERROR_MALFORMED},
    {"xml-duplicate-payload-id", TRUE,
     J_OPEN J_DESC "<payload-type id='0' name='PCMU'/><payload-type id='0' name='PCMU'/></description>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-payload-id-128", TRUE, J_OPEN J_DESC "<payload-type id='128' name='x'/></description>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-dynamic-without-name", TRUE, J_OPEN J_DESC "<payload-type id='96'/></description>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-unknown-codec", TRUE,
     J_OPEN J_DESC "<payload-type id='96' name='X-NEVER-HEARD' clockrate='12345'/></description>" J_CLOSE, -1},
    {"xml-no-media", TRUE,
     J_OPEN "<description xmlns='urn:xmpp:jingle:apps:rtp:1'><payload-type id='0'/></description>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-candidate-port-65536", TRUE,
     J_OPEN J_ICE "<candidate component='1' foundation='1' generation='0' id='x' ip='192.0.2.1' "
                  "port='65536' priority='1' protocol='udp' type='host'/></transport>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-candidate-priority-huge", TRUE,
     J_OPEN J_ICE "<candidate component='1' foundation='1' generation='0' id='x' ip='192.0.2.1' "
                  "port='1' priority='99999999999999999999' protocol='udp' type='host'/></transport>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-candidate-no-ip", TRUE,
     J_OPEN J_ICE "<candidate component='1' foundation='1' generation='0' id='x' "
                  "port='1' priority='1' protocol='udp' type='host'/></transport>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-candidate-ipv6", TRUE,
     J_OPEN J_DESC "<payload-type id='0' name='PCMU'/></description>" J_ICE
                   "<candidate component='1' foundation='1' generation='0' id='x' ip='2001:db8::5' "
                   "port='1' priority='1' protocol='udp' type='host'/></transport>" J_CLOSE, -1},
    {"xml-bad-fingerprint", TRUE,
     J_OPEN J_ICE "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>"
                  "not-hex</fingerprint></transport>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-bad-setup", TRUE,
     J_OPEN J_ICE "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='maybe'>"
                  "02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2"
                  "</fingerprint></transport>" J_CLOSE,
     JSDP_ERROR_MALFORMED},
    {"xml-unsupported-transport", TRUE,
     J_OPEN "<transport xmlns='urn:xmpp:jingle:transports:s5b:1'/>" J_CLOSE, JSDP_ERROR_UNSUPPORTED},
    {"xml-unsupported-description", TRUE,
     J_OPEN "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'/>" J_CLOSE, JSDP_ERROR_UNSUPPORTED},
    {"xml-group-unknown-content", TRUE,
     "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'><content creator='initiator' name='a'/>"
     "<group xmlns='urn:xmpp:jingle:apps:grouping:0' semantics='BUNDLE'><content name='b'/></group></jingle>",
     JSDP_ERROR_MALFORMED},
    {"xml-mismatched-end-tag", TRUE, "<jingle xmlns='urn:xmpp:jingle:1'><content></jingle>",
     JSDP_ERROR_MALFORMED},
    {"xml-undeclared-prefix", TRUE, "<j:jingle xmlns='urn:xmpp:jingle:1'/>", JSDP_ERROR_MALFORMED},
    {"xml-duplicate-attribute", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='a' action='b'/>",
     JSDP_ERROR_MALFORMED},
    {"xml-unknown-entity", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='&foo;'/>",
     JSDP_ERROR_MALFORMED},
    {"xml-bad-char-ref", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='&#0;'/>",
     JSDP_ERROR_MALFORMED},
    {"xml-lt-in-attribute", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='<'/>",
     JSDP_ERROR_MALFORMED},
    {"xml-two-roots", TRUE, "<jingle xmlns='urn:xmpp:jingle:1'/><jingle xmlns='urn:xmpp:jingle:1'/>",
     JSDP_ERROR_MALFORMED},
    {"xml-unterminated-comment", TRUE, "<jingle xmlns='urn:xmpp:jingle:1'><!-- </jingle>",
     JSDP_ERROR_MALFORMED},
    {"xml-control-char", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='\x01'/>", JSDP_ERROR_MALFORMED},
    {"xml-not-utf8", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action='\xff'/>", JSDP_ERROR_MALFORMED},
    {"xml-unquoted-attribute", TRUE, "<jingle xmlns='urn:xmpp:jingle:1' action=x/>", JSDP_ERROR_MALFORMED},
    {"xml-prefixes-comments-cdata-refs", TRUE,
     "<?xml version='1.0'?><!-- c --><j:jingle xmlns:j='urn:xmpp:jingle:1' action='session-&#x69;nitiate'>"
     "<j:content creator='initiator' name='a&amp;b'><d:description xmlns:d='urn:xmpp:jingle:apps:rtp:1' "
     "media='audio'><d:payload-type id='0' name='PCMU'/><!-- x --></d:description>"
     "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'><fingerprint "
     "xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'><![CDATA[02:1A:CC:54:27:AB:EB:9C:"
     "53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2]]></fingerprint></transport>"
     "</j:content></j:jingle>", -1},
    {"xml-content-name-with-space", TRUE,
     "<jingle xmlns='urn:xmpp:jingle:1' action='x'><content creator='initiator' name='a b'/></jingle>",
     JSDP_ERROR_UNSUPPORTED},
};

static void
test_bad(gconstpointer data)
{
    const BadCase *bc = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) s = NULL;

    if (bc->jingle)
        s = jsdp_session_from_jingle_string(bc->input, -1, &error);
    else
        s = jsdp_session_from_sdp(bc->input, -1, NULL, &error);
    if (bc->code < 0) {
        g_assert_no_error(error);
        g_assert_nonnull(s);
        return;
    }
    g_assert_error(error, JSDP_ERROR, bc->code);
    g_assert_null(s);
    g_test_message("%s", error->message);
}

static void
test_error_names_line(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) s =
        jsdp_session_from_sdp(SDP_HEAD AUDIO "a=rtpmap:0 PCMU/notanumber\r\n", -1, NULL, &error);

    g_assert_null(s);
    g_assert_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "line 7"));
    g_assert_nonnull(strstr(error->message, "a=rtpmap:0 PCMU/notanumber"));
}

static void
test_crlf_lf_equal(void)
{
    const char *crlf = SDP_HEAD AUDIO ICE CAND "a=sendonly\r\n";
    g_autofree char *lf = g_strdup(crlf);
    g_autoptr(JsdpSession) a = NULL, b = NULL;
    char *w = lf;

    for (const char *r = crlf; *r; r++) {
        if (*r != '\r')
            *w++ = *r;
    }
    *w = '\0';
    a = jsdp_session_from_sdp(crlf, -1, NULL, NULL);
    b = jsdp_session_from_sdp(lf, -1, NULL, NULL);
    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_true(jsdp_session_equal(a, b));
}

/* Blanks around an a=ssrc value are dropped on both sides (the Jingle
 * parser trims <parameter value>), so SDP -> Jingle -> SDP keeps it. */
static void
test_ssrc_value_trimmed(void)
{
    g_autoptr(JsdpSession) a =
        jsdp_session_from_sdp(SDP_HEAD AUDIO "a=ssrc:9 cname: x \r\na=ssrc:9 label:\r\n", -1, NULL,
                              NULL);
    JsdpSource *src;
    JsdpParameter *p;

    g_assert_nonnull(a);
    src = g_ptr_array_index(((JsdpContent *)a->contents->pdata[0])->sources, 0);
    g_assert_cmpuint(src->parameters->len, ==, 2);
    p = g_ptr_array_index(src->parameters, 0);
    g_assert_cmpstr(p->name, ==, "cname");
    g_assert_cmpstr(p->value, ==, "x");
    p = g_ptr_array_index(src->parameters, 1);
    g_assert_cmpstr(p->value, ==, "");
}

/* RFC 3264 direction is the author's; Jingle senders is absolute. */
static void
test_senders_role(void)
{
    JsdpSdpParseParams resp = {JSDP_ROLE_RESPONDER, JSDP_CLASSIC_RAW_UDP};
    JsdpSdpPrintParams sp = sdp_params_init;
    g_autoptr(JsdpSession) a = jsdp_session_from_sdp(SDP_HEAD AUDIO "a=sendonly\r\n", -1, NULL, NULL);
    g_autoptr(JsdpSession) b = jsdp_session_from_sdp(SDP_HEAD AUDIO "a=sendonly\r\n", -1, &resp, NULL);
    g_autofree char *out = NULL;

    g_assert_cmpint(((JsdpContent *)a->contents->pdata[0])->senders, ==, JSDP_SENDERS_INITIATOR);
    g_assert_cmpint(((JsdpContent *)b->contents->pdata[0])->senders, ==, JSDP_SENDERS_RESPONDER);
    /* The responder's sendonly, printed by the initiator, is recvonly. */
    sp.author = JSDP_ROLE_INITIATOR;
    out = jsdp_session_to_sdp(b, &sp, NULL);
    g_assert_nonnull(strstr(out, "a=recvonly\r\n"));
}

static void
test_classic_modes(void)
{
    JsdpSdpParseParams ice = {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_ICE_HOST};
    const char *sdp = SDP_HEAD AUDIO "a=rtcp:49171\r\n";
    g_autoptr(JsdpSession) raw = jsdp_session_from_sdp(sdp, -1, NULL, NULL);
    g_autoptr(JsdpSession) host = jsdp_session_from_sdp(sdp, -1, &ice, NULL);
    JsdpTransport *t;
    JsdpCandidate *c;
    JsdpSdpPrintParams sp = sdp_params_init;
    g_autofree char *out = NULL;
    g_autoptr(JsdpSession) back = NULL;

    t = ((JsdpContent *)raw->contents->pdata[0])->transport;
    g_assert_cmpint(t->type, ==, JSDP_TRANSPORT_RAW_UDP);
    g_assert_cmpuint(t->candidates->len, ==, 2);
    t = ((JsdpContent *)host->contents->pdata[0])->transport;
    g_assert_cmpint(t->type, ==, JSDP_TRANSPORT_ICE_UDP);
    g_assert_cmpuint(t->candidates->len, ==, 2);
    c = t->candidates->pdata[0];
    g_assert_cmpuint(c->priority, ==, 2130706431u);
    g_assert_cmpint(c->type, ==, JSDP_CANDIDATE_HOST);
    g_assert_cmpstr(c->ip, ==, "192.0.2.1");
    /* no ufrag: printed back as classic SDP */
    out = jsdp_session_to_sdp(host, &sp, NULL);
    g_assert_null(strstr(out, "a=candidate"));
    g_assert_nonnull(strstr(out, "m=audio 49170 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=rtcp:49171\r\n"));
    back = jsdp_session_from_sdp(out, -1, &ice, NULL);
    g_assert_true(jsdp_session_equal(host, back));
}

static void
test_ice_as_classic(void)
{
    const char *sdp = SDP_HEAD "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n" ICE
        "a=candidate:1 1 udp 2130706431 192.0.2.10 5000 typ host\r\n"
        "a=candidate:2 1 udp 1694498815 203.0.113.7 6000 typ srflx raddr 192.0.2.10 rport 5000\r\n";
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(sdp, -1, NULL, NULL);
    JsdpSdpPrintParams sp = sdp_params_init;
    JsdpTransport *t = ((JsdpContent *)s->contents->pdata[0])->transport;
    g_autofree char *best = NULL, *chosen = NULL;

    sp.classic = TRUE;
    best = jsdp_session_to_sdp(s, &sp, NULL);
    g_assert_nonnull(strstr(best, "m=audio 5000 RTP/AVP 0\r\nc=IN IP4 192.0.2.10\r\n"));
    g_assert_null(strstr(best, "a=ice-ufrag"));
    g_assert_null(strstr(best, "a=candidate"));
    ((JsdpCandidate *)t->candidates->pdata[1])->id = g_strdup("srflx1");
    sp.classic_candidate_id = "srflx1";
    chosen = jsdp_session_to_sdp(s, &sp, NULL);
    g_assert_nonnull(strstr(chosen, "m=audio 6000 RTP/AVP 0\r\nc=IN IP4 203.0.113.7\r\n"));
}

static void
test_candidate_helpers(void)
{
    const char *line = "a=candidate:842163049 1 udp 1677729535 203.0.113.5 46154 typ srflx "
                       "raddr 10.0.0.4 rport 46154 generation 1 network-id 3 network-cost 10\r\n";
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpCandidate) c = jsdp_candidate_from_sdp_line(line, w, &error);
    g_autoptr(JsdpCandidate) c2 = NULL, c3 = NULL;
    g_autofree char *text = NULL;
    xmlNode *node;

    g_assert_no_error(error);
    g_assert_cmpuint(c->priority, ==, 1677729535u);
    g_assert_cmpint(c->type, ==, JSDP_CANDIDATE_SRFLX);
    g_assert_cmpstr(c->rel_addr, ==, "10.0.0.4");
    g_assert_cmpint(c->rel_port, ==, 46154);
    g_assert_cmpuint(c->generation, ==, 1);
    g_assert_cmpint(c->network, ==, 3);
    g_assert_cmpuint(w->len, ==, 1); /* network-cost */
    text = jsdp_candidate_to_sdp_line(c);
    g_assert_cmpstr(text, ==, "candidate:842163049 1 udp 1677729535 203.0.113.5 46154 typ srflx "
                              "raddr 10.0.0.4 rport 46154 generation 1 network-id 3");
    c2 = jsdp_candidate_from_sdp_line(text, NULL, &error); /* without "a=" */
    g_assert_no_error(error);
    g_assert_true(jsdp_candidate_equal(c, c2));
    node = jsdp_candidate_to_xml(c, JSDP_NS_ICE_UDP, "cand1");
    c3 = jsdp_candidate_from_xml(node, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c3->id, ==, "cand1");
    g_assert_true(jsdp_candidate_equal(c, c3));
    xmlFreeNode(node);
    g_assert_null(jsdp_candidate_from_sdp_line("a=ice-ufrag:x", NULL, &error));
    g_assert_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED);
}

/* transport-info (no description) <-> RFC 8840 SDP fragment. */
static void
test_fragment(void)
{
    g_autofree char *xml = read_data("jingle/dino-transport-info-srflx-component2.xml");
    g_autoptr(JsdpSession) a = jsdp_session_from_jingle_string(xml, -1, NULL);
    JsdpSdpPrintParams sp = sdp_params_init;
    g_autofree char *frag = NULL;
    g_autoptr(JsdpSession) b = NULL;

    g_assert_nonnull(a);
    frag = jsdp_session_to_sdp(a, &sp, NULL);
    g_assert_true(g_str_has_prefix(frag, "m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:video\r\n"));
    g_assert_null(strstr(frag, "v=0"));
    g_assert_nonnull(strstr(frag, "a=candidate:7 2 udp 1679819518 203.0.113.10 39404 typ srflx "
                                  "raddr 192.168.178.113 rport 39404 generation 0 network-id 0\r\n"));
    b = jsdp_session_from_sdp(frag, -1, NULL, NULL);
    g_assert_nonnull(b);
    g_assert_true(b->fragment);
    g_assert_true(jsdp_session_equal(a, b));
}

static void
test_rejected_and_actpass_warnings(void)
{
    const char *sdp = SDP_HEAD "a=group:BUNDLE a v\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\n" ICE "a=mid:a\r\n"
        "a=fingerprint:sha-256 02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2\r\n"
        "a=setup:actpass\r\nm=video 0 RTP/AVP 31\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n";
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(sdp, -1, NULL, NULL);
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    JsdpJinglePrintParams jp = {.action = "session-accept", .warnings = w};
    g_autofree char *xml = NULL;

    g_assert_nonnull(s);
    g_assert_true(((JsdpContent *)s->contents->pdata[1])->rejected);
    xml = jsdp_session_to_jingle_string(s, &jp, NULL);
    g_assert_null(strstr(xml, "name=\"v\""));
    g_assert_cmpuint(w->len, ==, 3); /* rejected, removed from group, actpass */
}

/* The libxml2 tree forms: jsdp_session_to_jingle() and back through
 * jsdp_session_from_jingle(), and the same through our text reader. */
static void
test_xml_tree_forms(void)
{
    g_autofree char *sdp = read_data("sdp/chrome-audio-offer-ipv6-tcp-candidates.sdp");
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(sdp, -1, NULL, NULL);
    JsdpJinglePrintParams jp = {.action = "session-initiate", .sid = "t1"};
    g_autoptr(GError) error = NULL;
    xmlNode *node = jsdp_session_to_jingle(s, &jp, &error);
    g_autoptr(JsdpSession) back = NULL;
    g_autoptr(JsdpSession) via_text = NULL;
    g_autofree char *text = jsdp_session_to_jingle_string(s, &jp, NULL);
    g_autoptr(JsdpCandidate) cand = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(node);
    g_assert_null(node->doc);
    g_assert_cmpstr((const char *)node->name, ==, "jingle");
    g_assert_cmpstr((const char *)node->ns->href, ==, JSDP_NS_JINGLE);
    back = jsdp_session_from_jingle(node, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(back->sid, ==, "t1");
    g_assert_true(jsdp_session_equal(s, back));
    via_text = jsdp_session_from_jingle_string(text, -1, &error);
    g_assert_no_error(error);
    g_assert_true(jsdp_session_equal(back, via_text));
    /* a <candidate> taken from the tree */
    for (xmlNode *c = node->children; c != NULL && cand == NULL; c = c->next)
        for (xmlNode *t = c->children; t != NULL && cand == NULL; t = t->next)
            for (xmlNode *k = t->children; k != NULL && cand == NULL; k = k->next)
                if (strcmp((const char *)k->name, "candidate") == 0)
                    cand = jsdp_candidate_from_xml(k, &error);
    g_assert_no_error(error);
    g_assert_nonnull(cand);
    g_assert_cmpstr(cand->id, ==, "c0-0");
    xmlFreeNode(node);
}

static void
test_deterministic_and_null(void)
{
    g_autofree char *sdp = read_data("sdp/chrome-video-offer-rtx-red-ulpfec.sdp");
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(sdp, -1, NULL, NULL);
    JsdpSdpPrintParams sp = sdp_params_init;
    g_autofree char *o1 = jsdp_session_to_sdp(s, &sp, NULL);
    g_autofree char *o2 = jsdp_session_to_sdp(s, &sp, NULL);
    g_autofree char *x1 = jsdp_session_to_jingle_string(s, NULL, NULL);
    g_autofree char *x2 = jsdp_session_to_jingle_string(s, NULL, NULL);
    g_autoptr(JsdpSession) copy = jsdp_session_copy(s);

    g_assert_cmpstr(o1, ==, o2);
    g_assert_cmpstr(x1, ==, x2);
    g_assert_true(jsdp_session_equal(s, copy));
    g_assert_true(jsdp_session_equal(NULL, NULL));
    g_assert_false(jsdp_session_equal(s, NULL));
    jsdp_session_free(NULL);
    jsdp_candidate_free(NULL);
}

/* ---- interop: forms other implementations send and read ---------------
 * Each case translates its input once (Jingle -> SDP, or SDP -> Jingle),
 * looks for pieces of the output, and reads the output back. */

typedef struct {
    const char *name;
    const char *input;    /* "<jingle ...>" or SDP */
    JsdpRole role;        /* author of the SDP (read or printed) */
    const char *want;     /* pieces of the output, '|' between them */
    const char *unwanted; /* pieces it must not have, or NULL */
    const char *warning;  /* a warning of the parse or print, or NULL */
} InteropCase;

#define TE_PT(params) "<payload-type id='101' name='telephone-event' clockrate='8000'>" params \
                      "</payload-type>"
#define J_AUDIO(pts) J_OPEN J_DESC pts "</description>" J_ICE "</transport>" J_CLOSE
#define SDP_TE(fmtp) SDP_HEAD "m=audio 9 RTP/AVP 0 101\r\nc=IN IP4 192.0.2.1\r\n" \
                     "a=rtpmap:101 telephone-event/8000\r\n" fmtp
#define J_SI "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='x'>"
#define J_OPUS_CONTENT "<content creator='initiator' name='a'>" J_DESC \
    "<payload-type id='111' name='opus' clockrate='48000' channels='2'/></description>" \
    J_ICE "</transport></content>"
#define J_SCTPMAP "<sctpmap xmlns='urn:xmpp:jingle:transports:dtls-sctp:1' number='5000' " \
                  "protocol='webrtc-datachannel' streams='1024'/>"
#define J_FP "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>" \
    "02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2" \
    "</fingerprint>"
#define SDP_FP "a=fingerprint:sha-256 02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:" \
    "54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2\r\na=setup:actpass\r\n"
#define OPUS_LINES "a=rtpmap:111 opus/48000/2\r\n"
#define SDP_FB(fb) SDP_HEAD "m=video 9 RTP/AVPF 96 97\r\nc=IN IP4 192.0.2.1\r\n" \
    "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 VP9/90000\r\n" fb
#define J_FB(attrs) "<rtcp-fb xmlns=\"urn:xmpp:jingle:apps:rtp:rtcp-fb:0\" " attrs "/>"
#define J_TRR "<rtcp-fb-trr-int xmlns=\"urn:xmpp:jingle:apps:rtp:rtcp-fb:0\" value=\"100\"/>"
#define J_SSMA(sem) "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='11'>" \
    "<parameter name='cname' value='x'/></source>" \
    "<ssrc-group xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' semantics='" sem "'>" \
    "<source ssrc='11'/><source ssrc='12'/></ssrc-group>"

static const InteropCase interop_cases[] = {
    /* nameless fmtp items, in every form they arrive in */
    {"fmtp-nameless/stanzajs", J_AUDIO(TE_PT("<parameter name='0-16'/>")), JSDP_ROLE_INITIATOR,
     "a=fmtp:101 0-16\r\n", "0-16=", NULL},
    {"fmtp-nameless/no-name", J_AUDIO(TE_PT("<parameter value='0-16'/>")), JSDP_ROLE_INITIATOR,
     "a=fmtp:101 0-16\r\n", NULL, NULL},
    {"fmtp-nameless/empty-name", J_AUDIO(TE_PT("<parameter name='' value='0-16'/>")),
     JSDP_ROLE_INITIATOR, "a=fmtp:101 0-16\r\n", NULL, NULL},
    {"fmtp-nameless/farstream-events", J_AUDIO(TE_PT("<parameter name='events' value='0-16'/>")),
     JSDP_ROLE_INITIATOR, "a=fmtp:101 0-16\r\n", "events=", NULL},
    {"fmtp-nameless/events-only-for-telephone-event",
     J_AUDIO("<payload-type id='96' name='x-codec' clockrate='8000'>"
             "<parameter name='events' value='1'/></payload-type>"),
     JSDP_ROLE_INITIATOR, "a=fmtp:96 events=1\r\n", NULL, NULL},
    {"fmtp-nameless/red-stanzajs",
     J_AUDIO("<payload-type id='63' name='red' clockrate='48000' channels='2'>"
             "<parameter name='111/111'/></payload-type>"),
     JSDP_ROLE_INITIATOR, "a=fmtp:63 111/111\r\n", NULL, NULL},
    {"fmtp-nameless/explicit-empty-value-kept",
     J_AUDIO("<payload-type id='96' name='x-codec' clockrate='8000'>"
             "<parameter name='flag' value=''/></payload-type>"),
     JSDP_ROLE_INITIATOR, "a=fmtp:96 flag=\r\n", NULL, NULL},
    /* RFC 4733 7.1.1: "0-15" is what no list means: left out, the one form
     * all clients read; any other list as name='' */
    {"fmtp-nameless/te-default-left-out", SDP_TE("a=fmtp:101 0-15\r\n"), JSDP_ROLE_INITIATOR,
     "name=\"telephone-event\"/>", "<parameter", NULL},
    {"fmtp-nameless/te-list-kept", SDP_TE("a=fmtp:101 0-16\r\n"), JSDP_ROLE_INITIATOR,
     "<parameter name=\"\" value=\"0-16\"/>", NULL, NULL},
    {"fmtp-nameless/red-kept",
     SDP_HEAD "m=audio 9 RTP/AVP 63\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:63 red/48000/2\r\n"
              "a=fmtp:63 111/111\r\n",
     JSDP_ROLE_INITIATOR, "<parameter name=\"\" value=\"111/111\"/>", NULL, NULL},
    /* A session-initiate is never a transport fragment: a data channel
     * (StanzaJS: no <description>, XEP-0343 <sctpmap>) is carried, a
     * transport-only or unknown content is left out, alone */
    {"session-initiate/datachannel-carried",
     J_SI J_OPUS_CONTENT "<content creator='initiator' name='d'>" J_ICE J_FP J_SCTPMAP
     "</transport></content><group xmlns='urn:xmpp:jingle:apps:grouping:0' semantics='BUNDLE'>"
     "<content name='a'/><content name='d'/></group></jingle>",
     JSDP_ROLE_INITIATOR,
     "v=0\r\n|a=group:BUNDLE a d\r\n|" OPUS_LINES "|m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
     "c=IN IP4 0.0.0.0\r\na=ice-ufrag:u\r\na=ice-pwd:p\r\na=ice-options:trickle\r\n" SDP_FP
     "a=mid:d\r\na=sctp-port:5000\r\n",
     "RTP/AVP 0\\r\\n", "sctpmap streams not carried by SDP"},
    {"session-initiate/transport-only-left-out",
     J_SI J_OPUS_CONTENT "<content creator='initiator' name='t'>" J_ICE "</transport></content>"
     "<group xmlns='urn:xmpp:jingle:apps:grouping:0' semantics='BUNDLE'>"
     "<content name='a'/><content name='t'/></group></jingle>",
     JSDP_ROLE_INITIATOR, "v=0\r\n|a=group:BUNDLE a\r\n|" OPUS_LINES, "a=mid:t", "'t' has no description"},
    {"session-initiate/unknown-description-left-out",
     J_SI J_OPUS_CONTENT "<content creator='initiator' name='f'>"
     "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'/>"
     "<transport xmlns='urn:xmpp:jingle:transports:s5b:1'/></content></jingle>",
     JSDP_ROLE_INITIATOR, "v=0\r\n|" OPUS_LINES, "a=mid:f", "content 'f' left out"},
    {"session-initiate/unknown-description-on-sctpmap",
     J_SI "<content creator='initiator' name='f'>"
     "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'/>" J_ICE J_FP J_SCTPMAP
     "</transport></content></jingle>",
     JSDP_ROLE_INITIATOR, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n|a=sctp-port:5000",
     NULL, "its XEP-0343 data channel is"},
    {"session-initiate/sctpmap-port-attribute",
     J_SI "<content creator='initiator' name='d'>" J_ICE J_FP
     "<sctpmap xmlns='urn:xmpp:jingle:transports:dtls-sctp:1' port='5001' protocol='webrtc-datachannel'/>"
     "</transport></content></jingle>",
     JSDP_ROLE_INITIATOR, "a=sctp-port:5001\r\n", NULL, NULL},
    {"transport-info/still-a-fragment",
     "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='x'>"
     "<content creator='initiator' name='t'>" J_ICE "</transport></content></jingle>",
     JSDP_ROLE_INITIATOR, "a=mid:t\r\n|a=ice-ufrag:u\r\n", "v=0", NULL},
    /* SDP without a=mid: StanzaJS sends <content> without name; named as
     * our SDP parser names such an m= line, unique among explicit names */
    {"content-without-name/named-from-media",
     J_SI "<content creator='initiator'>" J_DESC
     "<payload-type id='0' name='PCMU' clockrate='8000'/></description>" J_ICE
     "</transport></content></jingle>",
     JSDP_ROLE_INITIATOR, "a=mid:audio\r\n", NULL, "<content> without name: named 'audio'"},
    {"content-without-name/unique",
     J_SI "<content creator='initiator'>" J_DESC
     "<payload-type id='0' name='PCMU' clockrate='8000'/></description>" J_ICE
     "</transport></content><content creator='initiator' name='audio'>" J_DESC
     "<payload-type id='8' name='PCMA' clockrate='8000'/></description>" J_ICE
     "</transport></content><content creator='initiator'>" J_ICE J_FP J_SCTPMAP
     "</transport></content></jingle>",
     JSDP_ROLE_INITIATOR, "a=mid:audio-1\r\n|a=mid:audio\r\n|a=mid:application\r\n", NULL,
     "named 'audio-1'"},
    /* <description ssrc>: the first source (StanzaJS reads the FID group
     * only through it) */
    {"ssrc/description-ssrc-is-first-source",
     SDP_HEAD "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\n"
     "a=ssrc-group:FID 11 12\r\na=ssrc:11 cname:x\r\na=ssrc:12 cname:x\r\n",
     JSDP_ROLE_INITIATOR,
     "media=\"video\" ssrc=\"11\">|<ssrc-group xmlns=\"urn:xmpp:jingle:apps:rtp:ssma:0\" "
     "semantics=\"FID\">", NULL, NULL},
    {"ssrc/no-source-no-description-ssrc", SDP_HEAD AUDIO, JSDP_ROLE_INITIATOR,
     "media=\"audio\">", "ssrc=", NULL},
    /* RFC 4588 5.2: the RTX SSRC of an FID group has the original's cname
     * (StanzaJS sends it in the group alone); not for other semantics */
    {"ssrc/fid-rtx-gets-cname",
     J_AUDIO("<payload-type id='0' name='PCMU' clockrate='8000'/>" J_SSMA("FID")),
     JSDP_ROLE_INITIATOR, "a=ssrc-group:FID 11 12\r\n|a=ssrc:11 cname:x\r\n|a=ssrc:12 cname:x\r\n",
     NULL, NULL},
    {"ssrc/fid-rtx-gets-cname-from-sdp",
     SDP_HEAD "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\n"
     "a=ssrc-group:FID 11 12\r\na=ssrc:11 cname:x\r\n",
     JSDP_ROLE_INITIATOR, "<source xmlns=\"urn:xmpp:jingle:apps:rtp:ssma:0\" ssrc=\"12\">\n"
     "        <parameter name=\"cname\" value=\"x\"/>", NULL, NULL},
    {"ssrc/sim-member-not-completed",
     J_AUDIO("<payload-type id='0' name='PCMU' clockrate='8000'/>" J_SSMA("SIM")),
     JSDP_ROLE_INITIATOR, "a=ssrc-group:SIM 11 12\r\n|a=ssrc:11 cname:x\r\n", "a=ssrc:12", NULL},
    /* FID groups first (StanzaJS takes the first group for the FID one) */
    {"ssrc/fid-group-first",
     SDP_HEAD "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\n"
     "a=ssrc-group:SIM 1 2\r\na=ssrc-group:FID 1 3\r\na=ssrc:1 cname:x\r\n",
     JSDP_ROLE_INITIATOR,
     "semantics=\"FID\">\n        <source ssrc=\"1\"/>\n        <source ssrc=\"3\"/>\n"
     "      </ssrc-group>\n      <ssrc-group xmlns=\"urn:xmpp:jingle:apps:rtp:ssma:0\" semantics=\"SIM\">",
     NULL, NULL},
    /* a=rtcp-fb:* goes into each <payload-type> (StanzaJS and Dino read
     * no other place) */
    {"rtcp-fb/wildcard-in-each-payload-type", SDP_FB("a=rtcp-fb:* nack\r\na=rtcp-fb:97 nack\r\n"
     "a=rtcp-fb:97 ccm fir\r\na=rtcp-fb:* trr-int 100\r\n"), JSDP_ROLE_INITIATOR,
     "name=\"VP8\">\n        " J_FB("type=\"nack\"") "\n        " J_TRR "\n      </payload-type>|"
     "name=\"VP9\">\n        " J_FB("type=\"nack\"") "\n        " J_FB("type=\"ccm\" subtype=\"fir\"")
     "\n        " J_TRR "\n      </payload-type>",
     "</payload-type>\n      <rtcp-fb", NULL},
    {"sdp/datachannel-rfc8841",
     SDP_HEAD "a=group:BUNDLE 0 1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
     ICE SDP_FP "a=mid:0\r\n" OPUS_LINES "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
     "c=IN IP4 0.0.0.0\r\n" ICE SDP_FP "a=mid:1\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n",
     JSDP_ROLE_INITIATOR,
     "<content creator=\"initiator\" name=\"1\">\n    <transport|<sctpmap xmlns=\"urn:xmpp:jingle:"
     "transports:dtls-sctp:1\" number=\"5000\" protocol=\"webrtc-datachannel\"/>|<content name=\"1\"/>",
     "media=\"application\"", "a=max-message-size not carried by Jingle"},
    {"sdp/datachannel-legacy",
     SDP_HEAD "m=application 5000 DTLS/SCTP 5000\r\nc=IN IP4 192.0.2.1\r\n" ICE SDP_FP
     "a=mid:data\r\na=sctpmap:5000 webrtc-datachannel 1024\r\n",
     JSDP_ROLE_INITIATOR, "number=\"5000\" protocol=\"webrtc-datachannel\"/>", "streams=",
     "a=sctpmap streams dropped"},
};

static void
check_pieces(const char *out, const char *list, gboolean present)
{
    g_auto(GStrv) pieces = NULL;

    if (list == NULL)
        return;
    pieces = g_strsplit(list, "|", 0);
    for (guint i = 0; pieces[i] != NULL; i++) {
        if ((strstr(out, pieces[i]) != NULL) != present)
            g_test_fail_printf("'%s' %s in:\n%s", pieces[i], present ? "not found" : "found", out);
    }
}

static void
test_interop(gconstpointer data)
{
    const InteropCase *ic = data;
    JsdpSdpParseParams pp = {ic->role, JSDP_CLASSIC_ICE_HOST};
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) s = NULL, back = NULL;
    g_autoptr(GPtrArray) pw = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *out = NULL;

    if (ic->input[0] == '<') {
        JsdpSdpPrintParams sp = sdp_params_init;
        sp.author = ic->role;
        sp.warnings = pw;
        s = jsdp_session_from_jingle_string(ic->input, -1, &error);
        g_assert_no_error(error);
        out = jsdp_session_to_sdp(s, &sp, &error);
        g_assert_no_error(error);
        back = jsdp_session_from_sdp(out, -1, &pp, &error);
    } else {
        JsdpJinglePrintParams jp = {
            .action = ic->role == JSDP_ROLE_RESPONDER ? "session-accept" : "session-initiate",
            .sid = "x",
            .warnings = pw};
        s = jsdp_session_from_sdp(ic->input, -1, &pp, &error);
        g_assert_no_error(error);
        out = jsdp_session_to_jingle_string(s, &jp, &error);
        g_assert_no_error(error);
        back = jsdp_session_from_jingle_string(out, -1, &error);
    }
    g_assert_no_error(error); /* what we print, we read */
    g_assert_nonnull(back);
    check_pieces(out, ic->want, TRUE);
    check_pieces(out, ic->unwanted, FALSE);
    if (ic->warning != NULL) {
        gboolean found = FALSE;
        const GPtrArray *w = jsdp_session_get_warnings(s);
        for (guint i = 0; i < w->len && !found; i++)
            found = strstr(g_ptr_array_index(w, i), ic->warning) != NULL;
        for (guint i = 0; i < pw->len && !found; i++)
            found = strstr(g_ptr_array_index(pw, i), ic->warning) != NULL;
        if (!found)
            g_test_fail_printf("no warning '%s'", ic->warning);
    }
}

/* RFC 4585 4.2: a=rtcp-fb:* is feedback for each format, so it equals
 * the same lines per payload type (as Jingle carries it). */
static void
test_rtcp_fb_wildcard_equal(void)
{
    g_autoptr(JsdpSession) star = jsdp_session_from_sdp(
        SDP_FB("a=rtcp-fb:* nack\r\na=rtcp-fb:97 nack\r\na=rtcp-fb:* trr-int 100\r\n"), -1, NULL, NULL);
    g_autoptr(JsdpSession) each = jsdp_session_from_sdp(
        SDP_FB("a=rtcp-fb:96 nack\r\na=rtcp-fb:97 nack\r\na=rtcp-fb:96 trr-int 100\r\n"
               "a=rtcp-fb:97 trr-int 100\r\n"), -1, NULL, NULL);
    g_autoptr(JsdpSession) one = jsdp_session_from_sdp(SDP_FB("a=rtcp-fb:96 nack\r\n"), -1, NULL, NULL);
    g_autoptr(JsdpSession) star_only = jsdp_session_from_sdp(SDP_FB("a=rtcp-fb:* nack\r\n"), -1, NULL, NULL);

    g_assert_true(jsdp_session_equal(star, each));
    g_assert_false(jsdp_session_equal(one, star_only));
}

/* RFC 4733 7.1.1: telephone-event without its list and with "0-15" are
 * the same; with another list they are not. */
static void
test_te_default_equal(void)
{
    g_autoptr(JsdpSession) none = jsdp_session_from_sdp(SDP_TE(""), -1, NULL, NULL);
    g_autoptr(JsdpSession) dflt = jsdp_session_from_sdp(SDP_TE("a=fmtp:101 0-15\r\n"), -1, NULL, NULL);
    g_autoptr(JsdpSession) other = jsdp_session_from_sdp(SDP_TE("a=fmtp:101 0-16\r\n"), -1, NULL, NULL);
    JsdpSdpPrintParams sp = sdp_params_init;
    g_autofree char *out = jsdp_session_to_sdp(dflt, &sp, NULL);

    g_assert_true(jsdp_session_equal(none, dflt));
    g_assert_false(jsdp_session_equal(none, other));
    g_assert_false(jsdp_session_equal(dflt, other));
    /* the SDP side keeps what it was given */
    g_assert_nonnull(strstr(out, "a=fmtp:101 0-15\r\n"));
}

/* ---- model operations (jsdp_ops.c) ---------------------------------- */

#define OFFER_AV SDP_HEAD "a=group:BUNDLE 0 1\r\n" \
    "m=audio 9 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:0\r\n" \
    "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\na=mid:1\r\n"
#define ANSWER_AUDIO "m=audio 30000 RTP/AVP 0\r\nc=IN IP4 192.0.2.5\r\n"
#define ANSWER_VIDEO "m=video 30002 RTP/AVP 96\r\nc=IN IP4 192.0.2.5\r\na=rtpmap:96 VP8/90000\r\n"

/* "name,name|SEMANTICS:name name;..." of a session: what alignment sets. */
static char *
names_and_groups(const JsdpSession *s)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        g_string_append_printf(out, "%s%s%s", i ? "," : "", c->name ? c->name : "(null)",
                               c->creator == JSDP_ROLE_RESPONDER ? "/r" : "");
    }
    g_string_append_c(out, '|');
    for (guint g = 0; g < s->groups->len; g++) {
        const JsdpGroup *grp = g_ptr_array_index(s->groups, g);
        g_string_append_printf(out, "%s%s:", g ? ";" : "", grp->semantics);
        for (guint j = 0; j < grp->names->len; j++)
            g_string_append_printf(out, "%s%s", j ? " " : "", (char *)g_ptr_array_index(grp->names, j));
    }
    return g_string_free(out, FALSE);
}

typedef struct {
    const char *name;
    const char *offer;
    const char *answer;
    const char *want; /* names_and_groups() of the aligned answer; the
                       * first offered content is the responder's */
} AlignCase;

static const AlignCase align_cases[] = {
    /* rtpengine's answer: no a=mid (names from media), no group */
    {"relay-answer-no-mid", OFFER_AV, SDP_HEAD ANSWER_AUDIO ANSWER_VIDEO, "0/r,1|BUNDLE:0 1"},
    /* its own mids, other than the offer's */
    {"own-mids", OFFER_AV, SDP_HEAD ANSWER_AUDIO "a=mid:a\r\n" ANSWER_VIDEO "a=mid:v\r\n",
     "0/r,1|BUNDLE:0 1"},
    /* its own group follows the renaming, the offer's is not added */
    {"own-group-renamed", OFFER_AV,
     SDP_HEAD "a=group:LS v a\r\n" ANSWER_AUDIO "a=mid:a\r\n" ANSWER_VIDEO "a=mid:v\r\n",
     "0/r,1|LS:1 0"},
    /* names swapped between contents: each group entry follows its content */
    {"swapped-names", OFFER_AV,
     SDP_HEAD "a=group:BUNDLE 1 0\r\n" ANSWER_AUDIO "a=mid:1\r\n" ANSWER_VIDEO "a=mid:0\r\n",
     "0/r,1|BUNDLE:0 1"},
    /* fewer contents than offered: the copied group keeps only what exists */
    {"shorter-answer", OFFER_AV, SDP_HEAD ANSWER_AUDIO, "0/r|BUNDLE:0"},
    /* more contents than offered: the extra one keeps its name */
    {"longer-answer",
     SDP_HEAD "m=audio 9 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:x\r\n",
     SDP_HEAD ANSWER_AUDIO ANSWER_VIDEO, "x/r,video|"},
    /* an offer without group: none appears */
    {"no-group", SDP_HEAD "m=audio 9 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:s1\r\n",
     SDP_HEAD ANSWER_AUDIO, "s1/r|"},
};

static void
test_align_answer(gconstpointer data)
{
    const AlignCase *ac = data;
    g_autoptr(JsdpSession) offer = jsdp_session_from_sdp(ac->offer, -1, NULL, NULL);
    JsdpSdpParseParams resp = {JSDP_ROLE_RESPONDER, JSDP_CLASSIC_ICE_HOST};
    g_autoptr(JsdpSession) answer = jsdp_session_from_sdp(ac->answer, -1, &resp, NULL);
    g_autoptr(JsdpSession) before = NULL;
    g_autofree char *got = NULL;

    g_assert_nonnull(offer);
    g_assert_nonnull(answer);
    ((JsdpContent *)offer->contents->pdata[0])->creator = JSDP_ROLE_RESPONDER;
    before = jsdp_session_copy(answer);
    jsdp_session_align_answer(answer, offer);
    got = names_and_groups(answer);
    g_assert_cmpstr(got, ==, ac->want);
    /* nothing else changed: same model once names and groups are put back */
    for (guint i = 0; i < answer->contents->len; i++) {
        JsdpContent *a = answer->contents->pdata[i], *b = before->contents->pdata[i];
        g_free(a->name);
        a->name = g_strdup(b->name);
        a->creator = b->creator;
    }
    g_ptr_array_set_size(answer->groups, 0);
    g_ptr_array_set_size(before->groups, 0);
    assert_equal(answer, before);
}

/* jsdp_session_unbundle_answer(): "name:state,...|groups" where state is
 * "x" rejected, "n" senders none (then riding: the first content's
 * transport credentials, no candidates), "b" otherwise. */
static char *
unbundle_summary(const JsdpSession *s)
{
    GString *out = g_string_new(NULL);
    g_autofree char *groups = NULL;
    const JsdpContent *first = s->contents->pdata[0];

    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        char st = c->rejected ? 'x' : c->senders == JSDP_SENDERS_NONE ? 'n' : 'b';
        g_string_append_printf(out, "%s%s:%c", i ? "," : "", c->name, st);
        if (st == 'n' && i > 0 && !c->rejected) {
            g_assert_nonnull(c->transport);
            g_assert_cmpstr(c->transport->ufrag, ==, first->transport->ufrag);
            g_assert_cmpuint(c->payload_types->len, >, 0);
            for (guint k = 0; k < c->payload_types->len; k++)
                g_assert_nonnull(((JsdpPayloadType *)c->payload_types->pdata[k])->name);
        }
    }
    groups = names_and_groups(s);
    g_string_append(out, strchr(groups, '|'));
    return g_string_free(out, FALSE);
}

#define ANSWER_ICE "a=ice-ufrag:rtpe\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
#define ANSWER_VIDEO_0 "m=video 0 RTP/AVP 96\r\nc=IN IP4 192.0.2.5\r\na=rtpmap:96 VP8/90000\r\n"

static const AlignCase unbundle_cases[] = {
    /* an audio-only phone: video kept, silent, on the audio bundle */
    {"audio-only-phone", OFFER_AV, SDP_HEAD ANSWER_AUDIO ANSWER_ICE ANSWER_VIDEO_0,
     "0:b,1:n|BUNDLE:0 1"},
    /* rtpengine 10.5's answer: port 0 without a=rtpmap; the offer's VP8 */
    {"relay-refused-no-rtpmap", OFFER_AV,
     SDP_HEAD ANSWER_AUDIO ANSWER_ICE "m=video 0 RTP/AVP 96\r\n", "0:b,1:n|BUNDLE:0 1"},
    /* a video phone: two live contents, two ports, no group */
    {"video-phone", OFFER_AV, SDP_HEAD ANSWER_AUDIO ANSWER_ICE ANSWER_VIDEO ANSWER_ICE,
     "0:b,1:b|"},
    /* video answered inactive: one live content, the group stays */
    {"video-inactive", OFFER_AV,
     SDP_HEAD ANSWER_AUDIO ANSWER_ICE ANSWER_VIDEO ANSWER_ICE "a=inactive\r\n",
     "0:b,1:n|BUNDLE:0 1"},
    /* no BUNDLE offered (Dino): a rejected content stays rejected */
    {"no-bundle", SDP_HEAD "m=audio 9 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:a\r\n"
                  "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\na=mid:v\r\n",
     SDP_HEAD ANSWER_AUDIO ANSWER_ICE ANSWER_VIDEO_0, "a:b,v:x|"},
    /* two live and one rejected: the group goes, the rejected one too */
    {"two-live-one-rejected",
     SDP_HEAD "a=group:BUNDLE 0 1 2\r\n"
     "m=audio 9 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=mid:0\r\n"
     "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\na=mid:1\r\n"
     "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\na=mid:2\r\n",
     SDP_HEAD ANSWER_AUDIO ANSWER_ICE ANSWER_VIDEO ANSWER_ICE ANSWER_VIDEO_0, "0:b,1:b,2:x|"},
    /* everything rejected: no head, nothing changes */
    {"all-rejected", OFFER_AV,
     SDP_HEAD "m=audio 0 RTP/AVP 0\r\nc=IN IP4 192.0.2.5\r\n" ANSWER_VIDEO_0,
     "0:x,1:x|BUNDLE:0 1"},
};

static void
test_unbundle_answer(gconstpointer data)
{
    const AlignCase *ac = data;
    g_autoptr(JsdpSession) offer = jsdp_session_from_sdp(ac->offer, -1, NULL, NULL);
    JsdpSdpParseParams resp = {JSDP_ROLE_RESPONDER, JSDP_CLASSIC_ICE_HOST};
    g_autoptr(JsdpSession) answer = jsdp_session_from_sdp(ac->answer, -1, &resp, NULL);
    g_autoptr(JsdpSession) offer_before = NULL;
    g_autofree char *got = NULL, *sdp = NULL;

    g_assert_nonnull(offer);
    g_assert_nonnull(answer);
    offer_before = jsdp_session_copy(offer);
    jsdp_session_align_answer(answer, offer);
    jsdp_session_unbundle_answer(answer, offer);
    got = unbundle_summary(answer);
    g_assert_cmpstr(got, ==, ac->want);
    assert_equal(offer, offer_before);
    /* what it made still prints */
    sdp = jsdp_session_to_sdp(answer, NULL, NULL);
    g_assert_nonnull(sdp);
}

#define ANSWER_A0 "m=audio 9 RTP/AVP 0\r\nc=IN IP4 192.0.2.7\r\na=mid:0\r\n"
#define ANSWER_V1 "m=video 9 RTP/AVP 96\r\nc=IN IP4 192.0.2.7\r\na=rtpmap:96 VP8/90000\r\na=mid:1\r\n"

/* jsdp_session_complete_answer(): want as unbundle_summary(), then the
 * m= lines of the printed SDP ("m=video 0 RTP/AVP 96;..."). */
static const AlignCase complete_cases[] = {
    /* her client took audio only (XEP-0166 7.2.8): video port 0 */
    {"audio-only-accept", OFFER_AV, SDP_HEAD ANSWER_A0,
     "0:b,1:x|;m=audio 9 RTP/AVP 0;m=video 0 RTP/AVP 96"},
    /* contents in another order: the offer's */
    {"reordered", OFFER_AV, SDP_HEAD ANSWER_V1 ANSWER_A0,
     "0:b,1:b|;m=audio 9 RTP/AVP 0;m=video 9 RTP/AVP 96"},
    {"complete", OFFER_AV, SDP_HEAD ANSWER_A0 ANSWER_V1,
     "0:b,1:b|;m=audio 9 RTP/AVP 0;m=video 9 RTP/AVP 96"},
    /* a content that is not in the offer stays, last */
    {"not-offered", OFFER_AV,
     SDP_HEAD "m=audio 9 RTP/AVP 8\r\nc=IN IP4 192.0.2.7\r\na=mid:z\r\n" ANSWER_A0,
     "0:b,1:x,z:b|;m=audio 9 RTP/AVP 0;m=video 0 RTP/AVP 96;m=audio 9 RTP/AVP 8"},
};

static void
test_complete_answer(gconstpointer data)
{
    const AlignCase *ac = data;
    g_autoptr(JsdpSession) offer = jsdp_session_from_sdp(ac->offer, -1, NULL, NULL);
    JsdpSdpParseParams resp = {JSDP_ROLE_RESPONDER, JSDP_CLASSIC_ICE_HOST};
    g_autoptr(JsdpSession) answer = jsdp_session_from_sdp(ac->answer, -1, &resp, NULL);
    g_autofree char *got = NULL, *sdp = NULL, *summary = NULL;
    g_auto(GStrv) lines = NULL;
    GString *all = NULL;

    g_assert_nonnull(offer);
    g_assert_nonnull(answer);
    jsdp_session_complete_answer(answer, offer);
    sdp = jsdp_session_to_sdp(answer, NULL, NULL);
    g_assert_nonnull(sdp);
    summary = unbundle_summary(answer);
    all = g_string_new(summary);
    lines = g_strsplit(sdp, "\r\n", -1);
    for (guint i = 0; lines[i]; i++)
        if (g_str_has_prefix(lines[i], "m="))
            g_string_append_printf(all, ";%s", lines[i]);
    got = g_string_free(all, FALSE);
    g_assert_cmpstr(got, ==, ac->want);
}

/* jsdp_content_copy(): every content of a rich video SDP copied into
 * a copy of its session with the contents taken out gives the session */
static void
test_content_copy(void)
{
    g_autofree char *text = read_data("sdp/chrome-video-offer-rtx-red-ulpfec.sdp");
    g_autoptr(JsdpSession) s = NULL, rebuilt = NULL;

    s = jsdp_session_from_sdp(text, -1, NULL, NULL);
    g_assert_nonnull(s);
    rebuilt = jsdp_session_copy(s);
    g_ptr_array_set_size(rebuilt->contents, 0);
    for (guint i = 0; i < s->contents->len; i++)
        g_ptr_array_add(rebuilt->contents, jsdp_content_copy(s->contents->pdata[i]));
    assert_equal(rebuilt, s);
}

typedef struct {
    const char *name;
    const char *sdp;
    const char *want; /* the same SDP without what the operation removes */
} DropCase;

#define SSRC_LINES "a=ssrc:11 cname:x\r\na=ssrc:12 cname:x\r\na=ssrc-group:FID 11 12\r\n"
#define MSID_LINE "a=msid:stream track\r\n"
#define M_VIDEO_C "m=video 49172 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 VP8/90000\r\n"

static const DropCase drop_cases[] = {
    {"sources-and-groups", SDP_HEAD AUDIO SSRC_LINES MSID_LINE, SDP_HEAD AUDIO MSID_LINE},
    {"every-content", SDP_HEAD AUDIO "a=mid:a\r\n" SSRC_LINES M_VIDEO_C "a=mid:v\r\n"
                      "a=ssrc:99 cname:y\r\n",
     SDP_HEAD AUDIO "a=mid:a\r\n" M_VIDEO_C "a=mid:v\r\n"},
    {"nothing-to-drop", SDP_HEAD AUDIO, SDP_HEAD AUDIO},
};

static void
test_drop_sources(gconstpointer data)
{
    const DropCase *dc = data;
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(dc->sdp, -1, NULL, NULL);
    g_autoptr(JsdpSession) want = jsdp_session_from_sdp(dc->want, -1, NULL, NULL);

    g_assert_nonnull(s);
    g_assert_nonnull(want);
    jsdp_session_drop_sources(s);
    assert_equal(s, want);
}

/* What Chrome's offer carries that a plain RTP/AVP phone cannot use
 * (issue 15): gone; codecs, fmtp, mid, direction and rtcp-mux stay. */
#define OPUS_AVPF                                                            \
    "m=audio 49170 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 192.0.2.1\r\n"          \
    "a=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\n"                                  \
    "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
#define WEBRTC_EXTRAS                                                        \
    "a=extmap-allow-mixed\r\n"                                               \
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"             \
    "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n" \
    "a=rtcp-fb:111 transport-cc\r\na=rtcp-fb:* nack\r\na=rtcp-fb:111 trr-int 100\r\n" \
    "a=rtcp-rsize\r\n" MSID_LINE SSRC_LINES

static const DropCase webrtc_cases[] = {
    {"chrome-audio", SDP_HEAD OPUS_AVPF WEBRTC_EXTRAS, SDP_HEAD OPUS_AVPF},
    {"every-content", SDP_HEAD OPUS_AVPF WEBRTC_EXTRAS M_VIDEO_C "a=mid:v\r\n"
                      "a=rtcp-fb:96 goog-remb\r\na=ssrc:99 cname:y\r\n",
     SDP_HEAD OPUS_AVPF M_VIDEO_C "a=mid:v\r\n"},
    {"nothing-to-drop", SDP_HEAD AUDIO, SDP_HEAD AUDIO},
};

static void
test_drop_webrtc_extras(gconstpointer data)
{
    const DropCase *dc = data;
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(dc->sdp, -1, NULL, NULL);
    g_autoptr(JsdpSession) want = jsdp_session_from_sdp(dc->want, -1, NULL, NULL);
    JsdpSdpPrintParams pp = {0};
    g_autofree char *sdp = NULL;

    g_assert_nonnull(s);
    g_assert_nonnull(want);
    jsdp_session_drop_webrtc_extras(s);
    assert_equal(s, want);
    sdp = jsdp_session_to_sdp(s, &pp, NULL);
    g_assert_nonnull(sdp);
    for (const char *const *l = (const char *const[]){"a=extmap", "a=msid",
                                                       "a=ssrc", "a=rtcp-fb",
                                                       "a=rtcp-rsize", NULL};
         *l != NULL; l++)
        g_assert_null(strstr(sdp, *l));
}

typedef struct {
    const char *name;
    const char *sdp;
    const char *unnamed; /* '1' per content whose name is taken away */
    const char *want;    /* names_and_groups(), all creators initiator */
} NameCase;

#define M_AUDIO "m=audio 49170 RTP/AVP 0\r\n"
#define M_VIDEO "m=video 49172 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n"

static const NameCase name_cases[] = {
    {"all-unnamed", SDP_HEAD "c=IN IP4 192.0.2.1\r\n" M_AUDIO M_VIDEO, "11", "audio0,video1|"},
    {"named-kept", SDP_HEAD "c=IN IP4 192.0.2.1\r\n" M_AUDIO "a=mid:a\r\n" M_VIDEO, "01",
     "a,video1|"},
    /* a later content already has the generated name */
    {"collision", SDP_HEAD "c=IN IP4 192.0.2.1\r\n" M_AUDIO M_AUDIO "a=mid:audio0\r\n", "10",
     "audio0-2,audio0|"},
    {"none-unnamed", SDP_HEAD "c=IN IP4 192.0.2.1\r\n" M_AUDIO "a=mid:x\r\n", "0", "x|"},
};

static void
test_name_contents(gconstpointer data)
{
    const NameCase *nc = data;
    g_autoptr(JsdpSession) s = jsdp_session_from_sdp(nc->sdp, -1, NULL, NULL);
    g_autofree char *got = NULL;

    g_assert_nonnull(s);
    g_assert_cmpuint(strlen(nc->unnamed), ==, s->contents->len);
    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = s->contents->pdata[i];
        c->creator = JSDP_ROLE_RESPONDER;
        if (nc->unnamed[i] == '1')
            g_clear_pointer(&c->name, g_free);
    }
    jsdp_session_name_contents(s, JSDP_ROLE_INITIATOR);
    got = names_and_groups(s);
    g_assert_cmpstr(got, ==, nc->want);
}

/* ---- SDP text edits (jsdp_sdp_edit.c) ------------------------------- */

#define RTPE_HEAD "v=0\r\no=- 1545997027 1 IN IP4 192.0.2.5\r\ns=rtpengine\r\nt=0 0\r\n"
#define RTPE_HEAD_V(v) "v=0\r\no=- 1545997027 " v " IN IP4 192.0.2.5\r\ns=rtpengine\r\nt=0 0\r\n"
#define RTPE_AUDIO "m=audio 30000 RTP/AVP 0 101\r\nc=IN IP4 192.0.2.5\r\n" \
    "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
#define RTPE_VIDEO "m=video 30002 RTP/AVP 96\r\nc=IN IP4 192.0.2.5\r\na=rtpmap:96 VP8/90000\r\n"

typedef struct {
    const char *name;
    const char *sdp;
    JsdpSenders senders;
    JsdpRole author;
    guint64 version;
    const char *want; /* NULL: JSDP_ERROR_MALFORMED */
} DirectionCase;

#define I JSDP_ROLE_INITIATOR
#define R JSDP_ROLE_RESPONDER
static const DirectionCase direction_cases[] = {
    /* a hold re-INVITE from rtpengine's own answer */
    {"hold", RTPE_HEAD RTPE_AUDIO "a=sendrecv\r\na=rtcp:30001\r\na=ptime:20\r\n",
     JSDP_SENDERS_INITIATOR, I, 1001,
     RTPE_HEAD_V("1001") RTPE_AUDIO "a=sendonly\r\na=rtcp:30001\r\na=ptime:20\r\n"},
    {"resume", RTPE_HEAD_V("1001") RTPE_AUDIO "a=sendonly\r\na=rtcp:30001\r\n",
     JSDP_SENDERS_BOTH, I, 1002, RTPE_HEAD_V("1002") RTPE_AUDIO "a=sendrecv\r\na=rtcp:30001\r\n"},
    {"inactive", RTPE_HEAD RTPE_AUDIO "a=recvonly\r\n", JSDP_SENDERS_NONE, I, 2,
     RTPE_HEAD_V("2") RTPE_AUDIO "a=inactive\r\n"},
    /* the direction is the author's: the initiator sends = recvonly for the responder */
    {"author-responder", RTPE_HEAD RTPE_AUDIO "a=sendrecv\r\n", JSDP_SENDERS_INITIATOR, R, 2,
     RTPE_HEAD_V("2") RTPE_AUDIO "a=recvonly\r\n"},
    /* none at all: one after the section's last line, blank lines kept after it */
    {"added", RTPE_HEAD RTPE_AUDIO "a=ptime:20\r\n\r\n", JSDP_SENDERS_INITIATOR, I, 3,
     RTPE_HEAD_V("3") RTPE_AUDIO "a=ptime:20\r\na=sendonly\r\n\r\n"},
    /* per section: the one without gets one before the next m= */
    {"added-per-section", RTPE_HEAD RTPE_AUDIO RTPE_VIDEO "a=sendrecv\r\n",
     JSDP_SENDERS_INITIATOR, I, 4,
     RTPE_HEAD_V("4") RTPE_AUDIO "a=sendonly\r\n" RTPE_VIDEO "a=sendonly\r\n"},
    /* at session level: replaced there, the sections inherit it */
    {"session-level", RTPE_HEAD "a=sendrecv\r\n" RTPE_AUDIO RTPE_VIDEO, JSDP_SENDERS_INITIATOR, I, 5,
     RTPE_HEAD_V("5") "a=sendonly\r\n" RTPE_AUDIO RTPE_VIDEO},
    {"no-media", RTPE_HEAD "c=IN IP4 192.0.2.5\r\n", JSDP_SENDERS_INITIATOR, I, 6,
     RTPE_HEAD_V("6") "c=IN IP4 192.0.2.5\r\na=sendonly\r\n"},
    /* LF line ends stay LF, the added line too */
    {"lf", "v=0\no=- 7 7 IN IP4 192.0.2.5\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP4 192.0.2.5\n",
     JSDP_SENDERS_INITIATOR, I, 8,
     "v=0\no=- 7 8 IN IP4 192.0.2.5\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\nc=IN IP4 192.0.2.5\na=sendonly\n"},
    {"no-final-line-end", RTPE_HEAD RTPE_AUDIO "a=ptime:20", JSDP_SENDERS_INITIATOR, I, 9,
     RTPE_HEAD_V("9") RTPE_AUDIO "a=ptime:20\r\na=sendonly\r\n"},
    /* a CR alone ends the text: completed to CRLF before the added line
     * (found by the fuzzer: a CR inside a line otherwise) */
    {"final-cr-alone", RTPE_HEAD RTPE_AUDIO "a=ptime:20\r", JSDP_SENDERS_INITIATOR, I, 9,
     RTPE_HEAD_V("9") RTPE_AUDIO "a=ptime:20\r\na=sendonly\r\n"},
    /* blanks and runs of spaces are kept; only the version field changes */
    {"blanks-kept", "v=0\r\no=-  1545997027   7 IN IP4 192.0.2.5 \r\ns=a  b\r\nt=0 0\r\n"
                    RTPE_AUDIO " a=sendrecv \r\na=rtcp:30001 \r\n",
     JSDP_SENDERS_INITIATOR, I, 10,
     "v=0\r\no=-  1545997027   10 IN IP4 192.0.2.5 \r\ns=a  b\r\nt=0 0\r\n"
     RTPE_AUDIO "a=sendonly\r\na=rtcp:30001 \r\n"},
    /* attributes that only start like a direction are not one */
    {"not-a-direction", RTPE_HEAD RTPE_AUDIO "a=sendonly-ish\r\n", JSDP_SENDERS_NONE, I, 11,
     RTPE_HEAD_V("11") RTPE_AUDIO "a=sendonly-ish\r\na=inactive\r\n"},
    {"not-sdp", "hello\r\n", JSDP_SENDERS_INITIATOR, I, 1, NULL},
    {"short-origin", "v=0\r\no=- 1 IN IP4\r\ns=-\r\n" RTPE_AUDIO, JSDP_SENDERS_INITIATOR, I, 1, NULL},
};
#undef I
#undef R

/* What an SDP line edit gave: `want` (and still SDP the translation
 * reads), or for want NULL no text and JSDP_ERROR_MALFORMED. */
static void
assert_edit(const char *got, const GError *error, const char *want)
{
    if (want == NULL) {
        g_assert_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED);
        g_assert_null(got);
        return;
    }
    g_assert_no_error(error);
    g_assert_cmpstr(got, ==, want);
    g_assert_true(jsdp_sdp_check(got, -1, NULL));
}

static void
test_set_direction(gconstpointer data)
{
    const DirectionCase *dc = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *got =
        jsdp_sdp_set_direction(dc->sdp, -1, dc->senders, dc->author, dc->version, &error);

    assert_edit(got, error, dc->want);
}

/* The length argument bounds the text: what follows is not read. */
static void
test_set_direction_len(void)
{
    const char *sdp = RTPE_HEAD RTPE_AUDIO "a=sendrecv\r\nGARBAGE";
    g_autofree char *got = jsdp_sdp_set_direction(sdp, (gssize)(strlen(sdp) - 7),
                                                  JSDP_SENDERS_INITIATOR, JSDP_ROLE_INITIATOR,
                                                  12, NULL);

    g_assert_cmpstr(got, ==, RTPE_HEAD_V("12") RTPE_AUDIO "a=sendonly\r\n");
}

/* jsdp_sdp_hold(): each section keeps what it sends and stops receiving
 * (RFC 3264 8.4); the o= line is left to the dialog. */
typedef struct {
    const char *name;
    const char *sdp;
    const char *want; /* NULL: JSDP_ERROR_MALFORMED */
} HoldCase;

static const HoldCase hold_cases[] = {
    {"sendrecv", RTPE_HEAD RTPE_AUDIO "a=sendrecv\r\na=rtcp:30001\r\n",
     RTPE_HEAD RTPE_AUDIO "a=sendonly\r\na=rtcp:30001\r\n"},
    /* video she only receives (her camera off): nothing flows on hold */
    {"per-section", RTPE_HEAD RTPE_AUDIO "a=sendrecv\r\n" RTPE_VIDEO "a=recvonly\r\n",
     RTPE_HEAD RTPE_AUDIO "a=sendonly\r\n" RTPE_VIDEO "a=inactive\r\n"},
    {"kept", RTPE_HEAD RTPE_AUDIO "a=sendonly\r\n" RTPE_VIDEO "a=inactive\r\n",
     RTPE_HEAD RTPE_AUDIO "a=sendonly\r\n" RTPE_VIDEO "a=inactive\r\n"},
    /* none: sendrecv, so sendonly, added as set_direction adds it */
    {"added", RTPE_HEAD RTPE_AUDIO RTPE_VIDEO "a=recvonly\r\n",
     RTPE_HEAD RTPE_AUDIO "a=sendonly\r\n" RTPE_VIDEO "a=inactive\r\n"},
    {"session-level", RTPE_HEAD "a=recvonly\r\n" RTPE_AUDIO,
     RTPE_HEAD "a=inactive\r\n" RTPE_AUDIO},
    {"lf", "v=0\no=- 7 7 IN IP4 192.0.2.5\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n",
     "v=0\no=- 7 7 IN IP4 192.0.2.5\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\na=sendonly\n"},
    {"not-sdp", "hello\r\n", NULL},
};

static void
test_hold(gconstpointer data)
{
    const HoldCase *hc = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = jsdp_sdp_hold(hc->sdp, -1, &error);

    assert_edit(got, error, hc->want);
}

/* jsdp_sdp_follow_origin(): RFC 3264 8 across a dialog's SDPs. */
typedef struct {
    const char *name;
    const char *prev, *next;
    const char *want; /* NULL: JSDP_ERROR_MALFORMED */
} FollowCase;

#define OTHER_HEAD(v) "v=0\r\no=jsdp 77 " v " IN IP4 198.51.100.7\r\ns=rtpengine\r\nt=0 0\r\n"
static const FollowCase follow_cases[] = {
    /* the first SDP of the dialog goes as it is */
    {"first", NULL, RTPE_HEAD RTPE_AUDIO, RTPE_HEAD RTPE_AUDIO},
    /* the same SDP again (a refresh, a repeated answer): the same version */
    {"unchanged", RTPE_HEAD_V("5") RTPE_AUDIO, RTPE_HEAD RTPE_AUDIO, RTPE_HEAD_V("5") RTPE_AUDIO},
    /* video added: the next version */
    {"changed", RTPE_HEAD_V("5") RTPE_AUDIO, RTPE_HEAD RTPE_AUDIO RTPE_VIDEO,
     RTPE_HEAD_V("6") RTPE_AUDIO RTPE_VIDEO},
    /* the next SDP's own o= (another username, sess-id, address) yields to
     * the dialog's: only the version moves */
    {"origin-kept", RTPE_HEAD_V("2") RTPE_AUDIO, OTHER_HEAD("1") RTPE_AUDIO RTPE_VIDEO,
     RTPE_HEAD_V("3") RTPE_AUDIO RTPE_VIDEO},
    {"origin-kept-unchanged", RTPE_HEAD_V("2") RTPE_AUDIO, OTHER_HEAD("9") RTPE_AUDIO,
     RTPE_HEAD_V("2") RTPE_AUDIO},
    /* a port change alone is a change */
    {"port", RTPE_HEAD RTPE_AUDIO,
     RTPE_HEAD "m=audio 30010 RTP/AVP 0 101\r\nc=IN IP4 192.0.2.5\r\n"
     "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n",
     RTPE_HEAD_V("2") "m=audio 30010 RTP/AVP 0 101\r\nc=IN IP4 192.0.2.5\r\n"
     "a=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n"},
    /* line ends are bytes too; the o= line keeps the next's */
    {"lf-next", RTPE_HEAD RTPE_AUDIO,
     "v=0\no=- 1545997027 1 IN IP4 192.0.2.5\ns=rtpengine\nt=0 0\nm=audio 30000 RTP/AVP 0\n",
     "v=0\no=- 1545997027 2 IN IP4 192.0.2.5\ns=rtpengine\nt=0 0\nm=audio 30000 RTP/AVP 0\n"},
    {"not-sdp-next", RTPE_HEAD RTPE_AUDIO, "hello\r\n", NULL},
    {"not-sdp-prev", "hello\r\n", RTPE_HEAD RTPE_AUDIO, NULL},
};
#undef OTHER_HEAD

static void
test_follow_origin(gconstpointer data)
{
    const FollowCase *fc = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *got = jsdp_sdp_follow_origin(fc->prev, fc->next, &error);

    assert_edit(got, error, fc->want);
}

/* ---- registration ----------------------------------------------------- */

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *
list_dir(const char *rel, const char *suffix)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "jsdp", rel, NULL);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;

    g_assert_nonnull(dir);
    while ((n = g_dir_read_name(dir)) != NULL) {
        if (g_str_has_suffix(n, suffix))
            g_ptr_array_add(names, g_strdup(n));
    }
    g_ptr_array_sort(names, compare_names);
    return names;
}

static char *
strip_suffix(const char *name, const char *suffix)
{
    return g_strndup(name, strlen(name) - strlen(suffix));
}

/* ---- jsdp_sdp_check(): is it SDP at all ------------------------------ */

typedef struct {
    const char *name;
    const char *sdp;
} CheckCase;

#define SESSION "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n"
static const CheckCase check_bad[] = {
    {"empty", ""},
    {"text", "hello world\r\n"},
    {"html", "<html><body>hi</body></html>"},
    {"no-v", "o=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"},
    {"v-1", "v=1\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"},
    {"no-o", "v=0\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"},
    {"short-o", "v=0\r\no=- 1 1 IN\r\ns=-\r\n"},
    {"no-s", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n"},
    {"upper-type", SESSION "C=IN IP4 192.0.2.1\r\n"},
    {"no-equals", SESSION "c IN IP4 192.0.2.1\r\n"},
    {"short-c", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"},
    {"m-no-fmt", SESSION "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP\r\n"},
    {"m-port-text", SESSION "c=IN IP4 192.0.2.1\r\nm=audio x RTP/AVP 0\r\n"},
    {"m-port-big", SESSION "c=IN IP4 192.0.2.1\r\nm=audio 70000 RTP/AVP 0\r\n"},
    {"cr-inside", SESSION "c=IN IP4 192.0.2.1\rm=audio 4000 RTP/AVP 0\r\n"},
    {"second-v", SESSION "v=0\r\n"},
};
static const CheckCase check_good[] = {
    {"minimal", SESSION},
    {"audio-lf", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n"},
    {"media-c", SESSION "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\n"},
    {"port0-no-c", SESSION "m=video 0 RTP/AVP 96\r\n"},
    {"no-c-at-all", SESSION "m=audio 4000 RTP/AVP 0\r\n"},
    {"port-count", SESSION "c=IN IP4 192.0.2.1\r\nm=video 4000/2 RTP/AVP 96\r\n"},
    {"trailing-blank", SESSION "c=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n\r\n"},
    {"double-space", SESSION "c=IN IP4  192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n"},
    {"blanks-around-lines", SESSION "\r\n  c=IN IP4 192.0.2.1 \r\n\tm=audio 4000 RTP/AVP 0\r\n"},
    {"utf8-session-name", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=Caf\xc3\xa9\r\nt=0 0\r\n"},
};

static void
test_check_bad(gconstpointer data)
{
    const CheckCase *c = data;
    g_autoptr(GError) error = NULL;

    g_assert_false(jsdp_sdp_check(c->sdp, -1, &error));
    g_assert_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED);
}

static void
test_check_good(gconstpointer data)
{
    const CheckCase *c = data;
    g_autoptr(GError) error = NULL;

    g_assert_true(jsdp_sdp_check(c->sdp, -1, &error));
    g_assert_no_error(error);
}

/* Every real SDP of the corpus is SDP, also those the translation refuses
 * (a duplicate mid, ICE without credentials). */
static void
test_check_corpus(gconstpointer data)
{
    g_autofree char *rel = g_strdup_printf("sdp/%s", (const char *)data);
    g_autofree char *text = read_data(rel);
    g_autoptr(GError) error = NULL;

    g_assert_true(jsdp_sdp_check(text, -1, &error));
    g_assert_no_error(error);
}

int
main(int argc, char **argv)
{
    g_autofree char *exp_path = NULL;
    g_autoptr(GError) error = NULL;
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    const char *sides[] = {"sdp", "jingle"};

    g_test_init(&argc, &argv, NULL);
    exp_path = g_test_build_filename(G_TEST_DIST, "data", "jsdp", "expectations.ini", NULL);
    expectations = g_key_file_new();
    g_key_file_load_from_file(expectations, exp_path, G_KEY_FILE_NONE, &error);
    g_assert_no_error(error);

    for (guint s = 0; s < G_N_ELEMENTS(sides); s++) {
        g_autoptr(GPtrArray) files = list_dir(sides[s], s == 0 ? ".sdp" : ".xml");
        for (guint i = 0; i < files->len; i++) {
            const char *f = g_ptr_array_index(files, i);
            char *path = g_strdup_printf("/jsdp/roundtrip/%s/%s", sides[s], f);
            char *data = g_strdup(f);
            g_ptr_array_add(keep, path);
            g_ptr_array_add(keep, data);
            g_test_add_data_func(path, data, s == 0 ? test_roundtrip_sdp : test_roundtrip_jingle);
        }
    }
    {
        g_autoptr(GPtrArray) files = list_dir("pairs", ".sdp");
        for (guint i = 0; i < files->len; i++) {
            char *name = strip_suffix(g_ptr_array_index(files, i), ".sdp");
            char *path = g_strdup_printf("/jsdp/pairs/%s", name);
            g_ptr_array_add(keep, name);
            g_ptr_array_add(keep, path);
            g_test_add_data_func(path, name, test_pair);
        }
    }
    {
        g_autoptr(GPtrArray) files = list_dir("golden/jingle-to-sdp", ".jingle.xml");
        for (guint i = 0; i < files->len; i++) {
            char *name = strip_suffix(g_ptr_array_index(files, i), ".jingle.xml");
            char *path = g_strdup_printf("/jsdp/jingle-to-sdp/%s", name);
            g_ptr_array_add(keep, name);
            g_ptr_array_add(keep, path);
            g_test_add_data_func(path, name, test_golden_jingle_to_sdp);
        }
    }
    {
        g_autoptr(GPtrArray) files = list_dir("golden/sdp-to-jingle", ".sdp");
        for (guint i = 0; i < files->len; i++) {
            char *name = strip_suffix(g_ptr_array_index(files, i), ".sdp");
            char *path = g_strdup_printf("/jsdp/sdp-to-jingle/%s", name);
            g_ptr_array_add(keep, name);
            g_ptr_array_add(keep, path);
            g_test_add_data_func(path, name, test_golden_sdp_to_jingle);
        }
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        char *path = g_strdup_printf("/jsdp/%s/%s", bad_cases[i].code < 0 ? "edge" : "bad",
                                     bad_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/jsdp/bad/error-names-line", test_error_names_line);
    for (guint i = 0; i < G_N_ELEMENTS(check_bad); i++) {
        char *path = g_strdup_printf("/jsdp/check/bad/%s", check_bad[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &check_bad[i], test_check_bad);
    }
    for (guint i = 0; i < G_N_ELEMENTS(check_good); i++) {
        char *path = g_strdup_printf("/jsdp/check/good/%s", check_good[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &check_good[i], test_check_good);
    }
    {
        g_autoptr(GPtrArray) files = list_dir("sdp", ".sdp");
        for (guint i = 0; i < files->len; i++) {
            char *name = g_strdup(g_ptr_array_index(files, i));
            char *path = g_strdup_printf("/jsdp/check/corpus/%s", name);
            g_ptr_array_add(keep, path);
            g_ptr_array_add(keep, name);
            g_test_add_data_func(path, name, test_check_corpus);
        }
    }
    g_test_add_func("/jsdp/edge/crlf-vs-lf", test_crlf_lf_equal);
    g_test_add_func("/jsdp/edge/ssrc-value-trimmed", test_ssrc_value_trimmed);
    g_test_add_func("/jsdp/api/senders-role", test_senders_role);
    g_test_add_func("/jsdp/api/classic-modes", test_classic_modes);
    g_test_add_func("/jsdp/api/ice-as-classic", test_ice_as_classic);
    g_test_add_func("/jsdp/api/candidate-helpers", test_candidate_helpers);
    g_test_add_func("/jsdp/api/fragment", test_fragment);
    g_test_add_func("/jsdp/api/rejected-and-actpass", test_rejected_and_actpass_warnings);
    g_test_add_func("/jsdp/api/deterministic-and-null", test_deterministic_and_null);
    g_test_add_func("/jsdp/api/xml-tree-forms", test_xml_tree_forms);

    for (guint i = 0; i < G_N_ELEMENTS(interop_cases); i++) {
        char *path = g_strdup_printf("/jsdp/interop/%s", interop_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &interop_cases[i], test_interop);
    }
    g_test_add_func("/jsdp/interop/te-default-equal", test_te_default_equal);
    g_test_add_func("/jsdp/interop/rtcp-fb-wildcard-equal", test_rtcp_fb_wildcard_equal);

    for (guint i = 0; i < G_N_ELEMENTS(align_cases); i++) {
        char *path = g_strdup_printf("/jsdp/ops/align-answer/%s", align_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &align_cases[i], test_align_answer);
    }
    for (guint i = 0; i < G_N_ELEMENTS(unbundle_cases); i++) {
        char *path = g_strdup_printf("/jsdp/ops/unbundle-answer/%s", unbundle_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &unbundle_cases[i], test_unbundle_answer);
    }
    g_test_add_func("/jsdp/ops/content-copy", test_content_copy);
    for (guint i = 0; i < G_N_ELEMENTS(complete_cases); i++) {
        char *path = g_strdup_printf("/jsdp/ops/complete-answer/%s", complete_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &complete_cases[i], test_complete_answer);
    }
    for (guint i = 0; i < G_N_ELEMENTS(drop_cases); i++) {
        char *path = g_strdup_printf("/jsdp/ops/drop-sources/%s", drop_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &drop_cases[i], test_drop_sources);
    }
    for (guint i = 0; i < G_N_ELEMENTS(webrtc_cases); i++) {
        char *path = g_strdup_printf("/jsdp/ops/drop-webrtc-extras/%s", webrtc_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &webrtc_cases[i], test_drop_webrtc_extras);
    }
    for (guint i = 0; i < G_N_ELEMENTS(name_cases); i++) {
        char *path = g_strdup_printf("/jsdp/ops/name-contents/%s", name_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &name_cases[i], test_name_contents);
    }
    for (guint i = 0; i < G_N_ELEMENTS(direction_cases); i++) {
        char *path = g_strdup_printf("/jsdp/sdp-edit/set-direction/%s", direction_cases[i].name);
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, &direction_cases[i], test_set_direction);
    }
    g_test_add_func("/jsdp/sdp-edit/set-direction-len", test_set_direction_len);
    for (gsize i = 0; i < G_N_ELEMENTS(hold_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/jsdp/sdp-edit/hold/%s", hold_cases[i].name);
        g_test_add_data_func(path, &hold_cases[i], test_hold);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(follow_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/jsdp/sdp-edit/follow-origin/%s", follow_cases[i].name);
        g_test_add_data_func(path, &follow_cases[i], test_follow_origin);
    }

    int rc = g_test_run();
    g_ptr_array_unref(keep);
    g_key_file_unref(expectations);
    return rc;
}
