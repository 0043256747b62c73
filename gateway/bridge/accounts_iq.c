/* gateway/bridge/accounts_iq.c: what a user asks of the component domain
 * about her account.
 *
 *   jabber:iq:register get     -> instructions and fields, or
 *                                 <registered/> with her username
 *   jabber:iq:register set     -> record -> database -> REGISTER (accounts.c)
 *   jabber:iq:register remove  -> un-REGISTER, then deleted
 *   her ad-hoc commands (admin.c's port): status, change password,
 *   when to register, unregister -- always her own account
 *
 * Every field is bounded (MAX_FIELD_BYTES) and text only; a password is
 * scrubbed once sealed, and never logged.
 */
#define G_LOG_DOMAIN "gw-accounts"

#include "accounts_private.h"

#include <string.h>

#include "error_map.h"
#include "map.h"
#include "sip_auth.h"
#include "stanza.h"
#include "xmpp_link.h"

/* ---- XEP-0077 ---------------------------------------------------------- */

static void
reply_error(GwAccounts *a, xmpp_stanza_t *iq, const char *condition,
            const char *text)
{
    GwStanzaError e = { condition, gw_errmap_condition_type(condition), NULL,
                        NULL };
    acc_send_text(a, gw_stanza_error_reply(iq, NULL, &e, text));
}

static void
reply_gerror(GwAccounts *a, xmpp_stanza_t *iq, const GError *error)
{
    GwStanzaError e;

    gw_errmap_from_gerror(error, &e, NULL, NULL);
    acc_send_text(a, gw_stanza_error_reply(iq, NULL, &e, error->message));
}

static void
reg_get(GwAccounts *a, xmpp_stanza_t *iq, const char *bare)
{
    Account *acc = g_hash_table_lookup(a->by_jid, bare);
    GString *x;

    if (!gw_config_allows_account(a->env->config, bare)) {
        reply_error(a, iq, "not-allowed", "this JID may not register here");
        return;
    }
    x = gw_stanza_iq_result_begin(iq);
    g_string_append(x, "<query xmlns='" GW_NS_REGISTER "'>");
    if (acc != NULL) {
        /* XEP-0077 3.1 would echo the password: never */
        g_string_append(x, "<registered/><username>");
        gw_xml_append_escaped(x, acc->username);
        g_string_append(x, "</username><password/>");
    } else {
        g_autofree char *text = g_strdup_printf(
            "Enter the user name (extension) and password of your SIP "
            "account in %s; the gateway registers it at %s for you.",
            a->env->config->accounts.domain,
            a->env->config->accounts.registrar);
        g_string_append(x, "<instructions>");
        gw_xml_append_escaped(x, text);
        g_string_append(x, "</instructions><username/><password/>");
    }
    g_string_append(x, "</query>");
    gw_stanza_end(x, "iq");
    acc_send_text(a, x);
}

/* The text of element `e`, or NULL with *bad set when it holds elements
 * (a field is text only) or more than MAX_FIELD_BYTES. (transfer full) */
static char *
text_only(xmpp_stanza_t *e, gboolean *bad)
{
    g_autoptr(GString) out = g_string_new(NULL);

    for (xmpp_stanza_t *t = xmpp_stanza_get_children(e); t != NULL;
         t = xmpp_stanza_get_next(t)) {
        const char *s;
        if (xmpp_stanza_is_tag(t)) {
            *bad = TRUE;
            return NULL;
        }
        s = xmpp_stanza_get_text_ptr(t);
        if (s != NULL) {
            if (out->len + strlen(s) > MAX_FIELD_BYTES) {
                *bad = TRUE;
                memset(out->str, 0, out->len);
                return NULL;
            }
            g_string_append(out, s);
        }
    }
    return g_strstrip(g_string_free(g_steal_pointer(&out), FALSE));
}

/* A field of the query, legacy (<username/>) or from a submitted data
 * form (XEP-0077 4); (transfer full) or NULL. *bad when it is not plain
 * text of at most MAX_FIELD_BYTES. */
static char *
field(xmpp_stanza_t *q, const char *name, gboolean *bad)
{
    xmpp_stanza_t *e = gw_stanza_child(q, name, NULL);
    xmpp_stanza_t *x = gw_stanza_child(q, "x", NS_DATA);

    if (e != NULL)
        return text_only(e, bad);
    for (xmpp_stanza_t *f = x ? xmpp_stanza_get_children(x) : NULL;
         f != NULL; f = xmpp_stanza_get_next(f))
        if (xmpp_stanza_is_tag(f) &&
            g_strcmp0(xmpp_stanza_get_name(f), "field") == 0 &&
            g_strcmp0(xmpp_stanza_get_attribute(f, "var"), name) == 0) {
            xmpp_stanza_t *v = gw_stanza_child(f, "value", NULL);
            return v != NULL ? text_only(v, bad) : NULL;
        }
    return NULL;
}

static void
scrub(char *s)
{
    if (s != NULL)
        memset(s, 0, strlen(s));
}

static GwAccountRecord *
build_record(GwAccounts *a, const char *bare, const char *username,
             const char *password, const Account *old, GError **error)
{
    const GwConfig *cfg = a->env->config;
    g_autoptr(GwAccountRecord) rec = g_new0(GwAccountRecord, 1);

    rec->jid = g_strdup(bare);
    rec->username = g_strdup(username);
    rec->domain = g_strdup(cfg->accounts.domain);
    rec->created = g_get_real_time() / G_USEC_PER_SEC;
    if (old != NULL && old->own_when) /* her choice stays hers too */
        rec->register_when = g_strdup(old->always ? "always" : "online");
    if (old != NULL) {
        rec->contact = g_strdup(old->contact); /* her binding stays hers */
    } else {
        guint8 t[8];
        GString *c = g_string_new("acc-");
        if (!gw_account_random_bytes(t, sizeof t)) {
            g_string_free(c, TRUE);
            g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                                "no random bytes");
            return NULL;
        }
        for (guint i = 0; i < sizeof t; i++)
            g_string_append_printf(c, "%02x", t[i]);
        rec->contact = g_string_free(c, FALSE);
    }
    if (cfg->accounts.realm != NULL) {
        g_autofree char *ha1 = gw_account_ha1(username, cfg->accounts.realm,
                                              password);
        rec->kind = GW_SECRET_HA1;
        rec->realm = g_strdup(cfg->accounts.realm);
        rec->secret = g_bytes_new(ha1, strlen(ha1));
        scrub(ha1);
    } else {
        g_autofree char *aad = gw_account_aad(bare, username, rec->domain, NULL);
        guint8 nonce[GW_ACCOUNT_NONCE_LEN];
        if (!gw_account_random_bytes(nonce, sizeof nonce)) {
            g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                                "no random bytes");
            return NULL;
        }
        rec->kind = GW_SECRET_SEALED;
        rec->secret = gw_account_seal(a->key, nonce, aad, password, error);
        if (rec->secret == NULL)
            return NULL;
    }
    return g_steal_pointer(&rec);
}

static void
reg_remove(GwAccounts *a, xmpp_stanza_t *iq, const char *bare)
{
    Account *acc = g_hash_table_lookup(a->by_jid, bare);
    g_autoptr(GError) error = NULL;

    if (acc == NULL) {
        reply_error(a, iq, "item-not-found", "no account to remove");
        return;
    }
    if (!gw_account_store_delete(a->store, bare, &error)) {
        g_warning("account of %s: not deleted: %s", bare, error->message);
        reply_gerror(a, iq, error);
        return;
    }
    g_message("account of %s: sip:%s@%s removed", bare, acc->username,
              acc->domain);
    acc_retire(a, acc, FALSE);
    acc_send_text(a, gw_stanza_iq_result(iq));
    /* XEP-0077 3.2: the registration and the subscription go together */
    acc_send_presence(a, bare, "unsubscribe");
    acc_send_presence(a, bare, "unsubscribed");
}

/* Stores her account (new, or replacing hers: another username or
 * password) and swaps the record in the tables; the caller answers her and
 * reconsiders it. NULL and why (conflict, full, store, key). `full`: the
 * client that asked, counted as online (or NULL). */
static Account *
store_account(GwAccounts *a, const char *bare, const char *username,
              const char *password, const char *full, GError **error)
{
    const GwConfig *cfg = a->env->config;
    g_autoptr(GwAccountRecord) rec = NULL;
    Account *old = g_hash_table_lookup(a->by_jid, bare), *acc;
    gboolean same_aor;

    rec = build_record(a, bare, username, password, old, error);
    if (rec == NULL || !gw_account_store_put(a->store, rec,
                                             cfg->accounts.max_accounts,
                                             error)) {
        if (rec == NULL ||
            (!g_error_matches(*error, GW_ACCOUNT_ERROR,
                              GW_ACCOUNT_ERROR_CONFLICT) &&
             !g_error_matches(*error, GW_ACCOUNT_ERROR,
                              GW_ACCOUNT_ERROR_FULL)))
            g_warning("account of %s: not stored: %s", bare,
                      (*error)->message);
        else
            g_info("account of %s: refused: %s", bare, (*error)->message);
        return NULL;
    }
    same_aor = old != NULL && strcmp(old->username, rec->username) == 0 &&
               strcmp(old->domain, rec->domain) == 0;
    acc = acc_account_new(a, rec);
    if (old != NULL) {
        /* she counts as online where she was */
        acc->resources = g_steal_pointer(&old->resources);
        acc_retire(a, old, same_aor);
    }
    /* she sent this from a client that is online now; its unavailable
     * presence comes once she approves the subscription asked for */
    if (full != NULL && strchr(full, '/') != NULL)
        acc_add_resource(acc, full);
    acc_index_add(a, acc);
    g_message("account of %s: sip:%s@%s %s (%s)", bare, acc->username,
              acc->domain, old != NULL ? "changed" : "added",
              acc->kind == GW_SECRET_HA1 ? "HA1" : "sealed");
    return acc;
}

static void
reg_set(GwAccounts *a, xmpp_stanza_t *iq, xmpp_stanza_t *q, const char *bare,
        const char *full)
{
    const GwConfig *cfg = a->env->config;
    gboolean bad = FALSE;
    g_autofree char *username = NULL, *password = NULL;
    g_autoptr(GError) error = NULL;
    Account *old = g_hash_table_lookup(a->by_jid, bare), *acc;

    if (!gw_config_allows_account(cfg, bare)) {
        reply_error(a, iq, "not-allowed", "this JID may not register here");
        return;
    }
    if (gw_stanza_child(q, "remove", NULL) != NULL) {
        reg_remove(a, iq, bare);
        return;
    }
    username = field(q, "username", &bad);
    password = field(q, "password", &bad);
    if (bad) {
        reply_error(a, iq, "not-acceptable",
                    "a field is too long or not plain text");
        goto out;
    }
    if (username == NULL || *username == '\0' || password == NULL ||
        *password == '\0') {
        reply_error(a, iq, "bad-request", "username and password are required");
        goto out;
    }
    if (!gw_account_check_username(username, &error) ||
        !gw_account_check_password(password, &error)) {
        reply_gerror(a, iq, error);
        goto out;
    }
    acc = store_account(a, bare, username, password, full, &error);
    if (acc == NULL) {
        reply_gerror(a, iq, error);
        goto out;
    }
    acc_send_text(a, gw_stanza_iq_result(iq));
    if (old == NULL)
        acc_send_presence(a, bare, "subscribe");
    acc_reconsider(a, acc);
out:
    scrub(password);
}

/* ---- her own commands (XEP-0050, through the admin module's port) ---- */

static Account *
her_account(GwAccounts *a, const char *bare, GError **error)
{
    Account *acc = a != NULL && bare != NULL
                       ? g_hash_table_lookup(a->by_jid, bare) : NULL;

    if (acc == NULL)
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_NOT_FOUND,
                    "you have no SIP account here");
    return acc;
}

void
gw_account_status_clear(GwAccountStatus *st)
{
    g_clear_pointer(&st->aor, g_free);
    g_clear_pointer(&st->registrar, g_free);
    g_clear_pointer(&st->state, g_free);
}

gboolean
gw_accounts_status(GwAccounts *a, const char *bare, GwAccountStatus *st)
{
    Account *acc = her_account(a, bare, NULL);

    memset(st, 0, sizeof *st);
    if (acc == NULL)
        return FALSE;
    st->aor = g_strdup_printf("sip:%s@%s", acc->username, acc->domain);
    st->registrar = g_strdup(a->env->config->accounts.registrar);
    st->register_when = acc->always ? "always" : "online";
    if (acc->refused)
        st->state = g_strdup("refused: register again or change the "
                             "password");
    else if (acc->reg != NULL && gw_sip_registration_is_active(acc->reg))
        st->state = g_strdup(gw_sip_registration_get_state(acc->reg));
    else if (acc->queued)
        st->state = g_strdup("waiting to register");
    else
        st->state = g_strdup(acc->always ? "not registered"
                                         : "not registered while you are "
                                           "offline");
    return TRUE;
}

gboolean
gw_accounts_change_password(GwAccounts *a, const char *bare,
                            const char *password, GError **error)
{
    Account *acc = her_account(a, bare, error), *now;
    g_autofree char *username = NULL;

    if (acc == NULL)
        return FALSE;
    if (a->stopping) {
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_STORE,
                            "the gateway is stopping");
        return FALSE;
    }
    if (!gw_account_check_password(password, error))
        return FALSE;
    username = g_strdup(acc->username);
    now = store_account(a, bare, username, password, NULL, error);
    if (now == NULL)
        return FALSE;
    acc_reconsider(a, now); /* a refusal is forgotten: she tries anew */
    return TRUE;
}

gboolean
gw_accounts_set_register_when(GwAccounts *a, const char *bare,
                              const char *when, GError **error)
{
    Account *acc = her_account(a, bare, error);
    g_autoptr(GwAccountRecord) rec = NULL;

    if (acc == NULL)
        return FALSE;
    if (g_strcmp0(when, "online") != 0 && g_strcmp0(when, "always") != 0) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "register_when is online or always, not '%.16s'",
                    when ? when : "");
        return FALSE;
    }
    rec = gw_account_store_get(a->store, bare, error);
    if (rec == NULL)
        return FALSE;
    g_free(rec->register_when);
    rec->register_when = g_strdup(when);
    if (!gw_account_store_put(a->store, rec,
                              a->env->config->accounts.max_accounts, error))
        return FALSE;
    acc->always = strcmp(when, "always") == 0;
    acc->own_when = TRUE;
    g_message("account of %s: register_when = %s", bare, when);
    if (a->grace_id == 0)
        acc_reconsider(a, acc);
    return TRUE;
}

gboolean
gw_accounts_unregister(GwAccounts *a, const char *bare, GError **error)
{
    Account *acc = her_account(a, bare, error);

    if (acc == NULL || !gw_account_store_delete(a->store, bare, error))
        return FALSE;
    g_message("account of %s: sip:%s@%s removed (command)", bare,
              acc->username, acc->domain);
    acc_retire(a, acc, FALSE);
    acc_send_presence(a, bare, "unsubscribe");
    acc_send_presence(a, bare, "unsubscribed");
    return TRUE;
}

gboolean
gw_accounts_iq(GwAccounts *a, xmpp_stanza_t *iq)
{
    const char *type = xmpp_stanza_get_type(iq);
    const char *to = xmpp_stanza_get_to(iq);
    const char *from = xmpp_stanza_get_from(iq);
    xmpp_stanza_t *q;
    g_autofree char *bare = NULL;

    if (a == NULL || type == NULL || to == NULL ||
        g_ascii_strcasecmp(to, acc_domain_of(a)) != 0 ||
        (q = gw_stanza_child(iq, "query", GW_NS_REGISTER)) == NULL)
        return FALSE;
    if (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)
        return TRUE; /* nobody waits for it */
    bare = from != NULL ? map_jid_bare(from, NULL) : NULL;
    if (bare == NULL || strchr(bare, '@') == NULL) {
        reply_error(a, iq, "bad-request", "a user's JID may register");
        return TRUE;
    }
    if (a->stopping) {
        reply_error(a, iq, "service-unavailable", "the gateway is stopping");
        return TRUE;
    }
    if (strcmp(type, "get") == 0)
        reg_get(a, iq, bare);
    else
        reg_set(a, iq, q, bare, from);
    return TRUE;
}

