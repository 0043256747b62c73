/* gateway/media/rtpengine.c: the rtpengine ng client (see rtpengine.h for the
 * protocol, the profiles and the callback contract).
 *
 * Shape: one connected, non-blocking UDP GSocket with a read GSource; one
 * Request per command in flight, found by id (for cancel) and by cookie
 * (for answers), each with its own retransmission timer. A request leaves
 * both tables before its callback runs, so a callback can cancel or send
 * freely; gw_rtpengine_free() inside a callback only marks the client
 * closing and the last frame that dispatched finishes the free (STYLE:
 * nothing is freed inside a callback delivering an event for it).
 *
 * Request life:
 *
 *   send() -> encode "COOKIE d...e" -> transmit, arm timer (timeout_ms)
 *     timer, tries left   -> transmit the same bytes again, re-arm
 *     timer, none left    -> callback(error TIMEOUT)
 *     datagram "COOKIE ." -> decode -> callback(reply | REFUSED | MALFORMED)
 *     cancel(id) / free() -> forgotten, no callback
 */
#ifndef G_LOG_DOMAIN
#define G_LOG_DOMAIN "gw-rtpe"
#endif

#include "rtpengine.h"
#include "gw_config.h"
#include "metrics.h"

#include <gio/gio.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(gw-rtpengine-error-quark, gw_rtpengine_error)
/* clang-format on */

#define DEFAULT_TIMEOUT_MS 500
#define DEFAULT_TRIES 3
/* The largest UDP payload over IPv4 (65535 - 8 - 20): larger requests
 * cannot be sent. Answers are read into RECV_BUFFER bytes, enough for any
 * datagram, so none is silently cut. */
#define MAX_DATAGRAM 65507
#define RECV_BUFFER 65536
#define MAX_COOKIE 64

typedef struct _Request Request;

struct _GwRtpengine {
    char *address; /* as given, for messages */
    GSocketAddress *sockaddr;
    GSocket *socket;
    GSource *read_source;
    GMainContext *context;
    guint timeout_ms;
    guint tries;
    char cookie_prefix[9];
    guint64 cookie_counter;
    guint last_id;
    GHashTable *by_id;     /* GUINT_TO_POINTER(id) -> Request *, owned */
    GHashTable *by_cookie; /* cookie -> Request *, borrowed */
    guint8 *buffer;        /* RECV_BUFFER bytes, for receiving */
    guint busy;            /* frames of ours on the stack that may call back */
    gboolean closing;      /* gw_rtpengine_free() was called */
    int reachable;         /* -1 not asked yet, 0 last request timed out, 1 answered */
};

struct _Request {
    GwRtpengine *rtpe;
    guint id;
    char *cookie;
    char *command;
    char *dump; /* the request, rendered for g_debug */
    GBytes *datagram;
    guint sent; /* transmissions so far */
    gint64 started; /* monotonic us, for /metrics */
    GSource *timer;
    GError *deferred; /* an error found while sending, delivered from the
                         loop like any other outcome */
    GwRtpengineReplyFunc callback;
    gpointer user_data;
};

/* ---- helpers ---------------------------------------------------------- */

/* A peer-supplied value for an error message: 32 bytes at most, escaped.
 * (transfer full) */
static char *
quote(const char *s)
{
    g_autofree char *cut = g_strndup(s, 32);

    return g_strescape(cut, NULL);
}

static void
request_free(gpointer p)
{
    Request *req = p;

    if (req->timer != NULL) {
        g_source_destroy(req->timer);
        g_source_unref(req->timer);
    }
    g_clear_error(&req->deferred);
    g_bytes_unref(req->datagram);
    g_free(req->dump);
    g_free(req->command);
    g_free(req->cookie);
    g_free(req);
}

static void
rtpe_destroy(GwRtpengine *rtpe)
{
    g_hash_table_unref(rtpe->by_cookie);
    g_hash_table_unref(rtpe->by_id);
    g_clear_object(&rtpe->socket);
    g_clear_object(&rtpe->sockaddr);
    g_main_context_unref(rtpe->context);
    g_free(rtpe->buffer);
    g_free(rtpe->address);
    g_free(rtpe);
}

/* Around any frame that may run callbacks: rtpe_leave() returns FALSE when
 * the client was freed meanwhile (the caller must not touch it again). */
static void
rtpe_enter(GwRtpengine *rtpe)
{
    rtpe->busy++;
}

static gboolean
rtpe_leave(GwRtpengine *rtpe)
{
    g_assert(rtpe->busy > 0);
    rtpe->busy--;
    if (!rtpe->closing)
        return TRUE;
    if (rtpe->busy == 0)
        rtpe_destroy(rtpe);
    return FALSE;
}

/* Takes `req` out of both tables (it is then owned by the caller). */
static void
request_detach(GwRtpengine *rtpe, Request *req)
{
    g_hash_table_remove(rtpe->by_cookie, req->cookie);
    g_hash_table_steal(rtpe->by_id, GUINT_TO_POINTER(req->id));
    if (req->timer != NULL) {
        g_source_destroy(req->timer);
        g_clear_pointer(&req->timer, g_source_unref);
    }
}

/* The single exit of a request: detach, call back once, free. Call inside
 * rtpe_enter()/rtpe_leave(). */
static void
request_finish(Request *req, const GwBencode *reply, const GError *error)
{
    GwRtpengine *rtpe = req->rtpe;

    g_assert((reply == NULL) != (error == NULL));
    request_detach(rtpe, req);
    gw_metrics.rtpengine_requests++;
    if (error != NULL && g_error_matches(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_TIMEOUT)) {
        gw_metrics.rtpengine_timeouts++;
        rtpe->reachable = 0;
    } else {
        if (error != NULL)
            gw_metrics.rtpengine_failures++;
        if (req->sent > 0) { /* an answer came: it is there */
            rtpe->reachable = 1;
            gw_histogram_observe(&gw_metrics.rtpengine_seconds,
                                 (double)(g_get_monotonic_time() - req->started) / 1e6);
        }
    }
    req->callback(rtpe, reply, error, req->user_data);
    request_free(req);
}

/* ---- sending ---------------------------------------------------------- */

static void
transmit(Request *req)
{
    GwRtpengine *rtpe = req->rtpe;
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    const char *data = g_bytes_get_data(req->datagram, &len);

    req->sent++;
    /* Always rendered: main.c filters by its own threshold, so GLib's
     * would-drop test cannot tell whether anyone reads debug lines. */
    g_debug("-> %s %s (try %u/%u): %s", rtpe->address, req->cookie, req->sent,
            rtpe->tries, req->dump);
    /* UDP: a send that would block, or an ICMP error from an earlier
     * datagram (connection refused while rtpengine is down), is a lost
     * datagram; the timer retransmits, then reports the timeout. */
    if (g_socket_send(rtpe->socket, data, len, NULL, &error) < 0)
        g_debug("%s: send: %s", rtpe->address, error->message);
}

static gboolean on_timer(gpointer user_data);

static void
arm_timer(Request *req, guint ms)
{
    if (req->timer != NULL) {
        g_source_destroy(req->timer);
        g_source_unref(req->timer);
    }
    req->timer = g_timeout_source_new(ms);
    g_source_set_callback(req->timer, on_timer, req, NULL);
    g_source_attach(req->timer, req->rtpe->context);
}

static gboolean
on_timer(gpointer user_data)
{
    Request *req = user_data;
    GwRtpengine *rtpe = req->rtpe;
    g_autoptr(GError) error = NULL;

    if (req->deferred == NULL && req->sent < rtpe->tries) {
        g_debug("%s %s '%s': no answer in %u ms, retransmitting", rtpe->address,
                req->cookie, req->command, rtpe->timeout_ms);
        transmit(req);
        arm_timer(req, rtpe->timeout_ms);
        return G_SOURCE_REMOVE; /* this source; a new one is armed */
    }
    if (req->deferred != NULL)
        error = g_steal_pointer(&req->deferred);
    else
        error = g_error_new(GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_TIMEOUT,
                            "rtpengine at %s did not answer after %u tries "
                            "('%s')",
                            rtpe->address, rtpe->tries, req->command);
    rtpe_enter(rtpe);
    request_finish(req, NULL, error);
    rtpe_leave(rtpe);
    return G_SOURCE_REMOVE;
}

guint
gw_rtpengine_send(GwRtpengine *rtpe, GwBencode *request,
                  GwRtpengineReplyFunc callback, gpointer user_data)
{
    g_autoptr(GwBencode) owned = request;
    g_autoptr(GBytes) body = NULL;
    const char *command;
    GByteArray *datagram;
    gsize body_len = 0;
    const guint8 *body_data;
    Request *req;

    g_return_val_if_fail(rtpe != NULL && !rtpe->closing, 0);
    g_return_val_if_fail(callback != NULL, 0);
    command = gw_bencode_dict_get_string(owned, "command", NULL);
    g_return_val_if_fail(command != NULL, 0);

    req = g_new0(Request, 1);
    req->rtpe = rtpe;
    do {
        req->id = ++rtpe->last_id;
    } while (req->id == 0 ||
             g_hash_table_contains(rtpe->by_id, GUINT_TO_POINTER(req->id)));
    req->cookie = g_strdup_printf("%s_%" G_GUINT64_FORMAT, rtpe->cookie_prefix,
                                  ++rtpe->cookie_counter);
    req->command = g_strdup(command);
    req->dump = gw_bencode_to_debug_string(owned, 0);
    req->callback = callback;
    req->user_data = user_data;

    body = gw_bencode_encode(owned);
    body_data = g_bytes_get_data(body, &body_len);
    datagram = g_byte_array_sized_new(strlen(req->cookie) + 1 + body_len);
    g_byte_array_append(datagram, (const guint8 *)req->cookie,
                        strlen(req->cookie));
    g_byte_array_append(datagram, (const guint8 *)" ", 1);
    g_byte_array_append(datagram, body_data, body_len);
    req->datagram = g_byte_array_free_to_bytes(datagram);

    g_hash_table_insert(rtpe->by_id, GUINT_TO_POINTER(req->id), req);
    g_hash_table_insert(rtpe->by_cookie, req->cookie, req);

    if (g_bytes_get_size(req->datagram) > MAX_DATAGRAM) {
        req->deferred =
            g_error_new(GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_IO,
                        "rtpengine request '%s' of %" G_GSIZE_FORMAT
                        " bytes does not fit in a UDP datagram",
                        req->command, g_bytes_get_size(req->datagram));
        arm_timer(req, 0); /* report from the loop, never from here */
        return req->id;
    }
    req->started = g_get_monotonic_time();
    transmit(req);
    arm_timer(req, rtpe->timeout_ms);
    return req->id;
}

gboolean
gw_rtpengine_cancel(GwRtpengine *rtpe, guint id)
{
    Request *req;

    g_return_val_if_fail(rtpe != NULL, FALSE);
    req = g_hash_table_lookup(rtpe->by_id, GUINT_TO_POINTER(id));
    if (req == NULL)
        return FALSE;
    g_debug("%s %s '%s': cancelled", rtpe->address, req->cookie, req->command);
    request_detach(rtpe, req);
    request_free(req);
    return TRUE;
}

/* ---- receiving -------------------------------------------------------- */

/* Turns an answer body into the callback's outcome. */
static void
handle_answer(Request *req, const guint8 *body, gsize len)
{
    GwRtpengine *rtpe = req->rtpe;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) reply = gw_bencode_decode(body, len, &error);
    const char *result;

    if (reply == NULL) {
        g_autoptr(GError) outer =
            g_error_new(GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_MALFORMED,
                        "rtpengine at %s: malformed answer to '%s': %s",
                        rtpe->address, req->command, error->message);
        request_finish(req, NULL, outer);
        return;
    }
    {
        g_autofree char *dump = gw_bencode_to_debug_string(reply, 0);
        g_debug("<- %s %s: %s", rtpe->address, req->cookie, dump);
    }
    result = gw_bencode_dict_get_string(reply, "result", NULL);
    if (gw_bencode_get_type(reply) != GW_BENCODE_DICT || result == NULL) {
        error = g_error_new(GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_MALFORMED,
                            "rtpengine at %s: answer to '%s' is not a "
                            "dictionary with a result",
                            rtpe->address, req->command);
        request_finish(req, NULL, error);
        return;
    }
    if (strcmp(result, "ok") == 0 || strcmp(result, "pong") == 0) {
        const char *warning =
            gw_bencode_dict_get_string(reply, "warning", NULL);

        if (warning != NULL)
            g_info("rtpengine at %s warns about '%s': %.200s", rtpe->address,
                   req->command, warning);
        request_finish(req, reply, NULL);
        return;
    }
    if (strcmp(result, "error") == 0) {
        const char *reason =
            gw_bencode_dict_get_string(reply, "error-reason", NULL);
        g_autofree char *shown = g_strescape(reason ? reason : "", NULL);

        error =
            g_error_new(GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED,
                        "rtpengine at %s refused '%s': '%.200s'", rtpe->address,
                        req->command, reason ? shown : "no error-reason given");
    } else {
        g_autofree char *shown = quote(result);

        error = g_error_new(GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED,
                            "rtpengine at %s answered '%s' with result '%s'",
                            rtpe->address, req->command, shown);
    }
    request_finish(req, NULL, error);
}

static void
handle_datagram(GwRtpengine *rtpe, const guint8 *data, gsize len)
{
    const guint8 *space = memchr(data, ' ', MIN(len, MAX_COOKIE + 1));
    char cookie[MAX_COOKIE + 1];
    gsize cookie_len;
    Request *req;

    if (space == NULL || space == data) {
        g_debug("%s: ignoring a datagram of %" G_GSIZE_FORMAT
                " bytes without a cookie",
                rtpe->address, len);
        return;
    }
    cookie_len = (gsize)(space - data);
    memcpy(cookie, data, cookie_len);
    cookie[cookie_len] = '\0';
    req = strlen(cookie) == cookie_len
              ? g_hash_table_lookup(rtpe->by_cookie, cookie)
              : NULL;
    if (req == NULL) {
        /* Usual after a retransmission: rtpengine answers every copy. */
        g_debug("%s: ignoring an answer for an unknown cookie (late, "
                "duplicate or cancelled)",
                rtpe->address);
        return;
    }
    handle_answer(req, space + 1, len - cookie_len - 1);
}

static gboolean
on_readable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
    GwRtpengine *rtpe = user_data;

    rtpe_enter(rtpe);
    /* Bounded: at most 64 datagrams per wake-up, so a flood cannot starve
     * the loop (the source fires again while data is queued). */
    for (guint i = 0; i < 64 && !rtpe->closing; i++) {
        g_autoptr(GError) error = NULL;
        gssize n = g_socket_receive(socket, (char *)rtpe->buffer, RECV_BUFFER,
                                    NULL, &error);

        if (n < 0) {
            if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
                g_debug("%s: receive: %s", rtpe->address, error->message);
            break;
        }
        handle_datagram(rtpe, rtpe->buffer, (gsize)n);
    }
    if (!rtpe_leave(rtpe))
        return G_SOURCE_REMOVE;
    return G_SOURCE_CONTINUE;
}

/* ---- creation --------------------------------------------------------- */

static GSocketAddress *
bad_address(const char *address, GError **error)
{
    g_autofree char *shown = quote(address);

    g_set_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID,
                "rtpengine address '%s' is not IPv4:PORT or [IPv6]:PORT "
                "(host names are not resolved)",
                shown);
    return NULL;
}

/* "IPv4:port" or "[IPv6]:port"; no names. (transfer full) */
static GSocketAddress *
parse_address(const char *address, GError **error)
{
    g_autofree char *host = NULL;
    g_autoptr(GInetAddress) inet = NULL;
    guint16 port;

    if (!gw_address_port_parse(address, &host, &port))
        return bad_address(address, error);
    inet = g_inet_address_new_from_string(host);
    return g_inet_socket_address_new(inet, port);
}

GwRtpengine *
gw_rtpengine_new(const char *address, const GwRtpengineConfig *config,
                 GError **error)
{
    g_autoptr(GSocketAddress) sockaddr = NULL;
    g_autoptr(GSocket) socket = NULL;
    g_autoptr(GInetAddress) any = NULL;
    g_autoptr(GSocketAddress) local = NULL;
    g_autoptr(GError) local_error = NULL;
    GwRtpengine *rtpe;
    GSocketFamily family;

    g_return_val_if_fail(address != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    sockaddr = parse_address(address, error);
    if (sockaddr == NULL)
        return NULL;
    family = g_socket_address_get_family(sockaddr);
    socket = g_socket_new(family, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP,
                          &local_error);
    any = g_inet_address_new_any(family);
    local = g_inet_socket_address_new(any, 0);
    if (socket == NULL || !g_socket_bind(socket, local, FALSE, &local_error) ||
        !g_socket_connect(socket, sockaddr, NULL, &local_error)) {
        g_set_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_IO,
                    "rtpengine at %s: socket: %s", address,
                    local_error->message);
        return NULL;
    }
    g_socket_set_blocking(socket, FALSE);

    rtpe = g_new0(GwRtpengine, 1);
    rtpe->reachable = -1;
    rtpe->address = g_strdup(address);
    rtpe->sockaddr = g_steal_pointer(&sockaddr);
    rtpe->socket = g_steal_pointer(&socket);
    rtpe->context = g_main_context_ref_thread_default();
    rtpe->timeout_ms = config != NULL && config->timeout_ms > 0
                           ? config->timeout_ms
                           : DEFAULT_TIMEOUT_MS;
    rtpe->tries =
        config != NULL && config->tries > 0 ? config->tries : DEFAULT_TRIES;
    g_snprintf(rtpe->cookie_prefix, sizeof rtpe->cookie_prefix, "%08x",
               g_random_int());
    rtpe->by_id = g_hash_table_new_full(NULL, NULL, NULL, request_free);
    rtpe->by_cookie = g_hash_table_new(g_str_hash, g_str_equal);
    rtpe->buffer = g_malloc(RECV_BUFFER);

    rtpe->read_source = g_socket_create_source(rtpe->socket, G_IO_IN, NULL);
    g_source_set_callback(rtpe->read_source, G_SOURCE_FUNC(on_readable), rtpe,
                          NULL);
    g_source_attach(rtpe->read_source, rtpe->context);
    g_debug("rtpengine client for %s: %u tries of %u ms, cookies %s_N",
            rtpe->address, rtpe->tries, rtpe->timeout_ms, rtpe->cookie_prefix);
    return rtpe;
}

void
gw_rtpengine_free(GwRtpengine *rtpe)
{
    if (rtpe == NULL || rtpe->closing)
        return;
    rtpe->closing = TRUE;
    /* Pending requests are dropped without callbacks. */
    g_hash_table_remove_all(rtpe->by_cookie);
    g_hash_table_remove_all(rtpe->by_id);
    if (rtpe->read_source != NULL) {
        g_source_destroy(rtpe->read_source);
        g_clear_pointer(&rtpe->read_source, g_source_unref);
    }
    g_socket_close(rtpe->socket, NULL);
    if (rtpe->busy == 0)
        rtpe_destroy(rtpe);
    /* else the frame that is calling back finishes it (rtpe_leave) */
}

const char *
gw_rtpengine_get_address(const GwRtpengine *rtpe)
{
    g_return_val_if_fail(rtpe != NULL, NULL);
    return rtpe->address;
}

int
gw_rtpengine_get_reachable(const GwRtpengine *rtpe)
{
    return rtpe->reachable;
}

guint
gw_rtpengine_get_pending(const GwRtpengine *rtpe)
{
    g_return_val_if_fail(rtpe != NULL, 0);
    return g_hash_table_size(rtpe->by_id);
}

/* ---- builders --------------------------------------------------------- */

static GwBencode *
command_new(const char *command, const char *call_id)
{
    GwBencode *d = gw_bencode_dict_new();

    gw_bencode_dict_set_string(d, "command", command);
    if (call_id != NULL)
        gw_bencode_dict_set_string(d, "call-id", call_id);
    return d;
}

/* The options of a profile; see GwRtpengineSide in rtpengine.h for why
 * each one is there. */
static void
add_profile(GwBencode *d, GwRtpengineSide toward, GwRtpengineFlags flags)
{
    const char *flag[3] = {NULL, NULL, NULL}; /* NULL-terminated */
    guint n = 0;

    switch (toward) {
    case GW_RTPENGINE_SIDE_WEBRTC:
        gw_bencode_dict_set_string(d, "transport-protocol",
                                   "UDP/TLS/RTP/SAVPF");
        gw_bencode_dict_set_string(d, "ICE", "force");
        gw_bencode_dict_set_list(d, "rtcp-mux", "offer", "require", NULL);
        gw_bencode_dict_set_list(d, "SDES", "off", NULL);
        flag[n++] = "generate mid";
        break;
    case GW_RTPENGINE_SIDE_SIP:
    case GW_RTPENGINE_SIDE_SIP_SDES:
        gw_bencode_dict_set_string(
            d, "transport-protocol",
            toward == GW_RTPENGINE_SIDE_SIP ? "RTP/AVP" : "RTP/SAVP");
        gw_bencode_dict_set_string(d, "ICE", "remove");
        gw_bencode_dict_set_string(d, "DTLS", "off");
        gw_bencode_dict_set_list(d, "rtcp-mux", "demux", NULL);
        if (toward == GW_RTPENGINE_SIDE_SIP_SDES)
            gw_bencode_dict_set_list(
                d, "SDES", "no-NULL_HMAC_SHA1_80", "no-NULL_HMAC_SHA1_32",
                "no-F8_128_HMAC_SHA1_80", "no-F8_128_HMAC_SHA1_32", NULL);
        break;
    default:
        g_return_if_reached();
    }
    if (flags & GW_RTPENGINE_FLAG_INJECT_DTMF)
        flag[n++] = "inject DTMF";
    if (n > 0)
        gw_bencode_dict_set_strv(d, "flags", flag);
    gw_bencode_dict_set_list(d, "replace", "origin", "session-connection",
                             NULL);
}

GwBencode *
gw_rtpengine_build_offer(const char *call_id, const char *from_tag,
                         const char *sdp, GwRtpengineSide toward,
                         GwRtpengineFlags flags)
{
    GwBencode *d;

    g_return_val_if_fail(call_id != NULL && from_tag != NULL, NULL);
    g_return_val_if_fail(sdp != NULL, NULL);
    d = command_new("offer", call_id);
    gw_bencode_dict_set_string(d, "from-tag", from_tag);
    gw_bencode_dict_set_string(d, "sdp", sdp);
    add_profile(d, toward, flags);
    return d;
}

GwBencode *
gw_rtpengine_build_answer(const char *call_id, const char *from_tag,
                          const char *to_tag, const char *sdp,
                          GwRtpengineSide toward, GwRtpengineFlags flags)
{
    GwBencode *d;

    g_return_val_if_fail(call_id != NULL && from_tag != NULL, NULL);
    g_return_val_if_fail(to_tag != NULL && sdp != NULL, NULL);
    d = command_new("answer", call_id);
    gw_bencode_dict_set_string(d, "from-tag", from_tag);
    gw_bencode_dict_set_string(d, "to-tag", to_tag);
    gw_bencode_dict_set_string(d, "sdp", sdp);
    add_profile(d, toward, flags);
    return d;
}

guint
gw_rtpengine_offer(GwRtpengine *rtpe, const char *call_id, const char *from_tag,
                   const char *sdp, GwRtpengineSide toward,
                   GwRtpengineFlags flags, GwRtpengineReplyFunc callback,
                   gpointer user_data)
{
    GwBencode *d =
        gw_rtpengine_build_offer(call_id, from_tag, sdp, toward, flags);

    g_return_val_if_fail(d != NULL, 0);
    return gw_rtpengine_send(rtpe, d, callback, user_data);
}

guint
gw_rtpengine_answer(GwRtpengine *rtpe, const char *call_id,
                    const char *from_tag, const char *to_tag, const char *sdp,
                    GwRtpengineSide toward, GwRtpengineFlags flags,
                    GwRtpengineReplyFunc callback, gpointer user_data)
{
    GwBencode *d = gw_rtpengine_build_answer(call_id, from_tag, to_tag, sdp,
                                             toward, flags);

    g_return_val_if_fail(d != NULL, 0);
    return gw_rtpengine_send(rtpe, d, callback, user_data);
}

/* Printable ASCII (space allowed only if `spaces`), 1..max bytes. */
static gboolean
is_sdp_text(const char *s, gboolean spaces, gsize max)
{
    gsize n = 0;

    if (s == NULL)
        return FALSE;
    for (; s[n] != '\0'; n++) {
        guchar c = (guchar)s[n];

        if (n >= max || c > 0x7e || c < 0x20 || (c == ' ' && !spaces))
            return FALSE;
    }
    return n > 0;
}

static gboolean
check_field(const char *field, const char *value, gboolean spaces, gsize max,
            GError **error)
{
    g_autofree char *shown = NULL;

    if (is_sdp_text(value, spaces, max))
        return TRUE;
    shown = quote(value != NULL ? value : "");
    g_set_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID,
                "trickle fragment: bad %s '%s'", field, shown);
    return FALSE;
}

GwBencode *
gw_rtpengine_build_offer_fragment(const char *call_id, const char *from_tag,
                                  const char *mid, guint pt, const char *ufrag,
                                  const char *pwd,
                                  const char *const *candidates,
                                  gboolean end_of_candidates, GError **error)
{
    g_autoptr(GString) sdp = NULL;
    GwBencode *d;

    g_return_val_if_fail(call_id != NULL && from_tag != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!check_field("mid", mid, FALSE, 256, error) ||
        !check_field("ice-ufrag", ufrag, FALSE, 256, error) ||
        !check_field("ice-pwd", pwd, FALSE, 256, error))
        return NULL;
    if (pt > 127) {
        g_set_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID,
                    "trickle fragment: bad payload type %u", pt);
        return NULL;
    }
    /* See rtpengine.h for why "v=0" comes first (rtpengine 10.5). */
    sdp = g_string_new("v=0\r\n");
    g_string_append_printf(sdp,
                           "m=audio 9 UDP/TLS/RTP/SAVPF %u\r\n"
                           "c=IN IP4 0.0.0.0\r\n"
                           "a=mid:%s\r\n"
                           "a=ice-ufrag:%s\r\n"
                           "a=ice-pwd:%s\r\n",
                           pt, mid, ufrag, pwd);
    for (guint i = 0; candidates != NULL && candidates[i] != NULL; i++) {
        const char *c = candidates[i];

        if (!g_str_has_prefix(c, "candidate:") || !is_sdp_text(c, TRUE, 1024)) {
            g_autofree char *shown = quote(c);
            g_set_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID,
                        "trickle fragment: bad candidate '%s'", shown);
            return NULL;
        }
        g_string_append_printf(sdp, "a=%s\r\n", c);
    }
    if (end_of_candidates)
        g_string_append(sdp, "a=end-of-candidates\r\n");

    d = command_new("offer", call_id);
    gw_bencode_dict_set_string(d, "from-tag", from_tag);
    gw_bencode_dict_set_string(d, "sdp", sdp->str);
    gw_bencode_dict_set_list(d, "flags", "fragment", NULL);
    return d;
}

guint
gw_rtpengine_offer_fragment(GwRtpengine *rtpe, const char *call_id,
                            const char *from_tag, const char *mid, guint pt,
                            const char *ufrag, const char *pwd,
                            const char *const *candidates,
                            gboolean end_of_candidates,
                            GwRtpengineReplyFunc callback, gpointer user_data,
                            GError **error)
{
    GwBencode *d = gw_rtpengine_build_offer_fragment(call_id, from_tag, mid, pt,
                                                     ufrag, pwd, candidates,
                                                     end_of_candidates, error);

    if (d == NULL)
        return 0;
    return gw_rtpengine_send(rtpe, d, callback, user_data);
}

GwBencode *
gw_rtpengine_build_delete(const char *call_id, const char *from_tag,
                          const char *to_tag)
{
    GwBencode *d;

    g_return_val_if_fail(call_id != NULL, NULL);
    d = command_new("delete", call_id);
    if (from_tag != NULL)
        gw_bencode_dict_set_string(d, "from-tag", from_tag);
    if (to_tag != NULL)
        gw_bencode_dict_set_string(d, "to-tag", to_tag);
    /* Now, not after rtpengine's delete-delay (30 s): see rtpengine.h. */
    gw_bencode_dict_set_int(d, "delete delay", 0);
    return d;
}

guint
gw_rtpengine_delete(GwRtpengine *rtpe, const char *call_id,
                    const char *from_tag, const char *to_tag,
                    GwRtpengineReplyFunc callback, gpointer user_data)
{
    GwBencode *d = gw_rtpengine_build_delete(call_id, from_tag, to_tag);

    g_return_val_if_fail(d != NULL, 0);
    return gw_rtpengine_send(rtpe, d, callback, user_data);
}

GwBencode *
gw_rtpengine_build_query(const char *call_id, const char *from_tag)
{
    GwBencode *d;

    g_return_val_if_fail(call_id != NULL, NULL);
    d = command_new("query", call_id);
    if (from_tag != NULL)
        gw_bencode_dict_set_string(d, "from-tag", from_tag);
    return d;
}

guint
gw_rtpengine_query(GwRtpengine *rtpe, const char *call_id, const char *from_tag,
                   GwRtpengineReplyFunc callback, gpointer user_data)
{
    GwBencode *d = gw_rtpengine_build_query(call_id, from_tag);

    g_return_val_if_fail(d != NULL, 0);
    return gw_rtpengine_send(rtpe, d, callback, user_data);
}

GwBencode *
gw_rtpengine_build_ping(void)
{
    return command_new("ping", NULL);
}

guint
gw_rtpengine_ping(GwRtpengine *rtpe, GwRtpengineReplyFunc callback,
                  gpointer user_data)
{
    return gw_rtpengine_send(rtpe, gw_rtpengine_build_ping(), callback,
                             user_data);
}

GwBencode *
gw_rtpengine_build_play_dtmf(const char *call_id, const char *from_tag,
                             char code, guint duration_ms, guint volume_db,
                             GError **error)
{
    char digit[2] = {g_ascii_toupper(code), '\0'};
    GwBencode *d;

    g_return_val_if_fail(call_id != NULL && from_tag != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    /* The ng protocol's DTMF events: 0-9 * # A-D (RFC 4733 events 0-15). */
    if (digit[0] == '\0' || strchr("0123456789*#ABCD", digit[0]) == NULL) {
        g_set_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID,
                    "play DTMF: bad code 0x%02x", (guchar)code);
        return NULL;
    }
    /* rtpengine's bounds (ng_control_protocol.md, "play DTMF"); a SIP INFO
     * Duration outside them still deserves its digit. */
    if (duration_ms != 0)
        duration_ms = CLAMP(duration_ms, 100, 5000);
    volume_db = MIN(volume_db, 63);
    d = command_new("play DTMF", call_id);
    gw_bencode_dict_set_string(d, "from-tag", from_tag);
    gw_bencode_dict_set_string(d, "code", digit);
    if (duration_ms != 0)
        gw_bencode_dict_set_int(d, "duration", duration_ms);
    if (volume_db != 0)
        gw_bencode_dict_set_int(d, "volume", volume_db);
    return d;
}

guint
gw_rtpengine_play_dtmf(GwRtpengine *rtpe, const char *call_id,
                       const char *from_tag, char code, guint duration_ms,
                       guint volume_db, GwRtpengineReplyFunc callback,
                       gpointer user_data, GError **error)
{
    GwBencode *d = gw_rtpengine_build_play_dtmf(call_id, from_tag, code,
                                                duration_ms, volume_db, error);

    if (d == NULL)
        return 0;
    return gw_rtpengine_send(rtpe, d, callback, user_data);
}
