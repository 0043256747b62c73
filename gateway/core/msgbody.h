/* gateway/core/msgbody.h: the bodies of SIP MESSAGE requests, read into
 * what an XMPP <message/> carries and built from it. A pure core: values
 * in, a value or a GError out; no I/O, no logging above g_debug.
 *
 *   text/plain;charset=X                -> UTF-8 text for <body/>
 *   message/cpim (RFC 3862)             -> its inner part, read as above
 *   application/im-iscomposing+xml      -> XEP-0085 <composing/> or
 *     (RFC 3994)                           <paused/>, and back
 *
 * Errors are GW_ERROR (gw_error.h), the domain the message bridge already
 * answers with through error_map.c: GW_ERROR_BAD_REQUEST for a body that
 * is not what its type says (SIP 400), GW_ERROR_UNSUPPORTED for a type,
 * charset or character XMPP cannot carry (SIP 415, with Accept).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Media types, lower case as the SIP side hands them over. */
#define GW_CT_TEXT "text/plain"
#define GW_CT_CPIM "message/cpim"
#define GW_CT_ISCOMPOSING "application/im-iscomposing+xml"
#define GW_NS_ISCOMPOSING "urn:ietf:params:xml:ns:im-iscomposing"
/* An isComposing document is a few hundred bytes (RFC 3994 section 4). */
#define GW_MSGBODY_MAX_ISCOMPOSING 16384

/* ---- the whole body ---------------------------------------------------- */

/* What a MESSAGE body becomes: exactly one of text and chat_state. */
typedef struct {
    char *text;             /* UTF-8, XML 1.0 characters only; or NULL */
    const char *chat_state; /* "composing" or "paused" (static); or NULL */
} GwMsgBody;

void gw_msgbody_free(GwMsgBody *body);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwMsgBody, gw_msgbody_free)

/* Reads a MESSAGE body of `content_type` (lower case, without parameters,
 * as sip_incoming.c gives it) and `charset` (its parameter, or NULL).
 * message/cpim is unwrapped once: its inner part must be text/plain or
 * isComposing. `body` need not be NUL-terminated. (transfer full), or
 * NULL and GW_ERROR_BAD_REQUEST / GW_ERROR_UNSUPPORTED. */
GwMsgBody *gw_msgbody_read(const char *content_type, const char *charset,
                           const char *body, gsize len, GError **error);

/* ---- the parts --------------------------------------------------------- */

/* The encapsulated part of an RFC 3862 message/cpim body. */
typedef struct {
    char *type;          /* its Content-Type, lower case, no parameters */
    char *charset;       /* its charset parameter, unquoted; or NULL */
    const char *content; /* borrowed: points into the body unwrapped */
    gsize content_len;
} GwCpim;

void gw_cpim_free(GwCpim *cpim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwCpim, gw_cpim_free)

/* RFC 3862 §2: message headers, a blank line, the part's MIME headers, a
 * blank line, its content (lines end in CRLF or LF). (transfer full), its
 * content borrowed from `body`; or NULL and GW_ERROR_BAD_REQUEST (no
 * header blocks, no inner Content-Type). */
GwCpim *gw_msgbody_cpim_unwrap(const char *body, gsize len, GError **error);

/* RFC 3994 -> XEP-0085: state active -> "composing", idle -> "paused"
 * (static strings). NULL and GW_ERROR_BAD_REQUEST for anything else. */
const char *gw_msgbody_iscomposing_read(const char *doc, gsize len,
                                        GError **error);

/* XEP-0085 -> RFC 3994: "composing" -> active, any other chat state ->
 * idle (RFC 3994 has no paused/inactive/gone). (transfer full) */
char *gw_msgbody_iscomposing_build(const char *chat_state);

/* A text body as UTF-8 that XML (so XMPP) can carry: converted from
 * `charset` (NULL, utf-8 or us-ascii: taken as UTF-8) with g_convert(),
 * then checked to be valid UTF-8 of XML 1.0 characters (no C0 controls
 * but tab, CR, LF). `body` need not be NUL-terminated. (transfer full),
 * or NULL and GW_ERROR_UNSUPPORTED (unknown charset, bytes it cannot
 * convert, characters XML cannot carry) or GW_ERROR_BAD_REQUEST (not
 * valid UTF-8, a NUL byte included). */
char *gw_msgbody_text_to_utf8(const char *charset, const char *body, gsize len,
                              GError **error);

G_END_DECLS
