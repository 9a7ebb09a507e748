#!/bin/sh
# With fsync on (as in production), strace shows every object file of a
# dataset import and of a parcel import fsynced before the ref that names
# them is renamed into place, and the ref's own lock file fsynced first.
# (LeakSanitizer cannot run under ptrace: leaks are checked by the other tests.)
. "$TOP_SRCDIR/tests/e2e/lib.sh"
command -v strace >/dev/null || fail "strace is needed (contrib/install-deps.sh installs it)"
strace -o /dev/null true 2>/dev/null || skip "strace cannot trace here (no ptrace in this container)"
two_nodes
"$STRATA" -C cn export --to st-wangjiang -o p.parcel >/dev/null

# order TRACE NODE: replays the trace.  A file's data is durable once it
# was fsynced (under any name it had: links and renames carry that along);
# a name placed in a directory is durable once the directory was fsynced.
# Every object placed under objects/ must be durable data; every ref moved
# (its .lock linked or renamed onto it) must be durable data, and at that
# moment no object placement may still wait for its directory's fsync.
# With JOURNAL=1 (a parcel import), the journal must be durable, its data
# and its name in the node directory, before any received ref moves.
order() {
	awk -v node="$2" -v journal="${3:-0}" '
		function rel(p,   i) {
			gsub(/\/\/+/, "/", p)
			if ((i = index(p, "/" node "/")) > 0) p = substr(p, i + length(node) + 2)
			else if (index(p, node "/") == 1) p = substr(p, length(node) + 2)
			return p
		}
		function dir(p) { sub(/\/[^\/]*$/, "", p); return p }
		/ (fsync|fdatasync)\(/ {
			match($0, /<[^>]*>/); p = rel(substr($0, RSTART + 1, RLENGTH - 2))
			synced[p] = 1; delete pending[p]
			if (p ~ ("/" node "$")) jdir = 0	# the node directory itself
			next
		}
		/ (rename|link)(at2?)?\(/ {
			n = split($0, q, "\""); src = rel(q[2]); dst = rel(q[4])
			if (index(dst, "repo.git/objects/") == 1) {
				objs++
				if (!synced[src]) { print "line " NR ": " dst " placed before its data was fsynced"; bad = 1 }
				pending[dir(dst)] = NR
			}
			if (dst == "journal") {
				if (!synced[src]) { print "line " NR ": the journal placed before its data was fsynced"; bad = 1 }
				jplaced = NR; jdir = 1
			}
			if (journal && index(dst, "repo.git/refs/strata/peers/") == 1 && src == dst ".lock") {
				jrefs++
				if (!jplaced || jdir) { print "line " NR ": " dst " moved before the journal was durable"; bad = 1 }
			}
			if (index(dst, "repo.git/refs/") == 1 && src == dst ".lock") {
				refs++
				if (!synced[src]) { print "line " NR ": " dst " moved before its lock was fsynced"; bad = 1 }
				for (d in pending) { print "line " NR ": " dst " moved while " d " was not fsynced (placed line " pending[d] ")"; bad = 1 }
			}
			if (synced[src]) synced[dst] = 1
		}
		END {
			if (!objs || !refs) { print "no object placed or no ref moved"; exit 1 }
			if (journal && !jrefs) { print "no received ref moved"; exit 1 }
			if (bad) exit 1
			print objs " objects placed and " refs " refs moved, each after its fsyncs" \
				(journal ? ", the " jrefs " received after the journal" : "")
		}' "$1"
}

# a fresh dataset, so the import surely writes objects
head -100 "$TOP_SRCDIR/seeds/residents.csv" >r100.csv
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" STRATA_TEST_FSYNC=1 strace -f -y -qq -o trace1 -e trace=fsync,fdatasync,rename,renameat,renameat2,link,linkat \
	"$STRATA" -C cn import small r100.csv --key id_number >/dev/null
order trace1 cn >out || fail "dataset import: $(cat out)"
ok "dataset import: objects fsynced before the ref moves ($(cat out))"

ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" STRATA_TEST_FSYNC=1 strace -f -y -qq -o trace2 -e trace=fsync,fdatasync,rename,renameat,renameat2,link,linkat \
	"$STRATA" -C st import p.parcel >/dev/null
order trace2 st 1 >out || fail "parcel import: $(cat out)"
ok "parcel import: the pack and the journal fsynced before the received refs move ($(cat out))"
