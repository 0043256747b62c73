/* gateway/core/dedup.c: see dedup.h.
 *
 * Why generations. The first version kept a ring of 16-byte entries in
 * arrival order plus an index of 4-byte positions at most half full:
 * ~24 bytes a request, and growing the ring copied it (old and new held
 * at once). At 8,000 MESSAGEs/s over UDP, 256,000 requests live for timer
 * J, that was ~8 MiB of a 20 MiB budget. Here each generation is one
 * open-addressing table (linear probing, at most 80 % full, deletion by
 * backward shift) of 8-byte slots, sized from the generation before, so
 * only the newest one ever grows, and a whole generation is dropped at
 * once when its last request is `lifetime` old: ~11 bytes a request.
 * Tables of 64 KiB and more are mapped apart from the heap, so a dropped
 * generation goes back to the system at once instead of leaving a hole
 * in the heap that glibc cannot return.
 *
 * A slot is the key's upper 56 bits with an 8-bit answer code in the low
 * byte: 0 pending, c an index (c - 1) into the generation's table of
 * distinct answers. 56 bits of a keyed hash: with 300,000 requests held,
 * a new request falsely matching a kept one is a 4e-12 event. */
#include "dedup.h"

#include <string.h>
#include <sys/mman.h>

#define CODE_BITS 8
#define CODE_MASK ((guint64)0xff)
#define MAX_ANSWERS 255
#define MIN_SLOTS 64
#define GENERATIONS 8 /* per lifetime: memory kept over it <= 1/8 */
#define MAP_MIN_BYTES (64u << 10)

typedef struct {
    guint64 *slots; /* key56 | code; 0 = free */
    gsize n;        /* slots */
    gsize count;
    gint64 first, last; /* the first and the last add, ms */
    gboolean mapped;
    guint n_answers;
    guint32 answers[MAX_ANSWERS];
} Gen;

struct GwDedup {
    gint64 lifetime, span;
    gsize max, gen_max;
    GPtrArray *gens; /* Gen*, oldest first */
    gsize count;
    guint64 evicted;
};

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

static inline guint64
key56(guint64 key)
{
    key &= ~CODE_MASK;
    return key != 0 ? key : (CODE_MASK + 1);
}

/* the home slot: the hash's upper 32 bits scaled to [0, n) */
static inline gsize
home_of(gsize n, guint64 k)
{
    return (gsize)(((mix64(k) >> 32) * (guint64)n) >> 32);
}

static inline gsize
next_slot(const Gen *g, gsize i)
{
    return i + 1 == g->n ? 0 : i + 1;
}

static guint64 *
slots_alloc(gsize n, gboolean *mapped)
{
    gsize bytes = n * sizeof(guint64);

    if (bytes >= MAP_MIN_BYTES) {
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            *mapped = TRUE;
            return p;
        }
    }
    *mapped = FALSE;
    return g_new0(guint64, n);
}

static void
slots_free(guint64 *slots, gsize n, gboolean mapped)
{
    if (mapped)
        munmap(slots, n * sizeof(guint64));
    else
        g_free(slots);
}

static Gen *
gen_new(gsize n, gint64 now)
{
    Gen *g = g_new0(Gen, 1);

    g->n = MAX(n, MIN_SLOTS);
    g->slots = slots_alloc(g->n, &g->mapped);
    g->first = g->last = now;
    return g;
}

static void
gen_free(gpointer data)
{
    Gen *g = data;

    slots_free(g->slots, g->n, g->mapped);
    g_free(g);
}

/* The slot holding k, or -1. */
static gssize
gen_find(const Gen *g, guint64 k)
{
    gsize i;

    if (g->count == 0)
        return -1;
    for (i = home_of(g->n, k); g->slots[i] != 0; i = next_slot(g, i)) {
        if ((g->slots[i] & ~CODE_MASK) == k)
            return (gssize)i;
    }
    return -1;
}

static void
gen_put(Gen *g, guint64 slot)
{
    gsize i = home_of(g->n, slot & ~CODE_MASK);

    while (g->slots[i] != 0)
        i = next_slot(g, i);
    g->slots[i] = slot;
    g->count++;
}

static void
gen_grow(Gen *g)
{
    guint64 *old = g->slots;
    gsize old_n = g->n, count = g->count;
    gboolean old_mapped = g->mapped;

    g->n = old_n * 2;
    g->slots = slots_alloc(g->n, &g->mapped);
    g->count = 0;
    for (gsize i = 0; i < old_n; i++) {
        if (old[i] != 0)
            gen_put(g, old[i]);
    }
    g_assert(g->count == count);
    slots_free(old, old_n, old_mapped);
}

/* Empties slot i; the slots after it that may move closer to their home
 * move back (linear probing keeps no tombstones). */
static void
gen_delete(Gen *g, gsize i)
{
    gsize j = i;

    for (;;) {
        gsize k, dist_kj, dist_ij;
        j = next_slot(g, j);
        if (g->slots[j] == 0)
            break;
        k = home_of(g->n, g->slots[j] & ~CODE_MASK);
        /* it may fill i if i lies on its probe path: from k up to j */
        dist_kj = (j + g->n - k) % g->n;
        dist_ij = (j + g->n - i) % g->n;
        if (dist_kj >= dist_ij) {
            g->slots[i] = g->slots[j];
            i = j;
        }
    }
    g->slots[i] = 0;
    g->count--;
}

static void
drop_oldest(GwDedup *d)
{
    Gen *g = g_ptr_array_index(d->gens, 0);

    d->count -= g->count;
    g_ptr_array_remove_index(d->gens, 0); /* frees it */
}

GwDedup *
gw_dedup_new(guint lifetime_ms, gsize max_entries)
{
    GwDedup *d = g_new0(GwDedup, 1);

    d->lifetime = lifetime_ms;
    d->span = MAX(d->lifetime / GENERATIONS, 1);
    d->max = MAX(max_entries, MIN_SLOTS);
    d->gen_max = MAX(d->max / GENERATIONS, 1);
    d->gens = g_ptr_array_new_with_free_func(gen_free);
    return d;
}

void
gw_dedup_free(GwDedup *d)
{
    if (d == NULL)
        return;
    g_ptr_array_free(d->gens, TRUE);
    g_free(d);
}

void
gw_dedup_expire(GwDedup *d, gint64 now_ms)
{
    while (d->gens->len > 0) {
        Gen *g = g_ptr_array_index(d->gens, 0);
        if (g->last + d->lifetime > now_ms)
            break;
        drop_oldest(d);
    }
}

/* The newest generation holding k, and its slot. */
static Gen *
find_newest(const GwDedup *d, guint64 k, gsize *slot)
{
    for (guint i = d->gens->len; i-- > 0;) {
        Gen *g = g_ptr_array_index(d->gens, i);
        gssize s = gen_find(g, k);
        if (s >= 0) {
            *slot = (gsize)s;
            return g;
        }
    }
    return NULL;
}

gboolean
gw_dedup_lookup(GwDedup *d, guint64 key, gint64 now_ms, guint32 *value)
{
    gsize s;
    Gen *g;
    guint code;

    gw_dedup_expire(d, now_ms);
    g = find_newest(d, key56(key), &s);
    if (g == NULL)
        return FALSE;
    code = (guint)(g->slots[s] & CODE_MASK);
    if (value != NULL)
        *value = code == 0 ? GW_DEDUP_PENDING : g->answers[code - 1];
    return TRUE;
}

void
gw_dedup_add(GwDedup *d, guint64 key, gint64 now_ms)
{
    Gen *g = d->gens->len > 0 ? g_ptr_array_index(d->gens, d->gens->len - 1)
                              : NULL;

    if (d->count >= d->max && d->gens->len > 0) {
        /* full: the oldest generation goes before its time */
        Gen *old = g_ptr_array_index(d->gens, 0);
        d->evicted += old->count;
        if (old == g)
            g = NULL;
        drop_oldest(d);
    }
    if (g == NULL || now_ms - g->first >= d->span || g->count >= d->gen_max) {
        /* a new generation, sized for as many as the last one took */
        gsize want = g != NULL ? g->count + g->count / 2 : MIN_SLOTS;
        want = MIN(want, d->gen_max + d->gen_max / 4 + 1);
        g = gen_new(want, now_ms);
        g_ptr_array_add(d->gens, g);
    }
    if ((g->count + 1) * 5 > g->n * 4)
        gen_grow(g);
    gen_put(g, key56(key));
    g->last = MAX(g->last, now_ms);
    d->count++;
}

gboolean
gw_dedup_set(GwDedup *d, guint64 key, guint32 value)
{
    gsize s, code = 0;
    Gen *g;

    g_return_val_if_fail(value < (1u << 31), FALSE);
    g = find_newest(d, key56(key), &s);
    if (g == NULL)
        return FALSE;
    if (value != GW_DEDUP_PENDING) {
        for (code = 0; code < g->n_answers; code++) {
            if (g->answers[code] == value)
                break;
        }
        if (code == g->n_answers) {
            if (g->n_answers == MAX_ANSWERS) {
                gen_delete(g, s);
                d->count--;
                return FALSE;
            }
            g->answers[g->n_answers++] = value;
        }
        code++;
    }
    g->slots[s] = (g->slots[s] & ~CODE_MASK) | code;
    return TRUE;
}

gboolean
gw_dedup_remove(GwDedup *d, guint64 key)
{
    guint64 k = key56(key);
    gboolean found = FALSE;

    for (guint i = 0; i < d->gens->len; i++) {
        Gen *g = g_ptr_array_index(d->gens, i);
        gssize s;
        while ((s = gen_find(g, k)) >= 0) {
            gen_delete(g, (gsize)s);
            d->count--;
            found = TRUE;
        }
    }
    return found;
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

gsize
gw_dedup_bytes(const GwDedup *d)
{
    gsize bytes = sizeof *d;

    for (guint i = 0; i < d->gens->len; i++) {
        const Gen *g = g_ptr_array_index(d->gens, i);
        bytes += sizeof *g + g->n * sizeof(guint64);
    }
    return bytes;
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
