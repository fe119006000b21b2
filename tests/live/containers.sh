#!/usr/bin/env bash
# Containers: a "container" made of the kernel parts a runtime uses (a network namespace behind a
# veth, a real redis-server living in it, moved into a cgroup v2 named as Docker's systemd driver
# names it, docker-<64 hex>.scope) and Docker's own state file for its name, under a
# WIRELENS_HOST_ROOT the test points wirelens at. wirelens on the host-side veth: flows and
# commands name the container (id from the cgroup, name from config.v2.json, namespace from
# /run/netns), only once its process is in that cgroup, and the per-command counts equal INFO
# commandstats. From inside (--netns on its eth0) its flows name it too. Then a Kubernetes pod:
# an unnamed namespace (unshare) with a "pause" process and a redis-server in two
# cri-containerd-ID.scope cgroups of one kubepods...pod<UID>.slice, named from containerd's CRI
# annotations: the pod is named, from the host-side veth and from inside (--netns /proc/PID/...).
# `top` names them as `commands` and `flows` do (CONTAINER column, "container" in --json), and a
# running top reads them afresh: it names the container its server moved into.
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
# the cgroups go after their processes (a cgroup with a process in it cannot be removed)
PIDS=$PID
on_exit 'kill $PIDS; for p in $PIDS; do for _ in $(seq 100); do kill -0 $p || break; sleep 0.1; done; done;
	find '"$CG2/wl-test-$$"' -depth -type d -exec rmdir {} +'
out=$("$WL_BIN" attach "$HOST_IF" 2>&1) || { fail "attach $HOST_IF: $out"; finish; exit 1; }
# a long-running reader: the exporter, started before there is any container, reads them afresh
EXP_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WIRELENS_HOST_ROOT=$ROOT "$WL_BIN" export --prometheus "127.0.0.1:$EXP_PORT" >"$ROOT/export.log" 2>&1 &
EXP_PID=$!
on_exit "kill $EXP_PID"
wait_for "$ROOT/export.log" "^prometheus: http://127.0.0.1:$EXP_PORT/metrics" 100 $EXP_PID ||
	{ fail "exporter did not start"; cat "$ROOT/export.log"; finish; exit 1; }
prom_set() { # the container labels of the SET requests to a server ("none" for a series without)
	curl -sf "http://127.0.0.1:$EXP_PORT/metrics"|
		grep "^wirelens_l7_requests_total{protocol=\"redis\",server=\"$1:6379\".*command=\"SET\"}" |
		sed -n '/container="/ { s/.*container="\([^"]*\)".*/\1/p; b }; s/.*/none/p'
}
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
check_eq "prometheus: no container label" none "$(prom_set "$SRV_IP")"
top_cols() { # VIEW: the header's and the server rows' last column of one text frame, unique
	"$WL_BIN" top --once --interval 0.2 --view "$1" | awk -v s="$SRV_IP:" '
		/^(PROTOCOL|IFACE) / { h = $NF } index($0, s) { r[$NF] } END { printf "%s", h; for (x in r) printf " %s", x }'
}
top_json() { # the container objects of the server's commands and flows in one JSON frame, unique
	"$WL_BIN" top --once --interval 0.2 --json | jq -c --arg s "$SRV_IP" \
		'[(.commands[] | select(.server | startswith($s + ":"))), (.flows[] | select(.src == $s or .dst == $s)) | .container] | unique'
}
check_eq "top commands: no CONTAINER column" P99us "$(top_cols commands | cut -d' ' -f1)"
check_eq "top flows: no CONTAINER column" BYTES/s "$(top_cols flows | cut -d' ' -f1)"
check_eq "top --json: container null" '[null]' "$(top_json)"
# a top running from now on (the state file comes later: it reads all afresh every interval)
WIRELENS_HOST_ROOT=$ROOT "$WL_BIN" top --json --interval 0.2 >"$ROOT/top.json" 2>&1 &
TOP_PID=$!
on_exit "kill $TOP_PID"
wait_for "$ROOT/top.json" '"commands":' 100 $TOP_PID || fail "top --json: no frame"

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
check_eq "prometheus (the same exporter): container label" "$CNAME" "$(prom_set "$SRV_IP")"
check_eq "commands table: CONTAINER column, the name" "CONTAINER $CNAME" \
	"$("$WL_BIN" commands --protocol redis | awk -v s="$SRV_IP:" 'NR == 1 { h = $NF } index($0, s) { r[$NF] }
		END { printf "%s", h; for (x in r) printf " %s", x }')"
check_eq "top commands: CONTAINER column, the name" "CONTAINER $CNAME" "$(top_cols commands)"
check_eq "top flows: CONTAINER column, the name" "CONTAINER $CNAME" "$(top_cols flows)"
check_eq "top --json: the container of the commands and flows" "[$named]" "$(top_json)"
if wait_for "$ROOT/top.json" "\"name\":\"$CNAME\"" 100 $TOP_PID; then
	check_eq "top running since before: its first frame named none" '[null]' \
		"$(head -1 "$ROOT/top.json" | jq -c --arg s "$SRV_IP" '[.commands[] | select(.server | startswith($s + ":")) | .container] | unique')"
	pass "top running since before: a later frame names $CNAME"
else
	fail "top running since before: never named $CNAME: $(tail -c 300 "$ROOT/top.json")"
fi
kill $TOP_PID
redis_compare "the container's redis-server"

# ---- from inside: the container's own eth0 (--netns), its namespace named by a process path
"$WL_BIN" detach "$HOST_IF" >/dev/null
out=$("$WL_BIN" --netns /proc/$PID/ns/net attach "$PEER_IF" 2>&1) || fail "attach inside: $out"
on_exit "$WL_BIN --netns $NS detach $PEER_IF"
"$WL_BIN" reset
workload
check_eq "flows from inside: the container" "[$named]" "$(srv_flows)"
check_eq "commands from inside: the container" "[$named]" "$(srv_commands)"

# ---- a Kubernetes pod: a namespace with no /run/netns name (unshare), its "pause" process and
# redis-server each in a cri-containerd-ID.scope of one kubepods...pod<UID>.slice; containerd's
# OCI config.json of the redis container carries the CRI annotations naming the pod
unshare --net sleep infinity &
PAUSE=$!
PIDS="$PIDS $PAUSE"
for _ in $(seq 100); do [ "$(readlink /proc/$PAUSE/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.1; done
POD_IF=wlk$$ POD_IP=198.19.$ID.2
ip link add "$POD_IF" type veth peer name eth0 netns "$PAUSE" && on_exit "ip link del $POD_IF"
ip addr add "198.19.$ID.1/24" dev "$POD_IF" && ip link set "$POD_IF" up
nsenter -t "$PAUSE" -n sh -c "ip addr add $POD_IP/24 dev eth0 && ip link set eth0 up && ip link set lo up"
nsenter -t "$PAUSE" -n redis-server --bind "$POD_IP" --port 6379 --protected-mode no --save '' \
	--appendonly no --daemonize yes --pidfile /tmp/$NS-pod.pid --logfile /tmp/$NS-pod.log
on_exit "rm -f /tmp/$NS-pod.pid /tmp/$NS-pod.log"
for _ in $(seq 300); do redis-cli -h "$POD_IP" ping >/dev/null 2>&1 && break; sleep 0.1; done
POD_PID=$(cat /tmp/$NS-pod.pid)
PIDS="$PIDS $POD_PID"
POD_UID=$(cat /proc/sys/kernel/random/uuid)
POD_CG=/wl-test-$$/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_UID//-/_}.slice
SANDBOX_ID=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
REDIS_ID=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
mkdir -p "$CG2$POD_CG/cri-containerd-$SANDBOX_ID.scope" "$CG2$POD_CG/cri-containerd-$REDIS_ID.scope"
echo "$PAUSE" >"$CG2$POD_CG/cri-containerd-$SANDBOX_ID.scope/cgroup.procs"
echo "$POD_PID" >"$CG2$POD_CG/cri-containerd-$REDIS_ID.scope/cgroup.procs"
state=$ROOT/run/containerd/io.containerd.runtime.v2.task/k8s.io/$REDIS_ID
mkdir -p "$state"
jq -n --arg sid "$SANDBOX_ID" '{ociVersion: "1.1.0", annotations: {
	"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "redis",
	"io.kubernetes.cri.sandbox-id": $sid, "io.kubernetes.cri.sandbox-name": "cache-0",
	"io.kubernetes.cri.sandbox-namespace": "shop"}}' >"$state/config.json"
pod=$(jq -nc --arg uid "$POD_UID" --arg cg "$POD_CG" \
	'{runtime: "containerd", id: null, name: "shop/cache-0", pod_uid: $uid, cgroup: $cg, netns: null}')
pod_check() { # where
	redis-cli -h "$POD_IP" CONFIG RESETSTAT >/dev/null
	"$WL_BIN" reset
	SRV_IP=$POD_IP workload
	workload # and the docker one's
	check_eq "pod, $1: flows" "[$pod]" "$(SRV_IP=$POD_IP srv_flows)"
	check_eq "pod, $1: commands" "[$pod]" "$(SRV_IP=$POD_IP srv_commands)"
	check_eq "pod, $1: prometheus container label" "shop/cache-0" "$(prom_set "$POD_IP")"
	check_eq "pod, $1: the docker container's flows still its own" "[$named]" "$(srv_flows)"
	check_eq "pod, $1: per command equal to INFO commandstats" \
		"$(SRV_IP=$POD_IP redis_commandstats | tr '\n' ' ')" "$(SRV_IP=$POD_IP redis_wl_commands | tr '\n' ' ')"
}
out=$("$WL_BIN" attach "$POD_IF" 2>&1) || fail "attach $POD_IF: $out"
pod_check "host-side veth"
"$WL_BIN" detach "$POD_IF" >/dev/null
out=$("$WL_BIN" --netns /proc/$PAUSE/ns/net attach eth0 2>&1) || fail "attach in the pod: $out"
on_exit "$WL_BIN --netns /proc/$PAUSE/ns/net detach eth0"
pod_check "its eth0 (--netns /proc/PID/ns/net, no name)"

# ---- 127.0.0.1 is in every namespace: a command seen on a container's lo is its own (the
# namespace the packets were seen in holds the address), for both at once
redis-cli -h "$SRV_IP" CONFIG SET bind "$SRV_IP 127.0.0.1" >/dev/null
redis-cli -h "$POD_IP" CONFIG SET bind "$POD_IP 127.0.0.1" >/dev/null
out=$("$WL_BIN" --netns "$NS" attach lo 2>&1) || fail "attach lo in $NS: $out"
on_exit "$WL_BIN --netns $NS detach lo"
out=$("$WL_BIN" --netns /proc/$PAUSE/ns/net attach lo 2>&1) || fail "attach lo in the pod: $out"
on_exit "$WL_BIN --netns /proc/$PAUSE/ns/net detach lo"
ip netns exec "$NS" redis-benchmark -h 127.0.0.1 -n 500 -c 1 -t set -q >/dev/null
nsenter -t "$PAUSE" -n redis-benchmark -h 127.0.0.1 -n 500 -c 1 -t get -q >/dev/null
expected=$(jq -nc --arg d "$NS" --arg p "ino$(stat -L -c %i /proc/$PAUSE/ns/net)" --arg dn "$CNAME" \
	'[{netns: $d, container: $dn}, {netns: $p, container: "shop/cache-0"}] | sort')
check_eq "commands on 127.0.0.1: each namespace's own container" "$expected" \
	"$("$WL_BIN" commands --json --server 127.0.0.1:6379 | jq -c '[.[] | {netns, container: .container.name}] | unique')"

# ---- IPv6: the server's v6 address is the container's too
redis-cli -h "$SRV_IP" CONFIG SET bind "$SRV_IP 127.0.0.1 $SRV_IP6" >/dev/null
redis-cli -h "$SRV_IP6" set k v >/dev/null
check_eq "commands on [$SRV_IP6]:6379: the container" "[\"$CNAME\"]" \
	"$("$WL_BIN" commands --json --server "[$SRV_IP6]:6379" | jq -c '[.[] | .container.name] | unique')"

# ---- a second container joins the namespace (docker run --network container:X): both named,
# no single id
ip netns exec "$NS" sleep infinity &
JOINED=$!
PIDS="$PIDS $JOINED"
for _ in $(seq 100); do [ "$(stat -L -c %i /proc/$JOINED/ns/net)" = "$(stat -L -c %i /run/netns/$NS)" ] && break; sleep 0.1; done
CID2=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
mkdir -p "$CG2/wl-test-$$/docker-$CID2.scope"
echo "$JOINED" >"$CG2/wl-test-$$/docker-$CID2.scope/cgroup.procs"
shared=$(jq -nc --arg ns "$NS" --arg name "docker:${CID2:0:12},$CNAME" \
	'{runtime: "docker", id: null, name: $name, pod_uid: null, cgroup: null, netns: $ns}')
"$WL_BIN" reset
workload
check_eq "two containers in one namespace: both named" "[$shared]" "$(srv_flows)"
finish
