/* gateway/media.c: the media port. relay = none passes SDP through
 * (answers come from the main loop, like a relay's would); relay =
 * rtpengine anchors the media through gateway/rtpengine.c. */
#define G_LOG_DOMAIN "gw-media"

#include "media.h"

#include <string.h>

#include "gw_error.h"

typedef struct {
    GwMedia *media;
    guint id;
    char *sdp;
    GwMediaSdpFunc func;
    gpointer data;
    guint source;
} Pending;

struct GwMedia {
    gboolean relay;
    guint next_id;
    GHashTable *pending; /* id -> Pending* (pass-through answers) */
};

static void
pending_free(gpointer p)
{
    Pending *q = p;
    if (q->source != 0)
        g_source_remove(q->source);
    g_free(q->sdp);
    g_free(q);
}

static gboolean
deliver(gpointer data)
{
    Pending *q = data;
    GwMedia *m = q->media;

    q->source = 0;
    g_hash_table_steal(m->pending, GUINT_TO_POINTER(q->id));
    q->func(q->sdp, NULL, q->data);
    pending_free(q);
    return G_SOURCE_REMOVE;
}

static guint
pass_through(GwMedia *m, const char *sdp, GwMediaSdpFunc func, gpointer data)
{
    Pending *q = g_new0(Pending, 1);

    q->media = m;
    q->id = ++m->next_id;
    q->sdp = g_strdup(sdp);
    q->func = func;
    q->data = data;
    q->source = g_idle_add(deliver, q);
    g_hash_table_insert(m->pending, GUINT_TO_POINTER(q->id), q);
    return q->id;
}

GwMedia *
gw_media_new(const GwConfig *config, GError **error)
{
    GwMedia *m;

    if (g_strcmp0(config->media.relay, "rtpengine") == 0) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_UNSUPPORTED,
                            "[media] relay = rtpengine: not built yet");
        return NULL;
    }
    m = g_new0(GwMedia, 1);
    m->pending = g_hash_table_new_full(NULL, NULL, NULL, pending_free);
    return m;
}

void
gw_media_free(GwMedia *m)
{
    if (m == NULL)
        return;
    g_hash_table_unref(m->pending);
    g_free(m);
}

guint
gw_media_offer(GwMedia *m, const char *call_id, const char *from_tag,
               const char *sdp, GwMediaToward toward, GwMediaSdpFunc func,
               gpointer user_data)
{
    return pass_through(m, sdp, func, user_data);
}

guint
gw_media_answer(GwMedia *m, const char *call_id, const char *from_tag,
                const char *to_tag, const char *sdp, GwMediaToward toward,
                GwMediaSdpFunc func, gpointer user_data)
{
    return pass_through(m, sdp, func, user_data);
}

void
gw_media_fragment(GwMedia *m, const char *call_id, const char *tag,
                  const char *fragment)
{
}

void
gw_media_dtmf(GwMedia *m, const char *call_id, const char *tag,
              const char *digits, guint duration_ms)
{
}

void
gw_media_delete(GwMedia *m, const char *call_id)
{
}

void
gw_media_cancel(GwMedia *m, guint id)
{
    if (id != 0)
        g_hash_table_remove(m->pending, GUINT_TO_POINTER(id));
}

gboolean
gw_media_is_relay(const GwMedia *m)
{
    return m->relay;
}
