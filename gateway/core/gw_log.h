/* gw_log.h: the level the log writer lets through, known before a line is
 * formatted.
 *
 * GLib formats a line (g_strdup_vprintf, the structured fields) before
 * its writer can drop it, so a filtered line costs as much as a written
 * one. Lines on a per-message or per-call path test GW_LOG_ON() first;
 * main.c's writer filters on the same threshold.
 */
#ifndef GW_LOG_H
#define GW_LOG_H

#include <glib.h>

G_BEGIN_DECLS

/* The most verbose level written (G_LOG_LEVEL_MESSAGE, INFO or DEBUG);
 * set by main.c from [log] level and -v, at start and on SIGHUP. */
extern GLogLevelFlags gw_log_threshold;

/* Would a line at `level` be written? Errors and criticals always are. */
#define GW_LOG_ON(level)                                                    \
    ((((level) & G_LOG_LEVEL_MASK) <= gw_log_threshold) ||                  \
     ((level) & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)))

G_END_DECLS

#endif
