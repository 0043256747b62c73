/* gateway/core/pidf.c: PIDF (RFC 3863) with RPID (RFC 4480) <-> GwPresence, the
 * pure presence core. Values in, a document or a GwPresence (or a GError)
 * out; no I/O, clock or randomness: ids and the timestamp come in
 * GwPidfParams.
 *
 * What we build (one tuple, one person; gw_pidf_build()):
 *
 *   <presence xmlns="urn:ietf:params:xml:ns:pidf"            RFC 3863
 *             xmlns:dm="...:pidf:data-model" xmlns:rpid="...:pidf:rpid"
 *             entity="sip:alice@gw.example.com">
 *     <tuple id="t1">
 *       <status><basic>open</basic></status>          closed when offline
 *       <contact>sip:alice@gw.example.com</contact>
 *       <note xml:lang="en">In a meeting</note>       only with a status
 *       <timestamp>...</timestamp>                    only with a timestamp
 *     </tuple>
 *     <dm:person id="p1">                               RFC 4479
 *       <rpid:activities><rpid:busy/></rpid:activities>   only away/xa/dnd
 *       <dm:note xml:lang="en">In a meeting</dm:note>
 *       <dm:timestamp>...</dm:timestamp>
 *     </dm:person>
 *   </presence>
 *
 * Why this exact shape (what the peers' parsers really do):
 * - PIDF elements are unprefixed (default namespace) and the prefixes are
 *   exactly "dm" and "rpid": baresip's subscriber greps the raw body for
 *   "<basic>" and "<rpid:away/>"/"<rpid:busy/>" (modules/presence/
 *   subscriber.c); pjsip (pjsip-simple/pidf.c, rpid.c), which many
 *   softphones embed, matches element names as written: "tuple", "status",
 *   "basic", and names ending in "person"/"activities"/"busy"/"away".
 * - Activities are empty elements, and online/chat carry none at all (no
 *   <rpid:unknown/>, no empty <rpid:activities/>): liblinphone counts any
 *   activity, unknown included, and calls an open presence with one "busy"
 *   (PresenceModel::getConsolidatedPresence); pjsip reads a missing
 *   activities element as unknown = online anyway.
 * - The note goes both in the tuple (RFC 3863, liblinphone's own writer)
 *   and as <dm:note> in the person: pjsip's RPID reader takes the person's
 *   note and never the tuple's.
 * - Order follows the schemas: tuples before the person (RFC 3863's
 *   presence is tuple*, note*, extensions), status/contact/note/timestamp
 *   in a tuple, activities/note/timestamp in a person (RFC 4479).
 * - dnd stays open + busy: liblinphone shows "busy", baresip BUSY, pjsip
 *   "busy"; closed would read as offline in baresip and pjsip.
 *
 * What we read (gw_pidf_parse()), matching by namespace URI, never prefix:
 * - show: offline unless some tuple has <basic>open</basic>; then the
 *   strongest activity of any person, or of any open tuple (older RPID
 *   drafts put them there), from activity_rows[] below.
 * - status: the first non-empty note of an open tuple, else of a person
 *   (<dm:note>, then <rpid:note> in its activities), else on <presence>;
 *   when offline a closed tuple's note comes first instead. Its xml:lang,
 *   inherited as XML says, is status_lang.
 * - Documents with no tuple are offline (RFC 3863 allows zero tuples;
 *   servers send that for polite blocking and expired publications).
 *   Tuples none of which has a readable basic (RFC 3863 makes <basic>
 *   optional inside <status>) are GW_PIDF_ERROR_UNSUPPORTED: we cannot
 *   tell available from not, and guessing offline would flap a contact.
 * - The pre-RFC 4480 namespaces Asterisk's chan_sip still sends (person
 *   urn:ietf:params:xml:ns:pidf:person, activities urn:ietf:params:xml:
 *   ns:pidf:rpid:rpid-person) are read like their RFC successors.
 *
 * Safety: at most GW_PIDF_MAX_INPUT bytes, parsed with XML_PARSE_NONET and
 * neither XML_PARSE_NOENT nor DTD loading; any DOCTYPE stops the parser
 * before its internal subset is read (PIDF has none; without one no entity
 * can be declared, so none is expanded or fetched: no XXE, no billion
 * laughs); at most MAX_DEPTH levels and MAX_ELEMENTS elements.
 *
 * Lossy points, by design (the round trip test checks the rest):
 * chat -> online and xa -> away (RPID has no distinct activities); the
 * status is trimmed of surrounding white space, a blank one is dropped,
 * characters XML cannot carry become U+FFFD, and it is cut to MAX_STATUS
 * bytes; a status_lang that is not a language tag (RFC 5646 letters,
 * digits and '-', at most MAX_LANG) is dropped, and so is one without a
 * status; on_the_phone is read, never written. Parsing applies the same
 * trimming, cut and tag check, so parse(build(parse(doc))) is stable.
 */
#include "pidf.h"
#include "xml_read.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define NS_DM "urn:ietf:params:xml:ns:pidf:data-model"
#define NS_RPID "urn:ietf:params:xml:ns:pidf:rpid"
/* draft-ietf-simple-rpid era namespaces, still in Asterisk chan_sip. */
#define NS_OLD_PERSON "urn:ietf:params:xml:ns:pidf:person"
#define NS_OLD_RPID "urn:ietf:params:xml:ns:pidf:rpid:rpid-person"

#define GW_PIDF_MAX_INPUT (64 * 1024)
#define MAX_DEPTH 32
#define MAX_ELEMENTS 2048
/* A status is cut to this many bytes (at a character boundary) in both
 * directions: XMPP statuses are a line or two, the note goes twice into a
 * NOTIFY that should fit a UDP datagram (RFC 3261 §18.1.1), and a long
 * one escaped twice could otherwise outgrow GW_PIDF_MAX_INPUT. */
#define MAX_STATUS 1024
#define MAX_LANG 64

static void
xml_chars_free(xmlChar *p)
{
    xmlFree(p);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlChar, xml_chars_free)

/* clang-format off */
G_DEFINE_QUARK(gw-pidf-error-quark, gw_pidf_error)
/* clang-format on */

/* ---- GwPresence ------------------------------------------------------- */

GwPresence *
gw_presence_new(GwShow show, const char *status, const char *status_lang)
{
    GwPresence *p = g_new0(GwPresence, 1);

    p->show = show;
    p->status = g_strdup(status);
    p->status_lang = g_strdup(status_lang);
    return p;
}

GwPresence *
gw_presence_copy(const GwPresence *p)
{
    GwPresence *c;

    g_return_val_if_fail(p != NULL, NULL);
    c = gw_presence_new(p->show, p->status, p->status_lang);
    c->on_the_phone = p->on_the_phone;
    return c;
}

gboolean
gw_presence_equal(const GwPresence *a, const GwPresence *b)
{
    if (a == b)
        return TRUE;
    if (a == NULL || b == NULL)
        return FALSE;
    return a->show == b->show && !a->on_the_phone == !b->on_the_phone &&
           g_strcmp0(a->status, b->status) == 0 &&
           g_strcmp0(a->status_lang, b->status_lang) == 0;
}

void
gw_presence_free(GwPresence *p)
{
    if (p == NULL)
        return;
    g_free(p->status);
    g_free(p->status_lang);
    g_free(p);
}

static const char *const show_names[] = {
    [GW_SHOW_ONLINE] = "online", [GW_SHOW_CHAT] = "chat",
    [GW_SHOW_AWAY] = "away",     [GW_SHOW_XA] = "xa",
    [GW_SHOW_DND] = "dnd",       [GW_SHOW_OFFLINE] = "offline",
};

const char *
gw_show_to_string(GwShow show)
{
    g_return_val_if_fail((guint)show < G_N_ELEMENTS(show_names), NULL);
    return show_names[show];
}

int
gw_show_from_string(const char *s)
{
    if (s == NULL)
        return -1;
    for (guint i = 0; i < G_N_ELEMENTS(show_names); i++)
        if (strcmp(s, show_names[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- XMPP -> PIDF ----------------------------------------------------- */

/* XML 1.0 §2.2 Char. */
static gboolean
is_xml_char(gunichar c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* A copy that XML can carry: invalid UTF-8 and non-Chars become U+FFFD. */
static char *
dup_xml_safe(const char *s)
{
    g_autofree char *valid = g_utf8_make_valid(s, -1);
    GString *out = g_string_sized_new(strlen(valid));

    for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        g_string_append_unichar(out, is_xml_char(c) ? c : 0xFFFD);
    }
    return g_string_free(out, FALSE);
}

/* Takes s: trimmed, cut to MAX_STATUS bytes at a character boundary,
 * trimmed again; NULL when blank. */
static char *
take_status(char *s)
{
    gsize cut;

    if (s == NULL)
        return NULL;
    g_strstrip(s);
    if (strlen(s) > MAX_STATUS) {
        cut = MAX_STATUS;
        while (cut > 0 && ((guchar)s[cut] & 0xC0) == 0x80)
            cut--;
        s[cut] = '\0';
        g_strchomp(s);
    }
    if (*s == '\0')
        g_clear_pointer(&s, g_free);
    return s;
}

/* The shape of an RFC 5646 tag, loosely: what xml:lang may say. */
static gboolean
is_lang_tag(const char *s)
{
    gsize n = 0;

    for (; s[n] != '\0'; n++)
        if (n >= MAX_LANG || !(g_ascii_isalnum(s[n]) || s[n] == '-'))
            return FALSE;
    return n > 0;
}

/* Escapes for text (attr FALSE) or a double-quoted attribute. CR is always
 * a reference (XML 1.0 §2.11 would turn it into LF), and in attributes so
 * are TAB and LF (§3.3.3 would turn them into spaces). */
static void
append_escaped(GString *out, const char *s, gboolean attr)
{
    for (const char *p = s; *p != '\0'; p++) {
        switch (*p) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '\r':
            g_string_append(out, "&#13;");
            break;
        case '"':
            g_string_append(out, attr ? "&quot;" : "\"");
            break;
        case '\n':
            g_string_append(out, attr ? "&#10;" : "\n");
            break;
        case '\t':
            g_string_append(out, attr ? "&#9;" : "\t");
            break;
        default:
            g_string_append_c(out, *p);
        }
    }
}

/* <name[ xml:lang="lang"]>text</name> on its own line. */
static void
append_text_element(GString *out, const char *indent, const char *name,
                    const char *lang, const char *text)
{
    g_string_append_printf(out, "%s<%s", indent, name);
    if (lang != NULL) {
        g_string_append(out, " xml:lang=\"");
        append_escaped(out, lang, TRUE);
        g_string_append_c(out, '"');
    }
    g_string_append_c(out, '>');
    append_escaped(out, text, FALSE);
    g_string_append_printf(out, "</%s>\n", name);
}

/* RFC 4480 has neither "extended away" nor "free for chat": xa shares
 * away, chat shares online. */
static const char *
activity_for_show(GwShow show)
{
    switch (show) {
    case GW_SHOW_AWAY:
    case GW_SHOW_XA:
        return "away";
    case GW_SHOW_DND:
        return "busy";
    default:
        return NULL;
    }
}

static gboolean
is_ncname(const char *s)
{
    return s != NULL && xmlValidateNCName((const xmlChar *)s, 0) == 0;
}

char *
gw_pidf_build(const GwPresence *p, const GwPidfParams *params)
{
    g_autofree char *entity = NULL;
    g_autofree char *note = NULL;
    g_autofree char *lang = NULL;
    g_autofree char *stamp = NULL;
    const char *activity;
    GString *out;

    g_return_val_if_fail(p != NULL, NULL);
    g_return_val_if_fail((guint)p->show <= GW_SHOW_OFFLINE, NULL);
    g_return_val_if_fail(params != NULL && params->entity != NULL, NULL);
    g_return_val_if_fail(is_ncname(params->tuple_id), NULL);
    g_return_val_if_fail(is_ncname(params->person_id), NULL);

    entity = dup_xml_safe(params->entity);
    if (p->status != NULL)
        note = take_status(dup_xml_safe(p->status));
    if (note != NULL && p->status_lang != NULL && is_lang_tag(p->status_lang))
        lang = g_strdup(p->status_lang);
    if (params->timestamp != NULL)
        stamp = dup_xml_safe(params->timestamp);
    activity = activity_for_show(p->show);

    out = g_string_sized_new(1024);
    g_string_append(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<presence xmlns=\"" NS_PIDF "\"\n"
                         "          xmlns:dm=\"" NS_DM "\"\n"
                         "          xmlns:rpid=\"" NS_RPID "\"\n"
                         "          entity=\"");
    append_escaped(out, entity, TRUE);
    g_string_append_printf(out, "\">\n  <tuple id=\"%s\">\n", params->tuple_id);
    g_string_append_printf(out,
                           "    <status>\n"
                           "      <basic>%s</basic>\n"
                           "    </status>\n",
                           p->show == GW_SHOW_OFFLINE ? "closed" : "open");
    append_text_element(out, "    ", "contact", NULL, entity);
    if (note != NULL)
        append_text_element(out, "    ", "note", lang, note);
    if (stamp != NULL)
        append_text_element(out, "    ", "timestamp", NULL, stamp);
    g_string_append_printf(out, "  </tuple>\n  <dm:person id=\"%s\"",
                           params->person_id);
    if (activity == NULL && note == NULL && stamp == NULL) {
        g_string_append(out, "/>\n</presence>\n");
        return g_string_free(out, FALSE);
    }
    g_string_append(out, ">\n");
    if (activity != NULL)
        g_string_append_printf(out,
                               "    <rpid:activities>\n"
                               "      <rpid:%s/>\n"
                               "    </rpid:activities>\n",
                               activity);
    if (note != NULL)
        append_text_element(out, "    ", "dm:note", lang, note);
    if (stamp != NULL)
        append_text_element(out, "    ", "dm:timestamp", NULL, stamp);
    g_string_append(out, "  </dm:person>\n</presence>\n");
    return g_string_free(out, FALSE);
}

/* ---- PIDF -> XMPP ----------------------------------------------------- */

/* RFC 4480 activities -> XMPP show (RFC 6121 §4.7.2.1). Busy-like
 * commitments are dnd, long absences xa, anything else the person is
 * doing instead of being reachable away; "unknown", "working" and
 * "looking-for-work" say nothing about reachability. Unknown names
 * (extensions) are ignored. */
static const struct {
    const char *name;
    GwShow show;
} activity_rows[] = {
    {"away", GW_SHOW_AWAY},
    {"busy", GW_SHOW_DND},
    {"on-the-phone", GW_SHOW_AWAY}, /* also sets on_the_phone */
    {"appointment", GW_SHOW_DND},
    {"meeting", GW_SHOW_DND},
    {"performance", GW_SHOW_DND},
    {"presentation", GW_SHOW_DND},
    {"worship", GW_SHOW_DND},
    {"holiday", GW_SHOW_XA},
    {"permanent-absence", GW_SHOW_XA},
    {"sleeping", GW_SHOW_XA},
    {"vacation", GW_SHOW_XA},
    {"breakfast", GW_SHOW_AWAY},
    {"dinner", GW_SHOW_AWAY},
    {"in-transit", GW_SHOW_AWAY},
    {"lunch", GW_SHOW_AWAY},
    {"meal", GW_SHOW_AWAY},
    {"other", GW_SHOW_AWAY},
    {"playing", GW_SHOW_AWAY},
    {"shopping", GW_SHOW_AWAY},
    {"spectator", GW_SHOW_AWAY},
    {"steering", GW_SHOW_AWAY},
    {"travel", GW_SHOW_AWAY},
    {"tv", GW_SHOW_AWAY},
    {"looking-for-work", GW_SHOW_ONLINE},
    {"unknown", GW_SHOW_ONLINE},
    {"working", GW_SHOW_ONLINE},
};

/* Which of several activities wins: dnd > xa > away > none. */
static int
show_rank(GwShow show)
{
    switch (show) {
    case GW_SHOW_AWAY:
        return 1;
    case GW_SHOW_XA:
        return 2;
    case GW_SHOW_DND:
        return 3;
    default:
        return 0;
    }
}

enum {
    NOTE_OPEN_TUPLE,
    NOTE_CLOSED_TUPLE,
    NOTE_PERSON,
    NOTE_ACTIVITIES,
    NOTE_PRESENCE,
    N_NOTE_SOURCES
};

typedef struct {
    gboolean has_tuple;
    gboolean has_basic; /* some tuple says open or closed */
    gboolean open;
    char *bad_basic; /* first unreadable basic, for the error */
    GwShow activity; /* strongest activity seen */
    gboolean on_the_phone;
    const xmlNode *note[N_NOTE_SOURCES]; /* first non-empty of each kind */
} Scan;

static gboolean
has_ns(const xmlNode *node, const char *ns)
{
    return node->ns != NULL && node->ns->href != NULL &&
           strcmp((const char *)node->ns->href, ns) == 0;
}

static gboolean
is_element(const xmlNode *node, const char *ns, const char *name)
{
    return node->type == XML_ELEMENT_NODE && has_ns(node, ns) &&
           strcmp((const char *)node->name, name) == 0;
}

static gboolean
is_rpid_ns(const xmlNode *node)
{
    return has_ns(node, NS_RPID) || has_ns(node, NS_OLD_RPID);
}

/* The element's own text and CDATA, trimmed; NULL when blank. Entity
 * references cannot occur: documents with a DOCTYPE are refused. */
static char *
dup_text(const xmlNode *node)
{
    GString *s = g_string_new(NULL);
    char *text;

    for (const xmlNode *c = node->children; c != NULL; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
            c->content != NULL)
            g_string_append(s, (const char *)c->content);
    text = g_strstrip(g_string_free(s, FALSE));
    if (*text == '\0')
        g_clear_pointer(&text, g_free);
    return text;
}

static gboolean
has_text(const xmlNode *node)
{
    g_autofree char *text = dup_text(node);
    return text != NULL;
}

static void
remember_note(Scan *scan, int source, const xmlNode *node)
{
    if (scan->note[source] == NULL && has_text(node))
        scan->note[source] = node;
}

static void
read_activity(Scan *scan, const xmlNode *node)
{
    const char *name = (const char *)node->name;

    if (strcmp(name, "note") == 0) {
        remember_note(scan, NOTE_ACTIVITIES, node);
        return;
    }
    for (guint i = 0; i < G_N_ELEMENTS(activity_rows); i++) {
        if (strcmp(name, activity_rows[i].name) != 0)
            continue;
        if (show_rank(activity_rows[i].show) > show_rank(scan->activity))
            scan->activity = activity_rows[i].show;
        if (strcmp(name, "on-the-phone") == 0)
            scan->on_the_phone = TRUE;
        return;
    }
}

/* <activities> anywhere below a person or an open tuple (RFC 4480 puts
 * them in the person; older drafts and chan_sip one level deeper). Depth
 * is bounded by check_limits(). */
static void
find_activities(Scan *scan, const xmlNode *parent)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_rpid_ns(c) && strcmp((const char *)c->name, "activities") == 0) {
            for (const xmlNode *a = c->children; a != NULL; a = a->next)
                if (a->type == XML_ELEMENT_NODE && is_rpid_ns(a))
                    read_activity(scan, a);
        } else {
            find_activities(scan, c);
        }
    }
}

static void
read_tuple(Scan *scan, const xmlNode *tuple)
{
    const xmlNode *basic = NULL;
    g_autofree char *value = NULL;
    gboolean open = FALSE;

    scan->has_tuple = TRUE;
    for (const xmlNode *c = tuple->children; c != NULL && basic == NULL;
         c = c->next)
        if (is_element(c, NS_PIDF, "status"))
            for (const xmlNode *s = c->children; s != NULL; s = s->next)
                if (is_element(s, NS_PIDF, "basic")) {
                    basic = s;
                    break;
                }
    value = basic != NULL ? dup_text(basic) : NULL;
    /* RFC 3863 spells them in lower case; pjsip compares without
     * case, and so do we. */
    if (value != NULL && g_ascii_strcasecmp(value, "open") == 0) {
        scan->has_basic = open = scan->open = TRUE;
    } else if (value != NULL && g_ascii_strcasecmp(value, "closed") == 0) {
        scan->has_basic = TRUE;
    } else if (scan->bad_basic == NULL) {
        scan->bad_basic = g_strdup(value != NULL ? value : "");
    }
    for (const xmlNode *c = tuple->children; c != NULL; c = c->next)
        if (is_element(c, NS_PIDF, "note"))
            remember_note(scan, open ? NOTE_OPEN_TUPLE : NOTE_CLOSED_TUPLE, c);
    if (open)
        find_activities(scan, tuple);
}

static void
read_person(Scan *scan, const xmlNode *person)
{
    for (const xmlNode *c = person->children; c != NULL; c = c->next)
        if (is_element(c, NS_DM, "note"))
            remember_note(scan, NOTE_PERSON, c);
    find_activities(scan, person);
}

static void
read_presence(Scan *scan, const xmlNode *root)
{
    for (const xmlNode *c = root->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_element(c, NS_PIDF, "tuple"))
            read_tuple(scan, c);
        else if (is_element(c, NS_PIDF, "note"))
            remember_note(scan, NOTE_PRESENCE, c);
        else if (is_element(c, NS_DM, "person") ||
                 is_element(c, NS_OLD_PERSON, "person"))
            read_person(scan, c);
    }
}

static gboolean
check_limits(const xmlNode *node, guint depth, guint *count, GError **error)
{
    if (depth > MAX_DEPTH) {
        g_set_error(error, GW_PIDF_ERROR, GW_PIDF_ERROR_MALFORMED,
                    "elements nested deeper than %d levels", MAX_DEPTH);
        return FALSE;
    }
    if (++*count > MAX_ELEMENTS) {
        g_set_error(error, GW_PIDF_ERROR, GW_PIDF_ERROR_MALFORMED,
                    "more than %d elements", MAX_ELEMENTS);
        return FALSE;
    }
    for (const xmlNode *c = node->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            !check_limits(c, depth + 1, count, error))
            return FALSE;
    return TRUE;
}

/* The document, or NULL and a MALFORMED error. */
static xmlDoc *
read_doc(const char *xml, gsize len, GError **error)
{
    g_autoptr(GError) read_error = NULL;
    g_autoptr(xmlDoc) doc = gw_xml_read_untrusted(xml, len, GW_PIDF_MAX_INPUT,
                                                   &read_error);
    const xmlNode *root;
    guint count = 0;

    if (doc == NULL) {
        g_set_error_literal(error, GW_PIDF_ERROR, GW_PIDF_ERROR_MALFORMED,
                            read_error->message);
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !is_element(root, NS_PIDF, "presence")) {
        g_set_error(error, GW_PIDF_ERROR, GW_PIDF_ERROR_MALFORMED,
                    "root is not {" NS_PIDF "}presence: '{%.48s}%.32s'",
                    root != NULL && root->ns != NULL && root->ns->href != NULL
                        ? (const char *)root->ns->href
                        : "",
                    root != NULL ? (const char *)root->name : "");
        return NULL;
    }
    if (!check_limits(root, 1, &count, error))
        return NULL;
    return g_steal_pointer(&doc);
}

static const xmlNode *
pick_note(const Scan *scan)
{
    static const int when_open[] = {NOTE_OPEN_TUPLE, NOTE_PERSON,
                                    NOTE_ACTIVITIES, NOTE_PRESENCE};
    static const int when_offline[] = {NOTE_CLOSED_TUPLE, NOTE_PERSON,
                                       NOTE_ACTIVITIES, NOTE_PRESENCE};
    const int *order = scan->open ? when_open : when_offline;

    for (guint i = 0; i < G_N_ELEMENTS(when_open); i++)
        if (scan->note[order[i]] != NULL)
            return scan->note[order[i]];
    return NULL;
}

GwPresence *
gw_pidf_parse(const char *xml, gsize len, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(GwPresence) p = NULL;
    Scan scan = {.activity = GW_SHOW_ONLINE};
    const xmlNode *note;

    g_return_val_if_fail(xml != NULL || len == 0, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);

    doc = read_doc(xml, len, error);
    if (doc == NULL)
        return NULL;
    read_presence(&scan, xmlDocGetRootElement(doc));
    if (scan.has_tuple && !scan.has_basic) {
        g_set_error(error, GW_PIDF_ERROR, GW_PIDF_ERROR_UNSUPPORTED,
                    "no tuple has a basic status of open or closed: '%.32s'",
                    scan.bad_basic);
        g_free(scan.bad_basic);
        return NULL;
    }
    g_free(scan.bad_basic);

    p = gw_presence_new(scan.open ? scan.activity : GW_SHOW_OFFLINE, NULL,
                        NULL);
    p->on_the_phone = scan.open && scan.on_the_phone;
    note = pick_note(&scan);
    if (note != NULL) {
        g_autoptr(xmlChar) lang = xmlNodeGetLang(note);

        p->status = take_status(dup_text(note));
        if (lang != NULL && is_lang_tag((const char *)lang))
            p->status_lang = g_strdup((const char *)lang);
    }
    return g_steal_pointer(&p);
}
