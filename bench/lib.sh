# bench/lib.sh - sourced by the benchmarks: timing, paired runs, the table.
#
# A benchmark is a pair of shell functions, one for strata and one for the
# peer it is compared with.  Each does its own setup (untimed), then calls
# `timed CMD...`, which sets T (seconds) and M (peak RSS, KiB) for CMD
# alone.  `pair` runs the two in turn PAIRS times (default 3) and prints
# one table row: min / median / max of each side and of the ratio, pair by
# pair (a single run on a shared machine swung 3x here).

top=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$top/build/strata}
GEN=${GEN_REGISTRY:-$top/build/bench/gen-registry}
PAIRS=${PAIRS:-3}
[ -x "$STRATA" ] && [ -x "$GEN" ] || { echo "build first: sh contrib/run.sh build" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

# timed CMD...: runs CMD, stdout to $W/last.out; sets T and M
timed() {
	if ! /usr/bin/time -f '%e %M' -o "$W/time" "$@" >"$W/last.out" 2>"$W/last.err"; then
		echo "benchmark command failed: $*" >&2
		cat "$W/last.err" >&2
		exit 1
	fi
	set -- $(tail -1 "$W/time")
	T=$1 M=$2
}

# stats V...: "min median max" (the median of an even count is the lower middle)
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%s %s %s", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# fmt3 "MIN MED MAX" [DIGITS]: "MED (MIN-MAX)"
fmt3() {
	echo "$1" | awk -v d="${2:-2}" '{ printf "%.*f (%.*f-%.*f)", d, $2, d, $1, d, $3 }'
}

div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a / b }'; }

TABLE=$W/table
header() {
	{
		echo "| work | strata, s | peer | peer, s | ratio, median (min-max) | goal | must reach | strata peak MiB |"
		echo "|---|---|---|---|---|---|---|---|"
	} >>"$TABLE"
}

# pair LABEL PEER-NAME A B GOAL MUST: A and B as above; the ratio is A/B
# (for a rate, A and B set T to the rate instead of seconds)
pair() {
	label=$1 peer=$2 a=$3 b=$4 goal=$5 must=$6
	ta="" tb="" tr="" mem=0
	for i in $(seq "$PAIRS"); do
		$a
		x=$T
		[ "$M" -gt "$mem" ] && mem=$M
		$b
		y=$T
		ta="$ta $x" tb="$tb $y"
		tr="$tr $(div "$x" "$y")"
		echo "  $label, pair $i: strata $x, $peer $y" >&2
	done
	# shellcheck disable=SC2086
	printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$label" "$(fmt3 "$(stats $ta)")" "$peer" \
		"$(fmt3 "$(stats $tb)")" "$(fmt3 "$(stats $tr)")" "$goal" "$must" $((mem / 1024)) >>"$TABLE"
	LAST_MEM=$((mem / 1024))
}

# row LABEL VALUE PEER PEER-VALUE RATIO GOAL MUST: a measured figure that is not timed
row() {
	printf '| %s | %s | %s | %s | %s | %s | %s | - |\n' "$@" >>"$TABLE"
}
