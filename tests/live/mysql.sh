#!/usr/bin/env bash
# MySQL accuracy: a real MariaDB server in the namespace (private datadir, unix socket in a temp
# dir, TCP on $SRV_IP only, no TLS), real clients on the host over TCP (mariadb CLI with errors
# and LOAD DATA LOCAL, mariadb-admin, mysqlslap, sysbench oltp_read_write with prepared
# statements, a server-side cursor client), wirelens attached to the host end of the veth. The server's own
# SHOW GLOBAL STATUS LIKE 'Com_%' deltas (read over the unix socket: not on the wire) must equal
# wirelens' per-command requests, grouped by the Com_* variable each name maps to (com_map).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_mariadb

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

# one reading over the socket counts itself in Com_show_status: calibrate that
a=$(com_status)
b=$(com_status)
self=$(join <(echo "$a" | sort) <(echo "$b" | sort) | awk '$3 != $2 { printf "%s+%d ", $1, $3 - $2 }')
check_eq "a status reading counts itself only" "Com_show_status+1 " "$self"

# COM_QUIT has no Com_* counter; OTHER (statements the server cannot parse: no Com_* either)
# must be exactly the number of such statements sent.
compare() { # label other
	local label=$1 other=$2 now wl out
	now=$(com_status)
	wl=$("$WL_BIN" commands --json --protocol mysql --server "$SRV_IP:3306" |
		jq -r '.[] | "wl \(.command) \(.requests)"')
	out=$( {
		join <(echo "$base" | sort) <(echo "$now" | sort) |
			awk '{ d = $3 - $2; if ($1 == "Com_show_status") d--; if (d) print "srv", $1, d }'
		echo "$wl"
	} | com_map)
	echo "$out" | sed 's/^/    /'
	if [ -n "$out" ] && echo "$out" | awk -v other="$other" '
		$1 == "wl:COM_QUIT" { next }
		$1 == "wl:OTHER" { seen = 1; if ($5 != other) bad = 1; next }
		$3 != $5 { bad = 1 }
		END { if (other && !seen) bad = 1; exit bad }'; then
		pass "$label: every Com_* group equals wirelens ($(echo "$out" | wc -l) groups)"
	else
		fail "$label: Com_* and wirelens differ"
	fi
}

counters() { "$WL_BIN" status | awk -v k="$1" '$1 == k { print $2 }'; }

reset_all() {
	"$WL_BIN" reset >/dev/null
	base=$(com_status)
}

cli() { mariadb --no-defaults -h "$SRV_IP" -u wl --skip-ssl --local-infile=1 "$@"; }

# --- mariadb CLI: statements of every kind, a syntax error, an unknown table, LOCAL INFILE
reset_all
printf '10\tx\n11\ty\n12\tz\n' >"$dir/rows.tsv"
cli --force -D sbtest >"$dir/cli.out" 2>&1 <<EOF
CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(64));
INSERT INTO t VALUES (1, 'a'), (2, 'b');
/* a comment */ select * from t;
UPDATE t SET v = 'c' WHERE id = 1;
DELETE FROM t WHERE id = 2;
REPLACE INTO t VALUES (3, 'd');
BEGIN;
INSERT INTO t VALUES (4, 'e');
COMMIT;
START TRANSACTION;
DELETE FROM t WHERE id = 4;
ROLLBACK;
SET @a = 1;
SHOW TABLES;
DESCRIBE t;
DO 1;
ALTER TABLE t ADD COLUMN w INT;
LOCK TABLES t WRITE;
UNLOCK TABLES;
ANALYZE TABLE t;
OPTIMIZE TABLE t;
LOAD DATA LOCAL INFILE '$dir/rows.tsv' INTO TABLE t (id, v);
SELEKT 1;
SELECT * FROM no_such_table;
TRUNCATE TABLE t;
DROP TABLE t;
EOF
grep ERROR "$dir/cli.out" | sed "s/^/    /"
mariadb-admin --no-defaults -h "$SRV_IP" -u wl --skip-ssl ping >/dev/null
mariadb-admin --no-defaults -h "$SRV_IP" -u wl --skip-ssl status >/dev/null
compare "mariadb CLI and mariadb-admin" 1
"$WL_BIN" commands --json --protocol mysql --server "$SRV_IP:3306" >"$dir/cli.json"
jq -c ".[] | select(.errors > 0) | [.command, .requests, .errors]" "$dir/cli.json"
check_eq "errors: the syntax error (OTHER)" 1 "$(jq '[.[] | select(.command == "OTHER") | .errors] | add' "$dir/cli.json")"
check_eq "errors: the unknown table (SELECT)" 1 "$(jq '[.[] | select(.command == "SELECT") | .errors] | add' "$dir/cli.json")"
check_eq "errors in all" 2 "$(jq '[.[] | .errors] | add' "$dir/cli.json")"
check_eq "LOAD DATA LOCAL answered" "1 1" "$(jq -r '.[] | select(.command == "LOAD") | "\(.requests) \(.responses)"' "$dir/cli.json")"

# --- mysqlslap: generated schema, concurrent clients
reset_all
mysqlslap --no-defaults -h "$SRV_IP" -u wl --skip-ssl --concurrency=4 --iterations=2 \
	--auto-generate-sql --auto-generate-sql-load-type=mixed --number-of-queries=400 >/dev/null 2>&1 ||
	fail "mysqlslap"
compare "mysqlslap (4 clients, mixed)" 0

# --- sysbench: prepared statements (COM_STMT_PREPARE / EXECUTE / CLOSE)
reset_all
sb() { sysbench oltp_read_write --db-driver=mysql --mysql-host="$SRV_IP" --mysql-user=wl \
	--mysql-db=sbtest --tables=2 --table-size=2000 "$@"; }
sb prepare >/dev/null 2>&1 || fail "sysbench prepare"
sb --threads=4 --time=5 --db-ps-mode=auto run >"$dir/sb.log" 2>&1 || fail "sysbench run"
compare "sysbench oltp_read_write (4 threads, 5 s, prepared statements)" 0
"$WL_BIN" commands --json --protocol mysql --server "$SRV_IP:3306" >"$dir/sb.json"
# sysbench retries deadlocks (1213) and counts them as "ignored errors"
sb_err=$(sed -n 's/^ *ignored errors: *\([0-9]*\).*/\1/p' "$dir/sb.log")
check_eq "sysbench: errors = sysbench's ignored errors" "$sb_err" "$(jq '[.[] | .errors] | add' "$dir/sb.json")"
check_eq "sysbench: executes counted under their verbs (no COM_STMT_EXECUTE)" 0 \
	"$(jq '[.[] | select(.command == "COM_STMT_EXECUTE") | .requests] | add // 0' "$dir/sb.json")"
srv_exec=$(join <(echo "$base" | sort) <(com_status | sort) | awk '$1 == "Com_stmt_execute" { print $3 - $2 }')
echo "    (server Com_stmt_execute delta: $srv_exec)"

# every request answered (COM_QUIT and COM_STMT_CLOSE have no response)
check_eq "unanswered requests" 0 "$(jq '[.[] | select(.command != "COM_QUIT" and .command != "COM_STMT_CLOSE") | .requests - .responses] | add' "$dir/sb.json")"
check_eq "l7_malformed" 0 "$(counters l7_malformed)"
check_eq "l7_unmatched" 0 "$(counters l7_unmatched)"
"$WL_BIN" commands --protocol mysql | head -30

# --- server-side cursors (mysql/cursor.c): COM_STMT_EXECUTE with CURSOR_TYPE_READ_ONLY is
# answered by definitions + a terminator with SERVER_STATUS_CURSOR_EXISTS and no rows; the rows
# come in answers to COM_STMT_FETCH (3 per fetch here). "api" is libmariadb (EOF packets after
# definitions), "raw" the same conversation spoken with CLIENT_DEPRECATE_EOF (OK terminators,
# one fetch pipelined with a plain execute and a query). Each round also resets a cursor, opens
# one over no rows, executes an UPDATE with the cursor flag and sends one fetch the server
# refuses (unknown statement id). Executes count under their statement's verb (SELECT, UPDATE):
# their sum must equal Com_stmt_execute, since the client executes nothing else.
cursor_rounds=50
srv_delta() { # Com_* variable: its delta from $base to $now
	join <(echo "$base" | sort) <(echo "$now" | sort) | awk -v k="$1" '$1 == k { print $3 - $2 }'
}
wl_req() { jq "[.[] | select(.command == \"$1\") | .requests] | add // 0" "$dir/cursor-$mode.json"; }
gcc -O2 -Wall -Wextra -o "$dir/cursor" "$here/mysql/cursor.c" $(pkg-config --cflags --libs libmariadb) ||
	fail "building mysql/cursor.c"
sql "CREATE TABLE sbtest.cur (id INT PRIMARY KEY, v VARCHAR(32));
	INSERT INTO sbtest.cur SELECT seq, CONCAT('row', seq) FROM sbtest.seq_1_to_7" ||
	fail "cursor table"
for mode in api raw; do
	reset_all
	t0=$SECONDS
	"$dir/cursor" "$mode" "$SRV_IP" wl sbtest "$cursor_rounds" 3 >"$dir/cursor-$mode.out" 2>&1 ||
		fail "cursor client ($mode): $(tail -1 "$dir/cursor-$mode.out")"
	sed 's/^/    /' "$dir/cursor-$mode.out"
	compare "cursors, $mode ($cursor_rounds rounds, $((SECONDS - t0)) s)" 0
	now=$(com_status)
	"$WL_BIN" commands --json --protocol mysql --server "$SRV_IP:3306" >"$dir/cursor-$mode.json"
	for com in fetch reset close prepare; do
		check_eq "cursors, $mode: Com_stmt_$com = wirelens COM_STMT_${com^^}" \
			"$(srv_delta "Com_stmt_$com")" "$(wl_req "COM_STMT_${com^^}")"
	done
	check_eq "cursors, $mode: Com_stmt_execute = wirelens SELECT + UPDATE" \
		"$(srv_delta Com_stmt_execute)" "$(($(wl_req SELECT) + $(wl_req UPDATE)))"
	check_eq "cursors, $mode: errors (one refused fetch a round)" "$cursor_rounds $cursor_rounds" \
		"$(jq -r '[.[] | .errors] | add' "$dir/cursor-$mode.json") $(jq -r '.[] | select(.command == "COM_STMT_FETCH") | .errors' "$dir/cursor-$mode.json")"
	check_eq "cursors, $mode: unanswered requests" 0 \
		"$(jq '[.[] | select(.command != "COM_QUIT" and .command != "COM_STMT_CLOSE") | .requests - .responses] | add' "$dir/cursor-$mode.json")"
	check_eq "cursors, $mode: l7_malformed l7_unmatched" "0 0" "$(counters l7_malformed) $(counters l7_unmatched)"
	"$WL_BIN" commands --protocol mysql | sed 's/^/    /'
done
finish
