/* gateway/bridge/presence_contacts.c: B. XMPP users watching SIP contacts
 * (alice watches 1001@comp), and PUBLISH of theirs.
 *
 *   <presence type=subscribe> --> per [presence] allow_watchers:
 *     subscribed + our own subscribe back (to learn when she is online),
 *     or unsubscribed.
 *   While at least one watcher of 1001 is online: one SIP SUBSCRIBE dialog
 *   for sip:1001@pbx (through [presence] server), shared and counted.
 *   A watcher with a per-user SIP account (issue 17) watches as herself:
 *   a dialog of her own From her AOR (sip:2001@pbx, challenges answered
 *   with her credentials by the SIP agent), whose NOTIFYs go to her
 *   alone; a PBX may show an extension's state to its own extensions
 *   only. When her account comes or goes (or changes AOR) her place moves
 *   at once: her own dialog made and the shared one left, or the
 *   reverse, carrying over what she was told; her publication moves to
 *   her new address (the old one removed).
 *   Each NOTIFY's PIDF -> <presence from=1001@comp> to every online
 *   watcher. Dialog ends -> unavailable, re-SUBSCRIBE with backoff; but
 *   one the notifier ends for a new one at once (RFC 6665 4.1.3
 *   deactivated or timeout, or a refresh answered 481: it lost the
 *   dialog, as a restarted presence server does) is renewed at once, and
 *   what the watchers were told stands until the new dialog's first
 *   NOTIFY says otherwise, STALE_GRACE_S at most (no flap). Last
 *   watcher offline -> un-SUBSCRIBE. Probes are answered from the last
 *   known state, and never make us ask her again once she answered.
 *   Watchers are kept in [presence] state_file across restarts
 *   (presence_state.c) and probed when the link comes up.
 *
 * Whether a watcher is online is the directory's (xmpp_directory.c).
 */
#define G_LOG_DOMAIN "gw-pres"

#include "presence_private.h"

#include <string.h>

#include "pool.h"

#define MAX_PIDF_BYTES 65536

/* How long what the watchers were told of a contact stands after its
 * subscription was renewed at once (renew_at_once()) while no NOTIFY of
 * the new one has said anything: then it is unavailable. Covers the 1 s
 * wait, a SUBSCRIBE retransmitted a few times and the first NOTIFY. */
#define STALE_GRACE_S 10

static const GwSipDialogFuncs contact_funcs;

static void contact_ensure(GwPresContact *c);

static gboolean
watcher_online(GwPresBridge *b, const char *watcher)
{
    return gw_xmpp_directory_is_online(b->dir, watcher);
}

/* Her own subscription to a contact (a watcher with an account). */
typedef struct {
    GwPresContact *c;
    char *watcher;   /* bare JID */
    char *aor;       /* her AOR it subscribes as */
    GwSipDialog *dlg;
    GwPresence *last; /* NULL: unknown */
    guint retry_id;
    guint stale_id; /* renewed at once: last stands until a NOTIFY */
    guint failures;
} OwnSub;

static void
own_free(gpointer p)
{
    OwnSub *o = p;

    g_clear_handle_id(&o->retry_id, g_source_remove);
    g_clear_handle_id(&o->stale_id, g_source_remove);
    if (o->dlg != NULL)
        gw_sip_dialog_close(o->dlg);
    g_clear_pointer(&o->last, gw_presence_free);
    g_free(o->aor);
    g_free(o->watcher);
    g_free(o);
}

static OwnSub *
own_get(const GwPresContact *c, const char *watcher)
{
    return c->own != NULL ? g_hash_table_lookup(c->own, watcher) : NULL;
}

/* Her AOR when she has an account (transfer full), else NULL. */
static char *
account_aor(GwPresBridge *b, const char *watcher)
{
    const GwAccountsPort *port = &b->env->accounts;
    g_autoptr(MapResult) m = NULL;

    if (port->jid == NULL || (m = port->jid(port->data, watcher)) == NULL)
        return NULL;
    return g_strdup(m->sip_uri);
}

/* What the contact looks like to this watcher. */
static const GwPresence *
last_for(const GwPresContact *c, const char *watcher)
{
    const OwnSub *o = own_get(c, watcher);

    return o != NULL ? o->last : c->last;
}

/* ---- the table and its watcher index ----------------------------------- */

/* The watcher -> contacts index, so that a watcher's approval or coming
 * online touches only its own contacts (walking every contact made the
 * XMPP-watcher direction quadratic in the bench). */
void
gw_pres_contact_add_watcher(GwPresContact *c, const char *watcher)
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
index_forget(GwPresBridge *b, const char *watcher, GwPresContact *c)
{
    GHashTable *set = g_hash_table_lookup(b->watching, watcher);

    if (set != NULL && g_hash_table_remove(set, c) &&
        g_hash_table_size(set) == 0)
        g_hash_table_remove(b->watching, watcher);
}

static gboolean
contact_remove_watcher(GwPresContact *c, const char *watcher)
{
    index_forget(c->b, watcher, c);
    return g_hash_table_remove(c->watchers, watcher);
}

GwPresContact *
gw_pres_contact_get(GwPresBridge *b, const char *jid, gboolean create)
{
    GwPresContact *c = g_hash_table_lookup(b->contacts, jid);
    g_autoptr(MapResult) m = NULL;

    if (c != NULL || !create)
        return c;
    if (g_hash_table_size(b->contacts) >=
        b->env->config->presence.max_watched) {
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

void
gw_pres_contact_free(gpointer p)
{
    GwPresContact *c = p;
    GHashTableIter it;
    gpointer k;

    g_clear_handle_id(&c->retry_id, g_source_remove);
    g_clear_handle_id(&c->stale_id, g_source_remove);
    if (c->dlg != NULL)
        gw_sip_dialog_close(c->dlg);
    if (c->own != NULL)
        g_hash_table_destroy(c->own);
    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL))
        index_forget(c->b, k, c);
    g_hash_table_unref(c->watchers);
    g_clear_pointer(&c->last, gw_presence_free);
    gw_pool_free_str(c->sip_uri);
    gw_pool_free_str(c->jid);
    gw_pool_free(c, sizeof *c);
}

/* Online watchers served by the shared dialog (those without their own). */
static guint
contact_online_watchers(const GwPresContact *c)
{
    GHashTableIter it;
    gpointer k;
    guint n = 0;

    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (own_get(c, k) == NULL && watcher_online(c->b, k))
            n++;
    return n;
}

/* Sends the contact's presence to one watcher (as she sees it), or to
 * every online watcher of the shared dialog. */
static void
contact_broadcast(GwPresContact *c, const char *only)
{
    GHashTableIter it;
    gpointer k;

    if (only != NULL) {
        gw_pres_send_presence(c->b, c->jid, only, NULL, last_for(c, only));
        return;
    }
    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL))
        if (own_get(c, k) == NULL && watcher_online(c->b, k))
            gw_pres_send_presence(c->b, c->jid, k, NULL, c->last);
}

/* A NOTIFY's presence (transfer full), or NULL: nothing to change. */
static GwPresence *
read_notify(const GwPresContact *c, GwSubState state,
            const char *content_type, const char *body, gsize len)
{
    g_autoptr(GError) error = NULL;
    GwPresence *p;

    if (state == GW_SUB_PENDING)
        return NULL; /* no state yet */
    if (state == GW_SUB_TERMINATED && (body == NULL || len == 0))
        return NULL; /* the end of the dialog, not of her: ended says */
    if (body == NULL || len == 0)
        /* e.g. Kamailio for an address that never published */
        return gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
    if (content_type == NULL || strcmp(content_type, GW_PRES_CT_PIDF) != 0) {
        g_warning("NOTIFY for %s with '%s', not PIDF: ignored", c->sip_uri,
                  content_type ? content_type : "no type");
        return NULL;
    }
    if (len > MAX_PIDF_BYTES) {
        g_warning("NOTIFY for %s with a %zu-byte PIDF: ignored", c->sip_uri,
                  len);
        return NULL;
    }
    if ((p = gw_pidf_parse(body, len, &error)) == NULL) {
        g_warning("NOTIFY for %s with a bad PIDF: %s: ignored", c->sip_uri,
                  error->message);
        return NULL;
    }
    return p;
}

/* RFC 6665 4.1.3: retry-after if given; otherwise back off. */
static guint
retry_delay(int status, const char *reason, guint retry_after,
            guint failures)
{
    if (retry_after > 0)
        return retry_after;
    if (status == 0 && reason != NULL &&
        (strcmp(reason, "deactivated") == 0 || strcmp(reason, "timeout") == 0))
        return 1;
    return MIN(300u, 5u << MIN(failures, 6u));
}

/* An end the notifier means to be followed by a new subscription at once,
 * the state it told still standing: RFC 6665 4.1.3 "deactivated" (retry
 * immediately) and "timeout" (may re-subscribe immediately), and a
 * refresh answered 481 (4.1.2.2: the notifier lost the dialog, as after
 * its restart). Only the first in a row: a notifier that ends every new
 * subscription so gets the back-off, and the watchers "unavailable". */
static gboolean
renew_at_once(int status, const char *reason, guint failures)
{
    if (failures > 0)
        return FALSE;
    if (status == 481)
        return TRUE;
    return status == 0 && reason != NULL &&
           (strcmp(reason, "deactivated") == 0 ||
            strcmp(reason, "timeout") == 0);
}

/* Seconds until a subscription ended so is made again: at once (0 s)
 * after a 481, 1 s after a renewal the notifier asked for, else the
 * back-off; counts the failure. */
static guint
next_try(int status, const char *reason, guint retry_after, gboolean renew,
         guint *failures)
{
    guint delay = renew ? (status == 481 ? 0 : 1)
                        : retry_delay(status, reason, retry_after, *failures);

    (*failures)++;
    return delay;
}

/* *last made unavailable, the stale timer stopped; TRUE if that is news
 * to tell. */
static gboolean
set_offline(GwPresence **last, guint *stale_id)
{
    g_clear_handle_id(stale_id, g_source_remove);
    if (*last != NULL && (*last)->show == GW_SHOW_OFFLINE)
        return FALSE;
    g_clear_pointer(last, gw_presence_free);
    *last = gw_presence_new(GW_SHOW_OFFLINE, NULL, NULL);
    return TRUE;
}

/* ---- the shared SIP subscription --------------------------------------- */

/* Unavailable to its watchers (the shared dialog's), once. */
static void
contact_offline(GwPresContact *c)
{
    if (set_offline(&c->last, &c->stale_id))
        contact_broadcast(c, NULL);
}

static gboolean
contact_stale(gpointer data)
{
    GwPresContact *c = data;

    c->stale_id = 0;
    g_info("no NOTIFY of the renewed subscription to %s in %d s: "
           "unavailable",
           c->sip_uri, STALE_GRACE_S);
    contact_offline(c);
    return G_SOURCE_REMOVE;
}

static void
on_contact_notify(gpointer data, GwSubState state, const char *content_type,
                  const char *body, gsize len)
{
    GwPresContact *c = data;
    GwPresence *p;

    c->failures = 0;
    if ((p = read_notify(c, state, content_type, body, len)) == NULL)
        return;
    g_clear_handle_id(&c->stale_id, g_source_remove);
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
    GwPresContact *c = data;

    c->retry_id = 0;
    contact_ensure(c);
    return G_SOURCE_REMOVE;
}

static void
on_contact_ended(gpointer data, int status, const char *reason,
                 guint retry_after)
{
    GwPresContact *c = data;
    gboolean wanted = !c->b->stopping && contact_online_watchers(c) > 0;
    gboolean renew = wanted && renew_at_once(status, reason, c->failures);

    c->dlg = NULL;
    g_info("SIP subscription to %s ended (%d %s)", c->sip_uri, status,
           reason ? reason : "");
    if (renew) {
        g_info("renewing the subscription to %s at once; its last state "
               "stands for %d s",
               c->sip_uri, STALE_GRACE_S);
        if (c->stale_id == 0)
            c->stale_id =
                g_timeout_add_seconds(STALE_GRACE_S, contact_stale, c);
    } else {
        contact_offline(c);
        if (!wanted)
            return;
    }
    g_clear_handle_id(&c->retry_id, g_source_remove);
    c->retry_id = g_timeout_add_seconds(
        next_try(status, reason, retry_after, renew, &c->failures),
        contact_retry, c);
}

static const GwSipDialogFuncs contact_funcs = { on_contact_notify,
                                                on_contact_ended };

/* ---- her own subscription (a watcher with an account) ------------------ */

static void
on_own_notify(gpointer data, GwSubState state, const char *content_type,
              const char *body, gsize len)
{
    OwnSub *o = data;
    GwPresence *p;

    o->failures = 0;
    if ((p = read_notify(o->c, state, content_type, body, len)) == NULL)
        return;
    g_clear_handle_id(&o->stale_id, g_source_remove);
    if (o->last != NULL && gw_presence_equal(o->last, p)) {
        gw_presence_free(p);
        return;
    }
    g_clear_pointer(&o->last, gw_presence_free);
    o->last = p;
    g_info("presence of %s for %s is now %s", o->c->sip_uri, o->watcher,
           gw_show_to_string(p->show));
    if (watcher_online(o->c->b, o->watcher))
        gw_pres_send_presence(o->c->b, o->c->jid, o->watcher, NULL, o->last);
}

static gboolean
own_retry(gpointer data)
{
    OwnSub *o = data;

    o->retry_id = 0;
    contact_ensure(o->c);
    return G_SOURCE_REMOVE;
}

/* Unavailable to her, once. */
static void
own_offline(OwnSub *o)
{
    if (set_offline(&o->last, &o->stale_id) &&
        watcher_online(o->c->b, o->watcher))
        gw_pres_send_presence(o->c->b, o->c->jid, o->watcher, NULL, o->last);
}

static gboolean
own_stale(gpointer data)
{
    OwnSub *o = data;

    o->stale_id = 0;
    g_info("no NOTIFY of %s's renewed subscription to %s in %d s: "
           "unavailable",
           o->watcher, o->c->sip_uri, STALE_GRACE_S);
    own_offline(o);
    return G_SOURCE_REMOVE;
}

static void
on_own_ended(gpointer data, int status, const char *reason, guint retry_after)
{
    OwnSub *o = data;
    gboolean renew = !o->c->b->stopping &&
                     watcher_online(o->c->b, o->watcher) &&
                     renew_at_once(status, reason, o->failures);

    o->dlg = NULL;
    g_info("SIP subscription of %s to %s ended (%d %s)", o->watcher,
           o->c->sip_uri, status, reason ? reason : "");
    if (renew) {
        g_info("renewing %s's subscription to %s at once; her last state "
               "of it stands for %d s",
               o->watcher, o->c->sip_uri, STALE_GRACE_S);
        if (o->stale_id == 0)
            o->stale_id = g_timeout_add_seconds(STALE_GRACE_S, own_stale, o);
    } else {
        own_offline(o);
        if (o->c->b->stopping)
            return;
    }
    g_clear_handle_id(&o->retry_id, g_source_remove);
    o->retry_id = g_timeout_add_seconds(
        next_try(status, reason, retry_after, renew, &o->failures), own_retry,
        o);
}

static const GwSipDialogFuncs own_funcs = { on_own_notify, on_own_ended };

/* Each online watcher with an account has her own dialog, as her AOR;
 * the others' go (she went offline, stopped watching, has no account now,
 * or another AOR). */
static void
own_ensure(GwPresContact *c)
{
    GwPresBridge *b = c->b;
    const GwConfig *cfg = b->env->config;
    GHashTableIter it;
    gpointer k, v;

    if (c->own != NULL) {
        g_hash_table_iter_init(&it, c->own);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            const OwnSub *o = v;
            g_autofree char *aor = NULL;
            if (!b->stopping && g_hash_table_contains(c->watchers, k) &&
                watcher_online(b, k) && (aor = account_aor(b, k)) != NULL &&
                strcmp(aor, o->aor) == 0)
                continue;
            g_info("%s's own subscription to %s ends", (char *)k, c->sip_uri);
            g_hash_table_iter_remove(&it); /* un-SUBSCRIBEs */
        }
    }
    if (b->stopping)
        return;
    g_hash_table_iter_init(&it, c->watchers);
    while (g_hash_table_iter_next(&it, &k, NULL)) {
        OwnSub *o = own_get(c, k);
        g_autofree char *aor = NULL, *to = NULL;

        if ((o != NULL && (o->dlg != NULL || o->retry_id != 0)) ||
            !watcher_online(b, k) || (aor = account_aor(b, k)) == NULL)
            continue;
        if (o == NULL) {
            if (c->own == NULL)
                c->own = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                               own_free);
            o = g_new0(OwnSub, 1);
            o->c = c;
            o->watcher = g_strdup(k);
            g_hash_table_insert(c->own, o->watcher, o);
        }
        g_free(o->aor);
        o->aor = g_strdup(aor);
        /* on her own PBX, its extension of that name */
        to = gw_env_peer_uri(b->env, o->watcher, c->sip_uri);
        g_info("subscribing to %s as %s for %s", to, aor, o->watcher);
        o->dlg = gw_sip_ua_subscribe(b->env->sip, aor, to,
                                     cfg->presence.server, "presence",
                                     GW_PRES_CT_PIDF,
                                     cfg->presence.subscribe_expires,
                                     &own_funcs, o);
    }
}

/* Subscribe or unsubscribe at SIP as the number of online watchers says. */
static void
contact_ensure(GwPresContact *c)
{
    GwPresBridge *b = c->b;
    const GwConfig *cfg = b->env->config;
    guint online;

    own_ensure(c);
    online = contact_online_watchers(c);

    if (online > 0 && c->dlg == NULL && c->retry_id == 0 && !b->stopping) {
        g_autofree char *from = g_strdup_printf("sip:%s@%s",
                                                cfg->sip.username,
                                                cfg->sip.domain);
        g_info("subscribing to %s for %u XMPP watcher(s)", c->sip_uri,
               online);
        c->dlg = gw_sip_ua_subscribe(b->env->sip, from, c->sip_uri,
                                     cfg->presence.server, "presence",
                                     GW_PRES_CT_PIDF,
                                     cfg->presence.subscribe_expires,
                                     &contact_funcs, c);
    } else if (online == 0 && c->dlg != NULL) {
        g_info("no XMPP watcher of %s online: unsubscribing", c->sip_uri);
        gw_sip_dialog_close(c->dlg);
        c->dlg = NULL;
        g_clear_handle_id(&c->stale_id, g_source_remove);
        g_clear_pointer(&c->last, gw_presence_free);
    } else if (online == 0) {
        g_clear_handle_id(&c->retry_id, g_source_remove);
        if (c->stale_id != 0) { /* what stood is unknown now */
            g_clear_handle_id(&c->stale_id, g_source_remove);
            g_clear_pointer(&c->last, gw_presence_free);
        }
    }
}

void
gw_pres_contacts_watcher_state(GwPresBridge *b, const char *watcher)
{
    GHashTable *set = g_hash_table_lookup(b->watching, watcher);
    gboolean online = watcher_online(b, watcher);
    GList *contacts;

    if (set == NULL)
        return;
    contacts = g_hash_table_get_keys(set);
    for (GList *l = contacts; l != NULL; l = l->next) {
        GwPresContact *c = l->data;
        contact_ensure(c);
        if (last_for(c, watcher) != NULL && online)
            contact_broadcast(c, watcher);
    }
    g_list_free(contacts);
}

/* ---- her account came or went (issue 17) ------------------------------ */

/* Her subscriptions follow her account at once, not at her next presence
 * change: with one (or another AOR), each contact she watches gets a
 * SUBSCRIBE of hers From her AOR and the shared dialog serves her no more
 * (un-SUBSCRIBEd when she was its last online watcher); without one, her
 * own dialog is un-SUBSCRIBEd and the shared one serves her again (made
 * when none is held). What she was last told of the contact is carried
 * over, so the new dialog's first NOTIFY reaches her only when it says
 * something else: no repeated <presence>, and none lost. */
static void
contact_account_changed(GwPresContact *c, const char *watcher)
{
    GwPresBridge *b = c->b;
    const GwPresence *seen = last_for(c, watcher);
    g_autoptr(GwPresence) told = seen != NULL ? gw_presence_copy(seen) : NULL;
    gboolean was_own = own_get(c, watcher) != NULL;
    gboolean had_dlg = c->dlg != NULL;
    OwnSub *o;

    contact_ensure(c);
    if (!watcher_online(b, watcher))
        return;
    o = own_get(c, watcher);
    if (o != NULL) {
        /* a new dialog of hers: she knows what the contact looked like */
        if (o->last == NULL && told != NULL)
            o->last = g_steal_pointer(&told);
        return;
    }
    if (!was_own)
        return;
    if (c->last == NULL) {
        /* the shared dialog is new and hers alone: its first NOTIFY
         * tells her only a change (others waiting get it whatever it
         * says) */
        if (!had_dlg && c->dlg != NULL && contact_online_watchers(c) == 1)
            c->last = g_steal_pointer(&told);
    } else if (told == NULL || !gw_presence_equal(told, c->last)) {
        contact_broadcast(c, watcher);
    }
}

void
gw_pres_contacts_account_changed(GwPresBridge *b, const char *watcher)
{
    GHashTable *set = g_hash_table_lookup(b->watching, watcher);
    GList *contacts;

    if (set == NULL)
        return;
    contacts = g_hash_table_get_keys(set);
    for (GList *l = contacts; l != NULL; l = l->next)
        contact_account_changed(l->data, watcher);
    g_list_free(contacts);
}

/* ---- her presence stanzas to a contact --------------------------------- */

void
gw_pres_contact_subscribe(GwPresBridge *b, const char *contact_jid,
                          const char *user)
{
    const GwConfig *cfg = b->env->config;
    GwPresContact *c = NULL;

    if (cfg->presence.enabled && gw_config_allows_watcher(cfg, user))
        c = gw_pres_contact_get(b, contact_jid, TRUE);
    if (c == NULL) {
        g_info("presence subscription of %s to %s refused", user,
               contact_jid);
        gw_pres_send_presence(b, contact_jid, user, "unsubscribed", NULL);
        return;
    }
    /* a new subscription of hers, not a client re-sending its request
     * for one we approved: her fresh request reopens a refused one of
     * ours (she cannot approve it otherwise: servers route a
     * "subscribed" only in answer to a pending request) */
    if (!g_hash_table_contains(c->watchers, user) &&
        gw_pres_auth_get(b, c->jid, user) == GW_PRES_AUTH_REFUSED)
        gw_pres_auth_set(b, c->jid, user, GW_PRES_AUTH_UNKNOWN);
    gw_pres_contact_add_watcher(c, user);
    gw_pres_state_schedule_save(b);
    gw_pres_send_presence(b, c->jid, user, "subscribed", NULL);
    g_info("%s now watches %s", user, c->sip_uri);
    /* learn when she is online: subscribe back (XEP-0100 style) */
    if (gw_pres_auth_get(b, c->jid, user) == GW_PRES_AUTH_GRANTED)
        gw_pres_send_presence(b, c->jid, user, "probe", NULL);
    else
        gw_pres_ask_authorization(b, c->jid, user);
    contact_ensure(c);
    if (last_for(c, user) != NULL)
        contact_broadcast(c, user);
}

void
gw_pres_contact_unsubscribe(GwPresBridge *b, const char *contact_jid,
                            const char *user)
{
    GwPresContact *c = gw_pres_contact_get(b, contact_jid, FALSE);

    if (c == NULL || !contact_remove_watcher(c, user))
        return;
    gw_pres_state_schedule_save(b);
    gw_pres_send_presence(b, c->jid, user, "unavailable", NULL);
    g_info("%s no longer watches %s", user, c->sip_uri);
    if (g_hash_table_size(c->watchers) == 0)
        g_hash_table_remove(b->contacts, c->jid); /* closes the dialog */
    else
        contact_ensure(c);
}

void
gw_pres_contact_probe(GwPresBridge *b, const char *contact_jid,
                      const char *user)
{
    GwPresContact *c = gw_pres_contact_get(b, contact_jid, FALSE);

    if (c == NULL || !g_hash_table_contains(c->watchers, user)) {
        /* a roster entry from before a lost state file: re-approve by
         * policy, never silently cut a subscription we may have granted */
        if (!gw_config_allows_watcher(b->env->config, user)) {
            gw_pres_send_presence(b, contact_jid, user, "unsubscribed",
                                  NULL);
            return;
        }
        c = gw_pres_contact_get(b, contact_jid, TRUE);
        if (c == NULL)
            return;
        gw_pres_contact_add_watcher(c, user);
        gw_pres_state_schedule_save(b);
    }
    /* probes come when she logs in: her presence follows if we hold her
     * approval; ask for it if we hold no answer (once: not at each login) */
    gw_pres_ask_authorization(b, c->jid, user);
    gw_pres_send_presence(b, c->jid, user, NULL, last_for(c, user));
    contact_ensure(c);
}

/* Only the contact she approved: the others are as they were. */
void
gw_pres_contact_authorized(GwPresBridge *b, const char *contact,
                           const char *user)
{
    GwPresContact *c = gw_pres_contact_get(b, contact, FALSE);

    if (c != NULL && g_hash_table_contains(c->watchers, user)) {
        contact_ensure(c);
        if (last_for(c, user) != NULL && watcher_online(b, user))
            contact_broadcast(c, user);
    }
}

/* ---- link up, shutdown ------------------------------------------------- */

/* Are the watchers online? Their presence answers the probe; not from a
 * contact with our request pending or refused: the answer would be
 * "unsubscribed" (see gw_pres_bridge_link_up()), and she sends it no
 * presence. */
void
gw_pres_contacts_link_up(GwPresBridge *b)
{
    GHashTableIter it, jt;
    gpointer v, k;

    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        GwPresContact *c = v;
        g_hash_table_iter_init(&jt, c->watchers);
        while (g_hash_table_iter_next(&jt, &k, NULL))
            if (gw_pres_auth_is_broadcast(b, c->jid, k))
                gw_pres_send_presence(b, c->jid, k, "probe", NULL);
    }
}

void
gw_pres_contacts_shutdown(GwPresBridge *b)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        GwPresContact *c = v;
        g_clear_handle_id(&c->retry_id, g_source_remove);
        g_clear_handle_id(&c->stale_id, g_source_remove);
        if (c->dlg != NULL) {
            gw_sip_dialog_close(c->dlg);
            c->dlg = NULL;
        }
        if (c->own != NULL) {
            /* her own dialogs: un-SUBSCRIBEd, unavailable to her */
            GHashTableIter ot;
            gpointer ok;
            g_hash_table_iter_init(&ot, c->own);
            while (g_hash_table_iter_next(&ot, &ok, NULL))
                gw_pres_send_presence(b, c->jid, ok, "unavailable", NULL);
            g_clear_pointer(&c->own, g_hash_table_destroy);
        }
        /* the contact's presence is unknown while we are away */
        if (c->last != NULL && c->last->show != GW_SHOW_OFFLINE) {
            g_clear_pointer(&c->last, gw_presence_free);
            contact_broadcast(c, NULL);
        }
    }
}

/* ---- PUBLISH ----------------------------------------------------------- */

/* Her address: her account's AOR (published as her extension, with her
 * credentials), else what [mapping] gives her. */
static char *
entity_of(GwPresBridge *b, const char *bare)
{
    g_autoptr(MapResult) m = gw_env_lookup_user_jid(b->env, bare, NULL);
    return m != NULL ? g_strdup(m->sip_uri) : g_strconcat("xmpp:", bare, NULL);
}

void
gw_pres_user_publish(GwPresBridge *b, const char *bare)
{
    const GwConfig *cfg = b->env->config;
    g_autofree char *entity = NULL, *doc = NULL;
    GwPresUser *u;

    if (!cfg->presence.publish)
        return;
    entity = entity_of(b, bare);
    if (!g_str_has_prefix(entity, "sip"))
        return;
    doc = gw_pres_pidf_for(entity,
                           gw_xmpp_directory_peek_aggregate(b->dir, bare));
    u = gw_pres_user_get(b, bare, TRUE);
    if (u->pub != NULL && g_strcmp0(u->pub_entity, entity) != 0) {
        /* her account came or went: the old address's publication is
         * removed (Expires: 0, SIP-If-Match), the new one starts */
        g_info("presence of %s: publication as %s removed, now as %s", bare,
               u->pub_entity, entity);
        gw_sip_publication_remove(g_steal_pointer(&u->pub));
    }
    if (u->pub == NULL) {
        u->pub = gw_sip_ua_publish(b->env->sip, entity, cfg->presence.server,
                                   "presence", GW_PRES_CT_PIDF, doc,
                                   cfg->presence.publish_expires);
        g_free(u->pub_entity);
        u->pub_entity = g_steal_pointer(&entity);
    } else {
        gw_sip_publication_update(u->pub, doc);
    }
}

/* Her account came or went: a publication of hers moves to the address
 * she is now (a fresh PUBLISH as it, with her credentials for an AOR),
 * the old one removed. Without a publication nothing is due: her next
 * presence publishes. */
void
gw_pres_user_publish_moved(GwPresBridge *b, const char *bare)
{
    GwPresUser *u = gw_pres_user_get(b, bare, FALSE);
    g_autofree char *entity = NULL;

    if (u == NULL || u->pub == NULL || !b->env->config->presence.publish)
        return;
    entity = entity_of(b, bare);
    if (g_strcmp0(entity, u->pub_entity) == 0)
        return;
    if (!g_str_has_prefix(entity, "sip")) {
        /* no SIP address now: nothing is published as her */
        gw_sip_publication_remove(g_steal_pointer(&u->pub));
        g_clear_pointer(&u->pub_entity, g_free);
        return;
    }
    gw_pres_user_publish(b, bare);
}
