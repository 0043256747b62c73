/* gateway/bridge/call_wire.c: what calls say and read on the XMPP side.
 *
 * Every stanza goes through the one builder (stanza.h): JMI messages
 * (XEP-0353), our Jingle iq sets, the results and errors of hers.
 * Sessions are read from the stanza's own tree (stanza_xml.h, then
 * libjsdp), never from text written out for the purpose, and printed by
 * libjsdp (Jingle, SDP).
 *
 *   <message type='chat' from='1001@gw/sip' to='alice@x/phone'
 *            id='jm-proceed-S'>
 *     <proceed xmlns='urn:xmpp:jingle-message:0' id='S'/>
 *     <store xmlns='urn:xmpp:hints'/></message>
 *   <iq type='set' from='1001@gw/sip' to='alice@x/phone' id='gwj-7-1-S'>
 *     <jingle xmlns='urn:xmpp:jingle:1' action='session-accept' sid='S'
 *             initiator='alice@x/phone' responder='1001@gw/sip'>...</iq>
 */
#define G_LOG_DOMAIN "gw-call"

#include "call_private.h"

#include <string.h>

#include "stanza.h"
#include "stanza_xml.h"

/* ---- Jingle roles ------------------------------------------------------ */

/* OUT: she initiated; IN: we did. */
const char *
gw_call_initiator(const Call *c)
{
    return c->dir == DIR_OUT ? c->xmpp_full : c->gw_full;
}

const char *
gw_call_responder(const Call *c)
{
    return c->dir == DIR_OUT ? c->gw_full : c->xmpp_full;
}

/* ---- stanzas out ------------------------------------------------------- */

static void
send_stanza(GwCallBridge *b, GString *x)
{
    gw_xmpp_link_send_text(b->env->xmpp, x);
}

char *
gw_call_reason_build(const char *ns, const char *condition, const char *text)
{
    GString *r = g_string_new("<reason");

    gw_xml_append_attr(r, "xmlns", ns);
    g_string_append_printf(r, "><%s/>", condition);
    if (text != NULL) {
        g_string_append(r, "<text>");
        gw_xml_append_escaped(r, text);
        g_string_append(r, "</text>");
    }
    g_string_append(r, "</reason>");
    return g_string_free(r, FALSE);
}

void
gw_call_send_jmi(GwCallBridge *b, const char *from, const char *to,
                 const char *sid, const char *element, const char *reason,
                 const char *text)
{
    g_autofree char *id = g_strdup_printf("jm-%s-%s", element, sid);
    GString *x = gw_stanza_begin("message", "chat", from, to, id);

    g_string_append_printf(x, "<%s xmlns='" NS_JMI "'", element);
    gw_xml_append_attr(x, "id", sid);
    if (reason != NULL) {
        g_autofree char *r = gw_call_reason_build(NS_JINGLE, reason, text);
        g_string_append_printf(x, ">%s</%s>", r, element);
    } else {
        g_string_append(x, "/>");
    }
    g_string_append(x, "<store xmlns='" NS_HINTS "'/>");
    gw_stanza_end(x, "message");
    send_stanza(b, x);
}

char *
gw_call_jingle_build(const char *action, const char *sid,
                     const char *initiator, const char *inner)
{
    GString *j = g_string_sized_new(256);

    g_string_append(j, "<jingle xmlns='" NS_JINGLE "'");
    gw_xml_append_attr(j, "action", action);
    gw_xml_append_attr(j, "sid", sid);
    gw_xml_append_attr(j, "initiator", initiator);
    if (inner != NULL)
        g_string_append_printf(j, ">%s</jingle>", inner);
    else
        g_string_append(j, "/>");
    return g_string_free(j, FALSE);
}

void
gw_call_send_iq_set(GwCallBridge *b, const char *from, const char *to,
                    const char *id, const char *payload)
{
    GString *x = gw_stanza_begin("iq", "set", from, to, id);

    g_string_append(x, payload);
    gw_stanza_end(x, "iq");
    send_stanza(b, x);
}

void
gw_call_send_jingle(Call *c, const char *jingle)
{
    g_autofree char *id = g_strdup_printf(
        IQ_ID_PREFIX "%" G_GUINT64_FORMAT "-%u-%s", c->serial, ++c->iq_seq,
        c->sid);

    gw_call_send_iq_set(c->b, c->gw_full, c->xmpp_full, id, jingle);
}

void
gw_call_send_jingle_action(Call *c, const char *action, const char *inner)
{
    g_autofree char *j =
        gw_call_jingle_build(action, c->sid, gw_call_initiator(c), inner);

    gw_call_send_jingle(c, j);
}

gboolean
gw_call_parse_iq_id(const char *id, guint64 *serial, guint *seq,
                    const char **sid)
{
    const char *p;
    char *end = NULL;
    guint64 n;

    if (id == NULL || !g_str_has_prefix(id, IQ_ID_PREFIX))
        return FALSE;
    p = id + strlen(IQ_ID_PREFIX);
    if (!g_ascii_isdigit(*p))
        return FALSE;
    *serial = g_ascii_strtoull(p, &end, 10);
    if (*end != '-' || !g_ascii_isdigit(end[1]))
        return FALSE;
    n = g_ascii_strtoull(end + 1, &end, 10); /* our count of its iqs */
    if (*end != '-' || end[1] == '\0' || n > G_MAXUINT)
        return FALSE;
    *seq = (guint)n;
    *sid = end + 1;
    return TRUE;
}

void
gw_call_iq_result(GwCallBridge *b, xmpp_stanza_t *iq)
{
    send_stanza(b, gw_stanza_iq_result(iq));
}

void
gw_call_iq_error(GwCallBridge *b, xmpp_stanza_t *iq, const char *condition,
                 const char *jingle_condition, const char *text)
{
    GwStanzaError e = { condition, gw_errmap_condition_type(condition),
                        jingle_condition, NS_JINGLE_ERRORS };

    send_stanza(b, gw_stanza_error_reply(iq, NULL, &e, text));
}

/* ---- stanzas in -------------------------------------------------------- */

const char *
gw_call_reason_of(xmpp_stanza_t *parent)
{
    xmpp_stanza_t *r = gw_stanza_child(parent, "reason", NULL);

    for (xmpp_stanza_t *e = r ? xmpp_stanza_get_children(r) : NULL; e;
         e = xmpp_stanza_get_next(e))
        if (xmpp_stanza_is_tag(e) &&
            strcmp(xmpp_stanza_get_name(e), "text") != 0)
            return xmpp_stanza_get_name(e);
    return NULL;
}

JsdpSession *
gw_call_session_from_jingle(xmpp_stanza_t *jingle, GError **error)
{
    g_autoptr(xmlNode) node = gw_xml_from_stanza(jingle, error);

    return node != NULL ? jsdp_session_from_jingle(node, error) : NULL;
}

/* ---- sessions ---------------------------------------------------------- */

char *
gw_call_session_to_jingle(const Call *c, const JsdpSession *s,
                          const char *action)
{
    JsdpJinglePrintParams p = { 0 };

    p.action = action;
    p.sid = c->sid;
    p.initiator = gw_call_initiator(c);
    p.responder = strcmp(action, "session-initiate") == 0
                      ? NULL
                      : gw_call_responder(c);
    p.candidate_id_prefix = "gw";
    return jsdp_session_to_jingle_string(s, &p, NULL);
}

char *
gw_call_session_to_sdp(const JsdpSession *s, JsdpRole author, GError **error)
{
    JsdpSdpPrintParams p = { 0 };

    p.author = author;
    p.username = "xmpp-sip-gateway";
    p.session_id = 1;
    p.session_version = 1;
    return jsdp_session_to_sdp(s, &p, error);
}

/* rtpengine 10.5 gives each m= section its own port and knows no BUNDLE
 * (its bundle support came in mr14: "bundle accept/offer/require"): an
 * answer toward her client must not bundle two live contents onto one
 * port (jsdp_session_unbundle_answer()). */
gboolean
gw_call_relay_unbundles(const GwCallBridge *b)
{
    return g_strcmp0(gw_call_config(b)->media.relay, "rtpengine") == 0;
}

void
gw_call_session_for_sip(const GwCallBridge *b, JsdpSession *s)
{
    /* rtpengine makes the SIP leg RTP/AVP (or SAVP) but copies what it
     * does not know: without this a desk phone's INVITE carried the
     * client's a=extmap, a=msid, a=ssrc and rtcp-fb transport-cc (issue
     * 15). rtpengine 10.5 has "strip extmap" but no way to remove the
     * others (its "SDP-attr" manipulations came later), hence the model.
     * With relay = none the SIP peer gets the client's SDP as it is: it
     * must speak ICE + DTLS-SRTP itself, so it is WebRTC-capable. */
    if (g_strcmp0(gw_call_config(b)->media.relay, "rtpengine") == 0)
        jsdp_session_drop_webrtc_extras(s);
}

JsdpSession *
gw_call_session_from_sdp(const char *sdp, JsdpRole author, GError **error)
{
    JsdpSdpParseParams p = { author, JSDP_CLASSIC_ICE_HOST };

    return jsdp_session_from_sdp(sdp, -1, &p, error);
}

gboolean
gw_call_is_bridged_media(const char *media)
{
    /* issue 18: video too; nothing else (data channels, text) */
    return g_strcmp0(media, "audio") == 0 || g_strcmp0(media, "video") == 0;
}

gboolean
gw_call_has_media(const JsdpSession *s)
{
    for (guint i = 0; i < s->contents->len; i++) {
        const JsdpContent *ct = g_ptr_array_index(s->contents, i);
        if (!ct->rejected && gw_call_is_bridged_media(ct->media))
            return TRUE;
    }
    return FALSE;
}
