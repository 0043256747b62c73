/* gateway/core/xml_read.h: the one way peer XML (PIDF, isComposing) is
 * parsed: bounded in size, no network, no entities: a DOCTYPE stops the
 * parser where it starts, before any declaration is read. Pure. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

#define GW_XML_READ_ERROR (gw_xml_read_error_quark())
GQuark gw_xml_read_error_quark(void);

typedef enum {
    GW_XML_READ_EMPTY,
    GW_XML_READ_TOO_LARGE,
    GW_XML_READ_DOCTYPE,
    GW_XML_READ_MALFORMED,
} GwXmlReadError;

/* The document of `len` bytes (at most `max`), or NULL and an error whose
 * message says why ("not well-formed xml at line 3: '...'"). Free with
 * xmlFreeDoc(). */
xmlDoc *gw_xml_read_untrusted(const char *xml, gsize len, gsize max,
                              GError **error);

G_END_DECLS
