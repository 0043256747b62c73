#!/bin/bash
# Issue-5 presence benchmark, one command:
#   tests/bench/bench_presence.sh [--repeat 3] [options of bench_presence.py]
# Builds the gateway (Release) and the load peers xmpppeer and sipwatchers
# in $GW_BUILD_DIR (default build-bench), then runs
# tests/bench/bench_presence.py --build $GW_BUILD_DIR with the given options.
# Everything runs on 127.0.0.1; each run is bounded; see the .py header.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${GW_BUILD_DIR:-$src/build-bench}
command -v gdb >/dev/null ||
    echo "bench_presence: no gdb: --heap/--gw-rcvbuf will not work" >&2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGW_WERROR=OFF >/dev/null
cmake --build "$build" --target xmpp-sip-gateway -j2 >/dev/null
"$here/bench_presence_calls_tools.sh" "$build"
exec timeout 2400 /usr/bin/python3 "$here/bench_presence.py" --build "$build" "$@"
