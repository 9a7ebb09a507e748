#!/bin/sh
# bench/verify.sh [COMMITS] - `strata verify --all` on a node holding
# COMMITS signed commits (default 100,000), against the Ed25519 verify rate
# `openssl speed` measures on one core in the same run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-100000}
STRATA=${STRATA:-$top/build/strata}
GEN=${GEN_COMMITS:-$top/build/bench/gen-commits}
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }

"$STRATA" init "$W/n" --name cn-bench --tier community >/dev/null
"$GEN" "$W/n" "$count"
t0=$(now)
"$STRATA" -C "$W/n" verify --all > "$W/out"
t1=$(now)
# "253 bits EdDSA (Ed25519)   0.0000s   0.0001s  36000.0  13500.0": sign/s, verify/s on one core
single=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519/ && $NF ~ /^[0-9.]+$/ {v = $NF} END {print v}')
rate=$(awk -v n="$count" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
printf '%-52s %10s s\n' "strata verify --all, $count commits" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
printf '%-52s %10s /s\n' "commits verified" "$rate"
printf '%-52s %10s /s\n' "openssl speed ed25519, verify, one core" "$single"
printf '%-52s %10s x  (target >= 1.5)\n' "ratio" "$(awk -v a="$rate" -v b="$single" 'BEGIN { printf "%.2f", a / b }')"
cat "$W/out"
