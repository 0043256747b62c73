/* Unit tests of config/: the key table, every-problem reporting, the
 * example file, the ACL and trusted-source matching. */
#include <string.h>

#include "gw_config.h"

static char *
fake_read(const char *path, gsize *len, gpointer user_data, GError **error)
{
    if (strstr(path, "missing") != NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "No such file");
        return NULL;
    }
    if (g_str_has_suffix(path, ".map")) {
        const char *d = "# static entries\nalice@localhost = sip:1001@pbx.test\n";
        *len = strlen(d);
        return g_strdup(d);
    }
    *len = 7;
    return g_strdup("s3cret\n");
}

static GwConfig *
parse(const char *text, GError **error)
{
    return gw_config_parse(text, strlen(text), "/etc/gw/test.conf", fake_read,
                           NULL, error);
}

#define MINIMAL                                                              \
    "[xmpp]\ncomponent_domain = sip.test\nsecret = x\n"                      \
    "[mapping]\nsip_domain = pbx.test\n"

static void
test_minimal(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = parse(MINIMAL, &error);

    g_assert_no_error(error);
    g_assert_cmpstr(c->xmpp.server, ==, "127.0.0.1");
    g_assert_cmpuint(c->xmpp.port, ==, 5347);
    g_assert_cmpstr(c->sip.domain, ==, "pbx.test"); /* default */
    g_assert_cmpuint(c->sip.transports, ==,
                     GW_SIP_TRANSPORT_UDP | GW_SIP_TRANSPORT_TCP);
    g_assert_cmpuint(c->limits.max_message_bytes, ==, 65536);
    /* deny by default */
    g_assert_false(gw_config_allows_message(c, "alice@example.com", "1001"));
    g_assert_false(gw_config_trusts_sip_source(c, "127.0.0.1"));
}

static void
test_example_file(void)
{
    g_autofree char *path = g_test_build_filename(
        G_TEST_DIST, "..", "config", "gateway.conf.example", NULL);
    g_autofree char *text = NULL;
    gsize len;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = NULL;

    g_assert_true(g_file_get_contents(path, &text, &len, NULL));
    c = gw_config_parse(text, len, path, fake_read, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c->xmpp.secret, ==, "s3cret");
    g_assert_cmpstr(c->xmpp.component_domain, ==, "sip.example.com");

    /* it says every key is listed: each key of the reference stands in its
     * group, set or commented out */
    {
        g_autoptr(GString) ref = g_string_new(NULL);
        g_auto(GStrv) lines = NULL;
        g_autofree char *section = NULL;

        gw_config_print_reference(ref);
        lines = g_strsplit(ref->str, "\n", -1);
        for (char **l = lines; *l != NULL; l++) {
            if ((*l)[0] == '[') {
                const char *start, *end;
                g_autofree char *header = g_strconcat("\n", *l, "\n", NULL);
                start = strstr(text, header);
                g_assert_nonnull(start);
                end = strstr(start + strlen(header), "\n[");
                g_free(section);
                section = end ? g_strndup(start, (gsize)(end - start)) : g_strdup(start);
            } else if (g_str_has_prefix(*l, "  ") && (*l)[2] != ' ') {
                g_autofree char *name = g_strndup(*l + 2, strcspn(*l + 2, " "));
                g_autofree char *set = g_strconcat("\n", name, " =", NULL);
                g_autofree char *commented = g_strconcat("\n#", name, " =", NULL);
                if (strstr(section, set) == NULL && strstr(section, commented) == NULL)
                    g_error("example file lacks key '%s'", name);
            }
        }
    }
}

static void
test_every_problem_reported(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = parse("[xmpp]\nport = 70000\nbogus = 1\n"
                                  "[sip]\ntransports = sctp\nregister = maybe\n"
                                  "user_agent = SBC\\r\\nX-Evil: 1\n"
                                  "[nonsense]\nx = 1\n"
                                  "[security]\ntrusted_sip_sources = 300.1.1.1\n"
                                  "allow_messages = onlyone\n",
                                  &error);

    g_assert_null(c);
    g_assert_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID);
    /* each names file, group and key */
    g_assert_nonnull(strstr(error->message,
                            "/etc/gw/test.conf: [xmpp] port: '70000'"));
    g_assert_nonnull(strstr(error->message, "[xmpp] bogus: unknown key"));
    g_assert_nonnull(strstr(error->message, "unknown group [nonsense]"));
    g_assert_nonnull(strstr(error->message,
                            "[xmpp] component_domain: is required"));
    g_assert_nonnull(strstr(error->message, "[xmpp] secret: is required"));
    g_assert_nonnull(strstr(error->message, "[sip] transports: 'sctp'"));
    g_assert_nonnull(strstr(error->message, "[sip] register: 'maybe'"));
    /* it becomes a header line: GKeyFile's \r\n escapes may not */
    g_assert_nonnull(strstr(error->message,
                            "[sip] user_agent: holds a control character"));
    g_assert_nonnull(strstr(error->message,
                            "[security] trusted_sip_sources: '300.1.1.1'"));
    g_assert_nonnull(strstr(error->message,
                            "[security] allow_messages: 'onlyone'"));
    g_assert_nonnull(strstr(error->message,
                            "[mapping] sip_domain: is required"));
}

static void
test_secret_sources(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) both = parse(
        "[xmpp]\ncomponent_domain = sip.test\nsecret = a\nsecret_file = s\n"
        "[mapping]\nsip_domain = pbx.test\n",
        &error);
    g_autoptr(GwConfig) missing = NULL;
    g_autoptr(GwConfig) file = NULL;

    g_assert_null(both);
    g_assert_nonnull(strstr(error->message, "not both"));
    g_clear_error(&error);
    missing = parse("[xmpp]\ncomponent_domain = sip.test\n"
                    "secret_file = missing.secret\n"
                    "[mapping]\nsip_domain = pbx.test\n",
                    &error);
    g_assert_null(missing);
    g_assert_nonnull(strstr(error->message,
                            "cannot read '/etc/gw/missing.secret'"));
    g_clear_error(&error);
    file = parse("[xmpp]\ncomponent_domain = sip.test\n"
                 "secret_file = gw.secret\n[mapping]\nsip_domain = pbx.test\n",
                 &error);
    g_assert_no_error(error);
    g_assert_cmpstr(file->xmpp.secret, ==, "s3cret"); /* first line only */

    /* systemd credentials: ${CREDENTIALS_DIRECTORY}/name */
    {
        const char *text = "[xmpp]\ncomponent_domain = sip.test\n"
                           "secret_file = ${CREDENTIALS_DIRECTORY}/missing-xmpp\n"
                           "[mapping]\nsip_domain = pbx.test\n";
        g_autoptr(GwConfig) unset = NULL;

        g_unsetenv("CREDENTIALS_DIRECTORY");
        unset = parse(text, &error);
        g_assert_null(unset);
        g_assert_nonnull(strstr(error->message, "CREDENTIALS_DIRECTORY is not set"));
        g_clear_error(&error);
        g_setenv("CREDENTIALS_DIRECTORY", "/run/credentials/gw.service", TRUE);
        unset = parse(text, &error);
        g_assert_null(unset);
        g_assert_nonnull(strstr(error->message,
                                "cannot read '/run/credentials/gw.service/missing-xmpp'"));
        g_clear_error(&error);
        g_unsetenv("CREDENTIALS_DIRECTORY");
    }
}

static void
test_register_needs_registrar(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = parse(MINIMAL "[sip]\nregister = true\n", &error);

    g_assert_null(c);
    g_assert_nonnull(strstr(error->message, "[sip] registrar: is required"));
}

/* The keys of the second SIP address are gone with it: an old
 * configuration is read, each such key named in a warning with what
 * replaces it, never refused. */
static void
test_deprecated_keys(void)
{
    static const char *const lines[] = {
        "[sip]\nlean_listen = sip:127.0.0.1:5062\n",
        "[presence]\nwatcher_listen = sip:127.0.0.1:5063\n",
        "[sip]\nlean_send = false\n",
        "[sip]\ntimer_t4_ms = 5000\n",
    };
    static const char *const names[] = {
        "[sip] lean_listen", "[presence] watcher_listen", "[sip] lean_send",
        "[sip] timer_t4_ms",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(lines); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = g_strconcat(MINIMAL, lines[i], NULL);
        g_autoptr(GwConfig) c = parse(text, &error);

        g_assert_no_error(error);
        g_assert_nonnull(c);
        g_assert_nonnull(c->warnings);
        g_assert_nonnull(c->warnings[0]);
        g_assert_null(c->warnings[1]);
        g_assert_nonnull(strstr(c->warnings[0], names[i]));
        g_assert_nonnull(strstr(c->warnings[0], "ignored"));
    }
    {
        g_autoptr(GError) error = NULL;
        g_autoptr(GwConfig) c = parse(MINIMAL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(c->warnings);
        g_assert_null(c->warnings[0]);
    }
}

static void
test_acl(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = parse(
        MINIMAL "[security]\nallow_messages = example.com 1???;"
                "alice@example.org +1555*;  * 911\n",
        &error);

    g_assert_no_error(error);
    g_assert_true(gw_config_allows_message(c, "bob@example.com", "1001"));
    g_assert_false(gw_config_allows_message(c, "bob@example.com", "10011"));
    g_assert_false(gw_config_allows_message(c, "bob@example.org", "1001"));
    g_assert_true(gw_config_allows_message(c, "alice@example.org",
                                           "+15551234567"));
    g_assert_false(gw_config_allows_message(c, "alice@example.org",
                                            "+4930123"));
    g_assert_true(gw_config_allows_message(c, "anyone@any.where", "911"));
}

static void
test_trusted_sources(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = parse(
        MINIMAL "[security]\ntrusted_sip_sources = 127.0.0.1;10.0.0.0/8;"
                "2001:db8::/32;192.0.2.128/25\n",
        &error);

    g_assert_no_error(error);
    g_assert_true(gw_config_trusts_sip_source(c, "127.0.0.1"));
    g_assert_false(gw_config_trusts_sip_source(c, "127.0.0.2"));
    g_assert_true(gw_config_trusts_sip_source(c, "10.200.3.4"));
    g_assert_false(gw_config_trusts_sip_source(c, "11.0.0.1"));
    g_assert_true(gw_config_trusts_sip_source(c, "2001:db8:1::5"));
    g_assert_false(gw_config_trusts_sip_source(c, "2001:db9::5"));
    g_assert_true(gw_config_trusts_sip_source(c, "192.0.2.200"));
    g_assert_false(gw_config_trusts_sip_source(c, "192.0.2.100"));
    g_assert_true(gw_config_trusts_sip_source(c, "::ffff:10.1.1.1"));
    g_assert_false(gw_config_trusts_sip_source(c, "not-an-address"));
    g_assert_false(gw_config_trusts_sip_source(c, NULL));
}

/* [accounts]: off by default; a registrar and a way to keep passwords
 * when on; the database beside the presence state; allow as globs or
 * domains, deny by default. */
static void
test_accounts(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) off = parse(MINIMAL, &error);
    g_autoptr(GwConfig) on = NULL;
    g_autoptr(GwConfig) bad = NULL;

    g_assert_no_error(error);
    g_assert_false(off->accounts.enabled);
    g_assert_cmpstr(off->accounts.database, ==,
                    "/var/lib/xmpp-sip-gateway/accounts.sqlite");
    g_assert_cmpstr(off->accounts.domain, ==, "pbx.test");
    g_assert_cmpstr(off->accounts.register_when, ==, "online");
    g_assert_false(gw_config_allows_account(off, "alice@example.com"));

    on = parse(MINIMAL "[presence]\nstate_file = /srv/gw/presence.state\n"
                       "[accounts]\nenabled = true\nregistrar = sip:pbx.test\n"
                       "realm = pbx.test\nallow = example.com;bob@example.org\n"
                       "register_when = always\n",
               &error);
    g_assert_no_error(error);
    g_assert_cmpstr(on->accounts.database, ==, "/srv/gw/accounts.sqlite");
    g_assert_cmpstr(on->accounts.register_when, ==, "always");
    g_assert_true(gw_config_allows_account(on, "alice@example.com"));
    g_assert_true(gw_config_allows_account(on, "bob@example.org"));
    g_assert_false(gw_config_allows_account(on, "carol@example.org"));
    g_assert_false(gw_config_allows_account(on, "alice@example.com.evil"));

    bad = parse(MINIMAL "[accounts]\nenabled = true\nregister_when = never\n",
                &error);
    g_assert_null(bad);
    g_assert_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "[accounts] registrar: is required"));
    g_assert_nonnull(strstr(error->message, "[accounts] key_file: is required"));
    g_assert_nonnull(strstr(error->message, "[accounts] register_when:"));
}

/* [accounts] allow_custom_registrar: host globs within a label, ports as
 * written (none: 5060/5061), refused without key_file and when a pattern
 * names no host. */
static void
test_custom_registrar(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) off = parse(MINIMAL, &error);
    g_autoptr(GwConfig) on = NULL;
    g_autoptr(GwConfig) bad = NULL;
    static const struct {
        const char *host;
        guint port;
        gboolean ok;
    } rows[] = {
        { "pbx1.example.com", 5060, TRUE },
        { "pbx-east.example.com", 5061, TRUE },
        { "pbx.example.com", 5060, TRUE },   /* '*' may be empty */
        { "pbx1.example.com", 5080, FALSE }, /* no port written: 5060/1 */
        { "pbx1.evil.example.com", 5060, FALSE }, /* not across a '.' */
        { "pbx1.example.com.evil", 5060, FALSE },
        { "xpbx1.example.com", 5060, FALSE },
        { "127.0.0.5", 5082, TRUE },
        { "127.0.0.5", 5060, FALSE },
        { "127.0.0.1.evil.example", 5082, FALSE },
        { "192.0.2.7", 6000, TRUE },         /* :* any port */
        { "2001:db8::5", 5062, TRUE },
        { "2001:db8::6", 5062, FALSE },
        { NULL, 5060, FALSE },
    };

    g_assert_no_error(error);
    g_assert_null(off->accounts.allow_custom_registrar);
    g_assert_false(gw_config_allows_registrar(off, "pbx1.example.com", 5060));
    on = parse(MINIMAL "[accounts]\nenabled = true\nregistrar = sip:pbx.test\n"
                       "key_file = /k\nallow_custom_registrar = "
                       "PBX*.example.com; 127.0.0.*:5082;192.0.2.7:*;"
                       "[2001:DB8::5]:5062\n", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(on->accounts.allow_custom_registrar[0], ==,
                    "pbx*.example.com");
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++)
        if (gw_config_allows_registrar(on, rows[i].host,
                                       (guint16)rows[i].port) != rows[i].ok)
            g_error("registrar %s:%u: expected %s", rows[i].host,
                    rows[i].port, rows[i].ok ? "allowed" : "refused");

    bad = parse(MINIMAL "[accounts]\nenabled = true\nregistrar = sip:pbx.test\n"
                        "realm = pbx.test\n"
                        "allow_custom_registrar = *.*;pbx:0;a b;[::1;"
                        "pbx.example.com\n", &error);
    g_assert_null(bad);
    g_assert_error(error, GW_CONFIG_ERROR, GW_CONFIG_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "'*.*' names no host"));
    g_assert_nonnull(strstr(error->message, "'pbx:0' is not HOST"));
    g_assert_nonnull(strstr(error->message, "'a b' is not HOST"));
    g_assert_nonnull(strstr(error->message, "'[::1' is not HOST"));
    g_assert_nonnull(strstr(error->message,
                            "[accounts] allow_custom_registrar: needs "
                            "key_file"));
    g_clear_error(&error);
    /* an empty list is the default: nothing allowed, nothing needed */
    g_clear_pointer(&on, gw_config_free);
    on = parse(MINIMAL "[accounts]\nenabled = true\nregistrar = sip:pbx.test\n"
                       "realm = pbx.test\nallow_custom_registrar =\n",
               &error);
    g_assert_no_error(error);
    g_assert_null(on->accounts.allow_custom_registrar);
}

static void
test_admin(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) off = parse(MINIMAL, &error);
    g_autoptr(GwConfig) on = NULL;
    g_autoptr(GwConfig) bad = NULL;

    g_assert_no_error(error);
    g_assert_null(off->admin.http_listen);
    /* loopback by default, nobody else */
    g_assert_true(gw_config_allows_admin_http(off, "127.0.0.1"));
    g_assert_true(gw_config_allows_admin_http(off, "::1"));
    g_assert_false(gw_config_allows_admin_http(off, "192.0.2.1"));
    g_assert_false(gw_config_is_admin(off, "admin@example.com"));

    on = parse(MINIMAL "[admin]\nhttp_listen = [::1]:9464\n"
                       "http_allow = 10.0.0.0/8\njids = Admin@example.com\n",
               &error);
    g_assert_no_error(error);
    g_assert_cmpstr(on->admin.http_listen, ==, "[::1]:9464");
    g_assert_true(gw_config_allows_admin_http(on, "10.1.2.3"));
    g_assert_false(gw_config_allows_admin_http(on, "127.0.0.1"));
    g_assert_true(gw_config_is_admin(on, "admin@example.com"));
    g_assert_false(gw_config_is_admin(on, "alice@example.com"));

    bad = parse(MINIMAL "[admin]\nhttp_listen = 127.0.0.1:94a64\n"
                        "http_allow = nowhere\n",
                &error);
    g_assert_null(bad);
    g_assert_nonnull(strstr(error->message, "[admin] http_listen"));
    g_assert_nonnull(strstr(error->message, "[admin] http_allow"));
}

static void
test_address_port(void)
{
    static const struct {
        const char *text;
        gboolean ok;
        const char *host;
        guint16 port;
    } rows[] = {
        { "127.0.0.1:9464", TRUE, "127.0.0.1", 9464 },
        { "[::1]:2223", TRUE, "::1", 2223 },
        { "[2001:db8::1]:1", TRUE, "2001:db8::1", 1 },
        { "0.0.0.0:65535", TRUE, "0.0.0.0", 65535 },
        { "127.0.0.1:0", FALSE, NULL, 0 },
        { "127.0.0.1:65536", FALSE, NULL, 0 },
        { "127.0.0.1:50a60", FALSE, NULL, 0 },
        { "127.0.0.1", FALSE, NULL, 0 },
        { "::1:9464", FALSE, NULL, 0 },      /* IPv6 needs brackets */
        { "[127.0.0.1]:9464", FALSE, NULL, 0 }, /* IPv4 must not have them */
        { "localhost:9464", FALSE, NULL, 0 }, /* no names */
        { "[::1]9464", FALSE, NULL, 0 },
        { "", FALSE, NULL, 0 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *host = NULL;
        guint16 port = 0;
        gboolean ok = gw_address_port_parse(rows[i].text, &host, &port);

        g_assert_cmpint(ok, ==, rows[i].ok);
        if (ok) {
            g_assert_cmpstr(host, ==, rows[i].host);
            g_assert_cmpuint(port, ==, rows[i].port);
        }
    }
    g_assert_false(gw_address_port_parse(NULL, NULL, NULL));
}

static void
test_mapping_errors_surface(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) c = parse(
        MINIMAL "rules = this is not a rule\n", &error);

    g_assert_null(c);
    g_assert_nonnull(strstr(error->message, "[mapping]"));
}

static void
test_restart_keys(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwConfig) a = parse(MINIMAL, &error);
    g_autoptr(GwConfig) b = parse(
        "[xmpp]\ncomponent_domain = sip.test\nsecret = y\nport = 5348\n"
        "[mapping]\nsip_domain = pbx.test\n[limits]\nmax_message_bytes=1000\n",
        &error);
    g_auto(GStrv) keys = gw_config_restart_keys(a, b);

    g_assert_no_error(error);
    g_assert_nonnull(keys);
    g_assert_true(g_strv_contains((const char *const *)keys, "xmpp.port"));
    g_assert_true(g_strv_contains((const char *const *)keys, "xmpp.secret"));
    /* reloadable keys are not listed */
    g_assert_false(g_strv_contains((const char *const *)keys,
                                   "limits.max_message_bytes"));
}

static void
test_reference(void)
{
    g_autoptr(GString) s = g_string_new(NULL);

    gw_config_print_reference(s);
    g_assert_nonnull(strstr(s->str, "[xmpp]"));
    g_assert_nonnull(strstr(s->str, "component_domain"));
    g_assert_nonnull(strstr(s->str, "allow_messages"));
    /* numbers as numbers, every key with a type */
    g_assert_null(strstr(s->str, "e+0"));
    g_assert_nonnull(strstr(s->str, "range 10 to 3600000"));
    g_assert_null(strstr(s->str, "see help"));
    g_assert_nonnull(strstr(s->str, "one of message, info, debug"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/minimal", test_minimal);
    g_test_add_func("/config/example-file", test_example_file);
    g_test_add_func("/config/accounts", test_accounts);
    g_test_add_func("/config/custom-registrar", test_custom_registrar);
    g_test_add_func("/config/every-problem", test_every_problem_reported);
    g_test_add_func("/config/secret-sources", test_secret_sources);
    g_test_add_func("/config/register-needs-registrar",
                    test_register_needs_registrar);
    g_test_add_func("/config/acl", test_acl);
    g_test_add_func("/config/deprecated-keys", test_deprecated_keys);
    g_test_add_func("/config/trusted-sources", test_trusted_sources);
    g_test_add_func("/config/admin", test_admin);
    g_test_add_func("/config/address-port", test_address_port);
    g_test_add_func("/config/mapping-errors", test_mapping_errors_surface);
    g_test_add_func("/config/restart-keys", test_restart_keys);
    g_test_add_func("/config/reference", test_reference);
    return g_test_run();
}
