/* gateway/bridge/admin.h: XEP-0050 ad-hoc commands for the operators named
 * in [admin] jids (in the manner of XEP-0133): statistics, the calls and
 * subscriptions in progress, ending a call, reloading the configuration,
 * the log level, drain and undrain. Holders of a per-user SIP account
 * (issue 17) get four commands on their own account, whoever they are:
 * its status, a new password, register_when, unregister. Everyone else
 * gets forbidden.
 *
 *   disco#items node=commands --> the list (admins, account holders: what
 *                                 each may run), forbidden (others)
 *   <command node=X action=execute> --> completed with a data form
 *                                   \-> executing + a form to fill
 *   <command sessionid=S action=complete|cancel + submitted form>
 *                                   --> completed | canceled
 *
 * What the commands act on comes through ports (main.c wires them): the
 * module reads stanzas and writes answers, nothing else. A session that
 * waits for its form ends after ADMIN_SESSION_S seconds. */
#pragma once

#include <glib.h>
#include <strophe.h>

#include "accounts.h"
#include "gateway.h"
#include "metrics.h"

G_BEGIN_DECLS

#define GW_NS_COMMANDS "http://jabber.org/protocol/commands"
#define GW_NS_DATA "jabber:x:data"

typedef struct GwAdmin GwAdmin;

/* Her own SIP account (issue 17), for the commands account holders get:
 * each acts on the requester's bare JID alone. All NULL: accounts
 * disabled (nobody has one). */
typedef struct {
    gboolean (*status)(gpointer data, const char *bare, GwAccountStatus *st);
    gboolean (*change_password)(gpointer data, const char *bare,
                                const char *password, GError **error);
    gboolean (*set_register_when)(gpointer data, const char *bare,
                                  const char *when, GError **error);
    gboolean (*unregister)(gpointer data, const char *bare, GError **error);
    gpointer data;
} GwAdminAccountPorts;

typedef struct {
    /* fills what it knows (g initialised to unknown) */
    void (*read_gauges)(gpointer data, GwMetricsGauges *g);
    /* one line per call / subscription, (transfer full) array of char* */
    GPtrArray *(*list_calls)(gpointer data);
    GPtrArray *(*list_subscriptions)(gpointer data);
    /* ends the call `id` (as list_calls names it); FALSE if there is none */
    gboolean (*end_call)(gpointer data, const char *id);
    /* re-reads the configuration; FALSE with the reason in `report` */
    gboolean (*reload)(gpointer data, GString *report);
    /* "message", "info" or "debug" */
    void (*set_log_level)(gpointer data, const char *level);
    /* refuse new calls and subscriptions (TRUE) or take them again */
    void (*set_draining)(gpointer data, gboolean draining);
    gpointer data;
    GwAdminAccountPorts accounts;
} GwAdminPorts;

GwAdmin *gw_admin_new(GwBridgeEnv *env, const GwAdminPorts *ports);
void gw_admin_free(GwAdmin *admin);

/* An iq get/set for the commands (disco#items on the commands node, or a
 * <command/>): answers it and returns TRUE; FALSE for anything else. */
gboolean gw_admin_iq(GwAdmin *admin, xmpp_stanza_t *iq);

G_END_DECLS
