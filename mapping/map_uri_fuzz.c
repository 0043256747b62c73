/* mapping/map_uri_fuzz.c: libFuzzer target for the lookups, through the
 * SIP/SIPS/tel URI parser (map_uri.c, Sofia-SIP url_d()), the JID parser
 * and the table (map_lookup.c), on one fixed table.
 *
 * Invariants: each lookup yields a value or a GError, never both, never
 * neither; every answer is a fixed point (its JID and its URI map to the
 * same pair), which is the round-trip promise of map.h; the fast URI
 * splitter and Sofia's url_d() give one answer. */
#include "map.h"
#include "map_private.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static MapTable *
fuzz_table(void)
{
    static MapTable *table; /* built once, never freed: harness only */
    static const char *const foreign[] = {"other.net", "partner.example:5070",
                                          "[2001:db8::1]", NULL};
    static const char *const rules[] = {
        "*@example.org = sip:*@gw.example.org",
        "*@corp.example = sips:*@sip.corp.example", NULL};
    static const char data[] =
        "alice@example.com = sip:1001@pbx.example.com\n"
        "bob@example.com = sip:Bob@pbx.example.com\n"
        "reception@sip.example.com = sip:100@pbx.example.com\n"
        "carol@example.com = tel:+15550100200\n"
        "dave@example.com = sip:+15550100300@trunk.example.com;user=phone\n"
        "erin@example.com = sip:erin@legacy.example.net:5070\n"
        "x\\40other.net@sip.example.com = sip:x@pbx.example.com\n";

    if (table == NULL) {
        MapConfig config = {
            .component_domain = "sip.example.com",
            .sip_domain = "pbx.example.com",
            .trunk_domain = "trunk.example.com",
            .default_country_code = "1",
            .international_prefix = "011",
            .national_prefix = "1",
            .foreign_domains = foreign,
            .rules = rules,
            .static_data = data,
            .static_len = -1,
            .static_source = "fuzz.map",
        };

        table = map_table_new(&config, NULL);
        CHECK(table != NULL);
    }
    return table;
}

static void
check_answer(const MapTable *t, MapResult *r, GError *error)
{
    CHECK((r == NULL) != (error == NULL));
    if (r == NULL) {
        CHECK(error->domain == MAP_ERROR && error->code <= MAP_ERROR_NO_RULE);
        CHECK(g_utf8_validate(error->message, -1, NULL));
        CHECK(strchr(error->message, '\n') == NULL);
        return;
    }
    CHECK(r->jid != NULL && r->sip_uri != NULL && r->rule != NULL);
    {
        g_autoptr(GError) e1 = NULL;
        g_autoptr(GError) e2 = NULL;
        g_autoptr(MapResult) a = map_table_lookup_jid(t, r->jid, &e1);
        g_autoptr(MapResult) b = map_table_lookup_sip(t, r->sip_uri, &e2);

        if (a == NULL)
            fail("jid '%s' of an answer does not map: %s", r->jid,
                 e1->message);
        if (b == NULL)
            fail("uri '%s' of an answer does not map: %s", r->sip_uri,
                 e2->message);
        CHECK(strcmp(a->jid, r->jid) == 0);
        CHECK(strcmp(a->sip_uri, r->sip_uri) == 0);
        CHECK(strcmp(b->jid, r->jid) == 0);
        CHECK(strcmp(b->sip_uri, r->sip_uri) == 0);
        CHECK(a->kind == r->kind && b->kind == r->kind);
    }
}

static void
check_same_parse(const char *s)
{
    MapNumberPlan plan = {.country_code = "1", .intl_prefix = "011"};
    MapSip a = {0}, b = {0};
    g_autoptr(GError) ea = NULL;
    g_autoptr(GError) eb = NULL;
    gboolean ok_a = map_sip_parse(s, &plan, MAP_SIP_NAME_ADDR, &a, &ea);
    gboolean ok_b = map_sip_parse(
        s, &plan, MAP_SIP_NAME_ADDR | MAP_SIP_SOFIA_ONLY, &b, &eb);

    CHECK(ok_a == ok_b);
    if (ok_a) {
        CHECK(a.scheme == b.scheme && a.phone == b.phone &&
              a.user_phone == b.user_phone);
        CHECK(g_strcmp0(a.user, b.user) == 0);
        CHECK(g_strcmp0(a.hostport, b.hostport) == 0);
    } else {
        CHECK(ea->code == eb->code);
        CHECK(strcmp(ea->message, eb->message) == 0);
    }
    map_sip_clear(&a);
    map_sip_clear(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const MapTable *t = fuzz_table();
    g_autofree char *s = g_strndup((const char *)data, size);
    GError *error = NULL;
    MapResult *r;

    (void)map_is_uri(s);
    check_same_parse(s);
    r = map_table_lookup_sip(t, s, &error);
    check_answer(t, r, error);
    map_result_free(r);
    g_clear_error(&error);

    r = map_table_lookup_jid(t, s, &error);
    check_answer(t, r, error);
    map_result_free(r);
    g_clear_error(&error);

    r = map_table_lookup_any(t, s, &error);
    check_answer(t, r, error);
    map_result_free(r);
    g_clear_error(&error);
    return 0;
}
