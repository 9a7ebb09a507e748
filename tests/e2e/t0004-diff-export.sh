#!/bin/sh
# diff between imports; export round trips to the same tree id; upsert; schema change.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

"$STRATA" init n --name cn-wangjiang-01 --tier community >/dev/null
seed="$TOP_SRCDIR/seeds/residents.csv"
"$STRATA" -C n import residents "$seed" --key id_number >/dev/null

# change 2 phones, drop one row, add one
awk -F, 'NR==1 {print; next} NR==3 {next} NR==5 || NR==9 {OFS=","; $5="19900000000"; print; next} {print}' "$seed" > v2.csv
echo '110101199003070003,新居民,男,1990-03-07,13800000000,"浙江省杭州市望江街道1号",望江社区,望江街道,wangjiang-001-001,Hnew00001,<1000,true' >> v2.csv
"$STRATA" -C n import residents v2.csv >out
grep -q "1 added, 2 changed, 1 removed; 2400 records" out || fail "summary: $(cat out)"
ok "re-import reports added, changed, removed"

"$STRATA" -C n diff residents > diff.txt
grep -q "^+ id_number=110101199003070003" diff.txt || fail "added record missing from diff"
[ "$(grep -c '^~ ' diff.txt)" = 2 ] || fail "changed count in diff"
grep -q "    phone: '.*' -> '19900000000'" diff.txt || fail "field-level change missing"
[ "$(grep -c '^- ' diff.txt)" = 1 ] || fail "removed count in diff"
tail -1 diff.txt | grep -qx "1 added, 2 changed, 1 removed" || fail "diff summary"
"$STRATA" -C n diff residents HEAD~1 HEAD --stat | grep -qx "1 added, 2 changed, 1 removed" || fail "--stat"
first=$(git -C n/repo.git rev-parse refs/strata/datasets/residents~1)
"$STRATA" -C n diff residents "$first" HEAD --stat | grep -qx "1 added, 2 changed, 1 removed" || fail "diff by commit id"
expect_fail 1 "unknown revision 'HEAD~5'" "$STRATA" -C n diff residents HEAD~5
ok "diff shows records and fields"

tree=$(git -C n/repo.git rev-parse refs/strata/datasets/residents^{tree})
for fmt in csv jsonl; do
	"$STRATA" -C n export residents --format $fmt -o out.$fmt
	"$STRATA" -C n import rt-$fmt out.$fmt --key id_number >/dev/null
	t2=$(git -C n/repo.git rev-parse refs/strata/datasets/rt-$fmt^{tree})
	[ "$t2" = "$tree" ] || fail "export $fmt -> import gave tree $t2, not $tree"
done
"$STRATA" -C n export residents HEAD~1 > old.csv
[ "$(tail -n +2 old.csv | wc -l)" = 2400 ] || fail "export of HEAD~1 row count"
"$STRATA" -C n import old old.csv --key id_number >/dev/null
[ "$(git -C n/repo.git rev-parse refs/strata/datasets/old^{tree})" = \
  "$(git -C n/repo.git rev-parse refs/strata/datasets/residents~1^{tree})" ] || fail "export of HEAD~1 does not round trip"
ok "export round trips (csv, jsonl) to the same tree id; old revisions export"

# the same rows in another order give the same tree
(head -1 "$seed"; tail -n +2 "$seed" | sort -r) > shuffled.csv
"$STRATA" -C n import shuffled shuffled.csv --key id_number >/dev/null
"$STRATA" -C n import seedcopy "$seed" --key id_number >/dev/null
[ "$(git -C n/repo.git rev-parse refs/strata/datasets/shuffled^{tree})" = \
  "$(git -C n/repo.git rev-parse refs/strata/datasets/seedcopy^{tree})" ] || fail "row order changed the tree"
ok "row order does not change the tree id"

(head -1 "$seed"; echo '110101199003070003,改名,男,1990-03-07,13800000000,"x",望江社区,望江街道,wangjiang-001-001,Hnew00001,<1000,true') > up.csv
"$STRATA" -C n import residents up.csv --upsert | grep -q "0 added, 1 changed, 0 removed; 2400 records" || fail "upsert"
"$STRATA" -C n import residents up.csv --upsert | grep -q "no changes" || fail "repeat upsert should change nothing"
ok "upsert changes only what it names; a repeat makes no commit"

"$STRATA" -C n export residents | tr -d '\r' | sed '1s/,consent$/,consent,note/; 2,$s/$/,/' > wider.csv
"$STRATA" -C n import residents wider.csv --schema-change >out
grep -q "0 added, 2400 changed" out || fail "schema change summary: $(cat out)"
git -C n/repo.git log -1 --format=%B refs/strata/datasets/residents | grep -q "schema changed" || fail "schema change not in the message"
"$STRATA" -C n log residents --oneline | head -1 | grep -q " good " || fail "log --oneline"
"$STRATA" -C n verify >/dev/null || fail "verify after all imports"
ok "schema change with --schema-change is visible in the log"

"$STRATA" -C n import residents wider.csv --key phone,id_number --schema-change >out
grep -q "2400 added, 0 changed, 2400 removed" out || fail "re-key summary: $(cat out)"
expect_fail 1 "the key changed between these commits" "$STRATA" -C n diff residents
ok "changing the key re-keys every record, and diff says why it cannot match them"
