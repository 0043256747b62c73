#!/usr/bin/python3
"""Issue 13: one SIP address for everything, and what an independent
tester found on it. Cases are numbered 13.x.

Real peers: Prosody, Kamailio (registrar and record-routing proxy),
baresip 1.0 (a SIP phone watching an XMPP user), rtpengine, and raw SIP
over UDP where a request must be exactly what a broken or hostile peer
sends (SIPp rewrites what it does not like)."""

import os
import re
import shutil
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST,  # noqa: E402
                    RawSip, body_of, free_port, header, sip_request,
                    status_of, to_tag, wait_for)


class Addresses(gwtest.GatewayTestCase):
    """13.2-13.5: what arrives at [sip] listen: a malformed Request-URI,
    our own address in it, a body that is not SDP, OPTIONS from trusted
    and untrusted sources."""

    gateway_overrides = {"sip__user_agent": "SBC"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()
        cls.carol = gwtest.XmppClient(cls.env, "carol").connect()

    def setUp(self):
        self.alice.drain()
        self.carol.drain()
        self.raw = RawSip()

    def tearDown(self):
        self.raw.close()

    def dest(self):
        return (HOST, self.sip_port)

    def test_13_2_malformed_request_uri(self):
        """13.2 a MESSAGE whose Request-URI is not a SIP URI as written
        (sip:alice@@sip..localhost:99999;;transport=) gets 400, and is not
        routed by its To (carol) either"""
        req = sip_request(
            "MESSAGE", "sip:alice@@sip..localhost:99999;;transport=",
            self.raw.port, to=f"sip:carol@{GW_SIP_DOMAIN}",
            body="must not arrive")
        answer = self.raw.final(req, self.dest())
        self.assertEqual(status_of(answer), 400, answer)
        time.sleep(1.0)
        self.assertEqual([s for s in self.carol.drain() if body_of(s)], [])
        self.assertEqual([s for s in self.alice.drain() if body_of(s)], [])

    def test_13_3_own_address(self):
        """13.3 a Request-URI naming the gateway's own address (as after a
        registrar's lookup: sip:alice@127.0.0.1:<listen port>) reaches
        alice: MESSAGE 200 and delivered, SUBSCRIBE 202"""
        own = f"sip:alice@{HOST}:{self.sip_port}"
        answer = self.raw.final(sip_request("MESSAGE", own, self.raw.port,
                                            body="to our address"),
                                self.dest())
        self.assertEqual(status_of(answer), 200, answer)
        m = self.alice.wait(lambda s: body_of(s) == "to our address",
                            what="message")
        self.assertEqual(m.get("from"), f"1001@{COMPONENT}")
        sub = sip_request("SUBSCRIBE", own, self.raw.port,
                          extra="Event: presence\r\nExpires: 0")
        answer = self.raw.final(sub, self.dest())
        self.assertIn(status_of(answer), (200, 202), answer)

    def test_13_5_options(self):
        """13.5 OPTIONS: a trusted source gets 200 with Allow and Accept
        and [sip] user_agent as the whole Server header; an untrusted one
        gets what any request from it gets (403), naming nothing"""
        answer = self.raw.final(sip_request("OPTIONS", f"sip:{HOST}:"
                                            f"{self.sip_port}", self.raw.port),
                                self.dest())
        self.assertEqual(status_of(answer), 200, answer)
        self.assertEqual(header(answer, "Server"), "SBC", answer)
        self.assertIn("MESSAGE", header(answer, "Allow") or "", answer)
        self.assertIn("application/sdp", header(answer, "Accept") or "")
        untrusted = RawSip(source="127.0.0.2")
        try:
            for method in ("OPTIONS", "MESSAGE"):
                with self.subTest(method=method):
                    answer = untrusted.final(
                        sip_request(method, f"sip:alice@{GW_SIP_DOMAIN}",
                                    untrusted.port, source="127.0.0.2",
                                    body="x" if method == "MESSAGE" else ""),
                        self.dest())
                    self.assertEqual(status_of(answer), 403, answer)
                    self.assertIsNone(header(answer, "Server"), answer)
                    self.assertIsNone(header(answer, "User-Agent"), answer)
                    self.assertNotIn("sofia", answer.lower())
        finally:
            untrusted.close()


class UntrustedDigest(gwtest.GatewayTestCase):
    """13.5 with digest users: an untrusted source's OPTIONS is challenged
    like its MESSAGEs, and the challenge names no software."""

    @classmethod
    def setUpClass(cls):
        cls.users = os.path.join(
            os.environ.get("TMPDIR", "/tmp"),
            f"gw-sip-users-{os.getpid()}")
        with open(cls.users, "w") as f:
            f.write("1001:pw1001\n")
        cls.gateway_overrides = {"security__sip_users_file": cls.users}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.users)

    def test_13_5b_options_challenged(self):
        raw = RawSip(source="127.0.0.2")
        try:
            answer = raw.final(sip_request("OPTIONS",
                                           f"sip:{HOST}:{self.sip_port}",
                                           raw.port, source="127.0.0.2"),
                               (HOST, self.sip_port))
            self.assertEqual(status_of(answer), 401, answer)
            self.assertRegex(header(answer, "WWW-Authenticate") or "",
                             r"^Digest ")
            self.assertIsNone(header(answer, "Server"), answer)
            self.assertNotIn("sofia", answer.lower())
        finally:
            raw.close()


class NotSdp(unittest.TestCase):
    """13.4 an INVITE whose body is not SDP gets 400 (not 503 from the
    media relay): rtpengine is never asked. A body of another type gets
    415 with Accept: application/sdp."""

    def test_13_4_bad_sdp(self):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        env = gwtest.Env("NotSdp")
        rc = None
        try:
            env.prosody = gwtest.Prosody(env).start()
            rtpe = gwtest.Rtpengine(env).start()
            port = free_port(udp_too=True)
            cfg = gwtest.default_gateway_config(
                env, env.prosody, port, media__relay="rtpengine",
                media__rtpengine=rtpe.address())
            gw = gwtest.Gateway(env, cfg).start()
            gwtest.XmppClient(env, "alice").connect()
            raw = RawSip()
            try:
                for ct, body, want in (
                        ("application/sdp", "this is not SDP at all\r\n", 400),
                        ("application/sdp", "v=0\r\ns=-\r\n", 400),
                        ("text/plain", "v=0\r\n", 415)):
                    with self.subTest(body=body):
                        answer = raw.final(sip_request(
                            "INVITE", f"sip:alice@{GW_SIP_DOMAIN}", raw.port,
                            body=body, content_type=ct), (HOST, port))
                        self.assertEqual(status_of(answer), want, answer)
                        if want == 415:
                            self.assertEqual(header(answer, "Accept"),
                                             "application/sdp")
            finally:
                raw.close()
            self.assertNotRegex(rtpe.proc.log(), r"Received command '?offer")
            rc = gw.stop()
            self.assertEqual(rc, 0)
        finally:
            env.close(keep=rc not in (None, 0))


class OneUnsubscribe(unittest.TestCase):
    """13.6 alice stops watching a SIP contact: the gateway un-SUBSCRIBEs
    once (the old [sip] listen path sent two SUBSCRIBE Expires: 0, the
    second after the 200 to the first). The presence server here is a raw
    SIP notifier that counts what it gets."""

    def test_13_6_one_unsubscribe(self):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        env = gwtest.Env("OneUnsub")
        rc = None
        notifier = RawSip()
        try:
            env.prosody = gwtest.Prosody(env).start()
            port = free_port(udp_too=True)
            cfg = gwtest.default_gateway_config(
                env, env.prosody, port,
                presence__server=f"sip:{HOST}:{notifier.port}",
                presence__allow_watchers="alice@localhost")
            gw = gwtest.Gateway(env, cfg).start()
            alice = gwtest.XmppClient(env, "alice").connect()
            alice.send_raw(f"<presence to='1001@{COMPONENT}' "
                           "type='subscribe'/>")
            # the gateway asks back, to learn when she is online
            alice.wait(lambda s: s.get("type") == "subscribe" and
                       s.get("from") == f"1001@{COMPONENT}",
                       what="the gateway's subscription request")
            alice.send_raw(f"<presence to='1001@{COMPONENT}' "
                           "type='subscribed'/>")
            # the gateway's SUBSCRIBE: 200, then NOTIFY active
            notifier.sock.settimeout(10)
            sub = notifier.sock.recv(65536).decode()
            self.assertTrue(sub.startswith("SUBSCRIBE "), sub)
            heads = {k.lower(): v for k, v in re.findall(
                r"(?m)^(Via|From|To|Call-ID|CSeq|Contact):\s*(.*?)\r?$", sub)}
            ok = ("SIP/2.0 200 OK\r\n"
                  f"Via: {heads['via']}\r\nFrom: {heads['from']}\r\n"
                  f"To: {heads['to']};tag=n1\r\nCall-ID: {heads['call-id']}\r\n"
                  f"CSeq: {heads['cseq']}\r\nExpires: 600\r\n"
                  f"Contact: <sip:notifier@{HOST}:{notifier.port}>\r\n"
                  "Content-Length: 0\r\n\r\n")
            notifier.send(ok.encode(), (HOST, port))
            m = re.search(r"<(sip:[^>]+)>", heads["contact"])
            target = m.group(1)
            notify = (f"NOTIFY {target} SIP/2.0\r\n"
                      f"Via: SIP/2.0/UDP {HOST}:{notifier.port};"
                      "branch=z9hG4bKn1\r\n"
                      f"From: {heads['to']};tag=n1\r\nTo: {heads['from']}\r\n"
                      f"Call-ID: {heads['call-id']}\r\nCSeq: 1 NOTIFY\r\n"
                      f"Contact: <sip:notifier@{HOST}:{notifier.port}>\r\n"
                      "Event: presence\r\n"
                      "Subscription-State: active;expires=600\r\n"
                      "Content-Length: 0\r\n\r\n")
            notifier.send(notify.encode(), (HOST, port))
            got = notifier.sock.recv(65536).decode()
            self.assertTrue(got.startswith("SIP/2.0 200"), got)
            # alice stops watching: un-SUBSCRIBE, once
            alice.send_raw(f"<presence to='1001@{COMPONENT}' "
                           "type='unsubscribe'/>")
            unsubs = []
            end = time.monotonic() + 3
            while time.monotonic() < end:
                notifier.sock.settimeout(max(0.05, end - time.monotonic()))
                try:
                    text = notifier.sock.recv(65536).decode()
                except socket.timeout:
                    break
                if text.startswith("SUBSCRIBE "):
                    self.assertRegex(text, r"(?mi)^Expires:\s*0\s*$")
                    unsubs.append(text)
                    h = {k.lower(): v for k, v in re.findall(
                        r"(?m)^(Via|From|To|Call-ID|CSeq):\s*(.*?)\r?$",
                        text)}
                    notifier.send((
                        "SIP/2.0 200 OK\r\n"
                        f"Via: {h['via']}\r\nFrom: {h['from']}\r\n"
                        f"To: {h['to']}\r\nCall-ID: {h['call-id']}\r\n"
                        f"CSeq: {h['cseq']}\r\nExpires: 0\r\n"
                        "Content-Length: 0\r\n\r\n").encode(), (HOST, port))
            self.assertEqual(len(unsubs), 1, unsubs)
            rc = gw.stop()
            self.assertEqual(rc, 0)
        finally:
            notifier.close()
            env.close(keep=rc not in (None, 0))


class WatcherRefresh(unittest.TestCase):
    """13.1 a SIP phone watching alice through a proxy keeps seeing her
    across its in-dialog refreshes: baresip 1.0 registered at Kamailio
    (which record-routes, so NOTIFYs and refreshes cross it too)
    subscribes to alice@gw.localhost, which Kamailio routes to the
    gateway's registration; the gateway grants 10 s, baresip refreshes
    in-dialog at ~9 s; after two refreshes alice's changes still reach it
    (the old [sip] listen path ended the subscription at the first).
    Kamailio holds the 202 back 0.3 s, so that the first NOTIFY reaches
    baresip before it and creates the dialog (RFC 6665 4.1.2.4), as one of
    its two workers did now and then under load: then the refreshes follow
    the NOTIFY's route set, which Kamailio record-routes as its default
    kamailio.cfg does (without that, baresip refreshed straight to the
    gateway and this test failed in CI runs)."""

    def test_13_1_refresh_through_kamailio(self):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        if shutil.which("baresip") is None or not os.path.exists(
                "/usr/lib/baresip/modules/presence.so"):
            raise unittest.SkipTest("baresip with its presence module is "
                                    "not installed")
        env = gwtest.Env("WatcherRefresh")
        rc = None
        try:
            env.prosody = gwtest.Prosody(env).start()
            kam = gwtest.Kamailio(env, record_route=True,
                                  hold_subscribe_2xx=0.3).start()
            port = free_port(udp_too=True)
            cfg = gwtest.default_gateway_config(
                env, env.prosody, port,
                sip__register="true",
                sip__registrar=f"sip:{HOST}:{kam.port}",
                sip__username="gateway", sip__password=kam.password,
                presence__min_expires=5, presence__max_expires=10)
            gw = gwtest.Gateway(env, cfg).start()
            gw.proc.wait_log(r"registered gateway@" + GW_SIP_DOMAIN, 10)
            alice = gwtest.XmppClient(env, "alice").connect()
            uri = f"sip:alice@{GW_SIP_DOMAIN}"
            phone = gwtest.Baresip(env, "1013", kam.port, "/dev/null",
                                   password=kam.password, trace=True)
            with open(os.path.join(phone.dir, "config"), "a") as f:
                f.write("module_app contact.so\nmodule_app presence.so\n")
            with open(os.path.join(phone.dir, "contacts"), "w") as f:
                f.write(f'"Alice" <{uri}>;presence=p2p\n')
            phone.start()
            alice.wait(lambda s: s.get("type") == "subscribe" and
                       s.get("from") == f"1013@{COMPONENT}",
                       timeout=20, what="the phone's subscription request")
            alice.send_raw(f"<presence to='1013@{COMPONENT}' "
                           "type='subscribed'/>")

            def shown():
                text = phone.command("contacts").get("data", "")
                return next((l for l in text.splitlines() if uri in l), "")
            wait_for(lambda: "Online" in shown(), 15, what="Online")
            # two in-dialog refreshes (a To tag) through Kamailio
            try:
                kam.proc.wait_log(r"SUBSCRIBE \S+ from-tag=\S+ "
                                  r"to-tag=[^<\s]+ expires=[1-9]", 30,
                                  count=2)
            except AssertionError as e:
                # what the proxy saw of the subscription, and the
                # gateway's side of it (a CI failure under load, stop 22)
                seen = [l for l in kam.proc.log().splitlines()
                        if "SUBSCRIBE" in l or "NOTIFY" in l]
                # baresip's own SIP trace (-s), one line per message
                trace = [l.strip() for l in phone.proc.log().splitlines()
                         if re.match(r"(UDP \S+ -> |SUBSCRIBE |NOTIFY |"
                                     r"SIP/2\.0 |CSeq:|Expires:|"
                                     r"Subscription-State:)", l)]
                raise AssertionError(
                    "%s\nbaresip:\n%s\nKamailio:\n%s\ngateway:\n%s" % (
                        e, "\n".join(trace[-80:]), "\n".join(seen[-20:]),
                        "\n".join(l for l in gw.log().splitlines()
                                  if "1013" in l or "SUBSCRIBE" in l
                                  or "subscri" in l)[-4000:])) from e
            # the order this test is about: a NOTIFY before the 202
            first = [l for l in phone.proc.log().splitlines()
                     if l.startswith(("NOTIFY ", "SIP/2.0 202"))]
            self.assertTrue(first and first[0].startswith("NOTIFY "), first)
            alice.send_raw("<presence><show>dnd</show></presence>")
            wait_for(lambda: "Busy" in shown(), 15, what="Busy after refresh")
            alice.send_raw("<presence/>")
            wait_for(lambda: "Online" in shown(), 15,
                     what="Online after refresh")
            self.assertNotRegex(gw.log(), r"terminated;reason=noresource")
            phone.stop()
            rc = gw.stop()
            self.assertEqual(rc, 0)
        finally:
            env.close(keep=rc not in (None, 0))


class Ipv6Listen(gwtest.GatewayTestCase):
    """13.8 the gateway listening on [::1]: a MESSAGE over UDP/IPv6 is
    delivered, and answered from [::1] to where RFC 3261 18.2.2 and RFC
    3581 say (rport: the source port; without it: the Via's port), by the
    answer the gateway writes itself (sip_udp_answer.c) on its IPv6
    socket."""

    sip_listen_host = "[::1]"
    gateway_overrides = {"security__trusted_sip_sources": "127.0.0.1;::1"}

    @classmethod
    def setUpClass(cls):
        if not socket.has_ipv6:
            raise unittest.SkipTest("no IPv6")
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()

    @staticmethod
    def v6_socket():
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        sock.bind(("::1", 0))
        sock.settimeout(5)
        return sock

    def test_13_8_message_over_ipv6(self):
        a, b = self.v6_socket(), self.v6_socket()
        aport, bport = a.getsockname()[1], b.getsockname()[1]
        # (Via as sent, as answered, the socket the answer must reach)
        cases = ((f"[::1]:{aport};branch=z9hG4bKv6a;rport",
                  f"[::1]:{aport};branch=z9hG4bKv6a;rport={aport}", a),
                 (f"[::1]:{bport};branch=z9hG4bKv6b",
                  f"[::1]:{bport};branch=z9hG4bKv6b", b))
        try:
            for n, (via, answered, sock) in enumerate(cases):
                body = f"over ipv6 {n}"
                a.sendto(sip_request("MESSAGE", f"sip:alice@{GW_SIP_DOMAIN}",
                                     aport, body=body, source="[::1]",
                                     via=via),
                         ("::1", self.sip_port))
                data, addr = sock.recvfrom(65536)
                answer = data.decode()
                self.assertEqual(status_of(answer), 200, answer)
                self.assertEqual(addr[:2], ("::1", self.sip_port))
                self.assertEqual(header(answer, "Via"),
                                 f"SIP/2.0/UDP {answered}", answer)
                m = self.alice.wait(lambda s: body_of(s) == body,
                                    what="message")
                self.assertEqual(m.get("from"), f"1001@{COMPONENT}")
        finally:
            a.close()
            b.close()

    def test_13_9_retransmission_over_ipv6(self):
        """13.9 a MESSAGE sent three times over UDP/IPv6 (same branch:
        lost 200s) reaches alice once, and every copy gets the same 200,
        To tag included, back on [::1] (RFC 3261 17.2.2, 8.2.6.2): the
        memo keys an IPv6 Via as it keys an IPv4 one"""
        sock = self.v6_socket()
        port = sock.getsockname()[1]
        body = f"once over ipv6 {port}"
        req = sip_request("MESSAGE", f"sip:alice@{GW_SIP_DOMAIN}", port,
                          body=body, source="[::1]",
                          via=f"[::1]:{port};branch=z9hG4bKv6retx;rport")
        answers = []
        try:
            for _ in range(3):
                sock.sendto(req, ("::1", self.sip_port))
                data, addr = sock.recvfrom(65536)
                self.assertEqual(addr[:2], ("::1", self.sip_port))
                answers.append(data.decode())
        finally:
            sock.close()
        for a in answers:
            self.assertEqual(status_of(a), 200, a)
        tags = {to_tag(a) for a in answers}
        self.assertEqual(len(tags), 1, answers)
        self.assertIsNotNone(tags.pop())
        self.alice.wait(lambda s: body_of(s) == body, what="message")
        with self.assertRaises(AssertionError):
            self.alice.wait(lambda s: body_of(s) == body, timeout=1.5,
                            what="a second delivery")


if __name__ == "__main__":
    gwtest.main()
