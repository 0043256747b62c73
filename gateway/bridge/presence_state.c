/* gateway/bridge/presence_state.c: D. What a restart must not lose: her
 * answers to our requests for her presence (the authorization table), and
 * the XMPP watchers of SIP contacts (B), in [presence] state_file.
 *
 * The answers: so that we never ask again what she answered
 * (gw_pres_ask_authorization()) and tell her broadcast presence from
 * directed presence at once (xmpp_directory.c). One line each:
 *
 *   1001@sip.example.com alice@example.com                  (a watcher)
 *   auth 1001@sip.example.com alice@example.com granted     (or refused,
 *                                                            pending)
 *
 * Files from before have watcher lines only and read the same; an older
 * gateway reading a new file finds no SIP contact "auth" and skips those
 * lines. Served SIP subscriptions (A) are not kept (presence_watchers.c).
 * A request still pending stays so, without a second one: her server
 * keeps it and offers it to her again at her next login (Prosody does),
 * and her answer comes to us then; an answer she gave while the link was
 * down was bounced to her, and is not learnt (nothing makes her server
 * tell it again).
 *
 * Writing is O(entries) and blocks the loop (formatting, then the fsync
 * of g_file_set_contents()), so the delay after a change grows with the
 * table: 0.5 s for a few entries, 10.5 s at 100,000, which keeps the
 * writes to a small share of the loop while watchers subscribe in bulk.
 * A clean stop writes at once.
 */
#define G_LOG_DOMAIN "gw-pres"

#include "presence_private.h"

#include <string.h>

#include "pool.h"

/* ---- the authorization table -------------------------------------------
 * "contact\nuser" -> GwPresAuth. Kept keys live in the pool (pool.h);
 * lookup keys on the stack of g_malloc. */

static char *
auth_key(const char *contact, const char *user)
{
    return g_strconcat(contact, "\n", user, NULL);
}

GwPresAuth
gw_pres_auth_get(GwPresBridge *b, const char *contact, const char *user)
{
    g_autofree char *k = auth_key(contact, user);
    return (GwPresAuth)GPOINTER_TO_INT(g_hash_table_lookup(b->auth, k));
}

void
gw_pres_auth_set(GwPresBridge *b, const char *contact, const char *user,
                 GwPresAuth s)
{
    g_autofree char *k = auth_key(contact, user);

    if ((GwPresAuth)GPOINTER_TO_INT(g_hash_table_lookup(b->auth, k)) == s)
        return;
    if (s == GW_PRES_AUTH_UNKNOWN)
        g_hash_table_remove(b->auth, k);
    else
        g_hash_table_replace(b->auth, gw_pool_strdup(k), GINT_TO_POINTER(s));
    gw_pres_state_schedule_save(b);
}

gboolean
gw_pres_auth_is_broadcast(GwPresBridge *b, const char *contact,
                          const char *user)
{
    GwPresAuth s = gw_pres_auth_get(b, contact, user);

    return s == GW_PRES_AUTH_GRANTED || s == GW_PRES_AUTH_UNKNOWN;
}

/* A walk over the table: revocations are rare (her own action). */
gboolean
gw_pres_auth_granted_elsewhere(GwPresBridge *b, const char *user,
                               const char *except)
{
    GHashTableIter it;
    gpointer k, v;
    gsize except_len = strlen(except);

    g_hash_table_iter_init(&it, b->auth);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *nl = strchr(k, '\n');
        gsize len = nl != NULL ? (gsize)(nl - (const char *)k) : 0;

        if ((GwPresAuth)GPOINTER_TO_INT(v) == GW_PRES_AUTH_GRANTED &&
            nl != NULL && strcmp(nl + 1, user) == 0 &&
            !(len == except_len && memcmp(k, except, len) == 0))
            return TRUE;
    }
    return FALSE;
}

GHashTable *
gw_pres_auth_granted_contacts(GwPresBridge *b)
{
    GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            g_free);
    GHashTableIter it;
    gpointer k, v;

    g_hash_table_iter_init(&it, b->auth);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *nl = strchr(k, '\n');

        if ((GwPresAuth)GPOINTER_TO_INT(v) != GW_PRES_AUTH_GRANTED ||
            nl == NULL || g_hash_table_contains(out, nl + 1) ||
            !gw_xmpp_directory_knows(b->dir, nl + 1))
            continue;
        g_hash_table_insert(out, g_strdup(nl + 1),
                            g_strndup(k, (gsize)(nl - (const char *)k)));
    }
    return out;
}

/* ---- the state file ---------------------------------------------------- */

static const char *const auth_names[] = {
    [GW_PRES_AUTH_UNKNOWN] = NULL,
    [GW_PRES_AUTH_PENDING] = "pending",
    [GW_PRES_AUTH_GRANTED] = "granted",
    [GW_PRES_AUTH_REFUSED] = "refused",
};

static gboolean
save_state(gpointer data)
{
    GwPresBridge *b = data;
    const char *path = b->env->config->presence.state_file;
    g_autoptr(GString) out = NULL;
    g_autoptr(GError) error = NULL;
    GHashTableIter it, jt;
    gpointer v, k;

    b->save_id = 0;
    if (path == NULL)
        return G_SOURCE_REMOVE;
    out = g_string_new("# xmpp-sip-gateway presence state\n"
                       "# contact watcher\n"
                       "# auth contact user granted|refused|pending\n");
    g_hash_table_iter_init(&it, b->contacts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        GwPresContact *c = v;
        g_hash_table_iter_init(&jt, c->watchers);
        while (g_hash_table_iter_next(&jt, &k, NULL))
            g_string_append_printf(out, "%s %s\n", c->jid, (char *)k);
    }
    g_hash_table_iter_init(&it, b->auth);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *name = auth_names[GPOINTER_TO_INT(v)];
        const char *nl = strchr(k, '\n');

        if (name == NULL || nl == NULL)
            continue;
        g_string_append(out, "auth ");
        g_string_append_len(out, k, nl - (const char *)k);
        g_string_append_printf(out, " %s %s\n", nl + 1, name);
    }
    if (!g_file_set_contents(path, out->str, (gssize)out->len, &error))
        g_warning("cannot save presence state: %s", error->message);
    return G_SOURCE_REMOVE;
}

void
gw_pres_state_schedule_save(GwPresBridge *b)
{
    guint entries;

    if (b->save_id != 0 || b->env->config->presence.state_file == NULL)
        return;
    entries = g_hash_table_size(b->auth) + g_hash_table_size(b->contacts);
    b->save_id = g_timeout_add(500 + MIN(entries, 1000000u) / 10,
                               save_state, b);
}

void
gw_pres_state_flush(GwPresBridge *b)
{
    if (b->save_id == 0)
        return;
    g_clear_handle_id(&b->save_id, g_source_remove);
    save_state(b);
}

static GwPresAuth
auth_from_name(const char *name)
{
    for (guint i = 0; i < G_N_ELEMENTS(auth_names); i++)
        if (auth_names[i] != NULL && strcmp(name, auth_names[i]) == 0)
            return (GwPresAuth)i;
    return GW_PRES_AUTH_UNKNOWN;
}

void
gw_pres_state_load(GwPresBridge *b)
{
    const char *path = b->env->config->presence.state_file;
    g_autofree char *data = NULL;
    g_auto(GStrv) lines = NULL;
    guint n = 0, n_auth = 0, n_bad = 0;

    if (path == NULL || !g_file_get_contents(path, &data, NULL, NULL))
        return;
    lines = g_strsplit(data, "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
        g_auto(GStrv) f = g_strsplit(g_strstrip(lines[i]), " ", 4);
        guint nf = g_strv_length(f);
        GwPresContact *c;
        GwPresAuth st;

        if (nf == 0 || f[0][0] == '#' || f[0][0] == '\0')
            continue;
        if (nf == 4 && strcmp(f[0], "auth") == 0 &&
            (st = auth_from_name(f[3])) != GW_PRES_AUTH_UNKNOWN &&
            *f[1] != '\0' && *f[2] != '\0') {
            g_autofree char *k = auth_key(f[1], f[2]);
            g_hash_table_replace(b->auth, gw_pool_strdup(k),
                                 GINT_TO_POINTER(st));
            n_auth++;
        } else if (nf == 2 && *f[1] != '\0' &&
                   (c = gw_pres_contact_get(b, f[0], TRUE)) != NULL) {
            gw_pres_contact_add_watcher(c, f[1]);
            n++;
        } else {
            n_bad++;
        }
    }
    if (n_bad > 0)
        g_warning("presence state %s: %u line(s) not understood, skipped",
                  path, n_bad);
    g_message("presence: %u XMPP watcher(s) of SIP contacts and %u "
              "authorization(s) restored from %s", n, n_auth, path);
}
