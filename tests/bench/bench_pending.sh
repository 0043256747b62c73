#!/bin/bash
# Issue-19 memory bench, one command:
#   tests/bench/bench_pending.sh [--count 10000] [--rate 4000]
# What a SIP MESSAGE costs the gateway while its stanza waits for the XMPP
# server (tests/bench/bench_pending.py). Builds the gateway (Release) in
# $GW_BUILD_DIR (default build-bench). Needs prosody and sipp.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${GW_BUILD_DIR:-$src/build-bench}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGW_WERROR=OFF >/dev/null
cmake --build "$build" --target xmpp-sip-gateway compload c2sload -j2 >/dev/null
exec timeout 300 /usr/bin/python3 "$here/bench_pending.py" --build "$build" "$@"
