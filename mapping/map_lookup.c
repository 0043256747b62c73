/* mapping/map_lookup.c: the lookups, in both directions, with precedence
 * static entry > domain rule > component rules, and exact round trips.
 *
 * Component shapes (component "sip.example.com", sip_domain "pbx", trunk
 * "trunk", foreign_domains "other.net"):
 *
 *   1001@sip.example.com           <-> sip:1001@pbx              user
 *   +15551234567@sip.example.com   <-> sip:+15551234567@trunk;user=phone
 *                                      (tel:+15551234567 with numbers_as
 *                                      tel)                      phone
 *   bob\40other.net@sip.example.com <-> sip:bob@other.net        foreign
 *   bob\40other.net\3a5070@sip...   <-> sip:bob@other.net:5070   foreign
 *   a\20b@sip.example.com          <-> sip:a%20b@pbx             user
 *
 * The user part crosses over through its raw bytes: SIP %-escapes decoded
 * (RFC 3261 §19.1.4: %61 is 'a'), XEP-0106 escapes applied; and back.
 *
 * Case. JID localparts are case-folded (RFC 8265 UsernameCaseMapped, and
 * XMPP servers fold them before the component sees a stanza), SIP user
 * parts are case-sensitive (RFC 3261 §19.1.4). sip:Bob@pbx and sip:bob@pbx
 * are two users; folding Bob to bob@component would hand Bob's messages
 * to bob, or answer Bob as bob. So a SIP user part that is not already in
 * the normalised form of a JID localpart (upper case, NFD, characters a
 * localpart cannot carry) does not map through the component or a domain
 * rule: MAP_ERROR_NO_RULE, with a message asking for a static entry,
 * which can map sip:Bob@pbx to any JID the operator picks.
 *
 * Round trips. Every answer is a pair (J, S) with J -> S and S -> J. A
 * static hit is such a pair by construction (the table refuses duplicate
 * keys). Any other answer is checked by mapping it back, which catches
 * every way a lower rule can be shadowed by a higher one, e.g. with
 * alice@example.com = sip:1001@pbx in the static file:
 *
 *   lookup_jid(1001@sip.example.com) -> sip:1001@pbx -> alice@example.com
 *       != 1001@sip.example.com: refused, NO_RULE naming the static entry
 *
 * and a SIP lookup must also keep the SIP address it was given (compared
 * by match key: parameters other than user=phone, the sip/sips scheme and
 * for numbers the number domain do not count).
 */
#include "map_private.h"

#include <string.h>

typedef struct {
    char *jid;  /* canonical bare JID */
    MapSip sip; /* SIP side; unset for a static hit */
    MapKind kind;
    const MapStatic *st;
    const MapRule *rule;
    const char *what; /* component rule name */
} Hit;

static void
hit_clear(Hit *h)
{
    g_free(h->jid);
    map_sip_clear(&h->sip);
    memset(h, 0, sizeof *h);
}

/* printf is a measurable part of a lookup; this is not. */
static void
format_uint(char buf[16], guint32 v)
{
    char tmp[16];
    int n = 0, i = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    while (n > 0)
        buf[i++] = tmp[--n];
    buf[i] = '\0';
}

static char *
describe(const MapTable *t, const Hit *h)
{
    if (h->st != NULL) {
        char line[16];

        format_uint(line, h->st->line);
        return map_cat(g_ptr_array_index(t->static_prefixes, h->st->source),
                       line, NULL, NULL, NULL);
    }
    if (h->rule != NULL)
        return map_cat("domain rule ", h->rule->text, NULL, NULL, NULL);
    return g_strdup(h->what);
}

static char *
hit_sip_uri(const Hit *h)
{
    return h->st ? g_strdup(h->st->sip_uri) : map_sip_to_string(&h->sip);
}

static const MapStatic *
static_lookup(const MapTable *t, GHashTable *index, const char *key)
{
    guint i = GPOINTER_TO_UINT(g_hash_table_lookup(index, key));

    return i ? &g_array_index(t->statics, MapStatic, i - 1) : NULL;
}

static gsize
local_len_of(const char *bare)
{
    const char *at = strchr(bare, '@');

    return at ? (gsize)(at - bare) : 0;
}

/* ---- user parts ------------------------------------------------------ */

/* JID localpart -> the raw user string (XEP-0106 unescaped): in stack
 * when nothing is escaped and it fits, else in *owned. */
#define MAP_RAW_STACK 128
static const char *
local_to_raw(const char *local, gsize len, char stack[MAP_RAW_STACK],
             char **owned, GError **error)
{
    g_autofree char *l = NULL;
    g_autofree char *raw = NULL;
    g_autofree char *again = NULL;
    char q[MAP_QUOTE_SIZE], q2[MAP_QUOTE_SIZE];

    *owned = NULL;
    if (memchr(local, '\\', len) == NULL) {
        /* nothing escaped */
        if (len < MAP_RAW_STACK) {
            memcpy(stack, local, len);
            stack[len] = '\0';
            return stack;
        }
        return *owned = g_strndup(local, len);
    }
    l = g_strndup(local, len);
    raw = map_jid_unescape(l);
    again = map_jid_escape(raw);
    if (strcmp(again, l) != 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid localpart '%s' is not escaped canonically "
                    "(xep-0106): it would map back as '%s'",
                    map_quote(q, l), map_quote(q2, again));
        return NULL;
    }
    if (raw[0] == ' ' || raw[strlen(raw) - 1] == ' ') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid localpart '%s' starts or ends with an escaped "
                    "space (xep-0106 forbids it)",
                    map_quote(q, l));
        return NULL;
    }
    return *owned = g_steal_pointer(&raw);
}

static gboolean
has_upper(const char *s)
{
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p))
        if (g_unichar_isupper(g_utf8_get_char(p)))
            return TRUE;
    return FALSE;
}

static char *raw_to_local(const char *raw, const char *shown, GError **error);

/* Printable ASCII that a localpart carries as it is: not upper case, not
 * one of the XEP-0106 characters, not the escape character. */
static gboolean
plain_local_char(guchar c)
{
    return c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z') &&
           strchr("\"&'/:<>@\\", c) == NULL;
}

/* Raw user string -> "localpart@domain". The localpart must already be
 * normalised: we never change case or form on the way (see the top of
 * this file). shown is the SIP user part, for messages. */
static char *
raw_to_jid(const char *raw, const char *shown, const char *domain,
           GError **error)
{
    g_autofree char *local = NULL;
    gsize n = 0;

    while (raw[n] != '\0' && plain_local_char((guchar)raw[n]))
        n++;
    if (raw[n] == '\0' && n > 0 && n <= MAP_JID_PART_MAX)
        return map_cat(raw, "@", domain, NULL, NULL); /* nothing to escape */
    local = raw_to_local(raw, shown, error);
    return local ? map_cat(local, "@", domain, NULL, NULL) : NULL;
}

static char *
raw_to_local(const char *raw, const char *shown, GError **error)
{
    g_autofree char *local = NULL;
    g_autofree char *norm = NULL;
    g_autoptr(GError) sub = NULL;
    char q[MAP_QUOTE_SIZE];

    if (!g_utf8_validate(raw, -1, NULL)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "sip user part '%s' is not utf-8 and cannot become a "
                    "jid localpart",
                    map_quote(q, shown));
        return NULL;
    }
    if (raw[0] == ' ' || raw[strlen(raw) - 1] == ' ') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "sip user part '%s' starts or ends with a space, which "
                    "xep-0106 cannot escape; add a static entry",
                    map_quote(q, shown));
        return NULL;
    }
    local = map_jid_escape(raw);
    norm = map_jid_local_normalize(local, strlen(local), &sub);
    if (norm == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "sip user part '%s' cannot become a jid localpart: it "
                    "%s",
                    map_quote(q, shown), sub->message);
        return NULL;
    }
    if (strcmp(norm, local) != 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    has_upper(local)
                        ? "sip user part '%s' has upper-case letters, but "
                          "jid localparts are case-folded: it cannot map "
                          "without changing case; add a static entry for it"
                        : "sip user part '%s' is not in the normalised form "
                          "of a jid localpart (nfc): it cannot map without "
                          "changing; add a static entry for it",
                    map_quote(q, shown));
        return NULL;
    }
    return g_steal_pointer(&local);
}

/* The raw bytes of a SIP user part: user itself when nothing is escaped
 * (*owned NULL), else a decoded copy stored in *owned. */
static const char *
decode_user(const char *user, char **owned, GError **error)
{
    char q[MAP_QUOTE_SIZE];

    *owned = NULL;
    if (strchr(user, '%') == NULL)
        return user;
    *owned = map_sip_user_decode(user);
    if (*owned == NULL)
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "sip user part '%s' contains an escaped nul",
                    map_quote(q, user));
    return *owned;
}

/* Sets sip->phone for a user part we built; a "+digits" user that is not
 * E.164 could never come back. */
static gboolean
set_phone(MapSip *sip, GError **error)
{
    char q[MAP_QUOTE_SIZE];

    sip->phone = map_number_looks_global(sip->user);
    if (sip->phone && !map_number_is_e164(sip->user)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "number '%s' is not an e.164 number (1 to 15 digits, "
                    "no leading 0)",
                    map_quote(q, sip->user));
        return FALSE;
    }
    return TRUE;
}

/* ---- domain rules ---------------------------------------------------- */

gboolean
map_rule_jid_to_sip(const MapTable *t, const MapRule *rule, const char *bare,
                    gsize local_len, MapSip *out, GError **error)
{
    char stack[MAP_RAW_STACK];
    g_autofree char *owned = NULL;
    const char *raw = local_to_raw(bare, local_len, stack, &owned, error);

    if (raw == NULL)
        return FALSE;
    out->scheme = rule->scheme;
    out->user = map_sip_user_encode(raw, strlen(raw));
    out->hostport = rule->sip_hostport;
    out->host_borrowed = TRUE;
    if (!set_phone(out, error)) {
        map_sip_clear(out);
        return FALSE;
    }
    return TRUE;
}

char *
map_rule_sip_to_jid(const MapTable *t, const MapRule *rule, const MapSip *sip,
                    GError **error)
{
    g_autofree char *owned = NULL;
    const char *raw = decode_user(sip->user, &owned, error);

    return raw ? raw_to_jid(raw, sip->user, rule->xmpp_domain, error) : NULL;
}

/* ---- component rules ------------------------------------------------- */

static gboolean
component_foreign(const MapTable *t, const char *bare, const char *raw,
                  const char *at, MapSip *sip, GError **error)
{
    g_autofree char *hp = NULL;
    g_autoptr(GError) sub = NULL;
    char q[MAP_QUOTE_SIZE], q2[MAP_QUOTE_SIZE];

    if (at == raw) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid '%s' names a foreign sip address without a user "
                    "part",
                    map_quote(q, bare));
        return FALSE;
    }
    hp = map_hostport_normalize(at + 1, strlen(at + 1), &sub);
    if (hp == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid '%s' names foreign sip domain '%s', which %s",
                    map_quote(q, bare), map_quote(q2, at + 1), sub->message);
        return FALSE;
    }
    if (strcmp(hp, at + 1) != 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid '%s' names foreign sip domain '%s' in a form that "
                    "is not canonical ('%s')",
                    map_quote(q, bare), map_quote(q2, at + 1), hp);
        return FALSE;
    }
    if (strcmp(hp, t->sip_domain) == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid '%s' escapes an address on the sip_domain; its jid "
                    "is the unescaped user part on the component",
                    map_quote(q, bare));
        return FALSE;
    }
    if (!map_table_foreign_allowed(t, hp)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NOT_PERMITTED,
                    "sip domain '%s' is not an allowed foreign domain "
                    "(foreign_domains)",
                    map_quote(q, hp));
        return FALSE;
    }
    sip->scheme = MAP_SCHEME_SIP;
    sip->user = map_sip_user_encode(raw, (gsize)(at - raw));
    sip->hostport = g_steal_pointer(&hp);
    return set_phone(sip, error);
}

static gboolean
component_jid(const MapTable *t, const char *bare, gsize local_len, Hit *h,
              GError **error)
{
    char stack[MAP_RAW_STACK];
    g_autofree char *owned = NULL;
    const char *raw = local_to_raw(bare, local_len, stack, &owned, error);
    const char *at;
    char q[MAP_QUOTE_SIZE];

    if (raw == NULL)
        return FALSE;
    if (map_number_looks_global(raw)) {
        if (!map_number_is_e164(raw)) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "jid '%s' is not an e.164 number (1 to 15 digits, "
                        "no leading 0)",
                        map_quote(q, bare));
            return FALSE;
        }
        h->kind = MAP_KIND_PHONE;
        h->what = "component phone";
        h->sip.phone = TRUE;
        if (t->numbers_as == MAP_NUMBERS_TEL) {
            h->sip.scheme = MAP_SCHEME_TEL;
        } else {
            h->sip.scheme = MAP_SCHEME_SIP;
            h->sip.hostport = t->trunk_domain;
            h->sip.host_borrowed = TRUE;
            h->sip.user_phone = TRUE;
        }
        h->sip.user = g_strdup(raw);
    } else if ((at = strrchr(raw, '@')) != NULL) {
        h->kind = MAP_KIND_FOREIGN;
        h->what = "component foreign";
        if (!component_foreign(t, bare, raw, at, &h->sip, error))
            return FALSE;
    } else {
        h->kind = MAP_KIND_SIP_USER;
        h->what = "component user";
        h->sip.scheme = MAP_SCHEME_SIP;
        h->sip.user = map_sip_user_encode(raw, strlen(raw));
        h->sip.hostport = t->sip_domain;
        h->sip.host_borrowed = TRUE;
    }
    return TRUE;
}

static gboolean
component_sip(const MapTable *t, const MapSip *sip, Hit *h, GError **error)
{
    g_autofree char *owned = NULL;
    const char *raw = NULL;
    char q[MAP_QUOTE_SIZE];

    if (sip->phone) {
        if (sip->scheme != MAP_SCHEME_TEL &&
            !map_table_number_domain(t, sip->hostport)) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_NOT_PERMITTED,
                        "sip domain '%s' is not allowed for phone numbers "
                        "(not the sip_domain, the trunk_domain or an "
                        "allowed foreign domain)",
                        map_quote(q, sip->hostport));
            return FALSE;
        }
        h->kind = MAP_KIND_PHONE;
        h->what = "component phone";
        h->jid = map_cat(sip->user, "@", t->component_domain, NULL, NULL);
        return TRUE;
    }
    if (strcmp(sip->hostport, t->sip_domain) == 0) {
        h->kind = MAP_KIND_SIP_USER;
        h->what = "component user";
        raw = decode_user(sip->user, &owned, error);
        if (raw == NULL)
            return FALSE;
        if (strchr(raw, '@') != NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                        "sip user part '%s' contains '@', which would make "
                        "its jid a foreign address; add a static entry",
                        map_quote(q, sip->user));
            return FALSE;
        }
    } else if (map_table_foreign_allowed(t, sip->hostport)) {
        g_autofree char *owned_user = NULL;
        const char *user = decode_user(sip->user, &owned_user, error);

        h->kind = MAP_KIND_FOREIGN;
        h->what = "component foreign";
        if (user == NULL)
            return FALSE;
        raw = owned = map_cat(user, "@", sip->hostport, NULL, NULL);
    } else {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NOT_PERMITTED,
                    "sip domain '%s' is not an allowed foreign domain "
                    "(foreign_domains)",
                    map_quote(q, sip->hostport));
        return FALSE;
    }
    h->jid = raw_to_jid(raw, sip->user, t->component_domain, error);
    return h->jid != NULL;
}

/* ---- one direction, precedence only --------------------------------- */

/* J -> S. Sets h->sip (or h->st), not h->jid: that is bare itself. */
static gboolean
raw_jid(const MapTable *t, const char *bare, gboolean has_local, Hit *h,
        GError **error)
{
    const MapStatic *st = static_lookup(t, t->static_by_jid, bare);
    gsize local_len = has_local ? local_len_of(bare) : 0;
    const char *domain = has_local ? bare + local_len + 1 : bare;
    const MapRule *rule;
    char q[MAP_QUOTE_SIZE];

    if (st != NULL) {
        h->st = st;
        h->kind = (MapKind)st->kind;
        return TRUE;
    }
    if (has_local && strcmp(domain, t->component_domain) == 0)
        return component_jid(t, bare, local_len, h, error);
    rule = has_local ? g_hash_table_lookup(t->rule_by_xmpp, domain) : NULL;
    if (rule != NULL) {
        if (!map_rule_jid_to_sip(t, rule, bare, local_len, &h->sip, error))
            return FALSE;
        h->rule = rule;
        h->kind = MAP_KIND_XMPP_USER;
        return TRUE;
    }
    g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                has_local ? "no static entry or domain rule maps jid '%s'"
                          : "jid '%s' has no localpart, and only addresses "
                            "with one map",
                map_quote(q, bare));
    return FALSE;
}

static gboolean
raw_sip(const MapTable *t, const MapSip *sip, const char *key, Hit *h,
        GError **error)
{
    const MapStatic *st = static_lookup(t, t->static_by_sip, key);
    const MapRule *rule;

    if (st != NULL) {
        h->st = st;
        h->kind = (MapKind)st->kind;
        h->jid = g_strdup(st->jid);
        return TRUE;
    }
    rule = sip->hostport ? g_hash_table_lookup(t->rule_by_sip, sip->hostport)
                         : NULL;
    if (rule != NULL) {
        h->jid = map_rule_sip_to_jid(t, rule, sip, error);
        h->rule = rule;
        h->kind = MAP_KIND_XMPP_USER;
        return h->jid != NULL;
    }
    return component_sip(t, sip, h, error);
}

/* ---- both directions ------------------------------------------------- */

static MapResult *
make_result(const MapTable *t, Hit *h, char *sip_uri)
{
    MapResult *r = g_new0(MapResult, 1);

    r->jid = g_steal_pointer(&h->jid);
    r->sip_uri = sip_uri;
    r->kind = h->kind;
    r->rule = describe(t, h);
    return r;
}

/* ---- memo ------------------------------------------------------------ */

/* A table never changes once built (a reload builds a new one), so an
 * answer is a function of the input text alone: the answers given are
 * kept, and the same text (a chatty JID with its resource, a phone's
 * From) is answered from the memo, without parsing, rules, the round
 * trip check or describe()'s text again: 3-5% of the gateway's CPU per
 * message (perf, tests/bench/bench_messages.sh --only a). Only answers
 * are kept (an error is made again, with its message). Bounded: at most
 * MEMO_MAX texts per direction (~0.2-0.3 MiB), all dropped when full.
 * The table is logically const; the memo is its one mutable part, and
 * like the rest of the table it is used from one thread. */
#define MEMO_MAX 1024

static MapResult *
result_copy(const MapResult *r)
{
    MapResult *c = g_new(MapResult, 1);

    c->jid = g_strdup(r->jid);
    c->sip_uri = g_strdup(r->sip_uri);
    c->kind = r->kind;
    c->rule = g_strdup(r->rule);
    return c;
}

static MapResult *
memo_get(GHashTable *memo, const char *input)
{
    const MapResult *r = memo != NULL ? g_hash_table_lookup(memo, input)
                                      : NULL;

    return r != NULL ? result_copy(r) : NULL;
}

static MapResult *
memo_put(GHashTable **memo, const char *input, MapResult *r)
{
    if (r == NULL)
        return NULL;
    if (*memo == NULL)
        *memo = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                      (GDestroyNotify)map_result_free);
    else if (g_hash_table_size(*memo) >= MEMO_MAX)
        g_hash_table_remove_all(*memo);
    g_hash_table_insert(*memo, g_strdup(input), result_copy(r));
    return r;
}

/* J -> S by a rule below the static entries: S must come back to J. */
static gboolean
verify_jid(const MapTable *t, const char *bare, const Hit *h, GError **error)
{
    char buf[MAP_KEY_BUF];
    g_autofree char *heap = NULL;
    const char *key = map_table_sip_key_buf(t, &h->sip, buf, sizeof buf, &heap);
    g_autofree char *uri = NULL;
    g_autofree char *how = NULL;
    g_autoptr(GError) sub = NULL;
    char q[MAP_QUOTE_SIZE], q2[MAP_QUOTE_SIZE], q3[MAP_QUOTE_SIZE];
    Hit back = {0};
    gboolean ok = raw_sip(t, &h->sip, key, &back, &sub);

    if (ok && strcmp(back.jid, bare) == 0) {
        hit_clear(&back);
        return TRUE;
    }
    uri = map_sip_to_string(&h->sip);
    how = describe(t, h);
    if (!ok) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid '%s' maps to '%s' (%s), which does not map back: %s",
                    map_quote(q, bare), map_quote(q2, uri), how, sub->message);
    } else {
        g_autofree char *how2 = describe(t, &back);

        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "jid '%s' maps to '%s' (%s), but that maps to '%s' (%s)",
                    map_quote(q, bare), map_quote(q2, uri), how,
                    map_quote(q3, back.jid), how2);
    }
    hit_clear(&back);
    return FALSE;
}

MapResult *
map_table_lookup_jid(const MapTable *t, const char *jid, GError **error)
{
    MapJid parsed = {0};
    Hit h = {0};
    MapResult *r = NULL;

    g_return_val_if_fail(t != NULL, NULL);
    g_return_val_if_fail(jid != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if ((r = memo_get(t->memo_jid, jid)) != NULL)
        return r;
    if (!map_jid_parse(jid, FALSE, &parsed, error))
        return NULL;
    if (raw_jid(t, parsed.bare, parsed.has_local, &h, error) &&
        (h.st != NULL || verify_jid(t, parsed.bare, &h, error))) {
        h.jid = g_steal_pointer(&parsed.bare); /* canonical, == st->jid */
        r = make_result(t, &h, hit_sip_uri(&h));
    }
    hit_clear(&h);
    map_jid_clear(&parsed);
    return memo_put(&((MapTable *)t)->memo_jid, jid, r);
}

/* S -> J by a rule below the static entries: J must map to a URI with the
 * same key as S. Returns J's URI. */
static char *
verify_sip(const MapTable *t, const char *input, const char *key, const Hit *h,
           GError **error)
{
    g_autofree char *how = describe(t, h);
    char buf[MAP_KEY_BUF];
    g_autofree char *heap = NULL;
    const char *key2 = NULL;
    g_autoptr(GError) sub = NULL;
    char q[MAP_QUOTE_SIZE], q2[MAP_QUOTE_SIZE], q3[MAP_QUOTE_SIZE];
    Hit fwd = {0};
    char *uri = NULL;

    if (!raw_jid(t, h->jid, TRUE, &fwd, &sub)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "uri '%s' maps to '%s' (%s), which does not map back: %s",
                    map_quote(q, input), map_quote(q2, h->jid), how,
                    sub->message);
        return NULL;
    }
    if (fwd.st == NULL)
        key2 = map_table_sip_key_buf(t, &fwd.sip, buf, sizeof buf, &heap);
    if (key2 != NULL && strcmp(key, key2) == 0) {
        uri = map_sip_to_string(&fwd.sip);
    } else {
        g_autofree char *uri2 = hit_sip_uri(&fwd);
        g_autofree char *how2 = describe(t, &fwd);

        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "uri '%s' maps to '%s' (%s), but that maps to '%s' (%s)",
                    map_quote(q, input), map_quote(q2, h->jid), how,
                    map_quote(q3, uri2), how2);
    }
    hit_clear(&fwd);
    return uri;
}

MapResult *
map_table_lookup_sip(const MapTable *t, const char *uri, GError **error)
{
    MapSip sip = {0};
    Hit h = {0};
    char buf[MAP_KEY_BUF];
    g_autofree char *heap = NULL;
    const char *key;
    char *canonical = NULL;
    MapResult *r = NULL;
    char q[MAP_QUOTE_SIZE];

    g_return_val_if_fail(t != NULL, NULL);
    g_return_val_if_fail(uri != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if ((r = memo_get(t->memo_sip, uri)) != NULL)
        return r;
    if (!map_sip_parse(uri, &t->plan, MAP_SIP_NAME_ADDR, &sip, error))
        return NULL;
    if (sip.user == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "uri '%s' has no user part, and only addresses with one "
                    "map",
                    map_quote(q, uri));
        map_sip_clear(&sip);
        return NULL;
    }
    key = map_table_sip_key_buf(t, &sip, buf, sizeof buf, &heap);
    if (raw_sip(t, &sip, key, &h, error)) {
        canonical =
            h.st ? g_strdup(h.st->sip_uri) : verify_sip(t, uri, key, &h, error);
        if (canonical != NULL)
            r = make_result(t, &h, canonical);
    }
    hit_clear(&h);
    map_sip_clear(&sip);
    return memo_put(&((MapTable *)t)->memo_sip, uri, r);
}

/* ---- operators ------------------------------------------------------- */

static gboolean
looks_dialled(const char *s)
{
    gboolean digit = FALSE;

    for (const char *p = s; *p != '\0'; p++) {
        if (g_ascii_isdigit(*p))
            digit = TRUE;
        else if (strchr("+ \t-.()", *p) == NULL)
            return FALSE;
    }
    return digit;
}

MapResult *
map_table_lookup_any(const MapTable *t, const char *address, GError **error)
{
    g_autofree char *a = NULL;

    g_return_val_if_fail(t != NULL, NULL);
    g_return_val_if_fail(address != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    a = g_strstrip(g_strdup(address));
    if (a[0] == '\0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED, "empty address");
        return NULL;
    }
    if (map_is_uri(a))
        return map_table_lookup_sip(t, a, error);
    if (looks_dialled(a)) {
        g_autofree char *e164 = map_number_dialled(&t->plan, a, error);
        g_autofree char *jid = NULL;

        if (e164 == NULL)
            return NULL;
        jid = g_strconcat(e164, "@", t->component_domain, NULL);
        return map_table_lookup_jid(t, jid, error);
    }
    return map_table_lookup_jid(t, a, error);
}

static MapResult *
prompt_lookup(const MapTable *t, const char *a, GError **error)
{
    const char *at = strchr(a, '@');
    gsize n = strspn(a, "0123456789");

    if (map_is_uri(a))
        return map_table_lookup_sip(t, a, error);
    if (a[n] == '\0' && n <= MAP_PROMPT_EXTENSION_DIGITS) {
        /* a PBX extension, not a number to put a country code on */
        g_autofree char *jid = g_strconcat(a, "@", t->component_domain, NULL);
        return map_table_lookup_jid(t, jid, error);
    }
    if (looks_dialled(a))
        return map_table_lookup_any(t, a, error);
    if (at != NULL && strchr(at + 1, '@') == NULL && at != a) {
        g_autofree char *uri = NULL;
        if (g_ascii_strcasecmp(at + 1, t->component_domain) == 0)
            return map_table_lookup_jid(t, a, error);
        uri = g_strconcat("sip:", a, NULL);
        return map_table_lookup_sip(t, uri, error);
    }
    g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                "'%.64s' is neither a phone number nor a SIP address", a);
    return NULL;
}

MapResult *
map_table_lookup_prompt(const MapTable *t, const char *text, GError **error)
{
    g_autofree char *a = NULL;
    MapResult *r;

    g_return_val_if_fail(t != NULL, NULL);
    g_return_val_if_fail(text != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    a = g_strstrip(g_strdup(text));
    if (a[0] == '\0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED, "empty address");
        return NULL;
    }
    r = prompt_lookup(t, a, error);
    if (r != NULL && r->kind == MAP_KIND_XMPP_USER) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_NO_RULE,
                    "'%.64s' is an XMPP user's address, not a SIP one", a);
        map_result_free(r);
        return NULL;
    }
    return r;
}

char *
map_table_normalize_number(const MapTable *t, const char *dialled,
                           GError **error)
{
    const char *p = dialled;

    g_return_val_if_fail(t != NULL, NULL);
    g_return_val_if_fail(dialled != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    while (*p == ' ' || *p == '\t')
        p++;
    if (g_ascii_strncasecmp(p, "tel:", 4) == 0) {
        MapSip sip = {0};

        if (!map_sip_parse(p, &t->plan, 0, &sip, error))
            return NULL;
        g_free(sip.hostport);
        return sip.user;
    }
    return map_number_dialled(&t->plan, dialled, error);
}
