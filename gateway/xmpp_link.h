/* gateway/xmpp_link.h: the XEP-0114 component link (libstrophe), on the
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

/* Counters for tests and benchmarks. */
typedef struct {
    guint64 stanzas_in;
    guint64 stanzas_out;
    guint64 bytes_out;
    guint connects;
} GwXmppStats;
void gw_xmpp_link_get_stats(const GwXmppLink *link, GwXmppStats *stats);

G_END_DECLS
