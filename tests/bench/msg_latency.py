#!/usr/bin/python3
"""SIP MESSAGE -> final answer latency in microseconds, and the gateway's
CPU per message, at a steady rate.

SIPp's -trace_rtt has whole milliseconds, too coarse now that a 2xx waits
for the XMPP server's answer to a ping. Here a UDP client sends MESSAGEs
evenly spaced to the gateway's [sip] listen and times each final
answer; compload (tests/bench/compload.c,
sip2xmpp mode) is the XMPP server, with no Prosody, so the figures are the
gateway's own. Everything on 127.0.0.1, processes stopped by PID, the run
bounded by --secs (at most 60) plus 10 s.

  /usr/bin/python3 tests/bench/msg_latency.py --build build-bench \
      [--rate 1000] [--secs 10] [--wakeup-window-us N]

Prints one line: answered, statuses, p50/p90/p99/max in us, gateway CPU
per message (utime+stime from /proc around the run) and the confirmation
pings per message (from the gateway's closing log line, when it has one).
"""

import argparse
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HOST = "127.0.0.1"


def free_port():
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind((HOST, 0))
        port = t.getsockname()[1]
        t.close()
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind((HOST, port))
            return port
        except OSError:
            continue
        finally:
            u.close()
    raise RuntimeError("no free port")


def cpu_secs(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(p, timeout=10):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def request(i, lport):
    body = f"latency {i}".encode()
    return (f"MESSAGE sip:alice@gw.localhost SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {HOST}:{lport};branch=z9hG4bKlat{i}\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:1001@pbx.localhost>;tag=l{i}\r\n"
            "To: <sip:alice@gw.localhost>\r\n"
            f"Call-ID: lat{i}@{HOST}\r\nCSeq: 1 MESSAGE\r\n"
            "Content-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--secs", type=float, default=10)
    ap.add_argument("--wakeup-window-us", type=int, default=None,
                    help="[limits] wakeup_window_us (default: the "
                    "gateway's own)")
    args = ap.parse_args()
    secs = min(max(args.secs, 1.0), 60.0)
    count = int(args.rate * secs)
    build = os.path.abspath(args.build)
    d = tempfile.mkdtemp(prefix="gwlat-")
    procs = []
    try:
        port_file = os.path.join(d, "port")
        load = subprocess.Popen(
            [os.path.join(build, "tests/bench/compload"), "--secret", "s",
             "--domain", "sip.localhost", "--count", str(count),
             "--timeout", str(int(secs) + 30), "--mode", "sip2xmpp",
             "--idle", "3", "--port-file", port_file],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        procs.append(load)
        load.stdout.readline()  # LISTEN
        with open(port_file) as f:
            xmpp_port = int(f.read().strip())
        sip_port = free_port()
        conf = os.path.join(d, "gateway.conf")
        with open(conf, "w") as f:
            f.write(f"[xmpp]\nserver = {HOST}\nport = {xmpp_port}\n"
                    "component_domain = sip.localhost\nsecret = s\n"
                    f"[sip]\nlisten = sip:{HOST}:{sip_port}\n"
                    "domain = gw.localhost\n"
                    "[mapping]\nsip_domain = pbx.localhost\n"
                    "rules = *@localhost = sip:*@gw.localhost\n"
                    "[security]\nallow_messages = alice@localhost *\n"
                    f"trusted_sip_sources = {HOST}\n"
                    "sip_rate = 1000000\nsip_burst = 1000000\n"
                    "trusted_sip_rate = 1000000\ntrusted_sip_burst = 1000000\n"
                    "[limits]\nmax_pending_xmpp = 100000\n"
                    + (f"wakeup_window_us = {args.wakeup_window_us}\n"
                       if args.wakeup_window_us is not None else "")
                    + "[log]\nlevel = message\n")
        log_path = os.path.join(d, "gateway.log")
        with open(log_path, "w") as log:
            gw = subprocess.Popen(
                [os.path.join(build, "gateway/xmpp-sip-gateway"),
                 "--config", conf], stdout=log, stderr=subprocess.STDOUT)
        procs.append(gw)
        end = time.monotonic() + 10
        while time.monotonic() < end and "READY" not in load.stdout.readline():
            pass
        time.sleep(0.3)
        target = (HOST, sip_port)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        sock.bind((HOST, 0))
        lport = sock.getsockname()[1]
        sent, final, rtt = {}, {}, []
        cpu0 = cpu_secs(gw.pid)
        t0 = time.monotonic()
        n = 0
        end = t0 + secs + 5
        while time.monotonic() < end and len(final) < count:
            due = min(count, int((time.monotonic() - t0) * args.rate) + 1)
            while n < due:
                sent[f"lat{n}@{HOST}"] = time.monotonic()
                sock.sendto(request(n, lport), target)
                n += 1
            wait = max(0.0, min(0.0005, t0 + n / args.rate - time.monotonic()))
            ready, _, _ = select.select([sock], [], [], wait)
            while ready:
                try:
                    data = sock.recv(65536, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                now = time.monotonic()
                m = re.search(rb"(?mi)^Call-ID: *(\S+)", data)
                status = int(data[8:11])
                if m and status >= 200:
                    cid = m.group(1).decode()
                    if cid in sent and cid not in final:
                        final[cid] = status
                        rtt.append((now - sent[cid]) * 1e6)
        cpu1 = cpu_secs(gw.pid)
        stop(gw)
        with open(log_path) as f:
            closed = re.search(r"\((\d+) stanzas written, (\d+) of them "
                               r"confirmation pings", f.read())
        statuses = {}
        for s in final.values():
            statuses[s] = statuses.get(s, 0) + 1
        rtt.sort()

        def pct(p):
            return rtt[min(len(rtt) - 1, int(len(rtt) * p / 100))] \
                if rtt else float("nan")
        print(f"{args.rate}/s for {secs:.0f} s to "
              f"[sip] listen: {n} sent, "
              f"{len(final)} answered {statuses}; MESSAGE -> answer us "
              f"p50 {pct(50):.0f} p90 {pct(90):.0f} p99 {pct(99):.0f} "
              f"max {rtt[-1] if rtt else float('nan'):.0f}; gateway "
              f"{(cpu1 - cpu0) * 1e6 / max(1, len(final)):.1f} us CPU/msg"
              + (f"; {int(closed.group(2)) / max(1, len(final)):.2f} "
                 "pings/msg" if closed else ""))
    finally:
        for p in reversed(procs):
            stop(p)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
