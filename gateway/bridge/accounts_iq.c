/* gateway/bridge/accounts_iq.c: what a user asks of the component domain
 * about her account.
 *
 *   jabber:iq:register get     -> instructions and fields, or
 *                                 <registered/> with her username; where
 *                                 [accounts] allow_custom_registrar
 *                                 permits, also a data form (XEP-0004)
 *                                 with a registrar and a domain
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
append_field(GString *x, const char *type, const char *var,
             const char *label, const char *desc, const char *value,
             gboolean required)
{
    g_string_append_printf(x, "<field type='%s' var='%s'", type, var);
    if (label != NULL) {
        g_string_append(x, " label='");
        gw_xml_append_escaped(x, label);
        g_string_append_c(x, '\'');
    }
    g_string_append_c(x, '>');
    if (desc != NULL) {
        g_string_append(x, "<desc>");
        gw_xml_append_escaped(x, desc);
        g_string_append(x, "</desc>");
    }
    if (required)
        g_string_append(x, "<required/>");
    if (value != NULL) {
        g_string_append(x, "<value>");
        gw_xml_append_escaped(x, value);
        g_string_append(x, "</value>");
    }
    g_string_append(x, "</field>");
}

/* (transfer full) What she is told, with the registrars she may name. */
static char *
instructions(GwAccounts *a)
{
    const GwConfig *cfg = a->env->config;
    g_autofree char *globs = NULL;

    if (cfg->accounts.allow_custom_registrar == NULL)
        return g_strdup_printf(
            "Enter the user name (extension) and password of your SIP "
            "account in %s; the gateway registers it at %s for you.",
            cfg->accounts.domain, cfg->accounts.registrar);
    globs = g_strjoinv(", ", cfg->accounts.allow_custom_registrar);
    return g_strdup_printf(
        "Enter the user name (extension) and password of your SIP account. "
        "Leave the registrar empty for %s in domain %s, or name your own "
        "registrar (sip:host[:port]), one of: %s (no port written: 5060 or "
        "5061); its domain is the registrar's host unless you give one.",
        cfg->accounts.registrar, cfg->accounts.domain, globs);
}

/* XEP-0077 4 / XEP-0004: the fields as a form, filled with her account's
 * values where she has one (never the password). */
static void
append_form(GwAccounts *a, GString *x, const Account *acc)
{
    g_autofree char *text = instructions(a);
    g_autofree char *desc = g_strdup_printf(
        "sip:host[:port]; empty: %s", a->env->config->accounts.registrar);

    g_string_append(x, "<x xmlns='" NS_DATA "' type='form'>"
                       "<title>SIP account</title><instructions>");
    gw_xml_append_escaped(x, text);
    g_string_append(x, "</instructions>");
    append_field(x, "hidden", "FORM_TYPE", NULL, NULL, GW_NS_REGISTER, FALSE);
    append_field(x, "text-single", "username", "User name (extension)", NULL,
                 acc != NULL ? acc->username : NULL, TRUE);
    append_field(x, "text-private", "password", "Password", NULL, NULL, TRUE);
    append_field(x, "text-single", "registrar", "Registrar", desc,
                 acc != NULL ? acc_registrar(a, acc) : NULL, FALSE);
    append_field(x, "text-single", "domain", "SIP domain",
                 "empty: the registrar's host",
                 acc != NULL ? acc->domain : NULL, FALSE);
    g_string_append(x, "</x>");
}

static void
reg_get(GwAccounts *a, xmpp_stanza_t *iq, const char *bare)
{
    Account *acc = g_hash_table_lookup(a->by_jid, bare);
    gboolean custom = a->env->config->accounts.allow_custom_registrar != NULL;
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
        g_autofree char *text = instructions(a);
        g_string_append(x, "<instructions>");
        gw_xml_append_escaped(x, text);
        g_string_append(x, "</instructions><username/><password/>");
    }
    /* the registrar and domain exist only as form fields (XEP-0077 4):
     * legacy clients register at the default */
    if (custom)
        append_form(a, x, acc);
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
form_field(xmpp_stanza_t *q, const char *name, gboolean *bad)
{
    xmpp_stanza_t *x = gw_stanza_child(q, "x", NS_DATA);

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

static char *
field(xmpp_stanza_t *q, const char *name, gboolean *bad)
{
    xmpp_stanza_t *e = gw_stanza_child(q, name, NULL);

    return e != NULL ? text_only(e, bad) : form_field(q, name, bad);
}

static void
scrub(char *s)
{
    if (s != NULL)
        memset(s, 0, strlen(s));
}

/* `registrar` her own (normalised) or NULL for [accounts] registrar, and
 * `domain` her AOR's. */
static GwAccountRecord *
build_record(GwAccounts *a, const char *bare, const char *username,
             const char *password, const char *registrar, const char *domain,
             const Account *old, GError **error)
{
    const GwConfig *cfg = a->env->config;
    g_autoptr(GwAccountRecord) rec = g_new0(GwAccountRecord, 1);

    rec->jid = g_strdup(bare);
    rec->username = g_strdup(username);
    rec->domain = g_strdup(domain);
    rec->registrar = g_strdup(registrar);
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
    /* an HA1 is for [accounts] realm, the default registrar's: her own
     * registrar's realm is not known beforehand */
    if (cfg->accounts.realm != NULL && registrar == NULL) {
        g_autofree char *ha1 = gw_account_ha1(username, cfg->accounts.realm,
                                              password);
        rec->kind = GW_SECRET_HA1;
        rec->realm = g_strdup(cfg->accounts.realm);
        rec->secret = g_bytes_new(ha1, strlen(ha1));
        scrub(ha1);
    } else {
        g_autofree char *aad = gw_account_aad(bare, username, rec->domain,
                                              registrar);
        guint8 nonce[GW_ACCOUNT_NONCE_LEN];
        if (!a->have_key) { /* the configuration asks for it: not reached */
            g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                                "no [accounts] key_file to seal the password");
            return NULL;
        }
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
    acc_changed(a, bare);
}

/* Stores her account (new, or replacing hers: another username or
 * password) and swaps the record in the tables; the caller answers her and
 * reconsiders it. NULL and why (conflict, full, store, key). `full`: the
 * client that asked, counted as online (or NULL). */
static Account *
store_account(GwAccounts *a, const char *bare, const char *username,
              const char *password, const char *registrar,
              const char *domain, const char *full, GError **error)
{
    const GwConfig *cfg = a->env->config;
    g_autoptr(GwAccountRecord) rec = NULL;
    Account *old = g_hash_table_lookup(a->by_jid, bare), *acc;
    gboolean same_aor;

    rec = build_record(a, bare, username, password, registrar, domain, old,
                       error);
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
    /* the same binding at the same registrar is handed over; anywhere
     * else the old one is taken back first */
    same_aor = old != NULL && strcmp(old->username, rec->username) == 0 &&
               strcmp(old->domain, rec->domain) == 0 &&
               g_strcmp0(old->registrar, rec->registrar) == 0;
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
    g_message("account of %s: sip:%s@%s at %s %s (%s)", bare, acc->username,
              acc->domain, acc_registrar(a, acc),
              old != NULL ? "changed" : "added",
              acc->kind == GW_SECRET_HA1 ? "HA1" : "sealed");
    return acc;
}

/* Is `domain` one the operator's side answers for? An AOR there on a
 * registrar of her own would take over requests the operator's PBX
 * routes to that AOR. */
static gboolean
is_operators_domain(const GwConfig *cfg, const char *domain)
{
    const char *const own[] = { cfg->accounts.domain, cfg->mapping.sip_domain,
                                cfg->mapping.trunk_domain, cfg->sip.domain,
                                cfg->xmpp.component_domain };

    for (gsize i = 0; i < G_N_ELEMENTS(own); i++)
        if (own[i] != NULL && g_ascii_strcasecmp(own[i], domain) == 0)
            return TRUE;
    return FALSE;
}

/* Where she registers, from the form's registrar and domain (either may
 * be NULL or empty): *registrar her own (normalised; (transfer full)) or
 * NULL for [accounts] registrar, *domain her AOR's (transfer full). FALSE
 * and the condition to answer with, and why: not-allowed (no registrar of
 * her own allowed here, or not that one, or a domain of the operator's
 * with it), bad-request (it does not read as a registrar or a domain). */
static gboolean
choose_registrar(GwAccounts *a, const char *text, const char *domain_text,
                 char **registrar, char **domain, const char **condition,
                 GError **error)
{
    const GwConfig *cfg = a->env->config;
    GwAccountRegistrar r = { 0 }, dflt = { 0 };
    g_autofree char *dom = NULL;
    gboolean is_default = FALSE;

    *condition = "not-allowed";
    if (text != NULL && *text != '\0' &&
        g_ascii_strcasecmp(text, cfg->accounts.registrar) != 0) {
        if (cfg->accounts.allow_custom_registrar == NULL) {
            g_set_error_literal(error, GW_ACCOUNT_ERROR,
                                GW_ACCOUNT_ERROR_INVALID,
                                "this gateway registers every account at its "
                                "own registrar: leave the registrar empty");
            return FALSE;
        }
        if (!gw_account_registrar_parse(text, &r, error)) {
            *condition = "bad-request";
            return FALSE;
        }
        is_default = gw_account_registrar_parse(cfg->accounts.registrar,
                                                &dflt, NULL) &&
                     strcmp(dflt.uri, r.uri) == 0;
        gw_account_registrar_clear(&dflt);
        if (!is_default &&
            !gw_config_allows_registrar(cfg, r.host,
                                        gw_account_registrar_port(&r))) {
            g_autofree char *globs =
                g_strjoinv(", ", cfg->accounts.allow_custom_registrar);
            g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                        "registrar %.64s is not one this gateway may "
                        "register at (allowed: %.200s)", r.uri, globs);
            gw_account_registrar_clear(&r);
            return FALSE;
        }
    }
    if (domain_text != NULL && *domain_text != '\0' &&
        (dom = gw_account_domain_normalize(domain_text, error)) == NULL) {
        *condition = "bad-request";
        gw_account_registrar_clear(&r);
        return FALSE;
    }
    if (r.uri == NULL || is_default) {
        gw_account_registrar_clear(&r);
        if (dom != NULL && g_ascii_strcasecmp(dom, cfg->accounts.domain) != 0) {
            g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                        "%.64s serves domain %.64s only: name your own "
                        "registrar for domain %.64s", cfg->accounts.registrar,
                        cfg->accounts.domain, dom);
            return FALSE;
        }
        *registrar = NULL;
        *domain = g_strdup(cfg->accounts.domain);
        return TRUE;
    }
    if (dom == NULL) /* the registrar's host, an IPv6 one in brackets */
        dom = strchr(r.host, ':') != NULL ? g_strdup_printf("[%s]", r.host)
                                          : g_strdup(r.host);
    if (is_operators_domain(cfg, dom)) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "domain %.64s is this gateway's own: its accounts "
                    "register at %.64s", dom, cfg->accounts.registrar);
        gw_account_registrar_clear(&r);
        return FALSE;
    }
    *registrar = g_steal_pointer(&r.uri);
    *domain = g_steal_pointer(&dom);
    gw_account_registrar_clear(&r);
    return TRUE;
}

static void
reg_set(GwAccounts *a, xmpp_stanza_t *iq, xmpp_stanza_t *q, const char *bare,
        const char *full)
{
    const GwConfig *cfg = a->env->config;
    gboolean bad = FALSE;
    g_autofree char *username = NULL, *password = NULL;
    g_autofree char *registrar_text = NULL, *domain_text = NULL;
    g_autofree char *registrar = NULL, *domain = NULL;
    const char *condition;
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
    registrar_text = form_field(q, "registrar", &bad);
    domain_text = form_field(q, "domain", &bad);
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
    /* nothing is stored, and nothing sent, for a registrar not allowed */
    if (!choose_registrar(a, registrar_text, domain_text, &registrar,
                          &domain, &condition, &error)) {
        g_info("account of %s: registrar refused (%s): %s", bare, condition,
               error->message);
        reply_error(a, iq, condition, error->message);
        goto out;
    }
    acc = store_account(a, bare, username, password, registrar, domain, full,
                        &error);
    if (acc == NULL) {
        reply_gerror(a, iq, error);
        goto out;
    }
    acc_send_text(a, gw_stanza_iq_result(iq));
    if (old == NULL)
        acc_send_presence(a, bare, "subscribe");
    acc_reconsider(a, acc);
    acc_changed(a, bare);
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
    st->registrar = g_strdup(acc_registrar(a, acc));
    st->register_when = acc->always ? "always" : "online";
    if (acc->blocked)
        st->state = g_strdup("refused: this registrar is no longer allowed; "
                             "register again");
    else if (acc->refused)
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
    g_autofree char *username = NULL, *registrar = NULL, *domain = NULL;

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
    registrar = g_strdup(acc->registrar);
    domain = g_strdup(acc->domain);
    now = store_account(a, bare, username, password, registrar, domain, NULL,
                        error);
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
    acc_changed(a, bare);
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

