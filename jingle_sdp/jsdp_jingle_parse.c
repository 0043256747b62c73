/* jsdp_jingle_parse.c: Jingle XML (XEP-0166 with XEP-0167/0176/0177/0293/
 * 0294/0320/0338/0339 payloads) -> JsdpSession.
 *
 * Reads a JsdpXNode tree (jsdp_xml.c): made from borrowed libxml2 nodes,
 * which are never modified, or by our own reader from text.  Elements and
 * attributes we cannot carry to SDP become warnings; wrong values are
 * MALFORMED errors naming the element and attribute.
 */
#include "jsdp_private.h"

typedef struct {
    JsdpSession *session;
    GPtrArray *warnings;
    GPtrArray *left_out; /* char*: names of contents we could not carry */
} JParser;

#define JFAIL(code, ...)                                                       \
    G_STMT_START                                                               \
    {                                                                          \
        g_set_error(error, JSDP_ERROR, (code), __VA_ARGS__);                   \
        return FALSE;                                                          \
    }                                                                          \
    G_STMT_END

/* ns: a JSDP_XNS_* id, or -1 for any namespace. */
static gboolean
is_el(const JsdpXNode *n, const char *name, int ns)
{
    return (ns < 0 || (int)n->nsid == ns) && n->name[0] == name[0] && strcmp(n->name, name) == 0;
}

static const char *
ns_of(const JsdpXNode *n)
{
    return n->ns;
}

#define peek_attr jsdp_xnode_attr

/* Warns about attributes outside `allowed` (NULL-terminated). */
static void
check_attrs(JParser *jp, const JsdpXNode *n, const char *const *allowed)
{
    for (guint a = 0; a < n->n_attrs; a++) {
        gboolean ok = FALSE;
        for (guint i = 0; allowed[i] != NULL && !ok; i++)
            ok = n->attrs[a].ns == NULL && n->attrs[a].name[0] == allowed[i][0] &&
                 strcmp(n->attrs[a].name, allowed[i]) == 0;
        if (!ok)
            jsdp_warn(jp->warnings, "attribute '%.32s' of <%.32s> not carried by SDP",
                      n->attrs[a].name, n->name);
    }
}

static void
warn_text(JParser *jp, const JsdpXNode *n)
{
    if (n->text != NULL)
        jsdp_warn(jp->warnings, "text inside <%.32s> ignored: '%.32s'", n->name, n->text);
}

static void
warn_child(JParser *jp, const JsdpXNode *parent, const JsdpXNode *child)
{
    jsdp_warn(jp->warnings, "<%.32s xmlns='%.64s'> in <%.32s> not carried by SDP", child->name,
              ns_of(child), parent->name);
}

static gboolean
attr_uint(const JsdpXNode *n, const char *name, guint64 min, guint64 max, gboolean required,
          guint64 *out, GError **error)
{
    const char *v = peek_attr(n, name);

    if (v == NULL) {
        if (required)
            JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: missing '%s'", n->name, name);
        return TRUE;
    }
    if (!jsdp_parse_uint(v, min, max, out))
        JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: bad '%s' '%.32s' (%" G_GUINT64_FORMAT
              "-%" G_GUINT64_FORMAT ")", n->name, name, v, min, max);
    return TRUE;
}

/* A required token attribute (no spaces: it goes into an SDP field). */
static gboolean
attr_token(const JsdpXNode *n, const char *name, gboolean required, char **out, GError **error)
{
    const char *v = peek_attr(n, name);

    if (v == NULL) {
        if (required)
            JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: missing '%s'", n->name, name);
        return TRUE;
    }
    if (!jsdp_is_token(v, NULL) || strlen(v) > 256)
        JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: bad '%s' '%.32s'", n->name, name, v);
    g_free(*out);
    *out = g_strdup(v);
    return TRUE;
}

/* ---- candidates ------------------------------------------------------- */

static JsdpCandidate *
candidate_from_xnode(const JsdpXNode *node, GError **error)
{
    g_autoptr(JsdpCandidate) c = jsdp_candidate_new();
    gboolean raw;
    guint64 n = 0;
    const char *v;

    if (!is_el(node, "candidate", -1)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "not a <candidate> element");
        return NULL;
    }
    raw = node->nsid == JSDP_XNS_RAW_UDP;
    if (!attr_token(node, "ip", TRUE, &c->ip, error) || !attr_token(node, "id", FALSE, &c->id, error))
        return NULL;
    if (strchr(c->ip, '/') != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad ip '%.32s'", c->ip);
        return NULL;
    }
    /* XEP-0177: a Raw-UDP candidate is a real address; ICE allows port 0
     * (TCP active candidates). */
    if (!attr_uint(node, "port", raw ? 1 : 0, 65535, TRUE, &n, error))
        return NULL;
    c->port = (guint16)n;
    n = 1;
    if (!attr_uint(node, "component", 1, 256, !raw, &n, error))
        return NULL;
    c->component = (guint)n;
    n = 0;
    if (!attr_uint(node, "generation", 0, G_MAXUINT32, FALSE, &n, error))
        return NULL;
    c->generation = (guint)n;
    if (raw) {
        c->protocol = g_strdup("udp");
        c->type = JSDP_CANDIDATE_HOST;
        return g_steal_pointer(&c);
    }
    if (!attr_token(node, "foundation", TRUE, &c->foundation, error) ||
        !attr_token(node, "protocol", TRUE, &c->protocol, error) ||
        !attr_token(node, "rel-addr", FALSE, &c->rel_addr, error))
        return NULL;
    if (c->rel_addr != NULL && strchr(c->rel_addr, '/') != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad rel-addr '%.32s'",
                    c->rel_addr);
        return NULL;
    }
    if (strlen(c->foundation) > 32) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: foundation too long");
        return NULL;
    }
    for (char *p = c->protocol; *p; p++)
        *p = g_ascii_tolower(*p);
    if (!attr_uint(node, "priority", 0, G_MAXUINT32, TRUE, &n, error))
        return NULL;
    c->priority = (guint32)n;
    v = peek_attr(node, "type");
    if (v == NULL || !jsdp_candidate_type_from_string(v, &c->type)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad or missing type '%.32s'",
                    v ? v : "");
        return NULL;
    }
    if (peek_attr(node, "rel-port") != NULL) {
        if (!attr_uint(node, "rel-port", 0, 65535, TRUE, &n, error))
            return NULL;
        c->rel_port = (gint32)n;
    }
    if (peek_attr(node, "network") != NULL) {
        if (!attr_uint(node, "network", 0, G_MAXINT32, TRUE, &n, error))
            return NULL;
        c->network = (gint32)n;
    }
    v = peek_attr(node, "tcptype");
    if (v != NULL && !jsdp_tcptype_from_string(v, &c->tcptype)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad tcptype '%.32s'", v);
        return NULL;
    }
    return g_steal_pointer(&c);
}

JsdpCandidate *
jsdp_candidate_from_xml(const xmlNode *node, GError **error)
{
    g_autoptr(JsdpXArena) arena = NULL;
    const JsdpXNode *x;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    arena = jsdp_xarena_new();
    x = node->type == XML_ELEMENT_NODE ? jsdp_xnode_from_xml(arena, node) : NULL;
    if (x == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "not a <candidate> element");
        return NULL;
    }
    return candidate_from_xnode(x, error);
}

/* ---- transport -------------------------------------------------------- */

static gboolean
parse_fingerprint(JParser *jp, const JsdpXNode *n, JsdpTransport *t, GError **error)
{
    const char *text = n->text;
    const char *hash = peek_attr(n, "hash");
    const char *setup = peek_attr(n, "setup");
    JsdpSetup s = JSDP_SETUP_UNSET;
    JsdpFingerprint *f;
    char *value;

    if (hash == NULL || !jsdp_is_token(hash, NULL) || strlen(hash) > 32)
        JFAIL(JSDP_ERROR_MALFORMED, "<fingerprint>: bad or missing hash");
    if (setup != NULL && !jsdp_setup_from_string(setup, &s))
        JFAIL(JSDP_ERROR_MALFORMED, "<fingerprint>: bad setup '%.32s'", setup);
    value = text ? jsdp_fingerprint_normalise(text) : NULL;
    if (value == NULL)
        JFAIL(JSDP_ERROR_MALFORMED, "<fingerprint>: bad value '%.64s'", text ? text : "");
    if (t->fingerprints->len >= JSDP_MAX_ITEMS) {
        g_free(value);
        JFAIL(JSDP_ERROR_MALFORMED, "<transport>: too many fingerprints");
    }
    if (t->fingerprints->len > 0 && s != t->setup)
        jsdp_warn(jp->warnings, "fingerprints with different setup values: SDP carries one");
    if (t->fingerprints->len == 0)
        t->setup = s;
    f = g_new0(JsdpFingerprint, 1);
    f->hash = g_ascii_strdown(hash, -1);
    f->value = value;
    g_ptr_array_add(t->fingerprints, f);
    return TRUE;
}

/* XEP-0343 <sctpmap number protocol streams/>: the content is a WebRTC
 * data channel.  The XEP's table names the port attribute "port", its
 * examples (and StanzaJS, Jitsi) "number": both are read. */
static gboolean
parse_sctpmap(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    static const char *const allowed[] = {"number", "port", "protocol", "streams", NULL};
    const char *port_attr = peek_attr(n, "number") ? "number" : "port";
    g_autofree char *protocol = NULL;
    guint64 port = 0, streams = 0;

    check_attrs(jp, n, allowed);
    if (!attr_uint(n, port_attr, 1, 65535, TRUE, &port, error) ||
        !attr_uint(n, "streams", 1, 65535, FALSE, &streams, error) ||
        !attr_token(n, "protocol", TRUE, &protocol, error)) {
        g_prefix_error(error, "content '%.32s': ", c->name);
        return FALSE;
    }
    if (strlen(protocol) > 64)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': <sctpmap>: protocol too long", c->name);
    if (c->sctp_port != 0)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two <sctpmap>s", c->name);
    c->sctp_port = (guint)port;
    c->sctp_streams = (guint)streams;
    c->sctp_protocol = g_steal_pointer(&protocol);
    return TRUE;
}

static gboolean
parse_transport(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    static const char *const allowed[] = {"ufrag", "pwd", NULL};
    gboolean ice = n->nsid == JSDP_XNS_ICE_UDP;
    g_autoptr(JsdpTransport) t = jsdp_transport_new(ice ? JSDP_TRANSPORT_ICE_UDP
                                                        : JSDP_TRANSPORT_RAW_UDP);

    warn_text(jp, n);
    if (ice) {
        check_attrs(jp, n, allowed);
    warn_text(jp, n);
        if (!attr_token(n, "ufrag", FALSE, &t->ufrag, error) ||
            !attr_token(n, "pwd", FALSE, &t->pwd, error))
            return FALSE;
        if ((t->ufrag == NULL) != (t->pwd == NULL))
            JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': <transport> has %s without %s", c->name,
                  t->ufrag ? "ufrag" : "pwd", t->ufrag ? "pwd" : "ufrag");
    }
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        if (is_el(k, "candidate", -1)) {
            JsdpCandidate *cand;
            if (t->candidates->len >= JSDP_MAX_CANDIDATES)
                JFAIL(JSDP_ERROR_MALFORMED, "<transport>: more than %u candidates",
                      JSDP_MAX_CANDIDATES);
            cand = candidate_from_xnode(k, error);
            if (cand == NULL) {
                g_prefix_error(error, "content '%.32s': ", c->name);
                return FALSE;
            }
            g_ptr_array_add(t->candidates, cand);
        } else if (is_el(k, "fingerprint", JSDP_XNS_DTLS)) {
            if (!parse_fingerprint(jp, k, t, error))
                return FALSE;
        } else if (ice && is_el(k, "gathering-complete", -1)) {
            t->end_of_candidates = TRUE;
        } else if (is_el(k, "sctpmap", JSDP_XNS_DTLS_SCTP)) {
            if (!parse_sctpmap(jp, k, c, error))
                return FALSE;
        } else if (is_el(k, "rtcp-mux", -1)) {
            c->rtcp_mux = TRUE; /* Jitsi puts it in the transport */
        } else {
            warn_child(jp, n, k);
        }
    }
    c->transport = g_steal_pointer(&t);
    return TRUE;
}

/* ---- description ------------------------------------------------------ */

/* s without leading/trailing blanks: s itself when there are none (the
 * usual case), else a copy in *heap (caller frees). */
static const char *
trimmed(const char *s, char **heap)
{
    gsize len;

    *heap = NULL;
    if (s == NULL)
        return NULL;
    len = strlen(s);
    if (len == 0 || (!g_ascii_isspace(s[0]) && !g_ascii_isspace(s[len - 1])))
        return s;
    *heap = g_strstrip(g_strdup(s));
    return *heap;
}

/* RFC 4733 7.1.1 (the audio/telephone-event registration): its one fmtp
 * parameter, "events", is written in a=fmtp as the bare list ("0-15"),
 * and without it events 0-15 are meant. */
static gboolean
is_telephone_event(const JsdpPayloadType *pt)
{
    return pt != NULL && pt->name != NULL && g_ascii_strcasecmp(pt->name, "telephone-event") == 0;
}

/* A nameless fmtp item ("0-15") arrives in every form below, and each
 * becomes the nameless parameter of the model (name ""):
 *   name='' value='0-15'     Jitsi (lib-jitsi-meet), libjsdp itself
 *   value='0-15'             Firefox SDP via MongooseIM (corpus)
 *   name='0-15'              StanzaJS: sdp.js parseFmtp reads "0-15" as
 *                            {"0-15": undefined} and jxt's parameterMap
 *                            then writes no value attribute
 *   name='events' value=...  Farstream (Gajim), telephone-event only:
 *                            the media type's parameter name, whose a=fmtp
 *                            form is the bare list (RFC 4733 7.1.1) */
static gboolean
parse_parameter(JParser *jp, const JsdpXNode *n, const JsdpPayloadType *pt, GPtrArray *params,
                GError **error)
{
    g_autofree char *name_heap = NULL, *value_heap = NULL;
    const char *raw_value = peek_attr(n, "value");
    const char *name = trimmed(peek_attr(n, "name") ? peek_attr(n, "name") : "", &name_heap);
    const char *value = trimmed(raw_value ? raw_value : "", &value_heap);

    if (params->len >= JSDP_MAX_ITEMS)
        JFAIL(JSDP_ERROR_MALFORMED, "<parameter>: too many");
    /* a=fmtp is "name=value;..." with spaces around items insignificant,
     * so the same rules apply here to keep both sides equal. */
    if (*name == '\0' && *value == '\0') {
        jsdp_warn(jp->warnings, "empty <parameter/> dropped");
        return TRUE;
    }
    if (*name != '\0' && !jsdp_is_token(name, ";="))
        JFAIL(JSDP_ERROR_MALFORMED, "<parameter>: bad name '%.32s'", name);
    if (raw_value == NULL && *name != '\0') {
        value = name;
        name = "";
    } else if (is_telephone_event(pt) && strcmp(name, "events") == 0) {
        name = "";
    }
    if (strpbrk(value, "\r\n") != NULL || (*name == '\0' && strchr(value, '=') != NULL))
        JFAIL(JSDP_ERROR_MALFORMED, "<parameter>: value '%.32s' cannot go into a=fmtp", value);
    if (strchr(value, ';') != NULL) {
        /* Jitsi sends value='42e01f;level-asymmetry-allowed=1': fmtp text
         * pasted into one parameter.  Read it as the fmtp it is. */
        g_auto(GStrv) items = g_strsplit(value, ";", 0);
        jsdp_warn(jp->warnings, "<parameter name='%.32s'> value with ';' split into parameters",
                  name);
        for (guint i = 0; items[i] != NULL; i++) {
            char *item = g_strstrip(items[i]);
            char *eq = i > 0 ? strchr(item, '=') : NULL;
            if (*item == '\0')
                continue;
            if (params->len >= JSDP_MAX_ITEMS)
                JFAIL(JSDP_ERROR_MALFORMED, "<parameter>: too many");
            if (i == 0) {
                g_ptr_array_add(params, jsdp_parameter_new(name, item));
                continue;
            }
            if (eq != NULL)
                *eq = '\0';
            if (eq == NULL || !jsdp_is_token(g_strstrip(item), ";="))
                JFAIL(JSDP_ERROR_MALFORMED, "<parameter>: value '%.32s' cannot go into a=fmtp",
                      value);
            g_ptr_array_add(params, jsdp_parameter_new(item, g_strstrip(eq + 1)));
        }
        return TRUE;
    }
    g_ptr_array_add(params, jsdp_parameter_new(name, value));
    return TRUE;
}

static gboolean
parse_rtcp_fb(const JsdpXNode *n, GPtrArray *list, gint64 *trr, GError **error)
{
    guint64 v = 0;

    if (is_el(n, "rtcp-fb-trr-int", -1)) {
        if (!attr_uint(n, "value", 0, G_MAXUINT32, TRUE, &v, error))
            return FALSE;
        *trr = (gint64)v;
        return TRUE;
    }
    const char *type = peek_attr(n, "type");
    g_autofree char *heap = NULL;
    const char *sub = trimmed(peek_attr(n, "subtype"), &heap);
    if (type == NULL || !jsdp_is_token(type, NULL) || strcmp(type, "trr-int") == 0)
        JFAIL(JSDP_ERROR_MALFORMED, "<rtcp-fb>: bad or missing type");
    if (sub != NULL && *sub == '\0')
        sub = NULL;
    if (sub != NULL && strpbrk(sub, "\r\n") != NULL)
        JFAIL(JSDP_ERROR_MALFORMED, "<rtcp-fb>: bad subtype");
    if (list->len >= JSDP_MAX_ITEMS)
        JFAIL(JSDP_ERROR_MALFORMED, "<rtcp-fb>: too many");
    g_ptr_array_add(list, jsdp_rtcp_fb_new(type, sub));
    return TRUE;
}

/* One pass over the attributes (a Chrome offer has ~35 payload types). */
static gboolean
parse_payload_type(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    const char *id_s = NULL, *name = NULL, *clock = NULL, *chan = NULL, *ptime = NULL,
               *maxptime = NULL;
    guint64 id = 0, v;
    g_autoptr(JsdpPayloadType) pt = NULL;

    warn_text(jp, n);
    for (guint a = 0; a < n->n_attrs; a++) {
        const char *an = n->attrs[a].name, *av = n->attrs[a].value;
        const char **slot = NULL;
        if (n->attrs[a].ns == NULL) {
            switch (an[0]) {
            case 'i': slot = strcmp(an, "id") == 0 ? &id_s : NULL; break;
            case 'n': slot = strcmp(an, "name") == 0 ? &name : NULL; break;
            case 'c':
                slot = strcmp(an, "clockrate") == 0 ? &clock
                     : strcmp(an, "channels") == 0 ? &chan : NULL;
                break;
            case 'p': slot = strcmp(an, "ptime") == 0 ? &ptime : NULL; break;
            case 'm': slot = strcmp(an, "maxptime") == 0 ? &maxptime : NULL; break;
            default: break;
            }
        }
        if (slot != NULL)
            *slot = av;
        else
            jsdp_warn(jp->warnings, "attribute '%.32s' of <payload-type> not carried by SDP", an);
    }
    if (id_s == NULL || !jsdp_parse_uint(id_s, 0, 127, &id))
        JFAIL(JSDP_ERROR_MALFORMED, "<payload-type>: bad or missing 'id' '%.32s' (0-127)",
              id_s ? id_s : "");
    for (guint i = 0; i < c->payload_types->len; i++) {
        if (((JsdpPayloadType *)g_ptr_array_index(c->payload_types, i))->id == id)
            JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': duplicate payload-type id %u",
                  c->name, (guint)id);
    }
    if (c->payload_types->len >= JSDP_MAX_PAYLOAD_TYPES)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': too many payload-types", c->name);
    pt = jsdp_payload_type_new((guint8)id);
    if (name != NULL) {
        if (!jsdp_is_token(name, "/") || strlen(name) > 256)
            JFAIL(JSDP_ERROR_MALFORMED, "<payload-type>: bad name '%.32s'", name);
        pt->name = g_strdup(name);
    }
    v = 0;
    if (clock != NULL && !jsdp_parse_uint(clock, 1, G_MAXUINT32, &v))
        JFAIL(JSDP_ERROR_MALFORMED, "<payload-type>: bad 'clockrate' '%.32s'", clock);
    pt->clockrate = (guint)v;
    v = 1;
    if (chan != NULL && !jsdp_parse_uint(chan, 1, 255, &v))
        JFAIL(JSDP_ERROR_MALFORMED, "<payload-type>: bad 'channels' '%.32s' (1-255)", chan);
    pt->channels = (guint)v;
    v = 0;
    if (ptime != NULL && !jsdp_parse_uint(ptime, 1, 65535, &v))
        JFAIL(JSDP_ERROR_MALFORMED, "<payload-type>: bad 'ptime' '%.32s'", ptime);
    pt->ptime = (guint)v;
    v = 0;
    if (maxptime != NULL && !jsdp_parse_uint(maxptime, 1, 65535, &v))
        JFAIL(JSDP_ERROR_MALFORMED, "<payload-type>: bad 'maxptime' '%.32s'", maxptime);
    pt->maxptime = (guint)v;
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        gboolean ok = TRUE;
        if (is_el(k, "parameter", -1))
            ok = parse_parameter(jp, k, pt, pt->parameters, error);
        else if (is_el(k, "rtcp-fb", JSDP_XNS_RTCP_FB) || is_el(k, "rtcp-fb-trr-int", JSDP_XNS_RTCP_FB))
            ok = parse_rtcp_fb(k, pt->rtcp_fb, &pt->trr_int, error);
        else
            warn_child(jp, n, k);
        if (!ok)
            return FALSE;
    }
    if (id >= 96 && pt->name == NULL)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': dynamic payload-type %u has no name",
              c->name, (guint)id);
    jsdp_payload_type_normalise(pt);
    if (pt->name == NULL && (pt->clockrate != 0 || pt->channels != 1)) {
        /* Without a name there is no a=rtpmap to carry them. */
        jsdp_warn(jp->warnings, "payload-type %u without name: clockrate/channels not carried by SDP",
                  pt->id);
        pt->clockrate = 0;
        pt->channels = 1;
    }
    if (pt->name != NULL && pt->clockrate == 0) {
        /* SDP's a=rtpmap needs a clock rate; XEP-0167 only recommends it. */
        pt->clockrate = g_strcmp0(c->media, "video") == 0 ? 90000 : 8000;
        jsdp_warn(jp->warnings, "payload-type %u '%.32s' has no clockrate; %u assumed",
                  pt->id, pt->name, pt->clockrate);
    }
    g_ptr_array_add(c->payload_types, g_steal_pointer(&pt));
    return TRUE;
}

static gboolean
parse_crypto(const JsdpXNode *enc, JsdpContent *c, GError **error)
{
    const char *req = peek_attr(enc, "required");

    c->crypto_required = req != NULL && (strcmp(req, "1") == 0 || strcmp(req, "true") == 0);
    for (const JsdpXNode *k = enc->children; k != NULL; k = k->next) {
        JsdpCrypto *cr;
        guint64 tag = 0;
        const char *suite, *key, *sess;
        if (!is_el(k, "crypto", -1))
            continue;
        if (!attr_uint(k, "tag", 0, 999999999, TRUE, &tag, error))
            return FALSE;
        suite = peek_attr(k, "crypto-suite");
        key = peek_attr(k, "key-params");
        sess = peek_attr(k, "session-params");
        g_autofree char *sess_copy = g_strstrip(g_strdup(sess ? sess : ""));
        sess = sess_copy;
        if (suite == NULL || key == NULL || !jsdp_is_token(suite, NULL) || !jsdp_is_token(key, NULL))
            JFAIL(JSDP_ERROR_MALFORMED, "<crypto>: bad or missing crypto-suite/key-params");
        if (strpbrk(sess, "\r\n") != NULL)
            JFAIL(JSDP_ERROR_MALFORMED, "<crypto>: bad session-params");
        if (c->cryptos->len >= JSDP_MAX_ITEMS)
            JFAIL(JSDP_ERROR_MALFORMED, "<crypto>: too many");
        cr = g_new0(JsdpCrypto, 1);
        cr->tag = (guint)tag;
        cr->suite = g_strdup(suite);
        cr->key_params = g_strdup(key);
        cr->session_params = sess && *sess ? g_strdup(sess) : NULL;
        g_ptr_array_add(c->cryptos, cr);
    }
    if (c->cryptos->len == 0)
        c->crypto_required = FALSE;
    return TRUE;
}

static gboolean
parse_hdrext(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    guint64 id = 0;
    const char *uri = peek_attr(n, "uri");
    const char *senders = peek_attr(n, "senders");
    JsdpHdrext *h;
    JsdpSenders s = JSDP_SENDERS_BOTH;

    if (!attr_uint(n, "id", 1, 4351, TRUE, &id, error))
        return FALSE;
    if ((id > 255 && id < 4096) || uri == NULL || !jsdp_is_token(uri, NULL))
        JFAIL(JSDP_ERROR_MALFORMED, "<rtp-hdrext>: bad id or uri");
    if (senders != NULL && !jsdp_senders_from_string(senders, &s))
        JFAIL(JSDP_ERROR_MALFORMED, "<rtp-hdrext>: bad senders '%.32s'", senders);
    if (c->hdrexts->len >= JSDP_MAX_ITEMS)
        JFAIL(JSDP_ERROR_MALFORMED, "<rtp-hdrext>: too many");
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next)
        jsdp_warn(jp->warnings, "<rtp-hdrext> <%.32s> not carried by SDP", k->name);
    h = g_new0(JsdpHdrext, 1);
    h->id = (guint)id;
    h->uri = g_strdup(uri);
    h->senders = s;
    g_ptr_array_add(c->hdrexts, h);
    return TRUE;
}

static gboolean
parse_source(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    static const char *const allowed[] = {"ssrc", NULL};
    guint64 ssrc = 0;
    g_autoptr(JsdpSource) src = NULL;

    check_attrs(jp, n, allowed);
    warn_text(jp, n);
    if (!attr_uint(n, "ssrc", 0, G_MAXUINT32, TRUE, &ssrc, error))
        return FALSE;
    for (guint i = 0; i < c->sources->len; i++) {
        if (((JsdpSource *)g_ptr_array_index(c->sources, i))->ssrc == ssrc)
            JFAIL(JSDP_ERROR_MALFORMED, "<source>: duplicate ssrc %u", (guint)ssrc);
    }
    if (c->sources->len >= JSDP_MAX_ITEMS)
        JFAIL(JSDP_ERROR_MALFORMED, "<source>: too many");
    src = jsdp_source_new((guint32)ssrc);
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        if (is_el(k, "parameter", -1)) {
            g_autofree char *value_heap = NULL;
            const char *name = peek_attr(k, "name");
            /* a=ssrc lines carry no surrounding blanks (an attribute's
             * newline reads as one, XML 1.0 3.3.3): as for <parameter>
             * in a payload-type, both sides hold the trimmed value */
            const char *value = trimmed(peek_attr(k, "value"), &value_heap);
            if (name == NULL || !jsdp_is_token(name, ":"))
                JFAIL(JSDP_ERROR_MALFORMED, "<source> <parameter>: bad or missing name");
            if (value != NULL && strpbrk(value, "\r\n") != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "<source> <parameter>: bad value");
            if (src->parameters->len >= JSDP_MAX_ITEMS)
                JFAIL(JSDP_ERROR_MALFORMED, "<source>: too many parameters");
            g_ptr_array_add(src->parameters, jsdp_parameter_new(name, value));
        } else {
            warn_child(jp, n, k);
        }
    }
    g_ptr_array_add(c->sources, g_steal_pointer(&src));
    return TRUE;
}

static gboolean
parse_ssrc_group(const JsdpXNode *n, JsdpContent *c, GError **error)
{
    const char *sem = peek_attr(n, "semantics");
    g_autoptr(JsdpSsrcGroup) g = NULL;

    if (sem == NULL || !jsdp_is_token(sem, NULL))
        JFAIL(JSDP_ERROR_MALFORMED, "<ssrc-group>: bad or missing semantics");
    if (c->ssrc_groups->len >= JSDP_MAX_ITEMS)
        JFAIL(JSDP_ERROR_MALFORMED, "<ssrc-group>: too many");
    g = jsdp_ssrc_group_new(sem);
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        guint64 ssrc = 0;
        guint32 v;
        if (!is_el(k, "source", -1))
            continue;
        if (!attr_uint(k, "ssrc", 0, G_MAXUINT32, TRUE, &ssrc, error))
            return FALSE;
        if (g->ssrcs->len >= JSDP_MAX_ITEMS)
            JFAIL(JSDP_ERROR_MALFORMED, "<ssrc-group>: too many sources");
        v = (guint32)ssrc;
        g_array_append_val(g->ssrcs, v);
    }
    g_ptr_array_add(c->ssrc_groups, g_steal_pointer(&g));
    return TRUE;
}

static gboolean
parse_description_child(JParser *jp, const JsdpXNode *d, const JsdpXNode *k, JsdpContent *c,
                        GError **error)
{
    if (is_el(k, "payload-type", JSDP_XNS_RTP))
        return parse_payload_type(jp, k, c, error);
    if (is_el(k, "rtcp-mux", JSDP_XNS_RTP)) {
        c->rtcp_mux = TRUE;
    } else if (is_el(k, "rtcp-reduced-size", JSDP_XNS_RTP)) {
        c->rtcp_rsize = TRUE;
    } else if (is_el(k, "bandwidth", JSDP_XNS_RTP)) {
        g_autofree char *text = g_strdup(k->text);
        const char *type = peek_attr(k, "type");
        guint64 v;
        JsdpBandwidth *b;
        if (type == NULL || !jsdp_is_token(type, ":") || text == NULL ||
            !jsdp_parse_uint(g_strstrip(text), 0, G_MAXUINT32, &v))
            JFAIL(JSDP_ERROR_MALFORMED, "<bandwidth>: bad type or value");
        if (c->bandwidths->len >= JSDP_MAX_ITEMS)
            JFAIL(JSDP_ERROR_MALFORMED, "<bandwidth>: too many");
        b = g_new0(JsdpBandwidth, 1);
        b->type = g_strdup(type);
        b->value = v;
        g_ptr_array_add(c->bandwidths, b);
    } else if (is_el(k, "encryption", JSDP_XNS_RTP)) {
        return parse_crypto(k, c, error);
    } else if (is_el(k, "rtcp-fb", JSDP_XNS_RTCP_FB) || is_el(k, "rtcp-fb-trr-int", JSDP_XNS_RTCP_FB)) {
        return parse_rtcp_fb(k, c->rtcp_fb, &c->trr_int, error);
    } else if (is_el(k, "rtp-hdrext", JSDP_XNS_HDREXT)) {
        return parse_hdrext(jp, k, c, error);
    } else if (is_el(k, "extmap-allow-mixed", JSDP_XNS_HDREXT)) {
        c->extmap_allow_mixed = TRUE;
    } else if (is_el(k, "source", JSDP_XNS_SSMA)) {
        return parse_source(jp, k, c, error);
    } else if (is_el(k, "ssrc-group", JSDP_XNS_SSMA)) {
        return parse_ssrc_group(k, c, error);
    } else if (is_el(k, "stream", JSDP_XNS_MSID)) {
        const char *id = peek_attr(k, "id");
        const char *track = peek_attr(k, "track");
        if (id == NULL || !jsdp_is_token(id, NULL) || (track != NULL && !jsdp_is_token(track, NULL)))
            JFAIL(JSDP_ERROR_MALFORMED, "<stream>: bad id or track");
        g_free(c->msid_stream);
        g_free(c->msid_track);
        c->msid_stream = g_strdup(id);
        c->msid_track = g_strdup(track);
    } else {
        warn_child(jp, d, k);
    }
    return TRUE;
}

static gboolean
parse_description(JParser *jp, const JsdpXNode *d, JsdpContent *c, GError **error)
{
    static const char *const allowed[] = {"media", "ssrc", "ptime", "maxptime", NULL};
    const char *ssrc = peek_attr(d, "ssrc");
    guint64 ptime = 0, maxptime = 0;

    check_attrs(jp, d, allowed);
    warn_text(jp, d);
    if (!attr_token(d, "media", TRUE, &c->media, error))
        return FALSE;
    if (strlen(c->media) > 64) /* it may become an a=mid */
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': <description>: media too long", c->name);
    c->has_description = TRUE;
    for (const JsdpXNode *k = d->children; k != NULL; k = k->next) {
        if (!parse_description_child(jp, d, k, c, error)) {
            g_prefix_error(error, "content '%.32s': ", c->name);
            return FALSE;
        }
    }
    /* Jitsi puts ptime/maxptime on <description>: it means every payload
     * type that has none of its own, as a=ptime/a=maxptime does. */
    if (!attr_uint(d, "ptime", 1, 65535, FALSE, &ptime, error) ||
        !attr_uint(d, "maxptime", 1, 65535, FALSE, &maxptime, error))
        return FALSE;
    for (guint i = 0; i < c->payload_types->len; i++) {
        JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
        if (pt->ptime == 0)
            pt->ptime = (guint)ptime;
        if (pt->maxptime == 0)
            pt->maxptime = (guint)maxptime;
    }
    jsdp_content_complete_fid_sources(c);
    if (ssrc != NULL) {
        guint64 v = 0;
        gboolean covered = FALSE;
        if (!jsdp_parse_uint(ssrc, 0, G_MAXUINT32, &v))
            JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': <description>: bad ssrc '%.32s'",
                  c->name, ssrc);
        for (guint i = 0; i < c->sources->len && !covered; i++)
            covered = ((JsdpSource *)g_ptr_array_index(c->sources, i))->ssrc == v;
        if (!covered)
            jsdp_warn(jp->warnings, "<description ssrc='%.16s'> without <source> not carried by SDP",
                      ssrc);
    }
    return TRUE;
}

/* ---- content, group, jingle ------------------------------------------- */

static gboolean
parse_content(JParser *jp, const JsdpXNode *n, GError **error)
{
    static const char *const allowed[] = {"creator", "name", "senders", "disposition", NULL};
    g_autoptr(JsdpContent) c = jsdp_content_new();
    const char *creator = peek_attr(n, "creator");
    const char *senders = peek_attr(n, "senders");
    const char *disp = peek_attr(n, "disposition");
    const char *name = peek_attr(n, "name");
    const JsdpXNode *other_description = NULL, *other_transport = NULL;

    check_attrs(jp, n, allowed);
    warn_text(jp, n);
    /* No name: StanzaJS takes it from the SDP's a=mid (Protocol.js
     * convertIntermediateToRequest, name: media.mid) and has none for an
     * SDP without a=mid.  XEP-0166 requires one, so it is named when all
     * contents are read (name_unnamed()), "" until then. */
    if (name == NULL)
        name = "";
    if (strlen(name) > 256)
        JFAIL(JSDP_ERROR_MALFORMED, "<content>: bad name");
    if (*name != '\0' && !jsdp_is_token(name, NULL))
        JFAIL(JSDP_ERROR_UNSUPPORTED, "<content>: name '%.32s' cannot be an SDP mid", name);
    c->name = g_strdup(name);
    if (*name != '\0' && (jsdp_session_get_content(jp->session, c->name) != NULL ||
                          g_ptr_array_find_with_equal_func(jp->left_out, name, g_str_equal, NULL)))
        JFAIL(JSDP_ERROR_MALFORMED, "<content>: duplicate name '%.32s'", c->name);
    if (creator != NULL && strcmp(creator, "initiator") != 0 && strcmp(creator, "responder") != 0)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': bad creator '%.32s'", c->name, creator);
    c->creator = g_strcmp0(creator, "responder") == 0 ? JSDP_ROLE_RESPONDER : JSDP_ROLE_INITIATOR;
    if (senders != NULL && !jsdp_senders_from_string(senders, &c->senders))
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': bad senders '%.32s'", c->name, senders);
    if (disp != NULL && strcmp(disp, "session") != 0)
        jsdp_warn(jp->warnings, "content '%.32s': disposition '%.32s' not carried by SDP",
                  c->name, disp);
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        if (is_el(k, "description", JSDP_XNS_RTP)) {
            if (c->has_description || other_description != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two descriptions", c->name);
            if (!parse_description(jp, k, c, error))
                return FALSE;
        } else if (is_el(k, "transport", JSDP_XNS_ICE_UDP) || is_el(k, "transport", JSDP_XNS_RAW_UDP)) {
            if (c->transport != NULL || other_transport != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two transports", c->name);
            if (!parse_transport(jp, k, c, error))
                return FALSE;
        } else if (is_el(k, "description", -1)) {
            if (c->has_description || other_description != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two descriptions", c->name);
            other_description = k;
        } else if (is_el(k, "transport", -1)) {
            if (c->transport != NULL || other_transport != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two transports", c->name);
            other_transport = k;
        } else {
            warn_child(jp, n, k);
        }
    }
    /* An application or transport we do not know takes only its own
     * content down: left out (the caller rejects it), or, on an XEP-0343
     * data channel transport, carried as that data channel. */
    if (other_transport != NULL || (other_description != NULL && c->sctp_port == 0)) {
        const JsdpXNode *k = other_transport ? other_transport : other_description;
        jsdp_warn(jp->warnings, "content '%.32s' left out: <%.32s xmlns='%.64s'> not carried by SDP",
                  c->name, k->name, ns_of(k));
        g_ptr_array_add(jp->left_out, g_strdup(c->name));
        return TRUE;
    }
    if (other_description != NULL)
        jsdp_warn(jp->warnings, "content '%.32s': <description xmlns='%.64s'> not carried by SDP "
                  "(its XEP-0343 data channel is)", c->name, ns_of(other_description));
    if (c->has_description && c->sctp_port != 0) {
        /* one m= line is either RTP or SCTP */
        jsdp_warn(jp->warnings, "content '%.32s': <sctpmap> of an RTP content not carried by SDP",
                  c->name);
        c->sctp_port = c->sctp_streams = 0;
        g_clear_pointer(&c->sctp_protocol, g_free);
    }
    if (jp->session->contents->len >= JSDP_MAX_CONTENTS)
        JFAIL(JSDP_ERROR_MALFORMED, "<jingle>: more than %u contents", JSDP_MAX_CONTENTS);
    g_ptr_array_add(jp->session->contents, g_steal_pointer(&c));
    return TRUE;
}

static gboolean
parse_group(JParser *jp, const JsdpXNode *n, GError **error)
{
    const char *sem = peek_attr(n, "semantics");
    g_autoptr(JsdpGroup) g = NULL;

    if (sem == NULL || !jsdp_is_token(sem, NULL))
        JFAIL(JSDP_ERROR_MALFORMED, "<group>: bad or missing semantics");
    if (jp->session->groups->len >= JSDP_MAX_CONTENTS)
        JFAIL(JSDP_ERROR_MALFORMED, "<group>: too many");
    g = jsdp_group_new(sem);
    warn_text(jp, n);
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        const char *name;
        if (!is_el(k, "content", -1)) {
            warn_child(jp, n, k);
            continue;
        }
        name = peek_attr(k, "name");
        if (name == NULL || !jsdp_is_token(name, NULL))
            JFAIL(JSDP_ERROR_MALFORMED, "<group> <content>: bad or missing name");
        if (g->names->len >= JSDP_MAX_CONTENTS)
            JFAIL(JSDP_ERROR_MALFORMED, "<group>: too many contents");
        g_ptr_array_add(g->names, g_strdup(name));
    }
    if (g->names->len == 0) {
        jsdp_warn(jp->warnings, "<group semantics='%.16s'> without contents dropped", sem);
        return TRUE;
    }
    g_ptr_array_add(jp->session->groups, g_steal_pointer(&g));
    return TRUE;
}

static const JsdpXNode *
find_jingle(const JsdpXNode *node)
{
    if (node == NULL)
        return NULL;
    if (is_el(node, "jingle", JSDP_XNS_JINGLE))
        return node;
    if (strcmp(node->name, "iq") == 0) {
        for (const JsdpXNode *k = node->children; k != NULL; k = k->next) {
            if (is_el(k, "jingle", JSDP_XNS_JINGLE))
                return k;
        }
    }
    return NULL;
}

static gboolean
copy_envelope(JParser *jp, const JsdpXNode *j, GError **error)
{
    static const char *const allowed[] = {"action", "sid", "initiator", "responder", NULL};
    JsdpSession *s = jp->session;

    check_attrs(jp, j, allowed);
    if (!attr_token(j, "action", FALSE, &s->action, error) ||
        !attr_token(j, "sid", FALSE, &s->sid, error) ||
        !attr_token(j, "initiator", FALSE, &s->initiator, error) ||
        !attr_token(j, "responder", FALSE, &s->responder, error))
        return FALSE;
    if (s->action == NULL)
        jsdp_warn(jp->warnings, "<jingle> has no action");
    return TRUE;
}

/* A content without name gets the one our SDP parser gives an m= line
 * without a=mid: its media ("application" for a data channel), made unique
 * with "-<k>" (k = 1, 2 ...) among all names. */
static gboolean
name_taken(const JParser *jp, const JsdpContent *self, const char *name)
{
    for (guint i = 0; i < jp->session->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(jp->session->contents, i);
        if (c != self && strcmp(c->name, name) == 0)
            return TRUE;
    }
    return g_ptr_array_find_with_equal_func(jp->left_out, name, g_str_equal, NULL);
}

static void
name_unnamed(JParser *jp)
{
    JsdpSession *s = jp->session;

    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = g_ptr_array_index(s->contents, i);
        const char *base = c->media ? c->media : c->sctp_port ? "application" : "content";
        if (*c->name != '\0')
            continue;
        g_free(c->name);
        c->name = g_strdup(base);
        for (guint k = 1; name_taken(jp, c, c->name); k++) {
            g_free(c->name);
            c->name = g_strdup_printf("%s-%u", base, k);
        }
        jsdp_warn(jp->warnings, "<content> without name: named '%.32s'", c->name);
    }
}

/* Every group names contents we have; those left out are taken out (and
 * a group left empty with them). */
static gboolean
check_groups(JParser *jp, GError **error)
{
    JsdpSession *s = jp->session;

    for (guint i = 0; i < s->groups->len;) {
        JsdpGroup *g = g_ptr_array_index(s->groups, i);
        for (guint j = 0; j < g->names->len;) {
            const char *name = g_ptr_array_index(g->names, j);
            if (jsdp_session_get_content(s, name) != NULL) {
                j++;
                continue;
            }
            if (!g_ptr_array_find_with_equal_func(jp->left_out, name, g_str_equal, NULL))
                JFAIL(JSDP_ERROR_MALFORMED, "<group semantics='%.16s'>: unknown content '%.32s'",
                      g->semantics, name);
            jsdp_warn(jp->warnings, "content '%.32s' removed from group '%.16s' (left out)", name,
                      g->semantics);
            g_ptr_array_remove_index(g->names, j);
        }
        if (g->names->len == 0)
            g_ptr_array_remove_index(s->groups, i);
        else
            i++;
    }
    return TRUE;
}

static JsdpSession *
session_from_xnode(const JsdpXNode *node, GError **error)
{
    g_autoptr(JsdpSession) session = NULL;
    g_autoptr(GPtrArray) left_out = g_ptr_array_new_with_free_func(g_free);
    const JsdpXNode *j;
    JParser jp;

    j = find_jingle(node);
    if (j == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "<%.32s xmlns='%.64s'> is not a <jingle xmlns='" JSDP_NS_JINGLE
                    "'> element or an <iq> holding one",
                    node->name, ns_of(node));
        return NULL;
    }
    session = jsdp_session_new();
    jp.session = session;
    jp.warnings = session->warnings;
    jp.left_out = left_out;
    if (!copy_envelope(&jp, j, error))
        return NULL;
    warn_text(&jp, j);
    for (const JsdpXNode *k = j->children; k != NULL; k = k->next) {
        gboolean ok = TRUE;
        if (is_el(k, "content", JSDP_XNS_JINGLE))
            ok = parse_content(&jp, k, error);
        else if (is_el(k, "group", JSDP_XNS_GROUPING))
            ok = parse_group(&jp, k, error);
        else
            warn_child(&jp, j, k);
        if (!ok)
            return NULL;
    }
    if (session->contents->len == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "jingle action '%.32s' carries no content to translate%s%.32s%s",
                    session->action ? session->action : "",
                    left_out->len > 0 ? " (left out: '" : "",
                    left_out->len > 0 ? (const char *)g_ptr_array_index(left_out, 0) : "",
                    left_out->len > 0 ? "')" : "");
        return NULL;
    }
    name_unnamed(&jp);
    if (!check_groups(&jp, error))
        return NULL;
    return g_steal_pointer(&session);
}

JsdpSession *
jsdp_session_from_jingle(const xmlNode *node, GError **error)
{
    g_autoptr(JsdpXArena) arena = NULL;
    const JsdpXNode *x;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (node->type != XML_ELEMENT_NODE) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED, "not an element");
        return NULL;
    }
    arena = jsdp_xarena_new();
    x = jsdp_xnode_from_xml(arena, node);
    if (x == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "xml: element tree too deep or too large");
        return NULL;
    }
    return session_from_xnode(x, error);
}

/* XML text in: our own strict reader (jsdp_xml.c) on a private copy.  It
 * has no network or file access at all (the XML_PARSE_NONET rule holds by
 * construction), expands no entity but the five predefined ones and
 * character references, and refuses any DOCTYPE, so no entity can be
 * declared (billion laughs, external entities). */
JsdpSession *
jsdp_session_from_jingle_string(const char *xml, gssize len, GError **error)
{
    g_autoptr(JsdpXArena) arena = NULL;
    char *copy;
    const JsdpXNode *root;
    const char *problem = NULL;
    gsize n, offset = 0;

    g_return_val_if_fail(xml != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    n = len < 0 ? strlen(xml) : (gsize)len;
    if (n > JSDP_MAX_INPUT) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "xml: input of %" G_GSIZE_FORMAT " bytes exceeds %u", n, JSDP_MAX_INPUT);
        return NULL;
    }
    if (memchr(xml, '\0', n) != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "xml: NUL byte in input");
        return NULL;
    }
    arena = jsdp_xarena_new();
    copy = jsdp_xarena_copy(arena, xml, n);
    root = jsdp_xnode_parse(arena, copy, n, &problem, &offset);
    if (root == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "xml: not well-formed at byte %" G_GSIZE_FORMAT ": %s", offset, problem);
        return NULL;
    }
    return session_from_xnode(root, error);
}
