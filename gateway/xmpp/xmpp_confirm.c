/* gateway/xmpp/xmpp_confirm.c: the confirmation barriers of the component
 * link, behind gw_xmpp_link_send_confirmed() (xmpp_link_private.h says
 * what each half of the link does).
 *
 * Written is not taken: the server may still bounce a stanza, and what the
 * kernel holds dies with the connection. A stanza sent with
 * gw_xmpp_link_send_confirmed() is confirmed only when the server answers
 * a XEP-0199 ping to the stanza's domain written after it. The server
 * handles a stream in order (Prosody: one session, one stanza at a time;
 * ejabberd: one process per component connection, whose routing of a
 * stanza to a local user or to the s2s connection is done before it reads
 * the next one), so the answer comes after the stanza was routed and after
 * any error the server (or, over s2s, the remote server, whose answers
 * come back on one connection in order) returned for it while routing.
 * Errors that come later (a client that bounces it, a session that dies
 * with it unsent) are not covered. Batching: at most one ping in flight
 * per domain; stanzas queued meanwhile wait for the next, written in the
 * dispatch that reads the answer, or PING_GAP_US after the last ping if
 * that is later. So at low rates a ping and its answer go with every
 * stanza, under load one per batch of what queued during a round trip or
 * PING_GAP_US, whichever is longer. Answers to our pings (result or error
 * alike) never reach the stanza handler.
 *
 *   message A, B   ping#1 (covers A, B)   message C   <- answer #1: A, B
 *   confirmed;  ping#2 (covers C)  ...  <- answer #2: C confirmed
 *
 * Each waiting stanza has a deadline ([xmpp] confirm_timeout_ms, checked
 * every 0.1 s while any waits); a ping unanswered by then is given up so
 * that the stanzas behind it get a new one. A lost stream fails every
 * stanza not yet confirmed.
 *
 * Each waiter runs its callback exactly once, from the main loop; queues
 * are detached before callbacks run, since a callback may send again.
 */
#define G_LOG_DOMAIN "gw-xmpp"

#include "xmpp_link_private.h"

#include <string.h>

#include "stanza.h"

/* A stanza awaiting confirmation. */
typedef struct {
    GList node;      /* in its barrier's covered or waiting queue */
    gint64 deadline; /* monotonic, us */
    GwXmppConfirmFunc func;
    gpointer data;
} Waiter;

/* The confirmation state of one destination domain. */
typedef struct {
    char *domain;   /* the key in GwXmppConfirm.barriers */
    GQueue covered; /* Waiter: written before the ping in flight */
    GQueue waiting; /* Waiter: queued after it, or while none is in flight */
    char *ping_id;  /* the ping in flight, or NULL */
    gint64 ping_deadline;
    gint64 last_ping; /* when the last one was written (monotonic, us) */
    gboolean ready;   /* in GwXmppConfirm.ready: a ping to write */
} Barrier;

/* Domains compare ASCII case-insensitively (RFC 7622 3.2: DNS labels). */
static guint
domain_hash(gconstpointer key)
{
    guint h = 5381;

    for (const char *p = key; *p != '\0'; p++)
        h = h * 33 + (guchar)g_ascii_tolower(*p);
    return h;
}

static gboolean
domain_equal(gconstpointer a, gconstpointer b)
{
    return g_ascii_strcasecmp(a, b) == 0;
}

static void
barrier_free(Barrier *b)
{
    g_free(b->domain);
    g_free(b->ping_id);
    g_free(b);
}

static void
mark_ready(GwXmppConfirm *c, Barrier *b)
{
    if (!b->ready) {
        b->ready = TRUE;
        g_queue_push_tail(&c->ready, b);
    }
}

/* Drops a barrier that has nothing left to do. */
static void
barrier_maybe_drop(GwXmppConfirm *c, Barrier *b)
{
    if (b->ping_id == NULL && !b->ready && b->covered.length == 0 &&
        b->waiting.length == 0) {
        g_hash_table_remove(c->barriers, b->domain);
        barrier_free(b);
    }
}

/* Runs and frees the waiters of q (detached by the caller first: a
 * callback may queue new stanzas). */
static void
finish_waiters(GwXmppLink *self, GQueue *q, GwXmppOutcome outcome)
{
    GwXmppConfirm *c = &self->confirm;
    GList *l;

    while ((l = g_queue_pop_head_link(q)) != NULL) {
        Waiter *w = l->data;

        c->n_waiters--;
        if (outcome == GW_XMPP_CONFIRMED)
            self->stats.confirmed++;
        w->func(outcome, w->data);
        g_free(w);
    }
}

/* One ping per ready domain, behind everything queued so far, but not
 * sooner than PING_GAP_US after the last one to that domain: under load
 * the answers come back within tens of microseconds, and a ping per
 * answer made the server route half a ping (two stanzas) per message at
 * 20,000/s. Paced, a ping covers what came in PING_GAP_US (at 20,000/s
 * ten messages); at 1,000/s evenly spaced the last ping is older than
 * that and nothing waits. */
#define PING_GAP_US 500

void
gw_xmpp_confirm_write_pings(GwXmppLink *self, gint64 now)
{
    GwXmppConfirm *c = &self->confirm;
    GQueue later = G_QUEUE_INIT;
    Barrier *b;

    c->ping_due = 0;
    while ((b = g_queue_pop_head(&c->ready)) != NULL) {
        g_autoptr(GString) x = NULL;

        if (b->ping_id != NULL || b->waiting.length == 0) {
            b->ready = FALSE;
            barrier_maybe_drop(c, b);
            continue;
        }
        if (now < b->last_ping + PING_GAP_US) {
            g_queue_push_tail(&later, b); /* still ready */
            if (c->ping_due == 0 || b->last_ping + PING_GAP_US < c->ping_due)
                c->ping_due = b->last_ping + PING_GAP_US;
            continue;
        }
        b->ready = FALSE;
        b->last_ping = now;
        g_assert(b->covered.length == 0); /* no ping was in flight */
        b->covered = b->waiting;
        g_queue_init(&b->waiting);
        b->ping_id = g_strdup_printf("%s%" G_GUINT64_FORMAT, c->ping_prefix,
                                     ++c->ping_seq);
        b->ping_deadline =
            now + (gint64)self->config->xmpp.confirm_timeout_ms * 1000;
        x = gw_stanza_begin("iq", "get", self->config->xmpp.component_domain,
                            b->domain, b->ping_id);
        g_string_append(x, "<ping xmlns='" GW_NS_PING "'/>");
        gw_stanza_end(x, "iq");
        gw_xmpp_link_append(self, x->str, x->len);
        self->stats.pings_out++;
    }
    c->ready = later;
}

/* The barrier whose ping `id` is, answered from `from` (NULL: the server
 * itself, which may leave it out). */
static Barrier *
find_ping(GwXmppConfirm *c, const char *id, const char *from)
{
    GHashTableIter it;
    Barrier *b;

    if (from != NULL) {
        b = g_hash_table_lookup(c->barriers, from);
        return b != NULL && g_strcmp0(b->ping_id, id) == 0 ? b : NULL;
    }
    g_hash_table_iter_init(&it, c->barriers);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&b))
        if (g_strcmp0(b->ping_id, id) == 0)
            return b;
    return NULL;
}

/* An answer to one of our pings? Then it is consumed here (TRUE): the
 * stanzas it covers are confirmed, the next ping is due. */
gboolean
gw_xmpp_confirm_take_answer(GwXmppLink *self, xmpp_stanza_t *stanza)
{
    GwXmppConfirm *c = &self->confirm;
    const char *id = xmpp_stanza_get_id(stanza);
    const char *type, *from;
    Barrier *b;
    GQueue done;

    if (id == NULL || strncmp(id, c->ping_prefix, c->ping_prefix_len) != 0 ||
        g_strcmp0(xmpp_stanza_get_name(stanza), "iq") != 0)
        return FALSE;
    type = xmpp_stanza_get_type(stanza);
    if (g_strcmp0(type, "result") != 0 && g_strcmp0(type, "error") != 0)
        return FALSE;
    from = xmpp_stanza_get_from(stanza);
    b = find_ping(c, id, from);
    if (b == NULL) {
        /* given up after confirm_timeout_ms, or not from its domain */
        g_debug("XMPP link: late or stray answer to ping %s from %s", id,
                from ? from : "the server");
        return TRUE;
    }
    if (self->config->log.stanzas)
        g_debug("XMPP link: %s answered ping %s (%s): %u stanza(s) "
                "confirmed",
                b->domain, id, type, b->covered.length);
    done = b->covered;
    g_queue_init(&b->covered);
    g_clear_pointer(&b->ping_id, g_free);
    if (b->waiting.length > 0)
        mark_ready(c, b);
    else
        barrier_maybe_drop(c, b);
    finish_waiters(self, &done, GW_XMPP_CONFIRMED);
    return TRUE;
}

/* Moves the waiters of q whose deadline has passed to late (q is in
 * queueing order, so they are at its head). */
static void
take_expired(GQueue *q, GQueue *late, gint64 now)
{
    GList *l;

    while ((l = q->head) != NULL && ((Waiter *)l->data)->deadline <= now)
        g_queue_push_tail_link(late, g_queue_pop_head_link(q));
}

void
gw_xmpp_confirm_expire(GwXmppLink *self, gint64 now)
{
    GwXmppConfirm *c = &self->confirm;
    GQueue late = G_QUEUE_INIT;
    GHashTableIter it;
    Barrier *b;

    g_hash_table_iter_init(&it, c->barriers);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&b)) {
        take_expired(&b->covered, &late, now);
        if (b->covered.length == 0)
            take_expired(&b->waiting, &late, now);
        if (b->ping_id != NULL && now >= b->ping_deadline) {
            /* lost or very late: the stanzas behind it need their own */
            g_info("XMPP link: no answer from %s to ping %s in %u ms",
                   b->domain, b->ping_id,
                   self->config->xmpp.confirm_timeout_ms);
            g_assert(b->covered.length == 0); /* all queued before it */
            g_clear_pointer(&b->ping_id, g_free);
            if (b->waiting.length > 0)
                mark_ready(c, b);
        }
        if (b->ping_id == NULL && !b->ready && b->covered.length == 0 &&
            b->waiting.length == 0) {
            g_hash_table_iter_remove(&it);
            barrier_free(b);
        }
    }
    if (late.length > 0)
        g_info("XMPP link: %u stanza(s) not confirmed within %u ms",
               late.length, self->config->xmpp.confirm_timeout_ms);
    finish_waiters(self, &late, GW_XMPP_UNCONFIRMED);
}

void
gw_xmpp_confirm_fail_all(GwXmppLink *self)
{
    GwXmppConfirm *c = &self->confirm;
    GQueue lost = G_QUEUE_INIT;
    GHashTableIter it;
    Barrier *b;

    g_queue_clear(&c->ready);
    c->ping_due = 0;
    g_hash_table_iter_init(&it, c->barriers);
    while (g_hash_table_iter_next(&it, NULL, (gpointer *)&b)) {
        GList *l;
        while ((l = g_queue_pop_head_link(&b->covered)) != NULL)
            g_queue_push_tail_link(&lost, l);
        while ((l = g_queue_pop_head_link(&b->waiting)) != NULL)
            g_queue_push_tail_link(&lost, l);
        g_hash_table_iter_remove(&it);
        barrier_free(b);
    }
    finish_waiters(self, &lost, GW_XMPP_LOST);
}

/* ---- set up, add ------------------------------------------------------- */

void
gw_xmpp_confirm_init(GwXmppLink *self)
{
    GwXmppConfirm *c = &self->confirm;

    c->barriers = g_hash_table_new(domain_hash, domain_equal);
    g_queue_init(&c->ready);
    c->ping_prefix = g_strdup_printf("gwc%08x-", g_random_int());
    c->ping_prefix_len = strlen(c->ping_prefix);
}

void
gw_xmpp_confirm_clear(GwXmppLink *self)
{
    GwXmppConfirm *c = &self->confirm;

    g_clear_pointer(&c->barriers, g_hash_table_unref);
    g_queue_clear(&c->ready);
    g_clear_pointer(&c->ping_prefix, g_free);
}

void
gw_xmpp_confirm_add(GwXmppLink *self, const char *domain,
                    GwXmppConfirmFunc done, gpointer user_data)
{
    GwXmppConfirm *c = &self->confirm;
    Barrier *b = g_hash_table_lookup(c->barriers, domain);
    Waiter *w;

    if (b == NULL) {
        b = g_new0(Barrier, 1);
        b->domain = g_strdup(domain);
        g_queue_init(&b->covered);
        g_queue_init(&b->waiting);
        g_hash_table_insert(c->barriers, b->domain, b);
    }
    w = g_new0(Waiter, 1);
    w->node.data = w;
    w->deadline = g_get_monotonic_time() +
                  (gint64)self->config->xmpp.confirm_timeout_ms * 1000;
    w->func = done;
    w->data = user_data;
    g_queue_push_tail_link(&b->waiting, &w->node);
    c->n_waiters++;
    if (b->ping_id == NULL)
        mark_ready(c, b); /* else the answer to the one in flight */
}
