/* gateway/accounts/account_store.h: the accounts database (issue 17), an
 * embedded SQLite file ([accounts] database), and the key that seals the
 * passwords in it ([accounts] key_file).
 *
 * One row per JID; one JID per address of record (UNIQUE(username,
 * domain)), whatever registrar each names. The schema is versioned (table schema_version) and migrated
 * forward at open, each step in its own transaction. Every write is one
 * transaction; the file is in WAL mode with synchronous=FULL: an account
 * confirmed to its user survives a crash or a power loss (NORMAL would
 * keep the file consistent but could lose the last commits, and account
 * writes are far too rare for the extra fsync to matter). secure_delete
 * overwrites what is deleted. The file and its -wal/-shm are created
 * readable by the owner alone.
 *
 * Calls are synchronous: a local file, a few rows per user action and a
 * full read at start-up; nothing here touches the network. */
#pragma once

#include <glib.h>

#include "account_codec.h"

G_BEGIN_DECLS

/* The schema this build writes. */
#define GW_ACCOUNT_SCHEMA_VERSION 3

typedef struct {
    gint64 id;           /* row id (0 for a new record) */
    char *jid;           /* bare JID, lower case */
    char *username;      /* the AOR's user part, also the digest user */
    char *domain;        /* the AOR's domain */
    char *registrar;     /* her own registrar (normalised URI, [accounts]
                            allow_custom_registrar), or NULL: [accounts]
                            registrar (schema 2) */
    char *contact;       /* the user part of the Contact we register for
                            her: a random token, stable across restarts */
    GwSecretKind kind;
    GBytes *secret;      /* sealed blob, or the HA1 hex */
    char *realm;         /* HA1's realm, or NULL */
    char *register_when; /* "online", "always", or NULL: the config's */
    char *refused;       /* why her registrar refused her ("403
                            Forbidden"), kept until she registers anew or
                            changes her password; NULL: not (schema 3) */
    gint64 created;      /* unix seconds */
} GwAccountRecord;

void gw_account_record_free(GwAccountRecord *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwAccountRecord, gw_account_record_free)

typedef struct GwAccountStore GwAccountStore;

/* Opens (creating it and its directory's file, mode 0600) and migrates
 * the database. NULL and GW_ACCOUNT_ERROR_STORE naming the path, e.g. for
 * a schema newer than this build's. */
GwAccountStore *gw_account_store_open(const char *path, GError **error);
void gw_account_store_close(GwAccountStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwAccountStore, gw_account_store_close)

/* The schema version the file has. */
guint gw_account_store_get_version(GwAccountStore *store);

/* Inserts or replaces the account of rec->jid (rec->id ignored). Fails
 * with _CONFLICT when the AOR belongs to another JID, _FULL when a new
 * row would pass `max_accounts`, _STORE when the write failed (nothing
 * written then). */
gboolean gw_account_store_put(GwAccountStore *store,
                              const GwAccountRecord *rec, guint max_accounts,
                              GError **error);
/* Her account (transfer full), or NULL and _NOT_FOUND / _STORE. */
GwAccountRecord *gw_account_store_get(GwAccountStore *store, const char *jid,
                                      GError **error);
/* Records (or, NULL, forgets) that her registrar refused her account;
 * _NOT_FOUND if she has none. */
gboolean gw_account_store_set_refused(GwAccountStore *store, const char *jid,
                                      const char *refused, GError **error);
/* Deletes her account; _NOT_FOUND if there was none. */
gboolean gw_account_store_delete(GwAccountStore *store, const char *jid,
                                 GError **error);
/* Every account, by id (transfer full, of GwAccountRecord*), or NULL. */
GPtrArray *gw_account_store_list(GwAccountStore *store, GError **error);
guint gw_account_store_count(GwAccountStore *store);

/* Reads the key: exactly 32 bytes, a regular file neither group- nor
 * world-readable (else GW_ACCOUNT_ERROR_KEY naming the path). */
gboolean gw_account_key_load(const char *path,
                             guint8 key[GW_ACCOUNT_KEY_LEN], GError **error);

/* Cryptographically random bytes (nonces, Contact tokens); FALSE when
 * the system has none to give. */
gboolean gw_account_random_bytes(guint8 *buf, gsize len);

G_END_DECLS
