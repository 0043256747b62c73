/* gateway/sip/sip_subscription.c: SUBSCRIBE/NOTIFY (RFC 6665) both ways.
 *
 * Served (a SIP watcher subscribes to an XMPP user):
 *   initial SUBSCRIBE (no To tag): needs a From tag and a Contact (400
 *     without) and an Event (489); our tag is made now; the router and the
 *     presence bridge answer it as any other request (trust, digest,
 *     202/4xx); a 2xx carries our Contact; >= 300 forgets the dialog.
 *   SUBSCRIBE in the dialog: found by Call-ID + our tag (481 if not, or
 *     if the From tag differs); a CSeq not above the last gets 500
 *     (RFC 3261 12.2.2); a Contact refreshes the remote target; the owner
 *     answers it (refresh, or Expires: 0).
 *   NOTIFY: one in flight per dialog; a newer state waits behind it and
 *     replaces an older waiting one (the watcher needs the newest state
 *     only, RFC 3856 6.10). Any non-2xx final answer, a timeout included,
 *     ends the subscription (RFC 6665 4.2.2) and the owner is told.
 *
 * Ours (an XMPP user watches a SIP contact; RFC 6665 4.1):
 *   SUBSCRIBE (new Call-ID and tag, through [presence] server or the
 *     outbound proxy as a pre-loaded route); a 401/407 is answered once
 *     per challenge with [sip] credentials; the 2xx gives the peer's tag,
 *     the remote target and the route set; refreshed at 3/4 of the
 *     granted Expires on the agent's timer queue;
 *   NOTIFY in the dialog (it may come before the 2xx, 4.1.2.4): 200, then
 *     the owner gets state and body; Subscription-State is required (400);
 *     a terminated state, a failed refresh or a timeout ends the dialog
 *     and the owner is told;
 *   close: un-SUBSCRIBE (Expires: 0), once; the last NOTIFY gets 200.
 *
 * One state per subscription, changed only by enter():
 *
 *   NEW --2xx--> ACTIVE --refresh due (ours)--> REFRESHING --2xx--> ACTIVE
 *    |             |  \                            |
 *    |             |   terminating NOTIFY / un-SUBSCRIBE
 *    |             v                               v
 *    |         TERMINATING --answer, timeout--> (freed)
 *    +-->=300 / no owner / failure--------------> (freed, owner told)
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "pool.h"

typedef enum {
    SUB_NEW,
    SUB_ACTIVE,
    SUB_REFRESHING,  /* ours: a refresh is in flight */
    SUB_TERMINATING, /* served: the terminating NOTIFY is out or waits;
                        ours: the un-SUBSCRIBE is in flight */
    SUB_N_STATES
} SubState;

static const char *const sub_state_names[] = {
    "new", "active", "refreshing", "terminating",
};

/* allowed[from][to] */
static const gboolean sub_allowed[SUB_N_STATES][SUB_N_STATES] = {
    /*               NEW    ACTIVE REFRESH TERMINATING */
    [SUB_NEW] =     { FALSE, TRUE,  FALSE,  TRUE },
    [SUB_ACTIVE] =  { FALSE, FALSE, TRUE,   TRUE },
    [SUB_REFRESHING] = { FALSE, TRUE, FALSE, TRUE },
    [SUB_TERMINATING] = { FALSE, FALSE, FALSE, FALSE },
};

typedef struct {
    char *ss;
    gboolean final;
    char *content_type;
    char *body;
} PendingNotify;

struct GwSipDialog {
    SipLeg leg; /* first: the dialog table holds legs */
    const GwSipDialogFuncs *funcs;
    gpointer data;
    nta_outgoing_t *orq;  /* served: the NOTIFY in flight; ours: the
                             SUBSCRIBE in flight */
    PendingNotify *next;  /* served: the NOTIFY to send after it */
    SipTimer refresh;     /* ours: the next refresh */
    gsize size;           /* of the block (pool.h) */
    guint fail_id;        /* reports a request that could not be sent */
    guint expires;        /* ours: asked for */
    guint8 state;         /* SubState */
    gboolean closed : 1;       /* the owner let go: no more callbacks */
    gboolean in_flight_final : 1; /* served: the NOTIFY out terminates */
    gboolean final_queued : 1;    /* served: nothing after it */
    gboolean auth_tried : 1;      /* ours: a challenge answered since 2xx */
    gboolean unsubscribe_due : 1; /* ours: closed while a SUBSCRIBE flew */
    gboolean in_callback : 1;     /* ours: the owner is told a NOTIFY */
    gboolean free_later : 1;      /* ... and let go meanwhile */
};

static const char *
sub_name(const GwSipDialog *d)
{
    return d->leg.kind == LEG_SERVED ? "served" : "ours";
}

static void
enter(GwSipDialog *d, SubState to, const char *why)
{
    if (!sub_allowed[d->state][to]) {
        g_critical("subscription %s (%s): no transition %s -> %s (%s)",
                   d->leg.call_id, sub_name(d), sub_state_names[d->state],
                   sub_state_names[to], why);
        return;
    }
    g_debug("subscription %s (%s, %s): %s -> %s: %s", d->leg.call_id,
            sub_name(d), d->leg.remote, sub_state_names[d->state],
            sub_state_names[to], why);
    d->state = to;
}

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
sub_free(GwSipDialog *d)
{
    sip_timer_disarm(&d->refresh);
    if (d->orq != NULL)
        nta_outgoing_destroy(d->orq);
    g_clear_handle_id(&d->fail_id, g_source_remove);
    pending_free(d->next);
    sip_leg_free(&d->leg, d->size);
}

/* The peer or a failure ended it: tell the owner once, then forget. */
static void
sub_end(GwSipDialog *d, int status, const char *reason, guint retry_after)
{
    g_debug("subscription %s (%s): ended: %d %s", d->leg.call_id,
            sub_name(d), status, reason ? reason : "");
    if (!d->closed && d->funcs != NULL && d->funcs->ended != NULL) {
        d->closed = TRUE;
        d->funcs->ended(d->data, status, reason, retry_after);
    }
    sub_free(d);
}

gpointer
sip_subscription_data(GwSipDialog *d)
{
    return d->data;
}

void
gw_sip_dialog_bind(GwSipDialog *d, const GwSipDialogFuncs *funcs,
                   gpointer data)
{
    d->funcs = funcs;
    d->data = data;
}

/* A request that could not even be created ends the dialog, from an idle
 * source: never inside the owner's own call. */
static gboolean
send_failed_idle(gpointer data)
{
    GwSipDialog *d = data;

    d->fail_id = 0;
    sub_end(d, 503, "request could not be sent", 0);
    return G_SOURCE_REMOVE;
}

static void
send_failed(GwSipDialog *d, const char *method)
{
    if (d->fail_id != 0)
        return;
    g_warning("%s to %s (Call-ID %s) could not be sent", method,
              d->leg.target, d->leg.call_id);
    d->fail_id = g_idle_add(send_failed_idle, d);
}

/* ---- served: NOTIFY ---------------------------------------------------- */

static int on_notify_answer(nta_outgoing_magic_t *magic,
                            nta_outgoing_t *orq, sip_t const *sip);

static void
send_notify(GwSipDialog *d, const char *ss, gboolean final,
            const char *content_type, const char *body)
{
    d->in_flight_final = final;
    d->orq = sip_leg_request(
        &d->leg, on_notify_answer, d, SIP_METHOD_NOTIFY, 0, 0, NULL,
        SIPTAG_EVENT_STR(d->leg.event), SIPTAG_SUBSCRIPTION_STATE_STR(ss),
        TAG_IF(content_type != NULL, SIPTAG_CONTENT_TYPE_STR(content_type)),
        TAG_IF(body != NULL, SIPTAG_PAYLOAD_STR(body)), TAG_END());
    if (d->orq == NULL)
        send_failed(d, "NOTIFY");
}

static int
on_notify_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                 sip_t const *sip)
{
    GwSipDialog *d = (GwSipDialog *)magic;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;
    PendingNotify *p;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    d->orq = NULL;
    if (status >= 300) {
        gw_metrics.notify_failed++;
        g_info("NOTIFY to %s answered %d %s: subscription ended",
               d->leg.remote, status, phrase);
        sub_end(d, status, phrase, 0);
        return 0;
    }
    if (d->in_flight_final) {
        sub_end(d, 0, "terminated", 0);
        return 0;
    }
    if ((p = d->next) != NULL) {
        d->next = NULL;
        send_notify(d, p->ss, p->final, p->content_type, p->body);
        pending_free(p);
    } else if (d->closed) {
        sub_free(d);
    }
    return 0;
}

void
gw_sip_dialog_notify(GwSipDialog *d, GwSubState state, guint expires,
                     const char *reason, guint retry_after,
                     const char *content_type, const char *body)
{
    char ss[128];
    gboolean final = state == GW_SUB_TERMINATED;
    PendingNotify *p;

    g_return_if_fail(d != NULL && d->leg.kind == LEG_SERVED);
    if (d->final_queued)
        return;
    if (final) {
        if (retry_after > 0)
            g_snprintf(ss, sizeof ss, "terminated;reason=%s;retry-after=%u",
                       reason ? reason : "noresource", retry_after);
        else
            g_snprintf(ss, sizeof ss, "terminated;reason=%s",
                       reason ? reason : "noresource");
        d->final_queued = TRUE;
        enter(d, SUB_TERMINATING, "terminating NOTIFY");
    } else {
        g_snprintf(ss, sizeof ss, "%s;expires=%u",
                   state == GW_SUB_PENDING ? "pending" : "active", expires);
    }
    if (d->orq == NULL && d->fail_id == 0) {
        send_notify(d, ss, final, content_type, body);
        return;
    }
    p = g_new0(PendingNotify, 1);
    p->ss = g_strdup(ss);
    p->final = final;
    p->content_type = g_strdup(content_type);
    p->body = g_strdup(body);
    pending_free(d->next);
    d->next = p;
}

/* ---- ours: SUBSCRIBE --------------------------------------------------- */

static int on_subscribe_answer(nta_outgoing_magic_t *magic,
                               nta_outgoing_t *orq, sip_t const *sip);

static void
send_subscribe(GwSipDialog *d, guint expires, const char *auth,
               gboolean proxy_auth)
{
    char ex[16];

    g_snprintf(ex, sizeof ex, "%u", expires);
    d->orq = sip_leg_request(
        &d->leg, on_subscribe_answer, d, SIP_METHOD_SUBSCRIBE, 0, 0, NULL,
        SIPTAG_EVENT_STR(d->leg.event), SIPTAG_EXPIRES_STR(ex),
        TAG_IF(d->leg.accept != NULL, SIPTAG_ACCEPT_STR(d->leg.accept)),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_END());
    if (d->orq == NULL)
        send_failed(d, "SUBSCRIBE");
}

static void
send_unsubscribe(GwSipDialog *d)
{
    enter(d, SUB_TERMINATING, "un-SUBSCRIBE");
    send_subscribe(d, 0, NULL, FALSE); /* freed when answered or failed */
}

static void
on_refresh_due(SipTimer *t)
{
    GwSipDialog *d = (GwSipDialog *)((char *)t -
                                     G_STRUCT_OFFSET(GwSipDialog, refresh));

    if (d->state != SUB_ACTIVE || d->orq != NULL || d->fail_id != 0)
        return; /* one in flight: its answer schedules the next */
    enter(d, SUB_REFRESHING, "refresh due");
    send_subscribe(d, d->expires, NULL, FALSE);
}

/* Answers a digest challenge once with [sip] credentials; FALSE when it
 * cannot. */
static gboolean
answer_challenge(GwSipDialog *d, sip_t const *sip, int status)
{
    g_autofree char *answer = sip_digest_answer(
        d->leg.ua, sip, status, "SUBSCRIBE",
        d->leg.rtag != NULL ? d->leg.target : d->leg.remote);

    if (answer == NULL)
        return FALSE;
    d->auth_tried = TRUE;
    send_subscribe(d, d->state == SUB_TERMINATING ? 0 : d->expires, answer,
                   status == 407);
    memset(answer, 0, strlen(answer));
    return TRUE;
}

static int
on_subscribe_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                    sip_t const *sip)
{
    GwSipDialog *d = (GwSipDialog *)magic;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;
    guint granted;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    d->orq = NULL;
    if ((status == 401 || status == 407) && !d->auth_tried && sip != NULL &&
        answer_challenge(d, sip, status))
        return 0;
    if (d->state == SUB_TERMINATING) {
        sub_free(d); /* un-SUBSCRIBEd, whatever the answer */
        return 0;
    }
    if (status >= 300) {
        guint retry = sip && sip->sip_retry_after
                          ? (guint)sip->sip_retry_after->af_delta : 0;
        if (d->closed) {
            sub_free(d);
            return 0;
        }
        g_info("SUBSCRIBE to %s answered %d %s", d->leg.remote, status,
               phrase);
        sub_end(d, status, phrase, retry);
        return 0;
    }
    d->auth_tried = FALSE;
    sip_leg_establish(&d->leg, sip, FALSE);
    if (d->unsubscribe_due) {
        send_unsubscribe(d);
        return 0;
    }
    enter(d, SUB_ACTIVE, "2xx");
    granted = sip->sip_expires ? (guint)sip->sip_expires->ex_delta
                               : d->expires;
    if (granted == 0 || granted > d->expires)
        granted = d->expires;
    sip_timer_arm(d->leg.ua, &d->refresh, MAX(granted * 750, 1000),
                  on_refresh_due);
    return 0;
}

GwSipDialog *
gw_sip_ua_subscribe(GwSipUa *ua, const char *from, const char *to,
                    const char *route, const char *event, const char *accept,
                    guint expires, const GwSipDialogFuncs *funcs,
                    gpointer data)
{
    char call_id[17], tag[17];
    gsize size;
    GwSipDialog *d;

    sip_random_token(call_id);
    sip_random_token(tag);
    d = sip_leg_new(ua, LEG_OURS, sizeof *d, call_id, tag, from, to, event,
                    accept, strlen(to) + 256, &size);
    if (d == NULL)
        return NULL;
    d->size = size;
    d->state = SUB_NEW;
    d->expires = expires;
    d->leg.target = gw_pool_strdup(to);
    /* a pre-loaded route: her own registrar, the presence server, or else
     * the outbound proxy */
    if (sip_account_hop(ua, from) != NULL)
        route = sip_account_hop(ua, from);
    else if (route == NULL)
        route = ua->config->sip.outbound_proxy;
    if (route != NULL) {
        g_autofree char *r = g_strdup_printf(
            "<%s%s>", route, strstr(route, ";lr") ? "" : ";lr");
        d->leg.route = gw_pool_strdup(r);
    }
    d->funcs = funcs;
    d->data = data;
    send_subscribe(d, expires, NULL, FALSE);
    return d;
}

/* A NOTIFY in one of our subscriptions. */
static int
take_notify(GwSipUa *ua, nta_incoming_t *irq, sip_t const *sip,
            GwSipDialog *d)
{
    sip_subscription_state_t const *ss = sip->sip_subscription_state;
    GwSubState st;
    const char *reason;
    guint retry = 0;

    if (d->leg.rseq_known && sip->sip_cseq->cs_seq <= d->leg.rseq)
        return sip_reply_now(ua, irq, 500, "CSeq Out of Order", NULL);
    if (ss == NULL || ss->ss_substate == NULL)
        return sip_reply_now(ua, irq, 400, "Missing Subscription-State",
                             NULL);
    if (sip->sip_event == NULL || sip->sip_event->o_type == NULL ||
        g_ascii_strcasecmp(sip->sip_event->o_type, d->leg.event) != 0)
        return sip_reply_now(ua, irq, 489, "Bad Event", NULL);
    d->leg.rseq = sip->sip_cseq->cs_seq;
    d->leg.rseq_known = TRUE;
    /* the first NOTIFY may come before the 2xx (RFC 6665 4.1.2.4): the
     * dialog is made from it then, its route set as received */
    sip_leg_establish(&d->leg, sip, TRUE);
    sip_reply_now(ua, irq, SIP_200_OK, NULL);
    if (d->state == SUB_TERMINATING || d->closed)
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
        d->in_callback = TRUE;
        d->funcs->notify(d->data, st, ct,
                         sip->sip_payload ? sip->sip_payload->pl_data : NULL,
                         sip->sip_payload ? sip->sip_payload->pl_len : 0);
        d->in_callback = FALSE;
        if (d->free_later) {
            sub_free(d);
            return 0;
        }
    }
    if (st == GW_SUB_TERMINATED && d->state != SUB_TERMINATING) {
        if (d->orq != NULL) {
            nta_outgoing_destroy(d->orq); /* a refresh: moot now */
            d->orq = NULL;
        }
        sub_end(d, 0, reason, retry);
    }
    return 0;
}

void
gw_sip_dialog_close(GwSipDialog *d)
{
    if (d == NULL)
        return;
    d->closed = TRUE;
    d->funcs = NULL;
    d->data = NULL;
    if (d->leg.kind == LEG_OURS) {
        /* un-SUBSCRIBE now, or once the SUBSCRIBE in flight is answered */
        if (d->state == SUB_TERMINATING || d->unsubscribe_due)
            return;
        sip_timer_disarm(&d->refresh);
        if (d->orq != NULL || d->fail_id != 0) {
            d->unsubscribe_due = TRUE;
            return;
        }
        if (d->leg.rtag != NULL)
            send_unsubscribe(d);
        else if (d->in_callback)
            d->free_later = TRUE;
        else
            sub_free(d);
        return;
    }
    /* served: the terminating NOTIFY, if any, is under way or waiting */
    if (d->orq == NULL && d->next == NULL && d->fail_id == 0)
        sub_free(d);
}

/* ---- requests in ------------------------------------------------------- */

/* A dialog for an initial SUBSCRIBE we serve. */
static GwSipDialog *
served_new(GwSipUa *ua, nta_incoming_t *irq, sip_t const *sip,
           const char *transport)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *ltag = nta_incoming_tag(irq, NULL);
    char *local = url_as_string(home, sip->sip_to->a_url);
    char *remote = url_as_string(home, sip->sip_from->a_url);
    char *target = url_as_string(home, sip->sip_contact->m_url);
    char *event = sip_header_as_string(home,
                                       (sip_header_t const *)sip->sip_event);
    gsize route_len = 0, size;
    GwSipDialog *d = NULL;

    for (sip_record_route_t const *r = sip->sip_record_route; r;
         r = r->r_next)
        route_len += strlen(url_as_string(home, r->r_url)) + 16;
    if (ltag != NULL && local != NULL && remote != NULL && event != NULL &&
        target != NULL)
        d = sip_leg_new(ua, LEG_SERVED, sizeof *d, sip->sip_call_id->i_id,
                        ltag, local, remote, event, NULL,
                        strlen(target) + strlen(sip->sip_from->a_tag) +
                            route_len,
                        &size);
    if (d != NULL) {
        d->size = size;
        d->state = SUB_NEW;
        d->leg.transport = strcmp(transport, "tls") == 0   ? SIP_TP_TLS
                           : strcmp(transport, "tcp") == 0 ? SIP_TP_TCP
                                                           : SIP_TP_UDP;
        d->leg.rseq = sip->sip_cseq->cs_seq;
        d->leg.rseq_known = TRUE;
        sip_leg_establish(&d->leg, sip, TRUE);
    }
    su_home_deinit(home);
    return d;
}

int
sip_subscription_request(GwSipUa *ua, nta_incoming_t *irq, sip_t const *sip,
                         SipLeg *leg)
{
    sip_method_t method = sip->sip_request->rq_method;
    GwSipDialog *d = (GwSipDialog *)leg;
    GwSipIncoming in = { 0 };
    GwIncomingText text;
    GwSipRequest *req;
    msg_t *msg;

    if (d != NULL) {
        if (method == sip_method_notify && leg->kind == LEG_OURS)
            return take_notify(ua, irq, sip, d);
        if (method == sip_method_options)
            return sip_reply_now(ua, irq, SIP_200_OK, NULL);
        if (method != sip_method_subscribe || leg->kind != LEG_SERVED)
            return sip_reply_now(ua, irq, 405, "Method Not Allowed", NULL);
        if (d->closed || d->state != SUB_ACTIVE)
            return sip_reply_now(ua, irq, 481, "Subscription Does Not Exist",
                                 NULL);
        if (sip->sip_cseq->cs_seq <= leg->rseq)
            return sip_reply_now(ua, irq, 500, "CSeq Out of Order", NULL);
        leg->rseq = sip->sip_cseq->cs_seq;
        /* SUBSCRIBE refreshes the remote target (RFC 6665 4.1.2.1) */
        sip_leg_refresh_target(leg, sip);
    } else if (sip->sip_from->a_tag == NULL) {
        return sip_reply_now(ua, irq, 400, "Missing From Tag", NULL);
    } else if (sip->sip_contact == NULL) {
        return sip_reply_now(ua, irq, 400, "Missing Contact", NULL);
    } else if (sip->sip_event == NULL) {
        return sip_reply_now(ua, irq, 489, "Bad Event", NULL);
    }

    msg = nta_incoming_getrequest(irq);
    sip_incoming_fill(ua, &in, &text, sip, msg);
    msg_destroy(msg);
    if (d == NULL) {
        d = served_new(ua, irq, sip, in.transport);
        if (d == NULL) {
            g_info("SUBSCRIBE from %s (%s): dialog state above %d bytes "
                   "or unreadable: 513", in.from_uri, in.source,
                   SIP_MAX_DIALOG_BYTES);
            sip_incoming_text_clear(&text);
            return sip_reply_now(ua, irq, 513, "Message Too Large", NULL);
        }
    }
    req = sip_request_new(ua, &in, d);
    req->irq = irq;
    req->method = method;
    sip_request_deliver(ua, req, &in);
    sip_incoming_text_clear(&text);
    return 0;
}

void
sip_subscription_answered(GwSipRequest *req, int status)
{
    GwSipDialog *d = req->dialog;

    if (d->state != SUB_NEW)
        return; /* a refresh: the owner decides what follows */
    if (status < 300 && d->funcs != NULL) {
        enter(d, SUB_ACTIVE, "2xx sent");
        return;
    }
    /* refused, or accepted with nobody to serve it */
    if (status < 300)
        g_warning("SUBSCRIBE answered %d without an owner", status);
    sub_end(d, status, "refused", 0);
}

void
sip_subscription_free_all(GwSipUa *ua)
{
    GList *legs = g_hash_table_get_values(ua->dialogs);

    /* the owners are gone (the presence bridge stops first) */
    for (GList *l = legs; l != NULL; l = l->next) {
        SipLeg *leg = l->data;
        if (leg->kind == LEG_SERVED || leg->kind == LEG_OURS)
            sub_free((GwSipDialog *)leg);
    }
    g_list_free(legs);
}
