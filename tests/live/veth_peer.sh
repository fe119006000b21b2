#!/usr/bin/env bash
# peer-egress (issue 19): `attach VETH --hooks peer-egress,tc-egress` puts a tcx link on the
# egress of the veth's peer, in the peer's namespace, and counts what it sees as the veth's
# inbound packets. The peer keeps TSO (native XDP on the veth turns it off), and one connection's
# packets are parsed in order (they leave under the sending socket's lock), unlike tc-ingress on
# a veth. Checked: TSO; Redis commandstats and memcached stats exact, the memcached mget bursts
# (ACK-clocked sends from two CPUs: what miscounted under tc-ingress) among them; GSO segments =
# the sender's own OutSegs + RetransSegs; status; refusals (inbound twice, not a veth, cls);
# detach leaves no link in the peer's namespace. Before Linux 6.6 (no tcx) the attach must
# refuse with one clear line, and that is all that is checked.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
MC="python3 $here/memcached/mc.py"
tmp=$(mktemp -d /tmp/wl_peer.XXXXXX)
on_exit "rm -rf $tmp"
setup_pair
on_exit "$WL_BIN detach --all"

err=$("$WL_BIN" attach "$HOST_IF" --hooks peer-egress,tc-egress 2>&1 >"$tmp/out")
rc=$?
if [ $rc -ne 0 ] && printf '%s' "$err" | grep -q "Linux 6.6 or later"; then
	check_eq "no tcx here: one line, nothing attached" "1 0" \
		"$(printf '%s\n' "$err" | wc -l) $(find "$PIN_DIR/links" -type l -o -type f 2>/dev/null | wc -l)"
	pass "peer-egress refused before Linux 6.6: $err"
	finish
	exit
fi
check_eq "attach" "attached $HOST_IF (tc-egress, peer-egress)" "$(cat "$tmp/out")$err"
tso() { ip netns exec "$NS" ethtool -k "$PEER_IF" | grep '^tcp-segmentation-offload:'; }
check_eq "the peer keeps TSO" "tcp-segmentation-offload: on" "$(tso)"
check_eq "status: peer-egress under $HOST_IF, a live tcx link" "tcx true" \
	"$("$WL_BIN" status --json | jq -r --arg i "$HOST_IF" \
		'.attachments[] | select(.iface == $i and .hook == "peer-egress") | "\(.mode) \(.attached)"')"
check_eq "no note about TC ingress order" 0 \
	"$("$WL_BIN" status --json | jq '[.notes[] | select(test("tc-ingress on a veth"))] | length')"
check_eq "a note that raw frames written past the peer's qdisc layer go unseen" 1 \
	"$("$WL_BIN" status --json | jq --arg i "$HOST_IF" '[.notes[] | select(startswith($i + ": peer-egress sees what the peer"))] | length')"
# (bpftool 7.1 does not list tcx links: status says where the link is)
read -r link peer_ifindex <<<"$("$WL_BIN" status --json | jq -r --arg i "$HOST_IF" \
	'.attachments[] | select(.iface == $i and .hook == "peer-egress") | "\(.link_id) \(.peer_ifindex)"')"
check_eq "the link is on $PEER_IF, in its namespace" \
	"$(ip netns exec "$NS" cat /sys/class/net/"$PEER_IF"/ifindex)" "$peer_ifindex"

# ---- refusals: one line, nothing changed ----
check_bad "xdp beside peer-egress counts inbound twice" "xdp and peer-egress" \
	"$WL_BIN" attach "$HOST_IF" --hooks xdp
check_bad "tc-ingress beside peer-egress too" "tc-ingress and peer-egress" \
	"$WL_BIN" attach "$HOST_IF" --hooks tc-ingress
ip link add "wlb$$" type bridge && on_exit "ip link del wlb$$"
check_bad "peer-egress on a bridge" "is for a veth" "$WL_BIN" attach "wlb$$" --hooks peer-egress
extra_pair "wlx$$" "wly$$"
check_bad "peer-egress with --tc-mode cls" "not a cls_bpf filter" \
	"$WL_BIN" attach "wlx$$" --hooks peer-egress --tc-mode cls
check_eq "attach again: already attached" "$HOST_IF: already attached (tc-egress, peer-egress)" \
	"$("$WL_BIN" attach "$HOST_IF" --hooks peer-egress,tc-egress 2>&1)"

# ---- rules: what the peer's egress sees is this veth's inbound (--dir in) ----
rin=$("$WL_BIN" rule add --src "$SRV_IP" --proto icmp --dir in --action count) || fail "rule add in"
rout=$("$WL_BIN" rule add --src "$SRV_IP" --proto icmp --dir out --action count) || fail "rule add out"
ping -c 3 -i 0.2 -q "$SRV_IP" >/dev/null || fail "ping"
rule_pkts() { "$WL_BIN" rule list --json | jq --argjson i "$1" '.rules[] | select(.id == $i) | .packets'; }
check_eq "the 3 echo replies count under a --dir in rule, none under --dir out" "3 0" \
	"$(rule_pkts "$rin") $(rule_pkts "$rout")"
"$WL_BIN" rule del "$rin" >/dev/null && "$WL_BIN" rule del "$rout" >/dev/null || fail "rule del"

# ---- Redis: every command's count equals INFO commandstats ----
start_redis || exit 1
for p in 1 16; do
	rcli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
	"$WL_BIN" reset >/dev/null
	redis-benchmark -h "$SRV_IP" -n 20000 -c 16 -P $p -t set,get,incr,lpush,lpop,hset,mset -q >/dev/null
	redis-benchmark -h "$SRV_IP" -n 2000 -c 4 -P $p -d 10240 -t set,get -q >/dev/null
	server=$(redis_commandstats) wl=$(redis_wl_commands)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "redis-benchmark -P $p (and 10 KB values): commandstats = wirelens ($(echo "$server" | wc -l) commands)"
	else
		fail "redis-benchmark -P $p: commandstats differ"
		diff <(echo "$server") <(echo "$wl") | head
	fi
done

# ---- an L7 reject on the peer's egress: a client in the namespace, a server on the host ----
# The request is seen at the peer's egress: the reset goes back into the peer (its ingress), the
# request is dropped before it crosses.
redis-server --bind "$HOST_IP" --port 6390 --protected-mode no --save '' --appendonly no \
	--daemonize yes --pidfile "$tmp/hredis.pid" --logfile "$tmp/hredis.log"
on_exit "kill \$(cat $tmp/hredis.pid)"
for _ in $(seq 300); do redis-cli -h "$HOST_IP" -p 6390 ping >/dev/null 2>&1 && break; sleep 0.1; done
"$WL_BIN" rule add --l7 redis:FLUSHALL --action reject >/dev/null || fail "rule add reject"
ip netns exec "$NS" python3 - "$HOST_IP" >"$tmp/reject.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 6390))
s.settimeout(10)
s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nk11\r\n$3\r\nv11\r\n")
print("set", s.recv(100).decode().strip())
t = time.monotonic()
s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
try:
    print("answer", s.recv(100))
except ConnectionResetError:
    print("reset after %.1f s" % (time.monotonic() - t))
except socket.timeout:
    print("timeout")
PY
check_eq "reject from the namespace: the SET was answered" "set +OK" "$(sed -n 1p "$tmp/reject.out")"
grep -qE '^reset after [0-4]\.' "$tmp/reject.out" &&
	pass "reject from the namespace: the client got a reset at once ($(tail -1 "$tmp/reject.out"))" ||
	fail "reject from the namespace: $(tail -1 "$tmp/reject.out")"
check_eq "reject from the namespace: the key is still there" 1 "$(redis-cli -h "$HOST_IP" -p 6390 DBSIZE)"
"$WL_BIN" rule flush >/dev/null || fail "rule flush"

# ---- memcached: the text mget bursts that tc-ingress on a veth miscounted ----
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 16384 131072"
ip netns exec "$NS" memcached -u root -l "$SRV_IP" -p 11211 -U 0 -m 64 -c 1024 -d -P "$tmp/mc.pid"
on_exit "kill \$(cat $tmp/mc.pid)"
for _ in $(seq 50); do ip netns exec "$NS" $MC stats "$SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done
memcslap -s "$SRV_IP:11211" --test=set -e 3000 -c 4 -q
ip netns exec "$NS" $MC reset "$SRV_IP"
"$WL_BIN" reset >/dev/null
for _ in 1 2 3 4 5; do memcslap -s "$SRV_IP:11211" --test=mget -e 3000 -c 2 -q; done
ip netns exec "$NS" $MC stats "$SRV_IP" >"$tmp/stats"
"$WL_BIN" commands --json --protocol memcached --server "$SRV_IP:11211" >"$tmp/wl.json"
if $MC compare "$tmp/stats" "$tmp/wl.json" >"$tmp/cmp"; then
	pass "5 text mget bursts of 3000 keys x 2: memcached stats = wirelens ($(grep -c ' ok$' "$tmp/cmp") figures)"
else
	fail "mget bursts"
	cat "$tmp/cmp"
	"$WL_BIN" status | grep -E '^  l7_(gap|retransmit)' | tr -s ' '
fi

# ---- GSO: the segments counted equal what the namespace's TCP sent ----
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 16384 4194304"
PORT=7412 SIZE=$((8 << 20))
read -r got segs _ <<<"$(bulk_from_ns $PORT $SIZE "$tmp")"
check_eq "the client read everything" $SIZE "$got"
flow=$("$WL_BIN" flows --json | jq -r --arg s "$SRV_IP" --argjson p $PORT \
	'.[] | select(.proto == "tcp" and .src == $s and .sport == $p) | "\(.iface) \(.packets)"')
check_eq "segments from the namespace, under $HOST_IF: wirelens = the sender's OutSegs + RetransSegs" \
	"$HOST_IF $segs" "$flow"

# ---- watch: a veth whose peer is in a namespace made after the watch began ----
"$WL_BIN" watch "wlw$$*" --hooks peer-egress,tc-egress >"$tmp/watch" 2>&1 &
wpid=$!
on_exit "kill $wpid 2>/dev/null"
wait_for "$tmp/watch" "^watching" 300 $wpid || fail "watch did not start: $(cat "$tmp/watch")"
for k in 1 2; do
	ip netns add "$NS-w$k" && on_exit "ip netns del $NS-w$k"
	ip link add "wlw$$$k" type veth peer name "wlv$$$k" netns "$NS-w$k" && on_exit "ip link del wlw$$$k"
	wait_for "$tmp/watch" "wlw$$$k" 300 $wpid
done
check_eq "watch attached both, the second one's namespace made after the first attach" \
	"attached wlw$$1 (tc-egress, peer-egress)|attached wlw$$2 (tc-egress, peer-egress)" \
	"$(grep "wlw$$" "$tmp/watch" | grep -v '^watching' | paste -sd'|')"
kill $wpid 2>/dev/null
wait $wpid 2>/dev/null
for k in 1 2; do "$WL_BIN" detach "wlw$$$k" >/dev/null; done

# ---- detach: nothing left in the peer's namespace ----
check_eq "detach" "detached $HOST_IF (tc-egress, peer-egress)" "$("$WL_BIN" detach "$HOST_IF" 2>&1)"
bpftool link show id "$link" >/dev/null 2>&1 && fail "link $link still exists" ||
	pass "the peer's link $link is gone"
finish
