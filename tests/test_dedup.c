/* tests/test_dedup.c: the retransmission memo of the stateless MESSAGE
 * server (gateway/dedup.c): table-driven cases, then random operations
 * checked against a plain model (GHashTable + arrival list). */
#include <glib.h>

#include "dedup.h"

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
        guint32 v = 12345;
        if (s->op == END)
            break;
        switch (s->op) {
        case END:
            break;
        case ADD:
            gw_dedup_add(d, s->key, s->now);
            break;
        case SET:
            g_assert_cmpint(gw_dedup_set(d, s->key, s->value), ==, s->result);
            break;
        case REMOVE:
            g_assert_cmpint(gw_dedup_remove(d, s->key), ==, s->result);
            break;
        case LOOKUP:
            g_assert_cmpint(gw_dedup_lookup(d, s->key, s->now, &v), ==, s->result);
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

static void
test_evicts_oldest(void)
{
    GwDedup *d = gw_dedup_new(100000, 64);

    for (guint64 k = 1; k <= 65; k++)
        gw_dedup_add(d, k, 0);
    g_assert_cmpuint(gw_dedup_size(d), ==, 64);
    g_assert_cmpuint(gw_dedup_evicted(d), ==, 1);
    g_assert_false(gw_dedup_lookup(d, 1, 0, NULL));
    for (guint64 k = 2; k <= 65; k++)
        g_assert_true(gw_dedup_lookup(d, k, 0, NULL));
    gw_dedup_free(d);
}

/* Random adds, sets, removes and lookups over a small key space (many
 * collisions in the index, keys added twice after a removal), with the
 * clock moving; every answer is checked against the model. */
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
    GRand *r = g_rand_new_with_seed(20261121);
    GwDedup *d = gw_dedup_new(lifetime, 100000);
    GArray *m = g_array_new(FALSE, FALSE, sizeof(Model));
    gint64 now = 0;

    for (guint step = 0; step < 200000; step++) {
        guint64 key = g_rand_int_range(r, 0, 300) * G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
        Model *live = NULL;
        guint32 v;
        now += g_rand_int_range(r, 0, 2);
        while (m->len > 0 && g_array_index(m, Model, 0).expires <= now)
            g_array_remove_index(m, 0);
        if (g_rand_boolean(r))
            gw_dedup_expire(d, now); /* else the call below expires */
        for (guint i = 0; i < m->len; i++) {
            Model *e = &g_array_index(m, Model, i);
            if (e->key == key && !e->gone)
                live = e;
        }
        switch (g_rand_int_range(r, 0, 4)) {
        case 0:
            gw_dedup_expire(d, now);
            if (live == NULL) {
                Model e = {key, now + lifetime, 0, FALSE};
                gw_dedup_add(d, key, now);
                g_array_append_val(m, e);
            }
            break;
        case 1:
            v = g_rand_int_range(r, 100, 700);
            gw_dedup_expire(d, now);
            g_assert_cmpint(gw_dedup_set(d, key, v), ==, live != NULL);
            if (live != NULL)
                live->value = v;
            break;
        case 2:
            gw_dedup_expire(d, now);
            g_assert_cmpint(gw_dedup_remove(d, key), ==, live != NULL);
            if (live != NULL)
                live->gone = TRUE;
            break;
        default:
            v = 99999;
            g_assert_cmpint(gw_dedup_lookup(d, key, now, &v), ==, live != NULL);
            if (live != NULL)
                g_assert_cmpuint(v, ==, live->value);
            break;
        }
        g_assert_cmpuint(gw_dedup_size(d), ==, m->len);
    }
    g_array_free(m, TRUE);
    gw_dedup_free(d);
    g_rand_free(r);
}

/* Grows past many doublings and shrinks back once the load is gone. */
static void
test_grow_and_shrink(void)
{
    GwDedup *d = gw_dedup_new(1000, 1000000);

    for (guint64 k = 1; k <= 300000; k++)
        gw_dedup_add(d, k, 0);
    for (guint64 k = 1; k <= 300000; k += 997)
        g_assert_true(gw_dedup_lookup(d, k, 0, NULL));
    g_assert_cmpuint(gw_dedup_evicted(d), ==, 0);
    gw_dedup_expire(d, 1000);
    g_assert_cmpuint(gw_dedup_size(d), ==, 0);
    gw_dedup_add(d, 5, 2000);
    g_assert_true(gw_dedup_lookup(d, 5, 2000, NULL));
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
    /* short: the ring stays small; long: it grows and shrinks, removed
     * entries pile up behind live ones */
    g_test_add_data_func("/dedup/against-model/short", GUINT_TO_POINTER(50),
                         test_against_model);
    g_test_add_data_func("/dedup/against-model/long", GUINT_TO_POINTER(3000),
                         test_against_model);
    g_test_add_func("/dedup/grow-and-shrink", test_grow_and_shrink);
    g_test_add_func("/dedup/hash", test_hash);
    return g_test_run();
}
