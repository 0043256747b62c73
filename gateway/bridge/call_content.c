/* gateway/bridge/call_content.c: a content added during a call (issue
 * 18: she turns her camera on in an audio call).
 *
 *   XMPP client                 gateway                        SIP peer
 *   content-add (video) -----> ack; her SDP with the new m= line goes
 *                              to the relay (an offer from her tag)
 *                              re-INVITE with the relay's SDP ------->
 *             <--------------- content-accept <-- relay answer <-- 2xx, video
 *                                                                  on a port
 *             <--------------- content-reject <------------------- 2xx port 0,
 *                                          a refusal (488 ...), a relay error
 *
 * One change at a time (c->add_offer): a second content-add, or one
 * before the call is answered, gets unexpected-request; her
 * content-remove retracting the pending one is queued (below). The re-INVITE
 * has its transaction's timeout; 408 and 481 end the call (sip_call.c),
 * so nothing here waits without a timer. Hold re-INVITEs (call_session.c)
 * share the SIP answer callback: an answer with no change pending is
 * theirs. Her content-remove rides on it; the other way (the phone adds
 * video) is further down. A SIP re-INVITE that drops a stream (port 0)
 * reaches her as content-modify senders='none', further down. */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"
#include "gw_error.h"
#include "xml_text.h"

/* Her role in the Jingle session, which is also the author of her SDP. */
static JsdpRole
her_role(const Call *c)
{
    return c->dir == DIR_OUT ? JSDP_ROLE_INITIATOR : JSDP_ROLE_RESPONDER;
}

static JsdpRole
our_role(const Call *c)
{
    return c->dir == DIR_OUT ? JSDP_ROLE_RESPONDER : JSDP_ROLE_INITIATOR;
}

static void
add_clear(Call *c)
{
    g_clear_pointer(&c->add_offer, jsdp_session_free);
    g_clear_pointer(&c->add_sdp, g_free);
    g_clear_pointer(&c->add_sip_sdp, g_free);
    c->add_first = 0;
}

/* <content creator name senders><description media/><transport/>: what
 * Conversations compares a content-reject with (name, media, senders of
 * its content-add: ContentAddition.summary()). */
static void
append_stub(GString *x, const JsdpContent *ct)
{
    g_string_append(x, "<content");
    gw_xml_append_attr(x, "creator", ct->creator == JSDP_ROLE_INITIATOR
                                         ? "initiator" : "responder");
    gw_xml_append_attr(x, "name", ct->name);
    gw_xml_append_attr(x, "senders", jsdp_senders_to_string(ct->senders));
    g_string_append(x, "><description xmlns='" NS_RTP "'");
    gw_xml_append_attr(x, "media", ct->media);
    g_string_append(x, "/><transport xmlns='" JSDP_NS_ICE_UDP "'/>"
                       "</content>");
}

/* content-reject of her contents from index `first` of `s`. */
static void
send_reject(Call *c, const JsdpSession *s, guint first, const char *why)
{
    g_autoptr(GString) x = g_string_new(NULL);

    for (guint i = first; i < s->contents->len; i++)
        append_stub(x, g_ptr_array_index(s->contents, i));
    if (x->len == 0)
        return;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: content-add refused: %s", c->sid,
             why);
    gw_call_send_jingle_action(c, "content-reject", x->str);
}

/* The change failed: her added contents are rejected, but those she
 * retracted meanwhile (marked rejected in add_offer: below), which she
 * has already forgotten (Conversations answers a content-reject of
 * nothing pending with out-of-order). */
static void
add_fail(Call *c, const char *why)
{
    g_autoptr(JsdpSession) live = jsdp_session_new();

    for (guint i = c->add_first;
         c->add_offer != NULL && i < c->add_offer->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(c->add_offer->contents, i);
        if (!ct->rejected)
            g_ptr_array_add(live->contents, jsdp_content_copy(ct));
    }
    send_reject(c, live, 0, why);
    add_clear(c);
}

/* Her last SDP as a model, her added contents after its own. NULL + error
 * if they cannot be carried. */
static JsdpSession *
grown_session(Call *c, const JsdpSession *added, GError **error)
{
    JsdpSession *s = gw_call_session_from_sdp(c->x_sdp, her_role(c), error);

    if (s == NULL)
        return NULL;
    for (guint i = 0; i < added->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(added->contents, i);
        if (jsdp_session_get_content(s, ct->name) != NULL) {
            g_set_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                        "content '%.32s' exists", ct->name);
            jsdp_session_free(s);
            return NULL;
        }
    }
    {
        g_autoptr(JsdpSession) copy = jsdp_session_copy(added);
        while (copy->contents->len > 0)
            g_ptr_array_add(s->contents,
                            g_ptr_array_steal_index(copy->contents, 0));
    }
    return s;
}

static gboolean
all_bridged(const JsdpSession *added)
{
    for (guint i = 0; i < added->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(added->contents, i);
        if (!ct->has_description || !gw_call_is_bridged_media(ct->media))
            return FALSE;
    }
    return added->contents->len > 0;
}

static void on_add_offered(const char *sdp, const GError *error,
                           gpointer data);

void
gw_call_content_add(GwCallBridge *b, xmpp_stanza_t *iq,
                    xmpp_stanza_t *jingle, Call *c)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) added = NULL, grown = NULL;
    g_autofree char *sdp = NULL;
    GwCallLimits lim;

    if (!gw_call_answered(c) || c->sip == NULL || c->x_sdp == NULL ||
        c->add_offer != NULL || c->media_req != 0) {
        gw_call_iq_error(b, iq, "unexpected-request", "out-of-order",
                         "the call is not answered or is changing");
        return;
    }
    added = gw_call_session_from_jingle(jingle, &error);
    if (added == NULL) {
        gw_call_iq_error(b, iq, "bad-request", NULL, error->message);
        return;
    }
    gw_call_iq_result(b, iq); /* ack, then accept or reject (7.2.1) */
    if (!all_bridged(added)) {
        send_reject(c, added, 0, "only audio and video are bridged");
        return;
    }
    grown = grown_session(c, added, &error);
    gw_call_limits(b, &lim);
    if (grown != NULL) {
        gw_call_session_for_sip(b, grown);
        sdp = gw_call_session_to_sdp(grown, her_role(c), &error);
    }
    if (sdp == NULL || !gw_call_check_offer(grown, &lim, &error) ||
        !gw_call_check_sdp_size(sdp, &lim, &error)) {
        send_reject(c, added, 0, error->message);
        return;
    }
    c->add_first = grown->contents->len - added->contents->len;
    c->add_offer = g_steal_pointer(&grown);
    c->add_sdp = g_steal_pointer(&sdp);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client adds %u content(s)",
             c->sid, added->contents->len);
    gw_call_media_offer(c, TAG_XMPP, c->add_sdp, GW_MEDIA_TOWARD_SIP,
                        on_add_offered);
}

static void
on_add_offered(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);

    if (error != NULL) {
        add_fail(c, "media relay failed");
        return;
    }
    c->add_sip_sdp = g_strdup(sdp);
    if (!gw_sip_call_reinvite(c->sip, sdp))
        add_fail(c, "another re-INVITE is under way");
}

static void on_add_answered(const char *sdp, const GError *error,
                            gpointer data);

void
gw_call_sip_reinvite_answered(gpointer data, int status, const char *sdp)
{
    Call *c = data;

    if (c->add_offer == NULL || c->add_sip_sdp == NULL)
        return; /* a hold re-INVITE's */
    if (status >= 300 || sdp == NULL) {
        g_autofree char *why = g_strdup_printf("SIP %d", status);
        add_fail(c, why);
        return;
    }
    gw_call_media_answer(c, TAG_XMPP, TAG_SIP, sdp, GW_MEDIA_TOWARD_XMPP,
                         on_add_answered);
}

static void drop_retracted(Call *c, const JsdpSession *drop);

/* content-accept of the added contents the SIP side took, content-reject
 * of those it refused (`left`, edited). */
static void
tell_outcome(Call *c, const JsdpSession *took, JsdpSession *left)
{
    g_autofree char *jingle = NULL;

    if (took->contents->len > 0) {
        jingle = gw_call_session_to_jingle(c, took, "content-accept");
        if (jingle != NULL) {
            gw_call_send_jingle(c, jingle);
            CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: content-accept sent",
                     c->sid);
        }
    }
    if (left->contents->len > 0) {
        /* the stubs name her contents: creator and senders as she sent */
        for (guint i = 0; i < left->contents->len; i++) {
            JsdpContent *ct = g_ptr_array_index(left->contents, i);
            const JsdpContent *o =
                jsdp_session_get_content(c->add_offer, ct->name);
            ct->creator = her_role(c);
            ct->senders = o != NULL ? o->senders : ct->senders;
        }
        send_reject(c, left, 0, "the SIP side refused it (port 0)");
    }
}

/* The relay's answer: the added contents it took are accepted, those it
 * answered port 0 rejected; the SIP side now has the grown session. A
 * content she retracted meanwhile is neither: if the SIP side took it, a
 * re-INVITE drops it again (drop_retracted()). */
static void
on_add_answered(const char *sdp, const GError *error, gpointer data)
{
    Call *c = gw_call_media_done(data);
    g_autoptr(GError) perr = NULL;
    g_autoptr(JsdpSession) ans = NULL;
    g_autoptr(JsdpSession) took = NULL, left = NULL, drop = NULL;

    if (error == NULL)
        ans = gw_call_session_from_sdp(sdp, our_role(c), &perr);
    if (ans == NULL) {
        add_fail(c, error != NULL ? "media relay failed" : perr->message);
        return;
    }
    gw_call_note_x_relay_sdp(c, sdp);
    jsdp_session_align_answer(ans, c->add_offer);
    jsdp_session_drop_sources(ans);
    took = jsdp_session_new();
    left = jsdp_session_new();
    drop = jsdp_session_new();
    while (ans->contents->len > c->add_first) {
        JsdpContent *ct = g_ptr_array_steal_index(ans->contents, c->add_first);
        const JsdpContent *o =
            jsdp_session_get_content(c->add_offer, ct->name);
        if (o != NULL && o->rejected && ct->rejected)
            jsdp_content_free(ct); /* retracted, refused: nothing to do */
        else if (o != NULL && o->rejected) /* retracted, taken */
            g_ptr_array_add(drop->contents, ct);
        else
            g_ptr_array_add(ct->rejected ? left->contents : took->contents,
                            ct);
    }
    g_free(c->x_sdp);
    c->x_sdp = g_steal_pointer(&c->add_sdp);
    g_free(c->sip_sdp_out);
    c->sip_sdp_out = g_steal_pointer(&c->add_sip_sdp);
    tell_outcome(c, took, left);
    add_clear(c);
    if (drop->contents->len > 0)
        drop_retracted(c, drop);
}

/* ---- her content-remove: the stream goes, port 0 toward SIP ----------
 *
 *   content-remove (video) --> ack; her SDP with that m= line at port 0
 *                              (RFC 3264 8.2) through the relay -> re-INVITE
 *
 * It rides on the content-add machinery above with no added content: the
 * answer updates what each side last had and tells her nothing. All her
 * contents removed ends the session (XEP-0166 7.2.3: a session without
 * content).
 *
 * Her content-remove of a content she added that is still pending (the
 * retraction of a content-add, as Conversations sends it) while our
 * re-INVITE for it is out is queued, not refused and not raced: the
 * content is marked rejected in add_offer and acted on when the change
 * completes. A second re-INVITE cannot go while the first is out (one
 * INVITE transaction at a time in a dialog, RFC 3261 14.1), and a CANCEL
 * of a re-INVITE can cross its 2xx, which then stands (RFC 3261 9.1):
 * only the answer says what the SIP side has. Then a stream the SIP side
 * took is dropped by a re-INVITE at port 0 (start_remove()), one it
 * refused needs nothing, and she hears nothing more of it (no
 * content-accept or -reject of a content-add she withdrew). */

/* Sends her session `her` (transfer full), some contents marked
 * rejected, to the relay and in a re-INVITE. */
static void
start_remove(Call *c, JsdpSession *her, guint n)
{
    g_autoptr(JsdpSession) owned = her;
    g_autofree char *sdp = gw_call_session_to_sdp(her, her_role(c), NULL);

    if (sdp == NULL)
        return; /* the call goes on as it was */
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %u content(s) of hers go: "
             "port 0 toward SIP", c->sid, n);
    c->add_first = her->contents->len; /* nothing added */
    c->add_offer = g_steal_pointer(&owned);
    c->add_sdp = g_steal_pointer(&sdp);
    gw_call_media_offer(c, TAG_XMPP, c->add_sdp, GW_MEDIA_TOWARD_SIP,
                        on_add_offered);
}

/* The contents of `drop` (by name), which the SIP side took after she
 * retracted them, go again. */
static void
drop_retracted(Call *c, const JsdpSession *drop)
{
    JsdpSession *her = gw_call_session_from_sdp(c->x_sdp, her_role(c), NULL);
    guint n = 0;

    for (guint i = 0; her != NULL && i < drop->contents->len; i++) {
        const JsdpContent *d = g_ptr_array_index(drop->contents, i);
        JsdpContent *ct = jsdp_session_get_content(her, d->name);
        if (ct != NULL && !ct->rejected) {
            ct->rejected = TRUE;
            n++;
        }
    }
    if (her == NULL || n == 0) {
        jsdp_session_free(her);
        return;
    }
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the SIP side took a content "
             "she retracted: dropped again", c->sid);
    start_remove(c, her, n);
}

/* Her content-remove naming only contents of her pending content-add:
 * marked retracted (above); FALSE if it names anything else. */
static gboolean
retract_pending(Call *c, xmpp_stanza_t *jingle)
{
    g_autoptr(GPtrArray) hit = g_ptr_array_new();

    if (c->add_offer == NULL || c->add_first >= c->add_offer->contents->len)
        return FALSE; /* no content-add pending (maybe a removal) */
    for (xmpp_stanza_t *e = xmpp_stanza_get_children(jingle); e != NULL;
         e = xmpp_stanza_get_next(e)) {
        const char *name = xmpp_stanza_get_attribute(e, "name");
        gboolean found = FALSE;
        if (!xmpp_stanza_is_tag(e) ||
            g_strcmp0(xmpp_stanza_get_name(e), "content") != 0)
            continue;
        for (guint i = c->add_first; i < c->add_offer->contents->len; i++) {
            JsdpContent *ct = g_ptr_array_index(c->add_offer->contents, i);
            if (g_strcmp0(ct->name, name) == 0) {
                g_ptr_array_add(hit, ct);
                found = TRUE;
            }
        }
        if (!found)
            return FALSE;
    }
    for (guint i = 0; i < hit->len; i++)
        ((JsdpContent *)g_ptr_array_index(hit, i))->rejected = TRUE;
    return hit->len > 0;
}

void
gw_call_content_remove(GwCallBridge *b, xmpp_stanza_t *iq,
                       xmpp_stanza_t *jingle, Call *c)
{
    g_autoptr(JsdpSession) her = NULL;
    guint live = 0, named = 0;

    if (retract_pending(c, jingle)) {
        gw_call_iq_result(b, iq);
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client retracts its "
                 "content-add: acted on when the re-INVITE is answered",
                 c->sid);
        return;
    }
    if (!gw_call_answered(c) || c->sip == NULL || c->x_sdp == NULL ||
        c->add_offer != NULL || c->sip_add != NULL || c->media_req != 0) {
        gw_call_iq_error(b, iq, "unexpected-request", "out-of-order",
                         "the call is not answered or is changing");
        return;
    }
    her = gw_call_session_from_sdp(c->x_sdp, her_role(c), NULL);
    for (xmpp_stanza_t *e = xmpp_stanza_get_children(jingle);
         e != NULL && her != NULL; e = xmpp_stanza_get_next(e)) {
        JsdpContent *ct;
        if (!xmpp_stanza_is_tag(e) ||
            g_strcmp0(xmpp_stanza_get_name(e), "content") != 0)
            continue;
        ct = jsdp_session_get_content(
            her, xmpp_stanza_get_attribute(e, "name"));
        if (ct == NULL) {
            gw_call_iq_error(b, iq, "bad-request", NULL,
                             "no such content in the session");
            return;
        }
        ct->rejected = TRUE;
        named++;
    }
    if (her == NULL || named == 0) {
        gw_call_iq_error(b, iq, "bad-request", NULL, "no content named");
        return;
    }
    gw_call_iq_result(b, iq);
    for (guint i = 0; i < her->contents->len; i++)
        live += !((JsdpContent *)g_ptr_array_index(her->contents, i))->rejected;
    if (live == 0) {
        gw_call_end(c, "success", 0, "every content removed");
        return;
    }
    start_remove(c, g_steal_pointer(&her), named);
}

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
    offer = gw_call_session_from_sdp(relay_offer, our_role(c), NULL);
    her = gw_call_session_from_sdp(c->x_sdp, her_role(c), NULL);
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
    jsdp_session_name_contents(offer, our_role(c));
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
    return gw_call_session_to_sdp(her, her_role(c), NULL);
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
        before = gw_call_session_from_sdp(c->x_relay_sdp, our_role(c), NULL);
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
            append_stub(stubs, h);
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
    sdp = gw_call_session_to_sdp(her, her_role(c), NULL);
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
            append_stub(x, g_ptr_array_index(c->sip_add->contents, i));
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
        gw_call_session_from_sdp(c->x_sdp, her_role(c), NULL);
    g_autofree char *sdp = NULL;

    if (her != NULL && took != NULL)
        for (guint i = 0; i < took->contents->len; i++)
            g_ptr_array_add(her->contents,
                            jsdp_content_copy(
                                g_ptr_array_index(took->contents, i)));
    if (her != NULL) {
        jsdp_session_complete_answer(her, c->sip_add);
        sdp = gw_call_session_to_sdp(her, her_role(c), NULL);
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
gw_call_content_forget(Call *c)
{
    add_clear(c);
    sip_add_clear(c);
}
