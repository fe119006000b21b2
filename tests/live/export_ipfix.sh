#!/usr/bin/env bash
# `wirelens export --ipfix`: a real collector (nfcapd, from nfdump) receives the export; `nfdump
# -r` must show the flows of known streams with their exact packet and octet counts (IPFIX
# octets: IP header + payload), ended by the idle timeout, by the active timeout (a long stream
# in several records that add up), and by SIGTERM (forced end). The same process serves
# Prometheus too: both exporters in one process. Then the per-command records (enterprise
# template) of a Redis workload, read by a second consumer on libfixbuf's collecting side
# (tests/tools/ipfix_print.c), must equal `commands --json`.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
PRINT=${WL_BUILD:-$(dirname "$WL_BIN")}/ipfix_print
[ -x "$PRINT" ] || { echo "FAIL: $PRINT missing (make check-build)"; exit 1; }
for t in nfcapd nfdump curl jq python3 redis-server redis-benchmark; do
	command -v $t >/dev/null || { echo "FAIL: $t missing (make deps)"; exit 1; }
done
dir=$(mktemp -d "/tmp/$NS-ipfix.XXXXXX")
on_exit "rm -rf $dir"
free_port() { # TCP or UDP
	python3 -c 'import socket, sys; s = socket.socket(type=socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
COL_PORT=$(free_port udp)
EXP_PORT=$(free_port tcp)
setup_pair
"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }

mkdir "$dir/flows"
# -E: nfcapd prints each record it decodes (line-buffered: the test follows it)
stdbuf -oL nfcapd -E -w "$dir/flows" -b 127.0.0.1 -p "$COL_PORT" -t 3600 >"$dir/nfcapd.log" 2>&1 &
NFCAPD=$!
on_exit "kill $NFCAPD"
wait_for "$dir/nfcapd.log" "^Startup nfcapd" 100 $NFCAPD || { fail "nfcapd did not start"; cat "$dir/nfcapd.log"; finish; exit 1; }

"$WL_BIN" export --ipfix "127.0.0.1:$COL_PORT" --interval 1 --idle-timeout 1 --active-timeout 2 \
	--prometheus "127.0.0.1:$EXP_PORT" --verbose >"$dir/export.log" 2>&1 &
EXP_PID=$!
on_exit "kill $EXP_PID"
wait_for "$dir/export.log" "^exporting until" 100 $EXP_PID || { fail "exporter did not start"; cat "$dir/export.log"; finish; exit 1; }

# send SRC_PORT DST COUNT PAYLOAD [GAP_S]: COUNT UDP datagrams of PAYLOAD bytes to DST:9999 (the
# sender's count, checked: sendto returns the size every time)
send() {
	python3 - "$@" <<'PY'
import socket, sys, time
sport, dst, count, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
gap = float(sys.argv[5]) if len(sys.argv) > 5 else 0
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind(("", sport))
for i in range(count):
    assert s.sendto(b"x" * size, (dst, 9999)) == size
    if gap:
        time.sleep(gap)
PY
}
# a sink in the namespace, so that no ICMP port unreachable comes back
ip netns exec "$NS" python3 -c '
import socket, select
socks = []
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 9999)); socks.append(s)
while True:
    for s in select.select(socks, [], [])[0]:
        s.recv(65536)
' &
on_exit "kill $!"

# Expected records: "src sport dst dport packets octets" (octets: IPv4 20 + UDP 8 + payload, IPv6 40 + 8)
T0=$(date +%s)
send 40001 "$SRV_IP" 50 300                 # ends idle
send 40002 "$SRV_IP6" 30 500                # ends idle
send 40003 "$SRV_IP" 100 200 0.05 &         # ~5 s: several records (active timeout 2 s), then idle
LONG=$!
want_idle=$(printf '%s\n' "$HOST_IP 40001 $SRV_IP 9999 50 $((50 * 328))" "$HOST_IP6 40002 $SRV_IP6 9999 30 $((30 * 548))")
wait $LONG
want_long="$HOST_IP 40003 $SRV_IP 9999 100 $((100 * 228))"

# What nfcapd decoded (-E), per source port: "sport packets octets reasons" (flowEndReason codes of
# its records in order, e.g. 2,2,1). The waits follow it: until a stream's packets all arrived.
# A fifth column: the TCP flags of its records, or'ed (nfcapd prints them as 0xHH).
decoded() {
	awk 'function hex(h,  v, i) { v = 0; for (i = 3; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", tolower(substr(h, i, 1))) - 1; return v }
		function bitor(a, b,  r, bit) { r = 0; for (bit = 1; bit < 256; bit *= 2) if (int(a / bit) % 2 || int(b / bit) % 2) r += bit; return r }
		/^Flow Record:/ { sp = ""; fl = 0 } $1 == "src" && $2 == "port" { sp = $4 }
		$1 == "in" && $2 == "packets" { pk = $4 } $1 == "in" && $2 == "bytes" { by = $4 }
		$1 == "tcp" && $2 == "flags" { fl = hex($4) }
		$1 == "end" && $2 == "reason" { er = hex($4) }
		$1 == "ip" && $2 == "exporter" && sp != "" { p[sp] += pk; b[sp] += by; f[sp] = bitor(f[sp], fl); r[sp] = r[sp] (r[sp] == "" ? "" : ",") er }
		END { for (s in p) print s, p[s], b[s], r[s], f[s] }' "$dir/nfcapd.log" | sort
}
wait_decoded() { # SPORT PACKETS: until nfcapd decoded that many packets of the stream (bounded)
	for _ in $(seq 200); do
		[ "$(decoded | awk -v s="$1" '$1 == s { print $2 }')" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_decoded 40001 50 && wait_decoded 40002 30 && wait_decoded 40003 100 ||
	fail "nfcapd did not receive every stream: $(decoded | tr '\n' ';')"
reasons() { decoded | awk -v s="$1" '$1 == s { print $4 }'; }
check_eq "flowEndReason of the short streams (1: idle timeout)" "1 1" "$(reasons 40001) $(reasons 40002)"
r=$(reasons 40003)
[[ "$r" =~ ^2(,2)*,1$ ]] && pass "flowEndReason of the long stream: active timeouts, then idle ($r)" ||
	fail "flowEndReason of the long stream: '$r' (expected 2,...,1)"

# A TCP transfer (100 kB, closed by the client): its records end 'end of flow detected' (3) after
# the FIN, carry SYN and FIN in tcpControlBits, and add up to the flow table's packets and
# octets (bytes less 14 per packet) for the client's direction.
ip netns exec "$NS" python3 -c '
import socket
s = socket.socket(); s.bind(("'"$SRV_IP"'", 9998)); s.listen(1)
c, _ = s.accept()
while c.recv(65536): pass
c.close()' &
TCP_SRV=$!
on_exit "kill $TCP_SRV"
python3 - "$SRV_IP" <<'PY'
import socket, sys, time
for _ in range(50):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # an earlier run's TIME_WAIT
    s.bind(("", 40005))
    try:
        s.connect((sys.argv[1], 9998)); break
    except ConnectionRefusedError:
        s.close(); time.sleep(0.1)
s.sendall(b"y" * 100000); s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
s.close()
PY
tcp_ok=
for _ in $(seq 100); do
	want=$("$WL_BIN" flows --json | jq -r '.[] | select(.sport == 40005) | "\(.packets) \(.bytes - 14 * .packets)"')
	got=$(decoded | awk '$1 == 40005 { print $2, $3 }')
	[ -n "$want" ] && [ "$got" = "$want" ] && { tcp_ok=1; break; }
	sleep 0.1
done
[ -n "$tcp_ok" ] && pass "TCP transfer: nfcapd's packets and octets = flows --json ($want)" ||
	fail "TCP transfer: nfcapd has '$got', flows --json '$want'"
r=$(reasons 40005)
[[ "$r" =~ (^|,)3$ ]] && pass "TCP transfer: its last record ends 'end of flow detected' (reasons $r)" ||
	fail "TCP transfer: flowEndReason '$r' (expected ...,3)"
fl=$(decoded | awk '$1 == 40005 { print $5 }')
[ $((fl & 3)) = 3 ] && pass "TCP transfer: tcpControlBits has SYN and FIN ($(printf 0x%02x "$fl"))" ||
	fail "TCP transfer: tcpControlBits ${fl:-none}"

# the same process serves Prometheus meanwhile
curl -sf "http://127.0.0.1:$EXP_PORT/metrics" | grep -qx 'wirelens_maps_available 1' &&
	pass "the same process serves Prometheus" || fail "no Prometheus metrics from the IPFIX exporter's process"

# a stream the exporter ends when it stops (SIGTERM: forced end); the exporter must have seen it
# in the flow table before it stops: wait until the flow is there
send 40004 "$SRV_IP" 7 100
for _ in $(seq 50); do "$WL_BIN" flows --json | jq -e '.[] | select(.sport == 40004)' >/dev/null && break; sleep 0.1; done
# (its idle timeout is 1 s: stop before it, or the idle record is what ends it)
kill -TERM $EXP_PID
wait $EXP_PID
check_eq "exporter exit status on SIGTERM" 0 $?
want_forced="$HOST_IP 40004 $SRV_IP 9999 7 $((7 * 128))"
T1=$(($(date +%s) + 1))

wait_decoded 40004 7 || fail "nfcapd did not receive the last stream"
check_eq "flowEndReason of the stream still running on SIGTERM (4: forced end)" 4 "$(reasons 40004)"
kill -TERM $NFCAPD
wait $NFCAPD
files=$(ls "$dir/flows"/nfcapd.2* 2>/dev/null)
[ -n "$files" ] || { fail "nfcapd wrote no file"; tail "$dir/nfcapd.log"; finish; exit 1; }

# nfdump -r: one line per record; records of one flow (active timeout) summed
got=$(for f in $files; do nfdump -r "$f" -N -q -o 'fmt:%sa %sp %da %dp %pkt %byt %ts %te' 'proto udp and dst port 9999'; done |
	awk '{ k = $1 " " $2 " " $3 " " $4; p[k] += $5; b[k] += $6; n[k]++ } END { for (k in p) print k, p[k], b[k], n[k] }' | sort)
echo "$got" | sed 's/^/  nfdump: /'
check() { # label "src sport dst dport packets octets" min_records
	local key=${2% * *} line
	line=$(grep -F "$key " <<<"$got")
	if [ "${line% *}" = "$2" ] && [ "${line##* }" -ge "$3" ]; then
		pass "$1: nfdump shows $2 (${line##* } record(s))"
	else
		fail "$1: expected '$2' in >= $3 record(s), nfdump has '${line:-nothing}'"
	fi
}
while read -r want; do check "idle timeout" "$want" 1; done <<<"$want_idle"
check "active timeout" "$want_long" 2
check "forced end" "$want_forced" 1

# the octets are the flow table's L2 bytes less 14 per packet (no VLAN here)
wl=$("$WL_BIN" flows --json | jq -r '.[] | select(.sport == 40001) | "\(.packets) \(.bytes - 14 * .packets)"')
check_eq "octets = flows --json bytes - 14 x packets" "50 $((50 * 328))" "$wl"

# times: within the run, wall clock (nfdump prints local time: compare as epoch seconds)
bad=$(for f in $files; do nfdump -r "$f" -N -q -o 'fmt:%ts %te' 'proto udp and dst port 9999'; done |
	while read -r d1 t1 d2 t2; do
		s=$(date -d "$d1 $t1" +%s) e=$(date -d "$d2 $t2" +%s)
		[ "$s" -ge "$T0" ] && [ "$e" -le "$T1" ] && [ "$s" -le "$e" ] || echo "$d1 $t1 - $d2 $t2"
	done)
[ -z "$bad" ] && pass "flow start/end times within the run ($(date -d @$T0 +%T) - $(date -d @$T1 +%T))" ||
	fail "records outside the run: $bad"

# ---- per-command records: a Redis workload, one scan (--once: every count since the start) ----
start_redis || exit 1
# (no reset: the first stream's flow is still wanted below; the server is new, so every
# command counted is this workload's)
redis-benchmark -h "$SRV_IP" -n 2000 -c 2 -P 4 -t set,get,lpush -q >/dev/null
redis-cli -h "$SRV_IP" incr mylist >/dev/null 2>&1 # WRONGTYPE (lpush made it a list): an error
PRINT_PORT=$(free_port udp)
"$PRINT" "$PRINT_PORT" >"$dir/print.log" 2>"$dir/print.err" &
on_exit "kill $!"
wait_for "$dir/print.err" "listening" 50 || { fail "ipfix_print did not start: $(cat "$dir/print.err")"; finish; exit 1; }
want=$("$WL_BIN" commands --json --protocol redis |
	jq -r '.[] | "redis \(.server) \(.command) \(.requests) \(.responses) \(.errors) \(.misses) \(.request_bytes) \(.response_bytes)"' | sort)
"$WL_BIN" export --ipfix "127.0.0.1:$PRINT_PORT" --once >/dev/null || fail "export --once"
got=
for _ in $(seq 100); do
	got=$(awk '$1 == "cmd" && $2 == "redis" { k = $2 " " $3 " " $4; for (i = 5; i <= 10; i++) v[k, i] += $i; keys[k] = 1 }
		END { for (k in keys) { printf "%s", k; for (i = 5; i <= 10; i++) printf " %d", v[k, i]; print "" } }' "$dir/print.log" | sort)
	[ "$got" = "$want" ] && break
	sleep 0.1
done
if [ -n "$want" ] && [ "$got" = "$want" ]; then
	pass "enterprise records (PEN 32473) read by libfixbuf = commands --json ($(echo "$want" | wc -l) commands: requests, responses, errors, misses, bytes)"
else
	fail "enterprise records differ from commands --json"
	diff <(echo "$want") <(echo "$got") | head
fi
# the same flows, read by the second consumer (--once ends every flow: whole counts, reason 4)
check_eq "libfixbuf consumer: flow of the first stream" "$HOST_IP 40001 $SRV_IP 9999 17 50 16400 4" \
	"$(awk -v s=40001 '$1 == "flow" && $3 == s { $1 = ""; print substr($0, 2) }' "$dir/print.log")"

# The templates on the wire: each family's elements only (a record of the other family would
# carry its addresses as zeroes). "TID IE IE ...", IE numbers (enterprise ones as PEN/IE).
TPL_PORT=$(free_port udp)
python3 - "$TPL_PORT" >"$dir/templates" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
s.settimeout(5)
seen = {}
try:
    while True:
        m = s.recv(65536)
        s.settimeout(1)
        off = 16
        while off + 4 <= len(m):
            sid, slen = struct.unpack_from("!HH", m, off)
            end, p = off + slen, off + 4
            while sid == 2 and p + 4 <= end:
                tid, n = struct.unpack_from("!HH", m, p)
                p += 4
                ies = []
                for _ in range(n):
                    ie, _len = struct.unpack_from("!HH", m, p)
                    p += 4
                    if ie & 0x8000:
                        ies.append("%d/%d" % (struct.unpack_from("!I", m, p)[0], ie & 0x7fff))
                        p += 4
                    else:
                        ies.append(str(ie))
                seen[tid] = ies
            off = end
except socket.timeout:
    pass
for tid in sorted(seen):
    print(tid, " ".join(seen[tid]))
PY
TPL=$!
wait_for "$dir/templates" "^ready" 50 || fail "template reader did not start"
"$WL_BIN" export --ipfix "127.0.0.1:$TPL_PORT" --once >/dev/null || fail "export --once (templates)"
wait $TPL
# IPv4: 8 sourceIPv4Address, 12 destinationIPv4Address, 32 icmpTypeCodeIPv4; IPv6: 27, 28, 139
addrs() { awk -v t="$1" '$1 == t { for (i = 2; i <= NF; i++) if ($i ~ /^(8|12|32|27|28|139)$/) printf " %s", $i }' "$dir/templates"; }
check_eq "address elements of the templates (flow4, flow6, cmd4, cmd6)" \
	"256: 8 12 32, 257: 27 28 139, 258: 12, 259: 28" \
	"256:$(addrs 256), 257:$(addrs 257), 258:$(addrs 258), 259:$(addrs 259)"
finish
