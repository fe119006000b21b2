#!/usr/bin/env bash
# make demo: a throwaway veth pair and namespace, wirelens attached, a little traffic (ping,
# UDP, and Redis commands when redis-server is there), then status, flows and commands.
set -u
BUILD=${1:-build}
export WL_BIN=$(cd "$BUILD" && pwd)/wirelens
. "$(dirname "$0")/live/lib.sh"
setup_pair
echo "== veth $HOST_IF <-> $PEER_IF (namespace $NS), server at $SRV_IP"
if command -v redis-server >/dev/null; then
	ip netns exec "$NS" redis-server --bind "$SRV_IP" --port 6379 --protected-mode no --save '' \
		--daemonize yes --pidfile /tmp/$NS-redis.pid --logfile /dev/null
	on_exit "kill \$(cat /tmp/$NS-redis.pid); rm -f /tmp/$NS-redis.pid"
fi
echo "== wirelens attach $HOST_IF"
"$WL_BIN" attach "$HOST_IF" || exit 1
ping -c 3 -i 0.2 "$SRV_IP" >/dev/null
ping -6 -c 2 -i 0.2 "$SRV_IP6" >/dev/null 2>&1
sleep 0.3
if command -v redis-benchmark >/dev/null; then
	redis-benchmark -h "$SRV_IP" -n 2000 -c 4 -P 8 -t set,get,incr -q >/dev/null 2>&1
fi
echo; echo "== wirelens status"; "$WL_BIN" status
echo; echo "== wirelens flows --limit 10"; "$WL_BIN" flows --limit 10
echo; echo "== wirelens commands"; "$WL_BIN" commands
echo; echo "== cleaning up (wirelens detach, veth and namespace removed)"
