#!/bin/sh
# contrib/run.sh demo | test | test-loaded | build
#
# The README's two commands.  Installs what is missing, builds out of tree
# (build/, and build-asan/ for the sanitizer run), then runs the demo or the
# whole test suite.  The test run ends with one line: "N passed, N failed".
# test-loaded runs the whole suite twice in a row beside a CPU hog it starts
# itself (busy processes, one fewer than the cores), each run's time printed:
# the suite must not depend on the machine's speed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
what=${1:-}
jobs=$(nproc 2>/dev/null || echo 2)

# the test run also drives the web console in a browser (t0026): Debian's Chromium, its driver, a CJK font
if [ "$what" = test-loaded ]; then
	hogs=""
	trap 'for h in $hogs; do kill "$h" 2>/dev/null; done' EXIT INT TERM
	# busy processes at the suite's own priority: one fewer than the cores, at least one
	n=$((jobs > 1 ? jobs - 1 : 1))
	for i in $(seq 1 "$n"); do
		sh -c 'while :; do :; done' &
		hogs="$hogs $!"
	done
	echo "a CPU hog: $n busy process(es) beside the suite's $jobs jobs on $jobs cores (pids$hogs)"
	status=0
	for run in 1 2; do
		start=$(date +%s)
		sh "$0" test >"$top/test-loaded.$run.out" 2>&1 || status=1
		echo "run $run beside the hog: $(tail -1 "$top/test-loaded.$run.out") in $(($(date +%s) - start)) s"
	done
	exit $status
fi
if [ "$what" = test ]; then
	"$top/contrib/install-deps.sh" chromium chromium-driver fonts-wqy-zenhei
else
	"$top/contrib/install-deps.sh"
fi
[ -x configure ] || autoreconf -fi >/dev/null
# an in-tree configure blocks the out-of-tree builds below
[ ! -f config.status ] || make -s distclean >/dev/null 2>&1 || rm -f config.status

build() { # DIR [configure args]
	dir=$1
	shift
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ]; then
		(cd "$dir" && "$top/configure" -q "$@")
	fi
	make -s -C "$dir" -j"$jobs" >/dev/null
}

# sums Check and e2e results of one build's test logs into "passed failed"
tally() {
	dir=$1
	passed=0 failed=0
	for log in "$dir"/tests/unit/check_*.log; do
		[ -f "$log" ] || continue
		line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -1)
		if [ -n "$line" ]; then
			n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
			f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
			e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
			passed=$((passed + n - f - e))
			failed=$((failed + f + e))
		else
			failed=$((failed + 1))	# the suite did not even report
		fi
	done
	for trs in "$dir"/tests/*.trs "$dir"/tests/i18n/*.trs "$dir"/tests/e2e/*.trs; do
		[ -f "$trs" ] || continue
		log=${trs%.trs}.log
		oks=$(grep -c '^ok [0-9]' "$log" || true)
		passed=$((passed + oks))
		grep -q ':test-result: FAIL\|:test-result: ERROR' "$trs" && failed=$((failed + 1))
	done
	echo "$passed $failed"
}

case "$what" in
build)
	build build
	;;
demo)
	build build
	STRATA="$top/build/strata" sh "$top/contrib/demo.sh"
	;;
test)
	status=0
	build build
	make -C build -j"$jobs" check >build/check.out 2>&1 || status=1
	grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):' build/check.out || true
	set -- $(tally build)
	echo "normal build: $1 passed, $2 failed"
	p=$1 f=$2

	build build-asan --enable-sanitizers
	# the normal build fails and kills t0012's operations and t0027's erase at every call and
	# runs the simulation for seeds 1 and 2; this one, there for memory errors rather than
	# crash states, samples every 6th to 12th call, runs one seed, and pushes smaller blobs
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		SIM_SEEDS=3 SIM_ROUNDS=4 STRATA_CRASH_STRIDE_PARCEL=6 STRATA_CRASH_STRIDE=5 STRATA_CRASH_STRIDE_ERASE=12 \
		STRATA_FAULT_STRIDE=6 STRATA_CRASH_RUNS=3 STRATA_LIMITS_BLOB_MIB=8 make -C build-asan -j"$jobs" check >build-asan/check.out 2>&1 || status=1
	grep -E '^(FAIL|ERROR):' build-asan/check.out || true
	set -- $(tally build-asan)
	echo "ASan+UBSan build: $1 passed, $2 failed"
	p=$((p + $1)) f=$((f + $2))

	if [ "$status" -ne 0 ] || [ "$f" -ne 0 ]; then
		for log in build/tests/*/*.log build-asan/tests/*/*.log; do
			[ -f "$log" ] || continue
			grep -q -E '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null || continue
			echo "---- $log"
			tail -40 "$log"
		done
		[ "$f" -gt 0 ] || f=1
	fi
	echo "$p passed, $f failed"
	[ "$f" -eq 0 ]
	;;
*)
	echo "usage: contrib/run.sh demo|test|test-loaded|build" >&2
	exit 2
	;;
esac
