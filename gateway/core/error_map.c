/* gateway/core/error_map.c: every error that crosses the border is translated
 * here, in tables, never in if-chains in the handlers.
 *
 * SIP -> XMPP follows RFC 7247 Table 2 with two deliberate choices:
 *  - 600 Busy Everywhere is recipient-unavailable like 486 (RFC 7247 says
 *    service-unavailable; for a message sender "the recipient is busy" is
 *    the truthful, retryable answer), and
 *  - 415/488 are not-acceptable (RFC 7247: bad-request for 415): the
 *    request was well-formed, the peer cannot take its content.
 */
#include "error_map.h"

#include <string.h>

#include "gw_error.h"
#include "map.h"

G_DEFINE_QUARK(gw-error-quark, gw_error)

typedef struct {
    int status;
    const char *condition;
} SipRow;

/* Exact codes first; class defaults below. */
static const SipRow sip_rows[] = {
    { 400, "bad-request" },
    { 401, "not-authorized" },
    { 402, "payment-required" },
    { 403, "forbidden" },
    { 404, "item-not-found" },
    { 405, "feature-not-implemented" },
    { 406, "not-acceptable" },
    { 407, "not-authorized" },
    { 408, "remote-server-timeout" },
    { 410, "gone" },
    { 413, "policy-violation" },
    { 414, "policy-violation" },
    { 415, "not-acceptable" },
    { 416, "bad-request" },
    { 420, "bad-request" },
    { 421, "bad-request" },
    { 423, "bad-request" },
    { 428, "not-authorized" },
    { 429, "bad-request" },
    { 433, "not-authorized" },
    { 436, "not-authorized" },
    { 437, "not-authorized" },
    { 438, "not-authorized" },
    { 480, "recipient-unavailable" },
    { 481, "item-not-found" },
    { 482, "not-acceptable" },
    { 483, "not-acceptable" },
    { 484, "item-not-found" },
    { 485, "item-not-found" },
    { 486, "recipient-unavailable" },
    { 487, "service-unavailable" },
    { 488, "not-acceptable" },
    { 489, "policy-violation" },
    { 491, "unexpected-request" },
    { 493, "bad-request" },
    { 494, "not-authorized" },
    { 500, "internal-server-error" },
    { 501, "feature-not-implemented" },
    { 502, "remote-server-not-found" },
    { 503, "service-unavailable" },
    { 504, "remote-server-timeout" },
    { 505, "not-acceptable" },
    { 513, "policy-violation" },
    { 580, "not-acceptable" },
    { 600, "recipient-unavailable" },
    { 603, "service-unavailable" },
    { 604, "item-not-found" },
    { 606, "not-acceptable" },
};

typedef struct {
    const char *condition;
    const char *type;
    int sip;
} CondRow;

/* RFC 6120 8.3.3 conditions, their usual type, RFC 7247 Table 1 code. */
static const CondRow cond_rows[] = {
    { "bad-request", "modify", 400 },
    { "conflict", "cancel", 400 },
    { "feature-not-implemented", "cancel", 405 },
    { "forbidden", "auth", 403 },
    { "gone", "cancel", 410 },
    { "internal-server-error", "cancel", 500 },
    { "item-not-found", "cancel", 404 },
    { "jid-malformed", "modify", 400 },
    { "not-acceptable", "modify", 406 },
    { "not-allowed", "cancel", 405 },
    { "not-authorized", "auth", 401 },
    { "payment-required", "auth", 402 },
    { "policy-violation", "modify", 403 },
    { "recipient-unavailable", "wait", 480 },
    { "redirect", "modify", 302 },
    { "registration-required", "auth", 400 },
    { "remote-server-not-found", "cancel", 404 },
    { "remote-server-timeout", "wait", 408 },
    { "resource-constraint", "wait", 500 },
    { "service-unavailable", "cancel", 503 },
    { "subscription-required", "auth", 400 },
    { "undefined-condition", "cancel", 400 },
    { "unexpected-request", "wait", 491 },
};

static const CondRow *
find_cond(const char *condition)
{
    for (gsize i = 0; condition != NULL && i < G_N_ELEMENTS(cond_rows); i++)
        if (strcmp(cond_rows[i].condition, condition) == 0)
            return &cond_rows[i];
    return NULL;
}

const char *
gw_errmap_condition_type(const char *condition)
{
    const CondRow *r = find_cond(condition);
    return r != NULL ? r->type : "cancel";
}

GwStanzaError
gw_errmap_sip_to_xmpp(int status)
{
    const char *cond = NULL;
    GwStanzaError e = { 0 };

    for (gsize i = 0; i < G_N_ELEMENTS(sip_rows); i++)
        if (sip_rows[i].status == status) {
            cond = sip_rows[i].condition;
            break;
        }
    if (cond == NULL) {
        if (status >= 300 && status < 400)
            cond = "redirect";
        else if (status >= 400 && status < 500)
            cond = "bad-request";
        else if (status >= 500 && status < 600)
            cond = "internal-server-error";
        else
            cond = "service-unavailable";
    }
    e.condition = cond;
    e.type = gw_errmap_condition_type(cond);
    return e;
}

int
gw_errmap_xmpp_to_sip(const char *condition)
{
    const CondRow *r = find_cond(condition);
    return r != NULL ? r->sip : 400;
}

/* An XMPP error returned for a request we relayed from SIP (a Jingle
 * session-initiate for an INVITE, a <message> for a MESSAGE), by the
 * recipient's client or by a server while routing, as the final response:
 * where Table 1's code would need a header we cannot fill, is not allowed
 * for the method, or says the gateway failed, another one. 0: Table 1. */
typedef struct {
    const char *condition; /* NULL: an error without a defined condition */
    int call;
    int message;
} RecipientRow;

static const RecipientRow recipient_rows[] = {
    /* condition               INVITE MESSAGE */
    /* the resource is gone (RFC 6121 8.5.3.2.1) or takes no Jingle
     * (XEP-0166 6.3.2); for a message, the user has no resource online
     * and no offline storage, or no account (RFC 6121 8.5.2.1.1,
     * 8.5.2.2.1); 503 would tell proxies the gateway is failing */
    { "service-unavailable", 480, 480 },
    { NULL, 480, 480 },
    /* 302 needs a Contact (RFC 3261 21.3.3): we have no SIP URI for the
     * XMPP address in the error's text */
    { "redirect", 480, 480 },
    /* 401 MUST carry WWW-Authenticate (RFC 3261 21.4.2): nothing to
     * challenge for */
    { "not-authorized", 403, 403 },
    /* 405 MUST carry Allow (RFC 3261 21.4.6) and would say the method is
     * not allowed; to a session-initiate this means unsupported
     * applications or transports (XEP-0166 6.3.2): the offer is not
     * acceptable */
    { "feature-not-implemented", 488, 488 },
    { "not-allowed", 403, 403 },
    /* never 408 to a non-INVITE request (RFC 4320 4.2): a gateway whose
     * far side did not answer in time says 504 (RFC 3261 21.5.5) */
    { "remote-server-timeout", 0, 504 },
};

static const RecipientRow *
find_recipient_row(const char *condition)
{
    for (gsize i = 0; i < G_N_ELEMENTS(recipient_rows); i++)
        if (g_strcmp0(recipient_rows[i].condition, condition) == 0)
            return &recipient_rows[i];
    return NULL;
}

int
gw_errmap_xmpp_to_sip_call(const char *condition)
{
    const RecipientRow *r = find_recipient_row(condition);

    return r != NULL && r->call != 0 ? r->call
                                     : gw_errmap_xmpp_to_sip(condition);
}

/* Reason phrases (RFC 3261 21) of the codes the XMPP -> SIP tables give. */
static const struct {
    int status;
    const char *phrase;
} phrases[] = {
    { 400, "Bad Request" },
    { 402, "Payment Required" },
    { 403, "Forbidden" },
    { 404, "Not Found" },
    { 406, "Not Acceptable" },
    { 410, "Gone" },
    { 480, "Temporarily Unavailable" },
    { 488, "Not Acceptable Here" },
    { 491, "Request Pending" },
    { 500, "Server Internal Error" },
    { 504, "Server Time-out" },
};

int
gw_errmap_xmpp_to_sip_message(const char *condition, const char **phrase)
{
    const RecipientRow *r = find_recipient_row(condition);
    int status = r != NULL && r->message != 0
                     ? r->message
                     : gw_errmap_xmpp_to_sip(condition);

    if (phrase != NULL) {
        *phrase = "Error";
        for (gsize i = 0; i < G_N_ELEMENTS(phrases); i++)
            if (phrases[i].status == status)
                *phrase = phrases[i].phrase;
    }
    return status;
}

typedef struct {
    GQuark (*domain)(void);
    int code;
    const char *condition;
    const char *type; /* NULL: the condition's default */
    int sip;
    const char *phrase;
} GErrorRow;

/* gateway/accounts/account_codec.h's domain, by its quark's name: core
 * depends on no other room */
static GQuark
account_error_quark(void)
{
    return g_quark_from_static_string("gw-account-error-quark");
}
enum { /* GwAccountError */
    ACCOUNT_INVALID, ACCOUNT_DECRYPT, ACCOUNT_CONFLICT, ACCOUNT_NOT_FOUND,
    ACCOUNT_FULL, ACCOUNT_STORE, ACCOUNT_KEY,
};

static const GErrorRow gerror_rows[] = {
    /* domain          code                     XMPP condition  type  SIP */
    { gw_error_quark, GW_ERROR_BAD_REQUEST, "bad-request", NULL, 400,
      "Bad Request" },
    { gw_error_quark, GW_ERROR_FORBIDDEN, "forbidden", NULL, 403,
      "Forbidden" },
    { gw_error_quark, GW_ERROR_RATE_LIMITED, "policy-violation", "wait", 503,
      "Rate Limit Exceeded" },
    { gw_error_quark, GW_ERROR_TOO_LARGE, "policy-violation", "modify", 413,
      "Request Entity Too Large" },
    { gw_error_quark, GW_ERROR_UNSUPPORTED, "not-acceptable", NULL, 415,
      "Unsupported Media Type" },
    { gw_error_quark, GW_ERROR_LINK_DOWN, "service-unavailable", "wait", 503,
      "Service Unavailable" },
    { gw_error_quark, GW_ERROR_OVERLOAD, "resource-constraint", "wait", 503,
      "Service Unavailable" },
    /* no answer in time from the far side: 504 (RFC 3261 21.5.5), not
     * 408, which a non-INVITE request must never get (RFC 4320 4.2) */
    { gw_error_quark, GW_ERROR_TIMEOUT, "remote-server-timeout", NULL, 504,
      "Server Time-out" },
    { gw_error_quark, GW_ERROR_SHUTDOWN, "service-unavailable", "wait", 503,
      "Service Unavailable" },
    { map_error_quark, MAP_ERROR_MALFORMED, "jid-malformed", NULL, 400,
      "Bad Address" },
    { map_error_quark, MAP_ERROR_NOT_PERMITTED, "forbidden", NULL, 403,
      "Forbidden" },
    { map_error_quark, MAP_ERROR_NO_RULE, "item-not-found", NULL, 404,
      "Not Found" },
    /* XEP-0077 3.1: a username or password the service cannot take */
    { account_error_quark, ACCOUNT_INVALID, "not-acceptable", "modify", 400,
      "Bad Request" },
    { account_error_quark, ACCOUNT_CONFLICT, "conflict", NULL, 409,
      "Conflict" },
    { account_error_quark, ACCOUNT_NOT_FOUND, "item-not-found", NULL, 404,
      "Not Found" },
    { account_error_quark, ACCOUNT_FULL, "resource-constraint", "wait", 503,
      "Service Unavailable" },
    { account_error_quark, ACCOUNT_STORE, "internal-server-error", "wait",
      500, "Server Internal Error" },
};

void
gw_errmap_from_gerror(const GError *error, GwStanzaError *xmpp,
                      int *sip_status, const char **phrase)
{
    const GErrorRow *row = NULL;

    for (gsize i = 0; error != NULL && i < G_N_ELEMENTS(gerror_rows); i++)
        if (gerror_rows[i].domain() == error->domain &&
            gerror_rows[i].code == error->code) {
            row = &gerror_rows[i];
            break;
        }
    if (xmpp != NULL) {
        *xmpp = (GwStanzaError){ 0 };
        xmpp->condition = row ? row->condition : "internal-server-error";
        xmpp->type = row && row->type ? row->type
                                      : gw_errmap_condition_type(
                                            xmpp->condition);
    }
    if (sip_status != NULL)
        *sip_status = row ? row->sip : 500;
    if (phrase != NULL)
        *phrase = row ? row->phrase : "Server Internal Error";
}

/* XEP-0166 reasons. success <-> BYE has no status: it is not a failure. */
static const SipRow jingle_rows[] = {
    { 486, "busy" },
    { 600, "busy" },
    { 603, "decline" },
    { 408, "timeout" },
    { 480, "timeout" },
    { 404, "gone" },
    { 410, "gone" },
    { 604, "gone" },
    { 488, "failed-application" },
    { 606, "failed-application" },
    { 415, "unsupported-applications" },
    { 487, "cancel" },
    { 503, "connectivity-error" },
    { 403, "security-error" },
    { 500, "general-error" },
};

const char *
gw_errmap_sip_to_jingle(int status)
{
    for (gsize i = 0; i < G_N_ELEMENTS(jingle_rows); i++)
        if (jingle_rows[i].status == status)
            return jingle_rows[i].condition;
    if (status >= 500 && status < 600)
        return "connectivity-error";
    return "general-error";
}

int
gw_errmap_jingle_to_sip(const char *reason)
{
    static const SipRow back[] = {
        /* the first row of a reason wins: busy -> 486, timeout -> 480 */
        { 486, "busy" },
        { 603, "decline" },
        { 480, "timeout" },
        { 480, "expired" },
        { 410, "gone" },
        { 488, "failed-application" },
        { 415, "unsupported-applications" },
        { 488, "unsupported-transports" },
        { 488, "incompatible-parameters" },
        { 488, "media-error" },
        { 488, "security-error" },
        { 487, "cancel" },
        { 503, "connectivity-error" },
        { 503, "failed-transport" },
        { 486, "alternative-session" },
        { 500, "general-error" },
    };

    for (gsize i = 0; reason != NULL && i < G_N_ELEMENTS(back); i++)
        if (strcmp(back[i].condition, reason) == 0)
            return back[i].status;
    return 500;
}
