/* gateway/xmpp/stanza_xml.c: xmpp_stanza_t -> xmlNode, node by node.
 *
 * Before it, the call bridge wrote each Jingle iq out as text
 * (xmpp_stanza_to_text()) for libjsdp to parse again: tree -> text ->
 * tree. Copying the tree is one allocation per element, attribute and
 * text, and keeps what libstrophe's parser saw: an element it reports
 * without namespace (xmlns='') stays without one, where the text round
 * trip gave it its parent's.
 *
 *   <iq xmlns='jabber:component:accept' type='set'>     libstrophe:
 *     <jingle xmlns='urn:xmpp:jingle:1' action='..'>      attribute xmlns
 *       <content name='a'>                               on every element
 *                                                        whose name had one
 *   ->  xmlNode "jingle", ns href urn:xmpp:jingle:1 (declared on it),
 *       child "content" sharing its parent's xmlNs, attribute name='a'
 */
#define G_LOG_DOMAIN "gw-xml"

#include "stanza_xml.h"

#include <string.h>

#include "gw_error.h"

/* The namespace libstrophe reports for the element, or NULL. */
static const char *
ns_of(xmpp_stanza_t *stanza)
{
    const char *ns = xmpp_stanza_get_ns(stanza);

    return ns != NULL && *ns != '\0' ? ns : NULL;
}

static void
copy_attributes(xmlNode *node, xmpp_stanza_t *stanza)
{
    int n = xmpp_stanza_get_attribute_count(stanza);
    g_autofree const char **attrs = NULL;

    if (n <= 0)
        return;
    attrs = g_new(const char *, 2 * (gsize)n);
    n = xmpp_stanza_get_attributes(stanza, attrs, 2 * n);
    for (int i = 0; i + 1 < n; i += 2) {
        /* a namespace declaration, not an attribute */
        if (strcmp(attrs[i], "xmlns") == 0 ||
            g_str_has_prefix(attrs[i], "xmlns:"))
            continue;
        /* xmlNewProp() takes the value as text: no entity is parsed */
        xmlNewProp(node, BAD_CAST attrs[i], BAD_CAST attrs[i + 1]);
    }
}

/* The element, its namespace declared on it unless the parent's is the
 * same (then shared, as a parser would share it). */
static xmlNode *
convert(xmpp_stanza_t *stanza, xmlNs *parent_ns, guint depth,
        GError **error)
{
    const char *uri = ns_of(stanza);
    xmlNode *node;
    xmlNs *ns = NULL;

    if (depth > GW_XML_MAX_DEPTH) {
        g_set_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                    "element tree deeper than %u", GW_XML_MAX_DEPTH);
        return NULL;
    }
    node = xmlNewNode(NULL, BAD_CAST xmpp_stanza_get_name(stanza));
    if (uri != NULL && parent_ns != NULL &&
        strcmp((const char *)parent_ns->href, uri) == 0)
        ns = parent_ns;
    else if (uri != NULL)
        ns = xmlNewNs(node, BAD_CAST uri, NULL);
    xmlSetNs(node, ns);
    copy_attributes(node, stanza);
    for (xmpp_stanza_t *k = xmpp_stanza_get_children(stanza); k != NULL;
         k = xmpp_stanza_get_next(k)) {
        xmlNode *child = NULL;
        if (xmpp_stanza_is_tag(k)) {
            child = convert(k, ns, depth + 1, error);
            if (child == NULL) {
                xmlFreeNode(node);
                return NULL;
            }
        } else if (xmpp_stanza_is_text(k) &&
                   xmpp_stanza_get_text_ptr(k) != NULL) {
            child = xmlNewText(BAD_CAST xmpp_stanza_get_text_ptr(k));
        }
        if (child != NULL)
            xmlAddChild(node, child); /* merges adjacent text */
    }
    return node;
}

xmlNode *
gw_xml_from_stanza(xmpp_stanza_t *stanza, GError **error)
{
    g_return_val_if_fail(stanza != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (!xmpp_stanza_is_tag(stanza) || xmpp_stanza_get_name(stanza) == NULL) {
        g_set_error_literal(error, GW_ERROR, GW_ERROR_BAD_REQUEST,
                            "not an element");
        return NULL;
    }
    return convert(stanza, NULL, 0, error);
}
