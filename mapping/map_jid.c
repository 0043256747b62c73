/* mapping/map_jid.c: JIDs per RFC 7622, with a documented, practical
 * subset of PRECIS (RFC 8264, RFC 8265).
 *
 *   jid = [ localpart "@" ] domainpart [ "/" resourcepart ]
 *
 * Split (RFC 7622 §3.2): the resourcepart starts at the first '/'; in what
 * precedes it, the localpart ends at the first '@'. A resourcepart may hold
 * '@' and '/'. Each part is 1..1023 bytes after normalisation.
 *
 * Normalisation we implement (every JID we return is in this form):
 *
 * localpart (a subset of PRECIS UsernameCaseMapped, RFC 8265 §3.3):
 *   1. valid UTF-8;
 *   2. width mapping, limited to the fullwidth ASCII forms
 *      U+FF01..U+FF5E -> U+0021..U+007E;
 *   3. case mapping: g_unichar_tolower() per character (Unicode simple
 *      lower-case mapping; locale independent, so U+0130 becomes 'i'
 *      rather than the full mapping "i" U+0307);
 *   4. NFC (g_utf8_normalize G_NORMALIZE_NFC);
 *   5. every character is printable ASCII other than  " & ' / : < > @,
 *      or a letter, digit or mark (general category Ll Lu Lo Lm Nd Mn Mc,
 *      PRECIS LetterDigits). Spaces, controls, symbols and punctuation
 *      outside ASCII, format characters (ZWJ/ZWNJ included), private-use
 *      and unassigned code points are refused;
 *   6. steps 2-4 applied to the result change nothing (else refused).
 *   Not implemented: the Bidi rule (RFC 5893), PRECIS contextual rules
 *   (their characters are refused by step 5), Unicode version pinning
 *   (GLib's tables decide what is assigned).
 *
 * domainpart:
 *   an IP literal "[v6]" is canonicalised with inet_pton()/inet_ntop()
 *   ("[2001:DB8:0::1]" -> "[2001:db8::1]"); otherwise one trailing '.' is
 *   stripped (RFC 7622 §3.2), then steps 1-4 and 6 as for the localpart;
 *   labels are separated by '.', none empty, none starting or ending with
 *   '-'; ASCII labels are letters, digits and '-' and at most 63 bytes;
 *   non-ASCII characters must be letters, digits or marks. U-labels are
 *   kept as Unicode and never converted to or from A-labels, so
 *   "xn--bcher-kva.example" and "bücher.example" are different domains.
 *
 * resourcepart (a subset of PRECIS OpaqueString, RFC 8265 §4.2):
 *   valid UTF-8; non-ASCII spaces (Zs) mapped to U+0020; NFC; control
 *   characters (Cc) and unassigned code points refused; case preserved.
 *
 * Worked examples:
 *   "Alice@Example.COM/Phone"       -> "alice@example.com" + "Phone"
 *   "ＡＬＩＣＥ@example.com"          -> "alice@example.com" (width + case)
 *   "e\xcc\x81@x.org" (e + U+0301)  -> "\xc3\xa9@x.org" (NFC: U+00E9)
 *   "a b@x.org", "a\"b@x.org"       -> refused (space, forbidden '"')
 */
#include "map_private.h"

#include <arpa/inet.h>
#include <string.h>

/* g_ascii_strdown() without a function call per byte. */
static char *
ascii_lower_dup(const char *s, gsize len)
{
    char *out = g_malloc(len + 1);

    for (gsize i = 0; i < len; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    out[len] = '\0';
    return out;
}

static gboolean
local_ascii_ok(guchar c)
{
    return c > 0x20 && c < 0x7f && strchr("\"&'/:<>@", c) == NULL;
}

static gboolean
domain_ascii_ok(guchar c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '.';
}

/* PRECIS LetterDigits (RFC 8264 §9.1) */
static gboolean
letter_digit(gunichar u)
{
    switch (g_unichar_type(u)) {
    case G_UNICODE_LOWERCASE_LETTER:
    case G_UNICODE_UPPERCASE_LETTER:
    case G_UNICODE_OTHER_LETTER:
    case G_UNICODE_MODIFIER_LETTER:
    case G_UNICODE_DECIMAL_NUMBER:
    case G_UNICODE_NON_SPACING_MARK:
    case G_UNICODE_SPACING_MARK:
        return TRUE;
    default:
        return FALSE;
    }
}

/* Steps 2-4: width mapping, optional lower-casing, NFC. s is valid UTF-8. */
static char *
map_width_case_nfc(const char *s, gsize len, gboolean fold)
{
    GString *tmp = g_string_sized_new(len + 8);
    const char *end = s + len;
    char *nfc;

    for (const char *p = s; p < end; p = g_utf8_next_char(p)) {
        gunichar u = g_utf8_get_char(p);

        if (u >= 0xFF01 && u <= 0xFF5E)
            u -= 0xFEE0;
        if (fold)
            u = g_unichar_tolower(u);
        g_string_append_unichar(tmp, u);
    }
    nfc = g_utf8_normalize(tmp->str, (gssize)tmp->len, G_NORMALIZE_NFC);
    g_string_free(tmp, TRUE);
    return nfc;
}

static void
set_char_error(GError **error, gunichar u)
{
    if (u < 0x80 && g_ascii_isgraph((char)u))
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "contains forbidden character '%c'", (char)u);
    else if (u < 0x80 || g_unichar_isspace(u) || g_unichar_iscntrl(u))
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "contains a space or control character");
    else
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "contains disallowed character U+%04X", u);
}

/* The slow path for non-ASCII input: steps 1-4 and 6. */
static char *
normalize_unicode(const char *s, gsize len, GError **error)
{
    g_autofree char *once = NULL;
    g_autofree char *twice = NULL;

    if (!g_utf8_validate_len(s, len, NULL)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is not valid utf-8");
        return NULL;
    }
    once = map_width_case_nfc(s, len, TRUE);
    twice = once ? map_width_case_nfc(once, strlen(once), TRUE) : NULL;
    if (once == NULL || twice == NULL || strcmp(once, twice) != 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is not stable under normalisation");
        return NULL;
    }
    return g_steal_pointer(&once);
}

static gboolean
check_length(const char *s, GError **error)
{
    gsize len = strlen(s);

    if (len == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED, "is empty");
        return FALSE;
    }
    if (len > MAP_JID_PART_MAX) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is longer than %d bytes", MAP_JID_PART_MAX);
        return FALSE;
    }
    return TRUE;
}

char *
map_jid_local_normalize(const char *s, gsize len, GError **error)
{
    g_autofree char *out = NULL;
    gboolean ascii = TRUE;

    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)s[i];

        if (c >= 0x80) {
            ascii = FALSE;
            break;
        }
        if (!local_ascii_ok(c)) {
            set_char_error(error, c);
            return NULL;
        }
    }
    if (ascii) {
        out = ascii_lower_dup(s, len);
    } else {
        out = normalize_unicode(s, len, error);
        if (out == NULL)
            return NULL;
        for (const char *p = out; *p != '\0'; p = g_utf8_next_char(p)) {
            gunichar u = g_utf8_get_char(p);

            if (u < 0x80 ? !local_ascii_ok((guchar)u) : !letter_digit(u)) {
                set_char_error(error, u);
                return NULL;
            }
        }
    }
    if (!check_length(out, error))
        return NULL;
    return g_steal_pointer(&out);
}

static char *
normalize_ip_literal(const char *s, gsize len, GError **error)
{
    char inner[64];
    char text[INET6_ADDRSTRLEN];
    struct in6_addr addr;

    if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof inner) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is not a valid ip literal");
        return NULL;
    }
    memcpy(inner, s + 1, len - 2);
    inner[len - 2] = '\0';
    if (inet_pton(AF_INET6, inner, &addr) != 1 ||
        inet_ntop(AF_INET6, &addr, text, sizeof text) == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is not a valid ip literal");
        return NULL;
    }
    return g_strdup_printf("[%s]", text);
}

/* Label rules on a normalised domain. */
static gboolean
check_labels(const char *d, GError **error)
{
    const char *label = d;

    for (;;) {
        const char *dot = strchr(label, '.');
        gsize n = dot ? (gsize)(dot - label) : strlen(label);
        gboolean ascii = TRUE;

        if (n == 0) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has an empty label");
            return FALSE;
        }
        if (label[0] == '-' || label[n - 1] == '-') {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has a label starting or ending with '-'");
            return FALSE;
        }
        for (const char *p = label; p < label + n; p = g_utf8_next_char(p)) {
            gunichar u = g_utf8_get_char(p);

            if (u < 0x80 ? !domain_ascii_ok((guchar)u) : !letter_digit(u)) {
                set_char_error(error, u);
                return FALSE;
            }
            ascii = ascii && u < 0x80;
        }
        if (ascii && n > 63) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has a label longer than 63 bytes");
            return FALSE;
        }
        if (dot == NULL)
            return TRUE;
        label = dot + 1;
    }
}

char *
map_jid_domain_normalize(const char *s, gsize len, GError **error)
{
    g_autofree char *out = NULL;
    gboolean ascii = TRUE;

    if (len > 0 && s[0] == '[')
        return normalize_ip_literal(s, len, error);
    if (len > 1 && s[len - 1] == '.')
        len--; /* RFC 7622 §3.2: a trailing dot is stripped */
    if (len == 0) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED, "is empty");
        return NULL;
    }
    for (gsize i = 0; i < len && ascii; i++)
        ascii = (guchar)s[i] < 0x80;
    if (ascii) {
        out = ascii_lower_dup(s, len);
    } else {
        out = normalize_unicode(s, len, error);
        if (out == NULL)
            return NULL;
    }
    if (!check_labels(out, error) || !check_length(out, error))
        return NULL;
    return g_steal_pointer(&out);
}

static char *
normalize_resource(const char *s, gsize len, GError **error)
{
    g_autoptr(GString) tmp = NULL;
    g_autofree char *out = NULL;
    gboolean ascii = TRUE;

    /* printable ASCII is already in NFC: the common case, kept fast */
    for (gsize i = 0; i < len && ascii; i++)
        ascii = s[i] >= 0x20 && s[i] < 0x7f;
    if (ascii) {
        out = g_strndup(s, len);
        return check_length(out, error) ? g_steal_pointer(&out) : NULL;
    }
    if (!g_utf8_validate_len(s, len, NULL)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is not valid utf-8");
        return NULL;
    }
    tmp = g_string_sized_new(len);
    for (const char *p = s; p < s + len; p = g_utf8_next_char(p)) {
        gunichar u = g_utf8_get_char(p);
        GUnicodeType t = g_unichar_type(u);

        if (t == G_UNICODE_CONTROL || t == G_UNICODE_UNASSIGNED) {
            set_char_error(error, u);
            return NULL;
        }
        if (t == G_UNICODE_SPACE_SEPARATOR)
            u = ' ';
        g_string_append_unichar(tmp, u);
    }
    out = g_utf8_normalize(tmp->str, (gssize)tmp->len, G_NORMALIZE_NFC);
    if (out == NULL || !check_length(out, error)) {
        if (out == NULL)
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "is not valid utf-8");
        return NULL;
    }
    return g_steal_pointer(&out);
}

/* The common case in one pass and one allocation: an ASCII localpart and
 * an ASCII host name, already valid. Anything else (and every error) goes
 * the general way. */
static gboolean
parse_ascii_bare(const char *jid, gsize pre, const char *at, MapJid *out)
{
    gsize local_len = at ? (gsize)(at - jid) : 0;
    gsize label = 0;
    char *bare;

    if ((at != NULL && (local_len == 0 || local_len > MAP_JID_PART_MAX)) ||
        pre - (at ? local_len + 1 : 0) > MAP_JID_PART_MAX)
        return FALSE;
    for (gsize i = 0; i < local_len; i++)
        if ((guchar)jid[i] >= 0x80 || !local_ascii_ok((guchar)jid[i]))
            return FALSE;
    for (gsize i = at ? local_len + 1 : 0; i < pre; i++) {
        char c = jid[i];

        if (c == '.') {
            if (label == 0 || jid[i - 1] == '-')
                return FALSE;
            label = 0;
        } else if (g_ascii_isalnum(c) || (c == '-' && label > 0)) {
            if (++label > 63)
                return FALSE;
        } else {
            return FALSE;
        }
    }
    if (label == 0 || jid[pre - 1] == '-')
        return FALSE; /* empty, trailing dot or hyphen: the general way */
    bare = g_malloc(pre + 1);
    for (gsize i = 0; i < pre; i++)
        bare[i] =
            (jid[i] >= 'A' && jid[i] <= 'Z') ? (char)(jid[i] + 32) : jid[i];
    bare[pre] = '\0';
    out->bare = bare;
    out->has_local = at != NULL;
    out->local_len = local_len;
    out->resource = NULL;
    return TRUE;
}

void
map_jid_clear(MapJid *jid)
{
    g_clear_pointer(&jid->bare, g_free);
    g_clear_pointer(&jid->resource, g_free);
    jid->local_len = 0;
    jid->has_local = FALSE;
}

static gboolean parse_general(const char *jid, gboolean want_resource,
                              gboolean fast, MapJid *out, GError **error);

gboolean
map_jid_parse(const char *jid, gboolean want_resource, MapJid *out,
              GError **error)
{
    return parse_general(jid, want_resource, TRUE, out, error);
}

gboolean
map_jid_parse_slow(const char *jid, gboolean want_resource, MapJid *out,
                   GError **error)
{
    return parse_general(jid, want_resource, FALSE, out, error);
}

static gboolean
parse_general(const char *jid, gboolean want_resource, gboolean fast,
              MapJid *out, GError **error)
{
    g_autofree char *local = NULL;
    g_autofree char *domain = NULL;
    g_autofree char *resource = NULL;
    g_autoptr(GError) sub = NULL;
    char q[MAP_QUOTE_SIZE];
    const char *slash, *at;
    gsize len, pre;

    len = strnlen(jid, MAP_MAX_INPUT + 1);
    if (len > MAP_MAX_INPUT) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "jid '%s' is longer than %d bytes", map_quote(q, jid),
                    MAP_MAX_INPUT);
        return FALSE;
    }
    slash = memchr(jid, '/', len);
    pre = slash ? (gsize)(slash - jid) : len;
    at = memchr(jid, '@', pre);
    if (fast && parse_ascii_bare(jid, pre, at, out)) {
        if (slash == NULL)
            return TRUE;
        resource = normalize_resource(slash + 1, len - pre - 1, &sub);
        if (resource == NULL) {
            map_jid_clear(out);
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "jid '%s': resourcepart %s", map_quote(q, jid),
                        sub->message);
            return FALSE;
        }
        out->resource = want_resource ? g_steal_pointer(&resource) : NULL;
        return TRUE;
    }
    if (at != NULL) {
        local = map_jid_local_normalize(jid, (gsize)(at - jid), &sub);
        if (local == NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "jid '%s': localpart %s", map_quote(q, jid),
                        sub->message);
            return FALSE;
        }
    }
    {
        const char *d = at ? at + 1 : jid;

        domain = map_jid_domain_normalize(d, (gsize)(jid + pre - d), &sub);
        if (domain == NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "jid '%s': domainpart %s", map_quote(q, jid),
                        sub->message);
            return FALSE;
        }
    }
    if (slash != NULL) {
        resource = normalize_resource(slash + 1, len - pre - 1, &sub);
        if (resource == NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "jid '%s': resourcepart %s", map_quote(q, jid),
                        sub->message);
            return FALSE;
        }
    }
    out->has_local = local != NULL;
    out->local_len = local ? strlen(local) : 0;
    out->bare = local ? g_strconcat(local, "@", domain, NULL)
                      : g_steal_pointer(&domain);
    out->resource = want_resource ? g_steal_pointer(&resource) : NULL;
    return TRUE;
}

gboolean
map_jid_split(const char *jid, char **localpart, char **domainpart,
              char **resourcepart, GError **error)
{
    MapJid parsed = {0};

    g_return_val_if_fail(jid != NULL, FALSE);
    g_return_val_if_fail(error == NULL || *error == NULL, FALSE);
    if (!map_jid_parse(jid, resourcepart != NULL, &parsed, error))
        return FALSE;
    if (localpart != NULL)
        *localpart =
            parsed.has_local ? g_strndup(parsed.bare, parsed.local_len) : NULL;
    if (domainpart != NULL)
        *domainpart = g_strdup(map_jid_domain(&parsed));
    if (resourcepart != NULL)
        *resourcepart = g_steal_pointer(&parsed.resource);
    map_jid_clear(&parsed);
    return TRUE;
}

char *
map_jid_bare(const char *jid, GError **error)
{
    MapJid parsed = {0};

    g_return_val_if_fail(jid != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!map_jid_parse(jid, FALSE, &parsed, error))
        return NULL;
    return parsed.bare; /* resource is NULL: not asked for */
}
