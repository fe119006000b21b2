#!/usr/bin/env bash
# Table sizes at attach (issue 19): --conns-max and --cmd-stats-max set wl_conns and wl_cmd_stats,
# --open-max wl_l7_open (else sized from the connections; status and status --json show them),
# bad values are one line and change nothing, another size
# while the maps are pinned is refused, an attach without a size keeps the pinned one, and the
# defaults after detach --all are WL_CONNS_DEFAULT and the CPU-count budget of wl_cmd_stats.
# Redis counts through the small tables still equal INFO commandstats.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_redis || exit 1

max_of() { "$WL_BIN" status --json | jq -r --arg m "$1" '.maps[$m].max_entries'; }

check_bad "--conns-max 0" "attach: --conns-max 0: a number from 1 to 16777216$" "$WL_BIN" attach "$HOST_IF" --conns-max 0
check_bad "--cmd-stats-max x" "attach: --cmd-stats-max x: a number from 1 to 16777216$" \
	"$WL_BIN" attach "$HOST_IF" --cmd-stats-max x
check_bad "--open-max 0" "attach: --open-max 0: a number from 1 to 16777216$" "$WL_BIN" attach "$HOST_IF" --open-max 0
check_bad "--conns-max too big" "--conns-max 16777217: a number from 1 to 16777216" "$WL_BIN" attach "$HOST_IF" --conns-max 16777217

"$WL_BIN" attach "$HOST_IF" --conns-max 1000 --cmd-stats-max 300 >/dev/null || { fail "attach"; finish; exit 1; }
check_eq "wl_conns max_entries" 1000 "$(max_of wl_conns)"
check_eq "wl_fifo_far max_entries (one ring per 16 connections, at least 64)" 64 "$(max_of wl_fifo_far)"
check_eq "wl_l7_open max_entries (one per 4 connections)" 250 "$(max_of wl_l7_open)"
check_eq "wl_cmd_stats max_entries" 300 "$(max_of wl_cmd_stats)"
"$WL_BIN" status | grep -qE '^  wl_conns +0 / 1000 ' && pass "status shows wl_conns 0 / 1000" ||
	fail "status: $("$WL_BIN" status | grep wl_conns)"
check_bad "another size while pinned" "wl_conns is already pinned with 1000 entries" \
	"$WL_BIN" attach "$HOST_IF" --conns-max 2000
"$WL_BIN" attach "$HOST_IF" >/dev/null
check_eq "attach without a size keeps the pinned one" "1000 300" "$(max_of wl_conns) $(max_of wl_cmd_stats)"

redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset >/dev/null # after the RESETSTAT, which only wirelens would count
redis-benchmark -h "$SRV_IP" -q -n 2000 -c 20 -P 4 -t set,get,incr,lpush >/dev/null
server=$(redis_commandstats)
[ -n "$server" ] && check_eq "commands == INFO commandstats (1,000 connections, 300 stats entries)" \
	"$server" "$(redis_wl_commands)" || fail "no commandstats"

"$WL_BIN" detach --all >/dev/null
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach after detach --all"
ncpu=$(($(cut -d- -f2 /sys/devices/system/cpu/possible) + 1))
want=$(( (24 << 20) / (ncpu * 312 + 120) ))
[ "$want" -gt 16384 ] && want=16384
check_eq "wl_conns default" 32768 "$(max_of wl_conns)"
check_eq "wl_fifo_far default" 2048 "$(max_of wl_fifo_far)"
check_eq "wl_l7_open default" 8192 "$(max_of wl_l7_open)"
check_eq "wl_cmd_stats default on $ncpu CPUs" "$want" "$(max_of wl_cmd_stats)"

# --open-max: more messages in flight at once than one per 4 connections (many large replies)
"$WL_BIN" detach --all >/dev/null
"$WL_BIN" attach "$HOST_IF" --open-max 20000 >/dev/null || fail "attach --open-max 20000"
check_eq "wl_l7_open with --open-max, wl_conns at its default" "20000 32768" \
	"$(max_of wl_l7_open) $(max_of wl_conns)"
"$WL_BIN" status | grep -qE '^  wl_l7_open +0 / 20000 ' && pass "status shows wl_l7_open 0 / 20000" ||
	fail "status: $("$WL_BIN" status | grep wl_l7_open)"
check_bad "another --open-max while pinned" "wl_l7_open is already pinned with 20000 entries; --open-max 64" \
	"$WL_BIN" attach "$HOST_IF" --open-max 64
"$WL_BIN" attach "$HOST_IF" --conns-max 32768 >/dev/null && pass "attach without --open-max keeps the pinned one" ||
	fail "attach --conns-max 32768 after --open-max"
check_eq "wl_l7_open kept" 20000 "$(max_of wl_l7_open)"
finish
