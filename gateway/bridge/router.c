/* gateway/bridge/router.c: events from the links go to the bridges from here.
 *
 * XMPP: <message> -> message bridge; <iq> get/set -> disco#info, ping,
 * version, or service-unavailable (RFC 6120 8.2.3: never silence);
 * <presence> -> answered for probes of the component itself; users'
 * presence -> presence bridge (which feeds the caps cache, whose disco#info
 * answers come back through route_iq()).
 * SIP: every request is checked against [security] (trusted sources, rate
 * per source) before any bridge sees it, OPTIONS too: an untrusted source
 * learns nothing (not even what software answers) beyond a 403 or a
 * digest challenge.
 */
#define G_LOG_DOMAIN "gw-router"

#include <string.h>
#include <sys/utsname.h>

#include "accounts.h"
#include "admin.h"
#include "call_bridge.h"
#include "error_map.h"
#include "gateway.h"
#include "gw_error.h"
#include "message_bridge.h"
#include "metrics.h"
#include "presence_bridge.h"
#include "sip_auth.h"
#include "stanza.h"

/* The features we really implement, sorted as XEP-0115 wants them. */
static const char *const domain_features[] = {
    GW_NS_CHATSTATES, GW_NS_COMMANDS, GW_NS_DISCO_INFO, GW_NS_GATEWAY,
    GW_NS_PING, GW_NS_RECEIPTS,
};
static const char *const user_features[] = {
    GW_NS_CHATSTATES, GW_NS_DISCO_INFO, GW_NS_PING, GW_NS_RECEIPTS,
};
/* What Conversations and Dino look for before they offer a call button
 * (shared notes/calls.md), and XEP-0181 DTMF. */
static const char *const call_features[] = {
    "urn:xmpp:jingle-message:0",
    "urn:xmpp:jingle:1",
    "urn:xmpp:jingle:apps:dtls:0",
    "urn:xmpp:jingle:apps:rtp:1",
    "urn:xmpp:jingle:apps:rtp:audio",
    "urn:xmpp:jingle:dtmf:0",
    "urn:xmpp:jingle:transports:ice-udp:1",
};

static void
send_text(GwGateway *gw, GString *xml)
{
    gw_xmpp_link_send_text(gw->env.xmpp, xml);
}

#define CONTACT_IDENTITY_NAME "SIP contact"

/* The features a SIP contact (user@component) answers with, sorted. */
static GPtrArray *
contact_features(const GwGateway *gw)
{
    GPtrArray *f = g_ptr_array_new();

    for (gsize i = 0; i < G_N_ELEMENTS(user_features); i++)
        g_ptr_array_add(f, (gpointer)user_features[i]);
    for (gsize i = 0; gw->env.config->calls.enabled &&
                      i < G_N_ELEMENTS(call_features);
         i++)
        g_ptr_array_add(f, (gpointer)call_features[i]);
    return f;
}

static gint
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* XEP-0115 5.1: SHA-1 over "category/type/lang/name<" and "feature<". */
void
gw_router_init_caps(GwGateway *gw)
{
    g_autoptr(GPtrArray) f = contact_features(gw);
    g_autoptr(GString) s = g_string_new("client/phone//" CONTACT_IDENTITY_NAME
                                        "<");
    g_autoptr(GChecksum) sha = g_checksum_new(G_CHECKSUM_SHA1);
    guint8 digest[20];
    gsize len = sizeof digest;

    g_ptr_array_sort(f, cmp_str);
    for (guint i = 0; i < f->len; i++)
        g_string_append_printf(s, "%s<", (const char *)g_ptr_array_index(f, i));
    g_checksum_update(sha, (const guchar *)s->str, s->len);
    g_checksum_get_digest(sha, digest, &len);
    g_free(gw->caps_ver);
    gw->caps_ver = g_base64_encode(digest, len);
}

static void
reply_error(GwGateway *gw, xmpp_stanza_t *stanza, const char *condition,
            const char *text)
{
    GwStanzaError e = { condition, gw_errmap_condition_type(condition), NULL,
                        NULL };
    send_text(gw, gw_stanza_error_reply(stanza, NULL, &e, text));
}

static void
disco_info(GwGateway *gw, xmpp_stanza_t *iq, xmpp_stanza_t *query,
           const char *local)
{
    GString *x;
    const char *node = xmpp_stanza_get_attribute(query, "node");
    g_autoptr(MapResult) m = NULL;

    /* XEP-0115: the caps node of contacts answers like a contact */
    if (node != NULL &&
        !(local != NULL && g_str_has_prefix(node, GW_CAPS_NODE "#") &&
          strcmp(node + strlen(GW_CAPS_NODE "#"), gw->caps_ver) == 0)) {
        reply_error(gw, iq, "item-not-found", "no such node");
        return;
    }
    if (local != NULL) {
        g_autoptr(GError) error = NULL;
        m = map_table_lookup_jid(gw->env.map, xmpp_stanza_get_to(iq), &error);
        if (m == NULL || m->kind == MAP_KIND_XMPP_USER) {
            reply_error(gw, iq, "item-not-found",
                        error ? error->message : "not a SIP address");
            return;
        }
    }
    x = gw_stanza_iq_result_begin(iq);
    g_string_append(x, "<query xmlns='" GW_NS_DISCO_INFO "'");
    gw_xml_append_attr(x, "node", node);
    g_string_append_c(x, '>');
    if (local == NULL) {
        g_string_append(x, "<identity category='gateway' type='sip' "
                           "name='XMPP-SIP gateway'/>");
        gboolean reg = gw_accounts_enabled(gw->accounts);
        for (gsize i = 0; i < G_N_ELEMENTS(domain_features); i++) {
            /* XEP-0077 where it sorts among them */
            if (reg && strcmp(domain_features[i], GW_NS_REGISTER) > 0) {
                g_string_append(x, "<feature var='" GW_NS_REGISTER "'/>");
                reg = FALSE;
            }
            g_string_append_printf(x, "<feature var='%s'/>",
                                   domain_features[i]);
        }
        if (reg)
            g_string_append(x, "<feature var='" GW_NS_REGISTER "'/>");
    } else {
        g_autoptr(GPtrArray) f = contact_features(gw);
        /* one identity for every contact, so that one caps hash serves */
        g_string_append(x, "<identity category='client' type='phone' "
                           "name='" CONTACT_IDENTITY_NAME "'/>");
        for (guint i = 0; i < f->len; i++)
            g_string_append_printf(x, "<feature var='%s'/>",
                                   (const char *)g_ptr_array_index(f, i));
    }
    g_string_append(x, "</query>");
    gw_stanza_end(x, "iq");
    send_text(gw, x);
}

/* XEP-0100 6.3: what a client shows in its "add contact" box for the
 * gateway, and the JID for what she typed there:
 *   get -> <desc/> <prompt>Phone number or SIP address</prompt>
 *   set <prompt>+1 (555) 123-4567</prompt> -> <jid>+15551234567@domain</jid>
 * XEP-0100 defines no errors of its own: RFC 6120 conditions say what is
 * wrong with the text. */
#define PROMPT_MAX_BYTES 256

static void
gateway_prompt(GwGateway *gw, xmpp_stanza_t *iq, xmpp_stanza_t *query,
               gboolean set)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(MapResult) m = NULL;
    GString *x;

    if (!set) {
        x = gw_stanza_iq_result_begin(iq);
        g_string_append(x, "<query xmlns='" GW_NS_GATEWAY "'><desc>Enter the "
                           "phone number, extension or SIP address of the "
                           "person you would like to contact.</desc>"
                           "<prompt>Phone number or SIP address</prompt>"
                           "</query>");
        gw_stanza_end(x, "iq");
        send_text(gw, x);
        return;
    }
    text = gw_stanza_child_text(query, "prompt");
    if (text == NULL) {
        reply_error(gw, iq, "bad-request", "a <prompt/> is required");
        return;
    }
    if (strlen(text) > PROMPT_MAX_BYTES) {
        reply_error(gw, iq, "not-acceptable",
                    "that is too long for an address");
        return;
    }
    m = map_table_lookup_prompt(gw->env.map, text, &error);
    if (m == NULL) {
        reply_error(gw, iq,
                    g_error_matches(error, MAP_ERROR, MAP_ERROR_MALFORMED)
                        ? "not-acceptable"
                    : g_error_matches(error, MAP_ERROR,
                                      MAP_ERROR_NOT_PERMITTED)
                        ? "forbidden" : "item-not-found",
                    error->message);
        return;
    }
    x = gw_stanza_iq_result_begin(iq);
    g_string_append(x, "<query xmlns='" GW_NS_GATEWAY "'><jid>");
    gw_xml_append_escaped(x, m->jid);
    g_string_append(x, "</jid></query>");
    gw_stanza_end(x, "iq");
    send_text(gw, x);
}

static gboolean
is_admin(GwGateway *gw, xmpp_stanza_t *stanza)
{
    const char *from = xmpp_stanza_get_from(stanza);
    g_autofree char *bare = from != NULL ? g_strndup(from, strcspn(from, "/")) : NULL;

    return bare != NULL && gw_config_is_admin(gw->env.config, bare);
}

static void
route_iq(GwGateway *gw, xmpp_stanza_t *iq)
{
    const char *type = xmpp_stanza_get_type(iq);
    const char *to = xmpp_stanza_get_to(iq);
    g_autofree char *local = NULL;
    xmpp_stanza_t *q = NULL;
    const char *ns = NULL, *name = NULL;

    /* results and errors to requests of ours: caps queries, then calls */
    if (gw->caps != NULL && gw_caps_iq(gw->caps, iq))
        return;
    if (gw_call_bridge_iq(gw->calls, iq))
        return;
    if (gw_admin_iq(gw->admin, iq))
        return;
    if (gw_accounts_iq(gw->accounts, iq))
        return;
    if (type == NULL || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
        return; /* nobody waits for it */
    if (xmpp_stanza_get_id(iq) == NULL || to == NULL) {
        reply_error(gw, iq, "bad-request", "iq without id or to");
        return;
    }
    map_jid_split(to, &local, NULL, NULL, NULL);
    for (q = xmpp_stanza_get_children(iq); q != NULL;
         q = xmpp_stanza_get_next(q))
        if (xmpp_stanza_is_tag(q))
            break;
    if (q != NULL) {
        ns = xmpp_stanza_get_ns(q);
        name = xmpp_stanza_get_name(q);
    }
    if (ns == NULL || name == NULL) {
        reply_error(gw, iq, "bad-request", "iq without a payload");
        return;
    }
    if (strcmp(type, "get") == 0 && strcmp(ns, GW_NS_DISCO_INFO) == 0) {
        disco_info(gw, iq, q, local);
    } else if (strcmp(type, "get") == 0 &&
               strcmp(ns, GW_NS_DISCO_ITEMS) == 0) {
        GString *x = gw_stanza_iq_result_begin(iq);
        g_string_append(x, "<query xmlns='" GW_NS_DISCO_ITEMS "'/>");
        gw_stanza_end(x, "iq");
        send_text(gw, x);
    } else if (strcmp(ns, GW_NS_GATEWAY) == 0 && local == NULL) {
        gateway_prompt(gw, iq, q, strcmp(type, "set") == 0);
    } else if (strcmp(type, "get") == 0 && strcmp(ns, GW_NS_PING) == 0) {
        send_text(gw, gw_stanza_iq_result(iq));
    } else if (strcmp(type, "get") == 0 && strcmp(ns, GW_NS_VERSION) == 0 &&
               local == NULL && is_admin(gw, iq)) {
        /* the version only to operators: others learn nothing of it */
        GString *x = gw_stanza_iq_result_begin(iq);
        struct utsname u;
        g_string_append(x, "<query xmlns='" GW_NS_VERSION "'>"
                           "<name>xmpp-sip-gateway</name>"
                           "<version>" GW_VERSION "</version>");
        if (uname(&u) == 0) {
            g_string_append(x, "<os>");
            gw_xml_append_escaped(x, u.sysname);
            g_string_append(x, "</os>");
        }
        g_string_append(x, "</query>");
        gw_stanza_end(x, "iq");
        send_text(gw, x);
    } else {
        reply_error(gw, iq, "service-unavailable", NULL);
    }
}

static void
route_presence(GwGateway *gw, xmpp_stanza_t *p)
{
    const char *type = xmpp_stanza_get_type(p);
    const char *to = xmpp_stanza_get_to(p);
    g_autofree char *local = NULL;

    if (to == NULL || !map_jid_split(to, &local, NULL, NULL, NULL))
        return;
    /* Prosody never answers probes for a component (notes/peers.md): the
     * component domain itself is always available. */
    if (local == NULL && type != NULL && strcmp(type, "probe") == 0) {
        send_text(gw, gw_stanza_empty("presence", NULL, to,
                                      xmpp_stanza_get_from(p), NULL));
        return;
    }
    if (local == NULL) {
        /* account holders' presence and subscriptions to the domain */
        gw_accounts_presence(gw->accounts, p);
        return;
    }
    gw_pres_bridge_from_xmpp(gw->pres, p);
    if (gw->accounts != NULL && xmpp_stanza_get_from(p) != NULL) {
        g_autofree char *bare = map_jid_bare(xmpp_stanza_get_from(p), NULL);
        if (bare != NULL)
            gw_accounts_user_changed(gw->accounts, bare);
    }
}

void
gw_router_xmpp_stanza(xmpp_stanza_t *stanza, gpointer data)
{
    GwGateway *gw = data;
    const char *name = xmpp_stanza_get_name(stanza);

    if (name == NULL)
        return;
    if (strcmp(name, "message") == 0) {
        if (!gw_call_bridge_message(gw->calls, stanza))
            gw_msg_bridge_from_xmpp(gw->msg, stanza);
    }
    else if (strcmp(name, "iq") == 0)
        route_iq(gw, stanza);
    else if (strcmp(name, "presence") == 0)
        route_presence(gw, stanza);
}

void
gw_router_xmpp_state(gboolean up, gpointer data)
{
    GwGateway *gw = data;

    g_debug("XMPP link %s", up ? "up" : "down");
    if (!up)
        gw_call_bridge_link_down(gw->calls);
    if (up && !gw->env.stopping) {
        gw_pres_bridge_link_up(gw->pres);
        gw_accounts_link_up(gw->accounts);
    }
}

/* A request from an untrusted source: digest credentials of a configured
 * user whose name is the From user part, or a challenge / refusal (then
 * FALSE: req is answered). */
static gboolean
authenticated(GwGateway *gw, GwSipRequest *req, const GwSipIncoming *in)
{
    const GwConfig *cfg = gw->env.config;
    g_autoptr(GError) error = NULL;
    g_autofree char *user = NULL, *from_user = NULL;
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    const char *at, *colon;

    if (cfg->security.sip_users == NULL) {
        gw_metrics.untrusted_refused++;
        g_info("SIP %s from untrusted source %s:%u (%s) refused with 403",
               in->method, in->source, in->source_port, in->from_uri);
        gw_sip_request_respond(req, 403, "Source Not Trusted", 0, NULL);
        return FALSE;
    }
    user = gw_sip_auth_check(cfg->security.sip_users,
                             cfg->security.sip_auth_realm, gw->auth_secret,
                             now, 300, in->authorization, in->method,
                             &error);
    if (user == NULL) {
        if (error->code == GW_SIP_AUTH_ERROR_MISSING ||
            error->code == GW_SIP_AUTH_ERROR_STALE) {
            g_autofree char *challenge = gw_sip_auth_challenge(
                cfg->security.sip_auth_realm, gw->auth_secret, now,
                error->code == GW_SIP_AUTH_ERROR_STALE);
            g_debug("challenging SIP %s from %s: %s", in->method, in->source,
                    error->message);
            gw_sip_request_challenge(req, challenge);
        } else {
            gw_metrics.untrusted_refused++;
            g_info("SIP %s from %s:%u refused: %s", in->method, in->source,
                   in->source_port, error->message);
            gw_sip_request_respond(req,
                                   error->code == GW_SIP_AUTH_ERROR_MALFORMED
                                       ? 400 : 403,
                                   error->code == GW_SIP_AUTH_ERROR_MALFORMED
                                       ? "Bad Authorization"
                                       : "Forbidden",
                                   0, NULL);
        }
        return FALSE;
    }
    /* a user speaks only for itself: From must be its address */
    colon = strchr(in->from_uri, ':');
    at = colon ? strchr(colon, '@') : NULL;
    if (colon != NULL && at != NULL)
        from_user = g_strndup(colon + 1, (gsize)(at - colon - 1));
    if (from_user == NULL || strcmp(from_user, user) != 0) {
        g_info("SIP %s from %s authenticated as '%s' but From is %s: 403",
               in->method, in->source, user, in->from_uri);
        gw_sip_request_respond(req, 403, "From Does Not Match Credentials",
                               0, NULL);
        return FALSE;
    }
    return TRUE;
}

void
gw_router_sip_request(GwSipRequest *req, const GwSipIncoming *in,
                      gpointer data)
{
    GwGateway *gw = data;
    const GwConfig *cfg = gw->env.config;
    gboolean trusted, vouched = FALSE;
    GwAccountsTarget target;
    GwAccountsSource by = GW_ACCOUNTS_SOURCE_OTHER;

    if (gw->env.stopping) {
        gw_sip_request_respond(req, 503, "Gateway Shutting Down", 5, NULL);
        return;
    }
    /* a trusted proxy carries everybody's traffic: a bucket of its own */
    trusted = gw_config_trusts_sip_source(cfg, in->source);
    /* issue 17: what is for an account comes from her registrar (or a
     * trusted proxy); her Contact is nobody else's to reach */
    target = gw_accounts_target(gw->accounts, in->request_uri, in->to_uri);
    if (!trusted && target != GW_ACCOUNTS_TARGET_NONE)
        by = gw_accounts_source(gw->accounts, in->source, in->request_uri,
                                in->to_uri);
    if (by == GW_ACCOUNTS_SOURCE_REGISTRAR)
        trusted = TRUE;
    /* a registrar a user named gets her requests in, not the operator's
     * trust: the untrusted rate, no Server header */
    vouched = trusted || by == GW_ACCOUNTS_SOURCE_HER_REGISTRAR;
    if (!vouched && target == GW_ACCOUNTS_TARGET_CONTACT) {
        gw_metrics.untrusted_refused++;
        g_info("SIP %s from %s:%u to an account's Contact refused with 403: "
               "not its registrar nor trusted", in->method, in->source,
               in->source_port);
        gw_sip_request_respond(req, 403, "Source Not Trusted", 0, NULL);
        return;
    }
    if (!gw_rate_limiter_take(gw->sip_rate, in->source,
                              trusted ? cfg->security.trusted_sip_rate : cfg->security.sip_rate,
                              trusted ? cfg->security.trusted_sip_burst : cfg->security.sip_burst,
                              cfg->limits.max_rate_entries,
                              g_get_monotonic_time())) {
        g_info("SIP %s from %s over its rate; answered 503", in->method,
               in->source);
        gw_metrics.rate_limited[GW_SIDE_SIP]++;
        gw_sip_request_respond(req, 503, "Rate Limit Exceeded", 1, NULL);
        return;
    }
    if (!vouched && !authenticated(gw, req, in))
        return;
    if (target == GW_ACCOUNTS_TARGET_GONE) {
        g_info("SIP %s from %s:%u to %s: no account has that Contact now; "
               "404", in->method, in->source, in->source_port,
               in->request_uri);
        gw_sip_request_respond(req, 404, "No Such Account", 0, NULL);
        return;
    }
    if (by != GW_ACCOUNTS_SOURCE_HER_REGISTRAR)
        gw_sip_request_set_trusted(req);
    if (strcmp(in->method, "MESSAGE") == 0)
        gw_msg_bridge_from_sip(gw->msg, req, in);
    else if (strcmp(in->method, "INVITE") == 0)
        gw_call_bridge_invite(gw->calls, req, in);
    else if (strcmp(in->method, "SUBSCRIBE") == 0)
        gw_pres_bridge_from_sip(gw->pres, req, in);
    else if (strcmp(in->method, "OPTIONS") == 0)
        gw_sip_request_respond(req, 200, "OK", 0, NULL); /* + Allow, Accept */
    else
        gw_sip_request_respond(req, 501, "Not Implemented", 0, NULL);
}
