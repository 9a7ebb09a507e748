#!/bin/sh
# Provenance: trace a record from the province back through every tier to
# the community's own commit (text, JSON, DOT), and a record's history.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
two_nodes
to_province

R=$(pv_ref residents)
[ -n "$R" ] || fail "the province received no residents view"
line=$(records pv/repo.git "$R" | head -1)
key=$(echo "$line" | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
year=$(echo "$line" | sed 's/.*"birth_date":"\([0-9]*\)".*/\1/')

# next_key FILE: the key a trace says to continue with
next_key() { sed -n "s/^   strata -C <.*'s node> trace residents '\(.*\)'$/\1/p" "$1"; }

"$STRATA" -C pv trace residents "$key" >pv.out || fail "trace at the province: $(cat pv.out)"
grep -q "^1. view received: dx-gongshu (district) commit $(git -C pv/repo.git rev-parse --short=12 $R)" pv.out ||
	fail "province hop: $(cat pv.out)"
grep -q "policy: district-to-province version 1" pv.out && grep -q "purpose: provincial monitoring" pv.out &&
	grep -q "received here: 20" pv.out && grep -q "signature: good (dx-gongshu)" pv.out || fail "hop details: $(cat pv.out)"
grep -q "next hop: commit [0-9a-f]\{12\} at dx-gongshu (not held here)" pv.out || fail "next hop: $(cat pv.out)"
src_cn=$(git -C cn/repo.git rev-parse refs/strata/datasets/residents)
# the district's policy drops community, and with it the names of the nodes below (source_names)
grep -q "cn-wangjiang-01\|st-wangjiang" pv.out && fail "the province's trace names the nodes below the district: $(cat pv.out)"
grep -q "^origin:" pv.out && fail "the province learns the origin: $(cat pv.out)"
k_dx=$(next_key pv.out)
[ "$k_dx" = "$key" ] || fail "the district holds the province's record under the same key"

"$STRATA" -C dx trace residents "$k_dx" >dx.out || fail "trace at the district: $(cat dx.out)"
grep -q "^1. view built here: dx-gongshu (district)" dx.out && grep -q "^2. view received: st-wangjiang (street)" dx.out ||
	fail "district hops: $(cat dx.out)"
grep -q "^origin: cn-wangjiang-01 commit $(echo "$src_cn" | cut -c1-12) (not held here)" dx.out || fail "origin at the district: $(cat dx.out)"
k_st=$(next_key dx.out)
[ -n "$k_st" ] && [ "$k_st" != "$key" ] || fail "the street's key should differ (pseudonyms per tier): $(cat dx.out)"
"$STRATA" -C st trace residents "$k_st" >st.out || fail "trace at the street: $(cat st.out)"
grep -q "^2. view received: cn-wangjiang-01 (community)" st.out || fail "street hops: $(cat st.out)"
k_cn=$(next_key st.out)
"$STRATA" -C cn trace residents "$k_cn" >cn.out || fail "trace at the community: $(cat cn.out)"
grep -q "^2. owner's dataset commit: cn-wangjiang-01 (community) commit $(echo "$src_cn" | cut -c1-12)" cn.out ||
	fail "community hops: $(cat cn.out)"
raw=$(sed -n '/^2\. owner/,$ s/^   record: //p' cn.out)
echo "$raw" | grep -q "\"birth_date\":\"$year-" || fail "the community's record is not the province's: $raw vs $line"
echo "$raw" | grep -q '"name":"' || fail "the owner's record should be whole: $raw"
grep -q '"name":' pv.out && fail "the province's trace shows a name"
ok "trace: province -> district -> street -> community, each hop with signer, policy, purpose; to the owner's commit"

"$STRATA" -C dx trace residents "$k_dx" --json >dx.json
grep -q '"role": "view received"' dx.json && grep -q '"node": "st-wangjiang"' dx.json &&
	grep -q '"purpose": "district service planning and allowance budget"' dx.json &&
	grep -q "\"key\": \\[" dx.json || fail "trace --json: $(cat dx.json)"
"$STRATA" -C dx trace residents "$k_dx" --dot >dx.dot
dot -Tsvg dx.dot >dx.svg || fail "Graphviz cannot render the trace: $(cat dx.dot)"
grep -q "<svg" dx.svg && grep -q "district service planning" dx.svg || fail "rendered trace"
expect_fail 1 "no record of 'residents' with that key on node 'pv-zhejiang'" "$STRATA" -C pv trace residents nosuchkey
expect_fail 1 "invalid dataset name" "$STRATA" -C pv trace ../x k
ok "trace --json and --dot (Graphviz renders it); an unknown key is refused"

# history: one record through imports
id=$(records cn/repo.git refs/strata/datasets/residents | head -1 | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
awk -F, -v id="$id" 'BEGIN {OFS=","} $1 == id {$5 = "19900000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >v2.csv
"$STRATA" -C cn import residents v2.csv >/dev/null
grep -v "^$id," v2.csv >v3.csv
"$STRATA" -C cn import residents v3.csv >/dev/null
"$STRATA" -C cn history residents "$id" >h.out
[ "$(grep -c '^[0-9a-f]\{12\} ' h.out)" = 3 ] || fail "history: $(cat h.out)"
grep '^[0-9a-f]\{12\} ' h.out >versions
head -1 versions | grep -q " removed  by cn-wangjiang-01, signature good" || fail "history newest: $(cat h.out)"
sed -n 2p versions | grep -q " changed  by cn-wangjiang-01" || fail "history change: $(cat h.out)"
tail -1 h.out | grep -q "19900000000" && fail "the change shows on the first version"
grep -q '"phone":"19900000000"' h.out || fail "history lines: $(cat h.out)"
grep -q " added    by cn-wangjiang-01" h.out || fail "history first: $(cat h.out)"
"$STRATA" -C st history cn-wangjiang-01/residents "$k_st" >/dev/null 2>&1 || true
"$STRATA" -C st history cn-wangjiang-01/residents "$k_cn" | grep -q "added    by cn-wangjiang-01" ||
	fail "history of received data"
expect_fail 1 "no record of 'residents' with that key" "$STRATA" -C cn history residents nosuchkey
ok "history: every version of one record, with commit, time, node and signature; received data too"

# audit view: recompute a view from the source and policy its trailers name
V=refs/strata/views/st-wangjiang/residents
before=$(node_state cn)
"$STRATA" -C cn audit view $V >av.out || fail "an honest view fails its audit: $(cat av.out)"
grep -q "^view [0-9a-f]\{12\} is exactly policy blob $(git -C cn/repo.git rev-parse --short=12 refs/strata/policies:community-to-street.yaml) applied to source" av.out ||
	fail "audit view: $(cat av.out)"
"$STRATA" -C st audit view refs/strata/views/dx-gongshu/cn-wangjiang-01/residents >/dev/null || fail "relayed view audit"
[ "$(node_state cn)" = "$before" ] || fail "audit view changed the node"
expect_fail 1 "is not held at this node: audit it at 'dx-gongshu', which built it" \
	"$STRATA" -C pv audit view "$(pv_ref residents)"
# a tree altered after the build: one record changed, the commit re-signed by the node itself
git -C cn/repo.git log -1 --format=%B $V >msg
dir=$(git -C cn/repo.git ls-tree "$V:records" | awk 'NR == 1 {print $3}')
leaf=$(git -C cn/repo.git ls-tree "$dir" | awk 'NR == 1 {print $3}')
git -C cn/repo.git show "$leaf" | sed '1s/"income_band":"[^"]*"/"income_band":"FORGED"/' >leaf
new=$(git -C cn/repo.git hash-object -w "$T/leaf")
newdir=$(git -C cn/repo.git ls-tree "$dir" | sed "s/$leaf/$new/" | git -C cn/repo.git mktree)
recs=$(git -C cn/repo.git ls-tree "$V:records" | sed "s/$dir/$newdir/" | git -C cn/repo.git mktree)
root=$(git -C cn/repo.git ls-tree "$V" | sed "s/$(git -C cn/repo.git rev-parse "$V:records")/$recs/" | git -C cn/repo.git mktree)
forged=$("$FORGE" commit cn "$root" - msg)
expect_fail 3 "is not what its source and policy give" "$STRATA" -C cn audit view "$forged"
grep -q "1 records differ" "$T/out" || fail "forged tree: $(cat "$T/out")"
grep -q '^  in the view: .*"income_band":"FORGED"' "$T/out" && grep -q '^  per policy: ' "$T/out" ||
	fail "the differing record is not shown: $(cat "$T/out")"
# a view built under one policy whose trailer names another
sed 's/^version: 1/version: 2/; s/      phone: {mask: \[3, 4\]}.*/      phone: keep/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" >v2.yaml
"$STRATA" -C cn policy commit v2.yaml --confirm >/dev/null
b2=$(git -C cn/repo.git rev-parse refs/strata/policies:community-to-street.yaml)
sed "s/^Strata-Policy: .*/Strata-Policy: $b2/" msg >msg2
forged2=$("$FORGE" commit cn "$(git -C cn/repo.git rev-parse "$V^{tree}")" - msg2)
expect_fail 3 "is not what its source and policy give" "$STRATA" -C cn audit view "$forged2"
grep -q "records differ" "$T/out" && grep -q '^  per policy: .*"phone":"1[0-9]\{10\}"' "$T/out" ||
	fail "policy mismatch not shown: $(head -20 "$T/out")"
ok "audit view: honest views match their recomputation; an altered tree or a wrong policy trailer is caught, record by record"

# verify --all: every signature, counted by signer, and the audit log as one unbroken line
"$STRATA" -C pv verify --all >va.out || fail "verify --all at the province: $(cat va.out)"
grep -q "^[0-9]* commits: [0-9]* good, 0 bad, 0 unsigned, 0 untrusted" va.out || fail "verify --all: $(cat va.out)"
grep -q "^signed by: .*dx-gongshu [0-9]*" va.out && grep -q "pv-zhejiang [0-9]*" va.out || fail "signers: $(cat va.out)"
grep -q "^audit log: [0-9]* events, one line, no gaps, never rewritten" va.out || fail "audit chain: $(cat va.out)"
cp -r st st-rw
first=$(git -C st-rw/repo.git rev-list refs/strata/audit | tail -1)
newest=$(git -C st-rw/repo.git rev-parse refs/strata/audit)
git -C st-rw/repo.git update-ref refs/strata/audit "$first"
git -C st-rw/repo.git update-ref refs/strata/audit "$newest"
expect_fail 3 "the audit log has problems" "$STRATA" -C st-rw verify --all
grep -q "^audit log: the audit log was rewritten: it moved from $(echo "$newest" | cut -c1-12) to $(echo "$first" | cut -c1-12)" "$T/out" ||
	fail "a rewritten audit log is not reported: $(cat "$T/out")"
cp -r st st-gap
middle=$(git -C st-gap/repo.git rev-list refs/strata/audit | sed -n 2p)
rm "st-gap/repo.git/objects/$(echo "$middle" | cut -c1-2)/$(echo "$middle" | cut -c3-)"
expect_fail 3 "commits are missing" "$STRATA" -C st-gap verify --all
grep -q "^$middle MISSING: the parent of" "$T/out" || fail "the missing commit is not named: $(cat "$T/out")"
grep -q "^audit log: gap in the audit log: event [0-9a-f]* follows $(echo "$middle" | cut -c1-12), which is missing" "$T/out" ||
	fail "a gap is not reported: $(cat "$T/out")"
ok "verify --all: all signatures by signer; a rewritten or broken audit log is reported"

# audit log filters and JSON
"$STRATA" -C st audit log --peer dx-gongshu >al.out
grep -q " parcel-export  parcel 1 exported to dx-gongshu" al.out || fail "audit log --peer: $(cat al.out)"
grep -q "parcel-import" al.out && fail "--peer dx-gongshu lists the import from the community"
"$STRATA" -C st audit log --since 2999-01-01 | grep -q "^no events match" || fail "audit log --since the future"
"$STRATA" -C st audit log --since 2000-01-01T00:00:00Z | grep -q "parcel-import" || fail "audit log --since the past"
"$STRATA" -C st audit log --json --peer cn-wangjiang-01 >al.json
grep -q '"event": "parcel-import"' al.json && grep -q '"Strata-Sender": \[' al.json || fail "audit log --json: $(head -30 al.json)"
expect_fail 2 "cannot read the time 'the day before'" "$STRATA" -C st audit log --since 'the day before'
ok "audit log --peer, --since and --json"
