/* jsdp_jingle_print.c: JsdpSession -> <jingle xmlns='urn:xmpp:jingle:1'>.
 *
 * Writes XML text directly (2-space indentation, the way libxml2's
 * formatted dump looks), escaping every attribute value and text: building
 * a libxml2 tree and dumping it cost ~3x more (tests/bench/bench_jsdp.c).
 * jsdp_session_to_jingle() returns a libxml2 tree made from that text, so
 * both forms always agree.  Every namespace is declared on the element
 * that introduces it.
 */
#include "jsdp_private.h"

typedef struct {
    JsdpBuf *s;
    guint depth;
    gboolean tag_open; /* "<name attrs" written, '>' not yet */
    gboolean has_text;
} Emitter;

typedef struct {
    const JsdpJinglePrintParams *params;
    Emitter e;
} JPrinter;

static void
escape(JsdpBuf *s, const char *v, gboolean attr)
{
    const char *run = v;
    gsize plain = strcspn(v, attr ? "<>&\"\n\t\r" : "<>&\r");

    if (v[plain] == '\0') { /* the common case: nothing to escape */
        jsdp_buf_append_len(s, v, plain);
        return;
    }

    for (const char *p = v; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = attr ? "&quot;" : NULL; break;
        case '\n': rep = attr ? "&#10;" : NULL; break;
        case '\t': rep = attr ? "&#9;" : NULL; break;
        case '\r': rep = "&#13;"; break;
        default: break;
        }
        if (rep != NULL) {
            jsdp_buf_append_len(s, run, (gsize)(p - run));
            jsdp_buf_append(s, rep);
            run = p + 1;
        }
    }
    jsdp_buf_append(s, run);
}

static void
indent(Emitter *e)
{
    static const char spaces[] = "                                                                ";
    guint n = MIN(e->depth * 2, sizeof(spaces) - 1);

    jsdp_buf_append_len(e->s, spaces, n);
}

static void
el_open(Emitter *e, const char *name, const char *ns)
{
    if (e->tag_open)
        jsdp_buf_append_len(e->s, ">\n", 2);
    indent(e);
    jsdp_buf_append_c(e->s, '<');
    jsdp_buf_append(e->s, name);
    if (ns != NULL) {
        jsdp_buf_append(e->s, " xmlns=\"");
        jsdp_buf_append(e->s, ns);
        jsdp_buf_append_c(e->s, '"');
    }
    e->tag_open = TRUE;
    e->has_text = FALSE;
    e->depth++;
}

static void
set_attr(Emitter *e, const char *name, const char *value)
{
    if (value == NULL)
        return;
    jsdp_buf_append_c(e->s, ' ');
    jsdp_buf_append(e->s, name);
    jsdp_buf_append_len(e->s, "=\"", 2);
    escape(e->s, value, TRUE);
    jsdp_buf_append_c(e->s, '"');
}

#define append_uint jsdp_buf_append_u64

static void
set_uint(Emitter *e, const char *name, guint64 value)
{
    jsdp_buf_append_c(e->s, ' ');
    jsdp_buf_append(e->s, name);
    jsdp_buf_append_len(e->s, "=\"", 2);
    append_uint(e->s, value);
    jsdp_buf_append_c(e->s, '"');
}

static void
el_text(Emitter *e, const char *text)
{
    jsdp_buf_append_c(e->s, '>');
    escape(e->s, text, FALSE);
    e->tag_open = FALSE;
    e->has_text = TRUE;
}

static void
el_close(Emitter *e, const char *name)
{
    e->depth--;
    if (e->tag_open) {
        jsdp_buf_append_len(e->s, "/>", 2);
    } else {
        if (!e->has_text)
            indent(e);
        jsdp_buf_append_len(e->s, "</", 2);
        jsdp_buf_append(e->s, name);
        jsdp_buf_append_c(e->s, '>');
    }
    if (e->depth > 0)
        jsdp_buf_append_c(e->s, '\n');
    e->tag_open = FALSE;
    e->has_text = FALSE;
}

/* Opens an element for a caller that adds nothing to it. */
static void
el_empty(Emitter *e, const char *name, const char *ns)
{
    el_open(e, name, ns);
    el_close(e, name);
}

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

static void
xml_set_attr(xmlNode *n, const char *name, const char *value)
{
    if (value != NULL)
        xmlNewProp(n, BAD_CAST name, BAD_CAST value);
}

static void
xml_set_uint(xmlNode *n, const char *name, guint64 value)
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
    xml_set_uint(n, "component", c->component);
    if (!raw)
        xml_set_attr(n, "foundation", c->foundation ? c->foundation : "1");
    xml_set_uint(n, "generation", c->generation);
    xml_set_attr(n, "id", c->id ? c->id : id);
    xml_set_attr(n, "ip", c->ip);
    if (!raw && c->network >= 0)
        xml_set_uint(n, "network", (guint64)c->network);
    xml_set_uint(n, "port", c->port);
    if (raw)
        return n;
    xml_set_uint(n, "priority", c->priority);
    xml_set_attr(n, "protocol", c->protocol ? c->protocol : "udp");
    if (c->rel_addr != NULL)
        xml_set_attr(n, "rel-addr", c->rel_addr);
    if (c->rel_port >= 0)
        xml_set_uint(n, "rel-port", (guint64)c->rel_port);
    if (c->tcptype != JSDP_TCPTYPE_NONE)
        xml_set_attr(n, "tcptype", jsdp_tcptype_to_string(c->tcptype));
    xml_set_attr(n, "type", jsdp_candidate_type_to_string(c->type));
    return n;
}

/* Same attributes, same order, as jsdp_candidate_to_xml(). */
static void
print_candidate(Emitter *e, const JsdpCandidate *c, gboolean raw, const char *id)
{
    el_open(e, "candidate", NULL);
    set_uint(e, "component", c->component);
    if (!raw)
        set_attr(e, "foundation", c->foundation ? c->foundation : "1");
    set_uint(e, "generation", c->generation);
    set_attr(e, "id", c->id ? c->id : id);
    set_attr(e, "ip", c->ip);
    if (!raw && c->network >= 0)
        set_uint(e, "network", (guint64)c->network);
    set_uint(e, "port", c->port);
    if (!raw) {
        set_uint(e, "priority", c->priority);
        set_attr(e, "protocol", c->protocol ? c->protocol : "udp");
        if (c->rel_addr != NULL)
            set_attr(e, "rel-addr", c->rel_addr);
        if (c->rel_port >= 0)
            set_uint(e, "rel-port", (guint64)c->rel_port);
        if (c->tcptype != JSDP_TCPTYPE_NONE)
            set_attr(e, "tcptype", jsdp_tcptype_to_string(c->tcptype));
        set_attr(e, "type", jsdp_candidate_type_to_string(c->type));
    }
    el_close(e, "candidate");
}

/* Decimal digits of v at dst (no NUL); returns their count (<= 10). */
static gsize
put_uint(char *dst, guint v)
{
    char tmp[12];
    gsize n = 0, i = 0;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0)
        dst[i++] = tmp[--n];
    return i;
}

/* XEP-0343: the data channel's SCTP port and protocol. */
static void
print_sctpmap(Emitter *e, const JsdpContent *c)
{
    el_open(e, "sctpmap", JSDP_NS_DTLS_SCTP);
    set_uint(e, "number", c->sctp_port);
    set_attr(e, "protocol", c->sctp_protocol);
    if (c->sctp_streams != 0)
        set_uint(e, "streams", c->sctp_streams);
    el_close(e, "sctpmap");
}

static void
print_transport(JPrinter *jp, const JsdpContent *c, guint index)
{
    Emitter *e = &jp->e;
    const JsdpTransport *t = c->transport;
    gboolean raw = t->type == JSDP_TRANSPORT_RAW_UDP;
    const char *prefix = jp->params->candidate_id_prefix ? jp->params->candidate_id_prefix : "c";

    el_open(e, "transport", raw ? JSDP_NS_RAW_UDP : JSDP_NS_ICE_UDP);
    if (!raw) {
        set_attr(e, "pwd", t->pwd);
        set_attr(e, "ufrag", t->ufrag);
    }
    for (guint i = 0; i < t->fingerprints->len; i++) {
        const JsdpFingerprint *f = g_ptr_array_index(t->fingerprints, i);
        el_open(e, "fingerprint", JSDP_NS_DTLS);
        set_attr(e, "hash", f->hash);
        set_attr(e, "setup", jsdp_setup_to_string(t->setup));
        el_text(e, f->value);
        el_close(e, "fingerprint");
    }
    if (c->sctp_port != 0)
        print_sctpmap(e, c);
    if (t->setup == JSDP_SETUP_ACTPASS && g_strcmp0(jp->params->action, "session-accept") == 0)
        jsdp_warn(jp->params->warnings,
                  "content '%.32s': session-accept with setup 'actpass' (an answer must "
                  "say active or passive)", c->name);
    for (guint i = 0; i < t->candidates->len; i++) {
        const JsdpCandidate *k = g_ptr_array_index(t->candidates, i);
        char id[64];
        if (k->id == NULL) {
            gsize pl = MIN(strlen(prefix), 40);
            memcpy(id, prefix, pl);
            pl += put_uint(id + pl, index);
            id[pl++] = '-';
            pl += put_uint(id + pl, i);
            id[pl] = '\0';
        }
        print_candidate(e, k, raw, k->id ? k->id : id);
    }
    if (t->end_of_candidates) {
        if (raw)
            jsdp_warn(jp->params->warnings, "end-of-candidates on a Raw-UDP transport dropped");
        else
            el_empty(e, "gathering-complete", NULL);
    }
    el_close(e, "transport");
}

static void
print_parameters(Emitter *e, const GPtrArray *params)
{
    for (guint i = 0; i < params->len; i++) {
        const JsdpParameter *p = g_ptr_array_index(params, i);
        el_open(e, "parameter", NULL);
        set_attr(e, "name", p->name);
        set_attr(e, "value", p->value);
        el_close(e, "parameter");
    }
}

/* The fmtp items of a payload-type.  A nameless one ("0-15" of
 * telephone-event, "111/111" of RFC 2198 red) has no form that every
 * client reads right; what each does with <parameter>, read in its code:
 *   Conversations  (iNPUTmice/Conversations@0677ddc5, xmpp/jingle/
 *                  SessionDescription.java ~L189, stanzas/RtpDescription
 *                  .java Parameter.toSdpString): a lone parameter becomes
 *                  "id value" if its name is missing or empty, "id name=
 *                  value" otherwise, and throws (call fails) without a
 *                  value; with several, each needs name and value.  Before
 *                  7bcb29c4 (June 2020) a missing name threw too.
 *   StanzaJS       (stanza 12.22.1, jxt/Types.js createAttributeField and
 *                  parameterMap, sdp 3.2.2 writeFmtp): an empty or missing
 *                  name reads as undefined, printed "undefined=0-15"; only
 *                  name='0-15' without value prints "0-15".
 *   Gajim          (gajim/gajim@67350349, common/jingle_rtp.py
 *                  __on_remote_codecs): add_optional_parameter(p["name"],
 *                  str(p["value"])): a missing name is None, which the
 *                  Farstream C call does not take, a missing value the
 *                  text "None"; Farstream (fs-rtp-codec-specific.c,
 *                  param_telephone_events) takes name "" or "events" as
 *                  the events list.
 *   Movim          (movim/movim@bf786260, Librairies/JingletoSDP.php
 *                  ~L201): "name=" when a name attribute exists (PHP isset
 *                  is true for an empty one), then the value: name='' gives
 *                  "=0-15", name='0-15' "0-15=", no name "0-15".
 *   Dino           (dino/dino@45723ac2, xep/0167_jingle_rtp/payload_type
 *                  .vala): a map by name; no telephone-event, reads only
 *                  useinbandfec: any form with a name is harmless.
 * So: telephone-event's "0-15" is left out, the one form all five read
 * right (RFC 4733 7.1.1: no events list means 0-15); any other nameless
 * item is name='' value='...', right in Conversations and Farstream,
 * harmless in Dino, misread but not fatal in StanzaJS and Movim, where
 * name='...' would make Conversations fail and no name would fail Gajim.
 * Our parser reads all of these forms (jsdp_jingle_parse.c). */
static void
print_fmtp_parameters(Emitter *e, const JsdpPayloadType *pt)
{
    for (guint i = 0; i < pt->parameters->len; i++) {
        const JsdpParameter *p = g_ptr_array_index(pt->parameters, i);
        if (jsdp_parameter_is_default(pt, p))
            continue;
        el_open(e, "parameter", NULL);
        set_attr(e, "name", p->name);
        set_attr(e, "value", p->value);
        el_close(e, "parameter");
    }
}

static void
print_one_rtcp_fb(Emitter *e, const JsdpRtcpFb *fb)
{
    el_open(e, "rtcp-fb", JSDP_NS_RTCP_FB);
    set_attr(e, "type", fb->type);
    set_attr(e, "subtype", fb->subtype);
    el_close(e, "rtcp-fb");
}

static void
print_trr_int(Emitter *e, gint64 trr_int)
{
    if (trr_int < 0)
        return;
    el_open(e, "rtcp-fb-trr-int", JSDP_NS_RTCP_FB);
    set_uint(e, "value", (guint64)trr_int);
    el_close(e, "rtcp-fb-trr-int");
}

static void
print_rtcp_fb(Emitter *e, const GPtrArray *fbs, gint64 trr_int)
{
    for (guint i = 0; i < fbs->len; i++)
        print_one_rtcp_fb(e, g_ptr_array_index(fbs, i));
    print_trr_int(e, trr_int);
}

static gboolean
has_rtcp_fb(const GPtrArray *fbs, const JsdpRtcpFb *fb)
{
    for (guint i = 0; i < fbs->len; i++) {
        const JsdpRtcpFb *k = g_ptr_array_index(fbs, i);
        if (strcmp(k->type, fb->type) == 0 && g_strcmp0(k->subtype, fb->subtype) == 0)
            return TRUE;
    }
    return FALSE;
}

/* XEP-0293 lets feedback for every payload type (a=rtcp-fb:*) be a child
 * of <description>, but StanzaJS (Protocol.js convertContentToIntermediate)
 * and Dino (xep/0167_jingle_rtp/payload_type.vala) read it only inside
 * <payload-type>, where Conversations and Movim read it as well: so each
 * payload type carries its own feedback and that of the content
 * (RFC 4585 4.2: '*' applies to all the m= line's formats), and
 * jsdp_session_equal() compares them so. */
static void
print_payload_rtcp_fb(Emitter *e, const JsdpContent *c, const JsdpPayloadType *pt)
{
    for (guint i = 0; i < pt->rtcp_fb->len; i++)
        print_one_rtcp_fb(e, g_ptr_array_index(pt->rtcp_fb, i));
    for (guint i = 0; i < c->rtcp_fb->len; i++) {
        const JsdpRtcpFb *fb = g_ptr_array_index(c->rtcp_fb, i);
        if (!has_rtcp_fb(pt->rtcp_fb, fb))
            print_one_rtcp_fb(e, fb);
    }
    print_trr_int(e, pt->trr_int >= 0 ? pt->trr_int : c->trr_int);
}

static void
print_payload_types(Emitter *e, const JsdpContent *c)
{
    for (guint i = 0; i < c->payload_types->len; i++) {
        const JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);

        el_open(e, "payload-type", NULL);
        if (pt->channels != 1)
            set_uint(e, "channels", pt->channels);
        if (pt->clockrate != 0)
            set_uint(e, "clockrate", pt->clockrate);
        set_uint(e, "id", pt->id);
        if (pt->maxptime != 0)
            set_uint(e, "maxptime", pt->maxptime);
        set_attr(e, "name", pt->name);
        if (pt->ptime != 0)
            set_uint(e, "ptime", pt->ptime);
        print_fmtp_parameters(e, pt);
        print_payload_rtcp_fb(e, c, pt);
        el_close(e, "payload-type");
    }
}

static void
print_ssrc_group(Emitter *e, const JsdpSsrcGroup *g)
{
    el_open(e, "ssrc-group", JSDP_NS_SSMA);
    set_attr(e, "semantics", g->semantics);
    for (guint j = 0; j < g->ssrcs->len; j++) {
        el_open(e, "source", NULL);
        set_uint(e, "ssrc", g_array_index(g->ssrcs, guint32, j));
        el_close(e, "source");
    }
    el_close(e, "ssrc-group");
}

static void
print_sources(Emitter *e, const JsdpContent *c)
{
    /* FID groups first: their order means nothing (RFC 5576), but StanzaJS
     * takes the first group for the FID one whatever it is
     * (Protocol.js convertContentToIntermediate: "TODO: actually look for
     * a FID one"), and would read a SIM or FEC-FR member as the RTX SSRC. */
    for (guint pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < c->ssrc_groups->len; i++) {
            const JsdpSsrcGroup *g = g_ptr_array_index(c->ssrc_groups, i);
            if ((strcmp(g->semantics, "FID") == 0) == (pass == 0))
                print_ssrc_group(e, g);
        }
    }
    for (guint i = 0; i < c->sources->len; i++) {
        const JsdpSource *src = g_ptr_array_index(c->sources, i);
        el_open(e, "source", JSDP_NS_SSMA);
        set_uint(e, "ssrc", src->ssrc);
        print_parameters(e, src->parameters);
        el_close(e, "source");
    }
}

static void
print_description(Emitter *e, const JsdpContent *c)
{
    el_open(e, "description", JSDP_NS_RTP);
    set_attr(e, "media", c->media);
    /* XEP-0167's ssrc of the stream: its first source, the primary one in
     * an SDP's order (RFC 5576 lists a=ssrc-group first, then the primary
     * SSRC's lines).  StanzaJS reads its SSRC and its FID group's RTX SSRC
     * only through it (Protocol.js convertContentToIntermediate: no
     * rtpEncodingParameters, hence no a=ssrc-group:FID, without it); our
     * parser takes it as said by the <source>. */
    if (c->sources->len > 0)
        set_uint(e, "ssrc", ((const JsdpSource *)g_ptr_array_index(c->sources, 0))->ssrc);
    print_payload_types(e, c);
    if (c->cryptos->len > 0) {
        el_open(e, "encryption", NULL);
        if (c->crypto_required)
            set_attr(e, "required", "1");
        for (guint i = 0; i < c->cryptos->len; i++) {
            const JsdpCrypto *k = g_ptr_array_index(c->cryptos, i);
            el_open(e, "crypto", NULL);
            set_attr(e, "crypto-suite", k->suite);
            set_attr(e, "key-params", k->key_params);
            set_attr(e, "session-params", k->session_params);
            set_uint(e, "tag", k->tag);
            el_close(e, "crypto");
        }
        el_close(e, "encryption");
    }
    for (guint i = 0; i < c->bandwidths->len; i++) {
        const JsdpBandwidth *b = g_ptr_array_index(c->bandwidths, i);
        char buf[24];
        el_open(e, "bandwidth", NULL);
        set_attr(e, "type", b->type);
        g_snprintf(buf, sizeof(buf), "%" G_GUINT64_FORMAT, b->value);
        el_text(e, buf);
        el_close(e, "bandwidth");
    }
    if (c->rtcp_mux)
        el_empty(e, "rtcp-mux", NULL);
    if (c->rtcp_rsize)
        el_empty(e, "rtcp-reduced-size", NULL);
    if (c->payload_types->len == 0) /* else in each <payload-type> */
        print_rtcp_fb(e, c->rtcp_fb, c->trr_int);
    for (guint i = 0; i < c->hdrexts->len; i++) {
        const JsdpHdrext *h = g_ptr_array_index(c->hdrexts, i);
        el_open(e, "rtp-hdrext", JSDP_NS_HDREXT);
        set_uint(e, "id", h->id);
        if (h->senders != JSDP_SENDERS_BOTH)
            set_attr(e, "senders", jsdp_senders_to_string(h->senders));
        set_attr(e, "uri", h->uri);
        el_close(e, "rtp-hdrext");
    }
    if (c->extmap_allow_mixed)
        el_empty(e, "extmap-allow-mixed", JSDP_NS_HDREXT);
    print_sources(e, c);
    if (c->msid_stream != NULL) {
        el_open(e, "stream", JSDP_NS_MSID);
        set_attr(e, "id", c->msid_stream);
        set_attr(e, "track", c->msid_track);
        el_close(e, "stream");
    }
    el_close(e, "description");
}

static void
print_group(JPrinter *jp, const JsdpSession *s, const JsdpGroup *g)
{
    Emitter *e = &jp->e;
    guint kept = 0;

    for (guint k = 0; k < g->names->len; k++) {
        const JsdpContent *c = jsdp_session_get_content(s, g_ptr_array_index(g->names, k));
        kept += c == NULL || !c->rejected;
    }
    if (kept == 0) {
        jsdp_warn(jp->params->warnings, "group '%.16s' of rejected contents dropped", g->semantics);
        return;
    }
    el_open(e, "group", JSDP_NS_GROUPING);
    set_attr(e, "semantics", g->semantics);
    for (guint k = 0; k < g->names->len; k++) {
        const char *name = g_ptr_array_index(g->names, k);
        const JsdpContent *c = jsdp_session_get_content(s, name);
        if (c != NULL && c->rejected) {
            jsdp_warn(jp->params->warnings,
                      "rejected content '%.32s' removed from group '%.16s'", name, g->semantics);
            continue;
        }
        el_open(e, "content", NULL);
        set_attr(e, "name", name);
        el_close(e, "content");
    }
    el_close(e, "group");
}

char *
jsdp_session_to_jingle_string(const JsdpSession *s, const JsdpJinglePrintParams *params,
                              GError **error)
{
    static const JsdpJinglePrintParams defaults = {0};
    JPrinter jp;
    Emitter *e = &jp.e;
    guint printed = 0;

    g_return_val_if_fail(s != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    jp.params = params ? params : &defaults;
    JsdpBuf out;

    memset(e, 0, sizeof(*e));
    jsdp_buf_init(&out, 16384);
    e->s = &out;
    el_open(e, "jingle", JSDP_NS_JINGLE);
    set_attr(e, "action", jp.params->action ? jp.params->action : "session-initiate");
    set_attr(e, "initiator", jp.params->initiator);
    set_attr(e, "responder", jp.params->responder);
    set_attr(e, "sid", jp.params->sid);
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);

        if (c->rejected) {
            /* XEP-0166 has no "rejected" marker inside a content: the
             * responder leaves it out and sends content-reject. */
            jsdp_warn(jp.params->warnings,
                      "content '%.32s' rejected (port 0): omitted from Jingle", c->name);
            continue;
        }
        el_open(e, "content", NULL);
        set_attr(e, "creator", c->creator == JSDP_ROLE_RESPONDER ? "responder" : "initiator");
        set_attr(e, "name", c->name);
        if (c->senders != JSDP_SENDERS_BOTH)
            set_attr(e, "senders", jsdp_senders_to_string(c->senders));
        if (c->has_description)
            print_description(e, c);
        if (c->transport != NULL) {
            print_transport(&jp, c, i);
        } else if (c->sctp_port != 0) {
            el_open(e, "transport", JSDP_NS_ICE_UDP);
            print_sctpmap(e, c);
            el_close(e, "transport");
        }
        el_close(e, "content");
        printed++;
    }
    if (printed == 0) {
        g_free(out.str);
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED, "no content to print as Jingle");
        return NULL;
    }
    for (guint i = 0; i < s->groups->len; i++)
        print_group(&jp, s, g_ptr_array_index(s->groups, i));
    el_close(e, "jingle");
    return out.str;
}

/* The tree form: our own text, read back by libxml2 (it is well-formed by
 * construction), so the two forms cannot drift apart. */
xmlNode *
jsdp_session_to_jingle(const JsdpSession *s, const JsdpJinglePrintParams *params, GError **error)
{
    g_autofree char *text = jsdp_session_to_jingle_string(s, params, error);
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *copy;

    if (text == NULL)
        return NULL;
    doc = xmlReadMemory(text, (int)strlen(text), NULL, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING | XML_PARSE_NODICT);
    g_assert(doc != NULL && xmlDocGetRootElement(doc) != NULL);
    copy = xmlDocCopyNode(xmlDocGetRootElement(doc), NULL, 1);
    g_assert(copy != NULL);
    return copy;
}
