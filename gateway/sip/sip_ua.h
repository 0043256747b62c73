/* gateway/sip/sip_ua.h: the gateway's one SIP user agent, on Sofia's
 * transaction layer (nta) and the GLib loop. Only gateway/sip/ calls
 * Sofia's SIP API.
 *
 * One configured address ([sip] listen, plus listen_tls) serves every
 * method: MESSAGE (answered without a kept transaction), SUBSCRIBE/NOTIFY
 * both ways, PUBLISH and REGISTER (ours), OPTIONS, and INVITE dialogs.
 * Each SIP role exists once (see sip_private.h for the map of the files).
 */
#pragma once

#include <glib.h>

#include "gw_config.h"

G_BEGIN_DECLS

typedef struct GwSipUa GwSipUa;

/* An incoming request that awaits its final response. Exactly one
 * gw_sip_request_respond() (or _challenge, _respond_subscribe,
 * _take_call) per request; it frees the request. */
typedef struct GwSipRequest GwSipRequest;

/* A subscription dialog (RFC 6665), served or ours. */
typedef struct GwSipDialog GwSipDialog;

typedef enum {
    GW_SUB_PENDING,
    GW_SUB_ACTIVE,
    GW_SUB_TERMINATED,
} GwSubState;

/* What a dialog's owner is told. `notify` only for subscriptions we made:
 * each NOTIFY's state and body. `ended` once, when the dialog is over by
 * the peer's doing or a failure (never after gw_sip_dialog_close()):
 * status is the failing SIP status (0 for a NOTIFY/un-SUBSCRIBE that
 * ended it), reason the Subscription-State reason if any, retry_after
 * seconds (0 if none). The dialog is gone after `ended`. */
typedef struct {
    void (*notify)(gpointer data, GwSubState state, const char *content_type,
                   const char *body, gsize len);
    void (*ended)(gpointer data, int status, const char *reason,
                  guint retry_after);
} GwSipDialogFuncs;

/* What the UA extracted from an incoming request; borrowed for the call. */
typedef struct {
    const char *method;       /* "MESSAGE" */
    const char *request_uri;  /* "sip:alice@gw.example.com"; one of our own
                                 addresses (sip:alice@192.0.2.10:5060) is
                                 rewritten to [sip] domain */
    const char *from_uri;     /* From URI */
    const char *from_display; /* or NULL */
    const char *to_uri;
    const char *call_id;
    const char *source;       /* source IP address, textual */
    guint source_port;
    const char *transport;    /* "udp", "tcp", "tls" */
    const char *content_type; /* "type/subtype", lower case, or NULL */
    const char *charset;      /* charset parameter, or NULL */
    const char *body;         /* not NUL-terminated; NULL if none */
    gsize body_len;
    const char *authorization; /* Authorization value, or NULL */
    const char *event;        /* Event type ("presence"), or NULL */
    gint expires;             /* Expires header, or -1 */
    const char *accept;       /* Accept header as written, or NULL */
    GwSipDialog *dialog;      /* SUBSCRIBE: its dialog */
    struct GwSipCall *call;   /* INVITE: its call */
    gpointer dialog_data;     /* what was bound to it; NULL: a new one */
} GwSipIncoming;

/* An incoming request for the router. It must respond (now or later). */
typedef void (*GwSipRequestFunc)(GwSipRequest *req, const GwSipIncoming *in,
                                 gpointer user_data);
/* The final outcome of a request we sent: SIP status (>= 200), or 408 for
 * a transaction timeout, 503 if it could not be sent or the UA stopped. */
typedef void (*GwSipResultFunc)(int status, const char *phrase,
                                gpointer user_data);

/* Binds the listen addresses. NULL and an error naming the address when
 * that fails. */
GwSipUa *gw_sip_ua_new(const GwConfig *config, GwSipRequestFunc on_request,
                       gpointer user_data, GError **error);
void gw_sip_ua_free(GwSipUa *ua);

/* Starts registration when configured. */
void gw_sip_ua_start(GwSipUa *ua);

/* Fails what is outstanding (503), unregisters, unpublishes; `done` runs
 * when that is finished (bounded: a few seconds at most). */
void gw_sip_ua_stop(GwSipUa *ua, GSourceFunc done, gpointer data);

/* Answers a 401/407 to a request we sent From `from_uri` when that is an
 * account's AOR (issue 17): *owned TRUE and the Authorization value
 * ((transfer full); zeroed and freed by the caller), or NULL and why.
 * *owned FALSE: not an account's; [sip] credentials answer as before. */
typedef char *(*GwSipAuthorizeFunc)(gpointer data, const char *from_uri,
                                    const char *challenge, const char *method,
                                    const char *uri, gboolean *owned,
                                    GError **error);
/* Sets the one authorizer (func and data borrowed while the UA lives). */
void gw_sip_ua_set_authorizer(GwSipUa *ua, GwSipAuthorizeFunc func,
                              gpointer data);

/* Where a request From `from` (a URI or name-addr) goes first when that
 * is an account on a registrar of her own (issue 17): her registrar's URI
 * (borrowed: used at once), which then replaces [sip] outbound_proxy and
 * a [presence] server route for everything she sends (her REGISTERs go
 * there by GwSipRegistrationParams.direct); NULL for everybody else. */
typedef const char *(*GwSipHopFunc)(gpointer data, const char *from);
/* Sets the one hop port (func and data borrowed while the UA lives). */
void gw_sip_ua_set_hop(GwSipUa *ua, GwSipHopFunc func, gpointer data);

/* Sends a MESSAGE (RFC 3428). `result` runs exactly once, later. Bodies
 * above [sip] udp_mtu go over TCP (RFC 3261 18.1.1), over UDP if TCP is
 * refused. Nothing is kept once it is answered. Returns its Call-ID, for
 * logs (borrowed: valid until `result` has run). */
const char *gw_sip_ua_send_message(GwSipUa *ua, const char *from_uri,
                            const char *to_uri, const char *content_type,
                            const char *body, GwSipResultFunc result,
                            gpointer user_data);

/* The router found the source trusted (or authenticated): answers to it
 * may name the software ([sip] user_agent as Server). Untrusted sources
 * learn nothing. */
void gw_sip_request_set_trusted(GwSipRequest *req);

/* Final response. retry_after > 0 adds Retry-After; accept (or NULL) adds
 * an Accept header (for 415). Frees req. An OPTIONS answered 200 also
 * gets Allow and Accept. */
void gw_sip_request_respond(GwSipRequest *req, int status, const char *phrase,
                            guint retry_after, const char *accept);

/* 401 with a WWW-Authenticate challenge. Frees req. */
void gw_sip_request_challenge(GwSipRequest *req, const char *challenge);

/* Answers a SUBSCRIBE. 2xx keeps the dialog, with `expires` seconds in
 * the answer (423: `expires` is the Min-Expires); >= 300 ends a new
 * dialog. Frees req. */
void gw_sip_request_respond_subscribe(GwSipRequest *req, int status,
                                      const char *phrase, guint expires);

/* Attaches an owner to a dialog (a new served one, before its 2xx). */
void gw_sip_dialog_bind(GwSipDialog *dialog, const GwSipDialogFuncs *funcs,
                        gpointer data);

/* Sends a NOTIFY in a subscription we serve. expires: seconds left (for
 * active/pending); reason and retry_after for terminated. content_type and
 * body may be NULL (no body). One NOTIFY is in flight per dialog; a newer
 * one waits behind it and replaces an older waiting one. */
void gw_sip_dialog_notify(GwSipDialog *dialog, GwSubState state,
                          guint expires, const char *reason,
                          guint retry_after, const char *content_type,
                          const char *body);

/* Ends our side: no more callbacks. For a served dialog send the
 * terminating NOTIFY first (the dialog goes once it is answered); for our
 * own subscription this sends the un-SUBSCRIBE. */
void gw_sip_dialog_close(GwSipDialog *dialog);

/* Subscribes (RFC 6665) from `from` to `to`, through `route` (a proxy or
 * presence server URI, or NULL: [sip] outbound_proxy). The dialog
 * refreshes itself at 3/4 of the granted time until closed or ended.
 * NULL when the dialog state would be too large. */
GwSipDialog *gw_sip_ua_subscribe(GwSipUa *ua, const char *from,
                                 const char *to, const char *route,
                                 const char *event, const char *accept,
                                 guint expires, const GwSipDialogFuncs *funcs,
                                 gpointer data);

/* RFC 3903 publication of one address's presence, refreshed until
 * removed. (transfer full) handle. */
typedef struct GwSipPublication GwSipPublication;
GwSipPublication *gw_sip_ua_publish(GwSipUa *ua, const char *aor,
                                    const char *route, const char *event,
                                    const char *content_type,
                                    const char *body, guint expires);
/* Replaces the published document. */
void gw_sip_publication_update(GwSipPublication *pub, const char *body);
/* Removes the publication (Expires: 0 with SIP-If-Match, a challenge
 * answered once) and lets the handle go: the caller must not use it
 * again; it is freed with the answer. */
void gw_sip_publication_remove(GwSipPublication *pub);

/* ---- calls (INVITE dialogs), SDP passed through untouched ------------ */

typedef struct GwSipCall GwSipCall;

/* What a call's owner is told. Each may be NULL. After failed or ended
 * nothing more comes; the owner then calls gw_sip_call_close(). */
typedef struct {
    /* our INVITE: a provisional answer (18x), sdp NULL if none */
    void (*progress)(gpointer data, int status, const char *phrase,
                     const char *sdp);
    /* our INVITE: 2xx with the answer (the ACK has been sent) */
    void (*answered)(gpointer data, const char *sdp);
    /* their INVITE: the ACK for our 2xx arrived */
    void (*acked)(gpointer data);
    /* our INVITE failed: final status >= 300 (408 for a timeout) */
    void (*failed)(gpointer data, int status, const char *phrase);
    /* the call is over by the peer's doing: BYE (status 0), CANCEL of
     * their INVITE (487), or a failure of the dialog (status: 408 when
     * our 2xx was never ACKed, 481 when the peer forgot the dialog) */
    void (*ended)(gpointer data, int status, const char *reason);
    /* an INFO in the call (already answered 200) */
    void (*info)(gpointer data, const char *content_type, const char *body,
                 gsize len);
    /* a re-INVITE offer in the call; answer with gw_sip_call_respond() */
    void (*reinvite)(gpointer data, const char *sdp);
    /* our re-INVITE's final answer while the dialog stays: 2xx with its
     * SDP (NULL if none; the ACK has been sent), or a refusal (>= 300,
     * sdp NULL). 408 and 481 end the call instead (ended). */
    void (*reinvite_answered)(gpointer data, int status, const char *sdp);
} GwSipCallFuncs;

/* Places a call. (transfer full) handle. */
GwSipCall *gw_sip_ua_invite(GwSipUa *ua, const char *from, const char *to,
                            const char *sdp, const GwSipCallFuncs *funcs,
                            gpointer data);

/* An incoming INVITE's call, taken from its request (which is consumed
 * and must not be answered with gw_sip_request_respond() any more). */
GwSipCall *gw_sip_request_take_call(GwSipRequest *req,
                                    const GwSipCallFuncs *funcs,
                                    gpointer data);

/* Answers their INVITE (or a re-INVITE): 18x, 200 with sdp, or >= 300. */
void gw_sip_call_respond(GwSipCall *call, int status, const char *phrase,
                         const char *sdp);
/* The final status of our INFO (408: no answer within timer F). */
typedef void (*GwSipInfoFunc)(int status, const char *phrase,
                              gpointer user_data);
/* Sends an INFO (DTMF relay ...) in an established call; func (may be
 * NULL) gets its final status, unless the call was closed or the owner
 * called gw_sip_call_info_forget() first. One at a time: FALSE when the
 * call is not established, another INFO is out, or it could not be sent
 * (func will not run). */
gboolean gw_sip_call_info(GwSipCall *call, const char *content_type,
                          const char *body, GwSipInfoFunc func,
                          gpointer user_data);
/* Abandons the INFO out, if any: its func will not run. */
void gw_sip_call_info_forget(GwSipCall *call);
/* Sends a re-INVITE (hold/resume, a stream added) in an established
 * call; the dialog stays up whatever the answer, which goes to
 * reinvite_answered. FALSE (nothing sent, no answer will come) when the
 * call is not confirmed or another INVITE is out. */
gboolean gw_sip_call_reinvite(GwSipCall *call, const char *sdp);
/* The owner lets go: no more callbacks. A call still up is hung up (BYE)
 * or cancelled first. */
void gw_sip_call_close(GwSipCall *call);
/* The Call-ID, for logs and for rtpengine (borrowed). */
const char *gw_sip_call_get_id(const GwSipCall *call);
/* Is the dialog up (our 2xx ACKed, or theirs ACKed by us)? Before, no
 * re-INVITE can go (gw_sip_call_reinvite()). */
gboolean gw_sip_call_is_confirmed(const GwSipCall *call);

/* ---- registrations (RFC 3261 10) -------------------------------------- */

/* One address of record kept registered at a registrar: the gateway's
 * own, or an XMPP user's account (issue 17). A small record on the UA's
 * timer queue, no stack handle: about 300 bytes with its strings. */
typedef struct GwSipRegistration GwSipRegistration;

typedef enum {
    GW_SIP_REG_REGISTERED,   /* 2xx after a start or a failure: `seconds`
                                granted; refreshes that succeed are quiet */
    GW_SIP_REG_FAILED,       /* no answer, 5xx, 3xx ...: retried after
                                `seconds` */
    GW_SIP_REG_GAVE_UP,      /* max_failures such failures in a row: no
                                timer any more, until started again */
    GW_SIP_REG_REFUSED,      /* 401/407 after our credentials (or none to
                                give), 403, 404, 484, 604: not retried */
    GW_SIP_REG_UNREGISTERED, /* the un-REGISTER of a stop was answered */
} GwSipRegEvent;

typedef struct {
    /* what happened; status and phrase of the answer that did it (408 for
     * a timeout). May start, stop or free the registration. */
    void (*event)(gpointer data, GwSipRegEvent ev, int status,
                  const char *phrase, guint seconds);
    /* the Authorization (or Proxy-Authorization) value answering a
     * WWW-/Proxy-Authenticate `challenge` for `method` to `uri`
     * (gw_sip_auth_answer()), (transfer full: it is zeroed and freed), or
     * NULL and why (the REGISTER is then refused with that reason) */
    char *(*authorize)(gpointer data, const char *challenge,
                       const char *method, const char *uri, GError **error);
} GwSipRegistrationFuncs;

typedef struct {
    const char *registrar;    /* Request-URI, e.g. "sip:pbx.example.com" */
    const char *aor;          /* "sip:2001@pbx.example.com" */
    const char *contact_user; /* user part of our Contact */
    guint expires;            /* asked for, and the most taken */
    guint max_failures;       /* 0: retry for ever */
    guint retry_min_s, retry_max_s; /* backoff: doubling, +-20 % */
    gboolean direct;          /* straight to the registrar (a registrar of
                                 her own), not through [sip]
                                 outbound_proxy */
} GwSipRegistrationParams;

/* An idle registration (strings copied; funcs and data borrowed until
 * it is freed). Free every registration before the UA. */
GwSipRegistration *gw_sip_ua_registration_new(
    GwSipUa *ua, const GwSipRegistrationParams *params,
    const GwSipRegistrationFuncs *funcs, gpointer data);
/* REGISTERs now (again after a refusal or giving up); nothing when it is
 * registering or registered already. */
void gw_sip_registration_start(GwSipRegistration *reg);
/* Stops refreshing and un-REGISTERs (Expires: 0) a binding it may have
 * made: TRUE, GW_SIP_REG_UNREGISTERED comes when that is answered; FALSE,
 * there was none and it is idle now (no event). */
gboolean gw_sip_registration_stop(GwSipRegistration *reg);
/* Registered (a binding the registrar confirmed and we refresh)? */
gboolean gw_sip_registration_is_registered(const GwSipRegistration *reg);
/* Registering, registered, or waiting to try again (not idle, stopping,
 * refused or given up)? */
gboolean gw_sip_registration_is_active(const GwSipRegistration *reg);
/* Its state's name, for status lines ("registered", "refused" ...). */
const char *gw_sip_registration_get_state(const GwSipRegistration *reg);
/* Lets go at once: what is outstanding is abandoned, no more events. */
void gw_sip_registration_free(GwSipRegistration *reg);

/* ---- introspection, for tests and benchmarks ------------------------- */

typedef struct {
    guint requests;      /* incoming, awaiting an answer */
    guint dialogs;       /* subscriptions and calls */
    guint messages_out;  /* MESSAGEs sent, not answered yet */
    gsize memo_entries;  /* stateless MESSAGEs remembered for timer J */
} GwSipStats;
void gw_sip_ua_get_stats(const GwSipUa *ua, GwSipStats *stats);

/* Have our UDP sockets datagrams waiting (a poll, no read)? The XMPP
 * link asks before a write, to write once for all that they bring. */
gboolean gw_sip_ua_input_pending(GwSipUa *ua);

G_END_DECLS
