#!/bin/sh
# A federation that lives: a seeded, deterministic simulation of many
# rounds of what a year brings to two communities, a street, a district and
# a province (real nodes, real parcels, real HTTPS daemons on 127.0.0.1).
#
# Each round: every community edits about 1% of its rows (phones, names,
# consent flips that move rows across the row filter, income bands), adds
# and deletes some, and imports the result as CSV or JSON Lines, sometimes
# killed with SIGKILL at a random moment first; policies tighten and loosen
# with version bumps (each through the review gate: `policy diff --exit-code`
# flags every loosening and no tightening); nodes rotate their keys (the
# peers follow from the next parcel, receipt or connection); residents ask
# to be forgotten (erase, and the cut travels down); a tightened community
# policy may keep versions for only a day or three, and some rounds the
# one clock (STRATA_TEST_NOW, a file every node and daemon reads) says days have passed (retention: the history
# expires at the builder and the cut travels down); every link goes by
# HTTPS or by parcel file, switching
# between them, with parcels lost, duplicated, delivered late, receipts
# carried back or not, peers offline for rounds, and daemons killed in the
# middle of a transfer; the province files requests for data with the
# communities, which (and the relays, for their legs) approve what their
# policy passes on, refuse the rest, or let them go overdue.  After every
# round, on every node:
#   - git fsck --strict is clean, strata verify --all passes, strata doctor
#     finds no problem, and stock git verifies every tip with the node's
#     own keys/allowed_signers (peers' keys, rotated ones with valid-before);
#   - every received view is what its builder's `audit view` recomputes;
#   - every received residents view holds exactly the records and fields
#     its chain of policies allows for the community commit it came from,
#     computed here from the communities' own files and the policy text;
#   - no canary (a value in a field no policy keeps, the raw part of an
#     address, raw ids) is in any object of the street, district or province,
#     and no community's or street's name in the province's objects or refs
#     (its district's policy drops community: source_names);
#   - the province's `sql` union counts what each received view holds, and
#     `datasets` says the same;
#   - every version the street holds of one consenting person of each
#     community (`history`) is among that community's `disclosures` to the
#     street, as sent, under the key the street holds it by;
#   - no object of a community holds an erased resident, nor any object of the
#     street once the street has confirmed that erasure;
#   - a community's view for the street, built on the day's clock, holds no
#     version older than its retention (and a recipient holding a version its
#     builder no longer has has a cut pending for it, as for an erasure);
#   - the province and each owner agree on every answer to a request, each
#     answer is in both audit logs, and once settled every answer has come;
#   - every command ran under a memory cap (ulimit -v) and a time limit.
# The last rounds settle (all links up, no faults) and the province must
# then hold every community's latest data.
#
# SIM_SEEDS="1 2", SIM_ROUNDS=6, SIM_ROWS=200 by default (make check);
# make check-soak SEEDS=N ROUNDS=M runs seeds 1..N.  A failure names the
# seed and the round; SIM_SEEDS=that-seed replays it exactly.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
many_processes
test_clock	# set once: a seed's nodes are made on it too, so it never goes back

SEEDS=${SIM_SEEDS:-"1 2"}
ROUNDS=${SIM_ROUNDS:-6}
ROWS=${SIM_ROWS:-200}
MEM_KB=${SIM_MEM_KB:-1048576}	# 1 GiB of address space per command
CMD_TIMEOUT=${SIM_TIMEOUT:-120}
P=$TOP_SRCDIR/policies
# sanitizer builds reserve terabytes of address space: no ulimit -v there
case "${ASAN_OPTIONS:-}" in *detect_leaks*) MEM_KB=unlimited ;; esac

freshness_checked=0 evidence_checked=0 evidence_hops=0 evidence_gone=0 corrections_filed=0 corrections_answered=0 officer_events_checked=0 role_refusals=0 officer_changes=0 requests_filed=0 requests_approved=0 requests_refused=0 requests_checked=0 views_total=0 expiries=0 retention_checked=0 disclosures_checked=0 rotations=0 reloads=0 erasures=0 erased_checked=0 ledger_checked=0 reimports_refused=0 reimports_allowed=0 withdrawals_checked=0 awaiting_cut=0 ops=0 kills=0 restarts=0 lost=0 dups=0 late=0 refusals=0 policy_changes=0 rounds_run=0

# --- randomness: one LCG, state in $rng, result in $R (no subshells) ---
rnd() { # N -> R in 0..N-1
	rng=$(((rng * 1103515245 + 12345) % 2147483648))
	R=$(((rng / 65536) % $1))
}
chance() { rnd 100; [ "$R" -lt "$1" ]; }

# S ARGS...: strata under the memory cap and the time limit
S() {
	ops=$((ops + 1))
	who_acts "$@"
	(ulimit -v "$MEM_KB" 2>/dev/null; [ -z "$WHO" ] || export STRATA_OFFICER="$WHO" STRATA_OFFICER_KEY="$WHO_KEY" STRATA_PASSPHRASE="$WHO_PASS"
	 exec timeout -s KILL "$CMD_TIMEOUT" "$STRATA" "$@")
}
# S_BG ARGS...: strata in the background as the process $! itself (so kill -9 reaches it)
S_BG() {
	ops=$((ops + 1))
	who_acts "$@"
	(ulimit -v "$MEM_KB" 2>/dev/null; [ -z "$WHO" ] || export STRATA_OFFICER="$WHO" STRATA_OFFICER_KEY="$WHO_KEY" STRATA_PASSPHRASE="$WHO_PASS"
	 exec "$STRATA" "$@") &
}

# --- officers: cn-a, st and pv name theirs (an operator, two officers, an auditor); cn-b and dx
# keep working without, as nodes that never named any do: a mixed federation ---
OFFICER_NODES="cn-a st pv"
# role_for ARGS...: the role the command needs (R), "" for a read
role_for() {
	R=
	[ "${1:-}" = -C ] || return 0
	shift 2
	case ${1:-} in
	import) case ${2:-} in residents | grid-events) R=officer ;; *) R=operator ;; esac ;;
	export) case " $* " in *" --to "*) R=operator ;; esac ;;
	erase | request | answer | correct) R=officer ;;
	catalog) [ "${2:-}" != describe ] || R=officer ;;
	corrections) case ${2:-} in accept | reject) R=officer ;; esac ;;
	policy) case ${2:-} in commit | secret) R=officer ;; esac ;;
	datasets) [ "${2:-}" != label ] || R=officer ;;
	peer) case ${2:-} in add | set | remove) R=operator ;; esac ;;
	key) case ${2:-} in rotate | revoke) R=operator ;; esac ;;
	view | serve | push | pull | sync) R=operator ;;
	officer) case ${2:-} in add | remove) R=operator ;; esac ;;
	evidence) [ "${2:-}" != export ] || R=auditor ;;
	esac
}
# who_acts ARGS...: WHO (and WHO_KEY, WHO_PASS) for a change at a node with officers, each
# time another of those with the role (the count of commands picks: the seed's draws stay as they were)
who_acts() {
	WHO= WHO_KEY= WHO_PASS=
	[ "${1:-}" = -C ] || return 0
	eval "has=\${staffed_$(echo "$2" | tr - _):-}"
	[ -n "$has" ] || return 0
	role_for "$@"
	[ -n "$R" ] || return 0
	set -- $(eval "echo \$${R}s_$(echo "$2" | tr - _)")
	shift $((ops % $#))
	WHO=$1 WHO_KEY=$T/s$seed/keys/$1.key WHO_PASS=pass-$1
}
# name_officers NODE: its operator names the rest; each signs with a passphrase-protected key
name_officers() {
	v=$(echo "$1" | tr - _)
	mkdir -p "$T/s$seed/keys"
	STRATA_NEW_PASSPHRASE=pass-$1-op1 "$STRATA" -C "$1" officer add "$1-op1" --role operator --new-key "$T/s$seed/keys/$1-op1.key" >/dev/null
	for o in off1:officer off2:officer aud1:auditor; do
		STRATA_NEW_PASSPHRASE=pass-$1-${o%%:*} STRATA_OFFICER_KEY=$T/s$seed/keys/$1-op1.key STRATA_PASSPHRASE=pass-$1-op1 \
			"$STRATA" -C "$1" --as "$1-op1" officer add "$1-${o%%:*}" --role "${o#*:}" --new-key "$T/s$seed/keys/$1-${o%%:*}.key" >/dev/null
	done
	eval "staffed_$v=1 operators_$v=$1-op1 officers_$v='$1-off1 $1-off2' auditors_$v=$1-aud1"
}
where() { echo "seed $seed round $round"; }
die() { fail "$(where): $*"; }

# --- the communities' own files ---
gen_rows() { # PREFIX COMMUNITY N SEED -> CSV on stdout
	awk -v p="$1" -v c="$2" -v n="$3" -v s="$4" 'BEGIN {
		srand(s)
		print "id_number,name,gender,birth_date,phone,address,community,street,grid_code,household_id,income_band,consent,note"
		for (i = 1; i <= n; i++) row(i)
	}
	function row(i) {
		printf "RAWID%s%06d,N%sCANARYNM%d,%s,%d-%02d-%02d,138%08d,ZJ-HZ-WJ-%dCANARYRD%d,%s,st-1,g-%s-%03d,HHOLD%s%04d,%s,%s,CANARYNOTE%d\n",
			p, i, p, i, (rand() < 0.5 ? "F" : "M"), 1930 + int(rand() * 80), 1 + int(rand() * 12), 1 + int(rand() * 28),
			int(rand() * 100000000), int(rand() * 10), i, c, p, int(rand() * 40), p, int(i / 3),
			(rand() < 0.3 ? "0-2999" : rand() < 0.5 ? "3000-4999" : "5000-7999"),
			(rand() < 0.8 ? "true" : "false"), i
	}'
}

# mutate FILE PREFIX SEED: ~1% of rows edited, some added and deleted
mutate() {
	awk -F, -v OFS=, -v p="$2" -v s="$3" 'BEGIN { srand(s); next_id = 0 }
	NR == 1 { print; next }
	{
		id = substr($1, 7) + 0
		if (id > next_id) next_id = id
		if (rand() < 0.01) next	# deleted
		if (rand() < 0.012) {
			k = int(rand() * 4)
			if (k == 0) $5 = sprintf("139%08d", int(rand() * 100000000))	# dropped above the street
			else if (k == 1) $12 = ($12 == "true" ? "false" : "true")	# leaves or re-enters the filter
			else if (k == 2) $11 = ($11 == "0-2999" ? "3000-4999" : "0-2999")
			else $2 = sprintf("M%sCANARYNM%d", p, int(rand() * 1000))	# masked to one letter
		}
		print
		last = $0
	}
	END {
		n = 1 + int(rand() * 3)
		for (i = 1; i <= n; i++) {
			next_id++
			printf "RAWID%s%06d,N%sCANARYNM%d,F,1990-01-0%d,13800000000,ZJ-HZ-WJ-1CANARYRD%d,%s,st-1,g-%s-001,HHOLD%s%04d,3000-4999,true,CANARYNOTE%d\n",
				p, next_id, p, next_id, 1 + i, next_id, comm, p, p, next_id, next_id
		}
	}' comm="$(sed -n '2p' "$1" | cut -d, -f7)" "$1" >"$1.new" && mv "$1.new" "$1"
}

to_jsonl() { # CSV -> JSON Lines (the generated values need no escaping)
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[i] = $i; n = NF; next }
	{ s = "{"; for (i = 1; i <= n; i++) s = s (i > 1 ? "," : "") "\"" h[i] "\":\"" $i "\""; print s "}" }' "$1"
}

# --- policies: the repository's examples, tightened and loosened with a version bump ---
policy_text() { # BASE VERSION TIGHT [RETENTION] -> YAML
	# tight: community-to-street drops phone (and keeps versions RETENTION, if given); street-to-district drops income_band
	sed -e "s/^version: .*/version: $2/" "$P/$1.yaml" | if [ "$3" = 1 ]; then
		case $1 in
		community-to-street)
			if [ -n "${4:-}" ]; then
				grep -v '^      phone:' | sed "s/^  residents:\$/  residents:\n    retention: $4/"
			else
				grep -v '^      phone:'
			fi ;;
		street-to-district) awk '/^  grid-events:/ { g = 1 } !(g == 0 && /^      income_band:/)' ;;
		*) cat ;;
		esac
	else cat; fi
}
change_policy() { # NODE VAR BASE
	eval "v=\$ver_$2 t=\$tight_$2"
	v=$((v + 1))
	t=$((1 - t))
	keep=
	if [ "$t" = 1 ] && chance 80; then
		rnd 3
		keep=$((R + 1))d
	fi
	policy_text "$3" "$v" "$t" $keep >"$1.policy.yaml"
	# the officer's review gate: a tightening passes, a loosening is flagged, a commit without --confirm refused
	if [ "$t" = 1 ]; then
		S -C "$1" policy diff "$3" "$1.policy.yaml" --exit-code >diff.out 2>&1 || die "a tightening at $1 was flagged as exposing more: $(cat diff.out)"
	else
		S -C "$1" policy diff "$3" "$1.policy.yaml" --exit-code >diff.out 2>&1 && die "a loosening at $1 passed the review gate: $(cat diff.out)"
		S -C "$1" policy commit "$1.policy.yaml" </dev/null >/dev/null 2>err && die "a loosening at $1 committed without --confirm"
	fi
	S -C "$1" policy commit "$1.policy.yaml" --confirm >/dev/null 2>err || die "policy commit at $1: $(cat err)"
	eval "ver_$2=$v tight_$2=$t"
	policy_changes=$((policy_changes + 1))
}

# --- the one clock every node reads (STRATA_TEST_NOW names its file, lib.sh's test_clock):
# a round comes a second, hours or days after the one before (retention: the history expires)
days_pass() {
	rnd 4
	case $R in 0 | 1) off=1 ;; 2) off=21600 ;; 3) off=432000 ;; esac
	tick "$off"
	now=$(cat "$T/clock")
}

# freshness NODE PEER: what status at NODE says of what PEER sent: stale, fresh, or none (nothing received yet)
freshness() {
	S -C "$1" status --json 2>/dev/null | python3 -c '
import json, sys
p = [x for x in json.load(sys.stdin)["peers"] if x["peer"] == sys.argv[1]][0]
print("stale" if p["stale_since"] else "fresh" if p["fresh_as_of"] else "none")' "$2"
}
# five days passed since anything could arrive: every link with a max age of 3d that had word is stale
freshness_after_days() { # SECONDS
	[ "$1" -ge $((4 * 86400)) ] || return 0
	for link in st:cn-b pv:dx; do
		f=$(freshness "${link%%:*}" "${link#*:}")
		[ "$f" != fresh ] || die "${link%%:*} says what ${link#*:} sent is fresh, five days after anything could come"
		[ "$f" != stale ] || freshness_checked=$((freshness_checked + 1))
	done
}
# a calm round delivered a parcel or an answered pull on each: no false alarm
freshness_calm() {
	for link in st:cn-b pv:dx; do
		f=$(freshness "${link%%:*}" "${link#*:}")
		[ "$f" = fresh ] || die "after a calm round ${link%%:*} says what ${link#*:} sent is $f"
		freshness_checked=$((freshness_checked + 1))
	done
}

# A community's view for the street, built on today's clock, holds no version older than its retention.
check_retention() { # COMMUNITY
	ref=refs/strata/views/st/residents
	git -C "$1/repo.git" rev-parse -q --verify "$ref" >/dev/null || return 0
	S -C "$1" view build --peer st >/dev/null 2>err || die "view build at $1: $(cat err)"
	keep=$(trailer "$1" "$ref" Strata-Retention)
	[ -n "$keep" ] || return 0
	# just cut, the history is the one new version; else none in it is older than the retention
	[ "$(git -C "$1/repo.git" rev-list --count "$ref")" -gt 1 ] || { retention_checked=$((retention_checked + 1)); return 0; }
	old=$(git -C "$1/repo.git" log --format=%ct "$ref" | awk -v now="$now" -v keep="$keep" 'now - $1 > keep { n++ } END { print n + 0 }')
	[ "$old" = 0 ] || die "$1's view for the street holds $old versions older than its retention ($keep s) after a build $off s on"
	retention_checked=$((retention_checked + 1))
}

# --- the daemons ---
start_daemon() { # NODE -> port in port_NODE; children's urls updated
	who_acts -C "$1" serve
	if [ -n "$WHO" ]; then
		export STRATA_OFFICER="$WHO" STRATA_OFFICER_KEY="$WHO_KEY" STRATA_PASSPHRASE="$WHO_PASS"
		serve_node "$1" --timeout 5
		unset STRATA_OFFICER STRATA_OFFICER_KEY STRATA_PASSPHRASE
	else
		serve_node "$1" --timeout 5
	fi
	eval "pid_$1=$SERVE_PID port_$1=$SERVE_PORT"
	case $1 in
	st) set_url cn-a st "$SERVE_PORT" ;;
	dx) set_url st dx "$SERVE_PORT"; set_url pv dx "$SERVE_PORT" ;;
	esac
}
stop_daemon() { eval "kill -9 \$pid_$1 2>/dev/null; wait \$pid_$1 2>/dev/null" || true; }

# --- moving views ---
# parcel FROM TO: export a parcel file and deliver it, with the faults a USB stick meets
parcel() {
	from=$1 to=$2
	f=$T/s$seed/$from-$to.$round.parcel
	if ! S -C "$from" export --to "$to" -o "$f" >/dev/null 2>err; then
		grep -q "no views for '$to'" err || die "export $from -> $to: $(cat err)"
		return 0	# nothing received yet to share onward
	fi
	# a parcel held back from an earlier round arrives now, after newer ones may have
	pend=$T/s$seed/pending-$from-$to
	if chance 12; then
		lost=$((lost + 1))
		rm -f "$f"
	elif chance 10 && [ ! -f "$pend" ]; then
		late=$((late + 1))
		mv "$f" "$f.late"	# on a carrier's stick: the sender's own file is not it
		echo "$f.late" >"$pend"
	else
		cp "$f" "$f.copy"	# a second carrier's copy
		deliver "$from" "$to" "$f"
		if chance 10; then
			dups=$((dups + 1))
			S -C "$to" import --no-receipt "$f.copy" >out 2>err || die "the same parcel twice at $to: $(cat err)"
			grep -q "already imported: nothing to do" out || die "duplicate at $to: $(cat out)"
		fi
	fi
	if [ -f "$pend" ] && chance 50; then
		old=$(cat "$pend")
		rm -f "$pend"
		before=$(node_state "$to")
		if S -C "$to" import --no-receipt "$old" >out 2>err; then
			:	# nothing newer had arrived: it is simply the next parcel
		else
			refusals=$((refusals + 1))
			grep -q "older than one already imported\|builds on commit" err || die "late parcel at $to: $(cat err)"
			[ "$(node_state "$to")" = "$before" ] || die "a refused late parcel changed $to"
		fi
	fi
}
deliver() { # FROM TO FILE: import, and perhaps carry the receipt back
	S -C "$2" import "$3" >out 2>err || die "import $3 at $2: $(cat err)"
	[ ! -f "$3" ] || die "the parcel $3 is still there once imported at $2 (its receipt written)"
	if chance 75; then
		S -C "$1" import "$3.receipt" >/dev/null 2>err || die "receipt $3.receipt at $1: $(cat err)"
	fi
}

# https FROM TO VERB: a push by FROM to TO's daemon, or a pull by TO from FROM's daemon
https() {
	from=$1 to=$2 verb=$3 daemon=$2 by=$1 peer=$2
	[ "$verb" = pull ] && daemon=$1 by=$2 peer=$1
	if chance 10; then
		# the daemon dies in the middle of the transfer, and comes back
		restarts=$((restarts + 1))
		S_BG -C "$by" "$verb" "$peer" >/dev/null 2>&1
		bg=$!
		rnd 60
		sleep "0.$(printf %03d "$R")"
		stop_daemon "$daemon"
		wait "$bg" 2>/dev/null || true
		check_node "$daemon" "after the daemon was killed mid-transfer"
		start_daemon "$daemon"
	fi
	S -C "$by" "$verb" "$peer" >out 2>err || die "$verb $peer by $by: $(cat err)"
}

# --- the communities' imports ---
import_round() { # NODE PREFIX
	node=$1
	rnd 1000000
	cp "$node.csv" "$node.before.csv"
	mutate "$node.csv" "$2" "$((seed * 100000 + round * 10 + R))"
	note_withdrawals "$node" "$node.before.csv"
	if chance 50; then
		to_jsonl "$node.csv" >"$node.jsonl"
		in=$node.jsonl
	else
		in=$node.csv
	fi
	if chance 10; then
		kills=$((kills + 1))
		S_BG -C "$node" import residents "$in" >/dev/null 2>&1
		bg=$!
		rnd 40
		sleep "0.$(printf %03d "$R")"
		kill -9 "$bg" 2>/dev/null || true
		wait "$bg" 2>/dev/null || true
		check_node "$node" "after SIGKILL during import"
	fi
	S -C "$node" import residents "$in" >/dev/null 2>err || die "import at $node: $(cat err)"
}

# erase_one COMMUNITY: one of its residents asks to be forgotten: erased at the community (and gone from
# its own file); the invariants below follow the erasure down as parcels carry it
erase_one() {
	# a consenting one, so that the street holds the person and the cut has something to remove there
	awk -F, 'NR > 1 && $12 == "true" { print $1 }' "$1.csv" >consenting
	rows=$(wc -l <consenting)
	[ "$rows" -gt 5 ] || return 0
	rnd "$rows"
	id=$(sed -n "$((R + 1))p" consenting)
	# the key the street holds the person by, if it holds the person at all
	S -C "$1" disclosures residents "$id" --format json >edisc.json 2>/dev/null || true
	token=$(python3 -c 'import json,sys
try:
    d = [x for x in json.load(open("edisc.json"))["disclosures"] if x["event"] == "carried" and x["key"] and x["sent"]]
    print(d[0]["key"][0] if d else "")
except Exception:
    print("")')
	S -C "$1" erase residents "$id" --reason "sim $seed round $round" >eout 2>err || die "erase at $1: $(cat err)"
	e=$(sed -n 's/^erasure \([0-9a-f]*\):.*/\1/p' eout)
	grep "^$id," "$1.csv" >>"$1.erased-rows"	# the old file, for a re-import later
	grep -v "^$id," "$1.csv" >"$1.csv.new" && mv "$1.csv.new" "$1.csv"
	echo "$1 $id $e ${token:--}" >>erased.list
	erasures=$((erasures + 1))
}

# reimport_erased COMMUNITY: the old file, with an erased person in it, imported again: refused, naming the
# erasure, the node unchanged; sometimes brought back on purpose (--allow-erased), and then no longer erased
reimport_erased() {
	[ -s "$1.erased-rows" ] || return 0
	row=$(head -1 "$1.erased-rows")
	id=${row%%,*}
	grep -q "^$1 $id " erased.list || { sed -i 1d "$1.erased-rows"; return 0; }
	{ cat "$1.csv"; echo "$row"; } >old.csv
	before=$(node_state "$1")
	if S -C "$1" import residents old.csv >out 2>err; then
		die "the old file brought the erased $id back to $1: $(cat out)"
	fi
	grep -q "bring.* back a key this node erased: $id (erasure [0-9a-f]* of residents: sim $seed round" err ||
		die "re-import of an erased key at $1: $(cat err)"
	[ "$(node_state "$1")" = "$before" ] || die "a refused re-import of an erased key changed $1"
	reimports_refused=$((reimports_refused + 1))
	if chance 40; then
		S -C "$1" import residents old.csv --allow-erased --reason "sim reinstated $round" >/dev/null 2>err ||
			die "--allow-erased at $1: $(cat err)"
		S -C "$1" erasures --format json | python3 -c '
import json, sys
assert any(r.get("reimported") and "sim reinstated" in r["reimported"] for r in json.load(sys.stdin))' ||
			die "erasures at $1 does not show the re-import of $id"
		cp old.csv "$1.csv"
		grep -v "^$1 $id " erased.list >erased.new || true
		mv erased.new erased.list
		sed -i 1d "$1.erased-rows"
		reimports_allowed=$((reimports_allowed + 1))
	fi
}

# what the community's ledger says of each erased person, against what moved: it was erased here, with its
# reason; every view that carried it to the street was cut for it, the cut confirmed once the street holds it;
# no value of it is reported
check_ledger_erased() {
	[ -f erased.list ] || return 0
	while read -r comm id e token; do
		S -C "$comm" disclosures residents "$id" --format json >le.json 2>err || die "disclosures of the erased $id at $comm: $(cat err)"
		python3 - le.json "$e" "$token" "$seed" <<'PY' || die "the ledger of $comm on the erased $id: $(cat le.json)"
import json, sys
d = json.load(open(sys.argv[1]))["disclosures"]
e, token = sys.argv[2], sys.argv[3]
erased = [x for x in d if x["event"] == "erased"]
assert len(erased) == 1 and erased[0]["cut"] == e and erased[0]["reason"].startswith("sim " + sys.argv[4]), erased
assert all(x["fields"] is None and x["key"] is None for x in d if x["event"] == "carried"), "a value reported"
if token != "-":	# the street held the person: the ledger says so, and says it was cut there
    carried = [x for x in d if x["event"] == "carried" and x["recipient"] == "st" and x["sent"]]
    assert carried, "no disclosure to the street on record"
    removed = [x for x in d if x["event"] == "removed" and x["recipient"] == "st" and x["kind"] == "erasure"]
    assert any(x["cut"] == e for x in removed), removed
PY
		ledger_checked=$((ledger_checked + 1))
	done <erased.list
	return 0
}

# a resident who withdrew consent: once the street confirmed every cut, it holds nothing of the person
note_withdrawals() { # COMMUNITY OLD-CSV
	awk -F, 'NR == FNR { if (FNR > 1) c[$1] = $12; next } FNR > 1 && c[$1] == "true" && $12 == "false" { print $1 }' "$2" "$1.csv" |
	head -2 | while read -r id; do
		S -C "$1" disclosures residents "$id" --format json 2>/dev/null | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["disclosures"] if x["event"] == "carried" and x["recipient"] == "st" and x["key"]]
print(d[0]["key"][0] if d else "")' 2>/dev/null | while read -r tok; do
			if [ -n "$tok" ]; then echo "$1 $id $tok" >>withdrawn.list; fi
		done
	done
	return 0
}
check_withdrawn() {
	[ -f withdrawn.list ] || return 0
	: >withdrawn.keep
	git -C st/repo.git cat-file --batch-all-objects --batch >st.objects	# once a round, not once a person
	while read -r comm id tok; do
		# back in the filter (consent given again), or gone from the file: no longer a withdrawal to check
		awk -F, -v id="$id" '$1 == id && $12 == "false" { f = 1 } END { exit !f }' "$comm.csv" || continue
		echo "$comm $id $tok" >>withdrawn.keep
		# not yet gone down: the community has not built a view from its data since, or the street holds another
		v=$(git -C "$comm/repo.git" rev-parse -q --verify refs/strata/views/st/residents) || continue
		[ "$(trailer "$comm" "$v" Strata-Source)" = "$(git -C "$comm/repo.git" rev-parse refs/strata/datasets/residents)" ] || continue
		[ "$(git -C st/repo.git rev-parse -q --verify "refs/strata/peers/$comm/residents")" = "$v" ] || continue
		S -C "$comm" erasures --pending --format csv 2>/dev/null | tr -d '\r' | grep -q "^[0-9a-f]*,st," && continue
		grep -a -q -F -- "\"$tok\"" st.objects &&
			die "$id withdrew consent at $comm and the street, which confirmed every cut, still holds $tok"
		withdrawals_checked=$((withdrawals_checked + 1))
	done <withdrawn.list
	mv withdrawn.keep withdrawn.list
	return 0
}

# nothing of an erased person at the community, nor at the street once the street confirmed the cut
check_erased() {
	[ -f erased.list ] || return 0
	while read -r comm id e token; do
		git -C "$comm/repo.git" cat-file --batch-all-objects --batch | grep -a -q -F -- "$id," &&
			die "the erased $id is still in an object of $comm"
		[ "$token" != - ] || continue
		S -C "$comm" erasures --format csv 2>/dev/null | tr -d '\r' | grep -q "^$e,st,residents,confirmed," || continue
		git -C st/repo.git cat-file --batch-all-objects --batch | grep -a -q -F -- "\"$token\"" &&
			die "the street confirmed erasure $e but still holds $token"
		erased_checked=$((erased_checked + 1))
	done <erased.list
	return 0
}

# --- invariants ---
check_node() { # NODE WHEN
	git -C "$1/repo.git" fsck --strict --no-dangling >fsck.out 2>&1 || die "git fsck --strict at $1 $2: $(cat fsck.out)"
	S -C "$1" verify --all >/dev/null 2>err || die "verify --all at $1 $2: $(cat err) $(cat out 2>/dev/null)"
	# doctor: no problem but, right after a kill, the interrupted change the next writer settles
	if ! S -C "$1" doctor --json >doctor.json 2>/dev/null; then
		python3 -c 'import json,sys; d=json.load(open("doctor.json")); sys.exit(0 if all(p["where"] == "journal" for p in d["problems"]) else 1)' ||
			die "doctor at $1 $2: $(cat doctor.json)"
	fi
	# the newest event is signed by the officer it names: stock ssh-keygen checks it
	if eval "[ -n \"\${staffed_$(echo "$1" | tr - _):-}\" ]"; then
		ev=$(git -C "$1/repo.git" rev-parse refs/strata/audit)
		who=$(git -C "$1/repo.git" log -1 --format=%B "$ev" | sed -n 's/^Strata-Officer: \([^ ]*\) .*/\1/p')
		[ -n "$who" ] || die "the newest event $ev at $1 $2 names no officer"
		git -C "$1/repo.git" cat-file commit "$ev" | awk '/^gpgsig /{skip=1; next} skip && /^ /{next} {skip=0; print}' >ev.full
		head -n -1 ev.full >ev.payload
		printf -- '-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n' \
			"$(tail -n 1 ev.full | sed -n 's/^Strata-Officer-Signature: //p')" >ev.sig
		printf '%s %s\n' "$who" "$(cut -d' ' -f1,2 "$T/s$seed/keys/$who.key.pub")" >ev.allowed
		ssh-keygen -Y verify -f ev.allowed -I "$who" -n strata-officer -s ev.sig <ev.payload >/dev/null 2>&1 ||
			die "ssh-keygen -Y verify refuses $who's signature on the newest event $ev at $1 $2"
		officer_events_checked=$((officer_events_checked + 1))
	fi
	# stock git, with the node's own allowed_signers (peers' keys, rotated ones with valid-before), verifies every tip
	for r in $(git -C "$1/repo.git" for-each-ref --format='%(refname)' refs/strata/peers refs/strata/datasets refs/strata/views); do
		git -C "$1/repo.git" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/s$seed/$1/keys/allowed_signers" \
			verify-commit "$r" 2>/dev/null || die "stock git at $1 $2 does not verify $r"
	done
}

# rotate NODE: a new node key; a node with a daemon restarts it, to present the new key
rotate() {
	tick 2	# commit times are whole seconds: nothing of this second is left to the old key
	S -C "$1" key rotate >/dev/null 2>err || die "key rotate at $1: $(cat err)"
	rotations=$((rotations + 1))
	# a node with a daemon: reloaded (SIGHUP: it presents the new key from then on), or restarted
	case $1 in
	st | dx)
		if chance 50; then
			eval "dpid=\$pid_$1"
			seen=$(grep -c "node.conf reloaded" "$T/$1.log" || true)
			kill -HUP "$dpid"
			i=0
			while [ "$(grep -c "node.conf reloaded" "$T/$1.log" || true)" -le "$seen" ]; do
				i=$((i + 1))
				[ "$i" -lt 300 ] || die "the daemon of $1 did not reload: $(tail -3 "$T/$1.log")"
				sleep 0.1
			done
			reloads=$((reloads + 1))
		else
			stop_daemon "$1"
			start_daemon "$1"
		fi ;;
	esac
}

trailer() { git -C "$1/repo.git" log -1 --format="%(trailers:key=$3,valueonly)" "$2" | head -1; }

# the records of COMMIT in NODE, one canonical JSON line each
records() { git -C "$1/repo.git" archive "$2" records | tar -xOf - 2>/dev/null; }

# fields of a JSON line as FIELD=VALUE lines; the generated values are plain
json_pick() { # FIELDS... from stdin
	awk -v want="$*" 'BEGIN { n = split(want, w, " ") }
	{
		out = ""
		for (i = 1; i <= n; i++) {
			v = "-"
			if (match($0, "\"" w[i] "\":\"[^\"]*\"")) { v = substr($0, RSTART, RLENGTH); sub(/^"[^"]*":"/, "", v); sub(/"$/, "", v) }
			out = out (i > 1 ? "|" : "") v
		}
		print out
	}' | LC_ALL=C sort
}
json_keys() { head -1 | grep -o '"[a-z_]*":' | tr -d '":' | LC_ALL=C sort | tr '\n' ' '; }

# The policy a view commit was built under: 1 if it is a tightened one.
tight_of() { # BUILDER COMMIT(at receiver) RECEIVER
	blob=$(trailer "$3" "$2" Strata-Policy)
	git -C "$1/repo.git" cat-file blob "$blob" >pol.yaml 2>/dev/null || die "policy blob $blob of $2 not at $1"
	if grep -q '^policy: community-to-street' pol.yaml; then
		grep -q '^      phone:' pol.yaml && echo 0 || echo 1
	elif grep -q '^policy: street-to-district' pol.yaml; then
		awk '/^  grid-events:/ { g = 1 } g == 0 && /^      income_band:/ { f = 1 } END { exit !f }' pol.yaml && echo 0 || echo 1
	else
		echo 0
	fi
}

# expected RECEIVER-TIER ORIGIN-NODE ORIGIN-COMMIT FIELDS: the community's consenting rows
# at that commit, as the chain of policies gives the compared fields
expected() {
	S -C "$2" export residents "$3" --format csv >origin.csv 2>err || die "export $3 at $2: $(cat err)"
	awk -F, -v tier="$1" -v want="$4" 'BEGIN { n = split(want, w, " ") }
	NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
	$col["consent"] == "true" {
		out = ""
		for (i = 1; i <= n; i++) {
			f = w[i]; v = $col[f]
			if (f == "birth_date") v = (tier == "st" ? substr(v, 1, 7) : substr(v, 1, 4))
			else if (f == "address") v = substr(v, 1, 10)
			out = out (i > 1 ? "|" : "") v
		}
		print out
	}' origin.csv | LC_ALL=C sort
}

# check_view RECEIVER SENDER REF: the received view, against its origin and its policies
check_view() {
	recv=$1 sender=$2 ref=$3
	c=$(git -C "$recv/repo.git" rev-parse "$ref")
	# a view from before an erasure the cut has not yet reached the receiver with: the sender holds it no more
	if ! git -C "$sender/repo.git" cat-file -e "$c^{commit}" 2>/dev/null; then
		S -C "$sender" erasures --pending --format csv 2>/dev/null | tr -d '\r' | grep -q "^[0-9a-f]*,$recv," ||
			die "$sender lacks the commit of $ref that $recv holds, and has no erasure pending for it"
		awaiting_cut=$((awaiting_cut + 1))
		return 0
	fi
	S -C "$sender" audit view "$c" >audit.out 2>&1 || die "audit view at $sender of $ref held by $recv: $(cat audit.out)"
	origin=$(trailer "$recv" "$c" Strata-Origin)
	# the province is not told where its views began (the district's policy hides the path): the
	# district, which holds the view's source, is
	[ -n "$origin" ] || [ "$recv" != pv ] || origin=$(trailer dx "$(trailer pv "$c" Strata-Source)" Strata-Origin)
	[ -n "$origin" ] || origin="$(trailer "$recv" "$c" Strata-Node) $(trailer "$recv" "$c" Strata-Source)"
	onode=${origin% *} ocommit=${origin#* }
	# its origin cut at the community since (an erasure on its way down): checked once the cut arrives
	if [ -d "$onode" ] && ! git -C "$onode/repo.git" cat-file -e "$ocommit^{commit}" 2>/dev/null; then
		S -C "$onode" erasures --pending >/dev/null 2>&1 && S -C "$sender" erasures --pending >/dev/null 2>&1 &&
			die "the origin $ocommit of $ref at $recv is gone from $onode, and no erasure is pending"
		awaiting_cut=$((awaiting_cut + 1))
		return 0
	fi
	case $recv in
	st)
		t=$(tight_of "$sender" "$c" "$recv")
		want="address birth_date community gender grid_code household_id id_number income_band name phone street "
		[ "$t" = 1 ] && want="address birth_date community gender grid_code household_id id_number income_band name street "
		cmp="gender birth_date community street grid_code income_band address"
		;;
	dx)
		t=$(tight_of "$sender" "$c" "$recv")
		want="birth_date community gender household_id id_number income_band street "
		[ "$t" = 1 ] && want="birth_date community gender household_id id_number street "
		cmp="gender birth_date community street"
		[ "$t" = 1 ] || cmp="$cmp income_band"
		;;
	pv)
		src=$(trailer pv "$c" Strata-Source)
		t=$(tight_of st "$src" dx)
		want="birth_date gender id_number income_band street "
		[ "$t" = 1 ] && want="birth_date gender id_number street "
		cmp="gender birth_date street"
		[ "$t" = 1 ] || cmp="$cmp income_band"
		;;
	esac
	expected "$recv" "$onode" "$ocommit" "$cmp" >want.txt
	records "$recv" "$c" >got.jsonl
	json_pick $cmp <got.jsonl >got.txt
	if [ -s got.jsonl ]; then
		keys=$(json_keys <got.jsonl)
		[ "$keys" = "$want" ] || die "$recv's $ref holds fields '$keys', its policies allow '$want'"
	fi
	cmp -s want.txt got.txt || die "$recv's $ref ($(wc -l <got.txt) records) is not $onode's $ocommit through its policies ($(wc -l <want.txt) records): $(diff want.txt got.txt | head -5)"
	views_checked=$((views_checked + 1))
	views_total=$((views_total + 1))
}

# the province's sql union against its received views, and datasets' counts
check_queries() {
	git -C pv/repo.git for-each-ref 'refs/strata/peers/dx/*/residents' | grep -q . || return 0
	S -C pv sql "SELECT _source, count(*) FROM residents GROUP BY 1" --format csv >q.csv 2>err || die "sql at pv: $(cat err)"
	tail -n +2 q.csv | tr -d '\r' | LC_ALL=C sort >q.got
	S -C pv datasets --received --format csv >ds.csv 2>err || die "datasets at pv: $(cat err)"
	: >q.want
	: >ds.want
	for r in $(git -C pv/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/dx/*/residents'); do
		name=${r#refs/strata/peers/}
		n=$(records pv "$r" | grep -c . || true)
		[ "$n" -eq 0 ] || echo "$name,$n" >>q.want
		echo "$name,$n" >>ds.want
	done
	LC_ALL=C sort -o q.want q.want
	cmp -s q.want q.got || die "sql's residents union at pv is not what its views hold: $(diff q.want q.got | head -5)"
	tr -d '\r' <ds.csv | awk -F, 'NR > 1 && $1 ~ /residents$/ { print $1 "," $4 }' | LC_ALL=C sort >ds.got
	LC_ALL=C sort -o ds.want ds.want
	cmp -s ds.want ds.got || die "datasets at pv counts records other than its views hold: $(diff ds.want ds.got | head -5)"
}

# what the street holds of one person is in the community's disclosures
check_disclosures() { # COMMUNITY
	# a cut on its way to the street: the street still holds versions the community no longer has
	if S -C "$1" erasures --pending --format csv 2>/dev/null | tr -d '\r' | grep -q "^[0-9a-f]*,st,"; then
		awaiting_cut=$((awaiting_cut + 1))
		return 0
	fi
	key=$(S -C "$1" export residents --format csv | tr -d '\r' |
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } $col["consent"] == "true" { print $col["id_number"]; exit }')
	[ -n "$key" ] || return 0
	S -C "$1" disclosures residents "$key" --format json >disc.json 2>err || die "disclosures at $1: $(cat err)"
	git -C st/repo.git rev-parse -q --verify "refs/strata/peers/$1/residents" >/dev/null || return 0
	for k in $(python3 -c 'import json; print(" ".join(sorted({d["key"][0] for d in json.load(open("disc.json"))["disclosures"] if d["recipient"] == "st" and d["key"]})))'); do
		if ! S -C st history "$1/residents" "$k" >hist.txt 2>err; then
			grep -q "no record of" err || die "history at st: $(cat err)"
			continue
		fi
		python3 - "$k" <<'PY' || die "the street holds versions of $key (as $k) that $1's disclosures do not list: $(cat hist.txt)"
import json, sys
held = [l.split()[0] for l in open("hist.txt") if l[:1] not in (" ", "") and "removed" not in l.split()[2]]
d = [x for x in json.load(open("disc.json"))["disclosures"] if x["recipient"] == "st" and x["key"] and x["key"][0] == sys.argv[1]]
sent = [x["commit"] for x in d if x["sent"]]
missing = [h for h in held if not any(c.startswith(h) for c in sent)]
sys.exit(1 if missing else 0)
PY
		disclosures_checked=$((disclosures_checked + 1))
	done
}

check_all() { # WHEN
	views_checked=0
	for n in cn-a cn-b st dx pv; do check_node "$n" "$1"; done
	for r in $(git -C st/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/*/residents'); do
		check_view st "$(echo "$r" | cut -d/ -f4)" "$r"
	done
	for r in $(git -C dx/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/st/*/residents'); do
		check_view dx st "$r"
	done
	for r in $(git -C pv/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/dx/*/residents'); do
		check_view pv dx "$r"
	done
	# the district's policy drops community, and with it the names of the nodes below from
	# everything the province holds but the catalogue (process/ in its audit log, and the
	# events that took catalogues and requests in: a published directory names its owners)
	if not_catalogue pv | grep -a -q 'cn-[ab]\|comm-[ab]' ||
	   git -C pv/repo.git for-each-ref | grep -q 'cn-[ab]\|/st/'; then
		die "the province holds a community's or the street's name: $(git -C pv/repo.git for-each-ref | grep 'cn-[ab]\|/st/' | head -2) $(not_catalogue pv | grep -a -o '.\{0,40\}\(cn-[ab]\|comm-[ab]\).\{0,20\}' | head -3)"
	fi
	check_queries
	check_erased
	# the ledger of every erased person: each third round, and once settled
	if [ $((round % 3)) = 0 ] || [ "$round" -gt "$ROUNDS" ]; then check_ledger_erased; fi
	check_withdrawn
	check_retention cn-a
	check_retention cn-b
	check_disclosures cn-a
	check_disclosures cn-b
	for n in st dx pv; do
		if git -C "$n/repo.git" cat-file --batch-all-objects --batch 2>/dev/null | grep -a -o 'CANARY[A-Z]*\|RAWID[a-z0-9]*\|HHOLD[a-z0-9]*' | head -1 | grep -q .; then
			die "a dropped or raw value reached $n: $(git -C "$n/repo.git" cat-file --batch-all-objects --batch | grep -a -o 'CANARY[A-Z]*[0-9]*\|RAWID[a-z0-9]*\|HHOLD[a-z0-9]*' | head -3 | tr '\n' ' ')"
		fi
	done
}

# --- evidence: an auditor at the province traces a record it holds down to its owner, as a bundle each
# tier adds its part to, checked with no node.  While tiers are out of step, a node may no longer hold
# the commit the tier above holds (a cut, an expiry: said so, counted); settled, it always does ---
evidence_walk() {
	ref=$(git -C pv/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/dx/*/residents' | head -1)
	[ -n "$ref" ] || return 0
	records pv "$ref" >ev-records || :
	nrec=$(wc -l <ev-records)
	[ "$nrec" -gt 0 ] || return 0
	rnd "$nrec"
	key=$(sed -n "$((R + 1))p" ev-records | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
	S -C pv evidence export residents "$key" -o "ev.$round.pv" >ev.out 2>err || die "evidence export at pv: $(cat err)"
	file=ev.$round.pv parts=1
	while grep -q "^the trace goes on at " ev.out; do
		next=$(sed -n 's/^the trace goes on at \([^:]*\):.*/\1/p' ev.out)
		k=$(sed -n 's/.* with the key \["\(.*\)"\]$/\1/p' ev.out)
		if ! S -C "$next" evidence export residents "$k" -o "ev.$round.$next" --continue "$file" >ev.out 2>err; then
			if [ "$1" = 0 ] && grep -q "does not hold commit\|holds no record of" err; then
				echo "$(where): evidence stops at $next: $(cat err)"
				evidence_gone=$((evidence_gone + 1))
				return 0
			fi
			die "evidence export at $next (part $((parts + 1))): $(cat err)"
		fi
		file=ev.$round.$next parts=$((parts + 1))
	done
	grep -q "^the trace reaches the owner's commit" ev.out || die "the evidence stops short of the owner: $(cat ev.out)"
	mkdir -p ev-empty && cp "$file" ev-empty/bundle
	(cd ev-empty && "$STRATA" evidence verify bundle >../ev.verify 2>../err) || die "evidence verify: $(cat err)"
	grep -q "the evidence holds: $parts part(s)" ev.verify || die "evidence verify: $(cat ev.verify)"
	rm -rf ev-empty ev.$round.*
	evidence_checked=$((evidence_checked + 1)) evidence_hops=$((evidence_hops + parts))
}

# --- sharing as a process: the province asks the communities for fields; owners and relays answer ---
# (an approval here never changes a policy: a node approves when the policy it applies already passes
# the field on, and refuses otherwise, so what data moves is still exactly what check_view expects)
process_round() {
	[ -z "${SIM_DEBUG:-}" ] || echo "DEBUG $(where): process round, rng $rng" >&2
	# new requests while the federation is busy; answers every round, settling ones too
	if [ "$calm" = 0 ] && chance 60; then
		rnd 2
		if [ "$R" = 0 ]; then owner=cn-a; else owner=cn-b; fi
		rnd 6
		field=$(echo "gender phone name address grid_code income_band" | cut -d' ' -f$((R + 1)))
		if S -C pv request "$owner/residents" --fields "$field" --purpose "sim $seed.$round" --basis "sim" \
			--within 20 >req.out 2>err; then
			requests_filed=$((requests_filed + 1))
		else
			# its catalogue has not come up yet: the one refusal this may get
			grep -q "no catalogue of '$owner'" err || die "request: $(cat err)"
			[ -z "${SIM_DEBUG:-}" ] || { echo "DEBUG $(where): $(cat err)"; S -C pv catalog; S -C dx catalog; } >&2
		fi
	fi
	# the province reports a wrong value in a record it holds; the owners answer what reached them
	if [ "$calm" = 0 ] && chance 50; then
		v=$(git -C pv/repo.git for-each-ref --format='%(refname:lstrip=3)' 'refs/strata/peers/dx/*/residents' | head -1)
		if [ -n "$v" ]; then
			S -C pv export "$v" --format csv 2>/dev/null | tr -d '\r' | sed 's/^\xef\xbb\xbf//' >corr.csv || true
			k=$(sed -n 2p corr.csv | cut -d, -f1)
			f=$(head -1 corr.csv | cut -d, -f2)	# a field the province holds (its policy may have changed)
			if [ -n "$k" ] && [ -n "$f" ]; then
				S -C pv correct "$v" "$k" --field "$f" --value "corrected-$round" --note "sim $seed.$round" \
					>/dev/null 2>err || die "correct: $(cat err)"
				corrections_filed=$((corrections_filed + 1))
			fi
		fi
	fi
	for c in cn-a cn-b; do
		S -C "$c" corrections --open --json 2>err >copen.json || die "corrections at $c: $(cat err)"
		for id in $(python3 -c 'import json; print(" ".join(r["id"] for r in json.load(open("copen.json")) if r["role"] == "owner"))'); do
			chance 60 || continue
			if chance 50; then
				S -C "$c" corrections accept "$id" >/dev/null 2>err || die "accept $id: $(cat err)"
			else
				S -C "$c" corrections reject "$id" --reason "sim: checked, correct as it is" >/dev/null 2>err ||
					die "reject $id: $(cat err)"
			fi
			corrections_answered=$((corrections_answered + 1))
		done
	done
	for n in cn-a cn-b st dx; do
		S -C "$n" requests --open --json 2>err >open.json || die "requests at $n: $(cat err)"
		[ -z "${SIM_DEBUG:-}" ] || echo "DEBUG $(where): $n: $(S -C "$n" requests --format csv | tail -n +2 | cut -d, -f1-3,9 | tr '\r\n' '  ')" >&2
		for id in $(python3 -c 'import json, sys; print(" ".join(r["id"] for r in json.load(open("open.json")) if r["waiting_on"] == sys.argv[1]))' "$n"); do
			chance 60 || continue	# some wait, some go overdue
			if S -C "$n" answer "$id" --approve >/dev/null 2>err; then
				requests_approved=$((requests_approved + 1))
			else
				grep -q "does not share field" err || die "approve $id at $n: $(cat err)"
				S -C "$n" answer "$id" --refuse --reason "sim: $n does not pass it on" >/dev/null 2>err ||
					die "refuse $id at $n: $(cat err)"
				requests_refused=$((requests_refused + 1))
			fi
		done
	done
}

# what the province and each owner say of the same request agrees, and every answer is in both audit logs;
# once settled (ALL=1), every answer an owner gave has reached the province
check_process() { # [ALL]
	for n in pv cn-a cn-b; do
		S -C "$n" requests --json >"req.$n.json" 2>err || die "requests at $n: $(cat err)"
		git -C "$n/repo.git" log --format=%B refs/strata/audit >"audit.$n.txt"
	done
	for n in pv cn-a cn-b; do
		S -C "$n" corrections --json >"cor.$n.json" 2>err || die "corrections at $n: $(cat err)"
	done
	python3 - "${1:-0}" <<'PY' || die "requests disagree: $(cat req.check)"
import json, sys
settled = sys.argv[1] == "1"
pv = {r["id"]: r for r in json.load(open("req.pv.json"))}
bad = []
audit = {n: open("audit.%s.txt" % n, encoding="utf-8").read() for n in ("pv", "cn-a", "cn-b")}
for owner in ("cn-a", "cn-b"):
    for r in json.load(open("req.%s.json" % owner)):
        if r["role"] != "owner":
            continue
        mine = pv.get(r["id"])
        if mine is None:
            bad.append("%s holds %s, the province does not" % (owner, r["id"]))
            continue
        if r["decision"] and "Strata-Request: %s\nStrata-Decision: %s" % (r["id"], r["decision"]) not in audit[owner]:
            bad.append("%s's answer to %s is not in its audit log" % (owner, r["id"]))
        if mine["decision"] and mine["decision"] != r["decision"]:
            bad.append("%s: the province says %s, %s says %r" % (r["id"], mine["decision"], owner, r["decision"]))
        if mine["decision"] and "Strata-Answer: %s %s %s owner" % (r["id"], mine["decision"], owner) not in audit["pv"]:
            bad.append("the owner's answer to %s is not in the province's audit log" % r["id"])
        if settled and r["decision"] and not mine["decision"]:
            bad.append("%s answered %s, and it has not reached the province after settling" % (owner, r["id"]))
pvc = {r["id"]: r for r in json.load(open("cor.pv.json"))}
for owner in ("cn-a", "cn-b"):
    for r in json.load(open("cor.%s.json" % owner)):
        if r["role"] != "owner":
            continue
        mine = pvc.get(r["id"])
        if mine is None:
            bad.append("%s holds correction %s, the province never filed it" % (owner, r["id"]))
        elif mine["decision"] and mine["decision"] != r["decision"]:
            bad.append("correction %s: the province says %s, %s says %r" % (r["id"], mine["decision"], owner, r["decision"]))
        elif settled and r["decision"] and not mine["decision"]:
            bad.append("%s answered correction %s, and it has not reached the province after settling" % (owner, r["id"]))
        if r["decision"] and "Strata-Correction: %s\nStrata-Decision: %s" % (r["id"], r["decision"]) not in audit[owner]:
            bad.append("%s's answer to correction %s is not in its audit log" % (owner, r["id"]))
for r in pv.values():
    if "Strata-Request: %s\n" % r["id"] not in audit["pv"]:
        bad.append("the province's request %s is not in its audit log" % r["id"])
open("req.check", "w").write("; ".join(bad[:5]))

sys.exit(1 if bad else 0)
PY
	requests_checked=$((requests_checked + 1))
}

# --- one seed ---
run_seed() {
	rng=$seed
	staffed_cn_a= staffed_st= staffed_pv=	# each seed's nodes name their officers afresh
	mkdir "$T/s$seed"
	cd "$T/s$seed"
	: >"$T/daemons.s$seed"
	S init cn-a --name cn-a --tier community >/dev/null
	S init cn-b --name cn-b --tier community >/dev/null
	S init st --name st --tier street >/dev/null
	S init dx --name dx --tier district >/dev/null
	S init pv --name pv --tier province >/dev/null
	gen_rows a comm-a "$ROWS" "$seed" >cn-a.csv
	gen_rows b comm-b "$ROWS" "$((seed + 7919))" >cn-b.csv
	ver_cn_a=1 tight_cn_a=0 ver_cn_b=1 tight_cn_b=0 ver_st=1 tight_st=0
	for c in cn-a cn-b; do
		S -C $c import residents $c.csv --key id_number >/dev/null
		S -C $c policy commit "$P/community-to-street.yaml" >/dev/null
		S -C $c peer add st --key st/keys/node.pub --tier street --policy community-to-street --direction push >/dev/null
		S -C st peer add $c --key $c/keys/node.pub --tier community --direction pull >/dev/null
	done
	# freshness on the links that always bring a signed word when they work (a parcel file, an answered pull)
	S -C st peer set cn-b --max-age 3d >/dev/null
	S -C st policy commit "$P/street-to-district.yaml" >/dev/null
	S -C st peer add dx --key dx/keys/node.pub --tier district --policy street-to-district --direction push >/dev/null
	S -C dx peer add st --key st/keys/node.pub --tier street --direction pull >/dev/null
	S -C dx policy commit "$P/district-to-province.yaml" >/dev/null
	S -C dx peer add pv --key pv/keys/node.pub --tier province --policy district-to-province --direction push >/dev/null
	S -C pv peer add dx --key dx/keys/node.pub --tier district --direction pull --max-age 3d >/dev/null
	for n in $OFFICER_NODES; do name_officers "$n"; done
	now=$(cat "$T/clock") off=0	# one clock for every seed: it only moves forward (test_clock above)
	start_daemon st
	start_daemon dx
	settle=2
	round=0
	while [ "$round" -lt "$((ROUNDS + settle))" ]; do
		round=$((round + 1))
		calm=0
		[ "$round" -gt "$ROUNDS" ] && calm=1
		days_pass
		freshness_after_days "$off"
		process_round
		if [ $calm = 0 ]; then
			import_round cn-a a
			import_round cn-b b
			if chance 20; then change_policy cn-a cn_a community-to-street; fi
			if chance 10; then change_policy cn-b cn_b community-to-street; fi
			if chance 15; then change_policy st st street-to-district; fi
			# a person forgotten: erased at the community, the cut travels down with the parcels
			if chance 10; then erase_one cn-a; fi
			if chance 6; then erase_one cn-b; fi
			# the old file again, with an erased person in it
			if chance 25; then reimport_erased cn-a; fi
			if chance 25; then reimport_erased cn-b; fi
			# a node's key rotated: its peers learn it from the next parcel, receipt or connection
			if chance 12; then
				rnd 5
				case $R in 0) rotate cn-a ;; 1) rotate cn-b ;; 2) rotate st ;; 3) rotate dx ;; 4) rotate pv ;; esac
			fi
		fi
		# cn-a -> st: HTTPS push or a parcel; cn-b -> st: parcels only
		if [ $calm = 1 ]; then
			S -C cn-a push st >/dev/null 2>err || die "push cn-a: $(cat err)"
			S -C cn-b export --to st -o "cn-b.$round.calm.parcel" >/dev/null && S -C st import "cn-b.$round.calm.parcel" >/dev/null &&
				S -C cn-b import "cn-b.$round.calm.parcel.receipt" >/dev/null || die "calm parcel cn-b: $(cat err)"
		else
			if ! chance 15; then
				if chance 60; then https cn-a st push; else parcel cn-a st; fi
			fi
			if ! chance 15; then parcel cn-b st; fi
		fi
		# st -> dx: push or parcel; dx -> pv: pv pulls, or a parcel
		if [ $calm = 1 ]; then
			S -C st push dx >/dev/null 2>err || die "push st: $(cat err)"
			S -C pv pull dx >/dev/null 2>err || die "pull pv: $(cat err)"
		else
			if ! chance 15; then
				if chance 60; then https st dx push; else parcel st dx; fi
			fi
			if ! chance 15; then
				if chance 60; then https dx pv pull; else parcel dx pv; fi
			fi
		fi
		# an auditor tries a change: refused, the node as it was
		rnd 3
		set -- $OFFICER_NODES
		shift "$R"
		before=$(node_state "$1")
		if STRATA_OFFICER_KEY=$T/s$seed/keys/$1-aud1.key STRATA_PASSPHRASE=pass-$1-aud1 "$STRATA" -C "$1" --as "$1-aud1" view build >/dev/null 2>err; then
			die "the auditor of $1 built views"
		fi
		grep -q "auditor" err || die "the auditor's refusal at $1 does not say why: $(cat err)"
		[ "$(node_state "$1")" = "$before" ] || die "an auditor's refused change changed $1"
		role_refusals=$((role_refusals + 1))
		# people come and go: an officer leaves, another is named (their old events still verify)
		if [ $calm = 0 ] && chance 15; then
			v=$(echo "$1" | tr - _)
			eval "set -- \$officers_$v $1"
			node=$3 gone=$1 new=$node-off$((round + 10))
			STRATA_NEW_PASSPHRASE=pass-$new S -C "$node" officer add "$new" --role officer --new-key "$T/s$seed/keys/$new.key" >/dev/null 2>err ||
				die "officer add at $node: $(cat err)"
			S -C "$node" officer remove "$gone" >/dev/null 2>err || die "officer remove at $node: $(cat err)"
			eval "officers_$v='$2 $new'"
			officer_changes=$((officer_changes + 1))
		fi
		check_all "after round $round"
		[ $calm = 0 ] || freshness_calm
		check_process "$calm"
		evidence_walk "$calm"
		rounds_run=$((rounds_run + 1))
	done
	# settled: the province holds every community's latest commit, through the chain
	# (which community a view at the province came from: its source at the district says)
	for r in $(git -C pv/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/dx/*/residents'); do
		case $r in refs/strata/peers/dx/v-*/residents) ;; *) die "the province holds $r: a path its district's policy hides" ;; esac
		trailer dx "$(trailer pv "$r" Strata-Source)" Strata-Origin
	done >origins.txt
	for c in cn-a cn-b; do
		head=$(git -C $c/repo.git rev-parse refs/strata/datasets/residents)
		grep -q "^$c " origins.txt || die "after settling, the province holds nothing from $c"
		grep -qx "$c $head" origins.txt || die "after settling, the province holds $c's $(grep "^$c " origins.txt), not its latest $head"
	done
	# each expiry is in its builder's audit log, and the street applied the cuts it received
	for c in cn-a cn-b; do
		expiries=$((expiries + $(S -C $c audit log | grep -c "history cut [0-9a-f]*, retention: its oldest version had expired" || true)))
	done
	stop_daemon st
	stop_daemon dx
	cd "$T"
}

for seed in $SEEDS; do
	run_seed
	ok "seed $seed: $((ROUNDS + 2)) rounds, every invariant held after each"
done
echo "simulation: seeds [$SEEDS], $rounds_run rounds, $ops strata commands; $kills kills, $restarts daemon restarts, $lost lost, $dups duplicated, $late late parcels ($refusals refused), $policy_changes policy changes, $rotations key rotations ($reloads taken by a daemon's reload), $erasures erasures ($erased_checked confirmed at the street and checked there, $awaiting_cut views checked later while a cut was on its way); $expiries expiries ($retention_checked views checked against their retention); $views_total received views checked against their origin, $disclosures_checked people's disclosures against what the street holds; ledger: $ledger_checked erased people's disclosures checked against what moved, $withdrawals_checked withdrawals of consent checked gone from the street, $reimports_refused re-imports of an erased key refused ($reimports_allowed allowed); requests for data: $requests_filed filed by the province, $requests_approved approvals and $requests_refused refusals by owners and relays, checked on both sides after $requests_checked rounds; corrections: $corrections_filed filed by the province, $corrections_answered answered by the owners; officers at $OFFICER_NODES: $officer_events_checked newest events checked with ssh-keygen -Y verify (every event by verify --all), $role_refusals auditors refused a change, $officer_changes officers replaced; evidence: $evidence_checked records traced province to owner as bundles of $evidence_hops parts, each checked with no node ($evidence_gone walks found a commit no longer held below); freshness: $freshness_checked links found stale after days without word, or fresh after a calm round"
