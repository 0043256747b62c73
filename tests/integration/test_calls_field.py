#!/usr/bin/python3
"""Issue 15, calls in the field: what the gateway refuses, answers and
strips. Cases 15.x against real Prosody, SIPp and rtpengine, on the
helpers of test_calls.py (6.x); who rings and for how long is
test_calls_ring.py.

XMPP calls SIP (rtpengine):
  15.1  rtpengine refuses "play DTMF": her <dtmf/> iq gets an error
  15.5  an offer without a fingerprint or ICE credentials: bad-request
  15.6  too many contents, 15.7 a 23 KB fmtp: policy-violation, no INVITE
  15.8  a proxy that swallows the INVITE: <timeout/> at no_answer_s
  15.40 a Chrome-style offer: no WebRTC-only line in the INVITE
  15.42 a session-initiate refused after JMI ends the call it had become
XMPP calls SIP, dtmf = info:
  15.2  the INFO refused, 15.3 unanswered, 15.4 requests kept in order
SIP calls XMPP (rtpengine):
  15.41 her Chrome-style answer: no WebRTC-only line in the 200 OK
  15.9  a session-accept with setup='actpass': bad-request, 488"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
import test_calls  # noqa: E402
from gwtest import COMPONENT  # noqa: E402
from test_calls import (NS_J, NS_JMI, CallsBase, is_jingle,  # noqa: E402
                        jingle_accept, jingle_offer, jmi, offered_name,
                        uac_call, uas_call)


# What Chrome's description adds (XEP-0294 header extensions, XEP-0293
# feedback, XEP-0339 sources with msid) and a plain RTP phone cannot use.
WEBRTC_EXTRAS = (
    "<rtp-hdrext xmlns='urn:xmpp:jingle:apps:rtp:rtp-hdrext:0' id='1' "
    "uri='urn:ietf:params:rtp-hdrext:ssrc-audio-level'/>"
    "<rtp-hdrext xmlns='urn:xmpp:jingle:apps:rtp:rtp-hdrext:0' id='3' "
    "uri='http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01'/>"
    "<rtcp-fb xmlns='urn:xmpp:jingle:apps:rtp:rtcp-fb:0' type='transport-cc'/>"
    "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='2992613145'>"
    "<parameter name='cname' value='Yd1zR3Wr1KmZ4kdf'/>"
    "<parameter name='msid' value='stream0 track0'/></source>"
    "<stream xmlns='urn:xmpp:jingle:apps:rtp:msid:0' id='stream0' track='track0'/>")
# ... and none of it may reach the SIP side
WEBRTC_LINES = ("a=extmap", "a=msid", "a=ssrc", "a=rtcp-fb", "transport-cc")


def with_webrtc_extras(jingle):
    """The description of every content, Chrome-style."""
    return jingle.replace("<rtcp-mux/>\n</description>",
                          "<rtcp-mux/>" + WEBRTC_EXTRAS + "</description>")


def sip_message(msgs, first_line):
    """The SIP message starting with first_line in a SIPp trace."""
    m = msgs[msgs.index(first_line):]
    return m[:m.index("-----")] if "-----" in m else m


class FieldOutbound(CallsBase):
    """XMPP -> SIP with the media anchored in a real rtpengine."""
    relay = "rtpengine"

    def check_accept(self, acc):
        test_calls.OutboundCases.check_accept(self, acc)
        self.check_relay_accept(acc)

    check_relay_accept = test_calls.OutboundRtpengine.check_relay_accept

    def test_15_01_dtmf_refused_by_relay(self):
        """15.1 dtmf = rfc4733: rtpengine refuses "play DTMF" before the
        client sent RTP ("No SSRC context"): her <dtmf/> iq gets an error
        with rtpengine's words, not a result; the call goes on"""
        uas = self.uas(uas_call())
        sid = "call1501"
        gw_full = self.place_call(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid), what="accept")
        self.ack(acc)
        self.alice.send_raw(
            f"<iq type='set' to='{gw_full}' id='dt-{sid}'>"
            f"<jingle xmlns='{NS_J}' action='session-info' sid='{sid}'>"
            "<dtmf xmlns='urn:xmpp:jingle:dtmf:0' code='12' duration='100'/>"
            "</jingle></iq>")
        r = self.alice.wait(lambda s: s.get("id") == f"dt-{sid}",
                            what="dtmf answer")
        self.assertEqual(r.get("type"), "error", gwtest.ET.tostring(r, "unicode"))
        self.assertEqual(gwtest.error_condition(r)[0], "undefined-condition")
        self.assertIn("SSRC", gwtest.ET.tostring(r, "unicode"))
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())


    def test_15_40_no_webrtc_lines_toward_sip(self):
        """15.40 a Chrome-style offer (extmap, msid, ssrc, rtcp-fb
        transport-cc): the INVITE's RTP/AVP SDP has none of those lines;
        the session-accept is WebRTC as ever"""
        uas = self.uas(uas_call())
        sid = "call1540"
        gw_full = self.place_call_with(sid, with_webrtc_extras(
            jingle_offer(sid, self.alice.jid)))
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.check_accept(acc)
        invite = sip_message(uas.messages(), "INVITE sip:")
        self.assertIn("RTP/AVP", invite)
        for line in WEBRTC_LINES:
            self.assertNotIn(line, invite)
        self.assertIn("a=rtpmap:111 opus/48000/2", invite)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def place_call_with(self, sid, offer, callee="1001"):
        """place_call() with this session-initiate."""
        a = self.alice
        self.propose(sid, f"{callee}@{COMPONENT}")
        p = a.wait(jmi("proceed", sid), what="proceed")
        gw_full = p.get("from")
        self.set_jingle(gw_full, offer, "si-" + sid)
        return gw_full

    def refused_initiate(self, sid, jingle):
        """A direct session-initiate the gateway must refuse: its iq error
        (condition, text); no call remains."""
        to = f"1002@{COMPONENT}/phone"
        self.alice.send_raw(f"<iq type='set' to='{to}' id='si-{sid}'>{jingle}</iq>")
        r = self.alice.wait(lambda s: s.get("id") == f"si-{sid}", what="answer")
        self.assertEqual(r.get("type"), "error", gwtest.ET.tostring(r, "unicode"))
        self.gw.proc.wait_log(rf"call {sid} from .* refused", 5)
        self.assertNotIn(f"call {sid}: INVITE", self.gw.log())
        # refused before it became a call: no state machine to misstep
        self.assertNotIn(f"call {sid}: new -> ", self.gw.log())
        return gwtest.error_condition(r)[0], gwtest.ET.tostring(r, "unicode")

    def test_15_05_offer_without_fingerprint(self):
        """15.5 an offer without a DTLS fingerprint (XEP-0320; the relay
        speaks DTLS-SRTP to her) or without ICE ufrag/pwd (XEP-0176):
        bad-request with a text, no INVITE"""
        sid = "call1505"
        offer = re.sub(r"<fingerprint .*?</fingerprint>", "",
                       jingle_offer(sid, self.alice.jid), flags=re.S)
        cond, text = self.refused_initiate(sid, offer)
        self.assertEqual(cond, "bad-request")
        self.assertIn("XEP-0320", text)
        sid = "call1505b"
        offer = jingle_offer(sid, self.alice.jid).replace(
            " ufrag='Ab1c' pwd='ThisIsAnIcePasswordOf24c'", "")
        cond, text = self.refused_initiate(sid, offer)
        self.assertEqual(cond, "bad-request")
        self.assertIn("XEP-0176", text)

    def test_15_42_jmi_offer_refused_ends_call(self):
        """15.42 after <propose/> and <proceed/>, a refused session-initiate
        ends the call it had become (no timer left to run out, no INVITE)"""
        sid = "call1542"
        self.propose(sid)
        p = self.alice.wait(jmi("proceed", sid), what="proceed")
        offer = re.sub(r"<fingerprint .*?</fingerprint>", "",
                       jingle_offer(sid, self.alice.jid), flags=re.S)
        self.alice.send_raw(f"<iq type='set' to='{p.get('from')}' "
                            f"id='si-{sid}'>{offer}</iq>")
        r = self.alice.wait(lambda s: s.get("id") == f"si-{sid}", what="answer")
        self.assertEqual(r.get("type"), "error")
        self.assertEqual(gwtest.error_condition(r)[0], "bad-request")
        self.gw.proc.wait_log(rf"call {sid} \(XMPP->SIP, out-proceeding\) ends", 5)
        self.assertNotIn(f"call {sid}: INVITE", self.gw.log())

    def test_15_06_too_many_contents(self):
        """15.6 40 audio contents in one offer (the relay's ports):
        policy-violation, nothing reaches rtpengine or SIP"""
        sid = "call1506"
        offer = jingle_offer(sid, self.alice.jid)
        m = re.search(r"<content .*?</content>", offer, flags=re.S)
        many = "".join(m.group(0).replace("name='0'", f"name='{i}'")
                       for i in range(40))
        offer = offer.replace(m.group(0), many).replace(
            "<content name='0'/>", "")
        cond, text = self.refused_initiate(sid, offer)
        self.assertEqual(cond, "policy-violation")
        self.assertIn("40 contents", text)

    def test_15_07_huge_fmtp(self):
        """15.7 a 23 KB fmtp parameter: policy-violation (max_sdp_bytes)
        before it can make an INVITE a proxy drops"""
        sid = "call1507"
        offer = jingle_offer(sid, self.alice.jid).replace(
            "name='useinbandfec' value='1'",
            "name='useinbandfec' value='" + "1" * 23 * 1024 + "'")
        cond, text = self.refused_initiate(sid, offer)
        self.assertEqual(cond, "policy-violation")
        self.assertIn("bytes", text)

    def test_15_08_invite_swallowed(self):
        """15.8 the proxy takes the INVITE (100 Trying) and never answers:
        nta has no timer for that (timer B stops at the 100, timer C is off
        unless NTATAG_TIMER_C is set); the call ends at no_answer_s with
        <timeout/> and a CANCEL"""
        scen = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="swallow">
  <recv request="INVITE"/>
""" + gwtest.sipp_ok(status="100 Trying") + """
  <recv request="CANCEL" timeout="20000"/>""" + gwtest.sipp_ok() + """
  <send><![CDATA[
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
        uas = self.uas(scen)
        sid = "call1508"
        t0 = time.monotonic()
        self.place_call(sid)
        t = self.alice.wait(is_jingle("session-terminate", sid), timeout=15,
                            what="terminate")
        took = time.monotonic() - t0
        self.ack(t)
        self.assertIsNotNone(t.find(f"{{{NS_J}}}jingle/{{{NS_J}}}reason/"
                                    f"{{{NS_J}}}timeout"))
        self.assertGreaterEqual(took, 5.0)  # no_answer_s = 6
        self.assertEqual(uas.wait(20), 0, uas.errors())


class DtmfOutcome(CallsBase):
    """15.2-15.4 dtmf = info: her <dtmf/> iq is answered with the INFO's
    outcome; requests keep their order, one INFO at a time."""
    relay = "none"

    @classmethod
    def extra_config(cls):
        return {"calls__dtmf": "info", "calls__dtmf_timeout_ms": 1500}

    def dtmf(self, gw_full, sid, iid, code):
        self.alice.send_raw(
            f"<iq type='set' to='{gw_full}' id='{iid}'>"
            f"<jingle xmlns='{NS_J}' action='session-info' sid='{sid}'>"
            f"<dtmf xmlns='urn:xmpp:jingle:dtmf:0' code='{code}' duration='100'/>"
            "</jingle></iq>")

    def call(self, sid, scenario):
        uas = self.uas(scenario)
        gw_full = self.place_call(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid), what="accept")
        self.ack(acc)
        time.sleep(0.3)
        return uas, gw_full

    def hang_up(self, uas, gw_full, sid):
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-terminate' "
                        f"sid='{sid}'><reason><success/></reason></jingle>", "st-" + sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def test_15_02_info_refused(self):
        """15.2 the SIP peer answers the INFO 488: an error, with its words"""
        sid = "call1502"
        uas, gw_full = self.call(sid, uas_call(
            info=True, info_status="488 Not Acceptable Here"))
        self.dtmf(gw_full, sid, "d1502", "7")
        r = self.alice.wait(lambda s: s.get("id") == "d1502", what="answer")
        self.assertEqual(r.get("type"), "error")
        self.assertEqual(gwtest.error_condition(r)[0], "undefined-condition")
        self.assertIn("488", gwtest.ET.tostring(r, "unicode"))
        self.hang_up(uas, gw_full, sid)

    def test_15_03_info_unanswered(self):
        """15.3 the INFO gets no answer: an error after dtmf_timeout_ms"""
        sid = "call1503"
        uas, gw_full = self.call(sid, uas_call(info=True, info_status=None))
        t0 = time.monotonic()
        self.dtmf(gw_full, sid, "d1503", "9")
        r = self.alice.wait(lambda s: s.get("id") == "d1503", timeout=10,
                            what="answer")
        took = time.monotonic() - t0
        self.assertEqual(r.get("type"), "error")
        self.assertEqual(gwtest.error_condition(r)[0], "service-unavailable")
        self.assertGreaterEqual(took, 1.3)
        self.hang_up(uas, gw_full, sid)

    def test_15_04_queued_in_order(self):
        """15.4 two requests, three digits: INFOs go one at a time in
        order (each after the last one's 200), results in order"""
        sid = "call1504"
        infos = ""
        for _ in range(3):
            infos += """
  <recv request="INFO"/>
  <pause milliseconds="200"/>""" + gwtest.sipp_ok()
        scen = uas_call().replace('  <recv request="BYE"', infos + '\n  <recv request="BYE"')
        uas, gw_full = self.call(sid, scen)
        self.dtmf(gw_full, sid, "d1504a", "12")
        self.dtmf(gw_full, sid, "d1504b", "#")
        got = []
        for _ in range(2):
            r = self.alice.wait(lambda s: s.get("id", "").startswith("d1504"),
                                what="answers")
            got.append((r.get("id"), r.get("type")))
        self.assertEqual(got, [("d1504a", "result"), ("d1504b", "result")])
        self.hang_up(uas, gw_full, sid)
        msgs = uas.messages()
        sig = re.findall(r"Signal=(.)", msgs)
        self.assertEqual(sig, ["1", "2", "#"])

class FieldInbound(CallsBase):
    """SIP -> XMPP with a real rtpengine."""
    relay = "rtpengine"

    # the InboundCases helper: her client online, subscribed both ways
    callee = test_calls.InboundCases.callee

    def test_15_41_no_webrtc_lines_in_200(self):
        """15.41 SIP calls alice, her client answers Chrome-style: the 200
        OK's SDP has no extmap, msid, ssrc or rtcp-fb"""
        uac = self.sipp.start(uac_call(bye_after_ms=300),
                              remote=self.gw_target(), timeout=30)
        a = self.alice
        p = a.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        gw_full = p.get("from")
        a.send_raw(f"<message type='chat' to='{gw_full}' id='jm-proceed-{sid}'>"
                   f"<proceed xmlns='{NS_JMI}' id='{sid}'/></message>")
        si = a.wait(is_jingle("session-initiate", sid), what="session-initiate")
        self.ack(si)
        self.set_jingle(gw_full, with_webrtc_extras(
            jingle_accept(sid, gw_full, a.jid, offered_name(si))), "sa-" + sid)
        t = a.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(30), 0, uac.errors())
        ok = sip_message(uac.messages(), "SIP/2.0 200 OK")
        self.assertIn("m=audio", ok)
        for line in WEBRTC_LINES:
            self.assertNotIn(line, ok)

    def test_15_09_accept_actpass_refused(self):
        """15.9 a session-accept whose fingerprint says actpass (an
        answer never may: RFC 5763 5, dino#1072): bad-request, the SIP
        caller gets 488, her session is terminated"""
        uac = self.sipp.start(uac_call(final=488), remote=self.gw_target(),
                              timeout=30)
        a = self.alice
        p = a.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        gw_full = p.get("from")
        a.send_raw(f"<message type='chat' to='{gw_full}' id='jm-proceed-{sid}'>"
                   f"<proceed xmlns='{NS_JMI}' id='{sid}'/></message>")
        si = a.wait(is_jingle("session-initiate", sid), what="session-initiate")
        self.ack(si)
        acc = jingle_accept(sid, gw_full, a.jid, offered_name(si)).replace(
            "setup='active'", "setup='actpass'")
        a.send_raw(f"<iq type='set' to='{gw_full}' id='sa-{sid}'>{acc}</iq>")
        r = a.wait(lambda s: s.get("id") == f"sa-{sid}", what="accept answer")
        self.assertEqual(r.get("type"), "error")
        self.assertEqual(gwtest.error_condition(r)[0], "bad-request")
        self.assertIn("actpass", gwtest.ET.tostring(r, "unicode"))
        t = a.wait(is_jingle("session-terminate", sid), what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(30), 0, uac.errors())


del CallsBase  # only the concrete classes run

if __name__ == "__main__":
    gwtest.main()
