#!/usr/bin/env bash
# wirelens log against a real redis-server: exactly one event per request of a known workload
# (per command: the events' counts == INFO commandstats == `commands`), latencies > 0, errors
# where the server failed calls; a tiny ring with a stalled reader: the events it could not hold
# are counted as lost (written + lost + thinned == the workload, exactly) and `status` shows them;
# `log --packets` shows a known ping and UDP stream packet by packet; bad input, one reader only.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_redis || exit 1
out=$(mktemp -d /tmp/wl-log.XXXXXX)
on_exit "rm -rf $out"

"$WL_BIN" attach "$HOST_IF" >/dev/null || { echo "attach failed"; exit 1; }

# Starts a reader in the background: start_log NAME ARGS...; waits until it holds the lease.
start_log() {
	local name=$1
	shift
	"$WL_BIN" log "$@" >"$out/$name.out" 2>"$out/$name.err" &
	LOG_PID=$!
	on_exit "kill $LOG_PID"
	for _ in $(seq 300); do
		[ "$("$WL_BIN" status --json | jq -r '.log.reader_pid')" = "$LOG_PID" ] && return 0
		kill -0 "$LOG_PID" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name: the reader did not take the event log: $(cat "$out/$name.err")"
	return 1
}
stop_log() { kill -INT "$LOG_PID"; wait "$LOG_PID"; }

# INFO commandstats as "COMMAND calls errors" (calls + rejected, failed + rejected), like redis.sh;
# INFO and the RESETSTAT (counted after it reset) are not the workload
server_stats() {
	redis-cli -h "$SRV_IP" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk '{ printf "%s %d %d\n", toupper($1), $2 + $3, $3 + $4 }' | grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort
}
# the log's pairs as "COMMAND count errors"
log_stats() {
	jq -r 'select(.type == "pair") | "\(.command) \(.count) \(.errors)"' "$1" |
		awk '{ n[$1] += $2; e[$1] += $3 } END { for (c in n) printf "%s %d %d\n", c, n[c], e[c] }' | sort
}

# ---- 1. every request of a known workload, once
redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset
start_log pairs --json || exit 1
redis-benchmark -h "$SRV_IP" -n 2000 -c 4 -P 1 -t set,get,incr,lpush -q >/dev/null
redis-benchmark -h "$SRV_IP" -n 1600 -c 2 -P 16 -t set,get -q >/dev/null
{
	redis-cli -h "$SRV_IP" set k1 v1
	redis-cli -h "$SRV_IP" lpush k1 x # WRONGTYPE: a failed call
	redis-cli -h "$SRV_IP" incr k1    # not an integer: a failed call
} >/dev/null 2>&1
stop_log
server=$(server_stats)
wl=$(log_stats "$out/pairs.out")
if [ -n "$server" ] && [ "$server" = "$wl" ]; then
	pass "log --json: events per command == INFO commandstats ($(echo "$server" | wc -l) commands, $(echo "$server" | awk '{ s += $2 } END { print s }') requests, errors included)"
else
	fail "log --json: events per command differ from INFO commandstats"
	diff <(echo "$server") <(echo "$wl") | head -20
fi
commands=$("$WL_BIN" commands --json --protocol redis | jq -r '.[] | "\(.command) \(.responses) \(.errors)"' | grep -v '^INFO ' | sort)
check_eq "log --json events == commands responses" "$commands" "$wl"
check_eq "pairs with latency_ns 0" 0 "$(jq -r 'select(.type == "pair" and .latency_ns <= 0)' "$out/pairs.out" | wc -l)"
check_eq "pairs of the -P 16 runs in records of more than one" yes \
	"$(jq -r 'select(.type == "pair" and .count > 1)' "$out/pairs.out" | grep -q . && echo yes || echo no)"
check_eq "error events" "2" "$(jq -r 'select(.type == "pair") | .errors' "$out/pairs.out" | awk '{ s += $1 } END { print s }')"
summary=$(jq -c 'select(.type == "summary")' "$out/pairs.out")
check_eq "summary: events == sum of counts, nothing lost" \
	"$(jq -r 'select(.type == "pair") | .count' "$out/pairs.out" | awk '{ s += $1 } END { print s }') 0 0 0" \
	"$(echo "$summary" | jq -r '"\(.events) \(.lost_events) \(.sampled_events) \(.thinned_events)"')"
check_eq "no payload: field names of a pair" \
	"client,command,count,errors,hook,iface,latency_ns,latency_us,misses,netns,protocol,response_bytes,server,status,time,ts_ns,type" \
	"$(jq -r 'select(.type == "pair") | keys | join(",")' "$out/pairs.out" | sort -u)"
grep -q -e '"k1"' -e 'v1' "$out/pairs.out" && fail "a key or value in the log" || pass "no key or value in the log"

# the text form: one line per record, ending in xN for records of N
start_log text || exit 1
redis-cli -h "$SRV_IP" get k1 >/dev/null
wait_for "$out/text.out" " redis GET ok [0-9.]+us$" 100 "$LOG_PID"
stop_log
grep -qE "^[0-9:.]+ $HOST_IP:[0-9]+ -> $SRV_IP:6379 redis GET ok [0-9.]+us$" "$out/text.out" &&
	pass "log: text line $(grep GET "$out/text.out")" || fail "log: text: $(cat "$out/text.out")"
grep -qE "^wirelens: log: 1 events in 1 records; lost 0" "$out/text.err" &&
	pass "log: summary on stderr" || fail "log: summary: $(cat "$out/text.err")"

# ---- 2. bad input; one reader at a time; a dead reader's lease is taken over
check_bad "log --sample 0" "sample" "$WL_BIN" log --sample 0
check_bad "log --count ' -5' (would wrap to 2^64-5)" "log: --count  -5: a number from 1 to " "$WL_BIN" log --count " -5"
check_bad "log --protocol nope" "protocol" "$WL_BIN" log --protocol nope
check_bad "log extra argument" "unexpected" "$WL_BIN" log extra
start_log one || exit 1
check_bad "a second reader" "another reader \\(pid $LOG_PID\\)" "$WL_BIN" log --count 1
kill -KILL "$LOG_PID"
wait "$LOG_PID" 2>/dev/null
check_eq "status after the reader died" none "$("$WL_BIN" status --json | jq -r '.log.reading')"
start_log two && pass "a new reader takes over the lease of a dead one"
stop_log

# ---- 3. a tiny ring and a stalled reader: losses counted, exactly
"$WL_BIN" detach "$HOST_IF" >/dev/null
WIRELENS_LOG_RING=4096 "$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach with a 4 KB ring"; exit 1; }
redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
start_log tiny --json || exit 1
kill -STOP "$LOG_PID"
redis-benchmark -h "$SRV_IP" -n 600 -c 2 -P 1 -t set,get -q >/dev/null
kill -CONT "$LOG_PID"
stop_log
total=$(server_stats | awk '{ s += $2 } END { print s }')
got=$(jq -r 'select(.type == "pair") | .count' "$out/tiny.out" | awk '{ s += $1 } END { print s + 0 }')
read -r lost thinned sampled <<<"$(jq -r 'select(.type == "summary") | "\(.lost_events) \(.thinned_events) \(.sampled_events)"' "$out/tiny.out")"
if [ "${lost:-0}" -gt 0 ] && [ $((got + lost + thinned + sampled)) = "$total" ]; then
	pass "tiny ring: $got written + $lost lost + $thinned thinned == $total requests"
else
	fail "tiny ring: written $got lost ${lost:-?} thinned ${thinned:-?} sampled ${sampled:-?}, requests $total"
fi
check_eq "status lost_events" "$lost" "$("$WL_BIN" status --json | jq -r '.log.lost_events')"

# ---- 4. --packets: a known ping and UDP stream
start_log packets --packets --json || exit 1
ping -c 5 -i 0.2 -s 56 "$SRV_IP" >/dev/null
python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(7):
    s.sendto(b'x' * 100, ('$SRV_IP', 9999))
"
wait_for "$out/packets.out" '"proto":"icmp","src":"'"$SRV_IP"'"' 100 "$LOG_PID"
stop_log
pk() { jq -r --arg h "$1" --arg p "$2" --arg s "$3" --arg d "$4" \
	'select(.type == "packet" and .hook == $h and .proto == $p and .src == $s and .dst == $d) | "\(.length) \(.dport) \(.outcome)"' \
	"$out/packets.out" | sort | uniq -c | sed 's/^ *//'; }
check_eq "packets: echo requests (tc egress)" "5 98 2048 accounted" "$(pk tc icmp "$HOST_IP" "$SRV_IP")"
check_eq "packets: echo replies (xdp ingress)" "5 98 0 accounted" "$(pk xdp icmp "$SRV_IP" "$HOST_IP" | grep ' 0 accounted$')"
check_eq "packets: UDP datagrams" "7 142 9999 accounted" "$(pk tc udp "$HOST_IP" "$SRV_IP")"
check_eq "packets: no pair records" 0 "$(jq -r 'select(.type == "pair")' "$out/packets.out" | wc -l)"

finish
