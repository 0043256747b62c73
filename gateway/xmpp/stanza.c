/* gateway/xmpp/stanza.c: stanzas as text, and the parts of incoming ones
 * the bridges read. Outgoing stanzas are written as XML text with every
 * value escaped (core/xml_text.c): cheaper than building libstrophe trees,
 * and the link writes text anyway. */
#include "stanza.h"

#include "num_text.h"

#include <string.h>
#include <uuid.h>

/* A random UUID per process (libuuid) and a counter: unique ids without
 * a libuuid call (6 syscalls, ~9.5k instructions) per message. */
char *
gw_stanza_new_id(void)
{
    static char prefix[37];
    static guint64 counter;
    char num[GW_NUM_TEXT_SIZE];

    if (prefix[0] == '\0') {
        uuid_t u;
        uuid_generate(u);
        uuid_unparse_lower(u, prefix);
    }
    /* one per message: its decimal without printf */
    return g_strconcat(prefix, "-", gw_num_decimal(++counter, num), NULL);
}

static GString *
stanza_head(const char *name, const char *type, const char *from,
            const char *to, const char *id)
{
    GString *x = g_string_sized_new(256);

    g_string_append_c(x, '<');
    g_string_append(x, name);
    gw_xml_append_attr(x, "type", type);
    gw_xml_append_attr(x, "from", from);
    gw_xml_append_attr(x, "to", to);
    gw_xml_append_attr(x, "id", id);
    return x;
}

GString *
gw_stanza_begin(const char *name, const char *type, const char *from,
                const char *to, const char *id)
{
    GString *x = stanza_head(name, type, from, to, id);

    g_string_append_c(x, '>');
    return x;
}

void
gw_stanza_end(GString *x, const char *name)
{
    g_string_append(x, "</");
    g_string_append(x, name);
    g_string_append_c(x, '>');
}

GString *
gw_stanza_empty(const char *name, const char *type, const char *from,
                const char *to, const char *id)
{
    GString *x = stanza_head(name, type, from, to, id);

    g_string_append(x, "/>");
    return x;
}

GString *
gw_stanza_iq_result(xmpp_stanza_t *iq)
{
    return gw_stanza_empty("iq", "result", xmpp_stanza_get_to(iq),
                           xmpp_stanza_get_from(iq), xmpp_stanza_get_id(iq));
}

GString *
gw_stanza_iq_result_begin(xmpp_stanza_t *iq)
{
    return gw_stanza_begin("iq", "result", xmpp_stanza_get_to(iq),
                           xmpp_stanza_get_from(iq), xmpp_stanza_get_id(iq));
}

GString *
gw_stanza_receipt(const char *from, const char *to, const char *received_id)
{
    g_autofree char *id = gw_stanza_new_id();
    GString *x = gw_stanza_begin("message", NULL, from, to, id);

    g_string_append(x, "<received xmlns='" GW_NS_RECEIPTS "'");
    gw_xml_append_attr(x, "id", received_id);
    g_string_append(x, "/>");
    gw_stanza_end(x, "message");
    return x;
}

GString *
gw_stanza_error_reply(xmpp_stanza_t *orig, const char *from,
                      const GwStanzaError *error, const char *text)
{
    return gw_stanza_error_build(xmpp_stanza_get_name(orig),
                                 from ? from : xmpp_stanza_get_to(orig),
                                 xmpp_stanza_get_from(orig),
                                 xmpp_stanza_get_id(orig), error, text);
}

GString *
gw_stanza_error_build(const char *name, const char *from, const char *to,
                      const char *id, const GwStanzaError *error,
                      const char *text)
{
    GString *out = g_string_sized_new(256);

    g_string_append_c(out, '<');
    g_string_append(out, name);
    gw_xml_append_attr(out, "from", from);
    gw_xml_append_attr(out, "to", to);
    gw_xml_append_attr(out, "id", id);
    g_string_append(out, " type='error'><error");
    gw_xml_append_attr(out, "type", error->type);
    g_string_append(out, "><");
    g_string_append(out, error->condition);
    g_string_append(out, " xmlns='" GW_NS_STANZAS "'/>");
    if (error->app_condition != NULL) {
        g_string_append_c(out, '<');
        g_string_append(out, error->app_condition);
        gw_xml_append_attr(out, "xmlns", error->app_ns);
        g_string_append(out, "/>");
    }
    if (text != NULL) {
        g_string_append(out, "<text xmlns='" GW_NS_STANZAS "' xml:lang='en'>");
        gw_xml_append_escaped(out, text);
        g_string_append(out, "</text>");
    }
    g_string_append(out, "</error></");
    g_string_append(out, name);
    g_string_append_c(out, '>');
    return out;
}

/* `c` or the first sibling after it that is element name/ns, or NULL. */
static xmpp_stanza_t *
element_from(xmpp_stanza_t *c, const char *name, const char *ns)
{
    for (; c != NULL; c = xmpp_stanza_get_next(c)) {
        const char *cn, *cns;
        if (!xmpp_stanza_is_tag(c))
            continue;
        cn = xmpp_stanza_get_name(c);
        cns = xmpp_stanza_get_ns(c);
        if (cn != NULL && strcmp(cn, name) == 0 &&
            (ns == NULL || (cns != NULL && strcmp(cns, ns) == 0)))
            return c;
    }
    return NULL;
}

xmpp_stanza_t *
gw_stanza_child(xmpp_stanza_t *stanza, const char *name, const char *ns)
{
    return element_from(xmpp_stanza_get_children(stanza), name, ns);
}

xmpp_stanza_t *
gw_stanza_next(xmpp_stanza_t *child, const char *name, const char *ns)
{
    return element_from(xmpp_stanza_get_next(child), name, ns);
}

const char *
gw_stanza_error_condition(xmpp_stanza_t *stanza)
{
    xmpp_stanza_t *err = gw_stanza_child(stanza, "error", NULL);

    for (xmpp_stanza_t *c = err ? xmpp_stanza_get_children(err) : NULL; c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_is_tag(c) &&
            g_strcmp0(xmpp_stanza_get_ns(c), GW_NS_STANZAS) == 0 &&
            g_strcmp0(xmpp_stanza_get_name(c), "text") != 0)
            return xmpp_stanza_get_name(c);
    return NULL;
}

char *
gw_stanza_child_text(xmpp_stanza_t *stanza, const char *name)
{
    xmpp_stanza_t *c = gw_stanza_child(stanza, name, NULL);
    g_autoptr(GString) out = NULL;

    if (c == NULL)
        return NULL;
    out = g_string_new(NULL);
    for (xmpp_stanza_t *t = xmpp_stanza_get_children(c); t != NULL;
         t = xmpp_stanza_get_next(t)) {
        const char *s = xmpp_stanza_is_text(t) ? xmpp_stanza_get_text_ptr(t)
                                               : NULL;
        if (s != NULL)
            g_string_append(out, s);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

const char *
gw_stanza_get_lang(xmpp_stanza_t *stanza)
{
    const char *attrs[64];
    int n;

    if (stanza == NULL)
        return NULL;
    n = xmpp_stanza_get_attributes(stanza, attrs, G_N_ELEMENTS(attrs));
    for (int i = 0; i + 1 < n; i += 2) {
        const char *name = attrs[i];
        gsize len = strlen(name);
        /* libstrophe hands "xml:lang" over as "lang" */
        if (strcmp(name, "xml:lang") == 0 || strcmp(name, "lang") == 0 ||
            (len > 4 && strcmp(name + len - 4, "lang") == 0 &&
             !g_ascii_isalnum(name[len - 5]) &&
             strstr(name, "XML/1998/namespace") != NULL))
            return attrs[i + 1];
    }
    return NULL;
}

const char *
gw_stanza_chat_state(xmpp_stanza_t *stanza)
{
    static const char *const states[] = { "active", "composing", "paused",
                                          "inactive", "gone" };

    for (xmpp_stanza_t *c = xmpp_stanza_get_children(stanza); c != NULL;
         c = xmpp_stanza_get_next(c)) {
        const char *ns = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_ns(c) : NULL;
        const char *n = xmpp_stanza_get_name(c);
        if (ns == NULL || n == NULL || strcmp(ns, GW_NS_CHATSTATES) != 0)
            continue;
        for (gsize i = 0; i < G_N_ELEMENTS(states); i++)
            if (strcmp(n, states[i]) == 0)
                return states[i];
    }
    return NULL;
}
