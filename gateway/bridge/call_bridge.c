/* gateway/bridge/call_bridge.c: calls both ways.
 *
 * XMPP user calls a SIP address (as Conversations does it):
 *
 *   alice                      gateway                        SIP / rtpengine
 *   <propose id=S> ----------> ACL, limits
 *             <--------------- <received/> (receipt), <proceed id=S>
 *   session-initiate --------> ack; offer(x, WebRTC SDP) -----> rtpengine
 *   transport-info ----------> ack (rtpengine learns the client's address
 *                                   from its checks: on_transport_info())
 *                              INVITE (RTP/AVP SDP) ----------> SIP
 *             <--------------- session-info <ringing/>  <---- 180
 *             <--------------- session-accept (early) <------ 183+SDP
 *                              answer(x, s, SDP) -----------> rtpengine
 *             <--------------- session-accept  <------------- 200 (ACK)
 *   session-terminate -------> BYE (or CANCEL); delete -----> rtpengine
 *
 * SIP address calls an XMPP user:
 *
 *   INVITE (RTP SDP) --------> offer(s, SDP) toward XMPP ---> rtpengine
 *             <--------------- 180 Ringing
 *                              <propose id=S> to alice's bare JID
 *   <proceed id=S> (first) --> session-initiate to that resource
 *   session-accept ----------> answer(s, x, SDP) toward SIP -> rtpengine
 *             <--------------- 200 OK (then ACK)
 *   <reject> -> 603/486; no answer -> 480 + <retract>; CANCEL -> <retract>
 *
 *   Without JMI (choose_direct()): when every available resource of hers
 *   is known (caps.c) and none advertises JMI, the session-initiate goes
 *   straight to the best one that has Jingle RTP; then session-terminate
 *   (decline -> 603, busy -> 486, ...), an iq error (-> 480/404/...), no
 *   answer (-> <timeout/> + 480) or CANCEL (-> <cancel/> + 487) end it.
 *
 * Every call lives in one table by Jingle sid, with a serial number that
 * asynchronous answers (rtpengine, IQ results) carry: an answer for a call
 * that has ended finds nothing and is dropped. Every end goes through
 * call_end(), which tells both sides, always deletes the media session
 * and frees the call.
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_bridge.h"

#include <string.h>

#include "error_map.h"
#include "gw_error.h"
#include "jsdp.h"
#include "media.h"
#include "presence_bridge.h"
#include "stanza.h"
#include "stanza_xml.h"

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
#define TAG_XMPP "x"
#define TAG_SIP "s"

typedef enum {
    DIR_OUT, /* the XMPP user calls SIP */
    DIR_IN,  /* SIP calls the XMPP user */
} CallDir;

typedef enum {
    ST_PROPOSED,   /* OUT: proceed sent, await session-initiate
                      IN: propose sent, await proceed */
    ST_MEDIA,      /* waiting for the relay (offer/answer) */
    ST_INVITING,   /* OUT: INVITE out; IN: session-initiate out */
    ST_EARLY,      /* OUT: session-accepted on 183, await 200 */
    ST_ACTIVE,
} CallState;

static const char *const state_names[] = { "proposed", "media", "inviting",
                                           "early", "active" };

typedef struct {
    GwCallBridge *b;
    guint64 serial;
    CallDir dir;
    CallState state;
    char *sid;
    char *xmpp_bare;    /* the XMPP user */
    char *xmpp_full;    /* its resource in the session (NULL before) */
    char *gw_full;      /* our side: 1001@component/sip */
    char *contact_bare; /* 1001@component */
    char *sip_peer;     /* sip:1001@pbx */
    char *sip_self;     /* the XMPP user's SIP identity */
    char *initiator;    /* Jingle initiator / responder */
    char *responder;
    GwSipCall *sip;
    JsdpSession *xmpp_session; /* OUT: the initiate; IN: what we offered */
    char *sip_sdp_in;          /* IN: the INVITE's offer */
    char *x_sdp;       /* the XMPP party's SDP as the relay last had it */
    char *sip_sdp_out; /* the SDP we last gave the SIP side */
    guint sdp_version; /* o= version of our re-INVITEs */
    gboolean held_by_sip;
    gboolean held_by_xmpp;
    gboolean media_ready;      /* the relay knows the XMPP party */
    gboolean media_answered;   /* IN: 200 sent; OUT: session-accept sent */
    gboolean sip_answered;
    guint media_req;
    guint timer_id;
    gint64 started_us;
} Call;

struct GwCallBridge {
    const GwBridgeEnv *env;
    GwResourcesFunc resources; /* her clients as presence shows them */
    gpointer resources_data;
    GwMedia *media;
    GHashTable *calls;   /* sid -> Call* */
    GHashTable *serials; /* guint64* serial -> Call* */
    GHashTable *iq_ids;  /* our iq id -> serial (guint64*) */
    GHashTable *attempts; /* bare JID -> GArray of gint64 (last minute) */
    guint64 next_serial;
    guint64 next_iq;
    gboolean stopping;
    GwCallStats stats;
};

static void call_end(Call *c, const char *jingle_reason, int sip_status,
                     const char *text);

/* ---- small helpers ----------------------------------------------------- */

/* field values must never be NULL */
#define CALL_LOG(level, c, ...)                                              \
    g_log_structured(G_LOG_DOMAIN, (level), "GW_CALL", (c)->sid, "GW_JID",  \
                     (c)->xmpp_bare ? (c)->xmpp_bare : "-", "MESSAGE",      \
                     __VA_ARGS__)

static const GwConfig *
cfg_of(const GwCallBridge *b)
{
    return b->env->config;
}

static Call *
call_by_serial(GwCallBridge *b, guint64 serial)
{
    return g_hash_table_lookup(b->serials, &serial);
}

/* What asynchronous answers carry. */
typedef struct {
    GwCallBridge *b;
    guint64 serial;
} Ticket;

static Ticket *
ticket_new(Call *c)
{
    Ticket *t = g_new(Ticket, 1);
    t->b = c->b;
    t->serial = c->serial;
    return t;
}

/* The call an asynchronous answer is for, or NULL if it has ended. Frees
 * the ticket; the call's relay request is over. */
static Call *
redeem(gpointer data)
{
    Ticket *t = data;
    Call *c = call_by_serial(t->b, t->serial);

    g_free(t);
    if (c != NULL)
        c->media_req = 0;
    return c;
}

static void
send_text(GwCallBridge *b, GString *x)
{
    gw_xmpp_link_send_text(b->env->xmpp, x);
}

/* A JMI message (XEP-0353: type chat, with a store hint). */
static void
send_jmi(GwCallBridge *b, const char *from, const char *to, const char *sid,
         const char *element, const char *reason, const char *text)
{
    g_autofree char *id = g_strdup_printf("jm-%s-%s", element, sid);
    GString *x = gw_stanza_begin("message", "chat", from, to, id);

    g_string_append_printf(x, "<%s xmlns='" NS_JMI "'", element);
    gw_xml_append_attr(x, "id", sid);
    if (reason != NULL) {
        g_string_append_printf(x, "><reason xmlns='" NS_JINGLE "'><%s/>",
                               reason);
        if (text != NULL) {
            g_string_append(x, "<text>");
            gw_xml_append_escaped(x, text);
            g_string_append(x, "</text>");
        }
        g_string_append_printf(x, "</reason></%s>", element);
    } else {
        g_string_append(x, "/>");
    }
    g_string_append(x, "<store xmlns='" NS_HINTS "'/>");
    gw_stanza_end(x, "message");
    send_text(b, x);
}

/* Sends <iq type=set> with a <jingle> payload; its result or error comes
 * back to on_iq_answer() through the id. */
static void
send_jingle(Call *c, const char *jingle_xml)
{
    GwCallBridge *b = c->b;
    char *id = g_strdup_printf("gwj-%" G_GUINT64_FORMAT, ++b->next_iq);
    guint64 *serial = g_new(guint64, 1);
    GString *x = gw_stanza_begin("iq", "set", c->gw_full, c->xmpp_full, id);

    *serial = c->serial;
    g_hash_table_insert(b->iq_ids, id, serial);
    g_string_append(x, jingle_xml);
    gw_stanza_end(x, "iq");
    send_text(b, x);
}

static void
send_jingle_simple(Call *c, const char *action, const char *inner)
{
    GString *j = g_string_sized_new(256);

    g_string_append(j, "<jingle xmlns='" NS_JINGLE "'");
    gw_xml_append_attr(j, "action", action);
    gw_xml_append_attr(j, "sid", c->sid);
    gw_xml_append_attr(j, "initiator", c->initiator);
    if (inner != NULL) {
        g_string_append_c(j, '>');
        g_string_append(j, inner);
        g_string_append(j, "</jingle>");
    } else {
        g_string_append(j, "/>");
    }
    send_jingle(c, j->str);
    g_string_free(j, TRUE);
}

static void
iq_result(GwCallBridge *b, xmpp_stanza_t *iq)
{
    send_text(b, gw_stanza_iq_result(iq));
}

/* An iq error, with a Jingle-specific condition (XEP-0166 10) or none. */
static void
iq_error(GwCallBridge *b, xmpp_stanza_t *iq, const char *condition,
         const char *jingle_condition, const char *text)
{
    GwStanzaError e = { condition, gw_errmap_condition_type(condition),
                        jingle_condition, NS_JINGLE_ERRORS };

    send_text(b, gw_stanza_error_reply(iq, NULL, &e, text));
}

/* The session a <jingle/> element carries, read from the stanza's own
 * tree, or NULL and the error to answer with. */
static JsdpSession *
session_from_jingle(xmpp_stanza_t *jingle, GError **error)
{
    g_autoptr(xmlNode) node = gw_xml_from_stanza(jingle, error);

    return node != NULL ? jsdp_session_from_jingle(node, error) : NULL;
}

/* The local part of a JID, unescaped: the ACL's destination. */
static char *
dest_key(const char *jid)
{
    g_autofree char *local = NULL;

    if (!map_jid_split(jid, &local, NULL, NULL, NULL) || local == NULL)
        return NULL;
    return map_jid_unescape(local);
}

/* ---- call table -------------------------------------------------------- */

static Call *
call_new(GwCallBridge *b, CallDir dir, const char *sid)
{
    Call *c = g_new0(Call, 1);
    guint64 *key = g_new(guint64, 1);

    c->b = b;
    c->serial = ++b->next_serial;
    c->dir = dir;
    c->sid = g_strdup(sid);
    c->started_us = g_get_monotonic_time();
    *key = c->serial;
    g_hash_table_insert(b->serials, key, c);
    g_hash_table_insert(b->calls, c->sid, c);
    return c;
}

static gboolean
iq_of_call(gpointer id, gpointer serial, gpointer call_serial)
{
    return *(const guint64 *)serial == *(const guint64 *)call_serial;
}

static void
call_free(Call *c)
{
    GwCallBridge *b = c->b;

    g_hash_table_remove(b->calls, c->sid);
    g_hash_table_remove(b->serials, &c->serial);
    /* our iqs of this call still unanswered (a link that went down lost
     * them, or the session-terminate just sent): late answers are ignored
     * like any unknown id, and the table does not grow for ever */
    g_hash_table_foreach_remove(b->iq_ids, iq_of_call, &c->serial);
    g_clear_handle_id(&c->timer_id, g_source_remove);
    if (c->media_req != 0)
        gw_media_cancel(b->media, c->media_req);
    if (c->sip != NULL)
        gw_sip_call_close(c->sip);
    jsdp_session_free(c->xmpp_session);
    g_free(c->sid);
    g_free(c->xmpp_bare);
    g_free(c->xmpp_full);
    g_free(c->gw_full);
    g_free(c->contact_bare);
    g_free(c->sip_peer);
    g_free(c->sip_self);
    g_free(c->initiator);
    g_free(c->responder);
    g_free(c->sip_sdp_in);
    g_free(c->x_sdp);
    g_free(c->sip_sdp_out);
    g_free(c);
}

static guint
calls_of(GwCallBridge *b, const char *bare)
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

/* Counts an attempt; FALSE when the caller is over attempts_per_minute. */
static gboolean
take_attempt(GwCallBridge *b, const char *bare)
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
    if (a->len >= cfg_of(b)->calls.attempts_per_minute)
        return FALSE;
    g_array_append_val(a, now);
    return TRUE;
}

/* ---- endings ----------------------------------------------------------- */

static gboolean
on_timer(gpointer data)
{
    Call *c = data;

    c->timer_id = 0;
    if (c->state == ST_ACTIVE) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s reached max_duration_s",
                 c->sid);
        call_end(c, "expired", 0, "maximum call duration reached");
    } else {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s not answered in time", c->sid);
        call_end(c, "timeout", 480, "no answer");
    }
    return G_SOURCE_REMOVE;
}

static void
set_timer(Call *c, guint seconds)
{
    g_clear_handle_id(&c->timer_id, g_source_remove);
    if (seconds > 0)
        c->timer_id = g_timeout_add_seconds(seconds, on_timer, c);
}

/* Ends a call on every side that still has it, then frees it.
 * jingle_reason: what the XMPP side is told (NULL: it already knows);
 * sip_status: for an unanswered incoming INVITE (0: it already knows). */
static void
call_end(Call *c, const char *jingle_reason, int sip_status,
         const char *text)
{
    GwCallBridge *b = c->b;
    gboolean xmpp_session = c->xmpp_full != NULL && c->state >= ST_MEDIA;

    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s (%s, %s) ends: %s%s%s", c->sid,
             c->dir == DIR_OUT ? "XMPP->SIP" : "SIP->XMPP",
             state_names[c->state], jingle_reason ? jingle_reason : "-",
             text ? ": " : "", text ? text : "");
    /* XMPP side */
    if (jingle_reason != NULL && gw_xmpp_link_is_up(b->env->xmpp)) {
        if (c->dir == DIR_IN && c->state == ST_PROPOSED) {
            send_jmi(b, c->gw_full, c->xmpp_bare, c->sid, "retract",
                     jingle_reason, text);
        } else if (c->dir == DIR_OUT && c->state == ST_PROPOSED &&
                   c->xmpp_full != NULL) {
            send_jmi(b, c->gw_full, c->xmpp_full, c->sid, "reject",
                     jingle_reason, text);
        } else if (xmpp_session || c->state >= ST_MEDIA) {
            GString *r = g_string_new("<reason><");
            g_string_append(r, jingle_reason);
            g_string_append(r, "/>");
            if (text != NULL) {
                g_string_append(r, "<text>");
                gw_xml_append_escaped(r, text);
                g_string_append(r, "</text>");
            }
            g_string_append(r, "</reason>");
            send_jingle_simple(c, "session-terminate", r->str);
            g_string_free(r, TRUE);
        }
    }
    /* SIP side */
    if (c->sip != NULL) {
        if (c->dir == DIR_IN && !c->sip_answered && sip_status > 0)
            gw_sip_call_respond(c->sip, sip_status, NULL, NULL);
        gw_sip_call_close(c->sip); /* BYE or CANCEL when still up */
        c->sip = NULL;
    }
    /* media: always, whatever the path */
    if (c->state >= ST_MEDIA || c->media_ready || c->dir == DIR_IN)
        gw_media_delete(b->media, c->sid);
    if (c->state == ST_ACTIVE)
        b->stats.started++;
    else
        b->stats.failed++;
    call_free(c);
}

/* ---- XMPP side: parsing ------------------------------------------------ */

static xmpp_stanza_t *
jingle_of(xmpp_stanza_t *iq)
{
    return gw_stanza_child(iq, "jingle", NS_JINGLE);
}

/* The reason element name inside <reason>, or NULL (borrowed). */
static const char *
reason_of(xmpp_stanza_t *parent)
{
    xmpp_stanza_t *r = gw_stanza_child(parent, "reason", NULL);

    for (xmpp_stanza_t *e = r ? xmpp_stanza_get_children(r) : NULL; e;
         e = xmpp_stanza_get_next(e))
        if (xmpp_stanza_is_tag(e) &&
            strcmp(xmpp_stanza_get_name(e), "text") != 0)
            return xmpp_stanza_get_name(e);
    return NULL;
}

/* Names of the audio contents; FALSE if the session has none we carry. */
static gboolean
has_audio(const JsdpSession *s)
{
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(s->contents, i);
        if (!ct->rejected && g_strcmp0(ct->media, "audio") == 0)
            return TRUE;
    }
    return FALSE;
}

static char *
session_to_sdp(const JsdpSession *s, JsdpRole author, GError **error)
{
    JsdpSdpPrintParams p = { 0 };

    p.author = author;
    p.username = "xmpp-sip-gateway";
    p.session_id = 1;
    p.session_version = 1;
    return jsdp_session_to_sdp(s, &p, error);
}

static JsdpSession *
session_from_sdp(const char *sdp, JsdpRole author, GError **error)
{
    JsdpSdpParseParams p = { author, JSDP_CLASSIC_ICE_HOST };
    return jsdp_session_from_sdp(sdp, -1, &p, error);
}

static char *
session_to_jingle(const JsdpSession *s, const char *action, const Call *c)
{
    JsdpJinglePrintParams p = { 0 };

    p.action = action;
    p.sid = c->sid;
    p.initiator = c->initiator;
    p.responder = strcmp(action, "session-initiate") == 0 ? NULL
                                                          : c->responder;
    p.candidate_id_prefix = "gw";
    return jsdp_session_to_jingle_string(s, &p, NULL);
}

/* ---- OUT: the XMPP user calls SIP -------------------------------------- */

/* Checks a call from an XMPP user; fills the call's addresses. */
static gboolean
admit_out(GwCallBridge *b, const char *from, const char *to, Call *c,
          const char **reason, GError **error)
{
    const GwConfig *cfg = cfg_of(b);
    g_autoptr(MapResult) caller = NULL, callee = NULL;
    g_autofree char *dest = NULL;

    *reason = "decline";
    caller = map_table_lookup_jid(b->env->map, from, NULL);
    callee = map_table_lookup_jid(b->env->map, to, error);
    if (!cfg->calls.enabled || b->stopping) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                            "calls are not bridged now");
        return FALSE;
    }
    if (caller == NULL || caller->kind != MAP_KIND_XMPP_USER) {
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
        calls_of(b, caller->jid) >= cfg->calls.max_calls_per_user) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_OVERLOAD,
                            "too many calls");
        *reason = "busy";
        return FALSE;
    }
    if (!take_attempt(b, caller->jid)) {
        g_set_error(error, GW_ERROR, GW_ERROR_RATE_LIMITED,
                    "more than %u call attempts a minute",
                    cfg->calls.attempts_per_minute);
        *reason = "busy";
        return FALSE;
    }
    c->xmpp_bare = g_strdup(caller->jid);
    c->contact_bare = g_strdup(callee->jid);
    c->gw_full = g_strconcat(callee->jid, "/" GW_RESOURCE, NULL);
    c->sip_peer = g_strdup(callee->sip_uri);
    c->sip_self = g_strdup(caller->sip_uri);
    return TRUE;
}

static void
on_propose(GwCallBridge *b, xmpp_stanza_t *msg, xmpp_stanza_t *propose)
{
    const char *sid = xmpp_stanza_get_attribute(propose, "id");
    const char *from = xmpp_stanza_get_from(msg);
    const char *to = xmpp_stanza_get_to(msg);
    const char *reason = NULL;
    g_autoptr(GError) error = NULL;
    gboolean audio = FALSE;
    Call *c;

    if (sid == NULL || from == NULL || to == NULL)
        return;
    /* XEP-0184: the receipt tells Conversations that a device rings */
    if (gw_stanza_child(msg, "request", GW_NS_RECEIPTS) != NULL &&
        xmpp_stanza_get_id(msg) != NULL)
        send_text(b, gw_stanza_receipt(to, from, xmpp_stanza_get_id(msg)));
    if (g_hash_table_contains(b->calls, sid))
        return; /* a repeated propose */
    for (xmpp_stanza_t *d = xmpp_stanza_get_children(propose); d;
         d = xmpp_stanza_get_next(d))
        if (xmpp_stanza_is_tag(d) &&
            g_strcmp0(xmpp_stanza_get_ns(d), NS_RTP) == 0 &&
            g_strcmp0(xmpp_stanza_get_attribute(d, "media"), "audio") == 0)
            audio = TRUE;
    c = call_new(b, DIR_OUT, sid);
    c->xmpp_full = g_strdup(from);
    if (!audio) {
        g_set_error_literal(&error, GW_ERROR, GW_ERROR_UNSUPPORTED,
                            "only audio calls are bridged");
        reason = "unsupported-applications";
    }
    if (error == NULL && !admit_out(b, from, to, c, &reason, &error)) {
        /* fall through to the refusal */
    }
    if (error != NULL) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s from %s to %s refused: %s",
                 sid, from, to, error->message);
        if (c->gw_full == NULL)
            c->gw_full = g_strconcat(to, "/" GW_RESOURCE, NULL);
        c->state = ST_PROPOSED;
        call_end(c, reason, 0, error->message);
        return;
    }
    c->initiator = g_strdup(from);
    c->responder = g_strdup(c->gw_full);
    c->state = ST_PROPOSED;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s proposes a call to %s", sid,
             from, c->sip_peer);
    send_jmi(b, c->gw_full, from, sid, "proceed", NULL, NULL);
    set_timer(c, cfg_of(b)->calls.no_answer_s);
}

static void on_out_offer_done(const char *sdp, const GError *error,
                              gpointer data);

/* session-initiate from the XMPP caller (after JMI, or directly). */
static void
on_session_initiate(GwCallBridge *b, xmpp_stanza_t *iq, xmpp_stanza_t *j)
{
    const char *sid = xmpp_stanza_get_attribute(j, "sid");
    const char *from = xmpp_stanza_get_from(iq);
    Call *c = sid ? g_hash_table_lookup(b->calls, sid) : NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *sdp = NULL;
    JsdpSession *s;
    const char *reason = NULL;

    if (sid == NULL) {
        iq_error(b, iq, "bad-request", NULL, "session-initiate without sid");
        return;
    }
    if (c != NULL && (c->dir != DIR_OUT || c->state != ST_PROPOSED ||
                      g_strcmp0(c->xmpp_full, from) != 0)) {
        iq_error(b, iq, "conflict", NULL, "a session with this sid exists");
        return;
    }
    s = session_from_jingle(j, &error);
    if (s == NULL) {
        iq_error(b, iq, "bad-request", NULL, error->message);
        return;
    }
    if (c == NULL) {
        /* a direct session-initiate, without JMI */
        c = call_new(b, DIR_OUT, sid);
        c->xmpp_full = g_strdup(from);
        if (!admit_out(b, from, xmpp_stanza_get_to(iq), c, &reason,
                       &error)) {
            iq_result(b, iq);
            CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s from %s refused: %s",
                     sid, from, error->message);
            c->gw_full = c->gw_full ? c->gw_full
                                    : g_strdup(xmpp_stanza_get_to(iq));
            c->initiator = g_strdup(from);
            c->state = ST_MEDIA;
            jsdp_session_free(s);
            call_end(c, reason, 0, error->message);
            return;
        }
        c->initiator = g_strdup(from);
        c->responder = g_strdup(xmpp_stanza_get_to(iq));
        g_free(c->gw_full);
        c->gw_full = g_strdup(xmpp_stanza_get_to(iq));
        set_timer(c, cfg_of(b)->calls.no_answer_s);
    }
    iq_result(b, iq); /* ack at once (XEP-0166 6.3.2) */
    c->xmpp_session = s;
    c->state = ST_MEDIA;
    if (!has_audio(s)) {
        call_end(c, "unsupported-applications", 0,
                 "no audio content to bridge");
        return;
    }
    sdp = session_to_sdp(s, JSDP_ROLE_INITIATOR, &error);
    if (sdp == NULL) {
        call_end(c, "failed-application", 0, error->message);
        return;
    }
    c->x_sdp = g_strdup(sdp);
    c->media_req = gw_media_offer(b->media, c->sid, TAG_XMPP, sdp,
                                  GW_MEDIA_TOWARD_SIP, on_out_offer_done,
                                  ticket_new(c));
}

static const GwSipCallFuncs out_sip_funcs;

static void
on_out_offer_done(const char *sdp, const GError *error, gpointer data)
{
    Call *c = redeem(data);

    if (c == NULL)
        return;
    if (error != NULL) {
        CALL_LOG(G_LOG_LEVEL_WARNING, c, "call %s: media relay failed: %s",
                 c->sid, error->message);
        call_end(c, "failed-application", 0, "media relay unavailable");
        return;
    }
    c->media_ready = TRUE;
    c->sip_sdp_out = g_strdup(sdp);
    c->state = ST_INVITING;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: INVITE %s as %s", c->sid,
             c->sip_peer, c->sip_self);
    c->sip = gw_sip_ua_invite(c->b->env->sip, c->sip_self, c->sip_peer, sdp,
                              &out_sip_funcs, c);
}

/* SIP callbacks carry the Call itself: call_free() closes the SIP call
 * first, after which the UA makes no more callbacks. */
static Call *
call_of_sip(gpointer data)
{
    return data;
}

static void
on_out_accept_ready(const char *sdp, const GError *error, gpointer data)
{
    Call *c = redeem(data);
    g_autoptr(GError) perr = NULL;
    JsdpSession *ans;
    g_autofree char *jingle = NULL;

    if (c == NULL)
        return;
    if (error != NULL) {
        call_end(c, "failed-application", 0, "media relay failed");
        return;
    }
    if (c->media_answered)
        return; /* the SIP side changed (183 then 200): Jingle stays */
    ans = session_from_sdp(sdp, JSDP_ROLE_RESPONDER, &perr);
    if (ans == NULL) {
        call_end(c, "failed-application", 0, perr->message);
        return;
    }
    jsdp_session_align_answer(ans, c->xmpp_session);
    jsdp_session_drop_sources(ans);
    jingle = session_to_jingle(ans, "session-accept", c);
    jsdp_session_free(ans);
    if (jingle == NULL) {
        call_end(c, "failed-application", 0, "cannot build session-accept");
        return;
    }
    send_jingle(c, jingle);
    c->media_answered = TRUE;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: session-accept sent (%s)", c->sid,
             c->state == ST_ACTIVE ? "answered" : "early media");
}

static void
out_media_answer(Call *c, const char *sdp)
{
    if (c->media_req != 0)
        gw_media_cancel(c->b->media, c->media_req);
    c->media_req = gw_media_answer(c->b->media, c->sid, TAG_XMPP, TAG_SIP,
                                   sdp, GW_MEDIA_TOWARD_XMPP,
                                   on_out_accept_ready, ticket_new(c));
}

static void
out_progress(gpointer data, int status, const char *phrase, const char *sdp)
{
    Call *c = call_of_sip(data);

    if (c == NULL || c->state == ST_ACTIVE)
        return;
    if (status == 180 || status == 183) {
        /* XEP-0167 7: ringing (Dino shows it; Conversations waits for
         * session-accept) */
        if (status == 180 || sdp == NULL)
            send_jingle_simple(c, "session-info",
                               "<ringing xmlns='" NS_RTP_INFO "'/>");
    }
    if (sdp != NULL && cfg_of(c->b)->calls.early_media &&
        c->state == ST_INVITING) {
        c->state = ST_EARLY;
        out_media_answer(c, sdp);
    }
}

static void
out_answered(gpointer data, const char *sdp)
{
    Call *c = call_of_sip(data);

    if (c == NULL)
        return;
    c->sip_answered = TRUE;
    c->state = ST_ACTIVE;
    set_timer(c, cfg_of(c->b)->calls.max_duration_s);
    if (sdp == NULL) {
        call_end(c, "failed-application", 0, "2xx without SDP");
        return;
    }
    /* after early media the relay learns the final SDP; Jingle does not
     * change: the XMPP side of the relay is the same */
    out_media_answer(c, sdp);
}

static void
out_failed(gpointer data, int status, const char *phrase)
{
    Call *c = call_of_sip(data);

    if (c == NULL)
        return;
    {
        g_autofree char *text = g_strdup_printf("SIP %d %s", status,
                                                phrase ? phrase : "");
        call_end(c, gw_errmap_sip_to_jingle(status), 0, text);
    }
}

static void
sip_ended(gpointer data, int status, const char *reason)
{
    Call *c = call_of_sip(data);

    if (c == NULL)
        return;
    if (c->dir == DIR_IN && !c->sip_answered) {
        /* CANCEL before the answer */
        call_end(c, "cancel", 0, "the SIP caller hung up");
        return;
    }
    call_end(c, status == 0 ? "success" : gw_errmap_sip_to_jingle(status), 0,
             NULL);
}

static void
sip_info(gpointer data, const char *content_type, const char *body,
         gsize len)
{
    Call *c = call_of_sip(data);
    g_autofree char *text = NULL;
    const char *sig;

    if (c == NULL || content_type == NULL || body == NULL ||
        g_ascii_strcasecmp(content_type, "application/dtmf-relay") != 0)
        return;
    /* "Signal=5\r\nDuration=160\r\n" (not standardised; widely used) */
    text = g_strndup(body, len);
    sig = strstr(text, "Signal=");
    if (sig != NULL && strchr("0123456789*#ABCDabcd", sig[7]) != NULL &&
        sig[7] != '\0') {
        g_autofree char *inner = g_strdup_printf(
            "<dtmf xmlns='" NS_DTMF "' code='%c' duration='250'/>", sig[7]);
        send_jingle_simple(c, "session-info", inner);
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
    send_jingle_simple(c, "session-info",
                       held ? "<hold xmlns='" NS_RTP_INFO "'/>"
                            : "<active xmlns='" NS_RTP_INFO "'/>");
}

static void
on_reinvite_answered(const char *sdp, const GError *error, gpointer data)
{
    Call *c = redeem(data);

    if (c == NULL)
        return;
    if (error != NULL || c->sip == NULL) {
        if (c->sip != NULL)
            gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    g_free(c->sip_sdp_out);
    c->sip_sdp_out = g_strdup(sdp);
    gw_sip_call_respond(c->sip, 200, "OK", sdp);
}

static void
on_reinvite_offered(const char *sdp, const GError *error, gpointer data)
{
    Call *c = redeem(data);

    if (c == NULL)
        return;
    if (error != NULL || c->x_sdp == NULL) {
        if (c->sip != NULL)
            gw_sip_call_respond(c->sip, 488, "Not Acceptable Here", NULL);
        return;
    }
    /* the XMPP leg does not renegotiate: its last SDP answers again */
    c->media_req = gw_media_answer(c->b->media, c->sid, TAG_SIP, TAG_XMPP,
                                   c->x_sdp, GW_MEDIA_TOWARD_SIP,
                                   on_reinvite_answered, ticket_new(c));
}

/* A re-INVITE from the SIP side (hold, resume, session refresh, new
 * address): the relay takes the new offer; the XMPP leg keeps its
 * session, and hears of a hold through session-info. */
static void
sip_reinvite(gpointer data, const char *sdp)
{
    Call *c = call_of_sip(data);
    gboolean hold;

    if (c == NULL || c->sip == NULL)
        return;
    if (c->state != ST_ACTIVE || c->media_req != 0) {
        gw_sip_call_respond(c->sip, 491, "Request Pending", NULL);
        return;
    }
    if (sdp == NULL) {
        /* an offerless re-INVITE: offer what we had */
        gw_sip_call_respond(c->sip, 200, "OK", c->sip_sdp_out);
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
    c->media_req = gw_media_offer(c->b->media, c->sid, TAG_SIP, sdp,
                                  GW_MEDIA_TOWARD_XMPP, on_reinvite_offered,
                                  ticket_new(c));
}

/* <hold/> or <active/> from the XMPP side: re-INVITE the SIP side with
 * sendonly (RFC 3264 8.4) or sendrecv. */
static void
xmpp_hold(Call *c, gboolean hold)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *sdp = NULL;

    if (hold == c->held_by_xmpp || c->state != ST_ACTIVE || c->sip == NULL ||
        c->sip_sdp_out == NULL)
        return;
    /* we offer it: the initiator of this exchange, who sends on hold */
    sdp = jsdp_sdp_set_direction(
        c->sip_sdp_out, -1,
        hold ? JSDP_SENDERS_INITIATOR : JSDP_SENDERS_BOTH,
        JSDP_ROLE_INITIATOR, c->sdp_version + 1 + 1000, &error);
    if (sdp == NULL) {
        CALL_LOG(G_LOG_LEVEL_WARNING, c, "call %s: no re-INVITE for %s: %s",
                 c->sid, hold ? "hold" : "resume", error->message);
        return;
    }
    c->held_by_xmpp = hold;
    c->sdp_version++;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the XMPP side %s", c->sid,
             hold ? "holds" : "resumes");
    gw_sip_call_reinvite(c->sip, sdp);
}

static const GwSipCallFuncs out_sip_funcs = {
    .progress = out_progress,
    .answered = out_answered,
    .failed = out_failed,
    .ended = sip_ended,
    .info = sip_info,
    .reinvite = sip_reinvite,
};

/* ---- IN: SIP calls the XMPP user ---------------------------------------- */

static void on_in_offer_done(const char *sdp, const GError *error,
                             gpointer data);

static void
in_acked(gpointer data)
{
    Call *c = call_of_sip(data);

    if (c != NULL)
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: established", c->sid);
}

static const GwSipCallFuncs in_sip_funcs = {
    .acked = in_acked,
    .ended = sip_ended,
    .info = sip_info,
    .reinvite = sip_reinvite,
};

void
gw_call_bridge_invite(GwCallBridge *b, GwSipRequest *req,
                      const GwSipIncoming *in)
{
    const GwConfig *cfg = cfg_of(b);
    g_autoptr(MapResult) caller = NULL, callee = NULL;
    g_autofree char *sid = g_uuid_string_random();
    int status = 0;
    const char *phrase = NULL, *why = NULL;
    g_autoptr(GError) sdp_error = NULL;
    Call *c;

    caller = map_table_lookup_sip(b->env->map, in->from_uri, NULL);
    callee = map_table_lookup_sip(b->env->map, in->request_uri, NULL);
    if (callee == NULL || callee->kind != MAP_KIND_XMPP_USER) {
        g_clear_pointer(&callee, map_result_free);
        callee = map_table_lookup_sip(b->env->map, in->to_uri, NULL);
    }
    if (!cfg->calls.enabled || b->stopping)
        status = 503, phrase = "Service Unavailable", why = "calls off";
    else if (caller == NULL || caller->kind == MAP_KIND_XMPP_USER)
        status = 403, phrase = "Forbidden", why = "caller not mappable";
    else if (callee == NULL || callee->kind != MAP_KIND_XMPP_USER)
        status = 404, phrase = "Not Found", why = "not an XMPP user";
    else if (!gw_xmpp_link_is_up(b->env->xmpp))
        status = 503, phrase = "XMPP Link Down", why = "XMPP link down";
    else if (in->content_type == NULL || in->body == NULL)
        status = 488, phrase = "SDP Offer Required",
        why = "INVITE without an SDP offer (delayed offer is not supported)";
    else if (g_ascii_strcasecmp(in->content_type, "application/sdp") != 0)
        status = 415, phrase = "Unsupported Media Type",
        why = "the offer is not application/sdp";
    else if (!jsdp_sdp_check(in->body, (gssize)in->body_len, &sdp_error))
        /* refused here, not by the media relay after a 100 (503) */
        status = 400, phrase = "Malformed SDP", why = sdp_error->message;
    else if (g_hash_table_size(b->calls) >= cfg->calls.max_calls ||
             calls_of(b, callee->jid) >= cfg->calls.max_calls_per_user)
        status = 486, phrase = "Busy Here", why = "call limits";
    if (status != 0) {
        g_info("INVITE from %s to %s refused: %d %s (%s)", in->from_uri,
               in->request_uri, status, phrase, why);
        gw_sip_request_respond(req, status, phrase, status == 503 ? 5 : 0,
                               status == 415 ? "application/sdp" : NULL);
        return;
    }
    c = call_new(b, DIR_IN, sid);
    c->xmpp_bare = g_strdup(callee->jid);
    c->contact_bare = g_strdup(caller->jid);
    c->gw_full = g_strconcat(caller->jid, "/" GW_RESOURCE, NULL);
    c->sip_peer = g_strdup(caller->sip_uri);
    c->sip_self = g_strdup(callee->sip_uri);
    c->initiator = g_strdup(c->gw_full);
    c->sip_sdp_in = g_strndup(in->body, in->body_len);
    c->sip = gw_sip_request_take_call(req, &in_sip_funcs,
                                      c);
    c->state = ST_MEDIA;
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s calls %s (Call-ID %s)", sid,
             in->from_uri, callee->jid, in->call_id);
    c->media_req = gw_media_offer(b->media, c->sid, TAG_SIP, c->sip_sdp_in,
                                  GW_MEDIA_TOWARD_XMPP, on_in_offer_done,
                                  ticket_new(c));
    set_timer(c, cfg->calls.no_answer_s);
}

/* Sends our offer as session-initiate to c->xmpp_full (after her
 * <proceed>, or directly). */
static void
send_initiate(Call *c)
{
    g_autofree char *jingle = NULL;

    g_free(c->responder);
    c->responder = g_strdup(c->xmpp_full);
    c->state = ST_INVITING;
    jingle = session_to_jingle(c->xmpp_session, "session-initiate", c);
    if (jingle == NULL) {
        call_end(c, "failed-application", 500, "cannot build the offer");
        return;
    }
    send_jingle(c, jingle);
}

/* XEP-0353: propose to the bare JID, every device rings. */
static void
send_propose(Call *c)
{
    const JsdpSession *s = c->xmpp_session;
    g_autofree char *id = g_strconcat("jm-propose-", c->sid, NULL);
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
    send_text(c->b, x);
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
 * *why (transfer full) says why, for the log. */
static char *
choose_direct(Call *c, char **why)
{
    GwCallBridge *b = c->b;
    g_autoptr(GPtrArray) res = NULL;
    g_autoptr(GPtrArray) req = required_features(c->xmpp_session);
    const GwPresResource *best = NULL;
    const char *lack = NULL, *lacking = NULL;

    res = b->resources != NULL
              ? b->resources(b->resources_data, c->xmpp_bare)
              : g_ptr_array_new();
    if (res->len == 0) {
        *why = g_strdup("no available resource (priority >= 0) known");
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
    Call *c = redeem(data);
    g_autoptr(GError) perr = NULL;
    g_autofree char *direct = NULL, *why = NULL;
    JsdpSession *s;

    if (c == NULL)
        return;
    if (error != NULL) {
        CALL_LOG(G_LOG_LEVEL_WARNING, c, "call %s: media relay failed: %s",
                 c->sid, error->message);
        call_end(c, NULL, 503, NULL);
        return;
    }
    s = session_from_sdp(sdp, JSDP_ROLE_INITIATOR, &perr);
    if (s == NULL || !has_audio(s)) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: offer not usable: %s",
                 c->sid, perr ? perr->message : "no audio");
        jsdp_session_free(s);
        call_end(c, NULL, 488, NULL);
        return;
    }
    /* our offer: the gateway initiates the Jingle session */
    jsdp_session_name_contents(s, JSDP_ROLE_INITIATOR);
    jsdp_session_drop_sources(s);
    c->xmpp_session = s;
    c->media_ready = TRUE;
    c->state = ST_PROPOSED;
    gw_sip_call_respond(c->sip, 180, "Ringing", NULL);
    direct = choose_direct(c, &why);
    if (direct == NULL) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: JMI propose to %s: %s",
                 c->sid, c->xmpp_bare, why);
        send_propose(c);
        return;
    }
    /* XEP-0166 6.1 without XEP-0353: the ringing (XEP-0167 7) and every
     * ending then come as for a session-initiate after <proceed> */
    CALL_LOG(G_LOG_LEVEL_INFO, c,
             "call %s: session-initiate straight to %s, no JMI: %s", c->sid,
             direct, why);
    c->xmpp_full = g_steal_pointer(&direct);
    send_initiate(c);
}

static void
on_proceed(GwCallBridge *b, xmpp_stanza_t *msg, const char *sid)
{
    Call *c = g_hash_table_lookup(b->calls, sid);
    const char *from = xmpp_stanza_get_from(msg);
    g_autofree char *bare = from ? map_jid_bare(from, NULL) : NULL;

    if (c == NULL || c->dir != DIR_IN || bare == NULL ||
        strcmp(bare, c->xmpp_bare) != 0)
        return;
    if (c->state != ST_PROPOSED || c->xmpp_full != NULL) {
        /* XEP-0353: a later device is too late */
        if (g_strcmp0(from, c->xmpp_full) != 0)
            send_jmi(b, c->gw_full, from, sid, "retract", "cancel",
                     "answered on another device");
        return;
    }
    c->xmpp_full = g_strdup(from);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s proceeds; session-initiate",
             sid, from);
    send_initiate(c);
}

static void
on_in_answer_done(const char *sdp, const GError *error, gpointer data)
{
    Call *c = redeem(data);

    if (c == NULL)
        return;
    if (error != NULL) {
        call_end(c, "failed-application", 503, "media relay failed");
        return;
    }
    c->sip_answered = TRUE;
    c->state = ST_ACTIVE;
    set_timer(c, cfg_of(c->b)->calls.max_duration_s);
    g_free(c->sip_sdp_out);
    c->sip_sdp_out = g_strdup(sdp);
    gw_sip_call_respond(c->sip, 200, "OK", sdp);
    CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: answered by %s", c->sid,
             c->xmpp_full);
}

static void
on_session_accept(GwCallBridge *b, xmpp_stanza_t *iq, Call *c)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *sdp = NULL;
    g_autoptr(JsdpSession) s = NULL;

    if (c->dir != DIR_IN || c->state != ST_INVITING) {
        iq_error(b, iq, "unexpected-request", "out-of-order", NULL);
        return;
    }
    s = session_from_jingle(jingle_of(iq), &error);
    if (s == NULL) {
        iq_error(b, iq, "bad-request", NULL, error->message);
        return;
    }
    iq_result(b, iq);
    sdp = session_to_sdp(s, JSDP_ROLE_RESPONDER, &error);
    if (sdp == NULL) {
        call_end(c, "failed-application", 488, error->message);
        return;
    }
    c->state = ST_MEDIA;
    g_free(c->x_sdp);
    c->x_sdp = g_strdup(sdp);
    c->media_req = gw_media_answer(b->media, c->sid, TAG_SIP, TAG_XMPP, sdp,
                                   GW_MEDIA_TOWARD_SIP, on_in_answer_done,
                                   ticket_new(c));
}

/* ---- trickle and session-info ------------------------------------------ */

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
static void
on_transport_info(GwCallBridge *b, xmpp_stanza_t *iq, Call *c)
{
    iq_result(b, iq);
    g_debug("call %s: trickled candidates left to ICE (peer-reflexive)",
            c->sid);
}

static void
on_session_info(GwCallBridge *b, xmpp_stanza_t *iq, xmpp_stanza_t *j,
                Call *c)
{
    xmpp_stanza_t *p = NULL;

    for (p = xmpp_stanza_get_children(j); p; p = xmpp_stanza_get_next(p))
        if (xmpp_stanza_is_tag(p))
            break;
    if (p == NULL) {
        iq_result(b, iq); /* a ping (XEP-0166 7.2.13) */
        return;
    }
    if (g_strcmp0(xmpp_stanza_get_ns(p), NS_DTMF) == 0 &&
        strcmp(xmpp_stanza_get_name(p), "dtmf") == 0) {
        const char *code = xmpp_stanza_get_attribute(p, "code");
        const char *dur = xmpp_stanza_get_attribute(p, "duration");
        guint ms = dur ? (guint)CLAMP(g_ascii_strtoull(dur, NULL, 10), 40,
                                      5000)
                       : 250;
        if (code == NULL || *code == '\0' ||
            strspn(code, "0123456789*#ABCDabcd") != strlen(code)) {
            iq_error(b, iq, "bad-request", NULL, "bad DTMF code");
            return;
        }
        iq_result(b, iq);
        if (c->state != ST_ACTIVE || c->sip == NULL)
            return;
        if (g_strcmp0(cfg_of(b)->calls.dtmf, "info") == 0) {
            for (const char *d = code; *d; d++) {
                g_autofree char *body = g_strdup_printf(
                    "Signal=%c\r\nDuration=%u\r\n", *d, ms);
                gw_sip_call_info(c->sip, "application/dtmf-relay", body);
            }
        } else {
            gw_media_dtmf(b->media, c->sid, TAG_XMPP, code, ms);
        }
        return;
    }
    if (g_strcmp0(xmpp_stanza_get_ns(p), NS_RTP_INFO) == 0) {
        const char *what = xmpp_stanza_get_name(p);
        iq_result(b, iq);
        /* hold/active become re-INVITEs; ringing and mute inform only */
        if (strcmp(what, "hold") == 0)
            xmpp_hold(c, TRUE);
        else if (strcmp(what, "active") == 0)
            xmpp_hold(c, FALSE);
        return;
    }
    /* XEP-0166 7.2.13: unknown payloads */
    iq_error(b, iq, "feature-not-implemented", "unsupported-info", NULL);
}

/* ---- routing ----------------------------------------------------------- */

gboolean
gw_call_bridge_message(GwCallBridge *b, xmpp_stanza_t *msg)
{
    xmpp_stanza_t *e = NULL;
    const char *name, *sid;
    Call *c;

    for (e = xmpp_stanza_get_children(msg); e; e = xmpp_stanza_get_next(e))
        if (xmpp_stanza_is_tag(e) &&
            g_strcmp0(xmpp_stanza_get_ns(e), NS_JMI) == 0)
            break;
    if (e == NULL)
        return FALSE;
    if (g_strcmp0(xmpp_stanza_get_type(msg), "error") == 0) {
        /* our propose bounced: nobody to ring */
        const char *id = xmpp_stanza_get_id(msg);
        if (id != NULL && g_str_has_prefix(id, "jm-propose-") &&
            (c = g_hash_table_lookup(b->calls, id + 11)) != NULL)
            call_end(c, NULL, 480, NULL);
        return TRUE;
    }
    name = xmpp_stanza_get_name(e);
    sid = xmpp_stanza_get_attribute(e, "id");
    if (sid == NULL)
        return TRUE;
    c = g_hash_table_lookup(b->calls, sid);
    if (strcmp(name, "propose") == 0) {
        on_propose(b, msg, e);
    } else if (strcmp(name, "retract") == 0) {
        if (c != NULL && c->dir == DIR_OUT &&
            g_strcmp0(c->xmpp_full, xmpp_stanza_get_from(msg)) == 0)
            call_end(c, NULL, 0, "retracted by the caller");
    } else if (strcmp(name, "proceed") == 0) {
        on_proceed(b, msg, sid);
    } else if (strcmp(name, "reject") == 0) {
        if (c != NULL && c->dir == DIR_IN && c->state == ST_PROPOSED) {
            const char *r = reason_of(e);
            CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s rejected by %s (%s)", sid,
                     xmpp_stanza_get_from(msg), r ? r : "no reason");
            c->state = ST_MEDIA; /* nothing more to tell the XMPP side */
            call_end(c, NULL, r && strcmp(r, "busy") == 0 ? 486 : 603,
                     NULL);
        }
    }
    /* accept (carbon of another device) and finish: nothing to do */
    return TRUE;
}

static void
on_iq_answer(GwCallBridge *b, xmpp_stanza_t *iq)
{
    const char *id = xmpp_stanza_get_id(iq);
    guint64 *serial = id ? g_hash_table_lookup(b->iq_ids, id) : NULL;
    Call *c = serial ? call_by_serial(b, *serial) : NULL;

    if (serial == NULL)
        return;
    /* as for Jingle sets: only the party we sent it to answers it (our
     * ids are sequential, and anyone may send an iq to the component) */
    if (c != NULL && c->xmpp_full != NULL &&
        g_strcmp0(xmpp_stanza_get_from(iq), c->xmpp_full) != 0) {
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: answer %s from %s, not %s: "
                 "ignored", c->sid, id,
                 xmpp_stanza_get_from(iq) ? xmpp_stanza_get_from(iq) : "-",
                 c->xmpp_full);
        return;
    }
    if (c != NULL && g_strcmp0(xmpp_stanza_get_type(iq), "error") == 0) {
        const char *cond = gw_stanza_error_condition(iq);
        int status = gw_errmap_xmpp_to_sip_call(cond);

        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: the XMPP client refused "
                 "our request (%s)", c->sid, cond ? cond : "no condition");
        /* the peer does not know the session any more: end it quietly */
        g_clear_pointer(&c->xmpp_full, g_free);
        call_end(c, NULL, status, NULL);
    }
    g_hash_table_remove(b->iq_ids, id);
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
        if (id == NULL || !g_str_has_prefix(id, "gwj-"))
            return FALSE;
        on_iq_answer(b, iq);
        return TRUE;
    }
    j = jingle_of(iq);
    if (j == NULL || g_strcmp0(type, "set") != 0)
        return FALSE;
    action = xmpp_stanza_get_attribute(j, "action");
    sid = xmpp_stanza_get_attribute(j, "sid");
    if (action == NULL || sid == NULL) {
        iq_error(b, iq, "bad-request", NULL, "jingle without action or sid");
        return TRUE;
    }
    if (strcmp(action, "session-initiate") == 0) {
        on_session_initiate(b, iq, j);
        return TRUE;
    }
    c = g_hash_table_lookup(b->calls, sid);
    if (c == NULL || (c->xmpp_full != NULL &&
                      g_strcmp0(c->xmpp_full, xmpp_stanza_get_from(iq)) != 0)) {
        iq_error(b, iq, "item-not-found", "unknown-session", NULL);
        return TRUE;
    }
    if (strcmp(action, "session-terminate") == 0) {
        const char *r = reason_of(j);
        iq_result(b, iq);
        CALL_LOG(G_LOG_LEVEL_INFO, c, "call %s: %s hangs up (%s)", sid,
                 xmpp_stanza_get_from(iq), r ? r : "no reason");
        call_end(c, NULL, gw_errmap_jingle_to_sip(r), NULL);
    } else if (strcmp(action, "session-accept") == 0) {
        on_session_accept(b, iq, c);
    } else if (strcmp(action, "transport-info") == 0) {
        on_transport_info(b, iq, c);
    } else if (strcmp(action, "session-info") == 0) {
        on_session_info(b, iq, j, c);
    } else {
        /* content-add, transport-replace ...: not bridged */
        iq_error(b, iq, "feature-not-implemented", "unsupported-info",
                 "this gateway carries audio calls only");
    }
    return TRUE;
}

/* ---- life cycle -------------------------------------------------------- */

static void
end_all(GwCallBridge *b, const char *reason, int sip_status, const char *text)
{
    GList *calls = g_hash_table_get_values(b->calls);

    for (GList *l = calls; l != NULL; l = l->next)
        call_end(l->data, reason, sip_status, text);
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
    b->serials = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                       NULL);
    b->iq_ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      g_free);
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
    g_hash_table_unref(b->serials);
    g_hash_table_unref(b->iq_ids);
    g_hash_table_unref(b->attempts);
    g_free(b);
}

void
gw_call_bridge_get_stats(const GwCallBridge *b, GwCallStats *stats)
{
    *stats = b->stats;
    stats->calls = g_hash_table_size(b->calls);
}
