/* jingle_sdp/jsdp_sdp_check.c: is a body SDP at all? The line grammar of
 * RFC 8866 (section 9), nothing more: a SIP side must refuse a body that
 * is not SDP (400) before a media relay is asked, but must not refuse an
 * SDP a phone really sends because it breaks a rule the translation
 * needs (jsdp_session_from_sdp() refuses a duplicate mid, ICE without
 * credentials ...; rtpengine takes those).
 *
 *   v=0                         first, exactly
 *   <letter>=<text>             every line (CRLF or LF), printable text
 *   o=<6 fields>  s=<text>      in the session part
 *   c=<nettype> <addrtype> <address>
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

/* Fields separated by single spaces, none empty; how many. */
static guint
count_fields(const char *s, gsize len)
{
    guint n = 1;

    if (len == 0 || s[0] == ' ' || s[len - 1] == ' ')
        return 0;
    for (gsize i = 0; i < len; i++)
        if (s[i] == ' ') {
            if (s[i + 1] == ' ')
                return 0;
            n++;
        }
    return n;
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
    const char *sp1 = memchr(v, ' ', len);
    const char *port, *end, *slash;
    guint64 n;

    if (count_fields(v, len) < 4 || sp1 == NULL)
        return FALSE;
    port = sp1 + 1;
    end = memchr(port, ' ', len - (gsize)(port - v));
    slash = memchr(port, '/', (gsize)(end - port));
    if (!all_digits(port, (gsize)((slash ? slash : end) - port)) ||
        (gsize)((slash ? slash : end) - port) > 5 ||
        (slash != NULL && !all_digits(slash + 1, (gsize)(end - slash - 1))))
        return FALSE;
    n = g_ascii_strtoull(port, NULL, 10);
    return n <= 65535;
}

gboolean
jsdp_sdp_check(const char *sdp, gssize len, GError **error)
{
    const char *p, *end;
    guint line = 0;
    gboolean have_o = FALSE, have_s = FALSE, in_media = FALSE;

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
        gsize n;

        if (eol > p && eol[-1] == '\r')
            eol--;
        n = (gsize)(eol - p);
        line++;
        if (line > JSDP_MAX_LINES)
            return fail(error, line, "too many lines");
        if (n == 0) {
            /* only blank lines may follow a blank line (the end) */
            for (const char *q = nl ? nl + 1 : end; q < end; q++)
                if (*q != '\r' && *q != '\n')
                    return fail(error, line, "empty line");
            break;
        }
        if (n < 2 || !g_ascii_islower(p[0]) || p[1] != '=')
            return fail(error, line, "expected '<type>=<value>'");
        for (gsize i = 2; i < n; i++)
            if ((guchar)p[i] < 0x20 && p[i] != '\t')
                return fail(error, line, "control character");
        if (line == 1) {
            if (n != 3 || p[0] != 'v' || p[2] != '0')
                return fail(error, line, "does not start with v=0");
        } else if (p[0] == 'v') {
            return fail(error, line, "a second v=");
        } else if (p[0] == 'o' && !in_media) {
            if (count_fields(p + 2, n - 2) != 6)
                return fail(error, line, "o= needs six fields");
            have_o = TRUE;
        } else if (p[0] == 's' && !in_media) {
            have_s = TRUE;
        } else if (p[0] == 'c') {
            if (count_fields(p + 2, n - 2) != 3)
                return fail(error, line, "c= needs three fields");
        } else if (p[0] == 'm') {
            if (!media_ok(p + 2, n - 2))
                return fail(error, line, "bad m= line");
            in_media = TRUE;
        }
        p = nl ? nl + 1 : end;
    }
    if (line == 0)
        return fail(error, 0, "empty");
    if (!have_o || !have_s)
        return fail(error, line, "no o= or s= line");
    return TRUE;
}
