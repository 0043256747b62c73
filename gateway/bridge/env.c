/* gateway/bridge/env.c: the lookups every bridge shares, where per-user
 * accounts (issue 17) come before the address table.
 *
 * Only two directions follow the account: an XMPP user as the sender
 * (her AOR, sip:2001@pbx, instead of what [mapping] gives her), and the
 * target of a request from SIP (sip:acc-TOKEN@gateway or sip:2001@pbx ->
 * her bare JID). The other party of either is looked up in the table as
 * before: a PBX extension calling her stays 2002@component even when
 * 2002 is another user's account.
 */
#define G_LOG_DOMAIN "gw-router"

#include "gateway.h"

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
