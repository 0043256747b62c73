#!/bin/bash
# Issue-6 calls benchmark, one command:
#   tests/bench/bench_calls.sh [--repeat 3] [options of bench_calls.py]
# Builds the gateway (Release) and the load peers xmpppeer
# in $GW_BUILD_DIR (default build-bench), then runs
# tests/bench/bench_calls.py --build $GW_BUILD_DIR with the given options.
# Everything runs on 127.0.0.1; each run is bounded; see the .py header.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${GW_BUILD_DIR:-$src/build-bench}
for tool in sipp rtpengine; do
    command -v "$tool" >/dev/null || {
        echo "bench_calls: $tool is missing (scripts/deps installs it)" >&2
        exit 2
    }
done
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DGW_WERROR=OFF >/dev/null
cmake --build "$build" --target xmpp-sip-gateway -j2 >/dev/null
"$here/bench_presence_calls_tools.sh" "$build"
exec timeout 1800 /usr/bin/python3 "$here/bench_calls.py" --build "$build" "$@"
