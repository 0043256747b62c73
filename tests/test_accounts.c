/* Unit tests of gateway/accounts/: what usernames and passwords may be,
 * sealing and opening passwords (AES-256-GCM) and HA1, table-driven; the
 * SQLite store: migrations, one AOR per JID and one JID per AOR, limits,
 * and no password bytes anywhere in the database files; the key file's
 * checks. */
#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include <sqlite3.h>

#include "account_codec.h"
#include "account_store.h"

static const guint8 key_a[32] = "0123456789abcdef0123456789abcde";
static const guint8 key_b[32] = "fedcba9876543210fedcba987654321";
static const guint8 nonce[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };

/* ---- names and passwords ---------------------------------------------- */

static const struct {
    const char *username;
    gboolean ok;
} usernames[] = {
    { "2001", TRUE },
    { "alice.smith", TRUE },
    { "+15551234567", TRUE },
    { "a-b_c!~*'()&=+$,;?/", TRUE },
    { "", FALSE },
    { "has space", FALSE },
    { "at@sign", FALSE },
    { "colon:", FALSE },
    { "new\nline", FALSE },
    { "<x>", FALSE },
    { "%41", FALSE }, /* escapes are not taken: the AOR is written as given */
    { "1234567890123456789012345678901234567890123456789012345678901234", TRUE },
    { "12345678901234567890123456789012345678901234567890123456789012345", FALSE },
};

static void
test_usernames(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(usernames); i++) {
        g_autoptr(GError) error = NULL;
        gboolean ok = gw_account_check_username(usernames[i].username, &error);
        if (ok != usernames[i].ok)
            g_error("username '%s': expected %s", usernames[i].username,
                    usernames[i].ok ? "ok" : "refused");
        g_assert_true(ok == (error == NULL));
        if (!ok)
            g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID);
    }
}

static const struct {
    const char *password;
    gboolean ok;
} passwords[] = {
    { "secret", TRUE },
    { "pässwörd ✓", TRUE },
    { "with space and \"quotes\"", TRUE },
    { "", FALSE },
    { "tab\there", FALSE },
    { "nl\n", FALSE },
    { "\xff\xfe", FALSE },
};

static void
test_passwords(void)
{
    g_autofree char *long_ok = g_strnfill(GW_ACCOUNT_MAX_PASSWORD, 'x');
    g_autofree char *too_long = g_strnfill(GW_ACCOUNT_MAX_PASSWORD + 1, 'x');
    g_autoptr(GError) error = NULL;

    for (gsize i = 0; i < G_N_ELEMENTS(passwords); i++) {
        g_autoptr(GError) e = NULL;
        gboolean ok = gw_account_check_password(passwords[i].password, &e);
        g_assert_true(ok == passwords[i].ok);
        /* an error never quotes the password */
        if (e != NULL && *passwords[i].password != '\0')
            g_assert_null(strstr(e->message, passwords[i].password));
    }
    g_assert_true(gw_account_check_password(long_ok, NULL));
    g_assert_false(gw_account_check_password(too_long, &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID);
}

/* ---- sealing ----------------------------------------------------------- */

static const char *const sealed_passwords[] = {
    "s", "secret", "pässwörd ✓",
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
};

static void
test_seal_roundtrip(void)
{
    g_autofree char *aad = gw_account_aad("alice@example.com", "2001",
                                          "pbx.example.com", NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(sealed_passwords); i++) {
        const char *pw = sealed_passwords[i];
        g_autoptr(GError) error = NULL;
        g_autoptr(GBytes) blob = gw_account_seal(key_a, nonce, aad, pw, &error);
        gsize len;
        const guint8 *b;
        g_autofree char *back = NULL;

        g_assert_no_error(error);
        b = g_bytes_get_data(blob, &len);
        g_assert_cmpuint(len, ==, 3 + 12 + strlen(pw) + 16);
        /* the password is nowhere in the blob */
        g_assert_null(memmem(b, len, pw, strlen(pw)));
        back = gw_account_unseal(key_a, b, len, aad, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(back, ==, pw);
    }
}

/* What must not open: another key, another row, a flipped bit anywhere,
 * a truncated blob, something that is not ours. */
static void
test_seal_refusals(void)
{
    g_autofree char *aad = gw_account_aad("alice@example.com", "2001", "pbx",
                                          NULL);
    g_autofree char *other = gw_account_aad("mallory@example.com", "2001",
                                            "pbx", NULL);
    /* the same row pointed at another registrar (schema 2) */
    g_autofree char *moved = gw_account_aad("alice@example.com", "2001", "pbx",
                                            "sip:192.0.2.66");
    g_autoptr(GBytes) blob = gw_account_seal(key_a, nonce, aad, "secret", NULL);
    gsize len;
    const guint8 *b = g_bytes_get_data(blob, &len);
    static const struct {
        const char *what;
        int code;
    } cases[] = {
        { "other key", GW_ACCOUNT_ERROR_DECRYPT },
        { "other row", GW_ACCOUNT_ERROR_DECRYPT },
        { "other registrar", GW_ACCOUNT_ERROR_DECRYPT },
        { "flipped bits", GW_ACCOUNT_ERROR_DECRYPT },
        { "truncated", GW_ACCOUNT_ERROR_INVALID },
        { "not ours", GW_ACCOUNT_ERROR_INVALID },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        char *pw = NULL;
        if (i == 0)
            pw = gw_account_unseal(key_b, b, len, aad, &error);
        else if (i == 1)
            pw = gw_account_unseal(key_a, b, len, other, &error);
        else if (i == 2)
            pw = gw_account_unseal(key_a, b, len, moved, &error);
        else if (i == 3) {
            for (gsize at = 3; at < len; at++) {
                g_autofree guint8 *copy = g_memdup2(b, len);
                g_autoptr(GError) e = NULL;
                copy[at] ^= 0x01;
                g_assert_null(gw_account_unseal(key_a, copy, len, aad, &e));
                g_assert_error(e, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_DECRYPT);
            }
            pw = gw_account_unseal(key_b, b, len, aad, &error);
        } else if (i == 4)
            pw = gw_account_unseal(key_a, b, 20, aad, &error);
        else
            pw = gw_account_unseal(key_a, (const guint8 *)"GW2xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                   32, aad, &error);
        g_assert_null(pw);
        if (!g_error_matches(error, GW_ACCOUNT_ERROR, cases[i].code))
            g_error("%s: wrong error", cases[i].what);
    }
}

/* HA1 against RFC 2617 3.5's example and known values. */
static void
test_ha1(void)
{
    static const struct {
        const char *user, *realm, *password, *ha1;
    } rows[] = {
        { "Mufasa", "testrealm@host.com", "Circle Of Life",
          "939e7578ed9e3c518a452acee763bce9" },
        { "2001", "pbx.localhost", "secret", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *h = gw_account_ha1(rows[i].user, rows[i].realm,
                                            rows[i].password);
        g_autofree char *a1 = g_strdup_printf("%s:%s:%s", rows[i].user,
                                              rows[i].realm, rows[i].password);
        g_autofree char *want = g_compute_checksum_for_string(G_CHECKSUM_MD5,
                                                              a1, -1);
        g_assert_cmpuint(strlen(h), ==, 32);
        g_assert_cmpstr(h, ==, rows[i].ha1 ? rows[i].ha1 : want);
    }
}

/* ---- the store --------------------------------------------------------- */

typedef struct {
    char *dir;
    char *path;
} Fixture;

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("gw-accounts-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->path = g_build_filename(f->dir, "accounts.sqlite", NULL);
}

static void
rm_rf(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *p = g_build_filename(dir, name, NULL);
        g_unlink(p);
    }
    g_rmdir(dir);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->path);
}

static GwAccountRecord *
record(const char *jid, const char *username, const char *password)
{
    GwAccountRecord *r = g_new0(GwAccountRecord, 1);
    g_autofree char *aad = NULL;

    r->jid = g_strdup(jid);
    r->username = g_strdup(username);
    r->domain = g_strdup("pbx.test");
    r->contact = g_strdup_printf("acc-%s", username);
    r->kind = GW_SECRET_SEALED;
    aad = gw_account_aad(jid, username, r->domain, NULL);
    r->secret = gw_account_seal(key_a, nonce, aad, password, NULL);
    r->created = 1700000000;
    return r;
}

static void
test_store_basics(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwAccountStore) s = gw_account_store_open(f->path, &error);
    g_autoptr(GwAccountRecord) alice = record("alice@example.com", "2001", "secret");
    g_autoptr(GwAccountRecord) got = NULL;
    g_autoptr(GPtrArray) all = NULL;
    struct stat st;

    g_assert_no_error(error);
    g_assert_cmpuint(gw_account_store_get_version(s), ==,
                     GW_ACCOUNT_SCHEMA_VERSION);
    g_assert_cmpint(g_stat(f->path, &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 0077, ==, 0); /* owner only */

    g_assert_true(gw_account_store_put(s, alice, 10, &error));
    g_assert_no_error(error);
    got = gw_account_store_get(s, "alice@example.com", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(got->username, ==, "2001");
    g_assert_cmpstr(got->domain, ==, "pbx.test");
    g_assert_cmpstr(got->contact, ==, "acc-2001");
    g_assert_cmpint(got->kind, ==, GW_SECRET_SEALED);
    g_assert_true(g_bytes_equal(got->secret, alice->secret));
    g_assert_null(got->realm);

    /* her second registration replaces her first (new username) */
    g_free(alice->username);
    alice->username = g_strdup("2002");
    g_assert_true(gw_account_store_put(s, alice, 10, &error));
    g_clear_pointer(&got, gw_account_record_free);
    got = gw_account_store_get(s, "alice@example.com", NULL);
    g_assert_cmpstr(got->username, ==, "2002");
    g_assert_cmpstr(got->contact, ==, "acc-2001"); /* kept: her binding */
    g_assert_cmpuint(gw_account_store_count(s), ==, 1);

    all = gw_account_store_list(s, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(all->len, ==, 1);

    g_assert_true(gw_account_store_delete(s, "alice@example.com", &error));
    g_assert_false(gw_account_store_delete(s, "alice@example.com", &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_NOT_FOUND);
    g_clear_error(&error);
    g_assert_null(gw_account_store_get(s, "alice@example.com", &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_NOT_FOUND);
}

/* One JID per AOR; max_accounts; nothing half-written on a refusal. */
static void
test_store_conflicts(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwAccountStore) s = gw_account_store_open(f->path, &error);
    g_autoptr(GwAccountRecord) alice = record("alice@example.com", "2001", "a");
    g_autoptr(GwAccountRecord) bob = record("bob@example.com", "2001", "b");
    g_autoptr(GwAccountRecord) carol = record("carol@example.com", "2003", "c");

    g_assert_true(gw_account_store_put(s, alice, 2, NULL));
    g_assert_false(gw_account_store_put(s, bob, 2, &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_CONFLICT);
    g_clear_error(&error);
    /* the same AOR in another domain is another AOR */
    g_free(bob->domain);
    bob->domain = g_strdup("other.test");
    g_free(bob->contact);
    bob->contact = g_strdup("acc-bob");
    g_assert_true(gw_account_store_put(s, bob, 2, &error));
    g_assert_no_error(error);
    g_assert_false(gw_account_store_put(s, carol, 2, &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_FULL);
    g_clear_error(&error);
    /* an existing account may still change at the limit */
    g_assert_true(gw_account_store_put(s, alice, 2, &error));
    g_assert_cmpuint(gw_account_store_count(s), ==, 2);
}

/* A refusal is kept across a reopen; a put carries the record's (a new
 * registration has none: forgotten); _NOT_FOUND for nobody. */
static void
test_store_refused(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwAccountRecord) alice = record("alice@example.com", "2001", "a");
    g_autoptr(GwAccountRecord) got = NULL;
    GwAccountStore *s = gw_account_store_open(f->path, &error);

    g_assert_true(gw_account_store_put(s, alice, 10, NULL));
    g_assert_true(gw_account_store_set_refused(s, "alice@example.com",
                                               "403 Forbidden", &error));
    g_assert_false(gw_account_store_set_refused(s, "nobody@example.com",
                                                "403 Forbidden", &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_NOT_FOUND);
    g_clear_error(&error);
    gw_account_store_close(s);
    s = gw_account_store_open(f->path, &error);
    got = gw_account_store_get(s, "alice@example.com", &error);
    g_assert_cmpstr(got->refused, ==, "403 Forbidden");
    g_assert_true(gw_account_store_put(s, got, 10, NULL)); /* kept */
    g_clear_pointer(&got, gw_account_record_free);
    got = gw_account_store_get(s, "alice@example.com", &error);
    g_assert_cmpstr(got->refused, ==, "403 Forbidden");
    g_assert_true(gw_account_store_put(s, alice, 10, NULL)); /* anew */
    g_clear_pointer(&got, gw_account_record_free);
    got = gw_account_store_get(s, "alice@example.com", &error);
    g_assert_null(got->refused);
    gw_account_store_close(s);
}

/* Reopening keeps everything; the schema is not migrated twice; a newer
 * schema is refused. */
static void
test_store_reopen(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwAccountRecord) alice = record("alice@example.com", "2001", "a");
    GwAccountStore *s = gw_account_store_open(f->path, &error);

    g_assert_true(gw_account_store_put(s, alice, 10, NULL));
    gw_account_store_close(s);
    s = gw_account_store_open(f->path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(gw_account_store_count(s), ==, 1);
    g_assert_cmpuint(gw_account_store_get_version(s), ==,
                     GW_ACCOUNT_SCHEMA_VERSION);
    gw_account_store_close(s);
    {
        /* a later gateway wrote version 99 */
        g_autofree char *cmd = g_strdup_printf(
            "sqlite3 '%s' 'UPDATE schema_version SET version = 99' 2>/dev/null",
            f->path);
        g_autofree char *prog = g_find_program_in_path("sqlite3");
        if (prog == NULL) {
            g_test_message("no sqlite3 program: newer-schema case skipped");
            return;
        }
        g_assert_cmpint(system(cmd), ==, 0);
    }
    s = gw_account_store_open(f->path, &error);
    g_assert_null(s);
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_STORE);
    g_assert_nonnull(strstr(error->message, "newer"));
}

/* A database of schema 1 (as the gateway before allow_custom_registrar
 * wrote it) opens migrated in place: its accounts kept, with no registrar
 * of their own; a registrar is then stored and read back; one AOR is
 * still one JID's whatever registrar another JID names. */
static void
test_store_migrate_v1(Fixture *f, gconstpointer data)
{
    static const char v1[] =
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE accounts ("
        "  id INTEGER PRIMARY KEY, jid TEXT NOT NULL UNIQUE,"
        "  username TEXT NOT NULL, domain TEXT NOT NULL,"
        "  contact TEXT NOT NULL UNIQUE, secret_kind INTEGER NOT NULL,"
        "  secret BLOB NOT NULL, realm TEXT, register_when TEXT,"
        "  created INTEGER NOT NULL, UNIQUE (username, domain));"
        "INSERT INTO accounts (jid, username, domain, contact, secret_kind,"
        "  secret, realm, register_when, created) VALUES ('old@example.com',"
        "  '2009', 'pbx.test', 'acc-old', 2, 'ffffffffffffffffffffffffffff"
        "ffff', 'pbx.test', 'always', 1600000000);";
    sqlite3 *db = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwAccountStore) s = NULL;
    g_autoptr(GwAccountRecord) old = NULL, got = NULL;
    g_autoptr(GwAccountRecord) bob = record("bob@example.com", "2010", "b");
    g_autoptr(GwAccountRecord) carol = record("carol@example.com", "2010", "c");

    g_assert_cmpint(sqlite3_open(f->path, &db), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_exec(db, v1, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close(db);

    s = gw_account_store_open(f->path, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(gw_account_store_get_version(s), ==,
                     GW_ACCOUNT_SCHEMA_VERSION);
    old = gw_account_store_get(s, "old@example.com", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(old->username, ==, "2009");
    g_assert_cmpstr(old->register_when, ==, "always");
    g_assert_null(old->registrar);
    g_assert_null(old->refused);

    bob->registrar = g_strdup("sip:192.0.2.7:5080");
    bob->domain = (g_free(bob->domain), g_strdup("pbx2.test"));
    g_assert_true(gw_account_store_put(s, bob, 10, &error));
    g_clear_pointer(&s, gw_account_store_close);
    s = gw_account_store_open(f->path, &error);
    g_assert_no_error(error);
    got = gw_account_store_get(s, "bob@example.com", &error);
    g_assert_cmpstr(got->registrar, ==, "sip:192.0.2.7:5080");
    g_assert_cmpstr(got->domain, ==, "pbx2.test");
    /* sip:2010@pbx2.test is bob's, at whichever registrar carol names */
    carol->domain = (g_free(carol->domain), g_strdup("pbx2.test"));
    carol->registrar = g_strdup("sip:192.0.2.8");
    g_assert_false(gw_account_store_put(s, carol, 10, &error));
    g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_CONFLICT);
}

static gboolean
file_contains(const char *path, const char *needle)
{
    g_autofree char *data = NULL;
    gsize len = 0;

    if (!g_file_get_contents(path, &data, &len, NULL))
        return FALSE;
    return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* The database file (and its WAL) never holds a password: written,
 * rewritten, deleted, checkpointed. */
static void
test_store_no_password_bytes(Fixture *f, gconstpointer data)
{
    static const char *const pws[] = { "correct-horse-battery", "Tr0ub4dor&3",
                                       "second-password-xyz" };
    g_autoptr(GwAccountStore) s = gw_account_store_open(f->path, NULL);
    g_autofree char *wal = g_strconcat(f->path, "-wal", NULL);
    g_autoptr(GwAccountRecord) a = record("alice@example.com", "2001", pws[0]);
    g_autoptr(GwAccountRecord) b = record("bob@example.com", "2002", pws[1]);
    g_autoptr(GwAccountRecord) a2 = record("alice@example.com", "2001", pws[2]);

    g_assert_true(gw_account_store_put(s, a, 10, NULL));
    g_assert_true(gw_account_store_put(s, b, 10, NULL));
    g_assert_true(gw_account_store_put(s, a2, 10, NULL));
    g_assert_true(gw_account_store_delete(s, "bob@example.com", NULL));
    for (gsize i = 0; i < G_N_ELEMENTS(pws); i++) {
        g_assert_false(file_contains(f->path, pws[i]));
        g_assert_false(file_contains(wal, pws[i]));
    }
    g_clear_pointer(&s, gw_account_store_close); /* checkpoint */
    for (gsize i = 0; i < G_N_ELEMENTS(pws); i++)
        g_assert_false(file_contains(f->path, pws[i]));
    /* ... while the names are there, so the search itself works */
    g_assert_true(file_contains(f->path, "alice@example.com"));
}

static void
write_key(const char *path, gsize len, int mode)
{
    g_autofree char *k = g_strnfill(len, 'k');
    g_assert_true(g_file_set_contents(path, k, (gssize)len, NULL));
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
}

static void
test_key_file(Fixture *f, gconstpointer data)
{
    g_autofree char *path = g_build_filename(f->dir, "key", NULL);
    static const struct {
        gsize len;
        int mode;
        gboolean ok;
    } rows[] = {
        { 32, 0600, TRUE },  { 32, 0400, TRUE },  { 32, 0640, FALSE },
        { 32, 0604, FALSE }, { 31, 0600, FALSE }, { 33, 0600, FALSE },
        { 0, 0600, FALSE },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        guint8 key[32] = { 0 };
        g_autoptr(GError) error = NULL;
        g_unlink(path);
        write_key(path, rows[i].len, rows[i].mode);
        g_assert_true(gw_account_key_load(path, key, &error) == rows[i].ok);
        if (!rows[i].ok) {
            g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY);
            g_assert_nonnull(strstr(error->message, path));
        } else {
            g_assert_cmpint(key[0], ==, 'k');
        }
    }
    {
        /* systemd's credentials: the mode may show an ACL mask */
        guint8 key[32];
        g_unlink(path);
        write_key(path, 32, 0640);
        g_setenv("CREDENTIALS_DIRECTORY", f->dir, TRUE);
        g_assert_true(gw_account_key_load(path, key, NULL));
        g_setenv("CREDENTIALS_DIRECTORY", "/nonexistent", TRUE);
        g_assert_false(gw_account_key_load(path, key, NULL));
        g_unsetenv("CREDENTIALS_DIRECTORY");
    }
    {
        g_autoptr(GError) error = NULL;
        guint8 key[32];
        g_unlink(path);
        g_assert_false(gw_account_key_load(path, key, &error));
        g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_KEY);
    }
}

/* The targets traffic-follows-the-account looks at (issue 17 part 2). */
static void
test_uri_user_host(void)
{
    static const struct {
        const char *uri, *user, *host;
    } rows[] = {
        { "sip:2001@pbx.example.com", "2001", "pbx.example.com" },
        { "sip:2001@pbx.example.com:5060;transport=udp", "2001",
          "pbx.example.com" },
        { "<sips:acc-5f0c@192.0.2.10:5070>", "acc-5f0c", "192.0.2.10" },
        { "Desk <sip:2001@PBX.example.com>;tag=x", "2001",
          "PBX.example.com" },
        { "sip:2001@[2001:db8::1]:5060", "2001", "[2001:db8::1]" },
        { "sip:2001@[2001:db8::1", NULL, NULL },
        { "sip:pbx.example.com", NULL, NULL },   /* no user part */
        { "tel:+15551234567", NULL, NULL },
        { "sip:u:pw@pbx.example.com", NULL, NULL },
        { "sip:u;p=1@pbx.example.com", NULL, NULL },
        { "sip:2001@", NULL, NULL },
        { "sip:@pbx", NULL, NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *user = NULL, *host = NULL;
        gboolean ok = gw_account_uri_user_host(rows[i].uri, &user, &host);
        g_assert_cmpint(ok, ==, rows[i].user != NULL);
        g_assert_cmpstr(user, ==, rows[i].user);
        g_assert_cmpstr(host, ==, rows[i].host);
    }
}

static void
test_registrar_host(void)
{
    static const char *const rows[][2] = {
        { "sip:192.0.2.5:5060", "192.0.2.5" },
        { "sip:192.0.2.5", "192.0.2.5" },
        { "sips:[2001:db8::1]:5061", "2001:db8::1" },
        { "sip:pbx.example.com;transport=tcp", "pbx.example.com" },
        { "sip:registrar@192.0.2.7", "192.0.2.7" },
        { "sip:[2001:db8::1", NULL },
        { "sip:", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *h = gw_account_registrar_host(rows[i][0]);
        g_assert_cmpstr(h, ==, rows[i][1]);
    }
}

/* What she may type as a registrar of her own, and what it becomes. */
static void
test_registrar_parse(void)
{
    static const struct {
        const char *text, *uri, *host;
        guint port;    /* the port matched against the operator's list */
    } rows[] = {
        { "pbx2.example.com", "sip:pbx2.example.com", "pbx2.example.com",
          5060 },
        { "PBX2.Example.com:5080", "sip:pbx2.example.com:5080",
          "pbx2.example.com", 5080 },
        { "sip:192.0.2.5:5060;transport=TCP",
          "sip:192.0.2.5:5060;transport=tcp", "192.0.2.5", 5060 },
        { "sips:pbx.example.com", "sips:pbx.example.com", "pbx.example.com",
          5061 },
        { "sip:pbx.example.com;transport=tls",
          "sip:pbx.example.com;transport=tls", "pbx.example.com", 5061 },
        { "[2001:DB8::5]:5062", "sip:[2001:db8::5]:5062", "2001:db8::5",
          5062 },
        { "sip:localhost", "sip:localhost", "localhost", 5060 },
        /* refused */
        { "", NULL, NULL, 0 },
        { "sip:", NULL, NULL, 0 },
        { "sip:2001@pbx.example.com", NULL, NULL, 0 },
        { "sip:u:pw@pbx.example.com", NULL, NULL, 0 },
        { "pbx.example.com:0", NULL, NULL, 0 },
        { "pbx.example.com:65536", NULL, NULL, 0 },
        { "pbx.example.com:50a", NULL, NULL, 0 },
        { "pbx.example.com:", NULL, NULL, 0 },
        { "pbx.example.com;lr", NULL, NULL, 0 },
        { "pbx.example.com;transport=sctp", NULL, NULL, 0 },
        { "pbx.example.com;transport=tcp;transport=udp", NULL, NULL, 0 },
        { "sip:pbx.example.com?Route=x", NULL, NULL, 0 },
        { "pbx example.com", NULL, NULL, 0 },
        { "<sip:pbx.example.com>", NULL, NULL, 0 },
        { "192.0.2.999", NULL, NULL, 0 },   /* no address, and no name */
        { "pbx_2.example.com", NULL, NULL, 0 },
        { "-pbx.example.com", NULL, NULL, 0 },
        { "pbx.example.com.", NULL, NULL, 0 },
        { "pbx..example.com", NULL, NULL, 0 },
        { "[2001:db8::5", NULL, NULL, 0 },
        { "[192.0.2.5]", NULL, NULL, 0 },
        { "2001:db8::5", NULL, NULL, 0 },   /* IPv6 needs its brackets */
        { "http://pbx.example.com", NULL, NULL, 0 },
        { "pbx.example.com\n", NULL, NULL, 0 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        GwAccountRegistrar r = { 0 };
        g_autoptr(GError) error = NULL;
        gboolean ok = gw_account_registrar_parse(rows[i].text, &r, &error);
        if (ok != (rows[i].uri != NULL))
            g_error("registrar '%s': expected %s", rows[i].text,
                    rows[i].uri ? "ok" : "refused");
        g_assert_true(ok == (error == NULL));
        if (!ok) {
            g_assert_error(error, GW_ACCOUNT_ERROR, GW_ACCOUNT_ERROR_INVALID);
            g_assert_null(r.uri);
            continue;
        }
        g_assert_cmpstr(r.uri, ==, rows[i].uri);
        g_assert_cmpstr(r.host, ==, rows[i].host);
        g_assert_cmpuint(gw_account_registrar_port(&r), ==, rows[i].port);
        gw_account_registrar_clear(&r);
    }
    {
        g_autofree char *huge = g_strnfill(300, 'a');
        GwAccountRegistrar r = { 0 };
        g_assert_false(gw_account_registrar_parse(huge, &r, NULL));
    }
}

static void
test_domain_normalize(void)
{
    static const char *const rows[][2] = {
        { "pbx2.example.com", "pbx2.example.com" },
        { "PBX2.Example.COM", "pbx2.example.com" },
        { "192.0.2.5", "192.0.2.5" },
        { "[2001:DB8::5]", "[2001:db8::5]" },
        { "pbx2.example.com:5060", NULL },
        { "", NULL },
        { "user@pbx2.example.com", NULL },
        { "2001:db8::5", NULL },
        { "pbx 2", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *d = gw_account_domain_normalize(rows[i][0], &error);
        g_assert_cmpstr(d, ==, rows[i][1]);
        g_assert_true((d == NULL) == (error != NULL));
    }
}

/* Her extensions are her PBX's: the table's host becomes her domain, and
 * back. */
static void
test_uri_swap_domain(void)
{
    static const char *const table[] = { "pbx.example.com",
                                         "trunk.example.com", NULL };
    static const char *const rows[][3] = {
        { "sip:1002@pbx.example.com", "pbx2.test", "sip:1002@pbx2.test" },
        { "sip:1002@PBX.example.com", "pbx2.test", "sip:1002@pbx2.test" },
        { "sips:1002@pbx.example.com", "pbx2.test", "sips:1002@pbx2.test" },
        { "sip:+15551234567@trunk.example.com;user=phone", "pbx2.test",
          "sip:+15551234567@pbx2.test;user=phone" },
        { "sip:1002@pbx.example.com:5070", "pbx2.test", NULL },
        { "sip:bob@other.net", "pbx2.test", NULL },
        { "tel:+15551234567", "pbx2.test", NULL },
        { "sip:pbx.example.com", "pbx2.test", NULL },
        { "sip:1002@pbx.example.com.evil", "pbx2.test", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        g_autofree char *u = gw_account_uri_swap_domain(rows[i][0], table,
                                                        rows[i][1]);
        g_assert_cmpstr(u, ==, rows[i][2]);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/accounts/codec/usernames", test_usernames);
    g_test_add_func("/accounts/codec/passwords", test_passwords);
    g_test_add_func("/accounts/codec/seal-roundtrip", test_seal_roundtrip);
    g_test_add_func("/accounts/codec/seal-refusals", test_seal_refusals);
    g_test_add_func("/accounts/codec/ha1", test_ha1);
    g_test_add_func("/accounts/codec/uri-user-host", test_uri_user_host);
    g_test_add_func("/accounts/codec/registrar-host", test_registrar_host);
    g_test_add_func("/accounts/codec/registrar-parse", test_registrar_parse);
    g_test_add_func("/accounts/codec/domain-normalize",
                    test_domain_normalize);
    g_test_add_func("/accounts/codec/uri-swap-domain", test_uri_swap_domain);
    g_test_add("/accounts/store/basics", Fixture, NULL, fixture_set_up,
               test_store_basics, fixture_tear_down);
    g_test_add("/accounts/store/conflicts", Fixture, NULL, fixture_set_up,
               test_store_conflicts, fixture_tear_down);
    g_test_add("/accounts/store/reopen", Fixture, NULL, fixture_set_up,
               test_store_reopen, fixture_tear_down);
    g_test_add("/accounts/store/migrate-v1", Fixture, NULL, fixture_set_up,
               test_store_migrate_v1, fixture_tear_down);
    g_test_add("/accounts/store/refused", Fixture, NULL, fixture_set_up,
               test_store_refused, fixture_tear_down);
    g_test_add("/accounts/store/no-password-bytes", Fixture, NULL,
               fixture_set_up, test_store_no_password_bytes,
               fixture_tear_down);
    g_test_add("/accounts/store/key-file", Fixture, NULL, fixture_set_up,
               test_key_file, fixture_tear_down);
    return g_test_run();
}
