/* gateway/gateway.h: the daemon's shared context. One per process, owned
 * by main.c; the links and bridges borrow it. */
#pragma once

#include <glib.h>

#include "caps.h"
#include "gw_config.h"
#include "map.h"
#include "ratelimit.h"
#include "sip_ua.h"
#include "xmpp_link.h"

G_BEGIN_DECLS

typedef struct GwMsgBridge GwMsgBridge;
typedef struct GwPresBridge GwPresBridge;
typedef struct GwCallBridge GwCallBridge;

typedef struct {
    /* The configuration the process started with: the links are built
     * from it and keep pointers into it, so it lives as long as they do.
     * `config` is the current one (swapped on SIGHUP); policy, mapping and
     * limits are read from it at each use. */
    GwConfig *boot_config;
    GwConfig *config;
    MapTable *map;

    GwXmppLink *xmpp;
    GwSipUa *sip;
    GwMsgBridge *msg;
    GwPresBridge *pres;
    GwCallBridge *calls;
    GwCaps *caps; /* XMPP users' clients' features (NULL: not tracked) */
    GwRateLimiter *xmpp_rate;
    GwRateLimiter *sip_rate;

    char *caps_ver; /* XEP-0115 verification string of SIP contacts */
    guint8 auth_secret[32]; /* for digest nonces; random per process */

    GMainLoop *loop;
    gboolean stopping;
    guint pending_stops;
} GwGateway;

/* router.c: events from the links to the bridges */
void gw_router_xmpp_stanza(xmpp_stanza_t *stanza, gpointer gateway);
void gw_router_xmpp_state(gboolean up, gpointer gateway);
void gw_router_sip_request(GwSipRequest *req, const GwSipIncoming *in,
                           gpointer gateway);

/* XEP-0115 node of the component's contacts. */
#define GW_CAPS_NODE "https://xmpp-sip-gateway.invalid/caps"

/* Computes gw->caps_ver from what disco#info answers for contacts. */
void gw_router_init_caps(GwGateway *gw);

/* Sends a stanza built as text; logs and drops it if the link is down
 * (for stanzas nobody waits on: errors, receipts, iq results). */
void gw_gateway_send_text(GwGateway *gw, GString *xml);

G_END_DECLS
