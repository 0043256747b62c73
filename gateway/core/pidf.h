/* gateway/core/pidf.h: presence documents, PIDF (RFC 3863) with RPID (RFC 4480)
 * <-> the XMPP presence model. A pure core: values in, values or a GError
 * out; no I/O, clock or randomness (ids and times come in params).
 *
 * XMPP -> PIDF (what common phones accept: Linphone, baresip, Yealink,
 * Polycom): one <tuple> with <status><basic>open|closed</basic></status>,
 * <contact> and <note xml:lang>, plus a <dm:person> carrying RPID
 * <activities>: away/xa -> <rpid:away/>, dnd -> <rpid:busy/>.
 *
 * PIDF -> XMPP: any open tuple -> available; RPID away / busy /
 * on-the-phone (person or tuple level) -> show away / dnd / away; the first
 * note (tuple, person or presence level, its xml:lang kept) -> status; no
 * open tuple -> unavailable.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GW_PIDF_ERROR (gw_pidf_error_quark())
GQuark gw_pidf_error_quark(void);

typedef enum {
    GW_PIDF_ERROR_MALFORMED,   /* not well-formed XML, or not a PIDF document */
    GW_PIDF_ERROR_UNSUPPORTED, /* well-formed, but nothing we can read */
} GwPidfError;

/* XMPP <show/> values (RFC 6121 4.7.2.1), plus unavailable. */
typedef enum {
    GW_SHOW_ONLINE, /* available, no <show/> */
    GW_SHOW_CHAT,
    GW_SHOW_AWAY,
    GW_SHOW_XA,
    GW_SHOW_DND,
    GW_SHOW_OFFLINE, /* unavailable / basic closed */
} GwShow;

typedef struct {
    GwShow show;
    char *status;      /* status text / note, or NULL */
    char *status_lang; /* its xml:lang, or NULL */
    gboolean on_the_phone; /* RPID on-the-phone (PIDF -> XMPP only) */
} GwPresence;

GwPresence *gw_presence_new(GwShow show, const char *status,
                            const char *status_lang);
GwPresence *gw_presence_copy(const GwPresence *p);
gboolean gw_presence_equal(const GwPresence *a, const GwPresence *b);
void gw_presence_free(GwPresence *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwPresence, gw_presence_free)

/* "online", "chat", "away", "xa", "dnd", "offline"; and back (NULL -> -1). */
const char *gw_show_to_string(GwShow show);
int gw_show_from_string(const char *s);

typedef struct {
    const char *entity;   /* presentity URI, e.g. "sip:alice@gw.example.com" */
    const char *tuple_id; /* e.g. "t1"; must be an XML ID (NCName) */
    const char *person_id;
    const char *timestamp; /* RFC 3339, or NULL to omit <timestamp> */
} GwPidfParams;

/* Builds a PIDF document (UTF-8, with XML declaration). (transfer full) */
char *gw_pidf_build(const GwPresence *p, const GwPidfParams *params);

/* Parses a PIDF document (never fetches DTDs or expands entities; bounded
 * in size by the caller and in depth here). (transfer full) presence, or
 * NULL and a GW_PIDF_ERROR naming the problem. */
GwPresence *gw_pidf_parse(const char *xml, gsize len, GError **error);

G_END_DECLS
