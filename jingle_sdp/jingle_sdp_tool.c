/* jingle_sdp_tool.c: `jingle-sdp`, the operator's view of libjsdp.
 *
 *   jingle-sdp to-jingle [--role initiator|responder] [options] < offer.sdp
 *   jingle-sdp to-sdp [--role initiator|responder] [options] < iq.xml
 *
 * Reads standard input, writes the translation to standard output, and
 * warnings and errors to standard error.  Exit 0 on success, 1 on bad
 * input, 2 on bad usage.  Generated values come from options (defaults are
 * fixed), so the same input always prints the same output.
 */
#include "jsdp.h"

#include <stdio.h>
#include <string.h>

static char *opt_role;
static char *opt_classic;
static gboolean opt_classic_out;
static char *opt_candidate;
static char *opt_action;
static char *opt_sid;
static char *opt_initiator;
static char *opt_responder;
static char *opt_username;
static char *opt_session_name;
static char *opt_origin;
static gint64 opt_session_id;
static gint64 opt_session_version;

static const GOptionEntry entries[] = {
    {"role", 'r', 0, G_OPTION_ARG_STRING, &opt_role,
     "Role of the SDP's author: initiator or responder (to-jingle default: initiator; "
     "to-sdp default: from the Jingle action)", "ROLE"},
    {"classic", 0, 0, G_OPTION_ARG_STRING, &opt_classic,
     "to-jingle: an SDP without ICE becomes raw-udp (default) or ice", "KIND"},
    {"classic-out", 0, 0, G_OPTION_ARG_NONE, &opt_classic_out,
     "to-sdp: print ICE transports as classic SDP (c=/port, no ICE lines)", NULL},
    {"candidate", 0, 0, G_OPTION_ARG_STRING, &opt_candidate,
     "to-sdp --classic-out: id of the candidate to use for c=/port", "ID"},
    {"action", 0, 0, G_OPTION_ARG_STRING, &opt_action,
     "to-jingle: Jingle action (default session-initiate, or session-accept for a responder)",
     "ACTION"},
    {"sid", 0, 0, G_OPTION_ARG_STRING, &opt_sid, "to-jingle: session id", "SID"},
    {"initiator", 0, 0, G_OPTION_ARG_STRING, &opt_initiator, "to-jingle: initiator JID", "JID"},
    {"responder", 0, 0, G_OPTION_ARG_STRING, &opt_responder, "to-jingle: responder JID", "JID"},
    {"username", 0, 0, G_OPTION_ARG_STRING, &opt_username, "to-sdp: o= username (default -)", "NAME"},
    {"session-id", 0, 0, G_OPTION_ARG_INT64, &opt_session_id, "to-sdp: o= session id (default 0)", "N"},
    {"session-version", 0, 0, G_OPTION_ARG_INT64, &opt_session_version,
     "to-sdp: o= session version (default 0)", "N"},
    {"origin", 0, 0, G_OPTION_ARG_STRING, &opt_origin, "to-sdp: o= address (default 0.0.0.0)", "ADDR"},
    {"session-name", 0, 0, G_OPTION_ARG_STRING, &opt_session_name, "to-sdp: s= (default -)", "TEXT"},
    G_OPTION_ENTRY_NULL};

static gboolean
read_stdin(GString *buf)
{
    char chunk[8192];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        g_string_append_len(buf, chunk, (gssize)n);
        if (buf->len > JSDP_MAX_INPUT)
            break; /* the library reports the size error */
    }
    return !ferror(stdin);
}

static void
print_warnings(const GPtrArray *warnings)
{
    for (guint i = 0; warnings != NULL && i < warnings->len; i++)
        fprintf(stderr, "jingle-sdp: warning: %s\n", (const char *)g_ptr_array_index(warnings, i));
}

static int
fail(const GError *error)
{
    fprintf(stderr, "jingle-sdp: error: %s\n", error->message);
    return 1;
}

static gboolean
parse_role(const char *s, JsdpRole *role)
{
    if (g_strcmp0(s, "initiator") == 0)
        *role = JSDP_ROLE_INITIATOR;
    else if (g_strcmp0(s, "responder") == 0)
        *role = JSDP_ROLE_RESPONDER;
    else
        return FALSE;
    return TRUE;
}

static int
to_jingle(const GString *in, JsdpRole role)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    JsdpSdpParseParams pp = {role, JSDP_CLASSIC_RAW_UDP};
    JsdpJinglePrintParams jp = {0};
    g_autoptr(JsdpSession) s = NULL;
    g_autofree char *xml = NULL;

    if (g_strcmp0(opt_classic, "ice") == 0)
        pp.classic = JSDP_CLASSIC_ICE_HOST;
    s = jsdp_session_from_sdp(in->str, (gssize)in->len, &pp, &error);
    if (s == NULL)
        return fail(error);
    print_warnings(jsdp_session_get_warnings(s));
    jp.action = opt_action ? opt_action
                           : (role == JSDP_ROLE_RESPONDER ? "session-accept" : "session-initiate");
    jp.sid = opt_sid;
    jp.initiator = opt_initiator;
    jp.responder = opt_responder;
    jp.warnings = warnings;
    xml = jsdp_session_to_jingle_string(s, &jp, &error);
    print_warnings(warnings);
    if (xml == NULL)
        return fail(error);
    printf("%s\n", xml);
    return 0;
}

static int
to_sdp(const GString *in, gboolean have_role, JsdpRole role)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    JsdpSdpPrintParams sp = {0};
    g_autoptr(JsdpSession) s = NULL;
    g_autofree char *sdp = NULL;

    s = jsdp_session_from_jingle_string(in->str, (gssize)in->len, &error);
    if (s == NULL)
        return fail(error);
    print_warnings(jsdp_session_get_warnings(s));
    if (!have_role)
        role = g_strcmp0(s->action, "session-accept") == 0 ? JSDP_ROLE_RESPONDER
                                                           : JSDP_ROLE_INITIATOR;
    sp.author = role;
    sp.username = opt_username;
    sp.session_id = (guint64)opt_session_id;
    sp.session_version = (guint64)opt_session_version;
    sp.origin_address = opt_origin;
    sp.session_name = opt_session_name;
    sp.classic = opt_classic_out;
    sp.classic_candidate_id = opt_candidate;
    sp.warnings = warnings;
    sdp = jsdp_session_to_sdp(s, &sp, &error);
    print_warnings(warnings);
    if (sdp == NULL)
        return fail(error);
    fputs(sdp, stdout);
    return 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("to-jingle|to-sdp - translate stdin");
    g_autoptr(GError) error = NULL;
    g_autoptr(GString) in = g_string_new(NULL);
    JsdpRole role = JSDP_ROLE_INITIATOR;
    gboolean have_role = opt_role != NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_summary(ctx, "Translates an SDP into a <jingle> element (to-jingle) or a\n"
                                      "<jingle> element or <iq> into an SDP (to-sdp).");
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "jingle-sdp: %s\n", error->message);
        return 2;
    }
    have_role = opt_role != NULL;
    if (argc != 2 || (strcmp(argv[1], "to-jingle") != 0 && strcmp(argv[1], "to-sdp") != 0) ||
        (have_role && !parse_role(opt_role, &role)) ||
        (opt_classic != NULL && strcmp(opt_classic, "ice") != 0 &&
         strcmp(opt_classic, "raw-udp") != 0) ||
        opt_session_id < 0 || opt_session_version < 0) {
        g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);
        fprintf(stderr, "%s", help);
        return 2;
    }
    if (!read_stdin(in)) {
        fprintf(stderr, "jingle-sdp: error: cannot read standard input\n");
        return 1;
    }
    if (strcmp(argv[1], "to-jingle") == 0)
        return to_jingle(in, role);
    return to_sdp(in, have_role, role);
}
