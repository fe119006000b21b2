#!/usr/bin/env bash
# Loopback: an application and its Redis / PostgreSQL on the same host, over 127.0.0.1 and ::1.
# On lo every packet leaves through its egress once (and comes back in through its ingress), so
# `attach lo` takes tc-egress alone by default: both directions of a connection on one hook and
# one interface (ifindex 1), each packet once. Servers and clients run in a fresh namespace
# (wirelens --netns on its lo); per command, wirelens equals the servers' own counters, read over
# unix sockets (not on the wire): Redis INFO commandstats, pg_stat_statements. Then one short
# check on the host's own lo: a Redis on a free port, counted exactly, detached in the trap.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
ip netns add "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
wl() { "$WL_BIN" --netns "$NS" "$@"; }

# ---- attach: the hooks lo gets, and the ones it refuses
out=$(wl attach lo) || { fail "attach lo: $out"; finish; exit 1; }
on_exit "$WL_BIN --netns $NS detach lo"
check_eq "attach lo: tc-egress alone" \
	"attached lo in netns $NS (tc-egress): loopback, both directions leave through its egress once" "$out"
check_bad "lo: a second hook would count every packet twice" \
	"lo is loopback: .*twice.*attached already: tc-egress" "$WL_BIN" --netns "$NS" attach lo --hooks xdp
check_bad "lo: xdp + tc-egress at once" "lo is loopback: .*twice" \
	"$WL_BIN" --netns "$NS" attach lo --hooks xdp,tc-egress
hooks=$("$WL_BIN" status --json | jq -r --arg ns "$NS" \
	'[.attachments[] | select(.iface == "lo" and .netns == $ns) | .hook] | join(",")')
check_eq "status: lo has tc-egress only" "tc-egress" "$hooks"
check_eq "status says why" 1 "$("$WL_BIN" status | grep -c "^  lo in netns $NS: loopback: tc-egress sees both directions of every local connection, each packet once")"

# ---- Redis on 127.0.0.1 and ::1
sock=/tmp/$NS-redis.sock
in_ns redis-server --bind "127.0.0.1 ::1" --port 6379 --unixsocket "$sock" --protected-mode no \
	--save '' --appendonly no --daemonize yes --pidfile /tmp/$NS-redis.pid --logfile /tmp/$NS-redis.log
on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
for _ in $(seq 50); do redis-cli -s "$sock" ping >/dev/null 2>&1 && break; sleep 0.1; done

redis_compare() { # label server
	local server wl
	server=$(redis-cli -s "$sock" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk '{ printf "%s %d %d %d\n", toupper($1), $2 + $3, $2 + $3, $3 + $4 }' |
		grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort)
	wl=$("$WL_BIN" commands --json --protocol redis --server "$2" |
		jq -r '.[] | "\(.command) \(.requests) \(.responses) \(.errors)"' | sort)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$1: requests, responses and errors per command equal INFO commandstats ($(echo "$server" | wc -l) commands)"
	else
		fail "$1: commandstats (<) and wirelens (>) differ"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
}
redis_reset() { redis-cli -s "$sock" CONFIG RESETSTAT >/dev/null; "$WL_BIN" reset; }
redis_load() { # host
	in_ns redis-benchmark -h "$1" -n 5000 -c 4 -P 1 -t set,get,incr,lpush,lpop -q >/dev/null
	in_ns redis-benchmark -h "$1" -n 10000 -c 8 -P 16 -d 2048 -t set,get,hset -q >/dev/null
	{
		in_ns redis-cli -h "$1" set k v
		in_ns redis-cli -h "$1" lpush k x # WRONGTYPE: failed call
		in_ns redis-cli -h "$1" get       # wrong arity: rejected call
	} >/dev/null 2>&1
}

redis_reset
redis_load 127.0.0.1
redis_compare "Redis over 127.0.0.1" 127.0.0.1:6379
redis_reset
redis_load ::1
redis_compare "Redis over ::1" "[::1]:6379"

# the same through a clsact qdisc + cls_bpf filter on lo (kernels before 6.6 have no tcx)
wl detach lo >/dev/null
out=$(wl attach lo --tc-mode cls) || fail "attach lo --tc-mode cls: $out"
check_eq "status: lo's tc-egress is a cls_bpf filter" "cls_bpf" \
	"$("$WL_BIN" status --json | jq -r --arg ns "$NS" '.attachments[] | select(.iface == "lo" and .netns == $ns) | .mode')"
redis_reset
in_ns redis-benchmark -h 127.0.0.1 -n 2000 -c 2 -P 4 -t set,get,incr -q >/dev/null
redis_compare "Redis over 127.0.0.1, cls_bpf on lo" 127.0.0.1:6379
wl detach lo >/dev/null
wl attach lo >/dev/null || fail "attach lo again"

# Both directions of a connection are on lo (ifindex 1), each packet once: with nothing else in
# the namespace, the flows hold exactly the packets and bytes lo sent once every connection is
# closed (only TIME-WAIT left). lo's tx counters count each skb once, after eth_type_trans took
# its 14-byte Ethernet header off; wirelens counts L2 bytes.
lo_tx() { in_ns cat /sys/class/net/lo/statistics/tx_packets /sys/class/net/lo/statistics/tx_bytes | paste -sd' '; }
closed() { [ -z "$(in_ns ss -Htan state all '( sport = :6379 or dport = :6379 )' | grep -v -e LISTEN -e TIME-WAIT)" ]; }
"$WL_BIN" reset
before=$(lo_tx)
in_ns redis-cli -h 127.0.0.1 ping >/dev/null
in_ns redis-benchmark -h ::1 -n 500 -c 2 -t set,get -q >/dev/null
for _ in $(seq 100); do closed && break; sleep 0.1; done
after=$(lo_tx)
lo_delta=$(echo "$before $after" | awk '{ print $3 - $1, $4 - $2 + 14 * ($3 - $1) }')
wl_sum=$("$WL_BIN" flows --json | jq -r '"\(map(.packets) | add) \(map(.bytes) | add)"')
check_eq "packets and bytes on lo == lo's tx counters (each packet once)" "$lo_delta" "$wl_sum"
flows=$("$WL_BIN" flows --json | jq -r '[.[] | select(.sport == 6379 or .dport == 6379)] |
	"\(map(.iface) | unique | join(",")) \(map(.ifindex) | unique | join(","))"')
check_eq "every flow on lo, ifindex 1" "lo 1" "$flows"

# ---- PostgreSQL on 127.0.0.1 and ::1
PG_LISTEN='127.0.0.1,::1' start_postgres
sql() { psql -X -h "$dir" -U postgres -d "${2:-wl}" -At -q -c "$1"; } # unix socket
sql "create database wl" postgres || { fail "create database"; finish; exit 1; }
sql "create extension pg_stat_statements" || { fail "pg_stat_statements"; finish; exit 1; }
server_verbs() {
	sql "select upper(substring(regexp_replace(query, '/\\*.*?\\*/|--[^\\n]*', '', 'g')
	                            from '^[[:space:](]*([A-Za-z]+)')), sum(calls)
	     from pg_stat_statements where query not like '%pg\_stat%' group by 1" |
		awk -F'|' '
		BEGIN { m["END"] = "COMMIT"; m["ABORT"] = "ROLLBACK"; m["VALUES"] = "SELECT"
			m["TABLE"] = "SELECT" }
		{ v = ($1 in m) ? m[$1] : $1; n[v] += $2 }
		END { for (v in n) if (n[v]) print v, n[v] }' | sort
}
pg_compare() { # label server expected-errors
	local server wl json
	server=$(server_verbs)
	json=$("$WL_BIN" commands --json --protocol postgresql --server "$2")
	wl=$(echo "$json" | jq -r '.[] | select(.requests - .errors > 0) | "\(.command) \(.requests - .errors)"' | sort)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$1: completed statements per verb equal pg_stat_statements calls ($(echo "$server" | tr '\n' ' '))"
	else
		fail "$1: per-verb counts differ (< pg_stat_statements, > wirelens)"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
	check_eq "$1: errors" "$3" "$(echo "$json" | jq '[.[].errors] | add // 0')"
	check_eq "$1: requests == responses" "$(echo "$json" | jq '[.[].requests] | add // 0')" \
		"$(echo "$json" | jq '[.[].responses] | add // 0')"
}
pg_reset() { sql "select pg_stat_statements_reset()" >/dev/null; "$WL_BIN" reset; }

in_ns runuser -u postgres -- pgbench -h 127.0.0.1 -U postgres -i -s 1 -q wl >/dev/null 2>&1 || fail "pgbench -i"
pg_reset
in_ns runuser -u postgres -- pgbench -h 127.0.0.1 -U postgres -M extended -c 4 -j 2 -t 200 wl >/dev/null 2>&1 ||
	fail "pgbench -M extended"
pg_compare "PostgreSQL over 127.0.0.1: pgbench -M extended, 4 x 200" 127.0.0.1:5432 0

pg_reset
in_ns runuser -u postgres -- pgbench -h ::1 -U postgres -M simple -c 4 -j 2 -t 200 wl >/dev/null 2>&1 ||
	fail "pgbench -M simple"
in_ns runuser -u postgres -- psql -X -h ::1 -U postgres -d wl -v ON_ERROR_STOP=0 >/dev/null 2>&1 <<'EOF'
create table t (id int primary key, v text);
insert into t values (1, 'a'), (2, 'b');
insert into t values (1, 'duplicate');
select * from nope;
begin;
update t set v = 'c' where id = 1;
commit;
drop table t;
EOF
pg_compare "PostgreSQL over ::1: pgbench -M simple, 4 x 200, psql with 2 failures" "[::1]:5432" 2

l7=$("$WL_BIN" status --json | jq -r '.counters | "\(.l7_unmatched) \(.l7_malformed) \(.l7_resync_skip)"')
check_eq "nothing unmatched, malformed or skipped" "0 0 0" "$l7"

# ---- the host's own lo: short, on a port nobody listens on, detached in the trap
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hsock=/tmp/$NS-hredis.sock
redis-server --bind 127.0.0.1 --port "$port" --unixsocket "$hsock" --save '' --appendonly no \
	--daemonize yes --pidfile /tmp/$NS-hredis.pid --logfile /tmp/$NS-hredis.log
on_exit "kill \$(cat /tmp/$NS-hredis.pid); rm -f /tmp/$NS-hredis.pid /tmp/$NS-hredis.log"
for _ in $(seq 50); do redis-cli -s "$hsock" ping >/dev/null 2>&1 && break; sleep 0.1; done
"$WL_BIN" attach lo >/dev/null || fail "attach lo (host)"
on_exit "$WL_BIN detach lo"
redis-cli -s "$hsock" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset
redis-benchmark -h 127.0.0.1 -p "$port" -n 2000 -c 2 -t set,get -q >/dev/null
sock=$hsock redis_compare "Redis on the host's lo (port $port)" "127.0.0.1:$port"
link=$("$WL_BIN" status --json | jq -r '.attachments[] | select(.iface == "lo" and .netns == null) | .link_id')
"$WL_BIN" detach lo >/dev/null || fail "detach lo (host)"
check_eq "host lo detached: its link (id $link) is gone" "gone" \
	"$([ -n "$link" ] && ! bpftool link show id "$link" >/dev/null 2>&1 && echo gone)"
finish
