#!/usr/bin/env bash
# The Debian package (issue 16): built from this tree with dpkg-buildpackage (its tests skipped:
# this is them), lintian without errors or warnings, installed on this machine (purged by the
# trap): the files, --version, man -w, the bash completion, systemd-analyze verify on the units,
# the installed binary counting a known ping stream exactly, and a purge that leaves nothing.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
repo=$(cd "$here/../.." && pwd)
PKG_BIN=/usr/sbin/wirelens
COUNT=7

if dpkg -s wirelens >/dev/null 2>&1; then
	fail "a wirelens package is installed already: this test would replace and purge it"
	finish
	exit 1
fi
setup_pair
work=$(mktemp -d /tmp/wl-package.XXXXXX)
on_exit "rm -rf $work"

# ---- build: the tree as it is (tracked and new files, not the build directories)
mkdir "$work/wirelens"
(cd "$repo" && { git ls-files -co --exclude-standard 2>/dev/null || find . -path ./build -prune -o -type f -print; } |
	while read -r f; do [ -f "$f" ] && printf '%s\0' "$f"; done | tar --null -T - -cf -) |
	tar -xf - -C "$work/wirelens"
t0=$SECONDS
(cd "$work/wirelens" && GIT_COMMIT=$(git -C "$repo" rev-parse --short=12 HEAD 2>/dev/null || echo unknown) \
	DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) ||
	{ tail -20 "$work/build.log"; fail "dpkg-buildpackage"; finish; exit 1; }
pass "dpkg-buildpackage -b in $((SECONDS - t0)) s"
deb=$(ls "$work"/wirelens_*_*.deb)
lint=$(lintian "$work"/wirelens_*.changes 2>&1 | grep -E '^[EW]: ')
[ -z "$lint" ] && pass "lintian: no error, no warning" || fail "lintian: $lint"

units=$(cd "$work/wirelens/dist/systemd" && ls -- *.service)
expected=$(printf '%s\n' ./etc/default/wirelens $(for u in $units; do echo "./lib/systemd/system/$u"; done) \
	./usr/sbin/wirelens ./usr/share/bash-completion/completions/wirelens \
	./usr/share/doc/wirelens/changelog.gz ./usr/share/doc/wirelens/copyright \
	./usr/share/lintian/overrides/wirelens ./usr/share/man/man8/wirelens.8.gz | sort)
check_eq "package files" "$expected" "$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sort)"

# ---- install (purged by the trap, after the detach below)
on_exit "dpkg --purge wirelens"
dpkg -i "$deb" >"$work/install.log" 2>&1 && pass "dpkg -i" || { cat "$work/install.log"; fail "dpkg -i"; finish; exit 1; }
on_exit "$PKG_BIN detach --all"
abi=$(sed -n 's/^#define WL_ABI_VERSION \([0-9]*\)$/\1/p' "$repo/maps/wirelens.h")
"$PKG_BIN" --version | grep -qE "^wirelens [0-9]+\.[0-9]+\.[0-9]+ \(git ([0-9a-f]{12}(-dirty)?|unknown)\), map ABI v$abi " &&
	pass "--version: $("$PKG_BIN" --version)" || fail "--version: $("$PKG_BIN" --version)"

check_eq "man -w wirelens" /usr/share/man/man8/wirelens.8.gz "$(man -w wirelens 2>&1)"
page=$(MANWIDTH=200 man wirelens 2>/dev/null)
missing=$("$PKG_BIN" --help | awk '/^  [a-z]/ {print $1}' | while read -r v; do
	grep -qE "^ +wirelens $v( |$)" <<<"$page" || echo "$v"; done)
[ -z "$missing" ] && pass "the man page has every verb of --help" || fail "verbs missing from the man page: $missing"
for s in "EXIT STATUS" FILES EXAMPLES; do
	grep -q "^$s" <<<"$page" && pass "man page section $s" || fail "man page: no $s"
done
grep -q -- "--flows-max N" <<<"$page" && pass "man page: attach options" || fail "man page: no --flows-max"

# ---- bash completion: COMP_WORDS as bash would set them
complete_words() { # WORD... (the last is the one being completed)
	bash -c 'source /usr/share/bash-completion/completions/wirelens
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _wirelens; echo "${COMPREPLY[*]}"' \
		sh wirelens "$@"
}
check_eq "completion: wirelens at" attach "$(complete_words at)"
check_eq "completion: wirelens attach --pro" --protocols "$(complete_words attach --pro)"
check_eq "completion: wirelens attach --mode ''" "native skb" "$(complete_words attach --mode '')"
check_eq "completion: wirelens attach --protocols redis,my" "redis,mysql" "$(complete_words attach --protocols redis,my)"
check_eq "completion: wirelens commands --protocol po" postgresql "$(complete_words commands --protocol po)"
check_eq "completion: wirelens ports set re" "redis=" "$(complete_words ports set re)"
check_eq "completion: wirelens detach wlh (interfaces)" "$HOST_IF" "$(complete_words detach "$HOST_IF")"

# ---- systemd units
for u in wirelens@.service wirelens-watch.service; do
	grep -qx "$u" <<<"$units" && pass "unit $u packaged" || fail "no unit $u"
done
for u in $units; do
	out=$(systemd-analyze verify "/lib/systemd/system/$u" 2>&1); rc=$?
	[ $rc -eq 0 ] && [ -z "$out" ] && pass "systemd-analyze verify $u" || fail "systemd-analyze verify $u: $rc $out"
done
grep -q "^ExecStart=/usr/sbin/wirelens attach \$WIRELENS_ATTACH_OPTS %I$" /lib/systemd/system/wirelens@.service &&
	grep -q "^ExecStop=/usr/sbin/wirelens detach \$WIRELENS_DETACH_OPTS %I$" /lib/systemd/system/wirelens@.service &&
	pass "wirelens@.service attaches on start, detaches on stop" || fail "wirelens@.service Exec lines"

# ---- the installed binary counts a known stream exactly
ping -c1 -W1 "$SRV_IP" >/dev/null # neighbours resolved before counting
"$PKG_BIN" attach "$HOST_IF" >/dev/null && pass "installed wirelens attaches to $HOST_IF" || fail "attach"
ping -c "$COUNT" -i 0.05 -W1 "$SRV_IP" >/dev/null || fail "ping"
flows=$("$PKG_BIN" flows --json)
pkts() { jq -r --arg s "$1" --arg d "$2" '[.[] | select(.proto == "icmp" and .src == $s and .dst == $d) | .packets] | add // 0' <<<"$flows"; }
check_eq "echo requests (TC egress)" "$COUNT" "$(pkts "$HOST_IP" "$SRV_IP")"
check_eq "echo replies (XDP ingress)" "$COUNT" "$(pkts "$SRV_IP" "$HOST_IP")"
# rule ids for the completion come from `wirelens rule list --json`
id=$("$PKG_BIN" rule add --dport 9 --action count 2>&1)
check_eq "completion: wirelens rule del '' (rule ids)" "$id" "$(complete_words rule del '')"
check_eq "completion: wirelens rule add --proto ''" "tcp udp icmp icmpv6" "$(complete_words rule add --proto '')"

# ---- removal leaves nothing: files, configuration, attachments, pins
dpkg --purge wirelens >"$work/purge.log" 2>&1 && pass "dpkg --purge" || { cat "$work/purge.log"; fail "dpkg --purge"; }
left=$(for f in $(echo "$expected" | sed 's|^\.||'); do [ -e "$f" ] && echo "$f"; done)
[ -z "$left" ] && pass "purge removed every file" || fail "left after purge: $left"
dpkg -s wirelens >/dev/null 2>&1 && fail "still installed" || pass "not installed any more"
[ -e "$WIRELENS_PIN_ROOT" ] && fail "pins left: $(ls -R "$WIRELENS_PIN_ROOT")" || pass "removal detached (no pins left)"
ip link show "$HOST_IF" | grep -q "xdp" && fail "XDP left on $HOST_IF" || pass "no XDP left on $HOST_IF"
finish
