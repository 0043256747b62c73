/* gateway/core/bencode_fuzz.c: libFuzzer target for the bencode decoder (what
 * rtpengine answers pass through). Invariants checked on every input:
 *   - exactly one of value and error;
 *   - decode(encode(v)) succeeds and equals v (gw_bencode_equal);
 *   - the encoding is canonical: encoding that again gives the same bytes;
 *   - a copy equals the original; the debug rendering does not crash.
 * Seeds: tests/data/bencode/fuzz/. Replayed by ctest (bencode_fuzz_replay).
 */
#include "bencode.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    GwBencode *value = gw_bencode_decode(data, size, &error);

    if ((value == NULL) == (error == NULL))
        abort();
    if (value == NULL) {
        if (error->domain != GW_BENCODE_ERROR ||
            error->code != GW_BENCODE_ERROR_MALFORMED || error->message == NULL)
            abort();
        g_error_free(error);
        return 0;
    }

    GBytes *wire = gw_bencode_encode(value);
    gsize wire_len = 0;
    const guint8 *wire_data = g_bytes_get_data(wire, &wire_len);
    GwBencode *again = gw_bencode_decode(wire_data, wire_len, &error);

    if (again == NULL || error != NULL || !gw_bencode_equal(value, again))
        abort();

    GBytes *wire2 = gw_bencode_encode(again);
    if (!g_bytes_equal(wire, wire2))
        abort();
    /* Decoding never grows a value: the encoding is no longer than the
     * input (only key order and nothing else may differ). */
    if (wire_len != size)
        abort();

    GwBencode *copy = gw_bencode_copy(value);
    if (!gw_bencode_equal(copy, value))
        abort();
    g_free(gw_bencode_to_debug_string(value, 16));

    gw_bencode_free(copy);
    g_bytes_unref(wire2);
    gw_bencode_free(again);
    g_bytes_unref(wire);
    gw_bencode_free(value);
    return 0;
}
