/* gateway/core/metrics.h: the gateway's counters and histograms, and their
 * rendering in the Prometheus text format (version 0.0.4).
 *
 * One process-wide GwMetrics, `gw_metrics`, written only from the loop
 * thread: an event costs one increment (or a histogram observation, a few
 * compares), nothing on the message path allocates or locks. Gauges that
 * describe state (active calls, watchers, link state, queue bytes, RSS)
 * are not kept here: whoever serves /metrics reads them at scrape time
 * into a GwMetricsGauges and hands both to gw_metrics_render().
 *
 *   bridges, sip/, xmpp/, media/ --gw_metrics_*()--> gw_metrics
 *   ops/http (GET /metrics) -- gauges + gw_metrics --> gw_metrics_render()
 *
 * Labels are closed sets (enums below), so the number of series is fixed
 * whatever the traffic: no label ever carries an address or a user. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
    GW_DIR_XMPP_TO_SIP,
    GW_DIR_SIP_TO_XMPP,
    GW_DIR_N
} GwDirection;

/* How a message ended: the final SIP status it got or was answered with,
 * classified (gw_metrics_outcome_of_sip). */
typedef enum {
    GW_OUT_DELIVERED,       /* 2xx */
    GW_OUT_BAD_REQUEST,     /* 400, 416, malformed */
    GW_OUT_UNAUTHENTICATED, /* 401, 407 */
    GW_OUT_FORBIDDEN,       /* 403: policy */
    GW_OUT_NOT_FOUND,       /* 404, 484, 604: no such address */
    GW_OUT_OFFLINE,         /* 480: nobody to deliver to */
    GW_OUT_TOO_LARGE,       /* 413 */
    GW_OUT_UNSUPPORTED,     /* 415, 488: a body or media we cannot carry */
    GW_OUT_REJECTED,        /* 486, 600, 603, other 4xx/6xx from the far side */
    GW_OUT_TIMEOUT,         /* 408, 504, no answer */
    GW_OUT_UNAVAILABLE,     /* 503: link down, overload, rate limit, stop */
    GW_OUT_FAILED,          /* other 5xx */
    GW_OUT_N
} GwOutcome;

/* Why a call attempt that was not answered ended. */
typedef enum {
    GW_CALL_BUSY,
    GW_CALL_DECLINED,
    GW_CALL_NO_ANSWER,
    GW_CALL_CANCELLED,   /* the caller gave up */
    GW_CALL_OFFLINE,     /* no device of the callee could be reached */
    GW_CALL_FORBIDDEN,   /* policy, authentication */
    GW_CALL_NOT_FOUND,   /* the address does not map or does not exist */
    GW_CALL_MEDIA,       /* incompatible or refused media, rtpengine failure */
    GW_CALL_ERROR,       /* anything else */
    GW_CALL_END_N
} GwCallFailure;

/* The SIP methods counted one by one; the rest is "other". */
typedef enum {
    GW_SIP_INVITE,
    GW_SIP_ACK,
    GW_SIP_BYE,
    GW_SIP_CANCEL,
    GW_SIP_OPTIONS,
    GW_SIP_INFO,
    GW_SIP_MESSAGE,
    GW_SIP_SUBSCRIBE,
    GW_SIP_NOTIFY,
    GW_SIP_PUBLISH,
    GW_SIP_REGISTER,
    GW_SIP_OTHER,
    GW_SIP_METHOD_N
} GwSipMethod;

/* Response classes 1xx..6xx, and "timeout" for a transaction that ended
 * without one (only on requests we send). */
#define GW_SIP_CLASS_N 7

typedef enum {
    GW_SIDE_XMPP,
    GW_SIDE_SIP,
    GW_SIDE_N
} GwSide;

typedef enum {
    GW_HIST_MESSAGE, /* seconds from arrival to the sender's answer */
    GW_HIST_SETUP,   /* seconds from a call's first request to its answer */
    GW_HIST_RTPENGINE, /* seconds from an ng request to its reply */
} GwHistogramKind;

#define GW_HIST_MAX_BUCKETS 16

typedef struct {
    GwHistogramKind kind;
    guint64 buckets[GW_HIST_MAX_BUCKETS]; /* not cumulative: bucket i holds
                                             what is <= bound i and > bound i-1 */
    guint64 count;
    double sum;
} GwHistogram;

typedef struct {
    guint64 messages[GW_DIR_N][GW_OUT_N];
    GwHistogram message_seconds[GW_DIR_N];
    guint64 typing[GW_DIR_N];

    guint64 calls_attempted[GW_DIR_N];
    guint64 calls_answered[GW_DIR_N];
    guint64 calls_failed[GW_DIR_N][GW_CALL_END_N];
    GwHistogram call_setup_seconds[GW_DIR_N];
    guint64 dtmf[GW_DIR_N];

    guint64 notify_sent, notify_failed;       /* PIDF NOTIFYs to SIP watchers */
    guint64 presence_to_xmpp;                 /* <presence> from SIP contacts */

    guint64 sip_received[GW_SIP_METHOD_N];    /* requests that reached us */
    guint64 sip_answered[GW_SIP_METHOD_N][GW_SIP_CLASS_N]; /* our final answers */
    guint64 sip_sent[GW_SIP_METHOD_N];        /* requests we sent */
    guint64 sip_outcome[GW_SIP_METHOD_N][GW_SIP_CLASS_N];  /* their final answers */

    guint64 rate_limited[GW_SIDE_N];
    guint64 untrusted_refused;                /* SIP requests from untrusted sources */

    guint64 xmpp_link_ups, xmpp_link_downs;
    guint64 xmpp_stanzas_in, xmpp_stanzas_out;
    guint64 xmpp_input_pauses; /* backpressure: reading the stream stopped */

    guint64 rtpengine_requests, rtpengine_failures, rtpengine_timeouts;
    GwHistogram rtpengine_seconds;
} GwMetrics;

/* What is read at scrape time. A field the reader does not know is left
 * at its initial value (-1: not rendered). */
typedef struct {
    gint64 xmpp_link_up;         /* 0 or 1 */
    gint64 sip_bound;            /* 0 or 1 */
    gint64 rtpengine_reachable;  /* 0 or 1, -1 when no rtpengine is configured */
    gint64 calls_active;
    gint64 sip_watchers;         /* SIP subscriptions to XMPP users we serve */
    gint64 watched_contacts;     /* SIP contacts XMPP users watch through us */
    gint64 sip_dialogs;
    gint64 sip_transactions;     /* incoming requests awaiting an answer */
    gint64 sip_messages_in_flight;
    gint64 xmpp_send_queue_bytes;
    gint64 xmpp_unconfirmed;     /* SIP MESSAGEs awaiting the XMPP server */
    gint64 resident_bytes;
    gint64 draining;             /* 0 or 1 */
    gint64 accounts;             /* per-user SIP accounts stored (-1: off) */
    gint64 accounts_registered;  /* ... registered at the registrar now */
    gint64 accounts_refused;     /* ... refused or given up */
    double start_time_seconds;   /* since the epoch; < 0: not rendered */
} GwMetricsGauges;

extern GwMetrics gw_metrics;

/* Sets every gauge to "unknown". */
void gw_metrics_gauges_init(GwMetricsGauges *g);
/* Zeroes `m` and sets the histograms' kinds. gw_metrics starts so. */
void gw_metrics_reset(GwMetrics *m);

GwOutcome gw_metrics_outcome_of_sip(int status);
GwSipMethod gw_metrics_sip_method(const char *name);
/* Why an unanswered call ended, from the Jingle reason it ended with (or
 * NULL) and else the SIP status (or 0); neither: the caller gave up. */
GwCallFailure gw_metrics_call_failure(const char *jingle_reason, int sip_status);
/* 100..699 -> 0..5; anything else (no answer) -> 6 */
guint gw_metrics_sip_class(int status);

void gw_histogram_observe(GwHistogram *h, double seconds);

/* Appends all of `m` and the known gauges of `g` to `out` in the
 * Prometheus text format, HELP and TYPE lines included. `version` is
 * rendered as gw_build_info{version="..."} 1. */
void gw_metrics_render(const GwMetrics *m, const GwMetricsGauges *g,
                       const char *version, GString *out);

/* Shorthands for the usual events on the process-wide metrics. */
static inline void
gw_metrics_message(GwDirection dir, int sip_status, gint64 arrived_us,
                   gint64 now_us)
{
    gw_metrics.messages[dir][gw_metrics_outcome_of_sip(sip_status)]++;
    if (arrived_us > 0 && now_us >= arrived_us)
        gw_histogram_observe(&gw_metrics.message_seconds[dir],
                             (double)(now_us - arrived_us) / 1e6);
}

G_END_DECLS
