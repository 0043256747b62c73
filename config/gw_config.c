/* config/gw_config.c: the parser that turns a GKeyFile into an immutable
 * GwConfig.
 *
 * One table (gw_config_keys.c) declares every key. The parser walks it, so a
 * key exists for parsing, for `--help-config` and for the example-file test
 * at once. Unknown groups and keys are errors (a typo must not silently
 * fall back to a default); all problems are collected and reported
 * together, each as "FILE: [group] key: problem".  What the loaded config
 * allows (senders, destinations, watchers, trusted SIP sources) is asked
 * through gw_policy.c.
 */
#include "gw_config.h"
#include "gw_config_keys.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>

G_DEFINE_QUARK(gw-config-error-quark, gw_config_error)

typedef struct {
    const char *path;
    char *dir;
    GKeyFile *kf;
    GString *problems;
    GwConfigReadFunc read_func;
    gpointer read_data;
    GPtrArray *warnings; /* of char*: kept in the config */
    guint mapping_problems; /* of keys in [mapping] */
} Ctx;

G_GNUC_PRINTF(3, 4)
static void
problem(Ctx *c, const KeyDef *k, const char *fmt, ...)
{
    va_list ap;

    if (c->problems->len > 0)
        g_string_append_c(c->problems, '\n');
    if (k != NULL && strcmp(k->group, "mapping") == 0)
        c->mapping_problems++;
    if (k != NULL)
        g_string_append_printf(c->problems, "%s: [%s] %s: ", c->path,
                               k->group, k->name);
    else
        g_string_append_printf(c->problems, "%s: ", c->path);
    va_start(ap, fmt);
    g_string_append_vprintf(c->problems, fmt, ap);
    va_end(ap);
}

static char *
raw_value(Ctx *c, const KeyDef *k)
{
    char *v = g_key_file_get_string(c->kf, k->group, k->name, NULL);

    if (v != NULL) {
        g_strstrip(v);
        if (*v == '\0' && k->type != K_STRLIST && k->type != K_SPECIAL) {
            g_free(v);
            v = NULL;
        }
    }
    if (v == NULL && k->def != NULL)
        v = g_strdup(k->def);
    return v;
}

static char *
resolve_path(Ctx *c, const char *p)
{
    static const char creds[] = "${CREDENTIALS_DIRECTORY}/";

    /* systemd's LoadCredential= puts secrets in a directory named by the
     * environment, readable by the service's (dynamic) user alone */
    if (g_str_has_prefix(p, creds)) {
        const char *dir = g_getenv("CREDENTIALS_DIRECTORY");
        if (dir != NULL)
            return g_build_filename(dir, p + strlen(creds), NULL);
        problem(c, NULL, "'%.64s': CREDENTIALS_DIRECTORY is not set (the "
                "service manager sets it with LoadCredential=)", p);
        return g_strdup(p);
    }
    if (g_path_is_absolute(p))
        return g_strdup(p);
    return g_build_filename(c->dir, p, NULL);
}

static char *
read_file(Ctx *c, const KeyDef *k, const char *path, gsize *len)
{
    g_autoptr(GError) error = NULL;
    char *data;

    if (c->read_func != NULL)
        data = c->read_func(path, len, c->read_data, &error);
    else if (!g_file_get_contents(path, &data, len, &error))
        data = NULL;
    if (data == NULL)
        problem(c, k, "cannot read '%s': %s", path, error->message);
    return data;
}

static void
parse_typed(Ctx *c, GwConfig *cfg, const KeyDef *k)
{
    g_autofree char *v = raw_value(c, k);
    gpointer field = (char *)cfg + k->offset;

    if (v == NULL) {
        if (k->required)
            problem(c, k, "is required");
        return;
    }
    switch (k->type) {
    case K_STRING:
        *(char **)field = g_steal_pointer(&v);
        break;
    case K_PATH:
        *(char **)field = resolve_path(c, v);
        break;
    case K_UINT: {
        guint64 n;
        if (!g_ascii_string_to_unsigned(v, 10, (guint64)k->min,
                                        (guint64)k->max, &n, NULL))
            problem(c, k, "'%.32s' is not a whole number from %.0f to %.0f",
                    v, k->min, k->max);
        else
            *(guint *)field = (guint)n;
        break;
    }
    case K_DOUBLE: {
        char *end = NULL;
        double d = g_ascii_strtod(v, &end);
        if (end == v || *end != '\0' || !(d >= k->min && d <= k->max))
            problem(c, k, "'%.32s' is not a number from %g to %g", v, k->min,
                    k->max);
        else
            *(double *)field = d;
        break;
    }
    case K_BOOL:
        if (g_ascii_strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
            g_ascii_strcasecmp(v, "yes") == 0)
            *(gboolean *)field = TRUE;
        else if (g_ascii_strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 ||
                 g_ascii_strcasecmp(v, "no") == 0)
            *(gboolean *)field = FALSE;
        else
            problem(c, k, "'%.32s' is not true or false", v);
        break;
    case K_STRLIST: {
        g_auto(GStrv) list =
            g_key_file_get_string_list(c->kf, k->group, k->name, NULL, NULL);
        GPtrArray *out = g_ptr_array_new();
        for (guint i = 0; list != NULL && list[i] != NULL; i++) {
            char *item = g_strstrip(g_strdup(list[i]));
            if (*item == '\0')
                g_free(item);
            else
                g_ptr_array_add(out, item);
        }
        g_ptr_array_add(out, NULL);
        *(char ***)field = (char **)g_ptr_array_free(out, FALSE);
        break;
    }
    case K_SPECIAL:
        g_assert_not_reached();
    }
}

/* "secret" / "secret_file" pairs: exactly one; a file's first line. */
static char *
parse_secret(Ctx *c, const char *group, const char *key, const char *file_key,
             gboolean required)
{
    const KeyDef *k = gw_config_find_key(group, key);
    const KeyDef *fk = gw_config_find_key(group, file_key);
    g_autofree char *inline_v = raw_value(c, k);
    g_autofree char *file_v = raw_value(c, fk);

    if (inline_v != NULL && file_v != NULL) {
        problem(c, k, "give %s or %s, not both", key, file_key);
        return NULL;
    }
    if (file_v != NULL) {
        g_autofree char *path = resolve_path(c, file_v);
        gsize len = 0;
        g_autofree char *data = read_file(c, fk, path, &len);
        char *nl;

        if (data == NULL)
            return NULL;
        if ((nl = strpbrk(data, "\r\n")) != NULL)
            *nl = '\0';
        if (*data == '\0') {
            problem(c, fk, "'%s' is empty", path);
            return NULL;
        }
        return g_steal_pointer(&data);
    }
    if (inline_v == NULL && required)
        problem(c, k, "is required (or %s)", file_key);
    return g_steal_pointer(&inline_v);
}

static void
acl_rule_free(gpointer p)
{
    GwAclRule *r = p;
    g_free(r->sender);
    g_free(r->destination);
    g_free(r);
}

static void
net_free(gpointer p)
{
    GwNet *n = p;
    g_free(n->text);
    g_free(n);
}

/* One of two words; (transfer full) or NULL after a problem. */
static char *
parse_choice(Ctx *c, const char *group, const char *name, const char *a,
             const char *b)
{
    const KeyDef *k = gw_config_find_key(group, name);
    g_autofree char *v = raw_value(c, k);

    if (v != NULL && (strcmp(v, a) == 0 || strcmp(v, b) == 0))
        return g_steal_pointer(&v);
    problem(c, k, "'%.32s' is not %s or %s", v ? v : "", a, b);
    return NULL;
}

static GPtrArray *
parse_rules(Ctx *c, const char *group, const char *name)
{
    const KeyDef *k = gw_config_find_key(group, name);
    g_auto(GStrv) list =
        g_key_file_get_string_list(c->kf, k->group, k->name, NULL, NULL);
    GPtrArray *rules = g_ptr_array_new_with_free_func(acl_rule_free);

    for (guint i = 0; list != NULL && list[i] != NULL; i++) {
        g_auto(GStrv) parts = NULL;
        g_autofree char *item = g_strstrip(g_strdup(list[i]));
        GwAclRule *r;

        if (*item == '\0')
            continue;
        parts = g_strsplit_set(item, " \t", -1);
        {
            /* drop empty fields from runs of blanks */
            guint n = 0;
            for (guint j = 0; parts[j] != NULL; j++)
                if (*parts[j] != '\0')
                    parts[n++] = parts[j];
                else
                    g_free(parts[j]);
            parts[n] = NULL;
            if (n != 2) {
                problem(c, k,
                        "'%.64s' must be two patterns: SENDER DESTINATION",
                        item);
                continue;
            }
        }
        r = g_new0(GwAclRule, 1);
        /* "example.com" means every user of that domain */
        r->sender = strchr(parts[0], '@') == NULL && strcmp(parts[0], "*") != 0
                        ? g_strconcat("*@", parts[0], NULL)
                        : g_ascii_strdown(parts[0], -1);
        r->destination = g_strdup(parts[1]);
        g_ptr_array_add(rules, r);
    }
    return rules;
}

/* A ';'-separated list of addresses or networks -> GPtrArray of GwNet*. */
static GPtrArray *
parse_nets(Ctx *c, const char *group, const char *name)
{
    const KeyDef *k = gw_config_find_key(group, name);
    g_autofree char *v = raw_value(c, k);
    g_auto(GStrv) list = g_strsplit(v != NULL ? v : "", ";", -1);
    GPtrArray *nets = g_ptr_array_new_with_free_func(net_free);

    for (guint i = 0; list[i] != NULL; i++) {
        g_autofree char *item = g_strstrip(g_strdup(list[i]));
        GwNet n = { 0 };

        if (*item == '\0')
            continue;
        if (!gw_net_parse(item, &n)) {
            problem(c, k, "'%.64s' is not an address or address/prefix",
                    item);
            continue;
        }
        n.text = g_steal_pointer(&item);
        g_ptr_array_add(nets, g_memdup2(&n, sizeof n));
    }
    return nets;
}

static void
parse_special(Ctx *c, GwConfig *cfg)
{
    const KeyDef *k;
    g_autofree char *v = NULL;

    k = gw_config_find_key("sip", "transports");
    v = raw_value(c, k);
    {
        g_auto(GStrv) list = g_strsplit_set(v, ";, ", -1);
        cfg->sip.transports = 0;
        for (guint i = 0; list[i] != NULL; i++) {
            if (*list[i] == '\0')
                continue;
            if (g_ascii_strcasecmp(list[i], "udp") == 0)
                cfg->sip.transports |= GW_SIP_TRANSPORT_UDP;
            else if (g_ascii_strcasecmp(list[i], "tcp") == 0)
                cfg->sip.transports |= GW_SIP_TRANSPORT_TCP;
            else
                problem(c, k, "'%.16s' is not udp or tcp", list[i]);
        }
        if (cfg->sip.transports == 0)
            problem(c, k, "needs udp, tcp or both");
    }
    g_clear_pointer(&v, g_free);

    k = gw_config_find_key("mapping", "numbers_as");
    v = raw_value(c, k);
    if (g_ascii_strcasecmp(v, "sip") == 0)
        cfg->mapping.numbers_as = MAP_NUMBERS_SIP;
    else if (g_ascii_strcasecmp(v, "tel") == 0)
        cfg->mapping.numbers_as = MAP_NUMBERS_TEL;
    else
        problem(c, k, "'%.16s' is not sip or tel", v);
    g_clear_pointer(&v, g_free);

    k = gw_config_find_key("log", "level");
    v = raw_value(c, k);
    if (strcmp(v, "message") != 0 && strcmp(v, "info") != 0 &&
        strcmp(v, "debug") != 0)
        problem(c, k, "'%.16s' is not message, info or debug", v);
    else
        cfg->log.level = g_steal_pointer(&v);

    cfg->security.allow_messages = parse_rules(c, "security",
                                               "allow_messages");
    cfg->calls.allow_calls = parse_rules(c, "calls", "allow_calls");
    cfg->security.trusted_sip = parse_nets(c, "security", "trusted_sip_sources");
    cfg->admin.http_allow = parse_nets(c, "admin", "http_allow");
    cfg->calls.dtmf = parse_choice(c, "calls", "dtmf", "rfc4733", "info");
    cfg->media.relay = parse_choice(c, "media", "relay", "rtpengine", "none");
    cfg->media.sip_profile = parse_choice(c, "media", "sip_profile", "rtp",
                                          "sdes");
    cfg->accounts.register_when = parse_choice(c, "accounts", "register_when",
                                               "online", "always");
}

static gboolean
valid_domain(const char *d)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *jid = g_strconcat("x@", d, NULL);
    return strchr(d, '@') == NULL && map_jid_split(jid, NULL, NULL, NULL,
                                                   &error);
}

/* A SIP URL as a key gives it: its scheme one of `schemes` ("sip:",
 * "sips:" or "sip: or sips:"), host (Sofia's '*' for every address in a
 * listen URL), port 1..65535, parameters. Reports the problem against the
 * key. */
static void
check_sip_url(Ctx *c, const char *group, const char *name, const char *u,
              const char *schemes)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *probe = NULL;
    const char *scheme = g_str_has_prefix(u ? u : "", "sips:") ? "sips:" : "sip:";
    const char *rest;

    if (u == NULL)
        return;
    if (!g_str_has_prefix(u, scheme) || strstr(schemes, scheme) == NULL ||
        (strcmp(scheme, "sip:") == 0 && g_str_has_prefix(schemes, "sips:"))) {
        problem(c, gw_config_find_key(group, name), "'%.64s' is not a %s URL", u, schemes);
        return;
    }
    rest = u + strlen(scheme);
    if (*rest == '*') /* Sofia: every local address */
        probe = g_strconcat(scheme, "0.0.0.0", rest + 1, NULL);
    if (!map_uri_check(probe != NULL ? probe : u, &error)) {
        /* "uri 'X' host has a bad port (1 to 65535)": the reason, if any */
        const char *why = strstr(error->message, "' ");
        if (why != NULL && !g_str_has_prefix(why + 2, "is not"))
            problem(c, gw_config_find_key(group, name), "'%.64s': %s", u, why + 2);
        else
            problem(c, gw_config_find_key(group, name), "'%.64s' is not a valid %s URL", u,
                    schemes);
    }
}

/* [accounts]: a registrar, and a way to keep passwords (a key or a fixed
 * realm); the database beside the presence state by default (systemd's
 * StateDirectory= is /var/lib/xmpp-sip-gateway). */
static void check_registrar_globs(Ctx *c, GwConfig *cfg);

static void
validate_accounts(Ctx *c, GwConfig *cfg)
{
    check_registrar_globs(c, cfg);
    check_sip_url(c, "accounts", "registrar", cfg->accounts.registrar,
                  "sip: or sips:");
    if (cfg->accounts.domain == NULL && cfg->mapping.sip_domain != NULL)
        cfg->accounts.domain = g_strdup(cfg->mapping.sip_domain);
    if (cfg->accounts.domain != NULL && !valid_domain(cfg->accounts.domain))
        problem(c, gw_config_find_key("accounts", "domain"), "'%.64s' is not a domain name",
                cfg->accounts.domain);
    if (cfg->accounts.database == NULL) {
        g_autofree char *dir = cfg->presence.state_file != NULL
            ? g_path_get_dirname(cfg->presence.state_file)
            : g_strdup("/var/lib/xmpp-sip-gateway");
        cfg->accounts.database = g_build_filename(dir, "accounts.sqlite", NULL);
    }
    if (!cfg->accounts.enabled)
        return;
    if (cfg->accounts.registrar == NULL)
        problem(c, gw_config_find_key("accounts", "registrar"),
                "is required when enabled = true");
    if (cfg->accounts.key_file == NULL && cfg->accounts.realm == NULL)
        problem(c, gw_config_find_key("accounts", "key_file"),
                "is required when enabled = true and no realm is set "
                "(passwords are never kept in plain text)");
    /* a registrar of her own asks in a realm nobody knows beforehand: an
     * HA1 for [accounts] realm cannot answer it, and a password may be
     * kept only sealed */
    if (cfg->accounts.allow_custom_registrar != NULL &&
        cfg->accounts.key_file == NULL)
        problem(c, gw_config_find_key("accounts", "allow_custom_registrar"),
                "needs key_file: with realm alone passwords are kept as HA1 "
                "for that realm, which another registrar's challenge cannot "
                "use");
}

/* [accounts] allow_custom_registrar: each pattern well formed, kept in
 * lower case (hosts are matched without case). */
static void
check_registrar_globs(Ctx *c, GwConfig *cfg)
{
    char **p = cfg->accounts.allow_custom_registrar;

    for (; p != NULL && *p != NULL; p++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *host = NULL;
        gint port;
        char *low;
        if (!gw_registrar_glob_parse(*p, &host, &port, &error)) {
            problem(c, gw_config_find_key("accounts", "allow_custom_registrar"),
                    "%s", error->message);
            continue;
        }
        low = g_ascii_strdown(*p, -1);
        g_free(*p);
        *p = low;
    }
    if (p == cfg->accounts.allow_custom_registrar)
        g_clear_pointer(&cfg->accounts.allow_custom_registrar, g_strfreev);
}

/* Checks across keys, after each key parsed on its own. */
static void
validate(Ctx *c, GwConfig *cfg)
{
    if (cfg->xmpp.component_domain != NULL &&
        !valid_domain(cfg->xmpp.component_domain))
        problem(c, gw_config_find_key("xmpp", "component_domain"),
                "'%.64s' is not a domain name", cfg->xmpp.component_domain);
    if (cfg->xmpp.reconnect_max_ms < cfg->xmpp.reconnect_min_ms)
        problem(c, gw_config_find_key("xmpp", "reconnect_max_ms"),
                "is less than reconnect_min_ms");
    check_sip_url(c, "sip", "listen", cfg->sip.listen, "sip:");
    check_sip_url(c, "sip", "listen_tls", cfg->sip.listen_tls, "sips:");
    if (cfg->sip.listen_tls != NULL && cfg->sip.tls_dir == NULL)
        problem(c, gw_config_find_key("sip", "listen_tls"), "needs tls_dir");
    check_sip_url(c, "sip", "outbound_proxy", cfg->sip.outbound_proxy, "sip: or sips:");
    if (cfg->sip.user_agent != NULL) {
        /* it becomes a header line: no CR, LF or other control (a
         * GKeyFile value may hold "\n") */
        for (const char *p = cfg->sip.user_agent; *p; p++)
            if (g_ascii_iscntrl(*p) && *p != '\t') {
                problem(c, gw_config_find_key("sip", "user_agent"),
                        "holds a control character");
                break;
            }
    }
    if (cfg->sip.register_enabled && cfg->sip.registrar == NULL)
        problem(c, gw_config_find_key("sip", "registrar"),
                "is required when register = true");
    check_sip_url(c, "sip", "registrar", cfg->sip.registrar, "sip: or sips:");
    check_sip_url(c, "presence", "server", cfg->presence.server, "sip: or sips:");
    if (cfg->presence.max_expires < cfg->presence.min_expires)
        problem(c, gw_config_find_key("presence", "max_expires"),
                "is less than min_expires");
    if (cfg->sip.domain == NULL && cfg->mapping.sip_domain != NULL)
        cfg->sip.domain = g_strdup(cfg->mapping.sip_domain);
    if (cfg->sip.auth_username == NULL && cfg->sip.username != NULL)
        cfg->sip.auth_username = g_strdup(cfg->sip.username);
    if (g_strcmp0(cfg->media.relay, "rtpengine") == 0 &&
        cfg->media.rtpengine != NULL &&
        !gw_address_port_parse(cfg->media.rtpengine, NULL, NULL))
        problem(c, gw_config_find_key("media", "rtpengine"),
                "'%.64s' is not IPv4:PORT or [IPv6]:PORT", cfg->media.rtpengine);
    if (cfg->admin.http_listen != NULL &&
        !gw_address_port_parse(cfg->admin.http_listen, NULL, NULL))
        problem(c, gw_config_find_key("admin", "http_listen"),
                "'%.64s' is not IPv4:PORT or [IPv6]:PORT", cfg->admin.http_listen);
    if (cfg->security.sip_users_file != NULL) {
        gsize len = 0;
        g_autofree char *data = read_file(
            c, gw_config_find_key("security", "sip_users_file"),
            cfg->security.sip_users_file, &len);
        g_autoptr(GError) error = NULL;
        if (data != NULL) {
            cfg->security.sip_users = gw_sip_users_parse(
                data, len, cfg->security.sip_users_file, &error);
            memset(data, 0, len);
            if (cfg->security.sip_users == NULL)
                problem(c, gw_config_find_key("security", "sip_users_file"), "%s",
                        error->message);
        }
    }
    validate_accounts(c, cfg);
    if (cfg->security.sip_auth_realm == NULL && cfg->sip.domain != NULL)
        cfg->security.sip_auth_realm = g_strdup(cfg->sip.domain);
    if (cfg->mapping.static_file != NULL) {
        gsize len = 0;
        cfg->mapping.static_data =
            read_file(c, gw_config_find_key("mapping", "static_file"),
                      cfg->mapping.static_file, &len);
    }
    /* the address table validates the [mapping] group as a whole, once
     * each of its keys is right on its own, whatever else is wrong: every
     * problem is reported at once. Its messages name file, group and key
     * themselves. */
    if (c->mapping_problems == 0 && cfg->xmpp.component_domain != NULL &&
        valid_domain(cfg->xmpp.component_domain) && cfg->mapping.sip_domain != NULL) {
        g_autoptr(GError) error = NULL;
        g_autoptr(MapTable) t = gw_config_build_map(cfg, &error);
        if (t == NULL) {
            if (c->problems->len > 0)
                g_string_append_c(c->problems, '\n');
            g_string_append(c->problems, error->message);
        }
    }
}

static void
check_unknown(Ctx *c)
{
    g_auto(GStrv) groups = g_key_file_get_groups(c->kf, NULL);

    for (guint i = 0; groups[i] != NULL; i++) {
        g_auto(GStrv) names = NULL;

        if (!gw_config_group_known(groups[i])) {
            problem(c, NULL, "unknown group [%.32s]", groups[i]);
            continue;
        }
        names = g_key_file_get_keys(c->kf, groups[i], NULL, NULL);
        for (guint j = 0; names != NULL && names[j] != NULL; j++) {
            const DeprecatedKey *d = gw_config_find_deprecated(groups[i], names[j]);
            if (d != NULL)
                g_ptr_array_add(c->warnings,
                                g_strdup_printf("%s: [%s] %s: %s", c->path,
                                                d->group, d->name,
                                                d->instead));
            else if (gw_config_find_key(groups[i], names[j]) == NULL)
                problem(c, NULL, "[%s] %.32s: unknown key", groups[i],
                        names[j]);
        }
    }
}

GwConfig *
gw_config_parse(const char *data, gsize len, const char *path,
                GwConfigReadFunc read_func, gpointer user_data, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) kf_error = NULL;
    g_autoptr(GwConfig) cfg = g_new0(GwConfig, 1);
    g_autoptr(GString) problems = g_string_new(NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    Ctx c = { path, dir, kf, problems, read_func, user_data, warnings, 0 };

    g_return_val_if_fail(data != NULL && path != NULL, NULL);

    cfg->path = g_strdup(path);
    if (!g_key_file_load_from_data(kf, data, len, G_KEY_FILE_NONE,
                                   &kf_error)) {
        g_set_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID,
                    "%s: %s", path, kf_error->message);
        return NULL;
    }
    check_unknown(&c);
    for (gsize i = 0; i < gw_config_n_keys; i++)
        if (gw_config_keys[i].offset >= 0)
            parse_typed(&c, cfg, &gw_config_keys[i]);
    parse_special(&c, cfg);
    cfg->xmpp.secret = parse_secret(&c, "xmpp", "secret", "secret_file", TRUE);
    cfg->sip.password =
        parse_secret(&c, "sip", "password", "password_file", FALSE);
    validate(&c, cfg);
    if (problems->len > 0) {
        g_set_error_literal(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID,
                            problems->str);
        return NULL;
    }
    g_ptr_array_add(warnings, NULL);
    cfg->warnings = (char **)g_ptr_array_free(g_steal_pointer(&warnings),
                                              FALSE);
    return g_steal_pointer(&cfg);
}

GwConfig *
gw_config_load(const char *path, GError **error)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) read_error = NULL;

    if (!g_file_get_contents(path, &data, &len, &read_error)) {
        g_set_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_READ, "%s",
                    read_error->message);
        return NULL;
    }
    return gw_config_parse(data, len, path, NULL, NULL, error);
}

void
gw_config_free(GwConfig *cfg)
{
    if (cfg == NULL)
        return;
    for (gsize i = 0; i < gw_config_n_keys; i++) {
        gpointer field;
        if (gw_config_keys[i].offset < 0)
            continue;
        field = (char *)cfg + gw_config_keys[i].offset;
        if (gw_config_keys[i].type == K_STRING || gw_config_keys[i].type == K_PATH)
            g_free(*(char **)field);
        else if (gw_config_keys[i].type == K_STRLIST)
            g_strfreev(*(char ***)field);
    }
    if (cfg->xmpp.secret != NULL)
        memset(cfg->xmpp.secret, 0, strlen(cfg->xmpp.secret));
    if (cfg->sip.password != NULL)
        memset(cfg->sip.password, 0, strlen(cfg->sip.password));
    g_free(cfg->xmpp.secret);
    g_free(cfg->sip.password);
    g_free(cfg->mapping.static_data);
    g_free(cfg->log.level);
    g_free(cfg->path);
    g_strfreev(cfg->warnings);
    if (cfg->security.allow_messages != NULL)
        g_ptr_array_unref(cfg->security.allow_messages);
    if (cfg->calls.allow_calls != NULL)
        g_ptr_array_unref(cfg->calls.allow_calls);
    gw_sip_users_free(cfg->security.sip_users);
    g_free(cfg->calls.dtmf);
    g_free(cfg->media.relay);
    g_free(cfg->media.sip_profile);
    g_free(cfg->accounts.register_when);
    if (cfg->security.trusted_sip != NULL)
        g_ptr_array_unref(cfg->security.trusted_sip);
    if (cfg->admin.http_allow != NULL)
        g_ptr_array_unref(cfg->admin.http_allow);
    g_free(cfg);
}

