/* tests/test_caps.c: gateway/caps.c, XEP-0115 verification strings (the
 * XEP's own examples, 5.2 and 5.3), ill-formed disco#info results, and
 * the cache: one query per 'ver', verified results shared, unverifiable
 * ones kept per JID, errors, timeouts, garbage and bounds. */
#include <string.h>

#include "caps.h"

static xmpp_ctx_t *ctx;

#define NS_DI "http://jabber.org/protocol/disco#info"

/* XEP-0115 5.2 */
#define SIMPLE                                                               \
    "<query xmlns='" NS_DI "'>"                                              \
    "<identity category='client' name='Exodus 0.9.1' type='pc'/>"           \
    "<feature var='http://jabber.org/protocol/caps'/>"                       \
    "<feature var='http://jabber.org/protocol/disco#info'/>"                 \
    "<feature var='http://jabber.org/protocol/disco#items'/>"                \
    "<feature var='http://jabber.org/protocol/muc'/></query>"
#define SIMPLE_VER "QgayPKawpkPSDYmwT/WM94uAlu0="

/* XEP-0115 5.3, "Ψ" in UTF-8 */
#define COMPLEX_FORM                                                         \
    "<x xmlns='jabber:x:data' type='result'>"                                \
    "<field var='FORM_TYPE' type='hidden'>"                                  \
    "<value>urn:xmpp:dataforms:softwareinfo</value></field>"                 \
    "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>" \
    "<field var='os'><value>Mac</value></field>"                             \
    "<field var='os_version'><value>10.5.1</value></field>"                  \
    "<field var='software'><value>Psi</value></field>"                       \
    "<field var='software_version'><value>0.11</value></field></x>"
#define COMPLEX                                                              \
    "<query xmlns='" NS_DI "' node='http://psi-im.org#q07IKJEyjvHSyhy//"    \
    "CH0CxmKi8w='>"                                                          \
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>" \
    "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' "       \
    "type='pc'/>"                                                            \
    "<feature var='http://jabber.org/protocol/caps'/>"                       \
    "<feature var='http://jabber.org/protocol/disco#info'/>"                 \
    "<feature var='http://jabber.org/protocol/disco#items'/>"                \
    "<feature var='http://jabber.org/protocol/muc'/>" COMPLEX_FORM          \
    "</query>"
#define COMPLEX_VER "q07IKJEyjvHSyhy//CH0CxmKi8w="

/* The same, every list in another order: the ver must not change. */
#define COMPLEX_SHUFFLED                                                     \
    "<query xmlns='" NS_DI "'>"                                              \
    "<feature var='http://jabber.org/protocol/muc'/>"                        \
    "<x xmlns='jabber:x:data' type='result'>"                                \
    "<field var='software_version'><value>0.11</value></field>"              \
    "<field var='os'><value>Mac</value></field>"                             \
    "<field var='ip_version'><value>ipv6</value><value>ipv4</value></field>" \
    "<field var='FORM_TYPE' type='hidden'>"                                  \
    "<value>urn:xmpp:dataforms:softwareinfo</value></field>"                 \
    "<field var='software'><value>Psi</value></field>"                       \
    "<field var='os_version'><value>10.5.1</value></field></x>"              \
    "<identity xml:lang='el' category='client' name='\xce\xa8 0.11' "       \
    "type='pc'/>"                                                            \
    "<feature var='http://jabber.org/protocol/disco#items'/>"                \
    "<feature var='http://jabber.org/protocol/caps'/>"                       \
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>" \
    "<feature var='http://jabber.org/protocol/disco#info'/></query>"

typedef struct {
    const char *name;
    const char *query;
    const char *hash;
    const char *ver; /* expected; NULL: an error */
    gboolean match;  /* is `ver` what it hashes to (FALSE: a mismatch) */
    int code;        /* GwCapsError when ver is NULL */
} VerCase;

static const VerCase ver_cases[] = {
    { "xep-simple", SIMPLE, "sha-1", SIMPLE_VER, TRUE, 0 },
    { "xep-complex", COMPLEX, "sha-1", COMPLEX_VER, TRUE, 0 },
    { "complex-shuffled", COMPLEX_SHUFFLED, "sha-1", COMPLEX_VER, TRUE, 0 },
    { "hash-name-case", SIMPLE, "SHA-1", SIMPLE_VER, TRUE, 0 },
    /* a feature less: not the advertised ver */
    { "mismatch",
      "<query xmlns='" NS_DI "'>"
      "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
      "<feature var='http://jabber.org/protocol/caps'/>"
      "<feature var='http://jabber.org/protocol/disco#info'/>"
      "<feature var='http://jabber.org/protocol/muc'/></query>",
      "sha-1", SIMPLE_VER, FALSE, 0 },
    /* 5.4 3.6: forms without a hidden FORM_TYPE are ignored */
    { "form-without-form-type",
      "<query xmlns='" NS_DI "'>"
      "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
      "<feature var='http://jabber.org/protocol/caps'/>"
      "<feature var='http://jabber.org/protocol/disco#info'/>"
      "<feature var='http://jabber.org/protocol/disco#items'/>"
      "<feature var='http://jabber.org/protocol/muc'/>"
      "<x xmlns='jabber:x:data' type='result'><field var='os'>"
      "<value>Mac</value></field></x></query>",
      "sha-1", SIMPLE_VER, TRUE, 0 },
    { "form-type-not-hidden",
      "<query xmlns='" NS_DI "'>"
      "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
      "<feature var='http://jabber.org/protocol/caps'/>"
      "<feature var='http://jabber.org/protocol/disco#info'/>"
      "<feature var='http://jabber.org/protocol/disco#items'/>"
      "<feature var='http://jabber.org/protocol/muc'/>"
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'>"
      "<value>urn:x</value></field></x></query>",
      "sha-1", SIMPLE_VER, TRUE, 0 },
    /* children in other namespaces are not disco#info's (found by
     * caps_fuzz: <xml:feature/> was counted as a feature) */
    { "foreign-namespace-children",
      "<query xmlns='" NS_DI "'>"
      "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
      "<identity xmlns='urn:other' category='x' type='y'/>"
      "<feature var='http://jabber.org/protocol/caps'/>"
      "<feature var='http://jabber.org/protocol/disco#info'/>"
      "<feature var='http://jabber.org/protocol/disco#items'/>"
      "<feature var='http://jabber.org/protocol/muc'/>"
      "<feature xmlns='urn:other' var='urn:not-a-feature'/>"
      "<xml:feature var='urn:not-a-feature-either'/></query>",
      "sha-1", SIMPLE_VER, TRUE, 0 },
    /* ill-formed (5.4 3.3-3.5) and broken results */
    { "duplicate-feature",
      "<query xmlns='" NS_DI "'><identity category='client' type='pc'/>"
      "<feature var='urn:a'/><feature var='urn:a'/></query>",
      "sha-1", NULL, FALSE, GW_CAPS_ERROR_MALFORMED },
    { "duplicate-identity",
      "<query xmlns='" NS_DI "'><identity category='client' type='pc'/>"
      "<identity category='client' type='pc'/></query>",
      "sha-1", NULL, FALSE, GW_CAPS_ERROR_MALFORMED },
    { "duplicate-form-type",
      "<query xmlns='" NS_DI "'><identity category='client' type='pc'/>"
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
      "type='hidden'><value>urn:f</value></field></x>"
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
      "type='hidden'><value>urn:f</value></field></x></query>",
      "sha-1", NULL, FALSE, GW_CAPS_ERROR_MALFORMED },
    { "form-type-two-values",
      "<query xmlns='" NS_DI "'><identity category='client' type='pc'/>"
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' "
      "type='hidden'><value>urn:f</value><value>urn:g</value></field></x>"
      "</query>",
      "sha-1", NULL, FALSE, GW_CAPS_ERROR_MALFORMED },
    { "identity-without-type",
      "<query xmlns='" NS_DI "'><identity category='client'/></query>",
      "sha-1", NULL, FALSE, GW_CAPS_ERROR_MALFORMED },
    { "feature-without-var",
      "<query xmlns='" NS_DI "'><feature/></query>", "sha-1", NULL, FALSE,
      GW_CAPS_ERROR_MALFORMED },
    { "not-disco-info", "<query xmlns='jabber:iq:version'/>", "sha-1", NULL,
      FALSE, GW_CAPS_ERROR_MALFORMED },
    { "wrong-element", "<garbage xmlns='" NS_DI "'/>", "sha-1", NULL, FALSE,
      GW_CAPS_ERROR_MALFORMED },
    { "unknown-hash", SIMPLE, "md4", NULL, FALSE,
      GW_CAPS_ERROR_UNSUPPORTED },
};

static xmpp_stanza_t *
parse_xml(const char *xml)
{
    xmpp_stanza_t *s = xmpp_stanza_new_from_string(ctx, xml);

    g_assert_nonnull(s);
    return s;
}

static void
test_ver(gconstpointer data)
{
    const VerCase *t = data;
    xmpp_stanza_t *q = parse_xml(t->query);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwDiscoInfo) info = gw_disco_info_parse(q, &error);
    g_autofree char *ver = NULL;

    if (info != NULL)
        ver = gw_caps_ver_build(info, t->hash, &error);
    xmpp_stanza_release(q);
    if (t->ver == NULL) {
        g_assert_null(ver);
        g_assert_error(error, GW_CAPS_ERROR, t->code);
        return;
    }
    g_assert_no_error(error);
    g_assert_nonnull(ver);
    if (t->match)
        g_assert_cmpstr(ver, ==, t->ver);
    else
        g_assert_cmpstr(ver, !=, t->ver);
}

/* A result beyond the bounds (512 items, 32 KiB) is refused whole. */
static void
test_too_large(void)
{
    for (int variant = 0; variant < 2; variant++) {
        GString *x = g_string_new("<query xmlns='" NS_DI "'>"
                                  "<identity category='client' type='pc'/>");
        xmpp_stanza_t *q;
        g_autoptr(GError) error = NULL;
        g_autoptr(GwDiscoInfo) info = NULL;

        if (variant == 0) /* many features */
            for (int i = 0; i < 600; i++)
                g_string_append_printf(x, "<feature var='urn:f:%d'/>", i);
        else { /* few, but long */
            g_autofree char *big = g_strnfill(9000, 'a');
            for (int i = 0; i < 4; i++)
                g_string_append_printf(x, "<feature var='%d%s'/>", i, big);
        }
        g_string_append(x, "</query>");
        q = parse_xml(x->str);
        info = gw_disco_info_parse(q, &error);
        g_assert_null(info);
        g_assert_error(error, GW_CAPS_ERROR, GW_CAPS_ERROR_MALFORMED);
        xmpp_stanza_release(q);
        g_string_free(x, TRUE);
    }
}

/* Other hashes of XEP-0115 4 / IANA: same S, longer digests. */
static void
test_other_hashes(void)
{
    xmpp_stanza_t *q = parse_xml(SIMPLE);
    g_autoptr(GwDiscoInfo) info = gw_disco_info_parse(q, NULL);
    const char *hashes[] = { "sha-256", "sha-384", "sha-512" };
    const gsize lens[] = { 32, 48, 64 };

    xmpp_stanza_release(q);
    g_assert_nonnull(info);
    for (gsize i = 0; i < G_N_ELEMENTS(hashes); i++) {
        g_autofree char *ver = gw_caps_ver_build(info, hashes[i], NULL);
        gsize n = 0;
        g_autofree guchar *raw = g_base64_decode(ver, &n);
        g_assert_nonnull(raw);
        g_assert_cmpuint(n, ==, lens[i]);
    }
}

/* ---- the cache ---------------------------------------------------------- */

typedef struct {
    GwCaps *caps;
    GPtrArray *sent; /* char*: stanzas the cache sent */
} Fixture;

static void
capture(GString *xml, gpointer data)
{
    Fixture *f = data;

    g_ptr_array_add(f->sent, g_string_free(xml, FALSE));
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    const GwCapsLimits *given = data;
    GwCapsLimits limits = { 10, 100, 4, 10, 5000 };

    f->sent = g_ptr_array_new_with_free_func(g_free);
    f->caps = gw_caps_new(given ? given : &limits, capture, f);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    gw_caps_free(f->caps);
    g_ptr_array_unref(f->sent);
}

static void
presence(Fixture *f, const char *full, const char *c)
{
    g_autofree char *xml = g_strdup_printf(
        "<presence from='%s' to='1001@sip.example'>%s</presence>", full,
        c ? c : "");
    xmpp_stanza_t *p = parse_xml(xml);

    gw_caps_presence(f->caps, full, "1001@sip.example", p);
    xmpp_stanza_release(p);
}

#define C_SIMPLE                                                             \
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "              \
    "node='http://code.google.com/p/exodus' ver='" SIMPLE_VER "'/>"
#define C_COMPLEX                                                            \
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "              \
    "node='http://psi-im.org' ver='" COMPLEX_VER "'/>"

/* The id of the last query sent, after checking it asks `to` for `node`
 * (NULL: no node attribute). (transfer full) */
static char *
last_query(Fixture *f, const char *to, const char *node)
{
    xmpp_stanza_t *iq, *q;
    char *id;

    g_assert_cmpuint(f->sent->len, >, 0);
    iq = parse_xml(g_ptr_array_index(f->sent, f->sent->len - 1));
    g_assert_cmpstr(xmpp_stanza_get_type(iq), ==, "get");
    g_assert_cmpstr(xmpp_stanza_get_to(iq), ==, to);
    g_assert_cmpstr(xmpp_stanza_get_from(iq), ==, "1001@sip.example");
    q = xmpp_stanza_get_child_by_name_and_ns(iq, "query", NS_DI);
    g_assert_nonnull(q);
    g_assert_cmpstr(xmpp_stanza_get_attribute(q, "node"), ==, node);
    id = g_strdup(xmpp_stanza_get_id(iq));
    xmpp_stanza_release(iq);
    return id;
}

static gboolean
answer(Fixture *f, const char *id, const char *from, const char *type,
       const char *payload)
{
    g_autofree char *xml = g_strdup_printf(
        "<iq type='%s' id='%s' from='%s' to='1001@sip.example'>%s</iq>",
        type, id, from, payload);
    xmpp_stanza_t *iq = parse_xml(xml);
    gboolean taken = gw_caps_iq(f->caps, iq);

    xmpp_stanza_release(iq);
    return taken;
}

static gboolean
has_feature(Fixture *f, const char *full, const char *var)
{
    g_autoptr(GHashTable) features = NULL;

    g_assert_cmpint(gw_caps_lookup(f->caps, full, &features), ==,
                    GW_CAPS_KNOWN);
    return g_hash_table_contains(features, var);
}

static void
test_cache_verified(Fixture *f, gconstpointer data)
{
    g_autofree char *id = NULL;
    GwCapsStats st;

    presence(f, "alice@example/a", C_SIMPLE);
    g_assert_cmpuint(f->sent->len, ==, 1);
    id = last_query(f, "alice@example/a",
                    "http://code.google.com/p/exodus#" SIMPLE_VER);
    g_assert_cmpint(gw_caps_lookup(f->caps, "alice@example/a", NULL), ==,
                    GW_CAPS_PENDING);
    /* a second JID with the same ver waits for the same answer */
    presence(f, "bob@example/b", C_SIMPLE);
    g_assert_cmpuint(f->sent->len, ==, 1);
    g_assert_cmpint(gw_caps_lookup(f->caps, "bob@example/b", NULL), ==,
                    GW_CAPS_PENDING);
    /* repeated presence with the same caps: nothing new */
    presence(f, "alice@example/a", C_SIMPLE);
    g_assert_cmpuint(f->sent->len, ==, 1);

    g_assert_true(answer(f, id, "alice@example/a", "result", SIMPLE));
    g_assert_true(has_feature(f, "alice@example/a",
                              "http://jabber.org/protocol/muc"));
    g_assert_true(has_feature(f, "bob@example/b",
                              "http://jabber.org/protocol/muc"));
    /* later JIDs with that ver need no query */
    presence(f, "carol@example/c", C_SIMPLE);
    g_assert_cmpuint(f->sent->len, ==, 1);
    g_assert_true(has_feature(f, "carol@example/c",
                              "http://jabber.org/protocol/caps"));
    /* a late duplicate answer is consumed and changes nothing */
    g_assert_true(answer(f, id, "alice@example/a", "result", SIMPLE));
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.vers, ==, 1);
    g_assert_cmpuint(st.verified, ==, 1);
    g_assert_cmpuint(st.pending, ==, 0);
    /* unavailable: forgotten; the ver stays cached */
    gw_caps_forget(f->caps, "alice@example/a");
    g_assert_cmpint(gw_caps_lookup(f->caps, "alice@example/a", NULL), ==,
                    GW_CAPS_UNKNOWN);
    presence(f, "alice@example/a", C_SIMPLE);
    g_assert_cmpuint(f->sent->len, ==, 1);
    g_assert_cmpint(gw_caps_lookup(f->caps, "alice@example/a", NULL), ==,
                    GW_CAPS_KNOWN);
}

static void
test_cache_mismatch(Fixture *f, gconstpointer data)
{
    g_autofree char *id = NULL, *id2 = NULL;
    GwCapsStats st;

    presence(f, "mallory@example/m", C_SIMPLE);
    presence(f, "alice@example/a", C_SIMPLE);
    id = last_query(f, "mallory@example/m",
                    "http://code.google.com/p/exodus#" SIMPLE_VER);
    /* a poisoned answer: not the advertised ver */
    g_assert_true(answer(f, id, "mallory@example/m", "result",
                         "<query xmlns='" NS_DI "'>"
                         "<feature var='urn:xmpp:jingle:1'/></query>"));
    /* kept for mallory alone */
    g_assert_true(has_feature(f, "mallory@example/m", "urn:xmpp:jingle:1"));
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.vers, ==, 0);
    g_assert_cmpuint(st.mismatched, ==, 1);
    /* alice, who said the same ver, is asked herself */
    g_assert_cmpuint(f->sent->len, ==, 2);
    id2 = last_query(f, "alice@example/a",
                     "http://code.google.com/p/exodus#" SIMPLE_VER);
    g_assert_cmpint(gw_caps_lookup(f->caps, "alice@example/a", NULL), ==,
                    GW_CAPS_PENDING);
    g_assert_true(answer(f, id2, "alice@example/a", "result", SIMPLE));
    g_assert_false(has_feature(f, "alice@example/a", "urn:xmpp:jingle:1"));
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.vers, ==, 1);
}

static void
test_cache_no_caps(Fixture *f, gconstpointer data)
{
    g_autofree char *id = NULL, *id2 = NULL;

    /* no <c/>: the resource is asked directly, no node */
    presence(f, "dave@example/d", NULL);
    id = last_query(f, "dave@example/d", NULL);
    presence(f, "dave@example/d", NULL); /* a status change: no new query */
    g_assert_cmpuint(f->sent->len, ==, 1);
    g_assert_true(answer(f, id, "dave@example/d", "result",
                         "<query xmlns='" NS_DI "'>"
                         "<feature var='urn:xmpp:jingle:1'/></query>"));
    g_assert_true(has_feature(f, "dave@example/d", "urn:xmpp:jingle:1"));
    /* legacy caps (no hash): the whole disco#info too, kept per JID */
    presence(f, "erin@example/e",
             "<c xmlns='http://jabber.org/protocol/caps' node='http://x' "
             "ver='1.0'/>");
    id2 = last_query(f, "erin@example/e", NULL);
    g_assert_true(answer(f, id2, "erin@example/e", "result", SIMPLE));
    g_assert_true(has_feature(f, "erin@example/e",
                              "http://jabber.org/protocol/muc"));
    /* a hash we do not implement: node#ver asked, kept per JID */
    presence(f, "frank@example/f",
             "<c xmlns='http://jabber.org/protocol/caps' hash='md4' "
             "node='http://x' ver='abc'/>");
    g_free(last_query(f, "frank@example/f", "http://x#abc"));
    g_assert_cmpuint(f->sent->len, ==, 3);
}

static void
test_cache_failures(Fixture *f, gconstpointer data)
{
    g_autofree char *id = NULL, *id2 = NULL, *id3 = NULL;
    GwCapsStats st;

    /* an error answer */
    presence(f, "a@example/1", C_SIMPLE);
    id = last_query(f, "a@example/1",
                    "http://code.google.com/p/exodus#" SIMPLE_VER);
    /* from someone else: ignored, still pending */
    g_assert_true(answer(f, id, "eve@example/x", "result", SIMPLE));
    g_assert_cmpint(gw_caps_lookup(f->caps, "a@example/1", NULL), ==,
                    GW_CAPS_PENDING);
    g_assert_true(answer(f, id, "a@example/1", "error",
                         "<error type='cancel'><service-unavailable "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                         "</error>"));
    g_assert_cmpint(gw_caps_lookup(f->caps, "a@example/1", NULL), ==,
                    GW_CAPS_FAILED);
    /* garbage: a result without a query, then one with a broken query */
    presence(f, "b@example/2", NULL);
    id2 = last_query(f, "b@example/2", NULL);
    g_assert_true(answer(f, id2, "b@example/2", "result", "<junk/>"));
    g_assert_cmpint(gw_caps_lookup(f->caps, "b@example/2", NULL), ==,
                    GW_CAPS_FAILED);
    presence(f, "c@example/3", NULL);
    id3 = last_query(f, "c@example/3", NULL);
    g_assert_true(answer(f, id3, "c@example/3", "result",
                         "<query xmlns='" NS_DI "'><feature var='x'/>"
                         "<feature var='x'/></query>"));
    g_assert_cmpint(gw_caps_lookup(f->caps, "c@example/3", NULL), ==,
                    GW_CAPS_FAILED);
    /* not ours */
    g_assert_false(answer(f, "gwj-1", "c@example/3", "result", ""));
    g_assert_false(answer(f, "other", "c@example/3", "error", ""));
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.failed, ==, 3);
    /* new caps after a failure: asked again */
    presence(f, "a@example/1", NULL);
    g_free(last_query(f, "a@example/1", NULL));
    /* a bare JID's unavailable forgets all its resources */
    gw_caps_forget(f->caps, "a@example");
    g_assert_cmpint(gw_caps_lookup(f->caps, "a@example/1", NULL), ==,
                    GW_CAPS_UNKNOWN);
}

static gboolean
quit_loop(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

static const GwCapsLimits tight = { 1, 3, 2, 2, 50 };

static void
test_cache_bounds(Fixture *f, gconstpointer data)
{
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    GwCapsStats st;

    /* per user: 2 resources */
    presence(f, "a@example/1", NULL);
    presence(f, "a@example/2", NULL);
    presence(f, "a@example/3", NULL);
    g_assert_cmpint(gw_caps_lookup(f->caps, "a@example/3", NULL), ==,
                    GW_CAPS_UNKNOWN);
    /* 2 queries in flight at most: b is not asked, not tracked */
    presence(f, "b@example/1", NULL);
    g_assert_cmpuint(f->sent->len, ==, 2);
    g_assert_cmpint(gw_caps_lookup(f->caps, "b@example/1", NULL), ==,
                    GW_CAPS_UNKNOWN);
    /* nobody answers: both fail after timeout_ms */
    g_timeout_add(300, quit_loop, loop);
    g_main_loop_run(loop);
    g_assert_cmpint(gw_caps_lookup(f->caps, "a@example/1", NULL), ==,
                    GW_CAPS_FAILED);
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.pending, ==, 0);
    g_assert_cmpuint(st.failed, ==, 2);
    /* 3 JIDs in all */
    presence(f, "b@example/1", NULL);
    presence(f, "c@example/1", NULL);
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.jids, ==, 3);
}

static void
test_cache_lru(Fixture *f, gconstpointer data)
{
    g_autofree char *id = NULL, *id2 = NULL;
    GwCapsStats st;

    /* max_vers 1: the second verified ver replaces the first */
    presence(f, "a@example/1", C_SIMPLE);
    id = last_query(f, "a@example/1",
                    "http://code.google.com/p/exodus#" SIMPLE_VER);
    g_assert_true(answer(f, id, "a@example/1", "result", SIMPLE));
    presence(f, "b@example/1", C_COMPLEX);
    id2 = last_query(f, "b@example/1", "http://psi-im.org#" COMPLEX_VER);
    g_assert_true(answer(f, id2, "b@example/1", "result", COMPLEX));
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.vers, ==, 1);
    g_assert_cmpuint(st.verified, ==, 2);
    /* a@example/1 keeps what it learnt */
    g_assert_true(has_feature(f, "a@example/1",
                              "http://jabber.org/protocol/muc"));
    /* a newcomer with the evicted ver is asked again */
    presence(f, "c@example/1", C_SIMPLE);
    g_assert_cmpuint(f->sent->len, ==, 3);
}

/* A JID that waited for a 'ver' (or said a cached one) keeps it when a
 * flood of other verified 'ver' values evicts it before anyone looks the
 * JID up: it is never asked again while its caps stay the same. */
static void
test_cache_evicted_before_lookup(Fixture *f, gconstpointer data)
{
    g_autofree char *id = NULL, *id2 = NULL;

    presence(f, "a@example/1", C_SIMPLE);
    id = last_query(f, "a@example/1",
                    "http://code.google.com/p/exodus#" SIMPLE_VER);
    presence(f, "b@example/1", C_SIMPLE); /* waits for a's answer */
    g_assert_true(answer(f, id, "a@example/1", "result", SIMPLE));
    gw_caps_forget(f->caps, "a@example/1");
    presence(f, "d@example/1", C_SIMPLE); /* cached: no query */
    g_assert_cmpuint(f->sent->len, ==, 1);
    /* max_vers 1: another verified ver evicts SIMPLE_VER */
    presence(f, "c@example/1", C_COMPLEX);
    id2 = last_query(f, "c@example/1", "http://psi-im.org#" COMPLEX_VER);
    g_assert_true(answer(f, id2, "c@example/1", "result", COMPLEX));
    g_assert_true(has_feature(f, "b@example/1",
                              "http://jabber.org/protocol/muc"));
    g_assert_true(has_feature(f, "d@example/1",
                              "http://jabber.org/protocol/muc"));
}

/* One client cycling its 'ver' (each query outlives the entry it was
 * for) holds at most max_per_user of the max_pending query slots: others
 * are still asked. */
static void
test_cache_ver_flood(Fixture *f, gconstpointer data)
{
    GwCapsStats st;

    for (guint i = 0; i < 10; i++) {
        g_autofree char *c = g_strdup_printf(
            "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
            "node='http://x' ver='flood%u'/>", i);
        presence(f, "mallory@example/m", c);
    }
    gw_caps_get_stats(f->caps, &st);
    g_assert_cmpuint(st.pending, ==, 4); /* max_per_user */
    presence(f, "alice@example/a", C_SIMPLE);
    g_free(last_query(f, "alice@example/a",
                      "http://code.google.com/p/exodus#" SIMPLE_VER));
    g_assert_cmpint(gw_caps_lookup(f->caps, "alice@example/a", NULL), ==,
                    GW_CAPS_PENDING);
}

int
main(int argc, char **argv)
{
    int rc;

    g_test_init(&argc, &argv, NULL);
    xmpp_initialize();
    ctx = xmpp_ctx_new(NULL, NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(ver_cases); i++) {
        g_autofree char *path = g_strdup_printf("/caps/ver/%s",
                                                ver_cases[i].name);
        g_test_add_data_func(path, &ver_cases[i], test_ver);
    }
    g_test_add_func("/caps/ver/other-hashes", test_other_hashes);
    g_test_add_func("/caps/ver/too-large", test_too_large);
    g_test_add("/caps/cache/verified", Fixture, NULL, fixture_set_up,
               test_cache_verified, fixture_tear_down);
    g_test_add("/caps/cache/mismatch", Fixture, NULL, fixture_set_up,
               test_cache_mismatch, fixture_tear_down);
    g_test_add("/caps/cache/no-caps", Fixture, NULL, fixture_set_up,
               test_cache_no_caps, fixture_tear_down);
    g_test_add("/caps/cache/failures", Fixture, NULL, fixture_set_up,
               test_cache_failures, fixture_tear_down);
    g_test_add("/caps/cache/bounds", Fixture, &tight, fixture_set_up,
               test_cache_bounds, fixture_tear_down);
    g_test_add("/caps/cache/lru", Fixture, &tight, fixture_set_up,
               test_cache_lru, fixture_tear_down);
    g_test_add("/caps/cache/ver-flood", Fixture, NULL, fixture_set_up,
               test_cache_ver_flood, fixture_tear_down);
    g_test_add("/caps/cache/evicted-before-lookup", Fixture, &tight,
               fixture_set_up, test_cache_evicted_before_lookup,
               fixture_tear_down);
    rc = g_test_run();
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return rc;
}
