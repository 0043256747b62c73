/* gateway/bridge/accounts_private.h: private to accounts.c (records,
 * registrations, traffic, presence, life) and accounts_iq.c (XEP-0077 and
 * her own ad-hoc commands). */
#ifndef GW_ACCOUNTS_PRIVATE_H
#define GW_ACCOUNTS_PRIVATE_H

#include "accounts.h"

#include "account_codec.h"
#include "account_store.h"

#define NS_DATA "jabber:x:data"
/* longest text of a field she may send: larger is not-acceptable before
 * anything else is looked at */
#define MAX_FIELD_BYTES 1024
#define MAX_RESOURCES 32
#define PROBE_GRACE_MS 5000
#define RETRY_MIN_S 30
#define RETRY_MAX_S 3600
/* how long the stop may pace un-REGISTERs (systemd's TimeoutStopSec=15
 * must still cover the XMPP link and the SIP agent after it) */
#define STOP_UNREGISTER_MS 8000

typedef struct {
    GwAccounts *owner;
    char *jid;      /* bare, canonical: the table's key */
    char *username;
    char *domain;
    char *registrar; /* her own ([accounts] allow_custom_registrar), or
                        NULL: [accounts] registrar */
    char *contact;  /* user part of our Contact */
    char *realm;    /* HA1's realm, or NULL */
    char *reg_realm; /* her registrar's realm when not her domain, or NULL */
    guint8 *secret; /* sealed blob or HA1 hex, NUL after it; zeroed */
    gsize secret_len;
    GwSipRegistration *reg; /* from the first time it is wanted */
    GHashTable *resources;  /* her full JIDs shown available to the domain */
    guint offline_id;       /* her un-REGISTER waits [accounts]
                               offline_grace_s: she may be back */
    guint8 kind;            /* GwSecretKind */
    gboolean always : 1;    /* register_when = always */
    gboolean own_when : 1;  /* she chose register_when (else the config's) */
    gboolean queued : 1;    /* in the start queue */
    gboolean refused : 1;   /* refused or given up: until she registers anew */
    gboolean leaving : 1;   /* removed: goes when its un-REGISTER is answered */
    gboolean blocked : 1;   /* her registrar is no longer allowed: never
                               registered, nothing sent as her */
    gboolean told : 1;      /* told so, once a process */
    gboolean stop_unreg : 1; /* un-REGISTERed by the paced stop */
} Account;

struct GwAccounts {
    GwBridgeEnv *env;
    GwOnlineFunc online;
    gpointer online_data;
    GwAccountStore *store;
    guint8 key[GW_ACCOUNT_KEY_LEN];
    gboolean have_key;
    GHashTable *by_jid;  /* jid -> Account* (owned) */
    GHashTable *by_contact; /* Contact user part -> Account* (by_jid's) */
    GHashTable *by_aor;  /* "username@domain" (owned key) -> Account* */
    GHashTable *leaving; /* Account* (owned): un-REGISTER in flight */
    GQueue queue;        /* Account*: waiting for their paced start, or
                            (stopping) their paced un-REGISTER */
    guint pace_id;
    guint grace_id;
    guint free_id;
    GPtrArray *doomed;   /* Account*: freed on the next idle */
    GHashTable *parting; /* "username@domain" -> Parting*: a removed AOR's
                            credentials, for a while (owned) */
    GwAccountChangedFunc changed; /* her AOR came, changed or went */
    gpointer changed_data;
    gboolean started;
    gboolean stopping;
    gint64 stop_deadline;  /* monotonic: the paced stop ends */
    guint unregistering;   /* the stop's un-REGISTERs awaiting answers */
};

/* accounts.c, for accounts_iq.c: a record into an Account, the indexes,
 * the registration decision, and what goes to her */
Account *acc_account_new(GwAccounts *a, const GwAccountRecord *rec);
/* Her registrar: her own, else [accounts] registrar (borrowed). */
const char *acc_registrar(GwAccounts *a, const Account *acc);
/* Does [accounts] allow_custom_registrar allow registrar `uri` now? */
gboolean acc_registrar_allowed(GwAccounts *a, const char *uri);
void acc_add_resource(Account *acc, const char *full);
const char *acc_domain_of(GwAccounts *a);
void acc_index_add(GwAccounts *a, Account *acc);
void acc_reconsider(GwAccounts *a, Account *acc);
void acc_retire(GwAccounts *a, Account *acc, gboolean hand_over);
/* Her account was made, replaced or removed: the port's listener is told
 * (what she sends as her AOR follows it). */
void acc_changed(GwAccounts *a, const char *bare);
void acc_send_presence(GwAccounts *a, const char *to, const char *type);
void acc_send_text(GwAccounts *a, GString *x);

#endif
