#!/bin/sh
# The privacy officer's workbench: a diff that never misses (the consent
# filter change is the regression), impact in numbers on real data, risk
# figures checked against counts made here, silent mistakes caught by
# check, a loosening that needs --confirm, committed versions listed,
# shown and diffed, and the example policies' claims about tokens.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
P=$TOP_SRCDIR/policies
SEEDS=$TOP_SRCDIR/seeds/residents.csv
total=$(($(wc -l <"$SEEDS") - 1))
consenting=$(awk -F, 'NR > 1 && $NF == "true"' "$SEEDS" | wc -l)
refusing=$((total - consenting))

# --- the regression: widening the consent filter ---
sed 's/^version: 1/version: 2/; s/consent: "true" /consent: ["true", "false"]/' "$P/community-to-street.yaml" >loose.yaml
"$STRATA" -C cn policy diff community-to-street loose.yaml >d.txt
grep -q 'residents filter consent: "true" -> \["true", "false"\]' d.txt || fail "diff: the filter change: $(cat d.txt)"
grep -q 'MORE visible: rows with consent = "false" are now shared' d.txt || fail "diff: its effect: $(cat d.txt)"
tail -1 d.txt | grep -qx "1 change: 1 expose more, 0 expose less, 0 change tokens" || fail "diff summary: $(tail -1 d.txt)"
expect_fail 1 "1 change make more visible (--exit-code)" "$STRATA" -C cn policy diff community-to-street loose.yaml --exit-code
sed 's/^version: 1/version: 2/; s/consent: "true" /consent: "false"/' "$P/community-to-street.yaml" >flip.yaml
"$STRATA" -C cn policy diff community-to-street flip.yaml >d.txt
grep -q 'MORE visible: rows with consent = "false" are now shared' d.txt && grep -q 'less visible: rows with consent = "true" are no longer shared' d.txt ||
	fail "diff of a flipped filter: $(cat d.txt)"
sed 's/^version: 1/version: 2/; s/purpose: .*/purpose: marketing of commercial insurance products/' "$P/community-to-street.yaml" >purpose.yaml
"$STRATA" -C cn policy diff community-to-street purpose.yaml | grep -q "MORE visible: the data serves a purpose it was not shared for" || fail "diff: purpose"
sed 's/^version: 1/version: 2/; s/id_number: pseudonym /id_number: {pseudonym: recipient}/' "$P/community-to-street.yaml" >scope.yaml
"$STRATA" -C cn policy diff community-to-street scope.yaml | grep -q "less visible, changes tokens: every token of id_number changes" || fail "diff: scope"
sed 's/^version: 1/version: 2/; s/consent: "true" /consent: "true"\n      income_band: "<1000"/' "$P/community-to-street.yaml" >narrow.yaml
"$STRATA" -C cn policy diff community-to-street narrow.yaml --exit-code >d.txt || fail "narrowing counted as exposing more: $(cat d.txt)"
grep -q 'less visible: only rows with income_band = "<1000" are shared now' d.txt || fail "diff: a condition added: $(cat d.txt)"
ok "policy diff: the widened consent filter, a flipped value, a new purpose, a scope change and a narrowing, each for what it is"

# --- impact on the real data ---
"$STRATA" -C cn policy impact loose.yaml >i.txt
grep -q "^to st-wangjiang (street), residents ($total records here):" i.txt || fail "impact: header: $(cat i.txt)"
grep -q "records: $consenting -> $total ($refusing gained, 0 lost)" i.txt || fail "impact: records: $(cat i.txt)"
grep -q "^    phone: becomes visible in $refusing records" i.txt || fail "impact: phone: $(cat i.txt)"
"$STRATA" -C cn policy impact scope.yaml >i.txt
grep -q "^    id_number: $consenting tokens change" i.txt || fail "impact: tokens: $(cat i.txt)"
sed 's/^version: 1/version: 2/; s/phone: {mask: \[3, 4\]}.*/phone: keep/' "$P/community-to-street.yaml" >phone.yaml
"$STRATA" -C cn policy impact phone.yaml >i.txt
grep -q "^    phone: $consenting values show differently" i.txt || fail "impact: a wider mask: $(cat i.txt)"
"$STRATA" -C cn policy impact loose.yaml --json >i.json
python3 - "$refusing" <<'PY' || fail "impact --json: $(cat i.json)"
import json, sys
d = json.load(open("i.json"))
r = [x for x in d["impact"] if x["dataset"] == "residents"][0]
assert r["peer"] == "st-wangjiang" and r["gained"] == int(sys.argv[1]) and r["lost"] == 0, r
assert r["before"]["risk"]["records"] + r["gained"] == r["after"]["risk"]["records"], r
PY
ok "policy impact: records gained, values that become visible, tokens that change, on the node's data"

# --- risk, against counts made here ---
cat >qi.yaml <<'YAML'
policy: qi-test
version: 1
purpose: a test of the risk figures
recipients:
  tiers: [street]
datasets:
  residents:
    filter:
      consent: "true"
    fields:
      id_number: pseudonym
      gender: keep
      income_band: keep
    quasi_identifiers: [gender]
    sensitive: income_band
YAML
awk -F, 'NR > 1 && $NF == "true" { n[$3]++; b[$3 "," $11] = 1 } END {
	min = -1; for (g in n) { if (min < 0 || n[g] < min) min = n[g]; classes++ }
	for (k in b) { split(k, p, ","); l[p[1]]++ }
	minl = -1; for (g in l) if (minl < 0 || l[g] < minl) minl = l[g]
	print classes, min, minl }' "$SEEDS" >want.txt
read -r classes mink minl <want.txt
"$STRATA" -C cn policy risk qi.yaml >r.txt
grep -q "re-identification risk: $consenting records in $classes classes on gender" r.txt || fail "risk: classes: $(cat r.txt) (wanted $classes)"
grep -q "min k $mink (max risk" r.txt || fail "risk: min k: $(cat r.txt) (wanted $mink)"
grep -q "l-diversity of income_band: min l $minl; 0 of $classes classes hold one value" r.txt || fail "risk: l: $(cat r.txt)"
# two quasi-identifiers: the unique records, counted here
sed 's/quasi_identifiers: \[gender\]/quasi_identifiers: [gender, income_band]/' qi.yaml >qi2.yaml
unique=$(awk -F, 'NR > 1 && $NF == "true" { n[$3 "," $11]++ } END { for (k in n) if (n[k] == 1) u++; print u + 0 }' "$SEEDS")
classes2=$(awk -F, 'NR > 1 && $NF == "true" { n[$3 "," $11]++ } END { for (k in n) c++; print c }' "$SEEDS")
"$STRATA" -C cn policy risk qi2.yaml >r.txt
grep -q "$consenting records in $classes2 classes on gender, income_band" r.txt && grep -q "unique $unique (" r.txt ||
	fail "risk on two fields: $(cat r.txt) (wanted $classes2 classes, $unique unique)"
# the example policy: the street's view singles out every resident it holds
"$STRATA" -C cn policy risk "$P/community-to-street.yaml" >r.txt
grep -q "unique $consenting (100.0%)" r.txt || fail "risk of the example policy: $(cat r.txt)"
grep -q "grid-events.*" r.txt && grep -q "none (the policy names no quasi-identifier: records of no person)" r.txt || fail "risk: events: $(cat r.txt)"
ok "policy risk: classes, min k, unique records and l-diversity equal counts made here from the seed data"

# --- check catches silent mistakes ---
sed 's/consent: "true" /consent: "True" /; s/^  residents:/  resident:/; s/tiers: \[street\]/tiers: [street]\n  peers: [st-wangjaing]/' \
	"$P/community-to-street.yaml" >typos.yaml
"$STRATA" -C cn policy check typos.yaml >out 2>err || fail "check without --strict failed: $(cat err)"
grep -q "warning: 'typos.yaml':10:11: recipient 'st-wangjaing' is not a peer of node 'cn-wangjiang-01'" err || fail "check: peer typo: $(cat err)"
grep -q "warning: 'typos.yaml':12:3: dataset 'resident' matches no dataset on node 'cn-wangjiang-01', so nothing of it is shared (did you mean 'residents'?)" err ||
	fail "check: dataset typo: $(cat err)"
sed 's/consent: "true" /consent: "True" /' "$P/community-to-street.yaml" >true.yaml
"$STRATA" -C cn policy check true.yaml 2>err >/dev/null
grep -q "warning: 'true.yaml':13:16: filter value \"True\" of residents.consent matches no record on node 'cn-wangjiang-01' (its values there: \"false\", \"true\")" err ||
	fail "check: filter value: $(cat err)"
before=$(node_state cn)
expect_fail 1 "'typos.yaml': 2 warnings (--strict)" "$STRATA" -C cn policy check typos.yaml --strict
expect_fail 1 "1 warning (--strict)" "$STRATA" -C cn policy check true.yaml --strict
"$STRATA" -C cn policy check "$P/community-to-street.yaml" --strict >/dev/null 2>err || fail "the example policy has warnings: $(cat err)"
[ "$(node_state cn)" = "$before" ] || fail "check changed the node"
ok "policy check: a peer typo, a dataset typo and a filter value no record has are warnings at file:line:column; --strict fails"

# --- a loosening needs --confirm; versions listed, shown, diffed ---
before=$(node_state cn)
expect_fail 1 "'loose.yaml' makes more visible than version 1 (above): commit it with --confirm" "$STRATA" -C cn policy commit loose.yaml </dev/null
grep -q "records: $consenting -> $total" "$T/out" || fail "commit did not show the impact: $(cat "$T/out")"
[ "$(node_state cn)" = "$before" ] || fail "a refused loosening changed the node"
"$STRATA" -C cn policy commit narrow.yaml >/dev/null || fail "a narrowing needs no --confirm"
sed 's/^version: 2/version: 3/' loose.yaml >loose3.yaml
"$STRATA" -C cn policy commit loose3.yaml --confirm | grep -q "committed as blob" || fail "commit --confirm"
"$STRATA" -C cn policy list >l.txt
grep -q "^community-to-street: version 3, for tier street, shares residents, grid-events" l.txt || fail "policy list: $(cat l.txt)"
[ "$(grep -c '^  version ' l.txt)" -eq 3 ] || fail "policy list: versions: $(cat l.txt)"
"$STRATA" -C cn policy show community-to-street --version 2 | grep -q 'income_band: "<1000"' || fail "policy show --version 2"
"$STRATA" -C cn policy show community-to-street | head -1 | grep -q "^# policy community-to-street version 3: blob" || fail "policy show"
"$STRATA" -C cn policy diff community-to-street@1 community-to-street@3 >d.txt
grep -q 'rows with consent = "false" are now shared' d.txt || fail "diff of two committed versions: $(cat d.txt)"
expect_fail 1 "policy 'community-to-street' was never committed at version 7" "$STRATA" -C cn policy show community-to-street --version 7
expect_fail 1 "no committed policy 'nosuch' on node 'cn-wangjiang-01'" "$STRATA" -C cn policy diff nosuch loose.yaml
expect_fail 1 "'No_Such' is neither a policy file nor the name of a committed policy" "$STRATA" -C cn policy diff No_Such loose.yaml
expect_fail 1 "cannot open 'missing.yaml'" "$STRATA" -C cn policy diff missing.yaml loose.yaml
ok "a loosening is refused without --confirm (node unchanged); list, show and diff of committed versions"

# --- tokens mean what the policies say: stable over time, never shared between nodes ---
"$STRATA" init cn2 --name cn-jinjiang-01 --tier community >/dev/null
head -2 "$SEEDS" >one.csv	# the same resident, registered in a second community too
"$STRATA" -C cn2 import residents one.csv --key id_number >/dev/null
"$STRATA" -C cn2 policy commit "$P/community-to-street.yaml" >/dev/null
"$STRATA" -C cn2 peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street --direction push >/dev/null
"$STRATA" -C st peer add cn-jinjiang-01 --key cn2/keys/node.pub --tier community --direction pull >/dev/null
for c in cn cn2; do
	"$STRATA" -C $c export --to st-wangjiang -o "$c.1.parcel" >/dev/null && "$STRATA" -C st import "$c.1.parcel" >/dev/null || fail "parcel from $c"
done
raw=$(sed -n 2p one.csv | cut -d, -f1)
# its token in each community's view at the street, found by its grid code (kept as it is)
tok() { "$STRATA" -C st export "$1/residents" --format csv | awk -F, -v h="$2" 'NR > 1 && $0 ~ h { print $1 }'; }
hh=$(sed -n 2p one.csv | cut -d, -f9)
a=$(tok cn-wangjiang-01 "$hh" | head -1) b=$(tok cn-jinjiang-01 "$hh" | head -1)
[ -n "$a" ] && [ -n "$b" ] || fail "the resident is not at the street from both communities"
[ "$a" != "$b" ] || fail "two communities gave the same person the same token: tokens are not per node"
[ "$a" != "$raw" ] || fail "the raw id reached the street"
# another round at cn-jinjiang-01: the person's token at the street stays
sed '2s/,1[0-9]*,/,13900000000,/' one.csv >one2.csv
"$STRATA" -C cn2 import residents one2.csv >/dev/null
"$STRATA" -C cn2 export --to st-wangjiang -o cn2.2.parcel >/dev/null && "$STRATA" -C st import cn2.2.parcel >/dev/null
[ "$(tok cn-jinjiang-01 "$hh" | head -1)" = "$b" ] || fail "the token changed from one round to the next"
ok "tokens are stable from round to round and each node's own: one person under two communities has two tokens at the street"

# --- min_k: records in small classes are not sent, counted; or no view at all ---
"$STRATA" init mk --name cn-mk --tier community >/dev/null
"$STRATA" init ms --name st-mk --tier street >/dev/null
"$STRATA" -C mk import residents "$SEEDS" --key id_number >/dev/null
cat >k.yaml <<'YAML'
policy: k-test
version: 1
purpose: a test of min_k
recipients:
  tiers: [street]
datasets:
  residents:
    fields:
      id_number: pseudonym
      gender: keep
      birth_date: {generalize: year}
      income_band: keep
    quasi_identifiers: [gender, birth_date, income_band]
    min_k: 5
YAML
small=$(awk -F, 'NR > 1 { n[$3 "," substr($4, 1, 4) "," $11]++ } END { for (k in n) if (n[k] < 5) s += n[k]; print s + 0 }' "$SEEDS")
[ "$small" -gt 0 ] || fail "the seed data has no class below 5: the test proves nothing"
"$STRATA" -C mk policy commit k.yaml >/dev/null
"$STRATA" -C mk peer add st-mk --key ms/keys/node.pub --tier street --policy k-test --direction push >/dev/null
"$STRATA" -C ms peer add cn-mk --key mk/keys/node.pub --tier community --direction pull >/dev/null
"$STRATA" -C mk policy risk k-test | grep -q "receives $((total - small)) records ($small in classes below min_k left out)" ||
	fail "risk under min_k: $("$STRATA" -C mk policy risk k-test) (wanted $small left out)"
"$STRATA" -C mk policy risk k-test | grep -q "min k [5-9]\|min k [1-9][0-9]" || fail "risk under min_k: a class below 5 remains"
"$STRATA" -C mk view build | grep -q "residents: $((total - small)) records, signed commit [0-9a-f]* ($small records in classes below the policy's min_k left out)" ||
	fail "view build under min_k: $("$STRATA" -C mk view build)"

	[ "$(git -C mk/repo.git log -1 --format='%(trailers:key=Strata-Suppressed,valueonly)' refs/strata/views/st-mk/residents | head -1)" = "$small" ] ||
	fail "the view commit does not count what it left out"
"$STRATA" -C mk audit view refs/strata/views/st-mk/residents >/dev/null || fail "audit view of a min_k view"
"$STRATA" -C mk audit log | grep -q "left out" || fail "the audit event does not say what was left out"
"$STRATA" -C mk export --to st-mk -o k.parcel >/dev/null && "$STRATA" -C ms import k.parcel >/dev/null || fail "parcel of a min_k view"
"$STRATA" -C ms sql "SELECT min(n) FROM (SELECT count(*) AS n FROM residents GROUP BY gender, birth_date, income_band)" | tail -1 |
	awk '{ exit !($1 >= 5) }' || fail "the street holds a class below 5"
sed 's/^version: 1/version: 2/; s/    min_k: 5/    min_k: 5\n    small_classes: refuse/' k.yaml >k2.yaml
"$STRATA" -C mk policy diff k-test k2.yaml | grep -q "less visible: a small class now stops the view" || fail "diff of small_classes"
"$STRATA" -C mk policy commit k2.yaml >/dev/null
before=$(node_state mk)
expect_fail 1 "policy 'k-test' requires min_k 5 for 'residents': $small records are in smaller classes" "$STRATA" -C mk view build
[ "$(node_state mk)" = "$before" ] || fail "a refused min_k build changed the node"
ok "min_k: records in classes below k are left out and counted (as counted here), audit view agrees; or the build is refused"

# --- joint risk: two recipients of the same records, pooling what each holds ---
"$STRATA" init jc --name cn-joint --tier community >/dev/null
"$STRATA" init js --name st-joint --tier street >/dev/null
"$STRATA" init jd --name dx-joint --tier district >/dev/null
"$STRATA" -C jc import residents "$SEEDS" --key id_number >/dev/null
cat >cj-street.yaml <<'YAML'
policy: cj-street
version: 1
purpose: visits
recipients: {tiers: [street]}
datasets:
  residents:
    filter: {consent: "true"}
    fields:
      id_number: pseudonym
      gender: keep
      birth_date: {generalize: month}
      community: keep
    quasi_identifiers: [gender, birth_date, community]
YAML
cat >cj-district.yaml <<'YAML'
policy: cj-district
version: 1
purpose: coverage
recipients: {tiers: [district]}
datasets:
  residents:
    filter: {consent: "true"}
    fields:
      id_number: pseudonym
      gender: keep
      birth_date: {generalize: year}
      income_band: keep
      address: {generalize: {prefix: 9}}
    quasi_identifiers: [gender, birth_date, income_band, address]
YAML
"$STRATA" -C jc policy commit cj-street.yaml >/dev/null
"$STRATA" -C jc policy commit cj-district.yaml >/dev/null
"$STRATA" -C jc peer add st-joint --key js/keys/node.pub --tier street --policy cj-street >/dev/null
"$STRATA" -C jc peer add dx-joint --key jd/keys/node.pub --tier district --policy cj-district >/dev/null
"$STRATA" -C jc policy risk cj-street --json >joint.json || fail "policy risk: $(cat joint.json)"
python3 - joint.json <<'PY' || fail "joint risk: $(cat joint.json)"
import json, sys
d = json.load(open(sys.argv[1]))
alone = {r["peer"]: r["risk"] for r in d["risk"]}
pairs = [p for p in d["pooled"] if {p["a"], p["b"]} == {"st-joint", "dx-joint"}]
assert len(pairs) == 1, d["pooled"]
p = pairs[0]
# both hold the consenting residents: the pool joins them all
assert p["records"] == alone["st-joint"]["records"], (p["records"], alone)
# pooled, the fields of both: more records single out than either view alone
u = p["pooled"]["unique"]
assert u > p["alone_a"]["unique"] and u > p["alone_b"]["unique"], p
assert "st-joint:gender" in p["pooled"]["quasi_identifiers"] and "dx-joint:income_band" in p["pooled"]["quasi_identifiers"], p
# and the street alone is what policy risk says of it alone
st_alone = p["alone_a"] if p["a"] == "st-joint" else p["alone_b"]
assert st_alone["unique"] == alone["st-joint"]["unique"], (p, alone)
print("pooled unique %d of %d (%.1f%%); alone %d and %d" % (u, p["records"], 100.0 * u / p["records"], p["alone_a"]["unique"], p["alone_b"]["unique"]))
PY
"$STRATA" -C jc policy risk cj-street | grep -q "if two holders pooled what they hold" || fail "policy risk says nothing of pooling"
"$STRATA" -C jc policy impact cj-street | grep -q "st-joint + dx-joint, residents" || fail "policy impact says nothing of pooling"
ok "policy risk and impact report what two recipients of the same records would re-identify together: $(python3 -c 'import json; p=json.load(open("joint.json"))["pooled"][0]; print("%.1f%% unique pooled" % (100.0*p["pooled"]["unique"]/max(1,p["records"])))')"
