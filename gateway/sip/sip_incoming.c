/* gateway/sip/sip_incoming.c: what the router sees of a request, and how
 * it is answered.
 *
 *   request in (sip_agent.c) --> sip_incoming_fill(): From, To, the
 *     Request-URI (one of our own addresses read as [sip] domain), the
 *     source address and transport, type, charset, Event, Expires, Accept
 *   --> sip_request_deliver(): the router (trust, rate, digest) and a
 *     bridge --> gw_sip_request_respond() and friends: one answer path for
 *     stateless MESSAGEs (sip_message.c) and transactions; Server names
 *     [sip] user_agent only to sources the router let in
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

#include "gw_error.h"
#include "map.h"

/* ---- incoming requests: what the router sees -------------------------- */

static void
source_of(GwSipUa *ua, msg_t *msg, char *host, gsize hostlen, guint *port,
          const char **transport)
{
    su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
    char serv[16] = "";

    g_strlcpy(host, "", hostlen);
    *port = 0;
    *transport = "udp";
    if (ai == NULL || ai->ai_addr == NULL)
        return;
    if (ai->ai_addr->sa_family == AF_INET &&
        ai->ai_addrlen >= (socklen_t)sizeof(struct sockaddr_in)) {
        /* the common case, without getnameinfo's cost (1.5% of a
         * SIP->XMPP message's instructions) */
        const struct sockaddr_in *sin = (const void *)ai->ai_addr;

        if (inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)hostlen) ==
            NULL)
            g_strlcpy(host, "", hostlen);
        *port = ntohs(sin->sin_port);
    } else {
        if (getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, host,
                        (socklen_t)hostlen, serv, sizeof serv,
                        NI_NUMERICHOST | NI_NUMERICSERV) != 0)
            g_strlcpy(host, "", hostlen);
        /* "::ffff:192.0.2.1" is 192.0.2.1 for the trust check */
        if (g_str_has_prefix(host, "::ffff:") &&
            strchr(host + 7, '.') != NULL)
            memmove(host, host + 7, strlen(host + 7) + 1);
        *port = (guint)g_ascii_strtoull(serv, NULL, 10);
    }
    if (ai->ai_protocol == IPPROTO_TCP) {
        tport_t *tp = nta_incoming_transport(ua->agent, NULL, msg);
        const tp_name_t *name = tp ? tport_name(tp) : NULL;
        *transport = name && name->tpn_proto &&
                             g_ascii_strcasecmp(name->tpn_proto, "tls") == 0
                         ? "tls" : "tcp";
        if (tp != NULL)
            tport_unref(tp);
    }
}

/* Is host (as in a URI: an IP literal, [v6] or a name) on port one of
 * our own addresses? Our [sip] domain is, and the addresses we listen on
 * (every local one when bound to a wildcard). */
static gboolean
is_own_address(GwSipUa *ua, const url_t *url)
{
    const char *host = url->url_host;
    guint port;
    char bare[INET6_ADDRSTRLEN + 2];
    gsize n;

    if (host == NULL)
        return FALSE;
    port = url->url_port ? (guint)g_ascii_strtoull(url->url_port, NULL, 10)
           : url->url_type == url_sips ? 5061 : 5060;
    if (port != ua->listen_port && port != ua->tls_port)
        return FALSE;
    if (g_ascii_strcasecmp(host, ua->config->sip.domain) == 0)
        return TRUE;
    n = strlen(host);
    if (host[0] == '[' && n > 2 && n < sizeof bare) {
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = '\0';
        host = bare;
    }
    if (!g_hostname_is_ip_address(host))
        return FALSE;
    if (strcmp(ua->listen_host, "0.0.0.0") != 0 &&
        strcmp(ua->listen_host, "::") != 0)
        return g_ascii_strcasecmp(host, ua->listen_host) == 0;
    {
        /* a wildcard: any address of ours */
        struct ifaddrs *ifs = NULL;
        gboolean own = FALSE;
        if (getifaddrs(&ifs) != 0)
            return FALSE;
        for (struct ifaddrs *i = ifs; i != NULL && !own; i = i->ifa_next) {
            char text[INET6_ADDRSTRLEN];
            if (i->ifa_addr == NULL ||
                (i->ifa_addr->sa_family != AF_INET &&
                 i->ifa_addr->sa_family != AF_INET6) ||
                getnameinfo(i->ifa_addr,
                            i->ifa_addr->sa_family == AF_INET
                                ? sizeof(struct sockaddr_in)
                                : sizeof(struct sockaddr_in6),
                            text, sizeof text, NULL, 0, NI_NUMERICHOST) != 0)
                continue;
            own = g_ascii_strcasecmp(text, host) == 0;
        }
        freeifaddrs(ifs);
        return own;
    }
}

/* The Request-URI the router sees: ours as it is, but one of our own
 * addresses (phones and proxies send sip:alice@192.0.2.10:5060 after a
 * registration or a lookup) becomes our [sip] domain, where the mapping
 * knows it. Our registered Contact (sip:<[sip] username>@our address,
 * what a registrar's lookup() puts there) names the gateway itself, no
 * user: the bridges then take the target from To. */
static char *
request_uri_text(GwSipUa *ua, const url_t *url)
{
    char *user = NULL;

    if (url == NULL || (url->url_type != url_sip && url->url_type != url_sips)
        || !is_own_address(ua, url))
        return sip_url_text(url);
    user = url->url_user != NULL &&
                   g_strcmp0(url->url_user, ua->config->sip.username) != 0
               ? g_strdup_printf("%s@", url->url_user)
               : g_strdup("");
    {
        char *out = g_strdup_printf(
            "%s:%s%s%s", url->url_type == url_sips ? "sips" : "sip", user,
            ua->config->sip.domain,
            url_has_param(url, "user=phone") ? ";user=phone" : "");
        g_free(user);
        return out;
    }
}

void
sip_incoming_fill(GwSipUa *ua, GwSipIncoming *in, GwIncomingText *t,
                  sip_t const *sip, msg_t *msg)
{
    memset(t, 0, sizeof *t);
    t->ruri = request_uri_text(ua, sip->sip_request->rq_url);
    t->from = sip_url_text(sip->sip_from->a_url);
    t->to = sip_url_text(sip->sip_to->a_url);
    source_of(ua, msg, t->host, sizeof t->host, &in->source_port,
              &in->transport);
    if (sip->sip_content_type != NULL && sip->sip_content_type->c_type) {
        const char *cs;
        t->content_type = g_ascii_strdown(sip->sip_content_type->c_type, -1);
        cs = msg_params_find(sip->sip_content_type->c_params, "charset=");
        if (cs != NULL) {
            t->charset = g_strdup(cs);
            /* charset="utf-8" */
            if (t->charset[0] == '"') {
                gsize n = strlen(t->charset);
                memmove(t->charset, t->charset + 1, n);
                if (n >= 2 && t->charset[n - 2] == '"')
                    t->charset[n - 2] = '\0';
            }
        }
    }
    in->method = sip->sip_request->rq_method_name;
    in->request_uri = t->ruri;
    in->from_uri = t->from;
    in->from_display = sip->sip_from->a_display;
    in->to_uri = t->to;
    in->call_id = sip->sip_call_id ? sip->sip_call_id->i_id : "";
    in->source = t->host;
    in->content_type = t->content_type;
    in->charset = t->charset;
    if (sip->sip_payload != NULL) {
        in->body = sip->sip_payload->pl_data;
        in->body_len = sip->sip_payload->pl_len;
    }
    if (sip->sip_authorization != NULL) {
        su_home_t home[1] = { SU_HOME_INIT(home) };
        t->authorization = g_strdup(sip_header_as_string(
            home, (sip_header_t const *)sip->sip_authorization));
        su_home_deinit(home);
        in->authorization = t->authorization;
    }
    in->expires = sip->sip_expires ? (gint)sip->sip_expires->ex_delta : -1;
    in->event = sip->sip_event ? sip->sip_event->o_type : NULL;
    if (sip->sip_accept != NULL) {
        GString *acc = g_string_new(NULL);
        for (sip_accept_t const *a = sip->sip_accept; a; a = a->ac_next)
            if (a->ac_type != NULL)
                g_string_append_printf(acc, "%s%s", acc->len ? ", " : "",
                                       a->ac_type);
        t->accept = g_string_free(acc, FALSE);
        in->accept = t->accept;
    }
}

void
sip_incoming_text_clear(GwIncomingText *t)
{
    g_free(t->ruri);
    g_free(t->from);
    g_free(t->to);
    g_free(t->content_type);
    g_free(t->charset);
    g_free(t->accept);
    if (t->authorization != NULL)
        memset(t->authorization, 0, strlen(t->authorization));
    g_free(t->authorization);
}

GwSipRequest *
sip_request_new(GwSipUa *ua, GwSipIncoming *in, GwSipDialog *dialog)
{
    GwSipRequest *req = g_new0(GwSipRequest, 1);

    req->ua = ua;
    req->dialog = dialog;
    if (dialog != NULL) {
        in->dialog = dialog;
        in->dialog_data = sip_subscription_data(dialog);
    }
    return req;
}

void
sip_request_deliver(GwSipUa *ua, GwSipRequest *req, const GwSipIncoming *in)
{
    g_hash_table_add(ua->requests, req);
    ua->on_request(req, in, ua->user_data);
}

void
sip_request_free(GwSipRequest *req)
{
    g_hash_table_remove(req->ua->requests, req);
    if (req->tport != NULL)
        tport_unref(req->tport);
    sip_udp_answer_free(req->udp_answer);
    g_free(req);
}

/* ---- answering --------------------------------------------------------- */

int
sip_reply_now(GwSipUa *ua, nta_incoming_t *irq, int status,
              const char *phrase, const char *retry_after)
{
    gboolean options_ok = status == 200 &&
                          nta_incoming_method(irq) == sip_method_options;

    sip_count_answer(nta_incoming_method(irq), status);
    nta_incoming_treply(
        irq, status, phrase,
        TAG_IF(retry_after != NULL, SIPTAG_RETRY_AFTER_STR(retry_after)),
        TAG_IF(status == 405 || options_ok, SIPTAG_ALLOW_STR(SIP_ALLOW)),
        TAG_IF(options_ok, SIPTAG_ACCEPT_STR(SIP_ACCEPT)), TAG_END());
    nta_incoming_destroy(irq);
    return 0;
}

static void
respond_full(GwSipRequest *req, int status, const char *phrase,
             guint retry_after, const char *accept, gint expires,
             const char *challenge)
{
    GwSipUa *ua;
    const GwConfig *cfg;
    const char *contact = NULL;
    gboolean options_ok;
    char ra[16], ex[16];

    g_return_if_fail(req != NULL);
    ua = req->ua;
    cfg = ua->config;
    if (req->msg != NULL || req->udp_answer != NULL) {
        sip_message_respond(req, status, phrase, retry_after, accept,
                            challenge);
        return;
    }
    /* an INVITE goes on as a call (gw_sip_request_take_call()) unless
     * refused here */
    g_return_if_fail(req->method != sip_method_invite || status >= 300);
    options_ok = status == 200 && req->method == sip_method_options;
    g_snprintf(ra, sizeof ra, "%u", retry_after);
    g_snprintf(ex, sizeof ex, "%d", expires);
    if (req->dialog != NULL && status < 300)
        contact = sip_leg_contact((const SipLeg *)req->dialog);
    sip_count_answer(req->method, status);
    nta_incoming_treply(
        req->irq, status, phrase,
        TAG_IF(retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)),
        TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
        TAG_IF(options_ok, SIPTAG_ACCEPT_STR(SIP_ACCEPT)),
        TAG_IF(status == 405 || options_ok, SIPTAG_ALLOW_STR(SIP_ALLOW)),
        TAG_IF(expires >= 0 && status != 423, SIPTAG_EXPIRES_STR(ex)),
        TAG_IF(expires >= 0 && status == 423, SIPTAG_MIN_EXPIRES_STR(ex)),
        TAG_IF(challenge != NULL, SIPTAG_WWW_AUTHENTICATE_STR(challenge)),
        TAG_IF(contact != NULL, SIPTAG_CONTACT_STR(contact)),
        TAG_IF(req->trusted && cfg->sip.user_agent != NULL,
               SIPTAG_SERVER_STR(cfg->sip.user_agent)),
        TAG_END());
    if (req->call != NULL)
        sip_call_refused(req->call); /* lets go of the transaction too */
    else
        nta_incoming_destroy(req->irq);
    if (req->dialog != NULL)
        sip_subscription_answered(req, status);
    sip_request_free(req);
}

void
gw_sip_request_set_trusted(GwSipRequest *req)
{
    req->trusted = TRUE;
}

void
gw_sip_request_respond(GwSipRequest *req, int status, const char *phrase,
                       guint retry_after, const char *accept)
{
    respond_full(req, status, phrase, retry_after, accept, -1, NULL);
}

void
gw_sip_request_challenge(GwSipRequest *req, const char *challenge)
{
    respond_full(req, 401, "Unauthorized", 0, NULL, -1, challenge);
}

void
gw_sip_request_respond_subscribe(GwSipRequest *req, int status,
                                 const char *phrase, guint expires)
{
    respond_full(req, status, phrase, 0, NULL,
                 status < 300 || status == 423 ? (gint)expires : -1, NULL);
}

/* The Request-URI checked as RFC 3261 19.1 says it must be: Sofia's
 * parser lets through what the grammar does not ("sip:a@@b..c:99999;;x=",
 * host "@b..c"), and gives the parts back as they were written. */
gboolean
sip_request_uri_ok(sip_t const *sip, GError **error)
{
    g_autofree char *uri = sip_url_text(sip->sip_request->rq_url);

    if (uri == NULL) {
        g_set_error_literal(error, MAP_ERROR, MAP_ERROR_MALFORMED,
                            "no Request-URI");
        return FALSE;
    }
    return map_uri_check(uri, error);
}
