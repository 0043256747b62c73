#!/usr/bin/python3
"""docker/: the gateway's image and the compose stack, built and run with
podman. Cases are numbered 16.x (issue 16, part 1).

  XMPP client (slixmpp, host)                 SIP phone (scripts/sip-phone, host)
        | c2s                                        | SIP (REGISTER, MESSAGE)
  [Prosody] --component-- [gateway] --SIP-- [Kamailio]   [rtpengine]
  containers of docker/compose.yaml, host network, 127.0.0.1 only

16.1 the images build (docker/Dockerfile and the demo's services) and the
     stack comes up: the gateway's link to Prosody is up and it is
     registered at Kamailio
16.2 XMPP -> SIP: alice's message reaches phone 1001, alice gets a receipt
16.3 SIP -> XMPP: 1001's MESSAGE is answered 200 and reaches alice
16.4 the image's HEALTHCHECK: healthy; when the binary has [admin]
     http_listen, GET /health answers 200 "ok" and, with Prosody stopped,
     503 and an unhealthy check (otherwise only the fallback is checked)
16.5 the entry point: a configuration without a component domain, and an
     unknown GW_ variable, end the container with exit 2 and say why; a
     mounted configuration is used as it is; a secret given as a variable
     appears in no output
16.6 the gateway stops cleanly (exit 0, un-REGISTERed) on `podman stop`

What this kind of machine needs and an operator's does not, kept here only
(../shared/notes/containers.md): no image registry, so the base image
debian:bookworm-slim is made once with debootstrap and `podman import`ed
under its registry name (kept in podman's store for later runs); runc, the
cgroupfs manager and no default ulimits (a private CONTAINERS_CONF); images
in the docker format (an OCI image drops HEALTHCHECK) built with host
networking; and podman-compose 1.0.3 (Debian 12) adds its default network
to services with network_mode: host, which podman refuses (podman-compose
issue #397, fixed in 1.0.6): a podman wrapper drops those two arguments.

The images are tagged per source tree (two worktrees' runs do not swap
images), the compose project per run; podman's layer cache makes later
builds quick. Ports are picked free at run time. Everything started here is
stopped: `podman-compose down -v`, the project's network, host processes by
PID. Runs as root (podman rootful); when podman cannot be installed or run,
or the base image cannot be made, prints "SKIP: ..." and exits 77.
"""

import fcntl
import hashlib
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gwtest  # noqa: E402
from gwtest import HOST, NS_RECEIPTS, body_of  # noqa: E402

SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
COMPOSE = os.path.join(SRC, "docker", "compose.yaml")
PHONE = os.path.join(SRC, "scripts", "sip-phone")
BASE = "docker.io/library/debian:bookworm-slim"
SERVICES = ("secrets", "prosody", "kamailio", "rtpengine", "gateway")
IMAGES = {"secrets": "xmpp-sip-gateway-demo-secrets",
          "prosody": "xmpp-sip-gateway-demo-prosody",
          "kamailio": "xmpp-sip-gateway-demo-kamailio",
          "rtpengine": "xmpp-sip-gateway-demo-rtpengine",
          "gateway": "xmpp-sip-gateway"}
PACKAGES = ("podman", "runc", "debootstrap", "podman-compose")
MIRROR = os.environ.get("GW_DEBIAN_MIRROR", "http://deb.debian.org/debian")
LOCK = "/tmp/xmpp-sip-gateway-test-docker.lock"
SKIP = 77
T0 = time.monotonic()


def say(text):
    print(f"[{time.monotonic() - T0:6.1f}s] {text}", flush=True)


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


def tail(text, n=30):
    return "\n".join("    " + line for line in text.splitlines()[-n:])


def run(argv, timeout, env=None, check=False, stdin=subprocess.DEVNULL):
    """argv to completion within timeout: (status, output); status None on
    timeout (the process group is killed)."""
    p = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        rc = None
    else:
        rc = p.returncode
    out = out.decode("utf-8", "replace")
    if check and rc != 0:
        raise RuntimeError(f"{' '.join(argv[:3])}... exit {rc}:\n{tail(out)}")
    return rc, out


class Lock:
    """An flock shared by concurrent runs (other worktrees) around the base
    image and the builds; waited for at most `timeout` s, then ignored."""

    def __init__(self, timeout):
        self.f = open(LOCK, "a")
        end = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError:
                if time.monotonic() > end:
                    say("another run holds the build lock: going on")
                    return
                time.sleep(1)

    def release(self):
        self.f.close()


# ---- podman on this machine ------------------------------------------------

def installed(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return b"install ok installed" in r.stdout


def install_podman():
    missing = [p for p in PACKAGES if not installed(p)]
    if not missing:
        return
    say("installing " + " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lock = ["-o", "DPkg::Lock::Timeout=120"]
    rc, out = run(["apt-get", "update", "-qq"] + lock, 240, env)
    if rc == 0:
        rc, out = run(["apt-get", "install", "-y", "-qq",
                       "--no-install-recommends"] + lock + missing, 300, env)
    if rc != 0:
        skip(f"could not install {' '.join(missing)} (apt-get exit {rc}):\n"
             + tail(out, 10))


def write_engine_files(d):
    """CONTAINERS_CONF and the podman wrapper for podman-compose 1.0.3."""
    conf = os.path.join(d, "containers.conf")
    with open(conf, "w") as f:
        f.write('[containers]\ndefault_ulimits = []\n'
                '[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n')
    wrapper = os.path.join(d, "podman")
    podman = shutil.which("podman")
    with open(wrapper, "w") as f:
        f.write(f"""#!/bin/bash
# podman-compose 1.0.3 adds --net PROJECT_default --network-alias SERVICE
# to services with network_mode: host, which podman refuses: drop them there.
host=0; prev=""
for a in "$@"; do
  if [ "$prev" = --network ] && [ "$a" = host ]; then host=1; fi
  prev=$a
done
if [ $host = 1 ]; then
  out=(); skip=0
  for a in "$@"; do
    if [ $skip = 1 ]; then skip=0; continue; fi
    case "$a" in --net|--network-alias) skip=1; continue ;; esac
    out+=("$a")
  done
  exec {podman} "${{out[@]}}"
fi
exec {podman} "$@"
""")
    os.chmod(wrapper, 0o755)
    env = dict(os.environ, CONTAINERS_CONF=conf, BUILDAH_FORMAT="docker")
    return env, wrapper


def make_base_image(env, d):
    """debian:bookworm-slim from Debian's own packages, once."""
    if run(["podman", "image", "exists", BASE], 30, env)[0] == 0:
        say(f"base image {BASE}: present")
        return
    rootfs = os.path.join(d, "rootfs")
    say(f"base image {BASE}: debootstrap --variant=minbase bookworm "
        f"({MIRROR})")
    t = time.monotonic()
    rc, out = run(["debootstrap", "--variant=minbase", "bookworm", rootfs,
                   MIRROR], 420)
    if rc != 0:
        shutil.rmtree(rootfs, ignore_errors=True)
        skip(f"debootstrap could not make the base image (exit {rc}):\n"
             + tail(out, 10))
    # as the image on the registry: sources with updates and security,
    # no package lists or archives
    os.remove(os.path.join(rootfs, "etc", "apt", "sources.list"))
    with open(os.path.join(rootfs, "etc", "apt", "sources.list.d",
                           "debian.sources"), "w") as f:
        key = "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
        f.write(f"Types: deb\nURIs: {MIRROR}\n"
                f"Suites: bookworm bookworm-updates\nComponents: main\n{key}\n"
                f"\nTypes: deb\nURIs: "
                f"{MIRROR.rsplit('/', 1)[0]}/debian-security\n"
                f"Suites: bookworm-security\nComponents: main\n{key}\n")
    for sub in ("var/lib/apt/lists", "var/cache/apt/archives"):
        p = os.path.join(rootfs, sub)
        for name in os.listdir(p):
            if name.endswith(".deb") or name not in ("partial", "lock"):
                full = os.path.join(p, name)
                if os.path.isfile(full):
                    os.remove(full)
    tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."],
                           stdout=subprocess.PIPE)
    rc, out = run(["podman", "import", "--change", 'CMD ["bash"]', "-", BASE],
                  180, env, stdin=tar.stdout)
    tar.stdout.close()
    tar.wait()
    shutil.rmtree(rootfs, ignore_errors=True)
    if rc != 0:
        skip(f"podman import of the base image failed (exit {rc}):\n"
             + tail(out, 10))
    say(f"base image made in {time.monotonic() - t:.0f} s")


# ---- the stack ---------------------------------------------------------------

class Stack:
    def __init__(self, env, wrapper, d):
        self.env = env
        self.wrapper = wrapper
        self.dir = d
        self.project = f"xsgtest{os.getpid()}"
        tag = "t" + hashlib.sha1(SRC.encode()).hexdigest()[:10]
        self.images = {s: f"localhost/{IMAGES[s]}:{tag}" for s in SERVICES}
        # the images of this source tree under their own tag
        self.override = os.path.join(d, "override.yaml")
        with open(self.override, "w") as f:
            f.write("services:\n" + "".join(
                f"  {s}:\n    image: {self.images[s]}\n" for s in SERVICES))
        self.ports = {
            "XMPP_C2S_PORT": gwtest.free_port(),
            "XMPP_COMPONENT_PORT": gwtest.free_port(),
            "XMPP_HTTP_PORT": gwtest.free_port(),
            "SIP_PORT": gwtest.free_port(udp_too=True),
            "GATEWAY_SIP_PORT": gwtest.free_port(udp_too=True),
            "RTPENGINE_NG_PORT": gwtest.free_port(udp_too=True),
            "GATEWAY_HEALTH_PORT": gwtest.free_port(),
        }
        rtp = random.randrange(20000, 29800, 200)
        self.ports.update(RTP_PORT_MIN=rtp, RTP_PORT_MAX=rtp + 199)
        self.compose_env = dict(env, DEMO_HOST=HOST, **{
            k: str(v) for k, v in self.ports.items()})
        self.up_called = False

    def compose(self, args, timeout):
        argv = ["podman-compose", "--podman-path", self.wrapper,
                "-p", self.project, "-f", COMPOSE, "-f", self.override] + args
        return run(argv, timeout, self.compose_env)

    def build(self):
        rc, out = self.compose(
            ["--podman-build-args", "--format docker --network host",
             "build"], 540)
        with open(os.path.join(self.dir, "build.log"), "w") as f:
            f.write(out)
        failed = re.findall(r"^exit code: ([1-9]\d*)$", out, re.M)
        missing = [s for s in SERVICES if run(
            ["podman", "image", "exists", self.images[s]], 30,
            self.env)[0] != 0]
        if rc != 0 or failed or missing:
            return False, (f"podman-compose build exit {rc}, failed builds "
                           f"{failed}, images missing {missing}:\n"
                           + tail(out, 40))
        return True, ""

    def up(self):
        self.up_called = True
        rc, out = self.compose(["up", "-d"], 180)
        with open(os.path.join(self.dir, "up.log"), "w") as f:
            f.write(out)
        return rc, out

    def container(self, service):
        rc, out = run(["podman", "ps", "-a", "--format", "{{.Names}}",
                       "--filter", f"label=com.docker.compose.project="
                       f"{self.project}", "--filter",
                       f"label=com.docker.compose.service={service}"],
                      30, self.env)
        names = out.split()
        return names[0] if rc == 0 and names else None

    def logs(self, service):
        name = self.container(service)
        if name is None:
            return ""
        return run(["podman", "logs", name], 30, self.env)[1]

    def wait_log(self, service, pattern, timeout):
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if rx.search(self.logs(service)):
                return True
            time.sleep(0.5)
        return False

    def down(self):
        if not self.up_called:
            return
        rc, out = self.compose(["down", "-v", "-t", "10"], 120)
        if rc != 0:
            say("podman-compose down: exit %s\n%s" % (rc, tail(out, 10)))
        # podman-compose 1.0.3 creates the project's network and leaves it
        net = f"{self.project}_default"
        if run(["podman", "network", "exists", net], 30, self.env)[0] == 0:
            run(["podman", "network", "rm", "-f", net], 60, self.env)


def remove_stale_projects(env):
    """Containers, volumes and networks of earlier runs of this test whose
    process is gone (killed before its cleanup)."""
    rc, out = run(["podman", "ps", "-a", "--format",
                   '{{index .Labels "com.docker.compose.project"}} {{.Names}}'],
                  30, env)
    rc2, vols = run(["podman", "volume", "ls", "--format", "{{.Name}}"],
                    30, env)
    rc3, nets = run(["podman", "network", "ls", "--format", "{{.Name}}"],
                    30, env)
    stale = set()
    for word in (out + " " + vols + " " + nets).split():
        m = re.match(r"^xsgtest(\d+)", word)
        if m and int(m.group(1)) != os.getpid() and \
                not os.path.exists(f"/proc/{m.group(1)}"):
            stale.add(m.group(0))
    for project in sorted(stale):
        say(f"removing what a killed run left: {project}")
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == project:
                run(["podman", "rm", "-f", "-t", "1", parts[1]], 60, env)
        for v in vols.split():
            if v.startswith(project + "_"):
                run(["podman", "volume", "rm", "-f", v], 60, env)
        for n in nets.split():
            if n.startswith(project + "_"):
                run(["podman", "network", "rm", "-f", n], 60, env)


# ---- the checks ----------------------------------------------------------------

class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=""):
        self.results.append(bool(ok))
        say(("PASS " if ok else "FAIL ") + name +
            (f": {detail}" if detail and not ok else ""))
        return ok

    def summary(self):
        passed = sum(self.results)
        failed = len(self.results) - passed
        print(f"{passed} passed, {failed} failed", flush=True)
        return failed == 0


class XmppEnv:
    """What gwtest.XmppClient needs of an environment."""

    def __init__(self, c2s):
        self.prosody = type("P", (), {"c2s": c2s})()
        self.clients = []


class Phone:
    """scripts/sip-phone as 1001 at Kamailio, started here and stopped by
    its PID."""

    def __init__(self, d, kam_port, args, name):
        self.log_path = os.path.join(d, name + ".log")
        self.logf = open(self.log_path, "wb")
        self.p = subprocess.Popen(
            ["/usr/bin/python3", PHONE, "--registrar", f"{HOST}:{kam_port}",
             "--user", "1001", "--domain", "pbx.localhost",
             "--password", "1001pw"] + args,
            stdin=subprocess.DEVNULL, stdout=self.logf,
            stderr=subprocess.STDOUT, start_new_session=True)

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if re.search(pattern, self.log()):
                return True
            if self.p.poll() is not None:
                return bool(re.search(pattern, self.log()))
            time.sleep(0.1)
        return False

    def wait(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGTERM)
            if self.wait(5) is None:
                os.kill(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        self.logf.close()


def http_get(port, path, timeout=3):
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}",
                                    timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except OSError as e:
        return None, str(e)


def has_admin_http_listen(env, image):
    """Whether the image's binary lists [admin] http_listen."""
    rc, out = run(["podman", "run", "--rm", "--no-healthcheck",
                   "--network", "none", image, "--help-config"], 60, env)
    group = None
    for line in out.splitlines():
        m = re.match(r"^\[([a-z0-9_]+)\]$", line)
        if m:
            group = m.group(1)
        elif group == "admin" and re.match(r"^  http_listen( |$)", line):
            return True
    return False


def entrypoint_checks(c, env, image, d):
    """16.5: one-off containers of the image, no network."""
    base = ["podman", "run", "--rm", "--no-healthcheck", "--network", "none"]
    rc, out = run(base + ["-e", "GW_MAPPING_SIP_DOMAIN=pbx.example.com",
                          "-e", "GW_XMPP_SECRET=not-used", image], 60, env)
    c.check("16.5 no component domain: exit 2, the key named",
            rc == 2 and "component_domain" in out and "refused" in out,
            f"exit {rc}\n{tail(out, 8)}")
    rc, out = run(base + ["-e", "GW_XMPP_SECRT=x", image], 60, env)
    c.check("16.5 an unknown GW_ variable: exit 2, named",
            rc == 2 and "GW_XMPP_SECRT is not a configuration variable" in out,
            f"exit {rc}\n{tail(out, 8)}")
    secret = "s3cr3t-" + hashlib.sha1(os.urandom(8)).hexdigest()[:12]
    rc, out = run(base + [
        "-e", "GW_XMPP_COMPONENT_DOMAIN=sip.example.com",
        "-e", f"GW_XMPP_SECRET={secret}",
        "-e", "GW_MAPPING_SIP_DOMAIN=pbx.example.com",
        "-e", "GW_SECURITY_TRUSTED_SIP_SOURCES=192.0.2.0/24",
        image, "--check-config"], 60, env)
    c.check("16.5 configuration from variables passes --check-config; the "
            "secret given as a variable is in no output",
            rc == 0 and ": OK" in out and secret not in out
            and "secret_file = /tmp/xmpp-sip-gateway/secrets/xmpp.secret"
            in out, f"exit {rc}\n{tail(out, 20)}")
    conf = os.path.join(d, "mounted.conf")
    with open(conf, "w") as f:
        f.write("[xmpp]\ncomponent_domain = sip.mounted.example\n"
                "secret_file = /run/component.secret\n"
                "[mapping]\nsip_domain = pbx.mounted.example\n")
    sec = os.path.join(d, "component.secret")
    with open(sec, "w") as f:
        f.write(secret + "\n")
    os.chmod(conf, 0o644)
    os.chmod(sec, 0o644)
    rc, out = run(base + [
        "-v", f"{conf}:/etc/xmpp-sip-gateway/gateway.conf:ro",
        "-v", f"{sec}:/run/component.secret:ro",
        "-e", "GW_SIP_LISTEN=sip:0.0.0.0:5099", image, "--check-config"],
        60, env)
    c.check("16.5 a mounted configuration is used as it is (variables "
            "ignored, said so)",
            rc == 0 and "/etc/xmpp-sip-gateway/gateway.conf: OK" in out
            and "ignoring GW_SIP_LISTEN" in out and secret not in out,
            f"exit {rc}\n{tail(out, 10)}")


def main():
    if os.geteuid() != 0:
        skip("podman runs rootful here: run as root")
    install_podman()
    d = tempfile.mkdtemp(prefix="gwtest-docker-")
    env, wrapper = write_engine_files(d)
    rc, out = run(["podman", "info", "--format",
                   "{{.Host.OCIRuntime.Name}}"], 60, env)
    if rc != 0:
        skip("podman does not work here:\n" + tail(out, 10))
    remove_stale_projects(env)

    c = Checks()
    stack = Stack(env, wrapper, d)
    phones = []
    xenv = XmppEnv(stack.ports["XMPP_C2S_PORT"])
    keep = False
    try:
        lock = Lock(300)
        try:
            make_base_image(env, d)
            rc, out = run(["podman", "run", "--rm", "--network", "host",
                           BASE, "true"], 120, env)
            if rc != 0:
                skip("podman cannot run a container here:\n" + tail(out, 10))
            say("building the images (podman-compose build)")
            t = time.monotonic()
            ok, why = stack.build()
        finally:
            lock.release()
        built = time.monotonic() - t
        if not c.check("16.1 images built", ok, why):
            return c.summary()
        say(f"images built in {built:.0f} s")

        say("starting the stack: project %s, ports %s" % (
            stack.project, ", ".join(f"{k}={v}" for k, v in
                                     sorted(stack.ports.items()))))
        t = time.monotonic()
        rc, out = stack.up()
        up = stack.wait_log("gateway", r"XMPP link up", 60) and \
            stack.wait_log("gateway", r"registered gateway@gw\.localhost",
                           30)
        if not c.check("16.1 stack up: gateway linked to Prosody and "
                       "registered at Kamailio", up,
                       f"podman-compose up exit {rc}\n{tail(out, 15)}\n"
                       "gateway:\n" + tail(stack.logs("gateway"), 25)
                       + "\nprosody:\n" + tail(stack.logs("prosody"), 10)
                       + "\nkamailio:\n" + tail(stack.logs("kamailio"), 10)):
            keep = True
            return c.summary()
        say(f"stack up in {time.monotonic() - t:.1f} s")
        kam = stack.ports["SIP_PORT"]

        # 16.2 XMPP -> SIP
        text1 = "hello SIP from a container " + os.urandom(3).hex()
        phone = Phone(d, kam, ["--wait-message", "30"], "phone-wait")
        phones.append(phone)
        c.check("16.2 phone 1001 registered at the containerised Kamailio",
                phone.wait_log(r"registered sip:1001@", 15), phone.log())
        alice = gwtest.XmppClient(xenv, "alice", "alicepw").connect(15)
        mid = alice.send_message("1001@sip.localhost", text1, receipt=True)
        try:
            alice.wait(lambda s: s.find(f"{{{NS_RECEIPTS}}}received")
                       is not None and s.find(f"{{{NS_RECEIPTS}}}received")
                       .get("id") == mid, 20, "receipt")
            got_receipt = True
        except AssertionError as e:
            got_receipt = str(e)
        c.check("16.2 XMPP -> SIP: alice gets a receipt", got_receipt is True,
                str(got_receipt))
        prc = phone.wait(15)
        c.check("16.2 XMPP -> SIP: phone 1001 got alice's text",
                prc == 0 and text1 in phone.log()
                and "alice@gw.localhost" in phone.log(),
                f"exit {prc}\n{tail(phone.log(), 8)}")

        # 16.3 SIP -> XMPP
        text2 = "hello XMPP from a container " + os.urandom(3).hex()
        sender = Phone(d, kam, ["--to", "sip:alice@gw.localhost",
                                "--send", text2], "phone-send")
        phones.append(sender)
        src = sender.wait(40)
        c.check("16.3 SIP -> XMPP: the MESSAGE is answered 200",
                src == 0 and " 200 " in sender.log(),
                f"exit {src}\n{tail(sender.log(), 8)}")
        try:
            m = alice.wait(lambda s: s.tag == "message"
                           and body_of(s) == text2, 15, "1001's message")
            ok = m.get("from", "").startswith("1001@sip.localhost")
            detail = m.get("from")
        except AssertionError as e:
            ok, detail = False, str(e)
        c.check("16.3 SIP -> XMPP: alice got 1001's text from "
                "1001@sip.localhost", ok, detail)
        alice.close()

        # 16.4 health
        gw = stack.container("gateway")
        image = stack.images["gateway"]
        admin = has_admin_http_listen(env, image)
        rc, out = run(["podman", "healthcheck", "run", gw], 60, env)
        c.check("16.4 podman healthcheck run: healthy", rc == 0,
                f"exit {rc}: {out.strip()}")
        if admin:
            port = stack.ports["GATEWAY_HEALTH_PORT"]
            status, body = http_get(port, "/health")
            c.check("16.4 GET /health: 200 ok",
                    status == 200 and body.startswith("ok\n"),
                    f"{status} {body!r}")
        else:
            say("16.4 this gateway has no [admin] http_listen yet: only the "
                "healthcheck's fallback is checked")
            c.check("16.4 the entry point says the health endpoint is "
                    "missing", "no [admin] http_listen" in
                    stack.logs("gateway"))

        # 16.5 the entry point
        entrypoint_checks(c, env, image, d)

        if admin:
            # with Prosody stopped, the XMPP link is down: 503, unhealthy
            run(["podman", "stop", "-t", "5", stack.container("prosody")],
                60, env)
            end = time.monotonic() + 20
            status = None
            while time.monotonic() < end:
                status, body = http_get(port, "/health")
                if status == 503:
                    break
                time.sleep(0.5)
            c.check("16.4 Prosody stopped: GET /health 503", status == 503,
                    f"{status} {body!r}")
            rc, out = run(["podman", "healthcheck", "run", gw], 60, env)
            c.check("16.4 Prosody stopped: podman healthcheck run: "
                    "unhealthy", rc == 1, f"exit {rc}: {out.strip()}")

        # 16.6 clean stop
        rc, out = run(["podman", "stop", "-t", "15", gw], 60, env)
        rc, code = run(["podman", "inspect", gw, "--format",
                        "{{.State.ExitCode}}"], 30, env)
        log = stack.logs("gateway")
        c.check("16.6 podman stop: the gateway exits 0", code.strip() == "0",
                f"exit {code.strip()}\n{tail(log, 10)}")
        c.check("16.6 the gateway un-REGISTERed on stop",
                re.search(r"unregistered \(200", log) is not None,
                tail(log, 10))
        return c.summary()
    finally:
        for p in phones:
            p.stop()
        for cl in xenv.clients:
            cl.close()
        if not all(c.results) or keep:
            for s in SERVICES:
                with open(os.path.join(d, s + ".log"), "w") as f:
                    f.write(stack.logs(s))
        stack.down()
        if all(c.results) and not keep:
            shutil.rmtree(d, ignore_errors=True)
        else:
            say(f"logs kept in {d}")
        say("done")


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
