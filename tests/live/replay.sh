#!/usr/bin/env bash
# `wirelens replay`: its errors and help, and a capture of a live Redis workload (tcpdump on the
# host end of the veth, its own drop count checked) replayed through XDP and TC: every command's
# requests and errors equal the server's INFO commandstats, as `commands` does live (redis.sh).
# The shared captures through `replay --json` are the CUnit suite "replay" (test_replay.c).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d "/tmp/$NS-replay.XXXXXX")
on_exit "rm -rf $tmp"

# ---- the CLI: help, bad input (one line, non-zero, nothing left anywhere) ----
"$WL_BIN" replay --help >"$tmp/help" && grep -q '^usage: wirelens replay' "$tmp/help" &&
	grep -q -- '--hook xdp|tc' "$tmp/help" && pass "replay --help" || fail "replay --help"
check_bad "missing file" "no-such.pcap" "$WL_BIN" replay "$tmp/no-such.pcap"
printf 'not a capture at all, just text\n' >"$tmp/text.pcap"
check_bad "not a capture" "text.pcap" "$WL_BIN" replay "$tmp/text.pcap"
# a pcap of link type 105 (802.11): a valid file the programs cannot take
python3 -c 'import struct,sys; open(sys.argv[1],"wb").write(struct.pack("<IHHiIII",0xa1b2c3d4,2,4,0,0,65535,105)+struct.pack("<IIII",0,0,4,4)+b"abcd")' "$tmp/wifi.pcap"
check_bad "unknown link type" "link type 105 .* not supported" "$WL_BIN" replay "$tmp/wifi.pcap"
check_bad "bad --hook" "--hook" "$WL_BIN" replay --hook egress "$tmp/wifi.pcap"
check_bad "bad --port" "--port" "$WL_BIN" replay --port redis=0 "$tmp/wifi.pcap"
check_bad "no file" "needs a capture" "$WL_BIN" replay --json
[ ! -e "$WIRELENS_PIN_ROOT" ] && pass "nothing pinned by replay" || fail "replay left $WIRELENS_PIN_ROOT"

# ---- a live Redis workload, captured ----
setup_pair
ip netns exec "$NS" redis-server --bind "$SRV_IP" --port 6379 --protected-mode no --save '' \
	--appendonly no --daemonize yes --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"
on_exit "kill \$(cat $tmp/redis.pid)"
for _ in $(seq 50); do redis-cli -h "$SRV_IP" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null || { fail "redis-server not up"; finish; exit 1; }

# Frames as they are on the wire, both ways (no TSO/GSO super-packets crossing the veth: TC
# test_run takes about a page).
ethtool -K "$HOST_IF" tso off gso off >/dev/null 2>&1
ip netns exec "$NS" ethtool -K "$PEER_IF" tso off gso off >/dev/null 2>&1
# The capture is the reference only when it lost nothing: a 64 MB buffer, its own drop count.
tcpdump -i "$HOST_IF" -n -U -B 65536 -w "$tmp/redis.pcap" 'tcp port 6379' 2>"$tmp/tcpdump.log" & dump=$!
wait_for "$tmp/tcpdump.log" "listening on" 6000 $dump || fail "tcpdump did not start"
redis-benchmark -h "$SRV_IP" -n 1000 -c 4 -P 1 -t set,get,incr,lpush,lpop,hset,sadd,mset -q >/dev/null
redis-benchmark -h "$SRV_IP" -n 10000 -c 8 -P 16 -t set,get,incr,rpush,rpop,zadd -q >/dev/null
redis-benchmark -h "$SRV_IP" -n 200 -c 2 -P 4 -d 10240 -t set,get -q >/dev/null # values across segments
{
	redis-cli -h "$SRV_IP" set k1 v1
	redis-cli -h "$SRV_IP" lpush k1 x # WRONGTYPE: failed call
	redis-cli -h "$SRV_IP" get        # wrong arity: rejected call
	printf 'MULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\n' | redis-cli -h "$SRV_IP"
} >/dev/null 2>&1
# Stop tcpdump once the capture holds the last command and its reply: what it has not read when
# stopped would be neither captured nor counted as dropped.
marker="wl-end-$$"
redis-cli -h "$SRV_IP" ECHO "$marker" >/dev/null
for ((i = 0; i < 6000; i++)); do
	[ "$(tcpdump -r "$tmp/redis.pcap" -nn -A 2>/dev/null | grep -c "$marker")" -ge 2 ] && break
	kill -0 $dump 2>/dev/null || break
	sleep 0.3
done
kill -INT $dump
wait $dump 2>/dev/null
dropped=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' "$tmp/tcpdump.log")
check_eq "tcpdump lost nothing (its own drop count)" 0 "${dropped:-missing}"

# The server's own counts: calls + rejected calls, failed + rejected calls, per command.
server=$(redis-cli -h "$SRV_IP" INFO commandstats | tr -d '\r' |
	sed -n 's/^cmdstat_\([^:]*\):calls=\([0-9]*\),.*rejected_calls=\([0-9]*\),failed_calls=\([0-9]*\)/\1 \2 \3 \4/p' |
	awk '{ printf "%s %d %d\n", toupper($1), $2 + $3, $3 + $4 }' |
	grep -v -e '^INFO ' -e '^CONFIG|RESETSTAT ' | sort)
[ "$(echo "$server" | wc -l)" -ge 10 ] || fail "the workload left too few commands: $server"

for hook in xdp tc; do
	t0=$SECONDS
	if ! "$WL_BIN" replay --json --hook "$hook" "$tmp/redis.pcap" >"$tmp/$hook.json" 2>"$tmp/$hook.err"; then
		fail "replay --hook $hook: $(head -3 "$tmp/$hook.err")"
		continue
	fi
	jq -r '.files[0] | "   \(.frames) frames, \(.run) run, \(.too_big) too big, \(.unsupported) not IP"' "$tmp/$hook.json"
	check_eq "$hook: every frame run" "$(jq '.files[0].frames' "$tmp/$hook.json")" "$(jq '.files[0].run' "$tmp/$hook.json")"
	wl=$(jq -r --arg s "$SRV_IP:6379" '.commands[] | select(.protocol == "redis" and .server == $s) |
		"\(.command) \(.requests) \(.errors)"' "$tmp/$hook.json" | sort)
	if [ "$server" = "$wl" ]; then
		pass "$hook replay: every command's requests and errors equal INFO commandstats ($(echo "$server" | wc -l) commands, $((SECONDS - t0)) s)"
	else
		fail "$hook replay: commandstats differ"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
	check_eq "$hook: nothing unmatched or malformed" "0 0" \
		"$(jq -r '.counters | "\(.l7_unmatched) \(.l7_malformed)"' "$tmp/$hook.json")"
	check_eq "$hook: latency not claimed" "null" "$(jq -c '[.commands[].latency] | unique | .[0]' "$tmp/$hook.json")"
done

# The same frames under the other link types (Linux cooked SLL and SLL2, raw IP, BSD loopback),
# written from the Ethernet capture: the synthetic Ethernet header makes each count exactly as
# the Ethernet capture does (flows with their L2 bytes, every command).
python3 - "$tmp/redis.pcap" "$tmp" <<'PY'
import struct, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
magic = data[:4]
end = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
recs, off = [], 24
while off + 16 <= len(data):
    ts1, ts2, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
    recs.append((ts1, ts2, data[off + 16:off + 16 + incl], orig))
    off += 16 + incl
def write(name, linktype, header):
    with open(f"{out}/{name}.pcap", "wb") as f:
        f.write(magic + data[4:20] + struct.pack(end + "I", linktype))
        for ts1, ts2, frame, orig in recs:
            body = header(frame) + frame[14:]
            f.write(struct.pack(end + "IIII", ts1, ts2, len(body), orig - len(frame) + len(body)))
            f.write(body)
etype = lambda fr: fr[12:14]
write("sll", 113, lambda fr: struct.pack(">HHH", 0, 1, 6) + fr[6:12] + b"\0\0" + etype(fr))
write("sll2", 276, lambda fr: etype(fr) + b"\0\0" + struct.pack(">IHBB", 2, 1, 0, 6) + fr[6:12] + b"\0\0")
write("raw", 101, lambda fr: b"")
write("null", 0, lambda fr: struct.pack("=I", 2 if etype(fr) == b"\x08\x00" else 10))
PY
if "$WL_BIN" replay --json --each "$tmp/sll.pcap" "$tmp/sll2.pcap" "$tmp/raw.pcap" "$tmp/null.pcap" >"$tmp/linktypes.json"; then
	view='{flows: (.flows | map({src, dst, sport, dport, packets, bytes}) | sort_by(.src, .sport, .dst, .dport)), commands: (.commands | map(del(.latency)) | sort_by(.command))}'
	want=$(jq -c "$view" "$tmp/xdp.json")
	for i in 0 1 2 3; do
		lt=$(jq -r ".[$i].files[0] | \"\(.link_type) (\(.rewritten) of \(.frames) rewritten)\"" "$tmp/linktypes.json")
		got=$(jq -c ".[$i] | $view" "$tmp/linktypes.json")
		[ -n "$want" ] && [ "$got" = "$want" ] && pass "link type $lt: flows and commands = the Ethernet capture's" ||
			fail "link type $lt: differs from the Ethernet capture"
	done
else
	fail "replay of the SLL, SLL2, raw and null captures"
fi

# The text view: the tables of `flows` and `commands`, their headers as live.
"$WL_BIN" replay "$tmp/redis.pcap" >"$tmp/text" 2>&1
grep -q '^IFACE  *VLAN  *PROTO' "$tmp/text" && grep -q '^PROTOCOL  *SERVER  *COMMAND' "$tmp/text" &&
	grep -qE "^redis  +$SRV_IP:6379 +SET " "$tmp/text" && pass "text output: flows and commands tables" ||
	{ fail "text output"; head -20 "$tmp/text"; }
[ ! -e "$WIRELENS_PIN_ROOT" ] && pass "nothing pinned by replay" || fail "replay left $WIRELENS_PIN_ROOT"
finish
