/* gateway/core/num_text.c: see num_text.h. */
#include "num_text.h"

const char *
gw_num_decimal(guint64 v, char buf[GW_NUM_TEXT_SIZE])
{
    char *p = buf + GW_NUM_TEXT_SIZE - 1;

    *p = '\0';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return p;
}

void
gw_num_hex16(guint64 v, char out[17])
{
    for (int i = 15; i >= 0; i--, v >>= 4)
        out[i] = "0123456789abcdef"[v & 15];
    out[16] = '\0';
}
