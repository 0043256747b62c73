/* jsdp_sdp_fuzz.c: libFuzzer target for the SDP side.
 *
 * Invariants: jsdp_session_from_sdp() yields a session or a GError, never
 * both, never neither; for a session, SDP print -> parse and Jingle print
 * -> parse give it back (semantically), unless the printer warned that
 * something could not be carried; jsdp_sdp_check() (the line grammar
 * alone) accepts every whole SDP (v= first) the parser accepts.
 */
#include "jsdp_private.h"
#include "fuzz_fail.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
has_warning_except(const GPtrArray *w, const char *allowed)
{
    for (guint i = 0; i < w->len; i++) {
        if (allowed == NULL || strstr(g_ptr_array_index(w, i), allowed) == NULL)
            return TRUE;
    }
    return FALSE;
}

static void
check_sdp_roundtrip(const JsdpSession *s, const JsdpSdpParseParams *pp)
{
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    JsdpSdpPrintParams sp = {.author = pp->author, .session_id = 1, .warnings = w};
    g_autoptr(GError) error = NULL;
    g_autofree char *out = jsdp_session_to_sdp(s, &sp, &error);
    g_autoptr(JsdpSession) back = NULL;

    g_assert_true((out == NULL) != (error == NULL));
    if (out == NULL)
        return;
    back = jsdp_session_from_sdp(out, -1, pp, &error);
    if (back == NULL)
        fail("printed SDP does not parse: %s\n%s", error->message, out);
    if (!has_warning_except(w, NULL) && !jsdp_session_equal(s, back))
        fail("SDP round trip differs:\n%s", out);
}

static void
check_jingle_roundtrip(const JsdpSession *s)
{
    g_autoptr(GPtrArray) w = g_ptr_array_new_with_free_func(g_free);
    JsdpJinglePrintParams jp = {.action = "session-initiate", .sid = "f", .warnings = w};
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = jsdp_session_to_jingle_string(s, &jp, &error);
    g_autoptr(JsdpSession) back = NULL, want = NULL;

    g_assert_true((xml == NULL) != (error == NULL));
    if (xml == NULL)
        return;
    back = jsdp_session_from_jingle_string(xml, -1, &error);
    if (back == NULL)
        fail("printed Jingle does not parse: %s\n%s", error->message, xml);
    want = jsdp_session_copy_without_rejected(s);
    if (!has_warning_except(w, "rejected") && !jsdp_session_equal(want, back))
        fail("Jingle round trip differs:\n%s", xml);
}

/* The line edits (jsdp_sdp_edit.c) take what the line check takes, give
 * text it takes again, and a hold held again is the same text. */
static void
check_edits(const char *sdp, gssize len)
{
    gboolean ok = jsdp_sdp_check(sdp, len, NULL);
    g_autofree char *dir = jsdp_sdp_set_direction(
        sdp, len, JSDP_SENDERS_INITIATOR, JSDP_ROLE_INITIATOR, 7, NULL);
    g_autofree char *held = jsdp_sdp_hold(sdp, len, NULL);
    g_autofree char *again = NULL;

    if ((dir != NULL) != ok || (held != NULL) != ok)
        fail("an edit disagrees with the line check (%d)", ok);
    if (!ok)
        return;
    if (!jsdp_sdp_check(dir, -1, NULL) || !jsdp_sdp_check(held, -1, NULL))
        fail("an edit gave text the line check refuses");
    again = jsdp_sdp_hold(held, -1, NULL);
    if (again == NULL || strcmp(again, held) != 0)
        fail("hold is not idempotent:\n%s", held);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const JsdpSdpParseParams modes[] = {
        {JSDP_ROLE_INITIATOR, JSDP_CLASSIC_RAW_UDP},
        {JSDP_ROLE_RESPONDER, JSDP_CLASSIC_ICE_HOST},
    };

    if (size > JSDP_MAX_INPUT + 1)
        return 0;
    for (guint m = 0; m < G_N_ELEMENTS(modes); m++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(JsdpSession) s = jsdp_session_from_sdp((const char *)data, (gssize)size,
                                                         &modes[m], &error);
        g_assert_true((s == NULL) != (error == NULL));
        if (s == NULL) {
            g_assert_true(error->domain == JSDP_ERROR);
            continue;
        }
        /* (the parser takes fragments too: m= sections alone) */
        if (size >= 2 && data[0] == 'v' && data[1] == '=' &&
            !jsdp_sdp_check((const char *)data, (gssize)size, &error))
            fail("parsed, but the line check refuses it: %s", error->message);
        check_sdp_roundtrip(s, &modes[m]);
        check_jingle_roundtrip(s);
    }
    check_edits((const char *)data, (gssize)size);
    return 0;
}
