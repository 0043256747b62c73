/* gateway/media/rtpengine.h: client for rtpengine's ng control protocol, on the
 * GLib main loop (a shell: it owns a UDP socket and timers; nothing
 * blocks).
 *
 * Why rtpengine: a Jingle peer speaks ICE + DTLS-SRTP (UDP/TLS/RTP/SAVPF),
 * a desk phone or PBX speaks plain RTP/AVP (or SDES RTP/SAVP); the media
 * cannot meet directly, so the call bridge anchors it in rtpengine
 * (../shared/notes/media.md). Every SDP crossing the gateway goes through
 * an `offer` or `answer` here and comes back rewritten for the other peer.
 *
 * Wire (docs/ng_control_protocol.md): one UDP datagram per request,
 * "COOKIE SPACE BENCODED-DICT"; the answer carries the same cookie. A
 * request not answered within `timeout_ms` is sent again, byte for byte,
 * with the same cookie (rtpengine answers a repeated cookie from its cache
 * instead of running the command twice), at most `tries` times in all.
 * Cookies are "<8 random hex>_<counter>": unique per client and per run,
 * so a restarted gateway never gets an answer rtpengine cached for the
 * previous run.
 *
 *   gateway                                   rtpengine
 *      |-- "3f2a9c01_7 d7:command5:offer..." -->|
 *      |        (timeout_ms, no answer)          |
 *      |-- "3f2a9c01_7 d7:command5:offer..." -->|  same bytes
 *      |<-- "3f2a9c01_7 d6:result2:ok3:sdp..." --|  -> callback (reply)
 *      |<-- "3f2a9c01_7 ..." (late duplicate) ---|  -> ignored (g_debug)
 *
 * Callbacks: each request gets exactly one call of its GwRtpengineReplyFunc,
 * always from the main loop (never from inside the function that issued
 * the request), unless it is cancelled first (gw_rtpengine_cancel(), or
 * gw_rtpengine_free()): a cancelled request never calls back. The reply
 * and the error passed to the callback are borrowed for its duration.
 * Inside a callback it is safe to issue or cancel requests and to call
 * gw_rtpengine_free().
 *
 * Logging (domain gw-rtpe): g_debug for every datagram (request and reply
 * dumps, SDP included: SDP is never logged above g_debug), retransmissions
 * and ignored datagrams; g_info for a `warning` in an ok answer. Errors are
 * returned, not logged.
 */
#pragma once

#include "bencode.h"

#include <glib.h>

G_BEGIN_DECLS

#define GW_RTPENGINE_ERROR (gw_rtpengine_error_quark())
GQuark gw_rtpengine_error_quark(void);

typedef enum {
    GW_RTPENGINE_ERROR_TIMEOUT,   /* no answer after all tries: "rtpengine at
                                     127.0.0.1:2223 did not answer after 3
                                     tries" */
    GW_RTPENGINE_ERROR_REFUSED,   /* answered "result": "error" (the message
                                     quotes its "error-reason"), or a result
                                     other than ok/pong */
    GW_RTPENGINE_ERROR_MALFORMED, /* an answer with our cookie that is not a
                                     bencoded dictionary with a "result" */
    GW_RTPENGINE_ERROR_INVALID,   /* bad input: address at creation, or a
                                     fragment/DTMF field (from a peer) that
                                     cannot go into the request */
    GW_RTPENGINE_ERROR_IO,        /* the socket cannot be created, or the
                                     request cannot be sent at all (e.g.
                                     larger than a UDP datagram) */
} GwRtpengineError;

typedef struct _GwRtpengine GwRtpengine;

typedef struct {
    guint timeout_ms; /* wait per try; 0 -> 500 */
    guint tries;      /* sends in all, first one included; 0 -> 3 */
} GwRtpengineConfig;

/* Exactly one of `reply` (the answer dictionary, with "result" "ok" or
 * "pong") and `error` (GW_RTPENGINE_ERROR) is set. Both are borrowed:
 * copy what you keep (gw_bencode_copy(), g_error_copy()). */
typedef void (*GwRtpengineReplyFunc)(GwRtpengine *rtpe, const GwBencode *reply,
                                     const GError *error, gpointer user_data);

/* Creates a client for the ng listener at `address`, an IP literal and a
 * port: "127.0.0.1:2223" or "[::1]:2223" (no host names: resolving would
 * block). The socket is bound to an ephemeral port of the same family and
 * connect()ed, so only datagrams from that address are read. Sources are
 * attached to the thread-default GMainContext at the time of the call.
 * `config` may be NULL (defaults). (transfer full) client, or NULL and
 * GW_RTPENGINE_ERROR_INVALID (bad address) or _IO (socket). */
GwRtpengine *gw_rtpengine_new(const char *address,
                              const GwRtpengineConfig *config, GError **error);

/* Closes the socket and drops every pending request WITHOUT calling its
 * callback (their owners are being torn down too). NULL is ignored. Safe
 * inside a callback of this client. */
void gw_rtpengine_free(GwRtpengine *rtpe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwRtpengine, gw_rtpengine_free)

/* "127.0.0.1:2223" / "[::1]:2223", as given. (transfer none) */
const char *gw_rtpengine_get_address(const GwRtpengine *rtpe);

/* Number of requests waiting for an answer. */
guint gw_rtpengine_get_pending(const GwRtpengine *rtpe);

/* 1 when the last request got an answer, 0 when it timed out, -1 before
 * any. */
int gw_rtpengine_get_reachable(const GwRtpengine *rtpe);

/* Sends any request: `request` (consumed) must be a dictionary with a
 * "command" string. Returns the request id (never 0), for
 * gw_rtpengine_cancel(). */
guint gw_rtpengine_send(GwRtpengine *rtpe, GwBencode *request,
                        GwRtpengineReplyFunc callback, gpointer user_data);

/* Forgets request `id`: its callback will not be called, and its answer,
 * if one still arrives, is ignored. Returns FALSE if it was not pending
 * (already answered, failed or cancelled; 0 is never pending). */
gboolean gw_rtpengine_cancel(GwRtpengine *rtpe, guint id);

/* ---- request builders and their senders ------------------------------ */

/* The peer the rewritten SDP goes to. An `offer` carries the offerer's SDP
 * and returns the SDP for the answerer, so its profile names the
 * answerer's side; an `answer` carries the answerer's SDP and returns the
 * one for the offerer, so its profile names the offerer's side. Every
 * profile also sends "replace": ["origin", "session-connection"] (o= and
 * session c= carry rtpengine's address, not the other peer's).
 *
 * GW_RTPENGINE_SIDE_WEBRTC, toward the XMPP/Jingle client:
 *   "transport-protocol": "UDP/TLS/RTP/SAVPF"  ICE + DTLS-SRTP + AVPF
 *   "ICE": "force"           rtpengine's own candidates replace the
 *                             other peer's (a host candidate on its
 *                             interface, a=end-of-candidates in answers)
 *   "rtcp-mux": ["offer", "require"]  WebRTC requires rtcp-mux; "require"
 *                             advertises no separate RTCP port
 *   "SDES": ["off"]          without it rtpengine adds 12 a=crypto lines
 *                             to a DTLS offer toward the client (seen with
 *                             10.5), which Jingle would carry as SDES
 *   "flags": ["generate mid"]  a=mid on offers built from SIP SDP, which
 *                             has none (Jingle content names, BUNDLE)
 *   and NO "DTLS" key: rtpengine's default role is what works (media.md,
 *   "DTLS role deadlock": if the offer carried the client's candidates,
 *   rtpengine already sent a ClientHello; forcing "passive" in the answer
 *   leaves both sides waiting as servers). Its answers say a=setup:active
 *   (never actpass, which Dino rejects, dino#1072); its offers actpass.
 *   Its answers carry no a=group:BUNDLE (media.md "BUNDLE" trap): the
 *   bridge adds the Jingle <group/> itself.
 *
 * GW_RTPENGINE_SIDE_SIP, toward a desk phone or PBX, plain RTP:
 *   "transport-protocol": "RTP/AVP", "ICE": "remove", "DTLS": "off",
 *   "rtcp-mux": ["demux"] (RTCP on port+1, a=rtcp), as verified in
 *   media.md. rtpengine 10.5 still copies a=end-of-candidates into the
 *   result when the WebRTC SDP had it (phones ignore unknown attributes,
 *   RFC 8866 5.13); every other ICE/DTLS line is removed.
 *
 * GW_RTPENGINE_SIDE_SIP_SDES, toward a SIP peer that wants SDES-SRTP:
 *   as GW_RTPENGINE_SIDE_SIP with "transport-protocol": "RTP/SAVP" and
 *   "SDES": ["no-NULL_HMAC_SHA1_80", "no-NULL_HMAC_SHA1_32",
 *   "no-F8_128_HMAC_SHA1_80", "no-F8_128_HMAC_SHA1_32"]: rtpengine offers
 *   every suite it knows by default, the NULL ones (no encryption at all)
 *   and F8 (rarely implemented) included; AEAD and AES-CM suites remain.
 */
typedef enum {
    GW_RTPENGINE_SIDE_WEBRTC,
    GW_RTPENGINE_SIDE_SIP,
    GW_RTPENGINE_SIDE_SIP_SDES,
} GwRtpengineSide;

typedef enum {
    GW_RTPENGINE_FLAG_NONE = 0,
    /* "inject DTMF" in "flags": needed, in both the offer and the answer,
     * for gw_rtpengine_play_dtmf() on that call. It sends all audio of the
     * call through rtpengine's transcoding engine (more CPU). */
    GW_RTPENGINE_FLAG_INJECT_DTMF = 1 << 0,
} GwRtpengineFlags;

/* The `offer` request for `sdp` (the offerer's, complete) from call
 * `call_id`, offerer tag `from_tag`, rewritten for `toward`. All strings
 * non-NULL. (transfer full) */
GwBencode *gw_rtpengine_build_offer(const char *call_id, const char *from_tag,
                                    const char *sdp, GwRtpengineSide toward,
                                    GwRtpengineFlags flags);
/* The `answer` request: `sdp` is the answerer's, `from_tag` still the
 * offerer's tag and `to_tag` the answerer's. (transfer full) */
GwBencode *gw_rtpengine_build_answer(const char *call_id, const char *from_tag,
                                     const char *to_tag, const char *sdp,
                                     GwRtpengineSide toward,
                                     GwRtpengineFlags flags);

/* Sends them. The reply's "sdp" string is the SDP for the other peer. */
guint gw_rtpengine_offer(GwRtpengine *rtpe, const char *call_id,
                         const char *from_tag, const char *sdp,
                         GwRtpengineSide toward, GwRtpengineFlags flags,
                         GwRtpengineReplyFunc callback, gpointer user_data);
guint gw_rtpengine_answer(GwRtpengine *rtpe, const char *call_id,
                          const char *from_tag, const char *to_tag,
                          const char *sdp, GwRtpengineSide toward,
                          GwRtpengineFlags flags, GwRtpengineReplyFunc callback,
                          gpointer user_data);

/* One trickled ICE update from the WebRTC peer whose tag is `from_tag` (the
 * tag it had in the offer or answer that carried its SDP), as an `offer`
 * with "flags": ["fragment"] and this SDP fragment (media.md, "Trickle"):
 *
 *   v=0
 *   m=audio 9 UDP/TLS/RTP/SAVPF <pt>
 *   c=IN IP4 0.0.0.0
 *   a=mid:<mid>
 *   a=ice-ufrag:<ufrag>
 *   a=ice-pwd:<pwd>
 *   a=<candidate>            one line per entry of `candidates`
 *   a=end-of-candidates      if `end_of_candidates`
 *
 * The leading "v=0" is required by rtpengine 10.5: its SDP parser
 * swallows the first line of a fragment that does not start with v=
 * (the m= line of the shape in media.md), and the candidates are then
 * silently ignored although the answer is "ok" (seen in its log: no
 * "Learning new ICE candidate"; with "v=0" first they are learned). The
 * m= line keeps the WebRTC protocol: with RTP/AVP the fragment is also
 * answered ok but media stops toward the peer (media.md).
 *
 * `mid`, `ufrag`, `pwd`: non-empty, printable ASCII without spaces;
 * `candidates`: NULL-terminated, may be empty (e.g. only end of
 * candidates), each "candidate:..." (the a= value, as in WebRTC's
 * RTCIceCandidate.candidate), printable ASCII; `pt` <= 127, any payload
 * type of the m= line it updates. These come from a peer: (transfer full)
 * request, or NULL and GW_RTPENGINE_ERROR_INVALID naming the field. */
GwBencode *gw_rtpengine_build_offer_fragment(
    const char *call_id, const char *from_tag, const char *mid, guint pt,
    const char *ufrag, const char *pwd, const char *const *candidates,
    gboolean end_of_candidates, GError **error);
/* Sends it: a request id, or 0 and GW_RTPENGINE_ERROR_INVALID (nothing was
 * sent, the callback will not be called). */
guint gw_rtpengine_offer_fragment(GwRtpengine *rtpe, const char *call_id,
                                  const char *from_tag, const char *mid,
                                  guint pt, const char *ufrag, const char *pwd,
                                  const char *const *candidates,
                                  gboolean end_of_candidates,
                                  GwRtpengineReplyFunc callback,
                                  gpointer user_data, GError **error);

/* `delete` the call (from_tag and to_tag NULL) or one party of it, with
 * "delete delay": 0: at once. rtpengine's default keeps a deleted call
 * (queryable, its ports taken) for its delete-delay, 30 s, for SIP proxies
 * that see forked branches and late retransmissions; the gateway ends both
 * legs of its own call together, so it frees the ports now. A call
 * rtpengine does not know is answered ok with a "warning" (logged at
 * g_info), not an error. */
GwBencode *gw_rtpengine_build_delete(const char *call_id, const char *from_tag,
                                     const char *to_tag);
guint gw_rtpengine_delete(GwRtpengine *rtpe, const char *call_id,
                          const char *from_tag, const char *to_tag,
                          GwRtpengineReplyFunc callback, gpointer user_data);

/* `query` a call (from_tag may be NULL). The reply has "tags" -> per tag
 * "medias" -> "protocol", "flags" (e.g. "DTLS-SRTP", "ICE") and "streams"
 * with "stats"; "totals" -> "RTP"/"RTCP" -> "packets", "bytes". An unknown
 * call is GW_RTPENGINE_ERROR_REFUSED ("Unknown call-id"). */
GwBencode *gw_rtpengine_build_query(const char *call_id, const char *from_tag);
guint gw_rtpengine_query(GwRtpengine *rtpe, const char *call_id,
                         const char *from_tag, GwRtpengineReplyFunc callback,
                         gpointer user_data);

/* `ping`: the reply's result is "pong". */
GwBencode *gw_rtpengine_build_ping(void);
guint gw_rtpengine_ping(GwRtpengine *rtpe, GwRtpengineReplyFunc callback,
                        gpointer user_data);

/* `play DTMF`: rtpengine sends the event `code` ('0'-'9', '*', '#',
 * 'A'-'D', case-insensitive) as if party `from_tag` had sent it, toward the
 * other party (RFC 4733 telephone-event when that party accepted it, else
 * an in-band tone). `duration_ms`: 100-5000 (clamped into that range),
 * 0 = rtpengine's default (250 ms); `volume_db`: 1-63 meaning -1..-63 dB
 * (larger values clamped to 63), 0 = rtpengine's default (-8 dB).
 * Works with rtpengine 10.5 in userspace mode (verified by
 * tests/test_rtpengine.c: telephone-event packets arrive) on two
 * conditions: the call's offer and answer both had
 * GW_RTPENGINE_FLAG_INJECT_DTMF, and `from_tag`'s party has already sent
 * RTP (before that: REFUSED "No SSRC context present for DTMF
 * injection"). The code may come from a peer: request, or NULL and
 * GW_RTPENGINE_ERROR_INVALID for a code outside the 16 events. */
GwBencode *gw_rtpengine_build_play_dtmf(const char *call_id,
                                        const char *from_tag, char code,
                                        guint duration_ms, guint volume_db,
                                        GError **error);
guint gw_rtpengine_play_dtmf(GwRtpengine *rtpe, const char *call_id,
                             const char *from_tag, char code, guint duration_ms,
                             guint volume_db, GwRtpengineReplyFunc callback,
                             gpointer user_data, GError **error);

G_END_DECLS
