#!/usr/bin/env bash
# Runs every test: the CUnit test_run suites, then each live test (namespaces, real servers).
# Prints one closing line "N passed, N failed" and exits non-zero if anything failed.
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$BUILD" && pwd)
export WL_BUILD="$BUILD" WL_BIN="$BUILD/wirelens"
# The shared captures live beside the repository (../shared/pcaps); tests read WL_PCAP_DIR.
if [ -z "${WL_PCAP_DIR:-}" ] && [ -d "$here/../../shared/pcaps" ]; then
	WL_PCAP_DIR=$(cd "$here/../../shared/pcaps" && pwd)
	export WL_PCAP_DIR
fi
[ "$(id -u)" = 0 ] || { echo "tests need root (BPF, namespaces)" >&2; exit 1; }

passed=0 failed=0 failed_names=()
run() {
	local name=$1; shift
	local t0=$SECONDS
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1)); echo "=== $name: PASS ($((SECONDS - t0))s)"
	else
		failed=$((failed + 1)); failed_names+=("$name"); echo "=== $name: FAIL ($((SECONDS - t0))s)"
	fi
}

run "verifier (every program alone, <= 500,000 insns)" "$BUILD/verify_progs" --limit 500000 -j 2
run "unit (test_run)" "$BUILD/test_wirelens"
run "fuzz (test_run, short: 20,000 mutated packets per protocol; make fuzz: 10 million)" "$BUILD/fuzz_wirelens"
for t in "$here"/live/*.sh; do
	[ -e "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue
	[ -n "${WL_ONLY:-}" ] && [[ "$(basename "$t")" != *"$WL_ONLY"* ]] && continue
	run "live/$(basename "$t" .sh)" timeout 900 bash "$t"
done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
