/* gateway/core/pidf_fuzz.c: libFuzzer target for the PIDF core.
 *
 * Invariants: gw_pidf_parse() yields a presence or a GW_PIDF_ERROR, never
 * both, never neither; a presence is well-formed (a known show, a status
 * that is non-blank, trimmed UTF-8 of at most 1024 bytes, a language tag
 * only with a status, on_the_phone only when available); and building it then
 * parsing the document again succeeds and gives it back up to the documented
 * lossy points (xa -> away, on_the_phone not written).
 */
#include "pidf.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_value(const GwPresence *p)
{
    if (p->show != GW_SHOW_ONLINE && p->show != GW_SHOW_AWAY &&
        p->show != GW_SHOW_XA && p->show != GW_SHOW_DND &&
        p->show != GW_SHOW_OFFLINE)
        fail("parsed show %d is not one a document can give", p->show);
    if (p->on_the_phone && p->show == GW_SHOW_OFFLINE)
        fail("on_the_phone while offline");
    if (p->status_lang != NULL && p->status == NULL)
        fail("a status language without a status");
    if (p->status != NULL) {
        size_t n = strlen(p->status);
        if (n == 0 || n > 1024 || !g_utf8_validate(p->status, -1, NULL) ||
            g_ascii_isspace(p->status[0]) || g_ascii_isspace(p->status[n - 1]))
            fail("status not non-blank trimmed UTF-8 of at most 1024 bytes: "
                 "'%s'",
                 p->status);
    }
    if (p->status_lang != NULL) {
        size_t n = strspn(p->status_lang, "abcdefghijklmnopqrstuvwxyz"
                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789-");
        if (n == 0 || n > 64 || p->status_lang[n] != '\0')
            fail("status_lang not a language tag: '%s'", p->status_lang);
    }
}

static void
check_roundtrip(const GwPresence *p)
{
    static const GwPidfParams params = {
        .entity = "sip:alice@gw.example.com",
        .tuple_id = "t1",
        .person_id = "p1",
        .timestamp = "2024-05-01T12:00:00Z",
    };
    g_autofree char *xml = gw_pidf_build(p, &params);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) back = NULL;
    g_autoptr(GwPresence) want = gw_presence_copy(p);

    if (xml == NULL)
        fail("build gave nothing");
    back = gw_pidf_parse(xml, strlen(xml), &error);
    if (back == NULL)
        fail("built document does not parse: %s\n%s", error->message, xml);
    if (want->show == GW_SHOW_XA)
        want->show = GW_SHOW_AWAY;
    want->on_the_phone = FALSE;
    if (!gw_presence_equal(want, back))
        fail("round trip differs: show %d/%d status '%s'/'%s' lang '%s'/'%s'"
             "\n%s",
             want->show, back->show, want->status, back->status,
             want->status_lang, back->status_lang, xml);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwPresence) p = NULL;

    p = gw_pidf_parse((const char *)data, size, &error);
    if ((p == NULL) == (error == NULL))
        fail("value and error: %p, %p", (void *)p, (void *)error);
    if (p == NULL) {
        if (error->domain != GW_PIDF_ERROR ||
            (error->code != GW_PIDF_ERROR_MALFORMED &&
             error->code != GW_PIDF_ERROR_UNSUPPORTED) ||
            error->message == NULL || error->message[0] == '\0')
            fail("unexpected error: %s", error->message);
        return 0;
    }
    check_value(p);
    check_roundtrip(p);
    return 0;
}
