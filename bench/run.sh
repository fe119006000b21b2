#!/usr/bin/env bash
# make bench: the three sections, then the summary (bench/report.sh) and bench/results.json.
#
#   bench/run.sh BUILD_DIR      (root)   QUICK=1: fewer rounds, shorter runs (under 2 minutes)
#
#   1. ns/packet through BPF_PROG_TEST_RUN: build/bench_wirelens, ROUNDS_TESTRUN runs (2; QUICK
#      1), the first one's tables printed whole, each row's ratio against a bare program of the
#      same run;
#   2. live pps on a veth (bench/pktgen.sh): 1 and 10,000 flows, wirelens / bare XDP_PASS;
#   3. application throughput (bench/app.sh): Redis and MariaDB, nothing / wirelens / the
#      server's own ways to see every command (MONITOR and the slow log; the general and the slow
#      query log), and the CPU figure;
#   then the map memory at the defaults (bench_wirelens mem) and the verifier table.
set -u
BUILD=$(cd "${1:-build}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
QUICK=${QUICK:-}
export QUICK
ROWS=$(mktemp /tmp/wlbench-rows.XXXXXX)
trap 'rm -f "$ROWS"' EXIT
export WL_BENCH_ROWS=$ROWS
if [ -n "$QUICK" ]; then
	TR_ROUNDS=${ROUNDS_TESTRUN:-1} PKT_SECS=1 PKT_ROUNDS=1
	export WL_BENCH_QUICK=1 WL_BENCH_NO_1M=1 # fewer runs per figure; no 1M-flow row
else
	TR_ROUNDS=${ROUNDS_TESTRUN:-2} PKT_SECS=2 PKT_ROUNDS=3
fi
# kernel.bpf_stats_enabled adds two clock reads to every program run (~40 ns a packet on a VM's
# kvm-clock: bare XDP_PASS read 49 ns instead of 5.5 once a profiling run had left it on); app.sh
# turns it on for its CPU rows only
stats_was=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
if [ "$stats_was" = 1 ]; then
	echo "[bench] kernel.bpf_stats_enabled was 1: off for the run, 1 again after" >&2
	sysctl -qw kernel.bpf_stats_enabled=0
	trap 'rm -f "$ROWS"; sysctl -qw kernel.bpf_stats_enabled=1' EXIT
fi
t0=$(date +%s)
stamp() { echo "[bench] $1 done at +$(($(date +%s) - t0)) s" >&2; }

echo "=== Section 1: test_run ns/packet ($TR_ROUNDS round(s); the first printed whole) ==="
"$BUILD/bench_wirelens" || exit 1
for ((r = 2; r <= TR_ROUNDS; r++)); do "$BUILD/bench_wirelens" >/dev/null || exit 1; done
stamp "section 1"
echo
echo "=== Section 2: live packets per second ==="
ROUNDS=$PKT_ROUNDS "$here/pktgen.sh" "$BUILD" "$PKT_SECS" 1 10000 || exit 1
stamp "section 2"
echo
echo "=== Section 3: application throughput (progress on stderr) ==="
"$here/app.sh" "$BUILD" || exit 1
stamp "section 3"
"$BUILD/bench_wirelens" mem || exit 1
"$here/verifier.sh" "$BUILD"
echo
echo "=== Summary: median, min and max over the rounds ==="
"$here/report.sh" "$ROWS" "$here/results.json"
stamp "make bench"
