/* jsdp_model_compare.c: deep copy and semantic equality of the neutral
 * model (jsdp.h).  Equality is what the round-trip tests and fuzzers assert
 * on: lists whose order carries no meaning (parameters, feedback, sources,
 * candidates, groups) compare unordered; payload types and contents keep
 * their order, which is preference and m-line order. */
#include "jsdp_private.h"

/* ---- deep copy ------------------------------------------------------ */

static gpointer
copy_parameter(gconstpointer src, gpointer unused)
{
    const JsdpParameter *p = src;
    return jsdp_parameter_new(p->name, p->value);
}

static gpointer
copy_rtcp_fb(gconstpointer src, gpointer unused)
{
    const JsdpRtcpFb *fb = src;
    return jsdp_rtcp_fb_new(fb->type, fb->subtype);
}

static gpointer
copy_payload_type(gconstpointer src, gpointer unused)
{
    const JsdpPayloadType *p = src;
    JsdpPayloadType *n = jsdp_payload_type_new(p->id);

    n->name = g_strdup(p->name);
    n->clockrate = p->clockrate;
    n->channels = p->channels;
    n->ptime = p->ptime;
    n->maxptime = p->maxptime;
    n->trr_int = p->trr_int;
    for (guint i = 0; i < p->parameters->len; i++)
        g_ptr_array_add(n->parameters, copy_parameter(g_ptr_array_index(p->parameters, i), NULL));
    for (guint i = 0; i < p->rtcp_fb->len; i++)
        g_ptr_array_add(n->rtcp_fb, copy_rtcp_fb(g_ptr_array_index(p->rtcp_fb, i), NULL));
    return n;
}

static gpointer
copy_hdrext(gconstpointer src, gpointer unused)
{
    const JsdpHdrext *h = src;
    JsdpHdrext *n = g_new0(JsdpHdrext, 1);

    n->id = h->id;
    n->uri = g_strdup(h->uri);
    n->senders = h->senders;
    return n;
}

static gpointer
copy_bandwidth(gconstpointer src, gpointer unused)
{
    const JsdpBandwidth *b = src;
    JsdpBandwidth *n = g_new0(JsdpBandwidth, 1);

    n->type = g_strdup(b->type);
    n->value = b->value;
    return n;
}

static gpointer
copy_crypto(gconstpointer src, gpointer unused)
{
    const JsdpCrypto *c = src;
    JsdpCrypto *n = g_new0(JsdpCrypto, 1);

    n->tag = c->tag;
    n->suite = g_strdup(c->suite);
    n->key_params = g_strdup(c->key_params);
    n->session_params = g_strdup(c->session_params);
    return n;
}

static gpointer
copy_source(gconstpointer src, gpointer unused)
{
    const JsdpSource *s = src;
    JsdpSource *n = jsdp_source_new(s->ssrc);

    for (guint i = 0; i < s->parameters->len; i++)
        g_ptr_array_add(n->parameters, copy_parameter(g_ptr_array_index(s->parameters, i), NULL));
    return n;
}

static gpointer
copy_ssrc_group(gconstpointer src, gpointer unused)
{
    const JsdpSsrcGroup *g = src;
    JsdpSsrcGroup *n = jsdp_ssrc_group_new(g->semantics);

    g_array_append_vals(n->ssrcs, g->ssrcs->data, g->ssrcs->len);
    return n;
}

JsdpCandidate *
jsdp_candidate_copy(const JsdpCandidate *c)
{
    JsdpCandidate *n;

    g_return_val_if_fail(c != NULL, NULL);
    n = g_new0(JsdpCandidate, 1);
    *n = *c;
    n->foundation = g_strdup(c->foundation);
    n->protocol = g_strdup(c->protocol);
    n->ip = g_strdup(c->ip);
    n->rel_addr = g_strdup(c->rel_addr);
    n->id = g_strdup(c->id);
    return n;
}

static gpointer
copy_candidate(gconstpointer src, gpointer unused)
{
    return jsdp_candidate_copy(src);
}

static gpointer
copy_fingerprint(gconstpointer src, gpointer unused)
{
    const JsdpFingerprint *f = src;
    JsdpFingerprint *n = g_new0(JsdpFingerprint, 1);

    n->hash = g_strdup(f->hash);
    n->value = g_strdup(f->value);
    return n;
}

static void
copy_into(GPtrArray *dst, const GPtrArray *src, GCopyFunc copy)
{
    for (guint i = 0; i < src->len; i++)
        g_ptr_array_add(dst, copy(g_ptr_array_index(src, i), NULL));
}

static JsdpTransport *
copy_transport(const JsdpTransport *t)
{
    JsdpTransport *n = jsdp_transport_new(t->type);

    n->ufrag = g_strdup(t->ufrag);
    n->pwd = g_strdup(t->pwd);
    n->setup = t->setup;
    n->end_of_candidates = t->end_of_candidates;
    copy_into(n->candidates, t->candidates, copy_candidate);
    copy_into(n->fingerprints, t->fingerprints, copy_fingerprint);
    return n;
}

JsdpTransport *
jsdp_transport_copy(const JsdpTransport *t)
{
    return copy_transport(t);
}

JsdpPayloadType *
jsdp_payload_type_copy(const JsdpPayloadType *p)
{
    return copy_payload_type(p, NULL);
}

static gpointer
copy_content(gconstpointer src, gpointer unused)
{
    const JsdpContent *c = src;
    JsdpContent *n = jsdp_content_new();

    n->name = g_strdup(c->name);
    n->creator = c->creator;
    n->senders = c->senders;
    n->rejected = c->rejected;
    n->media = g_strdup(c->media);
    n->has_description = c->has_description;
    n->rtcp_mux = c->rtcp_mux;
    n->rtcp_rsize = c->rtcp_rsize;
    n->trr_int = c->trr_int;
    n->extmap_allow_mixed = c->extmap_allow_mixed;
    n->crypto_required = c->crypto_required;
    n->msid_stream = g_strdup(c->msid_stream);
    n->msid_track = g_strdup(c->msid_track);
    n->sctp_port = c->sctp_port;
    n->sctp_protocol = g_strdup(c->sctp_protocol);
    n->sctp_streams = c->sctp_streams;
    copy_into(n->payload_types, c->payload_types, copy_payload_type);
    copy_into(n->bandwidths, c->bandwidths, copy_bandwidth);
    copy_into(n->rtcp_fb, c->rtcp_fb, copy_rtcp_fb);
    copy_into(n->hdrexts, c->hdrexts, copy_hdrext);
    copy_into(n->cryptos, c->cryptos, copy_crypto);
    copy_into(n->sources, c->sources, copy_source);
    copy_into(n->ssrc_groups, c->ssrc_groups, copy_ssrc_group);
    if (c->transport != NULL)
        n->transport = copy_transport(c->transport);
    return n;
}

static gpointer
copy_group(gconstpointer src, gpointer unused)
{
    const JsdpGroup *g = src;
    JsdpGroup *n = jsdp_group_new(g->semantics);

    for (guint i = 0; i < g->names->len; i++)
        g_ptr_array_add(n->names, g_strdup(g_ptr_array_index(g->names, i)));
    return n;
}

JsdpContent *
jsdp_content_copy(const JsdpContent *c)
{
    g_return_val_if_fail(c != NULL, NULL);
    return copy_content(c, NULL);
}

JsdpSession *
jsdp_session_copy(const JsdpSession *s)
{
    JsdpSession *n;

    g_return_val_if_fail(s != NULL, NULL);
    n = jsdp_session_new();
    n->action = g_strdup(s->action);
    n->sid = g_strdup(s->sid);
    n->initiator = g_strdup(s->initiator);
    n->responder = g_strdup(s->responder);
    n->fragment = s->fragment;
    copy_into(n->contents, s->contents, copy_content);
    copy_into(n->groups, s->groups, copy_group);
    for (guint i = 0; i < s->warnings->len; i++)
        g_ptr_array_add(n->warnings, g_strdup(g_ptr_array_index(s->warnings, i)));
    return n;
}

/* ---- semantic equality ---------------------------------------------- */

typedef gboolean (*ItemEqualFunc)(gconstpointer a, gconstpointer b);

/* Same length and a one-to-one matching: lists are bounded by JSDP_MAX_*,
 * so the quadratic walk stays small. */
static gboolean
unordered_equal(const GPtrArray *a, const GPtrArray *b, ItemEqualFunc eq)
{
    g_autofree gboolean *used = NULL;

    if (a->len != b->len)
        return FALSE;
    used = g_new0(gboolean, b->len + 1);
    for (guint i = 0; i < a->len; i++) {
        gboolean found = FALSE;
        for (guint j = 0; j < b->len && !found; j++) {
            if (!used[j] && eq(g_ptr_array_index(a, i), g_ptr_array_index(b, j))) {
                used[j] = TRUE;
                found = TRUE;
            }
        }
        if (!found)
            return FALSE;
    }
    return TRUE;
}

static gboolean
parameter_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpParameter *a = pa, *b = pb;
    return strcmp(a->name, b->name) == 0 && g_strcmp0(a->value, b->value) == 0;
}

static gboolean
rtcp_fb_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpRtcpFb *a = pa, *b = pb;
    return g_strcmp0(a->type, b->type) == 0 && g_strcmp0(a->subtype, b->subtype) == 0;
}

/* The fmtp parameters of a and b, but for telephone-event's "0-15",
 * which says what its absence says (jsdp_parameter_is_default()). */
static gboolean
fmtp_equal(const JsdpPayloadType *a, const JsdpPayloadType *b)
{
    g_autoptr(GPtrArray) pa = g_ptr_array_sized_new(a->parameters->len);
    g_autoptr(GPtrArray) pb = g_ptr_array_sized_new(b->parameters->len);

    for (guint i = 0; i < a->parameters->len; i++) {
        if (!jsdp_parameter_is_default(a, g_ptr_array_index(a->parameters, i)))
            g_ptr_array_add(pa, g_ptr_array_index(a->parameters, i));
    }
    for (guint i = 0; i < b->parameters->len; i++) {
        if (!jsdp_parameter_is_default(b, g_ptr_array_index(b->parameters, i)))
            g_ptr_array_add(pb, g_ptr_array_index(b->parameters, i));
    }
    return unordered_equal(pa, pb, parameter_equal);
}

/* The feedback that applies to pt in content c: its own and the content's
 * (a=rtcp-fb:*, RFC 4585 4.2), each once; the Jingle printer writes it so
 * (jsdp_jingle_print.c print_payload_rtcp_fb). */
static GPtrArray *
effective_rtcp_fb(const JsdpContent *c, const JsdpPayloadType *pt)
{
    GPtrArray *all = g_ptr_array_sized_new(pt->rtcp_fb->len + c->rtcp_fb->len);

    for (guint i = 0; i < pt->rtcp_fb->len; i++)
        g_ptr_array_add(all, g_ptr_array_index(pt->rtcp_fb, i));
    for (guint i = 0; i < c->rtcp_fb->len; i++) {
        gpointer fb = g_ptr_array_index(c->rtcp_fb, i);
        gboolean dup = FALSE;
        for (guint j = 0; j < pt->rtcp_fb->len && !dup; j++)
            dup = rtcp_fb_equal(fb, g_ptr_array_index(pt->rtcp_fb, j));
        if (!dup)
            g_ptr_array_add(all, fb);
    }
    return all;
}

static gboolean
payload_type_equal(const JsdpContent *ca, const JsdpPayloadType *a, const JsdpContent *cb,
                   const JsdpPayloadType *b)
{
    g_autoptr(GPtrArray) fa = NULL, fb = NULL;

    if (!(a->id == b->id &&
          (a->name == b->name ||
           (a->name != NULL && b->name != NULL && g_ascii_strcasecmp(a->name, b->name) == 0)) &&
          a->clockrate == b->clockrate && a->channels == b->channels && a->ptime == b->ptime &&
          a->maxptime == b->maxptime &&
          (a->trr_int >= 0 ? a->trr_int : ca->trr_int) ==
              (b->trr_int >= 0 ? b->trr_int : cb->trr_int) &&
          fmtp_equal(a, b)))
        return FALSE;
    fa = effective_rtcp_fb(ca, a);
    fb = effective_rtcp_fb(cb, b);
    return unordered_equal(fa, fb, rtcp_fb_equal);
}

static gboolean
hdrext_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpHdrext *a = pa, *b = pb;
    return a->id == b->id && g_strcmp0(a->uri, b->uri) == 0 && a->senders == b->senders;
}

static gboolean
bandwidth_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpBandwidth *a = pa, *b = pb;
    return g_strcmp0(a->type, b->type) == 0 && a->value == b->value;
}

static gboolean
crypto_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpCrypto *a = pa, *b = pb;
    return a->tag == b->tag && g_strcmp0(a->suite, b->suite) == 0 &&
           g_strcmp0(a->key_params, b->key_params) == 0 &&
           g_strcmp0(a->session_params, b->session_params) == 0;
}

static gboolean
source_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpSource *a = pa, *b = pb;
    return a->ssrc == b->ssrc && unordered_equal(a->parameters, b->parameters, parameter_equal);
}

static gboolean
ssrc_group_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpSsrcGroup *a = pa, *b = pb;
    return g_strcmp0(a->semantics, b->semantics) == 0 && a->ssrcs->len == b->ssrcs->len &&
           (a->ssrcs->len == 0 ||
            memcmp(a->ssrcs->data, b->ssrcs->data, a->ssrcs->len * sizeof(guint32)) == 0);
}

gboolean
jsdp_candidate_equal(const JsdpCandidate *a, const JsdpCandidate *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    /* id is Jingle-only: ignored. */
    return g_strcmp0(a->foundation, b->foundation) == 0 && a->component == b->component &&
           g_ascii_strcasecmp(a->protocol ? a->protocol : "", b->protocol ? b->protocol : "") == 0 &&
           a->priority == b->priority && g_strcmp0(a->ip, b->ip) == 0 && a->port == b->port &&
           a->type == b->type && g_strcmp0(a->rel_addr, b->rel_addr) == 0 &&
           a->rel_port == b->rel_port && a->tcptype == b->tcptype &&
           a->generation == b->generation && a->network == b->network;
}

static gboolean
candidate_equal_cb(gconstpointer a, gconstpointer b)
{
    return jsdp_candidate_equal(a, b);
}

static gboolean
fingerprint_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpFingerprint *a = pa, *b = pb;
    return g_strcmp0(a->hash, b->hash) == 0 && g_strcmp0(a->value, b->value) == 0;
}

/* A transport with nothing in it says nothing: SDP cannot tell it from
 * none (port 9, c=0.0.0.0), so it equals none. */
static gboolean
transport_empty(const JsdpTransport *t)
{
    return t == NULL || (t->ufrag == NULL && t->pwd == NULL && t->candidates->len == 0 &&
                         t->fingerprints->len == 0 && !t->end_of_candidates);
}

static gboolean
transport_equal(const JsdpTransport *a, const JsdpTransport *b)
{
    if (a == NULL || b == NULL || transport_empty(a) || transport_empty(b))
        return transport_empty(a) && transport_empty(b);
    return a->type == b->type && g_strcmp0(a->ufrag, b->ufrag) == 0 &&
           g_strcmp0(a->pwd, b->pwd) == 0 && a->setup == b->setup &&
           a->end_of_candidates == b->end_of_candidates &&
           unordered_equal(a->candidates, b->candidates, candidate_equal_cb) &&
           unordered_equal(a->fingerprints, b->fingerprints, fingerprint_equal);
}

static gboolean
description_equal(const JsdpContent *a, const JsdpContent *b)
{
    if (g_strcmp0(a->media, b->media) != 0 || a->payload_types->len != b->payload_types->len)
        return FALSE;
    for (guint i = 0; i < a->payload_types->len; i++) {
        if (!payload_type_equal(a, g_ptr_array_index(a->payload_types, i), b,
                                g_ptr_array_index(b->payload_types, i)))
            return FALSE;
    }
    /* Content-level feedback counts in each payload type; alone only
     * where there is none. */
    if (a->payload_types->len == 0 &&
        (a->trr_int != b->trr_int || !unordered_equal(a->rtcp_fb, b->rtcp_fb, rtcp_fb_equal)))
        return FALSE;
    return a->rtcp_mux == b->rtcp_mux && a->rtcp_rsize == b->rtcp_rsize &&
           a->extmap_allow_mixed == b->extmap_allow_mixed &&
           a->crypto_required == b->crypto_required &&
           g_strcmp0(a->msid_stream, b->msid_stream) == 0 &&
           g_strcmp0(a->msid_track, b->msid_track) == 0 &&
           unordered_equal(a->bandwidths, b->bandwidths, bandwidth_equal) &&
           unordered_equal(a->hdrexts, b->hdrexts, hdrext_equal) &&
           unordered_equal(a->cryptos, b->cryptos, crypto_equal) &&
           unordered_equal(a->sources, b->sources, source_equal) &&
           unordered_equal(a->ssrc_groups, b->ssrc_groups, ssrc_group_equal);
}

static gboolean
content_equal(const JsdpContent *a, const JsdpContent *b)
{
    if (g_strcmp0(a->name, b->name) != 0 || a->creator != b->creator ||
        a->senders != b->senders || a->rejected != b->rejected ||
        a->has_description != b->has_description || a->sctp_port != b->sctp_port ||
        g_strcmp0(a->sctp_protocol, b->sctp_protocol) != 0 || a->sctp_streams != b->sctp_streams)
        return FALSE;
    if (a->has_description && !description_equal(a, b))
        return FALSE;
    /* A rejected m= line has no transport worth comparing (port 0). */
    return a->rejected || transport_equal(a->transport, b->transport);
}

static gboolean
group_equal(gconstpointer pa, gconstpointer pb)
{
    const JsdpGroup *a = pa, *b = pb;

    if (g_strcmp0(a->semantics, b->semantics) != 0 || a->names->len != b->names->len)
        return FALSE;
    for (guint i = 0; i < a->names->len; i++) {
        if (strcmp(g_ptr_array_index(a->names, i), g_ptr_array_index(b->names, i)) != 0)
            return FALSE;
    }
    return TRUE;
}

gboolean
jsdp_session_equal(const JsdpSession *a, const JsdpSession *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->contents->len != b->contents->len)
        return FALSE;
    for (guint i = 0; i < a->contents->len; i++) {
        if (!content_equal(g_ptr_array_index(a->contents, i), g_ptr_array_index(b->contents, i)))
            return FALSE;
    }
    return unordered_equal(a->groups, b->groups, group_equal);
}

