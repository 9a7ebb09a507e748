#!/bin/sh
# bench/console.sh [ROWS] [REQUESTS] - the web console's cost per answer:
# REQUESTS (default 100) answers of /api/datasets and of one page of
# records, one after another with curl, against the same commands run
# directly as many times (the console runs the command as a child for each
# answer, so the ratio is what HTTP and the console add).
set -eu
. "$(dirname "$0")/lib.sh"
rows=${1:-100000}
n=${2:-100}
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }
"$GEN" residents "$rows" >"$W/r.csv"
"$STRATA" init "$W/n" --name cn-bench --tier community >/dev/null
"$STRATA" -q -C "$W/n" import residents "$W/r.csv" --key id_number
"$STRATA" -C "$W/n" console --listen 127.0.0.1:0 >"$W/console.out" 2>"$W/console.err" &
cpid=$!
trap 'kill $cpid 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 50); do grep -q "console of this node" "$W/console.out" && break; sleep 0.1; done
url=$(sed -n 's/^console of this node: \(http[^ ]*\) .*/\1/p' "$W/console.out")
token=$(sed -n 2p "$W/console.err" | tr -d ' ')
curl -s -c "$W/jar" -o /dev/null -X POST -H "Origin: ${url%/}" --data "token=$token" "${url}login"
header

api_datasets() { timed sh -c 'i=0; while [ $i -lt "$2" ]; do curl -s -o /dev/null "$1"; i=$((i + 1)); done' sh "${url}api/datasets" "$n"; }
cli_datasets() { timed sh -c 'i=0; while [ $i -lt "$3" ]; do "$1" -C "$2" --utc datasets --format json >/dev/null; i=$((i + 1)); done' sh "$STRATA" "$W/n" "$n"; }
pair "$n answers of /api/datasets, $rows rows" "strata datasets --format json, $n times" api_datasets cli_datasets "<= 1.2x" "<= 1.5x"

off=$((rows / 2))
api_records() { timed sh -c 'i=0; while [ $i -lt "$3" ]; do curl -s -b "$2" -o /dev/null "$1"; i=$((i + 1)); done' sh "${url}api/records?dataset=residents&offset=$off" "$W/jar" "$n"; }
cli_records() { timed sh -c 'i=0; while [ $i -lt "$4" ]; do "$1" -C "$2" --utc sql "SELECT * FROM residents LIMIT 50 OFFSET $3" --format json >/dev/null; i=$((i + 1)); done' sh "$STRATA" "$W/n" "$off" "$n"; }
pair "$n pages of records (50 from the middle of $rows)" "strata sql LIMIT 50 OFFSET of the same, $n times" api_records cli_records "<= 1.0x" "<= 1.2x"

# the same records (by key: sql types its values, export keeps the strings), or the figure means nothing
curl -s -b "$W/jar" "${url}api/records?dataset=residents&offset=$off" | python3 -c 'import json,sys; print("\n".join(r["id_number"] for r in json.load(sys.stdin)))' >"$W/a"
"$STRATA" -C "$W/n" --utc sql "SELECT * FROM residents LIMIT 50 OFFSET $off" --format json |
	python3 -c 'import json,sys; print("\n".join(r["id_number"] for r in json.load(sys.stdin)))' >"$W/b"
[ "$(wc -l <"$W/a")" = 50 ] && cmp -s "$W/a" "$W/b" || { echo "console: the page of records differs from sql's" >&2; diff "$W/a" "$W/b" | head -3 >&2; exit 1; }

echo
echo "strata $("$STRATA" --version 2>/dev/null | head -1), $rows rows, $n requests, $PAIRS pairs a row, $(nproc) cores, $(date -u +%Y-%m-%d)"
cat "$TABLE"
