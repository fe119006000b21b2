#!/usr/bin/env bash
# Namespaces (issue 14 item 5): two worlds, each a server namespace and a client namespace joined
# by a veth pair made in fresh namespaces, so the server ends have the same ifindex in both; the
# same addresses, the same 5-tuple (client port fixed), a real redis-server in each; wirelens
# attached in both server namespaces (--netns). Flows, connections and commands keep the two
# apart: per namespace, `commands --json` equals that server's INFO commandstats and `flows`
# names the namespace; a third namespace's attach takes the next id.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
on_exit "$WL_BIN detach --all"
CPORT=40123

# world W: server namespace ${NS}sW (interface wls), client namespace ${NS}cW (wlc)
make_world() {
	local s=${NS}s$1 c=${NS}c$1
	ip netns add "$s" && ip netns add "$c" || return 1
	on_exit "ip netns del $c"
	on_exit "ip netns del $s"
	ip -n "$s" link add wls type veth peer name wlc netns "$c" || return 1
	ip -n "$s" addr add "$SRV_IP/24" dev wls
	ip -n "$c" addr add "$HOST_IP/24" dev wlc
	for n in "$s" "$c"; do ip -n "$n" link set lo up; done
	ip -n "$s" link set wls up
	ip -n "$c" link set wlc up
}
make_world a && make_world b || { fail "namespaces"; finish; exit; }
ifa=$(ip -n "${NS}sa" -o link show wls | cut -d: -f1)
ifb=$(ip -n "${NS}sb" -o link show wls | cut -d: -f1)
check_eq "the two server interfaces share an ifindex" "$ifa" "$ifb"

for w in a b; do
	out=$("$WL_BIN" --netns "${NS}s$w" attach wls) || fail "attach in ${NS}s$w"
	check_eq "attach in ${NS}s$w" "attached wls in netns ${NS}s$w (xdp native, tc-egress)" "$out"
done
check_eq "ids: 1 and 2 after the host's 0" "${NS}sa ${NS}sb" \
	"$(bpftool map dump pinned "$PIN_DIR/wl_netns" -j | jq -r '[.[].formatted.value | select(.used == 1 and .name != "") | .name] | join(" ")')"

# start_redis and redis_commandstats in one world: in_world W CMD...
in_world() {
	local w=$1 base=$NS
	shift
	NS=${base}s$w CLIENT_NS=${base}c$w "$@"
}
for w in a b; do
	in_world $w start_redis || { fail "redis in $w"; finish; exit; }
done

# one connection per world from the same client port: SETs, GETs, INCRs in different numbers
client='import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind((sys.argv[1],int(sys.argv[2]))); s.connect((sys.argv[3],6379))
f=s.makefile("rb")
def cmd(*a):
    s.sendall(("*%d\r\n" % len(a) + "".join("$%d\r\n%s\r\n" % (len(x), x) for x in a)).encode())
    l=f.readline()
    if l[:1]==b"$" and int(l[1:])>=0: f.read(int(l[1:])+2)
for kind,n in zip(("SET","GET","INCR"), map(int,sys.argv[4:7])):
    for i in range(n):
        cmd(*(("SET","k%d" % i,"v") if kind=="SET" else (kind,"k%d" % i)))
s.close()'
ip netns exec "${NS}ca" python3 -c "$client" "$HOST_IP" $CPORT "$SRV_IP" 7 3 0 || fail "client a"
ip netns exec "${NS}cb" python3 -c "$client" "$HOST_IP" $CPORT "$SRV_IP" 2 11 4 || fail "client b"

# wirelens' counts per namespace against each server's own
cmds=$("$WL_BIN" commands --json --protocol redis)
for w in a b; do
	want=$(in_world $w redis_commandstats)
	got=$(jq -r --arg ns "${NS}s$w" --arg srv "$SRV_IP:6379" '.[] | select(.netns == $ns and .server == $srv) |
		"\(.command) \(.requests) \(.errors)"' <<<"$cmds" | grep -v '^INFO ' | sort)
	check_eq "commands in ${NS}s$w = its INFO commandstats" "$want" "$got"
done
check_eq "nothing counted under the host's namespace" "" \
	"$(jq -r '.[] | select(.netns == null) | .command' <<<"$cmds")"
[ "$(jq -r --arg ns "${NS}sa" '[.[] | select(.netns == $ns and .command == "SET")][0].requests' <<<"$cmds")" = 7 ] &&
	[ "$(jq -r --arg ns "${NS}sb" '[.[] | select(.netns == $ns and .command == "SET")][0].requests' <<<"$cmds")" = 2 ] &&
	pass "SET: 7 in a, 2 in b" || fail "SET counts: $cmds"

# the same 5-tuple: one flow per namespace and direction, named by namespace
flows=$("$WL_BIN" flows --json)
check_eq "client -> server flows of port $CPORT, by namespace" "wls ${NS}sa
wls ${NS}sb" "$(jq -r --argjson p $CPORT '.[] | select(.proto == "tcp" and .sport == $p and .dport == 6379) | "\(.iface) \(.netns)"' <<<"$flows" | sort)"
pa=$(jq -r --argjson p $CPORT --arg ns "${NS}sa" '.[] | select(.netns == $ns and .sport == $p and .dport == 6379) | .packets' <<<"$flows")
pb=$(jq -r --argjson p $CPORT --arg ns "${NS}sb" '.[] | select(.netns == $ns and .sport == $p and .dport == 6379) | .packets' <<<"$flows")
# at least a SYN, each request and a FIN: 12 requests in a, 19 in b
[ "${pa:-0}" -ge 12 ] && [ "${pb:-0}" -ge 19 ] && [ "$pb" -gt "$pa" ] &&
	pass "packets per namespace apart: a $pa, b $pb" || fail "packets a '$pa' b '$pb'"
"$WL_BIN" flows | grep -q "^${NS}sa:wls " && pass "flows table: netns:iface" || fail "flows table: $("$WL_BIN" flows | head -5)"
"$WL_BIN" commands | grep -q " ${NS}sb:$SRV_IP:6379 " && pass "commands table: netns:server" || fail "commands table: $("$WL_BIN" commands | head -5)"

# Prometheus: the namespace is a label of commands and interfaces
prom=$("$WL_BIN" export --prometheus 9 --once)
check_eq "export: SET requests by netns label" "${NS}sa 7
${NS}sb 2" "$(grep '^wirelens_l7_requests_total{' <<<"$prom" | grep 'command="SET"' |
	sed -n 's/.*netns="\([^"]*\)".* \([0-9]*\)$/\1 \2/p' | sort)"
check_eq "export: interface wls once per namespace" "${NS}sa
${NS}sb" "$(grep '^wirelens_interface_flows{interface="wls"' <<<"$prom" | sed -n 's/.*netns="\([^"]*\)".*/\1/p' | sort)"

# top and log: the namespace of a command's server and of a flow's interface (GETs running in b)
"$WL_BIN" log --json --count 5 >"/tmp/$NS-log" 2>&1 & reader=$!
on_exit "kill $reader; rm -f /tmp/$NS-log"
for _ in $(seq 300); do # until the reader holds the event log's lease
	[ "$("$WL_BIN" status --json | jq -r '.log.reader_pid')" = "$reader" ] && break
	kill -0 $reader 2>/dev/null || break
	sleep 0.1
done
ip netns exec "${NS}cb" redis-cli -h "$SRV_IP" -r -1 -i 0.01 GET k0 >/dev/null 2>&1 & getter=$!
on_exit "kill $getter"
top=$("$WL_BIN" top --once --json --interval 0.5)
wait $reader
kill $getter
check_eq "log --json: 5 GET pairs on wls in ${NS}sb" "5 GET wls ${NS}sb" \
	"$(jq -r 'select(.type == "pair") | "\(.command) \(.iface) \(.netns)"' "/tmp/$NS-log" | sort | uniq -c | xargs)"
check_eq "top --json: GET/s of ${NS}sb's server" true \
	"$(jq --arg ns "${NS}sb" '[.commands[] | select(.command == "GET" and .netns == $ns)][0].requests_per_s > 0' <<<"$top")"
check_eq "top --json: its flows named by namespace" "wls ${NS}sb" \
	"$(jq -r '.flows[] | select(.dport == 6379 and .packets_per_s > 0) | "\(.iface) \(.netns)"' <<<"$top" | sort -u)"

# each namespace's links run its own instance of the entry programs
check_eq "XDP programs of the two namespaces" 2 \
	"$("$WL_BIN" status --json | jq '[.attachments[] | select(.hook == "xdp") | .prog_id] | unique | length')"
ida=$("$WL_BIN" status --json | jq --arg ns "${NS}sa" '.attachments[] | select(.hook == "xdp" and .netns == $ns) | .prog_id')
"$WL_BIN" --netns "${NS}sa" detach wls >/dev/null && "$WL_BIN" --netns "${NS}sa" attach wls >/dev/null ||
	fail "detach and attach again in ${NS}sa"
check_eq "attach again: the pinned instance of its id, not a new load" "$ida" \
	"$("$WL_BIN" status --json | jq --arg ns "${NS}sa" '.attachments[] | select(.hook == "xdp" and .netns == $ns) | .prog_id')"

# the 256th namespace: ids 3..255 taken (by hand), a third namespace is refused whole
make_world c || fail "world c"
for i in $(seq 3 255); do
	printf 'map update pinned %s key %d 0 0 0 value' "$PIN_DIR/wl_netns" "$i"
	printf ' %d' 0 0 0 0 0 0 0 0 $((i & 255)) 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0
	printf ' 0%.0s' $(seq 48)
	echo
done >"/tmp/$NS-ids"
on_exit "rm -f /tmp/$NS-ids"
bpftool batch file "/tmp/$NS-ids" >/dev/null || fail "filling the ids"
check_bad "the 256th namespace" "255 network namespaces have an id already" \
	"$WL_BIN" --netns "${NS}sc" attach wls
ip -n "${NS}sc" -d link show wls | grep -q prog/xdp && fail "XDP left in ${NS}sc" ||
	pass "nothing attached in ${NS}sc"

# the entry programs: one instance per namespace (prog pins _ns1, _ns2), one set of protocol programs
check_eq "entry program pins" "4" "$(ls "$PIN_DIR" | grep -c '_prog_.*_ns[12]$')"
finish
