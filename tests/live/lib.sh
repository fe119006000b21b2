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
PIN_DIR=$WIRELENS_PIN_ROOT/v1
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
trap cleanup EXIT INT TERM

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
