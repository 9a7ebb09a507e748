#!/bin/sh
# contrib/console/embed.sh OUT.c DIR FILE... - the console's static files as C
# arrays (console.h: strata_console_assets), so the binary carries them.
# Each FILE (in DIR, or a path with a '/': a file made by the build) is
# served at /NAME, its file name, with the type its extension says.
set -eu
out=$1 dir=$2
shift 2
tmp=$out.tmp
{
	echo "/* made by contrib/console/embed.sh from $(basename "$dir")/: do not edit */"
	echo '#include "console.h"'
	i=0
	for f in "$@"; do
		case $f in */*) path=$f ;; *) path=$dir/$f ;; esac
		echo "static const unsigned char a$i[] = {"
		od -An -v -tx1 "$path" | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'
		echo "0 };"
		i=$((i + 1))
	done
	echo "const strata_console_asset strata_console_assets[] = {"
	i=0
	for f in "$@"; do
		case $f in
		*.html) t="text/html; charset=utf-8" ;;
		*.css) t="text/css; charset=utf-8" ;;
		*.js) t="text/javascript; charset=utf-8" ;;
		*.svg) t="image/svg+xml" ;;
		*.json) t="application/json; charset=utf-8" ;;
		*.png) t="image/png" ;;
		*) echo "embed.sh: no type for $f" >&2; exit 1 ;;
		esac
		echo "	{ \"/$(basename "$f")\", \"$t\", a$i, sizeof(a$i) - 1 },"
		i=$((i + 1))
	done
	echo "	{ 0, 0, 0, 0 }"
	echo "};"
} >"$tmp"
mv "$tmp" "$out"
