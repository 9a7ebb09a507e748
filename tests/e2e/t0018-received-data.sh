#!/bin/sh
# Received data is data: one name for a received dataset in every command,
# datasets, export (also of every source at once), log, diff, history,
# sql over own and received data, disclosures of one person across the
# tiers, audit log by date and peer as CSV, and trace --dot; over several
# rounds of changes travelling up four tiers by parcel files and HTTPS.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
to_province
CN=cn-wangjiang-01
PV_REF=$(pv_ref residents)
PV_NAME=${PV_REF#refs/strata/peers/}	# dx-gongshu/v-<token>/residents: the district's policy hides the path
ALICE=330108194007120007	# consents: shared up the tiers
BOB=330109200311128657		# did not consent: never shared

# --- one name everywhere ---
"$STRATA" -C pv datasets >ds.txt
grep -q "^$PV_NAME  *dx-gongshu  *[0-9][0-9]*  *20[0-9-]*T" ds.txt || fail "datasets at the province: $(cat ds.txt)"
grep -q "$CN\|st-wangjiang" ds.txt && fail "datasets at the province names the nodes below the district: $(cat ds.txt)"
grep -q "district-to-province v1 *provincial monitoring of social assistance coverage$" ds.txt || fail "datasets: policy and purpose: $(cat ds.txt)"
consenting=$(awk -F, 'NR > 1 && $NF == "true"' "$TOP_SRCDIR/seeds/residents.csv" | wc -l)
"$STRATA" -C pv datasets --format json >ds.json
python3 - "$PV_NAME" "$consenting" <<'PY' || fail "datasets --format json: $(cat ds.json)"
import json, sys
rows = {r["name"]: r for r in json.load(open("ds.json"))}
r = rows[sys.argv[1]]
assert r["from"] == "dx-gongshu" and r["owner"] is None, r
assert r["records"] == int(sys.argv[2]), (r["records"], sys.argv[2])
assert r["policy"] == "district-to-province v1", r
PY
"$STRATA" -C cn datasets >ds.txt
grep -q "^residents  *own  *$CN  *$(($(wc -l <"$TOP_SRCDIR/seeds/residents.csv") - 1)) " ds.txt || fail "datasets at the community: $(cat ds.txt)"
ok "datasets lists own and received data: sender, owner, records, last change, policy and purpose"

"$STRATA" -C pv export "$PV_NAME" --format csv >pv.csv
[ "$(($(wc -l <pv.csv) - 1))" -eq "$consenting" ] || fail "export of the received dataset: $(wc -l <pv.csv) lines"
head -1 pv.csv | grep -q "^id_number,gender,birth_date,street,income_band" || fail "export header: $(head -1 pv.csv)"
"$STRATA" -C pv log "$PV_NAME" --oneline | grep -q "good .*view for pv-zhejiang" || fail "log of the received dataset"
"$STRATA" -C pv status | grep -q "^  $PV_NAME " || fail "status names it differently: $("$STRATA" -C pv status)"
expect_fail 1 "did you mean '$PV_NAME'?" "$STRATA" -C pv export "st-wangjiang/$CN/residents"
expect_fail 1 "did you mean '$PV_NAME'?" "$STRATA" -C pv log "st-wangjiang/$CN/residents"
expect_fail 1 "did you mean '$PV_NAME'?" "$STRATA" -C pv history "st-wangjiang/$CN/residents" x
expect_fail 1 "did you mean '$PV_NAME'?" "$STRATA" -C pv diff "$CN/residents" HEAD~1 HEAD
expect_fail 1 "invalid dataset name 'dx-gongshu//residents'" "$STRATA" -C pv export "dx-gongshu//residents"
ok "one name for a received dataset in export, log, status, history and diff; a near miss says which exists"

# --- rounds of changes up the tiers: parcels, and HTTPS in the last ---
up() { # ROUND
	"$STRATA" -C st export --to dx-gongshu -o "st.$1.parcel" >/dev/null && "$STRATA" -C dx import "st.$1.parcel" >/dev/null &&
		"$STRATA" -C dx export --to pv-zhejiang -o "dx.$1.parcel" >/dev/null && "$STRATA" -C pv import "dx.$1.parcel" >/dev/null ||
		fail "round $1: the parcels up failed"
}
cp "$TOP_SRCDIR/seeds/residents.csv" r.csv
for round in 1 2 3; do
	# Alice's phone changes every round; Bob's income band too (he never leaves the community)
	sed -i "s/^\($ALICE,[^,]*,[^,]*,[^,]*,\)[0-9]*/\11390000000$round/; s/^\($BOB,\([^,]*,\)\{9\}\)[^,]*/\11000-2999/" r.csv
	echo "3301081999010100$round$round,新人$round,女,1999-01-01,13800000000,\"浙江省杭州市望江街道秋涛路1号\",望江社区,望江街道,wangjiang-001-001,Hnew$round,<1000,true" | fix_rid >>r.csv
	"$STRATA" -C cn import residents r.csv >/dev/null
	if [ "$round" -lt 3 ]; then
		"$STRATA" -C cn export --to st-wangjiang -o "cn.$round.parcel" >/dev/null
		"$STRATA" -C st import "cn.$round.parcel" >/dev/null
	else
		serve_node st
		set_url cn st-wangjiang "$SERVE_PORT"
		"$STRATA" -C cn push st-wangjiang >/dev/null || fail "push: $(cat "$T/st.log")"
		kill "$SERVE_PID"
		wait "$SERVE_PID" 2>/dev/null || true
	fi
	up "$round"
	"$STRATA" -C pv diff "$PV_NAME" HEAD~1 HEAD >d.txt || fail "round $round: diff: $(cat d.txt)"
	grep -q "^+ " d.txt || fail "round $round: the diff of the received dataset shows no new record: $(cat d.txt)"
	n=$("$STRATA" -C pv log "$PV_NAME" --oneline | wc -l)
	[ "$n" -eq $((round + 1)) ] || fail "round $round: the province's log holds $n commits"
done
[ "$("$STRATA" -C pv log "$PV_NAME" --oneline --since "1 hour ago" | wc -l)" -eq 4 ] || fail "log --since 1 hour ago"
[ "$("$STRATA" -C pv log "$PV_NAME" --oneline --until "1 day ago" | wc -l)" -eq 0 ] || fail "log --until 1 day ago"
expect_fail 2 "cannot read the time 'soon'" "$STRATA" -C pv log "$PV_NAME" --since soon
ok "three rounds up four tiers (parcels, then HTTPS): log and diff of the received dataset follow each"

# --- disclosures: who received Alice's data, hop by hop ---
"$STRATA" -C cn disclosures residents "$ALICE" >disc.txt || fail "disclosures: $(cat disc.txt)"
grep -q "^to st-wangjiang, as '$CN/residents':" disc.txt || fail "disclosures: recipient: $(cat disc.txt)"
[ "$(grep -c '^  view commit ' disc.txt)" -eq 4 ] || fail "disclosures: wanted the 4 view commits (import and 3 rounds): $(cat disc.txt)"
grep -q "sent .* (https-push, parcel 4)" disc.txt || fail "disclosures: the HTTPS push: $(cat disc.txt)"
grep -q "sent .* (file-sealed, parcel 1)" disc.txt || fail "disclosures: the parcel file: $(cat disc.txt)"
grep -q '"phone":"139\*\*\*\*0003"' disc.txt || fail "disclosures: the masked phone as sent last: $(cat disc.txt)"
grep -q "policy community-to-street version 1 (blob [0-9a-f]*), purpose: minimum living allowance review" disc.txt ||
	fail "disclosures: policy and purpose: $(cat disc.txt)"
# the fields as the street holds them: exactly the line in its copy
"$STRATA" -C cn disclosures residents "$ALICE" --format json >disc.json
python3 - <<'PY' >line.txt || fail "disclosures --format json: $(cat disc.json)"
import json
d = json.load(open("disc.json"))
assert d["node"] == "cn-wangjiang-01" and d["dataset"] == "residents"
newest = d["disclosures"][0]
assert newest["recipient"] == "st-wangjiang" and newest["via"] == "https-push", newest
print(json.dumps(newest["fields"], ensure_ascii=False, separators=(",", ":"), sort_keys=True))
print(newest["key"][0])
PY
at_st=$(sed -n 1p line.txt) key_st=$(sed -n 2p line.txt)
records st/repo.git "refs/strata/peers/$CN/residents" | grep -qxF "$at_st" || fail "the street does not hold the line disclosures reports: $at_st"
ok "disclosures at the owner: each view commit that carried the record, when and how sent, under which policy, the fields as received"

cont=$(sed -n "s/^    continue there: strata -C <st-wangjiang's node> disclosures \(.*\)$/\1/p" disc.txt)
[ "$cont" = "$CN/residents '$key_st'" ] || fail "disclosures: the command to continue: '$cont'"
"$STRATA" -C st disclosures "$CN/residents" "$key_st" >disc2.txt || fail "disclosures at the street: $(cat disc2.txt)"
grep -q "^to dx-gongshu, as 'st-wangjiang/$CN/residents':" disc2.txt || fail "disclosures at the street: $(cat disc2.txt)"
grep -q "policy street-to-district version 1" disc2.txt || fail "disclosures at the street: policy: $(cat disc2.txt)"
grep -q '"phone"' disc2.txt && fail "the district received a phone number: $(cat disc2.txt)"
key_dx=$(sed -n "s/^    continue there: strata -C <dx-gongshu's node> disclosures st-wangjiang\/$CN\/residents '\(.*\)'$/\1/p" disc2.txt)
"$STRATA" -C dx disclosures "st-wangjiang/$CN/residents" "$key_dx" >disc3.txt || fail "disclosures at the district: $(cat disc3.txt)"
grep -q "^to pv-zhejiang, as '$PV_NAME':" disc3.txt || fail "disclosures at the district: $(cat disc3.txt)"
key_pv=$(sed -n "s/^    continue there: strata -C <pv-zhejiang's node> disclosures .* '\(.*\)'$/\1/p" disc3.txt)
grep -q "^$key_pv," pv.csv || "$STRATA" -C pv export "$PV_NAME" | grep -q "^$key_pv," || fail "the province holds no record under '$key_pv'"
"$STRATA" -C pv disclosures "$PV_NAME" "$key_pv" >disc4.txt || fail "disclosures at the province: $(cat disc4.txt)"
grep -q "never sent" disc4.txt || fail "the province sent it on: $(cat disc4.txt)"
ok "an auditor follows one person from the community to the province with the same command at each node"

"$STRATA" -C cn disclosures residents "$BOB" >disc.txt || fail "disclosures of a non-consenting resident: $(cat disc.txt)"
grep -q "never sent" disc.txt || fail "a resident without consent was disclosed: $(cat disc.txt)"
expect_fail 1 "no record of 'residents' with that key on node '$CN', in any version" "$STRATA" -C cn disclosures residents 1234
"$STRATA" -C cn disclosures residents "$ALICE" --format csv >disc.csv
head -c 3 disc.csv | od -An -tx1 | grep -q "ef bb bf" || fail "disclosures CSV has no UTF-8 mark"
grep -q '望江街道' disc.csv || fail "disclosures CSV lost the Chinese text"
[ "$(grep -c '^carried,st-wangjiang,' disc.csv)" -eq 4 ] || fail "disclosures CSV: $(cat disc.csv)"
ok "a resident who refused consent was never disclosed; an unknown key is an error; CSV for a spreadsheet"

# --- sql over own and received data ---
before=$(node_state pv)
"$STRATA" -C pv sql "SELECT street, income_band, count(*) AS n FROM residents GROUP BY 1, 2 ORDER BY 1, 2" --format csv >q.csv
"$STRATA" -C pv export residents --all-sources --format csv >all.csv
tr -d '\r' <all.csv | awk -F, 'NR > 1 { n[$5 "," $6]++ } END { for (k in n) print k "," n[k] }' | LC_ALL=C sort >want.txt
tail -n +2 q.csv | tr -d '\r' | LC_ALL=C sort >got.txt
cmp -s want.txt got.txt || fail "sql GROUP BY differs from the exported records: $(diff want.txt got.txt | head)"
head -1 all.csv | grep -q "^_source,id_number," || fail "export --all-sources header: $(head -1 all.csv)"
grep -q "^$PV_NAME,$key_pv," all.csv || fail "export --all-sources lacks the received record"
"$STRATA" -C pv sql "SELECT count(*) FROM \"$PV_NAME\" WHERE typeof(birth_date) = 'integer'" | grep -qx "$((consenting + 3))" ||
	fail "sql: one source by its full name, typed from schema.json: $("$STRATA" -C pv sql "SELECT count(*), typeof(birth_date) FROM \"$PV_NAME\"")"
"$STRATA" -C cn sql "SELECT name FROM residents WHERE id_number = '$ALICE' AND consent = TRUE" | grep -qx "郑桂英" || fail "sql at the community"
expect_fail 1 "refused: the statement would delete rows" "$STRATA" -C pv sql "DELETE FROM \"$PV_NAME\""
expect_fail 1 "refused: the statement would attach a database" "$STRATA" -C pv sql "ATTACH 'x.db' AS x"
expect_fail 1 "syntax error" "$STRATA" -C pv sql "SELEC 1"
expect_fail 1 "no such table: resident; the tables are" "$STRATA" -C pv sql "SELECT * FROM resident"
expect_fail 1 "one statement at a time" "$STRATA" -C pv sql "SELECT 1; DROP TABLE residents"
[ "$(node_state pv)" = "$before" ] || fail "sql changed the node"
[ ! -e x.db ] || fail "sql attached a file"
ok "sql: the union of every source with _source, typed columns, the same answer as the records; refusals change nothing"

# --- the audit log by date, peer and kind, as CSV ---
"$STRATA" -C st audit log --since "1 day ago" --until now --peer dx-gongshu --format csv >a.csv
head -c 3 a.csv | od -An -tx1 | grep -q "ef bb bf" || fail "audit CSV has no UTF-8 mark"
head -1 a.csv | grep -q "commit,time,event,subject,sender,recipient,via,datasets,records,policy" || fail "audit CSV header: $(head -1 a.csv)"
[ "$(grep -c ',parcel-export,' a.csv)" -eq 4 ] || fail "audit CSV: wanted the street's 4 parcels to the district: $(cat a.csv)"
grep ',parcel-export,' a.csv | grep -v ",st-wangjiang,dx-gongshu,file-sealed," && fail "audit CSV: sender, recipient, via: $(cat a.csv)"
grep -q "parcel-import" a.csv && fail "audit log --peer dx-gongshu shows the community's parcels: $(cat a.csv)"
"$STRATA" -C st audit log --until 2000-01-01 | grep -q "^no events match" || fail "--until in the past"
"$STRATA" -C st audit log --since "$(date -d tomorrow +%Y-%m-%d)" | grep -q "^no events match" || fail "--since tomorrow"
n_today=$("$STRATA" -C st audit log --since "1 hour ago" --until "$(date +%Y-%m-%d)" --event parcel-import | grep -c "imported from $CN")
[ "$n_today" -eq 4 ] || fail "--since 1 hour ago --until a date: $n_today"
TZ=Asia/Shanghai "$STRATA" -C st audit log | grep -q "^[0-9a-f]\{12\} 20[0-9-]*T[0-9:]*+08:00 " || fail "times in the local zone"
TZ=Asia/Shanghai "$STRATA" -C st audit log --utc | grep -q "^[0-9a-f]\{12\} 20[0-9-]*T[0-9:]*Z " || fail "--utc"
TZ=Asia/Shanghai "$STRATA" -C st audit log --since "$(TZ=UTC date +%Y-%m-%d)T00:00:00Z" | grep -q "imported from" || fail "--since with Z"
before=$(node_state st)
expect_fail 2 "cannot read the time '2026-02-30'" "$STRATA" -C st audit log --since 2026-02-30
expect_fail 2 "cannot read the time 'last tuesday'" "$STRATA" -C st audit log --until "last tuesday"
expect_fail 2 "--since is after --until" "$STRATA" -C st audit log --since today --until yesterday
[ "$(node_state st)" = "$before" ] || fail "a bad date changed the node"
ok "audit log: --since/--until as people write them, --peer, --event, CSV; local time or --utc; bad dates are usage errors"

# --- trace --dot: the node it runs at, and the origin joined to the chain ---
"$STRATA" -C pv trace "$PV_NAME" "$key_pv" --dot >t.dot
grep -q '"here" \[label="pv-zhejiang' t.dot || fail "trace --dot: no node for the province: $(cat t.dot)"
grep -q -- '-> "here"' t.dot || fail "trace --dot: the chain does not reach the province"
grep -q "cluster_origin\|$CN" t.dot && fail "trace --dot at the province draws the hidden origin: $(cat t.dot)"
dot -Tsvg t.dot >t.svg || fail "graphviz cannot draw the trace"
# at the district the origin is known (the street keeps names): drawn and joined to the chain
"$STRATA" -C dx trace "st-wangjiang/$CN/residents" "$key_dx" --dot >t2.dot
grep -q 'cluster_origin' t2.dot && grep -q 'style=dotted, label="through the tiers between"' t2.dot &&
	grep -q "label=\"origin: $CN\"" t2.dot || fail "trace --dot: origin not joined: $(cat t2.dot)"
dot -Tsvg t2.dot >t2.svg || fail "graphviz cannot draw the district's trace"
# the province keeps no phone: one version there; the street saw it change each round
"$STRATA" -C pv history "$PV_NAME" "$key_pv" | grep -c "added    by dx-gongshu, signature good" | grep -qx 1 ||
	fail "history of the received record: $("$STRATA" -C pv history "$PV_NAME" "$key_pv")"
"$STRATA" -C st history "$CN/residents" "$key_st" | grep -c "by $CN, signature good" | grep -qx 4 ||
	fail "history at the street: $("$STRATA" -C st history "$CN/residents" "$key_st")"
ok "trace --dot draws the node it runs at and joins the origin where it is known; history takes the same name"

# --- quiet where there is nothing to do; JSON nulls; help by name ---
"$STRATA" -C dx sync >sync.out || fail "sync at the district: $(cat sync.out)"
grep -q "st-wangjiang" sync.out && fail "sync has a line for a peer that only sends here: $(cat sync.out)"
grep -q "^sync pv-zhejiang: skipped, no url (parcels only)$" sync.out || fail "sync: the parcel-only peer it sends to: $(cat sync.out)"
"$STRATA" -C pv status --json >st.json
python3 - <<'PY' || fail "status --json: $(cat st.json)"
import json
p = json.load(open("st.json"))["peers"][0]
assert p["peer"] == "dx-gongshu" and p["tier"] == "district" and p["direction"] == "pull" and p["url"] is None, p
assert p["out"]["time"] is None and p["out"]["sequence"] == 0 and p["in"]["time"].startswith("20"), p
PY
"$STRATA" help policy risk >h1.txt && "$STRATA" policy risk --help >h2.txt && cmp -s h1.txt h2.txt || fail "strata help policy risk"
ok "sync says nothing of peers that only send here; status --json has nulls, tier, url and direction; strata help CMD"
