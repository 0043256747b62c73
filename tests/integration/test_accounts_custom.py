#!/usr/bin/python3
"""Issue 17: a registrar of her own ([accounts] allow_custom_registrar).
Cases are numbered 17.40 on.

Real peers: Prosody with slixmpp clients; two Kamailio 5.6 registrars
with auth_db over db_text, each its own PBX: #1 on 127.0.0.1 for
pbx.localhost (the configured [accounts] registrar; 2001, 2002), #2 on
127.0.0.2 for pbx2.localhost (3001), also a proxy that authenticates what
goes to its desk 1002 (proxy_authorize, "AUTH-OK <method> from=<$fU>
au=<$au>") before a SIPp UAS gets it. The gateway trusts no SIP source by
configuration: only registrars' addresses for their accounts. Its list
allows 127.0.0.2 at #2's port, and pbx*.example.com.

- 17.40 the XEP-0077 get offers a data form (FORM_TYPE jabber:iq:register)
  with username, password (text-private), registrar and domain; the
  instructions name the allowed registrars.
- 17.41 refusals, nothing stored and nothing sent: a registrar outside the
  list (127.0.0.3, and 127.0.0.2 at another port: UDP sockets listening
  there get no datagram) is not-allowed; one that does not read as a
  registrar (a user part, port 99999) is bad-request; a domain of her own
  at the default registrar, or the operator's domain at hers, is
  not-allowed.
- 17.42 alice registers 2001 at the default (legacy fields): #1 has her
  binding. bob registers 3001 at #2 through the form: #2's location table
  has his binding, #1 never hears of 3001; his get shows <registered/>,
  and the form his registrar and domain, no password.
- 17.43 a MESSAGE from SIPp through #2 to sip:3001@pbx2.localhost reaches
  bob, from 1001@component (pbx2's 1001: the component's extensions are
  his PBX's).
- 17.44 bob messages 1002@component: it leaves through #2 to
  sip:1002@pbx2.localhost From sip:3001@pbx2.localhost, #2's challenge
  answered with his credentials (AUTH-OK MESSAGE from=3001 au=3001); #1
  sees nothing of it.
- 17.45 trust: from #2's address, a request to bob's Contact is taken
  (he gets it); to alice's Contact, to bob's AOR rather than his
  Contact, or to an XMPP user with bob's Contact as its To, it is
  refused (403).
- 17.46 a restart un-REGISTERs bob at #2 and registers him there again.
- 17.47 the database began at schema 1 (written here, with carol's
  account, as the gateway before this key wrote it): it is at schema 3
  with registrar and refused columns, and carol's 2002 (register_when =
  always) is registered at #1.
- 17.48 [accounts] realm without key_file cannot allow custom registrars:
  --check-config refuses it, naming key_file.
- 17.49 the operator takes #2 off the list and restarts: bob is told once
  that his registrar is no longer allowed, and #2 gets no REGISTER from
  the gateway any more; alice stays registered at #1.
- 17.50 a refusal is kept: carol registers 2002 with a wrong password and
  is told once; after a restart #1 gets no REGISTER for 2002 and she is
  not told again; registering with the right password registers her.
"""

import hashlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import gwtest  # noqa: E402
import test_accounts  # noqa: E402
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST, PBX_DOMAIN,  # noqa: E402
                    XMPP_DOMAIN, body_of, error_condition, free_port,
                    wait_for)
from test_accounts import (NS_REG, PASSWORD, approve_component,  # noqa: E402
                           iq, register)
from test_accounts_traffic import Pbx  # noqa: E402

NS_DATA = "jabber:x:data"
HOST2 = "127.0.0.2"           # the second PBX
TRAP = "127.0.0.3"            # a registrar nobody allowed
PBX2_DOMAIN = "pbx2.localhost"
BOB_PASSWORD = "Bq9-pbx2-secret"
CAROL_HA1 = hashlib.md5(f"2002:{PBX_DOMAIN}:other".encode()).hexdigest()

SCHEMA_1 = f"""
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1);
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY, jid TEXT NOT NULL UNIQUE,
  username TEXT NOT NULL, domain TEXT NOT NULL,
  contact TEXT NOT NULL UNIQUE, secret_kind INTEGER NOT NULL,
  secret BLOB NOT NULL, realm TEXT, register_when TEXT,
  created INTEGER NOT NULL, UNIQUE (username, domain));
INSERT INTO accounts (jid, username, domain, contact, secret_kind, secret,
  realm, register_when, created) VALUES ('carol@{XMPP_DOMAIN}', '2002',
  '{PBX_DOMAIN}', 'acc-00c0ffee00c0ffee', 2, X'{CAROL_HA1.encode().hex()}',
  '{PBX_DOMAIN}', 'always', 1700000000);
"""


def form(fields):
    """A submitted XEP-0077 data form (XEP-0004) with these fields."""
    inner = f"<field var='FORM_TYPE'><value>{NS_REG}</value></field>"
    for var, value in fields.items():
        inner += f"<field var='{var}'><value>{value}</value></field>"
    return (f"<query xmlns='{NS_REG}'><x xmlns='{NS_DATA}' type='submit'>"
            f"{inner}</x></query>")


def fields_of(answer):
    """The form of a get's answer: {var: (type, value)}, or None."""
    x = answer.find(f"{{{NS_REG}}}query/{{{NS_DATA}}}x")
    if x is None:
        return None
    return {f.get("var"): (f.get("type"), f.findtext(f"{{{NS_DATA}}}value"))
            for f in x.findall(f"{{{NS_DATA}}}field")}


class Trap:
    """A UDP socket where no datagram may arrive."""

    def __init__(self, host):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]

    def got(self, wait=2.0):
        self.sock.settimeout(wait)
        try:
            return self.sock.recv(65536)
        except socket.timeout:
            return None

    def close(self):
        self.sock.close()


class AccountsCustom(test_accounts.AccountsWorld):

    @classmethod
    def start_world(cls):
        env = cls.env
        env.prosody = gwtest.Prosody(env).start()
        cls.kam1 = test_accounts.Registrar(env).start()
        cls.uas_port = free_port(udp_too=True)
        cls.kam2 = Pbx(env, cls.uas_port, name="kamailio2", host=HOST2,
                       domain=PBX2_DOMAIN,
                       subscribers={"3001": BOB_PASSWORD}).start()
        key = test_accounts.write_key(env)
        cls.db = os.path.join(env.root, "accounts.sqlite")
        with sqlite3.connect(cls.db) as db:
            db.executescript(SCHEMA_1)
        os.chmod(cls.db, 0o600)
        cls.registrar2 = f"sip:{HOST2}:{cls.kam2.port}"
        cls.cfg = gwtest.default_gateway_config(
            env, env.prosody, free_port(udp_too=True),
            security__trusted_sip_sources="192.0.2.1",
            security__allow_messages=f"bob@{XMPP_DOMAIN} *",
            accounts__enabled="true",
            accounts__registrar=f"sip:{HOST}:{cls.kam1.port}",
            accounts__domain=PBX_DOMAIN,
            accounts__key_file=key,
            accounts__database=cls.db,
            accounts__allow=f"alice@{XMPP_DOMAIN};bob@{XMPP_DOMAIN};"
                            f"carol@{XMPP_DOMAIN}",
            accounts__allow_custom_registrar=f"{HOST2}:{cls.kam2.port};"
                                             "pbx*.example.com",
            accounts__register_expires=120)
        cls.gw = gwtest.Gateway(env, cls.cfg).start()
        cls.sipp = gwtest.Sipp(env)
        cls.alice = gwtest.XmppClient(env, "alice").connect()
        cls.bob = gwtest.XmppClient(env, "bob").connect()
        cls.carol = gwtest.XmppClient(env, "carol").connect()

    def setUp(self):
        self.alice.drain()
        self.bob.drain()
        self.carol.drain()

    def binding(self, kam, user):
        return kam.binding(user)

    def register_bob(self):
        return iq(self.bob, form({"username": "3001",
                                  "password": BOB_PASSWORD,
                                  "registrar": self.registrar2,
                                  "domain": PBX2_DOMAIN}))

    def auth_ok(self, method, user):
        return re.findall(r"AUTH-OK %s from=%s au=%s " % (method, user, user),
                          self.kam2.proc.log())

    def test_17_40_form(self):
        r = iq(self.bob, f"<query xmlns='{NS_REG}'/>", "get")
        self.assertEqual(r.get("type"), "result")
        f = fields_of(r)
        self.assertIsNotNone(f, "no data form")
        self.assertEqual(f["FORM_TYPE"], ("hidden", NS_REG))
        self.assertEqual(f["username"][0], "text-single")
        self.assertEqual(f["password"], ("text-private", None))
        self.assertEqual(f["registrar"][0], "text-single")
        self.assertEqual(f["domain"][0], "text-single")
        text = r.findtext(f"{{{NS_REG}}}query/{{{NS_DATA}}}x/"
                          f"{{{NS_DATA}}}instructions")
        self.assertIn(f"{HOST2}:{self.kam2.port}", text)
        self.assertIn("pbx*.example.com", text)
        # legacy clients still see the plain fields
        q = r.find(f"{{{NS_REG}}}query")
        self.assertIsNotNone(q.find(f"{{{NS_REG}}}username"))

    def test_17_41_refusals_send_nothing(self):
        traps = [Trap(TRAP), Trap(HOST2)]
        try:
            for t, host in zip(traps, (TRAP, HOST2)):
                r = iq(self.bob, form({
                    "username": "3001", "password": BOB_PASSWORD,
                    "registrar": f"sip:{host}:{t.port}",
                    "domain": PBX2_DOMAIN}))
                self.assertEqual(error_condition(r), ("not-allowed",
                                                      "cancel"), host)
            for t in traps:
                self.assertIsNone(t.got(), "a datagram reached a registrar "
                                           "nobody allowed")
        finally:
            for t in traps:
                t.close()
        for bad in (f"sip:3001@{HOST2}:{self.kam2.port}", f"{HOST2}:99999",
                    "pbx 2"):
            r = iq(self.bob, form({"username": "3001",
                                   "password": BOB_PASSWORD,
                                   "registrar": bad}))
            self.assertEqual(error_condition(r)[0], "bad-request", bad)
        r = iq(self.bob, form({"username": "3001", "password": BOB_PASSWORD,
                               "domain": PBX2_DOMAIN}))
        self.assertEqual(error_condition(r)[0], "not-allowed")
        # the operator's domain at a registrar of his own: he would take
        # over what the operator's PBX sends to that AOR
        r = iq(self.bob, form({"username": "2003", "password": BOB_PASSWORD,
                               "registrar": self.registrar2,
                               "domain": PBX_DOMAIN}))
        self.assertEqual(error_condition(r)[0], "not-allowed")
        r = iq(self.bob, f"<query xmlns='{NS_REG}'/>", "get")
        self.assertIsNone(r.find(f"{{{NS_REG}}}query/{{{NS_REG}}}registered"))
        self.assertTrue(self.gw.proc.alive())

    def test_17_42_two_registrars(self):
        r = register(self.alice, "2001", PASSWORD)
        self.assertEqual(r.get("type"), "result", r)
        approve_component(self.alice)
        r = self.register_bob()
        self.assertEqual(r.get("type"), "result", r)
        approve_component(self.bob)
        wait_for(lambda: self.binding(self.kam1, "2001"), 10, 0.2,
                 "2001 at the default registrar")
        contact = wait_for(lambda: self.binding(self.kam2, "3001"), 10, 0.2,
                           "3001 at bob's registrar")
        self.assertIn(f"@{HOST}:{self.gw.sip_port}", contact)
        self.assertNotIn("3001", self.kam1.proc.log())
        self.assertEqual(self.kam2.registers("2001"), 0)
        r = iq(self.bob, f"<query xmlns='{NS_REG}'/>", "get")
        q = r.find(f"{{{NS_REG}}}query")
        self.assertIsNotNone(q.find(f"{{{NS_REG}}}registered"))
        self.assertEqual(q.findtext(f"{{{NS_REG}}}username"), "3001")
        f = fields_of(r)
        self.assertEqual(f["registrar"][1], self.registrar2)
        self.assertEqual(f["domain"][1], PBX2_DOMAIN)
        self.assertEqual(f["username"][1], "3001")
        self.assertIsNone(f["password"][1])
        self.assertNotIn(BOB_PASSWORD, gwtest.ET.tostring(r).decode())
        self.assertNotIn(BOB_PASSWORD, self.gw.log())

    def test_17_43_message_to_his_aor(self):
        uac = self.sipp.start(gwtest.sipp_uac_message(
            to_user="3001", to_domain=PBX2_DOMAIN,
            from_uri=f"sip:1001@{PBX2_DOMAIN}", body="hello 3001"),
            remote=f"{HOST2}:{self.kam2.port}")
        m = self.bob.wait(lambda s: s.tag == "message" and
                          body_of(s) == "hello 3001", what="the message")
        self.assertEqual(m.get("from").split("/")[0], f"1001@{COMPONENT}")
        self.assertEqual(uac.wait(), 0, uac.errors())
        self.assertIn("TO-CONTACT MESSAGE sip:acc-", self.kam2.proc.log())

    def test_17_44_message_leaves_through_his_registrar(self):
        before = len(self.auth_ok("MESSAGE", "3001"))
        uas = self.sipp.start(gwtest.sipp_uas_message(), port=self.uas_port,
                              timeout=30)
        time.sleep(0.3)
        self.bob.send_message(f"1002@{COMPONENT}", "to pbx2's desk")
        self.assertEqual(uas.wait(), 0, uas.errors())
        msgs = uas.messages()
        self.assertRegex(msgs, r"From: <sip:3001@%s>" %
                         re.escape(PBX2_DOMAIN))
        self.assertRegex(msgs, r"MESSAGE sip:1002@%s" %
                         re.escape(PBX2_DOMAIN))
        self.assertIn("to pbx2's desk", msgs)
        self.assertEqual(len(self.auth_ok("MESSAGE", "3001")), before + 1)
        self.assertNotIn("1002", self.kam1.proc.log())
        self.assertNotIn(BOB_PASSWORD, self.gw.log())

    def contact_user(self, kam, user):
        c = wait_for(lambda: self.binding(kam, user), 10, 0.2, user)
        return re.match(r"sip:(acc-[0-9a-f]+)@", c).group(1)

    def test_17_45_trust_of_his_registrar(self):
        bob_c = self.contact_user(self.kam2, "3001")
        alice_c = self.contact_user(self.kam1, "2001")
        gw = (HOST, self.gw.sip_port)
        raw = gwtest.RawSip(source=HOST2)
        try:
            def send(ruri, body, to=None):
                return gwtest.status_of(raw.final(gwtest.sip_request(
                    "MESSAGE", ruri, raw.port, body=body, to=to,
                    from_uri=f"sip:1001@{PBX2_DOMAIN}", source=HOST2), gw))
            self.assertEqual(send(f"sip:{alice_c}@{HOST}:{gw[1]}",
                                  "to alice's contact"), 403)
            self.assertEqual(send(f"sip:3001@{PBX2_DOMAIN}", "to bob's aor"),
                             403)
            self.assertEqual(send(f"sip:alice@{GW_SIP_DOMAIN}",
                                  "to alice via bob's contact",
                                  to=f"sip:{bob_c}@{HOST}:{gw[1]}"), 403)
            self.assertEqual(send(f"sip:{bob_c}@{HOST}:{gw[1]}",
                                  "to bob's contact",
                                  to=f"sip:3001@{PBX2_DOMAIN}"), 200)
        finally:
            raw.close()
        self.bob.wait(lambda s: body_of(s) == "to bob's contact",
                      what="the message to his contact")
        time.sleep(0.3)
        got = [body_of(s) for s in self.alice.drain() + self.bob.drain()]
        self.assertNotIn("to alice's contact", got)
        self.assertNotIn("to bob's aor", got)
        self.assertNotIn("to alice via bob's contact", got)

    def test_17_46_restart_reregisters_at_his_registrar(self):
        self.contact_user(self.kam2, "3001")
        self.assertEqual(self.gw.stop(), 0)
        wait_for(lambda: self.binding(self.kam2, "3001") is None, 10, 0.2,
                 "3001's binding gone at stop")
        self.gw.start()
        wait_for(lambda: self.binding(self.kam2, "3001"), 15, 0.2,
                 "3001 registered again at #2")

    def test_17_47_migrated_from_schema_1(self):
        with sqlite3.connect(self.db) as db:
            self.assertEqual(db.execute(
                "SELECT version FROM schema_version").fetchone()[0], 3)
            cols = [r[1] for r in db.execute("PRAGMA table_info(accounts)")]
            self.assertIn("registrar", cols)
            self.assertIn("refused", cols)
            row = db.execute("SELECT username, registrar FROM accounts "
                             f"WHERE jid = 'carol@{XMPP_DOMAIN}'").fetchone()
        self.assertEqual(row, ("2002", None))
        wait_for(lambda: self.binding(self.kam1, "2002"), 10, 0.2,
                 "carol's 2002 registered from the migrated database")

    def test_17_48_ha1_mode_refuses_custom_registrars(self):
        cfg = gwtest.default_gateway_config(
            self.env, self.env.prosody, free_port(),
            accounts__enabled="true",
            accounts__registrar=f"sip:{HOST}:{self.kam1.port}",
            accounts__realm=PBX_DOMAIN,
            accounts__allow_custom_registrar="pbx*.example.com")
        path = os.path.join(self.env.root, "ha1.conf")
        gwtest.write_keyfile(path, cfg)
        r = subprocess.run([gwtest.gateway_binary(), "--check-config",
                            "--config", path], capture_output=True,
                           text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertIn("[accounts] allow_custom_registrar: needs key_file",
                      r.stdout + r.stderr)

    def test_17_49_registrar_no_longer_allowed(self):
        self.contact_user(self.kam2, "3001")
        self.assertEqual(self.gw.stop(), 0)
        wait_for(lambda: self.binding(self.kam2, "3001") is None, 10, 0.2,
                 "3001's binding gone at stop")
        before = self.kam2.registers("3001")
        self.gw.cfg["accounts"]["allow_custom_registrar"] = "pbx*.example.com"
        gwtest.write_keyfile(self.gw.path, self.gw.cfg)
        self.bob.drain()
        self.gw.start()
        m = self.bob.wait(lambda s: s.tag == "message" and
                          "no longer allows" in (body_of(s) or ""),
                          what="told his registrar is not allowed")
        self.assertEqual(m.get("from"), COMPONENT)
        wait_for(lambda: self.binding(self.kam1, "2001"), 15, 0.2,
                 "alice registered again at #1")
        time.sleep(2)
        self.assertEqual(self.kam2.registers("3001"), before)
        self.assertIsNone(self.binding(self.kam2, "3001"))
        self.assertEqual([s for s in self.bob.drain()
                          if "no longer allows" in (body_of(s) or "")], [])

    def test_17_50_refusal_kept_across_restart(self):
        def told(s):
            return s.tag == "message" and s.get("from") == COMPONENT and \
                "refused" in (body_of(s) or "")
        r = register(self.carol, "2002", "wrong-password")
        self.assertEqual(r.get("type"), "result", r)
        m = self.carol.wait(told, what="told of the refusal")
        self.assertIn("401", body_of(m))
        with sqlite3.connect(self.db) as db:
            row = db.execute("SELECT refused FROM accounts WHERE jid = "
                             f"'carol@{XMPP_DOMAIN}'").fetchone()
        self.assertRegex(row[0], r"^401 ")
        self.assertEqual(self.gw.stop(), 0)
        before = self.kam1.registers("2002")
        self.gw.start()
        time.sleep(3)
        self.assertEqual(self.kam1.registers("2002"), before)
        self.assertEqual([s for s in self.carol.drain() if told(s)], [])
        r = register(self.carol, "2002", "other")
        self.assertEqual(r.get("type"), "result", r)
        wait_for(lambda: self.binding(self.kam1, "2002"), 10, 0.2,
                 "2002 registered with the right password")
        with sqlite3.connect(self.db) as db:
            row = db.execute("SELECT refused FROM accounts WHERE jid = "
                             f"'carol@{XMPP_DOMAIN}'").fetchone()
        self.assertIsNone(row[0])


if __name__ == "__main__":
    gwtest.main()
