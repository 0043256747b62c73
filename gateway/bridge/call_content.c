/* gateway/bridge/call_content.c: her client changes the contents of a
 * call (issue 18: she turns her camera on in an audio call, or off;
 * in a video content, off and on: content-modify, below).
 * The SIP side's changes are call_content_sip.c.
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
 * theirs. Her content-remove rides on it. */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"
#include "gw_error.h"
#include "stanza.h"
#include "xml_text.h"

#include <string.h>

JsdpRole
gw_call_her_role(const Call *c)
{
    return c->dir == DIR_OUT ? JSDP_ROLE_INITIATOR : JSDP_ROLE_RESPONDER;
}

JsdpRole
gw_call_our_role(const Call *c)
{
    return c->dir == DIR_OUT ? JSDP_ROLE_RESPONDER : JSDP_ROLE_INITIATOR;
}

/* ---- who created each content (XEP-0166 7: creator) -----------------
 *
 * Her SDP cannot say (SDP has no creator), so contents added during the
 * call are noted here when they are taken: hers with the creator her
 * content-add gave (Dino writes 'initiator' whatever its role), ours
 * with our role. Every later stub naming them (content-modify,
 * content-reject) repeats it: Dino answers a content-modify whose
 * creator differs from the content's with bad-request. */
void
gw_call_note_creator(Call *c, const char *name, JsdpRole creator)
{
    if (c->creators == NULL)
        c->creators = g_hash_table_new_full(g_str_hash, g_str_equal,
                                            g_free, NULL);
    g_hash_table_insert(c->creators, g_strdup(name),
                        GINT_TO_POINTER(creator + 1));
}

JsdpRole
gw_call_content_creator(const Call *c, const char *name)
{
    gpointer v = c->creators != NULL && name != NULL
                     ? g_hash_table_lookup(c->creators, name)
                     : NULL;
    const JsdpContent *first =
        c->xmpp_session != NULL
            ? jsdp_session_get_content(c->xmpp_session, name)
            : NULL;

    if (v != NULL)
        return (JsdpRole)(GPOINTER_TO_INT(v) - 1);
    return first != NULL ? first->creator : JSDP_ROLE_INITIATOR;
}

static void
add_clear(Call *c)
{
    g_clear_pointer(&c->add_offer, jsdp_session_free);
    g_clear_pointer(&c->add_sdp, g_free);
    g_clear_pointer(&c->add_sip_sdp, g_free);
    g_clear_pointer(&c->add_names, g_strfreev);
}

/* Is `name` one of the contents her pending content-add adds? */
static gboolean
is_added(const Call *c, const char *name)
{
    return c->add_names != NULL && name != NULL &&
           g_strv_contains((const char *const *)c->add_names, name);
}

/* <content creator name senders><description media/><transport/>: what
 * Conversations compares a content-reject with (name, media, senders of
 * its content-add: ContentAddition.summary()). */
void
gw_call_append_stub(GString *x, const JsdpContent *ct)
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
        gw_call_append_stub(x, g_ptr_array_index(s->contents, i));
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

    for (guint i = 0;
         c->add_offer != NULL && i < c->add_offer->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(c->add_offer->contents, i);
        if (is_added(c, ct->name) && !ct->rejected)
            g_ptr_array_add(live->contents, jsdp_content_copy(ct));
    }
    send_reject(c, live, 0, why);
    add_clear(c);
}

/* Is a change of the call's streams under way: hers (a content-add or
 * -remove, add_offer), the SIP side's (sip_add), or a relay request
 * (media_req)? One at a time. */
static gboolean
changing(const Call *c)
{
    return c->add_offer != NULL || c->sip_add != NULL || c->media_req != 0;
}

/* Is her content `ct` (the i-th of her last SDP) gone: removed by her
 * (port 0 in her SDP) or refused by the SIP side (port 0 in the relay's
 * last SDP toward her, `relay`)? Its name may then be added again. */
static gboolean
is_gone(const JsdpContent *ct, const JsdpSession *relay, guint i)
{
    const JsdpContent *r = gw_call_nth_content(relay, i);

    return ct->rejected || (r != NULL && r->rejected);
}

/* Her last SDP as a model with her added contents: one named like a
 * content of hers that is gone takes its m= line (RFC 3264 8.1: a port-0
 * line may be reused; XEP-0166 7.2.1 only forbids the name of a content
 * the session has), the others go after. NULL + error if they cannot be
 * carried. */
static JsdpSession *
grown_session(Call *c, const JsdpSession *added, GError **error)
{
    g_autoptr(JsdpSession) s =
        gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), error);
    g_autoptr(JsdpSession) relay = gw_call_x_relay_session(c);

    if (s == NULL)
        return NULL;
    for (guint i = 0; i < added->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(added->contents, i);
        JsdpContent *old = jsdp_session_get_content(s, ct->name);
        guint at = 0;
        if (old != NULL && (!g_ptr_array_find(s->contents, old, &at) ||
                            !is_gone(old, relay, at))) {
            g_set_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                        "content '%.32s' exists", ct->name);
            return NULL;
        }
    }
    for (guint i = 0; i < added->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(added->contents, i);
        JsdpContent *old = jsdp_session_get_content(s, ct->name);
        guint at;
        if (old == NULL || !g_ptr_array_find(s->contents, old, &at)) {
            g_ptr_array_add(s->contents, jsdp_content_copy(ct));
            continue;
        }
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her content '%s' again, "
                 "on the m= line of the one that went", c->sid, ct->name);
        g_ptr_array_remove_index(s->contents, at); /* frees old */
        g_ptr_array_insert(s->contents, (gint)at, jsdp_content_copy(ct));
    }
    return g_steal_pointer(&s);
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
        changing(c)) {
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
        sdp = gw_call_session_to_sdp(grown, gw_call_her_role(c), &error);
    }
    if (sdp == NULL || !gw_call_check_offer(grown, &lim, &error) ||
        !gw_call_check_sdp_size(sdp, &lim, &error)) {
        send_reject(c, added, 0, error->message);
        return;
    }
    {
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        for (guint i = 0; i < added->contents->len; i++)
            g_ptr_array_add(names, g_strdup(((JsdpContent *)
                g_ptr_array_index(added->contents, i))->name));
        g_ptr_array_add(names, NULL);
        c->add_names = (GStrv)g_ptr_array_free(g_steal_pointer(&names),
                                               FALSE);
    }
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
    g_autofree char *out = NULL;

    if (error != NULL) {
        add_fail(c, "media relay failed");
        return;
    }
    c->add_sip_sdp = g_strdup(sdp);
    out = gw_call_sdp_toward_sip(c, sdp); /* on hold while she holds */
    if (!gw_sip_call_reinvite(c->sip, out))
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
            ct->creator = o != NULL ? o->creator : gw_call_her_role(c);
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
        ans = gw_call_session_from_sdp(sdp, gw_call_our_role(c), &perr);
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
    for (guint i = 0; i < ans->contents->len;) {
        JsdpContent *ct = g_ptr_array_index(ans->contents, i);
        const JsdpContent *o;
        if (!is_added(c, ct->name)) {
            i++;
            continue;
        }
        ct = g_ptr_array_steal_index(ans->contents, i);
        o = jsdp_session_get_content(c->add_offer, ct->name);
        if (o != NULL && o->rejected && ct->rejected)
            jsdp_content_free(ct); /* retracted, refused: nothing to do */
        else if (o != NULL && o->rejected) /* retracted, taken */
            g_ptr_array_add(drop->contents, ct);
        else if (ct->rejected)
            g_ptr_array_add(left->contents, ct);
        else {
            g_ptr_array_add(took->contents, ct);
            if (o != NULL) /* as her content-add said */
                gw_call_note_creator(c, ct->name, o->creator);
        }
    }
    g_free(c->x_sdp);
    c->x_sdp = g_steal_pointer(&c->add_sdp);
    g_free(c->sip_sdp_out);
    c->sip_sdp_out = g_steal_pointer(&c->add_sip_sdp);
    tell_outcome(c, took, left);
    if (took->contents->len > 0)
        gw_call_video_started(c); /* a keyframe for her, if video */
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

/* Sends her session `her` (transfer full), changed in place (contents
 * marked rejected, or other senders), to the relay and in a re-INVITE;
 * `what` goes to the log. */
static void
start_change(Call *c, JsdpSession *her, const char *what)
{
    g_autoptr(JsdpSession) owned = her;
    g_autofree char *sdp = gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);

    if (sdp == NULL)
        return; /* the call goes on as it was */
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s", c->sid, what);
    /* nothing added: add_names stays NULL */
    c->add_offer = g_steal_pointer(&owned);
    c->add_sdp = g_steal_pointer(&sdp);
    gw_call_media_offer(c, TAG_XMPP, c->add_sdp, GW_MEDIA_TOWARD_SIP,
                        on_add_offered);
}

static void
start_remove(Call *c, JsdpSession *her, guint n)
{
    g_autofree char *what =
        g_strdup_printf("%u content(s) of hers go: port 0 toward SIP", n);

    start_change(c, her, what);
}

/* The contents of `drop` (by name), which the SIP side took after she
 * retracted them, go again. */
static void
drop_retracted(Call *c, const JsdpSession *drop)
{
    JsdpSession *her = gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
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

    if (c->add_offer == NULL || c->add_names == NULL)
        return FALSE; /* no content-add pending (maybe a removal) */
    for (xmpp_stanza_t *e = gw_stanza_child(jingle, "content", NULL); e != NULL;
         e = gw_stanza_next(e, "content", NULL)) {
        const char *name = xmpp_stanza_get_attribute(e, "name");
        gboolean found = FALSE;
        for (guint i = 0; i < c->add_offer->contents->len; i++) {
            JsdpContent *ct = g_ptr_array_index(c->add_offer->contents, i);
            if (is_added(c, ct->name) && g_strcmp0(ct->name, name) == 0) {
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
        changing(c)) {
        gw_call_iq_error(b, iq, "unexpected-request", "out-of-order",
                         "the call is not answered or is changing");
        return;
    }
    her = gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    for (xmpp_stanza_t *e = gw_stanza_child(jingle, "content", NULL);
         e != NULL && her != NULL; e = gw_stanza_next(e, "content", NULL)) {
        JsdpContent *ct;
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

/* ---- her content-modify: who sends in a live content ---------------
 *
 *   content-modify (video,   --> ack; her SDP with that m= line's
 *   senders=<the peer's role>)   direction (a=recvonly: she only
 *                                receives) through the relay -> re-INVITE
 *
 * Dino sends it when she takes video without her camera (senders = our
 * role), and when she turns her camera on in a video content she has
 * (her role, or 'both'); it ignores our answer. It rides on the
 * content-add machinery like her content-remove: the SIP side's 2xx
 * makes her changed SDP the call's, a refusal (488 ...) leaves the call
 * as it was (she has her iq result: the call goes on). One change at a
 * time as for content-add and content-remove (unexpected-request while
 * one is under way). During setup (Dino sends it right after its
 * session-accept) it is noted in c->her_modify and applied once the
 * dialog is up (gw_call_content_modify_flush()): the ACK of our 2xx, or
 * the relay's answer to theirs; the ACK has timer H, the 2xx the call's
 * timer, so nothing waits without one. */

/* Is her content `name` live (in her last SDP `her` at a port, and in
 * the relay's last SDP toward her, `relay`)? */
static gboolean
is_live(const JsdpSession *her, const JsdpSession *relay, const char *name)
{
    JsdpContent *ct = name != NULL ? jsdp_session_get_content(her, name) : NULL;
    guint at = 0;

    return ct != NULL && g_ptr_array_find(her->contents, ct, &at) &&
           !is_gone(ct, relay, at);
}

/* Her session with the senders of `want` (name -> JsdpSenders + 1):
 * re-INVITE if any changed. */
static void
apply_modify(Call *c, GHashTable *want)
{
    JsdpSession *her =
        gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    GHashTableIter it;
    gpointer k, v;
    guint n = 0;

    g_hash_table_iter_init(&it, want);
    while (her != NULL && g_hash_table_iter_next(&it, &k, &v)) {
        JsdpContent *ct = jsdp_session_get_content(her, k);
        JsdpSenders to = (JsdpSenders)(GPOINTER_TO_INT(v) - 1);
        if (ct == NULL || ct->rejected || ct->senders == to)
            continue;
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: her content '%s': senders '%s' -> '%s'", c->sid,
                 ct->name, jsdp_senders_to_string(ct->senders),
                 jsdp_senders_to_string(to));
        ct->senders = to;
        n++;
    }
    if (n == 0) {
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: her content-modify changes nothing: no re-INVITE",
                 c->sid);
        jsdp_session_free(her);
        return;
    }
    start_change(c, her,
                 "her content-modify: re-INVITE with the new direction(s)");
}

/* Does her content-modify name only contents of our content-add that
 * waits for her (c->sip_new)? Dino sends one before its content-accept
 * when she takes video without her camera; the senders of her
 * content-accept then make our answer to the SIP side. */
static gboolean
names_sip_new(const Call *c, xmpp_stanza_t *jingle)
{
    guint n = 0;

    if (c->sip_add == NULL || c->sip_new == NULL)
        return FALSE;
    for (xmpp_stanza_t *e = gw_stanza_child(jingle, "content", NULL); e != NULL;
         e = gw_stanza_next(e, "content", NULL)) {
        const char *name = xmpp_stanza_get_attribute(e, "name");
        if (name == NULL ||
            !g_strv_contains((const char *const *)c->sip_new, name))
            return FALSE;
        n++;
    }
    return n > 0;
}

void
gw_call_content_modify(GwCallBridge *b, xmpp_stanza_t *iq,
                       xmpp_stanza_t *jingle, Call *c)
{
    g_autoptr(JsdpSession) her = NULL;
    g_autoptr(JsdpSession) relay = NULL;
    g_autoptr(GHashTable) want =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean setup = !gw_call_answered(c) || c->sip == NULL ||
                     !gw_sip_call_is_confirmed(c->sip);

    if (names_sip_new(c, jingle)) {
        gw_call_iq_result(b, iq);
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: her content-modify of our pending content-add: "
                 "her content-accept says who sends",
                 c->sid);
        return;
    }
    if (c->x_sdp == NULL || (!setup && changing(c))) {
        gw_call_iq_error(b, iq, "unexpected-request", "out-of-order",
                         "the call is not accepted or is changing");
        return;
    }
    her = gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    relay = gw_call_x_relay_session(c);
    for (xmpp_stanza_t *e = gw_stanza_child(jingle, "content", NULL);
         e != NULL && her != NULL; e = gw_stanza_next(e, "content", NULL)) {
        const char *name = xmpp_stanza_get_attribute(e, "name");
        JsdpSenders to;
        if (!is_live(her, relay, name)) {
            gw_call_iq_error(b, iq, "item-not-found", NULL,
                             "no such live content in the session");
            return;
        }
        if (!jsdp_senders_from_string(xmpp_stanza_get_attribute(e, "senders"),
                                      &to)) {
            gw_call_iq_error(b, iq, "bad-request", NULL,
                             "content-modify without valid senders");
            return;
        }
        g_hash_table_insert(want, g_strdup(name), GINT_TO_POINTER(to + 1));
    }
    if (her == NULL || g_hash_table_size(want) == 0) {
        gw_call_iq_error(b, iq, "bad-request", NULL, "no content named");
        return;
    }
    gw_call_iq_result(b, iq);
    if (!setup) {
        apply_modify(c, want);
        return;
    }
    CALL_LOG(G_LOG_LEVEL_INFO, c,
             "call %s: her content-modify during setup: applied once the "
             "dialog is up",
             c->sid);
    if (c->her_modify == NULL)
        c->her_modify =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, want);
        while (g_hash_table_iter_next(&it, &k, &v))
            g_hash_table_insert(c->her_modify, g_strdup(k), v);
    }
}

void
gw_call_content_modify_flush(Call *c)
{
    g_autoptr(GHashTable) want = g_steal_pointer(&c->her_modify);

    if (want == NULL || c->sip == NULL || c->x_sdp == NULL)
        return;
    if (changing(c)) {
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: her content-modify during setup dropped: another "
                 "change is under way",
                 c->sid);
        return;
    }
    apply_modify(c, want);
}

void
gw_call_content_forget(Call *c)
{
    add_clear(c);
    g_clear_pointer(&c->her_modify, g_hash_table_destroy);
    g_clear_pointer(&c->creators, g_hash_table_destroy);
}
