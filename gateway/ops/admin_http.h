/* gateway/ops/admin_http.h: the operator's HTTP endpoint ([admin]
 * http_listen): GET /health and GET /metrics, on libsoup 3 in the main loop.
 *
 * It knows nothing of the bridges: what it reports comes through a probe
 * (main.c reads the links and bridges into a GwMetricsGauges), and who may
 * ask through an allow function ([admin] http_allow, read at each request
 * so that SIGHUP applies). A source that is not allowed gets 403 and no
 * other byte: no Server header, no body. */
#pragma once

#include <glib.h>

#include "metrics.h"

G_BEGIN_DECLS

typedef struct GwAdminHttp GwAdminHttp;

typedef struct {
    /* Fills what it knows of `g` (initialised to unknown). */
    void (*read_gauges)(gpointer data, GwMetricsGauges *g);
    /* May a client at `address` (textual IP) use the endpoint? */
    gboolean (*allowed)(gpointer data, const char *address);
    gpointer data;
} GwAdminProbe;

/* Listens on "IPv4:PORT" or "[IPv6]:PORT". NULL with an error when the
 * address cannot be bound. */
GwAdminHttp *gw_admin_http_new(const char *listen, const GwAdminProbe *probe,
                               GError **error);
void gw_admin_http_free(GwAdminHttp *http);

/* Health from gauges: TRUE when the XMPP link is up, the SIP transports are
 * bound and the gateway is not draining; `why` gets one "name: state" line
 * per part (rtpengine reported, never deciding). Pure, for tests. */
gboolean gw_admin_health(const GwMetricsGauges *g, GString *why);

G_END_DECLS
