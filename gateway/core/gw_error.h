/* gateway/core/gw_error.h: the gateway's own error domain. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GW_ERROR (gw_error_quark())
GQuark gw_error_quark(void);

typedef enum {
    GW_ERROR_BAD_REQUEST,    /* malformed stanza or SIP request */
    GW_ERROR_FORBIDDEN,      /* refused by [security] policy */
    GW_ERROR_RATE_LIMITED,   /* sender over its rate */
    GW_ERROR_TOO_LARGE,      /* body above [limits] max_message_bytes */
    GW_ERROR_UNSUPPORTED,    /* content type or charset we cannot carry */
    GW_ERROR_LINK_DOWN,      /* the other side's link is not up */
    GW_ERROR_OVERLOAD,       /* a bounded table is full */
    GW_ERROR_TIMEOUT,        /* no answer in time */
    GW_ERROR_SHUTDOWN,       /* the gateway is stopping */
} GwError;

G_END_DECLS
