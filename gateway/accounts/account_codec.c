/* gateway/accounts/account_codec.c: sealing passwords (AES-256-GCM through
 * OpenSSL's libcrypto), HA1, and what names and passwords may be. See
 * account_codec.h for the blob's layout. */
#include "account_codec.h"

#include <string.h>

#include <openssl/evp.h>

G_DEFINE_QUARK(gw-account-error-quark, gw_account_error)

#define MAGIC "GW1"
#define MAGIC_LEN 3

gboolean
gw_account_check_username(const char *u, GError **error)
{
    /* RFC 3261 25.1: user = 1*( unreserved / escaped / user-unreserved ) */
    static const char extra[] = "-_.!~*'()&=+$,;?/";
    gsize n = u != NULL ? strlen(u) : 0;

    if (n == 0 || n > GW_ACCOUNT_MAX_USERNAME) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "username must have 1 to %d characters",
                    GW_ACCOUNT_MAX_USERNAME);
        return FALSE;
    }
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(u[i]) && strchr(extra, u[i]) == NULL) {
            g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                        "username '%.32s' has a character a SIP user part "
                        "cannot have", u);
            return FALSE;
        }
    return TRUE;
}

gboolean
gw_account_check_password(const char *p, GError **error)
{
    gsize n = p != NULL ? strlen(p) : 0;

    /* the password itself is never quoted in an error */
    if (n == 0 || n > GW_ACCOUNT_MAX_PASSWORD) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "password must have 1 to %d bytes",
                    GW_ACCOUNT_MAX_PASSWORD);
        return FALSE;
    }
    if (!g_utf8_validate(p, (gssize)n, NULL)) {
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                            "password is not UTF-8");
        return FALSE;
    }
    for (gsize i = 0; i < n; i++)
        if ((guchar)p[i] < 0x20 || p[i] == 0x7f) {
            g_set_error_literal(error, GW_ACCOUNT_ERROR,
                                GW_ACCOUNT_ERROR_INVALID,
                                "password has a control character");
            return FALSE;
        }
    return TRUE;
}

char *
gw_account_aad(const char *jid, const char *username, const char *domain)
{
    return g_strdup_printf("%s\n%s@%s", jid, username, domain);
}

GBytes *
gw_account_seal(const guint8 key[GW_ACCOUNT_KEY_LEN],
                const guint8 nonce[GW_ACCOUNT_NONCE_LEN], const char *aad,
                const char *password, GError **error)
{
    gsize plen = strlen(password);
    gsize total = MAGIC_LEN + GW_ACCOUNT_NONCE_LEN + plen + GW_ACCOUNT_TAG_LEN;
    guint8 *out = g_malloc(total);
    guint8 *ct = out + MAGIC_LEN + GW_ACCOUNT_NONCE_LEN;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0;
    gboolean ok;

    memcpy(out, MAGIC, MAGIC_LEN);
    memcpy(out + MAGIC_LEN, nonce, GW_ACCOUNT_NONCE_LEN);
    ok = ctx != NULL &&
         EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                             GW_ACCOUNT_NONCE_LEN, NULL) == 1 &&
         EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
         EVP_EncryptUpdate(ctx, NULL, &len, (const guint8 *)aad,
                           (int)strlen(aad)) == 1 &&
         EVP_EncryptUpdate(ctx, ct, &len, (const guint8 *)password,
                           (int)plen) == 1 &&
         EVP_EncryptFinal_ex(ctx, ct + len, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GW_ACCOUNT_TAG_LEN,
                             ct + plen) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        memset(out, 0, total);
        g_free(out);
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                            "AES-256-GCM encryption failed");
        return NULL;
    }
    return g_bytes_new_take(out, total);
}

char *
gw_account_unseal(const guint8 key[GW_ACCOUNT_KEY_LEN], const guint8 *blob,
                  gsize len, const char *aad, GError **error)
{
    const gsize head = MAGIC_LEN + GW_ACCOUNT_NONCE_LEN;
    gsize plen;
    char *out;
    EVP_CIPHER_CTX *ctx;
    int n = 0;
    gboolean ok;

    if (blob == NULL || len < head + GW_ACCOUNT_TAG_LEN ||
        len > head + GW_ACCOUNT_MAX_PASSWORD + GW_ACCOUNT_TAG_LEN ||
        memcmp(blob, MAGIC, MAGIC_LEN) != 0) {
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                            "not a sealed password of this gateway");
        return NULL;
    }
    plen = len - head - GW_ACCOUNT_TAG_LEN;
    out = g_malloc0(plen + 1);
    ctx = EVP_CIPHER_CTX_new();
    ok = ctx != NULL &&
         EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN,
                             GW_ACCOUNT_NONCE_LEN, NULL) == 1 &&
         EVP_DecryptInit_ex(ctx, NULL, NULL, key, blob + MAGIC_LEN) == 1 &&
         EVP_DecryptUpdate(ctx, NULL, &n, (const guint8 *)aad,
                           (int)strlen(aad)) == 1 &&
         EVP_DecryptUpdate(ctx, (guint8 *)out, &n, blob + head,
                           (int)plen) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GW_ACCOUNT_TAG_LEN,
                             (void *)(blob + head + plen)) == 1 &&
         EVP_DecryptFinal_ex(ctx, (guint8 *)out + n, &n) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok || strlen(out) != plen) {
        memset(out, 0, plen + 1);
        g_free(out);
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_DECRYPT,
                            "sealed password does not open with this key");
        return NULL;
    }
    return out;
}

char *
gw_account_ha1(const char *user, const char *realm, const char *password)
{
    g_autoptr(GChecksum) md5 = g_checksum_new(G_CHECKSUM_MD5);

    g_checksum_update(md5, (const guchar *)user, (gssize)strlen(user));
    g_checksum_update(md5, (const guchar *)":", 1);
    g_checksum_update(md5, (const guchar *)realm, (gssize)strlen(realm));
    g_checksum_update(md5, (const guchar *)":", 1);
    g_checksum_update(md5, (const guchar *)password, (gssize)strlen(password));
    return g_strdup(g_checksum_get_string(md5));
}

/* ---- addresses ---------------------------------------------------------- */

gboolean
gw_account_uri_user_host(const char *uri, char **user, char **host)
{
    const char *p, *at, *end;

    g_return_val_if_fail(uri != NULL, FALSE);
    p = strchr(uri, '<');
    p = p != NULL ? p + 1 : uri;
    if (g_ascii_strncasecmp(p, "sip:", 4) == 0)
        p += 4;
    else if (g_ascii_strncasecmp(p, "sips:", 5) == 0)
        p += 5;
    else
        return FALSE;
    at = strchr(p, '@');
    if (at == NULL || at == p || memchr(p, ';', (gsize)(at - p)) != NULL ||
        memchr(p, ':', (gsize)(at - p)) != NULL)
        return FALSE;
    if (at[1] == '[') { /* an IPv6 reference, kept as written */
        end = strchr(at + 1, ']');
        if (end == NULL)
            return FALSE;
        end++;
    } else {
        end = at + 1 + strcspn(at + 1, ":;>?");
    }
    if (end == at + 1)
        return FALSE;
    *user = g_strndup(p, (gsize)(at - p));
    *host = g_strndup(at + 1, (gsize)(end - at - 1));
    return TRUE;
}

char *
gw_account_registrar_host(const char *registrar)
{
    const char *r = registrar;
    gsize n;

    if (r == NULL)
        return NULL;
    if (g_ascii_strncasecmp(r, "sips:", 5) == 0)
        r += 5;
    else if (g_ascii_strncasecmp(r, "sip:", 4) == 0)
        r += 4;
    if (strchr(r, '@') != NULL)
        r = strchr(r, '@') + 1;
    if (*r == '[') {
        n = strcspn(r + 1, "]");
        return r[1 + n] == ']' && n > 0 ? g_strndup(r + 1, n) : NULL;
    }
    n = strcspn(r, ":;>?");
    return n > 0 ? g_strndup(r, n) : NULL;
}
