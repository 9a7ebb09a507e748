#!/bin/sh
# The demo: the sample federation of seeds/federation.conf on 127.0.0.1.
# Four community offices each import their part of the sample registry and
# grid-event log; three sync to their street offices over HTTPS, one is
# "disconnected" and carries a parcel file; the streets sync to the
# district, the district to the province.  Then, at the province: one
# record traced back to its community, what each tier sees of that person,
# and stock git checking the signatures.  The nodes stay in $DEMO_DIR
# (default: ./demo-nodes) for you to explore.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$top/build/strata}
DEMO_DIR=${DEMO_DIR:-$top/demo-nodes}
fed=$top/seeds/federation.conf
seeds=$top/seeds
# the narration and the tool in the reader's language (LANG=zh_CN.UTF-8: Chinese),
# from the build tree's translations when it runs from there
[ -n "${STRATA_LOCALEDIR:-}" ] || [ ! -d "$(dirname "$STRATA")/locale" ] || STRATA_LOCALEDIR=$(cd "$(dirname "$STRATA")/locale" && pwd)
export STRATA_LOCALEDIR
TEXTDOMAIN=strata
TEXTDOMAINDIR=${STRATA_LOCALEDIR:-}
export TEXTDOMAIN TEXTDOMAINDIR
if command -v gettext.sh >/dev/null 2>&1; then
	. gettext.sh
else
	gettext() { printf '%s' "$1"; }
	eval_gettext() { eval "printf '%s' \"$1\""; }
fi

# bold headings on a terminal only: a log file gets plain text
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi
run() { # prints the command as one would type it (quoted where it has spaces), then runs it
	for a; do case $a in *" "*) printf ' "%s"' "$a" ;; *) printf ' %s' "$a" ;; esac; done |
		sed "s|$DEMO_DIR/||g; s|^|\$ strata|"
	echo
	"$STRATA" "$@"
}
nodes() { grep -v '^#' "$fed" | awk 'NF' ; }	# name tier parent policy link community
field() { nodes | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }

servers=""
stop_servers() {
	for p in $servers; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $servers; do wait "$p" 2>/dev/null || true; done
	servers=""
}
trap stop_servers EXIT INT TERM

rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
cd "$DEMO_DIR"
start=$(date +%s)

say "$(gettext "eight nodes:") $(nodes | awk '{printf "%s%s (%s)", sep, $1, $2; sep=", "}')"
nodes | while read -r name tier parent policy link community; do
	"$STRATA" init "$name" --name "$name" --tier "$tier" >/dev/null
done
ls "$DEMO_DIR"

say "$(gettext "each community imports its part of the registry and the grid-event log (signed commits)")"
nodes | while read -r name tier parent policy link community; do
	[ "$tier" = community ] || continue
	awk -F, -v c="$community" 'NR == 1 || $7 == c' "$seeds/residents.csv" >"$name/residents.csv"
	awk -F, -v c="$community" 'NR == 1 || $3 == c' "$seeds/grid-events.csv" >"$name/grid-events.csv"
	run -C "$name" import residents "$DEMO_DIR/$name/residents.csv" --key id_number
	run -C "$name" import grid-events "$DEMO_DIR/$name/grid-events.csv" --key event_id
done

say "$(gettext "every node commits its policy for the tier above and pins its neighbours' keys")"
nodes | while read -r name tier parent policy link community; do
	[ "$parent" != - ] || continue
	"$STRATA" -C "$name" policy commit "$top/policies/$policy.yaml" >/dev/null
	run -C "$name" peer add "$parent" --key "$DEMO_DIR/$parent/keys/node.pub" --tier "$(field "$parent" 2)" \
		--policy "$policy" --direction push
	"$STRATA" -C "$parent" peer add "$name" --key "$DEMO_DIR/$name/keys/node.pub" --tier "$tier" \
		--direction pull >/dev/null
done

say "$(gettext "the streets, the district and the province serve HTTPS on 127.0.0.1 (TLS 1.3, keys pinned both ways)")"
for name in $(nodes | awk '$2 != "community" { print $1 }'); do
	: >"$name.log"
	"$STRATA" -C "$name" serve --listen 127.0.0.1:0 2>>"$name.log" &
	servers="$servers $!"
	i=0
	until grep -q "serving on" "$name.log"; do
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$name.log"; echo "demo: $name did not start" >&2; exit 1; }
		sleep 0.05
	done
	port=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$name.log")
	eval_gettext "\$name: https://127.0.0.1:\$port  (log: \$DEMO_DIR/\$name.log)"; echo
	# its children reach it there (node.conf is git-config syntax)
	for child in $(nodes | awk -v p="$name" '$3 == p && $5 == "https" { print $1 }'); do
		git config --file "$child/node.conf" "peer.$name.url" "https://127.0.0.1:$port"
	done
done

say "$(gettext "communities sync to their streets over HTTPS")"
for name in $(nodes | awk '$2 == "community" && $5 == "https" { print $1 }'); do
	run -C "$name" sync
done

say "$(gettext "one community is disconnected: its views go on a USB stick as a signed parcel")"
for name in $(nodes | awk '$5 == "parcel" { print $1 }'); do
	parent=$(field "$name" 3)
	run -C "$name" export --to "$parent" -o "$DEMO_DIR/usb-$name.parcel"
	run -C "$parent" import "$DEMO_DIR/usb-$name.parcel"
done

say "$(gettext "the streets sync to the district, the district to the province")"
for tier in street district; do
	for name in $(nodes | awk -v t="$tier" '$2 == t { print $1 }'); do
		run -C "$name" sync
	done
done

say "$(gettext "status at the district: what it holds from each street, and when it last synced")"
run -C dx-gongshu status

province=$(nodes | awk '$2 == "province" { print $1 }')
district=$(nodes | awk -v p="$province" '$3 == p { print $1 }')
say "$(gettext "at the province: one record traced back, tier by tier, to the community that recorded it")"
# a record of a received residents dataset, by its name there (strata
# datasets lists them).  The province does not know which community it came
# from: the district's policy drops community, so the view's name holds a
# token instead of the street and community (v-...); the trace finds it.
received=$("$STRATA" -C "$province" datasets --received --format csv | tr -d '\r' | cut -d, -f1 | grep '/residents$' | head -1)
key=$("$STRATA" -C "$province" export "$received" --format csv | sed -n 2p | cut -d, -f1)
echo "($(eval_gettext "a record of \$received"))"
# where the trace goes on, read from its JSON (the text is in the reader's language)
json_get() { python3 -c 'import json, sys; d = json.load(sys.stdin); v = eval(sys.argv[1], {}, {"d": d}); print(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, separators=(",", ":")))' "$1"; }
at=$province
seen="" trail=""
while [ -n "$at" ] && [ -n "$key" ]; do
	"$STRATA" -C "$at" trace residents "$key"
	echo
	json=$("$STRATA" -C "$at" trace residents "$key" --json)
	# what this tier holds of the person: the record at the last hop it can see
	echo "$json" | json_get 'd["hops"][-1]["record"]' >"$DEMO_DIR/seen-$at.json"
	seen="$seen $at"
	trail="$trail $at:$key"
	key=$(echo "$json" | json_get 'd["next"]["key"][0] if "next" in d else ""')
	at=$(echo "$json" | json_get 'd["next"]["node"] if "next" in d else ""')
done

say "$(gettext "what each tier sees of that person")"
for n in $seen; do
	printf '%-13s %s\n' "$n" "$(cat "$DEMO_DIR/seen-$n.json")"
done

say "$(gettext "the same trace as evidence to hand on: each tier adds its signed part, and anyone checks it with no node")"
prev=""
for pair in $trail; do
	at=${pair%%:*}
	bundle=$DEMO_DIR/evidence-$at.tar
	run -C "$at" evidence export residents "${pair#*:}" -o "$bundle" ${prev:+--continue "$prev"}
	prev=$bundle
done
# checked as its reader would: in an empty directory, with no node
check=$(mktemp -d "${TMPDIR:-/tmp}/strata-evidence.XXXXXX")
cp "$prev" "$check/"
(cd "$check" && "$STRATA" evidence verify "$(basename "$prev")")
rm -rf "$check"
echo "($(eval_gettext "the report in words: tar xf \$prev report.html"))"

say "$(gettext "the province cannot recompute the view it received (its source stays below), but with the evidence it checks one record of it against the policy, field by field")"
run -C "$province" audit view --evidence "$prev"

say "$(gettext "at the province: what it holds, and one query over every community's residents at once")"
run -C "$province" datasets
run -C "$province" sql "SELECT street, income_band, count(*) AS residents FROM residents GROUP BY 1, 2 ORDER BY 1, 2"

origin=$(echo "$seen" | awk '{ print $NF }')
raw=$(sed -n 's/.*"id_number":"\([^"]*\)".*/\1/p' "$DEMO_DIR/seen-$origin.json")
say "$(eval_gettext "at \$origin: to whom that person's record was sent, when, how, under which policy, as what")"
run -C "$origin" disclosures residents "$raw"

say "$(gettext "stock git checks the signatures at the province: the district's commits and the province's own audit log")"
signers=$DEMO_DIR/$province-allowed-signers
cp "$province/keys/allowed_signers" "$signers"
echo "$district namespaces=\"git\" $(cut -d' ' -f1,2 "$district/keys/node.pub")" >>"$signers"
for ref in $(git -C "$province/repo.git" for-each-ref --format='%(refname)' refs/strata/peers/ refs/strata/audit); do
	LC_ALL=C.UTF-8 LANGUAGE= git -C "$province/repo.git" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$signers" \
		verify-commit "$ref" 2>"$DEMO_DIR/git-verify.out" ||
		{ cat "$DEMO_DIR/git-verify.out"; echo "demo: stock git rejects $ref" >&2; exit 1; }
	echo "$ref: $(grep 'Good' "$DEMO_DIR/git-verify.out")"
done
run -C "$province" verify --all

# one exchange round, as the schedule would run it: every community syncs (or carries its
# parcel, and takes the receipt back), then every street, then the district
round() {
	for name in $(nodes | awk '$2 == "community" && $5 == "https" { print $1 }'); do
		"$STRATA" -C "$name" sync >/dev/null
	done
	for name in $(nodes | awk '$5 == "parcel" { print $1 }'); do
		parent=$(field "$name" 3)
		rm -f "$DEMO_DIR/usb-$name.parcel" "$DEMO_DIR/usb-$name.parcel.receipt"
		"$STRATA" -C "$name" export --to "$parent" -o "$DEMO_DIR/usb-$name.parcel" >/dev/null
		"$STRATA" -C "$parent" import "$DEMO_DIR/usb-$name.parcel" >/dev/null
		"$STRATA" -C "$name" import "$DEMO_DIR/usb-$name.parcel.receipt" >/dev/null
	done
	for tier in street district; do
		for name in $(nodes | awk -v t="$tier" '$2 == t { print $1 }'); do
			"$STRATA" -C "$name" sync >/dev/null
		done
	done
}
community=$(nodes | awk '$2 == "community" && $5 == "https" { print $1; exit }')
street=$(field "$community" 3)

say "$(eval_gettext "sharing as a process: \$community's officer describes its registry in the catalogue")"
run -C "$community" catalog describe residents --title "$(field "$community" 6)常住居民登记" \
	--description "户籍与常住人口，每日更新" --attribute conditional --frequency 每日 --contact 社区数据管理员 \
	--label name=姓名 --label community=所属社区 --class id_number=敏感 --class phone=敏感
round
say "$(gettext "the catalogues travel with the exchanges: at the province, what every node offers, and a search")"
run -C "$province" catalog
run -C "$province" catalog --search 常住

say "$(eval_gettext "the province asks \$community for a field it does not receive (community), with purpose and legal basis")"
run -C "$province" request "$community/residents" --fields community --purpose "核对各社区最低生活保障覆盖" \
	--basis "《政务数据共享条例》第十三条" | tee "$DEMO_DIR/request.out"
id=$(tail -n +2 "$DEMO_DIR/request.out" | grep -o '[0-9a-f]\{16\}' | head -1)	# (the text is in the reader's language)
round; round; round
say "$(eval_gettext "at \$community: the request, with what it would expose on the real data")"
run -C "$community" requests
run -C "$community" answer "$id" --approve
say "$(eval_gettext "each relay approves its own leg: \$street's policy passes community on already; the district commits a new version naming the request")"
round
run -C "$street" answer "$id" --approve
sed -e 's/^version: 1/version: 2/' -e 's/^      street: keep/      street: keep\n      community: keep/' \
	"$top/policies/district-to-province.yaml" >"$DEMO_DIR/district-to-province-v2.yaml"
printf 'requests: [%s]\n' "$id" >>"$DEMO_DIR/district-to-province-v2.yaml"
run -C "$district" answer "$id" --approve --policy "$DEMO_DIR/district-to-province-v2.yaml"
round
say "$(gettext "at the province, one round later: the request approved at every hop, and the field arrived")"
# (the district's version 2 passes community on for every community below it whose own
# policy lets it go that far: each owner bounds that with its policy's onward duties)
run -C "$province" requests
run -C "$province" sql "SELECT community, count(*) AS residents FROM residents WHERE community IS NOT NULL GROUP BY 1 ORDER BY 1"

say "$(gettext "a request the owner refuses: the reason reaches the province")"
run -C "$province" request "$community/residents" --fields phone --purpose "电话回访" --basis "《政务数据共享条例》" |
	tee "$DEMO_DIR/request2.out"
id2=$(tail -n +2 "$DEMO_DIR/request2.out" | grep -o '[0-9a-f]\{16\}' | head -1)
round; round; round
run -C "$community" answer "$id2" --refuse --reason "联系电话不在共享范围内，请通过街道联系"
round
run -C "$province" requests --open
run -C "$province" requests --format csv

say "$(eval_gettext "a correction: the district finds a wrong income band in a record from \$community and reports it back")"
dsx="$street/$community/residents"
rec=$("$STRATA" -C "$district" export "$dsx" --format csv | tr -d '\r' | sed 's/^\xef\xbb\xbf//' | sed -n 2p)
key=$(echo "$rec" | cut -d, -f1)
run -C "$district" correct "$dsx" "$key" --field income_band --value 0-2999 --note "民政核对：该户已纳入低保" |
	tee "$DEMO_DIR/correction.out"
cid=$(tail -n +2 "$DEMO_DIR/correction.out" | grep -o '[0-9a-f]\{16\}' | head -1)
round; round; round
say "$(eval_gettext "at \$community: the correction, the record it is about, its value now and the value proposed")"
run -C "$community" corrections
run -C "$community" corrections accept "$cid"
# the officer fixes the record in the registry and imports it again
rid=$("$STRATA" -C "$community" corrections --json | python3 -c "import json, sys; print([r['record'] for r in json.load(sys.stdin) if r['id'] == '$cid'][0])")
"$STRATA" -C "$community" export residents --format csv | python3 -c "
import csv, sys
rows = list(csv.reader(sys.stdin))
i, k = rows[0].index('income_band'), rows[0].index('id_number')
for r in rows[1:]:
    if r[k] == '$rid': r[i] = '0-2999'
csv.writer(sys.stdout, lineterminator='\n').writerows(rows)" >"$DEMO_DIR/$community/residents-fixed.csv"
run -C "$community" import residents "$DEMO_DIR/$community/residents-fixed.csv"
round
say "$(eval_gettext "at \$district: the answer, and the corrected value, one round later")"
run -C "$district" corrections
"$STRATA" -C "$district" export "$dsx" --format csv | tr -d '\r' | grep "^$key,"

say "$(gettext "data returned down the tiers: the district returns to each community the grid events of its own grids")"
"$STRATA" -C "$district" policy commit "$top/policies/district-to-community.yaml" >/dev/null
nodes | while read -r name tier parent policy link community; do
	[ "$tier" = community ] || continue
	run -C "$district" peer add "$name" --key "$DEMO_DIR/$name/keys/node.pub" --tier community \
		--direction push --policy district-to-community --attr "community=$community"
	"$STRATA" -C "$name" peer add "$district" --key "$DEMO_DIR/$district/keys/node.pub" --tier district \
		--direction pull >/dev/null
	"$STRATA" -C "$district" export --to "$name" -o "$DEMO_DIR/back-$name.parcel" >/dev/null
	"$STRATA" -C "$name" import "$DEMO_DIR/back-$name.parcel" >/dev/null
done
say "$(eval_gettext "at \$community: what came back, only its own community's rows (one policy for all four)")"
run -C "$community" sql "SELECT community, status, count(*) AS events FROM \"grid-events\" WHERE _source LIKE '$district/%' GROUP BY 1, 2 ORDER BY 1, 2"

stop_servers

say "$(eval_gettext "the web console of \$district, for the people who run it (read-only; DEMO_CONSOLE=0 skips it)")"
console_url=""
if [ "${DEMO_CONSOLE:-1}" != 0 ]; then
	for port in ${DEMO_CONSOLE_PORT:-8080} 0; do
		"$STRATA" -C "$district" console --listen "127.0.0.1:$port" >"$DEMO_DIR/console.out" 2>"$DEMO_DIR/console.err" </dev/null &
		console_pid=$!
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			console_url=$(grep -o 'https\{0,1\}://[0-9.:]*/' "$DEMO_DIR/console.out" | head -1)
			[ -z "$console_url" ] && kill -0 "$console_pid" 2>/dev/null && sleep 0.3 || break
		done
		[ -n "$console_url" ] && break
	done
fi
elapsed=$(($(date +%s) - start))
say "$(eval_gettext "done in \$elapsed s")"
eval_gettext "The eight nodes are in \$DEMO_DIR (daemon logs beside them).  Try:"; echo
echo "  $STRATA -C $DEMO_DIR/$province status"
echo "  $STRATA -C $DEMO_DIR/$province audit log"
echo "  $STRATA -C $DEMO_DIR/st-wangjiang serve --listen 127.0.0.1:8443     # and sync a community to it"
if [ -n "$console_url" ]; then
	echo
	eval_gettext "The console of \$district is running: open \$console_url"; echo
	token=$(sed -n 's/^ *\([0-9a-f]\{48\}\)$/\1/p' "$DEMO_DIR/console.err")
	eval_gettext "  its login token (for the district's own records): \$token"; echo
	eval_gettext "  stop it with: kill \$console_pid"; echo
fi
