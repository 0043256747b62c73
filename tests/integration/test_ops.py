#!/usr/bin/python3
"""Issue 16: operations. Cases are numbered 16.x.

Real peers: Prosody (the link whose state /health reports), promtool and
a real Prometheus server scraping /metrics, systemd's own analyzer on the
installed unit, and a service manager's notify socket (the datagrams
systemd reads, received here as systemd would)."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
from gwtest import (GW_SIP_DOMAIN, HOST, RawSip, free_port,  # noqa: E402
                    sip_request, status_of, wait_for)


def http_get(port, path, source=HOST, method="GET"):
    """(status, headers dict lower-cased, body text)"""
    c = http.client.HTTPConnection(HOST, port, timeout=5,
                                   source_address=(source, 0))
    try:
        c.request(method, path)
        r = c.getresponse()
        body = r.read().decode("utf-8", "replace")
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        c.close()


def metric(text, name, **labels):
    """The value of one sample in Prometheus text, or None."""
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    line = f"{name}{{{want}}}" if labels else name
    for row in text.splitlines():
        if row.startswith(line + " "):
            return float(row.rsplit(" ", 1)[1])
    return None


class Prometheus:
    """A real Prometheus scraping the gateway every second."""

    def __init__(self, env, target_port):
        self.dir = env.subdir("prometheus")
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: gateway\n"
                    f"    static_configs:\n      - targets: ['{HOST}:{target_port}']\n")
        self.proc = gwtest.Proc("prometheus", [
            "prometheus", f"--config.file={cfg}",
            f"--storage.tsdb.path={os.path.join(self.dir, 'data')}",
            f"--web.listen-address={HOST}:{self.port}"], self.dir)
        env.procs.append(self.proc)
        gwtest.wait_tcp(self.port, 30)

    def query(self, expr):
        url = (f"http://{HOST}:{self.port}/api/v1/query?"
               + urllib.parse.urlencode({"query": expr}))
        with urllib.request.urlopen(url, timeout=5) as r:
            data = json.load(r)
        return data["data"]["result"]

    def value(self, expr):
        """The first sample's value; None while there is none (or while
        Prometheus still starts: its API answers 503 until ready)."""
        try:
            res = self.query(expr)
        except (OSError, urllib.error.HTTPError):
            return None
        return float(res[0]["value"][1]) if res else None

    def target_up(self):
        url = f"http://{HOST}:{self.port}/api/v1/targets"
        with urllib.request.urlopen(url, timeout=5) as r:
            data = json.load(r)
        return [t["health"] for t in data["data"]["activeTargets"]]


class AdminHttp(unittest.TestCase):
    """16.1-16.4: /health and /metrics on [admin] http_listen."""

    @classmethod
    def setUpClass(cls):
        cls.env = gwtest.Env(cls.__name__)
        cls.env.prosody = gwtest.Prosody(cls.env).start()
        cls.relay = gwtest.ComponentRelay(cls.env.prosody.component_port)
        cls.sip_port = free_port(udp_too=True)
        cls.http_port = free_port()
        cfg = gwtest.default_gateway_config(
            cls.env, cls.env.prosody, cls.sip_port,
            xmpp__port=cls.relay.port,
            admin__http_listen=f"{HOST}:{cls.http_port}",
            admin__http_allow="127.0.0.1",
            log__level="info", log__stanzas="false")
        cls.gw = gwtest.Gateway(cls.env, cfg).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop()
        cls.relay.close()
        cls.env.close(keep=rc != 0)
        if rc != 0:
            raise AssertionError(f"gateway exited with {rc}")

    def test_16_1_health_follows_the_link(self):
        """16.1 /health: 200 'ok' with both links up; 503 naming the XMPP
        link while it is down; 200 again once it is back"""
        status, headers, body = http_get(self.http_port, "/health")
        self.assertEqual(status, 200, body)
        self.assertTrue(body.startswith("ok\n"), body)
        self.assertIn("xmpp: up", body)
        self.assertIn("sip: bound", body)
        self.relay.cut()
        try:
            wait_for(lambda: http_get(self.http_port, "/health")[0] == 503, 10,
                     0.1, "503 while the link is cut")
            status, _, body = http_get(self.http_port, "/health")
            self.assertIn("xmpp: down", body)
        finally:
            self.relay.restore()
        wait_for(lambda: http_get(self.http_port, "/health")[0] == 200, 15,
                 0.1, "200 after the link is back")

    def test_16_2_untrusted_source_learns_nothing(self):
        """16.2 a source outside http_allow gets 403, no body, no Server
        header; an allowed one gets no Server header either"""
        for path in ("/health", "/metrics", "/nothing"):
            with self.subTest(path=path):
                status, headers, body = http_get(self.http_port, path,
                                                 source="127.0.0.2")
                self.assertEqual(status, 403)
                self.assertEqual(body, "")
                self.assertNotIn("server", headers)
        status, headers, _ = http_get(self.http_port, "/metrics")
        self.assertEqual(status, 200)
        self.assertNotIn("server", headers)
        self.assertEqual(http_get(self.http_port, "/metrics", method="POST")[0], 405)
        self.assertEqual(http_get(self.http_port, "/nothing")[0], 404)

    def test_16_3_promtool(self):
        """16.3 promtool (Prometheus's own checker) accepts /metrics"""
        if shutil.which("promtool") is None:
            self.skipTest("promtool not installed")
        status, headers, body = http_get(self.http_port, "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        p = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_16_4_prometheus_counts_what_was_sent(self):
        """16.4 a real Prometheus scrapes the gateway; the SIP counters it
        stores match the requests this test sent"""
        if shutil.which("prometheus") is None:
            self.skipTest("prometheus not installed")
        _, _, before = http_get(self.http_port, "/metrics")
        base_in = metric(before, "gw_sip_requests_received_total", method="OPTIONS")
        base_ok = metric(before, "gw_sip_responses_sent_total", method="OPTIONS",
                         **{"class": "2xx"})
        raw = RawSip()
        try:
            n = 7
            for _ in range(n):
                answer = raw.final(sip_request("OPTIONS", f"sip:{HOST}:{self.sip_port}",
                                               raw.port), (HOST, self.sip_port))
                self.assertEqual(status_of(answer), 200, answer)
        finally:
            raw.close()
        prom = Prometheus(self.env, self.http_port)
        want_in, want_ok = base_in + n, base_ok + n
        wait_for(lambda: prom.value('gw_sip_requests_received_total{method="OPTIONS"}')
                 == want_in, 30, 0.5, "Prometheus to store the OPTIONS count")
        self.assertEqual(prom.value(
            'gw_sip_responses_sent_total{method="OPTIONS",class="2xx"}'), want_ok)
        self.assertEqual(prom.value("gw_xmpp_link_up"), 1)
        self.assertEqual(prom.target_up(), ["up"])
        prom.proc.stop()


class Counters(gwtest.GatewayTestCase):
    """16.10 /metrics counts what crossed: messages both ways by outcome,
    refusals by their class, the relay's reachability."""

    UAS = free_port(udp_too=True)

    @classmethod
    def setUpClass(cls):
        cls.http_port = free_port()
        cls.env_rtpe = gwtest.Env("CountersRtpe")
        cls.rtpe = gwtest.Rtpengine(cls.env_rtpe).start()
        cls.gateway_overrides = {
            "admin__http_listen": f"{HOST}:{cls.http_port}",
            "sip__outbound_proxy": f"sip:{HOST}:{cls.UAS}",
            "media__relay": "rtpengine", "media__rtpengine": cls.rtpe.address(),
            "log__stanzas": "false"}
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.env_rtpe.close()

    def metrics(self):
        return http_get(self.http_port, "/metrics")[2]

    def test_16_10_messages_both_ways(self):
        """16.10 one delivered each way, one refused (404) and one
        forbidden, each in its row; latency observed for each"""
        before = self.metrics()

        def delta(text, name, **labels):
            return (metric(text, name, **labels) or 0) - (metric(before, name, **labels) or 0)

        raw = RawSip()
        try:
            ok = raw.final(sip_request("MESSAGE", f"sip:alice@{GW_SIP_DOMAIN}", raw.port,
                                       body="counted"), (HOST, self.sip_port))
            self.assertEqual(status_of(ok), 200, ok)
            nobody = raw.final(sip_request("MESSAGE", f"sip:nobody@elsewhere.test", raw.port,
                                           body="x"), (HOST, self.sip_port))
            self.assertEqual(status_of(nobody), 404, nobody)
        finally:
            raw.close()
        uas = self.sipp.start(gwtest.sipp_uas_message(), port=self.UAS, timeout=10)
        time.sleep(0.3)
        self.alice.send_message(f"1001@{gwtest.COMPONENT}", "to SIP", receipt=True)
        self.assertEqual(uas.wait(), 0, uas.errors())
        self.alice.wait(lambda s: s.find("{urn:xmpp:receipts}received") is not None,
                        what="receipt")
        bob = gwtest.XmppClient(self.env, "bob").connect()
        mid = bob.send_message(f"1001@{gwtest.COMPONENT}", "not allowed")
        bob.wait(lambda s: s.get("id") == mid, what="bob's bounce")
        after = self.metrics()
        m = "gw_messages_total"
        self.assertEqual(delta(after, m, direction="sip_to_xmpp", outcome="delivered"), 1)
        self.assertEqual(delta(after, m, direction="sip_to_xmpp", outcome="not_found"), 1)
        self.assertEqual(delta(after, m, direction="xmpp_to_sip", outcome="delivered"), 1)
        self.assertEqual(delta(after, m, direction="xmpp_to_sip", outcome="forbidden"), 1)
        self.assertEqual(delta(after, "gw_message_seconds_count", direction="sip_to_xmpp"), 2)
        self.assertEqual(delta(after, "gw_message_seconds_count", direction="xmpp_to_sip"), 2)
        self.assertEqual(delta(after, "gw_sip_requests_received_total", method="MESSAGE"), 2)
        self.assertEqual(delta(after, "gw_sip_requests_sent_total", method="MESSAGE"), 1)
        self.assertEqual(delta(after, "gw_sip_responses_received_total", method="MESSAGE",
                               **{"class": "2xx"}), 1)

    def test_16_15_correlation_ids(self):
        """16.15 -v lines carry the SIP Call-ID and the stanza id: the
        MESSAGE's Call-ID and the id of the stanza alice received are on
        one line; so are alice's stanza id and our MESSAGE's Call-ID"""
        raw = RawSip()
        try:
            ok = raw.final(sip_request("MESSAGE", f"sip:alice@{GW_SIP_DOMAIN}", raw.port,
                                       body="follow me", call_id="corr-test-1"),
                           (HOST, self.sip_port))
            self.assertEqual(status_of(ok), 200, ok)
        finally:
            raw.close()
        got = self.alice.wait(lambda s: gwtest.body_of(s) == "follow me", what="message")
        self.gw.proc.wait_log(r"CALL_ID=corr-test-1 STANZA_ID=" + re.escape(got.get("id")), 5)
        uas = self.sipp.start(gwtest.sipp_uas_message(), port=self.UAS, timeout=10)
        time.sleep(0.3)
        self.alice.send_message(f"1001@{gwtest.COMPONENT}", "trace me", mid="corr-stanza-2")
        self.assertEqual(uas.wait(), 0, uas.errors())
        self.gw.proc.wait_log(r"XMPP->SIP .* CALL_ID=\S+ STANZA_ID=corr-stanza-2", 5)
        m = re.search(r"XMPP->SIP .* CALL_ID=(\S+) STANZA_ID=corr-stanza-2", self.gw.log())
        self.assertIn("Call-ID: " + m.group(1), uas.messages())

    def test_16_11_relay_reachability(self):
        """16.11 /health reports rtpengine reachable (its ping answered),
        then unreachable once it is stopped, without turning unhealthy"""
        wait_for(lambda: "rtpengine: reachable" in http_get(self.http_port, "/health")[2],
                 15, 0.2, "rtpengine reachable")
        self.assertEqual(metric(self.metrics(), "gw_rtpengine_reachable"), 1)
        self.rtpe.stop()
        wait_for(lambda: "rtpengine: unreachable" in http_get(self.http_port, "/health")[2],
                 20, 0.5, "rtpengine unreachable")
        status, _, body = http_get(self.http_port, "/health")
        self.assertEqual(status, 200, body)


class RateBuckets(gwtest.GatewayTestCase):
    """16.16 a trusted proxy has a bucket of its own: with sip_rate 1/s for
    untrusted sources, the trusted source's burst of requests all pass,
    while an untrusted source's second request gets 503 (and is counted)."""

    gateway_overrides = {"security__sip_rate": 1, "security__sip_burst": 1,
                         "log__stanzas": "false"}

    @classmethod
    def setUpClass(cls):
        cls.users = os.path.join(tempfile.gettempdir(), f"gw-ops-users-{os.getpid()}")
        with open(cls.users, "w") as f:
            f.write("1001:pw1001\n")
        cls.gateway_overrides = dict(cls.gateway_overrides,
                                     security__sip_users_file=cls.users)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.users)

    def test_16_16_trusted_bucket(self):
        """16.16 20 OPTIONS from the trusted proxy: 200 each; from an
        untrusted source: the first challenged, the second 503"""
        raw = RawSip()
        try:
            for _ in range(20):
                answer = raw.final(sip_request("OPTIONS", f"sip:{HOST}:{self.sip_port}",
                                               raw.port), (HOST, self.sip_port))
                self.assertEqual(status_of(answer), 200, answer)
        finally:
            raw.close()
        untrusted = RawSip(source="127.0.0.2")
        try:
            got = [status_of(untrusted.final(
                sip_request("OPTIONS", f"sip:{HOST}:{self.sip_port}", untrusted.port,
                            source="127.0.0.2"), (HOST, self.sip_port)))
                   for _ in range(2)]
        finally:
            untrusted.close()
        self.assertEqual(got, [401, 503])


NS_CMD = "http://jabber.org/protocol/commands"
NS_DATA = "jabber:x:data"
NS_ITEMS = "http://jabber.org/protocol/disco#items"


class AdminCommands(gwtest.GatewayTestCase):
    """16.12-16.14: XEP-0050 commands for [admin] jids from a real client
    through Prosody; drain and undrain, also by signal."""

    @classmethod
    def setUpClass(cls):
        cls.http_port = free_port()
        cls.gateway_overrides = {
            "admin__http_listen": f"{HOST}:{cls.http_port}",
            "admin__jids": "alice@localhost", "log__stanzas": "false",
            "log__level": "message"}
        super().setUpClass()
        cls.alice = gwtest.XmppClient(cls.env, "alice").connect()
        cls.bob = gwtest.XmppClient(cls.env, "bob").connect()

    def iq(self, client, payload, type_="set"):
        iid = "a" + os.urandom(4).hex()
        client.send_raw(f"<iq type='{type_}' id='{iid}' to='{gwtest.COMPONENT}'>{payload}</iq>")
        return client.wait(lambda s: s.get("id") == iid, what="iq answer " + iid)

    def command(self, client, node, inner="", action="execute", sid=None):
        attrs = f"node='{node}' action='{action}'" + (f" sessionid='{sid}'" if sid else "")
        r = self.iq(client, f"<command xmlns='{NS_CMD}' {attrs}>{inner}</command>")
        return r, r.find(f"{{{NS_CMD}}}command")

    @staticmethod
    def fields(cmd):
        out = {}
        for f in cmd.iter(f"{{{NS_DATA}}}field"):
            out[f.get("var")] = [v.text or "" for v in f.findall(f"{{{NS_DATA}}}value")]
        return out

    def test_16_12_only_admins(self):
        """16.12 the list and the commands for alice ([admin] jids);
        forbidden for bob, also the version"""
        r = self.iq(self.bob, f"<query xmlns='{NS_ITEMS}' node='{NS_CMD}'/>", "get")
        self.assertEqual(gwtest.error_condition(r)[0], "forbidden")
        r, _ = self.command(self.bob, "stats")
        self.assertEqual(gwtest.error_condition(r)[0], "forbidden")
        r = self.iq(self.alice, f"<query xmlns='{NS_ITEMS}' node='{NS_CMD}'/>", "get")
        nodes = {i.get("node") for i in r.iter(f"{{{NS_ITEMS}}}item")}
        self.assertTrue({"stats", "list-calls", "list-subscriptions", "end-call",
                         "reload", "set-log-level", "drain", "undrain"} <= nodes, nodes)
        r = self.iq(self.bob, "<query xmlns='jabber:iq:version'/>", "get")
        self.assertEqual(gwtest.error_condition(r)[0], "service-unavailable")
        r = self.iq(self.alice, "<query xmlns='jabber:iq:version'/>", "get")
        self.assertEqual(r.get("type"), "result")
        r = self.iq(self.bob, "<query xmlns='http://jabber.org/protocol/disco#info'/>", "get")
        feats = {f.get("var") for f in r.iter("{http://jabber.org/protocol/disco#info}feature")}
        self.assertIn(NS_CMD, feats)
        self.assertNotIn("jabber:iq:version", feats)

    def test_16_13_commands(self):
        """16.13 stats and lists complete at once; set-log-level asks for
        its form, then completes; a bad session id and a cancel"""
        r, cmd = self.command(self.alice, "stats")
        self.assertEqual(cmd.get("status"), "completed", r)
        f = self.fields(cmd)
        self.assertEqual(f["xmpp_link_up"], ["1"])
        self.assertIn("messages_sip_to_xmpp", f)
        r, cmd = self.command(self.alice, "list-calls")
        self.assertEqual(cmd.get("status"), "completed")
        self.assertEqual(self.fields(cmd)["calls"], [])
        r, cmd = self.command(self.alice, "list-subscriptions")
        self.assertEqual(cmd.get("status"), "completed")
        r, cmd = self.command(self.alice, "set-log-level")
        self.assertEqual(cmd.get("status"), "executing")
        sid = cmd.get("sessionid")
        self.assertTrue(sid)
        form = (f"<x xmlns='{NS_DATA}' type='submit'><field var='level'>"
                "<value>info</value></field></x>")
        r, _ = self.command(self.alice, "set-log-level", form, "complete", "nope")
        self.assertEqual(gwtest.error_condition(r)[0], "bad-request")
        r, cmd = self.command(self.alice, "set-log-level", form, "complete", sid)
        self.assertEqual(cmd.get("status"), "completed", r)
        self.gw.proc.wait_log(r"log level set to info by an operator", 5)
        r, cmd = self.command(self.alice, "end-call")
        self.assertEqual(cmd.get("status"), "executing")
        r, cmd = self.command(self.alice, "end-call", "", "cancel", cmd.get("sessionid"))
        self.assertEqual(cmd.get("status"), "canceled")
        r, cmd = self.command(self.alice, "reload")
        self.assertEqual(cmd.get("status"), "completed")
        self.assertIn("reloaded", "".join(cmd.itertext()))

    def subscribe(self):
        raw = RawSip()
        try:
            return status_of(raw.final(sip_request(
                "SUBSCRIBE", f"sip:alice@{GW_SIP_DOMAIN}", raw.port,
                extra="Event: presence\r\nAccept: application/pidf+xml\r\nExpires: 60"),
                (HOST, self.sip_port)))
        finally:
            raw.close()

    def test_16_14_drain(self):
        """16.14 drain (command, then SIGUSR1): new SIP watchers get 503,
        /health 503 'draining'; undrain (command, then SIGUSR2) takes them
        again"""
        r, cmd = self.command(self.alice, "drain")
        self.assertEqual(cmd.get("status"), "completed")
        self.assertEqual(self.subscribe(), 503)
        status, _, body = http_get(self.http_port, "/health")
        self.assertEqual(status, 503, body)
        self.assertIn("draining: yes", body)
        r, cmd = self.command(self.alice, "undrain")
        self.assertEqual(self.subscribe(), 202)
        self.assertEqual(http_get(self.http_port, "/health")[0], 200)
        os.kill(self.gw.proc.pid, signal.SIGUSR1)
        wait_for(lambda: http_get(self.http_port, "/health")[0] == 503, 5, 0.05, "drain")
        self.assertEqual(self.subscribe(), 503)
        os.kill(self.gw.proc.pid, signal.SIGUSR2)
        wait_for(lambda: http_get(self.http_port, "/health")[0] == 200, 5, 0.05, "undrain")


class ServiceManager(unittest.TestCase):
    """16.5: the sd_notify protocol as systemd speaks it: READY=1 once the
    XMPP link is up, WATCHDOG=1 from the loop at least twice per
    WatchdogSec, STOPPING=1 at SIGTERM."""

    def test_16_5_notify(self):
        """16.5 READY=1 after the link, WATCHDOG=1 often enough, STOPPING=1"""
        env = gwtest.Env("ServiceManager")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = os.path.join(env.root, "notify.sock")
        sock.bind(path)
        sock.settimeout(0.2)
        got = []

        def read_all():
            while True:
                try:
                    got.append((time.monotonic(), sock.recv(4096).decode()))
                except socket.timeout:
                    return

        try:
            env.prosody = gwtest.Prosody(env).start()
            port = free_port(udp_too=True)
            gw = gwtest.Gateway(env, gwtest.default_gateway_config(
                env, env.prosody, port, log__level="message",
                log__stanzas="false"))
            t0 = time.monotonic()
            gw.start(extra_env={"NOTIFY_SOCKET": path,
                                "WATCHDOG_USEC": "400000"})
            wait_for(lambda: read_all() or any("READY=1" in m for _, m in got),
                     10, 0.05, "READY=1")
            ready = [m for _, m in got if "READY=1" in m][0]
            self.assertRegex(ready, r"STATUS=XMPP up, SIP bound")
            time.sleep(1.2)
            read_all()
            dogs = [t for t, m in got if "WATCHDOG=1" in m and t > t0 + 0.5]
            # at least twice per WatchdogSec (0.4 s): >= 4 in ~1.2 s
            self.assertGreaterEqual(len(dogs), 4, got)
            gw.proc.p.send_signal(signal.SIGTERM)
            gw.proc.p.wait(10)
            read_all()
            self.assertTrue(any("STOPPING=1" in m for _, m in got), got)
            self.assertEqual(gw.proc.p.returncode, 0)
        finally:
            sock.close()
            env.close()


class CheckConfig(unittest.TestCase):
    """16.7 --check-config as an operator meets it."""

    def run_check(self, text):
        d = tempfile.mkdtemp(prefix="gwtest-check-")
        try:
            path = os.path.join(d, "gw.conf")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([gwtest.gateway_binary(), "--config", path,
                                "--check-config"], capture_output=True,
                               text=True, timeout=30)
            return p.returncode, p.stdout, p.stderr
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_16_7_every_problem_once(self):
        """16.7 a key typo, a port that is not a number, a port out of
        range and a bad mapping rule are all reported, each once, and the
        mapping's message does not repeat its file and group"""
        rc, out, err = self.run_check(
            "[xmpp]\ncomponent_domain = sip.test\nsecret = x\nporrt = 5347\n"
            "[sip]\nlisten = sip:127.0.0.1:50a60\n"
            "outbound_proxy = sip:proxy.test:99999\n"
            "[mapping]\nsip_domain = pbx.test\nrules = garbage\n")
        text = out + err
        self.assertEqual(rc, 1, text)
        for want in ("[xmpp] porrt: unknown key",
                     "[sip] listen: 'sip:127.0.0.1:50a60'",
                     "[sip] outbound_proxy: 'sip:proxy.test:99999': host has a bad port",
                     "[mapping] rules:1: expected"):
            self.assertEqual(text.count(want), 1, text)
        self.assertNotIn("[mapping]: ", text)

    def test_16_7_bridges_nothing(self):
        """16.7 a valid config that opens nothing: exit 0, one warning per
        closed door on stderr"""
        rc, out, err = self.run_check(
            "[xmpp]\ncomponent_domain = sip.test\nsecret = x\n"
            "[mapping]\nsip_domain = pbx.test\n")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("OK", out)
        for want in ("allow_messages is empty", "trusted_sip_sources nor sip_users_file",
                     "allow_calls is empty", "allow_watchers is empty"):
            self.assertIn(want, err)
        rc, out, err = self.run_check(
            "[xmpp]\ncomponent_domain = sip.test\nsecret = x\n"
            "[mapping]\nsip_domain = pbx.test\n"
            "[security]\nallow_messages = *@x.test *\ntrusted_sip_sources = 127.0.0.1\n"
            "[calls]\nallow_calls = *@x.test *\n"
            "[presence]\nallow_watchers = x.test\n")
        self.assertEqual((rc, err), (0, ""), out + err)


class ExampleClaims(unittest.TestCase):
    """16.9 what the example configuration's comments promise about dialled
    numbers is what --map does."""

    def test_16_9_numbers(self):
        """16.9 555-0100 -> +15550100; 011 44 ... needs international_prefix"""
        d = tempfile.mkdtemp(prefix="gwtest-example-")
        try:
            def mapped(prefix, number):
                path = os.path.join(d, "gw.conf")
                with open(path, "w") as f:
                    f.write("[xmpp]\ncomponent_domain = sip.example.com\nsecret = x\n"
                            "[mapping]\nsip_domain = pbx.example.com\n"
                            f"default_country_code = 1\ninternational_prefix = {prefix}\n")
                p = subprocess.run([gwtest.gateway_binary(), "--config", path, "--map",
                                    number], capture_output=True, text=True, timeout=30)
                m = re.search(r"^jid:\s+(\S+)@", p.stdout, re.M)
                return m.group(1) if m else p.stdout + p.stderr
            self.assertEqual(mapped("00", "555-0100"), "+15550100")
            self.assertEqual(mapped("00", "(555) 123-4567"), "+15551234567")
            self.assertEqual(mapped("00", "00 44 20 7946 0000"), "+442079460000")
            self.assertEqual(mapped("011", "011 44 20 7946 0000"), "+442079460000")
            example = open(os.path.join(os.path.dirname(__file__), "..", "..", "config",
                                        "gateway.conf.example")).read()
            self.assertIn('"555-0100" becomes +15550100', example)
        finally:
            shutil.rmtree(d, ignore_errors=True)


class Reload(gwtest.GatewayTestCase):
    """16.8 SIGHUP applies every reloadable key, also those the links read
    ([log] stanzas), and names the keys that need a restart."""

    gateway_overrides = {"log__stanzas": "false", "log__level": "debug"}

    def test_16_8_reload_applies_stanza_log(self):
        """16.8 [log] stanzas = true on SIGHUP: the next stanza is logged"""
        alice = gwtest.XmppClient(self.env, "alice").connect()
        alice.send_message(f"1001@{gwtest.COMPONENT}", "not logged")
        time.sleep(0.5)
        self.assertNotIn("SEND ", self.gw.log())
        cfg = self.gw.cfg
        cfg["log"]["stanzas"] = "true"
        cfg["media"]["sip_profile"] = "sdes"  # needs a restart
        gwtest.write_keyfile(self.gw.path, cfg)
        os.kill(self.gw.proc.pid, signal.SIGHUP)
        self.gw.proc.wait_log(r"configuration reloaded", 5)
        self.assertIn("only after a restart: media.sip_profile", self.gw.log())
        alice.send_message(f"1001@{gwtest.COMPONENT}", "logged now")
        self.gw.proc.wait_log(r"SEND <", 5)


class Install(unittest.TestCase):
    """16.6: cmake --install with a prefix: the unit names that prefix,
    systemd-analyze verifies it and rates its exposure OK (<= 3.0); an
    existing configuration survives a reinstall."""

    def install(self, prefix, destdir=None):
        env = dict(os.environ)
        if destdir:
            env["DESTDIR"] = destdir
        p = subprocess.run(["cmake", "--install", gwtest.build_dir(), "--prefix", prefix],
                           capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p.stdout

    def test_16_6_install(self):
        """16.6 the installed unit, its verification and exposure score"""
        root = tempfile.mkdtemp(prefix="gwtest-install-")
        try:
            # /usr, as a distribution package would: into a DESTDIR
            self.install("/usr", destdir=root)
            unit = open(os.path.join(root, "lib/systemd/system/xmpp-sip-gateway.service")).read()
            self.assertIn("ExecStart=/usr/bin/xmpp-sip-gateway --config "
                          "/etc/xmpp-sip-gateway/gateway.conf", unit)
            self.assertIn("Type=notify", unit)
            self.assertIn("RestartPreventExitStatus=2", unit)
            self.assertNotIn("/usr/local", unit)
            conf = os.path.join(root, "etc/xmpp-sip-gateway/gateway.conf")
            self.assertIn("secret_file = ${CREDENTIALS_DIRECTORY}/xmpp-secret",
                          open(conf).read())
            with open(conf, "a") as f:
                f.write("# the operator's edit\n")
            out = self.install("/usr", destdir=root)
            self.assertIn("Keeping", out)
            self.assertIn("# the operator's edit", open(conf).read())
            # a real prefix on this machine, where the binary exists: verify
            prefix = os.path.join(root, "opt")
            self.install(prefix)
            unit_path = os.path.join(prefix, "lib/systemd/system/xmpp-sip-gateway.service")
            if shutil.which("systemd-analyze") is None:
                self.skipTest("systemd-analyze not installed")
            p = subprocess.run(["systemd-analyze", "verify", unit_path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            p = subprocess.run(["systemd-analyze", "security", "--offline=true",
                                unit_path], capture_output=True, text=True, timeout=60)
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            self.assertLessEqual(float(m.group(1)), 3.0, p.stdout)
            # the installed configuration checks once its secret exists
            creds = os.path.join(root, "creds")
            os.makedirs(creds)
            with open(os.path.join(creds, "xmpp-secret"), "w") as f:
                f.write("s3cret\n")
            p = subprocess.run([os.path.join(prefix, "bin/xmpp-sip-gateway"), "--config",
                                os.path.join(prefix, "etc/xmpp-sip-gateway/gateway.conf"),
                                "--check-config"], capture_output=True, text=True,
                               env=dict(os.environ, CREDENTIALS_DIRECTORY=creds), timeout=30)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    gwtest.main()
