#!/bin/sh
# Parcels: export what a peer lacks, import with every check, relay through
# four tiers, status, and an audit log stock git verifies.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
P=$TOP_SRCDIR/policies
seed=$TOP_SRCDIR/seeds/residents.csv
two_nodes

# unsealed (version 1, what a sealed parcel holds inside; t0021 tests the sealed one)
"$STRATA" -C cn export --to st-wangjiang -o 1.parcel --unsealed >out
grep -q "^1.parcel: parcel 1 for st-wangjiang: 2 views (2 with new commits).*NOT sealed" out || fail "export: $(cat out)"
bsdtar tvf 1.parcel >list || fail "bsdtar cannot list a parcel"
[ "$(awk '{print $NF}' list | tr '\n' ' ')" = "MANIFEST MANIFEST.sig objects.pack " ] || fail "entries: $(cat list)"
bsdtar xf 1.parcel
grep -q '"recipient": "st-wangjiang"' MANIFEST && grep -q '"sequence": 1' MANIFEST || fail "manifest: $(cat MANIFEST)"
git init -q --bare plain.git && git -C plain.git index-pack --stdin <objects.pack >/dev/null || fail "git index-pack"
ssh-keygen -Y check-novalidate -n strata-parcel -s MANIFEST.sig <MANIFEST >/dev/null 2>&1 ||
	fail "ssh-keygen does not verify MANIFEST.sig"
expect_fail 1 "exists; refusing to overwrite" "$STRATA" -C cn export --to st-wangjiang -o 1.parcel
expect_fail 1 "no peer 'nobody' in node.conf; its peers are 'st-wangjiang'" "$STRATA" -C cn export --to nobody -o x.parcel
expect_fail 1 "configured with direction pull: this node does not send to it" "$STRATA" -C st export --to cn-wangjiang-01 -o x.parcel
[ ! -e x.parcel ] || fail "a refused export left a file"
ok "a parcel is a plain tar: bsdtar lists it, git indexes its pack, ssh-keygen checks its signature"

"$STRATA" -C st import --keep 1.parcel >out || fail "import: $(cat out)"
grep -q "parcel 1 from cn-wangjiang-01 verified: 2 of 2 views moved" out || fail "import: $(cat out)"
[ "$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents)" = \
  "$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/residents)" ] || fail "received ref"
"$STRATA" -C st export residents 2>/dev/null && fail "received data is not a dataset st owns"
git -C st/repo.git fsck --strict 2>&1 | grep -v '^notice' && fail "git fsck"
"$STRATA" -C st verify >/dev/null || fail "verify"
ok "import: the view arrives at refs/strata/peers/<sender>/<view>, signed, and fsck-clean"

# 1% of the rows change.  Until st's receipt comes back, a parcel holds everything since
# what st confirmed (here: nothing), so a lost parcel never needs a human
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 100 == 0 {$5 = "19900000000"} {print}' "$seed" >v2.csv
"$STRATA" -C cn import residents v2.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o 2-unconfirmed.parcel >out
[ "$(stat -c %s 2-unconfirmed.parcel)" -ge "$(stat -c %s 1.parcel)" ] || fail "an unconfirmed parcel is not cumulative"
[ -f 1.parcel.receipt ] || fail "import wrote no receipt beside the parcel"
head -1 1.parcel.receipt | grep -qx "strata-receipt 1" || fail "receipt: $(head -3 1.parcel.receipt)"
"$STRATA" -C cn import 1.parcel.receipt >out || fail "receipt import"
grep -q "receipt from st-wangjiang: it holds parcel 1 (2 views); the next parcel builds on that" out || fail "receipt: $(cat out)"
# now the next parcel carries deltas against what st confirmed
"$STRATA" -C cn export --to st-wangjiang -o 2.parcel --unsealed >out
grep -q "parcel 3 for st-wangjiang: 2 views (1 with new commits).* ([1-9][0-9]* deltas)" out || fail "export 2: $(cat out)"
[ "$(stat -c %s 2.parcel)" -lt "$(($(stat -c %s 1.parcel) / 4))" ] || fail "the second parcel is not small"
mkdir thin && (cd thin && bsdtar xf ../2.parcel)
cp -r st/repo.git before.git
git -C before.git index-pack --stdin --fix-thin <thin/objects.pack >/dev/null 2>&1 || fail "git index-pack --fix-thin"
"$STRATA" -C st import --keep 2.parcel | grep -q "parcel 3 from cn-wangjiang-01 verified: 1 of 2 views moved" || fail "import 2"
"$STRATA" -C st diff peers/cn-wangjiang-01/residents~1 peers/cn-wangjiang-01/residents >/dev/null 2>&1 || true
[ "$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents)" = \
  "$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/residents)" ] || fail "received ref after 2"
"$STRATA" -C cn export --to st-wangjiang -o 3.parcel --full >out
grep -q "parcel 4 .* ([0-9]* deltas), [0-9]* bytes, full" out || fail "full export: $(cat out)"
"$STRATA" -C st import 3.parcel | grep -q "0 of 2 views moved" || fail "a full parcel of what st has moves nothing"
ok "incremental parcels are thin (REF_DELTA; git index-pack --fix-thin accepts them); --full sends all"

"$STRATA" -C cn status >out
grep -q "^peer st-wangjiang (street; direction push; policy community-to-street)" out || fail "status: $(cat out)"
grep -q "last parcel out: 4 at 20" out || fail "status out: $(cat out)"
grep -Eq "^  residents +[0-9a-f]{12} [0-9a-f]{12} sent$" out || fail "status view: $(cat out)"
"$STRATA" -C st status --json >st.json
grep -q '"sequence": 4' st.json && grep -q '"name": "cn-wangjiang-01/residents"' st.json || fail "status --json: $(cat st.json)"
awk -F, 'BEGIN {OFS=","} NR == 2 {$5 = "19900000001"} {print}' v2.csv >v3.csv
"$STRATA" -C cn import residents v3.csv >/dev/null
"$STRATA" -C cn view build >/dev/null
"$STRATA" -C cn status | grep -Eq "^  residents +[0-9a-f]{12} [0-9a-f]{12} ahead: built, not sent$" || fail "status ahead: $("$STRATA" -C cn status)"
# new data not built yet is waiting, whatever the last build said; a parcel-only peer is no alarm
awk -F, 'BEGIN {OFS=","} NR == 2 {$5 = "19900000002"} {print}' v2.csv >v4.csv
"$STRATA" -C cn import residents v4.csv >/dev/null
"$STRATA" -C cn status >out || fail "status exits 1 for a peer that only takes parcels: $(cat out)"
head -1 out | grep -qx "health: ok" || fail "status health: $(head -1 out)"
grep -Eq "^  residents +[0-9a-f]{12} [0-9a-f]{12} waiting: new data not built yet$" out || fail "status waiting: $(cat out)"
ok "status: per peer the last parcel in and out, per view built, sent and whether it is ahead"

# the audit log: one signed event per export, import, policy commit, view build
"$STRATA" -C st audit log >log
[ "$(grep -c ' parcel-import ' log)" = 3 ] || fail "st audit log: $(cat log)"
"$STRATA" -C cn audit log -v >log
grep -q " parcel-export  parcel 2 exported to st-wangjiang" log || fail "cn audit log: $(cat log)"
grep -q " policy-commit  policy community-to-street version 1 committed" log || fail "no policy event"
grep -q " view-build     view residents built for st-wangjiang" log || fail "no view event"
grep -q "Strata-Purpose: minimum living allowance review" log || fail "no purpose in events"
n=$(git -C cn/repo.git rev-list --count refs/strata/audit)
[ "$n" -ge 8 ] || fail "audit chain has $n events"
for c in $(git -C cn/repo.git rev-list refs/strata/audit); do
	sgit "$T/cn" verify-commit "$c" 2>/dev/null || fail "stock git does not verify audit event $c"
done
sgit "$T/st" log --show-signature refs/strata/audit 2>&1 | grep -c 'Good "git" signature' |
	grep -qx "$(git -C st/repo.git rev-list --count refs/strata/audit)" ||
	fail "git log --show-signature on st's audit log"
ok "audit log: a signed chain of events (export, import, policy, view) stock git verifies"

# four tiers by parcels alone: community -> street -> district -> province
to_province
at_pv=$(git -C pv/repo.git rev-parse "$(pv_ref residents)")
trailer() { git -C "$1/repo.git" log -1 --format="%(trailers:key=$3,valueonly)" "$2" | head -1; }
# hop by hop: each commit's Strata-Source is the commit the tier below holds
s_dx=$(trailer pv "$at_pv" Strata-Source)
[ "$(git -C dx/repo.git rev-parse refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents)" = "$s_dx" ] ||
	fail "province's source is not what the district received"
# the district's policy drops community: the province is not told the nodes below (source_names)
case "$(trailer pv "$at_pv" Strata-Source-Node)" in v-*) ;; *) fail "the province is told the street: $(trailer pv "$at_pv" Strata-Source-Node)" ;; esac
git -C pv/repo.git log --format=%B "$at_pv" | grep -q "st-wangjiang\|cn-wangjiang-01" && fail "the province's commits name the nodes below"
[ "$(trailer dx "$s_dx" Strata-Source-Node)" = cn-wangjiang-01 ] || fail "source node at the district"
s_st=$(trailer dx "$s_dx" Strata-Source)
[ "$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents)" = "$s_st" ] ||
	fail "district's source is not what the street received"
s_cn=$(trailer st "$s_st" Strata-Source)
[ "$(git -C cn/repo.git rev-parse refs/strata/datasets/residents)" = "$s_cn" ] ||
	fail "street's source is not the community's own commit"
[ -z "$(trailer pv "$at_pv" Strata-Origin)" ] || fail "Strata-Origin at the province: the origin is hidden with the path"
[ "$(trailer dx "$s_dx" Strata-Origin)" = "cn-wangjiang-01 $s_cn" ] || fail "Strata-Origin at the district"
[ "$(trailer pv "$at_pv" Strata-Purpose)" = "provincial monitoring of social assistance coverage" ] || fail "purpose"
"$STRATA" -C pv verify >/dev/null || fail "province verify"
# what the province holds is the district's view of the street's view of the community's data
fields=$(git -C pv/repo.git show "$at_pv:schema.json" | grep -o '"name":"[a-z_]*"' | tr '\n' ' ')
[ "$fields" = '"name":"id_number" "name":"gender" "name":"birth_date" "name":"street" "name":"income_band" ' ] ||
	fail "the province sees fields beyond its policy: $fields"
ok "four tiers by parcels: trailers lead hop by hop to the community's own commit; the province is not told the nodes below"

# the second round of an ordinary change: one phone number (which the street masks and the
# district drops) changes, so the street's view for the district gets a new commit with its
# parent's tree.  That tree once travelled as a delta against itself and the district's
# indexer grew without bound; each import here runs under a 1 GiB address-space cap
for n in cn st dx; do "$STRATA" -C "$n" import "$T/up-$n.parcel.receipt" >/dev/null 2>&1 || true; done
cap=1048576
case "${ASAN_OPTIONS:-}" in *detect_leaks*) cap=unlimited ;; esac	# ASan reserves terabytes
for r in 2 3; do
	awk -F, -v r=$r 'BEGIN {OFS=","} NR == 3 {$5 = "1380000000" r} {print}' v3.csv >v$r-round.csv
	"$STRATA" -C cn import residents v$r-round.csv >/dev/null
	for hop in "cn st-wangjiang st" "st dx-gongshu dx" "dx pv-zhejiang pv"; do
		set -- $hop
		"$STRATA" -C "$1" export --to "$2" -o "round$r-$1.parcel" >/dev/null
		(ulimit -v $cap; exec "$STRATA" -C "$3" import "round$r-$1.parcel") >out 2>err ||
			fail "round $r, $1 -> $3: $(cat err)"
		"$STRATA" -C "$1" import "round$r-$1.parcel.receipt" >/dev/null
		git -C "$3/repo.git" fsck --strict --no-dangling 2>&1 | grep -v "^notice" | grep . && fail "fsck at $3 after round $r"
	done
done
[ "$(git -C dx/repo.git rev-parse refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents^{tree})" = \
  "$(git -C dx/repo.git rev-parse refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents~1^{tree})" ] ||
	fail "the district's view should keep its tree when only a dropped field changed"
ok "rounds of changes in fields the tiers above drop: every parcel imports in bounded memory, fsck clean"
