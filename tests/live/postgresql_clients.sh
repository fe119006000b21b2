#!/usr/bin/env bash
# PostgreSQL from real client libraries (npm, tests/live/node): postgres.js and node-postgres
# against a real PostgreSQL 15 in the namespace (the setup of postgresql.sh), wirelens on the
# host end of the veth. postgres.js describes a query with parameters first (Parse, Describe,
# Flush; Bind, Execute, Sync once it has the types), so a failing Parse is answered before any
# Sync: one connection with 40 parameterised selects in flight then the failing
# "select * from nope where id = $1" (after them, queued behind them, and behind 40 pipelined
# Bind/Execute/Sync of the statement once prepared), a statement
# described and never run, a transaction with a failure then refused statements (25P02: Bind
# of a prepared one, Parse of new ones, in flight together too) then ROLLBACK; node-postgres
# text, unnamed extended and named prepared queries, failing ones, the same transaction.
# Compared per verb, "VERB completed failed", three ways, with zero difference allowed:
#   server:   pg_stat_statements calls (read over the unix socket, not on the wire) and the
#             ERROR entries of the server's log (log_min_error_statement: the STATEMENT line
#             that ends each, after its DETAIL or HINT, names the statement; its first keyword
#             is the verb);
#   clients:  what the script saw resolve and reject (pg_clients.js, every statement it sent);
#   wirelens: requests - errors and errors, and requests == responses.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
node_clients || exit 1
setup_pair
start_postgres -c log_min_error_statement=error

# over the unix socket: not on the wire
sql() { psql -X -h "$dir" -U postgres -d "${2:-wl}" -At -q -c "$1"; }
sql "create database wl" postgres || { fail "create database"; finish; exit 1; }
sql "create extension pg_stat_statements" || { fail "pg_stat_statements"; finish; exit 1; }
sql "create table t (id int primary key, v text); insert into t select i, 'v' || i from generate_series(0, 49) i" ||
	{ fail "create table"; finish; exit 1; }

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

# the first keyword of a statement, upper-cased, mapped to its command tag's word
verb_awk='function verb(q) { gsub(/\/\*([^*]|\*[^\/])*\*\/|--[^\n]*/, "", q); sub(/^[[:space:](]*/, "", q)
	match(q, /^[A-Za-z]+/); v = toupper(substr(q, 1, RLENGTH))
	return v == "END" ? "COMMIT" : v == "ABORT" ? "ROLLBACK" : (v == "VALUES" || v == "TABLE") ? "SELECT" : v }'

# "VERB completed failed" from the server: pg_stat_statements calls; ERROR lines of the log
# written since the reset (each followed by the STATEMENT it refused)
log_from=1
server_stats() {
	{
		sql "select 'C', calls, regexp_replace(query, '\s+', ' ', 'g') from pg_stat_statements
		     where query not like '%pg\_stat%'" | sed 's/|/ /; s/|/ /'
		tail -n +"$log_from" "$dir/server.log" | awk '
			/ ERROR: / { err = 1; next }
			err && / STATEMENT: / { sub(/.*STATEMENT: +/, ""); print "E", 1, $0; err = 0; next }
			/ (LOG|WARNING|FATAL|PANIC|NOTICE|INFO|DEBUG[1-5]?): / { err = 0 }'
	} | awk "$verb_awk"'
	{ k = $1; n = $2; $1 = $2 = ""; v = verb($0); if (k == "C") c[v] += n; else e[v] += n; s[v] = 1 }
	END { for (v in s) if (c[v] + e[v]) printf "%s %d %d\n", v, c[v], e[v] }' | sort
}
wl_stats() {
	"$WL_BIN" commands --json --protocol postgresql --server "$SRV_IP:5432" |
		jq -r '.[] | "\(.command) \(.requests - .errors) \(.errors)"' | sort
}
counter() { "$WL_BIN" status --json | jq -r ".counters.$1 // 0"; }

reset_all() {
	sql "select pg_stat_statements_reset()" >/dev/null
	log_from=$(($(wc -l <"$dir/server.log") + 1))
	"$WL_BIN" reset
}

compare() { # label clients-file
	local label=$1 server wl clients
	server=$(server_stats)
	wl=$(wl_stats)
	clients=$(sort "$2")
	if [ "$server" = "$wl" ] && [ "$clients" = "$wl" ]; then
		pass "$label: per verb (completed, failed) wirelens == pg_stat_statements calls + server log ERRORs == client outcomes: $(echo "$wl" | tr '\n' ',' | sed 's/,$//')"
	else
		fail "$label: per-verb counts differ"
		echo "  verb completed failed: server | clients | wirelens"
		join -a1 -a2 -e- -o 0,1.2,1.3,2.2,2.3 <(echo "$server") <(echo "$clients") |
			join -a1 -a2 -e- -o 0,1.2,1.3,1.4,1.5,2.2,2.3 - <(echo "$wl") | sed 's/^/  /'
	fi
	check_eq "$label: requests == responses" \
		"$("$WL_BIN" commands --json --protocol postgresql --server "$SRV_IP:5432" | jq '[.[].requests] | add // 0')" \
		"$("$WL_BIN" commands --json --protocol postgresql --server "$SRV_IP:5432" | jq '[.[].responses] | add // 0')"
	for k in l7_unmatched l7_malformed l7_resync_skip l7_fifo_overflow; do
		check_eq "$label: $k" 0 "$(counter $k)"
	done
}

for lib in pgjs pg; do
	reset_all
	node "$here/node/pg_clients.js" "$SRV_IP" "$lib" >"$dir/$lib.out" 2>"$dir/$lib.err" ||
		{ fail "$lib client"; tail -5 "$dir/$lib.err"; }
	name=$([ "$lib" = pg ] && echo "node-postgres" || echo "postgres.js")
	compare "$name" "$dir/$lib.out"
done
"$WL_BIN" commands --protocol postgresql
finish
