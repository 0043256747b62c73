/* jingle_sdp/jsdp_sdp_edit.c: edits of SDP text that must leave the rest
 * of it as it was. An SDP a relay wrote for a phone (rtpengine's) carries
 * lines the model does not (a=rtcp, a=ptime, its own o= and s=); a hold
 * re-INVITE offers that very SDP again with another direction (RFC 3264
 * 8.4) and the next o= version (RFC 3264 8), so the edit works on lines,
 * not on a parsed session, and every other line keeps its bytes, its
 * blanks and its line end.
 *
 *   v=0                                 v=0
 *   o=- 1545997027 1 IN IP4 192.0.2.5   o=- 1545997027 1001 IN IP4 192.0.2.5
 *   s=rtpengine                         s=rtpengine
 *   ...                         ->      ...
 *   m=audio 30000 RTP/AVP 0 101         m=audio 30000 RTP/AVP 0 101
 *   a=sendrecv                          a=sendonly
 *   a=rtcp:30001                        a=rtcp:30001
 *
 * A media section that has no direction attribute, in an SDP without one
 * at session level, gets one after its last line (else it would inherit
 * the default, sendrecv: RFC 3264 5.1).
 */
#include "jsdp_private.h"

#include <string.h>

typedef struct {
    const char *start; /* first byte of the line */
    gsize len;         /* without its line end */
    gsize end_len;     /* 0, 1 ("\n", or a CR that ends the text), 2 */
} Line;

/* The line's text without blanks around it. */
static const char *
trimmed(const Line *l, gsize *n)
{
    const char *p = l->start, *e = l->start + l->len;

    while (p < e && (*p == ' ' || *p == '\t'))
        p++;
    while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *n = (gsize)(e - p);
    return p;
}

static gboolean
is_direction(const Line *l)
{
    static const char *const dirs[] = { "a=sendrecv", "a=sendonly",
                                        "a=recvonly", "a=inactive" };
    gsize n;
    const char *t = trimmed(l, &n);

    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++)
        if (n == strlen(dirs[i]) && memcmp(t, dirs[i], n) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
has_type(const Line *l, char type)
{
    gsize n;
    const char *t = trimmed(l, &n);

    return n >= 2 && t[0] == type && t[1] == '=';
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>:
 * the line with its third field replaced (jsdp_sdp_check() has seen six
 * fields on runs of spaces). */
static void
append_origin(JsdpBuf *out, const Line *l, guint64 version)
{
    gsize n;
    const char *t = trimmed(l, &n);
    const char *p = t + 2, *e = t + n, *f3, *f3_end;

    for (guint field = 0; field < 2; field++) {
        while (p < e && *p == ' ')
            p++;
        while (p < e && *p != ' ')
            p++;
    }
    while (p < e && *p == ' ')
        p++;
    f3 = p;
    while (p < e && *p != ' ')
        p++;
    f3_end = p;
    jsdp_buf_append_len(out, l->start, (gsize)(f3 - l->start));
    jsdp_buf_append_u64(out, version);
    jsdp_buf_append_len(out, f3_end,
                        (gsize)(l->start + l->len + l->end_len - f3_end));
}

static void
append_line(JsdpBuf *out, const Line *l)
{
    jsdp_buf_append_len(out, l->start, l->len + l->end_len);
}

static GArray *
split_lines(const char *sdp, gsize len)
{
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(Line));
    const char *p = sdp, *end = sdp + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (gsize)(end - p));
        Line l = { p, nl ? (gsize)(nl - p) : (gsize)(end - p), nl ? 1 : 0 };
        if (l.len > 0 && p[l.len - 1] == '\r') {
            l.len--; /* CRLF, or a CR alone at the very end */
            l.end_len++;
        }
        g_array_append_val(lines, l);
        p = nl ? nl + 1 : end;
    }
    return lines;
}

/* Does section [from, to) of lines have a direction attribute? */
static gboolean
section_has_direction(GArray *lines, guint from, guint to)
{
    for (guint i = from; i < to; i++)
        if (is_direction(&g_array_index(lines, Line, i)))
            return TRUE;
    return FALSE;
}

/* The last non-blank line in [from, to) (the first line of a section,
 * v= or m=, is never blank). */
static guint
last_filled(GArray *lines, guint from, guint to)
{
    for (guint i = to; i > from + 1; i--) {
        gsize n;
        trimmed(&g_array_index(lines, Line, i - 1), &n);
        if (n > 0)
            return i - 1;
    }
    return from;
}

/* Marks in add[] the line after which a section without a direction gets
 * one: every media section when the session part has none, or the session
 * part itself when there is no media section. */
static void
plan_additions(GArray *lines, gboolean *add)
{
    guint start = 0;
    gboolean session_dir = FALSE;

    for (guint i = 1; i <= lines->len; i++) {
        if (i < lines->len && !has_type(&g_array_index(lines, Line, i), 'm'))
            continue;
        /* [start, i) is a section */
        if (start == 0) {
            session_dir = section_has_direction(lines, 0, i);
            if (i == lines->len && !session_dir)
                add[last_filled(lines, 0, i)] = TRUE;
        } else if (!session_dir && !section_has_direction(lines, start, i)) {
            add[last_filled(lines, start, i)] = TRUE;
        }
        start = i;
    }
}

/* The direction a section says on hold (RFC 3264 8.4): what it sent it
 * still sends, it no longer receives. dir: the 8 letters of its direction
 * attribute (is_direction()), not NUL-terminated; NULL: none (sendrecv). */
static const char *
held(const char *dir)
{
    if (dir == NULL || strncmp(dir, "sendrecv", 8) == 0 ||
        strncmp(dir, "sendonly", 8) == 0)
        return "sendonly";
    return "inactive";
}

/* sdp with every direction attribute replaced by `fixed` or, NULL, by
 * held() of it; the session o= line's version set when version >= 0. */
static char *
edit_directions(const char *sdp, gssize len, const char *fixed,
                gint64 version, GError **error)
{
    g_autoptr(GArray) lines = NULL;
    g_autofree gboolean *add = NULL;
    const char *eol;
    gboolean in_media = FALSE;
    JsdpBuf out;

    if (len < 0)
        len = (gssize)strlen(sdp);
    if (!jsdp_sdp_check(sdp, len, error))
        return NULL;
    lines = split_lines(sdp, (gsize)len);
    add = g_new0(gboolean, lines->len);
    plan_additions(lines, add);
    /* lines we add end as v= does (blank lines may come before it) */
    eol = "\r\n";
    for (guint i = 0; i < lines->len; i++) {
        const Line *l = &g_array_index(lines, Line, i);
        if (has_type(l, 'v')) {
            eol = l->end_len == 1 ? "\n" : "\r\n";
            break;
        }
    }
    jsdp_buf_init(&out, (gsize)len + 32);
    for (guint i = 0; i < lines->len; i++) {
        const Line *l = &g_array_index(lines, Line, i);
        const char *dir = NULL;

        in_media = in_media || has_type(l, 'm');
        if (is_direction(l)) {
            gsize n;

            dir = fixed != NULL ? fixed : held(trimmed(l, &n) + 2);
            jsdp_buf_append(&out, "a=");
            jsdp_buf_append(&out, dir);
            jsdp_buf_append_len(&out, l->start + l->len, l->end_len);
        } else if (!in_media && version >= 0 && has_type(l, 'o')) {
            append_origin(&out, l, (guint64)version);
        } else {
            append_line(&out, l);
        }
        if (add[i]) {
            /* a section without a direction in an SDP without one at
             * session level: sendrecv (RFC 3264 5.1) */
            dir = fixed != NULL ? fixed : held(NULL);
            if (l->end_len == 0)
                jsdp_buf_append(&out, eol);
            else if (l->end_len == 1 && l->start[l->len] == '\r')
                jsdp_buf_append(&out, "\n"); /* a CR that ended the text */
            jsdp_buf_append(&out, "a=");
            jsdp_buf_append(&out, dir);
            jsdp_buf_append(&out, eol);
        }
    }
    return out.str;
}

char *
jsdp_sdp_set_direction(const char *sdp, gssize len, JsdpSenders senders,
                       JsdpRole author, guint64 version, GError **error)
{
    g_return_val_if_fail(sdp != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    g_return_val_if_fail(version <= G_MAXINT64, NULL);
    return edit_directions(sdp, len,
                           jsdp_senders_to_direction(senders, author),
                           (gint64)version, error);
}

char *
jsdp_sdp_hold(const char *sdp, gssize len, GError **error)
{
    g_return_val_if_fail(sdp != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    return edit_directions(sdp, len, NULL, -1, error);
}

/* The session-level o= line of lines (before the first m=), or -1. */
static gint
origin_index(GArray *lines)
{
    for (guint i = 0; i < lines->len; i++) {
        const Line *l = &g_array_index(lines, Line, i);
        if (has_type(l, 'm'))
            break;
        if (has_type(l, 'o'))
            return (gint)i;
    }
    return -1;
}

/* Are two SDPs the same but for their o= lines (byte for byte, line ends
 * included)? */
static gboolean
same_but_origin(GArray *a, gint oa, GArray *b, gint ob)
{
    guint i = 0, j = 0;

    for (;;) {
        if ((gint)i == oa)
            i++;
        if ((gint)j == ob)
            j++;
        if (i >= a->len || j >= b->len)
            return i >= a->len && j >= b->len;
        const Line *x = &g_array_index(a, Line, i++);
        const Line *y = &g_array_index(b, Line, j++);
        if (x->len + x->end_len != y->len + y->end_len ||
            memcmp(x->start, y->start, x->len + x->end_len) != 0)
            return FALSE;
    }
}

/* The third field (sess-version) of an o= line jsdp_sdp_check() passed. */
static guint64
origin_version(const Line *l)
{
    gsize n;
    const char *t = trimmed(l, &n), *p = t + 2, *e = t + n;
    char digits[24];
    gsize k = 0;

    for (guint field = 0; field < 2; field++) {
        while (p < e && *p == ' ')
            p++;
        while (p < e && *p != ' ')
            p++;
    }
    while (p < e && *p == ' ')
        p++;
    while (p < e && *p != ' ' && k + 1 < sizeof digits)
        digits[k++] = *p++;
    digits[k] = '\0';
    return g_ascii_strtoull(digits, NULL, 10);
}

char *
jsdp_sdp_follow_origin(const char *prev, const char *next, GError **error)
{
    g_autoptr(GArray) pl = NULL, nl = NULL;
    gsize plen, nlen;
    gint po, no;
    JsdpBuf out;

    g_return_val_if_fail(next != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    nlen = strlen(next);
    if (!jsdp_sdp_check(next, (gssize)nlen, error))
        return NULL;
    if (prev == NULL)
        return g_strdup(next);
    plen = strlen(prev);
    if (!jsdp_sdp_check(prev, (gssize)plen, error))
        return NULL;
    pl = split_lines(prev, plen);
    nl = split_lines(next, nlen);
    po = origin_index(pl);
    no = origin_index(nl);
    if (po < 0 || no < 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "SDP without a session o= line");
        return NULL;
    }
    const Line *porig = &g_array_index(pl, Line, po);
    const Line *norig = &g_array_index(nl, Line, no);
    guint64 version = origin_version(porig);
    if (!same_but_origin(pl, po, nl, no))
        version++;
    jsdp_buf_init(&out, nlen + 32);
    for (guint i = 0; i < nl->len; i++) {
        const Line *l = &g_array_index(nl, Line, i);
        if ((gint)i == no) {
            /* the previous o= with the next's line end */
            Line o = { porig->start, porig->len, 0 };
            append_origin(&out, &o, version);
            jsdp_buf_append_len(&out, norig->start + norig->len,
                                norig->end_len);
        } else {
            append_line(&out, l);
        }
    }
    return out.str;
}
