/* jingle_sdp/jsdp_ops.c: edits of a model that a party negotiating
 * through a media relay needs (the gateway's call bridge): an answer the
 * relay rewrote made to match the offer it answers, fitted to a relay
 * without BUNDLE (issue 18: video on its own port, a refused video kept
 * silent on the audio bundle), a Jingle answer completed into an SDP one
 * (port 0 for what she left out), sources the relay does not keep taken
 * out, contents named. Pure: values in, the same
 * value edited; nothing is logged. */
#include "jsdp_private.h"

/* The index of the content called `name` among the first n, or -1. */
static gint
content_index(const JsdpSession *s, guint n, const char *name)
{
    for (guint i = 0; i < n; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (g_strcmp0(c->name, name) == 0)
            return (gint)i;
    }
    return -1;
}

/* The index of the content called `name` in array a, or -1. */
static gint
content_index_in(const GPtrArray *a, const char *name)
{
    for (guint i = 0; i < a->len; i++) {
        const JsdpContent *c = g_ptr_array_index(a, i);
        if (g_strcmp0(c->name, name) == 0)
            return (gint)i;
    }
    return -1;
}

/* A copy of group og with only the names `s` has contents for. */
static JsdpGroup *
group_copy(const JsdpSession *s, const JsdpGroup *og)
{
    JsdpGroup *g = jsdp_group_new(og->semantics);

    for (guint j = 0; j < og->names->len; j++) {
        const char *name = g_ptr_array_index(og->names, j);
        if (content_index(s, s->contents->len, name) >= 0)
            g_ptr_array_add(g->names, g_strdup(name));
    }
    return g;
}

/* A relay names m= sections its own way (or not at all) and drops the
 * BUNDLE group (rtpengine: notes/media.md). RFC 3264 6 keeps the m= order,
 * so the i-th content of the answer answers the i-th of the offer. */
void
jsdp_session_align_answer(JsdpSession *answer, const JsdpSession *offer)
{
    guint n;

    g_return_if_fail(answer != NULL);
    g_return_if_fail(offer != NULL);
    n = MIN(answer->contents->len, offer->contents->len);
    /* the answer's own groups first, while its old names still resolve */
    for (guint g = 0; g < answer->groups->len; g++) {
        JsdpGroup *grp = g_ptr_array_index(answer->groups, g);
        for (guint j = 0; j < grp->names->len; j++) {
            gint i = content_index(answer, n,
                                   g_ptr_array_index(grp->names, j));
            const JsdpContent *o;
            if (i < 0)
                continue;
            o = g_ptr_array_index(offer->contents, (guint)i);
            g_free(g_ptr_array_index(grp->names, j));
            g_ptr_array_index(grp->names, j) = g_strdup(o->name);
        }
    }
    for (guint i = 0; i < n; i++) {
        JsdpContent *a = g_ptr_array_index(answer->contents, i);
        const JsdpContent *o = g_ptr_array_index(offer->contents, i);
        g_free(a->name);
        a->name = g_strdup(o->name);
        a->creator = o->creator;
    }
    if (answer->groups->len > 0)
        return;
    for (guint g = 0; g < offer->groups->len; g++) {
        JsdpGroup *grp =
            group_copy(answer, g_ptr_array_index(offer->groups, g));
        if (grp->names->len > 0)
            g_ptr_array_add(answer->groups, grp);
        else
            jsdp_group_free(grp);
    }
}

/* Is group g a BUNDLE group? */
static gboolean
is_bundle(const JsdpGroup *g)
{
    return g_ascii_strcasecmp(g->semantics, "BUNDLE") == 0;
}

/* The first content of group g the answer accepted, or NULL. */
static JsdpContent *
bundle_head(const JsdpSession *answer, const JsdpGroup *g)
{
    for (guint j = 0; j < g->names->len; j++) {
        JsdpContent *c =
            jsdp_session_get_content(answer, g_ptr_array_index(g->names, j));
        if (c != NULL && !c->rejected && c->transport != NULL)
            return c;
    }
    return NULL;
}

/* The offer's definitions of the payload types c answers (a refused m=
 * line may come without a=rtpmap: rtpengine 10.5), the offer's first if
 * it answers none of them. */
static void
take_offered_codecs(JsdpContent *c, const JsdpContent *o)
{
    GPtrArray *pts = g_ptr_array_new_with_free_func(
        (GDestroyNotify)jsdp_payload_type_free);

    for (guint i = 0; i < c->payload_types->len; i++) {
        const JsdpPayloadType *a = g_ptr_array_index(c->payload_types, i);
        for (guint k = 0; k < o->payload_types->len; k++) {
            const JsdpPayloadType *op = g_ptr_array_index(o->payload_types, k);
            if (op->id == a->id)
                g_ptr_array_add(pts, jsdp_payload_type_copy(op));
        }
    }
    if (pts->len == 0)
        g_ptr_array_add(pts, jsdp_payload_type_copy(
                                 g_ptr_array_index(o->payload_types, 0)));
    g_ptr_array_unref(c->payload_types);
    c->payload_types = pts;
}

/* Rejected content c kept, silent, on the head's transport. */
static void
ride_on(JsdpContent *c, const JsdpContent *head, const JsdpSession *offer)
{
    const JsdpContent *o = jsdp_session_get_content(offer, c->name);

    c->rejected = FALSE;
    c->senders = JSDP_SENDERS_NONE;
    jsdp_transport_free(c->transport);
    c->transport = jsdp_transport_copy(head->transport);
    g_ptr_array_set_size(c->transport->candidates, 0);
    c->rtcp_mux = head->rtcp_mux;
    if (o != NULL && o->payload_types->len > 0)
        take_offered_codecs(c, o);
}

/* The group's live contents: accepted and sending one way at least. */
static guint
count_live(const JsdpSession *answer, const JsdpGroup *g)
{
    guint n = 0;

    for (guint j = 0; j < g->names->len; j++) {
        const JsdpContent *c =
            jsdp_session_get_content(answer, g_ptr_array_index(g->names, j));
        n += c != NULL && !c->rejected && c->senders != JSDP_SENDERS_NONE;
    }
    return n;
}

void
jsdp_session_unbundle_answer(JsdpSession *answer, const JsdpSession *offer)
{
    g_return_if_fail(answer != NULL);
    g_return_if_fail(offer != NULL);
    for (guint g = 0; g < answer->groups->len;) {
        JsdpGroup *grp = g_ptr_array_index(answer->groups, g);
        const JsdpContent *head = bundle_head(answer, grp);
        GPtrArray *kept = g_ptr_array_new();

        if (!is_bundle(grp) || head == NULL) {
            g_ptr_array_free(kept, TRUE);
            g++;
            continue;
        }
        for (guint j = 0; j < grp->names->len; j++) {
            JsdpContent *c = jsdp_session_get_content(
                answer, g_ptr_array_index(grp->names, j));
            if (c != NULL && c->rejected && c->has_description) {
                ride_on(c, head, offer);
                g_ptr_array_add(kept, c);
            }
        }
        if (count_live(answer, grp) < 2) {
            g_ptr_array_free(kept, TRUE);
            g++;
            continue;
        }
        for (guint k = 0; k < kept->len; k++)
            ((JsdpContent *)g_ptr_array_index(kept, k))->rejected = TRUE;
        g_ptr_array_free(kept, TRUE);
        g_ptr_array_remove_index(answer->groups, g);
    }
}

/* A rejected answer to offered content o. */
static JsdpContent *
refused_content(const JsdpContent *o)
{
    JsdpContent *c = jsdp_content_new();

    c->name = g_strdup(o->name);
    c->creator = o->creator;
    c->media = g_strdup(o->media);
    c->has_description = TRUE;
    c->rejected = TRUE;
    c->senders = JSDP_SENDERS_NONE;
    c->rtcp_mux = o->rtcp_mux;
    g_ptr_array_add(c->payload_types,
                    jsdp_payload_type_copy(g_ptr_array_index(o->payload_types, 0)));
    if (o->transport != NULL) {
        c->transport = jsdp_transport_copy(o->transport);
        g_ptr_array_set_size(c->transport->candidates, 0);
    }
    return c;
}

void
jsdp_session_complete_answer(JsdpSession *answer, const JsdpSession *offer)
{
    GPtrArray *old;

    g_return_if_fail(answer != NULL);
    g_return_if_fail(offer != NULL);
    old = answer->contents;
    answer->contents = g_ptr_array_new_with_free_func(
        (GDestroyNotify)jsdp_content_free);
    for (guint i = 0; i < offer->contents->len; i++) {
        const JsdpContent *o = g_ptr_array_index(offer->contents, i);
        gint k = content_index_in(old, o->name);
        if (k >= 0)
            g_ptr_array_add(answer->contents,
                            g_ptr_array_steal_index(old, (guint)k));
        else if (o->has_description && o->payload_types->len > 0)
            g_ptr_array_add(answer->contents, refused_content(o));
    }
    for (guint i = 0; i < old->len; i++) /* not offered: kept, last */
        g_ptr_array_add(answer->contents, g_ptr_array_index(old, i));
    g_ptr_array_set_free_func(old, NULL);
    g_ptr_array_free(old, TRUE);
}

void
jsdp_session_drop_sources(JsdpSession *s)
{
    g_return_if_fail(s != NULL);
    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (c->sources != NULL)
            g_ptr_array_set_size(c->sources, 0);
        if (c->ssrc_groups != NULL)
            g_ptr_array_set_size(c->ssrc_groups, 0);
    }
}

static void
drop_content_extras(JsdpContent *c)
{
    g_clear_pointer(&c->msid_stream, g_free);
    g_clear_pointer(&c->msid_track, g_free);
    if (c->hdrexts != NULL)
        g_ptr_array_set_size(c->hdrexts, 0);
    c->extmap_allow_mixed = FALSE;
    if (c->rtcp_fb != NULL)
        g_ptr_array_set_size(c->rtcp_fb, 0);
    c->trr_int = -1;
    c->rtcp_rsize = FALSE;
    for (guint k = 0; c->payload_types != NULL && k < c->payload_types->len;
         k++) {
        JsdpPayloadType *pt = g_ptr_array_index(c->payload_types, k);
        if (pt->rtcp_fb != NULL)
            g_ptr_array_set_size(pt->rtcp_fb, 0);
        pt->trr_int = -1;
    }
}

void
jsdp_session_drop_webrtc_extras(JsdpSession *s)
{
    g_return_if_fail(s != NULL);
    jsdp_session_drop_sources(s);
    for (guint i = 0; i < s->contents->len; i++)
        drop_content_extras(g_ptr_array_index(s->contents, i));
}

/* Is `name` the name of a content other than the except-th? */
static gboolean
name_taken(const JsdpSession *s, const char *name, guint except)
{
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (i != except && g_strcmp0(c->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

void
jsdp_session_name_contents(JsdpSession *s, JsdpRole creator)
{
    g_return_if_fail(s != NULL);
    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = g_ptr_array_index(s->contents, i);
        const char *media = c->media ? c->media : "m";

        c->creator = creator;
        if (c->name != NULL)
            continue;
        c->name = g_strdup_printf("%s%u", media, i);
        for (guint k = 2; name_taken(s, c->name, i); k++) {
            g_free(c->name);
            c->name = g_strdup_printf("%s%u-%u", media, i, k);
        }
    }
}
