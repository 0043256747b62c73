/* gateway/bridge/message_bridge.h: XMPP <message> <-> SIP MESSAGE (RFC 3428),
 * with XEP-0184 receipts, error bounces and XEP-0085 <-> RFC 3994 typing. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "gateway.h"

G_BEGIN_DECLS

/* env: borrowed for the bridge's life; rate: the per-sender limiter of
 * [security] xmpp_rate. */
GwMsgBridge *gw_msg_bridge_new(const GwBridgeEnv *env, GwRateLimiter *rate);
void gw_msg_bridge_free(GwMsgBridge *bridge);

/* A <message> addressed to the component domain or one of its users. */
void gw_msg_bridge_from_xmpp(GwMsgBridge *bridge, xmpp_stanza_t *stanza);

/* A MESSAGE from a trusted SIP source; answers req exactly once. */
void gw_msg_bridge_from_sip(GwMsgBridge *bridge, GwSipRequest *req,
                            const GwSipIncoming *in);

/* Counters, for tests and benchmarks. */
typedef struct {
    guint64 xmpp_to_sip_ok;
    guint64 xmpp_to_sip_failed;
    guint64 sip_to_xmpp_ok;
    guint64 sip_to_xmpp_refused;
    guint pending_sip;
    guint pending_xmpp;
} GwMsgStats;
void gw_msg_bridge_get_stats(const GwMsgBridge *bridge, GwMsgStats *stats);

G_END_DECLS
