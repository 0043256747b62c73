/* gateway/media/media.c: the media port. relay = rtpengine anchors the media
 * through gateway/rtpengine.c; relay = none passes SDP through (answers
 * still come from the main loop, like a relay's would). */
#define G_LOG_DOMAIN "gw-media"

#include "media.h"

#include <string.h>

#include "gw_error.h"
#include "rtpengine.h"

typedef struct {
    GwMedia *media;
    guint id;       /* ours */
    guint rtpe_id;  /* rtpengine's request id */
    char *sdp;      /* pass-through: the SDP to give back */
    GwMediaSdpFunc func;
    gpointer data;
    guint source;
} Pending;

struct GwMedia {
    GwRtpengine *rtpe; /* NULL: pass-through */
    GwRtpengineSide sip_side;
    GwRtpengineFlags flags;
    guint next_id;
    GHashTable *pending; /* id -> Pending* */
    guint ping_timer;    /* keeps gw_media_relay_reachable() true when idle */
    guint ping_id;       /* the ping in flight, 0: none */
};

/* How often an idle relay is pinged, so that /health knows it is there. */
#define PING_INTERVAL_S 10

static void
pending_free(gpointer p)
{
    Pending *q = p;

    if (q->source != 0)
        g_source_remove(q->source);
    if (q->rtpe_id != 0 && q->media->rtpe != NULL)
        gw_rtpengine_cancel(q->media->rtpe, q->rtpe_id);
    g_free(q->sdp);
    g_free(q);
}

static Pending *
pending_new(GwMedia *m, GwMediaSdpFunc func, gpointer data)
{
    Pending *q = g_new0(Pending, 1);

    q->media = m;
    q->id = ++m->next_id;
    if (q->id == 0)
        q->id = ++m->next_id;
    q->func = func;
    q->data = data;
    g_hash_table_insert(m->pending, GUINT_TO_POINTER(q->id), q);
    return q;
}

/* Takes q out of the table (so the callback may cancel others freely)
 * and runs its callback once. */
static void
finish(Pending *q, const char *sdp, const GError *error)
{
    GwMedia *m = q->media;

    g_hash_table_steal(m->pending, GUINT_TO_POINTER(q->id));
    q->rtpe_id = 0;
    q->source = 0;
    q->func(sdp, error, q->data);
    pending_free(q);
}

/* ---- pass-through ------------------------------------------------------ */

static gboolean
deliver(gpointer data)
{
    Pending *q = data;

    q->source = 0;
    finish(q, q->sdp, NULL);
    return G_SOURCE_REMOVE;
}

static guint
pass_through(GwMedia *m, const char *sdp, GwMediaSdpFunc func, gpointer data)
{
    Pending *q = pending_new(m, func, data);

    q->sdp = g_strdup(sdp);
    q->source = g_idle_add(deliver, q);
    return q->id;
}

/* ---- rtpengine --------------------------------------------------------- */

static void
on_reply(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
         gpointer data)
{
    Pending *q = data;
    const char *sdp;
    g_autoptr(GError) missing = NULL;

    if (error != NULL) {
        finish(q, NULL, error);
        return;
    }
    sdp = gw_bencode_dict_get_string(reply, "sdp", NULL);
    if (sdp == NULL) {
        missing = g_error_new_literal(GW_ERROR, GW_ERROR_BAD_REQUEST,
                                      "rtpengine answered without an SDP");
        finish(q, NULL, missing);
        return;
    }
    finish(q, sdp, NULL);
}

static void
on_logged_reply(GwRtpengine *rtpe, const GwBencode *reply,
                const GError *error, gpointer data)
{
    if (error != NULL)
        g_info("rtpengine %s: %s", (const char *)data, error->message);
}

static GwRtpengineSide
side_of(const GwMedia *m, GwMediaToward toward)
{
    return toward == GW_MEDIA_TOWARD_XMPP ? GW_RTPENGINE_SIDE_WEBRTC
                                          : m->sip_side;
}

/* ---- the port ---------------------------------------------------------- */

static void
on_ping(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
        gpointer data)
{
    GwMedia *m = data;

    m->ping_id = 0;
    if (error != NULL)
        g_debug("rtpengine ping: %s", error->message);
}

static gboolean
ping(gpointer data)
{
    GwMedia *m = data;

    if (m->ping_id == 0)
        m->ping_id = gw_rtpengine_ping(m->rtpe, on_ping, m);
    return G_SOURCE_CONTINUE;
}

GwMedia *
gw_media_new(const GwConfig *config, GError **error)
{
    GwMedia *m = g_new0(GwMedia, 1);

    m->pending = g_hash_table_new_full(NULL, NULL, NULL, pending_free);
    if (g_strcmp0(config->media.relay, "rtpengine") == 0) {
        GwRtpengineConfig rc = { config->media.rtpengine_timeout_ms,
                                 config->media.rtpengine_tries };
        m->rtpe = gw_rtpengine_new(config->media.rtpengine, &rc, error);
        if (m->rtpe == NULL) {
            g_prefix_error(error, "[media] rtpengine: ");
            gw_media_free(m);
            return NULL;
        }
        m->sip_side = g_strcmp0(config->media.sip_profile, "sdes") == 0
                          ? GW_RTPENGINE_SIDE_SIP_SDES
                          : GW_RTPENGINE_SIDE_SIP;
        /* play DTMF needs it in offer and answer (rtpengine.h) */
        if (g_strcmp0(config->calls.dtmf, "rfc4733") == 0)
            m->flags |= GW_RTPENGINE_FLAG_INJECT_DTMF;
        g_message("media anchored by rtpengine at %s (SIP side %s)",
                  config->media.rtpengine,
                  m->sip_side == GW_RTPENGINE_SIDE_SIP_SDES ? "RTP/SAVP"
                                                            : "RTP/AVP");
        ping(m);
        m->ping_timer = g_timeout_add_seconds(PING_INTERVAL_S, ping, m);
    }
    return m;
}

void
gw_media_free(GwMedia *m)
{
    if (m == NULL)
        return;
    if (m->ping_timer != 0)
        g_source_remove(m->ping_timer);
    if (m->ping_id != 0)
        gw_rtpengine_cancel(m->rtpe, m->ping_id);
    g_hash_table_unref(m->pending);
    gw_rtpengine_free(m->rtpe);
    g_free(m);
}

guint
gw_media_offer(GwMedia *m, const char *call_id, const char *from_tag,
               const char *sdp, GwMediaToward toward, GwMediaSdpFunc func,
               gpointer user_data)
{
    Pending *q;

    if (m->rtpe == NULL)
        return pass_through(m, sdp, func, user_data);
    q = pending_new(m, func, user_data);
    q->rtpe_id = gw_rtpengine_offer(m->rtpe, call_id, from_tag, sdp,
                                    side_of(m, toward), m->flags, on_reply,
                                    q);
    return q->id;
}

guint
gw_media_answer(GwMedia *m, const char *call_id, const char *from_tag,
                const char *to_tag, const char *sdp, GwMediaToward toward,
                GwMediaSdpFunc func, gpointer user_data)
{
    Pending *q;

    if (m->rtpe == NULL)
        return pass_through(m, sdp, func, user_data);
    q = pending_new(m, func, user_data);
    q->rtpe_id = gw_rtpengine_answer(m->rtpe, call_id, from_tag, to_tag, sdp,
                                     side_of(m, toward), m->flags, on_reply,
                                     q);
    return q->id;
}

static void
on_dtmf_reply(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
              gpointer data)
{
    finish(data, NULL, error);
}

static gboolean
deliver_error(gpointer data)
{
    Pending *q = data;
    g_autoptr(GError) error = g_error_new_literal(
        GW_ERROR, GW_ERROR_UNSUPPORTED, "no relay to play DTMF");

    q->source = 0;
    finish(q, NULL, error);
    return G_SOURCE_REMOVE;
}

guint
gw_media_dtmf(GwMedia *m, const char *call_id, const char *tag, char digit,
              guint duration_ms, GwMediaSdpFunc func, gpointer user_data)
{
    Pending *q = pending_new(m, func, user_data);
    g_autoptr(GError) error = NULL;

    if (m->rtpe == NULL) {
        q->source = g_idle_add(deliver_error, q);
        return q->id;
    }
    q->rtpe_id = gw_rtpengine_play_dtmf(m->rtpe, call_id, tag, digit,
                                        duration_ms, 0, on_dtmf_reply, q,
                                        &error);
    if (q->rtpe_id == 0) {
        /* a digit outside the 16 events: the caller checked; still once */
        g_info("DTMF '%c' for %s not played: %s", digit, call_id,
               error->message);
        q->source = g_idle_add(deliver_error, q);
    }
    return q->id;
}

void
gw_media_delete(GwMedia *m, const char *call_id)
{
    if (m->rtpe != NULL)
        gw_rtpengine_delete(m->rtpe, call_id, NULL, NULL, on_logged_reply,
                            (gpointer) "delete");
}

void
gw_media_cancel(GwMedia *m, guint id)
{
    if (id != 0)
        g_hash_table_remove(m->pending, GUINT_TO_POINTER(id));
}

int
gw_media_relay_reachable(const GwMedia *m)
{
    return m->rtpe != NULL ? gw_rtpengine_get_reachable(m->rtpe) : -1;
}
