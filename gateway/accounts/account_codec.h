/* gateway/accounts/account_codec.h: what an account's secret and names may
 * be, and how a password is kept (issue 17): a pure core.
 *
 * A password is never stored as given. Either it is sealed with
 * AES-256-GCM under the operator's key ([accounts] key_file), the JID and
 * the address of record as associated data, so that a sealed blob copied
 * to another row does not open; or, when the registrar's realm is fixed by
 * configuration, only HA1 = MD5(user:realm:password) is kept, which is all
 * that digest authentication (RFC 2617 3.2.2.2) needs.
 *
 *   sealed blob: "GW1" | nonce (12) | ciphertext (len of password) | tag (16)
 *
 * No I/O, no randomness of its own: the caller passes the nonce (random,
 * never reused under one key). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GW_ACCOUNT_ERROR (gw_account_error_quark())
GQuark gw_account_error_quark(void);

typedef enum {
    GW_ACCOUNT_ERROR_INVALID,   /* a username, password or blob that is not
                                   acceptable (XEP-0077 not-acceptable) */
    GW_ACCOUNT_ERROR_DECRYPT,   /* the blob does not open: another key, or
                                   altered */
    GW_ACCOUNT_ERROR_CONFLICT,  /* the address of record is another JID's */
    GW_ACCOUNT_ERROR_NOT_FOUND, /* no account for that JID */
    GW_ACCOUNT_ERROR_FULL,      /* [accounts] max_accounts reached */
    GW_ACCOUNT_ERROR_STORE,     /* the database failed (I/O, corruption) */
    GW_ACCOUNT_ERROR_KEY,       /* the key file is unusable or unsafe */
} GwAccountError;

/* How a record keeps its password. Values are stored: never renumber. */
typedef enum {
    GW_SECRET_SEALED = 1, /* AES-256-GCM blob */
    GW_SECRET_HA1 = 2,    /* 32 lower-case hex digits */
} GwSecretKind;

#define GW_ACCOUNT_KEY_LEN 32
#define GW_ACCOUNT_NONCE_LEN 12
#define GW_ACCOUNT_TAG_LEN 16
#define GW_ACCOUNT_MAX_USERNAME 64
#define GW_ACCOUNT_MAX_PASSWORD 128

/* A SIP user part she may register: 1 to 64 characters of RFC 3261 25.1
 * "user" without escapes (unreserved and & = + $ , ; ? /). */
gboolean gw_account_check_username(const char *username, GError **error);
/* A password: 1 to 128 bytes of UTF-8 without control characters. */
gboolean gw_account_check_password(const char *password, GError **error);

/* The associated data that binds a sealed blob to its row: her JID, her
 * AOR and her own registrar, if any (NULL: [accounts] registrar, as rows
 * before schema 2 were sealed), so that a row altered to send her digest
 * elsewhere does not open. (transfer full) */
char *gw_account_aad(const char *jid, const char *username,
                     const char *domain, const char *registrar);

/* Seals `password` (transfer full) with `key` and a fresh `nonce`. */
GBytes *gw_account_seal(const guint8 key[GW_ACCOUNT_KEY_LEN],
                        const guint8 nonce[GW_ACCOUNT_NONCE_LEN],
                        const char *aad, const char *password,
                        GError **error);
/* Opens a sealed blob: the password (transfer full: zero it, then
 * g_free()), or NULL and GW_ACCOUNT_ERROR_INVALID (not a blob of ours) or
 * _DECRYPT (another key or aad, or altered). */
char *gw_account_unseal(const guint8 key[GW_ACCOUNT_KEY_LEN],
                        const guint8 *blob, gsize len, const char *aad,
                        GError **error);

/* HA1 = MD5(user:realm:password) in lower-case hex (transfer full). */
char *gw_account_ha1(const char *user, const char *realm,
                     const char *password);

/* User part and host of a SIP URI as a request names its target:
 * "sip:2001@pbx.example.com;transport=udp",
 * "<sips:acc-5f0c@192.0.2.10:5070>", "Desk <sip:2001@pbx>"; an IPv6 host
 * keeps its brackets. FALSE (nothing set) for other schemes, no user part,
 * a user with a password ("u:pw@h") or parameters, or no host. Both
 * (transfer full). */
gboolean gw_account_uri_user_host(const char *uri, char **user, char **host);

/* ---- a registrar of her own ([accounts] allow_custom_registrar) ---- */

/* A registrar she names, as read from what she typed. */
typedef struct {
    char *uri;    /* normalised: "sip:pbx2.example.com:5080;transport=tcp" */
    char *host;   /* lower case; an IPv6 address without brackets */
    guint16 port; /* as written; 0: none (RFC 3263 finds it) */
    gboolean tls; /* sips:, or transport=tls */
} GwAccountRegistrar;

void gw_account_registrar_clear(GwAccountRegistrar *reg);

/* Reads a registrar as a user types it: "pbx2.example.com",
 * "pbx2.example.com:5080", "sip:192.0.2.5:5060;transport=tcp",
 * "sips:[2001:db8::5]". The host is a DNS name (LDH labels, the last not
 * all digits), an IPv4 address or a bracketed IPv6 address; the only
 * parameter taken is transport (udp, tcp, tls); no user part, password,
 * headers or spaces, at most 255 bytes. FALSE and
 * GW_ACCOUNT_ERROR_INVALID (nothing set) otherwise. Fills `out` (clear it
 * after). */
gboolean gw_account_registrar_parse(const char *text,
                                    GwAccountRegistrar *out, GError **error);

/* The port a registrar is reached on when none is written (RFC 3263's
 * defaults: 5061 for TLS, else 5060), for matching it against the
 * operator's list. */
guint16 gw_account_registrar_port(const GwAccountRegistrar *reg);

/* The AOR domain she names: a DNS name or an address (IPv6 in brackets),
 * no port; lower case (transfer full), or NULL and
 * GW_ACCOUNT_ERROR_INVALID. */
char *gw_account_domain_normalize(const char *domain, GError **error);

/* `uri` (sip: or sips:, as the address table writes it:
 * "sip:1002@pbx.example.com;user=phone") with its host[:port] replaced by
 * `to` when that host[:port] is one of `from` (NULL-terminated, compared
 * without case): "sip:1002@pbx2.example.com;user=phone" (transfer full);
 * NULL when it is none of them, or not such a URI. */
char *gw_account_uri_swap_domain(const char *uri, const char *const *from,
                                 const char *to);

/* The host of a registrar URI ("sip:192.0.2.5:5060" -> "192.0.2.5",
 * "sip:[2001:db8::1]:5060" -> "2001:db8::1", "sip:pbx.example.com" ->
 * "pbx.example.com"), (transfer full), or NULL. */
char *gw_account_registrar_host(const char *registrar);

G_END_DECLS
