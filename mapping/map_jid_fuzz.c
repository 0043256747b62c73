/* mapping/map_jid_fuzz.c: libFuzzer target for the JID parser and the
 * XEP-0106 escaping (map_jid.c, map_escape.c).
 *
 * Invariants: every input yields a value or a GError, never both, never
 * neither; a canonical bare JID is a fixed point; the ASCII fast path and
 * the general parser agree; unescape(escape(x)) == x. */
#include "map.h"
#include "map_private.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_error(const GError *error)
{
    CHECK(error != NULL && error->domain == MAP_ERROR &&
          error->code == MAP_ERROR_MALFORMED);
    CHECK(g_utf8_validate(error->message, -1, NULL));
    CHECK(strchr(error->message, '\n') == NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *s = g_strndup((const char *)data, size);
    g_autofree char *local = NULL, *domain = NULL, *resource = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GError) error2 = NULL;
    MapJid fast = {0}, slow = {0};
    gboolean ok, ok2;

    ok = map_jid_split(s, &local, &domain, &resource, &error);
    CHECK(ok == (error == NULL));
    if (!ok) {
        check_error(error);
        CHECK(local == NULL && domain == NULL && resource == NULL);
    } else {
        g_autofree char *bare = map_jid_bare(s, &error2);
        g_autofree char *again = NULL;

        CHECK(bare != NULL && error2 == NULL && domain != NULL);
        again = map_jid_bare(bare, &error2);
        CHECK(again != NULL && strcmp(again, bare) == 0);
    }
    g_clear_error(&error);
    g_clear_error(&error2);

    ok = map_jid_parse(s, TRUE, &fast, &error);
    ok2 = map_jid_parse_slow(s, TRUE, &slow, &error2);
    CHECK(ok == ok2);
    if (ok) {
        CHECK(strcmp(fast.bare, slow.bare) == 0);
        CHECK(fast.local_len == slow.local_len);
        CHECK(g_strcmp0(fast.resource, slow.resource) == 0);
    } else {
        CHECK(strcmp(error->message, error2->message) == 0);
    }
    map_jid_clear(&fast);
    map_jid_clear(&slow);

    {
        g_autofree char *esc = map_jid_escape(s);
        g_autofree char *back = map_jid_unescape(esc);

        CHECK(strcmp(back, s) == 0);
        CHECK(strpbrk(esc, " \"&'/:<>@") == NULL);
    }
    return 0;
}
