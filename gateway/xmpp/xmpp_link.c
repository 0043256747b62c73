/* gateway/xmpp/xmpp_link.c: the XEP-0114 component link.
 *
 * libstrophe 0.12.2 has no event-loop integration and two traps we work
 * around here (see shared notes/libraries.md 1.1 and 1.4):
 *
 *  - component mode dereferences conn->sm_state, which only
 *    xmpp_connect_client() allocates: we "prime" it once with a client
 *    connect that our sockopt callback makes fail before any connect();
 *  - there is no fd getter: the sockopt callback tells us each new socket.
 *
 * Input: a GSource polls the socket and calls xmpp_run_once(), which reads
 * and runs our stanza handlers. Output: once the handshake is done, we
 * write serialized stanzas to the socket ourselves, from a bounded buffer.
 * libstrophe's own queue hides a partly written head item from
 * xmpp_conn_send_queue_len(), so it can tell neither when a stanza has
 * really been written (which the SIP side needs before answering 2xx) nor
 * when to poll for POLLOUT; our buffer knows both exactly. libstrophe sends
 * nothing of its own between the handshake and the closing tag in
 * component mode (no SM, no keepalive pings), so the two never interleave.
 *
 * Confirmation (gw_xmpp_link_send_confirmed()): a stanza is taken once
 * the server answers a XEP-0199 ping written after it; xmpp_confirm.c
 * keeps those barriers, this file writes their pings and hands it the
 * answers (xmpp_link_private.h).
 *
 *   connecting --handshake ok--> up --socket error/stream error--> down
 *       ^                                                           |
 *       +-------------- timer: backoff 0.5 s .. 30 s, jitter -------+
 */
#define G_LOG_DOMAIN "gw-xmpp"

#include "xmpp_link_private.h"
#include "metrics.h"
#include "strophe_quiet.h"

#include <errno.h>
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_error.h"

typedef struct {
    guint64 end; /* absolute output offset at which the stanza is written */
    GwXmppSentFunc func;
    gpointer data;
} Pending;

struct LinkSource {
    GSource base;
    GwXmppLink *link;
    gpointer tag;
    int tag_fd;
    GIOCondition ev;
};

/* ---- memory and logging adapters ------------------------------------- */

static void *
mem_alloc(size_t size, void *userdata)
{
    return g_malloc(size);
}

static void
mem_free(void *p, void *userdata)
{
    g_free(p);
}

static void *
mem_realloc(void *p, size_t size, void *userdata)
{
    return g_realloc(p, size);
}

static xmpp_mem_t glib_mem = { mem_alloc, mem_free, mem_realloc, NULL };

static void
strophe_log(void *userdata, xmpp_log_level_t level, const char *area,
            const char *msg)
{
    GwXmppLink *self = userdata;

    /* libstrophe's DEBUG level dumps every stanza: only when asked for. */
    if (level == XMPP_LEVEL_DEBUG && !self->config->log.stanzas)
        return;
    /* XEP-0077 and the account-password command (XEP-0050, whose every
     * request names its node) carry a user's SIP password in clear text:
     * such a stanza is never dumped (STYLE: secrets never in logs) */
    if (strstr(msg, "jabber:iq:register") != NULL ||
        strstr(msg, "account-password") != NULL) {
        g_log_structured("strophe", G_LOG_LEVEL_DEBUG, "GW_AREA", area,
                         "MESSAGE", "%.5s[a jabber:iq:register or "
                         "account-password stanza: not logged, it may carry "
                         "a password]", msg);
        return;
    }
    g_log_structured("strophe", level >= XMPP_LEVEL_ERROR ? G_LOG_LEVEL_INFO
                                                          : G_LOG_LEVEL_DEBUG,
                     "GW_AREA", area, "MESSAGE", "%s", msg);
}

static xmpp_log_t strophe_logger;

/* ---- output buffer ----------------------------------------------------- */

/* The stream is gone: what was not written never will be, and nothing
 * waiting can be confirmed any more. */
static void
fail_pending(GwXmppLink *self)
{
    Pending *p;

    while ((p = g_queue_pop_head(&self->pending)) != NULL) {
        if (p->func != NULL)
            p->func(FALSE, p->data);
        g_free(p);
    }
    g_byte_array_set_size(self->out, 0);
    self->out_pos = 0;
    self->out_blocked = FALSE;
    self->out_done = self->out_total;
    gw_xmpp_confirm_fail_all(self);
}

static void
confirm_pending(GwXmppLink *self)
{
    Pending *p;

    while ((p = g_queue_peek_head(&self->pending)) != NULL &&
           p->end <= self->out_done) {
        g_queue_pop_head(&self->pending);
        if (p->func != NULL)
            p->func(TRUE, p->data);
        g_free(p);
    }
}

/* Writes what the socket takes now. FALSE on a socket error. */
static gboolean
flush_out(GwXmppLink *self)
{
    while (self->out_pos < self->out->len) {
        ssize_t n = write(self->fd, self->out->data + self->out_pos,
                          self->out->len - self->out_pos);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                self->out_blocked = TRUE; /* poll for G_IO_OUT */
                break;
            }
            g_warning("XMPP link: write failed: %s", g_strerror(errno));
            return FALSE;
        }
        self->out_pos += (gsize)n;
        self->out_done += (guint64)n;
        self->stats.bytes_out += (guint64)n;
    }
    self->held_since = 0;
    if (self->out_pos == self->out->len) {
        g_byte_array_set_size(self->out, 0);
        self->out_pos = 0;
        self->out_blocked = FALSE;
    } else if (self->out_pos > 65536 && self->out_pos > self->out->len / 2) {
        g_byte_array_remove_range(self->out, 0, (guint)self->out_pos);
        self->out_pos = 0;
    }
    confirm_pending(self);
    return TRUE;
}

static gsize
out_len(const GwXmppLink *self)
{
    return self->out->len - self->out_pos;
}

void
gw_xmpp_link_append(GwXmppLink *self, const char *xml, gsize len)
{
    if (self->config->log.stanzas)
        g_debug("SEND %.*s", (int)MIN(len, 4096), xml);
    g_byte_array_append(self->out, (const guint8 *)xml, (guint)len);
    self->out_total += len;
    self->stats.stanzas_out++;
    gw_metrics.xmpp_stanzas_out++;
}

/* ---- the GSource ------------------------------------------------------- */

static void
sync_fd(LinkSource *s)
{
    GwXmppLink *self = s->link;
    gboolean live = self->fd >= 0 && !xmpp_conn_is_disconnected(self->conn);

    /* A closed fd left in the poll set returns POLLNVAL forever. */
    if (s->tag != NULL && (s->tag_fd != self->fd || !live)) {
        g_source_remove_unix_fd(&s->base, s->tag);
        s->tag = NULL;
    }
    if (s->tag == NULL && live) {
        s->ev = G_IO_IN | G_IO_ERR | G_IO_HUP;
        s->tag = g_source_add_unix_fd(&s->base, self->fd, s->ev);
        s->tag_fd = self->fd;
    }
}

/* What the link holds back while SIP input waits (gw_xmpp_link_set_busy_func) */
#define FLUSH_BATCH (32 * 1024)
/* ... and at most this long (whatever the other side says) */
#define FLUSH_HOLD_US 1000

static gboolean
source_prepare(GSource *src, gint *timeout)
{
    LinkSource *s = (LinkSource *)src;
    GwXmppLink *self = s->link;

    sync_fd(s);
    *timeout = -1;
    if (self->kick) {
        *timeout = 0;
        return TRUE;
    }
    /* Our output is written at once while the socket takes it: only a
     * full socket is polled for G_IO_OUT. Toggling G_IO_OUT per write made
     * each g_source_modify_unix_fd() wake the context (an eventfd write,
     * read and an extra poll per message). */
    if (self->up && out_len(self) > 0 && !self->out_blocked) {
        /* more SIP input first (its stanzas join this write), unless a
         * ping is due or enough waits */
        gint64 now = g_get_monotonic_time();

        *timeout = 0;
        if (self->held_since == 0)
            self->held_since = now;
        if (self->busy == NULL || out_len(self) >= FLUSH_BATCH ||
            now - self->held_since >= FLUSH_HOLD_US ||
            (self->confirm.ping_due != 0 && self->confirm.ping_due <= now) ||
            !self->busy(self->busy_data))
            return TRUE;
        return FALSE;
    }
    if (self->up && self->confirm.ping_due != 0) {
        /* a paced ping (gw_xmpp_confirm_write_pings()) */
        gint64 left = self->confirm.ping_due - g_get_monotonic_time();
        if (left <= 0)
            return TRUE;
        *timeout = (gint)((left + 999) / 1000);
    }
    if (s->tag != NULL) {
        GIOCondition ev = G_IO_ERR | G_IO_HUP;
        if (!(self->up && self->input_paused))
            ev |= G_IO_IN;
        if (xmpp_conn_is_connecting(self->conn) ||
            xmpp_conn_send_queue_len(self->conn) > 0 ||
            (self->up && self->out_blocked))
            ev |= G_IO_OUT;
        /* modify only on change: every call wakes the context */
        if (ev != s->ev) {
            g_source_modify_unix_fd(src, s->tag, ev);
            s->ev = ev;
        }
    }
    return FALSE;
}

void
gw_xmpp_link_set_busy_func(GwXmppLink *self, GwXmppBusyFunc busy,
                           gpointer data)
{
    self->busy = busy;
    self->busy_data = data;
}

static gboolean
fd_has_input(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR));
}

static void on_write_error(GwXmppLink *self);

/* Should this dispatch run libstrophe (xmpp_run_once: a select() and a
 * read)? While the link is up we write ourselves (flush_out) and
 * libstrophe has no timers, so only for input: readable and not paused,
 * or a closed or failed socket (paused too, to notice it). Before that,
 * and when kicked (a write error, a disconnect), always. */
static gboolean
strophe_wanted(LinkSource *s, gboolean kicked)
{
    GwXmppLink *self = s->link;
    GIOCondition rev;

    if (!self->up || kicked || s->tag == NULL)
        return TRUE;
    rev = g_source_query_unix_fd(&s->base, s->tag);
    if (rev & (G_IO_ERR | G_IO_HUP))
        return TRUE;
    return !self->input_paused && (rev & G_IO_IN);
}

void
gw_xmpp_link_pause_input(GwXmppLink *self, gboolean paused)
{
    if (self->input_paused == paused)
        return;
    self->input_paused = paused;
    if (paused) {
        gw_metrics.xmpp_input_pauses++;
        g_debug("XMPP input paused: the SIP side has too many requests in flight");
    } else {
        /* the next prepare polls for input again */
        g_debug("XMPP input resumed");
    }
}

static gboolean
source_dispatch(GSource *src, GSourceFunc cb, gpointer data)
{
    LinkSource *s = (LinkSource *)src;
    GwXmppLink *self = s->link;
    gboolean kicked;
    gint64 now;

    kicked = self->kick;
    self->kick = FALSE;
    /* xmpp_run_once reads at most 4 KiB: drain what is there, bounded */
    if (strophe_wanted(s, kicked)) {
        for (int i = 0; i < 256; i++) {
            xmpp_run_once(self->ctx, 0);
            if (self->fd < 0 || xmpp_conn_is_disconnected(self->conn) ||
                (self->up && self->input_paused) || !fd_has_input(self->fd))
                break;
        }
    }
    now = g_get_monotonic_time();
    if (self->up) {
        if (self->confirm.n_waiters > 0 && now >= self->confirm.next_expiry) {
            gw_xmpp_confirm_expire(self, now);
            self->confirm.next_expiry = now + 100 * 1000;
        }
        if (self->confirm.ready.length > 0)
            gw_xmpp_confirm_write_pings(self, now);
        if (out_len(self) > 0 && !flush_out(self))
            on_write_error(self);
    }
    /* flush what libstrophe itself queued (stream header, handshake,
     * closing tag): it queues nothing of its own while the link is up */
    if (!self->up && !xmpp_conn_is_disconnected(self->conn))
        xmpp_run_once(self->ctx, 0);
    sync_fd(s);
    /* libstrophe's connect/handshake timeouts only fire inside run_once;
     * re-arm the tick only when it has passed or must come sooner: every
     * g_source_set_ready_time() wakes the context */
    {
        /* 0.1 s while stanzas await confirmation: their deadlines */
        gint64 period = self->connecting        ? 20 * 1000
                        : self->confirm.n_waiters > 0 ? 100 * 1000
                                              : G_USEC_PER_SEC;
        gint64 rt = g_source_get_ready_time(src);
        if (rt < 0 || rt <= now || rt > now + period)
            g_source_set_ready_time(src, now + period);
    }
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs source_funcs = { source_prepare, NULL, source_dispatch,
                                     NULL, NULL, NULL };

/* ---- connection life cycle -------------------------------------------- */

/* libstrophe's sockopt callback has no user data: one link per process
 * (libstrophe itself supports one context per process, notes 1.5). */
static GwXmppLink *the_link;

static int
sockopt_trampoline(xmpp_conn_t *conn, void *sock)
{
    GwXmppLink *self = the_link;

    if (self == NULL || self->priming)
        return -1; /* fail the priming connect before any connect() */
    self->fd = *(int *)sock;
    {
        /* stanzas are small and each is answered: no Nagle delay (the
         * receipt p50 went from 1.02 to 0.21 ms in the bench) */
        int one = 1;
        setsockopt(self->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return xmpp_sockopt_cb_keepalive(conn, sock);
}

static void schedule_reconnect(GwXmppLink *self);

static const char *
stream_error_name(xmpp_error_type_t t)
{
    switch (t) {
    case XMPP_SE_NOT_AUTHORIZED:
        return "not-authorized";
    case XMPP_SE_HOST_UNKNOWN:
        return "host-unknown";
    case XMPP_SE_CONFLICT:
        return "conflict";
    case XMPP_SE_SYSTEM_SHUTDOWN:
        return "system-shutdown";
    case XMPP_SE_POLICY_VIOLATION:
        return "policy-violation";
    case XMPP_SE_INVALID_XML:
        return "invalid-xml";
    case XMPP_SE_XML_NOT_WELL_FORMED:
        return "not-well-formed";
    case XMPP_SE_CONN_TIMEOUT:
        return "connection-timeout";
    default:
        return "stream error";
    }
}

static void
go_down(GwXmppLink *self)
{
    gboolean was_up = self->up;

    self->up = FALSE;
    self->connecting = FALSE;
    self->fd = -1;
    fail_pending(self);
    if (was_up && self->on_state != NULL)
        self->on_state(FALSE, self->user_data);
}

static void
on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
        xmpp_stream_error_t *stream_error, void *userdata)
{
    GwXmppLink *self = userdata;
    const GwConfig *cfg = self->config;

    if (event == XMPP_CONN_CONNECT) {
        self->up = TRUE;
        self->connecting = FALSE;
        self->attempts = 0;
        self->stats.connects++;
        gw_metrics.xmpp_link_ups++;
        g_message("XMPP link up: component %s at %s:%u",
                  cfg->xmpp.component_domain, cfg->xmpp.server,
                  cfg->xmpp.port);
        if (self->on_state != NULL)
            self->on_state(TRUE, self->user_data);
        return;
    }
    if (event != XMPP_CONN_DISCONNECT && event != XMPP_CONN_FAIL)
        return;

    if (self->stopping) {
        g_message("XMPP link closed (%" G_GUINT64_FORMAT " stanzas written, "
                  "%" G_GUINT64_FORMAT " of them confirmation pings; %"
                  G_GUINT64_FORMAT " stanzas confirmed)",
                  self->stats.stanzas_out, self->stats.pings_out,
                  self->stats.confirmed);
    } else if (stream_error != NULL &&
               stream_error->type == XMPP_SE_NOT_AUTHORIZED) {
        /* ejabberd answers a component domain it does not serve with
         * not-authorized too, not host-unknown */
        g_warning("XMPP server %s:%u refused the component handshake for "
                  "%s (not-authorized%s%s): check [xmpp] secret, and that "
                  "the server has a component named %s",
                  cfg->xmpp.server, cfg->xmpp.port,
                  cfg->xmpp.component_domain,
                  stream_error->text ? ": " : "",
                  stream_error->text ? stream_error->text : "",
                  cfg->xmpp.component_domain);
    } else if (stream_error != NULL) {
        g_warning("XMPP server %s:%u closed the stream: %s%s%s",
                  cfg->xmpp.server, cfg->xmpp.port,
                  stream_error_name(stream_error->type),
                  stream_error->text ? ": " : "",
                  stream_error->text ? stream_error->text : "");
    } else if (self->up) {
        g_warning("XMPP link to %s:%u lost%s%s", cfg->xmpp.server,
                  cfg->xmpp.port, error ? ": " : "",
                  error ? g_strerror(error) : "");
    } else {
        g_warning("cannot connect to XMPP server %s:%u: %s",
                  cfg->xmpp.server, cfg->xmpp.port,
                  error ? g_strerror(error)
                        : "connection refused, or closed before the "
                          "handshake completed");
    }
    if (self->up)
        gw_metrics.xmpp_link_downs++;
    go_down(self);
    if (self->stopping) {
        if (self->stop_done != NULL) {
            GSourceFunc done = self->stop_done;
            self->stop_done = NULL;
            g_idle_add(done, self->stop_data);
        }
        return;
    }
    schedule_reconnect(self);
}

static void
connect_to(GwXmppLink *self, const char *address)
{
    int rc;

    self->connecting = TRUE;
    rc = xmpp_connect_component(self->conn, address,
                                (unsigned short)self->config->xmpp.port,
                                on_conn, self);
    self->kick = TRUE;
    if (rc != XMPP_EOK) {
        g_warning("cannot connect to XMPP server %s:%u (libstrophe error %d)",
                  address, self->config->xmpp.port, rc);
        self->connecting = FALSE;
        schedule_reconnect(self);
    }
}

static void
on_resolved(GObject *src, GAsyncResult *res, gpointer data)
{
    GwXmppLink *self = data;
    g_autoptr(GError) error = NULL;
    GList *addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(src), res,
                                                    &error);
    g_autofree char *text = NULL;

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    g_clear_object(&self->resolve_cancel);
    if (addrs == NULL) {
        g_warning("cannot resolve XMPP server '%s': %s",
                  self->config->xmpp.server, error->message);
        schedule_reconnect(self);
        return;
    }
    text = g_inet_address_to_string(G_INET_ADDRESS(addrs->data));
    g_resolver_free_addresses(addrs);
    connect_to(self, text);
}

static gboolean
do_connect(gpointer data)
{
    GwXmppLink *self = data;
    const char *server = self->config->xmpp.server;

    self->reconnect_id = 0;
    if (self->stopping)
        return G_SOURCE_REMOVE;
    /* libstrophe resolves with blocking getaddrinfo(): hand it an address */
    if (g_hostname_is_ip_address(server)) {
        connect_to(self, server);
    } else {
        g_autoptr(GResolver) r = g_resolver_get_default();
        self->resolve_cancel = g_cancellable_new();
        g_resolver_lookup_by_name_async(r, server, self->resolve_cancel,
                                        on_resolved, self);
    }
    return G_SOURCE_REMOVE;
}

static void
schedule_reconnect(GwXmppLink *self)
{
    const GwConfig *cfg = self->config;
    guint64 ceiling = cfg->xmpp.reconnect_min_ms;
    guint delay;

    if (self->stopping || self->reconnect_id != 0)
        return;
    for (guint i = 0; i < self->attempts && ceiling < cfg->xmpp.reconnect_max_ms;
         i++)
        ceiling *= 2;
    ceiling = MIN(ceiling, (guint64)cfg->xmpp.reconnect_max_ms);
    /* "equal jitter": half fixed, half random, never below the minimum */
    delay = (guint)(ceiling / 2 +
                    (guint64)g_random_int_range(0, (gint32)(ceiling / 2 + 1)));
    delay = MAX(delay, cfg->xmpp.reconnect_min_ms);
    self->attempts++;
    g_info("XMPP link: reconnecting in %u ms (attempt %u)", delay,
           self->attempts);
    self->reconnect_id = g_timeout_add(delay, do_connect, self);
}

static void
on_write_error(GwXmppLink *self)
{
    /* Let libstrophe see the dead socket and report DISCONNECT. */
    xmpp_disconnect(self->conn);
    self->kick = TRUE;
}

static int
on_any_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
    GwXmppLink *self = userdata;

    gw_strophe_quiet_handler_enter(stanza, !self->config->log.stanzas);
    self->stats.stanzas_in++;
    gw_metrics.xmpp_stanzas_in++;
    if (!(self->confirm.ping_seq > 0 &&
          gw_xmpp_confirm_take_answer(self, stanza)) &&
        self->on_stanza != NULL)
        self->on_stanza(stanza, self->user_data);
    gw_strophe_quiet_handler_leave();
    return 1;
}

/* ---- public ------------------------------------------------------------ */

GwXmppLink *
gw_xmpp_link_new(const GwConfig *config, GwXmppStanzaFunc on_stanza,
                 GwXmppStateFunc on_state, gpointer user_data)
{
    GwXmppLink *self;
    int rc;

    g_return_val_if_fail(the_link == NULL, NULL);
    self = g_new0(GwXmppLink, 1);
    self->config = config;
    self->on_stanza = on_stanza;
    self->on_state = on_state;
    self->user_data = user_data;
    self->fd = -1;
    self->out = g_byte_array_new();
    g_queue_init(&self->pending);
    gw_xmpp_confirm_init(self);
    the_link = self;

    xmpp_initialize();
    strophe_logger.handler = strophe_log;
    strophe_logger.userdata = self;
    self->ctx = xmpp_ctx_new(&glib_mem, &strophe_logger);
    self->conn = xmpp_conn_new(self->ctx);
    xmpp_conn_set_jid(self->conn, config->xmpp.component_domain);
    xmpp_conn_set_pass(self->conn, config->xmpp.secret);
    xmpp_conn_set_sockopt_callback(self->conn, sockopt_trampoline);
    /* one handler for every stanza: libstrophe keys handlers by (function,
     * user data), so a second registration of the same pair is dropped */
    xmpp_handler_add(self->conn, on_any_stanza, NULL, NULL, NULL, self);

    /* Prime conn->sm_state (libstrophe 0.12.2 component-mode crash, notes
     * 1.1): a client connect that the sockopt callback fails at once. */
    self->priming = TRUE;
    rc = xmpp_connect_client(self->conn, "127.0.0.1", 1, on_conn, self);
    self->priming = FALSE;
    if (rc != XMPP_EINT)
        g_debug("priming connect returned %d", rc);

    self->source = (LinkSource *)g_source_new(&source_funcs,
                                              sizeof(LinkSource));
    self->source->link = self;
    g_source_set_name(&self->source->base, "xmpp-link");
    /* no nested loops here: GLib would remove and re-add the fd around
     * every dispatch otherwise */
    g_source_set_can_recurse(&self->source->base, TRUE);
    g_source_attach(&self->source->base, NULL);
    return self;
}

void
gw_xmpp_link_start(GwXmppLink *self)
{
    self->stopping = FALSE;
    if (self->reconnect_id == 0)
        self->reconnect_id = g_idle_add(do_connect, self);
}

static gboolean
stop_timeout(gpointer data)
{
    GwXmppLink *self = data;

    self->stop_timeout_id = 0;
    if (self->stop_done != NULL) {
        GSourceFunc done = self->stop_done;
        g_warning("XMPP link: no clean close within 2 s, dropping it");
        self->stop_done = NULL;
        go_down(self);
        done(self->stop_data);
    }
    return G_SOURCE_REMOVE;
}

void
gw_xmpp_link_stop(GwXmppLink *self, GSourceFunc done, gpointer data)
{
    self->stopping = TRUE;
    g_clear_handle_id(&self->reconnect_id, g_source_remove);
    if (self->resolve_cancel != NULL) {
        g_cancellable_cancel(self->resolve_cancel);
        g_clear_object(&self->resolve_cancel);
    }
    if (xmpp_conn_is_disconnected(self->conn)) {
        go_down(self);
        if (done != NULL)
            g_idle_add(done, data);
        return;
    }
    self->stop_done = done;
    self->stop_data = data;
    if (self->up && self->confirm.ready.length > 0)
        /* answers may still come */
        gw_xmpp_confirm_write_pings(self, g_get_monotonic_time());
    if (self->up && out_len(self) > 0) {
        /* a last bounded attempt to write what was accepted */
        struct pollfd p = { .fd = self->fd, .events = POLLOUT };
        gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
        while (out_len(self) > 0 && g_get_monotonic_time() < deadline &&
               poll(&p, 1, 100) >= 0)
            if (!flush_out(self))
                break;
    }
    xmpp_disconnect(self->conn);
    self->kick = TRUE;
    self->stop_timeout_id = g_timeout_add(2000, stop_timeout, self);
}

gboolean
gw_xmpp_link_is_up(const GwXmppLink *self)
{
    return self->up && !self->stopping;
}

static gboolean
check_room(GwXmppLink *self, gsize len, GError **error)
{
    if (!gw_xmpp_link_is_up(self)) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                            "XMPP link is down");
        return FALSE;
    }
    if (out_len(self) + len > self->config->xmpp.send_queue_bytes) {
        g_set_error(error, GW_ERROR, GW_ERROR_OVERLOAD,
                    "XMPP send queue full (%" G_GSIZE_FORMAT " bytes)",
                    out_len(self));
        return FALSE;
    }
    return TRUE;
}

gboolean
gw_xmpp_link_send(GwXmppLink *self, const char *xml, gsize len,
                  GwXmppSentFunc sent, gpointer user_data, GError **error)
{
    if (!check_room(self, len, error))
        return FALSE;
    gw_xmpp_link_append(self, xml, len);
    if (sent != NULL) {
        Pending *p = g_new(Pending, 1);
        p->end = self->out_total;
        p->func = sent;
        p->data = user_data;
        g_queue_push_tail(&self->pending, p);
    }
    return TRUE;
}

gboolean
gw_xmpp_link_send_confirmed(GwXmppLink *self, const char *xml, gsize len,
                            const char *domain, GwXmppConfirmFunc done,
                            gpointer user_data, GError **error)
{
    g_return_val_if_fail(domain != NULL && *domain != '\0', FALSE);
    g_return_val_if_fail(done != NULL, FALSE);
    if (!check_room(self, len, error))
        return FALSE;
    gw_xmpp_link_append(self, xml, len);
    gw_xmpp_confirm_add(self, domain, done, user_data);
    return TRUE;
}

void
gw_xmpp_link_send_text(GwXmppLink *self, GString *xml)
{
    g_autoptr(GError) error = NULL;

    if (!gw_xmpp_link_send(self, xml->str, xml->len, NULL, NULL, &error))
        g_info("dropped a stanza for the XMPP side: %s: %.120s",
               error->message, xml->str);
    g_string_free(xml, TRUE);
}

void
gw_xmpp_link_get_stats(const GwXmppLink *self, GwXmppStats *stats)
{
    *stats = self->stats;
    stats->queued_bytes = out_len(self);
}

void
gw_xmpp_link_free(GwXmppLink *self)
{
    if (self == NULL)
        return;
    g_clear_handle_id(&self->reconnect_id, g_source_remove);
    g_clear_handle_id(&self->stop_timeout_id, g_source_remove);
    if (self->resolve_cancel != NULL)
        g_cancellable_cancel(self->resolve_cancel);
    g_clear_object(&self->resolve_cancel);
    fail_pending(self);
    g_source_destroy(&self->source->base);
    g_source_unref(&self->source->base);
    xmpp_conn_release(self->conn);
    xmpp_ctx_free(self->ctx);
    xmpp_shutdown();
    g_byte_array_unref(self->out);
    gw_xmpp_confirm_clear(self);
    the_link = NULL;
    g_free(self);
}
