/* jingle_sdp/jsdp_ops.c: edits of a model that a party negotiating
 * through a media relay needs (the gateway's call bridge): an answer the
 * relay rewrote made to match the offer it answers, sources the relay
 * does not keep taken out, contents named. Pure: values in, the same
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
