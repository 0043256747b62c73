/* gateway/bridge/call_check.h: what a Jingle offer or answer from the XMPP
 * side must be before the relay and the SIP side see it. A pure core
 * (call_check.c): a session and the limits in, TRUE or a GError out.
 */
#pragma once

#include <glib.h>

#include "jsdp.h"

G_BEGIN_DECLS

#define GW_CALL_CHECK_ERROR (gw_call_check_error_quark())
typedef enum {
    /* what the XEPs forbid (XEP-0176 ufrag/pwd, XEP-0320 fingerprint and
     * setup, an answer's contents not in the offer): bad-request */
    GW_CALL_CHECK_ERROR_MALFORMED,
    /* within the XEPs, over the operator's bounds ([calls] max_contents,
     * max_sdp_bytes): policy-violation */
    GW_CALL_CHECK_ERROR_POLICY,
} GwCallCheckError;
GQuark gw_call_check_error_quark(void);

typedef struct {
    guint max_contents;  /* contents (m= lines) in one offer or answer */
    gsize max_sdp_bytes; /* the SDP it becomes */
    /* the XMPP leg is DTLS-SRTP (relay = rtpengine makes it so): every
     * content needs a fingerprint (XEP-0320); otherwise only those given
     * are checked */
    gboolean dtls_required;
} GwCallLimits;

/* A session-initiate's session (the XMPP user calls SIP). */
gboolean gw_call_check_offer(const JsdpSession *offer,
                             const GwCallLimits *limits, GError **error);
/* A session-accept's session, against our offer (SIP calls her). */
gboolean gw_call_check_answer(const JsdpSession *answer,
                              const JsdpSession *offer,
                              const GwCallLimits *limits, GError **error);
/* The SDP a session became (or the relay made of it): not above
 * max_sdp_bytes. */
gboolean gw_call_check_sdp_size(const char *sdp, const GwCallLimits *limits,
                                GError **error);
/* The XMPP stanza error condition for an error of this domain. */
const char *gw_call_check_condition(const GError *error);

G_END_DECLS
