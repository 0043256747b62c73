/* jsdp_xml.c: the small element tree the Jingle parser reads (JsdpXNode),
 * built either from a libxml2 tree (jsdp_session_from_jingle) or by our
 * own strict XML reader from text (jsdp_session_from_jingle_string).
 *
 * Why our own reader: libxml2 spends ~90 us in its parser set-up and SAX
 * machinery on a 14 KB session-initiate even with empty handlers, more than
 * the whole translation budget (see tests/bench/bench_jsdp.c).  The reader
 * is a destructive in-place parser over a private copy of the input: names
 * and values stay where they are, entities are decoded in place (a decoded
 * reference is never longer than its source).
 *
 * It reads XML 1.0 documents without a DTD: elements, attributes,
 * namespaces (RFC 3023 prefixes and defaults), text, CDATA, comments,
 * processing instructions, the five predefined entities and character
 * references.  A DOCTYPE is refused (so no entity can be declared and none
 * is ever expanded), nothing is loaded from anywhere (the NONET rule holds
 * trivially), and everything is bounded: input size, depth, node count.
 */
#include "jsdp_private.h"

#define MAX_DEPTH 64
#define MAX_NODES 65536
#define MAX_ATTRS 64
#define MAX_NS_BINDINGS 256

struct JsdpXArena {
    GPtrArray *blocks; /* owned memory blocks */
    char *cur;
    gsize left;
};

static gpointer
arena_alloc(JsdpXArena *a, gsize size)
{
    gpointer p;

    size = (size + 15) & ~(gsize)15;
    if (size > a->left) {
        /* The first block also holds the copy of the input text. */
        gsize block = MAX(size + (a->blocks->len == 0 ? 16384 : 0), 16384);
        a->cur = g_malloc(block);
        a->left = block;
        g_ptr_array_add(a->blocks, a->cur);
    }
    p = a->cur;
    a->cur += size;
    a->left -= size;
    return p;
}

JsdpXArena *
jsdp_xarena_new(void)
{
    JsdpXArena *a = g_new0(JsdpXArena, 1);

    a->blocks = g_ptr_array_new_with_free_func(g_free);
    return a;
}

void
jsdp_xarena_free(JsdpXArena *a)
{
    if (a == NULL)
        return;
    g_ptr_array_unref(a->blocks);
    g_free(a);
}

JsdpXNs
jsdp_xns_intern(const char *uri)
{
    static const char *const known[] = {
        [JSDP_XNS_JINGLE] = JSDP_NS_JINGLE,     [JSDP_XNS_RTP] = JSDP_NS_RTP,
        [JSDP_XNS_ICE_UDP] = JSDP_NS_ICE_UDP,   [JSDP_XNS_RAW_UDP] = JSDP_NS_RAW_UDP,
        [JSDP_XNS_DTLS] = JSDP_NS_DTLS,         [JSDP_XNS_RTCP_FB] = JSDP_NS_RTCP_FB,
        [JSDP_XNS_HDREXT] = JSDP_NS_HDREXT,     [JSDP_XNS_GROUPING] = JSDP_NS_GROUPING,
        [JSDP_XNS_SSMA] = JSDP_NS_SSMA,         [JSDP_XNS_MSID] = JSDP_NS_MSID,
        [JSDP_XNS_DTLS_SCTP] = JSDP_NS_DTLS_SCTP,
    };

    if (uri == NULL || strncmp(uri, "urn:xmpp:jingle:", 16) != 0)
        return JSDP_XNS_OTHER;
    for (guint i = 1; i < G_N_ELEMENTS(known); i++) {
        if (strcmp(uri, known[i]) == 0)
            return (JsdpXNs)i;
    }
    return JSDP_XNS_OTHER;
}

char *
jsdp_xarena_copy(JsdpXArena *a, const char *s, gsize len)
{
    char *p = arena_alloc(a, len + 1);

    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

const char *
jsdp_xnode_attr(const JsdpXNode *n, const char *name)
{
    for (guint i = 0; i < n->n_attrs; i++) {
        if (n->attrs[i].ns == NULL && n->attrs[i].name[0] == name[0] &&
            strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    }
    return NULL;
}

/* ---- from a libxml2 tree ---------------------------------------------- */

static char *
arena_strdup(JsdpXArena *a, const char *s)
{
    gsize n = strlen(s) + 1;
    char *p = arena_alloc(a, n);

    memcpy(p, s, n);
    return p;
}

static gboolean
blank(const char *s)
{
    for (; s != NULL && *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return FALSE;
    }
    return TRUE;
}

static JsdpXNode *
convert(JsdpXArena *a, const xmlNode *n, guint depth, guint *count)
{
    JsdpXNode *x;
    JsdpXNode **tail;
    guint na = 0;

    if (depth > MAX_DEPTH || ++*count > MAX_NODES)
        return NULL;
    x = arena_alloc(a, sizeof(JsdpXNode));
    memset(x, 0, sizeof(*x));
    x->name = (const char *)n->name;
    x->ns = n->ns && n->ns->href ? (const char *)n->ns->href : "";
    x->nsid = jsdp_xns_intern(x->ns);
    for (const xmlAttr *p = n->properties; p != NULL; p = p->next)
        na++;
    x->attrs = arena_alloc(a, sizeof(JsdpXAttr) * (na + 1));
    for (const xmlAttr *p = n->properties; p != NULL; p = p->next) {
        JsdpXAttr *at = &x->attrs[x->n_attrs++];
        at->name = (const char *)p->name;
        at->ns = p->ns && p->ns->href ? (const char *)p->ns->href : NULL;
        if (p->children == NULL)
            at->value = "";
        else if (p->children->type == XML_TEXT_NODE && p->children->next == NULL)
            at->value = (const char *)p->children->content;
        else {
            xmlChar *v = xmlNodeListGetString(n->doc, p->children, 1);
            at->value = arena_strdup(a, v ? (const char *)v : "");
            xmlFree(v);
        }
    }
    tail = &x->children;
    for (const xmlNode *k = n->children; k != NULL; k = k->next) {
        if (k->type == XML_ELEMENT_NODE) {
            JsdpXNode *c = convert(a, k, depth + 1, count);
            if (c == NULL)
                return NULL;
            *tail = c;
            tail = &c->next;
        } else if ((k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE) &&
                   x->text == NULL && !blank((const char *)k->content)) {
            x->text = (const char *)k->content;
        }
    }
    return x;
}

JsdpXNode *
jsdp_xnode_from_xml(JsdpXArena *a, const xmlNode *node)
{
    guint count = 0;

    return convert(a, node, 0, &count);
}

/* ---- our own reader --------------------------------------------------- */

typedef struct {
    const char *prefix; /* "" for the default namespace */
    const char *uri;
    JsdpXNs id;
} NsBinding;

typedef struct {
    JsdpXArena *arena;
    char *p, *end;
    const char *problem;
    NsBinding ns[MAX_NS_BINDINGS];
    guint n_ns;
    guint nodes;
    const char *last_uri; /* jsdp_xns_intern() cache: Jingle repeats them */
    JsdpXNs last_id;
} Reader;

#define IS_SPACE(c) ((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

static void
skip_space(Reader *r)
{
    while (r->p < r->end && IS_SPACE(*r->p))
        r->p++;
}

/* Bytes that end a name: NUL, blanks and XML punctuation. */
static const guint8 name_stop[256] = {
    [0] = 1,    ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1,  ['<'] = 1, ['>'] = 1,
    ['/'] = 1,  ['='] = 1,  ['!'] = 1,  ['?'] = 1,  ['\''] = 1, ['"'] = 1, ['&'] = 1,
    [';'] = 1,
};

static inline gboolean
name_char(char c)
{
    return !name_stop[(guchar)c];
}

/* Reads a name in place; returns it NUL-terminated later by the caller
 * (the byte after it is saved in *after). */
static char *
read_name(Reader *r)
{
    char *start = r->p;

    while (r->p < r->end && name_char(*r->p))
        r->p++;
    if (r->p == start || g_ascii_isdigit(*start) || *start == '-' || *start == '.' ||
        *start == ':') {
        r->problem = "bad name";
        return NULL;
    }
    return start;
}

static void
put_utf8(char **out, gunichar c)
{
    *out += g_unichar_to_utf8(c, *out);
}

/* Decodes references in [s, e) in place and NUL-terminates; attribute
 * values also get XML 1.0 §3.3.3 normalisation (literal tab/CR/LF become
 * spaces).  Returns FALSE on a bad reference. */
static gboolean
decode(Reader *r, char *s, char *e, gboolean attr)
{
    char *out;

    static const guint8 special[256] = {['&'] = 1, ['<'] = 1, ['\t'] = 1, ['\n'] = 1,
                                        ['\r'] = 1};

    /* Fast path: nothing to decode or normalise up to the end. */
    while (s < e && !special[(guchar)*s])
        s++;
    if (s == e) {
        *e = '\0';
        return TRUE;
    }
    out = s;

    while (s < e) {
        char c = *s;
        if (c == '&') {
            char *semi = memchr(s, ';', (gsize)(e - s));
            gsize len;
            if (semi == NULL || semi - s > 12) {
                r->problem = "bad reference";
                return FALSE;
            }
            len = (gsize)(semi - s - 1);
            if (len == 2 && strncmp(s + 1, "lt", 2) == 0)
                *out++ = '<';
            else if (len == 2 && strncmp(s + 1, "gt", 2) == 0)
                *out++ = '>';
            else if (len == 3 && strncmp(s + 1, "amp", 3) == 0)
                *out++ = '&';
            else if (len == 4 && strncmp(s + 1, "quot", 4) == 0)
                *out++ = '"';
            else if (len == 4 && strncmp(s + 1, "apos", 4) == 0)
                *out++ = '\'';
            else if (len >= 2 && s[1] == '#') {
                guint64 v = 0;
                gboolean hex = s[2] == 'x';
                const char *d = s + (hex ? 3 : 2);
                if (d == semi) {
                    r->problem = "bad character reference";
                    return FALSE;
                }
                for (; d < semi; d++) {
                    int dv = hex ? g_ascii_xdigit_value(*d) : g_ascii_digit_value(*d);
                    if (dv < 0 || v > 0x10FFFF) {
                        r->problem = "bad character reference";
                        return FALSE;
                    }
                    v = v * (hex ? 16 : 10) + (guint64)dv;
                }
                /* XML 1.0 Char production */
                if (v > 0x10FFFF || v == 0 || (v >= 0xD800 && v <= 0xDFFF) ||
                    v == 0xFFFE || v == 0xFFFF || (v < 0x20 && v != 9 && v != 10 && v != 13)) {
                    r->problem = "bad character reference";
                    return FALSE;
                }
                put_utf8(&out, (gunichar)v);
            } else {
                r->problem = "undeclared entity";
                return FALSE;
            }
            s = semi + 1;
        } else if (c == '<' && attr) {
            r->problem = "'<' in attribute value";
            return FALSE;
        } else {
            *out++ = attr && (c == '\t' || c == '\n' || c == '\r') ? ' ' : c;
            s++;
        }
    }
    *out = '\0';
    return TRUE;
}

static const NsBinding *
lookup_binding(Reader *r, const char *prefix, gsize len)
{
    static const NsBinding xml = {"xml", "http://www.w3.org/XML/1998/namespace", JSDP_XNS_OTHER};

    for (guint i = r->n_ns; i-- > 0;) {
        if (strncmp(r->ns[i].prefix, prefix, len) == 0 && r->ns[i].prefix[len] == '\0')
            return &r->ns[i];
    }
    if (len == 3 && strncmp(prefix, "xml", 3) == 0)
        return &xml;
    return NULL;
}

static const char *
lookup_ns(Reader *r, const char *prefix, gsize len)
{
    const NsBinding *b = lookup_binding(r, prefix, len);

    return b ? b->uri : NULL;
}

/* Skips comments, PIs and (outside the root) whitespace.  FALSE on error. */
static gboolean
skip_misc(Reader *r, gboolean allow_text)
{
    for (;;) {
        if (!allow_text)
            skip_space(r);
        if (r->end - r->p >= 4 && memcmp(r->p, "<!--", 4) == 0) {
            char *e = g_strstr_len(r->p + 4, r->end - r->p - 4, "-->");
            if (e == NULL) {
                r->problem = "unterminated comment";
                return FALSE;
            }
            r->p = e + 3;
        } else if (r->end - r->p >= 2 && memcmp(r->p, "<?", 2) == 0) {
            char *e = g_strstr_len(r->p + 2, r->end - r->p - 2, "?>");
            if (e == NULL) {
                r->problem = "unterminated processing instruction";
                return FALSE;
            }
            r->p = e + 2;
        } else if (r->end - r->p >= 2 && memcmp(r->p, "<!", 2) == 0 &&
                   !(r->end - r->p >= 9 && memcmp(r->p, "<![CDATA[", 9) == 0)) {
            r->problem = "DOCTYPE or declaration not allowed";
            return FALSE;
        } else {
            return TRUE;
        }
    }
}

static JsdpXNode *read_element(Reader *r, guint depth);

/* Element content up to the end tag.  Text pieces: the first non-blank
 * one is kept as the element's text. */
static gboolean
read_content(Reader *r, JsdpXNode *x, guint depth)
{
    JsdpXNode **tail = &x->children;

    for (;;) {
        char *start = r->p;
        char *lt = memchr(r->p, '<', (gsize)(r->end - r->p));
        if (lt == NULL) {
            r->problem = "unterminated element";
            return FALSE;
        }
        if (lt > start) {
            char *save_end = lt;
            r->p = lt;
            if (memchr(start, '>', (gsize)(lt - start)) != NULL &&
                g_strstr_len(start, lt - start, "]]>") != NULL) {
                r->problem = "']]>' in text";
                return FALSE;
            }
            if (x->text == NULL) {
                char saved = *save_end;
                gboolean all_blank = TRUE;
                for (char *q = start; q < save_end && all_blank; q++)
                    all_blank = IS_SPACE(*q);
                if (!all_blank) {
                    /* decode needs a writable terminator: the '<' is
                     * restored right after (decode only shrinks). */
                    char *tmp = arena_alloc(r->arena, (gsize)(save_end - start) + 1);
                    memcpy(tmp, start, (gsize)(save_end - start));
                    if (!decode(r, tmp, tmp + (save_end - start), FALSE))
                        return FALSE;
                    x->text = tmp;
                }
                (void)saved;
            } else {
                /* validate references in later pieces too */
                char *tmp = arena_alloc(r->arena, (gsize)(save_end - start) + 1);
                memcpy(tmp, start, (gsize)(save_end - start));
                if (!decode(r, tmp, tmp + (save_end - start), FALSE))
                    return FALSE;
            }
        }
        r->p = lt;
        if (r->end - r->p >= 2 && r->p[1] == '/')
            return TRUE;
        if (r->end - r->p >= 9 && memcmp(r->p, "<![CDATA[", 9) == 0) {
            char *e = g_strstr_len(r->p + 9, r->end - r->p - 9, "]]>");
            if (e == NULL) {
                r->problem = "unterminated CDATA";
                return FALSE;
            }
            if (x->text == NULL && e > r->p + 9) {
                char *tmp = arena_alloc(r->arena, (gsize)(e - r->p - 9) + 1);
                memcpy(tmp, r->p + 9, (gsize)(e - r->p - 9));
                tmp[e - r->p - 9] = '\0';
                if (!blank(tmp))
                    x->text = tmp;
            }
            r->p = e + 3;
            continue;
        }
        if (r->end - r->p >= 2 && (r->p[1] == '!' || r->p[1] == '?')) {
            if (!skip_misc(r, TRUE))
                return FALSE;
            continue;
        }
        JsdpXNode *c = read_element(r, depth + 1);
        if (c == NULL)
            return FALSE;
        *tail = c;
        tail = &c->next;
    }
}

typedef struct {
    char *qname;
    gsize qlen;
    char *value_start, *value_end;
} RawAttr;

static gboolean
read_attrs(Reader *r, RawAttr *raw, guint *n, gboolean *empty)
{
    *n = 0;
    for (;;) {
        char *before = r->p;
        skip_space(r);
        if (r->p >= r->end) {
            r->problem = "unterminated start tag";
            return FALSE;
        }
        if (*r->p == '>') {
            r->p++;
            *empty = FALSE;
            return TRUE;
        }
        if (*r->p == '/') {
            if (r->end - r->p < 2 || r->p[1] != '>') {
                r->problem = "bad empty-element tag";
                return FALSE;
            }
            r->p += 2;
            *empty = TRUE;
            return TRUE;
        }
        if (r->p == before) {
            r->problem = "attributes must be separated by space";
            return FALSE;
        }
        if (*n >= MAX_ATTRS) {
            r->problem = "too many attributes";
            return FALSE;
        }
        RawAttr *a = &raw[(*n)++];
        a->qname = read_name(r);
        if (a->qname == NULL)
            return FALSE;
        a->qlen = (gsize)(r->p - a->qname);
        skip_space(r);
        if (r->p >= r->end || *r->p != '=') {
            r->problem = "attribute without value";
            return FALSE;
        }
        r->p++;
        skip_space(r);
        if (r->p >= r->end || (*r->p != '"' && *r->p != '\'')) {
            r->problem = "unquoted attribute value";
            return FALSE;
        }
        char q = *r->p++;
        char *close = memchr(r->p, q, (gsize)(r->end - r->p));
        if (close == NULL) {
            r->problem = "unterminated attribute value";
            return FALSE;
        }
        a->value_start = r->p;
        a->value_end = close;
        r->p = close + 1;
    }
}

static JsdpXNode *
read_element(Reader *r, guint depth)
{
    RawAttr raw[MAX_ATTRS];
    guint n_raw = 0, ns_mark = r->n_ns;
    gboolean empty = FALSE;
    char *qname, *colon;
    gsize qlen;
    JsdpXNode *x;

    if (depth > MAX_DEPTH || ++r->nodes > MAX_NODES) {
        r->problem = "too deep or too many elements";
        return NULL;
    }
    r->p++; /* '<' */
    qname = read_name(r);
    if (qname == NULL)
        return NULL;
    qlen = (gsize)(r->p - qname);
    if (!read_attrs(r, raw, &n_raw, &empty))
        return NULL;
    /* Namespace declarations first (they scope the element itself). */
    for (guint i = 0; i < n_raw; i++) {
        RawAttr *a = &raw[i];
        gboolean def = a->qlen == 5 && strncmp(a->qname, "xmlns", 5) == 0;
        gboolean pre = a->qlen > 6 && strncmp(a->qname, "xmlns:", 6) == 0;
        if (!def && !pre)
            continue;
        if (r->n_ns >= MAX_NS_BINDINGS) {
            r->problem = "too many namespace declarations";
            return NULL;
        }
        if (!decode(r, a->value_start, a->value_end, TRUE))
            return NULL;
        a->qname[a->qlen] = '\0';
        r->ns[r->n_ns].prefix = def ? "" : a->qname + 6;
        r->ns[r->n_ns].uri = a->value_start;
        if (r->last_uri == NULL || strcmp(r->last_uri, a->value_start) != 0) {
            r->last_uri = a->value_start;
            r->last_id = jsdp_xns_intern(a->value_start);
        }
        r->ns[r->n_ns].id = r->last_id;
        if (pre && *a->value_start == '\0') {
            r->problem = "empty namespace for a prefix";
            return NULL;
        }
        r->n_ns++;
        a->qname = NULL; /* consumed */
    }
    x = arena_alloc(r->arena, sizeof(JsdpXNode));
    memset(x, 0, sizeof(*x));
    x->attrs = arena_alloc(r->arena, sizeof(JsdpXAttr) * (n_raw + 1));
    colon = memchr(qname, ':', qlen);
    {
        const NsBinding *b = lookup_binding(r, colon ? qname : "", colon ? (gsize)(colon - qname) : 0);
        if (b == NULL && colon != NULL) {
            r->problem = "undeclared namespace prefix";
            return NULL;
        }
        x->ns = b ? b->uri : "";
        x->nsid = b ? b->id : JSDP_XNS_OTHER;
        if (b != NULL && *b->uri == '\0')
            x->nsid = JSDP_XNS_OTHER; /* xmlns="" undeclares the default */
    }
    for (guint i = 0; i < n_raw; i++) {
        RawAttr *a = &raw[i];
        char *c;
        if (a->qname == NULL)
            continue;
        c = memchr(a->qname, ':', a->qlen);
        JsdpXAttr *at = &x->attrs[x->n_attrs];
        if (c != NULL) {
            at->ns = lookup_ns(r, a->qname, (gsize)(c - a->qname));
            if (at->ns == NULL) {
                r->problem = "undeclared attribute prefix";
                return NULL;
            }
            at->name = c + 1;
        } else {
            at->ns = NULL;
            at->name = a->qname;
        }
        if (!decode(r, a->value_start, a->value_end, TRUE))
            return NULL;
        at->value = a->value_start;
        x->n_attrs++;
    }
    /* Terminate names only now: the byte after a name may have been the
     * '=' or space we parsed past, never data we still need. */
    for (guint i = 0; i < n_raw; i++) {
        if (raw[i].qname != NULL)
            raw[i].qname[raw[i].qlen] = '\0';
    }
    for (guint i = 0; i < x->n_attrs; i++) {
        for (guint j = 0; j < i; j++) {
            if (x->attrs[i].name[0] == x->attrs[j].name[0] &&
                strcmp(x->attrs[i].name, x->attrs[j].name) == 0 &&
                g_strcmp0(x->attrs[i].ns, x->attrs[j].ns) == 0) {
                r->problem = "duplicate attribute";
                return NULL;
            }
        }
    }
    x->name = colon ? colon + 1 : qname;
    if (!empty) {
        char saved_name_end = qname[qlen];
        if (!read_content(r, x, depth))
            return NULL;
        /* end tag: "</" qname S? ">" */
        r->p += 2;
        if ((gsize)(r->end - r->p) < qlen || memcmp(r->p, qname, qlen) != 0 ||
            (r->p + qlen < r->end && name_char(r->p[qlen]))) {
            r->problem = "mismatched end tag";
            return NULL;
        }
        r->p += qlen;
        skip_space(r);
        if (r->p >= r->end || *r->p != '>') {
            r->problem = "bad end tag";
            return NULL;
        }
        r->p++;
        (void)saved_name_end;
    }
    qname[qlen] = '\0';
    r->n_ns = ns_mark;
    return x;
}

JsdpXNode *
jsdp_xnode_parse(JsdpXArena *a, char *text, gsize len, const char **problem, gsize *offset)
{
    Reader r = {.arena = a, .p = text, .end = text + len};
    JsdpXNode *root;

    /* XML 1.0 §2.2: UTF-8 text without C0 controls other than TAB/LF/CR. */
    *offset = jsdp_text_check(text, len);
    if (*offset != len) {
        *problem = "not UTF-8, or a control character";
        return NULL;
    }
    if (len >= 3 && memcmp(r.p, "\xEF\xBB\xBF", 3) == 0)
        r.p += 3;
    if (!skip_misc(&r, FALSE))
        goto fail;
    if (r.p >= r.end || *r.p != '<') {
        r.problem = "no root element";
        goto fail;
    }
    root = read_element(&r, 0);
    if (root == NULL)
        goto fail;
    if (!skip_misc(&r, FALSE))
        goto fail;
    if (r.p != r.end) {
        r.problem = "content after the root element";
        goto fail;
    }
    return root;
fail:
    *problem = r.problem ? r.problem : "not well-formed";
    *offset = (gsize)(r.p - text);
    return NULL;
}
