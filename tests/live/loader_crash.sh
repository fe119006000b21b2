#!/usr/bin/env bash
# Crash safety and concurrency: an attach killed with SIGKILL half-way (WIRELENS_TEST_STALL_AT
# stops it between creating a link and pinning it) leaves only whole attachments, no orphan
# program, and the lock free; the next attach completes the job, the next detach cleans up.
# Two attaches of different interfaces at once both succeed.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
IF2=wlk$$ IF3=wlm$$
extra_pair "$IF2" "wll$$"
extra_pair "$IF3" "wln$$"
tmp=$(mktemp -d /tmp/wl_crash.XXXXXX)
on_exit "rm -rf $tmp"
xdp_on() { ip -d link show "$1" 2>/dev/null | grep -q 'prog/xdp'; }
pins_of() { ls "$PIN_DIR/links" 2>/dev/null | grep -c "^$1@"; }
killed_at() { # N IFACE...: attach stalled before pinning its Nth link, then SIGKILL
	local n=$1; shift
	: >"$tmp/err" # emptied before the start: the last call's "stalled" line must not be read as this one's
	WIRELENS_TEST_STALL_AT=$n "$WL_BIN" attach "$@" >"$tmp/out" 2>"$tmp/err" & local pid=$!
	if ! wait_for "$tmp/err" "stalled before pinning" 6000 $pid; then
		fail "attach did not stall: $(cat "$tmp/out" "$tmp/err")"; kill -9 $pid; return
	fi
	kill -9 $pid; wait $pid 2>/dev/null
	pass "attach $* killed before pinning link $n ($(grep -o '[^ ]*@[a-z-]*' "$tmp/err"))"
}

# 1. killed before its first link was pinned: maps pinned, nothing attached
killed_at 1 "$HOST_IF" "$IF2"
xdp_on "$HOST_IF" && fail "a program is left on $HOST_IF" || pass "no program left (the link died with the process)"
check_eq "link pins" 0 "$(ls "$PIN_DIR/links" 2>/dev/null | wc -l)"
timeout 5 "$WL_BIN" status | grep -q "(none: maps kept pinned)" && pass "status: no attachment, maps pinned; lock free" || fail "status after kill"
out=$(timeout 5 "$WL_BIN" detach --all) && pass "detach --all repairs: $out" || fail "detach --all after kill"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left: $(find "$WIRELENS_PIN_ROOT")" || pass "no pins left"

# 2. killed before the third link: HOST_IF whole, IF2 nothing
killed_at 3 "$HOST_IF" "$IF2"
check_eq "$HOST_IF pins" 2 "$(pins_of "$HOST_IF")"
check_eq "$IF2 pins" 0 "$(pins_of "$IF2")"
xdp_on "$IF2" && fail "orphan XDP program on $IF2" || pass "no orphan program on $IF2"
out=$(timeout 20 "$WL_BIN" attach "$HOST_IF" "$IF2")
check_eq "next attach completes the job" "$HOST_IF: already attached (xdp native, tc-egress)
attached $IF2 (xdp native, tc-egress)" "$out"
check_eq "status shows both interfaces" "$HOST_IF $HOST_IF $IF2 $IF2" "$("$WL_BIN" status --json | jq -r '[.attachments[] | select(.attached) | .iface] | sort | join(" ")')"

# 3. killed while attaching a hook to an interface that has the others: the hooks there stay
killed_at 1 "$IF2" --hooks xdp,tc-ingress
check_eq "$IF2 keeps its two hooks, no third" "$IF2@tc-egress $IF2@xdp" "$(ls "$PIN_DIR/links" | grep "^$IF2@" | sort | xargs)"
"$WL_BIN" detach --all >/dev/null
for i in "$HOST_IF" "$IF2"; do xdp_on "$i" && fail "XDP left on $i"; done
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left after detach --all" || pass "detach --all: nothing left"

# 4. concurrent attaches of different interfaces (first load racing with a reuse)
for round in 1 2; do
	"$WL_BIN" attach "$IF2" >"$tmp/a" 2>&1 & a=$!
	"$WL_BIN" attach "$IF3" >"$tmp/b" 2>&1 & b=$!
	wait $a; ra=$?; wait $b; rb=$?
	check_eq "round $round: both attaches succeed" "0 0" "$ra $rb"
	check_eq "round $round: status shows both" "$IF2 $IF2 $IF3 $IF3" "$("$WL_BIN" status --json | jq -r '[.attachments[] | select(.attached) | .iface] | sort | join(" ")')"
	check_eq "round $round: one program for both interfaces" 1 "$("$WL_BIN" status --json | jq '[.attachments[] | select(.hook=="xdp") | .prog_id] | unique | length')"
	"$WL_BIN" detach "$IF2" >/dev/null & "$WL_BIN" detach "$IF3" >/dev/null & wait
	[ -e "$WIRELENS_PIN_ROOT" ] && fail "round $round: pins left after concurrent detaches" || pass "round $round: concurrent detaches leave nothing"
done
finish
