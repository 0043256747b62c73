/* tests/test_map.c: table-driven tests of mapping/ (issue #2).
 *
 * /map/jid/{valid,invalid}/<case>     map_jid_split() and friends
 * /map/escape/<case>                  XEP-0106 both ways
 * /map/is-uri/<case>                  map_is_uri()
 * /map/number/<plan>/<case>           map_table_normalize_number()
 * /map/lookup/{jid,sip,any}/<case>    lookups on the table of
 *                                     tests/data/mapping/entries.map
 * /map/config/{ok,bad}/<case>         map_table_new(): counts, or the
 *                                     error with source and line
 */
#include "map.h"

#include <string.h>

/* ---- the standard table ---------------------------------------------- */

static const char *const std_foreign[] = {"other.net", "partner.example:5070",
                                          "[2001:db8::1]", NULL};
static const char *const std_rules[] = {
    "# rules from the gateway config", "*@example.org = sip:*@gw.example.org",
    "*@Corp.Example = SIPS:*@SIP.corp.example", NULL};

static MapTable *
std_table(void)
{
    g_autofree char *path = g_test_build_filename(
        G_TEST_DIST, "data", "mapping", "entries.map", NULL);
    g_autofree char *data = NULL;
    g_autoptr(GError) error = NULL;
    gsize len = 0;
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .trunk_domain = "trunk.example.com",
        .numbers_as = MAP_NUMBERS_SIP,
        .default_country_code = "1",
        .international_prefix = "011",
        .national_prefix = "1",
        .foreign_domains = std_foreign,
        .rules = std_rules,
        .rules_source = "gateway.conf [mapping] rules",
        .static_source = "entries.map",
    };
    MapTable *t;

    g_assert_true(g_file_get_contents(path, &data, &len, &error));
    config.static_data = data;
    config.static_len = (gssize)len;
    t = map_table_new(&config, &error);
    g_assert_no_error(error);
    g_assert_nonnull(t);
    return t;
}

static MapTable *the_table; /* built once in main(), read-only */

/* ---- JIDs ------------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *input;
    const char *local; /* expected, NULL: none */
    const char *domain;
    const char *resource; /* expected, NULL: none */
} JidValid;

static const JidValid jid_valid[] = {
    {"plain", "alice@example.com", "alice", "example.com", NULL},
    {"case-folded", "Alice@Example.COM/Res", "alice", "example.com", "Res"},
    {"domain-only", "example.com", NULL, "example.com", NULL},
    {"trailing-dot", "a@example.com.", "a", "example.com", NULL},
    {"resource-with-at-and-slash", "a@b.example/c@d/e", "a", "b.example",
     "c@d/e"},
    {"slash-before-at", "a/b@x", NULL, "a", "b@x"},
    {"fullwidth",
     "\xef\xbc\xa1\xef\xbc\xac\xef\xbc\xa9\xef\xbc\xa3\xef\xbc\xa5"
     "@example.com",
     "alice", "example.com", NULL},
    {"nfd-to-nfc", "e\xcc\x81@x.org", "\xc3\xa9", "x.org", NULL},
    {"upper-non-ascii",
     "\xc3\x91"
     "and\xc3\xba@x.org",
     "\xc3\xb1"
     "and\xc3\xba",
     "x.org", NULL},
    {"ipv6-literal", "user@[2001:DB8:0::1]", "user", "[2001:db8::1]", NULL},
    {"ipv4", "user@192.0.2.1", "user", "192.0.2.1", NULL},
    {"unicode-domain",
     "user@B\xc3\x9c"
     "CHER.example",
     "user",
     "b\xc3\xbc"
     "cher.example",
     NULL},
    {"a-label-kept", "user@XN--bcher-kva.example", "user",
     "xn--bcher-kva.example", NULL},
    {"backslash", "a\\5cb@x", "a\\5cb", "x", NULL},
    {"e164", "+15551234567@sip.example.com", "+15551234567", "sip.example.com",
     NULL},
    {"ascii-punctuation", "#foo!$%*=?^_`{|}~@x", "#foo!$%*=?^_`{|}~", "x",
     NULL},
    {"resource-space", "a@b/my phone", "a", "b", "my phone"},
    {"resource-nbsp", "a@b/my\xc2\xa0phone", "a", "b", "my phone"},
    {"resource-case-kept", "a@b/MiXeD", "a", "b", "MiXeD"},
    {"greek", "\xce\x9a\xce\xb1\xce\xbb\xce\xb7@x.gr",
     "\xce\xba\xce\xb1\xce\xbb\xce\xb7", "x.gr", NULL},
    {"cjk", "\xe5\xbc\xa0\xe4\xb8\x89@x.cn", "\xe5\xbc\xa0\xe4\xb8\x89", "x.cn",
     NULL},
};

static void
test_jid_valid(gconstpointer data)
{
    const JidValid *c = data;
    g_autofree char *local = NULL, *domain = NULL, *resource = NULL;
    g_autofree char *bare = NULL, *want_bare = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(map_jid_split(c->input, &local, &domain, &resource, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(local, ==, c->local);
    g_assert_cmpstr(domain, ==, c->domain);
    g_assert_cmpstr(resource, ==, c->resource);
    bare = map_jid_bare(c->input, &error);
    g_assert_no_error(error);
    want_bare = c->local ? g_strconcat(c->local, "@", c->domain, NULL)
                         : g_strdup(c->domain);
    g_assert_cmpstr(bare, ==, want_bare);
    /* canonical forms are fixed points */
    {
        g_autofree char *again = map_jid_bare(bare, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(again, ==, bare);
    }
}

/* Maximum lengths: built at run time. */
static void
test_jid_lengths(void)
{
    g_autofree char *l1023 = g_strnfill(1023, 'a');
    g_autofree char *l1024 = g_strnfill(1024, 'a');
    g_autofree char *label = g_strnfill(63, 'b');
    g_autofree char *label64 = g_strnfill(64, 'b');
    /* 16 labels of 63 + 15 dots = 1023 bytes */
    g_autoptr(GString) d1023 = g_string_new(NULL);
    g_autofree char *jid = NULL;
    g_autofree char *local = NULL, *domain = NULL, *resource = NULL;
    g_autoptr(GError) error = NULL;

    for (int i = 0; i < 16; i++)
        g_string_append_printf(d1023, "%s%s", i ? "." : "", label);
    g_assert_cmpuint(d1023->len, ==, 1023);

    jid = g_strdup_printf("%s@%s/%s", l1023, d1023->str, l1023);
    g_assert_true(map_jid_split(jid, &local, &domain, &resource, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(strlen(local), ==, 1023);
    g_assert_cmpuint(strlen(domain), ==, 1023);
    g_assert_cmpuint(strlen(resource), ==, 1023);
    g_clear_pointer(&local, g_free);
    g_clear_pointer(&jid, g_free);

    jid = g_strdup_printf("%s@x", l1024);
    g_assert_false(map_jid_split(jid, NULL, NULL, NULL, &error));
    g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "localpart is longer than 1023"));
    g_clear_error(&error);
    g_clear_pointer(&jid, g_free);

    jid = g_strdup_printf("x@%s.c", d1023->str);
    g_assert_false(map_jid_split(jid, NULL, NULL, NULL, &error));
    g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "domainpart is longer than 1023"));
    g_clear_error(&error);
    g_clear_pointer(&jid, g_free);

    jid = g_strdup_printf("x@y/%s", l1024);
    g_assert_false(map_jid_split(jid, NULL, NULL, NULL, &error));
    g_assert_nonnull(strstr(error->message, "resourcepart is longer than"));
    g_clear_error(&error);
    g_clear_pointer(&jid, g_free);

    jid = g_strdup_printf("x@%s.example", label64);
    g_assert_false(map_jid_split(jid, NULL, NULL, NULL, &error));
    g_assert_nonnull(strstr(error->message, "label longer than 63"));
    g_clear_error(&error);
    g_clear_pointer(&jid, g_free);

    /* the limit applies to the normalised form: 511 NFD e-acute (3 bytes
     * each, 2 in NFC) and one 'a' are 1534 bytes in, 1023 out */
    {
        g_autoptr(GString) nfd = g_string_new(NULL);

        for (int i = 0; i < 511; i++)
            g_string_append(nfd, "e\xcc\x81");
        g_string_append(nfd, "a@x");
        g_assert_true(map_jid_split(nfd->str, &local, NULL, NULL, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(strlen(local), ==, 1023);
        g_clear_pointer(&local, g_free);
        g_string_insert(nfd, 0, "e\xcc\x81");
        g_assert_false(map_jid_split(nfd->str, &local, NULL, NULL, &error));
        g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
    }
}

typedef struct {
    const char *name;
    const char *input;
    const char *message; /* substring of the error */
} JidInvalid;

static const JidInvalid jid_invalid[] = {
    {"empty", "", "domainpart is empty"},
    {"empty-localpart", "@example.com", "localpart is empty"},
    {"empty-domainpart", "a@", "domainpart is empty"},
    {"empty-domain-with-resource", "a@/r", "domainpart is empty"},
    {"empty-resourcepart", "a@b/", "resourcepart is empty"},
    {"space", "a b@x", "localpart contains a space or control character"},
    {"quote", "a\"b@x", "forbidden character '\"'"},
    {"ampersand", "a&b@x", "forbidden character '&'"},
    {"apostrophe", "a'b@x", "forbidden character '''"},
    {"colon", "a:b@x", "forbidden character ':'"},
    {"less-than", "a<b@x", "forbidden character '<'"},
    {"greater-than", "a>b@x", "forbidden character '>'"},
    {"second-at", "a@b@x", "domainpart contains forbidden character '@'"},
    {"control",
     "a\x01"
     "b@x",
     "space or control character"},
    {"del", "a\x7f@x", "space or control character"},
    {"invalid-utf8", "\xff@x", "not valid utf-8"},
    {"overlong-utf8", "\xc0\xaf@x", "not valid utf-8"},
    {"snowman", "a\xe2\x98\x83@x", "disallowed character U+2603"},
    {"zwj",
     "a\xe2\x80\x8d"
     "b@x",
     "disallowed character U+200D"},
    {"nbsp-local",
     "a\xc2\xa0"
     "b@x",
     "space or control character"},
    {"ideographic-space",
     "a\xe3\x80\x80"
     "b@x",
     "space or control character"},
    {"domain-space", "a@exa mple.com", "domainpart"},
    {"domain-hyphen", "a@-x.com", "starting or ending with '-'"},
    {"domain-empty-label", "a@x..com", "empty label"},
    {"domain-only-dot", "a@.", "empty label"},
    {"domain-underscore", "a@x_y.com", "forbidden character '_'"},
    {"ip-literal-v4", "a@[192.0.2.1]", "not a valid ip literal"},
    {"ip-literal-open", "a@[::1", "not a valid ip literal"},
    {"resource-control", "a@x/\x01", "resourcepart contains a space or"},
    {"resource-invalid-utf8", "a@x/\xfe", "resourcepart is not valid utf-8"},
};

static void
test_jid_invalid(gconstpointer data)
{
    const JidInvalid *c = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *local = g_strdup("untouched");
    g_autofree char *bare = NULL;

    g_assert_false(map_jid_split(c->input, &local, NULL, NULL, &error));
    g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
    if (strstr(error->message, c->message) == NULL)
        g_error("'%s': got '%s', want '%s'", c->input, error->message,
                c->message);
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    g_assert_null(strchr(error->message, '\n'));
    g_assert_cmpstr(local, ==, "untouched"); /* set on success only */
    g_clear_error(&error);
    bare = map_jid_bare(c->input, &error);
    g_assert_null(bare);
    g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
}

/* ---- XEP-0106 -------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *raw;
    const char *escaped;
} EscapeCase;

/* XEP-0106 §5 examples, plus our own */
static const EscapeCase escape_cases[] = {
    {"space", "space cadet", "space\\20cadet"},
    {"quotes", "call me \"ishmael\"", "call\\20me\\20\\22ishmael\\22"},
    {"ampersand", "at&t guy", "at\\26t\\20guy"},
    {"apostrophe", "d'artagnan", "d\\27artagnan"},
    {"slash", "/.fanboy", "\\2f.fanboy"},
    {"colons", "::foo::", "\\3a\\3afoo\\3a\\3a"},
    {"angles", "<foo>", "\\3cfoo\\3e"},
    {"at", "user@host", "user\\40host"},
    {"backslash-plain", "c:\\net", "c\\3a\\net"},
    {"backslash-double", "c:\\\\net", "c\\3a\\\\net"},
    {"backslash-cool", "c:\\cool stuff", "c\\3a\\cool\\20stuff"},
    {"backslash-before-sequence", "c:\\5commas", "c\\3a\\5c5commas"},
    {"escaped-sequence-text", "a\\20b", "a\\5c20b"},
    {"nothing", "plain", "plain"},
    {"empty", "", ""},
    {"utf8", "caf\xc3\xa9@x", "caf\xc3\xa9\\40x"},
};

static void
test_escape(gconstpointer data)
{
    const EscapeCase *c = data;
    g_autofree char *esc = map_jid_escape(c->raw);
    g_autofree char *raw = map_jid_unescape(c->escaped);

    g_assert_cmpstr(esc, ==, c->escaped);
    g_assert_cmpstr(raw, ==, c->raw);
}

static void
test_unescape_only_ten(void)
{
    g_autofree char *a = map_jid_unescape("a\\zzb\\2Fc\\4");
    g_autofree char *b = map_jid_unescape("\\5c\\5c");

    g_assert_cmpstr(a, ==, "a\\zzb\\2Fc\\4"); /* upper-case hex: not ours */
    g_assert_cmpstr(b, ==, "\\\\");
}

/* ---- map_is_uri() ---------------------------------------------------- */

typedef struct {
    const char *name;
    const char *input;
    gboolean want;
} IsUriCase;

static const IsUriCase is_uri_cases[] = {
    {"sip", "sip:a@b", TRUE},
    {"sips-upper", "SIPS:a@b", TRUE},
    {"tel", "tel:+1", TRUE},
    {"name-addr-quoted", "\"Bob \\\"B\\\"\" <sip:a@b>", TRUE},
    {"name-addr-token", "Bob Smith <sip:a@b>;tag=1", TRUE},
    {"angle-only", "<tel:+1>", TRUE},
    {"leading-space", "  sip:a@b", TRUE},
    {"jid", "alice@example.com", FALSE},
    {"jid-resource-angle", "a@b/x<sip:y>", FALSE},
    {"other-scheme", "sipx:a@b", FALSE},
    {"http", "http://x", FALSE},
    {"empty", "", FALSE},
    {"unterminated-quote", "\"Bob <sip:a@b>", FALSE},
    {"unterminated-angle", "<sip:a@b", FALSE},
    {"number", "+1 555 0100", FALSE},
};

static void
test_is_uri(gconstpointer data)
{
    const IsUriCase *c = data;

    g_assert_cmpint(map_is_uri(c->input), ==, c->want);
}

/* ---- map_uri_check() ------------------------------------------------- */

static const IsUriCase uri_check_cases[] = {
    {"plain", "sip:alice@gw.example.com", TRUE},
    {"port-params", "sip:alice@192.0.2.10:5060;transport=udp;lr", TRUE},
    {"ipv6", "sip:alice@[2001:db8::1]:5070", TRUE},
    {"no-user", "sip:gw.example.com", TRUE},
    {"sips", "sips:bob@example.com", TRUE},
    {"tel", "tel:+15551234567", TRUE},
    {"user-phone", "sip:+15551234567@gw.example.com;user=phone", TRUE},
    {"escaped-user", "sip:a%40b@gw.example.com", TRUE},
    {"password-passes", "sip:bob:secret@example.com", TRUE},
    /* the Request-URI of issue 13 2.2 */
    {"double-at", "sip:alice@@sip..localhost:99999;;transport=", FALSE},
    {"empty-label", "sip:alice@sip..localhost", FALSE},
    {"port-too-big", "sip:alice@sip.localhost:99999", FALSE},
    {"empty-param", "sip:alice@sip.localhost;;lr", FALSE},
    {"empty-param-value", "sip:alice@sip.localhost;transport=", FALSE},
    {"space-in-user", "sip:al ice@sip.localhost", FALSE},
    {"bad-escape", "sip:al%zzice@sip.localhost", FALSE},
    {"bad-host-char", "sip:alice@sip_localhost", FALSE},
    {"http", "http://example.com/", FALSE},
    {"empty", "", FALSE},
};

static void
test_uri_check(gconstpointer data)
{
    const IsUriCase *c = data;
    g_autoptr(GError) error = NULL;
    gboolean ok = map_uri_check(c->input, &error);

    g_assert_cmpint(ok, ==, c->want);
    if (!ok)
        g_assert_error(error, MAP_ERROR, MAP_ERROR_MALFORMED);
    else
        g_assert_no_error(error);
}

/* ---- numbers --------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *cc, *intl, *national; /* the plan */
    const char *input;
    const char *want; /* NULL: error */
    int code;
} NumberCase;

static const NumberCase number_cases[] = {
    /* North America: cc 1, international prefix 011, trunk prefix 1 */
    {"nanp/plus-separators", "1", "011", "1", "+1 (555) 123-4567",
     "+15551234567", 0},
    {"nanp/international", "1", "011", "1", "011 44 20 7946 0000",
     "+442079460000", 0},
    {"nanp/national", "1", "011", "1", "(555) 555-0100", "+15555550100", 0},
    {"nanp/trunk-prefix", "1", "011", "1", "1-555-555-0100", "+15555550100", 0},
    {"nanp/local-seven", "1", "011", "1", "555-0100", "+15550100", 0},
    {"nanp/dots", "1", "011", "1", "555.555.0100", "+15555550100", 0},
    {"nanp/tel-global", "1", "011", "1", "tel:+1-555-123-4567", "+15551234567",
     0},
    {"nanp/tel-local-default-cc", "1", "011", "1", "tel:555-0100", "+15550100",
     0},
    {"nanp/tel-context", "1", "011", "1", "tel:7042;phone-context=+1-555-123",
     "+15551237042", 0},
    {"nanp/tel-domain-context", "1", "011", "1",
     "tel:7042;phone-context=example.com", NULL, MAP_ERROR_NO_RULE},
    {"nanp/tel-ext", "1", "011", "1", "tel:+15551234567;ext=22", NULL,
     MAP_ERROR_NO_RULE},
    {"nanp/tel-isub", "1", "011", "1", "tel:+15551234567;isub=1", NULL,
     MAP_ERROR_NO_RULE},
    {"nanp/tel-unknown-param", "1", "011", "1", "tel:+15551234567;foo=bar",
     "+15551234567", 0},
    {"nanp/tel-star", "1", "011", "1", "tel:*67;phone-context=+1", NULL,
     MAP_ERROR_NO_RULE},
    {"nanp/sixteen-digits", "1", "011", "1", "+1234 5678 9012 3456", NULL,
     MAP_ERROR_MALFORMED},
    {"nanp/fifteen-digits", "1", "011", "1", "+123 456 789 012 345",
     "+123456789012345", 0},
    {"nanp/letters", "1", "011", "1", "1-800-FLOWERS", NULL,
     MAP_ERROR_MALFORMED},
    {"nanp/empty", "1", "011", "1", "", NULL, MAP_ERROR_MALFORMED},
    {"nanp/only-separators", "1", "011", "1", "( ) -", NULL,
     MAP_ERROR_MALFORMED},
    {"nanp/second-plus", "1", "011", "1", "+1+555", NULL, MAP_ERROR_MALFORMED},
    {"nanp/plus-zero", "1", "011", "1", "+0123", NULL, MAP_ERROR_MALFORMED},
    {"nanp/prefix-only", "1", "011", "1", "011", NULL, MAP_ERROR_MALFORMED},
    /* United Kingdom: cc 44, international 00, trunk 0 */
    {"uk/national", "44", "00", "0", "020 7946 0000", "+442079460000", 0},
    {"uk/international", "44", "00", "0", "0044 20 7946 0000", "+442079460000",
     0},
    {"uk/abroad", "44", "00", "0", "00 1 555 123 4567", "+15551234567", 0},
    /* no default country code: only numbers that carry one */
    {"none/plus", NULL, NULL, NULL, "+44 20 7946 0000", "+442079460000", 0},
    {"none/default-00", NULL, NULL, NULL, "0044 20 7946 0000", "+442079460000",
     0},
    {"none/national", NULL, NULL, NULL, "020 7946 0000", NULL,
     MAP_ERROR_NO_RULE},
    {"none/tel-local", NULL, NULL, NULL, "tel:555-0100", NULL,
     MAP_ERROR_MALFORMED},
    {"none/tel-spaces", NULL, NULL, NULL, "tel:+1 555", NULL,
     MAP_ERROR_MALFORMED},
};

static void
test_number(gconstpointer data)
{
    const NumberCase *c = data;
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .default_country_code = c->cc,
        .international_prefix = c->intl,
        .national_prefix = c->national,
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);
    g_autofree char *got = NULL;

    g_assert_no_error(error);
    got = map_table_normalize_number(t, c->input, &error);
    if (c->want != NULL) {
        g_assert_no_error(error);
        g_assert_cmpstr(got, ==, c->want);
    } else {
        g_assert_null(got);
        g_assert_error(error, MAP_ERROR, c->code);
    }
}

/* ---- lookups --------------------------------------------------------- */

typedef struct {
    const char *name;
    const char *input;
    const char *jid;     /* expected; NULL: an error */
    const char *sip_uri; /* expected */
    MapKind kind;
    const char *rule; /* expected rule, or (on error) message part */
    int code;         /* expected error code */
} LookupCase;

#define OK(n, in, j, s, k, r)                                                  \
    {                                                                          \
        n, in, j, s, k, r, -1                                                  \
    }
#define ERR(n, in, code, msg)                                                  \
    {                                                                          \
        n, in, NULL, NULL, 0, msg, code                                        \
    }

static const LookupCase lookup_jid_cases[] = {
    /* static entries: precedence over everything */
    OK("static", "alice@example.com", "alice@example.com",
       "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER, "static entries.map:2"),
    OK("static-case-and-resource", "Alice@EXAMPLE.com/phone",
       "alice@example.com", "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:2"),
    OK("static-sip-case-kept", "bob@example.com", "bob@example.com",
       "sip:Bob@pbx.example.com", MAP_KIND_XMPP_USER, "static entries.map:3"),
    OK("static-alias-on-component", "reception@sip.example.com",
       "reception@sip.example.com", "sip:100@pbx.example.com",
       MAP_KIND_SIP_USER, "static entries.map:4"),
    OK("static-tel", "carol@example.com", "carol@example.com",
       "tel:+15550100200", MAP_KIND_XMPP_USER, "static entries.map:6"),
    OK("static-user-phone", "dave@example.com", "dave@example.com",
       "sip:+15550100300@trunk.example.com;user=phone", MAP_KIND_XMPP_USER,
       "static entries.map:7"),
    OK("static-sips-port", "frank@example.com", "frank@example.com",
       "sips:frank@secure.example.net:5061", MAP_KIND_XMPP_USER,
       "static entries.map:10"),
    OK("static-equals-in-jid", "a=b@example.com", "a=b@example.com",
       "sip:a=b@legacy.example.net", MAP_KIND_XMPP_USER,
       "static entries.map:11"),
    OK("static-escaped-jid", "o\\27hara@example.com", "o\\27hara@example.com",
       "sip:O'Hara@legacy.example.net", MAP_KIND_XMPP_USER,
       "static entries.map:12"),
    /* shadowed component addresses: refused, never half a round trip */
    ERR("shadowed-by-static", "1001@sip.example.com", MAP_ERROR_NO_RULE,
        "but that maps to 'alice@example.com' (static entries.map:2)"),
    ERR("shadowed-by-alias", "100@sip.example.com", MAP_ERROR_NO_RULE,
        "static entries.map:4"),
    ERR("shadowed-number", "+15550100200@sip.example.com", MAP_ERROR_NO_RULE,
        "carol@example.com"),
    /* domain rules */
    OK("rule", "user@example.org", "user@example.org",
       "sip:user@gw.example.org", MAP_KIND_XMPP_USER,
       "domain rule *@example.org"),
    OK("rule-escaped", "o\\27brien@example.org", "o\\27brien@example.org",
       "sip:o'brien@gw.example.org", MAP_KIND_XMPP_USER,
       "domain rule *@example.org"),
    OK("rule-space", "mary\\20ann@example.org", "mary\\20ann@example.org",
       "sip:mary%20ann@gw.example.org", MAP_KIND_XMPP_USER,
       "domain rule *@example.org"),
    OK("rule-sips", "X@corp.example", "x@corp.example",
       "sips:x@sip.corp.example", MAP_KIND_XMPP_USER,
       "domain rule *@corp.example"),
    OK("rule-number", "+15551234567@example.org", "+15551234567@example.org",
       "sip:+15551234567@gw.example.org", MAP_KIND_XMPP_USER,
       "domain rule *@example.org"),
    /* component users */
    OK("component-user", "1002@sip.example.com", "1002@sip.example.com",
       "sip:1002@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-user-lower", "bob@sip.example.com", "bob@sip.example.com",
       "sip:bob@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-space", "a\\20b@sip.example.com", "a\\20b@sip.example.com",
       "sip:a%20b@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-percent", "100%@sip.example.com", "100%@sip.example.com",
       "sip:100%25@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-slash", "a\\2fb@sip.example.com", "a\\2fb@sip.example.com",
       "sip:a/b@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-backslash", "a\\b@sip.example.com", "a\\b@sip.example.com",
       "sip:a%5Cb@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-escaped-sequence", "a\\5c20b@sip.example.com",
       "a\\5c20b@sip.example.com", "sip:a%5C20b@pbx.example.com",
       MAP_KIND_SIP_USER, "component user"),
    OK("component-nfc", "caf\xc3\xa9@sip.example.com",
       "caf\xc3\xa9@sip.example.com", "sip:caf%C3%A9@pbx.example.com",
       MAP_KIND_SIP_USER, "component user"),
    OK("component-nfd-normalised", "cafe\xcc\x81@sip.example.com",
       "caf\xc3\xa9@sip.example.com", "sip:caf%C3%A9@pbx.example.com",
       MAP_KIND_SIP_USER, "component user"),
    ERR("component-noncanonical-escape", "a\\5cb@sip.example.com",
        MAP_ERROR_NO_RULE, "not escaped canonically"),
    ERR("component-leading-space", "\\20a@sip.example.com", MAP_ERROR_NO_RULE,
        "escaped space"),
    ERR("component-itself", "sip.example.com", MAP_ERROR_NO_RULE,
        "has no localpart"),
    /* phone numbers */
    OK("phone", "+15551234567@sip.example.com", "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    ERR("phone-leading-zero", "+0123@sip.example.com", MAP_ERROR_MALFORMED,
        "not an e.164 number"),
    ERR("phone-sixteen", "+1234567890123456@sip.example.com",
        MAP_ERROR_MALFORMED, "not an e.164 number"),
    OK("phone-like-user", "+1-555@sip.example.com", "+1-555@sip.example.com",
       "sip:+1-555@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    /* foreign */
    OK("foreign", "bob\\40other.net@sip.example.com",
       "bob\\40other.net@sip.example.com", "sip:bob@other.net",
       MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-any-port", "bob\\40other.net\\3a5080@sip.example.com",
       "bob\\40other.net\\3a5080@sip.example.com", "sip:bob@other.net:5080",
       MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-port", "bob\\40partner.example\\3a5070@sip.example.com",
       "bob\\40partner.example\\3a5070@sip.example.com",
       "sip:bob@partner.example:5070", MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-ipv6", "bob\\40[2001\\3adb8\\3a\\3a1]@sip.example.com",
       "bob\\40[2001\\3adb8\\3a\\3a1]@sip.example.com", "sip:bob@[2001:db8::1]",
       MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-at-in-user", "a\\40b\\40other.net@sip.example.com",
       "a\\40b\\40other.net@sip.example.com", "sip:a%40b@other.net",
       MAP_KIND_FOREIGN, "component foreign"),
    ERR("foreign-wrong-port", "bob\\40partner.example@sip.example.com",
        MAP_ERROR_NOT_PERMITTED, "'partner.example' is not an allowed"),
    ERR("foreign-not-allowed", "bob\\40evil.net@sip.example.com",
        MAP_ERROR_NOT_PERMITTED, "foreign_domains"),
    ERR("foreign-sip-domain", "bob\\40pbx.example.com@sip.example.com",
        MAP_ERROR_NO_RULE, "sip_domain"),
    ERR("foreign-rule-domain", "bob\\40gw.example.org@sip.example.com",
        MAP_ERROR_NOT_PERMITTED, "foreign_domains"),
    ERR("foreign-no-user", "\\40other.net@sip.example.com", MAP_ERROR_NO_RULE,
        "without a user part"),
    ERR("foreign-bad-host", "bob\\40-x@sip.example.com", MAP_ERROR_NO_RULE,
        "names foreign sip domain"),
    ERR("foreign-number", "+15551234567\\40other.net@sip.example.com",
        MAP_ERROR_NO_RULE, "component phone"),
    /* not ours */
    ERR("no-rule", "nobody@elsewhere.net", MAP_ERROR_NO_RULE,
        "no static entry or domain rule maps jid 'nobody@elsewhere.net'"),
    ERR("malformed", "a b@x", MAP_ERROR_MALFORMED, "jid 'a b@x': localpart"),
};

static const LookupCase lookup_sip_cases[] = {
    OK("static", "sip:1001@pbx.example.com", "alice@example.com",
       "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER, "static entries.map:2"),
    OK("static-host-case-dot-params", "SIP:1001@PBX.Example.COM.;transport=udp",
       "alice@example.com", "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:2"),
    OK("static-name-addr", "\"Alice A.\" <sip:1001@pbx.example.com>;tag=abc",
       "alice@example.com", "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:2"),
    OK("static-unreserved-escape", "sip:%31001@pbx.example.com",
       "alice@example.com", "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:2"),
    OK("static-sips-same-entry", "sips:1001@pbx.example.com",
       "alice@example.com", "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:2"),
    OK("static-headers-ignored", "sip:1001@pbx.example.com?subject=hi",
       "alice@example.com", "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:2"),
    OK("static-case-sensitive-user", "sip:Bob@pbx.example.com",
       "bob@example.com", "sip:Bob@pbx.example.com", MAP_KIND_XMPP_USER,
       "static entries.map:3"),
    OK("component-lower-user", "sip:bob@pbx.example.com", "bob@sip.example.com",
       "sip:bob@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    ERR("upper-case-user", "sip:BOB@pbx.example.com", MAP_ERROR_NO_RULE,
        "upper-case letters"),
    OK("static-alias", "sip:100@pbx.example.com", "reception@sip.example.com",
       "sip:100@pbx.example.com", MAP_KIND_SIP_USER, "static entries.map:4"),
    ERR("shadowed-alias", "sip:reception@pbx.example.com", MAP_ERROR_NO_RULE,
        "static entries.map:4"),
    OK("static-tel", "tel:+1-555-010-0200", "carol@example.com",
       "tel:+15550100200", MAP_KIND_XMPP_USER, "static entries.map:6"),
    OK("static-tel-as-sip", "sip:+15550100200@trunk.example.com;user=phone",
       "carol@example.com", "tel:+15550100200", MAP_KIND_XMPP_USER,
       "static entries.map:6"),
    OK("static-tel-as-sip-separators",
       "sip:+1-555-010-0200@pbx.example.com;user=phone", "carol@example.com",
       "tel:+15550100200", MAP_KIND_XMPP_USER, "static entries.map:6"),
    OK("static-number-as-tel", "tel:+15550100300", "dave@example.com",
       "sip:+15550100300@trunk.example.com;user=phone", MAP_KIND_XMPP_USER,
       "static entries.map:7"),
    OK("static-foreign-not-listed", "sip:erin@legacy.example.net",
       "erin@example.com", "sip:erin@legacy.example.net", MAP_KIND_XMPP_USER,
       "static entries.map:8"),
    OK("static-port", "sip:frank@secure.example.net:5061", "frank@example.com",
       "sips:frank@secure.example.net:5061", MAP_KIND_XMPP_USER,
       "static entries.map:10"),
    OK("static-escaped", "sip:O'Hara@legacy.example.net",
       "o\\27hara@example.com", "sip:O'Hara@legacy.example.net",
       MAP_KIND_XMPP_USER, "static entries.map:12"),
    ERR("static-port-missing", "sip:frank@secure.example.net",
        MAP_ERROR_NOT_PERMITTED, "foreign_domains"),
    ERR("port-is-another-domain", "sip:1002@pbx.example.com:5060",
        MAP_ERROR_NOT_PERMITTED, "'pbx.example.com:5060'"),
    /* component */
    OK("component-user", "sip:1002@pbx.example.com;transport=tcp;lr",
       "1002@sip.example.com", "sip:1002@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
    OK("component-sips", "sips:1002@pbx.example.com", "1002@sip.example.com",
       "sip:1002@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-space", "sip:a%20b@pbx.example.com", "a\\20b@sip.example.com",
       "sip:a%20b@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-slash-escaped", "sip:a%2fb@pbx.example.com",
       "a\\2fb@sip.example.com", "sip:a/b@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
    OK("component-slash", "sip:a/b@pbx.example.com", "a\\2fb@sip.example.com",
       "sip:a/b@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-percent", "sip:100%25@pbx.example.com",
       "100%@sip.example.com", "sip:100%25@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
    OK("component-backslash", "sip:a%5cb@pbx.example.com",
       "a\\b@sip.example.com", "sip:a%5Cb@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
    OK("component-quote", "sip:a%22b@pbx.example.com", "a\\22b@sip.example.com",
       "sip:a%22b@pbx.example.com", MAP_KIND_SIP_USER, "component user"),
    OK("component-user-unreserved", "sip:a&b=c+d$e,f;g?h@pbx.example.com",
       "a\\26b=c+d$e,f;g?h@sip.example.com",
       "sip:a&b=c+d$e,f;g?h@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
    OK("component-utf8", "sip:caf%c3%a9@pbx.example.com",
       "caf\xc3\xa9@sip.example.com", "sip:caf%C3%A9@pbx.example.com",
       MAP_KIND_SIP_USER, "component user"),
    OK("component-unescaped-letter", "sip:%61bc@pbx.example.com",
       "abc@sip.example.com", "sip:abc@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
    ERR("component-nfd", "sip:cafe%CC%81@pbx.example.com", MAP_ERROR_NO_RULE,
        "normalised form"),
    ERR("component-not-utf8", "sip:%ff@pbx.example.com", MAP_ERROR_NO_RULE,
        "not utf-8"),
    ERR("component-nul", "sip:a%00b@pbx.example.com", MAP_ERROR_NO_RULE,
        "escaped nul"),
    ERR("component-at", "sip:a%40b@pbx.example.com", MAP_ERROR_NO_RULE,
        "contains '@'"),
    ERR("component-leading-space", "sip:%20a@pbx.example.com",
        MAP_ERROR_NO_RULE, "starts or ends with a space"),
    ERR("component-control", "sip:a%01b@pbx.example.com", MAP_ERROR_NO_RULE,
        "cannot become a jid localpart"),
    ERR("component-symbol", "sip:a%E2%98%83@pbx.example.com", MAP_ERROR_NO_RULE,
        "U+2603"),
    /* numbers */
    OK("phone-user-phone", "sip:+1-555-123-4567@pbx.example.com;user=phone",
       "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("phone-plus-digits", "sip:+15551234567@pbx.example.com",
       "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("phone-foreign-domain", "sip:+15551234567@other.net",
       "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("phone-tel", "tel:+1-555-123-4567;foo=bar",
       "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("phone-tel-local", "tel:555-0100", "+15550100@sip.example.com",
       "sip:+15550100@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("phone-tel-context", "tel:5550100;phone-context=+1-555",
       "+15555550100@sip.example.com",
       "sip:+15555550100@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("phone-user-phone-local", "sip:555-0100@trunk.example.com;user=phone",
       "+15550100@sip.example.com",
       "sip:+15550100@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    ERR("phone-domain-context", "tel:5550100;phone-context=example.com",
        MAP_ERROR_NO_RULE, "domain phone-context"),
    ERR("phone-ext", "tel:+15551234567;ext=12", MAP_ERROR_NO_RULE, "extension"),
    ERR("phone-sixteen", "tel:+1234567890123456", MAP_ERROR_MALFORMED,
        "more than 15 digits"),
    ERR("phone-sixteen-sip", "sip:+1234567890123456@pbx.example.com",
        MAP_ERROR_MALFORMED, "not an e.164 number"),
    ERR("phone-not-allowed", "sip:+15551234567@evil.net;user=phone",
        MAP_ERROR_NOT_PERMITTED, "phone numbers"),
    ERR("phone-tel-spaces", "tel:+1 555", MAP_ERROR_MALFORMED, "not a valid"),
    /* foreign */
    OK("foreign", "sip:bob@other.net", "bob\\40other.net@sip.example.com",
       "sip:bob@other.net", MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-port", "sip:bob@Other.NET:05080",
       "bob\\40other.net\\3a5080@sip.example.com", "sip:bob@other.net:5080",
       MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-listed-port", "sip:bob@partner.example:5070",
       "bob\\40partner.example\\3a5070@sip.example.com",
       "sip:bob@partner.example:5070", MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-ipv6", "sip:bob@[2001:DB8:0::1]",
       "bob\\40[2001\\3adb8\\3a\\3a1]@sip.example.com", "sip:bob@[2001:db8::1]",
       MAP_KIND_FOREIGN, "component foreign"),
    OK("foreign-at-in-user", "sip:a%40b@other.net",
       "a\\40b\\40other.net@sip.example.com", "sip:a%40b@other.net",
       MAP_KIND_FOREIGN, "component foreign"),
    ERR("foreign-listed-port-missing", "sip:bob@partner.example",
        MAP_ERROR_NOT_PERMITTED, "foreign_domains"),
    ERR("foreign-not-allowed", "sip:bob@evil.net", MAP_ERROR_NOT_PERMITTED,
        "'evil.net' is not an allowed foreign domain"),
    /* domain rules */
    OK("rule", "sip:user@gw.example.org", "user@example.org",
       "sip:user@gw.example.org", MAP_KIND_XMPP_USER,
       "domain rule *@example.org"),
    OK("rule-apostrophe", "sip:o%27brien@gw.example.org",
       "o\\27brien@example.org", "sip:o'brien@gw.example.org",
       MAP_KIND_XMPP_USER, "domain rule *@example.org"),
    ERR("rule-upper-case", "sip:User@gw.example.org", MAP_ERROR_NO_RULE,
        "add a static entry"),
    OK("rule-sips", "sips:x@sip.corp.example", "x@corp.example",
       "sips:x@sip.corp.example", MAP_KIND_XMPP_USER,
       "domain rule *@corp.example"),
    OK("rule-sips-from-sip", "sip:x@sip.corp.example", "x@corp.example",
       "sips:x@sip.corp.example", MAP_KIND_XMPP_USER,
       "domain rule *@corp.example"),
    OK("rule-number", "sip:+15551234567@gw.example.org;user=phone",
       "+15551234567@example.org", "sip:+15551234567@gw.example.org",
       MAP_KIND_XMPP_USER, "domain rule *@example.org"),
    /* refused */
    ERR("password", "sip:bob:secret@pbx.example.com", MAP_ERROR_NOT_PERMITTED,
        "carries a password"),
    ERR("password-in-malformed", "sip:bob:secret@", MAP_ERROR_MALFORMED,
        "'sip:bob:***@' is not a valid"),
    ERR("password-in-bad-host", "sip:bob:secret@pbx.ex%61mple.com",
        MAP_ERROR_MALFORMED, "'sip:bob:***@pbx.ex%61mple.com' has an escape"),
    ERR("no-user", "sip:pbx.example.com", MAP_ERROR_NO_RULE,
        "has no user part"),
    ERR("other-scheme", "http://example.com/", MAP_ERROR_MALFORMED,
        "not a valid sip, sips or tel uri"),
    ERR("mailto", "mailto:bob@example.com", MAP_ERROR_MALFORMED,
        "not a valid sip, sips or tel uri"),
    ERR("jid", "bob@example.com", MAP_ERROR_MALFORMED, "not a valid sip"),
    ERR("empty-host", "sip:bob@", MAP_ERROR_MALFORMED, "not a valid sip"),
    ERR("empty-user", "sip:@pbx.example.com", MAP_ERROR_MALFORMED,
        "empty user part"),
    ERR("port-too-big", "sip:bob@pbx.example.com:99999", MAP_ERROR_MALFORMED,
        "bad port"),
    ERR("port-zero", "sip:bob@pbx.example.com:0", MAP_ERROR_MALFORMED,
        "bad port"),
    ERR("port-empty", "sip:bob@pbx.example.com:", MAP_ERROR_MALFORMED,
        "bad port"),
    ERR("host-hyphen", "sip:bob@-pbx.example.com", MAP_ERROR_MALFORMED, "host"),
    ERR("host-underscore", "sip:bob@pbx_1.example.com", MAP_ERROR_MALFORMED,
        "host"),
    ERR("host-bad-ipv4", "sip:bob@192.0.2.300", MAP_ERROR_MALFORMED, "ipv4"),
    ERR("host-bad-ipv6", "sip:bob@[2001:db8::zz]", MAP_ERROR_MALFORMED, "ipv6"),
    ERR("space-in-user", "sip:b ob@pbx.example.com", MAP_ERROR_MALFORMED,
        "must be escaped"),
    ERR("raw-utf8-user", "sip:caf\xc3\xa9@pbx.example.com", MAP_ERROR_MALFORMED,
        "must be escaped"),
    ERR("quote-in-user", "sip:a\"b@pbx.example.com", MAP_ERROR_MALFORMED,
        "must be escaped"),
    ERR("escape-in-host", "sip:bob@pbx.ex%61mple.com", MAP_ERROR_MALFORMED,
        "escape in its host"),
    ERR("space-in-param", "sip:bob@pbx.example.com;x=a b", MAP_ERROR_MALFORMED,
        "malformed parameter"),
    ERR("bad-escape", "sip:a%zzb@pbx.example.com", MAP_ERROR_MALFORMED,
        "not a valid sip"),
    ERR("fragment", "sip:bob@pbx.example.com#frag", MAP_ERROR_MALFORMED,
        "fragment"),
    ERR("empty-param", "sip:bob@pbx.example.com;;lr", MAP_ERROR_MALFORMED,
        "empty uri parameter"),
    ERR("unterminated-angle", "<sip:bob@pbx.example.com", MAP_ERROR_MALFORMED,
        "not a sip, sips or tel uri"),
    ERR("junk-after-angle", "<sip:bob@pbx.example.com> junk",
        MAP_ERROR_MALFORMED, "not a sip, sips or tel uri"),
    OK("name-addr-token", "Bob Smith <sip:bob@pbx.example.com>",
       "bob@sip.example.com", "sip:bob@pbx.example.com", MAP_KIND_SIP_USER,
       "component user"),
};

static const LookupCase lookup_any_cases[] = {
    OK("dialled-plus", "+1 (555) 123-4567", "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("dialled-international", "011 44 20 7946 0000",
       "+442079460000@sip.example.com",
       "sip:+442079460000@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("dialled-trunk-prefix", "1 555 123 4567", "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("dialled-national", "(555) 123-4567", "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    ERR("dialled-shadowed", "+1 555 010 0200", MAP_ERROR_NO_RULE,
        "but that maps to 'carol@example.com' (static entries.map:6)"),
    OK("jid", " alice@example.com ", "alice@example.com",
       "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER, "static entries.map:2"),
    OK("sip", "sip:1001@pbx.example.com", "alice@example.com",
       "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER, "static entries.map:2"),
    OK("name-addr", "Alice <sip:1001@pbx.example.com>", "alice@example.com",
       "sip:1001@pbx.example.com", MAP_KIND_XMPP_USER, "static entries.map:2"),
    OK("tel", "  TEL:+15551234567 ", "+15551234567@sip.example.com",
       "sip:+15551234567@trunk.example.com;user=phone", MAP_KIND_PHONE,
       "component phone"),
    OK("foreign-jid", "bob\\40other.net@sip.example.com",
       "bob\\40other.net@sip.example.com", "sip:bob@other.net",
       MAP_KIND_FOREIGN, "component foreign"),
    ERR("empty", "   ", MAP_ERROR_MALFORMED, "empty address"),
    ERR("too-many-digits", "+1 555 123 4567 8901 2", MAP_ERROR_MALFORMED,
        "more than 15 digits"),
    ERR("domain-only", "example.com", MAP_ERROR_NO_RULE, "has no localpart"),
};

static void
check_lookup(const LookupCase *c, MapResult *r, GError *error)
{
    if (c->jid != NULL) {
        if (error != NULL)
            g_error("'%s': unexpected error: %s", c->input, error->message);
        g_assert_nonnull(r);
        g_assert_cmpstr(r->jid, ==, c->jid);
        g_assert_cmpstr(r->sip_uri, ==, c->sip_uri);
        g_assert_cmpint(r->kind, ==, c->kind);
        g_assert_cmpstr(r->rule, ==, c->rule);
        return;
    }
    if (r != NULL)
        g_error("'%s': unexpected result %s <-> %s", c->input, r->jid,
                r->sip_uri);
    g_assert_nonnull(error);
    if (error->code != c->code || strstr(error->message, c->rule) == NULL)
        g_error("'%s': got code %d '%s', want code %d with '%s'", c->input,
                error->code, error->message, c->code, c->rule);
    g_assert_true(error->domain == MAP_ERROR);
    /* a log line or a SIP reason phrase can carry it */
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
    g_assert_null(strchr(error->message, '\n'));
    g_assert_false(g_str_has_suffix(error->message, "."));
}

/* An answer must be a fixed point: mapped over and back, it is itself. */
static void
check_round_trip(const MapResult *r)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(MapResult) fwd = map_table_lookup_jid(the_table, r->jid, &error);
    g_autoptr(MapResult) back = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(fwd->sip_uri, ==, r->sip_uri);
    g_assert_cmpstr(fwd->rule, ==, r->rule);
    back = map_table_lookup_sip(the_table, r->sip_uri, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(back->jid, ==, r->jid);
    g_assert_cmpint(back->kind, ==, r->kind);
}

static void
test_lookup_jid(gconstpointer data)
{
    const LookupCase *c = data;
    GError *error = NULL;
    g_autoptr(MapResult) r = map_table_lookup_jid(the_table, c->input, &error);

    check_lookup(c, r, error);
    if (r != NULL)
        check_round_trip(r);
    g_clear_error(&error);
}

static void
test_lookup_sip(gconstpointer data)
{
    const LookupCase *c = data;
    GError *error = NULL;
    g_autoptr(MapResult) r = map_table_lookup_sip(the_table, c->input, &error);

    check_lookup(c, r, error);
    if (r != NULL)
        check_round_trip(r);
    if (error != NULL)
        g_assert_null(strstr(error->message, "secret")); /* never quoted */
    g_clear_error(&error);
}

static void
test_lookup_any(gconstpointer data)
{
    const LookupCase *c = data;
    GError *error = NULL;
    g_autoptr(MapResult) r = map_table_lookup_any(the_table, c->input, &error);

    check_lookup(c, r, error);
    g_clear_error(&error);
}

static void
test_lookup_counts(void)
{
    g_assert_cmpuint(map_table_get_n_static(the_table), ==, 9);
    g_assert_cmpuint(map_table_get_n_rules(the_table), ==, 2);
    g_assert_cmpstr(map_table_get_component_domain(the_table), ==,
                    "sip.example.com");
}

/* The table's memo of answers (map_lookup.c) answers a text it has seen
 * as the first lookup did, errors included, through more texts than it
 * keeps (2,500 distinct JIDs and URIs between passes). */
static void
test_lookup_memo(void)
{
    static const struct {
        const LookupCase *cases;
        gsize n;
        MapResult *(*lookup)(const MapTable *, const char *, GError **);
    } tables[] = {
        {lookup_jid_cases, G_N_ELEMENTS(lookup_jid_cases),
         map_table_lookup_jid},
        {lookup_sip_cases, G_N_ELEMENTS(lookup_sip_cases),
         map_table_lookup_sip},
    };

    for (guint pass = 0; pass < 3; pass++) {
        for (gsize t = 0; t < G_N_ELEMENTS(tables); t++) {
            for (gsize i = 0; i < tables[t].n; i++) {
                GError *error = NULL;
                g_autoptr(MapResult) r = tables[t].lookup(
                    the_table, tables[t].cases[i].input, &error);

                check_lookup(&tables[t].cases[i], r, error);
                g_clear_error(&error);
            }
        }
        for (guint n = 0; n < 2500; n++) {
            g_autofree char *jid =
                g_strdup_printf("u%u@example.org/r%u", n, pass);
            g_autofree char *uri =
                g_strdup_printf("sip:u%u@gw.example.org", n + pass);
            g_autoptr(MapResult) a = map_table_lookup_jid(the_table, jid,
                                                          NULL);
            g_autoptr(MapResult) b = map_table_lookup_sip(the_table, uri,
                                                          NULL);

            g_assert_nonnull(a);
            g_assert_nonnull(b);
            g_assert_true(g_str_has_prefix(a->sip_uri, "sip:u"));
            g_assert_true(g_str_has_suffix(b->jid, "@example.org"));
        }
    }
}

/* numbers_as = tel, and phone numbers toward SIP */
static void
test_lookup_numbers_as_tel(void)
{
    static const char *const data =
        "carol@example.com = sip:+15550100200@trunk.example.com;user=phone\n";
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .trunk_domain = "trunk.example.com",
        .numbers_as = MAP_NUMBERS_TEL,
        .static_data = data,
        .static_len = -1,
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);
    g_autoptr(MapResult) a = NULL;
    g_autoptr(MapResult) b = NULL;
    g_autoptr(MapResult) c = NULL;

    g_assert_no_error(error);
    a = map_table_lookup_jid(t, "+15551234567@sip.example.com", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(a->sip_uri, ==, "tel:+15551234567");
    b = map_table_lookup_sip(t, "sip:+15551234567@pbx.example.com;user=phone",
                             &error);
    g_assert_no_error(error);
    g_assert_cmpstr(b->jid, ==, "+15551234567@sip.example.com");
    g_assert_cmpstr(b->sip_uri, ==, "tel:+15551234567");
    c = map_table_lookup_sip(t, "tel:+15550100200", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(c->jid, ==, "carol@example.com");
    g_assert_cmpstr(c->rule, ==, "static static entries:1");
}

/* foreign_domains = "*": every domain, except those of domain rules */
static void
test_lookup_foreign_any(void)
{
    static const char *const foreign[] = {"*", NULL};
    static const char *const rules[] = {"*@example.org = sip:*@gw.example.org",
                                        NULL};
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .foreign_domains = foreign,
        .rules = rules,
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);
    g_autoptr(MapResult) a = NULL;
    g_autoptr(MapResult) b = NULL;
    g_autoptr(MapResult) c = NULL;

    g_assert_no_error(error);
    a = map_table_lookup_sip(t, "sip:x@anywhere.example", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(a->jid, ==, "x\\40anywhere.example@sip.example.com");
    b = map_table_lookup_sip(t, "sip:x@gw.example.org", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(b->jid, ==, "x@example.org");
    c = map_table_lookup_jid(t, "x\\40gw.example.org@sip.example.com", &error);
    g_assert_null(c);
    g_assert_error(error, MAP_ERROR, MAP_ERROR_NO_RULE);
    g_assert_nonnull(strstr(error->message, "domain rule *@example.org"));
}

/* no foreign_domains at all */
static void
test_lookup_foreign_none(void)
{
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);
    g_autoptr(MapResult) a = NULL;

    g_assert_no_error(error);
    a = map_table_lookup_sip(t, "sip:x@other.net", &error);
    g_assert_null(a);
    g_assert_error(error, MAP_ERROR, MAP_ERROR_NOT_PERMITTED);
    g_clear_error(&error);
    a = map_table_lookup_sip(t, "sip:+15551234567@pbx.example.com", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(a->sip_uri, ==,
                    "sip:+15551234567@pbx.example.com;user=phone");
}

/* XEP-0100 prompts: what users type, as the gateway answers it */
static void
test_lookup_prompt(void)
{
    static const char *const rules[] = {
        "*@example.com = sip:*@gw.example.com", NULL };
    static const char *const foreign[] = { "other.net", NULL };
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .default_country_code = "1",
        .international_prefix = "011",
        .foreign_domains = foreign,
        .rules = rules,
        .rules_source = "test rules",
    };
    static const struct {
        const char *text, *jid;
        int code; /* when jid is NULL */
    } rows[] = {
        { "+1 (555) 123-4567", "+15551234567@sip.example.com", 0 },
        { "  555-0100 ", "+15550100@sip.example.com", 0 },
        { "011 44 20 7946 0000", "+442079460000@sip.example.com", 0 },
        { "1002", "1002@sip.example.com", 0 },
        { "tel:+15551234567", "+15551234567@sip.example.com", 0 },
        { "sip:1002@pbx.example.com", "1002@sip.example.com", 0 },
        { "sip:bob@other.net", "bob\\40other.net@sip.example.com", 0 },
        { "bob@other.net", "bob\\40other.net@sip.example.com", 0 },
        { "1002@sip.example.com", "1002@sip.example.com", 0 },
        { "sip:bob@evil.org", NULL, MAP_ERROR_NOT_PERMITTED },
        { "", NULL, MAP_ERROR_MALFORMED },
        { "   ", NULL, MAP_ERROR_MALFORMED },
        { "hello world", NULL, MAP_ERROR_MALFORMED },
        { "sip:alice@gw.example.com", NULL, MAP_ERROR_NO_RULE },
        { "alice@gw.example.com", NULL, MAP_ERROR_NO_RULE },
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);

    g_assert_no_error(error);
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(MapResult) r = map_table_lookup_prompt(t, rows[i].text,
                                                         &error);
        if (rows[i].jid != NULL) {
            g_assert_no_error(error);
            g_assert_cmpstr(r->jid, ==, rows[i].jid);
            g_assert_cmpint(r->kind, !=, MAP_KIND_XMPP_USER);
        } else {
            g_assert_null(r);
            g_assert_error(error, MAP_ERROR, rows[i].code);
            g_clear_error(&error);
        }
    }
}

/* ---- configuration --------------------------------------------------- */

typedef struct {
    const char *name;
    const char *const *rules; /* NULL: none */
    const char *data;         /* static file, NULL: none */
    const char *const *foreign;
    const char *message; /* expected error part; NULL: success */
    guint n_static, n_rules;
    const char *sip_domain; /* NULL: pbx.example.com */
    const char *cc;
} ConfigCase;

static const char *const r_org[] = {"*@example.org = sip:*@gw.example.org",
                                    NULL};
static const char *const r_component[] = {
    "*@sip.example.com = sip:*@gw.example.org", NULL};
static const char *const r_sip_domain[] = {
    "*@example.org = sip:*@PBX.example.com", NULL};
static const char *const r_trunk[] = {"*@example.org = sip:*@trunk.example.com",
                                      NULL};
static const char *const r_foreign[] = {"*@example.org = sip:*@other.net:5090",
                                        NULL};
static const char *const r_dup_xmpp[] = {
    "*@example.org = sip:*@gw.example.org",
    "*@EXAMPLE.org = sip:*@gw2.example.org", NULL};
static const char *const r_dup_sip[] = {"*@example.org = sip:*@gw.example.org",
                                        "*@example.net = sips:*@gw.example.org",
                                        NULL};
static const char *const r_half[] = {"*@example.org = sip:x@gw.example.org",
                                     NULL};
static const char *const r_half2[] = {"x@example.org = sip:*@gw.example.org",
                                      NULL};
static const char *const r_tel[] = {"*@example.org = tel:+1", NULL};
static const char *const r_second_bad[] = {
    "*@example.org = sip:*@gw.example.org", "garbage", NULL};
static const char *const r_newline[] = {
    "*@example.org = sip:*@gw.example.org\nx@y = sip:a@b", NULL};
static const char *const f_other[] = {"other.net", NULL};
static const char *const f_any[] = {"*", NULL};
static const char *const f_bad[] = {"bad host!", NULL};

static const ConfigCase config_cases[] = {
    {.name = "ok/empty"},
    {.name = "ok/comments-blank-crlf",
     .rules = r_org,
     .data = "# comment\r\n\r\n  \t\nalice@example.com = "
             "sip:1001@pbx.example.com\r\n"
             "   # indented\n",
     .n_static = 1,
     .n_rules = 1},
    {.name = "ok/bom",
     .data = "\xef\xbb\xbf"
             "alice@example.com = sip:1@pbx.example.com",
     .n_static = 1},
    {.name = "ok/no-final-newline",
     .data = "a@example.com = sip:1@pbx.example.com\nb@example.com = "
             "sip:2@pbx.example.com",
     .n_static = 2},
    {.name = "ok/static-agreeing-with-rule",
     .rules = r_org,
     .data = "alice@example.org = sip:alice@gw.example.org",
     .n_static = 1,
     .n_rules = 1},
    {.name = "ok/rule-with-foreign-any",
     .rules = r_org,
     .foreign = f_any,
     .n_rules = 1},
    {.name = "ok/sip-domain-with-port",
     .data = "a@x.com = sip:1@pbx.example.com:5070",
     .n_static = 1,
     .sip_domain = "pbx.example.com:5070"},
    {.name = "bad/no-separator",
     .data = "alice@example.com\n",
     .message = "entries.map:1: expected 'JID = sip:URI'"},
    {.name = "bad/line-number",
     .data = "# one\n\nalice@example.com = "
             "sip:1@pbx.example.com\nbob@example.com = "
             "http://x\n",
     .message = "entries.map:4: expected"},
    {.name = "bad/crlf-line-number",
     .data = "a@example.com = sip:1@pbx.example.com\r\n\r\nb c@example.com = "
             "sip:2@pbx.example.com\r\n",
     .message =
         "entries.map:3: jid 'b c@example.com': localpart contains a space"},
    {.name = "bad/missing-jid",
     .data = " = sip:1@pbx.example.com",
     .message = "entries.map:1: missing jid"},
    {.name = "bad/uri",
     .data = "a@example.com = sip:bob@",
     .message = "entries.map:1: 'sip:bob@' is not a valid sip"},
    {.name = "bad/password",
     .data = "a@example.com = sip:bob:pw@pbx.example.com",
     .message =
         "entries.map:1: sip uri for 'bob@pbx.example.com' carries a password"},
    {.name = "bad/parameter",
     .data = "a@example.com = sip:bob@pbx.example.com;transport=tcp",
     .message =
         "entries.map:1: uri 'sip:bob@pbx.example.com;transport=tcp' has uri "
         "parameter 'transport'"},
    {.name = "bad/headers",
     .data = "a@example.com = sip:bob@pbx.example.com?x=y",
     .message = "has headers"},
    {.name = "bad/name-addr",
     .data = "a@example.com = Bob <sip:bob@pbx.example.com>",
     .message = "entries.map:1: expected"},
    {.name = "bad/name-addr-angle",
     .data = "a@example.com = <sip:bob@pbx.example.com>",
     .message = "entries.map:1: expected"},
    {.name = "bad/resource",
     .data = "a@example.com/r = sip:1@pbx.example.com",
     .message = "must be a bare jid"},
    {.name = "bad/no-localpart",
     .data = "example.com = sip:1@pbx.example.com",
     .message = "must be a bare jid with a localpart"},
    {.name = "bad/no-sip-user",
     .data = "a@example.com = sip:pbx.example.com",
     .message = "needs a user part"},
    {.name = "bad/tel-param",
     .data = "a@example.com = tel:+15551234567;foo=bar",
     .message = "has parameters"},
    {.name = "bad/tel-local",
     .data = "a@example.com = tel:555-0100",
     .message = "entries.map:1: uri 'tel:555-0100': local number"},
    {.name = "bad/nul-byte",
     .data = "a@example.com = sip:1@pbx.example.com\nb\0c",
     .message = "entries.map:2: line contains a nul byte"},
    {.name = "bad/rule-half",
     .rules = r_half,
     .message = "gateway.conf [mapping] rules:1: a domain rule needs '*' on "
                "both sides"},
    {.name = "bad/rule-half-2",
     .rules = r_half2,
     .message = "rules:1: '*' on the sip side needs '*@domain'"},
    {.name = "bad/rule-tel",
     .rules = r_tel,
     .message = "rules:1: a domain rule needs '*'"},
    {.name = "bad/rule-component",
     .rules = r_component,
     .message =
         "rules:1: domain rule '*@sip.example.com' would not round-trip: its "
         "xmpp domain is the component domain"},
    {.name = "bad/rule-sip-domain",
     .rules = r_sip_domain,
     .message = "its sip domain is the sip_domain"},
    {.name = "bad/rule-trunk",
     .rules = r_trunk,
     .message = "its sip domain is the trunk_domain"},
    {.name = "bad/rule-foreign",
     .rules = r_foreign,
     .foreign = f_other,
     .message = "its sip domain is an allowed foreign domain"},
    {.name = "bad/rule-dup-xmpp",
     .rules = r_dup_xmpp,
     .message = "rules:2: domain rule '*@example.org' overlaps the one at "
                "gateway.conf [mapping] rules:1"},
    {.name = "bad/rule-dup-sip",
     .rules = r_dup_sip,
     .message = "rules:2: domain rule '*@example.net' overlaps"},
    {.name = "bad/rule-second-line",
     .rules = r_second_bad,
     .message = "rules:2: expected"},
    {.name = "bad/rule-newline",
     .rules = r_newline,
     .message = "rules:1: a rule contains a line break"},
    {.name = "bad/dup-jid",
     .data =
         "alice@example.com = sip:1@pbx.example.com\n# x\nALICE@example.com = "
         "sip:2@pbx.example.com\n",
     .message =
         "entries.map:3: duplicate static entry for jid 'alice@example.com' "
         "(first at entries.map:1)"},
    {.name = "bad/dup-sip",
     .data = "alice@example.com = sip:1@pbx.example.com\nbob@example.com = "
             "sip:1@PBX.Example.com.\n",
     .message = "entries.map:2: duplicate static entry for sip address "
                "'sip:1@pbx.example.com' (first at entries.map:1)"},
    {.name = "bad/dup-sip-sips",
     .data = "alice@example.com = sip:1@pbx.example.com\nbob@example.com = "
             "sips:1@pbx.example.com\n",
     .message = "entries.map:2: duplicate static entry for sip address"},
    {.name = "bad/dup-number",
     .data = "alice@example.com = tel:+15550100\nbob@example.com = "
             "sip:+1-555-0100@pbx.example.com;user=phone\n",
     .message = "entries.map:2: duplicate static entry for sip address"},
    {.name = "bad/static-vs-rule-jid",
     .rules = r_org,
     .data = "alice@example.org = sip:1001@pbx.example.com",
     .message =
         "entries.map:1: static entry for 'alice@example.org' conflicts with "
         "domain rule '*@example.org' (gateway.conf [mapping] rules:1)"},
    {.name = "bad/static-vs-rule-sip",
     .rules = r_org,
     .data = "alice@example.com = sip:alice@gw.example.org",
     .message = "conflicts with domain rule '*@example.org'"},
    {.name = "bad/static-vs-rule-case",
     .rules = r_org,
     .data = "alice@example.org = sip:Alice@gw.example.org",
     .message = "conflicts with domain rule"},
    {.name = "bad/foreign-list",
     .foreign = f_bad,
     .message = "[mapping] foreign_domains: 'bad host!'"},
    {.name = "bad/sip-domain",
     .message = "[mapping] sip_domain: 'pbx..x'",
     .sip_domain = "pbx..x"},
    {.name = "bad/country-code",
     .message = "[mapping] default_country_code: 'x1' is not 1 to 3 digits",
     .cc = "x1"},
    {.name = "bad/country-code-zero", .message = "starts with 0", .cc = "044"},
};

static void
test_config(gconstpointer data)
{
    const ConfigCase *c = data;
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = c->sip_domain ? c->sip_domain : "pbx.example.com",
        .trunk_domain = "trunk.example.com",
        .default_country_code = c->cc,
        .foreign_domains = c->foreign,
        .rules = c->rules,
        .rules_source = "gateway.conf [mapping] rules",
        .static_data = c->data,
        .static_len = c->data ? (gssize)(strlen(c->data) +
                                         (strstr(c->name, "nul") ? 2 : 0))
                              : -1,
        .static_source = "entries.map",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);

    if (c->message == NULL) {
        g_assert_no_error(error);
        g_assert_cmpuint(map_table_get_n_static(t), ==, c->n_static);
        g_assert_cmpuint(map_table_get_n_rules(t), ==, c->n_rules);
        return;
    }
    g_assert_null(t);
    g_assert_error(error, MAP_ERROR, MAP_ERROR_CONFIG);
    if (strstr(error->message, c->message) == NULL)
        g_error("got '%s', want '%s'", error->message, c->message);
    g_assert_null(strchr(error->message, '\n'));
}

static void
test_config_required(void)
{
    MapConfig config = {.sip_domain = "pbx.example.com"};
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);

    g_assert_null(t);
    g_assert_error(error, MAP_ERROR, MAP_ERROR_CONFIG);
    g_assert_cmpstr(error->message, ==,
                    "[mapping] component_domain is required");
    g_clear_error(&error);
    config.component_domain = "sip.example.com";
    config.sip_domain = NULL;
    t = map_table_new(&config, &error);
    g_assert_null(t);
    g_assert_cmpstr(error->message, ==, "[mapping] sip_domain is required");
    g_clear_error(&error);
    config.sip_domain = "pbx.example.com";
    config.numbers_as = (MapNumberForm)7;
    t = map_table_new(&config, &error);
    g_assert_null(t);
    g_assert_error(error, MAP_ERROR, MAP_ERROR_CONFIG);
}

/* ---- main ------------------------------------------------------------ */

#define ADD_CASES(prefix, array, func)                                         \
    for (guint i = 0; i < G_N_ELEMENTS(array); i++) {                          \
        g_autofree char *path = g_strconcat(prefix, (array)[i].name, NULL);    \
        g_test_add_data_func(path, &(array)[i], func);                         \
    }

int
main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    the_table = std_table();

    ADD_CASES("/map/jid/valid/", jid_valid, test_jid_valid);
    ADD_CASES("/map/jid/invalid/", jid_invalid, test_jid_invalid);
    g_test_add_func("/map/jid/lengths", test_jid_lengths);
    ADD_CASES("/map/escape/", escape_cases, test_escape);
    g_test_add_func("/map/escape/unescape-only-the-ten",
                    test_unescape_only_ten);
    ADD_CASES("/map/is-uri/", is_uri_cases, test_is_uri);
    ADD_CASES("/map/uri-check/", uri_check_cases, test_uri_check);
    ADD_CASES("/map/number/", number_cases, test_number);
    ADD_CASES("/map/lookup/jid/", lookup_jid_cases, test_lookup_jid);
    ADD_CASES("/map/lookup/sip/", lookup_sip_cases, test_lookup_sip);
    ADD_CASES("/map/lookup/any/", lookup_any_cases, test_lookup_any);
    g_test_add_func("/map/lookup/counts", test_lookup_counts);
    g_test_add_func("/map/lookup/memo", test_lookup_memo);
    g_test_add_func("/map/lookup/numbers-as-tel", test_lookup_numbers_as_tel);
    g_test_add_func("/map/lookup/foreign-any", test_lookup_foreign_any);
    g_test_add_func("/map/lookup/foreign-none", test_lookup_foreign_none);
    g_test_add_func("/map/lookup/prompt", test_lookup_prompt);
    ADD_CASES("/map/config/", config_cases, test_config);
    g_test_add_func("/map/config/required", test_config_required);

    rc = g_test_run();
    map_table_free(the_table);
    return rc;
}
