/* config/gw_config.h: the gateway's configuration, one GKeyFile parsed into
 * an immutable GwConfig.
 *
 * Every key is declared once, in the key table of gw_config.c (group, name,
 * type, default, bounds, whether SIGHUP may change it, help text); parsing,
 * `--help-config` and the test against gateway.conf.example all read it.
 * Parsing is pure: callers pass the file's bytes and a reader for files the
 * configuration names (secret_file, static_file ...). Every problem found is
 * reported, each naming file, group and key.
 */
#pragma once

#include <glib.h>

#include "map.h"
#include "sip_auth.h"

G_BEGIN_DECLS

#define GW_CONFIG_ERROR (gw_config_error_quark())
GQuark gw_config_error_quark(void);

typedef enum {
    GW_CONFIG_ERROR_INVALID, /* one or more keys are bad; the message lists
                                every problem, one per line */
    GW_CONFIG_ERROR_READ,    /* the file or a file it names cannot be read */
} GwConfigError;

typedef enum {
    GW_SIP_TRANSPORT_UDP = 1 << 0,
    GW_SIP_TRANSPORT_TCP = 1 << 1,
    GW_SIP_TRANSPORT_TLS = 1 << 2,
} GwSipTransports;

/* One "SENDER DESTINATION" rule of [security] allow_messages: glob patterns
 * (g_pattern_match_simple) over the sender's bare JID and over the
 * destination's SIP-side address (user part, or user@host for foreign). */
typedef struct {
    char *sender;
    char *destination;
} GwAclRule;

/* A trusted SIP source network. */
typedef struct {
    guint8 addr[16]; /* IPv4 as v4-mapped IPv6 */
    guint prefix;    /* 0..128, counted on the mapped form */
    char *text;      /* as written, for logs */
} GwNet;

typedef struct {
    char *path; /* the file it came from, for messages */
    char **warnings; /* NULL-terminated: keys read but no longer used,
                        each "FILE: [group] key: what instead" */

    struct {
        char *server; /* host name or address of the XMPP server */
        guint port;
        char *component_domain;
        char *secret; /* never logged */
        guint reconnect_min_ms;
        guint reconnect_max_ms;
        guint send_queue_bytes; /* bound of unwritten stanza bytes */
        guint confirm_timeout_ms; /* a stanza's wait for its ping answer */
    } xmpp;

    struct {
        char *listen;     /* Sofia URL, e.g. "sip:127.0.0.1:5060" */
        guint transports; /* GwSipTransports */
        char *listen_tls; /* sips: URL or NULL */
        char *tls_dir;    /* agent.pem + cafile.pem, or NULL */
        char *domain;     /* the gateway's own SIP domain */
        char *outbound_proxy;
        char *user_agent;
        gboolean register_enabled;
        char *registrar;
        char *username;
        char *auth_username;
        char *password; /* never logged */
        guint register_expires;
        guint udp_mtu;
        guint transaction_timeout_ms; /* Timer F/B/J/H (64*T1) */
    } sip;

    struct {
        char *sip_domain;
        char *trunk_domain;
        MapNumberForm numbers_as;
        char *default_country_code;
        char *international_prefix;
        char *national_prefix;
        char **foreign_domains;
        char **rules;
        char *static_file;
        char *static_data; /* the file's contents, read at load */
    } mapping;

    struct {
        GPtrArray *allow_messages; /* of GwAclRule* */
        GPtrArray *trusted_sip;    /* of GwNet* */
        double xmpp_rate;          /* messages/s per XMPP sender */
        guint xmpp_burst;
        double sip_rate; /* requests/s per untrusted SIP source address */
        guint sip_burst;
        double trusted_sip_rate; /* requests/s per trusted SIP source */
        guint trusted_sip_burst;
        char *sip_users_file;
        GwSipUsers *sip_users; /* NULL: untrusted sources get 403 */
        char *sip_auth_realm;
    } security;

    struct {
        gboolean enabled;
        char *server;           /* presence server URI, or NULL */
        char **allow_watchers;  /* JID globs that may watch SIP contacts */
        guint subscribe_expires;
        guint min_expires;
        guint max_expires;
        gboolean publish;
        guint publish_expires;
        guint max_sip_watchers;
        guint max_watched;
        char *state_file;
    } presence;

    struct {
        gboolean enabled;
        GPtrArray *allow_calls; /* of GwAclRule* */
        guint max_calls;
        guint max_calls_per_user;
        guint attempts_per_minute;
        guint max_duration_s; /* 0: no limit */
        guint no_answer_s;
        gboolean early_media;
        gboolean ring_offline; /* propose even when she is known offline */
        gboolean video_fast_update; /* RFC 5168 INFO when video starts */
        char *dtmf; /* "rfc4733" or "info" */
        guint dtmf_timeout_ms;
        guint max_contents;
        guint max_sdp_bytes;
    } calls;

    struct {
        char *relay;     /* "rtpengine" or "none" */
        char *rtpengine; /* "127.0.0.1:2223" */
        guint rtpengine_timeout_ms;
        guint rtpengine_tries;
        char *sip_profile; /* "rtp" or "sdes" */
    } media;

    struct {
        guint max_message_bytes;
        guint max_pending_sip;  /* XMPP->SIP MESSAGEs awaiting a response */
        guint max_inflight_sip; /* ... at which XMPP input pauses */
        guint max_pending_xmpp; /* SIP->XMPP MESSAGEs awaiting the server */
        guint max_rate_entries; /* senders tracked by the rate limiter */
        guint wakeup_window_us; /* gateway/ops/loop_pace.h */
    } limits;

    struct {
        char *http_listen;     /* "ADDRESS:PORT" or NULL: no HTTP endpoint */
        GPtrArray *http_allow; /* of GwNet*: who may use it */
        char **jids;           /* XEP-0050 admin commands: bare JIDs */
    } admin;

    struct {
        gboolean enabled;    /* XEP-0077 at the component domain */
        char *database;      /* SQLite file (default: the state directory) */
        char *key_file;      /* 32 random bytes: AES-256-GCM of passwords */
        char *realm;         /* set: passwords kept as HA1 for this realm */
        char *registrar;     /* "sip:pbx.example.com" */
        char *domain;        /* AOR domain (default: [mapping] sip_domain) */
        char **allow;        /* JID / domain globs that may register */
        char **allow_custom_registrar; /* registrar host[:port] globs a
                                          user may name (lower case);
                                          NULL: only `registrar` */
        char *register_when; /* "online" or "always" */
        guint register_expires;
        double register_rate; /* REGISTERs started per second, at most */
        guint offline_grace_s; /* register_when = online: the un-REGISTER
                                  waits this long after she went offline */
        guint max_failures;  /* failed tries in a row before giving up */
        guint max_accounts;
    } accounts;

    struct {
        char *level; /* "message", "info", "debug" */
        gboolean stanzas;
        guint sofia_level; /* 0..9 */
    } log;
} GwConfig;

/* Reads a file a configuration names (secret_file ...). Returns contents
 * (transfer full) or NULL with an error. Tests pass their own. */
typedef char *(*GwConfigReadFunc)(const char *path, gsize *len,
                                  gpointer user_data, GError **error);

/* Parses `data` (the contents of `path`; relative paths inside resolve
 * against its directory). Returns (transfer full) a config, or NULL and
 * GW_CONFIG_ERROR_INVALID listing every problem found. read_func NULL: read
 * files with g_file_get_contents(). */
GwConfig *gw_config_parse(const char *data, gsize len, const char *path,
                          GwConfigReadFunc read_func, gpointer user_data,
                          GError **error);

/* Reads and parses a file. */
GwConfig *gw_config_load(const char *path, GError **error);

void gw_config_free(GwConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwConfig, gw_config_free)

/* Builds the address table this configuration describes. */
MapTable *gw_config_build_map(const GwConfig *config, GError **error);

/* May XMPP user `sender_bare` message SIP destination `dest`? */
gboolean gw_config_allows_message(const GwConfig *config,
                                  const char *sender_bare, const char *dest);

/* May XMPP user `watcher_bare` watch the presence of SIP contacts? */
gboolean gw_config_allows_watcher(const GwConfig *config,
                                  const char *watcher_bare);

/* May XMPP user `caller_bare` call SIP destination `dest`? */
gboolean gw_config_allows_call(const GwConfig *config,
                               const char *caller_bare, const char *dest);

/* Parses "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6) into a GwNet; FALSE if
 * it is neither. */
gboolean gw_net_parse(const char *text, GwNet *out);

/* "IPv4:PORT" or "[IPv6]:PORT" (no names; port 1..65535). host and port
 * may be NULL; *host is (transfer full), without brackets. */
gboolean gw_address_port_parse(const char *text, char **host, guint16 *port);

/* Is `address` (textual IPv4/IPv6) inside one of `nets` (of GwNet*)? */
gboolean gw_net_list_contains(const GPtrArray *nets, const char *address);

/* May `address` use the admin HTTP endpoint ([admin] http_allow)? */
gboolean gw_config_allows_admin_http(const GwConfig *config,
                                     const char *address);

/* What a valid configuration leaves closed that an operator most likely
 * meant to open (no allow_messages, no trusted SIP source ...): one line
 * each, "FILE: [group] key: ...". (transfer full) NULL-terminated, maybe
 * empty. */
char **gw_config_idle_warnings(const GwConfig *config);

/* May XMPP user `bare_jid` register a SIP account ([accounts] allow:
 * globs over the bare JID; a pattern without '@' names a domain)? */
gboolean gw_config_allows_account(const GwConfig *config,
                                  const char *bare_jid);

/* One pattern of [accounts] allow_custom_registrar: "HOSTGLOB",
 * "HOSTGLOB:PORT", "HOSTGLOB:*", "[IPV6GLOB]:PORT". In a host glob '*'
 * stands for any run of characters within one label (it never crosses a
 * '.' or ':', so 127.0.0.* is no 127.0.0.1.evil.example) and '?' for one;
 * a glob of nothing but wildcards and dots names no host and is refused.
 * *host_glob (transfer full, lower case, no brackets), *port: 0 (none
 * written: 5060 and 5061), -1 ('*': any) or the port. FALSE and
 * GW_CONFIG_ERROR_INVALID with why (nothing set). */
gboolean gw_registrar_glob_parse(const char *text, char **host_glob,
                                 gint *port, GError **error);

/* May a user name a registrar at host:port ([accounts]
 * allow_custom_registrar)? host lower case (an IPv6 address without
 * brackets), port the one it is reached on (5060, or 5061 with TLS, when
 * none is written). Empty list: never. */
gboolean gw_config_allows_registrar(const GwConfig *config, const char *host,
                                    guint16 port);

/* Is `bare_jid` one of [admin] jids? */
gboolean gw_config_is_admin(const GwConfig *config, const char *bare_jid);

/* Is a SIP source address (textual IPv4/IPv6) trusted? */
gboolean gw_config_trusts_sip_source(const GwConfig *config,
                                     const char *address);

/* The links keep the configuration they started with; on SIGHUP the
 * reloadable numbers and switches ([xmpp] reconnect_*, [log] stanzas ...)
 * are copied into it from `next`, so that they apply everywhere. Text and
 * list keys are read from the current configuration by whoever uses them. */
void gw_config_apply_reloadable(GwConfig *running, const GwConfig *next);

/* Keys whose values differ between a and b and cannot change without a
 * restart; (transfer full) NULL-terminated "group.key" list, or NULL. */
char **gw_config_restart_keys(const GwConfig *a, const GwConfig *b);

/* Prints the key reference (group, key, type, default, help). */
void gw_config_print_reference(GString *out);

G_END_DECLS
