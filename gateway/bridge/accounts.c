/* gateway/bridge/accounts.c: per-user SIP accounts (see accounts.h).
 *
 *   XEP-0077 set (allowed JID, username, password)
 *     -> record (password sealed or HA1) -> database (one transaction)
 *     -> result to her, subscription request from the domain
 *     -> wanted? (always, or she is online) -> start queue (paced)
 *     -> REGISTER sip:registrar  From/To sip:USERNAME@domain
 *                                Contact <sip:acc-TOKEN@gateway>
 *        <- 401 challenge: answered with her credentials (unsealed for
 *           that moment only, or her HA1)
 *        <- 2xx registered; refreshed by the SIP agent
 *        <- refused / given up: one <message> to her, no retry until she
 *           registers again
 *   her last resource gone (online) / <remove/> -> un-REGISTER
 *
 * An account is a compact record: its strings, its sealed secret, the
 * resources she has shown the domain, and a registration record while
 * one is wanted.
 */
#define G_LOG_DOMAIN "gw-accounts"

#include "accounts_private.h"

#include <string.h>

#include "error_map.h"
#include "map.h"
#include "sip_auth.h"
#include "stanza.h"
#include "xmpp_link.h"

static Account *parting_for(GwAccounts *a, const char *uri);

/* ---- records ----------------------------------------------------------- */

static void
account_free(gpointer p)
{
    Account *acc = p;

    if (acc == NULL)
        return;
    g_clear_handle_id(&acc->offline_id, g_source_remove);
    gw_sip_registration_free(acc->reg);
    if (acc->secret != NULL)
        memset(acc->secret, 0, acc->secret_len);
    g_free(acc->secret);
    g_free(acc->jid);
    g_free(acc->username);
    g_free(acc->domain);
    g_free(acc->registrar);
    g_free(acc->contact);
    g_free(acc->realm);
    g_free(acc->reg_realm);
    if (acc->resources != NULL)
        g_hash_table_unref(acc->resources);
    g_free(acc);
}

Account *
acc_account_new(GwAccounts *a, const GwAccountRecord *rec)
{
    Account *acc = g_new0(Account, 1);
    gsize len = 0;
    const guint8 *s = g_bytes_get_data(rec->secret, &len);
    const char *when = rec->register_when ? rec->register_when
                                          : a->env->config->accounts.register_when;

    acc->owner = a;
    acc->jid = g_strdup(rec->jid);
    acc->username = g_strdup(rec->username);
    acc->domain = g_strdup(rec->domain);
    acc->registrar = g_strdup(rec->registrar);
    acc->contact = g_strdup(rec->contact);
    acc->realm = g_strdup(rec->realm);
    acc->kind = (guint8)rec->kind;
    acc->secret = g_malloc0(len + 1);
    if (len > 0)
        memcpy(acc->secret, s, len);
    acc->secret_len = len;
    acc->always = g_strcmp0(when, "always") == 0;
    acc->own_when = rec->register_when != NULL;
    /* refused before a restart: she was told then, and her registrar
     * would say the same now */
    acc->refused = rec->refused != NULL;
    if (rec->registrar != NULL && !acc_registrar_allowed(a, rec->registrar)) {
        /* the operator took it off the list since: nothing goes there */
        acc->blocked = TRUE;
        acc->refused = TRUE;
    }
    return acc;
}

gboolean
acc_registrar_allowed(GwAccounts *a, const char *uri)
{
    GwAccountRegistrar r = { 0 };
    gboolean ok = gw_account_registrar_parse(uri, &r, NULL) &&
                  gw_config_allows_registrar(a->env->config, r.host,
                                             gw_account_registrar_port(&r));

    gw_account_registrar_clear(&r);
    return ok;
}

const char *
acc_registrar(GwAccounts *a, const Account *acc)
{
    return acc->registrar != NULL ? acc->registrar
                                  : a->env->config->accounts.registrar;
}

static char *
aor_key(const char *user, const char *host)
{
    g_autofree char *h = g_ascii_strdown(host, -1);
    return g_strconcat(user, "@", h, NULL);
}

/* Into the tables (by_jid owns it) / out of them (not freed). */
void
acc_index_add(GwAccounts *a, Account *acc)
{
    g_hash_table_insert(a->by_jid, acc->jid, acc);
    g_hash_table_replace(a->by_contact, acc->contact, acc);
    g_hash_table_replace(a->by_aor, aor_key(acc->username, acc->domain), acc);
}

static void
index_steal(GwAccounts *a, Account *acc)
{
    g_autofree char *k = aor_key(acc->username, acc->domain);

    if (g_hash_table_lookup(a->by_contact, acc->contact) == acc)
        g_hash_table_remove(a->by_contact, acc->contact);
    if (g_hash_table_lookup(a->by_aor, k) == acc)
        g_hash_table_remove(a->by_aor, k);
    g_hash_table_steal(a->by_jid, acc->jid);
}

const char *
acc_domain_of(GwAccounts *a)
{
    return a->env->config->xmpp.component_domain;
}

void
acc_send_text(GwAccounts *a, GString *x)
{
    gw_xmpp_link_send_text(a->env->xmpp, x);
}

/* One <message> from the component domain to her bare JID. */
static void
tell_user(GwAccounts *a, const char *bare, const char *text)
{
    g_autofree char *id = gw_stanza_new_id();
    GString *x = gw_stanza_begin("message", "chat", acc_domain_of(a), bare, id);

    g_string_append(x, "<body>");
    gw_xml_append_escaped(x, text);
    g_string_append(x, "</body>");
    gw_stanza_end(x, "message");
    acc_send_text(a, x);
}

void
acc_send_presence(GwAccounts *a, const char *to, const char *type)
{
    acc_send_text(a, gw_stanza_empty("presence", type, acc_domain_of(a), to, NULL));
}

/* A resource of hers available to the domain; the set exists only while
 * she has one (most accounts, offline, have none). */
void
acc_add_resource(Account *acc, const char *full)
{
    if (acc->resources == NULL)
        acc->resources = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
    if (g_hash_table_size(acc->resources) < MAX_RESOURCES)
        g_hash_table_add(acc->resources, g_strdup(full));
}

/* ---- registrations ----------------------------------------------------- */

static gboolean
wanted(GwAccounts *a, Account *acc)
{
    if (acc->leaving || acc->refused || a->stopping || !a->started)
        return FALSE;
    if (acc->always)
        return TRUE;
    if (acc->resources != NULL && g_hash_table_size(acc->resources) > 0)
        return TRUE;
    return a->online != NULL && a->online(a->online_data, acc->jid);
}

static char *
on_authorize(gpointer data, const char *challenge, const char *method,
             const char *uri, GError **error)
{
    Account *acc = data;
    GwAccounts *a = acc->owner;
    g_autofree char *aad = NULL;
    char *password, *answer;
    char cnonce[17];
    guint8 r[8];

    if (!gw_account_random_bytes(r, sizeof r)) {
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                            "no random bytes for a cnonce");
        return NULL;
    }
    for (guint i = 0; i < sizeof r; i++)
        g_snprintf(cnonce + 2 * i, 3, "%02x", r[i]);
    if (strcmp(method, "REGISTER") == 0) {
        /* the realm her registrar asks in: the only one her other
         * requests' challenges are answered for */
        g_autofree char *realm = gw_sip_auth_challenge_realm(challenge);
        g_clear_pointer(&acc->reg_realm, g_free);
        if (realm != NULL && g_ascii_strcasecmp(realm, acc->domain) != 0)
            acc->reg_realm = g_steal_pointer(&realm);
    }
    if (acc->blocked) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "her registrar %.64s is no longer allowed", acc->registrar);
        return NULL;
    }
    if (acc->kind == GW_SECRET_HA1)
        return gw_sip_auth_answer_ha1(challenge, acc->username, acc->realm,
                                      (const char *)acc->secret, method, uri,
                                      cnonce, 1, error);
    if (!a->have_key) {
        g_set_error_literal(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                            "no [accounts] key_file to open the password");
        return NULL;
    }
    aad = gw_account_aad(acc->jid, acc->username, acc->domain,
                         acc->registrar);
    password = gw_account_unseal(a->key, acc->secret, acc->secret_len, aad,
                                 error);
    if (password == NULL)
        return NULL;
    answer = gw_sip_auth_answer(challenge, acc->username, password, method,
                                uri, cnonce, 1, error);
    memset(password, 0, strlen(password));
    g_free(password);
    return answer;
}

/* ---- traffic follows the account ------------------------------------- */

/* The account a request target names: its Contact user (whatever host:
 * the token is ours alone; *by_contact TRUE) or its AOR. */
static Account *
account_for_uri(GwAccounts *a, const char *uri, gboolean *by_contact)
{
    g_autofree char *user = NULL, *host = NULL, *k = NULL;
    Account *acc;

    if (a == NULL || uri == NULL ||
        !gw_account_uri_user_host(uri, &user, &host))
        return NULL;
    if (g_str_has_prefix(user, "acc-") &&
        (acc = g_hash_table_lookup(a->by_contact, user)) != NULL) {
        *by_contact = TRUE;
        return acc;
    }
    k = aor_key(user, host);
    *by_contact = FALSE;
    return g_hash_table_lookup(a->by_aor, k);
}

static MapResult *
account_result(const Account *acc)
{
    MapResult *m = g_new0(MapResult, 1);

    m->jid = g_strdup(acc->jid);
    m->sip_uri = g_strdup_printf("sip:%s@%s", acc->username, acc->domain);
    m->kind = MAP_KIND_XMPP_USER;
    m->rule = g_strdup("account");
    return m;
}

static Account *
account_of_jid(GwAccounts *a, const char *jid)
{
    g_autofree char *bare = map_jid_bare(jid, NULL);

    return bare != NULL ? g_hash_table_lookup(a->by_jid, bare) : NULL;
}

/* While her registrar is not allowed she is not her AOR: what she sends
 * goes as [mapping] names her, if at all. */
static MapResult *
port_jid(gpointer data, const char *jid)
{
    Account *acc = account_of_jid(data, jid);

    return acc != NULL && !acc->blocked ? account_result(acc) : NULL;
}

static char *
port_domain(gpointer data, const char *jid)
{
    Account *acc = account_of_jid(data, jid);

    return acc != NULL && acc->registrar != NULL && !acc->blocked
               ? g_strdup(acc->domain) : NULL;
}

static MapResult *
port_sip(gpointer data, const char *uri)
{
    gboolean contact;
    Account *acc = account_for_uri(data, uri, &contact);

    return acc != NULL ? account_result(acc) : NULL;
}

void
gw_accounts_port(GwAccounts *a, GwAccountsPort *port)
{
    memset(port, 0, sizeof *port);
    if (a == NULL)
        return;
    port->jid = port_jid;
    port->sip = port_sip;
    port->domain = port_domain;
    port->data = a;
}

char *
gw_accounts_sip_authorize(gpointer data, const char *from_uri,
                          const char *challenge, const char *method,
                          const char *uri, gboolean *owned, GError **error)
{
    GwAccounts *a = data;
    gboolean contact = FALSE;
    Account *acc = account_for_uri(a, from_uri, &contact);

    g_autofree char *realm = NULL;
    const char *want;

    if (acc == NULL)
        acc = parting_for(a, from_uri);
    *owned = acc != NULL && !contact;
    if (!*owned)
        return NULL;
    /* her digest goes to her PBX's realm only, not to whoever else on the
     * path challenges (a response is an offline guess at her password) */
    want = acc->reg_realm != NULL ? acc->reg_realm : acc->domain;
    realm = gw_sip_auth_challenge_realm(challenge);
    if (realm == NULL || g_ascii_strcasecmp(realm, want) != 0) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID,
                    "a challenge for realm '%.64s': her credentials answer "
                    "her registrar's realm '%.64s' only",
                    realm ? realm : "", want);
        return NULL;
    }
    return on_authorize(acc, challenge, method, uri, error);
}

const char *
gw_accounts_sip_hop(gpointer data, const char *from)
{
    gboolean contact;
    Account *acc = account_for_uri(data, from, &contact);

    /* her own registrar is where all she sends goes (and only there) */
    return acc != NULL && !contact && acc->registrar != NULL && !acc->blocked
               ? acc->registrar : NULL;
}

GwAccountsTarget
gw_accounts_target(GwAccounts *a, const char *request_uri, const char *to_uri)
{
    gboolean contact = FALSE;

    g_autofree char *user = NULL, *host = NULL;

    if (account_for_uri(a, request_uri, &contact) != NULL ||
        account_for_uri(a, to_uri, &contact) != NULL)
        return contact ? GW_ACCOUNTS_TARGET_CONTACT : GW_ACCOUNTS_TARGET_AOR;
    /* a Contact of ours no account has any more (removed, or a binding
     * left from another database): never the address table's, where
     * acc-... could map to an XMPP user of that name */
    if (a != NULL && request_uri != NULL &&
        gw_account_uri_user_host(request_uri, &user, &host) &&
        g_str_has_prefix(user, "acc-"))
        return GW_ACCOUNTS_TARGET_GONE;
    return GW_ACCOUNTS_TARGET_NONE;
}

/* Is `source` the address `registrar` is written with? (An address, as
 * written: a name would need a lookup here; list it in [security]
 * trusted_sip_sources instead.) */
static gboolean
is_registrar_address(const char *registrar, const char *source)
{
    g_autofree char *host = gw_account_registrar_host(registrar);

    return host != NULL && g_hostname_is_ip_address(host) &&
           g_ascii_strcasecmp(host, source) == 0;
}

GwAccountsSource
gw_accounts_source(GwAccounts *a, const char *source,
                   const char *request_uri, const char *to_uri)
{
    gboolean contact = FALSE;
    Account *acc;

    if (a == NULL || source == NULL)
        return GW_ACCOUNTS_SOURCE_OTHER;
    /* a registrar of her own vouches for her Contact alone, as the
     * Request-URI (where its lookup put it): it is hers, not the
     * operator's, and speaks for nobody else, also not through a To */
    acc = account_for_uri(a, request_uri, &contact);
    if (acc != NULL && acc->registrar != NULL)
        return contact && !acc->blocked &&
                       is_registrar_address(acc->registrar, source)
                   ? GW_ACCOUNTS_SOURCE_HER_REGISTRAR
                   : GW_ACCOUNTS_SOURCE_OTHER;
    if (acc == NULL)
        acc = account_for_uri(a, to_uri, &contact);
    if (acc != NULL && acc->registrar != NULL)
        return GW_ACCOUNTS_SOURCE_OTHER;
    /* the operator's registrar, for its accounts (and for a Contact
     * nobody has any more: 404) */
    return is_registrar_address(a->env->config->accounts.registrar, source)
               ? GW_ACCOUNTS_SOURCE_REGISTRAR
               : GW_ACCOUNTS_SOURCE_OTHER;
}

static gboolean
free_doomed(gpointer data)
{
    GwAccounts *a = data;

    a->free_id = 0;
    g_ptr_array_set_size(a->doomed, 0);
    return G_SOURCE_REMOVE;
}

/* Not inside the callback that reports its last event: on the next idle. */
static void
doom(GwAccounts *a, Account *acc)
{
    g_hash_table_steal(a->leaving, acc);
    g_ptr_array_add(a->doomed, acc);
    if (a->free_id == 0)
        a->free_id = g_idle_add(free_doomed, a);
}


/* A refusal is kept with her account, so that a restart neither asks her
 * registrar again nor tells her again; registering anew or a new
 * password forgets it. Giving up after failures is not kept: those are
 * the network's, and a restart may well get through. */
static void
remember_refusal(GwAccounts *a, Account *acc, int status, const char *phrase)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *why = g_strdup_printf("%d %.100s", status, phrase);

    if (!gw_account_store_set_refused(a->store, acc->jid, why, &error))
        g_warning("account of %s: refusal not stored: %s", acc->jid,
                  error->message);
}

static void
on_reg_event(gpointer data, GwSipRegEvent ev, int status, const char *phrase,
             guint seconds)
{
    Account *acc = data;
    GwAccounts *a = acc->owner;
    const char *registrar = acc_registrar(a, acc);
    g_autofree char *text = NULL;

    switch (ev) {
    case GW_SIP_REG_REGISTERED:
        g_info("account of %s: sip:%s@%s registered at %s for %u s",
               acc->jid, acc->username, acc->domain, registrar, seconds);
        if (!wanted(a, acc)) /* she left meanwhile */
            acc_reconsider(a, acc);
        break;
    case GW_SIP_REG_FAILED:
        g_info("account of %s: REGISTER of sip:%s@%s failed (%d %s), again "
               "in %u s", acc->jid, acc->username, acc->domain, status,
               phrase, seconds);
        break;
    case GW_SIP_REG_REFUSED:
    case GW_SIP_REG_GAVE_UP:
        acc->refused = TRUE;
        g_message("account of %s: registration of sip:%s@%s %s: %d %s",
                  acc->jid, acc->username, acc->domain,
                  ev == GW_SIP_REG_REFUSED ? "refused" : "given up", status,
                  phrase);
        text = ev == GW_SIP_REG_REFUSED
            ? g_strdup_printf(
                  "Your SIP account sip:%s@%s was refused by %s: %d %s. "
                  "%s and register again.",
                  acc->username, acc->domain, registrar, status, phrase,
                  status == 404 || status == 484 || status == 604
                      ? "The registrar does not know this user name: check it"
                      : "Check the username and password")
            : g_strdup_printf(
                  "Your SIP account sip:%s@%s could not be registered at %s "
                  "(%d %s, %u tries). Register again to retry.",
                  acc->username, acc->domain, registrar, status, phrase,
                  a->env->config->accounts.max_failures);
        tell_user(a, acc->jid, text);
        if (ev == GW_SIP_REG_REFUSED && !acc->leaving)
            remember_refusal(a, acc, status, phrase);
        break;
    case GW_SIP_REG_UNREGISTERED:
        g_info("account of %s: sip:%s@%s unregistered (%d %s)", acc->jid,
               acc->username, acc->domain, status, phrase);
        if (acc->stop_unreg && a->unregistering > 0) {
            acc->stop_unreg = FALSE;
            a->unregistering--;
        }
        if (acc->leaving)
            doom(a, acc);
        else
            acc_reconsider(a, acc);
        break;
    }
}

static const GwSipRegistrationFuncs reg_funcs = { on_reg_event, on_authorize };

static void
begin(GwAccounts *a, Account *acc)
{
    const GwConfig *cfg = a->env->config;

    if (acc->reg == NULL) {
        g_autofree char *aor = g_strdup_printf("sip:%s@%s", acc->username,
                                               acc->domain);
        GwSipRegistrationParams p = {
            .registrar = acc_registrar(a, acc),
            .aor = aor,
            .contact_user = acc->contact,
            .expires = cfg->accounts.register_expires,
            .max_failures = cfg->accounts.max_failures,
            .retry_min_s = RETRY_MIN_S,
            .retry_max_s = RETRY_MAX_S,
            /* her own registrar is her outbound proxy too */
            .direct = acc->registrar != NULL,
        };
        acc->reg = gw_sip_ua_registration_new(a->env->sip, &p, &reg_funcs,
                                              acc);
    }
    gw_sip_registration_start(acc->reg);
}

/* Starts up to a tick's share of the queue; how many it started. */
static guint
drain(GwAccounts *a)
{
    double rate = a->env->config->accounts.register_rate;
    guint n = rate >= 10 ? (guint)(rate / 10 + 0.5) : 1, started = 0;
    Account *acc;

    while (started < n && (acc = g_queue_pop_head(&a->queue)) != NULL) {
        acc->queued = FALSE;
        if (a->stopping) {
            /* only an un-REGISTER that goes out counts against the pace */
            if (acc->reg != NULL && gw_sip_registration_is_active(acc->reg) &&
                gw_sip_registration_stop(acc->reg)) {
                acc->stop_unreg = TRUE;
                a->unregistering++;
                started++;
            }
            continue;
        }
        if (wanted(a, acc) &&
            (acc->reg == NULL || !gw_sip_registration_is_active(acc->reg))) {
            begin(a, acc);
            started++;
        }
    }
    return started;
}

/* The timer runs while the queue has some, and one tick after the last
 * start: what is queued right after a start waits its turn too. */
static gboolean
pace_tick(gpointer data)
{
    GwAccounts *a = data;

    if (drain(a) > 0 || !g_queue_is_empty(&a->queue))
        return G_SOURCE_CONTINUE;
    a->pace_id = 0;
    return G_SOURCE_REMOVE;
}

/* Queued for a paced start: at once when the pace allows, else behind the
 * others (rate >= 10: a tenth of it each 100 ms; slower: one per 1/rate). */
static void
enqueue(GwAccounts *a, Account *acc)
{
    double rate = a->env->config->accounts.register_rate;

    if (acc->queued)
        return;
    acc->queued = TRUE;
    g_queue_push_tail(&a->queue, acc);
    if (a->pace_id == 0) {
        drain(a);
        a->pace_id = g_timeout_add(rate >= 10 ? 100 : (guint)(1000 / rate),
                                   pace_tick, a);
    }
}

static void
dequeue(GwAccounts *a, Account *acc)
{
    if (acc->queued) {
        g_queue_remove(&a->queue, acc);
        acc->queued = FALSE;
    }
}

/* Her grace is over and she is still away: un-REGISTER. */
static gboolean
offline_over(gpointer data)
{
    Account *acc = data;
    GwAccounts *a = acc->owner;

    acc->offline_id = 0;
    if (!a->stopping && !wanted(a, acc) && acc->reg != NULL &&
        gw_sip_registration_is_active(acc->reg)) {
        g_debug("account %s: offline for %u s: un-REGISTER", acc->jid,
                a->env->config->accounts.offline_grace_s);
        gw_sip_registration_stop(acc->reg);
    }
    return G_SOURCE_REMOVE;
}

/* Registers or un-REGISTERs as her account is wanted or not. While
 * stopping, the paced stop alone un-REGISTERs. When she merely went
 * offline (register_when = online), the un-REGISTER waits [accounts]
 * offline_grace_s: a client that reconnects (a desktop client after a
 * network change, a phone between networks) keeps her registration
 * instead of an un-REGISTER and a REGISTER at the PBX each time. A
 * removed, refused or blocked account goes at once. */
void
acc_reconsider(GwAccounts *a, Account *acc)
{
    guint grace = a->env->config->accounts.offline_grace_s;

    if (a->stopping)
        return;
    if (wanted(a, acc)) {
        g_clear_handle_id(&acc->offline_id, g_source_remove);
        if (acc->reg == NULL || !gw_sip_registration_is_active(acc->reg))
            enqueue(a, acc);
        return;
    }
    dequeue(a, acc);
    if (acc->reg == NULL || !gw_sip_registration_is_active(acc->reg))
        return;
    if (grace > 0 && a->started && !acc->leaving && !acc->refused &&
        !acc->blocked) {
        if (acc->offline_id == 0)
            acc->offline_id = g_timeout_add_seconds(grace, offline_over, acc);
        return;
    }
    g_clear_handle_id(&acc->offline_id, g_source_remove);
    gw_sip_registration_stop(acc->reg);
}

/* ---- a removed AOR's parting --------------------------------------- */

/* What was sent as her old AOR ends after her account: an un-SUBSCRIBE of
 * her own dialogs, the removal of her publication (presence bridge), and
 * a transaction that was in flight. Their challenges are hers; without
 * her credentials a 401/407 would go unanswered (her publication would
 * stay until it expired) or, worse, the gateway's own [sip] credentials
 * would answer for her AOR. So a copy of them answers the challenges to
 * requests From that AOR (whatever the method: a message in flight too)
 * for as long as a request and its answered repeat may take (twice [sip]
 * transaction_timeout_ms, timer F); nothing new is sent as that AOR,
 * since the port no longer names it. */
typedef struct {
    GwAccounts *owner;
    char *key;
    Account *acc; /* a copy: names, realm, secret; no registration */
    guint timer_id;
} Parting;

static void
parting_free(gpointer p)
{
    Parting *pt = p;

    g_clear_handle_id(&pt->timer_id, g_source_remove);
    account_free(pt->acc);
    g_free(pt->key);
    g_free(pt);
}

static gboolean
parting_over(gpointer data)
{
    Parting *pt = data;

    pt->timer_id = 0;
    g_hash_table_remove(pt->owner->parting, pt->key); /* frees pt */
    return G_SOURCE_REMOVE;
}

static void
part(GwAccounts *a, const Account *acc)
{
    Parting *pt = g_new0(Parting, 1);
    Account *c = g_new0(Account, 1);

    c->owner = a;
    c->jid = g_strdup(acc->jid);
    c->username = g_strdup(acc->username);
    c->domain = g_strdup(acc->domain);
    c->registrar = g_strdup(acc->registrar);
    c->contact = g_strdup(acc->contact);
    c->realm = g_strdup(acc->realm);
    c->reg_realm = g_strdup(acc->reg_realm);
    c->secret = g_malloc0(acc->secret_len + 1);
    memcpy(c->secret, acc->secret, acc->secret_len);
    c->secret_len = acc->secret_len;
    c->kind = acc->kind;
    c->blocked = acc->blocked;
    c->leaving = TRUE;
    pt->owner = a;
    pt->key = aor_key(acc->username, acc->domain);
    pt->acc = c;
    pt->timer_id = g_timeout_add_seconds(
        2 * a->env->config->sip.transaction_timeout_ms / 1000 + 1, parting_over,
        pt);
    g_hash_table_replace(a->parting, pt->key, pt);
}

/* The parting copy for a request From `uri`, or NULL. */
static Account *
parting_for(GwAccounts *a, const char *uri)
{
    g_autofree char *user = NULL, *host = NULL, *k = NULL;
    Parting *pt;

    if (a == NULL || uri == NULL ||
        !gw_account_uri_user_host(uri, &user, &host))
        return NULL;
    k = aor_key(user, host);
    pt = g_hash_table_lookup(a->parting, k);
    return pt != NULL ? pt->acc : NULL;
}

void
gw_accounts_set_changed(GwAccounts *a, GwAccountChangedFunc changed,
                        gpointer data)
{
    if (a == NULL)
        return;
    a->changed = changed;
    a->changed_data = data;
}

void
acc_changed(GwAccounts *a, const char *bare)
{
    if (a->changed != NULL && !a->stopping)
        a->changed(a->changed_data, bare);
}

/* Out of the table. Its binding (if any) is taken back first unless
 * `hand_over` (the same AOR registers anew at once: an un-REGISTER
 * racing the new REGISTER of the same Contact could remove it). */
void
acc_retire(GwAccounts *a, Account *acc, gboolean hand_over)
{
    index_steal(a, acc);
    dequeue(a, acc);
    acc->leaving = TRUE;
    if (hand_over) /* not one more event from it */
        g_clear_pointer(&acc->reg, gw_sip_registration_free);
    else
        part(a, acc);
    if (!hand_over && acc->reg != NULL &&
        gw_sip_registration_stop(acc->reg)) {
        g_hash_table_add(a->leaving, acc); /* until UNREGISTERED */
        return;
    }
    g_ptr_array_add(a->doomed, acc);
    if (a->free_id == 0)
        a->free_id = g_idle_add(free_doomed, a);
}

/* ---- presence ---------------------------------------------------------- */

void
gw_accounts_presence(GwAccounts *a, xmpp_stanza_t *p)
{
    const char *type = xmpp_stanza_get_type(p);
    const char *from = xmpp_stanza_get_from(p);
    g_autofree char *bare = NULL;
    Account *acc;

    if (a == NULL || from == NULL || (bare = map_jid_bare(from, NULL)) == NULL)
        return;
    acc = g_hash_table_lookup(a->by_jid, bare);
    if (type != NULL && strcmp(type, "subscribe") == 0) {
        /* the gateway is a contact of those who may have an account */
        if (acc != NULL || gw_config_allows_account(a->env->config, bare)) {
            acc_send_presence(a, bare, "subscribed");
            acc_send_presence(a, bare, NULL);
        } else {
            acc_send_presence(a, bare, "unsubscribed");
        }
        return;
    }
    if (acc == NULL || acc->always)
        return;
    if (type == NULL) {
        acc_add_resource(acc, from);
    } else if (strcmp(type, "unavailable") == 0 || strcmp(type, "error") == 0) {
        /* from her bare JID it says nothing of her resources: it is how
         * her server answers a probe or a subscription request while she
         * has not approved us yet (RFC 6121 4.3.2) */
        if (strchr(from, '/') == NULL || acc->resources == NULL)
            return;
        g_hash_table_remove(acc->resources, from);
        if (g_hash_table_size(acc->resources) == 0)
            g_clear_pointer(&acc->resources, g_hash_table_unref);
    } else {
        return; /* subscribed, unsubscribe ...: her server's business */
    }
    if (a->grace_id == 0)
        acc_reconsider(a, acc);
}

void
gw_accounts_user_changed(GwAccounts *a, const char *bare)
{
    Account *acc;

    if (a == NULL || a->grace_id != 0 ||
        (acc = g_hash_table_lookup(a->by_jid, bare)) == NULL)
        return;
    acc_reconsider(a, acc);
}

static gboolean
grace_over(gpointer data)
{
    GwAccounts *a = data;
    GHashTableIter it;
    gpointer v;

    a->grace_id = 0;
    g_hash_table_iter_init(&it, a->by_jid);
    while (g_hash_table_iter_next(&it, NULL, &v))
        acc_reconsider(a, v);
    return G_SOURCE_REMOVE;
}

void
gw_accounts_link_up(GwAccounts *a)
{
    GHashTableIter it;
    gpointer v;

    if (a == NULL || a->stopping)
        return;
    /* what she showed before the outage is forgotten; her server answers
     * the probes with what is true now, for those who approved us */
    g_hash_table_iter_init(&it, a->by_jid);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Account *acc = v;
        if (acc->blocked && !acc->told) {
            g_autofree char *text = g_strdup_printf(
                "Your SIP account sip:%s@%s is not registered: this gateway "
                "no longer allows its registrar %s. Register again.",
                acc->username, acc->domain, acc->registrar);
            acc->told = TRUE;
            tell_user(a, acc->jid, text);
        }
        if (acc->always)
            continue;
        g_clear_pointer(&acc->resources, g_hash_table_unref);
        acc_send_presence(a, acc->jid, "probe");
    }
    g_clear_handle_id(&a->grace_id, g_source_remove);
    a->grace_id = g_timeout_add(PROBE_GRACE_MS, grace_over, a);
}

/* ---- life ---------------------------------------------------------------- */

GwAccounts *
gw_accounts_new(GwBridgeEnv *env, GwOnlineFunc online, gpointer online_data,
                GError **error)
{
    const GwConfig *cfg = env->config;
    GwAccounts *a = g_new0(GwAccounts, 1);
    g_autoptr(GPtrArray) all = NULL;
    guint sealed = 0;

    a->env = env;
    a->online = online;
    a->online_data = online_data;
    a->by_jid = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                      account_free);
    a->by_contact = g_hash_table_new(g_str_hash, g_str_equal);
    a->by_aor = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    a->leaving = g_hash_table_new_full(g_direct_hash, g_direct_equal,
                                       account_free, NULL);
    a->doomed = g_ptr_array_new_with_free_func(account_free);
    a->parting =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, parting_free);
    g_queue_init(&a->queue);
    if (cfg->accounts.key_file != NULL) {
        if (!gw_account_key_load(cfg->accounts.key_file, a->key, error)) {
            gw_accounts_free(a);
            return NULL;
        }
        a->have_key = TRUE;
    }
    a->store = gw_account_store_open(cfg->accounts.database, error);
    if (a->store == NULL ||
        (all = gw_account_store_list(a->store, error)) == NULL) {
        gw_accounts_free(a);
        return NULL;
    }
    for (guint i = 0; i < all->len; i++) {
        GwAccountRecord *rec = g_ptr_array_index(all, i);
        Account *acc = acc_account_new(a, rec);
        sealed += acc->kind == GW_SECRET_SEALED;
        if (acc->blocked)
            g_warning("account of %s: sip:%s@%s is not registered: "
                      "[accounts] allow_custom_registrar no longer allows "
                      "its registrar %s", acc->jid, acc->username,
                      acc->domain, acc->registrar);
        acc_index_add(a, acc);
    }
    if (sealed > 0 && !a->have_key)
        g_warning("%u accounts keep a sealed password but no [accounts] "
                  "key_file is set: they cannot answer challenges", sealed);
    g_message("accounts: %u in %s, registered at %s (%s)",
              g_hash_table_size(a->by_jid), cfg->accounts.database,
              cfg->accounts.registrar, cfg->accounts.register_when);
    return a;
}

void
gw_accounts_start(GwAccounts *a)
{
    GHashTableIter it;
    gpointer v;

    if (a == NULL)
        return;
    a->started = TRUE;
    g_hash_table_iter_init(&it, a->by_jid);
    while (g_hash_table_iter_next(&it, NULL, &v))
        acc_reconsider(a, v);
}

void
gw_accounts_shutdown(GwAccounts *a)
{
    GHashTableIter it;
    gpointer v;

    if (a == NULL)
        return;
    /* the starts waiting for their turn never come; the un-REGISTERs take
     * their place, at the same pace, so that a stop with thousands of
     * accounts does not flood the registrars either */
    g_clear_handle_id(&a->pace_id, g_source_remove);
    g_clear_handle_id(&a->grace_id, g_source_remove);
    for (GList *l = a->queue.head; l != NULL; l = l->next)
        ((Account *)l->data)->queued = FALSE;
    g_queue_clear(&a->queue);
    a->stopping = TRUE;
    a->stop_deadline = g_get_monotonic_time() +
                       STOP_UNREGISTER_MS * (gint64)1000;
    g_hash_table_iter_init(&it, a->by_jid);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        Account *acc = v;
        if (acc->reg != NULL && gw_sip_registration_is_active(acc->reg))
            enqueue(a, acc);
    }
}

gboolean
gw_accounts_stopped(GwAccounts *a)
{
    guint left;

    if (a == NULL || !a->stopping ||
        (g_queue_is_empty(&a->queue) && a->unregistering == 0))
        return TRUE;
    if (g_get_monotonic_time() < a->stop_deadline)
        return FALSE;
    /* out of time: the rest keep their bindings until they expire (a
     * restart replaces them: the Contact is the same) */
    left = g_queue_get_length(&a->queue);
    g_warning("stop: %u accounts not un-REGISTERed and %u un-REGISTERs "
              "unanswered after %d s; their bindings expire at the "
              "registrar", left, a->unregistering, STOP_UNREGISTER_MS / 1000);
    for (GList *l = a->queue.head; l != NULL; l = l->next)
        ((Account *)l->data)->queued = FALSE;
    g_queue_clear(&a->queue);
    g_clear_handle_id(&a->pace_id, g_source_remove);
    a->unregistering = 0;
    return TRUE;
}

void
gw_accounts_free(GwAccounts *a)
{
    if (a == NULL)
        return;
    g_clear_handle_id(&a->pace_id, g_source_remove);
    g_clear_handle_id(&a->grace_id, g_source_remove);
    g_clear_handle_id(&a->free_id, g_source_remove);
    g_queue_clear(&a->queue);
    g_hash_table_destroy(a->by_contact);
    g_hash_table_destroy(a->by_aor);
    g_hash_table_destroy(a->by_jid);
    g_hash_table_destroy(a->leaving);
    g_ptr_array_unref(a->doomed);
    g_hash_table_destroy(a->parting);
    gw_account_store_close(a->store);
    memset(a->key, 0, sizeof a->key);
    g_free(a);
}

gboolean
gw_accounts_enabled(const GwAccounts *a)
{
    return a != NULL;
}

void
gw_accounts_get_stats(const GwAccounts *a, GwAccountsStats *s)
{
    GHashTableIter it;
    gpointer v;

    memset(s, 0, sizeof *s);
    if (a == NULL)
        return;
    s->accounts = g_hash_table_size(a->by_jid);
    s->queued = g_queue_get_length((GQueue *)&a->queue);
    g_hash_table_iter_init(&it, a->by_jid);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        const Account *acc = v;
        s->registered += acc->reg != NULL &&
                         gw_sip_registration_is_registered(acc->reg);
        s->refused += acc->refused;
    }
}
