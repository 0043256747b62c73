/* jsdp_private.h: helpers shared by libjsdp's files; no other directory
 * includes it. */
#ifndef JSDP_PRIVATE_H
#define JSDP_PRIVATE_H

#include "jsdp.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

/* libxml2 autocleanups (STYLE.md §3: foreign types get theirs here). */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlNode, xmlFreeNode)
void jsdp_xml_free(xmlChar *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlChar, jsdp_xml_free)

/* Appends a printf-formatted warning unless the same text is already there.
 * warnings may be NULL (then nothing happens). */
void jsdp_warn(GPtrArray *warnings, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Static payload types of RFC 3551 §6: name, clock rate, channels; FALSE for
 * unassigned ids. */
gboolean jsdp_static_payload_type(guint id, const char **name, guint *clockrate,
                                  guint *channels);

/* Fills name/clockrate/channels of a static type from RFC 3551 where the
 * input left them out, so "m=audio 9 RTP/AVP 0" and <payload-type id='0'
 * name='PCMU'/> end up equal. */
void jsdp_payload_type_normalise(JsdpPayloadType *pt);

/* RFC 4733 7.1.1: telephone-event's nameless fmtp "0-15" (its events
 * list) says what leaving it out says.  The Jingle printer leaves it out,
 * the one form every client reads (jsdp_jingle_print.c), and equality
 * ignores it. */
gboolean jsdp_parameter_is_default(const JsdpPayloadType *pt, const JsdpParameter *p);

/* RFC 4588 5.2: an original stream and its retransmission stream (an
 * ssrc-group FID pair) have the same RTCP CNAME.  StanzaJS sends the RTX
 * SSRC in the <ssrc-group> alone, without <source>
 * (Protocol.js convertIntermediateToApplication), and its own exportToSDP
 * gives it the first source's cname: both our parsers do the same for an
 * SSRC of an FID group without <source> or a=ssrc, when the group's first
 * SSRC has a cname, so that either side yields the same model. */
void jsdp_content_complete_fid_sources(JsdpContent *c);

/* Strict number parsing: the whole string is decimal digits, in [min,max]. */
gboolean jsdp_parse_uint(const char *s, guint64 min, guint64 max, guint64 *out);

/* Fingerprint value check + normalisation to upper-case hex; NULL if bad. */
char *jsdp_fingerprint_normalise(const char *value);

const char *jsdp_candidate_type_to_string(JsdpCandidateType t);
gboolean jsdp_candidate_type_from_string(const char *s, JsdpCandidateType *t);
const char *jsdp_tcptype_to_string(JsdpTcpType t);
gboolean jsdp_tcptype_from_string(const char *s, JsdpTcpType *t);
gboolean jsdp_setup_from_string(const char *s, JsdpSetup *setup);

/* SDP direction <-> senders, for an SDP written by `author`. */
JsdpSenders jsdp_senders_from_direction(const char *direction, JsdpRole author);
const char *jsdp_senders_to_direction(JsdpSenders senders, JsdpRole author);

/* The m= profile printing derives for a content (RFC 5764, RFC 4585,
 * RFC 4568): UDP/TLS/RTP/SAVPF with a fingerprint, RTP/SAVP[F] when crypto
 * is required, else RTP/AVP[F]; F when any rtcp-fb is present;
 * UDP/DTLS/SCTP for a data channel (RFC 8841). */
const char *jsdp_content_derive_proto(const JsdpContent *c);

/* The candidate classic SDP uses for c=/port: by id, else the highest
 * priority component-1 UDP candidate, else any component-1; NULL if none. */
const JsdpCandidate *jsdp_transport_default_candidate(const JsdpTransport *t,
                                                      guint component,
                                                      const char *id);

/* ICE priority of a host candidate (RFC 8445 §5.1.2.1, local pref 65535). */
guint32 jsdp_host_priority(guint component);

/* A growable text buffer for the printers: GLib 2.74's GString appends go
 * through g_string_insert_len() (~60 instructions a call), which was 40%
 * of printing. */
typedef struct {
    char *str;
    gsize len, cap;
} JsdpBuf;

static inline void
jsdp_buf_reserve(JsdpBuf *b, gsize more)
{
    if (b->len + more + 1 > b->cap) {
        b->cap = MAX(b->cap * 2, b->len + more + 1);
        b->str = g_realloc(b->str, b->cap);
    }
}

static inline void
jsdp_buf_append_len(JsdpBuf *b, const char *s, gsize n)
{
    jsdp_buf_reserve(b, n);
    memcpy(b->str + b->len, s, n);
    b->len += n;
    b->str[b->len] = '\0';
}

static inline void
jsdp_buf_append(JsdpBuf *b, const char *s)
{
    jsdp_buf_append_len(b, s, strlen(s));
}

static inline void
jsdp_buf_append_c(JsdpBuf *b, char c)
{
    jsdp_buf_reserve(b, 1);
    b->str[b->len++] = c;
    b->str[b->len] = '\0';
}

static inline void
jsdp_buf_append_u64(JsdpBuf *b, guint64 v)
{
    char tmp[24];
    int i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    jsdp_buf_append_len(b, tmp + i, sizeof(tmp) - (gsize)i);
}

static inline void
jsdp_buf_init(JsdpBuf *b, gsize cap)
{
    b->str = g_malloc(cap);
    b->str[0] = '\0';
    b->len = 0;
    b->cap = cap;
}

/* Checks text once for what neither side can carry: invalid UTF-8 and C0
 * control characters other than TAB, LF and CR (NUL included).  Returns
 * the offset of the first offending byte, or len if the text is clean.
 * An ASCII fast path reads 8 bytes at a time. */
gsize jsdp_text_check(const char *s, gsize len);

/* True if s is a plausible token for SDP/Jingle text: printable ASCII
 * without spaces (and without the given extra characters). */
gboolean jsdp_is_token(const char *s, const char *forbidden);

/* Deep copies (jsdp_model_compare.c), for the operations in jsdp_ops.c. */
JsdpTransport *jsdp_transport_copy(const JsdpTransport *t);
JsdpPayloadType *jsdp_payload_type_copy(const JsdpPayloadType *p);

/* For the fuzz targets: a copy without rejected contents (and their names
 * in groups), i.e. what the Jingle printer is expected to carry. */
JsdpSession *jsdp_session_copy_without_rejected(const JsdpSession *s);

/* ---- jsdp_xml.c: the element tree the Jingle parser reads --------------
 * Strings are borrowed from the source (libxml2 tree or the arena's copy of
 * the text) and live as long as both. */
typedef struct {
    const char *name;  /* local name */
    const char *ns;    /* namespace URI, NULL if unqualified */
    const char *value; /* decoded */
} JsdpXAttr;

/* Namespaces the Jingle parser asks about, interned once per declaration
 * so that element tests compare small integers, not URIs. */
typedef enum {
    JSDP_XNS_OTHER = 0,
    JSDP_XNS_JINGLE,
    JSDP_XNS_RTP,
    JSDP_XNS_ICE_UDP,
    JSDP_XNS_RAW_UDP,
    JSDP_XNS_DTLS,
    JSDP_XNS_RTCP_FB,
    JSDP_XNS_HDREXT,
    JSDP_XNS_GROUPING,
    JSDP_XNS_SSMA,
    JSDP_XNS_MSID,
    JSDP_XNS_DTLS_SCTP,
} JsdpXNs;

JsdpXNs jsdp_xns_intern(const char *uri);

typedef struct JsdpXNode JsdpXNode;
struct JsdpXNode {
    const char *name; /* local name */
    const char *ns;   /* namespace URI, "" if none */
    JsdpXNs nsid;
    JsdpXAttr *attrs;
    guint n_attrs;
    const char *text; /* first non-blank text piece, decoded; NULL if none */
    JsdpXNode *children; /* elements only */
    JsdpXNode *next;
};

typedef struct JsdpXArena JsdpXArena;
JsdpXArena *jsdp_xarena_new(void);
void jsdp_xarena_free(JsdpXArena *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpXArena, jsdp_xarena_free)

/* A NUL-terminated copy of s[0..len) owned by the arena. */
char *jsdp_xarena_copy(JsdpXArena *a, const char *s, gsize len);

/* Unqualified attribute value, NULL if absent. */
const char *jsdp_xnode_attr(const JsdpXNode *n, const char *name);

/* libxml2 element -> tree (NULL if deeper/larger than the limits). */
JsdpXNode *jsdp_xnode_from_xml(JsdpXArena *a, const xmlNode *node);

/* Parses text in place (text must be writable, len bytes; it is modified).
 * NULL with *problem and *offset set if not well-formed. */
JsdpXNode *jsdp_xnode_parse(JsdpXArena *a, char *text, gsize len, const char **problem,
                            gsize *offset);

#endif /* JSDP_PRIVATE_H */
