/* gateway/core/msgbody.c: SIP MESSAGE bodies <-> what XMPP carries (pure).
 *
 * Reading (gw_msgbody_read()):
 *
 *   Content-Type          body                       -> GwMsgBody
 *   text/plain;charset=X  bytes in X                 -> text (UTF-8)
 *   message/cpim          From: ..  To: ..           (RFC 3862 message
 *                         <blank line>                headers: not read;
 *                         Content-Type: text/plain    the SIP From is the
 *                         <blank line>                sender we trust)
 *                         hello                      -> text "hello"
 *   application/im-       <isComposing xmlns=..>
 *     iscomposing+xml       <state>active</state>    -> chat_state
 *                         </isComposing>                "composing"
 *
 * What XMPP can carry: UTF-8 (RFC 6120 §11.6) made of XML 1.0 characters
 * (§2.2: no C0 control but tab, LF, CR; no U+FFFE/U+FFFF). A charset other
 * than UTF-8 is converted with g_convert() (iconv); bytes that do not
 * convert, or characters XML cannot hold, refuse the message (415) rather
 * than alter it: its sender learns it was not delivered as written.
 *
 * RFC 3994 has two states, XEP-0085 five: active <-> composing,
 * idle <-> paused on the way in; on the way out composing -> active and
 * every other state -> idle (the composer stopped). <refresh>,
 * <lastactive> and <contenttype> are not read: XEP-0085 has no timers
 * (an XMPP client times out a composing state itself).
 */
#include "msgbody.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "gw_error.h"
#include "xml_read.h"
#include "xml_text.h"

void
gw_msgbody_free(GwMsgBody *body)
{
    if (body == NULL)
        return;
    g_free(body->text);
    g_free(body);
}

void
gw_cpim_free(GwCpim *cpim)
{
    if (cpim == NULL)
        return;
    g_free(cpim->type);
    g_free(cpim->charset);
    g_free(cpim);
}

/* ---- RFC 3862 message/cpim ---------------------------------------------- */

/* Finds the end of a header block (blank line); sets *next past it. */
static const char *
find_blank_line(const char *p, const char *end, const char **next)
{
    for (const char *q = p; q < end; q++) {
        if (*q != '\n')
            continue;
        if (q + 1 < end && q[1] == '\n') {
            *next = q + 2;
            return q;
        }
        if (q + 2 < end && q[1] == '\r' && q[2] == '\n') {
            *next = q + 3;
            return q;
        }
    }
    return NULL;
}

/* The value of header `name` in a block, (transfer full) or NULL. */
static char *
header_value(const char *p, const char *end, const char *name)
{
    gsize n = strlen(name);

    while (p < end) {
        const char *eol = memchr(p, '\n', (gsize)(end - p));
        const char *stop = eol ? eol : end;
        if ((gsize)(stop - p) > n && g_ascii_strncasecmp(p, name, n) == 0 &&
            p[n] == ':') {
            g_autofree char *v =
                g_strndup(p + n + 1, (gsize)(stop - p - n - 1));
            return g_strdup(g_strstrip(v));
        }
        p = eol ? eol + 1 : end;
    }
    return NULL;
}

GwCpim *
gw_msgbody_cpim_unwrap(const char *body, gsize len, GError **error)
{
    const char *end, *mime, *inner;
    g_autofree char *ct = NULL;
    g_autoptr(GwCpim) cpim = NULL;
    char *semi;

    g_return_val_if_fail(body != NULL || len == 0, NULL);
    end = len > 0 ? body + len : body;
    /* mime - 1 is the blank line's own LF: an empty MIME block is found
     * as the blank line that ends it */
    if (len == 0 || find_blank_line(body, end, &mime) == NULL ||
        find_blank_line(mime - 1, end, &inner) == NULL) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "message/cpim without header blocks");
        return NULL;
    }
    ct = header_value(mime, inner, "Content-Type");
    if (ct == NULL) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "message/cpim without an inner Content-Type");
        return NULL;
    }
    cpim = g_new0(GwCpim, 1);
    if ((semi = strchr(ct, ';')) != NULL) {
        char *cs = strstr(semi, "charset=");
        if (cs == NULL)
            cs = strstr(semi, "CHARSET=");
        if (cs != NULL) {
            cs += 8;
            cs += *cs == '"';
            cpim->charset = g_strndup(cs, strcspn(cs, "\";, \t\r"));
        }
        *semi = '\0';
    }
    cpim->type = g_ascii_strdown(g_strstrip(ct), -1);
    cpim->content = inner;
    cpim->content_len = (gsize)(end - inner);
    return g_steal_pointer(&cpim);
}

/* ---- RFC 3994 isComposing ----------------------------------------------- */

const char *
gw_msgbody_iscomposing_read(const char *body, gsize len, GError **error)
{
    xmlDoc *doc = NULL;
    xmlNode *root;
    const char *state = NULL;

    g_return_val_if_fail(body != NULL || len == 0, NULL);
    /* no DOCTYPE, no entities: as PIDF (core/xml_read.c) */
    doc = gw_xml_read_untrusted(body, len, GW_MSGBODY_MAX_ISCOMPOSING, NULL);
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (root != NULL && root->ns != NULL &&
        xmlStrcmp(root->name, BAD_CAST "isComposing") == 0 &&
        xmlStrcmp(root->ns->href, BAD_CAST GW_NS_ISCOMPOSING) == 0) {
        for (xmlNode *c = root->children; c != NULL; c = c->next) {
            if (c->type == XML_ELEMENT_NODE &&
                xmlStrcmp(c->name, BAD_CAST "state") == 0) {
                xmlChar *v = xmlNodeGetContent(c);
                g_autofree char *s = g_strdup(v ? (char *)v : "");
                xmlFree(v);
                g_strstrip(s);
                if (strcmp(s, "active") == 0)
                    state = "composing";
                else if (strcmp(s, "idle") == 0)
                    state = "paused";
                break;
            }
        }
    }
    if (doc != NULL)
        xmlFreeDoc(doc);
    if (state == NULL)
        g_set_error_literal(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "not an RFC 3994 isComposing document");
    return state;
}

char *
gw_msgbody_iscomposing_build(const char *chat_state)
{
    gboolean active = g_strcmp0(chat_state, "composing") == 0;

    return g_strdup_printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                           "<isComposing xmlns=\"" GW_NS_ISCOMPOSING "\">\n"
                           "  <state>%s</state>\n"
                           "  <contenttype>text/plain</contenttype>\n"
                           "</isComposing>\n",
                           active ? "active" : "idle");
}

/* ---- text --------------------------------------------------------------- */

char *
gw_msgbody_text_to_utf8(const char *charset, const char *body, gsize len,
                        GError **error)
{
    g_autofree char *converted = NULL;

    g_return_val_if_fail(body != NULL || len == 0, NULL);
    if (body == NULL)
        body = "";
    if (charset != NULL && g_ascii_strcasecmp(charset, "utf-8") != 0 &&
        g_ascii_strcasecmp(charset, "us-ascii") != 0) {
        g_autoptr(GError) conv_error = NULL;
        gsize out_len = 0;
        converted = g_convert(body, (gssize)len, "UTF-8", charset, NULL,
                              &out_len, &conv_error);
        if (converted == NULL) {
            g_set_error(error, GW_ERROR, GW_ERROR_UNSUPPORTED,
                        "cannot convert charset '%.32s': %s", charset,
                        conv_error->message);
            return NULL;
        }
        body = converted;
        len = out_len;
    }
    if (!g_utf8_validate(body, (gssize)len, NULL)) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "body is not valid UTF-8");
        return NULL;
    }
    if (!gw_xml_text_ok(body, len)) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_UNSUPPORTED,
                            "body has characters XMPP cannot carry");
        return NULL;
    }
    return g_strndup(body, len);
}

/* ---- the whole body ----------------------------------------------------- */

GwMsgBody *
gw_msgbody_read(const char *content_type, const char *charset, const char *body,
                gsize len, GError **error)
{
    g_autoptr(GwCpim) cpim = NULL;
    g_autoptr(GwMsgBody) out = NULL;

    g_return_val_if_fail(content_type != NULL, NULL);
    g_return_val_if_fail(body != NULL || len == 0, NULL);
    if (strcmp(content_type, GW_CT_CPIM) == 0) {
        cpim = gw_msgbody_cpim_unwrap(body, len, error);
        if (cpim == NULL)
            return NULL;
        content_type = cpim->type;
        charset = cpim->charset;
        body = cpim->content;
        len = cpim->content_len;
    }
    out = g_new0(GwMsgBody, 1);
    if (strcmp(content_type, GW_CT_TEXT) == 0) {
        out->text = gw_msgbody_text_to_utf8(charset, body, len, error);
        if (out->text == NULL)
            return NULL;
    } else if (strcmp(content_type, GW_CT_ISCOMPOSING) == 0) {
        out->chat_state = gw_msgbody_iscomposing_read(body, len, error);
        if (out->chat_state == NULL)
            return NULL;
    } else {
        g_set_error(error, GW_ERROR, GW_ERROR_UNSUPPORTED,
                    "content type '%.64s' is not carried", content_type);
        return NULL;
    }
    return g_steal_pointer(&out);
}
