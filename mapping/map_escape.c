/* mapping/map_escape.c: the two escapings an address crosses on its way
 * through the table, and the quoting of values in error messages.
 *
 *   XEP-0106 (JID localparts)       raw "bob@other.net"  <-> bob\40other.net
 *   RFC 3261 §19.1.2, §25.1 (SIP)   raw "a b@c"          <-> a%20b%40c
 *
 * Both are bijections between a raw byte string and one canonical escaped
 * form, which is what makes component mappings round-trip:
 *
 *   SIP user (canonical %-form) --decode--> raw --XEP-0106 escape--> localpart
 *   localpart --XEP-0106 unescape--> raw --encode--> SIP user
 *
 * A localpart whose escaping is not canonical (a "\5c" before something
 * that is not an escape sequence) does not survive the trip and is refused
 * by the table, not here.
 */
#include "map_private.h"

#include <string.h>

const char *
map_quote(char buf[MAP_QUOTE_SIZE], const char *value)
{
    const char *p = value ? value : "";
    gsize n = 0;

    while (*p != '\0') {
        guchar c = (guchar)*p;

        if (c < 0x80) {
            if (n + 1 >= MAP_QUOTE_SIZE)
                break;
            buf[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
            p++;
            continue;
        }
        /* a whole UTF-8 character or one '?' per bad byte */
        {
            const char *end = p;
            gsize avail = strnlen(p, 4);
            gunichar u = g_utf8_get_char_validated(p, (gssize)avail);

            if (u == (gunichar)-1 || u == (gunichar)-2 ||
                g_unichar_iscntrl(u)) {
                if (n + 1 >= MAP_QUOTE_SIZE)
                    break;
                buf[n++] = '?';
                p++;
                continue;
            }
            end = g_utf8_next_char(p);
            if (n + (gsize)(end - p) >= MAP_QUOTE_SIZE)
                break;
            memcpy(buf + n, p, (gsize)(end - p));
            n += (gsize)(end - p);
            p = end;
        }
    }
    buf[n] = '\0';
    return buf;
}

char *
map_cat(const char *a, const char *b, const char *c, const char *d,
        const char *e)
{
    const char *parts[5] = {a, b, c, d, e};
    gsize len[5] = {0};
    gsize total = 0;
    char *out, *o;

    for (int i = 0; i < 5 && parts[i] != NULL; i++)
        total += len[i] = strlen(parts[i]);
    o = out = g_malloc(total + 1);
    for (int i = 0; i < 5 && parts[i] != NULL; i++) {
        memcpy(o, parts[i], len[i]);
        o += len[i];
    }
    *o = '\0';
    return out;
}

/* ---- SIP user parts -------------------------------------------------- */

gboolean
map_sip_user_char_plain(guchar c)
{
    /* unreserved = alphanum / mark; user-unreserved = & = + $ , ; ? / */
    static const guint32 plain[8] = {
        0x00000000, /* 0x00-0x1f */
        0xABFFFFD2, /* 0x20-0x3f: ! $ & ' ( ) * + , - . / 0-9 ; = ? */
        0x87FFFFFE, /* 0x40-0x5f: A-Z _ */
        0x47FFFFFE, /* 0x60-0x7f: a-z ~ */
        0,          0, 0, 0,
    };

    return (plain[c >> 5] >> (c & 31)) & 1;
}

char *
map_sip_user_encode(const char *raw, gsize len)
{
    static const char hex[] = "0123456789ABCDEF";
    gsize n = len;
    char *out, *o;

    for (gsize i = 0; i < len; i++)
        if (!map_sip_user_char_plain((guchar)raw[i]))
            n += 2;
    o = out = g_malloc(n + 1);
    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)raw[i];

        if (map_sip_user_char_plain(c)) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

char *
map_sip_user_decode(const char *user)
{
    gsize len = strlen(user);
    char *out = g_malloc(len + 1);
    gsize n = 0;

    for (gsize i = 0; i < len; i++) {
        if (user[i] != '%') {
            out[n++] = user[i];
            continue;
        }
        if (i + 2 >= len || !g_ascii_isxdigit(user[i + 1]) ||
            !g_ascii_isxdigit(user[i + 2])) {
            g_free(out);
            return NULL;
        }
        out[n] = (char)(g_ascii_xdigit_value(user[i + 1]) << 4 |
                        g_ascii_xdigit_value(user[i + 2]));
        if (out[n] == '\0') {
            g_free(out);
            return NULL;
        }
        n++;
        i += 2;
    }
    out[n] = '\0';
    return out;
}

/* ---- XEP-0106 -------------------------------------------------------- */

/* XEP-0106 §4.2 table: the nine characters a localpart cannot carry, and
 * the escape character itself. Lower-case hex, as the XEP writes them. */
static const struct {
    char c;
    char seq[3];
} xep0106[] = {
    {' ', "20"}, {'"', "22"}, {'&', "26"}, {'\'', "27"}, {'/', "2f"},
    {':', "3a"}, {'<', "3c"}, {'>', "3e"}, {'@', "40"},  {'\\', "5c"},
};

static int
escape_index(const char *p)
{
    if (p[0] != '\\' || p[1] == '\0' || p[2] == '\0')
        return -1;
    for (guint i = 0; i < G_N_ELEMENTS(xep0106); i++)
        if (p[1] == xep0106[i].seq[0] && p[2] == xep0106[i].seq[1])
            return (int)i;
    return -1;
}

gboolean
map_jid_escape_at(const char *p)
{
    return escape_index(p) >= 0;
}

char *
map_jid_escape(const char *raw)
{
    GString *out;

    g_return_val_if_fail(raw != NULL, NULL);
    out = g_string_sized_new(strlen(raw) + 8);
    for (const char *p = raw; *p != '\0'; p++) {
        int idx = -1;

        /* XEP-0106 §4.3: '\' is escaped only where it would otherwise
         * start one of the ten sequences */
        if (*p == '\\') {
            if (map_jid_escape_at(p))
                idx = G_N_ELEMENTS(xep0106) - 1;
        } else {
            for (guint i = 0; i + 1 < G_N_ELEMENTS(xep0106); i++)
                if (*p == xep0106[i].c)
                    idx = (int)i;
        }
        if (idx < 0) {
            g_string_append_c(out, *p);
        } else {
            g_string_append_c(out, '\\');
            g_string_append_len(out, xep0106[idx].seq, 2);
        }
    }
    return g_string_free(out, FALSE);
}

char *
map_jid_unescape(const char *escaped)
{
    GString *out;

    g_return_val_if_fail(escaped != NULL, NULL);
    out = g_string_sized_new(strlen(escaped));
    for (const char *p = escaped; *p != '\0'; p++) {
        int idx = escape_index(p);

        if (idx < 0) {
            g_string_append_c(out, *p);
        } else {
            g_string_append_c(out, xep0106[idx].c);
            p += 2;
        }
    }
    return g_string_free(out, FALSE);
}
