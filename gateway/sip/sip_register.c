/* gateway/sip/sip_register.c: REGISTER of the gateway's address of record
 * ([sip] username@domain) at [sip] registrar (RFC 3261 10), so that a
 * proxy can route the gateway's domain to it with lookup().
 *
 *   OFF --start--> REGISTERING --2xx--> REGISTERED --3/4 of the granted
 *                    ^  | 401/407: answered once per challenge   time--+
 *                    |  v >=300, timeout                               |
 *                  FAILED (retry after 10 s .. 5 min)  <---------------+
 *   stop: REGISTERED --Expires: 0--> UNREGISTERING --answer/2 s--> OFF
 *
 * One Call-ID for every REGISTER of the process, CSeq going up (10.2.4);
 * the Contact is ours, with the user name, as the registrar reaches us.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/url.h>

typedef enum {
    REG_OFF,
    REG_REGISTERING,
    REG_REGISTERED,
    REG_FAILED,
    REG_UNREGISTERING,
} RegState;

static const char *const reg_state_names[] = {
    "off", "registering", "registered", "failed", "unregistering",
};

struct SipRegistration {
    GwSipUa *ua;
    RegState state;
    nta_outgoing_t *orq;
    SipTimer timer;  /* refresh or retry */
    char call_id[33];
    char tag[17];
    guint32 cseq;
    guint failures;
    gboolean auth_tried;
    char *aor;       /* "sip:user@domain" */
    char *contact;   /* "<sip:user@host:port[;transport=tcp]>" */
    void (*stopped)(GwSipUa *ua);
};

static void
enter(SipRegistration *r, RegState to, const char *why)
{
    g_debug("registration: %s -> %s: %s", reg_state_names[r->state],
            reg_state_names[to], why);
    r->state = to;
}

static int on_register_answer(nta_outgoing_magic_t *magic,
                              nta_outgoing_t *orq, sip_t const *sip);

static gboolean
send_register(SipRegistration *r, guint expires, const char *auth,
              gboolean proxy_auth)
{
    const GwConfig *cfg = r->ua->config;
    g_autofree char *from = g_strdup_printf("<%s>;tag=%s", r->aor, r->tag);
    g_autofree char *to = sip_name_addr(r->aor);
    char cseq[32], ex[16];

    g_snprintf(cseq, sizeof cseq, "%u REGISTER", ++r->cseq);
    g_snprintf(ex, sizeof ex, "%u", expires);
    r->orq = sip_tcreate(
        r->ua, on_register_answer, r, cfg->sip.outbound_proxy, 0, NULL,
        SIP_METHOD_REGISTER, cfg->sip.registrar, NULL,
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

static void
retry_later(SipRegistration *r)
{
    guint seconds = MIN(300u, 5u << MIN(r->failures, 6u));

    r->failures++;
    enter(r, REG_FAILED, "retry later");
    sip_timer_arm(r->ua, &r->timer, seconds * 1000, on_timer);
}

static void
on_timer(SipTimer *t)
{
    SipRegistration *r =
        (SipRegistration *)((char *)t - G_STRUCT_OFFSET(SipRegistration,
                                                         timer));

    if (r->ua->stopping || r->orq != NULL)
        return;
    r->auth_tried = FALSE;
    enter(r, REG_REGISTERING, r->state == REG_REGISTERED ? "refresh"
                                                          : "retry");
    if (!send_register(r, r->ua->config->sip.register_expires, NULL, FALSE))
        retry_later(r);
}

/* The lifetime the registrar granted our Contact: its expires parameter
 * in the 2xx (which lists every binding of the AOR), else Expires. */
static guint
granted_expires(SipRegistration *r, sip_t const *sip)
{
    const GwConfig *cfg = r->ua->config;
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
    if (granted == 0 || granted > cfg->sip.register_expires)
        granted = cfg->sip.register_expires;
    return granted;
}

static int
on_register_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                   sip_t const *sip)
{
    SipRegistration *r = (SipRegistration *)magic;
    const GwConfig *cfg = r->ua->config;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    r->orq = NULL;
    if ((status == 401 || status == 407) && !r->auth_tried && sip != NULL) {
        g_autofree char *auth = sip_digest_answer(r->ua, sip, status,
                                                  "REGISTER", cfg->sip.registrar);
        guint expires = r->state == REG_UNREGISTERING
                            ? 0 : cfg->sip.register_expires;
        r->auth_tried = TRUE;
        if (auth != NULL && send_register(r, expires, auth, status == 407)) {
            memset(auth, 0, strlen(auth));
            return 0;
        }
    }
    if (r->state == REG_UNREGISTERING) {
        g_message("unregistered (%d %s)", status, phrase);
        enter(r, REG_OFF, "un-REGISTER answered");
        if (r->stopped != NULL)
            r->stopped(r->ua);
        return 0;
    }
    if (status >= 200 && status < 300) {
        guint granted = granted_expires(r, sip);
        if (r->state != REG_REGISTERED || r->failures > 0)
            g_message("registered %s at %s for %u s", r->aor + strlen("sip:"),
                      cfg->sip.registrar, granted);
        enter(r, REG_REGISTERED, "2xx");
        r->failures = 0;
        r->auth_tried = FALSE; /* refreshes may be challenged anew */
        sip_timer_arm(r->ua, &r->timer, MAX(granted * 750, 1000), on_timer);
        return 0;
    }
    if (status == 401 || status == 407)
        g_warning("registration of %s at %s refused: %d %s (%s)",
                  r->aor + strlen("sip:"),
                  cfg->sip.registrar, status, phrase,
                  cfg->sip.password ? "check [sip] auth_username and password"
                                    : "no [sip] password configured");
    else
        g_warning("registration of %s at %s failed: %d %s",
                  r->aor + strlen("sip:"),
                  cfg->sip.registrar, status, phrase);
    retry_later(r);
    return 0;
}

void
sip_register_start(GwSipUa *ua)
{
    const GwConfig *cfg = ua->config;
    SipRegistration *r;
    gboolean tcp;

    if (ua->reg != NULL || cfg->sip.registrar == NULL)
        return;
    r = g_new0(SipRegistration, 1);
    r->ua = ua;
    sip_random_token(r->call_id);
    sip_random_token(r->call_id + 16);
    sip_random_token(r->tag);
    r->cseq = g_random_int_range(1, 1 << 20);
    r->aor = g_strdup_printf("sip:%s@%s", cfg->sip.username,
                             cfg->sip.domain);
    tcp = strstr(cfg->sip.registrar, "transport=tcp") != NULL;
    /* our Contact with the user name: "<sip:" + "user@" + "host:port..." */
    r->contact = g_strdup_printf(
        "<sip:%s@%s", cfg->sip.username,
        ua->contact[tcp ? SIP_TP_TCP : SIP_TP_UDP] + strlen("<sip:"));
    ua->reg = r;
    enter(r, REG_REGISTERING, "start");
    if (!send_register(r, cfg->sip.register_expires, NULL, FALSE))
        retry_later(r);
}

void
sip_register_stop(GwSipUa *ua, void (*done)(GwSipUa *ua))
{
    SipRegistration *r = ua->reg;

    if (r == NULL || r->state != REG_REGISTERED) {
        if (r != NULL) {
            sip_timer_disarm(&r->timer);
            if (r->orq != NULL) {
                nta_outgoing_destroy(r->orq);
                r->orq = NULL;
            }
        }
        done(ua);
        return;
    }
    sip_timer_disarm(&r->timer);
    r->stopped = done;
    r->auth_tried = FALSE;
    enter(r, REG_UNREGISTERING, "stop");
    if (!send_register(r, 0, NULL, FALSE)) {
        enter(r, REG_OFF, "un-REGISTER not sent");
        done(ua);
    }
}

void
sip_register_free(GwSipUa *ua)
{
    SipRegistration *r = ua->reg;

    if (r == NULL)
        return;
    sip_timer_disarm(&r->timer);
    if (r->orq != NULL)
        nta_outgoing_destroy(r->orq);
    g_free(r->aor);
    g_free(r->contact);
    g_free(r);
    ua->reg = NULL;
}
