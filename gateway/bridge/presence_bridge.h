/* gateway/bridge/presence_bridge.h: presence both ways.
 *   A. SIP watchers of XMPP users: SUBSCRIBE/NOTIFY with PIDF, authorized
 *      through the XMPP user's own subscription approval;
 *   B. XMPP users watching SIP contacts: one SIP subscription per watched
 *      address, shared by all its XMPP watchers; optional PUBLISH.
 * It feeds the directory of XMPP users' resources (xmpp_directory.h),
 * which the call bridge reads. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "gateway.h"
#include "xmpp_directory.h"

G_BEGIN_DECLS

typedef struct GwPresBridge GwPresBridge;

/* env: borrowed for the bridge's life; caps: the clients' features cache
 * (NULL: not tracked); caps_ver: the XEP-0115 verification string of SIP
 * contacts (borrowed). */
GwPresBridge *gw_pres_bridge_new(const GwBridgeEnv *env, GwCaps *caps,
                                 const char *caps_ver);
void gw_pres_bridge_free(GwPresBridge *bridge);

/* A <presence> addressed to a component JID. Available/unavailable
 * presence to a JID whose subscription request she has not approved
 * (pending or refused) is directed at that contact alone: it never
 * changes what her other watchers see. */
void gw_pres_bridge_from_xmpp(GwPresBridge *bridge, xmpp_stanza_t *stanza);

/* A SUBSCRIBE from a trusted source; answers req exactly once. */
void gw_pres_bridge_from_sip(GwPresBridge *bridge, GwSipRequest *req,
                             const GwSipIncoming *in);

/* The XMPP link came up: re-learn what a restart or outage lost. Probes
 * the users we track; the resources from before that no presence confirms
 * within a grace period (a few seconds) are dropped as gone during the
 * outage (gw_xmpp_directory_link_up()), then SIP watchers are told the
 * result. */
void gw_pres_bridge_link_up(GwPresBridge *bridge);

/* Her per-user SIP account (issue 17) was made, replaced or removed (the
 * accounts' GwAccountChangedFunc, wired in main.c): her own SUBSCRIBEs
 * From her AOR replace her place in the shared ones, or the reverse, and
 * her publication moves to her new address, at once. */
void gw_pres_bridge_account_changed(GwPresBridge *bridge, const char *bare);

/* Ends every subscription properly on both sides (gateway stopping). */
void gw_pres_bridge_shutdown(GwPresBridge *bridge);

/* The directory of her resources (C), which the presence bridge feeds:
 * for the call bridge's GwResourcesFunc port. Borrowed for the bridge's
 * life. */
GwXmppDirectory *gw_pres_bridge_get_directory(GwPresBridge *bridge);

/* The same as gw_xmpp_directory_get_resources() on the bridge's directory
 * (kept while callers move to the directory). (transfer full)
 * GwPresResource* */
GPtrArray *gw_pres_bridge_get_resources(GwPresBridge *bridge,
                                        const char *bare);

/* Does the gateway know her available resources for sure, so that none
 * means she has no client online: she approved a component JID (her
 * broadcast presence comes to us) and her presence came since the XMPP
 * link came up, with no probe or refresh pending. FALSE when it may just
 * not know (then ask her server: send to her bare JID). */
gboolean gw_pres_bridge_presence_known(GwPresBridge *bridge,
                                       const char *bare);

typedef struct {
    guint sip_watchers;  /* A: SIP subscriptions we serve */
    guint xmpp_users;    /* users whose presence we track */
    guint contacts;      /* B: SIP addresses with XMPP watchers */
    guint sip_subscriptions; /* B: SIP subscriptions we hold */
    guint64 notifies_sent;
} GwPresStats;
void gw_pres_bridge_get_stats(const GwPresBridge *bridge, GwPresStats *stats);

/* For operators: one line per SIP watch of an XMPP user and per watched
 * SIP contact (transfer full, of char*). */
GPtrArray *gw_pres_bridge_list(GwPresBridge *bridge);

G_END_DECLS
