#!/usr/bin/python3
"""Issue 6: calls both ways, Jingle + JMI <-> SIP INVITE, against real
Prosody, SIPp and (where available) rtpengine. Cases are numbered 6.x.

The XMPP party speaks as Conversations does: <propose> with a receipt
request, then session-initiate without candidates, then each candidate in
its own transport-info; DTLS-SRTP with setup='actpass'.

Calls to XMPP users whose clients advertise no JMI (XEP-0115 caps or plain
disco#info) take a direct session-initiate instead (6.30-6.35)."""

import base64
import hashlib
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST, PBX_DOMAIN,  # noqa: E402
                    XMPP_DOMAIN, free_port)

NS_J = "urn:xmpp:jingle:1"
NS_JMI = "urn:xmpp:jingle-message:0"
NS_RTP = "urn:xmpp:jingle:apps:rtp:1"
NS_ICE = "urn:xmpp:jingle:transports:ice-udp:1"
NS_DTLS = "urn:xmpp:jingle:apps:dtls:0"
NS_DISCO = "http://jabber.org/protocol/disco#info"
NS_CAPS = "http://jabber.org/protocol/caps"
CLIENT_NODE = "https://gwtest.invalid/softphone"
# what a Jingle client without JMI advertises (XEP-0166, 0167 10, 0176, 0320)
JINGLE_AUDIO = [NS_J, NS_RTP, "urn:xmpp:jingle:apps:rtp:audio", NS_ICE, NS_DTLS]
FP = ("6B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"
      "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08")


def jingle_offer(sid, initiator, candidates=False):
    """A Conversations-style audio offer (opus, PCMU, telephone-event)."""
    cands = ""
    if candidates:
        cands = ("<candidate component='1' foundation='1' generation='0' "
                 "id='c1' ip='127.0.0.1' network='0' port='40000' "
                 "priority='2130706431' protocol='udp' type='host'/>")
    return f"""<jingle xmlns='{NS_J}' action='session-initiate' sid='{sid}' initiator='{initiator}'>
<content creator='initiator' name='0' senders='both'>
<description xmlns='{NS_RTP}' media='audio'>
<payload-type id='111' name='opus' clockrate='48000' channels='2'><parameter name='useinbandfec' value='1'/></payload-type>
<payload-type id='0' name='PCMU' clockrate='8000'/>
<payload-type id='101' name='telephone-event' clockrate='8000'/>
<rtcp-mux/>
</description>
<transport xmlns='{NS_ICE}' ufrag='Ab1c' pwd='ThisIsAnIcePasswordOf24c'>
<fingerprint xmlns='{NS_DTLS}' hash='sha-256' setup='actpass'>{FP}</fingerprint>{cands}
</transport>
</content>
<group xmlns='urn:xmpp:jingle:apps:grouping:0' semantics='BUNDLE'><content name='0'/></group>
</jingle>"""


def jingle_candidate(sid, initiator, port=40000, cid="c1"):
    return f"""<jingle xmlns='{NS_J}' action='transport-info' sid='{sid}' initiator='{initiator}'>
<content creator='initiator' name='0'>
<transport xmlns='{NS_ICE}' ufrag='Ab1c' pwd='ThisIsAnIcePasswordOf24c'>
<candidate component='1' foundation='1' generation='0' id='{cid}' ip='127.0.0.1' network='0' port='{port}' priority='2130706431' protocol='udp' type='host'/>
</transport></content></jingle>"""


def offered_name(si):
    """The content name of the gateway's session-initiate: an answer
    carries the offer's contents (XEP-0166 7.2.8)."""
    return si.find(f"{{{NS_J}}}jingle/{{{NS_J}}}content").get("name")


def jingle_accept(sid, initiator, responder, name):
    return f"""<jingle xmlns='{NS_J}' action='session-accept' sid='{sid}' initiator='{initiator}' responder='{responder}'>
<content creator='initiator' name='{name}' senders='both'>
<description xmlns='{NS_RTP}' media='audio'>
<payload-type id='0' name='PCMU' clockrate='8000'/>
<payload-type id='101' name='telephone-event' clockrate='8000'/>
<rtcp-mux/>
</description>
<transport xmlns='{NS_ICE}' ufrag='Zz9y' pwd='AnotherIcePasswordOf24ch'>
<fingerprint xmlns='{NS_DTLS}' hash='sha-256' setup='active'>{FP}</fingerprint>
<candidate component='1' foundation='1' generation='0' id='a1' ip='127.0.0.1' network='0' port='40010' priority='2130706431' protocol='udp' type='host'/>
</transport></content></jingle>"""


PLAIN_SDP = """v=0
o=phone 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 6000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
"""


# SIPp UAS step: 180 to the INVITE just received, opening the dialog
RINGING = gwtest.sipp_ok(status="180 Ringing",
                         to_tag="[pid]SIPpTag01[call_number]",
                         headers=("Contact: <sip:[local_ip]:[local_port]>",))


def uas_call(final=200, reason="OK", ring=True, wait_bye=True, sdp=None,
             early=False, info=False, info_status="200 OK"):
    """SIPp UAS: INVITE -> (180) (183+SDP) -> final; then BYE."""
    sdp = sdp if sdp is not None else PLAIN_SDP
    body = sdp.replace("\n", "\r\n") if final == 200 else ""
    steps = """
  <recv request="INVITE" rrs="true"/>
"""
    if ring:
        steps += RINGING + """  <pause milliseconds="300"/>
"""
    if early:
        steps += f"""
  <send><![CDATA[
      SIP/2.0 183 Session Progress
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

{sdp}]]></send>
  <pause milliseconds="300"/>
"""
    ctype = "Content-Type: application/sdp\n      " if final == 200 else ""
    steps += f"""
  <send><![CDATA[
      SIP/2.0 {final} {reason}
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port]>
      {ctype}Content-Length: [len]

{body if final == 200 else ""}]]></send>
  <recv request="ACK"/>
"""
    if info:
        # info_status None: the INFO is never answered
        steps += """
  <recv request="INFO"/>""" + (gwtest.sipp_ok(status=info_status)
                              if info_status else "")
    if final == 200 and wait_bye:
        steps += """
  <recv request="BYE" timeout="20000"/>""" + gwtest.sipp_ok()
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<scenario name="uas">{steps}</scenario>\n'


def uas_cancelled():
    """SIPp UAS: INVITE -> 180, then the caller CANCELs."""
    return """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="uas cancel">
  <recv request="INVITE"/>
""" + RINGING + """  <recv request="CANCEL" timeout="20000"/>""" + gwtest.sipp_ok() + """  <send><![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      CSeq: [cseq] INVITE
      Content-Length: 0

  ]]></send>
  <recv request="ACK"/>
</scenario>
"""


def uac_call(user="alice", final=200, bye_after_ms=1500, cancel_after_ms=None,
             sdp=PLAIN_SDP):
    """SIPp UAC: INVITE with a plain RTP offer; then BYE (or CANCEL)."""
    body = sdp.replace("\n", "\r\n")
    inv = f"""
  <send retrans="500"><![CDATA[
      INVITE sip:{user}@{GW_SIP_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:1001@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

{body}]]></send>
  <recv response="100" optional="true"/>
"""
    if cancel_after_ms is not None:
        steps = inv + f"""
  <recv response="180"/>
  <pause milliseconds="{cancel_after_ms}"/>
  <send><![CDATA[
      CANCEL sip:{user}@{GW_SIP_DOMAIN} SIP/2.0
      [last_Via:]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
  <recv response="487"/>
  <send><![CDATA[
      ACK sip:{user}@{GW_SIP_DOMAIN} SIP/2.0
      [last_Via:]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
"""
    elif final != 200:
        steps = inv + f"""
  <recv response="180" optional="true"/>
  <recv response="{final}" timeout="30000"/>
  <send><![CDATA[
      ACK sip:{user}@{GW_SIP_DOMAIN} SIP/2.0
      [last_Via:]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
"""
    else:
        steps = inv + f"""
  <recv response="180"/>
  <recv response="200" rrs="true" timeout="30000"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
"""
        if bye_after_ms is not None:
            steps += f"""
  <pause milliseconds="{bye_after_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
"""
        else:
            steps += """
  <recv request="BYE" timeout="20000"/>""" + gwtest.sipp_ok()
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<scenario name="uac">{steps}</scenario>\n'


def is_jingle(action, sid=None):
    def pred(s):
        j = s.find(f"{{{NS_J}}}jingle")
        return (s.tag == "iq" and s.get("type") == "set" and j is not None
                and j.get("action") == action
                and (sid is None or j.get("sid") == sid))
    return pred


def jmi(element, sid=None):
    def pred(s):
        e = s.find(f"{{{NS_JMI}}}{element}")
        return (s.tag == "message" and e is not None and
                (sid is None or e.get("id") == sid))
    return pred


def caps_ver(identity, features):
    """XEP-0115 5.1 for one identity, no forms: computed here, independently
    of the gateway's code."""
    s = "%s/%s//%s<" % identity + "".join(f + "<" for f in sorted(features))
    return base64.b64encode(hashlib.sha1(s.encode()).digest()).decode()


class CallClient(gwtest.XmppClient):
    """An XMPP client with the features we give it: its presence carries
    XEP-0115 caps (or, with caps=False, none), it answers disco#info itself
    and approves the gateway's presence subscription requests, as a real
    client would."""

    IDENTITY = ("client", "phone", "gwtest softphone")

    def __init__(self, env, user, resource, features, caps=True):
        super().__init__(env, user, resource=resource)
        self.features = sorted(set(features) | {NS_DISCO, NS_CAPS})
        self.caps = caps
        self.ver = caps_ver(self.IDENTITY, self.features)
        self.disco_queries = []

    async def _session_start(self, event):
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        x = self.x
        x.remove_handler("Disco Info")  # ours answers, with our features
        x.register_handler(Callback(
            "test disco", MatchXPath("{jabber:client}iq/{%s}query" % NS_DISCO),
            self._on_disco))
        x.register_handler(Callback(
            "test approve", MatchXPath("{jabber:client}presence"),
            self._on_presence))
        try:
            await x.get_roster(timeout=5)
        except Exception:
            pass
        c = (f"<c xmlns='{NS_CAPS}' hash='sha-1' node='{CLIENT_NODE}' "
             f"ver='{self.ver}'/>" if self.caps else "")
        x.send_raw(f"<presence><priority>1</priority>{c}</presence>")
        self.ready.set()

    def _on_disco(self, iq):
        if iq["type"] != "get":
            return
        q = iq.xml.find("{%s}query" % NS_DISCO)
        node = q.get("node") if q is not None else None
        self.disco_queries.append(node)
        na = f" node='{node}'" if node else ""
        ident = ("<identity category='%s' type='%s' name='%s'/>"
                 % self.IDENTITY)
        feats = "".join(f"<feature var='{f}'/>" for f in self.features)
        self.x.send_raw(f"<iq type='result' to='{iq['from']}' id='{iq['id']}'>"
                        f"<query xmlns='{NS_DISCO}'{na}>{ident}{feats}</query>"
                        "</iq>")

    def _on_presence(self, p):
        if p["type"] == "subscribe":
            self.x.send_raw(f"<presence to='{p['from'].bare}' type='subscribed'/>")


class CallsBase(gwtest.GatewayTestCase):
    relay = "none"
    use_proxy = True

    @classmethod
    def extra_config(cls):
        return {}

    @classmethod
    def setUpClass(cls):
        cls.UAS = free_port(udp_too=True)
        extra = dict(cls.extra_config())
        if cls.relay == "rtpengine":
            if not os.path.exists(gwtest.gateway_binary()):
                raise unittest.SkipTest("gateway binary not built")
            cls.rtpe_env = gwtest.Env(cls.__name__ + "-rtpe")
            cls.rtpe = gwtest.Rtpengine(cls.rtpe_env).start()
            extra["media__rtpengine"] = cls.rtpe.address()
        cls.gateway_overrides = dict(
            sip__outbound_proxy=(f"sip:{HOST}:{cls.UAS}" if cls.use_proxy
                                 else None),
            calls__allow_calls=f"alice@{XMPP_DOMAIN} *",
            calls__no_answer_s=6,
            media__relay=cls.relay,
            presence__allow_watchers=f"bob@{XMPP_DOMAIN};carol@{XMPP_DOMAIN}",
            **extra)
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            if getattr(cls, "rtpe_env", None) is not None:
                cls.rtpe_env.close()

    def setUp(self):
        self.alice.drain()

    def uas(self, scenario):
        run = self.sipp.start(scenario, port=self.UAS, timeout=30)
        time.sleep(0.3)
        return run

    def ack(self, iq, client=None):
        (client or self.alice).send_raw(f"<iq type='result' to='{iq.get('from')}' "
                                        f"id='{iq.get('id')}'/>")

    def set_jingle(self, to, jingle, iid):
        self.alice.send_raw(f"<iq type='set' to='{to}' id='{iid}'>{jingle}</iq>")
        r = self.alice.wait(lambda s: s.get("id") == iid, what=f"ack {iid}")
        self.assertEqual(r.get("type"), "result", gwtest.ET.tostring(r, "unicode"))

    def propose(self, sid, to=f"1001@{COMPONENT}"):
        self.alice.send_raw(
            f"<message type='chat' to='{to}' id='jm-propose-{sid}'>"
            f"<propose xmlns='{NS_JMI}' id='{sid}'><description xmlns='{NS_RTP}' "
            f"media='audio'/></propose><request xmlns='urn:xmpp:receipts'/>"
            f"<store xmlns='urn:xmpp:hints'/></message>")

    def place_call(self, sid, callee="1001"):
        """JMI as Conversations: propose -> receipt + proceed ->
        session-initiate (no candidates) -> trickled transport-info."""
        a = self.alice
        self.propose(sid, f"{callee}@{COMPONENT}")
        a.wait(lambda s: s.find("{urn:xmpp:receipts}received") is not None,
               what="receipt for the propose")
        p = a.wait(jmi("proceed", sid), what="proceed")
        gw_full = p.get("from")
        self.assertTrue(gw_full.startswith(f"{callee}@{COMPONENT}/"), gw_full)
        self.set_jingle(gw_full, jingle_offer(sid, a.jid), "si-" + sid)
        self.set_jingle(gw_full, jingle_candidate(sid, a.jid), "ti-" + sid)
        return gw_full


class OutboundCases:
    """XMPP -> SIP; the SIP side is a SIPp UAS at the outbound proxy."""

    def test_6_01_xmpp_calls_sip(self):
        """6.1 JMI flow to SIP: ringing, answer, hang-up from XMPP (BYE)"""
        uas = self.uas(uas_call())
        sid = "call601"
        gw_full = self.place_call(sid)
        self.alice.wait(lambda s: s.find(f"{{{NS_J}}}jingle/"
                                         "{urn:xmpp:jingle:apps:rtp:info:1}ringing")
                        is not None, what="ringing")
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.check_accept(acc)
        self.check_invite(uas)
        time.sleep(0.5)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def test_6_07_dtmf_and_hold_from_xmpp(self):
        """6.7 XEP-0181 <dtmf/> (dtmf = info: SIP INFO); <hold/> and
        <active/> -> re-INVITEs with sendonly and sendrecv"""
        if self.relay != "none":
            self.skipTest("INFO path runs with relay = none")
        reinv = ""
        plain_crlf = PLAIN_SDP.replace("\n", "\r\n")
        for direction in ("sendonly", "sendrecv"):
            reinv += f"""
  <recv request="INVITE">
    <action><ereg regexp="a={direction}" search_in="body" check_it="true" assign_to="d"/>
    <log message="[$d]"/></action>
  </recv>""" + gwtest.sipp_ok(sdp=plain_crlf) + """  <recv request="ACK"/>
"""
        scen = uas_call(info=True).replace('  <recv request="BYE"', reinv + '  <recv request="BYE"')
        uas = self.uas(scen)
        sid = "call607"
        gw_full = self.place_call(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid), what="accept")
        self.ack(acc)
        time.sleep(0.3)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-info' sid='{sid}'>"
                        "<dtmf xmlns='urn:xmpp:jingle:dtmf:0' code='5' duration='200'/>"
                        "</jingle>", "dt-" + sid)
        time.sleep(0.3)
        for what in ("hold", "active"):
            self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-info' "
                            f"sid='{sid}'><{what} xmlns='urn:xmpp:jingle:apps:rtp:info:1'/>"
                            "</jingle>", f"{what}-{sid}")
            time.sleep(0.4)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.assertIn("Signal=5", uas.messages())

    def check_accept(self, acc):
        j = acc.find(f"{{{NS_J}}}jingle")
        self.assertEqual(j.get("responder"), acc.get("from"))
        content = j.find(f"{{{NS_J}}}content")
        self.assertEqual(content.get("name"), "0")

    def check_invite(self, uas):
        self.assertIn("INVITE sip:1001@" + PBX_DOMAIN, uas.messages())

    def test_6_02_busy(self):
        """6.2 SIP 486 -> session-terminate <busy/>"""
        uas = self.uas(uas_call(final=486, reason="Busy Here"))
        sid = "call602"
        self.place_call(sid)
        t = self.alice.wait(is_jingle("session-terminate", sid),
                            what="terminate")
        self.ack(t)
        self.assertIsNotNone(t.find(f"{{{NS_J}}}jingle/{{{NS_J}}}reason/{{{NS_J}}}busy"))
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def test_6_03_retract_cancels(self):
        """6.3 XMPP caller gives up while it rings: CANCEL"""
        uas = self.uas(uas_cancelled())
        sid = "call603"
        gw_full = self.place_call(sid)
        self.alice.wait(lambda s: s.find(f"{{{NS_J}}}jingle/"
                                         "{urn:xmpp:jingle:apps:rtp:info:1}ringing")
                        is not None, what="ringing")
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><cancel/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def test_6_04_acl_refuses(self):
        """6.4 a caller the ACL does not allow: <reject>, no INVITE"""
        bob = gwtest.XmppClient(self.env, "bob").connect()
        sid = "call604"
        bob.send_raw(f"<message type='chat' to='1001@{COMPONENT}' id='p604'>"
                     f"<propose xmlns='{NS_JMI}' id='{sid}'><description "
                     f"xmlns='{NS_RTP}' media='audio'/></propose></message>")
        r = bob.wait(jmi("reject", sid), what="reject")
        self.assertIsNotNone(r.find(f"{{{NS_JMI}}}reject/{{{NS_J}}}reason"))

    def test_6_05_direct_session_initiate(self):
        """6.5 session-initiate without JMI works too"""
        uas = self.uas(uas_call())
        sid = "call605"
        to = f"1002@{COMPONENT}/phone"
        self.set_jingle(to, jingle_offer(sid, self.alice.jid, candidates=True),
                        "si-" + sid)
        acc = self.alice.wait(is_jingle("session-accept", sid), what="accept")
        self.ack(acc)
        self.set_jingle(to, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def test_6_06_dtmf_and_sip_hangup(self):
        """6.6 SIP side hangs up: session-terminate <success/>"""
        # the UAS answers, then the test hangs up from SIP by a UAC-less
        # path: a UAS scenario that sends BYE itself
        scen = uas_call(wait_bye=False).replace("</scenario>", """
  <pause milliseconds="800"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$to_hdr]
      To: [$from_hdr]
      Call-ID: [call_id]
      CSeq: 10 BYE
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>""").replace('<recv request="INVITE" rrs="true"/>',
            '<recv request="INVITE" rrs="true"><action>'
            '<ereg regexp=".*" search_in="hdr" header="From:" assign_to="from_hdr"/>'
            '<ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>'
            '</action></recv>')
        scen = scen.replace("From: [$to_hdr]", "From: [$to_hdr];tag=[pid]SIPpTag01[call_number]")
        uas = self.uas(scen)
        sid = "call606"
        self.place_call(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid), what="accept")
        self.ack(acc)
        t = self.alice.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t)
        self.assertIsNotNone(t.find(f"{{{NS_J}}}jingle/{{{NS_J}}}reason/{{{NS_J}}}success"))
        self.assertEqual(uas.wait(20), 0, uas.errors())


class InboundCases:
    """SIP -> XMPP; SIPp calls the gateway directly (no outbound proxy)."""
    use_proxy = False

    def answer_call(self, expect_media="audio"):
        a = self.alice
        p = a.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        desc = p.find(f"{{{NS_JMI}}}propose/{{{NS_RTP}}}description")
        self.assertEqual(desc.get("media"), expect_media)
        gw_full = p.get("from")
        a.send_raw(f"<message type='chat' to='{gw_full}' id='jm-proceed-{sid}'>"
                   f"<proceed xmlns='{NS_JMI}' id='{sid}'/><store xmlns='urn:xmpp:hints'/>"
                   "</message>")
        si = a.wait(is_jingle("session-initiate", sid), what="session-initiate")
        self.ack(si)
        self.check_initiate(si)
        self.set_jingle(gw_full, jingle_accept(sid, gw_full, a.jid,
                                                offered_name(si)), "sa-" + sid)
        return sid, gw_full

    def check_initiate(self, si):
        j = si.find(f"{{{NS_J}}}jingle")
        self.assertEqual(j.get("initiator"), si.get("from"))
        self.assertIsNotNone(j.find(f"{{{NS_J}}}content/{{{NS_RTP}}}description"))

    def test_6_10_sip_calls_xmpp(self):
        """6.10 SIP calls alice: propose, proceed, initiate, accept -> 200;
        the SIP caller hangs up -> session-terminate"""
        uac = self.sipp.start(uac_call(), remote=self.gw_target(), timeout=30)
        sid, _ = self.answer_call()
        t = self.alice.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_11_reject_is_decline(self):
        """6.11 alice rejects: 603 Decline"""
        uac = self.sipp.start(uac_call(final=603), remote=self.gw_target(),
                              timeout=30)
        p = self.alice.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        self.alice.send_raw(
            f"<message type='chat' to='{p.get('from')}'><reject xmlns='{NS_JMI}' "
            f"id='{sid}'><reason xmlns='{NS_J}'><decline/></reason></reject></message>")
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_12_cancel_is_retract(self):
        """6.12 the SIP caller cancels while it rings: <retract>"""
        uac = self.sipp.start(uac_call(cancel_after_ms=700),
                              remote=self.gw_target(), timeout=30)
        p = self.alice.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        r = self.alice.wait(jmi("retract", sid), what="retract")
        self.assertIsNotNone(r.find(f"{{{NS_JMI}}}retract/{{{NS_J}}}reason/{{{NS_J}}}cancel"))
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_13_no_answer(self):
        """6.13 nobody answers within no_answer_s: 480 and <retract>"""
        uac = self.sipp.start(uac_call(final=480), remote=self.gw_target(),
                              timeout=30)
        p = self.alice.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        self.alice.wait(jmi("retract", sid), timeout=15, what="retract")
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_14_hangup_from_xmpp(self):
        """6.14 alice hangs up an answered SIP call: BYE"""
        uac = self.sipp.start(uac_call(bye_after_ms=None),
                              remote=self.gw_target(), timeout=30)
        sid, gw_full = self.answer_call()
        time.sleep(1.0)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_16_sip_info_dtmf_and_hold(self):
        """6.16 SIP INFO dtmf-relay -> XEP-0181 <dtmf/>; a re-INVITE with
        sendonly -> <hold/>, sendrecv -> <active/>"""
        hold_sdp = PLAIN_SDP.replace("a=sendrecv", "a=sendonly").replace(
            "o=phone 1 1", "o=phone 1 2").replace("\n", "\r\n")
        resume_sdp = PLAIN_SDP.replace("o=phone 1 1", "o=phone 1 3").replace(
            "\n", "\r\n")
        extra = ""
        for cseq, sdp in ((3, hold_sdp), (4, resume_sdp)):
            extra += f"""
  <send retrans="500"><![CDATA[
      INVITE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INVITE
      Contact: <sip:1001@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

{sdp}]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} ACK
      Max-Forwards: 70
      Content-Length: 0

  ]]></send>
  <pause milliseconds="300"/>
"""
        info = f"""
  <pause milliseconds="500"/>
  <send retrans="500"><![CDATA[
      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1001@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 INFO
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

Signal=7
Duration=160
]]></send>
  <recv response="200"/>
"""
        scen = uac_call(bye_after_ms=300).replace(
            '  <pause milliseconds="300"/>\n  <send retrans="500"><![CDATA[\n      BYE',
            info + extra + '  <pause milliseconds="300"/>\n  <send retrans="500"><![CDATA[\n      BYE')
        scen = scen.replace("CSeq: 2 BYE", "CSeq: 5 BYE")
        uac = self.sipp.start(scen, remote=self.gw_target(), timeout=30)
        sid, _ = self.answer_call()
        d = self.alice.wait(lambda s: s.find(f"{{{NS_J}}}jingle/"
                                             "{urn:xmpp:jingle:dtmf:0}dtmf")
                            is not None, what="dtmf")
        self.ack(d)
        self.assertEqual(d.find(f"{{{NS_J}}}jingle/{{urn:xmpp:jingle:dtmf:0}}dtmf")
                         .get("code"), "7")
        h = self.alice.wait(lambda s: s.find(f"{{{NS_J}}}jingle/"
                                             "{urn:xmpp:jingle:apps:rtp:info:1}hold")
                            is not None, what="hold")
        self.ack(h)
        r = self.alice.wait(lambda s: s.find(f"{{{NS_J}}}jingle/"
                                             "{urn:xmpp:jingle:apps:rtp:info:1}active")
                            is not None, what="active")
        self.ack(r)
        t = self.alice.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(30), 0, uac.errors())

    # ---- without JMI (issue 6): the gateway learns the callee's features
    # from her presence (XEP-0115) or disco#info, and sends the
    # session-initiate straight to her client when none does JMI

    def callee(self, user, resource, features, caps=True):
        """user's client online with 1001@component in her roster, both ways
        subscribed, so that her presence reaches the gateway; returns once
        the gateway has learnt her features."""
        res = f"{resource}{self.relay}"
        c = CallClient(self.env, user, res,
                       list(features) + [f"urn:gwtest:{res}"], caps).connect()
        self.addCleanup(c.close)
        c.send_raw(f"<presence to='1001@{COMPONENT}' type='subscribe'/>")
        self.gw.proc.wait_log(re.escape(f"caps: {c.jid} ") +
                              r"('ver' \S+ verified|has \d+ features)", 15)
        if caps:
            self.assertIn(f"{CLIENT_NODE}#{c.ver}", c.disco_queries)
        else:
            self.assertIn(None, c.disco_queries)
        return c

    def direct_initiate(self, c):
        si = c.wait(is_jingle("session-initiate"), what="direct session-initiate")
        self.assertEqual(si.get("to"), c.jid)
        self.ack(si, c)
        self.check_initiate(si)
        sid = si.find(f"{{{NS_J}}}jingle").get("sid")
        self.gw.proc.wait_log(re.escape(f"session-initiate straight to {c.jid}"), 5)
        return si, sid

    def assert_no_propose(self, c):
        with self.assertRaises(AssertionError):
            c.wait(jmi("propose"), timeout=0.3, what="propose")

    def test_6_30_direct_without_jmi(self):
        """6.30 bob's client advertises Jingle RTP audio but not JMI (caps):
        session-initiate straight to it, no propose; accept -> 200/ACK;
        the SIP caller hangs up -> session-terminate"""
        bob = self.callee("bob", "r630", JINGLE_AUDIO)
        uac = self.sipp.start(uac_call(user="bob"), remote=self.gw_target(),
                              timeout=30)
        si, sid = self.direct_initiate(bob)
        gw_full = si.get("from")
        bob.send_raw(f"<iq type='set' to='{gw_full}' id='sa-{sid}'>"
                     f"{jingle_accept(sid, gw_full, bob.jid, offered_name(si))}</iq>")
        r = bob.wait(lambda s: s.get("id") == f"sa-{sid}", what="accept ack")
        self.assertEqual(r.get("type"), "result")
        t = bob.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t, bob)
        self.assertEqual(uac.wait(30), 0, uac.errors())
        self.assert_no_propose(bob)

    def test_6_31_jmi_client_gets_propose(self):
        """6.31 carol's client advertises JMI: propose as before; her
        reject -> 603"""
        carol = self.callee("carol", "r631", JINGLE_AUDIO + [NS_JMI])
        uac = self.sipp.start(uac_call(user="carol", final=603),
                              remote=self.gw_target(), timeout=30)
        p = carol.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        self.gw.proc.wait_log(re.escape(f"JMI propose to {carol.bare}: "
                                        f"{carol.jid} advertises JMI"), 5)
        carol.send_raw(
            f"<message type='chat' to='{p.get('from')}'><reject xmlns='{NS_JMI}' "
            f"id='{sid}'><reason xmlns='{NS_J}'><decline/></reason></reject></message>")
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_32_direct_decline(self):
        """6.32 a client without caps (disco#info asked directly), no JMI:
        direct session-initiate; it declines -> 603"""
        bob = self.callee("bob", "r632", JINGLE_AUDIO, caps=False)
        uac = self.sipp.start(uac_call(user="bob", final=603),
                              remote=self.gw_target(), timeout=30)
        si, sid = self.direct_initiate(bob)
        bob.send_raw(f"<iq type='set' to='{si.get('from')}' id='st-{sid}'>"
                     f"<jingle xmlns='{NS_J}' action='session-terminate' "
                     f"sid='{sid}'><reason><decline/></reason></jingle></iq>")
        self.assertEqual(uac.wait(30), 0, uac.errors())
        self.assert_no_propose(bob)

    def test_6_33_direct_no_answer(self):
        """6.33 direct session-initiate nobody answers within no_answer_s:
        session-terminate <timeout/> and 480"""
        bob = self.callee("bob", "r633", JINGLE_AUDIO)
        uac = self.sipp.start(uac_call(user="bob", final=480),
                              remote=self.gw_target(), timeout=30)
        _, sid = self.direct_initiate(bob)
        t = bob.wait(is_jingle("session-terminate", sid), timeout=15,
                     what="terminate")
        self.ack(t, bob)
        self.assertIsNotNone(t.find(f"{{{NS_J}}}jingle/{{{NS_J}}}reason/"
                                    f"{{{NS_J}}}timeout"))
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_34_direct_cancel(self):
        """6.34 the SIP caller cancels a direct call: session-terminate
        <cancel/>, 487"""
        bob = self.callee("bob", "r634", JINGLE_AUDIO)
        uac = self.sipp.start(uac_call(user="bob", cancel_after_ms=1000),
                              remote=self.gw_target(), timeout=30)
        _, sid = self.direct_initiate(bob)
        t = bob.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t, bob)
        self.assertIsNotNone(t.find(f"{{{NS_J}}}jingle/{{{NS_J}}}reason/"
                                    f"{{{NS_J}}}cancel"))
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_36_forged_iq_error_ignored(self):
        """6.36 another user answers the session-initiate's id with an iq
        error: ignored (the call goes on); bob's decline -> 603"""
        bob = self.callee("bob", "r636", JINGLE_AUDIO)
        carol = self.callee("carol", "r636c", JINGLE_AUDIO)
        uac = self.sipp.start(uac_call(user="bob", final=603),
                              remote=self.gw_target(), timeout=30)
        si = bob.wait(is_jingle("session-initiate"), what="session-initiate")
        sid = si.find(f"{{{NS_J}}}jingle").get("sid")
        # before bob's own answer, while the gateway still awaits one
        carol.send_raw(f"<iq type='error' to='{si.get('from')}' "
                       f"id='{si.get('id')}'><error type='cancel'>"
                       f"<service-unavailable xmlns='{gwtest.NS_STANZAS}'/>"
                       "</error></iq>")
        self.gw.proc.wait_log(re.escape(f"from {carol.jid}, not {bob.jid}: "
                                        "ignored"), 5)
        self.ack(si, bob)
        bob.send_raw(f"<iq type='set' to='{si.get('from')}' id='st-{sid}'>"
                     f"<jingle xmlns='{NS_J}' action='session-terminate' "
                     f"sid='{sid}'><reason><decline/></reason></jingle></iq>")
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_35_direct_iq_error(self):
        """6.35 the client refuses the session-initiate with an iq error
        (service-unavailable): 480; and a client lacking Jingle RTP audio
        gets a propose instead"""
        bob = self.callee("bob", "r635", JINGLE_AUDIO)
        uac = self.sipp.start(uac_call(user="bob", final=480),
                              remote=self.gw_target(), timeout=30)
        si = bob.wait(is_jingle("session-initiate"), what="session-initiate")
        bob.send_raw(f"<iq type='error' to='{si.get('from')}' id='{si.get('id')}'>"
                     "<error type='cancel'><service-unavailable "
                     f"xmlns='{gwtest.NS_STANZAS}'/></error></iq>")
        self.assertEqual(uac.wait(30), 0, uac.errors())
        bob.close()
        carol = self.callee("carol", "r635", [NS_J, NS_RTP])  # no audio, ICE
        uac = self.sipp.start(uac_call(user="carol", cancel_after_ms=1000),
                              remote=self.gw_target(), timeout=30)
        carol.wait(jmi("propose"), what="propose")
        self.gw.proc.wait_log(re.escape(f"JMI propose to {carol.bare}: no "
                                        "resource advertises JMI, none can "
                                        "take the session"), 5)
        self.assertEqual(uac.wait(30), 0, uac.errors())

    def test_6_15_unknown_session(self):
        """6.15 Jingle for an unknown sid: item-not-found + unknown-session"""
        self.alice.send_raw(f"<iq type='set' to='1001@{COMPONENT}/sip' id='u1'>"
                            f"<jingle xmlns='{NS_J}' action='session-terminate' "
                            "sid='nope'/></iq>")
        e = self.alice.wait(lambda s: s.get("id") == "u1", what="error")
        self.assertEqual(e.get("type"), "error")
        self.assertIsNotNone(e.find("error/{urn:xmpp:jingle:errors:1}unknown-session"))


class OutboundPassThrough(OutboundCases, CallsBase):
    """XMPP -> SIP signalling with relay = none (SDP passes through)."""
    relay = "none"

    @classmethod
    def extra_config(cls):
        return {"calls__dtmf": "info"}


class InboundPassThrough(InboundCases, CallsBase):
    """SIP -> XMPP signalling with relay = none."""
    relay = "none"


class OutboundRtpengine(OutboundCases, CallsBase):
    """XMPP -> SIP with the media anchored in a real rtpengine: the INVITE
    carries plain RTP/AVP, the session-accept ICE + DTLS-SRTP."""
    relay = "rtpengine"

    def check_invite(self, uas):
        msgs = uas.messages()
        invite = msgs[msgs.index("INVITE sip:"):]
        invite = invite[:invite.index("-----")] if "-----" in invite else invite
        self.assertIn("RTP/AVP", invite)
        self.assertNotIn("a=fingerprint", invite)
        self.assertNotIn("a=ice-ufrag", invite)
        self.assertIn("c=IN IP4 127.0.0.1", invite)

    def check_accept(self, acc):
        super().check_accept(acc)
        self.check_relay_accept(acc)

    def check_relay_accept(self, acc):
        """What rtpengine makes of a session-accept (test_calls_field too)."""
        tr = acc.find(f"{{{NS_J}}}jingle/{{{NS_J}}}content/{{{NS_ICE}}}transport")
        self.assertIsNotNone(tr)
        self.assertTrue(tr.get("ufrag") and tr.get("pwd"))
        fp = tr.find(f"{{{NS_DTLS}}}fingerprint")
        self.assertIsNotNone(fp)
        # an answer must never say actpass (dino#1072)
        self.assertIn(fp.get("setup"), ("active", "passive"))
        self.assertTrue(tr.findall(f"{{{NS_ICE}}}candidate"))
        # rtpengine drops BUNDLE; the gateway puts the offer's group back
        grp = acc.find(f"{{{NS_J}}}jingle/"
                       "{urn:xmpp:jingle:apps:grouping:0}group")
        self.assertIsNotNone(grp)

    def test_6_20_rtpengine_down(self):
        """6.20 rtpengine unreachable: the call fails cleanly
        (failed-application), no INVITE, a clear log line"""
        self.rtpe.stop()
        try:
            sid = "call620"
            self.propose(sid)
            p = self.alice.wait(jmi("proceed", sid), what="proceed")
            self.set_jingle(p.get("from"), jingle_offer(sid, self.alice.jid),
                            "si-" + sid)
            t = self.alice.wait(is_jingle("session-terminate", sid),
                                timeout=15, what="terminate")
            self.ack(t)
            self.assertIsNotNone(t.find(f"{{{NS_J}}}jingle/{{{NS_J}}}reason/"
                                        f"{{{NS_J}}}failed-application"))
            self.gw.proc.wait_log(r"media relay failed: rtpengine at", 5)
        finally:
            self.rtpe.start()


class InboundRtpengine(InboundCases, CallsBase):
    """SIP -> XMPP with a real rtpengine: the session-initiate carries ICE +
    DTLS-SRTP, the 200 OK plain RTP/AVP."""
    relay = "rtpengine"

    def check_initiate(self, si):
        super().check_initiate(si)
        tr = si.find(f"{{{NS_J}}}jingle/{{{NS_J}}}content/{{{NS_ICE}}}transport")
        self.assertIsNotNone(tr)
        fp = tr.find(f"{{{NS_DTLS}}}fingerprint")
        self.assertIsNotNone(fp)
        self.assertTrue(tr.findall(f"{{{NS_ICE}}}candidate"))


class LinkDrop(CallsBase):
    """6.18 the XMPP link drops mid-call: the SIP side gets a BYE."""
    relay = "none"

    def test_6_18_link_drop(self):
        uas = self.uas(uas_call())
        sid = "call618"
        self.place_call(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid), what="accept")
        self.ack(acc)
        time.sleep(0.3)
        self.env.prosody.stop()
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.gw.proc.wait_log(r"XMPP link lost: ending 1 call", 5)
        self.env.prosody.start()
        self.gw.proc.wait_log(r"XMPP link up", 10, count=2)


# CallsBase has no cases of its own (they are mixins): the loader runs
# none for it; test_calls_ring.py (issue 15) builds on it.

if __name__ == "__main__":
    gwtest.main()
