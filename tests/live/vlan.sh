#!/usr/bin/env bash
# VLAN: a sub-interface (802.1Q) on each end of a veth pair, Redis in the namespace on the VLAN's
# addresses, redis-benchmark on the host. wirelens on the sub-interface (the tag is off the
# packet there: flows take the id from netlink, iface_vlan), on the parent (the tag is in the
# packet or in skb metadata: flows' vlan; the parent of VLAN sub-interfaces gets tc-ingress
# instead of xdp by default, since XDP does not see a tag a veth or driver keeps in the skb),
# and on both (status warns). Each time every command equals INFO commandstats.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
VID=$((ID + 100)) VIF=wlv$$
if ! err=$(ip link add link "$HOST_IF" name "$VIF" type vlan id "$VID" 2>&1); then
	# the host kernel of some sandboxes has no CONFIG_VLAN_8021Q: nothing to test there
	echo "skipped: this kernel cannot make a VLAN interface ($err)"
	exit 0
fi
on_exit "ip link del $VIF"
ip -n "$NS" link add link "$PEER_IF" name eth0.v type vlan id "$VID"
V_HOST=198.19.$ID.1 V_SRV=198.19.$ID.2
ip addr add "$V_HOST/24" dev "$VIF"
ip link set "$VIF" up
ip -n "$NS" addr add "$V_SRV/24" dev eth0.v
ip -n "$NS" link set eth0.v up
sock=/tmp/$NS-redis.sock
ip netns exec "$NS" redis-server --bind "$V_SRV" --port 6379 --unixsocket "$sock" --protected-mode no \
	--save '' --appendonly no --daemonize yes --pidfile /tmp/$NS-redis.pid --logfile /tmp/$NS-redis.log
on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done

compare() { # label factor
	local server wl
	server=$(redis-cli -s "$sock" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk -v f="$2" '{ printf "%s %d %d\n", toupper($1), f * ($2 + $3), f * ($3 + $4) }' |
		grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort)
	wl=$("$WL_BIN" commands --json --protocol redis --server "$V_SRV:6379" |
		jq -r '.[] | "\(.command) \(.requests) \(.errors)"' | sort)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$1: every command equals INFO commandstats x$2 ($(echo "$server" | wc -l) commands)"
	else
		fail "$1: commandstats (<, x$2) and wirelens (>) differ"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
}
run() {
	redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null
	"$WL_BIN" reset
	redis-benchmark -h "$V_SRV" -n 3000 -c 4 -P 4 -t set,get,incr -q >/dev/null
	redis-cli -h "$V_SRV" get >/dev/null 2>&1 # wrong arity: rejected call
}
# per interface: "iface vlan iface_vlan" of the flows to or from the server, both directions
vlans() {
	"$WL_BIN" flows --json | jq -r --arg s "$V_SRV" '[.[] | select(.src == $s or .dst == $s) |
		"\(.iface) \(.vlan) \(.iface_vlan // "-") \(if .src == $s then "out" else "in" end)"] | unique | .[]' | sort
}

# ---- the sub-interface: no native XDP on a VLAN device; skb mode, the tag is off the packet
out=$("$WL_BIN" attach "$VIF" 2>&1) || fail "attach $VIF: $out"
check_eq "attach the sub-interface" "attached $VIF (xdp skb (native refused: Operation not supported), tc-egress)" "$out"
run
compare "on the sub-interface" 1
check_eq "flows on the sub-interface: iface_vlan from netlink, both directions" \
	"$(printf '%s 0 %s in\n%s 0 %s out' "$VIF" "$VID" "$VIF" "$VID")" "$(vlans)"
check_eq "flows table: the VLAN column shows the sub-interface's id" 1 \
	"$("$WL_BIN" flows | grep -c "^\* the VLAN id of the sub-interface")"
"$WL_BIN" detach "$VIF" >/dev/null

# ---- the parent: tc-ingress (not xdp) by default, the tag from the skb
out=$("$WL_BIN" attach "$HOST_IF" 2>&1) || fail "attach $HOST_IF: $out"
check_eq "attach the parent: tc-ingress and tc-egress, and why" \
	"attached $HOST_IF (tc-ingress, tc-egress): VLAN sub-interfaces on it, tc-ingress sees their tags (XDP does not see a tag kept in the skb)" "$out"
run
compare "on the parent" 1
check_eq "flows on the parent: the tag, both directions" \
	"$(printf '%s %s - in\n%s %s - out' "$HOST_IF" "$VID" "$HOST_IF" "$VID")" "$(vlans)"

# ---- both: warned, and the VLAN's packets counted on each
err=$("$WL_BIN" attach "$VIF" 2>&1 >/dev/null)
check_eq "attach both: warned" 1 \
	"$(echo "$err" | grep -c "^wirelens: warning: VLAN $VID sub-interface $VIF and its parent $HOST_IF are both attached")"
check_eq "status warns" 1 "$("$WL_BIN" status | grep -c "^  warning: VLAN $VID sub-interface $VIF and its parent $HOST_IF")"
run
compare "on both: every command twice, as warned" 2
"$WL_BIN" detach --all >/dev/null
finish
