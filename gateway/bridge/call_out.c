/* gateway/bridge/call_out.c: the XMPP user calls a SIP address, as
 * Conversations does it (JMI), or with a session-initiate straight away.
 *
 *   alice                      gateway                        SIP / rtpengine
 *   <propose id=S> ----------> ACL, limits           OUT_PROCEEDING
 *             <--------------- <received/> (receipt), <proceed id=S>
 *   session-initiate --------> ack; offer(x, WebRTC SDP) -----> rtpengine
 *                                                    OUT_MEDIA_OFFER
 *   transport-info ----------> ack (rtpengine learns the client's address
 *                                   from its checks: call_session.c)
 *                              INVITE (RTP/AVP SDP) ----------> SIP
 *                                                    OUT_INVITING
 *             <--------------- session-info <ringing/>  <---- 180
 *                              (once; 183 without early media too)
 *                                                    OUT_RINGING
 *             <--------------- session-accept (early) <------ 183+SDP
 *                              answer(x, s, SDP) -----------> rtpengine
 *                                     OUT_EARLY_ANSWER, then OUT_EARLY
 *             <--------------- session-accept  <------------- 200 (ACK)
 *                                     OUT_MEDIA_ANSWER, then OUT_ACTIVE
 *   session-terminate -------> BYE (or CANCEL); delete -----> rtpengine
 *
 * A refused <propose/> gets a <reject/>, a refused session-initiate its
 * result then a session-terminate; neither becomes a call.
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"

#include "error_map.h"
#include "gw_error.h"
#include "stanza.h"

static const GwSipCallFuncs out_sip_funcs;

/* The local part of a JID, unescaped: the ACL's destination. */
static char *
dest_key(const char *jid)
{
    g_autofree char *local = NULL;

    if (!map_jid_split(jid, &local, NULL, NULL, NULL) || local == NULL)
        return NULL;
    return map_jid_unescape(local);
}

/* Checks a call from an XMPP user `from` to `to`: the caller's and the
 * callee's addresses (transfer full), or FALSE with the error and the
 * Jingle reason to refuse with. */
static gboolean
admit_out(GwCallBridge *b, const char *from, const char *to,
          MapResult **caller_out, MapResult **callee_out,
          const char **reason, GError **error)
{
    const GwConfig *cfg = gw_call_config(b);
    g_autoptr(MapResult) caller = NULL, callee = NULL;
    g_autofree char *dest = NULL;

    *reason = "decline";
    caller = gw_env_lookup_user_jid(b->env, from, NULL);
    callee = map_table_lookup_jid(b->env->map, to, error);
    if (!cfg->calls.enabled || b->stopping || b->env->draining) {
        g_clear_error(error);
        g_set_error_literal(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                            "calls are not bridged now");
        return FALSE;
    }
    if (caller == NULL || caller->kind != MAP_KIND_XMPP_USER) {
        g_clear_error(error);
        g_set_error(error, GW_ERROR, GW_ERROR_FORBIDDEN,
                    "caller '%.64s' has no SIP identity", from);
        return FALSE;
    }
    if (callee == NULL || callee->kind == MAP_KIND_XMPP_USER ||
        (dest = dest_key(callee->jid)) == NULL) {
        if (error != NULL && *error == NULL)
            g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                        "'%.64s' is not a SIP address", to);
        *reason = "gone";
        return FALSE;
    }
    if (!gw_config_allows_call(cfg, caller->jid, dest)) {
        g_set_error(error, GW_ERROR, GW_ERROR_FORBIDDEN,
                    "%.64s may not call '%.64s'", caller->jid, dest);
        *reason = "security-error";
        return FALSE;
    }
    if (g_hash_table_size(b->calls) >= cfg->calls.max_calls ||
        gw_call_count_of(b, caller->jid) >= cfg->calls.max_calls_per_user) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_OVERLOAD,
                            "too many calls");
        *reason = "busy";
        return FALSE;
    }
    if (!gw_call_take_attempt(b, caller->jid)) {
        g_set_error(error, GW_ERROR, GW_ERROR_RATE_LIMITED,
                    "more than %u call attempts a minute",
                    cfg->calls.attempts_per_minute);
        *reason = "busy";
        return FALSE;
    }
    *caller_out = g_steal_pointer(&caller);
    *callee_out = g_steal_pointer(&callee);
    return TRUE;
}

/* An admitted call from her client `from`; `gw_full`: our side of it. */
static Call *
out_call_new(GwCallBridge *b, const char *sid, const char *from,
             const MapResult *caller, const MapResult *callee, char *gw_full)
{
    Call *c = gw_call_new(b, DIR_OUT, sid);

    c->xmpp_full = g_strdup(from);
    c->xmpp_bare = g_strdup(caller->jid);
    c->gw_full = gw_full;
    c->sip_peer = gw_env_peer_uri(b->env, caller->jid, callee->sip_uri);
    c->sip_self = g_strdup(caller->sip_uri);
    return c;
}

static gboolean
proposes_media(xmpp_stanza_t *propose)
{
    for (xmpp_stanza_t *d = xmpp_stanza_get_children(propose); d;
         d = xmpp_stanza_get_next(d))
        if (xmpp_stanza_is_tag(d) &&
            g_strcmp0(xmpp_stanza_get_ns(d), NS_RTP) == 0 &&
            gw_call_is_bridged_media(xmpp_stanza_get_attribute(d, "media")))
            return TRUE;
    return FALSE;
}

void
gw_call_out_propose(GwCallBridge *b, xmpp_stanza_t *msg,
                    xmpp_stanza_t *propose)
{
    const char *sid = xmpp_stanza_get_attribute(propose, "id");
    const char *from = xmpp_stanza_get_from(msg);
    const char *to = xmpp_stanza_get_to(msg);
    const char *reason = "unsupported-applications";
    g_autoptr(GError) error = NULL;
    g_autoptr(MapResult) caller = NULL, callee = NULL;
    Call *c;

    if (sid == NULL || from == NULL || to == NULL)
        return;
    /* XEP-0184: the receipt tells Conversations that a device rings */
    if (gw_stanza_child(msg, "request", GW_NS_RECEIPTS) != NULL &&
        xmpp_stanza_get_id(msg) != NULL)
        gw_xmpp_link_send_text(b->env->xmpp,
                               gw_stanza_receipt(to, from,
                                                 xmpp_stanza_get_id(msg)));
    if (gw_call_lookup(b, sid) != NULL)
        return; /* a repeated propose */
    if (!proposes_media(propose))
        g_set_error_literal(&error, GW_ERROR, GW_ERROR_UNSUPPORTED,
                            "only audio and video calls are bridged");
    else
        admit_out(b, from, to, &caller, &callee, &reason, &error);
    if (error != NULL) {
        g_autofree char *gw_full = g_strconcat(to, "/" GW_RESOURCE, NULL);

        g_info("call %s from %s to %s refused: %s", sid, from, to,
               error->message);
        gw_call_send_jmi(b, gw_full, from, sid, "reject", reason,
                         error->message);
        b->stats.failed++;
        return;
    }
    c = out_call_new(b, sid, from, caller, callee,
                     g_strconcat(callee->jid, "/" GW_RESOURCE, NULL));
    gw_call_enter(c, OUT_PROCEEDING, "propose admitted");
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s proposes a call to %s", sid,
             from, c->sip_peer);
    gw_call_send_jmi(b, c->gw_full, from, sid, "proceed", NULL, NULL);
    gw_call_set_timer(c, gw_call_config(b)->calls.no_answer_s);
}

/* A session-initiate refused before it became a call: acked, then
 * terminated (XEP-0166 6.3.2). */
static void
refuse_initiate(GwCallBridge *b, xmpp_stanza_t *iq, const char *sid,
                const char *reason, const char *text)
{
    const char *from = xmpp_stanza_get_from(iq);
    const char *to = xmpp_stanza_get_to(iq);
    g_autofree char *r = gw_call_reason_build(NULL, reason, text);
    g_autofree char *j =
        gw_call_jingle_build("session-terminate", sid, from, r);
    /* serial 0 is no call's: its answer is ignored */
    g_autofree char *id = g_strconcat(IQ_ID_PREFIX "0-0-", sid, NULL);

    g_info("call %s from %s refused: %s", sid, from, text);
    gw_call_iq_result(b, iq);
    if (gw_xmpp_link_is_up(b->env->xmpp))
        gw_call_send_iq_set(b, to, from, id, j);
    b->stats.failed++;
}

/* A session-initiate call_check.c refuses: an iq error (bad-request,
 * policy-violation) with its text; a JMI call admitted before ends
 * (her client knows: the error ends its session). */
static void
refuse_offer(GwCallBridge *b, xmpp_stanza_t *iq, Call *c,
             const GError *error)
{
    g_info("call %s from %s refused: %s",
           xmpp_stanza_get_attribute(gw_stanza_child(iq, "jingle", NS_JINGLE),
                                     "sid"),
           xmpp_stanza_get_from(iq), error->message);
    gw_call_iq_error(b, iq, gw_call_check_condition(error), NULL,
                     error->message);
    if (c != NULL)
        gw_call_end(c, NULL, 0, error->message);
    else
        b->stats.failed++;
}

static void on_out_offer_done(const char *sdp, const GError *error,
                              gpointer data);

void
gw_call_out_initiate(GwCallBridge *b, xmpp_stanza_t *iq,
                     xmpp_stanza_t *jingle)
{
    const char *sid = xmpp_stanza_get_attribute(jingle, "sid");
    const char *from = xmpp_stanza_get_from(iq);
    const char *to = xmpp_stanza_get_to(iq);
    Call *c = gw_call_lookup(b, sid);
    g_autoptr(GError) error = NULL, sdp_error = NULL;
    g_autoptr(MapResult) caller = NULL, callee = NULL;
    g_autoptr(JsdpSession) s = NULL;
    g_autofree char *sdp = NULL;
    const char *reason = NULL;
    GwCallLimits lim;

    if (c != NULL && (c->dir != DIR_OUT || c->state != OUT_PROCEEDING ||
                      g_strcmp0(c->xmpp_full, from) != 0)) {
        gw_call_iq_error(b, iq, "conflict", NULL,
                         "a session with this sid exists");
        return;
    }
    s = gw_call_session_from_jingle(jingle, &error);
    if (s == NULL) {
        gw_call_iq_error(b, iq, "bad-request", NULL, error->message);
        return;
    }
    /* checked before it becomes a call (a refused one never does) */
    gw_call_limits(b, &lim);
    gw_call_session_for_sip(b, s);
    sdp = gw_call_session_to_sdp(s, JSDP_ROLE_INITIATOR, &sdp_error);
    if (!gw_call_check_offer(s, &lim, &error) ||
        (sdp != NULL && !gw_call_check_sdp_size(sdp, &lim, &error))) {
        refuse_offer(b, iq, c, error);
        return;
    }
    if (c == NULL) {
        /* a direct session-initiate, without JMI */
        if (!admit_out(b, from, to, &caller, &callee, &reason, &error)) {
            refuse_initiate(b, iq, sid, reason, error->message);
            return;
        }
        c = out_call_new(b, sid, from, caller, callee, g_strdup(to));
        gw_call_set_timer(c, gw_call_config(b)->calls.no_answer_s);
    }
    gw_call_iq_result(b, iq); /* ack at once (XEP-0166 6.3.2) */
    c->xmpp_session = g_steal_pointer(&s);
    gw_call_enter(c, OUT_MEDIA_OFFER, "session-initiate");
    if (!gw_call_has_media(c->xmpp_session)) {
        gw_call_end(c, "unsupported-applications", 0,
                    "no audio or video content to bridge");
        return;
    }
    if (sdp == NULL) {
        gw_call_end(c, "failed-application", 0, sdp_error->message);
        return;
    }
    c->x_sdp = g_strdup(sdp);
    gw_call_media_offer(c, TAG_XMPP, sdp, GW_MEDIA_TOWARD_SIP,
                        on_out_offer_done);
}

static void
on_out_offer_done(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);
    g_autoptr(GError) big = NULL;
    GwCallLimits lim;

    if (error != NULL) {
        CALL_LOG(G_LOG_LEVEL_WARNING, c, "call %s: media relay failed: %s",
                 c->sid, error->message);
        gw_call_end(c, "failed-application", 0, "media relay unavailable");
        return;
    }
    /* what the relay made of a checked offer is checked too: the INVITE
     * must stay below what a proxy reads */
    gw_call_limits(c->b, &lim);
    if (!gw_call_check_sdp_size(sdp, &lim, &big)) {
        gw_call_end(c, "failed-application", 0, big->message);
        return;
    }
    c->sip_sdp_out = g_strdup(sdp);
    gw_call_enter(c, OUT_INVITING, "the relay made the SIP offer");
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: INVITE %s as %s", c->sid,
             c->sip_peer, c->sip_self);
    c->sip = gw_sip_ua_invite(c->b->env->sip, c->sip_self, c->sip_peer, sdp,
                              &out_sip_funcs, c);
}

/* The relay's answer toward her client: the session-accept, on early
 * media or on the 200 (after early media the relay only learns the final
 * SDP: the Jingle side does not change). */
static void
on_out_answer_done(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);
    g_autoptr(GError) perr = NULL;
    g_autoptr(JsdpSession) ans = NULL;
    g_autofree char *jingle = NULL;
    CallState next;

    if (error != NULL) {
        gw_call_end(c, "failed-application", 0, "media relay failed");
        return;
    }
    gw_call_note_x_relay_sdp(c, sdp);
    if (c->state == OUT_ACTIVE) {
        gw_call_content_modify_flush(c); /* hers during setup */
        return;
    }
    next = c->state == OUT_EARLY_ANSWER ? OUT_EARLY : OUT_ACTIVE;
    ans = gw_call_session_from_sdp(sdp, JSDP_ROLE_RESPONDER, &perr);
    if (ans == NULL) {
        gw_call_end(c, "failed-application", 0, perr->message);
        return;
    }
    jsdp_session_align_answer(ans, c->xmpp_session);
    if (gw_call_relay_unbundles(c->b))
        jsdp_session_unbundle_answer(ans, c->xmpp_session);
    jsdp_session_drop_sources(ans);
    jingle = gw_call_session_to_jingle(c, ans, "session-accept");
    if (jingle == NULL) {
        gw_call_end(c, "failed-application", 0,
                    "cannot build session-accept");
        return;
    }
    gw_call_send_jingle(c, jingle);
    gw_call_enter(c, next, "session-accept sent");
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: session-accept sent (%s)", c->sid,
             next == OUT_ACTIVE ? "answered" : "early media");
    if (next == OUT_ACTIVE)
        gw_call_content_modify_flush(c); /* hers during setup */
}

/* What her client shows while the SIP side rings (issue 15), read from
 * the clients' code:
 *
 * - Dino shows "Calling..." from its session-initiate
 *   (main/src/ui/call_window/call_window_controller.vala:287,
 *   participant_widget.vala:127) and "Ringing..." on a Jingle
 *   session-info <ringing xmlns='urn:xmpp:jingle:apps:rtp:info:1'/>
 *   (xmpp-vala/src/module/xep/0167_jingle_rtp/session_info_type.vala:44,
 *   call_window_controller.vala:197-200, participant_widget.vala:129).
 *   Its JMI module reads accept, proceed, propose, retract and reject,
 *   not the XEP-0353 <ringing/> message
 *   (xmpp-vala/src/module/xep/0353_jingle_message_initiation.vala:67-89).
 *   dino 45723ac (2026-06).
 * - Conversations shows RINGING from the receipt of its propose on
 *   (parser/MessageParser.java:945-948, DeviceDiscoveryState DISCOVERED,
 *   xmpp/jingle/JingleConnectionManager.java:997), and keeps it while
 *   its session is PROCEED or SESSION_INITIALIZED(_PRE_APPROVED): from our
 *   <proceed/> to the session-accept (JingleRtpConnection.java:1931-1949
 *   in getEndUserState()); it answers session-info and ignores it
 *   (deliverPacket()'s default, JingleRtpConnection.java:240-246).
 *   Conversations 0677ddc (2023-08). Later Conversations code (its fork
 *   snikket-android 4b329a2, 2025-12) also takes a XEP-0353 <ringing/>
 *   message, which its callee sends on a propose
 *   (JingleRtpConnection.java:1684), but only for a proposal not yet
 *   proceeded (JingleConnectionManager.java:539-542 ->
 *   updateProposedSessionDiscovered(), which finds none after <proceed/>,
 *   :1012-1025): the same RINGING as the receipt. Ours is proceeded at
 *   once, before the INVITE; session-info still goes to deliverPacket()'s
 *   default (JingleRtpConnection.java:155).
 *
 * So the SIP side's first 180, or 183 that brings no early media to her,
 * becomes one session-info <ringing/> (XEP-0167 7) and OUT_RINGING; a
 * second 180 (forking, a re-sent 180) or one after early media says
 * nothing new. No JMI <ringing/>: no client reads it after <proceed/>. */
static void
out_progress(gpointer data, int status, const char *phrase, const char *sdp)
{
    Call *c = data;
    gboolean early = sdp != NULL && gw_call_config(c->b)->calls.early_media;

    if (c->state != OUT_INVITING && c->state != OUT_RINGING)
        return; /* answered, or early media under way */
    if (c->state == OUT_INVITING &&
        (status == 180 || (status == 183 && !early))) {
        gw_call_enter(c, OUT_RINGING, status == 180 ? "180" : "183");
        gw_call_send_jingle_action(c, "session-info",
                                   "<ringing xmlns='" NS_RTP_INFO "'/>");
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side rings (%d %s)",
                 c->sid, status, phrase ? phrase : "");
    }
    if (early) {
        gw_call_enter(c, OUT_EARLY_ANSWER, "early media");
        gw_call_media_answer(c, TAG_XMPP, TAG_SIP, sdp, GW_MEDIA_TOWARD_XMPP,
                             on_out_answer_done);
    }
}

static void
out_answered(gpointer data, const char *sdp)
{
    Call *c = data;

    gw_call_enter(c, c->state == OUT_EARLY ? OUT_ACTIVE : OUT_MEDIA_ANSWER,
                  "200");
    gw_call_set_timer(c, gw_call_config(c->b)->calls.max_duration_s);
    if (sdp == NULL) {
        gw_call_end(c, "failed-application", 0, "2xx without SDP");
        return;
    }
    /* a 200 while the relay answers a 183 replaces that answer */
    gw_call_media_answer(c, TAG_XMPP, TAG_SIP, sdp, GW_MEDIA_TOWARD_XMPP,
                         on_out_answer_done);
}

static void
out_failed(gpointer data, int status, const char *phrase)
{
    Call *c = data;
    g_autofree char *text =
        g_strdup_printf("SIP %d %s", status, phrase ? phrase : "");

    gw_call_end(c, gw_errmap_sip_to_jingle(status), 0, text);
}

/* SIP callbacks carry the Call itself: call_free() closes the SIP call
 * first, after which the agent makes no more callbacks. */
static const GwSipCallFuncs out_sip_funcs = {
    .progress = out_progress,
    .answered = out_answered,
    .failed = out_failed,
    .ended = gw_call_sip_ended,
    .info = gw_call_sip_info,
    .reinvite = gw_call_sip_reinvite,
    .reinvite_answered = gw_call_sip_reinvite_answered,
};
