/* gateway/bridge/accounts.h: per-user SIP accounts (issue 17, part 1):
 * XEP-0077 in-band registration at the component domain, the accounts
 * database (gateway/accounts/), and the REGISTERs made on each user's
 * behalf (gw_sip_ua_registration_new()).
 *
 *   iq jabber:iq:register (to the domain) --> gw_accounts_iq()
 *      get: fields, or <registered/> + username; set: store + register;
 *      <remove/>: un-REGISTER + delete
 *   presence to the domain ------------------> gw_accounts_presence()
 *   her presence to any component JID -------> gw_accounts_user_changed()
 *      (the directory's view, through the online port)
 *   registration refused / given up ---------> one <message> to her
 *
 * Who is online decides, with [accounts] register_when = online, whether
 * her account is registered. REGISTERs due at once (start-up, link up)
 * start at [accounts] register_rate per second at most. Nothing here
 * blocks but the database, a local file written per user action. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "gateway.h"

G_BEGIN_DECLS

#define GW_NS_REGISTER "jabber:iq:register"

typedef struct GwAccounts GwAccounts;

/* Has `bare` an available resource, as the directory of XMPP resources
 * knows it (presence she sends to SIP contacts on the component)? */
typedef gboolean (*GwOnlineFunc)(gpointer data, const char *bare);

/* Her account was made, replaced (another AOR or registrar) or removed,
 * by her request: `bare` is her JID. The AOR the accounts port gives her
 * (GwAccountsPort.jid) is already the new one. */
typedef void (*GwAccountChangedFunc)(gpointer data, const char *bare);

/* Opens the database and reads the key ([accounts] key_file) and every
 * account; NULL and an error naming the file when that fails. env and the
 * port borrowed for the module's life. Registrations begin at
 * gw_accounts_start(). */
GwAccounts *gw_accounts_new(GwBridgeEnv *env, GwOnlineFunc online,
                            gpointer online_data, GError **error);
void gw_accounts_free(GwAccounts *accounts);
/* The listener of account changes (main.c wires the presence bridge's
 * subscriptions and publication to it), or NULL. */
void gw_accounts_set_changed(GwAccounts *accounts, GwAccountChangedFunc changed,
                             gpointer data);

/* The SIP agent is up: accounts registered whatever her presence
 * (register_when = always) start, paced. */
void gw_accounts_start(GwAccounts *accounts);
/* The gateway stops: every registered account is un-REGISTERed, paced
 * at [accounts] register_rate, for STOP_UNREGISTER_MS (8 s) at most. */
void gw_accounts_shutdown(GwAccounts *accounts);
/* Are the stop's un-REGISTERs sent and answered, or out of time (then
 * the rest are left, logged once)? TRUE also for NULL. */
gboolean gw_accounts_stopped(GwAccounts *accounts);

/* An iq for XEP-0077 at the component domain: answers it, TRUE; FALSE for
 * anything else. */
gboolean gw_accounts_iq(GwAccounts *accounts, xmpp_stanza_t *iq);
/* Presence addressed to the component domain itself (not a probe): her
 * resources, and subscription requests and answers. */
void gw_accounts_presence(GwAccounts *accounts, xmpp_stanza_t *presence);
/* Her presence to a component JID was handled by the presence bridge:
 * whether she is online may have changed. */
void gw_accounts_user_changed(GwAccounts *accounts, const char *bare);
/* The XMPP link came up: account holders are probed, then registrations
 * follow what their presence says. */
void gw_accounts_link_up(GwAccounts *accounts);

/* ---- traffic follows the account ---- */

/* Fills the bridges' port (GwBridgeEnv.accounts); all NULL when a is. */
void gw_accounts_port(GwAccounts *accounts, GwAccountsPort *port);
/* A GwSipAuthorizeFunc (data: the GwAccounts): a challenge to a request
 * From her AOR is answered with her credentials, unsealed for that
 * moment only (or her HA1). */
char *gw_accounts_sip_authorize(gpointer data, const char *from_uri,
                                const char *challenge, const char *method,
                                const char *uri, gboolean *owned,
                                GError **error);
typedef enum {
    GW_ACCOUNTS_TARGET_NONE,
    GW_ACCOUNTS_TARGET_AOR,     /* sip:2001@pbx: her AOR */
    GW_ACCOUNTS_TARGET_CONTACT, /* sip:acc-TOKEN@gateway: the Contact */
    GW_ACCOUNTS_TARGET_GONE,    /* sip:acc-...: a Contact nobody has now */
} GwAccountsTarget;
/* Whom an incoming request is for: an account's Contact or AOR (the
 * Request-URI, else To), or none (accounts may be NULL). */
GwAccountsTarget gw_accounts_target(GwAccounts *accounts,
                                    const char *request_uri,
                                    const char *to_uri);
typedef enum {
    GW_ACCOUNTS_SOURCE_OTHER,
    GW_ACCOUNTS_SOURCE_REGISTRAR,     /* [accounts] registrar, for its
                                         accounts' Contacts and AORs:
                                         trusted as the operator's */
    GW_ACCOUNTS_SOURCE_HER_REGISTRAR, /* her own registrar, for her Contact
                                         as the Request-URI: let in, and
                                         nothing more */
} GwAccountsSource;
/* Who `source` (a textual address) is for a request for an account: the
 * registrar of the account the request is for, written as an IP address
 * in its URI, or another. */
GwAccountsSource gw_accounts_source(GwAccounts *accounts, const char *source,
                                    const char *request_uri,
                                    const char *to_uri);
/* A GwSipHopFunc (data: the GwAccounts): her own registrar for what is
 * sent From her AOR, or NULL ([accounts] registrar's accounts and
 * everybody else: [sip] outbound_proxy as before). */
const char *gw_accounts_sip_hop(gpointer data, const char *from);

/* ---- her own commands (XEP-0050 through the admin module) ---- */

typedef struct {
    char *aor;                 /* "sip:2001@pbx.example.com" */
    char *registrar;
    char *state;               /* "registered", "refused: ..." */
    const char *register_when; /* "online" or "always" (static) */
} GwAccountStatus;
void gw_account_status_clear(GwAccountStatus *status);
/* Her account's status (fills status: clear it after); FALSE when she
 * has none. */
gboolean gw_accounts_status(GwAccounts *accounts, const char *bare,
                            GwAccountStatus *status);
/* A new password for her account: sealed (or HA1) and stored at once, and
 * her AOR REGISTERed anew with it (a refusal is forgotten). FALSE and
 * GW_ACCOUNT_ERROR: NOT_FOUND, INVALID (the password), STORE, KEY. */
gboolean gw_accounts_change_password(GwAccounts *accounts, const char *bare,
                                     const char *password, GError **error);
/* Her own register_when ("online" or "always"), stored, acted on now. */
gboolean gw_accounts_set_register_when(GwAccounts *accounts,
                                       const char *bare, const char *when,
                                       GError **error);
/* As XEP-0077 <remove/>: un-REGISTERed and deleted. */
gboolean gw_accounts_unregister(GwAccounts *accounts, const char *bare,
                                GError **error);

/* disco#info of the domain lists jabber:iq:register (enabled). */
gboolean gw_accounts_enabled(const GwAccounts *accounts);

typedef struct {
    guint accounts;
    guint registered;
    guint refused;   /* refused or given up, until she registers again */
    guint queued;    /* waiting for their paced start */
} GwAccountsStats;
void gw_accounts_get_stats(const GwAccounts *accounts, GwAccountsStats *stats);

G_END_DECLS
