/* gateway/dedup.c: see dedup.h.
 *
 * The entries sit in a ring in the order they came, which is also the
 * order they expire in; an open-addressing index (linear probing, at most
 * half full, deletion by backward shift) finds one by key. The ring grows
 * by half when full, up to max_entries, and shrinks by half once it is a
 * quarter used, so memory follows the rate. */
#include "dedup.h"

#include <string.h>

typedef struct {
    guint64 key;
    guint32 expires; /* ms since d->base */
    guint32 value : 31;
    guint32 gone : 1; /* removed early: not in the index any more */
} Entry;

struct GwDedup {
    guint lifetime;
    gsize max;
    Entry *ring;
    gsize cap, head, count;
    guint32 *index; /* ring position + 1; 0 = free */
    gsize imask;
    gint64 base;
    gboolean based;
    guint64 evicted;
};

#define MIN_CAP 64

static inline guint64
mix64(guint64 k)
{
    k ^= k >> 33;
    k *= G_GUINT64_CONSTANT(0xff51afd7ed558ccd);
    k ^= k >> 33;
    k *= G_GUINT64_CONSTANT(0xc4ceb9fe1a85ec53);
    k ^= k >> 33;
    return k;
}

static inline gsize
home_of(const GwDedup *d, guint64 key)
{
    return (gsize)mix64(key) & d->imask;
}

static guint32
rel_time(GwDedup *d, gint64 now_ms)
{
    if (!d->based) {
        d->base = now_ms;
        d->based = TRUE;
    }
    return (guint32)(now_ms - d->base);
}

static gsize
index_find_pos(const GwDedup *d, guint64 key, gsize pos)
{
    gsize i = home_of(d, key);

    while (d->index[i] != pos + 1)
        i = (i + 1) & d->imask;
    return i;
}

static void
index_delete(GwDedup *d, gsize i)
{
    gsize j = i;

    for (;;) {
        gsize k;
        j = (j + 1) & d->imask;
        if (d->index[j] == 0)
            break;
        k = home_of(d, d->ring[d->index[j] - 1].key);
        /* the entry at j may move to i if its home is not in (i, j] */
        if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
            d->index[i] = d->index[j];
            i = j;
        }
    }
    d->index[i] = 0;
}

static void
index_insert(GwDedup *d, guint64 key, gsize pos)
{
    gsize i = home_of(d, key);

    while (d->index[i] != 0)
        i = (i + 1) & d->imask;
    d->index[i] = (guint32)(pos + 1);
}

static gssize
index_lookup(const GwDedup *d, guint64 key)
{
    gsize i;

    if (d->count == 0)
        return -1;
    for (i = home_of(d, key); d->index[i] != 0; i = (i + 1) & d->imask) {
        if (d->ring[d->index[i] - 1].key == key)
            return (gssize)i;
    }
    return -1;
}

/* Moves the entries into a ring of new_cap (>= count), oldest first. */
static void
resize(GwDedup *d, gsize new_cap)
{
    Entry *ring = g_new(Entry, new_cap);
    gsize isize = 1;

    for (gsize i = 0; i < d->count; i++)
        ring[i] = d->ring[(d->head + i) % d->cap];
    g_free(d->ring);
    d->ring = ring;
    d->cap = new_cap;
    d->head = 0;
    while (isize < 2 * new_cap)
        isize <<= 1;
    g_free(d->index);
    d->index = g_new0(guint32, isize);
    d->imask = isize - 1;
    for (gsize i = 0; i < d->count; i++) {
        if (!ring[i].gone)
            index_insert(d, ring[i].key, i);
    }
}

static void
pop_oldest(GwDedup *d)
{
    Entry *e = &d->ring[d->head];

    if (!e->gone)
        index_delete(d, index_find_pos(d, e->key, d->head));
    d->head = (d->head + 1) % d->cap;
    d->count--;
}

GwDedup *
gw_dedup_new(guint lifetime_ms, gsize max_entries)
{
    GwDedup *d = g_new0(GwDedup, 1);

    d->lifetime = lifetime_ms;
    d->max = MAX(max_entries, MIN_CAP);
    d->max = MIN(d->max, (gsize)G_MAXUINT32 / 4);
    resize(d, MIN_CAP);
    return d;
}

void
gw_dedup_free(GwDedup *d)
{
    if (d == NULL)
        return;
    g_free(d->ring);
    g_free(d->index);
    g_free(d);
}

void
gw_dedup_expire(GwDedup *d, gint64 now_ms)
{
    guint32 now = rel_time(d, now_ms);

    while (d->count > 0 && (gint32)(d->ring[d->head].expires - now) <= 0)
        pop_oldest(d);
    if (d->cap > MIN_CAP && d->count < d->cap / 4)
        resize(d, MAX(d->cap / 2, MIN_CAP));
}

gboolean
gw_dedup_lookup(GwDedup *d, guint64 key, gint64 now_ms, guint32 *value)
{
    gssize i;

    gw_dedup_expire(d, now_ms);
    i = index_lookup(d, key);
    if (i < 0)
        return FALSE;
    if (value != NULL)
        *value = d->ring[d->index[i] - 1].value;
    return TRUE;
}

void
gw_dedup_add(GwDedup *d, guint64 key, gint64 now_ms)
{
    guint32 now = rel_time(d, now_ms);
    gsize pos;
    Entry *e;

    if (d->count == d->cap) {
        if (d->cap < d->max) {
            resize(d, MIN(d->max, d->cap + d->cap / 2));
        } else {
            pop_oldest(d);
            d->evicted++;
        }
    }
    pos = (d->head + d->count) % d->cap;
    e = &d->ring[pos];
    e->key = key;
    e->expires = now + d->lifetime;
    e->value = GW_DEDUP_PENDING;
    e->gone = 0;
    d->count++;
    index_insert(d, key, pos);
}

gboolean
gw_dedup_set(GwDedup *d, guint64 key, guint32 value)
{
    gssize i = index_lookup(d, key);

    g_return_val_if_fail(value < (1u << 31), FALSE);
    if (i < 0)
        return FALSE;
    d->ring[d->index[i] - 1].value = value;
    return TRUE;
}

gboolean
gw_dedup_remove(GwDedup *d, guint64 key)
{
    gssize i = index_lookup(d, key);

    if (i < 0)
        return FALSE;
    d->ring[d->index[i] - 1].gone = 1;
    index_delete(d, (gsize)i);
    return TRUE;
}

gsize
gw_dedup_size(const GwDedup *d)
{
    return d->count;
}

guint64
gw_dedup_evicted(const GwDedup *d)
{
    return d->evicted;
}

guint64
gw_dedup_hash(const char *const *parts, gsize n)
{
    static gsize once;
    static guint64 seed;
    guint64 h;

    if (g_once_init_enter(&once)) {
        seed = ((guint64)g_random_int() << 32) | g_random_int();
        g_once_init_leave(&once, 1);
    }
    h = seed ^ G_GUINT64_CONSTANT(0xcbf29ce484222325);
    for (gsize i = 0; i < n; i++) {
        const char *s = parts[i] != NULL ? parts[i] : "";
        for (; *s != '\0'; s++) {
            h ^= (guchar)*s;
            h *= G_GUINT64_CONSTANT(0x100000001b3);
        }
        /* a separator no string holds, so ("ab","c") != ("a","bc") */
        h ^= 0x100 | (parts[i] == NULL);
        h *= G_GUINT64_CONSTANT(0x100000001b3);
    }
    return mix64(h ^ seed);
}
