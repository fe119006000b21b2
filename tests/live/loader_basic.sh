#!/usr/bin/env bash
# Loader end to end: attach, a known number of UDP datagrams each way, exact flows, bpftool dump
# with named fields, double attach, bad input, counters kept over detach --keep-maps, clean detach.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair

sink='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2])))
while True: s.recv(65535)'
send='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])): s.sendto(b"x"*int(sys.argv[4]),(sys.argv[1],int(sys.argv[2])))'
ip netns exec "$NS" python3 -c "$sink" "$SRV_IP" 9000 & on_exit "kill $!"
python3 -c "$sink" "$HOST_IP" 9001 & on_exit "kill $!"
sleep 0.5
ping -c1 -W1 "$SRV_IP" >/dev/null # resolve neighbours before counting

# bad input first: nothing may change
"$WL_BIN" attach nosuchif0 2>err.$$; check_eq "unknown interface exit" 1 $?
grep -q "no interface 'nosuchif0'" err.$$ && pass "unknown interface message" || fail "message: $(cat err.$$)"
"$WL_BIN" attach "$HOST_IF" --hooks bogus 2>/dev/null; check_eq "bad hook exit" 2 $?
"$WL_BIN" detach "$HOST_IF" 2>err.$$; check_eq "detach of nothing exit" 1 $?
rm -f err.$$
[ -e "$PIN_DIR/links/$HOST_IF@xdp" ] && fail "bad input left a pin" || pass "bad input changed nothing"

"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }
"$WL_BIN" attach "$HOST_IF" | grep -q "already attached" && pass "double attach is idempotent" || fail "double attach"
ip netns exec "$NS" python3 -c "$send" "$HOST_IP" 9001 30 200   # host XDP ingress
python3 -c "$send" "$SRV_IP" 9000 50 100                          # host TC egress
wait_until flow_reaches udp "$HOST_IP" "$SRV_IP" 9000 50
wait_until flow_reaches udp "$SRV_IP" "$HOST_IP" 9001 30
flows=$("$WL_BIN" flows --json)
out=$(echo "$flows" | jq -r --arg s "$HOST_IP" --arg d "$SRV_IP" '.[] | select(.proto=="udp" and .src==$s and .dst==$d and .dport==9000) | "\(.packets) \(.bytes)"')
check_eq "egress UDP flow packets/bytes" "50 $((50 * (14 + 20 + 8 + 100)))" "$out"
out=$(echo "$flows" | jq -r --arg s "$SRV_IP" --arg d "$HOST_IP" '.[] | select(.proto=="udp" and .src==$s and .dst==$d and .dport==9001) | "\(.packets) \(.bytes)"')
check_eq "ingress UDP flow packets/bytes" "30 $((30 * (14 + 20 + 8 + 200)))" "$out"

n=$(bpftool -j map dump pinned $PIN_DIR/wl_flows | jq '[.[] | select(.formatted.key.l4_proto == 17)] | length')
[ "${n:-0}" -ge 2 ] && pass "bpftool map dump prints named fields ($n udp flows)" || fail "bpftool dump: $n"

"$WL_BIN" detach "$HOST_IF" --keep-maps >/dev/null
[ -e $PIN_DIR/wl_flows ] && pass "--keep-maps keeps the pins" || fail "--keep-maps"
"$WL_BIN" attach "$HOST_IF" >/dev/null
out=$("$WL_BIN" flows --json | jq -r --arg s "$HOST_IP" '.[] | select(.proto=="udp" and .src==$s and .dport==9000) | .packets')
check_eq "counters survive detach --keep-maps + attach" 50 "$out"

"$WL_BIN" detach "$HOST_IF" >/dev/null
ip -d link show "$HOST_IF" | grep -q xdp && fail "XDP still on $HOST_IF" || pass "no XDP program left"
bpftool -j link show | jq -e '.[] | select(.prog_id as $p | true) | select(.ifindex == '"$(cat /sys/class/net/$HOST_IF/ifindex)"')' >/dev/null 2>&1 &&
	fail "a link is left" || pass "no link left"
tc filter show dev "$HOST_IF" egress | grep -q . && fail "tc filter left" || pass "no tc filter left"
if [ -d "$WIRELENS_PIN_ROOT" ] && [ -z "$(ls $PIN_DIR/links 2>/dev/null)" ]; then
	fail "pins left: $(ls $PIN_DIR)"
else
	pass "no pins left (or others still attached)"
fi
finish
