#!/usr/bin/python3
"""Issue 18, video calls: Jingle video contents <-> SIP video m= lines
through a real rtpengine, against real Prosody and SIPp phones. Cases are
numbered 18.x, on the helpers of test_calls.py (6.x); the real browser and
the real video phone are test_webrtc.py (18.20 on).

rtpengine 10.5 gives each m= line a port of its own and knows no BUNDLE
(it came in mr14): toward her client two live contents are never bundled;
a video the phone refuses (port 0) stays in the session-accept,
senders='none', on the audio bundle (Conversations ends a session whose
accept lacks an offered media).

XMPP calls SIP:
  18.1  audio+video to a video phone: two m= lines, two ports, no BUNDLE
  18.2  audio+video to an audio-only phone (video port 0): the accept
        keeps video, senders='none', bundled on audio
  18.3  a propose of video alone is proceeded (no longer refused)
  18.4  content-add of video in an audio call: re-INVITE with video; the
        phone's answer -> content-accept
  18.5  content-add to a phone that refuses video (port 0): content-reject
  18.6  content-add before the answer: unexpected-request
  18.7  content-remove of video: a re-INVITE with video at port 0
  18.40 her content-modify: she only receives video (senders = the
        phone's role): acked, a re-INVITE with m=video a=recvonly
  18.41 as 18.40, then back to 'both': a second re-INVITE, a=sendrecv
  18.42 content-modify of an unknown content: item-not-found, no
        re-INVITE
  18.43 as 18.40, the phone answers 488: the call goes on as it was
  18.16 content-add retracted (content-remove) while its re-INVITE is
        out, the phone takes video: a second re-INVITE drops it, she
        hears nothing more of it, the call goes on
  18.17 as 18.2, then the phone re-INVITEs with video still at port 0:
        no content-remove to her (she never had that video live)
  18.26 the phone adds video to her audio call, then drops it: our
        content-add and content-modify name creator='responder'
  18.27 she removes video, then adds video under the same name: the
        re-INVITE reuses the m= line, content-accept
  18.28 as 18.16, the phone refuses the video: no second re-INVITE,
        nothing more for her
  18.32 as 18.2, then the phone turns video on (the port-0 slot at a
        port): content-add to her under a fresh name; she accepts: 200 OK
        with live video, rtpengine has both video legs; the phone then
        drops it and turns it on again: content-modify of that name
  18.33 as 18.32, she rejects it: 200 OK m=video 0; the phone's refresh
        offering it again gets no second content-add
SIP calls XMPP:
  18.10 an INVITE with audio+video: propose with both, session-initiate
        with two contents; both accepted -> 200 OK with two live m= lines
  18.11 her client accepts audio only: the 200 OK answers video port 0
  18.12 the phone re-INVITEs adding video: content-add to her client,
        which rejects it: 200 OK with video port 0
  18.13 as 18.12, she takes it (content-accept): 200 OK with live video
  18.14 as 18.12, she never answers: retracted (content-remove) after
        20 s, 200 OK with video port 0
  18.15 an audio+video call; the phone re-INVITEs with video port 0:
        content-modify senders='responder' to her client (a content-remove
        ends a Conversations call; not senders='none', which
        Conversations since 2.13 ends the call on), 200 OK with m=video
        0, audio goes on
  18.22 the phone turns video off and on again (the same m= line at a
        port), twice: content-modify 'responder' / 'both', each 200 OK
        to an on has live video, rtpengine kept her video transport
  18.23 as 18.22 once, she answers the content-modify with an error:
        m=video 0, the call goes on
  18.24 as 18.23, no answer: after 10 s content-modify back, m=video 0
  18.25 she adds video with creator='responder': content-accept and
        content-modify name it
  18.29 one re-INVITE drops video and adds another video line:
        content-modify of the dropped one, the new line port 0
  18.34 after a drop, one re-INVITE turns video on again and adds another
        video line: content-modify 'both' and content-add together; she
        takes both: one 200 OK, every line live
  18.35 as 18.34, she rejects the added line: it alone is port 0
  18.36 as 18.34, no answer to the content-modify: after 10 s back to
        'responder'; the 200 OK has the added line live, the other port 0
  18.37 she took audio only (18.11): a refresh offering video again is
        not offered to her; after video at port 0 a port for it is a
        content-add (a name she never had), taken: live video
  18.44 her content-modify right after her session-accept (she takes
        video without her camera): applied once the call is up, one
        re-INVITE with m=video a=recvonly
  18.45 her content-modify of our pending content-add (Dino taking video
        without her camera), then content-accept: 200 OK a=recvonly
  18.48 the phone re-INVITEs adding video; she hangs up instead of
        answering the content-add: the re-INVITE gets 487 (RFC 3261
        15.1.2), then our BYE
[calls] video_fast_update (off in the classes above):
  18.30 audio+video to a video phone: two INFO picture_fast_update
        (RFC 5168) at 0.5 s and 2 s
  18.31 audio+video to an audio-only phone: no INFO"""

import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
import test_calls  # noqa: E402
import test_calls_ring  # noqa: E402
from gwtest import COMPONENT, wait_for  # noqa: E402
from test_calls import (FP, NS_DTLS, NS_ICE, NS_J, NS_JMI, NS_RTP,  # noqa: E402
                        CallsBase, is_jingle, jmi, uac_call, uas_call)

NS_GROUP = "urn:xmpp:jingle:apps:grouping:0"
NS_FB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0"

VIDEO_DESC = f"""<description xmlns='{NS_RTP}' media='video'>
<payload-type id='96' name='VP8' clockrate='90000'>
<rtcp-fb xmlns='{NS_FB}' type='nack'/><rtcp-fb xmlns='{NS_FB}' type='nack' subtype='pli'/>
<rtcp-fb xmlns='{NS_FB}' type='ccm' subtype='fir'/><rtcp-fb xmlns='{NS_FB}' type='transport-cc'/>
</payload-type>
<payload-type id='97' name='rtx' clockrate='90000'><parameter name='apt' value='96'/></payload-type>
<payload-type id='102' name='H264' clockrate='90000'>
<parameter name='level-asymmetry-allowed' value='1'/><parameter name='packetization-mode' value='1'/>
<parameter name='profile-level-id' value='42e01f'/>
<rtcp-fb xmlns='{NS_FB}' type='nack' subtype='pli'/></payload-type>
<payload-type id='103' name='rtx' clockrate='90000'><parameter name='apt' value='102'/></payload-type>
<payload-type id='116' name='red' clockrate='90000'/>
<payload-type id='117' name='ulpfec' clockrate='90000'/>
<rtcp-mux/>
</description>"""

AUDIO_DESC = f"""<description xmlns='{NS_RTP}' media='audio'>
<payload-type id='111' name='opus' clockrate='48000' channels='2'><parameter name='useinbandfec' value='1'/></payload-type>
<payload-type id='0' name='PCMU' clockrate='8000'/>
<payload-type id='101' name='telephone-event' clockrate='8000'/>
<rtcp-mux/>
</description>"""


def transport(ufrag="Ab1c", pwd="ThisIsAnIcePasswordOf24c", setup="actpass"):
    return (f"<transport xmlns='{NS_ICE}' ufrag='{ufrag}' pwd='{pwd}'>"
            f"<fingerprint xmlns='{NS_DTLS}' hash='sha-256' setup='{setup}'>"
            f"{FP}</fingerprint></transport>")


def av_offer(sid, initiator, video=True, audio=True):
    """Chrome/Conversations style: audio '0' and video '1', BUNDLE 0 1."""
    contents, names = "", ""
    if audio:
        contents += (f"<content creator='initiator' name='0' senders='both'>"
                     f"{AUDIO_DESC}{transport()}</content>")
        names += "<content name='0'/>"
    if video:
        contents += (f"<content creator='initiator' name='1' senders='both'>"
                     f"{VIDEO_DESC}{transport()}</content>")
        names += "<content name='1'/>"
    return (f"<jingle xmlns='{NS_J}' action='session-initiate' sid='{sid}' "
            f"initiator='{initiator}'>{contents}"
            f"<group xmlns='{NS_GROUP}' semantics='BUNDLE'>{names}</group>"
            "</jingle>")


AUDIO_M = """m=audio 6000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
"""
SDP_HEAD = """v=0
o=phone 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
"""
VIDEO_PHONE_SDP = SDP_HEAD + AUDIO_M + """m=video 6002 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=sendrecv
"""
# the phone's answer to her receiving video only (18.40)
VIDEO_SENDONLY_PHONE_SDP = SDP_HEAD + AUDIO_M + """m=video 6002 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=sendonly
"""
AUDIO_ONLY_PHONE_SDP = SDP_HEAD + AUDIO_M + """m=video 0 RTP/AVP 96
a=rtpmap:96 VP8/90000
"""
# the phone's answers while she holds (18.46): it only receives
HELD_PHONE_SDP = (SDP_HEAD + AUDIO_M + """m=video 6002 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=recvonly
""").replace("a=sendrecv", "a=recvonly")
HELD_NO_VIDEO_PHONE_SDP = (SDP_HEAD + AUDIO_M + """m=video 6002 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=inactive
""").replace("a=sendrecv", "a=recvonly")


def contents(stanza):
    return stanza.findall(f"{{{NS_J}}}jingle/{{{NS_J}}}content")


def media_of(content):
    d = content.find(f"{{{NS_RTP}}}description")
    return d.get("media") if d is not None else None


def m_lines(sdp):
    return re.findall(r"^m=(\w+) (\d+) (\S+)", sdp, re.M)


def sip_body(msgs, first_line):
    m = msgs[msgs.index(first_line):]
    m = m[:m.index("-----")] if "-----" in m else m
    return m


# our To tag in a dialog-creating SIPp answer
TAG = "[pid]SIPpTag01[call_number]"


def reinvited_uas(first_sdp, *re_sdps):
    """SIPp UAS: INVITE -> 180 -> 200 (first_sdp), then each re-INVITE
    from the gateway answered 200 (re_sdps in turn, o= version 2, 3
    ...); then BYE."""
    first = first_sdp.replace("\n", "\r\n")
    steps = ""
    for version, sdp in enumerate(re_sdps, 2):
        body = sdp.replace("o=phone 1 1", f"o=phone 1 {version}")
        steps += ("""
  <recv request="INVITE" timeout="20000"/>"""
                  + gwtest.sipp_ok(sdp=body.replace("\n", "\r\n"))
                  + """  <recv request="ACK"/>""")
    return """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="uas re-INVITE">
  <recv request="INVITE" rrs="true"/>
""" + test_calls.RINGING + gwtest.sipp_ok(sdp=first, to_tag=TAG) + """  <recv request="ACK"/>""" + steps + """
  <recv request="BYE" timeout="20000"/>""" + gwtest.sipp_ok() + """</scenario>
"""


def uas_reinviting(first_sdp, *re_sdps, pause_ms=800, answered=()):
    """SIPp UAS, the phone her call reaches: INVITE -> 180 -> 200
    (first_sdp); then a re-INVITE from the gateway answered 200 with each
    of `answered`; then each of re_sdps in a re-INVITE of the phone's own
    (CSeq 10, 11 ...; o= versions after those of `answered`) -> 200 ->
    ACK, pause_ms apart; then BYE."""
    def req(method, cseq, body=None, retrans=""):
        ctype = "      Content-Type: application/sdp\n" if body else ""
        contact = ("      Contact: <sip:[local_ip]:[local_port]>\n"
                   if method == "INVITE" else "")
        return f"""
  <send{retrans}><![CDATA[
      {method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$to_hdr];tag=[pid]SIPpTag01[call_number]
      To: [$from_hdr]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
{contact}      Max-Forwards: 70
{ctype}      Content-Length: [len]

{body or ""}]]></send>"""
    steps = ""
    for k, sdp in enumerate(answered):
        body = sdp.replace("o=phone 1 1", f"o=phone 1 {k + 2}")
        steps += ("""
  <recv request="INVITE" timeout="20000"/>"""
                  + gwtest.sipp_ok(sdp=body.replace("\n", "\r\n"))
                  + """  <recv request="ACK"/>""")
    for k, sdp in enumerate(re_sdps):
        body = sdp.replace("o=phone 1 1",
                           f"o=phone 1 {len(answered) + k + 2}")
        steps += f"""
  <pause milliseconds="{pause_ms}"/>""" + req(
            "INVITE", 10 + k, body.replace("\n", "\r\n"),
            ' retrans="500"') + """
  <recv response="100" optional="true"/>
  <recv response="200" timeout="25000"/>""" + req("ACK", 10 + k)
    return uas_call(sdp=first_sdp, wait_bye=False).replace(
        "</scenario>", steps + """
  <recv request="BYE" timeout="20000"/>""" + gwtest.sipp_ok() + """
</scenario>""").replace(
        '<recv request="INVITE" rrs="true"/>',
        '<recv request="INVITE" rrs="true"><action>'
        '<ereg regexp=".*" search_in="hdr" header="From:" '
        'assign_to="from_hdr"/><ereg regexp=".*" search_in="hdr" '
        'header="To:" assign_to="to_hdr"/></action></recv>')


AUDIO_ONLY_SDP = SDP_HEAD + AUDIO_M


def slow_reinvited_uas(first_sdp, re_sdp, re2_sdp=None, delay_ms=2000):
    """SIPp UAS: INVITE -> 200 (first_sdp); a re-INVITE answered 100 at
    once and 200 (re_sdp) after delay_ms; a second re-INVITE answered 200
    (re2_sdp; None: there is none); then BYE."""
    def ok(sdp, version):
        body = sdp.replace("o=phone 1 1", f"o=phone 1 {version}")
        body = body.replace("\n", "\r\n")
        return gwtest.sipp_ok(sdp=body) + """  <recv request="ACK"/>"""
    trying = """
  <send><![CDATA[
      SIP/2.0 100 Trying
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

]]></send>"""
    first = first_sdp.replace("\n", "\r\n")
    return """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="uas slow re-INVITE">
  <recv request="INVITE" rrs="true"/>
""" + test_calls.RINGING + gwtest.sipp_ok(sdp=first, to_tag=TAG) + f"""  <recv request="ACK"/>
  <recv request="INVITE" timeout="20000"/>{trying}
  <pause milliseconds="{delay_ms}"/>{ok(re_sdp, 2)}""" + ("" if re2_sdp is None else f"""
  <recv request="INVITE" timeout="20000"/>{ok(re2_sdp, 3)}""") + """
  <recv request="BYE" timeout="20000"/>""" + gwtest.sipp_ok() + """</scenario>
"""


def jingle(action, sid, body):
    """A Jingle element of `action` in session `sid` around `body`."""
    return f"<jingle xmlns='{NS_J}' action='{action}' sid='{sid}'>{body}</jingle>"


def modify_stub(name, senders, creator="initiator"):
    """A content-modify's <content/> of `name` to `senders`."""
    return (f"<content creator='{creator}' name='{name}' "
            f"senders='{senders}'/>")


def video_taken(creator, name, senders="both"):
    """Her content-accept's <content/> taking video `name`."""
    return (f"<content creator='{creator}' name='{name}' senders='{senders}'>"
            f"{VIDEO_DESC}"
            f"{transport('Zz9y', 'AnotherIcePasswordOf24ch', 'active')}"
            "</content>")


def content_add(sid, initiator, name="1", senders="both"):
    return (f"<jingle xmlns='{NS_J}' action='content-add' sid='{sid}' "
            f"initiator='{initiator}'><content creator='initiator' "
            f"name='{name}' senders='{senders}'>{VIDEO_DESC}{transport()}"
            "</content></jingle>")


def bdecode(b, i=0):
    """(value, next index) of the bencoded item at b[i] (rtpengine's ng
    answers): dicts with str keys, strings as bytes."""
    c = b[i:i + 1]
    if c == b"d":
        d, i = {}, i + 1
        while b[i:i + 1] != b"e":
            k, i = bdecode(b, i)
            d[k.decode()], i = bdecode(b, i)
        return d, i + 1
    if c == b"l":
        out, i = [], i + 1
        while b[i:i + 1] != b"e":
            v, i = bdecode(b, i)
            out.append(v)
        return out, i + 1
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    return b[j + 1:j + 1 + n], j + 1 + n


def relay_query(port, call_id):
    """rtpengine's ng "query" answer for call_id, decoded."""
    cid = call_id.encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    try:
        s.sendto(b"q1 d7:command5:query7:call-id%d:%se" % (len(cid), cid),
                 (gwtest.HOST, port))
        data = s.recv(65536)
    finally:
        s.close()
    return bdecode(data, data.index(b" ") + 1)[0]


def relay_video(port, call_id):
    """{tag: (local port, the peer's port)} of the RTP stream of the
    video of each of rtpengine's call legs (tags "s": the phone's, "x":
    hers), from its ng "query"."""
    out = {}
    for tag, leg in relay_query(port, call_id).get("tags", {}).items():
        for m in leg.get("medias", []):
            if m.get("type") == b"video" and m.get("streams"):
                st = m["streams"][0]
                out[tag] = (st.get("local port", 0),
                            st.get("endpoint", {}).get("port", 0))
    return out


class HerClient:
    """Her client through a whole call, for the CallsBase classes."""

    def hang_up(self, gw_full, sid):
        """She ends the call (session-terminate, success)."""
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' "
                        f"action='session-terminate' sid='{sid}'><reason>"
                        "<success/></reason></jingle>", "st-" + sid)

    def her_side(self, sid, on_modify="result", on_add="ack", until=None):
        """Her client until the call ends (or until(sets) is true): acks
        every Jingle set of ours,
        a content-modify as on_modify says ("result", "error": an iq
        error, "silent": no answer to one turning a stream on), a
        content-add as on_add says ("ack"; "accept": then a
        content-accept of it, creator and name as it said; "reject": a
        content-reject of it); returns the sets in order."""
        def over(got):
            if not got:
                return False
            j = got[-1].find(f"{{{NS_J}}}jingle")
            if j.get("action") == "session-terminate":
                self.assertEqual(j.get("sid"), sid)
                return True
            return until is not None and until(got)
        return self.her_sets(sid, over, on_modify, on_add, 45,
                             "no session-terminate")

    def her_until(self, sid, done, on_modify="result", on_add="ack",
                  timeout=40):
        """Her client as her_side() says until done() is true; the sets
        she got, in order."""
        return self.her_sets(sid, lambda got: done(), on_modify, on_add,
                             timeout, "her_until: not done")

    def her_sets(self, sid, over, on_modify, on_add, timeout, why):
        """Her client answering each Jingle set of ours (answer_set())
        until over(sets so far) is true, `timeout` s at most (failing
        with `why`); the sets, in order."""
        got = []
        end = time.monotonic() + timeout
        while not over(got):
            self.assertLess(time.monotonic(), end, why)
            try:
                s = self.alice.wait(lambda s: s.get("type") == "set" and
                                    s.find(f"{{{NS_J}}}jingle") is not None,
                                    timeout=0.3, what="jingle set")
            except AssertionError:
                continue
            got.append(s)
            self.answer_set(s, sid, on_modify, on_add)
        return got

    def answer_set(self, s, sid, on_modify="result", on_add="ack"):
        """Her client's answer to our Jingle set s, as her_side() says."""
        j = s.find(f"{{{NS_J}}}jingle")
        turning_on = (j.get("action") == "content-modify" and
                      {c.get("senders") for c in contents(s)} == {"both"})
        if turning_on and on_modify == "error":
            self.alice.send_raw(
                f"<iq type='error' to='{s.get('from')}' "
                f"id='{s.get('id')}'><error type='cancel'>"
                "<feature-not-implemented xmlns='urn:ietf:params:xml:"
                "ns:xmpp-stanzas'/></error></iq>")
        elif not (turning_on and on_modify == "silent"):
            self.ack(s)
        if j.get("action") == "content-add" and on_add == "reject":
            body = "".join(
                f"<content creator='{c.get('creator')}' "
                f"name='{c.get('name')}' senders='both'>"
                f"<description xmlns='{NS_RTP}' media='{media_of(c)}'/>"
                "</content>" for c in contents(s))
            self.set_jingle(s.get("from"),
                            jingle("content-reject", sid, body),
                            "crej-" + s.get("id"))
        if j.get("action") == "content-add" and on_add == "accept":
            body = "".join(video_taken(c.get("creator"), c.get("name"))
                           for c in contents(s))
            self.set_jingle(s.get("from"),
                            jingle("content-accept", sid, body),
                            "cacc-" + s.get("id"))

    def modify(self, gw_full, sid, senders, name="1", iid=None):
        """Her content-modify of content `name` (video) to `senders`;
        the answer (result or error)."""
        iid = iid or f"cm-{sid}-{senders}"
        self.alice.send_raw(
            f"<iq type='set' to='{gw_full}' id='{iid}'>"
            f"{jingle('content-modify', sid, modify_stub(name, senders))}"
            "</iq>")
        return self.alice.wait(lambda s: s.get("id") == iid,
                               what=f"answer {iid}")

    @staticmethod
    def actions(sets, action):
        """(name, creator, senders, media) of the contents of each set
        of `action` (senders left out: 'both', XEP-0166 7)."""
        return [[(c.get("name"), c.get("creator"), c.get("senders", "both"),
                  media_of(c)) for c in contents(s)] for s in sets
                if s.find(f"{{{NS_J}}}jingle").get("action") == action]

    def modifies(self, sets):
        return self.actions(sets, "content-modify")


class VideoOutbound(HerClient, CallsBase):
    """XMPP -> SIP with video, rtpengine anchoring both m= lines."""
    relay = "rtpengine"
    # /metrics on: no call left in the gateway nor in rtpengine (18.16),
    # as test_calls_ring checks it
    _ring = test_calls_ring.RingNoOfflineStorage
    metrics = _ring.metrics
    relay_calls = _ring.relay_calls
    wait_no_calls = _ring.wait_no_calls

    @classmethod
    def extra_config(cls):
        cls.http_port = gwtest.free_port()
        return {"admin__http_listen": f"{gwtest.HOST}:{cls.http_port}",
                "admin__http_allow": "127.0.0.1",
                # more calls of hers in a minute than the default 10
                "calls__attempts_per_minute": 100,
                # no RFC 5168 INFO in these scenarios (VideoFastUpdate)
                "calls__video_fast_update": False}

    def place_av(self, sid, video=True, audio=True):
        a = self.alice
        media = (["audio"] if audio else []) + (["video"] if video else [])
        descs = "".join(f"<description xmlns='{NS_RTP}' media='{m}'/>"
                        for m in media)
        a.send_raw(f"<message type='chat' to='1001@{COMPONENT}' "
                   f"id='jm-propose-{sid}'><propose xmlns='{NS_JMI}' "
                   f"id='{sid}'>{descs}</propose></message>")
        p = a.wait(jmi("proceed", sid), what="proceed")
        gw_full = p.get("from")
        self.set_jingle(gw_full, av_offer(sid, a.jid, video, audio),
                        "si-" + sid)
        return gw_full

    def test_18_01_video_phone(self):
        """18.1 audio+video to a video phone: the INVITE has two plain
        m= lines on two ports without WebRTC lines; the accept two
        contents on two transports, no BUNDLE"""
        uas = self.uas(uas_call(sdp=VIDEO_PHONE_SDP))
        sid = "call1801"
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        invite = sip_body(uas.messages(), "INVITE sip:")
        ms = m_lines(invite)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], invite)
        self.assertEqual({m[2] for m in ms}, {"RTP/AVP"}, invite)
        self.assertNotEqual(ms[0][1], ms[1][1], "one port per m= line")
        self.assertIn("VP8/90000", invite)
        self.assertIn("H264/90000", invite)
        self.assertIn("profile-level-id=42e01f", invite)
        self.assertIn("apt=96", invite)  # RTX as offered
        for line in ("a=extmap", "a=ssrc", "a=rtcp-fb", "a=fingerprint",
                     "a=ice-ufrag", "a=group"):
            self.assertNotIn(line, invite)
        cs = contents(acc)
        self.assertEqual([media_of(c) for c in cs], ["audio", "video"])
        self.assertEqual([c.get("name") for c in cs], ["0", "1"])
        ports = set()
        for c in cs:
            self.assertNotEqual(c.get("senders"), "none")
            tr = c.find(f"{{{NS_ICE}}}transport")
            self.assertIsNotNone(tr.find(f"{{{NS_DTLS}}}fingerprint"))
            cands = tr.findall(f"{{{NS_ICE}}}candidate")
            self.assertTrue(cands)
            ports.add(cands[0].get("port"))
        self.assertEqual(len(ports), 2, "each content its own relay port")
        self.assertIsNone(acc.find(f"{{{NS_J}}}jingle/{{{NS_GROUP}}}group"),
                          "rtpengine 10.5 cannot demultiplex a bundle")
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def test_18_02_audio_only_phone(self):
        """18.2 audio+video to an audio-only phone (video port 0): the
        accept keeps the video content, senders='none', on the audio
        bundle; audio is live"""
        uas = self.uas(uas_call(sdp=AUDIO_ONLY_PHONE_SDP))
        sid = "call1802"
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        cs = contents(acc)
        self.assertEqual([media_of(c) for c in cs], ["audio", "video"])
        self.assertNotEqual(cs[0].get("senders"), "none")
        self.assertEqual(cs[1].get("senders"), "none")
        ta = cs[0].find(f"{{{NS_ICE}}}transport")
        tv = cs[1].find(f"{{{NS_ICE}}}transport")
        self.assertEqual(ta.get("ufrag"), tv.get("ufrag"))
        self.assertFalse(tv.findall(f"{{{NS_ICE}}}candidate"))
        grp = acc.find(f"{{{NS_J}}}jingle/{{{NS_GROUP}}}group")
        self.assertIsNotNone(grp)
        self.assertEqual([c.get("name") for c in grp], ["0", "1"])
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())

    def add_video(self, sid, re_sdp):
        uas = self.uas(reinvited_uas(AUDIO_ONLY_SDP, re_sdp))
        gw_full = self.place_av(sid, video=False)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.assertEqual([media_of(c) for c in contents(acc)], ["audio"])
        self.set_jingle(gw_full, content_add(sid, self.alice.jid), "ca-" + sid)
        r = self.alice.wait(lambda s: is_jingle("content-accept", sid)(s) or
                            is_jingle("content-reject", sid)(s),
                            what="content-accept or -reject")
        self.ack(r)
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        msgs = uas.messages()
        reinvite = msgs[msgs.index("INVITE sip:", msgs.index("ACK sip:")):]
        return r, reinvite[:reinvite.index("-----")]

    def test_18_04_content_add_video(self):
        """18.4 content-add of video in an audio call: a re-INVITE with
        audio and video; the phone takes it -> content-accept with the
        relay's ICE/DTLS transport for video"""
        r, reinvite = self.add_video("call1804", VIDEO_PHONE_SDP)
        self.assertEqual([m[0] for m in m_lines(reinvite)],
                         ["audio", "video"], reinvite)
        self.assertTrue(all(m[1] != "0" for m in m_lines(reinvite)))
        self.assertNotIn("a=rtcp-fb", reinvite)
        j = r.find(f"{{{NS_J}}}jingle")
        self.assertEqual(j.get("action"), "content-accept")
        cs = contents(r)
        self.assertEqual([(c.get("name"), media_of(c)) for c in cs],
                         [("1", "video")])
        tr = cs[0].find(f"{{{NS_ICE}}}transport")
        self.assertIn(tr.find(f"{{{NS_DTLS}}}fingerprint").get("setup"),
                      ("active", "passive"))
        self.assertTrue(tr.findall(f"{{{NS_ICE}}}candidate"))

    def test_18_05_content_add_refused(self):
        """18.5 content-add to an audio-only phone (video port 0):
        content-reject naming her content, media and senders; the call
        goes on"""
        r, _ = self.add_video("call1805", AUDIO_ONLY_PHONE_SDP)
        j = r.find(f"{{{NS_J}}}jingle")
        self.assertEqual(j.get("action"), "content-reject")
        cs = contents(r)
        self.assertEqual([(c.get("name"), media_of(c), c.get("senders"),
                           c.get("creator")) for c in cs],
                         [("1", "video", "both", "initiator")])

    def test_18_06_content_add_before_answer(self):
        """18.6 content-add before the phone answers: unexpected-request"""
        uas = self.uas(uas_call(sdp=AUDIO_ONLY_SDP, ring=True, final=486,
                                reason="Busy Here"))
        sid = "call1806"
        gw_full = self.place_av(sid, video=False)
        iid = "ca-" + sid
        self.alice.send_raw(f"<iq type='set' to='{gw_full}' id='{iid}'>"
                            f"{content_add(sid, self.alice.jid)}</iq>")
        r = self.alice.wait(lambda s: s.get("id") == iid, what="answer")
        self.assertEqual(r.get("type"), "error")
        self.assertIsNotNone(r.find("error/{urn:ietf:params:xml:ns:"
                                    "xmpp-stanzas}unexpected-request"))
        t = self.alice.wait(is_jingle("session-terminate", sid),
                            what="terminate")
        self.ack(t)
        uas.wait(20)

    def invites(self, uas, count):
        """The INVITEs the SIPp phone got (its trace), `count` of them."""
        msgs = uas.messages()
        at = [i for i in range(len(msgs)) if msgs.startswith("INVITE sip:", i)]
        self.assertEqual(len(at), count, "the INVITE and its re-INVITEs")
        return [msgs[i:msgs.index("-----", i)] for i in at]

    def remove_video(self, sid, scenario):
        """An audio+video call to the SIPp `scenario`; her content-remove
        of video ('1'), its re-INVITE answered. Returns (the SIPp run, our
        full JID)."""
        uas = self.uas(scenario)
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' "
                        f"action='content-remove' sid='{sid}'>"
                        "<content creator='initiator' name='1'/></jingle>",
                        "cr-" + sid)
        time.sleep(1.0)  # its re-INVITE and answer
        return uas, gw_full

    def test_18_07_content_remove_video(self):
        """18.7 an audio+video call to a video phone; her client removes
        video (content-remove): acked, a re-INVITE with m=video port 0,
        audio goes on"""
        sid = "call1807"
        uas, gw_full = self.remove_video(sid, reinvited_uas(
            VIDEO_PHONE_SDP, AUDIO_ONLY_PHONE_SDP))
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        msgs = uas.messages()
        reinvite = msgs[msgs.index("INVITE sip:", msgs.index("ACK sip:")):]
        reinvite = reinvite[:reinvite.index("-----")]
        ms = m_lines(reinvite)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], reinvite)
        self.assertNotEqual(ms[0][1], "0", reinvite)
        self.assertEqual(ms[1][1], "0", reinvite)

    @staticmethod
    def video_direction(sdp):
        """The video m= line's port and direction attribute."""
        video = sdp[sdp.index("m=video"):]
        d = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)", video,
                       re.M)
        return m_lines(video)[0][1], d[0] if d else "sendrecv"

    def modify_call(self, sid, scenario, *senders):
        """An audio+video call to the SIPp `scenario`; her content-modify
        of video to each of `senders` in turn, each answered result.
        Returns (the SIPp run, our full JID)."""
        uas = self.uas(scenario)
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        for who in senders:
            r = self.modify(gw_full, sid, who)
            self.assertEqual(r.get("type"), "result",
                             gwtest.ET.tostring(r, "unicode"))
            time.sleep(1.0)  # its re-INVITE and answer
        return uas, gw_full

    def no_end_for_her(self):
        for s in self.alice.drain():
            j = s.find(f"{{{NS_J}}}jingle")
            self.assertFalse(j is not None and
                             j.get("action") == "session-terminate",
                             "the call goes on")

    def test_18_40_content_modify_receive_only(self):
        """18.40 an audio+video call; she takes video without her camera
        (content-modify senders='responder', the phone's role, as Dino
        sends it): iq result, a re-INVITE whose video line has a port and
        a=recvonly (she only receives), audio untouched; the call goes
        on"""
        sid = "call1840"
        uas, gw_full = self.modify_call(sid, reinvited_uas(
            VIDEO_PHONE_SDP, VIDEO_SENDONLY_PHONE_SDP), "responder")
        self.no_end_for_her()
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        _, re1 = self.invites(uas, 2)
        ms = m_lines(re1)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], re1)
        self.assertNotEqual(ms[0][1], "0", re1)
        self.assertEqual(self.video_direction(re1)[1], "recvonly", re1)
        self.assertNotEqual(self.video_direction(re1)[0], "0", re1)
        audio = re1[re1.index("m=audio"):re1.index("m=video")]
        self.assertNotIn("recvonly", audio, re1)
        self.assertNotIn("sendonly", audio, re1)

    def test_18_41_content_modify_back_to_both(self):
        """18.41 as 18.40, then she turns her camera on (content-modify
        senders='both'): a second re-INVITE with video a=sendrecv"""
        sid = "call1841"
        uas, gw_full = self.modify_call(sid, reinvited_uas(
            VIDEO_PHONE_SDP, VIDEO_PHONE_SDP, VIDEO_PHONE_SDP),
            "responder", "both")
        self.no_end_for_her()
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        _, re1, re2 = self.invites(uas, 3)
        self.assertEqual(self.video_direction(re1)[1], "recvonly", re1)
        port, d = self.video_direction(re2)
        self.assertNotEqual(port, "0", re2)
        self.assertEqual(d, "sendrecv", re2)

    @staticmethod
    def directions(sdp):
        """{media: direction attribute} of each m= section."""
        out = {}
        for sec in re.split(r"^(?=m=)", sdp, flags=re.M)[1:]:
            d = re.findall(r"^a=(sendrecv|sendonly|recvonly|inactive)", sec,
                           re.M)
            out[m_lines(sec)[0][0]] = d[0] if d else "sendrecv"
        return out

    def session_info(self, gw_full, sid, what):
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='session-info' "
                        f"sid='{sid}'><{what} xmlns='urn:xmpp:jingle:apps:rtp:info:1'/>"
                        "</jingle>", f"{what}-{sid}")
        time.sleep(1.0)  # its re-INVITE and answer

    def test_18_46_content_modify_on_hold(self):
        """18.46 an audio+video call; she holds (<hold/>: a re-INVITE with
        audio and video a=sendonly), then takes video without her camera
        (content-modify senders='responder') while holding: its re-INVITE
        stays on hold (audio a=sendonly, video a=inactive: she neither
        sends video nor receives anything), not sendrecv; her <active/>
        gives the call back as she left it (audio a=sendrecv, video
        a=recvonly), not sendrecv everywhere (RFC 3264 8.4)"""
        sid = "call1846"
        uas = self.uas(reinvited_uas(
            VIDEO_PHONE_SDP, HELD_PHONE_SDP, HELD_NO_VIDEO_PHONE_SDP,
            VIDEO_SENDONLY_PHONE_SDP))
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.session_info(gw_full, sid, "hold")
        r = self.modify(gw_full, sid, "responder")
        self.assertEqual(r.get("type"), "result",
                         gwtest.ET.tostring(r, "unicode"))
        time.sleep(1.0)  # its re-INVITE and answer
        self.session_info(gw_full, sid, "active")
        self.no_end_for_her()
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        _, hold, modify, active = self.invites(uas, 4)
        self.assertEqual(self.directions(hold),
                         {"audio": "sendonly", "video": "sendonly"}, hold)
        self.assertEqual(self.directions(modify),
                         {"audio": "sendonly", "video": "inactive"}, modify)
        self.assertNotEqual(self.video_direction(modify)[0], "0", modify)
        self.assertEqual(self.directions(active),
                         {"audio": "sendrecv", "video": "recvonly"}, active)

    def test_18_47_phone_refreshes_while_held(self):
        """18.47 an audio+video call; she holds (a re-INVITE with audio and
        video a=sendonly); the phone then refreshes the session with a
        re-INVITE of its own offering sendrecv as before: our 200 answers
        on hold (audio and video a=sendonly, RFC 3264 8.4 and 6.1), not
        sendrecv; nothing ends for her"""
        sid = "call1847"
        uas = self.uas(uas_reinviting(VIDEO_PHONE_SDP, VIDEO_PHONE_SDP,
                                      answered=(HELD_PHONE_SDP,)))
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.session_info(gw_full, sid, "hold")
        time.sleep(2.0)  # the phone's re-INVITE, 0.8 s after the hold's ACK
        self.no_end_for_her()
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        msgs = uas.messages()
        # ours, the hold, and the phone's own (the trace has both ways)
        hold = self.invites(uas, 3)[1]
        self.assertEqual(self.directions(hold),
                         {"audio": "sendonly", "video": "sendonly"}, hold)
        at = msgs.rindex("SIP/2.0 200 OK", 0, msgs.rindex("CSeq: 10 INVITE"))
        answer = sip_body(msgs[at:], "SIP/2.0 200 OK")
        self.assertIn("m=video", answer)
        self.assertEqual(self.directions(answer),
                         {"audio": "sendonly", "video": "sendonly"}, answer)

    def test_18_42_content_modify_unknown(self):
        """18.42 content-modify of a content the session lacks:
        item-not-found; a content-modify changing nothing ('both' as it
        is): result; no re-INVITE for either"""
        sid = "call1842"
        uas = self.uas(reinvited_uas(VIDEO_PHONE_SDP))
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        r = self.modify(gw_full, sid, "responder", name="nope")
        self.assertEqual(r.get("type"), "error")
        self.assertIsNotNone(r.find("error/{urn:ietf:params:xml:ns:"
                                    "xmpp-stanzas}item-not-found"))
        r = self.modify(gw_full, sid, "both")
        self.assertEqual(r.get("type"), "result")
        time.sleep(1.0)
        self.no_end_for_her()
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.invites(uas, 1)

    def test_18_43_content_modify_refused(self):
        """18.43 as 18.40, the phone answers the re-INVITE 488: the call
        goes on as it was (a content-modify back to 'both' then changes
        nothing: no second re-INVITE); the hang-up is clean"""
        sid = "call1843"
        scen = reinvited_uas(VIDEO_PHONE_SDP).replace(
            """  <recv request="BYE" timeout="20000"/>""",
            """  <recv request="INVITE" timeout="20000"/>"""
            + gwtest.sipp_ok(status="488 Not Acceptable Here")
            + """  <recv request="ACK"/>
  <recv request="BYE" timeout="20000"/>""")
        uas, gw_full = self.modify_call(sid, scen, "responder", "both")
        self.no_end_for_her()
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        _, re1 = self.invites(uas, 2)
        self.assertEqual(self.video_direction(re1)[1], "recvonly", re1)
        self.wait_no_calls()

    def retract_while_out(self, sid, scenario):
        """An audio call to the SIPp `scenario` (a slow_reinvited_uas());
        her content-add of video, retracted by her content-remove while
        its re-INVITE is out. Returns (the SIPp run, our full JID)."""
        uas = self.uas(scenario)
        gw_full = self.place_av(sid, video=False)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.set_jingle(gw_full, content_add(sid, self.alice.jid), "ca-" + sid)
        time.sleep(0.5)  # the re-INVITE is out, unanswered (2 s)
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' "
                        f"action='content-remove' sid='{sid}'>"
                        "<content creator='initiator' name='1' "
                        f"senders='both'><description xmlns='{NS_RTP}' "
                        "media='video'/></content></jingle>", "cr-" + sid)
        return uas, gw_full

    def test_18_16_content_add_retracted(self):
        """18.16 her content-add of video is retracted (content-remove)
        while our re-INVITE is out; the phone then takes video: a second
        re-INVITE drops it (m=video 0), she hears nothing more of it (no
        content-accept or -reject), the call stays up and hangs up clean"""
        sid = "call1816"
        uas, gw_full = self.retract_while_out(sid, slow_reinvited_uas(
            AUDIO_ONLY_SDP, VIDEO_PHONE_SDP, AUDIO_ONLY_PHONE_SDP))
        time.sleep(3.5)  # the answer, the second re-INVITE and its answer
        for s in self.alice.drain():
            j = s.find(f"{{{NS_J}}}jingle")
            self.assertFalse(j is not None and
                             j.get("action", "").startswith("content-"),
                             "nothing more for her: "
                             + gwtest.ET.tostring(s, "unicode")[:300])
            self.assertFalse(j is not None and
                             j.get("action") == "session-terminate",
                             "the call goes on")
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.wait_no_calls()
        _, re1, re2 = self.invites(uas, 3)
        self.assertEqual([m[0] for m in m_lines(re1)], ["audio", "video"])
        self.assertTrue(all(m[1] != "0" for m in m_lines(re1)), re1)
        ms = m_lines(re2)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], re2)
        self.assertNotEqual(ms[0][1], "0", re2)
        self.assertEqual(ms[1][1], "0", re2)

    def test_18_17_phone_refreshes_refused_video(self):
        """18.17 audio+video to an audio-only phone (video port 0, as
        18.2); the phone then re-INVITEs with video still at port 0 (a
        session refresh): no content-remove to her (she never had live
        video from it), the 200 OK keeps m=video 0, the call goes on"""
        scen = uas_reinviting(AUDIO_ONLY_PHONE_SDP, AUDIO_ONLY_PHONE_SDP)
        uas = self.uas(scen)
        sid = "call1817"
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.assertEqual(contents(acc)[1].get("senders"), "none")
        time.sleep(2.0)  # the phone's re-INVITE and its 200
        for s in self.alice.drain():
            j = s.find(f"{{{NS_J}}}jingle")
            self.assertFalse(j is not None and j.get("action") in
                             ("content-remove", "session-terminate"),
                             gwtest.ET.tostring(s, "unicode")[:300])
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        msgs = uas.messages()
        ok = msgs[msgs.index("SIP/2.0 200 OK", msgs.index("CSeq: 10 INVITE")
                             - 400):]
        ok = sip_body(ok, "SIP/2.0 200 OK")
        ms = m_lines(ok[ok.index("v=0"):])
        self.assertEqual([m[0] for m in ms], ["audio", "video"], ok)
        self.assertEqual(ms[1][1], "0", ok)

    def test_18_26_phone_adds_then_drops_video_creator(self):
        """18.26 she calls with audio (we are the responder); the phone
        re-INVITEs adding video: our content-add names creator='responder'
        (the side that added it); she takes it; the phone then drops it:
        the content-modify names creator='responder' too (Dino answers a
        creator other than the content's with bad-request)"""
        uas = self.uas(uas_reinviting(AUDIO_ONLY_SDP, VIDEO_PHONE_SDP,
                                      AUDIO_ONLY_PHONE_SDP))
        sid = "call1826"
        answered = len(re.findall("re-INVITE answered", self.gw.log()))
        gw_full = self.place_av(sid, video=False)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        sets = self.her_side(sid, on_add="accept",
                             until=lambda sets: self.modifies(sets))
        # the phone's second re-INVITE is answered once rtpengine has
        # answered, which can be after her content-modify; hung up before,
        # it gets 487 (18.48), not what this phone expects
        self.gw.proc.wait_log("re-INVITE answered", 10, count=answered + 2)
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        adds = self.actions(sets, "content-add")
        self.assertEqual(len(adds), 1, adds)
        name = adds[0][0][0]
        self.assertEqual(adds[0], [(name, "responder", "both", "video")])
        self.assertEqual(self.modifies(sets),
                         [[(name, "responder", "initiator", "video")]])

    def test_18_27_readd_under_removed_name(self):
        """18.27 an audio+video call; she removes video (content '1'), then
        adds video again under the same name: the removed one is gone, so
        the re-INVITE reuses its m= slot (RFC 3264 8.1) at a port and she
        gets a content-accept of '1'"""
        sid = "call1827"
        uas, gw_full = self.remove_video(sid, reinvited_uas(
            VIDEO_PHONE_SDP, AUDIO_ONLY_PHONE_SDP, VIDEO_PHONE_SDP))
        self.set_jingle(gw_full, content_add(sid, self.alice.jid, name="1"),
                        "ca-" + sid)
        r = self.alice.wait(lambda s: is_jingle("content-accept", sid)(s) or
                            is_jingle("content-reject", sid)(s),
                            what="content-accept or -reject")
        self.ack(r)
        self.assertEqual(r.find(f"{{{NS_J}}}jingle").get("action"),
                         "content-accept")
        self.assertEqual([(c.get("name"), c.get("creator"), media_of(c))
                          for c in contents(r)],
                         [("1", "initiator", "video")])
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        re2 = self.invites(uas, 3)[2]
        ms = m_lines(re2)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], re2)
        self.assertTrue(all(m[1] != "0" for m in ms), re2)

    def test_18_28_retracted_and_refused(self):
        """18.28 as 18.16, but the phone refuses the video (port 0): no
        second re-INVITE, she hears nothing of it (no content-accept or
        -reject of what she withdrew), the call goes on and ends clean"""
        sid = "call1828"
        uas, gw_full = self.retract_while_out(sid, slow_reinvited_uas(
            AUDIO_ONLY_SDP, AUDIO_ONLY_PHONE_SDP))
        time.sleep(2.5)  # the phone's answer
        for s in self.alice.drain():
            j = s.find(f"{{{NS_J}}}jingle")
            self.assertFalse(j is not None and j.get("action") in
                             ("content-accept", "content-reject",
                              "content-remove", "content-modify",
                              "session-terminate"),
                             gwtest.ET.tostring(s, "unicode")[:300])
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.wait_no_calls()
        self.invites(uas, 2)  # the INVITE and one re-INVITE

    def phone_turns_video_on(self, sid, on_add, *re_sdps):
        """She calls an audio-only phone with audio+video (video port 0,
        as 18.2); the phone then re-INVITEs with each of re_sdps (the
        first turning that video slot on: RFC 3264 8.1); her client as
        her_side(on_add) until the phone has ACKed the last 200. Returns
        (the SIPp run, her Jingle sets, the m= lines of our 200 OK to
        each re-INVITE, our full JID)."""
        n = len(re_sdps)
        uas = self.uas(uas_reinviting(AUDIO_ONLY_PHONE_SDP, *re_sdps))
        gw_full = self.place_av(sid)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.assertEqual([(c.get("name"), c.get("senders", "both"))
                          for c in contents(acc)],
                         [("0", "both"), ("1", "none")])
        sets = self.her_until(sid, lambda: f"CSeq: {10 + n - 1} ACK"
                              in uas.messages(), on_add=on_add)
        return uas, sets, self.uas_oks(uas, n), gw_full

    def uas_oks(self, uas, count):
        """The m= lines of our 200 OK to each of the phone's `count`
        re-INVITEs (CSeq 10 ...)."""
        msgs = uas.messages()
        out = []
        for cseq in range(10, 10 + count):
            at = msgs.index("SIP/2.0 200 OK",
                            msgs.index(f"CSeq: {cseq} INVITE") - 400)
            ok = sip_body(msgs[at:], "SIP/2.0 200 OK")
            self.assertIn(f"CSeq: {cseq} INVITE", ok)
            out.append(m_lines(ok[ok.index("v=0"):]))
        return out

    def test_18_32_phone_turns_never_live_video_on(self):
        """18.32 audio+video to an audio-only phone (video port 0, as
        18.2); the phone's user then turns video on: a re-INVITE with the
        same m=video slot at a port (RFC 3264 8.1). She never had that
        video live, so it reaches her as a content-add of video from us
        (creator 'responder', senders both) under a name her session does
        not have ('1' stays hers: Conversations ends the call on a reused
        name); she accepts: the 200 OK has live video on an rtpengine
        port, and rtpengine carries what the phone sends on it. The phone
        then drops it and turns it on again: content-modify of the new
        name, 'initiator' then 'both' (as 18.22)"""
        sid = "call1832"
        uas, sets, oks, gw_full = self.phone_turns_video_on(
            sid, "accept", VIDEO_PHONE_SDP, AUDIO_ONLY_PHONE_SDP,
            VIDEO_PHONE_SDP)
        adds = self.actions(sets, "content-add")
        self.assertEqual(len(adds), 1, adds)
        name = adds[0][0][0]
        self.assertEqual(adds[0], [(name, "responder", "both", "video")])
        self.assertNotIn(name, ("0", "1"))
        add = [s for s in sets
               if s.find(f"{{{NS_J}}}jingle").get("action") == "content-add"]
        tr = contents(add[0])[0].find(f"{{{NS_ICE}}}transport")
        self.assertIsNotNone(tr.find(f"{{{NS_DTLS}}}fingerprint"))
        self.assertEqual(self.modifies(sets),
                         [[(name, "responder", "initiator", "video")],
                          [(name, "responder", "both", "video")]])
        self.assertEqual([[(m[0], m[1] == "0") for m in ms] for ms in oks],
                         [[("audio", False), ("video", False)],
                          [("audio", False), ("video", True)],
                          [("audio", False), ("video", False)]])
        self.assertEqual(len({ms[0][1] for ms in oks}), 1,
                         "audio keeps its relay port")
        # rtpengine has the video on both legs: toward the phone on the
        # port of our 200 OK, from the phone's 6002, and toward her on a
        # port of its own with ICE and DTLS-SRTP
        port = int(oks[2][1][1])
        video = relay_video(self.rtpe.port, sid)
        self.assertEqual(video["s"], (port, 6002), video)
        self.assertNotEqual(video["x"][0], 0, video)
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.wait_no_calls()

    def test_18_33_phone_turns_never_live_video_on_refused(self):
        """18.33 as 18.32, she rejects the content-add (content-reject):
        the 200 OK keeps m=video 0, audio goes on on its port; the phone
        then refreshes the session offering that video again: no second
        content-add (the relay had it live toward her: she said no), m=video
        0 again, and no terminate"""
        sid = "call1833"
        uas, sets, oks, gw_full = self.phone_turns_video_on(
            sid, "reject", VIDEO_PHONE_SDP, VIDEO_PHONE_SDP)
        adds = self.actions(sets, "content-add")
        self.assertEqual(len(adds), 1, adds)
        self.assertEqual(adds[0][0][1:], ("responder", "both", "video"))
        self.assertEqual(self.modifies(sets), [])
        for s in sets:
            self.assertNotIn(s.find(f"{{{NS_J}}}jingle").get("action"),
                             ("content-remove", "session-terminate"))
        self.assertEqual([[(m[0], m[1] == "0") for m in ms] for ms in oks],
                         [[("audio", False), ("video", True)]] * 2)
        self.assertEqual(len({ms[0][1] for ms in oks}), 1,
                         "audio keeps its relay port")
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.wait_no_calls()

    def test_18_03_video_only_propose(self):
        """18.3 a propose of video alone is proceeded, the call goes"""
        uas = self.uas(uas_call(sdp=SDP_HEAD + """m=video 6002 RTP/AVP 96
a=rtpmap:96 VP8/90000
"""))
        sid = "call1803"
        gw_full = self.place_av(sid, audio=False)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        self.assertEqual([media_of(c) for c in contents(acc)], ["video"])
        self.hang_up(gw_full, sid)
        self.assertEqual(uas.wait(20), 0, uas.errors())


def reinviting_uac(first_sdp, *re_sdps, pause_ms=500):
    """SIPp UAC: INVITE (first_sdp) -> 200 -> ACK; then each of re_sdps
    in a re-INVITE (o= version 2, 3 ...) -> 200 -> ACK, pause_ms apart;
    BYE. A re_sdps item ("answer", sdp) waits for the gateway's re-INVITE
    instead and answers it 200 with sdp."""
    user, gw = "alice", test_calls.GW_SIP_DOMAIN
    pbx = test_calls.PBX_DOMAIN
    first = first_sdp.replace("\n", "\r\n")
    hdr = (f"      From: <sip:1001@{pbx}>;tag=[pid]SIPpTag00[call_number]\n"
           f"      To: <sip:{user}@{gw}>")

    def req(method, cseq, body=None, retrans=' retrans="500"', to_tag=True):
        ctype = ("      Content-Type: application/sdp\n" if body else "")
        return f"""
  <send{retrans}><![CDATA[
      {method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
{hdr}{"[peer_tag_param]" if to_tag else ""}
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Contact: <sip:1001@[local_ip]:[local_port]>
      Max-Forwards: 70
{ctype}      Content-Length: [len]

{body or ""}]]></send>
"""
    steps = f"""
  <send retrans="500"><![CDATA[
      INVITE sip:{user}@{gw} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
{hdr}
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:1001@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

{first}]]></send>
  <recv response="100" optional="true"/>
  <recv response="180"/>
  <recv response="200" rrs="true" timeout="30000"/>
""" + req("ACK", 1, retrans="")
    cseq = 1
    for version, sdp in enumerate(re_sdps, 2):
        if isinstance(sdp, tuple):
            body = sdp[1].replace("o=phone 1 1", f"o=phone 1 {version}")
            steps += """
  <recv request="INVITE" timeout="20000"/>""" + gwtest.sipp_ok(
                sdp=body.replace("\n", "\r\n")) + """
  <recv request="ACK"/>
"""
            continue
        cseq += 1
        body = sdp.replace("o=phone 1 1", f"o=phone 1 {version}")
        steps += f"""
  <pause milliseconds="{pause_ms}"/>
""" + req("INVITE", cseq, body.replace("\n", "\r\n")) + """
  <recv response="100" optional="true"/>
  <recv response="200" timeout="30000"/>
""" + req("ACK", cseq, retrans="")
    steps += """
  <pause milliseconds="300"/>
""" + req("BYE", cseq + 1) + """
  <recv response="200"/>
"""
    return f'<?xml version="1.0" encoding="UTF-8" ?>\n<scenario name="uac re-INVITE">{steps}</scenario>\n'


def reinvite_terminated_uac(first_sdp, re_sdp):
    """SIPp UAC: INVITE (first_sdp) -> 200 -> ACK; a re-INVITE (re_sdp)
    answered 487 -> ACK (the transaction's, RFC 3261 17.1.1.3); then the
    gateway's BYE -> 200."""
    uac = reinviting_uac(first_sdp, re_sdp)
    # the re-INVITE's 200 and ACK, and our BYE, become 487, its ACK and
    # the gateway's BYE
    head = uac[:uac.index('<recv response="200" timeout="30000"/>')]
    return head + """<recv response="487" timeout="30000"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 2 ACK
      Max-Forwards: 70
      Content-Length: 0

]]></send>
  <recv request="BYE" timeout="10000"/>""" + gwtest.sipp_ok() + """
</scenario>
"""


class VideoInbound(HerClient, CallsBase):
    """SIP -> XMPP with video; SIPp calls the gateway directly."""
    relay = "rtpengine"
    use_proxy = False

    @classmethod
    def extra_config(cls):
        # no RFC 5168 INFO in these scenarios (VideoFastUpdate); /metrics
        # for the dialogs left (18.48)
        cls.http_port = gwtest.free_port()
        return {"calls__video_fast_update": False,
                "admin__http_listen": f"{gwtest.HOST}:{cls.http_port}",
                "admin__http_allow": "127.0.0.1"}

    def offer_to_alice(self, media=("audio", "video")):
        a = self.alice
        p = a.wait(jmi("propose"), what="propose")
        sid = p.find(f"{{{NS_JMI}}}propose").get("id")
        media = [d.get("media") for d in
                 p.findall(f"{{{NS_JMI}}}propose/{{{NS_RTP}}}description")]
        self.assertEqual(media, list(media))
        gw_full = p.get("from")
        a.send_raw(f"<message type='chat' to='{gw_full}' id='jm-pr-{sid}'>"
                   f"<proceed xmlns='{NS_JMI}' id='{sid}'/></message>")
        si = a.wait(is_jingle("session-initiate", sid),
                    what="session-initiate")
        self.ack(si)
        return sid, gw_full, si

    def accept(self, sid, gw_full, si, video=True, wait=True):
        """Her session-accept of si; wait: for its ack (else sent and
        left: the ack comes later)."""
        body = ""
        for c in contents(si):
            if media_of(c) == "video" and not video:
                continue
            desc = AUDIO_DESC if media_of(c) == "audio" else VIDEO_DESC
            body += (f"<content creator='initiator' name='{c.get('name')}' "
                     f"senders='both'>{desc}{transport('Zz9y', 'AnotherIcePasswordOf24ch', 'active')}"
                     "</content>")
        jingle = (f"<jingle xmlns='{NS_J}' action='session-accept' "
                  f"sid='{sid}' responder='{self.alice.jid}'>{body}</jingle>")
        if not wait:
            self.alice.send_raw(f"<iq type='set' to='{gw_full}' "
                                f"id='sa-{sid}'>{jingle}</iq>")
            return
        self.set_jingle(gw_full, jingle, "sa-" + sid)

    def call(self, video):
        uac = self.sipp.start(uac_call(sdp=VIDEO_PHONE_SDP, bye_after_ms=500),
                              remote=self.gw_target(), timeout=30)
        sid, gw_full, si = self.offer_to_alice()
        cs = contents(si)
        self.assertEqual([media_of(c) for c in cs], ["audio", "video"])
        for c in cs:
            tr = c.find(f"{{{NS_ICE}}}transport")
            self.assertIsNotNone(tr.find(f"{{{NS_DTLS}}}fingerprint"))
        self.accept(sid, gw_full, si, video)
        t = self.alice.wait(is_jingle("session-terminate", sid),
                            what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(30), 0, uac.errors())
        ok = sip_body(uac.messages(), "SIP/2.0 200 OK")
        return m_lines(ok[ok.index("v=0"):]), ok

    def test_18_10_sip_video_call(self):
        """18.10 INVITE audio+video: propose and initiate with both;
        accepted both -> 200 OK with two live plain m= lines"""
        ms, ok = self.call(video=True)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], ok)
        self.assertTrue(all(m[1] != "0" for m in ms), ok)
        self.assertEqual({m[2] for m in ms}, {"RTP/AVP"}, ok)

    def test_18_14_sip_reinvite_adds_video_unanswered(self):
        """18.14 as 18.12, her client never answers the content-add: after
        20 s a content-remove retracts it and the 200 OK declines video"""
        uac, sid, gw_full, add = self.phone_adds_video(timeout=45)
        t0 = time.monotonic()
        rm = self.alice.wait(is_jingle("content-remove", sid), timeout=25,
                             what="content-remove")
        self.ack(rm)
        self.assertGreater(time.monotonic() - t0, 15)
        self.assertEqual([(c.get("name"), c.get("creator"))
                          for c in contents(rm)],
                         [(c.get("name"), c.get("creator"))
                          for c in contents(add)])
        msgs, ok = self.phone_hangs_up(uac, sid, timeout=45)
        ms = m_lines(ok[ok.index("v=0"):])
        self.assertEqual([m[1] == "0" for m in ms], [False, True], ok)

    def phone_hangs_up(self, uac, sid, timeout=30):
        """The phone (`uac`, a reinviting_uac()) hangs up: her
        session-terminate acked, SIPp done. Returns (its trace, the body
        of our 200 OK to its re-INVITE, CSeq 2)."""
        t = self.alice.wait(is_jingle("session-terminate", sid),
                            what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(timeout), 0, uac.errors())
        msgs = uac.messages()
        second = msgs.index("SIP/2.0 200 OK", msgs.index("CSeq: 2 INVITE") - 400)
        return msgs, sip_body(msgs[second:], "SIP/2.0 200 OK")

    def phone_adds_video(self, timeout=30):
        """An audio call from the phone; its re-INVITE adds video: her
        client's content-add, acked. Returns (the SIPp run, sid, our
        full JID, the content-add)."""
        uac = self.sipp.start(reinviting_uac(AUDIO_ONLY_SDP, VIDEO_PHONE_SDP),
                              remote=self.gw_target(), timeout=timeout)
        sid, gw_full, si = self.offer_to_alice(media=("audio",))
        self.accept(sid, gw_full, si)
        add = self.alice.wait(is_jingle("content-add", sid),
                              what="content-add")
        self.ack(add)
        return uac, sid, gw_full, add

    def sip_adds_video(self, take):
        """An audio call; the phone re-INVITEs adding video: her client
        gets a content-add and takes it (content-accept) or not."""
        uac, sid, gw_full, add = self.phone_adds_video()
        cs = contents(add)
        self.assertEqual([media_of(c) for c in cs], ["video"])
        tr = cs[0].find(f"{{{NS_ICE}}}transport")
        self.assertIsNotNone(tr.find(f"{{{NS_DTLS}}}fingerprint"))
        self.assertEqual(cs[0].get("creator"), "initiator")
        name = cs[0].get("name")
        if take:
            body = (f"<content creator='initiator' name='{name}' "
                    f"senders='both'>{VIDEO_DESC}"
                    f"{transport('Zz9y', 'AnotherIcePasswordOf24ch', 'active')}"
                    "</content>")
            action = "content-accept"
        else:
            body = (f"<content creator='initiator' name='{name}' "
                    f"senders='both'><description xmlns='{NS_RTP}' "
                    "media='video'/></content>")
            action = "content-reject"
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' action='{action}' "
                        f"sid='{sid}'>{body}</jingle>", "cr-" + sid)
        msgs, ok = self.phone_hangs_up(uac, sid)
        ms = m_lines(ok[ok.index("v=0"):])
        self.assertEqual([m[0] for m in ms], ["audio", "video"], ok)
        self.assertNotEqual(ms[0][1], "0", ok)
        return ms, ok

    def test_18_48_hang_up_during_reinvite(self):
        """18.48 an audio call; the phone re-INVITEs adding video; she
        hangs up instead of answering the content-add: the re-INVITE gets
        487 (RFC 3261 15.1.2), then our BYE; the call is freed (no SIP
        dialog left in /metrics), not kept for the re-INVITE's sake"""
        uac = self.sipp.start(reinvite_terminated_uac(AUDIO_ONLY_SDP,
                                                      VIDEO_PHONE_SDP),
                              remote=self.gw_target(), timeout=30)
        sid, gw_full, si = self.offer_to_alice(media=("audio",))
        self.accept(sid, gw_full, si)
        add = self.alice.wait(is_jingle("content-add", sid),
                              what="content-add")
        self.ack(add)
        self.hang_up(gw_full, sid)
        self.assertEqual(uac.wait(20), 0, uac.errors())
        msgs = uac.messages()
        self.assertLess(msgs.index("SIP/2.0 487"), msgs.index("BYE sip:"),
                        msgs)
        # no dialog left (a call kept for its unanswered re-INVITE was
        # never freed)
        wait_for(lambda: test_calls_ring.metric(
            test_calls_ring.http_get(self.http_port, "/metrics")[2],
            "gw_sip_dialogs") == 0, 5, what="gw_sip_dialogs 0")

    def test_18_44_content_modify_during_setup(self):
        """18.44 the phone calls her with audio+video; her client accepts
        and at once sends content-modify senders='initiator' (the phone's
        role: she takes video without her camera, as Dino does right
        after its session-accept): iq result, the call is set up as
        usual, then one re-INVITE to the phone with video a=recvonly"""
        uac = self.sipp.start(
            reinviting_uac(VIDEO_PHONE_SDP,
                           ("answer", VIDEO_SENDONLY_PHONE_SDP)),
            remote=self.gw_target(), timeout=30)
        sid, gw_full, si = self.offer_to_alice()
        self.accept(sid, gw_full, si, wait=False)
        name = [c.get("name") for c in contents(si)
                if media_of(c) == "video"][0]
        # sent before the session-accept's answer, as Dino does
        r = self.modify(gw_full, sid, "initiator", name=name,
                        iid="cm-" + sid)
        self.assertEqual(r.get("type"), "result",
                         gwtest.ET.tostring(r, "unicode"))
        r = self.alice.wait(lambda s: s.get("id") == "sa-" + sid,
                            what="answer")
        self.assertEqual(r.get("type"), "result",
                         gwtest.ET.tostring(r, "unicode"))
        t = self.alice.wait(is_jingle("session-terminate", sid),
                            what="terminate")
        self.ack(t)
        self.assertEqual(uac.wait(30), 0, uac.errors())
        msgs = uac.messages()
        ok = sip_body(msgs, "SIP/2.0 200 OK")
        self.assertTrue(all(m[1] != "0" for m in
                            m_lines(ok[ok.index("v=0"):])), ok)
        at = [i for i in range(len(msgs)) if msgs.startswith("INVITE ", i)]
        self.assertEqual(len(at), 2, "its INVITE and our re-INVITE")
        reinvite = sip_body(msgs[at[1]:], "INVITE ")
        self.assertIn("m=video", reinvite)
        video = reinvite[reinvite.index("m=video"):]
        self.assertNotEqual(m_lines(video)[0][1], "0", reinvite)
        self.assertIn("a=recvonly", video, reinvite)
        audio = reinvite[reinvite.index("m=audio"):reinvite.index("m=video")]
        self.assertIn("a=sendrecv", audio, reinvite)

    def test_18_45_content_modify_of_our_content_add(self):
        """18.45 an audio call; the phone re-INVITEs adding video: her
        client takes it without her camera as Dino does, a content-modify
        senders='initiator' (our role) of our pending content-add, then
        content-accept saying the same: iq result for both, the 200 OK
        has live video a=recvonly (she only receives), no re-INVITE of
        ours"""
        uac, sid, gw_full, add = self.phone_adds_video()
        name = contents(add)[0].get("name")
        self.set_jingle(gw_full, jingle("content-modify", sid,
                                        modify_stub(name, "initiator")),
                        "cm-" + sid)
        self.set_jingle(gw_full, jingle("content-accept", sid,
                                        video_taken("initiator", name,
                                                    "initiator")),
                        "cacc-" + sid)
        msgs, ok = self.phone_hangs_up(uac, sid)
        video = ok[ok.index("m=video"):]
        self.assertNotEqual(m_lines(video)[0][1], "0", ok)
        self.assertIn("a=recvonly", video, ok)
        self.assertEqual(
            len([i for i in range(len(msgs)) if msgs.startswith("INVITE ", i)]),
            2, "its two INVITEs, none of ours")

    def test_18_12_sip_reinvite_adds_video_refused(self):
        """18.12 an audio call; the phone re-INVITEs adding video: her
        client gets a content-add and rejects it: the 200 OK declines
        video (port 0), audio goes on"""
        ms, ok = self.sip_adds_video(take=False)
        self.assertEqual(ms[1][1], "0", ok)

    def test_18_13_sip_reinvite_adds_video_taken(self):
        """18.13 as 18.12, her client takes it (content-accept): the 200 OK
        carries live video on a relay port"""
        ms, ok = self.sip_adds_video(take=True)
        self.assertNotEqual(ms[1][1], "0", ok)

    def test_18_15_sip_reinvite_drops_video(self):
        """18.15 an audio+video call; the phone re-INVITEs with video at
        port 0: her client gets a content-modify of the video content with
        senders='responder', she alone sends (not content-remove, which
        Conversations takes as the end of the call, nor senders='none',
        which Conversations since 2.13 does), the 200 OK answers m=video 0,
        audio goes on (its relay port unchanged, no terminate before the
        phone's BYE)"""
        uac = self.sipp.start(reinviting_uac(VIDEO_PHONE_SDP,
                                             AUDIO_ONLY_PHONE_SDP),
                              remote=self.gw_target(), timeout=30)
        sid, gw_full, si = self.offer_to_alice()
        self.accept(sid, gw_full, si)
        video = [c for c in contents(si) if media_of(c) == "video"][0]
        rm = self.alice.wait(lambda s: is_jingle("content-modify", sid)(s) or
                             is_jingle("content-remove", sid)(s) or
                             is_jingle("session-terminate", sid)(s),
                             what="content-modify")
        self.ack(rm)
        j = rm.find(f"{{{NS_J}}}jingle")
        self.assertEqual(j.get("action"), "content-modify")
        self.assertEqual([(c.get("name"), c.get("creator"), c.get("senders"),
                           media_of(c)) for c in contents(rm)],
                         [(video.get("name"), "initiator", "responder",
                           "video")])
        msgs, ok = self.phone_hangs_up(uac, sid)
        first = sip_body(msgs, "SIP/2.0 200 OK")
        ms = m_lines(ok[ok.index("v=0"):])
        self.assertEqual([m[0] for m in ms], ["audio", "video"], ok)
        self.assertEqual(ms[1][1], "0", ok)
        self.assertEqual(ms[0][1], m_lines(first[first.index("v=0"):])[0][1],
                         "audio keeps its relay port")

    def reinvite_oks(self, uac, count):
        """The m= lines of the 200 OK to each re-INVITE (CSeq 2 ...)."""
        msgs = uac.messages()
        out = []
        for cseq in range(2, 2 + count):
            at = msgs.index("SIP/2.0 200 OK",
                            msgs.index(f"CSeq: {cseq} INVITE") - 400)
            ok = sip_body(msgs[at:], "SIP/2.0 200 OK")
            self.assertIn(f"CSeq: {cseq} INVITE", ok)
            out.append(m_lines(ok[ok.index("v=0"):]))
        return out

    def our_sdps(self, uac, count):
        """The SDP of the gateway's 200 OK to the INVITE and to each of
        `count` re-INVITEs (CSeq 1, 2 ...), as the phone got them."""
        msgs = uac.messages()
        out = []
        for cseq in range(1, 2 + count):
            at = msgs.index("SIP/2.0 200 OK", max(
                0, msgs.index(f"CSeq: {cseq} INVITE") - 400))
            ok = sip_body(msgs[at:], "SIP/2.0 200 OK")
            self.assertIn(f"CSeq: {cseq} INVITE", ok)
            out.append(ok[ok.index("v=0"):])
        return out

    def assert_origin_followed(self, sdps):
        """RFC 3264 8 across the SDPs the gateway sent in one dialog: one
        o= username, sess-id and address throughout; the version one more
        than the previous SDP's exactly when anything else changed."""
        prev = None
        for i, sdp in enumerate(sdps):
            o = re.search(r"(?m)^o=(\S+) (\S+) (\d+) (.*?)\r?$", sdp)
            self.assertIsNotNone(o, sdp)
            rest = re.sub(r"(?m)^o=.*\n", "", sdp)
            if prev is not None:
                self.assertEqual((o[1], o[2], o[4]), prev[0],
                                 "o= of SDP %d: %s" % (i, sdps))
                self.assertEqual(int(o[3]),
                                 prev[1] + (0 if rest == prev[2] else 1),
                                 "o= version of SDP %d: %s" % (i, sdps))
            prev = ((o[1], o[2], o[4]), int(o[3]), rest)

    def relay_offers_toward_her(self, sid):
        """(video port, ice-ufrag) of each of rtpengine's offers toward
        her (its log: the SDP of each 'offer' response for the call)."""
        with open(self.rtpe.proc.log_path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        out = []
        for m in re.finditer(r"\[" + re.escape(sid) + r"\]: \[control\] "
                             r"Response dump for 'offer'[^{]*\{ \"sdp\": "
                             r"\"(.*?)\"[,}]", log, re.S):
            sdp = m.group(1)
            if "UDP/TLS/RTP/SAVPF" not in sdp:
                continue  # toward the phone
            video = sdp[sdp.index("m=video"):]
            ufrag = re.search(r"a=ice-ufrag:(\S+)", video)
            out.append((m_lines(video)[0][1],
                        ufrag.group(1) if ufrag else None))
        return out

    def av_call_reinvited(self, *re_sdps, on_modify="result", on_add="ack"):
        """The SIPp phone calls her with audio+video, she takes both, then
        the phone re-INVITEs with each of re_sdps; her client as
        her_side(on_modify, on_add) until the phone's BYE. Returns (the
        SIPp run, her Jingle sets, the name of the video content, the
        sid)."""
        uac = self.sipp.start(reinviting_uac(VIDEO_PHONE_SDP, *re_sdps),
                              remote=self.gw_target(), timeout=40)
        sid, gw_full, si = self.offer_to_alice()
        self.accept(sid, gw_full, si)
        name = [c for c in contents(si) if media_of(c) == "video"][0].get(
            "name")
        sets = self.her_side(sid, on_modify=on_modify, on_add=on_add)
        self.assertEqual(uac.wait(30), 0, uac.errors())
        return uac, sets, name, sid

    def test_18_22_phone_turns_video_on_again(self):
        """18.22 an audio+video call; the phone turns video off (m=video
        0) and on again (the same m= slot at a port, RFC 3264 8.1), twice:
        each off is a content-modify senders='responder' to her, each on a
        content-modify senders='both'; she acks, and each 200 OK to an on
        carries live video; rtpengine kept the video port and ICE
        credentials toward her (what makes content-modify enough); the
        call goes on to the phone's BYE"""
        uac, sets, name, sid = self.av_call_reinvited(
            AUDIO_ONLY_PHONE_SDP, VIDEO_PHONE_SDP, AUDIO_ONLY_PHONE_SDP,
            VIDEO_PHONE_SDP)
        off = [(name, "initiator", "responder", "video")]
        on = [(name, "initiator", "both", "video")]
        self.assertEqual(self.modifies(sets), [off, on, off, on])
        oks = self.reinvite_oks(uac, 4)
        for i, ms in enumerate(oks):
            self.assertEqual([m[0] for m in ms], ["audio", "video"], ms)
            self.assertNotEqual(ms[0][1], "0", ms)
            self.assertEqual(ms[1][1] == "0", i % 2 == 0, (i, oks))
        # each 200 OK changed the SDP: its o= version rose by one each
        # time, with the dialog's username, sess-id and address (RFC 3264
        # 8; phones may ignore an SDP whose version did not move)
        self.assert_origin_followed(self.our_sdps(uac, 4))
        offers = self.relay_offers_toward_her(sid)
        self.assertEqual(len(offers), 5, offers)
        live = [o for o in offers if o[0] != "0"]
        self.assertEqual(len(live), 3, offers)
        self.assertEqual(len(set(live)), 1,
                         "the same video port and ufrag toward her")

    def test_18_23_phone_turns_video_on_refused(self):
        """18.23 as 18.22, once: her client answers the content-modify
        turning video on with an iq error: the 200 OK keeps m=video 0 and
        the call goes on (an error to a content-modify never ends it)"""
        uac, sets, _, _ = self.av_call_reinvited(
            AUDIO_ONLY_PHONE_SDP, VIDEO_PHONE_SDP, on_modify="error")
        self.assertEqual([[m[2] for m in x] for x in self.modifies(sets)],
                         [["responder"], ["both"]])
        oks = self.reinvite_oks(uac, 2)
        self.assertEqual([m[1] == "0" for m in oks[1]], [False, True], oks)

    def test_18_24_phone_turns_video_on_unanswered(self):
        """18.24 as 18.23, her client never answers the content-modify:
        after 10 s a content-modify back to senders='responder' and a
        200 OK with m=video 0"""
        t0 = time.monotonic()
        uac, sets, _, _ = self.av_call_reinvited(
            AUDIO_ONLY_PHONE_SDP, VIDEO_PHONE_SDP, on_modify="silent")
        self.assertGreater(time.monotonic() - t0, 9)
        self.assertEqual([[m[2] for m in x] for x in self.modifies(sets)],
                         [["responder"], ["both"], ["responder"]])
        oks = self.reinvite_oks(uac, 2)
        self.assertEqual([m[1] == "0" for m in oks[1]], [False, True], oks)

    def test_18_25_creator_of_her_content_add(self):
        """18.25 the phone calls her with audio (we are the initiator);
        she adds video with creator='responder' (her role): the
        content-accept, and the content-modify when the phone drops that
        video and turns it on again, all name creator='responder'"""
        uac = self.sipp.start(reinviting_uac(
            AUDIO_ONLY_SDP, ("answer", VIDEO_PHONE_SDP),
            AUDIO_ONLY_PHONE_SDP, VIDEO_PHONE_SDP, pause_ms=800),
            remote=self.gw_target(), timeout=40)
        sid, gw_full, si = self.offer_to_alice(media=("audio",))
        self.accept(sid, gw_full, si)
        # the call is answered once the phone has ACKed the 200 (before,
        # a content-add gets <out-of-order/> type='wait', as XEP-0166
        # says; a user adding video takes longer than this)
        wait_for(lambda: re.search(r"ACK sip:.*?CSeq: 1 ACK",
                                   uac.messages(), re.S), 10,
                 what="the phone's ACK")
        self.set_jingle(gw_full, f"<jingle xmlns='{NS_J}' "
                        f"action='content-add' sid='{sid}'>"
                        "<content creator='responder' name='v1' "
                        f"senders='both'>{VIDEO_DESC}"
                        f"{transport('Zz9y', 'AnotherIcePasswordOf24ch', 'active')}"
                        "</content></jingle>", "ca-" + sid)
        sets = self.her_side(sid)
        self.assertEqual(uac.wait(30), 0, uac.errors())
        self.assertEqual(self.actions(sets, "content-accept"),
                         [[("v1", "responder", "both", "video")]])
        self.assertEqual(self.modifies(sets),
                         [[("v1", "responder", "responder", "video")],
                          [("v1", "responder", "both", "video")]])
        oks = self.reinvite_oks(uac, 2)
        self.assertEqual([m[1] == "0" for m in oks[1]], [False, False], oks)

    def test_18_29_reinvite_drops_and_adds(self):
        """18.29 an audio+video call; one re-INVITE of the phone drops its
        video (port 0) and adds another video m= line: her client gets
        the content-modify of the dropped one (she alone sends) and no
        content-add (Conversations refuses video into a call that has
        video); the 200 OK answers the new line port 0, audio goes on"""
        drop_add = AUDIO_ONLY_PHONE_SDP + """m=video 6004 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=sendrecv
"""
        uac, sets, name, _ = self.av_call_reinvited(drop_add)
        self.assertEqual(self.modifies(sets),
                         [[(name, "initiator", "responder", "video")]])
        self.assertEqual(self.actions(sets, "content-add"), [])
        oks = self.reinvite_oks(uac, 1)
        self.assertEqual([(m[0], m[1] == "0") for m in oks[0]],
                         [("audio", False), ("video", True),
                          ("video", True)], oks)

    def on_and_add(self, on_modify, on_add):
        """An audio+video call; the phone drops its video (port 0), then
        one re-INVITE turns that slot on again and adds a second video
        m= line: her client gets the content-modify senders='both' of
        the dropped one and a content-add of the new one, answers each as
        on_modify / on_add say. Returns (her content-modifies, her
        content-adds, the m= lines of the 200 OK to each re-INVITE, the
        seconds the second re-INVITE took to its 200)."""
        on_add_sdp = VIDEO_PHONE_SDP + """m=video 6004 RTP/AVP 96
a=rtpmap:96 VP8/90000
a=sendrecv
"""
        t0 = time.monotonic()
        uac, sets, name, _ = self.av_call_reinvited(
            AUDIO_ONLY_PHONE_SDP, on_add_sdp, on_modify=on_modify,
            on_add=on_add)
        self.assertLess(time.monotonic() - t0, 40)
        self.assertEqual(self.modifies(sets)[:2],
                         [[(name, "initiator", "responder", "video")],
                          [(name, "initiator", "both", "video")]])
        adds = self.actions(sets, "content-add")
        self.assertEqual(len(adds), 1, adds)
        self.assertEqual(adds[0][0][1:], ("initiator", "both", "video"))
        self.assertNotEqual(adds[0][0][0], name)
        # both went out together, before either answer came back
        acts = [s.find(f"{{{NS_J}}}jingle").get("action") for s in sets]
        at = acts.index("content-add")
        self.assertEqual(acts[at - 1], "content-modify", acts)
        oks = self.reinvite_oks(uac, 2)
        for ms in oks:
            self.assertNotEqual(ms[0][1], "0", oks)
        self.assertEqual(oks[0][0][1], oks[1][0][1], "audio keeps its port")
        return self.modifies(sets), adds, oks

    def test_18_34_reinvite_turns_on_and_adds(self):
        """18.34 an audio+video call; the phone drops its video, then one
        re-INVITE turns it on again (the same slot at a port) and adds a
        second video line: she gets the content-modify senders='both' of
        the first and a content-add of the second (our creator, a name of
        its own), acks the one and accepts the other: one 200 OK, every
        line live"""
        _, _, oks = self.on_and_add("result", "accept")
        self.assertEqual([(m[0], m[1] == "0") for m in oks[1]],
                         [("audio", False), ("video", False),
                          ("video", False)], oks)

    def test_18_35_reinvite_turns_on_and_adds_refused(self):
        """18.35 as 18.34, she takes the video turned on and rejects the
        added line (content-reject): the 200 OK has the first video live,
        the new line at port 0"""
        _, _, oks = self.on_and_add("result", "reject")
        self.assertEqual([(m[0], m[1] == "0") for m in oks[1]],
                         [("audio", False), ("video", False),
                          ("video", True)], oks)

    def test_18_36_reinvite_turns_on_unanswered_and_adds(self):
        """18.36 as 18.34, she never answers the content-modify but takes
        the added line: after 10 s the content-modify goes back to her
        alone, and the one 200 OK has the new line live, the turned-on
        one at port 0"""
        t0 = time.monotonic()
        modifies, _, oks = self.on_and_add("silent", "accept")
        self.assertGreater(time.monotonic() - t0, 9)
        self.assertEqual([m[0][2] for m in modifies],
                         ["responder", "both", "responder"])
        self.assertEqual([(m[0], m[1] == "0") for m in oks[1]],
                         [("audio", False), ("video", True),
                          ("video", False)], oks)

    def test_18_37_phone_turns_on_video_she_refused(self):
        """18.37 the phone calls her with audio+video, she accepts audio
        only (as 18.11); the phone refreshes the session offering video
        again: not offered to her (she said no to it), m=video 0; it
        then sets video to port 0 and later gives that slot a port (its
        user turning the camera on): a content-add to her under a name
        her session never had (not our offer's); she takes it: live
        video in the 200 OK"""
        uac = self.sipp.start(reinviting_uac(
            VIDEO_PHONE_SDP, VIDEO_PHONE_SDP, AUDIO_ONLY_PHONE_SDP,
            VIDEO_PHONE_SDP), remote=self.gw_target(), timeout=40)
        sid, gw_full, si = self.offer_to_alice()
        self.accept(sid, gw_full, si, video=False)
        names = [c.get("name") for c in contents(si)]
        sets = self.her_side(sid, on_add="accept")
        self.assertEqual(uac.wait(30), 0, uac.errors())
        adds = self.actions(sets, "content-add")
        self.assertEqual(len(adds), 1, adds)
        self.assertEqual(adds[0][0][1:], ("initiator", "both", "video"))
        self.assertNotIn(adds[0][0][0], names)
        self.assertEqual(self.modifies(sets), [])
        oks = self.reinvite_oks(uac, 3)
        self.assertEqual([[(m[0], m[1] == "0") for m in ms] for ms in oks],
                         [[("audio", False), ("video", True)],
                          [("audio", False), ("video", True)],
                          [("audio", False), ("video", False)]])

    def test_18_11_xmpp_accepts_audio_only(self):
        """18.11 her client accepts audio only: the 200 OK answers video
        with port 0 (RFC 3264 6)"""
        ms, ok = self.call(video=False)
        self.assertEqual([m[0] for m in ms], ["audio", "video"], ok)
        self.assertNotEqual(ms[0][1], "0", ok)
        self.assertEqual(ms[1][1], "0", ok)


def uas_fast_updated(sdp, infos):
    """SIPp UAS: INVITE -> 180 -> 200 (sdp); `infos` INFOs answered 200;
    then BYE."""
    steps = "".join("""
  <recv request="INFO" timeout="5000"/>""" + gwtest.sipp_ok() for _ in
                    range(infos))
    return uas_call(sdp=sdp, wait_bye=False).replace(
        "</scenario>", steps + """
  <recv request="BYE" timeout="20000"/>""" + gwtest.sipp_ok() + """
</scenario>""")


class VideoFastUpdate(HerClient, CallsBase):
    """[calls] video_fast_update (on by default): RFC 5168 keyframe
    requests toward the phone when video starts, since rtpengine drops
    her client's RTCP PLI and FIR on the way to an RTP/AVP leg."""
    relay = "rtpengine"

    def call_for(self, sid, seconds, video=True):
        gw_full = VideoOutbound.place_av(self, sid, video=video)
        acc = self.alice.wait(is_jingle("session-accept", sid),
                              what="session-accept")
        self.ack(acc)
        time.sleep(seconds)
        VideoOutbound.hang_up(self, gw_full, sid)

    def test_18_30_fast_update_to_video_phone(self):
        """18.30 audio+video to a video phone: 0.5 s and 2 s after its
        200 OK the phone gets an INFO application/media_control+xml with
        <picture_fast_update/>, two in all"""
        uas = self.uas(uas_fast_updated(VIDEO_PHONE_SDP, 2))
        t0 = time.monotonic()
        self.call_for("call1830", 3.0)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        msgs = uas.messages()
        infos = [i for i in range(len(msgs)) if msgs.startswith("INFO sip:", i)]
        self.assertEqual(len(infos), 2, msgs[-3000:])
        for i in infos:
            info = msgs[i:msgs.index("-----", i)]
            self.assertIn("Content-Type: application/media_control+xml", info)
            self.assertIn("<picture_fast_update/>", info)
        self.assertLess(time.monotonic() - t0, 10)

    def test_18_31_no_fast_update_to_audio_only_phone(self):
        """18.31 audio+video to an audio-only phone (video port 0): no
        INFO in 3 s"""
        uas = self.uas(uas_fast_updated(AUDIO_ONLY_PHONE_SDP, 0))
        self.call_for("call1831", 3.0)
        self.assertEqual(uas.wait(20), 0, uas.errors())
        self.assertNotIn("INFO sip:", uas.messages())


if __name__ == "__main__":
    gwtest.main()
