#!/usr/bin/python3
"""Issue-5 benchmark: presence through the gateway (no Prosody).

  xmpppeer (tests/bench/xmpppeer.c) is the XMPP server the gateway
  connects to as a component; it plays alice@localhost: approves every
  subscription request, answers probes with her presence, and sends one
  presence change on command (to ONE contact JID, w1@sip.localhost:
  Prosody would send it to each approved contact; the gateway aggregates
  per user, so one is enough to make it NOTIFY every SIP watcher).
  sipwatchers (tests/bench/sipwatchers.c) holds the SIP watchers
  (sip:wN@pbx.localhost SUBSCRIBEs sip:alice@gw.localhost, Expires 3600,
  one UDP socket, paced) or plays a presence server (B direction).

  a. memory: RSS of the gateway before and after N SIP watcher
     subscriptions (levels 1,000 / 10,000 / 100,000 in one run, each
     reached at --rate SUBSCRIBEs/s); sampled right after the last active
     NOTIFY and again after --settle s (Sofia keeps each SUBSCRIBE server
     transaction 32 s, Timer J, and each NOTIFY client transaction 5 s);
     with --heap, glibc's own count of bytes in use (gdb, mallinfo2) and
     RSS after malloc_trim (the live memory). Per subscription = delta / N.
  f. fan-out: with N active watchers (1,000 for the target), one presence
     change of alice -> the last of the N NOTIFYs received (CLOCK_MONOTONIC
     in both tools), median of --fanout-reps; gateway CPU per change
     (schedstat of all its threads, up to 0.3 s after the last NOTIFY:
     the 200 OKs are part of the cost).
  b. watched SIP addresses (B): alice subscribes to N SIP contacts
     c1..cN@sip.localhost; the gateway SUBSCRIBEs each through
     [presence] server = sipwatchers --mode notify, which answers 200 and
     NOTIFYs 'open'; counted when alice has each contact's presence.

Every run is bounded; processes are started here and stopped by PID.
Usage: tests/bench/bench_presence.sh [--repeat 3] [--only a,f,b] ...
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_presence_calls_lib as L  # noqa: E402
from bench_presence_calls_lib import (COMPONENT, HOST, fmt, log,  # noqa: E402
                                      median)

TARGET_SUBS = 100000
TARGET_MIB = 256
TARGET_FANOUT_N = 1000
TARGET_FANOUT_MS = 200


class PresenceBench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.tools = os.path.abspath(args.tools or os.path.join(
            self.build, "tests", "bench"))
        self.gw_bin = os.path.join(self.build, "gateway", "xmpp-sip-gateway")
        self.peer_bin = os.path.join(self.tools, "xmpppeer")
        self.sw_bin = os.path.join(self.tools, "sipwatchers")
        for b in (self.gw_bin, self.peer_bin, self.sw_bin):
            if not os.access(b, os.X_OK):
                raise SystemExit("missing %s: build it first "
                                 "(tests/bench/bench_presence.sh does)" % b)
        self.r = L.Runner(keep=args.keep, prefix="gwbench-pres-")
        self.gw_rb = None  # the SIP socket's receive buffer, as ss shows it
        self.started = time.monotonic()

    def over_budget(self):
        return time.monotonic() - self.started > self.args.budget

    # ---- setup -----------------------------------------------------------

    def start_pair(self, extra_presence=None, change_to=None):
        """xmpppeer + gateway; returns (peer, gw, sip_port)."""
        argv = [self.peer_bin, "--secret", L.SECRET, "--domain", COMPONENT,
                "--life", str(self.args.budget + 120)]
        if change_to:
            argv += ["--change-to", change_to]
        peer = self.r.start("xmpppeer", argv, stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE)
        line = peer.next_line("LISTEN", 10)
        if line is None:
            raise RuntimeError("xmpppeer did not listen: " + peer.log_text())
        sip_port = L.free_port(udp_too=True)
        pres = {
            "enabled": "true",
            "max_sip_watchers": max(200000, max(self.levels()) * 2),
            "max_watched": 100000,
            "min_expires": 60, "max_expires": 3600,
            "allow_watchers": "localhost",
        }
        pres.update(extra_presence or {})
        self.watch_port = sip_port
        gw = self.r.start_gateway(
            self.gw_bin, L.kv(line)["port"], sip_port,
            {"presence": pres,
             "limits": {"max_rate_entries": 1000000}},
            level=self.args.log_level)
        if peer.next_line("READY", 20) is None:
            raise RuntimeError("no component handshake:\n" +
                               gw.log_text()[-2000:])
        if not L.wait_log(gw, "XMPP link up", 10):
            raise RuntimeError("gateway not up:\n" + gw.log_text()[-2000:])
        if self.args.gw_rcvbuf:
            ok = L.set_rcvbuf(gw.pid, sip_port, self.args.gw_rcvbuf)
            log("  EXPERIMENT: gateway SIP socket receive buffer set to %d "
                "bytes through gdb: %s" % (self.args.gw_rcvbuf,
                                           "done" if ok else "FAILED"))
        self.gw_rb = sip_rcvbuf(self.watch_port) or self.gw_rb
        return peer, gw, sip_port

    def levels(self):
        return sorted(int(x) for x in self.args.levels.split(",") if x)

    def heap(self, gw, trim=False):
        if not self.args.heap:
            return None
        return L.gdb_heap(gw.pid, trim=trim)

    # ---- a + f: SIP watchers of alice ------------------------------------

    def fanout(self, peer, sw, gw, n, reps):
        out = []
        for i in range(reps):
            time.sleep(self.args.fanout_gap)
            sw.send_line("mark")
            if sw.next_line("MARKED", 5) is None:
                raise RuntimeError("sipwatchers did not mark")
            cpu0 = L.proc_sched_s(gw.pid)
            d0 = L.drops_total(gw.pid)
            sent = peer.ask("change", "SENT", 10)
            res = sw.ask("wait-notifies %d %d" % (n, max(10, n // 2000 + 10)),
                         "NOTIFIES", max(15, n // 2000 + 15))
            time.sleep(0.3)
            cpu1 = L.proc_sched_s(gw.pid)
            if sent is None or res is None:
                raise RuntimeError("fan-out: no answer from the tools")
            r = {
                "n": res["n"], "want": n, "timed_out": res["timed_out"],
                "first_ms": (res["first_ns"] - sent["t_ns"]) / 1e6
                if res["n"] else None,
                "last_ms": (res["last_ns"] - sent["t_ns"]) / 1e6
                if res["n"] else None,
                "gw_cpu_ms": (cpu1 - cpu0) * 1e3
                if cpu0 is not None and cpu1 is not None else None,
                "gw_drops": L.drops_total(gw.pid) - d0,
            }
            out.append(r)
            log("    fan-out %d/%d to %d watchers: %d NOTIFYs, first %s ms, "
                "last %s ms after the change; gateway CPU %s ms; %d 200 OKs "
                "dropped at the gateway's receive buffer%s" % (
                    i + 1, reps, n, r["n"], fmt(r["first_ms"], "%.1f"),
                    fmt(r["last_ms"], "%.1f"), fmt(r["gw_cpu_ms"], "%.1f"),
                    r["gw_drops"], " (TIMED OUT)" if r["timed_out"] else ""))
        return out

    def watchers_round(self, k):
        a = self.args
        res = {"levels": [], "fanout": {}}
        peer, gw, sip_port = self.start_pair(change_to=f"w1@{COMPONENT}")
        sw = self.r.start("sipwatchers", [
            self.sw_bin, "--mode", "watch", "--gw", f"{HOST}:{self.watch_port}",
            "--max", str(max(self.levels())), "--expires", "3600",
            "--life", str(a.budget + 120)],
            stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        if sw.next_line("LISTEN", 5) is None:
            raise RuntimeError("sipwatchers did not start")
        time.sleep(1.0)
        res["base_rss_kib"] = L.rss_kib(gw.pid)
        res["base_heap"] = self.heap(gw)
        log("  round %d: gateway idle RSS %.1f MiB%s" % (
            k, res["base_rss_kib"] / 1024,
            ", heap in use %.1f MiB" % (res["base_heap"]["in_use"] / 2**20)
            if res["base_heap"] else ""))
        have = have_active = 0
        drops0 = L.udp_rcvbuf_errors()
        gwd0 = L.drops_total(gw.pid)
        self.gw_drops0 = gwd0
        for n in self.levels():
            if self.over_budget():
                log("  (time budget used: stopping at %d)" % have)
                break
            more = n - have
            cpu0 = L.proc_sched_s(gw.pid)
            t0 = time.monotonic()
            sw.send_line("subscribe %d %s" % (more, a.rate))
            limit = min(more / a.rate * 4 + 60, a.level_timeout)
            act = sw.ask("wait-active %d %d" % (n, int(limit)), "ACTIVE",
                         limit + 30)
            if act is not None and act["n"] + act["failed"] < n:
                # not there in time: stop adding load, measure what is held
                sw.ask("stop", "STOPPED", 10)
            t1 = time.monotonic()
            cpu1 = L.proc_sched_s(gw.pid)
            if act is None:
                raise RuntimeError("sipwatchers gave no ACTIVE line")
            new = max(act["n"] - have_active, 0)
            lv = {"n": n, "active": act["n"], "failed": act["failed"],
                  "retrans": act["retrans"], "secs": t1 - t0, "new": new,
                  "rate": new / max(t1 - t0, 1e-3),
                  "gw_cpu_s": cpu1 - cpu0,
                  "rss_kib": L.rss_kib(gw.pid), "hwm_kib": L.hwm_kib(gw.pid),
                  "gw_drops": L.drops_total(gw.pid) - gwd0}
            have = n
            have_active = act["n"]
            log("    %d watchers: %d active, %d failed, %d SUBSCRIBE "
                "retransmissions; %.1f s (%.0f/s achieved, %s/s offered), "
                "gateway CPU %.0f us/subscription; RSS %.1f MiB; %d datagrams "
                "dropped at the gateway's full receive buffer so far" % (
                    n, act["n"], act["failed"], act["retrans"], lv["secs"],
                    lv["rate"], a.rate, lv["gw_cpu_s"] * 1e6 / max(new, 1),
                    lv["rss_kib"] / 1024, lv["gw_drops"]))
            if a.settle > 0:
                time.sleep(a.settle)
            lv["rss_settled_kib"] = L.rss_kib(gw.pid)
            lv["hwm_kib"] = L.hwm_kib(gw.pid)
            lv["heap"] = self.heap(gw)
            if a.heap and a.trim:
                lv["heap_trim"] = self.heap(gw, trim=True)
                lv["rss_trim_kib"] = L.rss_kib(gw.pid)
            held = max(act["n"], 1)
            per = (lv["rss_settled_kib"] - res["base_rss_kib"]) * 1024 / held
            lv["per_sub_bytes"] = per
            extra = ""
            if lv.get("heap"):
                lv["heap_per_sub"] = (lv["heap"]["in_use"] -
                                      res["base_heap"]["in_use"]) / held
                extra += ", heap in use %.1f MiB (%.0f B/subscription)" % (
                    lv["heap"]["in_use"] / 2**20, lv["heap_per_sub"])
            if lv.get("rss_trim_kib"):
                extra += ", RSS after malloc_trim %.1f MiB" % (
                    lv["rss_trim_kib"] / 1024)
            log("    after %.0f s: RSS %.1f MiB (+%.0f B per subscription), "
                "peak %.1f MiB%s" % (a.settle, lv["rss_settled_kib"] / 1024,
                                      per, lv["hwm_kib"] / 1024, extra))
            res["levels"].append(lv)
            if "f" in a.parts and n in self.fanout_levels() and act["n"]:
                reps = a.fanout_reps if n <= 10000 else max(
                    1, min(3, a.fanout_reps))
                # every active watcher gets a NOTIFY
                res["fanout"][n] = self.fanout(peer, sw, gw, act["n"], reps)
            if act["n"] < n:
                log("    not all watchers active: stopping this round")
                break
        res["udp_drops"] = L.udp_rcvbuf_errors() - drops0
        st = sw.ask("stats", "STATS", 5)
        res["sw_stats"] = st
        ps = peer.ask("stats", "STATS", 5)
        res["peer_stats"] = ps
        res["gw_alive"] = gw.alive()
        # stop the gateway first (its shutdown NOTIFYs every watcher)
        gw.stop(timeout=15)
        self.r.stop_all()
        return res

    def fanout_levels(self):
        return [int(x) for x in self.args.fanout_levels.split(",") if x]

    # ---- b: SIP contacts watched by alice --------------------------------

    def contacts_round(self, k):
        a = self.args
        nt = self.r.start("notifier", [
            self.sw_bin, "--mode", "notify", "--life", str(a.budget + 120)],
            stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        line = nt.next_line("LISTEN", 5)
        if line is None:
            raise RuntimeError("notifier did not start")
        nport = L.kv(line)["port"]
        peer, gw, _ = self.start_pair(
            {"server": f"sip:{HOST}:{nport}", "subscribe_expires": 3600},
            change_to=f"c0@{COMPONENT}")
        # alice online first: the gateway subscribes only for online
        # watchers
        peer.ask("change", "SENT", 5)
        time.sleep(1.0)
        res = {"base_rss_kib": L.rss_kib(gw.pid), "levels": []}
        res["base_heap"] = self.heap(gw)
        have = 0
        for n in sorted(int(x) for x in a.contacts.split(",") if x):
            if self.over_budget():
                break
            more = n - have
            cpu0 = L.proc_sched_s(gw.pid)
            t0 = time.monotonic()
            # c(have+1).. : xmpppeer numbers from 1 on each command, so
            # one command per round with the whole level
            peer.send_line("watch %d %s" % (n, a.contact_rate))
            got = peer.ask("wait-contacts %d %d" % (n, int(n / a.contact_rate
                                                         * 4 + 60)),
                           "CONTACTS", n / a.contact_rate * 4 + 90)
            t1 = time.monotonic()
            cpu1 = L.proc_sched_s(gw.pid)
            if got is None:
                raise RuntimeError("xmpppeer gave no CONTACTS line")
            lv = {"n": n, "seen": got["n"], "presences": got["presences"],
                  "secs": t1 - t0, "gw_cpu_s": cpu1 - cpu0,
                  "rss_kib": L.rss_kib(gw.pid)}
            if a.settle > 0:
                time.sleep(a.settle)
            lv["rss_settled_kib"] = L.rss_kib(gw.pid)
            lv["heap"] = self.heap(gw)
            lv["per_contact_bytes"] = (lv["rss_settled_kib"] -
                                       res["base_rss_kib"]) * 1024 / n
            if lv.get("heap") and res.get("base_heap"):
                lv["heap_per_contact"] = (lv["heap"]["in_use"] -
                                          res["base_heap"]["in_use"]) / n
            ns = nt.ask("stats", "STATS", 5)
            lv["notifier"] = ns
            log("    %d contacts: %d with presence at alice (%d presence "
                "stanzas to her), %.1f s, gateway CPU %.0f us/contact; "
                "SUBSCRIBEs at the notifier %s; RSS %.1f MiB -> %.1f MiB "
                "after %.0f s (+%.0f B per contact)%s" % (
                    n, got["n"], got["presences"], lv["secs"],
                    lv["gw_cpu_s"] * 1e6 / max(more, 1),
                    ns.get("subscribes_in") if ns else "?",
                    lv["rss_kib"] / 1024, lv["rss_settled_kib"] / 1024,
                    a.settle, lv["per_contact_bytes"],
                    ", heap +%.0f B per contact" % lv["heap_per_contact"]
                    if lv.get("heap_per_contact") is not None else ""))
            res["levels"].append(lv)
            have = n
            break  # one level per gateway (xmpppeer numbers contacts anew)
        gw.stop(timeout=15)
        self.r.stop_all()
        return res


def sip_rcvbuf(port):
    """skmem rb (bytes) of the UDP socket bound to port, or None."""
    try:
        out = subprocess.run(["ss", "-uamnH", "sport = :%d" % port],
                             capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"\brb(\d+)", out)
    return int(m.group(1)) if m else None


def report(b, rounds, crounds, args):
    out = []
    add = out.append
    ok = lambda met: "MET" if met else "MISSED"  # noqa: E731
    add("")
    n_rounds = max(len(rounds), len(crounds))
    add("==== issue 5 benchmark: presence (%s, %s) ====" % (
        os.path.basename(b.build), "medians of %d rounds" % n_rounds
        if n_rounds > 1 else "one round"))
    add("machine: %d CPUs; xmpppeer <-> gateway <-> sipwatchers on "
        "127.0.0.1; SUBSCRIBEs offered at %s/s; gateway SIP receive buffer: "
        "%s" % (os.cpu_count(), args.rate,
                "%d B (EXPERIMENT, set through gdb)" % args.gw_rcvbuf
                if args.gw_rcvbuf else "set by the gateway to 4 MiB (ss: "
                "rb %s B, the kernel doubles what is asked)" % fmt(b.gw_rb)))
    if rounds:
        base = median([r["base_rss_kib"] for r in rounds])
        add("gateway RSS idle (link up, no watcher): %.1f MiB" % (base / 1024))
        for n in b.levels():
            lvs = [lv for r in rounds for lv in r["levels"] if lv["n"] == n]
            if not lvs:
                continue
            per = median([lv["per_sub_bytes"] for lv in lvs])
            rss = median([lv["rss_settled_kib"] for lv in lvs]) / 1024
            peak = median([lv["hwm_kib"] for lv in lvs]) / 1024
            act = median([lv["active"] for lv in lvs])
            line = ("%7d SIP watchers: RSS %.1f MiB after %.0f s (peak %.1f "
                    "MiB), %.0f B per subscription; %d/%d active, %s/s "
                    "achieved, gateway %.0f us CPU per subscription" % (
                        n, rss, args.settle, peak, per, act, n,
                        fmt(median([lv["rate"] for lv in lvs])),
                        median([lv["gw_cpu_s"] * 1e6 / max(lv["new"], 1)
                                for lv in lvs])))
            if n == TARGET_SUBS:
                line += " [target <= %d MiB: %s]" % (
                    TARGET_MIB, ok(rss <= TARGET_MIB and act == n))
            add(line)
            if n == max(b.levels()) and act < TARGET_SUBS:
                est = base / 1024 + TARGET_SUBS * per / 2**20
                add("          %s; at %.0f B each, %d would take ~%.0f MiB "
                    "(extrapolated) [target <= %d MiB: %s]" % (
                        "%d watchers held, not %d (level time limit %.0f s)"
                        % (act, n, args.level_timeout) if act < n else
                        "largest level run: %d" % n,
                        per, TARGET_SUBS, est, TARGET_MIB,
                        ok(est <= TARGET_MIB)))
            hp = [lv.get("heap_per_sub") for lv in lvs
                  if lv.get("heap_per_sub") is not None]
            if hp:
                add("          heap in use (mallinfo2): %.1f MiB, %.0f B "
                    "per subscription%s" % (
                        median([lv["heap"]["in_use"] for lv in lvs
                                if lv.get("heap")]) / 2**20, median(hp),
                        "; RSS after malloc_trim %.1f MiB" % (
                            median([lv["rss_trim_kib"] for lv in lvs
                                    if lv.get("rss_trim_kib")]) / 1024)
                        if any(lv.get("rss_trim_kib") for lv in lvs) else ""))
        reached = [max([lv["n"] for lv in r["levels"]] or [0])
                   for r in rounds]
        if max(b.levels()) == TARGET_SUBS and max(reached) < TARGET_SUBS:
            add("100,000 watchers not reached (budget/failures): "
                "[target <= %d MiB: MISSED]" % TARGET_MIB)
        for n in b.fanout_levels():
            fo = [f for r in rounds for f in r["fanout"].get(n, [])]
            if not fo:
                continue
            last = median([f["last_ms"] for f in fo])
            first = median([f["first_ms"] for f in fo])
            cpu = median([f["gw_cpu_ms"] for f in fo])
            bad = sum(1 for f in fo if f["timed_out"])
            line = ("fan-out to %d watchers: one change -> last NOTIFY %s ms "
                    "(first %s ms), median of %d; gateway CPU %s ms per "
                    "change (%s us per NOTIFY)%s" % (
                        n, fmt(last, "%.1f"), fmt(first, "%.1f"), len(fo),
                        fmt(cpu, "%.1f"),
                        fmt(cpu * 1e3 / n if cpu else None, "%.1f"),
                        ", %d runs incomplete" % bad if bad else ""))
            if n == TARGET_FANOUT_N:
                line += " [target <= %d ms: %s]" % (
                    TARGET_FANOUT_MS, ok(last is not None and bad == 0 and
                                         last <= TARGET_FANOUT_MS))
            add(line)
            add("          runs (last NOTIFY, ms): %s; datagrams dropped at "
                "the gateway's receive buffer per change: median %s" % (
                    ", ".join(fmt(f["last_ms"], "%.1f") for f in fo),
                    fmt(median([f.get("gw_drops") for f in fo]))))
        drops = sum(r.get("udp_drops", 0) for r in rounds)
        add("UDP receive-buffer drops during the runs: %d" % drops)
    for r in crounds:
        for lv in r["levels"]:
            add("watched SIP addresses (B): %d contacts, %d live SIP "
                "subscriptions: %.0f B per contact (RSS %.1f -> %.1f MiB)%s; "
                "%d presence stanzas to alice for %d contacts" % (
                    lv["n"], lv["notifier"].get("subscribes_in", 0)
                    if lv.get("notifier") else 0, lv["per_contact_bytes"],
                    r["base_rss_kib"] / 1024, lv["rss_settled_kib"] / 1024,
                    ", heap %.0f B per contact" % lv["heap_per_contact"]
                    if lv.get("heap_per_contact") is not None else "",
                    lv["presences"], lv["seen"]))
    add("elapsed: %.0f s" % (time.monotonic() - b.started))
    print("\n".join(out), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get(
        "GW_BUILD_DIR", os.path.join(L.HERE, "..", "..", "build-bench")))
    ap.add_argument("--tools", help="dir of xmpppeer and sipwatchers "
                    "(default BUILD/tests/bench)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--only", default="a,f,b",
                    help="a (memory), f (fan-out), b (watched SIP contacts)")
    ap.add_argument("--levels", default="1000,10000,100000")
    ap.add_argument("--rate", type=float, default=1000,
                    help="SUBSCRIBEs per second")
    ap.add_argument("--settle", type=float, default=35,
                    help="seconds after each level before RSS is read")
    ap.add_argument("--level-timeout", type=float, default=300,
                    help="seconds a level may take to become active; then "
                    "no more SUBSCRIBEs and what is held is measured")
    ap.add_argument("--fanout-levels", default="1000,10000,100000")
    ap.add_argument("--fanout-reps", type=int, default=7)
    ap.add_argument("--fanout-gap", type=float, default=3.0,
                    help="seconds between changes: a NOTIFY whose 200 OK "
                    "was dropped is retransmitted after 0.5 s, 1.5 s ..., "
                    "and Sofia sends a dialog's next NOTIFY only after it")
    ap.add_argument("--contacts", default="1000",
                    help="watched SIP contacts (B), one level")
    ap.add_argument("--contact-rate", type=float, default=500)
    ap.add_argument("--heap", action="store_true",
                    help="also read malloc's counters through gdb")
    ap.add_argument("--trim", action="store_true",
                    help="with --heap: malloc_trim, then RSS again")
    ap.add_argument("--gw-rcvbuf", type=int, default=0,
                    help="EXPERIMENT: enlarge the gateway's SIP UDP receive "
                    "buffer to this many bytes (gdb, setsockopt inside it); "
                    "0: as the gateway sets it (4 MiB)")
    ap.add_argument("--log-level", default="message")
    ap.add_argument("--budget", type=float, default=1500,
                    help="seconds after which no new level starts")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    L.VERBOSE = args.verbose
    args.parts = set(args.only.split(","))
    b = PresenceBench(args)

    def on_term(*_):
        raise KeyboardInterrupt()
    signal.signal(signal.SIGTERM, on_term)
    rounds, crounds = [], []
    try:
        for k in range(args.repeat):
            if ("a" in args.parts or "f" in args.parts) and \
                    not b.over_budget():
                log("a/f. SIP watchers of alice, round %d" % (k + 1))
                rounds.append(b.watchers_round(k + 1))
            if "b" in args.parts and not b.over_budget():
                log("b. alice watches SIP contacts, round %d" % (k + 1))
                crounds.append(b.contacts_round(k + 1))
    except KeyboardInterrupt:
        log("interrupted: figures so far")
    finally:
        b.r.close()
    report(b, rounds, crounds, args)


if __name__ == "__main__":
    main()
