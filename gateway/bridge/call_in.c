/* gateway/bridge/call_in.c: a SIP address calls an XMPP user.
 *
 *   INVITE (RTP SDP) --------> offer(s, SDP) toward XMPP ---> rtpengine
 *                                                    IN_MEDIA_OFFER
 *             <--------------- 180 Ringing
 *                              <propose id=S> to alice's bare JID
 *                                                    IN_PROPOSED
 *   <proceed id=S> (first) --> session-initiate to that resource
 *                                                    IN_INITIATING
 *   session-accept ----------> answer(s, x, SDP) toward SIP -> rtpengine
 *                                                    IN_MEDIA_ANSWER
 *             <--------------- 200 OK (then ACK)     IN_ACTIVE
 *   <reject> -> 603/486; no answer -> 480 + <retract>; CANCEL -> <retract>
 *
 *   Nobody to ring (issue 15), 480 at once instead of after no_answer_s:
 *   her presence reaches the gateway, is current and shows no client
 *   (gw_pres_bridge_presence_known(): no 180, no propose); or her server
 *   bounces the propose (<message type=error> from her bare JID with our
 *   id: call_bridge.c, on_propose_bounced(); no <retract>). A server that
 *   stores the propose offline says nothing: it rings until no_answer_s.
 *
 *   Without JMI (choose_direct()): when every available resource of hers
 *   is known (caps.c) and none advertises JMI, the session-initiate goes
 *   straight to the best one that has Jingle RTP (IN_MEDIA_OFFER ->
 *   IN_INITIATING); then session-terminate (decline -> 603, busy -> 486,
 *   ...), an iq error (-> 480/404/...), no answer (-> <timeout/> + 480) or
 *   CANCEL (-> <cancel/> + 487) end it.
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"

#include <string.h>

#include "presence_bridge.h"
#include "stanza.h"

static void on_in_offer_done(const char *sdp, const GError *error,
                             gpointer data);

static void
in_acked(gpointer data)
{
    Call *c = data;

    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: established", c->sid);
    gw_call_content_modify_flush(c); /* her content-modify during setup */
}

/* SIP callbacks carry the Call itself (call_free() stops them). */
static const GwSipCallFuncs in_sip_funcs = {
    .acked = in_acked,
    .ended = gw_call_sip_ended,
    .info = gw_call_sip_info,
    .reinvite = gw_call_sip_reinvite,
    .reinvite_answered = gw_call_sip_reinvite_answered,
};

/* Why an INVITE is refused, or 0. */
static int
admit_in(GwCallBridge *b, const GwSipIncoming *in, const MapResult *caller,
         const MapResult *callee, const char **phrase, const char **why,
         GError **sdp_error)
{
    const GwConfig *cfg = gw_call_config(b);

    if (!cfg->calls.enabled || b->stopping)
        return *phrase = "Service Unavailable", *why = "calls off", 503;
    if (b->env->draining)
        return *phrase = "Service Unavailable", *why = "draining", 503;
    if (caller == NULL || caller->kind == MAP_KIND_XMPP_USER)
        return *phrase = "Forbidden", *why = "caller not mappable", 403;
    if (callee == NULL || callee->kind != MAP_KIND_XMPP_USER)
        return *phrase = "Not Found", *why = "not an XMPP user", 404;
    if (!gw_xmpp_link_is_up(b->env->xmpp))
        return *phrase = "XMPP Link Down", *why = "XMPP link down", 503;
    if (in->content_type == NULL || in->body == NULL)
        return *phrase = "SDP Offer Required",
               *why = "INVITE without an SDP offer (delayed offer is not "
                      "supported)",
               488;
    if (g_ascii_strcasecmp(in->content_type, "application/sdp") != 0)
        return *phrase = "Unsupported Media Type",
               *why = "the offer is not application/sdp", 415;
    /* refused here, not by the media relay after a 100 (503) */
    if (!jsdp_sdp_check(in->body, (gssize)in->body_len, sdp_error))
        return *phrase = "Malformed SDP", *why = (*sdp_error)->message, 400;
    if (g_hash_table_size(b->calls) >= cfg->calls.max_calls ||
        gw_call_count_of(b, callee->jid) >= cfg->calls.max_calls_per_user)
        return *phrase = "Busy Here", *why = "call limits", 486;
    return 0;
}

void
gw_call_in_invite(GwCallBridge *b, GwSipRequest *req,
                  const GwSipIncoming *in)
{
    g_autoptr(MapResult) caller = NULL, callee = NULL;
    g_autofree char *sid = g_uuid_string_random();
    g_autofree char *sdp = NULL;
    const char *phrase = NULL, *why = NULL;
    g_autoptr(GError) sdp_error = NULL;
    int status;
    Call *c;

    callee = gw_env_lookup_target_sip(b->env, in->request_uri, NULL);
    if (callee == NULL || callee->kind != MAP_KIND_XMPP_USER) {
        g_clear_pointer(&callee, map_result_free);
        callee = gw_env_lookup_target_sip(b->env, in->to_uri, NULL);
    }
    caller = gw_env_lookup_peer_sip(
        b->env,
        callee != NULL && callee->kind == MAP_KIND_XMPP_USER ? callee->jid
                                                             : NULL,
        in->from_uri, NULL);
    status = admit_in(b, in, caller, callee, &phrase, &why, &sdp_error);
    if (status != 0) {
        g_info("INVITE from %s to %s refused: %d %s (%s)", in->from_uri,
               in->request_uri, status, phrase, why);
        gw_sip_request_respond(req, status, phrase, status == 503 ? 5 : 0,
                               status == 415 ? "application/sdp" : NULL);
        return;
    }
    c = gw_call_new(b, DIR_IN, sid);
    c->xmpp_bare = g_strdup(callee->jid);
    c->gw_full = g_strconcat(caller->jid, "/" GW_RESOURCE, NULL);
    c->sip_peer = g_strdup(caller->sip_uri);
    c->sip_self = g_strdup(callee->sip_uri);
    c->sip = gw_sip_request_take_call(req, &in_sip_funcs, c);
    gw_call_enter(c, IN_MEDIA_OFFER, "INVITE admitted");
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s calls %s (Call-ID %s)", sid,
             in->from_uri, callee->jid, in->call_id);
    sdp = g_strndup(in->body, in->body_len);
    gw_call_media_offer(c, TAG_SIP, sdp, GW_MEDIA_TOWARD_XMPP,
                        on_in_offer_done);
    gw_call_set_timer(c, gw_call_config(b)->calls.no_answer_s);
}

/* Our offer as session-initiate to c->xmpp_full (after her <proceed/>,
 * or directly). */
static void
send_initiate(Call *c, const char *why)
{
    g_autofree char *jingle =
        gw_call_session_to_jingle(c, c->xmpp_session, "session-initiate");

    if (jingle == NULL) {
        gw_call_end(c, "failed-application", 500, "cannot build the offer");
        return;
    }
    gw_call_send_jingle(c, jingle);
    gw_call_enter(c, IN_INITIATING, why);
}

/* XEP-0353: propose to the bare JID, every device rings; a receipt is
 * asked for, as Conversations does. */
static void
send_propose(Call *c)
{
    const JsdpSession *s = c->xmpp_session;
    g_autofree char *id = g_strconcat(PROPOSE_ID_PREFIX, c->sid, NULL);
    GString *x = gw_stanza_begin("message", "chat", c->gw_full,
                                 c->xmpp_bare, id);

    g_string_append(x, "<propose xmlns='" NS_JMI "'");
    gw_xml_append_attr(x, "id", c->sid);
    g_string_append_c(x, '>');
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(s->contents, i);
        if (!ct->rejected && ct->media != NULL) {
            g_string_append(x, "<description xmlns='" NS_RTP "'");
            gw_xml_append_attr(x, "media", ct->media);
            g_string_append(x, "/>");
        }
    }
    g_string_append(x, "</propose><request xmlns='" GW_NS_RECEIPTS "'/>"
                       "<store xmlns='" NS_HINTS "'/>");
    gw_stanza_end(x, "message");
    gw_xmpp_link_send_text(c->b->env->xmpp, x);
}

static void
add_unique(GPtrArray *a, char *s)
{
    for (guint i = 0; i < a->len; i++)
        if (strcmp(g_ptr_array_index(a, i), s) == 0) {
            g_free(s);
            return;
        }
    g_ptr_array_add(a, s);
}

/* The features a resource must advertise to take our session-initiate
 * for `s`: Jingle (XEP-0166), RTP (XEP-0167 10: "urn:xmpp:jingle:apps:
 * rtp:1" and one URN per media type it supports, which it MUST list),
 * each transport we offer (XEP-0176 / XEP-0177) and DTLS-SRTP when we
 * offer a fingerprint (XEP-0320). (transfer full) char* */
static GPtrArray *
required_features(const JsdpSession *s)
{
    GPtrArray *req = g_ptr_array_new_with_free_func(g_free);

    add_unique(req, g_strdup(NS_JINGLE));
    add_unique(req, g_strdup(NS_RTP));
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(s->contents, i);
        if (ct->rejected || ct->media == NULL)
            continue;
        add_unique(req, g_strconcat(NS_RTP_MEDIA, ct->media, NULL));
        if (ct->transport == NULL)
            continue;
        add_unique(req, g_strdup(ct->transport->type ==
                                         JSDP_TRANSPORT_ICE_UDP
                                     ? JSDP_NS_ICE_UDP
                                     : JSDP_NS_RAW_UDP));
        if (ct->transport->fingerprints != NULL &&
            ct->transport->fingerprints->len > 0)
            add_unique(req, g_strdup(NS_DTLS));
    }
    return req;
}

static const char *
first_missing(GHashTable *features, const GPtrArray *req)
{
    for (guint i = 0; i < req->len; i++)
        if (!g_hash_table_contains(features, g_ptr_array_index(req, i)))
            return g_ptr_array_index(req, i);
    return NULL;
}

/* XEP-0353 or not (issue 6). The session-initiate goes straight to one
 * resource only when the gateway knows every available resource of hers
 * (priority >= 0) and all their features, none advertises JMI
 * ("urn:xmpp:jingle-message:0"), and one can take the offer
 * (required_features()): the best such (highest priority, then most
 * recent). Anything unknown or pending, or any JMI client: JMI, which
 * reaches every device. Returns that resource (transfer full) or NULL;
 * *why (transfer full) says why, for the log. *nobody: the gateway knows
 * for sure that she has no available resource (issue 15: her presence
 * reaches it and is current, gw_pres_bridge_presence_known()). */
static char *
choose_direct(Call *c, char **why, gboolean *nobody)
{
    GwCallBridge *b = c->b;
    g_autoptr(GPtrArray) res = NULL;
    g_autoptr(GPtrArray) req = required_features(c->xmpp_session);
    const GwPresResource *best = NULL;
    const char *lack = NULL, *lacking = NULL;
    gboolean known = FALSE;

    res = b->resources != NULL
              ? b->resources(b->resources_data, c->xmpp_bare, &known)
              : g_ptr_array_new();
    *nobody = known && res->len == 0;
    if (res->len == 0) {
        *why = g_strdup(known ? "her presence says no client is online"
                              : "no available resource (priority >= 0) "
                                "known");
        return NULL;
    }
    for (guint i = 0; i < res->len; i++) {
        const GwPresResource *r = g_ptr_array_index(res, i);
        const char *missing;

        if (r->unconfirmed) {
            /* the XMPP link was down: she may have left; the bare JID
             * reaches whatever is really online */
            *why = g_strdup_printf("%s not yet confirmed since the XMPP "
                                   "link came back", r->full);
            return NULL;
        }
        if (r->caps != GW_CAPS_KNOWN) {
            *why = g_strdup_printf("features of %s %s", r->full,
                                   r->caps == GW_CAPS_PENDING ? "pending"
                                   : r->caps == GW_CAPS_FAILED
                                       ? "not learnt (query failed)"
                                       : "unknown");
            return NULL;
        }
        if (g_hash_table_contains(r->features, NS_JMI)) {
            *why = g_strdup_printf("%s advertises JMI", r->full);
            return NULL;
        }
        missing = first_missing(r->features, req);
        if (missing == NULL && best == NULL)
            best = r;
        else if (missing != NULL && lack == NULL)
            lack = missing, lacking = r->full;
    }
    if (best == NULL) {
        *why = g_strdup_printf("no resource advertises JMI, none can take "
                               "the session (%s lacks %s)",
                               lacking, lack);
        return NULL;
    }
    *why = g_strdup_printf("none of %u resource(s) advertises JMI; %s "
                           "has the Jingle RTP features of the offer",
                           res->len, best->full);
    return g_strdup(best->full);
}

static void
on_in_offer_done(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);
    g_autoptr(GError) perr = NULL;
    g_autofree char *direct = NULL, *why = NULL;
    gboolean nobody = FALSE;
    JsdpSession *s;

    if (error != NULL) {
        CALL_LOG(G_LOG_LEVEL_WARNING, c, "call %s: media relay failed: %s",
                 c->sid, error->message);
        gw_call_end(c, NULL, 503, NULL);
        return;
    }
    gw_call_note_x_relay_sdp(c, sdp);
    s = gw_call_session_from_sdp(sdp, JSDP_ROLE_INITIATOR, &perr);
    if (s == NULL || !gw_call_has_media(s)) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: offer not usable: %s",
                 c->sid, perr ? perr->message : "no audio or video");
        jsdp_session_free(s);
        gw_call_end(c, NULL, 488, NULL);
        return;
    }
    /* our offer: the gateway initiates the Jingle session */
    jsdp_session_name_contents(s, JSDP_ROLE_INITIATOR);
    jsdp_session_drop_sources(s);
    c->xmpp_session = s;
    direct = choose_direct(c, &why, &nobody);
    if (nobody && !gw_call_config(c->b)->calls.ring_offline) {
        /* issue 15: a propose would ring nobody for no_answer_s (or be
         * stored for a device that can no longer answer): 480 at once,
         * before any 180 */
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s has no client online "
                 "(%s): 480 at once, no propose", c->sid, c->xmpp_bare, why);
        gw_call_end(c, NULL, 480, "the callee has no available resource");
        return;
    }
    gw_sip_call_respond(c->sip, 180, "Ringing", NULL);
    if (direct == NULL) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: JMI propose to %s: %s",
                 c->sid, c->xmpp_bare, why);
        gw_call_enter(c, IN_PROPOSED, "JMI propose");
        send_propose(c);
        return;
    }
    /* XEP-0166 6.1 without XEP-0353: the ringing (XEP-0167 7) and every
     * ending then come as for a session-initiate after <proceed> */
    CALL_LOG(G_LOG_LEVEL_INFO, c,
             "call %s: session-initiate straight to %s, no JMI: %s", c->sid,
             direct, why);
    c->xmpp_full = g_steal_pointer(&direct);
    send_initiate(c, "session-initiate without JMI");
}

void
gw_call_in_proceed(GwCallBridge *b, xmpp_stanza_t *msg, const char *sid)
{
    Call *c = gw_call_lookup(b, sid);
    const char *from = xmpp_stanza_get_from(msg);
    g_autofree char *bare = from ? map_jid_bare(from, NULL) : NULL;

    if (c == NULL || c->dir != DIR_IN || bare == NULL ||
        strcmp(bare, c->xmpp_bare) != 0)
        return;
    if (c->state != IN_PROPOSED) {
        /* XEP-0353: a later device is too late */
        if (g_strcmp0(from, c->xmpp_full) != 0)
            gw_call_send_jmi(b, c->gw_full, from, sid, "retract", "cancel",
                             "answered on another device");
        return;
    }
    c->xmpp_full = g_strdup(from);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s proceeds; session-initiate",
             sid, from);
    send_initiate(c, "proceed");
}

static void
on_in_answer_done(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);

    if (error != NULL) {
        gw_call_end(c, "failed-application", 503, "media relay failed");
        return;
    }
    gw_call_enter(c, IN_ACTIVE, "the relay made the SIP answer");
    gw_call_set_timer(c, gw_call_config(c->b)->calls.max_duration_s);
    g_free(c->sip_sdp_out);
    c->sip_sdp_out = g_strdup(sdp);
    gw_sip_call_respond(c->sip, 200, "OK", sdp);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: answered by %s", c->sid,
             c->xmpp_full);
}

void
gw_call_in_accept(GwCallBridge *b, xmpp_stanza_t *iq, xmpp_stanza_t *jingle,
                  Call *c)
{
    g_autoptr(GError) error = NULL, bad = NULL;
    g_autoptr(JsdpSession) s = NULL;
    g_autofree char *sdp = NULL;
    GwCallLimits lim;

    if (c->state != IN_INITIATING) {
        gw_call_iq_error(b, iq, "unexpected-request", "out-of-order", NULL);
        return;
    }
    s = gw_call_session_from_jingle(jingle, &error);
    if (s == NULL) {
        gw_call_iq_error(b, iq, "bad-request", NULL, error->message);
        return;
    }
    gw_call_limits(b, &lim);
    gw_call_session_for_sip(b, s);
    /* what she left out of our offer (video, for an audio-only client)
     * is answered port 0: the SIP answer has every offered m= line */
    jsdp_session_complete_answer(s, c->xmpp_session);
    sdp = gw_call_session_to_sdp(s, JSDP_ROLE_RESPONDER, &error);
    if (!gw_call_check_answer(s, c->xmpp_session, &lim, &bad) ||
        (sdp != NULL && !gw_call_check_sdp_size(sdp, &lim, &bad))) {
        /* the session cannot go on: her error, then its end */
        gw_call_iq_error(b, iq, gw_call_check_condition(bad), NULL,
                         bad->message);
        gw_call_end(c, "failed-application", 488, bad->message);
        return;
    }
    gw_call_iq_result(b, iq);
    if (sdp == NULL) {
        gw_call_end(c, "failed-application", 488, error->message);
        return;
    }
    gw_call_enter(c, IN_MEDIA_ANSWER, "session-accept");
    g_free(c->x_sdp);
    c->x_sdp = g_strdup(sdp);
    gw_call_media_answer(c, TAG_SIP, TAG_XMPP, sdp, GW_MEDIA_TOWARD_SIP,
                         on_in_answer_done);
}
