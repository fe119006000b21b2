#!/usr/bin/env bash
# The per-CPU flow cache (map ABI v6, maps/wirelens.h) under live traffic: one UDP flow sent from
# two CPUs at once (two sockets on the same address and port), so both CPUs' slots hold it and
# fold into wl_flows while `wirelens flows` reads. Each read must be consistent: a fold counted
# twice or missed would make the flow's count go back between two reads. At the end the flow's
# count is exactly what was sent, and wl_flows alone (what `bpftool map dump` shows) trails it by
# at most the 63 packets a slot holds per CPU, as `status` says. The same with --flows-percpu
# underneath.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
N=${WL_FLOW_CACHE_N:-150000} # datagrams per sender
CPUS=$(nproc)
SECOND_CPU=$((CPUS > 1 ? 1 : 0))

sender() { # CPU PORT: N datagrams HOST -> SRV:9 from HOST:PORT; prints how many were sent
	taskset -c "$1" python3 - "$HOST_IP" "$SRV_IP" "$2" "$N" <<'EOF'
import socket, sys
src, dst, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((src, port))
sent, payload = 0, b"wirelens flow cache"
for _ in range(n):
    try:
        s.sendto(payload, (dst, 9))  # unconnected: an ICMP error never fails a later send
        sent += 1
    except OSError:
        pass
print(sent)
EOF
}

# the flow's packets as `flows --json` reads them ("" when absent)
flow_packets() {
	"$WL_BIN" flows --json | jq -r --arg s "$HOST_IP" --argjson p "$1" \
		'[.[] | select(.proto=="udp" and .src==$s and .sport==$p)] | map(.packets) | add // 0'
}

# wl_flows alone: bpftool's dump of the pinned table (a per-CPU table's values summed)
raw_packets() {
	bpftool -j map dump pinned "$PIN_DIR/wl_flows" | jq --argjson p "$1" '
		[.[] | select(.formatted.key.src_port == $p and .formatted.key.l4_proto == 17) |
		 (.formatted.value.packets // ([.formatted.values[].value.packets] | add))] | add // 0'
}

run_case() { # LABEL PORT ATTACH_ARGS...
	local label=$1 port=$2 reads=0 back=0 last=0 now sent total raw pids=() outs=()
	shift 2
	"$WL_BIN" attach "$HOST_IF" "$@" >/dev/null || { fail "$label: attach"; return; }
	for cpu in 0 "$SECOND_CPU"; do
		outs+=("$(mktemp /tmp/wl-fc.XXXXXX)")
		sender "$cpu" "$port" >"${outs[-1]}" &
		pids+=($!)
	done
	on_exit "rm -f ${outs[*]}"
	# read while both send: the count never goes back
	while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; do
		now=$(flow_packets "$port")
		reads=$((reads + 1))
		if [ "$now" -lt "$last" ]; then
			back=$((back + 1))
			echo "  $label: read $reads: $now after $last" >&2
		fi
		last=$now
	done
	wait "${pids[@]}"
	sent=$(($(cat "${outs[0]}") + $(cat "${outs[1]}")))
	total=$(flow_packets "$port")
	raw=$(raw_packets "$port")
	check_eq "$label: reads during the traffic ($reads) where the count went back" 0 "$back"
	[ "$reads" -ge 3 ] && pass "$label: $reads reads during the traffic" ||
		fail "$label: only $reads reads while sending"
	check_eq "$label: the flow's packets = datagrams sent from both CPUs" "$sent" "$total"
	[ "$raw" -le "$total" ] && [ $((total - raw)) -le $((63 * CPUS)) ] &&
		pass "$label: wl_flows alone $raw, the slots hold the other $((total - raw))" ||
		fail "$label: wl_flows alone $raw against $total (at most 63 a CPU in the slots)"
	check_eq "$label: status --json: packets the slots hold" "$((total - raw))" \
		"$("$WL_BIN" status --json | jq '.maps.wl_flow_cache.pending_packets')"
	"$WL_BIN" status | grep -qE "^  wl_flow_cache .* per-CPU, $((total - raw)) packets not yet in wl_flows$" &&
		pass "$label: status says what the slots hold" ||
		fail "$label: status: $("$WL_BIN" status | grep wl_flow_cache)"
	"$WL_BIN" detach --all >/dev/null || fail "$label: detach --all"
	[ ! -e "$PIN_DIR/wl_flow_cache" ] && pass "$label: detach --all unpins wl_flow_cache" ||
		fail "$label: wl_flow_cache still pinned"
}

echo "sending $N datagrams from CPU 0 and CPU $SECOND_CPU at once ($CPUS CPUs)"
run_case "shared wl_flows" 40001
run_case "--flows-percpu" 40002 --flows-percpu
finish
