/* gateway/sip_notifier.c: the lean notifier. SIP watchers' SUBSCRIBEs to
 * [presence] watcher_listen, served on Sofia's transaction layer (nta)
 * without a nua handle per subscription.
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
 */
#define G_LOG_DOMAIN "gw-sip"

#include <string.h>

#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "gw_error.h"
#include "pool.h"
#include "sip_ua_priv.h"

#define ALLOW "SUBSCRIBE, OPTIONS"
/* A SUBSCRIBE is a few hundred bytes; nta answers larger requests 413. */
#define MAX_REQUEST_BYTES 65536
/* What one subscription may hold (URIs, route set ...): larger ones get
 * 513, so that max_sip_watchers bounds the memory too. */
#define MAX_DIALOG_BYTES 4096

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
    gsize size;            /* of the block (pool.h) */
    char *target;          /* remote target (Contact), refreshable; pool */
    const char *key;       /* "Call-ID\nour tag": the table's key */
    const char *call_id, *ltag, *rtag, *local, *remote, *route;
};

struct GwNotifier {
    GwSipUa *ua;
    nta_agent_t *agent;
    nta_leg_t *leg;
    GHashTable *dialogs; /* key -> GwSipDialog* */
    char *contact_udp;   /* "<sip:host:port>" */
    char *contact_tcp;   /* "<sip:host:port;transport=tcp>" */
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
    if (l->orq != NULL)
        nta_outgoing_destroy(l->orq);
    g_clear_handle_id(&l->fail_id, g_source_remove);
    pending_free(l->next);
    gw_pool_free_str(l->target);
    gw_pool_free(d, l->size); /* d, l and the strings are one block */
}

/* The watcher or a failure ended it: tell the owner once, then forget. */
static void
lean_end(GwSipDialog *d, int status, const char *reason)
{
    if (!d->closed && d->funcs != NULL && d->funcs->ended != NULL) {
        d->closed = TRUE;
        d->funcs->ended(d->data, status, reason, 0);
    }
    lean_free(d);
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

static GwSipDialog *
lean_new(GwNotifier *n, nta_incoming_t *irq, sip_t const *sip,
         gboolean tcp)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *ltag = nta_incoming_tag(irq, NULL);
    const char *call_id = sip->sip_call_id->i_id;
    const char *rtag = sip->sip_from->a_tag;
    char *local = url_as_string(home, sip->sip_to->a_url);
    char *remote = url_as_string(home, sip->sip_from->a_url);
    g_autofree char *route = route_set(home, sip);
    char *event = header_text(home, sip->sip_event);
    const char *parts[7];
    gsize size = sizeof(GwSipDialog) + sizeof(GwLeanDialog), len[7];
    GwSipDialog *d;
    GwLeanDialog *l;
    char *p;

    if (ltag == NULL || local == NULL || remote == NULL || event == NULL) {
        su_home_deinit(home);
        return NULL;
    }
    /* the key "Call-ID\nltag" first, then the rest, in one block */
    parts[0] = call_id;
    parts[1] = ltag;
    parts[2] = rtag;
    parts[3] = local;
    parts[4] = remote;
    parts[5] = event;
    parts[6] = route ? route : "";
    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        len[i] = strlen(parts[i]);
        size += len[i] + 1;
    }
    size += len[0] + 1; /* Call-ID alone too */
    if (size + strlen(url_as_string(home, sip->sip_contact->m_url)) >
        MAX_DIALOG_BYTES) {
        su_home_deinit(home);
        return NULL;
    }
    d = gw_pool_alloc0(size);
    l = (GwLeanDialog *)(d + 1);
    l->size = size;
    p = (char *)(l + 1);

    d->magic = MAGIC_DIALOG;
    d->ua = n->ua;
    d->server = TRUE;
    d->lean = l;
    l->n = n;
    l->tcp = tcp;
    l->rseq = sip->sip_cseq->cs_seq;
    l->lseq = g_random_int_range(1, 1 << 30);
    l->target = gw_pool_strdup(url_as_string(home, sip->sip_contact->m_url));

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
    TAKE(l->rtag, 2);
    TAKE(l->local, 3);
    TAKE(l->remote, 4);
    TAKE(d->event, 5);
    TAKE(l->route, 6);
    TAKE(l->call_id, 0);
#undef TAKE
    if (l->route[0] == '\0')
        l->route = NULL;
    su_home_deinit(home);
    g_hash_table_insert(n->dialogs, (gpointer)l->key, d);
    return d;
}

static GwSipDialog *
lean_find(GwNotifier *n, sip_t const *sip)
{
    g_autofree char *key = g_strconcat(sip->sip_call_id->i_id, "\n",
                                       sip->sip_to->a_tag, NULL);
    GwSipDialog *d = g_hash_table_lookup(n->dialogs, key);

    if (d == NULL || d->closed || !d->lean->answered ||
        sip->sip_from->a_tag == NULL ||
        g_ascii_strcasecmp(sip->sip_from->a_tag, d->lean->rtag) != 0)
        return NULL;
    return d;
}

/* ---- NOTIFY ------------------------------------------------------------ */

static int on_notify_answer(nta_outgoing_magic_t *magic,
                            nta_outgoing_t *orq, sip_t const *sip);

static gboolean
notify_failed_idle(gpointer data)
{
    GwSipDialog *d = data;

    d->lean->fail_id = 0;
    lean_end(d, 503, "NOTIFY could not be sent");
    return G_SOURCE_REMOVE;
}

static void
send_notify(GwSipDialog *d, const char *ss, gboolean final,
            const char *content_type, const char *body)
{
    GwLeanDialog *l = d->lean;
    GwNotifier *n = l->n;
    const GwConfig *cfg = n->ua->config;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *ruri = l->target, *route = l->route;
    char cseq[32];
    g_autofree char *from = g_strdup_printf("<%s>;tag=%s", l->local, l->ltag);
    g_autofree char *to = g_strdup_printf("<%s>;tag=%s", l->remote, l->rtag);

    if (route != NULL) {
        /* a strict router first (RFC 3261 12.2.1.1): it is the
         * Request-URI, the target goes last in the Route */
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
    g_snprintf(cseq, sizeof cseq, "%u NOTIFY", ++l->lseq);
    l->in_flight_final = final;
    l->orq = nta_outgoing_tcreate(
        n->leg, on_notify_answer, (nta_outgoing_magic_t *)d, NULL,
        SIP_METHOD_NOTIFY, URL_STRING_MAKE(ruri),
        SIPTAG_CALL_ID_STR(l->call_id), SIPTAG_CSEQ_STR(cseq),
        SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
        TAG_IF(route != NULL, SIPTAG_ROUTE_STR(route)),
        SIPTAG_CONTACT_STR(l->tcp ? n->contact_tcp : n->contact_udp),
        SIPTAG_EVENT_STR(d->event), SIPTAG_SUBSCRIPTION_STATE_STR(ss),
        TAG_IF(content_type != NULL, SIPTAG_CONTENT_TYPE_STR(content_type)),
        TAG_IF(body != NULL, SIPTAG_PAYLOAD_STR(body)),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_USER_AGENT_STR(cfg->sip.user_agent)),
        TAG_END());
    su_home_deinit(home);
    if (l->orq == NULL && l->fail_id == 0) {
        g_warning("NOTIFY to %s (Call-ID %s) could not be sent", l->target,
                  l->call_id);
        /* not from inside the owner's own call */
        l->fail_id = g_idle_add(notify_failed_idle, d);
    }
}

static int
on_notify_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                 sip_t const *sip)
{
    GwSipDialog *d = (GwSipDialog *)magic;
    GwLeanDialog *l = d->lean;
    int status = nta_outgoing_status(orq);
    const char *phrase = sip && sip->sip_status ? sip->sip_status->st_phrase
                                                : "Timeout";
    PendingNotify *p;

    if (status < 200)
        return 0;
    nta_outgoing_destroy(orq);
    l->orq = NULL;
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

void
gw_notifier_close(GwSipDialog *d)
{
    GwLeanDialog *l = d->lean;

    /* the terminating NOTIFY, if any, is under way or waiting */
    if (l->orq == NULL && l->next == NULL && l->fail_id == 0)
        lean_free(d);
}

/* ---- requests ---------------------------------------------------------- */

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

static int
on_request(nta_leg_magic_t *magic, nta_leg_t *leg, nta_incoming_t *irq,
           sip_t const *sip)
{
    GwNotifier *n = (GwNotifier *)magic;
    GwSipUa *ua = n->ua;
    GwSipIncoming in = { 0 };
    GwIncomingText text;
    GwSipDialog *d = NULL;
    GwSipRequest *req;
    msg_t *msg;
    sip_method_t method = sip->sip_request->rq_method;

    (void)leg;
    if (method == sip_method_ack) {
        nta_incoming_destroy(irq);
        return 0;
    }
    if (ua->stopping)
        return reply_now(n, irq, 503, "Gateway Shutting Down", "5");
    if (sip->sip_to->a_tag != NULL) {
        d = lean_find(n, sip);
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

/* ---- construction ------------------------------------------------------ */

GwNotifier *
gw_notifier_new(GwSipUa *ua, GError **error)
{
    const GwConfig *cfg = ua->config;
    g_autofree char *url =
        gw_sip_listen_url(cfg, cfg->presence.watcher_listen);
    GwNotifier *n = g_new0(GwNotifier, 1);
    sip_contact_t *m;

    n->ua = ua;
    n->dialogs = g_hash_table_new(g_str_hash, g_str_equal);
    n->agent = nta_agent_create(
        ua->root, URL_STRING_MAKE(url), NULL, NULL, NTATAG_UA(1),
        NTATAG_MAXSIZE(MAX_REQUEST_BYTES),
        NTATAG_UDP_MTU(cfg->sip.udp_mtu),
        NTATAG_SIP_T1X64(cfg->sip.transaction_timeout_ms),
        NTATAG_SIP_T4(cfg->sip.timer_t4_ms), TPTAG_QUEUESIZE(1000),
        TAG_END());
    if (n->agent == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                    "[presence] watcher_listen: cannot listen on %s "
                    "(address in use or not local?)", url);
        gw_notifier_free(n);
        return NULL;
    }
    n->leg = nta_leg_tcreate(n->agent, on_request, (nta_leg_magic_t *)n,
                             NTATAG_NO_DIALOG(1), TAG_END());
    m = nta_agent_contact(n->agent);
    if (n->leg == NULL || m == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                    "[presence] watcher_listen: cannot serve %s", url);
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
    gw_sip_raise_udp_rcvbuf(cfg->presence.watcher_listen);
    g_message("SIP watchers served on %s (lean notifier)", url);
    return n;
}

void
gw_notifier_free(GwNotifier *n)
{
    GHashTableIter it;
    gpointer v;

    if (n == NULL)
        return;
    /* the owners are gone (the presence bridge stops first) */
    g_hash_table_iter_init(&it, n->dialogs);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        GwSipDialog *d = v;
        GwLeanDialog *l = d->lean;
        g_hash_table_iter_steal(&it);
        if (l->orq != NULL)
            nta_outgoing_destroy(l->orq);
        g_clear_handle_id(&l->fail_id, g_source_remove);
        pending_free(l->next);
        gw_pool_free_str(l->target);
        gw_pool_free(d, l->size);
    }
    if (n->leg != NULL)
        nta_leg_destroy(n->leg);
    if (n->agent != NULL)
        nta_agent_destroy(n->agent);
    g_hash_table_unref(n->dialogs);
    g_free(n->contact_udp);
    g_free(n->contact_tcp);
    g_free(n);
}
