#!/usr/bin/env bash
# L7 rules against the real servers (issue 12): wirelens on the host end of the veth (clients on
# the host, so requests meet the TC egress program), servers in the namespace.
# - redis FLUSHALL denied: a client that sends SET then FLUSHALL gets no answer to FLUSHALL,
#   another connection still reads every key, INFO commandstats shows no flushall; the rule
#   counted one connection.
# - redis FLUSHALL rejected: the client fails at once with a reset, and the server's side of
#   the connection is gone (CLIENT LIST).
# - MariaDB DROP TABLE and PostgreSQL TRUNCATE denied: the statement before it on the same
#   connection is done, the table is intact, the server never counted the denied statement.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
tmp=$(mktemp -d)
on_exit "rm -rf $tmp"
start_redis || exit 1
rcli() { redis-cli -h "$SRV_IP" "$@"; }

"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }
counter() { "$WL_BIN" status --json | jq -r ".counters.$1 // .$1 // 0"; }
rule_field() { # ID FIELD
	"$WL_BIN" rule list --json | jq -r --argjson id "$1" --arg f "$2" \
		'(if type == "array" then . else .rules end) | .[] | select(.id == $id) | .[$f]'
}

# ---- 1. redis: FLUSHALL denied
for i in $(seq 0 9); do rcli SET "key$i" "v$i" >/dev/null; done
rcli CONFIG RESETSTAT >/dev/null
id=$("$WL_BIN" rule add --l7 redis:FLUSHALL --action deny) || fail "rule add redis:FLUSHALL"
# SET then FLUSHALL on one connection: the SET is answered, the FLUSHALL never is
printf 'SET key10 v10\nFLUSHALL\n' | timeout 2 redis-cli -h "$SRV_IP" >"$tmp/deny.out" 2>&1
rc=$?
check_eq "redis deny: redis-cli ends by the timeout (no answer to FLUSHALL)" 124 "$rc"
check_eq "redis deny: the SET before it was answered" "OK" "$(head -1 "$tmp/deny.out")"
check_eq "redis deny: nothing else came back" 1 "$(wc -l <"$tmp/deny.out")"
check_eq "redis deny: another connection reads every key" 11 "$(rcli DBSIZE)"
vals=$(for i in $(seq 0 10); do rcli GET "key$i"; done | tr '\n' ' ')
check_eq "redis deny: values" "v0 v1 v2 v3 v4 v5 v6 v7 v8 v9 v10 " "$vals"
stats=$(rcli INFO commandstats | tr -d '\r')
if echo "$stats" | grep -q '^cmdstat_flushall:'; then fail "redis deny: INFO commandstats shows flushall"; else pass "redis deny: INFO commandstats shows no flushall"; fi
echo "$stats" | grep -q '^cmdstat_set:calls=1,' && pass "redis deny: the server ran the one SET" ||
	fail "redis deny: cmdstat_set: $(echo "$stats" | grep cmdstat_set)"
check_eq "redis deny: l7_denied" 1 "$(counter l7_denied)"
[ "$(counter conn_blocked)" -ge 1 ] && pass "redis deny: the retransmissions were dropped as blocked ($(counter conn_blocked))" ||
	fail "redis deny: conn_blocked $(counter conn_blocked)"
check_eq "redis deny: connections on the rule" 1 "$(rule_field "$id" connections)"
wl_set=$("$WL_BIN" commands --json --protocol redis --server "$SRV_IP:6379" |
	jq -r '[.[] | select(.command == "SET" or .command == "FLUSHALL")] | map("\(.command)=\(.requests)") | sort | join(" ")')
check_eq "redis deny: wirelens counts (SET x 11 + DBSIZE.., no FLUSHALL)" "SET=11" "$wl_set"
"$WL_BIN" rule flush >/dev/null || fail "rule flush"
# the block outlives its rule: the client retransmits FLUSHALL for minutes, it must never land
check_eq "redis deny: the connection stays blocked after the flush" 1 \
	"$("$WL_BIN" status --json | jq -r .filter.blocked_connections)"

# ---- 2. redis: FLUSHALL rejected: a reset at once, the server's connection gone
id=$("$WL_BIN" rule add --l7 redis:FLUSHALL --action reject) || fail "rule add reject"
python3 - "$SRV_IP" >"$tmp/reject.out" 2>&1 <<'PY'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 6379))
s.settimeout(10)
print("port", s.getsockname()[1])
s.sendall(b"*3\r\n$3\r\nSET\r\n$3\r\nk11\r\n$3\r\nv11\r\n")
print("set", s.recv(100).decode().strip())
t = time.monotonic()
s.sendall(b"*1\r\n$8\r\nFLUSHALL\r\n")
try:
    data = s.recv(100)
    print("answer", data)
except ConnectionResetError:
    print("reset after %.1f s" % (time.monotonic() - t))
except socket.timeout:
    print("timeout")
PY
port=$(sed -n 's/^port //p' "$tmp/reject.out")
check_eq "redis reject: the SET was answered" "set +OK" "$(sed -n 2p "$tmp/reject.out")"
if grep -qE '^reset after [0-4]\.' "$tmp/reject.out"; then
	pass "redis reject: the client got a reset at once ($(tail -1 "$tmp/reject.out"))"
else
	fail "redis reject: $(tail -1 "$tmp/reject.out")"
fi
# (the denied connection of part 1 is still there: the server never heard of its end)
check_eq "redis reject: the server's side is gone (CLIENT LIST)" 0 \
	"$(rcli CLIENT LIST | grep -c "addr=$HOST_IP:$port ")"
check_eq "redis reject: every key still there" 12 "$(rcli DBSIZE)"
[ "$(counter rst_sent)" -ge 2 ] && pass "redis reject: rst_sent $(counter rst_sent)" || fail "redis reject: rst_sent $(counter rst_sent)"
"$WL_BIN" rule flush >/dev/null || fail "rule flush"

# ---- 3. MariaDB: DROP TABLE denied
start_mariadb
sql "CREATE TABLE sbtest.t (a INT); FLUSH STATUS"
drop0=$(sql "SHOW GLOBAL STATUS LIKE 'Com_drop_table'" | awk '{print $2}')
"$WL_BIN" rule add --l7 mysql:DROP --action deny >/dev/null || fail "rule add mysql:DROP"
timeout 2 mariadb --no-defaults -h "$SRV_IP" -u wl sbtest -e "INSERT INTO t VALUES (1); DROP TABLE t" >"$tmp/my.out" 2>&1
check_eq "mariadb deny: the client waits for DROP until the timeout" 124 "$?"
check_eq "mariadb deny: the INSERT before it was done" 1 "$(sql 'SELECT COUNT(*) FROM sbtest.t')"
check_eq "mariadb deny: Com_drop_table did not move" "$drop0" "$(sql "SHOW GLOBAL STATUS LIKE 'Com_drop_table'" | awk '{print $2}')"
"$WL_BIN" rule flush >/dev/null || fail "rule flush"

# ---- 4. PostgreSQL: TRUNCATE denied
start_postgres
psql_local() { runuser -u postgres -- psql -h "$dir" -p 5432 -U postgres -tA -c "$1"; }
psql_local "CREATE EXTENSION pg_stat_statements; CREATE TABLE t (a int)" >/dev/null
"$WL_BIN" rule add --l7 postgresql:TRUNCATE --action deny >/dev/null || fail "rule add postgresql:TRUNCATE"
timeout 2 psql -h "$SRV_IP" -U postgres -c "INSERT INTO t VALUES (1)" -c "TRUNCATE t" >"$tmp/pg.out" 2>&1
check_eq "postgresql deny: the client waits for TRUNCATE until the timeout" 124 "$?"
check_eq "postgresql deny: the INSERT before it was done, the table intact" 1 "$(psql_local 'SELECT count(*) FROM t')"
check_eq "postgresql deny: pg_stat_statements has no TRUNCATE" 0 \
	"$(psql_local "SELECT count(*) FROM pg_stat_statements WHERE query ILIKE 'truncate%'")"
"$WL_BIN" rule flush >/dev/null || fail "rule flush"
finish
