#!/usr/bin/env bash
# attach --flows-percpu (issue 19): wl_flows with a value per CPU, summed when read. The exact
# counts of loader_counts.sh (a TCP conversation against its capture, GSO segments, IPv6 UDP)
# hold with it; status and `bpftool map show` say what the table is; the choice is fixed while
# the maps are pinned (asked against a shared table: one line, nothing changed; not asked: the
# pinned kind is kept); memory is checked with the CPU count.
here=$(cd "$(dirname "$0")" && pwd)
WL_ATTACH_ARGS=--flows-percpu bash "$here/loader_counts.sh" || exit 1

. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
per_cpu() { "$WL_BIN" status --json | jq -r '.maps.wl_flows.per_cpu'; }

"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }
check_eq "a plain attach: one value for all CPUs" false "$(per_cpu)"
check_bad "--flows-percpu against a shared pinned table" \
	"^wirelens: the flow table is already pinned with one value for all CPUs; --flows-percpu needs everything detached first \(detach --all\)$" \
	"$WL_BIN" --netns "$NS" attach lo --flows-percpu
"$WL_BIN" detach --all >/dev/null

"$WL_BIN" attach "$HOST_IF" --flows-percpu >/dev/null || fail "attach --flows-percpu"
check_eq "status --json: wl_flows per_cpu" true "$(per_cpu)"
"$WL_BIN" status | grep -qE '^  wl_flows .* per-CPU$' && pass "status says per-CPU" ||
	fail "status: $("$WL_BIN" status | grep wl_flows)"
check_eq "the pinned map's type" lru_percpu_hash \
	"$(bpftool -j map show pinned "$PIN_DIR/wl_flows" | jq -r .type)"
"$WL_BIN" --netns "$NS" attach lo >/dev/null && pass "attach without the option takes the pinned kind" ||
	fail "attach without --flows-percpu next to a per-CPU table"
check_eq "still per-CPU" true "$(per_cpu)"
# every CPU's share summed: pings from both CPUs, each flow's count the exact number sent
for cpu in 0 $(($(nproc) > 1 ? 1 : 0)); do
	taskset -c $cpu ping -c 5 -i 0.05 -q "$SRV_IP" >/dev/null || fail "ping on CPU $cpu"
done
icmp=$("$WL_BIN" flows --json | jq -r --arg s "$HOST_IP" '[.[] | select(.proto=="icmp" and .src==$s)] | map(.packets) | add')
check_eq "ICMP echo requests counted over the CPUs (TC egress)" 10 "$icmp"
finish
