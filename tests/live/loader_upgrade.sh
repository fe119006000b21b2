#!/usr/bin/env bash
# Upgrades (issue #14, item 6): another build with the same map ABI keeps the counters (its
# programs replace the old ones, the pinned maps stay); pins of an older map ABI (what an older
# wirelens leaves: here this build's pins moved to v<ABI-1>, the same layout) are named by
# status, removed by attach (which then starts clean) and by detach --all; an older build meeting
# a newer ABI's attachments refuses to touch them.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_pair
ABI=${PIN_DIR##*/v}
OLD=$WIRELENS_PIN_ROOT/v$((ABI - 1)) NEWER=$WIRELENS_PIN_ROOT/v$((ABI + 5))
on_exit "rm -rf $OLD $NEWER"
xdp_id() { ip -d link show "$HOST_IF" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'; }
pings() { ping -c "$1" -i 0.01 -W 1 "$SRV_IP" >/dev/null; }
echo_pkts() { # ICMP echo requests counted host -> server
	"$WL_BIN" flows --json | jq '[.[] | select(.proto == "icmp" and .dst == "'"$SRV_IP"'")] | map(.packets) | add // 0'
}

# A "newer build" of this very code: the same binary with another ELF build id (programs are
# pinned and reused by build id, maps by ABI), as a rebuild from a newer commit would have.
NEWBIN=$(mktemp /tmp/wlupg.XXXXXX)
on_exit "rm -f $NEWBIN"
cp "$WL_BIN" "$NEWBIN" && chmod 755 "$NEWBIN"
python3 - "$NEWBIN" <<'PY' || { echo "cannot patch the build id"; exit 1; }
import subprocess, sys
f = sys.argv[1]
out = subprocess.run(['readelf', '-n', f], capture_output=True, text=True).stdout
bid = next(l.split()[-1] for l in out.splitlines() if 'Build ID' in l)
b = open(f, 'rb').read()
old = bytes.fromhex(bid)
assert b.count(old) == 1
new = bytes([old[0] ^ 0xff]) + old[1:]
open(f, 'wb').write(b.replace(old, new))
PY

# 1. same ABI, another build: detach --keep-maps, attach with the new build, counters go on
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach"
pings 20
check_eq "echo requests before the upgrade" 20 "$(echo_pkts)"
old_id=$(xdp_id)
"$WL_BIN" detach --keep-maps "$HOST_IF" >/dev/null || fail "detach --keep-maps"
"$NEWBIN" attach "$HOST_IF" >/dev/null || fail "attach with the new build"
new_id=$(xdp_id)
[ -n "$new_id" ] && [ "$new_id" != "$old_id" ] && pass "the new build's program is attached ($old_id -> $new_id)" ||
	fail "XDP program after the upgrade: $old_id -> $new_id"
pings 7
check_eq "echo requests after the upgrade: counted on (20 + 7)" 27 "$(echo_pkts)"
n=$(ls "$PIN_DIR" | grep -c '_prog_')
[ "$n" -le 2 ] && pass "the old build's program pins are gone ($n left)" || fail "$n program pins: $(ls "$PIN_DIR" | grep _prog_ | xargs)"
"$NEWBIN" detach "$HOST_IF" >/dev/null

# 2. an older ABI's pins, still attached: status names them, attach replaces them
"$WL_BIN" attach "$HOST_IF" >/dev/null || fail "attach"
pings 5
stale_id=$(xdp_id)
mv "$PIN_DIR" "$OLD" || { fail "cannot move the pins (bpffs rename)"; finish; exit 1; }
st=$("$WL_BIN" status --json 2>/dev/null)
jq -e --arg d "$OLD" '.notes | map(select(contains("map ABI v'$((ABI - 1))'") and contains($d))) | length == 1' <<<"$st" >/dev/null &&
	pass "status names the older ABI's pins" || fail "status notes: $(jq -c .notes <<<"$st")"
err=$("$WL_BIN" attach "$HOST_IF" 2>&1 >/dev/null) || fail "attach over an older ABI: $err"
printf '%s\n' "$err" | grep -q "older wirelens (map ABI v$((ABI - 1)))" && pass "attach says so: $err" || fail "attach said: $err"
[ ! -e "$OLD" ] && pass "the older ABI's pins are gone" || fail "left: $(find "$OLD" | xargs)"
id=$(xdp_id)
[ -n "$id" ] && [ "$id" != "$stale_id" ] && pass "this ABI's program replaced the old one ($stale_id -> $id)" || fail "XDP id $stale_id -> $id"
check_eq "counters start clean" 0 "$(echo_pkts)"
pings 3
check_eq "and count" 3 "$(echo_pkts)"

# 3. detach --all removes an older ABI's pins too
"$WL_BIN" detach --keep-maps "$HOST_IF" >/dev/null
"$WL_BIN" attach "$HOST_IF" >/dev/null
mv "$PIN_DIR" "$OLD"
"$WL_BIN" detach --all >/dev/null 2>&1
[ ! -e "$OLD" ] && [ -z "$(xdp_id)" ] && pass "detach --all removed the older ABI's attachment and pins" ||
	fail "after detach --all: $(find "$OLD" 2>/dev/null | xargs) xdp $(xdp_id)"

# 4. a newer ABI's attachment: not touched, one clear line, exit 1
"$WL_BIN" attach "$HOST_IF" >/dev/null
newer_id=$(xdp_id)
mv "$PIN_DIR" "$NEWER"
err=$("$WL_BIN" attach "$HOST_IF" 2>&1 >/dev/null) && fail "attach over a newer ABI succeeded"
printf '%s\n' "$err" | grep -q "newer wirelens (map ABI v$((ABI + 5)))" && pass "refused: $err" || fail "said: $err"
check_eq "the newer ABI's program stays" "$newer_id" "$(xdp_id)"
[ -d "$NEWER/links" ] && [ ! -e "$PIN_DIR" ] && pass "its pins stay, nothing of ours is left" || fail "pins: $(ls "$WIRELENS_PIN_ROOT" | xargs)"
mv "$NEWER" "$PIN_DIR" && "$WL_BIN" detach "$HOST_IF" >/dev/null
finish
