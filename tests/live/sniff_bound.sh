#!/usr/bin/env bash
# Content sniffing cannot be made to learn an unbounded number of ports (issue #14, item 3):
# attach --learned-ports-max 2, three redis-servers on ports no protocol claims: the first two
# a client talks to are learned and counted, the third is refused (l7_sniff_refused) and not
# counted, until `ports unset` frees a place; the bound is kept by an attach without the option.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
for p in 7101 7102 7103; do
	ip netns exec "$NS" redis-server --bind "$SRV_IP" --port $p --protected-mode no --save '' \
		--appendonly no --daemonize yes --pidfile /tmp/$NS-redis$p.pid --logfile /dev/null
	on_exit "kill \$(cat /tmp/$NS-redis$p.pid); rm -f /tmp/$NS-redis$p.pid"
done
# listening (a TCP connect without payload: nothing to sniff)
for p in 7101 7102 7103; do
	for _ in $(seq 300); do timeout 1 bash -c "exec 3<>/dev/tcp/$SRV_IP/$p" 2>/dev/null && break; sleep 0.1; done
done
check_bad "--learned-ports-max out of range" "attach: --learned-ports-max 70000: a number from 0 to 65535$" "$WL_BIN" attach "$HOST_IF" --learned-ports-max 70000
"$WL_BIN" attach "$HOST_IF" --learned-ports-max 2 >/dev/null || { fail "attach"; finish; exit 1; }
set_on() { redis-cli -h "$SRV_IP" -p "$1" SET k v >/dev/null; }
set_count() {
	"$WL_BIN" commands --json --protocol redis --server "$SRV_IP:$1" | jq '[.[] | select(.command == "SET") | .requests] | add // 0'
}
learned() { "$WL_BIN" ports --json list | jq -r '[.[] | select(.learned) | .port] | sort | join(" ")'; }
sniff() { "$WL_BIN" status --json | jq -r ".sniffing.$1"; }
for p in 7101 7102 7103; do set_on $p; done
check_eq "learned ports: the first two" "7101 7102" "$(learned)"
check_eq "SET counted on 7101, 7102, not on 7103" "1 1 0" "$(set_count 7101) $(set_count 7102) $(set_count 7103)"
check_eq "status: learned / max" "2/2" "$(sniff learned_ports)/$(sniff learned_ports_max)"
r=$(sniff l7_sniff_refused)
[ "$r" -ge 1 ] && pass "status: l7_sniff_refused $r" || fail "l7_sniff_refused $r"
"$WL_BIN" status | grep -q "^sniffing: 2 of at most 2 ports learned" && pass "status table names the bound" || fail "status table: $("$WL_BIN" status | grep sniffing)"
# an attach without the option keeps the bound
"$WL_BIN" attach "$HOST_IF" >/dev/null
check_eq "bound kept by a plain attach" 2 "$(sniff learned_ports_max)"
# a learned port unset frees its place
"$WL_BIN" ports unset 7101 || fail "ports unset"
set_on 7103
check_eq "after ports unset 7101: 7103 learned" "7102 7103" "$(learned)"
check_eq "SET on 7103 counted" 1 "$(set_count 7103)"
check_eq "refused unchanged" "$r" "$(sniff l7_sniff_refused)"
finish
