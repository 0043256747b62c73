/* gateway/xmpp/stanza_xml.h: a libstrophe stanza tree as a libxml2 tree,
 * for the pure cores that read libxml2 nodes (jingle_sdp/:
 * jsdp_session_from_jingle()), without writing the stanza out as text and
 * parsing it again. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <strophe.h>

G_BEGIN_DECLS

/* Elements deeper than this below the converted one are refused (the
 * conversion recurses; Jingle needs 5 levels). */
#define GW_XML_MAX_DEPTH 64

/* The element `stanza` and everything below it as an unlinked libxml2
 * element in no document: (transfer full), free with xmlFreeNode().
 *
 * Names, attributes and text are copied as libstrophe holds them: element
 * names are local names; its parser stores each element's namespace as the
 * attribute "xmlns" (inherited ones included), so that attribute becomes
 * the element's namespace and is not copied as an attribute, and an
 * element without it has no namespace (<x xmlns=''/>), whatever its
 * parent's. Attribute namespaces were dropped by libstrophe ("xml:lang"
 * arrives as "lang"); text children are joined as they come.
 *
 * NULL with GW_ERROR_BAD_REQUEST if `stanza` is not an element or the
 * tree is deeper than GW_XML_MAX_DEPTH. */
xmlNode *gw_xml_from_stanza(xmpp_stanza_t *stanza, GError **error);

/* libxml2 has no autocleanups of its own. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlNode, xmlFreeNode)

G_END_DECLS
