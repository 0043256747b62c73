/* gateway/sip/sip_leg.c: the dialog state of RFC 3261 12 that
 * subscriptions and calls share, and the requests sent inside a dialog.
 *
 * A dialog is found by Call-ID and our tag (the table's key), and then
 * checked against the peer's tag once we know it:
 *
 *   they create it (SUBSCRIBE, INVITE to us)   we create it (ours)
 *     our tag: nta_incoming_tag()                our tag, Call-ID: random
 *     their tag: From tag                        their tag: To tag of the
 *     target: their Contact                        first answer with one, or
 *     route set: Record-Route as received          of the first NOTIFY
 *       (12.1.1)                                 route set: Record-Route of
 *                                                  the 2xx reversed (12.1.2),
 *                                                  or of the NOTIFY as received
 *   a request in it: CSeq above the last (else 500, 12.2.2); a Contact
 *   refreshes the target (target refresh requests: re-INVITE, SUBSCRIBE,
 *   NOTIFY)
 *
 * Memory: a leg and its owner are one block from the pool (pool.h) with
 * the strings that never change; a subscription costs ~0.5 KiB. Above
 * SIP_MAX_DIALOG_BYTES a dialog is refused (513), so that the bounds of
 * the tables bound the memory too.
 */
#define G_LOG_DOMAIN "gw-sip"

#include "sip_private.h"

#include <string.h>

#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su_tagarg.h>
#include <sofia-sip/url.h>

#include "pool.h"

gpointer
sip_leg_new(GwSipUa *ua, LegKind kind, gsize owner_size,
            const char *call_id, const char *ltag, const char *local,
            const char *remote, const char *event, const char *accept,
            gsize extra, gsize *size_out)
{
    const char *parts[6] = { call_id, ltag, local, remote,
                             event ? event : "", accept ? accept : "" };
    gsize size = owner_size, len[6];
    SipLeg *leg;
    char *p;

    for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
        len[i] = strlen(parts[i]);
        size += len[i] + 1;
    }
    size += len[0] + 1; /* the key: "Call-ID\nltag" */
    if (size + extra > SIP_MAX_DIALOG_BYTES)
        return NULL;
    leg = gw_pool_alloc0(size);
    p = (char *)leg + owner_size;

    leg->kind = kind;
    leg->ua = ua;
    leg->lseq = g_random_int_range(1, 1 << 30);
    leg->key = p;
    memcpy(p, call_id, len[0]);
    p[len[0]] = '\n';
    memcpy(p + len[0] + 1, ltag, len[1] + 1);
    leg->ltag = p + len[0] + 1;
    p += len[0] + 1 + len[1] + 1;
#define TAKE(field, i)                                                      \
    do {                                                                    \
        memcpy(p, parts[i], len[i] + 1);                                    \
        field = p;                                                          \
        p += len[i] + 1;                                                    \
    } while (0)
    TAKE(leg->call_id, 0);
    TAKE(leg->local, 2);
    TAKE(leg->remote, 3);
    if (event != NULL)
        TAKE(leg->event, 4);
    if (accept != NULL)
        TAKE(leg->accept, 5);
#undef TAKE
    g_hash_table_insert(ua->dialogs, (gpointer)leg->key, leg);
    leg->in_table = TRUE;
    *size_out = size;
    return leg;
}

void
sip_leg_free(SipLeg *leg, gsize size)
{
    if (leg->in_table)
        g_hash_table_remove(leg->ua->dialogs, leg->key);
    gw_pool_free_str(leg->rtag);
    gw_pool_free_str(leg->target);
    gw_pool_free_str(leg->route);
    gw_pool_free(leg, size);
}

SipLeg *
sip_leg_find(GwSipUa *ua, sip_t const *sip)
{
    g_autofree char *key = g_strconcat(sip->sip_call_id->i_id, "\n",
                                       sip->sip_to->a_tag, NULL);
    SipLeg *leg = g_hash_table_lookup(ua->dialogs, key);

    if (leg == NULL || sip->sip_from->a_tag == NULL)
        return NULL;
    /* a request from a second fork of ours is not taken */
    if (leg->rtag != NULL &&
        g_ascii_strcasecmp(sip->sip_from->a_tag, leg->rtag) != 0)
        return NULL;
    return leg;
}

/* The route set of a dialog as a Route value (RFC 3261 12.1.1): the
 * Record-Route values in order (g_free() it), NULL if none. */
static char *
route_text(su_home_t *home, sip_record_route_t const *rr)
{
    GString *s;

    if (rr == NULL)
        return NULL;
    s = g_string_new(NULL);
    for (sip_record_route_t const *r = rr; r; r = r->r_next) {
        g_string_append_printf(s, "%s<%s>", s->len ? ", " : "",
                               url_as_string(home, r->r_url));
        for (msg_param_t const *pp = r->r_params; pp && *pp; pp++)
            g_string_append_printf(s, ";%s", *pp);
    }
    return g_string_free(s, FALSE);
}

void
sip_leg_refresh_target(SipLeg *leg, sip_t const *sip)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    char *t;

    if (sip->sip_contact == NULL)
        return;
    t = url_as_string(home, sip->sip_contact->m_url);
    if (t != NULL && g_strcmp0(t, leg->target) != 0) {
        gw_pool_free_str(leg->target);
        leg->target = gw_pool_strdup(t);
    }
    su_home_deinit(home);
}

void
sip_leg_establish(SipLeg *leg, sip_t const *sip, gboolean request)
{
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *tag = request ? sip->sip_from->a_tag : sip->sip_to->a_tag;

    if (leg->rtag == NULL && tag != NULL)
        leg->rtag = gw_pool_strdup(tag);
    sip_leg_refresh_target(leg, sip);
    if (!leg->routed) {
        g_autofree char *route = NULL;
        if (request) {
            route = route_text(home, sip->sip_record_route);
        } else if (sip->sip_record_route != NULL) {
            route = route_text(home,
                               sip_route_reverse(home,
                                                 sip->sip_record_route));
        }
        gw_pool_free_str(leg->route);
        leg->route = gw_pool_strdup(route);
        leg->routed = TRUE;
    }
    su_home_deinit(home);
}

const char *
sip_leg_contact(const SipLeg *leg)
{
    return leg->ua->contact[leg->transport];
}

nta_outgoing_t *
sip_leg_request(SipLeg *leg, nta_response_f *callback, gpointer magic,
                sip_method_t method, const char *name, guint32 cseq,
                gsize estimate, gboolean *over_tcp, tag_type_t tag,
                tag_value_t value, ...)
{
    GwSipUa *ua = leg->ua;
    su_home_t home[1] = { SU_HOME_INIT(home) };
    const char *ruri = leg->target, *route = leg->route, *hop = NULL;
    char cseq_text[48];
    g_autofree char *from = g_strdup_printf("<%s>;tag=%s", leg->local,
                                            leg->ltag);
    g_autofree char *to = leg->rtag ? g_strdup_printf("<%s>;tag=%s",
                                                      leg->remote, leg->rtag)
                                    : g_strdup_printf("<%s>", leg->remote);
    nta_outgoing_t *orq;
    ta_list ta;

    if (route != NULL) {
        sip_route_t *r = sip_route_make(home, route);
        if (r != NULL && !url_has_param(r->r_url, "lr")) {
            /* a strict router: it goes into the Request-URI and the
             * target last in the Route (RFC 3261 12.2.1.1) */
            GString *rest = g_string_new(NULL);
            ruri = url_as_string(home, r->r_url);
            for (sip_route_t *x = r->r_next; x; x = x->r_next)
                g_string_append_printf(rest, "<%s>, ",
                                       url_as_string(home, x->r_url));
            g_string_append_printf(rest, "<%s>", leg->target);
            route = su_strdup(home, rest->str);
            g_string_free(rest, TRUE);
        }
    } else {
        /* no route set: as every request, through the outbound proxy
         * (or her own registrar) */
        hop = sip_next_hop(ua, leg->local);
    }
    if (cseq == 0)
        cseq = ++leg->lseq;
    g_snprintf(cseq_text, sizeof cseq_text, "%u %s", cseq, name);
    ta_start(ta, tag, value);
    /* estimate 0: nta picks the transport: a request too large for UDP is
     * tried over TCP, and sent over UDP at once if the peer has no TCP
     * connection up (T4 ~0), as most phones listen on UDP only */
    orq = sip_tcreate(ua, callback, magic, hop, estimate, over_tcp, method,
                      name, ruri,
                      route, SIPTAG_CALL_ID_STR(leg->call_id),
                      SIPTAG_CSEQ_STR(cseq_text), SIPTAG_FROM_STR(from),
                      SIPTAG_TO_STR(to),
                      /* target refresh requests carry our Contact (RFC
                       * 3261 table 3: not BYE, ACK, CANCEL, INFO) */
                      TAG_IF(method == sip_method_invite ||
                                 method == sip_method_subscribe ||
                                 method == sip_method_notify,
                             SIPTAG_CONTACT_STR(sip_leg_contact(leg))),
                      TAG_NEXT(ta_args(ta)));
    ta_end(ta);
    su_home_deinit(home);
    return orq;
}
