#!/bin/sh
# bench/import.sh [ROWS] - strata import against `git add` + `git commit`
# of the same CSV, in the same run.  Prints each figure and the ratio.
# Needs a build in build/ (sh contrib/run.sh build).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
STRATA=${STRATA:-$top/build/strata}
GEN=${GEN_REGISTRY:-$top/build/bench/gen-registry}
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
now() { date +%s.%N; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# run CMD under /usr/bin/time-like accounting: prints "SECONDS MAXRSS_KB"
measure() {
	t0=$(now)
	sh -c 'exec "$@"' sh "$@" 2>"$W/err" >/dev/null &
	pid=$!
	peak=0
	while kill -0 $pid 2>/dev/null; do
		rss=$(awk '/^VmHWM:/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$peak" ] && peak=$rss
		sleep 0.05
	done
	wait $pid || { cat "$W/err" >&2; exit 1; }
	echo "$(secs "$t0" "$(now)") $peak"
}

echo "generating $rows rows..."
"$GEN" residents "$rows" > "$W/r.csv"
"$GEN" change 1 7 < "$W/r.csv" > "$W/r2.csv"
csv_mb=$(du -m "$W/r.csv" | cut -f1)
changed=$(cmp -l "$W/r.csv" "$W/r2.csv" 2>/dev/null | wc -l)
echo "CSV: $csv_mb MB; 1% variant differs in $changed bytes"
sync

# stock git: the CSV as one file
git init -q "$W/git"
cp "$W/r.csv" "$W/git/residents.csv"
set -- $(measure git -C "$W/git" -c gc.auto=0 add residents.csv)
git_add=$1
set -- $(measure git -C "$W/git" -c user.name=b -c user.email=b@b -c gc.auto=0 commit -qm import)
git_t=$(awk -v a="$git_add" -v b="$1" 'BEGIN { printf "%.2f", a + b }')
git_size=$(du -sk "$W/git/.git" | cut -f1)

# strata
"$STRATA" init "$W/node" --name bench --tier community >/dev/null
set -- $(measure "$STRATA" -q -C "$W/node" import residents "$W/r.csv" --key id_number)
st_t=$1 st_rss=$2
st_size=$(du -sk "$W/node/repo.git" | cut -f1)
set -- $(measure "$STRATA" -q -C "$W/node" import residents "$W/r2.csv")
re_t=$1 re_rss=$2
# the same change as a change feed: only the changed rows, with --upsert
"$STRATA" init "$W/node2" --name bench2 --tier community >/dev/null
"$STRATA" -q -C "$W/node2" import residents "$W/r.csv" --key id_number
awk 'NR == FNR { a[FNR] = $0; next } FNR == 1 || $0 != a[FNR]' "$W/r.csv" "$W/r2.csv" > "$W/delta.csv"
delta_rows=$(($(wc -l < "$W/delta.csv") - 1))
set -- $(measure "$STRATA" -q -C "$W/node2" import residents "$W/delta.csv" --upsert)
up_t=$1 up_rss=$2
[ "$(git -C "$W/node/repo.git" rev-parse refs/strata/datasets/residents^{tree})" = \
  "$(git -C "$W/node2/repo.git" rev-parse refs/strata/datasets/residents^{tree})" ] ||
	{ echo "upsert and full re-import gave different trees" >&2; exit 1; }

echo
printf '%-34s %10s %10s %8s\n' "" strata "git" ratio
printf '%-34s %9ss %9ss %7sx\n' "import $rows rows" "$st_t" "$git_t" "$(ratio "$st_t" "$git_t")"
printf '%-34s %8dMB %8dMB %7sx\n' "repository size" $((st_size / 1024)) $((git_size / 1024)) "$(ratio "$st_size" "$git_size")"
printf '%-34s %8dMB\n' "strata peak RSS (import)" $((st_rss / 1024))
printf '%-34s %9ss %10s %7s%%\n' "re-import, 1% of rows changed" "$re_t" "" "$(awk -v a="$re_t" -v b="$st_t" 'BEGIN { printf "%.0f", 100 * a / b }')"
printf '%-34s %8dMB\n' "strata peak RSS (re-import)" $((re_rss / 1024))
printf '%-34s %9ss %10s %7s%%\n' "--upsert of the $delta_rows changed rows" "$up_t" "" "$(awk -v a="$up_t" -v b="$st_t" 'BEGIN { printf "%.0f", 100 * a / b }')"
printf '%-34s %8dMB\n' "strata peak RSS (upsert)" $((up_rss / 1024))
echo "(the upsert's tree id equals the full re-import's)"
