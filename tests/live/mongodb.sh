#!/usr/bin/env bash
# MongoDB accuracy. Debian ships no mongod: a minimal OP_MSG server (mongodb/responder.py) runs in
# the namespace on $SRV_IP:27017 and counts, per command name, the requests it received and the
# ok: 0 replies it sent. Real libmongoc clients (mongodb/client.c) run on the host: a single
# client (handshake, CRUD, document sequences, unacknowledged writes, failing commands, 300 KB
# requests and 200 KB replies), then a client pool (its own server monitoring: streaming awaitable
# hello with moreToCome replies, RTT hellos). Every command's requests and errors in
# `wirelens commands` must equal the responder's counts (names outside loader/names/mongodb.h
# as OTHER), with zero difference; every acknowledged request must have its response.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
bin=$(mktemp -d "/tmp/$NS-mongodb.XXXXXX")
on_exit "rm -rf $bin"
gcc -O2 -Wall -Wextra -o "$bin/client" "$here/mongodb/client.c" \
	$(pkg-config --cflags --libs libmongoc-1.0) -lpthread ||
	{ fail "building the client"; finish; exit 1; }

ip netns exec "$NS" python3 "$here/mongodb/responder.py" "$SRV_IP" 27017 "$bin/counts" \
	>"$bin/ready" 2>"$bin/responder.log" &
resp_pid=$!
on_exit "kill $resp_pid"
for _ in $(seq 50); do [ -s "$bin/ready" ] && break; sleep 0.1; done
[ -s "$bin/ready" ] || { fail "responder did not start: $(cat "$bin/responder.log")"; finish; exit 1; }

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }
"$WL_BIN" reset

# the names wirelens can report; anything else is OTHER
names=$(sed -n 's/^\t"\([^"]*\)",$/\1/p' "$here/../../loader/names/mongodb.h")

responder_counts() { # "name requests errors", summed per reported name
	rm -f "$bin/counts"
	kill -USR1 "$resp_pid" # written once every connection is closed
	for _ in $(seq 100); do [ -s "$bin/counts" ] && break; sleep 0.1; done
	awk -v names="$names" 'BEGIN { n = split(names, a, "\n"); for (i = 1; i <= n; i++) known[a[i]] = 1 }
		{ k = ($1 in known) ? $1 : "OTHER"; r[k] += $2; e[k] += $3 }
		END { for (k in r) print k, r[k], e[k] }' "$bin/counts" | sort
}

wl_json() { "$WL_BIN" commands --json --protocol mongodb --server "$SRV_IP:27017"; }

compare() { # label
	local label=$1 theirs ours
	theirs=$(responder_counts)
	ours=$(wl_json | jq -r '.[] | "\(.command) \(.requests) \(.errors)"' | sort)
	if [ -n "$theirs" ] && [ "$theirs" = "$ours" ]; then
		pass "$label: every command's requests and errors equal the server's ($(echo "$ours" | tr '\n' ',' | sed 's/,$//'))"
	else
		fail "$label: counts differ (server | wirelens)"
		diff <(echo "$theirs") <(echo "$ours") | head -20
	fi
}

rounds=200
t0=$SECONDS
"$bin/client" single "mongodb://$SRV_IP:27017/?directConnection=true&serverSelectionTryOnce=true" \
	"$rounds" 2>"$bin/single.log" || { fail "single client: $(head -5 "$bin/single.log")"; }
compare "single client, $rounds rounds ($((SECONDS - t0)) s)"
# unacknowledged inserts (moreToCome) get no reply; every other request has exactly one
check_eq "single client: insert responses (requests - $rounds unacknowledged)" \
	"$(wl_json | jq -r ".[] | select(.command == \"insert\") | .requests - $rounds")" \
	"$(wl_json | jq -r '.[] | select(.command == "insert") | .responses')"
check_eq "single client: commands other than insert with requests != responses" 0 \
	"$(wl_json | jq -r '[.[] | select(.command != "insert" and .requests != .responses)] | length')"

t0=$SECONDS
"$bin/client" pool "mongodb://$SRV_IP:27017/?directConnection=true&heartbeatFrequencyMS=500" 4 200 \
	2>"$bin/pool.log" || { fail "client pool: $(head -5 "$bin/pool.log")"; }
# counts are cumulative on both sides: the comparison covers both runs
compare "single client + pool of 4 threads x 200 rounds ($((SECONDS - t0)) s)"
# the pool's monitor streams hello replies (moreToCome): more hello responses than requests
streamed=$(wl_json | jq -r '.[] | select(.command == "hello") | .responses - .requests')
if [ "${streamed:-0}" -gt 0 ]; then
	pass "streaming hello: $streamed more replies than requests (exhaust chain followed)"
else
	fail "streaming hello: no extra replies seen ($streamed)"
fi
check_eq "commands other than insert and hello with requests != responses" 0 \
	"$(wl_json | jq -r '[.[] | select(.command != "insert" and .command != "hello" and .requests != .responses)] | length')"

st=$("$WL_BIN" status --json)
for c in l7_malformed l7_unmatched l7_gap l7_resync_skip l7_fifo_overflow l7_conn_full; do
	check_eq "$c" 0 "$(echo "$st" | jq -r ".counters.$c")"
done
"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
"$WL_BIN" commands --protocol mongodb
finish
