/* tests/test_msgbody.c: the message body core (gateway/core/msgbody.c),
 * table-driven over tests/data/msgbody/ (SOURCES.md names each origin).
 *
 * /msgbody/read/<file>          gw_msgbody_read() of a fixture with its
 *                               Content-Type and charset: the text or chat
 *                               state it gives, or its error code
 * /msgbody/cpim/<file>          gw_msgbody_cpim_unwrap(): inner type,
 *                               charset and content
 * /msgbody/iscomposing/build-*  gw_msgbody_iscomposing_build() against
 *                               build-*.xml (exact bytes), read back
 * /msgbody/text/...             charset and XML character edges, and the
 *                               properties: UTF-8 in is UTF-8 out, Latin-1
 *                               converted is the same text
 * /msgbody/limits/...           empty, NULL, not NUL-terminated input, an
 *                               external entity naming a local file
 *
 * Set GW_MSGBODY_UPDATE_GOLDEN=1 to rewrite the build goldens from the
 * current builder (then read the diff before committing it).
 */
#include "msgbody.h"

#include <string.h>

#include "fixture.h"

#include "gw_error.h"

/* ---- helpers ----------------------------------------------------------- */

static char *
fixture_path(const char *name)
{
    return gw_fixture_path("msgbody", name);
}

static char *
read_fixture(const char *name, gsize *len)
{
    return gw_fixture_read("msgbody", name, len);
}

/* A copy of the fixture with no NUL after it, so that a read past `len`
 * shows up under ASan and valgrind. */
static guint8 *
read_fixture_exact(const char *name, gsize *len)
{
    g_autofree char *data = read_fixture(name, len);

    return g_memdup2(data, *len > 0 ? *len : 1);
}

/* ---- gw_msgbody_read() over the fixtures ----------------------------- */

#define OK (-1) /* no error expected */

typedef struct {
    const char *file;
    const char *content_type;
    const char *charset;
    const char *text;  /* expected text, or NULL */
    const char *state; /* expected chat state, or NULL */
    int code;          /* expected GW_ERROR code, or OK */
} ReadCase;

#define CPIM GW_CT_CPIM
#define ISC GW_CT_ISCOMPOSING
#define TEXT GW_CT_TEXT

static const ReadCase read_cases[] = {
    /* message/cpim (RFC 3862) */
    {"rfc3862-example.cpim", CPIM, NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"linphone-text.cpim", CPIM, NULL, "Hello, world!", NULL, OK},
    {"linphone-minimal.cpim", CPIM, NULL, "", NULL, OK},
    {"linphone-iscomposing.cpim", CPIM, NULL, NULL, "composing", OK},
    {"rcs-pager.cpim", CPIM, NULL, "Hello world!", NULL, OK},
    {"lf-only.cpim", CPIM, NULL, "line one\nline two", NULL, OK},
    {"latin1-inner.cpim", CPIM, NULL, "café crème", NULL, OK},
    {"quoted-charset.cpim", CPIM, NULL, "Grüße", NULL, OK},
    {"gateway-it.cpim", CPIM, NULL, "wrapped text", NULL, OK},
    /* the outer charset is not the inner part's */
    {"latin1-inner.cpim", CPIM, "utf-8", "café crème", NULL, OK},
    {"bad-one-block.cpim", CPIM, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-no-inner-type.cpim", CPIM, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-empty-mime-block.cpim", CPIM, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-nested.cpim", CPIM, NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"bad-html.cpim", CPIM, NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"bad-not-cpim.txt", CPIM, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-empty.xml", CPIM, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    /* application/im-iscomposing+xml (RFC 3994) */
    {"rfc3994-idle.xml", ISC, NULL, NULL, "paused", OK},
    {"rfc3994-active.xml", ISC, NULL, NULL, "composing", OK},
    {"libpurple-active.xml", ISC, NULL, NULL, "composing", OK},
    {"libpurple-idle.xml", ISC, NULL, NULL, "paused", OK},
    {"jitsi-active.xml", ISC, NULL, NULL, "composing", OK},
    {"jitsi-idle.xml", ISC, NULL, NULL, "paused", OK},
    {"jssip-idle.xml", ISC, NULL, NULL, "paused", OK},
    {"linphone-active.xml", ISC, NULL, NULL, "composing", OK},
    {"prefixed.xml", ISC, NULL, NULL, "composing", OK},
    {"state-whitespace.xml", ISC, NULL, NULL, "paused", OK},
    {"build-active.xml", ISC, NULL, NULL, "composing", OK},
    {"build-idle.xml", ISC, NULL, NULL, "paused", OK},
    {"bad-unknown-state.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-state-case.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-no-state.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-no-namespace.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-wrong-namespace.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-wrong-root.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-truncated.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-empty.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-not-cpim.txt", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    /* DTDs: any DOCTYPE stops the parser before its declarations
     * (core/xml_read.c, as for PIDF): no expansion, no fetch */
    {"bad-billion-laughs.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-xxe.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    /* any DOCTYPE is refused, as in PIDF (core/xml_read.c) */
    {"internal-entity.xml", ISC, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    /* text/plain */
    {"utf8-emoji.txt", TEXT, NULL, "Grüße 🙂 — 你好\r\n\ttab", NULL,
     OK},
    {"utf8-emoji.txt", TEXT, "UTF-8", "Grüße 🙂 — 你好\r\n\ttab", NULL,
     OK},
    {"iso-8859-1.txt", TEXT, "ISO-8859-1", "café, naïve, Ærø", NULL, OK},
    {"iso-8859-1.txt", TEXT, "latin1", "café, naïve, Ærø", NULL, OK},
    {"windows-1252.txt", TEXT, "windows-1252", "“smart” quotes cost 5 €", NULL,
     OK},
    {"shift_jis.txt", TEXT, "Shift_JIS", "こんにちは、世界", NULL, OK},
    {"koi8-r.txt", TEXT, "KOI8-R", "Привет, мир", NULL, OK},
    {"utf-16.txt", TEXT, "UTF-16", "hello ☃", NULL, OK},
    {"us-ascii.txt", TEXT, "US-ASCII", "plain old ASCII", NULL, OK},
    {"rfc3994-active.xml", TEXT, NULL,
     NULL /* not compared: it is its own text */, NULL, OK},
    /* Latin-1 bytes declared as UTF-8, or undeclared */
    {"iso-8859-1.txt", TEXT, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"iso-8859-1.txt", TEXT, "utf-8", NULL, NULL, GW_ERROR_BAD_REQUEST},
    /* us-ascii is read as UTF-8, as before: 8-bit bytes must be UTF-8 */
    {"utf8-emoji.txt", TEXT, "us-ascii", "Grüße 🙂 — 你好\r\n\ttab",
     NULL, OK},
    {"bad-invalid-utf8.txt", TEXT, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-overlong-utf8.txt", TEXT, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-nul.txt", TEXT, NULL, NULL, NULL, GW_ERROR_BAD_REQUEST},
    {"bad-control.txt", TEXT, NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"bad-noncharacter.txt", TEXT, NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"bad-shift_jis.txt", TEXT, "Shift_JIS", NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"bad-unknown-charset.txt", TEXT, "x-klingon", NULL, NULL,
     GW_ERROR_UNSUPPORTED},
    {"bad-empty.xml", TEXT, NULL, "", NULL, OK},
    /* types not carried */
    {"us-ascii.txt", "text/html", NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    {"rfc3994-idle.xml", "application/pidf+xml", NULL, NULL, NULL,
     GW_ERROR_UNSUPPORTED},
    {"us-ascii.txt", "", NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
    /* types compare as given: sip_incoming.c lower-cases them */
    {"us-ascii.txt", "Text/Plain", NULL, NULL, NULL, GW_ERROR_UNSUPPORTED},
};

static void
test_read(gconstpointer data)
{
    const ReadCase *c = data;
    gsize len;
    g_autofree guint8 *body = read_fixture_exact(c->file, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwMsgBody) got = NULL;

    got = gw_msgbody_read(c->content_type, c->charset, (const char *)body, len,
                          &error);
    if (c->code != OK) {
        g_assert_null(got);
        g_assert_error(error, GW_ERROR, c->code);
        g_assert_nonnull(error->message);
        g_assert_cmpuint(strlen(error->message), >, 0);
        g_test_message("%s: %s", c->file, error->message);
        return;
    }
    g_assert_no_error(error);
    g_assert_nonnull(got);
    g_assert_true((got->text == NULL) != (got->chat_state == NULL));
    if (c->text != NULL)
        g_assert_cmpstr(got->text, ==, c->text);
    g_assert_cmpstr(got->chat_state, ==, c->state);
    if (got->text != NULL)
        g_assert_true(g_utf8_validate(got->text, -1, NULL));
}

/* ---- gw_msgbody_cpim_unwrap() ----------------------------------------- */

typedef struct {
    const char *file;
    const char *type;
    const char *charset;
    const char *content;
} CpimCase;

static const CpimCase cpim_cases[] = {
    {"rfc3862-example.cpim", "text/xml", "utf-8",
     "<body>Here is the text of my message.</body>"},
    {"linphone-text.cpim", "text/plain", NULL, "Hello, world!"},
    {"linphone-minimal.cpim", "text/plain", "utf-8", ""},
    {"rcs-pager.cpim", "text/plain", "UTF-8", "Hello world!"},
    {"lf-only.cpim", "text/plain", "utf-8", "line one\nline two"},
    {"quoted-charset.cpim", "text/plain", "iso-8859-1", NULL},
    {"bad-nested.cpim", "message/cpim", NULL,
     "From: <sip:1001@pbx.example.com>\r\n\r\nContent-Type: text/plain\r\n"
     "\r\ninner"},
    {"bad-html.cpim", "text/html", "utf-8", "<b>hi</b>"},
};

static void
test_cpim(gconstpointer data)
{
    const CpimCase *c = data;
    gsize len;
    g_autofree guint8 *body = read_fixture_exact(c->file, &len);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwCpim) got = NULL;

    got = gw_msgbody_cpim_unwrap((const char *)body, len, &error);
    g_assert_no_error(error);
    g_assert_nonnull(got);
    g_assert_cmpstr(got->type, ==, c->type);
    g_assert_cmpstr(got->charset, ==, c->charset);
    /* the content is borrowed: it lies inside the body, up to its end */
    g_assert_true(got->content >= (const char *)body);
    g_assert_true(got->content + got->content_len == (const char *)body + len);
    if (c->content != NULL) {
        g_autofree char *content = g_strndup(got->content, got->content_len);
        g_assert_cmpstr(content, ==, c->content);
    }
}

/* ---- isComposing build goldens ----------------------------------------- */

typedef struct {
    const char *golden; /* build-<name>.xml */
    const char *chat_state;
    const char *back; /* what reading it gives */
} BuildCase;

static const BuildCase build_cases[] = {
    {"active", "composing", "composing"},
    {"idle", "paused", "paused"},
    /* every other XEP-0085 state stops composing */
    {"idle", "active", "paused"},
    {"idle", "inactive", "paused"},
    {"idle", "gone", "paused"},
    {"idle", NULL, "paused"},
};

static void
test_build(gconstpointer data)
{
    const BuildCase *c = data;
    g_autofree char *file = g_strdup_printf("build-%s.xml", c->golden);
    g_autofree char *got = gw_msgbody_iscomposing_build(c->chat_state);
    g_autofree char *want = NULL;
    g_autoptr(GError) error = NULL;
    const char *back;
    gsize len;

    if (g_getenv("GW_MSGBODY_UPDATE_GOLDEN") != NULL) {
        g_autofree char *path = fixture_path(file);
        g_assert_true(g_file_set_contents(path, got, -1, NULL));
    }
    want = read_fixture(file, &len);
    g_assert_cmpstr(got, ==, want);
    back = gw_msgbody_iscomposing_read(got, strlen(got), &error);
    g_assert_no_error(error);
    g_assert_cmpstr(back, ==, c->back);
}

/* ---- text: edges and properties ---------------------------------------- */

static void
test_text_xml_chars(void)
{
    /* XML 1.0 §2.2 Char, at its boundaries */
    static const struct {
        const char *text;
        gboolean ok;
    } cases[] = {
        {"\t\n\r", TRUE},
        {" ~\x7f", TRUE}, /* DEL is an XML Char (discouraged, allowed) */
        {"\xc2\x80\xc2\x9f", TRUE}, /* C1 controls likewise */
        {"\xed\x9f\xbf", TRUE},     /* U+D7FF */
        {"\xee\x80\x80", TRUE},     /* U+E000 */
        {"\xef\xbf\xbd", TRUE},     /* U+FFFD */
        {"\xf0\x90\x80\x80", TRUE}, /* U+10000 */
        {"\xf4\x8f\xbf\xbf", TRUE}, /* U+10FFFF */
        {"\x01", FALSE},
        {"\x1f", FALSE},
        {"\x0b", FALSE},         /* vertical tab */
        {"\x0c", FALSE},         /* form feed */
        {"\xef\xbf\xbe", FALSE}, /* U+FFFE */
        {"\xef\xbf\xbf", FALSE}, /* U+FFFF */
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *got = gw_msgbody_text_to_utf8(
            NULL, cases[i].text, strlen(cases[i].text), &error);

        if (cases[i].ok) {
            g_assert_no_error(error);
            g_assert_cmpstr(got, ==, cases[i].text);
        } else {
            g_assert_null(got);
            g_assert_error(error, GW_ERROR, GW_ERROR_UNSUPPORTED);
        }
    }
}

static void
test_text_surrogates(void)
{
    /* CESU-style encoded surrogate halves are not UTF-8 (RFC 3629 §3) */
    static const char half[] = "\xed\xa0\x80";
    g_autoptr(GError) error = NULL;
    g_autofree char *got = gw_msgbody_text_to_utf8(NULL, half, 3, &error);

    g_assert_null(got);
    g_assert_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST);
}

/* Random XML-safe UTF-8 in, the same bytes out (no charset, utf-8, and
 * us-ascii alike); and Latin-1 text converted from ISO-8859-1 comes out
 * as the UTF-8 of the same characters. */
static void
test_text_roundtrip(void)
{
    GRand *rand = g_rand_new_with_seed(20240501);

    for (int round = 0; round < 2000; round++) {
        g_autoptr(GString) utf8 = g_string_new(NULL);
        g_autoptr(GString) latin1 = g_string_new(NULL);
        g_autoptr(GString) latin1_utf8 = g_string_new(NULL);
        int n = g_rand_int_range(rand, 0, 40);

        for (int i = 0; i < n; i++) {
            gunichar c;
            do {
                switch (g_rand_int_range(rand, 0, 4)) {
                case 0:
                    c = (gunichar)g_rand_int_range(rand, 0x20, 0x7f);
                    break;
                case 1:
                    c = (gunichar)g_rand_int_range(rand, 0x80, 0x800);
                    break;
                case 2:
                    c = (gunichar)g_rand_int_range(rand, 0x800, 0x10000);
                    break;
                default:
                    c = (gunichar)g_rand_int_range(rand, 0x10000, 0x110000);
                }
            } while ((c >= 0xd800 && c <= 0xdfff) || c == 0xfffe ||
                     c == 0xffff);
            g_string_append_unichar(utf8, c);
            c = (gunichar)g_rand_int_range(rand, 0x20, 0x100);
            if (c == 0x7f)
                c = '\t';
            g_string_append_c(latin1, (char)c);
            g_string_append_unichar(latin1_utf8, c);
        }
        for (int k = 0; k < 3; k++) {
            static const char *const charsets[] = {NULL, "utf-8", "US-ASCII"};
            g_autoptr(GError) error = NULL;
            g_autofree char *got = gw_msgbody_text_to_utf8(
                charsets[k], utf8->str, utf8->len, &error);
            g_assert_no_error(error);
            g_assert_cmpstr(got, ==, utf8->str);
        }
        {
            g_autoptr(GError) error = NULL;
            g_autofree char *got = gw_msgbody_text_to_utf8(
                "ISO-8859-1", latin1->str, latin1->len, &error);
            g_assert_no_error(error);
            g_assert_cmpstr(got, ==, latin1_utf8->str);
        }
    }
    g_rand_free(rand);
}

/* ---- limits ------------------------------------------------------------ */

static void
test_limits_empty(void)
{
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
    g_autoptr(GwMsgBody) b = NULL;
    g_autofree char *t = NULL;

    g_assert_null(gw_msgbody_cpim_unwrap(NULL, 0, &e1));
    g_assert_error(e1, GW_ERROR, GW_ERROR_BAD_REQUEST);
    g_assert_null(gw_msgbody_iscomposing_read(NULL, 0, &e2));
    g_assert_error(e2, GW_ERROR, GW_ERROR_BAD_REQUEST);
    t = gw_msgbody_text_to_utf8(NULL, NULL, 0, &e3);
    g_assert_no_error(e3);
    g_assert_cmpstr(t, ==, "");
    b = gw_msgbody_read(GW_CT_ISCOMPOSING, NULL, "", 0, &e4);
    g_assert_null(b);
    g_assert_error(e4, GW_ERROR, GW_ERROR_BAD_REQUEST);
}

/* Only `len` bytes are read: what follows is not part of the body. */
static void
test_limits_length(void)
{
    static const char cpim[] = "From: <sip:a@example.com>\r\n\r\n"
                               "Content-Type: text/plain\r\n\r\nhello, "
                               "and more after the end";
    static const char isc[] = "<isComposing xmlns='" GW_NS_ISCOMPOSING "'>"
                              "<state>active</state></isComposing>trailing";
    g_autoptr(GError) error = NULL;
    g_autoptr(GwMsgBody) b = NULL;
    g_autofree char *t = NULL;
    gsize cut = strlen(cpim) - strlen(" and more after the end");

    b = gw_msgbody_read(GW_CT_CPIM, NULL, cpim, cut, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(b->text, ==, "hello,");
    g_assert_cmpstr(gw_msgbody_iscomposing_read(isc, strlen(isc) - 8, &error),
                    ==, "composing");
    g_assert_no_error(error);
    t = gw_msgbody_text_to_utf8(NULL, "abc\x01", 3, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(t, ==, "abc");
}

/* An external entity is never fetched: the file it names says "active",
 * so reading it would give "composing". */
static void
test_limits_xxe(void)
{
    g_autofree char *canary = fixture_path("xxe-active.txt");
    g_autofree char *doc =
        g_strdup_printf("<?xml version=\"1.0\"?>\n"
                        "<!DOCTYPE isComposing [ <!ENTITY s SYSTEM \"%s\"> ]>\n"
                        "<isComposing xmlns=\"" GW_NS_ISCOMPOSING "\">"
                        "<state>&s;</state></isComposing>",
                        canary);
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_test(canary, G_FILE_TEST_EXISTS));
    g_assert_null(gw_msgbody_iscomposing_read(doc, strlen(doc), &error));
    g_assert_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(read_cases); i++) {
        const ReadCase *c = &read_cases[i];
        g_autofree char *type = g_strdelimit(
            g_strdup(c->content_type[0] ? c->content_type : "none"), "/", '-');
        g_autofree char *path =
            g_strdup_printf("/msgbody/read/%s/%s/%s", type,
                            c->charset ? c->charset : "default", c->file);
        g_test_add_data_func(path, c, test_read);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(cpim_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/msgbody/cpim/%s", cpim_cases[i].file);
        g_test_add_data_func(path, &cpim_cases[i], test_cpim);
    }
    for (gsize i = 0; i < G_N_ELEMENTS(build_cases); i++) {
        const BuildCase *c = &build_cases[i];
        g_autofree char *path =
            g_strdup_printf("/msgbody/iscomposing/build-%s/%s", c->golden,
                            c->chat_state ? c->chat_state : "null");
        g_test_add_data_func(path, c, test_build);
    }
    g_test_add_func("/msgbody/text/xml-chars", test_text_xml_chars);
    g_test_add_func("/msgbody/text/surrogates", test_text_surrogates);
    g_test_add_func("/msgbody/text/roundtrip", test_text_roundtrip);
    g_test_add_func("/msgbody/limits/empty", test_limits_empty);
    g_test_add_func("/msgbody/limits/length", test_limits_length);
    g_test_add_func("/msgbody/limits/xxe-local-file", test_limits_xxe);
    return g_test_run();
}
