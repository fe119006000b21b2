#!/usr/bin/env bash
# memcached accuracy: a real memcached (Debian) in a namespace, real clients on the host
# (libmemcached-tools memcslap/memcaslap/memccp/memccat/memcexist/memctouch/memcrm/memcflush,
# text and binary; a python client for exact cases), wirelens attached to the host end of the
# veth. After each workload, memcached's own `stats` (read inside the namespace, so unseen by
# wirelens) must equal what wirelens derives from its per-command counts: cmd_get, get_hits,
# get_misses, cmd_set, cmd_touch, cmd_flush, delete/incr/decr/touch hits and misses, cas_*;
# zero difference. And every request that expects a reply got exactly one.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
MC="python3 $here/memcached/mc.py"
TMP=$(mktemp -d)
on_exit "rm -rf $TMP"
setup_pair
# The replies of memcslap's text mget (one line of 3000 keys per connection) are 7.7 MB bursts.
# A veth with a native XDP program queues the peer's frames in a 256-frame ring: a burst larger
# than that loses frames before the hook (peer tx_dropped), or with a qdisc on the peer gets
# frames overtaken by later ones. Either way the hook sees a gap and the late copy as a
# retransmission, and the VALUE lines in the gap cannot be counted, so the comparison below would
# measure the test rig, not wirelens. The server's send buffer (this namespace only) keeps its
# bytes in flight under what the ring holds.
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_wmem="4096 16384 131072"
ip netns exec "$NS" memcached -u root -l "$SRV_IP" -p 11211 -U 0 -m 64 -c 1024 -d \
	-P "$TMP/memcached.pid"
on_exit "kill \$(cat $TMP/memcached.pid)"
for _ in $(seq 50); do ip netns exec "$NS" $MC stats "$SRV_IP" >/dev/null 2>&1 && break; sleep 0.1; done

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }


reset_all() {
	ip netns exec "$NS" $MC reset "$SRV_IP"
	"$WL_BIN" reset >/dev/null
}

compare() { # label [--noreply]
	local label=$1
	shift
	ip netns exec "$NS" $MC stats "$SRV_IP" >"$TMP/stats"
	"$WL_BIN" commands --json --protocol memcached --server "$SRV_IP:11211" >"$TMP/wl.json"
	if $MC compare "$TMP/stats" "$TMP/wl.json" "$@" >"$TMP/cmp"; then
		pass "$label: memcached stats = wirelens ($(grep -c ' ok$' "$TMP/cmp") figures)"
		cat "$TMP/cmp"
	else
		fail "$label"
		cat "$TMP/cmp"
		jq -c '.[] | [.command, .requests, .responses, .errors, .misses]' "$TMP/wl.json"
		"$WL_BIN" status | grep -E '^  l7_(gap|retransmit|resync_skip|unmatched)' | tr -s ' '
	fi
}

S="$SRV_IP:11211"

reset_all
memcslap -s "$S" --test=set -e 3000 -c 4 -q
memcslap -s "$S" --test=get -e 3000 -c 4 -q
memcslap -s "$S" --test=mget -e 3000 -c 2 -q
compare "memcslap text set/get/mget"

reset_all
memcslap -s "$S" --binary --test=set -e 3000 -c 4 -q
memcslap -s "$S" --binary --test=get -e 3000 -c 4 -q
memcslap -s "$S" --binary --test=mget -e 3000 -c 2 -q
compare "memcslap --binary set/get/mget"

reset_all
memcaslap -s "$S" -x 20000 -T 2 -c 16 -X 200 -d 5 >/dev/null
compare "memcaslap 20000 ops, 16 connections, multi-gets of 5"

reset_all
memcaslap -s "$S" -x 10000 -T 2 -c 8 -X 2000 -B >/dev/null
compare "memcaslap --binary 10000 ops"

reset_all
for bin in "" --binary; do
	printf 'file-%s\n' $(seq 1 200) >"$TMP/f1"
	head -c 150000 /dev/urandom >"$TMP/f2"
	(cd "$TMP" && memccp --servers="$S" $bin f1 f2)
	memccat --servers="$S" $bin f1 f2 >/dev/null
	memccat --servers="$S" $bin nosuchkey >/dev/null 2>&1
	memcexist --servers="$S" $bin f1 nosuchkey >/dev/null 2>&1
	memctouch --servers="$S" $bin --expire=100 f1 nosuchkey >/dev/null 2>&1
	memcrm --servers="$S" $bin f1 nosuchkey >/dev/null 2>&1
	memcflush --servers="$S" $bin
done
compare "memccp/memccat/memcexist/memctouch/memcrm/memcflush, text and binary"

reset_all
$MC text "$SRV_IP" || fail "text client"
compare "python text: misses, errors, incr/decr, cas, multi-get, gat, 100 KB, 2 MB refused, pipelining"

reset_all
$MC noreply "$SRV_IP" || fail "noreply client"
compare "python noreply variants" --noreply

reset_all
$MC binary "$SRV_IP" || fail "binary client"
compare "python binary: every opcode, quiet pipelines settled by noop"

"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
"$WL_BIN" commands --protocol memcached
finish
