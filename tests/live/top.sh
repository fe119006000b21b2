#!/usr/bin/env bash
# wirelens top with a Redis workload running: as plain text and JSON when stdout is not a
# terminal (the workload's command and flows with rates > 0), and under tmux at 80x24 (rows of
# the known command and flow, keys switch views, sort and protocol, `q` exits 0); bad input.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_redis || exit 1
out=$(mktemp -d /tmp/wl-top.XXXXXX)
on_exit "rm -rf $out"

"$WL_BIN" attach "$HOST_IF" >/dev/null || { echo "attach failed"; exit 1; }
# a steady stream of GETs on one connection (a known command and flow) until the test ends
redis-benchmark -h "$SRV_IP" -c 1 -P 1 -t get -l -q >/dev/null 2>&1 &
bench=$!
on_exit "kill $bench"
for _ in $(seq 100); do
	"$WL_BIN" commands --json | jq -e '.[] | select(.command == "GET" and .responses > 0)' >/dev/null && break
	sleep 0.1
done
srv_re=${SRV_IP//./\\.}
host_re=${HOST_IP//./\\.}

# ---- not a terminal: plain text every interval, JSON
"$WL_BIN" top --count 2 --interval 0.3 >"$out/text" 2>&1
check_eq "text: frames of --count 2" 2 "$(grep -c '^wirelens top ' "$out/text")"
grep -qE "^redis +$srv_re:6379 +GET +[0-9.]+k? " "$out/text" && ! grep -qE "^redis +$srv_re:6379 +GET +0 " "$out/text" &&
	pass "text: the GET row with its rate: $(grep -m1 -E " GET " "$out/text")" ||
	{ fail "text: no GET row with a rate"; cat "$out/text"; }
"$WL_BIN" top --once --view flows >"$out/flows"
grep -qE "^$HOST_IF +tcp +$host_re:[0-9]+ +$srv_re:6379 +[0-9.]+k? " "$out/flows" &&
	pass "text: the workload's flow: $(grep -m1 -E "$srv_re:6379 " "$out/flows")" ||
	{ fail "text: no flow row"; cat "$out/flows"; }
"$WL_BIN" top --once --json --interval 0.5 >"$out/json"
check_eq "json: GET requests_per_s > 0" true \
	"$(jq '[.commands[] | select(.command == "GET" and .server == "'"$SRV_IP"':6379")][0].requests_per_s > 0' "$out/json")"
check_eq "json: GET p99_us > 0" true "$(jq '[.commands[] | select(.command == "GET")][0].p99_us > 0' "$out/json")"
check_eq "json: counters seen > 0" true "$(jq '.counters.seen > 0' "$out/json")"
check_bad "top --interval 0" "interval" "$WL_BIN" top --interval 0
check_bad "top --view nope" "view" "$WL_BIN" top --view nope
check_bad "top --protocol nope" "protocol" "$WL_BIN" top --protocol nope

# ---- a terminal: tmux, 80x24
sock=wlt$$
on_exit "tmux -L $sock kill-server"
tmux -L "$sock" -f /dev/null new-session -d -x 80 -y 24 \
	"env WIRELENS_PIN_ROOT=$WIRELENS_PIN_ROOT TERM=screen $WL_BIN top; echo rc=\$? >$out/rc; sleep 60"
# Waits until the pane shows a line matching a pattern: pane_wait PATTERN (the screen is in $out/pane)
pane_wait() {
	for _ in $(seq 100); do
		tmux -L "$sock" capture-pane -p >"$out/pane" 2>/dev/null
		grep -qE -- "$1" "$out/pane" && return 0
		sleep 0.1
	done
	return 1
}
pane_wait "^redis +$srv_re:6379 +GET +[0-9.]+k? " &&
	pass "tmux: the GET row: $(grep -m1 ' GET ' "$out/pane")" || { fail "tmux: no GET row"; cat "$out/pane"; }
check_eq "tmux: the screen is 24 lines" 24 "$(wc -l <"$out/pane")"
check_eq "tmux: lines longer than 80" 0 "$(awk 'length > 80' "$out/pane" | wc -l)"
grep -q "^q quit" "$out/pane" && pass "tmux: the key line" || fail "tmux: no key line"
grep -qE "^PROTOCOL .* P50us +P99us$" "$out/pane" && pass "tmux: every column fits" || fail "tmux: columns cut: $(grep PROTOCOL "$out/pane")"
tmux -L "$sock" send-keys f
pane_wait "^$HOST_IF +tcp +$host_re:[0-9]+ +$srv_re:6379 " &&
	pass "tmux: key f: the flow row: $(grep -m1 "$SRV_IP:6379 " "$out/pane")" || { fail "tmux: key f: no flow row"; cat "$out/pane"; }
grep -q "view flows" "$out/pane" || fail "tmux: key f: the header does not say flows"
tmux -L "$sock" send-keys Tab
pane_wait "view commands" && pass "tmux: Tab: back to commands" || fail "tmux: Tab did not switch"
tmux -L "$sock" send-keys s
pane_wait "sort err/s" && pass "tmux: key s: sort err/s" || fail "tmux: key s did not change the sort"
tmux -L "$sock" send-keys p
pane_wait "protocol redis" && grep -qE " GET " "$out/pane" && pass "tmux: key p: redis only, GET shown" ||
	fail "tmux: key p"
tmux -L "$sock" send-keys q
wait_for "$out/rc" "rc=" 100
check_eq "tmux: q exits" rc=0 "$(cat "$out/rc" 2>/dev/null)"

finish
