/* gateway/core/metrics.c: classification tables, histogram buckets and the
 * Prometheus text rendering of gw_metrics (see metrics.h). Pure: the only
 * state is the process-wide counter struct. */
#include "metrics.h"

#include <string.h>

GwMetrics gw_metrics = {
    .message_seconds = { { .kind = GW_HIST_MESSAGE }, { .kind = GW_HIST_MESSAGE } },
    .call_setup_seconds = { { .kind = GW_HIST_SETUP }, { .kind = GW_HIST_SETUP } },
    .rtpengine_seconds = { .kind = GW_HIST_RTPENGINE },
};

/* ---- names of the label values -------------------------------------- */

static const char *const dir_names[GW_DIR_N] = { "xmpp_to_sip", "sip_to_xmpp" };

static const char *const outcome_names[GW_OUT_N] = {
    "delivered", "bad_request", "unauthenticated", "forbidden", "not_found",
    "offline", "too_large", "unsupported", "rejected", "timeout",
    "unavailable", "failed",
};

static const char *const failure_names[GW_CALL_END_N] = {
    "busy", "declined", "no_answer", "cancelled", "offline", "forbidden",
    "not_found", "media", "error",
};

static const char *const method_names[GW_SIP_METHOD_N] = {
    "INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "MESSAGE",
    "SUBSCRIBE", "NOTIFY", "PUBLISH", "REGISTER", "other",
};

static const char *const class_names[GW_SIP_CLASS_N] = {
    "1xx", "2xx", "3xx", "4xx", "5xx", "6xx", "timeout",
};

static const char *const side_names[GW_SIDE_N] = { "xmpp", "sip" };

/* ---- histogram buckets (upper bounds, seconds) ---------------------- */

typedef struct {
    const char *const *text; /* as rendered in le="" */
    const double *bound;
    guint n;
} Buckets;

static const double msg_b[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
static const char *const msg_t[] = { "0.0005", "0.001", "0.0025", "0.005",
                                     "0.01", "0.025", "0.05", "0.1", "0.25",
                                     "0.5", "1", "2.5", "5", "10" };
static const double setup_b[] = { 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120 };
static const char *const setup_t[] = { "0.05", "0.1", "0.25", "0.5", "1", "2",
                                       "5", "10", "20", "30", "60", "120" };
static const double rtpe_b[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05, 0.1, 0.25, 0.5, 1, 2.5 };
static const char *const rtpe_t[] = { "0.0005", "0.001", "0.0025", "0.005",
                                      "0.01", "0.025", "0.05", "0.1", "0.25",
                                      "0.5", "1", "2.5" };

G_STATIC_ASSERT(G_N_ELEMENTS(msg_b) == G_N_ELEMENTS(msg_t));
G_STATIC_ASSERT(G_N_ELEMENTS(setup_b) == G_N_ELEMENTS(setup_t));
G_STATIC_ASSERT(G_N_ELEMENTS(rtpe_b) == G_N_ELEMENTS(rtpe_t));
G_STATIC_ASSERT(G_N_ELEMENTS(msg_b) < GW_HIST_MAX_BUCKETS);
G_STATIC_ASSERT(G_N_ELEMENTS(setup_b) < GW_HIST_MAX_BUCKETS);
G_STATIC_ASSERT(G_N_ELEMENTS(rtpe_b) < GW_HIST_MAX_BUCKETS);

static const Buckets buckets[] = {
    [GW_HIST_MESSAGE] = { msg_t, msg_b, G_N_ELEMENTS(msg_b) },
    [GW_HIST_SETUP] = { setup_t, setup_b, G_N_ELEMENTS(setup_b) },
    [GW_HIST_RTPENGINE] = { rtpe_t, rtpe_b, G_N_ELEMENTS(rtpe_b) },
};

void
gw_histogram_observe(GwHistogram *h, double seconds)
{
    const Buckets *b = &buckets[h->kind];
    guint i = 0;

    while (i < b->n && seconds > b->bound[i])
        i++;
    h->buckets[i]++; /* i == n: only in +Inf */
    h->count++;
    h->sum += seconds;
}

/* ---- classification ------------------------------------------------- */

GwOutcome
gw_metrics_outcome_of_sip(int status)
{
    switch (status) {
    case 400: case 416: return GW_OUT_BAD_REQUEST;
    case 401: case 407: return GW_OUT_UNAUTHENTICATED;
    case 403: return GW_OUT_FORBIDDEN;
    case 404: case 484: case 604: return GW_OUT_NOT_FOUND;
    case 480: return GW_OUT_OFFLINE;
    case 413: return GW_OUT_TOO_LARGE;
    case 415: case 488: case 606: return GW_OUT_UNSUPPORTED;
    case 408: case 504: return GW_OUT_TIMEOUT;
    case 503: return GW_OUT_UNAVAILABLE;
    default: break;
    }
    if (status >= 200 && status < 300)
        return GW_OUT_DELIVERED;
    if ((status >= 300 && status < 500) || (status >= 600 && status < 700))
        return GW_OUT_REJECTED;
    if (status >= 500 && status < 600)
        return GW_OUT_FAILED;
    return GW_OUT_TIMEOUT; /* no final answer at all */
}

GwCallFailure
gw_metrics_call_failure(const char *jingle_reason, int sip_status)
{
    static const struct {
        const char *reason;
        GwCallFailure failure;
    } jingle[] = {
        { "busy", GW_CALL_BUSY },
        { "decline", GW_CALL_DECLINED },
        { "timeout", GW_CALL_NO_ANSWER },
        { "expired", GW_CALL_NO_ANSWER },
        { "cancel", GW_CALL_CANCELLED },
        { "success", GW_CALL_CANCELLED }, /* hung up before the answer */
        { "gone", GW_CALL_OFFLINE },
        { "security-error", GW_CALL_FORBIDDEN },
        { "failed-application", GW_CALL_MEDIA },
        { "incompatible-parameters", GW_CALL_MEDIA },
        { "media-error", GW_CALL_MEDIA },
        { "unsupported-applications", GW_CALL_MEDIA },
        { "failed-transport", GW_CALL_MEDIA },
        { "unsupported-transports", GW_CALL_MEDIA },
        { "connectivity-error", GW_CALL_MEDIA },
    };

    if (jingle_reason != NULL) {
        for (gsize i = 0; i < G_N_ELEMENTS(jingle); i++)
            if (strcmp(jingle[i].reason, jingle_reason) == 0)
                return jingle[i].failure;
        return GW_CALL_ERROR;
    }
    switch (sip_status) {
    case 0: case 487: return GW_CALL_CANCELLED;
    case 486: case 600: return GW_CALL_BUSY;
    case 603: return GW_CALL_DECLINED;
    case 408: return GW_CALL_NO_ANSWER;
    case 480: case 410: return GW_CALL_OFFLINE;
    case 404: case 484: case 604: return GW_CALL_NOT_FOUND;
    case 401: case 403: case 407: return GW_CALL_FORBIDDEN;
    case 415: case 488: case 606: return GW_CALL_MEDIA;
    default: return GW_CALL_ERROR;
    }
}

GwSipMethod
gw_metrics_sip_method(const char *name)
{
    for (guint i = 0; name != NULL && i < GW_SIP_OTHER; i++) {
        if (strcmp(name, method_names[i]) == 0)
            return (GwSipMethod)i;
    }
    return GW_SIP_OTHER;
}

guint
gw_metrics_sip_class(int status)
{
    if (status >= 100 && status < 700)
        return (guint)(status / 100 - 1);
    return GW_SIP_CLASS_N - 1;
}

void
gw_metrics_reset(GwMetrics *m)
{
    memset(m, 0, sizeof(*m));
    for (guint d = 0; d < GW_DIR_N; d++) {
        m->message_seconds[d].kind = GW_HIST_MESSAGE;
        m->call_setup_seconds[d].kind = GW_HIST_SETUP;
    }
    m->rtpengine_seconds.kind = GW_HIST_RTPENGINE;
}

void
gw_metrics_gauges_init(GwMetricsGauges *g)
{
    g->xmpp_link_up = g->sip_bound = g->rtpengine_reachable = -1;
    g->calls_active = g->sip_watchers = g->watched_contacts = -1;
    g->sip_dialogs = g->sip_transactions = g->sip_messages_in_flight = -1;
    g->xmpp_send_queue_bytes = g->xmpp_unconfirmed = g->resident_bytes = -1;
    g->draining = -1;
    g->accounts = g->accounts_registered = g->accounts_refused = -1;
    g->start_time_seconds = -1;
}

/* ---- rendering ------------------------------------------------------ */

static void
family(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                           name, type);
}

static void
sample(GString *out, const char *name, const char *labels, guint64 v)
{
    g_string_append(out, name);
    if (labels != NULL && *labels != '\0')
        g_string_append_printf(out, "{%s}", labels);
    g_string_append_printf(out, " %" G_GUINT64_FORMAT "\n", v);
}

static void
sample_double(GString *out, const char *name, const char *labels, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append(out, name);
    if (labels != NULL && *labels != '\0')
        g_string_append_printf(out, "{%s}", labels);
    g_string_append_printf(out, " %s\n", g_ascii_dtostr(buf, sizeof(buf), v));
}

static void
histogram(GString *out, const char *name, const char *labels,
          const GwHistogram *h)
{
    const Buckets *b = &buckets[h->kind];
    const char *sep = labels != NULL && *labels != '\0' ? "," : "";
    guint64 cumulative = 0;

    for (guint i = 0; i < b->n; i++) {
        cumulative += h->buckets[i];
        g_string_append_printf(out, "%s_bucket{%s%sle=\"%s\"} %" G_GUINT64_FORMAT "\n",
                               name, labels ? labels : "", sep, b->text[i], cumulative);
    }
    g_string_append_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %" G_GUINT64_FORMAT "\n",
                           name, labels ? labels : "", sep, h->count);
    {
        g_autofree char *sum = g_strconcat(name, "_sum", NULL);
        g_autofree char *count = g_strconcat(name, "_count", NULL);
        sample_double(out, sum, labels, h->sum);
        sample(out, count, labels, h->count);
    }
}

static void
gauge(GString *out, const char *name, const char *help, gint64 v)
{
    if (v < 0)
        return;
    family(out, name, "gauge", help);
    sample(out, name, NULL, (guint64)v);
}

/* A counter family with one sample per direction. */
static void
per_direction(GString *out, const char *name, const char *help,
              const guint64 v[GW_DIR_N])
{
    char l[64];

    family(out, name, "counter", help);
    for (guint d = 0; d < GW_DIR_N; d++) {
        g_snprintf(l, sizeof(l), "direction=\"%s\"", dir_names[d]);
        sample(out, name, l, v[d]);
    }
}

/* A histogram family with one histogram per direction. */
static void
per_direction_histogram(GString *out, const char *name, const char *help,
                        const GwHistogram h[GW_DIR_N])
{
    char l[64];

    family(out, name, "histogram", help);
    for (guint d = 0; d < GW_DIR_N; d++) {
        g_snprintf(l, sizeof(l), "direction=\"%s\"", dir_names[d]);
        histogram(out, name, l, &h[d]);
    }
}

static void
render_messages(const GwMetrics *m, GString *out)
{
    char l[96];

    family(out, "gw_messages_total", "counter",
           "Messages bridged, by direction and how they ended.");
    for (guint d = 0; d < GW_DIR_N; d++)
        for (guint o = 0; o < GW_OUT_N; o++) {
            g_snprintf(l, sizeof(l), "direction=\"%s\",outcome=\"%s\"",
                       dir_names[d], outcome_names[o]);
            sample(out, "gw_messages_total", l, m->messages[d][o]);
        }
    per_direction_histogram(out, "gw_message_seconds",
                            "Time from a message's arrival to the answer its sender gets.",
                            m->message_seconds);
    per_direction(out, "gw_typing_notifications_total",
                  "Chat state (typing) notifications bridged.", m->typing);
}

static void
render_calls(const GwMetrics *m, GString *out)
{
    char l[96];

    per_direction(out, "gw_calls_attempted_total", "Call attempts.", m->calls_attempted);
    per_direction(out, "gw_calls_answered_total", "Calls answered.", m->calls_answered);
    family(out, "gw_calls_failed_total", "counter",
           "Call attempts that ended unanswered, by reason.");
    for (guint d = 0; d < GW_DIR_N; d++)
        for (guint r = 0; r < GW_CALL_END_N; r++) {
            g_snprintf(l, sizeof(l), "direction=\"%s\",reason=\"%s\"",
                       dir_names[d], failure_names[r]);
            sample(out, "gw_calls_failed_total", l, m->calls_failed[d][r]);
        }
    per_direction_histogram(out, "gw_call_setup_seconds",
                            "Time from a call's first request to its answer.",
                            m->call_setup_seconds);
    per_direction(out, "gw_dtmf_digits_total", "DTMF digits bridged.", m->dtmf);
}

static void
render_sip_table(GString *out, const char *name, const char *help,
                 const guint64 (*t)[GW_SIP_CLASS_N], guint classes)
{
    char l[96];

    family(out, name, "counter", help);
    for (guint i = 0; i < GW_SIP_METHOD_N; i++)
        for (guint k = 0; k < classes; k++) {
            g_snprintf(l, sizeof(l), "method=\"%s\",class=\"%s\"",
                       method_names[i], class_names[k]);
            sample(out, name, l, t[i][k]);
        }
}

static void
render_sip(const GwMetrics *m, GString *out)
{
    char l[64];

    family(out, "gw_sip_requests_received_total", "counter",
           "SIP requests received, by method.");
    for (guint i = 0; i < GW_SIP_METHOD_N; i++) {
        g_snprintf(l, sizeof(l), "method=\"%s\"", method_names[i]);
        sample(out, "gw_sip_requests_received_total", l, m->sip_received[i]);
    }
    render_sip_table(out, "gw_sip_responses_sent_total",
                     "Final and provisional SIP responses sent, by method and class.",
                     m->sip_answered, GW_SIP_CLASS_N - 1);
    family(out, "gw_sip_requests_sent_total", "counter",
           "SIP requests sent (new transactions), by method.");
    for (guint i = 0; i < GW_SIP_METHOD_N; i++) {
        g_snprintf(l, sizeof(l), "method=\"%s\"", method_names[i]);
        sample(out, "gw_sip_requests_sent_total", l, m->sip_sent[i]);
    }
    render_sip_table(out, "gw_sip_responses_received_total",
                     "Final outcome of the SIP requests sent, by method and class.",
                     m->sip_outcome, GW_SIP_CLASS_N);
}

static void
render_rest(const GwMetrics *m, GString *out)
{
    char l[64];

    family(out, "gw_presence_notify_total", "counter",
           "PIDF NOTIFYs to SIP watchers, by result.");
    sample(out, "gw_presence_notify_total", "result=\"sent\"", m->notify_sent);
    sample(out, "gw_presence_notify_total", "result=\"failed\"", m->notify_failed);
    family(out, "gw_presence_to_xmpp_total", "counter",
           "Presence stanzas sent to XMPP watchers of SIP contacts.");
    sample(out, "gw_presence_to_xmpp_total", NULL, m->presence_to_xmpp);

    family(out, "gw_rate_limited_total", "counter",
           "Requests refused by a rate limit, by the side they came from.");
    for (guint s = 0; s < GW_SIDE_N; s++) {
        g_snprintf(l, sizeof(l), "side=\"%s\"", side_names[s]);
        sample(out, "gw_rate_limited_total", l, m->rate_limited[s]);
    }
    family(out, "gw_sip_untrusted_refused_total", "counter",
           "SIP requests refused because their source is neither trusted "
           "nor authenticated.");
    sample(out, "gw_sip_untrusted_refused_total", NULL, m->untrusted_refused);

    family(out, "gw_xmpp_link_changes_total", "counter",
           "XMPP component link transitions.");
    sample(out, "gw_xmpp_link_changes_total", "to=\"up\"", m->xmpp_link_ups);
    sample(out, "gw_xmpp_link_changes_total", "to=\"down\"", m->xmpp_link_downs);
    family(out, "gw_xmpp_stanzas_total", "counter", "Stanzas over the component link.");
    sample(out, "gw_xmpp_stanzas_total", "direction=\"in\"", m->xmpp_stanzas_in);
    sample(out, "gw_xmpp_stanzas_total", "direction=\"out\"", m->xmpp_stanzas_out);
    family(out, "gw_xmpp_input_pauses_total", "counter",
           "Times the gateway stopped reading the XMPP stream because "
           "[limits] max_inflight_sip requests awaited the SIP side.");
    sample(out, "gw_xmpp_input_pauses_total", NULL, m->xmpp_input_pauses);

    family(out, "gw_rtpengine_requests_total", "counter",
           "rtpengine ng requests, by result.");
    sample(out, "gw_rtpengine_requests_total", "result=\"ok\"",
           m->rtpengine_requests - MIN(m->rtpengine_requests,
                                       m->rtpengine_failures + m->rtpengine_timeouts));
    sample(out, "gw_rtpengine_requests_total", "result=\"error\"", m->rtpengine_failures);
    sample(out, "gw_rtpengine_requests_total", "result=\"timeout\"", m->rtpengine_timeouts);
    family(out, "gw_rtpengine_seconds", "histogram",
           "Time from an rtpengine ng request to its reply.");
    histogram(out, "gw_rtpengine_seconds", NULL, &m->rtpengine_seconds);
}

static void
render_gauges(const GwMetricsGauges *g, GString *out)
{
    gauge(out, "gw_xmpp_link_up", "1 when the XMPP component link is up.",
          g->xmpp_link_up);
    gauge(out, "gw_sip_bound", "1 when the SIP transports are bound.", g->sip_bound);
    gauge(out, "gw_rtpengine_reachable",
          "1 when rtpengine answered its last ping.", g->rtpengine_reachable);
    gauge(out, "gw_draining", "1 while new calls and subscriptions are refused.",
          g->draining);
    gauge(out, "gw_calls_active", "Calls in progress (ringing or answered).",
          g->calls_active);
    gauge(out, "gw_sip_watchers", "SIP subscriptions to XMPP users' presence.",
          g->sip_watchers);
    gauge(out, "gw_watched_sip_contacts",
          "SIP contacts whose presence XMPP users watch through the gateway.",
          g->watched_contacts);
    gauge(out, "gw_sip_dialogs", "SIP dialogs (subscriptions and calls).",
          g->sip_dialogs);
    gauge(out, "gw_sip_server_transactions", "SIP requests awaiting our answer.",
          g->sip_transactions);
    gauge(out, "gw_sip_messages_in_flight", "SIP MESSAGEs sent and not yet answered.",
          g->sip_messages_in_flight);
    gauge(out, "gw_xmpp_send_queue_bytes", "Bytes queued on the XMPP link.",
          g->xmpp_send_queue_bytes);
    gauge(out, "gw_xmpp_unconfirmed_messages",
          "SIP MESSAGEs waiting for the XMPP server to confirm their stanza.",
          g->xmpp_unconfirmed);
    gauge(out, "gw_accounts", "Per-user SIP accounts stored.", g->accounts);
    gauge(out, "gw_accounts_registered",
          "Per-user SIP accounts registered at the registrar.",
          g->accounts_registered);
    gauge(out, "gw_accounts_refused",
          "Per-user SIP accounts refused or given up, until re-registered.",
          g->accounts_refused);
    gauge(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
          g->resident_bytes);
    if (g->start_time_seconds >= 0) {
        family(out, "process_start_time_seconds", "gauge",
               "Start time of the process since the epoch in seconds.");
        sample_double(out, "process_start_time_seconds", NULL, g->start_time_seconds);
    }
}

void
gw_metrics_render(const GwMetrics *m, const GwMetricsGauges *g,
                  const char *version, GString *out)
{
    family(out, "gw_build_info", "gauge", "The gateway's version.");
    {
        g_autofree char *l = g_strdup_printf("version=\"%s\"", version ? version : "");
        sample(out, "gw_build_info", l, 1);
    }
    render_gauges(g, out);
    render_messages(m, out);
    render_calls(m, out);
    render_sip(m, out);
    render_rest(m, out);
}
