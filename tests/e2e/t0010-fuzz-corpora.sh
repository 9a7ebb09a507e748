#!/bin/sh
# Every fuzz corpus replays cleanly: the seeds, and every input fuzzing
# ever found to fail (crash-* files), through the same target code.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
: "${FUZZ_REPLAY:?FUZZ_REPLAY must name the directory of replay_<target> (make check sets it)}"
for t in csv jsonl record policy parcel sshsig net; do
	n=$(ls "$TOP_SRCDIR/tests/fuzz/corpus/$t" | wc -l)
	[ "$n" -gt 0 ] || fail "empty corpus for $t"
	"$FUZZ_REPLAY/replay_$t" "$TOP_SRCDIR/tests/fuzz/corpus/$t" >out 2>err || fail "replay $t: $(cat err)"
	grep -q "^replayed $n inputs" out || fail "replay $t: $(cat out)"
	ok "fuzz corpus $t: $n inputs replay cleanly"
done
