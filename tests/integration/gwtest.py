"""Integration test harness: real peers on loopback.

Starts Prosody, Kamailio, SIPp and the gateway as child processes with
generated configurations in a private temporary directory, on ports picked
free at run time, and stops each by the PID it started. XMPP users are
slixmpp clients running in a background asyncio thread.

Run with Debian's /usr/bin/python3 (python3-slixmpp is installed there).
"""

import asyncio
import atexit
import glob
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
import xml.etree.ElementTree as ET

HOST = "127.0.0.1"
COMPONENT = "sip.localhost"
XMPP_DOMAIN = "localhost"
GW_SIP_DOMAIN = "gw.localhost"      # XMPP users' SIP identities
PBX_DOMAIN = "pbx.localhost"        # SIP users: 1001@sip.localhost
SECRET = "component-secret-for-tests"
USERS = {"alice": "alicepw", "bob": "bobpw", "carol": "carolpw"}

NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_RECEIPTS = "urn:xmpp:receipts"
NS_CHATSTATES = "http://jabber.org/protocol/chatstates"


def build_dir():
    return os.environ.get("GW_BUILD_DIR", os.path.join(
        os.path.dirname(__file__), "..", "..", "build"))


def gateway_binary():
    return os.environ.get("GW_BINARY", os.path.join(
        build_dir(), "gateway", "xmpp-sip-gateway"))


_handed_out = set()
_port_rng = random.Random()


def free_port(udp_too=False):
    """A port free for TCP (and UDP when asked) on HOST, taken at random
    below the kernel's ephemeral range (ip_local_port_range, 32768-60999
    here). A port from bind(0) is an ephemeral one: between our check and
    the server's bind, any outgoing connection on the machine (a parallel
    test's client, or wait_tcp's own connect, which can self-connect to
    a port nobody listens on yet) may take it as its source port, and
    the server then fails to listen (baresip went on without its control
    port, a 10 s timeout in CI). Ports below the range are only ever
    taken by an explicit bind. A port stays ours for the process's life
    (never handed out twice), and +40 above it stays below the range for
    baresip's RTP port range. rtpengine takes its ranges from 30000 up
    (RtpEngine below)."""
    for _ in range(500):
        port = _port_rng.randrange(10000, 29900)
        if port in _handed_out:
            continue
        socks = [(socket.SOCK_STREAM, socket.socket(socket.AF_INET,
                                                    socket.SOCK_STREAM))]
        if udp_too:
            socks.append((socket.SOCK_DGRAM, socket.socket(
                socket.AF_INET, socket.SOCK_DGRAM)))
        ok = True
        for _kind, sock in socks:
            try:
                sock.bind((HOST, port))
            except OSError:
                ok = False
        for _kind, sock in socks:
            sock.close()
        if ok:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port")


def wait_for(pred, timeout=10.0, step=0.02, what="condition"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise AssertionError("timed out waiting for " + what)


def wait_tcp(port, timeout=10.0, host=HOST):
    def up():
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            return False
    wait_for(up, timeout, 0.05, "TCP port %d" % port)


class Proc:
    """A child process started by the tests and stopped by its PID."""

    def __init__(self, name, argv, workdir, env=None):
        self.name = name
        self.log_path = os.path.join(workdir, name + ".log")
        self.logf = open(self.log_path, "ab")
        self.p = subprocess.Popen(argv, stdout=self.logf,
                                  stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, cwd=workdir,
                                  env=env, start_new_session=True)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        if self.p.poll() is None:
            try:
                os.kill(self.pid, sig)
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
            except ProcessLookupError:
                pass
        self.logf.close()
        return self.p.returncode

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=10.0, count=1):
        rx = re.compile(pattern)
        return wait_for(lambda: len(rx.findall(self.log())) >= count,
                        timeout, 0.05, "%s log /%s/" % (self.name, pattern))


def prosody_config(d, c2s_port, component_port, component, secret,
                   log_level="info", extra="", modules=(), disabled=()):
    """prosody.cfg.lua for a Prosody in directory d on HOST: plain c2s with
    PLAIN auth, the component, no s2s/TLS, rate limits out of the way.
    extra: more global lines (before the hosts); modules: more modules to
    enable; disabled: more to disable, e.g. "offline", which Prosody 0.12
    loads by itself (core/modulemanager.lua autoload_modules): without
    it, a chat message to a user with no available resource bounces with
    service-unavailable instead of being stored."""
    more = "".join(f' "{m}";' for m in modules)
    less = "".join(f' "{m}";' for m in disabled)
    return f"""
run_as_root = true
daemonize = false
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
certificates = "{d}/certs"
log = {{ {{ levels = {{ min = "{log_level}" }}, to = "file", filename = "{d}/prosody-file.log" }} }}
c2s_ports = {{ {c2s_port} }}
c2s_interfaces = {{ "{HOST}" }}
s2s_ports = {{ }}
component_ports = {{ {component_port} }}
component_interfaces = {{ "{HOST}" }}
http_ports = {{ }}
https_ports = {{ }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
limits = {{ c2s = {{ rate = "100mb/s" }}, component = {{ rate = "100mb/s" }} }}
{extra}
modules_enabled = {{ "roster"; "saslauth"; "disco"; "ping"; "presence"; "posix";{more} }}
modules_disabled = {{ "s2s"; "tls";{less} }}
VirtualHost "{XMPP_DOMAIN}"
Component "{component}"
  component_secret = "{secret}"
"""


class Prosody:
    def __init__(self, env, secret=SECRET, component=COMPONENT, users=USERS,
                 modules=(), disabled=(), log_level="info"):
        self.env = env
        self.log_level = os.environ.get("GW_PROSODY_LOG_LEVEL", log_level)
        self.modules = tuple(modules)
        self.disabled = tuple(disabled)
        self.dir = env.subdir("prosody")
        self.c2s = free_port()
        self.component_port = free_port()
        self.secret = secret
        self.component = component
        self.cfg = os.path.join(self.dir, "prosody.cfg.lua")
        self.proc = None
        self.write_config()
        for user, pw in users.items():
            subprocess.run(["prosodyctl", "--config", self.cfg, "register",
                            user, XMPP_DOMAIN, pw], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    def write_config(self):
        d = self.dir
        with open(self.cfg, "w") as f:
            f.write(prosody_config(d, self.c2s, self.component_port,
                                   self.component, self.secret,
                                   log_level=self.log_level,
                                   modules=self.modules,
                                   disabled=self.disabled))
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        os.makedirs(os.path.join(d, "certs"), exist_ok=True)

    def start(self):
        self.proc = Proc("prosody", ["prosody", "-F", "--config", self.cfg],
                         self.dir)
        self.env.procs.append(self.proc)
        wait_tcp(self.c2s)
        wait_tcp(self.component_port)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def log_path(self):
        return os.path.join(self.dir, "prosody-file.log")


class Kamailio:
    """Kamailio as registrar (digest with a fixed password) and proxy."""

    def __init__(self, env, gw_sip_port=None, password="gwpass",
                 presence=False, record_route=False, name="kamailio",
                 host=HOST, hold_subscribe_2xx=0.0):
        self.env = env
        # another loopback address (127.0.0.2 ...) for a second PBX that
        # must be told apart from the first by its source address
        self.host = host
        self.presence = presence
        # stay in the path of dialogs (Record-Route): in-dialog requests
        # both ways then come through Kamailio too; an in-dialog NOTIFY is
        # record-routed as well (RFC 6665 4.1.2.4: a NOTIFY that reaches
        # the subscriber before the SUBSCRIBE's 2xx creates the dialog, with
        # its route set; Kamailio's default kamailio.cfg does the same)
        self.record_route = record_route
        # seconds a worker holds a 2xx to SUBSCRIBE before relaying it: the
        # first NOTIFY, relayed by the other worker, then reaches the
        # subscriber first (what two workers do now and then under load)
        self.hold_subscribe_2xx = hold_subscribe_2xx
        self.dir = env.subdir(name)
        self.port = free_port(udp_too=True)
        self.password = password
        self.gw_sip_port = gw_sip_port
        self.cfg = os.path.join(self.dir, "kamailio.cfg")
        self.proc = None

    def write_config(self):
        mods = "/usr/lib/x86_64-linux-gnu/kamailio/modules/"
        pres_mods = pres_route = ""
        pres_indialog = "t_relay(); exit;"
        if self.presence:
            pres_mods = f"""loadmodule "presence.so"
loadmodule "presence_xml.so"
modparam("presence", "subs_db_mode", 0)
modparam("presence", "publ_cache", 2)
modparam("presence", "server_address", "sip:{HOST}:{self.port}")
modparam("presence_xml", "force_active", 1)
modparam("presence_xml", "integrated_xcap_server", 1)"""
            pres_route = """    if (is_method("PUBLISH|SUBSCRIBE")) {
        if (!t_newtran()) { sl_reply_error(); exit; }
        if (is_method("PUBLISH")) handle_publish(); else handle_subscribe();
        t_release();
        exit;
    }"""
            pres_indialog = """if (is_method("SUBSCRIBE")) { if (!t_newtran()) { sl_reply_error(); exit; } handle_subscribe(); t_release(); exit; }"""
        hold = ""
        if self.hold_subscribe_2xx:
            hold = ("onreply_route {\n    if ($rm == \"SUBSCRIBE\" && "
                    "$rs =~ \"^2\") usleep(%d);\n}\n"
                    % int(self.hold_subscribe_2xx * 1e6))
        with open(self.cfg, "w") as f:
            f.write(f"""#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
auto_aliases=no
alias="{GW_SIP_DOMAIN}"
alias="{PBX_DOMAIN}"
mpath="{mods}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "cfgutils.so"
{pres_mods}
modparam("usrloc", "db_mode", 0)
request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (is_method("SUBSCRIBE|NOTIFY|INVITE|BYE")) xlog("L_NOTICE", "$rm $ru from-tag=$ft to-tag=$tt expires=$hdr(Expires)\\n");
    # a Route pointing at us (the gateway's presence-server route) is ours
    if (!has_totag()) remove_hf("Route");
    if (has_totag()) {{
        if (is_method("SUBSCRIBE|NOTIFY") && uri==myself) {{ {pres_indialog} }}
        {'if (loose_route() && is_method("NOTIFY")) record_route();' if self.record_route else "loose_route();"}
        t_relay();
        exit;
    }}
{pres_route}
    if (is_method("REGISTER")) {{
        if (!pv_www_authenticate("$td", "{self.password}", "0")) {{
            www_challenge("$td", "0");
            exit;
        }}
        if (!save("location")) sl_reply_error();
        xlog("L_NOTICE", "REGISTERED $tu\\n");
        exit;
    }}
    if (is_method("OPTIONS") && uri==myself && $rU==$null) {{ sl_send_reply("200", "OK"); exit; }}
    # requests for XMPP users go to the gateway's registered contact
    if ($rd == "{GW_SIP_DOMAIN}") {{
        $ru = "sip:gateway@{GW_SIP_DOMAIN}";
        if (!lookup("location")) {{ sl_send_reply("404", "Gateway Not Registered"); exit; }}
    }}
    {"record_route();" if self.record_route else ""}
    if (!t_relay()) sl_reply_error();
}}
{hold}""")

    def start(self):
        self.write_config()
        self.proc = Proc("kamailio", [
            "kamailio", "-DD", "-E", "-f", self.cfg, "-m", "256", "-M", "16",
            "-Y", self.dir, "-P", os.path.join(self.dir, "kamailio.pid"),
            "-l", f"udp:{self.host}:{self.port}",
            "-l", f"tcp:{self.host}:{self.port}"],
            self.dir)
        self.env.procs.append(self.proc)
        wait_tcp(self.port, host=self.host)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None


class Rtpengine:
    """rtpengine in userspace mode (notes/peers.md), ng on a free port."""

    def __init__(self, env):
        self.env = env
        self.dir = env.subdir("rtpengine")
        self.port = free_port(udp_too=True)
        base = random.randrange(30000, 39000, 200)
        self.port_min, self.port_max = base, base + 199
        self.proc = None

    def start(self):
        if shutil.which("rtpengine") is None:
            raise unittest.SkipTest("rtpengine is not installed")
        self.proc = Proc("rtpengine", [
            "rtpengine", "--config-file=none", "--foreground", "--log-stderr",
            "--table=-1", f"--interface={HOST}",
            f"--listen-ng={HOST}:{self.port}",
            f"--port-min={self.port_min}", f"--port-max={self.port_max}",
            "--log-level=7"], self.dir)
        self.env.procs.append(self.proc)
        # answers "d6:result4:ponge" once it listens
        def up():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.2)
            try:
                s.sendto(b"c1 d7:command4:pinge", (HOST, self.port))
                return b"pong" in s.recv(200)
            except OSError:
                return False
            finally:
                s.close()
        wait_for(up, 10, 0.1, "rtpengine")
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def address(self):
        return f"{HOST}:{self.port}"


def default_gateway_config(env, prosody, sip_port, **over):
    """The gateway config as {group: {key: value}}; `over` as group_key."""
    cfg = {
        "xmpp": {
            "server": HOST, "port": prosody.component_port,
            "component_domain": COMPONENT, "secret": prosody.secret,
            "reconnect_min_ms": 100, "reconnect_max_ms": 1000,
        },
        "sip": {
            "listen": f"sip:{HOST}:{sip_port}",
            "domain": GW_SIP_DOMAIN,
            "transaction_timeout_ms": 3000,
        },
        "mapping": {
            "sip_domain": PBX_DOMAIN,
            "rules": f"*@{XMPP_DOMAIN} = sip:*@{GW_SIP_DOMAIN}",
            "default_country_code": "1", "international_prefix": "011",
        },
        "security": {
            "allow_messages": f"alice@{XMPP_DOMAIN} *;carol@{XMPP_DOMAIN} 1*",
            "trusted_sip_sources": "127.0.0.1",
            "xmpp_rate": 100000, "xmpp_burst": 100000,
            "sip_rate": 100000, "sip_burst": 100000,
            "trusted_sip_rate": 100000, "trusted_sip_burst": 100000,
        },
        "limits": {"max_message_bytes": 65536},
        "media": {"relay": "none"},
        "log": {"level": "debug", "stanzas": "true"},
    }
    for k, v in over.items():
        group, key = k.split("__", 1)
        if v is None:
            cfg.setdefault(group, {}).pop(key, None)
        else:
            cfg.setdefault(group, {})[key] = v
    return cfg


def write_keyfile(path, cfg):
    with open(path, "w") as f:
        for group, keys in cfg.items():
            f.write(f"[{group}]\n")
            for k, v in keys.items():
                if isinstance(v, bool):
                    v = "true" if v else "false"
                f.write(f"{k} = {v}\n")
            f.write("\n")


class Gateway:
    def __init__(self, env, cfg, name="gateway"):
        self.env = env
        self.cfg = cfg
        self.name = name
        self.dir = env.subdir(name)
        self.path = os.path.join(self.dir, "gateway.conf")
        self.proc = None
        sip = cfg["sip"]["listen"]
        self.sip_port = int(sip.rsplit(":", 1)[1].split(";")[0])
        write_keyfile(self.path, cfg)

    def start(self, wait_xmpp=True, extra_env=None):
        env = dict(os.environ, G_MESSAGES_DEBUG="", **(extra_env or {}))
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = Proc(self.name, [gateway_binary(), "--config", self.path],
                         self.dir, env)
        self.env.procs.append(self.proc)
        if wait_xmpp:
            self.proc.wait_log(r"XMPP link up", 10)
        return self

    def stop(self):
        rc = None
        if self.proc is not None:
            rc = self.proc.stop()
        return rc

    def log(self):
        return self.proc.log() if self.proc else ""


class Sipp:
    """Runs one SIPp scenario (generated text) to completion."""

    def __init__(self, env):
        self.env = env
        self.dir = env.subdir("sipp")
        self.n = 0

    def start(self, scenario, remote=None, port=None, local_ip=HOST,
              transport="u1", calls=1, timeout=15, extra=(),
              encoding="utf-8"):
        self.n += 1
        base = os.path.join(self.dir, "s%03d" % self.n)
        path = base + ".xml"
        if encoding != "utf-8":
            scenario = scenario.replace('encoding="UTF-8"',
                                        f'encoding="{encoding.upper()}"')
        with open(path, "w", encoding=encoding) as f:
            f.write(scenario)
        port = port or free_port(udp_too=True)
        argv = ["sipp", "-sf", path, "-i", local_ip, "-p", str(port),
                "-t", transport, "-m", str(calls), "-nostdin",
                "-timeout", f"{timeout}s", "-timeout_error",
                "-trace_msg", "-message_file", base + ".msgs",
                "-trace_err", "-error_file", base + ".errors",
                "-bg" if False else "-nd"]
        argv += list(extra)
        if remote:
            argv.append(remote)
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, cwd=self.dir,
                             start_new_session=True)
        run = SippRun(p, port, base)
        self.env.sipps.append(run)
        return run


class SippRun:
    def __init__(self, p, port, base):
        self.p = p
        self.port = port
        self.base = base

    def wait(self, timeout=30):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait(5)
            raise AssertionError("sipp did not finish")

    def messages(self):
        try:
            with open(self.base + ".msgs", "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def errors(self):
        try:
            with open(self.base + ".errors", "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()


def assert_digest(test, msgs, method, nonce, header="Authorization",
                  user="gwuser", realm="pbx.localhost",
                  password="s3cret-pw"):
    """Checks the digest (RFC 2617, MD5, qop=auth) that the gateway put in
    `header` of its `method` request, found in SIPp's message log: the
    user, the uri (the Request-URI) and the response recomputed here."""
    m = re.search(r"(?m)^%s (\S+) SIP/2.0(?:(?!^%s ).)*?^%s: Digest (.*?)"
                  r"\r?$" % (method, method, header), msgs, re.S | re.M)
    test.assertIsNotNone(m, msgs)
    ruri = m.group(1)
    p = dict(re.findall(r'(\w+)="?([^",]*)"?', m.group(2)))
    test.assertEqual(p["username"], user)
    test.assertEqual(p["uri"], ruri)

    def md5(x):
        return hashlib.md5(x.encode()).hexdigest()
    ha1 = md5(f"{user}:{realm}:{password}")
    ha2 = md5(f"{method}:{ruri}")
    test.assertEqual(p["response"],
                     md5(f"{ha1}:{nonce}:{p['nc']}:{p['cnonce']}:auth:{ha2}"))


def sipp_ok(send_attrs="", status="200 OK", to_tag="", headers=(), sdp=None):
    """SIPp scenario step: answer the last request (200 OK by default: an
    in-dialog INFO, BYE, CANCEL, NOTIFY ...), without a body, or with
    `sdp` and our Contact (an answer to an INVITE). send_attrs: e.g.
    ' next="2"'; to_tag: our tag for a dialog-creating answer; headers:
    more header lines (SIPp keywords allowed)."""
    more = "".join(f"      {h}\n" for h in headers)
    tag = f";tag={to_tag}" if to_tag else ""
    if sdp is None:
        return f"""
  <send{send_attrs}><![CDATA[
      SIP/2.0 {status}
      [last_Via:]
      [last_From:]
      [last_To:]{tag}
      [last_Call-ID:]
      [last_CSeq:]
{more}      Content-Length: 0

  ]]></send>
"""
    return f"""
  <send{send_attrs}><![CDATA[
      SIP/2.0 {status}
      [last_Via:]
      [last_From:]
      [last_To:]{tag}
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port]>
{more}      Content-Type: application/sdp
      Content-Length: [len]

{sdp}]]></send>
"""


def sipp_uas_message(status=200, reason="OK", count=1):
    """Receives `count` MESSAGEs and answers each with status."""
    steps = ""
    for _ in range(count):
        steps += '\n  <recv request="MESSAGE" />' + sipp_ok(
            status=f"{status} {reason}",
            to_tag="[pid]SIPpTag01[call_number]")
    return f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="uas message">{steps}
</scenario>
"""


def sipp_uac_message(to_user="alice", to_domain=GW_SIP_DOMAIN,
                     from_uri=f"sip:1001@{PBX_DOMAIN}", body="hello",
                     content_type="text/plain;charset=UTF-8", expect=200,
                     extra_headers="", raw_body=None):
    """Sends one MESSAGE to the remote (the gateway), expects `expect`."""
    payload = raw_body if raw_body is not None else body
    if len(payload) > 1000 and "\n" not in payload:
        # SIPp cannot load very long scenario lines: wrap (CRLF on the wire)
        payload = "\n".join(payload[i:i + 100]
                            for i in range(0, len(payload), 100))
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="uac message">
  <send retrans="500">
    <![CDATA[
      MESSAGE sip:{to_user}@{to_domain} SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Desk 1001" <{from_uri}>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{to_user}@{to_domain}>
      Call-ID: [call_id]
      CSeq: 1 MESSAGE
      Max-Forwards: 70
      Content-Type: {content_type}
      {extra_headers}Content-Length: [len]

{payload}]]>
  </send>
  <recv response="{expect}" />
</scenario>
"""


class XmppClient:
    """A slixmpp client in its own thread; stanzas it receives queue up."""

    def __init__(self, env, user, password=None, resource="test"):
        import slixmpp  # noqa: E402 (only integration runs need it)
        self.env = env
        self.jid = f"{user}@{XMPP_DOMAIN}/{resource}"
        self.bare = f"{user}@{XMPP_DOMAIN}"
        self.password = password or USERS[user]
        self.inbox = queue.Queue()
        self.ready = threading.Event()
        self.failed = None
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._slixmpp = slixmpp

    def _run(self):
        asyncio.set_event_loop(self.loop)
        x = self._slixmpp.ClientXMPP(self.jid, self.password)
        self.x = x
        x.register_plugin("xep_0030")
        # subscription answers are the tests' to give, not the library's
        x.auto_authorize = None
        x.auto_subscribe = False
        x.add_event_handler("session_start", self._session_start)
        x.add_event_handler("failed_auth",
                            lambda e: self._fail("authentication failed"))
        from slixmpp.xmlstream.handler import Callback
        from slixmpp.xmlstream.matcher import MatchXPath
        for name in ("message", "presence", "iq"):
            x.register_handler(Callback(
                "test " + name, MatchXPath("{%s}%s" % (NS_CLIENT, name)),
                self._on_stanza))
        x["feature_mechanisms"].unencrypted_plain = True
        x.enable_plaintext = True
        x.connect((HOST, self.env.prosody.c2s), disable_starttls=True,
                  force_starttls=False, use_ssl=False)
        self.loop.run_forever()

    def _fail(self, why):
        self.failed = why
        self.ready.set()

    async def _session_start(self, event):
        # like real clients: the roster first (Prosody routes subscription
        # stanzas and roster pushes only to resources that asked for it)
        try:
            await self.x.get_roster(timeout=5)
        except Exception:
            pass
        self.x.send_presence()
        self.ready.set()

    def _on_stanza(self, stanza):
        # elements of the stream's default namespace compare by plain name
        el = ET.fromstring(str(stanza))
        for e in el.iter():
            if e.tag.startswith("{%s}" % NS_CLIENT):
                e.tag = e.tag.split("}", 1)[1]
        self.inbox.put(el)

    def connect(self, timeout=10):
        self.thread.start()
        if not self.ready.wait(timeout) or self.failed:
            raise AssertionError(f"{self.jid} could not log in: "
                                 f"{self.failed or 'timeout'}")
        self.env.clients.append(self)
        return self

    def send_raw(self, xml):
        self.loop.call_soon_threadsafe(self.x.send_raw, xml)

    def send_message(self, to, body, mid=None, receipt=False, extra=""):
        mid = mid or "m%d" % int(time.monotonic() * 1e6)
        esc = (body.replace("&", "&amp;").replace("<", "&lt;")
               .replace(">", "&gt;"))
        req = f"<request xmlns='{NS_RECEIPTS}'/>" if receipt else ""
        self.send_raw(f"<message type='chat' to='{to}' id='{mid}'>"
                      f"<body>{esc}</body>{req}{extra}</message>")
        return mid

    def wait(self, pred=lambda s: True, timeout=10.0, what="stanza"):
        """The first queued stanza matching pred (others stay queued)."""
        end = time.monotonic() + timeout
        held = []
        try:
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.jid}: no {what} in "
                                         f"{timeout} s; got "
                                         + "; ".join(ET.tostring(h, "unicode")[:200] for h in held))
                try:
                    s = self.inbox.get(timeout=left)
                except queue.Empty:
                    continue
                if pred(s):
                    return s
                held.append(s)
        finally:
            for h in held:
                self.inbox.put(h)

    def drain(self):
        """Empties the inbox; what was in it."""
        got = []
        while True:
            try:
                got.append(self.inbox.get_nowait())
            except queue.Empty:
                return got

    def close(self):
        def finish(_=None):
            for t in asyncio.all_tasks(self.loop):
                t.cancel()
            self.loop.call_later(0.05, self.loop.stop)

        def stop():
            try:
                fut = self.x.disconnect(wait=0.2)
                fut.add_done_callback(finish)
            except Exception:
                finish()
        if not self.thread.is_alive():
            return
        self.loop.call_soon_threadsafe(stop)
        self.thread.join(3)


def q(tag, ns=None):
    return tag if ns is None else "{%s}%s" % (ns, tag)


def body_of(stanza):
    b = stanza.find(q("body"))
    return b.text if b is not None else None


def error_condition(stanza):
    e = stanza.find(q("error"))
    if e is None:
        return None, None
    for c in e:
        if c.tag.startswith("{" + NS_STANZAS + "}") and not c.tag.endswith("}text"):
            return c.tag.split("}")[1], e.get("type")
    return None, e.get("type")


class Env:
    """One test class's world: a temp dir and everything started in it.
    What an Env started is stopped when the test program ends even if
    nothing closed it (a setUpClass that failed half-way in a class that
    builds its own Env): no server outlives its test file."""

    def __init__(self, name):
        self.root = tempfile.mkdtemp(prefix=f"gwtest-{name}-")
        self.procs = []
        self.sipps = []
        self.clients = []
        self.prosody = None
        _envs.append(self)

    def subdir(self, name):
        d = os.path.join(self.root, name)
        os.makedirs(d, exist_ok=True)
        return d

    def close(self, keep=False):
        for c in self.clients:
            c.close()
        for s in self.sipps:
            s.stop()
        for p in reversed(self.procs):
            if p.alive():
                p.stop()
        if not keep and not os.environ.get("GW_KEEP_TMP"):
            shutil.rmtree(self.root, ignore_errors=True)


_envs = []


@atexit.register
def _close_envs():
    """Stops what every Env started (close() again finds nothing running
    for the ones closed already); keeps their dirs: a class that ended
    cleanly removed its own."""
    for env in reversed(_envs):
        try:
            env.close(keep=True)
        except Exception as e:  # noqa: BLE001 - the others still close
            print(f"gwtest: closing {env.root}: {e}")


class GatewayTestCase(unittest.TestCase):
    """Starts Prosody and a gateway once per class."""

    gateway_overrides = {}
    sip_listen_host = HOST  # "[::1]": the gateway listens on IPv6
    prosody_modules = ()   # more Prosody modules (prosody_config())
    prosody_disabled = ()  # Prosody modules to disable
    prosody_log_level = "info"  # "debug" logs each stanza it routes

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(gateway_binary()):
            raise unittest.SkipTest("gateway binary not built: "
                                    + gateway_binary())
        cls.env = Env(cls.__name__)
        # what setUpClass started is stopped even when it fails (unittest
        # runs class cleanups then, not tearDownClass); after tearDownClass
        # this finds nothing running (keep: tearDownClass decides the dir)
        cls.addClassCleanup(cls.env.close, keep=True)
        cls.env.prosody = Prosody(cls.env, modules=cls.prosody_modules,
                                  disabled=cls.prosody_disabled,
                                  log_level=cls.prosody_log_level).start()
        cls.sip_port = free_port(udp_too=True)
        cfg = default_gateway_config(cls.env, cls.env.prosody, cls.sip_port,
                                     **cls.gateway_overrides)
        if cls.sip_listen_host != HOST:
            cfg["sip"]["listen"] = f"sip:{cls.sip_listen_host}:{cls.sip_port}"
        cls.gw = Gateway(cls.env, cfg).start()
        cls.sipp = Sipp(cls.env)

    @classmethod
    def tearDownClass(cls):
        failed = False
        if getattr(cls, "gw", None) and cls.gw.proc and cls.gw.proc.alive():
            rc = cls.gw.stop()
            failed = rc != 0
            if failed:
                print(f"gateway exited with {rc}; log:\n" + cls.gw.log()[-4000:])
        cls.env.close(keep=failed)
        if failed:
            raise AssertionError(f"gateway did not stop cleanly (exit {rc})")

    def gw_target(self):
        return f"{HOST}:{self.sip_port}"


def main():
    """unittest main with a closing 'N passed, N failed' line."""
    import sys
    loader = unittest.TestLoader()
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    if names:
        suite = loader.loadTestsFromNames(names, sys.modules["__main__"])
    else:
        suite = loader.loadTestsFromModule(sys.modules["__main__"])
    runner = unittest.TextTestRunner(verbosity=2)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if failed == 0 else 1)


class Baresip:
    """baresip 1.0, headless: registered at Kamailio, plays a WAV (aufile),
    records both directions (sndfile), driven over ctrl_tcp (netstring
    JSON: commands, answers and UA events)."""

    def __init__(self, env, user, registrar_port, wav, password="gwpass",
                 video=False, trace=False):
        """video: VP8 both ways, fakevideo as camera (a test picture) and
        as display (counts the decoded frames: video_debug); its jitter
        buffer (audio and video alike in baresip 1.0) holds 4 packets
        before it plays: with 1, a packet of the browser's first keyframe
        that came after its successor (reordered through rtpengine under
        load) was dropped as late and, with no keyframe request reaching
        the browser, nothing was ever shown (18.20, once). trace: every
        SIP message baresip sends and receives goes to its log (-s)."""
        self.trace = trace
        self.env = env
        self.dir = env.subdir("baresip" + ("-video" if video else ""))
        self.rec_dir = os.path.join(self.dir, "rec")
        os.makedirs(self.rec_dir, exist_ok=True)
        self.user = user
        self.sip_port = free_port(udp_too=True)
        self.ctrl_port = free_port()
        rtp = free_port(udp_too=True)
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write(f"""poll_method epoll
sip_listen {HOST}:{self.sip_port}
net_interface {HOST}
call_local_timeout 30
call_max_calls 2
audio_player alsa,null
audio_alert alsa,null
audio_source aufile,{wav}
audio_buffer 20-160
rtp_ports {rtp}-{rtp + 40}
rtcp_mux no
jitter_buffer_delay {"4-20" if video else "1-10"}
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module alsa.so
module sndfile.so
module_tmp account.so
module_app menu.so
module_app ctrl_tcp.so
ctrl_tcp_listen {HOST}:{self.ctrl_port}
snd_path {self.rec_dir}
""")
            if video:
                f.write("""module vp8.so
module fakevideo.so
video_source fakevideo,nil
video_display fakevideo,nil
video_size 320x240
video_bitrate 300000
video_fps 15
""")
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(f"<sip:{user}@{PBX_DOMAIN}>;auth_user={user};"
                    f"auth_pass={password};"
                    f"outbound=\"sip:{HOST}:{registrar_port};transport=udp\";"
                    f"regint=600;answermode=auto;"
                    f"audio_codecs=PCMU,PCMA"
                    + (";video_codecs=VP8" if video else "") + "\n")
        with open(os.path.join(self.dir, "contacts"), "w") as f:
            f.write("")
        self.proc = None
        self.sock = None
        self.events = []
        self.answers = {}
        self.cond = threading.Condition()
        self.token = 0

    def start(self):
        self.proc = Proc("baresip", ["baresip", "-f", self.dir]
                         + (["-s"] if self.trace else []), self.dir)
        self.env.procs.append(self.proc)
        wait_tcp(self.ctrl_port, 10)
        self.sock = socket.create_connection((HOST, self.ctrl_port), 5)
        self.sock.settimeout(None)
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self):
        buf = b""
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                break
            buf += data
            while True:
                colon = buf.find(b":")
                if colon < 0:
                    break
                n = int(buf[:colon])
                if len(buf) < colon + 1 + n + 1:
                    break
                msg = json.loads(buf[colon + 1:colon + 1 + n])
                buf = buf[colon + 1 + n + 1:]
                with self.cond:
                    if msg.get("event"):
                        self.events.append(msg)
                    elif msg.get("response"):
                        self.answers[msg.get("token")] = msg
                    self.cond.notify_all()

    def command(self, cmd, params="", timeout=5):
        with self.cond:
            self.token += 1
            tok = str(self.token)
        body = json.dumps({"command": cmd, "params": params,
                           "token": tok}).encode()
        self.sock.sendall(b"%d:%s," % (len(body), body))
        with self.cond:
            if not self.cond.wait_for(lambda: tok in self.answers, timeout):
                raise AssertionError(f"baresip: no answer to {cmd}")
            a = self.answers.pop(tok)
        if not a.get("ok"):
            raise AssertionError(f"baresip: {cmd} {params}: {a}")
        return a

    def wait_event(self, etype, timeout=10, since=0):
        with self.cond:
            ok = self.cond.wait_for(
                lambda: any(e.get("type") == etype
                            for e in self.events[since:]), timeout)
            if not ok:
                raise AssertionError(
                    f"baresip: no {etype} in {timeout} s; events: "
                    + ", ".join(e.get("type", "?") for e in self.events))
            return next(e for e in self.events[since:]
                        if e.get("type") == etype)

    def event_types(self, since=0):
        with self.cond:
            return [e.get("type") for e in self.events[since:]]

    def dtmf_digits(self, since=0):
        with self.cond:
            return "".join(e.get("param", "") for e in self.events[since:]
                           if e.get("type") == "CALL_DTMF_START")

    def recordings(self):
        return sorted(glob.glob(os.path.join(self.rec_dir, "*.wav")),
                      key=os.path.getmtime)

    def stop(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        if self.proc is not None:
            self.proc.stop()


class ComponentRelay:
    """A TCP relay between the gateway and the XMPP server's component port
    that can hold either direction (what arrives is kept, not forwarded,
    until released), cut every connection (open ones shut, new ones closed
    at once until restore(): the component link goes down while the server
    and its c2s sessions stay up, as in a network blip) and tells what the
    gateway has written so far. Threads are daemons; close() shuts every
    socket it opened."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((HOST, 0))
        self.lsock.listen(8)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.blocked = False
        self.conns = []
        self.flowing = {"up": threading.Event(), "down": threading.Event()}
        for e in self.flowing.values():
            e.set()
        self.from_gateway = bytearray()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            with self.lock:
                blocked = self.blocked
            if blocked:
                c.close()
                continue
            try:
                u = socket.create_connection((HOST, self.upstream), timeout=2)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            pair = {"socks": (c, u), "dead": False}
            with self.lock:
                self.conns.append(pair)
            threading.Thread(target=self._pump, args=(pair, c, u, "up"),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(pair, u, c, "down"),
                             daemon=True).start()

    def _pump(self, pair, src, dst, direction):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if direction == "up":
                    with self.lock:
                        self.from_gateway += data
                while not self.flowing[direction].wait(0.05):
                    if pair["dead"]:
                        return
                if pair["dead"]:
                    return
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hold(self, direction):
        """'up': gateway -> Prosody; 'down': Prosody -> gateway."""
        self.flowing[direction].clear()

    def release(self, direction):
        self.flowing[direction].set()

    def written(self, text):
        with self.lock:
            return text.encode() in self.from_gateway

    def cut(self):
        with self.lock:
            self.blocked = True
            conns, self.conns = self.conns, []
        for pair in conns:
            pair["dead"] = True
            for s in pair["socks"]:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def restore(self):
        for e in self.flowing.values():
            e.set()
        with self.lock:
            self.blocked = False

    def close(self):
        self.cut()
        try:
            self.lsock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsock.close()


def sip_request(method, ruri, lport, to=None, from_uri=None, body="",
                content_type="text/plain", extra="", to_tag=None,
                call_id=None, cseq=1, source=HOST, contact=True, via=None):
    """A SIP request as bytes, exactly as given (no checks). via: the Via
    after "SIP/2.0/UDP " (default: source:lport, a fresh branch, rport)."""
    data = body.encode()
    to = to or ruri
    from_uri = from_uri or f"sip:1001@{PBX_DOMAIN}"
    call_id = call_id or uuid.uuid4().hex
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    lines = [
        f"{method} {ruri} SIP/2.0",
        f"Via: SIP/2.0/UDP {via or f'{source}:{lport};branch={branch};rport'}",
        f"From: <{from_uri}>;tag=t{uuid.uuid4().hex[:8]}",
        f"To: <{to}>" + (f";tag={to_tag}" if to_tag else ""),
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        "Max-Forwards: 70",
    ]
    if contact:
        lines.append(f"Contact: <sip:1001@{source}:{lport}>")
    if extra:
        lines += extra.strip("\r\n").split("\r\n")
    if data:
        lines.append(f"Content-Type: {content_type}")
    lines.append(f"Content-Length: {len(data)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


class RawSip:
    """A UDP socket speaking SIP by hand (bound to `source`)."""

    def __init__(self, source=HOST):
        self.source = source
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]

    def send(self, data, dest):
        self.sock.sendto(data, dest)

    def final(self, data, dest, timeout=5):
        """Sends a request; its final answer (text)."""
        self.send(data, dest)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.sock.settimeout(max(0.05, end - time.monotonic()))
            try:
                text = self.sock.recv(65536).decode("utf-8", "replace")
            except socket.timeout:
                break
            m = re.match(r"SIP/2.0 (\d+)", text)
            if m and int(m.group(1)) >= 200:
                return text
        raise AssertionError("no final answer")

    def close(self):
        self.sock.close()


def status_of(answer):
    return int(answer.split(" ", 2)[1])


def header(answer, name):
    m = re.search(r"(?mi)^%s:\s*(.*?)\r?$" % re.escape(name), answer)
    return m.group(1) if m else None


def to_tag(answer):
    """The tag of a SIP message's To header, or None."""
    m = re.search(r"(?m)^To:.*;tag=([^;\r]+)", answer)
    return m.group(1) if m else None
