/* gateway/bridge/xmpp_directory.c: the directory of XMPP users' resources
 * (xmpp_directory.h): her clients as her presence shows them, their
 * aggregate, directed presence, and the refresh after link up.
 *
 * Aggregation (RFC 6121 4.4.2 leaves it to us): the available resource
 * with the highest priority wins; among equals, the most recent. Only her
 * broadcast presence counts: what she (or her server, acknowledging our
 * request) addresses to a component JID she has not approved is directed
 * at that one contact (see "directed presence"); the presence bridge,
 * which holds her authorizations, says which is which.
 *
 * Link outages: a resource that leaves while the component link is down
 * never tells us (the server bounces its unavailable), and a probe is
 * answered only by the resources still available (RFC 6121 4.3.2). So
 * link up starts a refresh (see "the refresh after link up"): the table
 * from before the outage stays the best guess, each resource must be
 * confirmed by a presence within REFRESH_GRACE_MS, the rest are dropped
 * and the owner hears of her aggregate once, with the result.
 *
 * Entries are never removed while the directory lives: an XMPP user seen
 * once, or tracked for a SIP watcher, keeps her (maybe empty) entry.
 */
#define G_LOG_DOMAIN "gw-pres"

#include "xmpp_directory.h"

#include <string.h>

#include "stanza.h"

typedef struct {
    int priority;
    GwPresence *pres;
    guint64 seq; /* update order, for ties */
    guint gen;   /* the directory's gen when last confirmed by a presence */
} Resource;

typedef struct {
    char *bare;
    GHashTable *resources; /* full JID -> Resource*: broadcast presence */
    GHashTable *directed;  /* full JID -> Resource*: known only through
                            * directed presence, not in agg; NULL while
                            * none (see "directed presence") */
    GwPresence *agg;       /* never NULL: offline when no resource */
    gboolean refreshing;   /* resources from before a link outage await
                            * confirmation: the aggregate waits */
    guint heard_gen;       /* the directory's gen when her broadcast
                            * presence last came (0: not since it was
                            * forgotten): see gw_xmpp_directory_is_current */
    char *via; /* the component JID her last available presence came to */
} XmppUser;

struct GwXmppDirectory {
    const GwBridgeEnv *env;
    GwCaps *caps; /* NULL: clients' features not tracked */
    GwXmppUserFunc updated;
    gpointer user_data;
    GHashTable *users;   /* bare -> XmppUser* */
    GwPresence *offline; /* the aggregate of whom we know nothing */
    guint64 seq;
    guint gen;        /* link-up generation: a Resource of an older one is
                       * unconfirmed while a refresh runs */
    guint refresh_id; /* the grace period of the refresh after link up */
    gboolean stopping;
};

/* ---- users and their aggregate ----------------------------------------- */

static void
resource_free(gpointer p)
{
    Resource *r = p;
    gw_presence_free(r->pres);
    g_free(r);
}

static XmppUser *
user_get(GwXmppDirectory *d, const char *bare, gboolean create)
{
    XmppUser *u = g_hash_table_lookup(d->users, bare);

    if (u == NULL && create) {
        u = g_new0(XmppUser, 1);
        u->bare = g_strdup(bare);
        u->resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             resource_free);
        u->agg = gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
        g_hash_table_insert(d->users, u->bare, u);
    }
    return u;
}

static void
user_free(gpointer p)
{
    XmppUser *u = p;

    g_hash_table_unref(u->resources);
    g_clear_pointer(&u->directed, g_hash_table_unref);
    gw_presence_free(u->agg);
    g_free(u->via);
    g_free(u->bare);
    g_free(u);
}

static gboolean
user_online(const XmppUser *u)
{
    return u != NULL && g_hash_table_size(u->resources) > 0;
}

static void
caps_forget(GwXmppDirectory *d, const char *jid)
{
    if (d->caps != NULL)
        gw_caps_forget(d->caps, jid); /* a bare JID: all of them */
}

static GwPresence *
aggregate(const XmppUser *u)
{
    GHashTableIter it;
    gpointer v;
    const Resource *best = NULL;

    g_hash_table_iter_init(&it, u->resources);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const Resource *r = v;
        if (best == NULL || r->priority > best->priority ||
            (r->priority == best->priority && r->seq > best->seq))
            best = r;
    }
    return best ? gw_presence_copy(best->pres)
                : gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
}

static gboolean user_confirmed(const GwXmppDirectory *d, const XmppUser *u);

/* A resource's presence changed: her aggregate anew, and the owner told. */
static void
user_update(GwXmppDirectory *d, XmppUser *u)
{
    g_autoptr(GwPresence) agg = NULL;
    gboolean was_online = u->agg->show != GW_SHOW_OFFLINE;

    if (u->refreshing && !user_confirmed(d, u))
        return; /* on_refresh_end() comes back */
    u->refreshing = FALSE;
    agg = aggregate(u);
    if (gw_presence_equal(agg, u->agg)) {
        d->updated(u->bare, FALSE, was_online, d->user_data);
        return;
    }
    gw_presence_free(u->agg);
    u->agg = g_steal_pointer(&agg);
    g_info("presence of %s is now %s", u->bare,
           gw_show_to_string(u->agg->show));
    d->updated(u->bare, TRUE, was_online, d->user_data);
}

/* ---- the refresh after link up ----------------------------------------
 *
 *   link down          nothing: the table from before is the best guess
 *   link up            gen++; each user with resources is refreshing;
 *                      the owner probes (gw_xmpp_directory_link_up())
 *   <presence/> in     confirms that resource (r->gen = gen); all of
 *                      hers confirmed, or a bare unavailable (none left):
 *                      her refresh ends at once. Directed presence
 *                      confirms too, and its own clients (u->directed)
 *                      have no probe to answer: they stay unconfirmed
 *                      until they send presence again
 *   REFRESH_GRACE_MS   the unconfirmed ones are dropped (directed-only
 *                      ones too), every refresh ends (on_refresh_end())
 *   refresh end        user_update(): the owner hears of her aggregate
 *
 * While she refreshes her aggregate stays as it was: answers come one
 * resource at a time, and a stale high-priority "busy" would still
 * outrank a confirmed "away" until the grace ends (two NOTIFYs, the first
 * one wrong). Her first active NOTIFYs wait as for a probe.
 *
 * The grace: a server answers a probe for its own users at once, but for
 * a user on another server the answer comes over s2s, which after an
 * outage of ours may have to be set up anew (DNS, TLS, dialback: seconds).
 * Too short drops a live resource and flaps when its answer comes late;
 * too long only delays a correction already as late as the outage. And
 * the common case (every resource answers) ends early anyway.
 */
#define REFRESH_GRACE_MS 5000

static gboolean
user_confirmed(const GwXmppDirectory *d, const XmppUser *u)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, u->resources);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (((const Resource *)v)->gen != d->gen)
            return FALSE;
    return TRUE;
}

/* Drops the resources of one of her tables that no presence confirmed
 * since link up (gone during the outage), with what the caps cache knew
 * of them. */
static guint
drop_unconfirmed(GwXmppDirectory *d, GHashTable *table)
{
    GHashTableIter it;
    gpointer k, v;
    guint n = 0;

    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (((const Resource *)v)->gen == d->gen)
            continue;
        caps_forget(d, k); /* before k is freed */
        g_hash_table_iter_remove(&it);
        n++;
    }
    return n;
}

static gboolean
on_refresh_end(gpointer data)
{
    GwXmppDirectory *d = data;
    /* down again: the answers may have been lost with the link; keep the
     * guess, the next link up refreshes anew */
    gboolean drop = !d->stopping && d->env->xmpp != NULL &&
                    gw_xmpp_link_is_up(d->env->xmpp);
    GList *users = g_hash_table_get_values(d->users);

    d->refresh_id = 0;
    for (GList *l = users; l != NULL; l = l->next) {
        XmppUser *u = l->data;
        guint n = 0;

        /* her clients seen only through directed presence: no probe
         * answers for them, and her refresh may have ended early */
        if (drop && u->directed != NULL) {
            n = drop_unconfirmed(d, u->directed);
            if (g_hash_table_size(u->directed) == 0)
                g_clear_pointer(&u->directed, g_hash_table_unref);
        }
        if (drop && u->refreshing)
            n += drop_unconfirmed(d, u->resources);
        if (n > 0)
            g_info("presence of %s: %u resource(s) not confirmed after the "
                   "XMPP link came back: dropped", u->bare, n);
        if (!u->refreshing)
            continue;
        u->refreshing = FALSE;
        user_update(d, u);
    }
    g_list_free(users);
    return G_SOURCE_REMOVE;
}

void
gw_xmpp_directory_link_up(GwXmppDirectory *d, GwXmppProbeFunc probe,
                          gpointer user_data)
{
    GHashTableIter it;
    gpointer v;
    guint n_refresh = 0, n_blind = 0, n_directed = 0;

    g_return_if_fail(d != NULL && probe != NULL);
    d->gen++;
    g_hash_table_iter_init(&it, d->users);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        XmppUser *u = v;
        gboolean probed = probe(u->bare, user_data);

        if (u->directed != NULL)
            n_directed++; /* dropped at the grace's end unless confirmed */
        if (!user_online(u))
            continue;
        u->refreshing = TRUE;
        n_refresh++;
        if (!probed) {
            n_blind++;
            g_debug("no component JID to probe %s from: her resources "
                    "go unless she sends presence", u->bare);
        }
    }
    if (n_refresh > 0 || n_directed > 0) {
        g_info("refreshing the resources of %u XMPP user(s) (%u without a "
               "JID to probe from, %u with clients seen only through "
               "directed presence) for %d ms", n_refresh, n_blind,
               n_directed, REFRESH_GRACE_MS);
        g_clear_handle_id(&d->refresh_id, g_source_remove);
        d->refresh_id = g_timeout_add(REFRESH_GRACE_MS, on_refresh_end, d);
    }
}

void
gw_xmpp_directory_stop(GwXmppDirectory *d)
{
    g_return_if_fail(d != NULL);
    d->stopping = TRUE;
    g_clear_handle_id(&d->refresh_id, g_source_remove);
}

/* ---- XMPP presence in -------------------------------------------------- */

static GwPresence *
presence_from_stanza(xmpp_stanza_t *p, int *priority)
{
    g_autofree char *show = gw_stanza_child_text(p, "show");
    g_autofree char *status = gw_stanza_child_text(p, "status");
    g_autofree char *prio = gw_stanza_child_text(p, "priority");
    xmpp_stanza_t *st = gw_stanza_child(p, "status", NULL);
    const char *lang;
    int s = show ? gw_show_from_string(g_strstrip(show)) : GW_SHOW_ONLINE;

    if (s < 0 || s == GW_SHOW_OFFLINE)
        s = GW_SHOW_ONLINE; /* RFC 6121 4.7.2.1: unknown show = available */
    *priority = prio ? (int)CLAMP(g_ascii_strtoll(prio, NULL, 10), -128, 127)
                     : 0;
    /* RFC 6120 8.1.5: xml:lang is inherited from the stanza */
    lang = gw_stanza_get_lang(st);
    if (lang == NULL)
        lang = gw_stanza_get_lang(p);
    return gw_presence_new((GwShow)s, status && *status ? status : NULL,
                           status && *status ? lang : NULL);
}

/* ---- directed presence ------------------------------------------------
 *
 * Her presence reaches us one stanza per component JID. Her server sends
 * her broadcast presence to each contact she has approved (RFC 6121
 * 4.4.2); anything else was directed at that one contact (RFC 6121 4.6)
 * and says nothing of what the others see. The authorization the
 * presence bridge holds for (that contact, her) tells which it is:
 *
 *   granted, unknown    broadcast: her resources and aggregate follow it
 *                       (unknown: most likely approved before we learnt
 *                       her answer, since her server sends it)
 *   pending, refused    directed: her aggregate does not move
 *
 * The common directed one: Prosody acknowledges our subscription request
 * to her with <presence type='unavailable' from=her bare JID/>
 * (mod_presence, "acknowledging receipt") while she has not approved.
 * Taken for hers, every SIP watcher saw her closed while the request was
 * pending (and after a refusal, until her next change), and the SIP
 * contacts she watches were un-SUBSCRIBEd, then SUBSCRIBEd again.
 *
 * Directed presence still shows a live client of hers, which the call
 * bridge must find: an available one from a full JID her broadcast
 * presence does not list goes in u->directed (per user, not per watcher),
 * outside her aggregate, and a directed unavailable from it removes it
 * (one entry for all contacts it was directed to: a client that ends its
 * directed presence to one of two contacts is forgotten early, and a call
 * goes by JMI instead of straight to it). Her server sends such a client's
 * unavailable to each JID it directed presence to when it leaves. A
 * directed bare unavailable is an acknowledgement: nothing. Directed
 * presence from a client her broadcast presence lists only confirms it
 * for the refresh after link up (above). When she revokes a contact's
 * subscription, her server follows the "unsubscribed" with an unavailable
 * from each resource to that contact (RFC 6121 3.2.2): directed too, as
 * the contact is refused by then; if it was the last JID her broadcast
 * came to, the presence bridge has her resources forgotten
 * (gw_xmpp_directory_forget()).
 *
 *   to 1004 (pending):  <presence type=unavailable from=alice>  nothing
 *                       <presence from=alice/phone>  phone in u->directed
 *   to 1001 (granted):  <presence from=alice/phone>  phone in
 *                       u->resources, out of u->directed; aggregate
 */

static Resource *
resource_new(GwXmppDirectory *d, xmpp_stanza_t *p)
{
    Resource *r = g_new0(Resource, 1);

    r->pres = presence_from_stanza(p, &r->priority);
    r->seq = ++d->seq;
    r->gen = d->gen; /* confirmed, for a refresh running */
    return r;
}

/* Takes full out of her directed-only resources, if there (its caps stay:
 * the same client). */
static void
directed_remove(XmppUser *u, const char *full)
{
    if (u->directed != NULL && g_hash_table_remove(u->directed, full) &&
        g_hash_table_size(u->directed) == 0)
        g_clear_pointer(&u->directed, g_hash_table_unref);
}

void
gw_xmpp_directory_directed(GwXmppDirectory *d, const char *full,
                           const char *bare, const char *to,
                           xmpp_stanza_t *p, gboolean available)
{
    XmppUser *u;
    Resource *r;

    if (!available && strcmp(full, bare) == 0)
        return; /* an acknowledgement, not about her clients */
    if ((u = user_get(d, bare, available)) == NULL)
        return;
    if ((r = g_hash_table_lookup(u->resources, full)) != NULL) {
        /* listed by her broadcast presence, which alone says its state;
         * but it is alive */
        if (available && r->gen != d->gen) {
            r->gen = d->gen;
            if (u->refreshing && user_confirmed(d, u))
                user_update(d, u);
        }
        return;
    }
    if (available) {
        /* XEP-0115: what the client can do, for the call bridge */
        if (d->caps != NULL)
            gw_caps_presence(d->caps, full, to, p);
        if (u->directed == NULL)
            u->directed = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                g_free, resource_free);
        g_hash_table_replace(u->directed, g_strdup(full), resource_new(d, p));
        g_debug("directed presence of %s to %s: not her presence to others",
                full, to);
    } else if (u->directed != NULL &&
               g_hash_table_contains(u->directed, full)) {
        directed_remove(u, full);
        caps_forget(d, full);
    }
}

/* to: the component JID it was addressed to (caps queries go out from
 * it). */
void
gw_xmpp_directory_broadcast(GwXmppDirectory *d, const char *full,
                            const char *bare, const char *to,
                            xmpp_stanza_t *p, gboolean available)
{
    XmppUser *u = user_get(d, bare, available);

    /* XEP-0115: what her clients can do, for the call bridge */
    if (available && d->caps != NULL)
        gw_caps_presence(d->caps, full, to, p);
    if (u == NULL) {
        if (!available)
            caps_forget(d, full);
        return;
    }
    u->heard_gen = d->gen;
    if (available) {
        g_hash_table_replace(u->resources, g_strdup(full), resource_new(d, p));
        directed_remove(u, full);
        g_free(u->via);
        u->via = map_jid_bare(to, NULL);
    } else if (strcmp(full, bare) == 0) {
        /* her server lists no available resource: those known only
         * through directed presence stay until their own unavailable */
        GHashTableIter it;
        gpointer k;

        if (u->directed == NULL) {
            caps_forget(d, bare);
        } else {
            g_hash_table_iter_init(&it, u->resources);
            while (g_hash_table_iter_next(&it, &k, NULL))
                caps_forget(d, k);
        }
        g_hash_table_remove_all(u->resources);
    } else {
        caps_forget(d, full);
        g_hash_table_remove(u->resources, full);
        directed_remove(u, full);
    }
    user_update(d, u);
}

void
gw_xmpp_directory_forget(GwXmppDirectory *d, const char *bare)
{
    XmppUser *u = user_get(d, bare, FALSE);
    GHashTableIter it;
    gpointer k;

    if (u == NULL)
        return;
    u->heard_gen = 0; /* nothing tells us of her any more */
    g_hash_table_iter_init(&it, u->resources);
    while (g_hash_table_iter_next(&it, &k, NULL))
        caps_forget(d, k);
    g_hash_table_remove_all(u->resources);
    user_update(d, u);
}

/* ---- what the others read ---------------------------------------------- */

void
gw_xmpp_directory_track(GwXmppDirectory *d, const char *bare)
{
    user_get(d, bare, TRUE);
}

gboolean
gw_xmpp_directory_knows(GwXmppDirectory *d, const char *bare)
{
    return g_hash_table_contains(d->users, bare);
}

guint
gw_xmpp_directory_get_n_users(GwXmppDirectory *d)
{
    return g_hash_table_size(d->users);
}

const GwPresence *
gw_xmpp_directory_peek_aggregate(GwXmppDirectory *d, const char *bare)
{
    XmppUser *u = g_hash_table_lookup(d->users, bare);

    return u != NULL ? u->agg : d->offline;
}

gboolean
gw_xmpp_directory_is_online(GwXmppDirectory *d, const char *bare)
{
    return user_online(g_hash_table_lookup(d->users, bare));
}

gboolean
gw_xmpp_directory_is_refreshing(GwXmppDirectory *d, const char *bare)
{
    XmppUser *u = g_hash_table_lookup(d->users, bare);

    return u != NULL && u->refreshing;
}

gboolean
gw_xmpp_directory_is_current(GwXmppDirectory *d, const char *bare)
{
    XmppUser *u = g_hash_table_lookup(d->users, bare);

    return u != NULL && d->gen > 0 && u->heard_gen == d->gen &&
           !u->refreshing;
}

const char *
gw_xmpp_directory_peek_via(GwXmppDirectory *d, const char *bare)
{
    XmppUser *u = g_hash_table_lookup(d->users, bare);

    return u != NULL ? u->via : NULL;
}

void
gw_pres_resource_free(GwPresResource *r)
{
    if (r == NULL)
        return;
    g_free(r->full);
    g_clear_pointer(&r->features, g_hash_table_unref);
    g_free(r);
}

static gint
cmp_resource(gconstpointer a, gconstpointer b)
{
    const GwPresResource *x = *(GwPresResource *const *)a;
    const GwPresResource *y = *(GwPresResource *const *)b;

    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->seq > y->seq ? -1 : x->seq < y->seq;
}

/* Adds the resources of one of her tables with a priority >= 0 to out;
 * refreshing: this table's resources from before link up are not yet
 * confirmed. */
static void
add_resources(GwXmppDirectory *d, GHashTable *table, gboolean refreshing,
              GPtrArray *out)
{
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const Resource *r = v;
        GwPresResource *pr;

        /* RFC 6121 8.5.2.1.1: a negative priority takes no stanzas sent
         * to the bare JID; nor does it take our calls */
        if (r->priority < 0)
            continue;
        pr = g_new0(GwPresResource, 1);
        pr->full = g_strdup(k);
        pr->priority = r->priority;
        pr->seq = r->seq;
        pr->unconfirmed = refreshing && r->gen != d->gen;
        pr->caps = d->caps != NULL
                       ? gw_caps_lookup(d->caps, k, &pr->features)
                       : GW_CAPS_UNKNOWN;
        g_ptr_array_add(out, pr);
    }
}

/* Her clients seen through directed presence are hers too (README: the
 * gateway sees her clients through a subscription or directed presence). */
GPtrArray *
gw_xmpp_directory_get_resources(GwXmppDirectory *d, const char *bare)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(
        (GDestroyNotify)gw_pres_resource_free);
    XmppUser *u;

    g_return_val_if_fail(d != NULL && bare != NULL, out);
    if ((u = user_get(d, bare, FALSE)) == NULL)
        return out;
    add_resources(d, u->resources, u->refreshing, out);
    /* no probe confirms these: a refresh runs while its grace does */
    if (u->directed != NULL)
        add_resources(d, u->directed, d->refresh_id != 0, out);
    g_ptr_array_sort(out, cmp_resource);
    return out;
}

/* ---- life cycle -------------------------------------------------------- */

GwXmppDirectory *
gw_xmpp_directory_new(const GwBridgeEnv *env, GwCaps *caps,
                      GwXmppUserFunc updated, gpointer user_data)
{
    GwXmppDirectory *d;

    g_return_val_if_fail(env != NULL && updated != NULL, NULL);
    d = g_new0(GwXmppDirectory, 1);
    d->env = env;
    d->caps = caps;
    d->updated = updated;
    d->user_data = user_data;
    d->users = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, user_free);
    d->offline = gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
    return d;
}

void
gw_xmpp_directory_free(GwXmppDirectory *d)
{
    if (d == NULL)
        return;
    g_clear_handle_id(&d->refresh_id, g_source_remove);
    g_hash_table_unref(d->users);
    gw_presence_free(d->offline);
    g_free(d);
}
