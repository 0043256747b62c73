/* gateway/core/xml_text.c: XML text for stanzas we write (pure). */
#include "xml_text.h"

#include <string.h>

void
gw_xml_append_escaped(GString *out, const char *text)
{
    const char *p = text, *run = text;

    for (; *p != '\0'; p++) {
        const char *rep;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        case '\r':
            rep = "&#13;"; /* kept through XML end-of-line handling */
            break;
        default:
            continue;
        }
        g_string_append_len(out, run, p - run);
        g_string_append(out, rep);
        run = p + 1;
    }
    g_string_append_len(out, run, p - run);
}

void
gw_xml_append_attr(GString *out, const char *name, const char *value)
{
    if (value == NULL)
        return;
    g_string_append_c(out, ' ');
    g_string_append(out, name);
    g_string_append(out, "='");
    gw_xml_append_escaped(out, value);
    g_string_append_c(out, '\'');
}

gboolean
gw_xml_text_ok(const char *text, gsize len)
{
    const char *end = text + len, *p;

    if (!g_utf8_validate(text, (gssize)len, NULL))
        return FALSE;
    for (p = text; p < end; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        /* XML 1.0 section 2.2 Char */
        if (!(c == 0x9 || c == 0xA || c == 0xD ||
              (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
              (c >= 0x10000 && c <= 0x10FFFF)))
            return FALSE;
    }
    return TRUE;
}
