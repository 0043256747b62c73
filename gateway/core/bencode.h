/* gateway/core/bencode.h: bencoded values, as rtpengine's ng control protocol
 * carries them (docs/ng_control_protocol.md: "COOKIE SPACE BENCODED-DICT").
 * A pure core: bytes in, a value or a GError out; no I/O, no logging
 * above g_debug.
 *
 * The four types (BEP 3):
 *   integer      i42e  i-7e           (no leading zeros, no "-0")
 *   byte string  4:spam               (any bytes, length-prefixed)
 *   list         l4:spami42ee
 *   dictionary   d3:bar4:spam3:fooi42ee  (keys are byte strings)
 *
 * Dictionaries keep their keys in insertion (or wire) order; the encoder
 * writes them sorted by raw bytes, as BEP 3 requires. The decoder accepts
 * unsorted keys, because rtpengine's own answers are not sorted (its
 * documentation: "The requirement ... that dictionary keys must be present
 * in lexicographical order is not currently honoured"), but refuses
 * duplicate keys.
 *
 * Ownership: every `_new` returns a value the caller frees with
 * gw_bencode_free(); `_take` consumes its value argument; `_peek`/`_get`
 * borrow (valid while the container lives and the key is not replaced).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GW_BENCODE_ERROR (gw_bencode_error_quark())
GQuark gw_bencode_error_quark(void);

typedef enum {
    GW_BENCODE_ERROR_MALFORMED, /* not bencode, truncated, trailing bytes,
                                   non-canonical integer or length, too
                                   deep (> GW_BENCODE_MAX_DEPTH), duplicate
                                   dictionary key */
} GwBencodeError;

/* Containers nested deeper than this are refused by the decoder (a
 * top-level dictionary is depth 1). */
#define GW_BENCODE_MAX_DEPTH 32

typedef enum {
    GW_BENCODE_INT,
    GW_BENCODE_STRING,
    GW_BENCODE_LIST,
    GW_BENCODE_DICT,
} GwBencodeType;

typedef struct _GwBencode GwBencode;

/* ---- construction (all (transfer full)) ------------------------------- */

GwBencode *gw_bencode_int_new(gint64 value);
/* A byte string from a NUL-terminated C string (not NULL). */
GwBencode *gw_bencode_string_new(const char *value);
/* A byte string of `len` bytes (may contain NULs; data may be NULL if len
 * is 0). */
GwBencode *gw_bencode_bytes_new(const void *data, gsize len);
GwBencode *gw_bencode_list_new(void);
GwBencode *gw_bencode_dict_new(void);
/* Deep copy; NULL -> NULL. */
GwBencode *gw_bencode_copy(const GwBencode *value);
/* NULL is ignored. */
void gw_bencode_free(GwBencode *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GwBencode, gw_bencode_free)

GwBencodeType gw_bencode_get_type(const GwBencode *value);

/* Equality: same type; integers and byte strings by value; lists element
 * by element in order; dictionaries as key sets (order ignored, since
 * encoding sorts them) with equal values. NULL equals only NULL. */
gboolean gw_bencode_equal(const GwBencode *a, const GwBencode *b);

/* ---- scalars ---------------------------------------------------------- */

/* The integer; FALSE (out untouched) if `value` is not an integer. */
gboolean gw_bencode_get_int(const GwBencode *value, gint64 *out);
/* The bytes of a byte string, always followed by a NUL not counted in
 * `len` (so text can be used as a C string; it may contain NULs of its
 * own: compare `strlen()` with `len` where that matters). NULL if `value`
 * is not a byte string. `len` may be NULL. (transfer none) */
const char *gw_bencode_peek_string(const GwBencode *value, gsize *len);

/* ---- lists ------------------------------------------------------------ */

/* Appends `item` (consumed). */
void gw_bencode_list_take(GwBencode *list, GwBencode *item);
void gw_bencode_list_append_string(GwBencode *list, const char *value);
void gw_bencode_list_append_int(GwBencode *list, gint64 value);
/* 0 for a non-list. */
guint gw_bencode_list_length(const GwBencode *list);
/* The index-th element, or NULL when out of range. (transfer none) */
const GwBencode *gw_bencode_list_peek(const GwBencode *list, guint index);

/* ---- dictionaries ----------------------------------------------------- */

/* Sets `key` (NUL-terminated) to `value` (consumed), replacing and freeing
 * an existing value in place (the key keeps its position). */
void gw_bencode_dict_take(GwBencode *dict, const char *key, GwBencode *value);
void gw_bencode_dict_set_string(GwBencode *dict, const char *key,
                                const char *value);
void gw_bencode_dict_set_bytes(GwBencode *dict, const char *key,
                               const void *data, gsize len);
void gw_bencode_dict_set_int(GwBencode *dict, const char *key, gint64 value);
/* `key` = a list of the NULL-terminated string arguments, e.g.
 * gw_bencode_dict_set_list(d, "rtcp-mux", "offer", "require", NULL). */
void gw_bencode_dict_set_list(GwBencode *dict, const char *key,
                              const char *first, ...) G_GNUC_NULL_TERMINATED;
/* `key` = a list of the strings of a NULL-terminated vector. */
void gw_bencode_dict_set_strv(GwBencode *dict, const char *key,
                              const char *const *values);
/* Removes `key`; TRUE if it was there. */
gboolean gw_bencode_dict_remove(GwBencode *dict, const char *key);

/* Lookups by NUL-terminated key; NULL when `dict` is not a dictionary, the
 * key is absent, or (for the typed ones) the value has another type.
 * (transfer none) */
const GwBencode *gw_bencode_dict_peek(const GwBencode *dict, const char *key);
const char *gw_bencode_dict_get_string(const GwBencode *dict, const char *key,
                                       gsize *len);
gboolean gw_bencode_dict_get_int(const GwBencode *dict, const char *key,
                                 gint64 *out);
const GwBencode *gw_bencode_dict_get_list(const GwBencode *dict,
                                          const char *key);
const GwBencode *gw_bencode_dict_get_dict(const GwBencode *dict,
                                          const char *key);

/* Entries in insertion (wire) order: 0 for a non-dictionary; the key bytes
 * (NUL-terminated copy, `len` without it) and the value of entry `index`,
 * or NULL when out of range. (transfer none) */
guint gw_bencode_dict_size(const GwBencode *dict);
const char *gw_bencode_dict_peek_key(const GwBencode *dict, guint index,
                                     gsize *len);
const GwBencode *gw_bencode_dict_peek_value(const GwBencode *dict, guint index);

/* ---- wire form -------------------------------------------------------- */

/* Canonical encoding (dictionary keys sorted by raw bytes). Never fails.
 * (transfer full) */
GBytes *gw_bencode_encode(const GwBencode *value);

/* Decodes exactly one value spanning all `len` bytes (data may be NULL if
 * len is 0). Never reads outside data[0..len). Strict: integers and
 * string lengths in canonical decimal (no '+', no leading zeros, no "-0",
 * integers within gint64), string lengths checked against the bytes left
 * before anything is allocated, nesting at most GW_BENCODE_MAX_DEPTH, no
 * duplicate dictionary keys, no bytes after the value. (transfer full)
 * value, or NULL and GW_BENCODE_ERROR_MALFORMED naming the byte offset. */
GwBencode *gw_bencode_decode(const guint8 *data, gsize len, GError **error);

/* A one-line JSON-like rendering for debug logs: byte strings quoted with
 * \r \n \" \\ and \xNN escapes, at most `max_string` bytes of each string
 * shown (0 = all) with "..." after a cut. (transfer full) */
char *gw_bencode_to_debug_string(const GwBencode *value, gsize max_string);

G_END_DECLS
