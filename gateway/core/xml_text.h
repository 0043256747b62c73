/* gateway/core/xml_text.h: XML text for the stanzas we write: escaping,
 * attributes, what XML 1.0 can carry; the namespaces we speak. Pure. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GW_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define GW_NS_RECEIPTS "urn:xmpp:receipts"
#define GW_NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define GW_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define GW_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define GW_NS_PING "urn:xmpp:ping"
#define GW_NS_VERSION "jabber:iq:version"
#define GW_NS_GATEWAY "jabber:iq:gateway" /* XEP-0100 6.3 */
#define GW_NS_NICK "http://jabber.org/protocol/nick"

/* Appends text escaped for XML attribute values and character data. */
void gw_xml_append_escaped(GString *out, const char *text);

/* Appends ` name='value'` (escaped) when value is not NULL. */
void gw_xml_append_attr(GString *out, const char *name, const char *value);

/* Is this valid UTF-8 made only of characters XML 1.0 allows? */
gboolean gw_xml_text_ok(const char *text, gsize len);

G_END_DECLS
