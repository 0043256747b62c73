/* gateway/core/sip_auth.c: digest authentication of SIP requests (RFC 3261 22.4,
 * RFC 2617 3.2.2 with qop=auth, MD5, as SIP phones and PBXes do it).
 *
 *   challenge:  Digest realm="r", nonce="N", algorithm=MD5, qop="auth"
 *   nonce N:    base64( be64(time) || HMAC-SHA256(secret, be64(time)) )
 *   response:   MD5( HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" HA2 )
 *               HA1 = MD5(user ":" realm ":" password)
 *               HA2 = MD5(method ":" digest-uri)
 *
 * Only nonces this gateway issued and still within their lifetime pass;
 * nc replays within that lifetime are not tracked (stateless by design).
 */
#include "sip_auth.h"

#include <string.h>

G_DEFINE_QUARK(gw-sip-auth-error-quark, gw_sip_auth_error)

struct GwSipUsers {
    GHashTable *users; /* name -> "p:password" or "h:HA1HEX" */
};

GwSipUsers *
gw_sip_users_parse(const char *data, gsize len, const char *source,
                   GError **error)
{
    g_autoptr(GwSipUsers) u = g_new0(GwSipUsers, 1);
    g_autofree char *text = g_strndup(data, len);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    u->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (guint i = 0; lines[i] != NULL; i++) {
        char *l = g_strstrip(lines[i]);
        char *c1, *c2;

        if (*l == '\0' || *l == '#')
            continue;
        c1 = strchr(l, ':');
        if (c1 == NULL || c1 == l || c1[1] == '\0') {
            g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_MALFORMED,
                        "%s:%u: expected user:password or user:md5:HA1",
                        source, i + 1);
            return NULL;
        }
        *c1++ = '\0';
        if (g_hash_table_contains(u->users, l)) {
            g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_MALFORMED,
                        "%s:%u: user '%.32s' given twice", source, i + 1, l);
            return NULL;
        }
        c2 = g_str_has_prefix(c1, "md5:") ? c1 + 4 : NULL;
        if (c2 != NULL) {
            if (strlen(c2) != 32 || strspn(c2, "0123456789abcdefABCDEF") != 32) {
                g_set_error(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MALFORMED,
                            "%s:%u: md5 HA1 must be 32 hex digits", source,
                            i + 1);
                return NULL;
            }
            char *entry = g_strconcat("h:", c2, NULL);
            g_hash_table_insert(u->users, g_strdup(l),
                                g_ascii_strdown(entry, -1));
            g_free(entry);
        } else {
            g_hash_table_insert(u->users, g_strdup(l),
                                g_strconcat("p:", c1, NULL));
        }
    }
    return g_steal_pointer(&u);
}

void
gw_sip_users_free(GwSipUsers *u)
{
    if (u == NULL)
        return;
    if (u->users != NULL)
        g_hash_table_unref(u->users);
    g_free(u);
}

guint
gw_sip_users_count(const GwSipUsers *u)
{
    return g_hash_table_size(u->users);
}

static char *
md5_hex(const char *s)
{
    return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

static void
nonce_mac(const guint8 secret[32], const guint8 stamp[8], guint8 out[32])
{
    g_autoptr(GHmac) h = g_hmac_new(G_CHECKSUM_SHA256, secret, 32);
    gsize len = 32;

    g_hmac_update(h, stamp, 8);
    g_hmac_get_digest(h, out, &len);
}

static char *
make_nonce(const guint8 secret[32], gint64 now)
{
    guint8 buf[8 + 32];
    guint64 t = (guint64)now;

    for (int i = 0; i < 8; i++)
        buf[i] = (guint8)(t >> (56 - 8 * i));
    nonce_mac(secret, buf, buf + 8);
    return g_base64_encode(buf, sizeof buf);
}

/* The time a nonce of ours was made, or -1 if it is not ours. */
static gint64
nonce_time(const guint8 secret[32], const char *nonce)
{
    gsize len = 0;
    g_autofree guint8 *raw = NULL;
    guint8 mac[32];
    guint64 t = 0;
    guint diff = 0;

    if (nonce == NULL || strlen(nonce) != 56)
        return -1;
    raw = g_base64_decode(nonce, &len);
    if (raw == NULL || len != 40)
        return -1;
    nonce_mac(secret, raw, mac);
    for (int i = 0; i < 32; i++)
        diff |= (guint)(mac[i] ^ raw[8 + i]); /* constant time */
    if (diff != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        t = (t << 8) | raw[i];
    return (gint64)t;
}

char *
gw_sip_auth_challenge(const char *realm, const guint8 secret[32], gint64 now,
                      gboolean stale)
{
    g_autofree char *nonce = make_nonce(secret, now);

    return g_strdup_printf("Digest realm=\"%s\", nonce=\"%s\", "
                           "algorithm=MD5, qop=\"auth\"%s",
                           realm, nonce, stale ? ", stale=true" : "");
}

/* auth-param list: name=token or name="quoted" (with \-escapes). */
static GHashTable *
parse_params(const char *s, GError **error)
{
    GHashTable *p = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          g_free);

    while (*s != '\0') {
        const char *name;
        gsize nlen;
        GString *v = g_string_new(NULL);

        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (*s == '\0') {
            g_string_free(v, TRUE);
            break;
        }
        name = s;
        while (*s != '\0' && *s != '=' && *s != ' ' && *s != ',')
            s++;
        nlen = (gsize)(s - name);
        while (*s == ' ')
            s++;
        if (*s != '=' || nlen == 0 || nlen > 32) {
            g_string_free(v, TRUE);
            g_hash_table_unref(p);
            g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                                GW_SIP_AUTH_ERROR_MALFORMED,
                                "bad Authorization parameter");
            return NULL;
        }
        s++;
        while (*s == ' ')
            s++;
        if (*s == '"') {
            s++;
            while (*s != '\0' && *s != '"') {
                if (*s == '\\' && s[1] != '\0')
                    s++;
                g_string_append_c(v, *s++);
            }
            if (*s != '"') {
                g_string_free(v, TRUE);
                g_hash_table_unref(p);
                g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                                    GW_SIP_AUTH_ERROR_MALFORMED,
                                    "unterminated quoted string");
                return NULL;
            }
            s++;
        } else {
            while (*s != '\0' && *s != ',' && *s != ' ')
                g_string_append_c(v, *s++);
        }
        g_hash_table_replace(p, g_ascii_strdown(name, (gssize)nlen),
                             g_string_free(v, FALSE));
    }
    return p;
}

char *
gw_sip_auth_check(const GwSipUsers *users, const char *realm,
                  const guint8 secret[32], gint64 now, guint nonce_lifetime,
                  const char *authorization, const char *method,
                  GError **error)
{
    g_autoptr(GHashTable) p = NULL;
    const char *user, *nonce, *uri, *response, *qop, *nc, *cnonce, *r, *alg;
    const char *cred;
    g_autofree char *ha1 = NULL, *ha2 = NULL, *a1 = NULL, *a2 = NULL;
    g_autofree char *kd = NULL, *want = NULL;
    gint64 t;

    if (authorization == NULL) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MISSING, "no credentials");
        return NULL;
    }
    if (g_ascii_strncasecmp(authorization, "Digest ", 7) != 0) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MALFORMED,
                            "only Digest is accepted");
        return NULL;
    }
    p = parse_params(authorization + 7, error);
    if (p == NULL)
        return NULL;
    user = g_hash_table_lookup(p, "username");
    nonce = g_hash_table_lookup(p, "nonce");
    uri = g_hash_table_lookup(p, "uri");
    response = g_hash_table_lookup(p, "response");
    r = g_hash_table_lookup(p, "realm");
    qop = g_hash_table_lookup(p, "qop");
    nc = g_hash_table_lookup(p, "nc");
    cnonce = g_hash_table_lookup(p, "cnonce");
    alg = g_hash_table_lookup(p, "algorithm");
    if (user == NULL || nonce == NULL || uri == NULL || response == NULL ||
        r == NULL || (qop != NULL && (nc == NULL || cnonce == NULL))) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MALFORMED,
                            "Authorization lacks a required parameter");
        return NULL;
    }
    if ((alg != NULL && g_ascii_strcasecmp(alg, "MD5") != 0) ||
        (qop != NULL && strcmp(qop, "auth") != 0)) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_DENIED,
                            "only MD5 with qop=auth is accepted");
        return NULL;
    }
    if (strcmp(r, realm) != 0) {
        g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_MISSING,
                    "credentials for realm '%.32s'", r);
        return NULL;
    }
    t = nonce_time(secret, nonce);
    if (t < 0) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MISSING, "not a nonce of ours");
        return NULL;
    }
    if (now - t > (gint64)nonce_lifetime || t > now + 5) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_STALE, "nonce expired");
        return NULL;
    }
    cred = g_hash_table_lookup(users->users, user);
    if (cred == NULL) {
        g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_DENIED,
                    "unknown user '%.32s'", user);
        return NULL;
    }
    if (cred[0] == 'h') {
        ha1 = g_strdup(cred + 2);
    } else {
        a1 = g_strdup_printf("%s:%s:%s", user, realm, cred + 2);
        ha1 = md5_hex(a1);
    }
    a2 = g_strdup_printf("%s:%s", method, uri);
    ha2 = md5_hex(a2);
    if (qop != NULL)
        kd = g_strdup_printf("%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop,
                             ha2);
    else
        kd = g_strdup_printf("%s:%s:%s", ha1, nonce, ha2);
    want = md5_hex(kd);
    if (g_ascii_strcasecmp(want, response) != 0) {
        g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_DENIED,
                    "wrong password for '%.32s'", user);
        return NULL;
    }
    return g_strdup(user);
}

/* A quoted-string of RFC 3261 25.1: " and \ escaped. */
static void
append_quoted(GString *out, const char *name, const char *value)
{
    g_string_append_printf(out, "%s%s=\"", out->len > 7 ? ", " : "", name);
    for (const char *c = value; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_c(out, '\\');
        g_string_append_c(out, *c);
    }
    g_string_append_c(out, '"');
}

/* One of password and ha1; `want_realm` (with ha1) the realm it is for. */
static char *
answer(const char *challenge, const char *user, const char *password,
       const char *given_ha1, const char *want_realm, const char *method,
       const char *uri, const char *cnonce, guint nc, GError **error)
{
    g_autoptr(GHashTable) p = NULL;
    const char *realm, *nonce, *opaque, *qop, *alg;
    g_autofree char *a1 = NULL, *a2 = NULL, *ha1 = NULL, *ha2 = NULL;
    g_autofree char *kd = NULL, *response = NULL;
    gboolean use_qop = FALSE;
    char ncs[16];
    GString *out;

    if (challenge == NULL ||
        g_ascii_strncasecmp(challenge, "Digest ", 7) != 0) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MALFORMED,
                            "only Digest challenges can be answered");
        return NULL;
    }
    p = parse_params(challenge + 7, error);
    if (p == NULL)
        return NULL;
    realm = g_hash_table_lookup(p, "realm");
    nonce = g_hash_table_lookup(p, "nonce");
    opaque = g_hash_table_lookup(p, "opaque");
    qop = g_hash_table_lookup(p, "qop");
    alg = g_hash_table_lookup(p, "algorithm");
    if (realm == NULL || nonce == NULL) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MALFORMED,
                            "challenge without realm or nonce");
        return NULL;
    }
    if (alg != NULL && g_ascii_strcasecmp(alg, "MD5") != 0) {
        g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_MALFORMED,
                    "digest algorithm %.32s is not supported", alg);
        return NULL;
    }
    if (qop != NULL) {
        g_auto(GStrv) opts = g_strsplit(qop, ",", -1);
        for (guint i = 0; opts[i] != NULL; i++)
            if (g_ascii_strcasecmp(g_strstrip(opts[i]), "auth") == 0)
                use_qop = TRUE;
        if (!use_qop) {
            g_set_error(error, GW_SIP_AUTH_ERROR,
                        GW_SIP_AUTH_ERROR_MALFORMED,
                        "qop %.32s offers no 'auth'", qop);
            return NULL;
        }
    }
    if (given_ha1 != NULL) {
        /* HA1 holds the realm: it answers for that realm only */
        if (want_realm == NULL || strcmp(realm, want_realm) != 0) {
            g_set_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_DENIED,
                        "challenge for realm '%.64s', credentials kept for "
                        "'%.64s' only", realm, want_realm ? want_realm : "");
            return NULL;
        }
        ha1 = g_strdup(given_ha1);
    } else {
        a1 = g_strconcat(user, ":", realm, ":", password, NULL);
        ha1 = md5_hex(a1);
        memset(a1, 0, strlen(a1));
    }
    a2 = g_strconcat(method, ":", uri, NULL);
    ha2 = md5_hex(a2);
    g_snprintf(ncs, sizeof ncs, "%08x", nc);
    kd = use_qop ? g_strconcat(ha1, ":", nonce, ":", ncs, ":", cnonce,
                               ":auth:", ha2, NULL)
                 : g_strconcat(ha1, ":", nonce, ":", ha2, NULL);
    response = md5_hex(kd);
    memset(ha1, 0, strlen(ha1));

    out = g_string_new("Digest ");
    append_quoted(out, "username", user);
    append_quoted(out, "realm", realm);
    append_quoted(out, "nonce", nonce);
    append_quoted(out, "uri", uri);
    append_quoted(out, "response", response);
    g_string_append(out, ", algorithm=MD5");
    if (opaque != NULL)
        append_quoted(out, "opaque", opaque);
    if (use_qop) {
        g_string_append_printf(out, ", qop=auth, nc=%s", ncs);
        append_quoted(out, "cnonce", cnonce);
    }
    return g_string_free(out, FALSE);
}

char *
gw_sip_auth_answer(const char *challenge, const char *user,
                   const char *password, const char *method, const char *uri,
                   const char *cnonce, guint nc, GError **error)
{
    g_return_val_if_fail(password != NULL, NULL);
    return answer(challenge, user, password, NULL, NULL, method, uri, cnonce,
                  nc, error);
}

char *
gw_sip_auth_answer_ha1(const char *challenge, const char *user,
                       const char *realm, const char *ha1,
                       const char *method, const char *uri,
                       const char *cnonce, guint nc, GError **error)
{
    g_return_val_if_fail(ha1 != NULL && realm != NULL, NULL);
    return answer(challenge, user, NULL, ha1, realm, method, uri, cnonce, nc,
                  error);
}

char *
gw_sip_auth_challenge_realm(const char *challenge)
{
    g_autoptr(GHashTable) p = NULL;

    if (challenge == NULL ||
        g_ascii_strncasecmp(challenge, "Digest ", 7) != 0 ||
        (p = parse_params(challenge + 7, NULL)) == NULL)
        return NULL;
    return g_strdup(g_hash_table_lookup(p, "realm"));
}
