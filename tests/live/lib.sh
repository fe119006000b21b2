# Shared helpers for live tests: a namespace "server" behind a veth pair, unique names, cleanup.
# Addresses only in 198.18.0.0/15 and 2001:db8::/32.
set -u
WL_BIN=${WL_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/wirelens}
ID=$(( ($$ + RANDOM) % 200 + 20 ))
NS=wlt$$
HOST_IF=wlh$$
PEER_IF=wlp$$
HOST_IP=198.18.$ID.1
SRV_IP=198.18.$ID.2
HOST_IP6=2001:db8:$ID::1
SRV_IP6=2001:db8:$ID::2
# each test its own pin root, so live tests can run side by side
export WIRELENS_PIN_ROOT=${WIRELENS_PIN_ROOT:-/sys/fs/bpf/wlt$$}
PIN_DIR=$WIRELENS_PIN_ROOT/v8 # WL_ABI_VERSION
CLEANUP=()
FAILS=0

cleanup() {
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[i]}" >/dev/null 2>&1; done
	"$WL_BIN" detach "$HOST_IF" >/dev/null 2>&1
	ip link del "$HOST_IF" >/dev/null 2>&1
	ip netns del "$NS" >/dev/null 2>&1
	# the maps go when nothing else is attached
	[ -d "$PIN_DIR/links" ] && [ -z "$(ls -A "$PIN_DIR/links")" ] &&
		"$WL_BIN" detach --all >/dev/null 2>&1
	return 0
}
trap cleanup EXIT
trap "exit 143" INT TERM # a timed-out or interrupted test stops here (cleanup runs on EXIT)

on_exit() { CLEANUP+=("$*"); }

setup_pair() {
	ip netns add "$NS"
	ip link add "$HOST_IF" type veth peer name "$PEER_IF"
	ip link set "$PEER_IF" netns "$NS"
	ip addr add "$HOST_IP/24" dev "$HOST_IF"
	ip -6 addr add "$HOST_IP6/64" dev "$HOST_IF" nodad
	ip link set "$HOST_IF" up
	ip -n "$NS" addr add "$SRV_IP/24" dev "$PEER_IF"
	ip -n "$NS" -6 addr add "$SRV_IP6/64" dev "$PEER_IF" nodad
	ip -n "$NS" link set "$PEER_IF" up
	ip -n "$NS" link set lo up
}

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
check_eq() { # name expected actual
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: expected $2, got $3"; fi
}
finish() { [ "$FAILS" -eq 0 ] && echo "all checks passed" || echo "$FAILS check(s) failed"; [ "$FAILS" -eq 0 ]; }

# The namespace's TCP counters (/proc/net/snmp, read inside it): tcp_mib OutSegs
tcp_mib() { ip netns exec "$NS" awk -v k="$1" '/^Tcp:/ { if (n) { for (i = 1; i <= NF; i++) if (h[i] == k) print $i } else n = split($0, h) }' /proc/net/snmp; }

# SIZE bytes from a server in $NS on $SRV_IP:PORT to a client on the host, in 1 MiB writes (TSO
# makes packets of many segments where the peer has it): bulk_from_ns PORT SIZE TMPDIR prints
# "bytes_read segments_sent segments_sent_again", the segments from the namespace's own counters
# (a GSO packet adds its segments there).
bulk_from_ns() {
	local port=$1 size=$2 dir=$3 srv s0 r0 got
	ip netns exec "$NS" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); b = b"x" * (1 << 20)
for _ in range(int(sys.argv[3]) >> 20): c.sendall(b)
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()' "$SRV_IP" "$port" "$size" >"$dir/bulk_srv" 2>&1 &
	srv=$!
	wait_for "$dir/bulk_srv" ready 3000 $srv || { echo "0 0 0"; return 1; }
	s0=$(($(tcp_mib OutSegs) + $(tcp_mib RetransSegs))) r0=$(tcp_mib RetransSegs)
	got=$(python3 -c '
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2]))); n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    n += len(d)
c.close(); print(n)' "$SRV_IP" "$port")
	wait $srv
	echo "$got $(($(tcp_mib OutSegs) + $(tcp_mib RetransSegs) - s0)) $(($(tcp_mib RetransSegs) - r0))"
}

# ---- helpers for the loader tests ----

# A second veth pair from the host into $NS (no addresses): extra_pair HOST_NAME PEER_NAME
extra_pair() {
	ip link add "$1" type veth peer name "$2" && ip link set "$2" netns "$NS" &&
		ip link set "$1" up && ip -n "$NS" link set "$2" up
	on_exit "ip link del $1"
}

# Packets and bytes summed over the flows of one direction: flow_counts PROTO SRC DST PORT
# (PORT is the server port, as source or destination port).
flow_counts() {
	"$WL_BIN" flows --json | jq -r --arg p "$1" --arg s "$2" --arg d "$3" --argjson port "$4" \
		'[.[] | select(.proto == $p and .src == $s and .dst == $d and
		  (.sport == $port or .dport == $port))] | "\(map(.packets) | add // 0) \(map(.bytes) | add // 0)"'
}

# What a command may change: this test's pins and the XDP program on the test interfaces. (A
# tcx or XDP link without a pin dies with the process that made it, so pins + the XDP program
# are the whole persistent state.)
wl_state() {
	find "$WIRELENS_PIN_ROOT" 2>/dev/null | sort
	for i in "$HOST_IF" "$@"; do ip -d link show "$i" 2>/dev/null | grep -o 'prog/xdp id [0-9]*'; done
}

# A bad input: non-zero exit, exactly one line on stderr matching a pattern, nothing changed.
# check_bad NAME PATTERN CMD...
check_bad() {
	local name=$1 pattern=$2 before after rc err
	shift 2
	before=$(wl_state)
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(wl_state)
	if [ "$rc" -eq 0 ]; then
		fail "$name: exit status 0"
	elif [ "$(printf '%s\n' "$err" | wc -l)" != 1 ] || [ -z "$err" ]; then
		fail "$name: stderr is not one line: $err"
	elif ! printf '%s\n' "$err" | grep -qE -- "$pattern"; then
		fail "$name: message '$err' does not match '$pattern'"
	elif [ "$before" != "$after" ]; then
		fail "$name: state changed"
	else
		pass "$name (exit $rc: $err)"
	fi
}

# Waits until a file has a line matching a pattern: wait_for FILE PATTERN [TENTHS] [PID]
# The wait follows the event, not a guess of how fast this machine is: it ends when the line
# appears or when PID (the process that would write it) has exited; TENTHS (default 6000, i.e.
# 10 minutes) only bounds a hang.
wait_for() {
	local i
	for ((i = 0; i < ${3:-6000}; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && { grep -qE -- "$2" "$1" 2>/dev/null; return; }
		sleep 0.1
	done
	return 1
}

# Runs CMD until it succeeds: wait_until CMD [ARGS...] (for a count the kernel reaches after the
# sender returned: a veth delivers in its NAPI, later). Bounded at 60 s only against a hang; the
# caller then checks the figures as they are.
wait_until() {
	local i
	for ((i = 0; i < 600; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# Has the flow counted at least N packets? flow_reaches PROTO SRC DST DPORT N (with wait_until)
flow_reaches() {
	local c
	c=$(flow_counts "$1" "$2" "$3" "$4")
	[ "${c%% *}" -ge "$5" ] 2>/dev/null
}

# Node client libraries (tests/live/node/package.json, pinned by its package-lock.json), installed
# once per checkout into tests/live/node/node_modules: node_clients || exit 1
node_clients() {
	local dir="$here/node"
	[ -d "$dir/node_modules/ioredis" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && return 0
	command -v npm >/dev/null || { echo "npm is missing (apt-get install npm)"; return 1; }
	(cd "$dir" && flock "$dir/package.json" npm ci --no-audit --no-fund --loglevel=error) >/dev/null ||
		{ echo "npm ci failed in $dir"; return 1; }
}

# redis-server in $NS on $SRV_IP:6379, no persistence, stopped when the test exits; returns once
# it answers (bounded at 30 s: a server that does not start fails the test). start_redis
# [PREFIX...]: PREFIX runs the server (e.g. taskset -c 1). CLIENT_NS: the namespace its clients
# are in (redis-cli runs there), when not the host.
start_redis() {
	ip netns exec "$NS" "$@" redis-server --bind "$SRV_IP" --port 6379 --protected-mode no \
		--save '' --appendonly no --daemonize yes --pidfile /tmp/$NS-redis.pid \
		--logfile /tmp/$NS-redis.log
	on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
	for _ in $(seq 300); do rcli -h "$SRV_IP" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "redis-server did not start"
	return 1
}

# The server's own count per command, as wirelens counts it: "COMMAND requests errors" lines,
# sorted (requests = calls + rejected_calls, errors = failed_calls + rejected_calls); INFO and
# CONFIG|RESETSTAT, the tests' own, left out.
rcli() { ${CLIENT_NS:+ip netns exec "$CLIENT_NS"} redis-cli "$@"; }

redis_commandstats() {
	rcli -h "$SRV_IP" INFO commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
		awk '{ printf "%s %d %d\n", toupper($1), $2 + $3, $3 + $4 }' | grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort
}

# wirelens' count of the same: redis_wl_commands
redis_wl_commands() {
	"$WL_BIN" commands --json --protocol redis --server "$SRV_IP:6379" |
		jq -r '.[] | "\(.command) \(.requests) \(.errors)"' | grep -v '^INFO ' | sort
}

# LABEL: a check that wirelens' count of every Redis command equals the server's
redis_compare() {
	lists_equal "$1: every command's requests and errors equal INFO commandstats" \
		"$1: commandstats differ" "$(redis_commandstats)" "$(redis_wl_commands)"
}

# Two non-empty line lists equal: lists_equal PASS_MSG FAIL_MSG SERVER WIRELENS (the count of
# lines is added to PASS_MSG; a diff, server <, wirelens >, follows FAIL_MSG)
lists_equal() {
	if [ -n "$3" ] && [ "$3" = "$4" ]; then
		pass "$1 ($(echo "$3" | wc -l) commands)"
	else
		fail "$2"
		diff <(echo "$3") <(echo "$4") | head -20
	fi
}

# A private MariaDB in $NS: datadir and unix socket in a temp dir, TCP on $SRV_IP:3306 only, no
# TLS. Sets dir and sock, defines sql (root over the unix socket: never on the wire), creates the
# user wl and the database sbtest. Stops the test when the server does not come up.
start_mariadb() {
	dir=$(mktemp -d "/tmp/$NS-mysql.XXXXXX")
	on_exit "rm -rf $dir"
	sock=$dir/mysqld.sock
	mariadb-install-db --no-defaults --user=root --datadir="$dir/data" --skip-test-db \
		--auth-root-authentication-method=normal >"$dir/install.log" 2>&1 ||
		{ fail "mariadb-install-db"; tail -5 "$dir/install.log"; finish; exit 1; }
	ip netns exec "$NS" mysqld --no-defaults --user=root --datadir="$dir/data" --socket="$sock" \
		--pid-file="$dir/mysqld.pid" --bind-address="$SRV_IP" --port=3306 --skip-ssl \
		--skip-name-resolve --local-infile=1 --skip-log-bin --performance-schema=0 \
		--innodb-buffer-pool-size=64M --innodb-log-file-size=16M --log-error="$dir/err.log" &
	on_exit "kill \$(cat $dir/mysqld.pid); sleep 1"
	for _ in $(seq 150); do mariadb -S "$sock" -u root -e 'select 1' >/dev/null 2>&1 && break; sleep 0.1; done
	sql "CREATE USER wl@'%'; GRANT ALL ON *.* TO wl@'%'; CREATE DATABASE sbtest" ||
		{ fail "server not up"; tail -5 "$dir/err.log"; finish; exit 1; }
}
sql() { mariadb --no-defaults -S "$sock" -u root -N -B -e "$1"; }

# Lines "wl NAME N" (wirelens requests per command name) and "srv Com_x N" (server Com_* deltas)
# in, one line per Com_* group out: the group each wirelens name is counted in by the server
# (both sides summed per group; a Com_* variable not listed is its own group, so anything
# unexpected shows up). COM_STMT_EXECUTE runs count under their statement's verb: the server
# counts them in that verb's Com_* too (and in Com_stmt_execute, which is therefore not compared).
com_map() {
	awk '
	BEGIN {
		n["SELECT"] = "select"; n["INSERT"] = "insert"; n["UPDATE"] = "update"
		n["DELETE"] = "delete"; n["REPLACE"] = "replace"; n["BEGIN"] = "begin"
		n["START"] = "begin"; n["COMMIT"] = "commit"; n["ROLLBACK"] = "rollback"
		n["SET"] = "set_option"; n["COM_SET_OPTION"] = "set_option"; n["SHOW"] = "show"
		n["COM_FIELD_LIST"] = "show"; n["COM_STATISTICS"] = "show"; n["DESCRIBE"] = "show"
		n["DESC"] = "show"; n["CREATE"] = "create"; n["COM_CREATE_DB"] = "create"
		n["DROP"] = "drop"; n["COM_DROP_DB"] = "drop"; n["ALTER"] = "alter"
		n["TRUNCATE"] = "truncate"; n["CALL"] = "call_procedure"; n["USE"] = "change_db"
		n["COM_INIT_DB"] = "change_db"; n["DO"] = "do"; n["LOCK"] = "lock_tables"
		n["UNLOCK"] = "unlock_tables"; n["ANALYZE"] = "analyze"; n["OPTIMIZE"] = "optimize"
		n["LOAD"] = "load"; n["GRANT"] = "grant"; n["COM_STMT_PREPARE"] = "stmt_prepare"
		n["COM_STMT_CLOSE"] = "stmt_close"; n["COM_STMT_RESET"] = "stmt_reset"
		n["COM_STMT_FETCH"] = "stmt_fetch"; n["COM_PING"] = "admin_commands"
		n["COM_CHANGE_USER"] = "admin_commands"; n["COM_RESET_CONNECTION"] = "admin_commands"
		n["COM_DEBUG"] = "admin_commands"; n["COM_SHUTDOWN"] = "admin_commands"
		n["COM_PROCESS_KILL"] = "kill"; n["KILL"] = "kill"; n["COM_REFRESH"] = "flush"
		n["FLUSH"] = "flush"; n["COM_PROCESS_INFO"] = "show"
	}
	$1 == "wl" { g = ($2 in n) ? n[$2] : "wl:" $2; wl[g] += $3 }
	$1 == "srv" {
		g = tolower($2); sub(/^com_/, "", g)
		if (g ~ /^show_/) g = "show"; else if (g ~ /^create_/) g = "create"
		else if (g ~ /^drop_/) g = "drop"; else if (g ~ /^alter_/) g = "alter"
		else if (g == "insert_select") g = "insert"; else if (g == "replace_select") g = "replace"
		else if (g == "update_multi") g = "update"; else if (g == "delete_multi") g = "delete"
		else if (g == "stmt_execute") next
		srv[g] += $3
	}
	END {
		for (g in wl) all[g] = 1
		for (g in srv) all[g] = 1
		for (g in all) if (srv[g] + wl[g]) printf "%-16s server %8d wirelens %8d\n", g, srv[g], wl[g]
	}' | sort
}

com_status() { sql "SHOW GLOBAL STATUS LIKE 'Com\\_%'"; }

# A private PostgreSQL in $NS: cluster and unix socket in a temp dir, TCP on $SRV_IP:5432 only
# (or on PG_LISTEN, e.g. '127.0.0.1,::1'; trust for 198.18.0.0/15 and loopback), no TLS,
# pg_stat_statements. Sets dir and PGBIN; more server settings as arguments ("-c name=value
# ..."). Stops the test when the server does not start.
start_postgres() {
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	dir=$(mktemp -d "/tmp/$NS-pg.XXXXXX")
	chmod 755 "$dir"
	chown postgres: "$dir"
	on_exit "rm -rf $dir"
	runuser -u postgres -- "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync \
		>"$dir/initdb.log" 2>&1 || { fail "initdb"; tail -5 "$dir/initdb.log"; finish; exit 1; }
	printf 'local all all trust\nhost all all 198.18.0.0/15 trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' \
		>"$dir/data/pg_hba.conf"
	ip netns exec "$NS" runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
		-w -t 30 start -o "-k $dir -h ${PG_LISTEN:-$SRV_IP} -p 5432 -c ssl=off \
		-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top \
		-c pg_stat_statements.track_utility=on -c fsync=off -c synchronous_commit=off \
		-c full_page_writes=off -c max_connections=40 $*" >/dev/null ||
		{ fail "postgres did not start"; tail -5 "$dir/server.log"; finish; exit 1; }
	on_exit "runuser -u postgres -- $PGBIN/pg_ctl -D $dir/data -m immediate stop"
}
