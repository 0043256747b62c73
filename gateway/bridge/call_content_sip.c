/* gateway/bridge/call_content_sip.c: the SIP side changes its streams
 * during a call (issue 18): a re-INVITE that drops a stream (port 0),
 * adds one (a new m= line, or a port for a slot she never had live) or
 * turns a dropped one on again, or both of the last two. Her own
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

/* Which streams of `offer` (named_offer()) are new to her, by index
 * (`added`): its m= lines past her session, and a slot of hers that the
 * relay's last SDP toward her had at port 0 and the offer has at a port
 * (RFC 3264 8.1: a port-0 line may be reused), which no drop parked: the
 * SIP side refused it before (an audio-only phone's answer to video, a
 * refused content-add) or she removed it, so it was never live toward her
 * from the SIP side; a phone turning its camera on. Which turn on again a
 * stream the SIP side dropped (`on`; NULL: not asked). A slot the relay
 * had live and she refused (her answer port 0) is not new: a phone
 * refreshing the session offers it again as it did. How many. */
static guint
new_streams(const Call *c, const JsdpSession *offer, const JsdpSession *her,
            GArray *added, GArray *on)
{
    g_autoptr(JsdpSession) before = gw_call_x_relay_session(c);

    for (guint i = 0; i < offer->contents->len; i++) {
        const JsdpContent *o = g_ptr_array_index(offer->contents, i);
        const JsdpContent *h = gw_call_nth_content(her, i);
        const JsdpContent *b = gw_call_nth_content(before, i);
        gboolean parked;
        if (o->rejected)
            continue;
        if (h == NULL) {
            g_array_append_val(added, i);
            continue;
        }
        parked = c->parked != NULL &&
                 jsdp_session_get_content(c->parked, h->name) != NULL;
        if (parked && h->rejected && on != NULL)
            g_array_append_val(on, i);
        else if (!parked && b != NULL && b->rejected)
            g_array_append_val(added, i);
    }
    return added->len + (on != NULL ? on->len : 0);
}

/* Is `name` a content's of the call, or was it one? */
static gboolean
name_used(const Call *c, const JsdpSession *offer, const JsdpSession *her,
          const char *name)
{
    return jsdp_session_get_content(offer, name) != NULL ||
           jsdp_session_get_content(her, name) != NULL ||
           (c->xmpp_session != NULL &&
            jsdp_session_get_content(c->xmpp_session, name) != NULL) ||
           (c->parked != NULL &&
            jsdp_session_get_content(c->parked, name) != NULL) ||
           (c->creators != NULL && g_hash_table_contains(c->creators, name));
}

/* A name for the content of a reused slot `i`: not her old content's,
 * which her session may still have (Conversations keeps a content the
 * phone refused at the answer, senders='none', and ends the call on a
 * content-add reusing a name it has), nor any other the call had:
 * "<media><i>", "-<k>" added until it is free. */
static char *
fresh_name(const Call *c, const JsdpSession *offer, const JsdpSession *her,
           guint i)
{
    const JsdpContent *o = g_ptr_array_index(offer->contents, i);
    g_autofree char *base =
        g_strdup_printf("%s%u", o->media != NULL ? o->media : "m", i);
    char *name = g_strdup(base);

    for (guint k = 2; name_used(c, offer, her, name); k++) {
        g_free(name);
        name = g_strdup_printf("%s-%u", base, k);
    }
    return name;
}

/* Her contents at the reused slots of `added` (index < hers) marked
 * refused: RFC 3264 8.2, answered port 0. */
static void
decline_reused(JsdpSession *her, const GArray *added)
{
    for (guint k = 0; k < added->len; k++) {
        guint i = g_array_index(added, guint, k);
        if (i < her->contents->len)
            ((JsdpContent *)g_ptr_array_index(her->contents, i))->rejected =
                TRUE;
    }
}

char *
gw_call_answer_declining_new(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL;
    g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(guint));
    char *sdp;

    offer = named_offer(c, relay_offer, &her);
    if (offer == NULL || new_streams(c, offer, her, added, NULL) == 0)
        return NULL;
    CALL_LOG(G_LOG_LEVEL_INFO, c,
             "call %s: the SIP side adds %u stream(s): declined (port 0)",
             c->sid, added->len);
    decline_reused(her, added);
    jsdp_session_complete_answer(her, offer);
    sdp = gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);
    /* her SDP as the relay now has it, unless her own change under way
     * replaces it when answered */
    if (sdp != NULL && c->add_offer == NULL && c->sip_add == NULL) {
        g_free(c->x_sdp);
        c->x_sdp = g_strdup(sdp);
    }
    return sdp;
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
    const JsdpContent *b = gw_call_nth_content(before, i);

    return b != NULL && !b->rejected;
}

char *
gw_call_answer_dropping(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL, before = NULL;
    g_autoptr(GString) stubs = g_string_new(NULL);
    g_autoptr(GPtrArray) gone =
        g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_content_free);
    g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autofree char *sdp = NULL;
    guint n = 0, quiet = 0;

    if (c->add_offer != NULL || c->sip_add != NULL || c->xmpp_full == NULL)
        return NULL;
    offer = named_offer(c, relay_offer, &her);
    if (offer == NULL)
        return NULL;
    new_streams(c, offer, her, added, NULL);
    before = gw_call_x_relay_session(c);
    for (guint i = 0; i < her->contents->len && i < offer->contents->len; i++) {
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
    /* a stream new to her in the same offer: declined here (port 0),
     * unless nothing she had live goes: then it is a content-add to her */
    if (n + quiet == 0 || (n == 0 && added->len > 0))
        return NULL;
    decline_reused(her, added);
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
 * A stream is new to her on an m= line past her session, or on a slot
 * the SIP side had at port 0 toward her that it now gives a port (an
 * audio+video call the phone answered audio-only, whose user turns the
 * camera on: RFC 3264 8.1 lets it reuse the slot). The latter goes to her
 * under a fresh name (fresh_name()), taken on that slot.
 *
 * The phone's INVITE transaction waits for her (a person may have to
 * say yes); SIP_ADD_WAIT_S bounds it well inside its 32 s (64*T1). */
#define SIP_ADD_WAIT_S 20
#define SIP_ON_WAIT_S 10 /* a content-modify turning one on (below) */

static void
sip_add_clear(Call *c)
{
    g_clear_pointer(&c->sip_add, jsdp_session_free);
    g_clear_pointer(&c->sip_new, g_strfreev);
    g_clear_pointer(&c->sip_on, g_strfreev);
    g_clear_pointer(&c->sip_took, jsdp_session_free);
    c->sip_on_taken = FALSE;
    g_clear_handle_id(&c->sip_add_timer, g_source_remove);
    g_clear_handle_id(&c->sip_on_timer, g_source_remove);
}

/* the new contents of the pending SIP offer (c->sip_new), as Jingle
 * `action` */
static char *
new_contents_jingle(Call *c, const char *action, gboolean stubs)
{
    g_autoptr(JsdpSession) part = jsdp_session_new();
    g_autoptr(GString) x = g_string_new(NULL);

    for (guint k = 0; c->sip_new != NULL && c->sip_new[k] != NULL; k++) {
        const JsdpContent *o =
            jsdp_session_get_content(c->sip_add, c->sip_new[k]);
        if (o == NULL)
            continue;
        if (stubs)
            gw_call_append_stub(x, o);
        else
            g_ptr_array_add(part->contents, jsdp_content_copy(o));
    }
    if (stubs)
        return gw_call_jingle_build(action, c->sid, gw_call_initiator(c),
                                    x->str);
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

/* `name` taken out of the groups of `s` (a=group:BUNDLE must name only
 * contents the SDP has). */
static void
ungroup(JsdpSession *s, const char *name)
{
    for (guint g = 0; s->groups != NULL && g < s->groups->len;) {
        JsdpGroup *grp = g_ptr_array_index(s->groups, g);
        for (guint k = 0; grp->names != NULL && k < grp->names->len;) {
            if (g_strcmp0(g_ptr_array_index(grp->names, k), name) == 0)
                g_ptr_array_remove_index(grp->names, k);
            else
                k++;
        }
        if (grp->names == NULL || grp->names->len == 0)
            g_ptr_array_remove_index(s->groups, g); /* frees grp */
        else
            g++;
    }
}

/* Her contents of `her` taken from the pending offer, by its i-th line:
 * each she took (c->sip_took) on its slot (a reused one replaces her
 * old content there) or after hers; a reused slot she did not take
 * refused; the offer's lines then named like hers (RFC 3264 6). How many
 * she took. */
static guint
take_new(Call *c, JsdpSession *her)
{
    guint n_her = her->contents->len, n = 0;

    for (guint i = 0; i < c->sip_add->contents->len; i++) {
        JsdpContent *o = g_ptr_array_index(c->sip_add->contents, i);
        JsdpContent *h = i < n_her ? g_ptr_array_index(her->contents, i) : NULL;
        const JsdpContent *t =
            c->sip_took != NULL ? jsdp_session_get_content(c->sip_took, o->name)
                                : NULL;
        if (t != NULL) {
            /* ours, as our content-add said (named_offer()) */
            gw_call_note_creator(c, t->name, o->creator);
            if (h != NULL) {
                ungroup(her, h->name); /* hers bundled the old one */
                g_ptr_array_remove_index(her->contents, i); /* frees h */
                g_ptr_array_insert(her->contents, (gint)i,
                                   jsdp_content_copy(t));
            } else
                g_ptr_array_add(her->contents, jsdp_content_copy(t));
            n++;
        } else if (h != NULL && g_strcmp0(h->name, o->name) != 0)
            h->rejected = TRUE; /* a reused slot: port 0 */
        if (i < n_her) {
            g_free(o->name);
            o->name = g_strdup(
                ((JsdpContent *)g_ptr_array_index(her->contents, i))->name);
        }
    }
    return n;
}

/* Her SDP answering the pending offer once both her answers are in:
 * her last contents, the new ones she took, the dropped ones turned on
 * again if she took them, and port 0 for the rest (and for every line
 * the offer has at port 0). It becomes her last SDP. */
static void
answer_sip_add(Call *c)
{
    g_autoptr(JsdpSession) her =
        gw_call_session_from_sdp(c->x_sdp, gw_call_her_role(c), NULL);
    g_autofree char *sdp = NULL;
    guint changed = 0;

    /* a parked content is given back before the SDP exists: it is
     * forgotten either way, and never half-way */
    if (her != NULL && c->sip_on_taken)
        changed += unpark(c, her);
    if (her != NULL) {
        changed += take_new(c, her);
        jsdp_session_complete_answer(her, c->sip_add);
        for (guint i = 0; i < c->sip_add->contents->len; i++) {
            const JsdpContent *o = g_ptr_array_index(c->sip_add->contents, i);
            JsdpContent *h = jsdp_session_get_content(her, o->name);
            if (o->rejected && h != NULL)
                h->rejected = TRUE;
        }
        sdp = gw_call_session_to_sdp(her, gw_call_her_role(c), NULL);
    }
    sip_add_clear(c);
    if (sdp == NULL) {
        gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    g_free(c->x_sdp); /* her SDP as the relay now has it */
    c->x_sdp = g_strdup(sdp);
    if (changed > 0)
        gw_call_video_started(c); /* a keyframe for her, if video */
    gw_call_media_answer(c, TAG_SIP, TAG_XMPP, sdp, GW_MEDIA_TOWARD_SIP,
                         gw_call_reinvite_relay_answered);
}

/* One of her answers is in (or its time is up): the re-INVITE is
 * answered when the other is too. */
static void
sip_answered(Call *c)
{
    if (c->sip_add_timer != 0 || c->sip_on_timer != 0) {
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: the re-INVITE waits for her answer to our %s",
                 c->sid,
                 c->sip_add_timer != 0 ? "content-add" : "content-modify");
        return;
    }
    answer_sip_add(c);
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
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: no answer to our content-add in "
             "%d s: retracted, declined toward SIP", c->sid, SIP_ADD_WAIT_S);
    j = new_contents_jingle(c, "content-remove", TRUE);
    gw_call_send_jingle(c, j);
    g_clear_pointer(&c->sip_took, jsdp_session_free);
    sip_answered(c);
    return G_SOURCE_REMOVE;
}

static gboolean
on_sip_on_timeout(gpointer data)
{
    Call *c = data;

    c->sip_on_timer = 0;
    CALL_LOG(G_LOG_LEVEL_INFO, c,
             "call %s: no answer to our content-modify in %d s: back "
             "to senders='%s', declined toward SIP",
             c->sid, SIP_ON_WAIT_S, jsdp_senders_to_string(her_alone(c)));
    send_on_modify(c, her_alone(c));
    c->sip_on_taken = FALSE;
    sip_answered(c);
    return G_SOURCE_REMOVE;
}

/* The names of the lines of `offer` at `at` (NULL if none). */
static GStrv
names_at(const JsdpSession *offer, const GArray *at)
{
    GStrv v;

    if (at->len == 0)
        return NULL;
    v = g_new0(char *, at->len + 1);
    for (guint k = 0; k < at->len; k++)
        v[k] = g_strdup(((JsdpContent *)g_ptr_array_index(
                             offer->contents, g_array_index(at, guint, k)))
                            ->name);
    return v;
}

gboolean
gw_call_content_offer(Call *c, const char *relay_offer)
{
    g_autoptr(JsdpSession) offer = NULL, her = NULL;
    g_autoptr(GArray) added = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autoptr(GArray) on = g_array_new(FALSE, FALSE, sizeof(guint));
    g_autofree char *j = NULL;

    if (c->add_offer != NULL || c->sip_add != NULL || c->xmpp_full == NULL)
        return FALSE;
    offer = named_offer(c, relay_offer, &her);
    if (offer == NULL || new_streams(c, offer, her, added, on) == 0)
        return FALSE;
    for (guint k = 0; k < added->len; k++) {
        guint i = g_array_index(added, guint, k);
        JsdpContent *o = g_ptr_array_index(offer->contents, i);
        char *name;
        if (i >= her->contents->len)
            continue;
        name = fresh_name(c, offer, her, i); /* reads o->name */
        g_free(o->name);
        o->name = name;
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: the SIP side gives m= line %u a port, which "
                 "it had at port 0 toward her: '%s' to her",
                 c->sid, i, o->name);
    }
    c->sip_new = names_at(offer, added);
    c->sip_on = names_at(offer, on);
    c->sip_add = g_steal_pointer(&offer);
    if (c->sip_new != NULL) {
        j = new_contents_jingle(c, "content-add", FALSE);
        if (j == NULL) {
            sip_add_clear(c);
            return FALSE;
        }
    }
    if (c->sip_on != NULL) {
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: the SIP side turns %u dropped stream(s) on "
                 "again: content-modify senders='both' to her",
                 c->sid, on->len);
        send_on_modify(c, JSDP_SENDERS_BOTH);
        c->sip_on_timer =
            g_timeout_add_seconds(SIP_ON_WAIT_S, on_sip_on_timeout, c);
    }
    if (j != NULL) {
        CALL_LOG(G_LOG_LEVEL_INFO, c,
                 "call %s: the SIP side adds %u stream(s): content-add "
                 "to her",
                 c->sid, added->len);
        gw_call_send_jingle(c, j);
        c->sip_add_timer =
            g_timeout_add_seconds(SIP_ADD_WAIT_S, on_sip_add_timeout, c);
    }
    return TRUE;
}

void
gw_call_content_answer(GwCallBridge *b, xmpp_stanza_t *iq,
                       xmpp_stanza_t *jingle, Call *c, gboolean accept)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) took = NULL;
    GwCallLimits lim;

    if (c->sip_add == NULL || c->sip_add_timer == 0 || c->sip == NULL) {
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
        for (guint i = 0; i < took->contents->len; i++) {
            const char *name =
                ((JsdpContent *)g_ptr_array_index(took->contents, i))->name;
            if (!g_strv_contains((const char *const *)c->sip_new, name)) {
                gw_call_iq_error(b, iq, "bad-request", NULL,
                                 "a content-accept of a content we did not "
                                 "add");
                return;
            }
        }
    }
    gw_call_iq_result(b, iq);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client %s the stream(s) the "
             "SIP side adds", c->sid, accept ? "takes" : "refuses");
    g_clear_handle_id(&c->sip_add_timer, g_source_remove);
    g_clear_pointer(&c->sip_took, jsdp_session_free);
    c->sip_took = g_steal_pointer(&took);
    sip_answered(c);
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
 * bounds it, well inside the phone's INVITE transaction.
 *
 * One re-INVITE may do both: turn a dropped stream on and add others
 * (new lines, a reused slot). Then the content-modify and the
 * content-add go together, each with its own timer (sip_on_timer,
 * sip_add_timer), and the re-INVITE is answered once neither waits
 * (sip_answered()): the one 200 carries what she took of each. */

void
gw_call_content_modify_answered(Call *c, const char *error_condition)
{
    c->modify_seq = 0;
    if (error_condition != NULL)
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client refused our "
                 "content-modify (%s): the call goes on", c->sid,
                 error_condition);
    if (c->sip_on_timer == 0)
        return; /* a drop's, or one back: nothing waits for it */
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: her client %s the stream(s) the "
             "SIP side turns on again", c->sid,
             error_condition == NULL ? "takes" : "refuses");
    g_clear_handle_id(&c->sip_on_timer, g_source_remove);
    c->sip_on_taken = error_condition == NULL;
    sip_answered(c);
}

void
gw_call_content_sip_forget(Call *c)
{
    sip_add_clear(c);
    g_clear_pointer(&c->parked, jsdp_session_free);
}
