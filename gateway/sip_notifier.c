/* gateway/sip_notifier.c: the lean agent on [sip] lean_listen, on
 * Sofia's transaction layer (nta) without a nua handle per request: SIP
 * watchers' SUBSCRIBEs (the lean notifier, below) and MESSAGEs answered
 * without a kept transaction (see "MESSAGE, stateless").
 *
 * Why: a nua notifier dialog costs ~8 KiB of live heap (handle, leg with
 * copied headers, the next NOTIFY kept ready, the signal copy) and 17-25
 * KiB of RSS; 100,000 watchers needed 1.6 GiB. Here a subscription is one
 * block of ~0.4 KiB: Call-ID, tags, the two URIs, the remote target, the
 * route set, the CSeqs. nua keeps its nta agent private, and two agents
 * cannot share a port, so this one has a port of its own.
 *
 * Protocol (RFC 6665, RFC 3261 12):
 *   initial SUBSCRIBE (no To tag): needs a From tag and a Contact (400
 *     without); our To tag is made now; the router and the presence bridge
 *     answer it as any other (trust, digest, 202/4xx); a 2xx carries our
 *     Contact; >= 300 forgets the dialog.
 *   SUBSCRIBE in the dialog: Call-ID + our tag find it (481 if not, or if
 *     the From tag differs); a CSeq not above the last gets 500 (12.2.2);
 *     a Contact refreshes the remote target; the owner answers it.
 *   NOTIFY: From/To/Call-ID of the dialog, our CSeq + 1, the route set
 *     (strict routers as 12.2.1.1 says), our Contact. One in flight per
 *     dialog; a newer state waits behind it and replaces an older waiting
 *     one (the watcher needs the newest state only, RFC 3856 6.10). Any
 *     non-2xx final answer, a timeout included, ends the subscription
 *     (RFC 6665 4.2.2) and the owner is told.
 *   OPTIONS: 200. Other methods: 405 with Allow; in a dialog we do not
 *     know: 481.
 *
 * Our own subscriptions (presence of SIP contacts XMPP users watch) go out
 * from the same agent when it exists, ~0.5 KiB each instead of a nua
 * dialog's ~30 KiB (RFC 6665 4.1, RFC 3261 12.1.2):
 *   SUBSCRIBE (new Call-ID and tag, through [presence] server as a
 *     pre-loaded loose route); a 401/407 is answered once per challenge
 *     with [sip] credentials; the 2xx gives the peer's tag, the remote
 *     target (Contact) and the route set (Record-Route reversed); refreshed
 *     at 3/4 of the granted Expires, all under one timer;
 *   NOTIFY in the dialog (it may come before the 2xx): 200, then the owner
 *     gets state and body; Subscription-State is required (400); a
 *     terminated state, a failed refresh or a timeout ends the dialog and
 *     the owner is told; NOTIFY refreshes the remote target;
 *   close: un-SUBSCRIBE (Expires: 0); the last NOTIFY is answered 200.
 */
#define G_LOG_DOMAIN "gw-sip"

#include <string.h>

#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/tport.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "dedup.h"
#include "gw_error.h"
#include "pool.h"
#include "sip_auth.h"
#include "sip_ua_priv.h"

#define ALLOW "MESSAGE, SUBSCRIBE, NOTIFY, OPTIONS"
/* A SUBSCRIBE is a few hundred bytes; nta answers larger requests 413. */
#define MAX_REQUEST_BYTES 65536
/* What one subscription may hold (URIs, route set ...): larger ones get
 * 513, so that max_sip_watchers bounds the memory too. */
#define MAX_DIALOG_BYTES 4096
/* The retransmission memo of stateless MESSAGEs holds at most this many
 * (~11-14 bytes each: ~14 MiB); above it the oldest go before timer J. */
#define MEMO_MAX_ENTRIES (1u << 20)
#define MEMO_SWEEP_S 2
/* T4 of the lean agent. nta keeps a request it sent over UDP for timer K
 * = T4 (5 s) after its final response, ~10 KiB each, only to absorb
 * retransmitted responses: 12,000 MESSAGEs/s held ~600 MiB. Here those
 * reach on_agent_message() instead and are dropped there, which is all
 * K does with them. T4 also times nta's wait for a TCP connection before
 * it falls back to UDP (N3): lean_tcreate() picks TCP itself for large
 * requests, so that wait does not arise. Timer I (INVITE) is not used
 * here. */
#define LEAN_T4_MS 1
/* sip_flags of a response nta made itself (503 for a transport error,
 * 408): NTA_INTERNAL_MSG of Sofia's nta_internal.h, not installed */
#define NTA_MADE_IT (1 << 15)
/* A memo value: status (10 bits), Retry-After (20 bits), Accept (1 bit) */
#define MEMO_STATUS(v) ((v) & 0x3ff)
#define MEMO_RETRY(v) (((v) >> 10) & 0xfffff)
#define MEMO_ACCEPT(v) (((v) >> 30) & 1)

typedef struct {
    char *ss;
    gboolean final;
    char *content_type;
    char *body;
} PendingNotify;

struct GwLeanDialog {
    GwNotifier *n;
    nta_outgoing_t *orq; /* the NOTIFY in flight */
    PendingNotify *next; /* the one to send after it */
    guint fail_id;       /* reports a NOTIFY that could not be sent */
    guint32 lseq;        /* our CSeq */
    guint32 rseq;        /* the watcher's last CSeq */
    gboolean tcp;        /* came over TCP: our Contact says so */
    gboolean answered;   /* the initial SUBSCRIBE has its 2xx */
    gboolean in_flight_final;
    gboolean final_queued; /* nothing after the terminating NOTIFY */
    gboolean client;       /* a subscription we made */
    gboolean closing;      /* client: the owner let go; un-SUBSCRIBE */
    gboolean unsubscribed; /* client: the un-SUBSCRIBE went out */
    gboolean auth_tried;   /* client: a challenge answered since a 2xx */
    gboolean rseq_known;
    gboolean in_callback;   /* client: the owner is being told a NOTIFY */
    gboolean free_later;    /* ... and let go meanwhile */
    guint expires;          /* client: asked for */
    GSequenceIter *refresh; /* client: in the notifier's refresh order */
    gint64 refresh_at;
    gsize size;             /* of the block (pool.h) */
    char *target;           /* remote target (Contact), refreshable; pool */
    char *rtag;             /* the peer's tag (pool; client: once known) */
    char *route;            /* route set, or NULL (pool) */
    const char *key;        /* "Call-ID\nour tag": the table's key */
    const char *call_id, *ltag, *local, *remote;
    const char *accept;     /* client: Accept of our SUBSCRIBEs, or NULL */
};

struct GwNotifier {
    GwSipUa *ua;
    nta_agent_t *agent;
    nta_leg_t *leg;    /* sends our requests; takes none */
    GwDedup *memo;     /* stateless MESSAGEs: answers of retransmissions */
    guint memo_sweep;  /* gives the memo's memory back when idle */
    char *memo_accept; /* the Accept of the last 415 (one per bridge) */
    guint64 tag_salt;  /* our To tags of stateless answers */
    GHashTable *dialogs; /* key -> GwSipDialog* */
    char *contact_udp;   /* "<sip:host:port>" */
    char *contact_tcp;   /* "<sip:host:port;transport=tcp>" */
    GSequence *refreshes; /* client dialogs by refresh_at */
    guint refresh_id;
    GHashTable *outs; /* LeanOut*: MESSAGEs we sent, not answered yet */
};

/* ---- dialogs ----------------------------------------------------------- */

static void
pending_free(PendingNotify *p)
{
    if (p == NULL)
        return;
    g_free(p->ss);
    g_free(p->content_type);
    g_free(p->body);
    g_free(p);
}

static void
lean_free(GwSipDialog *d)
{
    GwLeanDialog *l = d->lean;

    g_hash_table_remove(l->n->dialogs, l->key);
    if (l->refresh != NULL)
        g_sequence_remove(l->refresh); /* the timer copes */
    if (l->orq != NULL)
        nta_outgoing_destroy(l->orq);
    g_clear_handle_id(&l->fail_id, g_source_remove);
    pending_free(l->next);
    gw_pool_free_str(l->target);
    gw_pool_free_str(l->rtag);
    gw_pool_free_str(l->route);
    gw_pool_free(d, l->size); /* d, l and the strings are one block */
}

/* The watcher or a failure ended it: tell the owner once, then forget. */
static void
lean_end_retry(GwSipDialog *d, int status, const char *reason,
               guint retry_after)
{
    if (!d->closed && d->funcs != NULL && d->funcs->ended != NULL) {
        d->closed = TRUE;
        d->funcs->ended(d->data, status, reason, retry_after);
    }
    lean_free(d);
}

static void
lean_end(GwSipDialog *d, int status, const char *reason)
{
    lean_end_retry(d, status, reason, 0);
}

static char *
header_text(su_home_t *home, const void *h)
{
    return h ? sip_header_as_string(home, (sip_header_t const *)h) : NULL;
}

/* The route set of a UAS: Record-Route as received (RFC 3261 12.1.1);
 * g_free() it. */
static char *
route_set(su_home_t *home, sip_t const *sip)
{
    GString *s;

    if (sip->sip_record_route == NULL)
        return NULL;
    s = g_string_new(NULL);
    for (sip_record_route_t const *r = sip->sip_record_route; r;
         r = r->r_next) {
        g_string_append_printf(s, "%s<%s>", s->len ? ", " : "",
                               url_as_string(home, r->r_url));
        for (msg_param_t const *pp = r->r_params; pp && *pp; pp++)
            g_string_append_printf(s, ";%s", *pp);
    }
    return g_string_free(s, FALSE);
}

/* One block: the dialog, its lean part and the strings that never
 * change; key "Call-ID\nltag" first. NULL above MAX_DIALOG_BYTES. */
static GwSipDialog *
lean_alloc(GwNotifier *n, const char *call_id, const char *ltag,
           const char *local, const char *remote, const char *event,
           const char *accept, gsize extra)
{
    const char *parts[6] = { call_id, ltag, local, remote, event,
                             accept ? accept : "" };
    gsize size = sizeof(GwSipDialog) + sizeof(GwLeanDialog), len[6];
    GwSipDialog *d;
    GwLeanDialog *l;
    char *p;

    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        len[i] = strlen(parts[i]);
        size += len[i] + 1;
    }
    size += len[0] + 1; /* Call-ID alone too */
    if (size + extra > MAX_DIALOG_BYTES)
        return NULL;
    d = gw_pool_alloc0(size);
    l = (GwLeanDialog *)(d + 1);
    l->size = size;
    p = (char *)(l + 1);

    d->magic = MAGIC_DIALOG;
    d->ua = n->ua;
    d->lean = l;
    l->n = n;
    l->lseq = g_random_int_range(1, 1 << 30);

    l->key = p;
    memcpy(p, call_id, len[0]);
    p[len[0]] = '\n';
    memcpy(p + len[0] + 1, ltag, len[1] + 1);
    l->ltag = p + len[0] + 1;
    p += len[0] + 1 + len[1] + 1;
#define TAKE(field, i)                                                      \
    do {                                                                    \
        memcpy(p, parts[i], len[i] + 1);                                    \
        field = p;                                                          \
        p += len[i] + 1;                                                    \
    } while (0)
    TAKE(l->local, 2);
    TAKE(l->remote, 3);
    TAKE(d->event, 4);
    TAKE(l->accept, 5);
    TAKE(l->call_id, 0);
#undef TAKE
    if (l->accept[0] == '\0')
        l->accept = NULL;
    g_hash_table_insert(n->dialogs, (gpointer)l->key, d);
    return d;
}

/* A dialog for an initial SUBSCRIBE we serve. */
static GwSipDialog *
lean_new(GwNotifier *n, nta_incoming_t *irq, sip_t const *sip,
         gboolean tcp)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *ltag = nta_incoming_tag(irq, NULL);
    char *local = url_as_string(home, sip->sip_to->a_url);
    char *remote = url_as_string(home, sip->sip_from->a_url);
    char *target = url_as_string(home, sip->sip_contact->m_url);
    g_autofree char *route = route_set(home, sip);
    char *event = header_text(home, sip->sip_event);
    GwSipDialog *d = NULL;

    if (ltag != NULL && local != NULL && remote != NULL && event != NULL &&
        target != NULL)
        d = lean_alloc(n, sip->sip_call_id->i_id, ltag, local, remote, event,
                       NULL,
                       strlen(target) + strlen(sip->sip_from->a_tag) +
                           (route ? strlen(route) : 0));
    if (d != NULL) {
        GwLeanDialog *l = d->lean;
        d->server = TRUE;
        l->tcp = tcp;
        l->rseq = sip->sip_cseq->cs_seq;
        l->rseq_known = TRUE;
        l->target = gw_pool_strdup(target);
        l->rtag = gw_pool_strdup(sip->sip_from->a_tag);
        l->route = gw_pool_strdup(route);
    }
    su_home_deinit(home);
    return d;
}

/* The dialog a request with a To tag belongs to: one we serve (SUBSCRIBE
 * refreshes) or one of ours (NOTIFYs). NULL: 481. */
static GwSipDialog *
lean_find(GwNotifier *n, sip_t const *sip, gboolean ours)
{
    g_autofree char *key = g_strconcat(sip->sip_call_id->i_id, "\n",
                                       sip->sip_to->a_tag, NULL);
    GwSipDialog *d = g_hash_table_lookup(n->dialogs, key);
    GwLeanDialog *l = d ? d->lean : NULL;

    if (d == NULL || l->client != ours || sip->sip_from->a_tag == NULL)
        return NULL;
    if (!ours && (d->closed || !l->answered))
        return NULL;
    /* ours: the first NOTIFY may come before the 2xx (RFC 6665 4.1.2.4);
     * a NOTIFY from a second fork of our SUBSCRIBE is not taken */
    if (l->rtag != NULL &&
        g_ascii_strcasecmp(sip->sip_from->a_tag, l->rtag) != 0)
        return NULL;
    return d;
}

/* Where a request goes over TCP because of its size (RFC 3261 18.1.1):
 * its next hop (the first loose Route, else the Request-URI) with
 * transport=tcp; NULL when it stays as it is (small, or already on a
 * reliable transport). nta would try TCP by itself, but gives up on a
 * connection not up within T4 and sends over UDP, and T4 is ~0 here
 * (LEAN_T4_MS), so the choice is made before. */
static const char *
tcp_hop(su_home_t *home, const char *ruri, const char *route)
{
    url_t *u = NULL;

    if (route != NULL) {
        sip_route_t *r = sip_route_make(home, route);
        if (r != NULL && url_has_param(r->r_url, "lr"))
            u = url_hdup(home, r->r_url);
    }
    if (u == NULL)
        u = url_hdup(home, url_make(home, ruri));
    if (u == NULL || u->url_type == url_sips)
        return NULL;
    if (u->url_params != NULL) {
        char proto[16] = "";
        if (url_param(u->url_params, "transport", proto, sizeof proto) > 0 &&
            g_ascii_strcasecmp(proto, "udp") != 0)
            return NULL; /* tcp, tls, sctp: reliable already */
        u->url_params =
            url_strip_param_string(su_strdup(home, u->url_params), "transport");
        if (u->url_params[0] == '\0')
            u->url_params = NULL;
    }
    url_param_add(home, u, "transport=tcp");
    return url_as_string(home, u);
}

/* nta_outgoing_tcreate() on the lean leg, but a request of about
 * `estimate` bytes (what the caller puts in it, headers' names aside;
 * 0: let nta choose) that would not fit [sip] udp_mtu goes over TCP
 * (tcp_hop(); *over_tcp says so). `hop`: where to send it instead of the
 * Request-URI or the first Route (the outbound proxy). */
static nta_outgoing_t *
lean_tcreate(GwNotifier *n, nta_response_f *callback,
             nta_outgoing_magic_t *magic, const char *hop, gsize estimate,
             gboolean *over_tcp, sip_method_t method, const char *name,
             const char *ruri, const char *route, tag_type_t tag,
             tag_value_t value, ...)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *next = hop;
    nta_outgoing_t *orq;
    ta_list ta;

    /* + the request line, Via, Max-Forwards, Content-Length, CSeq and
     * the header names: ~300 bytes */
    if (estimate > 0 && estimate + 300 > n->ua->config->sip.udp_mtu) {
        const char *tcp = tcp_hop(home, hop != NULL ? hop : ruri,
                                  hop != NULL ? NULL : route);
        if (tcp != NULL)
            next = tcp;
    }
    if (over_tcp != NULL)
        *over_tcp = next != hop;
    ta_start(ta, tag, value);
    orq = nta_outgoing_tcreate(
        n->leg, callback, magic, next ? URL_STRING_MAKE(next) : NULL, method,
        name, URL_STRING_MAKE(ruri),
        TAG_IF(route != NULL, SIPTAG_ROUTE_STR(route)), TAG_NEXT(ta_args(ta)));
    ta_end(ta);
    su_home_deinit(home);
    return orq;
}

/* A request in the dialog: Call-ID, CSeq + 1, From/To with tags, the route
 * set (a strict router first as RFC 3261 12.2.1.1 says), our Contact, and
 * the caller's tags. */
static nta_outgoing_t *
lean_send(GwSipDialog *d, sip_method_t method, const char *name,
          nta_response_f *callback, tag_type_t tag, tag_value_t value, ...)
{
    GwLeanDialog *l = d->lean;
    GwNotifier *n = l->n;
    const GwConfig *cfg = n->ua->config;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *ruri = l->target, *route = l->route;
    char cseq[48];
    g_autofree char *from = g_strdup_printf("<%s>;tag=%s", l->local, l->ltag);
    g_autofree char *to = l->rtag ? g_strdup_printf("<%s>;tag=%s", l->remote,
                                                    l->rtag)
                                  : g_strdup_printf("<%s>", l->remote);
    nta_outgoing_t *orq;
    ta_list ta;

    if (route != NULL) {
        sip_route_t *r = sip_route_make(home, route);
        if (r != NULL && !url_has_param(r->r_url, "lr")) {
            GString *rest = g_string_new(NULL);
            ruri = url_as_string(home, r->r_url);
            for (sip_route_t *x = r->r_next; x; x = x->r_next)
                g_string_append_printf(rest, "<%s>, ",
                                       url_as_string(home, x->r_url));
            g_string_append_printf(rest, "<%s>", l->target);
            route = su_strdup(home, rest->str);
            g_string_free(rest, TRUE);
        }
    }
    g_snprintf(cseq, sizeof cseq, "%u %s", ++l->lseq, name);
    ta_start(ta, tag, value);
    /* nta picks the transport: a NOTIFY too large for UDP is tried over
     * TCP, and sent over UDP at once if the watcher has no TCP connection
     * up (T4 ~0), as most phones listen on UDP only */
    orq = lean_tcreate(
        n, callback, (nta_outgoing_magic_t *)d, NULL, 0, NULL, method,
        name,
        ruri, route, SIPTAG_CALL_ID_STR(l->call_id),
        SIPTAG_CSEQ_STR(cseq), SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
        SIPTAG_CONTACT_STR(l->tcp ? n->contact_tcp : n->contact_udp),
        SIPTAG_EVENT_STR(d->event),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_USER_AGENT_STR(cfg->sip.user_agent)),
        TAG_NEXT(ta_args(ta)));
    ta_end(ta);
    su_home_deinit(home);
    return orq;
}

/* ---- NOTIFY ------------------------------------------------------------ */

static int on_notify_answer(nta_outgoing_magic_t *magic,
                            nta_outgoing_t *orq, sip_t const *sip);

/* A request that could not even be created ends the dialog, from an idle
 * source: never inside the owner's own call. */
static gboolean
send_failed_idle(gpointer data)
{
    GwSipDialog *d = data;

    d->lean->fail_id = 0;
    lean_end(d, 503, "request could not be sent");
    return G_SOURCE_REMOVE;
}

static void
send_failed(GwSipDialog *d, const char *method)
{
    GwLeanDialog *l = d->lean;

    if (l->fail_id != 0)
        return;
    g_warning("%s to %s (Call-ID %s) could not be sent", method, l->target,
              l->call_id);
    l->fail_id = g_idle_add(send_failed_idle, d);
}

static void
send_notify(GwSipDialog *d, const char *ss, gboolean final,
            const char *content_type, const char *body)
{
    GwLeanDialog *l = d->lean;

    l->in_flight_final = final;
    l->orq = lean_send(
        d, SIP_METHOD_NOTIFY, on_notify_answer,
        SIPTAG_SUBSCRIPTION_STATE_STR(ss),
        TAG_IF(content_type != NULL, SIPTAG_CONTENT_TYPE_STR(content_type)),
        TAG_IF(body != NULL, SIPTAG_PAYLOAD_STR(body)), TAG_END());
    if (l->orq == NULL)
        send_failed(d, "NOTIFY");
}

/* The final answer to a request we sent: its status and phrase (the
 * peer's, else the standard one: nta gives no message for a non-INVITE
 * timeout), the transaction let go. FALSE for a provisional one. */
static gboolean
final_of(nta_outgoing_t *orq, sip_t const *sip, int *status,
         const char **phrase)
{
    *status = nta_outgoing_status(orq);
    *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase
                                     : sip_status_phrase(*status);
    if (*phrase == NULL)
        *phrase = "";
    if (*status < 200)
        return FALSE;
    nta_outgoing_destroy(orq);
    return TRUE;
}

/* final_of() for the dialog's request in flight. */
static gboolean
final_answer(GwSipDialog *d, nta_outgoing_t *orq, sip_t const *sip,
             int *status, const char **phrase)
{
    if (!final_of(orq, sip, status, phrase))
        return FALSE;
    d->lean->orq = NULL;
    return TRUE;
}

static int
on_notify_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                 sip_t const *sip)
{
    GwSipDialog *d = (GwSipDialog *)magic;
    GwLeanDialog *l = d->lean;
    int status;
    const char *phrase;
    PendingNotify *p;

    if (!final_answer(d, orq, sip, &status, &phrase))
        return 0;
    if (status >= 300) {
        g_info("NOTIFY to %s answered %d %s: subscription ended",
               l->remote, status, phrase);
        lean_end(d, status, phrase);
        return 0;
    }
    if (l->in_flight_final) {
        lean_end(d, 0, "terminated");
        return 0;
    }
    if ((p = l->next) != NULL) {
        l->next = NULL;
        send_notify(d, p->ss, p->final, p->content_type, p->body);
        pending_free(p);
    } else if (d->closed) {
        lean_free(d);
    }
    return 0;
}

void
gw_notifier_notify(GwSipDialog *d, const char *ss, gboolean final,
                   const char *content_type, const char *body)
{
    GwLeanDialog *l = d->lean;
    PendingNotify *p;

    if (l->final_queued)
        return;
    l->final_queued = final;
    if (l->orq == NULL && l->fail_id == 0) {
        send_notify(d, ss, final, content_type, body);
        return;
    }
    p = g_new0(PendingNotify, 1);
    p->ss = g_strdup(ss);
    p->final = final;
    p->content_type = g_strdup(content_type);
    p->body = g_strdup(body);
    pending_free(l->next);
    l->next = p;
}

static void refresh_cancel(GwSipDialog *d);
static void send_unsubscribe(GwSipDialog *d);

void
gw_notifier_close(GwSipDialog *d)
{
    GwLeanDialog *l = d->lean;

    if (l->client) {
        /* un-SUBSCRIBE now, or once the SUBSCRIBE in flight is answered */
        if (l->closing)
            return;
        l->closing = TRUE;
        refresh_cancel(d);
        if (l->orq != NULL || l->fail_id != 0)
            return;
        if (l->answered)
            send_unsubscribe(d);
        else if (l->in_callback)
            l->free_later = TRUE;
        else
            lean_free(d);
        return;
    }
    /* the terminating NOTIFY, if any, is under way or waiting */
    if (l->orq == NULL && l->next == NULL && l->fail_id == 0)
        lean_free(d);
}

/* ---- requests ---------------------------------------------------------- */

static void stateless_respond(GwSipRequest *req, int status,
                              const char *phrase, guint retry_after,
                              const char *accept, const char *challenge);

void
gw_notifier_respond(GwSipRequest *req, int status, const char *phrase,
                    guint retry_after, const char *accept, gint expires,
                    const char *challenge)
{
    GwSipUa *ua = req->ua;
    GwNotifier *n = ua->notifier;
    GwSipDialog *d = req->dialog;
    const GwConfig *cfg = ua->config;
    const char *contact = NULL;
    char ra[16], ex[16];

    if (req->msg != NULL) {
        stateless_respond(req, status, phrase, retry_after, accept,
                          challenge);
        return;
    }
    g_snprintf(ra, sizeof ra, "%u", retry_after);
    g_snprintf(ex, sizeof ex, "%d", expires);
    if (d != NULL && status < 300)
        contact = d->lean->tcp ? n->contact_tcp : n->contact_udp;
    nta_incoming_treply(
        req->irq, status, phrase,
        TAG_IF(retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)),
        TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
        TAG_IF(expires >= 0 && status != 423, SIPTAG_EXPIRES_STR(ex)),
        TAG_IF(expires >= 0 && status == 423, SIPTAG_MIN_EXPIRES_STR(ex)),
        TAG_IF(challenge != NULL, SIPTAG_WWW_AUTHENTICATE_STR(challenge)),
        TAG_IF(contact != NULL, SIPTAG_CONTACT_STR(contact)),
        TAG_IF(status == 405, SIPTAG_ALLOW_STR(ALLOW)),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_SERVER_STR(cfg->sip.user_agent)),
        TAG_END());
    nta_incoming_destroy(req->irq);
    if (d != NULL && !d->lean->answered) {
        if (status < 300 && d->funcs != NULL) {
            d->lean->answered = TRUE;
        } else {
            /* refused, or accepted with nobody to serve it */
            if (status < 300)
                g_warning("SUBSCRIBE answered %d without an owner", status);
            lean_end(d, status, phrase);
        }
    }
    g_hash_table_remove(ua->requests, req);
    g_free(req);
}

static int
reply_now(GwNotifier *n, nta_incoming_t *irq, int status, const char *phrase,
          const char *retry_after)
{
    const GwConfig *cfg = n->ua->config;

    nta_incoming_treply(
        irq, status, phrase,
        TAG_IF(retry_after != NULL, SIPTAG_RETRY_AFTER_STR(retry_after)),
        TAG_IF(status == 405 || status == 200, SIPTAG_ALLOW_STR(ALLOW)),
        TAG_IF(status == 200, SIPTAG_ACCEPT_STR("application/pidf+xml")),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_SERVER_STR(cfg->sip.user_agent)),
        TAG_END());
    nta_incoming_destroy(irq);
    return 0;
}

/* ---- our own subscriptions ------------------------------------------ */

static gint
cmp_refresh(gconstpointer a, gconstpointer b, gpointer data)
{
    const GwLeanDialog *x = ((const GwSipDialog *)a)->lean;
    const GwLeanDialog *y = ((const GwSipDialog *)b)->lean;

    (void)data;
    if (x->refresh_at != y->refresh_at)
        return x->refresh_at < y->refresh_at ? -1 : 1;
    return a < b ? -1 : a > b;
}

static gboolean on_refresh_due(gpointer data);

static void
schedule_refresh(GwNotifier *n)
{
    GwSipDialog *first;
    gint64 wait_ms;

    g_clear_handle_id(&n->refresh_id, g_source_remove);
    if (g_sequence_is_empty(n->refreshes))
        return;
    first = g_sequence_get(g_sequence_get_begin_iter(n->refreshes));
    wait_ms = (first->lean->refresh_at - g_get_monotonic_time()) / 1000 + 1;
    n->refresh_id = g_timeout_add((guint)CLAMP(wait_ms, 0, G_MAXINT32),
                                  on_refresh_due, n);
}

static void
refresh_cancel(GwSipDialog *d)
{
    GwLeanDialog *l = d->lean;

    if (l->refresh != NULL) {
        g_sequence_remove(l->refresh);
        l->refresh = NULL;
    }
}

static void
refresh_in(GwSipDialog *d, guint seconds)
{
    GwLeanDialog *l = d->lean;

    refresh_cancel(d);
    l->refresh_at = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
    l->refresh = g_sequence_insert_sorted(l->n->refreshes, d, cmp_refresh,
                                          NULL);
    if (l->refresh == g_sequence_get_begin_iter(l->n->refreshes))
        schedule_refresh(l->n);
}

static int on_subscribe_answer(nta_outgoing_magic_t *magic,
                               nta_outgoing_t *orq, sip_t const *sip);

static void
send_subscribe(GwSipDialog *d, guint expires, const char *auth,
               gboolean proxy_auth)
{
    GwLeanDialog *l = d->lean;
    char ex[16];

    g_snprintf(ex, sizeof ex, "%u", expires);
    l->orq = lean_send(
        d, SIP_METHOD_SUBSCRIBE, on_subscribe_answer,
        SIPTAG_EXPIRES_STR(ex),
        TAG_IF(l->accept != NULL, SIPTAG_ACCEPT_STR(l->accept)),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_END());
    if (l->orq == NULL)
        send_failed(d, "SUBSCRIBE");
}

static void
send_unsubscribe(GwSipDialog *d)
{
    d->lean->unsubscribed = TRUE;
    send_subscribe(d, 0, NULL, FALSE); /* freed when answered or failed */
}

static gboolean
on_refresh_due(gpointer data)
{
    GwNotifier *n = data;
    gint64 now = g_get_monotonic_time();

    n->refresh_id = 0;
    while (!g_sequence_is_empty(n->refreshes)) {
        GwSipDialog *d =
            g_sequence_get(g_sequence_get_begin_iter(n->refreshes));
        GwLeanDialog *l = d->lean;
        if (l->refresh_at > now)
            break;
        refresh_cancel(d);
        /* one in flight: its answer schedules the next refresh */
        if (l->orq == NULL && l->fail_id == 0 && !l->closing)
            send_subscribe(d, l->expires, NULL, FALSE);
    }
    schedule_refresh(n);
    return G_SOURCE_REMOVE;
}

/* The answer to a 401 (WWW-Authenticate) or 407 (Proxy-Authenticate)
 * with [sip] credentials, for `method` to `uri`; NULL when there is none
 * to give (no credentials, no challenge, one we cannot answer: logged).
 * Zero it before g_free(). */
static char *
digest_answer(GwNotifier *n, sip_t const *sip, int status,
              const char *method, const char *uri)
{
    const GwConfig *cfg = n->ua->config;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const void *au = status == 401 ? (const void *)sip->sip_www_authenticate
                                   : (const void *)sip->sip_proxy_authenticate;
    g_autoptr(GError) error = NULL;
    char *answer;
    char cnonce[17];

    if (cfg->sip.password == NULL || cfg->sip.auth_username == NULL ||
        au == NULL)
        return NULL;
    g_snprintf(cnonce, sizeof cnonce, "%08x%08x", g_random_int(),
               g_random_int());
    answer = gw_sip_auth_answer(header_text(home, au),
                                cfg->sip.auth_username, cfg->sip.password,
                                method, uri, cnonce, 1, &error);
    su_home_deinit(home);
    if (answer == NULL)
        g_warning("%s to %s: %d challenge not answered: %s", method, uri,
                  status, error->message);
    return answer;
}

/* Answers a digest challenge once with [sip] credentials; FALSE when it
 * cannot. */
static gboolean
answer_challenge(GwSipDialog *d, sip_t const *sip, int status)
{
    GwLeanDialog *l = d->lean;
    g_autofree char *answer = digest_answer(
        l->n, sip, status, "SUBSCRIBE", l->answered ? l->target : l->remote);

    if (answer == NULL)
        return FALSE;
    l->auth_tried = TRUE;
    send_subscribe(d, l->unsubscribed ? 0 : l->expires, answer,
                   status == 407);
    memset(answer, 0, strlen(answer));
    return TRUE;
}

/* The dialog's peer tag, remote target and route set, from the first
 * 2xx (route set: Record-Route reversed, RFC 3261 12.1.2) or the first
 * NOTIFY (as received: it is a request to us). */
static void
establish(GwSipDialog *d, sip_t const *sip, gboolean from_notify)
{
    GwLeanDialog *l = d->lean;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *tag = from_notify ? sip->sip_from->a_tag : sip->sip_to->a_tag;

    if (l->rtag == NULL && tag != NULL)
        l->rtag = gw_pool_strdup(tag);
    if (sip->sip_contact != NULL) {
        gw_pool_free_str(l->target);
        l->target =
            gw_pool_strdup(url_as_string(home, sip->sip_contact->m_url));
    }
    if (!l->answered) {
        g_autofree char *route = NULL;
        if (from_notify) {
            route = route_set(home, sip);
        } else if (sip->sip_record_route != NULL) {
            sip_t copy = *sip;
            copy.sip_record_route =
                sip_route_reverse(home, sip->sip_record_route);
            route = route_set(home, &copy);
        }
        gw_pool_free_str(l->route);
        l->route = gw_pool_strdup(route);
        l->answered = TRUE;
    }
    su_home_deinit(home);
}

static int
on_subscribe_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                    sip_t const *sip)
{
    GwSipDialog *d = (GwSipDialog *)magic;
    GwLeanDialog *l = d->lean;
    int status;
    const char *phrase;
    guint granted;

    if (!final_answer(d, orq, sip, &status, &phrase))
        return 0;
    if ((status == 401 || status == 407) && !l->auth_tried && sip != NULL &&
        answer_challenge(d, sip, status))
        return 0;
    if (l->unsubscribed) {
        lean_free(d); /* whatever the answer: we are done */
        return 0;
    }
    if (status >= 300) {
        guint retry = sip && sip->sip_retry_after
                          ? (guint)sip->sip_retry_after->af_delta : 0;
        if (l->closing) {
            lean_free(d);
            return 0;
        }
        g_info("SUBSCRIBE to %s answered %d %s", l->remote, status, phrase);
        lean_end_retry(d, status, phrase, retry);
        return 0;
    }
    l->auth_tried = FALSE;
    establish(d, sip, FALSE);
    if (l->closing) {
        send_unsubscribe(d);
        return 0;
    }
    granted = sip->sip_expires ? (guint)sip->sip_expires->ex_delta
                               : l->expires;
    if (granted == 0 || granted > l->expires)
        granted = l->expires;
    refresh_in(d, MAX(granted * 3 / 4, 1));
    return 0;
}

GwSipDialog *
gw_notifier_subscribe(GwNotifier *n, const char *from, const char *to,
                      const char *route, const char *event,
                      const char *accept, guint expires,
                      const GwSipDialogFuncs *funcs, gpointer data)
{
    char call_id[40], tag[20];
    GwSipDialog *d;
    GwLeanDialog *l;

    g_snprintf(call_id, sizeof call_id, "%08x%08x%08x", g_random_int(),
               g_random_int(), g_random_int());
    g_snprintf(tag, sizeof tag, "%08x%08x", g_random_int(), g_random_int());
    d = lean_alloc(n, call_id, tag, from, to, event, accept,
                   strlen(to) + 256);
    if (d == NULL)
        return NULL;
    l = d->lean;
    l->client = TRUE;
    l->expires = expires;
    l->target = gw_pool_strdup(to);
    /* a pre-loaded route: the presence server, or else the outbound proxy
     * nua would use */
    if (route == NULL)
        route = n->ua->config->sip.outbound_proxy;
    if (route != NULL) {
        g_autofree char *r = g_strdup_printf(
            "<%s%s>", route, strstr(route, ";lr") ? "" : ";lr");
        l->route = gw_pool_strdup(r);
    }
    d->funcs = funcs;
    d->data = data;
    send_subscribe(d, expires, NULL, FALSE);
    return d;
}

/* A NOTIFY in one of our subscriptions. */
static int
take_notify(GwNotifier *n, nta_incoming_t *irq, sip_t const *sip,
            GwSipDialog *d)
{
    GwLeanDialog *l = d->lean;
    sip_subscription_state_t const *ss = sip->sip_subscription_state;
    GwSubState st;
    const char *reason;
    guint retry = 0;

    if (l->rseq_known && sip->sip_cseq->cs_seq <= l->rseq)
        return reply_now(n, irq, 500, "CSeq Out of Order", NULL);
    if (ss == NULL || ss->ss_substate == NULL)
        return reply_now(n, irq, 400, "Missing Subscription-State", NULL);
    if (sip->sip_event == NULL || sip->sip_event->o_type == NULL ||
        g_ascii_strcasecmp(sip->sip_event->o_type, d->event) != 0)
        return reply_now(n, irq, 489, "Bad Event", NULL);
    l->rseq = sip->sip_cseq->cs_seq;
    l->rseq_known = TRUE;
    establish(d, sip, TRUE);
    reply_now(n, irq, SIP_200_OK, NULL);
    if (l->closing || d->closed)
        return 0; /* the last NOTIFY after our un-SUBSCRIBE */

    st = g_ascii_strcasecmp(ss->ss_substate, "active") == 0    ? GW_SUB_ACTIVE
         : g_ascii_strcasecmp(ss->ss_substate, "pending") == 0 ? GW_SUB_PENDING
                                                               : GW_SUB_TERMINATED;
    reason = ss->ss_reason;
    if (ss->ss_retry_after != NULL)
        retry = (guint)g_ascii_strtoull(ss->ss_retry_after, NULL, 10);
    if (d->funcs != NULL && d->funcs->notify != NULL) {
        g_autofree char *ct =
            sip->sip_content_type && sip->sip_content_type->c_type
                ? g_ascii_strdown(sip->sip_content_type->c_type, -1)
                : NULL;
        l->in_callback = TRUE;
        d->funcs->notify(d->data, st, ct,
                         sip->sip_payload ? sip->sip_payload->pl_data : NULL,
                         sip->sip_payload ? sip->sip_payload->pl_len : 0);
        l->in_callback = FALSE;
        if (l->free_later) {
            lean_free(d);
            return 0;
        }
    }
    if (st == GW_SUB_TERMINATED && !l->closing) {
        if (l->orq != NULL) {
            nta_outgoing_destroy(l->orq); /* a refresh: moot now */
            l->orq = NULL;
        }
        lean_end_retry(d, 0, reason, retry);
    }
    return 0;
}

/* Everything but MESSAGE, in a transaction nta keeps (RFC 3261 17.2). */
static int
on_request(GwNotifier *n, nta_incoming_t *irq, sip_t const *sip)
{
    GwSipUa *ua = n->ua;
    GwSipIncoming in = { 0 };
    GwIncomingText text;
    GwSipDialog *d = NULL;
    GwSipRequest *req;
    msg_t *msg;
    sip_method_t method = sip->sip_request->rq_method;

    if (method == sip_method_cancel) /* nta matched none of ours */
        return reply_now(n, irq, 481, "Call/Transaction Does Not Exist",
                         NULL);
    if (ua->stopping)
        return reply_now(n, irq, 503, "Gateway Shutting Down", "5");
    if (sip->sip_to->a_tag != NULL && method == sip_method_notify) {
        d = lean_find(n, sip, TRUE);
        if (d == NULL)
            return reply_now(n, irq, 481, "Subscription Does Not Exist",
                             NULL);
        return take_notify(n, irq, sip, d);
    }
    if (sip->sip_to->a_tag != NULL) {
        d = lean_find(n, sip, FALSE);
        if (d == NULL)
            return reply_now(n, irq, 481, "Subscription Does Not Exist",
                             NULL);
        if (method == sip_method_options)
            return reply_now(n, irq, SIP_200_OK, NULL);
        if (method != sip_method_subscribe)
            return reply_now(n, irq, 405, "Method Not Allowed", NULL);
        if (sip->sip_cseq->cs_seq <= d->lean->rseq)
            return reply_now(n, irq, 500, "CSeq Out of Order", NULL);
    } else if (method == sip_method_options) {
        return reply_now(n, irq, SIP_200_OK, NULL);
    } else if (method != sip_method_subscribe) {
        return reply_now(n, irq, 405, "Method Not Allowed", NULL);
    } else if (sip->sip_from->a_tag == NULL) {
        return reply_now(n, irq, 400, "Missing From Tag", NULL);
    } else if (sip->sip_contact == NULL) {
        return reply_now(n, irq, 400, "Missing Contact", NULL);
    } else if (sip->sip_event == NULL) {
        return reply_now(n, irq, 489, "Bad Event", NULL);
    }

    msg = nta_incoming_getrequest(irq);
    gw_sip_incoming_fill(&in, &text, sip, msg);
    msg_destroy(msg);
    if (d == NULL) {
        d = lean_new(n, irq, sip, strcmp(in.transport, "tcp") == 0);
        if (d == NULL) {
            g_info("SUBSCRIBE from %s (%s): dialog state above %d bytes "
                   "or unreadable: 513", in.from_uri, in.source,
                   MAX_DIALOG_BYTES);
            gw_sip_incoming_text_clear(&text);
            return reply_now(n, irq, 513, "Message Too Large", NULL);
        }
    } else {
        /* SUBSCRIBE refreshes the remote target (RFC 6665 4.1.2.1) */
        GwLeanDialog *l = d->lean;
        l->rseq = sip->sip_cseq->cs_seq;
        if (sip->sip_contact != NULL) {
            su_home_t home[1] = { SU_HOME_INIT(home) };
            char *t = url_as_string(home, sip->sip_contact->m_url);
            if (t != NULL && strcmp(t, l->target) != 0) {
                gw_pool_free_str(l->target);
                l->target = gw_pool_strdup(t);
            }
            su_home_deinit(home);
        }
    }
    req = gw_sip_request_new(ua, &in, d);
    req->irq = irq;
    gw_sip_ua_deliver(ua, req, &in);
    gw_sip_incoming_text_clear(&text);
    return 0;
}

/* ---- MESSAGE, stateless ------------------------------------------------ *
 *
 * A MESSAGE answered through nta would keep its server transaction, ~10
 * KiB, for timer J (64*T1 = 32 s) over UDP: 330 MiB at 1,000/s. Here nta
 * hands MESSAGEs over without a transaction (no default leg), and the
 * memo (dedup.h) keeps ~11-14 bytes per UDP request instead, for the
 * same time (up to 1/8 longer), keyed by the transaction identity of
 * RFC 3261 17.2.3:
 *   new: kept as pending, given to the router as any other request;
 *   retransmitted while pending (Trying): dropped, as 17.2.2 says;
 *   retransmitted once answered (Completed): the same answer again
 *     (status, Retry-After, Accept, the same To tag), never a second
 *     delivery; a 401 is not kept (its retransmission is challenged
 *     afresh: nothing was delivered);
 *   over TCP/TLS nothing is retransmitted (17.1.2.2; timer J is 0):
 *     nothing is kept. */

static guint64
memo_key(sip_t const *sip)
{
    sip_via_t const *v = sip->sip_via;
    const char *branch = v != NULL ? v->v_branch : NULL;
    char cseq[16];

    if (branch != NULL && g_ascii_strncasecmp(branch, "z9hG4bK", 7) == 0) {
        const char *parts[] = {"3261", branch, v->v_host, v->v_port};
        return gw_dedup_hash(parts, G_N_ELEMENTS(parts));
    } else {
        /* RFC 2543 peers: 17.2.3's second rule */
        const char *parts[] = {"2543", sip->sip_call_id->i_id, cseq,
                               sip->sip_from->a_tag, sip->sip_to->a_tag,
                               v != NULL ? v->v_host : NULL,
                               v != NULL ? v->v_port : NULL, branch,
                               sip->sip_request->rq_url->url_user,
                               sip->sip_request->rq_url->url_host};
        g_snprintf(cseq, sizeof cseq, "%u", sip->sip_cseq->cs_seq);
        return gw_dedup_hash(parts, G_N_ELEMENTS(parts));
    }
}

/* Answers a MESSAGE without a transaction; takes msg. tport (or NULL:
 * the one delivering it now) carries the answer. */
static void
stateless_reply(GwNotifier *n, msg_t *msg, sip_t const *sip, tport_t *tport,
                guint64 key, int status, const char *phrase,
                guint retry_after, const char *accept, const char *challenge)
{
    const GwConfig *cfg = n->ua->config;
    sip_to_t *to = NULL;
    char ra[16], tag[24];

    g_snprintf(ra, sizeof ra, "%u", retry_after);
    if (status > 100 && sip->sip_to != NULL && sip->sip_to->a_tag == NULL) {
        /* the same tag for every answer to this request (8.2.6.2) */
        g_snprintf(tag, sizeof tag, "%016" G_GINT64_MODIFIER "x",
                   (key ^ n->tag_salt) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15));
        to = sip_to_dup(msg_home(msg), sip->sip_to);
        if (to != NULL)
            sip_to_tag(msg_home(msg), to, tag);
    }
    nta_msg_treply(
        n->agent, msg, status, phrase,
        TAG_IF(to != NULL, SIPTAG_TO(to)),
        TAG_IF(tport != NULL, NTATAG_TPORT(tport)),
        TAG_IF(retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)),
        TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
        TAG_IF(challenge != NULL, SIPTAG_WWW_AUTHENTICATE_STR(challenge)),
        TAG_IF(status == 405, SIPTAG_ALLOW_STR(ALLOW)),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_SERVER_STR(cfg->sip.user_agent)),
        TAG_END());
}

static void
stateless_respond(GwSipRequest *req, int status, const char *phrase,
                  guint retry_after, const char *accept,
                  const char *challenge)
{
    GwNotifier *n = req->ua->notifier;
    sip_t const *sip = sip_object(req->msg);

    if (status < 200) {
        /* nothing provisional without a transaction; the final follows */
        return;
    }
    stateless_reply(n, req->msg, sip, req->tport, req->memo_key, status,
                    phrase, retry_after, accept, challenge);
    req->msg = NULL;
    if (req->memo_reliable) {
        /* nothing was kept (nothing is retransmitted over TCP/TLS) */
    } else if (status == 401) {
        gw_dedup_remove(n->memo, req->memo_key);
    } else {
        guint32 v = (guint32)MIN(status, 0x3ff) |
                    (guint32)MIN(retry_after, 0xfffffu) << 10 |
                    (guint32)(accept != NULL) << 30;
        if (accept != NULL && g_strcmp0(accept, n->memo_accept) != 0) {
            g_free(n->memo_accept);
            n->memo_accept = g_strdup(accept);
        }
        gw_dedup_set(n->memo, req->memo_key, v);
    }
    if (req->tport != NULL)
        tport_unref(req->tport);
    g_hash_table_remove(req->ua->requests, req);
    g_free(req);
}

static void
take_message(GwNotifier *n, msg_t *msg, sip_t const *sip)
{
    GwSipUa *ua = n->ua;
    GwSipIncoming in = { 0 };
    GwIncomingText text;
    GwSipRequest *req;
    guint64 key = memo_key(sip);
    gint64 now = g_get_monotonic_time() / 1000;
    guint32 v;

    if (gw_dedup_lookup(n->memo, key, now, &v)) {
        if (v == GW_DEDUP_PENDING) {
            msg_destroy(msg); /* Trying: absorbed */
        } else {
            int status = (int)MEMO_STATUS(v);
            stateless_reply(n, msg, sip, NULL, key, status,
                            sip_status_phrase(status), MEMO_RETRY(v),
                            MEMO_ACCEPT(v) ? n->memo_accept : NULL, NULL);
        }
        return;
    }
    if (ua->stopping) {
        stateless_reply(n, msg, sip, NULL, key, 503, "Gateway Shutting Down",
                        5, NULL, NULL);
        return;
    }
    if (sip->sip_to->a_tag != NULL) {
        /* no INVITE dialogs here for a MESSAGE to belong to */
        stateless_reply(n, msg, sip, NULL, key, 481,
                        "Call/Transaction Does Not Exist", 0, NULL, NULL);
        return;
    }
    gw_sip_incoming_fill(&in, &text, sip, msg);
    req = gw_sip_request_new(ua, &in, NULL);
    req->msg = msg;
    req->tport = nta_incoming_transport(n->agent, NULL, msg);
    req->memo_key = key;
    req->memo_reliable = strcmp(in.transport, "udp") != 0;
    if (!req->memo_reliable)
        gw_dedup_add(n->memo, key, now);
    gw_sip_ua_deliver(ua, req, &in); /* may answer (and free req) now */
    gw_sip_incoming_text_clear(&text);
}

/* nta's callback for what no transaction or leg took: MESSAGEs here,
 * the other requests into a transaction, stray answers dropped. */
static int
on_agent_message(nta_agent_magic_t *magic, nta_agent_t *agent, msg_t *msg,
                 sip_t *sip)
{
    GwNotifier *n = (GwNotifier *)magic;
    nta_incoming_t *irq;

    if (sip == NULL || sip->sip_request == NULL || sip->sip_cseq == NULL) {
        msg_destroy(msg); /* a stray response: nothing of ours */
        return 0;
    }
    switch (sip->sip_request->rq_method) {
    case sip_method_message:
        take_message(n, msg, sip);
        return 0;
    case sip_method_ack:
        msg_destroy(msg);
        return 0;
    default:
        irq = nta_incoming_create(agent, NULL, msg, sip, TAG_END());
        if (irq == NULL) {
            g_warning("lean agent: no memory for a %s transaction",
                      sip->sip_request->rq_method_name);
            return 0;
        }
        return on_request(n, irq, sip);
    }
}

static gboolean
memo_sweep(gpointer data)
{
    GwNotifier *n = data;

    gw_dedup_expire(n->memo, g_get_monotonic_time() / 1000);
    return G_SOURCE_CONTINUE;
}

/* ---- MESSAGE, sent ----------------------------------------------------- *
 *
 * gw_sip_ua_send_message() through the lean agent: a transaction while
 * the request is unanswered (nta retransmits, times out, resolves), and
 * nothing once it is: LEAN_T4_MS. A digest challenge is answered once
 * with [sip] credentials, as the nua path does; the request goes to
 * [sip] outbound_proxy when set (as nua's NUTAG_PROXY: no Route header). */

typedef struct {
    GwNotifier *n;
    nta_outgoing_t *orq;
    GwSipResultFunc func;
    gpointer data;
    guint idle_id;   /* reports a request that could not be created */
    guint32 cseq;
    gboolean auth_tried;
    gboolean over_tcp;    /* the last one went over TCP for its size */
    gboolean tcp_refused; /* ... which failed: UDP once more */
    char *call_id, *from, *to, *ruri, *content_type, *body;
} LeanOut;

static int on_message_answer(nta_outgoing_magic_t *magic,
                             nta_outgoing_t *orq, sip_t const *sip);

static void
out_finish(LeanOut *o, int status, const char *phrase)
{
    g_hash_table_remove(o->n->outs, o);
    if (o->orq != NULL)
        nta_outgoing_destroy(o->orq);
    g_clear_handle_id(&o->idle_id, g_source_remove);
    if (o->func != NULL)
        o->func(status, phrase, o->data);
    g_free(o->call_id);
    g_free(o->from);
    g_free(o->to);
    g_free(o->ruri);
    g_free(o->content_type);
    g_free(o->body);
    g_free(o);
}

static gboolean
out_failed_idle(gpointer data)
{
    LeanOut *o = data;

    o->idle_id = 0;
    out_finish(o, 503, "Cannot Create Request");
    return G_SOURCE_REMOVE;
}

/* (Re)sends with the next CSeq; auth: an Authorization (or, proxy_auth,
 * Proxy-Authorization) value. udp: nta's own choice of transport, after
 * TCP was refused. */
static gboolean
out_send(LeanOut *o, const char *auth, gboolean proxy_auth, gboolean udp)
{
    GwNotifier *n = o->n;
    const GwConfig *cfg = n->ua->config;
    const char *proxy = cfg->sip.outbound_proxy;
    char cseq[32];
    gsize estimate;

    g_snprintf(cseq, sizeof cseq, "%u MESSAGE", ++o->cseq);
    estimate = strlen(o->body) + strlen(o->content_type) + strlen(o->ruri) +
               strlen(o->from) + strlen(o->to) + strlen(o->call_id) +
               (auth ? strlen(auth) : 0) +
               (cfg->sip.user_agent ? strlen(cfg->sip.user_agent) : 0);
    if (udp)
        estimate = 0; /* as nta decides */
    o->orq = lean_tcreate(
        n, on_message_answer, (nta_outgoing_magic_t *)o, proxy, estimate,
        &o->over_tcp, SIP_METHOD_MESSAGE, o->ruri, NULL, SIPTAG_CALL_ID_STR(o->call_id),
        SIPTAG_CSEQ_STR(cseq), SIPTAG_FROM_STR(o->from), SIPTAG_TO_STR(o->to),
        SIPTAG_CONTENT_TYPE_STR(o->content_type),
        SIPTAG_PAYLOAD_STR(o->body),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_USER_AGENT_STR(cfg->sip.user_agent)),
        TAG_END());
    return o->orq != NULL;
}

static int
on_message_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                  sip_t const *sip)
{
    LeanOut *o = (LeanOut *)magic;
    gboolean internal = sip == NULL || (sip->sip_flags & NTA_MADE_IT);
    int status;
    const char *phrase;

    if (!final_of(orq, sip, &status, &phrase))
        return 0;
    o->orq = NULL;
    if (status == 503 && internal && o->over_tcp && !o->tcp_refused) {
        /* sent over TCP for its size, which the peer refused: UDP, as
         * nta's own fallback does */
        o->tcp_refused = TRUE;
        if (out_send(o, NULL, FALSE, TRUE))
            return 0;
    }
    if ((status == 401 || status == 407) && !o->auth_tried && sip != NULL) {
        g_autofree char *answer =
            digest_answer(o->n, sip, status, "MESSAGE", o->ruri);
        o->auth_tried = TRUE;
        if (answer != NULL) {
            gboolean sent =
                out_send(o, answer, status == 407, o->tcp_refused);
            memset(answer, 0, strlen(answer));
            if (sent)
                return 0;
        }
    }
    out_finish(o, status, phrase);
    return 0;
}

void
gw_notifier_send_message(GwNotifier *n, const char *from_uri,
                         const char *to_uri, const char *content_type,
                         const char *body, GwSipResultFunc result,
                         gpointer user_data)
{
    LeanOut *o = g_new0(LeanOut, 1);

    o->n = n;
    o->func = result;
    o->data = user_data;
    o->call_id = g_strdup_printf("%08x%08x%08x", g_random_int(),
                                 g_random_int(), g_random_int());
    /* name-addr form: URI parameters stay the URI's (RFC 3261 20.10) */
    o->from = g_strdup_printf("<%s>;tag=%08x%08x", from_uri, g_random_int(),
                              g_random_int());
    o->to = g_strdup_printf("<%s>", to_uri);
    o->ruri = g_strdup(to_uri);
    o->content_type = g_strdup(content_type);
    o->body = g_strdup(body != NULL ? body : "");
    o->cseq = g_random_int_range(1, 1 << 20);
    g_hash_table_add(n->outs, o);
    if (!out_send(o, NULL, FALSE, FALSE)) {
        /* reported from the loop, never inside the caller */
        o->idle_id = g_idle_add(out_failed_idle, o);
    }
}

void
gw_notifier_fail_outgoing(GwNotifier *n, int status, const char *phrase)
{
    while (g_hash_table_size(n->outs) > 0) {
        GHashTableIter it;
        gpointer o;
        g_hash_table_iter_init(&it, n->outs);
        g_hash_table_iter_next(&it, &o, NULL);
        out_finish(o, status, phrase);
    }
}

/* ---- construction ------------------------------------------------------ */

GwNotifier *
gw_notifier_new(GwSipUa *ua, GError **error)
{
    const GwConfig *cfg = ua->config;
    g_autofree char *url =
        gw_sip_listen_url(cfg, cfg->sip.lean_listen);
    GwNotifier *n = g_new0(GwNotifier, 1);
    sip_contact_t *m;

    n->ua = ua;
    n->dialogs = g_hash_table_new(g_str_hash, g_str_equal);
    n->outs = g_hash_table_new(NULL, NULL);
    n->refreshes = g_sequence_new(NULL);
    n->memo = gw_dedup_new(cfg->sip.transaction_timeout_ms, MEMO_MAX_ENTRIES);
    n->tag_salt = ((guint64)g_random_int() << 32) | g_random_int();
    n->agent = nta_agent_create(
        ua->root, URL_STRING_MAKE(url), on_agent_message,
        (nta_agent_magic_t *)n, NTATAG_UA(1),
        NTATAG_MAXSIZE(MAX_REQUEST_BYTES),
        NTATAG_UDP_MTU(cfg->sip.udp_mtu),
        NTATAG_SIP_T1X64(cfg->sip.transaction_timeout_ms),
        NTATAG_SIP_T4(LEAN_T4_MS), TPTAG_QUEUESIZE(1000),
        TAG_END());
    if (n->agent == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                    "[sip] lean_listen: cannot listen on %s "
                    "(address in use or not local?)", url);
        gw_notifier_free(n);
        return NULL;
    }
    /* No default leg: nta gives what no transaction takes to
     * on_agent_message(), MESSAGEs without a transaction. Our requests go
     * out on a dialogless leg bound to a name and method no request can
     * carry to us, so it never takes one. */
    n->leg = nta_leg_tcreate(n->agent, NULL, NULL, NTATAG_NO_DIALOG(1),
                             URLTAG_URL("sip:lean-agent.invalid"),
                             NTATAG_METHOD("X-GW-NONE"), TAG_END());
    m = nta_agent_contact(n->agent);
    if (n->leg == NULL || m == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                    "[sip] lean_listen: cannot serve %s", url);
        gw_notifier_free(n);
        return NULL;
    }
    {
        su_home_t home[1] = { SU_HOME_INIT(home) };
        url_t *u = url_hdup(home, m->m_url);
        /* our address and port, without transport= (url_strip_transport
         * drops the port too) */
        if (u->url_params != NULL)
            u->url_params = url_strip_param_string(
                su_strdup(home, u->url_params), "transport");
        if (u->url_params != NULL && u->url_params[0] == '\0')
            u->url_params = NULL;
        n->contact_udp = g_strdup_printf("<%s>", url_as_string(home, u));
        n->contact_tcp =
            g_strdup_printf("<%s;transport=tcp>", url_as_string(home, u));
        su_home_deinit(home);
    }
    n->memo_sweep = g_timeout_add_seconds(MEMO_SWEEP_S, memo_sweep, n);
    gw_sip_raise_udp_rcvbuf(cfg->sip.lean_listen);
    g_message("lean agent on %s: MESSAGEs (stateless) and SIP watchers",
              url);
    return n;
}

void
gw_notifier_free(GwNotifier *n)
{
    GList *all;

    if (n == NULL)
        return;
    /* the owners are gone (the presence bridge stops first) */
    gw_notifier_fail_outgoing(n, 503, "Gateway Shutting Down");
    all = g_hash_table_get_values(n->dialogs);
    g_list_free_full(all, (GDestroyNotify)lean_free);
    g_clear_handle_id(&n->refresh_id, g_source_remove);
    g_sequence_free(n->refreshes);
    g_clear_handle_id(&n->memo_sweep, g_source_remove);
    if (n->leg != NULL)
        nta_leg_destroy(n->leg);
    if (n->agent != NULL)
        nta_agent_destroy(n->agent);
    g_hash_table_unref(n->dialogs);
    g_hash_table_unref(n->outs);
    gw_dedup_free(n->memo);
    g_free(n->memo_accept);
    g_free(n->contact_udp);
    g_free(n->contact_tcp);
    g_free(n);
}
