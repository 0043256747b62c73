/* gateway/ops/service.h: the service manager's side (systemd Type=notify):
 * READY=1 once both links are up, STATUS= lines, STOPPING=1, and the
 * watchdog fed from the main loop, so a loop that stops turning is
 * restarted. Outside systemd (no NOTIFY_SOCKET) every call does nothing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct GwService GwService;

/* Is the process ready (both links up)? Asked once a second until it is,
 * and again after it has been, to keep STATUS= true. */
typedef gboolean (*GwServiceReadyFunc)(gpointer data, GString *status);

GwService *gw_service_new(GwServiceReadyFunc ready, gpointer data);
void gw_service_stopping(GwService *service);
void gw_service_free(GwService *service);

G_END_DECLS
