/* gateway/sip_ua.c: the SIP user agent: Sofia-SIP nua on the GLib loop.
 *
 * One su_root joined to the default GMainContext through su_glib, with
 * Sofia's stack thread disabled (su_root_threading(root, 0)), so nua,
 * libstrophe and GLib all run on the one main thread. SDP is never touched
 * by Sofia (NUTAG_MEDIA_ENABLE(0)); MESSAGE is answered by the application
 * (NUTAG_APPL_METHOD), after the XMPP side has taken the message.
 *
 * Traps handled here (shared notes/libraries.md 2.x): non-INVITE responses
 * need NUTAG_WITH_SAVED/THIS; request events may arrive already answered
 * (status >= 200); the su_glib GSource must not be unreffed before
 * su_root_destroy(); nua_shutdown must complete before nua_destroy; the
 * outbound engine's OPTIONS probing is switched off for plain REGISTER.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_ua.h"

#ifdef GW_HAVE_MALLINFO2
#include <malloc.h>
#endif
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_glib.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>
#include <sofia-sip/url.h>

#include "gw_error.h"
#include "sip_ua_priv.h"

struct GwSipCall {
    Magic magic;
    GwSipUa *ua;
    nua_handle_t *nh; /* NULL once the stack is done with the call */
    gboolean outgoing;
    const GwSipCallFuncs *funcs;
    gpointer data;
    gboolean closed;    /* the owner let go */
    gboolean done;      /* failed/ended was reported */
    gboolean answered;  /* a 2xx was exchanged for the first INVITE */
    gboolean final;     /* a final answer was exchanged for it */
    gboolean auth_tried;
    char *call_id;
    char *local_tag;
};

struct GwSipPublication {
    Magic magic;
    GwSipUa *ua;
    nua_handle_t *nh;
    char *event;
    char *content_type;
    gboolean auth_tried;
};

typedef struct {
    Magic magic;
    GwSipUa *ua;
    nua_handle_t *nh;
    GwSipResultFunc func;
    gpointer data;
    gboolean auth_tried;
} OutTxn;

/* ---- Sofia's logs into GLib's --------------------------------------- */

static void
sofia_logger(void *stream, char const *fmt, va_list ap)
{
    GwSipUa *self = stream;
    char *nl;

    g_string_append_vprintf(self->log_tail, fmt, ap);
    while ((nl = strchr(self->log_tail->str, '\n')) != NULL) {
        *nl = '\0';
        if (self->log_tail->str[0] != '\0')
            g_log_structured("sofia", G_LOG_LEVEL_DEBUG, "MESSAGE", "%s",
                             self->log_tail->str);
        g_string_erase(self->log_tail, 0, nl - self->log_tail->str + 1);
    }
}

/* ---- helpers ----------------------------------------------------------- */

static char *
url_to_string(const url_t *url)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    char *s = url ? url_as_string(home, url) : NULL;
    char *out = g_strdup(s);

    su_home_deinit(home);
    return out;
}

static void
source_of(msg_t *msg, char *host, gsize hostlen, guint *port,
          const char **transport)
{
    su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
    char serv[16] = "";

    g_strlcpy(host, "", hostlen);
    *port = 0;
    *transport = "udp";
    if (ai == NULL || ai->ai_addr == NULL)
        return;
    if (getnameinfo(ai->ai_addr, (socklen_t)ai->ai_addrlen, host,
                    (socklen_t)hostlen, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        g_strlcpy(host, "", hostlen);
    /* "::ffff:192.0.2.1" is 192.0.2.1 for the trust check */
    if (g_str_has_prefix(host, "::ffff:") && strchr(host + 7, '.') != NULL)
        memmove(host, host + 7, strlen(host + 7) + 1);
    *port = (guint)g_ascii_strtoull(serv, NULL, 10);
    if (ai->ai_protocol == IPPROTO_TCP)
        *transport = "tcp";
}

void
gw_sip_incoming_fill(GwSipIncoming *in, GwIncomingText *t, sip_t const *sip,
                     msg_t *msg)
{
    memset(t, 0, sizeof *t);
    t->ruri = url_to_string(sip->sip_request->rq_url);
    t->from = url_to_string(sip->sip_from->a_url);
    t->to = url_to_string(sip->sip_to->a_url);
    source_of(msg, t->host, sizeof t->host, &in->source_port,
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
gw_sip_incoming_text_clear(GwIncomingText *t)
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

static void
respond_now(nua_t *nua, nua_handle_t *nh, int status, const char *phrase)
{
    nua_respond(nh, status, phrase, NUTAG_WITH_THIS(nua), TAG_END());
}

/* ---- dialogs ----------------------------------------------------------- */

static GwSipDialog *
dialog_new(GwSipUa *self, nua_handle_t *nh, gboolean server,
           const char *event)
{
    GwSipDialog *d = g_new0(GwSipDialog, 1);

    d->magic = MAGIC_DIALOG;
    d->ua = self;
    d->nh = nh;
    d->server = server;
    d->event = g_strdup(event ? event : "presence");
    g_hash_table_add(self->dialogs, d);
    return d;
}

static void
dialog_destroy(GwSipDialog *d)
{
    GwSipUa *self = d->ua;

    g_clear_handle_id(&d->reap_id, g_source_remove);
    if (d->nh != NULL) {
        nua_handle_bind(d->nh, NULL);
        nua_handle_destroy(d->nh);
    }
    g_hash_table_remove(self->dialogs, d);
    g_free(d->event);
    g_free(d);
}

static gboolean
reap_dialog(gpointer data)
{
    GwSipDialog *d = data;

    d->reap_id = 0;
    dialog_destroy(d);
    return G_SOURCE_REMOVE;
}

/* The peer or a failure ended it: tell the owner once, then let go. */
static void
dialog_ended(GwSipDialog *d, int status, const char *reason,
             guint retry_after)
{
    if (!d->closed && d->funcs != NULL && d->funcs->ended != NULL) {
        d->closed = TRUE;
        d->funcs->ended(d->data, status, reason, retry_after);
    }
    d->closed = TRUE;
    /* the stack may still send or await a last message on this handle */
    if (d->reap_id == 0)
        d->reap_id = g_timeout_add_seconds(5, reap_dialog, d);
}

void
gw_sip_dialog_bind(GwSipDialog *d, const GwSipDialogFuncs *funcs,
                   gpointer data)
{
    d->funcs = funcs;
    d->data = data;
}

static const char *
substate_text(GwSubState state)
{
    switch (state) {
    case GW_SUB_PENDING:
        return "pending";
    case GW_SUB_ACTIVE:
        return "active";
    default:
        return "terminated";
    }
}

void
gw_sip_dialog_notify(GwSipDialog *d, GwSubState state, guint expires,
                     const char *reason, guint retry_after,
                     const char *content_type, const char *body)
{
    char ss[128];
    int substate = state == GW_SUB_PENDING  ? nua_substate_pending
                   : state == GW_SUB_ACTIVE ? nua_substate_active
                                            : nua_substate_terminated;

    g_return_if_fail(d != NULL && d->server);
    if (state == GW_SUB_TERMINATED) {
        if (retry_after > 0)
            g_snprintf(ss, sizeof ss, "terminated;reason=%s;retry-after=%u",
                       reason ? reason : "noresource", retry_after);
        else
            g_snprintf(ss, sizeof ss, "terminated;reason=%s",
                       reason ? reason : "noresource");
        d->final_sent = TRUE;
    } else {
        g_snprintf(ss, sizeof ss, "%s;expires=%u", substate_text(state),
                   expires);
    }
    if (d->lean != NULL) {
        gw_notifier_notify(d, ss, state == GW_SUB_TERMINATED, content_type,
                           body);
        return;
    }
    nua_notify(d->nh, NUTAG_SUBSTATE(substate),
               SIPTAG_SUBSCRIPTION_STATE_STR(ss), SIPTAG_EVENT_STR(d->event),
               TAG_IF(content_type != NULL,
                      SIPTAG_CONTENT_TYPE_STR(content_type)),
               TAG_IF(body != NULL, SIPTAG_PAYLOAD_STR(body)), TAG_END());
}

void
gw_sip_dialog_close(GwSipDialog *d)
{
    if (d == NULL)
        return;
    d->closed = TRUE;
    d->funcs = NULL;
    d->data = NULL;
    if (d->lean != NULL) {
        gw_notifier_close(d);
        return;
    }
    if (!d->server && !d->final_sent) {
        d->final_sent = TRUE;
        nua_unsubscribe(d->nh, TAG_END());
    }
    if (d->final_sent) {
        /* destroyed when the last answer comes, or after 5 s */
        if (d->reap_id == 0)
            d->reap_id = g_timeout_add_seconds(5, reap_dialog, d);
    } else {
        dialog_destroy(d);
    }
}

GwSipDialog *
gw_sip_ua_subscribe(GwSipUa *self, const char *from, const char *to,
                    const char *route, const char *event, const char *accept,
                    guint expires, const GwSipDialogFuncs *funcs,
                    gpointer data)
{
    GwSipDialog *d;
    g_autofree char *to_na = NULL, *from_na = NULL, *route_na = NULL;
    char exp[16];

    /* on the lean agent when there is one: ~0.5 KiB a dialog, not ~30 */
    if (self->notifier != NULL) {
        d = gw_notifier_subscribe(self->notifier, from, to, route, event,
                                  accept, expires, funcs, data);
        if (d != NULL)
            return d;
    }
    d = dialog_new(self, NULL, FALSE, event);
    to_na = g_strdup_printf("<%s>", to);
    from_na = g_strdup_printf("<%s>", from);
    route_na = route ? g_strdup_printf("<%s;lr>", route) : NULL;
    d->funcs = funcs;
    d->data = data;
    g_snprintf(exp, sizeof exp, "%u", expires);
    d->nh = nua_handle(self->nua, (nua_hmagic_t *)d, SIPTAG_TO_STR(to_na),
                       SIPTAG_FROM_STR(from_na), TAG_END());
    nua_subscribe(d->nh, SIPTAG_EVENT_STR(event),
                  TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
                  SIPTAG_EXPIRES_STR(exp),
                  TAG_IF(route_na != NULL, SIPTAG_ROUTE_STR(route_na)),
                  TAG_END());
    return d;
}

static char *auth_string(const GwSipUa *self, sip_t const *sip);

static void
on_dialog_event(GwSipUa *self, nua_event_t event, int status,
                const char *phrase, GwSipDialog *d, sip_t const *sip,
                tagi_t tags[])
{
    int substate = -1;
    const char *reason = NULL;
    guint retry = 0;

    if (sip != NULL && sip->sip_subscription_state != NULL) {
        reason = sip->sip_subscription_state->ss_reason;
        if (sip->sip_subscription_state->ss_retry_after)
            retry = (guint)g_ascii_strtoull(
                sip->sip_subscription_state->ss_retry_after, NULL, 10);
    }
    tl_gets(tags, NUTAG_SUBSTATE_REF(substate), TAG_END());

    switch (event) {
    case nua_r_subscribe:
        if (status < 200)
            break;
        if ((status == 401 || status == 407) && !d->auth_tried) {
            g_autofree char *auth = auth_string(self, sip);
            if (auth != NULL) {
                d->auth_tried = TRUE;
                nua_authenticate(d->nh, NUTAG_AUTH(auth), TAG_END());
                memset(auth, 0, strlen(auth));
                break;
            }
        }
        if (status >= 300) {
            if (sip != NULL && sip->sip_retry_after != NULL)
                retry = (guint)sip->sip_retry_after->af_delta;
            dialog_ended(d, status, phrase, retry);
        } else {
            d->auth_tried = FALSE;
        }
        break;
    case nua_i_notify: {
        GwSubState st = substate == nua_substate_pending  ? GW_SUB_PENDING
                        : substate == nua_substate_active ? GW_SUB_ACTIVE
                                                          : GW_SUB_TERMINATED;
        if (!d->closed && d->funcs != NULL && d->funcs->notify != NULL) {
            g_autofree char *ct =
                sip && sip->sip_content_type && sip->sip_content_type->c_type
                    ? g_ascii_strdown(sip->sip_content_type->c_type, -1)
                    : NULL;
            d->funcs->notify(d->data, st, ct,
                             sip && sip->sip_payload
                                 ? sip->sip_payload->pl_data : NULL,
                             sip && sip->sip_payload
                                 ? sip->sip_payload->pl_len : 0);
        }
        if (st == GW_SUB_TERMINATED)
            dialog_ended(d, 0, reason, retry);
        break;
    }
    case nua_r_unsubscribe:
        if (status >= 200)
            dialog_destroy(d);
        break;
    case nua_i_subscribe:
        /* an un-SUBSCRIBE the stack has answered; it sends the final
         * NOTIFY itself */
        if (status >= 200)
            dialog_ended(d, 0, "timeout", 0);
        break;
    case nua_r_notify:
        if (status < 200)
            break;
        /* 481: the watcher is gone; a timeout too (RFC 6665 4.2.2: the
         * notifier SHOULD remove the subscription), as the lean notifier */
        if (status >= 300)
            dialog_ended(d, status, phrase, 0);
        else if (substate == nua_substate_terminated || d->final_sent) {
            if (d->closed)
                dialog_destroy(d);
            else
                dialog_ended(d, 0, "terminated", 0);
        }
        break;
    case nua_i_terminated:
    case nua_i_subscription:
        break;
    default:
        g_debug("dialog event %s: %d %s", nua_event_name(event), status,
                phrase ? phrase : "");
        break;
    }
}

/* ---- publications ------------------------------------------------------ */

GwSipPublication *
gw_sip_ua_publish(GwSipUa *self, const char *aor, const char *route,
                  const char *event, const char *content_type,
                  const char *body, guint expires)
{
    GwSipPublication *p = g_new0(GwSipPublication, 1);
    g_autofree char *aor_na = g_strdup_printf("<%s>", aor);
    g_autofree char *route_na =
        route ? g_strdup_printf("<%s;lr>", route) : NULL;
    char exp[16];

    p->magic = MAGIC_PUB;
    p->ua = self;
    p->event = g_strdup(event);
    p->content_type = g_strdup(content_type);
    g_snprintf(exp, sizeof exp, "%u", expires);
    p->nh = nua_handle(self->nua, (nua_hmagic_t *)p, SIPTAG_TO_STR(aor_na),
                       SIPTAG_FROM_STR(aor_na),
                       TAG_IF(route_na != NULL, SIPTAG_ROUTE_STR(route_na)),
                       TAG_END());
    g_hash_table_add(self->pubs, p);
    nua_publish(p->nh, SIPTAG_EVENT_STR(event),
                SIPTAG_CONTENT_TYPE_STR(content_type),
                SIPTAG_PAYLOAD_STR(body), SIPTAG_EXPIRES_STR(exp), TAG_END());
    return p;
}

void
gw_sip_publication_update(GwSipPublication *p, const char *body)
{
    nua_publish(p->nh, SIPTAG_EVENT_STR(p->event),
                SIPTAG_CONTENT_TYPE_STR(p->content_type),
                SIPTAG_PAYLOAD_STR(body), TAG_END());
}

static void
pub_free(GwSipPublication *p)
{
    g_hash_table_remove(p->ua->pubs, p);
    if (p->nh != NULL) {
        nua_handle_bind(p->nh, NULL);
        nua_handle_destroy(p->nh);
    }
    g_free(p->event);
    g_free(p->content_type);
    g_free(p);
}

void
gw_sip_publication_remove(GwSipPublication *p)
{
    if (p == NULL)
        return;
    /* destroying the handle sends the un-PUBLISH (notes 2.4) */
    pub_free(p);
}

static void
on_pub_event(GwSipUa *self, nua_event_t event, int status,
             const char *phrase, GwSipPublication *p, sip_t const *sip)
{
    if (event != nua_r_publish || status < 200)
        return;
    if ((status == 401 || status == 407) && !p->auth_tried) {
        g_autofree char *auth = auth_string(self, sip);
        if (auth != NULL) {
            p->auth_tried = TRUE;
            nua_authenticate(p->nh, NUTAG_AUTH(auth), TAG_END());
            memset(auth, 0, strlen(auth));
            return;
        }
    }
    if (status >= 300)
        g_warning("PUBLISH of presence failed: %d %s", status, phrase);
    else
        p->auth_tried = FALSE;
}

/* ---- calls ------------------------------------------------------------- */

static void
call_free(GwSipCall *c)
{
    g_hash_table_remove(c->ua->calls, c);
    if (c->nh != NULL) {
        nua_handle_bind(c->nh, NULL);
        nua_handle_destroy(c->nh);
    }
    g_free(c->call_id);
    g_free(c->local_tag);
    g_free(c);
}

GwSipCall *
gw_sip_ua_invite(GwSipUa *self, const char *from, const char *to,
                 const char *sdp, const GwSipCallFuncs *funcs, gpointer data)
{
    GwSipCall *c = g_new0(GwSipCall, 1);
    g_autofree char *to_na = g_strdup_printf("<%s>", to);
    g_autofree char *tag = g_uuid_string_random();
    g_autofree char *from_na = NULL;

    c->magic = MAGIC_CALL;
    c->ua = self;
    c->outgoing = TRUE;
    c->funcs = funcs;
    c->data = data;
    c->local_tag = g_strndup(tag, 13);
    c->call_id = g_uuid_string_random();
    from_na = g_strdup_printf("<%s>;tag=%s", from, c->local_tag);
    g_hash_table_add(self->calls, c);
    c->nh = nua_handle(self->nua, (nua_hmagic_t *)c, SIPTAG_TO_STR(to_na),
                       SIPTAG_FROM_STR(from_na),
                       SIPTAG_CALL_ID_STR(c->call_id), TAG_END());
    nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
               SIPTAG_PAYLOAD_STR(sdp), TAG_END());
    return c;
}

GwSipCall *
gw_sip_request_take_call(GwSipRequest *req, const GwSipCallFuncs *funcs,
                         gpointer data)
{
    GwSipCall *c = req->call;

    g_return_val_if_fail(c != NULL, NULL);
    c->funcs = funcs;
    c->data = data;
    nua_destroy_event(req->saved);
    g_hash_table_remove(req->ua->requests, req);
    g_free(req);
    return c;
}

void
gw_sip_call_respond(GwSipCall *c, int status, const char *phrase,
                    const char *sdp)
{
    if (c->nh == NULL)
        return;
    if (status >= 200 && !c->final) {
        c->final = TRUE;
        c->answered = status < 300;
    }
    nua_respond(c->nh, status, phrase,
                TAG_IF(sdp != NULL,
                       SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                TAG_IF(sdp != NULL, SIPTAG_PAYLOAD_STR(sdp)), TAG_END());
}



void
gw_sip_call_info(GwSipCall *c, const char *content_type, const char *body)
{
    if (c->nh != NULL && c->answered)
        nua_info(c->nh, SIPTAG_CONTENT_TYPE_STR(content_type),
                 SIPTAG_PAYLOAD_STR(body), TAG_END());
}

void
gw_sip_call_reinvite(GwSipCall *c, const char *sdp)
{
    if (c->nh != NULL && c->answered)
        nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
                   SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

void
gw_sip_call_close(GwSipCall *c)
{
    if (c == NULL)
        return;
    c->closed = TRUE;
    c->funcs = NULL;
    c->data = NULL;
    if (c->nh == NULL) {
        call_free(c);
        return;
    }
    if (c->done)
        return; /* freed when the stack reports the call terminated */
    if (c->answered)
        nua_bye(c->nh, TAG_END());
    else if (c->outgoing)
        nua_cancel(c->nh, TAG_END());
    else if (!c->final)
        nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
    c->done = TRUE;
}

const char *
gw_sip_call_get_id(const GwSipCall *c)
{
    return c->call_id ? c->call_id : "";
}



static char *
payload_of(sip_t const *sip)
{
    if (sip == NULL || sip->sip_payload == NULL ||
        sip->sip_payload->pl_len == 0)
        return NULL;
    return g_strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
}

static void
call_report_end(GwSipCall *c, int status, const char *reason)
{
    if (c->done || c->closed)
        return;
    c->done = TRUE;
    if (c->funcs != NULL && c->funcs->ended != NULL)
        c->funcs->ended(c->data, status, reason);
}

static void
on_call_event(GwSipUa *self, nua_event_t event, int status,
              const char *phrase, GwSipCall *c, sip_t const *sip,
              tagi_t tags[])
{
    const GwSipCallFuncs *f = c->closed ? NULL : c->funcs;
    g_autofree char *sdp = payload_of(sip);

    switch (event) {
    case nua_r_invite:
        if (status < 101)
            break;
        if ((status == 401 || status == 407) && !c->auth_tried) {
            g_autofree char *auth = auth_string(self, sip);
            if (auth != NULL) {
                c->auth_tried = TRUE;
                nua_authenticate(c->nh, NUTAG_AUTH(auth), TAG_END());
                memset(auth, 0, strlen(auth));
                break;
            }
        }
        if (c->final) {
            /* the answer to a re-INVITE of ours: the call goes on */
            if (status >= 300)
                g_info("re-INVITE in call %s refused: %d %s",
                       gw_sip_call_get_id(c), status, phrase);
            break;
        }
        if (status < 200) {
            if (f && f->progress)
                f->progress(c->data, status, phrase, sdp);
        } else if (status < 300) {
            c->final = TRUE;
            c->answered = TRUE;
            if (f && f->answered)
                f->answered(c->data, sdp);
        } else {
            c->final = TRUE;
            if (!c->done && !c->closed) {
                c->done = TRUE;
                if (f && f->failed)
                    f->failed(c->data, status, phrase);
            }
        }
        break;
    case nua_i_invite:
        /* a re-INVITE in an established call */
        if (status < 200 && f && f->reinvite)
            f->reinvite(c->data, sdp);
        else if (status < 200)
            nua_respond(c->nh, 488, "Not Acceptable Here", TAG_END());
        break;
    case nua_i_ack:
        if (f && f->acked)
            f->acked(c->data);
        break;
    case nua_i_cancel:
        call_report_end(c, 487, "cancelled by the caller");
        break;
    case nua_i_bye:
        call_report_end(c, 0, "hung up");
        break;
    case nua_i_info:
        if (f && f->info && sip != NULL)
            f->info(c->data,
                    sip->sip_content_type ? sip->sip_content_type->c_type
                                          : NULL,
                    sip->sip_payload ? sip->sip_payload->pl_data : NULL,
                    sip->sip_payload ? sip->sip_payload->pl_len : 0);
        break;
    case nua_i_state: {
        int cs = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
        if (cs == nua_callstate_terminated) {
            call_report_end(c, status >= 300 ? status : 0,
                            phrase ? phrase : "terminated");
            nua_handle_bind(c->nh, NULL);
            nua_handle_destroy(c->nh);
            c->nh = NULL;
            if (c->closed)
                call_free(c);
        }
        break;
    }
    default:
        g_debug("call event %s: %d %s", nua_event_name(event), status,
                phrase ? phrase : "");
        break;
    }
}

/* ---- incoming requests ------------------------------------------------- */

static void
on_incoming(GwSipUa *self, nua_event_t event, int status, nua_t *nua,
            nua_handle_t *nh, GwSipDialog *dialog, sip_t const *sip)
{
    GwSipRequest *req;
    GwSipIncoming in = { 0 };
    GwIncomingText text;

    if (status >= 200) {
        /* already answered by the stack (notes 2.4) */
        return;
    }
    if (self->stopping) {
        nua_respond(nh, 503, "Gateway Shutting Down", NUTAG_WITH_THIS(nua),
                    SIPTAG_RETRY_AFTER_STR("5"), TAG_END());
        if (event != nua_i_invite && dialog == NULL)
            nua_handle_destroy(nh);
        return;
    }
    if (sip == NULL || sip->sip_request == NULL || sip->sip_from == NULL ||
        sip->sip_to == NULL) {
        respond_now(nua, nh, 400, "Missing Headers");
        if (event != nua_i_invite)
            nua_handle_destroy(nh);
        return;
    }

    gw_sip_incoming_fill(&in, &text, sip, nua_current_request(nua));
    if (event == nua_i_invite) {
        GwSipCall *call = g_new0(GwSipCall, 1);
        call->magic = MAGIC_CALL;
        call->ua = self;
        call->nh = nh;
        call->call_id = g_strdup(in.call_id);
        g_hash_table_add(self->calls, call);
        nua_handle_bind(nh, (nua_hmagic_t *)call);
        in.call = call;
    }
    if (event == nua_i_subscribe) {
        if (dialog == NULL) {
            dialog = dialog_new(self, nh, TRUE, in.event);
            nua_handle_bind(nh, (nua_hmagic_t *)dialog);
        }
    }

    req = gw_sip_request_new(self, &in, dialog);
    req->nh = nh;
    req->call = in.call;
    nua_save_event(nua, req->saved);
    gw_sip_ua_deliver(self, req, &in);
    gw_sip_incoming_text_clear(&text);
}

GwSipRequest *
gw_sip_request_new(GwSipUa *self, GwSipIncoming *in, GwSipDialog *dialog)
{
    GwSipRequest *req = g_new0(GwSipRequest, 1);

    req->ua = self;
    req->dialog = dialog;
    if (dialog != NULL) {
        in->dialog = dialog;
        in->dialog_data = dialog->data;
    }
    return req;
}

void
gw_sip_ua_deliver(GwSipUa *self, GwSipRequest *req, const GwSipIncoming *in)
{
    g_hash_table_add(self->requests, req);
    self->on_request(req, in, self->user_data);
}

static void
respond_full(GwSipRequest *req, int status, const char *phrase,
             guint retry_after, const char *accept, gint expires,
             const char *challenge)
{
    GwSipUa *self;
    char ra[16], ex[16];

    g_return_if_fail(req != NULL);
    if (req->irq != NULL || req->msg != NULL) {
        gw_notifier_respond(req, status, phrase, retry_after, accept, expires,
                            challenge);
        return;
    }
    self = req->ua;
    g_snprintf(ra, sizeof ra, "%u", retry_after);
    g_snprintf(ex, sizeof ex, "%d", expires);
    nua_respond(req->nh, status, phrase, NUTAG_WITH_SAVED(req->saved),
                TAG_IF(retry_after > 0, SIPTAG_RETRY_AFTER_STR(ra)),
                TAG_IF(accept != NULL, SIPTAG_ACCEPT_STR(accept)),
                TAG_IF(expires >= 0 && status != 423, SIPTAG_EXPIRES_STR(ex)),
                TAG_IF(expires >= 0 && status == 423,
                       SIPTAG_MIN_EXPIRES_STR(ex)),
                TAG_IF(challenge != NULL,
                       SIPTAG_WWW_AUTHENTICATE_STR(challenge)),
                TAG_END());
    nua_destroy_event(req->saved);
    if (req->call != NULL) {
        /* answered by the router: nobody owns the call; it is freed when
         * the stack is done with it */
        if (status >= 200) {
            req->call->closed = TRUE;
            req->call->final = TRUE;
        }
    } else if (req->dialog != NULL) {
        /* a refused new subscription is over; a refused refresh leaves
         * the dialog to its owner */
        if (status >= 300 && req->dialog->funcs == NULL)
            dialog_destroy(req->dialog);
    } else if (nua_handle_has_invite(req->nh) == 0) {
        /* an INVITE handle lives on until its state is terminated */
        nua_handle_destroy(req->nh);
    }
    g_hash_table_remove(self->requests, req);
    g_free(req);
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

/* ---- outgoing MESSAGE -------------------------------------------------- */

static void
finish_txn(OutTxn *t, int status, const char *phrase)
{
    GwSipUa *self = t->ua;

    g_hash_table_remove(self->txns, t);
    if (t->nh != NULL) {
        nua_handle_bind(t->nh, NULL);
        nua_handle_destroy(t->nh);
    }
    if (t->func != NULL)
        t->func(status, phrase, t->data);
    g_free(t);
}

/* "Digest:"realm":user:password" for nua_authenticate(). */
static char *
auth_string(const GwSipUa *self, sip_t const *sip)
{
    msg_auth_t const *au = NULL;
    const char *realm;

    if (self->config->sip.password == NULL || sip == NULL)
        return NULL;
    if (sip->sip_www_authenticate != NULL)
        au = sip->sip_www_authenticate;
    else if (sip->sip_proxy_authenticate != NULL)
        au = sip->sip_proxy_authenticate;
    if (au == NULL || au->au_scheme == NULL)
        return NULL;
    realm = msg_params_find(au->au_params, "realm=");
    if (realm == NULL)
        return NULL;
    return g_strdup_printf("%s:%s:%s:%s", au->au_scheme, realm,
                           self->config->sip.auth_username,
                           self->config->sip.password);
}

static void
on_message_response(GwSipUa *self, int status, const char *phrase,
                    OutTxn *t, sip_t const *sip)
{
    if (status < 200)
        return;
    if ((status == 401 || status == 407) && !t->auth_tried) {
        g_autofree char *auth = auth_string(self, sip);
        if (auth != NULL) {
            t->auth_tried = TRUE;
            nua_authenticate(t->nh, NUTAG_AUTH(auth), TAG_END());
            memset(auth, 0, strlen(auth));
            return;
        }
    }
    finish_txn(t, status, phrase);
}

static gboolean
fail_txn_idle(gpointer data)
{
    finish_txn(data, 503, "Cannot Create Request");
    return G_SOURCE_REMOVE;
}

void
gw_sip_ua_send_message(GwSipUa *self, const char *from_uri,
                       const char *to_uri, const char *content_type,
                       const char *body, GwSipResultFunc result,
                       gpointer user_data)
{
    OutTxn *t;
    g_autofree char *to = NULL, *from = NULL;

    if (self->notifier != NULL && self->config->sip.lean_send) {
        gw_notifier_send_message(self->notifier, from_uri, to_uri,
                                 content_type, body, result, user_data);
        return;
    }
    t = g_new0(OutTxn, 1);
    t->magic = MAGIC_TXN;
    t->ua = self;
    t->func = result;
    t->data = user_data;
    g_hash_table_add(self->txns, t);
    /* name-addr form: without <>, URI parameters such as ;user=phone
     * would be read as header parameters (RFC 3261 20.10) */
    to = g_strdup_printf("<%s>", to_uri);
    from = g_strdup_printf("<%s>", from_uri);
    t->nh = nua_handle(self->nua, (nua_hmagic_t *)t, SIPTAG_TO_STR(to),
                       SIPTAG_FROM_STR(from), TAG_END());
    if (t->nh == NULL) {
        /* report from the loop, never from inside the caller */
        g_idle_add(fail_txn_idle, t);
        return;
    }
    nua_message(t->nh, SIPTAG_CONTENT_TYPE_STR(content_type),
                SIPTAG_PAYLOAD_STR(body), TAG_END());
}

/* ---- registration ------------------------------------------------------ */

static gboolean do_register(gpointer data);

static void
schedule_register(GwSipUa *self, guint seconds)
{
    if (self->stopping || self->reg_retry_id != 0)
        return;
    self->reg_retry_id = g_timeout_add_seconds(seconds, do_register, self);
}

static gboolean
do_register(gpointer data)
{
    GwSipUa *self = data;
    const GwConfig *cfg = self->config;
    g_autofree char *aor = NULL;
    char expires[16];

    self->reg_retry_id = 0;
    if (self->stopping)
        return G_SOURCE_REMOVE;
    aor = g_strdup_printf("sip:%s@%s", cfg->sip.username, cfg->sip.domain);
    if (self->reg_nh != NULL) {
        nua_handle_bind(self->reg_nh, NULL);
        nua_handle_destroy(self->reg_nh);
    }
    self->reg_nh = nua_handle(self->nua, NULL, SIPTAG_TO_STR(aor),
                              SIPTAG_FROM_STR(aor), TAG_END());
    self->reg_auth_tried = FALSE;
    self->reg_state = REG_REGISTERING;
    g_snprintf(expires, sizeof expires, "%u", cfg->sip.register_expires);
    nua_register(self->reg_nh,
                 NUTAG_REGISTRAR(URL_STRING_MAKE(cfg->sip.registrar)),
                 NUTAG_M_USERNAME(cfg->sip.username),
                 SIPTAG_EXPIRES_STR(expires),
                 NUTAG_OUTBOUND("no-validate no-options-keepalive no-natify"),
                 TAG_END());
    return G_SOURCE_REMOVE;
}

static void
on_register_response(GwSipUa *self, int status, const char *phrase,
                     sip_t const *sip)
{
    const GwConfig *cfg = self->config;

    if (status < 200)
        return;
    if (status == 401 || status == 407) {
        g_autofree char *auth = self->reg_auth_tried ? NULL
                                                     : auth_string(self, sip);
        if (auth != NULL) {
            self->reg_auth_tried = TRUE;
            nua_authenticate(self->reg_nh, NUTAG_AUTH(auth), TAG_END());
            memset(auth, 0, strlen(auth));
            return;
        }
        g_warning("registration of %s@%s at %s refused: %d %s (%s)",
                  cfg->sip.username, cfg->sip.domain, cfg->sip.registrar,
                  status, phrase,
                  cfg->sip.password ? "check [sip] auth_username and password"
                                    : "no [sip] password configured");
    } else if (status >= 200 && status < 300) {
        if (self->reg_state != REG_REGISTERED)
            g_message("registered %s@%s at %s", cfg->sip.username,
                      cfg->sip.domain, cfg->sip.registrar);
        self->reg_state = REG_REGISTERED;
        self->reg_failures = 0;
        self->reg_auth_tried = FALSE; /* refreshes may be challenged anew */
        return;
    } else {
        g_warning("registration at %s failed: %d %s", cfg->sip.registrar,
                  status, phrase);
    }
    self->reg_state = REG_FAILED;
    self->reg_failures++;
    schedule_register(self, MIN(300u, 5u << MIN(self->reg_failures, 6u)));
}

/* ---- shutdown ---------------------------------------------------------- */

static void
shutdown_nua(GwSipUa *self)
{
    if (self->shutdown_sent)
        return;
    self->shutdown_sent = TRUE;
    nua_shutdown(self->nua);
}

static gboolean
stop_timer(gpointer data)
{
    GwSipUa *self = data;

    self->stop_timer_id = 0;
    if (!self->shutdown_sent) {
        g_warning("no answer to un-REGISTER within 2 s");
        shutdown_nua(self);
        self->stop_timer_id = g_timeout_add(3000, stop_timer, self);
    } else if (self->stop_done != NULL) {
        GSourceFunc done = self->stop_done;
        g_warning("SIP stack did not shut down within 3 s");
        self->stop_done = NULL;
        done(self->stop_data);
    }
    return G_SOURCE_REMOVE;
}

void
gw_sip_ua_stop(GwSipUa *self, GSourceFunc done, gpointer data)
{
    self->stopping = TRUE;
    self->stop_done = done;
    self->stop_data = data;
    g_clear_handle_id(&self->reg_retry_id, g_source_remove);

    /* whatever is still outstanding ends now, visibly */
    {
        GList *reqs = g_hash_table_get_keys(self->requests);
        for (GList *l = reqs; l != NULL; l = l->next)
            gw_sip_request_respond(l->data, 503, "Gateway Shutting Down", 5,
                                   NULL);
        g_list_free(reqs);
    }
    while (g_hash_table_size(self->txns) > 0) {
        GList *l = g_hash_table_get_keys(self->txns);
        finish_txn(l->data, 503, "Gateway Shutting Down");
        g_list_free(l);
    }
    if (self->notifier != NULL)
        gw_notifier_fail_outgoing(self->notifier, 503,
                                  "Gateway Shutting Down");

    if (self->reg_nh != NULL && self->reg_state == REG_REGISTERED) {
        self->reg_state = REG_UNREGISTERING;
        nua_unregister(self->reg_nh, TAG_END());
        self->stop_timer_id = g_timeout_add(2000, stop_timer, self);
    } else {
        shutdown_nua(self);
        self->stop_timer_id = g_timeout_add(3000, stop_timer, self);
    }
}

/* ---- the nua callback -------------------------------------------------- */

static void
on_nua_event(nua_event_t event, int status, char const *phrase, nua_t *nua,
             nua_magic_t *magic, nua_handle_t *nh, nua_hmagic_t *hmagic,
             sip_t const *sip, tagi_t tags[])
{
    GwSipUa *self = (GwSipUa *)magic;
    Magic kind = hmagic != NULL ? *(Magic *)hmagic : 0;

    if (kind == MAGIC_DIALOG && event != nua_i_subscribe) {
        on_dialog_event(self, event, status, phrase, (GwSipDialog *)hmagic,
                        sip, tags);
        return;
    }
    if (kind == MAGIC_CALL) {
        on_call_event(self, event, status, phrase, (GwSipCall *)hmagic, sip,
                      tags);
        return;
    }
    if (kind == MAGIC_PUB) {
        on_pub_event(self, event, status, phrase,
                     (GwSipPublication *)hmagic, sip);
        return;
    }

    switch (event) {
    case nua_i_message:
        on_incoming(self, event, status, nua, nh, NULL, sip);
        break;
    case nua_r_message:
        if (kind == MAGIC_TXN)
            on_message_response(self, status, phrase, (OutTxn *)hmagic, sip);
        break;
    case nua_i_invite:
        on_incoming(self, event, status, nua, nh, NULL, sip);
        break;
    case nua_i_subscribe:
        if (status >= 200 && kind == MAGIC_DIALOG)
            on_dialog_event(self, event, status, phrase,
                            (GwSipDialog *)hmagic, sip, tags);
        else
            on_incoming(self, event, status, nua, nh,
                        kind == MAGIC_DIALOG ? (GwSipDialog *)hmagic : NULL,
                        sip);
        break;
    case nua_i_state: {
        int cs = nua_callstate_init;
        tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
        if (cs == nua_callstate_terminated && hmagic == NULL &&
            nh != self->reg_nh)
            nua_handle_destroy(nh);
        break;
    }
    case nua_r_register:
        if (nh == self->reg_nh)
            on_register_response(self, status, phrase, sip);
        break;
    case nua_r_unregister:
        if (status >= 200) {
            g_message("unregistered (%d %s)", status, phrase);
            self->reg_state = REG_OFF;
            if (self->stopping) {
                g_clear_handle_id(&self->stop_timer_id, g_source_remove);
                shutdown_nua(self);
                self->stop_timer_id = g_timeout_add(3000, stop_timer, self);
            }
        }
        break;
    case nua_r_shutdown:
        if (status >= 200 && self->stop_done != NULL) {
            GSourceFunc done = self->stop_done;
            g_clear_handle_id(&self->stop_timer_id, g_source_remove);
            self->stop_done = NULL;
            g_idle_add(done, self->stop_data);
        }
        break;
    case nua_i_error:
        g_warning("SIP stack error: %d %s", status, phrase);
        break;
    default:
        g_debug("nua event %s: %d %s", nua_event_name(event), status,
                phrase ? phrase : "");
        /* handles the stack created for requests we do not take */
        if (hmagic == NULL && nh != NULL && nh != self->reg_nh &&
            event != nua_i_active && event != nua_i_terminated &&
            status >= 200 && (event == nua_i_options ||
                              event == nua_i_publish ||
                              event == nua_i_info || event == nua_i_refer ||
                              event == nua_i_update))
            nua_handle_destroy(nh);
        break;
    }
}

/* ---- construction ------------------------------------------------------ */

/* Over UDP, Sofia keeps every finished transaction for timer J (an answered
 * request, 64*T1 = 32 s) or K (a sent one, T4 = 5 s), ~10 KiB each, and
 * frees them in bulk once a burst is over; glibc then keeps the freed heap
 * mapped. Give it back once the memory in use has fallen to half of its
 * peak since the last trim (a burst is over) with much of the heap free;
 * never during a steady load, where the memory would be faulted in again
 * at once, and not again and again on a heap that merely stays fragmented
 * (mallinfo2 counts trimmed pages inside the heap as free still). */
#define HEAP_TRIM_PERIOD_S 10
#define HEAP_TRIM_MIN_FREE (8u << 20)

#ifdef GW_HAVE_MALLINFO2
static gboolean
heap_trim_tick(gpointer data)
{
    static size_t peak_in_use;
    struct mallinfo2 mi = mallinfo2();

    peak_in_use = MAX(peak_in_use, mi.uordblks);
    if (mi.fordblks >= HEAP_TRIM_MIN_FREE &&
        mi.uordblks < peak_in_use / 2) {
        malloc_trim(0);
        g_debug("heap trimmed: %zu KiB were free, %zu KiB in use (peak "
                "%zu KiB)", mi.fordblks >> 10, mi.uordblks >> 10,
                peak_in_use >> 10);
        peak_in_use = mi.uordblks;
    }
    return G_SOURCE_CONTINUE;
}
#endif

/* su_glib's prepare() rounds the time to Sofia's next timer down to whole
 * ms and calls a timer due in 0.4 ms "ready now": the loop then spins,
 * dispatching nothing, until it is due. With a transaction timer expiring
 * every ms (Timer K/J of finished transactions at 1,000 msg/s) that kept
 * a core at 100 % (measured by tests/bench/bench_messages.py). Wait one ms
 * instead: su messages have already woken the context, and su_glib's
 * check() still finds them and the due timers after the poll. */
static GSourceFuncs su_funcs_sofia, su_funcs_gw;

static gboolean
su_prepare_no_spin(GSource *gs, gint *timeout)
{
    if (su_funcs_sofia.prepare(gs, timeout) && *timeout == 0)
        *timeout = 1;
    return FALSE;
}

static void
no_spin_prepare(GSource *gs)
{
    su_funcs_sofia = *gs->source_funcs;
    su_funcs_gw = su_funcs_sofia;
    su_funcs_gw.prepare = su_prepare_no_spin;
    gs->source_funcs = &su_funcs_gw;
}

/* Sofia leaves its UDP socket at the kernel's default receive buffer
 * (208 KiB, ~150 datagrams): a burst of answers beyond that was dropped
 * (bench). Sofia has no accessor for the socket: find the UDP sockets
 * bound to our listen port among the open fds. */
static void
raise_udp_rcvbuf(guint port)
{
    for (int fd = 3; fd < 1024; fd++) {
        int type = 0, size = 4 << 20;
        socklen_t len = sizeof type;
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        guint bound = 0;

        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
            type != SOCK_DGRAM ||
            getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
            continue;
        if (ss.ss_family == AF_INET)
            bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        if (bound != port)
            continue;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
                       sizeof size) != 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    }
}

/* The port of a Sofia listen URL ("sip:host:port;params"); 5060 if none. */
static guint
listen_port(const char *url)
{
    const char *end = url + strcspn(url, ";>");
    const char *colon = NULL;

    for (const char *p = url + strlen("sip:"); p < end; p++)
        if (*p == ':')
            colon = p;
        else if (*p == ']')
            colon = NULL; /* inside an IPv6 literal */
    return colon ? (guint)g_ascii_strtoull(colon + 1, NULL, 10) : 5060;
}

char *
gw_sip_listen_url(const GwConfig *cfg, const char *listen)
{
    guint t = cfg->sip.transports;

    if (t == (GW_SIP_TRANSPORT_UDP | GW_SIP_TRANSPORT_TCP) ||
        strstr(listen, "transport=") != NULL)
        return g_strdup(listen);
    return g_strdup_printf("%s;transport=%s", listen,
                           t == GW_SIP_TRANSPORT_UDP ? "udp" : "tcp");
}

void
gw_sip_raise_udp_rcvbuf(const char *listen)
{
    raise_udp_rcvbuf(listen_port(listen));
}

GwSipUa *
gw_sip_ua_new(const GwConfig *config, GwSipRequestFunc on_request,
              gpointer user_data, GError **error)
{
    GwSipUa *self = g_new0(GwSipUa, 1);
    g_autofree char *url = gw_sip_listen_url(config, config->sip.listen);
    char level[4];

    self->config = config;
    self->on_request = on_request;
    self->user_data = user_data;
    self->requests = g_hash_table_new(NULL, NULL);
    self->txns = g_hash_table_new(NULL, NULL);
    self->dialogs = g_hash_table_new(NULL, NULL);
    self->pubs = g_hash_table_new(NULL, NULL);
    self->calls = g_hash_table_new(NULL, NULL);
    self->log_tail = g_string_new(NULL);

    su_init();
    g_snprintf(level, sizeof level, "%u", config->log.sofia_level);
    su_log_redirect(su_log_default, sofia_logger, self);
    su_log_set_level(su_log_default, config->log.sofia_level);
    /* module logs (nua, nta, tport) read their own variables */
    g_setenv("NUA_DEBUG", level, FALSE);
    g_setenv("NTA_DEBUG", level, FALSE);
    g_setenv("TPORT_DEBUG", level, FALSE);

    self->root = su_glib_root_create(self);
    su_root_threading(self->root, 0);
    /* no nested main loops here: without it GLib removes and re-adds the
     * fds around every dispatch (two eventfd wakeups each time) */
    g_source_set_can_recurse(su_glib_root_gsource(self->root), TRUE);
    no_spin_prepare(su_glib_root_gsource(self->root));
    g_source_attach(su_glib_root_gsource(self->root), NULL);

    self->nua = nua_create(
        self->root, on_nua_event, (nua_magic_t *)self,
        NUTAG_URL(URL_STRING_MAKE(url)),
        TAG_IF(config->sip.listen_tls != NULL,
               NUTAG_SIPS_URL(URL_STRING_MAKE(config->sip.listen_tls))),
        TAG_IF(config->sip.tls_dir != NULL,
               NUTAG_CERTIFICATE_DIR(config->sip.tls_dir)),
        TAG_IF(config->sip.outbound_proxy != NULL,
               NUTAG_PROXY(URL_STRING_MAKE(config->sip.outbound_proxy))),
        NUTAG_MEDIA_ENABLE(0),
        NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, INFO, MESSAGE, OPTIONS, "
                    "SUBSCRIBE, NOTIFY"),
        NUTAG_AUTOANSWER(0),
        NUTAG_APPL_METHOD("MESSAGE"),
        NUTAG_ALLOW_EVENTS("presence"),
        NUTAG_ENABLEMESSAGE(1),
        NUTAG_USER_AGENT(config->sip.user_agent),
        SIPTAG_SERVER_STR(config->sip.user_agent),
        NUTAG_OUTBOUND("no-validate no-options-keepalive no-natify"),
        NTATAG_UDP_MTU(config->sip.udp_mtu),
        NTATAG_SIP_T1X64(config->sip.transaction_timeout_ms),
        NTATAG_SIP_T4(config->sip.timer_t4_ms),
        /* messages queued on a TCP/TLS connection still being set up:
         * Sofia's default of 64 made a burst toward a PBX fail with 503
         * until the connection was up (1000 is Sofia's maximum) */
        TPTAG_QUEUESIZE(1000),
        TAG_END());
    if (self->nua == NULL) {
        g_set_error(error, GW_ERROR, GW_ERROR_LINK_DOWN,
                    "cannot listen on %s%s%s (address in use or not local?)",
                    url, config->sip.listen_tls ? " / " : "",
                    config->sip.listen_tls ? config->sip.listen_tls : "");
        gw_sip_ua_free(self);
        return NULL;
    }
    raise_udp_rcvbuf(listen_port(config->sip.listen));
    if (config->sip.lean_listen != NULL) {
        self->notifier = gw_notifier_new(self, error);
        if (self->notifier == NULL) {
            gw_sip_ua_free(self);
            return NULL;
        }
    }
#ifdef GW_HAVE_MALLINFO2
    self->trim_id = g_timeout_add_seconds(HEAP_TRIM_PERIOD_S, heap_trim_tick,
                                          NULL);
#endif
    g_message("SIP UA listening on %s%s%s", url,
              config->sip.listen_tls ? " and " : "",
              config->sip.listen_tls ? config->sip.listen_tls : "");
    return self;
}

void
gw_sip_ua_start(GwSipUa *self)
{
    if (self->config->sip.register_enabled)
        schedule_register(self, 0);
}


void
gw_sip_ua_free(GwSipUa *self)
{
    if (self == NULL)
        return;
    g_clear_handle_id(&self->reg_retry_id, g_source_remove);
    g_clear_handle_id(&self->stop_timer_id, g_source_remove);
    g_clear_handle_id(&self->trim_id, g_source_remove);
    /* handles go before the stack that owns them */
    g_clear_pointer(&self->notifier, gw_notifier_free);
    while (g_hash_table_size(self->dialogs) > 0) {
        GList *l = g_hash_table_get_keys(self->dialogs);
        dialog_destroy(l->data);
        g_list_free(l);
    }
    while (g_hash_table_size(self->pubs) > 0) {
        GList *l = g_hash_table_get_keys(self->pubs);
        pub_free(l->data);
        g_list_free(l);
    }
    while (g_hash_table_size(self->calls) > 0) {
        GList *l = g_hash_table_get_keys(self->calls);
        call_free(l->data);
        g_list_free(l);
    }
    if (self->nua != NULL)
        nua_destroy(self->nua);
    if (self->root != NULL)
        su_root_destroy(self->root);
    su_log_redirect(su_log_default, NULL, NULL);
    su_deinit();
    g_hash_table_unref(self->requests);
    g_hash_table_unref(self->txns);
    g_hash_table_unref(self->dialogs);
    g_hash_table_unref(self->pubs);
    g_hash_table_unref(self->calls);
    g_string_free(self->log_tail, TRUE);
    g_free(self);
}
