#!/bin/sh
# A full disk: every command that changes a node runs with the disk full at
# several levels of free space (the fault shim's STRATA_FAULT_SPACE: writes
# to files take from a budget of bytes; past it they are cut short, then
# fail with ENOSPC).  Each time the command succeeds and the node is in its
# new state, or it fails with a clear message and the node is exactly as it
# was (refs, node.conf, keys, link files, policies, audit log): doctor says
# what it said before, verify passes, and the command then runs.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
many_processes
: "${FAULTSHIM:?FAULTSHIM must name tests/fault/faultshim.so (make check sets it)}"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export ASAN_OPTIONS

two_nodes
"$STRATA" -C cn export --to st-wangjiang -o p1.parcel >/dev/null
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 40 == 0 {$5 = "13800000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >v2.csv
sed 's/^version: 1$/version: 2/' "$TOP_SRCDIR/policies/community-to-street.yaml" >policy2.yaml
key=$(sed -n '2s/^\([^,]*\),.*/\1/p' "$TOP_SRCDIR/seeds/residents.csv")
"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
cnkey=$("$STRATA" -C st peer show cn-wangjiang-01 --json | sed -n 's/.*"fingerprint": *"\([^"]*\)".*/\1/p' | head -1)
[ -n "$cnkey" ] || fail "no fingerprint of the community's key at the street"

# everything a node keeps, as what it means: refs as trees (a commit id holds its time),
# node.conf, the public keys, link files, the policies' refs, the audit log's length
whole() {
	git -C "$1/repo.git" for-each-ref --format='%(refname) %(tree)' | grep -v '^refs/strata/audit '
	echo "audit $(git -C "$1/repo.git" rev-list --count refs/strata/audit 2>/dev/null || echo 0)"
	(cd "$1" && sha1sum node.conf keys/node.pub keys/allowed_signers 2>/dev/null)
	# link files, their commit ids, times and checksums aside (a run at another second makes others)
	for f in "$1"/links/*.json; do
		[ -f "$f" ] || continue
		echo "$(basename "$f"): $(sed 's/"[0-9a-f]\{40,64\}"/"ID"/g; s/"[0-9T:-]*Z"/"TIME"/g' "$f" | sha1sum)"
	done
}
doctor_says() { "$STRATA" -C "$1" doctor 2>&1 | grep -v "^node .*: no problems found" || true; }

# full NAME NODE CMD...: CMD on (a copy of) NODE at each level of free space
full() {
	name=$1 node=$2
	shift 2
	rm -rf base && cp -r "$node" base
	# what it writes when the disk has room: the levels are fractions of that
	rm -rf w && cp -r base w
	(cd w && LD_PRELOAD="$FAULTSHIM" STRATA_FAULT_BYTES="$T/bytes" "$@" >/dev/null 2>"$T/err0") ||
		fail "$name with room: $(cat "$T/err0")"
	b=$(cat bytes)
	[ "$b" -gt 0 ] || fail "$name writes nothing: the test proves nothing"
	old=$(whole base) new=$(whole w) was=$(doctor_says base)
	failed=0
	# a change first takes 64 KiB to undo with (journal.c): levels below it, then across the work beyond it
	r=65536 work=$((b - 65536))
	[ "$work" -gt 0 ] || fail "$name writes $b bytes, less than the journal's reserve"
	for level in 0 $((r / 2)) $((r + work / 8)) $((r + work / 4)) $((r + work / 2)) $((r + work * 3 / 4)) $((b - 1)); do
		rm -rf w && cp -r base w
		set +e
		(cd w && LD_PRELOAD="$FAULTSHIM" STRATA_FAULT_SPACE=$level "$@" >/dev/null 2>"$T/err")
		status=$?
		set -e
		if [ $status = 0 ]; then
			[ "$(whole w)" = "$new" ] || [ "$name" = "key rotate" ] ||
				fail "$name with $level of $b bytes free: success, but not the new state"
		else
			failed=$((failed + 1))
			grep -q "^strata: " "$T/err" || fail "$name with $level bytes free: exit $status without a message: $(cat "$T/err")"
			now=$(whole w)
			# an erasure whose cut could not be finished is made (its event is in) and owes the rest
			if [ "$name" = erase ] && [ "$now" = "$new" ] && grep -q "the record is erased" "$T/err"; then
				[ -f w/cut-owed ] || fail "erase with $level bytes free: made, unfinished, and no cut owed"
				"$STRATA" -C w doctor --repair >/dev/null 2>&1 || true
				[ "$(doctor_says w)" = "$was" ] || fail "erase: doctor --repair did not finish the cut: $(doctor_says w)"
				continue
			fi
			[ "$now" = "$old" ] || fail "$name with $level of $b bytes free failed ($(tail -1 "$T/err")) and changed the node:
$(printf '%s\n' "$old" >o; printf '%s\n' "$now" >n; diff o n)"
		fi
		[ "$(doctor_says w)" = "$was" ] || fail "$name with $level of $b bytes free: doctor now says: $(doctor_says w)"
		"$STRATA" -C w verify --all >v 2>&1 || fail "$name with $level bytes free: verify: $(cat v)"
		(cd w && "$@" >/dev/null 2>"$T/err2") || [ $status = 0 ] || fail "$name after a full disk: the rerun failed: $(cat "$T/err2")"
	done
	[ "$failed" -gt 0 ] || fail "$name never failed for want of space: the levels prove nothing"
	echo "# $name: writes $b bytes; failed at $failed of 7 levels of free space, node unchanged each time"
}

full "dataset import" cn "$STRATA" import residents "$T/v2.csv"
full "policy commit" cn "$STRATA" policy commit "$T/policy2.yaml"
full "parcel export" cn "$STRATA" export --to st-wangjiang -o "$T/w/out.parcel"
full "parcel import" st "$STRATA" import --keep "$T/p1.parcel"
full "peer add" st "$STRATA" peer add dx-gongshu --key "$T/dx/keys/node.pub" --tier district --policy street-to-district
full "peer set" cn "$STRATA" peer set st-wangjiang --url https://127.0.0.1:9
full "key revoke" st "$STRATA" key revoke cn-wangjiang-01 --key "$cnkey" --after 2030-01-01
full "key rotate" cn "$STRATA" key rotate
full "erase" cn "$STRATA" erase residents "$key" --reason "a resident asked to be forgotten"
ok "nine changing commands on a full disk at seven levels of free space each: success and the new state, or a clear error and the node exactly as it was (doctor and verify as before), and the command then runs"
