/* gateway/sip_ua_priv.h: what the SIP UA (sip_ua.c, on nua) and the lean
 * notifier (sip_notifier.c, on nta) share. Nothing else includes it. */
#pragma once

#include <sofia-sip/msg.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nta_tport.h>
#include <sofia-sip/nua.h>

#include "sip_ua.h"

G_BEGIN_DECLS

/* What is bound to a nua handle says what it is. */
typedef enum {
    MAGIC_TXN = 0x74786e,
    MAGIC_DIALOG = 0x646c67,
    MAGIC_PUB = 0x707562,
    MAGIC_CALL = 0x63616c,
} Magic;

typedef struct GwNotifier GwNotifier;
typedef struct GwLeanDialog GwLeanDialog;

struct GwSipRequest {
    GwSipUa *ua;
    nua_handle_t *nh;       /* a request nua took; or */
    nta_incoming_t *irq;    /* one the lean notifier took; or */
    msg_t *msg;             /* a MESSAGE the lean agent took statelessly */
    tport_t *tport;         /* ... the transport it came on (a reference) */
    guint64 memo_key;       /* ... its key in the retransmission memo */
    gboolean memo_reliable; /* ... came over TCP/TLS: nothing in the memo */
    nua_saved_event_t saved[1];
    GwSipDialog *dialog; /* SUBSCRIBE */
    GwSipCall *call;     /* INVITE */
};

struct GwSipDialog {
    Magic magic;
    GwSipUa *ua;
    nua_handle_t *nh;
    gboolean server; /* a subscription we serve */
    const GwSipDialogFuncs *funcs;
    gpointer data;
    gboolean closed;     /* the owner let go: no more callbacks */
    gboolean final_sent; /* terminating NOTIFY / un-SUBSCRIBE under way */
    gboolean auth_tried;
    char *event;
    guint reap_id; /* destroys the handle if the last answer never comes */
    GwLeanDialog *lean; /* served by the lean notifier, not by nua */
};

typedef enum {
    REG_OFF,
    REG_REGISTERING,
    REG_REGISTERED,
    REG_FAILED,
    REG_UNREGISTERING,
} RegState;

struct GwSipUa {
    const GwConfig *config;
    GwSipRequestFunc on_request;
    gpointer user_data;

    su_root_t *root;
    nua_t *nua;
    GwNotifier *notifier; /* the lean agent ([sip] lean_listen), or NULL */
    GHashTable *requests; /* GwSipRequest* set: awaiting a response */
    GHashTable *txns;     /* OutTxn* set: awaiting a final response */
    GHashTable *dialogs;  /* GwSipDialog* set (nua's) */
    GHashTable *pubs;     /* GwSipPublication* set */
    GHashTable *calls;    /* GwSipCall* set */

    nua_handle_t *reg_nh;
    RegState reg_state;
    gboolean reg_auth_tried;
    guint reg_retry_id;
    guint reg_failures;

    gboolean stopping;
    gboolean shutdown_sent;
    GSourceFunc stop_done;
    gpointer stop_data;
    guint stop_timer_id;
    guint trim_id;
    GString *log_tail; /* Sofia log text up to its next newline */
};

/* ---- sip_ua.c ----------------------------------------------------------- */

/* The strings a GwSipIncoming borrows. */
typedef struct {
    char *ruri, *from, *to, *content_type, *charset, *accept, *authorization;
    char host[64];
} GwIncomingText;

/* Fills `in` from a parsed request and its message (the source address);
 * `in` borrows from `sip` and `text`. */
void gw_sip_incoming_fill(GwSipIncoming *in, GwIncomingText *text,
                          sip_t const *sip, msg_t *msg);
void gw_sip_incoming_text_clear(GwIncomingText *text);
/* A request for the router, in `in` for a SUBSCRIBE of `dialog` (or NULL);
 * the caller sets nh or irq, then gw_sip_ua_deliver(). */
GwSipRequest *gw_sip_request_new(GwSipUa *ua, GwSipIncoming *in,
                                 GwSipDialog *dialog);
/* Hands it to the router and keeps it among those awaiting an answer. */
void gw_sip_ua_deliver(GwSipUa *ua, GwSipRequest *req,
                       const GwSipIncoming *in);

/* "sip:host:port" + the [sip] transports as Sofia wants them. */
char *gw_sip_listen_url(const GwConfig *cfg, const char *listen);
/* Raises the receive buffer of our UDP sockets bound to that port. */
void gw_sip_raise_udp_rcvbuf(const char *listen);

/* ---- sip_notifier.c ----------------------------------------------------- */

/* The lean agent ([sip] lean_listen): MESSAGEs answered statelessly, SUBSCRIBEs served on
 * nta, without a nua handle per subscription. NULL + error if it cannot
 * listen. */
GwNotifier *gw_notifier_new(GwSipUa *ua, GError **error);
void gw_notifier_free(GwNotifier *n);
/* The lean side of respond_full(): answers req->irq, frees req. */
void gw_notifier_respond(GwSipRequest *req, int status, const char *phrase,
                         guint retry_after, const char *accept, gint expires,
                         const char *challenge);
/* Sends (or queues behind the NOTIFY in flight) one NOTIFY. */
void gw_notifier_notify(GwSipDialog *d, const char *subscription_state,
                        gboolean final, const char *content_type,
                        const char *body);
/* The owner lets go: a served dialog goes once its last NOTIFY is
 * answered; one of ours is un-SUBSCRIBEd first. */
void gw_notifier_close(GwSipDialog *d);
/* gw_sip_ua_send_message() from the lean agent ([sip] lean_send). */
void gw_notifier_send_message(GwNotifier *n, const char *from_uri,
                              const char *to_uri, const char *content_type,
                              const char *body, GwSipResultFunc result,
                              gpointer user_data);
/* Ends the MESSAGEs still unanswered with this status (shutdown). */
void gw_notifier_fail_outgoing(GwNotifier *n, int status,
                               const char *phrase);
/* gw_sip_ua_subscribe() on the lean agent; NULL if the dialog state would
 * be too large. */
GwSipDialog *gw_notifier_subscribe(GwNotifier *n, const char *from,
                                   const char *to, const char *route,
                                   const char *event, const char *accept,
                                   guint expires,
                                   const GwSipDialogFuncs *funcs,
                                   gpointer data);

G_END_DECLS
