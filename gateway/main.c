/* gateway/main.c: options, logging, signals, the main loop, and the
 * orderly start and stop of the links.
 *
 * Exit status: 0 normal stop; 1 --check-config found problems or --map
 * could not map; 2 the configuration is unusable (before any network
 * I/O); 3 the SIP listen address or [admin] http_listen could not be
 * bound.
 *
 * Stop (SIGTERM/SIGINT):
 *   1. refuse new work (XMPP: service-unavailable/wait, SIP: 503)
 *   2. drain: wait up to 3 s for XMPP->SIP messages to get SIP answers,
 *      so their receipts or bounces still reach the senders
 *   3. close the XMPP stream (SIP MESSAGEs whose stanza the XMPP server
 *      has not confirmed yet get 503 + Retry-After: never a 2xx for what
 *      may be lost)
 *   4. un-REGISTER, shut the SIP stack down, quit.
 */
#define G_LOG_DOMAIN "gw-main"

#include <glib-unix.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway.h"
#include "gw_log.h"
#include "admin.h"
#include "admin_http.h"
#include "call_bridge.h"
#include "message_bridge.h"
#include "presence_bridge.h"
#include "loop_pace.h"
#include "service.h"
#include "xmpp_directory.h"
#include "accounts.h"

static gboolean log_journald;
static int log_verbose; /* -v count: a floor that [log] level never lowers */
static double start_time; /* seconds since the epoch */

/* The operator's side; NULL when off. */
static GwAdminHttp *admin_http;
static GwService *service;

/* ---- logging ----------------------------------------------------------- */

static const char *
level_name(GLogLevelFlags level)
{
    switch (level & G_LOG_LEVEL_MASK) {
    case G_LOG_LEVEL_ERROR:
        return "ERROR";
    case G_LOG_LEVEL_CRITICAL:
        return "CRITICAL";
    case G_LOG_LEVEL_WARNING:
        return "WARNING";
    case G_LOG_LEVEL_MESSAGE:
        return "MESSAGE";
    case G_LOG_LEVEL_INFO:
        return "INFO";
    default:
        return "DEBUG";
    }
}

static GLogWriterOutput
log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
           gpointer user_data)
{
    const char *domain = NULL, *message = NULL;
    g_autoptr(GString) extra = NULL;
    g_autoptr(GDateTime) now = NULL;
    g_autofree char *stamp = NULL;

    if ((level & G_LOG_LEVEL_MASK) > gw_log_threshold &&
        !(level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)))
        return G_LOG_WRITER_HANDLED;
    if (log_journald)
        return g_log_writer_journald(level, fields, n_fields, user_data);

    for (gsize i = 0; i < n_fields; i++) {
        const GLogField *f = &fields[i];
        if (f->length >= 0)
            continue; /* only NUL-terminated text fields are printed */
        if (strcmp(f->key, "GLIB_DOMAIN") == 0)
            domain = f->value;
        else if (strcmp(f->key, "MESSAGE") == 0)
            message = f->value;
        else if (g_str_has_prefix(f->key, "GW_")) {
            if (extra == NULL)
                extra = g_string_new(NULL);
            g_string_append_printf(extra, " %s=%s", f->key + 3,
                                   (const char *)f->value);
        }
    }
    now = g_date_time_new_now_local();
    stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S.%f");
    stamp[23] = '\0'; /* milliseconds */
    fprintf(stderr, "%s %s %s: %s%s\n", stamp, domain ? domain : "-",
            level_name(level), message ? message : "",
            extra ? extra->str : "");
    return G_LOG_WRITER_HANDLED;
}

static void
set_log_level(const char *name, int verbose)
{
    verbose = MAX(verbose, log_verbose);
    if (verbose >= 2 || g_strcmp0(name, "debug") == 0)
        gw_log_threshold = G_LOG_LEVEL_DEBUG;
    else if (verbose == 1 || g_strcmp0(name, "info") == 0)
        gw_log_threshold = G_LOG_LEVEL_INFO;
    else
        gw_log_threshold = G_LOG_LEVEL_MESSAGE;
}

static void
libxml_error(void *ctx, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_log_structured("libxml2", G_LOG_LEVEL_DEBUG, "MESSAGE", "%s",
                     g_strchomp(text));
}

/* ---- stop and reload --------------------------------------------------- */

static gint64 drain_deadline;

static gboolean
on_sip_stopped(gpointer data)
{
    GwGateway *gw = data;

    g_message("stopped");
    g_main_loop_quit(gw->loop);
    return G_SOURCE_REMOVE;
}

static gboolean
on_xmpp_stopped(gpointer data)
{
    GwGateway *gw = data;

    gw_sip_ua_stop(gw->env.sip, on_sip_stopped, gw);
    return G_SOURCE_REMOVE;
}

static gboolean
drain_tick(gpointer data)
{
    GwGateway *gw = data;
    GwMsgStats st;

    gw_msg_bridge_get_stats(gw->msg, &st);
    if (st.pending_sip > 0 && g_get_monotonic_time() < drain_deadline)
        return G_SOURCE_CONTINUE;
    /* the accounts' paced un-REGISTERs, bounded by their own deadline */
    if (!gw_accounts_stopped(gw->accounts))
        return G_SOURCE_CONTINUE;
    if (st.pending_sip > 0)
        g_warning("stopping with %u XMPP->SIP messages unanswered; their "
                  "senders get an error if the XMPP link allows",
                  st.pending_sip);
    gw_xmpp_link_stop(gw->env.xmpp, on_xmpp_stopped, gw);
    return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal(gpointer data)
{
    GwGateway *gw = data;

    if (gw->env.stopping) {
        g_warning("second stop signal: exiting at once");
        exit(1);
    }
    g_message("stopping");
    gw->env.stopping = TRUE;
    gw_service_stopping(service);
    gw_call_bridge_shutdown(gw->calls);
    gw_pres_bridge_shutdown(gw->pres);
    gw_accounts_shutdown(gw->accounts);
    drain_deadline = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;
    g_timeout_add(20, drain_tick, gw);
    return G_SOURCE_CONTINUE;
}

/* Re-reads the configuration file: TRUE and applied, or FALSE and the
 * running one kept; `report` (may be NULL) says what happened. */
static gboolean
reload_config(GwGateway *gw, GString *report)
{
    g_autoptr(GError) error = NULL;
    GwConfig *next = gw_config_load(gw->boot_config->path, &error);
    MapTable *map;
    g_auto(GStrv) restart = NULL;

    if (next == NULL) {
        g_warning("reload refused, keeping the running configuration:\n%s",
                  error->message);
        if (report != NULL)
            g_string_append_printf(report, "Reload refused:\n%s", error->message);
        return FALSE;
    }
    map = gw_config_build_map(next, &error);
    if (map == NULL) {
        g_warning("reload refused: %s", error->message);
        if (report != NULL)
            g_string_append_printf(report, "Reload refused: %s", error->message);
        gw_config_free(next);
        return FALSE;
    }
    restart = gw_config_restart_keys(gw->boot_config, next);
    if (restart != NULL) {
        g_autofree char *list = g_strjoinv(", ", restart);
        g_warning("reload: these changes take effect only after a restart: "
                  "%s",
                  list);
        if (report != NULL)
            g_string_append_printf(report, "Needs a restart: %s. ", list);
    }
    gw_config_apply_reloadable(gw->boot_config, next);
    map_table_free(gw->env.map);
    gw->env.map = map;
    if (gw->env.config != gw->boot_config)
        gw_config_free(gw->env.config);
    gw->env.config = next;
    set_log_level(next->log.level, 0);
    gw_loop_pace_set(NULL, next->limits.wakeup_window_us);
    g_message("configuration reloaded: %u static entries, %u rules",
              map_table_get_n_static(map), map_table_get_n_rules(map));
    if (report != NULL)
        g_string_append_printf(report, "Configuration reloaded: %u static entries, %u rules.",
                               map_table_get_n_static(map), map_table_get_n_rules(map));
    return TRUE;
}

static gboolean
on_reload_signal(gpointer data)
{
    reload_config(data, NULL);
    return G_SOURCE_CONTINUE;
}

/* ---- command line ------------------------------------------------------ */

static const char *
kind_name(MapKind k)
{
    switch (k) {
    case MAP_KIND_XMPP_USER:
        return "xmpp-user";
    case MAP_KIND_SIP_USER:
        return "sip-user";
    case MAP_KIND_PHONE:
        return "phone";
    case MAP_KIND_FOREIGN:
        return "foreign-sip";
    }
    return "?";
}

static int
run_map(const GwConfig *cfg, const char *address)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) map = gw_config_build_map(cfg, &error);
    g_autoptr(MapResult) r = NULL;

    if (map == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return 2;
    }
    r = map_table_lookup_any(map, address, &error);
    if (r == NULL) {
        printf("%s: does not map: %s\n", address, error->message);
        return 1;
    }
    printf("jid:  %s\nsip:  %s\nkind: %s\nrule: %s\n", r->jid, r->sip_uri,
           kind_name(r->kind), r->rule);
    return 0;
}

/* The caps cache's bounds (gateway/caps.h). Fixed for now: a resource past
 * them is not tracked, and calls to it use JMI as before. */
static const GwCapsLimits caps_limits = {
    .max_vers = 1000,
    .max_jids = 100000,
    .max_per_user = 32,
    .max_pending = 500,
    .timeout_ms = 10000,
};

static void
send_caps_query(GString *xml, gpointer data)
{
    GwGateway *gw = data;

    gw_xmpp_link_send_text(gw->env.xmpp, xml);
}

/* The call bridge's port to the directory of XMPP resources, which the
 * presence bridge feeds (and alone knows whether it is authoritative). */
static GPtrArray *
get_resources(gpointer pres, const char *bare, gboolean *known)
{
    *known = gw_pres_bridge_presence_known(pres, bare);
    return gw_xmpp_directory_get_resources(gw_pres_bridge_get_directory(pres),
                                           bare);
}

/* Account holders' own commands (admin.c) on the accounts module. */
static gboolean
own_account_status(gpointer accounts, const char *bare, GwAccountStatus *st)
{
    return gw_accounts_status(accounts, bare, st);
}

static gboolean
own_account_password(gpointer accounts, const char *bare, const char *pw,
                     GError **error)
{
    return gw_accounts_change_password(accounts, bare, pw, error);
}

static gboolean
own_account_when(gpointer accounts, const char *bare, const char *when,
                 GError **error)
{
    return gw_accounts_set_register_when(accounts, bare, when, error);
}

static gboolean
own_account_unregister(gpointer accounts, const char *bare, GError **error)
{
    return gw_accounts_unregister(accounts, bare, error);
}

/* The accounts' port to the directory: is she online (presence she sends
 * to SIP contacts on the component)? */
static gboolean
accounts_online(gpointer pres, const char *bare)
{
    return gw_xmpp_directory_is_online(gw_pres_bridge_get_directory(pres),
                                       bare);
}

/* The accounts' changes to the presence bridge: her subscriptions and
 * publication follow her AOR at once. */
static void
accounts_changed(gpointer pres, const char *bare)
{
    gw_pres_bridge_account_changed(pres, bare);
}

/* ---- the operator's view: gauges, health, readiness ------------------- */

static gint64
resident_bytes(void)
{
    g_autofree char *statm = NULL;
    unsigned long size = 0, resident = 0;

    if (!g_file_get_contents("/proc/self/statm", &statm, NULL, NULL) ||
        sscanf(statm, "%lu %lu", &size, &resident) != 2)
        return -1;
    return (gint64)resident * sysconf(_SC_PAGESIZE);
}

static void
read_gauges(gpointer data, GwMetricsGauges *g)
{
    GwGateway *gw = data;
    GwCallStats calls;
    GwPresStats pres;
    GwSipStats sip;
    GwMsgStats msg;

    g->xmpp_link_up = gw->env.xmpp != NULL && gw_xmpp_link_is_up(gw->env.xmpp);
    g->sip_bound = gw->env.sip != NULL && !gw->env.stopping;
    g->draining = gw->env.stopping || gw->env.draining;
    gw_call_bridge_get_stats(gw->calls, &calls);
    g->calls_active = calls.calls;
    g->rtpengine_reachable = calls.relay_reachable;
    gw_pres_bridge_get_stats(gw->pres, &pres);
    g->sip_watchers = pres.sip_watchers;
    g->watched_contacts = pres.contacts;
    if (gw->env.sip != NULL) {
        gw_sip_ua_get_stats(gw->env.sip, &sip);
        g->sip_dialogs = sip.dialogs;
        g->sip_transactions = sip.requests;
        g->sip_messages_in_flight = sip.messages_out;
    }
    gw_msg_bridge_get_stats(gw->msg, &msg);
    g->xmpp_unconfirmed = msg.pending_xmpp;
    if (gw->accounts != NULL) {
        GwAccountsStats acc;
        gw_accounts_get_stats(gw->accounts, &acc);
        g->accounts = acc.accounts;
        g->accounts_registered = acc.registered;
        g->accounts_refused = acc.refused;
    }
    if (gw->env.xmpp != NULL) {
        GwXmppStats x;
        gw_xmpp_link_get_stats(gw->env.xmpp, &x);
        g->xmpp_send_queue_bytes = (gint64)x.queued_bytes;
    }
    g->resident_bytes = resident_bytes();
    g->start_time_seconds = start_time;
}

static gboolean
admin_allowed(gpointer data, const char *address)
{
    GwGateway *gw = data;

    return gw_config_allows_admin_http(gw->env.config, address);
}

/* ---- the XEP-0050 commands' ports (bridge/admin.h) --------------------- */

static GPtrArray *
admin_list_calls(gpointer data)
{
    GwGateway *gw = data;

    return gw_call_bridge_list(gw->calls);
}

static GPtrArray *
admin_list_subscriptions(gpointer data)
{
    GwGateway *gw = data;

    return gw_pres_bridge_list(gw->pres);
}

static gboolean
admin_end_call(gpointer data, const char *id)
{
    GwGateway *gw = data;

    return gw_call_bridge_hang_up(gw->calls, id);
}

static gboolean
admin_reload(gpointer data, GString *report)
{
    return reload_config(data, report);
}

static void
admin_log_level(gpointer data, const char *level)
{
    set_log_level(level, 0);
}

static void
set_draining(GwGateway *gw, gboolean draining)
{
    if (gw->env.draining == draining)
        return;
    gw->env.draining = draining;
    g_message(draining ? "draining: new calls and SIP watchers are refused"
                       : "drain ended: new calls and SIP watchers are taken");
}

static void
admin_drain(gpointer data, gboolean draining)
{
    set_draining(data, draining);
}

/* SIGUSR1 drains, SIGUSR2 ends the drain (also XEP-0050 drain/undrain). */
static gboolean
on_drain_signal(gpointer data)
{
    set_draining(data, TRUE);
    return G_SOURCE_CONTINUE;
}

static gboolean
on_undrain_signal(gpointer data)
{
    set_draining(data, FALSE);
    return G_SOURCE_CONTINUE;
}

static gboolean
service_ready(gpointer data, GString *status)
{
    GwGateway *gw = data;
    GwMetricsGauges g;

    gw_metrics_gauges_init(&g);
    read_gauges(gw, &g);
    g_string_append_printf(status, "XMPP %s, SIP %s, %" G_GINT64_FORMAT
                           " calls, %" G_GINT64_FORMAT " SIP watchers",
                           g.xmpp_link_up == 1 ? "up" : "down",
                           g.sip_bound == 1 ? "bound" : "not bound",
                           g.calls_active, g.sip_watchers);
    return g.xmpp_link_up == 1 && g.sip_bound == 1;
}

int
main(int argc, char **argv)
{
    g_autofree char *config_path = NULL, *map_address = NULL;
    gboolean check = FALSE, version = FALSE, help_config = FALSE;
    int verbose = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) opts = NULL;
    GwGateway gw = { 0 };
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
          "configuration file", "FILE" },
        { "check-config", 0, 0, G_OPTION_ARG_NONE, &check,
          "validate the configuration, list every problem, exit 0 or 1",
          NULL },
        { "map", 0, 0, G_OPTION_ARG_STRING, &map_address,
          "print what ADDRESS (JID, SIP/tel URI or dialled number) maps to",
          "ADDRESS" },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &version,
          "print the version and exit", NULL },
        { "help-config", 0, 0, G_OPTION_ARG_NONE, &help_config,
          "print every configuration key and exit", NULL },
        G_OPTION_ENTRY_NULL,
    };
    int rc = 0;

    /* -v/--verbose may repeat (GOption cannot count): taken out here */
    {
        int n = 1;
        for (int i = 1; i < argc; i++) {
            if (strcmp(argv[i], "-v") == 0 ||
                strcmp(argv[i], "--verbose") == 0)
                verbose++;
            else if (strcmp(argv[i], "-vv") == 0)
                verbose += 2;
            else
                argv[n++] = argv[i];
        }
        argc = n;
        argv[argc] = NULL;
    }

    log_verbose = verbose;
    g_log_set_writer_func(log_writer, NULL, NULL);
    log_journald = g_log_writer_is_journald(fileno(stderr));
    set_log_level(NULL, verbose);

    opts = g_option_context_new("- bridge XMPP and SIP");
    g_option_context_set_description(
        opts, "  -v, --verbose     more log output (-v info, -vv debug)\n");
    g_option_context_add_main_entries(opts, entries, NULL);
    if (!g_option_context_parse(opts, &argc, &argv, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return 2;
    }
    if (version) {
        printf("xmpp-sip-gateway %s\n", GW_VERSION);
        return 0;
    }
    if (help_config) {
        g_autoptr(GString) ref = g_string_new(NULL);
        gw_config_print_reference(ref);
        fputs(ref->str, stdout);
        return 0;
    }
    if (config_path == NULL) {
        fprintf(stderr, "xmpp-sip-gateway: --config FILE is required\n");
        return 2;
    }

    gw.boot_config = gw_config_load(config_path, &error);
    if (gw.boot_config == NULL) {
        fprintf(stderr, "%s\n", error->message);
        return check ? 1 : 2;
    }
    if (map_address != NULL) {
        rc = run_map(gw.boot_config, map_address);
        gw_config_free(gw.boot_config);
        return rc;
    }
    gw.env.config = gw.boot_config;
    gw.env.map = gw_config_build_map(gw.env.config, &error);
    {
        g_auto(GStrv) idle = gw_config_idle_warnings(gw.env.config);
        g_autoptr(GStrvBuilder) b = g_strv_builder_new();
        g_auto(GStrv) all = NULL;

        g_strv_builder_addv(b, (const char **)gw.env.config->warnings);
        g_strv_builder_addv(b, (const char **)idle);
        all = g_strv_builder_end(b);
        for (guint i = 0; all[i] != NULL; i++) {
            if (check)
                fprintf(stderr, "warning: %s\n", all[i]);
            else
                g_warning("%s", all[i]);
        }
    }
    if (check) {
        printf("%s: OK (%u static entries, %u rules)\n", config_path,
               map_table_get_n_static(gw.env.map), map_table_get_n_rules(gw.env.map));
        map_table_free(gw.env.map);
        gw_config_free(gw.boot_config);
        return 0;
    }
    set_log_level(gw.env.config->log.level, verbose);
    xmlInitParser();
    /* libxml2 prints some errors (bad encodings) through a global handler
     * even with XML_PARSE_NOERROR: into our log, at debug */
    xmlSetGenericErrorFunc(NULL, libxml_error);
    gw_router_init_caps(&gw);
    for (gsize i = 0; i < sizeof gw.auth_secret; i += 4) {
        guint32 r = g_random_int();
        memcpy(gw.auth_secret + i, &r, 4);
    }

    start_time = (double)g_get_real_time() / G_USEC_PER_SEC;
    gw.loop = g_main_loop_new(NULL, FALSE);
    gw.xmpp_rate = gw_rate_limiter_new();
    gw.sip_rate = gw_rate_limiter_new();
    gw.msg = gw_msg_bridge_new(&gw.env, gw.xmpp_rate);
    gw.caps = gw_caps_new(&caps_limits, send_caps_query, &gw);
    gw.pres = gw_pres_bridge_new(&gw.env, gw.caps, gw.caps_ver);
    gw.calls = gw_call_bridge_new(&gw.env, gw.boot_config, get_resources,
                                  gw.pres, &error);
    if (gw.calls == NULL) {
        g_critical("%s", error->message);
        rc = 2;
        goto out;
    }
    gw.env.sip = gw_sip_ua_new(gw.boot_config, gw_router_sip_request, &gw,
                           &error);
    if (gw.env.sip == NULL) {
        g_critical("%s", error->message);
        rc = 3;
        goto out;
    }
    if (gw.boot_config->accounts.enabled) {
        gw.accounts = gw_accounts_new(&gw.env, accounts_online, gw.pres,
                                      &error);
        if (gw.accounts == NULL) {
            g_critical("%s", error->message);
            rc = 2;
            goto out;
        }
        /* traffic follows the account (bridges read the port from env) */
        gw_accounts_port(gw.accounts, &gw.env.accounts);
        gw_accounts_set_changed(gw.accounts, accounts_changed, gw.pres);
        gw_sip_ua_set_authorizer(gw.env.sip, gw_accounts_sip_authorize,
                                 gw.accounts);
        gw_sip_ua_set_hop(gw.env.sip, gw_accounts_sip_hop, gw.accounts);
    }
    gw.env.xmpp = gw_xmpp_link_new(gw.boot_config, gw_router_xmpp_stanza,
                               gw_router_xmpp_state, &gw);
    gw_xmpp_link_set_busy_func(gw.env.xmpp,
                               (GwXmppBusyFunc)gw_sip_ua_input_pending,
                               gw.env.sip);
    if (gw.boot_config->admin.http_listen != NULL) {
        GwAdminProbe probe = { read_gauges, admin_allowed, &gw };
        admin_http = gw_admin_http_new(gw.boot_config->admin.http_listen, &probe, &error);
        if (admin_http == NULL) {
            g_critical("%s", error->message);
            rc = 3;
            goto out;
        }
    }
    g_unix_signal_add(SIGTERM, on_stop_signal, &gw);
    g_unix_signal_add(SIGINT, on_stop_signal, &gw);
    g_unix_signal_add(SIGHUP, on_reload_signal, &gw);
    g_unix_signal_add(SIGUSR1, on_drain_signal, &gw);
    g_unix_signal_add(SIGUSR2, on_undrain_signal, &gw);
    {
        GwAdminPorts ports = { read_gauges, admin_list_calls, admin_list_subscriptions,
                               admin_end_call, admin_reload, admin_log_level,
                               admin_drain, &gw, { 0 } };
        if (gw.accounts != NULL)
            ports.accounts = (GwAdminAccountPorts){
                own_account_status, own_account_password, own_account_when,
                own_account_unregister, gw.accounts };
        gw.admin = gw_admin_new(&gw.env, &ports);
    }
    g_message("xmpp-sip-gateway %s starting: component %s, SIP domain %s",
              GW_VERSION, gw.env.config->xmpp.component_domain,
              gw.env.config->sip.domain);
    gw_sip_ua_start(gw.env.sip);
    gw_accounts_start(gw.accounts);
    gw_xmpp_link_start(gw.env.xmpp);
    service = gw_service_new(service_ready, &gw);
    gw_loop_pace_set(NULL, gw.env.config->limits.wakeup_window_us);
    g_main_loop_run(gw.loop);

out:
    gw_service_free(service);
    gw_admin_free(gw.admin);
    gw_admin_http_free(admin_http);
    gw_call_bridge_free(gw.calls);
    gw_pres_bridge_free(gw.pres);
    gw_caps_free(gw.caps);
    gw_xmpp_link_free(gw.env.xmpp);
    if (gw.env.sip != NULL) {
        gw_sip_ua_set_authorizer(gw.env.sip, NULL, NULL);
        gw_sip_ua_set_hop(gw.env.sip, NULL, NULL);
    }
    memset(&gw.env.accounts, 0, sizeof gw.env.accounts);
    gw_accounts_free(gw.accounts); /* its registrations before the agent */
    gw_sip_ua_free(gw.env.sip);
    gw_msg_bridge_free(gw.msg);
    gw_rate_limiter_free(gw.xmpp_rate);
    gw_rate_limiter_free(gw.sip_rate);
    map_table_free(gw.env.map);
    g_free(gw.caps_ver);
    if (gw.env.config != gw.boot_config)
        gw_config_free(gw.env.config);
    gw_config_free(gw.boot_config);
    g_main_loop_unref(gw.loop);
    xmlCleanupParser();
    return rc;
}
