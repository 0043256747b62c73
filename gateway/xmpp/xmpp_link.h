/* gateway/xmpp/xmpp_link.h: the XEP-0114 component link (libstrophe), on the
 * GLib main loop. Only this file drives libstrophe. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "gw_config.h"

G_BEGIN_DECLS

typedef struct GwXmppLink GwXmppLink;

/* An incoming stanza; borrowed for the call. */
typedef void (*GwXmppStanzaFunc)(xmpp_stanza_t *stanza, gpointer user_data);
/* The link came up (TRUE) or went down (FALSE). */
typedef void (*GwXmppStateFunc)(gboolean up, gpointer user_data);
/* A stanza handed to gw_xmpp_link_send() was written whole to the live
 * stream (TRUE), or the stream died before that (FALSE). */
typedef void (*GwXmppSentFunc)(gboolean written, gpointer user_data);

/* What became of a stanza handed to gw_xmpp_link_send_confirmed(). */
typedef enum {
    /* The server answered (result or error) a XEP-0199 ping to the
     * stanza's domain written after it: it has routed the stanza, and
     * every error it returned for it while routing was read before. */
    GW_XMPP_CONFIRMED,
    /* The stream died first; the stanza may or may not have arrived. */
    GW_XMPP_LOST,
    /* No answer within [xmpp] confirm_timeout_ms; the link stays up. */
    GW_XMPP_UNCONFIRMED,
} GwXmppOutcome;
typedef void (*GwXmppConfirmFunc)(GwXmppOutcome outcome, gpointer user_data);

GwXmppLink *gw_xmpp_link_new(const GwConfig *config,
                             GwXmppStanzaFunc on_stanza,
                             GwXmppStateFunc on_state, gpointer user_data);
void gw_xmpp_link_free(GwXmppLink *link);

/* Starts connecting; reconnects by itself with backoff until stopped. */
void gw_xmpp_link_start(GwXmppLink *link);

/* Writes what is queued (bounded wait), closes the stream, stops
 * reconnecting; `done` runs once the link is down. */
void gw_xmpp_link_stop(GwXmppLink *link, GSourceFunc done, gpointer data);

gboolean gw_xmpp_link_is_up(const GwXmppLink *link);

/* Queues one serialized stanza (UTF-8 XML text). Fails with
 * GW_ERROR_LINK_DOWN while the link is down, GW_ERROR_OVERLOAD above
 * [xmpp] send_queue_bytes. On success `sent` (may be NULL) runs exactly
 * once, later, from the main loop. */
gboolean gw_xmpp_link_send(GwXmppLink *link, const char *xml, gsize len,
                           GwXmppSentFunc sent, gpointer user_data,
                           GError **error);

/* Queues a stanza whose sender waits for the server to take it (a SIP
 * MESSAGE's 2xx). `domain` is the domain part of its `to`: the server
 * processes a stream in order, so once a ping to that domain written
 * after the stanza is answered, the stanza has been routed (through s2s
 * too) and any bounce of it arrived before the answer. Pings are batched:
 * at most one in flight per domain; the next one, written when it is
 * answered, covers every stanza queued meanwhile. Their answers never
 * reach the stanza handler. `domain` and `done` must not be NULL; the
 * stanza text is copied. Fails as gw_xmpp_link_send() does
 * (GW_ERROR_LINK_DOWN, GW_ERROR_OVERLOAD); on success `done` runs exactly
 * once, later, from the main loop (GW_XMPP_LOST also when the link is
 * freed first). */
gboolean gw_xmpp_link_send_confirmed(GwXmppLink *link, const char *xml,
                                     gsize len, const char *domain,
                                     GwXmppConfirmFunc done,
                                     gpointer user_data, GError **error);

/* Sends a stanza nobody waits on (an error, a receipt, an iq result,
 * presence): logs and drops it when the link is down or full. Takes xml. */
void gw_xmpp_link_send_text(GwXmppLink *link, GString *xml);

/* Backpressure: stops (TRUE) or resumes (FALSE) reading the stream while
 * the link is up. Writes, confirmation deadlines and the detection of a
 * closed connection go on; the server's stanzas wait in its TCP window and
 * then in the server, which stops sending. A handshake is always read. */
void gw_xmpp_link_pause_input(GwXmppLink *link, gboolean paused);

/* Write coalescing: while `busy` says that more input waits elsewhere
 * (SIP datagrams, each of which may add a stanza), the link holds what
 * it has to write, up to 32 KiB, and writes it once that input is read.
 * NULL: every loop turn writes. */
typedef gboolean (*GwXmppBusyFunc)(gpointer data);
void gw_xmpp_link_set_busy_func(GwXmppLink *link, GwXmppBusyFunc busy,
                                gpointer data);

/* Counters for tests and benchmarks. */
typedef struct {
    guint64 stanzas_in;
    guint64 stanzas_out;   /* pings included */
    guint64 bytes_out;
    guint64 pings_out;     /* confirmation pings written */
    guint64 confirmed;     /* stanzas confirmed by a ping's answer */
    guint connects;
    gsize queued_bytes;    /* written by us, not yet by the kernel */
} GwXmppStats;
void gw_xmpp_link_get_stats(const GwXmppLink *link, GwXmppStats *stats);

G_END_DECLS
