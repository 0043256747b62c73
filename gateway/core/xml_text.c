/* gateway/core/xml_text.c: XML text for stanzas we write (pure). */
#include "xml_text.h"

#include <string.h>

void
gw_xml_append_escaped(GString *out, const char *text)
{
    const char *p = text;

    for (;;) {
        /* the run without anything to escape, in one append */
        size_t n = strcspn(p, "&<>\"'\r");
        const char *rep;

        g_string_append_len(out, p, (gssize)n);
        p += n;
        switch (*p) {
        case '\0':
            return;
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
        default: /* '\r' */
            rep = "&#13;"; /* kept through XML end-of-line handling */
            break;
        }
        g_string_append(out, rep);
        p++;
    }
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

    /* ASCII, byte by byte (most text); from the first other byte on, as
     * UTF-8 */
    for (p = text; p < end && (guchar)*p < 0x80; p++) {
        if ((guchar)*p < 0x20 && *p != 0x9 && *p != 0xA && *p != 0xD)
            return FALSE; /* NUL and the other C0 controls */
    }
    if (p == end)
        return TRUE;
    if (!g_utf8_validate(p, (gssize)(end - p), NULL))
        return FALSE;
    for (; p < end; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        /* XML 1.0 section 2.2 Char */
        if (!(c == 0x9 || c == 0xA || c == 0xD ||
              (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
              (c >= 0x10000 && c <= 0x10FFFF)))
            return FALSE;
    }
    return TRUE;
}
