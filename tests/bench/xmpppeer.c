/* tests/bench/xmpppeer.c: the XMPP side of the presence and call
 * benchmarks (issues 5 and 6), speaking XEP-0114 as the *server*: the
 * gateway connects to it as to Prosody's component port. It plays one
 * XMPP user (alice@localhost/r by default) and the server around her.
 *
 * Always, without being asked:
 *   - <presence type='subscribe' to=alice> -> <presence type='subscribed'>
 *     (alice approves every SIP watcher / contact);
 *   - <presence type='probe' to=alice> -> alice's current presence from
 *     her resource (what Prosody answers for her);
 *   - <message><propose/> to alice (SIP calls her) -> <proceed/> from her
 *     resource; the session-initiate IQ that follows -> result, then a
 *     session-accept IQ with a WebRTC-style answer (ICE ufrag/pwd, DTLS
 *     fingerprint setup='active', one host candidate), as
 *     tests/integration/test_calls.py jingle_accept() does;
 *   - every other Jingle IQ set -> result (session-info, terminate ...).
 *
 * Commands, one a line on standard input (answers on standard output):
 *   change          one presence change of alice (show/status differ from
 *                   the last), sent to --change-to only; prints
 *                   "SENT seq=K t_ns=T" (CLOCK_MONOTONIC, comparable with
 *                   sipwatchers' stamps on this machine)
 *   watch N R       alice subscribes to N SIP contacts c1..cN@DOMAIN at R/s
 *                   (B direction); "WATCH-SENT n=N" when written
 *   wait-contacts N S  waits (up to S s) until N distinct contacts have
 *                   sent alice an available presence; "CONTACTS n=... "
 *   calls N R H     alice calls 1001@DOMAIN N times at R/s with JMI
 *                   (propose, proceed, session-initiate with a candidate,
 *                   session-accept) and hangs up H ms after each accept;
 *                   "CALLS ..." with setup times (propose -> accept)
 *   stats           "STATS k=v ..." counters
 *   quit
 * Prints "LISTEN port=N" and, after the handshake, "READY".
 *
 * Plain sockets and poll(); load_common.c for the stream scanner.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "load_common.h"

#define NS_J "urn:xmpp:jingle:1"
#define NS_JMI "urn:xmpp:jingle-message:0"
#define NS_RTP "urn:xmpp:jingle:apps:rtp:1"
#define NS_ICE "urn:xmpp:jingle:transports:ice-udp:1"
#define NS_DTLS "urn:xmpp:jingle:apps:dtls:0"
#define FP                                                                   \
    "6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"                       \
    "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08"
#define MAX_OUT_PENDING (4u << 20) /* stop generating load above this */

static int opt_port = 0;
static char *opt_port_file = NULL;
static char *opt_secret = NULL;
static char *opt_domain = NULL;
static char *opt_user = NULL;
static char *opt_resource = NULL;
static char *opt_change_to = NULL;
static char *opt_callee = NULL;
static double opt_accept_timeout = 20;
static double opt_life = 600;

static gboolean opt_video;

static GOptionEntry entries[] = {
    { "port", 0, 0, G_OPTION_ARG_INT, &opt_port,
      "TCP port on 127.0.0.1 (0: pick a free one)", "P" },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &opt_port_file,
      "write the port here once listening", "F" },
    { "secret", 0, 0, G_OPTION_ARG_STRING, &opt_secret,
      "component secret", "S" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &opt_domain,
      "component domain (default sip.localhost)", "D" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &opt_user,
      "the XMPP user played (default alice@localhost)", "JID" },
    { "resource", 0, 0, G_OPTION_ARG_STRING, &opt_resource,
      "her resource (default r)", "R" },
    { "change-to", 0, 0, G_OPTION_ARG_STRING, &opt_change_to,
      "contact JID a presence change is sent to (default w1@DOMAIN)", "JID" },
    { "callee", 0, 0, G_OPTION_ARG_STRING, &opt_callee,
      "calls: the SIP contact called (default 1001@DOMAIN)", "JID" },
    { "accept-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &opt_accept_timeout,
      "seconds to wait for the gateway", "S" },
    { "life", 0, 0, G_OPTION_ARG_DOUBLE, &opt_life,
      "exit after this many seconds whatever happens", "S" },
    { "video", 0, 0, G_OPTION_ARG_NONE, &opt_video,
      "calls with video (issue 18): proposes and initiates audio + video "
      "(VP8, H264, RTX as Chrome offers), accepts an offered video", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
};

/* ---- state ------------------------------------------------------------- */

typedef struct {
    uint64_t propose_ns, accept_ns, hangup_ns;
    uint8_t state; /* 0 unused, 1 proposed, 2 initiated, 3 accepted,
                      4 terminated, 5 failed */
} OutCall;

static struct {
    LcConn c;
    char *bare, *full, *domain;
    uint64_t pres_seq;
    /* counters */
    uint64_t subscribes_answered, probes_answered, presences_in;
    uint64_t contact_presences, contact_unavail, changes_sent;
    uint64_t proposes, proceeds_sent, initiates, accepts_sent, accept_ok,
        accept_err, terminates_in, retracts_in, iq_sets_acked, iq_errors,
        other_in;
    /* B: distinct contacts that sent available presence */
    GHashTable *contacts_seen;
    uint64_t watch_total, watch_sent, watch_t0;
    double watch_rate;
    int64_t wait_contacts; /* -1: none */
    uint64_t wait_deadline;
    /* outgoing calls */
    OutCall *out;
    uint64_t out_total, out_sent, out_t0, hold_ns, out_done_ns;
    double out_rate;
    uint64_t out_accepted, out_failed, out_terminated, out_term_acked;
    bool out_running;
    char *callee;
    char *change_to;
    bool quit;
} P;

/* ---- output helpers ---------------------------------------------------- */

/* Appends `n` bytes as XML attribute-safe text (our values never hold
 * quotes, but ids from the gateway are copied verbatim: check anyway). */
static void
out_attr(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == '\'' || v[i] == '<' || v[i] == '&')
            return; /* never expected: drop the value rather than break */
    lc_out_append(&P.c.out, v, n);
}

static bool
attr_dup(const char *xml, size_t len, const char *name, char *buf,
         size_t cap)
{
    const char *v;
    size_t vl;

    if (!lc_attr(xml, len, name, &v, &vl) || vl + 1 > cap)
        return false;
    memcpy(buf, v, vl);
    buf[vl] = '\0';
    return true;
}

/* The bare part of a JID (in place). */
static void
bare_of(char *jid)
{
    char *slash = strchr(jid, '/');

    if (slash != NULL)
        *slash = '\0';
}

/* ---- presence ---------------------------------------------------------- */

static void
send_alice_presence(const char *to)
{
    static const char *const shows[] = { "away", "chat", "dnd", "xa" };

    lc_out_printf(&P.c.out,
                  "<presence from='%s' to='%s'><show>%s</show>"
                  "<status>bench %" PRIu64 "</status><priority>1</priority>"
                  "</presence>",
                  P.full, to, shows[P.pres_seq % 4], P.pres_seq);
}

static void
on_presence(const char *xml, size_t len)
{
    char type[32] = "", from[512] = "", to[512] = "";

    attr_dup(xml, len, "type", type, sizeof type);
    attr_dup(xml, len, "from", from, sizeof from);
    attr_dup(xml, len, "to", to, sizeof to);
    bare_of(to);
    P.presences_in++;
    if (strcmp(to, P.bare) != 0) {
        P.other_in++;
        return;
    }
    if (strcmp(type, "subscribe") == 0) {
        bare_of(from);
        lc_out_printf(&P.c.out,
                      "<presence type='subscribed' from='%s' to='%s'/>",
                      P.bare, from);
        P.subscribes_answered++;
    } else if (strcmp(type, "probe") == 0) {
        send_alice_presence(from);
        P.probes_answered++;
    } else if (type[0] == '\0') {
        /* a SIP contact's presence (B) */
        bare_of(from);
        P.contact_presences++;
        if (!g_hash_table_contains(P.contacts_seen, from))
            g_hash_table_add(P.contacts_seen, g_strdup(from));
    } else if (strcmp(type, "unavailable") == 0) {
        P.contact_unavail++;
    }
}

/* ---- calls ------------------------------------------------------------- */

static const char *
find_child_tag(const char *xml, size_t len, const char *tag, size_t *rest)
{
    const char *p = lc_find(xml, len, tag);

    if (p != NULL)
        *rest = len - (size_t)(p - xml);
    return p;
}

/* sids we create: "bo-<n>" */
static int64_t
out_index(const char *sid)
{
    char *end;
    long long n;

    if (strncmp(sid, "bo-", 3) != 0)
        return -1;
    n = strtoll(sid + 3, &end, 10);
    if (*end != '\0' || n < 0 || (uint64_t)n >= P.out_total)
        return -1;
    return n;
}

static void
iq_result_to(const char *from_attr, const char *id)
{
    lc_out_printf(&P.c.out, "<iq type='result' from='%s' to='", P.full);
    out_attr(from_attr, strlen(from_attr));
    lc_out_append(&P.c.out, "' id='", 6);
    out_attr(id, strlen(id));
    lc_out_append(&P.c.out, "'/>", 3);
}

/* The answer carries the offer's content (XEP-0166 7.2.8): `name` is
 * the session-initiate's content name. */
/* A video description, Chrome's codecs (issue 18). */
#define VIDEO_DESC                                                           \
    "<description xmlns='" NS_RTP "' media='video'>"                         \
    "<payload-type id='96' name='VP8' clockrate='90000'/>"                   \
    "<payload-type id='97' name='rtx' clockrate='90000'>"                    \
    "<parameter name='apt' value='96'/></payload-type>"                      \
    "<payload-type id='102' name='H264' clockrate='90000'>"                  \
    "<parameter name='packetization-mode' value='1'/>"                       \
    "<parameter name='profile-level-id' value='42e01f'/></payload-type>"     \
    "<rtcp-mux/></description>"

static void
send_accept(const char *gw_full, const char *sid, const char *name,
            const char *video_name)
{
    lc_out_printf(
        &P.c.out,
        "<iq type='set' from='%s' to='%s' id='sa-%s'>"
        "<jingle xmlns='" NS_J "' action='session-accept' sid='%s' "
        "initiator='%s' responder='%s'>"
        "<content creator='initiator' name='%s' senders='both'>"
        "<description xmlns='" NS_RTP "' media='audio'>"
        "<payload-type id='0' name='PCMU' clockrate='8000'/>"
        "<payload-type id='101' name='telephone-event' clockrate='8000'/>"
        "<rtcp-mux/></description>"
        "<transport xmlns='" NS_ICE "' ufrag='Zz9y' "
        "pwd='AnotherIcePasswordOf24ch'>"
        "<fingerprint xmlns='" NS_DTLS "' hash='sha-256' setup='active'>" FP
        "</fingerprint>"
        "<candidate component='1' foundation='1' generation='0' id='a1' "
        "ip='127.0.0.1' network='0' port='40010' priority='2130706431' "
        "protocol='udp' type='host'/>"
        "</transport></content>",
        P.full, gw_full, sid, sid, gw_full, P.full, name);
    if (video_name != NULL)
        lc_out_printf(
            &P.c.out,
            "<content creator='initiator' name='%s' senders='both'>"
            VIDEO_DESC
            "<transport xmlns='" NS_ICE "' ufrag='Vv9y' "
            "pwd='VideoIcePasswordOf24char'>"
            "<fingerprint xmlns='" NS_DTLS "' hash='sha-256' "
            "setup='active'>" FP "</fingerprint>"
            "<candidate component='1' foundation='1' generation='0' id='a2' "
            "ip='127.0.0.1' network='0' port='40012' priority='2130706431' "
            "protocol='udp' type='host'/>"
            "</transport></content>",
            video_name);
    lc_out_printf(&P.c.out, "</jingle></iq>");
    P.accepts_sent++;
}

static void
send_initiate(const char *gw_full, const char *sid)
{
    lc_out_printf(
        &P.c.out,
        "<iq type='set' from='%s' to='%s' id='si-%s'>"
        "<jingle xmlns='" NS_J "' action='session-initiate' sid='%s' "
        "initiator='%s'>"
        "<content creator='initiator' name='0' senders='both'>"
        "<description xmlns='" NS_RTP "' media='audio'>"
        "<payload-type id='111' name='opus' clockrate='48000' channels='2'>"
        "<parameter name='useinbandfec' value='1'/></payload-type>"
        "<payload-type id='0' name='PCMU' clockrate='8000'/>"
        "<payload-type id='101' name='telephone-event' clockrate='8000'/>"
        "<rtcp-mux/></description>"
        "<transport xmlns='" NS_ICE "' ufrag='Ab1c' "
        "pwd='ThisIsAnIcePasswordOf24c'>"
        "<fingerprint xmlns='" NS_DTLS "' hash='sha-256' setup='actpass'>" FP
        "</fingerprint>"
        "<candidate component='1' foundation='1' generation='0' id='c1' "
        "ip='127.0.0.1' network='0' port='40000' priority='2130706431' "
        "protocol='udp' type='host'/>"
        "</transport></content>",
        P.full, gw_full, sid, sid, P.full);
    if (opt_video) /* bundled on audio's transport, as Chrome offers */
        lc_out_printf(
            &P.c.out,
            "<content creator='initiator' name='1' senders='both'>" VIDEO_DESC
            "<transport xmlns='" NS_ICE "' ufrag='Ab1c' "
            "pwd='ThisIsAnIcePasswordOf24c'>"
            "<fingerprint xmlns='" NS_DTLS "' hash='sha-256' "
            "setup='actpass'>" FP "</fingerprint></transport></content>");
    lc_out_printf(&P.c.out,
                  "<group xmlns='urn:xmpp:jingle:apps:grouping:0' "
                  "semantics='BUNDLE'><content name='0'/>%s</group>"
                  "</jingle></iq>",
                  opt_video ? "<content name='1'/>" : "");
}

static void
send_terminate(const char *gw_full, const char *sid)
{
    lc_out_printf(&P.c.out,
                  "<iq type='set' from='%s' to='%s' id='st-%s'>"
                  "<jingle xmlns='" NS_J "' action='session-terminate' "
                  "sid='%s'><reason><success/></reason></jingle></iq>",
                  P.full, gw_full, sid, sid);
}

static void
on_message(const char *xml, size_t len)
{
    char from[512] = "", id[256] = "", to[512] = "";
    const char *e;
    size_t rest;

    attr_dup(xml, len, "from", from, sizeof from);
    attr_dup(xml, len, "to", to, sizeof to);
    if ((e = find_child_tag(xml, len, "<propose", &rest)) != NULL) {
        /* SIP calls alice: proceed from her resource */
        if (!attr_dup(e, rest, "id", id, sizeof id))
            return;
        P.proposes++;
        lc_out_printf(&P.c.out, "<message type='chat' from='%s' to='",
                      P.full);
        out_attr(from, strlen(from));
        lc_out_printf(&P.c.out, "' id='jm-proceed-");
        out_attr(id, strlen(id));
        lc_out_printf(&P.c.out, "'><proceed xmlns='" NS_JMI "' id='");
        out_attr(id, strlen(id));
        lc_out_printf(&P.c.out, "'/><store xmlns='urn:xmpp:hints'/>"
                                "</message>");
        P.proceeds_sent++;
    } else if ((e = find_child_tag(xml, len, "<proceed", &rest)) != NULL) {
        /* alice's call: the gateway proceeds */
        int64_t n;
        if (!attr_dup(e, rest, "id", id, sizeof id) ||
            (n = out_index(id)) < 0 || P.out[n].state != 1)
            return;
        send_initiate(from, id);
        P.out[n].state = 2;
    } else if ((e = find_child_tag(xml, len, "<reject", &rest)) != NULL ||
               (e = find_child_tag(xml, len, "<retract", &rest)) != NULL) {
        int64_t n;
        P.retracts_in++;
        if (attr_dup(e, rest, "id", id, sizeof id) &&
            (n = out_index(id)) >= 0 && P.out[n].state < 3) {
            P.out[n].state = 5;
            P.out_failed++;
        }
    } else if (lc_find(xml, len, "<received") != NULL) {
        /* receipt for a propose */
    } else {
        P.other_in++;
    }
}

static void
on_iq(const char *xml, size_t len)
{
    char type[16] = "", from[512] = "", id[256] = "", action[64] = "",
         sid[256] = "";
    const char *j;
    size_t rest;

    attr_dup(xml, len, "type", type, sizeof type);
    attr_dup(xml, len, "from", from, sizeof from);
    attr_dup(xml, len, "id", id, sizeof id);
    if (strcmp(type, "result") == 0 || strcmp(type, "error") == 0) {
        bool ok = type[0] == 'r';
        if (strncmp(id, "sa-", 3) == 0) {
            if (ok)
                P.accept_ok++;
            else
                P.accept_err++;
        } else if (strncmp(id, "st-", 3) == 0) {
            P.out_term_acked++;
        } else if (strncmp(id, "si-", 3) == 0 && !ok) {
            int64_t n = out_index(id + 3);
            if (n >= 0 && P.out[n].state < 3) {
                P.out[n].state = 5;
                P.out_failed++;
            }
        }
        if (!ok)
            P.iq_errors++;
        return;
    }
    if (strcmp(type, "set") != 0 ||
        (j = find_child_tag(xml, len, "<jingle", &rest)) == NULL) {
        P.other_in++;
        return;
    }
    attr_dup(j, rest, "action", action, sizeof action);
    attr_dup(j, rest, "sid", sid, sizeof sid);
    iq_result_to(from, id);
    P.iq_sets_acked++;
    if (strcmp(action, "session-initiate") == 0) {
        size_t crest;
        const char *ct = find_child_tag(j, rest, "<content", &crest);
        const char *ct2 = NULL;
        char name[64] = "0", name2[64] = "";
        size_t crest2 = 0;

        if (ct != NULL) {
            attr_dup(ct, crest, "name", name, sizeof name);
            ct2 = find_child_tag(ct + 1, crest - 1, "<content", &crest2);
        }
        /* --video: a second content (the offered video) accepted too */
        if (opt_video && ct2 != NULL &&
            attr_dup(ct2, crest2, "name", name2, sizeof name2) &&
            strcmp(name2, name) == 0)
            name2[0] = '\0'; /* a group's <content name/>, not a content */
        P.initiates++;
        send_accept(from, sid, name, name2[0] ? name2 : NULL);
    } else if (strcmp(action, "session-accept") == 0) {
        int64_t n = out_index(sid);
        if (n >= 0 && P.out[n].state == 2) {
            uint64_t now = lc_now_ns();
            P.out[n].state = 3;
            P.out[n].accept_ns = now;
            P.out[n].hangup_ns = now + P.hold_ns;
            P.out_accepted++;
        }
    } else if (strcmp(action, "session-terminate") == 0) {
        int64_t n = out_index(sid);
        P.terminates_in++;
        if (n >= 0 && P.out[n].state < 3) {
            P.out[n].state = 5;
            P.out_failed++;
        } else if (n >= 0 && P.out[n].state == 3) {
            P.out[n].state = 4; /* the SIP side hung up first */
            P.out_terminated++;
        }
    }
}

/* Sends due proposes and hang-ups; returns ns until the next due event. */
static uint64_t
calls_tick(uint64_t now)
{
    uint64_t next = UINT64_MAX;

    if (!P.out_running)
        return next;
    while (P.out_sent < P.out_total &&
           lc_out_pending(&P.c.out) < MAX_OUT_PENDING) {
        uint64_t due = P.out_t0 + (uint64_t)((double)P.out_sent * 1e9 /
                                             P.out_rate);
        if (due > now) {
            next = due - now;
            break;
        }
        OutCall *oc = &P.out[P.out_sent];
        oc->state = 1;
        oc->propose_ns = now;
        lc_out_printf(&P.c.out,
                      "<message type='chat' from='%s' to='%s' "
                      "id='jm-propose-bo-%" PRIu64 "'>"
                      "<propose xmlns='" NS_JMI "' id='bo-%" PRIu64 "'>"
                      "<description xmlns='" NS_RTP "' media='audio'/>"
                      "%s"
                      "</propose><request xmlns='urn:xmpp:receipts'/>"
                      "<store xmlns='urn:xmpp:hints'/></message>",
                      P.full, P.callee, P.out_sent, P.out_sent,
                      opt_video ? "<description xmlns='" NS_RTP
                                  "' media='video'/>" : "");
        P.out_sent++;
    }
    /* hang-ups (linear scan of the live ones; N is at most a few 10k) */
    for (uint64_t i = 0; i < P.out_sent; i++) {
        OutCall *oc = &P.out[i];
        if (oc->state != 3)
            continue;
        if (oc->hangup_ns <= now) {
            char sid[32], gw_full[512];
            g_snprintf(sid, sizeof sid, "bo-%" PRIu64, i);
            g_snprintf(gw_full, sizeof gw_full, "%s/sip", P.callee);
            send_terminate(gw_full, sid);
            oc->state = 4;
            P.out_terminated++;
        } else if (oc->hangup_ns - now < next) {
            next = oc->hangup_ns - now;
        }
    }
    return next;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void
calls_report(bool timed_out)
{
    uint64_t *lat = g_new(uint64_t, P.out_total + 1);
    size_t n = 0;
    double p50 = 0, p99 = 0, pmax = 0, secs;
    uint64_t first = UINT64_MAX, last = 0;

    for (uint64_t i = 0; i < P.out_sent; i++) {
        OutCall *oc = &P.out[i];
        if (oc->accept_ns != 0) {
            lat[n++] = oc->accept_ns - oc->propose_ns;
            if (oc->accept_ns > last)
                last = oc->accept_ns;
        }
        if (oc->propose_ns != 0 && oc->propose_ns < first)
            first = oc->propose_ns;
    }
    if (n > 0) {
        qsort(lat, n, sizeof *lat, cmp_u64);
        p50 = (double)lat[(n - 1) / 2] / 1e6;
        p99 = (double)lat[(size_t)((double)(n - 1) * 0.99)] / 1e6;
        pmax = (double)lat[n - 1] / 1e6;
    }
    secs = n > 0 && last > first ? (double)(last - first) / 1e9 : 0;
    lc_say("CALLS sent=%" PRIu64 " accepted=%" PRIu64 " failed=%" PRIu64
        " terminated=%" PRIu64 " term_acked=%" PRIu64
        " secs=%.3f setup_p50_ms=%.2f setup_p99_ms=%.2f setup_max_ms=%.2f"
        " timed_out=%d",
        P.out_sent, P.out_accepted, P.out_failed, P.out_terminated,
        P.out_term_acked, secs, p50, p99, pmax, timed_out);
    g_free(lat);
}

/* ---- B: watching SIP contacts ------------------------------------------ */

static uint64_t
watch_tick(uint64_t now)
{
    uint64_t next = UINT64_MAX;

    while (P.watch_sent < P.watch_total &&
           lc_out_pending(&P.c.out) < MAX_OUT_PENDING) {
        uint64_t due = P.watch_t0 + (uint64_t)((double)P.watch_sent * 1e9 /
                                               P.watch_rate);
        if (due > now) {
            next = due - now;
            break;
        }
        P.watch_sent++;
        lc_out_printf(&P.c.out,
                      "<presence type='subscribe' from='%s' "
                      "to='c%" PRIu64 "@%s'/>",
                      P.bare, P.watch_sent, P.domain);
        if (P.watch_sent == P.watch_total)
            lc_say("WATCH-SENT n=%" PRIu64, P.watch_total);
    }
    return next;
}

/* ---- commands ---------------------------------------------------------- */

static void
print_stats(void)
{
    lc_say("STATS subscribes_answered=%" PRIu64 " probes_answered=%" PRIu64
        " presences_in=%" PRIu64 " contact_presences=%" PRIu64
        " contacts_seen=%u contact_unavailable=%" PRIu64
        " changes_sent=%" PRIu64 " proposes=%" PRIu64
        " proceeds_sent=%" PRIu64 " initiates=%" PRIu64
        " accepts_sent=%" PRIu64 " accept_ok=%" PRIu64 " accept_err=%" PRIu64
        " terminates_in=%" PRIu64 " retracts_in=%" PRIu64
        " iq_sets_acked=%" PRIu64 " iq_errors=%" PRIu64 " other_in=%" PRIu64
        " bytes_in=%" PRIu64 " bytes_out=%" PRIu64 " cpu_us=%" PRIu64,
        P.subscribes_answered, P.probes_answered, P.presences_in,
        P.contact_presences, g_hash_table_size(P.contacts_seen),
        P.contact_unavail, P.changes_sent, P.proposes, P.proceeds_sent,
        P.initiates, P.accepts_sent, P.accept_ok, P.accept_err,
        P.terminates_in, P.retracts_in, P.iq_sets_acked, P.iq_errors,
        P.other_in, P.c.bytes_in, P.c.bytes_out, lc_self_cpu_us());
}

static bool
command(char *line)
{
    g_auto(GStrv) w = g_strsplit_set(g_strstrip(line), " \t", -1);
    guint n = g_strv_length(w);

    if (n == 0 || w[0][0] == '\0')
        return true;
    if (strcmp(w[0], "change") == 0) {
        uint64_t t;
        P.pres_seq++;
        t = lc_now_ns();
        send_alice_presence(P.change_to);
        if (lc_conn_flush(&P.c) < 0)
            return false;
        P.changes_sent++;
        lc_say("SENT seq=%" PRIu64 " t_ns=%" PRIu64 " flushed_ns=%" PRIu64
            " pending=%zu",
            P.pres_seq, t, lc_now_ns(), lc_out_pending(&P.c.out));
    } else if (strcmp(w[0], "watch") == 0 && n >= 3) {
        P.watch_total = g_ascii_strtoull(w[1], NULL, 10);
        P.watch_rate = g_ascii_strtod(w[2], NULL);
        if (P.watch_rate <= 0)
            P.watch_rate = 1000;
        P.watch_sent = 0;
        P.watch_t0 = lc_now_ns();
    } else if (strcmp(w[0], "wait-contacts") == 0 && n >= 3) {
        P.wait_contacts = (int64_t)g_ascii_strtoull(w[1], NULL, 10);
        P.wait_deadline = lc_now_ns() +
                          (uint64_t)(g_ascii_strtod(w[2], NULL) * 1e9);
    } else if (strcmp(w[0], "calls") == 0 && n >= 4) {
        g_free(P.out);
        P.out_total = g_ascii_strtoull(w[1], NULL, 10);
        P.out_rate = g_ascii_strtod(w[2], NULL);
        P.hold_ns = g_ascii_strtoull(w[3], NULL, 10) * 1000000u;
        if (P.out_total == 0 || P.out_total > 10000000 || P.out_rate <= 0) {
            lc_say("ERROR bad calls command");
            return true;
        }
        P.out = g_new0(OutCall, P.out_total);
        P.out_sent = P.out_accepted = P.out_failed = 0;
        P.out_terminated = P.out_term_acked = 0;
        P.out_t0 = lc_now_ns();
        P.out_done_ns = 0;
        P.out_running = true;
    } else if (strcmp(w[0], "stats") == 0) {
        print_stats();
    } else if (strcmp(w[0], "quit") == 0) {
        P.quit = true;
    } else {
        lc_say("ERROR unknown command %s", w[0]);
    }
    return true;
}

/* Completion checks of the running commands. */
static void
check_done(uint64_t now)
{
    if (P.wait_contacts >= 0) {
        guint seen = g_hash_table_size(P.contacts_seen);
        if (seen >= (guint)P.wait_contacts || now >= P.wait_deadline) {
            lc_say("CONTACTS n=%u want=%" PRId64 " presences=%" PRIu64
                " timed_out=%d",
                seen, P.wait_contacts, P.contact_presences,
                seen < (guint)P.wait_contacts);
            P.wait_contacts = -1;
        }
    }
    if (P.out_running && P.out_sent == P.out_total) {
        /* every call accepted and hung up (terminate acked), or failed */
        uint64_t settled = 0;
        for (uint64_t i = 0; i < P.out_total; i++)
            if (P.out[i].state >= 4)
                settled++;
        if (settled == P.out_total &&
            P.out_term_acked + P.out_failed >= P.out_total) {
            calls_report(false);
            P.out_running = false;
        } else if (P.out_done_ns == 0) {
            P.out_done_ns = now;
        } else if (now - P.out_done_ns >
                   P.hold_ns + (uint64_t)30 * 1000000000u) {
            calls_report(true);
            P.out_running = false;
        }
    }
}

/* ---- connection -------------------------------------------------------- */

static void
on_element(const char *xml, size_t len)
{
    if (lc_is_elem(xml, len, "presence"))
        on_presence(xml, len);
    else if (lc_is_elem(xml, len, "message"))
        on_message(xml, len);
    else if (lc_is_elem(xml, len, "iq"))
        on_iq(xml, len);
    else
        P.other_in++;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- XMPP side (XEP-0114 server) of the presence and call benchmarks");
    g_autoptr(GError) error = NULL;
    GString *line = g_string_new(NULL);
    struct pollfd p[2];
    int lfd, fd, one = 1, rc = 0;
    bool stdin_open = true;
    uint64_t end_ns;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        fprintf(stderr, "xmpppeer: %s\n", error->message);
        return 2;
    }
    if (opt_secret == NULL) {
        fprintf(stderr, "xmpppeer: --secret is required\n");
        return 2;
    }
    P.domain = opt_domain ? opt_domain : g_strdup("sip.localhost");
    P.bare = opt_user ? opt_user : g_strdup("alice@localhost");
    P.full = g_strdup_printf("%s/%s", P.bare, opt_resource ? opt_resource
                                                          : "r");
    P.change_to = opt_change_to ? opt_change_to
                                : g_strdup_printf("w1@%s", P.domain);
    P.callee = opt_callee ? opt_callee : g_strdup_printf("1001@%s", P.domain);
    P.contacts_seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            NULL);
    P.wait_contacts = -1;
    end_ns = lc_now_ns() + (uint64_t)(opt_life * 1e9);

    lfd = lc_listen_loopback(&opt_port);
    if (lfd < 0) {
        fprintf(stderr, "xmpppeer: cannot listen: %s\n", g_strerror(errno));
        return 2;
    }
    if (opt_port_file != NULL && !lc_write_port_file(opt_port_file, opt_port))
        return 2;
    lc_say("LISTEN port=%d", opt_port);
    p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
    if (poll(p, 1, (int)(opt_accept_timeout * 1000)) <= 0) {
        fprintf(stderr, "xmpppeer: the gateway did not connect\n");
        return 2;
    }
    fd = accept(lfd, NULL, NULL);
    close(lfd);
    if (fd < 0)
        return 2;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    lc_conn_init(&P.c, fd);
    if (!lc_component_accept(&P.c, "xmpppeer", P.domain, opt_secret))
        return 2;
    lc_say("READY");

    while (!P.quit) {
        uint64_t now = lc_now_ns(), wait_ns = 200000000u, t;
        LcEvent ev;
        const char *xml;
        size_t len;
        int r, timeout_ms;

        if (now >= end_ns) {
            fprintf(stderr, "xmpppeer: --life reached\n");
            rc = 1;
            break;
        }
        t = calls_tick(now);
        wait_ns = MIN(wait_ns, t);
        if (P.watch_sent < P.watch_total) {
            t = watch_tick(now);
            wait_ns = MIN(wait_ns, t);
        }
        check_done(now);
        if (lc_conn_flush(&P.c) < 0) {
            fprintf(stderr, "xmpppeer: write error\n");
            rc = 1;
            break;
        }
        p[0] = (struct pollfd){ .fd = P.c.fd, .events = POLLIN };
        if (lc_out_pending(&P.c.out) > 0)
            p[0].events |= POLLOUT;
        p[1] = (struct pollfd){ .fd = stdin_open ? 0 : -1, .events = POLLIN };
        timeout_ms = (int)((wait_ns + 999999u) / 1000000u);
        if (poll(p, 2, timeout_ms) < 0 && errno != EINTR) {
            rc = 1;
            break;
        }
        if (p[1].revents & (POLLIN | POLLHUP)) {
            char buf[4096];
            ssize_t got = read(0, buf, sizeof buf);
            if (got <= 0) {
                stdin_open = false;
            } else {
                g_string_append_len(line, buf, got);
                char *nl;
                while ((nl = memchr(line->str, '\n', line->len)) != NULL) {
                    *nl = '\0';
                    if (!command(line->str)) {
                        rc = 1;
                        P.quit = true;
                    }
                    g_string_erase(line, 0, nl - line->str + 1);
                }
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            if (lc_conn_read(&P.c) < 0) {
                fprintf(stderr, "xmpppeer: read error\n");
                rc = 1;
                break;
            }
            while ((r = lc_scanner_next(&P.c.in, &ev, &xml, &len)) > 0) {
                if (ev == LC_EV_ELEMENT)
                    on_element(xml, len);
                else if (ev == LC_EV_STREAM_CLOSE)
                    P.c.eof = true;
            }
            if (r < 0) {
                fprintf(stderr, "xmpppeer: malformed XML\n");
                rc = 1;
                break;
            }
            if (P.c.eof) {
                fprintf(stderr, "xmpppeer: the gateway closed the stream\n");
                break;
            }
        }
    }
    print_stats();
    lc_conn_close(&P.c);
    g_string_free(line, TRUE);
    return rc;
}
