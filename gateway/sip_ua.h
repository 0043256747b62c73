/* gateway/sip_ua.h: the SIP user agent (Sofia-SIP nua) on the GLib loop.
 * Only this file calls nua_*(). */
#pragma once

#include <glib.h>

#include "gw_config.h"

G_BEGIN_DECLS

typedef struct GwSipUa GwSipUa;

/* An incoming request that awaits its final response. Exactly one
 * gw_sip_request_respond() per request; it frees the request. */
typedef struct GwSipRequest GwSipRequest;

/* What the UA extracted from an incoming request; borrowed for the call. */
typedef struct {
    const char *method;       /* "MESSAGE" */
    const char *request_uri;  /* "sip:alice@gw.example.com" */
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

/* Fails what is outstanding (503), unregisters, shuts nua down; `done`
 * runs when it is finished. */
void gw_sip_ua_stop(GwSipUa *ua, GSourceFunc done, gpointer data);

/* Sends a MESSAGE (RFC 3428). `result` runs exactly once, later. Bodies
 * above [sip] udp_mtu go over TCP (RFC 3261 18.1.1), by Sofia. */
void gw_sip_ua_send_message(GwSipUa *ua, const char *from_uri,
                            const char *to_uri, const char *content_type,
                            const char *body, GwSipResultFunc result,
                            gpointer user_data);

/* Final response. retry_after > 0 adds Retry-After; accept (or NULL) adds
 * an Accept header (for 415). Frees req. */
void gw_sip_request_respond(GwSipRequest *req, int status, const char *phrase,
                            guint retry_after, const char *accept);

/* Is the UA registered (when registration is configured)? */
gboolean gw_sip_ua_is_registered(const GwSipUa *ua);

G_END_DECLS
