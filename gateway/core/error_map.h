/* gateway/core/error_map.h: the one place where errors change language
 * (RFC 7247 section 6 for SIP <-> XMPP stanza errors). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* An XMPP stanza error: RFC 6120 8.3 condition and type, and an optional
 * application-specific condition (8.3.4: an empty element `app_condition`
 * in namespace `app_ns`, e.g. XEP-0166's <out-of-order/>). */
typedef struct {
    const char *condition; /* "item-not-found" ... (static string) */
    const char *type;      /* "cancel", "wait", "modify", "auth" */
    const char *app_condition; /* NULL: none */
    const char *app_ns;
} GwStanzaError;

/* A SIP final response code (>= 300, or 408 for a local timeout) ->
 * stanza error (RFC 7247 Table 2, adjusted where noted in error_map.c). */
GwStanzaError gw_errmap_sip_to_xmpp(int status);

/* A stanza error condition -> SIP status (RFC 7247 Table 1). Unknown
 * conditions -> 400 (undefined-condition). */
int gw_errmap_xmpp_to_sip(const char *condition);

/* A stanza error returned by a client's full JID to a call-setup request
 * (Jingle session-initiate): as gw_errmap_xmpp_to_sip(), except that
 * service-unavailable (the resource is gone, RFC 6121 8.5.3.2.1, or takes
 * no Jingle, XEP-0166 6.3.2) and a missing condition mean the callee is
 * not reachable there: 480, not 503 (which tells SIP proxies that the
 * gateway itself is failing); and no code whose response needs a header
 * we cannot give (redirect -> 480 not 302, not-authorized -> 403 not 401,
 * feature-not-implemented -> 488 and not-allowed -> 403, not 405). */
int gw_errmap_xmpp_to_sip_call(const char *condition);

/* A stanza error returned for a <message> carrying a SIP MESSAGE (by a
 * server while routing it, or by the recipient), as the MESSAGE's final
 * response: the same table as gw_errmap_xmpp_to_sip_call() (a user with
 * no resource online and no offline storage, or no account, is
 * service-unavailable: 480), except remote-server-timeout, which is 504
 * (RFC 4320 4.2: never 408 to a MESSAGE). condition NULL (an error
 * without a defined condition) -> 480; unknown conditions -> 400. *phrase
 * (phrase may be NULL) gets the static reason phrase. */
int gw_errmap_xmpp_to_sip_message(const char *condition, const char **phrase);

/* A GError from the gateway, mapping/ or jingle_sdp/ -> both languages.
 * *phrase is a static reason phrase for the SIP side. */
void gw_errmap_from_gerror(const GError *error, GwStanzaError *xmpp,
                           int *sip_status, const char **phrase);

/* The default RFC 6120 type of a condition ("cancel" if unknown). */
const char *gw_errmap_condition_type(const char *condition);

/* Call endings (XEP-0166 7.4 reasons <-> SIP). A SIP final status of a
 * failed INVITE -> the Jingle reason element name; a Jingle reason -> the
 * SIP status to refuse an unanswered INVITE with. */
const char *gw_errmap_sip_to_jingle(int status);
int gw_errmap_jingle_to_sip(const char *reason);

G_END_DECLS
