/* gateway/xmpp/caps.h: what XMPP users' clients can do, learnt from their
 * presence (XEP-0115 Entity Capabilities) and service discovery
 * (XEP-0030), for the call bridge to choose between JMI and a direct
 * session-initiate.
 *
 * Two layers:
 *  - pure: a disco#info <query/> into a GwDiscoInfo, and the XEP-0115 5.1
 *    verification string of one (gw_disco_info_parse(), gw_caps_ver_build());
 *  - the cache (GwCaps): presence in, one disco#info query per unknown
 *    'ver', results verified (XEP-0115 5.4) and shared by every full JID
 *    advertising that 'ver'; unverifiable ones kept for their JID only.
 *    Every table is bounded (GwCapsLimits); queries time out. */
#pragma once

#include <glib.h>
#include <strophe.h>

G_BEGIN_DECLS

#define GW_NS_CAPS "http://jabber.org/protocol/caps"

#define GW_CAPS_ERROR (gw_caps_error_quark())
GQuark gw_caps_error_quark(void);

typedef enum {
    GW_CAPS_ERROR_MALFORMED,   /* not a disco#info result, or ill-formed as
                                  XEP-0115 5.4 3.3-3.5 defines it */
    GW_CAPS_ERROR_UNSUPPORTED, /* a 'hash' we do not implement */
} GwCapsError;

/* ---- pure: disco#info and the verification string --------------------- */

typedef struct {
    char *var;
    GPtrArray *values; /* char*, in document order */
} GwDiscoField;

typedef struct {
    char *form_type;   /* the hidden FORM_TYPE field's value */
    GPtrArray *fields; /* GwDiscoField*, FORM_TYPE excluded */
} GwDiscoForm;

typedef struct {
    char *category;
    char *type;
    char *lang; /* NULL if none */
    char *name; /* NULL if none */
} GwDiscoIdentity;

typedef struct {
    GPtrArray *identities; /* GwDiscoIdentity* */
    GPtrArray *features;   /* char* 'var' values */
    GPtrArray *forms;      /* GwDiscoForm*: XEP-0128 extended information */
} GwDiscoInfo;

void gw_disco_info_free(GwDiscoInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwDiscoInfo, gw_disco_info_free)

/* Reads a <query xmlns='http://jabber.org/protocol/disco#info'/> element
 * (borrowed). Duplicate identities or features, two forms with one
 * FORM_TYPE, a FORM_TYPE with two different values, an identity without
 * category or type, a feature without var: GW_CAPS_ERROR_MALFORMED.
 * Forms without a hidden FORM_TYPE are skipped (XEP-0115 5.4 3.6).
 * More than 512 items (identities, features, form fields and values) or
 * 32 KiB of their text: GW_CAPS_ERROR_MALFORMED too (nobody keeps it).
 * (transfer full) */
GwDiscoInfo *gw_disco_info_parse(xmpp_stanza_t *query, GError **error);

/* The XEP-0115 5.1 verification string of `info` with `hash` (IANA name:
 * "sha-1", "sha-256", "sha-384", "sha-512"; others:
 * GW_CAPS_ERROR_UNSUPPORTED). (transfer full) base64 */
char *gw_caps_ver_build(const GwDiscoInfo *info, const char *hash,
                        GError **error);

/* ---- the cache ---------------------------------------------------------- */

typedef struct GwCaps GwCaps;

/* Sends a stanza built as text; takes `xml`. */
typedef void (*GwCapsSendFunc)(GString *xml, gpointer user_data);

typedef struct {
    guint max_vers;     /* verified 'ver' values kept (least recently used
                           goes first) */
    guint max_jids;     /* full JIDs tracked in all */
    guint max_per_user; /* full JIDs tracked per bare JID, and queries
                           in flight to her JIDs */
    guint max_pending;  /* disco#info queries in flight */
    guint timeout_ms;   /* a query nobody answers fails after this */
} GwCapsLimits;

typedef enum {
    GW_CAPS_UNKNOWN, /* never seen, forgotten, or not tracked (limits) */
    GW_CAPS_PENDING, /* a disco#info query is on its way */
    GW_CAPS_KNOWN,   /* features known */
    GW_CAPS_FAILED,  /* the query failed (error, timeout, garbage) */
} GwCapsState;

/* limits: copied. send: how queries go out (called from gw_caps_presence()
 * and from the timeout/answer paths). */
GwCaps *gw_caps_new(const GwCapsLimits *limits, GwCapsSendFunc send,
                    gpointer user_data);
void gw_caps_free(GwCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwCaps, gw_caps_free)

/* An available <presence/> from `full` addressed to the component JID
 * `to` (which the query is sent from). Reads its <c/> if any; starts a
 * query if what it says is not known yet. A resource without <c/> is
 * asked directly (no node), its answer kept for it alone. */
void gw_caps_presence(GwCaps *caps, const char *full, const char *to,
                      xmpp_stanza_t *presence);

/* Unavailable presence: forgets a full JID, or every resource of a bare
 * JID. Queries in flight still complete (a verified 'ver' is cached). */
void gw_caps_forget(GwCaps *caps, const char *jid);

/* An <iq type='result'/'error'/>: TRUE if it answers one of our queries
 * (consumed, whatever it holds), FALSE if it is not ours. */
gboolean gw_caps_iq(GwCaps *caps, xmpp_stanza_t *iq);

/* What is known of `full`. When KNOWN, *features (if not NULL) is set to
 * the feature set (keys are the 'var' strings), (transfer full): release
 * with g_hash_table_unref(). */
GwCapsState gw_caps_lookup(GwCaps *caps, const char *full,
                           GHashTable **features);

typedef struct {
    guint vers;     /* verified 'ver' values cached */
    guint jids;     /* full JIDs tracked */
    guint pending;  /* queries in flight */
    guint64 queries;    /* sent */
    guint64 verified;   /* results that matched their 'ver' */
    guint64 mismatched; /* results that did not (kept per JID) */
    guint64 failed;     /* errors, timeouts, malformed results */
} GwCapsStats;
void gw_caps_get_stats(const GwCaps *caps, GwCapsStats *stats);

G_END_DECLS
