#!/usr/bin/env bash
# Application throughput with and without wirelens (make bench, section 3), and the CPU figure.
#
#   bench/app.sh BUILD_DIR        (root; QUICK=1: 2 rounds (1 of the CPU rows and of the
#                                  MariaDB log rows) and shorter runs; ROUNDS=n, CPU_ROUNDS=n and
#                                  RUN_SECS=s override)
#
# redis-server (pinned to CPU 1) in a namespace behind a veth, redis-benchmark (CPU 0, 50
# clients) on the host side: SET and GET at -P 1 and -P 16, in interleaved rounds, each round
# measuring every variant once:
#   bare      nothing attached (the baseline of every ratio)
#   xdp_pass  bare programs on the host veth: XDP_PASS and a TC pass (bench/bench_pass.bpf.c):
#             what native XDP on a veth costs before any work (the veth then converts each
#             skb to an XDP buffer, and its peer loses TSO)
#   l2l4      `wirelens attach --no-l7`: flow accounting alone (what an L2-L4 user pays)
#   wirelens  `wirelens attach` on the host veth (XDP ingress + TC egress: both directions)
#   wirelens_peer  `wirelens attach --hooks peer-egress,tc-egress`: TC egress on both ends of
#             the pair, where the veth's peer keeps its TSO (native XDP on a veth turns it off)
#   monitor   a `redis-cli MONITOR` reader (Redis' own way to watch commands)
#   slowlog   slowlog-log-slower-than 0 (every command logged)
# sysbench oltp_read_only against MariaDB (tests/live/lib.sh start_mariadb): bare, bare programs,
# wirelens, wirelens with peer-egress hooks, and the server's own ways to see every statement:
#   general_log  the general query log to a file (MariaDB's MONITOR: every statement)
#   slow_log     the slow query log with long_query_time 0 (every statement, with its time)
# CPU: one more run per pipeline depth with kernel.bpf_stats_enabled=1 and wirelens attached
# (its default, and with peer-egress hooks): the entry programs' run_time_ns per request (L7 programs run as
# tail calls inside them, so their time is included) against redis-server's own utime+stime per
# request (/proc/PID/stat); and each hook's run time per packet, live, XDP (replies) and TC
# egress (requests), for bare programs, wirelens L2-L4 only (with the default flow table, and
# with --flows-percpu) and wirelens (ratio: against the bare programs of the same hook).
# Rows go to $WL_BENCH_ROWS (bench/report.sh); the tables are printed by report.sh.
BUILD=$(cd "${1:-build}" && pwd)
export WL_BIN=$BUILD/wirelens
here=$(cd "$(dirname "$0")/../tests/live" && pwd)
. "$here/lib.sh"
QUICK=${QUICK:-}
if [ -n "$QUICK" ]; then
	ROUNDS=${ROUNDS:-2} RUN_SECS=${RUN_SECS:-0.3} SB_SECS=1 CPU_ROUNDS=${CPU_ROUNDS:-1} LOG_ROUNDS=1
else
	# the CPU rows are each program's own run time: 3 rounds tell them (spread ~15%)
	# the MariaDB log rows are for comparison, not targets: 3 rounds
	ROUNDS=${ROUNDS:-5} RUN_SECS=${RUN_SECS:-1.0} SB_SECS=4 CPU_ROUNDS=${CPU_ROUNDS:-3} LOG_ROUNDS=3
fi
# A Redis run is sized in time, not in requests: -n is what the last bare run did in RUN_SECS
# (redis-benchmark has no duration option). A slow host then makes fewer requests, not longer
# runs, and `make bench` keeps to its time. First sizes: a short bare run per depth (calibrate).
declare -A N=([1]=10000 [16]=100000)
ROWS=${WL_BENCH_ROWS:-/dev/null}
[ "$(id -u)" = 0 ] || { echo "app.sh: needs root" >&2; exit 1; }
for t in redis-server redis-benchmark redis-cli sysbench mariadbd bpftool jq; do
	command -v $t >/dev/null || { echo "app.sh: $t missing (make deps)" >&2; exit 1; }
done
setup_pair
ip netns exec "$NS" taskset -c 1 redis-server --bind "$SRV_IP" --port 6379 --protected-mode no \
	--save '' --appendonly no --daemonize yes --pidfile "/tmp/$NS-redis.pid" \
	--logfile "/tmp/$NS-redis.log"
on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid /tmp/$NS-redis.log"
for _ in $(seq 100); do redis-cli -h "$SRV_IP" ping >/dev/null 2>&1 && break; sleep 0.1; done
RPID=$(cat "/tmp/$NS-redis.pid")

attach() { "$WL_BIN" attach "$HOST_IF" "$@" >/dev/null || { echo "app.sh: attach failed" >&2; exit 1; }; }
detach() { "$WL_BIN" detach "$HOST_IF" >/dev/null; }

prog_ids() { # the entry programs of this attachment: XDP on the veth, the TC program on its maps
	local xdp maps
	xdp=$(bpftool -j net show dev "$HOST_IF" | jq -r '.[] | (.xdp // [])[] | .id')
	maps=$(bpftool -j prog show id "$xdp" | jq -c '.map_ids')
	echo "$xdp"
	# (tcx links are not listed by every bpftool: the wl_tc program sharing the XDP one's maps)
	bpftool -j prog show | jq -r --argjson m "$maps" \
		'.[] | select(.name == "wl_tc" and ([(.map_ids // [])[] | select(. as $x | $m | index($x))] | length > 0)) | .id'
}
prog_runs() { # summed run_cnt and run_time_ns over ids
	local n=0 t=0 id c r
	for id in "$@"; do
		read -r c r < <(bpftool -j prog show id "$id" | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"')
		n=$((n + c)) t=$((t + r))
	done
	echo "$n $t"
}
# The variants of the live per-packet rows: bare programs (XDP_PASS and a TC pass of
# bench_pass.bpf.o: what any program costs there), wirelens L2-L4 only (--no-l7), wirelens.
cpu_attach() {
	case $1 in
	bare)
		ip link set dev "$HOST_IF" xdpdrv obj "$BUILD/bench_pass.bpf.o" sec xdp.frags &&
			tc qdisc add dev "$HOST_IF" clsact &&
			tc filter add dev "$HOST_IF" egress bpf da obj "$BUILD/bench_pass.bpf.o" sec tc ||
			{ echo "app.sh: bare programs: attach failed" >&2; exit 1; }
		xdp_id=$(bpftool -j net show dev "$HOST_IF" | jq -r '.[] | (.xdp // [])[] | .id')
		tc_ids=$(bpftool -j net show dev "$HOST_IF" | jq -r '.[] | (.tc // [])[] | .id')
		;;
	l2l4 | l2l4_percpu | wirelens)
		# XDP ingress + TC egress: XDP sees the replies, TC the requests
		"$WL_BIN" attach "$HOST_IF" $([ "$1" != wirelens ] && echo --no-l7) \
			$([ "$1" = l2l4_percpu ] && echo --flows-percpu) >/dev/null ||
			{ echo "app.sh: attach failed" >&2; exit 1; }
		local ids
		ids=$(prog_ids)
		xdp_id=$(echo "$ids" | head -1) tc_ids=$(echo "$ids" | tail -n +2)
		;;
	wirelens_peer) # TC egress here and on the peer: the peer's runs an instance of its own
		"$WL_BIN" attach "$HOST_IF" --hooks peer-egress,tc-egress >/dev/null ||
			{ echo "app.sh: attach failed" >&2; exit 1; }
		xdp_id='' tc_ids=$("$WL_BIN" status --json |
			jq -r --arg i "$HOST_IF" '[.attachments[] | select(.iface == $i) | .prog_id] | unique | .[]')
		;;
	esac
}
cpu_detach() {
	case $1 in
	bare) ip link set dev "$HOST_IF" xdpdrv off; tc qdisc del dev "$HOST_IF" clsact ;;
	*) "$WL_BIN" detach --all >/dev/null ;; # --all: the next variant may want another flow table
	esac
}

# redis_run P -> "SET_rps GET_rps"
redis_run() {
	taskset -c 0 redis-benchmark -h "$SRV_IP" -c 50 -P "$1" -n "${N[$1]}" -t set,get --csv 2>/dev/null |
		tr -d '"' | awk -F, '$1 == "SET" { s = $2 } $1 == "GET" { g = $2 } END { printf "%d %d\n", s, g }'
}
# size_runs P "SET GET": -n for depth P from a bare run's rates (the slower of the two), at least
# 50 requests per client so that a run is more than its connection setup
size_runs() {
	N[$1]=$(echo "$2" | awk -v secs="$RUN_SECS" '{ r = ($1 < $2 ? $1 : $2); n = int(r * secs)
		print (n < 2500 ? 2500 : n) }')
}

redis_variant() { # VARIANT P -> "SET GET"
	local v=$1 p=$2 mon out
	case $v in
	wirelens) attach ;;
	wirelens_peer) attach --hooks peer-egress,tc-egress ;;
	l2l4) attach --no-l7 ;;
	xdp_pass) cpu_attach bare ;;
	monitor)
		redis-cli -h "$SRV_IP" MONITOR >/dev/null &
		mon=$!
		# the reader is registered when the server counts a monitor client
		for _ in $(seq 100); do
			redis-cli -h "$SRV_IP" CLIENT LIST | grep -q 'cmd=monitor' && break
			sleep 0.05
		done
		;;
	slowlog) redis-cli -h "$SRV_IP" CONFIG SET slowlog-log-slower-than 0 >/dev/null ;;
	esac
	out=$(redis_run "$p")
	case $v in
	wirelens | wirelens_peer | l2l4) detach ;;
	xdp_pass) cpu_detach bare ;;
	monitor) kill "$mon"; wait "$mon" 2>/dev/null ;;
	slowlog)
		redis-cli -h "$SRV_IP" CONFIG SET slowlog-log-slower-than 10000 >/dev/null
		redis-cli -h "$SRV_IP" SLOWLOG RESET >/dev/null
		;;
	esac
	echo "$out"
}

REDIS_VARIANTS="bare xdp_pass l2l4 wirelens wirelens_peer monitor slowlog"
for p in 1 16; do size_runs $p "$(redis_run $p)"; done
echo "app.sh: Redis, $ROUNDS interleaved rounds (SET and GET, each ~${RUN_SECS}s bare; 50 clients)" >&2
for ((r = 1; r <= ROUNDS; r++)); do
	for p in 1 16; do
		declare -A res=()
		for v in $REDIS_VARIANTS; do res[$v]=$(redis_variant $v $p); done
		for v in $REDIS_VARIANTS; do
			read -r s g <<<"${res[$v]}"
			read -r bs bg <<<"${res[bare]}"
			printf 'application\tredis SET -P %s: %s\tops/s\t%s\t%s\n' "$p" "$v" "$s" "$bs" >>"$ROWS"
			printf 'application\tredis GET -P %s: %s\tops/s\t%s\t%s\n' "$p" "$v" "$g" "$bg" >>"$ROWS"
		done
		echo "  round $r -P $p, -n ${N[$p]} (SET GET ops/s):$(for v in $REDIS_VARIANTS; do printf ' %s %s;' "$v" "${res[$v]}"; done)" >&2
		size_runs $p "${res[bare]}" # the next round's size: every variant of a round runs the same -n
		unset res
	done
done

# CPU per request: hooks (BPF stats) vs redis-server (utime + stime)
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$RPID/stat"; }
cmds() { redis-cli -h "$SRV_IP" INFO stats | tr -d '\r' | sed -n 's/^total_commands_processed://p'; }
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
on_exit "sysctl -q kernel.bpf_stats_enabled=$old_stats"
sysctl -q kernel.bpf_stats_enabled=1
hz=$(getconf CLK_TCK)
declare -A bare_ns=()
echo "app.sh: CPU, $CPU_ROUNDS interleaved rounds of bare programs, L2-L4 only (shared and per-CPU flow table), wirelens, wirelens with peer-egress hooks" >&2
for ((r = 1; r <= CPU_ROUNDS; r++)); do
	for v in bare l2l4 l2l4_percpu wirelens wirelens_peer; do
		cpu_attach $v
		for p in 1 16; do
			c0=$(cmds) k0=$(srv_ticks)
			read -r xn0 xt0 < <(prog_runs $xdp_id)
			read -r tn0 tt0 < <(prog_runs $tc_ids)
			redis_run "$p" >/dev/null
			read -r xn1 xt1 < <(prog_runs $xdp_id)
			read -r tn1 tt1 < <(prog_runs $tc_ids)
			c1=$(cmds) k1=$(srv_ticks)
			# per packet, by hook: XDP sees the replies (the veth's ingress), TC the requests
			x=$(awk -v n=$((xn1 - xn0)) -v t=$((xt1 - xt0)) 'BEGIN { printf "%.0f", n ? t / n : 0 }')
			t=$(awk -v n=$((tn1 - tn0)) -v t=$((tt1 - tt0)) 'BEGIN { printf "%.0f", n ? t / n : 0 }')
			[ $v = bare ] && bare_ns[x$p]=$x bare_ns[t$p]=$t
			if [ $v != wirelens_peer ]; then
				printf 'cpu\tredis -P %s: XDP ns per packet (replies), live: %s\tns/packet\t%s\t%s\n' \
					"$p" "$v" "$x" "${bare_ns[x$p]}" >>"$ROWS"
				printf 'cpu\tredis -P %s: TC ns per packet (requests), live: %s\tns/packet\t%s\t%s\n' \
					"$p" "$v" "$t" "${bare_ns[t$p]}" >>"$ROWS"
				echo "  round $r, $v -P $p: XDP $x ns/packet, TC $t ns/packet" >&2
			fi
			[ $v = wirelens ] || [ $v = wirelens_peer ] || continue
			req=$((c1 - c0 - 1)) # the INFO itself
			hook=$(awk -v t=$((xt1 - xt0 + tt1 - tt0)) -v n="$req" 'BEGIN { printf "%.0f", t / n }')
			srv=$(awk -v a="$k0" -v b="$k1" -v n="$req" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) * 1e9 / hz / n }')
			# the default hooks' row is the one the targets read
			printf 'cpu\tredis -P %s: hooks / redis-server CPU per request%s\tns/request\t%s\t%s\n' \
				"$p" "$([ $v = wirelens_peer ] && echo ', with peer-egress hooks')" "$hook" "$srv" >>"$ROWS"
			echo "  round $r, $v -P $p: hooks $hook ns/request, redis-server $srv ns/request ($req requests)" >&2
		done
		cpu_detach $v
	done
done
sysctl -q kernel.bpf_stats_enabled="$old_stats"

# MariaDB: sysbench oltp_read_only, bare vs bare programs vs wirelens vs wirelens with peer-egress
# vs the general and the slow query log
start_mariadb
SB=(sysbench oltp_read_only --db-driver=mysql --mysql-host="$SRV_IP" --mysql-user=wl
	--mysql-db=sbtest --tables=2 --table-size=10000 --threads=8)
"${SB[@]}" prepare >/dev/null 2>&1 || { echo "app.sh: sysbench prepare failed" >&2; exit 1; }
sb_run() {
	taskset -c 0 "${SB[@]}" --time="$SB_SECS" run 2>/dev/null |
		sed -n 's/.*transactions: *[0-9]* *(\([0-9.]*\) per sec.*/\1/p'
}
# The server's logs go to files in its data directory, removed after each run.
sb_log() { # general_log | slow_log: on, one run, off
	local on off
	case $1 in
	general_log) on="SET GLOBAL general_log_file='$dir/general.log', general_log=1" off="SET GLOBAL general_log=0" ;;
	slow_log) on="SET GLOBAL slow_query_log_file='$dir/slow.log', long_query_time=0, slow_query_log=1"
		off="SET GLOBAL slow_query_log=0, long_query_time=10" ;;
	esac
	sql "SET GLOBAL log_output='FILE'; $on" || { echo "app.sh: $1 on failed" >&2; exit 1; }
	sb_run
	sql "$off"
	# a row that logged nothing would be a bare run under another name
	[ -s "$dir/general.log" ] || [ -s "$dir/slow.log" ] || { echo "app.sh: $1 wrote nothing" >&2; exit 1; }
	rm -f "$dir/general.log" "$dir/slow.log"
}
echo "app.sh: MariaDB sysbench oltp_read_only, $ROUNDS rounds of ${SB_SECS}s, 8 threads" >&2
for ((r = 1; r <= ROUNDS; r++)); do
	b=$(sb_run)
	cpu_attach bare # XDP_PASS + TC pass: what native XDP on the veth costs by itself
	x=$(sb_run)
	cpu_detach bare
	attach
	w=$(sb_run)
	detach
	attach --hooks peer-egress,tc-egress
	wt=$(sb_run)
	detach
	rows="bare $b, xdp_pass $x, wirelens $w, wirelens_peer $wt"
	if ((r <= LOG_ROUNDS)); then
		rows="$rows, general_log $(sb_log general_log), slow_log $(sb_log slow_log)"
	fi
	echo "  round $r (tps): $rows" >&2
	echo "$rows" | tr ',' '\n' | while read -r v t; do
		[ -n "$t" ] || { echo "app.sh: sysbench run $v failed" >&2; exit 1; }
		printf 'application\tmariadb oltp_read_only: %s\ttps\t%s\t%s\n' "$v" "$t" "$b" >>"$ROWS"
	done || exit 1
done
