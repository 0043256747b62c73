/* gateway/xmpp/caps_fuzz.c: libFuzzer target for the XEP-0115 code, which reads
 * disco#info results that XMPP clients (anyone) send us.
 *
 * The input is one XML element: a disco#info <query/> (or an element that
 * holds one). Invariants:
 *  - gw_disco_info_parse() gives an info or a GW_CAPS_ERROR, never both,
 *    never neither;
 *  - of an info, the sha-1 verification string exists, is the base64 of 20
 *    bytes, and is the same after the query is written out and read again;
 *  - fed to the cache as the answer to the query a presence with that 'ver'
 *    started, the answer is consumed and the JID's features are known;
 *    refused answers leave the JID failed, never known.
 */
#include "caps.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define FULL "alice@example.com/phone"
#define COMPONENT "1001@sip.example.com"

static xmpp_ctx_t *
ctx(void)
{
    static xmpp_ctx_t *c;

    if (c == NULL) {
        xmpp_initialize();
        c = xmpp_ctx_new(NULL, NULL);
    }
    return c;
}

static xmpp_stanza_t *
find_query(xmpp_stanza_t *e)
{
    const char *name = xmpp_stanza_get_name(e);

    if (name != NULL && strcmp(name, "query") == 0)
        return e;
    return xmpp_stanza_get_child_by_name(e, "query");
}

/* The verification string of a query, or NULL; checks the parse contract. */
static char *
ver_of(xmpp_stanza_t *query)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwDiscoInfo) info = gw_disco_info_parse(query, &error);
    g_autofree guchar *raw = NULL;
    gsize n = 0;
    char *ver;

    if ((info == NULL) == (error == NULL))
        fail("gw_disco_info_parse: info %p and error %p", (void *)info,
             (void *)error);
    if (info == NULL) {
        if (error->domain != GW_CAPS_ERROR)
            fail("parse error in domain %s", g_quark_to_string(error->domain));
        return NULL;
    }
    ver = gw_caps_ver_build(info, "sha-1", &error);
    if (ver == NULL)
        fail("no sha-1 verification string: %s", error->message);
    raw = g_base64_decode(ver, &n);
    if (n != 20)
        fail("verification string '%s' is not the base64 of 20 bytes", ver);
    return ver;
}

static char *sent_id; /* the id of the query the cache sent */

static void
capture_send(GString *xml, gpointer user_data)
{
    xmpp_stanza_t *iq = xmpp_stanza_new_from_string(ctx(), xml->str);
    const char *id = iq != NULL ? xmpp_stanza_get_id(iq) : NULL;

    if (id == NULL)
        fail("the cache sent something without an id: %s", xml->str);
    g_free(sent_id);
    sent_id = g_strdup(id);
    xmpp_stanza_release(iq);
    g_string_free(xml, TRUE);
}

/* Presence advertising `ver`, then the fuzzed query as the answer. */
static void
drive_cache(xmpp_stanza_t *query, const char *ver)
{
    GwCapsLimits limits = { 4, 4, 2, 2, 1000 };
    g_autoptr(GwCaps) caps = gw_caps_new(&limits, capture_send, NULL);
    g_autofree char *pres_xml = g_strdup_printf(
        "<presence from='" FULL "' to='" COMPONENT "'><c xmlns='"
        GW_NS_CAPS "' hash='sha-1' node='https://fuzz.example' ver='%s'/>"
        "</presence>", ver);
    xmpp_stanza_t *pres = xmpp_stanza_new_from_string(ctx(), pres_xml);
    xmpp_stanza_t *iq = xmpp_stanza_new(ctx());
    xmpp_stanza_t *copy = xmpp_stanza_copy(query);
    GHashTable *features = NULL;
    GwCapsState st;

    g_clear_pointer(&sent_id, g_free);
    gw_caps_presence(caps, FULL, COMPONENT, pres);
    if (sent_id == NULL)
        fail("no disco#info query for an unknown ver");
    xmpp_stanza_set_name(iq, "iq");
    xmpp_stanza_set_type(iq, "result");
    xmpp_stanza_set_id(iq, sent_id);
    xmpp_stanza_set_from(iq, FULL);
    xmpp_stanza_set_to(iq, COMPONENT);
    xmpp_stanza_add_child(iq, copy);
    xmpp_stanza_release(copy);
    if (!gw_caps_iq(caps, iq))
        fail("the answer to our query was not consumed");
    st = gw_caps_lookup(caps, FULL, &features);
    if (st != GW_CAPS_KNOWN && st != GW_CAPS_FAILED)
        fail("state %d after the answer", st);
    if ((st == GW_CAPS_KNOWN) != (features != NULL))
        fail("state %d with features %p", st, (void *)features);
    if (features != NULL)
        g_hash_table_unref(features);
    xmpp_stanza_release(iq);
    xmpp_stanza_release(pres);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = NULL;
    xmpp_stanza_t *root, *query, *again;
    g_autofree char *ver = NULL, *ver2 = NULL;
    char *buf = NULL;
    size_t len = 0;

    if (size > 16384 || memchr(data, '\0', size) != NULL)
        return 0;
    text = g_strndup((const char *)data, size);
    root = xmpp_stanza_new_from_string(ctx(), text);
    if (root == NULL)
        return 0;
    query = find_query(root);
    if (query == NULL) {
        xmpp_stanza_release(root);
        return 0;
    }
    ver = ver_of(query);
    if (ver != NULL) {
        /* written out and read back: the same verification string */
        if (xmpp_stanza_to_text(query, &buf, &len) != 0)
            fail("cannot write the query out");
        /* libstrophe 0.12.2 writes a prefixed element such as <xml:x/>
         * as <x xmlns="http://www.w3.org/XML/1998/namespace"/>, which no
         * parser reads back: only what reads back is compared */
        again = xmpp_stanza_new_from_string(ctx(), buf);
        if (again != NULL) {
            ver2 = ver_of(again);
            if (g_strcmp0(ver, ver2) != 0)
                fail("ver %s, then %s after a round trip of %s", ver,
                     ver2 ? ver2 : "(refused)", buf);
            xmpp_stanza_release(again);
        }
        xmpp_free(ctx(), buf);
        if (g_strcmp0(xmpp_stanza_get_ns(query), NS_DISCO_INFO) == 0)
            drive_cache(query, ver);
    }
    xmpp_stanza_release(root);
    return 0;
}
