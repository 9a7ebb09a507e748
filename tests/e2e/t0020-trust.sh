#!/bin/sh
# Trust over time: peers are changed, removed and shown; node.conf is
# checked whenever a node opens and 'doctor' names every problem with its
# line; a policy's secret is backed up, restored and rotated, never made
# again behind the officer's back; a running daemon takes a new peer on
# SIGHUP.  Every refusal leaves the node as it was.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null

# --- direction follows the tiers, add refuses a pinned name ---
"$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district >out
grep -q "direction push (the tiers' default)" out || fail "peer add up: $(cat out)"
"$STRATA" -C dx peer add st-wangjiang --key st/keys/node.pub --tier street >out
grep -q "direction pull (the tiers' default)" out || fail "peer add down: $(cat out)"
[ "$(git config --file dx/node.conf peer.st-wangjiang.direction)" = pull ] || fail "the default is not written out"
conf_before=$(sha1sum st/node.conf)
state_before=$(node_state st)
expect_fail 1 "pinned already" "$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district
"$STRATA" init st2 --name st-other --tier street >/dev/null
expect_fail 1 "--direction is required" "$STRATA" -C st peer add st-other --key st2/keys/node.pub --tier street
expect_fail 1 "only sends here" "$STRATA" -C st peer add cn-two --key st2/keys/node.pub --tier community --policy street-to-district
[ "$(sha1sum st/node.conf)" = "$conf_before" ] && [ "$(node_state st)" = "$state_before" ] || fail "a refused peer add changed the node"
ok "the direction follows the tiers (push up, pull from below) or must be said; a pinned peer is not silently replaced"

# --- peer set: says what changed, an audit event; a bad change is refused whole ---
"$STRATA" -C st peer set dx-gongshu --url https://127.0.0.1:9 >out
grep -q "url: (none) -> https://127.0.0.1:9" out || fail "peer set: $(cat out)"
"$STRATA" -C st audit log | grep -q "peer-set *peer changed" || fail "no peer-set event"
git -C st/repo.git log -1 --format=%B refs/strata/audit | grep -q "^Strata-Changed: url: (none) -> https://127.0.0.1:9$" ||
	fail "the event does not say what changed"
conf_before=$(sha1sum st/node.conf)
state_before=$(node_state st)
expect_fail 1 "--policy is required with direction push" "$STRATA" -C st peer set dx-gongshu --no-policy
expect_fail 1 "must be push, pull or both, not 'psuh'" "$STRATA" -C st peer set dx-gongshu --direction psuh
expect_fail 1 "--url must be an https://" "$STRATA" -C st peer set dx-gongshu --url http://x
expect_fail 1 "no committed policy 'nope'" "$STRATA" -C st peer set dx-gongshu --policy nope
expect_fail 1 "no peer 'dx-nobody'" "$STRATA" -C st peer set dx-nobody --url https://x:1
expect_fail 2 "does not change a pinned key" "$STRATA" -C st peer set dx-gongshu --key dx/keys/node.pub
expect_fail 2 "nothing to change" "$STRATA" -C st peer set dx-gongshu
[ "$(sha1sum st/node.conf)" = "$conf_before" ] && [ "$(node_state st)" = "$state_before" ] || fail "a refused peer set changed the node"
"$STRATA" -C st peer set dx-gongshu --url https://127.0.0.1:9 >out
grep -q "nothing changed" out || fail "the same setting again: $(cat out)"
[ "$(node_state st)" = "$state_before" ] || fail "a peer set that changed nothing wrote an event"
ok "peer set changes one thing, says what, records it; a bad change is refused whole"

# --- peer show and list: the fingerprint stock ssh-keygen prints ---
fpr=$(ssh-keygen -lf dx/keys/node.pub | awk '{print $2}')
"$STRATA" -C st peer show dx-gongshu >out
grep -q "fingerprint: *$fpr" out || fail "peer show fingerprint: $(cat out)"
grep -q "direction: *push (the tiers' default)" out && fail "an explicit direction shown as a default"
grep -q "url: *https://127.0.0.1:9" out || fail "peer show url: $(cat out)"
"$STRATA" -C st peer show dx-gongshu --json >out.json
python3 -c 'import json,sys; o=json.load(open("out.json")); assert o["fingerprint"]==sys.argv[1] and o["direction"]=="push" and o["sent"]["time"] is None, o' "$fpr" ||
	fail "peer show --json: $(cat out.json)"
"$STRATA" -C st peer list --format csv >out.csv
grep -q "^dx-gongshu,district,push,street-to-district,https://127.0.0.1:9,$fpr," out.csv || fail "peer list csv: $(cat out.csv)"
expect_fail 1 "no peer 'nobody'" "$STRATA" -C st peer show nobody
ok "peer show and list give tier, direction, policy, url and the key's fingerprint as ssh-keygen -l prints it"

# --- node.conf checked whenever a node opens; doctor lists every problem with its line ---
"$STRATA" -C cn view build >/dev/null
"$STRATA" -C cn doctor >out || fail "doctor on a sound node: $(cat out)"
grep -q "no problems found" out || fail "doctor: $(cat out)"
cp cn/node.conf conf.good
sed -i 's/direction = push/direction = psuh/' cn/node.conf
line=$(grep -n 'direction = psuh' cn/node.conf | cut -d: -f1)
state_before=$(node_state cn)
expect_fail 1 "cn/node.conf:$line: peer 'st-wangjiang': direction 'psuh' is not push, pull or both" "$STRATA" -C cn status
expect_fail 1 "node.conf:$line" "$STRATA" -C cn view build
expect_fail 1 "node.conf:$line" "$STRATA" -C cn export --to st-wangjiang -o never.parcel
[ ! -e never.parcel ] && [ "$(node_state cn)" = "$state_before" ] || fail "a node with a broken node.conf changed"
cat >>cn/node.conf <<EOF
[peer "dx-typo"]
	key = ssh-ed25519 AAAAnotakey
	tier = distrct
	url = http://plain
	polcy = community-to-street
[peer "pv-nokey"]
	tier = province
[peer "st-samekey"]
	key = $(cut -d' ' -f1,2 st/keys/node.pub)
	tier = street
	direction = pull
[peer "st-ownkey"]
	key = $(cut -d' ' -f1,2 cn/keys/node.pub)
	tier = street
	direction = pull
EOF
chmod 644 cn/keys/node.key
set +e
"$STRATA" -C cn doctor >out 2>err
status=$?
set -e
[ "$status" -eq 1 ] || fail "doctor on a broken node exited $status"
for want in "node.conf:$line: peer 'st-wangjiang': direction 'psuh'" \
	"peer 'dx-typo': key does not parse" "peer 'dx-typo': unknown tier 'distrct'" \
	"peer 'dx-typo': url 'http://plain' is not an https:// address" "peer 'dx-typo': unknown setting 'polcy'" \
	"peer 'pv-nokey' has no key" "peer 'pv-nokey' is sent to (direction push) but has no policy" \
	"peer 'st-samekey': same key as peer 'st-wangjiang'" "peer 'st-ownkey': key is this node's own key" \
	"keys/node.key: readable by other users"; do
	grep -qF "$want" out || fail "doctor did not say '$want': $(cat out)"
done
# each with its line
polcy_line=$(grep -n 'polcy' cn/node.conf | cut -d: -f1)
grep -qF "node.conf:$polcy_line: peer 'dx-typo': unknown setting 'polcy'" out || fail "doctor: no line for polcy: $(cat out)"
grep -q "^    fix: chmod 600 " out || fail "doctor gives no fix: $(cat out)"
"$STRATA" -C cn doctor --json >out.json || true
python3 -c 'import json; o=json.load(open("out.json")); assert not o["ok"] and len(o["problems"]) >= 10 and all(p["fix"] for p in o["problems"]), o' ||
	fail "doctor --json: $(cat out.json)"
[ "$(node_state cn)" = "$state_before" ] || fail "doctor changed the node"
# peer set mends a broken node.conf: it opens whatever node.conf says
chmod 600 cn/keys/node.key
"$STRATA" -C cn peer set st-wangjiang --direction push >/dev/null
[ "$(git config --file cn/node.conf peer.st-wangjiang.direction)" = push ] || fail "peer set did not mend it"
cp conf.good cn/node.conf
"$STRATA" -C cn doctor >/dev/null || fail "doctor after the fix: $("$STRATA" -C cn doctor)"
# a config git itself cannot parse: the line, from libgit2
printf '[peer "x"\n' >>cn/node.conf
expect_fail 1 "node.conf" "$STRATA" -C cn doctor
cp conf.good cn/node.conf
ok "a broken node.conf stops every command with file:line and the fix; doctor lists all of them; peer set mends it"

# --- peer remove: views, received data and link file, in one change; leftovers of a hand edit ---
"$STRATA" -C cn export --to st-wangjiang -o p1.parcel >/dev/null
cp p1.parcel p1-copy.parcel	# a carrier's copy: the sender removes its own once confirmed
"$STRATA" -C st import --keep p1.parcel >/dev/null
"$STRATA" -C cn import p1.parcel.receipt >/dev/null
[ -n "$(git -C st/repo.git for-each-ref refs/strata/peers/cn-wangjiang-01/)" ] || fail "nothing received to remove"
# a value only the community's data holds (a masked phone of one record), in the street's objects before
canary=$(records st/repo.git refs/strata/peers/cn-wangjiang-01/residents | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["phone"])')
git -C st/repo.git cat-file --batch-all-objects --batch | grep -a -q -F -- "$canary" || fail "the canary is not in st's objects to begin with"
"$STRATA" -C st peer remove cn-wangjiang-01 >out
grep -q "0 views built for it and 2 received from it deleted" out || fail "peer remove: $(cat out)"
# its objects are gone from the packs, not only its refs
! git -C st/repo.git cat-file --batch-all-objects --batch | grep -a -q -F -- "$canary" || fail "a removed peer's data is still in st's objects"
git -C st/repo.git fsck --strict --no-dangling >fsck.out 2>&1 || fail "fsck after a prune: $(cat fsck.out)"
[ -z "$(git -C st/repo.git for-each-ref refs/strata/peers/cn-wangjiang-01/)" ] || fail "received refs left"
[ ! -e st/links/cn-wangjiang-01.json ] || fail "link file left"
! git config --file st/node.conf --get-regexp '^peer\.cn-wangjiang-01\.' >/dev/null || fail "node.conf still names it"
"$STRATA" -C st audit log | grep -q "peer-remove *peer cn-wangjiang-01 removed" || fail "no peer-remove event"
"$STRATA" -C st verify --all >/dev/null || fail "verify after a removal"
# what it signs is refused now, as from a stranger
state_before=$(node_state st)
expect_fail 3 "is not a peer of this node" "$STRATA" -C st import p1-copy.parcel
[ "$(node_state st)" = "$state_before" ] || fail "a parcel of a removed peer changed the node"
expect_fail 1 "no peer 'cn-wangjiang-01' in node.conf, and nothing of one here" "$STRATA" -C st peer remove cn-wangjiang-01
# --keep-data keeps what it sent, readable
"$STRATA" -C st peer add cn-wangjiang-01 --key cn/keys/node.pub --tier community >/dev/null
"$STRATA" -C st import p1-copy.parcel >/dev/null
"$STRATA" -C st peer remove cn-wangjiang-01 --keep-data >out
grep -q "what it sent is kept" out || fail "--keep-data: $(cat out)"
"$STRATA" -C st export cn-wangjiang-01/residents | head -1 | grep -q . || fail "kept data is not readable"
# a peer removed by editing node.conf: doctor names what it left, peer remove clears it
"$STRATA" -C cn view build >/dev/null
git config --file cn/node.conf --remove-section peer.st-wangjiang
"$STRATA" -C cn doctor >out 2>&1 && fail "doctor missed a hand-removed peer's views"
grep -q "'st-wangjiang' is not a pinned peer, but views built for it are still here" out || fail "doctor: $(cat out)"
grep -q "fix: strata peer remove st-wangjiang" out || fail "doctor fix: $(cat out)"
"$STRATA" -C cn peer remove st-wangjiang >out
grep -q "2 views built for it" out || fail "leftovers: $(cat out)"
"$STRATA" -C cn doctor >/dev/null || fail "doctor after clearing leftovers: $("$STRATA" -C cn doctor)"
ok "peer remove unpins and deletes its views, received data and link file (or keeps the data); it clears what a hand edit left"

# --- policy secrets: never re-made behind the officer's back; backed up, restored, rotated ---
"$STRATA" -C cn peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C cn view build >/dev/null
echo 'correct horse battery staple' >pass
echo 'wrong horse battery staple' >badpass
"$STRATA" -C cn policy secret export community-to-street backup.secret --passphrase-file pass >/dev/null
[ "$(stat -c %a backup.secret)" = 600 ] || fail "backup mode"
secret=$(cat cn/secrets/community-to-street.key)
! grep -qF "$(echo "$secret" | cut -c1-16)" backup.secret || fail "the backup holds the secret in the clear"
"$STRATA" -C cn audit log | grep -q "secret-export" || fail "no secret-export event"
mv cn/secrets/community-to-street.key lost.key
state_before=$(node_state cn)
expect_fail 1 "was committed before, but its secret" "$STRATA" -C cn policy commit "$TOP_SRCDIR/policies/community-to-street.yaml"
[ ! -e cn/secrets/community-to-street.key ] || fail "policy commit re-made a lost secret"
expect_fail 1 "policy secret import community-to-street" "$STRATA" -C cn view build
"$STRATA" -C cn doctor >out 2>&1 && fail "doctor missed a lost secret"
grep -q "its secret is missing" out || fail "doctor: $(cat out)"
expect_fail 3 "wrong passphrase" "$STRATA" -C cn policy secret import community-to-street backup.secret --passphrase-file badpass
sed 's/^node .*/node cn-other/' backup.secret >other.secret
expect_fail 1 "is node 'cn-other''s secret" "$STRATA" -C cn policy secret import community-to-street other.secret --passphrase-file pass
sed 's/^scrypt 15/scrypt 14/' backup.secret >altered.secret
expect_fail 3 "wrong passphrase, or the sealed data was changed" "$STRATA" -C cn policy secret import community-to-street altered.secret --passphrase-file pass
head -n 5 backup.secret >short.secret
expect_fail 1 "ends early" "$STRATA" -C cn policy secret import community-to-street short.secret --passphrase-file pass
expect_fail 1 "line 1: not a strata policy secret backup" "$STRATA" -C cn policy secret import community-to-street pass --passphrase-file pass
expect_fail 1 "is the secret of policy 'community-to-street', not 'street-to-district'" \
	"$STRATA" -C cn policy secret import street-to-district backup.secret --passphrase-file pass
[ "$(node_state cn)" = "$state_before" ] && [ ! -e cn/secrets/community-to-street.key ] || fail "a refused import changed the node"
"$STRATA" -C cn policy secret import community-to-street backup.secret --passphrase-file pass >out
grep -q "restored" out || fail "import: $(cat out)"
[ "$(cat cn/secrets/community-to-street.key)" = "$secret" ] || fail "the restored secret differs"
[ "$(stat -c %a cn/secrets/community-to-street.key)" = 600 ] || fail "restored secret mode"
"$STRATA" -C cn view build | grep -q unchanged || fail "a restored secret changed the views"
"$STRATA" -C cn audit view refs/strata/views/st-wangjiang/residents >/dev/null || fail "audit view after a restore"
# rotation: deliberate, then every view rebuilt in full with new tokens
"$STRATA" -C cn policy secret rotate community-to-street >out
grep -q "st-wangjiang: at the next view build" out && grep -q -- "--confirm" out || fail "rotate without --confirm: $(cat out)"
[ "$(cat cn/secrets/community-to-street.key)" = "$secret" ] || fail "rotate without --confirm rotated"
old_view=$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/residents)
"$STRATA" -C cn policy secret rotate community-to-street --confirm >/dev/null
[ "$(cat cn/secrets/community-to-street.key)" != "$secret" ] || fail "rotate kept the secret"
ls cn/secrets/community-to-street.key.retired-* >/dev/null || fail "the old secret is not kept"
"$STRATA" -C cn status | grep -q "waiting: policy secret rotated" || fail "status after a rotation: $("$STRATA" -C cn status)"
"$STRATA" -C cn view build >/dev/null
new_view=$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/residents)
[ "$old_view" != "$new_view" ] || fail "no view rebuilt after a rotation"
old_tok=$(records cn/repo.git "$old_view" | head -1)
records cn/repo.git "$new_view" | grep -qxF "$old_tok" && fail "a record kept its old token after a rotation"
# the old backup is not the secret the views are now built under
mv cn/secrets/community-to-street.key rotated.key
expect_fail 3 "views were built under secret" "$STRATA" -C cn policy secret import community-to-street backup.secret --passphrase-file pass
mv rotated.key cn/secrets/community-to-street.key
ok "a lost secret stops commit and build with how to restore it; a sealed backup restores it (checked against the audit log); rotation is deliberate and rebuilds every view"

# --- the daemon takes a new peer on SIGHUP, and keeps its peers on a bad edit ---
serve_node st --timeout 5
set_url cn st-wangjiang "$SERVE_PORT"
"$STRATA" init cn2 --name cn-xixi-02 --tier community >/dev/null
"$STRATA" -C cn2 import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >/dev/null
"$STRATA" -C cn2 policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C cn2 peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street \
	--url "https://127.0.0.1:$SERVE_PORT" >/dev/null
"$STRATA" -C cn2 view build >/dev/null
"$STRATA" -C st peer add cn-xixi-02 --key cn2/keys/node.pub --tier community >/dev/null
expect_fail 1 "" "$STRATA" -C cn2 push st-wangjiang
kill -HUP "$SERVE_PID"
wait_log "$T/st.log" "node.conf reloaded" || fail "no reload: $(cat "$T/st.log")"
"$STRATA" -C cn2 push st-wangjiang >out || fail "push after SIGHUP: $(cat out) $(cat "$T/st.log")"
grep -q "push st-wangjiang: parcel 1" out || fail "push: $(cat out)"
# a bad edit: the daemon says why and serves on with the peers it had
cp st/node.conf st.conf.good
sed -i 's/direction = pull/direction = plul/' st/node.conf
kill -HUP "$SERVE_PID"
wait_log "$T/st.log" "not reloaded" || fail "a bad reload was not reported: $(cat "$T/st.log")"
cp st.conf.good st/node.conf
"$STRATA" -C cn2 push st-wangjiang >out || fail "push after a refused reload: $(cat out)"
kill -0 "$SERVE_PID" || fail "the daemon died on SIGHUP"
ok "SIGHUP reloads node.conf's peers without a restart; a bad edit is refused and the old peers keep working"
