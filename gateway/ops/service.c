/* gateway/ops/service.c: sd_notify from the main loop (see service.h).
 *
 * libsystemd's sd_notify rather than the datagram by hand: it handles the
 * abstract-socket and credential details, and is in Debian. */
#define G_LOG_DOMAIN "gw-service"

#include "service.h"

#include <systemd/sd-daemon.h>

struct GwService {
    GwServiceReadyFunc ready;
    gpointer data;
    gboolean was_ready;
    char *last_status;
    guint tick;
};

static gboolean
tick(gpointer data)
{
    GwService *s = data;
    g_autoptr(GString) status = g_string_new(NULL);
    gboolean ready = s->ready(s->data, status);

    if (ready && !s->was_ready) {
        g_message("ready: %s", status->str);
        sd_notifyf(0, "READY=1\nSTATUS=%s", status->str);
    } else if (g_strcmp0(status->str, s->last_status) != 0) {
        sd_notifyf(0, "STATUS=%s", status->str);
    }
    s->was_ready = s->was_ready || ready;
    g_free(s->last_status);
    s->last_status = g_strdup(status->str);
    /* the watchdog is fed only by a loop that turns */
    sd_notify(0, "WATCHDOG=1");
    return G_SOURCE_CONTINUE;
}

GwService *
gw_service_new(GwServiceReadyFunc ready, gpointer data)
{
    GwService *s = g_new0(GwService, 1);
    guint64 usec = 0;
    guint period_ms = 1000;

    s->ready = ready;
    s->data = data;
    /* at least twice per WatchdogSec, and once a second for READY */
    if (sd_watchdog_enabled(0, &usec) > 0 && usec / 2000 < period_ms)
        period_ms = MAX(10, (guint)(usec / 2000));
    s->tick = g_timeout_add(period_ms, tick, s);
    return s;
}

void
gw_service_stopping(GwService *service)
{
    if (service != NULL)
        sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void
gw_service_free(GwService *service)
{
    if (service == NULL)
        return;
    if (service->tick != 0)
        g_source_remove(service->tick);
    g_free(service->last_status);
    g_free(service);
}
