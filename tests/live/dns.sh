#!/usr/bin/env bash
# DNS accuracy: a real unbound in a namespace answering only from local-data (no recursion, no
# forwarding: every other name is refused), extended statistics on; dig on the host over UDP
# and TCP (+keepopen: several queries per connection); wirelens attached to the host end of
# the veth. Per query type, wirelens' requests must equal num.query.type.<TYPE>; per phase its
# total equals num.query.tcp (TCP phase); errors equal the answers whose rcode is not NOERROR
# (num.answer.rcode.*) and misses num.answer.rcode.nodata: zero difference.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
command -v unbound >/dev/null || { echo "unbound missing (make deps)"; exit 1; }
setup_pair
TMP=$(mktemp -d /tmp/wl-dns.XXXXXX)
chmod 755 "$TMP"
on_exit "rm -rf $TMP"
cat >"$TMP/unbound.conf" <<EOF
server:
	interface: $SRV_IP
	port: 53
	do-ip6: no
	do-daemonize: yes
	username: ""
	chroot: ""
	directory: "$TMP"
	pidfile: "$TMP/unbound.pid"
	logfile: "$TMP/unbound.log"
	use-syslog: no
	access-control: 198.18.0.0/15 allow
	extended-statistics: yes
	# big answers over UDP: IP-fragmented on the 1500-byte veth
	edns-buffer-size: 4096
	max-udp-size: 4096
	statistics-cumulative: no
	module-config: "iterator"
	# answers come from local data only: the VM has no outside network
	local-zone: "." refuse
	local-zone: "wl.test." static
	local-data: "a.wl.test. A 198.18.0.10"
	local-data: "a.wl.test. AAAA 2001:db8::10"
	local-data: "wl.test. MX 10 a.wl.test."
	local-data: "wl.test. TXT \"wirelens\""
	local-data: "wl.test. NS a.wl.test."
	local-data: "_sip._tcp.wl.test. SRV 0 5 5060 a.wl.test."
	local-data: "www.wl.test. CNAME a.wl.test."
$(for i in $(seq 12); do printf '\tlocal-data: "big.wl.test. TXT \\"%s%s\\""\n' "$i" "$(head -c 240 /dev/zero | tr '\0' x)"; done)
	local-zone: "10.0.18.198.in-addr.arpa." static
	local-data: "10.0.18.198.in-addr.arpa. PTR a.wl.test."
remote-control:
	control-enable: yes
	control-interface: "$TMP/unbound.ctl"
	control-use-cert: no
EOF
ip netns exec "$NS" unbound -c "$TMP/unbound.conf" || { echo "unbound failed"; cat "$TMP/unbound.log"; exit 1; }
on_exit "kill \$(cat $TMP/unbound.pid)"
UC() { ip netns exec "$NS" unbound-control -c "$TMP/unbound.conf" "$@"; }
for _ in $(seq 50); do dig +short +time=1 +tries=1 @"$SRV_IP" a.wl.test >/dev/null 2>&1 && break; sleep 0.1; done

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

reset_all() {
	UC stats >/dev/null # reads and resets
	"$WL_BIN" reset
}

compare() { # label transport
	local label=$1 tr=$2 stats server wl want_total got
	stats=$(UC stats_noreset)
	server=$(echo "$stats" | sed -n 's/^num\.query\.type\.\([A-Za-z0-9-]*\)=\([0-9]*\)$/\1 \2/p' |
		awk '$2 > 0' | sort)
	wl=$("$WL_BIN" commands --json --protocol dns --server "$SRV_IP:53" |
		jq -r '.[] | "\(.command) \(.requests)"' | sort)
	if [ -n "$server" ] && [ "$server" = "$wl" ]; then
		pass "$label: requests per type equal num.query.type.*: $(echo $server)"
	else
		fail "$label: requests per type differ (unbound < > wirelens)"
		diff <(echo "$server") <(echo "$wl") | head -20
	fi
	want_total=$(echo "$stats" | sed -n "s/^num\.query\.$tr=//p")
	[ "$tr" = udp ] && want_total=$(($(echo "$stats" | sed -n 's/^total\.num\.queries=//p') -
		$(echo "$stats" | sed -n 's/^num\.query\.tcp=//p')))
	got=$("$WL_BIN" commands --json --protocol dns --server "$SRV_IP:53" |
		jq '[.[].requests] | add // 0')
	check_eq "$label: queries over $tr" "$want_total" "$got"
	got=$("$WL_BIN" commands --json --protocol dns --server "$SRV_IP:53" |
		jq '[.[].responses] | add // 0')
	check_eq "$label: answers (sum of num.answer.rcode.*)" \
		"$(echo "$stats" | sed -n 's/^num\.answer\.rcode\.[A-Z]*=//p' | awk '{ s += $1 } END { print s + 0 }')" "$got"
	got=$("$WL_BIN" commands --json --protocol dns --server "$SRV_IP:53" |
		jq '[.[].errors] | add // 0')
	check_eq "$label: errors (num.answer.rcode.* but NOERROR)" \
		"$(echo "$stats" | sed -n 's/^num\.answer\.rcode\.\([A-Z]*\)=/\1 /p' | awk '$1 != "NOERROR" { s += $2 } END { print s + 0 }')" "$got"
	got=$("$WL_BIN" commands --json --protocol dns --server "$SRV_IP:53" |
		jq '[.[].misses] | add // 0')
	check_eq "$label: misses (num.answer.rcode.nodata)" \
		"$(echo "$stats" | sed -n 's/^num\.answer\.rcode\.nodata=//p' | awk '{ s += $1 } END { print s + 0 }')" "${got}"
}

queries() { # dig options...
	dig "$@" @"$SRV_IP" a.wl.test A
	dig "$@" @"$SRV_IP" a.wl.test AAAA
	dig "$@" @"$SRV_IP" wl.test MX
	dig "$@" @"$SRV_IP" wl.test TXT
	dig "$@" @"$SRV_IP" wl.test NS
	dig "$@" @"$SRV_IP" _sip._tcp.wl.test SRV
	dig "$@" @"$SRV_IP" www.wl.test CNAME
	dig "$@" @"$SRV_IP" -x 198.18.0.10
	dig "$@" @"$SRV_IP" nothere.wl.test A       # NXDOMAIN
	dig "$@" @"$SRV_IP" a.wl.test TXT           # NODATA
	dig "$@" @"$SRV_IP" wl.test SOA             # NODATA? no: SOA of the static zone
	dig "$@" @"$SRV_IP" example.com A           # REFUSED: no recursion
	dig "$@" @"$SRV_IP" wl.test ANY
	dig "$@" @"$SRV_IP" wl.test HTTPS
	dig "$@" @"$SRV_IP" wl.test DNSKEY
	dig "$@" @"$SRV_IP" wl.test DS
	dig "$@" @"$SRV_IP" wl.test NAPTR
}

reset_all
for i in 1 2 3; do queries +notcp +tries=1 +time=2; done >/dev/null
compare "UDP, 17 types x 3, NXDOMAIN/NODATA/REFUSED" udp

reset_all
queries +tcp +tries=1 +time=2 >/dev/null
# several queries on one TCP connection
dig +tcp +keepopen +tries=1 @"$SRV_IP" a.wl.test A a.wl.test AAAA wl.test MX nx.wl.test A \
	wl.test TXT a.wl.test A >/dev/null
compare "TCP, one query per connection and +keepopen" tcp

reset_all
# answers of ~3 KB over UDP: the IP layer fragments them; the first fragment has what DNS needs
for i in 1 2 3 4 5; do
	dig +notcp +bufsize=4096 +ignore +tries=1 +time=2 @"$SRV_IP" big.wl.test TXT
done >/dev/null
compare "UDP answers of ~3 KB in IP fragments" udp
got=$("$WL_BIN" commands --json --protocol dns --server "$SRV_IP:53" |
	jq '[.[] | select(.command == "TXT") | .response_bytes] | add // 0')
[ "$got" -gt $((5 * 1500)) ] && pass "fragmented answers counted whole: $got bytes for 5" ||
	fail "fragmented answers: $got response bytes for 5 (want > 7500: not fragmented?)"

"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
"$WL_BIN" commands --protocol dns
finish
