#!/usr/bin/env bash
# Faults (issue #14, item 6): detaching wirelens, attaching it again and upgrading it under a
# steady stream loses no packet. The stream: UDP frames sent by an XDP program through
# BPF_F_TEST_XDP_LIVE_FRAMES (bench_wirelens live-gen) out of the host's veth end into the
# namespace's (~1 Mpps here), where wirelens detaches and attaches again on the receiving end.
# Counted by the kernel, not by wirelens: sent = frames the sending veth put into the receiver's
# ring (ethtool -S tx_queue_*_xdp_xmit), received = IPv4 packets the receiving namespace's
# stack took in (/proc/net/snmp Ip InReceives; nothing else sends IPv4 there). Where the kernel
# refuses live frames, live-gen sends from an AF_PACKET socket: sent = the frames the veth took
# (a frame it refuses fails its send), and the veth needs no XDP program to take them.
#
# The bound: 0. With NAPI on the receiving veth held by something else than the XDP program
# (GRO on), attaching and detaching swap an RCU pointer (XDP) or a tcx/cls_bpf entry (TC):
# a frame in the ring or in a NAPI poll is run by the old program, by none or by the new
# one, and is never freed on the way. What a veth does without GRO is measured apart (3.).
#   1. xdp (native) and tc-ingress (tcx, and cls_bpf): 4 detach + attach cycles under the
#      stream, received == sent;
#   2. GRO off, detach + attach cycles: the veth has NAPI only while an XDP program is attached;
#      removing it frees its ring (veth_napi_del: at most 256 frames per queue, VETH_RING_SIZE)
#      and while none is attached the veth refuses XDP frames (ndo_xdp_xmit -ENXIO, uncounted).
#      Asserted: sent - received <= 256 x queues x detaches; the refused frames are reported;
#   3. an upgrade (another build of the same map ABI) under the stream, GRO off: attach replaces
#      the programs in place (bpf_link_update), so XDP never leaves the veth: no frame refused,
#      received == sent, and wirelens counted every one (seen == sent: no gap).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BENCH=${WL_BUILD:-$(dirname "$WL_BIN")}/bench_wirelens
[ -x "$BENCH" ] || { echo "faults_detach: $BENCH missing (make check-build)"; exit 1; }
command -v ethtool >/dev/null || { echo "faults_detach: ethtool missing (make deps)"; exit 1; }
MAX_SECS=${WL_STREAM_MAX:-120} # only bounds a hang: the stream ends when the cycles are done
CYCLES=${WL_CYCLES:-4}
setup_pair
PEER_MAC=$(ip -n "$NS" -o link show "$PEER_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
RING=256 # VETH_RING_SIZE (drivers/net/veth.c)
QUEUES=$(ls -d /sys/class/net/"$HOST_IF"/queues/tx-* | wc -l)
# the generator and the receiver's NAPI (run in the sender's softirq) on CPU 0, wirelens on 1
CPU_GEN="taskset -c 0" CPU_WL="taskset -c 1"
[ "$(nproc)" -ge 2 ] || CPU_GEN="" CPU_WL=""

# a process in the namespace: its /proc/PID/net is the namespace's (cheaper than ip netns exec)
ip netns exec "$NS" sleep 1000 &
NSPID=$!
on_exit "kill $NSPID"
# this shell and what it starts (wirelens, the polling) on CPU 1, the generator on CPU 0
[ -n "$CPU_WL" ] && taskset -pc 1 $$ >/dev/null

sent() { ethtool -S "$HOST_IF" | awk '/tx_queue_[0-9]+_xdp_xmit:/ { s += $2 } END { print s + 0 }'; }
xmit_err() { ethtool -S "$HOST_IF" | awk '/tx_queue_[0-9]+_xdp_xmit_errors:/ { s += $2 } END { print s + 0 }'; }
received() { awk '/^Ip:/ { getline; print $4 }' /proc/$NSPID/net/snmp; }
seen() { "$WL_BIN" status --json | jq .counters.ipv4; } # IPv4 packets wirelens saw
wl() { "$WL_BIN" --netns "$NS" "$@"; }
# until COUNTER grew by N since BASE, while the generator (PID) runs: grows_by FN BASE N PID
grows_by() {
	while kill -0 "$4" 2>/dev/null; do
		[ $(($($1) - $2)) -ge "$3" ] && return 0
		sleep 0.02
	done
	return 1
}
# the ring drains within a NAPI poll once the generator is done: wait until received stops moving
drained() {
	local a b
	b=$(received)
	for _ in $(seq 100); do
		sleep 0.05
		a=$b b=$(received)
		[ "$a" = "$b" ] && return 0
	done
}

# gen_counts LOG XDP_XMIT XDP_XMIT_ERRORS: sets S (sent into the receiver), ERR (refused as its
# queue was full) and OFFERED (what the generator tried) for the generator that ran (GEN)
gen_counts() {
	OFFERED=$(sed -n 's/^sent \([0-9]*\) frames.*/\1/p' "$1")
	if grep -q "AF_PACKET sender" "$1"; then
		GEN=af_packet S=$OFFERED
		ERR=$(sed -n 's/.*AF_PACKET sender, \([0-9]*\) refused.*/\1/p' "$1")
		OFFERED=$((S + ERR))
	else
		GEN=xdp S=$2 ERR=$3
	fi
}

# lo stays attached the whole test: maps and programs stay pinned, so an attach of the veth costs
# a link, not a program load
"$WL_BIN" --netns "$NS" attach lo >/dev/null || { fail "attach lo"; finish; exit 1; }
on_exit "$WL_BIN --netns $NS detach --all"

# stream NAME WAIT_DETACHED ATTACH_ARGS...: the stream with CYCLES detach + attach cycles, each
# phase lasting until STEP frames went through (with nothing attached too when WAIT_DETACHED is
# 1), then STEP more through the last attachment; sets S R ERR OFFERED CYC RATE
STEP=${WL_STEP:-50000}
stream() {
	local name=$1 wait_detached=$2 log s0 r0 e0 gen t0 t1 base
	shift 2
	log=$(mktemp /tmp/wlfaults.XXXXXX)
	s0=$(sent) r0=$(received) e0=$(xmit_err) CYC=0
	t0=$(date +%s.%N)
	$CPU_GEN "$BENCH" live-gen "$HOST_IF" "$PEER_MAC" "$MAX_SECS" 1 >"$log" 2>&1 &
	gen=$!
	while [ $CYC -lt "$CYCLES" ]; do
		base=$(received)
		grows_by received "$base" "$STEP" $gen || break # traffic through the attachment
		wl detach "$PEER_IF" >/dev/null || fail "$name: detach"
		base=$(received)
		[ "$wait_detached" = 1 ] && grows_by received "$base" "$STEP" $gen # ... and without
		wl attach "$PEER_IF" "$@" >/dev/null || fail "$name: attach"
		CYC=$((CYC + 1))
	done
	base=$(received)
	grows_by received "$base" "$STEP" $gen ||
		fail "$name: the stream ended (${MAX_SECS}s) before $CYCLES cycles and $STEP frames after"
	kill -USR1 $gen 2>/dev/null # ends after the batch running now
	wait $gen || fail "$name: generator: $(cat "$log")"
	t1=$(date +%s.%N)
	drained
	R=$(($(received) - r0))
	gen_counts "$log" $(($(sent) - s0)) $(($(xmit_err) - e0))
	RATE=$(awk -v n="$S" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", n / (b - a) / 1e6 }')
	rm -f "$log"
	echo "  $name ($GEN generator): $CYC detach+attach cycles; offered ${OFFERED:-?}, sent $S (${RATE} Mpps), ring full $ERR, received $R, lost $((S - R))"
}

# 1. GRO on: NAPI stays whatever is attached
ip netns exec "$NS" ethtool -K "$PEER_IF" gro on >/dev/null || fail "gro on"
for mode in "xdp --mode native" "tc-ingress --tc-mode tcx" "tc-ingress --tc-mode cls"; do
	set -- $mode
	hook=$1
	shift
	wl attach "$PEER_IF" --hooks "$hook" "$@" >/dev/null || { fail "attach $mode"; continue; }
	stream "$hook $*" 1 --hooks "$hook" "$@"
	[ "$S" -gt 0 ] && [ "$S" = "$R" ] && pass "$mode: received $R == sent $S (lost 0)" ||
		fail "$mode: sent $S, received $R: lost $((S - R))"
	wl detach "$PEER_IF" >/dev/null
done

# 2. GRO off, detach + attach: what the kernel does to a veth when its last XDP program goes
ip netns exec "$NS" ethtool -K "$PEER_IF" gro off >/dev/null || fail "gro off"
wl attach "$PEER_IF" --hooks xdp --mode native >/dev/null || fail "attach xdp"
stream "xdp, GRO off" 0 --hooks xdp --mode native
lost=$((S - R)) refused=$((OFFERED - S - ERR))
bound=$((CYC * RING * QUEUES))
[ "$S" -gt 0 ] && [ "$lost" -ge 0 ] && [ "$lost" -le "$bound" ] &&
	pass "GRO off: lost $lost <= $bound (a ring of $RING per queue freed at each of $CYC detaches); refused while no XDP program held the veth's NAPI: $refused of $OFFERED ($GEN generator)" ||
	fail "GRO off: sent $S, received $R (lost $lost, bound $bound)"

# 3. an upgrade in place under the stream, GRO off (XDP holds the veth's NAPI)
NEWBIN=$(mktemp /tmp/wlupg.XXXXXX)
on_exit "rm -f $NEWBIN"
cp "$WL_BIN" "$NEWBIN" && chmod 755 "$NEWBIN"
python3 - "$NEWBIN" <<'PY' || { fail "cannot patch the build id"; finish; exit 1; }
import subprocess, sys
f = sys.argv[1]
out = subprocess.run(['readelf', '-n', f], capture_output=True, text=True).stdout
bid = next(l.split()[-1] for l in out.splitlines() if 'Build ID' in l)
b = open(f, 'rb').read()
old = bytes.fromhex(bid)
assert b.count(old) == 1
open(f, 'wb').write(b.replace(old, bytes([old[0] ^ 0xff]) + old[1:]))
PY
xdp_id() { ip -n "$NS" -d link show "$PEER_IF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
# the new build upgrades lo first: its programs are loaded and pinned before the stream starts
out=$("$NEWBIN" --netns "$NS" attach lo 2>&1)
case $out in
*"replaced in place"*) pass "lo upgraded in place: $out" ;;
*) fail "upgrading lo: $out" ;;
esac
old_id=$(xdp_id)
log=$(mktemp /tmp/wlfaults.XXXXXX)
on_exit "rm -f $log"
s0=$(sent) r0=$(received) e0=$(xmit_err) w0=$(seen)
$CPU_GEN "$BENCH" live-gen "$HOST_IF" "$PEER_MAC" "$MAX_SECS" 1 >"$log" 2>&1 &
gen=$!
grows_by received "$r0" "$STEP" $gen
out=$("$NEWBIN" --netns "$NS" attach "$PEER_IF" --hooks xdp --mode native 2>&1) || fail "upgrade attach: $out"
new_id=$(xdp_id)
base=$(received)
grows_by received "$base" "$STEP" $gen || fail "the stream ended (${MAX_SECS}s) before $STEP frames after the upgrade"
kill -USR1 $gen
wait $gen
drained
R=$(($(received) - r0)) W=$(($(seen) - w0))
gen_counts "$log" $(($(sent) - s0)) $(($(xmit_err) - e0))
echo "  upgrade: '$out'; offered $OFFERED, sent $S, ring full $ERR, received $R, wirelens seen $W"
[ -n "$new_id" ] && [ "$new_id" != "$old_id" ] && pass "the new build's program replaced $old_id in place ($new_id), said: $out" ||
	fail "XDP program $old_id -> $new_id ($out)"
[ "$S" -gt 0 ] && [ "$S" = "$R" ] && pass "upgrade: received $R == sent $S (lost 0)" || fail "upgrade: sent $S, received $R"
# (an AF_PACKET sender's frames take the skb path, which needs no XDP program: there the
# seen == sent check below is the one that tells XDP never left)
if [ "$GEN" = xdp ]; then
	[ "$OFFERED" = $((S + ERR)) ] && pass "upgrade: no frame refused by the veth (offered $OFFERED = sent + ring full)" ||
		fail "upgrade: offered $OFFERED, sent $S, ring full $ERR: $((OFFERED - S - ERR)) refused (XDP left the veth?)"
fi
[ "$W" = "$S" ] && pass "upgrade: wirelens counted every frame across it (seen $W == sent)" ||
	fail "upgrade: wirelens seen $W, sent $S"

finish
