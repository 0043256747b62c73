/* jsdp.h: lossless Jingle <-> SDP translation (project issue #4).
 *
 * A pure library: libxml2 nodes (or XML text) on the Jingle side, SDP text
 * on the other, a neutral model in between.  No I/O, no globals, no clock,
 * no randomness: every generated value (o= fields, s=, candidate ids, sid)
 * comes from a params struct.
 *
 *   Jingle XML --jsdp_session_from_jingle()--> JsdpSession --jsdp_session_to_sdp()--> SDP
 *   SDP ---------jsdp_session_from_sdp()-----> JsdpSession --jsdp_session_to_jingle()-> Jingle
 *
 * What maps (both directions):
 *   XEP-0166  <content creator name senders>   m= section with a=mid; senders
 *             <-> a=sendrecv/sendonly/recvonly/inactive, relative to the
 *             role of the SDP's author (an input); a rejected content <->
 *             port 0 (see "rejected" below).
 *   XEP-0167  <description media> <-> m=<media>; <payload-type id name
 *             clockrate channels ptime maxptime> + <parameter> <-> m= format,
 *             a=rtpmap, a=fmtp, a=ptime, a=maxptime; <bandwidth type> <-> b=;
 *             <rtcp-mux/> <-> a=rtcp-mux; <encryption required><crypto> <->
 *             a=crypto (RFC 4568; required='1' <-> an RTP/SAVP* profile);
 *             telephone-event (RFC 4733) is an ordinary payload type.
 *             <rtcp-reduced-size/> <-> a=rtcp-rsize (StanzaJS convention).
 *   XEP-0176  <transport ufrag pwd> + <candidate> <-> a=ice-ufrag, a=ice-pwd,
 *             a=candidate (all types, tcptype, generation, network <->
 *             network-id, rel-addr/rel-port <-> raddr/rport);
 *             <gathering-complete/> (XEP-0371/StanzaJS) <-> a=end-of-candidates.
 *   XEP-0177  Raw-UDP <candidate ip port component> <-> c= and the m= port
 *             (component 2 <-> a=rtcp).
 *   XEP-0320  <fingerprint hash setup> <-> a=fingerprint + a=setup.
 *   XEP-0293  <rtcp-fb>, <rtcp-fb-trr-int> <-> a=rtcp-fb (payload-level, and
 *             description-level <-> a=rtcp-fb:*, which is printed into each
 *             <payload-type>: the place every client reads).
 *   XEP-0294  <rtp-hdrext id uri senders> <-> a=extmap[/direction];
 *             <extmap-allow-mixed/> <-> a=extmap-allow-mixed.
 *   XEP-0338  <group semantics><content name/> <-> a=group.
 *   XEP-0339  <source ssrc><parameter> <-> a=ssrc; <ssrc-group> <->
 *             a=ssrc-group.  <stream xmlns='urn:xmpp:jingle:apps:rtp:msid:0'
 *             id track> <-> a=msid (StanzaJS convention).  An SSRC of an
 *             FID group without <source> gets the cname of the group's
 *             first one (RFC 4588 5.2; StanzaJS sends it so).  XEP-0167's
 *             <description ssrc> is printed as the first source's.
 *   XEP-0343  a content without <description> whose ICE-UDP <transport>
 *             has <sctpmap number protocol streams> (a WebRTC data
 *             channel, as StanzaJS and Jitsi send it) <-> m=application
 *             <port> UDP/DTLS/SCTP <protocol> + a=sctp-port (RFC 8841;
 *             the older DTLS/SCTP + a=sctpmap form is read too).
 *
 * Classic SIP endpoints (no ICE): an m= section with only c= and a port
 * becomes, as JsdpSdpParseParams.classic says, a Raw-UDP transport or an
 * ICE-UDP transport with one host candidate per component.  An ICE transport
 * is printed as classic SDP (c=/port from a chosen candidate, no ICE lines)
 * when JsdpSdpPrintParams.classic is set, or when it has no ufrag/pwd.
 * "m=<media> 9 ... c=IN IP4 0.0.0.0" (RFC 8839's "no address yet") gives a
 * transport without candidates, and such an empty transport equals none.
 *
 * SDP fragments (RFC 8840 trickle-ice-sdpfrag, recognised by the absence of
 * a v= line): the m= lines only name the content (a=mid, else media);
 * their port, proto and formats are placeholders and never become a
 * description.  A session with a content that has neither <description>
 * nor data channel (e.g. transport-info, content-modify) prints as such a
 * fragment, unless its action describes a session (session-initiate,
 * session-accept, content-add, content-accept: never a fragment): there
 * such a content is left out of the SDP with a warning, and the others
 * are printed whole.
 *
 * Not carried (each produces a warning naming it, never dropped silently):
 *   SDP -> Jingle: i= u= e= p= z= k= r= lines, session-level b=, a=ice-lite,
 *     a=ice-options other than trickle, a=msid-semantic, extmap attributes,
 *     candidate extensions other than generation/network-id/tcptype (e.g.
 *     network-cost, ufrag), non-RTP m= lines other than SCTP data
 *     channels, e.g. m=image T.38 (the whole section is dropped, and its
 *     mid removed from groups), a=max-message-size, a=setup
 *     without a fingerprint, any other unknown a= attribute (a=label,
 *     a=content, a=silenceSupp, a=rtcp-xr ...), an m= profile other than the
 *     one re-derived for printing (e.g. RTP/SAVPF with a fingerprint is
 *     re-derived as UDP/TLS/RTP/SAVPF), c=0.0.0.0 (RFC 2543 hold, kept as the
 *     address), a=rtcp:0.
 *     Not warned because regenerated: v=, o=, s=, t= (from params), c= and
 *     the m= port and a=rtcp under ICE (derived from candidates), and
 *     a=ice-options:trickle (Jingle always trickles).
 *   Jingle -> SDP: content creator='responder' and disposition, contents
 *     with an unknown <description> or <transport> (left out, with their
 *     names taken out of groups; with an XEP-0343 <sctpmap> the data
 *     channel is carried), the <sctpmap> streams count (RFC 8841 has
 *     none), XEP-0343 <channel>s, the
 *     <description ssrc> attribute when no <source> carries that ssrc,
 *     <rtp-hdrext> <parameter>s, the <reason>, session-info payloads and other
 *     unknown children (Jitsi <ssrc-info>, <bridge-session>, <web-socket>),
 *     attributes outside the XEPs (Jitsi <source name>), stray text, empty
 *     <parameter/>s, clockrate/channels of a payload-type without name (no
 *     a=rtpmap to carry them); a <parameter> value holding "a;b=c" (Jitsi)
 *     is split into parameters, with a warning; a dynamic payload-type
 *     without clockrate gets 90000 (video) or 8000, with a warning;
 *     several fingerprints with different setup values, ptime/maxptime that
 *     differ between payload types of one content (SDP has one per m=),
 *     a rejected content (port 0) in Jingle output: Jingle has no in-band
 *     marker, so the content is omitted (the caller sends content-reject).
 *   The candidate id attribute does not exist in SDP: generated on output
 *     from JsdpJinglePrintParams.candidate_id_prefix, ignored by equality.
 *
 * Errors: domain JSDP_ERROR; every failing function returns NULL/FALSE and
 * sets exactly one GError whose message names the SDP line (number and
 * text) or the Jingle element and the problem.  Input is bounded: at most
 * JSDP_MAX_* items, ports 0-65535, payload ids 0-127, priorities 32-bit.
 */
#ifndef JSDP_H
#define JSDP_H

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

#define JSDP_ERROR (jsdp_error_quark())
typedef enum {
    JSDP_ERROR_MALFORMED,    /* not Jingle/SDP, or a required part missing */
    JSDP_ERROR_UNSUPPORTED,  /* valid, but nothing we can translate */
    JSDP_ERROR_INCOMPATIBLE, /* both valid, no common codec or transport;
                              * for callers that negotiate (call bridge):
                              * no translation function returns it */
} JsdpError;
GQuark jsdp_error_quark(void);

/* Limits on input; exceeding one is JSDP_ERROR_MALFORMED. */
#define JSDP_MAX_INPUT (256 * 1024) /* bytes of SDP or XML text */
#define JSDP_MAX_LINES 4096         /* SDP lines */
#define JSDP_MAX_CONTENTS 64        /* contents = m= sections */
#define JSDP_MAX_PAYLOAD_TYPES 128  /* per content */
#define JSDP_MAX_CANDIDATES 128     /* per transport */
#define JSDP_MAX_ITEMS 512          /* any other list (params, sources...) */

/* Namespaces (exact strings). */
#define JSDP_NS_JINGLE "urn:xmpp:jingle:1"
#define JSDP_NS_RTP "urn:xmpp:jingle:apps:rtp:1"
#define JSDP_NS_ICE_UDP "urn:xmpp:jingle:transports:ice-udp:1"
#define JSDP_NS_RAW_UDP "urn:xmpp:jingle:transports:raw-udp:1"
#define JSDP_NS_DTLS "urn:xmpp:jingle:apps:dtls:0"
#define JSDP_NS_RTCP_FB "urn:xmpp:jingle:apps:rtp:rtcp-fb:0"
#define JSDP_NS_HDREXT "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0"
#define JSDP_NS_GROUPING "urn:xmpp:jingle:apps:grouping:0"
#define JSDP_NS_SSMA "urn:xmpp:jingle:apps:rtp:ssma:0"
#define JSDP_NS_MSID "urn:xmpp:jingle:apps:rtp:msid:0"
#define JSDP_NS_DTLS_SCTP "urn:xmpp:jingle:transports:dtls-sctp:1"

/* ---- the model ------------------------------------------------------ */

typedef enum {
    JSDP_ROLE_INITIATOR,
    JSDP_ROLE_RESPONDER,
} JsdpRole;

/* XEP-0166 senders: who sends media in this content. */
typedef enum {
    JSDP_SENDERS_BOTH = 0, /* default; a=sendrecv */
    JSDP_SENDERS_INITIATOR,
    JSDP_SENDERS_RESPONDER,
    JSDP_SENDERS_NONE, /* a=inactive */
} JsdpSenders;

/* XEP-0320 / RFC 4145 setup. */
typedef enum {
    JSDP_SETUP_UNSET = 0,
    JSDP_SETUP_ACTPASS,
    JSDP_SETUP_ACTIVE,
    JSDP_SETUP_PASSIVE,
    JSDP_SETUP_HOLDCONN,
} JsdpSetup;

typedef enum {
    JSDP_TRANSPORT_ICE_UDP, /* XEP-0176 */
    JSDP_TRANSPORT_RAW_UDP, /* XEP-0177 */
} JsdpTransportType;

typedef enum {
    JSDP_CANDIDATE_HOST,
    JSDP_CANDIDATE_SRFLX,
    JSDP_CANDIDATE_PRFLX,
    JSDP_CANDIDATE_RELAY,
} JsdpCandidateType;

typedef enum {
    JSDP_TCPTYPE_NONE = 0,
    JSDP_TCPTYPE_ACTIVE,
    JSDP_TCPTYPE_PASSIVE,
    JSDP_TCPTYPE_SO,
} JsdpTcpType;

/* <parameter name value/> or one fmtp/ssrc item.  name is never NULL ("" for
 * a nameless fmtp item such as telephone-event "0-15"); value may be NULL
 * (a=ssrc:1 attr without ":value").  JsdpParameter and JsdpRtcpFb keep their
 * strings in the item's own allocation: make them with jsdp_parameter_new()
 * / jsdp_rtcp_fb_new(), never assign or free the fields. */
typedef struct {
    char *name;
    char *value;
} JsdpParameter;

/* XEP-0293 <rtcp-fb type subtype/> <-> a=rtcp-fb:pt type [subtype]. */
typedef struct {
    char *type;
    char *subtype; /* NULL if none */
} JsdpRtcpFb;

typedef struct {
    guint8 id;         /* 0-127 */
    char *name;        /* NULL for an unknown static type without a=rtpmap */
    guint clockrate;   /* 0 = unspecified */
    guint channels;    /* 1 by default */
    guint ptime;       /* 0 = unspecified */
    guint maxptime;    /* 0 = unspecified */
    GPtrArray *parameters; /* JsdpParameter*, fmtp order */
    GPtrArray *rtcp_fb;    /* JsdpRtcpFb* */
    gint64 trr_int;        /* -1 = none */
} JsdpPayloadType;

/* XEP-0294 <rtp-hdrext> <-> a=extmap. */
typedef struct {
    guint id; /* 1-255 or 4096-4351 */
    char *uri;
    JsdpSenders senders;
} JsdpHdrext;

typedef struct {
    char *type; /* b=<type>:<value>, e.g. "AS", "TIAS" */
    guint64 value;
} JsdpBandwidth;

/* RFC 4568 a=crypto:<tag> <suite> <key-params> [<session-params>]. */
typedef struct {
    guint tag;
    char *suite;
    char *key_params;
    char *session_params; /* NULL if none */
} JsdpCrypto;

/* XEP-0339 <source ssrc> <-> a=ssrc. */
typedef struct {
    guint32 ssrc;
    GPtrArray *parameters; /* JsdpParameter* */
} JsdpSource;

typedef struct {
    char *semantics; /* "FID", "SIM", ... */
    GArray *ssrcs;   /* guint32 */
} JsdpSsrcGroup;

typedef struct {
    char *foundation;
    guint component;   /* 1-256 */
    char *protocol;    /* "udp" or "tcp" (lower case) */
    guint32 priority;
    char *ip;
    guint16 port;
    JsdpCandidateType type;
    char *rel_addr; /* NULL if none */
    gint32 rel_port; /* -1 if none */
    JsdpTcpType tcptype;
    guint generation;
    gint32 network; /* -1 if none */
    char *id;       /* Jingle id; NULL if none (ignored by equality) */
} JsdpCandidate;

typedef struct {
    char *hash;  /* lower case, e.g. "sha-256" */
    char *value; /* upper-case hex octets separated by ':' */
} JsdpFingerprint;

typedef struct {
    JsdpTransportType type;
    char *ufrag; /* NULL if none */
    char *pwd;
    GPtrArray *candidates;   /* JsdpCandidate* */
    GPtrArray *fingerprints; /* JsdpFingerprint* */
    JsdpSetup setup;
    gboolean end_of_candidates;
} JsdpTransport;

/* One <content/> = one m= section: an RTP one (has_description), a data
 * channel (sctp_port), or in a transport fragment neither. */
typedef struct {
    char *name; /* content name = a=mid */
    JsdpRole creator;
    JsdpSenders senders;
    gboolean rejected; /* port 0 */
    char *media;       /* "audio", "video"; NULL if no description */
    gboolean has_description;
    /* description (meaningful if has_description) */
    GPtrArray *payload_types; /* JsdpPayloadType*, preference order */
    GPtrArray *bandwidths;    /* JsdpBandwidth* */
    gboolean rtcp_mux;
    gboolean rtcp_rsize;
    GPtrArray *rtcp_fb; /* JsdpRtcpFb*, for all payload types (a=rtcp-fb:*) */
    gint64 trr_int;     /* -1 = none */
    GPtrArray *hdrexts; /* JsdpHdrext* */
    gboolean extmap_allow_mixed;
    gboolean crypto_required;
    GPtrArray *cryptos;       /* JsdpCrypto* */
    GPtrArray *sources;       /* JsdpSource* */
    GPtrArray *ssrc_groups;   /* JsdpSsrcGroup* */
    char *msid_stream;        /* a=msid; NULL if none */
    char *msid_track;         /* NULL if none */
    JsdpTransport *transport; /* NULL if none */
    /* XEP-0343 data channel (has_description FALSE, media NULL): the
     * transport's <sctpmap> <-> m=application ... UDP/DTLS/SCTP. */
    guint sctp_port;     /* 1-65535; 0: not a data channel */
    char *sctp_protocol; /* e.g. "webrtc-datachannel"; set with sctp_port */
    guint sctp_streams;  /* <sctpmap streams>; 0 if none */
} JsdpContent;

typedef struct {
    char *semantics;   /* "BUNDLE", "LS" ... */
    GPtrArray *names;  /* char*: content names = mids */
} JsdpGroup;

typedef struct {
    /* Jingle envelope: NULL when the session came from SDP. */
    char *action;
    char *sid;
    char *initiator;
    char *responder;
    GPtrArray *contents; /* JsdpContent* */
    GPtrArray *groups;   /* JsdpGroup* */
    gboolean fragment;   /* from/for an RFC 8840 SDP fragment */
    GPtrArray *warnings; /* char*: what the parser could not carry */
} JsdpSession;

/* ---- params --------------------------------------------------------- */

typedef enum {
    JSDP_CLASSIC_RAW_UDP,  /* c=/port -> XEP-0177 Raw-UDP candidate(s) */
    JSDP_CLASSIC_ICE_HOST, /* c=/port -> ICE-UDP host candidate(s), no ufrag */
} JsdpClassicMode;

typedef struct {
    JsdpRole author;         /* role of whoever wrote the SDP */
    JsdpClassicMode classic; /* what an SDP without ICE becomes */
} JsdpSdpParseParams;

typedef struct {
    JsdpRole author;           /* role of whoever the SDP speaks for */
    const char *username;      /* o= username; NULL -> "-" */
    guint64 session_id;        /* o= sess-id */
    guint64 session_version;   /* o= sess-version */
    const char *origin_address; /* o= address; NULL -> "0.0.0.0" (IP4) */
    const char *session_name;   /* s=; NULL -> "-" */
    /* Render ICE transports as classic SDP: c=/port from the candidate
     * chosen below, no ice-ufrag/pwd/candidate/a=mid lines. */
    gboolean classic;
    /* For classic output: id of the candidate to use; NULL or not found ->
     * the highest-priority component-1 UDP candidate. */
    const char *classic_candidate_id;
    GPtrArray *warnings; /* optional: receives owned char* warnings */
} JsdpSdpPrintParams;

typedef struct {
    const char *action;    /* e.g. "session-initiate"; NULL -> "session-initiate" */
    const char *sid;       /* NULL -> no sid attribute */
    const char *initiator; /* NULL -> none */
    const char *responder; /* NULL -> none */
    /* Candidate ids are generated as "<prefix><content index>-<n>" when the
     * model has none; NULL -> "c". */
    const char *candidate_id_prefix;
    GPtrArray *warnings; /* optional: receives owned char* warnings */
} JsdpJinglePrintParams;

/* ---- sessions ------------------------------------------------------- */

/* Jingle -> model.  jingle: a <jingle xmlns='urn:xmpp:jingle:1'> element or
 * an <iq> whose child it is (borrowed; never modified).  Returns a new
 * session (free with jsdp_session_free()) or NULL with error set:
 * MALFORMED (not jingle, bad attribute, limits), UNSUPPORTED (no content to
 * translate, e.g. session-terminate, or none left once the contents with an
 * unknown description or transport are left out, each with a warning). */
JsdpSession *jsdp_session_from_jingle(const xmlNode *jingle, GError **error);

/* As above from XML text (len -1: NUL-terminated, at most JSDP_MAX_INPUT
 * bytes).  Read by libjsdp's own strict XML 1.0 reader (jsdp_xml.c; libxml2's
 * parser set-up alone cost more than a whole translation): no network or
 * file access, no DTD, no entity but the five predefined ones and character
 * references; a DOCTYPE, bad UTF-8 or any well-formedness error is
 * MALFORMED with the byte offset.  The fuzz target checks it against
 * libxml2 (XML_PARSE_NONET) on the same input. */
JsdpSession *jsdp_session_from_jingle_string(const char *xml, gssize len,
                                             GError **error);

/* SDP -> model.  sdp: text (len -1: NUL-terminated), LF or CRLF; params NULL
 * -> author initiator, classic Raw-UDP.  Returns a new session or NULL with
 * error: MALFORMED (line number and text quoted), UNSUPPORTED (e.g.
 * multicast c=, nothing translatable). */
JsdpSession *jsdp_session_from_sdp(const char *sdp, gssize len,
                                   const JsdpSdpParseParams *params,
                                   GError **error);

/* Is the text SDP at all (the line grammar of RFC 8866 9: v=0 first,
 * <type>=<value> lines, o= with six fields, s=, well-formed c= and m=
 * lines)? Weaker than
 * jsdp_session_from_sdp(): a whole SDP that accepts passes here (the
 * parser also takes fragments, m= sections alone: this does not), and so
 * does an SDP with a rule broken above the line level (a duplicate mid).
 * FALSE with JSDP_ERROR_MALFORMED (the line number) if not. */
gboolean jsdp_sdp_check(const char *sdp, gssize len, GError **error);

/* Model -> SDP text (CRLF line ends; owned, g_free()).  params NULL -> all
 * defaults above.  NULL with error UNSUPPORTED when there is nothing to
 * print (no content).  Warnings go to params->warnings if set. */
char *jsdp_session_to_sdp(const JsdpSession *s, const JsdpSdpPrintParams *params,
                          GError **error);

/* Model -> an unlinked <jingle xmlns='urn:xmpp:jingle:1'> element in its own
 * xmlDoc-less tree (free with xmlFreeNode(), or add to a document).  params
 * NULL -> defaults.  NULL with error UNSUPPORTED when no content remains. */
xmlNode *jsdp_session_to_jingle(const JsdpSession *s,
                                const JsdpJinglePrintParams *params,
                                GError **error);

/* As above, serialised without XML declaration (owned, g_free()). */
char *jsdp_session_to_jingle_string(const JsdpSession *s,
                                    const JsdpJinglePrintParams *params,
                                    GError **error);

/* Semantic equality of what both formats carry: contents in order (name,
 * creator, senders, rejected, media and description, transport), groups.
 * Feedback for all payload types (a=rtcp-fb:*) counts as each one's;
 * telephone-event's fmtp "0-15" as none (RFC 4733 7.1.1).
 * Order-insensitive where SDP allows: fmtp parameters, rtcp-fb, extmaps,
 * candidates, fingerprints, crypto lines, sources, ssrc-groups, bandwidths
 * and groups; payload-type order is preference, so it counts.  Codec names
 * compare case-insensitively.  Ignored: Jingle envelope (action, sid,
 * initiator, responder), candidate ids, warnings; an empty transport (no
 * credentials, candidates or fingerprints) equals none.  NULL == NULL only. */
gboolean jsdp_session_equal(const JsdpSession *a, const JsdpSession *b);

/* Warnings gathered while parsing (borrowed; never NULL). */
const GPtrArray *jsdp_session_get_warnings(const JsdpSession *s);

/* Deep copy (owned). */
JsdpSession *jsdp_session_copy(const JsdpSession *s);
/* (transfer full) a deep copy of one content. */
JsdpContent *jsdp_content_copy(const JsdpContent *c);

/* Look-up by content name (borrowed; NULL if none). */
JsdpContent *jsdp_session_get_content(const JsdpSession *s, const char *name);

void jsdp_session_free(JsdpSession *s); /* NULL-safe */

/* ---- candidates (trickle, transport-info) --------------------------- */

/* One a=candidate line (with or without leading "a=", trailing CR/LF
 * allowed) -> new candidate, or NULL with MALFORMED.  Unknown extensions
 * are skipped; if warnings is non-NULL each gets an owned warning there. */
JsdpCandidate *jsdp_candidate_from_sdp_line(const char *line,
                                            GPtrArray *warnings,
                                            GError **error);

/* Candidate -> "candidate:..." without "a=" and without line end (owned). */
char *jsdp_candidate_to_sdp_line(const JsdpCandidate *c);

/* XEP-0176 or XEP-0177 <candidate/> element -> candidate (owned), or NULL
 * with MALFORMED naming the attribute. */
JsdpCandidate *jsdp_candidate_from_xml(const xmlNode *node, GError **error);

/* Candidate -> new unlinked <candidate/> element in namespace ns
 * (JSDP_NS_ICE_UDP or JSDP_NS_RAW_UDP); id used when c->id is NULL. */
xmlNode *jsdp_candidate_to_xml(const JsdpCandidate *c, const char *ns,
                               const char *id);

JsdpCandidate *jsdp_candidate_copy(const JsdpCandidate *c);
gboolean jsdp_candidate_equal(const JsdpCandidate *a, const JsdpCandidate *b);
void jsdp_candidate_free(JsdpCandidate *c); /* NULL-safe */

/* ---- building and editing a model -------------------------------------
 * The model is transparent: callers (the call bridge) may build or edit it.
 * _new() returns an owned empty object with every list allocated (list
 * items are owned by their array and freed with it); _free() is NULL-safe. */
JsdpSession *jsdp_session_new(void);
JsdpContent *jsdp_content_new(void);
JsdpTransport *jsdp_transport_new(JsdpTransportType type);
JsdpPayloadType *jsdp_payload_type_new(guint8 id);
JsdpCandidate *jsdp_candidate_new(void);
JsdpSource *jsdp_source_new(guint32 ssrc);
JsdpSsrcGroup *jsdp_ssrc_group_new(const char *semantics);
JsdpGroup *jsdp_group_new(const char *semantics);
JsdpParameter *jsdp_parameter_new(const char *name, const char *value);
JsdpRtcpFb *jsdp_rtcp_fb_new(const char *type, const char *subtype);

void jsdp_content_free(JsdpContent *c);
void jsdp_transport_free(JsdpTransport *t);
void jsdp_payload_type_free(JsdpPayloadType *pt);
void jsdp_source_free(JsdpSource *s);
void jsdp_ssrc_group_free(JsdpSsrcGroup *g);
void jsdp_group_free(JsdpGroup *g);
void jsdp_parameter_free(JsdpParameter *p);
void jsdp_rtcp_fb_free(JsdpRtcpFb *fb);
void jsdp_hdrext_free(JsdpHdrext *h);
void jsdp_bandwidth_free(JsdpBandwidth *b);
void jsdp_crypto_free(JsdpCrypto *c);
void jsdp_fingerprint_free(JsdpFingerprint *f);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpContent, jsdp_content_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpTransport, jsdp_transport_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpPayloadType, jsdp_payload_type_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpSource, jsdp_source_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpSsrcGroup, jsdp_ssrc_group_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpGroup, jsdp_group_free)


/* ---- operations for a party that negotiates through a relay ----------
 * The call bridge offers and answers through rtpengine, which rewrites
 * each SDP; these put back what the rewriting loses. jsdp_ops.c. */

/* Makes `answer` (a relay's rewrite of the answer to `offer`) match the
 * offer: the i-th content takes the i-th offered content's name and
 * creator (RFC 3264 6: an answer keeps the offer's m= order); names in the
 * answer's own groups follow; an answer without groups takes the offer's
 * (rtpengine drops a=group:BUNDLE, notes/media.md), each limited to the
 * names the answer has, an emptied one left out. Contents past the shorter
 * list are left alone. Both non-NULL; offer unchanged. */
void jsdp_session_align_answer(JsdpSession *answer, const JsdpSession *offer);

/* Fits an aligned answer (jsdp_session_align_answer()) to a relay that
 * gives each m= section a port of its own and does not demultiplex
 * BUNDLE (rtpengine before mr14). In each BUNDLE group of the answer:
 * - a content the answer rejected (port 0: an audio-only phone's answer
 *   to video) is kept, senders 'none', on a copy of the transport of the
 *   group's first accepted content (it rides on that bundle and never
 *   gets a port), its codecs the offer's when it has none: an offerer may
 *   insist that the answer carries every offered media (Conversations
 *   ends the session with security-error otherwise);
 * - with two or more accepted contents that are not 'none', the group is
 *   removed (each keeps its own port and transport) and the contents
 *   kept by the rule above become rejected again (left out of Jingle).
 * Both non-NULL; offer unchanged. */
void jsdp_session_unbundle_answer(JsdpSession *answer, const JsdpSession *offer);

/* Makes a Jingle answer a complete SDP answer (RFC 3264 6: one m= per
 * offered m=, in the offer's order, port 0 for a refused one): the
 * answer's contents are put in the order of the offer's, and each
 * offered RTP content the answer leaves out (XEP-0166 7.2.8: a client
 * accepts only what it takes, e.g. audio of an audio+video offer) is
 * added rejected, with the offer's name, media, creator and first
 * payload type (an m= line needs one) and a copy of the offer's
 * transport (which gives the profile: UDP/TLS/RTP/SAVPF ...). Contents
 * that are not in the offer stay after the others. Both non-NULL. */
void jsdp_session_complete_answer(JsdpSession *answer, const JsdpSession *offer);

/* Empties every content's XEP-0339 sources and ssrc-groups (a=ssrc,
 * a=ssrc-group): a relay that transcodes sends under SSRCs of its own, and
 * a client that binds its track to an announced SSRC then plays nothing.
 * s non-NULL. */
void jsdp_session_drop_sources(JsdpSession *s);

/* What a WebRTC description carries that a plain RTP/AVP peer (a desk
 * phone, a PBX) cannot use, removed from every content: the sources and
 * ssrc-groups (as jsdp_session_drop_sources()), a=msid, XEP-0294 header
 * extensions (a=extmap, a=extmap-allow-mixed), XEP-0293 feedback
 * (a=rtcp-fb, a=rtcp-fb-trr-int, per content and per payload type: RFC
 * 4585 feedback needs the AVPF profile) and a=rtcp-rsize (RFC 5506: AVPF
 * only). Codecs, fmtp, transport, direction and rtcp-mux stay. s
 * non-NULL. */
void jsdp_session_drop_webrtc_extras(JsdpSession *s);

/* Sets every content's creator, and names each content that has no name
 * "<media><index>" ("m<index>" without media), made unique with "-<k>"
 * (k = 2, 3 ...) if another content already has that name. s non-NULL. */
void jsdp_session_name_contents(JsdpSession *s, JsdpRole creator);

/* SDP text (len -1: NUL-terminated) with every direction attribute
 * (a=sendrecv/sendonly/recvonly/inactive, session or media level) saying
 * `senders` as `author` writes it (JSDP_SENDERS_INITIATOR by the initiator:
 * a=sendonly), and the session o= line's sess-version set to `version`
 * (RFC 3264 8). A media section without a direction attribute, when the
 * session part has none either, gets one after its last line; an SDP
 * without media section gets one in its session part. Every other line is
 * kept byte for byte, line ends included; added lines end as v= does.
 * Returns owned text (g_free()), or NULL with JSDP_ERROR_MALFORMED when
 * the text is not SDP (jsdp_sdp_check()). jsdp_sdp_edit.c. */
char *jsdp_sdp_set_direction(const char *sdp, gssize len, JsdpSenders senders,
                             JsdpRole author, guint64 version,
                             GError **error);

/* SDP text (len -1: NUL-terminated) as its author puts the other side on
 * hold (RFC 3264 8.4): every direction attribute keeps what it sends and
 * stops receiving (sendrecv, sendonly -> a=sendonly; recvonly, inactive
 * -> a=inactive), a media section without one (sendrecv) gets a=sendonly
 * as jsdp_sdp_set_direction() adds one; every other line, the o= line
 * included, byte for byte (the dialog moves its version on). Owned text,
 * or NULL with JSDP_ERROR_MALFORMED when it is not SDP. jsdp_sdp_edit.c. */
char *jsdp_sdp_hold(const char *sdp, gssize len, GError **error);

/* RFC 3264 8 for a dialog's SDPs: `next` (the SDP about to be sent) with
 * its session o= line replaced by `prev`'s (the last SDP sent in the
 * dialog: the same username, sess-id and address throughout), whose
 * sess-version is prev's when every other line of next equals prev's
 * (byte for byte, line ends included) and prev's + 1 when anything else
 * changed. The o= line keeps next's line end; every other line of next
 * keeps its bytes. prev NULL (the first SDP): a copy of next. Owned text,
 * or NULL with JSDP_ERROR_MALFORMED when either is not SDP
 * (jsdp_sdp_check()) or has no o= line. jsdp_sdp_edit.c. */
char *jsdp_sdp_follow_origin(const char *prev, const char *next,
                             GError **error);

/* ---- small helpers -------------------------------------------------- */

const char *jsdp_senders_to_string(JsdpSenders senders); /* static string */
/* "both", "initiator", "responder", "none" (XEP-0166 senders) into
 * *senders; FALSE for anything else, NULL included. */
gboolean jsdp_senders_from_string(const char *s, JsdpSenders *senders);
const char *jsdp_setup_to_string(JsdpSetup setup); /* NULL for UNSET */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpSession, jsdp_session_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(JsdpCandidate, jsdp_candidate_free)

G_END_DECLS

#endif /* JSDP_H */
