#!/usr/bin/python3
"""Issue 17, part 1: per-user SIP accounts. Cases are numbered 17.x.

Real peers: Prosody with slixmpp clients, and Kamailio 5.6 as registrar
with digest authentication from its auth_db module over a db_text
subscriber table (2001/secret, 2002/other); Kamailio's location table is
read with kamcmd (ul.dump) on a ctl socket, and every REGISTER it receives
is logged, so that REGISTERs can be counted.

- 17.1 disco#info of the component lists jabber:iq:register; a get gives
  instructions, username and password fields, and no data form (no
  [accounts] allow_custom_registrar: no registrar field).
- 17.2 refusals: a JID outside [accounts] allow (not-allowed), a missing
  password (bad-request), a username no SIP user part can be and an
  oversized field (not-acceptable), a form naming a registrar while the
  key is absent (not-allowed, and a UDP socket listening there gets no
  datagram), all without a crash.
- 17.3 alice registers 2001/secret: result, and Kamailio's location table
  shows the gateway's Contact for 2001; the password is in neither the
  gateway's log (stanzas logged at debug) nor the database file.
- 17.4 her get shows <registered/> and username 2001, never the password;
  /metrics counts the account, registered.
- 17.5 bob asks for 2001: conflict.
- 17.6 bob registers 2002 with a wrong password: exactly one message from
  the component domain with the SIP reason, and no REGISTER storm (at most
  2 REGISTERs for 2002 at Kamailio over 10 s).
- 17.7 alice's <remove/>: result, and the binding is gone from the
  location table; her account is gone (a get offers the fields again).
- 17.8 a restart of the gateway re-registers alice's account from the
  database (register_when = online: her presence, which she granted the
  component, is probed at link up).
- 17.9 register_when = online: a reconnect within [accounts]
  offline_grace_s keeps her binding (no un-REGISTER); her last resource
  gone for longer than that
  un-REGISTERs; coming back registers again.
- 17.10 [accounts] realm set: only HA1 is stored (the database holds the
  HA1 and no password), and Kamailio accepts the digest made from it.
- 17.11 register_when = always and register_rate = 2: the stop
  un-REGISTERs both accounts at that pace too (at least 0.4 s apart, both
  bindings gone, exit 0); after a restart both accounts register without
  any presence, their REGISTERs started at least 0.4 s apart (paced),
  never both at once.
- 17.12 a challenge for another realm than [accounts] realm cannot be
  answered from an HA1: refused, and she is told why, once.
- 17.13 a key_file that others may read: the gateway refuses to start,
  naming the file.
- 17.14 what clients and peers may send: a registration as a submitted
  data form (XEP-0077 section 4) registers; malformed queries (elements
  inside the username, hundreds of children, a set from the bare server
  domain, a result/error type, 2,000 registrations in a burst) get an
  answer each or are ignored, and the gateway stays up; killed (SIGKILL)
  right after a registration was answered, the database passes SQLite's
  integrity check and holds that account.
"""

import hashlib
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
from gwtest import (COMPONENT, HOST, PBX_DOMAIN, XMPP_DOMAIN,  # noqa: E402
                    body_of, error_condition, free_port, wait_for)

NS_REG = "jabber:iq:register"
NS_INFO = "http://jabber.org/protocol/disco#info"
PASSWORD = "Xq7-secret-2001"
SUBSCRIBERS = {"2001": PASSWORD, "2002": "other"}


class Registrar(gwtest.Kamailio):
    """Kamailio as the PBX's registrar: digest against auth_db (db_text),
    usrloc in memory, a ctl socket for kamcmd. `domain` and `subscribers`
    make another PBX (a registrar of her own)."""

    def __init__(self, env, domain=PBX_DOMAIN, subscribers=None, **kw):
        super().__init__(env, **kw)
        self.domain = domain
        self.subscribers = subscribers or SUBSCRIBERS

    def write_config(self):
        mods = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
        db = os.path.join(self.dir, "db")
        os.makedirs(db, exist_ok=True)
        with open(os.path.join(db, "version"), "w") as f:
            f.write("table_name(string) table_version(int) \n"
                    "subscriber:7\n")
        with open(os.path.join(db, "subscriber"), "w") as f:
            f.write("id(int,auto) username(string) domain(string) "
                    "password(string) ha1(string) ha1b(string) \n")
            d = self.domain
            for i, (u, p) in enumerate(self.subscribers.items(), 1):
                ha1 = hashlib.md5(f"{u}:{d}:{p}".encode()).hexdigest()
                ha1b = hashlib.md5(f"{u}@{d}:{d}:{p}".encode()).hexdigest()
                f.write(f"{i}:{u}:{d}:{p}:{ha1}:{ha1b}\n")
        self.ctl = os.path.join(self.dir, "kamailio_ctl")
        # one UDP worker: with two, Kamailio could pass the gateway's first
        # NOTIFY on before its 202 (each on a worker of its own), and the
        # SIPp watchers of these tests take the 202 first (17.24 failed 2
        # of 7 runs so)
        with open(self.cfg, "w") as f:
            f.write(f"""#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
auto_aliases=no
alias="{self.domain}"
mpath="{mods}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "xlog.so"
loadmodule "db_text.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
loadmodule "ctl.so"
modparam("usrloc", "db_mode", 0)
modparam("auth_db", "db_url", "text://{db}")
modparam("auth_db", "calculate_ha1", yes)
modparam("auth_db", "password_column", "password")
modparam("auth_db", "load_credentials", "")
modparam("ctl", "binrpc", "unix:{self.ctl}")
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("REGISTER")) {{
        xlog("L_NOTICE", "REGISTER-IN $tU expires=$hdr(Expires) contact=$hdr(Contact) auth=$au\\n");
        if (!www_authorize("$td", "subscriber")) {{
            www_challenge("$td", "0");
            exit;
        }}
        if ($au != $tU) {{ sl_send_reply("403", "Forbidden"); exit; }}
        if (!save("location")) sl_reply_error();
        exit;
    }}
    sl_send_reply("404", "Not Here");
}}
""")

    def locations(self):
        r = subprocess.run(["kamcmd", "-s", f"unix:{self.ctl}", "ul.dump"],
                           capture_output=True, text=True, timeout=5)
        return r.stdout

    def binding(self, user):
        """Our Contact for `user` in the location table, or None."""
        m = re.search(r"AoR: %s\b(.*?)(?=AoR:|\Z)" % re.escape(user),
                      self.locations(), re.S)
        if m is None:
            return None
        c = re.search(r"Address: (sip:acc-[0-9a-f]+@[^\s]+)", m.group(1))
        return c.group(1) if c else None

    def registers(self, user):
        return len(re.findall(r"REGISTER-IN %s " % re.escape(user),
                              self.proc.log()))


def write_key(env, mode=0o600):
    """A fresh [accounts] key_file (32 random bytes) in env's directory,
    with `mode`; its path."""
    key = os.path.join(env.root, "accounts.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    os.chmod(key, mode)
    return key


def iq(client, payload, type_="set", to=COMPONENT):
    iid = "r" + os.urandom(4).hex()
    client.send_raw(f"<iq type='{type_}' id='{iid}' to='{to}'>{payload}</iq>")
    return client.wait(lambda s: s.get("id") == iid, what="iq answer " + iid)


def register(client, username, password):
    return iq(client, f"<query xmlns='{NS_REG}'><username>{username}"
                      f"</username><password>{password}</password></query>")


def approve_component(client):
    """She accepts the component's subscription request (and asks for its
    presence back), as a client does when she adds a gateway."""
    client.wait(lambda s: s.tag == "presence" and s.get("type") == "subscribe"
                and s.get("from") == COMPONENT, what="subscription request")
    client.send_raw(f"<presence type='subscribed' to='{COMPONENT}'/>")


class AccountsWorld(unittest.TestCase):
    """Starts its world once per class (start_world(): Prosody, Kamailio,
    the gateway with [accounts]) and stops it, keeping the logs when
    something failed or the gateway did not stop cleanly."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built")
        cls.env = gwtest.Env(cls.__name__)
        try:
            cls.start_world()
        except BaseException:
            cls.env.close(keep=True)
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop() if cls.gw.proc and cls.gw.proc.alive() else 0
        if rc != 0:
            print(f"gateway exited with {rc}; log:\n" + cls.gw.log()[-4000:])
        cls.env.close(keep=rc != 0)
        if rc != 0:
            raise AssertionError(f"gateway did not stop cleanly (exit {rc})")


class Accounts(AccountsWorld):
    """One world for the cases, in order: Prosody, Kamailio, the gateway
    with [accounts] enabled, key_file sealing the passwords."""
    GRACE_S = 4  # [accounts] offline_grace_s

    @classmethod
    def start_world(cls):
        env = cls.env
        env.prosody = gwtest.Prosody(env).start()
        cls.kam = Registrar(env).start()
        cls.key = write_key(env)
        cls.db = os.path.join(env.root, "accounts.sqlite")
        cls.http = free_port()
        cls.cfg = gwtest.default_gateway_config(
            env, env.prosody, free_port(udp_too=True),
            admin__http_listen=f"{HOST}:{cls.http}",
            accounts__enabled="true",
            accounts__registrar=f"sip:{HOST}:{cls.kam.port}",
            accounts__domain=PBX_DOMAIN,
            accounts__key_file=cls.key,
            accounts__database=cls.db,
            accounts__allow=f"alice@{XMPP_DOMAIN};bob@{XMPP_DOMAIN}",
            accounts__register_expires=120,
            accounts__offline_grace_s=cls.GRACE_S,
            accounts__max_failures=3)
        cls.gw = gwtest.Gateway(env, cls.cfg).start()
        cls.alice = gwtest.XmppClient(env, "alice").connect()
        cls.bob = gwtest.XmppClient(env, "bob").connect()
        cls.carol = gwtest.XmppClient(env, "carol").connect()

    def binding(self, user):
        """Our Contact for `user` in Kamailio's location table, or None."""
        return self.kam.binding(user)

    def test_17_1_disco_and_fields(self):
        r = iq(self.alice, f"<query xmlns='{NS_INFO}'/>", "get")
        feats = {f.get("var") for f in r.iter(f"{{{NS_INFO}}}feature")}
        self.assertIn(NS_REG, feats)
        r = iq(self.carol, f"<query xmlns='{NS_REG}'/>", "get")
        self.assertEqual(error_condition(r)[0], "not-allowed")
        r = iq(self.bob, f"<query xmlns='{NS_REG}'/>", "get")
        self.assertEqual(r.get("type"), "result")
        q = r.find(f"{{{NS_REG}}}query")
        self.assertIsNotNone(q.find(f"{{{NS_REG}}}instructions"))
        self.assertIsNotNone(q.find(f"{{{NS_REG}}}username"))
        self.assertIsNotNone(q.find(f"{{{NS_REG}}}password"))
        self.assertIsNone(q.find(f"{{{NS_REG}}}registered"))
        self.assertIsNone(q.find("{jabber:x:data}x"))
        self.assertNotIn("registrar'", gwtest.ET.tostring(r).decode())

    def test_17_2_refusals(self):
        r = register(self.carol, "2003", "x")
        self.assertEqual(error_condition(r), ("not-allowed", "cancel"))
        r = iq(self.bob, f"<query xmlns='{NS_REG}'><username>2002</username>"
                         "</query>")
        self.assertEqual(error_condition(r), ("bad-request", "modify"))
        r = register(self.bob, "bad user@x", "pw")
        self.assertEqual(error_condition(r), ("not-acceptable", "modify"))
        r = register(self.bob, "2002", "p" * 5000)
        self.assertEqual(error_condition(r), ("not-acceptable", "modify"))
        r = iq(self.bob, f"<query xmlns='{NS_REG}'><remove/></query>")
        self.assertEqual(error_condition(r)[0], "item-not-found")
        trap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        trap.bind(("127.0.0.3", 0))
        trap.settimeout(2)
        try:
            r = iq(self.bob, f"<query xmlns='{NS_REG}'><x xmlns='jabber:x:"
                             "data' type='submit'><field var='username'>"
                             "<value>2002</value></field><field var='passwo"
                             "rd'><value>other</value></field><field var='r"
                             "egistrar'><value>sip:127.0.0.3:"
                             f"{trap.getsockname()[1]}</value></field></x>"
                             "</query>")
            self.assertEqual(error_condition(r), ("not-allowed", "cancel"))
            self.assertRaises(socket.timeout, trap.recv, 65536)
        finally:
            trap.close()
        self.assertTrue(self.gw.proc.alive())

    def test_17_3_register(self):
        r = register(self.alice, "2001", PASSWORD)
        self.assertEqual(r.get("type"), "result", r)
        approve_component(self.alice)
        contact = wait_for(lambda: self.binding("2001"), 10, 0.2,
                           "2001 in Kamailio's location table")
        self.assertIn(f"{HOST}:{self.gw.sip_port}", contact)
        self.gw.proc.wait_log(r"sip:2001@%s registered" % re.escape(PBX_DOMAIN), 5)
        self.assertNotIn(PASSWORD, self.gw.log())
        for suffix in ("", "-wal"):
            p = self.db + suffix
            if os.path.exists(p):
                with open(p, "rb") as f:
                    data = f.read()
                self.assertNotIn(PASSWORD.encode(), data, p)

    def test_17_4_registered_get(self):
        r = iq(self.alice, f"<query xmlns='{NS_REG}'/>", "get")
        q = r.find(f"{{{NS_REG}}}query")
        self.assertIsNotNone(q.find(f"{{{NS_REG}}}registered"))
        self.assertEqual(q.find(f"{{{NS_REG}}}username").text, "2001")
        pw = q.find(f"{{{NS_REG}}}password")
        self.assertTrue(pw is None or not (pw.text or "").strip())
        # the operator's view: /metrics
        import urllib.request
        with urllib.request.urlopen(f"http://{HOST}:{self.http}/metrics",
                                    timeout=5) as resp:
            text = resp.read().decode()
        self.assertIn("\ngw_accounts 1\n", text)
        self.assertIn("\ngw_accounts_registered 1\n", text)

    def test_17_5_conflict(self):
        r = register(self.bob, "2001", PASSWORD)
        self.assertEqual(error_condition(r), ("conflict", "cancel"))

    def test_17_6_wrong_password_told_once(self):
        self.bob.drain()
        r = register(self.bob, "2002", "not-the-password")
        self.assertEqual(r.get("type"), "result")
        m = self.bob.wait(lambda s: s.tag == "message" and body_of(s),
                          what="refusal message")
        self.assertEqual(m.get("from"), COMPONENT)
        self.assertIn("401", body_of(m))
        self.assertIn("sip:2002@" + PBX_DOMAIN, body_of(m))
        time.sleep(10)
        n = self.kam.registers("2002")
        self.assertLessEqual(n, 2, f"{n} REGISTERs for 2002 in 10 s")
        more = [s for s in self.bob.drain()
                if s.tag == "message" and body_of(s)]
        self.assertEqual(more, [], "told more than once")
        self.assertNotIn("not-the-password", self.gw.log())
        r = iq(self.bob, f"<query xmlns='{NS_REG}'><remove/></query>")
        self.assertEqual(r.get("type"), "result")

    def test_17_7_remove(self):
        wait_for(lambda: self.binding("2001"), 10, 0.2, "2001 bound")
        r = iq(self.alice, f"<query xmlns='{NS_REG}'><remove/></query>")
        self.assertEqual(r.get("type"), "result")
        wait_for(lambda: self.binding("2001") is None, 10, 0.2,
                 "2001 unbound")
        r = iq(self.alice, f"<query xmlns='{NS_REG}'/>", "get")
        q = r.find(f"{{{NS_REG}}}query")
        self.assertIsNone(q.find(f"{{{NS_REG}}}registered"))

    def test_17_8_restart_reregisters(self):
        self.alice.drain()
        r = register(self.alice, "2001", PASSWORD)
        self.assertEqual(r.get("type"), "result")
        # her removal ended the subscription: the component asks again
        approve_component(self.alice)
        wait_for(lambda: self.binding("2001"), 10, 0.2, "2001 bound")
        before = self.kam.registers("2001")
        self.assertEqual(self.gw.stop(), 0)
        # stopping un-REGISTERs
        wait_for(lambda: self.binding("2001") is None, 10, 0.2,
                 "2001 unbound at stop")
        type(self).gw = gwtest.Gateway(self.env, self.cfg, name="gateway2")
        self.gw.start()
        self.gw.proc.wait_log(r"accounts: 1 in ", 5)
        wait_for(lambda: self.binding("2001"), 15, 0.2,
                 "2001 bound again after the restart")
        self.assertGreater(self.kam.registers("2001"), before)

    def test_17_9_online_follows_presence(self):
        wait_for(lambda: self.binding("2001"), 15, 0.2, "2001 bound")
        # a client that reconnects within offline_grace_s: the binding
        # stays, nothing is un-REGISTERed
        contact = self.binding("2001")
        unreg = r"registration of sip:2001@\S+: \S+ -> unregistering"
        before = len(re.findall(unreg, self.gw.log()))
        self.alice.send_raw("<presence type='unavailable'/>")
        time.sleep(1.0)
        self.alice.send_raw("<presence/>")
        end = time.monotonic() + self.GRACE_S + 2
        while time.monotonic() < end:
            self.assertEqual(self.binding("2001"), contact,
                             "bound throughout a reconnect in the grace")
            time.sleep(0.2)
        self.assertEqual(len(re.findall(unreg, self.gw.log())), before,
                         "no un-REGISTER for a reconnect in the grace")
        # away for longer: still bound during the grace, then unbound
        self.alice.send_raw("<presence type='unavailable'/>")
        time.sleep(self.GRACE_S / 2)
        self.assertIsNotNone(self.binding("2001"), "bound in the grace")
        wait_for(lambda: self.binding("2001") is None, self.GRACE_S + 10,
                 0.2, "2001 unbound when she stays offline")
        self.alice.send_raw("<presence/>")
        wait_for(lambda: self.binding("2001"), 10, 0.2,
                 "2001 bound again when she is back")


class AccountsHa1(AccountsWorld):
    """17.10-17.12: passwords kept as HA1 ([accounts] realm), accounts
    registered always, paced."""

    @classmethod
    def start_world(cls):
        env = cls.env
        env.prosody = gwtest.Prosody(env).start()
        cls.kam = Registrar(env).start()
        cls.db = os.path.join(env.root, "accounts.sqlite")
        cls.cfg = gwtest.default_gateway_config(
            env, env.prosody, free_port(udp_too=True),
            accounts__enabled="true",
            accounts__registrar=f"sip:{HOST}:{cls.kam.port}",
            accounts__realm=PBX_DOMAIN,
            accounts__database=cls.db,
            accounts__allow=XMPP_DOMAIN,
            accounts__register_when="always",
            accounts__register_rate=2)
        cls.gw = gwtest.Gateway(env, cls.cfg).start()
        cls.alice = gwtest.XmppClient(env, "alice").connect()
        cls.bob = gwtest.XmppClient(env, "bob").connect()

    binding = Accounts.binding

    def test_17_10_ha1(self):
        r = register(self.alice, "2001", PASSWORD)
        self.assertEqual(r.get("type"), "result")
        r = register(self.bob, "2002", SUBSCRIBERS["2002"])
        self.assertEqual(r.get("type"), "result")
        wait_for(lambda: self.binding("2001") and self.binding("2002"), 10,
                 0.2, "2001 and 2002 bound")
        ha1 = hashlib.md5(f"2001:{PBX_DOMAIN}:{PASSWORD}".encode()).hexdigest()
        out = subprocess.run(["sqlite3", self.db, "SELECT secret_kind, "
                              "CAST(secret AS TEXT), realm FROM accounts "
                              "WHERE username = '2001'"],
                             capture_output=True, text=True).stdout.strip()
        self.assertEqual(out, f"2|{ha1}|{PBX_DOMAIN}")
        for suffix in ("", "-wal"):
            if os.path.exists(self.db + suffix):
                with open(self.db + suffix, "rb") as f:
                    self.assertNotIn(PASSWORD.encode(), f.read())
        self.assertNotIn(PASSWORD, self.gw.log())

    def assert_paced(self, change):
        """The two accounts' registrations made `change` (a state change
        in the gateway's log) at least 0.4 s apart (register_rate = 2)."""
        seen = re.findall(r"(\d\d):(\d\d):(\d\d\.\d+) gw-sip DEBUG: "
                          r"registration of sip:200[12]@\S+: " + change,
                          self.gw.log())
        self.assertEqual(len(seen), 2, seen)
        t = [int(h) * 3600 + int(m) * 60 + float(sec) for h, m, sec in seen]
        self.assertGreaterEqual(abs(t[1] - t[0]), 0.4, t)

    def test_17_11_always_paced_after_restart(self):
        wait_for(lambda: self.binding("2001") and self.binding("2002"), 10,
                 0.2, "2001 and 2002 bound")
        self.assertEqual(self.gw.stop(), 0)
        self.assertIsNone(self.binding("2001"))
        self.assertIsNone(self.binding("2002"))
        self.assert_paced(r"\S+ -> unregistering: stop")
        for c in (self.alice, self.bob):
            c.send_raw("<presence type='unavailable'/>")
        type(self).gw = gwtest.Gateway(self.env, self.cfg, name="gateway2")
        self.gw.start()
        wait_for(lambda: self.binding("2001") and self.binding("2002"), 10,
                 0.2, "2001 and 2002 bound again, nobody online")
        self.assert_paced(r"idle -> registering: start")
        for c in (self.alice, self.bob):
            c.send_raw("<presence/>")

    def test_17_12_other_realm_refused(self):
        self.bob.send_raw("<presence/>")
        time.sleep(0.5)
        self.bob.drain()
        # a gateway whose HA1s are for another realm than the registrar's
        env = self.env
        cfg = gwtest.default_gateway_config(
            env, env.prosody, free_port(udp_too=True),
            xmpp__component_domain="sip2.localhost",
            accounts__enabled="true",
            accounts__registrar=f"sip:{HOST}:{self.kam.port}",
            accounts__realm="other.realm",
            accounts__database=os.path.join(env.root, "other.sqlite"),
            accounts__allow=XMPP_DOMAIN)
        # Prosody serves one component: this gateway takes its place
        self.assertEqual(self.gw.stop(), 0)
        gw = gwtest.Gateway(env, dict(cfg, xmpp=dict(
            cfg["xmpp"], component_domain=COMPONENT)), name="gateway3")
        gw.start()
        try:
            r = register(self.bob, "2002", SUBSCRIBERS["2002"])
            self.assertEqual(r.get("type"), "result")
            m = self.bob.wait(lambda s: s.tag == "message" and body_of(s),
                              what="refusal message")
            self.assertIn("other.realm", body_of(m))
            time.sleep(3)
            self.assertEqual([s for s in self.bob.drain()
                              if s.tag == "message" and body_of(s)], [])
        finally:
            self.assertEqual(gw.stop(), 0)


class AccountsKeyFile(unittest.TestCase):
    """17.13 a key file open to others is refused at start-up."""

    def test_17_13_key_file_mode(self):
        env = gwtest.Env("AccountsKeyFile")
        try:
            env.prosody = gwtest.Prosody(env).start()
            key = write_key(env, 0o644)
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                accounts__enabled="true",
                accounts__registrar=f"sip:{HOST}:5060",
                accounts__key_file=key,
                accounts__database=os.path.join(env.root, "a.sqlite"),
                accounts__allow=XMPP_DOMAIN)
            gw = gwtest.Gateway(env, cfg).start(wait_xmpp=False)
            wait_for(lambda: not gw.proc.alive(), 10, 0.1, "gateway exit")
            self.assertNotEqual(gw.proc.p.returncode, 0)
            self.assertIn(key, gw.log())
            self.assertIn("chmod 600", gw.log())
        finally:
            env.close()


class AccountsInput(unittest.TestCase):
    """17.14 data forms and malformed input."""

    def test_17_14_forms_and_bad_input(self):
        env = gwtest.Env("AccountsInput")
        try:
            env.prosody = gwtest.Prosody(env).start()
            kam = Registrar(env).start()
            cfg = gwtest.default_gateway_config(
                env, env.prosody, free_port(udp_too=True),
                accounts__enabled="true",
                accounts__registrar=f"sip:{HOST}:{kam.port}",
                accounts__realm=PBX_DOMAIN,
                accounts__database=os.path.join(env.root, "a.sqlite"),
                accounts__allow=XMPP_DOMAIN,
                log__stanzas="false", log__level="message")
            gw = gwtest.Gateway(env, cfg).start()
            alice = gwtest.XmppClient(env, "alice").connect()
            form = ("<x xmlns='jabber:x:data' type='submit'>"
                    "<field var='FORM_TYPE'><value>jabber:iq:register</value>"
                    "</field><field var='username'><value>2001</value></field>"
                    f"<field var='password'><value>{PASSWORD}</value></field>"
                    "</x>")
            r = iq(alice, f"<query xmlns='{NS_REG}'>{form}</query>")
            self.assertEqual(r.get("type"), "result", ET_str(r))
            wait_for(lambda: "2001" in kam.locations(), 10, 0.2, "2001 bound")
            bad = [
                f"<query xmlns='{NS_REG}'><username>20<b>0</b>1</username>"
                "<password>x</password></query>",
                f"<query xmlns='{NS_REG}'>" + "<junk/>" * 500 + "</query>",
                f"<query xmlns='{NS_REG}'><username/><password/></query>",
                f"<query xmlns='{NS_REG}'><username>{'9' * 70}</username>"
                "<password>x</password></query>",
            ]
            for b in bad:
                r = iq(alice, b)
                self.assertEqual(r.get("type"), "error", b[:80])
            # results and errors need no answer and change nothing
            alice.send_raw(f"<iq type='result' id='x1' to='{COMPONENT}'>"
                           f"<query xmlns='{NS_REG}'><remove/></query></iq>")
            alice.send_raw(f"<iq type='error' id='x2' to='{COMPONENT}'>"
                           f"<query xmlns='{NS_REG}'><remove/></query></iq>")
            # a burst: each answered, the registrar not flooded
            for i in range(2000):
                alice.send_raw(f"<iq type='get' id='b{i}' to='{COMPONENT}'>"
                               f"<query xmlns='{NS_REG}'/></iq>")
            alice.wait(lambda s: s.get("id") == "b1999", 20,
                       what="the last answer of the burst")
            r = iq(alice, f"<query xmlns='{NS_REG}'/>", "get")
            q = r.find(f"{{{NS_REG}}}query")
            self.assertIsNotNone(q.find(f"{{{NS_REG}}}registered"))
            self.assertTrue(gw.proc.alive())
            # a crash right after her answer loses nothing (synchronous=FULL)
            r = register(alice, "2002", SUBSCRIBERS["2002"])
            self.assertEqual(r.get("type"), "result")
            gw.proc.stop(signal.SIGKILL)
            out = subprocess.run(
                ["sqlite3", os.path.join(env.root, "a.sqlite"),
                 "PRAGMA integrity_check; SELECT username FROM accounts "
                 "WHERE jid = 'alice@localhost'"],
                capture_output=True, text=True).stdout.split()
            self.assertEqual(out, ["ok", "2002"])
        finally:
            env.close()


def ET_str(el):
    import xml.etree.ElementTree as ET
    return ET.tostring(el, "unicode")[:300]


if __name__ == "__main__":
    gwtest.main()
