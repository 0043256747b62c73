/* gateway/sip/sip_udp_answer.c: the stateless answer to a MESSAGE that came
 * over UDP, written and sent here rather than by nta.
 *
 * nta_msg_treply() makes a Sofia message of each answer: a tag list, the
 * request's headers duplicated one by one and encoded again, a transport
 * chosen by name, then the request and the answer destroyed: ~25,000 of
 * the ~92,000 instructions a SIP->XMPP MESSAGE cost in all (callgrind,
 * tests/bench/bench_messages.sh --only a, December 2026). Here the lines
 * an answer repeats (RFC 3261 8.2.6.2: every Via, From, To with our tag,
 * Call-ID, CSeq; and Record-Route, as nta's complete_response() copies it)
 * are encoded once, by Sofia's own encoders from the parsed request (so the
 * top Via carries the received and rport nta added), when the request is
 * taken; a waiting MESSAGE keeps that text (300-600 bytes) instead of its
 * request (3.3 KiB). The answer is a status line, that text, the few
 * headers of its own and Content-Length: 0, sent with sendto() on the
 * socket the request came in on, to where nta would send it
 * (nta_tpn_by_via(); RFC 3261 18.2.2, RFC 3581): the received address,
 * else the sent-by host; rport, else the sent-by port, else 5060.
 *
 * nta answers instead (NULL here) over TCP and TLS (the connection), for a
 * Via with maddr or comp, a sent-by name without received=, an address of
 * another family than the socket's, a socket not found for the transport,
 * or lines over HEAD_MAX. A datagram the kernel refuses (a full send
 * buffer) is lost as any answer over UDP may be: the sender retransmits,
 * and the memo (sip_message.c) answers the retransmission.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include "num_text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/tport.h>

#define HEAD_MAX 4096

struct SipUdpAnswer {
    int fd;
    socklen_t dest_len;
    struct sockaddr_storage dest;
    gsize len;
    char head[]; /* the lines repeated from the request, each with CRLF */
};

/* The socket of a UDP transport of ours (found by sip_udp_answer_init),
 * or -1. */
static int
socket_of(GwSipUa *ua, tport_t const *tp, int *family)
{
    if (tp == NULL)
        return -1;
    for (guint i = 0; i < ua->n_udp_fds; i++)
        if (ua->udp_tports[i] == tp) {
            *family = ua->udp_families[i];
            return ua->udp_fds[i];
        }
    return -1;
}

void
sip_udp_answer_init(GwSipUa *ua)
{
    tport_t *tp;

    for (guint i = 0; i < G_N_ELEMENTS(ua->udp_tports); i++)
        ua->udp_tports[i] = NULL;
    for (tp = tport_primaries(nta_agent_tports(ua->agent)); tp != NULL;
         tp = tport_next(tp)) {
        su_addrinfo_t const *ai = tport_get_address(tp);

        if (!tport_is_udp(tp) || ai == NULL || ai->ai_addr == NULL)
            continue;
        for (guint i = 0; i < ua->n_udp_fds; i++) {
            struct sockaddr_storage ss;
            socklen_t sl = sizeof ss;

            if (ua->udp_tports[i] != NULL ||
                getsockname(ua->udp_fds[i], (struct sockaddr *)&ss, &sl) != 0 ||
                sl != (socklen_t)ai->ai_addrlen ||
                memcmp(&ss, ai->ai_addr, sl) != 0)
                continue;
            ua->udp_tports[i] = tp;
            ua->udp_families[i] = ss.ss_family;
            break;
        }
    }
}

/* dest from a host (an IP literal, IPv6 with or without brackets) and a
 * port, for a socket of `family`. */
static gboolean
dest_of(const char *host, const char *port, int family,
        struct sockaddr_storage *dest, socklen_t *len)
{
    char h[64];
    gsize n = strlen(host);
    guint64 p;
    void *addr;

    if (port == NULL ||
        !g_ascii_string_to_unsigned(port, 10, 1, 65535, &p, NULL))
        return FALSE;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof h)
        return FALSE;
    memcpy(h, host, n);
    h[n] = '\0';
    memset(dest, 0, sizeof *dest);
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)dest;

        a->sin_family = AF_INET;
        a->sin_port = htons((guint16)p);
        addr = &a->sin_addr;
        *len = sizeof *a;
    } else if (family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)dest;

        a->sin6_family = AF_INET6;
        a->sin6_port = htons((guint16)p);
        addr = &a->sin6_addr;
        *len = sizeof *a;
    } else {
        return FALSE;
    }
    return inet_pton(family, h, addr) == 1;
}

/* Appends header h (name, value, CRLF) to buf; FALSE if it does not fit. */
static gboolean
put_header(char *buf, gsize *used, void const *h)
{
    issize_t n;

    if (h == NULL)
        return TRUE;
    n = msg_header_e(buf + *used, HEAD_MAX - *used, (msg_header_t const *)h, 0);
    if (n < 2 || (gsize)n >= HEAD_MAX - *used)
        return FALSE;
    *used += (gsize)n;
    return TRUE;
}

static gboolean
put_text(char *buf, gsize *used, gsize max, const char *s)
{
    gsize n = strlen(s);

    if (n >= max - *used)
        return FALSE;
    memcpy(buf + *used, s, n);
    *used += n;
    return TRUE;
}

SipUdpAnswer *
sip_udp_answer_new(GwSipUa *ua, msg_t *msg, sip_t const *sip,
                   const char *to_tag)
{
    char buf[HEAD_MAX];
    gsize used = 0;
    int family = 0;
    tport_t const *tp = tport_delivered_by(nta_agent_tports(ua->agent), msg);
    int fd = socket_of(ua, tp, &family);
    sip_via_t const *v = sip->sip_via;
    struct sockaddr_storage dest;
    socklen_t dest_len = 0;
    SipUdpAnswer *a;

    if (fd < 0 || v == NULL || v->v_maddr != NULL || v->v_comp != NULL ||
        sip->sip_from == NULL || sip->sip_to == NULL ||
        sip->sip_call_id == NULL || sip->sip_cseq == NULL)
        return NULL;
    if (!dest_of(v->v_received != NULL ? v->v_received : v->v_host,
                 v->v_rport != NULL && v->v_rport[0] != '\0'
                     ? v->v_rport
                     : (v->v_port != NULL ? v->v_port : "5060"),
                 family, &dest, &dest_len))
        return NULL;
    for (; v != NULL; v = v->v_next)
        if (!put_header(buf, &used, v))
            return NULL;
    for (sip_record_route_t const *r = sip->sip_record_route; r != NULL;
         r = r->r_next)
        if (!put_header(buf, &used, r))
            return NULL;
    if (!put_header(buf, &used, sip->sip_from) ||
        !put_header(buf, &used, sip->sip_to))
        return NULL;
    if (to_tag != NULL && sip->sip_to->a_tag == NULL) {
        used -= 2; /* the To line's CRLF */
        if (!put_text(buf, &used, HEAD_MAX, ";tag=") ||
            !put_text(buf, &used, HEAD_MAX, to_tag) ||
            !put_text(buf, &used, HEAD_MAX, "\r\n"))
            return NULL;
    }
    if (!put_header(buf, &used, sip->sip_call_id) ||
        !put_header(buf, &used, sip->sip_cseq))
        return NULL;
    a = g_malloc(sizeof *a + used);
    a->fd = fd;
    a->dest = dest;
    a->dest_len = dest_len;
    a->len = used;
    memcpy(a->head, buf, used);
    return a;
}

void
sip_udp_answer_free(SipUdpAnswer *a)
{
    g_free(a);
}

gboolean
sip_udp_answer_send(const SipUdpAnswer *a, int status, const char *phrase,
                    const char *const *extra)
{
    char stack[HEAD_MAX + 1024], *buf = stack, num[GW_NUM_TEXT_SIZE];
    gsize max = sizeof stack, used = 0, need;
    gboolean ok;
    ssize_t sent;

    g_return_val_if_fail(status >= 100 && status <= 699, FALSE);
    /* "SIP/2.0 NNN phrase\r\n" */
    need = 8 + 4 + strlen(phrase) + 2 + a->len +
           sizeof "Content-Length: 0\r\n\r\n";
    for (guint i = 0; extra != NULL && extra[i] != NULL; i++)
        need += strlen(extra[i]);
    if (need > max) {
        buf = g_malloc(need);
        max = need;
    }
    ok = put_text(buf, &used, max, "SIP/2.0 ") &&
         put_text(buf, &used, max, gw_num_decimal((guint64)status, num)) &&
         put_text(buf, &used, max, " ") && put_text(buf, &used, max, phrase) &&
         put_text(buf, &used, max, "\r\n");
    if (ok && a->len < max - used) {
        memcpy(buf + used, a->head, a->len);
        used += a->len;
    } else {
        ok = FALSE;
    }
    for (guint i = 0; ok && extra != NULL && extra[i] != NULL; i++)
        ok = put_text(buf, &used, max, extra[i]);
    ok = ok && put_text(buf, &used, max, "Content-Length: 0\r\n\r\n");
    if (ok) {
        do {
            sent = sendto(a->fd, buf, used, MSG_DONTWAIT,
                          (const struct sockaddr *)&a->dest, a->dest_len);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0)
            g_debug("answer %d over UDP not sent: %s", status,
                    g_strerror(errno));
        ok = sent == (ssize_t)used;
    }
    if (buf != stack)
        g_free(buf);
    return ok;
}
