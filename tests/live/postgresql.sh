#!/usr/bin/env bash
# PostgreSQL accuracy: a real PostgreSQL 15 in the namespace (initdb in a temp dir as the
# postgres user, unix socket in that dir, TCP on $SRV_IP only, no TLS, trust for
# 198.18.0.0/15 only, pg_stat_statements loaded), real clients on the host over TCP (psql with a
# failing statement and multi-statement strings, pgbench -i, pgbench -M simple / extended /
# prepared), wirelens attached to the host end of the veth.
# wirelens counts one request per statement the server reports on (CommandComplete or
# ErrorResponse). pg_stat_statements counts the statements that completed (calls), so per verb:
#   wirelens requests - errors == sum(calls) of pg_stat_statements (read over the unix socket,
#   so the reading is not on the wire), and wirelens errors == the failures the clients saw.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_postgres

# over the unix socket: not on the wire
sql() { psql -X -h "$dir" -U postgres -d "${2:-wl}" -At -q -c "$1"; }
sql "create database wl" postgres || { fail "create database"; finish; exit 1; }
sql "create extension pg_stat_statements" || { fail "pg_stat_statements"; finish; exit 1; }

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

# The statements every completed call of pg_stat_statements counts, per first keyword; the
# keywords whose command tag is another word are mapped to the tag (END -> COMMIT ...).
# The readings and resets themselves mention pg_stat and are left out.
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

wl_json() { "$WL_BIN" commands --json --protocol postgresql --server "$SRV_IP:5432"; }

compare() { # label expected-errors ["VERB count" lines replacing the server's figure]
	local label=$1 want_err=$2 server wl errs
	server=$(server_verbs)
	if [ -n "${3:-}" ]; then
		server=$( (echo "$3" | sed 's/^/o /'; echo "$server" | sed 's/^/s /') |
			awk '$1 == "o" { o[$2] = $3; next } !($2 in o) { print $2, $3 } END { for (v in o) print v, o[v] }' | sort)
	fi
	wl=$(wl_json | jq -r '.[] | select(.requests - .errors > 0) |
		"\(.command) \(.requests - .errors)"' | sort)
	errs=$(wl_json | jq '[.[].errors] | add // 0')
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$label: completed statements per verb equal pg_stat_statements calls ($(echo "$server" | tr '\n' ' '))"
	else
		fail "$label: per-verb counts differ (< pg_stat_statements, > wirelens)"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
	check_eq "$label: errors" "$want_err" "$errs"
	# every request answered, nothing unmatched or malformed
	check_eq "$label: requests == responses" \
		"$(wl_json | jq '[.[].requests] | add // 0')" "$(wl_json | jq '[.[].responses] | add // 0')"
}

reset_all() {
	sql "select pg_stat_statements_reset()" >/dev/null
	"$WL_BIN" reset
}

counters() { "$WL_BIN" status | grep -E '^  l7_(malformed|unmatched|resync_skip|gap) ' | tr -s ' '; }

# ---- psql: statements one by one, failures, multi-statement strings
reset_all
{
	psql -X -h "$SRV_IP" -U postgres -d wl -v ON_ERROR_STOP=0 <<'EOF'
create table t (id int primary key, v text);
insert into t values (1, 'a'), (2, 'b');
select * from t order by id;
update t set v = 'c' where id = 1;
insert into t values (1, 'duplicate');
select * from nope;
selec 1;
/* a comment first */ delete from t where id = 2;
begin;
insert into t values (3, 'x');
savepoint s1;
rollback to savepoint s1;
commit;
show work_mem;
set work_mem = '8MB';
values (1), (2);
copy t to stdout;
truncate t;
vacuum analyze t;
alter table t add column w int;
drop table if exists nope;
EOF
	psql -X -h "$SRV_IP" -U postgres -d wl -c "begin; insert into t values (10, 'a'); update t set v = 'b'; select count(*) from t; commit"
	psql -X -h "$SRV_IP" -U postgres -d wl -c "insert into t values (11, 'a'); select * from nope; delete from t"
	printf '20\tx\t1\n21\ty\t2\n' | psql -X -h "$SRV_IP" -U postgres -d wl -c "copy t from stdin"
	psql -X -h "$SRV_IP" -U postgres -d wl -c "drop table t"
} >/dev/null 2>&1
# failures: duplicate key, unknown table, syntax error, unknown table in a multi-statement string
compare "psql" 4
counters

# ---- pgbench
reset_all
pgbench -h "$SRV_IP" -U postgres -i -s 1 -q wl >/dev/null 2>&1 || fail "pgbench -i"
compare "pgbench -i (COPY, DDL, VACUUM)" 0

for mode in simple extended prepared; do
	reset_all
	pgbench -h "$SRV_IP" -U postgres -M "$mode" -c 4 -j 2 -t 250 wl >"$dir/pgbench.log" 2>&1 ||
		{ fail "pgbench -M $mode"; tail -3 "$dir/pgbench.log"; }
	tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$dir/pgbench.log")
	if [ "$mode" = prepared ]; then
		# pg_stat_statements 1.10 counts a utility statement run from a named prepared
		# statement only at its first execution per connection (4 BEGIN, 4 END here): each
		# of pgbench's transactions is one BEGIN and one END (pgbench's own count)
		compare "pgbench -M $mode, 4 clients x 250 transactions" 0 "$(printf 'BEGIN %s\nCOMMIT %s' "$tx" "$tx")"
	else
		compare "pgbench -M $mode, 4 clients x 250 transactions" 0
	fi
	check_eq "pgbench -M $mode: BEGIN == transactions processed" "$tx" \
		"$(wl_json | jq '[.[] | select(.command == "BEGIN") | .requests] | add')"
done
# a select-only run with 8 clients, prepared
reset_all
pgbench -h "$SRV_IP" -U postgres -M prepared -S -c 8 -j 2 -t 500 wl >/dev/null 2>&1 ||
	fail "pgbench -S"
compare "pgbench -S -M prepared, 8 clients x 500" 0

counters
c=$(counters)
check_eq "malformed" 0 "$(echo "$c" | awk '$1 == "l7_malformed" { print $2 }')"
check_eq "unmatched" 0 "$(echo "$c" | awk '$1 == "l7_unmatched" { print $2 }')"
"$WL_BIN" commands --protocol postgresql
finish
