/* gateway/bridge/env.c: the lookups every bridge shares, where per-user
 * accounts (issue 17) come before the address table.
 *
 * Only two directions follow the account: an XMPP user as the sender
 * (her AOR, sip:2001@pbx, instead of what [mapping] gives her), and the
 * target of a request from SIP (sip:acc-TOKEN@gateway or sip:2001@pbx ->
 * her bare JID). The other party of either is looked up in the table as
 * before: a PBX extension calling her stays 2002@component even when
 * 2002 is another user's account. For an account on a registrar of her
 * own ([accounts] allow_custom_registrar) the component's extensions and
 * numbers are her PBX's, on her domain:
 *
 *   bob (sip:3001@pbx2) -> 1002@component  =  sip:1002@pbx2 (not @pbx)
 *   sip:1003@pbx2 -> bob                    =  from 1003@component
 */
#define G_LOG_DOMAIN "gw-router"

#include "gateway.h"

#include "account_codec.h"

MapResult *
gw_env_lookup_user_jid(const GwBridgeEnv *env, const char *jid,
                       GError **error)
{
    if (env->accounts.jid != NULL && jid != NULL) {
        MapResult *m = env->accounts.jid(env->accounts.data, jid);
        if (m != NULL)
            return m;
    }
    return map_table_lookup_jid(env->map, jid, error);
}

MapResult *
gw_env_lookup_target_sip(const GwBridgeEnv *env, const char *uri,
                         GError **error)
{
    if (env->accounts.sip != NULL && uri != NULL) {
        MapResult *m = env->accounts.sip(env->accounts.data, uri);
        if (m != NULL)
            return m;
    }
    return map_table_lookup_sip(env->map, uri, error);
}

/* Her own domain, or NULL (transfer full). */
static char *
own_domain(const GwBridgeEnv *env, const char *jid)
{
    return env->accounts.domain != NULL && jid != NULL
               ? env->accounts.domain(env->accounts.data, jid) : NULL;
}

char *
gw_env_peer_uri(const GwBridgeEnv *env, const char *sender_jid,
                const char *uri)
{
    const GwConfig *cfg = env->config;
    const char *const table[] = { cfg->mapping.sip_domain,
                                  cfg->mapping.trunk_domain, NULL };
    g_autofree char *dom = own_domain(env, sender_jid);
    char *mine = dom != NULL ? gw_account_uri_swap_domain(uri, table, dom)
                             : NULL;

    return mine != NULL ? mine : g_strdup(uri);
}

MapResult *
gw_env_lookup_peer_sip(const GwBridgeEnv *env, const char *target_jid,
                       const char *uri, GError **error)
{
    g_autofree char *dom = own_domain(env, target_jid);
    const char *const mine[] = { dom, NULL };
    g_autofree char *table_uri =
        dom != NULL && uri != NULL
            ? gw_account_uri_swap_domain(uri, mine,
                                         env->config->mapping.sip_domain)
            : NULL;

    if (table_uri != NULL) {
        /* an XMPP user of the table is somebody on the operator's PBX,
         * not on hers */
        MapResult *m = map_table_lookup_sip(env->map, table_uri, NULL);
        if (m != NULL && m->kind != MAP_KIND_XMPP_USER)
            return m;
        map_result_free(m);
    }
    return map_table_lookup_sip(env->map, uri, error);
}
