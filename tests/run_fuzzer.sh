#!/usr/bin/env bash
# run_fuzzer.sh FUZZER WORKDIR SECONDS SEEDDIR...
# Runs a libFuzzer binary for a bounded time, seeded from the checked-in
# corpus, with a scratch corpus in WORKDIR. A crash leaves its input in
# WORKDIR and fails the test; turn it into a fixture under tests/data/.
set -euo pipefail
fuzzer=$1; work=$2; secs=$3; shift 3
mkdir -p "$work"
exec "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work" "$@"
