/* jsdp_jingle_parse_desc.c: a Jingle <description> (XEP-0167 RTP) ->
 * the JsdpContent it belongs to.
 *
 *   <description media ssrc>            c->media, the first source
 *     <payload-type> + <parameter>      codecs, fmtp (every nameless form)
 *     <rtcp-fb>, <rtcp-fb-trr-int>      XEP-0293, per codec or for all
 *     <rtp-hdrext>, <extmap-allow-mixed/> XEP-0294
 *     <source>, <ssrc-group>, <stream>  XEP-0339, msid
 *     <encryption><crypto>              XEP-0167 SDES
 *     <rtcp-mux/>, <rtcp-reduced-size/>, <bandwidth>
 *
 * Called by jsdp_jingle_parse.c (parse_content) for each content; the
 * readers of elements and attributes are there (jsdp_jingle_parser.h).
 */
#include "jsdp_jingle_parser.h"

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

gboolean
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

