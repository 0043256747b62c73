/* tests/test_map_prop.c: property tests of mapping/ (issue #2), seeded
 * with g_test_rand (rerun a failure with --seed=...).
 *
 * /map/prop/round-trip/jid       random unicode localparts on the component
 * /map/prop/round-trip/sip       random SIP users with escapable characters,
 *                                in random (but equivalent) encodings, with
 *                                random parameters and headers
 * /map/prop/round-trip/foreign   the same on allowed foreign domains
 * /map/prop/round-trip/rule      the same through a domain rule
 * /map/prop/round-trip/e164      random E.164 numbers in every form
 * /map/prop/round-trip/static    random static tables
 * /map/prop/answers-are-fixed-points   anything that maps, maps back to
 *                                      itself (wild input)
 * /map/prop/jid-fast-path        the ASCII fast path of the JID parser
 *                                agrees with the general one
 * /map/prop/sip-fast-path        the fast URI splitter agrees with Sofia's
 *                                url_d()
 * /map/prop/escape               XEP-0106 escape/unescape are inverse
 */
#include "map.h"
#include "map_private.h"

#include <string.h>

static const char *const foreign[] = {"other.net", "partner.example:5070",
                                      NULL};
static const char *const rules[] = {"*@example.org = sip:*@gw.example.org",
                                    NULL};

static MapTable *
prop_table(const char *static_data, MapNumberForm numbers_as)
{
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .trunk_domain = "trunk.example.com",
        .numbers_as = numbers_as,
        .default_country_code = "1",
        .international_prefix = "011",
        .foreign_domains = foreign,
        .rules = rules,
        .static_data = static_data,
        .static_len = -1,
        .static_source = "prop.map",
    };
    g_autoptr(GError) error = NULL;
    MapTable *t = map_table_new(&config, &error);

    g_assert_no_error(error);
    return t;
}

static guint
iterations(void)
{
    return g_test_quick() ? 2000 : 20000;
}

/* ---- generators ------------------------------------------------------ */

/* Characters a localpart takes as they are (after XEP-0106 escaping),
 * already lower case and NFC: such a raw string must always map. */
static const char *const safe_chars[] = {
    "a",
    "b",
    "c",
    "x",
    "y",
    "z",
    "0",
    "1",
    "9",
    ".",
    "-",
    "_",
    "!",
    "$",
    "%",
    "*",
    "+",
    "=",
    "?",
    "^",
    "{",
    "}",
    "|",
    "~",
    "#",
    "`",
    ";",
    ",",
    "\\",
    " ",
    "\"",
    "&",
    "'",
    "/",
    ":",
    "<",
    ">",
    "\xc3\xa9",     /* é */
    "\xc3\xb1",     /* ñ */
    "\xc3\x9f",     /* ß */
    "\xce\xb1",     /* α */
    "\xcf\x89",     /* ω */
    "\xd0\xb6",     /* ж */
    "\xe4\xb8\xad", /* 中 */
    "\xe6\x96\x87", /* 文 */
    "\xd9\xa3",     /* ٣ (Arabic-Indic digit, Nd) */
    "\\20",
    "\\5c",
    "\\40", /* text that looks like an escape */
};

/* Characters that may not survive: upper case, NFD, symbols, controls. */
static const char *const wild_chars[] = {
    "A",
    "Z",
    "\xc3\x89",
    "\xce\xa3",
    "e\xcc\x81",
    "\xcc\x81",
    "\xe2\x98\x83",
    "\x01",
    "\x7f",
    "\xe2\x80\x8d",
    "\xc2\xa0",
    "@",
    "+",
    "5",
    " ",
};

static GString *
random_raw(gboolean wild, guint min, guint max)
{
    GString *s = g_string_new(NULL);
    guint n = (guint)g_test_rand_int_range((gint32)min, (gint32)max + 1);

    /* a letter first and last: no leading/trailing space, no "+digits" */
    g_string_append_c(s, (char)g_test_rand_int_range('a', 'z' + 1));
    for (guint i = 0; i < n; i++) {
        if (wild && g_test_rand_int_range(0, 4) == 0)
            g_string_append(
                s,
                wild_chars[g_test_rand_int_range(0, G_N_ELEMENTS(wild_chars))]);
        else
            g_string_append(
                s,
                safe_chars[g_test_rand_int_range(0, G_N_ELEMENTS(safe_chars))]);
    }
    g_string_append_c(s, (char)g_test_rand_int_range('a', 'z' + 1));
    return s;
}

/* One of the many equivalent ways to write raw bytes as a SIP user part:
 * each byte allowed plain either plain or %-escaped, in either hex case. */
static GString *
random_encoding(const char *raw, gsize len)
{
    static const char upper[] = "0123456789ABCDEF";
    static const char lower[] = "0123456789abcdef";
    GString *s = g_string_new(NULL);

    for (gsize i = 0; i < len; i++) {
        guchar c = (guchar)raw[i];

        if (map_sip_user_char_plain(c) && g_test_rand_int_range(0, 4) != 0) {
            g_string_append_c(s, (char)c);
        } else {
            const char *hex = g_test_rand_bit() ? upper : lower;

            g_string_append_c(s, '%');
            g_string_append_c(s, hex[c >> 4]);
            g_string_append_c(s, hex[c & 15]);
        }
    }
    return s;
}

static const char *
random_tail(void)
{
    static const char *const tails[] = {
        "",
        "",
        ";transport=tcp",
        ";lr",
        ";user=ip",
        ";maddr=192.0.2.1",
        "?subject=hi",
        ";transport=tls?priority=urgent",
    };

    return tails[g_test_rand_int_range(0, G_N_ELEMENTS(tails))];
}

/* ---- checks ---------------------------------------------------------- */

/* An answer is a fixed point: its JID and its URI each map to the same
 * pair (and the same kind and rule). */
static void
assert_fixed_point(const MapTable *t, const MapResult *r)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MapResult) a = map_table_lookup_jid(t, r->jid, &error);
    g_autoptr(MapResult) b = NULL;

    if (a == NULL)
        g_error("jid '%s' of an answer does not map: %s", r->jid,
                error->message);
    g_assert_cmpstr(a->jid, ==, r->jid);
    g_assert_cmpstr(a->sip_uri, ==, r->sip_uri);
    g_assert_cmpint(a->kind, ==, r->kind);
    g_assert_cmpstr(a->rule, ==, r->rule);
    b = map_table_lookup_sip(t, r->sip_uri, &error);
    if (b == NULL)
        g_error("uri '%s' of an answer does not map: %s", r->sip_uri,
                error->message);
    g_assert_cmpstr(b->jid, ==, r->jid);
    g_assert_cmpstr(b->sip_uri, ==, r->sip_uri);
    g_assert_cmpint(b->kind, ==, r->kind);
    g_assert_cmpstr(b->rule, ==, r->rule);
}

/* Exactly one of answer and error, and an error that a log line carries. */
static void
assert_one_of(const MapResult *r, const GError *error)
{
    g_assert_true((r == NULL) != (error == NULL));
    if (error != NULL) {
        g_assert_true(error->domain == MAP_ERROR);
        g_assert_cmpint(error->code, <=, MAP_ERROR_NO_RULE);
        g_assert_true(g_utf8_validate(error->message, -1, NULL));
        g_assert_null(strchr(error->message, '\n'));
    }
}

/* ---- properties ------------------------------------------------------ */

static void
test_round_trip_jid(void)
{
    g_autoptr(MapTable) t = prop_table(NULL, MAP_NUMBERS_SIP);

    for (guint i = 0; i < iterations(); i++) {
        g_autoptr(GString) raw = random_raw(FALSE, 0, 12);
        g_autofree char *local = map_jid_escape(raw->str);
        g_autofree char *jid = g_strconcat(local, "@sip.example.com", NULL);
        g_autofree char *user = map_sip_user_encode(raw->str, raw->len);
        g_autofree char *want =
            g_strconcat("sip:", user, "@pbx.example.com", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(MapResult) r = map_table_lookup_jid(t, jid, &error);

        if (r == NULL)
            g_error("'%s' (raw '%s') does not map: %s", jid, raw->str,
                    error->message);
        g_assert_cmpstr(r->jid, ==, jid);
        g_assert_cmpstr(r->sip_uri, ==, want);
        g_assert_cmpint(r->kind, ==, MAP_KIND_SIP_USER);
        assert_fixed_point(t, r);
    }
}

static void
test_round_trip_sip(void)
{
    g_autoptr(MapTable) t = prop_table(NULL, MAP_NUMBERS_SIP);

    for (guint i = 0; i < iterations(); i++) {
        g_autoptr(GString) raw = random_raw(FALSE, 0, 12);
        g_autoptr(GString) enc = random_encoding(raw->str, raw->len);
        g_autofree char *uri = g_strdup_printf(
            "%s:%s@%s%s", g_test_rand_bit() ? "sip" : "sips", enc->str,
            g_test_rand_bit() ? "pbx.example.com" : "PBX.Example.Com.",
            random_tail());
        g_autofree char *user = map_sip_user_encode(raw->str, raw->len);
        g_autofree char *want =
            g_strconcat("sip:", user, "@pbx.example.com", NULL);
        g_autofree char *local = map_jid_escape(raw->str);
        g_autofree char *jid = g_strconcat(local, "@sip.example.com", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(MapResult) r = map_table_lookup_sip(t, uri, &error);

        if (r == NULL)
            g_error("'%s' (raw '%s') does not map: %s", uri, raw->str,
                    error->message);
        g_assert_cmpstr(r->sip_uri, ==, want);
        g_assert_cmpstr(r->jid, ==, jid);
        assert_fixed_point(t, r);
    }
}

static void
test_round_trip_foreign(void)
{
    g_autoptr(MapTable) t = prop_table(NULL, MAP_NUMBERS_SIP);
    static const char *const hosts[] = {"other.net", "other.net:5080",
                                        "partner.example:5070"};

    for (guint i = 0; i < iterations(); i++) {
        g_autoptr(GString) raw = random_raw(FALSE, 0, 10);
        g_autoptr(GString) enc = random_encoding(raw->str, raw->len);
        const char *host = hosts[g_test_rand_int_range(0, 3)];
        g_autofree char *uri =
            g_strdup_printf("sip:%s@%s%s", enc->str, host, random_tail());
        g_autofree char *user = map_sip_user_encode(raw->str, raw->len);
        g_autofree char *want = g_strconcat("sip:", user, "@", host, NULL);
        g_autofree char *full = g_strconcat(raw->str, "@", host, NULL);
        g_autofree char *local = map_jid_escape(full);
        g_autofree char *jid = g_strconcat(local, "@sip.example.com", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(MapResult) r = map_table_lookup_sip(t, uri, &error);

        if (r == NULL)
            g_error("'%s' does not map: %s", uri, error->message);
        g_assert_cmpstr(r->sip_uri, ==, want);
        g_assert_cmpstr(r->jid, ==, jid);
        g_assert_cmpint(r->kind, ==, MAP_KIND_FOREIGN);
        assert_fixed_point(t, r);
    }
}

static void
test_round_trip_rule(void)
{
    g_autoptr(MapTable) t = prop_table(NULL, MAP_NUMBERS_SIP);

    for (guint i = 0; i < iterations(); i++) {
        g_autoptr(GString) raw = random_raw(FALSE, 0, 12);
        g_autofree char *local = map_jid_escape(raw->str);
        g_autofree char *jid = g_strconcat(local, "@example.org", NULL);
        g_autofree char *user = map_sip_user_encode(raw->str, raw->len);
        g_autofree char *want =
            g_strconcat("sip:", user, "@gw.example.org", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(MapResult) r = map_table_lookup_jid(t, jid, &error);

        if (r == NULL)
            g_error("'%s' does not map: %s", jid, error->message);
        g_assert_cmpstr(r->sip_uri, ==, want);
        g_assert_cmpint(r->kind, ==, MAP_KIND_XMPP_USER);
        assert_fixed_point(t, r);
    }
}

/* "+15551234567" -> "+1 (555) 123-4567"-ish: separators in random places */
static char *
with_separators(const char *digits, const char *seps)
{
    GString *s = g_string_new(NULL);

    for (const char *p = digits; *p != '\0'; p++) {
        g_string_append_c(s, *p);
        if (p[1] != '\0' && g_test_rand_int_range(0, 3) == 0)
            g_string_append_c(
                s, seps[g_test_rand_int_range(0, (gint32)strlen(seps))]);
    }
    return g_string_free(s, FALSE);
}

static void
test_round_trip_e164(void)
{
    g_autoptr(MapTable) sip_t = prop_table(NULL, MAP_NUMBERS_SIP);
    g_autoptr(MapTable) tel_t = prop_table(NULL, MAP_NUMBERS_TEL);

    for (guint i = 0; i < iterations(); i++) {
        guint n = (guint)g_test_rand_int_range(1, 16);
        g_autoptr(GString) digits = g_string_new(NULL);
        g_autofree char *e164 = NULL, *jid = NULL, *sep = NULL;
        char *forms[6] = {NULL};

        g_string_append_c(digits, (char)g_test_rand_int_range('1', '9' + 1));
        while (digits->len < n)
            g_string_append_c(digits,
                              (char)g_test_rand_int_range('0', '9' + 1));
        e164 = g_strconcat("+", digits->str, NULL);
        jid = g_strconcat(e164, "@sip.example.com", NULL);
        sep = with_separators(digits->str, "-.()");
        forms[0] = g_strconcat("tel:+", sep, NULL);
        forms[1] =
            g_strconcat("sip:+", sep, "@trunk.example.com;user=phone", NULL);
        forms[2] = g_strconcat("sip:", e164, "@pbx.example.com", NULL);
        forms[3] = g_strconcat("sip:", e164, "@other.net;user=phone", NULL);
        forms[4] = g_strconcat("+", sep, NULL);            /* dialled */
        forms[5] = g_strconcat("011 ", digits->str, NULL); /* dialled */
        for (guint f = 0; f < G_N_ELEMENTS(forms); f++) {
            MapTable *t = f % 2 ? sip_t : tel_t;
            g_autoptr(GError) error = NULL;
            g_autoptr(MapResult) r = map_table_lookup_any(t, forms[f], &error);

            if (r == NULL)
                g_error("'%s' does not map: %s", forms[f], error->message);
            g_assert_cmpstr(r->jid, ==, jid);
            g_assert_cmpint(r->kind, ==, MAP_KIND_PHONE);
            if (t == tel_t) {
                g_autofree char *tel = g_strconcat("tel:", e164, NULL);

                g_assert_cmpstr(r->sip_uri, ==, tel);
            }
            assert_fixed_point(t, r);
            if (f >= 4) {
                g_autofree char *norm =
                    map_table_normalize_number(t, forms[f], &error);

                g_assert_no_error(error);
                g_assert_cmpstr(norm, ==, e164);
            }
        }
        for (guint f = 0; f < G_N_ELEMENTS(forms); f++)
            g_free(forms[f]);
        /* one digit more than E.164 allows */
        if (n == 15) {
            g_autofree char *too_long = g_strconcat(e164, "7", NULL);
            g_autoptr(GError) error = NULL;
            g_autoptr(MapResult) r =
                map_table_lookup_any(sip_t, too_long, &error);

            g_assert_null(r);
            g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
        }
    }
}

static void
test_round_trip_static(void)
{
    static const char *const jid_domains[] = {"example.com", "Example.NET",
                                              "b\303\274cher.example",
                                              "sip.example.com"};
    static const char *const sip_hosts[] = {
        "pbx.example.com", "legacy.example.net", "legacy.example.net:5070",
        "[2001:db8::5]", "192.0.2.7"};
    guint rounds = g_test_quick() ? 5 : 20;

    for (guint round = 0; round < rounds; round++) {
        guint n = (guint)g_test_rand_int_range(1, 300);
        g_autoptr(GString) file = g_string_new("# random static entries\n");
        g_autoptr(GPtrArray) jids = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) uris = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) wants = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(MapTable) t = NULL;

        for (guint i = 0; i < n; i++) {
            /* the index keeps both sides unique */
            g_autoptr(GString) lraw = random_raw(FALSE, 0, 6);
            g_autoptr(GString) uraw = random_raw(TRUE, 0, 6);
            g_autofree char *local = NULL;
            g_autofree char *user = NULL;
            g_autoptr(GString) enc = NULL;
            const char *host = sip_hosts[g_test_rand_int_range(0, 5)];
            const char *domain = jid_domains[g_test_rand_int_range(0, 4)];

            g_string_append_printf(lraw, "%u", i);
            g_string_append_printf(uraw, "%u", i);
            /* wild SIP user parts are fine in a static entry, as long as
             * they are bytes: no NUL */
            local = map_jid_escape(lraw->str);
            user = map_sip_user_encode(uraw->str, uraw->len);
            enc = random_encoding(uraw->str, uraw->len);
            if (g_test_rand_int_range(0, 10) == 0) {
                g_autofree char *num = g_strdup_printf("+1999%07u", i);

                g_string_append_printf(file, "%s@%s = tel:%s\n", local, domain,
                                       num);
                g_ptr_array_add(
                    uris, g_strdup_printf("sip:%s@trunk.example.com;user=phone",
                                          num));
                g_ptr_array_add(wants, g_strconcat("tel:", num, NULL));
            } else {
                g_string_append_printf(file, "%s@%s = sip:%s@%s\n", local,
                                       domain, enc->str, host);
                g_ptr_array_add(uris, g_strdup_printf("sip:%s@%s%s", enc->str,
                                                      host, random_tail()));
                g_ptr_array_add(wants,
                                g_strdup_printf("sip:%s@%s", user, host));
            }
            g_ptr_array_add(jids, g_strconcat(local, "@", domain, NULL));
        }
        t = prop_table(file->str,
                       g_test_rand_bit() ? MAP_NUMBERS_SIP : MAP_NUMBERS_TEL);
        g_assert_cmpuint(map_table_get_n_static(t), ==, n);
        for (guint i = 0; i < n; i++) {
            g_autoptr(GError) error = NULL;
            g_autofree char *bare = map_jid_bare(jids->pdata[i], &error);
            g_autoptr(MapResult) a =
                map_table_lookup_jid(t, jids->pdata[i], &error);
            g_autoptr(MapResult) b = NULL;

            g_assert_no_error(error);
            g_assert_cmpstr(a->sip_uri, ==, wants->pdata[i]);
            b = map_table_lookup_sip(t, uris->pdata[i], &error);
            if (b == NULL)
                g_error("'%s' does not map: %s", (char *)uris->pdata[i],
                        error->message);
            g_assert_cmpstr(b->jid, ==, bare);
            g_assert_cmpstr(b->sip_uri, ==, wants->pdata[i]);
            g_assert_true(g_str_has_prefix(b->rule, "static prop.map:"));
            assert_fixed_point(t, b);
        }
    }
}

/* Wild input: whatever maps is a fixed point; whatever does not, says so. */
static void
test_fixed_points(void)
{
    g_autoptr(MapTable) t =
        prop_table("alice@example.com = sip:alice@pbx.example.com\n"
                   "x\\40other.net@sip.example.com = sip:x@pbx.example.com\n"
                   "Bob@example.com = sip:Bob@pbx.example.com\n",
                   MAP_NUMBERS_SIP);
    static const char *const hosts[] = {
        "pbx.example.com",      "trunk.example.com", "other.net",
        "partner.example:5070", "gw.example.org",    "evil.example"};
    static const char *const domains[] = {"sip.example.com", "example.org",
                                          "example.com"};

    guint mapped_sip = 0, mapped_jid = 0;

    for (guint i = 0; i < iterations(); i++) {
        g_autoptr(GString) raw = random_raw(TRUE, 0, 8);
        g_autoptr(GString) enc = random_encoding(raw->str, raw->len);
        g_autofree char *uri =
            g_strdup_printf("sip:%s@%s%s", enc->str,
                            hosts[g_test_rand_int_range(0, 6)], random_tail());
        g_autofree char *local = map_jid_escape(raw->str);
        g_autofree char *jid =
            g_strdup_printf("%s@%s", g_test_rand_bit() ? local : raw->str,
                            domains[g_test_rand_int_range(0, 3)]);
        GError *error = NULL;
        MapResult *r = map_table_lookup_sip(t, uri, &error);

        assert_one_of(r, error);
        if (r != NULL) {
            assert_fixed_point(t, r);
            mapped_sip++;
        }
        map_result_free(r);
        g_clear_error(&error);
        r = map_table_lookup_jid(t, jid, &error);
        assert_one_of(r, error);
        if (r != NULL) {
            assert_fixed_point(t, r);
            mapped_jid++;
        }
        map_result_free(r);
        g_clear_error(&error);
    }
    g_test_message("%u of %u uris and %u jids mapped", mapped_sip, iterations(),
                   mapped_jid);
    g_assert_cmpuint(mapped_sip, >, 0);
    g_assert_cmpuint(mapped_jid, >, 0);
}

static void
test_jid_fast_path(void)
{
    static const char alphabet[] = "aZz09.-@/_[]:\\\"% \x01\x80";

    for (guint i = 0; i < iterations() * 5; i++) {
        char s[24];
        guint n = (guint)g_test_rand_int_range(0, (gint32)sizeof s);
        MapJid fast = {0}, slow = {0};
        g_autoptr(GError) e1 = NULL;
        g_autoptr(GError) e2 = NULL;
        gboolean ok1, ok2;

        for (guint k = 0; k < n; k++)
            s[k] = alphabet[g_test_rand_int_range(0, sizeof alphabet - 1)];
        s[n] = '\0';
        ok1 = map_jid_parse(s, TRUE, &fast, &e1);
        ok2 = map_jid_parse_slow(s, TRUE, &slow, &e2);
        g_assert_cmpint(ok1, ==, ok2);
        if (ok1) {
            g_assert_cmpstr(fast.bare, ==, slow.bare);
            g_assert_cmpuint(fast.local_len, ==, slow.local_len);
            g_assert_cmpint(fast.has_local, ==, slow.has_local);
            g_assert_cmpstr(fast.resource, ==, slow.resource);
        } else {
            g_assert_cmpstr(e1->message, ==, e2->message);
        }
        map_jid_clear(&fast);
        map_jid_clear(&slow);
    }
}

/* Both ways of splitting a URI (our fast splitter, Sofia's url_d()) must
 * give one answer: the same parts, or the same error. */
static void
assert_same_parse(const char *uri)
{
    MapNumberPlan plan = {.country_code = "1", .intl_prefix = "011"};
    MapSip a = {0}, b = {0};
    g_autoptr(GError) ea = NULL;
    g_autoptr(GError) eb = NULL;
    gboolean ok_a = map_sip_parse(uri, &plan, MAP_SIP_NAME_ADDR, &a, &ea);
    gboolean ok_b = map_sip_parse(
        uri, &plan, MAP_SIP_NAME_ADDR | MAP_SIP_SOFIA_ONLY, &b, &eb);

    if (ok_a != ok_b)
        g_error("'%s': fast %s, sofia %s", uri, ok_a ? "ok" : ea->message,
                ok_b ? "ok" : eb->message);
    if (ok_a) {
        g_assert_cmpint(a.scheme, ==, b.scheme);
        g_assert_cmpstr(a.user, ==, b.user);
        g_assert_cmpstr(a.hostport, ==, b.hostport);
        g_assert_cmpint(a.phone, ==, b.phone);
        g_assert_cmpint(a.user_phone, ==, b.user_phone);
    } else {
        g_assert_cmpint(ea->code, ==, eb->code);
        g_assert_cmpstr(ea->message, ==, eb->message);
    }
    map_sip_clear(&a);
    map_sip_clear(&b);
}

static void
test_sip_fast_path(void)
{
    static const char *const schemes[] = {
        "sip:", "SIPS:", "sips:", "tel:", "sip:/", "<sip:"};
    static const char *const user_bits[] = {
        "a", "Z", "0", "+", "1", "%41", "%3c", "%3C", "%zz", "%",       "%00",
        ";", "?", "/", ":", "#", " ",   "&",   "=",   "$",   ",",       "-",
        "_", "!", "~", "*", "'", "(",   ")",   "\"",  "%40", "\xc3\xa9"};
    static const char *const hosts[] = {"pbx.example.com",
                                        "PBX.Example.COM.",
                                        "x",
                                        "-x",
                                        "x-",
                                        "a..b",
                                        "192.0.2.1",
                                        "192.0.2.300",
                                        "[2001:db8::1]",
                                        "[::1",
                                        "h_x",
                                        "h%41",
                                        "",
                                        "h@x",
                                        "a.b-c.d"};
    static const char *const ports[] = {
        "", "", ":5060", ":0", ":99999", ":", ":*", ":050", ":5060:5061"};
    static const char *const tails[] = {"",
                                        "",
                                        ";user=phone",
                                        ";USER=Phone",
                                        ";transport=tcp;lr",
                                        ";",
                                        ";;",
                                        ";x=a b",
                                        ";x=%41",
                                        "?subject=x",
                                        "?",
                                        ";lr?h=%20",
                                        "#frag",
                                        ";user=phone?x=y",
                                        ">",
                                        "/path"};

    for (guint i = 0; i < iterations() * 5; i++) {
        g_autoptr(GString) uri = g_string_new(
            schemes[g_test_rand_int_range(0, G_N_ELEMENTS(schemes))]);
        guint n = (guint)g_test_rand_int_range(0, 6);

        for (guint k = 0; k < n; k++)
            g_string_append(
                uri,
                user_bits[g_test_rand_int_range(0, G_N_ELEMENTS(user_bits))]);
        if (g_test_rand_int_range(0, 8) != 0)
            g_string_append_c(uri, '@');
        g_string_append(uri,
                        hosts[g_test_rand_int_range(0, G_N_ELEMENTS(hosts))]);
        g_string_append(uri,
                        ports[g_test_rand_int_range(0, G_N_ELEMENTS(ports))]);
        g_string_append(uri,
                        tails[g_test_rand_int_range(0, G_N_ELEMENTS(tails))]);
        assert_same_parse(uri->str);
    }
}

static void
test_escape(void)
{
    static const char alphabet[] = "ab\\25cf4 0@:/&'\"<>";

    for (guint i = 0; i < iterations() * 5; i++) {
        char s[16];
        guint n = (guint)g_test_rand_int_range(0, (gint32)sizeof s);
        g_autofree char *esc = NULL, *back = NULL, *un = NULL, *re = NULL;

        for (guint k = 0; k < n; k++)
            s[k] = alphabet[g_test_rand_int_range(0, sizeof alphabet - 1)];
        s[n] = '\0';
        esc = map_jid_escape(s);
        back = map_jid_unescape(esc);
        g_assert_cmpstr(back, ==, s);
        /* an escaped string never carries what a localpart cannot */
        g_assert_null(strpbrk(esc, " \"&'/:<>@"));
        /* unescape then escape is the identity exactly on canonical text */
        un = map_jid_unescape(s);
        re = map_jid_escape(un);
        if (strcmp(re, s) == 0) {
            g_autofree char *again = map_jid_unescape(re);

            g_assert_cmpstr(again, ==, un);
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/map/prop/round-trip/jid", test_round_trip_jid);
    g_test_add_func("/map/prop/round-trip/sip", test_round_trip_sip);
    g_test_add_func("/map/prop/round-trip/foreign", test_round_trip_foreign);
    g_test_add_func("/map/prop/round-trip/rule", test_round_trip_rule);
    g_test_add_func("/map/prop/round-trip/e164", test_round_trip_e164);
    g_test_add_func("/map/prop/round-trip/static", test_round_trip_static);
    g_test_add_func("/map/prop/answers-are-fixed-points", test_fixed_points);
    g_test_add_func("/map/prop/jid-fast-path", test_jid_fast_path);
    g_test_add_func("/map/prop/sip-fast-path", test_sip_fast_path);
    g_test_add_func("/map/prop/escape", test_escape);
    return g_test_run();
}
