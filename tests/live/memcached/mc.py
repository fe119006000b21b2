#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""memcached live-test helper.

  mc.py stats HOST              print memcached's `stats` (name value per line)
  mc.py reset HOST              `stats reset`
  mc.py text HOST               exact text-protocol cases (misses, errors, incr/decr, cas,
                                multi-get, gat/gats, 100 KB value, pipelining)
  mc.py noreply HOST            noreply variants of every command that has one
  mc.py binary HOST             binary protocol: every common opcode, quiet pipelines + noop
  mc.py compare STATS WL.json [--noreply]
                                memcached's stats against `wirelens commands --json`: exact
"""
import json
import socket
import struct
import sys

PORT = 11211


def connect(host):
    s = socket.create_connection((host, PORT), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def fill(self, n):
        while len(self.buf) < n:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d

    def line(self):
        while b"\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        i = self.buf.index(b"\n")
        ln, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return ln.decode(errors="replace").rstrip("\r\n")

    def take(self, n):
        self.fill(n)
        d, self.buf = self.buf[:n], self.buf[n:]
        return d

    def reply(self):
        """One text reply: a line, or VALUE/STAT lines up to END. Returns (first, values)."""
        values = []
        while True:
            ln = self.line()
            if ln.startswith("VALUE "):
                values.append(self.take(int(ln.split()[3]) + 2)[:-2])
                continue
            if ln.startswith("STAT "):
                values.append(ln)
                continue
            return ln, values


def stats(host):
    s = connect(host)
    s.sendall(b"stats\r\n")
    _, lines = Reader(s).reply()
    s.close()
    for ln in lines:
        _, k, v = ln.split(" ", 2)
        print(k, v)


def reset(host):
    s = connect(host)
    s.sendall(b"stats reset\r\n")
    assert Reader(s).line() == "RESET"
    s.close()


def expect(got, want, what):
    if got != want:
        raise SystemExit("unexpected reply to %s: %r (wanted %r)" % (what, got, want))


def text(host):
    s = connect(host)
    r = Reader(s)

    def call(req, want=None):
        s.sendall(req)
        ln, vals = r.reply()
        if want is not None:
            expect(ln, want, req[:40])
        return ln, vals

    call(b"set a 0 0 1\r\n1\r\n", "STORED")
    call(b"set b 0 0 2\r\n22\r\n", "STORED")
    call(b"get a\r\n", "END")
    call(b"get missing\r\n", "END")
    ln, vals = call(b"get a b c d\r\n", "END")  # 2 hits, 2 misses
    expect(len(vals), 2, "multi-get")
    ln, vals = call(b"gets a nope\r\n", "END")
    call(b"add a 0 0 1\r\nx\r\n", "NOT_STORED")
    call(b"add n 0 0 2\r\n10\r\n", "STORED")
    call(b"replace nope 0 0 1\r\nx\r\n", "NOT_STORED")
    call(b"append b 0 0 1\r\n3\r\n", "STORED")
    call(b"prepend b 0 0 1\r\n1\r\n", "STORED")
    call(b"prepend nope 0 0 1\r\n1\r\n", "NOT_STORED")
    # the cas unique is on the VALUE line: read by hand
    s.sendall(b"gets a\r\n")
    first = r.line()
    cas = int(first.split()[4])
    r.take(3)
    expect(r.line(), "END", "gets")
    call(b"cas a 0 0 1 %d\r\n5\r\n" % cas, "STORED")
    call(b"cas a 0 0 1 %d\r\n6\r\n" % cas, "EXISTS")
    call(b"cas nope 0 0 1 1\r\n6\r\n", "NOT_FOUND")
    call(b"incr n 5\r\n", "15")
    call(b"decr n 3\r\n", "12")
    call(b"incr nope 1\r\n", "NOT_FOUND")
    call(b"decr nope 1\r\n", "NOT_FOUND")
    call(b"set s 0 0 3\r\nstr\r\n", "STORED")
    call(b"incr s 1\r\n", "CLIENT_ERROR cannot increment or decrement non-numeric value")
    call(b"incr n abc\r\n", "CLIENT_ERROR invalid numeric delta argument")
    call(b"touch a 100\r\n", "TOUCHED")
    call(b"touch nope 100\r\n", "NOT_FOUND")
    ln, vals = call(b"gat 100 a nope b\r\n", "END")
    expect(len(vals), 2, "gat")
    call(b"gats 100 nope\r\n", "END")
    call(b"delete b\r\n", "DELETED")
    call(b"delete b\r\n", "NOT_FOUND")
    call(b"bogus command\r\n", "ERROR")
    call(b"GET a\r\n", "ERROR")
    call(b"set toolong 0 0 1 2 3 4\r\n", "ERROR")
    call(b"x\r\n", "ERROR")
    call(b"verbosity 0\r\n", "OK")
    ln, _ = call(b"version\r\n")
    expect(ln.split()[0], "VERSION", "version")
    # a value larger than memcached's item size: refused, its data swallowed
    big = b"z" * (2 * 1024 * 1024)
    call(b"set huge 0 0 %d\r\n" % len(big) + big + b"\r\n",
         "SERVER_ERROR object too large for cache")
    # 100 KB value: data blocks span many segments both ways
    val = bytes(range(256)) * 400
    call(b"set v100k 0 0 %d\r\n" % len(val) + val + b"\r\n", "STORED")
    ln, vals = call(b"get v100k\r\n", "END")
    expect(vals, [val], "100 KB get")
    # pipelining: 30 commands in one send, then their replies
    batch = b""
    for i in range(10):
        batch += b"set p%d 0 0 3\r\nabc\r\nget p%d nope%d\r\nincr nope 1\r\n" % (i, i, i)
    s.sendall(batch)
    for i in range(10):
        expect(r.reply()[0], "STORED", "pipelined set")
        expect(r.reply()[0], "END", "pipelined get")
        expect(r.reply()[0], "NOT_FOUND", "pipelined incr")
    call(b"flush_all\r\n", "OK")
    call(b"get a\r\n", "END")
    s.sendall(b"quit\r\n")
    s.close()


def noreply(host):
    s = connect(host)
    r = Reader(s)
    s.sendall(b"set a 0 0 1 noreply\r\n1\r\nset n 0 0 1 noreply\r\n5\r\n"
              b"add a 0 0 1 noreply\r\n2\r\nreplace a 0 0 1 noreply\r\n3\r\n"
              b"append a 0 0 1 noreply\r\n4\r\nprepend a 0 0 1 noreply\r\n5\r\n"
              b"cas a 0 0 1 1 noreply\r\n6\r\nincr n 1 noreply\r\ndecr n 1 noreply\r\n"
              b"incr nope 1 noreply\r\ntouch a 10 noreply\r\ntouch nope 10 noreply\r\n"
              b"delete a noreply\r\ndelete a noreply\r\nverbosity 0 noreply\r\n"
              b"flush_all noreply\r\nget n\r\n")
    expect(r.reply()[0], "END", "get after noreply")
    s.sendall(b"quit\r\n")
    s.close()


def bin_msg(op, key=b"", extras=b"", value=b"", opaque=0, cas=0):
    body = len(key) + len(extras) + len(value)
    return struct.pack(">BBHBBHIIQ", 0x80, op, len(key), len(extras), 0, 0, body, opaque,
                       cas) + extras + key + value


def bin_read(r):
    hdr = r.take(24)
    magic, op, klen, elen, _, status, body, opaque, cas = struct.unpack(">BBHBBHIIQ", hdr)
    assert magic == 0x81, "bad magic %x" % magic
    data = r.take(body)
    return op, status, data[elen:elen + klen], data[elen + klen:], opaque, cas


def binary(host):
    s = connect(host)
    r = Reader(s)
    setx = struct.pack(">II", 0, 0)

    def call(msg, want_status):
        s.sendall(msg)
        op, st, k, v, o, cas = bin_read(r)
        if st != want_status:
            raise SystemExit("binary op %#x: status %#x, wanted %#x" % (msg[1], st, want_status))
        return v, cas

    call(bin_msg(0x01, b"ba", setx, b"hello"), 0)  # set
    call(bin_msg(0x01, b"bn", setx, b"7"), 0)
    call(bin_msg(0x00, b"ba"), 0)  # get hit
    call(bin_msg(0x00, b"nope"), 1)  # get miss
    call(bin_msg(0x0c, b"ba"), 0)  # getk
    call(bin_msg(0x02, b"ba", setx, b"x"), 2)  # add: exists
    call(bin_msg(0x03, b"nope", setx, b"x"), 1)  # replace: not found
    call(bin_msg(0x0e, b"ba", b"", b"!"), 0)  # append
    call(bin_msg(0x0f, b"nope", b"", b"!"), 5)  # prepend: not stored
    arith = struct.pack(">QQI", 2, 0, 0xffffffff)  # no auto-create
    call(bin_msg(0x05, b"bn", arith), 0)  # incr
    call(bin_msg(0x06, b"bn", arith), 0)  # decr
    call(bin_msg(0x05, b"nope", arith), 1)  # incr miss
    call(bin_msg(0x05, b"ba", arith), 6)  # non-numeric
    call(bin_msg(0x1c, b"ba", struct.pack(">I", 100)), 0)  # touch
    call(bin_msg(0x1c, b"nope", struct.pack(">I", 100)), 1)
    call(bin_msg(0x1d, b"ba", struct.pack(">I", 100)), 0)  # gat
    call(bin_msg(0x1d, b"nope", struct.pack(">I", 100)), 1)
    call(bin_msg(0x04, b"bn"), 0)  # delete
    call(bin_msg(0x04, b"bn"), 1)
    call(bin_msg(0x0b), 0)  # version
    # stats: one reply per statistic, ended by an empty one
    s.sendall(bin_msg(0x10))
    while True:
        op, st, k, v, o, cas = bin_read(r)
        if not k:
            break
    # quiet pipeline: 20 getkq (5 hits), 10 setq, 5 deleteq of missing keys (NOT_FOUND is
    # answered even in quiet mode), then noop
    batch = b""
    for i in range(5):
        batch += bin_msg(0x01, b"q%d" % i, setx, b"v")
    s.sendall(batch)
    for i in range(5):
        bin_read(r)
    batch = b""
    for i in range(20):
        batch += bin_msg(0x0d, b"q%d" % i, opaque=i)
    for i in range(10):
        batch += bin_msg(0x11, b"s%d" % i, setx, b"v")
    for i in range(5):
        batch += bin_msg(0x14, b"nope%d" % i)
    batch += bin_msg(0x09, b"nope") + bin_msg(0x09, b"q1")  # getq miss, getq hit
    batch += bin_msg(0x0a)
    s.sendall(batch)
    got = {}
    while True:
        op, st, k, v, o, cas = bin_read(r)
        got[op] = got.get(op, 0) + 1
        if op == 0x0a:
            break
    expect(got, {0x0d: 5, 0x14: 5, 0x09: 1, 0x0a: 1}, "quiet pipeline")
    call(bin_msg(0x08, extras=struct.pack(">I", 0)), 0)  # flush
    s.sendall(bin_msg(0x18))  # flushq: silent
    call(bin_msg(0x0a), 0)
    s.sendall(bin_msg(0x07))  # quit: answered, then closed
    bin_read(r)
    s.close()


def compare(stats_path, wl_path, noreply_mode):
    st = {}
    for ln in open(stats_path):
        k, v = ln.split(None, 1)
        st[k] = v.strip()
    wl = {}
    for e in json.load(open(wl_path)):
        c = wl.setdefault(e["command"], {"requests": 0, "responses": 0, "errors": 0, "misses": 0})
        for f in c:
            c[f] += e[f]

    def g(names, field):
        return sum(wl.get(n, {}).get(field, 0) for n in names)

    def ok(names):  # requests memcached counted: errors it refused are not
        return g(names, "requests") - g(names, "errors")

    get = ["get", "gets", "bget", "getq", "getk", "getkq"]
    touch = ["touch", "gat", "gats", "gatq", "gatk", "gatkq"]
    store = ["set", "add", "replace", "append", "prepend", "cas",
             "setq", "addq", "replaceq", "appendq", "prependq"]
    rows = [
        ("cmd_get", ok(get)),
        ("get_misses", g(get, "misses")),
        ("get_hits", ok(get) - g(get, "misses")),
        ("cmd_touch", ok(touch)),
        ("cmd_set", ok(store)),
        ("cmd_flush", g(["flush_all", "flush_allq"], "requests")),
    ]
    pairs = [("delete", ["delete", "deleteq"]), ("incr", ["incr", "incrq"]),
             ("decr", ["decr", "decrq"]), ("touch", touch)]
    for stat, names in pairs:
        if noreply_mode:  # the replies that tell a hit from a miss were never sent
            rows.append(("%s_hits+%s_misses" % (stat, stat), ok(names)))
        else:
            rows.append(("%s_misses" % stat, g(names, "misses")))
            rows.append(("%s_hits" % stat, ok(names) - g(names, "misses")))
    if not noreply_mode:
        rows.append(("cas_misses", g(["cas"], "misses")))
        rows.append(("cas_hits+cas_badval", ok(["cas"]) - g(["cas"], "misses")))
    fails = 0
    for name, mine in rows:
        if "+" in name:
            a, b = name.split("+")
            theirs = int(st[a]) + int(st[b])
        else:
            theirs = int(st[name])
        flag = "ok" if theirs == mine else "DIFF"
        fails += theirs != mine
        print("  %-26s memcached %-8d wirelens %-8d %s" % (name, theirs, mine, flag))
    # every request that expects a reply got exactly one
    quiet_or_silent = {"quit", "quitq"}
    if not noreply_mode:
        for n, c in sorted(wl.items()):
            if n in quiet_or_silent:
                continue
            if c["requests"] != c["responses"]:
                print("  %-26s requests %d responses %d DIFF" % (n, c["requests"], c["responses"]))
                fails += 1
    return fails


def main():
    cmd = sys.argv[1]
    if cmd == "stats":
        stats(sys.argv[2])
    elif cmd == "reset":
        reset(sys.argv[2])
    elif cmd == "text":
        text(sys.argv[2])
    elif cmd == "noreply":
        noreply(sys.argv[2])
    elif cmd == "binary":
        binary(sys.argv[2])
    elif cmd == "compare":
        sys.exit(1 if compare(sys.argv[2], sys.argv[3], "--noreply" in sys.argv) else 0)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
