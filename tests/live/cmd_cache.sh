#!/usr/bin/env bash
# The per-CPU command-statistics cache (map ABI v7, maps/wirelens.h) under live traffic: a
# redis-server in a namespace, redis-benchmark on both CPUs at once (SET and GET, so that each
# command's updates land in a slot on each CPU and fold while `wirelens commands` reads). Each
# read must be consistent: a fold counted twice or missed would make a count go back between two
# reads. At the end the counts equal INFO commandstats, and wl_cmd_stats alone (what `bpftool map
# dump` shows) plus the slots' deltas (`bpftool map dump` of wl_cmd_cache) is the same number, the
# slots holding at most 64 updates of a command per CPU, as `status` says.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_redis || exit 1
on_exit "$WL_BIN detach --all"
N=${WL_CMD_CACHE_N:-40000} # requests per client process
CPUS=$(nproc)
SECOND_CPU=$((CPUS > 1 ? 1 : 0))

"$WL_BIN" attach "$HOST_IF" >/dev/null || { echo "attach failed"; exit 1; }
redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset

# the requests of every Redis command as `commands --json` counts them
wl_requests() {
	"$WL_BIN" commands --json | jq '[.[] | select(.protocol == "redis") | .requests] | add // 0'
}

pids=()
for cpu in 0 "$SECOND_CPU"; do
	taskset -c "$cpu" redis-benchmark -h "$SRV_IP" -n "$N" -c 8 -P 1 -t set,get -q >/dev/null &
	pids+=($!)
done
reads=0 back=0 last=0
while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; do
	now=$(wl_requests)
	reads=$((reads + 1))
	if [ "$now" -lt "$last" ]; then
		back=$((back + 1))
		echo "  read $reads: $now after $last" >&2
	fi
	last=$now
done
wait "${pids[@]}"
check_eq "reads during the traffic ($reads) where the count went back" 0 "$back"
[ "$reads" -ge 3 ] && pass "$reads reads during the traffic" || fail "only $reads reads while sending"

redis_compare "both CPUs at once"

# what a raw dump shows: the table's entries (CPUs summed) and the slots' deltas
total=$(wl_requests)
raw=$(bpftool -j map dump pinned "$PIN_DIR/wl_cmd_stats" |
	jq '[.[] | select(.formatted.key.l7_proto != 0) | .formatted.values[].value.requests] | add // 0')
slots=$(bpftool -j map dump pinned "$PIN_DIR/wl_cmd_cache" |
	jq '[.[] | .formatted.values[].value | select(.ident[0] != 0) | .d.requests] | add // 0')
updates=$(bpftool -j map dump pinned "$PIN_DIR/wl_cmd_cache" |
	jq '[.[] | .formatted.values[].value | select(.ident[0] != 0) | .n] | add // 0')
check_eq "wl_cmd_stats alone ($raw) + the slots' deltas ($slots) = the commands' requests" \
	"$total" "$((raw + slots))"
[ "$raw" -lt "$total" ] && pass "a raw dump trails by what the slots hold" ||
	fail "wl_cmd_stats alone $raw against $total: no slot in use?"
check_eq "status --json: updates the slots hold" "$updates" \
	"$("$WL_BIN" status --json | jq '.maps.wl_cmd_cache.pending_updates')"
"$WL_BIN" status | grep -qE "^  wl_cmd_cache .* per-CPU, $updates updates not yet in wl_cmd_stats$" &&
	pass "status says what the slots hold" ||
	fail "status: $("$WL_BIN" status | grep wl_cmd_cache)"

# reset empties the slots too: nothing comes back at the next fold
"$WL_BIN" reset
redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset
redis-benchmark -h "$SRV_IP" -n 2000 -c 4 -P 1 -t set,get -q >/dev/null
redis_compare "after reset"

"$WL_BIN" detach --all >/dev/null || fail "detach --all"
[ ! -e "$PIN_DIR/wl_cmd_cache" ] && pass "detach --all unpins wl_cmd_cache" ||
	fail "wl_cmd_cache still pinned"
finish
