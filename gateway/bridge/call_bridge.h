/* gateway/bridge/call_bridge.h: calls, Jingle (XEP-0166/0167/0176/0320) with Jingle
 * Message Initiation (XEP-0353) <-> SIP INVITE with SDP offer/answer,
 * media anchored through gateway/media.h. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "gateway.h"

G_BEGIN_DECLS

typedef struct GwCallBridge GwCallBridge;

/* env: borrowed for the bridge's life; boot_config: what the media relay
 * client is built from (it lives as long as the bridge); resources: her
 * available clients, best first (the presence bridge's directory), NULL:
 * none known (every call uses JMI). */
GwCallBridge *gw_call_bridge_new(const GwBridgeEnv *env,
                                 const GwConfig *boot_config,
                                 GwResourcesFunc resources,
                                 gpointer resources_data, GError **error);
void gw_call_bridge_free(GwCallBridge *bridge);

/* A <message> to a component JID: TRUE if it was a JMI message (propose,
 * retract, proceed, reject, accept, finish), which the bridge consumed. */
gboolean gw_call_bridge_message(GwCallBridge *bridge, xmpp_stanza_t *stanza);

/* An <iq> with a <jingle/> child (set), or the result/error of one of ours:
 * TRUE if handled (the bridge answers sets exactly once). */
gboolean gw_call_bridge_iq(GwCallBridge *bridge, xmpp_stanza_t *iq);

/* An INVITE from a trusted source. */
void gw_call_bridge_invite(GwCallBridge *bridge, GwSipRequest *req,
                           const GwSipIncoming *in);

/* The XMPP link went down: every call ends on the SIP side and in the
 * media relay. */
void gw_call_bridge_link_down(GwCallBridge *bridge);

/* Ends every call on both sides (gateway stopping). */
void gw_call_bridge_shutdown(GwCallBridge *bridge);

/* For operators: one line per call, "SID XMPP->SIP alice@example.com
 * sip:1001@pbx STATE 12s" (transfer full, of char*), oldest first. */
GPtrArray *gw_call_bridge_list(const GwCallBridge *bridge);
/* An operator ends call `sid` on both sides; FALSE if there is none. */
gboolean gw_call_bridge_hang_up(GwCallBridge *bridge, const char *sid);

typedef struct {
    guint calls;        /* live */
    guint64 started;    /* calls set up (answered) */
    guint64 failed;
    int relay_reachable; /* gw_media_relay_reachable() */
} GwCallStats;
void gw_call_bridge_get_stats(const GwCallBridge *bridge, GwCallStats *stats);

G_END_DECLS
