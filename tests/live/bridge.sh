#!/usr/bin/env bash
# A Linux bridge (as docker0, cni0, virbr0) with two namespaces behind veth ports: Redis in one,
# PostgreSQL in the other, clients on the host talking to them through the bridge's address.
# wirelens on the bridge, on its ports (attach, then `watch` with a glob), gives the same
# per-command counts, each equal to the servers' own (INFO commandstats, pg_stat_statements, read
# over unix sockets: not on the wire). On the bridge and a port at once, the port's packets pass
# both: attach and status warn (netlink master relation), and each command is counted twice.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
BR=wlbr$$ PA=wlba$$ PB=wlbb$$ NSA=${NS}a NSB=${NS}b
BR_IP=$HOST_IP A_IP=198.18.$ID.2 B_IP=198.18.$ID.3
ip link add "$BR" type bridge && on_exit "ip link del $BR"
ip addr add "$BR_IP/24" dev "$BR"
ip link set "$BR" up
for x in A B; do
	ns=NS$x port=P$x ip=${x}_IP
	ip netns add "${!ns}" && on_exit "ip netns del ${!ns}"
	ip link add "${!port}" type veth peer name eth0 netns "${!ns}" && on_exit "ip link del ${!port}"
	ip link set "${!port}" master "$BR" up
	ip -n "${!ns}" addr add "${!ip}/24" dev eth0
	ip -n "${!ns}" link set eth0 up
	ip -n "${!ns}" link set lo up
done

rsock=/tmp/$NS-redis.sock
ip netns exec "$NSA" redis-server --bind "$A_IP" --port 6379 --unixsocket "$rsock" --protected-mode no \
	--save '' --appendonly no --daemonize yes --pidfile /tmp/$NS-redis.pid --logfile /tmp/$NS-redis.log
on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
NS=$NSB SRV_IP=$B_IP start_postgres
sql() { psql -X -h "$dir" -U postgres -d "${2:-wl}" -At -q -c "$1"; } # unix socket
for _ in $(seq 50); do redis-cli -s "$rsock" ping >/dev/null 2>&1 && break; sleep 0.1; done
sql "create database wl" postgres || { fail "create database"; finish; exit 1; }
sql "create extension pg_stat_statements" || { fail "pg_stat_statements"; finish; exit 1; }
pgbench -h "$B_IP" -U postgres -i -s 1 -q wl >/dev/null 2>&1 || fail "pgbench -i"

# The servers' figures, per command, times a factor (2 when two attachments see the packets)
server_counts() { # factor
	redis-cli -s "$rsock" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk -v f="$1" '{ printf "redis %s %d %d\n", toupper($1), f * ($2 + $3), f * ($3 + $4) }' |
		grep -v -e ' INFO ' -e ' CONFIG|RESETSTAT ' | sort
	sql "select upper(substring(query from '^[[:space:]]*([A-Za-z]+)')), sum(calls)
	     from pg_stat_statements where query not like '%pg\_stat%' group by 1" |
		awk -F'|' -v f="$1" '{ m["END"] = "COMMIT" } { v = ($1 in m) ? m[$1] : $1; n[v] += $2 }
			END { for (v in n) if (n[v]) printf "postgresql %s %d 0\n", v, f * n[v] }' | sort
}
wl_counts() {
	{
		"$WL_BIN" commands --json --protocol redis --server "$A_IP:6379" |
			jq -r '.[] | "redis \(.command) \(.requests) \(.errors)"' | sort
		"$WL_BIN" commands --json --protocol postgresql --server "$B_IP:5432" |
			jq -r '.[] | "postgresql \(.command) \(.requests - .errors) \(.errors)"' | sort
	}
}
reset_all() {
	redis-cli -s "$rsock" CONFIG RESETSTAT >/dev/null
	sql "select pg_stat_statements_reset()" >/dev/null
	"$WL_BIN" reset
}
workload() {
	redis-benchmark -h "$A_IP" -n 4000 -c 4 -P 4 -t set,get,incr,lpush -q >/dev/null
	redis-cli -h "$A_IP" get >/dev/null 2>&1 # wrong arity: rejected call
	pgbench -h "$B_IP" -U postgres -M extended -c 2 -j 2 -t 150 wl >/dev/null 2>&1 || fail "pgbench"
}
compare() { # label factor
	lists_equal "$1: per command, Redis and PostgreSQL" "$1: the servers (<, x$2) and wirelens (>) differ" \
		"$(server_counts "$2")" "$(wl_counts)"
}
warnings() { "$WL_BIN" status | grep -c '^  warning: .* is a port of bridge '"$BR"' and both are attached'; }

# ---- the bridge alone: no native XDP on a bridge, generic XDP sees what it passes up
out=$("$WL_BIN" attach "$BR" 2>&1) || fail "attach $BR: $out"
check_eq "attach the bridge: xdp in skb mode, and why" \
	"attached $BR (xdp skb (native refused: Operation not supported), tc-egress)" "$out"
reset_all
workload
compare "on the bridge" 1
check_eq "bridge alone: no warning" 0 "$(warnings)"
"$WL_BIN" detach "$BR" >/dev/null

# ---- its two ports
"$WL_BIN" attach "$PA" "$PB" >/dev/null || fail "attach ports"
reset_all
workload
compare "on the two ports" 1
check_eq "ports alone: no warning" 0 "$(warnings)"

# ---- bridge and ports at once: warned at attach and in status; every packet passes both
err=$("$WL_BIN" attach "$BR" 2>&1 >/dev/null)
check_eq "attach the bridge over its ports: two warnings" 2 \
	"$(echo "$err" | grep -c "^wirelens: warning: wlb[ab]$$ is a port of bridge $BR and both are attached: the packets that pass both are counted twice")"
check_eq "status warns for each port" 2 "$(warnings)"
check_eq "status --json notes" 2 "$("$WL_BIN" status --json | jq '[.notes[] | select(test("port of bridge"))] | length')"
reset_all
workload
compare "bridge and ports at once: every command twice, as warned" 2
"$WL_BIN" detach --all >/dev/null

# ---- watch with a glob over the ports (as `watch 'veth*'` on a container host)
"$WL_BIN" watch "wlb[ab]$$" --detach-on-exit >"$dir/watch.out" 2>&1 &
watcher=$!
on_exit "kill $watcher"
wait_for "$dir/watch.out" "attached $PB" 300 "$watcher" && wait_for "$dir/watch.out" "attached $PA" 300 "$watcher" ||
	fail "watch did not attach both ports: $(cat "$dir/watch.out")"
reset_all
workload
compare "watch 'wlb[ab]$$' (the ports)" 1
kill "$watcher"
wait "$watcher"
check_eq "the watcher detached on exit" "" "$(ls "$PIN_DIR/links" 2>/dev/null)"
finish
