/* gateway/bridge/admin.c: XEP-0050 commands for operators (see admin.h).
 *
 * One table of commands. A command either completes at once (statistics,
 * lists, reload, drain) or needs one form first (end a call, set the log
 * level): then a session holds the node and the requester until the form
 * comes back, is cancelled, or ADMIN_SESSION_S pass. */
#define G_LOG_DOMAIN "gw-admin"

#include "admin.h"

#include <string.h>

#include "account_codec.h"
#include "gw_config.h"
#include "map.h"
#include "stanza.h"
#include "xmpp_link.h"

#define ADMIN_SESSION_S 300
#define ADMIN_MAX_SESSIONS 64

typedef struct {
    char *id;
    char *node;
    char *requester; /* full JID: only it may go on */
    gint64 expires;  /* monotonic us */
} Session;

struct GwAdmin {
    GwBridgeEnv *env;
    GwAdminPorts ports;
    GHashTable *sessions; /* id -> Session* */
    guint sweep;          /* timer ending stale sessions */
};

/* The answer being built for one request. */
typedef struct {
    const char *status; /* "completed", "executing", "canceled" */
    GString *body;      /* children of <command/> */
    char *error;        /* a defined condition: answer with an error instead */
    const char *error_text;
    const char *bare;   /* the requester's bare JID */
    char *error_owned;  /* error_text's storage when built */
} Reply;

typedef struct Command Command;
struct Command {
    const char *node;
    const char *name;
    gboolean own; /* on the requester's own SIP account (account holders) */
    /* `form`: the submitted fields (var -> first value), NULL at the first
     * step. Fills r; sets r->status "executing" to ask for a form. */
    void (*run)(GwAdmin *a, GHashTable *form, Reply *r);
};

/* ---- data forms ------------------------------------------------------- */

static void
form_begin(GString *x, const char *type, const char *title)
{
    g_string_append(x, "<x xmlns='" GW_NS_DATA "'");
    gw_xml_append_attr(x, "type", type);
    g_string_append(x, "><title>");
    gw_xml_append_escaped(x, title);
    g_string_append(x, "</title>");
}

static void
form_field(GString *x, const char *var, const char *label, const char *type,
           const char *value)
{
    g_string_append(x, "<field");
    gw_xml_append_attr(x, "var", var);
    gw_xml_append_attr(x, "label", label);
    gw_xml_append_attr(x, "type", type);
    g_string_append(x, ">");
    if (value != NULL) {
        g_string_append(x, "<value>");
        gw_xml_append_escaped(x, value);
        g_string_append(x, "</value>");
    }
    g_string_append(x, "</field>");
}

static void
form_number(GString *x, const char *var, const char *label, gint64 v)
{
    char buf[32];

    if (v < 0)
        return;
    g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
    form_field(x, var, label, "text-single", buf);
}

static void
form_lines(GString *x, const char *var, const char *label, GPtrArray *lines)
{
    g_string_append(x, "<field");
    gw_xml_append_attr(x, "var", var);
    gw_xml_append_attr(x, "label", label);
    g_string_append(x, " type='text-multi'>");
    for (guint i = 0; lines != NULL && i < lines->len; i++) {
        g_string_append(x, "<value>");
        gw_xml_append_escaped(x, g_ptr_array_index(lines, i));
        g_string_append(x, "</value>");
    }
    g_string_append(x, "</field>");
}

static void
note(Reply *r, const char *type, const char *text)
{
    g_string_append(r->body, "<note");
    gw_xml_append_attr(r->body, "type", type);
    g_string_append(r->body, ">");
    gw_xml_append_escaped(r->body, text);
    g_string_append(r->body, "</note>");
}

/* The submitted form of a <command/>: var -> first value (both owned). */
static GHashTable *
read_form(xmpp_stanza_t *command)
{
    xmpp_stanza_t *x = gw_stanza_child(command, "x", GW_NS_DATA);
    GHashTable *form;

    if (x == NULL || g_strcmp0(xmpp_stanza_get_type(x), "submit") != 0)
        return NULL;
    form = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f != NULL;
         f = xmpp_stanza_get_next(f)) {
        const char *var;
        if (!xmpp_stanza_is_tag(f) || g_strcmp0(xmpp_stanza_get_name(f), "field") != 0)
            continue;
        var = xmpp_stanza_get_attribute(f, "var");
        if (var != NULL && !g_hash_table_contains(form, var))
            g_hash_table_insert(form, g_strdup(var), gw_stanza_child_text(f, "value"));
    }
    return form;
}

/* ---- the commands ----------------------------------------------------- */

static void
cmd_stats(GwAdmin *a, GHashTable *form, Reply *r)
{
    GwMetricsGauges g;
    const GwMetrics *m = &gw_metrics;
    guint64 out_ok = m->messages[GW_DIR_XMPP_TO_SIP][GW_OUT_DELIVERED];
    guint64 in_ok = m->messages[GW_DIR_SIP_TO_XMPP][GW_OUT_DELIVERED];
    guint64 out_all = 0, in_all = 0, failed[GW_DIR_N] = { 0, 0 };

    for (guint o = 0; o < GW_OUT_N; o++) {
        out_all += m->messages[GW_DIR_XMPP_TO_SIP][o];
        in_all += m->messages[GW_DIR_SIP_TO_XMPP][o];
    }
    for (guint d = 0; d < GW_DIR_N; d++)
        for (guint f = 0; f < GW_CALL_END_N; f++)
            failed[d] += m->calls_failed[d][f];
    gw_metrics_gauges_init(&g);
    a->ports.read_gauges(a->ports.data, &g);
    form_begin(r->body, "result", "Gateway statistics");
    form_number(r->body, "xmpp_link_up", "XMPP link up (1/0)", g.xmpp_link_up);
    form_number(r->body, "draining", "Draining (1/0)", g.draining);
    form_number(r->body, "calls_active", "Calls in progress", g.calls_active);
    form_number(r->body, "sip_watchers", "SIP watchers of XMPP users", g.sip_watchers);
    form_number(r->body, "watched_contacts", "SIP contacts watched by XMPP users",
                g.watched_contacts);
    form_number(r->body, "messages_xmpp_to_sip", "Messages XMPP->SIP", (gint64)out_all);
    form_number(r->body, "messages_xmpp_to_sip_delivered", "  of which delivered",
                (gint64)out_ok);
    form_number(r->body, "messages_sip_to_xmpp", "Messages SIP->XMPP", (gint64)in_all);
    form_number(r->body, "messages_sip_to_xmpp_delivered", "  of which delivered",
                (gint64)in_ok);
    form_number(r->body, "calls_xmpp_to_sip", "Calls XMPP->SIP attempted",
                (gint64)m->calls_attempted[GW_DIR_XMPP_TO_SIP]);
    form_number(r->body, "calls_sip_to_xmpp", "Calls SIP->XMPP attempted",
                (gint64)m->calls_attempted[GW_DIR_SIP_TO_XMPP]);
    form_number(r->body, "calls_answered", "Calls answered",
                (gint64)(m->calls_answered[0] + m->calls_answered[1]));
    form_number(r->body, "calls_failed", "Call attempts unanswered",
                (gint64)(failed[0] + failed[1]));
    form_number(r->body, "notify_sent", "Presence NOTIFYs sent", (gint64)m->notify_sent);
    form_number(r->body, "rate_limited", "Requests refused by rate limits",
                (gint64)(m->rate_limited[GW_SIDE_XMPP] + m->rate_limited[GW_SIDE_SIP]));
    form_number(r->body, "resident_bytes", "Resident memory (bytes)", g.resident_bytes);
    g_string_append(r->body, "</x>");
}

static void
list(GwAdmin *a, Reply *r, GPtrArray *(*get)(gpointer), const char *title,
     const char *var)
{
    g_autoptr(GPtrArray) lines = get(a->ports.data);

    form_begin(r->body, "result", title);
    form_lines(r->body, var, title, lines);
    g_string_append(r->body, "</x>");
}

static void
cmd_list_calls(GwAdmin *a, GHashTable *form, Reply *r)
{
    list(a, r, a->ports.list_calls, "Calls in progress", "calls");
}

static void
cmd_list_subscriptions(GwAdmin *a, GHashTable *form, Reply *r)
{
    list(a, r, a->ports.list_subscriptions, "Presence subscriptions", "subscriptions");
}

static void
cmd_end_call(GwAdmin *a, GHashTable *form, Reply *r)
{
    const char *id = form != NULL ? g_hash_table_lookup(form, "call") : NULL;

    if (form == NULL) {
        g_autoptr(GPtrArray) calls = a->ports.list_calls(a->ports.data);
        r->status = "executing";
        g_string_append(r->body, "<actions execute='complete'><complete/></actions>");
        form_begin(r->body, "form", "End a call");
        g_string_append(r->body, "<instructions>The call's id, as listed</instructions>"
                                 "<field var='call' type='list-single' label='Call'>");
        for (guint i = 0; i < calls->len; i++) {
            const char *line = g_ptr_array_index(calls, i);
            g_autofree char *cid = g_strndup(line, strcspn(line, " "));
            g_string_append(r->body, "<option");
            gw_xml_append_attr(r->body, "label", line);
            g_string_append(r->body, "><value>");
            gw_xml_append_escaped(r->body, cid);
            g_string_append(r->body, "</value></option>");
        }
        g_string_append(r->body, "<required/></field></x>");
        return;
    }
    if (id == NULL || *id == '\0') {
        r->error = g_strdup("bad-request");
        r->error_text = "no call given";
        return;
    }
    if (!a->ports.end_call(a->ports.data, id)) {
        r->error = g_strdup("item-not-found");
        r->error_text = "no such call";
        return;
    }
    g_message("admin: call %s ended by an operator", id);
    note(r, "info", "The call is being ended on both sides.");
}

static void
cmd_reload(GwAdmin *a, GHashTable *form, Reply *r)
{
    g_autoptr(GString) report = g_string_new(NULL);
    gboolean ok = a->ports.reload(a->ports.data, report);

    note(r, ok ? "info" : "error", report->len > 0 ? report->str
                                   : ok ? "Configuration reloaded." : "Reload refused.");
}

static void
cmd_log_level(GwAdmin *a, GHashTable *form, Reply *r)
{
    const char *level = form != NULL ? g_hash_table_lookup(form, "level") : NULL;

    if (form == NULL) {
        r->status = "executing";
        g_string_append(r->body, "<actions execute='complete'><complete/></actions>");
        form_begin(r->body, "form", "Set the log level");
        g_string_append(r->body,
                        "<field var='level' type='list-single' label='Level'>"
                        "<option label='message (life cycle)'><value>message</value></option>"
                        "<option label='info (a line per message and call)'><value>info</value></option>"
                        "<option label='debug'><value>debug</value></option>"
                        "<required/></field></x>");
        return;
    }
    if (level == NULL || (strcmp(level, "message") != 0 && strcmp(level, "info") != 0 &&
                          strcmp(level, "debug") != 0)) {
        r->error = g_strdup("bad-request");
        r->error_text = "level is one of message, info, debug";
        return;
    }
    a->ports.set_log_level(a->ports.data, level);
    g_message("admin: log level set to %s by an operator", level);
    note(r, "info", "Log level set (until the next reload or restart).");
}

static void
cmd_drain(GwAdmin *a, GHashTable *form, Reply *r)
{
    a->ports.set_draining(a->ports.data, TRUE);
    note(r, "info", "Draining: new calls and subscriptions are refused; calls in "
                    "progress go on. /health answers 503.");
}

static void
cmd_undrain(GwAdmin *a, GHashTable *form, Reply *r)
{
    a->ports.set_draining(a->ports.data, FALSE);
    note(r, "info", "New calls and subscriptions are taken again.");
}

/* ---- her own SIP account (issue 17) ------------------------------------ */

static void
fail(Reply *r, const char *condition, const GError *error)
{
    r->error = g_strdup(condition);
    r->error_owned = g_strdup(error->message);
    r->error_text = r->error_owned;
}

/* A condition for what the accounts module said. */
static const char *
account_condition(const GError *error)
{
    if (error->domain != GW_ACCOUNT_ERROR)
        return "internal-server-error";
    switch (error->code) {
    case GW_ACCOUNT_ERROR_INVALID: return "not-acceptable";
    case GW_ACCOUNT_ERROR_NOT_FOUND: return "item-not-found";
    default: return "internal-server-error";
    }
}

static void
cmd_account_status(GwAdmin *a, GHashTable *form, Reply *r)
{
    GwAccountStatus st;

    if (!a->ports.accounts.status(a->ports.accounts.data, r->bare, &st)) {
        r->error = g_strdup("item-not-found");
        r->error_text = "you have no SIP account here";
        return;
    }
    form_begin(r->body, "result", "Your SIP account");
    form_field(r->body, "aor", "SIP address", "text-single", st.aor);
    form_field(r->body, "state", "Registration", "text-single", st.state);
    form_field(r->body, "register_when", "Registered", "text-single",
               strcmp(st.register_when, "always") == 0
                   ? "always (also while you are offline)"
                   : "while you are online");
    form_field(r->body, "registrar", "Registrar", "text-single", st.registrar);
    g_string_append(r->body, "</x>");
    gw_account_status_clear(&st);
}

static void
cmd_account_password(GwAdmin *a, GHashTable *form, Reply *r)
{
    const char *pw =
        form != NULL ? g_hash_table_lookup(form, "password") : NULL;
    g_autoptr(GError) error = NULL;

    if (form == NULL) {
        r->status = "executing";
        g_string_append(r->body, "<actions execute='complete'><complete/></actions>");
        form_begin(r->body, "form", "Change the password of your SIP account");
        g_string_append(r->body,
                        "<instructions>The password your PBX now expects for "
                        "your extension. The gateway registers with it at "
                        "once.</instructions>"
                        "<field var='password' type='text-private' "
                        "label='New password'><required/></field></x>");
        return;
    }
    if (pw == NULL || *pw == '\0') {
        r->error = g_strdup("bad-request");
        r->error_text = "a password is required";
        return;
    }
    if (!a->ports.accounts.change_password(a->ports.accounts.data, r->bare, pw,
                                           &error)) {
        fail(r, account_condition(error), error);
        return;
    }
    note(r, "info", "Password changed; your account registers with it now.");
}

static void
cmd_account_when(GwAdmin *a, GHashTable *form, Reply *r)
{
    const char *when = form != NULL ? g_hash_table_lookup(form, "register_when")
                                    : NULL;
    g_autoptr(GError) error = NULL;

    if (form == NULL) {
        GwAccountStatus st;
        if (!a->ports.accounts.status(a->ports.accounts.data, r->bare, &st)) {
            r->error = g_strdup("item-not-found");
            r->error_text = "you have no SIP account here";
            return;
        }
        r->status = "executing";
        g_string_append(r->body, "<actions execute='complete'><complete/></actions>");
        form_begin(r->body, "form", "When to register your SIP account");
        g_string_append(r->body,
                        "<field var='register_when' type='list-single' "
                        "label='Register'><value>");
        g_string_append(r->body, st.register_when);
        g_string_append(r->body,
                        "</value><option label='While I am online'><value>"
                        "online</value></option><option label='Always (calls "
                        "and messages reach my server while I am offline)'>"
                        "<value>always</value></option><required/></field>"
                        "</x>");
        gw_account_status_clear(&st);
        return;
    }
    if (!a->ports.accounts.set_register_when(a->ports.accounts.data, r->bare,
                                             when, &error)) {
        fail(r, account_condition(error), error);
        return;
    }
    note(r, "info", strcmp(when, "always") == 0
                        ? "Your account is now registered always."
                        : "Your account is now registered while you are "
                          "online.");
}

static gboolean
form_true(const char *v)
{
    return v != NULL && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

static void
cmd_account_unregister(GwAdmin *a, GHashTable *form, Reply *r)
{
    g_autoptr(GError) error = NULL;

    if (form == NULL) {
        GwAccountStatus st;
        g_autofree char *label = NULL;
        if (!a->ports.accounts.status(a->ports.accounts.data, r->bare, &st)) {
            r->error = g_strdup("item-not-found");
            r->error_text = "you have no SIP account here";
            return;
        }
        label = g_strdup_printf("Remove my SIP account %s", st.aor);
        r->status = "executing";
        g_string_append(r->body, "<actions execute='complete'><complete/></actions>");
        form_begin(r->body, "form", "Unregister your SIP account");
        g_string_append(r->body,
                        "<instructions>The gateway stops registering it and "
                        "forgets it and its password.</instructions>");
        form_field(r->body, "confirm", label, "boolean", "0");
        g_string_append(r->body, "</x>");
        gw_account_status_clear(&st);
        return;
    }
    if (!form_true(g_hash_table_lookup(form, "confirm"))) {
        note(r, "info", "Nothing changed.");
        return;
    }
    if (!a->ports.accounts.unregister(a->ports.accounts.data, r->bare,
                                      &error)) {
        fail(r, account_condition(error), error);
        return;
    }
    note(r, "info", "Your SIP account was removed.");
}

static const Command commands[] = {
    { "stats", "Statistics", FALSE, cmd_stats },
    { "list-calls", "List calls in progress", FALSE, cmd_list_calls },
    { "list-subscriptions", "List presence subscriptions", FALSE,
      cmd_list_subscriptions },
    { "end-call", "End a call", FALSE, cmd_end_call },
    { "reload", "Reload the configuration", FALSE, cmd_reload },
    { "set-log-level", "Set the log level", FALSE, cmd_log_level },
    { "drain", "Drain: refuse new calls and subscriptions", FALSE, cmd_drain },
    { "undrain", "Undrain: take new calls and subscriptions", FALSE,
      cmd_undrain },
    { "account-status", "SIP account: status", TRUE, cmd_account_status },
    { "account-password", "SIP account: change password", TRUE,
      cmd_account_password },
    { "account-register-when", "SIP account: when to register", TRUE,
      cmd_account_when },
    { "account-unregister", "SIP account: unregister", TRUE,
      cmd_account_unregister },
};

static const Command *
find_command(const char *node)
{
    for (gsize i = 0; node != NULL && i < G_N_ELEMENTS(commands); i++)
        if (strcmp(commands[i].node, node) == 0)
            return &commands[i];
    return NULL;
}

/* ---- sessions --------------------------------------------------------- */

static void
session_free(gpointer p)
{
    Session *s = p;

    g_free(s->id);
    g_free(s->node);
    g_free(s->requester);
    g_free(s);
}

static gboolean
sweep(gpointer data)
{
    GwAdmin *a = data;
    GHashTableIter it;
    gpointer v;
    gint64 now = g_get_monotonic_time();

    g_hash_table_iter_init(&it, a->sessions);
    while (g_hash_table_iter_next(&it, NULL, &v))
        if (((Session *)v)->expires <= now)
            g_hash_table_iter_remove(&it);
    if (g_hash_table_size(a->sessions) > 0)
        return G_SOURCE_CONTINUE;
    a->sweep = 0;
    return G_SOURCE_REMOVE;
}

static const char *
session_open(GwAdmin *a, const char *node, const char *requester)
{
    Session *s;

    if (g_hash_table_size(a->sessions) >= ADMIN_MAX_SESSIONS)
        sweep(a);
    if (g_hash_table_size(a->sessions) >= ADMIN_MAX_SESSIONS)
        return NULL;
    s = g_new0(Session, 1);
    s->id = gw_stanza_new_id();
    s->node = g_strdup(node);
    s->requester = g_strdup(requester);
    s->expires = g_get_monotonic_time() + ADMIN_SESSION_S * G_USEC_PER_SEC;
    g_hash_table_insert(a->sessions, s->id, s);
    if (a->sweep == 0)
        a->sweep = g_timeout_add_seconds(ADMIN_SESSION_S / 10, sweep, a);
    return s->id;
}

/* ---- requests --------------------------------------------------------- */

static void
send_error(GwAdmin *a, xmpp_stanza_t *iq, const char *condition,
           const char *app, const char *text)
{
    GwStanzaError e = { condition, gw_errmap_condition_type(condition), app,
                        app != NULL ? GW_NS_COMMANDS : NULL };

    gw_xmpp_link_send_text(a->env->xmpp, gw_stanza_error_reply(iq, NULL, &e, text));
}

/* Who asks: an operator, an account holder (her own commands), both or
 * neither. */
typedef struct {
    char *bare;
    gboolean admin;
    gboolean holder;
} Requester;

static void
requester_read(GwAdmin *a, xmpp_stanza_t *iq, Requester *who)
{
    const char *from = xmpp_stanza_get_from(iq);
    GwAccountStatus st;

    who->bare = from != NULL ? map_jid_bare(from, NULL) : NULL;
    who->admin = who->bare != NULL &&
                 gw_config_is_admin(a->env->config, who->bare);
    who->holder = who->bare != NULL && a->ports.accounts.status != NULL &&
                  a->ports.accounts.status(a->ports.accounts.data, who->bare,
                                           &st);
    if (who->holder)
        gw_account_status_clear(&st);
}

static gboolean
may_run(const Requester *who, const Command *cmd)
{
    return cmd->own ? who->holder : who->admin;
}

static void
list_commands(GwAdmin *a, xmpp_stanza_t *iq, const Requester *who)
{
    GString *x = gw_stanza_iq_result_begin(iq);
    const char *to = xmpp_stanza_get_to(iq);

    g_string_append(x, "<query xmlns='" GW_NS_DISCO_ITEMS "' node='" GW_NS_COMMANDS "'>");
    for (gsize i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (!may_run(who, &commands[i]))
            continue;
        g_string_append(x, "<item");
        gw_xml_append_attr(x, "jid", to);
        gw_xml_append_attr(x, "node", commands[i].node);
        gw_xml_append_attr(x, "name", commands[i].name);
        g_string_append(x, "/>");
    }
    g_string_append(x, "</query>");
    gw_stanza_end(x, "iq");
    gw_xmpp_link_send_text(a->env->xmpp, x);
}

static void
execute(GwAdmin *a, xmpp_stanza_t *iq, xmpp_stanza_t *command,
        const Requester *who)
{
    const char *node = xmpp_stanza_get_attribute(command, "node");
    const char *action = xmpp_stanza_get_attribute(command, "action");
    const char *sid = xmpp_stanza_get_attribute(command, "sessionid");
    const Command *cmd = find_command(node);
    g_autoptr(GHashTable) form = NULL;
    Reply r = { "completed", g_string_new(NULL), NULL, NULL, who->bare, NULL };
    GString *x;

    if (cmd == NULL) {
        send_error(a, iq, "item-not-found", NULL, "no such command");
        goto out;
    }
    if (!may_run(who, cmd)) {
        /* an account holder's commands act on her own account only */
        send_error(a, iq, "forbidden", NULL, NULL);
        goto out;
    }
    if (action == NULL)
        action = "execute";
    if (sid != NULL) {
        Session *s = g_hash_table_lookup(a->sessions, sid);
        if (s == NULL || strcmp(s->node, cmd->node) != 0 ||
            g_strcmp0(s->requester, xmpp_stanza_get_from(iq)) != 0) {
            send_error(a, iq, "bad-request", "bad-sessionid", "no such session");
            goto out;
        }
        if (strcmp(action, "cancel") == 0) {
            g_hash_table_remove(a->sessions, sid);
            r.status = "canceled";
        }
    } else if (strcmp(action, "execute") != 0 && strcmp(action, "complete") != 0) {
        send_error(a, iq, "bad-request", "malformed-action", NULL);
        goto out;
    }
    if (strcmp(r.status, "canceled") != 0) {
        form = read_form(command);
        cmd->run(a, form, &r);
    }
    if (r.error != NULL) {
        send_error(a, iq, r.error, NULL, r.error_text);
        goto out;
    }
    if (strcmp(r.status, "executing") == 0) {
        sid = session_open(a, cmd->node, xmpp_stanza_get_from(iq));
        if (sid == NULL) {
            send_error(a, iq, "resource-constraint", NULL, "too many command sessions");
            goto out;
        }
    } else if (sid != NULL) {
        g_hash_table_remove(a->sessions, sid);
        sid = NULL;
    }
    x = gw_stanza_iq_result_begin(iq);
    g_string_append(x, "<command xmlns='" GW_NS_COMMANDS "'");
    gw_xml_append_attr(x, "node", cmd->node);
    gw_xml_append_attr(x, "sessionid", sid);
    gw_xml_append_attr(x, "status", r.status);
    g_string_append(x, ">");
    g_string_append_len(x, r.body->str, (gssize)r.body->len);
    g_string_append(x, "</command>");
    gw_stanza_end(x, "iq");
    gw_xmpp_link_send_text(a->env->xmpp, x);
out:
    g_string_free(r.body, TRUE);
    g_free(r.error);
    g_free(r.error_owned);
}

gboolean
gw_admin_iq(GwAdmin *a, xmpp_stanza_t *iq)
{
    const char *type = xmpp_stanza_get_type(iq);
    const char *to = xmpp_stanza_get_to(iq);
    xmpp_stanza_t *q;
    Requester who = { NULL, FALSE, FALSE };
    gboolean list = FALSE;

    /* the commands live on the component's own JID, not its contacts' */
    if (a == NULL || type == NULL || to == NULL || strchr(to, '@') != NULL)
        return FALSE;
    if (strcmp(type, "get") == 0 &&
        (q = gw_stanza_child(iq, "query", GW_NS_DISCO_ITEMS)) != NULL &&
        g_strcmp0(xmpp_stanza_get_attribute(q, "node"), GW_NS_COMMANDS) == 0)
        list = TRUE;
    else if (strcmp(type, "set") != 0 ||
             (q = gw_stanza_child(iq, "command", GW_NS_COMMANDS)) == NULL)
        return FALSE;
    requester_read(a, iq, &who);
    if (!who.admin && !who.holder)
        send_error(a, iq, "forbidden", NULL, NULL);
    else if (list)
        list_commands(a, iq, &who);
    else
        execute(a, iq, q, &who);
    g_free(who.bare);
    return TRUE;
}

GwAdmin *
gw_admin_new(GwBridgeEnv *env, const GwAdminPorts *ports)
{
    GwAdmin *a = g_new0(GwAdmin, 1);

    a->env = env;
    a->ports = *ports;
    a->sessions = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, session_free);
    return a;
}

void
gw_admin_free(GwAdmin *a)
{
    if (a == NULL)
        return;
    if (a->sweep != 0)
        g_source_remove(a->sweep);
    g_hash_table_destroy(a->sessions);
    g_free(a);
}
