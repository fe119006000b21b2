#!/usr/bin/env bash
# Protocols load one by one: --protocols / --no-l7 choose them, a protocol the verifier refuses is
# left out with one warning line while L2-L4 and the other protocols keep counting exactly, its
# packets count as l7_unloaded, and status (table and JSON) says which is which.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
ip netns exec "$NS" redis-server --bind "$SRV_IP" --port 6379 --protected-mode no --save '' \
	--appendonly no --daemonize yes --pidfile /tmp/$NS-redis.pid --logfile /tmp/$NS-redis.log
on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
ip netns exec "$NS" python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 11211)); s.listen(8)
while True:
    c, _ = s.accept()
    while c.recv(4096): c.sendall(b"END\r\n")
    c.close()' "$SRV_IP" & on_exit "kill $!"
for _ in $(seq 50); do redis-cli -h "$SRV_IP" ping >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 50); do nc -z "$SRV_IP" 11211 2>/dev/null && break; sleep 0.1; done
ping -c1 -W1 "$SRV_IP" >/dev/null

memcached_gets() { # N: N get requests on one connection, each answered
	python3 -c 'import socket,sys
s=socket.create_connection((sys.argv[1], 11211))
for i in range(int(sys.argv[2])):
    s.sendall(b"get k\r\n"); s.recv(64)
s.close()' "$SRV_IP" "$1"
}
counter() { "$WL_BIN" status --json | jq -r ".counters.$1"; }
proto_field() { "$WL_BIN" status --json | jq -r --arg p "$1" ".protocols[] | select(.name == \$p) | .$2"; }
redis_calls() { "$WL_BIN" commands --json --protocol redis | jq -r --arg c "$1" '[.[] | select(.command == $c) | .requests] | add // 0'; }

# 1. --protocols redis: memcached's packets are accounted (flows) and counted as l7_unloaded
"$WL_BIN" attach "$HOST_IF" --protocols redis >out.$$ 2>err.$$ || { fail "attach --protocols redis: $(cat err.$$)"; finish; exit 1; }
check_eq "attach --protocols prints no warning" "" "$(cat err.$$)"
check_eq "redis loaded" true "$(proto_field redis loaded)"
check_eq "memcached not loaded" false "$(proto_field memcached loaded)"
check_eq "memcached not wanted" false "$(proto_field memcached wanted)"
"$WL_BIN" status | grep -qE '^  memcached +left out' && pass "status table: memcached left out" || fail "status table: $("$WL_BIN" status | grep memcached)"
"$WL_BIN" status --json | jq -e '.protocols[] | select(.name == "redis") | .verified_insns.xdp > 0' >/dev/null &&
	pass "status --json: verified instructions of redis" || fail "status --json verified_insns"
for i in $(seq 7); do redis-cli -h "$SRV_IP" set k v >/dev/null; done
memcached_gets 5
sleep 0.3
check_eq "redis SET requests" 7 "$(redis_calls SET)"
check_eq "no memcached stats" 0 "$("$WL_BIN" commands --json --protocol memcached | jq length)"
unl=$(counter l7_unloaded)
# the memcached conversation: SYN, SYN-ACK, ACK, 5 requests, 5 replies, FIN(s) and ACKs: at least
# the 10 packets with payload; all of them are in the flows
mc_pkts=$(( $(flow_counts tcp "$HOST_IP" "$SRV_IP" 11211 | cut -d' ' -f1) + $(flow_counts tcp "$SRV_IP" "$HOST_IP" 11211 | cut -d' ' -f1) ))
[ "${unl:-0}" -ge 10 ] && [ "$unl" -le "$mc_pkts" ] && pass "l7_unloaded $unl (memcached packets in flows: $mc_pkts)" ||
	fail "l7_unloaded $unl, memcached packets $mc_pkts"
"$WL_BIN" detach "$HOST_IF" >/dev/null

# 2. --no-l7: L2-L4 only
"$WL_BIN" attach "$HOST_IF" --no-l7 >/dev/null 2>err.$$ || fail "attach --no-l7: $(cat err.$$)"
check_eq "--no-l7: loaded protocols" 0 "$("$WL_BIN" status --json | jq '[.protocols[] | select(.loaded)] | length')"
redis-cli -h "$SRV_IP" ping >/dev/null
sleep 0.2
check_eq "--no-l7: no command stats" 0 "$("$WL_BIN" commands --json | jq length)"
[ "$(counter l7_unloaded)" -gt 0 ] && pass "--no-l7: redis packets counted as l7_unloaded" || fail "--no-l7 l7_unloaded"
"$WL_BIN" detach "$HOST_IF" >/dev/null

# 3. a protocol refused by the verifier (stand-in: the kernels of the matrix accept them all)
WIRELENS_TEST_VERIFIER_REFUSE=memcached "$WL_BIN" attach "$HOST_IF" >out.$$ 2>err.$$
check_eq "attach with a refused protocol succeeds" 0 $?
check_eq "one warning line" 1 "$(wc -l <err.$$)"
grep -qE '^wirelens: warning: protocol memcached left out: the verifier refused wl_l7_memcached: ' err.$$ &&
	pass "warning names the protocol and the verifier: $(cat err.$$)" || fail "warning: $(cat err.$$)"
check_eq "refused memcached: loaded" false "$(proto_field memcached loaded)"
check_eq "refused memcached: wanted" true "$(proto_field memcached wanted)"
proto_field memcached reason | grep -q WIRELENS_TEST_VERIFIER_REFUSE && pass "reason in status --json" || fail "reason: $(proto_field memcached reason)"
"$WL_BIN" status | grep -qE '^  memcached +refused' && pass "status table: memcached refused" || fail "status table"
check_eq "the other protocols loaded" 7 "$("$WL_BIN" status --json | jq '[.protocols[] | select(.loaded)] | length')"
"$WL_BIN" reset >/dev/null
before=$(counter l7_unloaded)
for i in $(seq 4); do redis-cli -h "$SRV_IP" get k >/dev/null; done
memcached_gets 3
sleep 0.3
check_eq "redis still exact: GET requests" 4 "$(redis_calls GET)"
[ "$(counter l7_unloaded)" -ge $((before + 6)) ] && pass "refused memcached counted as l7_unloaded" || fail "l7_unloaded after refusal"

# 4. the set is per pin root: a later attach without --protocols reuses it, --protocols changes it
extra_pair "wlx$$" "wly$$"
"$WL_BIN" attach "wlx$$" >/dev/null 2>err.$$
check_eq "second interface reuses the set (no new warning)" "" "$(cat err.$$)"
check_eq "memcached still refused" false "$(proto_field memcached loaded)"
"$WL_BIN" attach "wlx$$" --protocols memcached,redis >/dev/null 2>&1
check_eq "--protocols on a later attach: memcached loaded" true "$(proto_field memcached loaded)"
check_eq "--protocols on a later attach: http left out" false "$(proto_field http wanted)"
"$WL_BIN" detach "wlx$$" >/dev/null
check_bad "unknown protocol" "unknown protocol 'nosuch'" "$WL_BIN" attach "$HOST_IF" --protocols redis,nosuch
check_bad "--protocols with --no-l7" "exclude each other" "$WL_BIN" attach "$HOST_IF" --no-l7 --protocols redis
check_bad "probe: missing kernel feature" "lacks the bpf_loop helper \(Linux 5.17\+\)" \
	env WIRELENS_TEST_PROBE_MISSING="the bpf_loop helper" "$WL_BIN" attach "$HOST_IF"
rm -f out.$$ err.$$
finish
