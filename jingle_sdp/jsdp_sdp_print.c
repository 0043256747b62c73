/* jsdp_sdp_print.c: JsdpSession -> SDP text (CRLF).
 *
 * Full SDP (offer/answer) when every content has a description; an RFC 8840
 * fragment (no v=/o=/s=/t=, placeholder m= lines) when some content has
 * none, as in transport-info.  Everything comes from the model and the
 * params: no clock, no randomness, so the output is deterministic.
 */
#include "jsdp_private.h"

typedef struct {
    const JsdpSdpPrintParams *params;
    GString *out;
} Printer;

static const char *
addrtype(const char *addr)
{
    return strchr(addr, ':') != NULL ? "IP6" : "IP4";
}

static void
line(Printer *pr, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
line(Printer *pr, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(pr->out, fmt, ap);
    va_end(ap);
    g_string_append(pr->out, "\r\n");
}

char *
jsdp_candidate_to_sdp_line(const JsdpCandidate *c)
{
    GString *s;

    g_return_val_if_fail(c != NULL, NULL);
    s = g_string_sized_new(128);
    g_string_append_printf(s, "candidate:%s %u %s %u %s %u typ %s",
                           c->foundation ? c->foundation : "1", c->component,
                           c->protocol ? c->protocol : "udp", c->priority,
                           c->ip ? c->ip : "0.0.0.0", c->port,
                           jsdp_candidate_type_to_string(c->type));
    if (c->rel_addr != NULL)
        g_string_append_printf(s, " raddr %s", c->rel_addr);
    if (c->rel_port >= 0)
        g_string_append_printf(s, " rport %d", c->rel_port);
    if (c->tcptype != JSDP_TCPTYPE_NONE)
        g_string_append_printf(s, " tcptype %s", jsdp_tcptype_to_string(c->tcptype));
    g_string_append_printf(s, " generation %u", c->generation);
    if (c->network >= 0)
        g_string_append_printf(s, " network-id %d", c->network);
    return g_string_free(s, FALSE);
}

static void
print_candidates(Printer *pr, const JsdpTransport *t)
{
    for (guint i = 0; i < t->candidates->len; i++) {
        g_autofree char *l = jsdp_candidate_to_sdp_line(g_ptr_array_index(t->candidates, i));
        line(pr, "a=%s", l);
    }
    if (t->end_of_candidates)
        line(pr, "a=end-of-candidates");
}

static void
print_dtls(Printer *pr, const JsdpTransport *t)
{
    for (guint i = 0; i < t->fingerprints->len; i++) {
        const JsdpFingerprint *f = g_ptr_array_index(t->fingerprints, i);
        line(pr, "a=fingerprint:%s %s", f->hash, f->value);
    }
    if (t->fingerprints->len > 0 && t->setup != JSDP_SETUP_UNSET)
        line(pr, "a=setup:%s", jsdp_setup_to_string(t->setup));
}

static void
print_fmtp(Printer *pr, const JsdpPayloadType *pt)
{
    GString *s;

    if (pt->parameters->len == 0)
        return;
    s = g_string_new(NULL);
    for (guint i = 0; i < pt->parameters->len; i++) {
        const JsdpParameter *p = g_ptr_array_index(pt->parameters, i);
        if (i > 0)
            g_string_append_c(s, ';');
        if (*p->name != '\0')
            g_string_append_printf(s, "%s=%s", p->name, p->value ? p->value : "");
        else
            g_string_append(s, p->value ? p->value : "");
    }
    line(pr, "a=fmtp:%u %s", pt->id, s->str);
    g_string_free(s, TRUE);
}

static void
print_rtcp_fb(Printer *pr, const char *pt, const GPtrArray *fbs, gint64 trr_int)
{
    for (guint i = 0; i < fbs->len; i++) {
        const JsdpRtcpFb *fb = g_ptr_array_index(fbs, i);
        if (fb->subtype != NULL)
            line(pr, "a=rtcp-fb:%s %s %s", pt, fb->type, fb->subtype);
        else
            line(pr, "a=rtcp-fb:%s %s", pt, fb->type);
    }
    if (trr_int >= 0)
        line(pr, "a=rtcp-fb:%s trr-int %" G_GINT64_FORMAT, pt, trr_int);
}

/* SDP has one a=ptime (a=maxptime) per m= section, Jingle one per payload
 * type (XEP-0167 §6): print the first one set, warn if others differ. */
static void
print_ptime(Printer *pr, const JsdpContent *c, gboolean max)
{
    guint value = 0;
    gboolean differ = FALSE;

    for (guint i = 0; i < c->payload_types->len; i++) {
        const JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
        const JsdpPayloadType *first = g_ptr_array_index(c->payload_types, 0);
        guint v = max ? pt->maxptime : pt->ptime;
        differ |= v != (max ? first->maxptime : first->ptime);
        if (value == 0)
            value = v;
    }
    if (differ)
        jsdp_warn(pr->params->warnings,
                  "content '%.32s': payload types differ in %s; SDP carries one (%u)",
                  c->name, max ? "maxptime" : "ptime", value);
    if (value != 0)
        line(pr, "a=%s:%u", max ? "maxptime" : "ptime", value);
}

static void
print_payload_types(Printer *pr, const JsdpContent *c)
{
    for (guint i = 0; i < c->payload_types->len; i++) {
        const JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
        char id[8];

        if (pt->name != NULL && pt->clockrate != 0) {
            if (pt->channels != 1)
                line(pr, "a=rtpmap:%u %s/%u/%u", pt->id, pt->name, pt->clockrate, pt->channels);
            else
                line(pr, "a=rtpmap:%u %s/%u", pt->id, pt->name, pt->clockrate);
        }
        print_fmtp(pr, pt);
        g_snprintf(id, sizeof(id), "%u", pt->id);
        print_rtcp_fb(pr, id, pt->rtcp_fb, pt->trr_int);
    }
    print_rtcp_fb(pr, "*", c->rtcp_fb, c->trr_int);
    print_ptime(pr, c, FALSE);
    print_ptime(pr, c, TRUE);
}

static void
print_sources(Printer *pr, const JsdpContent *c)
{
    for (guint i = 0; i < c->ssrc_groups->len; i++) {
        const JsdpSsrcGroup *g = g_ptr_array_index(c->ssrc_groups, i);
        GString *s = g_string_new(NULL);
        for (guint j = 0; j < g->ssrcs->len; j++)
            g_string_append_printf(s, " %u", g_array_index(g->ssrcs, guint32, j));
        line(pr, "a=ssrc-group:%s%s", g->semantics, s->str);
        g_string_free(s, TRUE);
    }
    for (guint i = 0; i < c->sources->len; i++) {
        const JsdpSource *src = g_ptr_array_index(c->sources, i);
        if (src->parameters->len == 0)
            jsdp_warn(pr->params->warnings,
                      "source %u without parameters not carried by SDP (a=ssrc needs one)",
                      src->ssrc);
        for (guint j = 0; j < src->parameters->len; j++) {
            const JsdpParameter *p = g_ptr_array_index(src->parameters, j);
            if (p->value != NULL)
                line(pr, "a=ssrc:%u %s:%s", src->ssrc, *p->name ? p->name : "x-unnamed", p->value);
            else
                line(pr, "a=ssrc:%u %s", src->ssrc, *p->name ? p->name : "x-unnamed");
        }
    }
}

static gboolean
print_classic(const Printer *pr, const JsdpTransport *t)
{
    if (t == NULL)
        return TRUE;
    if (t->type == JSDP_TRANSPORT_RAW_UDP || pr->params->classic)
        return TRUE;
    return t->ufrag == NULL || t->pwd == NULL;
}

static void
print_description(Printer *pr, const JsdpContent *c)
{
    for (guint i = 0; i < c->hdrexts->len; i++) {
        const JsdpHdrext *h = g_ptr_array_index(c->hdrexts, i);
        if (h->senders != JSDP_SENDERS_BOTH)
            line(pr, "a=extmap:%u/%s %s", h->id,
                 jsdp_senders_to_direction(h->senders, pr->params->author), h->uri);
        else
            line(pr, "a=extmap:%u %s", h->id, h->uri);
    }
    if (c->extmap_allow_mixed)
        line(pr, "a=extmap-allow-mixed");
    line(pr, "a=%s", jsdp_senders_to_direction(c->senders, pr->params->author));
    if (c->msid_stream != NULL)
        line(pr, "a=msid:%s%s%s", c->msid_stream, c->msid_track ? " " : "",
             c->msid_track ? c->msid_track : "");
    if (c->rtcp_mux)
        line(pr, "a=rtcp-mux");
    if (c->rtcp_rsize)
        line(pr, "a=rtcp-rsize");
    for (guint i = 0; i < c->cryptos->len; i++) {
        const JsdpCrypto *k = g_ptr_array_index(c->cryptos, i);
        line(pr, "a=crypto:%u %s %s%s%s", k->tag, k->suite, k->key_params,
             k->session_params ? " " : "", k->session_params ? k->session_params : "");
    }
    print_payload_types(pr, c);
    print_sources(pr, c);
}

/* What classic SDP (c=, port, a=rtcp) cannot say about a transport. */
static void
warn_classic_losses(Printer *pr, const JsdpContent *c, const JsdpCandidate *def,
                    const JsdpCandidate *rtcp)
{
    const JsdpTransport *t = c->transport;

    if (t->type == JSDP_TRANSPORT_ICE_UDP && (t->candidates->len > 0 || t->end_of_candidates))
        jsdp_warn(pr->params->warnings,
                  "content '%.32s': ICE transport printed as classic SDP (c=/port of one "
                  "candidate per component)", c->name);
    for (guint i = 0; i < t->candidates->len; i++) {
        const JsdpCandidate *k = g_ptr_array_index(t->candidates, i);
        if (k != def && k != rtcp && t->type == JSDP_TRANSPORT_RAW_UDP)
            jsdp_warn(pr->params->warnings,
                      "content '%.32s': Raw-UDP candidate beyond one per component 1/2 "
                      "not carried by SDP", c->name);
        if (t->type == JSDP_TRANSPORT_RAW_UDP && k->generation != 0)
            jsdp_warn(pr->params->warnings,
                      "content '%.32s': Raw-UDP candidate generation not carried by SDP",
                      c->name);
    }
}

/* Classic endpoints do without a=mid; we leave it out when the parser
 * would derive the same content name from the media anyway. */
static gboolean
mid_needed(const JsdpSession *s, guint index)
{
    const JsdpContent *c = g_ptr_array_index(s->contents, index);
    g_autofree char *derived = g_strdup(c->media);

    if (s->groups->len > 0)
        return TRUE;
    for (guint k = 1;; k++) {
        gboolean used = FALSE;
        for (guint i = 0; i < index && !used; i++)
            used = g_strcmp0(((JsdpContent *)g_ptr_array_index(s->contents, i))->name, derived) == 0;
        if (!used)
            break;
        g_free(derived);
        derived = g_strdup_printf("%s-%u", c->media, k);
    }
    return g_strcmp0(derived, c->name) != 0;
}

static gboolean
print_content(Printer *pr, const JsdpContent *c, gboolean mid, GError **error)
{
    const JsdpTransport *t = c->transport;
    gboolean classic = print_classic(pr, t);
    const JsdpCandidate *def = jsdp_transport_default_candidate(
        t, 1, classic ? pr->params->classic_candidate_id : NULL);
    const JsdpCandidate *rtcp = classic ? jsdp_transport_default_candidate(t, 2, NULL) : NULL;
    const char *addr = def ? def->ip : "0.0.0.0";
    GString *fmts = g_string_new(NULL);

    if (t != NULL && classic && !c->rejected)
        warn_classic_losses(pr, c, def, rtcp);
    if (c->payload_types->len == 0) {
        g_string_free(fmts, TRUE);
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "content '%.32s' has no payload type (an m= line needs one)", c->name);
        return FALSE;
    }
    for (guint i = 0; i < c->payload_types->len; i++)
        g_string_append_printf(fmts, " %u", ((JsdpPayloadType *)g_ptr_array_index(c->payload_types, i))->id);
    line(pr, "m=%s %u %s%s", c->media, c->rejected ? 0u : (def ? def->port : 9u),
         jsdp_content_derive_proto(c), fmts->str);
    g_string_free(fmts, TRUE);
    line(pr, "c=IN %s %s", addrtype(addr), addr);
    for (guint i = 0; i < c->bandwidths->len; i++) {
        const JsdpBandwidth *b = g_ptr_array_index(c->bandwidths, i);
        line(pr, "b=%s:%" G_GUINT64_FORMAT, b->type, b->value);
    }
    if (rtcp != NULL && !c->rejected) {
        if (g_strcmp0(rtcp->ip, addr) != 0)
            line(pr, "a=rtcp:%u IN %s %s", rtcp->port, addrtype(rtcp->ip), rtcp->ip);
        else
            line(pr, "a=rtcp:%u", rtcp->port);
    }
    if (t != NULL && !classic && !c->rejected) {
        line(pr, "a=ice-ufrag:%s", t->ufrag);
        line(pr, "a=ice-pwd:%s", t->pwd);
        line(pr, "a=ice-options:trickle");
    }
    if (t != NULL && !c->rejected)
        print_dtls(pr, t);
    if (!classic || mid)
        line(pr, "a=mid:%s", c->name);
    print_description(pr, c);
    if (t != NULL && !classic && !c->rejected)
        print_candidates(pr, t);
    return TRUE;
}

/* RFC 8840 §9: placeholder m= line, then the transport of one content. */
static void
print_fragment_content(Printer *pr, const JsdpContent *c)
{
    const JsdpTransport *t = c->transport;
    gboolean raw = t != NULL && (t->type == JSDP_TRANSPORT_RAW_UDP || t->ufrag == NULL);
    const JsdpCandidate *def = raw ? jsdp_transport_default_candidate(t, 1, NULL) : NULL;
    const JsdpCandidate *rtcp = raw ? jsdp_transport_default_candidate(t, 2, NULL) : NULL;
    const char *addr = def ? def->ip : "0.0.0.0";

    if (c->has_description)
        jsdp_warn(pr->params->warnings,
                  "description of '%.32s' not printed in an SDP fragment", c->name);
    if (raw)
        warn_classic_losses(pr, c, def, rtcp);
    line(pr, "m=%s %u %s 0", c->media ? c->media : "audio", def ? def->port : 9u,
         t != NULL && t->fingerprints->len > 0 ? "UDP/TLS/RTP/SAVPF" : "RTP/AVP");
    line(pr, "c=IN %s %s", addrtype(addr), addr);
    if (rtcp != NULL)
        line(pr, "a=rtcp:%u IN %s %s", rtcp->port, addrtype(rtcp->ip), rtcp->ip);
    line(pr, "a=mid:%s", c->name);
    if (c->senders != JSDP_SENDERS_BOTH)
        line(pr, "a=%s", jsdp_senders_to_direction(c->senders, pr->params->author));
    if (t == NULL)
        return;
    if (t->ufrag != NULL && t->pwd != NULL && t->type == JSDP_TRANSPORT_ICE_UDP) {
        line(pr, "a=ice-ufrag:%s", t->ufrag);
        line(pr, "a=ice-pwd:%s", t->pwd);
    }
    print_dtls(pr, t);
    if (!raw)
        print_candidates(pr, t);
}

static void
warn_unportable(const JsdpSdpPrintParams *params, const JsdpContent *c)
{
    if (c->creator == JSDP_ROLE_RESPONDER)
        jsdp_warn(params->warnings, "content '%.32s': creator 'responder' not carried by SDP",
                  c->name);
}

char *
jsdp_session_to_sdp(const JsdpSession *s, const JsdpSdpPrintParams *params, GError **error)
{
    static const JsdpSdpPrintParams defaults = {0};
    g_autoptr(GString) out = NULL;
    Printer pr;
    gboolean fragment;

    g_return_val_if_fail(s != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (params == NULL)
        params = &defaults;
    if (s->contents->len == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED, "no content to print as SDP");
        return NULL;
    }
    out = g_string_sized_new(2048);
    pr.params = params;
    pr.out = out;
    fragment = s->fragment;
    for (guint i = 0; i < s->contents->len; i++)
        fragment |= !((JsdpContent *)g_ptr_array_index(s->contents, i))->has_description;
    if (!fragment) {
        const char *oaddr = params->origin_address ? params->origin_address : "0.0.0.0";
        line(&pr, "v=0");
        line(&pr, "o=%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN %s %s",
             params->username ? params->username : "-", params->session_id,
             params->session_version, addrtype(oaddr), oaddr);
        line(&pr, "s=%s", params->session_name ? params->session_name : "-");
        line(&pr, "t=0 0");
    }
    {
        for (guint i = 0; i < s->groups->len; i++) {
            const JsdpGroup *g = g_ptr_array_index(s->groups, i);
            GString *names = g_string_new(NULL);
            for (guint j = 0; j < g->names->len; j++)
                g_string_append_printf(names, " %s", (char *)g_ptr_array_index(g->names, j));
            line(&pr, "a=group:%s%s", g->semantics, names->str);
            g_string_free(names, TRUE);
        }
    }
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        warn_unportable(params, c);
        if (fragment)
            print_fragment_content(&pr, c);
        else if (!print_content(&pr, c, mid_needed(s, i), error))
            return NULL;
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}
