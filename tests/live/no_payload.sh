#!/usr/bin/env bash
# No payload leaves the kernel: a canary string sent through real servers as a Redis key and
# value, a memcached key and value, an HTTP header and body (nginx) and SQL literals (MariaDB,
# PostgreSQL), whole and cut across two TCP segments, is then looked for in every map the
# programs use (bpftool map dump by id: pinned or not, hex decoded and text) and in every verb's
# output (plain and --json). The only payload a map may keep after a packet is a message header
# cut by the segment's end (README "No payload leaves the kernel"): the split cases check that
# nothing of the canary stays once the message's next segment came.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v bpftool >/dev/null || { echo "bpftool missing (make deps)"; exit 1; }
setup_pair
TMP=$(mktemp -d /tmp/wl-nopay.XXXXXX)
chmod 755 "$TMP"
on_exit "rm -rf $TMP"
# 16 random letters, one canary per run (looked for in either case: parsers fold names)
CANARY=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 0-9 g-p)

# ---- servers ----
ip netns exec "$NS" redis-server --bind "$SRV_IP" --port 6379 --protected-mode no --save '' \
	--appendonly no --daemonize yes --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log"
on_exit "kill \$(cat $TMP/redis.pid)"
ip netns exec "$NS" memcached -u nobody -l "$SRV_IP" -p 11211 &
on_exit "kill $!"
mkdir -p "$TMP/html" "$TMP/logs"
cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
daemon on;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $TMP/body;
	proxy_temp_path $TMP/proxy;
	fastcgi_temp_path $TMP/fastcgi;
	uwsgi_temp_path $TMP/uwsgi;
	scgi_temp_path $TMP/scgi;
	server { listen $SRV_IP:8080; location / { return 200 "fine\n"; } }
}
EOF
ip netns exec "$NS" nginx -p "$TMP" -c "$TMP/nginx.conf" || { echo "nginx failed"; exit 1; }
on_exit "kill \$(cat $TMP/nginx.pid)"
start_mariadb
start_postgres
for _ in $(seq 50); do redis-cli -h "$SRV_IP" ping >/dev/null 2>&1 && break; sleep 0.1; done

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

# ---- where it must not be ----
# Every map of every program wirelens runs for this interface: the XDP entry, the TC entries,
# and the protocol programs in their program arrays.
prog_ids() {
	ip -d link show "$HOST_IF" | grep -o 'prog/xdp id [0-9]*' | awk '{ print $3 }'
	bpftool -j net show dev "$HOST_IF" | jq -r '.. | objects | select(has("prog_id")) | .prog_id' 2>/dev/null
	bpftool -j net show dev "$HOST_IF" | jq -r '.. | objects | select(has("id") and has("name")) | .id' 2>/dev/null
}
map_ids() {
	local p m
	for p in $(prog_ids | sort -u); do
		bpftool -j prog show id "$p" | jq -r '.map_ids[]?'
	done | sort -u >"$TMP/maps1"
	# the protocol programs, reached by tail call from the program arrays
	for m in $(cat "$TMP/maps1"); do
		[ "$(bpftool -j map show id "$m" | jq -r .type)" = prog_array ] || continue
		for p in $(bpftool -j map dump id "$m" | jq -r '.[] | (.value // .formatted.value) |
			if type == "array" then (map(ltrimstr("0x")) | reverse | join("") | "0x" + .) else . end' 2>/dev/null); do
			bpftool -j prog show id "$((p))" | jq -r '.map_ids[]?'
		done
	done >>"$TMP/maps1"
	for f in $(find "$PIN_DIR" -type f 2>/dev/null); do
		bpftool -j map show pinned "$f" 2>/dev/null | jq -r '.id // empty'
	done >>"$TMP/maps1"
	sort -un "$TMP/maps1"
}
# Every byte string the files hold (map dumps' keys and values, per-CPU values too: hex arrays
# decoded; and the text itself), searched for each needle (comma-separated) in either case.
# Prints where one was found; a find in the dump of map id ALLOW_ID is shown, not counted.
find_canary() { # needles file...
	python3 - "$@" <<'EOF'
import json, os, sys
needles = [n.lower().encode() for n in sys.argv[1].split(",")]
allow, bad = "map dump id %s" % os.environ.get("ALLOW_ID", "none"), 0
def walk(v, hits, where):
    if isinstance(v, list) and v and all(isinstance(x, str) and x.startswith("0x") for x in v):
        b = bytes(int(x, 16) for x in v).lower()
        hits.update((n, where) for n in needles if n in b)
    elif isinstance(v, dict):
        if "command" in v and "output" in v:  # an entry of bpftool batch's output
            where = " ".join(v["command"])
        for x in v.values():
            walk(x, hits, where)
    elif isinstance(v, list):
        for x in v:
            walk(x, hits, where)
for path in sys.argv[2:]:
    data, hits = open(path, "rb").read(), set()
    hits.update((n, "its text") for n in needles if n in data.lower())
    try:
        walk(json.loads(data), hits, "")
    except ValueError:
        pass
    for n, where in sorted(hits):
        if where == allow:
            print("  %s held in %s (allowed)" % (n.decode(), where))
            continue
        print("  %s found in %s: %s" % (n.decode(), path.rsplit("/", 1)[-1], where))
        bad += 1
sys.exit(bad > 0)
EOF
}

# Looks for the canary (or the NEEDLES) in every map and every verb's output:
# sweep LABEL [NEEDLES]. One bpftool batch dumps every map (JSON: hex bytes and BTF-formatted
# fields); the last sweep (FULL=1) also the plain dumps, and the maps no program writes a
# packet's bytes to by construction (the rule tables, 45 MB of JSON, and the port table): the
# test stays short.
sweep() {
	local id name verb json batch=$TMP/batch${FULL:+.full}
	if [ -z "${MAP_IDS:-}" ]; then
		MAP_IDS=$(map_ids)
		bpftool -j map show >"$TMP/maps.json"
		: >"$TMP/batch"
		: >"$TMP/batch.full"
		for id in $MAP_IDS; do
			name=$(jq -r --argjson id "$id" '.[] | select(.id == $id) | .name' "$TMP/maps.json")
			MAP_NAMES="${MAP_NAMES:-} $name"
			[ "$name" = wl_l7_open ] && OPEN_ID=$id
			echo "map dump id $id" >>"$TMP/batch.full"
			case $name in wl_rules | wl_rule_stats | wl_ports) continue ;; esac
			echo "map dump id $id" >>"$TMP/batch"
		done
	fi
	rm -rf "$TMP/dumps" && mkdir "$TMP/dumps"
	bpftool -j batch file "$batch" >"$TMP/dumps/maps.json"
	[ -n "${FULL:-}" ] && bpftool batch file "$TMP/batch" >"$TMP/dumps/maps.txt" # plain: the small ones
	for verb in status flows commands "ports list"; do
		for json in "" --json; do
			"$WL_BIN" $verb $json >"$TMP/dumps/wirelens-${verb% *}$json" 2>&1
		done
	done
	if find_canary "${2:-$CANARY}" "$TMP"/dumps/*; then
		pass "$1: in none of the $(wc -l <"$batch") maps nor any verb's output"
	else
		fail "$1: found (above) in the dumps of $(wc -l <"$batch") maps or the 8 verb outputs"
	fi
}

# ---- traffic, each conversation followed by a sweep ----
# A message cut inside the canary: the first segment is sent, wirelens parses it (its L7 packets
# counter moves: the wait follows it), then the rest. Between the two a map may hold the cut
# message header; after the rest nothing.
# split_send PORT FIRST REST [LABEL]: with LABEL, a sweep for each half of the canary runs
# between the two segments.
split_send() {
	rm -f "$TMP/sent1" "$TMP/go"
	python3 - "$SRV_IP" "$1" "$2" "$3" "$WL_BIN" "$TMP" <<'EOF' &
import json, os, socket, subprocess, sys, time
host, port, a, b, wl, tmp = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
dec = lambda t: t.encode().decode("unicode_escape").encode("latin-1")
def l7():
    return json.loads(subprocess.check_output([wl, "status", "--json"]))["counters"]["l7_packets"]
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
before = l7()
s.sendall(dec(a))
while l7() == before:  # the first segment was parsed
    time.sleep(0.01)
open(tmp + "/sent1", "w").write("sent\n")
while not os.path.exists(tmp + "/go"):
    time.sleep(0.01)
s.sendall(dec(b))
try:
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
except OSError:
    pass  # the server closed first (HTTP Connection: close)
s.close()
EOF
	local pid=$!
	wait_for "$TMP/sent1" sent 600 "$pid" || fail "port $1: the first segment was not parsed"
	[ -n "${4:-}" ] && sweep "$4, between the segments: either half" "$half,$rest"
	touch "$TMP/go"
	wait "$pid"
}
half=${CANARY:0:8} rest=${CANARY:8}

redis-cli -h "$SRV_IP" SET "k$CANARY" "$CANARY" >/dev/null
redis-cli -h "$SRV_IP" GET "k$CANARY" >/dev/null
redis-cli -h "$SRV_IP" "$CANARY" "$CANARY" >/dev/null 2>&1 # an unknown command named like it
sweep "redis: SET k<canary> <canary>, GET, an unknown command named like it"
split_send 6379 "*3\\r\\n\$3\\r\\nSET\\r\\n\$16\\r\\n$half" "$rest\\r\\n\$16\\r\\n$CANARY\\r\\n" "redis: key cut"
split_send 6379 "*3\\r\\n\$3\\r\\nSET\\r\\n\$1\\r\\nx\\r\\n\$16\\r\\n$half" "$rest\\r\\n" "redis: value cut"

printf 'set m%s 0 0 16\r\n%s\r\nget m%s\r\n' "$CANARY" "$CANARY" "$CANARY" |
	nc -q 2 "$SRV_IP" 11211 >/dev/null
sweep "memcached: set and get of key m<canary>, value <canary>"
# a text token cut by the segment's end: its first 8 bytes are kept until the line goes on
ALLOW_ID=$OPEN_ID split_send 11211 "set $half" "$rest 0 0 1\\r\\nx\\r\\n" "memcached: key cut"

curl -s -o /dev/null -H "X-$CANARY: $CANARY" --data-binary "body=$CANARY" "http://$SRV_IP:8080/$CANARY"
sweep "http: canary as path, header name and value, body"
# a header name cut: kept (lower-cased, up to 23 bytes) until the line goes on
ALLOW_ID=$OPEN_ID split_send 8080 "POST / HTTP/1.1\\r\\nHost: x\\r\\nX-$half" "$rest: 1\\r\\nContent-Length: 16\\r\\nConnection: close\\r\\n\\r\\n$CANARY" "http: header name cut"
split_send 8080 "POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 16\\r\\nConnection: close\\r\\n\\r\\n$half" "$rest" "http: body cut"

mariadb --no-defaults -h "$SRV_IP" -u wl -N -B sbtest \
	-e "CREATE TABLE t (v VARCHAR(64)); INSERT INTO t VALUES ('$CANARY'); SELECT v FROM t WHERE v = '$CANARY'; SELECT '$CANARY'" >/dev/null
sweep "mysql: the canary as a literal inserted and selected"
psql -h "$SRV_IP" -U postgres -d postgres -Atq -c "SELECT '$CANARY' AS $CANARY" >/dev/null
sweep "postgresql: the canary as a literal and a column name"
FULL=1 sweep "all conversations over (the cut tokens too)"
for m in wl_l7_scratch wl_conns wl_aux wl_cmd_stats wl_flows wl_counters; do
	case " $MAP_NAMES " in *" $m "*) ;; *) fail "$m is not among the maps dumped: $MAP_NAMES" ;; esac
done
echo "maps dumped: $MAP_NAMES"

# The traffic above was seen: otherwise nothing could have leaked.
for p in redis memcached http mysql postgresql; do
	r=$("$WL_BIN" commands --json --protocol "$p" | jq '[.[].requests] | add // 0')
	[ "$r" -gt 0 ] && pass "$p: $r requests counted" || fail "$p: no request counted"
done
finish
