/* test_stanza_xml.c: gateway/xmpp/stanza_xml.c, libstrophe tree ->
 * libxml2 tree.
 *
 *   /stanza-xml/jingle/<file>  every Jingle sample of tests/data/jsdp/jingle
 *                              read by libstrophe: the session libjsdp
 *                              reads from the converted tree equals the one
 *                              it reads from the text (or both fail alike)
 *   /stanza-xml/tree/<case>    names, namespaces, attributes, text, limits
 */
#include "stanza_xml.h"

#include <string.h>

#include "gw_error.h"
#include "jsdp.h"

static xmpp_ctx_t *ctx;

static char *
read_jingle(const char *name)
{
    g_autofree char *path = g_test_build_filename(G_TEST_DIST, "data", "jsdp",
                                                  "jingle", name, NULL);
    g_autoptr(GError) error = NULL;
    char *text = NULL;

    g_file_get_contents(path, &text, NULL, &error);
    g_assert_no_error(error);
    return text;
}

static xmpp_stanza_t *
stanza_of(const char *text)
{
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(ctx, text);

    g_assert_nonnull(s);
    return s;
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_jingle_both_ways(gconstpointer data)
{
    g_autofree char *text = read_jingle(data);
    xmpp_stanza_t *stanza = stanza_of(text);
    g_autoptr(GError) terr = NULL, nerr = NULL;
    g_autoptr(JsdpSession) via_text =
        jsdp_session_from_jingle_string(text, -1, &terr);
    g_autoptr(xmlNode) node = gw_xml_from_stanza(stanza, &nerr);
    g_autoptr(JsdpSession) via_tree = NULL;

    g_assert_no_error(nerr);
    via_tree = jsdp_session_from_jingle(node, &nerr);
    xmpp_stanza_release(stanza);
    if (via_text == NULL) {
        g_assert_null(via_tree);
        g_assert_error(nerr, terr->domain, terr->code);
        g_assert_cmpstr(nerr->message, ==, terr->message);
        return;
    }
    g_assert_no_error(nerr);
    g_assert_true(jsdp_session_equal(via_text, via_tree));
    /* what equality leaves out: the envelope and the warnings */
    g_assert_cmpstr(via_text->action, ==, via_tree->action);
    g_assert_cmpstr(via_text->sid, ==, via_tree->sid);
    g_assert_cmpstr(via_text->initiator, ==, via_tree->initiator);
    g_assert_cmpstr(via_text->responder, ==, via_tree->responder);
    g_assert_cmpuint(via_text->warnings->len, ==, via_tree->warnings->len);
    for (guint i = 0; i < via_text->warnings->len; i++)
        g_assert_cmpstr(g_ptr_array_index(via_text->warnings, i), ==,
                        g_ptr_array_index(via_tree->warnings, i));
}

static const char *
ns_href(const xmlNode *n)
{
    return n->ns != NULL ? (const char *)n->ns->href : NULL;
}

static xmlNode *
first_element(xmlNode *n)
{
    for (; n != NULL; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            return n;
    return NULL;
}

/* Namespaces as libstrophe reports them: declared, inherited, prefixed,
 * and undeclared (xmlns=''), which the text round trip lost. */
static void
test_namespaces(void)
{
    xmpp_stanza_t *s = stanza_of(
        "<iq xmlns='jabber:component:accept' type='set'>"
        "<j:jingle xmlns:j='urn:xmpp:jingle:1' action='x'>"
        "<j:content name='a'><plain xmlns=''/><dflt/></j:content>"
        "</j:jingle></iq>");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlNode) iq = gw_xml_from_stanza(s, &error);
    xmlNode *jingle, *content, *plain, *dflt;

    xmpp_stanza_release(s);
    g_assert_no_error(error);
    g_assert_cmpstr((const char *)iq->name, ==, "iq");
    g_assert_cmpstr(ns_href(iq), ==, "jabber:component:accept");
    g_assert_null(iq->doc);
    jingle = first_element(iq->children);
    g_assert_cmpstr((const char *)jingle->name, ==, "jingle");
    g_assert_cmpstr(ns_href(jingle), ==, "urn:xmpp:jingle:1");
    content = first_element(jingle->children);
    g_assert_cmpstr((const char *)content->name, ==, "content");
    g_assert_true(content->ns == jingle->ns); /* shared, not declared again */
    g_assert_null(content->nsDef);
    plain = first_element(content->children);
    g_assert_cmpstr((const char *)plain->name, ==, "plain");
    g_assert_null(plain->ns);
    /* the default namespace in scope is the iq's, not j: */
    dflt = first_element(plain->next);
    g_assert_cmpstr(ns_href(dflt), ==, "jabber:component:accept");
    /* xmlns is a namespace, not an attribute */
    g_assert_null(xmlHasProp(iq, BAD_CAST "xmlns"));
}

static void
test_attributes_and_text(void)
{
    xmpp_stanza_t *s = stanza_of(
        "<x xmlns='urn:t' xml:lang='en' a='1&amp;2 &lt;3&gt;' b=''>"
        "one &amp; <y/>two<![CDATA[<three>]]></x>");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlNode) x = gw_xml_from_stanza(s, &error);
    xmlChar *v;
    xmlNode *t;

    xmpp_stanza_release(s);
    g_assert_no_error(error);
    v = xmlGetProp(x, BAD_CAST "a");
    g_assert_cmpstr((const char *)v, ==, "1&2 <3>");
    xmlFree(v);
    v = xmlGetProp(x, BAD_CAST "b");
    g_assert_cmpstr((const char *)v, ==, "");
    xmlFree(v);
    /* libstrophe drops attribute namespaces: xml:lang arrives as lang */
    v = xmlGetProp(x, BAD_CAST "lang");
    g_assert_cmpstr((const char *)v, ==, "en");
    xmlFree(v);
    t = x->children;
    g_assert_cmpint(t->type, ==, XML_TEXT_NODE);
    g_assert_cmpstr((const char *)t->content, ==, "one & ");
    t = t->next->next;
    g_assert_cmpint(t->type, ==, XML_TEXT_NODE);
    g_assert_cmpstr((const char *)t->content, ==, "two<three>");
}

static void
test_too_deep(void)
{
    GString *xml = g_string_new("<r xmlns='urn:t'>");
    g_autoptr(GError) error = NULL;
    xmpp_stanza_t *s;
    xmlNode *n;

    for (guint i = 0; i < GW_XML_MAX_DEPTH + 1; i++)
        g_string_append(xml, "<d>");
    for (guint i = 0; i < GW_XML_MAX_DEPTH + 1; i++)
        g_string_append(xml, "</d>");
    g_string_append(xml, "</r>");
    s = stanza_of(xml->str);
    n = gw_xml_from_stanza(s, &error);
    g_assert_null(n);
    g_assert_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST);
    xmpp_stanza_release(s);
    g_string_free(xml, TRUE);
}

static void
test_not_an_element(void)
{
    xmpp_stanza_t *text = xmpp_stanza_new(ctx);
    g_autoptr(GError) error = NULL;

    xmpp_stanza_set_text(text, "hello");
    g_assert_null(gw_xml_from_stanza(text, &error));
    g_assert_error(error, GW_ERROR, GW_ERROR_BAD_REQUEST);
    xmpp_stanza_release(text);
}

int
main(int argc, char **argv)
{
    g_autofree char *dir = NULL;
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    int rc;

    g_test_init(&argc, &argv, NULL);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    dir = g_test_build_filename(G_TEST_DIST, "data", "jsdp", "jingle", NULL);
    d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    while ((n = g_dir_read_name(d)) != NULL)
        if (g_str_has_suffix(n, ".xml"))
            g_ptr_array_add(names, g_strdup(n));
    g_ptr_array_sort(names, compare_names);
    g_assert_cmpuint(names->len, >, 0);
    for (guint i = 0; i < names->len; i++) {
        char *path = g_strdup_printf("/stanza-xml/jingle/%s",
                                     (char *)g_ptr_array_index(names, i));
        g_ptr_array_add(keep, path);
        g_test_add_data_func(path, g_ptr_array_index(names, i),
                             test_jingle_both_ways);
    }
    g_test_add_func("/stanza-xml/tree/namespaces", test_namespaces);
    g_test_add_func("/stanza-xml/tree/attributes-and-text",
                    test_attributes_and_text);
    g_test_add_func("/stanza-xml/tree/too-deep", test_too_deep);
    g_test_add_func("/stanza-xml/tree/not-an-element", test_not_an_element);
    rc = g_test_run();
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return rc;
}
