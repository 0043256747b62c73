/* gateway/core/sip_auth.h: digest authentication (RFC 3261 22, RFC 2617 with
 * qop=auth, MD5) of SIP requests from sources that are not trusted.
 *
 * A pure core: the secret for nonces and the clock come in as values.
 * Nonces are stateless: base64(time || HMAC-SHA256(secret, time)), valid
 * for `nonce_lifetime` seconds, so no table grows with challenges. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GW_SIP_AUTH_ERROR (gw_sip_auth_error_quark())
GQuark gw_sip_auth_error_quark(void);

typedef enum {
    GW_SIP_AUTH_ERROR_MISSING, /* no credentials: challenge (401) */
    GW_SIP_AUTH_ERROR_STALE,   /* a nonce of ours, expired: challenge with
                                  stale=true (RFC 2617 3.2.1) */
    GW_SIP_AUTH_ERROR_DENIED,  /* wrong user, password or realm: 403 */
    GW_SIP_AUTH_ERROR_MALFORMED, /* unreadable header: 400 */
} GwSipAuthError;

typedef struct GwSipUsers GwSipUsers;

/* Parses a users file: one "user:password" per line, or
 * "user:md5:HA1HEX" (HA1 = MD5(user:realm:password)), '#' comments.
 * Errors name the source and line. (transfer full) */
GwSipUsers *gw_sip_users_parse(const char *data, gsize len,
                               const char *source, GError **error);
void gw_sip_users_free(GwSipUsers *users);
guint gw_sip_users_count(const GwSipUsers *users);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwSipUsers, gw_sip_users_free)

/* A WWW-Authenticate value for `realm` at time `now` (seconds).
 * (transfer full) */
char *gw_sip_auth_challenge(const char *realm, const guint8 secret[32],
                            gint64 now, gboolean stale);

/* Checks an Authorization header value for a request `method` with
 * Request-URI `uri`. Returns the authenticated user name (transfer full),
 * or NULL and a GW_SIP_AUTH_ERROR. */
char *gw_sip_auth_check(const GwSipUsers *users, const char *realm,
                        const guint8 secret[32], gint64 now,
                        guint nonce_lifetime, const char *authorization,
                        const char *method, GError **error);

/* The client side: the Authorization (or Proxy-Authorization) value that
 * answers `challenge`, a WWW-/Proxy-Authenticate value, for a request
 * `method` to `uri`: Digest with MD5, qop=auth when offered (RFC 2617
 * 3.2.2), opaque echoed. `cnonce` is the caller's random token, `nc` the
 * count of requests under this nonce. NULL and an error for a challenge
 * it cannot answer (not Digest, another algorithm, qop without auth, no
 * realm or nonce). (transfer full) */
char *gw_sip_auth_answer(const char *challenge, const char *user,
                         const char *password, const char *method,
                         const char *uri, const char *cnonce, guint nc,
                         GError **error);

/* The same with HA1 = MD5(user:realm:password) instead of the password
 * (lower-case hex), kept for `realm`: a challenge for another realm
 * cannot be answered (GW_SIP_AUTH_ERROR_DENIED). */
char *gw_sip_auth_answer_ha1(const char *challenge, const char *user,
                             const char *realm, const char *ha1,
                             const char *method, const char *uri,
                             const char *cnonce, guint nc, GError **error);

/* The realm a Digest challenge (a WWW-/Proxy-Authenticate value) names,
 * (transfer full), or NULL when it names none or is not Digest. */
char *gw_sip_auth_challenge_realm(const char *challenge);

G_END_DECLS
