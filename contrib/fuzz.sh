#!/bin/sh
# contrib/fuzz.sh [SECONDS] [TARGET...] - fuzzes each target (default: all)
# for SECONDS (default 60) with libFuzzer, ASan and UBSan (clang from
# Debian), starting from a copy of its committed corpus.  New inputs stay
# in build-fuzz/corpus/<target>; a crash leaves crash-* there: copy it into
# tests/fuzz/corpus/<target>/ so make check replays it from then on.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"csv jsonl record policy parcel sshsig net"}
command -v clang >/dev/null || { echo "fuzz.sh: clang is needed (apt-get install clang)" >&2; exit 1; }
B=$top/build-fuzz
mkdir -p "$B"
cd "$B"
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
if [ ! -f Makefile ]; then
	[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
	"$top/configure" -q CC=clang CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $san"
fi
make -s libstrata.a
libs=$(pkg-config --libs libgit2 libcrypto zlib jansson yaml-0.1 libarchive libevent libevent_openssl libssl libcurl)
for t in $targets; do
	clang -O1 -g -fsanitize=fuzzer $san -I"$top/include" "$top/tests/fuzz/fuzz_$t.c" libstrata.a $libs -lpthread -o "fuzz_$t"
	mkdir -p "corpus/$t" "crashes/$t"
	cp -n "$top/tests/fuzz/corpus/$t/"* "corpus/$t/" 2>/dev/null || true
	echo "== fuzz_$t for ${secs}s"
	"./fuzz_$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="crashes/$t/" -print_final_stats=1 \
		"corpus/$t" 2>"fuzz_$t.log" || { echo "fuzz_$t FOUND A FAILURE: see $B/crashes/$t and $B/fuzz_$t.log"; tail -30 "fuzz_$t.log"; }
	grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "fuzz_$t.log" | sed "s/^/  $t: /"
done
