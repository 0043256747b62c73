/* gateway/xmpp/caps.c: XEP-0115 capabilities of XMPP users' resources.
 *
 *   alice/phone                 gateway (1001@component)
 *   <presence><c hash=sha-1 node=N ver=V/> -->  V known?  yes: done
 *                    <-- <iq type=get id=gwcaps-7><query node='N#V'/>
 *   <iq type=result id=gwcaps-7><query>identities, features, forms -->
 *        XEP-0115 5.4: well-formed, and sha-1(S) == V ?
 *          yes: V -> features, for every JID that says V (LRU-bounded)
 *          no:  features for alice/phone alone; another JID saying V is
 *               asked in turn ("check another generating entity")
 *   <presence type=unavailable> -->  alice/phone forgotten
 *
 * A presence without <c/> (or legacy caps without 'hash') makes us ask the
 * resource itself, without node, and keep the answer for it alone; so does
 * a 'hash' we do not implement (5.4 step 2). One query per 'ver' is in
 * flight at a time; other JIDs saying that 'ver' wait for it. Queries that
 * get an error, garbage or no answer within timeout_ms mark their JID
 * FAILED until its caps change. Every table has a bound; past one, a
 * resource is not tracked (the call bridge then keeps using JMI).
 */
#define G_LOG_DOMAIN "gw-caps"

#include "caps.h"

#include <string.h>

#include "stanza.h"

#define ID_PREFIX "gwcaps-"
#define NS_XDATA "jabber:x:data"

G_DEFINE_QUARK(gw-caps-error-quark, gw_caps_error)

/* ---- pure: disco#info -------------------------------------------------- */

static void
identity_free(gpointer p)
{
    GwDiscoIdentity *id = p;

    g_free(id->category);
    g_free(id->type);
    g_free(id->lang);
    g_free(id->name);
    g_free(id);
}

static void
field_free(gpointer p)
{
    GwDiscoField *f = p;

    g_free(f->var);
    g_ptr_array_unref(f->values);
    g_free(f);
}

static void
form_free(gpointer p)
{
    GwDiscoForm *f = p;

    g_free(f->form_type);
    g_ptr_array_unref(f->fields);
    g_free(f);
}

void
gw_disco_info_free(GwDiscoInfo *info)
{
    if (info == NULL)
        return;
    g_ptr_array_unref(info->identities);
    g_ptr_array_unref(info->features);
    g_ptr_array_unref(info->forms);
    g_free(info);
}

static gboolean
is_element(xmpp_stanza_t *e, const char *name)
{
    return xmpp_stanza_is_tag(e) &&
           g_strcmp0(xmpp_stanza_get_name(e), name) == 0;
}

/* An element `name` in namespace `ns`, a child of an element in `ns`:
 * libstrophe gives a child's namespace only where it differs from its
 * parent's. <xml:feature/> or <feature xmlns='other'/> is no feature. */
static gboolean
is_child_in(xmpp_stanza_t *e, const char *name, const char *ns)
{
    const char *own = xmpp_stanza_is_tag(e) ? xmpp_stanza_get_ns(e) : NULL;

    return is_element(e, name) && (own == NULL || strcmp(own, ns) == 0);
}

/* The XML character data of an element: its text children joined
 * (transfer full; "" when empty). */
static char *
element_text(xmpp_stanza_t *e)
{
    GString *s = g_string_new(NULL);

    for (xmpp_stanza_t *t = xmpp_stanza_get_children(e); t != NULL;
         t = xmpp_stanza_get_next(t)) {
        const char *text = xmpp_stanza_is_text(t) ? xmpp_stanza_get_text_ptr(t)
                                                  : NULL;
        if (text != NULL)
            g_string_append(s, text);
    }
    return g_string_free(s, FALSE);
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    /* "i;octet" (RFC 4790 9.3): strcmp compares as unsigned char */
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static gint
cmp_identity(gconstpointer a, gconstpointer b)
{
    const GwDiscoIdentity *x = *(GwDiscoIdentity *const *)a;
    const GwDiscoIdentity *y = *(GwDiscoIdentity *const *)b;
    int r;

    /* XEP-0115 5.1 step 2: category, then type, then xml:lang; the name
     * last only so that the order is total (duplicates are refused) */
    if ((r = strcmp(x->category, y->category)) != 0 ||
        (r = strcmp(x->type, y->type)) != 0 ||
        (r = g_strcmp0(x->lang, y->lang)) != 0)
        return r;
    return g_strcmp0(x->name, y->name);
}

static gint
cmp_field(gconstpointer a, gconstpointer b)
{
    return strcmp((*(GwDiscoField *const *)a)->var,
                  (*(GwDiscoField *const *)b)->var);
}

static gint
cmp_form(gconstpointer a, gconstpointer b)
{
    return strcmp((*(GwDiscoForm *const *)a)->form_type,
                  (*(GwDiscoForm *const *)b)->form_type);
}

static gboolean
malformed(GError **error, const char *what, const char *value)
{
    g_set_error(error, GW_CAPS_ERROR, GW_CAPS_ERROR_MALFORMED,
                "disco#info: %s '%.64s'", what, value ? value : "");
    return FALSE;
}

/* One <x xmlns='jabber:x:data'/>. *form stays NULL for a form XEP-0115
 * 5.4 3.6 says to ignore (no FORM_TYPE, or one not of type hidden). */
static gboolean
parse_form(xmpp_stanza_t *x, GwDiscoForm **form, GError **error)
{
    g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func(field_free);
    g_autofree char *form_type = NULL;
    gboolean hidden = FALSE, seen = FALSE;

    *form = NULL;
    for (xmpp_stanza_t *f = xmpp_stanza_get_children(x); f != NULL;
         f = xmpp_stanza_get_next(f)) {
        const char *var = xmpp_stanza_get_attribute(f, "var");
        GwDiscoField *field;

        if (!is_child_in(f, "field", NS_XDATA) || var == NULL)
            continue; /* fields without var (fixed) take no part */
        field = g_new0(GwDiscoField, 1);
        field->var = g_strdup(var);
        field->values = g_ptr_array_new_with_free_func(g_free);
        for (xmpp_stanza_t *v = xmpp_stanza_get_children(f); v != NULL;
             v = xmpp_stanza_get_next(v))
            if (is_child_in(v, "value", NS_XDATA))
                g_ptr_array_add(field->values, element_text(v));
        if (strcmp(var, "FORM_TYPE") != 0) {
            g_ptr_array_add(fields, field);
            continue;
        }
        hidden = g_strcmp0(xmpp_stanza_get_type(f), "hidden") == 0;
        for (guint i = 0; i < field->values->len; i++) {
            const char *v = g_ptr_array_index(field->values, i);
            if (form_type != NULL && strcmp(form_type, v) != 0) {
                field_free(field);
                return malformed(error, "FORM_TYPE with two values", v);
            }
            if (form_type == NULL)
                form_type = g_strdup(v);
        }
        if (seen) {
            field_free(field);
            return malformed(error, "two FORM_TYPE fields in a form",
                             form_type);
        }
        seen = TRUE;
        field_free(field);
    }
    if (form_type == NULL || !hidden)
        return TRUE;
    g_ptr_array_sort(fields, cmp_field);
    *form = g_new0(GwDiscoForm, 1);
    (*form)->form_type = g_steal_pointer(&form_type);
    (*form)->fields = g_steal_pointer(&fields);
    return TRUE;
}

static gboolean
parse_identity(xmpp_stanza_t *e, GPtrArray *identities, GError **error)
{
    const char *category = xmpp_stanza_get_attribute(e, "category");
    const char *type = xmpp_stanza_get_type(e);
    GwDiscoIdentity *id;

    /* XEP-0030 3.1: category and type are required */
    if (category == NULL || type == NULL)
        return malformed(error, "identity without category or type",
                         category ? category : type);
    id = g_new0(GwDiscoIdentity, 1);
    id->category = g_strdup(category);
    id->type = g_strdup(type);
    id->lang = g_strdup(gw_stanza_get_lang(e));
    id->name = g_strdup(xmpp_stanza_get_attribute(e, "name"));
    g_ptr_array_add(identities, id);
    return TRUE;
}

#define DISCO_MAX_ITEMS 512          /* identities, features, fields, values */
#define DISCO_MAX_BYTES (32u << 10) /* of all their strings */

static gboolean
within_bounds(const GwDiscoInfo *info)
{
    gsize items = info->identities->len + info->features->len, bytes = 0;

    for (guint i = 0; i < info->identities->len; i++) {
        const GwDiscoIdentity *id = g_ptr_array_index(info->identities, i);
        bytes += strlen(id->category) + strlen(id->type) +
                 (id->lang ? strlen(id->lang) : 0) +
                 (id->name ? strlen(id->name) : 0);
    }
    for (guint i = 0; i < info->features->len; i++)
        bytes += strlen(g_ptr_array_index(info->features, i));
    for (guint i = 0; i < info->forms->len; i++) {
        const GwDiscoForm *f = g_ptr_array_index(info->forms, i);
        bytes += strlen(f->form_type);
        items += 1 + f->fields->len;
        for (guint j = 0; j < f->fields->len; j++) {
            const GwDiscoField *d = g_ptr_array_index(f->fields, j);
            bytes += strlen(d->var);
            items += d->values->len;
            for (guint k = 0; k < d->values->len; k++)
                bytes += strlen(g_ptr_array_index(d->values, k));
        }
    }
    return items <= DISCO_MAX_ITEMS && bytes <= DISCO_MAX_BYTES;
}

GwDiscoInfo *
gw_disco_info_parse(xmpp_stanza_t *query, GError **error)
{
    g_autoptr(GwDiscoInfo) info = g_new0(GwDiscoInfo, 1);

    g_return_val_if_fail(query != NULL, NULL);
    info->identities = g_ptr_array_new_with_free_func(identity_free);
    info->features = g_ptr_array_new_with_free_func(g_free);
    info->forms = g_ptr_array_new_with_free_func(form_free);
    if (!is_element(query, "query") ||
        g_strcmp0(xmpp_stanza_get_ns(query), GW_NS_DISCO_INFO) != 0) {
        malformed(error, "not a disco#info query", xmpp_stanza_get_name(query));
        return NULL;
    }
    for (xmpp_stanza_t *e = xmpp_stanza_get_children(query); e != NULL;
         e = xmpp_stanza_get_next(e)) {
        if (is_child_in(e, "identity", GW_NS_DISCO_INFO)) {
            if (!parse_identity(e, info->identities, error))
                return NULL;
        } else if (is_child_in(e, "feature", GW_NS_DISCO_INFO)) {
            const char *var = xmpp_stanza_get_attribute(e, "var");
            if (var == NULL) {
                malformed(error, "feature without var", NULL);
                return NULL;
            }
            g_ptr_array_add(info->features, g_strdup(var));
        } else if (is_element(e, "x") &&
                   g_strcmp0(xmpp_stanza_get_ns(e), NS_XDATA) == 0) {
            GwDiscoForm *form = NULL;
            if (!parse_form(e, &form, error))
                return NULL;
            if (form != NULL)
                g_ptr_array_add(info->forms, form);
        }
    }
    if (!within_bounds(info)) {
        /* real clients list ~20-150 features in a few KiB; a bigger
         * answer is kept for nobody (per JID, 100,000 of them would be
         * gigabytes): the caller treats it as failed, calls use JMI */
        malformed(error, "disco#info result too large", NULL);
        return NULL;
    }
    /* XEP-0115 5.4 3.3-3.5: duplicates make the whole response ill-formed */
    g_ptr_array_sort(info->identities, cmp_identity);
    g_ptr_array_sort(info->features, cmp_str);
    g_ptr_array_sort(info->forms, cmp_form);
    for (guint i = 1; i < info->identities->len; i++)
        if (cmp_identity(&g_ptr_array_index(info->identities, i - 1),
                         &g_ptr_array_index(info->identities, i)) == 0) {
            const GwDiscoIdentity *id = g_ptr_array_index(info->identities, i);
            malformed(error, "duplicate identity", id->category);
            return NULL;
        }
    for (guint i = 1; i < info->features->len; i++)
        if (cmp_str(&g_ptr_array_index(info->features, i - 1),
                    &g_ptr_array_index(info->features, i)) == 0) {
            malformed(error, "duplicate feature",
                      g_ptr_array_index(info->features, i));
            return NULL;
        }
    for (guint i = 1; i < info->forms->len; i++)
        if (cmp_form(&g_ptr_array_index(info->forms, i - 1),
                     &g_ptr_array_index(info->forms, i)) == 0) {
            const GwDiscoForm *f = g_ptr_array_index(info->forms, i);
            malformed(error, "two forms with FORM_TYPE", f->form_type);
            return NULL;
        }
    return g_steal_pointer(&info);
}

static gboolean
checksum_type(const char *hash, GChecksumType *type)
{
    /* IANA Hash Function Textual Names, as XEP-0115 4 asks */
    static const struct {
        const char *name;
        GChecksumType type;
    } rows[] = {
        { "sha-1", G_CHECKSUM_SHA1 },
        { "sha-256", G_CHECKSUM_SHA256 },
        { "sha-384", G_CHECKSUM_SHA384 },
        { "sha-512", G_CHECKSUM_SHA512 },
    };

    for (gsize i = 0; hash != NULL && i < G_N_ELEMENTS(rows); i++)
        if (g_ascii_strcasecmp(hash, rows[i].name) == 0) {
            *type = rows[i].type;
            return TRUE;
        }
    return FALSE;
}

/* XEP-0115 5.1: S = identities, features, then forms, each factor
 * followed by '<'. The identities, features and forms are sorted by
 * gw_disco_info_parse(); the values of each field here. */
char *
gw_caps_ver_build(const GwDiscoInfo *info, const char *hash, GError **error)
{
    g_autoptr(GString) s = g_string_sized_new(1024);
    g_autoptr(GChecksum) sum = NULL;
    GChecksumType type;
    guint8 digest[64];
    gsize len = sizeof digest;

    g_return_val_if_fail(info != NULL, NULL);
    if (!checksum_type(hash, &type)) {
        g_set_error(error, GW_CAPS_ERROR, GW_CAPS_ERROR_UNSUPPORTED,
                    "unsupported caps hash '%.32s'", hash ? hash : "");
        return NULL;
    }
    for (guint i = 0; i < info->identities->len; i++) {
        const GwDiscoIdentity *id = g_ptr_array_index(info->identities, i);
        g_string_append_printf(s, "%s/%s/%s/%s<", id->category, id->type,
                               id->lang ? id->lang : "",
                               id->name ? id->name : "");
    }
    for (guint i = 0; i < info->features->len; i++)
        g_string_append_printf(s, "%s<",
                               (const char *)g_ptr_array_index(info->features,
                                                               i));
    for (guint i = 0; i < info->forms->len; i++) {
        const GwDiscoForm *form = g_ptr_array_index(info->forms, i);
        g_string_append_printf(s, "%s<", form->form_type);
        for (guint j = 0; j < form->fields->len; j++) {
            const GwDiscoField *f = g_ptr_array_index(form->fields, j);
            /* borrowed pointers: g_ptr_array_copy() would keep the free
             * function too */
            g_autoptr(GPtrArray) values = g_ptr_array_sized_new(
                f->values->len);
            for (guint k = 0; k < f->values->len; k++)
                g_ptr_array_add(values, g_ptr_array_index(f->values, k));
            g_ptr_array_sort(values, cmp_str);
            g_string_append_printf(s, "%s<", f->var);
            for (guint k = 0; k < values->len; k++)
                g_string_append_printf(s, "%s<",
                                       (const char *)g_ptr_array_index(values,
                                                                       k));
        }
    }
    sum = g_checksum_new(type);
    g_checksum_update(sum, (const guchar *)s->str, (gssize)s->len);
    g_checksum_get_digest(sum, digest, &len);
    return g_base64_encode(digest, len);
}

/* ---- the cache ---------------------------------------------------------- */

typedef struct Query Query;

typedef struct {
    char *key;            /* "hash\nver" */
    GHashTable *features; /* set of var strings */
    guint64 used;         /* LRU stamp */
} VerEntry;

typedef struct {
    char *full;
    char *bare;
    char *hash, *node, *ver; /* the <c/> as last seen (NULL: none) */
    char *key;               /* "hash\nver" when verifiable, else NULL */
    GHashTable *features;    /* (ref) once known for this JID */
    Query *query;            /* our own query in flight, or NULL */
    gboolean failed;
} JidEntry;

struct Query {
    GwCaps *caps;
    char *id;
    char *full; /* asked */
    char *bare; /* its user, counted in GwCaps.user_queries */
    char *from; /* the component JID we asked from */
    char *key;  /* NULL: the result is kept for `full` only */
    char *hash;
    char *ver;
    guint timer_id;
};

struct GwCaps {
    GwCapsLimits limits;
    GwCapsSendFunc send;
    gpointer user_data;
    GHashTable *vers;    /* key -> VerEntry* */
    GHashTable *jids;    /* full -> JidEntry* */
    GHashTable *users;   /* bare -> set of full (keys borrowed from jids) */
    GHashTable *queries; /* id -> Query* */
    GHashTable *by_key;  /* key -> Query* in flight (borrowed) */
    GHashTable *user_queries; /* bare -> queries in flight to her JIDs */
    guint64 next_id;
    guint64 clock;
    GwCapsStats stats;
};

static void
ver_entry_free(gpointer p)
{
    VerEntry *v = p;

    g_free(v->key);
    g_hash_table_unref(v->features);
    g_free(v);
}

static void
jid_entry_free(gpointer p)
{
    JidEntry *e = p;

    g_free(e->full);
    g_free(e->bare);
    g_free(e->hash);
    g_free(e->node);
    g_free(e->ver);
    g_free(e->key);
    g_clear_pointer(&e->features, g_hash_table_unref);
    g_free(e);
}

static void
query_free(gpointer p)
{
    Query *q = p;
    guint n = GPOINTER_TO_UINT(
        g_hash_table_lookup(q->caps->user_queries, q->bare));

    if (n > 1)
        g_hash_table_insert(q->caps->user_queries, g_strdup(q->bare),
                            GUINT_TO_POINTER(n - 1));
    else
        g_hash_table_remove(q->caps->user_queries, q->bare);
    g_clear_handle_id(&q->timer_id, g_source_remove);
    g_free(q->id);
    g_free(q->full);
    g_free(q->bare);
    g_free(q->from);
    g_free(q->key);
    g_free(q->hash);
    g_free(q->ver);
    g_free(q);
}

GwCaps *
gw_caps_new(const GwCapsLimits *limits, GwCapsSendFunc send,
            gpointer user_data)
{
    GwCaps *caps;

    g_return_val_if_fail(limits != NULL && send != NULL, NULL);
    caps = g_new0(GwCaps, 1);
    caps->limits = *limits;
    caps->send = send;
    caps->user_data = user_data;
    caps->vers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                       ver_entry_free);
    caps->jids = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                       jid_entry_free);
    caps->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)g_hash_table_unref);
    caps->queries = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                          query_free);
    caps->by_key = g_hash_table_new(g_str_hash, g_str_equal);
    caps->user_queries = g_hash_table_new_full(g_str_hash, g_str_equal,
                                               g_free, NULL);
    return caps;
}

void
gw_caps_free(GwCaps *caps)
{
    if (caps == NULL)
        return;
    g_hash_table_unref(caps->by_key);
    g_hash_table_unref(caps->queries); /* before user_queries */
    g_hash_table_unref(caps->user_queries);
    g_hash_table_unref(caps->users);
    g_hash_table_unref(caps->jids);
    g_hash_table_unref(caps->vers);
    g_free(caps);
}

static GHashTable *
feature_set(const GwDiscoInfo *info)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            NULL);

    for (guint i = 0; i < info->features->len; i++)
        g_hash_table_add(set, g_strdup(g_ptr_array_index(info->features, i)));
    return set;
}

/* Keeps a verified 'ver'; the least recently used one goes when full. */
static void
ver_store(GwCaps *caps, const char *key, GHashTable *features)
{
    VerEntry *v;

    if (caps->limits.max_vers == 0 ||
        g_hash_table_contains(caps->vers, key))
        return;
    if (g_hash_table_size(caps->vers) >= caps->limits.max_vers) {
        GHashTableIter it;
        gpointer val;
        VerEntry *oldest = NULL;

        g_hash_table_iter_init(&it, caps->vers);
        while (g_hash_table_iter_next(&it, NULL, &val))
            if (oldest == NULL || ((VerEntry *)val)->used < oldest->used)
                oldest = val;
        g_debug("caps: %u 'ver' values cached; forgetting the oldest",
                g_hash_table_size(caps->vers));
        g_hash_table_remove(caps->vers, oldest->key);
    }
    v = g_new0(VerEntry, 1);
    v->key = g_strdup(key);
    v->features = g_hash_table_ref(features);
    v->used = ++caps->clock;
    g_hash_table_insert(caps->vers, v->key, v);
}

static void
jid_remove(GwCaps *caps, JidEntry *e)
{
    GHashTable *set = g_hash_table_lookup(caps->users, e->bare);

    if (set != NULL) {
        g_hash_table_remove(set, e->full);
        if (g_hash_table_size(set) == 0)
            g_hash_table_remove(caps->users, e->bare);
    }
    g_hash_table_remove(caps->jids, e->full); /* frees e */
}

static gboolean on_query_timeout(gpointer data);

/* Asks `e` for its disco#info; node: "node#ver" or NULL. FALSE when the
 * bound on queries in flight is reached (nothing sent). */
static gboolean
query_start(GwCaps *caps, JidEntry *e, const char *from, const char *node,
            const char *key)
{
    Query *q;
    GString *x;
    guint mine = GPOINTER_TO_UINT(
        g_hash_table_lookup(caps->user_queries, e->bare));

    if (g_hash_table_size(caps->queries) >= caps->limits.max_pending) {
        g_info("caps: %u disco#info queries in flight; %s not asked",
               g_hash_table_size(caps->queries), e->full);
        return FALSE;
    }
    /* a query outlives its JID's entry (new caps, unavailable): without
     * this, one client cycling its 'ver' or resources would hold every
     * slot of max_pending until the timeouts and nobody else is asked */
    if (mine >= caps->limits.max_per_user) {
        g_info("caps: %u disco#info queries to %s in flight; %s not asked",
               mine, e->bare, e->full);
        return FALSE;
    }
    q = g_new0(Query, 1);
    q->caps = caps;
    q->id = g_strdup_printf(ID_PREFIX "%" G_GUINT64_FORMAT, ++caps->next_id);
    q->full = g_strdup(e->full);
    q->bare = g_strdup(e->bare);
    g_hash_table_insert(caps->user_queries, g_strdup(e->bare),
                        GUINT_TO_POINTER(mine + 1));
    q->from = g_strdup(from);
    q->key = g_strdup(key);
    q->hash = g_strdup(key ? e->hash : NULL);
    q->ver = g_strdup(key ? e->ver : NULL);
    q->timer_id = g_timeout_add(MAX(caps->limits.timeout_ms, 1),
                                on_query_timeout, q);
    g_hash_table_insert(caps->queries, q->id, q);
    if (q->key != NULL)
        g_hash_table_insert(caps->by_key, q->key, q);
    e->query = q;
    caps->stats.queries++;

    x = gw_stanza_begin("iq", "get", from, e->full, q->id);
    g_string_append(x, "<query xmlns='" GW_NS_DISCO_INFO "'");
    gw_xml_append_attr(x, "node", node);
    g_string_append(x, "/>");
    gw_stanza_end(x, "iq");
    g_debug("caps: asking %s for disco#info%s%s", e->full,
            node ? " of " : "", node ? node : "");
    caps->send(x, caps->user_data);
    return TRUE;
}

/* Starts the query `e`'s caps call for, or leaves it waiting for one in
 * flight for its 'ver'. FALSE: not asked (e is removed). */
static gboolean
jid_ask(GwCaps *caps, JidEntry *e, const char *from)
{
    g_autofree char *node = NULL;

    if (e->key != NULL && g_hash_table_contains(caps->by_key, e->key))
        return TRUE; /* someone else's answer will do */
    if (e->ver != NULL && e->hash != NULL)
        node = e->node ? g_strconcat(e->node, "#", e->ver, NULL) : NULL;
    /* legacy caps (no hash) and none at all: the whole disco#info */
    if (!query_start(caps, e, from, node, e->key)) {
        jid_remove(caps, e);
        return FALSE;
    }
    return TRUE;
}

/* A query for `key` ended without verifying it: the next JID waiting for
 * that 'ver' is asked in turn (XEP-0115 5.4 3.9). */
static void
kick_waiting(GwCaps *caps, const char *key, const char *from)
{
    GHashTableIter it;
    gpointer v;
    JidEntry *next = NULL;

    if (g_hash_table_contains(caps->by_key, key) ||
        g_hash_table_contains(caps->vers, key))
        return;
    g_hash_table_iter_init(&it, caps->jids);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        JidEntry *e = v;
        if (g_strcmp0(e->key, key) == 0 && e->features == NULL &&
            e->query == NULL && !e->failed) {
            next = e;
            break;
        }
    }
    if (next != NULL)
        jid_ask(caps, next, from); /* removes it if not possible */
}

/* Every JID waiting for the answer about `key` takes it now, not at its
 * next gw_caps_lookup(): by then a flood of other verified 'ver' values may
 * have evicted `key` from the LRU (or max_vers is 0), and the JID would
 * stay UNKNOWN, never asked again while its caps stay the same. */
static void
share_verified(GwCaps *caps, const char *key, GHashTable *set)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, caps->jids);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        JidEntry *e = v;
        if (e->features == NULL && e->query == NULL &&
            g_strcmp0(e->key, key) == 0) {
            e->features = g_hash_table_ref(set);
            e->failed = FALSE;
        }
    }
}

/* The answer to q (iq), or its timeout (iq NULL). q is out of the tables'
 * reach afterwards; the caller frees it. */
static void
query_done(GwCaps *caps, Query *q, xmpp_stanza_t *iq)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GwDiscoInfo) info = NULL;
    g_autoptr(GHashTable) set = NULL;
    g_autofree char *ver = NULL;
    JidEntry *e = g_hash_table_lookup(caps->jids, q->full);
    gboolean verified = FALSE;

    if (q->key != NULL && g_hash_table_lookup(caps->by_key, q->key) == q)
        g_hash_table_remove(caps->by_key, q->key);
    if (e != NULL && e->query == q)
        e->query = NULL;
    else
        e = NULL; /* forgotten, or its caps changed since */

    if (iq == NULL) {
        g_info("caps: %s did not answer disco#info in %u ms", q->full,
               caps->limits.timeout_ms);
    } else if (g_strcmp0(xmpp_stanza_get_type(iq), "error") == 0) {
        const char *cond = gw_stanza_error_condition(iq);
        g_info("caps: %s answered disco#info with an error (%s)", q->full,
               cond ? cond : "no condition");
    } else {
        xmpp_stanza_t *query = gw_stanza_child(iq, "query", GW_NS_DISCO_INFO);
        info = query ? gw_disco_info_parse(query, &error) : NULL;
        if (info == NULL)
            g_info("caps: unusable disco#info result from %s: %s", q->full,
                   error ? error->message : "no disco#info query");
    }
    if (info != NULL) {
        set = feature_set(info);
        if (q->key != NULL) {
            ver = gw_caps_ver_build(info, q->hash, &error);
            verified = ver != NULL && strcmp(ver, q->ver) == 0;
        }
        if (verified) {
            ver_store(caps, q->key, set);
            share_verified(caps, q->key, set);
            caps->stats.verified++;
            g_info("caps: %s 'ver' %s verified (%u features)", q->full,
                   q->ver, g_hash_table_size(set));
        } else if (q->key != NULL) {
            caps->stats.mismatched++;
            g_info("caps: %s says 'ver' %s but its disco#info hashes to %s: "
                   "kept for this JID only", q->full, q->ver,
                   ver ? ver : "?");
        } else {
            g_info("caps: %s has %u features (not cached by 'ver')",
                   q->full, g_hash_table_size(set));
        }
    } else {
        caps->stats.failed++;
    }
    if (e != NULL) {
        if (set != NULL)
            e->features = g_hash_table_ref(set);
        else
            e->failed = TRUE;
    }
    if (q->key != NULL && !verified)
        kick_waiting(caps, q->key, q->from);
}

static gboolean
on_query_timeout(gpointer data)
{
    Query *q = data;
    GwCaps *caps = q->caps;

    q->timer_id = 0;
    g_hash_table_steal(caps->queries, q->id);
    query_done(caps, q, NULL);
    query_free(q);
    return G_SOURCE_REMOVE;
}

gboolean
gw_caps_iq(GwCaps *caps, xmpp_stanza_t *iq)
{
    const char *id = xmpp_stanza_get_id(iq);
    const char *type = xmpp_stanza_get_type(iq);
    Query *q;

    g_return_val_if_fail(caps != NULL && iq != NULL, FALSE);
    if (id == NULL || !g_str_has_prefix(id, ID_PREFIX) || type == NULL ||
        (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
        return FALSE;
    q = g_hash_table_lookup(caps->queries, id);
    if (q == NULL) {
        g_debug("caps: late or unknown answer %s", id);
        return TRUE;
    }
    if (g_strcmp0(xmpp_stanza_get_from(iq), q->full) != 0) {
        g_info("caps: answer to %s came from %s, not %s: ignored", id,
               xmpp_stanza_get_from(iq) ? xmpp_stanza_get_from(iq) : "-",
               q->full);
        return TRUE;
    }
    g_hash_table_steal(caps->queries, id);
    query_done(caps, q, iq);
    query_free(q);
    return TRUE;
}

static gboolean
same_caps(const JidEntry *e, const char *hash, const char *node,
          const char *ver)
{
    return g_strcmp0(e->hash, hash) == 0 && g_strcmp0(e->node, node) == 0 &&
           g_strcmp0(e->ver, ver) == 0;
}

/* A new entry for `full`, or NULL past a bound. */
static JidEntry *
jid_add(GwCaps *caps, const char *full)
{
    const char *slash = strchr(full, '/');
    g_autofree char *bare = slash ? g_strndup(full, (gsize)(slash - full))
                                  : g_strdup(full);
    GHashTable *set = g_hash_table_lookup(caps->users, bare);
    JidEntry *e;

    if (g_hash_table_size(caps->jids) >= caps->limits.max_jids) {
        g_info("caps: %u resources tracked; %s is not",
               g_hash_table_size(caps->jids), full);
        return NULL;
    }
    if (set != NULL && g_hash_table_size(set) >= caps->limits.max_per_user) {
        g_info("caps: %u resources of %s tracked; %s is not",
               g_hash_table_size(set), bare, full);
        return NULL;
    }
    if (set == NULL) {
        set = g_hash_table_new(g_str_hash, g_str_equal);
        g_hash_table_insert(caps->users, g_strdup(bare), set);
    }
    e = g_new0(JidEntry, 1);
    e->full = g_strdup(full);
    e->bare = g_steal_pointer(&bare);
    g_hash_table_insert(caps->jids, e->full, e);
    g_hash_table_add(set, e->full);
    return e;
}

void
gw_caps_presence(GwCaps *caps, const char *full, const char *to,
                 xmpp_stanza_t *presence)
{
    xmpp_stanza_t *c;
    const char *hash = NULL, *node = NULL, *ver = NULL;
    GChecksumType type;
    JidEntry *e;

    g_return_if_fail(caps != NULL && full != NULL && to != NULL);
    c = presence ? gw_stanza_child(presence, "c", GW_NS_CAPS) : NULL;
    if (c != NULL) {
        hash = xmpp_stanza_get_attribute(c, "hash");
        node = xmpp_stanza_get_attribute(c, "node");
        ver = xmpp_stanza_get_attribute(c, "ver");
    }
    if (ver == NULL || *ver == '\0')
        hash = node = ver = NULL; /* nothing to go by: as without <c/> */
    if (hash != NULL && *hash == '\0')
        hash = NULL;
    e = g_hash_table_lookup(caps->jids, full);
    if (e != NULL && same_caps(e, hash, node, ver))
        return; /* every presence repeats its caps (XEP-0115 6.1) */
    if (e != NULL) {
        jid_remove(caps, e); /* new caps: start over */
        e = NULL;
    }
    if ((e = jid_add(caps, full)) == NULL)
        return;
    e->hash = g_strdup(hash);
    e->node = g_strdup(node);
    e->ver = g_strdup(ver);
    if (hash != NULL && checksum_type(hash, &type)) {
        VerEntry *v;
        e->key = g_strconcat(hash, "\n", ver, NULL);
        if ((v = g_hash_table_lookup(caps->vers, e->key)) != NULL) {
            /* known: taken now, an eviction before the next lookup would
             * leave this JID UNKNOWN for as long as its caps stay */
            v->used = ++caps->clock;
            e->features = g_hash_table_ref(v->features);
            return;
        }
    } else if (hash != NULL) {
        /* XEP-0115 5.4 step 2: ask, keep the answer for this JID only */
        g_info("caps: %s uses hash '%.32s', which we do not implement",
               full, hash);
    }
    jid_ask(caps, e, to);
}

void
gw_caps_forget(GwCaps *caps, const char *jid)
{
    GHashTable *set;
    g_autoptr(GPtrArray) fulls = NULL;

    g_return_if_fail(caps != NULL && jid != NULL);
    if (strchr(jid, '/') != NULL) {
        JidEntry *e = g_hash_table_lookup(caps->jids, jid);
        if (e != NULL)
            jid_remove(caps, e);
        return;
    }
    set = g_hash_table_lookup(caps->users, jid);
    if (set == NULL)
        return;
    /* not while walking the set jid_remove() edits */
    fulls = g_ptr_array_new_with_free_func(g_free);
    {
        GHashTableIter it;
        gpointer k;
        g_hash_table_iter_init(&it, set);
        while (g_hash_table_iter_next(&it, &k, NULL))
            g_ptr_array_add(fulls, g_strdup(k));
    }
    for (guint i = 0; i < fulls->len; i++) {
        JidEntry *e = g_hash_table_lookup(caps->jids,
                                          g_ptr_array_index(fulls, i));
        if (e != NULL)
            jid_remove(caps, e);
    }
}

GwCapsState
gw_caps_lookup(GwCaps *caps, const char *full, GHashTable **features)
{
    JidEntry *e;

    g_return_val_if_fail(caps != NULL && full != NULL, GW_CAPS_UNKNOWN);
    e = g_hash_table_lookup(caps->jids, full);
    if (e == NULL)
        return GW_CAPS_UNKNOWN;
    if (e->features == NULL && e->key != NULL) {
        VerEntry *v = g_hash_table_lookup(caps->vers, e->key);
        if (v != NULL) {
            v->used = ++caps->clock;
            e->features = g_hash_table_ref(v->features);
        }
    }
    if (e->features != NULL) {
        if (features != NULL)
            *features = g_hash_table_ref(e->features);
        return GW_CAPS_KNOWN;
    }
    if (e->failed)
        return GW_CAPS_FAILED;
    if (e->query != NULL ||
        (e->key != NULL && g_hash_table_contains(caps->by_key, e->key)))
        return GW_CAPS_PENDING;
    return GW_CAPS_UNKNOWN;
}

void
gw_caps_get_stats(const GwCaps *caps, GwCapsStats *stats)
{
    *stats = caps->stats;
    stats->vers = g_hash_table_size(caps->vers);
    stats->jids = g_hash_table_size(caps->jids);
    stats->pending = g_hash_table_size(caps->queries);
}
