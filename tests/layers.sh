#!/bin/sh
# layers.sh - the library's include graph points down and has no circle.
#
# The layers, lowest first, are the directories of src/lib (and of
# include/strata, which holds each module's header beside the same layer
# name):
#
#     base < format < node < data < policy < replica < net < cli
#
# A file may include a header of its own layer or of a lower one, never of
# a higher one; src/cli includes only the public headers (include/strata)
# and its own cli.h and console.h.  Within one layer the modules must not include each
# other in a circle: the module graph (module = file name without .c/.h)
# goes through tsort(1), which names any loop.
#
# Run by make check; by hand: sh tests/layers.sh [SRCDIR]
#     TOP_SRCDIR=. sh tests/layers.sh
# prints the graph itself with LAYERS_GRAPH=1.
set -eu
top=${1:-${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$top"
layers="base format node data policy replica net cli"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

rank() {
	r=0
	for l in $layers; do
		r=$((r + 1))
		[ "$l" = "$1" ] && { echo $r; return; }
	done
	echo 0
}

# every "module dependency" edge: FROM-LAYER FROM-MODULE TO-LAYER TO-MODULE FILE
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
# (one awk over every file: a process per include took minutes on a loaded machine)
awk '
FNR == 1 {
	f = FILENAME
	if (f ~ /^src\/cli\//) fl = "cli"
	else { n = split(f, parts, "/"); fl = parts[n - 1] }
	fm = f; sub(/.*\//, "", fm); sub(/\.[ch]$/, "", fm); sub(/_priv$/, "", fm)
	dir = f; sub(/\/[^\/]*$/, "", dir)
}
/^#[ \t]*include[ \t]*"/ {
	inc = $0; sub(/^#[ \t]*include[ \t]*"/, "", inc); sub(/".*/, "", inc)
	tm = inc; sub(/.*\//, "", tm); sub(/\.h$/, "", tm); sub(/_priv$/, "", tm)
	if (inc ~ /^strata\/[^\/]*\/[^\/]*\.h$/) { split(inc, q, "/"); tl = q[2] }
	else if (inc ~ /\//) { tl = inc; sub(/\/[^\/]*$/, "", tl) }
	else {
		tl = fl
		if (system("test -f \"" dir "/" inc "\"") != 0) { print fl, fm, "?", inc, f; next }
	}
	print fl, fm, tl, tm, f
}' src/lib/*/*.[ch] include/strata/*/*.h src/cli/*.[ch] >"$edges"

[ "${LAYERS_GRAPH:-0}" = 1 ] && awk '$2 != $4 { print $1 "/" $2 " -> " $3 "/" $4 }' "$edges" | sort -u

# 1. every header named exists in the layer it names
bad=$(awk '$3 == "?" { print $5 ": no header \"" $4 "\" beside it" }' "$edges")
for row in $(awk '$3 != "?" && $3 != "cli" { print $3 "/" $4 }' "$edges" | sort -u); do
	[ -f "include/strata/$row.h" ] || [ -f "src/lib/$row.h" ] ||
		bad="$bad
no header for $row (neither include/strata/$row.h nor src/lib/$row.h)"
done
[ -z "$bad" ] || fail "$bad"
ok "every included header exists where its path says"

# 2. every include points down (or stays in its layer)
bad=$(awk -v layers="$layers" '
BEGIN { n = split(layers, l, " "); for (i = 1; i <= n; i++) rank[l[i]] = i }
$3 == "?" { next }
!($3 in rank) { print $5 " includes " $3 "/" $4 ".h: \047" $3 "\047 is no layer"; next }
rank[$3] > rank[$1] { print $5 " (" $1 ") includes " $3 "/" $4 ".h, a higher layer" }' "$edges")
[ -z "$bad" ] || fail "includes pointing up:
$bad"
ok "every include points down: $(echo $layers | sed 's/ / < /g')"

# 3. the command-line tool sees only the public headers
bad=$(grep -n '#[[:space:]]*include[[:space:]]*"' src/cli/*.[ch] | grep -v '"strata/[a-z]*/[a-z0-9_]*\.h"\|"cli\.h"\|"console\.h"\|"officer_sign\.h"' || true)
[ -z "$bad" ] || fail "src/cli reaches past the public API:
$bad"
ok "src/cli includes only include/strata and its own cli.h and console.h"

# 4. no circle among modules
if ! out=$(awk '$3 != "?" && $2 != $4 { print $3 "/" $4, $1 "/" $2 }' "$edges" | tsort 2>&1 >/dev/null); then
	fail "a circle of includes: $out"
fi
[ -z "$out" ] || fail "a circle of includes:
$out"
ok "no circle of includes among $(awk '{ print $1 "/" $2 }' "$edges" | sort -u | wc -l) modules"
