#!/usr/bin/env bash
# run_fuzzer.sh FUZZER WORKDIR SECONDS SEEDDIR...
# Runs a libFuzzer binary for a bounded time, seeded from the checked-in
# corpus, with a scratch corpus in WORKDIR. A crash leaves its input in
# WORKDIR and fails the test; turn it into a fixture under tests/data/.
# The seed is fixed (GW_FUZZ_SEED, default 1) so that a CI run explores the
# same inputs each time and a red run reproduces; explore with other seeds
# and longer runs by hand (GW_FUZZ_SEED=0: a random seed).
set -euo pipefail
fuzzer=$1; work=$2; secs=$3; shift 3
mkdir -p "$work"
exec "$fuzzer" -seed="${GW_FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" -print_final_stats=1 "$work" "$@"
