#!/bin/sh
# policy check and preview, as a privacy officer uses them.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

for p in "$TOP_SRCDIR"/policies/*.yaml; do
	"$STRATA" policy check "$p" >/dev/null || fail "example policy $p does not check"
done
ok "the example policies check"

"$STRATA" init n --name cn-wangjiang-01 --tier community >/dev/null
"$STRATA" -C n import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >/dev/null
"$STRATA" -C n import grid-events "$TOP_SRCDIR/seeds/grid-events.csv" --key event_id >/dev/null
before=$(node_state n)
"$STRATA" policy check "$TOP_SRCDIR/policies/community-to-street.yaml" --node n | grep -q "fields checked against the node" ||
	fail "check --node"
ok "check against the node's schemas"

sed 's/      name: {mask: \[1, 0\]}/      name: blur/' "$TOP_SRCDIR/policies/community-to-street.yaml" > blur.yaml
expect_fail 1 "'blur.yaml':16:13: unknown transform 'blur'" "$STRATA" policy check blur.yaml
sed 's/      gender: keep/      gender: {generalize: year}/' "$TOP_SRCDIR/policies/community-to-street.yaml" > year.yaml
expect_fail 1 "'year.yaml':17:15: generalize year needs a date, but field 'gender' is string" "$STRATA" policy check year.yaml --node n
sed 's/      income_band: keep/      income: keep/' "$TOP_SRCDIR/policies/community-to-street.yaml" > field.yaml
expect_fail 1 "dataset 'residents' has no field 'income'" "$STRATA" policy check field.yaml --node n
sed 's/      consent: "true" .*/      consented: "true"/' "$TOP_SRCDIR/policies/community-to-street.yaml" > filter.yaml
expect_fail 1 "filter on unknown field 'consented'" "$STRATA" policy check filter.yaml --node n
grep -v '^purpose:' "$TOP_SRCDIR/policies/community-to-street.yaml" > nopurpose.yaml
expect_fail 1 "missing 'purpose'" "$STRATA" policy check nopurpose.yaml
printf 'policy: x\n  version: 1\n - y\n' > syntax.yaml
expect_fail 1 "'syntax.yaml':2:10: a ':' where none can be" "$STRATA" policy check syntax.yaml
[ "$(node_state n)" = "$before" ] || fail "policy check changed the node"
ok "bad policies: file:line:column errors, node unchanged"

"$STRATA" -C n policy preview "$TOP_SRCDIR/policies/community-to-street.yaml" --dataset residents -n 3 >prev 2>err
[ "$(grep -c '^record ' prev)" = 3 ] || fail "preview record count"
grep -q "throwaway key" err || fail "preview did not say its key is a throwaway"
grep -E '^  phone +1[0-9]{10} +-> 1[0-9]{2}\*{4}[0-9]{4}$' prev >/dev/null || fail "phone mask in preview: $(cat prev)"
grep -E '^  consent .* -> \(dropped\)$' prev >/dev/null || fail "unnamed field not dropped"
grep -E '^  id_number +[0-9X]{18} +-> p[a-z2-7]{16}$' prev >/dev/null || fail "pseudonym in preview"
"$STRATA" -C n policy preview "$TOP_SRCDIR/policies/district-to-province.yaml" --dataset residents -n 1 2>/dev/null |
	grep -E '^  name .* -> \(dropped\)$' >/dev/null || fail "province sees names"
expect_fail 1 "does not share dataset 'services'" "$STRATA" -C n policy preview "$TOP_SRCDIR/policies/community-to-street.yaml" --dataset services
[ "$(node_state n)" = "$before" ] || fail "preview changed the node"
ok "preview shows real records before and after, and changes nothing"

# commit: signed into refs/strata/policies, secret created once, versions must rise
"$STRATA" -C n policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >out
grep -q "committed as blob" out || fail "commit output: $(cat out)"
grep -q "created the policy's secret" out || fail "commit did not create the secret"
[ "$(stat -c %a n/secrets/community-to-street.key)" = 600 ] || fail "secret mode"
sgit "$T/n" verify-commit refs/strata/policies 2>err || fail "policy commit not verified by git: $(cat err)"
git -C n/repo.git log -1 --format=%B refs/strata/policies | grep -qx "Strata-Policy-Version: 1" || fail "trailer"
blob=$(git -C n/repo.git rev-parse refs/strata/policies:community-to-street.yaml)
[ "$blob" = "$(git hash-object "$TOP_SRCDIR/policies/community-to-street.yaml")" ] || fail "committed blob differs"
git -C n/repo.git log -1 --format=%B refs/strata/policies | grep -qx "Strata-Policy-Blob: $blob" || fail "blob trailer"
secret=$(cat n/secrets/community-to-street.key)
"$STRATA" -C n policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" | grep -q "already committed" || fail "repeat commit"
[ "$(cat n/secrets/community-to-street.key)" = "$secret" ] || fail "the secret changed"
after_commit=$(node_state n)
sed 's/      phone: {mask: \[3, 4\]}.*/      phone: keep/' "$TOP_SRCDIR/policies/community-to-street.yaml" > v1b.yaml
expect_fail 1 "version 1 is already committed; raise 'version'" "$STRATA" -C n policy commit v1b.yaml
sed 's/      name: {mask: \[1, 0\]}/      name: blur/' "$TOP_SRCDIR/policies/community-to-street.yaml" > bad.yaml
expect_fail 1 "unknown transform 'blur'" "$STRATA" -C n policy commit bad.yaml
sed 's/^version: 1/version: 2/; s/      gender: keep/      gender: {generalize: year}/' "$TOP_SRCDIR/policies/community-to-street.yaml" > badtype.yaml
expect_fail 1 "generalize year needs a date" "$STRATA" -C n policy commit badtype.yaml
[ "$(node_state n)" = "$after_commit" ] || fail "a refused policy commit changed the node"
ok "policy commit: signed, secret kept, refusals change nothing"

"$STRATA" -C n policy preview "$TOP_SRCDIR/policies/community-to-street.yaml" --dataset residents -n 2 >p1 2>err
grep -q "throwaway" err && fail "preview used a throwaway key after commit"
"$STRATA" -C n policy preview "$TOP_SRCDIR/policies/community-to-street.yaml" --dataset residents -n 2 >p2 2>/dev/null
cmp -s p1 p2 || fail "pseudonyms changed between previews"
ok "preview uses the committed secret: stable pseudonyms"

sed 's/^version: 1/version: 2/; s/      phone: {mask: \[3, 4\]}.*/      phone: keep/; s/      birth_date: {generalize: month}.*/      birth_date: {generalize: year}/; s/  tiers: \[street\]/  tiers: [street, district]/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" > v2.yaml
"$STRATA" policy diff "$TOP_SRCDIR/policies/community-to-street.yaml" v2.yaml > d.txt
grep -q "MORE visible: tier district now receives what the policy shares" d.txt || fail "diff: new recipient: $(cat d.txt)"
grep -A1 "residents field phone: mask \[3, 4\] -> keep" d.txt | grep -q "MORE visible: phone shows more" || fail "diff: phone"
grep -A1 "residents field birth_date: generalize month -> generalize year" d.txt | grep -q "less visible" || fail "diff: birth_date"
tail -1 d.txt | grep -qx "3 changes: 2 expose more, 1 expose less, 0 change tokens" || fail "diff summary: $(tail -1 d.txt)"
expect_fail 1 "2 changes make more visible (--exit-code)" "$STRATA" policy diff "$TOP_SRCDIR/policies/community-to-street.yaml" v2.yaml --exit-code
sed 's/^version: 1/version: 2/; s/      phone: {mask: \[3, 4\]}.*/      phone: drop/' "$TOP_SRCDIR/policies/community-to-street.yaml" >tight.yaml
"$STRATA" policy diff "$TOP_SRCDIR/policies/community-to-street.yaml" tight.yaml --exit-code >d.txt ||
	fail "--exit-code failed a change that only hides: $(cat d.txt)"
"$STRATA" -C n policy commit v2.yaml --confirm | grep -q "committed as blob" || fail "commit v2"
[ "$(git -C n/repo.git rev-list --count refs/strata/policies)" = 2 ] || fail "policy history"
"$STRATA" -C n verify >/dev/null || fail "verify after policy commits"
ok "policy diff names what becomes more or less visible; v2 commits on top"
