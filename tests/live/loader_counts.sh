#!/usr/bin/env bash
# Exact counts: a TCP conversation (handshake, 30 request/response rounds, 200 KB each way,
# teardown) checked packet by packet and byte by byte against a capture of what crossed the
# host interface; GSO super-packets on TC egress against the server's own segment count; IPv6
# UDP both ways.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
on_exit "$WL_BIN detach --all"
tmp=$(mktemp -d /tmp/wl_counts.XXXXXX)
on_exit "rm -rf $tmp"

server='import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind((sys.argv[1],int(sys.argv[2]))); s.listen(4)
while True:
    c,_=s.accept(); c.setsockopt(socket.IPPROTO_TCP,socket.TCP_NODELAY,1)
    def rd(n):
        b=b""
        while len(b)<n:
            d=c.recv(n-len(b))
            if not d: return b
            b+=d
        return b
    rounds=int(rd(8)); bulk_in=int(rd(8)); bulk_out=int(rd(8))
    for i in range(rounds): rd(100); c.sendall(b"r"*200)
    rd(bulk_in); c.sendall(b"b"*bulk_out)
    rd(1); c.close()'
client='import socket,sys
c=socket.create_connection((sys.argv[1],int(sys.argv[2]))); c.setsockopt(socket.IPPROTO_TCP,socket.TCP_NODELAY,1)
rounds,bulk_in,bulk_out=int(sys.argv[3]),int(sys.argv[4]),int(sys.argv[5])
def rd(n):
    b=b""
    while len(b)<n: b+=c.recv(n-len(b))
c.sendall(b"%8d%8d%8d"%(rounds,bulk_in,bulk_out))
for i in range(rounds): c.sendall(b"q"*100); rd(200)
c.sendall(b"u"*bulk_in); rd(bulk_out); c.sendall(b"e")
c.shutdown(socket.SHUT_WR); c.recv(1); c.close()'
# per direction: "packets bytes" of TCP port $3 from address $2 in a capture (orig_len: bytes on
# the wire without FCS, what wirelens counts)
pcap_counts='import struct,sys,socket
f=open(sys.argv[1],"rb"); src=socket.inet_aton(sys.argv[2]); port=int(sys.argv[3])
magic=struct.unpack("<I",f.read(24)[:4])[0]; e="<" if magic in (0xa1b2c3d4,0xa1b23c4d) else ">"
n=b=0
while True:
    h=f.read(16)
    if len(h)<16: break
    _,_,incl,orig=struct.unpack(e+"IIII",h); p=f.read(incl)
    if p[12:14]!=b"\x08\x00" or p[23]!=6: continue
    ihl=(p[14]&15)*4; sp,dp=struct.unpack(">HH",p[14+ihl:18+ihl])
    if p[26:30]==src and port in (sp,dp): n+=1; b+=orig
print(n,b)'

# exit 0 when the capture has a segment from the client after the server's FIN
pcap_closed='import struct,sys,socket
f=open(sys.argv[1],"rb"); cli=socket.inet_aton(sys.argv[2]); srv=socket.inet_aton(sys.argv[3]); port=int(sys.argv[4])
hdr=f.read(24)
if len(hdr)<24: sys.exit(1)
e="<" if struct.unpack("<I",hdr[:4])[0] in (0xa1b2c3d4,0xa1b23c4d) else ">"
fin=False
while True:
    h=f.read(16)
    if len(h)<16: break
    _,_,incl,_=struct.unpack(e+"IIII",h); p=f.read(incl)
    if len(p)<incl or p[12:14]!=b"\x08\x00" or p[23]!=6: continue
    ihl=(p[14]&15)*4; sp,dp=struct.unpack(">HH",p[14+ihl:18+ihl]); flags=p[14+ihl+13]
    if p[26:30]==srv and sp==port and flags&1: fin=True
    elif fin and p[26:30]==cli and dp==port: sys.exit(0)
sys.exit(1)'

ip netns exec "$NS" python3 -c "$server" "$SRV_IP" 9100 & on_exit "kill $!"
ping -c1 -W1 "$SRV_IP" >/dev/null
sleep 0.3
# WL_ATTACH_ARGS: the same checks with another flow table (tests/live/flows_percpu.sh)
"$WL_BIN" attach "$HOST_IF" ${WL_ATTACH_ARGS:-} >/dev/null || { fail "attach"; finish; exit 1; }

# 1. Every skb one wire packet: no TSO/GSO on the host side (the peer's TSO is already off
#    because of native XDP here), so the capture and both hooks see the same packets.
ethtool -K "$HOST_IF" tso off gso off >/dev/null 2>&1
# The capture is the reference only when it lost nothing: a 64 MB buffer, and its own count of
# drops checked (a loaded machine must not make the test depend on tcpdump keeping up).
tcpdump -i "$HOST_IF" -n -U -B 65536 -w "$tmp/tcp.pcap" 'tcp port 9100' 2>"$tmp/tcpdump.log" & dump=$!
wait_for "$tmp/tcpdump.log" "listening on" 6000 $dump || fail "tcpdump did not start"
python3 -c "$client" "$SRV_IP" 9100 30 200000 200000 || fail "TCP client"
# tcpdump may lag behind on a loaded machine, and what it has not read when it stops is neither
# captured nor counted as dropped: stop it only once the capture holds the conversation's last
# segment, the client's ACK of the server's FIN
for ((i = 0; i < 6000; i++)); do
	python3 -c "$pcap_closed" "$tmp/tcp.pcap" "$HOST_IP" "$SRV_IP" 9100 && break
	kill -0 $dump 2>/dev/null || break
	sleep 0.1
done
kill -INT $dump; wait $dump 2>/dev/null
dropped=$(sed -n 's/^\([0-9]*\) packets* dropped by kernel.*/\1/p' "$tmp/tcpdump.log")
check_eq "tcpdump lost nothing (its own drop count)" 0 "${dropped:-missing}"
up=$(python3 -c "$pcap_counts" "$tmp/tcp.pcap" "$HOST_IP" 9100)
down=$(python3 -c "$pcap_counts" "$tmp/tcp.pcap" "$SRV_IP" 9100)
echo "   captured: client->server $up, server->client $down (packets bytes)"
[ "${up%% *}" -gt 130 ] && [ "${down%% *}" -gt 130 ] || fail "capture too small: $up / $down"
check_eq "TCP client->server (TC egress) packets bytes = capture" "$up" "$(flow_counts tcp "$HOST_IP" "$SRV_IP" 9100)"
check_eq "TCP server->client (XDP ingress) packets bytes = capture" "$down" "$(flow_counts tcp "$SRV_IP" "$HOST_IP" 9100)"
syn=$("$WL_BIN" flows --json | jq -r --arg s "$HOST_IP" '[.[] | select(.proto=="tcp" and .src==$s and .dport==9100)] | "\(map(.tcp_syn)|add) \(map(.tcp_fin)|add)"')
check_eq "client->server SYN FIN flags" "1 1" "$syn"

# 2. GSO on: TC egress sees super-packets and counts the segments they stand for; the server's
#    IP layer counts the same segments (IpExtInNoECTPkts adds gso_segs per skb).
"$WL_BIN" reset
ethtool -K "$HOST_IF" tso on gso on >/dev/null 2>&1
before=$(ip netns exec "$NS" nstat -az IpExtInNoECTPkts | awk '/IpExtInNoECTPkts/ {print $2}')
python3 -c "$client" "$SRV_IP" 9100 0 1000000 1000 || fail "TCP client (GSO)"
sleep 0.3
after=$(ip netns exec "$NS" nstat -az IpExtInNoECTPkts | awk '/IpExtInNoECTPkts/ {print $2}')
gso=$("$WL_BIN" status --json | jq .counters.gso_packets)
got=$(flow_counts tcp "$HOST_IP" "$SRV_IP" 9100)
echo "   1 MB upload: $gso GSO super-packets on TC egress"
[ "$gso" -gt 0 ] && pass "GSO packets seen on TC egress ($gso)" || fail "no GSO packet: the comparison proves nothing"
check_eq "TCP segments client->server with GSO = server's IP segment count" "$((after - before))" "${got%% *}"

# 3. IPv6 UDP, both hooks.
sink='import socket,sys
s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM); s.bind((sys.argv[1],int(sys.argv[2])))
while True: s.recv(65535)'
send='import socket,sys
s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])): s.sendto(b"x"*int(sys.argv[4]),(sys.argv[1],int(sys.argv[2])))'
ip netns exec "$NS" python3 -c "$sink" "$SRV_IP6" 9200 & on_exit "kill $!"
python3 -c "$sink" "$HOST_IP6" 9201 & on_exit "kill $!"
sleep 0.3
ping -6 -c1 -W1 "$SRV_IP6" >/dev/null
ip netns exec "$NS" ping -6 -c1 -W1 "$HOST_IP6" >/dev/null
python3 -c "$send" "$SRV_IP6" 9200 40 300
ip netns exec "$NS" python3 -c "$send" "$HOST_IP6" 9201 25 150
wait_until flow_reaches udp "$HOST_IP6" "$SRV_IP6" 9200 40
wait_until flow_reaches udp "$SRV_IP6" "$HOST_IP6" 9201 25
check_eq "IPv6 UDP host->server (TC egress) packets bytes" "40 $((40 * (14 + 40 + 8 + 300)))" "$(flow_counts udp "$HOST_IP6" "$SRV_IP6" 9200)"
check_eq "IPv6 UDP server->host (XDP ingress) packets bytes" "25 $((25 * (14 + 40 + 8 + 150)))" "$(flow_counts udp "$SRV_IP6" "$HOST_IP6" 9201)"
finish
