#!/usr/bin/env bash
# Classic TC (clsact qdisc + cls_bpf direct-action filter), the way kernels without tcx (before
# 6.6) are attached; forced here with --tc-mode cls so a kernel with tcx tests it too. Exact UDP
# counts through the filter, `tc filter show` and status name it, detach leaves no filter and no
# qdisc; a clsact qdisc and foreign filters that were there before survive attach + detach
# untouched; both TC hooks share one qdisc; a filter deleted by someone else is repaired; detach
# --all; --netns; an attach killed half-way is repaired. --tc-mode auto: tcx where the kernel has
# it (6.6+), else cls_bpf.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
IF2=wlq$$
extra_pair "$IF2" "wlr$$"
tmp=$(mktemp -d /tmp/wl_tc.XXXXXX)
on_exit "rm -rf $tmp"

sink='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2])))
while True: s.recv(65535)'
send='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])): s.sendto(b"x"*int(sys.argv[4]),(sys.argv[1],int(sys.argv[2])))'
ip netns exec "$NS" python3 -c "$sink" "$SRV_IP" 9000 & on_exit "kill $!"
python3 -c "$sink" "$HOST_IP" 9001 & on_exit "kill $!"
sleep 0.5
ping -c1 -W1 "$SRV_IP" >/dev/null # resolve neighbours before counting

# kernel version: tcx came with 6.6
kver=$(uname -r) && kmaj=${kver%%.*} && kver=${kver#*.} && kmin=${kver%%[!0-9]*}
has_tcx=$(( kmaj > 6 || (kmaj == 6 && kmin >= 6) ))

bpf_filters() { tc filter show dev "$1" "$2" | grep -c "bpf.* wirelens "; } # IFACE ingress|egress
clsact_on() { tc qdisc show dev "$1" | grep -q "^qdisc clsact"; }
st() { "$WL_BIN" status --json | jq -r --arg i "$1" --arg h "$2" '.attachments[] | select(.iface == $i and .hook == $h) | "\(.mode) \(.attached)"'; }
egress_udp() { # packets and bytes of the HOST_IP -> SRV_IP:9000 flow
	"$WL_BIN" flows --json | jq -r --arg s "$HOST_IP" --arg d "$SRV_IP" \
		'[.[] | select(.proto=="udp" and .src==$s and .dst==$d and .dport==9000)] | "\(map(.packets) | add // 0) \(map(.bytes) | add // 0)"'
}
# Pins of one interface, and the programs and maps kept (so later attaches need no load)
keep_detach() { "$WL_BIN" detach "$@" --keep-maps >/dev/null; }

# ---- bad input
check_bad "attach --tc-mode bogus" "--tc-mode auto\|tcx\|cls" "$WL_BIN" attach "$HOST_IF" --tc-mode bogus
check_bad "watch --tc-mode bogus" "--tc-mode auto\|tcx\|cls" "$WL_BIN" watch 'x*' --tc-mode bogus

# ---- 1. cls_bpf on egress: the filter, status, exact counts, idempotent attach
out=$("$WL_BIN" attach "$HOST_IF" --tc-mode cls 2>"$tmp/err")
check_eq "attach --tc-mode cls" "attached $HOST_IF (xdp native, tc-egress)" "$out"
[ -s "$tmp/err" ] && fail "attach wrote to stderr: $(cat "$tmp/err")"
check_eq "tc filter show: one wirelens bpf filter on egress" 1 "$(bpf_filters "$HOST_IF" egress)"
tc filter show dev "$HOST_IF" egress | grep -q "bpf .*handle 0x1 wirelens direct-action" &&
	pass "the filter is cls_bpf direct-action" || fail "filter: $(tc filter show dev "$HOST_IF" egress)"
clsact_on "$HOST_IF" && pass "clsact qdisc added" || fail "no clsact qdisc"
check_eq "status --json: tc-egress" "cls_bpf true" "$(st "$HOST_IF" tc-egress)"
check_eq "status --json: xdp" "native true" "$(st "$HOST_IF" xdp)"
"$WL_BIN" status | grep -qE "^  $HOST_IF +- +tc-egress +cls_bpf +- " && pass "status: tc-egress cls_bpf" ||
	fail "status: $("$WL_BIN" status | grep "$HOST_IF")"
check_eq "status --json: the program of the filter" \
	"$(tc filter show dev "$HOST_IF" egress | grep -o ' id [0-9]*' | awk '{print $2}')" \
	"$("$WL_BIN" status --json | jq -r --arg i "$HOST_IF" '.attachments[] | select(.iface == $i and .hook == "tc-egress") | .prog_id')"
check_eq "second attach" "$HOST_IF: already attached (xdp native, tc-egress)" \
	"$("$WL_BIN" attach "$HOST_IF" --tc-mode cls)"
check_eq "second attach (auto)" "$HOST_IF: already attached (xdp native, tc-egress)" \
	"$("$WL_BIN" attach "$HOST_IF")"
check_eq "still one filter" 1 "$(bpf_filters "$HOST_IF" egress)"
if [ "$has_tcx" = 0 ]; then # (while the programs are pinned: no second load)
	check_bad "--tc-mode tcx without tcx" "tc-egress failed.*--tc-mode cls" \
		"$WL_BIN" attach "$IF2" --tc-mode tcx --hooks tc-egress
fi

ip netns exec "$NS" python3 -c "$send" "$HOST_IP" 9001 30 200 # XDP ingress
python3 -c "$send" "$SRV_IP" 9000 50 100                        # cls_bpf egress
sleep 0.3
check_eq "egress UDP flow through cls_bpf: packets/bytes" "50 $((50 * (14 + 20 + 8 + 100)))" "$(egress_udp)"
out=$("$WL_BIN" flows --json | jq -r --arg s "$SRV_IP" --arg d "$HOST_IP" '.[] | select(.proto=="udp" and .src==$s and .dst==$d and .dport==9001) | "\(.packets) \(.bytes)"')
check_eq "ingress UDP flow (XDP): packets/bytes" "30 $((30 * (14 + 20 + 8 + 200)))" "$out"

# ---- 2. the filter deleted by someone else: stale, repaired by the next attach
pref=$("$WL_BIN" status --json | jq -r --arg i "$HOST_IF" '.attachments[] | select(.iface == $i and .hook == "tc-egress") | .tc_prio')
tc filter del dev "$HOST_IF" egress pref "$pref" handle 1 bpf
check_eq "status after tc filter del" "cls_bpf false" "$(st "$HOST_IF" tc-egress)"
"$WL_BIN" status | grep "$HOST_IF .*tc-egress" | grep -q "stale" && pass "status text says stale" ||
	fail "status text: $("$WL_BIN" status | grep "$HOST_IF")"
check_eq "attach repairs" "attached $HOST_IF (tc-egress; already: xdp native)" \
	"$("$WL_BIN" attach "$HOST_IF" --tc-mode cls)"
check_eq "one filter again" 1 "$(bpf_filters "$HOST_IF" egress)"
check_eq "status after repair" "cls_bpf true" "$(st "$HOST_IF" tc-egress)"
python3 -c "$send" "$SRV_IP" 9000 10 100
sleep 0.3
check_eq "counting again: packets/bytes" "60 $((60 * (14 + 20 + 8 + 100)))" "$(egress_udp)"

# ---- 3. detach: no filter, no qdisc, no pin of the interface
out=$("$WL_BIN" detach "$HOST_IF" --keep-maps)
check_eq "detach" "detached $HOST_IF (xdp, tc-egress)" "$out"
check_eq "no wirelens filter left" 0 "$(bpf_filters "$HOST_IF" egress)"
clsact_on "$HOST_IF" && fail "clsact qdisc left: $(tc qdisc show dev "$HOST_IF")" || pass "the clsact qdisc wirelens added is gone"
check_eq "no pins of $HOST_IF" "" "$(ls "$PIN_DIR/links" | grep "^$HOST_IF@")"

# ---- 4. a clsact qdisc with foreign filters (classic BPF, u32) survives attach + detach
# (classifiers only: kernels without modules may have no actions nor matchall)
tc qdisc add dev "$HOST_IF" clsact
tc filter add dev "$HOST_IF" egress pref 1 bpf bytecode '1,6 0 0 0,' # matches nothing
tc filter add dev "$HOST_IF" egress pref 3 u32 match u32 0 0 classid 1:1
tc filter add dev "$HOST_IF" ingress pref 7 bpf bytecode '1,6 0 0 4294967295,' classid 1:2
before_e=$(tc filter show dev "$HOST_IF" egress) before_i=$(tc filter show dev "$HOST_IF" ingress)
out=$("$WL_BIN" attach "$HOST_IF" --tc-mode cls --hooks tc-egress,tc-ingress 2>"$tmp/err")
check_eq "attach beside foreign filters" "attached $HOST_IF (tc-ingress, tc-egress)" "$out"
grep -q "other filters run first (preference 1; ours is 2)" "$tmp/err" &&
	pass "warned: a foreign filter runs first on egress" || fail "no warning: $(cat "$tmp/err")"
check_eq "our egress filter at the lowest free preference" "2" \
	"$("$WL_BIN" status --json | jq -r --arg i "$HOST_IF" '.attachments[] | select(.iface == $i and .hook == "tc-egress") | .tc_prio')"
check_eq "our ingress filter first" "1" \
	"$("$WL_BIN" status --json | jq -r --arg i "$HOST_IF" '.attachments[] | select(.iface == $i and .hook == "tc-ingress") | .tc_prio')"
python3 -c "$send" "$SRV_IP" 9000 20 100 # the filter at pref 1 matches nothing: ours sees all
sleep 0.3
check_eq "counted behind a foreign filter that does not match" "80 $((80 * (14 + 20 + 8 + 100)))" "$(egress_udp)"
keep_detach "$HOST_IF"
check_eq "foreign egress filters untouched" "$before_e" "$(tc filter show dev "$HOST_IF" egress)"
check_eq "foreign ingress filter untouched" "$before_i" "$(tc filter show dev "$HOST_IF" ingress)"
clsact_on "$HOST_IF" && pass "the clsact qdisc that was there stays" || fail "the foreign clsact qdisc was removed"
# a clsact qdisc that was there, empty: still not ours to remove
tc qdisc del dev "$HOST_IF" clsact
tc qdisc add dev "$HOST_IF" clsact
"$WL_BIN" attach "$HOST_IF" --tc-mode cls --hooks tc-egress >/dev/null
keep_detach "$HOST_IF"
clsact_on "$HOST_IF" && pass "an empty clsact qdisc that was there stays" || fail "the empty foreign clsact qdisc was removed"
tc qdisc del dev "$HOST_IF" clsact

# ---- 5. both hooks share the qdisc wirelens adds; a foreign filter added later keeps it
"$WL_BIN" attach "$HOST_IF" --tc-mode cls --hooks tc-egress,tc-ingress >/dev/null
check_eq "a filter on each side" "1 1" "$(bpf_filters "$HOST_IF" ingress) $(bpf_filters "$HOST_IF" egress)"
keep_detach "$HOST_IF"
clsact_on "$HOST_IF" && fail "qdisc left after detaching both hooks" || pass "both hooks detached: qdisc gone"
"$WL_BIN" attach "$HOST_IF" --tc-mode cls --hooks tc-egress >/dev/null
tc filter add dev "$HOST_IF" ingress pref 9 u32 match u32 0 0 classid 1:1 # added while attached
keep_detach "$HOST_IF"
check_eq "our filter gone" 0 "$(bpf_filters "$HOST_IF" egress)"
tc filter show dev "$HOST_IF" ingress | grep -q u32 && clsact_on "$HOST_IF" &&
	pass "a foreign filter added meanwhile keeps the qdisc" || fail "foreign filter or qdisc removed"
tc qdisc del dev "$HOST_IF" clsact

# ---- 6. --netns, and detach --all of every namespace
"$WL_BIN" --netns "$NS" attach "wlr$$" --tc-mode cls --hooks tc-egress >/dev/null
"$WL_BIN" attach "$HOST_IF" "$IF2" --tc-mode cls >/dev/null
check_eq "a filter in the namespace" 1 "$(tc -n "$NS" filter show dev "wlr$$" egress | grep -c "bpf.* wirelens ")"
check_eq "status (from the host) of the namespace's filter" "cls_bpf true" \
	"$("$WL_BIN" status --json | jq -r --arg i "wlr$$" '.attachments[] | select(.iface == $i) | "\(.mode) \(.attached)"')"
out=$("$WL_BIN" detach --all --keep-maps)
check_eq "detach --all" "detached 5 links" "$out"
check_eq "no filters left" "0 0 0" "$(bpf_filters "$HOST_IF" egress) $(bpf_filters "$IF2" egress) $(tc -n "$NS" filter show dev "wlr$$" egress | grep -c wirelens)"
clsact_on "$HOST_IF" || clsact_on "$IF2" || tc -n "$NS" qdisc show dev "wlr$$" | grep -q clsact &&
	fail "a clsact qdisc is left" || pass "no clsact qdisc left"
check_eq "no link pins" 0 "$(ls "$PIN_DIR/links" | wc -l)"

# ---- 7. an attach killed between adding the filter and completing its record: as with a link,
# only whole attachments have a pin; the pending record is shown, and the next attach or detach
# (of any interface: under the lock no attach is running) removes its filter
killed_at() { # N ARGS...: attach stalled before its Nth link/record is complete, then SIGKILL
	local n=$1; shift
	: >"$tmp/err" # before the start: the last call's "stalled" line must not be read as this one's
	WIRELENS_TEST_STALL_AT=$n "$WL_BIN" attach "$@" >"$tmp/out" 2>"$tmp/err" & local pid=$!
	if ! wait_for "$tmp/err" "stalled before pinning" 6000 $pid; then
		fail "attach did not stall: $(cat "$tmp/out" "$tmp/err")"; kill -9 $pid; return
	fi
	kill -9 $pid; wait $pid 2>/dev/null
	pass "attach $* killed at link $n ($(grep -o '[^ ]*@[a-z-]*' "$tmp/err"))"
}
interrupted() { "$WL_BIN" status --json | jq -r --arg i "$1" '[.attachments[] | select(.iface == $i and .interrupted) | "\(.hook) \(.mode) \(.attached)"] | join(",")'; }
killed_at 2 "$HOST_IF" --tc-mode cls
check_eq "the killed attach's filter is there" 1 "$(bpf_filters "$HOST_IF" egress)"
check_eq "only the whole attachment has a pin" "$HOST_IF@xdp" "$(ls "$PIN_DIR/links" | grep "^$HOST_IF@" | xargs)"
check_eq "status: the interrupted attach" "tc-egress cls_bpf false" "$(interrupted "$HOST_IF")"
"$WL_BIN" status | grep "$HOST_IF .*tc-egress" | grep -q "attach interrupted" && pass "status text: attach interrupted" ||
	fail "status text: $("$WL_BIN" status | grep "$HOST_IF")"
out=$(timeout 60 "$WL_BIN" attach "$HOST_IF" --tc-mode cls)
check_eq "next attach completes the job" "attached $HOST_IF (tc-egress; already: xdp native)" "$out"
check_eq "one filter, not two" 1 "$(bpf_filters "$HOST_IF" egress)"
check_eq "status after the repair" "cls_bpf true" "$(st "$HOST_IF" tc-egress)"
check_eq "nothing interrupted any more" "" "$(interrupted "$HOST_IF")"
killed_at 1 "$IF2" --tc-mode cls --hooks tc-egress,tc-ingress
check_eq "$IF2: the killed attach's filter and qdisc are there" "1 0" "$(bpf_filters "$IF2" ingress) $(bpf_filters "$IF2" egress)"
out=$(timeout 60 "$WL_BIN" attach "$HOST_IF" --tc-mode cls)
check_eq "an attach of another interface" "$HOST_IF: already attached (xdp native, tc-egress)" "$out"
check_eq "... removed $IF2's interrupted filter" "0 0" "$(bpf_filters "$IF2" ingress) $(bpf_filters "$IF2" egress)"
clsact_on "$IF2" && fail "qdisc left on $IF2" || pass "... and its qdisc"
check_eq "... and its record" "" "$(interrupted "$IF2")"
killed_at 1 "$IF2" --tc-mode cls --hooks tc-egress
check_eq "$IF2 killed again: the filter is there" 1 "$(bpf_filters "$IF2" egress)"
check_eq "detach $IF2" "detached $IF2 (tc-egress)" "$(timeout 60 "$WL_BIN" detach "$IF2" --keep-maps)"
check_eq "no filter left on $IF2" 0 "$(bpf_filters "$IF2" egress)"
killed_at 1 "$IF2" --tc-mode cls --hooks tc-ingress
out=$(timeout 60 "$WL_BIN" detach --all)
[ $? = 0 ] && pass "detach --all after the kill: $out" || fail "detach --all after the kill: $out"
check_eq "no filter left" "0 0 0" "$(bpf_filters "$IF2" ingress) $(bpf_filters "$IF2" egress) $(bpf_filters "$HOST_IF" egress)"
clsact_on "$IF2" || clsact_on "$HOST_IF" && fail "qdisc left" || pass "no qdisc left"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left: $(find "$WIRELENS_PIN_ROOT")" || pass "no pins left"

# ---- 8. watch --tc-mode cls
"$WL_BIN" watch "$IF2" --tc-mode cls --hooks tc-egress --detach-on-exit >"$tmp/wout" 2>&1 & watcher=$!
wait_for "$tmp/wout" "attached $IF2 " 6000 $watcher || fail "watch: $(cat "$tmp/wout")"
check_eq "watch attaches with cls_bpf" "attached $IF2 (tc-egress)" "$(grep "attached $IF2 " "$tmp/wout")"
kill -TERM $watcher; wait $watcher
check_eq "watch --detach-on-exit leaves no filter" 0 "$(bpf_filters "$IF2" egress)"
clsact_on "$IF2" && fail "qdisc left by watch" || pass "no qdisc left by watch"

# ---- 9. auto: tcx where the kernel has it, cls_bpf where it has not
"$WL_BIN" attach "$HOST_IF" >/dev/null
if [ "$has_tcx" = 1 ]; then
	check_eq "auto on $(uname -r): tcx" "tcx true" "$(st "$HOST_IF" tc-egress)"
	clsact_on "$HOST_IF" && fail "auto added a clsact qdisc" || pass "auto: no qdisc added"
else
	check_eq "auto on $(uname -r): cls_bpf" "cls_bpf true" "$(st "$HOST_IF" tc-egress)"
	check_eq "auto: the filter" 1 "$(bpf_filters "$HOST_IF" egress)"
fi
"$WL_BIN" detach "$HOST_IF" >/dev/null
clsact_on "$HOST_IF" && fail "qdisc left" || pass "nothing left after detach"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left: $(find "$WIRELENS_PIN_ROOT")" || pass "no pins left"

# ---- 10. an observer: a filter behind wirelens still acts (a classic-BPF drop-everything filter,
# direct action, returns TC_ACT_SHOT): with wirelens first on the hook, pings still fail
for mode in auto cls; do
	"$WL_BIN" attach "$HOST_IF" --hooks tc-egress --tc-mode $mode >/dev/null || fail "attach ($mode)"
	tc qdisc add dev "$HOST_IF" clsact 2>/dev/null
	tc filter add dev "$HOST_IF" egress prio 60000 bpf da bytecode '1,6 0 0 2' || fail "foreign drop filter"
	ping -c 2 -i 0.2 -W 1 "$SRV_IP" >/dev/null 2>&1 && fail "$mode: the drop filter behind wirelens was silenced" ||
		pass "$mode: the drop filter behind wirelens still drops"
	tc filter del dev "$HOST_IF" egress prio 60000
	ping -c 1 -W 1 "$SRV_IP" >/dev/null 2>&1 && pass "$mode: traffic flows again without it" || fail "$mode: no traffic"
	"$WL_BIN" detach "$HOST_IF" >/dev/null
	tc qdisc del dev "$HOST_IF" clsact 2>/dev/null
done
finish
