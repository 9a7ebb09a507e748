#!/bin/sh
# Forgetting a person across the four tiers: the community erases one
# resident; the erasure travels down with the next parcels; at every tier
# no object, reachable or not, holds any of that person's values (raw at
# the community, redacted above); every other record stays, signed and
# traceable; the community sees the street's confirmation, each tier its
# own recipient's.  Bad erasures change nothing.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
test_clock	# the retention check below moves it on a month

two_nodes
to_province
seed=$TOP_SRCDIR/seeds/residents.csv
# a consenting resident who reaches the province
key=$(sed -n 2p "$seed" | cut -d, -f1)

# the person's values at each tier, as each tier holds them (disclosures: the fields as received, and the key there)
# keep VALUES... > FILE: those of 6 bytes or more that no other record of that tier holds
canaries() { # NODE REF FIELDS_JSON -> values unique to this record at NODE
	records "$1/repo.git" "$2" >all.$1
	echo "$3" | python3 -c '
import json, sys
fields = json.load(sys.stdin)
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
for v in fields.values():
    if isinstance(v, str) and len(v.encode()) >= 6 and sum(1 for l in lines if json.dumps(v, ensure_ascii=False)[1:-1] in l) == 1:
        print(v)
' all.$1
}
"$STRATA" -C cn export residents --format jsonl | python3 -c "
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r['id_number'] == '$key':
        print(json.dumps(r, ensure_ascii=False))
" >raw.json
canaries cn refs/strata/datasets/residents "$(cat raw.json)" >canaries.cn
d1=$("$STRATA" -C cn disclosures residents "$key" --format json)
k_st=$(echo "$d1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["disclosures"][0]["key"][0])')
canaries st refs/strata/peers/cn-wangjiang-01/residents "$(echo "$d1" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["disclosures"][0]["fields"]))')" >canaries.st
d2=$("$STRATA" -C st disclosures cn-wangjiang-01/residents "$k_st" --format json)
k_dx=$(echo "$d2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["disclosures"][0]["key"][0])')
canaries dx refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents "$(echo "$d2" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["disclosures"][0]["fields"]))')" >canaries.dx
d3=$("$STRATA" -C dx disclosures st-wangjiang/cn-wangjiang-01/residents "$k_dx" --format json)
canaries pv "$(pv_ref residents)" "$(echo "$d3" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["disclosures"][0]["fields"]))')" >canaries.pv
for n in cn st dx pv; do
	[ -s "canaries.$n" ] || fail "no value unique to the person at $n"
	while IFS= read -r v; do
		git -C "$n/repo.git" cat-file --batch-all-objects --batch | grep -a -q -F -- "$v" || fail "$n does not hold '$v' to begin with"
	done <"canaries.$n"
done
other=$(sed -n 3p "$seed" | cut -d, -f1)
ok "the person's values are found at every tier before: $(cat canaries.cn canaries.st canaries.dx canaries.pv | wc -l) of them"

# --- bad erasures change nothing ---
before=$(node_state cn)
expect_fail 1 "no version of dataset 'residents' holds a record with that key" "$STRATA" -C cn erase residents 000000000000000000 --reason "test"
expect_fail 1 "keyed by 1 field, and 2 values were given" "$STRATA" -C cn erase residents "$key" extra --reason "test"
expect_fail 2 "usage" "$STRATA" -C cn erase residents "$key"
expect_fail 1 "--reason must be one line" "$STRATA" -C cn erase residents "$key" --reason "$(printf 'a\nb')"
[ "$(node_state cn)" = "$before" ] || fail "a refused erasure changed the community"
before=$(node_state st)
expect_fail 1 "a record is erased by the node that owns it" "$STRATA" -C st erase cn-wangjiang-01/residents "$k_st" --reason "test"
[ "$(node_state st)" = "$before" ] || fail "an erasure refused at the street changed it"
ok "an erasure of no record, with the wrong key, without a reason, or of received data is refused; nothing changes"

# --- the erasure, and the parcels that carry it down ---
"$STRATA" -C cn erase residents "$key" --reason "resident request 2026-118" >out
grep -q "^erasure [0-9a-f]\{16\}: the record is gone from residents (present, 1 version in its history); 1 view cut" out ||
	fail "erase: $(cat out)"
erasure=$(sed -n 's/^erasure \([0-9a-f]*\):.*/\1/p' out)
"$STRATA" -C cn audit log | grep -q "erase .*record erased from residents and its history (erasure $erasure)" || fail "no erase event"
git -C cn/repo.git log --format=%B refs/strata/audit | grep -q "^Strata-Key-Token: [0-9a-f]\{16\}$" || fail "the event does not name the key's token"
! git -C cn/repo.git log --format=%B refs/strata/audit | grep -q "Key-Hash" || fail "the audit log names a key hash"
"$STRATA" -C cn erasures --pending >out 2>&1 && fail "nothing pending right after the erasure"
grep -q "$erasure  *st-wangjiang  *residents  *pending" out || fail "erasures at the community: $(cat out)"
"$STRATA" -C cn export --to st-wangjiang -o e1.parcel >/dev/null
cp e1.parcel e1-copy.parcel	# a carrier's copy: the community removes its own once confirmed
"$STRATA" -C st import --keep e1.parcel >/dev/null || fail "the street refuses the cut: $(cat "$T/err" 2>/dev/null)"
"$STRATA" -C cn import e1.parcel.receipt >/dev/null
"$STRATA" -C st export --to dx-gongshu -o e2.parcel >/dev/null
"$STRATA" -C dx import e2.parcel >/dev/null
"$STRATA" -C st import e2.parcel.receipt >/dev/null
"$STRATA" -C dx export --to pv-zhejiang -o e3.parcel >/dev/null
"$STRATA" -C pv import e3.parcel >/dev/null
"$STRATA" -C dx import e3.parcel.receipt >/dev/null
for n in st dx pv; do
	"$STRATA" -C "$n" audit log | grep -q "erasure-applied" || fail "no erasure-applied event at $n"
done
ok "the erasure travels in the ordinary parcels: each tier accepts the cut, cuts what it built from it, and passes it on"

# --- the erasure names no one: the attack of a street that knows the person's birth month and region ---
# everything each recipient holds (every object), and everything the owner keeps (its audit log and ledger
# included), searched for anything a dictionary over candidate ID numbers could confirm: the plain key
# hash, a digest of it, and a cut id made the way it once was (node, dataset, key hash, time in seconds)
erased_at=$(git -C cn/repo.git log -1 --format=%ct --grep="^Strata-Event: erase$" refs/strata/audit)
for n in st dx pv; do
	git -C "$n/repo.git" cat-file --batch-all-objects --batch
	git -C "$n/repo.git" log -p --format=%B refs/strata/audit
done >recipients.txt
{ git -C cn/repo.git cat-file --batch-all-objects --batch; git -C cn/repo.git log -p --format=%B refs/strata/audit; } >owner.txt
python3 - "$key" "$erased_at" recipients.txt owner.txt <<'PY' || fail "what the nodes hold confirms a guess of the erased person's ID"
import hashlib, json, re, sys
key, t0 = sys.argv[1], int(sys.argv[2])
def hexes(path):
    held = set(re.findall(r"[0-9a-f]{16,64}", open(path, "rb").read().decode("latin-1")))
    return held | {h[:16] for h in held}
recipients, owner = hexes(sys.argv[3]), hexes(sys.argv[4])
weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
def check(s17):
    return "10X98765432"[sum(int(c) * w for c, w in zip(s17, weights)) % 11]
# what the street knows: the region code and the birth month; every day and sequence number is a candidate
region, ym = key[:6], key[6:12]
cands = [region + ym + "%02d" % d + "%03d" % q for d in range(1, 32) for q in range(1000)]
cands = [c + check(c) for c in cands]
assert key in cands, "the true ID is among the candidates"
hits = []
for c in cands:
    h = hashlib.sha256(json.dumps([c]).encode()).hexdigest()
    probes = [h, hashlib.sha256(h.encode()).hexdigest(), hashlib.sha256(c.encode()).hexdigest()]
    if c == key:	# the cut id as it was made before: node, dataset, key hash, the time in seconds
        probes += [hashlib.sha256(("cn-wangjiang-01\nresidents\n%s\n%d" % (h, t)).encode()).hexdigest()
                   for t in range(t0 - 3, t0 + 2)]
    for p in probes:
        # at a recipient no candidate may be confirmed; the owner holds its living residents' key hashes, not the erased one's
        if p in recipients or p[:16] in recipients or (c == key and (p in owner or p[:16] in owner)):
            hits.append(c)
print("%d candidates, %d confirmed" % (len(cands), len(hits)))
sys.exit(1 if hits else 0)
PY
ok "the erasure names no one: over $(python3 -c 'print(31*1000)') candidate ID numbers (the true one among them), nothing any node holds confirms one"

# --- nothing of the person anywhere; everything else intact ---
for n in cn st dx pv; do
	git -C "$n/repo.git" cat-file --batch-all-objects --batch >objects.$n
	while IFS= read -r v; do
		! grep -a -q -F -- "$v" "objects.$n" || fail "'$v' is still in an object of $n"
	done <"canaries.$n"
	git -C "$n/repo.git" fsck --strict --no-dangling >fsck.out 2>&1 || fail "fsck at $n: $(cat fsck.out)"
	"$STRATA" -C "$n" verify --all >out || fail "verify --all at $n: $(cat out)"
	"$STRATA" -C "$n" doctor >/dev/null || fail "doctor at $n: $("$STRATA" -C "$n" doctor)"
done
[ "$("$STRATA" -C cn export residents | wc -l)" = "$(($(wc -l <"$seed") - 1))" ] || fail "the community lost more than one record"
"$STRATA" -C cn history residents "$other" >out || fail "history of another record"
grep -q "added" out || fail "history of another record: $(cat out)"
"$STRATA" -C pv datasets --format csv | grep -q residents || fail "the province lost its residents"
ok "no object at any tier holds the person's values (raw or redacted); fsck, verify --all and doctor pass; the other records remain"

# --- confirmations: each tier sees its recipient's, and what its recipient told of the tiers below ---
# the street's receipt was written when the district had not yet had the cut: the community knows that much
"$STRATA" -C cn erasures --format csv >out.csv && fail "the community knows of no pending erasure below the street: $(cat out.csv)"
tr -d '\r' <out.csv >out2.csv
grep -q "^$erasure,st-wangjiang,residents,confirmed," out2.csv || fail "erasures at the community: $(cat out2.csv)"
grep -q "^$erasure,dx-gongshu,,pending,,st-wangjiang," out2.csv || fail "the street's word on the district: $(cat out2.csv)"
"$STRATA" -C st erasures >/dev/null && fail "the street knows of no pending erasure at the province: $("$STRATA" -C st erasures)"
"$STRATA" -C st erasures --format csv | tr -d '\r' | grep -q "^$erasure,dx-gongshu,[^,]*residents,confirmed," ||
	fail "the street: its district has not confirmed: $("$STRATA" -C st erasures)"
"$STRATA" -C dx erasures >/dev/null || fail "the district: its province has not confirmed: $("$STRATA" -C dx erasures)"
ok "the community sees the street's confirmation and the district still pending as the street last knew; the district the province's"

# --- life goes on: the next change travels as before ---
# the community's own file no longer has the person either
grep -v "^$key," "$seed" | awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 30 == 0 {$5 = "19900000000"} {print}' >next.csv
"$STRATA" -C cn import residents next.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o n1.parcel >/dev/null
"$STRATA" -C st import n1.parcel >/dev/null || fail "the next parcel after an erasure"
"$STRATA" -C cn import n1.parcel.receipt >/dev/null
"$STRATA" -C st export --to dx-gongshu -o n2.parcel >/dev/null
"$STRATA" -C dx import n2.parcel >/dev/null || fail "the next parcel at the district"
git -C st/repo.git merge-base --is-ancestor "$(git -C st/repo.git rev-list --max-parents=0 refs/strata/peers/cn-wangjiang-01/residents)" \
	refs/strata/peers/cn-wangjiang-01/residents || fail "the next change does not build on the cut"
ok "after the erasure, ordinary changes travel on top of the cut, incrementally"

# the receipts of the ordinary traffic carry the confirmations up, one hop per round
"$STRATA" -C st import n2.parcel.receipt >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o n3.parcel >/dev/null
"$STRATA" -C st import n3.parcel >/dev/null
"$STRATA" -C cn import n3.parcel.receipt >/dev/null
"$STRATA" -C cn erasures --format csv >out.csv || fail "the community still has a pending erasure: $(cat out.csv)"
tr -d '\r' <out.csv >out2.csv
grep -q "^$erasure,dx-gongshu,,confirmed,20[0-9T:-]*Z,st-wangjiang," out2.csv || fail "the district's confirmation at the community: $(cat out2.csv)"
grep -q "^$erasure,pv-zhejiang,,confirmed,20[0-9T:-]*Z,dx-gongshu," out2.csv || fail "the province's confirmation at the community: $(cat out2.csv)"
"$STRATA" -C cn erasures --format json | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert {x["peer"] for x in r} == {"st-wangjiang", "dx-gongshu", "pv-zhejiang"} and all(x["state"] == "confirmed" for x in r), r' ||
	fail "erasures --format json"
# a receipt that claims more than the street's own word is the street's signature: a forged line breaks it
"$STRATA" -C cn export --to st-wangjiang -o n4.parcel >/dev/null
"$STRATA" -C st import n4.parcel >/dev/null
sed "s/^erasure \([0-9a-f]*\) dx-gongshu st-wangjiang confirmed/erasure \1 dx-gongshu st-wangjiang pending/" n4.parcel.receipt >forged.receipt
cmp -s n4.parcel.receipt forged.receipt && fail "the receipt carries no erasure line to forge"
before=$(node_state cn)
expect_fail 3 "receipt signature does not verify" "$STRATA" -C cn import forged.receipt
[ "$(node_state cn)" = "$before" ] || fail "a forged receipt changed the community"
ok "receipts carry the confirmations up: the community sees the district and the province confirm, each vouched for by the tier above it; a forged one is refused"

# the parcel that carried the cut, replayed later, and one for a node that never received the dataset: refused, nothing removed
before=$(node_state st)
"$STRATA" -C st import --no-receipt e1-copy.parcel >out 2>&1 || fail "a replayed cut parcel: $(cat out)"
grep -q "already held (superseded by parcel" out || fail "a replayed cut parcel: $(cat out)"
[ "$(node_state st)" = "$before" ] || fail "a replayed cut parcel changed the street"
before=$(node_state dx)
"$STRATA" -C dx import e1-copy.parcel >out 2>&1 && fail "a cut parcel for another node was accepted at the district: $(cat out)"
grep -q "st-wangjiang\|addressed\|not for" out || fail "a cut parcel for another node: no reason given: $(cat out)"
[ "$(node_state dx)" = "$before" ] || fail "a cut parcel for another node changed the district"
ok "a cut parcel replayed is already held, and one taken to a node it was not sealed for is refused with its reason; nothing is removed"

# --- a second person, the parcel with the cut lost, a change after it: the next parcel still cuts ---
key2=$("$STRATA" -C cn export residents --format jsonl | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r.get("consent") == "true" and r["id_number"] != sys.argv[1]:
        print(r["id_number"]); break' "$key")
d=$("$STRATA" -C cn disclosures residents "$key2" --format json)
canaries st refs/strata/peers/cn-wangjiang-01/residents "$(echo "$d" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["disclosures"][0]["fields"]))')" >canaries2.st
[ -s canaries2.st ] || fail "no value unique to the second person at the street"
"$STRATA" -C cn erase residents "$key2" --reason "resident request 2026-119" >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o lost.parcel >/dev/null
rm lost.parcel lost.parcel.receipt 2>/dev/null || true	# lost on the way
grep -v "^$key,\|^$key2," "$seed" | awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 40 == 0 {$5 = "19911111111"} {print}' >after.csv
"$STRATA" -C cn import residents after.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o later.parcel >/dev/null
"$STRATA" -C st import later.parcel >/dev/null || fail "the parcel after a lost cut is refused"
git -C st/repo.git cat-file --batch-all-objects --batch >objects2.st
while IFS= read -r v; do
	! grep -a -q -F -- "$v" objects2.st || fail "'$v' of the second person is still at the street after a lost cut"
done <canaries2.st
"$STRATA" -C st verify --all >/dev/null || fail "verify at the street after a lost cut"
ok "a lost parcel with a cut is made up for by the next: a change on top of the cut still cuts the street"

# --- retraction: a tightened policy takes back what the street may no longer hold ---
phones=$(records st/repo.git refs/strata/peers/cn-wangjiang-01/residents | python3 -c '
import json, sys
seen = [json.loads(l).get("phone") for l in sys.stdin]
print("\n".join(sorted({p for p in seen if p and seen.count(p) == 1})[:20]))')
[ -n "$phones" ] || fail "the street holds no masked phones to begin with"
sed -e 's/^version: .*/version: 2/' -e '/^      phone:/d' "$TOP_SRCDIR/policies/community-to-street.yaml" >tight.yaml
"$STRATA" -C cn policy commit tight.yaml >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o r1.parcel >/dev/null
"$STRATA" -C st import r1.parcel >/dev/null || fail "the street refuses the retraction"
"$STRATA" -C cn import r1.parcel.receipt >/dev/null
git -C st/repo.git cat-file --batch-all-objects --batch >objects3.st
echo "$phones" | while IFS= read -r v; do
	! grep -a -q -F -- "\"phone\":\"$v\"" objects3.st || fail "the street still holds phone $v after the tightening"
done
[ -z "$(git -C st/repo.git log --format=%H refs/strata/peers/cn-wangjiang-01/residents~1 2>/dev/null)" ] ||
	fail "the street's copy kept its history through a retraction"
"$STRATA" -C cn erasures --format csv | tr -d '\r' | grep -q ",st-wangjiang,residents,confirmed," || fail "the retraction is not confirmed"
"$STRATA" -C st verify --all >/dev/null || fail "verify at the street after a retraction"
# loosening takes nothing back: the history grows again
sed -e 's/^version: .*/version: 3/' "$TOP_SRCDIR/policies/community-to-street.yaml" >loose.yaml
"$STRATA" -C cn policy commit loose.yaml --confirm >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o r2.parcel >/dev/null
"$STRATA" -C st import r2.parcel >/dev/null
git -C st/repo.git rev-parse -q --verify refs/strata/peers/cn-wangjiang-01/residents~1 >/dev/null || fail "a loosening cut the history"
ok "a tightening retracts: the street no longer holds the phones it had (a cut, confirmed); a loosening keeps the history"

# --- retention: the street keeps no version older than the policy says (a clock the tests set) ---
sed -e 's/^version: .*/version: 4/' -e 's/^  residents:$/  residents:\n    retention: 30d/' "$TOP_SRCDIR/policies/community-to-street.yaml" >keep30.yaml
grep -q '^    retention: 30d$' keep30.yaml || fail "the test policy has no retention"
"$STRATA" policy check keep30.yaml >/dev/null || fail "policy check refuses retention"
printf 'policy: x\nversion: 1\npurpose: p\nrecipients: {tiers: [street]}\ndatasets:\n  residents:\n    retention: 30 days\n    fields: {id_number: pseudonym}\n' >badret.yaml
expect_fail 1 "retention is a duration like 365d" "$STRATA" policy check badret.yaml
"$STRATA" -C cn policy diff community-to-street keep30.yaml >diff.out || true
grep -q "retention" diff.out || fail "policy diff does not show the retention: $(cat diff.out)"
"$STRATA" -C cn policy commit keep30.yaml >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o k1.parcel >/dev/null
"$STRATA" -C st import k1.parcel >/dev/null
"$STRATA" -C cn import k1.parcel.receipt >/dev/null
# a change a day, for a few days: the history grows within the retention
for day in 1 2 3; do
	tick 86400
	awk -F, -v d="$day" 'BEGIN {OFS=","} NR > 1 && NR % 50 == d {$5 = "1990000000" d} {print}' after.csv >day.csv
	"$STRATA" -C cn import residents day.csv >/dev/null
	"$STRATA" -C cn export --to st-wangjiang -o "d$day.parcel" >/dev/null
	"$STRATA" -C st import "d$day.parcel" >/dev/null
done
[ "$(git -C st/repo.git rev-list --count refs/strata/peers/cn-wangjiang-01/residents)" -ge 3 ] || fail "the history did not grow"
oldest=$(git -C st/repo.git rev-list --max-parents=0 refs/strata/peers/cn-wangjiang-01/residents)
oldest_tree=$(git -C st/repo.git rev-parse "$oldest^{tree}")
# 31 days on: the next build cuts, the street drops the older versions
tick $((31 * 86400))
"$STRATA" -C cn export --to st-wangjiang -o k2.parcel >/dev/null
"$STRATA" -C st import k2.parcel >/dev/null || fail "the street refuses the retention cut"
[ "$(git -C st/repo.git rev-list --count refs/strata/peers/cn-wangjiang-01/residents)" = 1 ] ||
	fail "the street keeps versions older than the retention"
! git -C st/repo.git cat-file -e "$oldest" 2>/dev/null || fail "the expired version $oldest is still in the street's objects"
"$STRATA" -C cn audit log | grep -q "view-build .*history cut [0-9a-f]\{16\}, retention: its oldest version had expired" ||
	fail "no audit event of the expiry at the community: $("$STRATA" -C cn audit log | tail -3)"
[ "$("$STRATA" -C st audit log | grep -c "erasure-applied")" -ge 4 ] || fail "no audit event of the expiry at the street"
"$STRATA" -C cn audit log | grep -q "history cut [0-9a-f]\{16\}, retraction: the policy exposes less" ||
	fail "no audit event of the retraction at the community"
! git -C st/repo.git cat-file -e "$oldest_tree" 2>/dev/null || fail "the expired version's tree is still in the street's objects"
"$STRATA" -C st verify --all >/dev/null || fail "verify at the street after expiry"
# the cut left one version, a root; a month on, a change: that root has expired in turn, so the
# view is cut again rather than built on top of it (a history of an expired root and the new version)
tick $((31 * 86400))
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 50 == 7 {$5 = "19900000077"} {print}' after.csv >day.csv
"$STRATA" -C cn import residents day.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o k3.parcel >/dev/null
"$STRATA" -C st import k3.parcel >/dev/null || fail "the street refuses the second retention cut"
[ "$(git -C st/repo.git rev-list --count refs/strata/peers/cn-wangjiang-01/residents)" = 1 ] ||
	fail "a root older than the retention is kept under the next version: $(git -C st/repo.git log --format='%ct %s' refs/strata/peers/cn-wangjiang-01/residents)"
ok "retention: once the oldest version is older than the policy allows (the test's clock moved on a month), the history is cut and the street keeps only the present"

# --- a recipient removed: a street-to-district version that no longer names the district retracts all of it ---
grep -q "^  tiers: \[district\]" "$TOP_SRCDIR/policies/street-to-district.yaml" || fail "the street's policy does not name its recipients as expected"
sed -e 's/^version: .*/version: 7/' -e 's/^  tiers: \[district\]/  tiers: [department]/' "$TOP_SRCDIR/policies/street-to-district.yaml" >st7.yaml
"$STRATA" -C st policy commit st7.yaml --confirm >/dev/null 2>err || fail "commit at the street: $(cat err)"
"$STRATA" -C st export --to dx-gongshu -o w1.parcel >out 2>&1 || fail "export of the withdrawal: $(cat out)"
"$STRATA" -C st audit log | grep -q "view-withdrawn .*policy 'street-to-district' version 7 no longer names 'dx-gongshu' (district) as a recipient" ||
	fail "no withdrawal event at the street: $("$STRATA" -C st audit log | tail -3)"
"$STRATA" -C dx import w1.parcel >/dev/null || fail "the district refuses the withdrawal"
[ "$(git -C dx/repo.git for-each-ref 'refs/strata/peers/st-wangjiang/' | wc -l)" -ge 2 ] || fail "the district holds no views from the street"
for r in $(git -C dx/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/st-wangjiang/'); do
	[ -z "$(git -C dx/repo.git ls-tree "$r:records")" ] || fail "the district still holds records of $r"
	[ "$(git -C dx/repo.git rev-list --count "$r")" = 1 ] || fail "the district kept history of $r"
done
"$STRATA" -C dx verify --all >/dev/null || fail "verify --all at the district after the withdrawal"
# named again: the next view is built in full on top of the withdrawal
sed -e 's/^version: .*/version: 8/' "$TOP_SRCDIR/policies/street-to-district.yaml" >st8.yaml
"$STRATA" -C st policy commit st8.yaml --confirm >/dev/null 2>err || fail "commit at the street: $(cat err)"
"$STRATA" -C st export --to dx-gongshu -o w2.parcel >/dev/null 2>err || fail "export after the withdrawal: $(cat err)"
"$STRATA" -C dx import w2.parcel >/dev/null || fail "the district refuses the view shared again"
r=$(git -C dx/repo.git for-each-ref --format='%(refname)' 'refs/strata/peers/st-wangjiang/*/residents')
[ "$(git -C dx/repo.git rev-list --count "$r")" = 2 ] || fail "the view shared again is not built on the withdrawal"
[ -n "$(git -C dx/repo.git ls-tree "$r:records")" ] || fail "the view shared again holds no records"
"$STRATA" -C st audit view "$(git -C dx/repo.git rev-parse "$r")" >/dev/null || fail "audit view of the view shared again"
ok "a policy version that no longer names a recipient withdraws what it held: the district drops every view from the street; named again, it gets them in full"

# --- obligations travel: onward, and the strictest retention on the way ---
sed -e 's/^version: .*/version: 5/' -e 's/^  residents:$/  residents:\n    retention: 30d\n    onward: [district]/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" >onward.yaml
"$STRATA" -C cn policy commit onward.yaml >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o o1.parcel >/dev/null
"$STRATA" -C st import o1.parcel >/dev/null
"$STRATA" -C st datasets --received --format csv | tr -d '\r' | grep -q "^cn-wangjiang-01/residents,.*,district,30d," ||
	fail "the street does not see the obligations it carries: $("$STRATA" -C st datasets --received --format csv)"
# to the district: allowed, and the district's copy carries them on
"$STRATA" -C st export --to dx-gongshu -o o2.parcel >/dev/null || fail "an allowed onward view refused"
"$STRATA" -C dx import o2.parcel >/dev/null
"$STRATA" -C dx datasets --received --format csv | tr -d '\r' | grep -q "^st-wangjiang/cn-wangjiang-01/residents,.*,district,30d," ||
	fail "the district's copy does not carry the obligations: $("$STRATA" -C dx datasets --received --format csv)"
# the district may not send it on to the province: refused, the upstream policy named, nothing sent
# what the province holds of the residents, from before: values none of its other data holds
records pv/repo.git "$(pv_ref residents)" | python3 -c '
import json, sys
vals = {}
for l in sys.stdin:
    for v in json.loads(l).values():
        if isinstance(v, str) and len(v) >= 8 and not v.isdigit():
            vals[v] = vals.get(v, 0) + 1
print("\n".join(sorted(v for v, n in vals.items() if n == 1)[:20]))' >pv.values
[ -s pv.values ] || fail "the province holds no residents to begin with"
# the district's view for the province is withdrawn: a root with no records, the upstream policy named
"$STRATA" -C dx export --to pv-zhejiang -o o3.parcel >out 2>&1 || fail "the district cannot send the withdrawal: $(cat out)"
"$STRATA" -C dx audit log | grep -q "view-withdrawn .*may not go on to 'pv-zhejiang' (province): policy 'community-to-street' v5 of 'cn-wangjiang-01' allows it onward only to district" ||
	fail "no view-withdrawn event naming the upstream policy at the district: $("$STRATA" -C dx audit log | tail -3)"
wref=$(git -C dx/repo.git for-each-ref --format='%(refname)' 'refs/strata/views/pv-zhejiang/*/residents')
[ "$(git -C dx/repo.git rev-list --count "$wref")" = 1 ] || fail "the withdrawal is not a root"
[ -z "$(git -C dx/repo.git ls-tree "$wref:records")" ] || fail "the withdrawal holds records"
"$STRATA" -C dx audit view "$(git -C dx/repo.git rev-parse "$wref")" | grep -q "is a withdrawal: it holds no record (the obligations of its source v-[a-z0-9]*, or this node.s policy, no longer let it go to .pv-zhejiang.)" ||
	fail "audit view of the withdrawal: $("$STRATA" -C dx audit view "$(git -C dx/repo.git rev-parse "$wref")")"
"$STRATA" -C dx view build --peer pv-zhejiang | grep -q "residents: withdrawn (as before)" || fail "a second build withdraws again"
"$STRATA" -C pv import o3.parcel >/dev/null || fail "the province refuses the withdrawal"
"$STRATA" -C dx import o3.parcel.receipt >/dev/null
[ "$("$STRATA" -C pv export "$(pv_ref residents | sed 's|refs/strata/peers/||')" | wc -l)" -le 1 ] || fail "the province still holds residents records"
git -C pv/repo.git cat-file --batch-all-objects --batch >objects.pv
while IFS= read -r v; do
	! grep -a -q -F -- "$v" objects.pv || fail "the province still holds '$v' after the withdrawal"
done <pv.values
"$STRATA" -C pv verify --all >/dev/null || fail "verify --all at the province after the withdrawal"
# the province may not know which community or street its data came from (district-to-province hides the
# path): the withdrawal's reason it received names neither (the catalogue, a published directory, does)
not_catalogue pv >objects.pv
! grep -a -q -e "cn-wangjiang-01" -e "st-wangjiang" objects.pv ||
	fail "the province learns the community or street: $(grep -a -o -e '[^ ]*cn-wangjiang-01[^ ]*' -e '[^ ]*st-wangjiang[^ ]*' objects.pv | sort -u | head -3)"
"$STRATA" -C pv datasets --format csv | tr -d '\r' | grep -q "grid-events,dx-gongshu,,1200," || fail "the province lost its grid events"
"$STRATA" -C dx erasures --format csv | tr -d '\r' | grep -q ",pv-zhejiang,[^,]*residents,confirmed," || fail "the withdrawal is not confirmed: $("$STRATA" -C dx erasures)"
# nor may its privacy officer commit a policy that would share it with the province
sed -e 's/^version: .*/version: 9/' "$TOP_SRCDIR/policies/district-to-province.yaml" >dx9.yaml
before=$(node_state dx)
expect_fail 1 "'dx9.yaml': 'residents' may not go on to 'province': policy 'community-to-street' v5 of 'cn-wangjiang-01' allows it onward only to district; nothing committed" \
	"$STRATA" -C dx policy commit dx9.yaml --confirm
[ "$(node_state dx)" = "$before" ] || fail "a refused policy commit changed the district"
ok "obligations travel: the district's view for the province is withdrawn (a root with no records, the community's policy named), the province drops all it held (confirmed); a policy commit that would share it is refused"

# --- obligations that allow the province: its views carry them, naming the source only by its token ---
sed -e 's/^version: .*/version: 6/' -e 's/^  residents:$/  residents:\n    onward: [district, province]/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" >onward6.yaml
"$STRATA" -C cn policy commit onward6.yaml --confirm >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o q1.parcel >/dev/null
"$STRATA" -C st import q1.parcel >/dev/null
"$STRATA" -C st export --to dx-gongshu -o q2.parcel >/dev/null
"$STRATA" -C dx import q2.parcel >/dev/null
"$STRATA" -C dx export --to pv-zhejiang -o q3.parcel >/dev/null || fail "the district cannot send what the obligations allow"
"$STRATA" -C pv import q3.parcel >/dev/null || fail "the province refuses it"
git -C pv/repo.git log --format=%B "$(pv_ref residents)" | grep -q "^Strata-Onward: .*province" || fail "the province's view carries no obligations"
git -C pv/repo.git log -1 --format=%B "$(pv_ref residents)" | grep "^Strata-Onward-From: v-[a-z0-9]* " ||
	fail "Strata-Onward-From at the province: $(git -C pv/repo.git log -1 --format=%B "$(pv_ref residents)" | grep Onward-From)"
not_catalogue pv >objects.pv
! grep -a -q -e "cn-wangjiang-01" -e "st-wangjiang" objects.pv || fail "the province learns the community from the obligations' trailers"
ok "where the path is hidden, no trailer names it: the obligations and a withdrawal reach the province naming the source by its token"
