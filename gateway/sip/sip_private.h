/* gateway/sip/sip_private.h: what the files of the SIP agent share.
 * Nothing outside gateway/sip/ includes it.
 *
 * The agent is one nta agent (Sofia's transaction layer) on the configured
 * address; the dialogs above it are ours. Why not nua: nua keeps a handle,
 * a copied leg and a prepared NOTIFY per subscription (~20 KiB each) and a
 * ~10 KiB transaction per MESSAGE for timer J, and it hides its nta agent,
 * so a leaner path needed a second agent on a second port: two stacks for
 * one job, and the default one had the bugs. nta alone does what RFC 3261
 * puts in the transaction layer (retransmissions, timers, matching ACK and
 * CANCEL, 2xx retransmission until ACK in UA mode, ACK for non-2xx), and
 * the dialog layer here is small: a dialog is a few strings and two CSeqs.
 *
 *   sip_agent.c         the agent: listening, what comes in goes where,
 *                       the shared timer queue, sending, stop
 *   sip_incoming.c      what the router sees of a request; answering it
 *   sip_leg.c           dialog state (RFC 3261 12) shared by subscriptions
 *                       and calls: the table, requests inside a dialog
 *   sip_subscription.c  SUBSCRIBE/NOTIFY: served (SIP watchers) and ours
 *   sip_call.c          INVITE dialogs both ways
 *   sip_message.c       MESSAGE: stateless server (the memo) and client
 *   sip_udp_answer.c    ... its answers over UDP, written without nta
 *   sip_ntop.c          inet_ntop() for IPv4 without printf (for Sofia)
 *   sip_register.c      REGISTER: the gateway's address of record and
 *                       each XMPP user's account (one engine)
 *   sip_publish.c       PUBLISH of XMPP users' presence
 *
 *   request in --> on_agent_message (sip_agent.c)
 *     MESSAGE without To tag ......... sip_message_take(): no transaction
 *     ACK that nta did not match ..... dropped
 *     with a To tag .................. nta_incoming_create(); the dialog
 *                                      (sip_leg_find) -> its kind's handler;
 *                                      none: 481
 *     SUBSCRIBE / INVITE / OPTIONS ... nta_incoming_create(); the router
 *     anything else .................. 405 (Allow) or 481
 */
#pragma once

#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/tport.h>

#include "dedup.h"
#include "metrics.h"
#include "sip_ua.h"

G_BEGIN_DECLS

/* What we answer to OPTIONS and 405s. */
#define SIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, " \
                  "SUBSCRIBE, NOTIFY"
#define SIP_ACCEPT "application/sdp, application/pidf+xml, text/plain, " \
                   "message/cpim, application/im-iscomposing+xml"

/* sip_flags of a response nta made itself (503 for a transport error,
 * 408): NTA_INTERNAL_MSG of Sofia's nta_internal.h, not installed */
#define SIP_NTA_MADE_IT (1 << 15)

typedef struct SipUdpAnswer SipUdpAnswer;

/* ---- the shared timer queue (sip_agent.c) ------------------------------
 * Refreshes of our subscriptions, registration and publications: one
 * ordered sequence under one GLib timer (a GLib source each would make
 * every main-loop turn walk them all). */
typedef struct SipTimer SipTimer;
typedef void (*SipTimerFunc)(SipTimer *timer);
struct SipTimer {
    GSequenceIter *it; /* NULL: not armed */
    gint64 at;         /* monotonic, us */
    SipTimerFunc fire;
};
void sip_timer_arm(GwSipUa *ua, SipTimer *t, guint ms, SipTimerFunc fire);
void sip_timer_disarm(SipTimer *t);

/* ---- dialogs (sip_leg.c) ---------------------------------------------- */

typedef enum {
    LEG_SERVED = 1, /* a subscription we serve (GwSipDialog) */
    LEG_OURS,       /* a subscription we made (GwSipDialog) */
    LEG_CALL,       /* an INVITE dialog (GwSipCall) */
} LegKind;

typedef enum {
    SIP_TP_UDP,
    SIP_TP_TCP,
    SIP_TP_TLS,
} SipTransport;

/* The dialog state of RFC 3261 12.1: what a subscription or a call needs
 * to send and to recognise requests in its dialog. First member of
 * GwSipDialog and GwSipCall, so that the table holds either. */
typedef struct {
    LegKind kind;
    GwSipUa *ua;
    const char *key;     /* "Call-ID\nour tag": the table's key */
    const char *call_id; /* these four never change */
    const char *ltag;
    const char *local;   /* our URI (From of our requests) */
    const char *remote;  /* theirs (To of our requests) */
    const char *event;   /* subscriptions: Event of our requests */
    const char *accept;  /* ours: Accept of our SUBSCRIBEs, or NULL */
    char *rtag;          /* their tag, once known (pool) */
    char *target;        /* remote target: their Contact (pool) */
    char *route;         /* route set as a Route value, or NULL (pool) */
    guint32 lseq;        /* our last CSeq */
    guint32 rseq;        /* theirs */
    SipTransport transport; /* how the peer reached us: our Contact */
    gboolean rseq_known : 1;
    gboolean routed : 1;  /* the route set is fixed (RFC 3261 12.1) */
    gboolean in_table : 1;
} SipLeg;

/* One block holding `owner_size` bytes (the owner struct, SipLeg first)
 * and the fixed strings; `extra` more bytes are budgeted for the strings
 * that come later (target, route). NULL above SIP_MAX_DIALOG_BYTES.
 * event/accept: subscriptions' (NULL for none). The leg is in the table;
 * *size_out is the block's size for sip_leg_free(). */
#define SIP_MAX_DIALOG_BYTES 4096
gpointer sip_leg_new(GwSipUa *ua, LegKind kind, gsize owner_size,
                     const char *call_id, const char *ltag, const char *local,
                     const char *remote, const char *event,
                     const char *accept, gsize extra, gsize *size_out);
/* Out of the table, its strings and its block freed. */
void sip_leg_free(SipLeg *leg, gsize size);
/* The dialog of a request with a To tag; NULL: none (481). A request
 * whose From tag differs from the peer's once known is no match. */
SipLeg *sip_leg_find(GwSipUa *ua, sip_t const *sip);
/* Takes the peer's tag, target and route set from a request that creates
 * the dialog (route set as received, RFC 3261 12.1.1) or from a response
 * to ours (reversed, 12.1.2); a target refresh updates the target only. */
void sip_leg_establish(SipLeg *leg, sip_t const *sip, gboolean request);
void sip_leg_refresh_target(SipLeg *leg, sip_t const *sip);
/* Our Contact for this dialog, as the peer reached us. */
const char *sip_leg_contact(const SipLeg *leg);
/* A request in the dialog: Call-ID, CSeq (the next one; `cseq` > 0 for
 * an ACK that reuses its INVITE's), From/To with tags, the route set (a
 * strict router first, 12.2.1.1), our Contact on target refresh
 * requests. Without a route set it goes through [sip] outbound_proxy
 * when set. `estimate`/`over_tcp` as sip_tcreate() (0/NULL: nta picks).
 * Tags after `tag` are more headers. NULL if it could not be created;
 * callback NULL: nobody waits for the answer. */
nta_outgoing_t *sip_leg_request(SipLeg *leg, nta_response_f *callback,
                                gpointer magic, sip_method_t method,
                                const char *name, guint32 cseq,
                                gsize estimate, gboolean *over_tcp,
                                tag_type_t tag, tag_value_t value, ...);

/* ---- the agent (sip_agent.c) ------------------------------------------ */

struct GwSipUa {
    const GwConfig *config;
    GwSipRequestFunc on_request;
    gpointer user_data;
    GwSipAuthorizeFunc authorizer; /* accounts' credentials, or NULL */
    gpointer authorizer_data;
    GwSipHopFunc hop;              /* accounts' own registrars, or NULL */
    gpointer hop_data;

    su_root_t *root;
    nta_agent_t *agent;
    nta_leg_t *leg;       /* sends our requests; takes none */
    char *contact[3];     /* "<sip:host:port[;transport=...]>" by SipTransport */
    char *listen_host;    /* "127.0.0.1", "[::1]"; "0.0.0.0": every one */
    guint listen_port;
    guint tls_port;       /* 0: no TLS */
    int udp_fds[4];       /* our UDP sockets (raise_udp_rcvbuf), -1: none */
    guint n_udp_fds;
    tport_t *udp_tports[4]; /* ... the transport of each (NULL: unknown) */
    int udp_families[4];    /* ... and its address family */

    GHashTable *requests; /* GwSipRequest* set: awaiting an answer */
    GHashTable *dialogs;  /* SipLeg.key -> SipLeg* */
    GSequence *timers;    /* SipTimer* by `at` */
    guint timer_id;

    /* sip_message.c */
    GwDedup *memo;        /* stateless MESSAGEs: answers of retransmissions */
    guint memo_sweep;
    char *memo_accept;    /* the Accept of the last 415 (one per bridge) */
    guint64 tag_salt;     /* our To tags of stateless answers */
    GHashTable *outs;     /* SipOut*: MESSAGEs we sent, not answered yet */

    GwSipRegistration *reg; /* the gateway's own (sip_register.c), or NULL */
    char *reg_aor;          /* ... "user@domain", for its log lines */
    SipTimer reg_retry;     /* ... after a refusal: again in 5 min */
    void (*reg_stopped)(GwSipUa *ua);
    GHashTable *pubs;     /* GwSipPublication* set (sip_publish.c) */

    gboolean stopping;
    GSourceFunc stop_done;
    gpointer stop_data;
    guint stop_id;
    guint trim_id;
    GString *log_tail; /* Sofia log text up to its next newline */
};

struct GwSipRequest {
    GwSipUa *ua;
    nta_incoming_t *irq;    /* a request in a transaction nta keeps; or */
    msg_t *msg;             /* a MESSAGE taken without one; or */
    SipUdpAnswer *udp_answer; /* ... the lines of its answer (over UDP) */
    tport_t *tport;         /* ... the transport it came on (a reference) */
    guint64 memo_key;       /* ... its key in the retransmission memo */
    gboolean memo_reliable; /* ... came over TCP/TLS: nothing in the memo */
    gboolean trusted;       /* the router let it in: Server may be sent */
    sip_method_t method;
    GwSipDialog *dialog;    /* SUBSCRIBE */
    GwSipCall *call;        /* INVITE */
};

/* sip_udp_answer.c: a stateless answer over UDP without nta. */
/* Learns the socket of each of our UDP transports (after
 * raise_udp_rcvbuf). */
void sip_udp_answer_init(GwSipUa *ua);
/* The lines the answer to `sip` repeats from it, with to_tag added to a To
 * without one, and where the answer goes; NULL where nta must answer (not
 * UDP, maddr, a name for a host, ...). Call while nta delivers msg. */
SipUdpAnswer *sip_udp_answer_new(GwSipUa *ua, msg_t *msg, sip_t const *sip,
                                 const char *to_tag);
/* Sends the answer: status line, the lines, `extra` (NULL-terminated
 * pieces of text written one after the other: header lines with their
 * CRLF; or NULL), Content-Length: 0. FALSE if it was not sent (it is lost
 * as a datagram may be). */
gboolean sip_udp_answer_send(const SipUdpAnswer *a, int status,
                             const char *phrase, const char *const *extra);
void sip_udp_answer_free(SipUdpAnswer *a);

/* A URL as text (transfer full), NULL for NULL. */
char *sip_url_text(const url_t *url);
/* Is the Request-URI a valid SIP/SIPS/tel URI as RFC 3261 19.1 has it
 * (map_uri_check())? FALSE and MAP_ERROR_MALFORMED if not. */
gboolean sip_request_uri_ok(sip_t const *sip, GError **error);

/* The strings a GwSipIncoming borrows. */
typedef struct {
    char *ruri, *from, *to, *content_type, *charset, *accept, *authorization;
    char host[64];
} GwIncomingText;

/* Fills `in` from a parsed request and its message (the source address);
 * `in` borrows from `sip` and `text`. */
void sip_incoming_fill(GwSipUa *ua, GwSipIncoming *in, GwIncomingText *text,
                       sip_t const *sip, msg_t *msg);
void sip_incoming_text_clear(GwIncomingText *text);
/* A request for the router (in->dialog set from `dialog`); the caller
 * sets irq or msg, then sip_request_deliver(). */
GwSipRequest *sip_request_new(GwSipUa *ua, GwSipIncoming *in,
                              GwSipDialog *dialog);
/* Hands it to the router and keeps it among those awaiting an answer. */
void sip_request_deliver(GwSipUa *ua, GwSipRequest *req,
                         const GwSipIncoming *in);
/* Lets go of an answered request. */
void sip_request_free(GwSipRequest *req);

/* Answers a transaction at once and lets it go; Allow on 405 and on 200
 * to OPTIONS. Returns 0 (for nta callbacks). */
int sip_reply_now(GwSipUa *ua, nta_incoming_t *irq, int status,
                  const char *phrase, const char *retry_after);

/* nta_outgoing_tcreate() on our leg, but a request of about `estimate`
 * bytes (0: let nta choose) that would not fit [sip] udp_mtu goes over TCP
 * (RFC 3261 18.1.1; *over_tcp says so). `hop`: where to send it instead of
 * the Request-URI or the first Route (the outbound proxy). */
nta_outgoing_t *sip_tcreate(GwSipUa *ua, nta_response_f *callback,
                            gpointer magic, const char *hop, gsize estimate,
                            gboolean *over_tcp, sip_method_t method,
                            const char *name, const char *ruri,
                            const char *route, tag_type_t tag,
                            tag_value_t value, ...);
/* An account's own registrar for a request From `from` (gw_sip_ua_set_hop),
 * or NULL. */
const char *sip_account_hop(GwSipUa *ua, const char *from);
/* The first hop of a request From `from` outside a dialog's route set:
 * her own registrar, else [sip] outbound_proxy, else NULL (the
 * Request-URI decides). */
const char *sip_next_hop(GwSipUa *ua, const char *from);

/* The final answer to a request we sent: its status and phrase (the
 * peer's, else the standard one). FALSE for a provisional one (the
 * transaction stays). TRUE: the transaction is let go through *done, a
 * g_autoptr(SipDoneOrq) of the response callback, which destroys it when
 * the callback returns: the response (`sip`, the phrase, its body) lives
 * in the transaction, and over a reliable transport nta frees the two at
 * once (no timer K). Destroying it earlier made callbacks read freed
 * memory (a crash at 8,000 MESSAGEs/s over TCP); later, from the loop,
 * kept a whole TCP read's responses and their receive buffers alive. */
typedef nta_outgoing_t SipDoneOrq;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SipDoneOrq, nta_outgoing_destroy)
gboolean sip_final_of(nta_outgoing_t *orq, sip_t const *sip, int *status,
                      const char **phrase, nta_outgoing_t **done);
/* The answer to a 401/407 with [sip] credentials, for `method` to `uri`;
 * NULL when there is none to give (logged). Zero it before g_free(). */
char *sip_digest_answer(GwSipUa *ua, sip_t const *sip, int status,
                        const char *method, const char *uri);
/* "<uri>" for a header value. */
char *sip_name_addr(const char *uri);
/* 64 cryptographically random bits (getrandom, batched). */
guint64 sip_random64(void);
/* A new random token: 16 hex digits of sip_random64() (tags, Call-IDs). */
void sip_random_token(char out[17]);

/* ---- the roles --------------------------------------------------------- */

/* sip_message.c */
void sip_message_init(GwSipUa *ua);
void sip_message_fini(GwSipUa *ua);
void sip_message_take(GwSipUa *ua, msg_t *msg, sip_t const *sip);
void sip_message_respond(GwSipRequest *req, int status, const char *phrase,
                         guint retry_after, const char *accept,
                         const char *challenge);
void sip_message_fail_outgoing(GwSipUa *ua, int status, const char *phrase);

/* sip_subscription.c: a SUBSCRIBE (new: leg NULL) or a request in a
 * subscription dialog; the answer to a SUBSCRIBE request was sent. */
int sip_subscription_request(GwSipUa *ua, nta_incoming_t *irq,
                             sip_t const *sip, SipLeg *leg);
void sip_subscription_answered(GwSipRequest *req, int status);
/* What its owner bound to a subscription (NULL: none yet). */
gpointer sip_subscription_data(GwSipDialog *d);
void sip_subscription_free_all(GwSipUa *ua);

/* sip_call.c: a new INVITE, or a request in a call's dialog; the router
 * answered an INVITE request >= 300 itself. */
int sip_call_invite(GwSipUa *ua, nta_incoming_t *irq, sip_t const *sip);
int sip_call_request(GwSipCall *call, nta_incoming_t *irq, sip_t const *sip);
void sip_call_refused(GwSipCall *call);
void sip_call_free_all(GwSipUa *ua);

/* sip_register.c: the gateway's own registration */
void sip_register_start(GwSipUa *ua);
void sip_register_retry(SipTimer *t);
/* Un-REGISTERs; `done` when answered (or at once if not registered). */
void sip_register_stop(GwSipUa *ua, void (*done)(GwSipUa *ua));
void sip_register_free(GwSipUa *ua);

/* sip_publish.c */
void sip_publish_remove_all(GwSipUa *ua);

/* ---- counting for /metrics (sip_agent.c) -------------------------------- */
GwSipMethod sip_metric_method(sip_method_t method);
static inline void
sip_count_answer(sip_method_t method, int status)
{
    gw_metrics.sip_answered[sip_metric_method(method)][gw_metrics_sip_class(status)]++;
}

G_END_DECLS
