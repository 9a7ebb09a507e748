#!/bin/sh
# tests/valgrind.sh - the parcel and audit paths under valgrind memcheck:
# no invalid reads or writes, no definite leaks.  make check-valgrind runs
# it (slow: not part of make check).
. "$TOP_SRCDIR/tests/e2e/lib.sh"
command -v valgrind >/dev/null || skip "valgrind is not installed"
two_nodes
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
run() { # NAME EXPECTED-STATUS CMD...
	name=$1 want=$2
	shift 2
	set +e
	$VG "$@" >/dev/null 2>"$T/vg"
	status=$?
	set -e
	[ "$status" = "$want" ] || fail "$name under valgrind: exit $status: $(head -40 "$T/vg")"
	ok "$name: clean under valgrind"
}
run "parcel export" 0 "$STRATA" -C cn export --to st-wangjiang -o p.parcel
run "parcel import" 0 "$STRATA" -C st import p.parcel
run "parcel replay refused" 1 "$STRATA" -C st import p.parcel
key=$(git -C st/repo.git show refs/strata/peers/cn-wangjiang-01/residents:records/0.jsonl | head -1 |
	sed 's/.*"id_number":"\([^"]*\)".*/\1/')
run "trace" 0 "$STRATA" -C cn trace residents "$key"
run "audit view" 0 "$STRATA" -C cn audit view refs/strata/views/st-wangjiang/residents
run "verify --all" 0 "$STRATA" -C st verify --all
run "history" 0 "$STRATA" -C st history cn-wangjiang-01/residents "$key"
