/* gateway/bridge/call_check.c: what a Jingle offer or answer from the XMPP
 * side must be before it reaches the relay and the SIP side. A pure core:
 * a JsdpSession and the limits in, TRUE or a GError out; no I/O.
 *
 *   session-initiate / session-accept
 *        |  libjsdp: well-formed Jingle -> JsdpSession
 *        v
 *   gw_call_check_offer() / _answer()   the XEPs' musts -> bad-request
 *        |                              [calls] max_contents -> policy-
 *        v                                                    violation
 *   JsdpSession -> SDP
 *        v
 *   gw_call_check_sdp_size()            [calls] max_sdp_bytes -> policy-
 *        |                                                    violation
 *        v
 *   relay, INVITE / 200
 *
 * Why each bound exists (issue 15, seen in the field): an offer without
 * ICE credentials or a DTLS fingerprint was carried into a call that
 * could never have media; a 23 KB fmtp parameter made an INVITE the
 * proxy dropped (its TCP read buffer overran), leaving the call inviting;
 * 40 audio contents in one offer used up rtpengine's port range.
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_check.h"

#include <string.h>

G_DEFINE_QUARK(gw-call-check-error-quark, gw_call_check_error)

#define MALFORMED(...)                                                       \
    (g_set_error(error, GW_CALL_CHECK_ERROR,                                 \
                 GW_CALL_CHECK_ERROR_MALFORMED, __VA_ARGS__),                \
     FALSE)

/* RFC 8839 5.4: ice-char = ALPHA / DIGIT / "+" / "/"; ufrag 4-256
 * characters, pwd 22-256. */
static gboolean
is_ice_chars(const char *s, gsize min, gsize max)
{
    gsize n = s != NULL ? strlen(s) : 0;

    if (n < min || n > max)
        return FALSE;
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/')
            return FALSE;
    return TRUE;
}

/* RFC 8122 5 / RFC 4572: the octets of each hash function's digest. */
static guint
digest_octets(const char *hash)
{
    static const struct {
        const char *name;
        guint octets;
    } known[] = {
        {"sha-1", 20},   {"sha-224", 28}, {"sha-256", 32},
        {"sha-384", 48}, {"sha-512", 64}, {"md5", 16},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
        if (g_ascii_strcasecmp(hash, known[i].name) == 0)
            return known[i].octets;
    return 0;
}

/* "AB:CD:..." (libjsdp normalised it): its number of octets. */
static guint
value_octets(const char *value)
{
    return value != NULL && *value != '\0' ? (strlen(value) + 1) / 3 : 0;
}

/* XEP-0176 5.3: an ICE-UDP <transport/> carries ufrag and pwd. */
static gboolean
check_ice(const JsdpContent *ct, GError **error)
{
    const JsdpTransport *t = ct->transport;

    if (t->type != JSDP_TRANSPORT_ICE_UDP)
        return TRUE;
    if (t->ufrag == NULL || t->pwd == NULL)
        return MALFORMED("content '%.32s': ICE-UDP transport without "
                         "ufrag and pwd (XEP-0176)", ct->name);
    if (!is_ice_chars(t->ufrag, 4, 256) || !is_ice_chars(t->pwd, 22, 256))
        return MALFORMED("content '%.32s': ICE ufrag or pwd of a bad length "
                         "or character (RFC 8839 5.4)", ct->name);
    return TRUE;
}

/* XEP-0320: each <fingerprint/> has a known hash, a value of its length
 * and a setup; an answer's setup is active or passive (never actpass:
 * RFC 5763 5, dino#1072). */
static gboolean
check_dtls(const JsdpContent *ct, gboolean answer, gboolean required,
           GError **error)
{
    const JsdpTransport *t = ct->transport;

    if (t->fingerprints->len == 0)
        return required ? MALFORMED("content '%.32s': no DTLS fingerprint "
                                    "(XEP-0320)", ct->name)
                        : TRUE;
    for (guint i = 0; i < t->fingerprints->len; i++) {
        const JsdpFingerprint *f = g_ptr_array_index(t->fingerprints, i);
        guint want = digest_octets(f->hash);

        if (want == 0 || value_octets(f->value) != want)
            return MALFORMED("content '%.32s': fingerprint '%.16s' of a "
                             "bad hash or length", ct->name, f->hash);
    }
    if (t->setup == JSDP_SETUP_UNSET || t->setup == JSDP_SETUP_HOLDCONN)
        return MALFORMED("content '%.32s': fingerprint without a usable "
                         "setup (XEP-0320)", ct->name);
    if (answer && t->setup == JSDP_SETUP_ACTPASS)
        return MALFORMED("content '%.32s': an answer's setup cannot be "
                         "actpass (RFC 5763 5)", ct->name);
    return TRUE;
}

static gboolean
check_content(const JsdpContent *ct, gboolean answer,
              const GwCallLimits *limits, GError **error)
{
    if (ct->rejected || !ct->has_description)
        return TRUE; /* nothing of it reaches the relay */
    if (ct->transport == NULL)
        return MALFORMED("content '%.32s' without a transport (XEP-0166 "
                         "7.3)", ct->name);
    return check_ice(ct, error) &&
           check_dtls(ct, answer, limits->dtls_required, error);
}

static gboolean
check_session(const JsdpSession *s, gboolean answer,
              const GwCallLimits *limits, GError **error)
{
    if (s->contents->len > limits->max_contents) {
        g_set_error(error, GW_CALL_CHECK_ERROR, GW_CALL_CHECK_ERROR_POLICY,
                    "%u contents, more than the %u allowed",
                    s->contents->len, limits->max_contents);
        return FALSE;
    }
    for (guint i = 0; i < s->contents->len; i++)
        if (!check_content(g_ptr_array_index(s->contents, i), answer, limits,
                           error))
            return FALSE;
    return TRUE;
}

gboolean
gw_call_check_offer(const JsdpSession *offer, const GwCallLimits *limits,
                    GError **error)
{
    g_return_val_if_fail(offer != NULL && limits != NULL, FALSE);
    return check_session(offer, FALSE, limits, error);
}

static gboolean
has_content(const JsdpSession *s, const char *name)
{
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(s->contents, i);
        if (g_strcmp0(ct->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

gboolean
gw_call_check_answer(const JsdpSession *answer, const JsdpSession *offer,
                     const GwCallLimits *limits, GError **error)
{
    g_return_val_if_fail(answer != NULL && offer != NULL, FALSE);
    g_return_val_if_fail(limits != NULL, FALSE);
    if (!check_session(answer, TRUE, limits, error))
        return FALSE;
    /* XEP-0166 7.2.8 / RFC 3264 6: an answer has the offer's contents */
    for (guint i = 0; i < answer->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(answer->contents, i);
        if (!has_content(offer, ct->name))
            return MALFORMED("content '%.32s' is not in the offer", ct->name);
    }
    return TRUE;
}

gboolean
gw_call_check_sdp_size(const char *sdp, const GwCallLimits *limits,
                       GError **error)
{
    gsize n = sdp != NULL ? strlen(sdp) : 0;

    g_return_val_if_fail(limits != NULL, FALSE);
    if (n <= limits->max_sdp_bytes)
        return TRUE;
    g_set_error(error, GW_CALL_CHECK_ERROR, GW_CALL_CHECK_ERROR_POLICY,
                "the session's SDP is %" G_GSIZE_FORMAT " bytes, more than "
                "the %" G_GSIZE_FORMAT " allowed",
                n, limits->max_sdp_bytes);
    return FALSE;
}

const char *
gw_call_check_condition(const GError *error)
{
    if (error != NULL && error->domain == GW_CALL_CHECK_ERROR &&
        error->code == GW_CALL_CHECK_ERROR_POLICY)
        return "policy-violation";
    return "bad-request";
}
