/* jsdp_jingle_parse.c: Jingle XML (XEP-0166 with XEP-0167/0176/0177/0293/
 * 0294/0320/0338/0339 payloads) -> JsdpSession.
 *
 * Reads a JsdpXNode tree (jsdp_xml.c): made from borrowed libxml2 nodes,
 * which are never modified, or by our own reader from text.  Elements and
 * attributes we cannot carry to SDP become warnings; wrong values are
 * MALFORMED errors naming the element and attribute.
 */
#include "jsdp_jingle_parser.h"

/* ns: a JSDP_XNS_* id, or -1 for any namespace. */
gboolean
is_el(const JsdpXNode *n, const char *name, int ns)
{
    return (ns < 0 || (int)n->nsid == ns) && n->name[0] == name[0] && strcmp(n->name, name) == 0;
}

const char *
ns_of(const JsdpXNode *n)
{
    return n->ns;
}

/* Warns about attributes outside `allowed` (NULL-terminated). */
void
check_attrs(JParser *jp, const JsdpXNode *n, const char *const *allowed)
{
    for (guint a = 0; a < n->n_attrs; a++) {
        gboolean ok = FALSE;
        for (guint i = 0; allowed[i] != NULL && !ok; i++)
            ok = n->attrs[a].ns == NULL && n->attrs[a].name[0] == allowed[i][0] &&
                 strcmp(n->attrs[a].name, allowed[i]) == 0;
        if (!ok)
            jsdp_warn(jp->warnings, "attribute '%.32s' of <%.32s> not carried by SDP",
                      n->attrs[a].name, n->name);
    }
}

void
warn_text(JParser *jp, const JsdpXNode *n)
{
    if (n->text != NULL)
        jsdp_warn(jp->warnings, "text inside <%.32s> ignored: '%.32s'", n->name, n->text);
}

void
warn_child(JParser *jp, const JsdpXNode *parent, const JsdpXNode *child)
{
    jsdp_warn(jp->warnings, "<%.32s xmlns='%.64s'> in <%.32s> not carried by SDP", child->name,
              ns_of(child), parent->name);
}

gboolean
attr_uint(const JsdpXNode *n, const char *name, guint64 min, guint64 max, gboolean required,
          guint64 *out, GError **error)
{
    const char *v = peek_attr(n, name);

    if (v == NULL) {
        if (required)
            JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: missing '%s'", n->name, name);
        return TRUE;
    }
    if (!jsdp_parse_uint(v, min, max, out))
        JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: bad '%s' '%.32s' (%" G_GUINT64_FORMAT
              "-%" G_GUINT64_FORMAT ")", n->name, name, v, min, max);
    return TRUE;
}

/* A required token attribute (no spaces: it goes into an SDP field). */
gboolean
attr_token(const JsdpXNode *n, const char *name, gboolean required, char **out, GError **error)
{
    const char *v = peek_attr(n, name);

    if (v == NULL) {
        if (required)
            JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: missing '%s'", n->name, name);
        return TRUE;
    }
    if (!jsdp_is_token(v, NULL) || strlen(v) > 256)
        JFAIL(JSDP_ERROR_MALFORMED, "<%.32s>: bad '%s' '%.32s'", n->name, name, v);
    g_free(*out);
    *out = g_strdup(v);
    return TRUE;
}

/* ---- candidates ------------------------------------------------------- */

static JsdpCandidate *
candidate_from_xnode(const JsdpXNode *node, GError **error)
{
    g_autoptr(JsdpCandidate) c = jsdp_candidate_new();
    gboolean raw;
    guint64 n = 0;
    const char *v;

    if (!is_el(node, "candidate", -1)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "not a <candidate> element");
        return NULL;
    }
    raw = node->nsid == JSDP_XNS_RAW_UDP;
    if (!attr_token(node, "ip", TRUE, &c->ip, error) || !attr_token(node, "id", FALSE, &c->id, error))
        return NULL;
    if (strchr(c->ip, '/') != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad ip '%.32s'", c->ip);
        return NULL;
    }
    /* XEP-0177: a Raw-UDP candidate is a real address; ICE allows port 0
     * (TCP active candidates). */
    if (!attr_uint(node, "port", raw ? 1 : 0, 65535, TRUE, &n, error))
        return NULL;
    c->port = (guint16)n;
    n = 1;
    if (!attr_uint(node, "component", 1, 256, !raw, &n, error))
        return NULL;
    c->component = (guint)n;
    n = 0;
    if (!attr_uint(node, "generation", 0, G_MAXUINT32, FALSE, &n, error))
        return NULL;
    c->generation = (guint)n;
    if (raw) {
        c->protocol = g_strdup("udp");
        c->type = JSDP_CANDIDATE_HOST;
        return g_steal_pointer(&c);
    }
    if (!attr_token(node, "foundation", TRUE, &c->foundation, error) ||
        !attr_token(node, "protocol", TRUE, &c->protocol, error) ||
        !attr_token(node, "rel-addr", FALSE, &c->rel_addr, error))
        return NULL;
    if (c->rel_addr != NULL && strchr(c->rel_addr, '/') != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad rel-addr '%.32s'",
                    c->rel_addr);
        return NULL;
    }
    if (strlen(c->foundation) > 32) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: foundation too long");
        return NULL;
    }
    for (char *p = c->protocol; *p; p++)
        *p = g_ascii_tolower(*p);
    if (!attr_uint(node, "priority", 0, G_MAXUINT32, TRUE, &n, error))
        return NULL;
    c->priority = (guint32)n;
    v = peek_attr(node, "type");
    if (v == NULL || !jsdp_candidate_type_from_string(v, &c->type)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad or missing type '%.32s'",
                    v ? v : "");
        return NULL;
    }
    if (peek_attr(node, "rel-port") != NULL) {
        if (!attr_uint(node, "rel-port", 0, 65535, TRUE, &n, error))
            return NULL;
        c->rel_port = (gint32)n;
    }
    if (peek_attr(node, "network") != NULL) {
        if (!attr_uint(node, "network", 0, G_MAXINT32, TRUE, &n, error))
            return NULL;
        c->network = (gint32)n;
    }
    v = peek_attr(node, "tcptype");
    if (v != NULL && !jsdp_tcptype_from_string(v, &c->tcptype)) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "<candidate>: bad tcptype '%.32s'", v);
        return NULL;
    }
    return g_steal_pointer(&c);
}

JsdpCandidate *
jsdp_candidate_from_xml(const xmlNode *node, GError **error)
{
    g_autoptr(JsdpXArena) arena = NULL;
    const JsdpXNode *x;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    arena = jsdp_xarena_new();
    x = node->type == XML_ELEMENT_NODE ? jsdp_xnode_from_xml(arena, node) : NULL;
    if (x == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "not a <candidate> element");
        return NULL;
    }
    return candidate_from_xnode(x, error);
}

/* ---- transport -------------------------------------------------------- */

static gboolean
parse_fingerprint(JParser *jp, const JsdpXNode *n, JsdpTransport *t, GError **error)
{
    const char *text = n->text;
    const char *hash = peek_attr(n, "hash");
    const char *setup = peek_attr(n, "setup");
    JsdpSetup s = JSDP_SETUP_UNSET;
    JsdpFingerprint *f;
    char *value;

    if (hash == NULL || !jsdp_is_token(hash, NULL) || strlen(hash) > 32)
        JFAIL(JSDP_ERROR_MALFORMED, "<fingerprint>: bad or missing hash");
    if (setup != NULL && !jsdp_setup_from_string(setup, &s))
        JFAIL(JSDP_ERROR_MALFORMED, "<fingerprint>: bad setup '%.32s'", setup);
    value = text ? jsdp_fingerprint_normalise(text) : NULL;
    if (value == NULL)
        JFAIL(JSDP_ERROR_MALFORMED, "<fingerprint>: bad value '%.64s'", text ? text : "");
    if (t->fingerprints->len >= JSDP_MAX_ITEMS) {
        g_free(value);
        JFAIL(JSDP_ERROR_MALFORMED, "<transport>: too many fingerprints");
    }
    if (t->fingerprints->len > 0 && s != t->setup)
        jsdp_warn(jp->warnings, "fingerprints with different setup values: SDP carries one");
    if (t->fingerprints->len == 0)
        t->setup = s;
    f = g_new0(JsdpFingerprint, 1);
    f->hash = g_ascii_strdown(hash, -1);
    f->value = value;
    g_ptr_array_add(t->fingerprints, f);
    return TRUE;
}

/* XEP-0343 <sctpmap number protocol streams/>: the content is a WebRTC
 * data channel.  The XEP's table names the port attribute "port", its
 * examples (and StanzaJS, Jitsi) "number": both are read. */
static gboolean
parse_sctpmap(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    static const char *const allowed[] = {"number", "port", "protocol", "streams", NULL};
    const char *port_attr = peek_attr(n, "number") ? "number" : "port";
    g_autofree char *protocol = NULL;
    guint64 port = 0, streams = 0;

    check_attrs(jp, n, allowed);
    if (!attr_uint(n, port_attr, 1, 65535, TRUE, &port, error) ||
        !attr_uint(n, "streams", 1, 65535, FALSE, &streams, error) ||
        !attr_token(n, "protocol", TRUE, &protocol, error)) {
        g_prefix_error(error, "content '%.32s': ", c->name);
        return FALSE;
    }
    if (strlen(protocol) > 64)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': <sctpmap>: protocol too long", c->name);
    if (c->sctp_port != 0)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two <sctpmap>s", c->name);
    c->sctp_port = (guint)port;
    c->sctp_streams = (guint)streams;
    c->sctp_protocol = g_steal_pointer(&protocol);
    return TRUE;
}

static gboolean
parse_transport(JParser *jp, const JsdpXNode *n, JsdpContent *c, GError **error)
{
    static const char *const allowed[] = {"ufrag", "pwd", NULL};
    gboolean ice = n->nsid == JSDP_XNS_ICE_UDP;
    g_autoptr(JsdpTransport) t = jsdp_transport_new(ice ? JSDP_TRANSPORT_ICE_UDP
                                                        : JSDP_TRANSPORT_RAW_UDP);

    warn_text(jp, n);
    if (ice) {
        check_attrs(jp, n, allowed);
    warn_text(jp, n);
        if (!attr_token(n, "ufrag", FALSE, &t->ufrag, error) ||
            !attr_token(n, "pwd", FALSE, &t->pwd, error))
            return FALSE;
        if ((t->ufrag == NULL) != (t->pwd == NULL))
            JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': <transport> has %s without %s", c->name,
                  t->ufrag ? "ufrag" : "pwd", t->ufrag ? "pwd" : "ufrag");
    }
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        if (is_el(k, "candidate", -1)) {
            JsdpCandidate *cand;
            if (t->candidates->len >= JSDP_MAX_CANDIDATES)
                JFAIL(JSDP_ERROR_MALFORMED, "<transport>: more than %u candidates",
                      JSDP_MAX_CANDIDATES);
            cand = candidate_from_xnode(k, error);
            if (cand == NULL) {
                g_prefix_error(error, "content '%.32s': ", c->name);
                return FALSE;
            }
            g_ptr_array_add(t->candidates, cand);
        } else if (is_el(k, "fingerprint", JSDP_XNS_DTLS)) {
            if (!parse_fingerprint(jp, k, t, error))
                return FALSE;
        } else if (ice && is_el(k, "gathering-complete", -1)) {
            t->end_of_candidates = TRUE;
        } else if (is_el(k, "sctpmap", JSDP_XNS_DTLS_SCTP)) {
            if (!parse_sctpmap(jp, k, c, error))
                return FALSE;
        } else if (is_el(k, "rtcp-mux", -1)) {
            c->rtcp_mux = TRUE; /* Jitsi puts it in the transport */
        } else {
            warn_child(jp, n, k);
        }
    }
    c->transport = g_steal_pointer(&t);
    return TRUE;
}

/* ---- content, group, jingle ------------------------------------------- */

static gboolean
parse_content(JParser *jp, const JsdpXNode *n, GError **error)
{
    static const char *const allowed[] = {"creator", "name", "senders", "disposition", NULL};
    g_autoptr(JsdpContent) c = jsdp_content_new();
    const char *creator = peek_attr(n, "creator");
    const char *senders = peek_attr(n, "senders");
    const char *disp = peek_attr(n, "disposition");
    const char *name = peek_attr(n, "name");
    const JsdpXNode *other_description = NULL, *other_transport = NULL;

    check_attrs(jp, n, allowed);
    warn_text(jp, n);
    /* No name: StanzaJS takes it from the SDP's a=mid (Protocol.js
     * convertIntermediateToRequest, name: media.mid) and has none for an
     * SDP without a=mid.  XEP-0166 requires one, so it is named when all
     * contents are read (name_unnamed()), "" until then. */
    if (name == NULL)
        name = "";
    if (strlen(name) > 256)
        JFAIL(JSDP_ERROR_MALFORMED, "<content>: bad name");
    if (*name != '\0' && !jsdp_is_token(name, NULL))
        JFAIL(JSDP_ERROR_UNSUPPORTED, "<content>: name '%.32s' cannot be an SDP mid", name);
    c->name = g_strdup(name);
    if (*name != '\0' && (jsdp_session_get_content(jp->session, c->name) != NULL ||
                          g_ptr_array_find_with_equal_func(jp->left_out, name, g_str_equal, NULL)))
        JFAIL(JSDP_ERROR_MALFORMED, "<content>: duplicate name '%.32s'", c->name);
    if (creator != NULL && strcmp(creator, "initiator") != 0 && strcmp(creator, "responder") != 0)
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': bad creator '%.32s'", c->name, creator);
    c->creator = g_strcmp0(creator, "responder") == 0 ? JSDP_ROLE_RESPONDER : JSDP_ROLE_INITIATOR;
    if (senders != NULL && !jsdp_senders_from_string(senders, &c->senders))
        JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': bad senders '%.32s'", c->name, senders);
    if (disp != NULL && strcmp(disp, "session") != 0)
        jsdp_warn(jp->warnings, "content '%.32s': disposition '%.32s' not carried by SDP",
                  c->name, disp);
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        if (is_el(k, "description", JSDP_XNS_RTP)) {
            if (c->has_description || other_description != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two descriptions", c->name);
            if (!parse_description(jp, k, c, error))
                return FALSE;
        } else if (is_el(k, "transport", JSDP_XNS_ICE_UDP) || is_el(k, "transport", JSDP_XNS_RAW_UDP)) {
            if (c->transport != NULL || other_transport != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two transports", c->name);
            if (!parse_transport(jp, k, c, error))
                return FALSE;
        } else if (is_el(k, "description", -1)) {
            if (c->has_description || other_description != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two descriptions", c->name);
            other_description = k;
        } else if (is_el(k, "transport", -1)) {
            if (c->transport != NULL || other_transport != NULL)
                JFAIL(JSDP_ERROR_MALFORMED, "content '%.32s': two transports", c->name);
            other_transport = k;
        } else {
            warn_child(jp, n, k);
        }
    }
    /* An application or transport we do not know takes only its own
     * content down: left out (the caller rejects it), or, on an XEP-0343
     * data channel transport, carried as that data channel. */
    if (other_transport != NULL || (other_description != NULL && c->sctp_port == 0)) {
        const JsdpXNode *k = other_transport ? other_transport : other_description;
        jsdp_warn(jp->warnings, "content '%.32s' left out: <%.32s xmlns='%.64s'> not carried by SDP",
                  c->name, k->name, ns_of(k));
        g_ptr_array_add(jp->left_out, g_strdup(c->name));
        return TRUE;
    }
    if (other_description != NULL)
        jsdp_warn(jp->warnings, "content '%.32s': <description xmlns='%.64s'> not carried by SDP "
                  "(its XEP-0343 data channel is)", c->name, ns_of(other_description));
    if (c->has_description && c->sctp_port != 0) {
        /* one m= line is either RTP or SCTP */
        jsdp_warn(jp->warnings, "content '%.32s': <sctpmap> of an RTP content not carried by SDP",
                  c->name);
        c->sctp_port = c->sctp_streams = 0;
        g_clear_pointer(&c->sctp_protocol, g_free);
    }
    if (jp->session->contents->len >= JSDP_MAX_CONTENTS)
        JFAIL(JSDP_ERROR_MALFORMED, "<jingle>: more than %u contents", JSDP_MAX_CONTENTS);
    g_ptr_array_add(jp->session->contents, g_steal_pointer(&c));
    return TRUE;
}

static gboolean
parse_group(JParser *jp, const JsdpXNode *n, GError **error)
{
    const char *sem = peek_attr(n, "semantics");
    g_autoptr(JsdpGroup) g = NULL;

    if (sem == NULL || !jsdp_is_token(sem, NULL))
        JFAIL(JSDP_ERROR_MALFORMED, "<group>: bad or missing semantics");
    if (jp->session->groups->len >= JSDP_MAX_CONTENTS)
        JFAIL(JSDP_ERROR_MALFORMED, "<group>: too many");
    g = jsdp_group_new(sem);
    warn_text(jp, n);
    for (const JsdpXNode *k = n->children; k != NULL; k = k->next) {
        const char *name;
        if (!is_el(k, "content", -1)) {
            warn_child(jp, n, k);
            continue;
        }
        name = peek_attr(k, "name");
        if (name == NULL || !jsdp_is_token(name, NULL))
            JFAIL(JSDP_ERROR_MALFORMED, "<group> <content>: bad or missing name");
        if (g->names->len >= JSDP_MAX_CONTENTS)
            JFAIL(JSDP_ERROR_MALFORMED, "<group>: too many contents");
        g_ptr_array_add(g->names, g_strdup(name));
    }
    if (g->names->len == 0) {
        jsdp_warn(jp->warnings, "<group semantics='%.16s'> without contents dropped", sem);
        return TRUE;
    }
    g_ptr_array_add(jp->session->groups, g_steal_pointer(&g));
    return TRUE;
}

static const JsdpXNode *
find_jingle(const JsdpXNode *node)
{
    if (node == NULL)
        return NULL;
    if (is_el(node, "jingle", JSDP_XNS_JINGLE))
        return node;
    if (strcmp(node->name, "iq") == 0) {
        for (const JsdpXNode *k = node->children; k != NULL; k = k->next) {
            if (is_el(k, "jingle", JSDP_XNS_JINGLE))
                return k;
        }
    }
    return NULL;
}

static gboolean
copy_envelope(JParser *jp, const JsdpXNode *j, GError **error)
{
    static const char *const allowed[] = {"action", "sid", "initiator", "responder", NULL};
    JsdpSession *s = jp->session;

    check_attrs(jp, j, allowed);
    if (!attr_token(j, "action", FALSE, &s->action, error) ||
        !attr_token(j, "sid", FALSE, &s->sid, error) ||
        !attr_token(j, "initiator", FALSE, &s->initiator, error) ||
        !attr_token(j, "responder", FALSE, &s->responder, error))
        return FALSE;
    if (s->action == NULL)
        jsdp_warn(jp->warnings, "<jingle> has no action");
    return TRUE;
}

/* A content without name gets the one our SDP parser gives an m= line
 * without a=mid: its media ("application" for a data channel), made unique
 * with "-<k>" (k = 1, 2 ...) among all names. */
static gboolean
name_taken(const JParser *jp, const JsdpContent *self, const char *name)
{
    for (guint i = 0; i < jp->session->contents->len; i++) {
        const JsdpContent *c = g_ptr_array_index(jp->session->contents, i);
        if (c != self && strcmp(c->name, name) == 0)
            return TRUE;
    }
    return g_ptr_array_find_with_equal_func(jp->left_out, name, g_str_equal, NULL);
}

static void
name_unnamed(JParser *jp)
{
    JsdpSession *s = jp->session;

    for (guint i = 0; i < s->contents->len; i++) {
        JsdpContent *c = g_ptr_array_index(s->contents, i);
        const char *base = c->media ? c->media : c->sctp_port ? "application" : "content";
        if (*c->name != '\0')
            continue;
        g_free(c->name);
        c->name = g_strdup(base);
        for (guint k = 1; name_taken(jp, c, c->name); k++) {
            g_free(c->name);
            c->name = g_strdup_printf("%s-%u", base, k);
        }
        jsdp_warn(jp->warnings, "<content> without name: named '%.32s'", c->name);
    }
}

/* Every group names contents we have; those left out are taken out (and
 * a group left empty with them). */
static gboolean
check_groups(JParser *jp, GError **error)
{
    JsdpSession *s = jp->session;

    for (guint i = 0; i < s->groups->len;) {
        JsdpGroup *g = g_ptr_array_index(s->groups, i);
        for (guint j = 0; j < g->names->len;) {
            const char *name = g_ptr_array_index(g->names, j);
            if (jsdp_session_get_content(s, name) != NULL) {
                j++;
                continue;
            }
            if (!g_ptr_array_find_with_equal_func(jp->left_out, name, g_str_equal, NULL))
                JFAIL(JSDP_ERROR_MALFORMED, "<group semantics='%.16s'>: unknown content '%.32s'",
                      g->semantics, name);
            jsdp_warn(jp->warnings, "content '%.32s' removed from group '%.16s' (left out)", name,
                      g->semantics);
            g_ptr_array_remove_index(g->names, j);
        }
        if (g->names->len == 0)
            g_ptr_array_remove_index(s->groups, i);
        else
            i++;
    }
    return TRUE;
}

static JsdpSession *
session_from_xnode(const JsdpXNode *node, GError **error)
{
    g_autoptr(JsdpSession) session = NULL;
    g_autoptr(GPtrArray) left_out = g_ptr_array_new_with_free_func(g_free);
    const JsdpXNode *j;
    JParser jp;

    j = find_jingle(node);
    if (j == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "<%.32s xmlns='%.64s'> is not a <jingle xmlns='" JSDP_NS_JINGLE
                    "'> element or an <iq> holding one",
                    node->name, ns_of(node));
        return NULL;
    }
    session = jsdp_session_new();
    jp.session = session;
    jp.warnings = session->warnings;
    jp.left_out = left_out;
    if (!copy_envelope(&jp, j, error))
        return NULL;
    warn_text(&jp, j);
    for (const JsdpXNode *k = j->children; k != NULL; k = k->next) {
        gboolean ok = TRUE;
        if (is_el(k, "content", JSDP_XNS_JINGLE))
            ok = parse_content(&jp, k, error);
        else if (is_el(k, "group", JSDP_XNS_GROUPING))
            ok = parse_group(&jp, k, error);
        else
            warn_child(&jp, j, k);
        if (!ok)
            return NULL;
    }
    if (session->contents->len == 0) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED,
                    "jingle action '%.32s' carries no content to translate%s%.32s%s",
                    session->action ? session->action : "",
                    left_out->len > 0 ? " (left out: '" : "",
                    left_out->len > 0 ? (const char *)g_ptr_array_index(left_out, 0) : "",
                    left_out->len > 0 ? "')" : "");
        return NULL;
    }
    name_unnamed(&jp);
    if (!check_groups(&jp, error))
        return NULL;
    return g_steal_pointer(&session);
}

JsdpSession *
jsdp_session_from_jingle(const xmlNode *node, GError **error)
{
    g_autoptr(JsdpXArena) arena = NULL;
    const JsdpXNode *x;

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    if (node->type != XML_ELEMENT_NODE) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_UNSUPPORTED, "not an element");
        return NULL;
    }
    arena = jsdp_xarena_new();
    x = jsdp_xnode_from_xml(arena, node);
    if (x == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "xml: element tree too deep or too large");
        return NULL;
    }
    return session_from_xnode(x, error);
}

/* XML text in: our own strict reader (jsdp_xml.c) on a private copy.  It
 * has no network or file access at all (the XML_PARSE_NONET rule holds by
 * construction), expands no entity but the five predefined ones and
 * character references, and refuses any DOCTYPE, so no entity can be
 * declared (billion laughs, external entities). */
JsdpSession *
jsdp_session_from_jingle_string(const char *xml, gssize len, GError **error)
{
    g_autoptr(JsdpXArena) arena = NULL;
    char *copy;
    const JsdpXNode *root;
    const char *problem = NULL;
    gsize n, offset = 0;

    g_return_val_if_fail(xml != NULL, NULL);
    g_return_val_if_fail(error == NULL || *error == NULL, NULL);
    n = len < 0 ? strlen(xml) : (gsize)len;
    if (n > JSDP_MAX_INPUT) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "xml: input of %" G_GSIZE_FORMAT " bytes exceeds %u", n, JSDP_MAX_INPUT);
        return NULL;
    }
    if (memchr(xml, '\0', n) != NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED, "xml: NUL byte in input");
        return NULL;
    }
    arena = jsdp_xarena_new();
    copy = jsdp_xarena_copy(arena, xml, n);
    root = jsdp_xnode_parse(arena, copy, n, &problem, &offset);
    if (root == NULL) {
        g_set_error(error, JSDP_ERROR, JSDP_ERROR_MALFORMED,
                    "xml: not well-formed at byte %" G_GSIZE_FORMAT ": %s", offset, problem);
        return NULL;
    }
    return session_from_xnode(root, error);
}
