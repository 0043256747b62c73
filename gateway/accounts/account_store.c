/* gateway/accounts/account_store.c: the accounts database on SQLite (see
 * account_store.h for the durability choices) and the key file. */
#define G_LOG_DOMAIN "gw-accounts"

#include "account_store.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <sqlite3.h>

struct GwAccountStore {
    sqlite3 *db;
    char *path;
};

/* Migrations: step i takes the schema from version i to i + 1. Append,
 * never edit a released step. */
static const char *const migrations[] = {
    /* 0 -> 1: the accounts */
    "CREATE TABLE accounts ("
    "  id INTEGER PRIMARY KEY,"
    "  jid TEXT NOT NULL UNIQUE,"
    "  username TEXT NOT NULL,"
    "  domain TEXT NOT NULL,"
    "  contact TEXT NOT NULL UNIQUE,"
    "  secret_kind INTEGER NOT NULL,"
    "  secret BLOB NOT NULL,"
    "  realm TEXT,"
    "  register_when TEXT,"
    "  created INTEGER NOT NULL,"
    "  UNIQUE (username, domain));",
    /* 1 -> 2: a registrar of her own ([accounts] allow_custom_registrar);
     * NULL, as every account had before, is [accounts] registrar. Her
     * domain was kept per row already. */
    "ALTER TABLE accounts ADD COLUMN registrar TEXT;",
    /* 2 -> 3: a refusal survives a restart (she is told once, not at
     * every start) */
    "ALTER TABLE accounts ADD COLUMN refused TEXT;",
};

void
gw_account_record_free(GwAccountRecord *rec)
{
    if (rec == NULL)
        return;
    g_free(rec->jid);
    g_free(rec->username);
    g_free(rec->domain);
    g_free(rec->registrar);
    g_free(rec->contact);
    g_free(rec->realm);
    g_free(rec->register_when);
    g_free(rec->refused);
    if (rec->secret != NULL)
        g_bytes_unref(rec->secret);
    g_free(rec);
}

static gboolean
fail(GwAccountStore *s, GError **error, const char *what)
{
    g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_STORE,
                "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
    return FALSE;
}

static gboolean
exec(GwAccountStore *s, const char *sql, GError **error)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, error, sql);
    return TRUE;
}

static gint64
query_int(GwAccountStore *s, const char *sql, const char *text,
          const char *text2, gint64 dflt)
{
    sqlite3_stmt *st = NULL;
    gint64 v = dflt;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return dflt;
    if (text != NULL)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
    if (text2 != NULL)
        sqlite3_bind_text(st, 2, text2, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

guint
gw_account_store_get_version(GwAccountStore *s)
{
    return (guint)query_int(s, "SELECT version FROM schema_version", NULL, NULL, 0);
}

static gboolean
migrate(GwAccountStore *s, GError **error)
{
    guint v;

    if (!exec(s, "CREATE TABLE IF NOT EXISTS schema_version "
                 "(version INTEGER NOT NULL)", error))
        return FALSE;
    if (query_int(s, "SELECT count(*) FROM schema_version", NULL, NULL, 0) == 0 &&
        !exec(s, "INSERT INTO schema_version VALUES (0)", error))
        return FALSE;
    v = gw_account_store_get_version(s);
    if (v > G_N_ELEMENTS(migrations)) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_STORE,
                    "%s: schema version %u is newer than this gateway's %u",
                    s->path, v, (guint)G_N_ELEMENTS(migrations));
        return FALSE;
    }
    for (; v < G_N_ELEMENTS(migrations); v++) {
        g_autofree char *bump =
            g_strdup_printf("UPDATE schema_version SET version = %u", v + 1);
        if (!exec(s, "BEGIN IMMEDIATE", error))
            return FALSE;
        if (!exec(s, migrations[v], error) || !exec(s, bump, error) ||
            !exec(s, "COMMIT", error)) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return FALSE;
        }
        g_message("accounts database %s: schema version %u", s->path, v + 1);
    }
    return TRUE;
}

/* SQLite's memory, zeroed when taken and when given back. Without it a
 * page written to the file may carry, in its unused part, whatever the
 * heap held before: test_accounts.py 17.3 once found the word "secret" in
 * the WAL (from the component secret, or the password of an iq freed by
 * libstrophe; it does not reproduce at will), and a password from an iq
 * could land there the same way. */
static void *
zero_malloc(int n)
{
    sqlite3_int64 *p = calloc(1, (size_t)n + sizeof *p);

    if (p == NULL)
        return NULL;
    p[0] = n;
    return p + 1;
}

static void
zero_free(void *v)
{
    sqlite3_int64 *p = v;

    if (p == NULL)
        return;
    p--;
    explicit_bzero(p, (size_t)p[0] + sizeof *p);
    free(p);
}

static int
zero_size(void *v)
{
    return v != NULL ? (int)((sqlite3_int64 *)v)[-1] : 0;
}

static void *
zero_realloc(void *v, int n)
{
    void *q = zero_malloc(n);

    if (q != NULL && v != NULL)
        memcpy(q, v, (size_t)MIN(n, zero_size(v)));
    if (q != NULL)
        zero_free(v);
    return q;
}

static int
zero_roundup(int n)
{
    return (n + 7) & ~7;
}

static int
zero_init(void *data)
{
    return SQLITE_OK;
}

static void
zero_shutdown(void *data)
{
}

static const sqlite3_mem_methods zero_mem = {
    zero_malloc, zero_free, zero_realloc, zero_size, zero_roundup,
    zero_init, zero_shutdown, NULL,
};

static gpointer
configure_sqlite(gpointer data)
{
    /* before SQLite's first use in the process, or it is refused */
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &zero_mem) != SQLITE_OK)
        g_warning("SQLite was used before its memory could be set up: "
                  "its pages may carry stale heap bytes");
    return NULL;
}

GwAccountStore *
gw_account_store_open(const char *path, GError **error)
{
    static GOnce once = G_ONCE_INIT;
    g_autoptr(GwAccountStore) s = g_new0(GwAccountStore, 1);
    int fd;

    g_return_val_if_fail(path != NULL, NULL);
    g_once(&once, configure_sqlite, NULL);
    s->path = g_strdup(path);
    /* created by us, owner-only: SQLite gives -wal and -shm the same mode */
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_STORE,
                    "%s: %s", path, g_strerror(e));
        return NULL;
    }
    close(fd);
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) !=
        SQLITE_OK) {
        fail(s, error, "open");
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 2000);
    if (!exec(s, "PRAGMA journal_mode = WAL", error) ||
        !exec(s, "PRAGMA synchronous = FULL", error) ||
        !exec(s, "PRAGMA secure_delete = ON", error) ||
        !exec(s, "PRAGMA foreign_keys = ON", error) || !migrate(s, error))
        return NULL;
    return g_steal_pointer(&s);
}

void
gw_account_store_close(GwAccountStore *s)
{
    if (s == NULL)
        return;
    if (s->db != NULL)
        sqlite3_close_v2(s->db);
    g_free(s->path);
    g_free(s);
}

guint
gw_account_store_count(GwAccountStore *s)
{
    return (guint)query_int(s, "SELECT count(*) FROM accounts", NULL, NULL, 0);
}

gboolean
gw_account_store_put(GwAccountStore *s, const GwAccountRecord *rec,
                     guint max_accounts, GError **error)
{
    static const char sql[] =
        "INSERT INTO accounts (jid, username, domain, contact, secret_kind,"
        " secret, realm, register_when, created, registrar, refused)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        " ON CONFLICT (jid) DO UPDATE SET username = ?2, domain = ?3,"
        " secret_kind = ?5, secret = ?6, realm = ?7, register_when = ?8,"
        " registrar = ?10, refused = ?11";
    sqlite3_stmt *st = NULL;
    gint64 owner;
    gsize len = 0;
    gconstpointer secret = g_bytes_get_data(rec->secret, &len);
    int rc;

    if (!exec(s, "BEGIN IMMEDIATE", error))
        return FALSE;
    owner = query_int(s, "SELECT id FROM accounts WHERE jid = ?1",
                      rec->jid, NULL, 0);
    {
        gint64 holder = query_int(
            s, "SELECT id FROM accounts WHERE username = ?1 AND domain = ?2",
            rec->username, rec->domain, 0);
        if (holder != 0 && holder != owner) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_CONFLICT,
                        "sip:%.64s@%.64s is registered by another user",
                        rec->username, rec->domain);
            return FALSE;
        }
    }
    if (owner == 0 && gw_account_store_count(s) >= max_accounts) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_FULL,
                    "the gateway holds its maximum of %u accounts",
                    max_accounts);
        return FALSE;
    }
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "prepare");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    sqlite3_bind_text(st, 1, rec->jid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rec->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rec->domain, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->contact, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, (int)rec->kind);
    sqlite3_bind_blob(st, 6, secret, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, rec->realm, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, rec->register_when, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, rec->created);
    sqlite3_bind_text(st, 10, rec->registrar, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, rec->refused, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fail(s, error, "write");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    if (!exec(s, "COMMIT", error)) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return FALSE;
    }
    return TRUE;
}

static char *
column_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? g_strdup((const char *)t) : NULL;
}

static GwAccountRecord *
read_row(sqlite3_stmt *st)
{
    GwAccountRecord *r = g_new0(GwAccountRecord, 1);

    r->id = sqlite3_column_int64(st, 0);
    r->jid = column_text(st, 1);
    r->username = column_text(st, 2);
    r->domain = column_text(st, 3);
    r->contact = column_text(st, 4);
    r->kind = (GwSecretKind)sqlite3_column_int(st, 5);
    r->secret = g_bytes_new(sqlite3_column_blob(st, 6),
                            (gsize)sqlite3_column_bytes(st, 6));
    r->realm = column_text(st, 7);
    r->register_when = column_text(st, 8);
    r->created = sqlite3_column_int64(st, 9);
    r->registrar = column_text(st, 10);
    r->refused = column_text(st, 11);
    return r;
}

#define COLUMNS "id, jid, username, domain, contact, secret_kind, secret," \
                " realm, register_when, created, registrar, refused"

GwAccountRecord *
gw_account_store_get(GwAccountStore *s, const char *jid, GError **error)
{
    sqlite3_stmt *st = NULL;
    GwAccountRecord *r = NULL;
    int rc;

    if (sqlite3_prepare_v2(s->db, "SELECT " COLUMNS " FROM accounts"
                                  " WHERE jid = ?1", -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "prepare");
        return NULL;
    }
    sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        r = read_row(st);
    else if (rc == SQLITE_DONE)
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_NOT_FOUND,
                    "%.64s has no account", jid);
    else
        fail(s, error, "read");
    sqlite3_finalize(st);
    return r;
}

/* One statement on her row (its own transaction): ?1 her JID, ?2 `text`
 * if the statement has it. _NOT_FOUND when she has no row. */
static gboolean
change_row(GwAccountStore *s, const char *sql, const char *jid,
           const char *text, GError **error)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail(s, error, "prepare");
    sqlite3_bind_text(st, 1, jid, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(s, error, "write");
    if (sqlite3_changes(s->db) == 0) {
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_NOT_FOUND,
                    "%.64s has no account", jid);
        return FALSE;
    }
    return TRUE;
}

gboolean
gw_account_store_delete(GwAccountStore *s, const char *jid, GError **error)
{
    return change_row(s, "DELETE FROM accounts WHERE jid = ?1", jid, NULL,
                      error);
}

gboolean
gw_account_store_set_refused(GwAccountStore *s, const char *jid,
                             const char *refused, GError **error)
{
    return change_row(s, "UPDATE accounts SET refused = ?2 WHERE jid = ?1",
                      jid, refused, error);
}

GPtrArray *
gw_account_store_list(GwAccountStore *s, GError **error)
{
    sqlite3_stmt *st = NULL;
    g_autoptr(GPtrArray) out =
        g_ptr_array_new_with_free_func((GDestroyNotify)gw_account_record_free);
    int rc;

    if (sqlite3_prepare_v2(s->db, "SELECT " COLUMNS " FROM accounts ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        fail(s, error, "prepare");
        return NULL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(out, read_row(st));
    sqlite3_finalize(st);
    /* a full read fills the page cache; it is not needed afterwards */
    sqlite3_db_release_memory(s->db);
    if (rc != SQLITE_DONE) {
        fail(s, error, "read");
        return NULL;
    }
    return g_steal_pointer(&out);
}

/* A file systemd handed the service (LoadCredential=): the kernel lets the
 * service's user alone read it, and its mode may show an ACL's mask in
 * the group bits, so the mode says nothing there (not seen on a real
 * systemd here: trusted as systemd.exec(5) describes it). */
static gboolean
is_credential(const char *path)
{
    const char *dir = g_getenv("CREDENTIALS_DIRECTORY");
    gsize n = dir != NULL ? strlen(dir) : 0;

    return n > 0 && strncmp(path, dir, n) == 0 && path[n] == '/' &&
           strstr(path + n, "/../") == NULL;
}

gboolean
gw_account_key_load(const char *path, guint8 key[GW_ACCOUNT_KEY_LEN],
                    GError **error)
{
    struct stat st;
    guint8 buf[GW_ACCOUNT_KEY_LEN + 1];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        int e = errno;
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                    "[accounts] key_file %s: %s", path, g_strerror(e));
        return FALSE;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                    "[accounts] key_file %s is not a regular file", path);
        return FALSE;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && !is_credential(path)) {
        close(fd);
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                    "[accounts] key_file %s is open to group or others (mode "
                    "%03o): chmod 600 it", path, (guint)(st.st_mode & 0777));
        return FALSE;
    }
    n = read(fd, buf, sizeof buf);
    close(fd);
    if (n != GW_ACCOUNT_KEY_LEN) {
        memset(buf, 0, sizeof buf);
        g_set_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY,
                    "[accounts] key_file %s must hold exactly %d bytes "
                    "(head -c %d /dev/urandom)", path, GW_ACCOUNT_KEY_LEN,
                    GW_ACCOUNT_KEY_LEN);
        return FALSE;
    }
    memcpy(key, buf, GW_ACCOUNT_KEY_LEN);
    memset(buf, 0, sizeof buf);
    return TRUE;
}

gboolean
gw_account_random_bytes(guint8 *buf, gsize len)
{
    return RAND_bytes(buf, (int)len) == 1;
}
