#!/usr/bin/python3
"""Issue 7: a real WebRTC XMPP client calls a real SIP phone through the
gateway, with audio both ways. Cases are numbered 7.x.

  Chromium (headless, Debian's) running StanzaJS      baresip (headless)
  fake capture: 440 Hz WAV                            aufile: 1000 Hz WAV
        | WebSocket (JMI + Jingle)                          | SIP
     Prosody --component-- gateway --SIP (REGISTER)-- Kamailio (registrar)
                              | ng
                          rtpengine: ICE + DTLS-SRTP <-> plain RTP/AVP

Everything runs in a network namespace that has only `lo` (the test
re-executes itself under `unshare -n` when it can), so Chromium gathers
loopback candidates only and no packet leaves the machine. The JavaScript
client (tests/integration/webrtc/) is installed with `npm ci` from the
package-lock.json and bundled with esbuild before entering the namespace
(the npm registry is the only network access).

Each call is held 3 s; each side's recording must carry the other side's
tone (frequency, level, and at least 60 % of the energy); the SSRC the
Jingle description announced must be the one the media comes with
(libwebrtc plays silence otherwise). Checks are subtests: a failing one
is reported and the call goes on.

With [calls] dtmf = info (SIP INFO for XEP-0181 digits):
7.1 the browser calls 1001 (JMI propose -> receipt + proceed ->
    session-initiate without candidates, trickled transport-info);
    baresip answers; DTMF: XEP-0181 session-info "15" (-> SIP INFO) and
    "#9" from RTCDTMFSender (RFC 4733 in the media, through rtpengine)
    reach baresip; the browser hangs up (session-terminate -> BYE).
7.2 baresip calls alice@gw.localhost; the browser answers (accept to its
    own account, proceed, session-accept); baresip hangs up (BYE ->
    session-terminate).
7.3 as 7.1 without DTMF, but the browser's transport-info carries the ICE
    pwd with the ufrag, as Conversations sends it (StanzaJS sends the ufrag
    alone, which the gateway refuses, so in 7.1 rtpengine learns the
    browser's address from its connectivity checks only): here the
    gateway hands the trickled candidates to rtpengine.
7.6 the browser calls 1001 and holds (session-info <hold/>: the re-INVITE
    offers a=sendonly): baresip stops sending to her while she still
    sends; <active/> (a=sendrecv): baresip sends again.
With [calls] dtmf = rfc4733, the default (rtpengine injects the digits, so
it transcodes PCMU -> PCMU):
7.4 as 7.1, XEP-0181 "37" played by rtpengine as RFC 4733, "0*" from
    RTCDTMFSender; baresip hangs up.
7.5 as 7.2; the browser hangs up.
Issue 18, video (a second phone, 1002: baresip with VP8 and fakevideo, a
test picture as camera and a frame-counting display; the browser's fake
camera, 320x240 at 15 fps; audio and video on separate rtpengine ports):
18.20 the browser calls 1002 with audio and video; each side decodes the
      other's frames (getStats inbound-rtp video framesDecoded > 0;
      baresip's video_debug "vidisp ... frames" > 0); the seconds from the
      call being placed to the first decoded frame on each side are logged.
18.21 as 18.20, 1002 calls the browser, which answers with its camera.
Trap (seen here, rtpengine 10.5 + baresip 1.0): baresip sends one VP8
keyframe when its stream starts, often before the browser's ICE/DTLS
through rtpengine is up; the browser then asks for one with RTCP PLI
(about 5 a second), but rtpengine strips every RTCP feedback message on
its way to an RTP/AVP leg (rtcp_avpf2avp_filter: a packet sniffed on lo
showed the browser's RR+PLI leave rtpengine toward baresip as the RR
alone), so without help no keyframe came before baresip's periodic one,
about 8.7 s in. The gateway's RFC 5168 INFO picture_fast_update ([calls]
video_fast_update, 0.5 s and 2 s after video starts) makes baresip send
one (call.c: video_update_picture): the browser's first frame now comes
at 0.2-0.4 s when the first keyframe makes it and at about 0.7 s when it
does not; the cases still wait up to 15 s. The log line gives the seconds
each side took and the PLI count;
GW_VIDEO_DEBUG=1 adds baresip's video_debug (its rx n_keyframes counts
the keyframes it received).
The video cases run with [calls] dtmf = info unless GW_VIDEO_DTMF says
otherwise (rfc4733 behaves the same).

Skipped (with the reason) only when Chromium cannot start.
Environment: GW_BINARY (the gateway), GW_WEBRTC_DIR (where node_modules and
the bundle go; default next to the build), GW_KEEP_TMP=1 keeps the logs.
"""

import base64
import fcntl
import hashlib
import json
import math
import re
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import unittest
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gwtest  # noqa: E402
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST, PBX_DOMAIN,  # noqa: E402
                    XMPP_DOMAIN, free_port, wait_for)

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_SRC = os.path.join(HERE, "webrtc")
CLIENT_FILES = ("package.json", "package-lock.json", "build.js", "driver.js",
                "page.js", "index.html")
CHROMIUM = os.environ.get("GW_CHROMIUM", "/usr/bin/chromium")
NETNS_MARK = "GW_WEBRTC_NETNS"

BROWSER_HZ = 440.0    # what Chromium's fake microphone plays
PHONE_HZ = 1000.0     # what baresip plays
TONE_AMPLITUDE = 0.3  # -10.5 dBFS
HOLD_S = 3.0          # each call is held this long before the hang-up
MIN_LEVEL_DBFS = -30.0
MIN_TONE_SHARE = 0.6  # of the recording's energy at the expected frequency

USER = "alice"
PHONE = "1001"
VIDEO_PHONE = "1002"      # baresip with VP8 and fakevideo (issue 18)
SIP_PASSWORD = "gwpass"   # gwtest.Kamailio accepts it for every user


def log(text):
    sys.stderr.write("webrtc: " + text + "\n")
    sys.stderr.flush()


# ---- tones and their analysis ---------------------------------------------

def write_tone(path, hz, rate, seconds, amplitude=TONE_AMPLITUDE):
    """A mono 16-bit sine WAV."""
    n = int(rate * seconds)
    step = 2 * math.pi * hz / rate
    scale = amplitude * 32767
    frames = struct.pack("<%dh" % n,
                         *(int(scale * math.sin(step * i)) for i in range(n)))
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


def read_wav(path):
    """(rate, [float samples in -1..1]) of channel 0."""
    with wave.open(path, "rb") as w:
        rate, ch, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        data = w.readframes(w.getnframes())
    if width != 2:
        raise AssertionError(f"{path}: {8 * width}-bit samples")
    pcm = struct.unpack("<%dh" % (len(data) // 2), data)[::ch]
    return rate, [s / 32768.0 for s in pcm]


def goertzel_power(samples, rate, hz):
    """Power at hz, scaled so that a sine of amplitude A gives A^2/2."""
    n = len(samples)
    coeff = 2 * math.cos(2 * math.pi * hz / rate)
    s1 = s2 = 0.0
    for x in samples:
        s0 = x + coeff * s1 - s2
        s2, s1 = s1, s0
    p = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return 2 * p / (n * n)


def block_frequency(blocks, rate):
    """The median over blocks of the frequency between the first and the
    last rising zero crossing (interpolated): a lost or concealed packet
    spoils one block, not the estimate."""
    found = []
    for b in blocks:
        mean = sum(b) / len(b)
        times = [i + (mean - x0) / (x1 - x0)
                 for i, (x0, x1) in enumerate(zip(b, b[1:]))
                 if x0 < mean <= x1 and x1 != x0]
        if len(times) >= 3 and times[-1] > times[0]:
            found.append((len(times) - 1) * rate / (times[-1] - times[0]))
    found.sort()
    return found[len(found) // 2] if found else 0.0


def analyse(samples, rate, expect_hz, other_hz, skip_s=0.5, window_s=2.0):
    """The loudest window_s stretch after skip_s: its frequency (zero
    crossings, median of 100 ms blocks), level (RMS, dBFS) and the share of its energy at expect_hz
    and at other_hz, measured in 100 ms blocks (10 Hz wide, so that a
    capture clock a little off or a lost packet does not hide the tone)."""
    block = rate // 10
    start = int(rate * skip_s) // block * block
    nblocks = int(window_s * 10)
    blocks = [samples[i:i + block]
              for i in range(start, len(samples) - block + 1, block)]
    if len(blocks) < 3:
        return {"seconds": round(len(samples) / rate, 2), "rms_dbfs": -200.0,
                "hz": 0.0, "share": 0.0, "other_share": 0.0}
    nblocks = min(nblocks, len(blocks))
    energy = [sum(x * x for x in b) / len(b) for b in blocks]
    best = max(range(len(blocks) - nblocks + 1),
               key=lambda i: sum(energy[i:i + nblocks]))
    chosen = blocks[best:best + nblocks]
    total = sum(energy[best:best + nblocks])
    rms = math.sqrt(total / nblocks)
    at = (lambda hz: sum(goertzel_power(b, rate, hz) for b in chosen) / total
          if total > 0 else 0.0)
    return {
        "seconds": round(len(samples) / rate, 2),
        "rms_dbfs": round(20 * math.log10(rms), 1) if rms > 0 else -200.0,
        "hz": round(block_frequency(chosen, rate), 1),
        "share": round(at(expect_hz), 3),
        "other_share": round(at(other_hz), 3),
    }


# ---- the namespace ----------------------------------------------------------

def loopback_up():
    """ip link set lo up, without iproute2."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ifr = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, siocgifflags, ifr))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH", b"lo", flags | iff_up))
    finally:
        s.close()


def interfaces():
    """The network interfaces of this process's namespace (/sys/class/net
    would show the namespace sysfs was mounted in)."""
    return sorted(name for _, name in socket.if_nameindex())


def enter_namespace():
    """Re-executes this script in a new network namespace with only lo
    (as root: unshare -n; else, where allowed, a user namespace), once."""
    if os.environ.get(NETNS_MARK):
        loopback_up()
        return
    if interfaces() == ["lo"]:
        return
    for argv in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        try:
            ok = subprocess.run(argv + ["true"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                timeout=10).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            env = dict(os.environ, **{NETNS_MARK: "1"})
            sys.stdout.flush()
            sys.stderr.flush()
            os.execvpe(argv[0], argv + ["--", sys.executable,
                                        os.path.abspath(__file__)]
                       + sys.argv[1:], env)
    log("WARNING: cannot create a network namespace (not root?): running "
        "on the host's network; Chromium may also gather non-loopback "
        "candidates (traffic to the host's own addresses stays local)")


# ---- the JavaScript client --------------------------------------------------

def client_dir():
    d = os.environ.get("GW_WEBRTC_DIR")
    if not d:
        d = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(gwtest.gateway_binary()))), "webrtc-client")
    return d


def prepare_client():
    """npm ci (when the lock changed) and the esbuild bundle, in a work
    directory outside the source tree. Returns (dir, error or None)."""
    d = client_dir()
    os.makedirs(d, exist_ok=True)
    for f in CLIENT_FILES:
        shutil.copyfile(os.path.join(CLIENT_SRC, f), os.path.join(d, f))
    with open(os.path.join(CLIENT_SRC, "package-lock.json"), "rb") as f:
        lock = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(d, "node_modules", ".gw-lock-sha256")
    try:
        with open(stamp) as f:
            current = f.read().strip() == lock
    except OSError:
        current = False
    if not current:
        if shutil.which("npm") is None:
            return d, "npm is not installed"
        t = time.monotonic()
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund",
                            "--loglevel=error"], cwd=d,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=240)
        if r.returncode != 0:
            return d, "npm ci failed:\n" + r.stdout.decode(errors="replace")
        with open(stamp, "w") as f:
            f.write(lock + "\n")
        log("npm ci: %.1f s" % (time.monotonic() - t))
    r = subprocess.run(["node", "build.js", os.path.join(d, "dist",
                                                         "bundle.js")],
                       cwd=d, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        return d, "bundling failed:\n" + r.stdout.decode(errors="replace")
    return d, None


class Browser:
    """driver.js: headless Chromium running the page; window.T over
    JSON lines on stdin/stdout."""

    def __init__(self, env, cdir, wav, extra_args=()):
        self.dir = env.subdir("chromium")
        self.log_path = os.path.join(self.dir, "driver.log")
        self.logf = open(self.log_path, "a", buffering=1)
        self.events = []
        self.cond = threading.Condition()
        self.answers = {}
        self.next_id = 0
        self.ready = None
        self.fatal = None
        self.p = subprocess.Popen(
            ["node", os.path.join(cdir, "driver.js"),
             "--bundle", os.path.join(cdir, "dist", "bundle.js"),
             "--wav", wav, "--chromium", CHROMIUM,
             "--profile", os.path.join(self.dir, "profile")]
            + list(extra_args),
            cwd=cdir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self.logf, start_new_session=True)
        self.pid = self.p.pid
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            try:
                m = json.loads(line)
            except ValueError:
                self.logf.write("? " + line + "\n")
                continue
            with self.cond:
                if "event" in m:
                    ev = m["event"]
                    if ev.get("type") in ("xml-in", "xml-out"):
                        self.logf.write("%s %s\n" % (
                            "<<" if ev["type"] == "xml-in" else ">>",
                            ev.get("xml")))
                    else:
                        self.logf.write("event " + json.dumps(ev) + "\n")
                        self.events.append(ev)
                elif "id" in m:
                    self.answers[m["id"]] = m
                elif "ready" in m:
                    self.ready = m
                    self.logf.write("ready " + line + "\n")
                elif "fatal" in m:
                    self.fatal = m["fatal"]
                    self.logf.write("fatal " + m["fatal"] + "\n")
                self.cond.notify_all()
        with self.cond:
            self.fatal = self.fatal or "driver exited"
            self.cond.notify_all()

    def wait_ready(self, timeout=30):
        with self.cond:
            self.cond.wait_for(lambda: self.ready or self.fatal, timeout)
            if self.ready:
                return self.ready
            return None

    def call(self, fn, *args, timeout=20):
        with self.cond:
            self.next_id += 1
            rid = self.next_id
        self.p.stdin.write((json.dumps({"id": rid, "fn": fn,
                                        "args": list(args)}) + "\n").encode())
        self.p.stdin.flush()
        with self.cond:
            if not self.cond.wait_for(
                    lambda: rid in self.answers or self.fatal, timeout):
                raise AssertionError(f"browser: {fn} took over {timeout} s")
            if rid not in self.answers:
                raise AssertionError(f"browser: {fn}: {self.fatal}")
            a = self.answers.pop(rid)
        if not a["ok"]:
            raise AssertionError(f"browser: {fn}: {a['error']}")
        return a["result"]

    def wait_event(self, pred, timeout=10, what="event"):
        with self.cond:
            found = self.cond.wait_for(
                lambda: next((e for e in self.events if pred(e)), None),
                timeout)
            if not found:
                raise AssertionError(f"browser: no {what} in {timeout} s")
            return found

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write(b'{"id": 0, "fn": "_quit"}\n')
                self.p.stdin.flush()
                self.p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.p.poll() is None:
            try:
                os.killpg(self.pid, 15)
                self.p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(self.pid, 9)
                self.p.wait(5)
        self.logf.close()


# ---- the SIP phone -----------------------------------------------------------

# ---- the servers ------------------------------------------------------------

class WebSocketProsody(gwtest.Prosody):
    """gwtest's Prosody plus mod_websocket on loopback (notes/media.md)."""

    def write_config(self):
        if not hasattr(self, "http_port"):
            self.http_port = free_port()
        if "websocket" not in self.modules:
            self.modules += ("websocket",)
        super().write_config()
        with open(self.cfg) as f:
            text = f.read()
        text = text.replace("http_ports = { }",
                            f"http_ports = {{ {self.http_port} }}\n"
                            f"http_interfaces = {{ \"{HOST}\" }}\n"
                            "consider_websocket_secure = true\n"
                            "cross_domain_websocket = true")
        if '"websocket";' not in text or str(self.http_port) not in text:
            raise AssertionError("cannot add mod_websocket to the config")
        with open(self.cfg, "w") as f:
            f.write(text)

    def start(self):
        super().start()
        gwtest.wait_tcp(self.http_port)
        return self

    def ws_url(self):
        return f"ws://{HOST}:{self.http_port}/xmpp-websocket"


class PhoneKamailio(gwtest.Kamailio):
    """gwtest's Kamailio, also routing its own users (1001@pbx) to where
    they registered."""

    def write_config(self):
        super().write_config()
        with open(self.cfg) as f:
            text = f.read()
        anchor = "    if (!t_relay()) sl_reply_error();"
        route = (f'    if ($rd == "{PBX_DOMAIN}") {{\n'
                 '        if (!lookup("location")) { sl_send_reply("404", '
                 '"Not Registered"); exit; }\n    }\n')
        if anchor not in text:
            raise AssertionError("cannot add the phone route to Kamailio")
        with open(self.cfg, "w") as f:
            f.write(text.replace(anchor, route + anchor))


# ---- the test ------------------------------------------------------------------

class WebRtcCalls(unittest.TestCase):
    """7.x Chromium + StanzaJS <-> gateway + rtpengine <-> baresip."""

    cdir = None
    client_error = None

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        if not os.path.exists(gwtest.gateway_binary()):
            raise unittest.SkipTest("gateway binary not built: "
                                    + gwtest.gateway_binary())
        missing = [p for p in ("baresip", "rtpengine", "prosody", "kamailio",
                               "node") if shutil.which(p) is None]
        if missing:
            raise AssertionError("not installed: " + ", ".join(missing)
                                 + " (scripts/deps installs them)")
        if not os.access(CHROMIUM, os.X_OK):
            raise unittest.SkipTest(f"Chromium cannot start: {CHROMIUM} "
                                    "is not installed (Debian package "
                                    "chromium)")
        if cls.client_error:
            raise AssertionError(cls.client_error)
        cls.env = env = gwtest.Env("WebRtc")
        cls.failed = False
        try:
            cls._start(env)
        except BaseException:
            cls.failed = True
            cls._stop()
            raise
        log("setup: %.1f s (network interfaces: %s)"
            % (time.monotonic() - t0, " ".join(interfaces())))

    @classmethod
    def _start(cls, env):
        media = env.subdir("media")
        cls.browser_wav = os.path.join(media, "browser-440.wav")
        cls.phone_wav = os.path.join(media, "phone-1000.wav")
        # Chromium loops its file; baresip ends a call when its file ends
        write_tone(cls.browser_wav, BROWSER_HZ, 48000, 4)
        write_tone(cls.phone_wav, PHONE_HZ, 8000, 60)
        cls.browser = Browser(env, cls.cdir, cls.browser_wav)
        env.prosody = WebSocketProsody(env).start()
        cls.kam = PhoneKamailio(env, password=SIP_PASSWORD).start()
        cls.rtpe = gwtest.Rtpengine(env).start()
        cls.pwfile = os.path.join(env.root, "sip.password")
        with open(cls.pwfile, "w") as f:
            f.write(SIP_PASSWORD + "\n")
        cls.gw_sip_port = free_port(udp_too=True)
        cls.gw = None
        cls.start_gateway("info")
        cls.phone = gwtest.Baresip(env, PHONE, cls.kam.port, cls.phone_wav,
                                   password=SIP_PASSWORD).start()
        cls.kam.proc.wait_log(rf"REGISTERED sip:{PHONE}@{PBX_DOMAIN}", 10)
        cls.video_phone = gwtest.Baresip(env, VIDEO_PHONE, cls.kam.port,
                                         cls.phone_wav, password=SIP_PASSWORD,
                                         video=True).start()
        cls.kam.proc.wait_log(rf"REGISTERED sip:{VIDEO_PHONE}@{PBX_DOMAIN}",
                              10)
        ready = cls.browser.wait_ready(30)
        if not ready:
            why = cls.browser.fatal or "no answer in 30 s"
            raise unittest.SkipTest("Chromium cannot start: "
                                    + why.strip().splitlines()[0][:300]
                                    + f" (see {cls.browser.log_path})")
        log(f"Chromium {ready['version']} at {ready['url']}")
        if os.environ.get("GW_WEBRTC_STRIP_SSRC"):
            # diagnostics: the browser ignores the SSRCs it is told
            cls.browser.call("setOption", "stripRemoteSsrc", True)
        cls.jid = cls.browser.call(
            "login", env.prosody.ws_url(), f"{USER}@{XMPP_DOMAIN}",
            gwtest.USERS[USER], timeout=15)

    @classmethod
    def start_gateway(cls, dtmf):
        """(Re)starts the gateway with [calls] dtmf = dtmf; it REGISTERs
        at Kamailio, which routes gw.localhost to it."""
        if cls.gw is not None:
            rc = cls.gw.stop()
            if rc != 0:
                raise AssertionError(f"gateway exited with {rc}")
        cfg = gwtest.default_gateway_config(
            cls.env, cls.env.prosody, cls.gw_sip_port,
            sip__register="true",
            sip__registrar=f"sip:{HOST}:{cls.kam.port}",
            sip__username="gateway",
            sip__password_file=cls.pwfile,
            sip__outbound_proxy=f"sip:{HOST}:{cls.kam.port}",
            sip__transaction_timeout_ms=8000,
            calls__allow_calls=f"{USER}@{XMPP_DOMAIN} *",
            calls__no_answer_s=20,
            calls__dtmf=dtmf,
            media__relay="rtpengine",
            media__rtpengine=cls.rtpe.address())
        cls.gw = gwtest.Gateway(cls.env, cfg, name=f"gateway-dtmf-{dtmf}")
        cls.gw.start()
        cls.gw.proc.wait_log(r"registered gateway@" + GW_SIP_DOMAIN, 10)
        cls.dtmf_mode = dtmf

    @classmethod
    def _stop(cls):
        env = getattr(cls, "env", None)
        if env is None:
            return
        for name in ("browser", "phone", "video_phone"):
            obj = getattr(cls, name, None)
            if obj is not None:
                try:
                    obj.stop()
                except Exception as e:  # keep stopping the others
                    log(f"stopping {name}: {e}")
        rc = 0
        if getattr(cls, "gw", None) is not None and cls.gw.proc is not None \
                and cls.gw.proc.alive():
            rc = cls.gw.stop()
        keep = cls.failed or rc != 0 or bool(os.environ.get("GW_KEEP_TMP"))
        env.close(keep=keep)
        if keep:
            log("logs kept in " + env.root)
        if rc != 0:
            raise AssertionError(f"gateway did not stop cleanly (exit {rc})")

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    def run(self, result=None):
        # a failed case keeps the logs
        before = len(result.failures) + len(result.errors) if result else 0
        r = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).failed = True
        return r

    def tearDown(self):
        # whatever happened, the next case starts without a call
        try:
            self.browser.call("hangup")
            self.browser.call("reset")
        except AssertionError:
            pass
        for phone in (self.phone, self.video_phone):
            if phone.event_types().count("CALL_ESTABLISHED") > \
                    phone.event_types().count("CALL_CLOSED"):
                try:
                    phone.command("hangup")
                    phone.wait_event("CALL_CLOSED", 5, len(phone.events) - 1)
                except AssertionError:
                    pass

    # -- helpers

    def wait_media(self, what, min_packets=100, timeout=8):
        """Until the browser has sent and received min_packets; a side
        that stays silent fails a subtest and the call goes on."""
        def flowing(both):
            s = self.browser.call("state")
            if s and s.get("packetsSent", 0) >= min_packets and (
                    not both or s.get("packetsReceived", 0) >= min_packets):
                return s
            return None
        try:
            return wait_for(lambda: flowing(True), timeout, 0.25, what)
        except AssertionError:
            pass
        st = self.browser.call("state")
        with self.subTest(f"{what}: media toward the browser"):
            self.fail(f"{what}: the browser received "
                      f"{st.get('packetsReceived', 0)} packets in {timeout} s "
                      f"(sent {st.get('packetsSent', 0)}): {st}")
        return st

    def check_transport(self, st, what):
        self.assertEqual(st.get("dtlsState"), "connected", st)
        self.assertTrue(st.get("srtpCipher"), st)
        self.assertEqual(st.get("ice"), "connected", st)
        # libwebrtc gives the track only the SSRC the description announced
        # (XEP-0339 <source/>): media under another SSRC is counted in the
        # stats but played as silence
        signalled = set(st.get("signalledSsrcs") or [])
        arriving = set(st.get("inboundSsrcs") or [])
        with self.subTest(f"{what} SSRC"):
            if signalled and arriving and not signalled & arriving:
                self.fail(f"{what}: the media reaches the browser with SSRC "
                          f"{sorted(arriving)}, but the Jingle description "
                          f"announced {sorted(signalled)}: the browser plays "
                          f"silence (the relay rewrote the SSRC; [calls] "
                          f"dtmf = {self.dtmf_mode})")

    def take_browser_recording(self, name):
        rec = self.browser.call("takeRecording", timeout=20)
        self.assertIsNotNone(rec, "the browser recorded nothing")
        path = os.path.join(self.env.subdir("media"), name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(rec["wav"]))
        return path

    def phone_recording(self, since):
        """baresip's sndfile dump of what it decoded in the last call."""
        files = [f for f in self.phone.recordings() if f not in since]
        dec = [f for f in files if f.endswith("-dec.wav")]
        self.assertTrue(dec, f"baresip recorded nothing: {files}")
        return dec[-1]

    def check_tone(self, who, path, expect_hz, other_hz):
        with self.subTest(f"{who} tone"):
            return self._check_tone(who, path, expect_hz, other_hz)

    def _check_tone(self, who, path, expect_hz, other_hz):
        rate, samples = read_wav(path)
        a = analyse(samples, rate, expect_hz, other_hz)
        log(f"{who} received {a['hz']} Hz (sent {expect_hz:.0f}) at "
            f"{a['rms_dbfs']} dBFS (sent {20 * math.log10(TONE_AMPLITUDE / math.sqrt(2)):.1f}); "
            f"{100 * a['share']:.0f}% of the energy at {expect_hz:.0f} Hz, "
            f"{100 * a['other_share']:.0f}% at its own {other_hz:.0f} Hz; "
            f"{a['seconds']} s recorded at {rate} Hz")
        self.assertGreater(a["rms_dbfs"], MIN_LEVEL_DBFS,
                           f"{who}: silence or too quiet: {a} ({path})")
        self.assertGreater(a["share"], MIN_TONE_SHARE,
                           f"{who}: {expect_hz} Hz does not dominate: {a} "
                           f"({path})")
        self.assertLess(abs(a["hz"] - expect_hz), expect_hz * 0.02,
                        f"{who}: wrong frequency: {a} ({path})")
        return a

    def hold(self, t0):
        left = HOLD_S - (time.monotonic() - t0)
        if left > 0:
            time.sleep(left)

    def use_dtmf_mode(self, mode):
        if self.dtmf_mode != mode:
            type(self).start_gateway(mode)

    def log_media(self, case, t0, st):
        log(f"{case} {time.monotonic() - t0:.1f} s after the call was placed: "
            f"browser sent {st.get('packetsSent', 0)} packets, received "
            f"{st.get('packetsReceived', 0)}; ICE {st['ice']}, DTLS "
            f"{st['dtlsState']} "
            f"(browser {st.get('dtlsRole')}, {st.get('srtpCipher')}), "
            f"{'/'.join(sorted(set(st.get('codecs') or [])))}")

    def hang_up(self, case, sid, by, ev0, phone=None):
        """Ends the call from the browser (session-terminate -> BYE) or
        from baresip (BYE -> session-terminate); both sides must see it."""
        b, phone = self.browser, phone or self.phone
        if by == "browser":
            b.call("hangup")
            phone.wait_event("CALL_CLOSED", 10, ev0)
        else:
            phone.command("hangup")
            phone.wait_event("CALL_CLOSED", 10, ev0)
            term = b.wait_event(lambda e: e.get("type") == "terminated"
                                and e.get("sid") == sid, 10,
                                "session-terminate")
            self.assertEqual(term.get("reason"), "success", term)
        self.gw.proc.wait_log(rf"call {sid} .*ends", 5)

    def note_refusals(self, case, since):
        """Jingle requests of the browser the gateway answered with an
        error (e.g. StanzaJS's transport-info carries ufrag without pwd):
        logged, not failed: ICE still succeeds through peer-reflexive
        candidates on loopback."""
        with self.browser.cond:
            errors = [e for e in self.browser.events[since:]
                      if e.get("type") == "jingle-log"
                      and "error response" in e.get("msg", "")]
        if errors:
            log(f"{case} NOTE: the gateway refused {len(errors)} Jingle "
                f"request(s) of the browser (GW_KEEP_TMP=1 keeps "
                f"{self.browser.log_path})")

    def check_recordings(self, case, recs0):
        got = self.take_browser_recording(f"{case}-browser-received.wav")
        dec = self.phone_recording(recs0)
        self.check_tone(f"{case} browser", got, PHONE_HZ, BROWSER_HZ)
        self.check_tone(f"{case} baresip", dec, BROWSER_HZ, PHONE_HZ)

    def call_phone(self, case, ev0):
        """The browser calls 1001 (JMI + Jingle), baresip answers, media
        flows: (sid, the browser's state). ev0: baresip's events before."""
        b = self.browser
        sid = b.call("call", f"{PHONE}@{COMPONENT}", timeout=20)
        self.phone.wait_event("CALL_ESTABLISHED", 10, ev0)
        b.wait_event(lambda e: e.get("type") == "accepted"
                     and e.get("sid") == sid, 10, "session-accept")
        return sid, self.wait_media(f"{case} XMPP -> SIP")

    def browser_calls_phone(self, case, jingle_digits, inband_digits,
                            hangup_by):
        """The browser calls 1001 (JMI), sends DTMF, holds, hangs up."""
        t0 = time.monotonic()
        b, phone = self.browser, self.phone
        ev0 = len(phone.events)
        bev0 = len(b.events)
        recs0 = phone.recordings()
        sid, st = self.call_phone(case, ev0)
        self.log_media(case, t0, st)
        # each check below is a subTest: a failure is reported and the
        # call goes on, so that one run shows everything that works
        self.check_transport(st, case)
        expect = ""
        if jingle_digits:
            # XEP-0181 session-info: the gateway plays the digits toward
            # SIP (rtpengine RFC 4733 or SIP INFO, per [calls] dtmf)
            b.call("dtmfJingle", jingle_digits, timeout=10)
            expect += jingle_digits
            with self.subTest(f"{case} XEP-0181 DTMF ({self.dtmf_mode})"):
                wait_for(lambda: expect in phone.dtmf_digits(ev0), 5, 0.1,
                         f"XEP-0181 digits {jingle_digits} at baresip "
                         f"([calls] dtmf = {self.dtmf_mode})")
        if inband_digits:
            # RFC 4733 from the browser's RTCDTMFSender, through rtpengine
            b.call("dtmfInband", inband_digits)
            expect += inband_digits
            with self.subTest(f"{case} RFC 4733 DTMF from RTCDTMFSender"):
                wait_for(lambda: phone.dtmf_digits(ev0).endswith(
                    inband_digits), 5, 0.1,
                    f"in-band digits {inband_digits} at baresip")
        self.hold(t0)
        st = b.call("state")
        self.hang_up(case, sid, hangup_by, ev0)
        log(f"{case} {hangup_by} hung up after {time.monotonic() - t0:.1f} s; "
            f"the browser had sent {st.get('packetsSent', 0)} packets and "
            f"received {st.get('packetsReceived', 0)}; DTMF events at baresip: "
            f"{phone.dtmf_digits(ev0)!r}")
        self.note_refusals(case, bev0)
        self.check_recordings(case, recs0)
        with self.subTest(f"{case} DTMF digits"):
            self.assertEqual(phone.dtmf_digits(ev0), expect)

    def phone_calls_browser(self, case, hangup_by):
        """baresip calls alice@gw.localhost; the browser answers (JMI
        proceed, session-accept); holds; hangs up."""
        t0 = time.monotonic()
        b, phone = self.browser, self.phone
        ev0 = len(phone.events)
        bev0 = len(b.events)
        recs0 = phone.recordings()
        phone.command("dial", f"sip:{USER}@{GW_SIP_DOMAIN}")
        sid = b.call("answerNext", 15000, timeout=20)
        phone.wait_event("CALL_ESTABLISHED", 10, ev0)
        st = self.wait_media(f"{case} SIP -> XMPP")
        self.log_media(case, t0, st)
        self.check_transport(st, case)
        self.hold(t0)
        st = b.call("state")
        self.hang_up(case, sid, hangup_by, ev0)
        log(f"{case} {hangup_by} hung up after {time.monotonic() - t0:.1f} s; "
            f"the browser had sent {st.get('packetsSent', 0)} packets and "
            f"received {st.get('packetsReceived', 0)}")
        self.note_refusals(case, bev0)
        self.check_recordings(case, recs0)

    # -- issue 18: video both ways ---------------------------------------------

    def first_frames(self, t0, phone, log0, timeout=15):
        """Seconds from t0 to the first decoded frame on each side: the
        browser's getStats framesDecoded, baresip's "receiving with
        resolution" (its decoder's first picture); None if none came."""
        got = {"browser": None, "baresip": None}
        rx = re.compile(r"video: receiving with resolution (\d+) x (\d+)")
        end = time.monotonic() + timeout
        while time.monotonic() < end and None in got.values():
            if got["browser"] is None:
                st = self.browser.call("state") or {}
                if (st.get("video") or {}).get("framesDecoded", 0) > 0:
                    got["browser"] = time.monotonic() - t0
            if got["baresip"] is None and rx.search(phone.proc.log()[log0:]):
                got["baresip"] = time.monotonic() - t0
            time.sleep(0.05)
        return got

    def phone_video_frames(self, phone):
        """baresip's video_debug: frames its display got, its camera's."""
        text = json.dumps(phone.command("video_debug"))
        disp = re.search(r"vidisp: \S+ \d+ x \d+ frames=(\d+)", text)
        src = re.search(r"source: \S+ \d+ x \d+, fps=[\d.]+ frames=(\d+)",
                        text)
        return (int(disp.group(1)) if disp else 0,
                int(src.group(1)) if src else 0, text)

    def video_call(self, case, direction):
        b, phone = self.browser, self.video_phone
        t0 = time.monotonic()
        ev0 = len(phone.events)
        log0 = len(phone.proc.log())
        if direction == "browser":
            sid = b.call("call", f"{VIDEO_PHONE}@{COMPONENT}", True,
                         timeout=20)
        else:
            phone.command("dial", f"sip:{USER}@{GW_SIP_DOMAIN}")
            sid = b.call("answerNext", 15000, True, timeout=20)
        phone.wait_event("CALL_ESTABLISHED", 10, ev0)
        first = self.first_frames(t0, phone, log0)
        self.hold(t0)
        st = b.call("state")
        shown, sent, dbg = self.phone_video_frames(phone)
        if os.environ.get("GW_VIDEO_DEBUG"):
            log(dbg)
        self.hang_up(case, sid, "browser", ev0, phone)
        v = st.get("video") or {}
        counters = " ".join(re.findall(r"n_\w+=\d+", dbg))
        log(f"{case} first decoded frame after the call was placed: browser "
            f"{first['browser'] and round(first['browser'], 2)} s, baresip "
            f"{first['baresip'] and round(first['baresip'], 2)} s; browser "
            f"decoded {v.get('framesDecoded', 0)} frames "
            f"({v.get('frameWidth')} px wide, {v.get('decoder')}), encoded "
            f"{v.get('framesEncoded', 0)}; baresip displayed {shown} frames, "
            f"its camera made {sent}; browser PLI sent "
            f"{v.get('pliSent')}, received {v.get('pliReceived')}; baresip "
            f"{counters}; codecs "
            f"{'/'.join(sorted(set(st.get('codecs') or [])))}")
        self.check_transport(st, case)
        with self.subTest(f"{case} video toward the browser"):
            self.assertGreater(v.get("framesDecoded", 0), 0,
                               f"the browser decoded no frame: {st}")
        with self.subTest(f"{case} video toward baresip"):
            self.assertGreater(shown, 0,
                               f"baresip displayed no frame: {dbg}")
        return first

    def test_18_20_browser_video_calls_phone(self):
        """18.20 the browser calls a video phone (1002: baresip, VP8,
        fakevideo) with its fake camera: each side decodes the other's
        frames (getStats framesDecoded, baresip video_debug)"""
        self.use_dtmf_mode(os.environ.get("GW_VIDEO_DTMF", "info"))
        self.video_call("18.20", "browser")

    def test_18_21_video_phone_calls_browser(self):
        """18.21 the video phone calls alice; the browser answers with
        its camera: frames decoded each way"""
        self.use_dtmf_mode(os.environ.get("GW_VIDEO_DTMF", "info"))
        self.video_call("18.21", "phone")

    # -- [calls] dtmf = info ---------------------------------------------------

    def test_7_01_browser_calls_phone(self):
        """7.1 dtmf=info: browser -> 1001 (JMI + Jingle), audio both ways,
        DTMF at baresip (XEP-0181 -> SIP INFO, RFC 4733 from RTCDTMFSender),
        the browser hangs up"""
        self.use_dtmf_mode("info")
        self.browser_calls_phone("7.1", "15", "#9", "browser")

    def test_7_02_phone_calls_browser(self):
        """7.2 dtmf=info: 1001 -> alice (propose, proceed, session-initiate,
        session-accept), audio both ways, baresip hangs up"""
        self.use_dtmf_mode("info")
        self.phone_calls_browser("7.2", "phone")

    def test_7_03_conversations_style_trickle(self):
        """7.3 dtmf=info: as 7.1, but each transport-info carries the ICE
        pwd with the ufrag, as Conversations sends it (StanzaJS sends the
        ufrag alone, which the gateway refuses): the gateway hands these
        candidates to rtpengine; audio must still flow both ways"""
        self.use_dtmf_mode("info")
        self.browser.call("setOption", "transportInfoPwd", True)
        try:
            self.browser_calls_phone("7.3", "", "", "browser")
        finally:
            self.browser.call("setOption", "transportInfoPwd", False)

    def packets_in(self, seconds):
        """Audio packets the browser received within `seconds` from now,
        and the packets it sent meanwhile."""
        st0 = self.browser.call("state")
        time.sleep(seconds)
        st1 = self.browser.call("state")
        return (st1.get("packetsReceived", 0) - st0.get("packetsReceived", 0),
                st1.get("packetsSent", 0) - st0.get("packetsSent", 0))

    def test_7_06_hold_with_a_real_phone(self):
        """7.6 the browser calls 1001 (baresip) and holds (session-info
        <hold/>): the gateway's re-INVITE offers a=sendonly, baresip
        answers it and stops sending to her while what she sends goes on;
        <active/>: a=sendrecv again, baresip sends again; the call ends
        cleanly (in the [calls] dtmf mode the case before left: a restart
        here raced Prosody's switch of the component's session)"""
        b = self.browser
        ev0 = len(self.phone.events)
        sid, _ = self.call_phone("7.6", ev0)
        got, sent = self.packets_in(1.0)
        self.assertGreater(got, 25, "audio from baresip before the hold")
        b.call("holdCall", True)
        time.sleep(1.5)  # the re-INVITE, its answer, packets in flight
        got, sent = self.packets_in(1.5)
        log(f"7.6 on hold: the browser received {got} packets in 1.5 s, "
            f"sent {sent}")
        self.assertLess(got, 5, "baresip still sends while she holds")
        self.assertGreater(sent, 40, "what she sends stops on her hold")
        b.call("holdCall", False)
        time.sleep(1.5)
        got, sent = self.packets_in(1.5)
        log(f"7.6 active again: the browser received {got} packets in "
            f"1.5 s, sent {sent}")
        self.assertGreater(got, 40, "baresip does not send after <active/>")
        self.hang_up("7.6", sid, "browser", ev0)

    # -- [calls] dtmf = rfc4733, the default: rtpengine transcodes ------------

    def test_7_04_browser_calls_phone_rtpengine_dtmf(self):
        """7.4 dtmf=rfc4733: browser -> 1001, audio both ways, XEP-0181
        digits played by rtpengine (RFC 4733) and RTCDTMFSender digits at
        baresip, baresip hangs up"""
        self.use_dtmf_mode("rfc4733")
        self.browser_calls_phone("7.4", "37", "0*", "phone")

    def test_7_05_phone_calls_browser_rtpengine_dtmf(self):
        """7.5 dtmf=rfc4733: 1001 -> alice, audio both ways, the browser
        hangs up"""
        self.use_dtmf_mode("rfc4733")
        self.phone_calls_browser("7.5", "browser")


def main():
    started = time.monotonic()
    if not os.environ.get(NETNS_MARK):
        os.environ["GW_WEBRTC_T0"] = str(time.time())
        # with the network: the npm registry
        cdir, err = prepare_client()
        os.environ["GW_WEBRTC_CLIENT"] = cdir
        if err:
            os.environ["GW_WEBRTC_CLIENT_ERROR"] = err[-2000:]
    enter_namespace()
    WebRtcCalls.cdir = os.environ.get("GW_WEBRTC_CLIENT", client_dir())
    WebRtcCalls.client_error = os.environ.get("GW_WEBRTC_CLIENT_ERROR")
    loader = unittest.TestLoader()
    names = [a for a in sys.argv[1:] if not a.startswith("-")]
    if names:
        suite = loader.loadTestsFromNames(names, sys.modules["__main__"])
    else:
        suite = loader.loadTestsFromModule(sys.modules["__main__"])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    t0 = float(os.environ.get("GW_WEBRTC_T0", time.time()))
    failed = len(result.failures) + len(result.errors)
    print(f"{result.testsRun} cases run, {failed} failures "
          f"(subtests included), {len(result.skipped)} skipped; "
          f"{time.time() - t0:.1f} s in all "
          f"({time.monotonic() - started:.1f} s in the namespace)")
    if failed:
        sys.exit(1)
    if result.skipped and len(result.skipped) >= result.testsRun:
        for _, why in result.skipped:
            print("SKIPPED: " + why)
        sys.exit(77)  # ctest SKIP_RETURN_CODE
    sys.exit(0)


if __name__ == "__main__":
    main()
