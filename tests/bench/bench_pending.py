#!/usr/bin/python3
"""Issue-19 memory bench: what a SIP MESSAGE costs the gateway while its
stanza waits for the XMPP server.

A SIP->XMPP MESSAGE is answered only once the XMPP server has confirmed
its stanza (issue 13: nothing accepted is lost), so while the server
falls behind, MESSAGEs wait in the gateway; `[limits] max_pending_xmpp`
bounds how many, and the memory each costs sets the bound that fits a
memory budget. This bench stops Prosody (SIGSTOP: its sockets stay open,
nothing is read or confirmed), sends N MESSAGEs from a SIPp UAC, reads the
gateway's RSS once all N wait, then lets Prosody go on (SIGCONT) and
checks that every one is answered 200.

Prints: RSS before and with N waiting, bytes per waiting MESSAGE (all
of it: Sofia's request, our records, the stanza queued for the socket),
and whether all were answered.

Usage: tests/bench/bench_pending.sh [--count 4000] [--rate 2000]
       /usr/bin/python3 tests/bench/bench_pending.py --build DIR ...
Everything on 127.0.0.1 on free ports; every process started here and
stopped by its PID; bounded in count and time.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_messages import Bench  # noqa: E402
from bench_presence_calls_lib import HOST, free_port, sipp_stats  # noqa


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--count", type=int, default=4000)
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--prosody-extra", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    b = Bench(args)
    try:
        b.start_prosody()
        sip_port = free_port(udp_too=True)
        uas_port = free_port(udp_too=True)
        uac_port = free_port(udp_too=True)
        # max_pending_xmpp above the count: all of them wait
        gw = b.start_gateway(b.comp_port, sip_port, uas_port,
                             default_limits=True,
                             settings=["limits.max_pending_xmpp=%d" %
                                       (args.count + 1000)])
        b.wait_gateway_up(gw)
        time.sleep(1.0)
        before = rss_kib(gw.pid)
        os.kill(b.prosody.pid, signal.SIGSTOP)
        try:
            # open loop, no cap on unanswered MESSAGEs; SIPp retransmits
            # at T1 until answered (the gateway absorbs the copies)
            uac = b.sipp("uac", "bench_msg_uac.xml", uac_port, args.count,
                         ["-r", str(args.rate), "-rp", "1000",
                          "-l", str(args.count)],
                         remote="%s:%d" % (HOST, sip_port), timeout=60)
            time.sleep(args.count / args.rate + 2.0)
            waiting = rss_kib(gw.pid)
        finally:
            os.kill(b.prosody.pid, signal.SIGCONT)
        uac.wait(60)
        st = sipp_stats(uac.stat_path)
        ok = st.get("SuccessfulCall", 0)
        per = (waiting - before) * 1024 / args.count
        print("==== issue 19: memory per SIP MESSAGE waiting for the XMPP "
              "server ====")
        print("%d MESSAGEs at %d/s to the gateway while Prosody was "
              "stopped (SIGSTOP)" % (args.count, args.rate))
        print("gateway RSS: %.1f MiB before, %.1f MiB with all waiting: "
              "%.0f bytes per waiting MESSAGE" % (
                  before / 1024, waiting / 1024, per))
        print("after SIGCONT: %d of %d answered 200 (%s)" % (
            ok, args.count, "all" if ok == args.count else "NOT ALL"))
        return 0 if ok == args.count else 1
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
