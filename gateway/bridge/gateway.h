/* gateway/bridge/gateway.h: the daemon's shared context, and what a
 * bridge may use of it.
 *
 * main.c owns one GwGateway. A bridge gets a GwBridgeEnv (the current
 * configuration and address table, the two links) and the ports it needs
 * (a rate limiter, the caps cache, the directory of XMPP resources), never
 * the whole context: it reaches the network through the links alone and
 * never calls back into the router or another bridge. */
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
typedef struct GwAdmin GwAdmin;
typedef struct GwAccounts GwAccounts;

/* A port to per-user SIP accounts (accounts.c, issue 17): traffic
 * follows the account. Each returns (transfer full) an XMPP_USER result
 * (rule "account") or NULL when no account answers; NULL functions (or
 * accounts disabled) mean none ever does.
 *   jid: her JID (bare or full) -> her AOR, the identity she sends as;
 *   sip: a Request-URI or To -> her bare JID, when it is the Contact the
 *        gateway registered for her (acc-TOKEN user part) or her AOR;
 *   domain: her JID -> her AOR's domain (transfer full) when she is on a
 *        registrar of her own ([accounts] allow_custom_registrar), else
 *        NULL: the component's extensions and numbers are her PBX's. */
typedef struct {
    MapResult *(*jid)(gpointer data, const char *jid);
    MapResult *(*sip)(gpointer data, const char *uri);
    char *(*domain)(gpointer data, const char *jid);
    gpointer data;
} GwAccountsPort;

/* What every bridge reads. config and map are the current ones (SIGHUP
 * swaps both): read them at each use, keep no pointer into them. */
typedef struct {
    GwConfig *config;
    MapTable *map;
    GwXmppLink *xmpp;
    GwSipUa *sip;
    GwAccountsPort accounts; /* all NULL: no accounts */
    gboolean stopping; /* new work is refused */
    gboolean draining; /* new calls and SIP watchers are refused (admin) */
} GwBridgeEnv;

/* An XMPP user (the sender of a message, the caller, ...) as SIP knows
 * her: her account's AOR when she has one, else the address table.
 * (transfer full) or NULL and a MAP_ERROR as map_table_lookup_jid(). */
MapResult *gw_env_lookup_user_jid(const GwBridgeEnv *env, const char *jid,
                                  GError **error);
/* The target of an incoming request (Request-URI or To): the account
 * whose Contact or AOR it is, else the address table. */
MapResult *gw_env_lookup_target_sip(const GwBridgeEnv *env, const char *uri,
                                    GError **error);
/* The SIP URI of the other party of a request `sender_jid` sends, from the
 * table's `uri` (transfer full): for an account on a registrar of her own
 * an extension or number on [mapping] sip_domain or trunk_domain is on
 * her domain (sip:1002@pbx.example.com -> sip:1002@pbx2.example.com);
 * else `uri` as it is. */
char *gw_env_peer_uri(const GwBridgeEnv *env, const char *sender_jid,
                      const char *uri);
/* The other party of a request from SIP for `target_jid` (its From), in
 * the table; for an account on a registrar of her own a From on her
 * domain is read as on [mapping] sip_domain, the reverse of
 * gw_env_peer_uri(). target_jid may be NULL. */
MapResult *gw_env_lookup_peer_sip(const GwBridgeEnv *env,
                                  const char *target_jid, const char *uri,
                                  GError **error);

/* A port to the directory of XMPP users' available resources, as presence
 * shows them: best first, (transfer full) array of GwPresResource*
 * (xmpp_directory.h). *known (not NULL) says whether the list is
 * authoritative (gw_pres_bridge_presence_known()): TRUE, an empty list
 * means she has no client online; FALSE, the gateway may just not know. */
typedef GPtrArray *(*GwResourcesFunc)(gpointer data, const char *bare,
                                      gboolean *known);

typedef struct {
    GwBridgeEnv env;
    /* The configuration the process started with: the links are built
     * from it and keep pointers into it, so it lives as long as they do. */
    GwConfig *boot_config;

    GwMsgBridge *msg;
    GwPresBridge *pres;
    GwCallBridge *calls;
    GwAdmin *admin; /* XEP-0050 commands for [admin] jids */
    GwAccounts *accounts; /* per-user SIP accounts, or NULL (disabled) */
    GwCaps *caps; /* XMPP users' clients' features (NULL: not tracked) */
    GwRateLimiter *xmpp_rate;
    GwRateLimiter *sip_rate;

    char *caps_ver; /* XEP-0115 verification string of SIP contacts */
    guint8 auth_secret[32]; /* for digest nonces; random per process */

    GMainLoop *loop;
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

G_END_DECLS
