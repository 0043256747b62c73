/* mapping/map_number_fuzz.c: libFuzzer target for the number normaliser
 * (map_number.c: dialled numbers and tel: URIs).
 *
 * Invariants: a value or a GError, never both, never neither; a value is
 * E.164 ("+", 1..15 digits, no leading 0) and normalises to itself. The
 * first byte picks the numbering plan. */
#include "map.h"
#include "map_private.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static MapTable *
plan_table(guint which)
{
    static MapTable *tables[3]; /* built once, never freed: harness only */
    static const struct {
        const char *cc, *intl, *national;
    } plans[3] = {{"1", "011", "1"}, {"44", "00", "0"}, {NULL, NULL, NULL}};

    if (tables[which] == NULL) {
        MapConfig config = {
            .component_domain = "sip.example.com",
            .sip_domain = "pbx.example.com",
            .default_country_code = plans[which].cc,
            .international_prefix = plans[which].intl,
            .national_prefix = plans[which].national,
        };

        tables[which] = map_table_new(&config, NULL);
        CHECK(tables[which] != NULL);
    }
    return tables[which];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MapTable *t;
    g_autofree char *s = NULL;
    g_autofree char *e164 = NULL;
    g_autoptr(GError) error = NULL;

    if (size == 0)
        return 0;
    t = plan_table(data[0] % 3);
    s = g_strndup((const char *)data + 1, size - 1);
    e164 = map_table_normalize_number(t, s, &error);
    CHECK((e164 == NULL) != (error == NULL));
    if (e164 == NULL) {
        CHECK(error->domain == MAP_ERROR && error->code <= MAP_ERROR_NO_RULE);
        CHECK(g_utf8_validate(error->message, -1, NULL));
        CHECK(strchr(error->message, '\n') == NULL);
    } else {
        g_autofree char *again = map_table_normalize_number(t, e164, NULL);
        g_autofree char *tel = g_strconcat("tel:", e164, NULL);
        g_autofree char *via_tel = map_table_normalize_number(t, tel, NULL);

        CHECK(map_number_is_e164(e164));
        CHECK(again != NULL && strcmp(again, e164) == 0);
        CHECK(via_tel != NULL && strcmp(via_tel, e164) == 0);
    }
    return 0;
}
