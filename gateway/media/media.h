/* gateway/media/media.h: the call bridge's port to whatever carries the media.
 *
 * Two implementations (media.c): rtpengine (anchors the media, converts
 * ICE + DTLS-SRTP toward XMPP clients <-> plain RTP or SDES toward SIP)
 * and pass-through (relay = none: SDP goes through unchanged).
 *
 * rtpengine's model, which the port follows: offer(call, from-tag A, SDP
 * of A) returns the SDP to give B; answer(call, A, to-tag B, SDP of B)
 * returns the SDP to give A. The bridge uses tag "x" for the XMPP party and
 * "s" for the SIP party, and the Jingle sid as the call id.
 */
#pragma once

#include <glib.h>

#include "gw_config.h"

G_BEGIN_DECLS

typedef enum {
    GW_MEDIA_TOWARD_XMPP, /* ICE (full) + DTLS-SRTP, UDP/TLS/RTP/SAVPF */
    GW_MEDIA_TOWARD_SIP,  /* [media] sip_profile: RTP/AVP or SDES */
} GwMediaToward;

/* The rewritten SDP (borrowed for the call), or an error. Runs exactly
 * once, from the main loop, unless the request was cancelled. */
typedef void (*GwMediaSdpFunc)(const char *sdp, const GError *error,
                               gpointer user_data);

typedef struct GwMedia GwMedia;

/* (transfer full) the port the configuration asks for, or NULL + error. */
GwMedia *gw_media_new(const GwConfig *config, GError **error);
void gw_media_free(GwMedia *media);

/* Each returns a request id for gw_media_cancel(). */
guint gw_media_offer(GwMedia *media, const char *call_id,
                     const char *from_tag, const char *sdp,
                     GwMediaToward toward, GwMediaSdpFunc func,
                     gpointer user_data);
guint gw_media_answer(GwMedia *media, const char *call_id,
                      const char *from_tag, const char *to_tag,
                      const char *sdp, GwMediaToward toward,
                      GwMediaSdpFunc func, gpointer user_data);

/* Plays one RFC 4733 event toward the peer of party `tag`; func gets
 * sdp NULL and error NULL once the relay played it, or the relay's
 * refusal (rtpengine: "No SSRC context present for DTMF injection" before
 * the party sent RTP), a timeout, or "no relay" (relay = none). */
guint gw_media_dtmf(GwMedia *media, const char *call_id, const char *tag,
                    char digit, guint duration_ms, GwMediaSdpFunc func,
                    gpointer user_data);

/* Forgets the call (always sent, whatever path the call ended by). */
void gw_media_delete(GwMedia *media, const char *call_id);

/* The callback of request `id` will not run. */
void gw_media_cancel(GwMedia *media, guint id);

/* 1 when the relay answered its last request (a call's or the ping every
 * 10 s), 0 when that timed out, -1 without a relay or before any answer. */
int gw_media_relay_reachable(const GwMedia *media);

G_END_DECLS
