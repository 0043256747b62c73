"""Helpers shared by bench_presence.py and bench_calls.py (issues 5 and 6):
processes started here and stopped by their PID, free loopback ports,
per-process CPU and memory from /proc, the gateway's config, the heap as
malloc sees it (through gdb, when asked).

Everything runs on 127.0.0.1."""

import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# the integration tests' addresses, free-port finder and Prosody config
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from gwtest import (COMPONENT, GW_SIP_DOMAIN, HOST,  # noqa: E402,F401
                    PBX_DOMAIN, XMPP_DOMAIN, free_port, prosody_config,
                    wait_tcp)

SECRET = "bench-component-secret"
CLK_TCK = os.sysconf("SC_CLK_TCK")
VERBOSE = False


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def vlog(*a):
    if VERBOSE:
        log(*a)


def proc_cpu(pid):
    """utime+stime of a live process (all threads), seconds, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_stime(pid):
    """Time in the kernel (stime: system calls, and the network stack's
    work done for them) of a live process, all threads, seconds; None
    when gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return int(rest[12]) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_sched_s(pid):
    """Time on CPU of all threads (ns precision, schedstat), seconds."""
    total = 0
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total / 1e9


def proc_status_kib(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_kib(pid):
    return proc_status_kib(pid, "VmRSS")


def hwm_kib(pid):
    return proc_status_kib(pid, "VmHWM")


def machine_busy():
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return sum(v) - idle, sum(v)


def udp_rcvbuf_errors():
    try:
        with open("/proc/net/snmp") as f:
            rows = [l.split() for l in f if l.startswith("Udp:")]
        return int(rows[1][rows[0].index("RcvbufErrors")])
    except (OSError, ValueError, IndexError):
        return 0


def gdb_heap(pid, trim=False):
    """The heap as glibc sees it, through gdb (the process pauses for a
    moment): {'in_use': bytes allocated (uordblks + hblkhd), 'arena':
    bytes the main arena holds, 'free': fordblks}; with trim, malloc_trim
    first (RSS after it is the live memory). None without gdb."""
    if shutil.which("gdb") is None:
        return None
    cmds = []
    if trim:
        cmds += ["-ex", "call (int)malloc_trim(0)"]
    cmds += ["-ex", "p (long)mallinfo2().uordblks",
             "-ex", "p (long)mallinfo2().hblkhd",
             "-ex", "p (long)mallinfo2().arena",
             "-ex", "p (long)mallinfo2().fordblks"]
    try:
        out = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx"] + cmds,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             timeout=60).stdout.decode("utf-8", "replace")
    except (subprocess.TimeoutExpired, OSError):
        return None
    vals = []
    for line in out.splitlines():
        if line.startswith("$") and "=" in line:
            try:
                vals.append(int(line.split("=", 1)[1].strip()))
            except ValueError:
                pass
    if len(vals) < 4:
        return None
    vals = vals[-4:]
    return {"in_use": vals[0] + vals[1], "arena": vals[2], "free": vals[3]}


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    i = int(round(p / 100.0 * (len(v) - 1)))
    return v[min(i, len(v) - 1)]


def fmt(v, spec="%.0f", none="n/a"):
    return spec % v if v is not None else none


def kv(line):
    """'WORD k=v k=v' -> {k: number or text}."""
    out = {}
    for item in line.split()[1:]:
        if "=" not in item:
            continue
        k, v = item.split("=", 1)
        try:
            out[k] = float(v) if "." in v else int(v)
        except ValueError:
            out[k] = v
    return out


class Proc:
    """A child started here, stopped by its PID; rusage kept on exit."""

    def __init__(self, name, argv, workdir, stdout=None, stdin=None,
                 env=None):
        self.name = name
        self.dir = workdir
        self.log_path = os.path.join(workdir, name + ".log")
        self.logf = open(self.log_path, "ab")
        self.p = subprocess.Popen(
            argv, cwd=workdir, env=env, start_new_session=True,
            stdout=stdout if stdout is not None else self.logf,
            stderr=self.logf,
            stdin=stdin if stdin is not None else subprocess.DEVNULL)
        self.pid = self.p.pid
        self.status = None
        self.rusage = None
        self.lines = queue.Queue()
        if stdout == subprocess.PIPE:
            threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for raw in self.p.stdout:
            self.lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self.lines.put(None)

    def next_line(self, prefix, timeout):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.lines.put(None)
                return None
            vlog("  %s: %s" % (self.name, line))
            if line.startswith(prefix):
                return line

    def ask(self, command, prefix, timeout):
        """Sends a command line; the answer line starting with prefix as a
        dict (None on timeout)."""
        self.send_line(command)
        line = self.next_line(prefix, timeout)
        return kv(line) if line is not None else None

    def send_line(self, text):
        vlog("  -> %s: %s" % (self.name, text))
        self.p.stdin.write((text + "\n").encode())
        self.p.stdin.flush()

    def _reap(self, flags):
        if self.status is not None:
            return True
        try:
            pid, status, ru = os.wait4(self.pid, flags)
        except ChildProcessError:
            self.status = -1
            return True
        if pid == 0:
            return False
        self.status = os.waitstatus_to_exitcode(status)
        self.rusage = ru
        self.p.returncode = self.status
        return True

    def alive(self):
        return not self._reap(os.WNOHANG)

    def wait(self, timeout):
        end = time.monotonic() + timeout
        while not self._reap(os.WNOHANG):
            if time.monotonic() >= end:
                return False
            time.sleep(0.02)
        return True

    def cpu_total(self):
        if self.rusage is not None:
            return self.rusage.ru_utime + self.rusage.ru_stime
        return proc_sched_s(self.pid)

    def stop(self, sig=signal.SIGTERM, timeout=5.0):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass
            if not self.wait(timeout):
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.wait(5)
        for f in (self.p.stdin, self.p.stdout):
            if f is not None:
                try:
                    f.close()
                except OSError:
                    pass
        if not self.logf.closed:
            self.logf.close()
        return self.status

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


class Runner:
    """A temp dir and the processes started in it."""

    def __init__(self, keep=False, prefix="gwbench-pc-"):
        self.root = tempfile.mkdtemp(prefix=prefix)
        self.keep = keep
        self.procs = []
        self.n = 0

    def subdir(self, name):
        self.n += 1
        d = os.path.join(self.root, "%s%03d" % (name, self.n))
        os.makedirs(d, exist_ok=True)
        return d

    def start(self, name, argv, workdir=None, **kw):
        d = workdir or self.subdir(name)
        vlog("  start %s: %s" % (name, " ".join(argv)))
        p = Proc(name, argv, d, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            p.stop(timeout=10 if p.name == "gateway" else 5)
        self.procs = []

    def close(self):
        self.stop_all()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            log("kept " + self.root)

    def start_gateway(self, gw_bin, xmpp_port, sip_port, extra=None,
                      level="message"):
        """The gateway with a generated config; `extra` is
        {group: {key: value}} merged over the defaults."""
        d = self.subdir("gw")
        groups = {
            "xmpp": {
                "server": HOST, "port": xmpp_port,
                "component_domain": COMPONENT, "secret": SECRET,
                "reconnect_min_ms": 100, "reconnect_max_ms": 1000,
                "send_queue_bytes": 64 * 1024 * 1024,
            },
            "sip": {
                "listen": f"sip:{HOST}:{sip_port}",
                "domain": GW_SIP_DOMAIN,
                "transports": "udp",
            },
            "mapping": {
                "sip_domain": PBX_DOMAIN,
                "rules": f"*@{XMPP_DOMAIN} = sip:*@{GW_SIP_DOMAIN}",
            },
            "security": {
                "trusted_sip_sources": HOST,
                "xmpp_rate": 1000000, "xmpp_burst": 1000000,
                "sip_rate": 1000000, "sip_burst": 1000000,
                "trusted_sip_rate": 1000000, "trusted_sip_burst": 1000000,
            },
            "log": {"level": level},
        }
        for g, keys in (extra or {}).items():
            groups.setdefault(g, {}).update(keys)
        conf = os.path.join(d, "gateway.conf")
        with open(conf, "w") as f:
            for g, keys in groups.items():
                f.write("[%s]\n" % g)
                for k, v in keys.items():
                    if v is not None:
                        f.write("%s = %s\n" % (k, v))
                f.write("\n")
        env = dict(os.environ, G_MESSAGES_DEBUG="")
        return self.start("gateway", [gw_bin, "--config", conf], workdir=d,
                          env=env)


def wait_log(proc, text, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if text in proc.log_text():
            return True
        if not proc.alive():
            break
        time.sleep(0.05)
    return False


def udp_socket_fd(pid, port):
    """The fd of the process's UDP socket bound to `port`, or None."""
    inode = None
    for path in ("/proc/%d/net/udp" % pid, "/proc/%d/net/udp6" % pid):
        try:
            with open(path) as f:
                for line in list(f)[1:]:
                    parts = line.split()
                    if int(parts[1].split(":")[1], 16) == port:
                        inode = parts[9]
        except (OSError, IndexError, ValueError):
            pass
    if inode is None:
        return None
    d = "/proc/%d/fd" % pid
    for fd in os.listdir(d):
        try:
            if os.readlink(os.path.join(d, fd)) == "socket:[%s]" % inode:
                return int(fd)
        except OSError:
            pass
    return None


def set_rcvbuf(pid, port, size):
    """EXPERIMENT ONLY: enlarges the receive buffer of the process's UDP
    socket on `port` by calling setsockopt(SO_RCVBUFFORCE) inside it
    through gdb (what the gateway itself could do at start). True when
    the kernel now reports at least `size`."""
    fd = udp_socket_fd(pid, port)
    if fd is None or shutil.which("gdb") is None:
        return False
    cmds = ["-ex", "set $p = (int *)malloc(4)",
            "-ex", "set *$p = %d" % size,
            "-ex", "call (int)setsockopt(%d, 1, 33, $p, 4)" % fd,
            "-ex", "call (void)free($p)"]
    try:
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx"] + cmds,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=60)
    except (subprocess.TimeoutExpired, OSError):
        return False
    try:
        out = subprocess.run(["ss", "-uanmp"], stdout=subprocess.PIPE,
                             timeout=10).stdout.decode()
    except (subprocess.TimeoutExpired, OSError):
        return True
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if ":%d " % port in line and i + 1 < len(lines):
            m = lines[i + 1]
            if "rb" in m:
                try:
                    rb = int(m.split("rb", 1)[1].split(",")[0])
                    return rb >= size
                except ValueError:
                    return True
    return True


def udp_drops_of(pid):
    """Datagrams dropped (full receive buffer) on the UDP sockets the
    process holds now: {local port: drops}; {} when it is gone."""
    inodes = set()
    d = "/proc/%d/fd" % pid
    try:
        for fd in os.listdir(d):
            try:
                link = os.readlink(os.path.join(d, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return {}
    out = {}
    for path in ("/proc/%d/net/udp" % pid, "/proc/%d/net/udp6" % pid):
        try:
            with open(path) as f:
                for line in list(f)[1:]:
                    parts = line.split()
                    if len(parts) >= 13 and parts[9] in inodes:
                        port = int(parts[1].split(":")[1], 16)
                        out[port] = out.get(port, 0) + int(parts[-1])
        except (OSError, ValueError, IndexError):
            pass
    return out


def drops_total(pid):
    return sum(udp_drops_of(pid).values())


def sipp_stats(path):
    """The last line of a SIPp -trace_stat CSV as {column: value}."""
    try:
        with open(path) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except OSError:
        return {}
    if len(lines) < 2:
        return {}
    keys = lines[0].split(";")
    vals = lines[-1].split(";")
    d = dict(zip(keys, vals))
    res = {}
    for k in ("SuccessfulCall(C)", "FailedCall(C)", "Retransmissions(C)",
              "DeadCallMsgs(C)", "OutOfCallMsgs(C)", "TotalCallCreated",
              "IncomingCall(C)", "OutgoingCall(C)"):
        try:
            res[k.split("(")[0]] = int(float(d.get(k, "0") or 0))
        except ValueError:
            res[k.split("(")[0]] = 0
    return res


def sipp_rtts(d):
    """[(date_ms, rtt_ms)] from SIPp's -trace_rtt file in d."""
    out = []
    for f in os.listdir(d):
        if not f.endswith("_rtt.csv"):
            continue
        with open(os.path.join(d, f)) as fh:
            for line in fh:
                parts = line.strip().split(";")
                if len(parts) >= 2:
                    try:
                        out.append((float(parts[0]), float(parts[1])))
                    except ValueError:
                        pass
    return out


def prosody_components(components):
    """More Component sections for prosody_config()'s text (it ends with
    the gateway's): {domain: secret}."""
    return "".join('Component "%s"\n  component_secret = "%s"\n' % (d, s)
                   for d, s in components.items())


def group_pids(pgid):
    """The live processes of a process group (a child started with
    start_new_session=True and what it forked): [pid]."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # rest[0] state, rest[1] ppid, rest[2] pgrp; zombies hold no CPU
        if len(rest) > 2 and rest[2] == str(pgid) and rest[0] != "Z":
            out.append(int(name))
    return sorted(out)


def group_cpu_s(pgid):
    """CPU time of all processes (all threads) of a process group,
    seconds (schedstat, ns precision)."""
    return sum(proc_sched_s(p) or 0.0 for p in group_pids(pgid))


def group_stime(pgid):
    """proc_stime() summed over a process group."""
    return sum(proc_stime(p) or 0.0 for p in group_pids(pgid))


def pss_kib(pid):
    """Proportional set size (shared pages split among their users):
    summed over processes, the memory they hold together."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def tcp_established_to(port):
    """Established TCP connections on 127.0.0.1 whose remote port is
    `port` (the client side of a connection to a local server)."""
    n = 0
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                cols = line.split()
                if cols[3] == "01" and int(cols[2].split(":")[1], 16) == port:
                    n += 1
    except (OSError, ValueError, IndexError, StopIteration):
        pass
    return n
