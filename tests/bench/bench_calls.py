#!/usr/bin/python3
"""Issue-6 benchmark: call setups through the gateway with a real rtpengine
(signalling only: no media flows), and memory per established call.

  xmpppeer (tests/bench/xmpppeer.c) is the XMPP server the gateway
  connects to as a component and plays alice@localhost/r.
  rtpengine runs in userspace (--table=-1) with its own port range.

  s. SIP -> XMPP, stepped: SIPp UAC (tests/bench/sipp/call_uac.xml) calls
     sip:alice@gw.localhost at R/s with a plain RTP/AVP offer; the gateway
     has rtpengine make the WebRTC offer, proposes (JMI); xmpppeer
     proceeds, acks the session-initiate and sends a session-accept (ICE
     ufrag/pwd, DTLS setup='active', one host candidate); the gateway has
     rtpengine answer and sends 200; SIPp ACKs, holds --hold-ms, BYEs.
     Setup time = INVITE -> 200 as SIPp sees it (rtd, whole ms). A step is
     sustained with zero failed calls and >= 95 % of the offered rate.
  m. memory: --held calls established (SIP -> XMPP at --held-rate/s) and
     held; the RSS of the gateway (and of rtpengine) before and while
     they are held, 8 s after the last setup (INVITE transactions over);
     per call = delta / N. With --heap, malloc's bytes in use (gdb).
  x. XMPP -> SIP, stepped: xmpppeer proposes to 1001@sip.localhost at R/s
     (propose, proceed, session-initiate with a candidate); the gateway
     INVITEs SIPp UAS (tests/bench/sipp/call_uas.xml, as outbound proxy),
     which rings and answers; setup = propose -> session-accept as
     xmpppeer sees it; xmpppeer hangs up after --hold-ms.
  CPU per call (setup and teardown) of each process from /proc (schedstat
  of all threads) over the run; the one near a full core (or the two
  cores being full) is named the bottleneck.

Everything on 127.0.0.1, every run bounded, processes stopped by PID.
With --video (issue 18) every offer carries audio and video both ways
(call_uac_video.xml, call_uas_video.xml, xmpppeer --video) and the peers
accept both: two m= lines, two rtpengine streams per call.
Usage: tests/bench/bench_calls.sh [--repeat 3] [--only s,m,x] [--video] ...
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_presence_calls_lib as L  # noqa: E402
from bench_presence_calls_lib import (COMPONENT, HOST, XMPP_DOMAIN,  # noqa
                                      fmt, log, median, percentile,
                                      sipp_rtts, sipp_stats)

TARGET_RATE = 200
TARGET_KIB_PER_CALL = 64


class CallsBench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.tools = os.path.abspath(args.tools or os.path.join(
            self.build, "tests", "bench"))
        self.gw_bin = os.path.join(self.build, "gateway", "xmpp-sip-gateway")
        self.peer_bin = os.path.join(self.tools, "xmpppeer")
        for b in (self.gw_bin, self.peer_bin):
            if not os.access(b, os.X_OK):
                raise SystemExit("missing %s: build it first "
                                 "(tests/bench/bench_calls.sh does)" % b)
        for tool in ("rtpengine", "sipp"):
            if shutil.which(tool) is None:
                raise SystemExit("%s is not installed (scripts/deps)" % tool)
        self.r = L.Runner(keep=args.keep, prefix="gwbench-calls-")
        self.started = time.monotonic()
        self.rtpe = None
        self.results = []
        # --video (issue 18): audio + video offers both ways, accepted both
        v = "_video" if args.video else ""
        self.uac_xml = f"call_uac{v}.xml"
        self.uas_xml = f"call_uas{v}.xml"

    def over_budget(self):
        return time.monotonic() - self.started > self.args.budget

    # ---- processes -------------------------------------------------------

    def start_rtpengine(self):
        port = L.free_port(udp_too=True)
        p = self.r.start("rtpengine", [
            "rtpengine", "--config-file=none", "--foreground",
            "--log-stderr", "--table=-1", f"--interface={HOST}",
            f"--listen-ng={HOST}:{port}",
            f"--port-min={self.args.port_min}",
            f"--port-max={self.args.port_max}",
            "--log-level=%d" % self.args.rtpengine_log_level,
            "--timeout=600", "--silent-timeout=600", "--delete-delay=0"])
        end = time.monotonic() + 10
        while time.monotonic() < end:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.2)
            try:
                s.sendto(b"c1 d7:command4:pinge", (HOST, port))
                if b"pong" in s.recv(200):
                    p.ng_port = port
                    return p
            except OSError:
                time.sleep(0.1)
            finally:
                s.close()
        raise RuntimeError("rtpengine did not answer: " + p.log_text()[-2000:])

    def start_stack(self, outbound_proxy=None):
        """rtpengine + xmpppeer + gateway; returns (rtpe, peer, gw, sip)."""
        rtpe = self.start_rtpengine()
        peer = self.r.start("xmpppeer", [
            self.peer_bin, "--secret", L.SECRET, "--domain", COMPONENT,
            "--life", str(self.args.budget + 300)]
            + (["--video"] if self.args.video else []),
            stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        line = peer.next_line("LISTEN", 10)
        if line is None:
            raise RuntimeError("xmpppeer did not listen")
        sip_port = L.free_port(udp_too=True)
        a = self.args
        gw = self.r.start_gateway(self.gw_bin, L.kv(line)["port"], sip_port, {
            "sip": {"outbound_proxy": outbound_proxy},
            "calls": {
                "enabled": "true",
                "allow_calls": f"alice@{XMPP_DOMAIN} *",
                "max_calls": 100000, "max_calls_per_user": 1000,
                "attempts_per_minute": 100000, "dtmf": "info",
                "no_answer_s": 60, "max_duration_s": 0,
            },
            "media": {"relay": "rtpengine",
                      "rtpengine": f"{HOST}:{rtpe.ng_port}"},
            "presence": {"enabled": "false"},
            "limits": {"max_pending_sip": 100000,
                       "max_rate_entries": 1000000},
        }, level=a.log_level)
        if peer.next_line("READY", 20) is None:
            raise RuntimeError("no component handshake:\n" +
                               gw.log_text()[-2000:])
        if not L.wait_log(gw, "XMPP link up", 10):
            raise RuntimeError("gateway not up:\n" + gw.log_text()[-2000:])
        if a.gw_rcvbuf:
            ok = L.set_rcvbuf(gw.pid, sip_port, a.gw_rcvbuf)
            log("  EXPERIMENT: gateway SIP receive buffer %d B: %s" % (
                a.gw_rcvbuf, "done" if ok else "FAILED"))
        return rtpe, peer, gw, sip_port

    def sipp(self, name, scenario, calls, extra, remote=None, port=None,
             timeout=120):
        d = self.r.subdir(name)
        stf = os.path.join(d, "stat.csv")
        argv = ["sipp", "-sf", os.path.join(L.HERE, "sipp", scenario),
                "-i", HOST, "-p", str(port or L.free_port(udp_too=True)),
                "-t", "u1", "-m", str(calls), "-nostdin", "-nd",
                "-timeout", "%ds" % timeout, "-timeout_error",
                "-buff_size", "4194304",
                "-max_recv_loops", "10000", "-max_sched_loops", "10000",
                "-trace_stat", "-stf", stf, "-fd", "1",
                "-trace_err", "-error_file", os.path.join(d, "errors.log"),
                # answer INFO/UPDATE/NOTIFY 200, as phones do: the
                # gateway's picture_fast_update INFOs (RFC 5168) to a
                # video phone were left unanswered and retransmitted for
                # timer F (32 s), ~5 KiB per held video call
                "-aa"]
        argv += extra
        if remote:
            argv.append(remote)
        p = self.r.start(name, argv, workdir=d)
        p.stat_path = stf
        return p

    # ---- measuring -------------------------------------------------------

    def cpu_snapshot(self, procs):
        return {k: L.proc_sched_s(p.pid) for k, p in procs.items()}, \
            L.machine_busy(), time.monotonic()

    def cpu_delta(self, snap0, procs, extra=None):
        cpu0, busy0, t0 = snap0
        cpu1 = {k: L.proc_sched_s(p.pid) for k, p in procs.items()}
        busy1, t1 = L.machine_busy(), time.monotonic()
        wall = t1 - t0
        cpu = {k: (cpu1[k] - cpu0[k]) if cpu1.get(k) is not None and
               cpu0.get(k) is not None else None for k in procs}
        cpu.update(extra or {})
        cores = (busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1) * \
            (os.cpu_count() or 1)
        ours = sum(v for v in cpu.values() if v is not None)
        return {"cpu": cpu, "wall": wall, "machine_cores": cores,
                "others_cores": max(0.0, cores - ours / max(wall, 1e-3))}

    def bottleneck(self, res, active_s):
        shares = {k: v / max(active_s, 1e-3) for k, v in res["cpu"].items()
                  if v is not None}
        res["share"] = shares
        if not shares:
            return "unknown"
        top = max(shares.items(), key=lambda kv: kv[1])
        total = sum(shares.values()) + res["others_cores"]
        if top[1] >= 0.85:
            return "%s (%.0f%% of a core)" % (top[0], top[1] * 100)
        if total >= 1.7:
            return ("the 2 cores (%.0f%% busy, %.0f%% other work; top: %s "
                    "%.0f%%)" % (total * 100, res["others_cores"] * 100,
                                 top[0], top[1] * 100))
        return "none saturated (top: %s %.0f%%)" % (top[0], top[1] * 100)

    # ---- s: SIP -> XMPP ----------------------------------------------------

    @staticmethod
    def gw_reasons(gw):
        t = gw.log_text()
        return {"rtpengine_timeouts": t.count("did not answer after"),
                "busy": t.count("call limits") + t.count("too many calls"),
                "relay_failed": t.count("media relay failed")}

    @staticmethod
    def reasons_delta(r0, r1):
        d = {k: r1[k] - r0.get(k, 0) for k in r1}
        return {k: v for k, v in d.items() if v}

    def run_s2x(self, stack, rate, count, hold_ms):
        rtpe, peer, gw, sip_port = stack
        why0 = self.gw_reasons(gw)
        procs = {"gateway": gw, "rtpengine": rtpe, "xmpppeer": peer}
        before = peer.ask("stats", "STATS", 5) or {}
        drops0 = L.udp_rcvbuf_errors()
        pd0 = {"gateway": L.drops_total(gw.pid),
               "rtpengine": L.drops_total(rtpe.pid)}
        snap = self.cpu_snapshot(procs)
        limit = max(100, int(rate * (hold_ms / 1000.0 + 2) * 2))
        uac = self.sipp("uac", self.uac_xml, count, [
            "-s", "alice", "-r", str(rate), "-rp", "1000",
            "-l", str(limit), "-d", str(hold_ms),
            "-trace_rtt", "-rtt_freq", "1"],
            remote=f"{HOST}:{sip_port}",
            timeout=int(count / rate + hold_ms / 1000 + 60))
        uac.wait(count / rate + hold_ms / 1000 + 90)
        pd1 = {"gateway": L.drops_total(gw.pid),
               "rtpengine": L.drops_total(rtpe.pid)}
        if uac.alive():
            uac.stop()
        time.sleep(0.3)
        d = self.cpu_delta(snap, procs, {"sipp": uac.cpu_total()})
        after = peer.ask("stats", "STATS", 5) or {}
        st = sipp_stats(uac.stat_path)
        rtts = sipp_rtts(uac.dir)
        ok = st.get("SuccessfulCall", 0)
        failed = max(st.get("FailedCall", 0), count - ok)
        res = {"dir": "sip2xmpp", "offered": rate, "count": count,
               "ok": ok, "failed": failed, "sipp": st,
               "retrans": st.get("Retransmissions", 0),
               "udp_drops": L.udp_rcvbuf_errors() - drops0,
               "accept_err": after.get("accept_err", 0) -
               before.get("accept_err", 0),
               "why": self.reasons_delta(why0, self.gw_reasons(gw)),
               "proc_drops": {k: pd1[k] - pd0[k] for k in pd0
                              if pd1[k] - pd0[k] > 0}}
        res.update(d)
        if len(rtts) > 1:
            dates = sorted(x[0] for x in rtts)
            span = (dates[-1] - dates[0]) / 1000.0
            res["rate"] = (len(rtts) - 1) / span if span > 0 else 0
            res["setup_span"] = span
        else:
            res["rate"] = 0
            res["setup_span"] = count / rate
        vals = [x[1] for x in rtts]
        res["p50_ms"] = percentile(vals, 50)
        res["p99_ms"] = percentile(vals, 99)
        res["max_ms"] = max(vals) if vals else None
        res["gw_us_per_call"] = (d["cpu"]["gateway"] * 1e6 / ok
                                 if ok and d["cpu"]["gateway"] else None)
        res["rtpe_us_per_call"] = (d["cpu"]["rtpengine"] * 1e6 / ok
                                   if ok and d["cpu"]["rtpengine"] else None)
        res["sustained"] = failed == 0 and res["rate"] >= 0.95 * rate
        # the active period: setups plus the holding tail
        res["bottleneck"] = self.bottleneck(res, res["setup_span"] +
                                            hold_ms / 1000.0)
        res["gw_alive"] = gw.alive()
        self.results.append(res)
        return res

    def describe(self, res):
        cpu = " ".join("%s %.0f%%" % (k, v * 100)
                       for k, v in sorted(res.get("share", {}).items()))
        return ("%-8s offered %4d/s: %6.1f setups/s, %d/%d ok, %d failed, "
                "%d retrans%s%s; setup p50 %s ms p99 %s ms max %s ms; gateway "
                "%s us/call, rtpengine %s us/call; CPU: %s others %.0f%%; "
                "bottleneck: %s" % (
                    res["dir"], res["offered"], res["rate"], res["ok"],
                    res["count"], res["failed"], res.get("retrans", 0),
                    ", %d UDP drops machine-wide%s" % (
                        res["udp_drops"], " (%s)" % ", ".join(
                            "%s %d" % kv for kv in
                            sorted(res["proc_drops"].items()))
                        if res.get("proc_drops") else "")
                    if res.get("udp_drops") else "",
                    " (gateway log: %s)" % ", ".join(
                        "%s %d" % kv for kv in sorted(res["why"].items()))
                    if res.get("why") else "",
                    fmt(res.get("p50_ms"), "%.1f"),
                    fmt(res.get("p99_ms"), "%.1f"),
                    fmt(res.get("max_ms"), "%.1f"),
                    fmt(res.get("gw_us_per_call")),
                    fmt(res.get("rtpe_us_per_call")), cpu,
                    res["others_cores"] * 100, res["bottleneck"]))

    def step(self, fn, rates):
        best, runs = None, []
        for rate in rates:
            if self.over_budget():
                log("  (time budget used)")
                break
            res = fn(rate)
            runs.append(res)
            log("  " + self.describe(res))
            if not res["gw_alive"]:
                log("  the gateway died")
                break
            if res["sustained"]:
                best = res
                continue
            if self.over_budget():
                break
            res2 = fn(rate)  # one retry: the 2 cores are shared
            runs.append(res2)
            log("  " + self.describe(res2) + " (retry)")
            if res2["sustained"]:
                best = res2
            else:
                break
        return best, runs

    # ---- m: memory per established call ----------------------------------

    def run_memory(self, stack, n, rate):
        rtpe, peer, gw, sip_port = stack
        a = self.args
        # warm-up: first-call allocations (libxml2, regexes, rtpengine's
        # certificate ...) are not per-call costs
        warm = self.sipp("warm", self.uac_xml, 100, [
            "-s", "alice", "-r", "50", "-d", "0"],
            remote=f"{HOST}:{sip_port}", timeout=60)
        warm.wait(60)
        time.sleep(8)  # INVITE/BYE transactions over (Timer I/J/K)
        base = {"gw": L.rss_kib(gw.pid), "rtpe": L.rss_kib(rtpe.pid)}
        base_heap = L.gdb_heap(gw.pid) if a.heap else None
        st0 = peer.ask("stats", "STATS", 5)
        setup_s = n / rate
        hold_ms = int((setup_s + 20 + (10 if a.heap else 0)) * 1000)
        uac = self.sipp("held", self.uac_xml, n, [
            "-s", "alice", "-r", str(rate), "-l", str(n + 10),
            "-d", str(hold_ms)],
            remote=f"{HOST}:{sip_port}", timeout=int(setup_s + hold_ms /
                                                     1000 + 60))
        end = time.monotonic() + setup_s * 3 + 30
        established = 0
        while time.monotonic() < end:
            st = peer.ask("stats", "STATS", 5) or {}
            established = st.get("accept_ok", 0) - st0.get("accept_ok", 0)
            if established >= n:
                break
            time.sleep(0.5)
        t_last = time.monotonic()
        time.sleep(8)
        held = {"gw": L.rss_kib(gw.pid), "rtpe": L.rss_kib(rtpe.pid)}
        heap = L.gdb_heap(gw.pid) if a.heap else None
        ok_by_sipp = None
        uac.wait(hold_ms / 1000 + setup_s + 60)
        if uac.alive():
            uac.stop()
        st = sipp_stats(uac.stat_path)
        ok_by_sipp = st.get("SuccessfulCall")
        time.sleep(3)
        after = {"gw": L.rss_kib(gw.pid), "rtpe": L.rss_kib(rtpe.pid)}
        res = {"n": n, "established": established, "base": base,
               "held": held, "after": after, "sipp_ok": ok_by_sipp,
               "sipp_failed": st.get("FailedCall"),
               "gw_per_call_kib": (held["gw"] - base["gw"]) / n,
               "rtpe_per_call_kib": (held["rtpe"] - base["rtpe"]) / n,
               "held_for_s": time.monotonic() - t_last}
        if heap and base_heap:
            res["heap_per_call"] = (heap["in_use"] -
                                    base_heap["in_use"]) / n
            res["heap"] = heap
        log("  %d calls held (%d established by xmpppeer's count, SIPp: %s "
            "ok, %s failed): gateway RSS %.1f -> %.1f MiB = %.1f KiB per "
            "call%s; rtpengine RSS %.1f -> %.1f MiB = %.1f KiB per call; "
            "after the BYEs: gateway %.1f MiB" % (
                n, established, ok_by_sipp, st.get("FailedCall"),
                base["gw"] / 1024, held["gw"] / 1024, res["gw_per_call_kib"],
                " (heap in use +%.1f KiB per call)" % (
                    res["heap_per_call"] / 1024)
                if res.get("heap_per_call") is not None else "",
                base["rtpe"] / 1024, held["rtpe"] / 1024,
                res["rtpe_per_call_kib"], after["gw"] / 1024))
        return res

    # ---- x: XMPP -> SIP ----------------------------------------------------

    def run_x2s(self, rate, count, hold_ms):
        uas_port = L.free_port(udp_too=True)
        uas = self.sipp("uas", self.uas_xml, count, [], port=uas_port,
                        timeout=int(count / rate + hold_ms / 1000 + 90))
        time.sleep(0.2)
        stack = self.start_stack(outbound_proxy=f"sip:{HOST}:{uas_port}")
        rtpe, peer, gw, sip_port = stack
        procs = {"gateway": gw, "rtpengine": rtpe, "xmpppeer": peer,
                 "sipp": uas}
        drops0 = L.udp_rcvbuf_errors()
        pd0 = {k: L.drops_total(p.pid) for k, p in procs.items()
               if k != "xmpppeer"}
        snap = self.cpu_snapshot(procs)
        got = peer.ask("calls %d %s %d" % (count, rate, hold_ms), "CALLS",
                       count / rate + hold_ms / 1000 + 60)
        d = self.cpu_delta(snap, procs)
        pd1 = {k: L.drops_total(p.pid) for k, p in procs.items()
               if k != "xmpppeer"}
        uas.wait(5)
        st = sipp_stats(uas.stat_path)
        got = got or {}
        ok = got.get("accepted", 0)
        failed = max(got.get("failed", 0), count - ok)
        res = {"dir": "xmpp2sip", "offered": rate, "count": count, "ok": ok,
               "failed": failed, "sipp": st,
               "retrans": st.get("Retransmissions", 0),
               "udp_drops": L.udp_rcvbuf_errors() - drops0,
               "proc_drops": {k: pd1[k] - pd0[k] for k in pd0
                              if pd1[k] - pd0[k] > 0},
               "p50_ms": got.get("setup_p50_ms"),
               "p99_ms": got.get("setup_p99_ms"),
               "max_ms": got.get("setup_max_ms")}
        res.update(d)
        span = got.get("secs") or count / rate
        res["rate"] = (ok - 1) / span if ok > 1 and span > 0 else 0
        res["setup_span"] = span
        res["gw_us_per_call"] = (d["cpu"]["gateway"] * 1e6 / ok
                                 if ok and d["cpu"]["gateway"] else None)
        res["rtpe_us_per_call"] = (d["cpu"]["rtpengine"] * 1e6 / ok
                                   if ok and d["cpu"]["rtpengine"] else None)
        res["sustained"] = failed == 0 and res["rate"] >= 0.95 * rate
        res["bottleneck"] = self.bottleneck(res, span + hold_ms / 1000.0)
        res["gw_alive"] = gw.alive()
        res["why"] = self.reasons_delta({}, self.gw_reasons(gw))
        gw.stop(timeout=10)
        self.r.stop_all()
        self.results.append(res)
        return res


def report(b, rounds, args):
    out = []
    add = out.append
    ok = lambda met: "MET" if met else "MISSED"  # noqa: E731
    add("")
    add("==== issue 6 benchmark: calls through rtpengine (%s, %s) ====" % (
        os.path.basename(b.build), "medians of %d rounds" % len(rounds)
        if len(rounds) > 1 else "one round"))
    others = [r["others_cores"] for r in b.results]
    add("machine: %d CPUs; other processes used %.0f%% of a core during the "
        "runs (median; max %.0f%%); no media flows (signalling + rtpengine "
        "offer/answer/delete only); hold %d ms per call in the rate steps"
        % (os.cpu_count(), (median(others) or 0) * 100,
           max(others or [0]) * 100, args.hold_ms))

    def stepped(key, label):
        rr = [r[key] for r in rounds if r.get(key)]
        if not rr:
            return
        bests = [best["offered"] if best else 0 for best, _ in rr]
        rate = median(bests)
        fails = [x for _, runs in rr for x in runs if not x["sustained"]]
        nxt = ""
        if fails:
            f = fails[-1]
            nxt = " (first failing step %d/s: %.0f/s, %d failed%s)" % (
                f["offered"], f["rate"], f["failed"],
                "; gateway log: " + ", ".join(
                    "%s %d" % kv for kv in sorted(f["why"].items()))
                if f.get("why") else "")
        add("%s sustained: %s setups/s with zero failures (target >= %d) "
            "[%s]%s" % (label, fmt(rate), TARGET_RATE,
                        ok(rate is not None and rate >= TARGET_RATE), nxt))
        if len(bests) > 1:
            add("    rounds: %s" % ", ".join("%d" % x for x in bests))
        at = [best for best, _ in rr if best]
        if at:
            m = sorted(at, key=lambda x: x["offered"])[len(at) // 2]
            add("    at %d/s: setup p50 %s ms, p99 %s ms; gateway %s us CPU "
                "per call, rtpengine %s us; CPU %s; bottleneck: %s" % (
                    m["offered"], fmt(m.get("p50_ms"), "%.1f"),
                    fmt(m.get("p99_ms"), "%.1f"),
                    fmt(m.get("gw_us_per_call")),
                    fmt(m.get("rtpe_us_per_call")),
                    ", ".join("%s %.0f%%" % (k, v * 100)
                              for k, v in sorted(m["share"].items())),
                    m["bottleneck"]))
        # per offered rate, medians over rounds
        rates = sorted({x["offered"] for _, runs in rr for x in runs})
        for rt in rates:
            xs = [x for _, runs in rr for x in runs if x["offered"] == rt]
            add("    %4d/s offered: %s setups/s, failed %s, p50 %s ms, p99 "
                "%s ms, gateway %s us/call (%d runs)" % (
                    rt, fmt(median([x["rate"] for x in xs]), "%.1f"),
                    fmt(median([x["failed"] for x in xs])),
                    fmt(median([x.get("p50_ms") for x in xs]), "%.1f"),
                    fmt(median([x.get("p99_ms") for x in xs]), "%.1f"),
                    fmt(median([x.get("gw_us_per_call") for x in xs])),
                    len(xs)))

    stepped("s", "SIP->XMPP")
    mem = [r["m"] for r in rounds if r.get("m")]
    if mem:
        per = median([m["gw_per_call_kib"] for m in mem])
        add("memory: %d established calls held: gateway +%.1f KiB per call "
            "(target <= %d) [%s]; rtpengine +%.1f KiB per call; gateway RSS "
            "%.1f -> %.1f MiB%s" % (
                mem[0]["n"], per, TARGET_KIB_PER_CALL,
                ok(per <= TARGET_KIB_PER_CALL and
                   all(m["established"] >= m["n"] for m in mem)),
                median([m["rtpe_per_call_kib"] for m in mem]),
                median([m["base"]["gw"] for m in mem]) / 1024,
                median([m["held"]["gw"] for m in mem]) / 1024,
                "; heap in use +%.1f KiB per call" % (
                    median([m["heap_per_call"] for m in mem
                            if m.get("heap_per_call") is not None]) / 1024)
                if any(m.get("heap_per_call") is not None for m in mem)
                else ""))
        if len(mem) > 1:
            add("    rounds (KiB per call): %s" % ", ".join(
                "%.1f" % m["gw_per_call_kib"] for m in mem))
    stepped("x", "XMPP->SIP")
    add("elapsed: %.0f s" % (time.monotonic() - b.started))
    print("\n".join(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get(
        "GW_BUILD_DIR", os.path.join(L.HERE, "..", "..", "build-bench")))
    ap.add_argument("--tools", help="dir of xmpppeer (default "
                    "BUILD/tests/bench)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default="s,m,x",
                    help="s (SIP->XMPP steps), m (memory), x (XMPP->SIP)")
    ap.add_argument("--rates", default="50,100,200,400,600,800")
    ap.add_argument("--step-secs", type=float, default=10.0)
    ap.add_argument("--hold-ms", type=int, default=500,
                    help="calls held this long in the rate steps (rate x "
                    "(setup + hold) must stay under max_calls_per_user, "
                    "1000, for SIP->XMPP: every call is to alice)")
    ap.add_argument("--held", type=int, default=1000,
                    help="calls held for the memory figure (at most 1000: "
                    "max_calls_per_user)")
    ap.add_argument("--held-rate", type=float, default=100)
    ap.add_argument("--heap", action="store_true",
                    help="also malloc's bytes in use (gdb)")
    ap.add_argument("--port-min", type=int, default=42000)
    ap.add_argument("--port-max", type=int, default=51999)
    ap.add_argument("--rtpengine-log-level", type=int, default=4)
    ap.add_argument("--gw-rcvbuf", type=int, default=0,
                    help="EXPERIMENT: the gateway's SIP UDP receive buffer "
                    "(gdb, setsockopt inside it); 0: as the gateway sets "
                    "it (4 MiB)")
    ap.add_argument("--log-level", default="message")
    ap.add_argument("--budget", type=float, default=900,
                    help="seconds after which no new run starts")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--video", action="store_true",
                    help="issue 18: every call offers audio + video (VP8, "
                         "H264, RTX) and both are accepted; each SIP peer "
                         "gets two m= lines, rtpengine two streams")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    L.VERBOSE = args.verbose
    parts = set(args.only.split(","))
    rates = sorted(int(x) for x in args.rates.split(",") if x)
    b = CallsBench(args)

    def on_term(*_):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    rounds = []
    try:
        for k in range(args.repeat):
            rnd = {}
            rounds.append(rnd)
            if "m" in parts and not b.over_budget():
                # a fresh gateway: an overload episode before would leave
                # freed memory for the held calls to fill
                log("m. memory per established call, round %d" % (k + 1))
                stack = b.start_stack()
                rnd["m"] = b.run_memory(stack, args.held, args.held_rate)
                stack[2].stop(timeout=10)
                b.r.stop_all()
            if "s" in parts and not b.over_budget():
                log("s. SIP -> XMPP, round %d" % (k + 1))
                stack = b.start_stack()
                rnd["s"] = b.step(lambda r: b.run_s2x(
                    stack, r, int(r * args.step_secs), args.hold_ms), rates)
                stack[2].stop(timeout=10)
                b.r.stop_all()
            if "x" in parts and not b.over_budget():
                log("x. XMPP -> SIP, round %d" % (k + 1))
                rnd["x"] = b.step(lambda r: b.run_x2s(
                    r, int(r * args.step_secs), args.hold_ms), rates)
    except KeyboardInterrupt:
        log("interrupted: figures so far")
    finally:
        b.r.close()
    report(b, rounds, args)


if __name__ == "__main__":
    main()
