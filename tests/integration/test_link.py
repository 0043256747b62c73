#!/usr/bin/python3
"""Issue 3: the links and the command line, against real Prosody and
Kamailio: reconnects, a wrong secret, REGISTER with digest, SIGHUP reload,
malformed input, --check-config and --map."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST, body_of,  # noqa: E402
                    error_condition, free_port)


def run_cli(*args, timeout=10):
    p = subprocess.run([gwtest.gateway_binary(), *args], capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stdout + p.stderr


class Reconnect(gwtest.GatewayTestCase):
    """3.20 Prosody goes away and comes back."""

    def test_3_20_503_while_down_then_reconnect(self):
        """3.20 MESSAGE while Prosody is down: 503 + Retry-After; back up:
        the gateway reconnects by itself and delivery works again"""
        env = self.env
        env.prosody.stop()
        self.gw.proc.wait_log(r"XMPP link to .* lost|cannot connect", 5)
        run = self.sipp.start(gwtest.sipp_uac_message(expect=503),
                              remote=self.gw_target(), timeout=10)
        self.assertEqual(run.wait(), 0, run.errors())
        self.assertRegex(run.messages(), r"Retry-After: \d+")
        # a few reconnect attempts fail while it is down
        self.gw.proc.wait_log(r"cannot connect to XMPP server", 5, count=2)
        env.prosody.start()
        self.gw.proc.wait_log(r"XMPP link up", 10, count=2)
        alice = gwtest.XmppClient(env, "alice").connect()
        run = self.sipp.start(gwtest.sipp_uac_message(body="after restart"),
                              remote=self.gw_target(), timeout=10)
        self.assertEqual(run.wait(), 0, run.errors())
        m = alice.wait(lambda s: body_of(s) is not None, what="message")
        self.assertEqual(body_of(m), "after restart")


class WrongSecret(unittest.TestCase):
    """3.21 a wrong component secret is named in the log; retries go on."""

    def test_3_21_wrong_secret(self):
        env = gwtest.Env("WrongSecret")
        try:
            env.prosody = gwtest.Prosody(env).start()
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                xmpp__secret="not-the-secret")
            gw = gwtest.Gateway(env, cfg).start(wait_xmpp=False)
            gw.proc.wait_log(r"refused the component handshake .*"
                             r"not-authorized.*check \[xmpp\] secret", 10)
            gw.proc.wait_log(r"refused the component handshake", 10, count=3)
            self.assertTrue(gw.proc.alive())
            self.assertNotIn("not-the-secret", gw.log())
            self.assertEqual(gw.stop(), 0)
        finally:
            env.close()


class Register(unittest.TestCase):
    """3.22 REGISTER with digest at Kamailio, and routing through it."""

    def test_3_22_register_digest_and_route(self):
        env = gwtest.Env("Register")
        try:
            env.prosody = gwtest.Prosody(env).start()
            kam = gwtest.Kamailio(env).start()
            pwfile = os.path.join(env.root, "sip.password")
            with open(pwfile, "w") as f:
                f.write(kam.password + "\n")
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                sip__register="true",
                sip__registrar=f"sip:{HOST}:{kam.port}",
                sip__username="gateway",
                sip__password_file=pwfile)
            gw = gwtest.Gateway(env, cfg).start()
            gw.proc.wait_log(r"registered gateway@" + GW_SIP_DOMAIN, 10)
            kam.proc.wait_log(r"REGISTERED sip:gateway@" + GW_SIP_DOMAIN, 5)
            self.assertNotIn(kam.password, gw.log())
            alice = gwtest.XmppClient(env, "alice").connect()
            sipp = gwtest.Sipp(env)
            run = sipp.start(gwtest.sipp_uac_message(body="via kamailio"),
                             remote=f"{HOST}:{kam.port}", timeout=10)
            self.assertEqual(run.wait(), 0, run.errors())
            m = alice.wait(lambda s: body_of(s) is not None, what="message")
            self.assertEqual(body_of(m), "via kamailio")
            # stopping un-REGISTERs
            self.assertEqual(gw.stop(), 0)
            self.assertIn("unregistered (200", gw.log())
        finally:
            env.close()

    def test_3_23_wrong_password(self):
        env = gwtest.Env("RegisterBad")
        try:
            env.prosody = gwtest.Prosody(env).start()
            kam = gwtest.Kamailio(env).start()
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                sip__register="true",
                sip__registrar=f"sip:{HOST}:{kam.port}",
                sip__password="wrong-password")
            gw = gwtest.Gateway(env, cfg).start()
            gw.proc.wait_log(r"registration of gateway@\S+ at \S+ refused: "
                             r"401 .*check \[sip\] auth_username", 10)
            self.assertNotIn("wrong-password", gw.log())
            self.assertEqual(gw.stop(), 0)
        finally:
            env.close()


class Robustness(gwtest.GatewayTestCase):
    """3.24 malformed input from either side: clear errors, no crash."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()

    def test_3_24_malformed_stanzas(self):
        a = self.alice
        c = COMPONENT
        a.send_raw(f"<iq type='get' id='e1' to='{c}'/>")
        e = a.wait(lambda s: s.get("id") == "e1")
        self.assertEqual(error_condition(e)[0], "bad-request")
        a.send_raw(f"<message type='groupchat' id='e2' to='1001@{c}'>"
                   "<body>to a room?</body></message>")
        e = a.wait(lambda s: s.get("id") == "e2")
        self.assertEqual(error_condition(e)[0], "bad-request")
        a.send_raw(f"<message id='e3' to='1001@{c}'><body/></message>")
        a.send_raw(f"<message id='e4' to='{c}'><body>to the gateway itself"
                   "</body></message>")
        e = a.wait(lambda s: s.get("id") == "e4")
        self.assertEqual(error_condition(e)[0], "item-not-found")
        a.send_raw(f"<presence type='probe' to='{c}'/>")
        a.send_raw(f"<message id='e5' to='1001@{c}'><x xmlns='urn:x'>"
                   "<deep><deeper/></deep></x></message>")
        a.send_raw(f"<iq type='get' id='e6' to='{c}'><query "
                   "xmlns='http://jabber.org/protocol/disco#info' node='x'/></iq>")
        e = a.wait(lambda s: s.get("id") == "e6")
        self.assertEqual(error_condition(e)[0], "item-not-found")
        a.send_raw(f"<iq type='get' id='e7' to='{c}'><ping xmlns='urn:xmpp:ping'/></iq>")
        self.assertEqual(a.wait(lambda s: s.get("id") == "e7").get("type"),
                         "result")
        self.assertTrue(self.gw.proc.alive())

    def test_3_25_malformed_sip(self):
        cases = [
            ("no content type", dict(content_type="", body="x"), 400),
            ("invalid utf-8", dict(content_type="text/plain;charset=UTF-8",
                                   raw_body="caf\xff"), 400),
            ("unknown charset", dict(content_type="text/plain;charset=x-klingon",
                                     body="x"), 415),
            ("cpim without inner type", dict(content_type="message/cpim",
                                             raw_body="From: x\r\n\r\n\r\nbody"), 400),
            ("empty body", dict(body=""), 400),
        ]
        for name, kw, status in cases:
            with self.subTest(name):
                if kw.get("content_type") == "":
                    # drop the header entirely
                    sc = gwtest.sipp_uac_message(expect=status, body="x").replace(
                        "      Content-Type: text/plain;charset=UTF-8\n", "")
                else:
                    sc = gwtest.sipp_uac_message(expect=status, **kw)
                # latin-1 scenario file: SIPp sends the raw byte 0xff
                run = self.sipp.start(sc, remote=self.gw_target(), timeout=10,
                                      encoding="iso-8859-1")
                self.assertEqual(run.wait(), 0, name + ": " + run.errors())
        self.assertTrue(self.gw.proc.alive())


class Reload(gwtest.GatewayTestCase):
    """3.26 SIGHUP swaps policy without a restart; a broken file is refused."""

    UAS = free_port(udp_too=True)
    gateway_overrides = {"sip__outbound_proxy": f"sip:{HOST}:{UAS}"}

    def test_3_26_reload(self):
        bob = gwtest.XmppClient(self.env, "bob").connect()
        mid = bob.send_message(f"1001@{COMPONENT}", "before")
        self.assertEqual(error_condition(
            bob.wait(lambda s: s.get("id") == mid))[0], "forbidden")
        # a broken file is refused and the running config stays
        good = open(self.gw.path).read()
        with open(self.gw.path, "w") as f:
            f.write(good + "\n[security]\nnonsense = 1\n")
        os.kill(self.gw.proc.pid, signal.SIGHUP)
        self.gw.proc.wait_log(r"reload refused", 5)
        # now allow bob
        cfg = self.gw.cfg
        cfg["security"]["allow_messages"] += f";bob@localhost 1*"
        cfg["xmpp"]["port"] = 1  # needs a restart: only logged
        gwtest.write_keyfile(self.gw.path, cfg)
        os.kill(self.gw.proc.pid, signal.SIGHUP)
        self.gw.proc.wait_log(r"configuration reloaded", 5)
        self.assertIn("only after a restart: xmpp.port", self.gw.log())
        uas = self.sipp.start(gwtest.sipp_uas_message(), port=self.UAS,
                              timeout=10)
        time.sleep(0.3)
        mid = bob.send_message(f"1001@{COMPONENT}", "after", receipt=True)
        self.assertEqual(uas.wait(), 0, uas.errors())
        bob.wait(lambda s: s.find("{urn:xmpp:receipts}received") is not None,
                 what="receipt")


def digest_message(from_user="1001", auth_user="1001", password="pw1001",
                   expect=200):
    """From an untrusted source: MESSAGE, 401, MESSAGE with credentials."""
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="digest message">
  <send retrans="500"><![CDATA[
      MESSAGE sip:alice@{GW_SIP_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{from_user}@pbx.localhost>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@{GW_SIP_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 1 MESSAGE
      Max-Forwards: 70
      Content-Type: text/plain
      Content-Length: [len]

authenticated hello]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
      MESSAGE sip:alice@{GW_SIP_DOMAIN} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{from_user}@pbx.localhost>;tag=[pid]SIPpTag00[call_number]
      To: <sip:alice@{GW_SIP_DOMAIN}>
      Call-ID: [call_id]
      CSeq: 2 MESSAGE
      Max-Forwards: 70
      [authentication username={auth_user} password={password}]
      Content-Type: text/plain
      Content-Length: [len]

authenticated hello]]></send>
  <recv response="{expect}"/>
</scenario>
"""


class DigestAuth(gwtest.GatewayTestCase):
    """3.30 an untrusted source that authenticates (digest) is accepted,
    speaking only for its own address; others are challenged or refused."""

    USERS = os.path.join(gwtest.tempfile.mkdtemp(prefix="gwtest-users-"),
                         "users")
    with open(USERS, "w") as f:
        f.write("1001:pw1001\n1002:pw1002\n")
    gateway_overrides = {"security__sip_users_file": USERS}

    def test_3_30_digest(self):
        alice = gwtest.XmppClient(self.env, "alice").connect()
        run = self.sipp.start(digest_message(), remote=self.gw_target(),
                              local_ip="127.0.0.2", timeout=10)
        self.assertEqual(run.wait(), 0, run.errors())
        m = alice.wait(lambda s: body_of(s) is not None, what="message")
        self.assertEqual(body_of(m), "authenticated hello")
        self.assertEqual(m.get("from"), f"1001@{COMPONENT}")
        # right password, but From is another user's address
        run = self.sipp.start(digest_message(from_user="1002", expect=403),
                              remote=self.gw_target(), local_ip="127.0.0.2",
                              timeout=10)
        self.assertEqual(run.wait(), 0, run.errors())
        # wrong password
        run = self.sipp.start(digest_message(password="guess", expect=403),
                              remote=self.gw_target(), local_ip="127.0.0.2",
                              timeout=10)
        self.assertEqual(run.wait(), 0, run.errors())
        self.assertNotIn("pw1001", self.gw.log())


class SipTls(unittest.TestCase):
    """3.31 SIP over TLS ([sip] listen_tls): a MESSAGE over TLS reaches the
    XMPP user and is answered on the same connection."""

    def test_3_31_tls(self):
        import ssl
        env = gwtest.Env("SipTls")
        try:
            tls = env.subdir("tls")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                            "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-keyout", f"{tls}/key.pem", "-out",
                            f"{tls}/cert.pem"], check=True,
                           capture_output=True)
            with open(f"{tls}/agent.pem", "w") as f:
                f.write(open(f"{tls}/key.pem").read())
                f.write(open(f"{tls}/cert.pem").read())
            with open(f"{tls}/cafile.pem", "w") as f:
                f.write(open(f"{tls}/cert.pem").read())
            env.prosody = gwtest.Prosody(env).start()
            tls_port = free_port()
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                sip__listen_tls=f"sips:{HOST}:{tls_port}",
                sip__tls_dir=tls)
            gw = gwtest.Gateway(env, cfg).start()
            alice = gwtest.XmppClient(env, "alice").connect()
            ctx = ssl.create_default_context(cafile=f"{tls}/cert.pem")
            ctx.check_hostname = False
            body = "over TLS"
            req = (f"MESSAGE sip:alice@{GW_SIP_DOMAIN} SIP/2.0\r\n"
                   f"Via: SIP/2.0/TLS {HOST}:5999;branch=z9hG4bKtls1;rport\r\n"
                   "From: <sip:1001@pbx.localhost>;tag=t1\r\n"
                   f"To: <sip:alice@{GW_SIP_DOMAIN}>\r\n"
                   "Call-ID: tls-test-1\r\nCSeq: 1 MESSAGE\r\n"
                   "Max-Forwards: 70\r\nContent-Type: text/plain\r\n"
                   f"Content-Length: {len(body)}\r\n\r\n{body}")
            with socket.create_connection((HOST, tls_port), timeout=10) as raw:
                with ctx.wrap_socket(raw) as s:
                    s.sendall(req.encode())
                    answer = b""
                    while b"\r\n\r\n" not in answer:
                        chunk = s.recv(4096)
                        if not chunk:
                            break
                        answer += chunk
            self.assertTrue(answer.startswith(b"SIP/2.0 200"), answer[:200])
            m = alice.wait(lambda st: body_of(st) is not None, what="message")
            self.assertEqual(body_of(m), "over TLS")
            self.assertEqual(gw.stop(), 0)
        finally:
            env.close()


class CommandLine(unittest.TestCase):
    """3.27 --check-config, --map, --version, and exit codes."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        cls.env = gwtest.Env("CommandLine")

    @classmethod
    def tearDownClass(cls):
        cls.env.close()

    def write(self, name, text):
        path = os.path.join(self.env.root, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_3_27_check_config(self):
        good = self.write("good.conf", "[xmpp]\ncomponent_domain = sip.test\n"
                          "secret = x\n[mapping]\nsip_domain = pbx.test\n")
        rc, out = run_cli("--config", good, "--check-config")
        self.assertEqual(rc, 0, out)
        self.assertIn("OK", out)
        bad = self.write("bad.conf", "[xmpp]\nport = none\nsecrte = x\n"
                         "[sip]\nlisten = http://x\n[mapping]\n"
                         "rules = *@example.com = nonsense\n")
        rc, out = run_cli("--config", bad, "--check-config")
        self.assertEqual(rc, 1, out)
        for want in ("bad.conf: [xmpp] port: 'none'",
                     "[xmpp] secrte: unknown key",
                     "[xmpp] component_domain: is required",
                     "[sip] listen: 'http://x'",
                     "[mapping] sip_domain: is required"):
            self.assertIn(want, out)
        # the daemon refuses to start: exit 2, nothing bound
        port = free_port(udp_too=True)
        bad2 = self.write("bad2.conf", "[xmpp]\ncomponent_domain = sip.test\n"
                          "[sip]\nlisten = sip:127.0.0.1:%d\n"
                          "[mapping]\nsip_domain = pbx.test\n" % port)
        rc, out = run_cli("--config", bad2)
        self.assertEqual(rc, 2, out)
        self.assertIn("[xmpp] secret: is required", out)
        rc, out = run_cli("--config", "/nonexistent/gw.conf")
        self.assertEqual(rc, 2, out)

    def test_3_28_map(self):
        cfg = self.write("map.conf", "[xmpp]\ncomponent_domain = sip.example.com\n"
                         "secret = x\n[mapping]\nsip_domain = pbx.example.com\n"
                         "default_country_code = 1\ninternational_prefix = 011\n"
                         "rules = *@example.com = sip:*@gw.example.com\n")
        rc, out = run_cli("--config", cfg, "--map", "alice@example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("sip:  sip:alice@gw.example.com", out)
        rc, out = run_cli("--config", cfg, "--map", "1001@sip.example.com")
        self.assertEqual(rc, 0, out)
        self.assertIn("sip:1001@pbx.example.com", out)
        rc, out = run_cli("--config", cfg, "--map", "+1 (555) 123-4567")
        self.assertEqual(rc, 0, out)
        self.assertIn("+15551234567@sip.example.com", out)
        rc, out = run_cli("--config", cfg, "--map", "sip:bob@elsewhere.org")
        self.assertEqual(rc, 1, out)
        self.assertIn("does not map", out)

    def test_3_29_version(self):
        rc, out = run_cli("--version")
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"xmpp-sip-gateway \d+\.\d+")



class Unconfirmed(unittest.TestCase):
    """3.35-3.36 a SIP MESSAGE whose stanza was written but not confirmed
    by the XMPP server (no answer yet to the ping behind it) is never
    answered 2xx: 503 + Retry-After when the link drops, 504 when the
    answer does not come within [xmpp] confirm_timeout_ms."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        cls.env = env = gwtest.Env(cls.__name__)
        cls.relay = None
        cls.ok = False
        env.prosody = gwtest.Prosody(env).start()
        cls.relay = gwtest.ComponentRelay(env.prosody.component_port)
        cls.sip_port = free_port(udp_too=True)
        cfg = gwtest.default_gateway_config(env, env.prosody, cls.sip_port,
                                            xmpp__port=cls.relay.port,
                                            xmpp__confirm_timeout_ms=1500)
        cls.gw = gwtest.Gateway(env, cfg).start()
        cls.sipp = gwtest.Sipp(env)
        cls.alice = gwtest.XmppClient(env, "alice").connect()

    @classmethod
    def tearDownClass(cls):
        rc = None
        if cls.gw.proc.alive():
            rc = cls.gw.stop()
        if cls.relay is not None:
            cls.relay.close()
        cls.env.close(keep=rc not in (None, 0))

    def setUp(self):
        self.relay.restore()
        self.alice.drain()

    def message(self, body, expect):
        return self.sipp.start(gwtest.sipp_uac_message(body=body,
                                                       expect=expect),
                               remote=f"{HOST}:{self.sip_port}", timeout=15)

    @staticmethod
    def answers(run):
        """The status of each answer SIPp received, in order (SIPp goes on
        past an unexpected one and resends, so its exit code alone does
        not say that the first answer was the expected one)."""
        return [int(c) for c in re.findall(r"(?m)^SIP/2\.0 (\d{3}) ",
                                           run.messages())]

    def ups(self):
        return len(re.findall(r"XMPP link up", self.gw.log()))

    def test_3_35_link_lost_before_confirmation(self):
        """3.35 the stanza is written, then the link drops before the
        server's answer to the ping behind it: 503 with Retry-After, never
        200; whether Prosody saw the stanza (answer held on its way back)
        or not (held on its way there). The link comes back and the next
        MESSAGE gets 200"""
        for held in ("down", "up"):
            with self.subTest(held=held):
                ups = self.ups()
                body = f"written, then cut ({held})"
                self.relay.hold(held)
                try:
                    run = self.message(body, 503)
                    gwtest.wait_for(lambda: self.relay.written(body), 10,
                                    what="the stanza written to the relay")
                    time.sleep(0.5)  # an answer now would be a 2xx too early
                    self.assertIsNone(run.p.poll(), "answered before the "
                                      "cut: " + run.messages()[-600:])
                    self.relay.cut()
                    self.assertEqual(run.wait(), 0, run.errors())
                    self.assertEqual(self.answers(run)[0], 503,
                                     run.messages()[-1200:])
                    self.assertNotIn(200, self.answers(run))
                    self.assertRegex(run.messages(), r"(?m)^SIP/2.0 503 .*"
                                     r"(?:\r?\n(?!\r?\n).*)*\r?\n"
                                     r"Retry-After: \d+")
                finally:
                    self.relay.cut()
                    self.relay.restore()
                    self.gw.proc.wait_log(r"XMPP link up", 15, count=ups + 1)
                run = self.message(f"after the outage ({held})", 200)
                self.assertEqual(run.wait(), 0, run.errors())
                self.alice.wait(lambda s, h=held: body_of(s) ==
                                f"after the outage ({h})",
                                what="message after the outage")

    def test_3_36_no_confirmation_in_time(self):
        """3.36 the server's answers are held past confirm_timeout_ms
        (1.5 s here) while the link stays up: 504 Server Time-out (RFC
        3261 21.5.5; never 408 to a MESSAGE, RFC 4320 4.2), not 200; once
        the answers flow again the next MESSAGE gets 200"""
        self.relay.hold("down")
        t = time.monotonic()
        run = self.message("no answer in time", 504)
        self.assertEqual(run.wait(), 0, run.errors())
        self.assertEqual(self.answers(run)[0], 504, run.messages()[-1200:])
        self.assertGreaterEqual(time.monotonic() - t, 1.4)
        self.relay.release("down")
        self.alice.wait(lambda s: body_of(s) == "no answer in time",
                        what="the held message")
        run = self.message("flowing again", 200)
        self.assertEqual(run.wait(), 0, run.errors())
        self.assertTrue(self.gw.proc.alive())


if __name__ == "__main__":
    gwtest.main()
