/* gateway/bridge/call_session.c: events inside a call, both ways.
 *
 *   XMPP client                 gateway                        SIP peer
 *   session-terminate -------> ack; BYE (or CANCEL, or a final answer)
 *             <--------------- session-terminate <------------ BYE, CANCEL
 *   session-info <dtmf/> ----> INFO dtmf-relay, or rtpengine plays
 *                              RFC 4733 events ([calls] dtmf); the iq's
 *                              answer waits for the outcome (below)
 *             <--------------- session-info <dtmf/> <--------- INFO
 *   session-info <hold/> ----> ack; re-INVITE a=sendonly (o= version + 1)
 *   session-info <active/> --> ack; re-INVITE a=sendrecv
 *             <--------------- session-info <hold/>/<active/> <-- re-INVITE
 *                              sendonly/inactive, sendrecv; the relay
 *                              takes the offer, her last SDP answers it
 *             <--------------- content-modify, content-add <-- re-INVITE
 *                              dropping (port 0), turning on again or
 *                              adding a stream (call_content_sip.c)
 *   transport-info ----------> ack (candidates left to ICE: below)
 *
 * Hold on each side is a field of its own (held_by_sip, held_by_xmpp),
 * orthogonal to the call's state; all of this needs an answered call
 * (gw_call_answered()).
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"
#include "metrics.h"

#include <string.h>

#include "error_map.h"

/* ---- hold on her side, in every SDP the SIP side gets -----------------
 *
 * c->sip_sdp_out is the call's SDP toward the SIP side as the relay wrote
 * it (her directions: a video she only receives is recvonly). While she
 * holds, every SDP the SIP side gets from us is that SDP on hold (RFC
 * 3264 8.4, jsdp_sdp_hold: sendrecv -> sendonly, recvonly -> inactive):
 * the hold re-INVITE itself, our re-INVITEs for her content changes
 * (content-add, -modify, -remove), and our answers to the SIP side's
 * re-INVITEs (a session refresh does not take her hold away). Her
 * <active/> offers the call's SDP again as it is (her directions, not
 * sendrecv everywhere). */
char *
gw_call_sdp_toward_sip(const Call *c, const char *sdp)
{
    char *held;

    if (sdp == NULL || !c->held_by_xmpp)
        return g_strdup(sdp);
    held = jsdp_sdp_hold(sdp, -1, NULL);
    return held != NULL ? held : g_strdup(sdp);
}

/* ---- from the SIP side ------------------------------------------------- */

void
gw_call_sip_ended(gpointer data, int status, const char *reason)
{
    Call *c = data;

    if (c->dir == DIR_IN && !gw_call_answered(c)) {
        /* CANCEL before the answer */
        gw_call_end(c, "cancel", 0, "the SIP caller hung up");
        return;
    }
    gw_call_end(c, status == 0 ? "success" : gw_errmap_sip_to_jingle(status),
                0, NULL);
}

void
gw_call_sip_info(gpointer data, const char *content_type, const char *body,
                 gsize len)
{
    Call *c = data;
    g_autofree char *text = NULL;
    const char *sig;

    if (content_type == NULL || body == NULL ||
        g_ascii_strcasecmp(content_type, "application/dtmf-relay") != 0)
        return;
    /* "Signal=5\r\nDuration=160\r\n" (not standardised; widely used) */
    text = g_strndup(body, len);
    sig = strstr(text, "Signal=");
    if (sig != NULL && sig[7] != '\0' &&
        strchr("0123456789*#ABCDabcd", sig[7]) != NULL) {
        g_autofree char *inner = g_strdup_printf(
            "<dtmf xmlns='" NS_DTMF "' code='%c' duration='250'/>", sig[7]);
        gw_call_send_jingle_action(c, "session-info", inner);
        gw_metrics.dtmf[GW_DIR_SIP_TO_XMPP]++;
    }
}

static gboolean
sdp_is_hold(const char *sdp)
{
    return sdp != NULL && (strstr(sdp, "a=sendonly") != NULL ||
                           strstr(sdp, "a=inactive") != NULL);
}

static void
tell_hold(Call *c, gboolean held)
{
    /* XEP-0167 7: Dino shows it; Conversations 2.12 ignores session-info */
    gw_call_send_jingle_action(c, "session-info",
                               held ? "<hold xmlns='" NS_RTP_INFO "'/>"
                                    : "<active xmlns='" NS_RTP_INFO "'/>");
}

void
gw_call_reinvite_relay_answered(const char *sdp, const GError *error,
                                gpointer data)
{
    Call *c = gw_call_media_done(data);

    if (c->sip == NULL)
        return;
    if (error != NULL) {
        gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    g_autofree char *out = gw_call_sdp_toward_sip(c, sdp);

    g_free(c->sip_sdp_out);
    c->sip_sdp_out = g_strdup(sdp);
    gw_sip_call_respond(c->sip, 200, "OK", out);
}

static void
on_reinvite_offered(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);
    g_autofree char *answer = NULL;

    if (error != NULL || c->x_sdp == NULL) {
        if (c->sip != NULL)
            gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    /* a stream the SIP side drops goes to her as content-modify, and
     * her SDP without it answers; one it turns on again goes to her as
     * content-modify, one new to her as content-add, and her answers
     * answer (call_content_sip.c); otherwise her last SDP answers again,
     * a new stream declined if that cannot be. Each compares the offer
     * with the relay's previous one toward her: noted after. */
    answer = gw_call_answer_dropping(c, sdp);
    if (answer == NULL && gw_call_content_offer(c, sdp)) {
        gw_call_note_x_relay_sdp(c, sdp);
        return;
    }
    if (answer == NULL)
        answer = gw_call_answer_declining_new(c, sdp);
    gw_call_note_x_relay_sdp(c, sdp);
    gw_call_media_answer(c, TAG_SIP, TAG_XMPP,
                         answer != NULL ? answer : c->x_sdp,
                         GW_MEDIA_TOWARD_SIP, gw_call_reinvite_relay_answered);
}

/* A re-INVITE from the SIP side (hold, resume, session refresh, new
 * address): the relay takes the new offer; the XMPP leg keeps its
 * session, and hears of a hold through session-info. */
void
gw_call_sip_reinvite(gpointer data, const char *sdp)
{
    Call *c = data;
    gboolean hold;

    if (c->sip == NULL)
        return;
    if (!gw_call_answered(c) || c->media_req != 0) {
        gw_sip_call_respond(c->sip, 491, "Request Pending", NULL);
        return;
    }
    if (sdp == NULL) {
        /* an offerless re-INVITE: offer what we had */
        g_autofree char *out = gw_call_sdp_toward_sip(c, c->sip_sdp_out);

        gw_sip_call_respond(c->sip, 200, "OK", out);
        return;
    }
    if (!jsdp_sdp_check(sdp, -1, NULL)) {
        /* the call goes on as it was */
        gw_sip_call_respond(c->sip, 400, "Malformed SDP", NULL);
        return;
    }
    hold = sdp_is_hold(sdp);
    if (hold != c->held_by_sip) {
        c->held_by_sip = hold;
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side %s", c->sid,
                 hold ? "holds" : "resumes");
        tell_hold(c, hold);
    }
    gw_call_media_offer(c, TAG_SIP, sdp, GW_MEDIA_TOWARD_XMPP,
                        on_reinvite_offered);
}

/* ---- from the XMPP side ------------------------------------------------ */

/* <hold/> or <active/> from the XMPP side: re-INVITE the SIP side with
 * the SDP it has from us on hold (RFC 3264 8.4, per media section), or
 * as it is, every other line as it was (it is the relay's SDP for a
 * phone; the dialog moves the o= version on). */
static void
xmpp_hold(Call *c, gboolean hold)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *sdp = NULL;

    if (hold == c->held_by_xmpp || !gw_call_answered(c) || c->sip == NULL ||
        c->sip_sdp_out == NULL)
        return;
    sdp = hold ? jsdp_sdp_hold(c->sip_sdp_out, -1, &error)
               : g_strdup(c->sip_sdp_out);
    if (sdp == NULL) {
        CALL_LOG(G_LOG_LEVEL_WARNING, c, "call %s: no re-INVITE for %s: %s",
                 c->sid, hold ? "hold" : "resume", error->message);
        return;
    }
    c->held_by_xmpp = hold;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the XMPP side %s", c->sid,
             hold ? "holds" : "resumes");
    gw_sip_call_reinvite(c->sip, sdp);
}

void
gw_call_session_terminate(GwCallBridge *b, xmpp_stanza_t *iq,
                          xmpp_stanza_t *jingle, Call *c)
{
    const char *r = gw_call_reason_of(jingle);

    gw_call_iq_result(b, iq);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s hangs up (%s)", c->sid,
             xmpp_stanza_get_from(iq), r ? r : "no reason");
    gw_call_end(c, NULL, gw_errmap_jingle_to_sip(r), NULL);
}

/* ---- XEP-0181 <dtmf/> from the XMPP side --------------------------------
 *
 * Her iq is answered with the outcome, not on arrival: a result once
 * every digit went out (rtpengine answered "play DTMF" ok, or the SIP
 * INFO got a 2xx), an error when one was refused or got no outcome within
 * dtmf_timeout_ms. Requests queue in arrival order; one digit is in
 * flight at a time (RFC 4733 events must not overlap, and INFOs in a
 * dialog are one non-INVITE transaction at a time here).
 *
 *   iq <dtmf code='12'/> --> queue --> '1': play DTMF / INFO --ok--> '2' ...
 *                                        | refused, timeout     | last ok
 *                                        v                      v
 *                                   iq error, next request   iq result
 */

typedef struct {
    xmpp_stanza_t *iq; /* a reference of ours: answered at the end */
    char *code;
    guint next;        /* index of the digit in flight (or to send) */
    guint ms;
} DtmfJob;

static void dtmf_run(Call *c);

static void
dtmf_job_free(DtmfJob *j)
{
    xmpp_stanza_release(j->iq);
    g_free(j->code);
    g_free(j);
}

/* Stops waiting for the digit in flight (its outcome, its timer). */
static void
dtmf_stop_wait(Call *c)
{
    g_clear_handle_id(&c->dtmf_timer, g_source_remove);
    if (c->dtmf_req == 0)
        return;
    if (g_strcmp0(gw_call_config(c->b)->calls.dtmf, "info") == 0) {
        if (c->sip != NULL)
            gw_sip_call_info_forget(c->sip);
    } else {
        gw_media_cancel(c->b->media, c->dtmf_req);
    }
    c->dtmf_req = 0;
}

/* The head request is over: answered (condition NULL: result), then the
 * next one starts. */
static void
dtmf_done(Call *c, const char *condition, const char *text)
{
    DtmfJob *j = g_queue_pop_head(&c->dtmf);

    dtmf_stop_wait(c);
    if (condition == NULL) {
        gw_call_iq_result(c->b, j->iq);
    } else {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: DTMF '%s' failed: %s", c->sid,
                 j->code, text);
        gw_call_iq_error(c->b, j->iq, condition, NULL, text);
    }
    dtmf_job_free(j);
    dtmf_run(c);
}

/* A digit's outcome: the next digit, or the request's answer. */
static void
dtmf_digit_done(Call *c, const char *failure)
{
    DtmfJob *j = g_queue_peek_head(&c->dtmf);
    g_autofree char *text = NULL;

    c->dtmf_req = 0;
    g_clear_handle_id(&c->dtmf_timer, g_source_remove);
    if (failure != NULL) {
        text = g_strdup_printf("DTMF '%c' not sent: %s", j->code[j->next],
                               failure);
        dtmf_done(c, "undefined-condition", text);
        return;
    }
    gw_metrics.dtmf[GW_DIR_XMPP_TO_SIP]++;
    j->next++;
    dtmf_run(c);
}

static void
on_dtmf_played(const char *sdp, const GError *error, gpointer data)
{
    dtmf_digit_done(data, error != NULL ? error->message : NULL);
}

static void
on_dtmf_info(int status, const char *phrase, gpointer data)
{
    g_autofree char *text = NULL;

    if (status >= 200 && status < 300) {
        dtmf_digit_done(data, NULL);
        return;
    }
    text = g_strdup_printf("SIP INFO answered %d %s", status, phrase);
    dtmf_digit_done(data, text);
}

static gboolean
on_dtmf_timeout(gpointer data)
{
    Call *c = data;

    c->dtmf_timer = 0;
    dtmf_done(c, "service-unavailable", "DTMF: no outcome in time");
    return G_SOURCE_REMOVE;
}

/* Sends the head request's next digit; FALSE if it could not go. */
static gboolean
dtmf_send(Call *c, DtmfJob *j)
{
    char d = j->code[j->next];

    if (g_strcmp0(gw_call_config(c->b)->calls.dtmf, "info") == 0) {
        g_autofree char *body =
            g_strdup_printf("Signal=%c\r\nDuration=%u\r\n", d, j->ms);
        gw_call_video_forget(c); /* a picture_fast_update is not waited for */
        if (!gw_sip_call_info(c->sip, "application/dtmf-relay", body,
                              on_dtmf_info, c))
            return FALSE;
        c->dtmf_req = 1; /* the SIP call's one INFO */
    } else {
        c->dtmf_req = gw_media_dtmf(c->b->media, c->sid, TAG_XMPP, d, j->ms,
                                    on_dtmf_played, c);
    }
    c->dtmf_timer = g_timeout_add(gw_call_config(c->b)->calls.dtmf_timeout_ms,
                                  on_dtmf_timeout, c);
    return TRUE;
}

/* Works on the head request unless a digit is in flight. */
static void
dtmf_run(Call *c)
{
    DtmfJob *j;

    if ((j = g_queue_peek_head(&c->dtmf)) == NULL || c->dtmf_req != 0)
        return;
    /* dtmf_done() runs the next request */
    if (j->code[j->next] == '\0')
        dtmf_done(c, NULL, NULL);
    else if (!dtmf_send(c, j))
        dtmf_done(c, "service-unavailable",
                  "DTMF: the SIP side cannot take an INFO now");
}

void
gw_call_dtmf_clear(Call *c, gboolean answer)
{
    DtmfJob *j;

    dtmf_stop_wait(c);
    while ((j = g_queue_pop_head(&c->dtmf)) != NULL) {
        if (answer)
            gw_call_iq_error(c->b, j->iq, "item-not-found", "unknown-session",
                             "the call ended before its DTMF was sent");
        dtmf_job_free(j);
    }
}

/* XEP-0181 <dtmf/>: queued; answered by its outcome (above). */
static void
on_dtmf(GwCallBridge *b, xmpp_stanza_t *iq, xmpp_stanza_t *p, Call *c)
{
    const char *code = xmpp_stanza_get_attribute(p, "code");
    const char *dur = xmpp_stanza_get_attribute(p, "duration");
    guint ms = dur ? (guint)CLAMP(g_ascii_strtoull(dur, NULL, 10), 40, 5000)
                   : 250;
    DtmfJob *j;

    if (code == NULL || *code == '\0' || strlen(code) > 32 ||
        strspn(code, "0123456789*#ABCDabcd") != strlen(code)) {
        gw_call_iq_error(b, iq, "bad-request", NULL, "bad DTMF code");
        return;
    }
    if (!gw_call_answered(c) || c->sip == NULL) {
        gw_call_iq_error(b, iq, "unexpected-request", NULL,
                         "DTMF needs an answered call");
        return;
    }
    if (g_queue_get_length(&c->dtmf) >= 16) {
        gw_call_iq_error(b, iq, "resource-constraint", NULL,
                         "too many DTMF requests queued");
        return;
    }
    j = g_new0(DtmfJob, 1);
    j->iq = xmpp_stanza_clone(iq);
    j->code = g_ascii_strup(code, -1);
    j->ms = ms;
    g_queue_push_tail(&c->dtmf, j);
    dtmf_run(c);
}

void
gw_call_session_info(GwCallBridge *b, xmpp_stanza_t *iq,
                     xmpp_stanza_t *jingle, Call *c)
{
    xmpp_stanza_t *p = NULL;
    const char *ns;

    for (p = xmpp_stanza_get_children(jingle); p; p = xmpp_stanza_get_next(p))
        if (xmpp_stanza_is_tag(p))
            break;
    if (p == NULL) {
        gw_call_iq_result(b, iq); /* a ping (XEP-0166 7.2.13) */
        return;
    }
    ns = xmpp_stanza_get_ns(p);
    if (g_strcmp0(ns, NS_DTMF) == 0 &&
        strcmp(xmpp_stanza_get_name(p), "dtmf") == 0) {
        on_dtmf(b, iq, p, c);
    } else if (g_strcmp0(ns, NS_RTP_INFO) == 0) {
        const char *what = xmpp_stanza_get_name(p);
        gw_call_iq_result(b, iq);
        /* hold/active become re-INVITEs; ringing and mute inform only */
        if (strcmp(what, "hold") == 0)
            xmpp_hold(c, TRUE);
        else if (strcmp(what, "active") == 0)
            xmpp_hold(c, FALSE);
    } else {
        /* XEP-0166 7.2.13: unknown payloads */
        gw_call_iq_error(b, iq, "feature-not-implemented", "unsupported-info",
                         NULL);
    }
}

/* ---- a keyframe from the phone when her video starts -------------------
 *
 * rtpengine 10.5 strips every RTCP feedback message (PLI, FIR, NACK: the
 * RTPFB and PSFB packets) on its way to an RTP/AVP leg
 * (media_socket.c: UDP/TLS/RTP/SAVPF -> RTP/AVP is __sh_savpf2avp, whose
 * rtcp_filter is rtcp_avpf2avp_filter; RFC 4585 feedback needs AVPF), and
 * the SIP leg is RTP/AVP because plain phones refuse RTP/AVPF. So when the
 * phone's first keyframe goes out before her ICE/DTLS through the relay is
 * up, her client's PLIs never reach the phone, and she sees nothing until
 * the phone's next periodic keyframe (baresip 1.0: about 8.7 s; issue 18).
 * The SIP way to ask for one is RFC 5168 (INFO with
 * application/media_control+xml <picture_fast_update/>), which desk
 * phones and baresip (call.c, sipsess_info_handler) take ([calls]
 * video_fast_update, on by default). We cannot see
 * when her transport comes up, so the request goes PFU_FIRST_MS after the
 * video starts (the call's 2xx, or video taken during the call) and once
 * more PFU_NEXT_MS later, for a slower ICE; a phone without RFC 5168
 * answers an error, which changes nothing. Its INFO never delays a DTMF
 * one (dtmf_send() forgets it). */
#define PFU_FIRST_MS 500
#define PFU_NEXT_MS 1500
#define PFU_SENDS 2

static const char pfu_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\r\n"
    "<media_control><vc_primitive><to_encoder><picture_fast_update/>"
    "</to_encoder></vc_primitive></media_control>\r\n";

/* Is the i-th m= line of `s` live video (at a port)? */
static gboolean
live_video_at(const JsdpSession *s, guint i)
{
    const JsdpContent *ct = s != NULL && i < s->contents->len
                                ? g_ptr_array_index(s->contents, i)
                                : NULL;

    return ct != NULL && !ct->rejected && g_strcmp0(ct->media, "video") == 0;
}

/* Does video flow between her and the phone: an m= line live both in
 * the SDP we last gave the SIP side and in the relay's last SDP toward
 * her (each says one leg: an audio-only phone's port 0 is only in the
 * latter when she called, her refusal only in the former when it did)? */
static gboolean
video_flows(const Call *c)
{
    g_autoptr(JsdpSession) sip = NULL, her = NULL;

    if (c->sip_sdp_out == NULL || c->x_relay_sdp == NULL)
        return FALSE;
    sip = gw_call_session_from_sdp(c->sip_sdp_out, JSDP_ROLE_RESPONDER, NULL);
    her = gw_call_session_from_sdp(c->x_relay_sdp, JSDP_ROLE_RESPONDER, NULL);
    for (guint i = 0; sip != NULL && i < sip->contents->len; i++)
        if (live_video_at(sip, i) && live_video_at(her, i))
            return TRUE;
    return FALSE;
}

static void
on_pfu_answer(int status, const char *phrase, gpointer data)
{
    Call *c = data;

    c->pfu_in_flight = FALSE;
    CALL_LOG(G_LOG_LEVEL_DEBUG, c, "call %s: picture_fast_update answered "
             "%d %s", c->sid, status, phrase);
}

static gboolean
on_pfu_timer(gpointer data)
{
    Call *c = data;

    c->pfu_timer = 0;
    if (!gw_call_config(c->b)->calls.video_fast_update || c->sip == NULL ||
        c->dtmf_req != 0 || c->pfu_in_flight ||
        !video_flows(c) ||
        !gw_sip_call_info(c->sip, "application/media_control+xml", pfu_body,
                          on_pfu_answer, c))
        return G_SOURCE_REMOVE; /* busy or no video: the phone's own
                                 * keyframes will do */
    c->pfu_in_flight = TRUE;
    CALL_LOG(G_LOG_LEVEL_DEBUG, c, "call %s: INFO picture_fast_update",
             c->sid);
    if (--c->pfu_left > 0)
        c->pfu_timer = g_timeout_add(PFU_NEXT_MS, on_pfu_timer, c);
    return G_SOURCE_REMOVE;
}

void
gw_call_video_started(Call *c)
{
    /* without the relay the SIP side is WebRTC-capable (AVPF): her RTCP
     * reaches it as it is */
    if (g_strcmp0(gw_call_config(c->b)->media.relay, "rtpengine") != 0)
        return;
    g_clear_handle_id(&c->pfu_timer, g_source_remove);
    c->pfu_left = PFU_SENDS;
    c->pfu_timer = g_timeout_add(PFU_FIRST_MS, on_pfu_timer, c);
}

void
gw_call_video_forget(Call *c)
{
    g_clear_handle_id(&c->pfu_timer, g_source_remove);
    if (c->pfu_in_flight && c->sip != NULL)
        gw_sip_call_info_forget(c->sip);
    c->pfu_in_flight = FALSE;
}

/* transport-info: trickled candidates of the XMPP client.
 *
 * They are acknowledged and not passed on. The relay is a full ICE agent
 * and learns the client's address from the client's own connectivity
 * checks (a peer-reflexive candidate), which the client sends as soon as
 * it has our session-accept or session-initiate. Passing the candidates
 * on as rtpengine "fragment" offers was tried and measured with a real
 * WebRTC client (tests/integration/test_webrtc.py): with rtpengine 10.5 a
 * candidate arriving around or after ICE completion drops the learned pair
 * or leaves the SIP leg without a sink toward the client, and a lone
 * end-of-candidates shuts its ICE agent down; in each case the client
 * hears nothing. Without fragments every flow works, Conversations-style
 * trickle included. With relay = none there is nothing to pass them to:
 * a SIP peer without trickle ICE takes the candidates of the offer. */
void
gw_call_transport_info(GwCallBridge *b, xmpp_stanza_t *iq, Call *c)
{
    gw_call_iq_result(b, iq);
    CALL_LOG(G_LOG_LEVEL_DEBUG, c,
             "call %s: trickled candidates left to ICE (peer-reflexive)",
             c->sid);
}
