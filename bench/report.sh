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

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
jq -R -s --arg kernel "$(uname -r)" --arg cpu "$cpu" --argjson ncpu "$(nproc)" \
	--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson quick "$([ -n "${QUICK:-}" ] && echo true || echo false)" '
	def num: if . == "" then null else tonumber end;
	{kernel: $kernel, cpu_model: $cpu, cpus: $ncpu, date: $date, quick: $quick,
	 rows: [split("\n")[] | select(length > 0) | split("\t") |
		{section: .[0], name: .[1], unit: .[2], rounds: (.[3] | tonumber),
		 median: (.[4] | num), min: (.[5] | num), max: (.[6] | num), baseline: (.[7] | num),
		 ratio: (.[8] | num), ratio_min: (.[9] | num), ratio_max: (.[10] | num)}]}' "$AGG" >"$OUT"
echo
echo "$(nproc) x $cpu, Linux $(uname -r), $(date -u +%Y-%m-%d)${QUICK:+, QUICK}: written to $OUT"
