#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A minimal MongoDB server for the live test (Debian ships no mongod).

Usage: responder.py ADDR PORT COUNTS

Speaks the wire protocol a driver needs: the legacy OP_QUERY handshake (answered with OP_REPLY),
OP_MSG commands (kind-0 body, kind-1 document sequences, moreToCome requests that get no reply,
and the streaming "awaitable hello" of server monitoring: replies flagged moreToCome, one every
maxAwaitTimeMS, until the client hangs up). Answers hello/isMaster, ping, buildInfo, insert,
update, delete, find, aggregate, getMore, killCursors, endSessions; any other command gets
ok: 0 (CommandNotFound), like a real server.

Counts, per command name (the first element of the command document, as the client spelled it),
the requests it received and the replies it sent with ok: 0. On SIGUSR1 it waits until every
connection is closed (so every message a client sent has been read), then writes COUNTS as
"name requests errors" lines.
"""
import os, select, signal, socket, struct, sys, threading, time

HOST, PORT, COUNTS = sys.argv[1], int(sys.argv[2]), sys.argv[3]
OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
MORE_TO_COME, EXHAUST_ALLOWED = 1 << 1, 1 << 16

counts, lock = {}, threading.Lock()
active = [0]
dump_wanted = threading.Event()
next_id = [1000]


class DateTime(int):
    pass


class ObjectId(bytes):
    pass


def enc(doc):
    out = b""
    for k, v in doc.items():
        key = k.encode() + b"\0"
        if isinstance(v, bool):
            out += b"\x08" + key + (b"\x01" if v else b"\x00")
        elif isinstance(v, DateTime):
            out += b"\x09" + key + struct.pack("<q", v)
        elif isinstance(v, ObjectId):
            out += b"\x07" + key + bytes(v)
        elif isinstance(v, float):
            out += b"\x01" + key + struct.pack("<d", v)
        elif isinstance(v, int):
            if -(2**31) <= v < 2**31:
                out += b"\x10" + key + struct.pack("<i", v)
            else:
                out += b"\x12" + key + struct.pack("<q", v)
        elif isinstance(v, str):
            s = v.encode() + b"\0"
            out += b"\x02" + key + struct.pack("<i", len(s)) + s
        elif isinstance(v, dict):
            out += b"\x03" + key + enc(v)
        elif isinstance(v, list):
            out += b"\x04" + key + enc({str(i): x for i, x in enumerate(v)})
        else:
            raise TypeError(type(v))
    return struct.pack("<i", len(out) + 5) + out + b"\0"


# value sizes of the fixed-size BSON types; strings/documents/binary read their length
FIXED = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16,
         0x7F: 0, 0xFF: 0}


def dec(b):
    """Top-level elements of a BSON document: {name: value}; documents and arrays decoded,
    strings as str, numbers as int/float, anything else as raw bytes."""
    out, i, end = {}, 4, struct.unpack_from("<i", b)[0] - 1
    while i < end:
        t = b[i]
        j = b.index(b"\0", i + 1)
        name = b[i + 1:j].decode()
        i = j + 1
        if t in (0x03, 0x04):
            n = struct.unpack_from("<i", b, i)[0]
            v = dec(b[i:i + n])
        elif t in (0x02, 0x0D, 0x0E):
            n = 4 + struct.unpack_from("<i", b, i)[0]
            v = b[i + 4:i + n - 1].decode()
        elif t == 0x05:
            n = 5 + struct.unpack_from("<i", b, i)[0]
            v = b[i:i + n]
        elif t == 0x01:
            n, v = 8, struct.unpack_from("<d", b, i)[0]
        elif t == 0x10:
            n, v = 4, struct.unpack_from("<i", b, i)[0]
        elif t in (0x12, 0x09):
            n, v = 8, struct.unpack_from("<q", b, i)[0]
        elif t == 0x08:
            n, v = 1, b[i] != 0
        elif t in FIXED:
            n, v = FIXED[t], b[i:i + FIXED[t]]
        else:
            raise ValueError("BSON type 0x%02x" % t)
        out[name] = v
        i += n
    return out


def hello():
    return {"helloOk": True, "ismaster": True, "isWritablePrimary": True,
            "topologyVersion": {"processId": ObjectId(b"wirelens-tst"), "counter": 0},
            "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
            "maxWriteBatchSize": 100000, "localTime": DateTime(int(time.time() * 1000)),
            "logicalSessionTimeoutMinutes": 30, "connectionId": next_id[0],
            "minWireVersion": 0, "maxWireVersion": 17, "readOnly": False, "ok": 1.0}


def answer(name, cmd, docs):
    """The reply document to command `name` (cmd: the decoded body, docs: the documents of the
    kind-1 sequences)."""
    if name in ("hello", "isMaster", "ismaster"):
        return hello()
    if name in ("ping", "endSessions", "killCursors"):
        return {"ok": 1.0}
    if name in ("buildInfo", "buildinfo"):
        return {"version": "6.0.0", "versionArray": [6, 0, 0, 0], "maxBsonObjectSize": 16777216,
                "ok": 1.0}
    if name in ("insert", "update", "delete"):
        n = len(docs) + len(cmd.get("documents", cmd.get("updates", cmd.get("deletes", {}))))
        return {"n": n, "ok": 1.0} if name != "update" else {"n": n, "nModified": n, "ok": 1.0}
    ns = "%s.%s" % (cmd.get("$db", "test"), cmd.get(name, "c"))
    if name == "find":
        # {big: 1} in the filter: a reply of about 200 KB, many segments on the wire
        big = "big" in cmd.get("filter", {})
        batch = [{"_id": i, "pad": "x" * (2000 if big else 10)} for i in range(100 if big else 2)]
        return {"cursor": {"firstBatch": batch, "id": 0, "ns": ns}, "ok": 1.0}
    if name == "aggregate":
        return {"cursor": {"firstBatch": [{"_id": 1, "n": 3}], "id": 0, "ns": ns}, "ok": 1.0}
    if name == "getMore":
        return {"cursor": {"nextBatch": [], "id": 0, "ns": ns}, "ok": 1.0}
    return {"ok": 0.0, "errmsg": "no such command: '%s'" % name, "code": 59,
            "codeName": "CommandNotFound"}


def record(name, reply):
    with lock:
        c = counts.setdefault(name, [0, 0])
        c[0] += 1
        c[1] += reply.get("ok") == 0.0


def recvn(s, n):
    b = bytearray()
    while len(b) < n:
        x = s.recv(n - len(b))
        if not x:
            raise EOFError
        b += x
    return bytes(b)


def send_msg(s, response_to, flags, doc):
    with lock:
        next_id[0] += 1
        rid = next_id[0]
    payload = struct.pack("<I", flags) + b"\0" + enc(doc)
    s.sendall(struct.pack("<iiii", 16 + len(payload), rid, response_to, OP_MSG) + payload)
    return rid


def stream_hello(s, rid, await_ms):
    """Awaitable hello with exhaustAllowed: replies flagged moreToCome, each answering the
    previous one, until the client closes the connection (how libmongoc ends a monitor)."""
    while True:
        rid = send_msg(s, rid, MORE_TO_COME, hello())
        r, _, _ = select.select([s], [], [], min(await_ms, 500) / 1000.0)
        if r and not s.recv(1, socket.MSG_PEEK):
            raise EOFError


def serve(s):
    try:
        while True:
            ln, rid, _, op = struct.unpack("<iiii", recvn(s, 16))
            body = recvn(s, ln - 16)
            if op == OP_QUERY:  # flags, collection cstring, skip, return, query document
                end = body.index(b"\0", 4)
                cmd = dec(body[end + 9:])
                name = next(iter(cmd))
                reply = answer(name, cmd, [])
                record(name, reply)
                doc = enc(reply)
                payload = struct.pack("<iqii", 0, 0, 0, 1) + doc
                with lock:
                    next_id[0] += 1
                    my = next_id[0]
                s.sendall(struct.pack("<iiii", 16 + len(payload), my, rid, OP_REPLY) + payload)
            elif op == OP_MSG:
                flags = struct.unpack_from("<I", body)[0]
                end = len(body) - (4 if flags & 1 else 0)  # checksumPresent
                i, cmd, docs = 4, None, []
                while i < end:
                    kind = body[i]
                    n = struct.unpack_from("<i", body, i + 1)[0]
                    if kind == 0:
                        cmd = dec(body[i + 1:i + 1 + n])
                    else:  # size, identifier cstring, documents
                        j = body.index(b"\0", i + 5) + 1
                        while j < i + 1 + n:
                            m = struct.unpack_from("<i", body, j)[0]
                            docs.append(body[j:j + m])
                            j += m
                    i += 1 + n
                name = next(iter(cmd))
                reply = answer(name, cmd, docs)
                record(name, reply)
                if flags & MORE_TO_COME:
                    continue  # unacknowledged write: no reply
                if flags & EXHAUST_ALLOWED and name in ("hello", "isMaster") and \
                        "maxAwaitTimeMS" in cmd:
                    stream_hello(s, rid, cmd["maxAwaitTimeMS"])
                send_msg(s, rid, 0, reply)
            else:
                print("responder: opcode %d not handled" % op, file=sys.stderr, flush=True)
                record("opcode%d" % op, {})
    except (EOFError, ConnectionError, OSError):
        pass
    finally:
        s.close()
        with lock:
            active[0] -= 1


def write_counts():
    with lock:
        lines = "".join("%s %d %d\n" % (k, r, e) for k, (r, e) in sorted(counts.items()))
    with open(COUNTS + ".tmp", "w") as f:
        f.write(lines)
    os.replace(COUNTS + ".tmp", COUNTS)


signal.signal(signal.SIGUSR1, lambda *_: dump_wanted.set())
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
srv = socket.socket(socket.AF_INET6 if ":" in HOST else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((HOST, PORT))
srv.listen(64)
srv.settimeout(0.05)
print("listening", flush=True)
while True:
    if dump_wanted.is_set():
        with lock:
            idle = active[0] == 0
        if idle:
            dump_wanted.clear()
            write_counts()
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    c.settimeout(None)
    with lock:
        active[0] += 1
    threading.Thread(target=serve, args=(c,), daemon=True).start()
