/* gateway/bridge/call_content_sip.c: the SIP side changes its streams
 * during a call (issue 18): a re-INVITE that drops a stream (port 0),
 * adds one (a new m= line) or turns a dropped one on again. Her own
 * changes (content-add, content-remove) are call_content.c.
 *
 * A change from the SIP side reaches this file through the relay's offer
 * of the re-INVITE (call_session.c on_reinvite_offered()); her last SDP
 * (c->x_sdp) answers it, edited here. */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"

/* The relay's offer of a SIP re-INVITE as a model named like her
 * session (RFC 3264 6: the i-th answers the i-th; the relay names its own
 * way), the m= lines her session lacks named anew; NULL when an SDP
 * cannot be read. *her_out: her last SDP as a model. */
static JsdpSession *
named_offer(Call *c, const char *relay_offer, JsdpSession **her_out)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL;

    if (c->x_sdp == NULL || relay_offer == NULL)
        return NULL;
    offer = gw_call_session_from_sdp(relay_offer, gw_call_our_role(c), NULL);
    her = gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    if (offer == NULL || her == NULL)
        return NULL;
    for (guint i = 0; i < offer->contents->len; i++) {
        JsdpContent *o = g_ptr_array_index(offer->contents, i);
        g_free(o->name);
        o->name = i < her->contents->len
                      ? g_strdup(((JsdpContent *)g_ptr_array_index(
                                      her->contents, i))->name)
                      : NULL;
    }
    jsdp_session_name_contents(offer, gw_call_our_role(c));
    jsdp_session_drop_sources(offer);
    *her_out = g_steal_pointer(&her);
    return g_steal_pointer(&offer);
}

/* named_offer() when the offer has m= lines her session lacks, else
 * NULL. */
static JsdpSession *
grown_offer(Call *c, const char *relay_offer, JsdpSession **her_out)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL;

    offer = named_offer(c, relay_offer, &her);
    if (offer == NULL || offer->contents->len <= her->contents->len)
        return NULL;
    *her_out = g_steal_pointer(&her);
    return g_steal_pointer(&offer);
}

char *
gw_call_answer_declining_new(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL;

    offer = grown_offer(c, relay_offer, &her);
    if (offer == NULL)
        return NULL;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side adds %u stream(s): "
             "declined (port 0)", c->sid,
             offer->contents->len - her->contents->len);
    jsdp_session_complete_answer(her, offer);
    return gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);
}

/* ---- the SIP side drops a stream: content-modify toward her ---------
 *
 *   XMPP client                 gateway                        SIP peer
 *             <--------------- content-modify <-- relay offer <-- re-INVITE
 *                              senders=her role  (video port 0)  m=video 0
 *   ack                        her last SDP, that line port 0,
 *                              answers through the relay ------> 200 m=video 0
 *
 * XEP-0166 7.2.6: the content stays; we stop sending on it. Not
 * content-remove (7.2.5), although that is what the SIP side did: Gajim
 * drops the content, Dino answers feature-not-implemented and keeps the
 * call, and Conversations (JingleRtpConnection receiveContentRemove, 2.12
 * to Snikket 2.19.5) takes one only as the retraction of a pending
 * content-add and otherwise ends the whole call (failed-application).
 *
 * Not senders='none' either: Conversations since late 2023 (read in
 * Snikket 2.19.5: receiveContentModify, RtpContentMap
 * checkSenderModification) takes a content-modify of a live content only
 * from 'both' to "she alone sends" and back, renegotiating its
 * PeerConnection locally on the same transport; any other change ends the
 * call (failed-application). Conversations 2.12.8 acks any content-modify
 * and ignores it. Dino (call_peer_state.vala senders_modify_incoming)
 * ignores a change of her own sending and takes "the other side sends
 * again" as video unmuted. So the stub says senders = her role: she may
 * go on sending, the relay has nowhere to forward it (the cost is her
 * upstream video until the phone turns it on again, below). The stubs
 * carry name, creator and the media. Her content is parked as she had it
 * live (c->parked): what turns it on again. */
static JsdpSenders
her_alone(const Call *c)
{
    return gw_call_her_role(c) == JSDP_ROLE_INITIATOR
               ? JSDP_SENDERS_INITIATOR
               : JSDP_SENDERS_RESPONDER;
}

/* The stub of her content `h` saying `senders`, appended to x. */
static void
append_modify_stub(const Call *c, GString *x, const JsdpContent *h,
                   JsdpSenders senders)
{
    g_autoptr(JsdpContent) stub = jsdp_content_new();

    stub->name = g_strdup(h->name);
    stub->media = g_strdup(h->media);
    stub->creator = gw_call_content_creator(c, h->name);
    stub->senders = senders;
    gw_call_append_stub(x, stub);
}

/* Sends a content-modify of `stubs`; its answer comes to
 * gw_call_content_modify_answered(). */
static void
send_modify(Call *c, const GString *stubs)
{
    gw_call_send_jingle_action(c, "content-modify", stubs->str);
    c->modify_seq = c->iq_seq;
}

/* Keeps a copy of her live content `h` in c->parked, replacing one of
 * the same name. */
static void
park(Call *c, const JsdpContent *h)
{
    JsdpContent *old;

    if (c->parked == NULL)
        c->parked = jsdp_session_new();
    old = jsdp_session_get_content(c->parked, h->name);
    if (old != NULL)
        g_ptr_array_remove(c->parked->contents, old); /* frees it */
    g_ptr_array_add(c->parked->contents, jsdp_content_copy(h));
}

/* Was the i-th stream live in the relay's last SDP toward her? Her own
 * SDP keeps a stream the SIP side refused (an audio-only phone's answer
 * to video, a refused content-add): that one she never had live. */
static gboolean
was_live(const JsdpSession *before, guint i)
{
    return before != NULL && i < before->contents->len &&
           !((const JsdpContent *)g_ptr_array_index(before->contents, i))
                ->rejected;
}

char *
gw_call_answer_dropping(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL, before = NULL;
    g_autoptr(GString) stubs = g_string_new(NULL);
    g_autoptr(GPtrArray) gone =
        g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_content_free);
    g_autofree char *sdp = NULL;
    guint n = 0, quiet = 0;

    if (c->add_offer != NULL || c->sip_add != NULL || c->xmpp_full == NULL)
        return NULL;
    offer = named_offer(c, relay_offer, &her);
    if (c->x_relay_sdp != NULL)
        before = gw_call_session_from_sdp(c->x_relay_sdp,
                                          gw_call_our_role(c), NULL);
    for (guint i = 0; offer != NULL && i < her->contents->len &&
                      i < offer->contents->len; i++) {
        JsdpContent *h = g_ptr_array_index(her->contents, i);
        const JsdpContent *o = g_ptr_array_index(offer->contents, i);
        if (!o->rejected || h->rejected)
            continue;
        if (!was_live(before, i)) {
            h->rejected = TRUE; /* RFC 3264 8.2: answered port 0 */
            quiet++; /* the SIP side refused it before: not hers */
            continue;
        }
        g_ptr_array_add(gone, jsdp_content_copy(h)); /* as she had it */
        h->rejected = TRUE;
        append_modify_stub(c, stubs, h, her_alone(c));
        n++;
    }
    /* a line added in the same offer: declined here (port 0), unless
     * nothing she had live goes: then it is a content-add to her */
    if (n + quiet == 0 ||
        (n == 0 && offer->contents->len > her->contents->len))
        return NULL;
    jsdp_session_complete_answer(her, offer);
    sdp = gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);
    if (sdp == NULL)
        return NULL;
    if (n > 0) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side drops %u "
                 "stream(s): content-modify senders='%s' to her", c->sid, n,
                 jsdp_senders_to_string(her_alone(c)));
        send_modify(c, stubs);
    }
    for (guint i = 0; i < gone->len; i++)
        park(c, g_ptr_array_index(gone, i));
    g_free(c->x_sdp);
    c->x_sdp = g_strdup(sdp);
    return g_steal_pointer(&sdp);
}

/* ---- the SIP side adds a stream: content-add toward her ---------------
 *
 *   XMPP client                 gateway                        SIP peer
 *             <--------------- content-add <-- relay offer <-- re-INVITE
 *                                                              (+ video)
 *   content-accept ----------> ack; her SDP + the taken contents answer
 *                              through the relay --------------> 200
 *   content-reject ----------> ack; the new lines port 0 ------> 200
 *   (nothing in sip_add_s) --> content-remove (retract); port 0 -> 200
 *
 * The phone's INVITE transaction waits for her (a person may have to
 * say yes); SIP_ADD_WAIT_S bounds it well inside its 32 s (64*T1). */
#define SIP_ADD_WAIT_S 20
#define SIP_ON_WAIT_S 10 /* a content-modify turning one on (below) */

static void
sip_add_clear(Call *c)
{
    g_clear_pointer(&c->sip_add, jsdp_session_free);
    g_clear_pointer(&c->sip_on, g_strfreev);
    g_clear_handle_id(&c->sip_add_timer, g_source_remove);
    c->sip_add_first = 0;
}

/* the new contents of the pending SIP offer, as Jingle `action` */
static char *
new_contents_jingle(Call *c, const char *action, gboolean stubs)
{
    g_autoptr(JsdpSession) part = jsdp_session_new();
    g_autoptr(GString) x = NULL;

    if (stubs) {
        x = g_string_new(NULL);
        for (guint i = c->sip_add_first; i < c->sip_add->contents->len; i++)
            gw_call_append_stub(x, g_ptr_array_index(c->sip_add->contents, i));
        return gw_call_jingle_build(action, c->sid, gw_call_initiator(c),
                                    x->str);
    }
    for (guint i = c->sip_add_first; i < c->sip_add->contents->len; i++)
        g_ptr_array_add(part->contents,
                        jsdp_content_copy(
                            g_ptr_array_index(c->sip_add->contents, i)));
    return gw_call_session_to_jingle(c, part, action);
}

/* Her contents of c->sip_on put back in `her` as she had them live
 * (c->parked, which forgets them); how many. */
static guint
unpark(Call *c, JsdpSession *her)
{
    guint n = 0;

    for (guint k = 0; c->sip_on != NULL && c->sip_on[k] != NULL; k++) {
        JsdpContent *h = jsdp_session_get_content(her, c->sip_on[k]);
        JsdpContent *p = c->parked != NULL
                             ? jsdp_session_get_content(c->parked,
                                                        c->sip_on[k])
                             : NULL;
        guint at;
        if (h == NULL || p == NULL ||
            !g_ptr_array_find(her->contents, h, &at))
            continue;
        g_ptr_array_remove_index(her->contents, at); /* frees h */
        g_ptr_array_insert(her->contents, (gint)at, jsdp_content_copy(p));
        g_ptr_array_remove(c->parked->contents, p); /* frees p */
        n++;
    }
    return n;
}

/* Her SDP answering the pending offer: her last contents, the new ones
 * she took (`took`, NULL: none), the dropped ones turned on again when
 * `on`, and port 0 for the rest. */
static void
answer_sip_add(Call *c, const JsdpSession *took, gboolean on)
{
    g_autoptr(JsdpSession) her =
        gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    g_autofree char *sdp = NULL;
    guint changed = 0;

    /* a parked content is given back before the SDP exists: it is
     * forgotten either way, and never half-way */
    if (her != NULL && on)
        changed += unpark(c, her);
    for (guint i = 0; her != NULL && took != NULL && i < took->contents->len;
         i++, changed++) {
        const JsdpContent *t = g_ptr_array_index(took->contents, i);
        const JsdpContent *o = jsdp_session_get_content(c->sip_add, t->name);
        g_ptr_array_add(her->contents, jsdp_content_copy(t));
        /* ours, as our content-add said (named_offer()) */
        gw_call_note_creator(c, t->name,
                             o != NULL ? o->creator : gw_call_our_role(c));
    }
    if (her != NULL) {
        jsdp_session_complete_answer(her, c->sip_add);
        sdp = gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);
    }
    sip_add_clear(c);
    if (sdp == NULL) {
        gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    if (changed > 0) {
        g_free(c->x_sdp);
        c->x_sdp = g_strdup(sdp);
        gw_call_video_started(c); /* a keyframe for her, if video */
    }
    gw_call_media_answer(c, TAG_SIP, TAG_XMPP, sdp, GW_MEDIA_TOWARD_SIP,
                         gw_call_reinvite_relay_answered);
}

/* content-modify of the contents of c->sip_on saying `senders`. */
static void
send_on_modify(Call *c, JsdpSenders senders)
{
    g_autoptr(GString) x = g_string_new(NULL);

    for (guint k = 0; c->sip_on[k] != NULL; k++) {
        const JsdpContent *o =
            jsdp_session_get_content(c->sip_add, c->sip_on[k]);
        if (o != NULL)
            append_modify_stub(c, x, o, senders);
    }
    send_modify(c, x);
}

static gboolean
on_sip_add_timeout(gpointer data)
{
    Call *c = data;
    g_autofree char *j = NULL;

    c->sip_add_timer = 0;
    if (c->sip_on != NULL) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: no answer to our "
                 "content-modify in %d s: back to senders='%s', declined "
                 "toward SIP", c->sid, SIP_ON_WAIT_S,
                 jsdp_senders_to_string(her_alone(c)));
        send_on_modify(c, her_alone(c));
        answer_sip_add(c, NULL, FALSE);
        return G_SOURCE_REMOVE;
    }
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: no answer to our content-add in "
             "%d s: retracted, declined toward SIP", c->sid, SIP_ADD_WAIT_S);
    j = new_contents_jingle(c, "content-remove", TRUE);
    gw_call_send_jingle(c, j);
    answer_sip_add(c, NULL, FALSE);
    return G_SOURCE_REMOVE;
}

gboolean
gw_call_content_offer(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) her = NULL;
    g_autofree char *j = NULL;
    JsdpSession *offer;

    if (c->add_offer != NULL || c->sip_add != NULL || c->xmpp_full == NULL)
        return FALSE;
    offer = grown_offer(c, relay_offer, &her);
    if (offer == NULL)
        return FALSE;
    c->sip_add = offer;
    c->sip_add_first = her->contents->len;
    j = new_contents_jingle(c, "content-add", FALSE);
    if (j == NULL) {
        sip_add_clear(c);
        return FALSE;
    }
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side adds %u stream(s): "
             "content-add to her", c->sid,
             offer->contents->len - c->sip_add_first);
    gw_call_send_jingle(c, j);
    c->sip_add_timer = g_timeout_add_seconds(SIP_ADD_WAIT_S,
                                             on_sip_add_timeout, c);
    return TRUE;
}

void
gw_call_content_answer(GwCallBridge *b, xmpp_stanza_t *iq,
                       xmpp_stanza_t *jingle, Call *c, gboolean accept)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) took = NULL;
    GwCallLimits lim;

    if (c->sip_add == NULL || c->sip_on != NULL || c->sip == NULL) {
        gw_call_iq_error(b, iq, "unexpected-request", "out-of-order",
                         "no content-add of ours is pending");
        return;
    }
    if (accept) {
        took = gw_call_session_from_jingle(jingle, &error);
        gw_call_limits(b, &lim);
        if (took != NULL)
            gw_call_session_for_sip(b, took);
        if (took == NULL ||
            !gw_call_check_answer(took, c->sip_add, &lim, &error)) {
            gw_call_iq_error(b, iq, gw_call_check_condition(error), NULL,
                             error->message);
            return;
        }
    }
    gw_call_iq_result(b, iq);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client %s the stream(s) the "
             "SIP side adds", c->sid, accept ? "takes" : "refuses");
    answer_sip_add(c, took, FALSE);
}

/* ---- the SIP side turns a dropped stream on again ---------------------
 *
 *   XMPP client                 gateway                        SIP peer
 *             <--------------- content-modify <-- relay offer <-- re-INVITE
 *                              senders='both'   (video on a     m=video
 *                                                port again)    6002, the
 *                                                               same slot
 *   result ------------------> her SDP, that line as she had it
 *                              before the drop (c->parked),
 *                              answers through the relay ------> 200, video
 *   error -------------------> her last SDP (port 0) ----------> 200 m=video 0
 *   (nothing in SIP_ON_WAIT_S) content-modify back to her alone; port 0
 *
 * RFC 3264 8.1 lets an offerer reuse a port-0 m= line for a new stream;
 * a phone turning its camera on again after 18.15 does exactly that. Why
 * content-modify on the content she still has, not a content-add under a
 * fresh name, from the clients' sources: Conversations keeps a dropped
 * content in its session (it never removes one), answers a content-add
 * of video when it already has video with content-reject
 * (receiveContentAdd: only an audio-only call takes video), and ends the
 * call on a content-add that reuses a name; it takes a content-modify
 * from "she alone sends" back to 'both' and renegotiates on the same
 * transport. Dino takes "the other side sends again" as video unmuted.
 * That works because rtpengine keeps the stream's port, ICE credentials
 * and fingerprint toward her across the port-0 interval (seen with 10.5:
 * its offer for the reused slot repeats them), so her transport is still
 * the one she has. Her answer to our content-modify is an iq result or
 * error, given by the client itself (no person asked): SIP_ON_WAIT_S
 * bounds it, well inside the phone's INVITE transaction. */

gboolean
gw_call_content_turn_on(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL;
    g_autoptr(GPtrArray) names = NULL;

    if (c->add_offer != NULL || c->sip_add != NULL || c->xmpp_full == NULL ||
        c->parked == NULL)
        return FALSE;
    offer = named_offer(c, relay_offer, &her);
    if (offer == NULL || offer->contents->len > her->contents->len)
        return FALSE; /* new lines: a content-add (above) declines it */
    names = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < offer->contents->len; i++) {
        const JsdpContent *h = g_ptr_array_index(her->contents, i);
        const JsdpContent *o = g_ptr_array_index(offer->contents, i);
        if (!o->rejected && h->rejected &&
            jsdp_session_get_content(c->parked, h->name) != NULL)
            g_ptr_array_add(names, g_strdup(h->name));
    }
    if (names->len == 0)
        return FALSE;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side turns %u dropped "
             "stream(s) on again: content-modify senders='both' to her",
             c->sid, names->len);
    g_ptr_array_add(names, NULL);
    c->sip_on = (GStrv)g_ptr_array_free(g_steal_pointer(&names), FALSE);
    c->sip_add = g_steal_pointer(&offer);
    c->sip_add_first = c->sip_add->contents->len; /* nothing new */
    send_on_modify(c, JSDP_SENDERS_BOTH);
    c->sip_add_timer = g_timeout_add_seconds(SIP_ON_WAIT_S,
                                             on_sip_add_timeout, c);
    return TRUE;
}

void
gw_call_content_modify_answered(Call *c, const char *error_condition)
{
    c->modify_seq = 0;
    if (error_condition != NULL)
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client refused our "
                 "content-modify (%s): the call goes on", c->sid,
                 error_condition);
    if (c->sip_on == NULL)
        return; /* a drop's: nothing waits for it */
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client %s the stream(s) the "
             "SIP side turns on again", c->sid,
             error_condition == NULL ? "takes" : "refuses");
    answer_sip_add(c, NULL, error_condition == NULL);
}

void
gw_call_content_sip_forget(Call *c)
{
    sip_add_clear(c);
    g_clear_pointer(&c->parked, jsdp_session_free);
}
