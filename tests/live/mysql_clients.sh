#!/usr/bin/env bash
# MySQL from a real client library: mysql2 (npm, tests/live/node) against a real MariaDB in a
# namespace (setup as in mysql.sh), wirelens on the host end of the veth. Text queries, prepared
# statements (a duplicate key among them), multipleStatements batches of four verbs, batches
# with a failing statement in the middle or first (the server runs nothing after it), a stored
# procedure returning two result sets (alone, in a batch, prepared), batches queued on one
# connection. The server's SHOW GLOBAL STATUS Com_* deltas must equal wirelens' requests per
# Com_* group (com_map, as in mysql.sh), less the statements the procedure runs inside (the
# server counts them too, they are not on the wire); errors per verb equal what the client saw.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
node_clients || exit 1
setup_pair
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
sql() { mariadb --no-defaults -S "$sock" -u root -N -B -e "$1"; }
sql "CREATE USER wl@'%'; GRANT ALL ON *.* TO wl@'%'; CREATE DATABASE sbtest;
	CREATE TABLE sbtest.mc (id INT PRIMARY KEY, v VARCHAR(32));
	INSERT INTO sbtest.mc VALUES (1, 'one'), (2, 'two'), (3, 'three')" &&
	printf '%s\n' 'DELIMITER //' 'CREATE PROCEDURE sbtest.two_sets(n INT) BEGIN SELECT n AS a; SELECT * FROM sbtest.mc WHERE id <= n; END//' |
	mariadb --no-defaults -S "$sock" -u root ||
	{ fail "server not up"; tail -5 "$dir/err.log"; finish; exit 1; }

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

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
counters() { "$WL_BIN" status | awk -v k="$1" '$1 == k { print $2 }'; }

rounds=20
base=$(com_status)
"$WL_BIN" reset >/dev/null
t0=$SECONDS
node "$here/node/mysql_clients.js" "$SRV_IP" "$rounds" >"$dir/client.out" 2>&1 ||
	fail "mysql2 client: $(tail -1 "$dir/client.out")"
sed 's/^/    /' "$dir/client.out"
now=$(com_status)
"$WL_BIN" commands --json --protocol mysql --server "$SRV_IP:3306" >"$dir/wl.json"
# the procedure runs two SELECTs a call (three calls a round): counted by the server only
inner=$((rounds * 3 * 2))
out=$( {
	join <(echo "$base" | sort) <(echo "$now" | sort) |
		awk -v inner="$inner" '{ d = $3 - $2; if ($1 == "Com_show_status") d--
			if ($1 == "Com_select") d -= inner; if (d) print "srv", $1, d }'
	jq -r '.[] | "wl \(.command) \(.requests)"' "$dir/wl.json"
} | com_map)
echo "$out" | sed 's/^/    /'
if [ -n "$out" ] && echo "$out" | awk '$1 == "wl:COM_QUIT" { next } $3 != $5 { bad = 1 } END { exit bad }'; then
	pass "mysql2 ($rounds rounds, $((SECONDS - t0)) s): every Com_* group equals wirelens ($(echo "$out" | wc -l) groups, $(echo "$out" | awk '$1 != "wl:COM_QUIT" { s += $3 } END { print s }') statements)"
else
	fail "mysql2: Com_* and wirelens differ"
fi
for verb in $(jq -r '.[] | .command' "$dir/wl.json") $(awk '$1 == "errors" { print $2 }' "$dir/client.out"); do
	echo "$verb"
done | sort -u | while read -r verb; do
	client=$(awk -v v="$verb" '$1 == "errors" && $2 == v { print $3 }' "$dir/client.out")
	wl=$(jq "[.[] | select(.command == \"$verb\") | .errors] | add // 0" "$dir/wl.json")
	[ "${client:-0}" = "$wl" ] && echo "ok" || echo "FAIL: errors of $verb: client saw ${client:-0}, wirelens $wl"
done >"$dir/errors.out"
grep FAIL "$dir/errors.out" | while read -r l; do echo "$l"; done
n_bad=$(grep -c FAIL "$dir/errors.out")
[ "$n_bad" -eq 0 ] && pass "errors per verb equal what mysql2 saw ($(jq '[.[] | .errors] | add' "$dir/wl.json") errors)" ||
	FAILS=$((FAILS + n_bad))
check_eq "unanswered requests" 0 "$(jq '[.[] | select(.command != "COM_QUIT" and .command != "COM_STMT_CLOSE") | .requests - .responses] | add' "$dir/wl.json")"
check_eq "l7_malformed l7_unmatched" "0 0" "$(counters l7_malformed) $(counters l7_unmatched)"
"$WL_BIN" commands --protocol mysql | sed 's/^/    /'
finish
