/* tests/bench/c2sload.c: a tiny XMPP client load peer for Prosody.
 *
 * Logs in over plain TCP with SASL PLAIN (Prosody with
 * c2s_require_encryption = false, allow_unencrypted_plain_auth = true),
 * restarts the stream, binds a resource, starts a session, sends initial
 * presence, then
 *   --mode send: writes --count <message> stanzas to --to with receipt
 *     requests at --rate (0: as fast as --window in flight allows) and
 *     counts receipts, error bounces and latency;
 *   --mode recv: counts incoming <message> stanzas with a body.
 *
 *   c2sload --port 5222 --user alice --password alicepw \
 *           --mode send --to 1001@sip.localhost --count 100000 [--wait-go]
 *
 * Prints "READY" once the session is up and one "RESULT k=v ..." line on
 * stdout; human-readable figures on stderr.
 * Exit: 0 complete without failures, 1 failures/losses, 2 setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load_common.h"

static char *opt_mode = NULL;
static int opt_port = 5222;
static char *opt_user = NULL;
static char *opt_password = NULL;
static char *opt_domain = NULL;
static char *opt_resource = NULL;
static char *opt_to = NULL;
static gboolean opt_no_receipts = FALSE;
static char *opt_from_domain = NULL;
static LcRunOpts run;

static GOptionEntry entries[] = {
    {"mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode,
     "send (messages with receipt requests) or recv (count messages)", "M"},
    {"port", 0, 0, G_OPTION_ARG_INT, &opt_port,
     "Prosody's c2s port on 127.0.0.1", "P"},
    {"user", 'u', 0, G_OPTION_ARG_STRING, &opt_user, "user name", "U"},
    {"password", 0, 0, G_OPTION_ARG_STRING, &opt_password, "password", "PW"},
    {"domain", 0, 0, G_OPTION_ARG_STRING, &opt_domain,
     "XMPP domain (default localhost)", "D"},
    {"resource", 0, 0, G_OPTION_ARG_STRING, &opt_resource,
     "resource to bind (default bench)", "R"},
    {"to", 0, 0, G_OPTION_ARG_STRING, &opt_to,
     "to= of sent messages (default 1001@sip.localhost)", "JID"},
    {"no-receipts", 0, 0, G_OPTION_ARG_NONE, &opt_no_receipts,
     "send mode: no receipt requests (as a client without XEP-0184); "
     "only error bounces come back, count arrivals at the SIP side",
     NULL},
    {"from-domain", 0, 0, G_OPTION_ARG_STRING, &opt_from_domain,
     "recv mode: count only messages from this domain; the others are "
     "stray (another peer's late ones, through the same server)",
     "D"},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
};

static int
connect_loopback(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* The next top-level element, skipping stream headers; NULL on failure. */
static gboolean
next_element(LcConn *c, const char *what, const char **xml, size_t *len)
{
    LcEvent ev;

    for (;;) {
        if (lc_conn_wait(c, 10000, &ev, xml, len) != 1) {
            fprintf(stderr, "c2sload: no %s from the server\n", what);
            return FALSE;
        }
        if (ev == LC_EV_ELEMENT)
            return TRUE;
        if (ev == LC_EV_STREAM_CLOSE) {
            fprintf(stderr, "c2sload: stream closed waiting for %s\n", what);
            return FALSE;
        }
    }
}

static gboolean
open_stream(LcConn *c, const char *domain)
{
    g_autofree char *hdr = g_strdup_printf(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='%s' "
        "version='1.0'>",
        domain);
    const char *xml;
    size_t len;

    if (lc_conn_send_all(c, hdr, 5000) < 0)
        return FALSE;
    if (!next_element(c, "stream features", &xml, &len))
        return FALSE;
    if (!lc_is_elem(xml, len, "stream:features")) {
        fprintf(stderr, "c2sload: expected features, got %.*s\n",
                (int)MIN(len, 200), xml);
        return FALSE;
    }
    return TRUE;
}

/* Waits for the iq result with this id (skipping other stanzas). */
static gboolean
wait_iq(LcConn *c, const char *id)
{
    const char *xml;
    size_t len;

    for (;;) {
        if (!next_element(c, id, &xml, &len))
            return FALSE;
        if (!lc_is_elem(xml, len, "iq") || !lc_attr_is(xml, len, "id", id))
            continue;
        if (lc_attr_is(xml, len, "type", "result"))
            return TRUE;
        fprintf(stderr, "c2sload: %s failed: %.*s\n", id, (int)MIN(len, 300),
                xml);
        return FALSE;
    }
}

static gboolean
login(LcConn *c, const char *user, const char *password, const char *domain,
      const char *resource)
{
    GString *plain = g_string_new(NULL);
    g_autofree char *b64 = NULL, *auth = NULL, *bind = NULL;
    const char *xml;
    size_t len;

    if (!open_stream(c, domain))
        return FALSE;
    g_string_append_c(plain, '\0');
    g_string_append(plain, user);
    g_string_append_c(plain, '\0');
    g_string_append(plain, password);
    b64 = g_base64_encode((const guchar *)plain->str, plain->len);
    g_string_free(plain, TRUE);
    auth = g_strdup_printf("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                           "mechanism='PLAIN'>%s</auth>",
                           b64);
    if (lc_conn_send_all(c, auth, 5000) < 0 ||
        !next_element(c, "SASL answer", &xml, &len))
        return FALSE;
    if (!lc_is_elem(xml, len, "success")) {
        fprintf(stderr, "c2sload: authentication failed: %.*s\n",
                (int)MIN(len, 300), xml);
        return FALSE;
    }
    if (!open_stream(c, domain))
        return FALSE;
    bind = g_strdup_printf(
        "<iq type='set' id='bind1'><bind "
        "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>%s</resource>"
        "</bind></iq>",
        resource);
    if (lc_conn_send_all(c, bind, 5000) < 0 || !wait_iq(c, "bind1"))
        return FALSE;
    if (lc_conn_send_all(c,
                         "<iq type='set' id='sess1'><session "
                         "xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
                         5000) < 0 ||
        !wait_iq(c, "sess1"))
        return FALSE;
    /* available, so messages to the bare JID reach this resource */
    return lc_conn_send_all(c, "<presence><priority>1</priority></presence>",
                            5000) == 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- XMPP client load peer (SASL PLAIN over plain TCP)");
    g_autoptr(GError) error = NULL;
    LcRunCfg cfg = { 0 };
    LcResult r;
    LcConn c;
    int fd;
    gboolean send_mode;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, lc_run_option_entries(&run), NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "c2sload: %s\n", error->message);
        return 2;
    }
    if (opt_mode == NULL ||
        (strcmp(opt_mode, "send") != 0 && strcmp(opt_mode, "recv") != 0) ||
        opt_user == NULL || opt_password == NULL ||
        !lc_run_opts_apply(&run, &cfg)) {
        fprintf(stderr, "c2sload: need --mode send|recv, --user, --password,"
                        " a count in 1..50000000, timeout in (0,600] s\n");
        return 2;
    }
    send_mode = strcmp(opt_mode, "send") == 0;

    fd = connect_loopback(opt_port);
    if (fd < 0) {
        fprintf(stderr, "c2sload: cannot connect to 127.0.0.1:%d: %s\n",
                opt_port, g_strerror(errno));
        return 2;
    }
    lc_conn_init(&c, fd);
    if (!login(&c, opt_user, opt_password,
               opt_domain ? opt_domain : "localhost",
               opt_resource ? opt_resource : "bench")) {
        lc_conn_close(&c);
        return 2;
    }
    printf("READY\n");
    fflush(stdout);
    if (run.wait_go && !lc_wait_go(120)) {
        fprintf(stderr, "c2sload: no go\n");
        lc_conn_close(&c);
        return 2;
    }

    cfg.from = NULL; /* the server stamps it */
    cfg.to = opt_to ? opt_to : "1001@sip.localhost";
    cfg.no_receipts = opt_no_receipts;
    cfg.from_domain = opt_from_domain;
    if (send_mode)
        lc_run_send(&c, &cfg, &r);
    else
        lc_run_recv(&c, &cfg, &r);
    lc_print_result("c2sload", &r);
    lc_conn_send_all(&c, "</stream:stream>", 1000);
    lc_conn_close(&c);
    if (send_mode)
        return r.ok == cfg.count && r.failed == 0 ? 0 : 1;
    return r.received == cfg.count && r.bad == 0 ? 0 : 1;
}
