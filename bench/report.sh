#!/usr/bin/env bash
# make bench's summary: reads the rows every round wrote (bench_wirelens, pktgen.sh, app.sh,
# bench_wirelens mem: "section<TAB>name<TAB>unit<TAB>value<TAB>baseline" per round), prints one
# table per section (median, min and max over the rounds; the ratio is value / baseline of the
# same round, its median and spread) and writes the same as JSON.
#
#   bench/report.sh ROWS_FILE JSON_OUT
set -eu
ROWS=$1 OUT=$2
command -v jq >/dev/null || { echo "report.sh: jq missing (make deps)" >&2; exit 1; }
AGG=$(mktemp /tmp/wlreport.XXXXXX)
trap 'rm -f "$AGG"' EXIT

# section, name, unit, rounds, median, min, max, baseline median, ratio median, min, max
awk -F'\t' '
function med(s,   a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	if (n == 0) return ""
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(s,   a, n, i, m) { n = split(s, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
function hi(s,   a, n, i, m) { n = split(s, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
NF >= 5 {
	k = $1 SUBSEP $2
	if (!(k in unit)) { order[++n] = k; unit[k] = $3 }
	val[k] = val[k] " " $4; cnt[k]++
	base[k] = base[k] " " $5
	if ($5 + 0 > 0) rat[k] = rat[k] " " ($4 / $5)
}
END {
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, kk, SUBSEP)
		r = rat[k] == "" ? "\t\t" : sprintf("%.4f\t%.4f\t%.4f", med(rat[k]), lo(rat[k]), hi(rat[k]))
		printf "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", kk[1], kk[2], unit[k], cnt[k],
			med(val[k]), lo(val[k]), hi(val[k]), med(base[k]), r
	}
}' "$ROWS" >"$AGG"

title() {
	case $1 in
	test_run) echo "Section 1. ns per packet through BPF_PROG_TEST_RUN (baseline: a bare program of the same hook, same run)" ;;
	live) echo "Section 2. Live packets per second on a veth, native XDP receiver (baseline: bare XDP_PASS, or XDP_DROP for pass)" ;;
	application) echo "Section 3. Application throughput (baseline: nothing attached, same round)" ;;
	cpu) echo "CPU per request: wirelens hooks (BPF run_time_ns) vs the server's own utime+stime (ratio = hooks / server)" ;;
	memory) echo "Memory: map memory at the defaults (one measurement)" ;;
	*) echo "$1" ;;
	esac
}
for sec in $(cut -f1 "$AGG" | awk '!seen[$0]++'); do
	echo
	title "$sec"
	printf '%-66s %-10s %6s %12s %12s %12s %12s  %s\n' row unit rounds median min max baseline "ratio (min-max)"
	awk -F'\t' -v s="$sec" '$1 == s {
		r = $9 == "" ? "-" : sprintf("%.3f (%.3f-%.3f)", $9, $10, $11)
		b = $8 + 0 > 0 ? sprintf("%12.10g", $8) : sprintf("%12s", "-")
		printf "%-66s %-10s %6d %12.10g %12.10g %12.10g %s  %s\n", $2, $3, $4, $5, $6, $7, b, r
	}' "$AGG"
done

# Issue 19's targets against this run: row (a regular expression over the row names), the
# figure compared (the median or the ratio's median), the bound, what the issue asks.
TARGETS=$(mktemp /tmp/wltargets.XXXXXX)
trap 'rm -f "$AGG" "$TARGETS"' EXIT
awk -F'\t' '
BEGIN {
	t[++n] = "^xdp L2-L4, 1 flow \\(repeat\\)$|ratio|<=|3|L2-L4, XDP: <= 3x bare"
	t[++n] = "^tc L2-L4, 1 flow \\(repeat\\)$|ratio|<=|3|L2-L4, TC: <= 3x bare"
	t[++n] = "^xdp L2-L4, 100k flows in turn \\(repeat, key rotated\\)$|median|<=|150|100k flows in turn: <= 150 ns"
	t[++n] = "^xdp Redis, 16 SETs per packet \\(kernel-timed\\)$|median|<=|250|16-command Redis packet: <= 250 ns"
	t[++n] = "^[a-z_]+ 1 flows: wirelens / XDP_PASS$|ratio|>=|0.9|live pps, 1 flow: >= 0.90x"
	t[++n] = "^[a-z_]+ 10000 flows: wirelens / XDP_PASS$|ratio|>=|0.9|live pps, 10,000 flows: >= 0.90x"
	t[++n] = "^redis SET -P 1: wirelens$|ratio|>=|0.97|Redis SET -P 1: >= 97%"
	t[++n] = "^redis GET -P 1: wirelens$|ratio|>=|0.97|Redis GET -P 1: >= 97%"
	t[++n] = "^redis SET -P 16: wirelens$|ratio|>=|0.97|Redis SET -P 16: >= 97%"
	t[++n] = "^redis GET -P 16: wirelens$|ratio|>=|0.97|Redis GET -P 16: >= 97%"
	t[++n] = "^mariadb oltp_read_only: wirelens$|ratio|>=|0.97|MariaDB oltp_read_only: >= 97%"
	# the same with --hooks peer-egress,tc-egress on the veth (not the default: README, Veths)
	t[++n] = "^redis SET -P 1: wirelens_peer$|ratio|>=|0.97|  with peer-egress hooks: Redis SET -P 1"
	t[++n] = "^redis GET -P 1: wirelens_peer$|ratio|>=|0.97|  with peer-egress hooks: Redis GET -P 1"
	t[++n] = "^redis SET -P 16: wirelens_peer$|ratio|>=|0.97|  with peer-egress hooks: Redis SET -P 16"
	t[++n] = "^redis GET -P 16: wirelens_peer$|ratio|>=|0.97|  with peer-egress hooks: Redis GET -P 16"
	t[++n] = "^mariadb oltp_read_only: wirelens_peer$|ratio|>=|0.97|  with peer-egress hooks: MariaDB"
	t[++n] = "^redis -P 1: hooks / redis-server CPU per request$|ratio|<=|0.03|CPU, Redis -P 1: hooks <= 3% of the server"
	t[++n] = "^redis -P 16: hooks / redis-server CPU per request$|ratio|<=|0.03|CPU, Redis -P 16: hooks <= 3% of the server"
	t[++n] = "^total map memory|median|<=|134217728|map memory at the defaults: <= 128 MiB"
}
{ name[NR] = $2; median[NR] = $5; ratio[NR] = $9; rows = NR }
END {
	for (i = 1; i <= n; i++) {
		split(t[i], f, "|")
		v = ""
		for (r = 1; r <= rows; r++)
			if (name[r] ~ f[1]) { v = f[2] == "ratio" ? ratio[r] : median[r]; break }
		if (v == "") { printf "%s\t\tnot measured\n", f[5]; continue }
		ok = f[3] == "<=" ? v + 0 <= f[4] + 0 : v + 0 >= f[4] + 0
		printf "%s\t%s %s\t%s\n", f[5], f[2], v, ok ? "met" : "not met"
	}
}' "$AGG" >"$TARGETS"
echo
echo "Issue 19's targets, this run (on the development machine they are the issue's bar)${QUICK:+; QUICK:
fewer and shorter runs, cold where a full run is warm (the 100k-flow row): a full make bench is the measure}"
awk -F'\t' '{ printf "  %-52s %-22s %s\n", $1, $2, $3 }' "$TARGETS"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
jq -R -s --arg kernel "$(uname -r)" --arg cpu "$cpu" --argjson ncpu "$(nproc)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson quick "$([ -n "${QUICK:-}" ] && echo true || echo false)" '
	def num: if . == "" then null else tonumber end;
	{kernel: $kernel, cpu_model: $cpu, cpus: $ncpu, date: $date, quick: $quick,
	 rows: [split("\n")[] | select(length > 0) | split("\t") |
		{section: .[0], name: .[1], unit: .[2], rounds: (.[3] | tonumber),
		 median: (.[4] | num), min: (.[5] | num), max: (.[6] | num), baseline: (.[7] | num),
		 ratio: (.[8] | num), ratio_min: (.[9] | num), ratio_max: (.[10] | num)}]}
	+ {targets: $targets}' --argjson targets "$(jq -R -s '[split("\n")[] | select(length > 0) |
		split("\t") | {target: .[0], measured: .[1], verdict: .[2]}]' "$TARGETS")" \
	"$AGG" >"$OUT"
echo
echo "$(nproc) x $cpu, Linux $(uname -r), $(date -u +%Y-%m-%d)${QUICK:+, QUICK}: written to $OUT"
