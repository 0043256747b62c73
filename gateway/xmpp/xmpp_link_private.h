/* gateway/xmpp/xmpp_link_private.h: what the two halves of the component
 * link share; included by xmpp_link.c and xmpp_confirm.c only.
 *
 *   xmpp_link.c     libstrophe, the socket and its GSource, the output
 *                   buffer, the connection life cycle, the public API
 *   xmpp_confirm.c  the confirmation barriers behind
 *                   gw_xmpp_link_send_confirmed(): a XEP-0199 ping per
 *                   destination domain, its answer, deadlines
 *
 * Both run on the one main loop thread; neither frees the link. */
#pragma once

#include <gio/gio.h>

#include "xmpp_link.h"

G_BEGIN_DECLS

typedef struct LinkSource LinkSource; /* xmpp_link.c */

/* The confirmation state (xmpp_confirm.c writes it; xmpp_link.c reads
 * `ready`, `ping_due`, `n_waiters` and `ping_seq` to know when to run). */
typedef struct {
    GHashTable *barriers; /* domain (ASCII case-insensitive) -> Barrier */
    GQueue ready;         /* of Barrier*: a ping to write at the next flush */
    char *ping_prefix;    /* "gwcXXXXXXXX-": ids of our pings */
    gsize ping_prefix_len;
    guint64 ping_seq;   /* pings ever written (0: no answer to look for) */
    guint n_waiters;    /* stanzas awaiting confirmation */
    gint64 next_expiry; /* when to look for expired waiters next */
    gint64 ping_due;    /* the next paced ping (0: none waits) */
} GwXmppConfirm;

struct GwXmppLink {
    const GwConfig *config;
    GwXmppStanzaFunc on_stanza;
    GwXmppStateFunc on_state;
    gpointer user_data;

    xmpp_ctx_t *ctx;
    xmpp_conn_t *conn;
    LinkSource *source;
    int fd; /* last socket libstrophe created, or -1 */
    gboolean priming;
    gboolean up; /* handshake done, stream live */
    gboolean connecting;
    gboolean stopping;
    gboolean kick;
    /* gw_xmpp_link_pause_input(): the stream is not read while up */
    gboolean input_paused;
    guint reconnect_id;
    guint attempts; /* failed attempts since the last success */
    GCancellable *resolve_cancel;

    GByteArray *out; /* unwritten bytes are out->data[out_pos..] */
    gsize out_pos;
    gboolean out_blocked; /* the socket took less than we had */
    GwXmppBusyFunc busy;  /* gw_xmpp_link_set_busy_func() */
    gint64 held_since;    /* monotonic: output first held back, 0: none */
    gpointer busy_data;
    guint64 out_total; /* bytes ever queued */
    guint64 out_done;  /* bytes ever written */
    GQueue pending;    /* of Pending*, by end */

    GwXmppConfirm confirm;

    GSourceFunc stop_done;
    gpointer stop_data;
    guint stop_timeout_id;

    GwXmppStats stats;
};

/* ---- xmpp_link.c ------------------------------------------------------- */

/* Appends one serialized stanza to the output buffer (room checked by the
 * caller); written by the next dispatch. */
void gw_xmpp_link_append(GwXmppLink *self, const char *xml, gsize len);

/* ---- xmpp_confirm.c ---------------------------------------------------- */

void gw_xmpp_confirm_init(GwXmppLink *self);
/* Frees what init made; gw_xmpp_confirm_fail_all() has run before. */
void gw_xmpp_confirm_clear(GwXmppLink *self);

/* A stanza just appended to the output for `domain` waits for the answer
 * to a ping written after it; `done` runs once, later. */
void gw_xmpp_confirm_add(GwXmppLink *self, const char *domain,
                         GwXmppConfirmFunc done, gpointer user_data);

/* Writes a ping for each ready domain whose last one is old enough
 * (PING_GAP_US); sets confirm.ping_due for the others. */
void gw_xmpp_confirm_write_pings(GwXmppLink *self, gint64 now);

/* Consumes the answer to one of our pings (TRUE) and confirms the
 * stanzas it covers; FALSE: not ours, for the stanza handler. */
gboolean gw_xmpp_confirm_take_answer(GwXmppLink *self, xmpp_stanza_t *stanza);

/* Fails the waiters past their deadline (GW_XMPP_UNCONFIRMED) and gives
 * up pings unanswered in time. */
void gw_xmpp_confirm_expire(GwXmppLink *self, gint64 now);

/* The stream is gone: every waiter fails with GW_XMPP_LOST. */
void gw_xmpp_confirm_fail_all(GwXmppLink *self);

G_END_DECLS
