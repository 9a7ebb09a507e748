#!/bin/sh
# Sharing as a process across the four tiers, by parcels (and one link over
# HTTPS): every node's catalogue reaches the province; the province files a
# request for a field it does not receive from a community three tiers
# down; the community's officer sees its impact and approves; each relay
# approves its own leg (the district commits a policy version naming the
# request); the province holds the field after the next round.  A refused
# request shows its reason; an unanswered one goes overdue on both sides.
# Bad requests, answers and messages change nothing.  A correction filed at
# the district goes back to the community, is accepted, and the corrected
# value reaches the district with the next import.  The district returns
# grid events down the tiers to two communities under one policy: each
# gets only its own community's rows.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
test_clock

two_nodes
to_province
CN=cn-wangjiang-01

# one exchange round by parcels: each tier's parcel up, each receipt back down
round() {
	rm -f r-*.parcel r-*.parcel.receipt
	for hop in "cn st-wangjiang st" "st dx-gongshu dx" "dx pv-zhejiang pv"; do
		set -- $hop
		"$STRATA" -C "$1" export --to "$2" -o "r-$1.parcel" >/dev/null
		"$STRATA" -C "$3" import "r-$1.parcel" >/dev/null
		"$STRATA" -C "$1" import "r-$1.parcel.receipt" >/dev/null
	done
}
json_get() { # FILTER-PYTHON-EXPR: reads JSON on stdin
	python3 -c "import json, sys; rows = json.load(sys.stdin); print($1)"
}

# --- the catalogue ---
round
"$STRATA" -C pv catalog --json >cat.json
json_get "' '.join(sorted(r['owner'] + '/' + r['dataset'] + ':' + r['attribute'] for r in rows))" <cat.json >cat.txt
grep -q "$CN/residents:conditional" cat.txt && grep -q "$CN/grid-events:conditional" cat.txt ||
	fail "the province's catalogue: $(cat cat.txt)"
json_get "[r['path'] for r in rows if r['dataset'] == 'residents'][0]" <cat.json | grep -q "^$CN > st-wangjiang > dx-gongshu > pv-zhejiang$" ||
	fail "the path a catalogue came by: $(cat cat.json)"
json_get "[r['fields'] for r in rows if r['dataset'] == 'residents'][0]" <cat.json | grep -q "id_number, name, gender" ||
	fail "an undescribed dataset lists its field names"
! grep -q '330108\|郑桂英' cat.json || fail "a value in the catalogue"
ok "every node's catalogue reaches the province with the exchanges: owner, path, fields, no value"

"$STRATA" -C cn catalog describe residents --title "望江社区常住居民" --description "户籍与常住人口登记" \
	--attribute conditional --frequency 每日 --contact 社区数据管理员 --label community=所属社区 --class phone=敏感 >/dev/null
"$STRATA" -C cn catalog describe grid-events --title "网格事件" --attribute closed >/dev/null
before=$(node_state cn)
expect_fail 1 "--attribute 'secret'" "$STRATA" -C cn catalog describe residents --attribute secret
expect_fail 1 "the dataset has no field 'shoe'" "$STRATA" -C cn catalog describe residents --label shoe=鞋
expect_fail 1 "not the name of a dataset this node owns" "$STRATA" -C st catalog describe "$CN/residents" --title x
[ "$before" = "$(node_state cn)" ] || fail "a refused description changed the node"
round
"$STRATA" -C pv catalog --search 常住 --format csv >found.csv
grep -q "望江社区常住居民" found.csv && grep -q "community (所属社区)" found.csv && ! grep -q grid-events found.csv ||
	fail "search: $(cat found.csv)"
"$STRATA" -C pv catalog --json | json_get "[r['attribute'] for r in rows if r['dataset'] == 'grid-events'][0]" | grep -qx closed ||
	fail "a closed dataset is listed as closed"
ok "an officer's description (Chinese text) travels, and the catalogue is searched by it"

# --- bad requests change nothing ---
before=$(node_state pv)
expect_fail 1 "is closed" "$STRATA" -C pv request "$CN/grid-events" --fields category --purpose p --basis b
expect_fail 1 "has no field 'shoe_size'" "$STRATA" -C pv request "$CN/residents" --fields shoe_size --purpose p --basis b
expect_fail 1 "lists no dataset 'cars'" "$STRATA" -C pv request "$CN/cars" --fields x --purpose p --basis b
expect_fail 1 "no catalogue of 'cn-nowhere'" "$STRATA" -C pv request cn-nowhere/residents --fields x --purpose p --basis b
expect_fail 1 "needs its purpose" "$STRATA" -C pv request "$CN/residents" --fields community --purpose '' --basis b
expect_fail 2 "usage" "$STRATA" -C pv request "$CN/residents" --fields community --purpose p
expect_fail 1 "a node does not request its own data" "$STRATA" -C cn request "$CN/residents" --fields phone --purpose p --basis b
[ "$before" = "$(node_state pv)" ] || fail "a refused request changed the node"
ok "requests for a closed dataset, a missing field or dataset, an unknown node, without a purpose: refused, nothing changed"

# --- a request, approved by the owner and each relay ---
"$STRATA" -C pv request "$CN/residents" --fields community --purpose "核对各社区低保覆盖" --basis "政务数据共享条例 第十三条" >req.out
id=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req.out)
[ -n "$id" ] || fail "no request id: $(cat req.out)"
"$STRATA" -C pv requests --json | json_get "rows[0]['status'] + ' ' + rows[0]['waiting_on'] + ' ' + rows[0]['legs']" |
	grep -qx "open $CN st-wangjiang open, dx-gongshu open" || fail "pv's request: $("$STRATA" -C pv requests)"
for _ in 1 2 3; do round; done
"$STRATA" -C cn requests --json >cn-req.json
json_get "rows[0]['role'] + ' ' + rows[0]['status'] + ' ' + rows[0]['from']" <cn-req.json | grep -qx "owner open pv-zhejiang" ||
	fail "the request at its owner: $(cat cn-req.json)"
json_get "rows[0]['impact']" <cn-req.json | grep -q "records; unique on the fields asked: " ||
	fail "no impact for the owner: $(cat cn-req.json)"
"$STRATA" -C st requests --json | json_get "rows[0]['role'] + ' ' + rows[0]['status']" | grep -qx "relay open" ||
	fail "the request at a relay"
ok "the request travels hop by hop to its owner, who sees its impact on the real data"

before=$(node_state cn)
before_st=$(node_state st)
expect_fail 1 "no request '0000000000000000'" "$STRATA" -C cn answer 0000000000000000 --refuse --reason x
expect_fail 1 "not a request id" "$STRATA" -C cn answer zz --refuse --reason x
expect_fail 1 "needs its reason" "$STRATA" -C cn answer "$id" --refuse --reason ''
expect_fail 2 "usage" "$STRATA" -C cn answer "$id" --approve --refuse
expect_fail 1 "has not answered yet" "$STRATA" -C st answer "$id" --approve
expect_fail 1 "was filed here" "$STRATA" -C pv answer "$id" --approve
[ "$before" = "$(node_state cn)" ] && [ "$before_st" = "$(node_state st)" ] || fail "a refused answer changed a node"
ok "answers to nothing, without a reason, by a relay before the owner, by the requester: refused, nothing changed"

"$STRATA" -C cn answer "$id" --approve >/dev/null	# its street policy shares community already
expect_fail 1 "already answered here" "$STRATA" -C cn answer "$id" --refuse --reason late
round
"$STRATA" -C pv requests --json | json_get "rows[0]['status'] + ' / ' + rows[0]['waiting_on']" |
	grep -qx "approved, legs open / st-wangjiang, dx-gongshu" || fail "after the owner: $("$STRATA" -C pv requests --json)"
"$STRATA" -C st answer "$id" --approve >/dev/null	# street-to-district keeps community
before=$(node_state dx)
expect_fail 1 "does not share field 'community'" "$STRATA" -C dx answer "$id" --approve
sed -e 's/^version: 1/version: 2/' -e 's/^      street: keep/      street: keep\n      community: keep/' \
	"$TOP_SRCDIR/policies/district-to-province.yaml" >dp2.yaml
expect_fail 1 "does not name request $id" "$STRATA" -C dx answer "$id" --approve --policy dp2.yaml
[ "$before" = "$(node_state dx)" ] || fail "a refused approval changed the district"
printf 'requests: [%s]\n' "$id" >>dp2.yaml
view=$(pv_ref residents | sed 's|refs/strata/peers/||')
"$STRATA" -C pv export "$view" --format csv | head -1 | grep -qv community || fail "the province had community before"
"$STRATA" -C dx answer "$id" --approve --policy dp2.yaml >/dev/null
round
"$STRATA" -C pv requests --json | json_get "rows[0]['status'] + ' ' + rows[0]['legs']" |
	grep -q "^approved st-wangjiang approved (street-to-district v1), dx-gongshu approved (district-to-province v2)$" ||
	fail "after every leg: $("$STRATA" -C pv requests --json)"
"$STRATA" -C pv export "$view" --format csv | head -1 | grep -q community || fail "the field did not arrive"
"$STRATA" -C pv export "$view" --format csv | grep -q 望江社区 || fail "no community value at the province"
ok "approved by the owner and each relay (the district's new policy names the request): the province holds the field one round later"

# every step in both audit logs, signed, and stock git verifies them
for n in pv cn; do
	git -C "$n/repo.git" log --format=%B refs/strata/audit | grep -q "$id" || fail "request $id is not in $n's audit log"
done
git -C cn/repo.git log --format=%B refs/strata/audit | grep -q "^Strata-Decision: approve" || fail "cn's approval event"
git -C pv/repo.git log --format=%B refs/strata/audit | grep -q "^Strata-Answer: $id approve dx-gongshu relay" ||
	fail "the district's leg at the province"
git -C dx/repo.git show "refs/strata/policies:district-to-province.yaml" | grep -q "requests: \[$id\]" ||
	fail "the committed policy does not name the request"
sgit "$T/pv" verify-commit refs/strata/audit 2>err || fail "stock git rejects the province's audit head: $(cat err)"
"$STRATA" -C pv verify --all >/dev/null || fail "verify --all at the province"
"$STRATA" -C pv audit log --request "$id" >story.txt
grep -q "user (requester): pv-zhejiang" story.txt && grep -q "source (owner):   $CN; approve" story.txt &&
	grep -q "managers (relays): st-wangjiang approved (street-to-district v1), dx-gongshu approved" story.txt &&
	grep -q "request-filed" story.txt || fail "the request's story: $(cat story.txt)"
"$STRATA" -C cn audit log --request "$id" | grep -q "request-answered" || fail "the owner's story has no answer"
expect_fail 1 "no request '0000000000000000'" "$STRATA" -C pv audit log --request 0000000000000000
expect_fail 2 "16 hex digits" "$STRATA" -C pv audit log --request x
ok "each step is an event in the requester's and the owner's audit logs, signed; the policy version names the request"

# --- a refusal, and a request left unanswered ---
"$STRATA" -C pv request "$CN/residents" --fields phone --purpose "联系核实" --basis "条例" >req2.out
id2=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req2.out)
"$STRATA" -C pv request "$CN/residents" --fields address --purpose "走访" --basis "条例" --within 2 >req3.out
id3=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req3.out)
for _ in 1 2 3; do round; done
"$STRATA" -C cn answer "$id2" --refuse --reason "电话号码不在共享范围内" >/dev/null
tick $((5 * 86400))
round
"$STRATA" -C pv requests --json >pv-req.json
python3 - "$id2" "$id3" <<'EOF' || fail "refused and overdue at the province: $(cat pv-req.json)"
import json, sys
rows = {r["id"]: r for r in json.load(open("pv-req.json"))}
r2, r3 = rows[sys.argv[1]], rows[sys.argv[2]]
assert r2["status"] == "refused" and r2["reason"] == "电话号码不在共享范围内", r2
assert r3["status"] == "overdue" and r3["waiting_on"] == "cn-wangjiang-01", r3
EOF
"$STRATA" -C cn requests --open --json | json_get "' '.join(r['id'] + ':' + r['status'] for r in rows)" | grep -qx "$id3:overdue" ||
	fail "the owner's open requests: $("$STRATA" -C cn requests --open)"
"$STRATA" -C pv export "$view" --format csv | head -1 | grep -qv phone || fail "a refused field arrived"
ok "a refusal reaches the requester with its reason; an unanswered request is overdue on both sides"

# --- the same messages again, and forged ones ---
round
audit=$(git -C cn/repo.git rev-parse refs/strata/audit)
"$STRATA" -C cn import r-cn.parcel.receipt >/dev/null 2>&1 || true
[ "$audit" = "$(git -C cn/repo.git rev-parse refs/strata/audit)" ] || fail "a receipt taken twice changed cn's audit log"
ok "messages already held change nothing"

serve_node st
set_url dx st-wangjiang "$SERVE_PORT"
set_url cn st-wangjiang "$SERVE_PORT"
# a genuine message with one byte of its body changed, sent by an authenticated peer in a pull's state
grep '^message ' r-cn.parcel.receipt | head -1 | cut -d' ' -f2 | python3 -c '
import base64, json, sys
env = json.loads(base64.b64decode(sys.stdin.read().strip()))
env["body"] = env["body"].replace("\"v\":1", "\"v\":1 ", 1)
env["hops"] = env["hops"] + ["dx-gongshu"] if env["hops"][-1] != "dx-gongshu" else env["hops"]
print("sequence 0\nmessage " + base64.b64encode(json.dumps(env).encode()).decode())
' >forged.state
process=$(git -C st/repo.git rev-parse refs/strata/audit:process)
"$NET_POST" dx st-wangjiang /v1/pull forged.state >resp
grep -q "process-message" st/refused.log && grep -q "signature does not verify\|not the one" st/refused.log ||
	fail "a forged message is not in refused.log: $(tail -2 st/refused.log)"
[ "$process" = "$(git -C st/repo.git rev-parse refs/strata/audit:process)" ] || fail "a forged message changed st's process state"
ok "a forged message in an authenticated peer's state: refused, recorded, nothing changed"

# --- the same over HTTPS: the street asks its community; the request goes with the state, the answer with the push ---
"$STRATA" -C st request "$CN/residents" --fields grid_code --purpose "网格走访" --basis "条例" >req4.out
id4=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req4.out)
"$STRATA" -C cn sync >/dev/null
"$STRATA" -C cn requests --json | json_get "[r['status'] for r in rows if r['id'] == '$id4'][0]" | grep -qx open ||
	fail "the request did not come with the HTTPS state"
"$STRATA" -C cn answer "$id4" --approve >/dev/null
"$STRATA" -C cn sync >/dev/null
"$STRATA" -C st requests --json | json_get "[r['status'] for r in rows if r['id'] == '$id4'][0]" | grep -qx approved ||
	fail "the answer did not come with the push: $("$STRATA" -C st requests)"
ok "over HTTPS: the request with the daemon's state, the answer with the next push"

# --- data returned down the tiers: one policy, each community its own rows ---
"$STRATA" init cn2 --name cn-cuiyuan-02 --tier community >/dev/null
"$STRATA" -C dx policy commit "$TOP_SRCDIR/policies/district-to-community.yaml" >/dev/null
"$STRATA" -C dx peer add "$CN" --key cn/keys/node.pub --tier community --direction push \
	--policy district-to-community --attr community=望江社区 >/dev/null
"$STRATA" -C cn peer add dx-gongshu --key dx/keys/node.pub --tier district --direction pull >/dev/null
"$STRATA" -C dx peer add cn-cuiyuan-02 --key cn2/keys/node.pub --tier community --direction push \
	--policy district-to-community >/dev/null
"$STRATA" -C cn2 peer add dx-gongshu --key dx/keys/node.pub --tier district --direction pull >/dev/null
before=$(node_state dx)
expect_fail 1 "nothing says what that is for peer 'cn-cuiyuan-02': strata peer set cn-cuiyuan-02 --attr community=VALUE" \
	"$STRATA" -C dx export --to cn-cuiyuan-02 -o nope.parcel
expect_fail 1 "attributes 'community': each is NAME=VALUE" "$STRATA" -C dx peer set cn-cuiyuan-02 --attr community
[ "$before" = "$(node_state dx)" ] && [ ! -e nope.parcel ] || fail "a refused return changed the district"
"$STRATA" -C dx peer set cn-cuiyuan-02 --attr community=翠苑社区 >/dev/null
for pair in "cn $CN" "cn2 cn-cuiyuan-02"; do
	set -- $pair
	"$STRATA" -C dx export --to "$2" -o "back-$1.parcel" >/dev/null
	"$STRATA" -C "$1" import "back-$1.parcel" >/dev/null
	"$STRATA" -C "$1" sql "SELECT community, count(*) FROM \"grid-events\" WHERE _source LIKE 'dx-gongshu/%' GROUP BY 1" \
		--format csv | tail -n +2 | tr -d '\r' >"back-$1.csv"
done
grep -q '^望江社区,[1-9]' back-cn.csv && [ "$(wc -l <back-cn.csv)" = 1 ] || fail "cn got: $(cat back-cn.csv)"
grep -q '^翠苑社区,[1-9]' back-cn2.csv && [ "$(wc -l <back-cn2.csv)" = 1 ] || fail "cn2 got: $(cat back-cn2.csv)"
v=$(git -C dx/repo.git for-each-ref --format='%(refname)' "refs/strata/views/cn-cuiyuan-02/" | head -1)
git -C dx/repo.git log -1 --format=%B "$v" | grep -qx "Strata-Recipient-Filter: community=翠苑社区" ||
	fail "the view does not say whose rows it holds"
for v in $(git -C dx/repo.git for-each-ref --format='%(refname)' refs/strata/views/cn-cuiyuan-02/); do
	"$STRATA" -C dx audit view "$v" >/dev/null || fail "audit view $v"
done
ok "the district returns grid events down the tiers under one policy: each community only its own rows, audited"

# --- a standing rule for open data: approved as it comes, still recorded per request ---
before=$(node_state cn)
expect_fail 1 "a standing rule (--auto-approve) is for an open dataset" \
	"$STRATA" -C cn catalog describe residents --auto-approve district --auto-fields gender
expect_fail 1 "'mayor' is not a tier" "$STRATA" -C cn catalog describe residents --attribute open --auto-approve mayor --auto-fields gender
expect_fail 1 "the dataset has no field 'shoe'" "$STRATA" -C cn catalog describe residents --attribute open --auto-approve district --auto-fields shoe
expect_fail 2 "usage" "$STRATA" -C cn catalog describe residents --attribute open --auto-approve district
[ "$before" = "$(node_state cn)" ] || fail "a refused standing rule changed the node"
"$STRATA" -C cn catalog describe residents --attribute open --auto-approve street --auto-fields gender,street >/dev/null
round
"$STRATA" -C st request "$CN/residents" --fields gender --purpose "养老走访" --basis "条例" >req5.out
id5=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req5.out)
"$STRATA" -C st request "$CN/residents" --fields gender,name --purpose "统计" --basis "条例" >req6.out
id6=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req6.out)
for _ in 1 2 3 4; do round; done
"$STRATA" -C cn requests --json >cn-rule.json
python3 - "$id5" "$id6" <<'PY' || fail "the standing rule: $(cat cn-rule.json)"
import json, sys
rows = {r["id"]: r for r in json.load(open("cn-rule.json"))}
a, b = rows[sys.argv[1]], rows[sys.argv[2]]
assert a["decision"] == "approve" and "standing rule" in a["reason"] and a["policy"] == "community-to-street v1", a
assert not b["decision"] and b["status"] == "open", b	# a field the rule does not name: its officer decides
PY
"$STRATA" -C st requests --json | python3 -c "
import json, sys
r = [r for r in json.load(sys.stdin) if r['id'] == '$id5'][0]
assert r['status'] == 'approved' and r['policy'] == 'community-to-street v1', r" || fail "the street did not get the rule's answer"
git -C cn/repo.git log --format=%B refs/strata/audit | grep -q "^Strata-Request: $id5 st-wangjiang $CN/residents: approved by the owner's standing rule" ||
	fail "the rule's approval is not in the owner's audit log"
ok "a standing rule for open data approves a street's request for the fields it names as it comes (recorded); one asking more waits for the officer"

# --- a correction at the district goes back to the community; accepted, fixed, the value comes back ---
dsx=$("$STRATA" -C dx datasets --received --format csv | tr -d '\r' | cut -d, -f1 | grep "/$CN/residents\$" | head -1)
[ -n "$dsx" ] || fail "the district holds no residents of $CN"
"$STRATA" -C dx export "$dsx" --format csv | tr -d '\r' | sed -n 2p >rec.csv
k=$(cut -d, -f1 <rec.csv)
before=$(node_state dx)
expect_fail 1 "no record with that key in '$dsx' here" "$STRATA" -C dx correct "$dsx" nokey --field income_band --value x --note n
expect_fail 1 "a correction needs its note" "$STRATA" -C dx correct "$dsx" "$k" --field income_band --value x --note ''
expect_fail 1 "has no field 'shoe'" "$STRATA" -C dx correct "$dsx" "$k" --field shoe --value x --note n
expect_fail 2 "usage" "$STRATA" -C dx correct "$dsx" "$k" --field income_band --value x
[ "$before" = "$(node_state dx)" ] || fail "a refused correction changed the district"
"$STRATA" -C dx correct "$dsx" "$k" --field income_band --value "0-2999" --note "民政核对：已领取低保" >cor.out
cid=$(sed -n 's/^correction \([0-9a-f]\{16\}\) filed.*/\1/p' cor.out)
[ -n "$cid" ] || fail "no correction id: $(cat cor.out)"
for _ in 1 2 3; do round; done
"$STRATA" -C st corrections --json | python3 -c "
import json, sys
r = [r for r in json.load(sys.stdin) if r['id'] == '$cid'][0]
assert r['role'] == 'relay' and r['status'] == 'open', r" || fail "the street did not pass the correction on"
"$STRATA" -C cn corrections --json >cn-cor.json
rec=$(python3 -c "
import json, sys
r = [r for r in json.load(open('cn-cor.json')) if r['id'] == '$cid'][0]
assert r['role'] == 'owner' and r['status'] == 'open' and r['value'] == '0-2999' and r['current'] != '0-2999', r
print(r['record'])") || fail "the correction at its owner: $(cat cn-cor.json)"
grep -q "\"$rec\"" cn-cor.json && ! grep -q "$k" cn-cor.json || fail "the owner's listing"
git -C cn/repo.git log --format=%B refs/strata/audit | grep -q "^Strata-Correction: $cid dx-gongshu received as the owner" ||
	fail "the correction is not in the owner's audit log"
! git -C cn/repo.git show "refs/strata/audit:process/corrections/$cid" | grep -q "$rec" ||
	fail "the owner's audit log names the record's key (it keeps only its token)"
expect_fail 1 "not for a record this node owns" "$STRATA" -C st corrections accept "$cid"
expect_fail 1 "a rejection needs its reason" "$STRATA" -C cn corrections reject "$cid"
"$STRATA" -C cn corrections accept "$cid" >/dev/null
expect_fail 1 "answered already" "$STRATA" -C cn corrections reject "$cid" --reason late
# the officer fixes the record at its source and imports it again
"$STRATA" -C cn export residents --format csv | python3 -c "
import csv, sys
rows = list(csv.reader(sys.stdin))
i = rows[0].index('income_band'); k = rows[0].index('id_number')
for r in rows[1:]:
    if r[k] == '$rec': r[i] = '0-2999'
csv.writer(sys.stdout, lineterminator='\n').writerows(rows)" >fixed.csv
"$STRATA" -C cn import residents fixed.csv >/dev/null
"$STRATA" -C cn corrections --json | grep -q '"status": "done"' || fail "accepted and imported, but not done"
round
"$STRATA" -C dx corrections --json | python3 -c "
import json, sys
r = [r for r in json.load(sys.stdin) if r['id'] == '$cid'][0]
assert r['role'] == 'filed' and r['status'] == 'accepted' and r['decision'] == 'accept', r" || fail "the answer did not reach the district"
"$STRATA" -C dx export "$dsx" --format csv | tr -d '\r' | grep "^$k," | grep -q ',0-2999' ||
	fail "the corrected value did not reach the district: $("$STRATA" -C dx export "$dsx" --format csv | grep "^$k,")"
ok "a correction filed at the district reaches the community through the street, is accepted and fixed; the value and the answer come back"

# a record the province received under the approved request's policy version: its trace names the request
pvkey=$("$STRATA" -C pv export "$view" --format csv | tr -d '\r' | sed -n 2p | cut -d, -f1)
"$STRATA" -C pv trace residents "$pvkey" >trace.txt
grep -q "under the requests for data: .*$id" trace.txt || fail "the trace does not name request $id: $(cat trace.txt)"
"$STRATA" -C pv trace residents "$pvkey" --json | python3 -c "
import json, sys
assert '$id' in json.load(sys.stdin)['hops'][0]['requests']" || fail "the JSON trace does not name the request"
ok "a record received under an approved request's policy version: its trace names the request"

# the request as evidence: at the province (filer) and at the owner, its signed messages, checked with no node
"$STRATA" -C pv evidence export --request "$id" -o req-pv.ev >ev.out || fail "evidence export --request at pv: $(cat ev.out)"
"$STRATA" -C cn evidence export --request "$id" -o req-cn.ev >/dev/null || fail "evidence export --request at the owner"
mkdir ev-empty && cp req-pv.ev req-cn.ev ev-empty/
(cd ev-empty && "$STRATA" evidence verify req-pv.ev >../req.v 2>../req.err) || fail "verify the request's evidence: $(cat req.v req.err)"
grep -q "request $id: filed by pv-zhejiang for residents of $CN, signed" req.v &&
	grep -q "request $id: $CN (owner) answered approve, signed" req.v &&
	grep -q "request $id: dx-gongshu (relay) answered approve, signed" req.v || fail "the request's evidence: $(cat req.v)"
(cd ev-empty && "$STRATA" evidence verify req-cn.ev >/dev/null) || fail "the owner's evidence of the request"
tar xOf req-pv.ev report.html | grep -q "政务数据共享条例 第十三条" || fail "the report does not give the legal basis"
# a message changed inside (its digest), a part that says other than its messages
python3 - req-pv.ev req-bad.ev "request/$id.json" <<'PY'
import io, sys, tarfile
tin = tarfile.open(sys.argv[1]); tout = tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT)
for m in tin.getmembers():
    d = tin.extractfile(m).read()
    if m.name == sys.argv[3]:
        d = d.replace(b'"answers": [', b'"answers": [\n  "eyJib2R5Ijoi",', 1)
    m.size = len(d); tout.addfile(m, io.BytesIO(d))
tout.close()
PY
expect_fail 3 "its SHA-256 differs" "$STRATA" evidence verify req-bad.ev
before=$(node_state pv)
expect_fail 1 "no request '0000000000000000'" "$STRATA" -C pv evidence export --request 0000000000000000 -o none.ev
expect_fail 2 "usage" "$STRATA" -C pv evidence export --request "$id" --erasure 0000000000000000 -o none.ev
[ ! -e none.ev ] && [ "$(node_state pv)" = "$before" ] || fail "a refused export wrote a file or changed the node"
ok "a request as evidence: its signed messages (request, owner's and relays' answers), checked with no node; a change refused"
