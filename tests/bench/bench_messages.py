#!/usr/bin/python3
"""Issue-3 benchmark: text messages through the gateway, both ways.

Everything runs on 127.0.0.1 on ports picked free, each process is started
here and stopped by its PID, every run is bounded (<= 60 s) and so is the
whole bench (about 5 minutes by default, --repeat 3 about 9).

  a. gateway alone (no Prosody): compload (tests/bench/compload.c) is the
     XMPP server the gateway connects to; SIPp is the SIP peer.
     XMPP->SIP: compload sends, SIPp UAS answers 200.
     SIP->XMPP: SIPp UAC sends, compload counts stanzas and answers the
     gateway's confirmation pings (XEP-0199; pings/msg is printed).
     Offered rates are stepped up; the highest with zero failures (and
     >= 95 % of the offered rate achieved) is "sustained". Gateway CPU per
     message from /proc/PID/stat (utime+stime) around the run, peak RSS
     from VmHWM, each process's CPU share to name the bottleneck.
  b. through Prosody: c2sload (tests/bench/c2sload.c) logged in as alice
     sends / receives instead of compload.
  c. latency at 1,000 msg/s for 10 s: SIP MESSAGE -> 200 as SIPp sees it
     (-trace_rtt, whole ms; the 200 goes out only once the ping written
     behind the stanza is answered), SIP send -> stanza read with us
     resolution (SIPp's send time stamped in the body, read by compload),
     and XMPP message -> receipt as compload sees it.
  d. steady state at 1,000 msg/s: the gateway's CPU once Sofia starts
     expiring finished UDP transactions (Timer K 5 s after an answer to a
     MESSAGE it sent, Timer J 32 s after one it answered): seconds 6-10 of
     the XMPP->SIP latency runs and one 40 s SIP->XMPP run; its RSS then.

Usage: tests/bench/bench_messages.sh [--repeat 3] (builds, then runs this)
       /usr/bin/python3 tests/bench/bench_messages.py [--build DIR]
       [--repeat N] [--quick] [--only a,b,c] [--keep] [-v]
(--only c includes d.) Results and analysis: bench_messages_results.md.
The build dir needs gateway/xmpp-sip-gateway, tests/bench/compload and
tests/bench/c2sload (tests/bench/bench_messages.sh builds them, Release).
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# the shared bench utilities (process control, CPU, ports, statistics)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_presence_calls_lib as L  # noqa: E402
from bench_presence_calls_lib import (Proc, fmt, free_port,  # noqa: E402
                                      hwm_kib, log, machine_busy, median,
                                      percentile, proc_cpu, rss_kib,
                                      sipp_rtts, sipp_stats, vlog)

from bench_presence_calls_lib import (COMPONENT, GW_SIP_DOMAIN,  # noqa: E402
                                      HERE, HOST, PBX_DOMAIN, SECRET,
                                      XMPP_DOMAIN, wait_tcp)

ALICE_PW = "alicepw"

TARGET_SIP2XMPP = 8000
TARGET_XMPP2SIP = 12000
TARGET_CPU_US = 50
TARGET_P99_MS = 5
TARGET_RSS_MIB = 20
RUN_LIMIT_S = 60


def udp_drops(ports):
    """{port: datagrams dropped} for our UDP sockets on 127.0.0.1 (the
    kernel's per-socket counter, /proc/net/udp, mostly full receive
    buffers)."""
    out = {}
    try:
        with open("/proc/net/udp") as f:
            next(f)
            for line in f:
                cols = line.split()
                port = int(cols[1].split(":")[1], 16)
                if port in ports:
                    out[port] = out.get(port, 0) + int(cols[-1])
    except (OSError, ValueError, IndexError, StopIteration):
        pass
    return out


def parse_result(line):
    out = {}
    for kv in line.split()[1:]:
        k, v = kv.split("=", 1)
        try:
            out[k] = float(v) if "." in v else int(v)
        except ValueError:
            out[k] = v
    return out


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.gw_bin = os.path.join(self.build, "gateway", "xmpp-sip-gateway")
        self.compload = os.path.join(self.build, "tests", "bench", "compload")
        self.c2sload = os.path.join(self.build, "tests", "bench", "c2sload")
        for b in (self.gw_bin, self.compload, self.c2sload):
            if not os.access(b, os.X_OK):
                raise SystemExit("missing %s: build it first "
                                 "(tests/bench/bench_messages.sh does)" % b)
        self.root = tempfile.mkdtemp(prefix="gwbench-")
        self.procs = []
        self.prosody = None
        self.prosody_dir = None
        self.c2s_port = None
        self.comp_port = None
        self.n = 0
        self.rss_kib = []
        self.rss_idle_kib = []
        self.results = []
        self.started = time.monotonic()

    # ---- processes -----------------------------------------------------

    def start(self, name, argv, **kw):
        self.n += 1
        d = os.path.join(self.root, "r%03d" % self.n)
        os.makedirs(d, exist_ok=True)
        vlog("  start %s: %s" % (name, " ".join(argv)))
        p = Proc(name, argv, kw.pop("workdir", d), **kw)
        self.procs.append(p)
        return p

    def close(self):
        for p in reversed(self.procs):
            p.stop()
        if self.prosody is not None:
            self.prosody.stop(timeout=10)
            self.prosody = None
        if not self.args.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            log("kept " + self.root)

    # ---- Prosody -------------------------------------------------------

    def start_prosody(self, components=None):
        """One Prosody for the bench; components: more {domain: secret}
        beside the gateway's (bench_peer.py adds Kamailio's)."""
        d = os.path.join(self.root, "prosody")
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        os.makedirs(os.path.join(d, "certs"), exist_ok=True)
        self.c2s_port = free_port()
        self.comp_port = free_port()
        cfg = os.path.join(d, "prosody.cfg.lua")
        with open(cfg, "w") as f:
            f.write(L.prosody_config(d, self.c2s_port, self.comp_port,
                                     COMPONENT, SECRET, log_level="warn",
                                     extra=self.args.prosody_extra) +
                    L.prosody_components(components or {}))
        subprocess.run(["prosodyctl", "--config", cfg, "register", "alice",
                        XMPP_DOMAIN, ALICE_PW], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.prosody_dir = d
        self.prosody = Proc("prosody", ["prosody", "-F", "--config", cfg], d)
        wait_tcp(self.c2s_port)
        wait_tcp(self.comp_port)

    # ---- the gateway ---------------------------------------------------

    def start_gateway(self, xmpp_port, sip_port, uas_port, name="gateway",
                      transport="udp", default_limits=False, settings=()):
        """default_limits: keep [limits] as shipped (the peer bench), not
        raised out of the way of the highest rates (this bench).
        settings: "group.key=value" strings set last (tuning runs)."""
        d = os.path.join(self.root, "gw%03d" % (self.n + 1))
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "gateway.conf")
        groups = {
            "xmpp": {
                "server": HOST, "port": xmpp_port,
                "component_domain": COMPONENT, "secret": SECRET,
                "reconnect_min_ms": 100, "reconnect_max_ms": 1000,
            },
            "sip": {
                "listen": f"sip:{HOST}:{sip_port}",
                "domain": GW_SIP_DOMAIN,
                "outbound_proxy": f"sip:{HOST}:{uas_port}" + (
                    ";transport=tcp" if transport == "tcp" else ""),
            },
            "mapping": {
                "sip_domain": PBX_DOMAIN,
                "rules": f"*@{XMPP_DOMAIN} = sip:*@{GW_SIP_DOMAIN}",
            },
            "security": {
                "allow_messages": f"alice@{XMPP_DOMAIN} *",
                "trusted_sip_sources": HOST,
                "xmpp_rate": 1000000, "xmpp_burst": 1000000,
                "sip_rate": 1000000, "sip_burst": 1000000,
                "trusted_sip_rate": 1000000, "trusted_sip_burst": 1000000,
            },
            "limits": {
                "max_pending_sip": 100000, "max_pending_xmpp": 100000,
            },
            "log": {"level": "message"},
        }
        if default_limits:
            del groups["limits"]
        for setting in settings:
            name, value = setting.split("=", 1)
            group, key = name.split(".", 1)
            groups.setdefault(group, {})[key] = value
        with open(conf, "w") as f:
            for g, keys in groups.items():
                f.write("[%s]\n" % g)
                for k, v in keys.items():
                    f.write("%s = %s\n" % (k, v))
                f.write("\n")
        env = dict(os.environ, G_MESSAGES_DEBUG="")
        return self.start(name, [self.gw_bin, "--config", conf],
                          workdir=d, env=env)

    def wait_gateway_up(self, gw, timeout=15):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if "XMPP link up" in gw.log_text():
                return True
            if not gw.alive():
                break
            time.sleep(0.05)
        raise RuntimeError("gateway did not come up:\n" + gw.log_text()[-2000:])

    # ---- SIPp ----------------------------------------------------------

    def sipp(self, name, scenario, port, calls, extra, remote=None,
             timeout=RUN_LIMIT_S - 5, transport="udp"):
        d = os.path.join(self.root, "%s%03d" % (name, self.n + 1))
        os.makedirs(d, exist_ok=True)
        stf = os.path.join(d, "stat.csv")
        argv = ["sipp", "-sf", os.path.join(HERE, "sipp", scenario),
                "-i", HOST, "-p", str(port),
                "-t", "t1" if transport == "tcp" else "u1",
                "-m", str(calls), "-nostdin", "-nd",
                "-timeout", "%ds" % timeout, "-timeout_error",
                "-buff_size", "4194304",
                "-max_recv_loops", "10000", "-max_sched_loops", "10000",
                "-trace_stat", "-stf", stf, "-fd", "1",
                "-trace_err", "-error_file", os.path.join(d, "errors.log")]
        argv += extra
        if remote:
            argv.append(remote)
        p = self.start(name, argv, workdir=d)
        p.stat_path = stf
        p.dir = d
        return p

    # ---- one run -------------------------------------------------------

    def run(self, direction, via_prosody, rate, count, window=1000,
            latency=False, transport="udp", idle_after=0, receipts=True):
        """One bounded run; returns a dict of figures. The gateway's CPU
        is also sampled every second (res["gw_cpu_series"]). transport:
        SIP between SIPp and the gateway. idle_after: seconds to keep the
        gateway idle after the load, then read its RSS (memory given
        back after Sofia's transaction timers). receipts=False (XMPP->SIP
        through Prosody): the client asks for no receipts, so only the
        message itself crosses Prosody, and arrivals are counted at the
        SIPp UAS (how a gateway without XEP-0184 is measured)."""
        sip_port = free_port(udp_too=True)
        uas_port = free_port(udp_too=True)
        uac_port = free_port(udp_too=True)
        target_port = sip_port
        res = {"direction": direction, "prosody": via_prosody,
               "offered": rate, "count": count, "transport": transport,
               "receipts": receipts}
        timeout = RUN_LIMIT_S - 10
        procs = []
        try:
            load_name = "c2sload" if via_prosody else "compload"
            if direction == "xmpp2sip":
                uas = self.sipp("uas", "bench_msg_uas.xml", uas_port, count,
                                [], transport=transport)
                procs.append(uas)
                time.sleep(0.1)
            if via_prosody:
                gw = self.start_gateway(self.comp_port, sip_port, uas_port,
                                        transport=transport)
                procs.append(gw)
                self.wait_gateway_up(gw)
                argv = [self.c2sload, "--port", str(self.c2s_port),
                        "--user", "alice", "--password", ALICE_PW,
                        "--count", str(count), "--timeout", str(timeout),
                        "--wait-go"]
                if direction == "xmpp2sip":
                    argv += ["--mode", "send", "--to", "1001@" + COMPONENT,
                             "--rate", str(rate), "--window", str(window)]
                    if not receipts:
                        argv += ["--no-receipts", "--drain", "2"]
                else:
                    argv += ["--mode", "recv", "--idle", "3"]
                load = self.start(load_name, argv, stdout=subprocess.PIPE,
                                  stdin=subprocess.PIPE)
                procs.append(load)
            else:
                argv = [self.compload, "--secret", SECRET,
                        "--domain", COMPONENT, "--count", str(count),
                        "--timeout", str(timeout), "--wait-go"]
                if direction == "xmpp2sip":
                    argv += ["--mode", "xmpp2sip", "--rate", str(rate),
                             "--window", str(window)]
                else:
                    argv += ["--mode", "sip2xmpp", "--idle", "3"]
                load = self.start(load_name, argv, stdout=subprocess.PIPE,
                                  stdin=subprocess.PIPE)
                procs.append(load)
                line = load.next_line("LISTEN", 10)
                if line is None:
                    raise RuntimeError("compload did not listen: " +
                                       load.log_text())
                port = int(line.split("=", 1)[1])
                gw = self.start_gateway(port, sip_port, uas_port,
                                        transport=transport)
                procs.append(gw)
            if load.next_line("READY", 20) is None:
                raise RuntimeError("%s not ready: %s\ngateway: %s" % (
                    load_name, load.log_text()[-1500:],
                    gw.log_text()[-1500:]))
            watch = {"gateway": gw, load_name: load}
            if direction == "xmpp2sip":
                watch["sipp"] = uas
            if via_prosody:
                watch["prosody"] = self.prosody
            res["rss_idle_kib"] = rss_kib(gw.pid)
            if res["rss_idle_kib"]:
                self.rss_idle_kib.append(res["rss_idle_kib"])
            cpu0 = {k: p.cpu_total() for k, p in watch.items()}
            busy0 = machine_busy()
            t0 = time.monotonic()
            series = []
            sampling = threading.Event()

            def sample(pid=gw.pid):
                while not sampling.wait(1.0):
                    c = proc_cpu(pid)
                    if c is not None:
                        series.append((time.monotonic() - t0, c))
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            load.send_line("go")
            uas_end = []
            if direction == "xmpp2sip" and not receipts:
                def watch_uas(p=uas):
                    while p.alive() and time.monotonic() - t0 < RUN_LIMIT_S:
                        time.sleep(0.005)
                    uas_end.append(time.monotonic())
                threading.Thread(target=watch_uas, daemon=True).start()
            if direction == "sip2xmpp":
                extra = ["-r", str(rate), "-rp", "1000",
                         "-l", str(max(window, 1000))]
                if latency:
                    extra += ["-trace_rtt", "-rtt_freq", "1000"]
                uac = self.sipp("uac", "bench_msg_uac.xml", uac_port, count,
                                extra, remote=f"{HOST}:{target_port}",
                                transport=transport)
                procs.append(uac)
                watch["sipp"] = uac
                cpu0["sipp"] = 0.0
                uac.wait(RUN_LIMIT_S)
            line = load.next_line("RESULT", RUN_LIMIT_S)
            t1 = time.monotonic()
            sampling.set()
            sampler.join(2)
            res["gw_cpu_series"] = series
            busy1 = machine_busy()
            cpu1 = {k: p.cpu_total() for k, p in watch.items()}
            if line is None:
                raise RuntimeError("%s gave no result: %s" % (
                    load_name, load.log_text()[-1500:]))
            r = parse_result(line)
            res["load"] = r
            # datagrams the kernel dropped at the gateway's SIP socket and
            # at the SIPp UAS (both still open here)
            drops = udp_drops({target_port, uas_port})
            res["udp_drops_gw"] = drops.get(target_port, 0)
            res["udp_drops"] = sum(drops.values())
            res["rss_kib"] = hwm_kib(gw.pid)
            if res["rss_kib"]:
                self.rss_kib.append(res["rss_kib"])
            load.wait(5)
            # the SIPp side: the UAS has answered everything once the load
            # peer has all its answers; the UAC has exited already
            sipp_proc = watch["sipp"]
            if direction == "xmpp2sip":
                sipp_proc.wait(3)
            else:
                sipp_proc.wait(5)
            if sipp_proc.alive():
                sipp_proc.stop()
            # the UAC's CPU is its whole life (it started at go)
            if direction == "sip2xmpp" or cpu1.get("sipp") is None:
                cpu1["sipp"] = sipp_proc.cpu_total()
            if idle_after:
                # the RSS the gateway settles at once the load is over
                series_rss = []
                end = time.monotonic() + idle_after
                while time.monotonic() < end:
                    time.sleep(1.0)
                    series_rss.append(rss_kib(gw.pid))
                res["rss_after_idle_kib"] = series_rss[-1] \
                    if series_rss else None
                res["idle_after"] = idle_after
            st = sipp_stats(sipp_proc.stat_path)
            res["sipp"] = st
            if uas_end:
                # the UAS exits once it has answered count MESSAGEs
                res["arrival_secs"] = uas_end[0] - t0
            if latency and direction == "sip2xmpp":
                res["rtt_ms"] = [ms for _, ms in sipp_rtts(sipp_proc.dir)]
            wall = t1 - t0
            res["wall"] = wall
            # all CPUs busy over the run, in cores (2.0 = both saturated)
            res["machine_cores"] = ((busy1[0] - busy0[0]) /
                                    max(busy1[1] - busy0[1], 1) *
                                    (os.cpu_count() or 1))
            res["cpu"] = {k: (cpu1[k] - cpu0[k])
                          if cpu1.get(k) is not None and
                          cpu0.get(k) is not None else None
                          for k in watch}
            # the load peer reports its own CPU over its run exactly
            res["cpu"][load_name] = r.get("cpu_us", 0) / 1e6
            gw_ok = gw.alive()
            res["gw_alive"] = gw_ok
            gw_rc = gw.stop(timeout=10)
            res["gw_exit"] = gw_rc
        finally:
            for p in procs:
                p.stop()
        self.judge(res)
        self.results.append(res)
        return res

    def over_budget(self):
        if time.monotonic() - self.started > self.args.budget:
            log("  (time budget of %.0f s used: no more runs)" %
                self.args.budget)
            return True
        return False

    def judge(self, res):
        r = res["load"]
        st = res.get("sipp", {})
        count = res["count"]
        if res["direction"] == "xmpp2sip" and not res.get("receipts", True):
            # no receipts: what reached the SIP side, and bounces
            done = st.get("SuccessfulCall", 0)
            failures = max(count - done, st.get("FailedCall", 0)) + \
                r.get("failed", 0)
        elif res["direction"] == "xmpp2sip":
            # error bounces and messages never answered
            done = r.get("ok", 0)
            failures = max(count - done, st.get("FailedCall", 0))
        else:
            # SIPp's failed calls, messages that never arrived, errors
            done = r.get("received", 0)
            failures = max(count - done + r.get("bad", 0),
                           st.get("FailedCall", 0))
        res["done"] = done
        res["failures"] = failures
        res["rate"] = r.get("rate", 0.0)
        if res.get("arrival_secs") and done > 1:
            # first send to the last arrival (the UAS's exit)
            res["rate"] = done / res["arrival_secs"]
        # the time the gateway spent on the run, over the messages
        gw_cpu = res["cpu"].get("gateway")
        res["gw_us_per_msg"] = (gw_cpu * 1e6 / done) if gw_cpu and done \
            else None
        # CPU shares over the active period (first to last message; the
        # receive modes idle a few seconds after the last one)
        secs = r.get("secs") or 0.0
        active = secs if secs > 0.5 else res["wall"]
        res["active_secs"] = active
        res["share"] = {k: v / active for k, v in res["cpu"].items()
                        if v is not None}
        shares = res["share"]
        ours = sum(v for v in res["cpu"].values() if v is not None)
        res["others_cores"] = max(0.0, res["machine_cores"] -
                                  ours / max(res["wall"], 1e-3))
        res["sustained"] = (failures == 0 and res["rate"] >=
                            0.95 * res["offered"]) if res["offered"] else \
            failures == 0
        top = max(shares.items(), key=lambda kv: kv[1]) if shares else None
        total = sum(shares.values()) + res["others_cores"]
        if top is None:
            res["bottleneck"] = "unknown"
        elif top[1] >= 0.85:
            res["bottleneck"] = "%s (%.0f%% CPU)" % (top[0], top[1] * 100)
        elif total >= 1.7:
            res["bottleneck"] = ("the 2 cores (%.0f%% busy, %.0f%% of it "
                                 "other work; top: %s %.0f%%)" % (
                                     total * 100, res["others_cores"] * 100,
                                     top[0], top[1] * 100))
        else:
            res["bottleneck"] = "%s (%.0f%% CPU)" % (top[0], top[1] * 100)

    # ---- reporting -----------------------------------------------------

    def describe(self, res):
        r = res["load"]
        cpu = " ".join("%s %.0f%%" % (k, v * 100)
                       for k, v in sorted(res["share"].items()))
        lat = ""
        if res["direction"] == "xmpp2sip" and r.get("p50_us"):
            lat = " receipt p50 %.2f ms p99 %.2f ms" % (
                r["p50_us"] / 1000, r["p99_us"] / 1000)
        if res["direction"] == "sip2xmpp" and r.get("p50_us"):
            lat = " SIP send->stanza p50 %.2f ms p99 %.2f ms" % (
                r["p50_us"] / 1000, r["p99_us"] / 1000)
        if res.get("rtt_ms"):
            lat += " 200-OK p50 %.0f ms p99 %.0f ms (SIPp, whole ms)" % (
                percentile(res["rtt_ms"], 50), percentile(res["rtt_ms"], 99))
        if res["direction"] == "sip2xmpp" and r.get("iqs") and res["done"]:
            # the gateway's confirmation pings, answered by compload
            lat += " %.2f pings/msg" % (r["iqs"] / res["done"])
        cpu += " others %.0f%%" % (res["others_cores"] * 100)
        return ("%-8s %-7s offered %6s/s: %6.0f msg/s, %d/%d done, "
                "%d failures%s, gw %s us/msg, RSS %s MiB; CPU: %s%s" % (
                    res["direction"] + ("/tcp" if res.get("transport") ==
                                        "tcp" else ""),
                    ("prosody" if res["prosody"] else "direct") +
                    ("" if res.get("receipts", True) else " no-receipts"),
                    res["offered"] or "max", res["rate"], res["done"],
                    res["count"], res["failures"],
                    "".join(
                        [" (sipp retrans %d)" % res["sipp"]["Retransmissions"]
                         if res.get("sipp", {}).get("Retransmissions") else "",
                         " (UDP drops %d, %d at the gateway)" % (
                             res["udp_drops"], res["udp_drops_gw"])
                         if res.get("udp_drops") else ""]),
                    "%.1f" % res["gw_us_per_msg"]
                    if res["gw_us_per_msg"] else "?",
                    "%.1f" % (res["rss_kib"] / 1024) if res["rss_kib"]
                    else "?", cpu, lat)) + (
                        "; RSS %.1f MiB after %d s idle" % (
                            res["rss_after_idle_kib"] / 1024,
                            res["idle_after"])
                        if res.get("rss_after_idle_kib") else "")

    def step(self, direction, via_prosody, rates, secs, window, start=0,
             **kw):
        """Steps the offered rate up from rates[start]; a later round starts
        one step below the previous best and steps down while that fails.
        Returns (best run, all runs)."""
        runs = []
        best = None
        i = start
        if start > 0:
            while True:
                res = self.attempt(direction, via_prosody, rates[i], secs,
                                   window, runs, **kw)
                if res is None:
                    return best, runs
                if res["sustained"]:
                    best = res
                    break
                if i == 0:
                    return None, runs
                i -= 1
            if i < start:  # the step above has failed in this round
                return best, runs
            i += 1
        for rate in rates[i:]:
            res = self.attempt(direction, via_prosody, rate, secs, window,
                               runs, **kw)
            if res is None or not res["sustained"]:
                break
            best = res
        return best, runs

    def attempt(self, direction, via_prosody, rate, secs, window, runs,
                **kw):
        """One step, retried once if it fails (noise on a shared 2-core
        box); None when the time budget is used."""
        if self.over_budget():
            return None
        count = int(rate * secs)
        res = self.run(direction, via_prosody, rate, count, window=window,
                       **kw)
        runs.append(res)
        log("  " + self.describe(res))
        if res["sustained"] or self.over_budget():
            return res
        res = self.run(direction, via_prosody, rate, count, window=window,
                       **kw)
        runs.append(res)
        log("  " + self.describe(res) + " (retry)")
        return res


def cpu_between(res, t_from, t_to):
    """The gateway's CPU share (cores) between two seconds of a run, from
    its per-second samples, or None."""
    pts = res.get("gw_cpu_series") or []
    a = [p for p in pts if p[0] >= t_from]
    b = [p for p in pts if p[0] <= t_to]
    if not a or not b or b[-1][0] - a[0][0] < 0.5:
        return None
    return (b[-1][1] - a[0][1]) / (b[-1][0] - a[0][0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get(
        "GW_BUILD_DIR", os.path.join(HERE, "..", "..", "build-bench")))
    ap.add_argument("--repeat", type=int, default=1,
                    help="repeat the measurements of parts a-d N times; "
                    "medians (part e runs once)")
    ap.add_argument("--quick", action="store_true",
                    help="short runs (2 s) for a smoke test")
    ap.add_argument("--only", default="a,b,c,e",
                    help="parts to run: a (no Prosody), b (Prosody), "
                         "c (latency), e (memory: UDP and TCP)")
    ap.add_argument("--rates", default="2000,4000,8000,12000,16000,20000")
    ap.add_argument("--step-secs", type=float, default=4.0)
    ap.add_argument("--cpu-count", type=int, default=100000,
                    help="messages in the XMPP->SIP CPU run")
    ap.add_argument("--budget", type=float, default=540,
                    help="seconds after which no new run starts")
    ap.add_argument("--prosody-extra", default="",
                    help="extra global lines for prosody.cfg.lua")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("--e-rate", type=int, default=1000,
                    help="part e: the SIP->XMPP rate (msg/s)")
    ap.add_argument("--e-secs", type=int, default=20,
                    help="part e: seconds of SIP->XMPP load")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    L.VERBOSE = args.verbose
    parts = set(args.only.split(","))
    rates = sorted(int(x) for x in args.rates.split(",") if x)
    secs = 2.0 if args.quick else args.step_secs
    cpu_count = 20000 if args.quick else args.cpu_count
    lat_count = 3000 if args.quick else 10000

    b = Bench(args)
    summary = {}
    def on_term(*a):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)

    def stepped(key, direction, via_prosody, **kw):
        """The stepping, --repeat times; later rounds start one step
        below the previous best."""
        rounds = summary.setdefault(key, [])
        first = 0
        for i in range(args.repeat):
            if b.over_budget():
                break
            best, runs = b.step(direction, via_prosody, rates, secs, 1000,
                                start=first, **kw)
            rounds.append((best, runs))
            if best is not None:
                first = max(0, rates.index(best["offered"]) - 1)

    try:
        if "a" in parts:
            log("a. the gateway alone (compload <-> gateway <-> SIPp)")
            cpu_runs = summary.setdefault("a_x2s_max", [])
            for i in range(args.repeat):
                if b.over_budget():
                    break
                res = b.run("xmpp2sip", False, 0, cpu_count, window=100)
                log("  " + b.describe(res) + " [window 100]")
                cpu_runs.append(res)
        if "c" in parts:
            log("c. latency at 1000 msg/s for %d s (no Prosody)" %
                (lat_count // 1000))
            s2x = summary.setdefault("c_s2x", [])
            x2s = summary.setdefault("c_x2s", [])
            for i in range(args.repeat):
                if b.over_budget():
                    break
                res = b.run("sip2xmpp", False, 1000, lat_count,
                            latency=True)
                log("  " + b.describe(res))
                s2x.append(res)
                res = b.run("xmpp2sip", False, 1000, lat_count)
                log("  " + b.describe(res))
                x2s.append(res)
        if "c" in parts and not args.quick and not b.over_budget():
            log("d. steady state: SIP->XMPP at 1000 msg/s for 40 s "
                "(Sofia's Timer J, 32 s, starts expiring transactions)")
            res = b.run("sip2xmpp", False, 1000, 40000)
            log("  " + b.describe(res))
            summary["d_s2x"] = res
        if "e" in parts and not b.over_budget():
            secs_e = 5 if args.quick else args.e_secs
            rate_e = args.e_rate
            log("e. memory: %d msg/s SIP->XMPP for %d s over UDP then "
                "idle, the same over TCP, and XMPP->SIP as fast as it goes "
                "over TCP and over UDP" % (rate_e, secs_e))
            res = b.run("sip2xmpp", False, rate_e, secs_e * rate_e,
                        idle_after=15 if args.quick else 45)
            log("  " + b.describe(res))
            summary["e_udp"] = res
            res = b.run("sip2xmpp", False, rate_e, secs_e * rate_e,
                        transport="tcp", idle_after=12)
            log("  " + b.describe(res))
            summary["e_tcp"] = res
            res = b.run("xmpp2sip", False, 0, cpu_count, window=100,
                        transport="tcp", idle_after=12)
            log("  " + b.describe(res) + " [window 100]")
            summary["e_tcp_max"] = res
            # over UDP: nothing of a sent MESSAGE is kept once answered
            res = b.run("xmpp2sip", False, 0, cpu_count, window=100,
                        transport="udp", idle_after=12)
            log("  " + b.describe(res) + " [window 100]")
            summary["e_udp_max"] = res
        if "a" in parts:
            log("a. stepping the offered rate (no Prosody)")
            stepped("a_x2s", "xmpp2sip", False)
            stepped("a_s2x", "sip2xmpp", False)
        if "b" in parts and not b.over_budget():
            log("b. through Prosody (c2sload <-> Prosody <-> gateway <-> SIPp)")
            b.start_prosody()
            stepped("b_x2s", "xmpp2sip", True)
            # as a client without XEP-0184 sends (and as Kamailio's xmpp
            # module is measured): one stanza per message through Prosody
            stepped("b_x2s_norcpt", "xmpp2sip", True, receipts=False)
            stepped("b_s2x", "sip2xmpp", True)
            b.prosody.stop(timeout=10)
            b.prosody = None
    except KeyboardInterrupt:
        log("interrupted: figures so far")
    finally:
        b.close()
    report(summary, b, args)


def report(s, b, args):
    out = []
    add = out.append
    ok = lambda met: "MET" if met else "MISSED"  # noqa: E731
    add("")
    add("==== issue 3 benchmark: xmpp-sip-gateway (%s) ====" % os.path.basename(
        os.path.abspath(args.build)))
    others = [r["others_cores"] for r in b.results if "others_cores" in r]
    add("machine: %d CPUs; all peers on 127.0.0.1; %s; other processes "
        "used %.0f%% of a core during the runs (median, max %.0f%%)" % (
            os.cpu_count(), ("medians of %d rounds" % args.repeat +
                             (" (part e: one run each)"
                              if "e_udp" in s else ""))
            if args.repeat > 1 else "single runs",
            (median(others) or 0) * 100, max(others or [0]) * 100))

    def sustained(key, target, label):
        rounds = s.get(key)
        if not rounds:
            return
        bests = [best["offered"] if best else 0 for best, _ in rounds]
        rate = median(bests)
        runs = [r for _, rr in rounds for r in rr]
        fails = [r for r in runs if not r["sustained"]]
        nxt = ""
        if fails:
            f = fails[-1]
            nxt = " (first failing step %d/s: %.0f msg/s, %d failures%s)" % (
                f["offered"], f["rate"], f["failures"],
                ", %d UDP datagrams dropped, %d of them at the gateway" % (
                    f["udp_drops"], f["udp_drops_gw"])
                if f.get("udp_drops") else "")
        add("%s sustained: %s msg/s (target %d) zero failures [%s]%s" % (
            label, fmt(rate), target, ok(rate is not None and
                                         rate >= target), nxt))
        if len(bests) > 1:
            add("    rounds: %s" % ", ".join("%d" % x for x in bests))
        at = [best for best, _ in rounds if best]
        if at:
            m = sorted(at, key=lambda r: r["offered"])[len(at) // 2]
            add("    at %d/s: gateway %s us/msg, %s; bottleneck: %s" % (
                m["offered"], fmt(m["gw_us_per_msg"], "%.1f"),
                ", ".join("%s %.0f%%" % (k, v * 100)
                          for k, v in sorted(m["share"].items())),
                m["bottleneck"]))

    runs = s.get("a_x2s_max")
    if runs:
        add("-- a. gateway alone (compload speaks XEP-0114, no Prosody) --")
        v = median([r["gw_us_per_msg"] for r in runs])
        add("gateway CPU per message XMPP->SIP: %s us (target %d) [%s], "
            "at %s msg/s with 100 in flight (%d msgs, %s failures)" % (
                fmt(v, "%.1f"), TARGET_CPU_US,
                ok(v is not None and v <= TARGET_CPU_US),
                fmt(median([r["rate"] for r in runs])), runs[0]["count"],
                fmt(median([r["failures"] for r in runs]))))
        m = runs[len(runs) // 2]
        add("    CPU: %s; bottleneck: %s" % (", ".join(
            "%s %.0f%%" % (k, v * 100) for k, v in sorted(m["share"].items())),
            m["bottleneck"]))
    rounds = s.get("a_s2x")
    if rounds:
        at = [best for best, _ in rounds if best]
        v = median([r["gw_us_per_msg"] for r in at])
        add("gateway CPU per message SIP->XMPP: %s us (target %d) [%s], at "
            "the highest sustained rate" % (
                fmt(v, "%.1f"), TARGET_CPU_US,
                ok(v is not None and v <= TARGET_CPU_US)))
    sustained("a_x2s", TARGET_XMPP2SIP, "XMPP->SIP (no Prosody)")
    sustained("a_s2x", TARGET_SIP2XMPP, "SIP->XMPP (no Prosody)")
    if s.get("b_x2s") or s.get("b_s2x"):
        add("-- b. through Prosody (c2sload is alice@localhost) --")
    sustained("b_x2s", TARGET_XMPP2SIP, "XMPP->SIP")
    sustained("b_x2s_norcpt", TARGET_XMPP2SIP,
              "XMPP->SIP without receipt requests (counted at SIPp)")
    sustained("b_s2x", TARGET_SIP2XMPP, "SIP->XMPP")
    if s.get("c_s2x"):
        add("-- c. latency at 1000 msg/s, %d s, no Prosody --" % (
            s["c_s2x"][0]["count"] // 1000))
        c = s["c_s2x"]
        p50 = median([percentile(r.get("rtt_ms", []), 50) for r in c])
        p99 = median([percentile(r.get("rtt_ms", []), 99) for r in c])
        add("SIP->XMPP MESSAGE -> 200 OK (SIPp, whole ms): p50 %s ms, "
            "p99 %s ms (target p99 %d) [%s]; %d failures" % (
                fmt(p50), fmt(p99), TARGET_P99_MS,
                ok(p99 is not None and p99 <= TARGET_P99_MS),
                sum(r["failures"] for r in c)))
        p50 = median([r["load"].get("p50_us", 0) / 1000 for r in c])
        p99 = median([r["load"].get("p99_us", 0) / 1000 for r in c])
        add("SIP->XMPP MESSAGE sent -> stanza read (SIPp's send stamp, "
            "compload): p50 %s ms, p99 %s ms (target p99 %d) [%s]" % (
                fmt(p50, "%.2f"), fmt(p99, "%.2f"), TARGET_P99_MS,
                ok(p99 is not None and p99 <= TARGET_P99_MS)))
    if s.get("c_x2s"):
        c = s["c_x2s"]
        p50 = median([r["load"].get("p50_us", 0) / 1000 for r in c])
        p99 = median([r["load"].get("p99_us", 0) / 1000 for r in c])
        add("XMPP->SIP message -> receipt (compload): p50 %s ms, p99 %s ms "
            "(target p99 %d) [%s]; %d failures" % (
                fmt(p50, "%.2f"), fmt(p99, "%.2f"), TARGET_P99_MS,
                ok(p99 is not None and p99 <= TARGET_P99_MS),
                sum(r["failures"] for r in c)))
    steady = []
    for r in s.get("c_x2s", []):
        early, late = cpu_between(r, 0.5, 4.5), cpu_between(r, 6, 10.5)
        if early is not None and late is not None:
            steady.append((early, late))
    if steady:
        early = median([e for e, _ in steady])
        late = median([x for _, x in steady])
        add("steady state at 1000 msg/s XMPP->SIP: gateway at %.0f%% of a "
            "core = %.0f us/msg once Sofia expires a transaction every ms "
            "(seconds 6-10; %.0f%% = %.0f us/msg in seconds 1-4)" % (
                late * 100, late * 1e6 / 1000, early * 100,
                early * 1e6 / 1000))
    d = s.get("d_s2x")
    if d:
        early, late = cpu_between(d, 0.5, 30), cpu_between(d, 34, 40.5)
        add("steady state at 1000 msg/s SIP->XMPP (40 s run): gateway at "
            "%s%% of a core = %s us/msg in seconds 34-40 (%s%% = %s us/msg "
            "in seconds 1-30); RSS %.0f MiB; %d failures" % (
                fmt(late and late * 100), fmt(late and late * 1e3),
                fmt(early and early * 100), fmt(early and early * 1e3),
                (d.get("rss_kib") or 0) / 1024, d["failures"]))
    if b.rss_kib:
        peak = max(b.rss_kib) / 1024
        add("peak RSS (VmHWM, worst run): %.1f MiB (target %d) [%s]; "
            "idle after start %.1f MiB" % (
                peak, TARGET_RSS_MIB, ok(peak <= TARGET_RSS_MIB),
                statistics.median(b.rss_idle_kib) / 1024
                if b.rss_idle_kib else 0))
        for key, label in (("c_s2x", "SIP->XMPP"), ("c_x2s", "XMPP->SIP")):
            runs = [r for r in s.get(key, []) if r.get("rss_kib")]
            if not runs:
                continue
            # Sofia keeps each UDP transaction after its final answer:
            # Timer J (64*T1 = 32 s) for received MESSAGEs, Timer K
            # (T4 = 5 s) for sent ones; the RSS grows with those alive
            linger = 32 if key == "c_s2x" else 5
            hwm = median([r["rss_kib"] / 1024 for r in runs])
            per = median([(r["rss_kib"] - (r.get("rss_idle_kib") or 0)) /
                          max(min(r["count"], r["offered"] * linger), 1)
                          for r in runs])
            add("    after %d s at 1000 msg/s %s: %.1f MiB, i.e. +%.1f KiB "
                "per SIP transaction Sofia keeps (%s after the answer, UDP);"
                " steady state at 1000/s: ~%.0f MiB" % (
                    runs[0]["count"] // 1000, label, hwm, per,
                    "Timer J, 32 s" if key == "c_s2x" else "Timer K, 5 s",
                    (median([r.get("rss_idle_kib") or 0 for r in runs]) +
                     per * 1000 * linger) / 1024))
    for key, label in (
            ("e_udp", "SIP->XMPP %d/s over UDP" % args.e_rate),
            ("e_tcp", "SIP->XMPP %d/s over TCP" % args.e_rate),
            ("e_tcp_max", "XMPP->SIP max rate over TCP"),
            ("e_udp_max", "XMPP->SIP max rate over UDP")):
        r = s.get(key)
        if not r or not r.get("rss_kib"):
            continue
        peak = r["rss_kib"] / 1024
        add("memory, %s (%.0f msg/s, %d failures): peak RSS %.1f MiB "
            "(target %d) [%s]; %s MiB after %d s idle" % (
                label, r["rate"], r["failures"], peak, TARGET_RSS_MIB,
                ok(peak <= TARGET_RSS_MIB),
                fmt(r.get("rss_after_idle_kib") and
                    r["rss_after_idle_kib"] / 1024, "%.1f"),
                r.get("idle_after", 0)))
    add("peer comparison: tests/bench/bench_peer.sh runs Kamailio's xmpp "
        "module (a fixed copy: upstream issue #4154) through the same "
        "Prosody, step by step with the gateway; here the targets are "
        "compared as absolutes.")
    add("elapsed: %.0f s" % (time.monotonic() - b.started))
    print("\n".join(out), flush=True)


if __name__ == "__main__":
    main()
