#!/usr/bin/env bash
# watch: attaches to the matching interfaces there at start and to those created later (also
# deleted and created again under the same name), leaves others alone; --detach-on-exit undoes
# exactly its own attachments on SIGTERM; without it, SIGINT leaves them attached.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
tmp=$(mktemp -d /tmp/wl_watch.XXXXXX)
on_exit "rm -rf $tmp"
P=wlw$$ # the pattern's prefix: ${P}a, ${P}b... match "${P}*", $HOST_IF does not
xdp_on() { ip -d link show "$1" 2>/dev/null | grep -q 'prog/xdp'; }
pins_of() { ls "$PIN_DIR/links" 2>/dev/null | grep -c "^$1@"; }

extra_pair "${P}a" "${P}ap"            # there before the watcher
"$WL_BIN" attach "$HOST_IF" >/dev/null # attached by someone else: must survive the watcher
"$WL_BIN" watch "${P}*" --detach-on-exit >"$tmp/out" 2>"$tmp/err" & watcher=$!
on_exit "kill $watcher"
wait_for "$tmp/out" "attached ${P}a " 6000 $watcher || fail "existing interface not attached: $(cat "$tmp/out" "$tmp/err")"
check_eq "line for the existing interface" "attached ${P}a (xdp native, tc-egress)" "$(grep "${P}a " "$tmp/out")"

extra_pair "${P}b" "${P}bp" # created after the watcher started
wait_for "$tmp/out" "attached ${P}b " 6000 $watcher && pass "new interface picked up: $(grep "${P}b " "$tmp/out")" ||
	fail "new interface not attached: $(cat "$tmp/out" "$tmp/err")"
xdp_on "${P}b" && [ "$(pins_of "${P}b")" = 2 ] && pass "${P}b: XDP program and two pinned links" || fail "${P}b state"
ip link add "wlx$$" type veth peer name "wlxp$$"; on_exit "ip link del wlx$$"
sleep 0.5
xdp_on "wlx$$" && fail "a non-matching interface was attached" || pass "non-matching interface left alone"

# traffic through the new interface is counted
ip -n "$NS" addr add "198.19.$ID.2/24" dev "${P}bp"
ip addr add "198.19.$ID.1/24" dev "${P}b"
ping -c1 -W1 "198.19.$ID.2" >/dev/null
ping -c 5 -i 0.05 -W1 "198.19.$ID.2" >/dev/null
check_eq "ICMP echo requests counted on ${P}b (TC egress): 1 + 5" 6 \
	"$("$WL_BIN" flows --json | jq --arg s "198.19.$ID.1" '[.[] | select(.proto=="icmp" and .src==$s and .iface=="'"${P}b"'")] | map(.packets) | add')"

# deleted and created again under the same name: attached again (the old pins were stale)
ip link del "${P}b"
wait_for "$tmp/out" "${P}b is gone" 6000 $watcher && pass "deletion noticed" || fail "deletion not noticed"
[ "$(pins_of "${P}b")" = 0 ] && pass "pins of the deleted interface removed" || fail "stale pins left: $(ls "$PIN_DIR/links")"
ip link add "${P}b" type veth peer name "${P}bp"
for i in $(seq 6000); do [ "$(grep -c "attached ${P}b " "$tmp/out")" = 2 ] || ! kill -0 $watcher 2>/dev/null && break; sleep 0.1; done
check_eq "re-created interface attached again" 2 "$(grep -c "attached ${P}b " "$tmp/out")"
xdp_on "${P}b" && pass "re-created ${P}b has the XDP program" || fail "re-created ${P}b has no XDP"

kill -TERM $watcher; wait $watcher; rc=$?
check_eq "watch exit status on SIGTERM" 0 $rc
grep -q "detached ${P}a (xdp, tc-egress)" "$tmp/out" && grep -q "detached ${P}b (xdp, tc-egress)" "$tmp/out" &&
	pass "--detach-on-exit detached both" || fail "--detach-on-exit: $(cat "$tmp/out")"
xdp_on "${P}a" || xdp_on "${P}b" && fail "XDP left after --detach-on-exit" || pass "no XDP left on the watched interfaces"
check_eq "pins left of the watched interfaces" 0 "$(($(pins_of "${P}a") + $(pins_of "${P}b")))"
xdp_on "$HOST_IF" && [ "$(pins_of "$HOST_IF")" = 2 ] && pass "the attachment made by someone else survives" || fail "$HOST_IF lost its attachment"
[ -s "$tmp/err" ] && fail "watch wrote to stderr: $(cat "$tmp/err")" || pass "nothing on stderr"

# without --detach-on-exit, the attachments stay
"$WL_BIN" watch "${P}*" --hooks xdp >"$tmp/out2" 2>&1 & watcher=$!
wait_for "$tmp/out2" "attached ${P}b " 6000 $watcher || fail "second watcher: $(cat "$tmp/out2")"
kill -INT $watcher; wait $watcher
check_eq "watch exit status on SIGINT" 0 $?
xdp_on "${P}a" && xdp_on "${P}b" && pass "attachments stay after the watcher exits" || fail "attachments gone"
check_eq "only the xdp hook (--hooks xdp)" "1 1" "$(pins_of "${P}a") $(pins_of "${P}b")"
"$WL_BIN" detach --all >/dev/null
finish
