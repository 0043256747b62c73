/* mapping/map_uri.c: SIP and SIPS URIs (RFC 3261 §19.1) and tel: URIs
 * (RFC 3966), reduced to what takes part in mapping.
 *
 * Sofia-SIP's url_d() splits the URI into its parts; it is a pure function
 * over a buffer we own, so no su_home is needed (nor its allocations on
 * the lookup path). Sofia versions differ in what they let through
 * unescaped (1.12.11 takes "sip:b ob@x"), so we check the characters of
 * every part ourselves and put the user part into canonical form
 * ourselves (%61 -> 'a', %3c -> %3C); and we add what url_d() leaves out:
 * host and port validation, the name-addr around a URI, user=phone,
 * passwords.
 *
 * What takes part in the match (RFC 3261 §19.1.4 compares more; a mapping
 * table needs an address, not a route):
 *
 *   sip:Bob%40x@PBX.Example.COM:05070;transport=tcp;user=phone?subject=hi
 *       ^^^^^^^ user part: case-sensitive, escapes canonical
 *               ^^^^^^^^^^^^^^^ host: case-insensitive, lower-cased,
 *                               one trailing dot dropped, IP literals in
 *                               inet_ntop() form
 *                               ^^^^^ port: part of the domain identity
 *                                     (pbx:5070 is not pbx), canonical
 *                                     decimal
 *                                     ^^^^^^^^^^^^^^ transport, maddr, lr
 *                                     and all other parameters: ignored
 *                                                    ^^^^^^^^^^ user=phone:
 *                                     the user part is a telephone number
 *                                                              ^^^^^^^^^^
 *                                     headers: ignored
 *
 *   sips: matches exactly what sip: matches; the answer carries the scheme
 *   its entry was written with (sip: for component rules). Whether a
 *   request must use TLS is a policy of the SIP stack, not of the address.
 *   A password (sip:bob:secret@x) is refused with MAP_ERROR_NOT_PERMITTED,
 *   and never quoted in the message.
 *
 *   A user part is a phone number when the URI has user=phone (then it is
 *   an RFC 3966 telephone-subscriber: "+1-555-123-4567", or a local number
 *   with phone-context) or when it is "+" followed by digits only. Its
 *   canonical user part is then "+E164".
 */
#include "map_private.h"

#include <arpa/inet.h>
#include <sofia-sip/url.h>
#include <string.h>

/* ---- name-addr ------------------------------------------------------- */

static gboolean
is_lws(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 3261 token characters; bytes >= 0x80 also pass, because phones do
 * send UTF-8 display names unquoted. */
static gboolean
is_display_char(char c)
{
    return g_ascii_isalnum(c) || (c != '\0' && strchr("-.!%*_+`'~", c)) ||
           (guchar)c >= 0x80 || is_lws(c);
}

gboolean
map_find_addr_spec(const char *s, const char **start, gsize *len,
                   gboolean *name_addr)
{
    const char *p = s;
    const char *open, *close;

    while (is_lws(*p))
        p++;
    if (*p == '"') {
        for (p++; *p != '"'; p++) {
            if (*p == '\0' || (*p == '\\' && *++p == '\0'))
                return FALSE;
        }
        p++;
        while (is_lws(*p))
            p++;
        if (*p != '<')
            return FALSE;
    } else {
        const char *q = p;

        while (is_display_char(*q))
            q++;
        if (*q != '<') {
            /* a bare addr-spec */
            gsize n = strlen(p);

            while (n > 0 && is_lws(p[n - 1]))
                n--;
            *start = p;
            *len = n;
            *name_addr = FALSE;
            return n > 0;
        }
        p = q;
    }
    open = p + 1;
    close = strchr(open, '>');
    if (close == NULL)
        return FALSE;
    p = close + 1;
    while (is_lws(*p))
        p++;
    /* header parameters after the name-addr (";tag=...") are not ours */
    if (*p != '\0' && *p != ';')
        return FALSE;
    *start = open;
    *len = (gsize)(close - open);
    *name_addr = TRUE;
    return *len > 0;
}

gboolean
map_is_uri(const char *address)
{
    const char *start;
    gsize len;
    gboolean name_addr;

    g_return_val_if_fail(address != NULL, FALSE);
    if (!map_find_addr_spec(address, &start, &len, &name_addr))
        return FALSE;
    return (len >= 4 && g_ascii_strncasecmp(start, "sip:", 4) == 0) ||
           (len >= 5 && g_ascii_strncasecmp(start, "sips:", 5) == 0) ||
           (len >= 4 && g_ascii_strncasecmp(start, "tel:", 4) == 0);
}

/* ---- hosts and ports ------------------------------------------------- */

static char *
normalize_ipv6(const char *s, gsize len, GError **error)
{
    char inner[64];
    char text[INET6_ADDRSTRLEN];
    struct in6_addr addr;

    if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof inner)
        goto bad;
    memcpy(inner, s + 1, len - 2);
    inner[len - 2] = '\0';
    if (inet_pton(AF_INET6, inner, &addr) != 1 ||
        inet_ntop(AF_INET6, &addr, text, sizeof text) == NULL)
        goto bad;
    return g_strdup_printf("[%s]", text);
bad:
    g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                "is not a valid ipv6 reference");
    return NULL;
}

/* RFC 3261 host = hostname / IPv4address / IPv6reference */
static char *
normalize_host(const char *s, gsize len, GError **error)
{
    g_autofree char *out = NULL;
    const char *label;
    gboolean numeric = FALSE;
    guint labels = 0;

    if (len > 0 && s[0] == '[')
        return normalize_ipv6(s, len, error);
    if (len > 1 && s[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    len == 0 ? "is empty" : "is longer than 253 bytes");
        return NULL;
    }
    out = g_malloc(len + 1);
    for (gsize i = 0; i < len; i++)
        out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    out[len] = '\0';
    for (label = out;; labels++) {
        const char *dot = strchr(label, '.');
        gsize n = dot ? (gsize)(dot - label) : strlen(label);

        if (n == 0 || n > 63 || label[0] == '-' || label[n - 1] == '-') {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has an empty, overlong or badly hyphenated label");
            return NULL;
        }
        numeric = TRUE;
        for (gsize i = 0; i < n; i++) {
            if (!g_ascii_isalnum(label[i]) && label[i] != '-') {
                g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                            "contains a character not allowed in a host");
                return NULL;
            }
            numeric = numeric && g_ascii_isdigit(label[i]);
        }
        if (dot == NULL)
            break;
        label = dot + 1;
    }
    /* RFC 3261: a toplabel starts with a letter; all-digit last label
     * means an IPv4 address, which we write in inet_ntop() form */
    if (numeric) {
        struct in_addr a4;
        char text[INET_ADDRSTRLEN];

        if (labels != 3 || inet_pton(AF_INET, out, &a4) != 1 ||
            inet_ntop(AF_INET, &a4, text, sizeof text) == NULL) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "is not a valid host name or ipv4 address");
            return NULL;
        }
        g_free(out);
        out = g_strdup(text);
    }
    return g_steal_pointer(&out);
}

static gboolean
normalize_port(const char *s, gsize len, guint *port, GError **error)
{
    guint v = 0;

    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isdigit(s[i]) || v > 65535)
            goto bad;
        v = v * 10 + (guint)(s[i] - '0');
    }
    if (len == 0 || v == 0 || v > 65535)
        goto bad;
    *port = v;
    return TRUE;
bad:
    g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                "has a bad port (1 to 65535)");
    return FALSE;
}

static char *
build_hostport(const char *host, gsize hlen, const char *port, gsize plen,
               GError **error)
{
    g_autofree char *h = normalize_host(host, hlen, error);
    guint p;

    if (h == NULL)
        return NULL;
    if (port == NULL)
        return g_steal_pointer(&h);
    if (!normalize_port(port, plen, &p, error))
        return NULL;
    {
        char digits[8];

        g_snprintf(digits, sizeof digits, "%u", p);
        return map_cat(h, ":", digits, NULL, NULL);
    }
}

char *
map_hostport_normalize(const char *s, gsize len, GError **error)
{
    const char *colon = NULL;
    gsize hlen = len;

    if (len > 0 && s[0] == '[') {
        const char *rb = memchr(s, ']', len);

        hlen = rb ? (gsize)(rb - s) + 1 : len;
        if (hlen < len) {
            if (s[hlen] != ':') {
                g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                            "is not a valid ipv6 reference");
                return NULL;
            }
            colon = s + hlen;
        }
    } else {
        colon = memchr(s, ':', len);
        if (colon != NULL)
            hlen = (gsize)(colon - s);
    }
    return build_hostport(s, hlen, colon ? colon + 1 : NULL,
                          colon ? len - hlen - 1 : 0, error);
}

/* ---- URIs ------------------------------------------------------------ */

/* Sofia-SIP versions differ in what url_d() lets through unescaped (1.12.11
 * accepts "sip:b ob@x"), so the characters of each part are checked here,
 * and the user part put in canonical form here: every escape of a
 * character allowed plain decoded, every other escape upper-case hex,
 * every plain character one that RFC 3261 §25.1 allows plain. */
static char *
canonical_user(const char *user)
{
    static const char hex[] = "0123456789ABCDEF";
    gsize len = strlen(user);
    char *out = g_malloc(len + 1);
    gsize n = 0;

    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)user[i];

        if (c == '%') {
            if (!g_ascii_isxdigit(user[i + 1]) ||
                !g_ascii_isxdigit(user[i + 2])) {
                g_free(out);
                return NULL;
            }
            c = (guchar)(g_ascii_xdigit_value(user[i + 1]) << 4 |
                         g_ascii_xdigit_value(user[i + 2]));
            i += 2;
            if (!map_sip_user_char_plain(c)) {
                out[n++] = '%';
                out[n++] = hex[c >> 4];
                out[n++] = hex[c & 15];
                continue;
            }
        } else if (!map_sip_user_char_plain(c)) {
            g_free(out);
            return NULL;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return out;
}

/* paramchar / hnv chars (RFC 3261 §25.1), separators and escapes */
static gboolean
chars_ok(const char *s, const char *extra)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '%') {
            if (!g_ascii_isxdigit(p[1]) || !g_ascii_isxdigit(p[2]))
                return FALSE;
            p += 2;
        } else if (!g_ascii_isalnum(*p) && strchr("-_.!~*'()", *p) == NULL &&
                   strchr(extra, *p) == NULL) {
            return FALSE;
        }
    }
    return TRUE;
}

#define PARAM_CHARS "[]/:&+$=;"
#define HEADER_CHARS "[]/?:+$=&"

/* RFC 3261 hosts carry no escapes; url_d() decodes some before we see
 * them, so look at the text: the host follows the '@' that ends the user
 * part (found the way url_d() finds it) and ends at ";?#/". */
static gboolean
host_text_has_escape(const char *text)
{
    const char *s = strchr(text, ':') + 1;
    gsize n = strcspn(s, "@/;?#");
    gsize p = strcspn(s + n, "@");

    if (s[n + p] == '@')
        s += n + p + 1;
    return memchr(s, '%', strcspn(s, "/;?#")) != NULL;
}

void
map_sip_clear(MapSip *sip)
{
    g_clear_pointer(&sip->user, g_free);
    if (sip->host_borrowed)
        sip->hostport = NULL;
    g_clear_pointer(&sip->hostport, g_free);
    sip->host_borrowed = FALSE;
}

char *
map_sip_to_string(const MapSip *sip)
{
    if (sip->scheme == MAP_SCHEME_TEL)
        return map_cat("tel:", sip->user, NULL, NULL, NULL);
    return map_cat(sip->scheme == MAP_SCHEME_SIPS ? "sips:" : "sip:",
                   sip->user ? sip->user : "", sip->user ? "@" : "",
                   sip->hostport,
                   sip->phone && sip->user_phone ? ";user=phone" : "");
}

/* uri-parameters: only user=phone matters; in configuration (strict) no
 * other parameter is accepted, so nobody believes transport= is kept. */
static gboolean
scan_uri_params(const char *params, gboolean strict, gboolean *user_phone,
                GError **error)
{
    const char *p = params;

    *user_phone = FALSE;
    while (p != NULL) {
        const char *semi = strchr(p, ';');
        gsize n = semi ? (gsize)(semi - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        gsize name = eq ? (gsize)(eq - p) : n;

        if (name == 0) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has an empty uri parameter");
            return FALSE;
        }
        if (eq != NULL && n == name + 1) {
            /* RFC 3261 19.1.1: pvalue = 1*paramchar */
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has uri parameter '%.*s' with an empty value",
                        (int)MIN(name, 32), p);
            return FALSE;
        }
        if (name == 4 && g_ascii_strncasecmp(p, "user", 4) == 0 && eq &&
            n - name - 1 == 5 && g_ascii_strncasecmp(eq + 1, "phone", 5) == 0)
            *user_phone = TRUE;
        else if (strict) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has uri parameter '%.*s', which takes no part in "
                        "mapping (only user=phone does)",
                        (int)MIN(name, 32), p);
            return FALSE;
        }
        p = semi ? semi + 1 : NULL;
    }
    return TRUE;
}

static gboolean
parse_tel(const url_t *url, const MapNumberPlan *plan, MapSipFlags flags,
          MapSip *out, GError **error)
{
    if (url->url_password != NULL || url->url_host != NULL ||
        url->url_headers != NULL || url->url_user == NULL ||
        url->url_user[0] == '\0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "is not a valid tel uri");
        return FALSE;
    }
    if (url->url_params != NULL && !chars_ok(url->url_params, PARAM_CHARS)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "has a malformed parameter");
        return FALSE;
    }
    if ((flags & MAP_SIP_STRICT) && url->url_params != NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "has parameters, which take no part in mapping");
        return FALSE;
    }
    out->user =
        map_number_subscriber(plan, url->url_user, url->url_params, error);
    if (out->user == NULL)
        return FALSE;
    out->scheme = MAP_SCHEME_TEL;
    out->phone = TRUE;
    return TRUE;
}

static gboolean
parse_sip_user(const char *text, const MapNumberPlan *plan, MapSip *out,
               GError **error)
{
    g_autofree char *user = canonical_user(text);

    if (user == NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "has a user part with a character that must be escaped, "
                    "or a bad escape");
        return FALSE;
    }
    if (user[0] == '\0') {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "has an empty user part");
        return FALSE;
    }
    if (out->user_phone) {
        /* user=phone: the user part is a telephone-subscriber, whose own
         * parameters follow the number after ';' */
        const char *semi = strchr(user, ';');
        g_autofree char *number =
            semi ? g_strndup(user, (gsize)(semi - user)) : g_strdup(user);

        out->user =
            map_number_subscriber(plan, number, semi ? semi + 1 : NULL, error);
        out->phone = out->user != NULL;
        return out->user != NULL;
    }
    if (map_number_looks_global(user)) {
        if (!map_number_is_e164(user)) {
            g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                        "has user part '%.32s', which is not an e.164 "
                        "number",
                        user);
            return FALSE;
        }
        out->phone = TRUE;
    }
    out->user = g_steal_pointer(&user);
    return TRUE;
}

static gboolean
parse_sip(const url_t *url, const MapNumberPlan *plan, MapSipFlags flags,
          MapSip *out, GError **error)
{
    const char *port = url->url_port;

    if (url->url_password != NULL) {
        char q[MAP_QUOTE_SIZE];
        g_autofree char *shown = g_strdup_printf(
            "%s@%s", url->url_user ? url->url_user : "", url->url_host);

        g_set_error(error, MAP_ERROR, MAP_ERROR_NOT_PERMITTED,
                    "sip uri for '%s' carries a password, which is not "
                    "permitted",
                    map_quote(q, shown));
        return FALSE;
    }
    out->scheme = url->url_type == url_sips ? MAP_SCHEME_SIPS : MAP_SCHEME_SIP;
    out->hostport = build_hostport(url->url_host, strlen(url->url_host), port,
                                   port ? strlen(port) : 0, error);
    if (out->hostport == NULL) {
        g_prefix_error(error, "host ");
        return FALSE;
    }
    if ((url->url_params != NULL && !chars_ok(url->url_params, PARAM_CHARS)) ||
        (url->url_headers != NULL &&
         !chars_ok(url->url_headers, HEADER_CHARS))) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "has a malformed parameter or header");
        return FALSE;
    }
    if (url->url_params != NULL &&
        !scan_uri_params(url->url_params, (flags & MAP_SIP_STRICT) != 0,
                         &out->user_phone, error))
        return FALSE;
    if ((flags & MAP_SIP_STRICT) && url->url_headers != NULL) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "has headers, which take no part in mapping");
        return FALSE;
    }
    if (url->url_user != NULL &&
        !parse_sip_user(url->url_user, plan, out, error))
        return FALSE;
    return TRUE;
}

/* The common shape, sip:user@host[:port][;params][?headers] with a plain
 * user part, a host name and no escapes outside the user part, split
 * without url_d(): the same pieces url_d() would cut (user up to the
 * '@', since it holds none of "/;?#:"; host up to ':' ';' '?'; params up
 * to '?'), with nothing for it to canonicalise that we do not canonicalise
 * again ourselves. Anything else returns FALSE and goes to url_d().
 * test_map_prop and map_uri_fuzz check that both give one answer. */
static gboolean
fast_split(char *s, url_t *url)
{
    char *p, *at, *end, *port = NULL, *params = NULL, *headers = NULL;
    char stop;

    memset(url, 0, sizeof *url);
    if (g_ascii_strncasecmp(s, "sip:", 4) == 0)
        url->url_type = url_sip, p = s + 4;
    else if (g_ascii_strncasecmp(s, "sips:", 5) == 0)
        url->url_type = url_sips, p = s + 5;
    else
        return FALSE;
    for (at = p; *at != '@'; at++) {
        guchar c = (guchar)*at;

        if (c == '%' && g_ascii_isxdigit(at[1]) && g_ascii_isxdigit(at[2]))
            at += 2;
        else if (c == '\0' || c == ';' || c == '?' || c == '/' ||
                 !map_sip_user_char_plain(c))
            return FALSE;
    }
    if (at == p)
        return FALSE;
    for (end = at + 1; g_ascii_isalnum(*end) || *end == '.' || *end == '-';)
        end++;
    if (end == at + 1)
        return FALSE;
    if (*end == ':') {
        port = end + 1;
        for (end = port; g_ascii_isdigit(*end);)
            end++;
        if (end == port)
            return FALSE;
    }
    stop = *end;
    if (stop != '\0' && stop != ';' && stop != '?')
        return FALSE;
    /* url_d() decodes escapes in parameters and headers: leave those to it */
    if (strpbrk(end, "%#@") != NULL)
        return FALSE;
    if (stop == ';') {
        params = end + 1;
        headers = strchr(params, '?');
    } else if (stop == '?') {
        headers = end;
    }
    *at = '\0';
    *end = '\0';
    if (port != NULL)
        port[-1] = '\0';
    if (headers != NULL)
        *headers++ = '\0';
    url->url_scheme = url->url_type == url_sip ? "sip" : "sips";
    url->url_user = p;
    url->url_host = at + 1;
    url->url_port = port;
    url->url_params = params;
    url->url_headers = headers;
    return TRUE;
}

/* map_quote() for a URI, with any password ("sip:bob:secret@x") shown as
 * "***": error messages go to logs. */
static const char *
quote_uri(char buf[MAP_QUOTE_SIZE], const char *uri)
{
    const char *colon = strchr(uri, ':');
    const char *at = colon ? strchr(colon + 1, '@') : NULL;
    const char *pw =
        at ? memchr(colon + 1, ':', (gsize)(at - colon - 1)) : NULL;
    g_autofree char *masked = NULL;

    if (pw == NULL)
        return map_quote(buf, uri);
    masked = g_strdup_printf("%.*s***%s", (int)(pw + 1 - uri), uri, at);
    return map_quote(buf, masked);
}

gboolean
map_sip_parse(const char *input, const MapNumberPlan *plan, MapSipFlags flags,
              MapSip *out, GError **error)
{
    char q[MAP_QUOTE_SIZE];
    char stack[256];
    g_autofree char *heap = NULL;
    g_autoptr(GError) sub = NULL;
    MapSip sip = {0};
    const char *start;
    gsize len;
    gboolean name_addr = FALSE;
    char *buf;
    url_t url[1];
    gboolean ok;

    if (strnlen(input, MAP_MAX_INPUT + 1) > MAP_MAX_INPUT) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "uri '%s' is longer than %d bytes", quote_uri(q, input),
                    MAP_MAX_INPUT);
        return FALSE;
    }
    if (!map_find_addr_spec(input, &start, &len, &name_addr) ||
        (name_addr && !(flags & MAP_SIP_NAME_ADDR))) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    name_addr ? "uri '%s': a name-addr is not allowed here"
                              : "'%s' is not a sip, sips or tel uri",
                    quote_uri(q, input));
        return FALSE;
    }
    buf = len < sizeof stack ? stack : (heap = g_malloc(len + 1));
    memcpy(buf, start, len);
    buf[len] = '\0';
    if ((g_ascii_strncasecmp(buf, "sip:", 4) == 0 ||
         g_ascii_strncasecmp(buf, "sips:", 5) == 0) &&
        host_text_has_escape(buf)) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "uri '%s' has an escape in its host", quote_uri(q, input));
        return FALSE;
    }
    if (((flags & MAP_SIP_SOFIA_ONLY) || !fast_split(buf, url)) &&
        (url_d(url, buf) < 0 ||
         (url->url_type != url_sip && url->url_type != url_sips &&
          url->url_type != url_tel))) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "'%s' is not a valid sip, sips or tel uri",
                    quote_uri(q, input));
        return FALSE;
    }
    if (url->url_path != NULL || url->url_fragment != NULL || url->url_root) {
        g_set_error(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                    "uri '%s' has a path or fragment", quote_uri(q, input));
        return FALSE;
    }
    ok = url->url_type == url_tel ? parse_tel(url, plan, flags, &sip, &sub)
                                  : parse_sip(url, plan, flags, &sip, &sub);
    if (!ok) {
        map_sip_clear(&sip);
        if (sub->domain == MAP_ERROR && sub->code == MAP_ERROR_NOT_PERMITTED)
            g_propagate_error(error, g_steal_pointer(&sub));
        else if (g_str_has_prefix(sub->message, "number ") ||
                 g_str_has_prefix(sub->message, "local number "))
            g_set_error(error, MAP_ERROR, sub->code, "uri '%s': %s",
                        quote_uri(q, input), sub->message);
        else
            g_set_error(error, MAP_ERROR, sub->code, "uri '%s' %s",
                        quote_uri(q, input), sub->message);
        return FALSE;
    }
    *out = sip;
    return TRUE;
}

gboolean
map_uri_check(const char *uri, GError **error)
{
    /* a plan only so that numbers parse; what they map to is not asked */
    MapNumberPlan plan = { NULL, (char *)"00", NULL };
    g_autoptr(GError) sub = NULL;
    MapSip sip = { 0 };

    g_return_val_if_fail(uri != NULL, FALSE);
    if (map_sip_parse(uri, &plan, 0, &sip, &sub)) {
        map_sip_clear(&sip);
        return TRUE;
    }
    if (sub->domain == MAP_ERROR && sub->code == MAP_ERROR_MALFORMED) {
        g_propagate_error(error, g_steal_pointer(&sub));
        return FALSE;
    }
    return TRUE; /* valid, but not for us to map: for the caller to say */
}
