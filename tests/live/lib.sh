# Shared helpers for live tests: a namespace "server" behind a veth pair, unique names, cleanup.
# Addresses only in 198.18.0.0/15 and 2001:db8::/32.
set -u
WL_BIN=${WL_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/wirelens}
ID=$(( ($$ + RANDOM) % 200 + 20 ))
NS=wlt$$
HOST_IF=wlh$$
PEER_IF=wlp$$
HOST_IP=198.18.$ID.1
SRV_IP=198.18.$ID.2
HOST_IP6=2001:db8:$ID::1
SRV_IP6=2001:db8:$ID::2
# each test its own pin root, so live tests can run side by side
export WIRELENS_PIN_ROOT=${WIRELENS_PIN_ROOT:-/sys/fs/bpf/wlt$$}
PIN_DIR=$WIRELENS_PIN_ROOT/v3 # WL_ABI_VERSION
CLEANUP=()
FAILS=0

cleanup() {
	for ((i = ${#CLEANUP[@]} - 1; i >= 0; i--)); do eval "${CLEANUP[i]}" >/dev/null 2>&1; done
	"$WL_BIN" detach "$HOST_IF" >/dev/null 2>&1
	ip link del "$HOST_IF" >/dev/null 2>&1
	ip netns del "$NS" >/dev/null 2>&1
	# the maps go when nothing else is attached
	[ -d "$PIN_DIR/links" ] && [ -z "$(ls -A "$PIN_DIR/links")" ] &&
		"$WL_BIN" detach --all >/dev/null 2>&1
	return 0
}
trap cleanup EXIT
trap "exit 143" INT TERM # a timed-out or interrupted test stops here (cleanup runs on EXIT)

on_exit() { CLEANUP+=("$*"); }

setup_pair() {
	ip netns add "$NS"
	ip link add "$HOST_IF" type veth peer name "$PEER_IF"
	ip link set "$PEER_IF" netns "$NS"
	ip addr add "$HOST_IP/24" dev "$HOST_IF"
	ip -6 addr add "$HOST_IP6/64" dev "$HOST_IF" nodad
	ip link set "$HOST_IF" up
	ip -n "$NS" addr add "$SRV_IP/24" dev "$PEER_IF"
	ip -n "$NS" -6 addr add "$SRV_IP6/64" dev "$PEER_IF" nodad
	ip -n "$NS" link set "$PEER_IF" up
	ip -n "$NS" link set lo up
}

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
check_eq() { # name expected actual
	if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: expected $2, got $3"; fi
}
finish() { [ "$FAILS" -eq 0 ] && echo "all checks passed" || echo "$FAILS check(s) failed"; [ "$FAILS" -eq 0 ]; }

# ---- helpers for the loader tests ----

# A second veth pair from the host into $NS (no addresses): extra_pair HOST_NAME PEER_NAME
extra_pair() {
	ip link add "$1" type veth peer name "$2" && ip link set "$2" netns "$NS" &&
		ip link set "$1" up && ip -n "$NS" link set "$2" up
	on_exit "ip link del $1"
}

# Packets and bytes summed over the flows of one direction: flow_counts PROTO SRC DST PORT
# (PORT is the server port, as source or destination port).
flow_counts() {
	"$WL_BIN" flows --json | jq -r --arg p "$1" --arg s "$2" --arg d "$3" --argjson port "$4" \
		'[.[] | select(.proto == $p and .src == $s and .dst == $d and
		  (.sport == $port or .dport == $port))] | "\(map(.packets) | add // 0) \(map(.bytes) | add // 0)"'
}

# What a command may change: this test's pins and the XDP program on the test interfaces. (A
# tcx or XDP link without a pin dies with the process that made it, so pins + the XDP program
# are the whole persistent state.)
wl_state() {
	find "$WIRELENS_PIN_ROOT" 2>/dev/null | sort
	for i in "$HOST_IF" "$@"; do ip -d link show "$i" 2>/dev/null | grep -o 'prog/xdp id [0-9]*'; done
}

# A bad input: non-zero exit, exactly one line on stderr matching a pattern, nothing changed.
# check_bad NAME PATTERN CMD...
check_bad() {
	local name=$1 pattern=$2 before after rc err
	shift 2
	before=$(wl_state)
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(wl_state)
	if [ "$rc" -eq 0 ]; then
		fail "$name: exit status 0"
	elif [ "$(printf '%s\n' "$err" | wc -l)" != 1 ] || [ -z "$err" ]; then
		fail "$name: stderr is not one line: $err"
	elif ! printf '%s\n' "$err" | grep -qE -- "$pattern"; then
		fail "$name: message '$err' does not match '$pattern'"
	elif [ "$before" != "$after" ]; then
		fail "$name: state changed"
	else
		pass "$name (exit $rc: $err)"
	fi
}

# Waits until a file has a line matching a pattern: wait_for FILE PATTERN [TENTHS] [PID]
# The wait follows the event, not a guess of how fast this machine is: it ends when the line
# appears or when PID (the process that would write it) has exited; TENTHS (default 6000, i.e.
# 10 minutes) only bounds a hang.
wait_for() {
	local i
	for ((i = 0; i < ${3:-6000}; i++)); do
		grep -qE -- "$2" "$1" 2>/dev/null && return 0
		[ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null && { grep -qE -- "$2" "$1" 2>/dev/null; return; }
		sleep 0.1
	done
	return 1
}

# Node client libraries (tests/live/node/package.json, pinned by its package-lock.json), installed
# once per checkout into tests/live/node/node_modules: node_clients || exit 1
node_clients() {
	local dir="$here/node"
	[ -d "$dir/node_modules/ioredis" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ] && return 0
	command -v npm >/dev/null || { echo "npm is missing (apt-get install npm)"; return 1; }
	(cd "$dir" && flock "$dir/package.json" npm ci --no-audit --no-fund --loglevel=error) >/dev/null ||
		{ echo "npm ci failed in $dir"; return 1; }
}
