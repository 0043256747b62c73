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
gw_account_aad(const char *jid, const char *username, const char *domain,
               const char *registrar)
{
    return g_strdup_printf("%s\n%s@%s%s%s", jid, username, domain,
                           registrar != NULL ? "\n" : "",
                           registrar != NULL ? registrar : "");
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

/* ---- a registrar of her own -------------------------------------------- */

#define MAX_REGISTRAR_TEXT 255

void
gw_account_registrar_clear(GwAccountRegistrar *reg)
{
    g_clear_pointer(&reg->uri, g_free);
    g_clear_pointer(&reg->host, g_free);
    reg->port = 0;
    reg->tls = FALSE;
}

/* A DNS name of LDH labels (RFC 1123 2.1), the last one not all digits
 * (so that "192.0.2.999" is no name), at most 253 bytes. */
static gboolean
is_dns_name(const char *h, gsize n)
{
    gsize label = 0;
    gboolean digits = TRUE;

    if (n == 0 || n > 253)
        return FALSE;
    for (gsize i = 0; i <= n; i++) {
        char c = i < n ? h[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63 || h[i - 1] == '-')
                return FALSE;
            if (i == n && digits)
                return FALSE;
            label = 0;
            digits = TRUE;
            continue;
        }
        if (!g_ascii_isalnum(c) && c != '-')
            return FALSE;
        if (c == '-' && label == 0)
            return FALSE;
        digits = digits && g_ascii_isdigit(c);
        label++;
    }
    return TRUE;
}

/* host (bracketed for IPv6) of length n: the host without brackets, lower
 * case (transfer full), or NULL. */
static char *
read_host(const char *h, gsize n)
{
    g_autofree char *t = NULL;

    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        t = g_ascii_strdown(h + 1, (gssize)(n - 2));
        return strchr(t, ':') != NULL && g_hostname_is_ip_address(t)
                   ? g_steal_pointer(&t) : NULL;
    }
    t = g_ascii_strdown(h, (gssize)n);
    if (strchr(t, ':') == NULL && g_hostname_is_ip_address(t))
        return g_steal_pointer(&t);
    return is_dns_name(t, n) ? g_steal_pointer(&t) : NULL;
}

static gboolean
bad_registrar(GError **error, const char *text, const char *why)
{
    g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                "registrar '%.64s' %s", text, why);
    return FALSE;
}

gboolean
gw_account_registrar_parse(const char *text, GwAccountRegistrar *out,
                           GError **error)
{
    const char *p = text, *end, *params;
    gboolean sips = FALSE;
    guint64 port = 0;
    g_autofree char *host = NULL, *transport = NULL;

    g_return_val_if_fail(text != NULL && out != NULL, FALSE);
    if (strlen(text) > MAX_REGISTRAR_TEXT)
        return bad_registrar(error, text, "is too long");
    for (const char *c = text; *c != '\0'; c++)
        if ((guchar)*c <= 0x20 || (guchar)*c >= 0x7f || strchr("@?<>\"", *c))
            return bad_registrar(error, text,
                                 "is not sip:host[:port] (no user, spaces "
                                 "or headers)");
    if (g_ascii_strncasecmp(p, "sips:", 5) == 0) {
        sips = TRUE;
        p += 5;
    } else if (g_ascii_strncasecmp(p, "sip:", 4) == 0) {
        p += 4;
    }
    params = p + strcspn(p, ";");
    end = *p == '[' ? strchr(p, ']') : NULL;
    end = end != NULL && end < params ? end + 1 : p + strcspn(p, ":;");
    if (end > params || (host = read_host(p, (gsize)(end - p))) == NULL)
        return bad_registrar(error, text, "has no valid host");
    if (*end == ':') {
        g_autofree char *digits = g_strndup(end + 1, (gsize)(params - end - 1));
        if (!g_ascii_string_to_unsigned(digits, 10, 1, 65535, &port, NULL))
            return bad_registrar(error, text, "has a bad port (1 to 65535)");
    } else if (end != params) {
        return bad_registrar(error, text, "has no valid host");
    }
    for (const char *q = params; *q == ';';) {
        const char *next = q + 1 + strcspn(q + 1, ";");
        g_autofree char *param = g_ascii_strdown(q + 1, (gssize)(next - q - 1));
        if (!g_str_has_prefix(param, "transport=") || transport != NULL ||
            (strcmp(param + 10, "udp") != 0 && strcmp(param + 10, "tcp") != 0 &&
             strcmp(param + 10, "tls") != 0))
            return bad_registrar(error, text,
                                 "has a parameter other than transport=udp, "
                                 "tcp or tls");
        transport = g_strdup(param + 10);
        q = next;
    }
    out->host = g_steal_pointer(&host);
    out->port = (guint16)port;
    out->tls = sips || g_strcmp0(transport, "tls") == 0;
    {
        gboolean v6 = strchr(out->host, ':') != NULL;
        GString *u = g_string_new(sips ? "sips:" : "sip:");
        g_string_append_printf(u, v6 ? "[%s]" : "%s", out->host);
        if (port != 0)
            g_string_append_printf(u, ":%u", (guint)port);
        if (transport != NULL)
            g_string_append_printf(u, ";transport=%s", transport);
        out->uri = g_string_free(u, FALSE);
    }
    return TRUE;
}

guint16
gw_account_registrar_port(const GwAccountRegistrar *reg)
{
    return reg->port != 0 ? reg->port : reg->tls ? 5061 : 5060;
}

char *
gw_account_domain_normalize(const char *domain, GError **error)
{
    gsize n = domain != NULL ? strlen(domain) : 0;
    g_autofree char *host = n > 0 && n <= MAX_REGISTRAR_TEXT
                                ? read_host(domain, n) : NULL;

    if (host == NULL) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "domain '%.64s' is not a domain name or address (no "
                    "port)", domain != NULL ? domain : "");
        return NULL;
    }
    return strchr(host, ':') != NULL ? g_strdup_printf("[%s]", host)
                                     : g_steal_pointer(&host);
}

char *
gw_account_uri_swap_domain(const char *uri, const char *const *from,
                           const char *to)
{
    const char *p, *at, *end;
    gsize n;

    g_return_val_if_fail(uri != NULL && to != NULL, NULL);
    if (g_ascii_strncasecmp(uri, "sips:", 5) == 0)
        p = uri + 5;
    else if (g_ascii_strncasecmp(uri, "sip:", 4) == 0)
        p = uri + 4;
    else
        return NULL;
    at = strchr(p, '@');
    if (at == NULL || memchr(p, ';', (gsize)(at - p)) != NULL)
        return NULL;
    end = at + 1 + strcspn(at + 1, ";?>");
    n = (gsize)(end - at - 1);
    for (; from != NULL && *from != NULL; from++)
        if (strlen(*from) == n && g_ascii_strncasecmp(at + 1, *from, n) == 0)
            return g_strdup_printf("%.*s%s%s", (int)(at + 1 - uri), uri, to,
                                   end);
    return NULL;
}
