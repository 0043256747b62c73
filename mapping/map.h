/* mapping/map.h: the gateway's one bidirectional address table,
 * JID <-> SIP URI.
 *
 * A pure library: values in, values or a GError out. No sockets, files
 * (callers pass bytes), main loop, clock, globals or logging above g_debug.
 *
 * Address shapes (component domain "sip.example.com", SIP domain
 * "pbx.example.com", trunk domain "trunk.example.com"):
 *
 *   static entry      alice@example.com        <-> sip:1001@pbx.example.com
 *   domain rule       *@example.com            <-> sip:*@gw.example.com
 *   component user    1001@sip.example.com     <-> sip:1001@pbx.example.com
 *   phone number      +15551234567@sip.example.com
 *                         <-> sip:+15551234567@trunk.example.com;user=phone
 *                             (or tel:+15551234567 with numbers_as = tel)
 *   foreign SIP       bob\40other.net@sip.example.com <-> sip:bob@other.net
 *                     (only for domains in foreign_domains)
 *
 * Precedence, highest first: static entries, domain rules, the component
 * rules. Every mapping is two-way and round-trips exactly; a configuration
 * under which it would not (a domain rule whose SIP side shadows the
 * component's SIP domain, two static entries for one address) is refused
 * when the table is built.
 *
 * Rule lines (the static file, and [mapping] rules in the gateway config):
 *   # comment
 *   alice@example.com = sip:1001@pbx.example.com      static entry
 *   *@example.com = sip:*@gw.example.com              domain rule
 * A '#' comment is a whole line (JIDs may contain '#'); blank lines, CRLF
 * and a UTF-8 BOM are fine. A static entry's URI is sip:, sips: or tel:,
 * with no parameter but user=phone, no headers and no password.
 *
 * Normalisation (details and worked examples at the top of map_jid.c,
 * map_uri.c and map_lookup.c):
 *   JID localpart   NFC, per-character Unicode lower case, fullwidth ASCII
 *                   narrowed; letters, digits, marks and printable ASCII
 *                   but " & ' / : < > @ (a PRECIS UsernameCaseMapped
 *                   subset; no Bidi rule)
 *   JID domainpart  lower case, NFC, trailing dot dropped, LDH labels; IP
 *                   literals in inet_ntop() form; U-labels stay Unicode
 *   JID resource    NFC, non-ASCII spaces to U+0020 (OpaqueString subset);
 *                   ignored by every lookup
 *   SIP user part   case-sensitive; escapes canonical: a character allowed
 *                   plain is decoded (%61 -> a), any other escape is
 *                   upper-case hex (%3c -> %3C)
 *   SIP host:port   host lower case, trailing dot dropped; the port is part
 *                   of the domain (pbx:5070 is not pbx); parameters other
 *                   than user=phone, and headers, take no part in a match
 *   sips:           matches what sip: matches; answers carry the scheme
 *                   their entry was written with (sip: for the component)
 *   numbers         E.164 "+" and 1..15 digits; a number on the
 *                   sip_domain, trunk_domain or an allowed foreign domain
 *                   is the same number as tel:+E164
 *
 * Case: JID localparts are case-folded, SIP user parts are not. A SIP user
 * part that is not already in the normalised form of a localpart (upper
 * case, NFD, characters a localpart cannot carry even escaped) does not
 * map through the component or a domain rule: MAP_ERROR_NO_RULE asking for
 * a static entry, rather than silently turning sip:Bob@pbx into bob.
 *
 * Shadowing: a component or domain-rule answer whose other side belongs to
 * a higher rule (1001@component when alice@example.com = sip:1001@pbx is a
 * static entry) is refused with MAP_ERROR_NO_RULE naming that rule.
 *
 * Every function may be called from any thread on a built table; a table
 * is never changed after map_table_new().
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MAP_ERROR (map_error_quark())
GQuark map_error_quark(void);

typedef enum {
    MAP_ERROR_MALFORMED,     /* not a valid JID, SIP/SIPS/tel URI or number */
    MAP_ERROR_NOT_PERMITTED, /* valid, but the configuration forbids it
                                (foreign SIP domain not allowed, password in
                                a SIP URI, sips where not allowed ...) */
    MAP_ERROR_NO_RULE,       /* valid and allowed, but no rule maps it */
    MAP_ERROR_CONFIG,        /* bad configuration or rule line; the message
                                names the source and line ("FILE:LINE: ...") */
} MapError;

typedef enum {
    MAP_NUMBERS_SIP, /* sip:+E164@trunk_domain;user=phone */
    MAP_NUMBERS_TEL, /* tel:+E164 */
} MapNumberForm;

/* What an address is on the far side of the table. */
typedef enum {
    MAP_KIND_XMPP_USER, /* a user of the XMPP server (static entry or domain
                           rule): the JID is not on the component domain */
    MAP_KIND_SIP_USER,  /* <user>@component <-> sip:<user>@sip_domain, or a
                           static alias whose JID is on the component */
    MAP_KIND_PHONE,     /* +E164@component <-> trunk URI or tel: */
    MAP_KIND_FOREIGN,   /* XEP-0106-escaped user@host@component <->
                           sip:user@host on an allowed foreign domain */
} MapKind;

/* Inputs of map_table_new(); the table copies what it keeps. */
typedef struct {
    const char *component_domain;     /* required, e.g. "sip.example.com" */
    const char *sip_domain;           /* required: SIP domain of component
                                         users, e.g. "pbx.example.com" */
    const char *trunk_domain;         /* SIP domain for E.164 numbers;
                                         NULL: sip_domain */
    MapNumberForm numbers_as;         /* how numbers are written toward SIP */
    const char *default_country_code; /* e.g. "1"; NULL: dialled numbers
                                         must carry a country code */
    const char *international_prefix; /* e.g. "011", "00"; NULL: "00" */
    const char *national_prefix;      /* trunk prefix, e.g. "0"; NULL none */
    const char *const *foreign_domains; /* NULL-terminated SIP domains that
                                           component JIDs may address
                                           escaped; "*" = any; NULL = none */
    const char *const *rules;         /* NULL-terminated rule lines */
    const char *rules_source;         /* name used in errors for rules,
                                         e.g. "gateway.conf [mapping] rules" */
    const char *static_data;          /* contents of the static-entry file,
                                         or NULL */
    gssize static_len;                /* bytes, or -1 for NUL-terminated */
    const char *static_source;        /* its name for errors (file path) */
} MapConfig;

typedef struct MapTable MapTable;

/* One answer: both canonical forms and what matched. All fields owned. */
typedef struct {
    char *jid;     /* canonical bare JID */
    char *sip_uri; /* canonical SIP URI (sip:, sips: or tel:) */
    MapKind kind;
    char *rule; /* what matched, for operators: "static entries.map:12",
                   "domain rule *@example.com", "component user",
                   "component phone", "component foreign" */
} MapResult;

void map_result_free(MapResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MapResult, map_result_free)

/* Builds a table from config, rules and the static file, all or nothing.
 * Returns (transfer full) a table, or NULL with MAP_ERROR_CONFIG whose
 * message names source and line ("entries.map:12: ...", "gateway.conf
 * [mapping] rules:2: ...") or the [mapping] key. Also refused: a domain
 * rule on the component domain or whose SIP domain is the sip_domain, the
 * trunk_domain or an explicitly allowed foreign domain; two domain rules
 * for one domain; two static entries for one JID or one SIP address; a
 * static entry inside a domain rule's domains that disagrees with it. */
MapTable *map_table_new(const MapConfig *config, GError **error);
void map_table_free(MapTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MapTable, map_table_free)

/* Number of static entries and domain rules loaded. */
guint map_table_get_n_static(const MapTable *table);
guint map_table_get_n_rules(const MapTable *table);

/* The component domain the table was built for (borrowed). */
const char *map_table_get_component_domain(const MapTable *table);

/* JID (bare or full; the resource is ignored) -> SIP. A JID on the
 * component domain yields its SIP-side address (SIP_USER, PHONE, FOREIGN
 * or a static alias); any other JID yields that XMPP user's SIP identity
 * (XMPP_USER) from a static entry or domain rule.
 * Returns (transfer full) a result, or NULL and a MAP_ERROR: MALFORMED
 * (not a JID, or a "+digits" localpart that is not E.164), NOT_PERMITTED
 * (escaped foreign domain not in foreign_domains), NO_RULE (nothing maps
 * it, or it is shadowed by a higher rule). */
MapResult *map_table_lookup_jid(const MapTable *table, const char *jid,
                                GError **error);

/* SIP/SIPS/tel URI (name-addr "Bob <sip:...>" accepted) -> JID. A URI that
 * is an XMPP user's identity yields XMPP_USER; anything else yields its JID
 * on the component. Parameters other than user=phone and headers do not
 * take part in the match. Returns (transfer full) or NULL and a MAP_ERROR:
 * MALFORMED (not such a URI, bad host or port, a number that is not
 * E.164), NOT_PERMITTED (a password; a domain not allowed), NO_RULE (no
 * user part, a user part that cannot become a localpart unchanged, or
 * shadowed). result->sip_uri is the canonical form, which may differ from
 * the input in parameters, scheme sips:, or, for numbers, form. */
MapResult *map_table_lookup_sip(const MapTable *table, const char *uri,
                                GError **error);

/* For operators (--map): a JID, a SIP/SIPS/tel URI or a dialled number
 * ("+1 (555) 123-4567", "0044 20 7946 0000", "555-0100"), recognised by
 * shape and looked up in the right direction. A dialled number is looked up
 * as +E164@component. */
MapResult *map_table_lookup_any(const MapTable *table, const char *address,
                                GError **error);

/* What a user types into a client's "add contact" box for the gateway
 * (XEP-0100 jabber:iq:gateway prompt) -> the contact's result on the
 * component, never an XMPP user:
 *   "1002" (digits only, at most MAP_PROMPT_EXTENSION_DIGITS) -> the
 *     extension 1002@component (sip:1002@sip_domain);
 *   "+1 (555) 123-4567", "0044 20 7946 0000" -> +E164@component;
 *   "sip:bob@other.net", "bob@other.net" (no scheme: a SIP address) ->
 *     bob\40other.net@component where foreign_domains allows it;
 *   "1002@component" -> itself.
 * Returns (transfer full) or NULL and MAP_ERROR: MALFORMED (empty, or
 * neither a number nor an address), NOT_PERMITTED (a foreign domain not
 * allowed), NO_RULE (nothing maps it, or it is an XMPP user's address). */
#define MAP_PROMPT_EXTENSION_DIGITS 6
MapResult *map_table_lookup_prompt(const MapTable *table, const char *text,
                                   GError **error);

/* Dialled number or tel: URI -> E.164 "+15551234567" using the table's
 * country code and prefixes. (transfer full) or NULL and MAP_ERROR:
 * MALFORMED (not a number, more than 15 digits, a tel: local number
 * without phone-context or default country code), NO_RULE (no country
 * code and none configured; an extension, or a local number that has no
 * E.164 form). Visual separators " -.()" are dropped; the international
 * prefix is tried before the national one. */
char *map_table_normalize_number(const MapTable *table, const char *dialled,
                                 GError **error);

/* ---- Address helpers, usable without a table ------------------------- */

/* Validates a JID per RFC 7622 (see map_jid.c for the normalisation we
 * implement) and splits it. Out-parameters may be NULL; they are set only
 * on success (transfer full); localpart and resource are NULL when absent.
 * All parts come back normalised. FALSE and MAP_ERROR_MALFORMED when not
 * a JID. */
gboolean map_jid_split(const char *jid, char **localpart, char **domainpart,
                       char **resourcepart, GError **error);

/* Canonical bare JID of a JID, or NULL and MAP_ERROR_MALFORMED. */
char *map_jid_bare(const char *jid, GError **error);

/* XEP-0106 escaping of a string into a JID localpart, and back. Unescaping
 * only decodes the ten XEP-0106 sequences (lower-case hex, as the XEP
 * writes them) and leaves any other '\' alone; escaping escapes '\' only
 * where it would start one of them. (transfer full) */
char *map_jid_escape(const char *raw);
char *map_jid_unescape(const char *escaped);

/* Is the string one of the URI schemes sip:, sips:, tel: (case-insensitive,
 * after an optional display name and '<')? */
gboolean map_is_uri(const char *address);

/* Is the text a valid SIP, SIPS or tel URI (RFC 3261 19.1, RFC 3966) as
 * written, e.g. a Request-URI from the wire? Host and port, user part
 * characters and escapes, parameter syntax (no empty names or values)
 * are checked. FALSE and MAP_ERROR_MALFORMED if not; a URI that is valid
 * but carries a password or a number the mapping cannot take passes. */
gboolean map_uri_check(const char *uri, GError **error);

G_END_DECLS
