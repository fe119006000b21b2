#!/usr/bin/env bash
# Faults (issue #14, item 6): kill -9 at any point of a detach or a rule change leaves a state
# the next command repairs (loader_crash.sh does attach). WIRELENS_TEST_STALL=POINT stops the
# command there (loader/faults.h lists the points); the test kills it with SIGKILL and checks
# what the next commands see: no orphan qdisc, filter, program or pin, the lock free, rules the
# old or the new set (never a mix, nothing left in the inactive generation once a rule command
# ran), rule ids never reused.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
tmp=$(mktemp -d /tmp/wl_faults.XXXXXX)
on_exit "rm -rf $tmp"
xdp_on() { ip -d link show "$HOST_IF" 2>/dev/null | grep -q 'prog/xdp'; }
links() { ls "$PIN_DIR/links" 2>/dev/null | sort | xargs; }
clsact_on() { tc qdisc show dev "$HOST_IF" | grep -q clsact; }
filters() { for p in ingress egress; do tc filter show dev "$HOST_IF" $p; done | grep -c 'handle 0x'; }
attached() { "$WL_BIN" status --json | jq -r --arg i "$HOST_IF" '[.attachments[] | select(.attached and .iface == $i) | .hook] | sort | join(" ")'; }
# killed POINT CMD...: runs the command until it stalls at POINT, then SIGKILL
killed() {
	local point=$1 pid
	shift
	: >"$tmp/err"
	WIRELENS_TEST_STALL=$point "$WL_BIN" "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	if ! wait_for "$tmp/err" "stalled at $point" 6000 $pid; then
		fail "$* did not stall at $point: $(cat "$tmp/out" "$tmp/err")"
		kill -9 $pid 2>/dev/null
		return 1
	fi
	kill -9 $pid
	wait $pid 2>/dev/null
	pass "'$*' killed at $point"
}
nothing_left() { # NAME [all]: no pin (of $HOST_IF, or at all), no program, no qdisc
	if [ "${2:-}" = all ]; then
		[ -e "$WIRELENS_PIN_ROOT" ] && fail "$1: pins left: $(find "$WIRELENS_PIN_ROOT" | xargs)" || pass "$1: no pin left"
	else
		[ -z "$(links | tr ' ' '\n' | grep -e "^$HOST_IF@" -e "^:$HOST_IF@")" ] && pass "$1: no pin of $HOST_IF left" || fail "$1: pins left: $(links)"
	fi
	xdp_on && fail "$1: XDP program left" || pass "$1: no XDP program left"
	clsact_on && fail "$1: clsact qdisc left" || pass "$1: no qdisc left"
}

# Another interface stays attached while the maps must stay (1. to 3.): the maps and the
# programs stay pinned, so the attaches reuse them instead of loading (and verifying) again.
KEEP_IF=wlq$$
extra_pair "$KEEP_IF" "wlr$$"
"$WL_BIN" attach "$KEEP_IF" >/dev/null || fail "attach $KEEP_IF"

# 1. detach killed between hooks: the hooks not reached stay whole; the next detach finishes
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach"
killed detach-hook detach "$HOST_IF"
check_eq "after the kill: one hook left, still attached" "tc-egress" "$(timeout 5 "$WL_BIN" status --json | jq -r --arg i "$HOST_IF" '[.attachments[] | select(.attached and .iface == $i) | .hook] | join(" ")')"
xdp_on && fail "XDP still on $HOST_IF after its link was unpinned" || pass "the detached hook is gone from the interface"
out=$(timeout 5 "$WL_BIN" detach "$HOST_IF") && check_eq "next detach finishes" "detached $HOST_IF (tc-egress)" "$out" || fail "detach after kill"
nothing_left "detach after a kill between hooks"

# 2. cls_bpf: killed after a filter (and the qdisc) went, before its record was unpinned
"$WL_BIN" attach "$HOST_IF" --hooks tc-ingress,tc-egress --tc-mode cls >/dev/null || fail "attach cls"
check_eq "two cls_bpf filters" 2 "$(filters)"
killed detach-cls detach "$HOST_IF"
check_eq "after the kill: one filter left" 1 "$(filters)"
st=$(timeout 5 "$WL_BIN" status --json)
check_eq "status: the other hook attached, the record of the removed one stale" "tc-egress:true tc-ingress:false" \
	"$(jq -r --arg i "$HOST_IF" '[.attachments[] | select(.iface == $i) | "\(.hook):\(.attached)"] | sort | join(" ")' <<<"$st")"
out=$(timeout 5 "$WL_BIN" detach "$HOST_IF") || fail "detach after kill: $out"
check_eq "next detach: no filter left" 0 "$(filters)"
nothing_left "detach after a kill in cls_bpf"

# 3. rule changes: killed before the flip (the old set stays whole) and after it (the new one)
rl() { "$WL_BIN" rule list --json | jq -r '"\(.policy): " + ([.rules[] | "\(.id)=\(.action)/\(.dport // "-")"] | join(" "))'; }
cfg() { bpftool -j map lookup pinned "$PIN_DIR/wl_filter_cfg" key 0 0 0 0 | jq -r ".formatted.value.$1"; }
slot_id() { # GEN SLOT: the id in that generation's slot (0: empty)
	local idx=$(($1 * 16384 + $2))
	bpftool -j map lookup pinned "$PIN_DIR/wl_rules" key $((idx & 255)) $((idx >> 8 & 255)) 0 0 | jq -r .formatted.value.id
}
for p in 7001 7002; do "$WL_BIN" rule add --proto tcp --dport $p --action count >/dev/null; done
check_eq "two rules" "allow: 1=count/7001 2=count/7002" "$(rl)"
# rule add killed before the flip
killed rule-written rule add --proto tcp --dport 7003 --action deny
inactive=$(($(cfg gen) ^ 1))
check_eq "the killed add wrote the inactive set (3 rules there)" "3" "$([ "$(slot_id $inactive 2)" != 0 ] && echo 3)"
check_eq "rule list after the kill: the old set" "allow: 1=count/7001 2=count/7002" "$(rl)"
check_eq "rule list cleared the inactive set" "0 0" "$(slot_id $inactive 0) $(slot_id $inactive 2)"
check_eq "next add" "3" "$("$WL_BIN" rule add --proto tcp --dport 7004 --action count)"
check_eq "set after the next add: no trace of the killed one" "allow: 1=count/7001 2=count/7002 3=count/7004" "$(rl)"
# rule del killed after the flip
killed rule-flipped rule del 2
check_eq "rule list after the kill: the new set" "allow: 1=count/7001 3=count/7004" "$(rl)"
check_eq "next add: id 4 (2 and 3 are never given again)" "4" "$("$WL_BIN" rule add --proto udp --dport 7005 --action count)"
inactive=$(($(cfg gen) ^ 1))
check_eq "the inactive set is empty" "0" "$(slot_id $inactive 0)"
# policy killed before the flip, flush after it, load before it
killed rule-written rule policy deny
check_eq "policy kill before the flip: the old policy" "allow: 1=count/7001 3=count/7004 4=count/7005" "$(rl)"
killed rule-flipped rule flush
check_eq "flush killed after the flip: empty" "allow: " "$(rl)"
printf '%s\n' '--proto tcp --dport 7006 --action count' '--proto tcp --dport 7007 --action deny' >"$tmp/rules2"
killed rule-written rule load "$tmp/rules2"
check_eq "load killed before the flip: the old (empty) set" "allow: " "$(rl)"
"$WL_BIN" rule load "$tmp/rules2" >/dev/null || fail "rule load"
check_eq "load after the kill: ids go on from 5" "allow: 5=count/7006 6=deny/7007" "$(rl)"
check_eq "next_id" 7 "$(cfg next_id)"
# the lock is free after every kill: a change runs at once
timeout 5 "$WL_BIN" rule flush >/dev/null && pass "lock free after the kills" || fail "rule flush hangs or fails"

# 4. killed after the links went, before the maps were unpinned: as detach --keep-maps ($HOST_IF
# the last attachment)
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach"
"$WL_BIN" detach "$KEEP_IF" >/dev/null || fail "detach $KEEP_IF"
"$WL_BIN" reset >/dev/null
ping -c 3 -i 0.01 "$SRV_IP" >/dev/null
killed detach-links detach "$HOST_IF"
check_eq "after the kill: no link" "" "$(links)"
xdp_on && fail "XDP left" || pass "no program on the interface"
timeout 5 "$WL_BIN" status | grep -q "(none: maps kept pinned)" && pass "status: nothing attached, maps pinned; lock free" || fail "status after kill"
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach after the kill"
check_eq "the next attach goes on with the kept maps: the echo requests counted before" 3 \
	"$("$WL_BIN" flows --json | jq '[.[] | select(.proto == "icmp" and .dst == "'"$SRV_IP"'")] | map(.packets) | add // 0')"

# 5. killed half-way through unpinning (programs and wl_counters gone, other maps still pinned)
echo "--proto icmp --action count" >"$tmp/rules"
"$WL_BIN" rule load "$tmp/rules" >/dev/null || fail "rule load"
killed detach-unpin detach "$HOST_IF"
left=$(ls "$PIN_DIR" | grep -v '^links$' | wc -l)
[ "$left" -gt 0 ] && ! ls "$PIN_DIR" | grep -q -e '^wl_counters$' -e '_prog_' &&
	pass "after the kill: $left map pins left, no wl_counters, no program pin" || fail "pins after the kill: $(ls "$PIN_DIR" | xargs)"
err=$(timeout 5 "$WL_BIN" status 2>&1 >/dev/null) && fail "status: exit 0" || pass "status: nothing attached ($err)"
err=$(timeout 5 "$WL_BIN" rule list 2>&1 >/dev/null) && fail "rule list shows the half-removed set" || pass "rule list: nothing attached ($err)"
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach after the kill"
check_eq "attach starts clean: no rule of the half-removed set" "0" "$("$WL_BIN" rule list --json | jq '.rules | length')"
check_eq "attach: both hooks" "tc-egress xdp" "$(attached)"
"$WL_BIN" detach "$HOST_IF" >/dev/null
nothing_left "attach + detach after a kill while unpinning" all
finish
