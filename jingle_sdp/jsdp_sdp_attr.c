/* jsdp_sdp_attr.c: the readers of single SDP lines and attributes for the
 * parser in jsdp_sdp_parse.c (see jsdp_sdp_parser.h): c=, m=, b=, and the
 * a= attributes at session and media level (rtpmap, fmtp, rtcp-fb, extmap,
 * crypto, ssrc, ssrc-group, rtcp, ptime, ICE, DTLS, groups).  Each fills the
 * parser's SessionState or MediaState; what Jingle cannot carry becomes a
 * warning, what is malformed an error naming the line. */
#include "jsdp_sdp_parser.h"

static void
fingerprint_array_add(GPtrArray **arr, JsdpFingerprint *f)
{
    if (*arr == NULL)
        *arr = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_fingerprint_free);
    g_ptr_array_add(*arr, f);
}

void
jsdp_sdpp_split_clear(Split *sp)
{
    g_free(sp->heap);
}



void
jsdp_sdpp_split(Split *sp, const char *s, char sep, guint max)
{
    gsize len = strlen(s);
    char *q;

    sp->n = 0;
    sp->heap = NULL;
    if (len < sizeof(sp->stack)) {
        q = sp->stack;
    } else {
        sp->heap = g_malloc(len + 1);
        q = sp->heap;
    }
    memcpy(q, s, len + 1);
    for (;;) {
        if (sep == ' ')
            while (*q == ' ')
                q++;
        if (sep == ' ' && *q == '\0')
            break;
        if (sp->n >= SPLIT_MAX) {
            sp->n = SPLIT_MAX + 1;
            break;
        }
        sp->f[sp->n++] = q;
        if (max > 0 && sp->n == max)
            break;
        q = strchr(q, sep);
        if (q == NULL)
            break;
        *q++ = '\0';
    }
    sp->f[MIN(sp->n, SPLIT_MAX)] = NULL;
}

/* ---- field helpers --------------------------------------------------- */

gboolean
jsdp_sdpp_parse_connection(const Line *line, const char *value, Connection *conn, GPtrArray *warnings,
                 GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);

    if (f_sp.n != 3 || strcmp(f[0], "IN") != 0)
        FAIL(line, "c= needs 'IN <addrtype> <address>'");
    if (strcmp(f[1], "IP4") != 0 && strcmp(f[1], "IP6") != 0)
        FAIL(line, "unknown address type");
    if (!jsdp_is_token(f[2], "/")) {
        if (jsdp_is_token(f[2], NULL)) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                        "sdp line %u: multicast connection not supported: '%.64s'",
                        line->number, line->text);
            return FALSE;
        }
        FAIL(line, "bad address");
    }
    g_free(conn->addr);
    conn->addr = g_strdup(f[2]);
    conn->ip6 = strcmp(f[1], "IP6") == 0;
    return TRUE;
}

static gboolean
parse_fingerprint(const Line *line, const char *value, JsdpFingerprint **out, GError **error)
{
    const char *sp = strchr(value, ' ');
    g_autofree char *hash = NULL;
    char *norm;

    if (sp == NULL || sp == value)
        FAIL(line, "a=fingerprint needs '<hash> <value>'");
    hash = g_ascii_strdown(value, sp - value);
    if (!jsdp_is_token(hash, NULL) || strlen(hash) > 32)
        FAIL(line, "bad fingerprint hash name");
    norm = jsdp_fingerprint_normalise(sp + 1);
    if (norm == NULL)
        FAIL(line, "bad fingerprint value");
    *out = g_new0(JsdpFingerprint, 1);
    (*out)->hash = g_steal_pointer(&hash);
    (*out)->value = norm;
    return TRUE;
}

static gboolean
parse_group(const Line *line, const char *value, GPtrArray *groups, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);
    g_autoptr(JsdpGroup) g = NULL;

    if (f[0] == NULL || !jsdp_is_token(f[0], NULL))
        FAIL(line, "a=group needs semantics");
    g = jsdp_group_new(f[0]);
    for (guint i = 1; f[i] != NULL; i++) {
        if (*f[i] == '\0')
            continue;
        if (!jsdp_is_token(f[i], NULL))
            FAIL(line, "bad identification tag");
        if (g->names->len >= JSDP_MAX_CONTENTS)
            FAIL(line, "too many identification tags");
        g_ptr_array_add(g->names, g_strdup(f[i]));
    }
    if (groups->len >= JSDP_MAX_CONTENTS)
        FAIL(line, "too many groups");
    g_ptr_array_add(groups, g_steal_pointer(&g));
    return TRUE;
}

static const char *
direction_of(const char *name)
{
    static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

    for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
        if (strcmp(name, dirs[i]) == 0)
            return dirs[i];
    }
    return NULL;
}

/* ---- candidates ------------------------------------------------------ */

static gboolean
candidate_parse(const char *value, JsdpCandidate **out, GPtrArray *warnings, const char **problem)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);
    g_autoptr(JsdpCandidate) c = jsdp_candidate_new();
    guint64 n;
    guint nf = f_sp.n, i;

    if (nf < 8 || nf > 64) {
        *problem = "a=candidate needs 8 fields";
        return FALSE;
    }
    if (strlen(f[0]) > 32 || !jsdp_is_token(f[0], NULL)) {
        *problem = "bad foundation";
        return FALSE;
    }
    c->foundation = g_strdup(f[0]);
    if (!jsdp_parse_uint(f[1], 1, 256, &n)) {
        *problem = "bad component id";
        return FALSE;
    }
    c->component = (guint)n;
    if (!jsdp_is_token(f[2], NULL)) {
        *problem = "bad transport";
        return FALSE;
    }
    c->protocol = g_ascii_strdown(f[2], -1);
    if (!jsdp_parse_uint(f[3], 0, G_MAXUINT32, &n)) {
        *problem = "bad priority (32-bit unsigned)";
        return FALSE;
    }
    c->priority = (guint32)n;
    if (!jsdp_is_token(f[4], "/")) {
        *problem = "bad connection address";
        return FALSE;
    }
    c->ip = g_strdup(f[4]);
    if (!jsdp_parse_uint(f[5], 0, 65535, &n)) {
        *problem = "bad port";
        return FALSE;
    }
    c->port = (guint16)n;
    if (strcmp(f[6], "typ") != 0 || !jsdp_candidate_type_from_string(f[7], &c->type)) {
        *problem = "bad candidate type";
        return FALSE;
    }
    for (i = 8; i + 1 < nf; i += 2) {
        const char *k = f[i], *v = f[i + 1];
        if (strcmp(k, "raddr") == 0) {
            if (!jsdp_is_token(v, "/")) {
                *problem = "bad raddr";
                return FALSE;
            }
            g_free(c->rel_addr);
            c->rel_addr = g_strdup(v);
        } else if (strcmp(k, "rport") == 0) {
            if (!jsdp_parse_uint(v, 0, 65535, &n)) {
                *problem = "bad rport";
                return FALSE;
            }
            c->rel_port = (gint32)n;
        } else if (strcmp(k, "tcptype") == 0) {
            if (!jsdp_tcptype_from_string(v, &c->tcptype)) {
                *problem = "bad tcptype";
                return FALSE;
            }
        } else if (strcmp(k, "generation") == 0) {
            if (!jsdp_parse_uint(v, 0, G_MAXUINT32, &n)) {
                *problem = "bad generation";
                return FALSE;
            }
            c->generation = (guint)n;
        } else if (strcmp(k, "network-id") == 0) {
            if (!jsdp_parse_uint(v, 0, G_MAXINT32, &n)) {
                *problem = "bad network-id";
                return FALSE;
            }
            c->network = (gint32)n;
        } else if (jsdp_is_token(k, NULL)) {
            jsdp_warn(warnings, "candidate extension '%.32s' not carried by Jingle", k);
        } else {
            *problem = "bad candidate extension";
            return FALSE;
        }
    }
    if (i != nf) {
        *problem = "candidate extension without value";
        return FALSE;
    }
    *out = g_steal_pointer(&c);
    return TRUE;
}

JsdpCandidate *
jsdp_candidate_from_sdp_line(const char *line, GPtrArray *warnings, GError **error)
{
    g_autofree char *copy = NULL;
    JsdpCandidate *c = NULL;
    const char *problem = NULL;
    char *p;
    gsize len;

    g_return_val_if_fail(line != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    len = strlen(line);
    if (len > 1024) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "candidate line too long: '%.64s'", line);
        return NULL;
    }
    copy = g_strdup(line);
    g_strchomp(copy); /* CR, LF */
    p = copy;
    if (g_str_has_prefix(p, "a="))
        p += 2;
    if (!g_str_has_prefix(p, "candidate:")) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "not an a=candidate line: '%.64s'", line);
        return NULL;
    }
    if (!candidate_parse(p + strlen("candidate:"), &c, warnings, &problem)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "%s: '%.64s'", problem, line);
        return NULL;
    }
    return c;
}

/* ---- per-line handlers --------------------------------------------- */

static JsdpPayloadType *
find_pt(JsdpContent *c, guint id)
{
    for (guint i = 0; i < c->payload_types->len; i++) {
        JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
        if (pt->id == id)
            return pt;
    }
    return NULL;
}

gboolean
jsdp_sdpp_parse_mline(Parser *p, const Line *line, const char *value, MediaState *m, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);
    guint64 n;
    guint nf = f_sp.n;

    if (nf < 3)
        FAIL(line, "m= needs '<media> <port> <proto> <fmt> ...'");
    if (!jsdp_is_token(f[0], NULL) || strlen(f[0]) > 64)
        FAIL(line, "bad media");
    if (strchr(f[1], '/') != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "sdp line %u: port count not supported: '%.64s'", line->number, line->text);
        return FALSE;
    }
    if (!jsdp_parse_uint(f[1], 0, 65535, &n))
        FAIL(line, "bad port (0-65535)");
    if (!jsdp_is_token(f[2], NULL))
        FAIL(line, "bad proto");
    m->mline = line;
    m->media = g_strdup(f[0]);
    m->port = (guint)n;
    m->proto = g_strdup(f[2]);
    m->rtcp_port = -1;
    m->content = jsdp_content_new();
    m->content->media = g_strdup(f[0]);
    m->content->has_description = !p->session->fragment;
    m->candidates = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_candidate_free);
    m->pending_fb = g_ptr_array_new_with_free_func(g_free);
    if (nf < 4 || (nf == 4 && *f[3] == '\0'))
        FAIL(line, "m= with no formats");
    if (p->session->fragment)
        return TRUE; /* placeholder m= line (RFC 8840) */
    if (strstr(m->proto, "RTP/") == NULL) {
        /* RFC 8841 UDP/DTLS/SCTP, TCP/DTLS/SCTP; DTLS/SCTP before it */
        if (strcmp(m->media, "application") == 0 && g_str_has_suffix(m->proto, "DTLS/SCTP") &&
            jsdp_is_token(f[3], NULL) && strlen(f[3]) <= 64) {
            m->sctp = TRUE;
            m->sctp_fmt = g_strdup(f[3]);
        } else {
            m->dropped = TRUE;
        }
        return TRUE;
    }
    for (guint i = 3; i < nf; i++) {
        if (*f[i] == '\0')
            continue; /* double spaces */
        if (!jsdp_parse_uint(f[i], 0, 127, &n))
            FAIL(line, "bad payload type '%.8s' (0-127)", f[i]);
        if (find_pt(m->content, (guint)n) != NULL)
            FAIL(line, "duplicate payload type %u", (guint)n);
        g_ptr_array_add(m->content->payload_types, jsdp_payload_type_new((guint8)n));
    }
    return TRUE;
}

/* "<pt> rest" with pt a number in the m= list, or '*' when star is allowed. */
static gboolean
split_pt(const Line *line, const char *value, MediaState *m, gboolean star, gint *pt,
         const char **rest, GError **error)
{
    const char *sp = strchr(value, ' ');
    gsize len = sp ? (gsize)(sp - value) : strlen(value);
    char num[8];
    guint64 n;

    *rest = sp ? sp + 1 : "";
    while (**rest == ' ')
        (*rest)++;
    if (star && len == 1 && *value == '*') {
        *pt = -1;
        return TRUE;
    }
    if (len == 0 || len >= sizeof(num))
        FAIL(line, "bad payload type (0-127)");
    memcpy(num, value, len);
    num[len] = '\0';
    if (!jsdp_parse_uint(num, 0, 127, &n))
        FAIL(line, "bad payload type (0-127)");
    *pt = (gint)n;
    return TRUE;
}

static gboolean
parse_rtpmap(Parser *p, const Line *line, const char *value, MediaState *m, GError **error)
{
    const char *rest;
    gint id;
    JsdpPayloadType *pt;
    g_auto(Split) f_sp = {0};
    char **f;
    guint64 n;

    if (!split_pt(line, value, m, FALSE, &id, &rest, error))
        return FALSE;
    pt = find_pt(m->content, (guint)id);
    if (pt == NULL) {
        jsdp_warn(p->session->warnings, "a=rtpmap for payload type %d not in its m= line dropped", id);
        return TRUE;
    }
    if (m->has_rtpmap[id])
        FAIL(line, "duplicate a=rtpmap for payload type %d", id);
    m->has_rtpmap[id] = TRUE;
    jsdp_sdpp_split(&f_sp, rest, '/', 0);
    f = f_sp.f;
    if (f_sp.n < 2 || f_sp.n > 3 || !jsdp_is_token(f[0], NULL))
        FAIL(line, "a=rtpmap needs '<pt> <name>/<clock rate>[/<channels>]'");
    pt->name = g_strdup(f[0]);
    if (!jsdp_parse_uint(f[1], 1, G_MAXUINT32, &n))
        FAIL(line, "bad clock rate");
    pt->clockrate = (guint)n;
    if (f[2] != NULL) {
        if (!jsdp_parse_uint(f[2], 1, 255, &n))
            FAIL(line, "bad channel count");
        pt->channels = (guint)n;
    }
    return TRUE;
}

/* RFC 8866 leaves fmtp opaque; in practice "k=v;k=v" (XEP-0167 maps each
 * to a <parameter>), with spaces after ';' and a trailing ';' seen in the
 * wild, and nameless items such as telephone-event "0-15". */
static gboolean
parse_fmtp_params(const Line *line, const char *rest, GPtrArray *params, GError **error)
{
    g_auto(Split) items_sp = {0};
    char **items = (jsdp_sdpp_split(&items_sp, rest, ';', 0), items_sp.f);

    for (guint i = 0; items[i] != NULL; i++) {
        char *item = g_strstrip(items[i]);
        char *eq;
        if (*item == '\0')
            continue;
        if (params->len >= JSDP_MAX_ITEMS)
            FAIL(line, "too many fmtp parameters");
        eq = strchr(item, '=');
        if (eq == item)
            FAIL(line, "fmtp parameter without name");
        if (eq == NULL) {
            g_ptr_array_add(params, jsdp_parameter_new("", item));
        } else {
            *eq = '\0';
            if (!jsdp_is_token(g_strstrip(item), NULL))
                FAIL(line, "bad fmtp parameter name");
            g_ptr_array_add(params, jsdp_parameter_new(item, g_strstrip(eq + 1)));
        }
    }
    return TRUE;
}

static gboolean
parse_fmtp(Parser *p, const Line *line, const char *value, MediaState *m, GError **error)
{
    const char *rest;
    gint id;
    JsdpPayloadType *pt;

    if (!split_pt(line, value, m, FALSE, &id, &rest, error))
        return FALSE;
    pt = find_pt(m->content, (guint)id);
    if (pt == NULL) {
        jsdp_warn(p->session->warnings, "a=fmtp for payload type %d not in its m= line dropped", id);
        return TRUE;
    }
    if (m->has_fmtp[id])
        FAIL(line, "duplicate a=fmtp for payload type %d", id);
    m->has_fmtp[id] = TRUE;
    return parse_fmtp_params(line, rest, pt->parameters, error);
}

static gboolean
parse_rtcp_fb(Parser *p, const Line *line, const char *value, MediaState *m, GError **error)
{
    const char *rest;
    gint id;
    g_autofree char *type = NULL;
    const char *sub;
    GPtrArray *list;
    gint64 *trr;

    if (!split_pt(line, value, m, TRUE, &id, &rest, error))
        return FALSE;
    if (*rest == '\0')
        FAIL(line, "a=rtcp-fb needs a type");
    sub = strchr(rest, ' ');
    type = sub ? g_strndup(rest, sub - rest) : g_strdup(rest);
    if (sub != NULL) {
        while (*sub == ' ' || *sub == '\t')
            sub++;
        if (*sub == '\0')
            sub = NULL;
    }
    if (!jsdp_is_token(type, NULL))
        FAIL(line, "bad rtcp-fb type");
    if (id < 0) {
        list = m->content->rtcp_fb;
        trr = &m->content->trr_int;
    } else {
        JsdpPayloadType *pt = find_pt(m->content, (guint)id);
        if (pt == NULL) {
            jsdp_warn(p->session->warnings,
                      "a=rtcp-fb for payload type %d not in its m= line dropped", id);
            return TRUE;
        }
        list = pt->rtcp_fb;
        trr = &pt->trr_int;
    }
    if (strcmp(type, "trr-int") == 0) {
        guint64 n;
        if (sub == NULL || !jsdp_parse_uint(sub, 0, G_MAXUINT32, &n))
            FAIL(line, "bad trr-int value");
        *trr = (gint64)n;
        return TRUE;
    }
    if (list->len >= JSDP_MAX_ITEMS)
        FAIL(line, "too many rtcp-fb");
    g_ptr_array_add(list, jsdp_rtcp_fb_new(type, sub));
    return TRUE;
}

static gboolean
parse_extmap(Parser *p, const Line *line, const char *value, MediaState *m, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 3), f_sp.f);
    char *slash;
    guint64 n;
    JsdpHdrext *h;
    JsdpSenders senders = JSDP_SENDERS_BOTH;

    if (f_sp.n < 2)
        FAIL(line, "a=extmap needs '<id>[/<direction>] <uri>'");
    slash = strchr(f[0], '/');
    if (slash != NULL) {
        const char *dir = direction_of(slash + 1);
        if (dir == NULL)
            FAIL(line, "bad extmap direction");
        senders = jsdp_senders_from_direction(dir, p->params->author);
        *slash = '\0';
    }
    if (!jsdp_parse_uint(f[0], 1, 4351, &n) || (n > 255 && n < 4096))
        FAIL(line, "bad extmap id (1-255, 4096-4351)");
    if (!jsdp_is_token(f[1], NULL))
        FAIL(line, "bad extmap uri");
    if (f[2] != NULL && *g_strstrip(f[2]) != '\0')
        jsdp_warn(p->session->warnings, "extmap attributes of '%.64s' not carried by Jingle", f[1]);
    if (m->content->hdrexts->len >= JSDP_MAX_ITEMS)
        FAIL(line, "too many extmaps");
    h = g_new0(JsdpHdrext, 1);
    h->id = (guint)n;
    h->uri = g_strdup(f[1]);
    h->senders = senders;
    g_ptr_array_add(m->content->hdrexts, h);
    return TRUE;
}

static gboolean
parse_crypto(const Line *line, const char *value, MediaState *m, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 4), f_sp.f);
    guint64 n;
    JsdpCrypto *c;

    if (f_sp.n < 3)
        FAIL(line, "a=crypto needs '<tag> <suite> <key-params>'");
    if (!jsdp_parse_uint(f[0], 0, 999999999, &n)) /* RFC 4568 §9.1: 1*9DIGIT */
        FAIL(line, "bad crypto tag");
    if (!jsdp_is_token(f[1], NULL) || !jsdp_is_token(f[2], NULL))
        FAIL(line, "bad crypto suite or key-params");
    if (m->content->cryptos->len >= JSDP_MAX_ITEMS)
        FAIL(line, "too many crypto lines");
    c = g_new0(JsdpCrypto, 1);
    c->tag = (guint)n;
    c->suite = g_strdup(f[1]);
    c->key_params = g_strdup(f[2]);
    if (f[3] != NULL && *g_strstrip(f[3]) != '\0')
        c->session_params = g_strdup(f[3]);
    g_ptr_array_add(m->content->cryptos, c);
    return TRUE;
}

static JsdpSource *
find_source(JsdpContent *c, guint32 ssrc)
{
    for (guint i = 0; i < c->sources->len; i++) {
        JsdpSource *s = g_ptr_array_index(c->sources, i);
        if (s->ssrc == ssrc)
            return s;
    }
    return NULL;
}

static gboolean
parse_ssrc(const Line *line, const char *value, MediaState *m, GError **error)
{
    const char *sp = strchr(value, ' ');
    g_autofree char *num = sp ? g_strndup(value, sp - value) : g_strdup(value);
    g_autofree char *attr = NULL;
    char *colon;
    guint64 n;
    JsdpSource *src;

    if (!jsdp_parse_uint(num, 0, G_MAXUINT32, &n))
        FAIL(line, "bad ssrc (32-bit unsigned)");
    if (sp == NULL || sp[1] == '\0')
        FAIL(line, "a=ssrc needs an attribute");
    attr = g_strdup(sp + 1);
    src = find_source(m->content, (guint32)n);
    if (src == NULL) {
        if (m->content->sources->len >= JSDP_MAX_ITEMS)
            FAIL(line, "too many sources");
        src = jsdp_source_new((guint32)n);
        g_ptr_array_add(m->content->sources, src);
    }
    if (src->parameters->len >= JSDP_MAX_ITEMS)
        FAIL(line, "too many ssrc attributes");
    colon = strchr(attr, ':');
    if (colon != NULL)
        *colon = '\0';
    if (!jsdp_is_token(attr, NULL))
        FAIL(line, "bad ssrc attribute");
    /* RFC 5576 4.1 leaves blanks around the value meaningless to every
     * attribute it defines; the Jingle side trims them too (XML 1.0
     * 3.3.3 reads a newline in an attribute as a blank), so both hold
     * the trimmed value and a round trip keeps it */
    g_ptr_array_add(src->parameters,
                    jsdp_parameter_new(attr, colon ? g_strstrip(colon + 1) : NULL));
    return TRUE;
}

static gboolean
parse_ssrc_group(const Line *line, const char *value, MediaState *m, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);
    g_autoptr(JsdpSsrcGroup) g = NULL;
    guint64 n;

    if (f[0] == NULL || !jsdp_is_token(f[0], NULL))
        FAIL(line, "a=ssrc-group needs semantics");
    g = jsdp_ssrc_group_new(f[0]);
    for (guint i = 1; f[i] != NULL; i++) {
        if (*f[i] == '\0')
            continue;
        if (!jsdp_parse_uint(f[i], 0, G_MAXUINT32, &n))
            FAIL(line, "bad ssrc (32-bit unsigned)");
        if (g->ssrcs->len >= JSDP_MAX_ITEMS)
            FAIL(line, "too many ssrcs");
        guint32 v = (guint32)n;
        g_array_append_val(g->ssrcs, v);
    }
    if (m->content->ssrc_groups->len >= JSDP_MAX_ITEMS)
        FAIL(line, "too many ssrc groups");
    g_ptr_array_add(m->content->ssrc_groups, g_steal_pointer(&g));
    return TRUE;
}

static gboolean
parse_rtcp_attr(const Line *line, const char *value, MediaState *m, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);
    guint64 n;

    if (!jsdp_parse_uint(f[0], 0, 65535, &n))
        FAIL(line, "bad a=rtcp port");
    m->rtcp_port = (gint64)n;
    if (f[1] != NULL) {
        if (f_sp.n != 4 || strcmp(f[1], "IN") != 0 || !jsdp_is_token(f[3], "/"))
            FAIL(line, "bad a=rtcp address");
        g_free(m->rtcp_addr);
        m->rtcp_addr = g_strdup(f[3]);
    }
    return TRUE;
}

static gboolean
parse_ptime(const Line *line, const char *value, guint *out, GError **error)
{
    guint64 n;

    if (!jsdp_parse_uint(value, 1, 65535, &n))
        FAIL(line, "bad packet time (1-65535 ms)");
    *out = (guint)n;
    return TRUE;
}

gboolean
jsdp_sdpp_parse_bandwidth(const Line *line, const char *value, JsdpContent *c, GError **error)
{
    const char *colon = strchr(value, ':');
    g_autofree char *type = NULL;
    guint64 n;
    JsdpBandwidth *b;

    if (colon == NULL || colon == value)
        FAIL(line, "b= needs '<type>:<value>'");
    type = g_strndup(value, colon - value);
    if (!jsdp_is_token(type, NULL) || !jsdp_parse_uint(colon + 1, 0, G_MAXUINT32, &n))
        FAIL(line, "bad bandwidth");
    if (c->bandwidths->len >= JSDP_MAX_ITEMS)
        FAIL(line, "too many b= lines");
    b = g_new0(JsdpBandwidth, 1);
    b->type = g_steal_pointer(&type);
    b->value = n;
    g_ptr_array_add(c->bandwidths, b);
    return TRUE;
}

/* Attributes legal at both levels: ICE credentials, DTLS, direction. */
static gboolean
parse_common_attr(Parser *p, const Line *line, const char *name, const char *value,
                  char **ufrag, char **pwd, GPtrArray **fps, JsdpSetup *setup,
                  const char **direction, gboolean *handled, GError **error)
{
    *handled = TRUE;
    if (strcmp(name, "ice-ufrag") == 0 || strcmp(name, "ice-pwd") == 0) {
        char **dst = name[4] == 'u' ? ufrag : pwd;
        if (value == NULL || !jsdp_is_token(value, NULL) || strlen(value) > 256)
            FAIL(line, "bad ICE credential");
        g_free(*dst);
        *dst = g_strdup(value);
    } else if (strcmp(name, "fingerprint") == 0) {
        JsdpFingerprint *f = NULL;
        if (value == NULL)
            FAIL(line, "a=fingerprint needs a value");
        if (!parse_fingerprint(line, value, &f, error))
            return FALSE;
        if (*fps != NULL && (*fps)->len >= JSDP_MAX_ITEMS) {
            jsdp_fingerprint_free(f);
            FAIL(line, "too many fingerprints");
        }
        fingerprint_array_add(fps, f);
    } else if (strcmp(name, "setup") == 0) {
        if (!jsdp_setup_from_string(value, setup))
            FAIL(line, "bad a=setup value");
    } else if (value == NULL && direction_of(name) != NULL) {
        *direction = direction_of(name);
    } else if (strcmp(name, "ice-options") == 0) {
        g_auto(Split) opts_sp = {0};
    char **opts = (jsdp_sdpp_split(&opts_sp, value ? value : "", ' ', 0), opts_sp.f);
        for (guint i = 0; opts[i] != NULL; i++) {
            if (*opts[i] != '\0' && strcmp(opts[i], "trickle") != 0)
                jsdp_warn(p->session->warnings, "a=ice-options '%.32s' not carried by Jingle", opts[i]);
        }
    } else if (strcmp(name, "ice-lite") == 0) {
        jsdp_warn(p->session->warnings, "a=ice-lite not carried by Jingle (peers act as full agents)");
    } else {
        *handled = FALSE;
    }
    return TRUE;
}

/* RFC 8841 a=sctp-port:<port>, the older a=sctpmap:<port> <protocol>
 * [<streams>] (draft-ietf-mmusic-sctp-sdp-05, Safari, XEP-0343's model). */
static gboolean
parse_sctp_attr(Parser *p, const Line *line, const char *name, const char *value, MediaState *m,
                gboolean *handled, GError **error)
{
    guint64 n;

    *handled = TRUE;
    if (strcmp(name, "sctp-port") == 0) {
        if (value == NULL || !jsdp_parse_uint(value, 1, 65535, &n))
            FAIL(line, "bad a=sctp-port (1-65535)");
        m->sctp_port = (guint)n;
    } else if (strcmp(name, "sctpmap") == 0) {
        g_auto(Split) f_sp = {0};
        char **f = (jsdp_sdpp_split(&f_sp, value ? value : "", ' ', 0), f_sp.f);
        if (f_sp.n < 2 || f_sp.n > 3 || !jsdp_parse_uint(f[0], 1, 65535, &n) ||
            !jsdp_is_token(f[1], NULL) || strlen(f[1]) > 64)
            FAIL(line, "a=sctpmap needs '<port> <protocol> [<streams>]'");
        m->sctp_port = (guint)n;
        g_free(m->sctp_protocol);
        m->sctp_protocol = g_strdup(f[1]);
        /* the SDP we print is RFC 8841's, which has no streams: keeping
         * them would make this SDP differ from ours */
        if (f[2] != NULL) {
            if (!jsdp_parse_uint(f[2], 1, 65535, &n))
                FAIL(line, "bad a=sctpmap streams (1-65535)");
            jsdp_warn(p->session->warnings, "a=sctpmap streams dropped (RFC 8841 has none)");
        }
    } else if (strcmp(name, "max-message-size") == 0) {
        jsdp_warn(p->session->warnings, "a=max-message-size not carried by Jingle");
    } else {
        *handled = FALSE;
    }
    return TRUE;
}

gboolean
jsdp_sdpp_parse_media_attr(Parser *p, const Line *line, const char *name, const char *value,
                 MediaState *m, GError **error)
{
    JsdpContent *c = m->content;
    gboolean handled;

    /* The bulk of a WebRTC offer first (a shortcut, not a different
     * meaning: none of these is a common attribute). */
    if (value != NULL && !m->dropped && !m->sctp && !p->session->fragment) {
        if (strcmp(name, "rtpmap") == 0)
            return parse_rtpmap(p, line, value, m, error);
        if (strcmp(name, "rtcp-fb") == 0)
            return parse_rtcp_fb(p, line, value, m, error);
        if (strcmp(name, "fmtp") == 0)
            return parse_fmtp(p, line, value, m, error);
        if (strcmp(name, "ssrc") == 0)
            return parse_ssrc(line, value, m, error);
    }
    if (!parse_common_attr(p, line, name, value, &m->ufrag, &m->pwd, &m->fingerprints, &m->setup,
                           &m->direction, &handled, error))
        return FALSE;
    if (handled)
        return TRUE;
    if (strcmp(name, "mid") == 0) {
        if (value == NULL || !jsdp_is_token(value, NULL) || strlen(value) > 256)
            FAIL(line, "bad a=mid");
        if (m->mid != NULL)
            FAIL(line, "duplicate a=mid");
        m->mid = g_strdup(value);
        return TRUE;
    }
    if (m->dropped)
        return TRUE;
    if (strcmp(name, "candidate") == 0) {
        JsdpCandidate *cand = NULL;
        const char *problem = NULL;
        if (value == NULL || !candidate_parse(value, &cand, p->session->warnings, &problem))
            FAIL(line, "%s", problem ? problem : "a=candidate needs a value");
        if (m->candidates->len >= JSDP_MAX_CANDIDATES) {
            jsdp_candidate_free(cand);
            FAIL(line, "too many candidates");
        }
        g_ptr_array_add(m->candidates, cand);
        return TRUE;
    }
    if (strcmp(name, "end-of-candidates") == 0) {
        m->end_of_candidates = TRUE;
        return TRUE;
    }
    if (p->session->fragment) {
        jsdp_warn(p->session->warnings, "a=%.32s in an SDP fragment ignored", name);
        return TRUE;
    }
    if (m->sctp) {
        if (!parse_sctp_attr(p, line, name, value, m, &handled, error))
            return FALSE;
        if (!handled)
            jsdp_warn(p->session->warnings, "a=%.32s of a data channel not carried by Jingle",
                      name);
        return TRUE;
    }
    if (value == NULL && strcmp(name, "rtcp-mux") == 0) {
        c->rtcp_mux = TRUE;
    } else if (value == NULL && strcmp(name, "rtcp-rsize") == 0) {
        c->rtcp_rsize = TRUE;
    } else if (value == NULL && strcmp(name, "extmap-allow-mixed") == 0) {
        c->extmap_allow_mixed = TRUE;
    } else if (value == NULL) {
        jsdp_warn(p->session->warnings, "a=%.32s not carried by Jingle", name);
    } else if (strcmp(name, "rtpmap") == 0) {
        return parse_rtpmap(p, line, value, m, error);
    } else if (strcmp(name, "fmtp") == 0) {
        return parse_fmtp(p, line, value, m, error);
    } else if (strcmp(name, "rtcp-fb") == 0) {
        return parse_rtcp_fb(p, line, value, m, error);
    } else if (strcmp(name, "ptime") == 0) {
        return parse_ptime(line, value, &m->ptime, error);
    } else if (strcmp(name, "maxptime") == 0) {
        return parse_ptime(line, value, &m->maxptime, error);
    } else if (strcmp(name, "extmap") == 0) {
        return parse_extmap(p, line, value, m, error);
    } else if (strcmp(name, "crypto") == 0) {
        return parse_crypto(line, value, m, error);
    } else if (strcmp(name, "ssrc") == 0) {
        return parse_ssrc(line, value, m, error);
    } else if (strcmp(name, "ssrc-group") == 0) {
        return parse_ssrc_group(line, value, m, error);
    } else if (strcmp(name, "rtcp") == 0) {
        return parse_rtcp_attr(line, value, m, error);
    } else if (strcmp(name, "msid") == 0) {
        g_auto(Split) f_sp = {0};
    char **f = (jsdp_sdpp_split(&f_sp, value, ' ', 0), f_sp.f);
        if (f[0] == NULL || !jsdp_is_token(f[0], NULL) ||
            (f[1] != NULL && (!jsdp_is_token(f[1], NULL) || f[2] != NULL)))
            FAIL(line, "bad a=msid");
        g_free(c->msid_stream);
        g_free(c->msid_track);
        c->msid_stream = g_strdup(f[0]);
        c->msid_track = g_strdup(f[1]);
    } else {
        jsdp_warn(p->session->warnings, "a=%.32s not carried by Jingle", name);
    }
    return TRUE;
}

gboolean
jsdp_sdpp_parse_session_attr(Parser *p, const Line *line, const char *name, const char *value,
                   GError **error)
{
    SessionState *s = &p->sess;
    gboolean handled;

    if (!parse_common_attr(p, line, name, value, &s->ufrag, &s->pwd, &s->fingerprints, &s->setup,
                           &s->direction, &handled, error))
        return FALSE;
    if (handled)
        return TRUE;
    if (strcmp(name, "group") == 0 && value != NULL)
        return parse_group(line, value, s->groups, error);
    if (value == NULL && strcmp(name, "extmap-allow-mixed") == 0) {
        s->extmap_allow_mixed = TRUE;
        return TRUE;
    }
    jsdp_warn(p->session->warnings, "session-level a=%.32s not carried by Jingle", name);
    return TRUE;
}
