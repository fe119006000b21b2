#!/usr/bin/env bash
# Redis accuracy: a real redis-server in a namespace, real clients (redis-benchmark, redis-cli)
# on the host, wirelens attached to the host end of the veth. Every command's count must equal
# the server's INFO commandstats (calls + rejected_calls), and errors failed + rejected.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
start_redis || exit 1

"$WL_BIN" attach "$HOST_IF" || { echo "attach failed"; exit 1; }

reset_all() {
	redis-cli -h "$SRV_IP" CONFIG RESETSTAT >/dev/null
	"$WL_BIN" reset
	# the RESETSTAT itself is in wirelens' counts but not the server's: reset wirelens after it
}

reset_all
redis-benchmark -h "$SRV_IP" -n 20000 -c 8 -P 1 -t set,get,incr,lpush,lpop,hset,sadd,mset -q >/dev/null
redis_compare "redis-benchmark -P 1"

reset_all
redis-benchmark -h "$SRV_IP" -n 50000 -c 16 -P 16 -t set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange -q >/dev/null
redis_compare "redis-benchmark -P 16, 16 clients"

reset_all
redis-benchmark -h "$SRV_IP" -n 3000 -c 4 -P 1 -d 10240 -t set,get -q >/dev/null
redis-benchmark -h "$SRV_IP" -n 3000 -c 4 -P 16 -d 10240 -t set,get -q >/dev/null
redis_compare "10 KB values, -P 1 and -P 16"

reset_all
{
	redis-cli -h "$SRV_IP" set k1 v1
	redis-cli -h "$SRV_IP" lpush k1 x       # WRONGTYPE: failed call
	redis-cli -h "$SRV_IP" get              # wrong arity: rejected call
	redis-cli -h "$SRV_IP" incr k1          # not an integer: failed call
	redis-cli -h "$SRV_IP" config get maxmemory
	redis-cli -h "$SRV_IP" client setname wl
	printf 'MULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\nPING\r\n' | redis-cli -h "$SRV_IP"
	redis-cli -h "$SRV_IP" --pipe <<<$'SET p1 1\r\nSET p2 2\r\nDEL p1 p2\r\n'
} >/dev/null 2>&1
redis_compare "errors, containers, MULTI/EXEC, --pipe"

# Transactions: Redis counts a queued command when EXEC runs it (a failure inside EXEC is that
# command's failed call); DISCARD, EXECABORT and a WATCH-aborted EXEC run nothing.
reset_all
python3 - "$SRV_IP" <<'PY'
import socket, sys
def conn():
    s = socket.create_connection((sys.argv[1], 6379)); s.settimeout(5); return s
def cmd(s, *args):
    s.sendall(("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
    data = b""
    while not data.endswith(b"\r\n"):
        data += s.recv(65536)
    return data
a, b = conn(), conn()
cmd(a, "SET", "tx:s", "x")
for c in (("MULTI",), ("SET", "tx:n", "1"), ("LPUSH", "tx:s", "v"), ("INCR", "tx:n"), ("INCR", "tx:s"), ("EXEC",)):
    cmd(a, *c)                                    # LPUSH and the 2nd INCR fail inside EXEC
for c in (("MULTI",), ("SET", "tx:d", "1"), ("DISCARD",)):
    cmd(a, *c)                                    # nothing runs
for c in (("MULTI",), ("SET", "tx:e", "1"), ("GET",), ("EXEC",)):
    cmd(a, *c)                                    # GET rejected at queue time: EXECABORT
cmd(a, "WATCH", "tx:w")
cmd(a, "MULTI"); cmd(a, "SET", "tx:w", "1")
cmd(b, "SET", "tx:w", "2")                        # touches the watched key
cmd(a, "EXEC")                                    # null reply: nothing runs
PY
redis_compare "transactions: errors inside EXEC, DISCARD, EXECABORT, WATCH abort"

# Pipelines whose commands and replies look alike (the parser takes a command with the shape of
# the one before, and equal replies, in runs): same shape but another name (LPUSH/RPUSH), the
# same name with other lengths, equal replies to different commands (+OK to SET and SELECT, :1
# to INCR and RPUSH), errors among them, each pipeline in one send.
reset_all
python3 - "$SRV_IP" <<'PY'
import socket, sys
def enc(*args):
    return "*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)
s = socket.create_connection((sys.argv[1], 6379)); s.settimeout(5)
pipes = [
    [("SET", "key:%012d" % i, "xxx") for i in range(40)],
    [("SET", "k:%d" % i, "v" * (i % 3 + 1)) for i in range(30)] + [("GET", "k:1")] * 20,
    [("LPUSH", "l:a", "x"), ("RPUSH", "l:b", "x")] * 12 + [("LPUSH", "k:1", "x")] * 5,
    [("SET", "a", "1"), ("SELECT", "0"), ("SET", "a", "1"), ("RPUSH", "r:0", "x")] * 10,
    [("INCR", "i:%d" % (i % 4)) for i in range(32)] + [("INCR", "k:2")] * 6 + [("SET", "z", "1")] * 8,
    [c for i in range(12) for c in (("INCR", "m:%d" % i), ("RPUSH", "q:%d" % i, "x"))],
]
for p in pipes:
    s.sendall("".join(enc(*c) for c in p).encode())
    # every reply here is one line, but GET's: a bulk, two
    want, data = sum(2 if c[0] == "GET" else 1 for c in p), b""
    while data.count(b"\r\n") < want:
        data += s.recv(65536)
PY
redis_compare "pipelines of look-alike commands and replies"

"$WL_BIN" status | grep -E '^  l7_' | tr -s ' '
"$WL_BIN" commands --protocol redis
finish
