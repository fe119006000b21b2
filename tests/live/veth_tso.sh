#!/usr/bin/env bash
# TC hooks on a veth (issue 19): with `--hooks tc-ingress,tc-egress` the veth's peer keeps TSO,
# which native XDP there (the default) turns off; checked both ways. The namespace's TCP then
# sends GSO packets of up to 64 KB through the veth, and TC ingress counts each as the segments
# it becomes. Exact against the sender's own counters: the packets wirelens counts from the
# namespace equal the namespace's OutSegs + RetransSegs delta (TCP adds a GSO packet's segments
# there), and the payload bytes are the bytes sent (and sent again). status notes that a veth
# without XDP may run one connection's packets out of order (README, Veths).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
tmp=$(mktemp -d /tmp/wl_tso.XXXXXX)
on_exit "rm -rf $tmp"

tso() { ip netns exec "$NS" ethtool -k "$PEER_IF" | grep '^tcp-segmentation-offload:'; }
"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }
check_eq "the default, native XDP: the peer loses TSO" "tcp-segmentation-offload: off" "$(tso)"
veth_note() { "$WL_BIN" status --json | jq '[.notes[] | select(test("tc-ingress on a veth"))] | length'; }
check_eq "status: no note about TC ingress order" 0 "$(veth_note)"
tso_note() { "$WL_BIN" status --json | jq --arg i "$HOST_IF" '[.notes[] | select(startswith($i + ": native XDP on a veth turns off its peer'"'"'s TSO"))] | length'; }
check_eq "status: a note that native XDP turned off the peer's TSO" 1 "$(tso_note)"
"$WL_BIN" detach "$HOST_IF" >/dev/null
out=$("$WL_BIN" attach "$HOST_IF" --hooks tc-ingress,tc-egress) || { fail "attach"; finish; exit 1; }
check_eq "TC on both sides" "attached $HOST_IF (tc-ingress, tc-egress)" "$out"
check_eq "the peer keeps TSO" "tcp-segmentation-offload: on" "$(tso)"
check_eq "status notes that TC ingress on a veth may parse out of order" 1 "$(veth_note)"
check_eq "status: no TSO note without XDP" 0 "$(tso_note)"
"$WL_BIN" status | grep -q "^  $HOST_IF: tc-ingress on a veth runs each packet on the CPU that sent it" &&
	pass "status text says so" || fail "status text: $("$WL_BIN" status | grep -i veth)"

# 1. 8 MiB from the namespace in 1 MiB writes: TSO makes packets of many segments
PORT=7411 SIZE=$((8 << 20))
read -r got segs re <<<"$(bulk_from_ns $PORT $SIZE "$tmp")"
check_eq "the client read everything" $SIZE "$got"
flow=$("$WL_BIN" flows --json | jq -r --arg s "$SRV_IP" --argjson p $PORT \
	'.[] | select(.proto == "tcp" and .src == $s and .sport == $p) | "\(.packets) \(.bytes)"')
read -r pkts bytes <<<"$flow"
check_eq "segments from the namespace: wirelens = the sender's OutSegs + RetransSegs ($re again)" "$segs" "$pkts"
gso=$("$WL_BIN" status --json | jq .counters.gso_packets)
[ "$gso" -gt 0 ] && [ "$pkts" -gt "$gso" ] && pass "TC ingress saw GSO packets ($gso for $pkts segments)" ||
	fail "no GSO packets seen ($gso for $pkts segments): TSO did not reach the veth"
# every segment carries 14 + 20 + its TCP header; the SYN-ACK's header is longer (its options), the
# others carry timestamps (32): the payload is what is left, the bytes sent and those sent again
# (a segment sent again carries at most one MSS, 1448 here)
hdr=$((pkts * (14 + 20 + 32)))
payload=$((bytes - hdr))
[ "$payload" -ge $SIZE ] && [ "$payload" -le $((SIZE + 8 + re * 1448)) ] &&
	pass "payload bytes from the namespace: $payload for $SIZE sent, $re segments again (+ the SYN-ACK's options)" ||
	fail "payload bytes $payload for $SIZE sent, $re segments again ($pkts segments, $bytes bytes)"

finish
