/* gateway/core/num_text.h: numbers as text without printf, for text made
 * once per message (stanza ids, SIP tags, status lines, Retry-After),
 * where printf was a measurable part of the cost. Pure. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Room for any guint64 in decimal, with its NUL. */
#define GW_NUM_TEXT_SIZE 21

/* v in decimal, written at the end of buf; returns where it starts. */
const char *gw_num_decimal(guint64 v, char buf[GW_NUM_TEXT_SIZE]);

/* v as 16 lower-case hex digits, zero-padded, and a NUL. */
void gw_num_hex16(guint64 v, char out[17]);

G_END_DECLS
