/* gateway/bridge/call_bridge.c: calls both ways, Jingle (with or without
 * JMI) <-> SIP INVITE, media anchored by the relay (media.h).
 *
 * This file holds the call table, the router's entry points (JMI
 * messages, Jingle iqs and their answers, INVITEs, link down, shutdown)
 * and each call's life: the state table, the one timer, the one end.
 * What a call does in each direction is in call_out.c (the XMPP user
 * calls SIP) and call_in.c (SIP calls her), in a call in call_session.c,
 * the stanzas it sends in call_wire.c; call_private.h draws the states
 * and says which file does what.
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"

#include <string.h>

#include "error_map.h"
#include "metrics.h"
#include "stanza.h"

/* ---- the state table --------------------------------------------------- */

/* What the XMPP side is told when a call ends in a state (if it is told
 * anything: gw_call_end()'s jingle_reason). */
typedef enum {
    TELL_NOTHING,   /* it has nothing of the call yet */
    TELL_REJECT,    /* JMI <reject/> to her client (our <proceed/> pending) */
    TELL_RETRACT,   /* JMI <retract/> to her bare JID (our <propose/>) */
    TELL_TERMINATE, /* session-terminate to her client */
} CallTell;

#define TO(s) (1u << (s))
#define ENDS TO(CALL_ENDED)

static const struct {
    const char *name;
    guint32 next;     /* the states it may enter */
    CallTell tell;    /* at the end, in this state */
    gboolean relay;   /* the relay has the call: delete it at the end */
    gboolean answered; /* the SIP side has its 2xx */
} states[CALL_N_STATES] = {
    /* state              name, next, tell, relay, answered */
    [CALL_NEW] = { "new",
                   TO(OUT_PROCEEDING) | TO(OUT_MEDIA_OFFER) |
                       TO(IN_MEDIA_OFFER),
                   TELL_NOTHING, FALSE, FALSE },
    /* <proceed/> sent, await her session-initiate */
    [OUT_PROCEEDING] = { "out-proceeding", TO(OUT_MEDIA_OFFER) | ENDS,
                         TELL_REJECT, FALSE, FALSE },
    /* her session-initiate acked; the relay makes the SIP offer */
    [OUT_MEDIA_OFFER] = { "out-media-offer", TO(OUT_INVITING) | ENDS,
                          TELL_TERMINATE, TRUE, FALSE },
    /* INVITE sent, await its answer */
    [OUT_INVITING] = { "out-inviting",
                       TO(OUT_RINGING) | TO(OUT_EARLY_ANSWER) |
                           TO(OUT_MEDIA_ANSWER) | ENDS,
                       TELL_TERMINATE, TRUE, FALSE },
    /* 180 (or 183 without early media): she was told it rings, once */
    [OUT_RINGING] = { "out-ringing",
                      TO(OUT_EARLY_ANSWER) | TO(OUT_MEDIA_ANSWER) | ENDS,
                      TELL_TERMINATE, TRUE, FALSE },
    /* 183 with SDP: the relay makes the session-accept (early media) */
    [OUT_EARLY_ANSWER] = { "out-early-answer",
                           TO(OUT_EARLY) | TO(OUT_MEDIA_ANSWER) | ENDS,
                           TELL_TERMINATE, TRUE, FALSE },
    /* session-accept sent on early media, await the 200 */
    [OUT_EARLY] = { "out-early", TO(OUT_ACTIVE) | ENDS, TELL_TERMINATE, TRUE,
                    FALSE },
    /* 200: the relay makes the session-accept */
    [OUT_MEDIA_ANSWER] = { "out-media-answer", TO(OUT_ACTIVE) | ENDS,
                           TELL_TERMINATE, TRUE, TRUE },
    /* 200 and session-accept (after early media, the relay may still be
     * learning the final SDP: the Jingle side does not change) */
    [OUT_ACTIVE] = { "out-active", ENDS, TELL_TERMINATE, TRUE, TRUE },
    /* INVITE taken; the relay makes the Jingle offer */
    [IN_MEDIA_OFFER] = { "in-media-offer",
                         TO(IN_PROPOSED) | TO(IN_INITIATING) | ENDS,
                         TELL_NOTHING, TRUE, FALSE },
    /* 180 sent; <propose/> to her bare JID, await a <proceed/> */
    [IN_PROPOSED] = { "in-proposed", TO(IN_INITIATING) | ENDS, TELL_RETRACT,
                      TRUE, FALSE },
    /* session-initiate sent to one client, await its session-accept */
    [IN_INITIATING] = { "in-initiating", TO(IN_MEDIA_ANSWER) | ENDS,
                        TELL_TERMINATE, TRUE, FALSE },
    /* session-accept acked; the relay makes the SIP answer */
    [IN_MEDIA_ANSWER] = { "in-media-answer", TO(IN_ACTIVE) | ENDS,
                          TELL_TERMINATE, TRUE, FALSE },
    /* 200 OK sent */
    [IN_ACTIVE] = { "in-active", ENDS, TELL_TERMINATE, TRUE, TRUE },
    [CALL_ENDED] = { "ended", 0, TELL_NOTHING, FALSE, FALSE },
};

const char *
gw_call_state_name(CallState state)
{
    return states[state].name;
}

void
gw_call_enter(Call *c, CallState state, const char *why)
{
    if ((states[c->state].next & TO(state)) == 0)
        g_critical("call %s: %s -> %s is not a transition (%s)", c->sid,
                   states[c->state].name, states[state].name, why);
    CALL_LOG(G_LOG_LEVEL_DEBUG, c, "call %s: %s -> %s (%s)", c->sid,
             states[c->state].name, states[state].name, why);
    if (state == OUT_ACTIVE || state == IN_ACTIVE) {
        GwDirection d = c->dir == DIR_OUT ? GW_DIR_XMPP_TO_SIP : GW_DIR_SIP_TO_XMPP;
        gw_metrics.calls_answered[d]++;
        gw_histogram_observe(&gw_metrics.call_setup_seconds[d],
                             (double)(g_get_monotonic_time() - c->created_us) / 1e6);
        gw_call_video_started(c); /* a keyframe if video is live */
    }
    c->state = state;
}

gboolean
gw_call_answered(const Call *c)
{
    return states[c->state].answered;
}

const GwConfig *
gw_call_config(const GwCallBridge *b)
{
    return b->env->config;
}

void
gw_call_limits(const GwCallBridge *b, GwCallLimits *limits)
{
    const GwConfig *cfg = gw_call_config(b);

    limits->max_contents = cfg->calls.max_contents;
    limits->max_sdp_bytes = cfg->calls.max_sdp_bytes;
    /* rtpengine's WebRTC profile: the XMPP leg is always DTLS-SRTP */
    limits->dtls_required = g_strcmp0(cfg->media.relay, "rtpengine") == 0;
}

/* ---- the table --------------------------------------------------------- */

Call *
gw_call_new(GwCallBridge *b, CallDir dir, const char *sid)
{
    Call *c = g_new0(Call, 1);

    c->b = b;
    c->serial = ++b->next_serial;
    c->dir = dir;
    c->state = CALL_NEW;
    c->sid = g_strdup(sid);
    c->created_us = g_get_monotonic_time();
    gw_metrics.calls_attempted[dir == DIR_OUT ? GW_DIR_XMPP_TO_SIP : GW_DIR_SIP_TO_XMPP]++;
    g_hash_table_insert(b->calls, c->sid, c);
    return c;
}

Call *
gw_call_lookup(GwCallBridge *b, const char *sid)
{
    return sid != NULL ? g_hash_table_lookup(b->calls, sid) : NULL;
}

/* Frees the call without telling anyone. */
static void
call_free(Call *c)
{
    g_hash_table_remove(c->b->calls, c->sid);
    g_clear_handle_id(&c->timer_id, g_source_remove);
    gw_call_dtmf_clear(c, FALSE);
    gw_call_video_forget(c);
    if (c->media_req != 0)
        gw_media_cancel(c->b->media, c->media_req);
    if (c->sip != NULL)
        gw_sip_call_close(c->sip); /* no more SIP callbacks */
    jsdp_session_free(c->xmpp_session);
    gw_call_content_forget(c);
    gw_call_content_sip_forget(c);
    g_free(c->sid);
    g_free(c->xmpp_bare);
    g_free(c->xmpp_full);
    g_free(c->gw_full);
    g_free(c->sip_peer);
    g_free(c->sip_self);
    g_free(c->x_sdp);
    g_free(c->sip_sdp_out);
    g_free(c->x_relay_sdp);
    g_free(c);
}

guint
gw_call_count_of(GwCallBridge *b, const char *bare)
{
    GHashTableIter it;
    gpointer v;
    guint n = 0;

    g_hash_table_iter_init(&it, b->calls);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (g_strcmp0(((Call *)v)->xmpp_bare, bare) == 0)
            n++;
    return n;
}

gboolean
gw_call_take_attempt(GwCallBridge *b, const char *bare)
{
    GArray *a = g_hash_table_lookup(b->attempts, bare);
    gint64 now = g_get_monotonic_time();
    guint keep = 0;

    if (a == NULL) {
        a = g_array_new(FALSE, FALSE, sizeof(gint64));
        g_hash_table_insert(b->attempts, g_strdup(bare), a);
    }
    for (guint i = 0; i < a->len; i++)
        if (now - g_array_index(a, gint64, i) < 60 * G_USEC_PER_SEC)
            g_array_index(a, gint64, keep++) = g_array_index(a, gint64, i);
    g_array_set_size(a, keep);
    if (a->len >= gw_call_config(b)->calls.attempts_per_minute)
        return FALSE;
    g_array_append_val(a, now);
    return TRUE;
}

/* ---- the relay --------------------------------------------------------- */

void
gw_call_media_offer(Call *c, const char *from_tag, const char *sdp,
                    GwMediaToward toward, GwMediaSdpFunc func)
{
    if (c->media_req != 0)
        gw_media_cancel(c->b->media, c->media_req);
    c->media_req = gw_media_offer(c->b->media, c->sid, from_tag, sdp, toward,
                                  func, c);
}

void
gw_call_media_answer(Call *c, const char *from_tag, const char *to_tag,
                     const char *sdp, GwMediaToward toward,
                     GwMediaSdpFunc func)
{
    if (c->media_req != 0)
        gw_media_cancel(c->b->media, c->media_req);
    c->media_req = gw_media_answer(c->b->media, c->sid, from_tag, to_tag, sdp,
                                   toward, func, c);
}

/* The answer's callback runs only while its request is the call's
 * media_req: call_free() and a newer request cancel it. */
Call *
gw_call_media_done(gpointer user_data)
{
    Call *c = user_data;

    c->media_req = 0;
    return c;
}

void
gw_call_note_x_relay_sdp(Call *c, const char *sdp)
{
    g_free(c->x_relay_sdp);
    c->x_relay_sdp = g_strdup(sdp);
}

JsdpSession *
gw_call_x_relay_session(const Call *c)
{
    return c->x_relay_sdp != NULL
               ? gw_call_session_from_sdp(c->x_relay_sdp, gw_call_our_role(c),
                                          NULL)
               : NULL;
}

const JsdpContent *
gw_call_nth_content(const JsdpSession *s, guint i)
{
    return s != NULL && i < s->contents->len ? g_ptr_array_index(s->contents, i)
                                             : NULL;
}

/* ---- timer and end ----------------------------------------------------- */

static gboolean
on_timer(gpointer data)
{
    Call *c = data;

    c->timer_id = 0;
    if (gw_call_answered(c)) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s reached max_duration_s",
                 c->sid);
        gw_call_end(c, "expired", 0, "maximum call duration reached");
    } else {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s not answered in time", c->sid);
        gw_call_end(c, "timeout", 480, "no answer");
    }
    return G_SOURCE_REMOVE;
}

void
gw_call_set_timer(Call *c, guint seconds)
{
    g_clear_handle_id(&c->timer_id, g_source_remove);
    if (seconds > 0)
        c->timer_id = g_timeout_add_seconds(seconds, on_timer, c);
}

static void
tell_xmpp(Call *c, CallTell tell, const char *reason, const char *text)
{
    g_autofree char *r = NULL;

    switch (tell) {
    case TELL_NOTHING:
        break;
    case TELL_REJECT:
        gw_call_send_jmi(c->b, c->gw_full, c->xmpp_full, c->sid, "reject",
                         reason, text);
        break;
    case TELL_RETRACT:
        gw_call_send_jmi(c->b, c->gw_full, c->xmpp_bare, c->sid, "retract",
                         reason, text);
        break;
    case TELL_TERMINATE:
        r = gw_call_reason_build(NULL, reason, text);
        gw_call_send_jingle_action(c, "session-terminate", r);
        break;
    }
}

void
gw_call_end(Call *c, const char *jingle_reason, int sip_status,
            const char *text)
{
    GwCallBridge *b = c->b;
    CallState was = c->state;

    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s (%s, %s) ends: %s%s%s", c->sid,
             c->dir == DIR_OUT ? "XMPP->SIP" : "SIP->XMPP", states[was].name,
             jingle_reason ? jingle_reason : "-", text ? ": " : "",
             text ? text : "");
    gw_call_enter(c, CALL_ENDED,
                  jingle_reason ? jingle_reason : text ? text : "-");
    gw_call_dtmf_clear(c, gw_xmpp_link_is_up(b->env->xmpp));
    if (jingle_reason != NULL && gw_xmpp_link_is_up(b->env->xmpp))
        tell_xmpp(c, states[was].tell, jingle_reason, text);
    if (c->sip != NULL) {
        if (c->dir == DIR_IN && !states[was].answered && sip_status > 0)
            gw_sip_call_respond(c->sip, sip_status, NULL, NULL);
        gw_sip_call_close(c->sip); /* BYE or CANCEL when still up */
        c->sip = NULL;
    }
    if (states[was].relay)
        gw_media_delete(b->media, c->sid);
    if (states[was].answered) {
        b->stats.started++;
    } else {
        b->stats.failed++;
        gw_metrics.calls_failed[c->dir == DIR_OUT ? GW_DIR_XMPP_TO_SIP : GW_DIR_SIP_TO_XMPP]
                               [gw_metrics_call_failure(jingle_reason, sip_status)]++;
    }
    call_free(c);
}

/* ---- the router's entry points ----------------------------------------- */

static void
on_jmi_reject(Call *c, xmpp_stanza_t *msg, xmpp_stanza_t *e)
{
    const char *r = gw_call_reason_of(e);

    if (c == NULL || c->dir != DIR_IN || c->state != IN_PROPOSED)
        return;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s rejected by %s (%s)", c->sid,
             xmpp_stanza_get_from(msg), r ? r : "no reason");
    gw_call_end(c, NULL, r && strcmp(r, "busy") == 0 ? 486 : 603, NULL);
}

/* A <message type=error> with the id of our <propose/> (PROPOSE_ID_PREFIX
 * + sid, call_in.c): her server bounced it, nobody will ring (issue 15).
 * Prosody 0.12 without mod_offline answers a chat message to a user with
 * no available resource with service-unavailable from her bare JID, our
 * id, and none of our payload (mod_message.lua process_to_bare(),
 * util/stanza.lua error_reply()); with mod_offline, or ejabberd's, it
 * stores the propose (our <store/> hint, XEP-0334) and says nothing:
 * then she rings until no_answer_s, for a device that may yet come.
 * Only the JID we sent it to may end the call, as for our iqs (6.36):
 * anyone can send the component an error with this id, and an error from
 * one of her clients is that device's alone (the others still ring). */
static void
on_propose_bounced(GwCallBridge *b, xmpp_stanza_t *msg, const char *sid)
{
    Call *c = gw_call_lookup(b, sid);
    const char *from = xmpp_stanza_get_from(msg);
    const char *cond = gw_stanza_error_condition(msg);
    g_autofree char *text = NULL;

    if (c == NULL || c->dir != DIR_IN)
        return;
    /* JIDs compare case-blind here: her server may have prepped the
     * address we mapped (RFC 7622) */
    if (from == NULL || g_ascii_strcasecmp(from, c->xmpp_bare) != 0 ||
        g_strcmp0(xmpp_stanza_get_to(msg), c->gw_full) != 0) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: error to our propose from "
                 "%s, not %s: ignored", c->sid, from ? from : "-",
                 c->xmpp_bare);
        return;
    }
    if (c->state != IN_PROPOSED)
        return; /* a device proceeded: the bounce is stale */
    text = g_strdup_printf("her server bounced the propose (%s): nobody to "
                           "ring", cond ? cond : "no condition");
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s", c->sid, text);
    /* nobody got the propose: no <retract/> */
    gw_call_end(c, NULL, 480, text);
}

gboolean
gw_call_bridge_message(GwCallBridge *b, xmpp_stanza_t *msg)
{
    xmpp_stanza_t *e = NULL;
    const char *name, *sid;
    const char *id = xmpp_stanza_get_id(msg);
    gboolean error = g_strcmp0(xmpp_stanza_get_type(msg), "error") == 0;
    Call *c;

    /* a bounce carries our id, not always our payload */
    if (error && id != NULL && g_str_has_prefix(id, PROPOSE_ID_PREFIX)) {
        on_propose_bounced(b, msg, id + strlen(PROPOSE_ID_PREFIX));
        return TRUE;
    }
    for (e = xmpp_stanza_get_children(msg); e; e = xmpp_stanza_get_next(e))
        if (xmpp_stanza_is_tag(e) &&
            g_strcmp0(xmpp_stanza_get_ns(e), NS_JMI) == 0)
            break;
    if (e == NULL)
        return FALSE;
    if (error)
        return TRUE; /* an error to another JMI message of ours */
    name = xmpp_stanza_get_name(e);
    sid = xmpp_stanza_get_attribute(e, "id");
    if (sid == NULL)
        return TRUE;
    c = gw_call_lookup(b, sid);
    if (strcmp(name, "propose") == 0) {
        gw_call_out_propose(b, msg, e);
    } else if (strcmp(name, "retract") == 0) {
        if (c != NULL && c->dir == DIR_OUT &&
            g_strcmp0(c->xmpp_full, xmpp_stanza_get_from(msg)) == 0)
            gw_call_end(c, NULL, 0, "retracted by the caller");
    } else if (strcmp(name, "proceed") == 0) {
        gw_call_in_proceed(b, msg, sid);
    } else if (strcmp(name, "reject") == 0) {
        on_jmi_reject(c, msg, e);
    }
    /* accept (carbon of another device) and finish: nothing to do */
    return TRUE;
}

/* The result or error of one of our Jingle iqs. */
static void
on_iq_answer(GwCallBridge *b, xmpp_stanza_t *iq)
{
    const char *id = xmpp_stanza_get_id(iq);
    const char *from = xmpp_stanza_get_from(iq);
    const char *sid = NULL;
    guint64 serial = 0;
    guint seq = 0;
    Call *c;

    if (!gw_call_parse_iq_id(id, &serial, &seq, &sid))
        return;
    c = gw_call_lookup(b, sid);
    if (c == NULL || c->serial != serial)
        return; /* the call has ended */
    /* as for Jingle sets: only the party we sent it to answers it (anyone
     * may send an iq to the component) */
    if (c->xmpp_full != NULL && g_strcmp0(from, c->xmpp_full) != 0) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: answer %s from %s, not %s: "
                 "ignored", c->sid, id, from ? from : "-", c->xmpp_full);
        return;
    }
    if (seq != 0 && seq == c->modify_seq) {
        /* our content-modify: a client that cannot take it keeps the
         * call (call_content_sip.c) */
        const char *cond = gw_stanza_error_condition(iq);
        gboolean err = g_strcmp0(xmpp_stanza_get_type(iq), "error") == 0;

        gw_call_content_modify_answered(
            c, err ? (cond != NULL ? cond : "no condition") : NULL);
        return;
    }
    if (g_strcmp0(xmpp_stanza_get_type(iq), "error") == 0) {
        const char *cond = gw_stanza_error_condition(iq);

        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the XMPP client refused "
                 "our request (%s)", c->sid, cond ? cond : "no condition");
        /* the peer does not know the session any more: end it quietly */
        gw_call_end(c, NULL, gw_errmap_xmpp_to_sip_call(cond), NULL);
    }
}

gboolean
gw_call_bridge_iq(GwCallBridge *b, xmpp_stanza_t *iq)
{
    const char *type = xmpp_stanza_get_type(iq);
    xmpp_stanza_t *j;
    const char *action, *sid;
    Call *c;

    if (type != NULL &&
        (strcmp(type, "result") == 0 || strcmp(type, "error") == 0)) {
        const char *id = xmpp_stanza_get_id(iq);
        if (id == NULL || !g_str_has_prefix(id, IQ_ID_PREFIX))
            return FALSE;
        on_iq_answer(b, iq);
        return TRUE;
    }
    j = gw_stanza_child(iq, "jingle", NS_JINGLE);
    if (j == NULL || g_strcmp0(type, "set") != 0)
        return FALSE;
    action = xmpp_stanza_get_attribute(j, "action");
    sid = xmpp_stanza_get_attribute(j, "sid");
    if (action == NULL || sid == NULL) {
        gw_call_iq_error(b, iq, "bad-request", NULL,
                         "jingle without action or sid");
        return TRUE;
    }
    if (strcmp(action, "session-initiate") == 0) {
        gw_call_out_initiate(b, iq, j);
        return TRUE;
    }
    c = gw_call_lookup(b, sid);
    if (c == NULL ||
        (c->xmpp_full != NULL &&
         g_strcmp0(c->xmpp_full, xmpp_stanza_get_from(iq)) != 0)) {
        gw_call_iq_error(b, iq, "item-not-found", "unknown-session", NULL);
        return TRUE;
    }
    if (strcmp(action, "session-terminate") == 0)
        gw_call_session_terminate(b, iq, j, c);
    else if (strcmp(action, "session-accept") == 0)
        gw_call_in_accept(b, iq, j, c);
    else if (strcmp(action, "transport-info") == 0)
        gw_call_transport_info(b, iq, c);
    else if (strcmp(action, "session-info") == 0)
        gw_call_session_info(b, iq, j, c);
    else if (strcmp(action, "content-add") == 0)
        gw_call_content_add(b, iq, j, c);
    else if (strcmp(action, "content-remove") == 0)
        gw_call_content_remove(b, iq, j, c);
    else if (strcmp(action, "content-modify") == 0)
        gw_call_content_modify(b, iq, j, c);
    else if (strcmp(action, "content-accept") == 0 ||
             strcmp(action, "content-reject") == 0)
        gw_call_content_answer(b, iq, j, c,
                               strcmp(action, "content-accept") == 0);
    else /* transport-replace ...: not bridged */
        gw_call_iq_error(b, iq, "feature-not-implemented", "unsupported-info",
                         "not bridged to SIP");
    return TRUE;
}

void
gw_call_bridge_invite(GwCallBridge *b, GwSipRequest *req,
                      const GwSipIncoming *in)
{
    gw_call_in_invite(b, req, in);
}

/* ---- life cycle -------------------------------------------------------- */

static void
end_all(GwCallBridge *b, const char *reason, int sip_status, const char *text)
{
    GList *calls = g_hash_table_get_values(b->calls);

    for (GList *l = calls; l != NULL; l = l->next)
        gw_call_end(l->data, reason, sip_status, text);
    g_list_free(calls);
}

void
gw_call_bridge_link_down(GwCallBridge *b)
{
    if (g_hash_table_size(b->calls) > 0)
        g_warning("XMPP link lost: ending %u call(s) on the SIP side",
                  g_hash_table_size(b->calls));
    end_all(b, NULL, 503, NULL);
}

void
gw_call_bridge_shutdown(GwCallBridge *b)
{
    b->stopping = TRUE;
    end_all(b, "general-error", 503, "the gateway is shutting down");
}

GwCallBridge *
gw_call_bridge_new(const GwBridgeEnv *env, const GwConfig *boot_config,
                   GwResourcesFunc resources, gpointer resources_data,
                   GError **error)
{
    GwCallBridge *b;
    GwMedia *media = gw_media_new(boot_config, error);

    if (media == NULL)
        return NULL;
    b = g_new0(GwCallBridge, 1);
    b->env = env;
    b->resources = resources;
    b->resources_data = resources_data;
    b->media = media;
    b->calls = g_hash_table_new(g_str_hash, g_str_equal);
    b->attempts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_array_unref);
    return b;
}

void
gw_call_bridge_free(GwCallBridge *b)
{
    if (b == NULL)
        return;
    b->stopping = TRUE;
    while (g_hash_table_size(b->calls) > 0) {
        GList *l = g_hash_table_get_values(b->calls);
        call_free(l->data);
        g_list_free(l);
    }
    gw_media_free(b->media);
    g_hash_table_unref(b->calls);
    g_hash_table_unref(b->attempts);
    g_free(b);
}

static gint
by_serial(gconstpointer a, gconstpointer b)
{
    const Call *x = *(Call *const *)a, *y = *(Call *const *)b;

    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

GPtrArray *
gw_call_bridge_list(const GwCallBridge *b)
{
    g_autoptr(GPtrArray) calls = g_ptr_array_new();
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, b->calls);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(calls, v);
    g_ptr_array_sort(calls, by_serial);
    for (guint i = 0; i < calls->len; i++) {
        const Call *c = g_ptr_array_index(calls, i);
        g_ptr_array_add(out, g_strdup_printf(
            "%s %s %s %s %s %" G_GINT64_FORMAT "s", c->sid,
            c->dir == DIR_OUT ? "XMPP->SIP" : "SIP->XMPP",
            c->xmpp_bare ? c->xmpp_bare : "-", c->sip_peer ? c->sip_peer : "-",
            states[c->state].name, (now - c->created_us) / G_USEC_PER_SEC));
    }
    return out;
}

gboolean
gw_call_bridge_hang_up(GwCallBridge *b, const char *sid)
{
    Call *c = gw_call_lookup(b, sid);

    if (c == NULL)
        return FALSE;
    if (gw_call_answered(c))
        gw_call_end(c, "success", 0, "ended by an operator");
    else
        gw_call_end(c, "cancel", 480, "ended by an operator");
    return TRUE;
}

void
gw_call_bridge_get_stats(const GwCallBridge *b, GwCallStats *stats)
{
    *stats = b->stats;
    stats->calls = g_hash_table_size(b->calls);
    stats->relay_reachable = gw_media_relay_reachable(b->media);
}
