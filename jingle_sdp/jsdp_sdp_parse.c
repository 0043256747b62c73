/* jsdp_sdp_parse.c: SDP text (RFC 8866, with RFC 8839 ICE, RFC 5763 DTLS,
 * RFC 4568 SDES, RFC 5888 groups, RFC 5576 ssrc) -> JsdpSession.
 *
 * A strict small parser of our own rather than Sofia's (notes/libraries.md
 * §2.5): Sofia keeps WebRTC attributes only as generic attributes, so the
 * work would be the same, with an su_home to carry around.
 *
 * Two passes over lines: the session part fills a SessionState, each m=
 * section a MediaState; finish_media() turns a MediaState into a
 * JsdpContent.  Everything we cannot carry becomes a warning.  The readers
 * of single lines and attributes are in jsdp_sdp_attr.c.
 */
#include "jsdp_sdp_parser.h"

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
    g_free(m->sctp_fmt);
    g_free(m->sctp_protocol);
    memset(m, 0, sizeof(*m));
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

/* An m=application data channel: port and protocol from a=sctp-port or
 * a=sctpmap and the m= format (RFC 8841 10.1: sctp-port absent, 5000). */
static void
finish_datachannel(Parser *p, MediaState *m)
{
    JsdpContent *c = m->content;
    guint64 fmt_port = 0;
    gboolean legacy = jsdp_parse_uint(m->sctp_fmt, 1, 65535, &fmt_port);

    c->has_description = FALSE;
    g_clear_pointer(&c->media, g_free);
    c->sctp_port = m->sctp_port != 0 ? m->sctp_port : legacy ? (guint)fmt_port : 5000;
    c->sctp_protocol = g_strdup(m->sctp_protocol != NULL ? m->sctp_protocol
                                : legacy ? "webrtc-datachannel" : m->sctp_fmt);
    if (legacy && m->sctp_protocol == NULL)
        jsdp_warn(p->session->warnings, "m=application %.32s without a=sctpmap: protocol "
                  "'webrtc-datachannel' assumed", m->proto);
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
    if (m->sctp && !p->session->fragment)
        finish_datachannel(p, m);
    dir = m->direction ? m->direction : p->sess.direction;
    c->senders = dir ? jsdp_senders_from_direction(dir, p->params->author) : JSDP_SENDERS_BOTH;
    if (m->sctp && c->senders != JSDP_SENDERS_BOTH) {
        /* RFC 8841 gives an SCTP m= line no direction */
        jsdp_warn(p->session->warnings, "a=%s of a data channel not carried by Jingle", dir);
        c->senders = JSDP_SENDERS_BOTH;
    }
    if (!p->session->fragment && !m->sctp) {
        c->extmap_allow_mixed |= p->sess.extmap_allow_mixed;
        for (guint i = 0; i < c->payload_types->len; i++) {
            JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, i);
            if (!m->has_rtpmap[pt->id] && pt->id >= 96 && c->rejected) {
                /* RFC 3264 6: a refused stream's attributes mean nothing;
                 * rtpengine 10.5 answers port 0 without its a=rtpmap */
                jsdp_warn(p->session->warnings,
                          "dynamic payload type %u of refused '%.32s' has no a=rtpmap",
                          pt->id, c->name);
            } else if (!m->has_rtpmap[pt->id] && pt->id >= 96) {
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
        jsdp_content_complete_fid_sources(c);
    } else if (p->session->fragment) {
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
    return jsdp_sdpp_parse_mline(p, line, line->text + 2, m, error);
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
        return jsdp_sdpp_parse_session_attr(p, line, name, value, error);
    return jsdp_sdpp_parse_media_attr(p, line, name, value, m, error);
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
            return m->dropped || jsdp_sdpp_parse_connection(line, line->text + 2, &m->conn,
                                                  p->session->warnings, error);
        case 'b':
            if (m->sctp)
                jsdp_warn(p->session->warnings, "b= of a data channel not carried by Jingle");
            return m->dropped || m->sctp ||
                   jsdp_sdpp_parse_bandwidth(line, line->text + 2, m->content, error);
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
        jsdp_sdpp_split(&f_sp, line->text + 2, ' ', 0);
        if (f_sp.n != 6)
            FAIL(line, "o= needs 6 fields");
        return TRUE;
    }
    case 's':
    case 't':
        return TRUE; /* envelope: regenerated from print params */
    case 'c':
        return jsdp_sdpp_parse_connection(line, line->text + 2, &p->sess.conn, p->session->warnings, error);
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
