/* gateway/ops/admin_http.c: GET /health and GET /metrics (see
 * admin_http.h).
 *
 *   client --GET--> SoupServer (main loop) --allowed?--no--> 403, nothing else
 *                                              |yes
 *                        /health: probe -> gw_admin_health() -> 200 | 503
 *                        /metrics: probe + gw_metrics -> text format 0.0.4
 *
 * libsoup rather than our own HTTP parser: it is maintained in Debian,
 * runs in the GLib main loop, and parses what an untrusted client sends. */
#define G_LOG_DOMAIN "gw-admin"

#include "admin_http.h"

#include <libsoup/soup.h>
#include <string.h>

#include "gw_config.h"

struct GwAdminHttp {
    SoupServer *server;
    GwAdminProbe probe;
};

gboolean
gw_admin_health(const GwMetricsGauges *g, GString *why)
{
    gboolean ok = g->xmpp_link_up == 1 && g->sip_bound == 1 && g->draining != 1;

    g_string_append(why, ok ? "ok\n" : "unhealthy\n");
    g_string_append_printf(why, "xmpp: %s\n", g->xmpp_link_up == 1 ? "up" : "down");
    g_string_append_printf(why, "sip: %s\n", g->sip_bound == 1 ? "bound" : "not bound");
    if (g->draining == 1)
        g_string_append(why, "draining: yes\n");
    g_string_append_printf(why, "rtpengine: %s\n",
                           g->rtpengine_reachable == 1   ? "reachable"
                           : g->rtpengine_reachable == 0 ? "unreachable"
                                                         : "not used");
    return ok;
}

static void
respond(SoupServerMessage *msg, guint status, const char *type,
        const GString *body)
{
    soup_server_message_set_status(msg, status, NULL);
    if (body != NULL)
        soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY,
                                         body->str, body->len);
}

static void
on_request(SoupServer *server, SoupServerMessage *msg, const char *path,
           GHashTable *query, gpointer data)
{
    GwAdminHttp *http = data;
    const char *method = soup_server_message_get_method(msg);
    const char *peer = soup_server_message_get_remote_host(msg);
    GwMetricsGauges g;
    g_autoptr(GString) body = g_string_new(NULL);

    if (peer == NULL || !http->probe.allowed(http->probe.data, peer)) {
        g_info("admin HTTP: %s %s from %s refused", method, path,
               peer ? peer : "?");
        soup_server_message_set_status(msg, SOUP_STATUS_FORBIDDEN, NULL);
        return;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                     "Allow", "GET, HEAD");
        soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
        return;
    }
    gw_metrics_gauges_init(&g);
    http->probe.read_gauges(http->probe.data, &g);
    if (strcmp(path, "/health") == 0) {
        gboolean ok = gw_admin_health(&g, body);
        respond(msg, ok ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE,
                "text/plain; charset=utf-8", body);
    } else if (strcmp(path, "/metrics") == 0) {
        gw_metrics_render(&gw_metrics, &g, GW_VERSION, body);
        respond(msg, SOUP_STATUS_OK, "text/plain; version=0.0.4; charset=utf-8",
                body);
    } else {
        g_string_append(body, "not found: try /health or /metrics\n");
        respond(msg, SOUP_STATUS_NOT_FOUND, "text/plain; charset=utf-8", body);
    }
}

GwAdminHttp *
gw_admin_http_new(const char *listen, const GwAdminProbe *probe, GError **error)
{
    g_autofree char *host = NULL;
    guint16 port;
    g_autoptr(GInetAddress) inet = NULL;
    g_autoptr(GSocketAddress) address = NULL;
    GwAdminHttp *http;

    if (!gw_address_port_parse(listen, &host, &port)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                    "[admin] http_listen: '%s' is not IPv4:PORT or [IPv6]:PORT", listen);
        return NULL;
    }
    inet = g_inet_address_new_from_string(host);
    address = g_inet_socket_address_new(inet, port);
    http = g_new0(GwAdminHttp, 1);
    http->probe = *probe;
    /* no Server header: a client learns nothing of the software */
    http->server = soup_server_new("server-header", NULL, NULL);
    soup_server_add_handler(http->server, NULL, on_request, http, NULL);
    if (!soup_server_listen(http->server, address, 0, error)) {
        g_prefix_error(error, "[admin] http_listen %s: ", listen);
        gw_admin_http_free(http);
        return NULL;
    }
    g_message("admin HTTP on %s: /health, /metrics", listen);
    return http;
}

void
gw_admin_http_free(GwAdminHttp *http)
{
    if (http == NULL)
        return;
    if (http->server != NULL) {
        soup_server_disconnect(http->server);
        g_object_unref(http->server);
    }
    g_free(http);
}
