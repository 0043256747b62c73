/* test_calls_check.c: gateway/bridge/call_check.c, what a Jingle offer or
 * answer from the XMPP side must be (issue 15).
 *
 *   /call-check/offer/<case>    a session-initiate's session: accepted, or
 *                               refused with its code (bad-request: the
 *                               XEPs' musts; policy-violation: the bounds)
 *   /call-check/answer/<case>   a session-accept's, against an offer
 *   /call-check/sdp-size/<case> max_sdp_bytes on the SDP the session makes
 *
 * Each case is one content template with its transport replaced, or
 * several contents; FP is a sha-256 value (32 octets).
 */
#include "call_check.h"

#include <string.h>

#define FP                                                                   \
    "6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"                       \
    "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"
#define ICE "urn:xmpp:jingle:transports:ice-udp:1"
#define DTLS "urn:xmpp:jingle:apps:dtls:0"
#define CREDS "ufrag='Ab1c' pwd='ThisIsAnIcePasswordOf24c'"
#define FPR(setup)                                                           \
    "<fingerprint xmlns='" DTLS "' hash='sha-256' setup='" setup "'>" FP     \
    "</fingerprint>"

#define NO_ERROR (-1)

static const GwCallLimits limits = {4, 8192, TRUE};
static const GwCallLimits limits_no_dtls = {4, 8192, FALSE};

/* One audio content named `name` with `transport` (a whole element, or
 * ""), and fmtp parameter `param` on opus. */
static char *
content(const char *name, const char *transport, const char *param)
{
    return g_strdup_printf(
        "<content creator='initiator' name='%s' senders='both'>"
        "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>"
        "<payload-type id='111' name='opus' clockrate='48000' channels='2'>"
        "<parameter name='useinbandfec' value='%s'/></payload-type>"
        "<payload-type id='0' name='PCMU' clockrate='8000'/>"
        "<rtcp-mux/></description>%s</content>",
        name, param, transport);
}

static JsdpSession *
session(const char *action, guint n, const char *transport, const char *param)
{
    g_autoptr(GString) xml = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    JsdpSession *s;

    g_string_append_printf(xml,
                           "<jingle xmlns='urn:xmpp:jingle:1' action='%s' "
                           "sid='s1' initiator='a@example.org/x'>",
                           action);
    for (guint i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("%u", i);
        g_autofree char *c = content(name, transport, param);
        g_string_append(xml, c);
    }
    g_string_append(xml, "</jingle>");
    s = jsdp_session_from_jingle_string(xml->str, -1, &error);
    g_assert_no_error(error);
    return s;
}

typedef struct {
    const char *name;
    guint contents;
    const char *transport;
    const GwCallLimits *limits;
    int code; /* GwCallCheckError, or NO_ERROR */
    const char *text; /* in the message */
} OfferCase;

static const OfferCase offers[] = {
    {"conversations", 1,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("actpass") "</transport>",
     &limits, NO_ERROR, NULL},
    {"four-contents", 4,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("actpass") "</transport>",
     &limits, NO_ERROR, NULL},
    {"forty-contents", 40,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("actpass") "</transport>",
     &limits, GW_CALL_CHECK_ERROR_POLICY, "40 contents"},
    {"no-ice-credentials", 1,
     "<transport xmlns='" ICE "'>" FPR("actpass") "</transport>", &limits,
     GW_CALL_CHECK_ERROR_MALFORMED, "XEP-0176"},
    {"short-pwd", 1,
     "<transport xmlns='" ICE "' ufrag='Ab1c' pwd='short'>" FPR("actpass")
     "</transport>",
     &limits, GW_CALL_CHECK_ERROR_MALFORMED, "RFC 8839"},
    {"no-fingerprint", 1, "<transport xmlns='" ICE "' " CREDS "/>", &limits,
     GW_CALL_CHECK_ERROR_MALFORMED, "XEP-0320"},
    {"no-fingerprint-without-relay", 1,
     "<transport xmlns='" ICE "' " CREDS "/>", &limits_no_dtls, NO_ERROR,
     NULL},
    {"fingerprint-without-setup", 1,
     "<transport xmlns='" ICE "' " CREDS "><fingerprint xmlns='" DTLS
     "' hash='sha-256'>" FP "</fingerprint></transport>",
     &limits_no_dtls, GW_CALL_CHECK_ERROR_MALFORMED, "setup"},
    /* a sha-1 value (20 octets) said to be sha-256 */
    {"fingerprint-short", 1,
     "<transport xmlns='" ICE "' " CREDS "><fingerprint xmlns='" DTLS
     "' hash='sha-256' setup='actpass'>6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:"
     "3F:46:1B:35:DC:B8:5F:64</fingerprint></transport>",
     &limits, GW_CALL_CHECK_ERROR_MALFORMED, "bad hash or length"},
    {"fingerprint-unknown-hash", 1,
     "<transport xmlns='" ICE "' " CREDS "><fingerprint xmlns='" DTLS
     "' hash='sha-999' setup='actpass'>" FP "</fingerprint></transport>",
     &limits, GW_CALL_CHECK_ERROR_MALFORMED, "bad hash or length"},
    {"no-transport", 1, "", &limits, GW_CALL_CHECK_ERROR_MALFORMED,
     "without a transport"},
};

static void
test_offer(gconstpointer data)
{
    const OfferCase *t = data;
    g_autoptr(JsdpSession) s =
        session("session-initiate", t->contents, t->transport, "1");
    g_autoptr(GError) error = NULL;
    gboolean ok = gw_call_check_offer(s, t->limits, &error);

    if (t->code == NO_ERROR) {
        g_assert_no_error(error);
        g_assert_true(ok);
        return;
    }
    g_assert_false(ok);
    g_assert_error(error, GW_CALL_CHECK_ERROR, t->code);
    g_assert_nonnull(strstr(error->message, t->text));
    g_assert_cmpstr(gw_call_check_condition(error), ==,
                    t->code == GW_CALL_CHECK_ERROR_POLICY
                        ? "policy-violation"
                        : "bad-request");
}

typedef struct {
    const char *name;
    guint contents;
    const char *transport;
    int code;
    const char *text;
} AnswerCase;

static const AnswerCase answers[] = {
    {"active", 1,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("active") "</transport>",
     NO_ERROR, NULL},
    {"passive", 1,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("passive") "</transport>",
     NO_ERROR, NULL},
    {"actpass", 1,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("actpass") "</transport>",
     GW_CALL_CHECK_ERROR_MALFORMED, "actpass"},
    {"no-ice-credentials", 1,
     "<transport xmlns='" ICE "'>" FPR("active") "</transport>",
     GW_CALL_CHECK_ERROR_MALFORMED, "XEP-0176"},
    {"no-fingerprint", 1, "<transport xmlns='" ICE "' " CREDS "/>",
     GW_CALL_CHECK_ERROR_MALFORMED, "XEP-0320"},
    /* the offer has one content, "0": "1" is not in it */
    {"content-not-offered", 2,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("active") "</transport>",
     GW_CALL_CHECK_ERROR_MALFORMED, "not in the offer"},
    {"too-many", 5,
     "<transport xmlns='" ICE "' " CREDS ">" FPR("active") "</transport>",
     GW_CALL_CHECK_ERROR_POLICY, "5 contents"},
};

static void
test_answer(gconstpointer data)
{
    const AnswerCase *t = data;
    g_autoptr(JsdpSession) offer = session(
        "session-initiate", 1,
        "<transport xmlns='" ICE "' " CREDS ">" FPR("actpass") "</transport>",
        "1");
    g_autoptr(JsdpSession) s =
        session("session-accept", t->contents, t->transport, "1");
    g_autoptr(GError) error = NULL;
    gboolean ok = gw_call_check_answer(s, offer, &limits, &error);

    if (t->code == NO_ERROR) {
        g_assert_no_error(error);
        g_assert_true(ok);
        return;
    }
    g_assert_false(ok);
    g_assert_error(error, GW_CALL_CHECK_ERROR, t->code);
    g_assert_nonnull(strstr(error->message, t->text));
}

typedef struct {
    const char *name;
    gsize param_bytes; /* of the fmtp value */
    gboolean ok;
} SizeCase;

static const SizeCase sizes[] = {
    {"small", 1, TRUE},
    {"fmtp-1k", 1024, TRUE},
    /* the field's: a 23 KB fmtp parameter the proxy could not read */
    {"fmtp-23k", 23 * 1024, FALSE},
};

static void
test_sdp_size(gconstpointer data)
{
    const SizeCase *t = data;
    g_autofree char *param = g_strnfill(t->param_bytes, '1');
    g_autoptr(JsdpSession) s = session(
        "session-initiate", 1,
        "<transport xmlns='" ICE "' " CREDS ">" FPR("actpass") "</transport>",
        param);
    g_autoptr(GError) error = NULL;
    g_autofree char *sdp = NULL;
    JsdpSdpPrintParams pp = {0};

    sdp = jsdp_session_to_sdp(s, &pp, &error);
    g_assert_no_error(error);
    g_assert_true(gw_call_check_offer(s, &limits, &error));
    g_assert_cmpint(gw_call_check_sdp_size(sdp, &limits, &error), ==, t->ok);
    if (t->ok) {
        g_assert_no_error(error);
    } else {
        g_assert_error(error, GW_CALL_CHECK_ERROR,
                       GW_CALL_CHECK_ERROR_POLICY);
        g_assert_cmpstr(gw_call_check_condition(error), ==,
                        "policy-violation");
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(offers); i++) {
        g_autofree char *p =
            g_strconcat("/call-check/offer/", offers[i].name, NULL);
        g_test_add_data_func(p, &offers[i], test_offer);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(answers); i++) {
        g_autofree char *p =
            g_strconcat("/call-check/answer/", answers[i].name, NULL);
        g_test_add_data_func(p, &answers[i], test_answer);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
        g_autofree char *p =
            g_strconcat("/call-check/sdp-size/", sizes[i].name, NULL);
        g_test_add_data_func(p, &sizes[i], test_sdp_size);
    }
    return g_test_run();
}
