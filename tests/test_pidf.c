/* tests/test_pidf.c: the PIDF core (gateway/pidf.c), table-driven.
 *
 * /pidf/build/<case>      gw_pidf_build() against tests/data/pidf/build-*.xml
 *                         (exact bytes), and that golden parsed back
 * /pidf/parse/<file>      real-world shapes (SOURCES.md names each origin)
 * /pidf/bad/<file>        refused inputs with their error codes
 * /pidf/limits/...        size, depth, count, NUL, XXE, entity expansion
 * /pidf/roundtrip/...     parse(build(p)) == p up to the lossy points
 *
 * Set GW_PIDF_UPDATE_GOLDEN=1 to rewrite the build goldens from the current
 * builder (then read the diff before committing it).
 */
#include "pidf.h"

#include <string.h>

#include "fixture.h"

/* ---- helpers ---------------------------------------------------------- */

static char *
fixture_path(const char *name)
{
    return gw_fixture_path("pidf", name);
}

static char *
read_fixture(const char *name, gsize *len)
{
    return gw_fixture_read("pidf", name, len);
}

static GwPresence *
parse_string(const char *xml, GError **error)
{
    return gw_pidf_parse(xml, strlen(xml), error);
}

static void
assert_presence(const GwPresence *got, GwShow show, const char *status,
                const char *lang, gboolean phone)
{
    g_assert_nonnull(got);
    g_assert_cmpstr(gw_show_to_string(got->show), ==, gw_show_to_string(show));
    g_assert_cmpstr(got->status, ==, status);
    g_assert_cmpstr(got->status_lang, ==, lang);
    g_assert_cmpint(!!got->on_the_phone, ==, !!phone);
}

static gboolean
is_lang_tag(const char *s)
{
    gsize n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-");
    return n > 0 && n <= 64 && s[n] == '\0';
}

/* What a presence becomes after build -> parse (pidf.c's lossy points;
 * statuses here are valid UTF-8 under 1024 bytes). */
static GwPresence *
expected_after_roundtrip(const GwPresence *p)
{
    GwPresence *want = gw_presence_copy(p);

    if (want->show == GW_SHOW_CHAT)
        want->show = GW_SHOW_ONLINE;
    if (want->show == GW_SHOW_XA)
        want->show = GW_SHOW_AWAY;
    want->on_the_phone = FALSE;
    if (want->status != NULL) {
        g_strstrip(want->status);
        if (*want->status == '\0')
            g_clear_pointer(&want->status, g_free);
    }
    if (want->status == NULL ||
        (want->status_lang != NULL && !is_lang_tag(want->status_lang)))
        g_clear_pointer(&want->status_lang, g_free);
    return want;
}

static const GwPidfParams params_ts = {
    .entity = "sip:alice@gw.example.com",
    .tuple_id = "t1",
    .person_id = "p1",
    .timestamp = "2024-05-01T12:00:00Z",
};
static const GwPidfParams params_no_ts = {
    .entity = "sip:alice@gw.example.com",
    .tuple_id = "t1",
    .person_id = "p1",
    .timestamp = NULL,
};

/* ---- build goldens ---------------------------------------------------- */

typedef struct {
    const char *name; /* build-<name>.xml */
    GwShow show;
    const char *status;
    const char *lang;
    gboolean timestamp;
    const char *entity; /* NULL: params' */
} BuildCase;

static const BuildCase build_cases[] = {
    {"online", GW_SHOW_ONLINE, NULL, NULL, FALSE, NULL},
    {"online-note", GW_SHOW_ONLINE, "At my desk", "en", TRUE, NULL},
    {"chat", GW_SHOW_CHAT, "Talk to me!", "en", FALSE, NULL},
    {"away", GW_SHOW_AWAY, "Lunch", "en", TRUE, NULL},
    {"xa", GW_SHOW_XA, "Gone home", NULL, TRUE, NULL},
    {"dnd", GW_SHOW_DND, "In a meeting", "en", TRUE, NULL},
    {"offline", GW_SHOW_OFFLINE, NULL, NULL, FALSE, NULL},
    {"offline-note", GW_SHOW_OFFLINE, "Logged out", "en", TRUE, NULL},
    {"unicode", GW_SHOW_AWAY, "Совещание до 15:00 🙂", "ru", FALSE,
     NULL},
    {"escape", GW_SHOW_DND, "  <b>Busy</b> & \"away\" 'now'\r\nline\ttwo ",
     "de-CH", FALSE, "sip:bob@gw.example.com;x=\"a&b<c>\""},
    {"invalid-chars", GW_SHOW_ONLINE, "bell\a nul-ish\x01 bad\xff utf8", NULL,
     FALSE, NULL},
    {"lang-without-status", GW_SHOW_AWAY, NULL, "en", FALSE, NULL},
};

static void
test_build(gconstpointer data)
{
    const BuildCase *c = data;
    g_autofree char *file = g_strdup_printf("build-%s.xml", c->name);
    g_autoptr(GwPresence) p = gw_presence_new(c->show, c->status, c->lang);
    GwPidfParams params = c->timestamp ? params_ts : params_no_ts;
    g_autofree char *got = NULL;
    g_autofree char *want = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) back = NULL;
    g_autoptr(GwPresence) expect = NULL;
    gsize len;

    if (c->entity != NULL)
        params.entity = c->entity;
    got = gw_pidf_build(p, &params);
    g_assert_nonnull(got);
    if (g_getenv("GW_PIDF_UPDATE_GOLDEN") != NULL) {
        g_autofree char *path = fixture_path(file);
        g_assert_true(g_file_set_contents(path, got, -1, NULL));
    }
    want = read_fixture(file, &len);
    g_assert_cmpstr(got, ==, want);

    back = gw_pidf_parse(want, len, &error);
    g_assert_no_error(error);
    expect = expected_after_roundtrip(p);
    if (strcmp(c->name, "invalid-chars") == 0) {
        /* bad UTF-8 and non-XML characters come back as U+FFFD */
        g_free(expect->status);
        expect->status = g_strdup(
            "bell\xef\xbf\xbd nul-ish\xef\xbf\xbd bad\xef\xbf\xbd utf8");
    }
    g_assert_true(gw_presence_equal(back, expect));
}

/* ---- parse cases -------------------------------------------------------- */

typedef struct {
    const char *file;
    GwShow show;
    const char *status;
    const char *lang;
    gboolean phone;
} ParseCase;

static const ParseCase parse_cases[] = {
    {"linphone-online.xml", GW_SHOW_ONLINE, NULL, NULL, FALSE},
    {"linphone-away-note.xml", GW_SHOW_AWAY, "De retour dans 10 minutes", "fr",
     FALSE},
    {"linphone-on-the-phone.xml", GW_SHOW_AWAY, NULL, NULL, TRUE},
    /* liblinphone's "do not disturb" is closed + activity: offline here,
     * as RFC 3863 closed means unable to communicate */
    {"linphone-dnd-closed.xml", GW_SHOW_OFFLINE, "Do not disturb", NULL, FALSE},
    {"baresip-open.xml", GW_SHOW_ONLINE, NULL, NULL, FALSE},
    {"baresip-closed.xml", GW_SHOW_OFFLINE, NULL, NULL, FALSE},
    {"pjsip-busy-note.xml", GW_SHOW_DND, "Busy", NULL, FALSE},
    {"pjsip-online-unknown.xml", GW_SHOW_ONLINE, NULL, NULL, FALSE},
    {"asterisk-chansip-on-the-phone.xml", GW_SHOW_DND, "On the phone", NULL,
     FALSE},
    {"asterisk-pjsip-hint.xml", GW_SHOW_ONLINE, "Ready", NULL, FALSE},
    {"kamailio-dummy.xml", GW_SHOW_ONLINE, "Available", NULL, FALSE},
    {"kamailio-aggregated.xml", GW_SHOW_AWAY, "On the phone", NULL, TRUE},
    {"kamailio-offline.xml", GW_SHOW_OFFLINE, NULL, NULL, FALSE},
    {"rfc3863-example.xml", GW_SHOW_ONLINE, "Don't Disturb Please!", "en",
     FALSE},
    {"rfc3863-impp-prefix.xml", GW_SHOW_ONLINE, NULL, NULL, FALSE},
    {"rfc4480-example.xml", GW_SHOW_AWAY, "Don't Disturb Please!", "en", FALSE},
    {"multi-tuple-first-closed.xml", GW_SHOW_ONLINE, "On my mobile", "en",
     FALSE},
    {"lang-inherited.xml", GW_SHOW_ONLINE, "Bin gleich zurück", "de", FALSE},
    {"tuple-level-activities.xml", GW_SHOW_AWAY, "Talking", NULL, TRUE},
    {"foreign-prefixes-extensions.xml", GW_SHOW_XA, "Holiday until Monday",
     "en-GB", FALSE},
    {"no-tuple-person-note.xml", GW_SHOW_OFFLINE, "Not reachable", NULL, FALSE},
    {"cdata-note.xml", GW_SHOW_ONLINE, "<b>bold</b> & co & more ☺", NULL,
     FALSE},
    {"iso-8859-1-note.xml", GW_SHOW_ONLINE, "Au téléphone", "fr", FALSE},
    {"rpid-vacation.xml", GW_SHOW_XA, NULL, NULL, FALSE},
    {"rpid-meeting-on-the-phone.xml", GW_SHOW_DND, "Conference call", "en",
     TRUE},
};

static void
test_parse(gconstpointer data)
{
    const ParseCase *c = data;
    gsize len;
    g_autofree char *xml = read_fixture(c->file, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = gw_pidf_parse(xml, len, &error);

    g_assert_no_error(error);
    assert_presence(p, c->show, c->status, c->lang, c->phone);
}

/* A parsed presence built again reads the same (up to xa/on_the_phone). */
static void
test_parse_rebuild(gconstpointer data)
{
    const ParseCase *c = data;
    gsize len;
    g_autofree char *xml = read_fixture(c->file, &len);
    g_autoptr(GwPresence) p = gw_pidf_parse(xml, len, NULL);
    g_autofree char *again = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) back = NULL;
    g_autoptr(GwPresence) want = NULL;

    g_assert_nonnull(p);
    again = gw_pidf_build(p, &params_ts);
    back = parse_string(again, &error);
    g_assert_no_error(error);
    want = expected_after_roundtrip(p);
    g_assert_true(gw_presence_equal(back, want));
}

/* LF -> CRLF everywhere must not change what a document says. */
static void
test_parse_crlf(gconstpointer data)
{
    const ParseCase *c = data;
    gsize len;
    g_autofree char *xml = read_fixture(c->file, &len);
    g_auto(GStrv) lines = NULL;
    g_autofree char *crlf = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = NULL;

    if (memchr(xml, '\r', len) != NULL)
        return; /* already CRLF */
    lines = g_strsplit(xml, "\n", -1);
    crlf = g_strjoinv("\r\n", lines);
    p = gw_pidf_parse(crlf, strlen(crlf), &error);
    g_assert_no_error(error);
    assert_presence(p, c->show, c->status, c->lang, c->phone);
}

/* ---- bad inputs ------------------------------------------------------- */

typedef struct {
    const char *file;
    GwPidfError code;
    const char *message_part; /* a substring the message must contain */
} BadCase;

static const BadCase bad_cases[] = {
    {"bad-empty.xml", GW_PIDF_ERROR_MALFORMED, "empty document"},
    {"bad-not-xml.txt", GW_PIDF_ERROR_MALFORMED, "not well-formed xml"},
    {"bad-truncated.xml", GW_PIDF_ERROR_MALFORMED, "not well-formed xml"},
    {"bad-mismatched-tags.xml", GW_PIDF_ERROR_MALFORMED, "line 3"},
    {"bad-invalid-utf8.xml", GW_PIDF_ERROR_MALFORMED, "not well-formed xml"},
    {"bad-wrong-root-ns.xml", GW_PIDF_ERROR_MALFORMED,
     "'{urn:ietf:params:xml:ns:cpim-pidf}presence'"},
    {"bad-no-namespace.xml", GW_PIDF_ERROR_MALFORMED, "'{}presence'"},
    {"bad-dialog-info.xml", GW_PIDF_ERROR_MALFORMED, "dialog-info"},
    {"bad-doctype.xml", GW_PIDF_ERROR_MALFORMED, "document type"},
    {"bad-xxe.xml", GW_PIDF_ERROR_MALFORMED, "document type"},
    {"bad-xxe-parameter.xml", GW_PIDF_ERROR_MALFORMED, "document type"},
    {"bad-billion-laughs.xml", GW_PIDF_ERROR_MALFORMED, "document type"},
    {"bad-deep.xml", GW_PIDF_ERROR_MALFORMED, "nested deeper than 32"},
    {"bad-baresip-unknown.xml", GW_PIDF_ERROR_UNSUPPORTED, "'unkown'"},
    {"bad-tuple-no-status.xml", GW_PIDF_ERROR_UNSUPPORTED, "no tuple"},
    {"bad-tuple-no-basic.xml", GW_PIDF_ERROR_UNSUPPORTED, "no tuple"},
};

static void
assert_refused(const char *xml, gsize len, GwPidfError code,
               const char *message_part)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = gw_pidf_parse(xml, len, &error);

    g_assert_null(p);
    g_assert_error(error, GW_PIDF_ERROR, (gint)code);
    if (g_test_verbose())
        g_test_message("%s", error->message);
    g_assert_nonnull(strstr(error->message, message_part));
    /* house style: lower case, no final period */
    g_assert_false(g_ascii_isupper(error->message[0]));
    g_assert_false(g_str_has_suffix(error->message, "."));
}

static void
test_bad(gconstpointer data)
{
    const BadCase *c = data;
    gsize len;
    g_autofree char *xml = read_fixture(c->file, &len);

    assert_refused(xml, len, c->code, c->message_part);
}

/* ---- limits and attacks ----------------------------------------------- */

static void
test_limit_null_empty(void)
{
    assert_refused(NULL, 0, GW_PIDF_ERROR_MALFORMED, "empty document");
    assert_refused("", 0, GW_PIDF_ERROR_MALFORMED, "empty document");
    assert_refused("   \r\n", 4, GW_PIDF_ERROR_MALFORMED, "not well-formed");
}

/* A valid document padded to `size` bytes with a comment. */
static char *
padded_document(gsize size)
{
    static const char head[] =
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@"
        "example.com\"><tuple id=\"t\"><status><basic>open</basic></status>"
        "</tuple><!--";
    static const char tail[] = "--></presence>";
    GString *s = g_string_new(head);

    g_assert_cmpuint(size, >, sizeof head + sizeof tail);
    while (s->len < size - (sizeof tail - 1))
        g_string_append_c(s, 'x');
    g_string_append(s, tail);
    g_assert_cmpuint(s->len, ==, size);
    return g_string_free(s, FALSE);
}

static void
test_limit_size(void)
{
    g_autofree char *at = padded_document(64 * 1024);
    g_autofree char *over = padded_document(64 * 1024 + 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = parse_string(at, &error);

    g_assert_no_error(error);
    assert_presence(p, GW_SHOW_ONLINE, NULL, NULL, FALSE);
    assert_refused(over, strlen(over), GW_PIDF_ERROR_MALFORMED,
                   "65537 bytes exceeds the limit of 65536");
}

static char *
nested_document(guint levels)
{
    GString *s = g_string_new(
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:x=\"urn:x\" "
        "entity=\"sip:a@example.com\"><tuple id=\"t\"><status><basic>open"
        "</basic></status>");

    for (guint i = 0; i < levels; i++)
        g_string_append(s, "<x:e>");
    for (guint i = 0; i < levels; i++)
        g_string_append(s, "</x:e>");
    g_string_append(s, "</tuple></presence>");
    return g_string_free(s, FALSE);
}

static void
test_limit_depth(void)
{
    /* presence and tuple are levels 1 and 2 */
    g_autofree char *ok = nested_document(30);
    g_autofree char *deep = nested_document(31);
    g_autofree char *very_deep = nested_document(5000); /* libxml2's own cap */
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = parse_string(ok, &error);

    g_assert_no_error(error);
    assert_presence(p, GW_SHOW_ONLINE, NULL, NULL, FALSE);
    assert_refused(deep, strlen(deep), GW_PIDF_ERROR_MALFORMED,
                   "nested deeper than 32");
    assert_refused(very_deep, strlen(very_deep), GW_PIDF_ERROR_MALFORMED, "");
}

static void
test_limit_count(void)
{
    GString *s = g_string_new(
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@"
        "example.com\"><tuple id=\"t\"><status><basic>open</basic></status>"
        "</tuple>");
    g_autofree char *xml = NULL;

    for (guint i = 0; i < 2100; i++)
        g_string_append(s, "<note/>");
    g_string_append(s, "</presence>");
    xml = g_string_free(s, FALSE);
    assert_refused(xml, strlen(xml), GW_PIDF_ERROR_MALFORMED,
                   "more than 2048 elements");
}

static void
test_limit_nul(void)
{
    static const char xml[] =
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@"
        "example.com\"><tuple id=\"t\"><status><basic>open</basic></status>"
        "<note>a\0b</note></tuple></presence>";

    assert_refused(xml, sizeof xml - 1, GW_PIDF_ERROR_MALFORMED,
                   "not well-formed");
}

/* An external entity naming a real local file is neither read nor
 * expanded: the secret must not come back in a status or an error. */
static void
test_limit_xxe_local_file(void)
{
    g_autofree char *secret = fixture_path("xxe-secret.txt");
    g_autofree char *uri = g_filename_to_uri(secret, NULL, NULL);
    g_autofree char *xml = g_strdup_printf(
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE presence [ <!ENTITY xxe SYSTEM \"%s\"> ]>\n"
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@"
        "example.com\"><tuple id=\"t\"><status><basic>open</basic></status>"
        "<note>&xxe;</note></tuple></presence>",
        uri);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = parse_string(xml, &error);

    g_assert_true(g_file_test(secret, G_FILE_TEST_EXISTS));
    g_assert_null(p);
    g_assert_error(error, GW_PIDF_ERROR, GW_PIDF_ERROR_MALFORMED);
    g_assert_null(strstr(error->message, "TOP-SECRET"));
}

/* Billion laughs: refused, and quickly (no expansion happens first). */
static void
test_limit_billion_laughs_fast(void)
{
    gsize len;
    g_autofree char *xml = read_fixture("bad-billion-laughs.xml", &len);
    gint64 start = g_get_monotonic_time();

    for (int i = 0; i < 100; i++)
        assert_refused(xml, len, GW_PIDF_ERROR_MALFORMED, "document type");
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
}

/* ---- round trip property ---------------------------------------------- */

static void
test_roundtrip_all(void)
{
    static const GwShow shows[] = {GW_SHOW_ONLINE, GW_SHOW_CHAT,
                                   GW_SHOW_AWAY,   GW_SHOW_XA,
                                   GW_SHOW_DND,    GW_SHOW_OFFLINE};
    static const char *const statuses[] = {
        NULL,
        "",
        "   ",
        "Back soon",
        "  padded  ",
        "línea uno\nlínea dos",
        "emoji 🙂 and 漢字 and עברית",
        "markup <a href=\"x\">&amp;</a> ]]> 'quotes'",
        "cr\r\nlf and\ttab",
        "\xf0\x9f\x98\x80",
    };
    static const char *const langs[] = {NULL,        "",      "en",     "pt-BR",
                                        "x-klingon", "en US", "fr\"><x"};
    const GwPidfParams *params[] = {&params_ts, &params_no_ts};
    guint n = 0;

    for (guint s = 0; s < G_N_ELEMENTS(shows); s++)
        for (guint t = 0; t < G_N_ELEMENTS(statuses); t++)
            for (guint l = 0; l < G_N_ELEMENTS(langs); l++)
                for (guint q = 0; q < G_N_ELEMENTS(params); q++) {
                    g_autoptr(GwPresence) p =
                        gw_presence_new(shows[s], statuses[t], langs[l]);
                    g_autoptr(GwPresence) want = expected_after_roundtrip(p);
                    g_autofree char *xml = NULL;
                    g_autoptr(GError) error = NULL;
                    g_autoptr(GwPresence) back = NULL;

                    p->on_the_phone = (n % 2) == 0; /* never written */
                    xml = gw_pidf_build(p, params[q]);
                    back = parse_string(xml, &error);
                    g_assert_no_error(error);
                    if (!gw_presence_equal(back, want))
                        g_error("round trip of %s '%s' '%s':\n%s",
                                gw_show_to_string(shows[s]), statuses[t],
                                langs[l], xml);
                    n++;
                }
    g_assert_cmpuint(n, ==, 840);
}

/* Statuses are cut to 1024 bytes at a character boundary, both ways. */
static void
test_roundtrip_long_status(void)
{
    GString *accents = g_string_new(NULL);
    g_autofree char *xml = NULL;
    g_autofree char *doc = NULL;
    g_autoptr(GwPresence) p = NULL;
    g_autoptr(GwPresence) back = NULL;
    g_autoptr(GwPresence) parsed = NULL;
    g_autoptr(GError) error = NULL;

    /* 1 + 2 * 1000 bytes: the cut falls inside an "é" and backs off */
    g_string_append_c(accents, 'x');
    for (int i = 0; i < 1000; i++)
        g_string_append(accents, "é");
    p = gw_presence_new(GW_SHOW_AWAY, accents->str, "fr");
    xml = gw_pidf_build(p, &params_ts);
    back = parse_string(xml, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(strlen(back->status), ==, 1023);
    g_assert_true(g_str_has_prefix(accents->str, back->status));
    g_assert_true(g_utf8_validate(back->status, -1, NULL));
    g_assert_cmpstr(back->status_lang, ==, "fr");

    /* parsing cuts the same way, then trims what the cut left */
    g_string_truncate(accents, 0);
    g_string_append(accents, "a");
    for (int i = 0; i < 1023; i++)
        g_string_append_c(accents, ' ');
    g_string_append(accents, "bcdef");
    doc = g_strdup_printf(
        "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@"
        "example.com\"><tuple id=\"t\"><status><basic>open</basic></status>"
        "<note xml:lang=\"not a tag\">%s</note></tuple></presence>",
        accents->str);
    parsed = parse_string(doc, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(parsed->status, ==, "a");
    g_assert_null(parsed->status_lang);
    g_string_free(accents, TRUE);
}

/* A build is itself parse-stable: build(parse(build(p))) == build(p). */
static void
test_roundtrip_fixpoint(void)
{
    for (int show = GW_SHOW_ONLINE; show <= GW_SHOW_OFFLINE; show++) {
        g_autoptr(GwPresence) p = gw_presence_new(show, "Note", "en");
        g_autofree char *once = gw_pidf_build(p, &params_ts);
        g_autoptr(GwPresence) back = parse_string(once, NULL);
        g_autofree char *twice = NULL;

        g_assert_nonnull(back);
        twice = gw_pidf_build(back, &params_ts);
        if (show == GW_SHOW_ONLINE || show == GW_SHOW_AWAY ||
            show == GW_SHOW_DND || show == GW_SHOW_OFFLINE)
            g_assert_cmpstr(once, ==, twice);
    }
}

/* ---- the model -------------------------------------------------------- */

static void
test_model_show_strings(void)
{
    static const char *const names[] = {"online", "chat", "away",
                                        "xa",     "dnd",  "offline"};

    for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
        g_assert_cmpstr(gw_show_to_string((GwShow)i), ==, names[i]);
        g_assert_cmpint(gw_show_from_string(names[i]), ==, i);
    }
    g_assert_cmpint(gw_show_from_string(NULL), ==, -1);
    g_assert_cmpint(gw_show_from_string("Away"), ==, -1);
    g_assert_cmpint(gw_show_from_string(""), ==, -1);
}

static void
test_model_equal_copy(void)
{
    g_autoptr(GwPresence) a = gw_presence_new(GW_SHOW_AWAY, "x", "en");
    g_autoptr(GwPresence) b = gw_presence_copy(a);
    g_autoptr(GwPresence) c = gw_presence_new(GW_SHOW_AWAY, "x", NULL);

    g_assert_true(gw_presence_equal(a, b));
    g_assert_true(gw_presence_equal(NULL, NULL));
    g_assert_false(gw_presence_equal(a, NULL));
    g_assert_false(gw_presence_equal(a, c));
    b->on_the_phone = TRUE;
    g_assert_false(gw_presence_equal(a, b));
    a->on_the_phone = 7; /* any true value */
    g_assert_true(gw_presence_equal(a, b));
    gw_presence_free(NULL);
}

/* Ids that are not XML NCNames are a programming error. */
static void
test_model_bad_id(void)
{
    if (g_test_subprocess()) {
        GwPidfParams bad = params_ts;
        g_autoptr(GwPresence) p = gw_presence_new(GW_SHOW_ONLINE, NULL, NULL);

        bad.tuple_id = "1 not an id";
        g_assert_null(gw_pidf_build(p, &bad));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*is_ncname*");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (guint i = 0; i < G_N_ELEMENTS(build_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/pidf/build/%s", build_cases[i].name);
        g_test_add_data_func(path, &build_cases[i], test_build);
    }
    for (guint i = 0; i < G_N_ELEMENTS(parse_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/pidf/parse/%s", parse_cases[i].file);
        g_autofree char *rebuild =
            g_strdup_printf("/pidf/rebuild/%s", parse_cases[i].file);
        g_autofree char *crlf =
            g_strdup_printf("/pidf/crlf/%s", parse_cases[i].file);
        g_test_add_data_func(path, &parse_cases[i], test_parse);
        g_test_add_data_func(rebuild, &parse_cases[i], test_parse_rebuild);
        g_test_add_data_func(crlf, &parse_cases[i], test_parse_crlf);
    }
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/pidf/bad/%s", bad_cases[i].file);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    g_test_add_func("/pidf/limits/empty", test_limit_null_empty);
    g_test_add_func("/pidf/limits/size", test_limit_size);
    g_test_add_func("/pidf/limits/depth", test_limit_depth);
    g_test_add_func("/pidf/limits/count", test_limit_count);
    g_test_add_func("/pidf/limits/nul", test_limit_nul);
    g_test_add_func("/pidf/limits/xxe-local-file", test_limit_xxe_local_file);
    g_test_add_func("/pidf/limits/billion-laughs",
                    test_limit_billion_laughs_fast);
    g_test_add_func("/pidf/roundtrip/all", test_roundtrip_all);
    g_test_add_func("/pidf/roundtrip/fixpoint", test_roundtrip_fixpoint);
    g_test_add_func("/pidf/roundtrip/long-status", test_roundtrip_long_status);
    g_test_add_func("/pidf/model/show-strings", test_model_show_strings);
    g_test_add_func("/pidf/model/equal-copy", test_model_equal_copy);
    g_test_add_func("/pidf/model/bad-id", test_model_bad_id);
    return g_test_run();
}
