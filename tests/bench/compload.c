/* tests/bench/compload.c: a minimal XEP-0114 *server-side* load peer.
 *
 * Listens on a loopback TCP port, accepts the gateway's component
 * connection, checks its <handshake> (hex SHA1 of stream id + secret),
 * answers <handshake/>, then
 *   --mode xmpp2sip: writes --count <message> stanzas to --to with receipt
 *     requests at --rate (0: as fast as --window in flight allows) and
 *     counts receipts, error bounces and latency (written -> answer read);
 *   --mode sip2xmpp: counts incoming <message> stanzas with a body.
 * With Prosody out of the way this measures the gateway alone.
 *
 *   compload --port-file F --secret S --domain sip.localhost \
 *            --mode xmpp2sip --count 200000 --window 2000 [--wait-go]
 *
 * Prints "LISTEN port=N", "READY" (after the handshake) and one
 * "RESULT k=v ..." line on stdout; human-readable figures on stderr.
 * Exit: 0 run complete without failures, 1 failures/losses, 2 setup error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load_common.h"

static char *opt_mode = NULL;
static int opt_port = 0;
static char *opt_port_file = NULL;
static char *opt_secret = NULL;
static char *opt_domain = NULL;
static char *opt_from = NULL;
static char *opt_to = NULL;
static double opt_accept_timeout = 20;
static LcRunOpts run;

static GOptionEntry entries[] = {
    { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode,
      "xmpp2sip (send, count receipts) or sip2xmpp (count messages)", "M" },
    { "port", 0, 0, G_OPTION_ARG_INT, &opt_port,
      "TCP port on 127.0.0.1 (0: pick a free one)", "P" },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_port_file,
      "write the port here once listening", "F" },
    { "secret", 0, 0, G_OPTION_ARG_STRING, &opt_secret,
      "component secret", "S" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &opt_domain,
      "component domain (default sip.localhost)", "D" },
    { "from", 0, 0, G_OPTION_ARG_STRING, &opt_from,
      "from= of sent messages (default alice@localhost/bench)", "JID" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &opt_to,
      "to= of sent messages (default 1001@DOMAIN)", "JID" },
    { "accept-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_accept_timeout,
      "seconds to wait for the gateway", "S" },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- XEP-0114 server-side load peer for the gateway benchmark");
    g_autoptr(GError) error = NULL;
    g_autofree char *to = NULL;
    LcRunCfg cfg = { 0 };
    LcResult r;
    LcConn c;
    struct pollfd p;
    int lfd, fd, one = 1;
    gboolean send_mode;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_main_entries(ctx, lc_run_option_entries(&run), NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "compload: %s\n", error->message);
        return 2;
    }
    if (opt_mode == NULL || (strcmp(opt_mode, "xmpp2sip") != 0 &&
                             strcmp(opt_mode, "sip2xmpp") != 0) ||
        opt_secret == NULL || !lc_run_opts_apply(&run, &cfg)) {
        fprintf(stderr, "compload: need --mode xmpp2sip|sip2xmpp, --secret, "
                        "a count in 1..50000000, timeout in (0,600] s\n");
        return 2;
    }
    send_mode = strcmp(opt_mode, "xmpp2sip") == 0;
    if (opt_domain == NULL)
        opt_domain = g_strdup("sip.localhost");
    to = opt_to ? g_strdup(opt_to) : g_strdup_printf("1001@%s", opt_domain);

    lfd = lc_listen_loopback(&opt_port);
    if (lfd < 0) {
        fprintf(stderr, "compload: cannot listen on 127.0.0.1:%d: %s\n",
                opt_port, g_strerror(errno));
        return 2;
    }
    if (opt_port_file != NULL && !lc_write_port_file(opt_port_file, opt_port)) {
        fprintf(stderr, "compload: cannot write %s\n", opt_port_file);
        return 2;
    }
    printf("LISTEN port=%d\n", opt_port);
    fflush(stdout);

    p = (struct pollfd){ .fd = lfd, .events = POLLIN };
    if (poll(&p, 1, (int)(opt_accept_timeout * 1000)) <= 0) {
        fprintf(stderr, "compload: the gateway did not connect\n");
        return 2;
    }
    fd = accept(lfd, NULL, NULL);
    close(lfd); /* one connection: a reconnect after the run is refused */
    if (fd < 0) {
        fprintf(stderr, "compload: accept: %s\n", g_strerror(errno));
        return 2;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    lc_conn_init(&c, fd);
    if (!lc_component_accept(&c, "compload", opt_domain, opt_secret)) {
        lc_conn_close(&c);
        return 2;
    }
    printf("READY\n");
    fflush(stdout);
    if (run.wait_go && !lc_wait_go(120)) {
        fprintf(stderr, "compload: no go\n");
        lc_conn_close(&c);
        return 2;
    }

    cfg.from = opt_from ? opt_from : "alice@localhost/bench";
    cfg.to = to;
    if (send_mode)
        lc_run_send(&c, &cfg, &r);
    else
        lc_run_recv(&c, &cfg, &r);
    lc_print_result("compload", &r);
    /* leave the stream open: the driver stops the gateway, whose closing
     * tag we do not wait for */
    lc_conn_close(&c);
    if (send_mode)
        return r.ok == cfg.count && r.failed == 0 ? 0 : 1;
    return r.received == cfg.count && r.bad == 0 ? 0 : 1;
}
