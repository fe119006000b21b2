#!/usr/bin/env bash
# --netns: attach to the veth end inside a namespace from the host; pins stay in the host's
# bpffs with the namespace in their name; exact UDP counts there; the same name on the host is
# another attachment; namespace given by name, /run/netns path or /proc/PID/ns/net; detach
# cleans up.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
xdp_in_ns() { ip -n "$NS" -d link show "$PEER_IF" | grep -q 'prog/xdp'; }

out=$("$WL_BIN" --netns "$NS" attach "$PEER_IF") || fail "attach --netns"
check_eq "attach line" "attached $PEER_IF in netns $NS (xdp native, tc-egress)" "$out"
xdp_in_ns && pass "XDP program on $PEER_IF inside $NS" || fail "no XDP inside $NS"
check_eq "pins in the caller's bpffs, named by namespace" "$PEER_IF@tc-egress@$NS $PEER_IF@xdp@$NS" "$(ls "$PIN_DIR/links" | sort | xargs)"
check_eq "status: namespace and mode" "$PEER_IF $NS xdp native" \
	"$("$WL_BIN" status | awk -v i="$PEER_IF" '$1 == i && $3 == "xdp" {print $1, $2, $3, $4}')"
check_eq "status --json netns" "$NS $NS" "$("$WL_BIN" status --json | jq -r '[.attachments[].netns] | join(" ")')"
out=$("$WL_BIN" attach "$PEER_IF" --netns "/run/netns/$NS")
check_eq "--netns /run/netns/NAME after the verb: same attachment" "$PEER_IF: already attached (xdp native, tc-egress)" "$out"
ip netns exec "$NS" sleep 30 & holder=$!
on_exit "kill $holder"
sleep 0.2
out=$("$WL_BIN" --netns "/proc/$holder/ns/net" attach "$PEER_IF")
check_eq "--netns /proc/PID/ns/net: same attachment" "$PEER_IF: already attached (xdp native, tc-egress)" "$out"

# exact counts inside the namespace: host -> ns arrives at XDP there, ns -> host leaves by TC
sink='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2])))
while True: s.recv(65535)'
send='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])): s.sendto(b"x"*int(sys.argv[4]),(sys.argv[1],int(sys.argv[2])))'
ip netns exec "$NS" python3 -c "$sink" "$SRV_IP" 9300 & on_exit "kill $!"
python3 -c "$sink" "$HOST_IP" 9301 & on_exit "kill $!"
sleep 0.3
ping -c1 -W1 "$SRV_IP" >/dev/null
python3 -c "$send" "$SRV_IP" 9300 33 120
ip netns exec "$NS" python3 -c "$send" "$HOST_IP" 9301 21 80
wait_until flow_reaches udp "$HOST_IP" "$SRV_IP" 9300 33
wait_until flow_reaches udp "$SRV_IP" "$HOST_IP" 9301 21
check_eq "UDP into the namespace (XDP there)" "33 $((33 * (14 + 20 + 8 + 120)))" "$(flow_counts udp "$HOST_IP" "$SRV_IP" 9300)"
check_eq "UDP out of the namespace (TC egress there)" "21 $((21 * (14 + 20 + 8 + 80)))" "$(flow_counts udp "$SRV_IP" "$HOST_IP" 9301)"
check_eq "flows name the interface and namespace" "$PEER_IF $NS" \
	"$("$WL_BIN" flows --json | jq -r '.[] | select(.proto=="udp" and .dport==9300) | "\(.iface) \(.netns)"')"

# the same interface name on the host is a different attachment
ip link add "$PEER_IF" type veth peer name "wlq$$"; on_exit "ip link del $PEER_IF"
out=$("$WL_BIN" attach "$PEER_IF")
check_eq "same name on the host" "attached $PEER_IF (xdp native, tc-egress)" "$out"
check_eq "four links" 4 "$(ls "$PIN_DIR/links" | wc -l)"
"$WL_BIN" detach "$PEER_IF" >/dev/null
xdp_in_ns && pass "detach without --netns leaves the namespace's attachment" || fail "namespace's attachment gone"

out=$("$WL_BIN" --netns "$NS" detach "$PEER_IF")
check_eq "detach --netns" "detached $PEER_IF (xdp, tc-egress)" "$out"
xdp_in_ns && fail "XDP left inside $NS" || pass "no XDP left inside $NS"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left: $(find "$WIRELENS_PIN_ROOT")" || pass "no pins left"

# watch inside the namespace: rtnetlink events of that namespace
tmp=$(mktemp -d /tmp/wl_netns.XXXXXX); on_exit "rm -rf $tmp"
"$WL_BIN" --netns "$NS" watch "wlv$$*" --detach-on-exit >"$tmp/out" 2>&1 & watcher=$!
on_exit "kill $watcher"
wait_for "$tmp/out" "^watching" 6000 $watcher || fail "watch --netns did not start: $(cat "$tmp/out")"
ip -n "$NS" link add "wlv$$" type veth peer name "wlvp$$"
wait_for "$tmp/out" "attached wlv$$ " 6000 $watcher && pass "watch --netns: $(grep "attached wlv$$ " "$tmp/out")" || fail "watch --netns: $(cat "$tmp/out")"
check_eq "its pins" "wlv$$@tc-egress@$NS wlv$$@xdp@$NS" "$(ls "$PIN_DIR/links" | sort | xargs)"
kill -TERM $watcher; wait $watcher
ip -n "$NS" -d link show "wlv$$" | grep -q 'prog/xdp' && fail "XDP left after watch --netns --detach-on-exit" || pass "watch --netns --detach-on-exit cleans up"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left: $(find "$WIRELENS_PIN_ROOT")" || pass "no pins left"

# a namespace deleted under an attachment: the pins are stale, status says so, detach --all clears
ip netns add "${NS}x"; on_exit "ip netns del ${NS}x"
ip link add "wlr$$" type veth peer name "wls$$"
ip link set "wls$$" netns "${NS}x"
"$WL_BIN" --netns "${NS}x" attach "wls$$" >/dev/null || fail "attach in ${NS}x"
ip link del "wlr$$"
sleep 0.2
"$WL_BIN" status | grep "wls$$" | grep -q "interface gone" && pass "status: interface gone" || fail "status after deletion: $("$WL_BIN" status | grep "wls$$")"
"$WL_BIN" --netns "${NS}x" detach --all | grep -q "detached 2 links" && pass "detach --all in the namespace" || fail "detach --all in ${NS}x"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left" || pass "no pins left"
finish
