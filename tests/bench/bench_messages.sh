#!/bin/bash
# Issue-3 message benchmark, one command:
#   tests/bench/bench_messages.sh [--repeat 3] [--quick] [--only a,b,c] ...
# Builds the gateway and the load peers (Release) in $GW_BUILD_DIR
# (default build-bench), then runs tests/bench/bench_messages.py with the
# given options. Needs prosody, sipp (sip-tester) and Debian's python3.
# Everything runs on 127.0.0.1; each run <= 60 s, the whole bench <= 10 min.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${GW_BUILD_DIR:-$src/build-bench}
for tool in prosody prosodyctl sipp; do
    command -v "$tool" >/dev/null || {
        echo "bench_messages: $tool is missing (scripts/deps installs it)" >&2
        exit 2
    }
done
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGW_WERROR=OFF >/dev/null
cmake --build "$build" --target xmpp-sip-gateway compload c2sload -j2 >/dev/null
exec timeout 600 /usr/bin/python3 "$here/bench_messages.py" --build "$build" "$@"
