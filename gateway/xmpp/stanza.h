/* gateway/xmpp/stanza.h: building stanzas as XML text, and reading the
 * parts of incoming libstrophe stanzas the bridges need. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "error_map.h"
#include "xml_text.h"

G_BEGIN_DECLS


/* A fresh stanza id (random UUID). (transfer full) */
char *gw_stanza_new_id(void);

/* ---- the one builder of outgoing stanzas -------------------------------
 * Every stanza the gateway writes is text built here: names and values
 * escaped, NULL attributes left out, `from` always set by the caller (a
 * component must, RFC 6120 / XEP-0114).
 *
 *   x = gw_stanza_begin("message", "chat", from, to, id);   <message ...>
 *   ... children appended (gw_xml_append_*) ...
 *   gw_stanza_end(x, "message");                            </message>
 */

/* "<name type='..' from='..' to='..' id='..'>" (transfer full). */
GString *gw_stanza_begin(const char *name, const char *type,
                         const char *from, const char *to, const char *id);
/* Appends "</name>". */
void gw_stanza_end(GString *x, const char *name);
/* "<name .../>": a stanza without children (transfer full). */
GString *gw_stanza_empty(const char *name, const char *type,
                         const char *from, const char *to, const char *id);
/* The empty result to an iq get/set (RFC 6120 8.2.3): from/to swapped, the
 * id kept (transfer full). */
GString *gw_stanza_iq_result(xmpp_stanza_t *iq);
/* The same, open for a payload: end it with gw_stanza_end(x, "iq"). */
GString *gw_stanza_iq_result_begin(xmpp_stanza_t *iq);
/* A XEP-0184 receipt for message `received_id` (transfer full). */
GString *gw_stanza_receipt(const char *from, const char *to,
                           const char *received_id);

/* An error reply to `orig` (message, presence or iq): from/to swapped, id
 * and type='error' kept as RFC 6120 8.2 asks, with condition, type, the
 * application-specific condition if any, and a human text. `from` overrides the reply's from (NULL: orig's to).
 * (transfer full) */
GString *gw_stanza_error_reply(xmpp_stanza_t *orig, const char *from,
                               const GwStanzaError *error, const char *text);
/* The same for a stanza no longer at hand: element `name` ("message"...),
 * its addresses and id (NULL ones are left out). (transfer full) */
GString *gw_stanza_error_build(const char *name, const char *from,
                               const char *to, const char *id,
                               const GwStanzaError *error, const char *text);

/* First child element with this name and namespace (ns NULL: any), or
 * NULL (borrowed). */
xmpp_stanza_t *gw_stanza_child(xmpp_stanza_t *stanza, const char *name,
                               const char *ns);
/* The next sibling element after `child` with this name and namespace,
 * or NULL (borrowed): with gw_stanza_child(), a walk of those children. */
xmpp_stanza_t *gw_stanza_next(xmpp_stanza_t *child, const char *name,
                              const char *ns);

/* The RFC 6120 8.3.3 defined condition of an error stanza (the element in
 * urn:ietf:params:xml:ns:xmpp-stanzas inside <error/> that is not <text/>),
 * or NULL (borrowed). */
const char *gw_stanza_error_condition(xmpp_stanza_t *stanza);

/* Text of the first child element `name` (any xml:lang), (transfer full)
 * or NULL. */
char *gw_stanza_child_text(xmpp_stanza_t *stanza, const char *name);

/* The element's xml:lang, however the parser spelled the name (expat may
 * expand it to the XML namespace URI), or NULL (borrowed). */
const char *gw_stanza_get_lang(xmpp_stanza_t *stanza);

/* The first chat-state child (XEP-0085): "active", "composing", "paused",
 * "inactive", "gone", or NULL (static string). */
const char *gw_stanza_chat_state(xmpp_stanza_t *stanza);

G_END_DECLS
