# lib.sh - sourced by every end-to-end test.
#
# Gives each test a temporary directory (removed on exit), the strata binary
# as $STRATA, and helpers that check errors the way a user sees them: the
# exit status, the message, and that the node did not change.
set -eu

: "${STRATA:?STRATA must name the strata binary (make check sets it)}"
: "${TOP_SRCDIR:?TOP_SRCDIR must name the source tree}"
T=$(mktemp -d "${TMPDIR:-/tmp}/strata-e2e.XXXXXX")
# daemons started by serve_node are stopped with the test
trap 'set +e; for p in $(cat "$T/daemons" 2>/dev/null); do pkill -9 -P "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done; [ -n "${STRATA_KEEP_TEST_DIR:-}" ] && echo "kept $T" >&2 || rm -rf "$T"' EXIT
cd "$T"
TESTS_RUN=0

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { TESTS_RUN=$((TESTS_RUN + 1)); echo "ok $TESTS_RUN - $*"; }

# expect_fail STATUS SUBSTRING CMD...: CMD must exit with STATUS and say SUBSTRING on stderr
expect_fail() {
	want_status=$1 want_msg=$2
	shift 2
	set +e
	"$@" >"$T/out" 2>"$T/err"
	status=$?
	set -e
	[ "$status" -eq "$want_status" ] || fail "'$*' exited $status, wanted $want_status; stderr: $(cat "$T/err")"
	grep -qF -- "$want_msg" "$T/err" || fail "'$*' did not say '$want_msg'; stderr: $(cat "$T/err")"
}

# node_state DIR: refs, and every object file with its checksum
node_state() {
	git -C "$1/repo.git" for-each-ref --format='%(refname) %(objectname)'
	(cd "$1/repo.git/objects" && find . -type f ! -name 'tmp_*' | LC_ALL=C sort | xargs -r sha1sum)
	[ ! -d "$1/tmp" ] || find "$1/tmp" -mindepth 1 | sed 's/^/leftover: /'
	[ ! -f "$1/journal" ] || echo "journal: $(cat "$1/journal")"
	[ ! -d "$1/links" ] || (cd "$1/links" && find . -type f | LC_ALL=C sort | xargs -r sha1sum)
}

# two_nodes: community cn (residents, grid events, policy, peer st) and
# street st (peer cn, receive only)
two_nodes() {
	"$STRATA" init cn --name cn-wangjiang-01 --tier community >/dev/null
	"$STRATA" init st --name st-wangjiang --tier street >/dev/null
	"$STRATA" -C cn import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >/dev/null
	"$STRATA" -C cn import grid-events "$TOP_SRCDIR/seeds/grid-events.csv" --key event_id >/dev/null
	"$STRATA" -C cn policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
	"$STRATA" -C cn peer add st-wangjiang --key st/keys/node.pub --tier street \
		--policy community-to-street --direction push >/dev/null
	"$STRATA" -C st peer add cn-wangjiang-01 --key cn/keys/node.pub --tier community --direction pull >/dev/null
}

# git with the node's allowed signers
# records REPO REV: every record line of a dataset or view commit, in key-hash order
records() {
	git -C "$1" ls-tree -r "$2:records" | awk '{print $3}' | git -C "$1" cat-file --batch='' | grep -v '^$'
}

sgit() {
	n=$1
	shift
	git -C "$n/repo.git" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$n/keys/allowed_signers" "$@"
}

# to_province: after two_nodes, district dx and province pv join, and the
# community's views travel up by parcels: cn -> st -> dx -> pv
to_province() {
	"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
	"$STRATA" init pv --name pv-zhejiang --tier province >/dev/null
	"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
	"$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district >/dev/null
	"$STRATA" -C dx peer add st-wangjiang --key st/keys/node.pub --tier street --direction pull >/dev/null
	"$STRATA" -C dx policy commit "$TOP_SRCDIR/policies/district-to-province.yaml" >/dev/null
	"$STRATA" -C dx peer add pv-zhejiang --key pv/keys/node.pub --tier province --policy district-to-province >/dev/null
	"$STRATA" -C pv peer add dx-gongshu --key dx/keys/node.pub --tier district --direction pull >/dev/null
	"$STRATA" -C cn export --to st-wangjiang -o up-cn.parcel >/dev/null
	"$STRATA" -C st import up-cn.parcel >/dev/null
	"$STRATA" -C st export --to dx-gongshu -o up-st.parcel >/dev/null
	"$STRATA" -C dx import up-st.parcel >/dev/null
	"$STRATA" -C dx export --to pv-zhejiang -o up-dx.parcel >/dev/null
	"$STRATA" -C pv import up-dx.parcel >/dev/null
}

# pv_ref DATASET: after to_province, the province's one received view of
# DATASET.  The district's policy hides the path it came by, so its name
# holds a token (dx-gongshu/v-.../residents), not the street and community.
pv_ref() {
	git -C pv/repo.git for-each-ref --format='%(refname)' "refs/strata/peers/dx-gongshu/v-*/$1"
}

# serve_node NODE [OPTS...]: starts 'strata -C NODE serve' on a free port of
# 127.0.0.1, logging to NODE.log; sets SERVE_PID and SERVE_PORT.
serve_node() {
	_node=$1
	shift
	# the last daemon of this node, stopped: no sanitizer report in its log
	! grep -q "Sanitizer\|runtime error" "$T/$_node.log" 2>/dev/null || fail "daemon log: $(cat "$T/$_node.log")"
	: >"$T/$_node.log"
	"$STRATA" -C "$_node" serve --listen 127.0.0.1:0 "$@" 2>>"$T/$_node.log" &
	SERVE_PID=$!
	echo "$SERVE_PID" >>"$T/daemons"
	wait_log "$T/$_node.log" "serving on" || fail "strata serve for $_node did not start: $(cat "$T/$_node.log")"
	SERVE_PORT=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$T/$_node.log" | tail -1)
}

# start_tsa DIR NAME: a timestamp authority (tests/e2e/tsa.py: openssl ts behind HTTP) on
# 127.0.0.1, stopped with the test; its URL in $TSA_URL, pid in $TSA_PID, root in DIR/ca.pem
start_tsa() {
	python3 "$TOP_SRCDIR/tests/e2e/tsa.py" "$1" "$2" >"$T/$2.tsa.log" 2>&1 &
	TSA_PID=$!
	echo "$TSA_PID" >>"$T/daemons"
	wait_log "$T/$2.tsa.log" "serving on" || fail "the timestamp authority $2 did not start: $(cat "$T/$2.tsa.log")"
	TSA_URL="http://127.0.0.1:$(cat "$1/port")/"
}

# wait_log FILE TEXT: blocks until FILE (a daemon's log) says TEXT; fails after 60 s
wait_log() {
	"${WAIT_LOG:?WAIT_LOG must name tests/tools/wait-log (make check sets it)}" "$1" "$2" 60
}

# hold_lock FILE: takes flock(1) on FILE in the background and returns once
# it holds it (a fifo says so: no sleeping); release_lock lets it go
hold_lock() {
	rm -f "$T/held" "$T/release"
	mkfifo "$T/held" "$T/release"
	( flock -x 9; echo held >"$T/held"; read -r _ <"$T/release" ) 9>"$1" &
	LOCKER=$!
	read -r _ <"$T/held"
}
release_lock() {
	echo go >"$T/release"
	wait "$LOCKER"
}

# many_processes: a script that runs strata thousands of times (kill and fault loops, the
# simulation) skips LeakSanitizer's scan at each exit in the sanitizer build (it doubled
# every process's cost); leaks are checked by the Check suites and the other e2e scripts
many_processes() {
	case "${ASAN_OPTIONS:-}" in
	*detect_leaks=1*) ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"; export ASAN_OPTIONS ;;
	esac
}

# test_clock: every strata process of the test (daemons too) reads one clock, the file
# $T/clock (STRATA_TEST_NOW), which tick N moves on N seconds: no test sleeps for time to pass
test_clock() {
	printf '%s\n' "$(date +%s)" >"$T/clock"
	STRATA_TEST_NOW=$T/clock
	export STRATA_TEST_NOW
}
tick() {	# in place, one write: a daemon's sandboxed network process reads it through a descriptor it holds
	printf '%s\n' $(($(cat "$T/clock") + ${1:-1})) >"$T/clock"
}

# not_catalogue NODE: the text of every object NODE holds, but its catalogue and requests
# (process/ in its audit log's trees, the audit events of the process, and the process's
# trailers in the events of the exchanges that carried them): a published directory
# names its owners, the data does not
not_catalogue() {
	git -C "$1/repo.git" log --format='%H %T %(trailers:key=Strata-Event,valueonly,separator=)' refs/strata/audit |
		while read -r c t ev; do
			[ -n "$t" ] || continue
			case $ev in process-*|request-*|catalog-*|correction-*) echo "$c" ;; esac
			git -C "$1/repo.git" rev-parse -q --verify "$t:process" 2>/dev/null || true
			git -C "$1/repo.git" ls-tree -r -t "$t" process | awk '{print $3}'
		done | sort -u >"$T/$1.process-objects"
	git -C "$1/repo.git" cat-file --batch-all-objects --batch-check='%(objectname)' | sort |
		comm -23 - "$T/$1.process-objects" | git -C "$1/repo.git" cat-file --batch |
		grep -a -v '^Strata-\(Catalog\|Request\|Answer\|Correction\|Fix\): '
}
# set_url NODE PEER PORT: points NODE's peer entry at a daemon
set_url() {
	git config --file "$1/node.conf" "peer.$2.url" "https://127.0.0.1:$3"
}

# fix_rid: a CSV on stdin with its first field's resident ID numbers given
# their GB 11643 check digit (import refuses a wrong one): for rows a test
# makes by changing digits of the seed's
fix_rid() {
	awk -F, -v OFS=, 'BEGIN { split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " "); c = "10X98765432" }
	length($1) == 18 && substr($1, 1, 17) ~ /^[0-9]+$/ { s = 0; for (i = 1; i <= 17; i++) s += substr($1, i, 1) * w[i]; $1 = substr($1, 1, 17) substr(c, s % 11 + 1, 1) }
	{ print }'
}
