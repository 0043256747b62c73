/* gateway/bridge/presence_bridge.c: presence both ways; the entry points.
 *
 *   A. SIP watcher -> XMPP user (sip:1001@pbx watches alice@example.com):
 *      SUBSCRIBE/NOTIFY with PIDF, authorized through her own approval of
 *      the watcher's JID (presence_watchers.c: the watch state machine,
 *      the NOTIFY queue, expiry)
 *   B. XMPP user -> SIP contact (alice watches 1001@comp): one shared SIP
 *      subscription per contact, and PUBLISH (presence_contacts.c)
 *   C. her resources, their aggregate, directed presence, the refresh
 *      after link up: the directory (xmpp_directory.c), which calls read
 *      too
 *   D. her answers to our requests and the state file (presence_state.c)
 *
 * presence_private.h maps the files. This one takes the router's events
 * (presence stanzas, SUBSCRIBEs, link up, shutdown), sends every presence
 * stanza, and handles her answers to our subscription requests, which
 * touch all four.
 *
 *   <presence/> available, unavailable --> C (broadcast or directed: D
 *                                          says which) --> her aggregate
 *                                          --> A (NOTIFYs), B (PUBLISH, are
 *                                          her contacts' watchers online?)
 *   <presence type=subscribe|unsubscribe|probe> ----------> B
 *   <presence type=subscribed|unsubscribed> --> D, then A, C, B
 *   SUBSCRIBE ---------------------------------------------> A
 */
#define G_LOG_DOMAIN "gw-pres"

#include "metrics.h"
#include "presence_private.h"

#include <string.h>

#include "pool.h"
#include "stanza.h"

/* ---- what every part uses ---------------------------------------------- */

void
gw_pres_send_presence(GwPresBridge *b, const char *from, const char *to,
                      const char *type, const GwPresence *p)
{
    GString *x;

    gw_metrics.presence_to_xmpp++;
    if (type == NULL && (p == NULL || p->show == GW_SHOW_OFFLINE))
        type = "unavailable";
    if (type == NULL) {
        x = gw_stanza_begin("presence", NULL, from, to, NULL);
        /* XEP-0115: clients learn from caps that the contact takes calls
         * (Conversations shows no call button without them) */
        g_string_append(x, "<c xmlns='http://jabber.org/protocol/caps' "
                           "hash='sha-1' node='" GW_CAPS_NODE "'");
        gw_xml_append_attr(x, "ver", b->caps_ver);
        g_string_append(x, "/>");
        if (p->show != GW_SHOW_ONLINE)
            g_string_append_printf(x, "<show>%s</show>",
                                   gw_show_to_string(p->show));
        if (p->status != NULL) {
            g_string_append(x, "<status");
            gw_xml_append_attr(x, "xml:lang", p->status_lang);
            g_string_append_c(x, '>');
            gw_xml_append_escaped(x, p->status);
            g_string_append(x, "</status>");
        }
        gw_stanza_end(x, "presence");
    } else if (strcmp(type, "unavailable") == 0 && p != NULL &&
               p->status != NULL) {
        x = gw_stanza_begin("presence", type, from, to, NULL);
        g_string_append(x, "<status>");
        gw_xml_append_escaped(x, p->status);
        g_string_append(x, "</status>");
        gw_stanza_end(x, "presence");
    } else {
        x = gw_stanza_empty("presence", type, from, to, NULL);
    }
    gw_xmpp_link_send_text(b->env->xmpp, x);
}

char *
gw_pres_pidf_for(const char *entity, const GwPresence *p)
{
    GwPidfParams params = { entity, "t1", "p1", NULL };
    return gw_pidf_build(p, &params);
}

/* Asks her to let contact see her presence, only while we hold no answer
 * of hers: a request of ours that is pending, or that she answered, is
 * never sent again (her client may prompt her each time; Prosody
 * forwards a new request once she refused the last). */
void
gw_pres_ask_authorization(GwPresBridge *b, const char *contact,
                          const char *user)
{
    if (gw_pres_auth_get(b, contact, user) != GW_PRES_AUTH_UNKNOWN)
        return;
    gw_pres_auth_set(b, contact, user, GW_PRES_AUTH_PENDING);
    gw_pres_send_presence(b, contact, user, "subscribe", NULL);
}

/* ---- her answers to our requests --------------------------------------- */

/* She has just revoked contact's subscription: does her broadcast
 * presence still reach us through another component JID? Her server
 * follows the revocation with an unavailable from each of her resources to
 * contact, directed now; if contact was the last JID she approved, nothing
 * will ever tell us her resources left. */
static gboolean
still_broadcast(GwPresBridge *b, const char *user, const char *contact)
{
    const char *via = gw_xmpp_directory_peek_via(b->dir, user);

    if (via != NULL && strcmp(via, contact) != 0 &&
        gw_pres_auth_is_broadcast(b, via, user))
        return TRUE;
    return gw_pres_auth_granted_elsewhere(b, user, contact);
}

/* user answered contact's subscription request. */
static void
authorization_answer(GwPresBridge *b, const char *contact, const char *user,
                     gboolean granted)
{
    gboolean revoked = !granted && gw_pres_auth_get(b, contact, user) ==
                                       GW_PRES_AUTH_GRANTED;
    GwPresUser *u;

    gw_pres_auth_set(b, contact, user,
                     granted ? GW_PRES_AUTH_GRANTED : GW_PRES_AUTH_REFUSED);
    if (!gw_xmpp_directory_knows(b->dir, user)) {
        if (granted)
            gw_pres_send_presence(b, contact, user, "probe", NULL);
        return;
    }
    if (granted)
        gw_pres_user_probe(b, user, contact);
    u = gw_pres_user_get(b, user, FALSE);
    if (u != NULL)
        gw_pres_watches_answer(u, contact, granted);
    if (revoked && gw_xmpp_directory_is_online(b->dir, user) &&
        !still_broadcast(b, user, contact)) {
        g_info("%s revoked %s, the last JID her presence came to: her "
               "resources are no longer known", user, contact);
        gw_xmpp_directory_forget(b->dir, user);
    }
    if (granted) {
        if (u != NULL)
            gw_pres_user_flush(u);
        gw_pres_contact_authorized(b, contact, user);
    }
}

/* ---- the router's events ----------------------------------------------- */

/* The directory worked out her aggregate (GwXmppUserFunc). */
static void
on_user_updated(const char *bare, gboolean changed, gboolean was_online,
                gpointer data)
{
    GwPresBridge *b = data;
    GwPresUser *u = gw_pres_user_get(b, bare, FALSE);
    const GwPresence *agg;

    if (u != NULL)
        g_clear_handle_id(&u->probe_id, g_source_remove); /* answered */
    if (!changed) {
        if (u != NULL)
            gw_pres_user_flush(u);
        return;
    }
    if (u != NULL)
        gw_pres_user_changed(u);
    gw_pres_user_publish(b, bare);
    agg = gw_xmpp_directory_peek_aggregate(b->dir, bare);
    if (was_online != (agg->show != GW_SHOW_OFFLINE))
        gw_pres_contacts_watcher_state(b, bare);
}

void
gw_pres_bridge_from_xmpp(GwPresBridge *b, xmpp_stanza_t *p)
{
    const char *type = xmpp_stanza_get_type(p);
    const char *from = xmpp_stanza_get_from(p);
    const char *to = xmpp_stanza_get_to(p);
    g_autofree char *from_bare = NULL, *to_bare = NULL;

    if (from == NULL || to == NULL)
        return;
    from_bare = map_jid_bare(from, NULL);
    to_bare = map_jid_bare(to, NULL);
    if (from_bare == NULL || to_bare == NULL)
        return;

    if (type == NULL || strcmp(type, "unavailable") == 0) {
        /* presence of an XMPP user, sent to a component contact that she
         * approved, or directed to it (xmpp_directory.c, "directed
         * presence") */
        if (b->stopping)
            return;
        if (gw_pres_auth_is_broadcast(b, to_bare, from_bare))
            gw_xmpp_directory_broadcast(b->dir, from, from_bare, to, p,
                                        type == NULL);
        else
            gw_xmpp_directory_directed(b->dir, from, from_bare, to, p,
                                       type == NULL);
    } else if (strcmp(type, "subscribe") == 0) {
        gw_pres_contact_subscribe(b, to_bare, from_bare);
    } else if (strcmp(type, "unsubscribe") == 0) {
        gw_pres_contact_unsubscribe(b, to_bare, from_bare);
    } else if (strcmp(type, "subscribed") == 0) {
        authorization_answer(b, to_bare, from_bare, TRUE);
    } else if (strcmp(type, "unsubscribed") == 0) {
        authorization_answer(b, to_bare, from_bare, FALSE);
    } else if (strcmp(type, "probe") == 0) {
        gw_pres_contact_probe(b, to_bare, from_bare);
    } else if (strcmp(type, "error") == 0) {
        g_info("presence error from %s to %s", from, to);
        if (gw_pres_auth_get(b, to_bare, from_bare) == GW_PRES_AUTH_PENDING)
            gw_pres_auth_set(b, to_bare, from_bare, GW_PRES_AUTH_UNKNOWN);
    }
}

/* Her account came, changed or went (main.c wires the accounts' port to
 * this): her subscriptions to SIP contacts and her publication move to
 * the address she now is, at once. */
void
gw_pres_bridge_account_changed(GwPresBridge *b, const char *bare)
{
    g_autofree char *canon = map_jid_bare(bare, NULL);

    if (canon == NULL || b->stopping)
        return;
    g_info("account of %s changed: her subscriptions and publication follow",
           canon);
    gw_pres_contacts_account_changed(b, canon);
    gw_pres_user_publish_moved(b, canon);
}

/* ---- SUBSCRIBE: admission (the watch itself: presence_watchers.c) ------ */

static void
sip_refuse(GwSipRequest *req, const GwSipIncoming *in, int status,
           const char *phrase, const char *why)
{
    g_info("SUBSCRIBE from %s (%s) to %s refused: %d %s: %s", in->from_uri,
           in->source, in->request_uri, status, phrase, why);
    gw_sip_request_respond_subscribe(req, status, phrase, 0);
}

static gboolean
accepts_pidf(const char *accept)
{
    g_auto(GStrv) parts = NULL;

    if (accept == NULL)
        return TRUE; /* RFC 3856 6.7: absent means application/pidf+xml */
    parts = g_strsplit(accept, ",", -1);
    for (guint i = 0; parts[i] != NULL; i++) {
        g_autofree char *t = g_ascii_strdown(g_strstrip(parts[i]), -1);
        char *semi = strchr(t, ';');
        if (semi != NULL)
            *semi = '\0';
        g_strstrip(t);
        if (strcmp(t, GW_PRES_CT_PIDF) == 0 || strcmp(t, "*/*") == 0 ||
            strcmp(t, "application/*") == 0)
            return TRUE;
    }
    return FALSE;
}

/* The watched XMPP user: Request-URI, or To when a proxy has rewritten
 * the Request-URI to our contact address. */
static MapResult *
map_presentity(GwPresBridge *b, const GwSipIncoming *in)
{
    MapResult *t = gw_env_lookup_target_sip(b->env, in->request_uri, NULL);

    if (t == NULL || t->kind != MAP_KIND_XMPP_USER) {
        g_clear_pointer(&t, map_result_free);
        t = gw_env_lookup_target_sip(b->env, in->to_uri, NULL);
    }
    if (t != NULL && t->kind != MAP_KIND_XMPP_USER)
        g_clear_pointer(&t, map_result_free);
    return t;
}

void
gw_pres_bridge_from_sip(GwPresBridge *b, GwSipRequest *req,
                        const GwSipIncoming *in)
{
    const GwConfig *cfg = b->env->config;
    g_autoptr(MapResult) watcher = NULL, target = NULL;
    g_autoptr(GError) error = NULL;
    guint expires;

    if (in->dialog_data != NULL) {
        gw_pres_watch_refresh(in->dialog_data, req, in);
        return;
    }
    if (!cfg->presence.enabled || b->stopping) {
        sip_refuse(req, in, b->stopping ? 503 : 489,
                   b->stopping ? "Gateway Shutting Down" : "Bad Event",
                   "presence is not bridged");
        return;
    }
    if (b->env->draining) {
        /* a refresh above still works: only new watchers are refused */
        sip_refuse(req, in, 503, "Service Unavailable", "draining");
        return;
    }
    if (in->event == NULL || g_ascii_strcasecmp(in->event, "presence") != 0) {
        sip_refuse(req, in, 489, "Bad Event", "only Event: presence");
        return;
    }
    if (!accepts_pidf(in->accept)) {
        sip_refuse(req, in, 406, "Not Acceptable",
                   "watcher does not accept application/pidf+xml");
        return;
    }
    expires = in->expires < 0 ? cfg->presence.max_expires
                              : (guint)in->expires;
    if (expires > 0 && expires < cfg->presence.min_expires) {
        gw_sip_request_respond_subscribe(req, 423, "Interval Too Brief",
                                         cfg->presence.min_expires);
        return;
    }
    expires = MIN(expires, cfg->presence.max_expires);
    target = map_presentity(b, in);
    watcher = gw_env_lookup_peer_sip(b->env, target ? target->jid : NULL,
                                     in->from_uri, &error);
    if (watcher == NULL || watcher->kind == MAP_KIND_XMPP_USER) {
        sip_refuse(req, in, 403, "Forbidden",
                   watcher ? "watcher claims an XMPP user's identity"
                           : error->message);
        return;
    }
    if (target == NULL) {
        sip_refuse(req, in, 404, "Not Found", "not an XMPP user");
        return;
    }
    if (b->n_watches >= cfg->presence.max_sip_watchers) {
        g_warning("SIP watcher table full (%u); refusing %s",
                  b->n_watches, in->from_uri);
        gw_sip_request_respond(req, 503, "Too Many Subscriptions", 60, NULL);
        return;
    }
    gw_pres_watch_start(gw_pres_user_get(b, target->jid, TRUE), req, in,
                        watcher->jid, target->sip_uri, expires);
}

/* ---- link up ----------------------------------------------------------- */

/* The component JID that probes her at link up: a SIP watcher she
 * approved; else NULL when B probes her already (she watches SIP
 * contacts); else one she granted a subscription to in our sight; else
 * the one her presence came to (she approved it before this process
 * started, most likely: the server broadcasts to subscribers), unless we
 * asked her for approval from it and have no answer or a refusal. */
static const char *
probe_source(GwPresBridge *b, const char *bare, GHashTable *granted,
             gboolean *by_b)
{
    GwPresUser *u = gw_pres_user_get(b, bare, FALSE);
    const char *from = u != NULL ? gw_pres_user_peek_authorized(u) : NULL;
    const char *via;
    GwPresAuth via_auth;

    if (from != NULL)
        return from;
    *by_b = g_hash_table_contains(b->watching, bare);
    if (*by_b)
        return NULL;
    via = gw_xmpp_directory_peek_via(b->dir, bare);
    if ((from = g_hash_table_lookup(granted, bare)) != NULL || via == NULL)
        return from;
    via_auth = gw_pres_auth_get(b, via, bare);
    return via_auth == GW_PRES_AUTH_GRANTED ||
                   via_auth == GW_PRES_AUTH_UNKNOWN
               ? via
               : NULL;
}

typedef struct {
    GwPresBridge *b;
    GHashTable *granted; /* from gw_pres_auth_granted_contacts() */
} ProbeRound;

/* GwXmppProbeFunc */
static gboolean
probe_user(const char *bare, gpointer data)
{
    ProbeRound *round = data;
    gboolean by_b = FALSE;
    const char *from = probe_source(round->b, bare, round->granted, &by_b);

    if (from != NULL)
        gw_pres_send_presence(round->b, from, bare, "probe", NULL);
    return from != NULL || by_b;
}

/* Probes everyone whose presence we need or hold, and starts the refresh
 * (xmpp_directory.c). A probe from a component JID she has not approved
 * gets "unsubscribed" (RFC 6121 4.3.2; Prosody does so), which reads as a
 * refusal here and would end a pending SIP watch from that JID: so
 * probe_source() never picks one with our own request pending or
 * refused. A user with resources but no JID to probe from (her presence
 * came to such a JID, e.g. as directed presence) cannot be refreshed: her
 * resources are dropped at the grace's end unless she sends presence
 * again, since a call to a dead full JID is worse than one that waits for
 * her next presence, and no active SIP watch of hers exists to mislead. */
void
gw_pres_bridge_link_up(GwPresBridge *b)
{
    g_autoptr(GHashTable) granted = gw_pres_auth_granted_contacts(b);
    ProbeRound round = { b, granted };

    gw_pres_contacts_link_up(b); /* B: are the watchers online? */
    /* A: fresh state of watched users, and of every user we hold
     * resources of */
    gw_xmpp_directory_link_up(b->dir, probe_user, &round);
}

/* ---- life cycle -------------------------------------------------------- */

void
gw_pres_bridge_shutdown(GwPresBridge *b)
{
    GHashTableIter it;
    gpointer v;

    b->stopping = TRUE;
    gw_xmpp_directory_stop(b->dir);
    g_hash_table_iter_init(&it, b->users);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        GwPresUser *u = v;
        gw_pres_watches_end_all(u, "probation", 30);
        if (u->pub != NULL) {
            gw_sip_publication_remove(u->pub);
            u->pub = NULL;
        }
    }
    gw_pres_contacts_shutdown(b);
    gw_pres_state_flush(b);
}

GwPresBridge *
gw_pres_bridge_new(const GwBridgeEnv *env, GwCaps *caps,
                   const char *caps_ver)
{
    GwPresBridge *b = g_new0(GwPresBridge, 1);

    b->env = env;
    b->caps_ver = caps_ver;
    b->dir = gw_xmpp_directory_new(env, caps, on_user_updated, b);
    b->users = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                     gw_pres_user_free);
    b->contacts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        gw_pres_contact_free);
    b->auth = g_hash_table_new_full(g_str_hash, g_str_equal,
                                    (GDestroyNotify)gw_pool_free_str, NULL);
    b->watching = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_hash_table_unref);
    b->expiries = g_sequence_new(NULL);
    g_queue_init(&b->notify_queue);
    gw_pres_state_load(b);
    return b;
}

void
gw_pres_bridge_free(GwPresBridge *b)
{
    GHashTableIter it;
    gpointer v;

    if (b == NULL)
        return;
    g_clear_handle_id(&b->save_id, g_source_remove);
    /* watches left (stop without shutdown): drop them quietly */
    g_hash_table_iter_init(&it, b->users);
    while (g_hash_table_iter_next(&it, NULL, &v))
        gw_pres_watches_end_all(v, NULL, 0);
    g_hash_table_unref(b->contacts);
    g_hash_table_unref(b->users);
    g_hash_table_unref(b->auth);
    g_hash_table_unref(b->watching); /* after the contacts that use it */
    g_clear_handle_id(&b->expiry_id, g_source_remove);
    g_sequence_free(b->expiries);
    g_assert(g_queue_is_empty(&b->notify_queue));
    g_clear_handle_id(&b->notify_id, g_source_remove);
    g_clear_handle_id(&b->guard_id, g_source_remove);
    gw_xmpp_directory_free(b->dir);
    g_free(b);
}

GwXmppDirectory *
gw_pres_bridge_get_directory(GwPresBridge *b)
{
    g_return_val_if_fail(b != NULL, NULL);
    return b->dir;
}

GPtrArray *
gw_pres_bridge_get_resources(GwPresBridge *b, const char *bare)
{
    return gw_xmpp_directory_get_resources(b->dir, bare);
}

/* Her broadcast presence reaches us while she has approved one of our
 * JIDs (RFC 6121 4.4.2: her server sends each change of every resource,
 * and an unavailable when the last one leaves); it is current once a
 * presence of hers came since the link came up (a probe's answer: her
 * server answers one for a user without resources with an unavailable,
 * RFC 6121 4.3.2) and no probe or refresh awaits answers. Anything less
 * and an empty directory only means that we do not know. */
gboolean
gw_pres_bridge_presence_known(GwPresBridge *b, const char *bare)
{
    GwPresUser *u = gw_pres_user_get(b, bare, FALSE);

    if (b->stopping || !gw_xmpp_link_is_up(b->env->xmpp))
        return FALSE;
    if (!gw_pres_auth_granted_elsewhere(b, bare, "")) /* "": any JID */
        return FALSE;
    if (u != NULL && u->probe_id != 0)
        return FALSE;
    return gw_xmpp_directory_is_current(b->dir, bare);
}

void
gw_pres_bridge_get_stats(const GwPresBridge *b, GwPresStats *stats)
{
    GHashTableIter it;
    gpointer v;

    *stats = b->stats;
    stats->sip_watchers = b->n_watches;
    stats->xmpp_users = gw_xmpp_directory_get_n_users(b->dir);
    stats->contacts = g_hash_table_size(b->contacts);
    stats->sip_subscriptions = 0;
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const GwPresContact *c = v;
        stats->sip_subscriptions += (c->dlg != NULL) +
                                    (c->own != NULL ? g_hash_table_size(c->own)
                                                    : 0);
    }
}

GPtrArray *
gw_pres_bridge_list(GwPresBridge *b)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, b->users);
    while (g_hash_table_iter_next(&it, &k, &v))
        gw_pres_watches_describe(v, out);
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const GwPresContact *c = v;
        g_autoptr(GPtrArray) who = g_ptr_array_new();
        GHashTableIter w;
        gpointer bare;
        g_autofree char *list = NULL;

        g_hash_table_iter_init(&w, c->watchers);
        while (g_hash_table_iter_next(&w, &bare, NULL))
            g_ptr_array_add(who, bare);
        g_ptr_array_add(who, NULL);
        list = g_strjoinv(", ", (char **)who->pdata);
        g_ptr_array_add(out, g_strdup_printf(
            "SIP contact %s watched by %s: SIP subscription %s", c->sip_uri, list,
            c->dlg != NULL ? "held" : c->retry_id != 0 ? "retrying" : "none"));
    }
    return out;
}
