#!/usr/bin/env bash
# Live throughput: packets per second a veth receiver handles with wirelens' XDP program
# attached, against bare XDP programs on the same receiver in the same run.
#
#   bench/pktgen.sh [BUILD_DIR] [SECONDS] [FLOWS...]   (root; defaults: build 2 "1 10000")
#   ROUNDS=n (default 3): interleaved rounds per receiver, the median is printed
#
# Topology (made here, removed on exit): namespace wlg<pid> --veth--> namespace wlr<pid>,
# 198.18.<n>.1 -> 198.18.<n>.2 UDP to port 9, 60-byte frames.
#
# Generators:
#  - kernel pktgen (/proc/net/pktgen): used when the module is there. Many cloud/VM kernels ship
#    without it (no CONFIG_NET_PKTGEN, or no /lib/modules to load it from); then it says so.
#  - always: an XDP program run with BPF_PROG_TEST_RUN + BPF_F_TEST_XDP_LIVE_FRAMES whose
#    XDP_TX transmits every frame out of the sender veth (bench_wirelens live-gen), the fastest
#    sender available without hardware. The frame's source port is rewritten per packet to
#    spread traffic over FLOWS flows. Where the kernel refuses live frames (EPERM on some
#    hosts), live-gen sends the same frames from an AF_PACKET socket instead: slower, and on
#    2 CPUs the receiver's NAPI then runs on the sender's CPU, so a row measures sender and
#    receiver together (their ratio still compares the receivers). Rows name the generator
#    that ran: xdp or af_packet.
# Receiver: native XDP on the receiving veth, one of
#    drop      bare XDP_DROP: the ceiling of the veth path itself
#    pass      bare XDP_PASS: frames continue into the stack (what wirelens also does)
#    wirelens  the wirelens XDP program (returns XDP_PASS)
# pps received = frames the receiver's XDP ran on (ethtool -S rx_queue_*_xdp_packets) / time.
# The fair ratio is wirelens / pass (both hand every frame to the stack); on 2 vCPUs the sender
# and the receiver share the CPUs, so figures are lower than on separate cores.
set -u
BUILD=${1:-build}
SECS=${2:-2}
ROUNDS=${ROUNDS:-3}
shift 2 2>/dev/null || shift $#
if [ $# -gt 0 ]; then FLOWS=("$@"); else FLOWS=(1 10000); fi
BIN=$(cd "$BUILD" && pwd)/bench_wirelens
[ "$(id -u)" = 0 ] || { echo "pktgen.sh: needs root (namespaces, XDP)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "pktgen.sh: $BIN missing (make)" >&2; exit 1; }
command -v ethtool >/dev/null || { echo "pktgen.sh: ethtool missing (make deps)" >&2; exit 1; }

N=$(( ($$ + RANDOM) % 200 + 20 ))
GNS=wlg$$ RNS=wlr$$ GIF=wlga$$ RIF=wlgb$$
cleanup() {
	ip netns del "$GNS" 2>/dev/null
	ip netns del "$RNS" 2>/dev/null
	if [ -n "${PKTGEN_IF:-}" ] && [ -w /proc/net/pktgen/kpktgend_0 ]; then
		echo "rem_device_all" >/proc/net/pktgen/kpktgend_0 2>/dev/null
	fi
	return 0
}
TMPF=$(mktemp /tmp/wlgen.XXXXXX)
trap 'cleanup; rm -f "$TMPF"' EXIT
trap 'exit 1' INT TERM

ip netns add "$GNS" && ip netns add "$RNS" || exit 1
ip link add "$GIF" netns "$GNS" type veth peer name "$RIF" netns "$RNS" || exit 1
ip -n "$GNS" addr add "198.18.$N.1/24" dev "$GIF"
ip -n "$RNS" addr add "198.18.$N.2/24" dev "$RIF"
ip -n "$GNS" link set "$GIF" up
ip -n "$RNS" link set "$RIF" up
ip -n "$GNS" link set lo up
ip -n "$RNS" link set lo up
GEXEC="ip netns exec $GNS"
RMAC=$(ip -n "$RNS" -o link show "$RIF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

rx_xdp_packets() { # frames the receiver's XDP program ran on, over all queues
	ip netns exec "$RNS" ethtool -S "$RIF" 2>/dev/null |
		awk '/rx_queue_[0-9]+_xdp_packets:/ { s += $2 } END { print s + 0 }'
}
now() { date +%s.%N; }

# measure VARIANT FLOWS GENERATOR -> prints pps received
measure() {
	local variant=$1 flows=$2 gen=$3 a b t0 t1 out secs
	ip netns exec "$RNS" "$BIN" live-attach "$RIF" "$variant" || return 1
	a=$(rx_xdp_packets)
	t0=$(now)
	if [ "$gen" = xdp ]; then
		out=$($GEXEC "$BIN" live-gen "$GIF" "$RMAC" "$SECS" "$flows") || return 1
	else
		out=$(run_pktgen "$flows") || return 1
	fi
	t1=$(now)
	b=$(rx_xdp_packets)
	ip -n "$RNS" link set dev "$RIF" xdp off
	# the sender's own sending time when it reports one ("in X s"), else wall time
	secs=$(echo "$out" | sed -n 's/.* in \([0-9.]*\) s.*/\1/p')
	[ -n "$secs" ] || secs=$(awk -v t0="$t0" -v t1="$t1" 'BEGIN { print t1 - t0 }')
	awk -v a="$a" -v b="$b" -v s="$secs" 'BEGIN { printf "%.0f\n", (b - a) / s }'
	echo "$out" >&2
}

# Kernel pktgen, when present: the same frames from the sender veth. Written from the pktgen
# documentation (Documentation/networking/pktgen.rst); it could not be run on the development
# VM (no pktgen module there), unlike the XDP live-frames path, which `make bench` runs.
PKTGEN=no
if [ -d /proc/net/pktgen ] || modprobe pktgen 2>/dev/null; then
	[ -d /proc/net/pktgen ] && PKTGEN=yes
fi
run_pktgen() {
	local flows=$1 dev=/proc/net/pktgen/$GIF thr=/proc/net/pktgen/kpktgend_0
	PKTGEN_IF=$GIF
	echo "rem_device_all" >"$thr"
	echo "add_device $GIF" >"$thr"
	{
		echo "count 0"
		echo "pkt_size 60"
		echo "delay 0"
		echo "dst 198.18.$N.2"
		echo "src_min 198.18.$N.1"
		echo "src_max 198.18.$N.1"
		echo "dst_mac $RMAC"
		echo "udp_dst_min 9"
		echo "udp_dst_max 9"
		echo "udp_src_min 1024"
		echo "udp_src_max $((1024 + flows - 1))"
	} | while read -r l; do echo "$l" >"$dev"; done
	timeout "$SECS" sh -c 'echo start > /proc/net/pktgen/pgctrl' 2>/dev/null
	echo "stop" >/proc/net/pktgen/pgctrl 2>/dev/null
	grep -m1 "pps" "$dev"
}

echo
echo "Live: pps received by a native-XDP veth receiver ($(nproc) CPUs, 60 B UDP frames, median of $ROUNDS interleaved ${SECS}s runs)"
if [ "$PKTGEN" = yes ]; then
	GENS="xdp pktgen"
	# pktgen binds devices of the init namespace: the sender veth moves there
	ip -n "$GNS" link set "$GIF" netns 1 && ip link set "$GIF" up && GEXEC=""
	echo "kernel pktgen found: rows for both generators"
else
	GENS="xdp"
	echo "kernel pktgen: not available on this host (no /proc/net/pktgen; $(uname -r) has" \
		"$( [ -d /lib/modules/"$(uname -r)" ] && echo "modules but no pktgen" || echo "no /lib/modules")):" \
		"using the XDP live-frames generator only (AF_PACKET where the kernel refuses live frames)"
fi
printf '%-9s %-7s %-10s %14s %14s %9s\n' generator flows receiver "pps received" "baseline pps" ratio
for gen in $GENS; do
	for flows in "${FLOWS[@]}"; do
		declare -A pps=() all=()
		# rounds interleave the receivers so that drift on a shared host hits all alike;
		# each figure is the median of its rounds
		for ((r = 0; r < ROUNDS; r++)); do
			for v in drop pass wirelens; do
				x=$(measure "$v" "$flows" "$gen" 2>"$TMPF") || {
					echo "pktgen.sh: $v/$flows/$gen failed: $(cat "$TMPF")" >&2
					exit 1
				}
				all[$v]="${all[$v]:-} $x"
				offered=$(cat "$TMPF")
			done
		done
		label=$gen
		[[ $offered == *"AF_PACKET sender"* ]] && label=af_packet
		# every round's figures for bench/report.sh (wirelens / pass and pass / drop of the round)
		if [ -n "${WL_BENCH_ROWS:-}" ]; then
			read -r -a rd <<<"${all[drop]}"
			read -r -a rp <<<"${all[pass]}"
			read -r -a rw <<<"${all[wirelens]}"
			for ((r = 0; r < ROUNDS; r++)); do
				printf 'live\t%s %s flows: wirelens / XDP_PASS\tpps\t%s\t%s\n' "$label" "$flows" "${rw[r]}" "${rp[r]}"
				printf 'live\t%s %s flows: XDP_PASS / XDP_DROP\tpps\t%s\t%s\n' "$label" "$flows" "${rp[r]}" "${rd[r]}"
			done >>"$WL_BENCH_ROWS"
		fi
		for v in drop pass wirelens; do
			pps[$v]=$(echo ${all[$v]} | tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		done
		printf '%-9s %-7s %-10s %14s %14s %9s\n' "$label" "$flows" "drop" "${pps[drop]}" "-" "-"
		printf '%-9s %-7s %-10s %14s %14s %8.2fx\n' "$label" "$flows" "pass" "${pps[pass]}" \
			"${pps[drop]} (drop)" "$(awk -v a="${pps[pass]}" -v b="${pps[drop]}" 'BEGIN{print b ? a / b : 0}')"
		printf '%-9s %-7s %-10s %14s %14s %8.2fx\n' "$label" "$flows" "wirelens" "${pps[wirelens]}" \
			"${pps[pass]} (pass)" "$(awk -v a="${pps[wirelens]}" -v b="${pps[pass]}" 'BEGIN{print b ? a / b : 0}')"
		echo "         (last sender: $offered)"
		echo "         (rounds: drop${all[drop]} | pass${all[pass]} | wirelens${all[wirelens]})"
		unset pps all
	done
done
