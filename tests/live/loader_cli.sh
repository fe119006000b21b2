#!/usr/bin/env bash
# The loader's command line: --help on every verb, every bad input (non-zero exit, one line on
# stderr, nothing changed), double attach, detach of nothing, not root, flow table too big or
# different from the pinned one, bpffs missing in a private mount namespace.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
IF2=wlc$$
extra_pair "$IF2" "wld$$"

for v in attach detach status flows reset watch commands ports; do
	out=$("$WL_BIN" "$v" --help 2>/dev/null); rc=$?
	[ $rc -eq 0 ] && [ -n "$out" ] && pass "$v --help exits 0" || fail "$v --help: exit $rc"
done
"$WL_BIN" --help >/dev/null && pass "--help exits 0" || fail "--help"
"$WL_BIN" --netns "nosuch$$" attach --help >/dev/null && pass "--netns X VERB --help needs no namespace" || fail "--netns X attach --help"

# nothing attached yet
check_bad "no verb" "needs a verb" "$WL_BIN"
check_bad "unknown verb" "unknown verb 'frobnicate'" "$WL_BIN" frobnicate
check_bad "attach without interface" "attach needs an interface" "$WL_BIN" attach
check_bad "attach unknown interface" "no interface 'nosuchif0'" "$WL_BIN" attach nosuchif0
check_bad "attach good + unknown interface" "no interface 'nosuchif0'" "$WL_BIN" attach "$HOST_IF" nosuchif0
check_bad "attach lo with two hooks (each packet twice)" "lo is loopback: .*twice" "$WL_BIN" attach lo --hooks xdp,tc-egress
check_bad "attach --mode bogus" "--mode native\|skb" "$WL_BIN" attach "$HOST_IF" --mode bogus
check_bad "attach --mode without value" "--mode needs a value" "$WL_BIN" attach "$HOST_IF" --mode
check_bad "attach --hooks bogus" "unknown hook 'bogus'" "$WL_BIN" attach "$HOST_IF" --hooks xdp,bogus
check_bad "attach --hooks empty" "--hooks needs" "$WL_BIN" attach "$HOST_IF" --hooks ,
check_bad "attach --flows-max 0" "attach: --flows-max 0: a number from 1 to 2147483648$" "$WL_BIN" attach "$HOST_IF" --flows-max 0
check_bad "attach --flows-max abc" "--flows-max 12abc: a number from 1 to" "$WL_BIN" attach "$HOST_IF" --flows-max 12abc
check_bad "attach --flows-max -5" "--flows-max -5: a number from 1 to" "$WL_BIN" attach "$HOST_IF" --flows-max -5
check_bad "attach --flows-max 2^31 (too big for memory)" "needs about [0-9]+ MiB of kernel memory" \
	"$WL_BIN" attach "$HOST_IF" --flows-max 2147483648
check_bad "attach --flows-max 2^33" "--flows-max 8589934592: a number from 1 to" "$WL_BIN" attach "$HOST_IF" --flows-max 8589934592
check_bad "attach unknown option" "unknown option '--bogus'" "$WL_BIN" attach "$HOST_IF" --bogus
check_bad "attach unknown short option" "unknown option '-x'" "$WL_BIN" attach "$HOST_IF" -x
check_bad "--netns without value" "--netns needs" "$WL_BIN" attach "$HOST_IF" --netns
check_bad "--netns unknown" "no network namespace 'nosuch$$'" "$WL_BIN" --netns "nosuch$$" attach "$HOST_IF"
check_bad "--netns not a namespace" "not a network namespace" "$WL_BIN" --netns /proc/self/ns/mnt attach "$HOST_IF"
check_bad "--netns: interface not there" "no interface '$HOST_IF' in netns $NS" "$WL_BIN" attach "$HOST_IF" --netns "$NS"
check_bad "detach without interface" "needs an interface or --all" "$WL_BIN" detach
check_bad "detach of nothing" "nothing attached to '$HOST_IF'" "$WL_BIN" detach "$HOST_IF"
check_bad "detach unknown option" "unknown option '--bogus'" "$WL_BIN" detach "$HOST_IF" --bogus
check_bad "status with nothing attached" "nothing attached" "$WL_BIN" status
check_bad "flows with nothing attached" "nothing attached" "$WL_BIN" flows
check_bad "reset with nothing attached" "nothing attached" "$WL_BIN" reset
check_bad "status bad option" "status: unknown option '--bogus'" "$WL_BIN" status --bogus
check_bad "status extra argument" "status takes only --json" "$WL_BIN" status extra
check_bad "commands extra argument" "commands: unexpected 'extra'" "$WL_BIN" commands extra
check_bad "commands bad option" "commands: unknown option '--bogus'" "$WL_BIN" commands --bogus
check_bad "ports without sub-verb" "ports needs list, set or unset" "$WL_BIN" ports
check_bad "ports unknown sub-verb" "ports: unknown sub-verb 'bogus'" "$WL_BIN" ports bogus
check_bad "ports set without value" "ports set needs PROTO=PORT" "$WL_BIN" ports set
check_bad "flows --limit without value" "flows: --limit needs a value" "$WL_BIN" flows --limit
check_bad "flows bad option" "unknown option '--bogus'" "$WL_BIN" flows --bogus
check_bad "flows --sort bogus" "--sort bytes\|packets" "$WL_BIN" flows --sort bogus
check_bad "flows --limit x" "flows: --limit x: a number from 0 to 2147483647$" "$WL_BIN" flows --limit x
# numbers are digits only, the same for every option (strtol took a blank or a sign)
check_bad "flows --limit ' 5'" "flows: --limit  5: a number from 0 to" "$WL_BIN" flows --limit " 5"
check_bad "attach --flows-max +5" "attach: --flows-max \\+5: a number from 1 to" "$WL_BIN" attach "$HOST_IF" --flows-max +5
check_bad "flows extra argument" "unexpected 'extra'" "$WL_BIN" flows extra
check_bad "reset with an argument" "reset takes no arguments" "$WL_BIN" reset now
check_bad "watch without pattern" "watch needs a name pattern" "$WL_BIN" watch
check_bad "watch bad option" "unknown option '--bogus'" "$WL_BIN" watch 'x*' --bogus
check_bad "watch --mode bogus" "--mode native\|skb" "$WL_BIN" watch 'x*' --mode bogus

# not root
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
check_bad "attach as nobody" "needs root" nobody "$WL_BIN" attach "$HOST_IF"
check_bad "watch as nobody" "needs root" nobody "$WL_BIN" watch 'x*'
check_bad "detach as nobody" "needs root" nobody "$WL_BIN" detach --all

# bpffs missing: a private mount namespace (what ip netns exec makes) must not get a bpffs of its
# own, whose pins (and attachments) would vanish with it
nobpffs() { unshare -m sh -c 'while mountpoint -q /sys/fs/bpf; do umount /sys/fs/bpf || exit 9; done; exec "$@"' sh "$@"; }
check_bad "attach without bpffs (unshare -m)" "private mount namespace .*pins made here would vanish" nobpffs "$WL_BIN" attach "$HOST_IF"
check_bad "attach under ip netns exec" "private mount namespace .*--netns NAME" ip netns exec "$NS" "$WL_BIN" attach "$PEER_IF" 
check_bad "status under ip netns exec" "the host's pins are not visible here" ip netns exec "$NS" "$WL_BIN" status

# attached
out=$("$WL_BIN" attach "$HOST_IF") && pass "attach: $out" || fail "attach"
check_eq "attach prints one line" "attached $HOST_IF (xdp native, tc-egress)" "$out"
before=$("$WL_BIN" status --json | jq -c '[.attachments[] | [.iface, .hook, .link_id, .prog_id]]')
out=$("$WL_BIN" attach "$HOST_IF" --mode skb); rc=$?
check_eq "double attach exit status" 0 $rc
check_eq "double attach says so" "$HOST_IF: already attached (xdp native, tc-egress)" "$out"
check_eq "double attach changes nothing" "$before" "$("$WL_BIN" status --json | jq -c '[.attachments[] | [.iface, .hook, .link_id, .prog_id]]')"
out=$("$WL_BIN" attach "$HOST_IF" --hooks xdp,tc-ingress)
check_eq "attach of one more hook" "attached $HOST_IF (tc-ingress; already: xdp native)" "$out"
"$WL_BIN" detach "$HOST_IF" >/dev/null && "$WL_BIN" attach "$HOST_IF" >/dev/null
check_bad "attach --flows-max other than the pinned table's" "already pinned with 65536 entries" \
	"$WL_BIN" attach "$IF2" --flows-max 1000
check_bad "detach attached + not attached" "nothing attached to '$IF2'" "$WL_BIN" detach "$HOST_IF" "$IF2"
check_bad "status as nobody" "needs root" nobody "$WL_BIN" status
check_bad "flows as nobody" "needs root" nobody "$WL_BIN" flows
check_bad "reset as nobody" "needs root" nobody "$WL_BIN" reset
check_eq "status table: interface, namespace, hook, mode" "$HOST_IF - xdp native" \
	"$("$WL_BIN" status | awk -v i="$HOST_IF" '$1 == i && $3 == "xdp" {print $1, $2, $3, $4}')"
"$WL_BIN" status | grep -q "^xdp mode: single program: libxdp dispatcher " && pass "status XDP mode line: $("$WL_BIN" status | head -1)" || fail "XDP mode line"
check_eq "status --json dispatcher" "false" "$("$WL_BIN" status --json | jq .xdp_dispatcher.used)"
"$WL_BIN" status --json | jq -e '.maps.wl_flows.max_entries == 65536 and (.counters | has("seen"))' >/dev/null &&
	pass "status --json maps and counters" || fail "status --json maps/counters"

# a smaller table works once nothing is attached
"$WL_BIN" detach --all >/dev/null
out=$("$WL_BIN" attach "$IF2" --flows-max 1000) && pass "attach --flows-max 1000: $out" || fail "attach --flows-max 1000"
check_eq "flow table size" 1000 "$("$WL_BIN" status --json | jq .maps.wl_flows.max_entries)"
"$WL_BIN" attach "$HOST_IF" >/dev/null && pass "attach without --flows-max takes the pinned size" || fail "attach after --flows-max"
"$WL_BIN" detach --all --keep-maps >/dev/null
check_bad "failed attach keeps the maps kept by --keep-maps" "already pinned with 1000 entries" \
	"$WL_BIN" attach "$HOST_IF" --flows-max 5000
"$WL_BIN" detach --all >/dev/null
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left after detach --all" || pass "detach --all removes every pin"
finish
