/* tests/bench/load_common.h: what the two XMPP load peers share.
 *
 * compload (an XEP-0114 server that the gateway connects to) and c2sload
 * (an XMPP client logged in to Prosody) both:
 *   - read a stream with a tiny incremental scanner that yields the stream
 *     header, top-level elements and the closing tag (no DOM, no copies);
 *   - either send N <message> stanzas with receipt requests at a target
 *     rate with a bounded number in flight, matching receipts and error
 *     bounces by id (per-message latency: written -> answer read),
 *   - or count incoming <message> stanzas with a body;
 *   - print one machine-readable "RESULT k=v ..." line for the driver.
 *
 * Plain sockets and ppoll(); GLib only for option parsing, base64, SHA1.
 */
#ifndef LOAD_COMMON_H
#define LOAD_COMMON_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint64_t lc_now_ns(void);
/* CPU time (user + system) of this process, in microseconds */
uint64_t lc_self_cpu_us(void);
int lc_set_nonblock(int fd);

/* ---- incremental stream scanner ---------------------------------------- */

typedef enum {
    LC_EV_STREAM_OPEN,  /* <stream:stream ...> (the open tag only) */
    LC_EV_STREAM_CLOSE, /* </stream:stream> */
    LC_EV_ELEMENT,      /* a complete top-level element */
} LcEvent;

typedef struct {
    char *buf;
    size_t len, cap;
    size_t pos;   /* scanned up to here */
    size_t start; /* start of the element being collected */
    int depth;    /* element depth inside it */
    bool in_elem;
} LcScanner;

/* Next event, or 0 when more input is needed, -1 on malformed input.
 * *xml stays valid until the next read into the scanner. */
int lc_scanner_next(LcScanner *s, LcEvent *ev, const char **xml,
                    size_t *len);

/* ---- output buffer ---------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, pos, cap;
} LcOut;

void lc_out_append(LcOut *o, const char *data, size_t n);
void lc_out_printf(LcOut *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline size_t
lc_out_pending(const LcOut *o)
{
    return o->len - o->pos;
}

/* ---- a connection ------------------------------------------------------ */

typedef struct {
    int fd;
    LcScanner in;
    LcOut out;
    bool eof;
    uint64_t bytes_in, bytes_out;
} LcConn;

void lc_conn_init(LcConn *c, int fd);
void lc_conn_close(LcConn *c);
/* Writes what the socket takes now; -1 on a socket error. */
int lc_conn_flush(LcConn *c);
/* Reads what is there now (bounded); -1 on error, sets eof at EOF. */
int lc_conn_read(LcConn *c);
/* Queues text and writes it all out, waiting at most timeout_ms. */
int lc_conn_send_all(LcConn *c, const char *text, int timeout_ms);
/* Waits for the next scanner event (flushing output meanwhile). 1 event,
 * 0 timeout, -1 error/EOF. */
int lc_conn_wait(LcConn *c, int timeout_ms, LcEvent *ev, const char **xml,
                 size_t *len);

/* ---- XML helpers ------------------------------------------------------- */

/* The raw value of attribute `name` in the first tag of xml[0..len). */
bool lc_attr(const char *xml, size_t len, const char *name,
             const char **value, size_t *value_len);
bool lc_attr_is(const char *xml, size_t len, const char *name,
                const char *want);
/* The first occurrence of needle (not NUL-terminated haystack). */
const char *lc_find(const char *xml, size_t len, const char *needle);
/* Whether the element starts with <name followed by space, > or /. */
bool lc_is_elem(const char *xml, size_t len, const char *name);

/* ---- load runs --------------------------------------------------------- */

typedef struct {
    uint64_t count;      /* messages to send / expect */
    double rate;         /* messages per second; 0: as fast as the window */
    uint64_t window;     /* most messages awaiting an answer at once */
    const char *from;    /* from= of sent stanzas, or NULL (c2s) */
    const char *to;      /* to= of sent stanzas */
    size_t body_bytes;   /* body length (at least a short text) */
    double timeout_s;    /* the whole run */
    double idle_s;       /* receive mode: stop this long after the last */
    double drain_s;      /* send mode: wait this long for answers at the end */
    const char *trace;   /* send mode: write "seq sent_us latency_us" here */
    bool no_receipts;    /* send mode: no receipt requests; only error
                            bounces come back (the driver counts the
                            messages where they arrive) */
    const char *from_domain; /* receive mode: count only messages from
                                this domain; others are stray (another
                                peer's late ones), or NULL: all */
} LcRunCfg;

typedef struct {
    const char *mode;
    uint64_t sent, ok, failed, unexpected, received, bad;
    uint64_t iqs;                      /* receive mode: iq gets answered */
    uint64_t stray;                    /* receive mode: not from_domain's */
    uint64_t t_begin, t_first, t_last; /* ns: go, first send/recv, last */
    uint64_t cpu_us;                   /* own CPU during the run */
    uint32_t *lat_us;                  /* per answered message */
    size_t n_lat;
    bool timed_out, link_lost;
} LcResult;

/* The run options both load peers take: --count --rate --window
 * --body-bytes --timeout --idle --drain --wait-go --trace, with their
 * defaults. */
typedef struct {
    int64_t count, window, body;
    double rate, timeout, idle, drain;
    gboolean wait_go;
    char *trace;
} LcRunOpts;

/* Sets the defaults and returns their option table (for
 * g_option_context_add_main_entries, beside the tool's own). */
const GOptionEntry *lc_run_option_entries(LcRunOpts *o);
/* Checks their ranges (false: bad) and copies them into cfg. */
bool lc_run_opts_apply(const LcRunOpts *o, LcRunCfg *cfg);

/* Sends cfg->count messages and collects answers. */
int lc_run_send(LcConn *c, const LcRunCfg *cfg, LcResult *r);
/* Counts incoming messages until cfg->count, idle or timeout. */
int lc_run_recv(LcConn *c, const LcRunCfg *cfg, LcResult *r);
/* Prints the human summary and the RESULT line. */
void lc_print_result(const char *prog, LcResult *r);

/* Waits for a line on stdin ("go") so a driver can sample CPU counters
 * first; returns false on EOF or timeout. */
bool lc_wait_go(double timeout_s);

/* One line on stdout, flushed at once (for the driver reading it). */
void lc_say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* ---- the XEP-0114 server side (the gateway connects to us) ------------- */

/* A TCP socket listening on 127.0.0.1:*port (0: any; *port is set). */
int lc_listen_loopback(int *port);
/* Writes "port\n" to path atomically (for the driver). */
bool lc_write_port_file(const char *path, int port);
/* Answers the gateway's component handshake (XEP-0114) on c: stream
 * header, the SHA-1 of id + secret checked, <handshake/>. false with a
 * message prefixed with prog on failure. */
bool lc_component_accept(LcConn *c, const char *prog, const char *domain,
                         const char *secret);

#endif
