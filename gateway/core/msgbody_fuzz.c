/* gateway/core/msgbody_fuzz.c: libFuzzer target for the message body core.
 *
 * Input: one selector byte, then the body. The selector's low two bits
 * pick the Content-Type (text/plain, message/cpim, isComposing, one not
 * carried), the next three a charset parameter (none, UTF-8, us-ascii,
 * ISO-8859-1, windows-1252, UTF-16, Shift_JIS, one iconv does not know).
 *
 * Invariants, on every input:
 * - gw_msgbody_read(), gw_msgbody_cpim_unwrap() and
 *   gw_msgbody_iscomposing_read() give a value or a GW_ERROR (BAD_REQUEST
 *   or UNSUPPORTED, with a message), never both, never neither;
 * - a body read is exactly one of a text and a chat state; the chat state
 *   is composing or paused; the text is XML-safe UTF-8 that reads back as
 *   itself, and that, escaped into an element as the bridge writes it,
 *   parses back to itself (what is built parses back);
 * - an unwrapped CPIM part's content lies inside the body and ends with
 *   it; its type is lower case without parameters;
 * - a chat state read, built into a document again, reads back the same.
 */
#include "msgbody.h"
#include "fuzz_fail.h"

#include <libxml/parser.h>
#include <stdint.h>
#include <string.h>

#include "gw_error.h"
#include "xml_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {GW_CT_TEXT, GW_CT_CPIM, GW_CT_ISCOMPOSING,
                                    "text/html"};
static const char *const charsets[] = {
    NULL,           "utf-8",  "us-ascii",  "ISO-8859-1",
    "windows-1252", "UTF-16", "Shift_JIS", "x-unknown-charset",
};

static void
check_error(const char *what, const GError *error)
{
    if (error->domain != GW_ERROR ||
        (error->code != GW_ERROR_BAD_REQUEST &&
         error->code != GW_ERROR_UNSUPPORTED) ||
        error->message == NULL || error->message[0] == '\0')
        fail("%s: unexpected error %s/%d: %s", what,
             g_quark_to_string(error->domain), error->code,
             error->message ? error->message : "(null)");
}

static void
check_state(const char *what, const char *state)
{
    if (g_strcmp0(state, "composing") != 0 && g_strcmp0(state, "paused") != 0)
        fail("%s: chat state '%s' is neither composing nor paused", what,
             state);
}

/* The text as the bridge writes it, <body>escaped</body>, parsed back. */
static void
check_escaped_roundtrip(const char *text)
{
    g_autoptr(GString) x = g_string_new("<body>");
    xmlDoc *doc;
    xmlChar *content;

    gw_xml_append_escaped(x, text);
    g_string_append(x, "</body>");
    doc = xmlReadMemory(x->str, (int)x->len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (doc == NULL)
        fail("escaped text does not parse: %s", x->str);
    content = xmlNodeGetContent(xmlDocGetRootElement(doc));
    if (content == NULL || strcmp((const char *)content, text) != 0)
        fail("escaped text parses back as '%s', not '%s'",
             content ? (const char *)content : "(null)", text);
    xmlFree(content);
    xmlFreeDoc(doc);
}

static void
check_text(const char *text)
{
    gsize len = strlen(text);
    g_autoptr(GError) error = NULL;
    g_autofree char *again = NULL;

    if (!gw_xml_text_ok(text, len))
        fail("text is not XML-safe UTF-8: '%s'", text);
    again = gw_msgbody_text_to_utf8(NULL, text, len, &error);
    if (again == NULL || strcmp(again, text) != 0)
        fail("text does not read back as itself: '%s': %s", text,
             error ? error->message : "differs");
    check_escaped_roundtrip(text);
}

static void
check_state_roundtrip(const char *state)
{
    g_autofree char *doc = gw_msgbody_iscomposing_build(state);
    g_autoptr(GError) error = NULL;
    const char *back = gw_msgbody_iscomposing_read(doc, strlen(doc), &error);

    if (g_strcmp0(back, state) != 0)
        fail("chat state '%s' built reads back as '%s': %s", state,
             back ? back : "(null)", error ? error->message : "");
}

static void
fuzz_read(const char *type, const char *charset, const char *body, gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwMsgBody) b = gw_msgbody_read(type, charset, body, len, &error);

    if ((b == NULL) == (error == NULL))
        fail("read: value %p and error %p", (void *)b, (void *)error);
    if (b == NULL) {
        check_error("read", error);
        return;
    }
    if ((b->text == NULL) == (b->chat_state == NULL))
        fail("read: text %p and chat state %p", (void *)b->text,
             (const void *)b->chat_state);
    if (b->chat_state != NULL)
        check_state("read", b->chat_state);
    else
        check_text(b->text);
}

static void
fuzz_cpim(const char *body, gsize len)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwCpim) c = gw_msgbody_cpim_unwrap(body, len, &error);

    if ((c == NULL) == (error == NULL))
        fail("cpim: value %p and error %p", (void *)c, (void *)error);
    if (c == NULL) {
        check_error("cpim", error);
        return;
    }
    if (c->content < body || c->content > body + len ||
        c->content + c->content_len != body + len)
        fail("cpim: content [%p, +%zu) is not the end of the body [%p, +%zu)",
             (const void *)c->content, c->content_len, (const void *)body, len);
    if (c->type == NULL || strchr(c->type, ';') != NULL)
        fail("cpim: type '%s' has parameters", c->type ? c->type : "(null)");
    for (const char *p = c->type; *p != '\0'; p++)
        if (g_ascii_isupper(*p))
            fail("cpim: type '%s' is not lower case", c->type);
    if (c->charset != NULL && strpbrk(c->charset, "\";, \t\r") != NULL)
        fail("cpim: charset '%s' is not a token", c->charset);
}

static void
fuzz_iscomposing(const char *body, gsize len)
{
    g_autoptr(GError) error = NULL;
    const char *state = gw_msgbody_iscomposing_read(body, len, &error);

    if ((state == NULL) == (error == NULL))
        fail("iscomposing: value %p and error %p", (const void *)state,
             (void *)error);
    if (state == NULL) {
        check_error("iscomposing", error);
        return;
    }
    check_state("iscomposing", state);
    check_state_roundtrip(state);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    guint8 sel = size > 0 ? data[0] : 0;
    /* data + 1 .. data + size: the body, exactly sized (libFuzzer's buffer
     * ends there, so a read past `len` is caught under ASan) */
    const char *body = size > 0 ? (const char *)data + 1 : "";
    gsize len = size > 0 ? size - 1 : 0;

    fuzz_read(types[sel & 3], charsets[(sel >> 2) & 7], body, len);
    fuzz_cpim(body, len);
    fuzz_iscomposing(body, len);
    return 0;
}
