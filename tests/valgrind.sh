#!/bin/sh
# tests/valgrind.sh - the import, view, policy, parcel, audit and network
# paths under valgrind memcheck (children too: the network process):
# no invalid reads or writes, no definite leaks.  make check-valgrind runs
# it (slow: not part of make check).
. "$TOP_SRCDIR/tests/e2e/lib.sh"
command -v valgrind >/dev/null || skip "valgrind is not installed"
two_nodes
VG="valgrind -q --trace-children=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
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
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 50 == 0 {$5 = "19900000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >v2.csv
run "dataset import" 0 "$STRATA" -C cn import residents v2.csv
run "bad CSV refused" 1 "$STRATA" -C cn import residents "$TOP_SRCDIR/tests/e2e/lib.sh"
run "view build" 0 "$STRATA" -C cn view build
run "policy check" 0 "$STRATA" policy check "$TOP_SRCDIR/policies/community-to-street.yaml"
run "policy preview" 0 "$STRATA" -C cn policy preview "$TOP_SRCDIR/policies/community-to-street.yaml" --dataset residents -n 5
run "parcel export" 0 "$STRATA" -C cn export --to st-wangjiang -o p.parcel
run "parcel import" 0 "$STRATA" -C st import p.parcel
run "parcel replay refused" 1 "$STRATA" -C st import p.parcel
key=$(records st/repo.git refs/strata/peers/cn-wangjiang-01/residents | head -1 |
	sed 's/.*"id_number":"\([^"]*\)".*/\1/')
run "trace" 0 "$STRATA" -C cn trace residents "$key"
run "audit view" 0 "$STRATA" -C cn audit view refs/strata/views/st-wangjiang/residents
run "verify --all" 0 "$STRATA" -C st verify --all
run "history" 0 "$STRATA" -C st history cn-wangjiang-01/residents "$key"

# the network: a daemon and a pull, both under valgrind; the daemon is stopped with SIGTERM
"$STRATA" -C cn import residents "$TOP_SRCDIR/seeds/residents.csv" >/dev/null
: >"$T/cn.log"
$VG --log-file="$T/vg-serve.%p" "$STRATA" -C cn serve --listen 127.0.0.1:0 2>>"$T/cn.log" &
vpid=$!
echo "$vpid" >>"$T/daemons"
wait_log "$T/cn.log" "serving on" || fail "strata serve under valgrind did not start: $(cat "$T/cn.log")"
set_url st cn-wangjiang-01 "$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$T/cn.log")"
run "pull" 0 "$STRATA" -C st pull cn-wangjiang-01 --timeout 120
kill -TERM "$vpid"
set +e
wait "$vpid"
status=$?
set -e
[ "$status" = 0 ] || fail "serve under valgrind: exit $status: $(cat "$T"/vg-serve.* | head -40)"
# valgrind's own notes (--PID--, e.g. it does not know Landlock's syscalls) are not errors (==PID==)
! grep -q "^==" "$T"/vg-serve.* || fail "serve under valgrind: $(cat "$T"/vg-serve.* | head -40)"
ok "serve (node and network process): clean under valgrind"
