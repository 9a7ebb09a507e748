#!/bin/sh
# I/O faults: every write, fsync, rename, link and unlink along a dataset
# import and a parcel import fails in turn (EIO, ENOSPC, or a short write),
# through an LD_PRELOAD shim.  Each time: a clear error or success, and the
# node in its old state or its new state, never between; fsck and
# verify --all clean.  Then the parcel import dies at each of those calls
# in turn: once the next command has taken the node's lock, it is in its
# old or its new state as a whole (refs, sequence, audit log).
. "$TOP_SRCDIR/tests/e2e/lib.sh"
many_processes
: "${FAULTSHIM:?FAULTSHIM must name tests/fault/faultshim.so (make check sets it)}"
# an ASan binary wants its runtime first; the shim only wraps libc calls
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export ASAN_OPTIONS
two_nodes
"$STRATA" -C cn export --to st-wangjiang -o p1.parcel >/dev/null
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 100 == 0 {$5 = "19900000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >v2.csv

# refs as trees (a commit id holds its time; the state is what the trees hold), the audit log aside
state() {
	git -C "$1/repo.git" for-each-ref --format='%(refname) %(tree)' refs/strata/datasets refs/strata/peers refs/strata/views
}
# a node's whole state: the refs (as trees), the policies, the sender's sequence, the audit log's length
whole() {
	git -C "$1/repo.git" for-each-ref --format='%(refname) %(tree)' refs/strata/datasets refs/strata/peers \
		refs/strata/views refs/strata/policies
	sed -n '/"in"/,/}/s/.*"sequence": *\([0-9]*\).*/in \1/p' "$1/links/cn-wangjiang-01.json" 2>/dev/null || true
	echo "audit $(git -C "$1/repo.git" rev-list --count refs/strata/audit 2>/dev/null || echo 0)"
}
run_op() { # OP NODE
	if [ "$1" = import ]; then
		"$STRATA" -C "$2" import residents "$T/v2.csv"
	else
		"$STRATA" -C "$2" import --keep "$T/p1.parcel"
	fi
}
: >empty.parcel
for op in import parcel; do
	rm -rf base new
	if [ $op = import ]; then cp -r cn base; else cp -r st base; fi
	cp -r base new
	STRATA_TEST_FSYNC=1 LD_PRELOAD=$FAULTSHIM STRATA_FAULT_COUNT=$T/count run_op $op new >/dev/null
	k=$(cat count)
	old=$(state base) new=$(state new)
	[ "$old" != "$new" ] || fail "$op changed nothing"
	n=1 failed=0 step=${STRATA_FAULT_STRIDE:-1} tried=0
	while [ "$n" -le "$k" ]; do
		tried=$((tried + 1))
		case $((n % 3)) in
		0) mode="STRATA_FAULT_ERRNO=ENOSPC" ;;
		1) mode="STRATA_FAULT_ERRNO=EIO" ;;
		2) mode="STRATA_FAULT_SHORT=1" ;;
		esac
		rm -rf w && cp -r base w
		set +e
		env STRATA_TEST_FSYNC=1 LD_PRELOAD="$FAULTSHIM" STRATA_FAULT_N=$n $mode \
			sh -c "$(command -v "$STRATA") -C w $( [ $op = import ] && echo "import residents $T/v2.csv" || echo "import --keep $T/p1.parcel")" \
			>/dev/null 2>err
		status=$?
		set -e
		now=$(state w)
		if [ $status = 0 ]; then
			[ "$now" = "$new" ] || fail "$op, fault $n ($mode): success, but not the new state"
		else
			failed=$((failed + 1))
			grep -q "^strata: " err || fail "$op, fault $n ($mode): exit $status without a message: $(cat err)"
			[ "$now" = "$old" ] || [ "$now" = "$new" ] || fail "$op, fault $n ($mode): between states: $(cat err)"
		fi
		if [ $op = parcel ]; then
			w=$(whole w)
			[ "$w" = "$(whole base)" ] || [ "$w" = "$(whole new)" ] ||
				fail "parcel, fault $n ($mode): refs, sequence and audit log disagree: $w: $(cat err)"
			# a journal left (its removal failed) is settled by the next command to lock
			if [ -f w/journal ]; then
				expect_fail 1 "not a parcel" "$STRATA" -C w import empty.parcel
				[ ! -f w/journal ] || fail "parcel, fault $n ($mode): the journal was not settled"
				[ "$(whole w)" = "$w" ] || fail "parcel, fault $n ($mode): settling the journal changed the state"
			fi
		fi
		git -C w/repo.git fsck --strict --no-dangling >fsck 2>&1 || fail "$op, fault $n ($mode): fsck: $(cat fsck)"
		"$STRATA" -C w verify --all >v 2>&1 || fail "$op, fault $n ($mode): verify: $(cat v)"
		n=$((n + step))
	done
	ok "$op: $tried of its $k file operations failed in turn ($failed reported): old or new state, fsck and verify clean"
done

# die at each call of a parcel import, a view build and a policy commit:
# then a command that takes the lock (an import of an empty file, refused)
# settles what the dead one left, and the node is in its old or its new
# state as a whole; fsck and verify are clean, and the rerun completes
crash_each() { # NAME STRIDE BASE-NODE RERUN-REFUSAL CMD... (CMD runs on the node w): every STRIDE-th call
	name=$1 step=$2 base=$3 again=$4
	shift 4
	rm -rf w && cp -r "$base" w
	STRATA_TEST_FSYNC=1 LD_PRELOAD=$FAULTSHIM STRATA_FAULT_COUNT=$T/count "$@" >/dev/null
	k=$(cat count) old=$(whole "$base") new=$(whole w) n=1 mid=0 runs=0
	[ "$old" != "$new" ] || fail "$name changed nothing"
	while [ "$n" -le "$k" ]; do
		rm -rf w && cp -r "$base" w
		set +e
		env STRATA_TEST_FSYNC=1 LD_PRELOAD="$FAULTSHIM" STRATA_FAULT_N=$n STRATA_FAULT_CRASH=1 "$@" >/dev/null 2>&1
		status=$?
		set -e
		[ $status = 137 ] || [ $status = 0 ] || fail "$name, crash at call $n: exit $status"
		if [ -f w/journal ]; then	# verify tells an auditor, before anything settles it
			mid=$((mid + 1))
			"$STRATA" -C w verify --all >v 2>&1 || true
			grep -q "was interrupted; the next command that changes this node completes or undoes it" v ||
				fail "$name, crash at call $n: verify does not mention the interrupted change: $(cat v)"
		fi
		expect_fail 1 "not a parcel" "$STRATA" -C w import empty.parcel
		now=$(whole w)
		[ "$now" = "$old" ] || [ "$now" = "$new" ] || fail "$name, crash at call $n: refs, sequence and audit log disagree: $now"
		[ ! -f w/journal ] || fail "$name, crash at call $n: the journal was not settled"
		git -C w/repo.git fsck --strict --no-dangling >fsck 2>&1 || fail "$name, crash at call $n: fsck: $(cat fsck)"
		"$STRATA" -C w verify --all >v 2>&1 || fail "$name, crash at call $n: verify: $(cat v)"
		if ! "$@" >/dev/null 2>err; then
			grep -q "$again" err || fail "$name, crash at call $n: the rerun failed: $(cat err)"
		fi
		[ "$(whole w)" = "$new" ] || fail "$name, crash at call $n: the rerun did not reach the new state"
		n=$((n + step)) runs=$((runs + 1))
	done
	[ "$mid" -gt 0 ] || fail "$name: no crash left a journal to settle: the test did not reach the ref moves"
	ok "$name: killed at $runs of its $k file operations ($mid mid-change, settled from the journal): whole old or new state, and the rerun completes"
}
# every call of the parcel import; every third of the others (STRATA_CRASH_STRIDE=1, as
# make check-crash-long sets it, for all of them; the sanitizer build in
# contrib/run.sh samples more sparsely)
stride=${STRATA_CRASH_STRIDE:-3}
crash_each "parcel import" "${STRATA_CRASH_STRIDE_PARCEL:-1}" base "already imported" "$STRATA" -C w import --keep "$T/p1.parcel"
rm -rf cnv && cp -r cn cnv && "$STRATA" -C cnv import residents "$T/v2.csv" >/dev/null
crash_each "view build" "$stride" cnv "is up to date" "$STRATA" -C w view build
sed 's/^version: 1$/version: 2/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v2.yaml
grep -q "^version: 2$" v2.yaml || fail "the example policy has no 'version: 1' line to raise"
crash_each "policy commit" "$stride" cn "is already committed" "$STRATA" -C w policy commit "$T/v2.yaml"
