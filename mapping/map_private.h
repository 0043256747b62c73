/* mapping/map_private.h: internals shared by the files of gwmapping.
 * Nothing outside mapping/ (tests and fuzz targets of this module aside)
 * includes this header. */
#pragma once

#include "map.h"

G_BEGIN_DECLS

/* Longest address text we look at at all (a JID is at most 3 x 1023 bytes
 * plus separators; SIP URIs we map are bounded by the JIDs they map to).
 * Longer input is refused before any parsing, which bounds the work a
 * peer can make us do. */
#define MAP_MAX_INPUT 8192
/* RFC 7622 §3.1: each part of a JID is at most 1023 bytes. */
#define MAP_JID_PART_MAX 1023

/* ---- map_escape.c ---------------------------------------------------- */

/* Quotes a value for an error message: at most 64 bytes, cut at a UTF-8
 * character boundary, control characters and invalid bytes shown as '?'
 * (a peer must not be able to put a newline into our log lines). Returns
 * buf. */
#define MAP_QUOTE_SIZE 65
const char *map_quote(char buf[MAP_QUOTE_SIZE], const char *value);

/* a b c [d [e]] into one new string: g_strconcat() without its two
 * va_list passes, which show in a lookup's profile. (transfer full) */
char *map_cat(const char *a, const char *b, const char *c, const char *d,
              const char *e);

/* Is c allowed unescaped in a SIP user part (RFC 3261 §25.1: unreserved /
 * user-unreserved)? The same set Sofia-SIP's url_d() decodes to. */
gboolean map_sip_user_char_plain(guchar c);
/* Raw bytes -> canonical SIP user part: characters of the set above
 * literal, every other byte %XX with upper-case hex. (transfer full) */
char *map_sip_user_encode(const char *raw, gsize len);
/* Canonical (or any well-formed) SIP user part -> raw bytes. NULL when an
 * escape is malformed or decodes to NUL. (transfer full) */
char *map_sip_user_decode(const char *user);

/* Is p the start of one of the ten XEP-0106 escape sequences? */
gboolean map_jid_escape_at(const char *p);

/* ---- map_jid.c ------------------------------------------------------- */

/* A parsed JID in canonical form, in one allocation: bare is
 * "local@domain" (or "domain"); local_len is 0 when there is no localpart.
 * resource is set only when asked for and present. */
typedef struct {
    char *bare;
    gsize local_len;
    gboolean has_local;
    char *resource;
} MapJid;

gboolean map_jid_parse(const char *jid, gboolean want_resource, MapJid *out,
                       GError **error);
/* The same without the ASCII fast path: for tests that check the two
 * agree. */
gboolean map_jid_parse_slow(const char *jid, gboolean want_resource,
                            MapJid *out, GError **error);
void map_jid_clear(MapJid *jid);
static inline const char *
map_jid_domain(const MapJid *jid)
{
    return jid->has_local ? jid->bare + jid->local_len + 1 : jid->bare;
}

/* Canonical localpart / domainpart of s[0..len) (see map_jid.c), or NULL
 * and MAP_ERROR_MALFORMED. The error message describes the problem only
 * ("contains a space"); callers add what was being parsed. */
char *map_jid_local_normalize(const char *s, gsize len, GError **error);
char *map_jid_domain_normalize(const char *s, gsize len, GError **error);

/* ---- map_number.c ---------------------------------------------------- */

typedef struct {
    char *country_code;    /* digits, or NULL */
    char *intl_prefix;     /* digits, never NULL once initialised */
    char *national_prefix; /* digits, or NULL */
} MapNumberPlan;

gboolean map_number_plan_init(MapNumberPlan *plan, const MapConfig *config,
                              GError **error);
void map_number_plan_clear(MapNumberPlan *plan);

/* "+" followed by 1..15 digits, the first not 0 (E.164 / ITU-T E.164 §6). */
gboolean map_number_is_e164(const char *s);
/* "+" followed by one or more digits and nothing else: the shape of a
 * number in a SIP user part or a JID localpart. */
gboolean map_number_looks_global(const char *s);

/* Dialled number as people type it -> "+E164". */
char *map_number_dialled(const MapNumberPlan *plan, const char *dialled,
                         GError **error);
/* RFC 3966 telephone-subscriber (tel: URI body, or the user part of a
 * sip: URI with user=phone): number text and its ';'-separated parameters
 * (or NULL) -> "+E164". */
char *map_number_subscriber(const MapNumberPlan *plan, const char *number,
                            const char *params, GError **error);

/* ---- map_uri.c ------------------------------------------------------- */

typedef enum {
    MAP_SCHEME_SIP,
    MAP_SCHEME_SIPS,
    MAP_SCHEME_TEL,
} MapScheme;

/* A parsed SIP/SIPS/tel URI reduced to what takes part in mapping. */
typedef struct {
    MapScheme scheme;
    char *user;          /* canonical user part (Sofia/RFC 3261 percent form),
                            "+E164" when phone; NULL when the URI has none */
    char *hostport;      /* "host" or "host:port", canonical; NULL for tel: */
    gboolean phone;      /* user is a global number (tel:, user=phone, or a
                            user part of "+" and digits) */
    gboolean user_phone; /* the URI carried ;user=phone */
    gboolean host_borrowed; /* hostport points into the table: not freed */
} MapSip;

typedef enum {
    MAP_SIP_NAME_ADDR = 1 << 0,  /* accept "Display" <uri> */
    MAP_SIP_STRICT = 1 << 1,     /* configuration: refuse parameters other
                                    than user=phone, and headers */
    MAP_SIP_SOFIA_ONLY = 1 << 2, /* never the fast splitter: for the tests
                                    that check both give one answer */
} MapSipFlags;

gboolean map_sip_parse(const char *input, const MapNumberPlan *plan,
                       MapSipFlags flags, MapSip *out, GError **error);
void map_sip_clear(MapSip *sip);
/* Canonical text of a parsed URI: "sip:user@hostport[;user=phone]",
 * "sips:...", "tel:+E164". (transfer full) */
char *map_sip_to_string(const MapSip *sip);

/* "host[:port]" -> canonical (lower case, no trailing dot, IP literals in
 * inet_ntop() form, port without leading zeros), or NULL and
 * MAP_ERROR_MALFORMED. */
char *map_hostport_normalize(const char *s, gsize len, GError **error);

/* Locates the addr-spec of an optional name-addr ('"Bob" <sip:b@x>;tag=1').
 * Sets *start and *len to the URI text. FALSE when the text is not shaped like
 * an addr-spec or name-addr at all. */
gboolean map_find_addr_spec(const char *s, const char **start, gsize *len,
                            gboolean *name_addr);

/* ---- map_table.c / map_lookup.c -------------------------------------- */

/* A static entry. Strings live in MapTable.strings. */
typedef struct {
    const char *jid;     /* canonical bare JID */
    const char *sip_uri; /* canonical URI as written */
    guint32 line;
    guint16 source; /* index into MapTable.sources */
    guint8 kind;    /* MAP_KIND_XMPP_USER or MAP_KIND_SIP_USER */
} MapStatic;

/* A domain rule "*@xmpp_domain = sip:*@sip_hostport". */
typedef struct {
    char *xmpp_domain;
    char *sip_hostport;
    MapScheme scheme;
    char *text;  /* "*@example.com", for operators */
    char *where; /* "gateway.conf [mapping] rules:2", for config errors */
} MapRule;

struct MapTable {
    char *component_domain;
    char *sip_domain;
    char *trunk_domain; /* never NULL: sip_domain when not configured */
    MapNumberForm numbers_as;
    MapNumberPlan plan;
    gboolean foreign_any;
    GHashTable *foreign; /* allowed foreign "host" or "host:port" (set) */
    GPtrArray *sources;  /* source names (char *) */
    GPtrArray *static_prefixes; /* "static SOURCE:" per source (char *) */
    GStringChunk *strings;
    GArray *statics;           /* MapStatic */
    GHashTable *static_by_jid; /* jid -> GUINT_TO_POINTER(index + 1) */
    GHashTable *static_by_sip; /* sip key -> GUINT_TO_POINTER(index + 1) */
    GPtrArray *rules;          /* MapRule * (owned) */
    GHashTable *rule_by_xmpp;  /* xmpp domain -> MapRule * */
    GHashTable *rule_by_sip;   /* sip hostport -> MapRule * */
    /* answers already given (map_lookup.c, "memo"): input text ->
     * MapResult *; made on first use, never part of the table's meaning */
    GHashTable *memo_jid;
    GHashTable *memo_sip;
};

/* Is hostport on an allowed foreign domain? ("*", "host", "host:port";
 * an entry without a port allows every port of its host.) */
gboolean map_table_foreign_allowed(const MapTable *t, const char *hostport);
/* Is a phone number on this domain the same number as tel:+E164? True for
 * sip_domain, trunk_domain and allowed foreign domains not claimed by a
 * domain rule. */
gboolean map_table_number_domain(const MapTable *t, const char *hostport);
/* The key a SIP address is matched by: "user@hostport"; for a phone
 * number on a number domain (or tel:) "tel:+E164", so one static entry
 * catches a number however it arrives. sip->user must be set.
 * (transfer full) */
char *map_table_sip_key(const MapTable *t, const MapSip *sip);
/* The same into buf when it fits (returns buf, *heap NULL), else into a
 * new string returned and stored in *heap for the caller to free. */
const char *map_table_sip_key_buf(const MapTable *t, const MapSip *sip,
                                  char *buf, gsize size, char **heap);
#define MAP_KEY_BUF 256

/* Applies a domain rule, for the conflict checks at build time:
 * JID -> SIP (out set on success) and SIP -> canonical bare JID. */
gboolean map_rule_jid_to_sip(const MapTable *t, const MapRule *rule,
                             const char *bare, gsize local_len, MapSip *out,
                             GError **error);
char *map_rule_sip_to_jid(const MapTable *t, const MapRule *rule,
                          const MapSip *sip, GError **error);

G_END_DECLS
