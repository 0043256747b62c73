/* jsdp_model.c: the neutral model shared by both sides: constructors,
 * destructors, and the small tables both parsers and printers need
 * (RFC 3551 static payload types, enum names).  Deep copy and semantic
 * equality are in jsdp_model_compare.c. */
#include "jsdp_private.h"

void
jsdp_xml_free(xmlChar *p)
{
    xmlFree(p);
}

/* ---- constructors and destructors ----------------------------------- */

/* One allocation per item: name and value live right after the struct
 * (a Chrome offer has hundreds of these; see jsdp.h). */
static gpointer
pair_new(gsize size, const char *a, const char *b, char **pa, char **pb)
{
    gsize la = a ? strlen(a) + 1 : 0, lb = b ? strlen(b) + 1 : 0;
    char *mem = g_malloc(size + la + lb);
    char *q = mem + size;

    *pa = *pb = NULL;
    if (a != NULL) {
        memcpy(q, a, la);
        *pa = q;
        q += la;
    }
    if (b != NULL) {
        memcpy(q, b, lb);
        *pb = q;
    }
    return mem;
}

JsdpParameter *
jsdp_parameter_new(const char *name, const char *value)
{
    char *n, *v;
    JsdpParameter *p = pair_new(sizeof(JsdpParameter), name != NULL ? name : "", value, &n, &v);

    p->name = n;
    p->value = v;
    return p;
}

void
jsdp_parameter_free(JsdpParameter *p)
{
    g_free(p);
}

JsdpRtcpFb *
jsdp_rtcp_fb_new(const char *type, const char *subtype)
{
    char *t, *st;
    JsdpRtcpFb *fb = pair_new(sizeof(JsdpRtcpFb), type, subtype, &t, &st);

    fb->type = t;
    fb->subtype = st;
    return fb;
}

void
jsdp_rtcp_fb_free(JsdpRtcpFb *fb)
{
    g_free(fb);
}

JsdpPayloadType *
jsdp_payload_type_new(guint8 id)
{
    JsdpPayloadType *pt = g_new0(JsdpPayloadType, 1);

    pt->id = id;
    pt->channels = 1;
    pt->trr_int = -1;
    pt->parameters = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_parameter_free);
    pt->rtcp_fb = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_rtcp_fb_free);
    return pt;
}

void
jsdp_payload_type_free(JsdpPayloadType *pt)
{
    if (pt == NULL)
        return;
    g_free(pt->name);
    g_ptr_array_unref(pt->parameters);
    g_ptr_array_unref(pt->rtcp_fb);
    g_free(pt);
}

void
jsdp_hdrext_free(JsdpHdrext *h)
{
    if (h == NULL)
        return;
    g_free(h->uri);
    g_free(h);
}

void
jsdp_bandwidth_free(JsdpBandwidth *b)
{
    if (b == NULL)
        return;
    g_free(b->type);
    g_free(b);
}

void
jsdp_crypto_free(JsdpCrypto *c)
{
    if (c == NULL)
        return;
    g_free(c->suite);
    g_free(c->key_params);
    g_free(c->session_params);
    g_free(c);
}

JsdpSource *
jsdp_source_new(guint32 ssrc)
{
    JsdpSource *s = g_new0(JsdpSource, 1);

    s->ssrc = ssrc;
    s->parameters = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_parameter_free);
    return s;
}

void
jsdp_source_free(JsdpSource *s)
{
    if (s == NULL)
        return;
    g_ptr_array_unref(s->parameters);
    g_free(s);
}

JsdpSsrcGroup *
jsdp_ssrc_group_new(const char *semantics)
{
    JsdpSsrcGroup *g = g_new0(JsdpSsrcGroup, 1);

    g->semantics = g_strdup(semantics);
    g->ssrcs = g_array_new(FALSE, FALSE, sizeof(guint32));
    return g;
}

void
jsdp_ssrc_group_free(JsdpSsrcGroup *g)
{
    if (g == NULL)
        return;
    g_free(g->semantics);
    g_array_unref(g->ssrcs);
    g_free(g);
}

JsdpGroup *
jsdp_group_new(const char *semantics)
{
    JsdpGroup *g = g_new0(JsdpGroup, 1);

    g->semantics = g_strdup(semantics);
    g->names = g_ptr_array_new_with_free_func(g_free);
    return g;
}

void
jsdp_group_free(JsdpGroup *g)
{
    if (g == NULL)
        return;
    g_free(g->semantics);
    g_ptr_array_unref(g->names);
    g_free(g);
}

JsdpCandidate *
jsdp_candidate_new(void)
{
    JsdpCandidate *c = g_new0(JsdpCandidate, 1);

    c->component = 1;
    c->rel_port = -1;
    c->network = -1;
    return c;
}

void
jsdp_candidate_free(JsdpCandidate *c)
{
    if (c == NULL)
        return;
    g_free(c->foundation);
    g_free(c->protocol);
    g_free(c->ip);
    g_free(c->rel_addr);
    g_free(c->id);
    g_free(c);
}

void
jsdp_fingerprint_free(JsdpFingerprint *f)
{
    if (f == NULL)
        return;
    g_free(f->hash);
    g_free(f->value);
    g_free(f);
}

JsdpTransport *
jsdp_transport_new(JsdpTransportType type)
{
    JsdpTransport *t = g_new0(JsdpTransport, 1);

    t->type = type;
    t->candidates = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_candidate_free);
    t->fingerprints = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_fingerprint_free);
    return t;
}

void
jsdp_transport_free(JsdpTransport *t)
{
    if (t == NULL)
        return;
    g_free(t->ufrag);
    g_free(t->pwd);
    g_ptr_array_unref(t->candidates);
    g_ptr_array_unref(t->fingerprints);
    g_free(t);
}

JsdpContent *
jsdp_content_new(void)
{
    JsdpContent *c = g_new0(JsdpContent, 1);

    c->creator = JSDP_ROLE_INITIATOR;
    c->senders = JSDP_SENDERS_BOTH;
    c->trr_int = -1;
    c->payload_types = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_payload_type_free);
    c->bandwidths = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_bandwidth_free);
    c->rtcp_fb = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_rtcp_fb_free);
    c->hdrexts = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_hdrext_free);
    c->cryptos = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_crypto_free);
    c->sources = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_source_free);
    c->ssrc_groups = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_ssrc_group_free);
    return c;
}

void
jsdp_content_free(JsdpContent *c)
{
    if (c == NULL)
        return;
    g_free(c->name);
    g_free(c->media);
    g_ptr_array_unref(c->payload_types);
    g_ptr_array_unref(c->bandwidths);
    g_ptr_array_unref(c->rtcp_fb);
    g_ptr_array_unref(c->hdrexts);
    g_ptr_array_unref(c->cryptos);
    g_ptr_array_unref(c->sources);
    g_ptr_array_unref(c->ssrc_groups);
    g_free(c->msid_stream);
    g_free(c->msid_track);
    g_free(c->sctp_protocol);
    jsdp_transport_free(c->transport);
    g_free(c);
}

JsdpSession *
jsdp_session_new(void)
{
    JsdpSession *s = g_new0(JsdpSession, 1);

    s->contents = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_content_free);
    s->groups = g_ptr_array_new_with_free_func((GDestroyNotify)jsdp_group_free);
    s->warnings = g_ptr_array_new_with_free_func(g_free);
    return s;
}

void
jsdp_session_free(JsdpSession *s)
{
    if (s == NULL)
        return;
    g_free(s->action);
    g_free(s->sid);
    g_free(s->initiator);
    g_free(s->responder);
    g_ptr_array_unref(s->contents);
    g_ptr_array_unref(s->groups);
    g_ptr_array_unref(s->warnings);
    g_free(s);
}

const GPtrArray *
jsdp_session_get_warnings(const JsdpSession *s)
{
    g_return_val_if_fail(s != NULL, NULL);
    return s->warnings;
}

JsdpContent *
jsdp_session_get_content(const JsdpSession *s, const char *name)
{
    g_return_val_if_fail(s != NULL, NULL);
    g_return_val_if_fail(name != NULL, NULL);
    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (g_strcmp0(c->name, name) == 0)
            return c;
    }
    return NULL;
}

/* ---- tables and small helpers --------------------------------------- */

/* RFC 3551 §6, tables 4 and 5. */
static const struct {
    guint id;
    const char *name;
    guint clockrate;
    guint channels;
} static_types[] = {
    {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},     {4, "G723", 8000, 1},
    {5, "DVI4", 8000, 1},   {6, "DVI4", 16000, 1},   {7, "LPC", 8000, 1},
    {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},    {10, "L16", 44100, 2},
    {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1},  {13, "CN", 8000, 1},
    {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},   {16, "DVI4", 11025, 1},
    {17, "DVI4", 22050, 1}, {18, "G729", 8000, 1},   {25, "CelB", 90000, 1},
    {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},    {31, "H261", 90000, 1},
    {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1},  {34, "H263", 90000, 1},
};

gboolean
jsdp_static_payload_type(guint id, const char **name, guint *clockrate, guint *channels)
{
    for (gsize i = 0; i < G_N_ELEMENTS(static_types); i++) {
        if (static_types[i].id == id) {
            *name = static_types[i].name;
            *clockrate = static_types[i].clockrate;
            *channels = static_types[i].channels;
            return TRUE;
        }
    }
    return FALSE;
}

void
jsdp_payload_type_normalise(JsdpPayloadType *pt)
{
    const char *name;
    guint clockrate, channels;

    if (pt->id >= 96 || !jsdp_static_payload_type(pt->id, &name, &clockrate, &channels))
        return;
    /* Only complete what is missing, and only when the name (if given)
     * is the static one: an SDP may remap a static id (rare but legal). */
    if (pt->name != NULL && g_ascii_strcasecmp(pt->name, name) != 0)
        return;
    if (pt->name == NULL)
        pt->name = g_strdup(name);
    if (pt->clockrate == 0)
        pt->clockrate = clockrate;
    if (pt->channels == 1 && channels != 1 && pt->clockrate == clockrate)
        pt->channels = channels;
}

static const char *
source_cname(const JsdpContent *c, guint32 ssrc, gboolean *found)
{
    *found = FALSE;
    for (guint i = 0; i < c->sources->len; i++) {
        const JsdpSource *src = g_ptr_array_index(c->sources, i);
        if (src->ssrc != ssrc)
            continue;
        *found = TRUE;
        for (guint j = 0; j < src->parameters->len; j++) {
            const JsdpParameter *p = g_ptr_array_index(src->parameters, j);
            if (strcmp(p->name, "cname") == 0)
                return p->value;
        }
    }
    return NULL;
}

void
jsdp_content_complete_fid_sources(JsdpContent *c)
{
    for (guint i = 0; i < c->ssrc_groups->len; i++) {
        const JsdpSsrcGroup *g = g_ptr_array_index(c->ssrc_groups, i);
        const char *cname;
        gboolean found;
        if (strcmp(g->semantics, "FID") != 0 || g->ssrcs->len < 2)
            continue;
        cname = source_cname(c, g_array_index(g->ssrcs, guint32, 0), &found);
        if (cname == NULL)
            continue;
        for (guint j = 1; j < g->ssrcs->len && c->sources->len < JSDP_MAX_ITEMS; j++) {
            guint32 ssrc = g_array_index(g->ssrcs, guint32, j);
            JsdpSource *src;
            source_cname(c, ssrc, &found);
            if (found)
                continue;
            src = jsdp_source_new(ssrc);
            g_ptr_array_add(src->parameters, jsdp_parameter_new("cname", cname));
            g_ptr_array_add(c->sources, src);
        }
    }
}

gboolean
jsdp_parameter_is_default(const JsdpPayloadType *pt, const JsdpParameter *p)
{
    return *p->name == '\0' && g_strcmp0(p->value, "0-15") == 0 && pt->name != NULL &&
           g_ascii_strcasecmp(pt->name, "telephone-event") == 0;
}

gboolean
jsdp_parse_uint(const char *s, guint64 min, guint64 max, guint64 *out)
{
    guint64 v = 0;
    guint n = 0;

    if (s == NULL || *s == '\0')
        return FALSE;
    for (const char *p = s; *p; p++, n++) {
        guint d = (guint)(guchar)*p - '0';
        if (d > 9 || n >= 20)
            return FALSE;
        if (n >= 18 && v > (G_MAXUINT64 - 9) / 10)
            return FALSE;
        v = v * 10 + d;
    }
    if (v < min || v > max)
        return FALSE;
    *out = v;
    return TRUE;
}

char *
jsdp_fingerprint_normalise(const char *value)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const char *p = value;
    guint octets = 0;

    while (g_ascii_isspace(*p))
        p++;
    for (;;) {
        if (!g_ascii_isxdigit(p[0]) || !g_ascii_isxdigit(p[1]))
            return NULL;
        g_string_append_c(out, g_ascii_toupper(p[0]));
        g_string_append_c(out, g_ascii_toupper(p[1]));
        p += 2;
        if (++octets > 64)
            return NULL;
        if (*p != ':')
            break;
        g_string_append_c(out, ':');
        p++;
    }
    while (g_ascii_isspace(*p))
        p++;
    if (*p != '\0' || octets < 16) /* MD5 (16 octets) is the shortest */
        return NULL;
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static const char *const candidate_types[] = {"host", "srflx", "prflx", "relay"};

const char *
jsdp_candidate_type_to_string(JsdpCandidateType t)
{
    return candidate_types[t];
}

gboolean
jsdp_candidate_type_from_string(const char *s, JsdpCandidateType *t)
{
    for (guint i = 0; i < G_N_ELEMENTS(candidate_types); i++) {
        if (g_strcmp0(s, candidate_types[i]) == 0) {
            *t = (JsdpCandidateType)i;
            return TRUE;
        }
    }
    return FALSE;
}

static const char *const tcptypes[] = {NULL, "active", "passive", "so"};

const char *
jsdp_tcptype_to_string(JsdpTcpType t)
{
    return tcptypes[t];
}

gboolean
jsdp_tcptype_from_string(const char *s, JsdpTcpType *t)
{
    for (guint i = 1; i < G_N_ELEMENTS(tcptypes); i++) {
        if (g_strcmp0(s, tcptypes[i]) == 0) {
            *t = (JsdpTcpType)i;
            return TRUE;
        }
    }
    return FALSE;
}

static const char *const setups[] = {NULL, "actpass", "active", "passive", "holdconn"};

const char *
jsdp_setup_to_string(JsdpSetup setup)
{
    g_return_val_if_fail(setup <= JSDP_SETUP_HOLDCONN, NULL);
    return setups[setup];
}

gboolean
jsdp_setup_from_string(const char *s, JsdpSetup *setup)
{
    for (guint i = 1; i < G_N_ELEMENTS(setups); i++) {
        if (g_strcmp0(s, setups[i]) == 0) {
            *setup = (JsdpSetup)i;
            return TRUE;
        }
    }
    return FALSE;
}

static const char *const senders_names[] = {"both", "initiator", "responder", "none"};

const char *
jsdp_senders_to_string(JsdpSenders senders)
{
    g_return_val_if_fail(senders <= JSDP_SENDERS_NONE, "both");
    return senders_names[senders];
}

gboolean
jsdp_senders_from_string(const char *s, JsdpSenders *senders)
{
    for (guint i = 0; i < G_N_ELEMENTS(senders_names); i++) {
        if (g_strcmp0(s, senders_names[i]) == 0) {
            *senders = (JsdpSenders)i;
            return TRUE;
        }
    }
    return FALSE;
}

/* RFC 3264 §5.1: the direction is the author's.  "sendonly" written by the
 * initiator means only the initiator sends. */
JsdpSenders
jsdp_senders_from_direction(const char *direction, JsdpRole author)
{
    JsdpSenders me = author == JSDP_ROLE_INITIATOR ? JSDP_SENDERS_INITIATOR : JSDP_SENDERS_RESPONDER;
    JsdpSenders peer = author == JSDP_ROLE_INITIATOR ? JSDP_SENDERS_RESPONDER : JSDP_SENDERS_INITIATOR;

    if (strcmp(direction, "sendonly") == 0)
        return me;
    if (strcmp(direction, "recvonly") == 0)
        return peer;
    if (strcmp(direction, "inactive") == 0)
        return JSDP_SENDERS_NONE;
    return JSDP_SENDERS_BOTH;
}

const char *
jsdp_senders_to_direction(JsdpSenders senders, JsdpRole author)
{
    switch (senders) {
    case JSDP_SENDERS_INITIATOR:
        return author == JSDP_ROLE_INITIATOR ? "sendonly" : "recvonly";
    case JSDP_SENDERS_RESPONDER:
        return author == JSDP_ROLE_RESPONDER ? "sendonly" : "recvonly";
    case JSDP_SENDERS_NONE:
        return "inactive";
    case JSDP_SENDERS_BOTH:
    default:
        return "sendrecv";
    }
}

static gboolean
content_has_rtcp_fb(const JsdpContent *c)
{
    if (c->rtcp_fb->len > 0 || c->trr_int >= 0)
        return TRUE;
    for (guint i = 0; i < c->payload_types->len; i++) {
        const JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
        if (pt->rtcp_fb->len > 0 || pt->trr_int >= 0)
            return TRUE;
    }
    return FALSE;
}

const char *
jsdp_content_derive_proto(const JsdpContent *c)
{
    gboolean fb = content_has_rtcp_fb(c);

    if (c->sctp_port != 0)
        return "UDP/DTLS/SCTP"; /* RFC 8841 (WebRTC, RFC 8831) */

    if (c->transport != NULL && c->transport->fingerprints->len > 0) {
        /* Legacy Chrome offered DTLS and required SDES under RTP/SAVPF. */
        if (c->crypto_required)
            return "RTP/SAVPF";
        return "UDP/TLS/RTP/SAVPF"; /* RFC 5764 §8; WebRTC (RFC 8829) */
    }
    if (c->crypto_required)
        return fb ? "RTP/SAVPF" : "RTP/SAVP";
    return fb ? "RTP/AVPF" : "RTP/AVP";
}

const JsdpCandidate *
jsdp_transport_default_candidate(const JsdpTransport *t, guint component, const char *id)
{
    const JsdpCandidate *best = NULL;

    if (t == NULL)
        return NULL;
    for (guint i = 0; i < t->candidates->len; i++) {
        const JsdpCandidate *c = g_ptr_array_index(t->candidates, i);
        /* port 0 (TCP active) cannot be an m= port: that means rejected */
        if (c->component != component || c->port == 0)
            continue;
        if (id != NULL && g_strcmp0(c->id, id) == 0)
            return c;
        if (best == NULL) {
            best = c;
            continue;
        }
        gboolean c_udp = g_ascii_strcasecmp(c->protocol, "udp") == 0;
        gboolean b_udp = g_ascii_strcasecmp(best->protocol, "udp") == 0;
        if ((c_udp && !b_udp) || (c_udp == b_udp && c->priority > best->priority))
            best = c;
    }
    return best;
}

guint32
jsdp_host_priority(guint component)
{
    /* (2^24)*126 + (2^8)*65535 + (256 - component) */
    return (126u << 24) | (65535u << 8) | (256u - MIN(component, 256u));
}

gboolean
jsdp_is_token(const char *s, const char *forbidden)
{
    const guchar *p = (const guchar *)s;

    if (s == NULL || *s == '\0')
        return FALSE;
    for (; *p; p++) {
        if ((guint)*p - 0x21u > 0x7eu - 0x21u)
            return FALSE;
    }
    return forbidden == NULL || strpbrk(s, forbidden) == NULL;
}

JsdpSession *
jsdp_session_copy_without_rejected(const JsdpSession *s)
{
    JsdpSession *n = jsdp_session_copy(s);

    for (guint i = 0; i < n->contents->len;) {
        JsdpContent *c = g_ptr_array_index(n->contents, i);
        if (!c->rejected) {
            i++;
            continue;
        }
        for (guint g = 0; g < n->groups->len;) {
            JsdpGroup *grp = g_ptr_array_index(n->groups, g);
            for (guint k = 0; k < grp->names->len;) {
                if (strcmp(g_ptr_array_index(grp->names, k), c->name) == 0)
                    g_ptr_array_remove_index(grp->names, k);
                else
                    k++;
            }
            if (grp->names->len == 0)
                g_ptr_array_remove_index(n->groups, g);
            else
                g++;
        }
        g_ptr_array_remove_index(n->contents, i);
    }
    return n;
}

static gboolean
control_byte(guchar c)
{
    return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

gsize
jsdp_text_check(const char *s, gsize len)
{
    const guchar *p = (const guchar *)s;
    guint64 high = 0;
    gsize i = 0;

    for (; i + 8 <= len; i += 8) {
        guint64 w;
        memcpy(&w, p + i, 8);
        high |= w;
        /* a byte < 0x20 among ASCII bytes: look closer (LF is common) */
        if (((w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull) != 0) {
            for (gsize k = i; k < i + 8; k++) {
                if (control_byte(p[k]))
                    return k;
            }
        }
    }
    for (; i < len; i++) {
        high |= p[i];
        if (control_byte(p[i]))
            return i;
    }
    if ((high & 0x8080808080808080ull) != 0) {
        const char *end = NULL;
        if (!g_utf8_validate(s, (gssize)len, &end))
            return (gsize)(end - s);
    }
    return len;
}
