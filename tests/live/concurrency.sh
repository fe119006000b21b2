#!/usr/bin/env bash
# Concurrency (issue #14, item 4): one connection's requests and replies handled on different
# CPUs at full rate. redis-server is pinned to one CPU and redis-benchmark to the other; RPS
# spreads each veth end's received packets over both CPUs, so the request direction (TC egress
# on the client's side) and the reply direction (XDP ingress) of a connection run concurrently
# on different CPUs, and consecutive packets of one direction move between CPUs. The per-command
# counts must equal INFO commandstats in each of 5 runs (the FIFO is single producer, single
# consumer: request side writes the tail, reply side the head; see struct wl_conn).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || { echo "concurrency: needs 2 CPUs (has $ncpu): nothing to test"; exit 0; }
mask=$(printf '%x' $(( (1 << (ncpu < 32 ? ncpu : 32)) - 1 )))
RUNS=${WL_CONC_RUNS:-5}
setup_pair
for q in /sys/class/net/"$HOST_IF"/queues/rx-*/rps_cpus; do echo "$mask" >"$q"; done
ip netns exec "$NS" sh -c "for q in /sys/class/net/$PEER_IF/queues/rx-*/rps_cpus; do echo $mask > \$q; done"
start_redis taskset -c 1 || exit 1
"$WL_BIN" attach "$HOST_IF" >/dev/null || { echo "attach failed"; exit 1; }

for run in $(seq "$RUNS"); do
	redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
	"$WL_BIN" reset
	taskset -c 0 redis-benchmark -h "$SRV_IP" -n 60000 -c 8 -P 16 -t set,get,incr,lpush,rpop -q >/dev/null
	taskset -c 0 redis-benchmark -h "$SRV_IP" -n 20000 -c 8 -P 1 -t set,get -q >/dev/null
	server=$(redis_commandstats)
	wl=$(redis_wl_commands)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "run $run: every command equals INFO commandstats ($(echo $server))"
	else
		fail "run $run: commandstats differ"
		diff <(echo "$server") <(echo "$wl") | head -10
	fi
done
# the point of the test: the protocol parsers did run on every CPU (per-CPU counters)
busy=$(bpftool -j map dump pinned "$PIN_DIR/wl_counters" |
	jq '[.[0].formatted.values[] | select(.value.l7_packets > 0)] | length')
[ "${busy:-0}" -ge 2 ] && pass "parsers ran on $busy CPUs" || fail "parsers ran on ${busy:-0} CPU(s) only"
unmatched=$("$WL_BIN" status --json | jq '.counters.l7_unmatched')
check_eq "no reply without its request (l7_unmatched)" 0 "$unmatched"
finish
