/* mapping/map_rules_fuzz.c: libFuzzer target for the loader (map_table.c):
 * the input is a static-entry file (NUL bytes included).
 *
 * Invariants: a table or a MAP_ERROR_CONFIG naming its source and line,
 * never both, never neither; in a table that loaded, every static entry's
 * JID maps to a pair that is a fixed point. */
#include "map.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The JID of a line, if the line has the shape "JID = ...". */
static char *
line_jid(const char *line)
{
    const char *eq = strchr(line, '=');

    return eq ? g_strstrip(g_strndup(line, (gsize)(eq - line))) : NULL;
}

static void
check_entries(const MapTable *t, const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *)data, size);
    g_auto(GStrv) lines = g_strsplit(text, "\n", 64);

    for (guint i = 0; lines[i] != NULL; i++) {
        g_autofree char *jid = line_jid(lines[i]);
        g_autoptr(MapResult) r = NULL;
        g_autoptr(MapResult) back = NULL;

        if (jid == NULL || jid[0] == '*' || jid[0] == '#')
            continue;
        r = map_table_lookup_jid(t, jid, NULL);
        if (r == NULL)
            continue; /* the first '=' was inside the JID */
        back = map_table_lookup_sip(t, r->sip_uri, NULL);
        CHECK(back != NULL);
        CHECK(strcmp(back->jid, r->jid) == 0);
        CHECK(strcmp(back->sip_uri, r->sip_uri) == 0);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const foreign[] = {"other.net", NULL};
    static const char *const rules[] = {"*@example.org = sip:*@gw.example.org",
                                        NULL};
    MapConfig config = {
        .component_domain = "sip.example.com",
        .sip_domain = "pbx.example.com",
        .trunk_domain = "trunk.example.com",
        .default_country_code = "1",
        .foreign_domains = foreign,
        .rules = rules,
        .static_data = (const char *)data,
        .static_len = (gssize)size,
        .static_source = "fuzz.map",
    };
    g_autoptr(GError) error = NULL;
    g_autoptr(MapTable) t = map_table_new(&config, &error);

    CHECK((t == NULL) != (error == NULL));
    if (t == NULL) {
        CHECK(error->domain == MAP_ERROR && error->code == MAP_ERROR_CONFIG);
        CHECK(g_str_has_prefix(error->message, "fuzz.map:") ||
              g_str_has_prefix(error->message, "[mapping] rules:"));
        CHECK(g_utf8_validate(error->message, -1, NULL));
        CHECK(strchr(error->message, '\n') == NULL);
        return 0;
    }
    check_entries(t, data, size);
    return 0;
}
