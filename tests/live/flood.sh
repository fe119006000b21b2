#!/usr/bin/env bash
# Floods (issue #14, item 2): while redis-benchmark runs a -P 16 workload on established
# connections, 200,000 SYNs and 200,000 one-packet UDP flows from random sources (198.19.0.0/16)
# and ports cross the same interface. The established connections' per-command counts must stay
# equal to the server's INFO commandstats, the tables stay within their sizes, and `status`
# names what the flood did (flows and connections it pushed out, tables full).
# wirelens runs inside the server's namespace (on its veth end), so the flood and the clients'
# requests arrive at the same XDP hook; the flood is sent by an XDP program through
# BPF_F_TEST_XDP_LIVE_FRAMES (bench_wirelens live-flood), or from an AF_PACKET socket where the
# kernel refuses live frames (bench/live.c).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BENCH=${WL_BUILD:-$(dirname "$WL_BIN")}/bench_wirelens
[ -x "$BENCH" ] || { echo "flood: $BENCH missing (make check-build)"; exit 1; }
FLOOD=${WL_FLOOD:-200000}
setup_pair
# replies to the flood's sources stay inside the namespace (no route: dropped there)
start_redis || exit 1
# a flow table smaller than the flood, so that it must push flows out wherever the flood's rate
# ends up (an idle machine's generator outruns the veth, whose queue drops most frames)
FLOWS_MAX=16384
"$WL_BIN" --netns "$NS" attach "$PEER_IF" --flows-max $FLOWS_MAX >/dev/null || { echo "attach failed"; exit 1; }
on_exit "$WL_BIN --netns $NS detach $PEER_IF"
PEER_MAC=$(ip -n "$NS" -o link show "$PEER_IF" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset
log=$(mktemp /tmp/wlflood.XXXXXX)
on_exit "rm -f $log"
# the workload: long enough to overlap the flood (it ends when its requests are done)
redis-benchmark -h "$SRV_IP" -n 400000 -c 4 -P 16 -t set,get,incr,lpush -q >"$log" 2>&1 &
bench=$!
# the flood starts once the clients are connected and busy
for _ in $(seq 100); do
	[ "$("$WL_BIN" commands --json --protocol redis | jq '[.[].requests] | add // 0')" -gt 1000 ] && break
	sleep 0.1
done
"$BENCH" live-flood "$HOST_IF" "$PEER_MAC" "$SRV_IP" 6379 "$FLOOD" syn || fail "SYN flood"
# the UDP flood from the AF_PACKET sender: where live frames work, both senders get used
WL_LIVE_GEN=af_packet "$BENCH" live-flood "$HOST_IF" "$PEER_MAC" "$SRV_IP" 5353 "$FLOOD" udp ||
	fail "UDP flood (AF_PACKET sender)"
kill -0 $bench 2>/dev/null && pass "the flood crossed while the workload ran" ||
	fail "the workload ended before the flood did (make it longer)"
wait $bench || fail "redis-benchmark"

server=$(redis_commandstats)
wl=$(redis_wl_commands)
if [ -n "$server" ] && [ "$server" = "$wl" ]; then
	pass "under the flood, every command's requests and errors equal INFO commandstats: $(echo $server)"
else
	fail "commandstats differ under the flood"
	diff <(echo "$server") <(echo "$wl") | head -20
fi

st=$("$WL_BIN" status --json)
for m in wl_flows wl_conns wl_cmd_stats; do
	n=$(jq -r --arg m $m '.maps[$m].entries' <<<"$st") max=$(jq -r --arg m $m '.maps[$m].max_entries' <<<"$st")
	[ "$n" -le "$max" ] && pass "$m: $n entries <= $max" || fail "$m: $n > $max"
done
seen=$(jq -r '.counters.seen' <<<"$st")
# The generator outruns the receiving veth on a fast machine (its queue drops before XDP runs):
# what matters is that more new flows than the table holds reached the hook during the workload.
new=$(jq -r '.counters.flows_new' <<<"$st")
[ "$new" -gt $((2 * FLOWS_MAX)) ] && pass "the flood reached the hook: $new new flows ($seen packets with the workload's)" ||
	fail "only $new new flows reached the hook ($seen packets)"
for m in wl_flows wl_conns; do
	v=$(jq -r --arg m $m '.maps[$m].evicted // "missing"' <<<"$st")
	[ "$v" != missing ] && pass "status names what the flood pushed out of $m: $v" || fail "status has no $m evicted"
done
# the SYN flood made no connection state: handshakes are kept in wl_l7_syns, apart
conns=$(jq -r '.maps.wl_conns.entries' <<<"$st")
[ "$conns" -le 64 ] && pass "the SYN flood made no L7 connection state (wl_conns: $conns)" ||
	fail "the SYN flood filled wl_conns ($conns entries)"
flows=$(jq -r '.maps.wl_flows.evicted' <<<"$st")
[ "$flows" -gt 0 ] && pass "flows pushed out by the flood are counted ($flows)" || fail "no flow eviction counted"
for c in map_full l7_conn_full; do
	v=$(jq -r --arg c $c '.counters[$c] // "missing"' <<<"$st")
	[ "$v" != missing ] && pass "status names $c: $v" || fail "status has no counter $c"
done
finish
