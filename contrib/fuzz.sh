#!/bin/sh
# contrib/fuzz.sh [SECONDS] [TARGET...] - fuzzes each target (default: all)
# for SECONDS (default 60) with libFuzzer, ASan and UBSan (clang from
# Debian), starting from a copy of its committed corpus.  FUZZ_JOBS=N
# (default 1) fuzzes N targets at a time.  New inputs stay in
# build-fuzz/corpus/<target>; a crash leaves crash-* in build-fuzz/crashes/:
# copy it into tests/fuzz/corpus/<target>/ so make check replays it from
# then on.  The last line per target gives its executions and findings.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-"csv jsonl record policy parcel sshsig net received sealed rotation console procmsg"}
jobs=${FUZZ_JOBS:-1}
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
# every target is built before any runs, so a build never races a run
for t in $targets; do
	clang -O1 -g -fsanitize=fuzzer $san -I"$top/include" -I"$top/src/lib" "$top/tests/fuzz/fuzz_$t.c" \
		libstrata.a $libs -lpthread -o "fuzz_$t"
	mkdir -p "corpus/$t" "crashes/$t"
	cp -n "$top/tests/fuzz/corpus/$t/"* "corpus/$t/" 2>/dev/null || true
done
run_one() {
	t=$1
	echo "== fuzz_$t for ${secs}s"
	if "./fuzz_$t" -max_total_time="$secs" -max_len=65536 -artifact_prefix="crashes/$t/" -print_final_stats=1 \
		"corpus/$t" >"fuzz_$t.log" 2>&1; then
		found=0
	else
		found=1
		echo "fuzz_$t FOUND A FAILURE: see $B/crashes/$t and $B/fuzz_$t.log"
		tail -30 "fuzz_$t.log"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "fuzz_$t.log" | tail -1)
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "fuzz_$t.log" | tail -1)
	echo "fuzz_$t: ${secs}s, ${execs:-?} executions, corpus $(ls "corpus/$t" | wc -l) inputs," \
		"peak RSS ${rss:-?} MB, $found findings"
}
# FUZZ_JOBS targets at a time: they all take SECONDS, so batches lose nothing
n=0
for t in $targets; do
	run_one "$t" &
	n=$((n + 1))
	[ "$n" -lt "$jobs" ] || { wait; n=0; }
done
wait
