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
 *                              senders='none'    (video port 0)  m=video 0
 *   ack                        her last SDP, that line port 0,
 *                              answers through the relay ------> 200 m=video 0
 *
 * XEP-0166 7.2.6: the content stays, nobody sends on it. Not
 * content-remove (7.2.5), although that is what the SIP side did: what
 * the clients do with a content-remove, read in their sources, is Gajim
 * drops the content, Dino answers feature-not-implemented and keeps the
 * call, and Conversations (2.12, Snikket 2025: JingleRtpConnection
 * receiveContentRemove) takes it only as the retraction of a pending
 * content-add and otherwise ends the whole call (failed-application).
 * Conversations acks a content-modify and goes on (its default branch),
 * so a phone that turns its video off never ends her call. The stubs
 * carry name, creator and the media; the creator of a content added
 * during the call is not in her SDP: the original session's, else the
 * initiator. */
static void
send_dropped(Call *c, GString *stubs)
{
    gw_call_send_jingle_action(c, "content-modify", stubs->str);
}

/* TODO(#18): a re-INVITE turning a dropped line on again (the same m=
 * slot with a port, RFC 3264 8.1 reuse) is answered from her SDP, which
 * has it at port 0: declined. A content-add to her for a reused slot
 * (grown_offer() only sees appended lines) would carry it. */

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
    g_autofree char *sdp = NULL;
    guint n = 0, quiet = 0;

    if (c->add_offer != NULL || c->sip_add != NULL || c->xmpp_full == NULL)
        return NULL;
    offer = named_offer(c, relay_offer, &her);
    if (c->x_relay_sdp != NULL)
        before = gw_call_session_from_sdp(c->x_relay_sdp, gw_call_our_role(c), NULL);
    for (guint i = 0; offer != NULL && i < her->contents->len &&
                      i < offer->contents->len; i++) {
        JsdpContent *h = g_ptr_array_index(her->contents, i);
        const JsdpContent *o = g_ptr_array_index(offer->contents, i);
        const JsdpContent *first =
            c->xmpp_session != NULL
                ? jsdp_session_get_content(c->xmpp_session, h->name)
                : NULL;
        if (!o->rejected || h->rejected)
            continue;
        h->rejected = TRUE; /* RFC 3264 8.2: answered port 0 */
        if (!was_live(before, i)) {
            quiet++; /* the SIP side refused it before: not hers */
            continue;
        }
        h->creator = first != NULL ? first->creator : JSDP_ROLE_INITIATOR;
        {
            JsdpSenders kept = h->senders;
            h->senders = JSDP_SENDERS_NONE; /* what the stub says */
            gw_call_append_stub(stubs, h);
            h->senders = kept;
        }
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
                 "stream(s): content-modify senders='none' to her", c->sid, n);
        send_dropped(c, stubs);
    }
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

static void
sip_add_clear(Call *c)
{
    g_clear_pointer(&c->sip_add, jsdp_session_free);
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

/* Her SDP answering the pending offer: her last contents, the new ones
 * she took (`took`, NULL: none) and port 0 for the rest. */
static void
answer_sip_add(Call *c, const JsdpSession *took)
{
    g_autoptr(JsdpSession) her =
        gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    g_autofree char *sdp = NULL;

    if (her != NULL && took != NULL)
        for (guint i = 0; i < took->contents->len; i++)
            g_ptr_array_add(her->contents,
                            jsdp_content_copy(
                                g_ptr_array_index(took->contents, i)));
    if (her != NULL) {
        jsdp_session_complete_answer(her, c->sip_add);
        sdp = gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);
    }
    sip_add_clear(c);
    if (sdp == NULL) {
        gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    if (took != NULL && took->contents->len > 0) {
        g_free(c->x_sdp);
        c->x_sdp = g_strdup(sdp);
    }
    gw_call_media_answer(c, TAG_SIP, TAG_XMPP, sdp, GW_MEDIA_TOWARD_SIP,
                         gw_call_reinvite_relay_answered);
}

static gboolean
on_sip_add_timeout(gpointer data)
{
    Call *c = data;
    g_autofree char *j = NULL;

    c->sip_add_timer = 0;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: no answer to our content-add in "
             "%d s: retracted, declined toward SIP", c->sid, SIP_ADD_WAIT_S);
    j = new_contents_jingle(c, "content-remove", TRUE);
    gw_call_send_jingle(c, j);
    answer_sip_add(c, NULL);
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

    if (c->sip_add == NULL || c->sip == NULL) {
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
    answer_sip_add(c, took);
}

void
gw_call_content_sip_forget(Call *c)
{
    sip_add_clear(c);
}
