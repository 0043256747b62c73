/* jingle_sdp/jsdp_sdp_check.c: is a body SDP at all? The line grammar of
 * RFC 8866 (section 9), read as leniently as the parser reads it (blanks
 * around lines and runs of spaces between fields are seen in the wild):
 * a SIP side must refuse a body that is not SDP (400) before a media
 * relay is asked, but must not refuse an SDP a phone really sends
 * because it breaks a rule the translation needs (jsdp_session_from_sdp()
 * refuses a duplicate mid, ICE without credentials ...; rtpengine takes
 * those).
 *
 *   v=0                         the first line
 *   <letter>=<text>             every other line (CRLF or LF); blank
 *                               lines are skipped
 *   o=<6 fields>  s=<text>      in the session part
 *   c=<nettype> <addrtype> <address>   in the session part (a media
 *                               section's may be of a kind it drops)
 *   m=<media> <port>[/<n>] <proto> <fmt> ...   port 0..65535
 *
 * Not checked: that each m= section in use has a c= (RFC 8866 5.7); the
 * translation takes sections without one, and so does a relay that
 * keeps the session's address.
 */
#include "jsdp_private.h"

#include <string.h>

static gboolean
fail(GError **error, guint line, const char *what)
{
    g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "sdp line %u: %s",
                line, what);
    return FALSE;
}

/* The fields of a value, on runs of spaces (transfer full). */
static char **
fields_of(const char *v, gsize len)
{
    g_autofree char *copy = g_strndup(v, len);
    g_auto(GStrv) parts = g_strsplit(copy, " ", -1);
    GPtrArray *out = g_ptr_array_new();

    for (guint i = 0; parts[i] != NULL; i++)
        if (parts[i][0] != '\0')
            g_ptr_array_add(out, g_strdup(parts[i]));
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static gboolean
all_digits(const char *s, gsize len)
{
    if (len == 0)
        return FALSE;
    for (gsize i = 0; i < len; i++)
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
    return TRUE;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static gboolean
media_ok(const char *v, gsize len)
{
    g_auto(GStrv) f = fields_of(v, len);
    const char *slash;
    gsize plen;

    if (g_strv_length(f) < 4)
        return FALSE;
    slash = strchr(f[1], '/');
    plen = slash ? (gsize)(slash - f[1]) : strlen(f[1]);
    if (!all_digits(f[1], plen) ||
        (slash != NULL && !all_digits(slash + 1, strlen(slash + 1))))
        return FALSE;
    return g_ascii_strtoull(f[1], NULL, 10) <= 65535;
}

static guint
count_fields(const char *v, gsize len)
{
    g_auto(GStrv) f = fields_of(v, len);

    return g_strv_length(f);
}

gboolean
jsdp_sdp_check(const char *sdp, gssize len, GError **error)
{
    const char *p, *end;
    guint line = 0;
    gboolean seen_v = FALSE, have_o = FALSE, have_s = FALSE;
    gboolean in_media = FALSE;

    g_return_val_if_fail(sdp != NULL, FALSE);
    if (len < 0)
        len = (gssize)strlen(sdp);
    if ((gsize)len > JSDP_MAX_INPUT)
        return fail(error, 0, "too large");
    if (memchr(sdp, '\0', (gsize)len) != NULL)
        return fail(error, 0, "NUL byte");
    p = sdp;
    end = sdp + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        const char *eol = nl ? nl : end;
        const char *q = p;
        gsize n;

        line++;
        if (line > JSDP_MAX_LINES)
            return fail(error, line, "too many lines");
        if (eol > p && eol[-1] == '\r')
            eol--;
        /* blanks around a line are not part of it; blank lines go */
        while (q < eol && (*q == ' ' || *q == '\t'))
            q++;
        while (eol > q && (eol[-1] == ' ' || eol[-1] == '\t'))
            eol--;
        n = (gsize)(eol - q);
        p = nl ? nl + 1 : end;
        if (n == 0)
            continue;
        if (memchr(q, '\r', n) != NULL)
            return fail(error, line, "CR inside a line");
        if (n < 2 || !g_ascii_islower(q[0]) || q[1] != '=')
            return fail(error, line, "expected '<type>=<value>'");
        if (!seen_v) {
            if (n != 3 || q[0] != 'v' || q[2] != '0')
                return fail(error, line, "does not start with v=0");
            seen_v = TRUE;
        } else if (q[0] == 'v') {
            return fail(error, line, "a second v=");
        } else if (q[0] == 'o' && !in_media) {
            if (count_fields(q + 2, n - 2) != 6)
                return fail(error, line, "o= needs six fields");
            have_o = TRUE;
        } else if (q[0] == 's' && !in_media) {
            have_s = TRUE;
        } else if (q[0] == 'c' && !in_media) {
            if (count_fields(q + 2, n - 2) != 3)
                return fail(error, line, "c= needs three fields");
        } else if (q[0] == 'm') {
            if (!media_ok(q + 2, n - 2))
                return fail(error, line, "bad m= line");
            in_media = TRUE;
        }
    }
    if (!seen_v)
        return fail(error, line, "empty");
    if (!have_o || !have_s)
        return fail(error, line, "no o= or s= line");
    return TRUE;
}
