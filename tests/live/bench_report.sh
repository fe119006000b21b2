#!/usr/bin/env bash
# make bench's summary (bench/report.sh) from rows whose answer is known: each row's median (odd
# and even rounds), min, max and baseline; the ratio per round and its median; issue 19's
# targets judged met or not at their bounds, and "not measured" where a row is missing; the JSON.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tmp=$(mktemp -d /tmp/wlreport-test.XXXXXX)
on_exit "rm -rf $tmp"
T=$(printf '\t')
row() { printf '%s\n' "$1$T$2$T$3$T$4$T$5" >>"$tmp/rows"; } # section name unit value baseline
# 3 rounds: ratios 2, 3, 4 -> median 3, at the bound (<= 3: met)
row test_run "xdp L2-L4, 1 flow (repeat)" ns/packet 20 10
row test_run "xdp L2-L4, 1 flow (repeat)" ns/packet 30 10
row test_run "xdp L2-L4, 1 flow (repeat)" ns/packet 48 12
# just above the bound
row test_run "tc L2-L4, 1 flow (repeat)" ns/packet 31 10
# 2 rounds: the median is the mean of the two (150: at the bound, met)
row test_run "xdp L2-L4, 100k flows in turn (repeat, key rotated)" ns/packet 160 6
row test_run "xdp L2-L4, 100k flows in turn (repeat, key rotated)" ns/packet 140 5
# ratio median 0.97 over 3 rounds (met), and one at 0.84 (not met)
row application "redis SET -P 1: wirelens" ops/s 97 100
row application "redis SET -P 1: wirelens" ops/s 99 100
row application "redis SET -P 1: wirelens" ops/s 90 100
row application "mariadb oltp_read_only: wirelens" tps 84 100
# a row without a baseline: no ratio
row memory "total map memory (2 CPUs)" B 67599688 ""

out=$(bash "$here/../../bench/report.sh" "$tmp/rows" "$tmp/results.json" 2>&1)
rc=$?
check_eq "report.sh exit" 0 "$rc"
jq -e . "$tmp/results.json" >/dev/null 2>&1 && pass "results.json is JSON" || fail "results.json: $(head -c 300 "$tmp/results.json")"
jrow() { jq -r --arg n "$1" --arg f "$2" '.rows[] | select(.name == $n) | .[$f] | tostring' "$tmp/results.json"; }
check_eq "rows in the JSON" 6 "$(jq '.rows | length' "$tmp/results.json")"
x="xdp L2-L4, 1 flow (repeat)"
check_eq "odd rounds: median" 30 "$(jrow "$x" median)"
check_eq "min" 20 "$(jrow "$x" min)"
check_eq "max" 48 "$(jrow "$x" max)"
check_eq "rounds" 3 "$(jrow "$x" rounds)"
check_eq "baseline median" 10 "$(jrow "$x" baseline)"
check_eq "ratio median (per round: 2, 3, 4)" 3 "$(jrow "$x" ratio)"
check_eq "ratio min" 2 "$(jrow "$x" ratio_min)"
check_eq "ratio max" 4 "$(jrow "$x" ratio_max)"
check_eq "even rounds: median" 150 "$(jrow "xdp L2-L4, 100k flows in turn (repeat, key rotated)" median)"
check_eq "no baseline: no ratio" null "$(jrow "total map memory (2 CPUs)" ratio)"
check_eq "section" application "$(jrow "redis SET -P 1: wirelens" section)"
verdict() { jq -r --arg t "$1" '.targets[] | select(.target == $t) | .verdict' "$tmp/results.json"; }
check_eq "L2-L4 XDP at 3x" met "$(verdict "L2-L4, XDP: <= 3x bare")"
check_eq "L2-L4 TC at 3.1x" "not met" "$(verdict "L2-L4, TC: <= 3x bare")"
check_eq "100k flows at 150 ns" met "$(verdict "100k flows in turn: <= 150 ns")"
check_eq "Redis SET -P 1 at 0.97" met "$(verdict "Redis SET -P 1: >= 97%")"
check_eq "MariaDB at 0.84" "not met" "$(verdict "MariaDB oltp_read_only: >= 97%")"
check_eq "memory at 64.5 MiB" met "$(verdict "map memory at the defaults: <= 128 MiB")"
check_eq "a target without its row" "not measured" "$(verdict "Redis GET -P 16: >= 97%")"
echo "$out" | grep -q "^Section 3. Application throughput" && pass "section 3's table printed" ||
	fail "no section 3 table in: $out"
echo "$out" | grep -q "L2-L4, TC: <= 3x bare  *ratio 3.1000  *not met" && pass "the targets printed" ||
	fail "no target line in: $out"
finish
