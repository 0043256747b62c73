/* gateway/sip/sip_register.c: REGISTER (RFC 3261 10) of one address of
 * record: the gateway's own ([sip] username@domain at [sip] registrar, so
 * that a proxy can route the gateway's domain to it with lookup()), and
 * each XMPP user's account (issue 17, gateway/bridge/accounts.c), with one
 * engine: a registration is a compact record on the shared timer queue,
 * not a stack handle.
 *
 *   IDLE --start--> REGISTERING --2xx--> REGISTERED --70-85 % of the
 *                     ^  | 401/407: answered once per challenge   granted
 *                     |  v                                        time--+
 *                   WAITING (backoff) <--timeout, 5xx, 3xx ...----------+
 *                     | max_failures in a row        |
 *                     v                              v 403, 404, 401/407
 *                   GAVE_UP (told, no timer)       REFUSED   after ours
 *   stop: REGISTERED --Expires: 0--> UNREGISTERING --answer--> IDLE
 *
 * One Call-ID per registration for the process, CSeq going up (10.2.4);
 * the Contact is ours, with a user part that says whose it is.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <string.h>

#include "sip_auth.h"

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

typedef enum {
    REG_IDLE,
    REG_REGISTERING,
    REG_REGISTERED,
    REG_WAITING,
    REG_REFUSED,
    REG_GAVE_UP,
    REG_UNREGISTERING,
} RegState;

static const char *const reg_state_names[] = {
    "idle",    "registering", "registered",   "waiting",
    "refused", "gave-up",     "unregistering",
};

struct GwSipRegistration {
    GwSipUa *ua;
    const GwSipRegistrationFuncs *funcs;
    gpointer data;
    nta_outgoing_t *orq;
    SipTimer timer;  /* refresh or retry */
    char *aor;       /* "sip:user@domain" */
    char *contact;   /* "<sip:user@host:port[;transport=tcp]>" */
    char *registrar;
    guint32 cseq;
    guint16 failures;
    guint8 state;    /* RegState */
    gboolean auth_tried : 1;
    gboolean refresh : 1; /* the REGISTER out refreshes a binding */
    gboolean direct : 1;  /* straight to the registrar, never through
                             [sip] outbound_proxy */
    guint expires;
    guint max_failures; /* 0: for ever */
    guint retry_min_s, retry_max_s;
    char call_id[33];
    char tag[17];
};

static void
enter(GwSipRegistration *r, RegState to, const char *why)
{
    g_debug("registration of %s: %s -> %s: %s", r->aor,
            reg_state_names[r->state], reg_state_names[to], why);
    r->state = to;
}

static void
tell(GwSipRegistration *r, GwSipRegEvent ev, int status, const char *phrase,
     guint granted)
{
    if (r->funcs != NULL && r->funcs->event != NULL)
        r->funcs->event(r->data, ev, status, phrase, granted);
}

static int on_register_answer(nta_outgoing_magic_t *magic,
                              nta_outgoing_t *orq, sip_t const *sip);

static gboolean
send_register(GwSipRegistration *r, guint expires, const char *auth,
              gboolean proxy_auth)
{
    g_autofree char *from = g_strdup_printf("<%s>;tag=%s", r->aor, r->tag);
    g_autofree char *to = sip_name_addr(r->aor);
    char cseq[32], ex[16];

    g_snprintf(cseq, sizeof cseq, "%u REGISTER", ++r->cseq);
    g_snprintf(ex, sizeof ex, "%u", expires);
    r->orq = sip_tcreate(
        r->ua, on_register_answer, r,
        r->direct ? NULL : r->ua->config->sip.outbound_proxy, 0, NULL,
        SIP_METHOD_REGISTER, r->registrar, NULL,
        SIPTAG_CALL_ID_STR(r->call_id), SIPTAG_CSEQ_STR(cseq),
        SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
        SIPTAG_CONTACT_STR(r->contact), SIPTAG_EXPIRES_STR(ex),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_END());
    return r->orq != NULL;
}

static void on_timer(SipTimer *t);

/* A try failed without a refusal: back off (retry_min_s doubling up to
 * retry_max_s, +-20 % so that many accounts do not retry in step), or
 * give up after max_failures in a row. */
static void
retry_later(GwSipRegistration *r, int status, const char *phrase)
{
    guint seconds = MIN(r->retry_max_s,
                        r->retry_min_s << MIN(r->failures, 12u));

    r->failures++;
    if (r->max_failures > 0 && r->failures >= r->max_failures) {
        enter(r, REG_GAVE_UP, "too many failures");
        tell(r, GW_SIP_REG_GAVE_UP, status, phrase, 0);
        return;
    }
    enter(r, REG_WAITING, "retry later");
    seconds = (guint)(seconds * g_random_double_range(0.8, 1.2));
    sip_timer_arm(r->ua, &r->timer, MAX(seconds, 1u) * 1000, on_timer);
    tell(r, GW_SIP_REG_FAILED, status, phrase, seconds);
}

static void
on_timer(SipTimer *t)
{
    GwSipRegistration *r = (GwSipRegistration *)((char *)t -
        G_STRUCT_OFFSET(GwSipRegistration, timer));

    if (r->ua->stopping || r->orq != NULL)
        return;
    r->auth_tried = FALSE;
    r->refresh = r->state == REG_REGISTERED;
    enter(r, REG_REGISTERING, r->refresh ? "refresh" : "retry");
    if (!send_register(r, r->expires, NULL, FALSE))
        retry_later(r, 503, "Not Sent");
}

/* The lifetime the registrar granted our Contact: its expires parameter
 * in the 2xx (which lists every binding of the AOR), else Expires. */
static guint
granted_expires(GwSipRegistration *r, sip_t const *sip)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    sip_contact_t *ours = sip_contact_make(home, r->contact);
    guint granted = 0;

    for (sip_contact_t const *m = sip->sip_contact; m && ours; m = m->m_next)
        if (url_cmp(m->m_url, ours->m_url) == 0 && m->m_expires != NULL) {
            granted = (guint)g_ascii_strtoull(m->m_expires, NULL, 10);
            break;
        }
    su_home_deinit(home);
    if (granted == 0 && sip->sip_expires != NULL)
        granted = (guint)sip->sip_expires->ex_delta;
    if (granted == 0 || granted > r->expires)
        granted = r->expires;
    return granted;
}

/* Answers a 401/407 through the owner; FALSE when it has none. */
static gboolean
answer_challenge(GwSipRegistration *r, sip_t const *sip, int status,
                 char **why)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const void *au = status == 401 ? (const void *)sip->sip_www_authenticate
                                   : (const void *)sip->sip_proxy_authenticate;
    g_autoptr(GError) error = NULL;
    char *auth = NULL;
    gboolean sent = FALSE;

    if (au != NULL && r->funcs != NULL && r->funcs->authorize != NULL)
        auth = r->funcs->authorize(
            r->data, sip_header_as_string(home, (sip_header_t const *)au),
            "REGISTER", r->registrar, &error);
    su_home_deinit(home);
    if (auth == NULL) {
        *why = g_strdup(error != NULL ? error->message
                                      : "no credentials for the challenge");
        return FALSE;
    }
    sent = send_register(r, r->state == REG_UNREGISTERING ? 0 : r->expires,
                         auth, status == 407);
    memset(auth, 0, strlen(auth));
    g_free(auth);
    if (!sent)
        *why = g_strdup("the REGISTER could not be sent");
    return sent;
}

static int
on_register_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                   sip_t const *sip)
{
    GwSipRegistration *r = (GwSipRegistration *)magic;
    g_autofree char *why = NULL;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    r->orq = NULL;
    if ((status == 401 || status == 407) && !r->auth_tried && sip != NULL) {
        r->auth_tried = TRUE;
        if (answer_challenge(r, sip, status, &why))
            return 0;
        g_info("REGISTER of %s: %d challenge not answered: %s", r->aor,
               status, why);
    }
    if (r->state == REG_UNREGISTERING) {
        g_info("unregistered %s (%d %s)", r->aor, status, phrase);
        enter(r, REG_IDLE, "un-REGISTER answered");
        tell(r, GW_SIP_REG_UNREGISTERED, status, phrase, 0);
        return 0;
    }
    if (status >= 200 && status < 300) {
        guint granted = granted_expires(r, sip);
        /* refresh at 70-85 %: thousands of registrations made at once do
         * not all come back at once */
        guint at = (guint)(granted * 1000 * g_random_double_range(0.70, 0.85));
        gboolean news = !r->refresh || r->failures > 0;
        enter(r, REG_REGISTERED, "2xx");
        r->failures = 0;
        sip_timer_arm(r->ua, &r->timer, MAX(at, 1000u), on_timer);
        if (news)
            tell(r, GW_SIP_REG_REGISTERED, status, phrase, granted);
        return 0;
    }
    /* refused with her credentials, or her AOR unknown: asking again the
     * same way gets the same answer (no tight loop) */
    if (status == 401 || status == 407 || status == 403 || status == 404 ||
        status == 484 || status == 604) {
        enter(r, REG_REFUSED, "refused");
        tell(r, GW_SIP_REG_REFUSED, status,
             why != NULL && status != 403 && status != 404 ? why : phrase, 0);
        return 0;
    }
    retry_later(r, status, phrase);
    return 0;
}

GwSipRegistration *
gw_sip_ua_registration_new(GwSipUa *ua, const GwSipRegistrationParams *p,
                           const GwSipRegistrationFuncs *funcs,
                           gpointer data)
{
    GwSipRegistration *r;
    gboolean tcp;

    g_return_val_if_fail(ua != NULL && p != NULL && p->registrar != NULL &&
                         p->aor != NULL && p->contact_user != NULL, NULL);
    r = g_new0(GwSipRegistration, 1);
    r->ua = ua;
    r->funcs = funcs;
    r->data = data;
    r->aor = g_strdup(p->aor);
    r->registrar = g_strdup(p->registrar);
    r->expires = p->expires;
    r->direct = p->direct;
    r->max_failures = p->max_failures;
    r->retry_min_s = MAX(p->retry_min_s, 1u);
    r->retry_max_s = MAX(p->retry_max_s, r->retry_min_s);
    sip_random_token(r->call_id);
    sip_random_token(r->call_id + 16);
    sip_random_token(r->tag);
    r->cseq = g_random_int_range(1, 1 << 20);
    tcp = strstr(p->registrar, "transport=tcp") != NULL;
    /* our Contact with the user part: "<sip:" + "user@" + "host:port..." */
    r->contact = g_strdup_printf(
        "<sip:%s@%s", p->contact_user,
        ua->contact[tcp ? SIP_TP_TCP : SIP_TP_UDP] + strlen("<sip:"));
    return r;
}

void
gw_sip_registration_start(GwSipRegistration *r)
{
    if (r->state == REG_REGISTERING || r->state == REG_REGISTERED)
        return;
    if (r->orq != NULL) {
        /* an un-REGISTER's answer is of no interest any more */
        nta_outgoing_destroy(r->orq);
        r->orq = NULL;
    }
    sip_timer_disarm(&r->timer);
    r->failures = 0;
    r->auth_tried = FALSE;
    r->refresh = FALSE;
    enter(r, REG_REGISTERING, "start");
    if (!send_register(r, r->expires, NULL, FALSE))
        retry_later(r, 503, "Not Sent");
}

gboolean
gw_sip_registration_stop(GwSipRegistration *r)
{
    gboolean bound = r->state == REG_REGISTERED ||
                     (r->state == REG_REGISTERING && r->refresh);

    sip_timer_disarm(&r->timer);
    if (r->orq != NULL) {
        nta_outgoing_destroy(r->orq);
        r->orq = NULL;
    }
    if (!bound && r->state != REG_REGISTERING) {
        enter(r, REG_IDLE, "stop");
        return FALSE;
    }
    /* a REGISTER out may have made a binding: take it back too */
    r->auth_tried = FALSE;
    enter(r, REG_UNREGISTERING, "stop");
    if (!send_register(r, 0, NULL, FALSE)) {
        enter(r, REG_IDLE, "un-REGISTER not sent");
        return FALSE;
    }
    return TRUE;
}

gboolean
gw_sip_registration_is_registered(const GwSipRegistration *r)
{
    return r->state == REG_REGISTERED ||
           (r->state == REG_REGISTERING && r->refresh);
}

gboolean
gw_sip_registration_is_active(const GwSipRegistration *r)
{
    return r->state == REG_REGISTERING || r->state == REG_REGISTERED ||
           r->state == REG_WAITING;
}

const char *
gw_sip_registration_get_state(const GwSipRegistration *r)
{
    return reg_state_names[r->state];
}

void
gw_sip_registration_free(GwSipRegistration *r)
{
    if (r == NULL)
        return;
    sip_timer_disarm(&r->timer);
    if (r->orq != NULL)
        nta_outgoing_destroy(r->orq);
    g_free(r->aor);
    g_free(r->contact);
    g_free(r->registrar);
    g_free(r);
}

/* ---- the gateway's own address of record ------------------------------ */

static char *
own_authorize(gpointer data, const char *challenge, const char *method,
              const char *uri, GError **error)
{
    GwSipUa *ua = data;
    const GwConfig *cfg = ua->config;
    char cnonce[17];

    if (cfg->sip.password == NULL || cfg->sip.auth_username == NULL) {
        g_set_error_literal(error, GW_SIP_AUTH_ERROR,
                            GW_SIP_AUTH_ERROR_MISSING,
                            "no [sip] password configured");
        return NULL;
    }
    sip_random_token(cnonce);
    return gw_sip_auth_answer(challenge, cfg->sip.auth_username,
                              cfg->sip.password, method, uri, cnonce, 1,
                              error);
}

static void
own_event(gpointer data, GwSipRegEvent ev, int status, const char *phrase,
          guint seconds)
{
    GwSipUa *ua = data;
    const GwConfig *cfg = ua->config;
    const char *aor = ua->reg_aor;

    switch (ev) {
    case GW_SIP_REG_REGISTERED:
        g_message("registered %s at %s for %u s", aor, cfg->sip.registrar,
                  seconds);
        break;
    case GW_SIP_REG_REFUSED:
        /* the gateway's own keeps trying, slowly: the operator fixes it */
        g_warning("registration of %s at %s refused: %d %s (%s)", aor,
                  cfg->sip.registrar, status, phrase,
                  cfg->sip.password ? "check [sip] auth_username and password"
                                    : "no [sip] password configured");
        sip_timer_arm(ua, &ua->reg_retry, 300 * 1000, sip_register_retry);
        break;
    case GW_SIP_REG_FAILED:
    case GW_SIP_REG_GAVE_UP:
        g_warning("registration of %s at %s failed: %d %s", aor,
                  cfg->sip.registrar, status, phrase);
        break;
    case GW_SIP_REG_UNREGISTERED:
        g_message("unregistered (%d %s)", status, phrase);
        if (ua->reg_stopped != NULL) {
            void (*done)(GwSipUa *) = ua->reg_stopped;
            ua->reg_stopped = NULL;
            done(ua);
        }
        break;
    }
}

static const GwSipRegistrationFuncs own_funcs = { own_event, own_authorize };

void
sip_register_retry(SipTimer *t)
{
    GwSipUa *ua = (GwSipUa *)((char *)t - G_STRUCT_OFFSET(GwSipUa, reg_retry));

    if (ua->reg != NULL && !ua->stopping)
        gw_sip_registration_start(ua->reg);
}

void
sip_register_start(GwSipUa *ua)
{
    const GwConfig *cfg = ua->config;
    GwSipRegistrationParams p = {
        .registrar = cfg->sip.registrar,
        .contact_user = cfg->sip.username,
        .expires = cfg->sip.register_expires,
        .max_failures = 0, /* for ever */
        .retry_min_s = 5,
        .retry_max_s = 300,
    };

    if (ua->reg != NULL || cfg->sip.registrar == NULL)
        return;
    ua->reg_aor = g_strdup_printf("%s@%s", cfg->sip.username,
                                  cfg->sip.domain);
    {
        g_autofree char *aor = g_strconcat("sip:", ua->reg_aor, NULL);
        p.aor = aor;
        ua->reg = gw_sip_ua_registration_new(ua, &p, &own_funcs, ua);
    }
    gw_sip_registration_start(ua->reg);
}

void
sip_register_stop(GwSipUa *ua, void (*done)(GwSipUa *ua))
{
    sip_timer_disarm(&ua->reg_retry);
    if (ua->reg == NULL || !gw_sip_registration_stop(ua->reg)) {
        done(ua);
        return;
    }
    ua->reg_stopped = done;
}

void
sip_register_free(GwSipUa *ua)
{
    sip_timer_disarm(&ua->reg_retry);
    g_clear_pointer(&ua->reg, gw_sip_registration_free);
    g_clear_pointer(&ua->reg_aor, g_free);
}
