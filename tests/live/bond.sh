#!/usr/bin/env bash
# A bond of two veths on each side (balance-xor, layer3+4: the connections spread over both
# slaves, each one in order), Redis in the namespace, redis-benchmark on the host. wirelens on the
# bond: tc-ingress + tc-egress by default (native XDP on a bond runs in the slaves' drivers under
# their ifindex, so replies would not meet their requests); the flows of both slaves are counted
# once, as the bond's, and every command equals INFO commandstats. The bond and a slave at once:
# attach and status warn.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BOND=wlbo$$ S1=wlb1$$ S2=wlb2$$
if ! err=$(ip link add "$BOND" type bond mode balance-xor xmit_hash_policy layer3+4 2>&1); then
	# the host kernel of some sandboxes has no CONFIG_BONDING: nothing to test there
	echo "skipped: this kernel cannot make a bond ($err)"
	exit 0
fi
on_exit "ip link del $BOND"
ip netns add "$NS"
ip -n "$NS" link add bond0 type bond mode balance-xor xmit_hash_policy layer3+4
for s in "$S1" "$S2"; do
	ip link add "$s" type veth peer name "p$s" && on_exit "ip link del $s"
	ip link set "p$s" netns "$NS"
	ip link set "$s" master "$BOND"
	ip -n "$NS" link set "p$s" master bond0
done
ip addr add "$HOST_IP/24" dev "$BOND"
ip link set "$BOND" up
ip -n "$NS" addr add "$SRV_IP/24" dev bond0
ip -n "$NS" link set bond0 up
ip -n "$NS" link set lo up
sock=/tmp/$NS-redis.sock
ip netns exec "$NS" redis-server --bind "$SRV_IP" --port 6379 --unixsocket "$sock" --protected-mode no \
	--save '' --appendonly no --daemonize yes --pidfile /tmp/$NS-redis.pid --logfile /tmp/$NS-redis.log
on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done

compare() { # label factor
	local server wl
	server=$(redis-cli -s "$sock" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk -v f="$2" '{ printf "%s %d %d\n", toupper($1), f * ($2 + $3), f * ($3 + $4) }' |
		grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort)
	wl=$("$WL_BIN" commands --json --protocol redis --server "$SRV_IP:6379" |
		jq -r '.[] | "\(.command) \(.requests) \(.errors)"' | sort)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$1: every command equals INFO commandstats x$2 ($(echo "$server" | wc -l) commands)"
	else
		fail "$1: commandstats (<, x$2) and wirelens (>) differ"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
}
tx() { cat /sys/class/net/"$1"/statistics/tx_packets; }

out=$("$WL_BIN" attach "$BOND" 2>&1) || fail "attach $BOND: $out"
check_eq "attach the bond: tc-ingress and tc-egress, and why" \
	"attached $BOND (tc-ingress, tc-egress): a bond, tc-ingress sees its packets as the bond's (XDP on a bond runs in its slaves, under their ifindex)" "$out"
redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset
t1=$(tx "$S1") t2=$(tx "$S2")
redis-benchmark -h "$SRV_IP" -n 4000 -c 16 -P 4 -t set,get,incr,lpush -q >/dev/null
redis-cli -h "$SRV_IP" get >/dev/null 2>&1 # wrong arity: rejected call
# both slaves carried requests (16 connections hashed over two slaves)
check_eq "both slaves carried traffic" "yes yes" \
	"$([ $(($(tx "$S1") - t1)) -gt 10 ] && echo yes || echo no) $([ $(($(tx "$S2") - t2)) -gt 10 ] && echo yes || echo no)"
compare "on the bond" 1
check_eq "every flow on the bond" "$BOND" \
	"$("$WL_BIN" flows --json | jq -r --arg s "$SRV_IP" '[.[] | select(.src == $s or .dst == $s) | .iface] | unique | join(",")')"
l7=$("$WL_BIN" status --json | jq -r '.counters | "\(.l7_unmatched) \(.l7_resync_skip)"')
check_eq "nothing unmatched or skipped" "0 0" "$l7"

err=$("$WL_BIN" attach "$S1" 2>&1 >/dev/null)
check_eq "attach a slave too: warned" 1 \
	"$(echo "$err" | grep -c "^wirelens: warning: $S1 is a port of bond $BOND and both are attached")"
check_eq "status warns" 1 "$("$WL_BIN" status | grep -c "^  warning: $S1 is a port of bond $BOND")"
"$WL_BIN" detach --all >/dev/null
finish
