/* tests/test_rtpengine.c: the rtpengine ng client (gateway/rtpengine.c)
 * against a REAL rtpengine it starts itself, plus fake UDP servers for
 * what a real rtpengine cannot produce (junk answers, silence, delays).
 *
 * /rtpengine/0.x  builders and address parsing, no server needed
 * /rtpengine/1.x  a real rtpengine (skipped when the binary is missing):
 *                 ping, the four offer/answer directions, SDES, a trickle
 *                 fragment whose candidate rtpengine really checks, play
 *                 DTMF with media flowing, query, delete, refusals, many
 *                 requests in flight, cancellation
 * /rtpengine/2.x  failure paths: rtpengine stopped (timeout after the
 *                 retries), garbage, retransmission, duplicates, odd
 *                 answers, cancellation and free inside callbacks
 *
 * rtpengine runs as started by notes/peers.md, userspace only, on free
 * loopback ports picked at run time, with its log in a temporary file
 * (printed when a case fails); it is stopped by PID with SIGTERM.
 */
#include "rtpengine.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SKIP_NO_RTPENGINE                                                      \
    "rtpengine not installed (Debian package rtpengine-daemon)"

/* ---- main-loop helpers ------------------------------------------------ */

static gboolean
tick(gpointer user_data)
{
    return G_SOURCE_CONTINUE;
}

/* Runs the default context until *counter >= want or `ms` passed. */
static gboolean
wait_count(const guint *counter, guint want, guint ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    guint t = g_timeout_add(5, tick, NULL);

    while (*counter < want && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_source_remove(t);
    return *counter >= want;
}

static void
run_for(guint ms)
{
    guint never = 0;

    wait_count(&never, 1, ms);
}

typedef struct {
    guint calls;
    GwBencode *reply;
    GError *error;
    gint64 done_at;
} Outcome;

static void
outcome_clear(Outcome *o)
{
    g_clear_pointer(&o->reply, gw_bencode_free);
    g_clear_error(&o->error);
    o->calls = 0;
}

static void
on_reply(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
         gpointer user_data)
{
    Outcome *o = user_data;

    g_assert_true((reply == NULL) != (error == NULL));
    o->calls++;
    o->done_at = g_get_monotonic_time();
    g_clear_pointer(&o->reply, gw_bencode_free);
    g_clear_error(&o->error);
    o->reply = gw_bencode_copy(reply);
    o->error = error ? g_error_copy(error) : NULL;
}

static void
on_reply_never(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
               gpointer user_data)
{
    g_error("callback of a cancelled request was called");
}

/* Waits for the one callback of a request and asserts it came once. */
static void
wait_outcome(Outcome *o, guint ms)
{
    if (!wait_count(&o->calls, 1, ms))
        g_error("no callback within %u ms", ms);
    run_for(20); /* a second call would show up here */
    g_assert_cmpuint(o->calls, ==, 1);
}

/* ---- fixtures and SDP checks ------------------------------------------ */

static char *
read_sdp(const char *name)
{
    g_autofree char *path =
        g_test_build_filename(G_TEST_DIST, "data", "rtpengine", name, NULL);
    g_autoptr(GError) error = NULL;
    char *data = NULL;

    if (!g_file_get_contents(path, &data, NULL, &error))
        g_error("fixture %s: %s", name, error->message);
    return data;
}

/* The lines of an SDP (CRLF or LF). (transfer full) */
static char **
sdp_lines(const char *sdp)
{
    char **lines = g_strsplit(sdp, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
        g_strchomp(lines[i]);
    return lines;
}

static guint
count_lines(const char *sdp, const char *prefix)
{
    g_auto(GStrv) lines = sdp_lines(sdp);
    guint n = 0;

    for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix(lines[i], prefix))
            n++;
    return n;
}

/* The value after `prefix` on the first line that has it, or NULL. */
static char *
line_value(const char *sdp, const char *prefix)
{
    g_auto(GStrv) lines = sdp_lines(sdp);

    for (guint i = 0; lines[i] != NULL; i++)
        if (g_str_has_prefix(lines[i], prefix))
            return g_strdup(lines[i] + strlen(prefix));
    return NULL;
}

/* "m=audio PORT PROTO ...": port and protocol. */
static guint
m_line(const char *sdp, char **proto)
{
    g_autofree char *m = line_value(sdp, "m=audio ");
    g_auto(GStrv) parts = NULL;
    guint64 port = 0;

    g_assert_nonnull(m);
    parts = g_strsplit(m, " ", 3);
    g_assert_nonnull(parts[0]);
    g_assert_nonnull(parts[1]);
    g_assert_true(
        g_ascii_string_to_unsigned(parts[0], 10, 1, 65535, &port, NULL));
    if (proto != NULL)
        *proto = g_strdup(parts[1]);
    return (guint)port;
}

static char *
without_lines(const char *sdp, const char *prefix)
{
    g_auto(GStrv) lines = g_strsplit(sdp, "\r\n", -1);
    GString *out = g_string_new(NULL);

    for (guint i = 0; lines[i] != NULL; i++) {
        if (g_str_has_prefix(lines[i], prefix))
            continue;
        g_string_append(out, lines[i]);
        if (lines[i + 1] != NULL)
            g_string_append(out, "\r\n");
    }
    return g_string_free(out, FALSE);
}

/* What the plain SIP side must get: RTP/AVP (or RTP/SAVP) on rtpengine's
 * address, no ICE and no DTLS. */
static void
assert_plain_sdp(const char *sdp, const char *want_proto)
{
    g_autofree char *proto = NULL;
    g_autofree char *c = line_value(sdp, "c=");
    g_autofree char *o = line_value(sdp, "o=");

    m_line(sdp, &proto);
    g_assert_cmpstr(proto, ==, want_proto);
    g_assert_cmpstr(c, ==, "IN IP4 127.0.0.1");
    g_assert_true(g_str_has_suffix(o, " IN IP4 127.0.0.1"));
    g_assert_cmpuint(count_lines(sdp, "a=candidate"), ==, 0);
    g_assert_cmpuint(count_lines(sdp, "a=ice-"), ==, 0);
    g_assert_cmpuint(count_lines(sdp, "a=fingerprint"), ==, 0);
    g_assert_cmpuint(count_lines(sdp, "a=setup"), ==, 0);
    g_assert_cmpuint(count_lines(sdp, "a=rtcp-mux"), ==, 0);
    g_assert_cmpuint(count_lines(sdp, "a=group:BUNDLE"), ==, 0);
    g_assert_cmpuint(count_lines(sdp, "a=rtcp:"), ==, 1); /* demuxed RTCP */
    if (count_lines(sdp, "a=end-of-candidates") > 0)
        g_test_message("rtpengine kept a=end-of-candidates (known, harmless)");
}

/* What the WebRTC side must get. `answer`: setup active or passive (never
 * actpass, dino#1072); an offer says actpass. */
static void
assert_webrtc_sdp(const char *sdp, gboolean answer)
{
    g_autofree char *proto = NULL;
    g_autofree char *setup = line_value(sdp, "a=setup:");
    g_autofree char *fp = line_value(sdp, "a=fingerprint:");
    g_autofree char *cand = line_value(sdp, "a=candidate:");

    m_line(sdp, &proto);
    g_assert_cmpstr(proto, ==, "UDP/TLS/RTP/SAVPF");
    g_assert_nonnull(fp);
    g_assert_true(g_str_has_prefix(fp, "sha-256 "));
    g_assert_nonnull(setup);
    if (answer)
        g_assert_true(strcmp(setup, "active") == 0 ||
                      strcmp(setup, "passive") == 0);
    else
        g_assert_cmpstr(setup, ==, "actpass");
    g_assert_nonnull(cand);
    g_assert_nonnull(strstr(cand, " 127.0.0.1 "));
    g_assert_cmpuint(count_lines(sdp, "a=ice-ufrag:"), ==, 1);
    g_assert_cmpuint(count_lines(sdp, "a=ice-pwd:"), ==, 1);
    g_assert_cmpuint(count_lines(sdp, "a=rtcp-mux"), ==, 1);
    g_assert_cmpuint(count_lines(sdp, "a=crypto:"), ==, 0); /* SDES off */
    g_assert_cmpuint(count_lines(sdp, "a=mid:"), ==, 1);
}

/* ---- a real rtpengine ------------------------------------------------- */

typedef struct {
    GPid pid;
    char *dir;
    char *log_path;
    char *address;
    guint port_min;
} Rtpe;

static Rtpe main_rtpe; /* shared by the 1.x cases, started in main() */
static char *rtpengine_path;

static guint
free_udp_port(void)
{
    g_autoptr(GSocket) s =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                     G_SOCKET_PROTOCOL_UDP, NULL);
    g_autoptr(GInetAddress) lo =
        g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    g_assert_true(g_socket_bind(s, any, FALSE, NULL));
    bound = g_socket_get_local_address(s, NULL);
    return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

static char *
rtpe_log(const Rtpe *r)
{
    char *text = NULL;

    if (r->log_path == NULL ||
        !g_file_get_contents(r->log_path, &text, NULL, NULL))
        return g_strdup("");
    return text;
}

static void
ping_cb_count(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
              gpointer user_data)
{
    if (reply != NULL)
        (*(guint *)user_data)++;
}

/* In the child before exec: if this test dies (an assertion aborts it
 * before rtpe_stop()), the kernel sends rtpengine SIGTERM too. */
static void
die_with_parent(gpointer user_data)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* Starts rtpengine as notes/peers.md does, on free loopback ports, and
 * waits for its ng listener to answer a ping. */
static void
rtpe_start(Rtpe *r)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *ng = NULL, *pmin = NULL, *pmax = NULL;
    int fd;

    memset(r, 0, sizeof *r);
    r->dir = g_dir_make_tmp("gw-rtpe-XXXXXX", &error);
    g_assert_no_error(error);
    r->log_path = g_build_filename(r->dir, "rtpengine.log", NULL);
    r->address = g_strdup_printf("127.0.0.1:%u", free_udp_port());
    /* Media ports below the kernel's ephemeral range (32768+), in a block
     * of 200 chosen at random; rtpengine skips ports already taken. */
    r->port_min = 10000 + (guint)g_random_int_range(0, 100) * 200;
    ng = g_strdup_printf("--listen-ng=%s", r->address);
    pmin = g_strdup_printf("--port-min=%u", r->port_min);
    pmax = g_strdup_printf("--port-max=%u", r->port_min + 199);
    {
        const char *argv[] = {rtpengine_path,
                              "--config-file=none",
                              "--foreground",
                              "--log-stderr",
                              "--log-level=7",
                              "--table=-1",
                              "--interface=127.0.0.1",
                              ng,
                              pmin,
                              pmax,
                              NULL};

        fd = g_open(r->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        g_assert_cmpint(fd, >=, 0);
        g_spawn_async_with_fds(r->dir, (char **)argv, NULL,
                               G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent, NULL,
                               &r->pid, -1, fd, fd, &error);
        close(fd);
        g_assert_no_error(error);
    }

    /* Ready when it answers a ping (a fresh client per try: 200 ms). */
    for (guint i = 0; i < 50; i++) {
        GwRtpengineConfig cfg = {200, 1};
        g_autoptr(GwRtpengine) c = gw_rtpengine_new(r->address, &cfg, &error);
        guint pongs = 0;

        g_assert_no_error(error);
        gw_rtpengine_ping(c, ping_cb_count, &pongs);
        if (wait_count(&pongs, 1, 250))
            return;
        if (waitpid(r->pid, NULL, WNOHANG) == r->pid) {
            g_autofree char *log = rtpe_log(r);
            r->pid = 0;
            g_error("rtpengine exited at start:\n%s", log);
        }
    }
    g_error("rtpengine did not answer a ping within 10 s");
}

/* SIGTERM by PID, then SIGKILL if it lingers. */
static void
rtpe_stop(Rtpe *r)
{
    if (r->pid > 0) {
        int status;
        gboolean gone = FALSE;

        kill(r->pid, SIGTERM);
        for (guint i = 0; i < 500 && !gone; i++) {
            if (waitpid(r->pid, &status, WNOHANG) == r->pid)
                gone = TRUE;
            else
                g_usleep(10000);
        }
        if (!gone) {
            kill(r->pid, SIGKILL);
            waitpid(r->pid, &status, 0);
        }
        g_spawn_close_pid(r->pid);
        r->pid = 0;
    }
    if (r->log_path != NULL)
        g_unlink(r->log_path);
    if (r->dir != NULL)
        g_rmdir(r->dir);
    g_clear_pointer(&r->log_path, g_free);
    g_clear_pointer(&r->dir, g_free);
    g_clear_pointer(&r->address, g_free);
}

static GwRtpengine *
client_for(const char *address)
{
    g_autoptr(GError) error = NULL;
    GwRtpengineConfig cfg = {1000, 3};
    GwRtpengine *c = gw_rtpengine_new(address, &cfg, &error);

    g_assert_no_error(error);
    return c;
}

/* Client of the shared rtpengine, or NULL after g_test_skip(). */
static GwRtpengine *
main_client(void)
{
    if (rtpengine_path == NULL) {
        g_test_skip(SKIP_NO_RTPENGINE);
        return NULL;
    }
    return client_for(main_rtpe.address);
}

/* A request on `c` that must succeed: the reply (transfer full). */
static GwBencode *
expect_ok(GwRtpengine *c, GwBencode *request)
{
    Outcome o = {0};

    gw_rtpengine_send(c, request, on_reply, &o);
    wait_outcome(&o, 5000);
    if (o.error != NULL) {
        g_autofree char *log = rtpe_log(&main_rtpe);
        g_printerr("%s\n", log);
        g_error("%s", o.error->message);
    }
    return g_steal_pointer(&o.reply);
}

static const char *
reply_sdp(const GwBencode *reply)
{
    const char *sdp = gw_bencode_dict_get_string(reply, "sdp", NULL);

    g_assert_nonnull(sdp);
    return sdp;
}

/* Per-tag media flags from a query reply, e.g. "DTLS-SRTP ICE". */
static char *
query_flags(const GwBencode *query, const char *tag)
{
    const GwBencode *tags = gw_bencode_dict_get_dict(query, "tags");
    const GwBencode *t = gw_bencode_dict_get_dict(tags, tag);
    const GwBencode *medias = gw_bencode_dict_get_list(t, "medias");
    const GwBencode *flags =
        gw_bencode_dict_get_list(gw_bencode_list_peek(medias, 0), "flags");
    GString *out = g_string_new(NULL);

    g_assert_nonnull(flags);
    for (guint i = 0; i < gw_bencode_list_length(flags); i++)
        g_string_append_printf(
            out, "[%s]",
            gw_bencode_peek_string(gw_bencode_list_peek(flags, i), NULL));
    return g_string_free(out, FALSE);
}

static char *
unique_call_id(const char *what)
{
    static guint n;

    return g_strdup_printf("%s-%u-%d@gw.test", what, ++n, (int)getpid());
}

/* ---- fake servers ----------------------------------------------------- */

typedef enum {
    FAKE_PONG,       /* answers d6:result4:ponge */
    FAKE_SILENT,     /* never answers */
    FAKE_GARBAGE,    /* right cookie, not bencode */
    FAKE_DROP_FIRST, /* ignores the first datagram, answers the rest */
    FAKE_DELAYED,    /* answers after 300 ms */
    FAKE_TWICE,      /* answers every request twice */
    FAKE_NOT_DICT,   /* li1ee */
    FAKE_NO_RESULT,  /* d3:foo3:bare */
    FAKE_ERROR_NO_REASON,
    FAKE_ODD_RESULT,  /* result "load limit" */
    FAKE_STRAY_FIRST, /* junk, another cookie, then the right answer */
} FakeMode;

typedef struct {
    GSocket *socket;
    GSource *source;
    char *address;
    FakeMode mode;
    GPtrArray *received; /* GBytes */
} FakeServer;

typedef struct {
    FakeServer *fake;
    GSocketAddress *to;
    GBytes *data;
} Delayed;

static void
fake_send(FakeServer *f, GSocketAddress *to, const char *cookie,
          const char *body)
{
    g_autofree char *dgram =
        cookie ? g_strdup_printf("%s %s", cookie, body) : g_strdup(body);

    g_socket_send_to(f->socket, to, dgram, strlen(dgram), NULL, NULL);
}

static gboolean
fake_delayed(gpointer user_data)
{
    Delayed *d = user_data;

    g_socket_send_to(d->fake->socket, d->to, g_bytes_get_data(d->data, NULL),
                     g_bytes_get_size(d->data), NULL, NULL);
    g_object_unref(d->to);
    g_bytes_unref(d->data);
    g_free(d);
    return G_SOURCE_REMOVE;
}

static gboolean
fake_readable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    FakeServer *f = user_data;
    char buf[65536];
    GSocketAddress *from = NULL;
    gssize n =
        g_socket_receive_from(socket, &from, buf, sizeof buf - 1, NULL, NULL);
    g_autofree char *cookie = NULL;
    char *space;

    if (n < 0)
        return G_SOURCE_CONTINUE;
    buf[n] = '\0';
    g_ptr_array_add(f->received, g_bytes_new(buf, (gsize)n));
    space = strchr(buf, ' ');
    cookie = space ? g_strndup(buf, (gsize)(space - buf)) : g_strdup("");

    switch (f->mode) {
    case FAKE_PONG:
        fake_send(f, from, cookie, "d6:result4:ponge");
        break;
    case FAKE_SILENT:
        break;
    case FAKE_GARBAGE:
        fake_send(f, from, cookie, "<html>this is not bencode</html>");
        break;
    case FAKE_DROP_FIRST:
        if (f->received->len > 1)
            fake_send(f, from, cookie, "d6:result4:ponge");
        break;
    case FAKE_DELAYED: {
        Delayed *d = g_new0(Delayed, 1);
        d->fake = f;
        d->to = g_object_ref(from);
        d->data =
            g_bytes_new_take(g_strdup_printf("%s d6:result4:ponge", cookie),
                             strlen(cookie) + 17);
        g_timeout_add(300, fake_delayed, d);
        break;
    }
    case FAKE_TWICE:
        fake_send(f, from, cookie, "d6:result4:ponge");
        fake_send(f, from, cookie, "d6:result4:ponge");
        break;
    case FAKE_NOT_DICT:
        fake_send(f, from, cookie, "li1ee");
        break;
    case FAKE_NO_RESULT:
        fake_send(f, from, cookie, "d3:foo3:bare");
        break;
    case FAKE_ERROR_NO_REASON:
        fake_send(f, from, cookie, "d6:result5:errore");
        break;
    case FAKE_ODD_RESULT:
        fake_send(f, from, cookie, "d6:result10:load limite");
        break;
    case FAKE_STRAY_FIRST:
        fake_send(f, from, NULL, "nocookie");
        fake_send(f, from, NULL, " d6:result4:ponge");
        fake_send(f, from, "0123abcd_999", "d6:result4:ponge");
        fake_send(f, from, cookie, "d6:result2:oke");
        break;
    }
    g_object_unref(from);
    return G_SOURCE_CONTINUE;
}

static FakeServer *
fake_new(FakeMode mode, GSocketFamily family)
{
    FakeServer *f = g_new0(FakeServer, 1);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(family);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autofree char *ip = g_inet_address_to_string(lo);
    guint port;

    f->mode = mode;
    f->received = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    f->socket = g_socket_new(family, G_SOCKET_TYPE_DATAGRAM,
                             G_SOCKET_PROTOCOL_UDP, NULL);
    if (f->socket == NULL || !g_socket_bind(f->socket, any, FALSE, NULL)) {
        g_clear_object(&f->socket);
        g_ptr_array_unref(f->received);
        g_free(f);
        return NULL;
    }
    bound = g_socket_get_local_address(f->socket, NULL);
    port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    f->address = family == G_SOCKET_FAMILY_IPV6
                     ? g_strdup_printf("[%s]:%u", ip, port)
                     : g_strdup_printf("%s:%u", ip, port);
    g_socket_set_blocking(f->socket, FALSE);
    f->source = g_socket_create_source(f->socket, G_IO_IN, NULL);
    g_source_set_callback(f->source, G_SOURCE_FUNC(fake_readable), f, NULL);
    g_source_attach(f->source, NULL);
    return f;
}

static void
fake_free(FakeServer *f)
{
    if (f == NULL)
        return;
    run_for(10); /* let delayed sends that are due go */
    g_source_destroy(f->source);
    g_source_unref(f->source);
    g_object_unref(f->socket);
    g_ptr_array_unref(f->received);
    g_free(f->address);
    g_free(f);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeServer, fake_free)

static GwRtpengine *
fast_client(const char *address, guint timeout_ms, guint tries)
{
    g_autoptr(GError) error = NULL;
    GwRtpengineConfig cfg = {timeout_ms, tries};
    GwRtpengine *c = gw_rtpengine_new(address, &cfg, &error);

    g_assert_no_error(error);
    return c;
}

/* ---- 0.x: no server ---------------------------------------------------- */

static void
test_0_1_profiles(void)
{
    struct {
        GwRtpengineSide side;
        GwRtpengineFlags flags;
        const char *want; /* debug rendering minus command/ids/sdp */
    } rows[] = {
        {GW_RTPENGINE_SIDE_WEBRTC, GW_RTPENGINE_FLAG_NONE,
         "{\"transport-protocol\": \"UDP/TLS/RTP/SAVPF\", \"ICE\": \"force\", "
         "\"rtcp-mux\": [\"offer\", \"require\"], \"SDES\": [\"off\"], "
         "\"flags\": [\"generate mid\"], "
         "\"replace\": [\"origin\", \"session-connection\"]}"},
        {GW_RTPENGINE_SIDE_SIP, GW_RTPENGINE_FLAG_NONE,
         "{\"transport-protocol\": \"RTP/AVP\", \"ICE\": \"remove\", "
         "\"DTLS\": \"off\", \"rtcp-mux\": [\"demux\"], "
         "\"replace\": [\"origin\", \"session-connection\"]}"},
        {GW_RTPENGINE_SIDE_SIP_SDES, GW_RTPENGINE_FLAG_INJECT_DTMF,
         "{\"transport-protocol\": \"RTP/SAVP\", \"ICE\": \"remove\", "
         "\"DTLS\": \"off\", \"rtcp-mux\": [\"demux\"], \"SDES\": "
         "[\"no-NULL_HMAC_SHA1_80\", \"no-NULL_HMAC_SHA1_32\", "
         "\"no-F8_128_HMAC_SHA1_80\", \"no-F8_128_HMAC_SHA1_32\"], "
         "\"flags\": [\"inject DTMF\"], "
         "\"replace\": [\"origin\", \"session-connection\"]}"},
        {GW_RTPENGINE_SIDE_WEBRTC, GW_RTPENGINE_FLAG_INJECT_DTMF,
         "{\"transport-protocol\": \"UDP/TLS/RTP/SAVPF\", \"ICE\": \"force\", "
         "\"rtcp-mux\": [\"offer\", \"require\"], \"SDES\": [\"off\"], "
         "\"flags\": [\"generate mid\", \"inject DTMF\"], "
         "\"replace\": [\"origin\", \"session-connection\"]}"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GwBencode) offer = gw_rtpengine_build_offer(
            "c1", "ft", "v=0\r\n", rows[i].side, rows[i].flags);
        g_autoptr(GwBencode) answer = gw_rtpengine_build_answer(
            "c1", "ft", "tt", "v=0\r\n", rows[i].side, rows[i].flags);
        g_autofree char *got = NULL;

        g_assert_cmpstr(gw_bencode_dict_get_string(offer, "command", NULL), ==,
                        "offer");
        g_assert_cmpstr(gw_bencode_dict_get_string(offer, "call-id", NULL), ==,
                        "c1");
        g_assert_cmpstr(gw_bencode_dict_get_string(offer, "from-tag", NULL), ==,
                        "ft");
        g_assert_null(gw_bencode_dict_peek(offer, "to-tag"));
        g_assert_cmpstr(gw_bencode_dict_get_string(answer, "command", NULL), ==,
                        "answer");
        g_assert_cmpstr(gw_bencode_dict_get_string(answer, "to-tag", NULL), ==,
                        "tt");
        g_assert_cmpstr(gw_bencode_dict_get_string(answer, "sdp", NULL), ==,
                        "v=0\r\n");
        /* never a DTLS role (the deadlock trap) */
        if (rows[i].side == GW_RTPENGINE_SIDE_WEBRTC)
            g_assert_null(gw_bencode_dict_peek(answer, "DTLS"));
        for (const char *const *k =
                 (const char *const[]){"command", "call-id", "from-tag",
                                       "to-tag", "sdp", NULL};
             *k != NULL; k++) {
            gw_bencode_dict_remove(offer, *k);
            gw_bencode_dict_remove(answer, *k);
        }
        got = gw_bencode_to_debug_string(offer, 0);
        g_assert_cmpstr(got, ==, rows[i].want);
        g_assert_true(gw_bencode_equal(offer, answer));
    }
}

static void
test_0_2_fragment(void)
{
    const char *const cands[] = {
        "candidate:1 1 udp 2122194687 192.0.2.10 45076 typ host generation 0",
        "candidate:2 1 udp 1685987071 203.0.113.7 61000 typ srflx raddr "
        "192.0.2.10 rport 45076",
        NULL};
    const char *const bad_cand[] = {"candidate:1 1 udp 1 192.0.2.1 9 typ "
                                    "host\r\na=inject:1",
                                    NULL};
    const char *const no_prefix[] = {"1 1 udp 1 192.0.2.1 9 typ host", NULL};
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) f = gw_rtpengine_build_offer_fragment(
        "c1", "web", "audio", 111, "5+Ix", "uK8IlylxzDMUhrkVzdmj0M+v", cands,
        TRUE, &error);
    g_autofree char *flags = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(gw_bencode_dict_get_string(f, "command", NULL), ==,
                    "offer");
    g_assert_cmpstr(gw_bencode_dict_get_string(f, "from-tag", NULL), ==, "web");
    g_assert_cmpstr(gw_bencode_dict_get_string(f, "sdp", NULL), ==,
                    "v=0\r\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
                    "c=IN IP4 0.0.0.0\r\n"
                    "a=mid:audio\r\n"
                    "a=ice-ufrag:5+Ix\r\n"
                    "a=ice-pwd:uK8IlylxzDMUhrkVzdmj0M+v\r\n"
                    "a=candidate:1 1 udp 2122194687 192.0.2.10 45076 typ "
                    "host generation 0\r\n"
                    "a=candidate:2 1 udp 1685987071 203.0.113.7 61000 typ "
                    "srflx raddr 192.0.2.10 rport 45076\r\n"
                    "a=end-of-candidates\r\n");
    flags = gw_bencode_to_debug_string(gw_bencode_dict_peek(f, "flags"), 0);
    g_assert_cmpstr(flags, ==, "[\"fragment\"]");
    g_assert_cmpuint(gw_bencode_dict_size(f), ==, 5);

    /* peer input that cannot go into SDP: INVALID, nothing built */
    g_assert_null(gw_rtpengine_build_offer_fragment(
        "c1", "web", "audio", 111, "uf", "pw", bad_cand, FALSE, &error));
    g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(gw_rtpengine_build_offer_fragment(
        "c1", "web", "audio", 111, "uf", "pw", no_prefix, FALSE, &error));
    g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(gw_rtpengine_build_offer_fragment(
        "c1", "web", "a b", 111, "uf", "pw", NULL, FALSE, &error));
    g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(gw_rtpengine_build_offer_fragment(
        "c1", "web", "audio", 111, "", "pw", NULL, FALSE, &error));
    g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(gw_rtpengine_build_offer_fragment(
        "c1", "web", "audio", 111, "uf", NULL, NULL, FALSE, &error));
    g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(gw_rtpengine_build_offer_fragment(
        "c1", "web", "audio", 128, "uf", "pw", NULL, FALSE, &error));
    g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
}

static void
test_0_3_dtmf_and_others(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) d =
        gw_rtpengine_build_play_dtmf("c1", "sip", 'a', 200, 10, &error);
    g_autoptr(GwBencode) plain =
        gw_rtpengine_build_play_dtmf("c1", "sip", '#', 0, 0, &error);
    g_autoptr(GwBencode) del = gw_rtpengine_build_delete("c1", NULL, NULL);
    g_autoptr(GwBencode) q = gw_rtpengine_build_query("c1", "sip");
    g_autoptr(GwBencode) p = gw_rtpengine_build_ping();
    g_autofree char *s1 = gw_bencode_to_debug_string(d, 0);
    g_autofree char *s2 = gw_bencode_to_debug_string(plain, 0);
    g_autofree char *s3 = gw_bencode_to_debug_string(del, 0);
    g_autofree char *s4 = gw_bencode_to_debug_string(q, 0);
    g_autofree char *s5 = gw_bencode_to_debug_string(p, 0);
    static const struct {
        char code;
        guint duration, volume;
    } bad[] = {{'E', 0, 0}, {'\0', 0, 0}, {'\n', 0, 0}, {(char)0xb5, 0, 0}};
    g_autoptr(GwBencode) clamped =
        gw_rtpengine_build_play_dtmf("c1", "sip", '*', 40, 99, &error);
    gint64 n = 0;

    g_assert_no_error(error);
    g_assert_cmpstr(s1, ==,
                    "{\"command\": \"play DTMF\", \"call-id\": \"c1\", "
                    "\"from-tag\": \"sip\", \"code\": \"A\", \"duration\": "
                    "200, \"volume\": 10}");
    g_assert_cmpstr(s2, ==,
                    "{\"command\": \"play DTMF\", \"call-id\": \"c1\", "
                    "\"from-tag\": \"sip\", \"code\": \"#\"}");
    g_assert_cmpstr(s3, ==,
                    "{\"command\": \"delete\", \"call-id\": \"c1\", "
                    "\"delete delay\": 0}");
    g_assert_cmpstr(s4, ==,
                    "{\"command\": \"query\", \"call-id\": \"c1\", "
                    "\"from-tag\": \"sip\"}");
    g_assert_cmpstr(s5, ==, "{\"command\": \"ping\"}");
    /* out-of-range duration and volume are clamped, not refused */
    g_assert_true(gw_bencode_dict_get_int(clamped, "duration", &n));
    g_assert_cmpint(n, ==, 100);
    g_assert_true(gw_bencode_dict_get_int(clamped, "volume", &n));
    g_assert_cmpint(n, ==, 63);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GwBencode) b = gw_rtpengine_build_play_dtmf(
            "c1", "sip", bad[i].code, bad[i].duration, bad[i].volume, &error);
        g_assert_null(b);
        g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
        g_clear_error(&error);
    }
}

static void
test_0_4_addresses(void)
{
    static const char *const good[] = {"127.0.0.1:2223", "[::1]:2223",
                                       "192.0.2.1:1"};
    static const char *const bad[] = {
        "localhost:2223",  "127.0.0.1", "127.0.0.1:0",
        "127.0.0.1:65536", "::1:2223",  "[::1]2223",
        "[127.0.0.1]:5",   "[::1",      "",
        "127.0.0.1:22x3",  ":2223",     "127.0.0.1:-1"};

    for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GwRtpengine) c = gw_rtpengine_new(good[i], NULL, &error);

        if (error != NULL &&
            g_error_matches(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_IO)) {
            g_test_message("%s: %s (no IPv6 here?)", good[i], error->message);
            continue;
        }
        g_assert_no_error(error);
        g_assert_cmpstr(gw_rtpengine_get_address(c), ==, good[i]);
        g_assert_cmpuint(gw_rtpengine_get_pending(c), ==, 0);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GwRtpengine) c = gw_rtpengine_new(bad[i], NULL, &error);

        g_assert_null(c);
        g_assert_error(error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_INVALID);
    }
}

/* ---- 1.x: a real rtpengine -------------------------------------------- */

static void
test_1_1_ping(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autoptr(GwBencode) reply = NULL;

    if (c == NULL)
        return;
    reply = expect_ok(c, gw_rtpengine_build_ping());
    g_assert_cmpstr(gw_bencode_dict_get_string(reply, "result", NULL), ==,
                    "pong");
    g_assert_cmpuint(gw_rtpengine_get_pending(c), ==, 0);
}

/* 1.2 + 1.3: a WebRTC client calls a desk phone. */
static void
test_1_2_webrtc_offer_to_sip(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autofree char *call = unique_call_id("w2s");
    g_autofree char *offer = read_sdp("chrome-audio-offer-ipv6-tcp-candidates"
                                      ".sdp");
    g_autofree char *phone = read_sdp("aastra-6731i-offer.sdp");
    g_autoptr(GwBencode) r1 = NULL;
    g_autoptr(GwBencode) r2 = NULL;
    g_autoptr(GwBencode) q = NULL;
    g_autofree char *web_flags = NULL;
    g_autofree char *sip_flags = NULL;

    if (c == NULL)
        return;
    /* 1.2 offer from the WebRTC client, rewritten for the phone */
    r1 = expect_ok(c, gw_rtpengine_build_offer(call, "web", offer,
                                               GW_RTPENGINE_SIDE_SIP, 0));
    assert_plain_sdp(reply_sdp(r1), "RTP/AVP");

    /* 1.3 the phone's plain answer, rewritten for the WebRTC client */
    r2 = expect_ok(c, gw_rtpengine_build_answer(call, "web", "sip", phone,
                                                GW_RTPENGINE_SIDE_WEBRTC, 0));
    assert_webrtc_sdp(reply_sdp(r2), TRUE);
    g_assert_cmpuint(count_lines(reply_sdp(r2), "a=end-of-candidates"), ==, 1);

    q = expect_ok(c, gw_rtpengine_build_query(call, NULL));
    web_flags = query_flags(q, "web");
    sip_flags = query_flags(q, "sip");
    g_assert_nonnull(strstr(web_flags, "[DTLS-SRTP]"));
    g_assert_nonnull(strstr(web_flags, "[ICE]"));
    g_assert_null(strstr(web_flags, "[SDES]"));
    g_assert_null(strstr(sip_flags, "[DTLS-SRTP]"));
    g_assert_null(strstr(sip_flags, "[ICE]"));
    gw_bencode_free(expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL)));
}

/* 1.4 + 1.5: a desk phone calls a WebRTC client. */
static void
test_1_4_sip_offer_to_webrtc(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autofree char *call = unique_call_id("s2w");
    g_autofree char *phone = read_sdp("aastra-6731i-offer.sdp");
    g_autofree char *answer = read_sdp("freeswitch-webrtc-dtls-ice-answer.sdp");
    g_autoptr(GwBencode) r1 = NULL;
    g_autoptr(GwBencode) r2 = NULL;
    g_autoptr(GwBencode) q = NULL;
    g_autofree char *web_flags = NULL;

    if (c == NULL)
        return;
    /* 1.4 the phone's offer, rewritten for the WebRTC client */
    r1 = expect_ok(c, gw_rtpengine_build_offer(call, "sip", phone,
                                               GW_RTPENGINE_SIDE_WEBRTC, 0));
    assert_webrtc_sdp(reply_sdp(r1), FALSE);

    /* 1.5 the client's WebRTC answer, rewritten for the phone */
    r2 = expect_ok(c, gw_rtpengine_build_answer(call, "sip", "web", answer,
                                                GW_RTPENGINE_SIDE_SIP, 0));
    assert_plain_sdp(reply_sdp(r2), "RTP/AVP");

    /* "DTLS": "off" in that answer concerns the phone's side only */
    q = expect_ok(c, gw_rtpengine_build_query(call, "web"));
    web_flags = query_flags(q, "web");
    g_assert_nonnull(strstr(web_flags, "[DTLS-SRTP]"));
    g_assert_nonnull(strstr(web_flags, "[ICE]"));
    gw_bencode_free(expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL)));
}

/* 1.6: toward a SIP peer that wants SDES-SRTP. */
static void
test_1_6_sdes_offer(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autofree char *call = unique_call_id("sdes");
    g_autofree char *offer = read_sdp("firefox-58-audio-offer.sdp");
    g_autoptr(GwBencode) r = NULL;
    g_auto(GStrv) lines = NULL;
    const char *sdp;
    guint crypto = 0;

    if (c == NULL)
        return;
    r = expect_ok(c, gw_rtpengine_build_offer(call, "web", offer,
                                              GW_RTPENGINE_SIDE_SIP_SDES, 0));
    sdp = reply_sdp(r);
    assert_plain_sdp(sdp, "RTP/SAVP");
    lines = sdp_lines(sdp);
    for (guint i = 0; lines[i] != NULL; i++) {
        if (!g_str_has_prefix(lines[i], "a=crypto:"))
            continue;
        crypto++;
        g_assert_null(strstr(lines[i], " NULL_"));
        g_assert_null(strstr(lines[i], " F8_"));
    }
    g_assert_cmpuint(crypto, >=, 2);
    g_assert_nonnull(strstr(sdp, " AES_CM_128_HMAC_SHA1_80 inline:"));
    gw_bencode_free(expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL)));
}

/* A UDP socket on 127.0.0.1 that counts what arrives. */
typedef struct {
    GSocket *socket;
    GSource *source;
    guint port;
    guint stun_requests; /* STUN Binding requests with our ufrag */
    const char *ufrag;
    guint rtp; /* RTP packets by payload type */
    guint rtp_pt[128];
    int last_event; /* RFC 4733 event of the last telephone-event */
    guint event_pt;
} Probe;

static gboolean
probe_readable(GSocket *socket, GIOCondition cond, gpointer user_data)
{
    Probe *p = user_data;
    guint8 buf[2048];
    gssize n;

    while ((n = g_socket_receive(socket, (char *)buf, sizeof buf, NULL, NULL)) >
           0) {
        /* STUN (RFC 5389): type 0x0001, magic cookie 0x2112A442 */
        if (n >= 20 && buf[0] == 0x00 && buf[1] == 0x01 && buf[4] == 0x21 &&
            buf[5] == 0x12 && buf[6] == 0xA4 && buf[7] == 0x42) {
            gsize off = 20;

            while (off + 4 <= (gsize)n) {
                guint type = (guint)(buf[off] << 8 | buf[off + 1]);
                guint len = (guint)(buf[off + 2] << 8 | buf[off + 3]);

                if (off + 4 + len > (gsize)n)
                    break;
                /* USERNAME "<our ufrag>:<rtpengine's ufrag>" (RFC 8445
                 * 7.2.2: the checker puts the receiver's ufrag first) */
                if (type == 0x0006 && p->ufrag != NULL &&
                    len > strlen(p->ufrag) &&
                    memcmp(buf + off + 4, p->ufrag, strlen(p->ufrag)) == 0 &&
                    buf[off + 4 + strlen(p->ufrag)] == ':')
                    p->stun_requests++;
                off += 4 + ((len + 3) & ~3u);
            }
            continue;
        }
        if (n >= 12 && (buf[0] & 0xc0) == 0x80) {
            guint pt = buf[1] & 0x7f;

            p->rtp++;
            p->rtp_pt[pt]++;
            if (pt == p->event_pt && n >= 16)
                p->last_event = buf[12];
        }
    }
    return G_SOURCE_CONTINUE;
}

static void
probe_init(Probe *p)
{
    g_autoptr(GInetAddress) lo =
        g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
    g_autoptr(GSocketAddress) bound = NULL;

    memset(p, 0, sizeof *p);
    p->last_event = -1;
    p->socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                             G_SOCKET_PROTOCOL_UDP, NULL);
    g_assert_true(g_socket_bind(p->socket, any, FALSE, NULL));
    g_socket_set_blocking(p->socket, FALSE);
    bound = g_socket_get_local_address(p->socket, NULL);
    p->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    p->source = g_socket_create_source(p->socket, G_IO_IN, NULL);
    g_source_set_callback(p->source, G_SOURCE_FUNC(probe_readable), p, NULL);
    g_source_attach(p->source, NULL);
}

static void
probe_clear(Probe *p)
{
    g_source_destroy(p->source);
    g_source_unref(p->source);
    g_object_unref(p->socket);
}

/* 1.7: a trickled candidate is really learned. On loopback ICE would also
 * succeed by peer-reflexive learning (media.md), so "ok" proves nothing:
 * the candidate here points at a socket of ours, and we wait for
 * rtpengine's connectivity check (a STUN Binding request naming our ufrag)
 * to arrive there. */
static void
test_1_7_trickle_fragment(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autofree char *call = unique_call_id("trickle");
    g_autofree char *chrome = read_sdp("chrome-audio-offer-ipv6-tcp-candidates"
                                       ".sdp");
    g_autofree char *offer = NULL;
    g_autofree char *phone = read_sdp("aastra-6731i-offer.sdp");
    g_autofree char *cand = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) r = NULL;
    Outcome o = {0};
    Probe probe;
    const char *cands[2] = {NULL, NULL};

    if (c == NULL)
        return;
    /* the client offers first, candidates follow (Conversations' way) */
    offer = without_lines(chrome, "a=candidate:");
    g_assert_cmpuint(count_lines(offer, "a=candidate"), ==, 0);
    gw_bencode_free(
        expect_ok(c, gw_rtpengine_build_offer(call, "web", offer,
                                              GW_RTPENGINE_SIDE_SIP, 0)));

    probe_init(&probe);
    probe.ufrag = "5+Ix"; /* the offer's a=ice-ufrag */
    cand = g_strdup_printf("candidate:1039001212 1 udp 2122194687 127.0.0.1 "
                           "%u typ host generation 0",
                           probe.port);
    cands[0] = cand;
    gw_rtpengine_offer_fragment(c, call, "web", "audio", 111, "5+Ix",
                                "uK8IlylxzDMUhrkVzdmj0M+v", cands, FALSE,
                                on_reply, &o, &error);
    g_assert_no_error(error);
    wait_outcome(&o, 5000);
    g_assert_no_error(o.error);
    g_assert_cmpstr(gw_bencode_dict_get_string(o.reply, "result", NULL), ==,
                    "ok");
    g_assert_null(gw_bencode_dict_peek(o.reply, "sdp")); /* consumed */
    outcome_clear(&o);

    /* the phone answers; rtpengine checks the learned candidate */
    r = expect_ok(c, gw_rtpengine_build_answer(call, "web", "sip", phone,
                                               GW_RTPENGINE_SIDE_WEBRTC, 0));
    if (!wait_count(&probe.stun_requests, 1, 3000)) {
        g_autofree char *log = rtpe_log(&main_rtpe);
        g_printerr("%s\n", log);
        g_error("no STUN check reached the trickled candidate");
    }
    {
        /* and rtpengine says so (its debug log) */
        g_autofree char *log = rtpe_log(&main_rtpe);
        g_assert_nonnull(strstr(log, "Learning new ICE candidate 1039001212"));
    }
    probe_clear(&probe);
    gw_bencode_free(expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL)));
}

/* Plain RTP SDP for a test socket. */
static char *
plain_sdp(guint port)
{
    return g_strdup_printf("v=0\r\n"
                           "o=- 1 1 IN IP4 127.0.0.1\r\n"
                           "s=-\r\n"
                           "c=IN IP4 127.0.0.1\r\n"
                           "t=0 0\r\n"
                           "m=audio %u RTP/AVP 0 101\r\n"
                           "a=rtpmap:0 PCMU/8000\r\n"
                           "a=rtpmap:101 telephone-event/8000\r\n"
                           "a=fmtp:101 0-15\r\n"
                           "a=sendrecv\r\n",
                           port);
}

typedef struct {
    GSocket *from;
    GSocketAddress *to;
    guint16 seq;
    guint32 ts;
    guint sent;
} RtpSender;

static gboolean
send_rtp(gpointer user_data)
{
    RtpSender *s = user_data;
    guint8 pkt[12 + 160];

    memset(pkt, 0xff, sizeof pkt); /* PCMU silence */
    pkt[0] = 0x80;
    pkt[1] = 0; /* PCMU */
    pkt[2] = (guint8)(s->seq >> 8);
    pkt[3] = (guint8)s->seq;
    pkt[4] = (guint8)(s->ts >> 24);
    pkt[5] = (guint8)(s->ts >> 16);
    pkt[6] = (guint8)(s->ts >> 8);
    pkt[7] = (guint8)s->ts;
    pkt[8] = 0x12, pkt[9] = 0x34, pkt[10] = 0x56, pkt[11] = 0x78;
    g_socket_send_to(s->from, s->to, (const char *)pkt, sizeof pkt, NULL, NULL);
    s->seq++;
    s->ts += 160;
    s->sent++;
    return G_SOURCE_CONTINUE;
}

/* 1.8: play DTMF in userspace. Two plain RTP parties of our own (the
 * gateway-side legs would be the same as far as DTMF goes); A sends PCMU,
 * rtpengine injects the event as if A had sent it, B receives RFC 4733
 * telephone-event packets with event 5. */
static void
test_1_8_play_dtmf(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autofree char *call = unique_call_id("dtmf");
    g_autofree char *sdp_a = NULL, *sdp_b = NULL;
    g_autoptr(GwBencode) r1 = NULL, r2 = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GInetAddress) lo = NULL;
    Probe a, b;
    RtpSender sender = {0};
    Outcome o = {0};
    guint timer;

    if (c == NULL)
        return;
    probe_init(&a);
    probe_init(&b);
    b.event_pt = 101;
    sdp_a = plain_sdp(a.port);
    sdp_b = plain_sdp(b.port);
    r1 = expect_ok(c, gw_rtpengine_build_offer(call, "A", sdp_a,
                                               GW_RTPENGINE_SIDE_SIP,
                                               GW_RTPENGINE_FLAG_INJECT_DTMF));
    r2 = expect_ok(c, gw_rtpengine_build_answer(call, "A", "B", sdp_b,
                                                GW_RTPENGINE_SIDE_SIP,
                                                GW_RTPENGINE_FLAG_INJECT_DTMF));

    /* before A sent any RTP: refused, as rtpengine.h says */
    gw_rtpengine_play_dtmf(c, call, "A", '5', 100, 0, on_reply, &o, &error);
    g_assert_no_error(error);
    wait_outcome(&o, 5000);
    g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED);
    g_assert_nonnull(strstr(o.error->message, "No SSRC context"));
    outcome_clear(&o);

    /* A sends to rtpengine's port in the answer A got */
    lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    sender.from = a.socket;
    sender.to =
        g_inet_socket_address_new(lo, (guint16)m_line(reply_sdp(r2), NULL));
    timer = g_timeout_add(20, send_rtp, &sender);
    if (!wait_count(&b.rtp_pt[0], 5, 3000))
        g_error("no RTP forwarded from A to B");

    gw_rtpengine_play_dtmf(c, call, "A", '5', 200, 0, on_reply, &o, &error);
    g_assert_no_error(error);
    wait_outcome(&o, 5000);
    g_assert_no_error(o.error);
    outcome_clear(&o);
    if (!wait_count(&b.rtp_pt[101], 3, 3000)) {
        g_autofree char *log = rtpe_log(&main_rtpe);
        g_printerr("%s\n", log);
        g_error("no telephone-event reached B");
    }
    g_assert_cmpint(b.last_event, ==, 5);

    g_source_remove(timer);
    g_object_unref(sender.to);
    probe_clear(&a);
    probe_clear(&b);
    gw_bencode_free(expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL)));
}

/* 1.9 query, 1.10 delete, 1.11 refusals. */
static void
test_1_9_query_delete_refused(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    g_autofree char *call = unique_call_id("qd");
    g_autofree char *offer = read_sdp("chrome-audio-offer-ipv6-tcp-candidates"
                                      ".sdp");
    g_autoptr(GwBencode) q = NULL;
    g_autoptr(GwBencode) del = NULL;
    const GwBencode *totals;
    Outcome o = {0};
    gint64 created = 0;

    if (c == NULL)
        return;
    gw_bencode_free(
        expect_ok(c, gw_rtpengine_build_offer(call, "web", offer,
                                              GW_RTPENGINE_SIDE_SIP, 0)));
    /* 1.9 */
    q = expect_ok(c, gw_rtpengine_build_query(call, NULL));
    g_assert_true(gw_bencode_dict_get_int(q, "created", &created));
    g_assert_cmpint(created, >, 0);
    totals = gw_bencode_dict_get_dict(q, "totals");
    g_assert_nonnull(gw_bencode_dict_get_dict(totals, "RTP"));
    g_assert_nonnull(
        gw_bencode_dict_get_dict(gw_bencode_dict_get_dict(q, "tags"), "web"));

    /* 1.10 */
    del = expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL));
    g_assert_null(gw_bencode_dict_peek(del, "warning"));
    gw_rtpengine_query(c, call, NULL, on_reply, &o);
    wait_outcome(&o, 5000);
    g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED);
    g_assert_nonnull(strstr(o.error->message, "Unknown call-id"));
    outcome_clear(&o);
    /* deleting an unknown call: ok with a warning, not an error */
    g_clear_pointer(&del, gw_bencode_free);
    del = expect_ok(c, gw_rtpengine_build_delete(call, NULL, NULL));
    g_assert_nonnull(gw_bencode_dict_get_string(del, "warning", NULL));

    /* 1.11 an answer for no call, and broken SDP */
    gw_rtpengine_answer(c, "no-such-call", "a", "b", "v=0\r\n",
                        GW_RTPENGINE_SIDE_SIP, 0, on_reply, &o);
    wait_outcome(&o, 5000);
    g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED);
    g_test_message("%s", o.error->message);
    outcome_clear(&o);
    gw_rtpengine_offer(c, call, "web", "this is not SDP", GW_RTPENGINE_SIDE_SIP,
                       0, on_reply, &o);
    wait_outcome(&o, 5000);
    g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED);
    g_assert_nonnull(strstr(o.error->message, "Failed to parse SDP"));
    outcome_clear(&o);
    /* an unknown command */
    {
        GwBencode *bogus = gw_bencode_dict_new();
        gw_bencode_dict_set_string(bogus, "command", "bogus");
        gw_rtpengine_send(c, bogus, on_reply, &o);
        wait_outcome(&o, 5000);
        g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_REFUSED);
        outcome_clear(&o);
    }
}

/* 1.12: many requests in flight, matched by cookie, one callback each;
 * one of them cancelled. */
static void
test_1_12_many_in_flight(void)
{
    g_autoptr(GwRtpengine) c = main_client();
    Outcome o[40];
    guint ids[40];
    guint done = 0;

    if (c == NULL)
        return;
    memset(o, 0, sizeof o);
    for (guint i = 0; i < G_N_ELEMENTS(o); i++) {
        g_autofree char *call = g_strdup_printf("inflight-%u-unknown", i);
        /* alternate pings and queries: different answers per cookie */
        ids[i] = i % 2 ? gw_rtpengine_query(c, call, NULL, on_reply, &o[i])
                       : gw_rtpengine_ping(c, on_reply, &o[i]);
        g_assert_cmpuint(ids[i], !=, 0);
        for (guint j = 0; j < i; j++)
            g_assert_cmpuint(ids[i], !=, ids[j]);
    }
    g_assert_cmpuint(gw_rtpengine_get_pending(c), ==, G_N_ELEMENTS(o));
    g_assert_true(gw_rtpengine_cancel(c, ids[7]));
    g_assert_false(gw_rtpengine_cancel(c, ids[7]));
    g_assert_false(gw_rtpengine_cancel(c, 0));
    for (guint i = 0; i < G_N_ELEMENTS(o); i++) {
        if (i == 7)
            continue;
        if (!wait_count(&o[i].calls, 1, 5000))
            g_error("request %u got no callback", i);
    }
    run_for(50);
    for (guint i = 0; i < G_N_ELEMENTS(o); i++) {
        if (i == 7) {
            g_assert_cmpuint(o[i].calls, ==, 0);
            continue;
        }
        g_assert_cmpuint(o[i].calls, ==, 1);
        if (i % 2) {
            g_assert_error(o[i].error, GW_RTPENGINE_ERROR,
                           GW_RTPENGINE_ERROR_REFUSED);
        } else {
            g_assert_no_error(o[i].error);
            g_assert_cmpstr(
                gw_bencode_dict_get_string(o[i].reply, "result", NULL), ==,
                "pong");
        }
        done++;
        outcome_clear(&o[i]);
    }
    g_assert_cmpuint(done, ==, G_N_ELEMENTS(o) - 1);
    g_assert_cmpuint(gw_rtpengine_get_pending(c), ==, 0);
}

/* ---- 2.x: failure paths ----------------------------------------------- */

/* 2.1: rtpengine stopped -> the timeout error after the retries. */
static void
test_2_1_stopped(void)
{
    Rtpe own;
    g_autoptr(GwRtpengine) c = NULL;
    Outcome o = {0};
    gint64 start, elapsed_ms;

    if (rtpengine_path == NULL) {
        g_test_skip(SKIP_NO_RTPENGINE);
        return;
    }
    rtpe_start(&own);
    c = fast_client(own.address, 200, 3);
    gw_rtpengine_ping(c, on_reply, &o);
    wait_outcome(&o, 2000);
    g_assert_no_error(o.error);
    outcome_clear(&o);

    {
        g_autofree char *address = g_strdup(own.address);
        g_autofree char *want = g_strdup_printf(
            "rtpengine at %s did not answer after 3 tries", address);

        rtpe_stop(&own);
        start = g_get_monotonic_time();
        gw_rtpengine_ping(c, on_reply, &o);
        wait_outcome(&o, 5000);
        elapsed_ms = (o.done_at - start) / 1000;
        g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_TIMEOUT);
        g_assert_true(g_str_has_prefix(o.error->message, want));
        /* 3 tries x 200 ms */
        g_assert_cmpint(elapsed_ms, >=, 590);
        g_assert_cmpint(elapsed_ms, <, 2000);
        outcome_clear(&o);
    }
}

/* 2.2: junk with the right cookie -> MALFORMED; odd answers. */
static void
test_2_2_garbage_and_odd_answers(void)
{
    static const struct {
        FakeMode mode;
        gint code; /* GwRtpengineError; gint as GError.code */
        const char *text;
    } rows[] = {
        {FAKE_GARBAGE, GW_RTPENGINE_ERROR_MALFORMED, "malformed answer"},
        {FAKE_NOT_DICT, GW_RTPENGINE_ERROR_MALFORMED, "not a dictionary"},
        {FAKE_NO_RESULT, GW_RTPENGINE_ERROR_MALFORMED, "with a result"},
        {FAKE_ERROR_NO_REASON, GW_RTPENGINE_ERROR_REFUSED,
         "no error-reason given"},
        {FAKE_ODD_RESULT, GW_RTPENGINE_ERROR_REFUSED, "'load limit'"},
    };

    for (guint i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(FakeServer) f = fake_new(rows[i].mode, G_SOCKET_FAMILY_IPV4);
        g_autoptr(GwRtpengine) c = fast_client(f->address, 300, 3);
        Outcome o = {0};

        gw_rtpengine_ping(c, on_reply, &o);
        wait_outcome(&o, 3000);
        g_assert_error(o.error, GW_RTPENGINE_ERROR, rows[i].code);
        if (strstr(o.error->message, rows[i].text) == NULL)
            g_error("'%s' lacks '%s'", o.error->message, rows[i].text);
        g_assert_cmpuint(f->received->len, ==, 1); /* answered: no resend */
        outcome_clear(&o);
    }
}

/* 2.3: a lost datagram is sent again, byte for byte (same cookie). */
static void
test_2_3_retransmission(void)
{
    g_autoptr(FakeServer) f = fake_new(FAKE_DROP_FIRST, G_SOCKET_FAMILY_IPV4);
    g_autoptr(GwRtpengine) c = fast_client(f->address, 150, 3);
    Outcome o = {0};
    gsize len = 0;
    const char *first;

    gw_rtpengine_ping(c, on_reply, &o);
    wait_outcome(&o, 3000);
    g_assert_no_error(o.error);
    g_assert_cmpuint(f->received->len, ==, 2);
    g_assert_true(g_bytes_equal(f->received->pdata[0], f->received->pdata[1]));
    first = g_bytes_get_data(f->received->pdata[0], &len);
    /* "<8 hex>_<n> d7:command4:pinge" */
    g_assert_cmpuint(len, >, 10);
    g_assert_cmpint(first[8], ==, '_');
    g_assert_nonnull(g_strstr_len(first, (gssize)len, " d7:command4:pinge"));
    outcome_clear(&o);
}

/* 2.4: duplicates, stray datagrams and unknown cookies are ignored. */
static void
test_2_4_duplicates_and_strays(void)
{
    g_autoptr(FakeServer) twice = fake_new(FAKE_TWICE, G_SOCKET_FAMILY_IPV4);
    g_autoptr(FakeServer) stray =
        fake_new(FAKE_STRAY_FIRST, G_SOCKET_FAMILY_IPV4);
    g_autoptr(GwRtpengine) c1 = fast_client(twice->address, 300, 3);
    g_autoptr(GwRtpengine) c2 = fast_client(stray->address, 300, 3);
    Outcome o1 = {0}, o2 = {0};

    gw_rtpengine_ping(c1, on_reply, &o1);
    gw_rtpengine_ping(c2, on_reply, &o2);
    wait_outcome(&o1, 3000);
    wait_outcome(&o2, 3000);
    run_for(100);
    g_assert_cmpuint(o1.calls, ==, 1);
    g_assert_no_error(o1.error);
    g_assert_cmpuint(o2.calls, ==, 1);
    g_assert_no_error(o2.error);
    g_assert_cmpstr(gw_bencode_dict_get_string(o2.reply, "result", NULL), ==,
                    "ok");
    outcome_clear(&o1);
    outcome_clear(&o2);
}

/* 2.5: cancellation: no callback, ever, even when the answer comes. */
static void
test_2_5_cancel(void)
{
    g_autoptr(FakeServer) delayed =
        fake_new(FAKE_DELAYED, G_SOCKET_FAMILY_IPV4);
    g_autoptr(FakeServer) silent = fake_new(FAKE_SILENT, G_SOCKET_FAMILY_IPV4);
    g_autoptr(GwRtpengine) c1 = fast_client(delayed->address, 1000, 1);
    g_autoptr(GwRtpengine) c2 = fast_client(silent->address, 50, 2);
    GwRtpengine *c3 = fast_client(silent->address, 50, 2);
    Outcome o = {0};
    guint id1, id2;

    /* the answer arrives 300 ms later: ignored */
    id1 = gw_rtpengine_ping(c1, on_reply_never, NULL);
    run_for(50);
    g_assert_true(gw_rtpengine_cancel(c1, id1));
    g_assert_cmpuint(gw_rtpengine_get_pending(c1), ==, 0);
    run_for(500);
    g_assert_cmpuint(delayed->received->len, ==, 1);

    /* cancelled before its timeout fires: no timeout callback either */
    id2 = gw_rtpengine_ping(c2, on_reply_never, NULL);
    g_assert_true(gw_rtpengine_cancel(c2, id2));
    run_for(300);
    g_assert_false(gw_rtpengine_cancel(c2, id2));

    /* a request that failed is no longer cancellable */
    id2 = gw_rtpengine_ping(c2, on_reply, &o);
    wait_outcome(&o, 2000);
    g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_TIMEOUT);
    g_assert_false(gw_rtpengine_cancel(c2, id2));
    outcome_clear(&o);

    /* freeing the client drops pending requests without callbacks */
    gw_rtpengine_ping(c3, on_reply_never, NULL);
    gw_rtpengine_ping(c3, on_reply_never, NULL);
    gw_rtpengine_free(c3);
    run_for(300);
}

/* 2.6: inside a callback: cancel another request, send a new one, free
 * the client (the rest of the burst must not call back). */
typedef struct {
    GwRtpengine *c;
    guint other;
    guint calls;
    gboolean free_it;
    Outcome *next;
} Reentry;

static void
on_reentry(GwRtpengine *rtpe, const GwBencode *reply, const GError *error,
           gpointer user_data)
{
    Reentry *r = user_data;

    r->calls++;
    g_assert_true(rtpe == r->c);
    if (r->other != 0)
        g_assert_true(gw_rtpengine_cancel(rtpe, r->other));
    if (r->next != NULL)
        gw_rtpengine_ping(rtpe, on_reply, r->next);
    if (r->free_it)
        gw_rtpengine_free(rtpe);
}

static void
test_2_6_reentrancy(void)
{
    g_autoptr(FakeServer) f = fake_new(FAKE_PONG, G_SOCKET_FAMILY_IPV4);
    GwRtpengine *c = fast_client(f->address, 300, 3);
    Outcome next = {0};
    Reentry first = {c, 0, 0, FALSE, &next};

    /* X, then Y: the fake answers in order, so X's callback runs while
     * Y's answer is still unread; it cancels Y (whose answer is then
     * ignored) and sends a new ping */
    gw_rtpengine_ping(c, on_reentry, &first);
    first.other = gw_rtpengine_ping(c, on_reply_never, NULL);
    wait_count(&first.calls, 1, 3000);
    g_assert_cmpuint(first.calls, ==, 1);
    wait_outcome(&next, 3000);
    g_assert_no_error(next.error);
    outcome_clear(&next);

    /* free from a callback while other answers are queued */
    {
        Reentry freer = {c, 0, 0, TRUE, NULL};

        gw_rtpengine_ping(c, on_reentry, &freer);
        gw_rtpengine_ping(c, on_reply_never, NULL);
        gw_rtpengine_ping(c, on_reply_never, NULL);
        wait_count(&freer.calls, 1, 3000);
        g_assert_cmpuint(freer.calls, ==, 1);
        run_for(200);
    }
}

/* 2.7: IPv6 literal ("[::1]:port") end to end, when the host has ::1. */
static void
test_2_7_ipv6(void)
{
    g_autoptr(FakeServer) f = fake_new(FAKE_PONG, G_SOCKET_FAMILY_IPV6);
    g_autoptr(GwRtpengine) c = NULL;
    Outcome o = {0};

    if (f == NULL) {
        g_test_skip("no IPv6 loopback");
        return;
    }
    c = fast_client(f->address, 300, 3);
    gw_rtpengine_ping(c, on_reply, &o);
    wait_outcome(&o, 3000);
    g_assert_no_error(o.error);
    outcome_clear(&o);
}

/* 2.8: a request too large for a datagram fails from the loop, not from
 * the call that sent it. */
static void
test_2_8_too_large(void)
{
    g_autoptr(FakeServer) f = fake_new(FAKE_PONG, G_SOCKET_FAMILY_IPV4);
    g_autoptr(GwRtpengine) c = fast_client(f->address, 300, 3);
    g_autofree char *huge = g_strnfill(70000, 'a');
    Outcome o = {0};

    gw_rtpengine_offer(c, "c1", "ft", huge, GW_RTPENGINE_SIDE_SIP, 0, on_reply,
                       &o);
    g_assert_cmpuint(o.calls, ==, 0);
    wait_outcome(&o, 1000);
    g_assert_error(o.error, GW_RTPENGINE_ERROR, GW_RTPENGINE_ERROR_IO);
    g_assert_cmpuint(f->received->len, ==, 0);
    outcome_clear(&o);
}

int
main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    rtpengine_path = g_find_program_in_path("rtpengine");
    if (rtpengine_path != NULL)
        rtpe_start(&main_rtpe);

    g_test_add_func("/rtpengine/0.1 profiles", test_0_1_profiles);
    g_test_add_func("/rtpengine/0.2 trickle fragment shape", test_0_2_fragment);
    g_test_add_func("/rtpengine/0.3 dtmf, delete, query, ping",
                    test_0_3_dtmf_and_others);
    g_test_add_func("/rtpengine/0.4 addresses", test_0_4_addresses);
    g_test_add_func("/rtpengine/1.1 ping", test_1_1_ping);
    g_test_add_func("/rtpengine/1.2 webrtc offer to sip, plain answer",
                    test_1_2_webrtc_offer_to_sip);
    g_test_add_func("/rtpengine/1.4 sip offer to webrtc, webrtc answer",
                    test_1_4_sip_offer_to_webrtc);
    g_test_add_func("/rtpengine/1.6 sdes offer", test_1_6_sdes_offer);
    g_test_add_func("/rtpengine/1.7 trickle candidate learned",
                    test_1_7_trickle_fragment);
    g_test_add_func("/rtpengine/1.8 play dtmf", test_1_8_play_dtmf);
    g_test_add_func("/rtpengine/1.9 query, delete, refusals",
                    test_1_9_query_delete_refused);
    g_test_add_func("/rtpengine/1.12 many in flight", test_1_12_many_in_flight);
    g_test_add_func("/rtpengine/2.1 rtpengine stopped", test_2_1_stopped);
    g_test_add_func("/rtpengine/2.2 garbage and odd answers",
                    test_2_2_garbage_and_odd_answers);
    g_test_add_func("/rtpengine/2.3 retransmission", test_2_3_retransmission);
    g_test_add_func("/rtpengine/2.4 duplicates and strays",
                    test_2_4_duplicates_and_strays);
    g_test_add_func("/rtpengine/2.5 cancel", test_2_5_cancel);
    g_test_add_func("/rtpengine/2.6 reentrancy", test_2_6_reentrancy);
    g_test_add_func("/rtpengine/2.7 ipv6", test_2_7_ipv6);
    g_test_add_func("/rtpengine/2.8 too large", test_2_8_too_large);

    rc = g_test_run();
    if (rtpengine_path != NULL)
        rtpe_stop(&main_rtpe);
    g_free(rtpengine_path);
    return rc;
}
