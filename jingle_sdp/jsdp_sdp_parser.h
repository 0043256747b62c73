/* jsdp_sdp_parser.h: private to the SDP parser's two files.
 *
 * jsdp_sdp_parse.c drives: it cuts the text into lines, keeps the session
 * and the current m= section in a SessionState and a MediaState, and
 * finishes each section into a JsdpContent.  jsdp_sdp_attr.c holds the
 * readers of single lines and attributes (c=, m=, b=, a=...), which fill
 * those states.  Nothing here is visible outside jingle_sdp/. */
#ifndef JSDP_SDP_PARSER_H
#define JSDP_SDP_PARSER_H

#include "jsdp_private.h"

typedef struct {
    guint number;
    const char *text; /* without line end, NUL-terminated (in a copy) */
} Line;

typedef struct {
    char *addr; /* c= address; NULL if none */
    gboolean ip6;
} Connection;

typedef struct {
    Connection conn;
    char *ufrag, *pwd;
    GPtrArray *fingerprints; /* JsdpFingerprint* */
    JsdpSetup setup;
    const char *direction; /* static string or NULL */
    gboolean extmap_allow_mixed;
    GPtrArray *groups; /* JsdpGroup* */
} SessionState;

typedef struct {
    const Line *mline;
    char *media;
    guint port;
    char *proto;
    JsdpContent *content; /* being filled */
    Connection conn;
    char *mid;
    char *ufrag, *pwd;
    GPtrArray *fingerprints;
    JsdpSetup setup;
    const char *direction;
    gint64 rtcp_port; /* -1 if no a=rtcp */
    char *rtcp_addr;
    guint ptime, maxptime;
    gboolean has_rtpmap[128];
    gboolean has_fmtp[128];
    GPtrArray *candidates;
    gboolean end_of_candidates;
    gboolean dropped; /* non-RTP section: warn and skip */
    gboolean sctp;    /* a data channel (m=application .../SCTP) */
    char *sctp_fmt;   /* its m= format: "webrtc-datachannel", or the port */
    guint sctp_port;  /* a=sctp-port or a=sctpmap; 0 if none */
    char *sctp_protocol; /* a=sctpmap's protocol */
    GPtrArray *pending_fb; /* rtcp-fb for '*' or a pt: resolved at the end */
} MediaState;

typedef struct {
    const JsdpSdpParseParams *params;
    JsdpSession *session;
    SessionState sess;
    GPtrArray *dropped_mids;
} Parser;

#define FAIL(line, ...)                                                        \
    G_STMT_START                                                               \
    {                                                                          \
        g_autofree char *what_ = g_strdup_printf(__VA_ARGS__);                 \
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,                   \
                    "sdp line %u: %s: '%.64s'", (line)->number, what_,         \
                    (line)->text);                                             \
        return FALSE;                                                          \
    }                                                                          \
    G_STMT_END

/* ---- field splitting without allocation ------------------------------ */

#define SPLIT_MAX 72

/* A private copy of a value cut into fields: on runs of `sep` when sep is
 * ' ' (SDP fields; double spaces seen in the wild), exactly otherwise
 * ('/' in rtpmap, ';' in fmtp).  With max > 0 the last field is the rest
 * of the text.  f[] is NULL-terminated; n > SPLIT_MAX - 1 means "too many". */
typedef struct {
    char *f[SPLIT_MAX + 1];
    guint n;
    char stack[512];
    char *heap;
} Split;

void jsdp_sdpp_split_clear(Split *sp);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Split, jsdp_sdpp_split_clear)
void jsdp_sdpp_split(Split *sp, const char *s, char sep, guint max);

/* Line readers (jsdp_sdp_attr.c).  Each returns FALSE with `error` set on
 * a line it cannot accept, and adds a warning for what it drops. */
gboolean jsdp_sdpp_parse_connection(const Line *line, const char *value, Connection *conn,
                                    GPtrArray *warnings, GError **error);
gboolean jsdp_sdpp_parse_mline(Parser *p, const Line *line, const char *value, MediaState *m,
                               GError **error);
gboolean jsdp_sdpp_parse_bandwidth(const Line *line, const char *value, JsdpContent *c,
                                   GError **error);
gboolean jsdp_sdpp_parse_media_attr(Parser *p, const Line *line, const char *name,
                                    const char *value, MediaState *m, GError **error);
gboolean jsdp_sdpp_parse_session_attr(Parser *p, const Line *line, const char *name,
                                      const char *value, GError **error);

#endif
