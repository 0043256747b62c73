/* gateway/core/xml_read.c: parsing peer XML safely (see xml_read.h). */
#include "xml_read.h"

#include <libxml/parser.h>

G_DEFINE_QUARK(gw-xml-read-error-quark, gw_xml_read_error)

#define PARSE_OPTIONS                                                          \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)

/* SAX internalSubset: called at "<!DOCTYPE", before any declaration in it
 * is read, so no entity is ever declared, let alone expanded or fetched. */
static void
refuse_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
               const xmlChar *system_id)
{
    xmlParserCtxt *ctxt = ctx;

    *(gboolean *)ctxt->_private = TRUE;
    xmlStopParser(ctxt);
}

static void
set_not_well_formed(const xmlParserCtxt *ctxt, GError **error)
{
    const xmlError *e = &ctxt->lastError;
    g_autofree char *msg = g_strdup(e->message != NULL ? e->message : "");

    g_strstrip(g_strdelimit(msg, "\r\n", ' '));
    g_set_error(error, GW_XML_READ_ERROR, GW_XML_READ_MALFORMED,
                "not well-formed xml at line %d: '%.64s'", e->line, msg);
}

xmlDoc *
gw_xml_read_untrusted(const char *xml, gsize len, gsize max, GError **error)
{
    g_autoptr(xmlParserCtxt) ctxt = NULL;
    xmlDoc *doc;
    gboolean doctype = FALSE;

    if (len == 0) {
        g_set_error(error, GW_XML_READ_ERROR, GW_XML_READ_EMPTY, "empty document");
        return NULL;
    }
    if (len > max || len > G_MAXINT) {
        g_set_error(error, GW_XML_READ_ERROR, GW_XML_READ_TOO_LARGE,
                    "document of %" G_GSIZE_FORMAT " bytes exceeds the limit of %"
                    G_GSIZE_FORMAT, len, max);
        return NULL;
    }
    ctxt = xmlNewParserCtxt();
    if (ctxt == NULL) {
        g_set_error(error, GW_XML_READ_ERROR, GW_XML_READ_MALFORMED,
                    "cannot create an xml parser");
        return NULL;
    }
    ctxt->sax->internalSubset = refuse_doctype;
    ctxt->_private = &doctype;
    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, NULL, NULL, PARSE_OPTIONS);
    if (doctype || (doc != NULL && (doc->intSubset || doc->extSubset))) {
        if (doc != NULL)
            xmlFreeDoc(doc);
        g_set_error(error, GW_XML_READ_ERROR, GW_XML_READ_DOCTYPE,
                    "document type declarations are not allowed");
        return NULL;
    }
    if (doc == NULL || !ctxt->wellFormed) {
        if (doc != NULL)
            xmlFreeDoc(doc);
        set_not_well_formed(ctxt, error);
        return NULL;
    }
    return doc;
}
