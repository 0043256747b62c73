/* gateway/sip/sip_message.c: MESSAGE (RFC 3428) both ways, without a kept
 * transaction.
 *
 * Received: a MESSAGE answered through nta would keep its server
 * transaction, ~10 KiB, for timer J (64*T1 = 32 s) over UDP: 330 MiB at
 * 1,000/s. Here nta hands MESSAGEs over without a transaction, and the
 * memo (dedup.h) keeps ~11-14 bytes per UDP request instead, for the same
 * time (up to 1/8 longer), keyed by the transaction identity of RFC 3261
 * 17.2.3:
 *   new: kept as pending, given to the router as any other request;
 *   retransmitted while pending (Trying): dropped, as 17.2.2 says;
 *   retransmitted once answered (Completed): the same answer again
 *     (status, Retry-After, Accept, the same To tag), never a second
 *     delivery; a 401 is not kept (its retransmission is challenged
 *     afresh: nothing was delivered);
 *   over TCP/TLS nothing is retransmitted (17.1.2.2; timer J is 0):
 *     nothing is kept.
 * Over UDP the answer is written and sent here (sip_udp_answer.c), and a
 * waiting MESSAGE keeps only the lines of its answer; over TCP/TLS nta
 * answers on the connection, from the request or its answer_only_copy().
 *
 * Sent: a transaction while the request is unanswered (nta retransmits,
 * times out, resolves), and nothing once it is (T4 is ~0, sip_agent.c).
 * A body too large for [sip] udp_mtu goes over TCP (UDP if refused); a
 * digest challenge is answered once with [sip] credentials; the request
 * goes to [sip] outbound_proxy when set.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include "num_text.h"

#include <string.h>

#include <sofia-sip/nta_stateless.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>

/* The memo holds at most this many (~11-14 bytes each: ~14 MiB); above
 * it the oldest go before timer J. */
#define MEMO_MAX_ENTRIES (1u << 20)
#define MEMO_SWEEP_S 2
/* Held requests above which a waiting MESSAGE keeps only what its answer
 * needs (answer_only_copy) */
#define COPY_ABOVE 256
/* A memo value: status (10 bits), Retry-After (20 bits), Accept (1 bit) */
#define MEMO_STATUS(v) ((v) & 0x3ff)
#define MEMO_RETRY(v) (((v) >> 10) & 0xfffff)
#define MEMO_ACCEPT(v) (((v) >> 30) & 1)

/* ---- received ---------------------------------------------------------- */

static guint64
memo_key(sip_t const *sip)
{
    sip_via_t const *v = sip->sip_via;
    const char *branch = v != NULL ? v->v_branch : NULL;
    char cseq[16];

    if (branch != NULL && g_ascii_strncasecmp(branch, "z9hG4bK", 7) == 0) {
        const char *parts[] = {"3261", branch, v->v_host, v->v_port};
        return gw_dedup_hash(parts, G_N_ELEMENTS(parts));
    } else {
        /* RFC 2543 peers: 17.2.3's second rule */
        const char *parts[] = {"2543", sip->sip_call_id->i_id, cseq,
                               sip->sip_from->a_tag, sip->sip_to->a_tag,
                               v != NULL ? v->v_host : NULL,
                               v != NULL ? v->v_port : NULL, branch,
                               sip->sip_request->rq_url->url_user,
                               sip->sip_request->rq_url->url_host};
        g_snprintf(cseq, sizeof cseq, "%u", sip->sip_cseq->cs_seq);
        return gw_dedup_hash(parts, G_N_ELEMENTS(parts));
    }
}

/* Our To tag for every answer to the request of memo key `key` (RFC 3261
 * 8.2.6.2): 16 hex digits. */
static void
to_tag_of(GwSipUa *ua, guint64 key, char tag[17])
{
    gw_num_hex16((key ^ ua->tag_salt) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15),
                 tag);
}

/* The answer's own header lines for sip_udp_answer_send(), as pieces of
 * text into `lines` (NULL-terminated, at most 16): no allocation and no
 * printf, for the Server line goes into every answer to a trusted source.
 * The values are ours ([sip] user_agent holds no control character:
 * config/gw_config.c). */
static void
udp_extras(const GwConfig *cfg, int status, const char *retry_after,
           const char *accept, const char *challenge, gboolean server,
           const char *lines[16])
{
    guint n = 0;

    if (retry_after != NULL) {
        lines[n++] = "Retry-After: ";
        lines[n++] = retry_after;
        lines[n++] = "\r\n";
    }
    if (accept != NULL) {
        lines[n++] = "Accept: ";
        lines[n++] = accept;
        lines[n++] = "\r\n";
    }
    if (challenge != NULL) {
        lines[n++] = "WWW-Authenticate: ";
        lines[n++] = challenge;
        lines[n++] = "\r\n";
    }
    if (status == 405)
        lines[n++] = "Allow: " SIP_ALLOW "\r\n";
    if (server && cfg->sip.user_agent != NULL) {
        lines[n++] = "Server: ";
        lines[n++] = cfg->sip.user_agent;
        lines[n++] = "\r\n";
    }
    lines[n] = NULL;
}

/* Answers a MESSAGE without a transaction. Over UDP, from `udp` (the lines
 * kept when it was taken), or from msg while nta delivers it
 * (sip_udp_answer.c); else nta answers from msg, which tport (or NULL:
 * the one delivering it now) carries. Takes msg (NULL with udp). server:
 * name the software (a trusted source). */
static void
stateless_reply(GwSipUa *ua, msg_t *msg, sip_t const *sip, tport_t *tport,
                const SipUdpAnswer *udp, guint64 key, int status,
                const char *phrase, guint retry_after, const char *accept,
                const char *challenge, gboolean server)
{
    const GwConfig *cfg = ua->config;
    sip_to_t *to = NULL;
    SipUdpAnswer *own = NULL;
    char num[GW_NUM_TEXT_SIZE], tag[17];
    const char *ra = retry_after > 0 ? gw_num_decimal(retry_after, num) : NULL;

    sip_count_answer(sip_method_message, status);
    if (udp == NULL) {
        /* udp has the tag in its To line already */
        to_tag_of(ua, key, tag);
        if (msg != NULL)
            udp = own = sip_udp_answer_new(ua, msg, sip, tag);
    }
    if (udp != NULL) {
        const char *lines[16];

        udp_extras(cfg, status, ra, accept, challenge, server, lines);
        sip_udp_answer_send(udp, status, phrase, lines);
        sip_udp_answer_free(own);
        if (msg != NULL)
            msg_destroy(msg);
        return;
    }
    g_return_if_fail(msg != NULL);
    if (status > 100 && sip->sip_to != NULL && sip->sip_to->a_tag == NULL) {
        to = sip_to_dup(msg_home(msg), sip->sip_to);
        if (to != NULL)
            sip_to_tag(msg_home(msg), to, tag);
    }
    nta_msg_treply(
        ua->agent, msg, status, phrase, TAG_IF(to != NULL, SIPTAG_TO(to)),
        TAG_IF(tport != NULL, NTATAG_TPORT(tport)),
        TAG_IF(ra != NULL, SIPTAG_RETRY_AFTER_STR(ra)),
        TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
        TAG_IF(challenge != NULL, SIPTAG_WWW_AUTHENTICATE_STR(challenge)),
        TAG_IF(status == 405, SIPTAG_ALLOW_STR(SIP_ALLOW)),
        TAG_IF(server && cfg->sip.user_agent != NULL,
               SIPTAG_SERVER_STR(cfg->sip.user_agent)),
        TAG_END());
}

void
sip_message_respond(GwSipRequest *req, int status, const char *phrase,
                    guint retry_after, const char *accept,
                    const char *challenge)
{
    GwSipUa *ua = req->ua;
    sip_t const *sip = req->msg != NULL ? sip_object(req->msg) : NULL;

    if (status < 200) {
        /* nothing provisional without a transaction; the final follows */
        return;
    }
    stateless_reply(ua, req->msg, sip, req->tport, req->udp_answer,
                    req->memo_key, status, phrase, retry_after, accept,
                    challenge, req->trusted);
    req->msg = NULL;
    if (req->memo_reliable) {
        /* nothing was kept (nothing is retransmitted over TCP/TLS) */
    } else if (status == 401) {
        gw_dedup_remove(ua->memo, req->memo_key);
    } else {
        guint32 v = (guint32)MIN(status, 0x3ff) |
                    (guint32)MIN(retry_after, 0xfffffu) << 10 |
                    (guint32)(accept != NULL) << 30;
        if (accept != NULL && g_strcmp0(accept, ua->memo_accept) != 0) {
            g_free(ua->memo_accept);
            ua->memo_accept = g_strdup(accept);
        }
        gw_dedup_set(ua->memo, req->memo_key, v);
    }
    sip_request_free(req);
}

/* What a MESSAGE nta will answer (not over UDP: sip_udp_answer.c) keeps
 * while it waits for the XMPP side: only what its answer
 * is made of (RFC 3261 8.2.6.2, and as nta's complete_response() copies
 * them: the request line, Via with the received/rport nta added, From,
 * To, Call-ID, CSeq, Record-Route) in a new message, instead of the whole
 * request (its receive buffer, body and every parsed header). A Sofia
 * message costs 1.5 KiB empty, so this saves less than it might: 4.0 ->
 * 3.2 KiB per waiting MESSAGE in all (tests/bench/bench_pending.py), the
 * body's size more for long ones. NULL: keep the request (no memory for
 * the copy). The copy costs ~4% of the CPU of a SIP->XMPP message (perf,
 * bench_messages --only a), for memory that matters only when thousands
 * wait: fewer than COPY_ABOVE held requests keep theirs whole (at most
 * ~0.2 MiB more). */
static msg_t *
answer_only_copy(GwSipUa *ua, sip_t const *sip)
{
    msg_t *copy = nta_msg_create(ua->agent, 0);
    sip_t *c = sip_object(copy);

    if (c == NULL ||
        sip_add_tl(copy, c, SIPTAG_REQUEST(sip->sip_request),
                   SIPTAG_VIA(sip->sip_via), SIPTAG_FROM(sip->sip_from),
                   SIPTAG_TO(sip->sip_to), SIPTAG_CALL_ID(sip->sip_call_id),
                   SIPTAG_CSEQ(sip->sip_cseq),
                   TAG_IF(sip->sip_record_route != NULL,
                          SIPTAG_RECORD_ROUTE(sip->sip_record_route)),
                   TAG_END()) < 0 ||
        c->sip_request == NULL || c->sip_via == NULL ||
        c->sip_from == NULL || c->sip_to == NULL || c->sip_call_id == NULL ||
        c->sip_cseq == NULL) {
        msg_destroy(copy);
        return NULL;
    }
    return copy;
}

void
sip_message_take(GwSipUa *ua, msg_t *msg, sip_t const *sip)
{
    gboolean keep;
    GwSipIncoming in = { 0 };
    GwIncomingText text;
    GwSipRequest *req;
    guint64 key = memo_key(sip);
    gint64 now = g_get_monotonic_time() / 1000;
    guint32 v;

    if (gw_dedup_lookup(ua->memo, key, now, &v)) {
        if (v == GW_DEDUP_PENDING) {
            msg_destroy(msg); /* Trying: absorbed */
        } else {
            /* Completed: the same answer; a 401 is never kept, so this
             * source was let in (or refused without naming us: 403) */
            int status = (int)MEMO_STATUS(v);
            stateless_reply(ua, msg, sip, NULL, NULL, key, status,
                            sip_status_phrase(status), MEMO_RETRY(v),
                            MEMO_ACCEPT(v) ? ua->memo_accept : NULL, NULL,
                            FALSE);
        }
        return;
    }
    if (ua->stopping) {
        stateless_reply(ua, msg, sip, NULL, NULL, key, 503,
                        "Gateway Shutting Down", 5, NULL, NULL, FALSE);
        return;
    }
    if (sip->sip_to->a_tag != NULL) {
        /* not in a dialog we keep MESSAGEs for */
        stateless_reply(ua, msg, sip, NULL, NULL, key, 481,
                        "Call/Transaction Does Not Exist", 0, NULL, NULL,
                        FALSE);
        return;
    }
    sip_incoming_fill(ua, &in, &text, sip, msg);
    req = sip_request_new(ua, &in, NULL);
    req->method = sip_method_message;
    req->memo_key = key;
    req->memo_reliable = strcmp(in.transport, "udp") != 0;
    if (!req->memo_reliable) {
        char tag[17];

        to_tag_of(ua, key, tag);
        req->udp_answer = sip_udp_answer_new(ua, msg, sip, tag);
    }
    if (req->udp_answer == NULL) {
        msg_t *copy = g_hash_table_size(ua->requests) >= COPY_ABOVE
                          ? answer_only_copy(ua, sip)
                          : NULL;
        req->msg = copy != NULL ? copy : msg;
        req->tport = nta_incoming_transport(ua->agent, NULL, msg);
    }
    /* the request itself goes on only as the one nta answers from */
    keep = req->msg == msg;
    if (!req->memo_reliable)
        gw_dedup_add(ua->memo, key, now);
    /* `in` borrows from the request: it lives until the router is done */
    sip_request_deliver(ua, req, &in); /* may answer (and free req) now */
    sip_incoming_text_clear(&text);
    if (!keep)
        msg_destroy(msg);
}

static gboolean
memo_sweep(gpointer data)
{
    GwSipUa *ua = data;

    gw_dedup_expire(ua->memo, g_get_monotonic_time() / 1000);
    return G_SOURCE_CONTINUE;
}

/* ---- sent -------------------------------------------------------------- */

typedef struct {
    GwSipUa *ua;
    nta_outgoing_t *orq;
    GwSipResultFunc func;
    gpointer data;
    guint idle_id;   /* reports a request that could not be created */
    guint32 cseq;
    gboolean auth_tried;
    gboolean over_tcp;    /* the last one went over TCP for its size */
    gboolean tcp_refused; /* ... which failed: UDP once more */
    char *call_id, *from, *to, *ruri, *content_type, *body;
} SipOut;

static int on_message_answer(nta_outgoing_magic_t *magic,
                             nta_outgoing_t *orq, sip_t const *sip);

static void
out_finish(SipOut *o, int status, const char *phrase)
{
    g_hash_table_remove(o->ua->outs, o);
    if (o->orq != NULL)
        nta_outgoing_destroy(o->orq);
    g_clear_handle_id(&o->idle_id, g_source_remove);
    if (o->func != NULL)
        o->func(status, phrase, o->data);
    g_free(o->call_id);
    g_free(o->from);
    g_free(o->to);
    g_free(o->ruri);
    g_free(o->content_type);
    g_free(o->body);
    g_free(o);
}

static gboolean
out_failed_idle(gpointer data)
{
    SipOut *o = data;

    o->idle_id = 0;
    out_finish(o, 503, "Cannot Create Request");
    return G_SOURCE_REMOVE;
}

/* (Re)sends with the next CSeq; auth: an Authorization (or, proxy_auth,
 * Proxy-Authorization) value. udp: nta's own choice of transport, after
 * TCP was refused. */
static gboolean
out_send(SipOut *o, const char *auth, gboolean proxy_auth, gboolean udp)
{
    GwSipUa *ua = o->ua;
    const GwConfig *cfg = ua->config;
    char cseq[32];
    gsize estimate;

    g_snprintf(cseq, sizeof cseq, "%u MESSAGE", ++o->cseq);
    estimate = strlen(o->body) + strlen(o->content_type) + strlen(o->ruri) +
               strlen(o->from) + strlen(o->to) + strlen(o->call_id) +
               (auth ? strlen(auth) : 0) +
               (cfg->sip.user_agent ? strlen(cfg->sip.user_agent) : 0);
    if (udp)
        estimate = 0; /* as nta decides */
    o->orq = sip_tcreate(
        ua, on_message_answer, o, sip_next_hop(ua, o->from), estimate,
        &o->over_tcp, SIP_METHOD_MESSAGE, o->ruri, NULL,
        SIPTAG_CALL_ID_STR(o->call_id), SIPTAG_CSEQ_STR(cseq),
        SIPTAG_FROM_STR(o->from), SIPTAG_TO_STR(o->to),
        SIPTAG_CONTENT_TYPE_STR(o->content_type),
        SIPTAG_PAYLOAD_STR(o->body),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_END());
    return o->orq != NULL;
}

static int
on_message_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                  sip_t const *sip)
{
    SipOut *o = (SipOut *)magic;
    gboolean internal = sip == NULL || (sip->sip_flags & SIP_NTA_MADE_IT);
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    o->orq = NULL;
    if (status == 503 && internal && o->over_tcp && !o->tcp_refused) {
        /* sent over TCP for its size, which the peer refused: UDP, as
         * nta's own fallback does */
        o->tcp_refused = TRUE;
        if (out_send(o, NULL, FALSE, TRUE))
            return 0;
    }
    if ((status == 401 || status == 407) && !o->auth_tried && sip != NULL) {
        g_autofree char *answer =
            sip_digest_answer(o->ua, sip, status, "MESSAGE", o->ruri);
        o->auth_tried = TRUE;
        if (answer != NULL) {
            gboolean sent =
                out_send(o, answer, status == 407, o->tcp_refused);
            memset(answer, 0, strlen(answer));
            if (sent)
                return 0;
        }
    }
    out_finish(o, status, phrase);
    return 0;
}

const char *
gw_sip_ua_send_message(GwSipUa *ua, const char *from_uri,
                       const char *to_uri, const char *content_type,
                       const char *body, GwSipResultFunc result,
                       gpointer user_data)
{
    SipOut *o = g_new0(SipOut, 1);
    char call_id[33], tag[17];

    sip_random_token(call_id);
    sip_random_token(call_id + 16);
    sip_random_token(tag);
    o->ua = ua;
    o->func = result;
    o->data = user_data;
    o->call_id = g_strdup(call_id);
    /* name-addr form: URI parameters stay the URI's (RFC 3261 20.10) */
    o->from = g_strconcat("<", from_uri, ">;tag=", tag, NULL);
    o->to = sip_name_addr(to_uri);
    o->ruri = g_strdup(to_uri);
    o->content_type = g_strdup(content_type);
    o->body = g_strdup(body != NULL ? body : "");
    o->cseq = 1 + (guint32)(sip_random64() % ((1u << 20) - 1));
    g_hash_table_add(ua->outs, o);
    if (ua->stopping || !out_send(o, NULL, FALSE, FALSE)) {
        /* reported from the loop, never inside the caller */
        o->idle_id = g_idle_add(out_failed_idle, o);
    }
    return o->call_id;
}

void
sip_message_fail_outgoing(GwSipUa *ua, int status, const char *phrase)
{
    while (g_hash_table_size(ua->outs) > 0) {
        GHashTableIter it;
        gpointer o;
        g_hash_table_iter_init(&it, ua->outs);
        g_hash_table_iter_next(&it, &o, NULL);
        out_finish(o, status, phrase);
    }
}

/* ---- life -------------------------------------------------------------- */

void
sip_message_init(GwSipUa *ua)
{
    ua->outs = g_hash_table_new(NULL, NULL);
    ua->memo = gw_dedup_new(ua->config->sip.transaction_timeout_ms,
                            MEMO_MAX_ENTRIES);
    ua->tag_salt = ((guint64)g_random_int() << 32) | g_random_int();
    ua->memo_sweep = g_timeout_add_seconds(MEMO_SWEEP_S, memo_sweep, ua);
}

void
sip_message_fini(GwSipUa *ua)
{
    if (ua->outs != NULL) {
        sip_message_fail_outgoing(ua, 503, "Gateway Shutting Down");
        g_hash_table_unref(ua->outs);
        ua->outs = NULL;
    }
    g_clear_handle_id(&ua->memo_sweep, g_source_remove);
    g_clear_pointer(&ua->memo, gw_dedup_free);
    g_clear_pointer(&ua->memo_accept, g_free);
}
