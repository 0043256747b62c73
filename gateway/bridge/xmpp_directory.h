/* gateway/bridge/xmpp_directory.h: the directory of XMPP users' resources.
 *
 * What the gateway knows of each XMPP user's clients, learnt from the
 * presence she sends to component JIDs: her broadcast resources and
 * their aggregate (what SIP watchers see), the clients known only through
 * directed presence, and the refresh of all of it after the XMPP link
 * comes back. The presence bridge owns it and feeds it (it alone knows
 * which presence is broadcast: that takes her authorizations); the call
 * bridge reads it through its GwResourcesFunc port (gateway.h), wired by
 * main.c to gw_xmpp_directory_get_resources().
 *
 *   presence in --> gw_xmpp_directory_broadcast() / _directed()
 *                     |  her resources, her aggregate
 *                     v
 *                   GwXmppUserFunc (her aggregate settled: changed?)
 *   calls       <-- gw_xmpp_directory_get_resources()
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "caps.h"
#include "gateway.h"
#include "pidf.h"

G_BEGIN_DECLS

typedef struct GwXmppDirectory GwXmppDirectory;

/* An available resource of an XMPP user, as the gateway last saw it. */
typedef struct {
    char *full;
    int priority;
    guint64 seq;           /* update order: higher is more recent */
    GwCapsState caps;      /* what gateway/caps.c knows of it */
    GHashTable *features;  /* (ref) feature vars when caps is KNOWN, or NULL */
    gboolean unconfirmed;  /* from before a link outage, not yet confirmed
                            * by a presence (see gw_xmpp_directory_link_up) */
} GwPresResource;

void gw_pres_resource_free(GwPresResource *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwPresResource, gw_pres_resource_free)

/* Her aggregate was worked out anew after a presence of hers, or at the end
 * of her refresh after link up: `changed` when it differs from the one
 * before, `was_online` whether that one was available. Not called while
 * her refresh waits for her resources to answer. */
typedef void (*GwXmppUserFunc)(const char *bare, gboolean changed,
                               gboolean was_online, gpointer user_data);

/* At link up, for each user the directory knows: probe her if you can;
 * TRUE when a probe of hers is on its way (else her resources go at the
 * grace's end unless she sends presence). */
typedef gboolean (*GwXmppProbeFunc)(const char *bare, gpointer user_data);

/* env (its xmpp link: is it up?) and caps (her clients' features, NULL:
 * not tracked) borrowed for the directory's life. */
GwXmppDirectory *gw_xmpp_directory_new(const GwBridgeEnv *env, GwCaps *caps,
                                       GwXmppUserFunc updated,
                                       gpointer user_data);
void gw_xmpp_directory_free(GwXmppDirectory *dir);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwXmppDirectory, gw_xmpp_directory_free)

/* Keeps an entry for bare even while nothing of hers is known (a SIP
 * watcher watches her): link up then asks the GwXmppProbeFunc about her. */
void gw_xmpp_directory_track(GwXmppDirectory *dir, const char *bare);
gboolean gw_xmpp_directory_knows(GwXmppDirectory *dir, const char *bare);
guint gw_xmpp_directory_get_n_users(GwXmppDirectory *dir);

/* Her broadcast presence (RFC 6121 4.4.2) from `full`, addressed to the
 * component JID `to`: available (type absent) or unavailable. bare is
 * full's bare JID. */
void gw_xmpp_directory_broadcast(GwXmppDirectory *dir, const char *full,
                                 const char *bare, const char *to,
                                 xmpp_stanza_t *presence, gboolean available);
/* Presence of hers directed at `to` alone (RFC 6121 4.6): her aggregate
 * does not move, but an available client is one of hers. */
void gw_xmpp_directory_directed(GwXmppDirectory *dir, const char *full,
                                const char *bare, const char *to,
                                xmpp_stanza_t *presence, gboolean available);
/* Her broadcast presence no longer reaches us (she revoked the last JID
 * it came to): her resources are forgotten, her aggregate is offline. */
void gw_xmpp_directory_forget(GwXmppDirectory *dir, const char *bare);

/* Her aggregate: the available resource with the highest priority, among
 * equals the most recent; offline when none or unknown. Never NULL;
 * borrowed until her next change. */
const GwPresence *gw_xmpp_directory_peek_aggregate(GwXmppDirectory *dir,
                                                   const char *bare);
/* Has she a broadcast resource? */
gboolean gw_xmpp_directory_is_online(GwXmppDirectory *dir, const char *bare);
/* Do her resources from before a link outage await confirmation (her
 * aggregate stays as it was meanwhile)? */
gboolean gw_xmpp_directory_is_refreshing(GwXmppDirectory *dir,
                                         const char *bare);
/* Has her broadcast presence (available or unavailable) come since the
 * XMPP link last came up, with no refresh pending? Then her resources are
 * what her server says now, not a guess from before an outage or from
 * before a revocation (gw_xmpp_directory_forget() clears it). Whether her
 * presence keeps coming takes her authorization: the presence bridge
 * knows that (gw_pres_bridge_presence_known()). */
gboolean gw_xmpp_directory_is_current(GwXmppDirectory *dir, const char *bare);
/* The component JID her last available broadcast presence came to, or
 * NULL (borrowed). */
const char *gw_xmpp_directory_peek_via(GwXmppDirectory *dir,
                                       const char *bare);

/* The XMPP link came up: gen++, each user with resources refreshes
 * (her aggregate waits until each resource is confirmed by a presence, or
 * a grace period of a few seconds ends and the unconfirmed ones are
 * dropped); `probe` is asked about every user the directory knows. */
void gw_xmpp_directory_link_up(GwXmppDirectory *dir, GwXmppProbeFunc probe,
                               gpointer user_data);
/* The gateway stops: no refresh ends any more. */
void gw_xmpp_directory_stop(GwXmppDirectory *dir);

/* The available resources of `bare` with a priority >= 0 (RFC 6121
 * 8.5.2.1.1), best first: highest priority, then the most recent
 * presence; those known only through directed presence included. Empty
 * when the gateway has no presence of hers (she has no component contact
 * and sent none directed, or is offline). Just after the XMPP link came
 * back, until the grace period of gw_xmpp_directory_link_up() ends, this
 * may still list resources that left during the outage (the best guess
 * until the probe answers are in): those are flagged unconfirmed.
 * (transfer full) GwPresResource* */
GPtrArray *gw_xmpp_directory_get_resources(GwXmppDirectory *dir,
                                           const char *bare);

G_END_DECLS
