/* jsdp_sdp_parse.c: SDP text (RFC 8866, with RFC 8839 ICE, RFC 5763 DTLS,
 * RFC 4568 SDES, RFC 5888 groups, RFC 5576 ssrc) -> JsdpSession.
 *
 * A strict small parser of our own rather than Sofia's (notes/libraries.md
 * §2.5): Sofia keeps WebRTC attributes only as generic attributes, so the
 * work would be the same, with an su_home to carry around.
 *
 * Two passes over lines: the session part fills a SessionState, each m=
 * section a MediaState; finish_media() turns a MediaState into a
 * JsdpContent.  Everything we cannot carry becomes a warning.
 */
#include "jsdp_private.h"

typedef struct {
    guint number;
    const char *text; /* without line end, NUL-terminated (in a copy) */
} Line;

typedef struct {
    char *addr; /* c= address; NULL if none */
    gboolean ip6;
} Connection;

typedef struct {
    Connection conn;
    char *ufrag, *pwd;
    GPtrArray *fingerprints; /* JsdpFingerprint* */
    JsdpSetup setup;
    const char *direction; /* static string or NULL */
    gboolean extmap_allow_mixed;
    GPtrArray *groups; /* JsdpGroup* */
} SessionState;

typedef struct {
    const Line *mline;
    char *media;
    guint port;
    char *proto;
    JsdpContent *content; /* being filled */
    Connection conn;
    char *mid;
    char *ufrag, *pwd;
    GPtrArray *fingerprints;
    JsdpSetup setup;
    const char *direction;
    gint64 rtcp_port; /* -1 if no a=rtcp */
    char *rtcp_addr;
    guint ptime, maxptime;
    gboolean has_rtpmap[128];
    gboolean has_fmtp[128];
    GPtrArray *candidates;
    gboolean end_of_candidates;
    gboolean dropped; /* non-RTP section: warn and skip */
    GPtrArray *pending_fb; /* rtcp-fb for '*' or a pt: resolved at the end */
} MediaState;

typedef struct {
    const JsdpSdpParseParams *params;
    JsdpSession *session;
    SessionState sess;
    GPtrArray *dropped_mids;
} Parser;

#define FAIL(line, ...)                                                        \
    G_STMT_START                                                               \
    {                                                                          \
        g_autofree char *what_ = g_strdup_printf(__VA_ARGS__);                 \
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,                   \
                    "sdp line %u: %s: '%.64s'", (line)->number, what_,         \
                    (line)->text);                                             \
        return FALSE;                                                          \
    }                                                                          \
    G_STMT_END

static void
fingerprint_array_add(GPtrArray **arr, JsdpFingerprint *f)
{
    if (*arr == NULL)
        *arr = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_fingerprint_free);
    g_ptr_array_add(*arr, f);
}

static void
media_state_clear(MediaState *m)
{
    g_free(m->media);
    g_free(m->proto);
    jsdp_content_free(m->content);
    g_free(m->conn.addr);
    g_free(m->mid);
    g_free(m->ufrag);
    g_free(m->pwd);
    if (m->fingerprints)
        g_ptr_array_unref(m->fingerprints);
    g_free(m->rtcp_addr);
    if (m->candidates)
        g_ptr_array_unref(m->candidates);
    if (m->pending_fb)
        g_ptr_array_unref(m->pending_fb);
    memset(m, 0, sizeof(*m));
}

/* ---- field splitting without allocation ------------------------------ */

#define SPLIT_MAX 72

/* A private copy of a value cut into fields: on runs of `sep` when sep is
 * ' ' (SDP fields; double spaces seen in the wild), exactly otherwise
 * ('/' in rtpmap, ';' in fmtp).  With max > 0 the last field is the rest
 * of the text.  f[] is NULL-terminated; n > SPLIT_MAX - 1 means "too many". */
typedef struct {
    char *f[SPLIT_MAX + 1];
    guint n;
    char stack[512];
    char *heap;
} Split;

static void
split_clear(Split *sp)
{
    g_free(sp->heap);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Split, split_clear)

static void
split(Split *sp, const char *s, char sep, guint max)
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

static gboolean
parse_connection(const Line *line, const char *value, Connection *conn, GPtrArray *warnings,
                 GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);

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
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);
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
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);
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

static gboolean
parse_mline(Parser *p, const Line *line, const char *value, MediaState *m, GError **error)
{
    g_auto(Split) f_sp = {0};
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);
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
        m->dropped = TRUE;
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
    split(&f_sp, rest, '/', 0);
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
    char **items = (split(&items_sp, rest, ';', 0), items_sp.f);

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
    char **f = (split(&f_sp, value, ' ', 3), f_sp.f);
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
    char **f = (split(&f_sp, value, ' ', 4), f_sp.f);
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
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);
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
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);
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

static gboolean
parse_bandwidth(const Line *line, const char *value, JsdpContent *c, GError **error)
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
    char **opts = (split(&opts_sp, value ? value : "", ' ', 0), opts_sp.f);
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

static gboolean
parse_media_attr(Parser *p, const Line *line, const char *name, const char *value,
                 MediaState *m, GError **error)
{
    JsdpContent *c = m->content;
    gboolean handled;

    /* The bulk of a WebRTC offer first (a shortcut, not a different
     * meaning: none of these is a common attribute). */
    if (value != NULL && !m->dropped && !p->session->fragment) {
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
    char **f = (split(&f_sp, value, ' ', 0), f_sp.f);
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

static gboolean
parse_session_attr(Parser *p, const Line *line, const char *name, const char *value,
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

/* ---- building a content ---------------------------------------------- */

static void
add_classic_candidate(JsdpTransport *t, guint component, const char *ip, guint port,
                      JsdpClassicMode mode)
{
    JsdpCandidate *c = jsdp_candidate_new();

    c->component = component;
    c->ip = g_strdup(ip);
    c->port = (guint16)port;
    c->protocol = g_strdup("udp");
    c->type = JSDP_CANDIDATE_HOST;
    if (mode == JSDP_CLASSIC_ICE_HOST) {
        c->foundation = g_strdup("1");
        c->priority = jsdp_host_priority(component);
    }
    g_ptr_array_add(t->candidates, c);
}

static gboolean
build_transport(Parser *p, MediaState *m, GError **error)
{
    JsdpContent *c = m->content;
    SessionState *s = &p->sess;
    const char *ufrag = m->ufrag ? m->ufrag : s->ufrag;
    const char *pwd = m->pwd ? m->pwd : s->pwd;
    GPtrArray *fps = m->fingerprints ? m->fingerprints : s->fingerprints;
    JsdpSetup setup = m->setup ? m->setup : s->setup;
    const Connection *conn = m->conn.addr ? &m->conn : &s->conn;
    gboolean ice = ufrag != NULL || pwd != NULL || m->candidates->len > 0;
    g_autoptr(JsdpTransport) t = NULL;

    if (ice) {
        if (ufrag == NULL || pwd == NULL) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp line %u: m= section '%s' has ICE but no %s: '%.64s'",
                        m->mline->number, c->name, ufrag == NULL ? "a=ice-ufrag" : "a=ice-pwd",
                        m->mline->text);
            return FALSE;
        }
        t = jsdp_transport_new(JSDP_TRANSPORT_ICE_UDP);
        t->ufrag = g_strdup(ufrag);
        t->pwd = g_strdup(pwd);
        g_ptr_array_extend_and_steal(t->candidates, g_steal_pointer(&m->candidates));
        m->candidates = NULL;
        t->end_of_candidates = m->end_of_candidates;
    } else if (!p->session->fragment ||
               (conn->addr != NULL && strcmp(conn->addr, "0.0.0.0") != 0)) {
        /* In a fragment only a real c= address means a classic transport
         * (jsdp_session_to_sdp prints Raw-UDP fragments that way). */
        if (conn->addr == NULL) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp line %u: m= section '%s' has no c= line: '%.64s'",
                        m->mline->number, c->name, m->mline->text);
            return FALSE;
        }
        t = jsdp_transport_new(p->params->classic == JSDP_CLASSIC_ICE_HOST
                                   ? JSDP_TRANSPORT_ICE_UDP : JSDP_TRANSPORT_RAW_UDP);
        /* RFC 8839 §4.2.1.1 style "no address yet" (port 9, 0.0.0.0):
         * a transport without candidates. */
        gboolean none = (m->port == 9 && strcmp(conn->addr, "0.0.0.0") == 0) || m->port == 0;
        if (!none && strcmp(conn->addr, "0.0.0.0") == 0)
            jsdp_warn(p->session->warnings,
                      "c=IN IP4 0.0.0.0 (RFC 2543 hold) kept as the candidate address");
        if (!none)
            add_classic_candidate(t, 1, conn->addr, m->port, p->params->classic);
        /* RFC 3605 a=rtcp; with rtcp-mux on the same port it adds nothing. */
        if (m->rtcp_port == 0)
            jsdp_warn(p->session->warnings, "a=rtcp with port 0 ignored");
        else if (m->rtcp_port > 0 && !(c->rtcp_mux && (guint)m->rtcp_port == m->port))
            add_classic_candidate(t, 2, m->rtcp_addr ? m->rtcp_addr : conn->addr,
                                  (guint)m->rtcp_port, p->params->classic);
    }
    if (fps != NULL && fps->len > 0) {
        /* DTLS without ICE or an address: the transport the caller
         * chose for SDP without ICE. */
        if (t == NULL)
            t = jsdp_transport_new(p->params->classic == JSDP_CLASSIC_ICE_HOST
                                       ? JSDP_TRANSPORT_ICE_UDP : JSDP_TRANSPORT_RAW_UDP);
        for (guint i = 0; i < fps->len; i++) {
            const JsdpFingerprint *f = g_ptr_array_index(fps, i);
            JsdpFingerprint *n = g_new0(JsdpFingerprint, 1);
            n->hash = g_strdup(f->hash);
            n->value = g_strdup(f->value);
            g_ptr_array_add(t->fingerprints, n);
        }
        t->setup = setup;
    } else if (setup != JSDP_SETUP_UNSET) {
        jsdp_warn(p->session->warnings, "a=setup without a=fingerprint not carried by Jingle");
    }
    c->transport = g_steal_pointer(&t);
    return TRUE;
}

static gboolean
finish_media(Parser *p, MediaState *m, GError **error)
{
    JsdpContent *c = m->content;
    const char *dir;

    if (m->mline == NULL)
        return TRUE;
    if (m->dropped) {
        jsdp_warn(p->session->warnings, "m=%.16s %.32s section not carried by Jingle (dropped)",
                  m->media, m->proto);
        if (m->mid != NULL)
            g_ptr_array_add(p->dropped_mids, g_strdup(m->mid));
        media_state_clear(m);
        return TRUE;
    }
    if (p->session->contents->len >= JSDP_MAX_CONTENTS) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "sdp line %u: too many m= sections", m->mline->number);
        return FALSE;
    }
    /* Content name: the mid, else the media (unique-ified). */
    if (m->mid != NULL) {
        if (jsdp_session_get_content(p->session, m->mid) != NULL) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp line %u: duplicate mid '%.32s'", m->mline->number, m->mid);
            return FALSE;
        }
        c->name = g_strdup(m->mid);
    } else {
        c->name = g_strdup(m->media);
        for (guint k = 1; jsdp_session_get_content(p->session, c->name) != NULL; k++) {
            g_free(c->name);
            c->name = g_strdup_printf("%s-%u", m->media, k);
        }
    }
    c->rejected = m->port == 0 && !p->session->fragment;
    dir = m->direction ? m->direction : p->sess.direction;
    c->senders = dir ? jsdp_senders_from_direction(dir, p->params->author) : JSDP_SENDERS_BOTH;
    if (!p->session->fragment) {
        c->extmap_allow_mixed |= p->sess.extmap_allow_mixed;
        for (guint i = 0; i < c->payload_types->len; i++) {
            JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
            if (!m->has_rtpmap[pt->id] && pt->id >= 96) {
                g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                            "sdp line %u: dynamic payload type %u has no a=rtpmap: '%.64s'",
                            m->mline->number, pt->id, m->mline->text);
                return FALSE;
            }
            pt->ptime = m->ptime;
            pt->maxptime = m->maxptime;
            jsdp_payload_type_normalise(pt);
        }
        /* RFC 4568 §3.1.1: a=crypto under RTP/SAVP* is required; under
         * RTP/AVP it is best effort (Polycom); under UDP/TLS/... DTLS
         * does the keying and SDES is the optional extra. */
        c->crypto_required = strstr(m->proto, "SAVP") != NULL && strstr(m->proto, "TLS") == NULL &&
                             c->cryptos->len > 0;
    } else {
        g_clear_pointer(&c->media, g_free);
    }
    if (!c->rejected && !build_transport(p, m, error))
        return FALSE;
    if (!p->session->fragment && strcmp(jsdp_content_derive_proto(c), m->proto) != 0)
        jsdp_warn(p->session->warnings,
                  "m= profile '%.32s' of '%.32s' not carried by Jingle (printed as '%s')",
                  m->proto, c->name, jsdp_content_derive_proto(c));
    g_ptr_array_add(p->session->contents, g_steal_pointer(&m->content));
    media_state_clear(m);
    return TRUE;
}

static gboolean
finish_groups(Parser *p, GError **error)
{
    while (p->sess.groups->len > 0) {
        g_autoptr(JsdpGroup) g = g_ptr_array_steal_index(p->sess.groups, 0);
        for (guint j = 0; j < g->names->len;) {
            const char *name = g_ptr_array_index(g->names, j);
            if (jsdp_session_get_content(p->session, name) != NULL) {
                j++;
                continue;
            }
            if (!g_ptr_array_find_with_equal_func(p->dropped_mids, name, g_str_equal, NULL)) {
                g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                            "sdp: a=group:%.16s names unknown mid '%.32s'", g->semantics, name);
                return FALSE;
            }
            jsdp_warn(p->session->warnings, "mid '%.32s' removed from a=group:%.16s (section dropped)",
                      name, g->semantics);
            g_ptr_array_remove_index(g->names, j);
        }
        if (g->names->len > 0)
            g_ptr_array_add(p->session->groups, g_steal_pointer(&g));
    }
    return TRUE;
}

/* ---- lines ------------------------------------------------------------ */

/* Copies the input into buf and cuts it into lines (LF or CRLF; a last
 * line without end is fine).  Rejects NUL, stray CR, control characters
 * (they could not go into XML) and invalid UTF-8. */
static gboolean
split_lines(const char *sdp, gsize len, char **buf_out, GArray **lines_out, GError **error)
{
    g_autofree char *buf = NULL;
    g_autoptr(GArray) lines = NULL;
    char *p, *end;
    guint number = 0;

    if (len > JSDP_MAX_INPUT) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "sdp: input of %" G_GSIZE_FORMAT " bytes exceeds %u", len, JSDP_MAX_INPUT);
        return FALSE;
    }
    {
        gsize bad = jsdp_text_check(sdp, len);
        if (bad != len) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp: not UTF-8 text, or a control character at byte %" G_GSIZE_FORMAT, bad);
            return FALSE;
        }
    }
    lines = g_array_sized_new(FALSE, FALSE, sizeof(Line), (guint)MIN(len / 24 + 16, JSDP_MAX_LINES));
    buf = g_malloc(len + 1);
    memcpy(buf, sdp, len);
    buf[len] = '\0';
    p = buf;
    end = buf + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (gsize)(end - p));
        char *stop = nl ? nl : end;
        Line l;

        if (stop > p && stop[-1] == '\r')
            stop--;
        *stop = '\0';
        number++;
        if (number > JSDP_MAX_LINES) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp: more than %u lines", JSDP_MAX_LINES);
            return FALSE;
        }
        if (memchr(p, '\r', (gsize)(stop - p)) != NULL) {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp line %u: CR inside a line: '%.64s'", number, p);
            return FALSE;
        }
        /* Trailing blanks are not part of any value. */
        while (stop > p && (stop[-1] == ' ' || stop[-1] == '\t'))
            *--stop = '\0';
        l.number = number;
        l.text = p;
        g_array_append_val(lines, l);
        p = nl ? nl + 1 : end;
    }
    *buf_out = g_steal_pointer(&buf);
    *lines_out = g_steal_pointer(&lines);
    return TRUE;
}

static gboolean
start_media(Parser *p, const Line *line, MediaState *m, GError **error)
{
    if (!finish_media(p, m, error))
        return FALSE;
    return parse_mline(p, line, line->text + 2, m, error);
}

static gboolean
parse_attr_line(Parser *p, const Line *line, MediaState *m, GError **error)
{
    const char *text = line->text + 2;
    const char *colon = strchr(text, ':');
    gsize len = colon ? (gsize)(colon - text) : strlen(text);
    const char *value = colon ? colon + 1 : NULL;
    char name[64];

    if (len == 0 || len >= sizeof(name))
        FAIL(line, "bad attribute name");
    memcpy(name, text, len);
    name[len] = '\0';

    if (!jsdp_is_token(name, NULL))
        FAIL(line, "bad attribute name");
    if (m->mline == NULL)
        return parse_session_attr(p, line, name, value, error);
    return parse_media_attr(p, line, name, value, m, error);
}

static gboolean
parse_line(Parser *p, const Line *line, MediaState *m, gboolean *seen, GError **error)
{
    char type = line->text[0];

    if (type == 'v' && (seen['v'] || p->session->fragment))
        FAIL(line, "v= must come first, once");
    seen[(guchar)type] = TRUE;
    if (type == 'm')
        return start_media(p, line, m, error);
    if (type == 'a')
        return parse_attr_line(p, line, m, error);
    if (m->mline != NULL) {
        switch (type) {
        case 'c':
            return m->dropped || parse_connection(line, line->text + 2, &m->conn,
                                                  p->session->warnings, error);
        case 'b':
            return m->dropped || parse_bandwidth(line, line->text + 2, m->content, error);
        case 'i':
        case 'k':
            jsdp_warn(p->session->warnings, "media-level %c= not carried by Jingle", type);
            return TRUE;
        default:
            FAIL(line, "'%c=' not allowed in a media section", type);
        }
    }
    switch (type) {
    case 'v':
        if (strcmp(line->text, "v=0") != 0)
            FAIL(line, "unsupported SDP version");
        return TRUE;
    case 'o': {
        g_auto(Split) f_sp = {0};
        split(&f_sp, line->text + 2, ' ', 0);
        if (f_sp.n != 6)
            FAIL(line, "o= needs 6 fields");
        return TRUE;
    }
    case 's':
    case 't':
        return TRUE; /* envelope: regenerated from print params */
    case 'c':
        return parse_connection(line, line->text + 2, &p->sess.conn, p->session->warnings, error);
    case 'b':
        jsdp_warn(p->session->warnings, "session-level b= not carried by Jingle");
        return TRUE;
    case 'i':
    case 'u':
    case 'e':
    case 'p':
    case 'z':
    case 'k':
    case 'r':
        jsdp_warn(p->session->warnings, "%c= line not carried by Jingle", type);
        return TRUE;
    default:
        FAIL(line, "unknown line type '%c='", type);
    }
}

static void
session_state_clear(SessionState *s)
{
    g_free(s->conn.addr);
    g_free(s->ufrag);
    g_free(s->pwd);
    if (s->fingerprints)
        g_ptr_array_unref(s->fingerprints);
    if (s->groups)
        g_ptr_array_unref(s->groups);
}

JsdpSession *
jsdp_session_from_sdp(const char *sdp, gssize len, const JsdpSdpParseParams *params,
                      GError **error)
{
    static const JsdpSdpParseParams defaults = {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_RAW_UDP};
    g_autofree char *buf = NULL;
    g_autoptr(GArray) lines = NULL;
    g_autoptr(JsdpSession) session = jsdp_session_new();
    g_autoptr(GPtrArray) dropped = g_ptr_array_new_with_free_func(g_free);
    Parser p;
    MediaState m = {0};
    gboolean seen[256] = {0};
    gboolean ok = TRUE;
    guint i;

    g_return_val_if_fail(sdp != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    memset(&p, 0, sizeof(p));
    p.params = params ? params : &defaults;
    p.session = session;
    p.dropped_mids = dropped;
    if (!split_lines(sdp, len < 0 ? strlen(sdp) : (gsize)len, &buf, &lines, error))
        return NULL;
    p.sess.groups = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_group_free);
    /* RFC 8840: a trickle-ice-sdpfrag body has no v= line. */
    for (i = 0; i < lines->len && g_array_index(lines, Line, i).text[0] == '\0'; i++)
        ;
    if (i == lines->len) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "sdp: empty input");
        session_state_clear(&p.sess);
        return NULL;
    }
    session->fragment = i == lines->len || !g_str_has_prefix(g_array_index(lines, Line, i).text, "v=");
    for (; ok && i < lines->len; i++) {
        const Line *line = &g_array_index(lines, Line, i);
        if (line->text[0] == '\0' || line->text[0] == ' ' || line->text[0] == '\t') {
            const char *q = line->text;
            while (*q == ' ' || *q == '\t')
                q++;
            if (*q == '\0')
                continue; /* blank lines, e.g. a final CRLF CRLF */
            ((Line *)line)->text = q; /* leading blanks, as before */
        }
        if (!g_ascii_islower(line->text[0]) || line->text[1] != '=') {
            g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                        "sdp line %u: expected '<type>=<value>': '%.64s'", line->number, line->text);
            ok = FALSE;
            break;
        }
        ok = parse_line(&p, line, &m, seen, error);
    }
    ok = ok && finish_media(&p, &m, error);
    if (ok && !session->fragment && (!seen['o'] || !seen['s'])) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "sdp: missing %s line",
                    !seen['o'] ? "o=" : "s=");
        ok = FALSE;
    }
    ok = ok && finish_groups(&p, error);
    media_state_clear(&m);
    session_state_clear(&p.sess);
    if (!ok)
        return NULL;
    if (session->contents->len == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "sdp: no m= section to translate");
        return NULL;
    }
    return g_steal_pointer(&session);
}
