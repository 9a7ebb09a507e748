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
for f in src/lib/*/*.[ch] include/strata/*/*.h src/cli/*.[ch]; do
	case $f in
	src/cli/*) fl=cli ;;
	*) fl=$(basename "$(dirname "$f")") ;;
	esac
	fm=$(basename "$f" | sed 's/\.[ch]$//; s/_priv$//')
	sed -n 's/^#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" | while read -r inc; do
		case $inc in
		strata/*/*.h)
			tl=$(echo "$inc" | cut -d/ -f2)
			tm=$(basename "$inc" .h | sed 's/_priv$//') ;;
		*/*)
			tl=$(dirname "$inc")
			tm=$(basename "$inc" .h | sed 's/_priv$//') ;;
		*)
			tl=$fl
			tm=$(basename "$inc" .h | sed 's/_priv$//')
			[ -f "$(dirname "$f")/$inc" ] || echo "$fl $fm ? $inc $f" ;;
		esac
		echo "$fl $fm $tl $tm $f"
	done
done >"$edges"

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
bad=$(while read -r fl fm tl tm f; do
	[ "$tl" = "?" ] && continue
	if [ "$(rank "$tl")" -eq 0 ]; then
		echo "$f includes $tl/$tm.h: '$tl' is no layer"
	elif [ "$(rank "$tl")" -gt "$(rank "$fl")" ]; then
		echo "$f ($fl) includes $tl/$tm.h, a higher layer"
	fi
done <"$edges")
[ -z "$bad" ] || fail "includes pointing up:
$bad"
ok "every include points down: $(echo $layers | sed 's/ / < /g')"

# 3. the command-line tool sees only the public headers
bad=$(grep -n '#[[:space:]]*include[[:space:]]*"' src/cli/*.[ch] | grep -v '"strata/[a-z]*/[a-z_]*\.h"\|"cli\.h"\|"console\.h"' || true)
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
