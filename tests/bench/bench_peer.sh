#!/bin/bash
# Issue-19 peer benchmark, one command:
#   tests/bench/bench_peer.sh [--quick] [--rates 2000,4000] [--only sip2xmpp] ...
# The gateway and Kamailio's xmpp module through the same Prosody, step by
# step (tests/bench/bench_peer.py). Builds the gateway and the load peers
# (Release) in $GW_BUILD_DIR (default build-bench), then runs the bench.
# Needs prosody, sipp (sip-tester), Debian's python3 and, for the peer,
# kamailio + kamailio-xmpp-modules and ../shared/tools/kamailio-xmpp-fix.py
# (without them: the gateway's figures alone). Everything runs on
# 127.0.0.1; the whole bench <= 10 min, --quick <= 2 min.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${GW_BUILD_DIR:-$src/build-bench}
for tool in prosody prosodyctl sipp; do
    command -v "$tool" >/dev/null || {
        echo "bench_peer: $tool is missing (scripts/deps installs it)" >&2
        exit 2
    }
done
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGW_WERROR=OFF >/dev/null
cmake --build "$build" --target xmpp-sip-gateway compload c2sload -j2 >/dev/null
exec timeout 600 /usr/bin/python3 "$here/bench_peer.py" --build "$build" "$@"
