/* jsdp_error.c: the JSDP_ERROR domain and the warnings list helper. */
#include "jsdp_private.h"

#include <stdarg.h>

G_DEFINE_QUARK(jsdp-error-quark, jsdp_error)

void
jsdp_warn(GPtrArray *warnings, const char *fmt, ...)
{
    va_list ap;
    char *text;

    if (warnings == NULL)
        return;
    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Deduplicate: one warning per distinct fact (a Chrome offer would
     * otherwise repeat "network-cost" for every candidate). */
    for (guint i = 0; i < warnings->len; i++) {
        if (strcmp(g_ptr_array_index(warnings, i), text) == 0) {
            g_free(text);
            return;
        }
    }
    if (warnings->len >= JSDP_MAX_ITEMS) {
        g_free(text);
        return;
    }
    g_ptr_array_add(warnings, text);
}
