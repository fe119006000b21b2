#!/usr/bin/env bash
# Redis deep pipelines from a real client library: ioredis (npm, tests/live/node) against a real
# redis-server in a namespace, wirelens on the host end of the veth. Explicit pipelines of 1,200
# commands in runs and the same commands auto-pipelined (every request in flight before the first
# reply), with failing ones (WRONGTYPE, not an integer, wrong arity): every command's requests and
# errors equal INFO commandstats. Then more runs in flight than the FIFO holds: requests exact, no
# error under a wrong command, and the same connection pairs exactly right after. And the issue's
# redis-cli --pipe repro (40 alternating SET/GET, then a failing LPUSH).
# (ioredis speaks RESP2 only: RESP3 is covered by redis.sh and the unit tests.)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
node_clients || exit 1
setup_pair
start_redis || exit 1

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

# "COMMAND requests errors" per command, from the server (calls + rejected, failed + rejected)
server_stats() {
	redis-cli -h "$SRV_IP" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk '{ printf "%s %d %d\n", toupper($1), $2 + $3, $3 + $4 }' | grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort
}
wl_stats() {
	"$WL_BIN" commands --json --protocol redis --server "$SRV_IP:6379" |
		jq -r '.[] | "\(.command) \(.requests) \(.errors)"' | grep -v '^INFO ' | sort
}
counter() { "$WL_BIN" status --json | jq -r ".counters.$1 // 0"; }

compare() { # label
	local label=$1 server wl
	server=$(server_stats)
	wl=$(wl_stats)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$label: every command's requests and errors equal INFO commandstats ($(echo "$server" | wc -l) commands, $(echo "$server" | awk '{ r += $2; e += $3 } END { printf "%d requests, %d errors", r, e }'))"
	else
		fail "$label: commandstats differ (< server, > wirelens)"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
}

reset_all() {
	redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
	"$WL_BIN" reset
}

node "$here/node/redis_pipelines.js" "$SRV_IP" seed || fail "ioredis seed"

reset_all
node "$here/node/redis_pipelines.js" "$SRV_IP" explicit || fail "ioredis explicit pipelines"
compare "ioredis: 5 explicit pipelines of 1,200 commands in runs, failing ones among them"
check_eq "l7_fifo_overflow" 0 "$(counter l7_fifo_overflow)"

reset_all
node "$here/node/redis_pipelines.js" "$SRV_IP" auto || fail "ioredis auto-pipelining"
compare "ioredis: auto-pipelining, 5 x 1,200 commands issued in one tick"
check_eq "l7_fifo_overflow" 0 "$(counter l7_fifo_overflow)"

# More runs in flight than the FIFO holds: requests stay exact; an error is counted under its own
# command or under none (l7_unmatched), never under another one; nothing under OTHER.
reset_all
go=/tmp/$NS-go
on_exit "rm -f $go"
log=/tmp/$NS-alternate.log
on_exit "rm -f $log"
node "$here/node/redis_pipelines.js" "$SRV_IP" alternate "$go" >"$log" 2>&1 &
node_pid=$!
wait_for "$log" '^alternate:' 600 || fail "ioredis alternating pipeline did not finish: $(cat "$log")"
server=$(server_stats)
wl=$(wl_stats)
overflow=$(counter l7_fifo_overflow)
unmatched=$(counter l7_unmatched)
bad=$(join -a 1 -a 2 -e 0 -o 0,1.2,1.3,2.2,2.3 <(echo "$server") <(echo "$wl") |
	awk '$2 != $4 || $5 > $3 || $1 == "OTHER" { print }')
lost_errors=$(join -a 1 -a 2 -e 0 -o 0,1.3,2.3 <(echo "$server") <(echo "$wl") | awk '{ d += $2 - $3 } END { print d + 0 }')
if [ -z "$bad" ] && [ "$overflow" -gt 0 ] && [ "$lost_errors" -le "$unmatched" ]; then
	pass "ioredis: 1,000 alternating commands ($(cat "$log")): requests exact, $overflow requests past the FIFO counted, $lost_errors of their errors under no command (l7_unmatched $unmatched), none under a wrong one"
else
	fail "ioredis alternating: overflow $overflow, unmatched $unmatched, errors not attributed $lost_errors; rows (command, server req/err, wirelens req/err) that break the rule:"
	echo "$bad" | head -20
fi
reset_all
touch "$go"
wait "$node_pid" || fail "ioredis pipeline after the overflow: $(cat "$log")"
compare "ioredis: the same connection right after the overflow ($(tail -1 "$log"))"

# The issue's repro: 40 alternating SET/GET on a string key, then LPUSH (WRONGTYPE).
reset_all
redis-cli -h "$SRV_IP" set k v >/dev/null
{
	for i in $(seq 40); do ((i % 2)) && printf 'SET k v\r\n' || printf 'GET k\r\n'; done
	printf 'LPUSH k x\r\n'
} | redis-cli -h "$SRV_IP" --pipe >/dev/null 2>&1
compare "redis-cli --pipe: 40 alternating SET/GET, then a failing LPUSH"
check_eq "l7_fifo_overflow" 0 "$(counter l7_fifo_overflow)"

"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
finish
