/* jsdp_jingle_parser.h: private to the Jingle parser's two files.
 *
 * jsdp_jingle_parse.c drives: candidates, transports, contents, groups and
 * the <jingle> envelope, and the small readers of elements and attributes
 * both files use.  jsdp_jingle_parse_desc.c reads a content's
 * <description> (XEP-0167 payload types and parameters, XEP-0293 feedback,
 * XEP-0294 header extensions, XEP-0339 sources and groups, XEP-0167
 * crypto).  Nothing here is visible outside jingle_sdp/. */
#ifndef JSDP_JINGLE_PARSER_H
#define JSDP_JINGLE_PARSER_H

#include "jsdp_private.h"

typedef struct {
    JsdpSession *session;
    GPtrArray *warnings;
    GPtrArray *left_out; /* char*: names of contents we could not carry */
} JParser;

#define JFAIL(code, ...)                                                       \
    G_STMT_START                                                               \
    {                                                                          \
        g_set_error(error, JSDP_ERROR, (code), __VA_ARGS__);                   \
        return FALSE;                                                          \
    }                                                                          \
    G_STMT_END

#define peek_attr jsdp_xnode_attr
#define is_el jsdp_jp_is_el
#define ns_of jsdp_jp_ns_of
#define check_attrs jsdp_jp_check_attrs
#define warn_text jsdp_jp_warn_text
#define warn_child jsdp_jp_warn_child
#define attr_uint jsdp_jp_attr_uint
#define attr_token jsdp_jp_attr_token
#define parse_description jsdp_jp_parse_description

/* ns: a JSDP_XNS_* id, or -1 for any namespace. */
gboolean is_el(const JsdpXNode *n, const char *name, int ns);
const char *ns_of(const JsdpXNode *n);
/* Warns about attributes outside `allowed` (NULL-terminated). */
void check_attrs(JParser *jp, const JsdpXNode *n, const char *const *allowed);
void warn_text(JParser *jp, const JsdpXNode *n);
void warn_child(JParser *jp, const JsdpXNode *parent, const JsdpXNode *child);
gboolean attr_uint(const JsdpXNode *n, const char *name, guint64 min, guint64 max,
                   gboolean required, guint64 *out, GError **error);
/* A token attribute (no spaces: it goes into an SDP field). */
gboolean attr_token(const JsdpXNode *n, const char *name, gboolean required, char **out,
                    GError **error);

/* jsdp_jingle_parse_desc.c: a content's <description> into c. */
gboolean parse_description(JParser *jp, const JsdpXNode *d, JsdpContent *c, GError **error);

#endif
