#!/usr/bin/env bash
# Containers: a "container" made of the kernel parts a runtime uses (a network namespace behind a
# veth, a real redis-server living in it, moved into a cgroup v2 named as Docker's systemd driver
# names it, docker-<64 hex>.scope) and Docker's own state file for its name, under a
# WIRELENS_HOST_ROOT the test points wirelens at. wirelens on the host-side veth: flows and
# commands name the container (id from the cgroup, name from config.v2.json, namespace from
# /run/netns), only once its process is in that cgroup, and the per-command counts equal INFO
# commandstats. From inside (--netns on its eth0) its flows name it too.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
[ -n "$CG2" ] || { fail "no cgroup2 mount (a runtime's containers need one)"; finish; exit 1; }
CID=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
CNAME=wl-redis-$$
CGROUP=/wl-test-$$/docker-$CID.scope
ROOT=$(mktemp -d /tmp/wl-containers.XXXXXX)
on_exit "rm -rf $ROOT"

setup_pair
start_redis || { finish; exit 1; }
PID=$(cat /tmp/$NS-redis.pid)
# the cgroup goes after the process (a cgroup with a process in it cannot be removed)
on_exit "kill $PID; for _ in \$(seq 100); do kill -0 $PID || break; sleep 0.1; done;
	rmdir $CG2$CGROUP $CG2/wl-test-$$"
out=$("$WL_BIN" attach "$HOST_IF" 2>&1) || { fail "attach $HOST_IF: $out"; finish; exit 1; }
workload() {
	redis-benchmark -h "$SRV_IP" -n 2000 -c 2 -P 4 -t set,get,incr -q >/dev/null
	redis-cli -h "$SRV_IP" get >/dev/null 2>&1 # wrong arity: rejected call
}
srv_flows() { # the container objects of the flows to and from the server, unique
	"$WL_BIN" flows --json | jq -c --arg s "$SRV_IP" \
		'[.[] | select(.src == $s or .dst == $s) | .container] | unique'
}
srv_commands() {
	"$WL_BIN" commands --json --protocol redis --server "$SRV_IP:6379" | jq -c '[.[] | .container] | unique'
}

# ---- a namespace whose process is in no container's cgroup is nobody's container
workload
check_eq "flows: a namespace of a process outside any container: container null" '[null]' "$(srv_flows)"
check_eq "commands: container null" '[null]' "$(srv_commands)"
check_eq "flows table: no CONTAINER column" 0 "$("$WL_BIN" flows | head -1 | grep -c CONTAINER)"

# ---- the same process, moved into a cgroup named as Docker's
mkdir -p "$CG2$CGROUP" || { fail "mkdir $CG2$CGROUP"; finish; exit 1; }
echo "$PID" >"$CG2$CGROUP/cgroup.procs" || { fail "moving redis-server into $CGROUP"; finish; exit 1; }
check_eq "the process's cgroup" "0::$CGROUP" "$(grep '^0::' /proc/$PID/cgroup)"
nameless=$(jq -nc --arg id "$CID" --arg cg "$CGROUP" --arg ns "$NS" \
	'{runtime: "docker", id: $id, name: null, pod_uid: null, cgroup: $cg, netns: $ns}')
check_eq "flows: the container (no state file: no name)" "[$nameless]" "$(WIRELENS_HOST_ROOT=$ROOT srv_flows)"
label=$(WIRELENS_HOST_ROOT=$ROOT "$WL_BIN" flows | awk -v s="$SRV_IP:6379" 'NR == 1 { h = $NF } index($0, s) { r[$NF] }
	END { printf "%s", h; for (x in r) printf " %s", x }')
check_eq "flows table: CONTAINER column, runtime:short id" "CONTAINER docker:${CID:0:12}" "$label"

# Docker's state: /var/lib/docker/containers/ID/config.v2.json, its "Name" with a leading /
mkdir -p "$ROOT/var/lib/docker/containers/$CID"
jq -n --arg id "$CID" --arg name "/$CNAME" --argjson pid "$PID" \
	'{ID: $id, Name: $name, State: {Running: true, Pid: $pid}, Config: {Hostname: $id[0:12]}}' \
	>"$ROOT/var/lib/docker/containers/$CID/config.v2.json"
export WIRELENS_HOST_ROOT=$ROOT
named=$(jq -nc --arg id "$CID" --arg cg "$CGROUP" --arg ns "$NS" --arg name "$CNAME" \
	'{runtime: "docker", id: $id, name: $name, pod_uid: null, cgroup: $cg, netns: $ns}')
redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
"$WL_BIN" reset
workload
check_eq "flows --json: container id, name, cgroup, netns" "[$named]" "$(srv_flows)"
check_eq "commands --json: the container owning $SRV_IP" "[$named]" "$(srv_commands)"
check_eq "commands table: CONTAINER column, the name" "CONTAINER $CNAME" \
	"$("$WL_BIN" commands --protocol redis | awk -v s="$SRV_IP:" 'NR == 1 { h = $NF } index($0, s) { r[$NF] }
		END { printf "%s", h; for (x in r) printf " %s", x }')"
server=$(redis_commandstats)
wl=$(redis_wl_commands)
if [ -n "$server" ] && [ "$server" = "$wl" ]; then
	pass "per command equal to INFO commandstats ($(echo "$server" | wc -l) commands)"
else
	fail "INFO commandstats (<) and wirelens (>) differ"
	diff <(echo "$server") <(echo "$wl") | head
fi

# ---- from inside: the container's own eth0 (--netns), its namespace named by a process path
"$WL_BIN" detach "$HOST_IF" >/dev/null
out=$("$WL_BIN" --netns /proc/$PID/ns/net attach "$PEER_IF" 2>&1) || fail "attach inside: $out"
on_exit "$WL_BIN --netns $NS detach $PEER_IF"
"$WL_BIN" reset
workload
check_eq "flows from inside: the container" "[$named]" "$(srv_flows)"
check_eq "commands from inside: the container" "[$named]" "$(srv_commands)"
finish
