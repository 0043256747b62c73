/* gateway/sip/sip_call.c: INVITE dialogs (RFC 3261 13-15), both ways,
 * SDP passed through untouched.
 *
 * nta does the transactions: retransmissions, the ACK to a non-2xx answer
 * of the far side, our 2xx retransmitted until their ACK (UA mode), their
 * ACK and CANCEL matched to our server transaction (on_ack_cancel()), a
 * CANCEL of ours held until a provisional answer came (9.1), a 2xx from a
 * second fork ACKed and BYEd. Here: the dialog, and one state per call:
 *
 *   ours:    CALLING --1xx--> PROCEEDING --2xx (ACK)--> CONFIRMED
 *              |  \              |                          |
 *              |   close: CANCELLING --final (2xx: ACK+BYE)--+
 *              +--------->=300, timeout------> TERMINATED    |
 *   theirs:  INCOMING --18x--> EARLY --2xx--> ANSWERED --ACK--+
 *              |                 |               |  no ACK (timer H): BYE
 *              +--CANCEL, >=300--+               |          |
 *                                                v          v
 *   CONFIRMED --BYE sent--> TERMINATING --answer--> TERMINATED
 *   CONFIRMED --BYE received, 481/408 to a request--> TERMINATED
 *
 * In CONFIRMED: re-INVITE either way (one at a time: 491 to theirs while
 * ours is out, 500 + Retry-After to a second of theirs, RFC 3261 14.2),
 * INFO either way, OPTIONS answered. A call stays in the dialog table
 * until TERMINATED and its owner let go (gw_sip_call_close()); it is
 * freed from the loop, never inside a callback it is giving.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "jsdp.h"
#include "pool.h"

/* room for the target and the route set learnt later */
#define CALL_EXTRA_BYTES 2048

typedef enum {
    CALL_CALLING,     /* ours: INVITE out, nothing back yet */
    CALL_PROCEEDING,  /* ours: a provisional answer came */
    CALL_CANCELLING,  /* ours: CANCEL out (or held by nta until a 1xx) */
    CALL_INCOMING,    /* theirs: not answered yet */
    CALL_EARLY,       /* theirs: 18x sent */
    CALL_ANSWERED,    /* theirs: 2xx sent, awaiting the ACK */
    CALL_CONFIRMED,   /* the dialog is up */
    CALL_TERMINATING, /* our BYE is out */
    CALL_TERMINATED,
    CALL_N_STATES
} CallState;

static const char *const call_state_names[] = {
    "calling", "proceeding", "cancelling", "incoming", "early", "answered",
    "confirmed", "terminating", "terminated",
};

#define T TRUE
#define F FALSE
/* allowed[from][to] */
static const gboolean call_allowed[CALL_N_STATES][CALL_N_STATES] = {
    /*                  CALL PROC CANC INC  EARL ANSW CONF TING TED */
    [CALL_CALLING] =    { F,   T,   T,   F,   F,   F,   T,   F,   T },
    [CALL_PROCEEDING] = { F,   F,   T,   F,   F,   F,   T,   F,   T },
    [CALL_CANCELLING] = { F,   F,   F,   F,   F,   F,   F,   T,   T },
    [CALL_INCOMING] =   { F,   F,   F,   F,   T,   T,   F,   F,   T },
    [CALL_EARLY] =      { F,   F,   F,   F,   F,   T,   F,   F,   T },
    [CALL_ANSWERED] =   { F,   F,   F,   F,   F,   F,   T,   T,   T },
    [CALL_CONFIRMED] =  { F,   F,   F,   F,   F,   F,   F,   T,   T },
    [CALL_TERMINATING] = { F,  F,   F,   F,   F,   F,   F,   F,   T },
    [CALL_TERMINATED] = { F,   F,   F,   F,   F,   F,   F,   F,   F },
};
#undef T
#undef F

struct GwSipCall {
    SipLeg leg; /* first: the dialog table holds legs */
    gsize size;
    const GwSipCallFuncs *funcs;
    gpointer data;
    CallState state;
    nta_outgoing_t *invite;  /* our INVITE or re-INVITE, until final */
    nta_outgoing_t *bye;     /* our BYE, until answered */
    nta_outgoing_t *info;    /* our INFO, until answered (one at a time) */
    GwSipInfoFunc info_func; /* told its final status */
    gpointer info_data;
    nta_incoming_t *irq;     /* their INVITE or re-INVITE, until answered
                                and (2xx) ACKed */
    guint32 invite_cseq;     /* of our INVITE in flight (for its ACK) */
    char *sdp_sent;          /* the last SDP sent in the dialog, as sent:
                                our INVITE's (resent after a challenge) or
                                our answer (RFC 3264 8: sdp_to_send()) */
    SipTimer cancel_guard;   /* a CANCELled INVITE's final answer is due */
    guint reap_id;
    guint fail_id;           /* reports an INVITE that could not be sent */
    gboolean outgoing : 1;
    gboolean closed : 1;      /* the owner let go: no more callbacks */
    gboolean reported : 1;    /* failed or ended was told */
    gboolean reinvite_out : 1; /* c->invite is a re-INVITE */
    gboolean reinvite_in : 1;  /* c->irq is a re-INVITE */
    gboolean auth_tried : 1;
    gboolean over_tcp : 1;     /* our INVITE went over TCP for its size */
    gboolean tcp_refused : 1;  /* ... which failed: UDP once more */
    gboolean bye_due : 1;      /* hang up once the ACK came (or not) */
};

static int on_invite_answer(nta_outgoing_magic_t *magic,
                            nta_outgoing_t *orq, sip_t const *sip);
static void send_bye(GwSipCall *c);

static void
enter(GwSipCall *c, CallState to, const char *why)
{
    if (c->state == to)
        return;
    if (!call_allowed[c->state][to]) {
        g_critical("call %s: no transition %s -> %s (%s)", c->leg.call_id,
                   call_state_names[c->state], call_state_names[to], why);
        return;
    }
    g_debug("call %s: %s -> %s: %s", c->leg.call_id,
            call_state_names[c->state], call_state_names[to], why);
    c->state = to;
}

const char *
gw_sip_call_get_id(const GwSipCall *c)
{
    return c->leg.call_id;
}

gboolean
gw_sip_call_is_confirmed(const GwSipCall *c)
{
    return c->state == CALL_CONFIRMED;
}

/* ---- life ------------------------------------------------------------- */

static void
call_free(GwSipCall *c)
{
    g_clear_handle_id(&c->reap_id, g_source_remove);
    g_clear_handle_id(&c->fail_id, g_source_remove);
    sip_timer_disarm(&c->cancel_guard);
    if (c->invite != NULL)
        nta_outgoing_destroy(c->invite);
    if (c->bye != NULL)
        nta_outgoing_destroy(c->bye);
    if (c->info != NULL)
        nta_outgoing_destroy(c->info);
    if (c->irq != NULL)
        nta_incoming_destroy(c->irq);
    g_free(c->sdp_sent);
    sip_leg_free(&c->leg, c->size);
}

static gboolean
reap(gpointer data)
{
    GwSipCall *c = data;

    c->reap_id = 0;
    call_free(c);
    return G_SOURCE_REMOVE;
}

/* Over and let go: freed from the loop (meanwhile requests in its dialog
 * get 481). */
static void
maybe_release(GwSipCall *c)
{
    if (!c->closed || c->state != CALL_TERMINATED || c->invite != NULL ||
        c->bye != NULL || c->info != NULL || c->irq != NULL ||
        c->reap_id != 0 ||
        c->fail_id != 0)
        return;
    c->reap_id = g_idle_add(reap, c);
}

static const GwSipCallFuncs *
funcs_of(GwSipCall *c)
{
    return c->closed ? NULL : c->funcs;
}

/* The peer or a failure ended the call: tell the owner once. */
static void
report_end(GwSipCall *c, int status, const char *reason)
{
    const GwSipCallFuncs *f = funcs_of(c);

    enter(c, CALL_TERMINATED, reason);
    if (c->reported)
        return;
    c->reported = TRUE;
    if (f != NULL && f->ended != NULL)
        f->ended(c->data, status, reason);
}

static void
report_failed(GwSipCall *c, int status, const char *phrase)
{
    const GwSipCallFuncs *f = funcs_of(c);

    enter(c, CALL_TERMINATED, phrase);
    if (c->reported)
        return;
    c->reported = TRUE;
    if (f != NULL && f->failed != NULL)
        f->failed(c->data, status, phrase);
}

static char *
payload_of(sip_t const *sip)
{
    if (sip == NULL || sip->sip_payload == NULL ||
        sip->sip_payload->pl_len == 0)
        return NULL;
    return g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

/* RFC 3264 8: `sdp` as this dialog sends it next, with the dialog's o=
 * line (the first SDP's username, sess-id and address) whose version moves
 * on by one when anything else changed; kept as the last one sent.
 * Whoever wrote the SDP (the relay, a hold edit, the translation) need not
 * know what the dialog sent before. */
static const char *
sdp_to_send(GwSipCall *c, const char *sdp)
{
    g_autoptr(GError) error = NULL;
    char *next;

    g_return_val_if_fail(sdp != NULL, c->sdp_sent);
    next = jsdp_sdp_follow_origin(c->sdp_sent, sdp, &error);
    if (next == NULL) {
        g_warning("call %s: SDP sent with its own o= line: %s",
                  c->leg.call_id, error != NULL ? error->message : "?");
        next = g_strdup(sdp);
    }
    g_free(c->sdp_sent);
    c->sdp_sent = next;
    return next;
}

/* ---- ours: INVITE ------------------------------------------------------ */

static gboolean
send_invite(GwSipCall *c, const char *auth, gboolean proxy_auth,
            gboolean udp)
{
    gboolean over_tcp = FALSE;

    c->invite = sip_leg_request(
        &c->leg, on_invite_answer, c, SIP_METHOD_INVITE, 0,
        udp ? 0 : strlen(c->sdp_sent) + strlen(c->leg.remote) * 2 + 400,
        &over_tcp, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
        SIPTAG_PAYLOAD_STR(c->sdp_sent),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_END());
    c->over_tcp = over_tcp;
    c->invite_cseq = c->leg.lseq;
    return c->invite != NULL;
}

static gboolean
invite_failed_idle(gpointer data)
{
    GwSipCall *c = data;

    c->fail_id = 0;
    report_failed(c, 503, "Cannot Create Request");
    maybe_release(c);
    return G_SOURCE_REMOVE;
}

GwSipCall *
gw_sip_ua_invite(GwSipUa *ua, const char *from, const char *to,
                 const char *sdp, const GwSipCallFuncs *funcs, gpointer data)
{
    char call_id[33], tag[17];
    gsize size;
    GwSipCall *c;

    sip_random_token(call_id);
    sip_random_token(call_id + 16);
    sip_random_token(tag);
    c = sip_leg_new(ua, LEG_CALL, sizeof *c, call_id, tag, from, to, NULL,
                    NULL, CALL_EXTRA_BYTES, &size);
    if (c == NULL) {
        /* addresses beyond SIP_MAX_DIALOG_BYTES: a call all the same, one
         * that fails from the loop */
        c = sip_leg_new(ua, LEG_CALL, sizeof *c, call_id, tag, "sip:invalid",
                        "sip:invalid", NULL, NULL, 0, &size);
        c->size = size;
        c->outgoing = TRUE;
        c->funcs = funcs;
        c->data = data;
        c->state = CALL_CALLING;
        c->fail_id = g_idle_add(invite_failed_idle, c);
        return c;
    }
    c->size = size;
    c->outgoing = TRUE;
    c->funcs = funcs;
    c->data = data;
    c->state = CALL_CALLING;
    sdp_to_send(c, sdp);
    c->leg.target = gw_pool_strdup(to);
    g_info("call %s: INVITE %s from %s", c->leg.call_id, to, from);
    if (!send_invite(c, NULL, FALSE, FALSE))
        c->fail_id = g_idle_add(invite_failed_idle, c);
    return c;
}

/* The dialog is confirmed by a 2xx (ours): ACK it, in its own CSeq. */
static void
send_ack(GwSipCall *c)
{
    nta_outgoing_t *ack =
        sip_leg_request(&c->leg, NULL, NULL, SIP_METHOD_ACK, c->invite_cseq,
                        0, NULL, TAG_END());

    /* nta keeps it for 64*T1 and sends it again for each retransmitted
     * 2xx (UA mode) */
    if (ack == NULL)
        g_warning("call %s: the ACK could not be sent", c->leg.call_id);
}

static void
on_reinvite_answer(GwSipCall *c, int status, const char *phrase,
                   sip_t const *sip)
{
    const GwSipCallFuncs *f = funcs_of(c);

    c->reinvite_out = FALSE;
    if (status < 300) {
        g_autofree char *sdp = payload_of(sip);

        sip_leg_refresh_target(&c->leg, sip); /* the ACK goes there */
        send_ack(c);
        if (f != NULL && f->reinvite_answered != NULL)
            f->reinvite_answered(c->data, status, sdp);
        return;
    }
    if (status == 481 || status == 408) {
        /* the dialog is gone (RFC 3261 12.2.1.2, 14.1) */
        g_info("call %s: re-INVITE answered %d %s: the call is over",
               c->leg.call_id, status, phrase);
        report_end(c, status, phrase);
        maybe_release(c);
        return;
    }
    g_info("call %s: re-INVITE refused: %d %s (the call goes on)",
           c->leg.call_id, status, phrase);
    if (f != NULL && f->reinvite_answered != NULL)
        f->reinvite_answered(c->data, status, NULL);
}

static int
on_invite_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                 sip_t const *sip)
{
    GwSipCall *c = (GwSipCall *)magic;
    gboolean internal = sip == NULL || (sip->sip_flags & SIP_NTA_MADE_IT);
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done)) {
        g_autofree char *sdp = NULL;
        const GwSipCallFuncs *f = funcs_of(c);

        if (status <= 100 || c->reinvite_out)
            return 0;
        if (sip != NULL && sip->sip_to->a_tag != NULL && c->leg.rtag == NULL)
            sip_leg_establish(&c->leg, sip, FALSE); /* early dialog */
        if (c->state == CALL_CALLING)
            enter(c, CALL_PROCEEDING, "provisional answer");
        if (c->state == CALL_PROCEEDING && f != NULL && f->progress != NULL) {
            sdp = payload_of(sip);
            f->progress(c->data, status, phrase, sdp);
        }
        return 0;
    }
    c->invite = NULL;
    if (c->reinvite_out) {
        if ((status == 401 || status == 407) && !c->auth_tried && sip) {
            g_autofree char *auth = sip_digest_answer(
                c->leg.ua, sip, status, "INVITE", c->leg.target);
            c->auth_tried = TRUE;
            if (auth != NULL && send_invite(c, auth, status == 407, TRUE)) {
                memset(auth, 0, strlen(auth));
                return 0;
            }
        }
        on_reinvite_answer(c, status, phrase, sip);
        return 0;
    }
    if (status >= 200 && status < 300) {
        g_autofree char *sdp = payload_of(sip);
        const GwSipCallFuncs *f;

        /* the 2xx's tag, target and route set make the dialog (RFC 3261
         * 13.2.2.4), whatever an early dialog (of another fork) said */
        if (g_strcmp0(c->leg.rtag, sip->sip_to->a_tag) != 0) {
            gw_pool_free_str(c->leg.rtag);
            c->leg.rtag = NULL;
        }
        c->leg.routed = FALSE;
        sip_leg_establish(&c->leg, sip, FALSE);
        send_ack(c);
        c->auth_tried = FALSE;
        sip_timer_disarm(&c->cancel_guard);
        if (c->closed || c->state == CALL_CANCELLING ||
            c->state == CALL_TERMINATED) {
            /* answered as we let go, or after the end: hang up at once */
            send_bye(c);
            return 0;
        }
        enter(c, CALL_CONFIRMED, "2xx");
        g_info("call %s: answered (%d %s)", c->leg.call_id, status, phrase);
        f = funcs_of(c);
        if (f != NULL && f->answered != NULL)
            f->answered(c->data, sdp);
        return 0;
    }
    if (c->state != CALL_CANCELLING && !c->closed) {
        if (status == 503 && internal && c->over_tcp && !c->tcp_refused) {
            /* sent over TCP for its size, which the peer refused: UDP, as
             * nta's own fallback does */
            c->tcp_refused = TRUE;
            if (send_invite(c, NULL, FALSE, TRUE))
                return 0;
        }
        if ((status == 401 || status == 407) && !c->auth_tried && sip) {
            g_autofree char *auth = sip_digest_answer(
                c->leg.ua, sip, status, "INVITE", c->leg.target);
            c->auth_tried = TRUE;
            if (auth != NULL &&
                send_invite(c, auth, status == 407, c->tcp_refused)) {
                memset(auth, 0, strlen(auth));
                return 0;
            }
        }
    }
    g_info("call %s: INVITE answered %d %s", c->leg.call_id, status, phrase);
    sip_timer_disarm(&c->cancel_guard);
    report_failed(c, status, phrase);
    maybe_release(c);
    return 0;
}

/* ---- theirs: INVITE ---------------------------------------------------- */

static int on_ack_cancel(nta_incoming_magic_t *magic, nta_incoming_t *irq,
                         sip_t const *sip);

int
sip_call_invite(GwSipUa *ua, nta_incoming_t *irq, sip_t const *sip)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    GwSipIncoming in = { 0 };
    GwIncomingText text;
    GwSipRequest *req;
    GwSipCall *c = NULL;
    gsize size;
    msg_t *msg;

    /* nothing we would have to do is required of us (RFC 3261 8.2.2.3:
     * 420 with Unsupported); 100rel, timer ... stay optional */
    if (nta_check_required(irq, sip, NULL, TAG_END()) != 0) {
        nta_incoming_destroy(irq);
        return 0;
    }
    if (sip->sip_from->a_tag == NULL)
        return sip_reply_now(ua, irq, 400, "Missing From Tag", NULL);
    if (sip->sip_contact == NULL)
        return sip_reply_now(ua, irq, 400, "Missing Contact", NULL);
    {
        const char *ltag = nta_incoming_tag(irq, NULL);
        char *local = url_as_string(home, sip->sip_to->a_url);
        char *remote = url_as_string(home, sip->sip_from->a_url);
        if (ltag != NULL && local != NULL && remote != NULL)
            c = sip_leg_new(ua, LEG_CALL, sizeof *c, sip->sip_call_id->i_id,
                            ltag, local, remote, NULL, NULL,
                            CALL_EXTRA_BYTES, &size);
    }
    su_home_deinit(home);
    if (c == NULL)
        return sip_reply_now(ua, irq, 513, "Message Too Large", NULL);
    c->size = size;
    c->state = CALL_INCOMING;
    c->irq = irq;
    c->leg.rseq = sip->sip_cseq->cs_seq;
    c->leg.rseq_known = TRUE;
    sip_leg_establish(&c->leg, sip, TRUE);
    nta_incoming_bind(irq, on_ack_cancel, (nta_incoming_magic_t *)c);

    msg = nta_incoming_getrequest(irq);
    sip_incoming_fill(ua, &in, &text, sip, msg);
    msg_destroy(msg);
    c->leg.transport = strcmp(in.transport, "tls") == 0   ? SIP_TP_TLS
                       : strcmp(in.transport, "tcp") == 0 ? SIP_TP_TCP
                                                          : SIP_TP_UDP;
    in.call = c;
    req = sip_request_new(ua, &in, NULL);
    req->irq = irq;
    req->method = sip_method_invite;
    req->call = c;
    sip_request_deliver(ua, req, &in);
    sip_incoming_text_clear(&text);
    return 0;
}

void
sip_call_refused(GwSipCall *c)
{
    /* the router answered it >= 300: nta waits for the ACK by itself */
    nta_incoming_destroy(c->irq);
    c->irq = NULL;
    c->closed = TRUE;
    c->reported = TRUE;
    enter(c, CALL_TERMINATED, "refused");
    maybe_release(c);
}

GwSipCall *
gw_sip_request_take_call(GwSipRequest *req, const GwSipCallFuncs *funcs,
                         gpointer data)
{
    GwSipCall *c = req->call;

    g_return_val_if_fail(c != NULL, NULL);
    c->funcs = funcs;
    c->data = data;
    sip_request_free(req);
    return c;
}

void
gw_sip_call_respond(GwSipCall *c, int status, const char *phrase,
                    const char *sdp)
{
    const GwConfig *cfg = c->leg.ua->config;
    gboolean initial = !c->reinvite_in;

    if (c->irq == NULL || (initial && c->state != CALL_INCOMING &&
                           c->state != CALL_EARLY))
        return; /* nothing to answer (CANCELled meanwhile ...) */
    if (sdp != NULL)
        sdp = sdp_to_send(c, sdp);
    sip_count_answer(sip_method_invite, status);
    nta_incoming_treply(
        c->irq, status, phrase,
        TAG_IF(status < 300, SIPTAG_CONTACT_STR(sip_leg_contact(&c->leg))),
        TAG_IF(sdp != NULL, SIPTAG_CONTENT_TYPE_STR("application/sdp")),
        TAG_IF(sdp != NULL, SIPTAG_PAYLOAD_STR(sdp)),
        TAG_IF(status == 500 && c->reinvite_in,
               SIPTAG_RETRY_AFTER_STR("1")),
        TAG_IF(cfg->sip.user_agent != NULL,
               SIPTAG_SERVER_STR(cfg->sip.user_agent)),
        TAG_END());
    if (c->reinvite_in && status >= 200)
        g_debug("call %s: re-INVITE answered %d", c->leg.call_id, status);
    if (status < 200) {
        enter(c, CALL_EARLY, "provisional answer sent");
        return;
    }
    if (status < 300) {
        /* the ACK comes through on_ack_cancel() */
        if (initial)
            enter(c, CALL_ANSWERED, "2xx sent");
        return;
    }
    nta_incoming_destroy(c->irq);
    c->irq = NULL;
    if (c->reinvite_in) {
        c->reinvite_in = FALSE; /* refused: the call goes on */
        return;
    }
    enter(c, CALL_TERMINATED, "refused");
    c->reported = TRUE; /* the owner answered: it knows */
    maybe_release(c);
}

/* Their INVITE or re-INVITE still without a final answer gets 487 as the
 * call ends (RFC 3261 15.1.2), before our BYE or after theirs, not nta's
 * 500 when the call is freed; one answered 2xx keeps its transaction until
 * the ACK (or timer H). */
static void
terminate_pending_invite(GwSipCall *c)
{
    if (c->irq == NULL || nta_incoming_status(c->irq) >= 200)
        return;
    sip_count_answer(sip_method_invite, 487);
    nta_incoming_treply(c->irq, SIP_487_REQUEST_TERMINATED, TAG_END());
    nta_incoming_destroy(c->irq);
    c->irq = NULL;
    c->reinvite_in = FALSE;
}

/* nta's callback of our server transaction: the ACK to our 2xx, a CANCEL,
 * or (sip NULL) no ACK within 64*T1 (timer H). */
static int
on_ack_cancel(nta_incoming_magic_t *magic, nta_incoming_t *irq,
              sip_t const *sip)
{
    GwSipCall *c = (GwSipCall *)magic;
    gboolean reinvite = c->reinvite_in;
    const GwSipCallFuncs *f = funcs_of(c);

    if (sip != NULL && sip->sip_request != NULL &&
        sip->sip_request->rq_method == sip_method_cancel) {
        /* nta answered the CANCEL 200 and calls here only while the
         * INVITE (c->irq) is unanswered: it gets its 487 here */
        terminate_pending_invite(c);
        if (reinvite) {
            maybe_release(c); /* the call may have ended meanwhile */
            return 0;
        }
        g_info("call %s: CANCELled by the caller", c->leg.call_id);
        report_end(c, 487, "cancelled by the caller");
        maybe_release(c);
        return 0;
    }
    nta_incoming_destroy(irq);
    c->irq = NULL;
    c->reinvite_in = FALSE;
    if (reinvite) {
        maybe_release(c); /* the call may have ended meanwhile */
        return 0;
    }
    if (sip == NULL) {
        /* RFC 3261 13.3.1.4: no ACK: confirmed, but ended with a BYE */
        g_info("call %s: no ACK for our 2xx: hanging up", c->leg.call_id);
        send_bye(c);
        report_end(c, 408, "no ACK");
        return 0;
    }
    enter(c, CALL_CONFIRMED, "ACK");
    if (c->bye_due || c->closed) {
        send_bye(c);
        return 0;
    }
    if (f != NULL && f->acked != NULL)
        f->acked(c->data);
    return 0;
}

/* ---- requests in the call ---------------------------------------------- */

int
sip_call_request(GwSipCall *c, nta_incoming_t *irq, sip_t const *sip)
{
    GwSipUa *ua = c->leg.ua;
    sip_method_t method = sip->sip_request->rq_method;
    const GwSipCallFuncs *f = funcs_of(c);

    if (c->state == CALL_TERMINATED)
        return sip_reply_now(ua, irq, 481, "Call/Transaction Does Not Exist",
                             NULL);
    if (c->leg.rseq_known && sip->sip_cseq->cs_seq <= c->leg.rseq)
        return sip_reply_now(ua, irq, 500, "CSeq Out of Order", NULL);
    c->leg.rseq = sip->sip_cseq->cs_seq;
    c->leg.rseq_known = TRUE;

    switch (method) {
    case sip_method_bye:
        sip_reply_now(ua, irq, SIP_200_OK, NULL);
        terminate_pending_invite(c);
        g_info("call %s: BYE from the far side", c->leg.call_id);
        report_end(c, 0, "hung up");
        maybe_release(c);
        return 0;
    case sip_method_info:
        sip_reply_now(ua, irq, SIP_200_OK, NULL);
        if (f != NULL && f->info != NULL)
            f->info(c->data,
                    sip->sip_content_type ? sip->sip_content_type->c_type
                                          : NULL,
                    sip->sip_payload ? sip->sip_payload->pl_data : NULL,
                    sip->sip_payload ? sip->sip_payload->pl_len : 0);
        return 0;
    case sip_method_options:
        return sip_reply_now(ua, irq, SIP_200_OK, NULL);
    case sip_method_invite: {
        g_autofree char *sdp = NULL;

        if (c->state != CALL_CONFIRMED)
            return sip_reply_now(ua, irq, 491, "Request Pending", NULL);
        if (c->irq != NULL)
            return sip_reply_now(ua, irq, 500, "Previous Request Pending",
                                 "1");
        if (c->invite != NULL)
            return sip_reply_now(ua, irq, 491, "Request Pending", NULL);
        if (f == NULL || f->reinvite == NULL)
            return sip_reply_now(ua, irq, 488, "Not Acceptable Here", NULL);
        c->irq = irq;
        c->reinvite_in = TRUE;
        nta_incoming_bind(irq, on_ack_cancel, (nta_incoming_magic_t *)c);
        sip_leg_refresh_target(&c->leg, sip);
        sdp = payload_of(sip);
        f->reinvite(c->data, sdp);
        return 0;
    }
    case sip_method_update:
        return sip_reply_now(ua, irq, 501, "Not Implemented", NULL);
    default:
        return sip_reply_now(ua, irq, 405, "Method Not Allowed", NULL);
    }
}

/* ---- our requests in the call ------------------------------------------ */

static int
on_bye_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
              sip_t const *sip)
{
    GwSipCall *c = (GwSipCall *)magic;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    c->bye = NULL;
    g_debug("call %s: BYE answered %d %s", c->leg.call_id, status, phrase);
    enter(c, CALL_TERMINATED, "BYE answered");
    maybe_release(c);
    return 0;
}

static void
send_bye(GwSipCall *c)
{
    if (c->bye != NULL || c->state == CALL_TERMINATING)
        return;
    c->bye_due = FALSE;
    if (c->state != CALL_TERMINATED) /* else a 2xx came after the end */
        enter(c, CALL_TERMINATING, "BYE");
    c->bye = sip_leg_request(&c->leg, on_bye_answer, c, SIP_METHOD_BYE, 0, 0,
                             NULL, TAG_END());
    if (c->bye == NULL) {
        g_warning("call %s: the BYE could not be sent", c->leg.call_id);
        enter(c, CALL_TERMINATED, "BYE not sent");
        maybe_release(c);
    }
}

static int
on_info_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
               sip_t const *sip)
{
    GwSipCall *c = (GwSipCall *)magic;
    GwSipInfoFunc func = c->info_func;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    c->info = NULL;
    c->info_func = NULL;
    g_debug("call %s: INFO answered %d %s", c->leg.call_id, status, phrase);
    if (!c->closed && func != NULL)
        func(status, phrase, c->info_data);
    maybe_release(c);
    return 0;
}

gboolean
gw_sip_call_info(GwSipCall *c, const char *content_type, const char *body,
                 GwSipInfoFunc func, gpointer data)
{
    if (c->state != CALL_CONFIRMED || c->info != NULL)
        return FALSE;
    /* nta answers it 408 itself after timer F (64*T1) */
    c->info = sip_leg_request(&c->leg, on_info_answer, c, SIP_METHOD_INFO,
                              0, 0, NULL,
                              SIPTAG_CONTENT_TYPE_STR(content_type),
                              SIPTAG_PAYLOAD_STR(body), TAG_END());
    if (c->info == NULL) {
        g_warning("call %s: INFO could not be sent", c->leg.call_id);
        return FALSE;
    }
    c->info_func = func;
    c->info_data = data;
    return TRUE;
}

/* The owner no longer waits for the INFO's answer: nta forgets the
 * transaction (a late answer is dropped), and another INFO may go. */
void
gw_sip_call_info_forget(GwSipCall *c)
{
    if (c->info != NULL)
        nta_outgoing_destroy(c->info);
    c->info = NULL;
    c->info_func = NULL;
    c->info_data = NULL;
    maybe_release(c);
}

gboolean
gw_sip_call_reinvite(GwSipCall *c, const char *sdp)
{
    if (c->state != CALL_CONFIRMED || c->invite != NULL) {
        g_info("call %s: re-INVITE not sent: %s", c->leg.call_id,
               c->invite != NULL ? "another one is out" : "not confirmed");
        return FALSE;
    }
    sdp_to_send(c, sdp);
    c->reinvite_out = TRUE;
    c->auth_tried = FALSE;
    if (!send_invite(c, NULL, FALSE, TRUE)) {
        c->reinvite_out = FALSE;
        g_warning("call %s: re-INVITE could not be sent", c->leg.call_id);
        return FALSE;
    }
    return TRUE;
}

/* RFC 3261 9.1: no final answer 64*T1 after the CANCEL: the INVITE is
 * over all the same. */
static void
on_cancel_guard(SipTimer *t)
{
    GwSipCall *c = (GwSipCall *)((char *)t -
                                 G_STRUCT_OFFSET(GwSipCall, cancel_guard));

    if (c->invite == NULL)
        return;
    g_info("call %s: no final answer after our CANCEL: given up",
           c->leg.call_id);
    nta_outgoing_destroy(c->invite);
    c->invite = NULL;
    report_failed(c, 408, "Request Timeout");
    maybe_release(c);
}

void
gw_sip_call_close(GwSipCall *c)
{
    if (c == NULL)
        return;
    c->closed = TRUE;
    c->funcs = NULL;
    c->data = NULL;
    switch (c->state) {
    case CALL_CALLING:
    case CALL_PROCEEDING:
        /* nta holds the CANCEL until a provisional answer (RFC 3261 9.1);
         * the INVITE's final answer ends it (a 2xx: ACK and BYE) */
        enter(c, CALL_CANCELLING, "the owner let go");
        if (c->invite != NULL) {
            nta_outgoing_tcancel(c->invite, NULL, NULL, TAG_END());
            sip_timer_arm(c->leg.ua, &c->cancel_guard,
                          c->leg.ua->config->sip.transaction_timeout_ms,
                          on_cancel_guard);
        }
        break;
    case CALL_INCOMING:
    case CALL_EARLY:
        gw_sip_call_respond(c, 480, "Temporarily Unavailable", NULL);
        break;
    case CALL_ANSWERED:
        c->bye_due = TRUE; /* after the ACK (RFC 3261 15) */
        break;
    case CALL_CONFIRMED:
        terminate_pending_invite(c); /* a re-INVITE of theirs */
        send_bye(c);
        break;
    default:
        break;
    }
    if (c->invite != NULL && !c->reinvite_out && c->state != CALL_CANCELLING) {
        /* ended by the far side while our INVITE was still out */
        nta_outgoing_tcancel(c->invite, NULL, NULL, TAG_END());
        sip_timer_arm(c->leg.ua, &c->cancel_guard,
                      c->leg.ua->config->sip.transaction_timeout_ms,
                      on_cancel_guard);
    }
    maybe_release(c);
}

void
sip_call_free_all(GwSipUa *ua)
{
    GList *legs = g_hash_table_get_values(ua->dialogs);

    for (GList *l = legs; l != NULL; l = l->next) {
        SipLeg *leg = l->data;
        if (leg->kind == LEG_CALL)
            call_free((GwSipCall *)leg);
    }
    g_list_free(legs);
}
