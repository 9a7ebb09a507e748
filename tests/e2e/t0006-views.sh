#!/bin/sh
# Views: built through the peer's committed policy, signed, deterministic,
# following policy changes, relayable, and leaking nothing the policy hides.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
P=$TOP_SRCDIR/policies
seed=$TOP_SRCDIR/seeds/residents.csv

"$STRATA" init cn --name cn-wangjiang-01 --tier community >/dev/null
"$STRATA" init st --name st-wangjiang --tier street >/dev/null
"$STRATA" -C cn import residents "$seed" --key id_number >/dev/null
"$STRATA" -C cn import grid-events "$TOP_SRCDIR/seeds/grid-events.csv" --key event_id >/dev/null

conf_before=$(sha1sum cn/node.conf) state_before=$(node_state cn)
expect_fail 1 "no committed policy 'community-to-street'" "$STRATA" -C cn peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street
[ "$(sha1sum cn/node.conf)" = "$conf_before" ] && [ "$(node_state cn)" = "$state_before" ] || fail "a refused peer add changed the node"
"$STRATA" -C cn policy commit "$P/community-to-street.yaml" >/dev/null
conf_before=$(sha1sum cn/node.conf) state_before=$(node_state cn)
expect_fail 1 "does not name peer 'dx' or tier 'district'" "$STRATA" -C cn peer add dx --key st/keys/node.pub --tier district --policy community-to-street
expect_fail 1 "--key: " "$STRATA" -C cn peer add st-wangjiang --key "ssh-ed25519 AAAAnotakey" --tier street --policy community-to-street
expect_fail 1 "this node's own key" "$STRATA" -C cn peer add st-wangjiang --key cn/keys/node.pub --tier street --policy community-to-street
expect_fail 1 "invalid peer name 'St Wangjiang'" "$STRATA" -C cn peer add "St Wangjiang" --key st/keys/node.pub --tier street --policy community-to-street
expect_fail 1 "--url must be an https:// address" "$STRATA" -C cn peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street --url http://x
[ "$(sha1sum cn/node.conf)" = "$conf_before" ] && [ "$(node_state cn)" = "$state_before" ] || fail "a refused peer add changed the node"
"$STRATA" -C cn peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C cn peer list | grep -q "^st-wangjiang  *street  *push  *community-to-street " || fail "peer list: $("$STRATA" -C cn peer list)"
ok "peer add pins a key under a committed policy that names the peer"

"$STRATA" -C cn view build >out
grep -q "^st-wangjiang/residents: 1894 records, signed commit" out || fail "view build: $(cat out)"
grep -q "^st-wangjiang/grid-events: 1200 records, signed commit" out || fail "view build: $(cat out)"
V=refs/strata/views/st-wangjiang/residents
sgit "$T/cn" verify-commit $V 2>err || fail "stock git: $(cat err)"
msg=$(git -C cn/repo.git log -1 --format=%B $V)
src=$(git -C cn/repo.git rev-parse refs/strata/datasets/residents)
pblob=$(git -C cn/repo.git rev-parse refs/strata/policies:community-to-street.yaml)
for t in "Strata-Source: $src" "Strata-Source-Node: cn-wangjiang-01" "Strata-Policy: $pblob" \
	 "Strata-Policy-Version: 1" "Strata-Purpose: minimum living allowance review and elderly visits" \
	 "Strata-Recipient: st-wangjiang"; do
	echo "$msg" | grep -qxF "$t" || fail "missing trailer '$t'"
done
"$STRATA" -C cn view build | grep -q "residents: 1894 records, unchanged" || fail "rebuild should change nothing"
"$STRATA" -C cn verify >/dev/null || fail "verify"
ok "views are signed commits with provenance trailers; a rebuild is a no-op"

# determinism: the same source and policy (and secret) give the same tree on another node
tree=$(git -C cn/repo.git rev-parse $V^{tree})
"$STRATA" init cn2 --name cn-wangjiang-02 --tier community >/dev/null
(head -1 "$seed"; tail -n +2 "$seed" | sort -r) > shuffled.csv
"$STRATA" -C cn2 import residents shuffled.csv --key id_number >/dev/null
"$STRATA" -C cn2 policy commit "$P/community-to-street.yaml" >/dev/null
cp cn/secrets/community-to-street.key cn2/secrets/community-to-street.key
"$STRATA" -C cn2 peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C cn2 view build --peer st-wangjiang >/dev/null
[ "$(git -C cn2/repo.git rev-parse $V^{tree})" = "$tree" ] || fail "the same source and policy gave another tree"
ok "the same source, policy and secret give the same view tree on another node"

# incremental: after a change, the view is updated from the source diff, and
# a full rebuild finds nothing to change (the same tree)
# (a record leaving the filter would cut the view instead: t0027)
awk -F, 'BEGIN {OFS=","} NR==1 {print; next} NR==3 {next}
	NR==5 {$5="19900000000"} NR==8 {$12="true"} {print}' "$seed" > v2.csv
echo '330106199003071236,新居民,男,1990-03-07,13800000000,"浙江省杭州市望江街道1号",望江社区,望江街道,wangjiang-001-001,Hx,<1000,true' >> v2.csv
"$STRATA" -C cn import residents v2.csv >/dev/null
"$STRATA" -C cn view build --peer st-wangjiang > inc.out
grep -q "^st-wangjiang/residents: .* records, signed commit (incremental)" inc.out || fail "not incremental: $(cat inc.out)"
"$STRATA" -C cn view build --peer st-wangjiang --full > full.out
grep -q "^st-wangjiang/residents: .* records, unchanged" full.out || fail "a full rebuild differs from the incremental one: $(cat full.out)"
want=$(tail -n +2 v2.csv | grep -c ',true$')
got=$(git -C cn/repo.git ls-tree -r --name-only $V | grep jsonl | sed "s|^|$V:|" | xargs -n1 git -C cn/repo.git cat-file -p | wc -l)
[ "$got" = "$want" ] || fail "view holds $got records, the source has $want with consent"
git -C cn/repo.git log -1 --format=%B $V | grep -qx "Strata-Records: $want" || fail "Strata-Records after incremental build"
tree=$(git -C cn/repo.git rev-parse $V^{tree})
ok "an incremental view equals a full rebuild (adds, removals, changes, filter changes)"

# nothing the policy hides reaches any object reachable from the views
git -C cn/repo.git rev-list --objects --glob=refs/strata/views | cut -d" " -f1 |
	git -C cn/repo.git cat-file --batch > objects.txt
[ "$(wc -c < objects.txt)" -gt 100000 ] || fail "object dump too small"
tail -n +2 "$seed" | awk -F, '{print $1; print $5; print $10}' > hidden.txt    # id, phone, household
tail -n +2 "$seed" | awk -F, '{print $2}' | awk 'length($0) >= 2' > names.txt  # full names (masked)
tail -n +2 "$seed" | sed 's/.*"\(浙江[^"]*\)".*/\1/' > addresses.txt           # full addresses (prefixed)
for f in hidden.txt names.txt addresses.txt; do
	if grep -F -f "$f" objects.txt > leaks.txt; then
		fail "$(wc -l < leaks.txt) raw values from $f found in view objects, e.g. $(head -c 200 leaks.txt)"
	fi
done
grep -q '"consent"' objects.txt && fail "the consent field reached a view"
ok "no raw id, phone, household id, full name or full address in any view object"

# a policy change makes the next view follow it
sed 's/^version: 1/version: 2/; /      phone: /d' "$P/community-to-street.yaml" > v2.yaml
"$STRATA" -C cn policy commit v2.yaml >/dev/null
"$STRATA" -C cn view build --peer st-wangjiang | grep -q "residents: [0-9]* records, signed commit" || fail "rebuild after policy change"
records cn/repo.git $V >v2.lines
[ "$(wc -l <v2.lines)" = 1895 ] || fail "the v2 view holds $(wc -l <v2.lines) record lines, not 1895"
grep -q '"phone"' v2.lines && fail "phone still in the view after v2"
git -C cn/repo.git log -1 --format=%B $V | grep -qx "Strata-Policy-Version: 2" || fail "trailer after v2"
# v2 shares less (phone dropped): a retraction, so the view's history is cut to the new version
[ "$(git -C cn/repo.git rev-list --count $V)" = 1 ] || fail "view history after a tightening: $(git -C cn/repo.git rev-list --count $V)"
git -C cn/repo.git log -1 --format=%B $V | grep -q "^Strata-Cut: [0-9a-f]\{16\}$" || fail "a tightening's view names no cut"
ok "a policy change makes the next view follow the new policy"

# a missing secret is an error, and changes nothing
mv cn/secrets/community-to-street.key secret.bak
"$STRATA" -C cn import residents "$seed" --upsert >/dev/null   # no change, no commit
before=$(node_state cn)
sed 's/^version: 2/version: 3/' v2.yaml > v3.yaml
expect_fail 1 "missing secret key for policy 'community-to-street'" "$STRATA" -C cn view build
[ "$(node_state cn)" = "$before" ] || fail "a failed view build changed the node"
mv secret.bak cn/secrets/community-to-street.key
ok "a missing secret stops the build with a clear error"

# relay: data received from a community is shared onward under the street's own policy.
# (Parcels, which verify what they carry, come later; here the view is fetched directly.)
git -C st/repo.git fetch -q "$T/cn/repo.git" "$V:refs/strata/peers/cn-wangjiang-01/residents"
"$STRATA" init dt --name dt-xihu --tier district >/dev/null
"$STRATA" -C st peer add cn-wangjiang-01 --key cn/keys/node.pub --tier community --direction pull >/dev/null
"$STRATA" -C st policy commit "$P/street-to-district.yaml" >/dev/null
"$STRATA" -C st peer add dt-xihu --key dt/keys/node.pub --tier district --policy street-to-district >/dev/null
"$STRATA" -C st view build >out
grep -q "^dt-xihu/cn-wangjiang-01/residents: 1895 records, signed commit" out || fail "relay view: $(cat out)"
R=refs/strata/views/dt-xihu/cn-wangjiang-01/residents
git -C st/repo.git log -1 --format=%B $R | grep -qx "Strata-Source: $(git -C cn/repo.git rev-parse $V)" ||
	fail "relayed view does not name the community's view commit"
git -C st/repo.git log -1 --format=%B $R | grep -qx "Strata-Source-Node: cn-wangjiang-01" || fail "relay source node"
records st/repo.git $R >relay.lines
[ "$(wc -l <relay.lines)" = 1895 ] || fail "the relayed view holds $(wc -l <relay.lines) record lines"
grep -q '"name"' relay.lines && fail "district view has names"
"$STRATA" -C st verify >/dev/null || fail "street verify (own and received commits)"
ok "a street relays received data under its own policy; trailers chain to the community's commit"
