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
start_mariadb
sql "CREATE TABLE sbtest.mc (id INT PRIMARY KEY, v VARCHAR(32));
	INSERT INTO sbtest.mc VALUES (1, 'one'), (2, 'two'), (3, 'three')" &&
	printf '%s\n' 'DELIMITER //' 'CREATE PROCEDURE sbtest.two_sets(n INT) BEGIN SELECT n AS a; SELECT * FROM sbtest.mc WHERE id <= n; END//' |
	mariadb --no-defaults -S "$sock" -u root ||
	{ fail "server not up"; tail -5 "$dir/err.log"; finish; exit 1; }

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

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
