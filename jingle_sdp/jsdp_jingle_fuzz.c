/* jsdp_jingle_fuzz.c: libFuzzer target for the Jingle side.
 *
 * Invariants: jsdp_session_from_jingle_string() yields a session or a
 * GError, never both, never neither; for a session, Jingle print -> parse
 * gives it back, and SDP print -> parse too unless the printer warned that
 * something could not be carried.  Differential check of our XML reader:
 * when libxml2 also reads the input, jsdp_session_from_jingle() on its
 * tree must give the same result (both fail, or equal sessions).
 */
#include "jsdp_private.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_sdp_roundtrip(const JsdpSession *s)
{
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    JsdpSdpParseParams pp = {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_ICE_HOST};
    JsdpSdpPrintParams sp = {.author = JSDP_ROLE_INITIATOR, .warnings = w};
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    g_autoptr(JsdpSession) back = NULL;

    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(s->contents, i);
        if (c->transport != NULL && c->transport->type == JSDP_TRANSPORT_RAW_UDP)
            pp.classic = JSDP_CLASSIC_RAW_UDP;
    }
    out = jsdp_session_to_sdp(s, &sp, &error);
    g_assert_true((out == NULL) != (error == NULL));
    if (out == NULL)
        return;
    back = jsdp_session_from_sdp(out, -1, &pp, &error);
    if (back == NULL)
        fail("printed SDP does not parse: %s\n%s", error->message, out);
    if (w->len == 0 && !jsdp_session_equal(s, back))
        fail("SDP round trip differs:\n%s", out);
}

static void
check_against_libxml(const uint8_t *data, size_t size, const JsdpSession *mine)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) theirs = NULL;

    if (memmem(data, size, "<!", 2) != NULL)
        return; /* DOCTYPE, CDATA, comments: the readers differ on purpose or in detail */
    doc = xmlReadMemory((const char *)data, (int)size, NULL, "UTF-8",
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL)
        return;
    theirs = jsdp_session_from_jingle(xmlDocGetRootElement(doc), &error);
    if (mine == NULL || theirs == NULL)
        return; /* well-formedness rules differ slightly (e.g. name characters) */
    if (!jsdp_session_equal(mine, theirs))
        fail("our XML reader and libxml2 disagree");
}

static void
check_jingle_roundtrip(const JsdpSession *s)
{
    JsdpJinglePrintParams jp = {.action = s->action, .sid = s->sid};
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = jsdp_session_to_jingle_string(s, &jp, &error);
    g_autoptr(JsdpSession) back = NULL;

    g_assert_true((xml == NULL) != (error == NULL));
    if (xml == NULL)
        return;
    back = jsdp_session_from_jingle_string(xml, -1, &error);
    if (back == NULL)
        fail("printed Jingle does not parse: %s\n%s", error->message, xml);
    if (!jsdp_session_equal(s, back))
        fail("Jingle round trip differs:\n%s", xml);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsdpSession) s = NULL;

    if (size > JSDP_MAX_INPUT + 1)
        return 0;
    s = jsdp_session_from_jingle_string((const char *)data, (gssize)size, &error);
    g_assert_true((s == NULL) != (error == NULL));
    check_against_libxml(data, size, s);
    if (s == NULL) {
        g_assert_true(error->domain == JSDP_ERROR);
        return 0;
    }
    check_jingle_roundtrip(s);
    check_sdp_roundtrip(s);
    return 0;
}
