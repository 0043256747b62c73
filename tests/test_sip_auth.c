/* Unit tests of gateway/sip_auth.c: challenges and responses computed the
 * way a SIP client computes them (RFC 2617 3.2.2), independently here. */
#include <string.h>

#include "sip_auth.h"

static const guint8 secret[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
#define REALM "gw.example.com"
#define NOW 1800000000

static char *
md5(const char *s)
{
    return g_compute_checksum_for_string(G_CHECKSUM_MD5, s, -1);
}

/* The nonce inside a challenge. */
static char *
nonce_of(const char *challenge)
{
    const char *n = strstr(challenge, "nonce=\"");
    g_assert_nonnull(n);
    n += 7;
    return g_strndup(n, strcspn(n, "\""));
}

/* What a phone sends for user/password. */
static char *
client_auth(const char *user, const char *password, const char *realm,
            const char *nonce, const char *method, const char *uri)
{
    g_autofree char *a1 = g_strdup_printf("%s:%s:%s", user, realm, password);
    g_autofree char *ha1 = md5(a1);
    g_autofree char *a2 = g_strdup_printf("%s:%s", method, uri);
    g_autofree char *ha2 = md5(a2);
    g_autofree char *kd = g_strdup_printf("%s:%s:00000001:0a4f113b:auth:%s",
                                          ha1, nonce, ha2);
    g_autofree char *resp = md5(kd);

    return g_strdup_printf("Digest username=\"%s\", realm=\"%s\", "
                           "nonce=\"%s\", uri=\"%s\", response=\"%s\", "
                           "algorithm=MD5, cnonce=\"0a4f113b\", qop=auth, "
                           "nc=00000001",
                           user, realm, nonce, uri, resp);
}

static GwSipUsers *
users(void)
{
    const char *f = "# users\n1001:secret1001\n\n"
                    "1002:md5:0123456789abcdef0123456789ABCDEF\n";
    g_autoptr(GError) error = NULL;
    GwSipUsers *u = gw_sip_users_parse(f, strlen(f), "users", &error);

    g_assert_no_error(error);
    g_assert_cmpuint(gw_sip_users_count(u), ==, 2);
    return u;
}

static void
test_good(void)
{
    g_autoptr(GwSipUsers) u = users();
    g_autofree char *ch = gw_sip_auth_challenge(REALM, secret, NOW, FALSE);
    g_autofree char *nonce = nonce_of(ch);
    g_autofree char *auth = client_auth("1001", "secret1001", REALM, nonce,
                                        "MESSAGE", "sip:alice@" REALM);
    g_autoptr(GError) error = NULL;
    g_autofree char *who = gw_sip_auth_check(u, REALM, secret, NOW + 10, 300,
                                             auth, "MESSAGE", &error);

    g_assert_no_error(error);
    g_assert_cmpstr(who, ==, "1001");
    g_assert_nonnull(strstr(ch, "qop=\"auth\""));
    g_assert_null(strstr(ch, "stale"));
}

static void
test_refusals(void)
{
    g_autoptr(GwSipUsers) u = users();
    g_autofree char *ch = gw_sip_auth_challenge(REALM, secret, NOW, FALSE);
    g_autofree char *nonce = nonce_of(ch);
    static const guint8 other[32] = { 9 };
    struct {
        const char *name;
        char *auth;
        gint64 now;
        const guint8 *key;
        const char *method;
        int code;
    } rows[] = {
        { "wrong password",
          client_auth("1001", "nope", REALM, nonce, "MESSAGE", "sip:a@b"),
          NOW, secret, "MESSAGE", GW_SIP_AUTH_ERROR_DENIED },
        { "unknown user",
          client_auth("9999", "x", REALM, nonce, "MESSAGE", "sip:a@b"), NOW,
          secret, "MESSAGE", GW_SIP_AUTH_ERROR_DENIED },
        { "other method than signed",
          client_auth("1001", "secret1001", REALM, nonce, "INVITE",
                      "sip:a@b"),
          NOW, secret, "MESSAGE", GW_SIP_AUTH_ERROR_DENIED },
        { "stale nonce",
          client_auth("1001", "secret1001", REALM, nonce, "MESSAGE",
                      "sip:a@b"),
          NOW + 301, secret, "MESSAGE", GW_SIP_AUTH_ERROR_STALE },
        { "nonce of another process",
          client_auth("1001", "secret1001", REALM, nonce, "MESSAGE",
                      "sip:a@b"),
          NOW, other, "MESSAGE", GW_SIP_AUTH_ERROR_MISSING },
        { "other realm",
          client_auth("1001", "secret1001", "elsewhere", nonce, "MESSAGE",
                      "sip:a@b"),
          NOW, secret, "MESSAGE", GW_SIP_AUTH_ERROR_MISSING },
        { "forged nonce",
          client_auth("1001", "secret1001", REALM,
                      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                      "MESSAGE", "sip:a@b"),
          NOW, secret, "MESSAGE", GW_SIP_AUTH_ERROR_MISSING },
        { "not digest", g_strdup("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), NOW,
          secret, "MESSAGE", GW_SIP_AUTH_ERROR_MALFORMED },
        { "unterminated", g_strdup("Digest username=\"1001"), NOW, secret,
          "MESSAGE", GW_SIP_AUTH_ERROR_MALFORMED },
        { "no response", g_strdup("Digest username=\"1001\", realm=\"" REALM
                                  "\", nonce=\"x\", uri=\"sip:a@b\""),
          NOW, secret, "MESSAGE", GW_SIP_AUTH_ERROR_MALFORMED },
        { "none", NULL, NOW, secret, "MESSAGE", GW_SIP_AUTH_ERROR_MISSING },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *who = gw_sip_auth_check(
            u, REALM, rows[i].key, rows[i].now, 300, rows[i].auth,
            rows[i].method, &error);
        g_test_message("%s", rows[i].name);
        g_assert_null(who);
        g_assert_error(error, GW_SIP_AUTH_ERROR, rows[i].code);
        g_free(rows[i].auth);
    }
}

static void
test_ha1_entries(void)
{
    /* HA1 for 1003:gw.example.com:pw */
    g_autofree char *ha1 = md5("1003:" REALM ":pw");
    g_autofree char *file = g_strdup_printf("1003:md5:%s\n", ha1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwSipUsers) u = gw_sip_users_parse(file, strlen(file), "f",
                                                 &error);
    g_autofree char *ch = gw_sip_auth_challenge(REALM, secret, NOW, TRUE);
    g_autofree char *nonce = nonce_of(ch);
    g_autofree char *auth = client_auth("1003", "pw", REALM, nonce,
                                        "SUBSCRIBE", "sip:alice@x");
    g_autofree char *who = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(strstr(ch, "stale=true"));
    who = gw_sip_auth_check(u, REALM, secret, NOW, 300, auth, "SUBSCRIBE",
                            &error);
    g_assert_no_error(error);
    g_assert_cmpstr(who, ==, "1003");
}

static void
test_users_file_errors(void)
{
    static const char *const bad[] = {
        "nocolon\n", ":pw\n", "1001:\n", "1001:md5:xyz\n",
        "1001:a\n1001:b\n",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GwSipUsers) u =
            gw_sip_users_parse(bad[i], strlen(bad[i]), "users.txt", &error);
        g_assert_null(u);
        g_assert_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_MALFORMED);
        g_assert_true(g_str_has_prefix(error->message, "users.txt:"));
    }
}

/* The client side: RFC 2617 3.5's worked example (qop=auth), the form
 * without qop (RFC 2069), what it refuses, and a round trip through our
 * own server side. */
static void
test_answer(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *a = gw_sip_auth_answer(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
        "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        "Mufasa", "Circle Of Life", "GET", "/dir/index.html", "0a4f113b", 1,
        &error);
    g_autofree char *b = NULL, *c = NULL, *user = NULL;
    g_autofree char *ch = gw_sip_auth_challenge(REALM, secret, NOW, FALSE);

    g_assert_no_error(error);
    g_assert_nonnull(strstr(a, "response=\"6629fae49393a05397450978507c4ef1\""));
    g_assert_nonnull(strstr(a, "qop=auth, nc=00000001, cnonce=\"0a4f113b\""));
    g_assert_nonnull(strstr(a, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
    g_assert_true(g_str_has_prefix(a, "Digest username=\"Mufasa\", "));

    /* no qop: MD5(HA1:nonce:HA2) */
    b = gw_sip_auth_answer("Digest realm=\"r\", nonce=\"n\"", "u", "p",
                           "SUBSCRIBE", "sip:x@y", "c", 1, &error);
    g_assert_no_error(error);
    {
        g_autofree char *ha1 = md5("u:r:p"), *ha2 = md5("SUBSCRIBE:sip:x@y");
        g_autofree char *kd = g_strdup_printf("%s:n:%s", ha1, ha2);
        g_autofree char *want = md5(kd);
        g_autofree char *resp = g_strdup_printf("response=\"%s\"", want);
        g_assert_nonnull(strstr(b, resp));
        g_assert_null(strstr(b, "qop="));
    }

    /* what it cannot answer */
    {
        static const char *bad[] = {
            "Basic realm=\"r\"",
            "Digest realm=\"r\"",
            "Digest nonce=\"n\"",
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
            "Digest realm=\"r, nonce=\"n\"",
        };
        for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
            g_autoptr(GError) e = NULL;
            g_autofree char *x = gw_sip_auth_answer(bad[i], "u", "p", "M",
                                                    "sip:a", "c", 1, &e);
            g_assert_null(x);
            g_assert_error(e, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_MALFORMED);
        }
    }

    /* our own challenge, answered, passes our own check */
    {
        g_autoptr(GwSipUsers) users =
            gw_sip_users_parse("bob:s3cr\"et\n", 12, "t", &error);
        g_assert_no_error(error);
        c = gw_sip_auth_answer(ch, "bob", "s3cr\"et", "SUBSCRIBE",
                               "sip:alice@" REALM, "abcdef", 1, &error);
        g_assert_no_error(error);
        user = gw_sip_auth_check(users, REALM, secret, NOW + 10, 300, c,
                                 "SUBSCRIBE", &error);
        g_assert_no_error(error);
        g_assert_cmpstr(user, ==, "bob");
    }
}

/* Answering with HA1 (issue 17: accounts keep no password): the same
 * answer as with the password, for its realm only. */
static void
test_answer_ha1(void)
{
    static const char ch[] =
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
        "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
    g_autoptr(GError) error = NULL;
    g_autofree char *ha1 = md5("Mufasa:testrealm@host.com:Circle Of Life");
    g_autofree char *a = gw_sip_auth_answer_ha1(
        ch, "Mufasa", "testrealm@host.com", ha1, "GET", "/dir/index.html",
        "0a4f113b", 1, &error);
    g_autofree char *b = gw_sip_auth_answer(ch, "Mufasa", "Circle Of Life",
                                            "GET", "/dir/index.html",
                                            "0a4f113b", 1, NULL);
    g_autofree char *c = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(a, ==, b);
    g_assert_nonnull(strstr(a, "response=\"6629fae49393a05397450978507c4ef1\""));
    c = gw_sip_auth_answer_ha1(ch, "Mufasa", "other.realm", ha1, "GET",
                               "/dir/index.html", "0a4f113b", 1, &error);
    g_assert_null(c);
    g_assert_error(error, GW_SIP_AUTH_ERROR, GW_SIP_AUTH_ERROR_DENIED);
    g_assert_null(strstr(error->message, ha1));
}

static void
test_challenge_realm(void)
{
    static const char *const rows[][2] = {
        { "Digest realm=\"pbx.example.com\", nonce=\"n\"", "pbx.example.com" },
        { "Digest nonce=\"n\", realm=\"a b\", qop=\"auth\"", "a b" },
        { "digest realm=x, nonce=y", "x" },
        { "Digest nonce=\"n\"", NULL },
        { "Basic realm=\"x\"", NULL },
        { "", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *r = gw_sip_auth_challenge_realm(rows[i][0]);
        g_assert_cmpstr(r, ==, rows[i][1]);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/sip-auth/challenge-realm", test_challenge_realm);
    g_test_add_func("/sip-auth/good", test_good);
    g_test_add_func("/sip-auth/answer", test_answer);
    g_test_add_func("/sip-auth/answer-ha1", test_answer_ha1);
    g_test_add_func("/sip-auth/refusals", test_refusals);
    g_test_add_func("/sip-auth/ha1-entries", test_ha1_entries);
    g_test_add_func("/sip-auth/users-file-errors", test_users_file_errors);
    return g_test_run();
}
