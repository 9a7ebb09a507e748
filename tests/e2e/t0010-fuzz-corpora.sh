#!/bin/sh
# Every fuzz corpus replays cleanly: the seeds, and every input fuzzing
# ever found to fail (crash-* files), through the same target code.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
: "${FUZZ_REPLAY:?FUZZ_REPLAY must name the directory of replay_<target> (make check sets it)}"
for t in csv jsonl record policy parcel sshsig net received sealed rotation console procmsg; do
	n=$(ls "$TOP_SRCDIR/tests/fuzz/corpus/$t" | wc -l)
	[ "$n" -gt 0 ] || fail "empty corpus for $t"
	"$FUZZ_REPLAY/replay_$t" "$TOP_SRCDIR/tests/fuzz/corpus/$t" >out 2>err || fail "replay $t: $(cat err)"
	grep -q "^replayed $n inputs" out || fail "replay $t: $(cat out)"
	ok "fuzz corpus $t: $n inputs replay cleanly"
done

# the received target's seeds reach the check each aims at: a fuzzer that
# never got past the object format would prove nothing
R=$TOP_SRCDIR/tests/fuzz/corpus/received
while read -r seed want; do
	FUZZ_VERBOSE=1 "$FUZZ_REPLAY/replay_received" "$R/$seed" >out 2>err || fail "replay $seed: $(cat err)"
	grep -q -- "$want" err || fail "received $seed: wanted '$want', got: $(cat err)"
done <<'SEEDS'
seed-view accepted
seed-pack accepted
seed-bad-record is not a record
seed-dotdot entry named '..'
seed-exec-mode has mode 100755
seed-link-mode has mode 120000
seed-merge is a merge
seed-no-source lacks its provenance trailers
seed-other-recipient was built for 'st-other'
SEEDS
ok "fuzz target received: the seeds are accepted or refused by the check each aims at"
