#!/usr/bin/python3
"""Issue 5: presence both ways, against real Prosody, Kamailio (presence +
presence_xml) and SIPp watchers/publishers. Cases are numbered 5.x."""

import os
import re
import shutil
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST, PBX_DOMAIN,  # noqa: E402
                    free_port, wait_for)


def watcher_scenario(notifies, expires=600, user="alice", watcher="1001",
                     unsubscribe=True, final_notify=True, accept=None,
                     event="presence", expect=202, until_quiet_ms=0,
                     contact_params=""):
    """A SIP watcher: SUBSCRIBE, then answer `notifies` NOTIFYs with 200
    (or, with until_quiet_ms, every NOTIFY until none came for that long),
    then un-SUBSCRIBE (Expires: 0) and take the final NOTIFY."""
    acc = accept or "application/pidf+xml"
    if expect == 202:
        # RFC 6665 8.3.1: 200 and (deprecated) 202 mean the same
        recv_answer = ('<recv response="200" optional="true" rrs="true" '
                       'next="1"/>\n  <recv response="202" rrs="true"/>\n'
                       '  <label id="1"/>')
    else:
        recv_answer = f'<recv response="{expect}"/>'
    steps = f"""
  <send retrans="500">
    <![CDATA[
      SUBSCRIBE sip:{user}@{GW_SIP_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{watcher}@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 1 SUBSCRIBE
      Contact: <sip:{watcher}@[local_ip]:[local_port]{contact_params}>
      Max-Forwards: 70
      Event: {event}
      Accept: {acc}
      Expires: {expires}
      Content-Length: 0

    ]]>
  </send>
  {recv_answer}
"""
    for _ in range(notifies):
        steps += """
  <recv request="NOTIFY" timeout="20000"/>""" + gwtest.sipp_ok()
    if until_quiet_ms:
        steps += f"""
  <label id="2"/>
  <recv request="NOTIFY" timeout="{until_quiet_ms}" ontimeout="3"/>""" + \
            gwtest.sipp_ok(' next="2"') + """
  <label id="3"/>
"""
    if unsubscribe:
        steps += f"""
  <send retrans="500">
    <![CDATA[
      SUBSCRIBE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{watcher}@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 SUBSCRIBE
      Contact: <sip:{watcher}@[local_ip]:[local_port]{contact_params}>
      Max-Forwards: 70
      Event: presence
      Expires: 0
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
"""
    if final_notify:
        steps += """
  <recv request="NOTIFY" timeout="20000"/>""" + gwtest.sipp_ok()
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="watcher">{steps}
</scenario>
"""


def publish_scenario(user, basic, note, expires=600, activity="",
                     etag=None):
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:{user}@{PBX_DOMAIN}">
<tuple id="t1"><status><basic>{basic}</basic></status><note xml:lang="en">{note}</note></tuple>
<dm:person id="p1">{activity}</dm:person>
</presence>"""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="publish">
  <send retrans="500">
    <![CDATA[
      PUBLISH sip:{user}@{PBX_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{PBX_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 1 PUBLISH
      Max-Forwards: 70
      Event: presence
      Expires: {expires}
      {"SIP-If-Match: " + etag + chr(10) + "      " if etag else ""}Content-Type: application/pidf+xml
      Content-Length: [len]

{doc}]]>
  </send>
  <recv response="200"/>
</scenario>
"""


def notifier_notify(cseq, tag, body):
    """SIPp step of a presence server: a NOTIFY (active, PIDF `body`) in
    the dialog of the SUBSCRIBE received, whose From/To were saved as
    $from_hdr/$to_hdr."""
    return f"""
  <send>
    <![CDATA[
      NOTIFY [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: [$to_hdr];tag={tag}
      To: [$from_hdr]
      Call-ID: [call_id]
      CSeq: {cseq} NOTIFY
      Contact: <sip:notifier@[local_ip]:[local_port]>
      Event: presence
      Subscription-State: active;expires=600
      Content-Type: application/pidf+xml
      Content-Length: [len]

{body}
    ]]>
  </send>"""


def count_notifies(run):
    return len(re.findall(r"^NOTIFY sip:", run.messages(), re.M))


def notify_bodies(run):
    """The NOTIFYs received, in order, as (Subscription-State, body)."""
    out = []
    for block in run.messages().split("-----------------------------------------------"):
        m = re.search(r"^NOTIFY sip:.*?$", block, re.M)
        if not m:
            continue
        ss = re.search(r"(?im)^Subscription-State:\s*(.*?)\r?$", block)
        body = block.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in block else ""
        out.append((ss.group(1) if ss else "", body))
    return out


def publish_at(test, sipp, kam, etags, user, basic, note, activity=""):
    """`user`'s phone PUBLISHes at Kamailio; later ones modify the same
    publication (RFC 3903 SIP-If-Match, its tag kept in `etags`), as a
    phone does."""
    run = sipp.start(publish_scenario(user, basic, note, activity=activity,
                                      etag=etags.get(user)),
                     remote=f"{HOST}:{kam.port}", timeout=10)
    test.assertEqual(run.wait(), 0, run.errors())
    m = re.findall(r"(?im)^SIP-ETag:\s*(\S+)", run.messages())
    if m:
        etags[user] = m[-1]


def watch_contact(env, contact, status, what):
    """alice connects and watches `contact` (approving the gateway's
    request back); returns her client and the first presence of it whose
    <status/> is `status`."""
    alice = gwtest.XmppClient(env, "alice").connect()
    alice.send_raw(f"<presence to='{contact}' type='subscribe'/>")
    alice.wait(lambda s: s.get("type") == "subscribe" and
               s.get("from") == contact, what="subscribe back")
    alice.send_raw(f"<presence to='{contact}' type='subscribed'/>")
    p = alice.wait(lambda s: s.tag == "presence" and
                   s.get("from") == contact and
                   (s.findtext("status") or "") == status,
                   timeout=15, what=what)
    return alice, p


class SipWatchers(gwtest.GatewayTestCase):
    """A: SIP watchers of XMPP users."""

    gateway_overrides = {"presence__min_expires": 2}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()

    def setUp(self):
        self.alice.drain()

    def approve(self, client, contact, grant=True):
        s = client.wait(lambda s: s.tag == "presence" and
                        s.get("type") == "subscribe" and
                        s.get("from") == contact, what="subscribe request")
        client.send_raw(f"<presence to='{contact}' type='"
                        f"{'subscribed' if grant else 'unsubscribed'}'/>")
        return s

    def test_5_01_pending_then_active_and_changes(self):
        """5.1 pending -> alice approves -> active; changes become NOTIFYs;
        non-ASCII status; offline is closed; un-SUBSCRIBE ends it"""
        run = self.sipp.start(watcher_scenario(5), remote=self.gw_target(),
                              timeout=40)
        wait_for(lambda: count_notifies(run) >= 1, 10, what="pending NOTIFY")
        self.assertRegex(notify_bodies(run)[0][0], r"^pending")
        self.approve(self.alice, f"1001@{COMPONENT}")
        wait_for(lambda: count_notifies(run) >= 2, 10, what="active NOTIFY")
        ss, body = notify_bodies(run)[1]
        self.assertRegex(ss, r"^active;expires=\d+")
        self.assertIn("<basic>open</basic>", body)
        self.alice.send_raw("<presence><show>away</show><status xml:lang='fr'>"
                            "Réunion ☕</status></presence>")
        wait_for(lambda: count_notifies(run) >= 3, 10, what="away NOTIFY")
        body = notify_bodies(run)[2][1]
        self.assertIn("Réunion ☕", body)
        self.assertRegex(body, r"<rpid:away\s*/>")
        self.assertIn('xml:lang="fr"', body)
        self.alice.send_raw("<presence><show>dnd</show></presence>")
        wait_for(lambda: count_notifies(run) >= 4, 10, what="dnd NOTIFY")
        self.assertRegex(notify_bodies(run)[3][1], r"<rpid:busy\s*/>")
        self.alice.send_raw("<presence type='unavailable'/>")
        self.assertEqual(run.wait(40), 0, run.errors())
        bodies = notify_bodies(run)
        self.assertIn("<basic>closed</basic>", bodies[4][1])
        self.assertRegex(bodies[5][0], r"^terminated")
        self.alice.send_raw("<presence/>")  # back online for later cases

    def test_5_02_rejected(self):
        """5.2 alice refuses: NOTIFY terminated;reason=rejected"""
        run = self.sipp.start(watcher_scenario(2, watcher="1002",
                                               unsubscribe=False,
                                               final_notify=False),
                              remote=self.gw_target(), timeout=20)
        wait_for(lambda: count_notifies(run) >= 1, 10, what="pending NOTIFY")
        self.approve(self.alice, f"1002@{COMPONENT}", grant=False)
        self.assertEqual(run.wait(20), 0, run.errors())
        self.assertRegex(notify_bodies(run)[1][0],
                         r"^terminated;reason=rejected")

    def test_5_03_resources_and_priorities(self):
        """5.3 several resources: the highest priority available one wins"""
        run = self.sipp.start(watcher_scenario(4, watcher="1003"),
                              remote=self.gw_target(), timeout=40)
        wait_for(lambda: count_notifies(run) >= 1, 10, what="first NOTIFY")
        self.approve(self.alice, f"1003@{COMPONENT}")
        wait_for(lambda: count_notifies(run) >= 2, 10, what="active NOTIFY")
        phone = gwtest.XmppClient(self.env, "alice", resource="phone")
        phone.connect()
        # the phone: priority 10, away
        phone.send_raw("<presence><show>away</show><status>on the bus</status>"
                       "<priority>10</priority></presence>")
        wait_for(lambda: count_notifies(run) >= 3, 10, what="phone NOTIFY")
        self.assertIn("on the bus", notify_bodies(run)[2][1])
        # the phone leaves: the desktop resource (online) wins again
        phone.close()
        self.assertEqual(run.wait(40), 0, run.errors())
        body = notify_bodies(run)[3][1]
        self.assertIn("<basic>open</basic>", body)
        self.assertNotIn("on the bus", body)

    def test_5_04_expiry(self):
        """5.4 no refresh: NOTIFY terminated;reason=timeout at expiry"""
        run = self.sipp.start(watcher_scenario(3, watcher="1004", expires=3,
                                               unsubscribe=False,
                                               final_notify=False),
                              remote=self.gw_target(), timeout=20)
        wait_for(lambda: count_notifies(run) >= 1, 10, what="pending NOTIFY")
        self.approve(self.alice, f"1004@{COMPONENT}")
        self.assertEqual(run.wait(20), 0, run.errors())
        states = [ss for ss, _ in notify_bodies(run)]
        self.assertTrue(any(re.match(r"terminated;reason=timeout", s)
                            for s in states), states)

    def test_5_05_bad_subscribes(self):
        """5.5 wrong event 489, no PIDF in Accept 406, too brief 423,
        unknown user 404"""
        for kw, status in ((dict(event="dialog"), 489),
                           (dict(accept="text/plain"), 406),
                           (dict(expires=1), 423),
                           (dict(user="nobody.here"), 404)):
            with self.subTest(status=status):
                sc = watcher_scenario(0, unsubscribe=False, final_notify=False,
                                      expect=status, **kw)
                if kw.get("user"):
                    sc = sc.replace(GW_SIP_DOMAIN, "elsewhere.example")
                run = self.sipp.start(sc, remote=self.gw_target(), timeout=10)
                self.assertEqual(run.wait(), 0, run.errors())
        self.assertTrue(self.gw.proc.alive())

    def test_5_07_burst_of_changes(self):
        """5.7 quick changes: NOTIFYs may be coalesced (RFC 3856 6.10), but
        the watcher's last NOTIFY carries the last state"""
        run = self.sipp.start(watcher_scenario(0, watcher="1007",
                                               until_quiet_ms=3000),
                              remote=self.gw_target(), timeout=40)
        wait_for(lambda: count_notifies(run) >= 1, 10, what="pending NOTIFY")
        self.approve(self.alice, f"1007@{COMPONENT}")
        wait_for(lambda: count_notifies(run) >= 2, 10, what="active NOTIFY")
        changes = ["away", "dnd", "xa", "chat", "away"]
        for i, show in enumerate(changes, 1):
            self.alice.send_raw(f"<presence><show>{show}</show><status>"
                                f"burst {i}</status></presence>")
        self.assertEqual(run.wait(40), 0, run.errors())
        bodies = notify_bodies(run)
        active = [b for ss, b in bodies if ss.startswith("active")]
        # the first active NOTIFY, then at most one per change
        self.assertLessEqual(len(active), 1 + len(changes), bodies)
        self.assertIn(f"burst {len(changes)}<", active[-1])
        self.assertRegex(active[-1], r"<rpid:away\s*/>")
        self.assertRegex(bodies[-1][0], r"^terminated")
        self.alice.send_raw("<presence/>")  # back online for later cases


def sipp_request(lines, expect):
    """One SIPp request (CDATA text with SIPp keywords) and the status it
    must get."""
    return f"""
  <send retrans="500">
    <![CDATA[
{lines}
      Content-Length: 0

    ]]>
  </send>
  <recv response="{expect}"/>
"""


class NotifierRules(gwtest.GatewayTestCase):
    """5.14-5.17: what the SIP agent's notifier does itself, below the
    presence bridge: RFC 3261 12.2.2 / RFC 6665 dialog rules, failed
    NOTIFYs, TCP, route sets."""

    gateway_overrides = {"presence__min_expires": 2}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.watcher_port = cls.sip_port

    def head(self, method, cseq, to_tag="", watcher="1014", extra=""):
        ruri = "[next_url]" if to_tag == "[peer_tag_param]" else \
            f"sip:alice@{GW_SIP_DOMAIN}"
        return f"""      {method} {ruri} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{watcher}@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@{GW_SIP_DOMAIN}>{to_tag}
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Max-Forwards: 70{extra}"""

    def test_5_14_dialog_rules(self):
        """5.14 OPTIONS 200; PUBLISH 405; no Contact 400; unknown dialog
        481; over 4 KiB of dialog state 513; refresh 200 + NOTIFY;
        un-SUBSCRIBE 200 + terminated NOTIFY"""
        ev = "\n      Event: presence\n      Expires: 600"
        contact = "\n      Contact: <sip:1014@[local_ip]:[local_port]>"
        cases = [
            (self.head("OPTIONS", 1), 200),
            (self.head("PUBLISH", 1) + contact, 405),
            (self.head("SUBSCRIBE", 1) + ev, 400),
            (self.head("SUBSCRIBE", 1, ";tag=nosuch") + contact + ev, 481),
            # more dialog state than one subscription may keep
            (self.head("SUBSCRIBE", 1) + contact + "".join(
                f"\n      Record-Route: <sip:proxy{i}.{PBX_DOMAIN}:5060;"
                f"transport=udp;lr;ftag=abcdefghijklmnop>" for i in range(60))
             + ev, 513),
        ]
        for lines, status in cases:
            with self.subTest(status=status):
                sc = ('<?xml version="1.0" encoding="UTF-8" ?>\n'
                      '<scenario name="edge">' + sipp_request(lines, status) +
                      "</scenario>")
                run = self.sipp.start(sc, remote=self.gw_target(), timeout=10)
                self.assertEqual(run.wait(), 0, run.errors())
        peer = "[peer_tag_param]"
        steps = (sipp_request(self.head("SUBSCRIBE", 5) + contact + ev, 202)
                 .replace('<recv response="202"/>',
                          '<recv response="202" rrs="true"/>') +
                 '\n  <recv request="NOTIFY" timeout="10000"/>' +
                 gwtest.sipp_ok() +
                 sipp_request(self.head("SUBSCRIBE", 6, peer) + contact + ev,
                              200) +
                 '\n  <recv request="NOTIFY" timeout="10000"/>' +
                 gwtest.sipp_ok() +
                 sipp_request(self.head("SUBSCRIBE", 7, peer) + contact +
                              "\n      Event: presence\n      Expires: 0",
                              200) +
                 '\n  <recv request="NOTIFY" timeout="10000"/>' +
                 gwtest.sipp_ok())
        sc = ('<?xml version="1.0" encoding="UTF-8" ?>\n'
              '<scenario name="dialog">' + steps + "</scenario>")
        run = self.sipp.start(sc, remote=self.gw_target(), timeout=30)
        self.assertEqual(run.wait(40), 0, run.errors())
        states = [ss for ss, _ in notify_bodies(run)]
        self.assertEqual(len(states), 3, states)
        self.assertRegex(states[0], r"^pending;expires=")
        self.assertRegex(states[1], r"^pending;expires=")
        self.assertRegex(states[2], r"^terminated;reason=timeout")
        msgs = run.messages()
        # NOTIFY CSeqs go up by one within the dialog
        seqs = [int(x) for x in re.findall(r"(?m)^CSeq:\s*(\d+) NOTIFY", msgs)]
        self.assertEqual(len(set(seqs)), 3, seqs)
        self.assertEqual(seqs, sorted(seqs), seqs)
        self.assertRegex(msgs, r"(?m)^Contact: <sip:127\.0\.0\.1:%d>"
                         % self.watcher_port)
        self.assertTrue(self.gw.proc.alive())

    def test_5_14c_untrusted(self):
        """5.14c the watcher port trusts as [sip] listen does: a SUBSCRIBE
        from 127.0.0.2 (not trusted, no sip_users_file) gets 403"""
        sc = watcher_scenario(0, watcher="1018", unsubscribe=False,
                              final_notify=False, expect=403)
        run = self.sipp.start(sc, remote=self.gw_target(),
                              local_ip="127.0.0.2", timeout=10)
        self.assertEqual(run.wait(), 0, run.errors())

    def test_5_14b_cseq_order(self):
        """5.14b a SUBSCRIBE in the dialog with a CSeq not above the last
        gets 500 (RFC 3261 12.2.2); the dialog lives on (raw UDP: SIPp
        takes that 500 for a stray answer)"""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((HOST, 0))
        sock.settimeout(5)
        lport = sock.getsockname()[1]
        dest = (HOST, self.watcher_port)

        def request(cseq, to_tag="", branch="b1"):
            return (f"SUBSCRIBE sip:alice@{GW_SIP_DOMAIN} SIP/2.0\r\n"
                    f"Via: SIP/2.0/UDP {HOST}:{lport};branch=z9hG4bK{branch}\r\n"
                    f"From: <sip:1017@{PBX_DOMAIN}>;tag=w17\r\n"
                    f"To: <sip:alice@{GW_SIP_DOMAIN}>{to_tag}\r\n"
                    f"Call-ID: cseq-order-{lport}\r\n"
                    f"CSeq: {cseq} SUBSCRIBE\r\n"
                    f"Contact: <sip:1017@{HOST}:{lport}>\r\n"
                    "Event: presence\r\nExpires: 600\r\n"
                    "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n")

        def answer_of(branch):
            """The response to our request; NOTIFYs meanwhile get 200."""
            while True:
                data = sock.recv(65536).decode()
                if data.startswith("NOTIFY"):
                    hdrs = [ln for ln in data.split("\r\n")
                            if ln.split(":")[0].lower() in
                            ("via", "from", "to", "call-id", "cseq")]
                    sock.sendto(("SIP/2.0 200 OK\r\n" + "\r\n".join(hdrs) +
                                 "\r\nContent-Length: 0\r\n\r\n").encode(),
                                dest)
                    continue
                if branch in data.split("\r\n", 3)[1]:
                    return data

        try:
            sock.sendto(request(5).encode(), dest)
            first = answer_of("b1")
            self.assertTrue(first.startswith("SIP/2.0 202"), first)
            tag = gwtest.to_tag(first)
            self.assertIsNotNone(tag, first)
            for cseq, branch, want in ((5, "b2", "500"), (4, "b3", "500"),
                                       (6, "b4", "200")):
                sock.sendto(request(cseq, ";tag=" + tag, branch).encode(),
                            dest)
                got = answer_of(branch)
                self.assertTrue(got.startswith("SIP/2.0 " + want),
                                f"CSeq {cseq}: {got}")
        finally:
            sock.close()

    def test_5_17_route_set(self):
        """5.17 a Record-Route in the SUBSCRIBE is the NOTIFYs' route set
        (RFC 3261 12.1.1 / 12.2.1.1): a loose router goes in Route with
        the Contact as Request-URI; a strict one becomes the Request-URI
        and the Contact goes last in Route"""
        for lr, watcher in ((";lr", "1019"), ("", "1020")):
            with self.subTest(loose=bool(lr)):
                steps = sipp_request(
                    self.head("SUBSCRIBE", 1, watcher=watcher) +
                    f"\n      Contact: <sip:{watcher}@[local_ip]:[local_port]>"
                    "\n      Record-Route: <sip:[local_ip]:[local_port]"
                    f"{lr}>\n      Event: presence\n      Expires: 2", 202)
                steps += ('\n  <recv request="NOTIFY" timeout="10000"/>' +
                          gwtest.sipp_ok())
                sc = ('<?xml version="1.0" encoding="UTF-8" ?>\n'
                      '<scenario name="route">' + steps + "</scenario>")
                run = self.sipp.start(sc, remote=self.gw_target(), timeout=15)
                self.assertEqual(run.wait(20), 0, run.errors())
                msgs = run.messages()
                self.assertRegex(msgs, r"(?m)^Record-Route: <sip:127\.0\.0\.1"
                                 r":\d+%s>" % lr)  # copied into the 202
                notify = msgs[msgs.index("NOTIFY sip:"):]
                if lr:
                    self.assertRegex(notify, r"^NOTIFY sip:%s@127\.0\.0\.1:"
                                     r"\d+ SIP/2.0" % watcher)
                    self.assertRegex(notify, r"(?m)^Route: <sip:127\.0\.0\.1"
                                     r":\d+;lr>")
                else:
                    self.assertRegex(notify, r"^NOTIFY sip:127\.0\.0\.1:\d+ "
                                     r"SIP/2.0")
                    self.assertRegex(notify, r"(?m)^Route: <sip:%s@127\.0\.0"
                                     r"\.1:\d+>" % watcher)

    def test_5_15_notify_refused(self):
        """5.15 a watcher that answers NOTIFY with 481 is gone: the
        subscription ends, a later refresh gets 481"""
        contact = "\n      Contact: <sip:1015@[local_ip]:[local_port]>"
        ev = "\n      Event: presence\n      Expires: 600"
        steps = (sipp_request(self.head("SUBSCRIBE", 1, watcher="1015") +
                              contact + ev, 202)
                 .replace('<recv response="202"/>',
                          '<recv response="202" rrs="true"/>') +
                 '\n  <recv request="NOTIFY" timeout="10000"/>' +
                 gwtest.sipp_ok().replace("200 OK", "481 Gone") +
                 '\n  <pause milliseconds="500"/>' +
                 sipp_request(self.head("SUBSCRIBE", 2, "[peer_tag_param]",
                                        watcher="1015") + contact + ev, 481))
        sc = ('<?xml version="1.0" encoding="UTF-8" ?>\n'
              '<scenario name="gone">' + steps + "</scenario>")
        run = self.sipp.start(sc, remote=self.gw_target(), timeout=20)
        self.assertEqual(run.wait(30), 0, run.errors())
        self.assertTrue(self.gw.proc.wait_log(r"NOTIFY to sip:1015@.* "
                                              r"answered 481", 5))
        self.assertTrue(self.gw.proc.wait_log(r"SIP watcher 1015@.* gone", 5))

    def test_5_16_tcp(self):
        """5.16 a watcher over TCP: NOTIFYs come back on its connection,
        our Contact says transport=tcp"""
        run = self.sipp.start(watcher_scenario(1, watcher="1016",
                                               contact_params=";transport=tcp"),
                              remote=self.gw_target(), transport="t1",
                              timeout=30)
        self.assertEqual(run.wait(40), 0, run.errors())
        msgs = run.messages()
        self.assertRegex(msgs, r"(?m)^Contact: <sip:127\.0\.0\.1:%d;"
                         r"transport=tcp>" % self.watcher_port)
        self.assertRegex(notify_bodies(run)[-1][0], r"^terminated")


class SipWatcherRestart(unittest.TestCase):
    """5.6 a gateway restart: clean stop ends subscriptions with probation;
    a refresh reaching a restarted gateway gets 481."""

    def test_5_06_restart(self):
        env = gwtest.Env("PresRestart")
        try:
            env.prosody = gwtest.Prosody(env).start()
            port = free_port(udp_too=True)
            cfg = gwtest.default_gateway_config(env, env.prosody, port)
            gw = gwtest.Gateway(env, cfg).start()
            alice = gwtest.XmppClient(env, "alice").connect()
            sipp = gwtest.Sipp(env)
            run = sipp.start(watcher_scenario(3, watcher="1005",
                                              unsubscribe=False,
                                              final_notify=False),
                             remote=f"{HOST}:{port}", timeout=30)
            wait_for(lambda: count_notifies(run) >= 1, 10, what="pending")
            alice.wait(lambda s: s.get("type") == "subscribe")
            alice.send_raw(f"<presence to='1005@{COMPONENT}' type='subscribed'/>")
            wait_for(lambda: count_notifies(run) >= 2, 10, what="active")
            self.assertEqual(gw.stop(), 0)
            self.assertEqual(run.wait(20), 0, run.errors())
            self.assertRegex(notify_bodies(run)[2][0],
                             r"terminated;reason=probation;retry-after=30")
            # a refresh of a dialog the new process never knew: 481
            gw2 = gwtest.Gateway(env, cfg, name="gateway2").start()
            refresh = f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="stale refresh">
  <send retrans="500">
    <![CDATA[
      SUBSCRIBE sip:alice@{GW_SIP_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:1005@{PBX_DOMAIN}>;tag=stale
      To: <sip:alice@{GW_SIP_DOMAIN}>;tag=gone
      Call-ID: [call_id]
      CSeq: 7 SUBSCRIBE
      Contact: <sip:1005@[local_ip]:[local_port]>
      Event: presence
      Expires: 600
      Content-Length: 0

    ]]>
  </send>
  <recv response="481"/>
</scenario>
"""
            r2 = sipp.start(refresh, remote=f"{HOST}:{port}", timeout=10)
            self.assertEqual(r2.wait(), 0, r2.errors())
            self.assertEqual(gw2.stop(), 0)
        finally:
            env.close()


class LinkOutage(unittest.TestCase):
    """5.8 a resource leaves while the component link is down: Prosody
    bounces her unavailable and answers the probe at link up only for the
    resources still there (RFC 6121 4.3.2); the gateway drops the stale
    one after its grace period and the watcher sees the true state."""

    def component_bounces(self, client):
        """True once Prosody bounces an iq to the component (it has seen
        the link go); each try waits at most 1 s for an answer."""
        for i in range(10):
            iq_id = f"outage{i}"
            client.send_raw(f"<iq type='get' to='{COMPONENT}' id='{iq_id}'>"
                            "<query xmlns='http://jabber.org/protocol/"
                            "disco#info'/></iq>")
            try:
                r = client.wait(lambda s: s.tag == "iq" and
                                s.get("id") == iq_id, timeout=1,
                                what="iq answer")
            except AssertionError:
                continue
            if r.get("type") == "error":
                return True
        return False

    def test_5_08_resource_gone_during_outage(self):
        """5.8 r2 (dnd, priority 10) leaves and r1 goes away while the
        component link is down: after the reconnect, the watcher's next
        NOTIFY is away (r1), not busy (stale r2)"""
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        env = gwtest.Env("PresOutage")
        cutter = None
        rc = None
        try:
            env.prosody = gwtest.Prosody(env).start()
            cutter = gwtest.ComponentRelay(env.prosody.component_port)
            port = free_port(udp_too=True)
            cfg = gwtest.default_gateway_config(env, env.prosody, port,
                                                xmpp__port=cutter.port)
            gw = gwtest.Gateway(env, cfg).start()
            r1 = gwtest.XmppClient(env, "alice", resource="r1").connect()
            sipp = gwtest.Sipp(env)
            run = sipp.start(watcher_scenario(4, watcher="1008"),
                             remote=f"{HOST}:{port}", timeout=60)
            wait_for(lambda: count_notifies(run) >= 1, 10, what="pending")
            r1.wait(lambda s: s.get("type") == "subscribe",
                    what="subscribe request")
            r1.send_raw(f"<presence to='1008@{COMPONENT}' type='subscribed'/>")
            wait_for(lambda: count_notifies(run) >= 2, 10, what="active")
            r2 = gwtest.XmppClient(env, "alice", resource="r2").connect()
            r2.send_raw("<presence><show>dnd</show><priority>10</priority>"
                        "</presence>")
            wait_for(lambda: count_notifies(run) >= 3, 10, what="busy")
            self.assertRegex(notify_bodies(run)[2][1], r"<rpid:busy\s*/>")

            # the outage: the component link goes, Prosody stays
            cutter.cut()
            gw.proc.wait_log(r"XMPP link to .* lost|closed the stream|"
                             r"XMPP link closed", 10)
            self.assertTrue(self.component_bounces(r1),
                            "Prosody still routes to the component")
            r2.close()  # its unavailable bounces
            r1.wait(lambda s: s.tag == "presence" and
                    s.get("from") == f"{r2.jid}" and
                    s.get("type") == "unavailable", what="r2 unavailable")
            r1.send_raw("<presence><show>away</show></presence>")
            r1.wait(lambda s: s.tag == "presence" and
                    s.get("from") == r1.jid and s.findtext("show") == "away",
                    what="r1's own away presence")
            self.assertEqual(count_notifies(run), 3)

            cutter.restore()
            gw.proc.wait_log(r"XMPP link up", 15, count=2)
            # the probe answer (r1 away), then the grace period (5 s)
            wait_for(lambda: count_notifies(run) >= 4, 15,
                     what="NOTIFY after the reconnect")
            body = notify_bodies(run)[3][1]
            self.assertRegex(body, r"<rpid:away\s*/>")
            self.assertNotRegex(body, r"busy")
            gw.proc.wait_log(r"presence of alice@localhost: 1 resource\(s\) "
                             r"not confirmed .*dropped", 5)
            self.assertEqual(run.wait(30), 0, run.errors())
            bodies = notify_bodies(run)
            # no other NOTIFY in between: the next one is the final one
            self.assertRegex(bodies[4][0], r"^terminated")
            self.assertRegex(bodies[4][1], r"<rpid:away\s*/>")
            rc = gw.stop()
            self.assertEqual(rc, 0)
        finally:
            if cutter is not None:
                cutter.close()
            env.close(keep=rc not in (None, 0))


class XmppWatchers(unittest.TestCase):
    """B: XMPP users watching SIP contacts through Kamailio's presence
    server; PUBLISH of XMPP users' presence."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        cls.etags = {}  # per Kamailio: each class starts its own
        env = cls.env = gwtest.Env(cls.__name__)
        env.prosody = gwtest.Prosody(env).start()
        cls.kam = gwtest.Kamailio(env, presence=True).start()
        cls.port = free_port(udp_too=True)
        cls.state = os.path.join(env.root, "presence.state")
        cfg = gwtest.default_gateway_config(
            env, env.prosody, cls.port,
            presence__server=f"sip:{HOST}:{cls.kam.port}",
            presence__allow_watchers="alice@localhost",
            presence__publish="true",
            presence__state_file=cls.state,
            sip__outbound_proxy=f"sip:{HOST}:{cls.kam.port}")
        cls.gw = gwtest.Gateway(env, cfg).start()
        cls.sipp = gwtest.Sipp(env)
        cls.alice = gwtest.XmppClient(env, "alice").connect()

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop()
        cls.env.close(keep=rc != 0)
        assert rc == 0, f"gateway exit {rc}"

    etags = {}

    def publish(self, user, basic, note, activity=""):
        publish_at(self, self.sipp, self.kam, self.etags, user, basic, note,
                   activity)

    def test_5_10_watch_sip_contact(self):
        """5.10 alice subscribes to 2001: subscribed; PUBLISHed presence at
        Kamailio reaches her as XMPP presence; changes follow"""
        a = self.alice
        contact = f"2001@{COMPONENT}"
        self.publish("2001", "open", "at my desk")
        a.send_raw(f"<presence to='{contact}' type='subscribe'/>")
        a.wait(lambda s: s.get("type") == "subscribed" and
               s.get("from") == contact, what="subscribed")
        # the gateway asks for her presence in return: approve
        a.wait(lambda s: s.get("type") == "subscribe" and
               s.get("from") == contact, what="subscribe back")
        a.send_raw(f"<presence to='{contact}' type='subscribed'/>")
        p = a.wait(lambda s: s.tag == "presence" and s.get("from") == contact
                   and s.get("type") is None and
                   (s.findtext("status") or "") == "at my desk",
                   timeout=15, what="2001 available")
        self.publish("2001", "open", "on a call",
                     activity="<rpid:activities><rpid:on-the-phone/>"
                              "</rpid:activities>")
        p = a.wait(lambda s: s.get("from") == contact and
                   (s.findtext("status") or "") == "on a call",
                   timeout=15, what="2001 on the phone")
        self.assertEqual(p.findtext("show"), "away")
        self.publish("2001", "closed", "gone home")
        a.wait(lambda s: s.get("from") == contact and
               s.get("type") == "unavailable", timeout=15,
               what="2001 unavailable")
        # watchers are kept across restarts (written after a short debounce)
        wait_for(lambda: os.path.exists(self.state) and
                 f"2001@{COMPONENT} alice@localhost" in open(self.state).read(),
                 5, what="state file")

    def test_5_11_refused_watcher(self):
        """5.11 bob is not in allow_watchers: unsubscribed"""
        bob = gwtest.XmppClient(self.env, "bob").connect()
        bob.send_raw(f"<presence to='2002@{COMPONENT}' type='subscribe'/>")
        bob.wait(lambda s: s.get("type") == "unsubscribed", what="refusal")

    def test_5_12_publish(self):
        """5.12 publish = true: alice's presence is PUBLISHed to Kamailio,
        where a SIP watcher sees it"""
        # alice has approved 2001@component above (or approve it now)
        a = self.alice
        contact = f"2003@{COMPONENT}"
        a.send_raw(f"<presence to='{contact}' type='subscribe'/>")
        a.wait(lambda s: s.get("type") == "subscribe" and
               s.get("from") == contact, what="subscribe back")
        a.send_raw(f"<presence to='{contact}' type='subscribed'/>")
        a.send_raw("<presence><show>xa</show><status>published</status></presence>")
        self.gw.proc.wait_log(r"presence of alice@localhost is now", 10)
        # a watcher at Kamailio for sip:alice@gw.localhost
        sc = watcher_scenario(1, watcher="3001", unsubscribe=False,
                              final_notify=False)
        run = self.sipp.start(sc, remote=f"{HOST}:{self.kam.port}",
                              timeout=15)
        self.assertEqual(run.wait(), 0, run.errors())
        self.assertIn("published", notify_bodies(run)[0][1])


class BadNotify(gwtest.GatewayTestCase):
    """5.13 a malformed PIDF from the presence server is logged and
    ignored; a good one after it gets through."""

    NOTIFIER = free_port(udp_too=True)
    gateway_overrides = {
        "presence__server": f"sip:{HOST}:{NOTIFIER}",
        "presence__allow_watchers": "localhost",
    }

    def test_5_13_malformed_pidf(self):
        notifier = f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="notifier">
  <recv request="SUBSCRIBE" crlf="true"/>
  {gwtest.sipp_ok(status="202 Accepted", to_tag="notifier", headers=(
      "Contact: <sip:notifier@[local_ip]:[local_port]>", "Expires: 600"))}
  {notifier_notify(1, "notifier", '<presence xmlns="urn:ietf:params:xml:ns:pidf"><tuple id="x"><status><basic>open</basic></stat')}
  <recv response="200"/>
  {notifier_notify(2, "notifier", '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:4001@pbx.localhost"><tuple id="x"><status><basic>open</basic></status><note>fine again</note></tuple></presence>')}
  <recv response="200"/>
  <recv request="SUBSCRIBE" timeout="15000" optional="false"/>
  {gwtest.sipp_ok(headers=("Expires: 0",))}
</scenario>
"""
        # From/To of the SUBSCRIBE, swapped for the NOTIFYs
        notifier = notifier.replace(
            '<recv request="SUBSCRIBE" crlf="true"/>',
            '<recv request="SUBSCRIBE" rrs="true"><action>'
            '<ereg regexp=".*" search_in="hdr" header="From:" '
            'assign_to="from_hdr"/>'
            '<ereg regexp=".*" search_in="hdr" header="To:" '
            'assign_to="to_hdr"/></action></recv>', 1)
        run = self.sipp.start(notifier, port=self.NOTIFIER, timeout=30)
        time.sleep(0.3)
        alice, p = watch_contact(self.env, f"4001@{COMPONENT}",
                                 "fine again", "good presence")
        self.assertIsNone(p.get("type"))
        self.gw.proc.wait_log(r"bad PIDF", 5)
        # alice leaves: the gateway un-SUBSCRIBEs
        alice.send_raw("<presence type='unavailable'/>")
        self.assertEqual(run.wait(30), 0, run.errors())
        self.assertTrue(self.gw.proc.alive())
        # which agent subscribed: the SUBSCRIBEs' Contact port says it
        ports = re.findall(r"(?m)^Contact: <sip:[^>]*:(\d+)", run.messages())
        self.assertTrue(ports)
        self.assertEqual(int(ports[0]), self.subscriber_port())

    def subscriber_port(self):
        return self.sip_port



class ClientAuth(gwtest.GatewayTestCase):
    """5.18 the SIP agent answers a presence server's digest challenge to
    its SUBSCRIBE with [sip] credentials (RFC 2617, qop=auth), then takes
    the NOTIFY; the digest is recomputed here."""

    NOTIFIER = free_port(udp_too=True)
    gateway_overrides = {
        "presence__server": f"sip:{HOST}:{NOTIFIER}",
        "presence__allow_watchers": "localhost",
        "sip__auth_username": "gwuser",
        "sip__password": "s3cret-pw",
    }

    def test_5_18_digest(self):
        ok = gwtest.sipp_ok
        accepted = ("Contact: <sip:notifier@[local_ip]:[local_port]>",
                    "Expires: 600")
        challenge = ('WWW-Authenticate: Digest realm="pbx.localhost", '
                     'nonce="5f1e2d3c4b5a", qop="auth", algorithm=MD5',)
        notifier = f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="challenging notifier">
  <recv request="SUBSCRIBE"/>
  {ok(status="401 Unauthorized", to_tag="n1", headers=challenge)}
  <recv request="SUBSCRIBE" rrs="true">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" assign_to="from_hdr"/>
      <ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>
    </action>
  </recv>
  {ok(status="202 Accepted", to_tag="n1", headers=accepted)}
  {notifier_notify(1, "n1", '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:4018@pbx.localhost"><tuple id="x"><status><basic>open</basic></status><note>authenticated</note></tuple></presence>')}
  <recv response="200"/>
  <recv request="SUBSCRIBE" timeout="15000"/>
  {ok(headers=("Expires: 0",))}
</scenario>
"""
        run = self.sipp.start(notifier, port=self.NOTIFIER, timeout=30)
        time.sleep(0.3)
        alice, _ = watch_contact(self.env, f"4018@{COMPONENT}",
                                 "authenticated",
                                 "presence after the challenge")
        alice.send_raw("<presence type='unavailable'/>")
        self.assertEqual(run.wait(30), 0, run.errors())
        gwtest.assert_digest(self, run.messages(), "SUBSCRIBE", "5f1e2d3c4b5a")
        self.assertNotIn("s3cret-pw", self.gw.log())


class BaresipWatcher(gwtest.GatewayTestCase):
    """5.19 a real SIP phone stack as watcher: baresip 1.0's presence
    module subscribes to alice (p2p, straight to [sip] listen) and reads
    our PIDF: open -> Online, dnd (RPID busy) -> Busy, unavailable ->
    Offline."""

    gateway_overrides = {
        "presence__min_expires": 2,
    }

    @classmethod
    def setUpClass(cls):
        if shutil.which("baresip") is None or not os.path.exists(
                "/usr/lib/baresip/modules/presence.so"):
            raise unittest.SkipTest("baresip with its presence module is "
                                    "not installed")
        super().setUpClass()

    def watch_port(self):
        return self.sip_port

    def status_of(self, phone, uri):
        """alice's presence as baresip's contact list shows it."""
        text = phone.command("contacts").get("data", "")
        for line in text.splitlines():
            if uri in line:
                return line
        return ""

    def test_5_19_baresip(self):
        alice = gwtest.XmppClient(self.env, "alice").connect()
        uri = f"sip:alice@{GW_SIP_DOMAIN}"
        port = self.watch_port()
        phone = gwtest.Baresip(self.env, "1019", port, "/dev/null")
        with open(os.path.join(phone.dir, "config"), "a") as f:
            f.write("module_app contact.so\nmodule_app presence.so\n")
        with open(os.path.join(phone.dir, "accounts"), "w") as f:
            # no registrar: requests go straight to the watcher port
            f.write(f"<sip:1019@{PBX_DOMAIN}>;regint=0;pubint=0;"
                    f"outbound=\"sip:{HOST}:{port};"
                    "transport=udp\"\n")
        with open(os.path.join(phone.dir, "contacts"), "w") as f:
            f.write(f'"Alice" <{uri}>;presence=p2p\n')
        phone.start()
        alice.wait(lambda s: s.get("type") == "subscribe" and
                   s.get("from") == f"1019@{COMPONENT}",
                   timeout=15, what="baresip's subscription request")
        alice.send_raw(f"<presence to='1019@{COMPONENT}' type='subscribed'/>")
        wait_for(lambda: "Online" in self.status_of(phone, uri), 15,
                 what="baresip shows alice Online")
        alice.send_raw("<presence><show>dnd</show><status>in a meeting"
                       "</status></presence>")
        wait_for(lambda: "Busy" in self.status_of(phone, uri), 15,
                 what="baresip shows alice Busy")
        alice.send_raw("<presence type='unavailable'/>")
        wait_for(lambda: "Offline" in self.status_of(phone, uri), 15,
                 what="baresip shows alice Offline")
        phone.stop()


# ---- 5.20-5.23: directed presence, no churn, no repeated requests -------

END_MARK = "end-of-case"


def steady_watcher_scenario(watcher, user="alice", expires=3600):
    """A SIP watcher that SUBSCRIBEs and answers every NOTIFY until one
    carries END_MARK (a status of alice's), then stops: no refresh, no
    un-SUBSCRIBE (the subscription outlives the case; the gateway's NOTIFYs
    after that go nowhere and end it)."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="steady watcher">
  <send retrans="500">
    <![CDATA[
      SUBSCRIBE sip:{user}@{GW_SIP_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{watcher}@{PBX_DOMAIN}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@{GW_SIP_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 1 SUBSCRIBE
      Contact: <sip:{watcher}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Event: presence
      Accept: application/pidf+xml
      Expires: {expires}
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" optional="true" next="1"/>
  <recv response="202"/>
  <label id="1"/>
  <recv request="NOTIFY" timeout="90000">
    <action>
      <ereg regexp="{END_MARK}" search_in="body" check_it="false"
            assign_to="done"/>
    </action>
  </recv>
{gwtest.sipp_ok(' next="2" test="done"')}
  <nop next="1"/>
  <label id="2"/>
</scenario>
"""


def closed_notifies(run):
    """The NOTIFYs that told the watcher alice is offline."""
    return [b for ss, b in notify_bodies(run)
            if "<basic>closed</basic>" in b]


def subscribes_sent(gw, contact, user="alice@localhost"):
    """How many <presence type='subscribe'/> the gateway sent from a
    component JID to a user (its log: [log] stanzas; attributes in any
    order, none but these three)."""
    want = {"from": contact, "to": user, "type": "subscribe"}
    return sum(1 for m in re.finditer(r"SEND <presence\b([^>]*)/>", gw.log())
               if dict(re.findall(r"(\w+)='([^']*)'", m.group(1))) == want)


class DirectedPresence(unittest.TestCase):
    """5.20-5.22, 5.24: presence that alice's server sends to ONE
    component JID she has not approved (RFC 6121 4.6 directed presence;
    the 'unavailable' with which Prosody acknowledges a subscription
    request she has not answered; the one that follows a revocation) is
    not her presence toward the other watchers. Real Prosody, Kamailio as
    presence server for the SIP contacts she watches, SIPp watchers
    straight to the gateway."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        env = cls.env = gwtest.Env(cls.__name__)
        env.prosody = gwtest.Prosody(env).start()
        cls.kam = gwtest.Kamailio(env, presence=True).start()
        cls.port = free_port(udp_too=True)
        cfg = gwtest.default_gateway_config(
            env, env.prosody, cls.port,
            presence__server=f"sip:{HOST}:{cls.kam.port}",
            presence__allow_watchers="alice@localhost",
            presence__state_file=os.path.join(env.root, "presence.state"))
        cls.gw = gwtest.Gateway(env, cfg).start()
        cls.sipp = gwtest.Sipp(env)
        cls.alice = gwtest.XmppClient(env, "alice").connect()

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop()
        cls.env.close(keep=rc != 0)
        assert rc == 0, f"gateway exit {rc}"

    def setUp(self):
        self.alice.drain()

    def offline_lines(self):
        return len(re.findall(r"presence of alice@localhost is now offline",
                              self.gw.log()))

    def active_watcher(self, number):
        """A steady SIP watcher of alice that she approves; returns its run
        once it has her 'open'."""
        run = self.sipp.start(steady_watcher_scenario(number),
                              remote=f"{HOST}:{self.port}", timeout=120)
        wait_for(lambda: count_notifies(run) >= 1, 10, what="pending NOTIFY")
        contact = f"{number}@{COMPONENT}"
        self.alice.wait(lambda s: s.get("type") == "subscribe" and
                        s.get("from") == contact, what="subscribe request")
        self.alice.send_raw(f"<presence to='{contact}' type='subscribed'/>")
        wait_for(lambda: any("<basic>open</basic>" in b
                             for _, b in notify_bodies(run)), 10,
                 what=f"{number} sees alice open")
        return run

    def finish(self, run, number):
        """alice's next change reaches the watcher, which then stops."""
        self.alice.send_raw(f"<presence><show>chat</show><status>{END_MARK}"
                            "</status></presence>")
        self.assertEqual(run.wait(20), 0, run.errors())
        ss, body = notify_bodies(run)[-1]
        self.assertRegex(ss, r"^active")
        self.assertIn(END_MARK, body)
        self.assertIn("<basic>open</basic>", body)
        self.assertEqual(closed_notifies(run), [], f"{number} saw a flap")
        self.alice.send_raw("<presence/>")

    def test_5_20_second_watcher_pending_then_refused(self):
        """5.20 watcher 1001 approved and active; a second watcher 1004
        subscribes and alice leaves the request unanswered: Prosody's
        'unavailable' to 1004 (its acknowledgement) does not make 1001 see
        her closed, nor the gateway think her offline; alice refuses 1004
        (terminated;reason=rejected): 1001 still sees her open, and her
        next change reaches 1001"""
        w1 = self.active_watcher("1001")
        offline0 = self.offline_lines()
        w2 = self.sipp.start(watcher_scenario(2, watcher="1004",
                                              unsubscribe=False,
                                              final_notify=False),
                             remote=f"{HOST}:{self.port}", timeout=60)
        wait_for(lambda: count_notifies(w2) >= 1, 10, what="1004 pending")
        self.alice.wait(lambda s: s.get("type") == "subscribe" and
                        s.get("from") == f"1004@{COMPONENT}",
                        what="1004's subscribe request")
        time.sleep(4)  # the request stays pending
        self.assertEqual(closed_notifies(w1), [],
                         "1001 saw alice closed while 1004 was pending")
        self.assertEqual(self.offline_lines(), offline0)
        self.alice.send_raw(f"<presence to='1004@{COMPONENT}' "
                            "type='unsubscribed'/>")
        self.assertEqual(w2.wait(20), 0, w2.errors())
        self.assertRegex(notify_bodies(w2)[1][0],
                         r"^terminated;reason=rejected")
        time.sleep(2)
        self.assertEqual(closed_notifies(w1), [],
                         "1001 saw alice closed after she refused 1004")
        self.assertEqual(self.offline_lines(), offline0)
        self.finish(w1, "1001")

    def test_5_21_alice_adds_sip_contact(self):
        """5.21 alice subscribes to 1002 while SIP watcher 1006 watches her:
        the gateway's subscription request back to her is acknowledged by
        Prosody with 'unavailable' to 1002, which 1006 never sees as a
        flap; nor does her approval of 1002"""
        w = self.active_watcher("1006")
        offline0 = self.offline_lines()
        contact = f"1002@{COMPONENT}"
        self.alice.send_raw(f"<presence to='{contact}' type='subscribe'/>")
        self.alice.wait(lambda s: s.get("type") == "subscribed" and
                        s.get("from") == contact, what="subscribed")
        self.alice.wait(lambda s: s.get("type") == "subscribe" and
                        s.get("from") == contact, what="subscribe back")
        time.sleep(3)
        self.assertEqual(closed_notifies(w), [],
                         "1006 saw alice closed when she added 1002")
        self.assertEqual(self.offline_lines(), offline0)
        self.alice.send_raw(f"<presence to='{contact}' type='subscribed'/>")
        time.sleep(2)
        self.assertEqual(closed_notifies(w), [],
                         "1006 saw alice closed when she approved 1002")
        self.assertEqual(self.offline_lines(), offline0)
        self.finish(w, "1006")

    def test_5_22_no_churn(self):
        """5.22 alice watches SIP contact 1003 (one SUBSCRIBE at Kamailio);
        a new SIP watcher 1007 of hers subscribes and stays pending, then
        she changes her presence: the gateway neither un-SUBSCRIBEs nor
        re-SUBSCRIBEs 1003"""
        a = self.alice
        contact = f"1003@{COMPONENT}"
        sub = r"subscribing to sip:1003@%s for" % re.escape(PBX_DOMAIN)
        unsub = r"of sip:1003@%s online: unsubscribing" % re.escape(PBX_DOMAIN)
        a.send_raw(f"<presence to='{contact}' type='subscribe'/>")
        a.wait(lambda s: s.get("type") == "subscribe" and
               s.get("from") == contact, what="subscribe back")
        a.send_raw(f"<presence to='{contact}' type='subscribed'/>")
        self.gw.proc.wait_log(sub, 10)
        a.wait(lambda s: s.get("from") == contact and
               s.get("type") in (None, "unavailable"), 10,
               what="1003's presence")
        w = self.sipp.start(watcher_scenario(2, watcher="1007",
                                             unsubscribe=False,
                                             final_notify=False),
                            remote=f"{HOST}:{self.port}", timeout=60)
        a.wait(lambda s: s.get("type") == "subscribe" and
               s.get("from") == f"1007@{COMPONENT}",
               what="1007's subscribe request")
        time.sleep(3)
        a.send_raw("<presence><show>away</show><status>still here"
                   "</status></presence>")
        time.sleep(2)
        log = self.gw.log()
        self.assertEqual(len(re.findall(sub, log)), 1, "re-SUBSCRIBEd 1003")
        self.assertEqual(len(re.findall(unsub, log)), 0,
                         "un-SUBSCRIBEd 1003")
        a.send_raw(f"<presence to='1007@{COMPONENT}' type='unsubscribed'/>")
        self.assertEqual(w.wait(20), 0, w.errors())
        a.send_raw("<presence/>")

    def test_5_24_revoked_watcher(self):
        """5.24 alice approved watchers 1010 and 1011, then revokes 1010
        (unsubscribed): 1010's subscription ends (rejected), and the
        unavailable that Prosody then sends from her resource to 1010
        (RFC 6121 3.2.2) is not hers toward 1011, which keeps seeing her
        open and gets her next change"""
        w1 = self.active_watcher("1011")
        offline0 = self.offline_lines()
        w2 = self.sipp.start(watcher_scenario(3, watcher="1010",
                                              unsubscribe=False,
                                              final_notify=False),
                             remote=f"{HOST}:{self.port}", timeout=60)
        contact = f"1010@{COMPONENT}"
        self.alice.wait(lambda s: s.get("type") == "subscribe" and
                        s.get("from") == contact, what="1010's request")
        self.alice.send_raw(f"<presence to='{contact}' type='subscribed'/>")
        wait_for(lambda: count_notifies(w2) >= 2, 10, what="1010 active")
        self.alice.send_raw(f"<presence to='{contact}' type='unsubscribed'/>")
        self.assertEqual(w2.wait(20), 0, w2.errors())
        self.assertRegex(notify_bodies(w2)[2][0],
                         r"^terminated;reason=rejected")
        time.sleep(2)
        self.assertEqual(closed_notifies(w1), [],
                         "1011 saw alice closed when she revoked 1010")
        self.assertEqual(self.offline_lines(), offline0)
        self.finish(w1, "1011")


class NoRepeatedSubscribe(unittest.TestCase):
    """5.23 the gateway asks alice for her presence (its own 'subscribe'
    from a component JID) only while it holds no answer of hers, and keeps
    her answers across a restart in [presence] state_file."""

    def login(self, env, contacts):
        """alice logs in; her server probes the contacts she watches and
        the gateway answers each probe: returns the client once every
        answer is in and a second has passed for anything else."""
        alice = gwtest.XmppClient(env, "alice").connect()
        for c in contacts:
            alice.wait(lambda s, c=c: s.tag == "presence" and
                       s.get("from") == c and
                       s.get("type") in (None, "unavailable"), 10,
                       what=f"{c}'s answer to her probe")
        time.sleep(1)
        return alice

    def requests_in(self, client, contacts):
        return [dict(s.attrib) for s in client.drain()
                if s.tag == "presence" and s.get("type") == "subscribe" and
                s.get("from") in contacts]

    def test_5_23_no_repeated_subscribe(self):
        """5.23 alice watches 1008 and approves the gateway's request back
        (approved both ways), and watches 1009 but refuses its request;
        she logs out and in twice (Prosody probes both each time): no
        further 'subscribe' from either reaches her, nor does the gateway
        send one; the same after a gateway restart with state_file (the
        answers are kept there; an old-format file is read too)"""
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        env = gwtest.Env("PresNoRepeat")
        rc = None
        try:
            env.prosody = gwtest.Prosody(env).start()
            kam = gwtest.Kamailio(env, presence=True).start()
            state = os.path.join(env.root, "presence.state")
            with open(state, "w") as f:  # the format before authorizations
                f.write(f"# contact watcher\n2999@{COMPONENT} "
                        "carol@localhost\n")
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                presence__server=f"sip:{HOST}:{kam.port}",
                presence__allow_watchers="alice@localhost",
                presence__state_file=state)
            gw = gwtest.Gateway(env, cfg).start()
            gw.proc.wait_log(r"presence: 1 XMPP watcher\(s\) of SIP contacts"
                             r"( and \d+ authorization\(s\))? restored", 5)
            good, bad = f"1008@{COMPONENT}", f"1009@{COMPONENT}"
            contacts = (good, bad)
            alice = gwtest.XmppClient(env, "alice").connect()
            for c, answer in ((good, "subscribed"), (bad, "unsubscribed")):
                alice.send_raw(f"<presence to='{c}' type='subscribe'/>")
                alice.wait(lambda s, c=c: s.get("type") == "subscribed" and
                           s.get("from") == c, what=f"{c} subscribed")
                alice.wait(lambda s, c=c: s.get("type") == "subscribe" and
                           s.get("from") == c, what=f"{c}'s request")
                alice.send_raw(f"<presence to='{c}' type='{answer}'/>")
            time.sleep(1)
            alice.drain()
            sent = {c: subscribes_sent(gw, c) for c in contacts}
            self.assertEqual(sent, {good: 1, bad: 1})
            for i in range(2):
                alice.close()
                alice = self.login(env, contacts)
                self.assertEqual(self.requests_in(alice, contacts), [],
                                 f"login {i + 1}")
            self.assertEqual({c: subscribes_sent(gw, c) for c in contacts},
                             sent, "the gateway asked again")
            alice.close()
            self.assertEqual(gw.stop(), 0)  # a clean stop saves the state
            with open(state) as f:
                saved = f.read()
            gw = gwtest.Gateway(env, cfg, name="gateway2").start()
            for i in range(2):
                alice = self.login(env, contacts)
                self.assertEqual(self.requests_in(alice, contacts), [],
                                 f"login {i + 1} after the restart")
                alice.close()
            self.assertEqual({c: subscribes_sent(gw, c) for c in contacts},
                             {good: 0, bad: 0},
                             "the restarted gateway asked again")
            # her answers were kept, beside the watchers
            self.assertIn(f"auth {good} alice@localhost granted", saved)
            self.assertIn(f"auth {bad} alice@localhost refused", saved)
            gw.proc.wait_log(r"presence: 3 XMPP watcher\(s\) of SIP contacts "
                             r"and \d+ authorization\(s\) restored", 1)
            rc = gw.stop()
            self.assertEqual(rc, 0)
        finally:
            env.close(keep=rc not in (None, 0))


class NotifierDeactivates(gwtest.GatewayTestCase):
    """5.25 the presence server (SIPp) ends alice's subscription to 4002
    with terminated;reason=deactivated (RFC 6665 4.1.3: retry at once,
    e.g. its moving the subscription to another node); the gateway
    subscribes anew after 1 s and alice keeps 4002's state; the new
    dialog gets its 202 but never a NOTIFY: 10 s after the end (the stale
    bound) 4002 is unavailable to her, not before."""

    NOTIFIER = free_port(udp_too=True)
    gateway_overrides = {
        "presence__server": f"sip:{HOST}:{NOTIFIER}",
        "presence__allow_watchers": "localhost",
    }

    def test_5_25_deactivated_renewed_then_stale(self):
        open_pidf = ('<presence xmlns="urn:ietf:params:xml:ns:pidf" '
                     'entity="sip:4002@pbx.localhost"><tuple id="x"><status>'
                     '<basic>open</basic></status><note>steady</note>'
                     '</tuple></presence>')
        deactivated = notifier_notify(2, "notifier", "").replace(
            "Subscription-State: active;expires=600",
            "Subscription-State: terminated;reason=deactivated").replace(
            "      Content-Type: application/pidf+xml\n", "")
        # the first SIPp call (the first dialog) NOTIFYs open, then ends it
        # deactivated; the second (the gateway's new SUBSCRIBE, a new
        # Call-ID) is answered 202 and then hears nothing until alice goes
        # and the gateway un-SUBSCRIBEs
        notifier = f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="notifier deactivates">
  <recv request="SUBSCRIBE" rrs="true"><action>
    <ereg regexp=".*" search_in="hdr" header="From:" assign_to="from_hdr"/>
    <ereg regexp=".*" search_in="hdr" header="To:" assign_to="to_hdr"/>
    <assignstr assign_to="n" value="[call_number]"/>
    <todouble assign_to="nd" variable="n"/>
    <test assign_to="later" variable="nd" compare="not_equal" value="1"/>
  </action></recv>
  {gwtest.sipp_ok(status="202 Accepted", to_tag="notifier", headers=(
      "Contact: <sip:notifier@[local_ip]:[local_port]>", "Expires: 600"))}
  <nop next="quiet" test="later"/>
  {notifier_notify(1, "notifier", open_pidf)}
  <recv response="200"/>
  <pause milliseconds="1000"/>
  {deactivated}
  <recv response="200" next="done"/>
  <label id="quiet"/>
  <recv request="SUBSCRIBE" timeout="40000"/>
  {gwtest.sipp_ok(headers=("Expires: 0",))}
  <label id="done"/>
</scenario>
"""
        run = self.sipp.start(notifier, port=self.NOTIFIER, timeout=60,
                              calls=2)
        time.sleep(0.3)
        contact = f"4002@{COMPONENT}"
        alice, _ = watch_contact(self.env, contact, "steady",
                                 "4002 available")
        alice.drain()  # the answer to the gateway's probe before it
        self.gw.proc.wait_log(r"renewing the subscription to sip:4002@", 5)
        t0 = time.monotonic()
        self.gw.proc.wait_log(r"subscribing to sip:4002@", 5, count=2)
        p = alice.wait(lambda s: s.tag == "presence" and
                       s.get("from") == contact and
                       s.get("type") in (None, "unavailable"), timeout=15,
                       what="4002 unavailable once the bound is past")
        waited = time.monotonic() - t0
        self.assertEqual(p.get("type"), "unavailable",
                         gwtest.ET.tostring(p, "unicode"))
        self.assertGreater(waited, 8, "4002 went unavailable before the "
                           "renewed dialog's bound")
        self.gw.proc.wait_log(r"no NOTIFY of the renewed subscription to "
                              r"sip:4002@", 2)
        alice.send_raw("<presence type='unavailable'/>")
        self.assertEqual(run.wait(30), 0, run.errors())


class ShortGrantKamailio(gwtest.Kamailio):
    """Kamailio's presence server granting subscriptions 10 s at most
    (the gateway asks 60 s at least), so that the gateway refreshes within
    the test."""

    def write_config(self):
        super().write_config()
        with open(self.cfg) as f:
            text = f.read()
        text = text.replace('modparam("presence", "subs_db_mode", 0)',
                            'modparam("presence", "subs_db_mode", 0)\n'
                            'modparam("presence", "max_expires", 10)', 1)
        with open(self.cfg, "w") as f:
            f.write(text)


class PresenceServerRestart(unittest.TestCase):
    """5.24 alice watches 2001 through Kamailio's presence server, which
    grants 10 s; Kamailio restarts (its subscriptions and publications
    were in memory: gone) and 2001's phone PUBLISHes again, as phones do;
    the gateway's next refresh gets 481 (RFC 6665 4.1.2.2: the notifier
    lost the dialog) and it subscribes anew at once: the new dialog's
    NOTIFY says what alice was told, and she sees no flap (no
    unavailable between); 2001's next change reaches her through the new
    dialog."""

    def test_5_24_no_flap_on_presence_server_restart(self):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        env = gwtest.Env("PresServerRestart")
        rc = None
        try:
            env.prosody = gwtest.Prosody(env).start()
            kam = ShortGrantKamailio(env, presence=True).start()
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                presence__server=f"sip:{HOST}:{kam.port}",
                presence__allow_watchers="alice@localhost",
                sip__outbound_proxy=f"sip:{HOST}:{kam.port}")
            gw = gwtest.Gateway(env, cfg).start()
            sipp = gwtest.Sipp(env)
            etag = {}

            def publish(note):
                publish_at(self, sipp, kam, etag, "2001", "open", note)

            contact = f"2001@{COMPONENT}"
            publish("at my desk")
            a, p = watch_contact(env, contact, "at my desk",
                                 "2001 available")
            self.assertIsNone(p.get("type"))
            subscribed = len(re.findall(r"subscribing to sip:2001@",
                                        gw.log()))
            # the presence server restarts; the phone publishes again
            kam.proc.stop()
            kam.start()
            etag.clear()
            publish("at my desk")
            a.drain()
            gw.proc.wait_log(r"SUBSCRIBE to \S+ answered 481", 15)
            gw.proc.wait_log(r"subscribing to sip:2001@", 10,
                             count=subscribed + 1)
            time.sleep(2)  # the new dialog's NOTIFY
            seen = [gwtest.ET.tostring(s, "unicode") for s in a.drain()
                    if s.tag == "presence" and s.get("from") == contact]
            self.assertEqual(seen, [], "2001 flapped for alice")
            # at once, not after the back-off
            self.assertRegex(gw.log(), r"renewing the subscription to "
                             r"sip:2001@\S+ at once")
            publish("on a call")
            a.wait(lambda s: s.get("from") == contact and
                   (s.findtext("status") or "") == "on a call",
                   timeout=15, what="2001's change through the new dialog")
            rc = gw.stop()
            self.assertEqual(rc, 0)
        finally:
            env.close(keep=rc not in (None, 0))


if __name__ == "__main__":
    gwtest.main()
