/* jsdp_sdp_print.c: JsdpSession -> SDP text (CRLF).
 *
 * Full SDP (offer/answer) when every content has a description; an RFC 8840
 * fragment (no v=/o=/s=/t=, placeholder m= lines) when some content has
 * none, as in transport-info.  Everything comes from the model and the
 * params: no clock, no randomness, so the output is deterministic.
 */
#include "jsdp_private.h"

#include <stdarg.h>

typedef struct {
    const JsdpSdpPrintParams *params;
    JsdpBuf *out;
} Printer;

static const char *
addrtype(const char *addr)
{
    return strchr(addr, ':') != NULL ? "IP6" : "IP4";
}

static void
append_i64(JsdpBuf *s, gint64 v)
{
    if (v < 0) {
        jsdp_buf_append_c(s, '-');
        jsdp_buf_append_u64(s, (guint64)0 - (guint64)v);
    } else {
        jsdp_buf_append_u64(s, (guint64)v);
    }
}

/* A printf for the few conversions SDP lines use (%s %c %u %d %lu %li
 * %ld): vfprintf was a third of the printing time. */
static void
format(JsdpBuf *s, const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        const char *pct = strchr(p, '%');
        if (pct == NULL) {
            jsdp_buf_append(s, p);
            return;
        }
        jsdp_buf_append_len(s, p, (gsize)(pct - p));
        p = pct + 1;
        switch (*p) {
        case 's':
            jsdp_buf_append(s, va_arg(ap, const char *));
            break;
        case 'c':
            jsdp_buf_append_c(s, (char)va_arg(ap, int));
            break;
        case 'u':
            jsdp_buf_append_u64(s, va_arg(ap, unsigned int));
            break;
        case 'd':
            append_i64(s, va_arg(ap, int));
            break;
        case '%':
            jsdp_buf_append_c(s, '%');
            break;
        case 'l':
            p++;
            if (*p == 'u')
                jsdp_buf_append_u64(s, va_arg(ap, unsigned long));
            else
                append_i64(s, va_arg(ap, long));
            break;
        default:
            g_assert_not_reached();
        }
    }
}

static void G_GNUC_PRINTF(2, 3)
append(JsdpBuf *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    format(s, fmt, ap);
    va_end(ap);
}

static void G_GNUC_PRINTF(2, 3)
line(Printer *pr, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    format(pr->out, fmt, ap);
    va_end(ap);
    jsdp_buf_append_len(pr->out, "\r\n", 2);
}

static void
append_candidate(JsdpBuf *s, const JsdpCandidate *c)
{
    append(s, "candidate:%s %u %s %u %s %u typ %s",
                           c->foundation ? c->foundation : "1", c->component,
                           c->protocol ? c->protocol : "udp", c->priority,
                           c->ip ? c->ip : "0.0.0.0", c->port,
                           jsdp_candidate_type_to_string(c->type));
    if (c->rel_addr != NULL)
        append(s, " raddr %s", c->rel_addr);
    if (c->rel_port >= 0)
        append(s, " rport %d", c->rel_port);
    if (c->tcptype != JSDP_TCPTYPE_NONE)
        append(s, " tcptype %s", jsdp_tcptype_to_string(c->tcptype));
    append(s, " generation %u", c->generation);
    if (c->network >= 0)
        append(s, " network-id %d", c->network);
}

char *
jsdp_candidate_to_sdp_line(const JsdpCandidate *c)
{
    JsdpBuf s;

    g_return_val_if_fail(c != NULL, NULL);
    jsdp_buf_init(&s, 128);
    append_candidate(&s, c);
    return s.str;
}

static void
print_candidates(Printer *pr, const JsdpTransport *t)
{
    for (guint i = 0; i < t->candidates->len; i++) {
        jsdp_buf_append_len(pr->out, "a=", 2);
        append_candidate(pr->out, g_ptr_array_index(t->candidates, i));
        jsdp_buf_append_len(pr->out, "\r\n", 2);
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
    JsdpBuf *s = pr->out;

    if (pt->parameters->len == 0)
        return;
    append(s, "a=fmtp:%u ", pt->id);
    for (guint i = 0; i < pt->parameters->len; i++) {
        const JsdpParameter *p = g_ptr_array_index(pt->parameters, i);
        if (i > 0)
            jsdp_buf_append_c(s, ';');
        if (*p->name != '\0')
            append(s, "%s=%s", p->name, p->value ? p->value : "");
        else
            jsdp_buf_append(s, p->value ? p->value : "");
    }
    jsdp_buf_append_len(s, "\r\n", 2);
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
        char id[4];
        guint v = pt->id, k = 0;

        if (pt->name != NULL && pt->clockrate != 0) {
            if (pt->channels != 1)
                line(pr, "a=rtpmap:%u %s/%u/%u", pt->id, pt->name, pt->clockrate, pt->channels);
            else
                line(pr, "a=rtpmap:%u %s/%u", pt->id, pt->name, pt->clockrate);
        }
        print_fmtp(pr, pt);
        /* pt->id is 0-127 */
        if (v >= 100)
            id[k++] = (char)('0' + v / 100);
        if (v >= 10)
            id[k++] = (char)('0' + v / 10 % 10);
        id[k++] = (char)('0' + v % 10);
        id[k] = '\0';
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
        append(pr->out, "a=ssrc-group:%s", g->semantics);
        for (guint j = 0; j < g->ssrcs->len; j++)
            append(pr->out, " %u", g_array_index(g->ssrcs, guint32, j));
        jsdp_buf_append_len(pr->out, "\r\n", 2);
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

/* ICE credentials and DTLS of a content's transport (what precedes a=mid). */
static void
print_transport_attrs(Printer *pr, const JsdpContent *c, gboolean classic)
{
    const JsdpTransport *t = c->transport;

    if (t != NULL && !classic && !c->rejected) {
        line(pr, "a=ice-ufrag:%s", t->ufrag);
        line(pr, "a=ice-pwd:%s", t->pwd);
        line(pr, "a=ice-options:trickle");
    }
    if (t != NULL && !c->rejected)
        print_dtls(pr, t);
}

/* XEP-0343 data channel -> RFC 8841 m=application section. */
static void
print_datachannel(Printer *pr, const JsdpContent *c)
{
    const JsdpTransport *t = c->transport;
    gboolean classic = print_classic(pr, t);
    const JsdpCandidate *def = jsdp_transport_default_candidate(
        t, 1, classic ? pr->params->classic_candidate_id : NULL);
    const char *addr = def ? def->ip : "0.0.0.0";

    if (t != NULL && classic && !c->rejected)
        warn_classic_losses(pr, c, def, NULL);
    if (c->sctp_streams != 0)
        jsdp_warn(pr->params->warnings,
                  "content '%.32s': sctpmap streams not carried by SDP (RFC 8841 has none)",
                  c->name);
    if (c->senders != JSDP_SENDERS_BOTH)
        jsdp_warn(pr->params->warnings,
                  "content '%.32s': senders of a data channel not carried by SDP", c->name);
    line(pr, "m=application %u UDP/DTLS/SCTP %s", c->rejected ? 0u : (def ? def->port : 9u),
         c->sctp_protocol);
    line(pr, "c=IN %s %s", addrtype(addr), addr);
    print_transport_attrs(pr, c, classic);
    line(pr, "a=mid:%s", c->name);
    line(pr, "a=sctp-port:%u", c->sctp_port);
    if (t != NULL && !classic && !c->rejected)
        print_candidates(pr, t);
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

    if (c->sctp_port != 0 && !c->has_description) {
        print_datachannel(pr, c);
        return TRUE;
    }
    if (t != NULL && classic && !c->rejected)
        warn_classic_losses(pr, c, def, rtcp);
    if (c->payload_types->len == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "content '%.32s' has no payload type (an m= line needs one)", c->name);
        return FALSE;
    }
    append(pr->out, "m=%s %u %s", c->media, c->rejected ? 0u : (def ? def->port : 9u),
           jsdp_content_derive_proto(c));
    for (guint i = 0; i < c->payload_types->len; i++)
        append(pr->out, " %u", ((JsdpPayloadType *)g_ptr_array_index(c->payload_types, i))->id);
    jsdp_buf_append_len(pr->out, "\r\n", 2);
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
    print_transport_attrs(pr, c, classic);
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

    if (c->has_description || c->sctp_port != 0)
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

/* XEP-0166 actions whose contents describe the session: never an SDP
 * fragment, whatever one of their contents lacks. */
static gboolean
action_describes(const char *action)
{
    static const char *const actions[] = {"session-initiate", "session-accept", "content-add",
                                          "content-accept"};

    for (guint i = 0; action != NULL && i < G_N_ELEMENTS(actions); i++) {
        if (strcmp(action, actions[i]) == 0)
            return TRUE;
    }
    return FALSE;
}

/* Neither RTP nor data channel: only a transport (fragments carry these). */
static gboolean
transport_only(const JsdpContent *c)
{
    return !c->has_description && c->sctp_port == 0;
}

static gboolean
is_left_out(const JsdpSession *s, const gboolean *left_out, const char *name)
{
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (left_out[i] && g_strcmp0(c->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
print_groups(Printer *pr, const JsdpSession *s, const gboolean *left_out)
{
    for (guint i = 0; i < s->groups->len; i++) {
        const JsdpGroup *g = g_ptr_array_index(s->groups, i);
        gsize start = pr->out->len;
        guint printed = 0;

        append(pr->out, "a=group:%s", g->semantics);
        for (guint j = 0; j < g->names->len; j++) {
            const char *name = g_ptr_array_index(g->names, j);
            if (left_out != NULL && is_left_out(s, left_out, name)) {
                jsdp_warn(pr->params->warnings, "content '%.32s' removed from a=group:%.16s "
                          "(left out)", name, g->semantics);
                continue;
            }
            append(pr->out, " %s", name);
            printed++;
        }
        if (printed == 0 && g->names->len > 0) {
            pr->out->len = start; /* nothing left of it */
            pr->out->str[start] = '\0';
            continue;
        }
        jsdp_buf_append_len(pr->out, "\r\n", 2);
    }
}

char *
jsdp_session_to_sdp(const JsdpSession *s, const JsdpSdpPrintParams *params, GError **error)
{
    static const JsdpSdpPrintParams defaults = {0};
    g_autofree gboolean *left_out = NULL;
    JsdpBuf out;
    Printer pr;
    gboolean fragment;
    guint printed = 0;

    g_return_val_if_fail(s != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (params == NULL)
        params = &defaults;
    if (s->contents->len == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED, "no content to print as SDP");
        return NULL;
    }
    pr.params = params;
    fragment = s->fragment;
    /* A transport-only content makes a fragment (transport-info), unless
     * the action describes the session: then it is left out, and the
     * others are printed whole (a data channel or an RTP content is never
     * taken down by a neighbour). */
    left_out = g_new0(gboolean, s->contents->len);
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        left_out[i] = transport_only(c) && !fragment;
    }
    if (!fragment && !action_describes(s->action)) {
        for (guint i = 0; i < s->contents->len; i++)
            fragment |= left_out[i];
    }
    if (fragment)
        memset(left_out, 0, sizeof(gboolean) * s->contents->len);
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (left_out[i])
            jsdp_warn(params->warnings, "content '%.32s' has no description: left out of the SDP "
                      "of a %.32s", c->name, s->action);
        printed += !left_out[i];
    }
    if (printed == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "no content with a description to print as SDP");
        return NULL;
    }
    jsdp_buf_init(&out, 8192);
    pr.out = &out;
    if (!fragment) {
        const char *oaddr = params->origin_address ? params->origin_address : "0.0.0.0";
        line(&pr, "v=0");
        line(&pr, "o=%s %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN %s %s",
             params->username ? params->username : "-", params->session_id,
             params->session_version, addrtype(oaddr), oaddr);
        line(&pr, "s=%s", params->session_name ? params->session_name : "-");
        line(&pr, "t=0 0");
    }
    print_groups(&pr, s, fragment ? NULL : left_out);
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (left_out[i])
            continue;
        warn_unportable(params, c);
        if (fragment)
            print_fragment_content(&pr, c);
        else if (!print_content(&pr, c, mid_needed(s, i), error)) {
            g_free(out.str);
            return NULL;
        }
    }
    return out.str;
}
