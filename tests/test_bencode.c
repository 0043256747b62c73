/* tests/test_bencode.c: the bencode core (gateway/bencode.c), table-driven.
 *
 * /bencode/valid/<n>      decode -> debug rendering, then canonical encode
 * /bencode/invalid/<n>    refused inputs: GW_BENCODE_ERROR_MALFORMED and
 *                         the byte offset the message names
 * /bencode/roundtrip/...  built values: encode -> decode is equal; the
 *                         fuzz seeds under tests/data/bencode/fuzz/
 * /bencode/limits/...     depth 32 vs 33, gint64 bounds, lengths past the
 *                         end, huge length fields, NULs, every truncation
 * /bencode/api/...        builders, lookups, replacement, equality, copy
 */
#include "bencode.h"

#include <string.h>

/* ---- helpers ---------------------------------------------------------- */

static GwBencode *
decode_str(const char *s, GError **error)
{
    return gw_bencode_decode((const guint8 *)s, strlen(s), error);
}

static char *
encode_to_string(const GwBencode *v)
{
    g_autoptr(GBytes) b = gw_bencode_encode(v);
    gsize len = 0;
    const char *data = g_bytes_get_data(b, &len);

    return g_strndup(data, len);
}

/* ---- valid inputs ----------------------------------------------------- */

typedef struct {
    const char *input;
    const char *rendered;  /* gw_bencode_to_debug_string(v, 0) */
    const char *canonical; /* encode(decode(input)); NULL = input itself */
} ValidCase;

static const ValidCase valid_cases[] = {
    {"i0e", "0", NULL},
    {"i42e", "42", NULL},
    {"i-7e", "-7", NULL},
    {"i9223372036854775807e", "9223372036854775807", NULL},
    {"i-9223372036854775808e", "-9223372036854775808", NULL},
    {"0:", "\"\"", NULL},
    {"4:spam", "\"spam\"", NULL},
    {"3:a:b", "\"a:b\"", NULL},
    {"5:d1:ae", "\"d1:ae\"", NULL},
    {"le", "[]", NULL},
    {"de", "{}", NULL},
    {"l4:spami42ee", "[\"spam\", 42]", NULL},
    {"lli1eeli2eee", "[[1], [2]]", NULL},
    {"d3:bar4:spam3:fooi42ee", "{\"bar\": \"spam\", \"foo\": 42}", NULL},
    /* rtpengine does not sort its keys: accepted, re-encoded sorted */
    {"d6:result2:ok3:sdp3:v=0e", "{\"result\": \"ok\", \"sdp\": \"v=0\"}",
     "d6:result2:ok3:sdp3:v=0e"},
    {"d3:sdp3:v=06:result2:oke", "{\"sdp\": \"v=0\", \"result\": \"ok\"}",
     "d6:result2:ok3:sdp3:v=0e"},
    /* raw byte order: "B" (0x42) < "a" (0x61); a prefix sorts first */
    {"d1:ai1e1:Bi2e2:aai3ee", "{\"a\": 1, \"B\": 2, \"aa\": 3}",
     "d1:Bi2e1:ai1e2:aai3ee"},
    {"d0:i1ee", "{\"\": 1}", NULL},
    /* the ng wire examples (docs/ng_control_protocol.md) */
    {"d7:command4:pinge", "{\"command\": \"ping\"}", NULL},
    {"d6:result4:ponge", "{\"result\": \"pong\"}", NULL},
    {"d6:result5:error12:error-reason15:Unknown call-ide",
     "{\"result\": \"error\", \"error-reason\": \"Unknown call-id\"}",
     "d12:error-reason15:Unknown call-id6:result5:errore"},
    /* escapes in the rendering */
    {"4:a\r\nb", "\"a\\r\\nb\"", NULL},
    {"3:\"\\\x01", "\"\\\"\\\\\\x01\"", NULL},
};

static void
test_valid(gconstpointer data)
{
    const ValidCase *c = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) v = decode_str(c->input, &error);
    g_autofree char *rendered = NULL;
    g_autofree char *encoded = NULL;

    g_assert_no_error(error);
    g_assert_nonnull(v);
    rendered = gw_bencode_to_debug_string(v, 0);
    g_assert_cmpstr(rendered, ==, c->rendered);
    encoded = encode_to_string(v);
    g_assert_cmpstr(encoded, ==, c->canonical ? c->canonical : c->input);
}

/* ---- invalid inputs --------------------------------------------------- */

typedef struct {
    const char *name;
    const char *input;
    gsize len;          /* 0 = strlen(input) */
    const char *offset; /* "byte N:" the message must contain */
} InvalidCase;

static const InvalidCase invalid_cases[] = {
    {"empty", "", 0, "byte 0:"},
    {"garbage", "x", 0, "byte 0:"},
    {"space", " i1e", 0, "byte 0:"},
    {"int-empty", "ie", 0, "byte 1:"},
    {"int-unterminated", "i12", 0, "byte 3:"},
    {"int-leading-zero", "i03e", 0, "byte 1:"},
    {"int-double-zero", "i00e", 0, "byte 1:"},
    {"int-minus-zero", "i-0e", 0, "byte 1:"},
    {"int-minus-only", "i-e", 0, "byte 2:"},
    {"int-plus", "i+1e", 0, "byte 1:"},
    {"int-space", "i 1e", 0, "byte 1:"},
    {"int-hex", "i0x1e", 0, "byte 2:"},
    {"int-overflow", "i9223372036854775808e", 0, "byte 1:"},
    {"int-underflow", "i-9223372036854775809e", 0, "byte 1:"},
    {"int-huge", "i99999999999999999999999999e", 0, "byte 1:"},
    {"str-short", "5:spam", 0, "byte 0:"},
    {"str-no-colon", "4spam", 0, "byte 1:"},
    {"str-leading-zero", "04:spam", 0, "byte 0:"},
    {"str-negative", "-1:a", 0, "byte 0:"},
    {"str-huge-length", "18446744073709551615:a", 0, "byte 0:"},
    {"str-overflow-length", "99999999999999999999999:a", 0, "byte 0:"},
    {"str-length-only", "3", 0, "byte 1:"},
    {"list-open", "l", 0, "byte 1:"},
    {"list-unterminated", "li1e", 0, "byte 4:"},
    {"dict-open", "d", 0, "byte 1:"},
    {"dict-int-key", "di1ei2ee", 0, "byte 1:"},
    {"dict-list-key", "dlei2ee", 0, "byte 1:"},
    {"dict-no-value", "d1:ae", 0, "byte 4:"},
    {"dict-key-at-end", "d1:a", 0, "byte 4:"},
    {"dict-duplicate", "d1:ai1e1:ai2ee", 0, "byte 7:"},
    {"dict-unterminated", "d1:ai1e", 0, "byte 7:"},
    {"trailing", "i1ei2e", 0, "byte 3:"},
    {"trailing-newline", "de\n", 0, "byte 2:"},
    {"nul-in-int", "i1\0e", 4, "byte 2:"},
    {"end-only", "e", 0, "byte 0:"},
};

static void
test_invalid(gconstpointer data)
{
    const InvalidCase *c = data;
    gsize len = c->len ? c->len : strlen(c->input);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) v =
        gw_bencode_decode((const guint8 *)c->input, len, &error);

    g_assert_null(v);
    g_assert_error(error, GW_BENCODE_ERROR, GW_BENCODE_ERROR_MALFORMED);
    if (strstr(error->message, c->offset) == NULL)
        g_error("%s: '%s' does not name '%s'", c->name, error->message,
                c->offset);
    g_assert_true(g_str_has_prefix(error->message, "bencode: "));
}

/* ---- limits ----------------------------------------------------------- */

static GString *
nested_lists(guint depth)
{
    GString *s = g_string_new(NULL);

    for (guint i = 0; i < depth; i++)
        g_string_append_c(s, 'l');
    g_string_append(s, "i1e");
    for (guint i = 0; i < depth; i++)
        g_string_append_c(s, 'e');
    return s;
}

static void
test_depth(void)
{
    g_autoptr(GString) ok = nested_lists(GW_BENCODE_MAX_DEPTH);
    g_autoptr(GString) deep = nested_lists(GW_BENCODE_MAX_DEPTH + 1);
    g_autoptr(GString) mixed = g_string_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) v = decode_str(ok->str, &error);
    g_autoptr(GwBencode) w = NULL;
    g_autofree char *encoded = NULL;

    g_assert_no_error(error);
    encoded = encode_to_string(v);
    g_assert_cmpstr(encoded, ==, ok->str);

    w = decode_str(deep->str, &error);
    g_assert_null(w);
    g_assert_error(error, GW_BENCODE_ERROR, GW_BENCODE_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "nested deeper than 32"));
    g_clear_error(&error);

    /* dictionaries count too: 33 containers, alternating */
    for (guint i = 0; i <= GW_BENCODE_MAX_DEPTH; i++)
        g_string_append(mixed, i % 2 ? "l" : "d1:k");
    g_string_append(mixed, "i0e");
    for (guint i = 0; i <= GW_BENCODE_MAX_DEPTH; i++)
        g_string_append_c(mixed, 'e');
    g_assert_null(decode_str(mixed->str, &error));
    g_assert_error(error, GW_BENCODE_ERROR, GW_BENCODE_ERROR_MALFORMED);
}

/* Every proper prefix of a valid document is refused, never read past. */
static void
test_truncations(void)
{
    static const char *const docs[] = {
        "d6:result2:ok3:sdp12:v=0\r\no=- 1 2e",
        "d4:listli1ei-2e3:abcde4:dictd0:0:ee",
        "i-9223372036854775808e",
    };

    for (guint d = 0; d < G_N_ELEMENTS(docs); d++) {
        gsize len = strlen(docs[d]);

        for (gsize n = 0; n < len; n++) {
            /* a heap copy of exactly n bytes, so ASan sees any overread */
            g_autofree guint8 *copy = g_memdup2(docs[d], n ? n : 1);
            g_autoptr(GError) error = NULL;
            g_autoptr(GwBencode) v = gw_bencode_decode(copy, n, &error);

            g_assert_null(v);
            g_assert_error(error, GW_BENCODE_ERROR, GW_BENCODE_ERROR_MALFORMED);
        }
    }
}

static void
test_nul_bytes(void)
{
    static const guint8 wire[] = "d3:k\0y5:a\0b\0ce";
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) v = gw_bencode_decode(wire, sizeof wire - 1, &error);
    const char *s;
    gsize len = 0;
    g_autoptr(GBytes) again = NULL;

    g_assert_no_error(error);
    g_assert_cmpuint(gw_bencode_dict_size(v), ==, 1);
    s = gw_bencode_dict_peek_key(v, 0, &len);
    g_assert_cmpmem(s, len, "k\0y", 3);
    g_assert_null(gw_bencode_dict_peek(v, "k")); /* C keys stop at NUL */
    s = gw_bencode_peek_string(gw_bencode_dict_peek_value(v, 0), &len);
    g_assert_cmpmem(s, len, "a\0b\0c", 5);
    g_assert_cmpint(s[len], ==, '\0');
    again = gw_bencode_encode(v);
    g_assert_cmpmem(g_bytes_get_data(again, NULL), g_bytes_get_size(again),
                    wire, sizeof wire - 1);
}

/* A length field that claims more than is left is refused before any
 * allocation (ASan would report a huge malloc otherwise). */
static void
test_length_checked_first(void)
{
    g_autoptr(GError) error = NULL;

    g_assert_null(decode_str("d3:sdp4294967296:ve", &error));
    g_assert_error(error, GW_BENCODE_ERROR, GW_BENCODE_ERROR_MALFORMED);
    g_assert_nonnull(strstr(error->message, "only 2 left"));
}

/* ---- round trips ------------------------------------------------------ */

static GwBencode *
build_offer_like(void)
{
    GwBencode *d = gw_bencode_dict_new();
    GwBencode *inner = gw_bencode_dict_new();
    GwBencode *list = gw_bencode_list_new();

    gw_bencode_dict_set_string(d, "command", "offer");
    gw_bencode_dict_set_string(d, "call-id", "c1@192.0.2.1");
    gw_bencode_dict_set_string(d, "sdp", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n");
    gw_bencode_dict_set_list(d, "rtcp-mux", "offer", "require", NULL);
    gw_bencode_dict_set_int(d, "TOS", -1);
    gw_bencode_dict_set_bytes(d, "blob", "\0\1\2\xff", 4);
    gw_bencode_list_append_int(list, G_MAXINT64);
    gw_bencode_list_append_int(list, G_MININT64);
    gw_bencode_list_take(list, gw_bencode_list_new());
    gw_bencode_list_take(list, gw_bencode_dict_new());
    gw_bencode_dict_take(inner, "list", list);
    gw_bencode_dict_take(d, "inner", inner);
    return d;
}

static void
test_roundtrip_built(void)
{
    g_autoptr(GwBencode) v = build_offer_like();
    g_autoptr(GBytes) wire = gw_bencode_encode(v);
    g_autoptr(GError) error = NULL;
    g_autoptr(GwBencode) back = gw_bencode_decode(
        g_bytes_get_data(wire, NULL), g_bytes_get_size(wire), &error);
    g_autoptr(GBytes) wire2 = NULL;

    g_assert_no_error(error);
    g_assert_true(gw_bencode_equal(v, back));
    wire2 = gw_bencode_encode(back);
    g_assert_true(g_bytes_equal(wire, wire2));
}

/* The fuzz seeds (real rtpengine traffic among them) decode, and encode
 * back to the same length (key order is the only freedom). */
static void
test_roundtrip_seeds(void)
{
    g_autofree char *dir_path =
        g_test_build_filename(G_TEST_DIST, "data", "bencode", "fuzz", NULL);
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
    const char *name;
    guint seen = 0;

    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *path = g_build_filename(dir_path, name, NULL);
        g_autofree char *data = NULL;
        gsize len = 0;
        g_autoptr(GError) error = NULL;
        g_autoptr(GwBencode) v = NULL;
        g_autoptr(GwBencode) back = NULL;
        g_autoptr(GBytes) wire = NULL;

        if (!g_str_has_prefix(name, "valid-"))
            continue;
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        v = gw_bencode_decode((const guint8 *)data, len, &error);
        if (v == NULL)
            g_error("%s: %s", name, error->message);
        wire = gw_bencode_encode(v);
        g_assert_cmpuint(g_bytes_get_size(wire), ==, len);
        back = gw_bencode_decode(g_bytes_get_data(wire, NULL),
                                 g_bytes_get_size(wire), &error);
        g_assert_no_error(error);
        g_assert_true(gw_bencode_equal(v, back));
        seen++;
    }
    g_assert_cmpuint(seen, >=, 5);
}

/* ---- API -------------------------------------------------------------- */

static void
test_api_dict(void)
{
    g_autoptr(GwBencode) d = gw_bencode_dict_new();
    const char *const flags[] = {"trust address", "inject DTMF", NULL};
    const GwBencode *list;
    gsize len = 0;
    gint64 n = 0;
    g_autofree char *encoded = NULL;

    gw_bencode_dict_set_string(d, "sdp", "v=0");
    gw_bencode_dict_set_int(d, "duration", 250);
    gw_bencode_dict_set_strv(d, "flags", flags);
    gw_bencode_dict_set_string(d, "command", "offer");
    g_assert_cmpuint(gw_bencode_dict_size(d), ==, 4);

    /* insertion order kept; encoding sorted */
    g_assert_cmpstr(gw_bencode_dict_peek_key(d, 0, NULL), ==, "sdp");
    g_assert_cmpstr(gw_bencode_dict_peek_key(d, 3, NULL), ==, "command");
    g_assert_null(gw_bencode_dict_peek_key(d, 4, NULL));
    encoded = encode_to_string(d);
    g_assert_cmpstr(encoded, ==,
                    "d7:command5:offer8:durationi250e5:flagsl13:trust "
                    "address11:inject DTMFe3:sdp3:v=0e");

    /* replacing keeps the position */
    gw_bencode_dict_set_string(d, "sdp", "v=1");
    g_assert_cmpuint(gw_bencode_dict_size(d), ==, 4);
    g_assert_cmpstr(gw_bencode_dict_peek_key(d, 0, NULL), ==, "sdp");
    g_assert_cmpstr(gw_bencode_dict_get_string(d, "sdp", &len), ==, "v=1");
    g_assert_cmpuint(len, ==, 3);

    /* typed lookups */
    g_assert_true(gw_bencode_dict_get_int(d, "duration", &n));
    g_assert_cmpint(n, ==, 250);
    g_assert_false(gw_bencode_dict_get_int(d, "sdp", &n));
    g_assert_null(gw_bencode_dict_get_string(d, "duration", NULL));
    g_assert_null(gw_bencode_dict_get_string(d, "absent", NULL));
    g_assert_null(gw_bencode_dict_get_dict(d, "flags"));
    list = gw_bencode_dict_get_list(d, "flags");
    g_assert_cmpuint(gw_bencode_list_length(list), ==, 2);
    g_assert_cmpstr(gw_bencode_peek_string(gw_bencode_list_peek(list, 1), NULL),
                    ==, "inject DTMF");
    g_assert_null(gw_bencode_list_peek(list, 2));

    /* removal */
    g_assert_true(gw_bencode_dict_remove(d, "duration"));
    g_assert_false(gw_bencode_dict_remove(d, "duration"));
    g_assert_cmpuint(gw_bencode_dict_size(d), ==, 3);
    g_assert_cmpstr(gw_bencode_dict_peek_key(d, 1, NULL), ==, "flags");

    /* lookups on the wrong type are NULL, not crashes */
    g_assert_null(gw_bencode_dict_peek(list, "x"));
    g_assert_cmpuint(gw_bencode_dict_size(list), ==, 0);
    g_assert_cmpuint(gw_bencode_list_length(d), ==, 0);
}

static void
test_api_equal_copy(void)
{
    g_autoptr(GwBencode) a = build_offer_like();
    g_autoptr(GwBencode) b = gw_bencode_copy(a);
    g_autoptr(GwBencode) x = NULL;
    g_autoptr(GwBencode) y = NULL;
    g_autoptr(GwBencode) l1 = decode_str("li1ei2ee", NULL);
    g_autoptr(GwBencode) l2 = decode_str("li2ei1ee", NULL);

    g_assert_true(gw_bencode_equal(a, b));
    gw_bencode_dict_set_int(b, "TOS", 0);
    g_assert_false(gw_bencode_equal(a, b));
    g_assert_true(gw_bencode_equal(NULL, NULL));
    g_assert_false(gw_bencode_equal(a, NULL));

    /* dictionaries compare as sets, lists in order */
    x = decode_str("d1:ai1e1:bi2ee", NULL);
    y = decode_str("d1:bi2e1:ai1ee", NULL);
    g_assert_true(gw_bencode_equal(x, y));
    g_assert_false(gw_bencode_equal(l1, l2));
    /* same size, different keys */
    g_clear_pointer(&y, gw_bencode_free);
    y = decode_str("d1:ai1e1:ci2ee", NULL);
    g_assert_false(gw_bencode_equal(x, y));
    /* types differ */
    g_assert_false(gw_bencode_equal(l1, x));
}

static void
test_api_scalars(void)
{
    g_autoptr(GwBencode) i = gw_bencode_int_new(-5);
    g_autoptr(GwBencode) s = gw_bencode_string_new("text");
    g_autoptr(GwBencode) e = gw_bencode_bytes_new(NULL, 0);
    gint64 n = 0;
    gsize len = 99;

    g_assert_cmpint(gw_bencode_get_type(i), ==, GW_BENCODE_INT);
    g_assert_true(gw_bencode_get_int(i, &n));
    g_assert_cmpint(n, ==, -5);
    g_assert_null(gw_bencode_peek_string(i, NULL));
    g_assert_false(gw_bencode_get_int(s, &n));
    g_assert_cmpstr(gw_bencode_peek_string(s, &len), ==, "text");
    g_assert_cmpuint(len, ==, 4);
    g_assert_cmpstr(gw_bencode_peek_string(e, &len), ==, "");
    g_assert_cmpuint(len, ==, 0);
}

static void
test_debug_string_cut(void)
{
    g_autoptr(GwBencode) d = decode_str("d3:sdp10:0123456789e", NULL);
    g_autofree char *cut = gw_bencode_to_debug_string(d, 4);
    g_autofree char *none = gw_bencode_to_debug_string(NULL, 0);

    g_assert_cmpstr(cut, ==, "{\"sdp\": \"0123...\"}");
    g_assert_cmpstr(none, ==, "null");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (guint i = 0; i < G_N_ELEMENTS(valid_cases); i++) {
        g_autofree char *path = g_strdup_printf("/bencode/valid/%02u", i);
        g_test_add_data_func(path, &valid_cases[i], test_valid);
    }
    for (guint i = 0; i < G_N_ELEMENTS(invalid_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/bencode/invalid/%s", invalid_cases[i].name);
        g_test_add_data_func(path, &invalid_cases[i], test_invalid);
    }
    g_test_add_func("/bencode/limits/depth", test_depth);
    g_test_add_func("/bencode/limits/truncations", test_truncations);
    g_test_add_func("/bencode/limits/nul-bytes", test_nul_bytes);
    g_test_add_func("/bencode/limits/length-checked-first",
                    test_length_checked_first);
    g_test_add_func("/bencode/roundtrip/built", test_roundtrip_built);
    g_test_add_func("/bencode/roundtrip/seeds", test_roundtrip_seeds);
    g_test_add_func("/bencode/api/dict", test_api_dict);
    g_test_add_func("/bencode/api/equal-copy", test_api_equal_copy);
    g_test_add_func("/bencode/api/scalars", test_api_scalars);
    g_test_add_func("/bencode/api/debug-string", test_debug_string_cut);
    return g_test_run();
}
