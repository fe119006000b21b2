#!/usr/bin/env bash
# make test-kernels: the checks of tests/kernels/guest.sh under Debian's stock kernels, each booted
# under qemu by ../shared/tools/run-in-kernel.sh (KVM when the host has it, else TCG emulation).
#   tests/kernels/run.sh BUILD
# Environment:
#   KERNELS="bookworm trixie sid"  Debian suites (fetched by ../shared/tools/fetch-kernel.sh, once)
#                                  or kernel folders / .deb / vmlinuz paths run-in-kernel.sh takes
#   KSTAGES="verify unit live"     the stages guest.sh runs in every kernel
#   KPAR=1                         kernels booted at a time (each guest has KM_SMP=2 vCPUs and runs
#                                  two jobs inside: on a 2-core host one guest at a time is best)
#   WL_KSUITES, WL_KSUITES_WHY, WL_KLIVE, WL_KLIMIT, WL_KJOBS, WL_KLIVE_JOBS, WL_KLIVE_TIMEOUT, WL_KREDIS_SCALE:
#                                  passed to guest.sh (see there); WL_KREDIS_SCALE defaults to 10
#                                  under TCG emulation, 1 under KVM
#   KLOGS=DIR                      per-kernel logs (default $BUILD/kernels)
#   KM_*                           run-in-kernel.sh's knobs (KM_TIMEOUT default here: 3000 s)
# Prints every guest's output prefixed with its suite, then the program x kernel table and which
# kernel failed what; exits non-zero when anything failed (a refused program included).
set -u
BUILD=$(cd "${1:?usage: run.sh BUILD}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=${WL_TOOLS:-$(cd "$root/../shared/tools" 2>/dev/null && pwd)}
KERNELS=${KERNELS:-bookworm trixie sid}
KSTAGES=${KSTAGES:-verify unit live}
KPAR=${KPAR:-1}
KLOGS=${KLOGS:-$BUILD/kernels}
export KM_TIMEOUT=${KM_TIMEOUT:-3000}
[ -n "$tools" ] && [ -x "$tools/run-in-kernel.sh" ] || { echo "test-kernels: no ../shared/tools/run-in-kernel.sh" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "test-kernels needs root (qemu, apt for the kernels)" >&2; exit 2; }
for f in wirelens test_wirelens verify_progs; do
	[ -x "$BUILD/$f" ] || { echo "test-kernels: $BUILD/$f missing (make BUILD=$BUILD check-build)" >&2; exit 2; }
done
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "test-kernels: installing qemu-system-x86"
	apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends qemu-system-x86 >/dev/null; } ||
		{ echo "test-kernels: cannot install qemu-system-x86" >&2; exit 2; }
fi
mkdir -p "$KLOGS"
T0=$SECONDS
# the accelerator run-in-kernel.sh will pick (its KM_ACCEL=auto rule)
accel=${KM_ACCEL:-auto}
if [ "$accel" = auto ]; then
	if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then accel=kvm; else accel=tcg; fi
fi
[ "$accel" = kvm ] || WL_KREDIS_SCALE=${WL_KREDIS_SCALE:-10}
# the guest starts with a clean environment: its settings go as VAR=VALUE arguments
gargs=()
for v in WL_KSUITES WL_KSUITES_WHY WL_KLIVE WL_KLIMIT WL_KJOBS WL_KLIVE_JOBS WL_KLIVE_TIMEOUT WL_KREDIS_SCALE WL_PCAP_DIR; do
	[ -n "${!v:-}" ] && gargs+=("$v=${!v}")
done
echo "test-kernels: kernels: $KERNELS; stages: $KSTAGES; $accel, ${KM_SMP:-2} vCPUs per guest, $KPAR guest(s) at a time${gargs[*]:+; ${gargs[*]}}"

# ---- one kernel: fetch, boot, run guest.sh; log in $KLOGS/<name>.log, wall time in .time
run_kernel() {
	local k=$1 name dir t0=$SECONDS rc
	name=$(basename "$k"); name=${name%.deb}
	local log="$KLOGS/$name.log"
	: >"$log"
	if [ -e "$k" ]; then
		dir=$k
	else
		echo "[$name] Debian $k's kernel (fetch-kernel.sh: downloaded once, then reused)"
		dir=$("$tools/fetch-kernel.sh" "$k" 2>>"$log" | tail -1) || {
			echo "[$name] cannot fetch the kernel of $k (see $log)"
			printf 'kresult\t%s\tboot\tFAIL\t%s\tfetch-kernel.sh %s failed\n' "$name" $((SECONDS - t0)) "$k" >>"$log"
			echo "$((SECONDS - t0)) 125" >"$KLOGS/$name.time"
			return
		}
	fi
	echo "[$name] booting $(ls "$dir"/boot/vmlinuz-* 2>/dev/null | sed 's/.*vmlinuz-//' || echo "$dir")"
	# guest output, streamed: each line prefixed; the full log kept
	"$tools/run-in-kernel.sh" "$dir" -- bash "$here/guest.sh" "$BUILD" "${gargs[@]}" $KSTAGES 2>&1 |
		tee -a "$log" | sed -u -e '/^ktable\t/d' -e "s/^/[$name] /"
	rc=${PIPESTATUS[0]}
	echo "$((SECONDS - t0)) $rc" >"$KLOGS/$name.time"
	echo "[$name] done in $((SECONDS - t0))s, exit $rc"
}

names=()
running=0
for k in $KERNELS; do
	n=$(basename "$k"); names+=("${n%.deb}")
	rm -f "$KLOGS/${n%.deb}.time"
	run_kernel "$k" &
	running=$((running + 1))
	if [ "$running" -ge "$KPAR" ]; then wait -n; running=$((running - 1)); fi
done
wait

# ---- the program x kernel table (verified instructions; limit ${WL_KLIMIT:-500000})
echo
echo "===== program x kernel: verified instructions (limit ${WL_KLIMIT:-500000}; the verifier's own limit is 1,000,000)"
for n in "${names[@]}"; do cat "$KLOGS/$n.log"; done 2>/dev/null | tr -d '\r' |
	awk -F'\t' -v lim="${WL_KLIMIT:-500000}" -f "$here/table.awk"

# ---- which kernel failed what
echo
echo "===== results per kernel (stages: $KSTAGES; logs in $KLOGS)"
bad=0
for n in "${names[@]}"; do
	read -r secs rc <"$KLOGS/$n.time" 2>/dev/null || { secs=? rc=?; }
	rel=$(awk -F'\t' '$1 == "kresult" { print $2; exit }' "$KLOGS/$n.log")
	printf '%-10s %-26s %5ss  ' "$n" "${rel:-?}" "$secs"
	if ! grep -q "^kresult" "$KLOGS/$n.log"; then
		case $rc in 124) why="guest timed out (KM_TIMEOUT=$KM_TIMEOUT)";; 125) why="boot or setup failed";; *) why="guest exit $rc";; esac
		echo "FAIL: no result: $why (see $KLOGS/$n.log)"
		bad=$((bad + 1))
		continue
	fi
	fails=$(awk -F'\t' '$1 == "kresult" && $4 != "PASS" { printf "%s%s (%s)", sep, $3, $6; sep = "; " }' "$KLOGS/$n.log")
	passes=$(awk -F'\t' '$1 == "kresult" && $4 == "PASS" { printf "%s%s", sep, $3; sep = " " }' "$KLOGS/$n.log")
	# a guest that died half way has results for only some stages
	if [ "$rc" != 0 ] && [ -z "$fails" ]; then fails="guest exit $rc after: $passes"; fi
	if [ -n "$fails" ]; then
		echo "FAIL: $fails"
		[ -n "$passes" ] && printf '%44s pass: %s\n' "" "$passes"
		bad=$((bad + 1))
	else
		echo "PASS: $passes"
	fi
done
echo "test-kernels: ${#names[@]} kernel(s), $bad failed, $((SECONDS - T0))s"
[ "$bad" -eq 0 ]
