#!/usr/bin/python3
"""Issue-19 peer benchmark: the gateway and Kamailio's xmpp module through
the same Prosody, in the same run, step by step.

One Prosody with two component domains: sip.localhost (the gateway) and
kam.localhost (Kamailio 5.6 with its xmpp module in component mode,
tests/bench/kamailio-xmpp.cfg). For each direction and each offered rate R,
a step on the gateway, then the same step on Kamailio, then the next rate:
  SIP->XMPP: a SIPp UAC sends R MESSAGEs/s for the step's seconds to the
             peer's SIP port, open loop (no cap on MESSAGEs awaiting their
             200); c2sload (tests/bench/c2sload.c), logged in as
             alice@localhost, counts what Prosody delivers.
  XMPP->SIP: c2sload sends R <message>s/s (no receipt requests: one stanza
             per message, as Kamailio's module is measured) to
             1001@<peer's domain>; a SIPp UAS answers each MESSAGE 200 and
             counts them (--uas-delay-ms: after a delay, a slow far side;
             --sip-transport tcp: the peers send to it over TCP).
Each step starts a fresh peer (its peak RSS is the step's), waits for its
component link, then offers the load; deliveries are awaited at most
--drain seconds after the last send. Per step: offered rate, delivered,
lost, the achieved rate, CPU us per delivered message of the gateway (all
its threads), of Kamailio (all processes of its process group) and of
Prosody, the ratio gateway/Kamailio, peak RSS (the gateway's VmHWM;
Kamailio's largest VmHWM and the Pss summed over its processes, as its
shared memory is preallocated and mapped in all of them), the SIPp
retransmissions and how busy the machine was with other work.

Kamailio's packaged xmpp.so (Debian kamailio-xmpp-modules 5.6.3) crashes on
the first element Prosody sends (upstream issue #4154); the bench loads a
fixed copy made by ../shared/tools/kamailio-xmpp-fix.py (outside this
repository). Without it (or without kamailio / the module) it says so and
prints the gateway's figures alone.

Everything runs on 127.0.0.1 on ports picked free; every process is started
here and stopped by its PID (Kamailio: its process group); every load is
bounded in count and time; the whole bench stops starting steps after
--budget seconds (default 480; bench_peer.sh kills it at 600).

Usage: tests/bench/bench_peer.sh [--quick] [--rates 2000,4000] ...
       /usr/bin/python3 tests/bench/bench_peer.py --build DIR [options]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_presence_calls_lib as L  # noqa: E402
from bench_messages import ALICE_PW, Bench, parse_result, udp_drops  # noqa
from bench_presence_calls_lib import (COMPONENT, HERE, HOST,  # noqa: E402
                                      fmt, free_port, hwm_kib, log,
                                      machine_busy, median, pss_kib,
                                      sipp_stats)

SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
FIX_TOOL = os.path.join(SRC, "..", "shared", "tools",
                        "kamailio-xmpp-fix.py")
KAM_CFG = os.path.join(HERE, "kamailio-xmpp.cfg")
KAM_DOMAIN = "kam.localhost"
KAM_SECRET = "bench-kamailio-secret"
KAM_MODULE = "/usr/lib/x86_64-linux-gnu/kamailio/modules/xmpp.so"
DIRS = {"sip2xmpp": "SIP->XMPP", "xmpp2sip": "XMPP->SIP"}


def kamailio_missing():
    """Why Kamailio cannot be the peer here, or None."""
    if not os.path.exists(FIX_TOOL):
        return ("../shared/tools/kamailio-xmpp-fix.py is absent (a fresh "
                "clone without ../shared): Debian's Kamailio xmpp module "
                "crashes unpatched on Prosody's first element (upstream "
                "issue #4154)")
    if not os.access("/usr/sbin/kamailio", os.X_OK):
        return "kamailio is not installed (package kamailio)"
    if not os.path.exists(KAM_MODULE):
        return ("Kamailio's xmpp module is not installed (package "
                "kamailio-xmpp-modules)")
    return None


class Kamailio:
    """Kamailio with kamailio-xmpp.cfg in the foreground (-DD -E), its own
    process group; stopped by signalling that group only."""

    def __init__(self, bench, so, xmpp_port, sip_port, uas_port, shm_mib,
                 transport="udp"):
        self.b = bench
        self.sip_port = sip_port
        d = os.path.join(bench.root, "kam%03d" % (bench.n + 1))
        os.makedirs(d, exist_ok=True)
        gwmap = "gw.localhost=localhost;pbx.localhost=%s" % KAM_DOMAIN
        argv = ["/usr/sbin/kamailio", "-DD", "-E", "-f", KAM_CFG,
                "-m", str(shm_mib), "-M", "16", "-Y", d,
                "-P", os.path.join(d, "kamailio.pid"),
                "-l", "udp:%s:%d" % (HOST, sip_port),
                "-A", 'XMPP_SO="%s"' % so,
                "-A", 'XMPP_DOMAIN="%s"' % KAM_DOMAIN,
                "-A", "XMPP_PORT=%d" % xmpp_port,
                "-A", 'XMPP_SECRET="%s"' % KAM_SECRET,
                "-A", 'OUTBOUND="sip:%s:%d%s"' % (
                    HOST, uas_port,
                    ";transport=tcp" if transport == "tcp" else ""),
                "-A", 'GWMAP="%s"' % gwmap]
        if transport == "tcp":
            argv += ["-l", "tcp:%s:%d" % (HOST, sip_port)]
        self.proc = bench.start("kamailio", argv, workdir=d)
        self.pid = self.proc.pid

    def pids(self):
        return L.group_pids(self.pid)

    def cpu_total(self):
        return L.group_cpu_s(self.pid)

    def wait_up(self, comp_port, before, timeout=15):
        """Up once its component connection to Prosody is established
        (`before`: established connections to comp_port before it
        started) and the handshake has had a moment."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.proc.alive():
                break
            if L.tcp_established_to(comp_port) > before:
                time.sleep(0.5)
                if self.proc.alive():
                    return
            time.sleep(0.05)
        raise RuntimeError("kamailio did not come up:\n" +
                           self.proc.log_text()[-2000:])

    def memory(self):
        """(largest VmHWM, summed Pss) over its processes, KiB."""
        pids = self.pids()
        hwm = max([hwm_kib(p) or 0 for p in pids] or [0])
        pss = sum(pss_kib(p) or 0 for p in pids)
        return hwm, pss

    def stop(self):
        for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 3)):
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            end = time.monotonic() + wait
            while time.monotonic() < end:
                self.proc.wait(0.05)
                if not self.pids():
                    break
            if not self.pids():
                break
        self.proc.stop()
        left = self.pids()
        if left:
            log("  kamailio: processes %s left in its group" % left)
        return not left


class PeerBench:
    def __init__(self, args):
        self.args = args
        self.b = Bench(args)
        self.kam_so = None
        self.rows = []
        self.started = time.monotonic()

    def setup(self):
        why = None if self.args.no_kamailio else kamailio_missing()
        if self.args.no_kamailio:
            why = "--no-kamailio given"
        if why is None:
            self.kam_so = os.path.join(self.b.root, "xmpp-fixed.so")
            r = subprocess.run(["/usr/bin/python3", FIX_TOOL, self.kam_so],
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            if r.returncode != 0:
                why = "kamailio-xmpp-fix.py failed: %s" % r.stdout.decode(
                    "utf-8", "replace").strip()
                self.kam_so = None
        self.no_kam_reason = why
        if why:
            log("Kamailio not run: %s; the gateway's figures alone" % why)
        self.b.start_prosody(components={KAM_DOMAIN: KAM_SECRET})

    def over_budget(self):
        return time.monotonic() - self.started > self.args.budget

    # ---- one step ------------------------------------------------------

    def prosody_quiet(self, limit=20.0, window=0.25, share=0.05):
        """Waits until Prosody uses under `share` of a core over `window`
        seconds, at most `limit` seconds; the seconds waited (None: it
        never got quiet)."""
        p = self.b.prosody
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            c0 = p.cpu_total()
            time.sleep(window)
            if p.cpu_total() - c0 < share * window:
                return time.monotonic() - t0
        return None

    def step(self, peer, direction, rate, secs):
        """One bounded step of `secs` seconds at `rate` msg/s on `peer`
        ("gateway" or "kamailio"); a dict of figures."""
        b = self.b
        count = max(1, int(rate * secs))
        drain = self.args.drain
        limit = int(secs + drain + 15)
        sip_port = free_port(udp_too=True)
        uas_port = free_port(udp_too=True)
        uac_port = free_port(udp_too=True)
        res = {"peer": peer, "direction": direction, "offered": rate,
               "count": count, "secs": secs}
        procs = []
        kam = None
        try:
            if direction == "xmpp2sip":
                delay = self.args.uas_delay_ms
                # -trace_counts: MESSAGEs received again before answered
                uas = b.sipp("uas", "bench_msg_uas_slow.xml" if delay else
                             "bench_msg_uas.xml", uas_port, count,
                             ["-trace_counts"] +
                             (["-d", str(delay)] if delay else []),
                             timeout=limit, transport=self.args.sip_transport)
                procs.append(uas)
                time.sleep(0.1)
            before = L.tcp_established_to(b.comp_port)
            if peer == "gateway":
                gw = b.start_gateway(b.comp_port, sip_port, uas_port,
                                     transport=self.args.sip_transport,
                                     default_limits=True,
                                     settings=self.args.gw_set)
                procs.append(gw)
                b.wait_gateway_up(gw)
                cpu_of = gw.cpu_total
                sys_of = lambda: L.proc_stime(gw.pid) or 0.0  # noqa: E731
                domain = COMPONENT
            else:
                kam = Kamailio(b, self.kam_so, b.comp_port, sip_port,
                               uas_port, self.args.kam_shm,
                               self.args.sip_transport)
                kam.wait_up(b.comp_port, before)
                cpu_of = kam.cpu_total
                sys_of = lambda: L.group_stime(kam.pid)  # noqa: E731
                domain = KAM_DOMAIN
            argv = [b.c2sload, "--port", str(b.c2s_port), "--user", "alice",
                    "--password", ALICE_PW, "--timeout", str(limit),
                    "--wait-go"]
            if direction == "xmpp2sip":
                argv += ["--mode", "send", "--to", "1001@" + domain,
                         "--count", str(count), "--rate", str(rate),
                         "--no-receipts", "--drain", "0.5"]
            else:
                # twice the count: it ends 2 s after the last arrival, so
                # duplicates show as more than were sent
                # --from-domain: a late message of the step before (the
                # other peer's, still in Prosody) is stray, not this
                # peer's delivery or duplicate
                argv += ["--mode", "recv", "--count", str(2 * count),
                         "--idle", "2", "--from-domain", domain]
            load = b.start("c2sload", argv, stdout=subprocess.PIPE,
                           stdin=subprocess.PIPE)
            procs.append(load)
            if load.next_line("READY", 20) is None:
                raise RuntimeError("c2sload not ready: " +
                                   load.log_text()[-1500:])
            # the step before may have left Prosody a backlog (a peer that
            # fell behind): this step starts once Prosody is quiet
            res["settle"] = self.prosody_quiet()
            cpu0 = {"peer": cpu_of(), "prosody": b.prosody.cpu_total(),
                    "sys": sys_of()}
            busy0 = machine_busy()
            t0 = time.monotonic()
            load.send_line("go")
            uas_end = []
            if direction == "xmpp2sip":
                # the UAS exits once it has answered `count` MESSAGEs: the
                # time of the last delivery
                def watch_uas(p=uas, end=t0 + limit + 5):
                    while p.alive() and time.monotonic() < end:
                        time.sleep(0.005)
                    uas_end.append(time.monotonic())
                threading.Thread(target=watch_uas, daemon=True).start()
            if direction == "sip2xmpp":
                # open loop: no cap on MESSAGEs awaiting their 200 (-l),
                # so a peer that answers late is not offered less
                uac = b.sipp("uac", "bench_msg_uac.xml", uac_port, count,
                             ["-r", str(rate), "-rp", "1000",
                              "-l", str(count)],
                             remote="%s:%d" % (HOST, sip_port),
                             timeout=limit)
                procs.append(uac)
                uac.wait(limit + 5)
                line = load.next_line("RESULT", limit)
                t_end = time.monotonic()
                sipp_proc = uac
            else:
                line = load.next_line("RESULT", limit)
                uas.wait(drain)
                t_end = time.monotonic()
                sipp_proc = uas
            cpu1 = {"peer": cpu_of(), "prosody": b.prosody.cpu_total(),
                    "sys": sys_of()}
            busy1 = machine_busy()
            if line is None:
                raise RuntimeError("c2sload gave no result: " +
                                   load.log_text()[-1500:])
            r = parse_result(line)
            res["udp_drops"] = sum(udp_drops({sip_port, uas_port}).values())
            if peer == "gateway":
                res["hwm_kib"] = hwm_kib(gw.pid)
                res["alive"] = gw.alive()
                res["exit"] = gw.status
            else:
                res["hwm_kib"], res["pss_kib"] = kam.memory()
                res["alive"] = kam.proc.alive()
                res["exit"] = kam.proc.status
            load.wait(5)
            if sipp_proc.alive():
                sipp_proc.stop()
            st = sipp_stats(sipp_proc.stat_path)
            # the UAC's own retransmissions (the peer answered late); at
            # the UAS, the peer's retransmissions of MESSAGEs already
            # answered, which SIPp counts as dead-call messages
            res["retrans"] = st.get("Retransmissions", 0) + (
                st.get("DeadCallMsgs", 0) + uas_retrans(sipp_proc.dir)
                if direction == "xmpp2sip" else 0)
            if direction == "xmpp2sip":
                done = st.get("SuccessfulCall", 0)
                res["bounced"] = r.get("failed", 0)
                res["sent"] = r.get("sent", 0)
                # first send to last delivery when all came, else to the
                # end of the wait
                span = (uas_end[0] if uas_end and done >= count else
                        t_end) - t0
                res["rate"] = done / span if done else 0.0
            else:
                done = r.get("received", 0)
                res["bad"] = r.get("bad", 0)
                res["stray"] = r.get("stray", 0)
                res["sipp_failed"] = (st.get("FailedCall", 0) +
                                      uac_refused(sipp_proc.dir))
                res["rate"] = r.get("rate", 0.0)
            res["delivered"] = done
            # refused: the sender got an error (SIPp a non-2xx final, the
            # XMPP client an error stanza); lost: neither that nor delivery
            res["refused"] = (res.get("bounced", 0) if direction == "xmpp2sip"
                              else res.get("sipp_failed", 0))
            res["lost"] = max(0, count - done - res["refused"])
            res["extra"] = max(0, done - count)
            wall = t_end - t0
            res["wall"] = wall
            res["cpu_peer"] = cpu1["peer"] - cpu0["peer"]
            res["cpu_prosody"] = cpu1["prosody"] - cpu0["prosody"]
            res["us_peer"] = res["cpu_peer"] * 1e6 / done if done else None
            # the kernel's part (clock ticks: coarse over a short step)
            res["us_sys"] = ((cpu1["sys"] - cpu0["sys"]) * 1e6 / done
                             if done else None)
            res["us_prosody"] = (res["cpu_prosody"] * 1e6 / done
                                 if done else None)
            machine = ((busy1[0] - busy0[0]) / max(busy1[1] - busy0[1], 1) *
                       (os.cpu_count() or 1))
            ours = (res["cpu_peer"] + res["cpu_prosody"] +
                    r.get("cpu_us", 0) / 1e6 + (sipp_proc.cpu_total() or 0))
            res["machine_cores"] = machine
            res["others_cores"] = max(0.0, machine - ours / max(wall, 1e-3))
            res["prosody_share"] = res["cpu_prosody"] / max(wall, 1e-3)
        finally:
            for p in procs:
                p.stop()
            if kam is not None:
                kam.stop()
                # requests Kamailio failed for want of shared memory
                res["shm_errors"] = sum(
                    1 for line in kam.proc.log_text().splitlines()
                    if "out of mem" in line or
                    "could not allocate shared memory" in line)
        return res

    def run(self):
        rates = self.args.rate_list
        for direction in self.args.directions:
            log("%s, steps of %g s" % (DIRS[direction], self.args.secs))
            for rate in rates:
                pair = {}
                # listed at once: an interrupted bench reports what it has
                self.rows.append((direction, rate, pair))
                for peer in ("gateway", "kamailio"):
                    if peer == "kamailio" and self.kam_so is None:
                        continue
                    if self.over_budget():
                        log("  (time budget of %.0f s used: no more steps)" %
                            self.args.budget)
                        return
                    try:
                        res = self.step(peer, direction, rate,
                                        self.args.secs)
                    except RuntimeError as e:
                        log("  %s %s %d/s failed to run: %s" % (
                            peer, direction, rate, e))
                        res = {"peer": peer, "direction": direction,
                               "offered": rate, "error": str(e)[:300]}
                    pair[peer] = res
                    log("  " + describe(res))

    def close(self):
        self.b.close()


def uac_refused(d):
    """MESSAGEs the SIPp UAC got a final error for (a 503 when the peer
    is full): SIPp logs each as an unexpected message and goes on waiting
    for its 200, so its FailedCall counter never sees them. Distinct
    Call-IDs in its error log."""
    ids = set()
    for name in os.listdir(d):
        if not name.startswith("errors"):
            continue
        with open(os.path.join(d, name), errors="replace") as f:
            for line in f:
                m = re.search(r"unexpected message for Call-Id '([^']+)'", line)
                if m:
                    ids.add(m.group(1))
    return len(ids)


def uas_retrans(d):
    """MESSAGEs the SIPp UAS received again before it answered them (the
    last line of its -trace_counts CSV)."""
    for name in os.listdir(d):
        if not name.endswith("_counts.csv"):
            continue
        with open(os.path.join(d, name)) as f:
            lines = [x for x in f.read().splitlines() if x.strip()]
        if len(lines) >= 2:
            row = dict(zip(lines[0].split(";"), lines[-1].split(";")))
            try:
                return int(row.get("0_MESSAGE_Retrans", "0") or 0)
            except ValueError:
                return 0
    return 0


def describe(r):
    if "error" in r:
        return "%-8s %6d/s: did not run" % (r["peer"], r["offered"])
    mem = "HWM %s MiB" % fmt(r.get("hwm_kib") and r["hwm_kib"] / 1024,
                             "%.1f")
    if r.get("pss_kib") is not None:
        mem += " (largest process), Pss %.0f MiB (all)" % (
            r["pss_kib"] / 1024)
    return ("%-8s %-9s %6d/s: %d/%d delivered, %d refused, %d lost%s at %.0f/s; CPU "
            "us/msg %s (kernel %s), prosody %s (%.0f%% of a core); %s; SIPp retrans %d; "
            "UDP drops %d; others %.0f%%%s" % (
                r["peer"], DIRS[r["direction"]], r["offered"], r["delivered"],
                r["count"], r.get("refused", 0), r["lost"],
                ", %d extra" % r["extra"] if r["extra"] else "", r["rate"],
                fmt(r["us_peer"], "%.0f"), fmt(r.get("us_sys"), "%.0f"),
                fmt(r["us_prosody"], "%.0f"),
                r["prosody_share"] * 100, mem, r["retrans"], r["udp_drops"],
                r["others_cores"] * 100,
                "" if r["alive"] else "; the peer died (exit status %s, "
                "negative: the signal)" % r.get("exit")) +
            ("; %d shared-memory errors" % r["shm_errors"]
             if r.get("shm_errors") else "") +
            ("; %d stray (the step before's, not counted)" % r["stray"]
             if r.get("stray") else "") +
            ("; Prosody was still busy 20 s after the step before"
             if "settle" in r and r["settle"] is None else
             "; Prosody quiet after %.1f s" % r["settle"]
             if r.get("settle", 0) >= 1 else ""))


def report(pb, args):
    out = []
    add = out.append
    others = [r["others_cores"] for _, _, pair in pb.rows
              for r in pair.values() if "others_cores" in r]
    add("")
    add("==== issue 19 peer benchmark: gateway vs Kamailio xmpp, through "
        "one Prosody ====")
    add("machine: %d CPUs; steps of %g s; other processes used %.0f%% of a "
        "core during the steps (median, max %.0f%%)%s" % (
            os.cpu_count(), args.secs, (median(others) or 0) * 100,
            max(others or [0]) * 100,
            "; NOISY: figures indicative only"
            if (median(others) or 0) > 0.10 else ""))
    if pb.no_kam_reason:
        add("Kamailio not run: %s. The gateway's figures alone, no ratio." %
            pb.no_kam_reason)
    if args.sip_transport != "udp":
        add("XMPP->SIP: the peers send to the SIPp UAS over %s" %
            args.sip_transport.upper())
    if args.uas_delay_ms:
        add("XMPP->SIP: the SIPp UAS answers each MESSAGE after %d ms (a "
            "slow far side)" % args.uas_delay_ms)
    add("gateway: [sip] listen (one address), log level default, %s%s; "
        "Kamailio 5.6 xmpp (fixed copy), children=4, -m %d -M 16" % (
            os.path.basename(os.path.abspath(args.build)),
            "".join(", " + x for x in args.gw_set), args.kam_shm))
    add("CPU us per delivered message; refused = the sender got an error "
        "(a SIP final non-2xx, an XMPP error); lost = neither that nor "
        "delivered within %g s after the last send; RSS: gateway VmHWM, Kamailio largest "
        "VmHWM / summed Pss; SIPp retrans: the UAC's own (SIP->XMPP), the "
        "peer's MESSAGEs received again at the UAS (XMPP->SIP)" % args.drain)
    add("each step starts once Prosody is quiet (under 5% of a core) after "
        "the step before; a SIP->XMPP message from another domain than the "
        "step's peer (the step before's, late) is stray: not counted")
    add("")
    add("kernel: of the CPU us/msg, the part in the kernel (stime: system "
        "calls and the loopback network work done in them); floor: the "
        "gateway's kernel part over Kamailio's whole cost, the lowest "
        "gw/Kam the gateway could reach with a user space costing nothing")
    add("")
    add("| direction | offered/s | peer | delivered | refused | lost | achieved/s | "
        "CPU us/msg | kernel | Prosody us/msg | gw/Kam | floor | peak RSS MiB | SIPp "
        "retrans | others |")
    add("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for direction, rate, pair in pb.rows:
        if not pair:
            continue
        gw, kam = pair.get("gateway"), pair.get("kamailio")
        ratio = floor = None
        if gw and kam and gw.get("us_peer") and kam.get("us_peer"):
            ratio = gw["us_peer"] / kam["us_peer"]
            if gw.get("us_sys") is not None:
                floor = gw["us_sys"] / kam["us_peer"]
        for name, r in (("gateway", gw), ("Kamailio", kam)):
            if r is None:
                continue
            if "error" in r:
                add("| %s | %d | %s | did not run | | | | | | | | | | | |" % (
                    DIRS[direction], rate, name))
                continue
            mem = "%.1f" % (r["hwm_kib"] / 1024) if r.get("hwm_kib") \
                else "n/a"
            if r.get("pss_kib") is not None:
                mem += " / %.0f" % (r["pss_kib"] / 1024)
            if not r["alive"]:
                mem += " (the peer died)"
            if r.get("shm_errors"):
                mem += " (shm full: %d errors)" % r["shm_errors"]
            add("| %s | %d | %s | %d%s | %d | %d | %.0f | %s | %s | %s | %s | %s "
                "| %s | %d | %.0f%% |" % (
                    DIRS[direction], rate, name, r["delivered"],
                    " (+%d)" % r["extra"] if r["extra"] else "",
                    r.get("refused", 0), r["lost"],
                    r["rate"], fmt(r["us_peer"]), fmt(r.get("us_sys")),
                    fmt(r["us_prosody"]),
                    fmt(ratio, "%.2f") if name == "gateway" else "",
                    fmt(floor, "%.2f") if name == "gateway" else "",
                    mem, r["retrans"], r["others_cores"] * 100))
    add("")
    add("elapsed: %.0f s" % (time.monotonic() - pb.started))
    print("\n".join(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get(
        "GW_BUILD_DIR", os.path.join(SRC, "build-bench")))
    ap.add_argument("--rates", default="2000,4000,8000,12000,16000")
    ap.add_argument("--step-secs", type=float, default=4.0)
    ap.add_argument("--only", default="sip2xmpp,xmpp2sip",
                    help="directions: sip2xmpp, xmpp2sip")
    ap.add_argument("--drain", type=float, default=None,
                    help="seconds to wait for deliveries after the last "
                    "send (default 12, --quick 6)")
    ap.add_argument("--quick", action="store_true",
                    help="2 s steps at 2000,8000,16000/s (<= 2 min)")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds after which no new step starts "
                    "(default 480, --quick 100)")
    # tm keeps each transaction 5 s after its final answer (wait timer),
    # ~9 KiB of shared memory each here: at 16,000/s that is ~700 MiB;
    # with -m 256 Kamailio refuses requests from ~29,000 transactions on
    # (seen here). Preallocated, but RSS only counts what is touched.
    ap.add_argument("--kam-shm", type=int, default=1024,
                    help="Kamailio's shared memory, MiB (default 1024; "
                    "256 runs out from ~29,000 transactions within 5 s)")
    ap.add_argument("--uas-delay-ms", type=int, default=0,
                    help="XMPP->SIP: the SIPp UAS answers each MESSAGE "
                    "after this many ms (a slow far side; above T1, 500 "
                    "ms, the peers retransmit)")
    ap.add_argument("--sip-transport", choices=("udp", "tcp"),
                    default="udp", help="XMPP->SIP: the transport from the "
                    "peer to the SIPp UAS (TCP: no retransmissions)")
    ap.add_argument("--no-kamailio", action="store_true",
                    help="the gateway alone")
    ap.add_argument("--gw-set", action="append", default=[],
                    metavar="GROUP.KEY=VALUE",
                    help="a gateway setting for tuning runs (repeatable), "
                    "e.g. limits.wakeup_window_us=0")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    L.VERBOSE = args.verbose
    if args.quick:
        args.rates = "2000,8000,16000" if args.rates == ap.get_default(
            "rates") else args.rates
    args.rate_list = [int(x) for x in args.rates.split(",") if x]
    args.secs = 2.0 if args.quick else args.step_secs
    args.drain = args.drain if args.drain is not None else (
        6.0 if args.quick else 12.0)
    args.budget = args.budget if args.budget is not None else (
        100.0 if args.quick else 480.0)
    args.directions = [d for d in args.only.split(",") if d in DIRS]
    args.prosody_extra = ""  # what Bench reads
    pb = PeerBench(args)

    def on_term(*a):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    try:
        pb.setup()
        pb.run()
    except KeyboardInterrupt:
        log("interrupted: figures so far")
    finally:
        pb.close()
    report(pb, args)


if __name__ == "__main__":
    main()
