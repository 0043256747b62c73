/* gateway/bridge/call_private.h: what the call bridge's files share; no
 * other file includes it.
 *
 *   call_bridge.c   the call table, the router's entry points, each call's
 *                   life: states (the table below), timer, end, stats
 *   call_wire.c     what the calls say on the XMPP side: JMI messages,
 *                   Jingle iqs, iq answers; Jingle/SDP through libjsdp
 *   call_out.c      the XMPP user calls SIP (JMI, or session-initiate)
 *   call_in.c       SIP calls the XMPP user (JMI, or session-initiate)
 *   call_session.c  in a call: hang-ups, DTMF, hold and re-INVITEs both
 *                   ways, trickled candidates
 *   call_content.c  her client adds, removes or modifies contents
 *                   (content-add, content-remove, content-modify ->
 *                   re-INVITE)
 *   call_content_sip.c  the SIP side drops, adds or turns on again a
 *                   stream (re-INVITE -> content-modify, content-add)
 *   call_check.c    what a Jingle offer or answer must be before it
 *                   reaches the relay and SIP: the XEPs' musts, the
 *                   operator's bounds (a pure core, call_check.h)
 *
 * One state machine per call. A call is created once admitted (a refused
 * request never becomes one) and enters the first state of its direction
 * at once (from CALL_NEW); gw_call_enter() checks each step against the
 * table in call_bridge.c (any other is a bug: g_critical) and logs it at
 * debug with the call's sid. Every end goes through gw_call_end(), which
 * enters ENDED, tells both sides what they need from the state the call
 * was in, deletes it in the relay and frees it.
 *
 *   XMPP user calls SIP (OUT)               SIP calls the XMPP user (IN)
 *
 *   <propose/>        session-initiate        INVITE
 *       |              (without JMI)            |
 *   OUT_PROCEEDING          |               IN_MEDIA_OFFER  relay: SIP offer
 *       | session-initiate  |                   |  180       -> Jingle offer
 *       v                   v                   +------------------+
 *   OUT_MEDIA_OFFER  relay: Jingle offer     JMI client or        | every
 *       |                   -> SIP offer     features unknown     | client
 *       | INVITE                                |                  | known,
 *   OUT_INVITING                             IN_PROPOSED          | none JMI
 *       | 180, 183 without early media          | <proceed/>       |
 *   OUT_RINGING  (session-info <ringing/>,      v                  |
 *       |         once: call_out.c)          IN_INITIATING <-------+
 *       +----------------+  (OUT_INVITING       |
 *       | 183 + SDP      | 200  may skip it)    |
 *   OUT_EARLY_ANSWER     |                      |  session-initiate sent
 *       | relay: answer  | (200 here too)       | session-accept
 *       | session-accept v                  IN_MEDIA_ANSWER  relay: Jingle
 *   OUT_EARLY       OUT_MEDIA_ANSWER            |          answer -> SIP
 *       | 200            | relay: answer        | 200 OK
 *       |                | session-accept       v
 *       +-> OUT_ACTIVE <-+                   IN_ACTIVE
 *
 *   and from every state but CALL_NEW: ENDED (hang-up, decline, error,
 *   timer, link down, shutdown; and 480 at once when her presence says
 *   no client of hers is online, from IN_MEDIA_OFFER, or when her server
 *   bounces the propose, from IN_PROPOSED: issue 15)
 *
 * The one timer (gw_call_set_timer()): every state before the SIP
 * side's 2xx ends at no_answer_s from the call's first request, every
 * state after it at max_duration_s from the 2xx ([calls] max_duration_s
 * = 0, "no limit", is the one exception, the operator's). Work inside a
 * state has bounds of its own: the relay's request (rtpengine_timeout_ms
 * x tries), SIP transactions, a XEP-0181 request (dtmf_timeout_ms).
 *
 * What would be booleans is derived from the state (the table's columns):
 * whether the SIP side has its 2xx (the call counts as started, the timer
 * is the maximum duration, hold and re-INVITEs are possible), whether the
 * client has a Jingle session to terminate, whether the relay knows the
 * call. Hold on each side is orthogonal to the state: two fields.
 *
 * A call is reached by its sid (the table), by the SIP call (its
 * GwSipCallFuncs carry the Call; gw_sip_call_close() in call_free() stops
 * them), by its relay request (carries the Call; the one request in flight
 * is c->media_req, cancelled in call_free()) and by our Jingle iqs, whose
 * ids carry the call's serial and sid ("gwj-<serial>-<n>-<sid>"): an
 * answer for a call that has ended finds nothing, or another serial.
 */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "call_bridge.h"
#include "call_check.h"
#include "gw_log.h"
#include "jsdp.h"
#include "media.h"

G_BEGIN_DECLS

#define NS_JMI "urn:xmpp:jingle-message:0"
#define NS_JINGLE "urn:xmpp:jingle:1"
#define NS_RTP "urn:xmpp:jingle:apps:rtp:1"
#define NS_RTP_INFO "urn:xmpp:jingle:apps:rtp:info:1"
#define NS_RTP_MEDIA "urn:xmpp:jingle:apps:rtp:" /* + "audio", "video" */
#define NS_DTLS "urn:xmpp:jingle:apps:dtls:0"
#define NS_JINGLE_ERRORS "urn:xmpp:jingle:errors:1"
#define NS_DTMF "urn:xmpp:jingle:dtmf:0"
#define NS_HINTS "urn:xmpp:hints"
#define GW_RESOURCE "sip"
#define TAG_XMPP "x" /* the relay's tag of each party (media.h) */
#define TAG_SIP "s"
#define IQ_ID_PREFIX "gwj-"
#define PROPOSE_ID_PREFIX "jm-propose-" /* + sid: our <propose/>'s id */

typedef enum {
    DIR_OUT, /* the XMPP user calls SIP */
    DIR_IN,  /* SIP calls the XMPP user */
} CallDir;

/* The diagram above; the table in call_bridge.c says more of each. */
typedef enum {
    CALL_NEW, /* being created: enters its first state at once */
    OUT_PROCEEDING,
    OUT_MEDIA_OFFER,
    OUT_INVITING,
    OUT_RINGING,
    OUT_EARLY_ANSWER,
    OUT_EARLY,
    OUT_MEDIA_ANSWER,
    OUT_ACTIVE,
    IN_MEDIA_OFFER,
    IN_PROPOSED,
    IN_INITIATING,
    IN_MEDIA_ANSWER,
    IN_ACTIVE,
    CALL_ENDED,
    CALL_N_STATES
} CallState;

typedef struct Call Call;
struct Call {
    GwCallBridge *b;
    guint64 serial; /* unique in the process; our iq ids carry it */
    CallDir dir;
    CallState state; /* only gw_call_enter() sets it */
    char *sid;
    char *xmpp_bare;  /* the XMPP user */
    char *xmpp_full;  /* her client in the session (NULL before known) */
    char *gw_full;    /* our side: 1001@component/sip */
    char *sip_peer;   /* sip:1001@pbx */
    char *sip_self;   /* the XMPP user's SIP identity */
    GwSipCall *sip;
    JsdpSession *xmpp_session; /* OUT: her session-initiate; IN: our offer */
    char *x_sdp;       /* the XMPP party's SDP as the relay last had it */
    char *sip_sdp_out; /* the SDP we last gave the SIP side */
    /* the relay's last SDP toward her (its offer or answer for the SIP
     * side): which streams she was given live (a port), so that only
     * those can be dropped by a content-remove (call_content.c) */
    char *x_relay_sdp;
    gboolean held_by_sip;
    gboolean held_by_xmpp;
    guint media_req; /* the relay request in flight, 0: none */
    guint iq_seq;    /* our Jingle iqs so far */
    guint timer_id;  /* no answer, then the maximum duration */
    gint64 created_us; /* monotonic: call setup time for /metrics */
    /* XEP-0181 requests of the XMPP party, oldest first (DtmfJob*,
     * call_session.c): one digit of the head in flight at a time */
    GQueue dtmf;
    guint dtmf_req;   /* its relay request, 1: the INFO out, 0: none */
    guint dtmf_timer; /* dtmf_timeout_ms for the digit in flight */
    /* a content-add of her client under way (call_content.c): her SDP
     * with the added contents, as a model and as text, the names of
     * those (NULL when none is added: her content-remove), and the
     * relay's SDP of the re-INVITE; NULL: none */
    JsdpSession *add_offer;
    GStrv add_names;
    char *add_sdp;
    char *add_sip_sdp;
    /* a SIP re-INVITE changing her streams, waiting for her
     * (call_content_sip.c): the relay's offer named like her session
     * (NULL: none under way); the names of its streams new to her,
     * offered in a content-add (new m= lines, or a port-0 slot of one she
     * never had live reused: RFC 3264 8.1), and of those dropped before
     * that it turns on again, in a content-modify (NULL: none); what she
     * took of the added ones and whether she took those turned on; one
     * timer for each answer still awaited (0: answered or none) */
    JsdpSession *sip_add;
    GStrv sip_new;
    GStrv sip_on;
    JsdpSession *sip_took;
    gboolean sip_on_taken;
    guint sip_add_timer;
    guint sip_on_timer;
    /* her contents the SIP side dropped, as she had them live (by name;
     * NULL: none), what a re-INVITE may turn on again, and the iq count
     * of our content-modify awaiting her answer (0: none) */
    JsdpSession *parked;
    guint modify_seq;
    /* the creator of each content added during the call (name ->
     * JsdpRole + 1; NULL: none), call_content.c */
    GHashTable *creators;
    /* her content-modify received while the call is set up, applied
     * once the SIP dialog is up (name -> JsdpSenders + 1; NULL: none),
     * call_content.c */
    GHashTable *her_modify;
    /* RFC 5168 keyframe requests toward SIP when video starts
     * (call_session.c): the timer of the next, how many are left, and
     * whether its INFO awaits an answer */
    guint pfu_timer;
    guint pfu_left;
    gboolean pfu_in_flight;
};

struct GwCallBridge {
    const GwBridgeEnv *env;
    GwResourcesFunc resources; /* her clients as presence shows them */
    gpointer resources_data;
    GwMedia *media;
    GHashTable *calls;    /* sid -> Call* (owned) */
    GHashTable *attempts; /* bare JID -> GArray of gint64 (last minute) */
    guint64 next_serial;
    gboolean stopping;
    GwCallStats stats;
};

/* field values must never be NULL */
#define CALL_LOG(level, c, ...)                                              \
    do {                                                                     \
        if (GW_LOG_ON(level))                                                \
            g_log_structured(G_LOG_DOMAIN, (level), "GW_CALL", (c)->sid,     \
                             "GW_JID", (c)->xmpp_bare ? (c)->xmpp_bare : "-",\
                             "MESSAGE", __VA_ARGS__);                        \
    } while (0)

/* ---- call_bridge.c: the table and each call's life ------------------ */

const GwConfig *gw_call_config(const GwCallBridge *b);
/* What Jingle from the XMPP side may be (call_check.h), from the config. */
void gw_call_limits(const GwCallBridge *b, GwCallLimits *limits);
/* A new call in state CALL_NEW, in the table under `sid`. */
Call *gw_call_new(GwCallBridge *b, CallDir dir, const char *sid);
/* The call with this sid, or NULL (borrowed). */
Call *gw_call_lookup(GwCallBridge *b, const char *sid);
/* The one way a call's state changes; `why` goes to the debug log. */
void gw_call_enter(Call *c, CallState state, const char *why);
const char *gw_call_state_name(CallState state);
/* Has the SIP side its 2xx (sent or received)? Derived from the state. */
gboolean gw_call_answered(const Call *c);
/* (Re)arms the call's one timer: no answer before gw_call_answered(),
 * the maximum duration after. 0: none. */
void gw_call_set_timer(Call *c, guint seconds);
/* Ends the call on every side that still has it, then frees it.
 * jingle_reason: what the XMPP side is told (NULL: it already knows);
 * sip_status: for an unanswered incoming INVITE (0: it already knows). */
void gw_call_end(Call *c, const char *jingle_reason, int sip_status,
                 const char *text);
/* Admission limits: live calls of this bare JID; an attempt counted
 * (FALSE: over attempts_per_minute). */
guint gw_call_count_of(GwCallBridge *b, const char *bare);
gboolean gw_call_take_attempt(GwCallBridge *b, const char *bare);

/* The relay, one request per call at a time: a new one cancels the one in
 * flight. func gets the Call as user_data and starts with
 * gw_call_media_done(). */
void gw_call_media_offer(Call *c, const char *from_tag, const char *sdp,
                         GwMediaToward toward, GwMediaSdpFunc func);
void gw_call_media_answer(Call *c, const char *from_tag, const char *to_tag,
                          const char *sdp, GwMediaToward toward,
                          GwMediaSdpFunc func);
Call *gw_call_media_done(gpointer user_data);
/* Keeps a copy of the relay's SDP toward her as c->x_relay_sdp. */
void gw_call_note_x_relay_sdp(Call *c, const char *sdp);
/* c->x_relay_sdp as a session (ours: our role its author), or NULL
 * (transfer full). */
JsdpSession *gw_call_x_relay_session(const Call *c);
/* The i-th content (m= line) of `s`, or NULL past its end or without s
 * (borrowed). */
const JsdpContent *gw_call_nth_content(const JsdpSession *s, guint i);

/* ---- call_wire.c: the XMPP side ------------------------------------- */

/* The Jingle initiator and responder of the call's session. */
const char *gw_call_initiator(const Call *c);
const char *gw_call_responder(const Call *c);
/* A JMI message (XEP-0353: type chat, a store hint) with <element
 * id=sid/>, and a <reason> when `reason` is set. */
void gw_call_send_jmi(GwCallBridge *b, const char *from, const char *to,
                      const char *sid, const char *element,
                      const char *reason, const char *text);
/* <reason [xmlns=ns]><condition/>[<text>text</text>]</reason>
 * (transfer full); ns NULL inside <jingle/>, which it inherits. */
char *gw_call_reason_build(const char *ns, const char *condition,
                           const char *text);
/* <jingle action sid initiator> with `inner` (NULL: empty), as text
 * (transfer full). */
char *gw_call_jingle_build(const char *action, const char *sid,
                           const char *initiator, const char *inner);
/* <iq type=set> carrying `payload`; no call waits for its answer unless
 * the id is the call's (gw_call_send_jingle()). */
void gw_call_send_iq_set(GwCallBridge *b, const char *from, const char *to,
                         const char *id, const char *payload);
/* An iq set from the call to its client carrying `jingle` (a whole
 * <jingle/> element), with an id of the call: the answer comes back to
 * gw_call_bridge_iq(). */
void gw_call_send_jingle(Call *c, const char *jingle);
/* gw_call_jingle_build() with the call's sid and initiator, sent. */
void gw_call_send_jingle_action(Call *c, const char *action,
                                const char *inner);
void gw_call_iq_result(GwCallBridge *b, xmpp_stanza_t *iq);
/* An iq error, with a Jingle condition (XEP-0166 10) or none. */
void gw_call_iq_error(GwCallBridge *b, xmpp_stanza_t *iq,
                      const char *condition, const char *jingle_condition,
                      const char *text);
/* Our iq id "gwj-<serial>-<n>-<sid>" read back: FALSE if not one of ours
 * (*sid borrows from id; *seq is n, the call's iq count). */
gboolean gw_call_parse_iq_id(const char *id, guint64 *serial, guint *seq,
                             const char **sid);
/* The condition inside a <reason> child of `parent`, or NULL (borrowed). */
const char *gw_call_reason_of(xmpp_stanza_t *parent);

/* The session a <jingle/> element carries, read from the stanza's tree
 * (stanza_xml.h), or NULL with the error to answer with (bad-request). */
JsdpSession *gw_call_session_from_jingle(xmpp_stanza_t *jingle,
                                         GError **error);
char *gw_call_session_to_jingle(const Call *c, const JsdpSession *s,
                                const char *action);
char *gw_call_session_to_sdp(const JsdpSession *s, JsdpRole author,
                             GError **error);
JsdpSession *gw_call_session_from_sdp(const char *sdp, JsdpRole author,
                                      GError **error);
/* What of the client's session the SIP side gets, edited in place: with
 * the relay, what a plain RTP phone cannot use goes
 * (jsdp_session_drop_webrtc_extras()). */
void gw_call_session_for_sip(const GwCallBridge *b, JsdpSession *s);
/* Audio and video are bridged (issue 18); has_media: a content of
 * either, not rejected. */
gboolean gw_call_is_bridged_media(const char *media);
/* The relay needs answers without BUNDLE of live contents (call_wire.c). */
gboolean gw_call_relay_unbundles(const GwCallBridge *b);
gboolean gw_call_has_media(const JsdpSession *s);

/* ---- call_out.c, call_in.c, call_session.c -------------------------- */

void gw_call_out_propose(GwCallBridge *b, xmpp_stanza_t *msg,
                         xmpp_stanza_t *propose);
void gw_call_out_initiate(GwCallBridge *b, xmpp_stanza_t *iq,
                          xmpp_stanza_t *jingle);

void gw_call_in_invite(GwCallBridge *b, GwSipRequest *req,
                       const GwSipIncoming *in);
void gw_call_in_proceed(GwCallBridge *b, xmpp_stanza_t *msg,
                        const char *sid);
void gw_call_in_accept(GwCallBridge *b, xmpp_stanza_t *iq,
                       xmpp_stanza_t *jingle, Call *c);

/* SIP events of a call either way (GwSipCallFuncs) */
void gw_call_sip_ended(gpointer data, int status, const char *reason);
void gw_call_sip_info(gpointer data, const char *content_type,
                      const char *body, gsize len);
void gw_call_sip_reinvite(gpointer data, const char *sdp);
/* call_content.c: her role in the Jingle session, which is also the
 * author of her SDP, and ours */
JsdpRole gw_call_her_role(const Call *c);
JsdpRole gw_call_our_role(const Call *c);
/* <content creator name senders><description media/><transport/>: what
 * Conversations compares a content-reject with (name, media, senders of
 * its content-add: ContentAddition.summary()), appended to x */
void gw_call_append_stub(GString *x, const JsdpContent *ct);
/* The creator of content `name`: as noted when it was added during the
 * call, else as in the session's first offer, else the initiator. */
void gw_call_note_creator(Call *c, const char *name, JsdpRole creator);
JsdpRole gw_call_content_creator(const Call *c, const char *name);
/* call_content.c: her content-add -> re-INVITE; its answer (every
 * re-INVITE's: hold ones are ignored there); the call's change dropped */
void gw_call_content_add(GwCallBridge *b, xmpp_stanza_t *iq,
                         xmpp_stanza_t *jingle, Call *c);
void gw_call_sip_reinvite_answered(gpointer data, int status,
                                   const char *sdp);
void gw_call_content_forget(Call *c);
/* Her content-modify: the senders of live contents change, toward SIP
 * a re-INVITE with their direction; during setup it waits for the
 * dialog (gw_call_content_modify_flush(), once it is up). */
void gw_call_content_modify(GwCallBridge *b, xmpp_stanza_t *iq,
                            xmpp_stanza_t *jingle, Call *c);
void gw_call_content_modify_flush(Call *c);
/* Her content-remove: the streams go toward SIP (re-INVITE, port 0). */
void gw_call_content_remove(GwCallBridge *b, xmpp_stanza_t *iq,
                            xmpp_stanza_t *jingle, Call *c);
/* call_content_sip.c: the SIP side's changes. */
void gw_call_content_sip_forget(Call *c);
/* A SIP re-INVITE's relay offer with streams new to her (m= lines her
 * session lacks, or a port-0 slot she never had live now at a port) or
 * turning on again streams the SIP side dropped: a content-add of the
 * new ones and a content-modify senders='both' of the others to her
 * (TRUE); the re-INVITE is answered once each of her answers is in
 * (gw_call_content_answer(), gw_call_content_modify_answered()) or its
 * time is up (20 s: the content-add retracted; 10 s: a content-modify
 * back), what she did not take at port 0. FALSE: nothing new, or a
 * change is under way. */
gboolean gw_call_content_offer(Call *c, const char *relay_offer);
void gw_call_content_answer(GwCallBridge *b, xmpp_stanza_t *iq,
                            xmpp_stanza_t *jingle, Call *c, gboolean accept);
/* call_session.c: an SDP of the call's (the relay's, her directions) as
 * the SIP side gets it from us: on hold while she holds (RFC 3264 8.4).
 * Owned; NULL for NULL. */
char *gw_call_sdp_toward_sip(const Call *c, const char *sdp);
/* call_session.c: the relay's answer to a SIP re-INVITE -> 200 or 488 */
void gw_call_reinvite_relay_answered(const char *sdp, const GError *error,
                                     gpointer data);
/* Her answer to our content-modify (c->modify_seq): error_condition NULL
 * for a result. Never ends the call. */
void gw_call_content_modify_answered(Call *c, const char *error_condition);
/* Her last SDP answering a relay offer with streams new to her (as
 * gw_call_content_offer() finds them) at port 0; NULL if none is new
 * (transfer full). */
char *gw_call_answer_declining_new(Call *c, const char *relay_offer);
/* A relay offer (a SIP re-INVITE) with port 0 for m= lines her SDP has
 * at a port: her SDP with them port 0 (which becomes her last) answering
 * it, and a content-modify to her (she alone sends) of those the relay
 * had given her live (c->x_relay_sdp), which are parked for turning on
 * again; NULL if there are none or a change is under way (transfer
 * full). */
char *gw_call_answer_dropping(Call *c, const char *relay_offer);
/* Video toward her starts (the call's 2xx, or video taken during the
 * call): the phone is asked for a keyframe (RFC 5168 INFO) a little later,
 * twice; _forget stops that. */
void gw_call_video_started(Call *c);
void gw_call_video_forget(Call *c);
/* Jingle in a call */
void gw_call_session_terminate(GwCallBridge *b, xmpp_stanza_t *iq,
                               xmpp_stanza_t *jingle, Call *c);
void gw_call_session_info(GwCallBridge *b, xmpp_stanza_t *iq,
                          xmpp_stanza_t *jingle, Call *c);
void gw_call_transport_info(GwCallBridge *b, xmpp_stanza_t *iq, Call *c);
/* Drops the call's XEP-0181 requests, each answered with an error when
 * `answer` (the XMPP side is still there), and stops waiting for the
 * digit in flight. */
void gw_call_dtmf_clear(Call *c, gboolean answer);

G_END_DECLS
