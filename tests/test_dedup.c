/* tests/test_dedup.c: the retransmission memo of the stateless MESSAGE
 * server (gateway/dedup.c): table-driven cases, then random operations
 * checked against a plain model (GHashTable + arrival list). */
#include <glib.h>

#include "dedup.h"

static guint64
mix_key(gint64 t, guint64 j)
{
    return ((guint64)t * 16 + j) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
}

typedef enum { END, ADD, SET, REMOVE, LOOKUP, EXPECT_SIZE } Op;

typedef struct {
    Op op;
    guint64 key;
    gint64 now;
    guint32 value;   /* SET: value; LOOKUP: expected value */
    gboolean result; /* SET/REMOVE/LOOKUP: expected result; SIZE: n */
} Step;

typedef struct {
    const char *name;
    guint lifetime;
    gsize max;
    Step steps[12];
} Case;

static const Case cases[] = {
    {"pending-then-answered", 1000, 100,
     {{ADD, 1, 0, 0, 0}, {LOOKUP, 1, 10, 0, TRUE}, {SET, 1, 0, 200, TRUE},
      {LOOKUP, 1, 20, 200, TRUE}, {LOOKUP, 2, 20, 0, FALSE}}},
    {"expires-at-lifetime", 1000, 100,
     {{ADD, 1, 0, 0, 0}, {LOOKUP, 1, 999, 0, TRUE}, {LOOKUP, 1, 1000, 0, FALSE},
      {EXPECT_SIZE, 0, 0, 0, 0}}},
    {"expires-in-order", 1000, 100,
     {{ADD, 1, 0, 0, 0}, {ADD, 2, 500, 0, 0}, {LOOKUP, 1, 1200, 0, FALSE},
      {LOOKUP, 2, 1200, 0, TRUE}, {EXPECT_SIZE, 0, 0, 0, 1}}},
    {"remove-early", 1000, 100,
     {{ADD, 1, 0, 0, 0}, {ADD, 2, 0, 0, 0}, {REMOVE, 1, 0, 0, TRUE},
      {LOOKUP, 1, 1, 0, FALSE}, {LOOKUP, 2, 1, 0, TRUE},
      {REMOVE, 1, 0, 0, FALSE}, {SET, 1, 0, 5, FALSE}}},
    {"removed-then-added-again", 1000, 100,
     {{ADD, 7, 0, 0, 0}, {REMOVE, 7, 0, 0, TRUE}, {ADD, 7, 10, 0, 0},
      {SET, 7, 0, 401, TRUE}, {LOOKUP, 7, 999, 401, TRUE},
      {LOOKUP, 7, 1009, 401, TRUE}, {LOOKUP, 7, 1010, 0, FALSE}}},
    {"clock-wraps-32-bit", 1000, 100,
     {{ADD, 1, G_GINT64_CONSTANT(4294967000), 0, 0},
      {LOOKUP, 1, G_GINT64_CONSTANT(4294967295) + 100, 0, TRUE},
      {LOOKUP, 1, G_GINT64_CONSTANT(4294968000), 0, FALSE}}},
};

static void
test_case(gconstpointer data)
{
    const Case *c = data;
    GwDedup *d = gw_dedup_new(c->lifetime, c->max);

    for (guint i = 0; i < G_N_ELEMENTS(c->steps); i++) {
        const Step *s = &c->steps[i];
        const guint64 key = s->key << 8; /* the low byte is not kept */
        guint32 v = 12345;
        if (s->op == END)
            break;
        switch (s->op) {
        case END:
            break;
        case ADD:
            gw_dedup_add(d, key, s->now);
            break;
        case SET:
            g_assert_cmpint(gw_dedup_set(d, key, s->value), ==, s->result);
            break;
        case REMOVE:
            g_assert_cmpint(gw_dedup_remove(d, key), ==, s->result);
            break;
        case LOOKUP:
            g_assert_cmpint(gw_dedup_lookup(d, key, s->now, &v), ==, s->result);
            if (s->result)
                g_assert_cmpuint(v, ==, s->value);
            break;
        case EXPECT_SIZE:
            g_assert_cmpuint(gw_dedup_size(d), ==, (gsize)s->result);
            break;
        }
    }
    gw_dedup_free(d);
}

/* Past max_entries the oldest generation goes (an eighth of the maximum
 * at most), the newest requests stay. */
static void
test_evicts_oldest(void)
{
    GwDedup *d = gw_dedup_new(100000, 64);

    for (guint64 k = 1; k <= 65; k++)
        gw_dedup_add(d, k << 8, 0);
    g_assert_cmpuint(gw_dedup_size(d), <=, 64);
    g_assert_cmpuint(gw_dedup_size(d), >=, 64 - 64 / 8 + 1);
    g_assert_cmpuint(gw_dedup_evicted(d), ==, 65 - gw_dedup_size(d));
    g_assert_false(gw_dedup_lookup(d, 1 << 8, 0, NULL));
    for (guint64 k = 65 - gw_dedup_size(d) + 1; k <= 65; k++)
        g_assert_true(gw_dedup_lookup(d, k << 8, 0, NULL));
    for (guint64 k = 1; k <= 65 - gw_dedup_size(d); k++)
        g_assert_false(gw_dedup_lookup(d, k << 8, 0, NULL));
    gw_dedup_free(d);
}

/* The low byte of a key is not kept (it holds the answer code); a key
 * whose upper 56 bits are 0 is still kept. */
static void
test_low_byte(void)
{
    GwDedup *d = gw_dedup_new(1000, 100);
    guint32 v;

    gw_dedup_add(d, 0, 0);
    g_assert_true(gw_dedup_lookup(d, 0, 0, &v));
    g_assert_cmpuint(v, ==, GW_DEDUP_PENDING);
    g_assert_true(gw_dedup_set(d, 0x12, 200));
    g_assert_true(gw_dedup_lookup(d, 0xff, 0, &v));
    g_assert_cmpuint(v, ==, 200);
    g_assert_false(gw_dedup_lookup(d, 0x10000, 0, NULL));
    gw_dedup_free(d);
}

/* 255 distinct answers per generation: the 256th forgets its key. */
static void
test_answers_full(void)
{
    GwDedup *d = gw_dedup_new(1000, 100000);
    guint32 v;

    for (guint64 k = 1; k <= 256; k++) {
        gw_dedup_add(d, k << 8, 0);
        g_assert_cmpint(gw_dedup_set(d, k << 8, 1000 + (guint32)k), ==, k <= 255);
    }
    g_assert_false(gw_dedup_lookup(d, 256 << 8, 0, NULL));
    g_assert_true(gw_dedup_lookup(d, 255 << 8, 0, &v));
    g_assert_cmpuint(v, ==, 1255);
    /* values already held still fit */
    gw_dedup_add(d, 300 << 8, 0);
    g_assert_true(gw_dedup_set(d, 300 << 8, 1001));
    /* a new generation has room again */
    gw_dedup_add(d, 301 << 8, 500);
    g_assert_true(gw_dedup_set(d, 301 << 8, 77));
    g_assert_true(gw_dedup_lookup(d, 301 << 8, 500, &v));
    g_assert_cmpuint(v, ==, 77);
    gw_dedup_free(d);
}

/* Random adds, sets, removes and lookups over a small key space (many
 * collisions in the tables, keys added again after a removal or once
 * expired), with the clock moving; every answer is checked against a
 * plain model. The memo may keep an entry up to lifetime/8 longer than
 * the model (its generation goes as a whole): there either answer is
 * right, but a kept one must carry the entry's last value. */
typedef struct {
    guint64 key;
    gint64 expires;
    guint32 value;
    gboolean gone;
} Model;

static void
test_against_model(gconstpointer data)
{
    const guint lifetime = GPOINTER_TO_UINT(data);
    const gint64 grace = MAX(lifetime / 8, 1);
    GRand *r = g_rand_new_with_seed(20261121);
    GwDedup *d = gw_dedup_new(lifetime, 100000);
    GArray *m = g_array_new(FALSE, FALSE, sizeof(Model));
    gint64 now = 0;

    for (guint step = 0; step < 200000; step++) {
        guint64 key = g_rand_int_range(r, 0, 300) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
        Model *live = NULL, *late = NULL;
        gsize n_live = 0, n_late = 0;
        guint32 v;
        gboolean got;
        now += g_rand_int_range(r, 0, 2);
        while (m->len > 0 && g_array_index(m, Model, 0).expires + grace <= now)
            g_array_remove_index(m, 0);
        if (g_rand_boolean(r))
            gw_dedup_expire(d, now); /* else the call below expires */
        for (guint i = 0; i < m->len; i++) {
            Model *e = &g_array_index(m, Model, i);
            if (e->gone)
                continue;
            if (e->expires > now) {
                n_live++;
                if (e->key == key)
                    live = e;
            } else {
                n_late++;
                if (e->key == key)
                    late = e;
            }
        }
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            /* as the server does: look up, add if not kept */
            if (!gw_dedup_lookup(d, key, now, NULL)) {
                Model e = {key, now + lifetime, 0, FALSE};
                g_assert_null(live);
                if (late != NULL)
                    late->gone = TRUE; /* dropped with its generation */
                gw_dedup_add(d, key, now);
                g_array_append_val(m, e);
            } else {
                g_assert_true(live != NULL || late != NULL);
            }
            break;
        case 1:
            v = g_rand_int_range(r, 100, 700);
            gw_dedup_expire(d, now);
            got = gw_dedup_set(d, key, v);
            if (live != NULL)
                g_assert_true(got);
            else if (late == NULL)
                g_assert_false(got);
            if (got)
                (live != NULL ? live : late)->value = v;
            else if (late != NULL)
                late->gone = TRUE;
            break;
        case 2:
            gw_dedup_expire(d, now);
            got = gw_dedup_remove(d, key);
            if (live != NULL)
                g_assert_true(got);
            else if (late == NULL)
                g_assert_false(got);
            if (live != NULL)
                live->gone = TRUE;
            if (late != NULL)
                late->gone = TRUE;
            break;
        default:
            v = 99999;
            got = gw_dedup_lookup(d, key, now, &v);
            if (live != NULL) {
                g_assert_true(got);
                g_assert_cmpuint(v, ==, live->value);
            } else if (late != NULL) {
                if (got)
                    g_assert_cmpuint(v, ==, late->value);
                else
                    late->gone = TRUE;
            } else {
                g_assert_false(got);
            }
            break;
        }
        n_live = n_late = 0;
        for (guint i = 0; i < m->len; i++) {
            const Model *e = &g_array_index(m, Model, i);
            if (!e->gone)
                *(e->expires > now ? &n_live : &n_late) += 1;
        }
        g_assert_cmpuint(gw_dedup_size(d), >=, n_live);
        g_assert_cmpuint(gw_dedup_size(d), <=, n_live + n_late);
    }
    g_array_free(m, TRUE);
    gw_dedup_free(d);
    g_rand_free(r);
}

/* 300,000 requests (8,000/s for timer J and more) in tables that grow
 * from 64 slots: all found, ~11 bytes each, all gone after the lifetime;
 * then a steady load keeps about lifetime * 9/8 of it. */
static void
test_grow_and_expire(void)
{
    GwDedup *d = gw_dedup_new(32000, 1 << 20);
    gsize peak = 0;

    for (guint64 k = 1; k <= 300000; k++)
        gw_dedup_add(d, k * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15), 0);
    for (guint64 k = 1; k <= 300000; k += 997)
        g_assert_true(gw_dedup_lookup(d, k * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15), 0, NULL));
    g_assert_cmpuint(gw_dedup_size(d), ==, 300000);
    g_assert_cmpuint(gw_dedup_evicted(d), ==, 0);
    g_assert_cmpuint(gw_dedup_bytes(d), <=, 300000 * 16);
    gw_dedup_expire(d, 32000);
    g_assert_cmpuint(gw_dedup_size(d), ==, 0);
    g_assert_cmpuint(gw_dedup_bytes(d), <, 1024);

    /* 8 requests/ms for 100 s: ~256,000 kept, ~11-14 bytes each */
    for (gint64 t = 100000; t < 200000; t++) {
        for (guint64 j = 0; j < 8; j++)
            gw_dedup_add(d, mix_key(t, j), t);
        gw_dedup_expire(d, t);
        if (t > 140000)
            peak = MAX(peak, gw_dedup_bytes(d));
    }
    g_assert_cmpuint(gw_dedup_size(d), >=, 32000 * 8);
    g_assert_cmpuint(gw_dedup_size(d), <=, 36000 * 8 + 8);
    g_assert_true(gw_dedup_lookup(d, mix_key(199999 - 31999, 3), 199999, NULL));
    g_test_message("steady 8/ms: %zu kept in %zu bytes at most (%.1f B each)",
                   gw_dedup_size(d), peak, (double)peak / gw_dedup_size(d));
    g_assert_cmpuint(peak, <=, 36000 * 8 * 16);
    gw_dedup_free(d);
}

static void
test_hash(void)
{
    const char *a[] = {"ab", "c"}, *b[] = {"a", "bc"}, *c[] = {"ab", NULL},
               *e[] = {"ab", ""};

    g_assert_cmpuint(gw_dedup_hash(a, 2), ==, gw_dedup_hash(a, 2));
    g_assert_cmpuint(gw_dedup_hash(a, 2), !=, gw_dedup_hash(b, 2));
    g_assert_cmpuint(gw_dedup_hash(c, 2), !=, gw_dedup_hash(e, 2));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *path = g_strdup_printf("/dedup/case/%s", cases[i].name);
        g_test_add_data_func(path, &cases[i], test_case);
    }
    g_test_add_func("/dedup/evicts-oldest", test_evicts_oldest);
    g_test_add_func("/dedup/low-byte", test_low_byte);
    g_test_add_func("/dedup/answers-full", test_answers_full);
    /* short: generations of 6 ms; long: of 375 ms, tables that grow */
    g_test_add_data_func("/dedup/against-model/short", GUINT_TO_POINTER(50),
                         test_against_model);
    g_test_add_data_func("/dedup/against-model/long", GUINT_TO_POINTER(3000),
                         test_against_model);
    g_test_add_func("/dedup/grow-and-expire", test_grow_and_expire);
    g_test_add_func("/dedup/hash", test_hash);
    return g_test_run();
}
