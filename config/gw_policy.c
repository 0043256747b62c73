/* config/gw_policy.c: what a loaded GwConfig allows, asked by the bridges
 * and the SIP side on every request: which XMPP sender may message or call
 * which SIP destination, which XMPP users may watch, which SIP sources are
 * trusted (address prefixes), who may use the admin side, and the address
 * table the config describes; and the address syntaxes the keys use.
 * Pure: no I/O, no globals. */
#include "gw_config.h"

#include <arpa/inet.h>
#include <string.h>

/* "192.0.2.0/24", "2001:db8::1" -> an IPv6 (v4-mapped) prefix. */
gboolean
gw_net_parse(const char *text, GwNet *out)
{
    g_autofree char *addr = g_strdup(text);
    char *slash = strchr(addr, '/');
    struct in_addr v4;
    struct in6_addr v6;
    guint max, prefix;

    if (slash != NULL)
        *slash++ = '\0';
    if (inet_pton(AF_INET, addr, &v4) == 1) {
        memset(out->addr, 0, 10);
        out->addr[10] = out->addr[11] = 0xff;
        memcpy(out->addr + 12, &v4, 4);
        max = 32;
    } else if (inet_pton(AF_INET6, addr, &v6) == 1) {
        memcpy(out->addr, &v6, 16);
        max = 128;
    } else {
        return FALSE;
    }
    prefix = max;
    if (slash != NULL) {
        guint64 n;
        if (!g_ascii_string_to_unsigned(slash, 10, 0, max, &n, NULL))
            return FALSE;
        prefix = (guint)n;
    }
    out->prefix = prefix + (128 - max);
    return TRUE;
}

MapTable *
gw_config_build_map(const GwConfig *cfg, GError **error)
{
    g_autofree char *rules_source =
        g_strdup_printf("%s [mapping] rules", cfg->path);
    MapConfig mc = {
        .component_domain = cfg->xmpp.component_domain,
        .sip_domain = cfg->mapping.sip_domain,
        .trunk_domain = cfg->mapping.trunk_domain,
        .numbers_as = cfg->mapping.numbers_as,
        .default_country_code = cfg->mapping.default_country_code,
        .international_prefix = cfg->mapping.international_prefix,
        .national_prefix = cfg->mapping.national_prefix,
        .foreign_domains = (const char *const *)cfg->mapping.foreign_domains,
        .rules = (const char *const *)cfg->mapping.rules,
        .rules_source = rules_source,
        .static_data = cfg->mapping.static_data,
        .static_len = -1,
        .static_source = cfg->mapping.static_file,
    };
    return map_table_new(&mc, error);
}

static gboolean
rules_allow(const GPtrArray *rules, const char *sender_bare, const char *dest)
{
    for (guint i = 0; rules != NULL && i < rules->len; i++) {
        const GwAclRule *r = g_ptr_array_index(rules, i);
        if (g_pattern_match_simple(r->sender, sender_bare) &&
            g_pattern_match_simple(r->destination, dest))
            return TRUE;
    }
    return FALSE;
}

gboolean
gw_config_allows_message(const GwConfig *cfg, const char *sender_bare,
                         const char *dest)
{
    return rules_allow(cfg->security.allow_messages, sender_bare, dest);
}

gboolean
gw_config_allows_call(const GwConfig *cfg, const char *caller_bare,
                      const char *dest)
{
    return rules_allow(cfg->calls.allow_calls, caller_bare, dest);
}

gboolean
gw_config_allows_watcher(const GwConfig *cfg, const char *watcher_bare)
{
    char **p = cfg->presence.allow_watchers;

    for (; p != NULL && *p != NULL; p++) {
        /* "example.com" means every user of that domain */
        if (strchr(*p, '@') == NULL && strcmp(*p, "*") != 0) {
            const char *at = strrchr(watcher_bare, '@');
            if (at != NULL && g_ascii_strcasecmp(at + 1, *p) == 0)
                return TRUE;
        } else if (g_pattern_match_simple(*p, watcher_bare)) {
            return TRUE;
        }
    }
    return FALSE;
}

gboolean
gw_address_port_parse(const char *text, char **host, guint16 *port)
{
    g_autofree char *h = NULL;
    const char *port_text;
    guint64 n;
    guint8 buf[16];
    gboolean bracketed = text != NULL && text[0] == '[';

    if (text == NULL)
        return FALSE;
    if (bracketed) {
        const char *close = strchr(text, ']');

        if (close == NULL || close[1] != ':')
            return FALSE;
        h = g_strndup(text + 1, (gsize)(close - text - 1));
        port_text = close + 2;
        if (inet_pton(AF_INET6, h, buf) != 1)
            return FALSE;
    } else {
        const char *colon = strrchr(text, ':');

        if (colon == NULL)
            return FALSE;
        h = g_strndup(text, (gsize)(colon - text));
        port_text = colon + 1;
        if (inet_pton(AF_INET, h, buf) != 1)
            return FALSE;
    }
    if (!g_ascii_string_to_unsigned(port_text, 10, 1, 65535, &n, NULL))
        return FALSE;
    if (host != NULL)
        *host = g_steal_pointer(&h);
    if (port != NULL)
        *port = (guint16)n;
    return TRUE;
}

gboolean
gw_net_list_contains(const GPtrArray *nets, const char *address)
{
    GwNet probe = { 0 };

    if (nets == NULL || address == NULL || !gw_net_parse(address, &probe))
        return FALSE;
    for (guint i = 0; i < nets->len; i++) {
        const GwNet *n = g_ptr_array_index(nets, i);
        guint bits = n->prefix, full = bits / 8, rest = bits % 8;

        if (memcmp(n->addr, probe.addr, full) != 0)
            continue;
        if (rest != 0) {
            guint8 mask = (guint8)(0xff << (8 - rest));
            if ((n->addr[full] & mask) != (probe.addr[full] & mask))
                continue;
        }
        return TRUE;
    }
    return FALSE;
}

gboolean
gw_config_trusts_sip_source(const GwConfig *cfg, const char *address)
{
    return gw_net_list_contains(cfg->security.trusted_sip, address);
}

gboolean
gw_config_allows_admin_http(const GwConfig *cfg, const char *address)
{
    return gw_net_list_contains(cfg->admin.http_allow, address);
}

gboolean
gw_config_allows_account(const GwConfig *cfg, const char *bare_jid)
{
    char **p = cfg->accounts.allow;
    const char *at = bare_jid != NULL ? strrchr(bare_jid, '@') : NULL;

    for (; at != NULL && p != NULL && *p != NULL; p++) {
        /* "example.com" means every user of that domain */
        if (strchr(*p, '@') == NULL && strcmp(*p, "*") != 0) {
            if (g_ascii_strcasecmp(at + 1, *p) == 0)
                return TRUE;
        } else if (g_pattern_match_simple(*p, bare_jid)) {
            return TRUE;
        }
    }
    return FALSE;
}

/* '*' any run within a label, '?' one character of it: a label's
 * separators ('.', ':') match only themselves. */
static gboolean
host_glob_match(const char *g, const char *h)
{
    const char *star = NULL, *resume = NULL;

    while (*h != '\0') {
        if (*g == '*') {
            star = g++;
            resume = h;
        } else if (*g != '\0' &&
                   (*g == *h || (*g == '?' && *h != '.' && *h != ':'))) {
            g++;
            h++;
        } else if (star != NULL && *resume != '.' && *resume != ':') {
            g = star + 1;
            h = ++resume;
        } else {
            return FALSE;
        }
    }
    while (*g == '*')
        g++;
    return *g == '\0';
}

gboolean
gw_registrar_glob_parse(const char *text, char **host_glob, gint *port,
                        GError **error)
{
    g_autofree char *t = g_ascii_strdown(text != NULL ? text : "", -1);
    const char *colon, *p;
    g_autofree char *host = NULL;
    guint64 n = 0;
    gint out_port = 0;
    gboolean v6 = t[0] == '[', literal = FALSE;

    if (v6) {
        const char *close = strchr(t, ']');
        if (close == NULL)
            goto bad;
        host = g_strndup(t + 1, (gsize)(close - t - 1));
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] != '\0' && colon == NULL)
            goto bad;
    } else {
        colon = strchr(t, ':');
        host = g_strndup(t, colon != NULL ? (gsize)(colon - t) : strlen(t));
    }
    if (colon != NULL) {
        if (strcmp(colon + 1, "*") == 0)
            out_port = -1;
        else if (g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &n, NULL))
            out_port = (gint)n;
        else
            goto bad;
    }
    if (*host == '\0')
        goto bad;
    for (p = host; *p != '\0'; p++) {
        if (!(g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '*' ||
              *p == '?' || (v6 && *p == ':')))
            goto bad;
        literal = literal || g_ascii_isalnum(*p) || *p == '-';
    }
    if (!literal) {
        g_set_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID,
                    "'%.64s' names no host (wildcards only): allow "
                    "registrars by name or address", text);
        return FALSE;
    }
    *host_glob = g_steal_pointer(&host);
    *port = out_port;
    return TRUE;
bad:
    g_set_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID,
                "'%.64s' is not HOST, HOST:PORT, HOST:* or [IPV6]:PORT (a "
                "host glob of letters, digits, '-', '.', '*', '?')",
                text != NULL ? text : "");
    return FALSE;
}

gboolean
gw_config_allows_registrar(const GwConfig *cfg, const char *host,
                           guint16 port)
{
    for (char **p = cfg->accounts.allow_custom_registrar;
         host != NULL && p != NULL && *p != NULL; p++) {
        g_autofree char *glob = NULL;
        gint want;
        if (!gw_registrar_glob_parse(*p, &glob, &want, NULL))
            continue; /* refused at load: cannot happen */
        if (want == 0 ? port != 5060 && port != 5061
                      : want > 0 && port != (guint16)want)
            continue;
        if (host_glob_match(glob, host))
            return TRUE;
    }
    return FALSE;
}

gboolean
gw_config_is_admin(const GwConfig *cfg, const char *bare_jid)
{
    for (char **p = cfg->admin.jids; bare_jid != NULL && p != NULL && *p != NULL; p++) {
        if (g_ascii_strcasecmp(*p, bare_jid) == 0)
            return TRUE;
    }
    return FALSE;
}

char **
gw_config_idle_warnings(const GwConfig *cfg)
{
    GPtrArray *w = g_ptr_array_new();

    if (cfg->security.allow_messages == NULL || cfg->security.allow_messages->len == 0)
        g_ptr_array_add(w, g_strdup_printf(
            "%s: [security] allow_messages is empty: no XMPP user may message "
            "any SIP address", cfg->path));
    if ((cfg->security.trusted_sip == NULL || cfg->security.trusted_sip->len == 0) &&
        cfg->security.sip_users_file == NULL)
        g_ptr_array_add(w, g_strdup_printf(
            "%s: neither [security] trusted_sip_sources nor sip_users_file is "
            "set: every SIP request is refused (403)", cfg->path));
    if (cfg->calls.enabled &&
        (cfg->calls.allow_calls == NULL || cfg->calls.allow_calls->len == 0))
        g_ptr_array_add(w, g_strdup_printf(
            "%s: [calls] allow_calls is empty: no XMPP user may call any SIP "
            "address (SIP callers still reach XMPP users)", cfg->path));
    if (cfg->presence.enabled &&
        (cfg->presence.allow_watchers == NULL || cfg->presence.allow_watchers[0] == NULL))
        g_ptr_array_add(w, g_strdup_printf(
            "%s: [presence] allow_watchers is empty: no XMPP user may watch a "
            "SIP contact's presence", cfg->path));
    g_ptr_array_add(w, NULL);
    return (char **)g_ptr_array_free(w, FALSE);
}
