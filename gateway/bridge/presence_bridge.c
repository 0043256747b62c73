/* gateway/bridge/presence_bridge.c: presence both ways.
 *
 * A. SIP watcher -> XMPP user (sip:1001@pbx watches alice@example.com)
 *
 *   SUBSCRIBE sip:alice@gw --> 202, NOTIFY pending (no body)
 *                             <presence type=subscribe from=1001@comp to=alice>
 *   alice approves          <-- <presence type=subscribed>  (Prosody answers
 *                               at once when she approved before)
 *                             <presence type=probe> to alice
 *   NOTIFY active + PIDF   <--- her presence, aggregated over resources
 *   ... every change of her aggregate -> NOTIFY, paced in batches, the
 *   newest state to each watcher (see "the NOTIFY queue")
 *   refresh -> 200 + NOTIFY; expiry -> NOTIFY terminated;reason=timeout;
 *   Expires: 0 -> (the stack's final NOTIFY); unsubscribed -> NOTIFY
 *   terminated;reason=rejected. Her roster is never touched by a SIP-side
 *   end: the watcher keeps its approval for the next SUBSCRIBE. Our own
 *   subscribe goes to her once per watcher JID: not again while pending,
 *   nor after her answer (a refused watcher's next SUBSCRIBE is rejected
 *   at once), nor after a restart (her answers are in [presence]
 *   state_file, see "the state file").
 *   Restart: served subscriptions are not kept; a refresh after a restart
 *   gets 481 (no such dialog) and RFC 6665 4.1.2.2 has the watcher
 *   subscribe anew. A clean stop first ends each with
 *   terminated;reason=probation;retry-after=30 (RFC 6665 4.1.3).
 *
 * B. XMPP user -> SIP contact (alice watches 1001@comp)
 *
 *   <presence type=subscribe> --> per [presence] allow_watchers:
 *     subscribed + our own subscribe back (to learn when she is online),
 *     or unsubscribed.
 *   While at least one watcher of 1001 is online: one SIP SUBSCRIBE dialog
 *   for sip:1001@pbx (through [presence] server), shared and counted.
 *   Each NOTIFY's PIDF -> <presence from=1001@comp> to every online
 *   watcher. Dialog ends -> unavailable, re-SUBSCRIBE with backoff. Last
 *   watcher offline -> un-SUBSCRIBE. Probes are answered from the last
 *   known state, and never make us ask her again once she answered.
 *   Watchers are kept in [presence] state_file across restarts and
 *   probed when the link comes up.
 *
 * Aggregation (RFC 6121 4.4.2 leaves it to us): the available resource
 * with the highest priority wins; among equals, the most recent. Only her
 * broadcast presence counts: what she (or her server, acknowledging our
 * request) addresses to a component JID she has not approved is directed
 * at that one contact (see "directed presence").
 *
 * Link outages: a resource that leaves while the component link is down
 * never tells us (the server bounces its unavailable), and a probe is
 * answered only by the resources still available (RFC 6121 4.3.2). So
 * link up starts a refresh (see "the refresh after link up"): the table
 * from before the outage stays the best guess, each resource must be
 * confirmed by a presence within REFRESH_GRACE_MS, the rest are dropped
 * and watchers get one NOTIFY with the result.
 */
#define G_LOG_DOMAIN "gw-pres"

#include "presence_bridge.h"

#include <string.h>

#include "gw_error.h"
#include "pidf.h"
#include "pool.h"
#include "stanza.h"

#define CT_PIDF "application/pidf+xml"
#define MAX_PIDF_BYTES 65536

typedef enum {
    AUTH_UNKNOWN,
    AUTH_PENDING,
    AUTH_GRANTED,
    AUTH_REFUSED,
} AuthState;

typedef struct {
    int priority;
    GwPresence *pres;
    guint64 seq; /* update order, for ties */
    guint gen;   /* the bridge's gen when last confirmed by a presence */
} Resource;

typedef struct XmppUser XmppUser;
typedef struct SipWatch SipWatch;
typedef struct SipContact SipContact;

struct XmppUser {
    char *bare;
    GHashTable *resources; /* full JID -> Resource*: broadcast presence */
    GHashTable *directed;  /* full JID -> Resource*: known only through
                            * directed presence, not in agg; NULL while
                            * none (see "directed presence") */
    GwPresence *agg;       /* never NULL: offline when no resource */
    GPtrArray *watches;    /* SipWatch* (A) */
    GHashTable *by_watcher; /* watcher JID -> SipWatch* (its watches, linked
                             * by same_next): an approval touches its own */
    GQueue untold;          /* active watches owed their first active
                             * NOTIFY and not queued for it: user_flush()
                             * walks these, not every watch */
    GwSipPublication *pub;
    guint probe_id; /* awaiting the answer to a probe: NOTIFYs wait */
    gboolean refreshing; /* resources from before a link outage await
                          * confirmation: aggregate and NOTIFYs wait */
    char *via; /* the component JID her last available presence came to */
};

struct SipWatch {
    GwPresBridge *b;
    GwSipDialog *dlg;
    char *watcher_jid; /* 1001@component */
    XmppUser *user;
    char *entity; /* sip:alice@gw: the presentity */
    gboolean active;
    gboolean told_active; /* an active NOTIFY has been sent */
    GSequenceIter *expiry; /* in the bridge's expiry order */
    gint64 expires_at; /* monotonic, us */
    GList queued;      /* link in the bridge's NOTIFY queue, data == this */
    gboolean in_queue;
    guint index;       /* in user->watches */
    SipWatch *same_next; /* the next watch of the same watcher JID */
    GList untold_link;   /* in user->untold, data == this */
    gboolean in_untold;
};

struct SipContact {
    GwPresBridge *b;
    char *jid;     /* 1001@component */
    char *sip_uri; /* sip:1001@pbx */
    GHashTable *watchers; /* bare JID -> NULL */
    GwSipDialog *dlg;
    GwPresence *last; /* NULL: unknown */
    guint retry_id;
    guint failures;
};

struct GwPresBridge {
    const GwBridgeEnv *env;
    GwCaps *caps;         /* NULL: clients' features not tracked */
    const char *caps_ver; /* XEP-0115 ver of SIP contacts (borrowed) */
    GHashTable *users;    /* bare -> XmppUser* */
    GHashTable *contacts; /* jid -> SipContact* */
    GHashTable *auth;     /* "contact\nuser" -> AuthState */
    GHashTable *watching; /* watcher bare JID -> set of SipContact* */
    GSequence *expiries;  /* SipWatch* by expires_at: one timer for all */
    guint expiry_id;
    GQueue notify_queue;  /* SipWatch* owing an active NOTIFY, each once */
    guint notify_id;      /* the source draining it, batch by batch */
    guint guard_id;       /* ... and its guard against starvation */
    gboolean drained;     /* a batch went out since the guard last looked */
    guint n_watches;
    guint64 seq;
    guint gen;        /* link-up generation: a Resource of an older one is
                       * unconfirmed while a refresh runs */
    guint refresh_id; /* the grace period of the refresh after link up */
    guint save_id;
    gboolean stopping;
    GwPresStats stats;
};

static const GwSipDialogFuncs watch_funcs;
static const GwSipDialogFuncs contact_funcs;

/* ---- small helpers ----------------------------------------------------- */

static const GwConfig *
cfg_of(const GwPresBridge *b)
{
    return b->env->config;
}

/* Kept keys live in the pool (pool.h); lookup keys on the stack of
 * g_malloc. */
static char *
auth_key(const char *contact, const char *user)
{
    return g_strconcat(contact, "\n", user, NULL);
}

static AuthState
auth_get(GwPresBridge *b, const char *contact, const char *user)
{
    g_autofree char *k = auth_key(contact, user);
    return (AuthState)GPOINTER_TO_INT(g_hash_table_lookup(b->auth, k));
}

static void schedule_save(GwPresBridge *b);

/* Kept in the state file: her answers survive a restart. */
static void
auth_set(GwPresBridge *b, const char *contact, const char *user, AuthState s)
{
    g_autofree char *k = auth_key(contact, user);

    if ((AuthState)GPOINTER_TO_INT(g_hash_table_lookup(b->auth, k)) == s)
        return;
    if (s == AUTH_UNKNOWN)
        g_hash_table_remove(b->auth, k);
    else
        g_hash_table_replace(b->auth, gw_pool_strdup(k), GINT_TO_POINTER(s));
    schedule_save(b);
}

/* Does presence from user to contact carry her broadcast presence (see
 * "directed presence")? */
static gboolean
is_broadcast(GwPresBridge *b, const char *contact, const char *user)
{
    AuthState s = auth_get(b, contact, user);

    return s == AUTH_GRANTED || s == AUTH_UNKNOWN;
}

static void
caps_forget(GwPresBridge *b, const char *jid)
{
    if (b->caps != NULL)
        gw_caps_forget(b->caps, jid); /* a bare JID: all of them */
}

static void
send_presence(GwPresBridge *b, const char *from, const char *to,
              const char *type, const GwPresence *p)
{
    GString *x = g_string_sized_new(256);

    g_string_append(x, "<presence");
    gw_xml_append_attr(x, "from", from);
    gw_xml_append_attr(x, "to", to);
    if (type == NULL && (p == NULL || p->show == GW_SHOW_OFFLINE))
        type = "unavailable";
    gw_xml_append_attr(x, "type", type);
    if (type == NULL && p != NULL) {
        g_string_append_c(x, '>');
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
        g_string_append(x, "</presence>");
    } else if (type != NULL && strcmp(type, "unavailable") == 0 && p &&
               p->status != NULL) {
        g_string_append(x, "><status>");
        gw_xml_append_escaped(x, p->status);
        g_string_append(x, "</status></presence>");
    } else {
        g_string_append(x, "/>");
    }
    gw_xmpp_link_send_text(b->env->xmpp, x);
}

/* ---- XMPP users and their aggregate (A) -------------------------------- */

static void
resource_free(gpointer p)
{
    Resource *r = p;
    gw_presence_free(r->pres);
    g_free(r);
}

static XmppUser *
user_get(GwPresBridge *b, const char *bare, gboolean create)
{
    XmppUser *u = g_hash_table_lookup(b->users, bare);

    if (u == NULL && create) {
        u = g_new0(XmppUser, 1);
        u->bare = g_strdup(bare);
        u->resources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             resource_free);
        u->agg = gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
        u->watches = g_ptr_array_new();
        u->by_watcher = g_hash_table_new(g_str_hash, g_str_equal);
        g_hash_table_insert(b->users, u->bare, u);
    }
    return u;
}

static void
user_free(gpointer p)
{
    XmppUser *u = p;

    if (u->pub != NULL)
        gw_sip_publication_remove(u->pub);
    g_clear_handle_id(&u->probe_id, g_source_remove);
    g_hash_table_unref(u->resources);
    g_clear_pointer(&u->directed, g_hash_table_unref);
    gw_presence_free(u->agg);
    g_ptr_array_unref(u->watches);
    g_hash_table_unref(u->by_watcher);
    g_free(u->via);
    g_free(u->bare);
    g_free(u);
}

static gboolean
user_online(const XmppUser *u)
{
    return u != NULL && g_hash_table_size(u->resources) > 0;
}

/* Her state is about to be learnt (a probe's answer, or the refresh
 * after link up): first active NOTIFYs wait. */
static gboolean
user_waiting(const XmppUser *u)
{
    return u->probe_id != 0 || u->refreshing;
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

static char *
entity_of(GwPresBridge *b, const char *bare)
{
    g_autoptr(MapResult) m = map_table_lookup_jid(b->env->map, bare, NULL);
    return m != NULL ? g_strdup(m->sip_uri) : g_strconcat("xmpp:", bare, NULL);
}

static char *
pidf_for(const char *entity, const GwPresence *p)
{
    GwPidfParams params = { entity, "t1", "p1", NULL };
    return gw_pidf_build(p, &params);
}

static guint
watch_remaining(const SipWatch *w)
{
    gint64 left = (w->expires_at - g_get_monotonic_time()) / G_USEC_PER_SEC;
    return left > 0 ? (guint)left : 0;
}

/* ---- the NOTIFY queue (A) ---------------------------------------------
 *
 * A change of her aggregate owes each active watcher a NOTIFY. Sent all in
 * one main-loop turn (10,000 in 420 ms), the watchers' 200 OKs overflowed
 * the SIP socket's 4 MiB receive buffer (3,447 of 10,000 dropped, each
 * one a NOTIFY retransmitted 500 ms later), and a second change queued a
 * second full round behind the first. So a change only marks the watches
 * (one FIFO for the bridge, each watch in it at most once: bounded by the
 * watch count) and NOTIFY_BATCH of them go out at a time. Each NOTIFY
 * carries her state at send time, so a newer change supersedes an unsent
 * older one and the last state always goes out (RFC 6665 leaves the rate
 * to the event package; RFC 3856 6.10 lets a presence agent hold
 * notifications back). Pending and terminating NOTIFYs never wait here;
 * watch_free() takes a watch out.
 *
 * Between batches the loop must read the answers, and Sofia's tport reads
 * ONE datagram per main-loop turn (tport_recv_event: UDP gives again = 0).
 * A batch per turn at default priority still dropped 3,447 of 10,000 (the
 * bench): 250 out, 1 in. So the batches run one priority step below the
 * SIP and XMPP sources (both G_PRIORITY_DEFAULT): a batch goes out only
 * in a turn where none of them is ready, i.e. once the 200 OKs of the
 * previous one are read. A default-priority guard sends a batch every
 * NOTIFY_GUARD_MS that saw none, so SIP or XMPP load cannot starve the
 * queue either.
 *
 *   change -> watch_queue() x N --> [w1 w2 ... wN]
 *   turn: SIP/XMPP ready? read one --> else NOTIFY_BATCH NOTIFYs
 */
#ifndef NOTIFY_BATCH /* -D only to measure other sizes */
#define NOTIFY_BATCH 250 /* tests/bench/bench_presence_calls_results.md */
#endif
#define NOTIFY_PRIORITY (G_PRIORITY_DEFAULT + 1)
#define NOTIFY_GUARD_MS 50

/* The watches' two intrusive queue memberships: the bridge's NOTIFY queue
 * and their user's untold queue. */
static void
link_out(GQueue *q, GList *link, gboolean *in)
{
    if (!*in)
        return;
    g_queue_unlink(q, link);
    *in = FALSE;
}

static void
link_in(GQueue *q, GList *link, gboolean *in, gpointer data)
{
    link->data = data;
    g_queue_push_tail_link(q, link);
    *in = TRUE;
}

static void
untold_remove(SipWatch *w)
{
    link_out(&w->user->untold, &w->untold_link, &w->in_untold);
}

/* w is active, has not been told so, and is not in the NOTIFY queue. */
static void
untold_add(SipWatch *w)
{
    if (w->in_untold || w->in_queue || w->told_active || !w->active)
        return;
    link_in(&w->user->untold, &w->untold_link, &w->in_untold, w);
}

static void
watch_unqueue(SipWatch *w)
{
    link_out(&w->b->notify_queue, &w->queued, &w->in_queue);
}

static void
watch_notify(SipWatch *w)
{
    g_autofree char *doc = NULL;

    watch_unqueue(w); /* it gets the current state now */
    if (!w->active) {
        gw_sip_dialog_notify(w->dlg, GW_SUB_PENDING, watch_remaining(w), NULL,
                             0, NULL, NULL);
    } else {
        doc = pidf_for(w->entity, w->user->agg);
        gw_sip_dialog_notify(w->dlg, GW_SUB_ACTIVE, watch_remaining(w), NULL,
                             0, CT_PIDF, doc);
        w->told_active = TRUE;
        untold_remove(w);
    }
    w->b->stats.notifies_sent++;
}

static void
drain_batch(GwPresBridge *b)
{
    for (guint n = 0; n < NOTIFY_BATCH && b->notify_queue.head != NULL; n++) {
        SipWatch *w = b->notify_queue.head->data;

        watch_unqueue(w);
        /* a first active NOTIFY still waits for the probe's answer:
         * user_flush() queues it again then */
        if (w->active && (w->told_active || !user_waiting(w->user)))
            watch_notify(w);
        else
            untold_add(w);
    }
    b->drained = TRUE;
}

/* The two sources stop together once the queue is empty. */
static gboolean
on_drain(gpointer data)
{
    GwPresBridge *b = data;

    drain_batch(b);
    if (!g_queue_is_empty(&b->notify_queue))
        return G_SOURCE_CONTINUE;
    b->notify_id = 0;
    g_clear_handle_id(&b->guard_id, g_source_remove);
    return G_SOURCE_REMOVE;
}

static gboolean
on_drain_guard(gpointer data)
{
    GwPresBridge *b = data;

    if (!b->drained)
        drain_batch(b); /* SIP/XMPP ready in every turn: starving */
    b->drained = FALSE;
    if (!g_queue_is_empty(&b->notify_queue))
        return G_SOURCE_CONTINUE;
    b->guard_id = 0;
    g_clear_handle_id(&b->notify_id, g_source_remove);
    return G_SOURCE_REMOVE;
}

/* w owes an active NOTIFY with the user's then current state. */
static void
watch_queue(SipWatch *w)
{
    GwPresBridge *b = w->b;

    untold_remove(w); /* so that user_flush() always ends, stopping too */
    if (w->in_queue || b->stopping)
        return;
    link_in(&b->notify_queue, &w->queued, &w->in_queue, w);
    if (b->notify_id == 0) {
        b->notify_id = g_idle_add_full(NOTIFY_PRIORITY, on_drain, b, NULL);
        b->drained = FALSE;
        b->guard_id = g_timeout_add(NOTIFY_GUARD_MS, on_drain_guard, b);
    }
}

/* Active watchers that have not yet been told a state: tell them now that
 * it is known (or after the wait for a probe's answer). */
static void
user_flush(XmppUser *u)
{
    if (user_waiting(u))
        return;
    while (u->untold.head != NULL)
        watch_queue(u->untold.head->data); /* takes it out of untold */
}

static gboolean
probe_timeout(gpointer data)
{
    XmppUser *u = data;

    u->probe_id = 0;
    user_flush(u);
    return G_SOURCE_REMOVE;
}

/* Probes the user's presence; the first active NOTIFY waits for the
 * answer (at most 2 s), so a watcher never sees a false "closed" first. */
static void
user_probe(GwPresBridge *b, XmppUser *u, const char *from)
{
    send_presence(b, from, u->bare, "probe", NULL);
    if (u->probe_id == 0 && !user_online(u))
        u->probe_id = g_timeout_add(2000, probe_timeout, u);
}

static void
user_publish(GwPresBridge *b, XmppUser *u)
{
    const GwConfig *cfg = cfg_of(b);
    g_autofree char *entity = NULL, *doc = NULL;

    if (!cfg->presence.publish)
        return;
    entity = entity_of(b, u->bare);
    if (!g_str_has_prefix(entity, "sip"))
        return;
    doc = pidf_for(entity, u->agg);
    if (u->pub == NULL)
        u->pub = gw_sip_ua_publish(b->env->sip, entity, cfg->presence.server,
                                   "presence", CT_PIDF, doc,
                                   cfg->presence.publish_expires);
    else
        gw_sip_publication_update(u->pub, doc);
}

static void contact_watcher_state(GwPresBridge *b, const char *watcher);
static SipContact *contact_get(GwPresBridge *b, const char *jid,
                               gboolean create);
static void contact_ensure(SipContact *c);
static void contact_broadcast(SipContact *c, const char *only);

static gboolean user_confirmed(const GwPresBridge *b, const XmppUser *u);

/* A resource's presence changed; NOTIFY if the aggregate did. */
static void
user_update(GwPresBridge *b, XmppUser *u)
{
    g_autoptr(GwPresence) agg = aggregate(u);
    gboolean was_online = u->agg->show != GW_SHOW_OFFLINE;

    g_clear_handle_id(&u->probe_id, g_source_remove);
    if (u->refreshing && !user_confirmed(b, u))
        return; /* on_refresh_end() comes back */
    u->refreshing = FALSE;
    if (gw_presence_equal(agg, u->agg)) {
        user_flush(u);
        return;
    }
    gw_presence_free(u->agg);
    u->agg = g_steal_pointer(&agg);
    g_info("presence of %s is now %s", u->bare,
           gw_show_to_string(u->agg->show));
    for (guint i = 0; i < u->watches->len; i++) {
        SipWatch *w = g_ptr_array_index(u->watches, i);
        if (w->active)
            watch_queue(w); /* the not yet told ones too: no user_flush */
    }
    user_publish(b, u);
    if (was_online != (u->agg->show != GW_SHOW_OFFLINE))
        contact_watcher_state(b, u->bare);
}

/* ---- the refresh after link up (A) -------------------------------------
 *
 *   link down          nothing: the table from before is the best guess
 *   link up            gen++; each user with resources is refreshing;
 *                      probes out (gw_pres_bridge_link_up())
 *   <presence/> in     confirms that resource (r->gen = gen); all of
 *                      hers confirmed, or a bare unavailable (none left):
 *                      her refresh ends at once. Directed presence
 *                      confirms too, and its own clients (u->directed)
 *                      have no probe to answer: they stay unconfirmed
 *                      until they send presence again
 *   REFRESH_GRACE_MS   the unconfirmed ones are dropped (directed-only
 *                      ones too), every refresh ends (on_refresh_end())
 *   refresh end        user_update(): one NOTIFY if her aggregate changed
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
user_confirmed(const GwPresBridge *b, const XmppUser *u)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, u->resources);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (((const Resource *)v)->gen != b->gen)
            return FALSE;
    return TRUE;
}

/* Drops the resources of one of her tables that no presence confirmed
 * since link up (gone during the outage), with what the caps cache knew
 * of them. */
static guint
drop_unconfirmed(GwPresBridge *b, GHashTable *table)
{
    GHashTableIter it;
    gpointer k, v;
    guint n = 0;

    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (((const Resource *)v)->gen == b->gen)
            continue;
        if (b->caps != NULL)
            gw_caps_forget(b->caps, k); /* before k is freed */
        g_hash_table_iter_remove(&it);
        n++;
    }
    return n;
}

static gboolean
on_refresh_end(gpointer data)
{
    GwPresBridge *b = data;
    /* down again: the answers may have been lost with the link; keep the
     * guess, the next link up refreshes anew */
    gboolean drop = !b->stopping && b->env->xmpp != NULL &&
                    gw_xmpp_link_is_up(b->env->xmpp);
    GList *users = g_hash_table_get_values(b->users);

    b->refresh_id = 0;
    for (GList *l = users; l != NULL; l = l->next) {
        XmppUser *u = l->data;
        guint n = 0;

        /* her clients seen only through directed presence: no probe
         * answers for them, and her refresh may have ended early */
        if (drop && u->directed != NULL) {
            n = drop_unconfirmed(b, u->directed);
            if (g_hash_table_size(u->directed) == 0)
                g_clear_pointer(&u->directed, g_hash_table_unref);
        }
        if (drop && u->refreshing)
            n += drop_unconfirmed(b, u->resources);
        if (n > 0)
            g_info("presence of %s: %u resource(s) not confirmed after the "
                   "XMPP link came back: dropped", u->bare, n);
        if (!u->refreshing)
            continue;
        u->refreshing = FALSE;
        user_update(b, u);
    }
    g_list_free(users);
    return G_SOURCE_REMOVE;
}

/* user bare JID -> a component JID she has granted a subscription to,
 * from the authorizations seen (transfer full) */
static GHashTable *
granted_contacts(GwPresBridge *b)
{
    GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            g_free);
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, b->auth);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *nl = strchr(k, '\n');

        if ((AuthState)GPOINTER_TO_INT(v) != AUTH_GRANTED || nl == NULL ||
            g_hash_table_contains(out, nl + 1) ||
            !g_hash_table_contains(b->users, nl + 1))
            continue;
        g_hash_table_insert(out, g_strdup(nl + 1),
                            g_strndup(k, (gsize)(nl - (const char *)k)));
    }
    return out;
}

/* ---- A: SIP watchers --------------------------------------------------- */

static void
watch_free(SipWatch *w)
{
    GwPresBridge *b = w->b;

    if (w->expiry != NULL)
        g_sequence_remove(w->expiry); /* the timer copes with a stale head */
    watch_unqueue(w); /* the drain source copes with an empty queue */
    untold_remove(w);
    {
        XmppUser *u = w->user;
        SipWatch *head = g_hash_table_lookup(u->by_watcher, w->watcher_jid);
        if (head == w) {
            if (w->same_next != NULL) /* the key string is w's: replace */
                g_hash_table_replace(u->by_watcher,
                                     w->same_next->watcher_jid, w->same_next);
            else
                g_hash_table_remove(u->by_watcher, w->watcher_jid);
        } else {
            for (SipWatch *x = head; x != NULL; x = x->same_next)
                if (x->same_next == w) {
                    x->same_next = w->same_next;
                    break;
                }
        }
    }
    /* swap-remove: 100,000 watches of one user ended one by one must not
     * be quadratic */
    g_ptr_array_remove_index_fast(w->user->watches, w->index);
    if (w->index < w->user->watches->len)
        ((SipWatch *)g_ptr_array_index(w->user->watches, w->index))->index =
            w->index;
    b->n_watches--;
    gw_pool_free_str(w->watcher_jid);
    gw_pool_free_str(w->entity);
    gw_pool_free(w, sizeof *w);
}

/* Ends a served subscription from our side with a terminating NOTIFY. */
static void
watch_end(SipWatch *w, const char *reason, guint retry_after)
{
    g_autofree char *doc = NULL;

    if (w->active && strcmp(reason, "rejected") != 0)
        doc = pidf_for(w->entity, w->user->agg);
    gw_sip_dialog_notify(w->dlg, GW_SUB_TERMINATED, 0, reason, retry_after,
                         doc ? CT_PIDF : NULL, doc);
    gw_sip_dialog_close(w->dlg);
    g_info("SIP watcher %s of %s: subscription ended (%s)", w->watcher_jid,
           w->user->bare, reason);
    watch_free(w);
}

/* Expiry: the watches in one ordered sequence under a single timer. One
 * GLib source per watch made every main-loop turn walk N sources (36 % of
 * the CPU at 10,000 watchers in the bench). */
static gint
cmp_expiry(gconstpointer a, gconstpointer b, gpointer data)
{
    const SipWatch *x = a, *y = b;

    if (x->expires_at != y->expires_at)
        return x->expires_at < y->expires_at ? -1 : 1;
    return x < y ? -1 : x > y;
}

static gboolean on_expiry(gpointer data);

static void
schedule_expiry(GwPresBridge *b)
{
    SipWatch *first;
    gint64 wait_ms;

    g_clear_handle_id(&b->expiry_id, g_source_remove);
    if (g_sequence_is_empty(b->expiries))
        return;
    first = g_sequence_get(g_sequence_get_begin_iter(b->expiries));
    wait_ms = (first->expires_at - g_get_monotonic_time()) / 1000 + 1;
    b->expiry_id = g_timeout_add((guint)CLAMP(wait_ms, 0, G_MAXINT32),
                                 on_expiry, b);
}

static gboolean
on_expiry(gpointer data)
{
    GwPresBridge *b = data;
    gint64 now = g_get_monotonic_time();

    b->expiry_id = 0;
    while (!g_sequence_is_empty(b->expiries)) {
        SipWatch *w = g_sequence_get(g_sequence_get_begin_iter(b->expiries));
        if (w->expires_at > now)
            break;
        watch_end(w, "timeout", 0); /* takes it out of the sequence */
    }
    schedule_expiry(b);
    return G_SOURCE_REMOVE;
}

static void
watch_set_expiry(SipWatch *w, guint seconds)
{
    GwPresBridge *b = w->b;

    if (w->expiry != NULL)
        g_sequence_remove(w->expiry);
    w->expires_at = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    w->expiry = g_sequence_insert_sorted(b->expiries, w, cmp_expiry, NULL);
    if (w->expiry == g_sequence_get_begin_iter(b->expiries))
        schedule_expiry(b);
}

/* The watcher unsubscribed, or a NOTIFY failed (481: it is gone). */
static void
on_watch_ended(gpointer data, int status, const char *reason,
               guint retry_after)
{
    SipWatch *w = data;

    g_info("SIP watcher %s of %s gone (%d %s)", w->watcher_jid, w->user->bare,
           status, reason ? reason : "");
    watch_free(w);
}

static const GwSipDialogFuncs watch_funcs = { NULL, on_watch_ended };

/* Asks her to let contact see her presence, only while we hold no answer
 * of hers: a request of ours that is pending, or that she answered, is
 * never sent again (her client may prompt her each time; Prosody
 * forwards a new request once she refused the last). */
static void
ask_authorization(GwPresBridge *b, const char *contact, const char *user)
{
    if (auth_get(b, contact, user) != AUTH_UNKNOWN)
        return;
    auth_set(b, contact, user, AUTH_PENDING);
    send_presence(b, contact, user, "subscribe", NULL);
}

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
        if (strcmp(t, CT_PIDF) == 0 || strcmp(t, "*/*") == 0 ||
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
    MapResult *t = map_table_lookup_sip(b->env->map, in->request_uri, NULL);

    if (t == NULL || t->kind != MAP_KIND_XMPP_USER) {
        g_clear_pointer(&t, map_result_free);
        t = map_table_lookup_sip(b->env->map, in->to_uri, NULL);
    }
    if (t != NULL && t->kind != MAP_KIND_XMPP_USER)
        g_clear_pointer(&t, map_result_free);
    return t;
}

static void
refresh_watch(GwPresBridge *b, SipWatch *w, GwSipRequest *req,
              const GwSipIncoming *in)
{
    const GwConfig *cfg = cfg_of(b);
    guint expires = in->expires < 0 ? cfg->presence.max_expires
                                    : (guint)in->expires;

    if (expires == 0) {
        gw_sip_request_respond_subscribe(req, 200, "OK", 0);
        watch_end(w, "timeout", 0);
        return;
    }
    if (expires < cfg->presence.min_expires) {
        gw_sip_request_respond_subscribe(req, 423, "Interval Too Brief",
                                         cfg->presence.min_expires);
        return;
    }
    expires = MIN(expires, cfg->presence.max_expires);
    gw_sip_request_respond_subscribe(req, 200, "OK", expires);
    watch_set_expiry(w, expires);
    watch_notify(w); /* RFC 6665 4.2.1.2: every accepted SUBSCRIBE */
}

void
gw_pres_bridge_from_sip(GwPresBridge *b, GwSipRequest *req,
                        const GwSipIncoming *in)
{
    const GwConfig *cfg = cfg_of(b);
    g_autoptr(MapResult) watcher = NULL, target = NULL;
    g_autoptr(GError) error = NULL;
    SipWatch *w;
    XmppUser *u;
    guint expires;
    gboolean refused;

    if (in->dialog_data != NULL) {
        refresh_watch(b, in->dialog_data, req, in);
        return;
    }
    if (!cfg->presence.enabled || b->stopping) {
        sip_refuse(req, in, b->stopping ? 503 : 489,
                   b->stopping ? "Gateway Shutting Down" : "Bad Event",
                   "presence is not bridged");
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
    watcher = map_table_lookup_sip(b->env->map, in->from_uri, &error);
    if (watcher == NULL || watcher->kind == MAP_KIND_XMPP_USER) {
        sip_refuse(req, in, 403, "Forbidden",
                   watcher ? "watcher claims an XMPP user's identity"
                           : error->message);
        return;
    }
    target = map_presentity(b, in);
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

    u = user_get(b, target->jid, TRUE);
    w = gw_pool_alloc0(sizeof *w);
    w->b = b;
    w->dlg = in->dialog;
    w->watcher_jid = gw_pool_strdup(watcher->jid);
    w->user = u;
    w->entity = gw_pool_strdup(target->sip_uri);
    w->active = auth_get(b, w->watcher_jid, u->bare) == AUTH_GRANTED;
    w->index = u->watches->len;
    g_ptr_array_add(u->watches, w);
    w->same_next = g_hash_table_lookup(u->by_watcher, w->watcher_jid);
    g_hash_table_replace(u->by_watcher, w->watcher_jid, w);
    b->n_watches++;
    gw_sip_dialog_bind(w->dlg, &watch_funcs, w);
    refused = auth_get(b, w->watcher_jid, u->bare) == AUTH_REFUSED;
    gw_sip_request_respond_subscribe(req, 202, "Accepted", expires);
    g_info("SIP watcher %s (%s) of %s: %s", w->watcher_jid, in->from_uri,
           u->bare, w->active ? "active"
                    : refused ? "refused by her before"
                              : "pending authorization");
    if (refused) {
        /* asking again would prompt her again (and RFC 6665 4.1.3 says
         * not to retry after "rejected"); she reopens it by subscribing
         * to the watcher's JID herself (xmpp_subscribe() asks anew) */
        watch_end(w, "rejected", 0);
        return;
    }
    if (expires == 0) {
        /* a fetch (RFC 6665 4.4.3): one NOTIFY with the state, then over */
        watch_end(w, "timeout", 0);
        return;
    }
    watch_set_expiry(w, expires);
    untold_add(w); /* if active: owed its first active NOTIFY */
    if (!w->active) {
        watch_notify(w); /* pending */
        ask_authorization(b, w->watcher_jid, u->bare);
    } else if (user_online(u)) {
        if (!u->refreshing) /* else the refresh's end tells it */
            watch_notify(w);
    } else {
        user_probe(b, u, w->watcher_jid);
    }
}

/* She has just revoked contact's subscription: does her broadcast
 * presence still reach us through another component JID? Her server
 * follows the revocation with an unavailable from each of her resources to
 * contact, directed now; if contact was the last JID she approved, nothing
 * will ever tell us her resources left. A walk over the authorizations:
 * revocations are rare (her own action). */
static gboolean
still_broadcast(GwPresBridge *b, const XmppUser *u, const char *contact)
{
    GHashTableIter it;
    gpointer k, v;

    if (u->via != NULL && strcmp(u->via, contact) != 0 &&
        is_broadcast(b, u->via, u->bare))
        return TRUE;
    g_hash_table_iter_init(&it, b->auth);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *nl = strchr(k, '\n');
        gsize len = nl != NULL ? (gsize)(nl - (const char *)k) : 0;

        if ((AuthState)GPOINTER_TO_INT(v) == AUTH_GRANTED && nl != NULL &&
            strcmp(nl + 1, u->bare) == 0 &&
            !(len == strlen(contact) && memcmp(k, contact, len) == 0))
            return TRUE;
    }
    return FALSE;
}

/* alice answered contact's subscription request. */
static void
authorization_answer(GwPresBridge *b, const char *contact, const char *user,
                     gboolean granted)
{
    XmppUser *u = user_get(b, user, FALSE);
    gboolean revoked = !granted &&
                       auth_get(b, contact, user) == AUTH_GRANTED;

    auth_set(b, contact, user, granted ? AUTH_GRANTED : AUTH_REFUSED);
    if (u == NULL) {
        if (granted)
            send_presence(b, contact, user, "probe", NULL);
        return;
    }
    if (granted)
        user_probe(b, u, contact);
    for (SipWatch *w = g_hash_table_lookup(u->by_watcher, contact), *next;
         w != NULL; w = next) {
        next = w->same_next; /* watch_end() frees w */
        if (granted && !w->active) {
            w->active = TRUE;
            untold_add(w);
            g_info("SIP watcher %s of %s: authorized", contact, user);
        } else if (!granted) {
            watch_end(w, "rejected", 0);
        }
    }
    if (revoked && user_online(u) && !still_broadcast(b, u, contact)) {
        GHashTableIter it;
        gpointer k;

        g_info("%s revoked %s, the last JID her presence came to: her "
               "resources are no longer known", user, contact);
        g_hash_table_iter_init(&it, u->resources);
        while (g_hash_table_iter_next(&it, &k, NULL))
            caps_forget(b, k);
        g_hash_table_remove_all(u->resources);
        user_update(b, u);
    }
    if (granted) {
        /* only the contact she approved: the others are as they were */
        SipContact *c = contact_get(b, contact, FALSE);
        user_flush(u);
        if (c != NULL && g_hash_table_contains(c->watchers, user)) {
            contact_ensure(c);
            if (c->last != NULL && user_online(u))
                contact_broadcast(c, user);
        }
    }
}

/* ---- B: SIP contacts watched by XMPP users ----------------------------- */

/* The watcher -> contacts index, so that a watcher's approval or coming
 * online touches only its own contacts (walking every contact made the
 * XMPP-watcher direction quadratic in the bench). */
static void
contact_add_watcher(SipContact *c, const char *watcher)
{
    GwPresBridge *b = c->b;
    GHashTable *set = g_hash_table_lookup(b->watching, watcher);

    g_hash_table_add(c->watchers, gw_pool_strdup(watcher));
    if (set == NULL) {
        set = g_hash_table_new(NULL, NULL);
        g_hash_table_insert(b->watching, g_strdup(watcher), set);
    }
    g_hash_table_add(set, c);
}

static void
index_forget(GwPresBridge *b, const char *watcher, SipContact *c)
{
    GHashTable *set = g_hash_table_lookup(b->watching, watcher);

    if (set != NULL && g_hash_table_remove(set, c) &&
        g_hash_table_size(set) == 0)
        g_hash_table_remove(b->watching, watcher);
}

static gboolean
contact_remove_watcher(SipContact *c, const char *watcher)
{
    index_forget(c->b, watcher, c);
    return g_hash_table_remove(c->watchers, watcher);
}

static SipContact *
contact_get(GwPresBridge *b, const char *jid, gboolean create)
{
    SipContact *c = g_hash_table_lookup(b->contacts, jid);
    g_autoptr(MapResult) m = NULL;

    if (c != NULL || !create)
        return c;
    if (g_hash_table_size(b->contacts) >= cfg_of(b)->presence.max_watched) {
        g_warning("watched SIP contact table full (%u); not watching %s",
                  g_hash_table_size(b->contacts), jid);
        return NULL;
    }
    m = map_table_lookup_jid(b->env->map, jid, NULL);
    if (m == NULL || m->kind == MAP_KIND_XMPP_USER)
        return NULL;
    /* long-lived: in the pool (pool.h), apart from transaction memory */
    c = gw_pool_alloc0(sizeof *c);
    c->b = b;
    c->jid = gw_pool_strdup(m->jid);
    c->sip_uri = gw_pool_strdup(m->sip_uri);
    c->watchers = g_hash_table_new_full(g_str_hash, g_str_equal,
                                        (GDestroyNotify)gw_pool_free_str,
                                        NULL);
    g_hash_table_insert(b->contacts, c->jid, c);
    return c;
}

static void
contact_free(gpointer p)
{
    SipContact *c = p;
    GHashTableIter it;
    gpointer k;

    g_clear_handle_id(&c->retry_id, g_source_remove);
    if (c->dlg != NULL)
        gw_sip_dialog_close(c->dlg);
    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL))
        index_forget(c->b, k, c);
    g_hash_table_unref(c->watchers);
    g_clear_pointer(&c->last, gw_presence_free);
    gw_pool_free_str(c->sip_uri);
    gw_pool_free_str(c->jid);
    gw_pool_free(c, sizeof *c);
}

static guint
contact_online_watchers(const SipContact *c)
{
    GHashTableIter it;
    gpointer k;
    guint n = 0;

    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (user_online(g_hash_table_lookup(c->b->users, k)))
            n++;
    return n;
}

/* Sends the contact's presence to its online watchers (or one). */
static void
contact_broadcast(SipContact *c, const char *only)
{
    GHashTableIter it;
    gpointer k;

    if (only != NULL) {
        send_presence(c->b, c->jid, only, NULL, c->last);
        return;
    }
    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (user_online(g_hash_table_lookup(c->b->users, k)))
            send_presence(c->b, c->jid, k, NULL, c->last);
}

static void
on_contact_notify(gpointer data, GwSubState state, const char *content_type,
                  const char *body, gsize len)
{
    SipContact *c = data;
    g_autoptr(GError) error = NULL;
    GwPresence *p;

    c->failures = 0;
    if (state == GW_SUB_PENDING)
        return; /* no state yet */
    if (body == NULL || len == 0) {
        /* e.g. Kamailio for an address that never published */
        p = gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
    } else if (content_type == NULL || strcmp(content_type, CT_PIDF) != 0) {
        g_warning("NOTIFY for %s with '%s', not PIDF: ignored", c->sip_uri,
                  content_type ? content_type : "no type");
        return;
    } else if (len > MAX_PIDF_BYTES) {
        g_warning("NOTIFY for %s with a %zu-byte PIDF: ignored", c->sip_uri,
                  len);
        return;
    } else if ((p = gw_pidf_parse(body, len, &error)) == NULL) {
        g_warning("NOTIFY for %s with a bad PIDF: %s: ignored", c->sip_uri,
                  error->message);
        return;
    }
    if (c->last != NULL && gw_presence_equal(c->last, p)) {
        gw_presence_free(p);
        return;
    }
    g_clear_pointer(&c->last, gw_presence_free);
    c->last = p;
    g_info("presence of %s is now %s", c->sip_uri,
           gw_show_to_string(p->show));
    contact_broadcast(c, NULL);
}

static gboolean
contact_retry(gpointer data)
{
    SipContact *c = data;

    c->retry_id = 0;
    contact_ensure(c);
    return G_SOURCE_REMOVE;
}

static void
on_contact_ended(gpointer data, int status, const char *reason,
                 guint retry_after)
{
    SipContact *c = data;
    guint delay;

    c->dlg = NULL;
    g_info("SIP subscription to %s ended (%d %s)", c->sip_uri, status,
           reason ? reason : "");
    if (c->last == NULL || c->last->show != GW_SHOW_OFFLINE) {
        g_clear_pointer(&c->last, gw_presence_free);
        c->last = gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
        contact_broadcast(c, NULL);
    }
    if (c->b->stopping || contact_online_watchers(c) == 0)
        return;
    /* RFC 6665 4.1.3: retry-after if given; otherwise back off */
    if (retry_after > 0)
        delay = retry_after;
    else if (status == 0 && reason != NULL &&
             (strcmp(reason, "deactivated") == 0 ||
              strcmp(reason, "timeout") == 0))
        delay = 1;
    else
        delay = MIN(300u, 5u << MIN(c->failures, 6u));
    c->failures++;
    g_clear_handle_id(&c->retry_id, g_source_remove);
    c->retry_id = g_timeout_add_seconds(delay, contact_retry, c);
}

static const GwSipDialogFuncs contact_funcs = { on_contact_notify,
                                                on_contact_ended };

/* Subscribe or unsubscribe at SIP as the number of online watchers says. */
static void
contact_ensure(SipContact *c)
{
    GwPresBridge *b = c->b;
    const GwConfig *cfg = cfg_of(b);
    guint online = contact_online_watchers(c);

    if (online > 0 && c->dlg == NULL && c->retry_id == 0 && !b->stopping) {
        g_autofree char *from = g_strdup_printf("sip:%s@%s",
                                                cfg->sip.username,
                                                cfg->sip.domain);
        g_info("subscribing to %s for %u XMPP watcher(s)", c->sip_uri,
               online);
        c->dlg = gw_sip_ua_subscribe(b->env->sip, from, c->sip_uri,
                                     cfg->presence.server, "presence", CT_PIDF,
                                     cfg->presence.subscribe_expires,
                                     &contact_funcs, c);
    } else if (online == 0 && c->dlg != NULL) {
        g_info("no XMPP watcher of %s online: unsubscribing", c->sip_uri);
        gw_sip_dialog_close(c->dlg);
        c->dlg = NULL;
        g_clear_pointer(&c->last, gw_presence_free);
    } else if (online == 0) {
        g_clear_handle_id(&c->retry_id, g_source_remove);
    }
}

/* A watcher came online or went offline: every contact it watches. */
static void
contact_watcher_state(GwPresBridge *b, const char *watcher)
{
    GHashTable *set = g_hash_table_lookup(b->watching, watcher);
    gboolean online = user_online(g_hash_table_lookup(b->users, watcher));
    GList *contacts;

    if (set == NULL)
        return;
    contacts = g_hash_table_get_keys(set);
    for (GList *l = contacts; l != NULL; l = l->next) {
        SipContact *c = l->data;
        contact_ensure(c);
        if (c->last != NULL && online)
            contact_broadcast(c, watcher);
    }
    g_list_free(contacts);
}

/* ---- the state file ---------------------------------------------------
 *
 * What a restart must not lose: the XMPP watchers of SIP contacts (B),
 * and her answers to our requests for her presence, so that we never ask
 * again what she answered (ask_authorization()) and tell her broadcast
 * presence from directed presence at once. One line each:
 *
 *   1001@sip.example.com alice@example.com                  (a watcher)
 *   auth 1001@sip.example.com alice@example.com granted     (or refused,
 *                                                            pending)
 *
 * Files from before have watcher lines only and read the same; an older
 * gateway reading a new file finds no SIP contact "auth" and skips those
 * lines. Served SIP subscriptions (A) are not kept (see the top). A
 * request still pending stays so, without a second one: her server keeps
 * it and offers it to her again at her next login (Prosody does), and her
 * answer comes to us then; an answer she gave while the link was down
 * was bounced to her, and is not learnt (nothing makes her server tell
 * it again).
 *
 * Writing is O(entries) and blocks the loop (formatting, then the fsync
 * of g_file_set_contents()), so the delay after a change grows with the
 * table: 0.5 s for a few entries, 10.5 s at 100,000, which keeps the
 * writes to a small share of the loop while watchers subscribe in bulk.
 * A clean stop writes at once.
 */

static const char *const auth_names[] = {
    [AUTH_UNKNOWN] = NULL, [AUTH_PENDING] = "pending",
    [AUTH_GRANTED] = "granted", [AUTH_REFUSED] = "refused",
};

static gboolean
save_state(gpointer data)
{
    GwPresBridge *b = data;
    const char *path = cfg_of(b)->presence.state_file;
    g_autoptr(GString) out = NULL;
    g_autoptr(GError) error = NULL;
    GHashTableIter it, jt;
    gpointer v, k;

    b->save_id = 0;
    if (path == NULL)
        return G_SOURCE_REMOVE;
    out = g_string_new("# xmpp-sip-gateway presence state\n"
                       "# contact watcher\n"
                       "# auth contact user granted|refused|pending\n");
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        SipContact *c = v;
        g_hash_table_iter_init(&jt, c->watchers);
        while (g_hash_table_iter_next(&jt, &k, NULL))
            g_string_append_printf(out, "%s %s\n", c->jid, (char *)k);
    }
    g_hash_table_iter_init(&it, b->auth);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *name = auth_names[GPOINTER_TO_INT(v)];
        const char *nl = strchr(k, '\n');

        if (name == NULL || nl == NULL)
            continue;
        g_string_append(out, "auth ");
        g_string_append_len(out, k, nl - (const char *)k);
        g_string_append_printf(out, " %s %s\n", nl + 1, name);
    }
    if (!g_file_set_contents(path, out->str, (gssize)out->len, &error))
        g_warning("cannot save presence state: %s", error->message);
    return G_SOURCE_REMOVE;
}

static void
schedule_save(GwPresBridge *b)
{
    guint entries;

    if (b->save_id != 0 || cfg_of(b)->presence.state_file == NULL)
        return;
    entries = g_hash_table_size(b->auth) + g_hash_table_size(b->contacts);
    b->save_id = g_timeout_add(500 + MIN(entries, 1000000u) / 10,
                               save_state, b);
}

static AuthState
auth_from_name(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(auth_names); i++)
        if (auth_names[i] != NULL && strcmp(name, auth_names[i]) == 0)
            return (AuthState)i;
    return AUTH_UNKNOWN;
}

static void
load_state(GwPresBridge *b)
{
    const char *path = cfg_of(b)->presence.state_file;
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    guint n = 0, n_auth = 0, n_bad = 0;

    if (path == NULL || !g_file_get_contents(path, &data, NULL, NULL))
        return;
    lines = g_strsplit(data, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(g_strstrip(lines[i]), " ", 4);
        guint nf = g_strv_length(f);
        SipContact *c;
        AuthState st;

        if (nf == 0 || f[0][0] == '#' || f[0][0] == '\0')
            continue;
        if (nf == 4 && strcmp(f[0], "auth") == 0 &&
            (st = auth_from_name(f[3])) != AUTH_UNKNOWN &&
            *f[1] != '\0' && *f[2] != '\0') {
            g_autofree char *k = auth_key(f[1], f[2]);
            g_hash_table_replace(b->auth, gw_pool_strdup(k),
                                 GINT_TO_POINTER(st));
            n_auth++;
        } else if (nf == 2 && *f[1] != '\0' &&
                   (c = contact_get(b, f[0], TRUE)) != NULL) {
            contact_add_watcher(c, f[1]);
            n++;
        } else {
            n_bad++;
        }
    }
    if (n_bad > 0)
        g_warning("presence state %s: %u line(s) not understood, skipped",
                  path, n_bad);
    g_message("presence: %u XMPP watcher(s) of SIP contacts and %u "
              "authorization(s) restored from %s", n, n_auth, path);
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

/* ---- directed presence (A) --------------------------------------------
 *
 * Her presence reaches us one stanza per component JID. Her server sends
 * her broadcast presence to each contact she has approved (RFC 6121
 * 4.4.2); anything else was directed at that one contact (RFC 6121 4.6)
 * and says nothing of what the others see. The authorization we hold for
 * (that contact, her) tells which it is:
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
 * for the refresh after link up (below). When she revokes a contact's
 * subscription, her server follows the "unsubscribed" with an unavailable
 * from each resource to that contact (RFC 6121 3.2.2): directed too, as
 * the contact is refused by then; if it was the last JID her broadcast
 * came to, authorization_answer() forgets her resources.
 *
 *   to 1004 (pending):  <presence type=unavailable from=alice>  nothing
 *                       <presence from=alice/phone>  phone in u->directed
 *   to 1001 (granted):  <presence from=alice/phone>  phone in
 *                       u->resources, out of u->directed; aggregate
 */

static Resource *
resource_new(GwPresBridge *b, xmpp_stanza_t *p)
{
    Resource *r = g_new0(Resource, 1);

    r->pres = presence_from_stanza(p, &r->priority);
    r->seq = ++b->seq;
    r->gen = b->gen; /* confirmed, for a refresh running */
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

static void
directed_update(GwPresBridge *b, const char *full, const char *bare,
                const char *to, xmpp_stanza_t *p, gboolean available)
{
    XmppUser *u;
    Resource *r;

    if (!available && strcmp(full, bare) == 0)
        return; /* an acknowledgement, not about her clients */
    if ((u = user_get(b, bare, available)) == NULL)
        return;
    if ((r = g_hash_table_lookup(u->resources, full)) != NULL) {
        /* listed by her broadcast presence, which alone says its state;
         * but it is alive */
        if (available && r->gen != b->gen) {
            r->gen = b->gen;
            if (u->refreshing && user_confirmed(b, u))
                user_update(b, u);
        }
        return;
    }
    if (available) {
        /* XEP-0115: what the client can do, for the call bridge */
        if (b->caps != NULL)
            gw_caps_presence(b->caps, full, to, p);
        if (u->directed == NULL)
            u->directed = g_hash_table_new_full(g_str_hash, g_str_equal,
                                                g_free, resource_free);
        g_hash_table_replace(u->directed, g_strdup(full), resource_new(b, p));
        g_debug("directed presence of %s to %s: not her presence to others",
                full, to);
    } else if (u->directed != NULL &&
               g_hash_table_contains(u->directed, full)) {
        directed_remove(u, full);
        caps_forget(b, full);
    }
}

/* Her broadcast presence: to: the component JID it was addressed to
 * (caps queries go out from it). */
static void
broadcast_update(GwPresBridge *b, const char *full, const char *bare,
                 const char *to, xmpp_stanza_t *p, gboolean available)
{
    XmppUser *u = user_get(b, bare, available);

    /* XEP-0115: what her clients can do, for the call bridge */
    if (available && b->caps != NULL)
        gw_caps_presence(b->caps, full, to, p);
    if (u == NULL) {
        if (!available)
            caps_forget(b, full);
        return;
    }
    if (available) {
        g_hash_table_replace(u->resources, g_strdup(full), resource_new(b, p));
        directed_remove(u, full);
        g_free(u->via);
        u->via = map_jid_bare(to, NULL);
    } else if (strcmp(full, bare) == 0) {
        /* her server lists no available resource: those known only
         * through directed presence stay until their own unavailable */
        GHashTableIter it;
        gpointer k;

        if (u->directed == NULL) {
            caps_forget(b, bare);
        } else {
            g_hash_table_iter_init(&it, u->resources);
            while (g_hash_table_iter_next(&it, &k, NULL))
                caps_forget(b, k);
        }
        g_hash_table_remove_all(u->resources);
    } else {
        caps_forget(b, full);
        g_hash_table_remove(u->resources, full);
        directed_remove(u, full);
    }
    user_update(b, u);
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
add_resources(GwPresBridge *b, GHashTable *table, gboolean refreshing,
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
        pr->unconfirmed = refreshing && r->gen != b->gen;
        pr->caps = b->caps != NULL
                       ? gw_caps_lookup(b->caps, k, &pr->features)
                       : GW_CAPS_UNKNOWN;
        g_ptr_array_add(out, pr);
    }
}

/* Her clients seen through directed presence are hers too (README: the
 * gateway sees her clients through a subscription or directed presence). */
GPtrArray *
gw_pres_bridge_get_resources(GwPresBridge *b, const char *bare)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(
        (GDestroyNotify)gw_pres_resource_free);
    XmppUser *u = user_get(b, bare, FALSE);

    if (u == NULL)
        return out;
    add_resources(b, u->resources, u->refreshing, out);
    /* no probe confirms these: a refresh runs while its grace does */
    if (u->directed != NULL)
        add_resources(b, u->directed, b->refresh_id != 0, out);
    g_ptr_array_sort(out, cmp_resource);
    return out;
}

static void
xmpp_subscribe(GwPresBridge *b, const char *contact_jid, const char *user)
{
    const GwConfig *cfg = cfg_of(b);
    SipContact *c = NULL;

    if (cfg->presence.enabled && gw_config_allows_watcher(cfg, user))
        c = contact_get(b, contact_jid, TRUE);
    if (c == NULL) {
        g_info("presence subscription of %s to %s refused", user,
               contact_jid);
        send_presence(b, contact_jid, user, "unsubscribed", NULL);
        return;
    }
    /* a new subscription of hers, not a client re-sending its request
     * for one we approved: her fresh request reopens a refused one of
     * ours (she cannot approve it otherwise: servers route a
     * "subscribed" only in answer to a pending request) */
    if (!g_hash_table_contains(c->watchers, user) &&
        auth_get(b, c->jid, user) == AUTH_REFUSED)
        auth_set(b, c->jid, user, AUTH_UNKNOWN);
    contact_add_watcher(c, user);
    schedule_save(b);
    send_presence(b, c->jid, user, "subscribed", NULL);
    g_info("%s now watches %s", user, c->sip_uri);
    /* learn when she is online: subscribe back (XEP-0100 style) */
    if (auth_get(b, c->jid, user) == AUTH_GRANTED)
        send_presence(b, c->jid, user, "probe", NULL);
    else
        ask_authorization(b, c->jid, user);
    if (c->last != NULL)
        contact_broadcast(c, user);
    contact_ensure(c);
}

static void
xmpp_unsubscribe(GwPresBridge *b, const char *contact_jid, const char *user)
{
    SipContact *c = contact_get(b, contact_jid, FALSE);

    if (c == NULL || !contact_remove_watcher(c, user))
        return;
    schedule_save(b);
    send_presence(b, c->jid, user, "unavailable", NULL);
    g_info("%s no longer watches %s", user, c->sip_uri);
    if (g_hash_table_size(c->watchers) == 0)
        g_hash_table_remove(b->contacts, c->jid); /* closes the dialog */
    else
        contact_ensure(c);
}

static void
xmpp_probe(GwPresBridge *b, const char *contact_jid, const char *user)
{
    SipContact *c = contact_get(b, contact_jid, FALSE);

    if (c == NULL || !g_hash_table_contains(c->watchers, user)) {
        /* a roster entry from before a lost state file: re-approve by
         * policy, never silently cut a subscription we may have granted */
        if (!gw_config_allows_watcher(cfg_of(b), user)) {
            send_presence(b, contact_jid, user, "unsubscribed", NULL);
            return;
        }
        c = contact_get(b, contact_jid, TRUE);
        if (c == NULL)
            return;
        contact_add_watcher(c, user);
        schedule_save(b);
    }
    /* probes come when she logs in: her presence follows if we hold her
     * approval; ask for it if we hold no answer (once: not at each login) */
    ask_authorization(b, c->jid, user);
    send_presence(b, c->jid, user, NULL, c->last);
    contact_ensure(c);
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
         * approved, or directed to it (see "directed presence") */
        if (b->stopping)
            return;
        if (is_broadcast(b, to_bare, from_bare))
            broadcast_update(b, from, from_bare, to, p, type == NULL);
        else
            directed_update(b, from, from_bare, to, p, type == NULL);
    } else if (strcmp(type, "subscribe") == 0) {
        xmpp_subscribe(b, to_bare, from_bare);
    } else if (strcmp(type, "unsubscribe") == 0) {
        xmpp_unsubscribe(b, to_bare, from_bare);
    } else if (strcmp(type, "subscribed") == 0) {
        authorization_answer(b, to_bare, from_bare, TRUE);
    } else if (strcmp(type, "unsubscribed") == 0) {
        authorization_answer(b, to_bare, from_bare, FALSE);
    } else if (strcmp(type, "probe") == 0) {
        xmpp_probe(b, to_bare, from_bare);
    } else if (strcmp(type, "error") == 0) {
        g_info("presence error from %s to %s", from, to);
        if (auth_get(b, to_bare, from_bare) == AUTH_PENDING)
            auth_set(b, to_bare, from_bare, AUTH_UNKNOWN);
    }
}

/* ---- life cycle -------------------------------------------------------- */

/* The component JID that probes u at link up: a SIP watcher she
 * approved; else NULL when the B loop probes her already (she watches SIP
 * contacts); else one she granted a subscription to in our sight; else
 * the one her presence came to (she approved it before this process
 * started, most likely: the server broadcasts to subscribers), unless we
 * asked her for approval from it and have no answer or a refusal. */
static const char *
probe_source(GwPresBridge *b, XmppUser *u, GHashTable *granted,
             gboolean *by_b)
{
    const char *from;
    AuthState via_auth;

    for (guint i = 0; i < u->watches->len; i++) {
        SipWatch *w = g_ptr_array_index(u->watches, i);
        if (w->active)
            return w->watcher_jid;
    }
    *by_b = g_hash_table_contains(b->watching, u->bare);
    if (*by_b)
        return NULL;
    if ((from = g_hash_table_lookup(granted, u->bare)) != NULL ||
        u->via == NULL)
        return from;
    via_auth = auth_get(b, u->via, u->bare);
    return via_auth == AUTH_GRANTED || via_auth == AUTH_UNKNOWN ? u->via
                                                                : NULL;
}

/* Probes everyone whose presence we need or hold, and starts the refresh
 * (above). A probe from a component JID she has not approved gets
 * "unsubscribed" (RFC 6121 4.3.2; Prosody does so), which reads as a
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
    GHashTableIter it, jt;
    gpointer v, k;
    g_autoptr(GHashTable) granted = granted_contacts(b);
    guint n_refresh = 0, n_blind = 0, n_directed = 0;

    b->gen++;
    /* B: are the watchers online? their presence answers the probe; not
     * from a contact with our request pending or refused: the answer
     * would be "unsubscribed" (see above), and she sends it no presence */
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        SipContact *c = v;
        g_hash_table_iter_init(&jt, c->watchers);
        while (g_hash_table_iter_next(&jt, &k, NULL))
            if (is_broadcast(b, c->jid, k))
                send_presence(b, c->jid, k, "probe", NULL);
    }
    /* A: fresh state of watched users, and of every user we hold
     * resources of */
    g_hash_table_iter_init(&it, b->users);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        XmppUser *u = v;
        gboolean by_b = FALSE;
        const char *from = probe_source(b, u, granted, &by_b);

        if (from != NULL)
            send_presence(b, from, u->bare, "probe", NULL);
        if (u->directed != NULL)
            n_directed++; /* dropped at the grace's end unless confirmed */
        if (!user_online(u))
            continue;
        u->refreshing = TRUE;
        n_refresh++;
        if (from == NULL && !by_b) {
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
        g_clear_handle_id(&b->refresh_id, g_source_remove);
        b->refresh_id = g_timeout_add(REFRESH_GRACE_MS, on_refresh_end, b);
    }
}

void
gw_pres_bridge_shutdown(GwPresBridge *b)
{
    GHashTableIter it;
    gpointer v;

    b->stopping = TRUE;
    g_clear_handle_id(&b->refresh_id, g_source_remove);
    g_hash_table_iter_init(&it, b->users);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        XmppUser *u = v;
        while (u->watches->len > 0)
            watch_end(g_ptr_array_index(u->watches, 0), "probation", 30);
        if (u->pub != NULL) {
            gw_sip_publication_remove(u->pub);
            u->pub = NULL;
        }
    }
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        SipContact *c = v;
        g_clear_handle_id(&c->retry_id, g_source_remove);
        if (c->dlg != NULL) {
            gw_sip_dialog_close(c->dlg);
            c->dlg = NULL;
        }
        /* the contact's presence is unknown while we are away */
        if (c->last != NULL && c->last->show != GW_SHOW_OFFLINE) {
            g_clear_pointer(&c->last, gw_presence_free);
            contact_broadcast(c, NULL);
        }
    }
    if (b->save_id != 0) {
        g_clear_handle_id(&b->save_id, g_source_remove);
        save_state(b);
    }
}

GwPresBridge *
gw_pres_bridge_new(const GwBridgeEnv *env, GwCaps *caps,
                   const char *caps_ver)
{
    GwPresBridge *b = g_new0(GwPresBridge, 1);

    b->env = env;
    b->caps = caps;
    b->caps_ver = caps_ver;
    b->users = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, user_free);
    b->contacts = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                        contact_free);
    b->auth = g_hash_table_new_full(g_str_hash, g_str_equal,
                                    (GDestroyNotify)gw_pool_free_str, NULL);
    b->watching = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_hash_table_unref);
    b->expiries = g_sequence_new(NULL);
    g_queue_init(&b->notify_queue);
    load_state(b);
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
    g_clear_handle_id(&b->refresh_id, g_source_remove);
    /* watches left (stop without shutdown): drop them quietly */
    g_hash_table_iter_init(&it, b->users);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        XmppUser *u = v;
        while (u->watches->len > 0) {
            SipWatch *w = g_ptr_array_index(u->watches, 0);
            gw_sip_dialog_close(w->dlg);
            watch_free(w);
        }
    }
    g_hash_table_unref(b->contacts);
    g_hash_table_unref(b->users);
    g_hash_table_unref(b->auth);
    g_hash_table_unref(b->watching); /* after the contacts that use it */
    g_clear_handle_id(&b->expiry_id, g_source_remove);
    g_sequence_free(b->expiries);
    g_assert(g_queue_is_empty(&b->notify_queue));
    g_clear_handle_id(&b->notify_id, g_source_remove);
    g_clear_handle_id(&b->guard_id, g_source_remove);
    g_free(b);
}

void
gw_pres_bridge_get_stats(const GwPresBridge *b, GwPresStats *stats)
{
    GHashTableIter it;
    gpointer v;

    *stats = b->stats;
    stats->sip_watchers = b->n_watches;
    stats->xmpp_users = g_hash_table_size(b->users);
    stats->contacts = g_hash_table_size(b->contacts);
    stats->sip_subscriptions = 0;
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (((SipContact *)v)->dlg != NULL)
            stats->sip_subscriptions++;
}
