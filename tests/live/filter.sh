#!/usr/bin/env bash
# The L3/L4 filter on a veth pair: a deny on a prefix blocks ping and TCP from an address inside
# it and not from one outside (a second address of the same namespace), counted exactly (the
# rule's packets == the echo requests ping sent); rule del restores; policy deny with allow
# rules; every bad rule refused with the set unchanged; nothing pinned said clearly; rules
# survive detach --keep-maps + attach.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
IN_IP=$SRV_IP               # 198.18.ID.2: inside 198.18.ID.2/31
OUT_IP=198.18.$ID.5         # outside it
PREFIX=198.18.$ID.2/31      # .2 and .3; not the host's .1
ip -n "$NS" addr add "$OUT_IP/24" dev "$PEER_IF"
ip netns exec "$NS" ping -c1 -W2 -I "$OUT_IP" "$HOST_IP" >/dev/null # neighbours known

"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }

# a TCP server on the host side; connect CLIENT_IP -> 0 when the handshake completes
port=9400
python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(16)
while True: c,_=s.accept(); c.sendall(b"hi"); c.close()' "$HOST_IP" $port &
on_exit "kill $!"
connect() {
	ip netns exec "$NS" python3 -c 'import socket,sys
s=socket.socket(); s.settimeout(float(sys.argv[4])); s.bind((sys.argv[1],0))
try:
    s.connect((sys.argv[2],int(sys.argv[3]))); sys.exit(0 if s.recv(2)==b"hi" else 1)
except OSError: sys.exit(1)' "$1" "$HOST_IP" $port "${2:-5}"
}
# wait for the server's listening socket (the event), not a guessed time
for _ in $(seq 100); do connect "$OUT_IP" && break; sleep 0.1; done
pings() { ip netns exec "$NS" ping -c "$2" -i 0.2 -W 1 -I "$1" "$HOST_IP" 2>/dev/null |
	sed -n 's/.* \([0-9]*\) received.*/\1/p'; }
rule_json() { "$WL_BIN" rule list --json | jq -r --argjson id "$1" ".rules[] | select(.id == \$id) | .$2"; }

# 1. deny the prefix: ping and TCP from inside fail, from outside pass
id=$("$WL_BIN" rule add --src "$PREFIX" --action deny) || fail "rule add"
check_eq "ping from inside the prefix (replies)" 0 "$(pings "$IN_IP" 5)"
check_eq "rule packets == echo requests sent" 5 "$(rule_json "$id" packets)"
# 98 bytes per echo request: Ethernet 14 + IPv4 20 + ICMP 8 + ping's 56 data bytes
check_eq "rule bytes" 490 "$(rule_json "$id" bytes)"
check_eq "ping from outside the prefix (replies)" 5 "$(pings "$OUT_IP" 5)"
check_eq "rule unchanged by outside traffic" 5 "$(rule_json "$id" packets)"
if connect "$IN_IP" 2; then fail "TCP from inside the prefix connected"; else pass "TCP from inside the prefix blocked"; fi
if connect "$OUT_IP"; then pass "TCP from outside the prefix connects"; else fail "TCP from outside the prefix blocked"; fi
denied=$("$WL_BIN" status --json | jq '.counters.denied')
[ "${denied:-0}" -ge 5 ] && pass "status counters.denied = $denied" || fail "status counters.denied = $denied"
"$WL_BIN" status | grep -q "^filter: 1 rules (1 L3/L4, 0 L7), policy allow" &&
	pass "status shows the rules and the policy" || fail "status: $("$WL_BIN" status | grep filter)"

# 2. rule del restores
"$WL_BIN" rule del "$id" || fail "rule del"
check_eq "ping from inside after rule del" 3 "$(pings "$IN_IP" 3)"
connect "$IN_IP" && pass "TCP from inside after rule del" || fail "TCP from inside after rule del"
check_eq "rules after del" 0 "$("$WL_BIN" rule list --json | jq '.rules | length')"

# 3. policy deny + allow rules for the outside address (both directions: the host's replies go
#    out through TC egress, where the policy applies too)
"$WL_BIN" rule policy deny || fail "rule policy deny"
a1=$("$WL_BIN" rule add --src "$OUT_IP" --action allow) || fail "rule add allow src"
a2=$("$WL_BIN" rule add --dst "$OUT_IP" --dir out --action allow) || fail "rule add allow dst"
c1=$("$WL_BIN" rule add --proto icmp --action count --priority 5) || fail "rule add count"
[ "$a2" -gt "$a1" ] && [ "$c1" -gt "$a2" ] && [ "$a1" -gt "$id" ] && pass "ids increase, never reused" ||
	fail "ids $id $a1 $a2 $c1"
check_eq "policy deny: ping from the allowed address" 4 "$(pings "$OUT_IP" 4)"
check_eq "policy deny: ping from elsewhere" 0 "$(pings "$IN_IP" 3)"
check_eq "allow rule (in) counted the echo requests" 4 "$(rule_json "$a1" packets)"
check_eq "allow rule (out) counted the replies" 4 "$(rule_json "$a2" packets)"
# the count rule (priority 5) sees every ICMP packet before the allows: 4 + 4 + 3
check_eq "count rule" 11 "$(rule_json "$c1" packets)"
"$WL_BIN" status --json | jq -e '.filter.rules == 3 and .filter.policy == "deny"' >/dev/null &&
	pass "status --json filter" || fail "status --json filter: $("$WL_BIN" status --json | jq -c .filter)"

# 4. bad rules: one line, non-zero exit, the set unchanged
before=$("$WL_BIN" rule list --json | jq -c '[.policy, [.rules[] | del(.packets, .bytes)]]')
check_bad "prefix /33" "prefix length above 32" "$WL_BIN" rule add --src 198.18.0.0/33 --action deny
check_bad "v6 prefix /129" "above 128" "$WL_BIN" rule add --dst 2001:db8::/129 --action deny
check_bad "reversed range" "reversed range" "$WL_BIN" rule add --dport 30-20 --action deny
check_bad "unknown protocol" "--proto sctpx" "$WL_BIN" rule add --proto sctpx --action deny
check_bad "unknown L7 protocol" "unknown protocol 'gopher'" "$WL_BIN" rule add --l7 gopher:GET --action deny
check_bad "unknown command" "unknown redis command 'FLUSHEVERYTHING'" "$WL_BIN" rule add --l7 redis:FLUSHEVERYTHING --action deny
check_bad "conflicting families" "different address families" "$WL_BIN" rule add --src 198.18.0.0/15 --dst 2001:db8::/32 --action deny
check_bad "ports without ports" "need --proto tcp or udp" "$WL_BIN" rule add --proto icmp --dport 22 --action deny
check_bad "no action" "--action is required" "$WL_BIN" rule add --src 198.18.0.0/15
check_bad "del unknown id" "no rule 99999" "$WL_BIN" rule del 99999
check_bad "bad policy" "allow or deny" "$WL_BIN" rule policy maybe
tmp=$(mktemp /tmp/wl_rules.XXXXXX)
on_exit "rm -f $tmp"
printf '# a comment\n--src 198.18.0.0/15 --action count\n\n--dport 5-1 --action deny\n' >"$tmp"
check_bad "rule load: bad line named" "$tmp:4: rule add: --dport 5-1: reversed range" "$WL_BIN" rule load "$tmp"
after=$("$WL_BIN" rule list --json | jq -c '[.policy, [.rules[] | del(.packets, .bytes)]]')
check_eq "the set after every bad rule" "$before" "$after"
WIRELENS_PIN_ROOT=/sys/fs/bpf/wlt-none-$$ check_bad "nothing pinned" "nothing attached" "$WL_BIN" rule list

# 5. rule load replaces the set atomically (ids go on increasing)
printf '# outside allowed both ways\n--src %s --action allow\n--dst %s --dir out --action allow # replies\n' \
	"$OUT_IP" "$OUT_IP" >"$tmp"
"$WL_BIN" rule load "$tmp" >/dev/null || fail "rule load"
check_eq "rules after load" 2 "$("$WL_BIN" rule list --json | jq '.rules | length')"
minid=$("$WL_BIN" rule list --json | jq '[.rules[].id] | min')
[ "$minid" -gt "$c1" ] && pass "loaded ids follow the last ($minid > $c1)" || fail "loaded ids $minid"

# 6. detach --keep-maps + attach: the rules stay and apply again
"$WL_BIN" detach --keep-maps "$HOST_IF" >/dev/null || fail "detach --keep-maps"
check_eq "rules while detached" 2 "$("$WL_BIN" rule list --json | jq '.rules | length')"
check_eq "nothing enforced while detached (ping from elsewhere)" 2 "$(pings "$IN_IP" 2)"
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach again"
check_eq "policy deny again after attach" 0 "$(pings "$IN_IP" 2)"
check_eq "allowed address after attach" 2 "$(pings "$OUT_IP" 2)"
"$WL_BIN" rule flush && "$WL_BIN" rule policy allow || fail "flush + policy allow"
check_eq "after flush and policy allow" 2 "$(pings "$IN_IP" 2)"
finish
