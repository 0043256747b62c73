/* gateway/bridge/presence_watchers.c: A. SIP watchers of XMPP users
 * (sip:1001@pbx watches alice@example.com).
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
 *   state_file, presence_state.c).
 *   Restart: served subscriptions are not kept; a refresh after a restart
 *   gets 481 (no such dialog) and RFC 6665 4.1.2.2 has the watcher
 *   subscribe anew. A clean stop first ends each with
 *   terminated;reason=probation;retry-after=30 (RFC 6665 4.1.3).
 *
 * Her presence (resources, aggregate, the refresh after link up) is the
 * directory's (xmpp_directory.c); her answers are presence_state.c's.
 */
#define G_LOG_DOMAIN "gw-pres"

#include "metrics.h"
#include "presence_private.h"

#include <string.h>

#include "pool.h"

/* ---- the watch state machine -------------------------------------------
 *
 * One per served SUBSCRIBE dialog. Her authorization itself is kept per
 * (watcher JID, her JID) apart (GwPresAuth, presence_state.c): it outlives
 * the dialogs, and one answer moves every watch of that pair.
 *
 *            new SUBSCRIBE, answered 202
 *                        |
 *                        v
 *                       NEW --- she refused before -----------------+
 *                     /     \                                       |
 *    no answer of hers       she approved before                    |
 *                   v         v                                     |
 *     ("pending")  PENDING --she approves--> UNTOLD ----------------+
 *                   |                         |   (a fetch; or      |
 *                   |                         |   ended before      |
 *                   |     first active NOTIFY |   her state told)   |
 *                   |                         v                     v
 *                   |                       ACTIVE ---------------> ENDED
 *                   |                (a NOTIFY per change)          ^
 *                   +-----------------------------------------------+
 *
 *   PENDING  waiting for her authorization: told "pending"
 *   UNTOLD   authorized, no active NOTIFY sent yet: waits for her state
 *            (a probe's answer, the refresh after link up) in her untold
 *            list, or for its turn in the NOTIFY queue
 *   ACTIVE   told her state; each change of her aggregate queues it
 *   ENDED    she refused or revoked (rejected), expiry or Expires: 0
 *            (timeout), shutdown (probation), or the watcher is gone
 *            (un-SUBSCRIBE, a NOTIFY answered 481...)
 *
 * A SUBSCRIBE with Expires: 0 (a fetch, RFC 6665 4.4.3) passes through
 * PENDING or UNTOLD to ENDED at once.
 *
 * Two memberships ride on one intrusive link, as they never overlap: the
 * bridge's NOTIFY queue (`queued`: an active NOTIFY is owed), and her
 * untold list, which holds exactly her UNTOLD watches not queued. The
 * link's place follows from the state and `queued` (list_of()); enter()
 * and set_queued() move it, nothing else touches it.
 */
typedef enum {
    WATCH_NEW,     /* just made (zeroed memory): nothing sent yet */
    WATCH_PENDING,
    WATCH_UNTOLD,
    WATCH_ACTIVE,
    WATCH_ENDED,
} WatchState;

static const char *const watch_state_names[] = {
    [WATCH_NEW] = "NEW",       [WATCH_PENDING] = "PENDING",
    [WATCH_UNTOLD] = "UNTOLD", [WATCH_ACTIVE] = "ACTIVE",
    [WATCH_ENDED] = "ENDED",
};

#define TO(s) (1u << (s))
static const guint8 watch_transitions[] = {
    [WATCH_NEW] = TO(WATCH_PENDING) | TO(WATCH_UNTOLD) | TO(WATCH_ENDED),
    [WATCH_PENDING] = TO(WATCH_UNTOLD) | TO(WATCH_ENDED),
    [WATCH_UNTOLD] = TO(WATCH_ACTIVE) | TO(WATCH_ENDED),
    [WATCH_ACTIVE] = TO(WATCH_ENDED),
    [WATCH_ENDED] = 0,
};

typedef struct SipWatch SipWatch;

struct SipWatch {
    GwPresBridge *b;
    GwSipDialog *dlg;
    char *watcher_jid; /* 1001@component */
    GwPresUser *user;
    char *entity; /* sip:alice@gw: the presentity */
    GSequenceIter *expiry; /* in the bridge's expiry order */
    gint64 expires_at; /* monotonic, us */
    GList link;        /* in list_of(this), data == this */
    SipWatch *same_next; /* the next watch of the same watcher JID */
    guint index;         /* in user->watches */
    guint8 state;        /* WatchState */
    guint8 queued;       /* in the bridge's NOTIFY queue */
};
/* 100,000 of them are in the memory budget (tests/bench/bench_presence.py):
 * one 96-byte pool slot each (pool.h: 32-byte classes), 160 before the
 * states replaced four booleans and the second link */
G_STATIC_ASSERT(sizeof(SipWatch) <= 96);

static const GwSipDialogFuncs watch_funcs;

/* The list the watch's link is in, or NULL. */
static GQueue *
list_of(SipWatch *w)
{
    if (w->queued)
        return &w->b->notify_queue;
    if (w->state == WATCH_UNTOLD)
        return &w->user->untold;
    return NULL;
}

/* After a change of state or `queued`: the link follows (to the tail). */
static void
relink(SipWatch *w, GQueue *before)
{
    GQueue *after = list_of(w);

    if (after == before)
        return;
    if (before != NULL)
        g_queue_unlink(before, &w->link);
    if (after != NULL) {
        w->link.data = w;
        g_queue_push_tail_link(after, &w->link);
    }
}

static void
set_queued(SipWatch *w, gboolean queued)
{
    GQueue *before = list_of(w);

    w->queued = queued;
    relink(w, before);
}

static gboolean
is_authorized(const SipWatch *w)
{
    return w->state == WATCH_UNTOLD || w->state == WATCH_ACTIVE;
}

/* The one place a watch changes state; why: for the log. */
static void
enter(SipWatch *w, WatchState to, const char *why)
{
    WatchState from = (WatchState)w->state;
    GQueue *before = list_of(w);

    if (!(watch_transitions[from] & TO(to))) {
        g_critical("SIP watch %s of %s: %s -> %s is not a transition (%s)",
                   w->watcher_jid, w->user->bare, watch_state_names[from],
                   watch_state_names[to], why);
        return;
    }
    w->state = to;
    if (to == WATCH_ENDED)
        w->queued = FALSE;
    relink(w, before);
    g_debug("SIP watch %s of %s: %s -> %s (%s)", w->watcher_jid,
            w->user->bare, watch_state_names[from], watch_state_names[to],
            why);
}

/* ---- small helpers ----------------------------------------------------- */

static const GwPresence *
agg_of(const GwPresUser *u)
{
    return gw_xmpp_directory_peek_aggregate(u->b->dir, u->bare);
}

/* Her state is about to be learnt (a probe's answer, or the refresh
 * after link up): first active NOTIFYs wait. */
static gboolean
user_waiting(const GwPresUser *u)
{
    return u->probe_id != 0 ||
           gw_xmpp_directory_is_refreshing(u->b->dir, u->bare);
}

static guint
watch_remaining(const SipWatch *w)
{
    gint64 left = (w->expires_at - g_get_monotonic_time()) / G_USEC_PER_SEC;
    return left > 0 ? (guint)left : 0;
}

/* ---- the NOTIFY queue -------------------------------------------------
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
 * ENDED takes a watch out.
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

/* A NOTIFY with her current state (or "pending"); out of the queue. */
static void
watch_notify(SipWatch *w)
{
    g_autofree char *doc = NULL;

    set_queued(w, FALSE); /* it gets the current state now */
    if (w->state == WATCH_PENDING) {
        gw_sip_dialog_notify(w->dlg, GW_SUB_PENDING, watch_remaining(w), NULL,
                             0, NULL, NULL);
    } else {
        g_assert(is_authorized(w));
        doc = gw_pres_pidf_for(w->entity, agg_of(w->user));
        gw_sip_dialog_notify(w->dlg, GW_SUB_ACTIVE, watch_remaining(w), NULL,
                             0, GW_PRES_CT_PIDF, doc);
        if (w->state == WATCH_UNTOLD)
            enter(w, WATCH_ACTIVE, "told her state");
    }
    w->b->stats.notifies_sent++;
    gw_metrics.notify_sent++;
}

static void
drain_batch(GwPresBridge *b)
{
    for (guint n = 0; n < NOTIFY_BATCH && b->notify_queue.head != NULL; n++) {
        SipWatch *w = b->notify_queue.head->data;

        /* a first active NOTIFY still waits for the probe's answer:
         * gw_pres_user_flush() queues it again then */
        if (w->state == WATCH_ACTIVE || !user_waiting(w->user))
            watch_notify(w);
        else
            set_queued(w, FALSE); /* back in her untold list */
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

/* w (authorized) owes an active NOTIFY with the user's then current
 * state. */
static void
watch_queue(SipWatch *w)
{
    GwPresBridge *b = w->b;

    g_assert(is_authorized(w));
    if (w->queued || b->stopping)
        return;
    set_queued(w, TRUE); /* out of her untold list */
    if (b->notify_id == 0) {
        b->notify_id = g_idle_add_full(NOTIFY_PRIORITY, on_drain, b, NULL);
        b->drained = FALSE;
        b->guard_id = g_timeout_add(NOTIFY_GUARD_MS, on_drain_guard, b);
    }
}

/* ---- her record -------------------------------------------------------- */

GwPresUser *
gw_pres_user_get(GwPresBridge *b, const char *bare, gboolean create)
{
    GwPresUser *u = g_hash_table_lookup(b->users, bare);

    if (u == NULL && create) {
        u = g_new0(GwPresUser, 1);
        u->b = b;
        u->bare = g_strdup(bare);
        u->watches = g_ptr_array_new();
        u->by_watcher = g_hash_table_new(g_str_hash, g_str_equal);
        g_queue_init(&u->untold);
        g_hash_table_insert(b->users, u->bare, u);
        gw_xmpp_directory_track(b->dir, bare); /* link up probes her */
    }
    return u;
}

void
gw_pres_user_free(gpointer p)
{
    GwPresUser *u = p;

    g_assert(u->watches->len == 0);
    if (u->pub != NULL)
        gw_sip_publication_remove(u->pub);
    g_free(u->pub_entity);
    g_clear_handle_id(&u->probe_id, g_source_remove);
    g_ptr_array_unref(u->watches);
    g_hash_table_unref(u->by_watcher);
    g_free(u->bare);
    g_free(u);
}

/* Her UNTOLD watches: tell them now that her state is known (or after
 * the wait for a probe's answer). */
void
gw_pres_user_flush(GwPresUser *u)
{
    if (u->b->stopping || user_waiting(u))
        return;
    while (u->untold.head != NULL)
        watch_queue(u->untold.head->data); /* takes it out of untold */
}

void
gw_pres_user_changed(GwPresUser *u)
{
    for (guint i = 0; i < u->watches->len; i++) {
        SipWatch *w = g_ptr_array_index(u->watches, i);
        if (is_authorized(w))
            watch_queue(w); /* the UNTOLD ones too: no flush */
    }
}

const char *
gw_pres_user_peek_authorized(const GwPresUser *u)
{
    for (guint i = 0; i < u->watches->len; i++) {
        const SipWatch *w = g_ptr_array_index(u->watches, i);
        if (is_authorized(w))
            return w->watcher_jid;
    }
    return NULL;
}

static gboolean
probe_timeout(gpointer data)
{
    GwPresUser *u = data;

    u->probe_id = 0;
    gw_pres_user_flush(u);
    return G_SOURCE_REMOVE;
}

/* The first active NOTIFY waits for the answer (at most 2 s), so a
 * watcher never sees a false "closed" first. */
void
gw_pres_user_probe(GwPresBridge *b, const char *bare, const char *from)
{
    GwPresUser *u = gw_pres_user_get(b, bare, FALSE);

    gw_pres_send_presence(b, from, bare, "probe", NULL);
    if (u != NULL && u->probe_id == 0 &&
        !gw_xmpp_directory_is_online(b->dir, bare))
        u->probe_id = g_timeout_add(2000, probe_timeout, u);
}

/* ---- ending, expiry ---------------------------------------------------- */

static void
watch_free(SipWatch *w)
{
    GwPresBridge *b = w->b;
    GwPresUser *u = w->user;
    SipWatch *head = g_hash_table_lookup(u->by_watcher, w->watcher_jid);

    g_assert(w->state == WATCH_ENDED && !w->queued); /* out of the lists */
    if (w->expiry != NULL)
        g_sequence_remove(w->expiry); /* the timer copes with a stale head */
    if (head == w) {
        if (w->same_next != NULL) /* the key string is w's: replace */
            g_hash_table_replace(u->by_watcher, w->same_next->watcher_jid,
                                 w->same_next);
        else
            g_hash_table_remove(u->by_watcher, w->watcher_jid);
    } else {
        for (SipWatch *x = head; x != NULL; x = x->same_next)
            if (x->same_next == w) {
                x->same_next = w->same_next;
                break;
            }
    }
    /* swap-remove: 100,000 watches of one user ended one by one must not
     * be quadratic */
    g_ptr_array_remove_index_fast(u->watches, w->index);
    if (w->index < u->watches->len)
        ((SipWatch *)g_ptr_array_index(u->watches, w->index))->index =
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

    if (is_authorized(w) && strcmp(reason, "rejected") != 0)
        doc = gw_pres_pidf_for(w->entity, agg_of(w->user));
    gw_sip_dialog_notify(w->dlg, GW_SUB_TERMINATED, 0, reason, retry_after,
                         doc ? GW_PRES_CT_PIDF : NULL, doc);
    gw_sip_dialog_close(w->dlg);
    g_info("SIP watcher %s of %s: subscription ended (%s)", w->watcher_jid,
           w->user->bare, reason);
    enter(w, WATCH_ENDED, reason);
    watch_free(w);
}

void
gw_pres_watches_end_all(GwPresUser *u, const char *reason, guint retry_after)
{
    while (u->watches->len > 0) {
        SipWatch *w = g_ptr_array_index(u->watches, 0);

        if (reason != NULL) {
            watch_end(w, reason, retry_after);
            continue;
        }
        gw_sip_dialog_close(w->dlg);
        enter(w, WATCH_ENDED, "dropped: the bridge goes");
        watch_free(w);
    }
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
    enter(w, WATCH_ENDED, "the watcher is gone");
    watch_free(w);
}

static const GwSipDialogFuncs watch_funcs = { NULL, on_watch_ended };

/* ---- her answers ------------------------------------------------------- */

void
gw_pres_watches_answer(GwPresUser *u, const char *watcher, gboolean granted)
{
    for (SipWatch *w = g_hash_table_lookup(u->by_watcher, watcher), *next;
         w != NULL; w = next) {
        next = w->same_next; /* watch_end() frees w */
        if (granted && w->state == WATCH_PENDING) {
            enter(w, WATCH_UNTOLD, "she approved");
            g_info("SIP watcher %s of %s: authorized", watcher, u->bare);
        } else if (!granted) {
            watch_end(w, "rejected", 0);
        }
    }
}

/* ---- SUBSCRIBE in ------------------------------------------------------ */

void
gw_pres_watch_refresh(gpointer watch, GwSipRequest *req,
                      const GwSipIncoming *in)
{
    SipWatch *w = watch;
    const GwConfig *cfg = w->b->env->config;
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
gw_pres_watch_start(GwPresUser *u, GwSipRequest *req, const GwSipIncoming *in,
                    const char *watcher, const char *entity, guint expires)
{
    GwPresBridge *b = u->b;
    GwPresAuth auth = gw_pres_auth_get(b, watcher, u->bare);
    SipWatch *w = gw_pool_alloc0(sizeof *w); /* WATCH_NEW */

    w->b = b;
    w->dlg = in->dialog;
    w->watcher_jid = gw_pool_strdup(watcher);
    w->user = u;
    w->entity = gw_pool_strdup(entity);
    w->index = u->watches->len;
    g_ptr_array_add(u->watches, w);
    w->same_next = g_hash_table_lookup(u->by_watcher, w->watcher_jid);
    g_hash_table_replace(u->by_watcher, w->watcher_jid, w);
    b->n_watches++;
    gw_sip_dialog_bind(w->dlg, &watch_funcs, w);
    gw_sip_request_respond_subscribe(req, 202, "Accepted", expires);
    g_info("SIP watcher %s (%s) of %s: %s", w->watcher_jid, in->from_uri,
           u->bare, auth == GW_PRES_AUTH_GRANTED   ? "active"
                    : auth == GW_PRES_AUTH_REFUSED ? "refused by her before"
                                                   : "pending authorization");
    if (auth == GW_PRES_AUTH_REFUSED) {
        /* asking again would prompt her again (and RFC 6665 4.1.3 says
         * not to retry after "rejected"); she reopens it by subscribing
         * to the watcher's JID herself (gw_pres_contact_subscribe() asks
         * anew) */
        watch_end(w, "rejected", 0);
        return;
    }
    if (auth == GW_PRES_AUTH_GRANTED)
        enter(w, WATCH_UNTOLD, "she approved before");
    else
        enter(w, WATCH_PENDING, "no answer of hers");
    if (expires == 0) {
        /* a fetch (RFC 6665 4.4.3): one NOTIFY with the state, then over */
        watch_end(w, "timeout", 0);
        return;
    }
    watch_set_expiry(w, expires);
    if (w->state == WATCH_PENDING) {
        watch_notify(w); /* pending */
        gw_pres_ask_authorization(b, w->watcher_jid, u->bare);
    } else if (gw_xmpp_directory_is_online(b->dir, u->bare)) {
        /* else the refresh's end tells it */
        if (!gw_xmpp_directory_is_refreshing(b->dir, u->bare))
            watch_notify(w);
    } else {
        gw_pres_user_probe(b, u->bare, w->watcher_jid);
    }
}

void
gw_pres_watches_describe(GwPresUser *u, GPtrArray *out)
{
    gint64 now = g_get_monotonic_time();

    for (guint i = 0; i < u->watches->len; i++) {
        const SipWatch *w = g_ptr_array_index(u->watches, i);
        g_ptr_array_add(out, g_strdup_printf(
            "SIP watcher %s of %s: %s, %" G_GINT64_FORMAT " s left", w->watcher_jid,
            u->bare, watch_state_names[w->state],
            MAX(0, (w->expires_at - now) / G_USEC_PER_SEC)));
    }
}
