"""The body of scripts/demo (which installs packages and builds first).

Starts private Prosody and Kamailio instances (and rtpengine, when
installed) on loopback from configs generated in a temporary directory,
starts the gateway between them, serves the WebRTC test client
(tests/integration/webrtc: StanzaJS over Prosody's WebSocket) on
http://127.0.0.1, prints how to chat and call through it, and on
Ctrl-C/SIGTERM stops the gateway (so it un-REGISTERs), then the others,
each by the PID started here.
With --self-test it sends one message each way with scripts/xmpp-chat and
scripts/sip-phone, checks they arrived, stops everything and exits 0/1.

Standard library only; run with /usr/bin/python3.
"""

import argparse
import ctypes
import functools
import glob
import http.server
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
XMPP_DOMAIN = "localhost"
COMPONENT = "sip.localhost"
GW_SIP_DOMAIN = "gw.localhost"      # XMPP users on the SIP side
PBX_DOMAIN = "pbx.localhost"        # SIP users: 1001@sip.localhost
XMPP_USERS = {"alice": "alicepw", "bob": "bobpw"}
SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WEBRTC_SRC = os.path.join(os.path.dirname(SCRIPTS), "tests", "integration",
                          "webrtc")
PYTHON = "/usr/bin/python3"


_out = threading.Lock()


def say(text=""):
    """One write per line: the gateway's log is echoed from a thread."""
    with _out:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def note(text):
    say("demo: " + text)


# ---- ports ----------------------------------------------------------------

def port_free(port, udp=False):
    """Nothing listens on HOST:port (TCP, and UDP when asked)."""
    kinds = [socket.SOCK_STREAM] + ([socket.SOCK_DGRAM] if udp else [])
    for kind in kinds:
        s = socket.socket(socket.AF_INET, kind)
        try:
            if kind == socket.SOCK_STREAM:
                # ignore TIME_WAIT leftovers, not listeners
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((HOST, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


class Ports:
    """Standard ports when free (interactive), else (or always, in the
    self-test) ports the kernel picks."""

    def __init__(self, prefer_standard):
        self.prefer = prefer_standard
        self.taken = set()

    def pick(self, standard, udp=False):
        if self.prefer and standard not in self.taken and \
                port_free(standard, udp):
            self.taken.add(standard)
            return standard
        for _ in range(200):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((HOST, 0))
            port = s.getsockname()[1]
            s.close()
            if port not in self.taken and port_free(port, udp):
                self.taken.add(port)
                return port
        raise RuntimeError("no free port on " + HOST)


# ---- processes --------------------------------------------------------------

_libc = None


def _die_with_parent():
    """In the child: get SIGTERM if the demo itself dies (kill -9)."""
    try:
        _libc.prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except Exception:
        pass


class Proc:
    """A server started here and stopped by its PID."""

    def __init__(self, name, argv, workdir, log_path, echo=False, env=None):
        global _libc
        if _libc is None:
            try:
                _libc = ctypes.CDLL("libc.so.6", use_errno=True)
            except OSError:
                _libc = False
        self.name = name
        self.log_path = log_path
        self.lines = []
        self.cond = threading.Condition()
        self.echo = echo
        self.reader = None
        # own session: the terminal's Ctrl-C reaches the demo only, which
        # then stops the servers in order
        if echo is None:
            out = open(log_path, "ab")
            self.p = subprocess.Popen(argv, cwd=workdir, env=env,
                                      stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT,
                                      start_new_session=True,
                                      preexec_fn=_die_with_parent if _libc
                                      else None)
            out.close()
        else:
            self.p = subprocess.Popen(argv, cwd=workdir, env=env,
                                      stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT,
                                      start_new_session=True,
                                      preexec_fn=_die_with_parent if _libc
                                      else None)
            self.reader = threading.Thread(target=self._read, daemon=True)
            self.reader.start()
        self.pid = self.p.pid

    def _read(self):
        with open(self.log_path, "ab") as log:
            for raw in self.p.stdout:
                log.write(raw)
                log.flush()
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with self.cond:
                    self.lines.append(line)
                    self.cond.notify_all()
                if self.echo:
                    say(f"{self.name} | {line}")

    def alive(self):
        return self.p.poll() is None

    def wait_line(self, pattern, timeout):
        """A log line matching pattern (echoed processes only)."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if rx.search(line):
                        return line
                left = end - time.monotonic()
                if left <= 0 or not self.alive():
                    return None
                self.cond.wait(min(left, 0.2))

    def log_tail(self, n=25):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return ""
        return "\n".join("    " + line for line in lines[-n:])

    def stop(self, timeout):
        """SIGTERM, wait; SIGKILL after timeout. Returns the exit status."""
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                note(f"{self.name} (pid {self.pid}) did not stop in "
                     f"{timeout:g} s: SIGKILL")
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
        if self.reader is not None:
            self.reader.join(2)
        return self.p.returncode


def wait_tcp(port, timeout, proc):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not proc.alive():
            return False
        try:
            with socket.create_connection((HOST, port), timeout=0.3):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def sip_options_ok(port, timeout):
    """Kamailio answers an OPTIONS over UDP."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((HOST, 0))
    lport = s.getsockname()[1]
    branch = "z9hG4bK" + secrets.token_hex(8)
    req = (f"OPTIONS sip:{HOST}:{port} SIP/2.0\r\n"
           f"Via: SIP/2.0/UDP {HOST}:{lport};branch={branch};rport\r\n"
           f"Max-Forwards: 70\r\n"
           f"From: <sip:demo@{HOST}>;tag={secrets.token_hex(4)}\r\n"
           f"To: <sip:{HOST}:{port}>\r\n"
           f"Call-ID: {secrets.token_hex(10)}@{HOST}\r\n"
           f"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            s.sendto(req, (HOST, port))
            s.settimeout(0.3)
            try:
                data, _ = s.recvfrom(4096)
                if data.startswith(b"SIP/2.0 200"):
                    return True
            except socket.timeout:
                pass
        return False
    finally:
        s.close()


# ---- configurations -------------------------------------------------------

def prosody_config(d, c2s, comp, secret, tls, http):
    mods = ["roster", "saslauth", "disco", "ping", "presence", "posix",
            "carbons", "pep", "blocklist", "vcard_legacy", "version", "time",
            "uptime", "private", "csi_simple", "smacks", "websocket"]
    if tls:
        mods.append("tls")
    mods_lua = "; ".join(f'"{m}"' for m in mods)
    return f"""-- Prosody for the xmpp-sip-gateway demo (generated)
run_as_root = true
daemonize = false
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
certificates = "{d}/certs"
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = "{d}/prosody.log" }} }}
c2s_ports = {{ {c2s} }}
c2s_interfaces = {{ "{HOST}" }}
s2s_ports = {{ }}
component_ports = {{ {comp} }}
component_interfaces = {{ "{HOST}" }}
-- WebSocket clients (the browser page): ws://{HOST}:{http}/xmpp-websocket
http_ports = {{ {http} }}
http_interfaces = {{ "{HOST}" }}
https_ports = {{ }}
consider_websocket_secure = true
cross_domain_websocket = true
-- loopback demo: plain connections and PLAIN passwords allowed
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_plain"
storage = "internal"
modules_enabled = {{ {mods_lua} }}
modules_disabled = {{ "s2s"{'' if tls else '; "tls"'} }}

VirtualHost "{XMPP_DOMAIN}"

Component "{COMPONENT}"
    component_secret = "{secret}"
"""


def kamailio_modules():
    for pattern in ("/usr/lib/*/kamailio/modules", "/usr/lib/kamailio/modules",
                    "/usr/local/lib*/kamailio/modules"):
        for d in sorted(glob.glob(pattern)):
            if os.path.exists(os.path.join(d, "tm.so")):
                return d
    raise RuntimeError("Kamailio modules not found (is kamailio installed?)")


def kamailio_config(gw_password):
    return f"""#!KAMAILIO
# Kamailio for the xmpp-sip-gateway demo (generated): registrar for
# {PBX_DOMAIN} (user NNNN, password NNNNpw) and for the gateway
# (gateway@{GW_SIP_DOMAIN}); requests for {GW_SIP_DOMAIN} go to the
# gateway's registered contact, requests for {PBX_DOMAIN} to the user's.
debug=2
log_stderror=yes
fork=yes
children=2
tcp_children=2
auto_aliases=no
alias="{GW_SIP_DOMAIN}"
alias="{PBX_DOMAIN}"
mpath="{kamailio_modules()}"
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
modparam("usrloc", "db_mode", 0)
modparam("usrloc", "use_domain", 1)
# a phone that vanished without un-REGISTERing: fail after 5 s, not 30
modparam("tm", "fr_timer", 5000)

request_route {{
    if (!mf_process_maxfwd_header("10")) {{
        sl_send_reply("483", "Too Many Hops");
        exit;
    }}
    if (is_method("CANCEL")) {{
        if (t_check_trans()) {{ t_relay(); }}
        exit;
    }}
    if (has_totag()) {{
        if (loose_route()) {{ t_relay(); exit; }}
        if (is_method("ACK")) {{
            if (t_check_trans()) {{ t_relay(); }}
            exit;
        }}
        sl_send_reply("404", "Not Here");
        exit;
    }}
    if (is_method("ACK")) {{
        t_check_trans();
        exit;
    }}
    # pre-loaded Route (the gateway's outbound_proxy) points here
    remove_hf("Route");
    if (is_method("REGISTER")) {{
        route(REGISTRAR);
        exit;
    }}
    if (is_method("OPTIONS") && uri == myself && $rU == $null) {{
        sl_send_reply("200", "OK");
        exit;
    }}
    if ($rd == "{GW_SIP_DOMAIN}") {{
        route(TO_GATEWAY);
        exit;
    }}
    if ($rd == "{PBX_DOMAIN}") {{
        if (!lookup("location")) {{
            xlog("L_NOTICE", "$rm from $fu to $tu: not registered, 480\\n");
            sl_send_reply("480", "Not Registered");
            exit;
        }}
        route(RELAY);
        exit;
    }}
    sl_send_reply("404", "Domain Not Served Here");
}}

route[REGISTRAR] {{
    if ($td == "{GW_SIP_DOMAIN}" && $tU == "gateway") {{
        $var(pw) = "{gw_password}";
    }} else if ($td == "{PBX_DOMAIN}" && $tU != $null) {{
        $var(pw) = $_s($tU) + "pw";
    }} else {{
        sl_send_reply("403", "Not Served Here");
        exit;
    }}
    if (!pv_www_authenticate("$td", "$var(pw)", "0")) {{
        www_challenge("$td", "1");
        exit;
    }}
    if ($au != $tU) {{
        sl_send_reply("403", "Auth User Must Be The User");
        exit;
    }}
    consume_credentials();
    if (!save("location")) {{
        sl_reply_error();
        exit;
    }}
    xlog("L_NOTICE", "REGISTER $tu contact $ct\\n");
}}

route[TO_GATEWAY] {{
    # keep the Request-URI (sip:alice@{GW_SIP_DOMAIN}); send it to the
    # contact the gateway registered as gateway@{GW_SIP_DOMAIN}
    $var(ru) = $ru;
    $ru = "sip:gateway@{GW_SIP_DOMAIN}";
    if (!lookup("location")) {{
        xlog("L_NOTICE", "$rm from $fu to $var(ru): gateway not registered, 480\\n");
        sl_send_reply("480", "Gateway Not Registered");
        exit;
    }}
    if ($du == $null) {{
        $du = $ru;
    }}
    $ru = $var(ru);
    route(RELAY);
}}

route[RELAY] {{
    # calls: stay in the path, so that ACK, BYE and re-INVITEs sent
    # through this proxy (the gateway's outbound_proxy) are routed
    if (is_method("INVITE")) {{
        record_route();
    }}
    if ($du != $null) {{
        xlog("L_NOTICE", "relay $rm from $fu to $ru via $du\\n");
    }} else {{
        xlog("L_NOTICE", "relay $rm from $fu to $ru\\n");
    }}
    if (!t_relay()) {{
        sl_reply_error();
    }}
}}
"""


def gateway_config(d, prosody_comp, kam, gw_port, rtpe):
    if rtpe:
        media = f"relay = rtpengine\nrtpengine = {HOST}:{rtpe}"
    else:
        media = "# rtpengine is not installed: texts only\nrelay = none"
    return f"""# xmpp-sip-gateway for the demo (generated)
[xmpp]
server = {HOST}
port = {prosody_comp}
component_domain = {COMPONENT}
secret_file = {d}/component.secret
reconnect_min_ms = 200
reconnect_max_ms = 2000

[sip]
listen = sip:{HOST}:{gw_port}
transports = udp;tcp
domain = {GW_SIP_DOMAIN}
outbound_proxy = sip:{HOST}:{kam};lr
register = true
registrar = sip:{HOST}:{kam}
username = gateway
password_file = {d}/sip.password
register_expires = 600
transaction_timeout_ms = 10000

[mapping]
sip_domain = {PBX_DOMAIN}
rules = *@{XMPP_DOMAIN} = sip:*@{GW_SIP_DOMAIN}

[security]
allow_messages = {XMPP_DOMAIN} *
trusted_sip_sources = {HOST}

[calls]
allow_calls = {XMPP_DOMAIN} *

[media]
{media}

[log]
level = info
"""


def write(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# ---- the demo ---------------------------------------------------------------

class Demo:
    def __init__(self, args):
        self.args = args
        self.root = tempfile.mkdtemp(prefix="xmpp-sip-demo.")
        self.procs = []         # started, in start order
        self.gw = None
        ports = Ports(prefer_standard=not args.self_test)
        self.c2s = ports.pick(5222)
        self.comp = ports.pick(5347)
        self.kam = ports.pick(5060, udp=True)
        self.gwport = ports.pick(5070, udp=True)
        self.http = ports.pick(5280)
        self.page = ports.pick(8080)
        self.rtpe = ports.pick(2223, udp=True) \
            if shutil.which("rtpengine") else None
        self.page_url = None
        self.page_server = None
        self.secret = secrets.token_hex(16)
        self.sip_password = secrets.token_hex(12)
        self.binary = args.gateway_binary or os.environ.get("GW_BINARY") or \
            os.path.join(args.build_dir, "gateway", "xmpp-sip-gateway")

    def fail(self, what, proc=None):
        note("FAILED: " + what)
        if proc is not None:
            note(f"last lines of {proc.log_path}:")
            say(proc.log_tail())
        raise SystemExit(1)

    def start(self):
        if not os.access(self.binary, os.X_OK):
            self.fail(f"no gateway binary at {self.binary} (build first)")
        for tool in ("prosody", "prosodyctl", "kamailio"):
            if shutil.which(tool) is None:
                self.fail(f"{tool} is not installed (run scripts/deps)")
        note(f"files in {self.root}")
        self.start_prosody()
        self.start_kamailio()
        if self.rtpe:
            self.start_rtpengine()
        else:
            note("rtpengine is not installed: texts only, no calls "
                 "(scripts/deps installs rtpengine-daemon)")
        self.start_gateway()
        if not self.args.self_test:
            self.start_page()

    def start_prosody(self):
        d = os.path.join(self.root, "prosody")
        for sub in ("data", "certs"):
            os.makedirs(os.path.join(d, sub))
        tls = self.make_certificate(os.path.join(d, "certs"))
        cfg = os.path.join(d, "prosody.cfg.lua")
        write(cfg, prosody_config(d, self.c2s, self.comp, self.secret, tls,
                                  self.http))
        for user, pw in XMPP_USERS.items():
            r = subprocess.run(["prosodyctl", "--config", cfg, "register",
                                user, XMPP_DOMAIN, pw],
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                self.fail(f"prosodyctl register {user}: "
                          + r.stdout.decode("utf-8", "replace"))
        # Prosody's own log and its standard output share prosody.log
        p = Proc("prosody", ["prosody", "-F", "--config", cfg], d,
                 os.path.join(d, "prosody.log"), echo=None)
        self.procs.append(p)
        if not (wait_tcp(self.c2s, 20, p) and wait_tcp(self.comp, 5, p)):
            self.fail(f"Prosody did not open {HOST}:{self.c2s} and "
                      f"{HOST}:{self.comp}", p)
        note(f"Prosody up (pid {p.pid}): clients {HOST}:{self.c2s}, "
             f"WebSocket {HOST}:{self.http}, component port "
             f"{HOST}:{self.comp}")

    def make_certificate(self, certs):
        """A self-signed certificate so clients may use STARTTLS."""
        if shutil.which("openssl") is None:
            return False
        r = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-days", "30", "-subj", f"/CN={XMPP_DOMAIN}",
             "-addext", f"subjectAltName=DNS:{XMPP_DOMAIN}",
             "-keyout", os.path.join(certs, f"{XMPP_DOMAIN}.key"),
             "-out", os.path.join(certs, f"{XMPP_DOMAIN}.crt")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        return r.returncode == 0

    def start_kamailio(self):
        d = os.path.join(self.root, "kamailio")
        os.makedirs(d)
        cfg = os.path.join(d, "kamailio.cfg")
        write(cfg, kamailio_config(self.sip_password), 0o600)
        p = Proc("kamailio", [
            "kamailio", "-DD", "-E", "-f", cfg, "-m", "64", "-M", "8",
            "-Y", d, "-P", os.path.join(d, "kamailio.pid"),
            "-l", f"udp:{HOST}:{self.kam}", "-l", f"tcp:{HOST}:{self.kam}"],
            d, os.path.join(d, "kamailio.log"), echo=None)
        self.procs.append(p)
        if not (wait_tcp(self.kam, 15, p) and sip_options_ok(self.kam, 10)):
            self.fail(f"Kamailio did not answer on {HOST}:{self.kam}", p)
        note(f"Kamailio up (pid {p.pid}): registrar and proxy "
             f"{HOST}:{self.kam} UDP+TCP")

    def start_rtpengine(self):
        """Userspace rtpengine: ICE + DTLS-SRTP toward the browser, plain
        RTP toward SIP phones."""
        d = os.path.join(self.root, "rtpengine")
        os.makedirs(d)
        p = Proc("rtpengine", [
            "rtpengine", "--config-file=none", "--foreground",
            "--log-stderr", "--table=-1", f"--interface={HOST}",
            f"--listen-ng={HOST}:{self.rtpe}", "--port-min=30000",
            "--port-max=30199"], d, os.path.join(d, "rtpengine.log"),
            echo=None)
        self.procs.append(p)
        end = time.monotonic() + 10
        while time.monotonic() < end and p.alive():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.3)
            try:
                s.sendto(b"d1 d7:command4:pinge", (HOST, self.rtpe))
                if b"pong" in s.recv(200):
                    note(f"rtpengine up (pid {p.pid}): ng {HOST}:{self.rtpe}")
                    return
            except OSError:
                time.sleep(0.1)
            finally:
                s.close()
        self.fail(f"rtpengine did not answer on {HOST}:{self.rtpe}", p)

    def start_page(self):
        """The browser client of tests/integration/webrtc: npm ci and the
        esbuild bundle in the build directory, then served on
        http://HOST:page/ (loopback is a secure context: microphones work)."""
        if shutil.which("npm") is None or not os.path.isdir(WEBRTC_SRC):
            note("npm is missing: no browser page")
            return
        work = os.path.join(self.args.build_dir, "webrtc-client")
        os.makedirs(work, exist_ok=True)
        for f in ("package.json", "package-lock.json", "build.js", "page.js",
                  "index.html"):
            shutil.copyfile(os.path.join(WEBRTC_SRC, f),
                            os.path.join(work, f))
        if not os.path.isdir(os.path.join(work, "node_modules", "stanza")):
            note("installing the browser client's packages (npm ci)")
            r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                                "--loglevel=error"], cwd=work,
                               stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                note("npm ci failed: no browser page\n"
                     + r.stdout.decode("utf-8", "replace")[-2000:])
                return
        site = os.path.join(self.root, "page")
        os.makedirs(site)
        r = subprocess.run(["node", "build.js",
                            os.path.join(site, "bundle.js")], cwd=work,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            note("bundling the browser client failed: no browser page\n"
                 + r.stdout.decode("utf-8", "replace")[-2000:])
            return
        shutil.copyfile(os.path.join(work, "index.html"),
                        os.path.join(site, "index.html"))

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass
        self.page_server = http.server.ThreadingHTTPServer(
            (HOST, self.page), functools.partial(Quiet, directory=site))
        threading.Thread(target=self.page_server.serve_forever,
                         daemon=True).start()
        self.page_url = (f"http://{HOST}:{self.page}/?ws=ws://{HOST}:"
                         f"{self.http}/xmpp-websocket&jid=alice@"
                         f"{XMPP_DOMAIN}&to=1001@{COMPONENT}")
        note(f"browser client served at http://{HOST}:{self.page}/")

    def start_gateway(self):
        d = os.path.join(self.root, "gateway")
        os.makedirs(d)
        write(os.path.join(d, "component.secret"), self.secret + "\n", 0o600)
        write(os.path.join(d, "sip.password"), self.sip_password + "\n",
              0o600)
        cfg = os.path.join(d, "gateway.conf")
        write(cfg, gateway_config(d, self.comp, self.kam, self.gwport,
                                  self.rtpe))
        r = subprocess.run([self.binary, "--config", cfg, "--check-config"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if r.returncode != 0:
            self.fail("the generated gateway configuration was refused:\n"
                      + r.stdout.decode("utf-8", "replace"))
        env = dict(os.environ)
        env.pop("G_MESSAGES_DEBUG", None)
        self.gw = p = Proc("gateway", [self.binary, "--config", cfg], d,
                           os.path.join(d, "gateway.log"),
                           echo=not self.args.self_test, env=env)
        self.procs.append(p)
        if p.wait_line(r"XMPP link up", 15) is None:
            self.fail("the gateway did not connect to Prosody", p)
        if p.wait_line(r"registered gateway@", 15) is None:
            self.fail("the gateway did not register with Kamailio", p)
        note(f"gateway up (pid {p.pid}): component {COMPONENT}, SIP "
             f"{HOST}:{self.gwport}, registered as gateway@{GW_SIP_DOMAIN}")

    def stop(self):
        """Gateway first (it un-REGISTERs), then Kamailio, then Prosody."""
        if self.page_server is not None:
            self.page_server.shutdown()
            self.page_server = None
        codes = {}
        for p in reversed(self.procs):
            codes[p.name] = p.stop(15 if p.name == "gateway" else 10)
        if self.procs:
            note("stopped " + ", ".join(
                f"{p.name} (pid {p.pid}, exit {codes[p.name]})"
                for p in reversed(self.procs)))
        self.procs = []
        return codes

    def cleanup(self, keep):
        if keep:
            note(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    # ---- what to do now ----------------------------------------------

    def tool(self, name):
        path = os.path.join(SCRIPTS, name)
        rel = os.path.relpath(path)
        return rel if not rel.startswith("..") else path

    def phone_cmd(self, extra=""):
        return (f"{self.tool('sip-phone')} --registrar {HOST}:{self.kam} "
                f"--user 1001 --domain {PBX_DOMAIN} --password 1001pw "
                f"--to sip:alice@{GW_SIP_DOMAIN}{extra}")

    def chat_cmd(self, extra=""):
        return (f"{self.tool('xmpp-chat')} --jid alice@{XMPP_DOMAIN} "
                f"--password alicepw --server {HOST}:{self.c2s} "
                f"--to 1001@{COMPONENT}{extra}")

    def howto(self):
        nonstd = []
        for what, port, std in (("XMPP clients", self.c2s, 5222),
                                ("XMPP components", self.comp, 5347),
                                ("SIP registrar", self.kam, 5060),
                                ("gateway SIP", self.gwport, 5070),
                                ("XMPP WebSocket", self.http, 5280),
                                ("browser page", self.page, 8080)):
            if port != std:
                nonstd.append(f"{what} on {port}, not {std} (taken)")
        bar = "=" * 76
        say(f"""
{bar}
 The gateway is running between Prosody and Kamailio, on {HOST} only.
{''.join(' Note: ' + n + chr(10) for n in nonstd)}
 XMPP side   Prosody {HOST}:{self.c2s}, users alice@{XMPP_DOMAIN} / alicepw,
             bob@{XMPP_DOMAIN} / bobpw; SIP user 1001 is 1001@{COMPONENT}
 SIP side    Kamailio {HOST}:{self.kam} (UDP, TCP), domain {PBX_DOMAIN}:
             any user NNNN registers with password NNNNpw;
             XMPP user alice is sip:alice@{GW_SIP_DOMAIN}

 1. A SIP phone, 1001 (second terminal; type a line to send it to alice):
      {self.phone_cmd()}

 2. An XMPP client, alice (third terminal; type a line to send it to 1001):
      {self.chat_cmd()}

 One message each way, from any terminal:
      {self.chat_cmd(" --send 'hello from XMPP'")}
      {self.phone_cmd(" --send 'hello from SIP'")}
    (XMPP -> SIP needs the phone of step 1 running: it must be registered.)

 Or use real clients on this machine:
    XMPP (Gajim, Dino, ...): account alice@{XMPP_DOMAIN}, password alicepw,
      server {HOST} port {self.c2s}; plain connection allowed (or accept the
      self-signed certificate); chat with 1001@{COMPONENT}.
    SIP (Linphone, baresip, ...): user 1001@{PBX_DOMAIN}, password 1001pw,
      proxy/registrar sip:{HOST}:{self.kam}; message sip:alice@{GW_SIP_DOMAIN}.

{self.calls_howto()}
 Logs: {self.root}/{{prosody,kamailio,rtpengine,gateway}}/*.log
 The gateway's log follows below. Ctrl-C stops everything.
{bar}
""")

    def calls_howto(self):
        if not self.rtpe:
            return " Calls: install rtpengine-daemon (scripts/deps).\n"
        page = (f"      {self.page_url}\n" if self.page_url else
                "      (no page: npm or the npm registry was not reachable)\n")
        return f""" Calls (media anchored by rtpengine {HOST}:{self.rtpe}):
    Browser on this machine (WebRTC; JMI + Jingle as Conversations does):
{page}      Log in, then "Call" 1001@{COMPONENT}, or "Answer next call".
      (Chromium: start it with --allow-loopback-in-peer-connection.)
    SIP phone 1001 with audio, e.g. baresip (~/.baresip/accounts):
      <sip:1001@{PBX_DOMAIN}>;auth_pass=1001pw;outbound="sip:{HOST}:{self.kam}"
      then /dial sip:alice@{GW_SIP_DOMAIN}; it rings in the page.
"""

    def wait_for_signal(self):
        stop = threading.Event()
        got = []

        def handler(signum, frame):
            got.append(signum)
            stop.set()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, handler)
        while not stop.wait(0.5):
            for p in self.procs:
                if not p.alive():
                    note(f"{p.name} (pid {p.pid}) exited by itself "
                         f"(status {p.p.returncode}); stopping the rest")
                    say(p.log_tail())
                    return False
        say("")
        note(f"{signal.Signals(got[0]).name}: stopping the gateway, "
             "Kamailio and Prosody")
        # a second Ctrl-C while stopping: no traceback, just go on
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        return True

    # ---- self-test -----------------------------------------------------

    def run_tool(self, argv, timeout):
        r = subprocess.run([PYTHON] + argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        out = r.stdout.decode("utf-8", "replace")
        for line in out.splitlines():
            say(f"    {os.path.basename(argv[0])} | {line}")
        return r.returncode, out

    def start_tool(self, argv, ready_pattern, timeout):
        p = subprocess.Popen([PYTHON] + argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        lines = []
        ready = threading.Event()
        rx = re.compile(ready_pattern)

        def read():
            for raw in p.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                lines.append(line)
                say(f"    {os.path.basename(argv[0])} (bg) | {line}")
                if rx.search(line):
                    ready.set()
            ready.set()
        t = threading.Thread(target=read, daemon=True)
        t.start()
        ok = ready.wait(timeout) and p.poll() is None
        return p, t, lines, ok

    def finish_tool(self, p, t, timeout):
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.terminate()
            rc = p.wait(5)
        t.join(2)
        return rc

    def self_test(self):
        phone = os.path.join(SCRIPTS, "sip-phone")
        chat = os.path.join(SCRIPTS, "xmpp-chat")
        phone_args = ["--registrar", f"{HOST}:{self.kam}", "--user", "1001",
                      "--domain", PBX_DOMAIN, "--password", "1001pw"]
        chat_args = ["--jid", f"alice@{XMPP_DOMAIN}", "--password", "alicepw",
                     "--server", f"{HOST}:{self.c2s}"]
        results = []

        def check(name, ok, detail=""):
            results.append(ok)
            note(("PASS " if ok else "FAIL ") + name +
                 (f": {detail}" if detail and not ok else ""))

        # 1. XMPP -> SIP: phone 1001 registered and waiting
        text1 = "hello SIP from XMPP " + secrets.token_hex(3)
        note("XMPP -> SIP: phone 1001 registers and waits; alice sends")
        p, t, lines, ok = self.start_tool(
            [phone] + phone_args + ["--wait-message", "30"],
            r"registered sip:1001@", 15)
        check("sip-phone registered", ok)
        rc, out = self.run_tool([chat] + chat_args + [
            "--to", f"1001@{COMPONENT}", "--send", text1, "--timeout", "20"],
            40)
        check("xmpp-chat --send got a receipt", rc == 0 and
              "delivered" in out, f"exit {rc}")
        prc = self.finish_tool(p, t, 10)
        check("sip-phone received the message",
              prc == 0 and any(text1 in line and f"alice@{GW_SIP_DOMAIN}"
                               in line for line in lines), f"exit {prc}")
        check("sip-phone un-REGISTERed",
              any("unregistered" in line for line in lines))

        # 2. SIP -> XMPP: alice online and waiting; 1001 sends
        text2 = "hello XMPP from SIP " + secrets.token_hex(3)
        note("SIP -> XMPP: alice logs in and waits; 1001 sends")
        p, t, lines, ok = self.start_tool(
            [chat] + chat_args + ["--wait-message", "30"], r"online as", 15)
        check("xmpp-chat logged in", ok)
        rc, out = self.run_tool([phone] + phone_args + [
            "--to", f"sip:alice@{GW_SIP_DOMAIN}", "--send", text2], 40)
        check("sip-phone --send got 200", rc == 0 and " 200 " in out,
              f"exit {rc}")
        crc = self.finish_tool(p, t, 10)
        check("xmpp-chat received the message",
              crc == 0 and any(text2 in line and f"1001@{COMPONENT}" in line
                               for line in lines), f"exit {crc}")

        # 3. an error reads well: 1002 is not registered
        note("XMPP -> SIP to an unregistered phone: a readable error")
        rc, out = self.run_tool([chat] + chat_args + [
            "--to", f"1002@{COMPONENT}", "--send", "anyone there?",
            "--timeout", "20"], 40)
        check("xmpp-chat --send to 1002 reports recipient-unavailable",
              rc == 1 and "error: recipient-unavailable (SIP 480" in out,
              f"exit {rc}")

        # 4. clean stop; the gateway logged both messages and un-REGISTERed
        gwlog = "\n".join(self.gw.lines)
        check("gateway logged XMPP->SIP", re.search(
            r"XMPP->SIP alice@localhost/\S+ -> sip:1001@pbx\.localhost: 200",
            gwlog) is not None)
        check("gateway logged SIP->XMPP", "SIP->XMPP" in gwlog)
        codes = self.stop()
        gwlog = "\n".join(self.gw.lines)
        check("gateway exited 0", codes.get("gateway") == 0,
              f"exit {codes.get('gateway')}")
        check("gateway un-REGISTERed", re.search(r"unregistered \(200",
                                                 gwlog) is not None)
        ok = all(results)
        note(f"self-test {'passed' if ok else 'FAILED'}: "
             f"{sum(results)}/{len(results)} checks")
        if not ok:
            note("gateway log:")
            say(self.gw.log_tail(40))
        return ok


def interrupted(signum, frame):
    raise KeyboardInterrupt()


def main():
    ap = argparse.ArgumentParser(prog="scripts/demo")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    ap.add_argument("--build-dir", default=os.path.join(
        os.path.dirname(SCRIPTS), "build"))
    ap.add_argument("--gateway-binary")
    args = ap.parse_args()

    demo = Demo(args)
    ok = False
    try:
        # SIGTERM during start-up or the self-test: like Ctrl-C, stop
        # what was started
        signal.signal(signal.SIGTERM, interrupted)
        demo.start()
        if args.self_test:
            ok = demo.self_test()
        else:
            demo.howto()
            ok = demo.wait_for_signal()
    except KeyboardInterrupt:
        say("")
        note("interrupted: stopping")
    except SystemExit:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        codes = demo.stop()
        if codes.get("gateway") not in (None, 0):
            ok = False
        demo.cleanup(args.keep or (args.self_test and not ok))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
