/* strophe_quiet.h: skips libstrophe's receive-side debug dump when
 * nothing would log it (strophe_quiet.c says how and why). */
#ifndef GW_STROPHE_QUIET_H
#define GW_STROPHE_QUIET_H

#include <glib.h>
#include <strophe.h>

/* Around the link's stanza handler. quiet: libstrophe's debug lines are
 * dropped (no [log] stanzas), so its dump of received stanzas may be
 * skipped; a change (reload) holds from the stanza after this one. */
void gw_strophe_quiet_handler_enter(const xmpp_stanza_t *stanza,
                                    gboolean quiet);
void gw_strophe_quiet_handler_leave(void);

/* Dumps skipped so far (tests). */
guint64 gw_strophe_quiet_skipped(void);

#endif
