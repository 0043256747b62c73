/* gateway/core/bencode.c: the bencode value model, canonical encoder and strict,
 * bounded decoder (BEP 3) used by the rtpengine ng client. A pure core.
 *
 * Decoder bounds: every read is preceded by a check against the input
 * length; a string length is compared with the bytes left before anything
 * is allocated, so the memory used is at most a small multiple of the
 * input; nesting stops at GW_BENCODE_MAX_DEPTH, so the recursion is
 * bounded too. Dictionary keys are indexed in a hash table, so duplicate
 * detection and lookups stay linear for the large dictionaries a `query`
 * answer can hold.
 */
#include "bencode.h"

#include <stdarg.h>
#include <string.h>

/* clang-format off */
G_DEFINE_QUARK(gw-bencode-error-quark, gw_bencode_error)
/* clang-format on */

typedef struct {
    char *data; /* always NUL-terminated, the NUL not counted in len */
    gsize len;
} BStr;

typedef struct {
    BStr key; /* first member: the index hashes DictEntry * as BStr * */
    GwBencode *value;
} DictEntry;

struct _GwBencode {
    GwBencodeType type;
    union {
        gint64 i;
        BStr s;
        GPtrArray *list; /* GwBencode *, owned */
        struct {
            GPtrArray *entries; /* DictEntry *, owned, insertion order */
            GHashTable *index;  /* BStr * (an entry's key) -> DictEntry * */
        } d;
    } u;
};

/* ---- byte strings ----------------------------------------------------- */

static void
bstr_init(BStr *s, const void *data, gsize len)
{
    s->data = g_malloc(len + 1);
    if (len > 0)
        memcpy(s->data, data, len);
    s->data[len] = '\0';
    s->len = len;
}

static guint
bstr_hash(gconstpointer p)
{
    const BStr *s = p;
    guint32 h = 2166136261u; /* FNV-1a */

    for (gsize i = 0; i < s->len; i++) {
        h ^= (guint8)s->data[i];
        h *= 16777619u;
    }
    return h;
}

static gboolean
bstr_equal(gconstpointer a, gconstpointer b)
{
    const BStr *x = a, *y = b;

    return x->len == y->len && memcmp(x->data, y->data, x->len) == 0;
}

/* Raw byte order, a prefix before its extensions (BEP 3 key order). */
static int
bstr_compare(const BStr *x, const BStr *y)
{
    int c = memcmp(x->data, y->data, MIN(x->len, y->len));

    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
}

/* ---- construction and destruction ------------------------------------ */

static GwBencode *
value_new(GwBencodeType type)
{
    GwBencode *v = g_new0(GwBencode, 1);

    v->type = type;
    return v;
}

GwBencode *
gw_bencode_int_new(gint64 value)
{
    GwBencode *v = value_new(GW_BENCODE_INT);

    v->u.i = value;
    return v;
}

GwBencode *
gw_bencode_bytes_new(const void *data, gsize len)
{
    GwBencode *v;

    g_return_val_if_fail(data != NULL || len == 0, NULL);
    v = value_new(GW_BENCODE_STRING);
    bstr_init(&v->u.s, data, len);
    return v;
}

GwBencode *
gw_bencode_string_new(const char *value)
{
    g_return_val_if_fail(value != NULL, NULL);
    return gw_bencode_bytes_new(value, strlen(value));
}

GwBencode *
gw_bencode_list_new(void)
{
    GwBencode *v = value_new(GW_BENCODE_LIST);

    v->u.list = g_ptr_array_new_with_free_func((GDestroyNotify)gw_bencode_free);
    return v;
}

static void
dict_entry_free(gpointer p)
{
    DictEntry *e = p;

    g_free(e->key.data);
    gw_bencode_free(e->value);
    g_free(e);
}

GwBencode *
gw_bencode_dict_new(void)
{
    GwBencode *v = value_new(GW_BENCODE_DICT);

    v->u.d.entries = g_ptr_array_new_with_free_func(dict_entry_free);
    v->u.d.index = g_hash_table_new(bstr_hash, bstr_equal);
    return v;
}

void
gw_bencode_free(GwBencode *value)
{
    if (value == NULL)
        return;
    switch (value->type) {
    case GW_BENCODE_INT:
        break;
    case GW_BENCODE_STRING:
        g_free(value->u.s.data);
        break;
    case GW_BENCODE_LIST:
        g_ptr_array_unref(value->u.list);
        break;
    case GW_BENCODE_DICT:
        g_hash_table_unref(value->u.d.index);
        g_ptr_array_unref(value->u.d.entries);
        break;
    }
    g_free(value);
}

static DictEntry *
dict_lookup(const GwBencode *dict, const void *key, gsize len)
{
    BStr probe = {(char *)key, len};

    return g_hash_table_lookup(dict->u.d.index, &probe);
}

/* Appends a new key (the caller checked it is absent). Takes `value`. */
static void
dict_append(GwBencode *dict, const void *key, gsize len, GwBencode *value)
{
    DictEntry *e = g_new0(DictEntry, 1);

    bstr_init(&e->key, key, len);
    e->value = value;
    g_ptr_array_add(dict->u.d.entries, e);
    g_hash_table_add(dict->u.d.index, e);
}

GwBencode *
gw_bencode_copy(const GwBencode *value)
{
    GwBencode *copy;

    if (value == NULL)
        return NULL;
    switch (value->type) {
    case GW_BENCODE_INT:
        return gw_bencode_int_new(value->u.i);
    case GW_BENCODE_STRING:
        return gw_bencode_bytes_new(value->u.s.data, value->u.s.len);
    case GW_BENCODE_LIST:
        copy = gw_bencode_list_new();
        for (guint i = 0; i < value->u.list->len; i++)
            g_ptr_array_add(copy->u.list,
                            gw_bencode_copy(value->u.list->pdata[i]));
        return copy;
    case GW_BENCODE_DICT:
        copy = gw_bencode_dict_new();
        for (guint i = 0; i < value->u.d.entries->len; i++) {
            const DictEntry *e = value->u.d.entries->pdata[i];
            dict_append(copy, e->key.data, e->key.len,
                        gw_bencode_copy(e->value));
        }
        return copy;
    }
    g_assert_not_reached();
}

GwBencodeType
gw_bencode_get_type(const GwBencode *value)
{
    g_return_val_if_fail(value != NULL, GW_BENCODE_INT);
    return value->type;
}

gboolean
gw_bencode_equal(const GwBencode *a, const GwBencode *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->type != b->type)
        return FALSE;
    switch (a->type) {
    case GW_BENCODE_INT:
        return a->u.i == b->u.i;
    case GW_BENCODE_STRING:
        return bstr_equal(&a->u.s, &b->u.s);
    case GW_BENCODE_LIST:
        if (a->u.list->len != b->u.list->len)
            return FALSE;
        for (guint i = 0; i < a->u.list->len; i++)
            if (!gw_bencode_equal(a->u.list->pdata[i], b->u.list->pdata[i]))
                return FALSE;
        return TRUE;
    case GW_BENCODE_DICT:
        if (a->u.d.entries->len != b->u.d.entries->len)
            return FALSE;
        for (guint i = 0; i < a->u.d.entries->len; i++) {
            const DictEntry *e = a->u.d.entries->pdata[i];
            const DictEntry *f = dict_lookup(b, e->key.data, e->key.len);
            if (f == NULL || !gw_bencode_equal(e->value, f->value))
                return FALSE;
        }
        return TRUE;
    }
    g_assert_not_reached();
}

/* ---- scalars and lists ------------------------------------------------ */

gboolean
gw_bencode_get_int(const GwBencode *value, gint64 *out)
{
    if (value == NULL || value->type != GW_BENCODE_INT)
        return FALSE;
    if (out != NULL)
        *out = value->u.i;
    return TRUE;
}

const char *
gw_bencode_peek_string(const GwBencode *value, gsize *len)
{
    if (value == NULL || value->type != GW_BENCODE_STRING)
        return NULL;
    if (len != NULL)
        *len = value->u.s.len;
    return value->u.s.data;
}

void
gw_bencode_list_take(GwBencode *list, GwBencode *item)
{
    g_return_if_fail(list != NULL && list->type == GW_BENCODE_LIST);
    g_return_if_fail(item != NULL && item != list);
    g_ptr_array_add(list->u.list, item);
}

void
gw_bencode_list_append_string(GwBencode *list, const char *value)
{
    g_return_if_fail(value != NULL);
    gw_bencode_list_take(list, gw_bencode_string_new(value));
}

void
gw_bencode_list_append_int(GwBencode *list, gint64 value)
{
    gw_bencode_list_take(list, gw_bencode_int_new(value));
}

guint
gw_bencode_list_length(const GwBencode *list)
{
    if (list == NULL || list->type != GW_BENCODE_LIST)
        return 0;
    return list->u.list->len;
}

const GwBencode *
gw_bencode_list_peek(const GwBencode *list, guint index)
{
    if (list == NULL || list->type != GW_BENCODE_LIST ||
        index >= list->u.list->len)
        return NULL;
    return list->u.list->pdata[index];
}

/* ---- dictionaries ----------------------------------------------------- */

void
gw_bencode_dict_take(GwBencode *dict, const char *key, GwBencode *value)
{
    DictEntry *e;

    g_return_if_fail(dict != NULL && dict->type == GW_BENCODE_DICT);
    g_return_if_fail(key != NULL && value != NULL && value != dict);
    e = dict_lookup(dict, key, strlen(key));
    if (e != NULL) {
        gw_bencode_free(e->value);
        e->value = value;
        return;
    }
    dict_append(dict, key, strlen(key), value);
}

void
gw_bencode_dict_set_string(GwBencode *dict, const char *key, const char *value)
{
    g_return_if_fail(value != NULL);
    gw_bencode_dict_take(dict, key, gw_bencode_string_new(value));
}

void
gw_bencode_dict_set_bytes(GwBencode *dict, const char *key, const void *data,
                          gsize len)
{
    g_return_if_fail(data != NULL || len == 0);
    gw_bencode_dict_take(dict, key, gw_bencode_bytes_new(data, len));
}

void
gw_bencode_dict_set_int(GwBencode *dict, const char *key, gint64 value)
{
    gw_bencode_dict_take(dict, key, gw_bencode_int_new(value));
}

void
gw_bencode_dict_set_list(GwBencode *dict, const char *key, const char *first,
                         ...)
{
    GwBencode *list = gw_bencode_list_new();
    va_list ap;

    va_start(ap, first);
    for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
        gw_bencode_list_append_string(list, s);
    va_end(ap);
    gw_bencode_dict_take(dict, key, list);
}

void
gw_bencode_dict_set_strv(GwBencode *dict, const char *key,
                         const char *const *values)
{
    GwBencode *list = gw_bencode_list_new();

    for (guint i = 0; values != NULL && values[i] != NULL; i++)
        gw_bencode_list_append_string(list, values[i]);
    gw_bencode_dict_take(dict, key, list);
}

gboolean
gw_bencode_dict_remove(GwBencode *dict, const char *key)
{
    DictEntry *e;

    g_return_val_if_fail(dict != NULL && dict->type == GW_BENCODE_DICT, FALSE);
    g_return_val_if_fail(key != NULL, FALSE);
    e = dict_lookup(dict, key, strlen(key));
    if (e == NULL)
        return FALSE;
    g_hash_table_remove(dict->u.d.index, e);
    g_ptr_array_remove(dict->u.d.entries, e); /* frees it, keeps order */
    return TRUE;
}

const GwBencode *
gw_bencode_dict_peek(const GwBencode *dict, const char *key)
{
    const DictEntry *e;

    if (dict == NULL || dict->type != GW_BENCODE_DICT || key == NULL)
        return NULL;
    e = dict_lookup(dict, key, strlen(key));
    return e != NULL ? e->value : NULL;
}

const char *
gw_bencode_dict_get_string(const GwBencode *dict, const char *key, gsize *len)
{
    return gw_bencode_peek_string(gw_bencode_dict_peek(dict, key), len);
}

gboolean
gw_bencode_dict_get_int(const GwBencode *dict, const char *key, gint64 *out)
{
    return gw_bencode_get_int(gw_bencode_dict_peek(dict, key), out);
}

const GwBencode *
gw_bencode_dict_get_list(const GwBencode *dict, const char *key)
{
    const GwBencode *v = gw_bencode_dict_peek(dict, key);

    return v != NULL && v->type == GW_BENCODE_LIST ? v : NULL;
}

const GwBencode *
gw_bencode_dict_get_dict(const GwBencode *dict, const char *key)
{
    const GwBencode *v = gw_bencode_dict_peek(dict, key);

    return v != NULL && v->type == GW_BENCODE_DICT ? v : NULL;
}

guint
gw_bencode_dict_size(const GwBencode *dict)
{
    if (dict == NULL || dict->type != GW_BENCODE_DICT)
        return 0;
    return dict->u.d.entries->len;
}

const char *
gw_bencode_dict_peek_key(const GwBencode *dict, guint index, gsize *len)
{
    const DictEntry *e;

    if (index >= gw_bencode_dict_size(dict))
        return NULL;
    e = dict->u.d.entries->pdata[index];
    if (len != NULL)
        *len = e->key.len;
    return e->key.data;
}

const GwBencode *
gw_bencode_dict_peek_value(const GwBencode *dict, guint index)
{
    if (index >= gw_bencode_dict_size(dict))
        return NULL;
    return ((const DictEntry *)dict->u.d.entries->pdata[index])->value;
}

/* ---- encoder ---------------------------------------------------------- */

static void
append_bstr(GByteArray *out, const BStr *s)
{
    char head[32];
    int n = g_snprintf(head, sizeof head, "%" G_GSIZE_FORMAT ":", s->len);

    g_byte_array_append(out, (const guint8 *)head, (guint)n);
    g_byte_array_append(out, (const guint8 *)s->data, (guint)s->len);
}

static gint
entry_compare(gconstpointer a, gconstpointer b)
{
    const DictEntry *x = *(const DictEntry *const *)a;
    const DictEntry *y = *(const DictEntry *const *)b;

    return bstr_compare(&x->key, &y->key);
}

static void
encode_value(GByteArray *out, const GwBencode *v)
{
    char num[32];
    int n;

    switch (v->type) {
    case GW_BENCODE_INT:
        n = g_snprintf(num, sizeof num, "i%" G_GINT64_FORMAT "e", v->u.i);
        g_byte_array_append(out, (const guint8 *)num, (guint)n);
        break;
    case GW_BENCODE_STRING:
        append_bstr(out, &v->u.s);
        break;
    case GW_BENCODE_LIST:
        g_byte_array_append(out, (const guint8 *)"l", 1);
        for (guint i = 0; i < v->u.list->len; i++)
            encode_value(out, v->u.list->pdata[i]);
        g_byte_array_append(out, (const guint8 *)"e", 1);
        break;
    case GW_BENCODE_DICT: {
        /* BEP 3: keys sorted as raw strings; our order is insertion. */
        g_autoptr(GPtrArray) sorted =
            g_ptr_array_sized_new(v->u.d.entries->len);

        for (guint i = 0; i < v->u.d.entries->len; i++)
            g_ptr_array_add(sorted, v->u.d.entries->pdata[i]);
        g_ptr_array_sort(sorted, entry_compare);
        g_byte_array_append(out, (const guint8 *)"d", 1);
        for (guint i = 0; i < sorted->len; i++) {
            const DictEntry *e = sorted->pdata[i];
            append_bstr(out, &e->key);
            encode_value(out, e->value);
        }
        g_byte_array_append(out, (const guint8 *)"e", 1);
        break;
    }
    }
}

GBytes *
gw_bencode_encode(const GwBencode *value)
{
    GByteArray *out;

    g_return_val_if_fail(value != NULL, NULL);
    out = g_byte_array_new();
    encode_value(out, value);
    return g_byte_array_free_to_bytes(out);
}

/* ---- decoder ---------------------------------------------------------- */

typedef struct {
    const guint8 *data;
    gsize len;
    gsize pos;
    GError **error;
} Reader;

static gboolean G_GNUC_PRINTF(3, 4)
    reader_fail(Reader *r, gsize at, const char *format, ...)
{
    g_autofree char *what = NULL;
    va_list ap;

    va_start(ap, format);
    what = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_set_error(r->error, GW_BENCODE_ERROR, GW_BENCODE_ERROR_MALFORMED,
                "bencode: byte %" G_GSIZE_FORMAT ": %s", at, what);
    return FALSE;
}

static gboolean
is_digit(guint8 c)
{
    return c >= '0' && c <= '9';
}

/* Reads canonical decimal digits up to `end` (consumed): at least one
 * digit, no leading zero unless the number is 0, '-' only when `signed_`
 * and never before 0. The magnitude must fit in `limit` (negative numbers
 * may reach limit + 1, i.e. G_MININT64). */
static gboolean
read_decimal(Reader *r, guint8 end, gboolean signed_, guint64 limit,
             gboolean *negative, guint64 *magnitude)
{
    gsize start = r->pos;
    guint64 n = 0;
    gboolean neg = FALSE;

    if (signed_ && r->pos < r->len && r->data[r->pos] == '-') {
        neg = TRUE;
        r->pos++;
    }
    if (r->pos >= r->len)
        return reader_fail(r, r->pos, "unexpected end of input in a number");
    if (!is_digit(r->data[r->pos]))
        return reader_fail(r, r->pos, "expected a digit, found 0x%02x",
                           r->data[r->pos]);
    if (r->data[r->pos] == '0' && r->pos + 1 < r->len &&
        is_digit(r->data[r->pos + 1]))
        return reader_fail(r, r->pos, "number with a leading zero");
    if (neg && r->data[r->pos] == '0')
        return reader_fail(r, start, "negative zero");
    while (r->pos < r->len && is_digit(r->data[r->pos])) {
        guint d = r->data[r->pos] - '0';
        guint64 max = neg ? limit + 1 : limit;

        if (n > (max - d) / 10)
            return reader_fail(r, start, "number out of range");
        n = n * 10 + d;
        r->pos++;
    }
    if (r->pos >= r->len)
        return reader_fail(r, r->pos, "unexpected end of input in a number");
    if (r->data[r->pos] != end)
        return reader_fail(r, r->pos, "expected '%c', found 0x%02x", end,
                           r->data[r->pos]);
    r->pos++;
    *negative = neg;
    *magnitude = n;
    return TRUE;
}

/* A length-prefixed byte string; the length must fit in what is left.
 * Returns a borrowed view of the input. */
static gboolean
read_bytes(Reader *r, const guint8 **bytes, gsize *len)
{
    gsize start = r->pos;
    gboolean neg;
    guint64 n;

    if (!read_decimal(r, ':', FALSE, G_MAXSIZE, &neg, &n))
        return FALSE;
    if (n > r->len - r->pos)
        return reader_fail(r, start,
                           "string of %" G_GUINT64_FORMAT
                           " bytes but only %" G_GSIZE_FORMAT " left",
                           n, r->len - r->pos);
    *bytes = r->data + r->pos;
    *len = (gsize)n;
    r->pos += (gsize)n;
    return TRUE;
}

static GwBencode *read_value(Reader *r, guint depth);

/* A key for an error message: at most 32 bytes, C-escaped (keys are
 * arbitrary bytes; messages stay printable ASCII). */
static char *
quote_key(const guint8 *key, gsize len)
{
    g_autofree char *cut = g_strndup((const char *)key, MIN(len, 32));

    return g_strescape(cut, NULL);
}

static GwBencode *
read_list(Reader *r, guint depth)
{
    g_autoptr(GwBencode) list = gw_bencode_list_new();

    r->pos++; /* 'l' */
    for (;;) {
        GwBencode *item;

        if (r->pos >= r->len) {
            reader_fail(r, r->pos, "unexpected end of input in a list");
            return NULL;
        }
        if (r->data[r->pos] == 'e') {
            r->pos++;
            return g_steal_pointer(&list);
        }
        item = read_value(r, depth);
        if (item == NULL)
            return NULL;
        g_ptr_array_add(list->u.list, item);
    }
}

static GwBencode *
read_dict(Reader *r, guint depth)
{
    g_autoptr(GwBencode) dict = gw_bencode_dict_new();

    r->pos++; /* 'd' */
    for (;;) {
        const guint8 *key = NULL;
        gsize key_len = 0, key_at = r->pos;
        GwBencode *value;

        if (r->pos >= r->len) {
            reader_fail(r, r->pos, "unexpected end of input in a dictionary");
            return NULL;
        }
        if (r->data[r->pos] == 'e') {
            r->pos++;
            return g_steal_pointer(&dict);
        }
        if (!is_digit(r->data[r->pos])) {
            reader_fail(r, r->pos, "dictionary key is not a byte string");
            return NULL;
        }
        if (!read_bytes(r, &key, &key_len))
            return NULL;
        if (dict_lookup(dict, key, key_len) != NULL) {
            g_autofree char *shown = quote_key(key, key_len);
            reader_fail(r, key_at, "duplicate dictionary key '%s'", shown);
            return NULL;
        }
        if (r->pos >= r->len) {
            reader_fail(r, r->pos, "dictionary key without a value");
            return NULL;
        }
        if (r->data[r->pos] == 'e') {
            reader_fail(r, r->pos, "dictionary key without a value");
            return NULL;
        }
        value = read_value(r, depth);
        if (value == NULL)
            return NULL;
        dict_append(dict, key, key_len, value);
    }
}

/* `depth`: containers around this value. */
static GwBencode *
read_value(Reader *r, guint depth)
{
    guint8 c;

    if (r->pos >= r->len) {
        reader_fail(r, r->pos, "unexpected end of input");
        return NULL;
    }
    c = r->data[r->pos];
    if (c == 'i') {
        gboolean neg;
        guint64 n;

        r->pos++;
        if (!read_decimal(r, 'e', TRUE, G_MAXINT64, &neg, &n))
            return NULL;
        /* n may be 2^63 when negative: -(n - 1) - 1 stays in range. */
        return gw_bencode_int_new(neg ? -(gint64)(n - 1) - 1 : (gint64)n);
    }
    if (is_digit(c)) {
        /* initialised for gcc -O3's -Wmaybe-uninitialized */
        const guint8 *bytes = NULL;
        gsize len = 0;

        if (!read_bytes(r, &bytes, &len))
            return NULL;
        return gw_bencode_bytes_new(bytes, len);
    }
    if (c == 'l' || c == 'd') {
        if (depth + 1 > GW_BENCODE_MAX_DEPTH) {
            reader_fail(r, r->pos, "nested deeper than %d",
                        GW_BENCODE_MAX_DEPTH);
            return NULL;
        }
        return c == 'l' ? read_list(r, depth + 1) : read_dict(r, depth + 1);
    }
    reader_fail(r, r->pos, "unexpected byte 0x%02x", c);
    return NULL;
}

GwBencode *
gw_bencode_decode(const guint8 *data, gsize len, GError **error)
{
    Reader r = {data, len, 0, error};
    g_autoptr(GwBencode) value = NULL;

    g_return_val_if_fail(data != NULL || len == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    value = read_value(&r, 0);
    if (value == NULL)
        return NULL;
    if (r.pos != len) {
        reader_fail(&r, r.pos, "%" G_GSIZE_FORMAT " bytes after the value",
                    len - r.pos);
        return NULL;
    }
    return g_steal_pointer(&value);
}

/* ---- debug rendering -------------------------------------------------- */

static void
debug_string(GString *out, const BStr *s, gsize max)
{
    gsize n = max > 0 && s->len > max ? max : s->len;

    g_string_append_c(out, '"');
    for (gsize i = 0; i < n; i++) {
        guint8 c = (guint8)s->data[i];

        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", c);
        else if (c == '\r')
            g_string_append(out, "\\r");
        else if (c == '\n')
            g_string_append(out, "\\n");
        else if (c < 0x20 || c >= 0x7f)
            g_string_append_printf(out, "\\x%02x", c);
        else
            g_string_append_c(out, (char)c);
    }
    if (n < s->len)
        g_string_append(out, "...");
    g_string_append_c(out, '"');
}

static void
debug_value(GString *out, const GwBencode *v, gsize max)
{
    switch (v->type) {
    case GW_BENCODE_INT:
        g_string_append_printf(out, "%" G_GINT64_FORMAT, v->u.i);
        break;
    case GW_BENCODE_STRING:
        debug_string(out, &v->u.s, max);
        break;
    case GW_BENCODE_LIST:
        g_string_append_c(out, '[');
        for (guint i = 0; i < v->u.list->len; i++) {
            if (i > 0)
                g_string_append(out, ", ");
            debug_value(out, v->u.list->pdata[i], max);
        }
        g_string_append_c(out, ']');
        break;
    case GW_BENCODE_DICT:
        g_string_append_c(out, '{');
        for (guint i = 0; i < v->u.d.entries->len; i++) {
            const DictEntry *e = v->u.d.entries->pdata[i];
            if (i > 0)
                g_string_append(out, ", ");
            debug_string(out, &e->key, 0);
            g_string_append(out, ": ");
            debug_value(out, e->value, max);
        }
        g_string_append_c(out, '}');
        break;
    }
}

char *
gw_bencode_to_debug_string(const GwBencode *value, gsize max_string)
{
    GString *out = g_string_new(NULL);

    if (value == NULL)
        g_string_append(out, "null");
    else
        debug_value(out, value, max_string);
    return g_string_free(out, FALSE);
}
