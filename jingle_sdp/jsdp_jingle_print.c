/* jsdp_jingle_print.c: JsdpSession -> <jingle xmlns='urn:xmpp:jingle:1'>.
 *
 * Builds an unlinked libxml2 tree the caller owns.  Every namespace is
 * declared on the element that introduces it, children reuse it, so the
 * output serialises the way XEP examples look.  Attribute values go through
 * xmlNewProp() (stored as text, escaped on output), never through content
 * parsing.
 */
#include "jsdp_private.h"

typedef struct {
    const JsdpJinglePrintParams *params;
} JPrinter;

static xmlNode *
new_el_ns(xmlNode *parent, const char *name, const char *href)
{
    xmlNode *n = xmlNewNode(NULL, BAD_CAST name);
    xmlNs *ns = xmlNewNs(n, BAD_CAST href, NULL);

    xmlSetNs(n, ns);
    if (parent != NULL)
        xmlAddChild(parent, n);
    return n;
}

static xmlNode *
new_el(xmlNode *parent, const char *name)
{
    return xmlNewChild(parent, parent->ns, BAD_CAST name, NULL);
}

static void
set_attr(xmlNode *n, const char *name, const char *value)
{
    if (value != NULL)
        xmlNewProp(n, BAD_CAST name, BAD_CAST value);
}

static void
set_uint(xmlNode *n, const char *name, guint64 value)
{
    char buf[24];

    g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, value);
    xmlNewProp(n, BAD_CAST name, BAD_CAST buf);
}

xmlNode *
jsdp_candidate_to_xml(const JsdpCandidate *c, const char *ns, const char *id)
{
    gboolean raw;
    xmlNode *n;

    g_return_val_if_fail(c != NULL, NULL);
    g_return_val_if_fail(ns != NULL, NULL);
    raw = strcmp(ns, JSDP_NS_RAW_UDP) == 0;
    n = new_el_ns(NULL, "candidate", ns);
    set_uint(n, "component", c->component);
    if (!raw)
        set_attr(n, "foundation", c->foundation ? c->foundation : "1");
    set_uint(n, "generation", c->generation);
    set_attr(n, "id", c->id ? c->id : id);
    set_attr(n, "ip", c->ip);
    if (!raw && c->network >= 0)
        set_uint(n, "network", (guint64)c->network);
    set_uint(n, "port", c->port);
    if (raw)
        return n;
    set_uint(n, "priority", c->priority);
    set_attr(n, "protocol", c->protocol ? c->protocol : "udp");
    if (c->rel_addr != NULL)
        set_attr(n, "rel-addr", c->rel_addr);
    if (c->rel_port >= 0)
        set_uint(n, "rel-port", (guint64)c->rel_port);
    if (c->tcptype != JSDP_TCPTYPE_NONE)
        set_attr(n, "tcptype", jsdp_tcptype_to_string(c->tcptype));
    set_attr(n, "type", jsdp_candidate_type_to_string(c->type));
    return n;
}

/* The candidate element in our tree: reuse the transport's namespace
 * instead of redeclaring it on every candidate. */
static void
add_candidate(xmlNode *transport, const JsdpCandidate *c, const char *ns, const char *id)
{
    xmlNode *n = jsdp_candidate_to_xml(c, ns, id);

    xmlSetNs(n, transport->ns);
    xmlFreeNsList(n->nsDef);
    n->nsDef = NULL;
    xmlAddChild(transport, n);
}

static void
print_transport(JPrinter *jp, xmlNode *content, const JsdpContent *c, guint index)
{
    const JsdpTransport *t = c->transport;
    gboolean raw = t->type == JSDP_TRANSPORT_RAW_UDP;
    const char *ns = raw ? JSDP_NS_RAW_UDP : JSDP_NS_ICE_UDP;
    const char *prefix = jp->params->candidate_id_prefix ? jp->params->candidate_id_prefix : "c";
    xmlNode *tr = new_el_ns(content, "transport", ns);

    if (!raw) {
        set_attr(tr, "pwd", t->pwd);
        set_attr(tr, "ufrag", t->ufrag);
    }
    for (guint i = 0; i < t->fingerprints->len; i++) {
        const JsdpFingerprint *f = g_ptr_array_index(t->fingerprints, i);
        xmlNode *fp = new_el_ns(tr, "fingerprint", JSDP_NS_DTLS);
        set_attr(fp, "hash", f->hash);
        set_attr(fp, "setup", jsdp_setup_to_string(t->setup));
        xmlNodeAddContent(fp, BAD_CAST f->value);
    }
    if (t->setup == JSDP_SETUP_ACTPASS && g_strcmp0(jp->params->action, "session-accept") == 0)
        jsdp_warn(jp->params->warnings,
                  "content '%.32s': session-accept with setup 'actpass' (an answer must "
                  "say active or passive)", c->name);
    for (guint i = 0; i < t->candidates->len; i++) {
        char id[64];
        g_snprintf(id, sizeof(id), "%.40s%u-%u", prefix, index, i);
        add_candidate(tr, g_ptr_array_index(t->candidates, i), ns, id);
    }
    if (t->end_of_candidates) {
        if (raw)
            jsdp_warn(jp->params->warnings, "end-of-candidates on a Raw-UDP transport dropped");
        else
            new_el(tr, "gathering-complete");
    }
}

static void
add_parameters(xmlNode *parent, const GPtrArray *params)
{
    for (guint i = 0; i < params->len; i++) {
        const JsdpParameter *p = g_ptr_array_index(params, i);
        xmlNode *n = new_el(parent, "parameter");
        set_attr(n, "name", p->name);
        set_attr(n, "value", p->value);
    }
}

static void
add_rtcp_fb(xmlNode *parent, const GPtrArray *fbs, gint64 trr_int)
{
    for (guint i = 0; i < fbs->len; i++) {
        const JsdpRtcpFb *fb = g_ptr_array_index(fbs, i);
        xmlNode *n = new_el_ns(parent, "rtcp-fb", JSDP_NS_RTCP_FB);
        set_attr(n, "type", fb->type);
        set_attr(n, "subtype", fb->subtype);
    }
    if (trr_int >= 0) {
        xmlNode *n = new_el_ns(parent, "rtcp-fb-trr-int", JSDP_NS_RTCP_FB);
        set_uint(n, "value", (guint64)trr_int);
    }
}

static void
print_payload_types(xmlNode *d, const JsdpContent *c)
{
    for (guint i = 0; i < c->payload_types->len; i++) {
        const JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
        xmlNode *n = new_el(d, "payload-type");

        if (pt->channels != 1)
            set_uint(n, "channels", pt->channels);
        if (pt->clockrate != 0)
            set_uint(n, "clockrate", pt->clockrate);
        set_uint(n, "id", pt->id);
        if (pt->maxptime != 0)
            set_uint(n, "maxptime", pt->maxptime);
        set_attr(n, "name", pt->name);
        if (pt->ptime != 0)
            set_uint(n, "ptime", pt->ptime);
        add_parameters(n, pt->parameters);
        add_rtcp_fb(n, pt->rtcp_fb, pt->trr_int);
    }
}

static void
print_sources(xmlNode *d, const JsdpContent *c)
{
    for (guint i = 0; i < c->ssrc_groups->len; i++) {
        const JsdpSsrcGroup *g = g_ptr_array_index(c->ssrc_groups, i);
        xmlNode *n = new_el_ns(d, "ssrc-group", JSDP_NS_SSMA);
        set_attr(n, "semantics", g->semantics);
        for (guint j = 0; j < g->ssrcs->len; j++)
            set_uint(new_el(n, "source"), "ssrc", g_array_index(g->ssrcs, guint32, j));
    }
    for (guint i = 0; i < c->sources->len; i++) {
        const JsdpSource *s = g_ptr_array_index(c->sources, i);
        xmlNode *n = new_el_ns(d, "source", JSDP_NS_SSMA);
        set_uint(n, "ssrc", s->ssrc);
        add_parameters(n, s->parameters);
    }
}

static void
print_description(xmlNode *content, const JsdpContent *c)
{
    xmlNode *d = new_el_ns(content, "description", JSDP_NS_RTP);

    set_attr(d, "media", c->media);
    print_payload_types(d, c);
    if (c->cryptos->len > 0) {
        xmlNode *enc = new_el(d, "encryption");
        if (c->crypto_required)
            set_attr(enc, "required", "1");
        for (guint i = 0; i < c->cryptos->len; i++) {
            const JsdpCrypto *k = g_ptr_array_index(c->cryptos, i);
            xmlNode *n = new_el(enc, "crypto");
            set_attr(n, "crypto-suite", k->suite);
            set_attr(n, "key-params", k->key_params);
            set_attr(n, "session-params", k->session_params);
            set_uint(n, "tag", k->tag);
        }
    }
    for (guint i = 0; i < c->bandwidths->len; i++) {
        const JsdpBandwidth *b = g_ptr_array_index(c->bandwidths, i);
        char buf[24];
        xmlNode *n = new_el(d, "bandwidth");
        set_attr(n, "type", b->type);
        g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, b->value);
        xmlNodeAddContent(n, BAD_CAST buf);
    }
    if (c->rtcp_mux)
        new_el(d, "rtcp-mux");
    if (c->rtcp_rsize)
        new_el(d, "rtcp-reduced-size");
    add_rtcp_fb(d, c->rtcp_fb, c->trr_int);
    for (guint i = 0; i < c->hdrexts->len; i++) {
        const JsdpHdrext *h = g_ptr_array_index(c->hdrexts, i);
        xmlNode *n = new_el_ns(d, "rtp-hdrext", JSDP_NS_HDREXT);
        set_uint(n, "id", h->id);
        if (h->senders != JSDP_SENDERS_BOTH)
            set_attr(n, "senders", jsdp_senders_to_string(h->senders));
        set_attr(n, "uri", h->uri);
    }
    if (c->extmap_allow_mixed)
        new_el_ns(d, "extmap-allow-mixed", JSDP_NS_HDREXT);
    print_sources(d, c);
    if (c->msid_stream != NULL) {
        xmlNode *n = new_el_ns(d, "stream", JSDP_NS_MSID);
        set_attr(n, "id", c->msid_stream);
        set_attr(n, "track", c->msid_track);
    }
}

xmlNode *
jsdp_session_to_jingle(const JsdpSession *s, const JsdpJinglePrintParams *params, GError **error)
{
    static const JsdpJinglePrintParams defaults = {0};
    g_autoptr(xmlNode) j = NULL;
    JPrinter jp;
    guint printed = 0;

    g_return_val_if_fail(s != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    jp.params = params ? params : &defaults;
    j = new_el_ns(NULL, "jingle", JSDP_NS_JINGLE);
    set_attr(j, "action", jp.params->action ? jp.params->action : "session-initiate");
    set_attr(j, "initiator", jp.params->initiator);
    set_attr(j, "responder", jp.params->responder);
    set_attr(j, "sid", jp.params->sid);
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        xmlNode *content;

        if (c->rejected) {
            /* XEP-0166 has no "rejected" marker inside a content: the
             * responder leaves it out and sends content-reject. */
            jsdp_warn(jp.params->warnings,
                      "content '%.32s' rejected (port 0): omitted from Jingle", c->name);
            continue;
        }
        content = new_el(j, "content");
        set_attr(content, "creator", c->creator == JSDP_ROLE_RESPONDER ? "responder" : "initiator");
        set_attr(content, "name", c->name);
        if (c->senders != JSDP_SENDERS_BOTH)
            set_attr(content, "senders", jsdp_senders_to_string(c->senders));
        if (c->has_description)
            print_description(content, c);
        if (c->transport != NULL)
            print_transport(&jp, content, c, i);
        printed++;
    }
    if (printed == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED, "no content to print as Jingle");
        return NULL;
    }
    for (guint i = 0; i < s->groups->len; i++) {
        const JsdpGroup *g = g_ptr_array_index(s->groups, i);
        xmlNode *n = new_el_ns(j, "group", JSDP_NS_GROUPING);
        set_attr(n, "semantics", g->semantics);
        for (guint k = 0; k < g->names->len; k++) {
            const char *name = g_ptr_array_index(g->names, k);
            const JsdpContent *c = jsdp_session_get_content(s, name);
            if (c != NULL && c->rejected) {
                jsdp_warn(jp.params->warnings,
                          "rejected content '%.32s' removed from group '%.16s'", name, g->semantics);
                continue;
            }
            set_attr(new_el(n, "content"), "name", name);
        }
        if (n->children == NULL) {
            xmlUnlinkNode(n);
            xmlFreeNode(n);
        }
    }
    return g_steal_pointer(&j);
}

char *
jsdp_session_to_jingle_string(const JsdpSession *s, const JsdpJinglePrintParams *params,
                              GError **error)
{
    g_autoptr(xmlNode) j = jsdp_session_to_jingle(s, params, error);
    xmlBufferPtr buf;
    char *out;

    if (j == NULL)
        return NULL;
    buf = xmlBufferCreate();
    xmlNodeDump(buf, NULL, j, 0, 1);
    out = g_strndup((const char *)xmlBufferContent(buf), (gsize)xmlBufferLength(buf));
    xmlBufferFree(buf);
    return out;
}
