/* gateway/bridge/presence_private.h: what the presence bridge's files
 * share. Nothing outside gateway/bridge/presence_*.c includes it.
 *
 *   presence_bridge.c    entry points from the router, link up, shutdown,
 *                        stats; the presence stanzas we send; her answers
 *                        to our subscription requests (they touch A, B, C)
 *   presence_watchers.c  A: SIP watchers of XMPP users (SUBSCRIBE/NOTIFY,
 *                        the watch state machine, the NOTIFY queue, expiry)
 *   presence_contacts.c  B: XMPP users watching SIP contacts (one shared
 *                        SIP subscription per contact), and PUBLISH
 *   xmpp_directory.c     C: her resources and their aggregate, directed
 *                        presence, the refresh after link up (its own
 *                        header: the call bridge reads it too)
 *   presence_state.c     D: her authorization answers and the state file
 */
#pragma once

#include <glib.h>

#include "presence_bridge.h"
#include "xmpp_directory.h"

G_BEGIN_DECLS

#define GW_PRES_CT_PIDF "application/pidf+xml"

/* Her answer to our request for her presence, per (component JID, her bare
 * JID): kept in the state file. */
typedef enum {
    GW_PRES_AUTH_UNKNOWN, /* never asked, or forgotten */
    GW_PRES_AUTH_PENDING, /* asked, no answer yet */
    GW_PRES_AUTH_GRANTED,
    GW_PRES_AUTH_REFUSED,
} GwPresAuth;

typedef struct GwPresUser GwPresUser;
typedef struct GwPresContact GwPresContact;

/* What the bridge holds for one XMPP user besides her presence (that is
 * in the directory, which has an entry for each of these): her SIP
 * watches (A) and her publication (B). Made by a SIP watch or a PUBLISH,
 * kept until the bridge goes. */
struct GwPresUser {
    GwPresBridge *b;
    char *bare;
    GPtrArray *watches;     /* SipWatch* (A, presence_watchers.c) */
    GHashTable *by_watcher; /* watcher JID -> SipWatch* (its watches,
                             * linked by same_next): an approval touches
                             * its own */
    GQueue untold;          /* her UNTOLD watches not in the NOTIFY queue:
                             * gw_pres_user_flush() walks these, not every
                             * watch (presence_watchers.c) */
    GwSipPublication *pub;  /* B, or NULL */
    char *pub_entity;       /* the address pub publishes as */
    guint probe_id;         /* awaiting the answer to a probe: first
                             * active NOTIFYs wait */
};

/* B: one SIP address watched by XMPP users. */
struct GwPresContact {
    GwPresBridge *b;
    char *jid;            /* 1001@component */
    char *sip_uri;        /* sip:1001@pbx */
    GHashTable *watchers; /* bare JID -> NULL */
    GwSipDialog *dlg;     /* shared by the watchers without an account */
    GwPresence *last;     /* NULL: unknown */
    guint retry_id;
    guint stale_id; /* renewed at once: last stands until a NOTIFY */
    guint failures;
    GHashTable *own;      /* watcher with a SIP account (issue 17) -> her
                             own subscription (presence_contacts.c), or
                             NULL */
};

struct GwPresBridge {
    const GwBridgeEnv *env;
    const char *caps_ver;   /* XEP-0115 ver of SIP contacts (borrowed) */
    GwXmppDirectory *dir;   /* C: her resources and aggregate */
    GHashTable *users;      /* bare -> GwPresUser* */
    GHashTable *contacts;   /* jid -> GwPresContact* (B) */
    GHashTable *auth;       /* "contact\nuser" -> GwPresAuth (D) */
    GHashTable *watching;   /* watcher bare JID -> set of GwPresContact* */
    GSequence *expiries;    /* SipWatch* by expiry: one timer for all */
    guint expiry_id;
    GQueue notify_queue;    /* SipWatch* owing an active NOTIFY, once */
    guint notify_id;        /* the source draining it, batch by batch */
    guint guard_id;         /* ... and its guard against starvation */
    gboolean drained;       /* a batch went out since the guard looked */
    guint n_watches;
    guint save_id;
    gboolean stopping;
    GwPresStats stats;
};

/* ---- presence_bridge.c ------------------------------------------------- */

/* Sends <presence/> from a component JID: type NULL with p available is
 * her available presence (with our caps), NULL with p NULL or offline an
 * unavailable one. */
void gw_pres_send_presence(GwPresBridge *b, const char *from, const char *to,
                           const char *type, const GwPresence *p);
/* Her presence as a PIDF document for presentity `entity` (transfer
 * full). */
char *gw_pres_pidf_for(const char *entity, const GwPresence *p);
/* Asks user to let contact see her presence, only while we hold no answer
 * of hers (see presence_bridge.c). */
void gw_pres_ask_authorization(GwPresBridge *b, const char *contact,
                               const char *user);

/* ---- presence_watchers.c (A) ------------------------------------------- */

/* The user record of bare (and her directory entry), made if create. */
GwPresUser *gw_pres_user_get(GwPresBridge *b, const char *bare,
                             gboolean create);
void gw_pres_user_free(gpointer user);
/* Probes her from `from`; her first active NOTIFYs wait for the answer. */
void gw_pres_user_probe(GwPresBridge *b, const char *bare, const char *from);
/* Her aggregate changed: every authorized watch owes a NOTIFY. */
void gw_pres_user_changed(GwPresUser *u);
/* Her state is known: UNTOLD watches are told it. */
void gw_pres_user_flush(GwPresUser *u);
/* A watcher JID of hers that she authorized, or NULL (borrowed). */
const char *gw_pres_user_peek_authorized(const GwPresUser *u);

/* A new watch of u by `watcher` (a component JID) of presentity
 * `entity` (her SIP URI), for `expires` s (0: a fetch), admitted by
 * gw_pres_bridge_from_sip(): answers req 202, the first NOTIFY follows. */
void gw_pres_watch_start(GwPresUser *u, GwSipRequest *req,
                         const GwSipIncoming *in, const char *watcher,
                         const char *entity, guint expires);
/* A SUBSCRIBE in the dialog of `watch` (its dialog_data): a refresh, or
 * Expires: 0. Answers req. */
void gw_pres_watch_refresh(gpointer watch, GwSipRequest *req,
                           const GwSipIncoming *in);
/* She answered `watcher`'s request: its watches of her go on or end. */
void gw_pres_watches_answer(GwPresUser *u, const char *watcher,
                            gboolean granted);
/* Ends her watches: with a terminating NOTIFY (reason, retry_after), or
 * quietly when reason is NULL (the bridge goes without a shutdown). */
/* For operators: a line per watch of hers, appended to `out`. */
void gw_pres_watches_describe(GwPresUser *u, GPtrArray *out);
void gw_pres_watches_end_all(GwPresUser *u, const char *reason,
                             guint retry_after);

/* ---- presence_contacts.c (B) ------------------------------------------- */

GwPresContact *gw_pres_contact_get(GwPresBridge *b, const char *jid,
                                   gboolean create);
void gw_pres_contact_free(gpointer contact);
void gw_pres_contact_add_watcher(GwPresContact *c, const char *watcher);
/* <presence type=subscribe|unsubscribe|probe> from user to a contact. */
void gw_pres_contact_subscribe(GwPresBridge *b, const char *contact,
                               const char *user);
void gw_pres_contact_unsubscribe(GwPresBridge *b, const char *contact,
                                 const char *user);
void gw_pres_contact_probe(GwPresBridge *b, const char *contact,
                           const char *user);
/* user approved contact: its SIP subscription may start. */
void gw_pres_contact_authorized(GwPresBridge *b, const char *contact,
                                const char *user);
/* A watcher came online or went offline: every contact it watches. */
void gw_pres_contacts_watcher_state(GwPresBridge *b, const char *watcher);
/* Link up: probes the watchers (are they online?). */
void gw_pres_contacts_link_up(GwPresBridge *b);
/* Her account came or went: her own dialogs and the shared ones follow
 * at once (presence_contacts.c). */
void gw_pres_contacts_account_changed(GwPresBridge *b, const char *watcher);
/* Gateway stopping: SIP subscriptions closed, watchers told "unknown". */
void gw_pres_contacts_shutdown(GwPresBridge *b);
/* PUBLISHes her aggregate, if [presence] publish. */
void gw_pres_user_publish(GwPresBridge *b, const char *bare);
/* Her account came or went: her publication moves to her new address. */
void gw_pres_user_publish_moved(GwPresBridge *b, const char *bare);

/* ---- presence_state.c (D) ---------------------------------------------- */

GwPresAuth gw_pres_auth_get(GwPresBridge *b, const char *contact,
                            const char *user);
/* Kept in the state file (GW_PRES_AUTH_UNKNOWN forgets). */
void gw_pres_auth_set(GwPresBridge *b, const char *contact, const char *user,
                      GwPresAuth auth);
/* Does presence from user to contact carry her broadcast presence (see
 * "directed presence" in xmpp_directory.c)? */
gboolean gw_pres_auth_is_broadcast(GwPresBridge *b, const char *contact,
                                   const char *user);
/* A contact other than `except` that user granted? */
gboolean gw_pres_auth_granted_elsewhere(GwPresBridge *b, const char *user,
                                        const char *except);
/* user bare JID -> a component JID she granted, for the users the
 * directory knows (transfer full). */
GHashTable *gw_pres_auth_granted_contacts(GwPresBridge *b);

/* Reads [presence] state_file into the contacts and the answers. */
void gw_pres_state_load(GwPresBridge *b);
/* Something kept changed: a write follows, later. */
void gw_pres_state_schedule_save(GwPresBridge *b);
/* Writes now if a write is due (a clean stop). */
void gw_pres_state_flush(GwPresBridge *b);

G_END_DECLS
