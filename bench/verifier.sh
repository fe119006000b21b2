#!/usr/bin/env bash
# The program x kernel table of verified instructions: this host's column measured now
# (verify_progs loads every program alone), the guests' columns from the last make test-kernels
# (BUILD/kernels/*.log) when there is one.
#   bench/verifier.sh [BUILD]
set -u
BUILD=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
rows=$(mktemp); trap 'rm -f "$rows"' EXIT
"$BUILD/verify_progs" --table --limit 1000000 | sed 's/^/ktable\t/' >"$rows"
logs=$(ls "$BUILD"/kernels/*.log 2>/dev/null)
[ -n "$logs" ] && grep -h '^ktable' $logs | tr -d '\r' >>"$rows"
echo "===== program x kernel: verified instructions (make test fails above 500,000; the verifier's limit is 1,000,000)"
awk -F'\t' -v lim=500000 -f "$here/../tests/kernels/table.awk" "$rows"
[ -n "$logs" ] || echo "(this host only: make test-kernels adds Debian 12, 13 and sid)"
