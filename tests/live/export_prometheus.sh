#!/usr/bin/env bash
# `wirelens export --prometheus`: the real Prometheus server (Debian's) scrapes the exporter
# during a Redis workload (redis-benchmark against a real redis-server behind a veth); its HTTP
# API must then return, per command, the requests counter `wirelens commands --json` prints, and
# up == 1. promtool check metrics is clean on the exposition; the exporter serves before
# anything is attached (and says so), refuses bad addresses with one line, stops on SIGTERM.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
for t in prometheus promtool redis-server redis-benchmark curl jq; do
	command -v $t >/dev/null || { echo "FAIL: $t missing (make deps)"; exit 1; }
done
dir=$(mktemp -d "/tmp/$NS-prom.XXXXXX")
on_exit "rm -rf $dir"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
EXP_PORT=$(free_port)
PROM_PORT=$(free_port)
METRICS=http://127.0.0.1:$EXP_PORT/metrics

# ---- options: one line and a non-zero exit for every bad value, nothing started ----
check_bad "no exporter asked" 'needs --prometheus or --ipfix' "$WL_BIN" export
check_bad "port out of range" 'prometheus 99999: the port' "$WL_BIN" export --prometheus 99999
check_bad "port zero" 'prometheus 0: the port' "$WL_BIN" export --prometheus 0
check_bad "not an address" 'prometheus 1.2.3:80: ADDR' "$WL_BIN" export --prometheus 1.2.3:80
check_bad "v6 without brackets" 'in brackets' "$WL_BIN" export --prometheus ::1:9435
check_bad "collector without port" 'ipfix 127.0.0.1: expected HOST:PORT' "$WL_BIN" export --ipfix 127.0.0.1
check_bad "bad interval" 'export: --interval 0: a number from 1 to 86400$' "$WL_BIN" export --ipfix 127.0.0.1:4739 --interval 0
check_bad "stray argument" "unexpected 'eth0'" "$WL_BIN" export --prometheus 9435 eth0
"$WL_BIN" export --help | grep -q -- '--prometheus \[ADDR:\]PORT' && pass "export --help lists --prometheus" ||
	fail "export --help"

# ---- the exporter starts before anything is attached (its own pin root: nothing there) ----
"$WL_BIN" export --prometheus "127.0.0.1:$EXP_PORT" >"$dir/export.log" 2>&1 &
EXP_PID=$!
on_exit "kill $EXP_PID"
wait_for "$dir/export.log" "^prometheus: http://127.0.0.1:$EXP_PORT/metrics" 100 $EXP_PID ||
	{ fail "exporter did not start"; cat "$dir/export.log"; finish; exit 1; }
check_bad "port already in use" 'cannot listen on 127.0.0.1:'"$EXP_PORT" "$WL_BIN" export --prometheus "$EXP_PORT"
early=$(curl -sf "$METRICS")
if grep -qx 'wirelens_maps_available 0' <<<"$early" && grep -q '^# wirelens: nothing attached' <<<"$early"; then
	pass "scrape with nothing attached: wirelens_maps_available 0 and says why"
else
	fail "scrape with nothing attached: $early"
fi

# ---- Redis behind a veth, wirelens attached on the host side ----
setup_pair
start_redis || exit 1
"$WL_BIN" attach "$HOST_IF" >/dev/null || { fail "attach"; finish; exit 1; }

cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: wirelens
    static_configs:
      - targets: ['127.0.0.1:$EXP_PORT']
EOF
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$dir/prometheus.log" 2>&1 &
PROM_PID=$!
on_exit "kill $PROM_PID; wait $PROM_PID"
query() { # PROMQL -> "labels value" lines, sorted
	curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[] | "\(.metric.command // .metric.job) \(.value[1])"' | sort
}

"$WL_BIN" reset
redis-benchmark -h "$SRV_IP" -n 4000 -c 4 -P 4 -t set,get,incr,lpush,hset -q >/dev/null
redis-cli -h "$SRV_IP" lpush k1 x >/dev/null
redis-cli -h "$SRV_IP" incr k1 >/dev/null 2>&1 # WRONGTYPE: an error
want=$("$WL_BIN" commands --json --protocol redis | jq -r '.[] | "\(.command) \(.requests)"' | sort)
[ "$(echo "$want" | wc -l)" -ge 5 ] || fail "workload: too few commands seen: $want"

# The workload is over: wait (bounded) until Prometheus holds a scrape taken after it.
got=
for _ in $(seq 300); do
	got=$(query "wirelens_l7_requests_total{protocol=\"redis\",server=\"$SRV_IP:6379\"}")
	[ "$got" = "$want" ] && break
	sleep 0.1
done
if [ "$got" = "$want" ]; then
	pass "Prometheus API: wirelens_l7_requests_total equals commands --json ($(echo "$want" | wc -l) commands)"
else
	fail "Prometheus API and commands --json differ"
	diff <(echo "$want") <(echo "$got") | head
fi
check_eq "Prometheus API: up{job=wirelens}" "wirelens 1" "$(query 'up{job="wirelens"}')"
want_err=$("$WL_BIN" commands --json --protocol redis | jq -r '.[] | select(.errors > 0) | "\(.command) \(.errors)"' | sort)
check_eq "Prometheus API: wirelens_l7_errors_total > 0" "$want_err" \
	"$(query "wirelens_l7_errors_total{protocol=\"redis\"} > 0")"
want_resp=$("$WL_BIN" commands --json --protocol redis | jq -r '.[] | "\(.command) \(.responses)"' | sort)
check_eq "Prometheus API: latency histogram _count = responses" "$want_resp" \
	"$(query "wirelens_l7_latency_seconds_count{protocol=\"redis\"}")"
p99=$(query "histogram_quantile(0.99, wirelens_l7_latency_seconds_bucket{protocol=\"redis\",command=\"SET\"})")
awk '{ exit !($2 > 0 && $2 < 1) }' <<<"$p99" && pass "histogram_quantile(0.99) of SET: ${p99#* } s" ||
	fail "histogram_quantile of SET: '$p99'"

# ---- the exposition itself ----
curl -sf "$METRICS" >"$dir/metrics.txt"
lint=$(promtool check metrics <"$dir/metrics.txt" 2>&1)
rc=$?
[ $rc -eq 0 ] && [ -z "$lint" ] && pass "promtool check metrics: clean ($(grep -vc '^#' "$dir/metrics.txt") samples)" ||
	fail "promtool check metrics (exit $rc): $lint"
awk '/^wirelens_packets_seen_total / { seen = $2 } /^wirelens_packets_total\{/ { sum += $2 }
	END { if (seen != sum || seen == 0) { print "seen " seen " outcomes " sum; exit 1 } }' "$dir/metrics.txt" &&
	pass "wirelens_packets_seen_total = sum of wirelens_packets_total{outcome}" ||
	fail "outcomes do not add up to seen"
for o in accounted non_ip truncated_l2 truncated_l3 truncated_l4 bad_l4 bad_l3 bad_ipv6_chain \
	vlan_too_deep frag_unmatched map_full denied; do
	grep -q "^wirelens_packets_total{outcome=\"$o\"} " "$dir/metrics.txt" || fail "no outcome $o"
done
grep -q "^wirelens_map_entries{map=\"wl_flows\"} [1-9]" "$dir/metrics.txt" &&
	grep -q "^wirelens_map_max_entries{map=\"wl_flows\"} 65536$" "$dir/metrics.txt" &&
	pass "map fill gauges" || fail "map fill gauges"
# per-interface counters are the flow table summed by interface: equal to `flows --json` when no
# packet came between the two reads (retried until two reads of the flows agree around a scrape)
ok=
for _ in $(seq 20); do
	a=$("$WL_BIN" flows --json | jq "[.[] | select(.iface == \"$HOST_IF\") | .packets] | add")
	m=$(curl -sf "$METRICS" | sed -n "s/^wirelens_interface_packets_total{interface=\"$HOST_IF\",[^}]*} //p")
	b=$("$WL_BIN" flows --json | jq "[.[] | select(.iface == \"$HOST_IF\") | .packets] | add")
	[ "$a" = "$b" ] && { ok=1; break; }
done
[ -n "$ok" ] && check_eq "wirelens_interface_packets_total{interface=$HOST_IF} = flows --json" "$a" "$m" ||
	fail "the flow table never stood still"

# ---- every counter `status --json` shows is exported, with its value: the counters (seen; each
# outcome, fact, L7 engine event as `l7_` + event, filter and table event) and sniffing's
# l7_sniff_refused, made non-zero by a Redis on a port no protocol claims while learning is off
"$WL_BIN" attach "$HOST_IF" --learned-ports-max 0 >/dev/null || fail "attach --learned-ports-max 0"
ip netns exec "$NS" redis-server --bind "$SRV_IP" --port 7101 --protected-mode no --save '' \
	--appendonly no --daemonize yes --pidfile "$dir/redis7101.pid" --logfile /dev/null
on_exit "kill \$(cat $dir/redis7101.pid)"
for _ in $(seq 300); do redis-cli -h "$SRV_IP" -p 7101 set k v >/dev/null 2>&1 && break; sleep 0.1; done
status_counters() {
	"$WL_BIN" status --json | jq -r '(.counters | to_entries[] | "\(.key) \(.value)"),
		"l7_sniff_refused \(.sniffing.l7_sniff_refused)"' | sort
}
metrics_counters() {
	curl -sf "$METRICS" | sed -nE 's/^wirelens_packets_seen_total /seen /p
		s/^wirelens_(packets_total|packet_facts_total|filter_events_total|table_events_total)\{[a-z]+="([a-z0-9_]+)"\} /\2 /p
		s/^wirelens_l7_engine_total\{event="([a-z0-9_]+)"\} /l7_\1 /p' | sort
}
ok=
for _ in $(seq 20); do # until no packet came between the reads around a scrape
	a=$(status_counters)
	m=$(metrics_counters)
	b=$(status_counters)
	[ "$a" = "$b" ] && { ok=1; break; }
done
if [ -z "$ok" ]; then
	fail "the counters never stood still"
elif [ "$a" = "$m" ]; then
	pass "every counter of status --json exported, equal ($(echo "$a" | wc -l) counters)"
else
	fail "status --json (<) and the exposition (>) differ"
	diff <(echo "$a") <(echo "$m") | head
fi
refused=$(sed -n 's/^l7_sniff_refused //p' <<<"$m")
[ "${refused:-0}" -ge 1 ] && pass "wirelens_l7_engine_total{event=\"sniff_refused\"} $refused" ||
	fail "l7_sniff_refused not exported or 0: '$refused'"
curl -sf "$METRICS" | grep -q '^# TYPE wirelens_table_events_total counter$' &&
	pass "table churn: a family of its own" || fail "no wirelens_table_events_total family"

# ---- the systemd unit: valid, and its user and capabilities are enough (and needed) ----
unit=$here/../../dist/systemd/wirelens-export.service
sed "s|@BINDIR@|$(dirname "$WL_BIN")|g; s|@SYSCONFDIR@|/etc|g" "$unit" >"$dir/wirelens-export.service"
if ! command -v systemd-analyze >/dev/null; then
	fail "systemd-analyze missing (make deps)"
elif out=$(systemd-analyze verify --man=no "$dir/wirelens-export.service" 2>&1) && [ -z "$out" ]; then
	pass "systemd-analyze verify: wirelens-export.service"
else
	fail "systemd-analyze verify: $out"
fi
# the unit's ambient capabilities, as setpriv names them: +bpf,+dac_read_search
caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit" | tr ' ' '\n' | sed 's/^CAP_/+/' | tr 'A-Z' 'a-z' | paste -sd,)
# (a copy of the binary nobody can run, wherever the build directory is)
install -d -m 0755 "$dir/bin" && install -m 0755 "$WL_BIN" "$dir/bin/wirelens" && chmod 0711 "$dir"
as_user() { # CAPS: the exporter once, as nobody with exactly these capabilities
	setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all${1:+,$1} \
		--ambient-caps=-all${1:+,$1} --bounding-set=-all${1:+,$1} \
		"$dir/bin/wirelens" export --prometheus 9435 --once 2>&1
}
root=$("$WL_BIN" export --prometheus 9435 --once | grep '^wirelens_l7_requests_total')
user=$(as_user "$caps" | grep '^wirelens_l7_requests_total')
[ -n "$root" ] && [ "$user" = "$root" ] && pass "as nobody with the unit's capabilities ($caps): the same L7 counters as root" ||
	fail "as nobody with $caps: '$(as_user "$caps" | grep -m2 'maps_available\|^# wirelens')'"
as_user "" | grep -qx 'wirelens_maps_available 0' && pass "as nobody without capabilities: wirelens_maps_available 0" ||
	fail "as nobody without capabilities the maps were readable"

# ---- SIGTERM: a clean exit ----
kill -TERM $EXP_PID
wait $EXP_PID
rc=$?
check_eq "exit status on SIGTERM" 0 $rc
grep -q "^export stopped (Terminated)" "$dir/export.log" && pass "stopped on SIGTERM" || fail "no stop line: $(cat "$dir/export.log")"
finish
