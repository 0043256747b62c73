/* gateway/bridge/message_bridge.c: text messages both ways.
 *
 * XMPP -> SIP                              SIP -> XMPP
 *  <message> from alice/res                 MESSAGE from sip:1001@pbx
 *   | map sender (XMPP user) + target        | trusted source (router)
 *   | ACL, rate, size, pending bound         | type, size, charset, mapping
 *   v                                        v
 *  MESSAGE from alice's SIP identity        <message> from 1001@component
 *   | 2xx -> <received/> if asked            | + a ping to the recipient's
 *   | 3xx-6xx/timeout -> error stanza        |   domain behind it (link)
 *   v   (error_map.c)                        | error for it first -> mapped
 *                                            |   (480 offline, 404 ...)
 *                                            | ping answered -> 200 OK
 *                                            | link down / lost -> 503
 *                                            | no answer in time -> 504
 *
 * Principle (DESIGN.md 5): every accepted message ends in exactly one of
 * delivered or an error its sender sees. A SIP MESSAGE is answered 2xx only
 * once the XMPP server has routed its stanza without bouncing it: the link
 * confirms it when the server answers a ping written after it
 * (xmpp_link.c), and a bounce, coming back on the same stream, is read
 * before that answer. A 2xx says the server accepted the message for the
 * recipient (handed to her online resources, or stored if the server does
 * that); not that a client has displayed it. A bounce after the
 * confirmation (a client's own error, a session that dies with it unsent)
 * can no longer change the answer: it is logged. A MESSAGE whose fate is
 * unknown gets 503 or 504, never 2xx: its sender may send it again, so the
 * recipient may see it twice but never miss one answered 2xx.
 *
 * Bodies (text/plain in any charset, message/cpim, isComposing) are read
 * and written by the pure core/msgbody.c; stanzas are built by stanza.c.
 */
#define G_LOG_DOMAIN "gw-msg"

#include "message_bridge.h"

#include <string.h>

#include "error_map.h"
#include "gw_error.h"
#include "gw_log.h"
#include "metrics.h"
#include "msgbody.h"
#include "stanza.h"

#define ACCEPTED_TYPES GW_CT_TEXT ", " GW_CT_CPIM ", " GW_CT_ISCOMPOSING
#define RECENT_MAX 4096

struct GwMsgBridge {
    const GwBridgeEnv *env;
    GwRateLimiter *rate;
    GwMsgStats stats;
    /* ids of stanzas we sent for SIP messages, to name a returning error */
    GHashTable *recent; /* id -> description */
    GQueue recent_order;
    /* SIP->XMPP messages not answered yet: stanza id -> InMsg (borrowed:
     * each is owned by its pending confirmation, see on_outcome()) */
    GHashTable *awaiting;
};

typedef struct {
    GwMsgBridge *bridge;
    char *id;        /* the XMPP message's id, or NULL */
    char *from_full; /* the XMPP sender */
    char *to_jid;    /* the component JID it was addressed to */
    char *sip_to;
    gboolean receipt;
    gboolean typing;
    gint64 arrived_us; /* monotonic, for /metrics */
    char *call_id;     /* of our MESSAGE, for logs */
} OutMsg;

typedef struct {
    GwMsgBridge *bridge;
    GwSipRequest *req; /* NULL once answered */
    char *id;          /* of its stanza; the key in bridge->awaiting */
    char *summary;     /* "sip:x -> alice@example.com", for logs */
    char *call_id;     /* of their MESSAGE, for logs */
    gint64 arrived_us; /* monotonic, for /metrics */
    gboolean typing;   /* an isComposing, counted apart from messages */
} InMsg;

static void
out_msg_free(OutMsg *m)
{
    g_free(m->id);
    g_free(m->from_full);
    g_free(m->to_jid);
    g_free(m->sip_to);
    g_free(m->call_id);
    g_free(m);
}

/* A log line of one message, with its correlation ids as structured
 * fields (journald fields; " CALL_ID=... STANZA_ID=..." on stderr): the
 * SIP Call-ID and the XMPP stanza id, so that one message can be followed
 * through both sides. Never NULL values. */
#define MSG_LOG(level, call_id, stanza_id, ...)                                \
    do {                                                                   \
        if (GW_LOG_ON(level))                                              \
            g_log_structured(G_LOG_DOMAIN, (level), "GW_CALL_ID",          \
                             (call_id) ? (call_id) : "-", "GW_STANZA_ID",  \
                             (stanza_id) ? (stanza_id) : "-", "MESSAGE",   \
                             __VA_ARGS__);                                 \
    } while (0)

/* For /metrics: a message (or a typing notification) ended with `status`,
 * the SIP final answer it got or was given. */
static void
count(GwDirection dir, gboolean typing, int status, gint64 arrived_us)
{
    if (typing)
        gw_metrics.typing[dir]++;
    else
        gw_metrics_message(dir, status, arrived_us, g_get_monotonic_time());
}

/* ---- XMPP -> SIP ------------------------------------------------------- */

static gboolean answer_bounce(GwMsgBridge *b, const char *id,
                              xmpp_stanza_t *error, const char *condition);

static void
bounce(GwMsgBridge *b, xmpp_stanza_t *stanza, const GError *error)
{
    GwStanzaError e;

    gw_errmap_from_gerror(error, &e, NULL, NULL);
    gw_xmpp_link_send_text(b->env->xmpp,
                         gw_stanza_error_reply(stanza, NULL, &e,
                                               error->message));
}

static void
send_receipt(GwMsgBridge *b, const OutMsg *m)
{
    gw_xmpp_link_send_text(b->env->xmpp,
                           gw_stanza_receipt(m->to_jid, m->from_full, m->id));
}

static void
send_bounce(GwMsgBridge *b, const OutMsg *m, int status, const char *phrase)
{
    GwStanzaError e = gw_errmap_sip_to_xmpp(status);
    g_autofree char *text = g_strdup_printf("SIP %d %s", status,
                                            phrase ? phrase : "");

    gw_xmpp_link_send_text(b->env->xmpp,
                         gw_stanza_error_build("message", m->to_jid,
                                               m->from_full, m->id, &e, text));
}

static void
on_sip_result(int status, const char *phrase, gpointer data)
{
    OutMsg *m = data;
    GwMsgBridge *b = m->bridge;

    b->stats.pending_sip--;
    if (b->stats.pending_sip <= b->env->config->limits.max_inflight_sip / 2)
        gw_xmpp_link_pause_input(b->env->xmpp, FALSE);
    count(GW_DIR_XMPP_TO_SIP, m->typing, status, m->arrived_us);
    if (status >= 200 && status < 300) {
        b->stats.xmpp_to_sip_ok++;
        if (!m->typing)
            MSG_LOG(G_LOG_LEVEL_INFO, m->call_id, m->id, "XMPP->SIP %s -> %s: %d %s",
                    m->from_full, m->sip_to, status, phrase);
        if (m->receipt && m->id != NULL && !m->typing)
            send_receipt(b, m);
    } else {
        b->stats.xmpp_to_sip_failed++;
        if (m->typing) {
            MSG_LOG(G_LOG_LEVEL_DEBUG, m->call_id, m->id,
                    "typing notification %s -> %s: %d %s", m->from_full,
                    m->sip_to, status, phrase);
        } else {
            MSG_LOG(G_LOG_LEVEL_INFO, m->call_id, m->id,
                    "XMPP->SIP %s -> %s failed: %d %s", m->from_full,
                    m->sip_to, status, phrase);
            send_bounce(b, m, status, phrase);
        }
    }
    out_msg_free(m);
}

/* Checks and maps an XMPP message; on success fills m. */
static gboolean
admit_xmpp(GwMsgBridge *b, xmpp_stanza_t *stanza, const char *body,
           OutMsg *m, char **sip_from, GError **error)
{
    const GwBridgeEnv *env = b->env;
    const GwConfig *cfg = env->config;
    const char *from = xmpp_stanza_get_from(stanza);
    const char *to = xmpp_stanza_get_to(stanza);
    g_autoptr(MapResult) sender = NULL;
    g_autoptr(MapResult) target = NULL;
    g_autofree char *local = NULL, *dest = NULL;
    g_autoptr(GError) map_error = NULL;

    if (from == NULL || to == NULL) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "message without from or to");
        return FALSE;
    }
    if (env->stopping) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_SHUTDOWN,
                            "the gateway is shutting down; try again soon");
        return FALSE;
    }
    sender = gw_env_lookup_user_jid(env, from, &map_error);
    if (sender == NULL || sender->kind != MAP_KIND_XMPP_USER) {
        g_set_error(error, GW_ERROR, GW_ERROR_FORBIDDEN,
                    "sender '%.64s' has no SIP identity%s%s", from,
                    map_error ? ": " : "",
                    map_error ? map_error->message : "");
        return FALSE;
    }
    target = map_table_lookup_jid(env->map, to, &map_error);
    if (target == NULL) {
        g_propagate_prefixed_error(error, g_steal_pointer(&map_error),
                                   "cannot reach '%.64s': ", to);
        return FALSE;
    }
    if (target->kind == MAP_KIND_XMPP_USER) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "'%.64s' is not a SIP address", to);
        return FALSE;
    }
    if (!map_jid_split(target->jid, &local, NULL, NULL, NULL) ||
        local == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "'%.64s' is the gateway itself, not a SIP address", to);
        return FALSE;
    }
    dest = map_jid_unescape(local);
    if (!gw_config_allows_message(cfg, sender->jid, dest)) {
        g_set_error(error, GW_ERROR, GW_ERROR_FORBIDDEN,
                    "%.64s may not send messages to '%.64s'", sender->jid,
                    dest);
        return FALSE;
    }
    if (body != NULL && strlen(body) > cfg->limits.max_message_bytes) {
        g_set_error(error, GW_ERROR, GW_ERROR_TOO_LARGE,
                    "message of %zu bytes is above the limit of %u",
                    strlen(body), cfg->limits.max_message_bytes);
        return FALSE;
    }
    if (!gw_rate_limiter_take(b->rate, sender->jid,
                              cfg->security.xmpp_rate,
                              cfg->security.xmpp_burst,
                              cfg->limits.max_rate_entries,
                              g_get_monotonic_time())) {
        gw_metrics.rate_limited[GW_SIDE_XMPP]++;
        g_set_error(error, GW_ERROR, GW_ERROR_RATE_LIMITED,
                    "too many messages from %.64s; slow down", sender->jid);
        return FALSE;
    }
    if (b->stats.pending_sip >= cfg->limits.max_pending_sip) {
        g_set_error(error, GW_ERROR, GW_ERROR_OVERLOAD,
                    "gateway busy: %u messages awaiting the SIP side",
                    b->stats.pending_sip);
        return FALSE;
    }
    m->from_full = g_strdup(from);
    m->to_jid = g_strdup(target->jid);
    m->sip_to = gw_env_peer_uri(env, sender->jid, target->sip_uri);
    *sip_from = g_strdup(sender->sip_uri);
    return TRUE;
}

void
gw_msg_bridge_from_xmpp(GwMsgBridge *b, xmpp_stanza_t *stanza)
{
    const char *type = xmpp_stanza_get_type(stanza);
    g_autofree char *body = NULL, *sip_from = NULL, *payload = NULL;
    const char *chat_state;
    g_autoptr(GError) error = NULL;
    OutMsg *m;

    if (type != NULL && strcmp(type, "error") == 0) {
        const char *id = xmpp_stanza_get_id(stanza);
        const char *what = id ? g_hash_table_lookup(b->recent, id) : NULL;
        const char *cond = gw_stanza_error_condition(stanza);

        if (id != NULL && answer_bounce(b, id, stanza, cond))
            return;
        g_warning("XMPP error '%s' from %s for %s",
                  cond ? cond : "unknown",
                  xmpp_stanza_get_from(stanza) ? xmpp_stanza_get_from(stanza)
                                               : "?",
                  what ? what : "a message we sent");
        return;
    }
    if (type != NULL && strcmp(type, "headline") == 0)
        return; /* RFC 6121 5.2.2: never answered with an error */

    body = gw_stanza_child_text(stanza, "body");
    chat_state = gw_stanza_chat_state(stanza);
    if (body == NULL && chat_state == NULL)
        return; /* receipts, markers ...: nothing SIP can carry */
    if (type != NULL && strcmp(type, "groupchat") == 0) {
        g_set_error_literal(&error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "groupchat messages are not bridged to SIP");
        bounce(b, stanza, error);
        return;
    }

    m = g_new0(OutMsg, 1);
    m->bridge = b;
    m->arrived_us = g_get_monotonic_time();
    if (!admit_xmpp(b, stanza, body, m, &sip_from, &error)) {
        int status;

        gw_errmap_from_gerror(error, NULL, &status, NULL);
        count(GW_DIR_XMPP_TO_SIP, body == NULL, status, m->arrived_us);
        out_msg_free(m);
        if (body != NULL) {
            MSG_LOG(G_LOG_LEVEL_INFO, NULL, xmpp_stanza_get_id(stanza),
                   "XMPP->SIP refused from %s to %s: %s",
                   xmpp_stanza_get_from(stanza)
                       ? xmpp_stanza_get_from(stanza) : "?",
                   xmpp_stanza_get_to(stanza) ? xmpp_stanza_get_to(stanza)
                                              : "?",
                   error->message);
            bounce(b, stanza, error);
            b->stats.xmpp_to_sip_failed++;
        }
        return; /* a refused typing notification is dropped quietly */
    }
    m->id = g_strdup(xmpp_stanza_get_id(stanza));
    m->receipt = gw_stanza_child(stanza, "request", GW_NS_RECEIPTS) != NULL;
    m->typing = body == NULL;
    b->stats.pending_sip++;
    if (b->stats.pending_sip >= b->env->config->limits.max_inflight_sip)
        gw_xmpp_link_pause_input(b->env->xmpp, TRUE);
    if (m->typing) {
        payload = gw_msgbody_iscomposing_build(chat_state);
        m->call_id = g_strdup(gw_sip_ua_send_message(
            b->env->sip, sip_from, m->sip_to, GW_CT_ISCOMPOSING, payload,
            on_sip_result, m));
    } else {
        m->call_id = g_strdup(gw_sip_ua_send_message(
            b->env->sip, sip_from, m->sip_to, GW_CT_TEXT ";charset=UTF-8", body,
            on_sip_result, m));
    }
}

/* ---- SIP -> XMPP ------------------------------------------------------- */

static void
remember(GwMsgBridge *b, const char *id, char *description)
{
    if (g_queue_get_length(&b->recent_order) >= RECENT_MAX) {
        char *old = g_queue_pop_head(&b->recent_order);
        g_hash_table_remove(b->recent, old);
        g_free(old);
    }
    {
        char *key = g_strdup(id);
        g_hash_table_replace(b->recent, key, description);
        g_queue_push_tail(&b->recent_order, key);
    }
}

static void
in_msg_answer(InMsg *im, int status, const char *phrase, guint retry_after)
{
    count(GW_DIR_SIP_TO_XMPP, im->typing, status, im->arrived_us);
    g_hash_table_remove(im->bridge->awaiting, im->id);
    gw_sip_request_respond(im->req, status, phrase, retry_after, NULL);
    im->req = NULL;
}

/* The link's verdict on the stanza; runs exactly once per message. */
static void
on_outcome(GwXmppOutcome outcome, gpointer data)
{
    InMsg *im = data;
    GwMsgBridge *b = im->bridge;

    b->stats.pending_xmpp--;
    if (im->req == NULL) {
        /* answered already: bounced before the server confirmed it */
    } else if (outcome == GW_XMPP_CONFIRMED) {
        b->stats.sip_to_xmpp_ok++;
        MSG_LOG(G_LOG_LEVEL_INFO, im->call_id, im->id,
                "SIP->XMPP %s: taken by the XMPP server", im->summary);
        in_msg_answer(im, 200, "OK", 0);
    } else {
        g_autoptr(GError) error = NULL;
        int status;
        const char *phrase;

        if (outcome == GW_XMPP_LOST)
            error = g_error_new_literal(
                GW_ERROR, GW_ERROR_LINK_DOWN,
                "XMPP link lost before the server confirmed the message");
        else
            error = g_error_new(
                GW_ERROR, GW_ERROR_TIMEOUT,
                "the XMPP server did not confirm the message within %u ms",
                b->env->config->xmpp.confirm_timeout_ms);
        gw_errmap_from_gerror(error, NULL, &status, &phrase);
        b->stats.sip_to_xmpp_refused++;
        MSG_LOG(G_LOG_LEVEL_WARNING, im->call_id, im->id,
                "SIP->XMPP %s: %s; answered %d", im->summary,
                  error->message, status);
        in_msg_answer(im, status, phrase, status == 503 ? 5 : 0);
    }
    g_free(im->id);
    g_free(im->summary);
    g_free(im->call_id);
    g_free(im);
}

/* An error for a stanza of ours that the server has not confirmed yet:
 * it came back before the answer to the ping behind it, so it is this
 * message's fate. FALSE if the id is not one of those. */
static gboolean
answer_bounce(GwMsgBridge *b, const char *id, xmpp_stanza_t *error,
              const char *condition)
{
    InMsg *im = g_hash_table_lookup(b->awaiting, id);
    const char *phrase;
    int status;

    if (im == NULL)
        return FALSE;
    status = gw_errmap_xmpp_to_sip_message(condition, &phrase);
    b->stats.sip_to_xmpp_refused++;
    MSG_LOG(G_LOG_LEVEL_INFO, im->call_id, im->id,
            "SIP->XMPP %s: XMPP error '%s' from %s; answered %d %s",
           im->summary, condition ? condition : "unknown",
           xmpp_stanza_get_from(error) ? xmpp_stanza_get_from(error) : "?",
           status, phrase);
    in_msg_answer(im, status, phrase, status == 503 ? 5 : 0);
    return TRUE;
}

/* The domain part of a JID, (transfer full). */
static char *
jid_domain(const char *jid)
{
    const char *at = strchr(jid, '@');
    const char *d = at != NULL ? at + 1 : jid;

    return g_strndup(d, strcspn(d, "/"));
}

static void
refuse(GwSipRequest *req, const GwSipIncoming *in, const GError *error,
       gboolean typing, gint64 arrived_us)
{
    int status;
    const char *phrase;

    gw_errmap_from_gerror(error, NULL, &status, &phrase);
    count(GW_DIR_SIP_TO_XMPP, typing, status, arrived_us);
    MSG_LOG(G_LOG_LEVEL_INFO, in->call_id, NULL,
            "SIP->XMPP from %s (%s) to %s refused: %d %s: %s", in->from_uri,
           in->source, in->request_uri, status, phrase, error->message);
    gw_sip_request_respond(req, status, phrase,
                           status == 503 ? 5 : 0,
                           status == 415 ? ACCEPTED_TYPES : NULL);
}

/* Maps From and the target; the target is the Request-URI, or To when a
 * proxy has rewritten the Request-URI to the gateway's own contact. */
static gboolean
map_sip_parties(GwMsgBridge *b, const GwSipIncoming *in, MapResult **from,
                MapResult **to, GError **error)
{
    g_autoptr(MapResult) f = NULL, t = NULL;
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

    t = gw_env_lookup_target_sip(b->env, in->request_uri, &e1);
    if (t == NULL || t->kind != MAP_KIND_XMPP_USER) {
        g_clear_pointer(&t, map_result_free);
        t = gw_env_lookup_target_sip(b->env, in->to_uri, &e2);
    }
    if (t != NULL && t->kind != MAP_KIND_XMPP_USER)
        g_clear_pointer(&t, map_result_free);
    /* the sender first (403 before 404), read for her when she is known */
    f = gw_env_lookup_peer_sip(b->env, t != NULL ? t->jid : NULL,
                               in->from_uri, &e3);
    if (f == NULL || f->kind == MAP_KIND_XMPP_USER) {
        g_set_error(error, GW_ERROR, GW_ERROR_FORBIDDEN,
                    "sender '%.64s' %s", in->from_uri,
                    f ? "claims an XMPP user's identity"
                      : e3->message);
        return FALSE;
    }
    if (t == NULL) {
        /* RFC 3261 21.4.5: 404 also for a domain we do not serve */
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "'%.64s' is not an XMPP user%s%s", in->to_uri,
                    e2 ? ": " : "", e2 ? e2->message : "");
        return FALSE;
    }
    *from = g_steal_pointer(&f);
    *to = g_steal_pointer(&t);
    return TRUE;
}

static GString *
build_chat(const MapResult *from, const MapResult *to, const char *id,
           const GwSipIncoming *in, const char *text, const char *state)
{
    GString *x = gw_stanza_begin("message", "chat", from->jid, to->jid, id);

    if (text != NULL) {
        g_string_append(x, "<body>");
        gw_xml_append_escaped(x, text);
        g_string_append(x, "</body>");
        if (in->from_display != NULL && *in->from_display != '\0') {
            g_autofree char *nick = g_strdup(in->from_display);
            g_strstrip(g_strdelimit(nick, "\"", ' '));
            if (*nick != '\0' && gw_xml_text_ok(nick, strlen(nick))) {
                g_string_append(x, "<nick xmlns='" GW_NS_NICK "'>");
                gw_xml_append_escaped(x, nick);
                g_string_append(x, "</nick>");
            }
        }
    }
    if (state != NULL)
        g_string_append_printf(x, "<%s xmlns='" GW_NS_CHATSTATES "'/>", state);
    gw_stanza_end(x, "message");
    return x;
}

void
gw_msg_bridge_from_sip(GwMsgBridge *b, GwSipRequest *req,
                       const GwSipIncoming *in)
{
    const GwConfig *cfg = b->env->config;
    g_autoptr(GError) error = NULL;
    g_autoptr(MapResult) from = NULL, to = NULL;
    g_autoptr(GwMsgBody) content = NULL;
    g_autofree char *id = NULL, *domain = NULL;
    g_autoptr(GString) xml = NULL;
    InMsg *im;
    gint64 arrived_us = g_get_monotonic_time();

    if (in->body_len > cfg->limits.max_message_bytes) {
        g_set_error(&error, GW_ERROR, GW_ERROR_TOO_LARGE,
                    "body of %zu bytes is above the limit of %u",
                    in->body_len, cfg->limits.max_message_bytes);
        goto refused;
    }
    if (in->body == NULL || in->body_len == 0) {
        g_set_error_literal(&error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "MESSAGE without a body");
        goto refused;
    }
    if (in->content_type == NULL) {
        g_set_error_literal(&error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "MESSAGE body without Content-Type");
        goto refused;
    }
    /* text/plain (any charset), message/cpim around it, isComposing */
    content = gw_msgbody_read(in->content_type, in->charset, in->body,
                              in->body_len, &error);
    if (content == NULL)
        goto refused;
    if (!map_sip_parties(b, in, &from, &to, &error))
        goto refused;
    if (!gw_xmpp_link_is_up(b->env->xmpp)) {
        g_set_error_literal(&error, GW_ERROR, GW_ERROR_LINK_DOWN,
                            "XMPP link is down");
        goto refused;
    }
    if (b->stats.pending_xmpp >= cfg->limits.max_pending_xmpp) {
        g_set_error(&error, GW_ERROR, GW_ERROR_OVERLOAD,
                    "%u messages already awaiting the XMPP stream",
                    b->stats.pending_xmpp);
        goto refused;
    }

    id = gw_stanza_new_id();
    xml = build_chat(from, to, id, in, content->text, content->chat_state);
    domain = jid_domain(to->jid);
    im = g_new0(InMsg, 1);
    im->bridge = b;
    im->req = req;
    im->arrived_us = arrived_us;
    im->typing = content->text == NULL;
    im->summary = g_strconcat(in->from_uri, " -> ", to->jid, NULL);
    im->call_id = g_strdup(in->call_id);
    if (!gw_xmpp_link_send_confirmed(b->env->xmpp, xml->str, xml->len, domain,
                                     on_outcome, im, &error)) {
        g_free(im->summary);
        g_free(im->call_id);
        g_free(im);
        goto refused;
    }
    im->id = g_steal_pointer(&id);
    g_hash_table_insert(b->awaiting, im->id, im);
    b->stats.pending_xmpp++;
    if (content->text != NULL)
        remember(b, im->id, g_strconcat("SIP MESSAGE ", im->summary, NULL));
    return;

refused:
    b->stats.sip_to_xmpp_refused++;
    refuse(req, in, error, content != NULL && content->text == NULL, arrived_us);
}

/* ---- life cycle -------------------------------------------------------- */

GwMsgBridge *
gw_msg_bridge_new(const GwBridgeEnv *env, GwRateLimiter *rate)
{
    GwMsgBridge *b = g_new0(GwMsgBridge, 1);

    b->env = env;
    b->rate = rate;
    b->recent = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_queue_init(&b->recent_order);
    b->awaiting = g_hash_table_new(g_str_hash, g_str_equal);
    return b;
}

void
gw_msg_bridge_free(GwMsgBridge *b)
{
    if (b == NULL)
        return;
    g_hash_table_unref(b->recent);
    g_queue_clear_full(&b->recent_order, g_free);
    g_hash_table_unref(b->awaiting);
    g_free(b);
}

void
gw_msg_bridge_get_stats(const GwMsgBridge *b, GwMsgStats *stats)
{
    *stats = b->stats;
}
