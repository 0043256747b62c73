/* config/gw_config_keys.c: every key of the configuration, once, and what
 * only the table answers.
 *
 *   gw_config_keys[]      group, name, type, default, bounds, reloadable,
 *                         secret, where it lands in GwConfig, help
 *   deprecated_keys[]     keys that are gone: read with a warning
 *   find / group_known    for the parser (gw_config.c)
 *   restart_keys          which keys changed across a reload and need a
 *                         restart; apply_reloadable copies the others
 *   print_reference       --help-config (docs/configuration.md's tables)
 */
#include "gw_config_keys.h"

#include <string.h>

/* clang-format off */
const KeyDef gw_config_keys[] = {
    /* [xmpp]: the XEP-0114 component link */
    { "xmpp", "server", K_STRING, "127.0.0.1", 0, 0, FALSE, FALSE, FALSE, OFF(xmpp.server),
      "XMPP server to connect to (host name or address)" },
    { "xmpp", "port", K_UINT, "5347", 1, 65535, FALSE, FALSE, FALSE, OFF(xmpp.port),
      "its component port" },
    { "xmpp", "component_domain", K_STRING, NULL, 0, 0, TRUE, FALSE, FALSE, OFF(xmpp.component_domain),
      "the component's domain, e.g. sip.example.com" },
    { "xmpp", "secret", K_STRING, NULL, 0, 0, FALSE, FALSE, TRUE, -1,
      "component secret (prefer secret_file)" },
    { "xmpp", "secret_file", K_PATH, NULL, 0, 0, FALSE, FALSE, FALSE, -1,
      "file holding the component secret (first line)" },
    { "xmpp", "reconnect_min_ms", K_UINT, "500", 10, 600000, FALSE, TRUE, FALSE, OFF(xmpp.reconnect_min_ms),
      "first reconnect delay; doubles with jitter up to reconnect_max_ms" },
    { "xmpp", "reconnect_max_ms", K_UINT, "30000", 10, 3600000, FALSE, TRUE, FALSE, OFF(xmpp.reconnect_max_ms),
      "longest reconnect delay" },
    { "xmpp", "send_queue_bytes", K_UINT, "8388608", 65536, 1073741824, FALSE, FALSE, FALSE, OFF(xmpp.send_queue_bytes),
      "bytes of stanzas that may wait for the socket before new ones are refused" },
    { "xmpp", "confirm_timeout_ms", K_UINT, "10000", 100, 30000, FALSE, FALSE, FALSE, OFF(xmpp.confirm_timeout_ms),
      "how long a SIP MESSAGE waits for the XMPP server to confirm its stanza (a ping answered behind it) before it is answered 504; below the sender's 32 s timer F" },

    /* [sip]: the SIP user agent */
    { "sip", "listen", K_STRING, "sip:127.0.0.1:5070", 0, 0, FALSE, FALSE, FALSE, OFF(sip.listen),
      "SIP URL to listen on (Sofia syntax, e.g. sip:0.0.0.0:5070, sip:[::]:5070); 5070, not 5060, leaves 5060 to a PBX or proxy on the same host" },
    { "sip", "transports", K_SPECIAL, "udp;tcp", 0, 0, FALSE, FALSE, FALSE, -1,
      "transports for listen: udp, tcp (tls comes from listen_tls)" },
    { "sip", "listen_tls", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(sip.listen_tls),
      "sips: URL to listen on with TLS, e.g. sips:0.0.0.0:5061 (needs tls_dir)" },
    { "sip", "tls_dir", K_PATH, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(sip.tls_dir),
      "directory with agent.pem (key + certificate) and cafile.pem" },
    { "sip", "domain", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(sip.domain),
      "the gateway's own SIP domain (default: [mapping] sip_domain)" },
    { "sip", "outbound_proxy", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(sip.outbound_proxy),
      "send every request through this proxy, e.g. sip:127.0.0.1:5060;lr" },
    { "sip", "user_agent", K_STRING, "xmpp-sip-gateway/" GW_VERSION, 0, 0, FALSE, FALSE, FALSE, OFF(sip.user_agent),
      "User-Agent and Server header" },
    { "sip", "register", K_BOOL, "false", 0, 0, FALSE, FALSE, FALSE, OFF(sip.register_enabled),
      "REGISTER the gateway at a registrar" },
    { "sip", "registrar", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(sip.registrar),
      "registrar URI, e.g. sip:127.0.0.1:5060" },
    { "sip", "username", K_STRING, "gateway", 0, 0, FALSE, FALSE, FALSE, OFF(sip.username),
      "user part of the registered address of record" },
    { "sip", "auth_username", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(sip.auth_username),
      "digest user name (default: username)" },
    { "sip", "password", K_STRING, NULL, 0, 0, FALSE, FALSE, TRUE, -1,
      "digest password (prefer password_file)" },
    { "sip", "password_file", K_PATH, NULL, 0, 0, FALSE, FALSE, FALSE, -1,
      "file holding the digest password (first line)" },
    { "sip", "register_expires", K_UINT, "3600", 60, 86400, FALSE, FALSE, FALSE, OFF(sip.register_expires),
      "registration lifetime asked for, seconds" },
    { "sip", "udp_mtu", K_UINT, "1300", 500, 65535, FALSE, FALSE, FALSE, OFF(sip.udp_mtu),
      "requests larger than this go over TCP (RFC 3261 18.1.1)" },
    { "sip", "transaction_timeout_ms", K_UINT, "32000", 1000, 300000, FALSE, FALSE, FALSE, OFF(sip.transaction_timeout_ms),
      "give up on a request without a final response after this long (RFC 3261 timer F, 64*T1); also how long an answered UDP request is kept to absorb its retransmissions (timer J)" },

    /* [mapping]: the address table (mapping/map.h) */
    { "mapping", "sip_domain", K_STRING, NULL, 0, 0, TRUE, TRUE, FALSE, OFF(mapping.sip_domain),
      "SIP domain of component users: 1001@component <-> sip:1001@sip_domain" },
    { "mapping", "trunk_domain", K_STRING, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(mapping.trunk_domain),
      "SIP domain for E.164 numbers (default: sip_domain)" },
    { "mapping", "numbers_as", K_SPECIAL, "sip", 0, 0, FALSE, TRUE, FALSE, -1,
      "numbers toward SIP as sip:+E164@trunk_domain;user=phone (sip) or tel:+E164 (tel)" },
    { "mapping", "default_country_code", K_STRING, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(mapping.default_country_code),
      "country code for dialled numbers without one, e.g. 1" },
    { "mapping", "international_prefix", K_STRING, "00", 0, 0, FALSE, TRUE, FALSE, OFF(mapping.international_prefix),
      "international call prefix of dialled numbers, e.g. 00 or 011" },
    { "mapping", "national_prefix", K_STRING, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(mapping.national_prefix),
      "national trunk prefix stripped from dialled numbers, e.g. 0" },
    { "mapping", "foreign_domains", K_STRLIST, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(mapping.foreign_domains),
      "other SIP domains component JIDs may address (user\\40host@component); * for any" },
    { "mapping", "rules", K_STRLIST, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(mapping.rules),
      "rule lines: 'alice@example.com = sip:1001@pbx' or '*@example.com = sip:*@gw.example.com'" },
    { "mapping", "static_file", K_PATH, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(mapping.static_file),
      "file of rule lines, one per line, # comments" },

    /* [security]: deny by default */
    { "security", "allow_messages", K_SPECIAL, NULL, 0, 0, FALSE, TRUE, FALSE, -1,
      "who may message what: 'SENDER DESTINATION' glob pairs, e.g. '*@example.com 1???;alice@example.com +1555*'" },
    { "security", "trusted_sip_sources", K_SPECIAL, NULL, 0, 0, FALSE, TRUE, FALSE, -1,
      "SIP source addresses/networks whose requests are accepted, e.g. 127.0.0.1;10.0.0.0/8;::1" },
    { "security", "sip_users_file", K_PATH, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(security.sip_users_file),
      "digest users ('user:password' or 'user:md5:HA1' lines): requests from untrusted sources are challenged instead of refused" },
    { "security", "sip_auth_realm", K_STRING, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(security.sip_auth_realm),
      "realm of those challenges (default: [sip] domain)" },
    { "security", "xmpp_rate", K_DOUBLE, "20", 0.01, 1000000, FALSE, TRUE, FALSE, OFF(security.xmpp_rate),
      "messages per second one XMPP sender may send toward SIP (token bucket)" },
    { "security", "xmpp_burst", K_UINT, "50", 1, 1000000, FALSE, TRUE, FALSE, OFF(security.xmpp_burst),
      "burst size of that bucket" },
    { "security", "sip_rate", K_DOUBLE, "200", 0.01, 1000000, FALSE, TRUE, FALSE, OFF(security.sip_rate),
      "requests per second one untrusted SIP source address (digest users) may send" },
    { "security", "sip_burst", K_UINT, "500", 1, 1000000, FALSE, TRUE, FALSE, OFF(security.sip_burst),
      "burst size of that bucket" },
    { "security", "trusted_sip_rate", K_DOUBLE, "20000", 0.01, 1000000, FALSE, TRUE, FALSE, OFF(security.trusted_sip_rate),
      "requests per second one trusted SIP source (a proxy carrying everybody's traffic) may send" },
    { "security", "trusted_sip_burst", K_UINT, "40000", 1, 1000000, FALSE, TRUE, FALSE, OFF(security.trusted_sip_burst),
      "burst size of that bucket" },

    /* [presence]: SUBSCRIBE/NOTIFY/PUBLISH with PIDF both ways */
    { "presence", "enabled", K_BOOL, "true", 0, 0, FALSE, FALSE, FALSE, OFF(presence.enabled),
      "bridge presence (false: SUBSCRIBE gets 489, XMPP subscriptions are refused)" },
    { "presence", "server", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(presence.server),
      "presence server to SUBSCRIBE and PUBLISH through, e.g. sip:127.0.0.1:5060 (default: the address itself)" },
    { "presence", "allow_watchers", K_STRLIST, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(presence.allow_watchers),
      "XMPP users whose subscriptions to SIP contacts are approved (JID globs; a bare domain = its users); others are refused" },
    { "presence", "subscribe_expires", K_UINT, "600", 60, 86400, FALSE, TRUE, FALSE, OFF(presence.subscribe_expires),
      "lifetime asked for in our SUBSCRIBEs, seconds" },
    { "presence", "min_expires", K_UINT, "60", 1, 3600, FALSE, TRUE, FALSE, OFF(presence.min_expires),
      "shorter incoming subscriptions get 423 Interval Too Brief" },
    { "presence", "max_expires", K_UINT, "3600", 10, 86400, FALSE, TRUE, FALSE, OFF(presence.max_expires),
      "longer incoming subscriptions are shortened to this" },
    { "presence", "publish", K_BOOL, "false", 0, 0, FALSE, TRUE, FALSE, OFF(presence.publish),
      "PUBLISH XMPP users' presence (RFC 3903) to the presence server" },
    { "presence", "publish_expires", K_UINT, "600", 60, 86400, FALSE, TRUE, FALSE, OFF(presence.publish_expires),
      "lifetime of those publications, seconds" },
    { "presence", "max_sip_watchers", K_UINT, "100000", 1, 10000000, FALSE, TRUE, FALSE, OFF(presence.max_sip_watchers),
      "SIP subscriptions to XMPP users held at once; more get 503" },
    { "presence", "max_watched", K_UINT, "10000", 1, 10000000, FALSE, TRUE, FALSE, OFF(presence.max_watched),
      "SIP addresses XMPP users may watch at once; more are refused" },
    { "presence", "state_file", K_PATH, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(presence.state_file),
      "where XMPP watchers of SIP contacts, and XMPP users' answers to the gateway's subscription requests, are kept across restarts (default: not kept)" },

    /* [calls]: Jingle (with XEP-0353) <-> INVITE */
    { "calls", "enabled", K_BOOL, "true", 0, 0, FALSE, FALSE, FALSE, OFF(calls.enabled),
      "bridge calls (false: INVITE gets 488, proposals are rejected)" },
    { "calls", "allow_calls", K_SPECIAL, NULL, 0, 0, FALSE, TRUE, FALSE, -1,
      "who may call what: 'CALLER DESTINATION' glob pairs as allow_messages (deny by default)" },
    { "calls", "max_calls", K_UINT, "1000", 1, 1000000, FALSE, TRUE, FALSE, OFF(calls.max_calls),
      "calls at once, both directions; more are refused (SIP 503, Jingle busy)" },
    { "calls", "max_calls_per_user", K_UINT, "4", 1, 1000, FALSE, TRUE, FALSE, OFF(calls.max_calls_per_user),
      "calls at once per XMPP user" },
    { "calls", "attempts_per_minute", K_UINT, "10", 1, 100000, FALSE, TRUE, FALSE, OFF(calls.attempts_per_minute),
      "call attempts per minute per XMPP caller" },
    { "calls", "max_duration_s", K_UINT, "14400", 0, 604800, FALSE, TRUE, FALSE, OFF(calls.max_duration_s),
      "established calls are hung up after this long (0: no limit)" },
    { "calls", "no_answer_s", K_UINT, "60", 5, 600, FALSE, TRUE, FALSE, OFF(calls.no_answer_s),
      "unanswered calls give up after this long (SIP 480 / Jingle timeout)" },
    { "calls", "ring_offline", K_BOOL, "false", 0, 0, FALSE, TRUE, FALSE, OFF(calls.ring_offline),
      "send the JMI propose even when her presence says no client is online (her server stores it; for clients woken by push); otherwise 480 at once" },
    { "calls", "early_media", K_BOOL, "true", 0, 0, FALSE, TRUE, FALSE, OFF(calls.early_media),
      "on 183 with SDP, accept the Jingle session early so ringback and announcements are heard" },
    { "calls", "video_fast_update", K_BOOL, "true", 0, 0, FALSE, TRUE, FALSE, OFF(calls.video_fast_update),
      "with rtpengine, ask the SIP side for a video keyframe (RFC 5168 INFO picture_fast_update) 0.5 s and 2 s after video starts: rtpengine drops her client's RTCP keyframe requests on the way to an RTP/AVP phone" },
    { "calls", "dtmf", K_SPECIAL, "rfc4733", 0, 0, FALSE, FALSE, FALSE, -1,
      "XEP-0181 digits toward SIP as rfc4733 (in the media, via rtpengine) or info (SIP INFO dtmf-relay)" },
    { "calls", "dtmf_timeout_ms", K_UINT, "4000", 100, 60000, FALSE, TRUE, FALSE, OFF(calls.dtmf_timeout_ms),
      "a XEP-0181 <dtmf/> is answered once its digits are sent (rtpengine's reply, or the INFO's final response); a digit without that outcome after this long: an error" },
    { "calls", "max_contents", K_UINT, "4", 1, 32, FALSE, TRUE, FALSE, OFF(calls.max_contents),
      "contents (m= lines) a Jingle offer or answer may have; more are refused (policy-violation): each takes ports in the relay" },
    { "calls", "max_sdp_bytes", K_UINT, "8192", 1024, 60000, FALSE, TRUE, FALSE, OFF(calls.max_sdp_bytes),
      "largest SDP a Jingle offer or answer may become; larger are refused (policy-violation) before they reach the relay and the SIP proxy" },

    /* [media] */
    { "media", "relay", K_SPECIAL, "rtpengine", 0, 0, FALSE, FALSE, FALSE, -1,
      "rtpengine (anchor media, convert ICE+DTLS-SRTP <-> RTP) or none (pass SDP through: SIP peers must speak ICE+DTLS-SRTP)" },
    { "media", "rtpengine", K_STRING, "127.0.0.1:2223", 0, 0, FALSE, FALSE, FALSE, OFF(media.rtpengine),
      "rtpengine's ng control socket, ADDRESS:PORT" },
    { "media", "rtpengine_timeout_ms", K_UINT, "500", 50, 10000, FALSE, FALSE, FALSE, OFF(media.rtpengine_timeout_ms),
      "wait for each try of an ng request" },
    { "media", "rtpengine_tries", K_UINT, "3", 1, 10, FALSE, FALSE, FALSE, OFF(media.rtpengine_tries),
      "tries of an ng request before the call fails" },
    { "media", "sip_profile", K_SPECIAL, "rtp", 0, 0, FALSE, FALSE, FALSE, -1,
      "what the SIP side speaks: rtp (RTP/AVP) or sdes (RTP/SAVP with a=crypto)" },

    /* [limits] */
    { "limits", "max_message_bytes", K_UINT, "65536", 64, 262144, FALSE, TRUE, FALSE, OFF(limits.max_message_bytes),
      "largest message body carried either way (Prosody's component limit is 512 KiB)" },
    { "limits", "max_pending_sip", K_UINT, "20000", 1, 10000000, FALSE, TRUE, FALSE, OFF(limits.max_pending_sip),
      "XMPP->SIP messages awaiting a SIP response; more are refused (resource-constraint)" },
    { "limits", "max_inflight_sip", K_UINT, "1000", 1, 1000000, FALSE, TRUE, FALSE, OFF(limits.max_inflight_sip),
      "XMPP->SIP messages awaiting a SIP response at which the gateway stops reading the XMPP stream until half are answered (backpressure on the XMPP server)" },
    { "limits", "max_pending_xmpp", K_UINT, "10000", 1, 10000000, FALSE, TRUE, FALSE, OFF(limits.max_pending_xmpp),
      "SIP->XMPP messages awaiting their write to the XMPP stream; more get 503" },
    { "limits", "wakeup_window_us", K_UINT, "1000", 0, 20000, FALSE, TRUE, FALSE, OFF(limits.wakeup_window_us),
      "while busy (4 wakeups within one window) the loop wakes at most once per this many microseconds and handles what arrived meanwhile together (each event waits at most this long); a loop that is not busy wakes at the first event; 0: wake for every event" },
    { "limits", "max_rate_entries", K_UINT, "100000", 16, 10000000, FALSE, TRUE, FALSE, OFF(limits.max_rate_entries),
      "senders the rate limiter tracks at once" },

    /* [admin]: the operator's side: HTTP health and metrics, XEP-0050 commands */
    { "admin", "http_listen", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(admin.http_listen),
      "ADDRESS:PORT for GET /health and GET /metrics (Prometheus), e.g. 127.0.0.1:9464 (default: off)" },
    { "admin", "http_allow", K_SPECIAL, "127.0.0.0/8;::1", 0, 0, FALSE, TRUE, FALSE, -1,
      "source addresses/networks that may use it; others get 403 and nothing else" },
    { "admin", "jids", K_STRLIST, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(admin.jids),
      "bare JIDs allowed the XEP-0050 admin commands (statistics, calls, reload, log level, drain)" },

    /* [accounts]: per-user SIP accounts (XEP-0077, docs/accounts.md) */
    { "accounts", "enabled", K_BOOL, "false", 0, 0, FALSE, FALSE, FALSE, OFF(accounts.enabled),
      "let XMPP users register their own SIP account (XEP-0077 at the component domain); the gateway then REGISTERs it on their behalf" },
    { "accounts", "database", K_PATH, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(accounts.database),
      "SQLite database of the accounts (default: accounts.sqlite beside [presence] state_file, else /var/lib/xmpp-sip-gateway/accounts.sqlite)" },
    { "accounts", "key_file", K_PATH, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(accounts.key_file),
      "file of 32 random bytes (e.g. head -c 32 /dev/urandom) that encrypts the passwords (AES-256-GCM); readable by the owner alone, else refused; needed unless realm is set" },
    { "accounts", "realm", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(accounts.realm),
      "the registrar's digest realm: when set, passwords are kept only as HA1 = MD5(user:realm:password) and challenges for another realm are refused" },
    { "accounts", "registrar", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(accounts.registrar),
      "where accounts REGISTER, e.g. sip:pbx.example.com (required when enabled)" },
    { "accounts", "domain", K_STRING, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(accounts.domain),
      "domain of the registered address of record sip:USERNAME@domain (default: [mapping] sip_domain)" },
    { "accounts", "allow", K_STRLIST, NULL, 0, 0, FALSE, TRUE, FALSE, OFF(accounts.allow),
      "who may register: bare JID globs or domains, e.g. *@example.com;example.org (deny by default)" },
    { "accounts", "allow_custom_registrar", K_STRLIST, NULL, 0, 0, FALSE, FALSE, FALSE, OFF(accounts.allow_custom_registrar),
      "registrars a user may name in the XEP-0077 form instead of registrar: HOST, HOST:PORT, HOST:* or [IPV6]:PORT globs, * within one label (pbx*.example.com;192.0.2.*:5080); no port written: 5060 and 5061 only. Empty (the default): no registrar field, and a registration naming one is refused. Needs key_file" },
    { "accounts", "register_when", K_SPECIAL, "online", 0, 0, FALSE, FALSE, FALSE, -1,
      "online (REGISTER while she has an available resource) or always (so that the PBX keeps delivering while she is offline)" },
    { "accounts", "register_expires", K_UINT, "3600", 60, 86400, FALSE, FALSE, FALSE, OFF(accounts.register_expires),
      "registration lifetime asked for, seconds; refreshed at 70-85 % of the granted time (jitter spreads refreshes)" },
    { "accounts", "register_rate", K_DOUBLE, "20", 0.1, 10000, FALSE, FALSE, FALSE, OFF(accounts.register_rate),
      "REGISTERs started per second at most when many are due at once (start-up, XMPP link up), so the registrar is not flooded" },
    { "accounts", "offline_grace_s", K_UINT, "15", 0, 3600, FALSE, TRUE, FALSE, OFF(accounts.offline_grace_s),
      "register_when = online: seconds her registration outlives her last resource, so that a client that reconnects (a network change) costs the PBX no un-REGISTER and REGISTER; 0: un-REGISTER at once" },
    { "accounts", "max_failures", K_UINT, "5", 1, 100, FALSE, FALSE, FALSE, OFF(accounts.max_failures),
      "tries in a row that fail without an answer or with a server error (backing off 30 s, 60 s ... 1 h) before the account stops registering and its user is told; refusals (401/403 with her credentials, 404) stop at once" },
    { "accounts", "max_accounts", K_UINT, "100000", 1, 10000000, FALSE, TRUE, FALSE, OFF(accounts.max_accounts),
      "accounts the database may hold; more registrations are refused (resource-constraint)" },

    /* [log] */
    { "log", "level", K_SPECIAL, "message", 0, 0, FALSE, TRUE, FALSE, -1,
      "message, info (one line per bridged message) or debug" },
    { "log", "stanzas", K_BOOL, "false", 0, 0, FALSE, TRUE, FALSE, OFF(log.stanzas),
      "log every XMPP stanza at debug level (bodies included); SIP: sofia_level" },
    { "log", "sofia_level", K_UINT, "0", 0, 9, FALSE, FALSE, FALSE, OFF(log.sofia_level),
      "Sofia-SIP's own log level (0-9), logged at debug" },
};
/* clang-format on */
const gsize gw_config_n_keys = G_N_ELEMENTS(gw_config_keys);

static const DeprecatedKey deprecated_keys[] = {
    { "sip", "lean_listen",
      "ignored: [sip] listen now serves every method with the lean memory "
      "profile; route this traffic to [sip] listen" },
    { "presence", "watcher_listen",
      "ignored: [sip] listen now serves SIP watchers; route their "
      "SUBSCRIBEs to [sip] listen" },
    { "sip", "lean_send",
      "ignored: the gateway's MESSAGEs always leave from [sip] listen and "
      "nothing is kept once they are answered" },
    { "sip", "timer_t4_ms",
      "ignored: requests the gateway sent are no longer kept after their "
      "answer (a late answer is dropped, as timer K would)" },
};

const DeprecatedKey *
gw_config_find_deprecated(const char *group, const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(deprecated_keys); i++)
        if (strcmp(deprecated_keys[i].group, group) == 0 &&
            strcmp(deprecated_keys[i].name, name) == 0)
            return &deprecated_keys[i];
    return NULL;
}


const KeyDef *
gw_config_find_key(const char *group, const char *name)
{
    for (gsize i = 0; i < gw_config_n_keys; i++)
        if (strcmp(gw_config_keys[i].group, group) == 0 &&
            strcmp(gw_config_keys[i].name, name) == 0)
            return &gw_config_keys[i];
    return NULL;
}

gboolean
gw_config_group_known(const char *group)
{
    for (gsize i = 0; i < gw_config_n_keys; i++)
        if (strcmp(gw_config_keys[i].group, group) == 0)
            return TRUE;
    return FALSE;
}

/* The raw text of a key, or its default; (transfer full) or NULL. */
/* The text of a key in a config, for comparing across reloads. */
static char *
key_text(const GwConfig *cfg, const KeyDef *k)
{
    gconstpointer field;

    if (k->offset < 0)
        return NULL;
    field = (const char *)cfg + k->offset;
    switch (k->type) {
    case K_STRING:
    case K_PATH:
        return g_strdup(*(char *const *)field);
    case K_UINT:
        return g_strdup_printf("%u", *(const guint *)field);
    case K_DOUBLE:
        return g_strdup_printf("%g", *(const double *)field);
    case K_BOOL:
        return g_strdup(*(const gboolean *)field ? "true" : "false");
    case K_STRLIST:
        return *(char *const *const *)field
                   ? g_strjoinv(";", *(char **const *)field)
                   : NULL;
    default:
        return NULL;
    }
}

char **
gw_config_restart_keys(const GwConfig *a, const GwConfig *b)
{
    GPtrArray *out = g_ptr_array_new();

    for (gsize i = 0; i < gw_config_n_keys; i++) {
        const KeyDef *k = &gw_config_keys[i];
        g_autofree char *ta = NULL, *tb = NULL;

        if (k->reloadable)
            continue;
        if (k->secret || k->type == K_SPECIAL) {
            /* compared by their effect below */
            continue;
        }
        ta = key_text(a, k);
        tb = key_text(b, k);
        if (g_strcmp0(ta, tb) != 0)
            g_ptr_array_add(out, g_strdup_printf("%s.%s", k->group, k->name));
    }
    if (g_strcmp0(a->xmpp.secret, b->xmpp.secret) != 0)
        g_ptr_array_add(out, g_strdup("xmpp.secret"));
    if (g_strcmp0(a->sip.password, b->sip.password) != 0)
        g_ptr_array_add(out, g_strdup("sip.password"));
    if (a->sip.transports != b->sip.transports)
        g_ptr_array_add(out, g_strdup("sip.transports"));
    if (g_strcmp0(a->calls.dtmf, b->calls.dtmf) != 0)
        g_ptr_array_add(out, g_strdup("calls.dtmf"));
    if (g_strcmp0(a->media.relay, b->media.relay) != 0)
        g_ptr_array_add(out, g_strdup("media.relay"));
    if (g_strcmp0(a->media.sip_profile, b->media.sip_profile) != 0)
        g_ptr_array_add(out, g_strdup("media.sip_profile"));
    if (g_strcmp0(a->accounts.register_when, b->accounts.register_when) != 0)
        g_ptr_array_add(out, g_strdup("accounts.register_when"));
    if (out->len == 0) {
        g_ptr_array_free(out, TRUE);
        return NULL;
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

void
gw_config_apply_reloadable(GwConfig *running, const GwConfig *next)
{
    for (gsize i = 0; i < gw_config_n_keys; i++) {
        const KeyDef *k = &gw_config_keys[i];
        gsize size = k->type == K_UINT     ? sizeof(guint)
                     : k->type == K_DOUBLE ? sizeof(double)
                     : k->type == K_BOOL   ? sizeof(gboolean)
                                           : 0;

        if (!k->reloadable || k->offset < 0 || size == 0)
            continue;
        memcpy((char *)running + k->offset, (const char *)next + k->offset, size);
    }
}

void
gw_config_print_reference(GString *out)
{
    const char *group = NULL;
    static const char *const type_names[] = {
        [K_STRING] = "string", [K_PATH] = "path",
        [K_UINT] = "integer",  [K_DOUBLE] = "number",
        [K_BOOL] = "boolean",  [K_STRLIST] = "list (;-separated)",
        [K_SPECIAL] = NULL, /* special_types below */
    };
    static const struct {
        const char *group, *name, *type;
    } special_types[] = {
        { "sip", "transports", "list of udp, tcp" },
        { "mapping", "numbers_as", "one of sip, tel" },
        { "security", "allow_messages", "list of 'SENDER DESTINATION' glob pairs" },
        { "security", "trusted_sip_sources", "list of addresses or address/prefix" },
        { "admin", "http_allow", "list of addresses or address/prefix" },
        { "calls", "allow_calls", "list of 'CALLER DESTINATION' glob pairs" },
        { "calls", "dtmf", "one of rfc4733, info" },
        { "media", "relay", "one of rtpengine, none" },
        { "media", "sip_profile", "one of rtp, sdes" },
        { "accounts", "register_when", "one of online, always" },
        { "log", "level", "one of message, info, debug" },
    };

    for (gsize i = 0; i < gw_config_n_keys; i++) {
        const KeyDef *k = &gw_config_keys[i];
        if (group == NULL || strcmp(group, k->group) != 0) {
            group = k->group;
            g_string_append_printf(out, "\n[%s]\n", group);
        }
        const char *type = type_names[k->type];

        for (gsize j = 0; type == NULL && j < G_N_ELEMENTS(special_types); j++)
            if (strcmp(special_types[j].group, k->group) == 0 &&
                strcmp(special_types[j].name, k->name) == 0)
                type = special_types[j].type;
        g_assert(type != NULL); /* every special key has its type above */
        g_string_append_printf(out, "  %-22s %s%s%s%s\n      %s\n", k->name,
                               type,
                               k->required ? ", required" : "",
                               k->def ? ", default " : "",
                               k->def && !k->secret ? k->def : "", k->help);
        if (k->type == K_UINT)
            g_string_append_printf(out, "      range %.0f to %.0f\n", k->min, k->max);
        else if (k->type == K_DOUBLE)
            g_string_append_printf(out, "      range %.15g to %.15g\n", k->min, k->max);
        if (k->reloadable)
            g_string_append(out, "      changes on SIGHUP\n");
    }
}
