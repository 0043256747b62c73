/* gateway/sip/sip_publish.c: PUBLISH (RFC 3903) of XMPP users' presence
 * to a presence server.
 *
 *   initial PUBLISH with the document --2xx--> SIP-ETag kept; refresh at
 *     3/4 of the granted Expires: PUBLISH with SIP-If-Match, no body
 *   a new document: PUBLISH with SIP-If-Match and the body (after the one
 *     in flight, if any: only the newest waits)
 *   412 (the server forgot our entity tag): the initial PUBLISH again
 *   401/407: answered once per challenge with [sip] credentials
 *   other failures: logged, tried again after 60 s
 *   remove: PUBLISH Expires: 0 with SIP-If-Match (RFC 3903 4.5), no body;
 *     a 401/407 answered once, then the handle goes with the answer (or
 *     nta's timeout); a PUBLISH in flight is waited for first, since its
 *     answer brings the entity tag to remove: an initial one the first,
 *     a refresh or a new document a new one (RFC 3903 4.1, 4.4), and a
 *     removal with the tag before it would get 412 and leave the
 *     publication at the server until it expires. At the agent's end:
 *     sent, not waited for.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>

#define RETRY_MS 60000

struct GwSipPublication {
    GwSipUa *ua;
    char *aor, *route, *event, *content_type, *body;
    char *etag;        /* the server's, once known */
    guint expires;
    nta_outgoing_t *orq;
    SipTimer timer;    /* refresh or retry */
    char call_id[33];
    guint32 cseq;
    gboolean auth_tried;
    gboolean dirty;    /* a newer document waits for the one in flight */
    gboolean removing; /* removed: goes with the answer to its Expires: 0 */
    gboolean remove_sent;
};

static void pub_free(GwSipPublication *p);
static void send_remove(GwSipPublication *p, const char *auth,
                        gboolean proxy_auth);

static int on_publish_answer(nta_outgoing_magic_t *magic,
                             nta_outgoing_t *orq, sip_t const *sip);

/* body NULL: a refresh (RFC 3903 4.4) */
static void
send_publish(GwSipPublication *p, guint expires, const char *body,
             const char *auth, gboolean proxy_auth, gboolean reply)
{
    g_autofree char *to = sip_name_addr(p->aor);
    g_autofree char *from = NULL;
    g_autofree char *route = NULL;
    char cseq[32], ex[16], tag[17];

    sip_random_token(tag);
    from = g_strdup_printf("<%s>;tag=%s", p->aor, tag);
    if (p->route != NULL)
        route = g_strdup_printf("<%s%s>", p->route,
                                strstr(p->route, ";lr") ? "" : ";lr");
    g_snprintf(cseq, sizeof cseq, "%u PUBLISH", ++p->cseq);
    g_snprintf(ex, sizeof ex, "%u", expires);
    p->orq = sip_tcreate(
        p->ua, reply ? on_publish_answer : NULL, reply ? p : NULL,
        route == NULL ? p->ua->config->sip.outbound_proxy : NULL,
        body ? strlen(body) + strlen(p->aor) * 2 + 200 : 0, NULL,
        SIP_METHOD_PUBLISH, p->aor, route, SIPTAG_CALL_ID_STR(p->call_id),
        SIPTAG_CSEQ_STR(cseq), SIPTAG_FROM_STR(from), SIPTAG_TO_STR(to),
        SIPTAG_EVENT_STR(p->event), SIPTAG_EXPIRES_STR(ex),
        TAG_IF(p->etag != NULL, SIPTAG_IF_MATCH_STR(p->etag)),
        TAG_IF(body != NULL, SIPTAG_CONTENT_TYPE_STR(p->content_type)),
        TAG_IF(body != NULL, SIPTAG_PAYLOAD_STR(body)),
        TAG_IF(auth != NULL && !proxy_auth, SIPTAG_AUTHORIZATION_STR(auth)),
        TAG_IF(auth != NULL && proxy_auth,
               SIPTAG_PROXY_AUTHORIZATION_STR(auth)),
        TAG_END());
    if (!reply)
        p->orq = NULL; /* nta lets it go */
}

static void on_timer(SipTimer *t);

static void
publish_now(GwSipPublication *p, gboolean with_body)
{
    p->dirty = FALSE;
    send_publish(p, p->expires, with_body || p->etag == NULL ? p->body : NULL,
                 NULL, FALSE, TRUE);
    if (p->orq == NULL) {
        g_warning("PUBLISH of %s could not be sent", p->aor);
        sip_timer_arm(p->ua, &p->timer, RETRY_MS, on_timer);
    }
}

static void
on_timer(SipTimer *t)
{
    GwSipPublication *p = (GwSipPublication *)((char *)t -
                                               G_STRUCT_OFFSET(
                                                   GwSipPublication, timer));

    if (p->orq == NULL)
        publish_now(p, FALSE);
}

/* The Authorization for a 401/407 to our PUBLISH, once per challenged
 * request (NULL: not a challenge, tried already, or no credentials); the
 * caller wipes it. */
static char *
challenge_answer(GwSipPublication *p, sip_t const *sip, int status)
{
    if ((status != 401 && status != 407) || p->auth_tried || sip == NULL)
        return NULL;
    p->auth_tried = TRUE;
    return sip_digest_answer(p->ua, sip, status, "PUBLISH", p->aor);
}

/* An answer while removing: to the PUBLISH that was in flight (a 2xx
 * brings the entity tag to remove; else the one we had stays), or to the
 * removal itself. */
static void
on_remove_answer(GwSipPublication *p, sip_t const *sip, int status,
                 const char *phrase)
{
    g_autofree char *auth = NULL;

    if (!p->remove_sent) {
        if (status < 300 && sip != NULL && sip->sip_etag != NULL &&
            sip->sip_etag->g_value != NULL) {
            g_free(p->etag);
            p->etag = g_strdup(sip->sip_etag->g_value);
        }
        send_remove(p, NULL, FALSE);
        return;
    }
    auth = challenge_answer(p, sip, status);
    if (auth != NULL) {
        send_remove(p, auth, status == 407);
        memset(auth, 0, strlen(auth));
        return;
    }
    /* 412: the server had forgotten it already */
    if (status >= 300 && status != 412)
        g_info("removal of the presence publication of %s: %d %s", p->aor,
               status, phrase);
    else
        g_info("presence publication of %s removed", p->aor);
    pub_free(p);
}

static int
on_publish_answer(nta_outgoing_magic_t *magic, nta_outgoing_t *orq,
                  sip_t const *sip)
{
    GwSipPublication *p = (GwSipPublication *)magic;
    int status;
    const char *phrase;
    g_autoptr(SipDoneOrq) done = NULL;
    g_autofree char *auth = NULL;

    if (!sip_final_of(orq, sip, &status, &phrase, &done))
        return 0;
    p->orq = NULL;
    if (p->removing) {
        on_remove_answer(p, sip, status, phrase);
        return 0;
    }
    auth = challenge_answer(p, sip, status);
    if (auth != NULL) {
        send_publish(p, p->expires, p->body, auth, status == 407, TRUE);
        memset(auth, 0, strlen(auth));
        if (p->orq != NULL)
            return 0;
    }
    if (status == 412 && p->etag != NULL) {
        /* the server lost our state: publish anew */
        g_clear_pointer(&p->etag, g_free);
        publish_now(p, TRUE);
        return 0;
    }
    if (status >= 300) {
        g_warning("PUBLISH of presence of %s failed: %d %s", p->aor, status,
                  phrase);
        sip_timer_arm(p->ua, &p->timer, RETRY_MS, on_timer);
        return 0;
    }
    p->auth_tried = FALSE;
    if (sip->sip_etag != NULL && sip->sip_etag->g_value != NULL) {
        g_free(p->etag);
        p->etag = g_strdup(sip->sip_etag->g_value);
    }
    if (p->dirty) {
        publish_now(p, TRUE);
        return 0;
    }
    {
        guint granted = sip->sip_expires ? (guint)sip->sip_expires->ex_delta
                                         : p->expires;
        if (granted == 0 || granted > p->expires)
            granted = p->expires;
        sip_timer_arm(p->ua, &p->timer, MAX(granted * 750, 1000), on_timer);
    }
    return 0;
}

GwSipPublication *
gw_sip_ua_publish(GwSipUa *ua, const char *aor, const char *route,
                  const char *event, const char *content_type,
                  const char *body, guint expires)
{
    GwSipPublication *p = g_new0(GwSipPublication, 1);

    p->ua = ua;
    p->aor = g_strdup(aor);
    /* her own registrar, if she has one, before the presence server */
    p->route = g_strdup(sip_account_hop(ua, aor) != NULL
                            ? sip_account_hop(ua, aor) : route);
    p->event = g_strdup(event);
    p->content_type = g_strdup(content_type);
    p->body = g_strdup(body);
    p->expires = expires;
    sip_random_token(p->call_id);
    sip_random_token(p->call_id + 16);
    p->cseq = g_random_int_range(1, 1 << 20);
    g_hash_table_add(ua->pubs, p);
    publish_now(p, TRUE);
    return p;
}

void
gw_sip_publication_update(GwSipPublication *p, const char *body)
{
    g_free(p->body);
    p->body = g_strdup(body);
    if (p->orq != NULL) {
        p->dirty = TRUE;
        return;
    }
    sip_timer_disarm(&p->timer);
    publish_now(p, TRUE);
}

static void
pub_free(GwSipPublication *p)
{
    g_hash_table_remove(p->ua->pubs, p);
    sip_timer_disarm(&p->timer);
    if (p->orq != NULL)
        nta_outgoing_destroy(p->orq);
    g_free(p->aor);
    g_free(p->route);
    g_free(p->event);
    g_free(p->content_type);
    g_free(p->body);
    g_free(p->etag);
    g_free(p);
}

/* PUBLISH Expires: 0 with SIP-If-Match and no body (RFC 3903 4.5);
 * freed when answered, or now when it cannot be sent or there is nothing
 * to remove (no entity tag: never published). */
static void
send_remove(GwSipPublication *p, const char *auth, gboolean proxy_auth)
{
    if (p->etag == NULL) {
        pub_free(p);
        return;
    }
    p->remove_sent = TRUE;
    send_publish(p, 0, NULL, auth, proxy_auth, TRUE);
    if (p->orq == NULL)
        pub_free(p);
}

void
gw_sip_publication_remove(GwSipPublication *p)
{
    if (p == NULL || p->removing)
        return;
    p->removing = TRUE;
    p->auth_tried = FALSE;
    sip_timer_disarm(&p->timer);
    if (p->orq != NULL)
        return; /* its answer brings the entity tag (on_remove_answer) */
    send_remove(p, NULL, FALSE);
}

/* The agent goes: removals are sent, no answer is waited for. */
void
sip_publish_remove_all(GwSipUa *ua)
{
    GList *all = g_hash_table_get_keys(ua->pubs);

    for (GList *l = all; l != NULL; l = l->next) {
        GwSipPublication *p = l->data;
        if (p->orq != NULL) {
            nta_outgoing_destroy(p->orq);
            p->orq = NULL;
        }
        /* not sent yet: also one waiting for the answer to a PUBLISH in
         * flight, which will not come now */
        if (!p->remove_sent && p->etag != NULL)
            send_publish(p, 0, NULL, NULL, FALSE, FALSE);
        pub_free(p);
    }
    g_list_free(all);
}
