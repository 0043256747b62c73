/* mapping/map_table.c: building the table from [mapping] settings, rule
 * lines and the static-entry file, all or nothing.
 *
 * Loading is two passes, so that the order of lines never matters:
 *
 *   pass 1  every line parsed: "JID = URI" is a static entry,
 *           "*@domain = sip:*@domain" a domain rule; a bad line fails the
 *           whole load with "SOURCE:LINE: reason"
 *   pass 2  domain rules checked against the component and each other,
 *           then static entries keyed and checked for duplicates and
 *           conflicts with domain rules
 *
 * Refused, because a lookup could not round-trip (MAP_ERROR_CONFIG):
 *   - a domain rule on the component domain, or whose SIP domain is the
 *     sip_domain, the trunk_domain or an allowed foreign domain (a "*"
 *     foreign list is not refused: domain rules simply take precedence
 *     over it);
 *   - two domain rules for one XMPP domain or one SIP domain;
 *   - two static entries for one JID, or for one SIP address (compared by
 *     their match keys: sip:+1-555-0100@pbx;user=phone and tel:+15550100
 *     are one number);
 *   - a static entry inside a domain rule's XMPP or SIP domain that says
 *     something else than the rule (one that agrees is harmless and kept).
 *
 * Static entries whose SIP side is also reachable through a component rule
 * (alice@example.com = sip:1001@pbx, with pbx the sip_domain) are the
 * normal case: the static entry wins, and the component JID that would
 * shadow it (1001@component) is refused at lookup time with NO_RULE.
 *
 * Rule lines: '#' starts a comment line (only at the start of a line:
 * JIDs may contain '#'); blank lines are skipped; CRLF and a UTF-8 BOM are
 * tolerated. The separator is the first '=' followed by a sip:, sips: or
 * tel: URI, since a JID localpart may itself contain '='.
 */
#include "map_private.h"

#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(map-error-quark, map_error)
/* clang-format on */

void
map_result_free(MapResult *result)
{
    if (result == NULL)
        return;
    g_free(result->jid);
    g_free(result->sip_uri);
    g_free(result->rule);
    g_free(result);
}

static void
rule_free(gpointer data)
{
    MapRule *rule = data;

    if (rule == NULL)
        return;
    g_free(rule->xmpp_domain);
    g_free(rule->sip_hostport);
    g_free(rule->text);
    g_free(rule->where);
    g_free(rule);
}

void
map_table_free(MapTable *t)
{
    if (t == NULL)
        return;
    g_free(t->component_domain);
    g_free(t->sip_domain);
    g_free(t->trunk_domain);
    map_number_plan_clear(&t->plan);
    g_clear_pointer(&t->foreign, g_hash_table_unref);
    g_clear_pointer(&t->sources, g_ptr_array_unref);
    g_clear_pointer(&t->static_prefixes, g_ptr_array_unref);
    g_clear_pointer(&t->static_by_jid, g_hash_table_unref);
    g_clear_pointer(&t->static_by_sip, g_hash_table_unref);
    g_clear_pointer(&t->statics, g_array_unref);
    g_clear_pointer(&t->rule_by_xmpp, g_hash_table_unref);
    g_clear_pointer(&t->rule_by_sip, g_hash_table_unref);
    g_clear_pointer(&t->rules, g_ptr_array_unref);
    g_clear_pointer(&t->memo_jid, g_hash_table_unref);
    g_clear_pointer(&t->memo_sip, g_hash_table_unref);
    if (t->strings != NULL)
        g_string_chunk_free(t->strings);
    g_free(t);
}

guint
map_table_get_n_static(const MapTable *t)
{
    g_return_val_if_fail(t != NULL, 0);
    return t->statics->len;
}

guint
map_table_get_n_rules(const MapTable *t)
{
    g_return_val_if_fail(t != NULL, 0);
    return t->rules->len;
}

const char *
map_table_get_component_domain(const MapTable *t)
{
    g_return_val_if_fail(t != NULL, NULL);
    return t->component_domain;
}

/* ---- domains and keys ------------------------------------------------ */

gboolean
map_table_foreign_allowed(const MapTable *t, const char *hostport)
{
    const char *colon;

    if (t->foreign_any || g_hash_table_contains(t->foreign, hostport))
        return TRUE;
    /* "host" allows "host:port"; find the port of "[v6]:p" or "h:p" */
    colon = hostport[0] == '[' ? strstr(hostport, "]:") : strchr(hostport, ':');
    if (colon == NULL)
        return FALSE;
    if (hostport[0] == '[')
        colon++;
    {
        g_autofree char *host = g_strndup(hostport, (gsize)(colon - hostport));

        return g_hash_table_contains(t->foreign, host);
    }
}

gboolean
map_table_number_domain(const MapTable *t, const char *hostport)
{
    return strcmp(hostport, t->sip_domain) == 0 ||
           strcmp(hostport, t->trunk_domain) == 0 ||
           (map_table_foreign_allowed(t, hostport) &&
            !g_hash_table_contains(t->rule_by_sip, hostport));
}

const char *
map_table_sip_key_buf(const MapTable *t, const MapSip *sip, char *buf,
                      gsize size, char **heap)
{
    const char *a = sip->user, *b = "@", *c = sip->hostport;
    gsize na, nb, nc;

    if (sip->phone && (sip->scheme == MAP_SCHEME_TEL ||
                       map_table_number_domain(t, sip->hostport)))
        a = "tel:", b = sip->user, c = "";
    na = strlen(a), nb = strlen(b), nc = strlen(c);
    *heap = NULL;
    if (na + nb + nc >= size)
        return *heap = g_strconcat(a, b, c, NULL);
    memcpy(buf, a, na);
    memcpy(buf + na, b, nb);
    memcpy(buf + na + nb, c, nc + 1);
    return buf;
}

char *
map_table_sip_key(const MapTable *t, const MapSip *sip)
{
    char *heap;
    char buf[256];
    const char *key = map_table_sip_key_buf(t, sip, buf, sizeof buf, &heap);

    return heap ? heap : g_strdup(key);
}

/* ---- settings -------------------------------------------------------- */

static gboolean
config_domains(MapTable *t, const MapConfig *config, GError **error)
{
    g_autoptr(GError) sub = NULL;
    char q[MAP_QUOTE_SIZE];
    const char *what = "component_domain";
    const char *value = config->component_domain;

    if (value == NULL || value[0] == '\0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "[mapping] component_domain is required");
        return FALSE;
    }
    t->component_domain = map_jid_domain_normalize(value, strlen(value), &sub);
    if (t->component_domain == NULL)
        goto bad;
    what = "sip_domain";
    value = config->sip_domain;
    if (value == NULL || value[0] == '\0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "[mapping] sip_domain is required");
        return FALSE;
    }
    t->sip_domain = map_hostport_normalize(value, strlen(value), &sub);
    if (t->sip_domain == NULL)
        goto bad;
    what = "trunk_domain";
    value = config->trunk_domain;
    if (value != NULL && value[0] != '\0') {
        t->trunk_domain = map_hostport_normalize(value, strlen(value), &sub);
        if (t->trunk_domain == NULL)
            goto bad;
    } else {
        t->trunk_domain = g_strdup(t->sip_domain);
    }
    what = "foreign_domains";
    for (guint i = 0;
         config->foreign_domains != NULL && config->foreign_domains[i] != NULL;
         i++) {
        char *hp;

        value = config->foreign_domains[i];
        if (strcmp(value, "*") == 0) {
            t->foreign_any = TRUE;
            continue;
        }
        hp = map_hostport_normalize(value, strlen(value), &sub);
        if (hp == NULL)
            goto bad;
        g_hash_table_add(t->foreign, hp);
    }
    if ((guint)config->numbers_as > MAP_NUMBERS_TEL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "[mapping] numbers_as: unknown value %d",
                    (int)config->numbers_as);
        return FALSE;
    }
    t->numbers_as = config->numbers_as;
    return TRUE;
bad:
    g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG, "[mapping] %s: '%s' %s",
                what, map_quote(q, value), sub->message);
    return FALSE;
}

/* ---- pass 1: lines --------------------------------------------------- */

typedef struct {
    MapTable *t;
    GPtrArray *pending_rules; /* MapRule *, in line order */
} Builder;

static const char *
where(const MapTable *t, guint16 source, guint32 line, char *buf, gsize size)
{
    g_snprintf(buf, size, "%s:%u",
               (const char *)g_ptr_array_index(t->sources, source), line);
    return buf;
}

/* The first '=' followed by a URI scheme. */
static const char *
find_separator(const char *line)
{
    for (const char *eq = strchr(line, '='); eq != NULL;
         eq = strchr(eq + 1, '=')) {
        const char *r = eq + 1;

        while (*r == ' ' || *r == '\t')
            r++;
        if (g_ascii_strncasecmp(r, "sip:", 4) == 0 ||
            g_ascii_strncasecmp(r, "sips:", 5) == 0 ||
            g_ascii_strncasecmp(r, "tel:", 4) == 0)
            return eq;
    }
    return NULL;
}

static gboolean
parse_rule_line(Builder *b, const char *left, gsize left_len, MapSip *sip,
                const char *loc, GError **error)
{
    g_autoptr(GError) sub = NULL;
    MapRule *rule;
    char *domain;

    if (sip->scheme == MAP_SCHEME_TEL || sip->user == NULL ||
        strcmp(sip->user, "*") != 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: a domain rule needs '*' on both sides "
                    "(*@example.com = sip:*@gw.example.com)",
                    loc);
        return FALSE;
    }
    domain = map_jid_domain_normalize(left + 2, left_len - 2, &sub);
    if (domain == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: domain rule xmpp domain %s", loc, sub->message);
        return FALSE;
    }
    rule = g_new0(MapRule, 1);
    rule->xmpp_domain = domain;
    rule->sip_hostport = g_steal_pointer(&sip->hostport);
    rule->scheme = sip->scheme;
    rule->text = g_strconcat("*@", domain, NULL);
    rule->where = g_strdup(loc);
    g_ptr_array_add(b->pending_rules, rule);
    return TRUE;
}

static gboolean
parse_static_line(Builder *b, const char *left, MapSip *sip, guint16 source,
                  guint32 lineno, const char *loc, GError **error)
{
    MapTable *t = b->t;
    g_autoptr(GError) sub = NULL;
    g_autofree char *uri = NULL;
    MapJid jid = {0};
    MapStatic st;

    if (sip->user == NULL || strcmp(sip->user, "*") == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    sip->user ? "%s: '*' on the sip side needs '*@domain' "
                                "on the xmpp side"
                              : "%s: the sip uri of a static entry needs a "
                                "user part",
                    loc);
        return FALSE;
    }
    if (!map_jid_parse(left, TRUE, &jid, &sub)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG, "%s: %s", loc,
                    sub->message);
        return FALSE;
    }
    if (!jid.has_local || jid.resource != NULL) {
        char q[MAP_QUOTE_SIZE];

        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: jid '%s' of a static entry must be a bare jid with "
                    "a localpart",
                    loc, map_quote(q, left));
        map_jid_clear(&jid);
        return FALSE;
    }
    uri = map_sip_to_string(sip);
    st.jid = g_string_chunk_insert(t->strings, jid.bare);
    st.sip_uri = g_string_chunk_insert(t->strings, uri);
    st.line = lineno;
    st.source = source;
    st.kind = strcmp(map_jid_domain(&jid), t->component_domain) == 0
                  ? MAP_KIND_SIP_USER
                  : MAP_KIND_XMPP_USER;
    g_array_append_val(t->statics, st);
    map_jid_clear(&jid);
    return TRUE;
}

/* One trimmed, non-comment line. */
static gboolean
parse_line(Builder *b, char *line, guint16 source, guint32 lineno,
           GError **error)
{
    g_autoptr(GError) sub = NULL;
    char loc[256];
    const char *eq = find_separator(line);
    const char *right;
    gsize left_len;
    MapSip sip = {0};
    gboolean ok;

    where(b->t, source, lineno, loc, sizeof loc);
    if (eq == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: expected 'JID = sip:URI' (or '*@domain = "
                    "sip:*@domain')",
                    loc);
        return FALSE;
    }
    left_len = (gsize)(eq - line);
    while (left_len > 0 &&
           (line[left_len - 1] == ' ' || line[left_len - 1] == '\t'))
        left_len--;
    if (left_len == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: missing jid before '='", loc);
        return FALSE;
    }
    right = eq + 1;
    while (*right == ' ' || *right == '\t')
        right++;
    if (!map_sip_parse(right, &b->t->plan, MAP_SIP_STRICT, &sip, &sub)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG, "%s: %s", loc,
                    sub->message);
        return FALSE;
    }
    line[left_len] = '\0';
    if (left_len >= 2 && line[0] == '*' && line[1] == '@')
        ok = parse_rule_line(b, line, left_len, &sip, loc, error);
    else
        ok = parse_static_line(b, line, &sip, source, lineno, loc, error);
    map_sip_clear(&sip);
    return ok;
}

static gboolean
parse_data(Builder *b, const char *data, gsize len, guint16 source,
           guint32 first_line, gboolean one_line, GError **error)
{
    const char *end = data + len;
    const char *p = data;
    guint32 lineno = first_line;

    if (len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3; /* UTF-8 BOM */
    for (; p <= end; lineno++) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        const char *stop = nl ? nl : end;
        char loc[256];

        if (one_line && nl != NULL) {
            where(b->t, source, lineno, loc, sizeof loc);
            g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                        "%s: a rule contains a line break", loc);
            return FALSE;
        }
        if (memchr(p, '\0', (gsize)(stop - p)) != NULL) {
            where(b->t, source, lineno, loc, sizeof loc);
            g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                        "%s: line contains a nul byte", loc);
            return FALSE;
        }
        while (p < stop && (*p == ' ' || *p == '\t'))
            p++;
        while (stop > p &&
               (stop[-1] == '\r' || stop[-1] == ' ' || stop[-1] == '\t'))
            stop--;
        if (stop > p && *p != '#') {
            g_autofree char *line = g_strndup(p, (gsize)(stop - p));

            if (!parse_line(b, line, source, lineno, error))
                return FALSE;
        }
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return TRUE;
}

/* ---- pass 2: checks -------------------------------------------------- */

static gboolean
add_rules(Builder *b, GError **error)
{
    MapTable *t = b->t;

    for (guint i = 0; i < b->pending_rules->len; i++) {
        MapRule *rule = g_ptr_array_index(b->pending_rules, i);
        MapRule *other;
        char q[MAP_QUOTE_SIZE];
        const char *why = NULL;

        if (strcmp(rule->xmpp_domain, t->component_domain) == 0)
            why = "its xmpp domain is the component domain";
        else if (strcmp(rule->sip_hostport, t->sip_domain) == 0)
            why = "its sip domain is the sip_domain";
        else if (strcmp(rule->sip_hostport, t->trunk_domain) == 0)
            why = "its sip domain is the trunk_domain";
        else if (!t->foreign_any &&
                 map_table_foreign_allowed(t, rule->sip_hostport))
            why = "its sip domain is an allowed foreign domain";
        if (why != NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                        "%s: domain rule '%s' would not round-trip: %s",
                        rule->where, map_quote(q, rule->text), why);
            return FALSE;
        }
        other = g_hash_table_lookup(t->rule_by_xmpp, rule->xmpp_domain);
        if (other == NULL)
            other = g_hash_table_lookup(t->rule_by_sip, rule->sip_hostport);
        if (other != NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                        "%s: domain rule '%s' overlaps the one at %s",
                        rule->where, map_quote(q, rule->text), other->where);
            return FALSE;
        }
        g_hash_table_insert(t->rule_by_xmpp, rule->xmpp_domain, rule);
        g_hash_table_insert(t->rule_by_sip, rule->sip_hostport, rule);
        g_ptr_array_add(t->rules, rule);
        b->pending_rules->pdata[i] = NULL; /* now owned by t->rules */
    }
    return TRUE;
}

/* A static entry inside a domain rule's domains must agree with it. */
static gboolean
check_static_vs_rules(MapTable *t, const MapStatic *st, const MapSip *sip,
                      const char *loc, GError **error)
{
    const char *at = strchr(st->jid, '@');
    const MapRule *rule = g_hash_table_lookup(t->rule_by_xmpp, at + 1);
    char q[MAP_QUOTE_SIZE];

    if (rule != NULL) {
        MapSip got = {0};
        g_autofree char *key = NULL;
        g_autofree char *want = map_table_sip_key(t, sip);

        if (map_rule_jid_to_sip(t, rule, st->jid, (gsize)(at - st->jid), &got,
                                NULL))
            key = map_table_sip_key(t, &got);
        map_sip_clear(&got);
        if (key == NULL || strcmp(key, want) != 0)
            goto conflict;
    }
    rule = sip->hostport ? g_hash_table_lookup(t->rule_by_sip, sip->hostport)
                         : NULL;
    if (rule != NULL) {
        g_autofree char *jid = map_rule_sip_to_jid(t, rule, sip, NULL);

        if (jid == NULL || strcmp(jid, st->jid) != 0)
            goto conflict;
    }
    return TRUE;
conflict:
    g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                "%s: static entry for '%s' conflicts with domain rule '%s' "
                "(%s)",
                loc, map_quote(q, st->jid), rule->text, rule->where);
    return FALSE;
}

static gboolean
add_static(MapTable *t, guint index, GError **error)
{
    const MapStatic *st = &g_array_index(t->statics, MapStatic, index);
    gpointer value = GUINT_TO_POINTER(index + 1);
    gpointer other;
    MapSip sip = {0};
    char *key;
    char loc[256], loc2[256], q[MAP_QUOTE_SIZE];
    gboolean ok;

    where(t, st->source, st->line, loc, sizeof loc);
    /* the canonical URI re-parses to itself; this cannot fail */
    ok = map_sip_parse(st->sip_uri, &t->plan, MAP_SIP_STRICT, &sip, NULL);
    g_assert(ok);
    other = g_hash_table_lookup(t->static_by_jid, st->jid);
    if (other != NULL) {
        const MapStatic *o =
            &g_array_index(t->statics, MapStatic, GPOINTER_TO_UINT(other) - 1);

        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: duplicate static entry for jid '%s' (first at %s)",
                    loc, map_quote(q, st->jid),
                    where(t, o->source, o->line, loc2, sizeof loc2));
        map_sip_clear(&sip);
        return FALSE;
    }
    key = map_table_sip_key(t, &sip);
    other = g_hash_table_lookup(t->static_by_sip, key);
    if (other != NULL) {
        const MapStatic *o =
            &g_array_index(t->statics, MapStatic, GPOINTER_TO_UINT(other) - 1);

        g_set_error(error, MAP_ERROR, MAP_ERROR_CONFIG,
                    "%s: duplicate static entry for sip address '%s' (first "
                    "at %s)",
                    loc, map_quote(q, st->sip_uri),
                    where(t, o->source, o->line, loc2, sizeof loc2));
        g_free(key);
        map_sip_clear(&sip);
        return FALSE;
    }
    ok = check_static_vs_rules(t, st, &sip, loc, error);
    map_sip_clear(&sip);
    if (ok) {
        g_hash_table_insert(t->static_by_jid, (gpointer)st->jid, value);
        g_hash_table_insert(t->static_by_sip,
                            g_string_chunk_insert(t->strings, key), value);
    }
    g_free(key);
    return ok;
}

/* ---- map_table_new() ------------------------------------------------- */

static MapTable *
table_alloc(void)
{
    MapTable *t = g_new0(MapTable, 1);

    t->foreign = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t->sources = g_ptr_array_new_with_free_func(g_free);
    t->static_prefixes = g_ptr_array_new_with_free_func(g_free);
    t->strings = g_string_chunk_new(64 * 1024);
    t->statics = g_array_new(FALSE, FALSE, sizeof(MapStatic));
    t->static_by_jid = g_hash_table_new(g_str_hash, g_str_equal);
    t->static_by_sip = g_hash_table_new(g_str_hash, g_str_equal);
    t->rules = g_ptr_array_new_with_free_func(rule_free);
    t->rule_by_xmpp = g_hash_table_new(g_str_hash, g_str_equal);
    t->rule_by_sip = g_hash_table_new(g_str_hash, g_str_equal);
    return t;
}

static void
add_source(MapTable *t, const char *name)
{
    g_ptr_array_add(t->sources, g_strdup(name));
    g_ptr_array_add(t->static_prefixes,
                    g_strconcat("static ", name, ":", NULL));
}

static gboolean
load_lines(Builder *b, const MapConfig *config, GError **error)
{
    MapTable *t = b->t;

    add_source(t,
               config->rules_source ? config->rules_source : "[mapping] rules");
    for (guint i = 0; config->rules != NULL && config->rules[i] != NULL; i++)
        if (!parse_data(b, config->rules[i], strlen(config->rules[i]), 0, i + 1,
                        TRUE, error))
            return FALSE;
    add_source(t, config->static_source ? config->static_source
                                        : "static entries");
    if (config->static_data != NULL) {
        gsize len = config->static_len < 0 ? strlen(config->static_data)
                                           : (gsize)config->static_len;

        if (!parse_data(b, config->static_data, len, 1, 1, FALSE, error))
            return FALSE;
    }
    return TRUE;
}

MapTable *
map_table_new(const MapConfig *config, GError **error)
{
    g_autoptr(MapTable) t = NULL;
    Builder b;
    gboolean ok;

    g_return_val_if_fail(config != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    t = table_alloc();
    if (!config_domains(t, config, error) ||
        !map_number_plan_init(&t->plan, config, error))
        return NULL;
    b.t = t;
    b.pending_rules = g_ptr_array_new_with_free_func(rule_free);
    ok = load_lines(&b, config, error) && add_rules(&b, error);
    g_ptr_array_unref(b.pending_rules);
    if (!ok)
        return NULL;
    for (guint i = 0; i < t->statics->len; i++)
        if (!add_static(t, i, error))
            return NULL;
    g_debug("mapping table: %u static entries, %u domain rules",
            t->statics->len, t->rules->len);
    return g_steal_pointer(&t);
}
