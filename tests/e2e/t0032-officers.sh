#!/bin/sh
# People, not only nodes: named officers with roles, each with their own key.
# A node with no officer works as before; once it has one, every change
# names who makes it (--as), their role must allow it, and the audit event
# is signed with their key besides the node's: stock ssh-keygen checks it.
# Every refusal leaves the node as it was.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
S() { "$STRATA" "$@"; }

# stock tools only: the event's bytes without the gpgsig header and the last line, signed by KEY.pub
stock_verify() { # REPO COMMIT NAME PUBFILE
	git -C "$1" cat-file commit "$2" | awk '/^gpgsig /{skip=1; next} skip && /^ /{next} {skip=0; print}' >ev.full
	tail -n 1 ev.full | grep -q '^Strata-Officer-Signature: ' || return 1
	head -n -1 ev.full >ev.payload
	printf -- '-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n' \
		"$(tail -n 1 ev.full | sed 's/^Strata-Officer-Signature: //')" >ev.sig
	printf '%s %s\n' "$3" "$(cut -d' ' -f1,2 "$4")" >ev.allowed
	ssh-keygen -Y verify -f ev.allowed -I "$3" -n strata-officer -s ev.sig <ev.payload >/dev/null 2>&1
}
head_event() { git -C "$1/repo.git" rev-parse refs/strata/audit; }
trailer_of() { git -C "$1/repo.git" log -1 --format=%B "$2" | sed -n "s/^$3: //p"; }

# --- a node with no officer: as before, and says so ---
S -C cn officer list | grep -q "no officers" || fail "officer list on a node with none"
expect_fail 1 "this node has no officers" env STRATA_PASSPHRASE=x "$STRATA" -C cn --as wang import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
S -C cn doctor | grep -q "unattributed" || fail "doctor does not say that changes are unattributed: $(S -C cn doctor)"
ok "no officers: changes are the node's own, --as is refused, doctor says actions are unattributed"

# --- the first officer is an operator ---
node_state cn >before
expect_fail 1 "the first officer must be an operator" env STRATA_NEW_PASSPHRASE=zhang-secret-1 "$STRATA" -C cn officer add zhang --role officer --new-key zhang.key
node_state cn >after
cmp -s before after || fail "a refused first officer changed the node"
[ ! -e zhang.key ] && [ ! -e zhang.key.pub ] || fail "a refused officer's key was left behind"
STRATA_NEW_PASSPHRASE=wang-secret-1 S -C cn officer add wang --role operator --new-key wang.key --display-name 王五 >/dev/null
[ -f wang.key ] && [ -f wang.key.pub ] || fail "--new-key made no key"
grep -q "ENCRYPTED\|aes256-ctr" wang.key || head -c 400 wang.key | base64 -d 2>/dev/null | grep -q aes256 ||
	ssh-keygen -y -P '' -f wang.key >/dev/null 2>&1 && fail "the new key has no passphrase"
ok "the first officer must be an operator; --new-key makes a passphrase-protected OpenSSH key"

# --- from now on, every change names who makes it ---
node_state cn >before
expect_fail 1 "this node has officers" "$STRATA" -C cn import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
expect_fail 1 "this node has officers" env STRATA_NEW_PASSPHRASE=zhang-secret-1 "$STRATA" -C cn officer add zhang --role officer --new-key zhang.key
expect_fail 1 "this node has officers" "$STRATA" -C cn peer set st-wangjiang --url https://127.0.0.1:9
node_state cn >after
cmp -s before after || fail "a change without an officer changed the node"
export STRATA_OFFICER_KEY STRATA_PASSPHRASE
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
STRATA_NEW_PASSPHRASE=zhang-secret-1 S -C cn --as wang officer add zhang --role officer --new-key zhang.key >/dev/null
STRATA_NEW_PASSPHRASE=li-secret-123 S -C cn officer add li --role auditor --new-key li.key --as wang >/dev/null
S -C cn officer list --format csv >list.csv
grep -q "^wang,operator,王五,SHA256:" list.csv && grep -q "^zhang,officer,," list.csv && grep -q "^li,auditor,," list.csv ||
	fail "officer list: $(cat list.csv)"
ev=$(head_event cn)
[ "$(trailer_of cn "$ev" Strata-Officer | cut -d' ' -f1)" = wang ] || fail "the officer-add event does not name wang"
stock_verify cn/repo.git "$ev" wang wang.key.pub || fail "ssh-keygen -Y verify refuses wang's signature on $ev"
stock_verify cn/repo.git "$ev" zhang zhang.key.pub && fail "zhang's key verifies wang's signature"
ok "a change without --as is refused, node unchanged; officer add by the operator, signed: stock ssh-keygen verifies it"

# --- roles ---
node_state cn >before
STRATA_OFFICER_KEY=li.key STRATA_PASSPHRASE=li-secret-123
expect_fail 1 "auditor" "$STRATA" -C cn --as li import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
expect_fail 1 "auditor" "$STRATA" -C cn --as li view build
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
expect_fail 1 "'wang' is an operator and may not commit a policy" "$STRATA" -C cn --as wang policy commit "$TOP_SRCDIR/policies/community-to-street.yaml"
expect_fail 1 "may not order an erasure" "$STRATA" -C cn --as wang erase residents x --reason y
STRATA_OFFICER_KEY=zhang.key STRATA_PASSPHRASE=zhang-secret-1
expect_fail 1 "'zhang' is an officer and may not export a parcel" "$STRATA" -C cn --as zhang export --to st-wangjiang -o p.parcel
expect_fail 1 "may not name an officer" env STRATA_NEW_PASSPHRASE=zhou-secret-1 "$STRATA" -C cn --as zhang officer add zhou --role officer --new-key zhou.key
# the wrong key, the wrong passphrase, a misspelt name
expect_fail 3 "is not the one pinned for them" env STRATA_OFFICER_KEY=li.key STRATA_PASSPHRASE=li-secret-123 "$STRATA" -C cn --as zhang import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
expect_fail 1 "incorrect passphrase" env STRATA_PASSPHRASE=wrong-one "$STRATA" -C cn --as zhang import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
expect_fail 1 "did you mean 'zhang'" "$STRATA" -C cn --as zhangg import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
node_state cn >after
cmp -s before after || fail "a refused role, key or passphrase changed the node"
ok "roles: an auditor changes nothing, an operator commits no policy and orders no erasure, an officer exports no parcel and names no officer; a wrong key, passphrase or name is refused, node unchanged"

# --- an officer's work, signed ---
sed 's/^version: .*/version: 2/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v2.yaml
S -C cn --as zhang policy commit v2.yaml >/dev/null
ev=$(head_event cn)
stock_verify cn/repo.git "$ev" zhang zhang.key.pub || fail "the policy commit's event does not verify as zhang's"
[ "$(trailer_of cn "$ev" Strata-Officer-Role)" = officer ] || fail "the event does not name zhang's role"
trailer_of cn refs/strata/policies Strata-Officer | grep -q "^zhang <SHA256:" ||
	fail "the policy commit does not name zhang: $(git -C cn/repo.git log -1 --format=%B refs/strata/policies)"
awk -F, 'BEGIN {OFS=","} NR == 3 {$5 = "13900000077"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >changed.csv
S -C cn --as zhang import residents changed.csv --key id_number >/dev/null
trailer_of cn refs/strata/datasets/residents Strata-Officer | grep -q "^zhang " || fail "the dataset commit does not name zhang"
stock_verify cn/repo.git "$(head_event cn)" zhang zhang.key.pub || fail "the import's event does not verify"
# the operator sends it; the street (no officers) takes it as before
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
S -C cn --as wang export --to st-wangjiang -o p1.parcel >/dev/null
S -C st import p1.parcel >/dev/null || fail "the street refuses a parcel from a node with officers"
S -C cn --as wang import p1.parcel.receipt >/dev/null
stock_verify cn/repo.git "$(head_event cn)" wang wang.key.pub || fail "the receipt's event does not verify as wang's"
git -C cn/repo.git -c gpg.ssh.allowedSignersFile="$T/cn/keys/allowed_signers" verify-commit "$(head_event cn)" 2>/dev/null ||
	fail "stock git does not verify the node's signature over an event an officer co-signed"
S -C cn verify --all >verify.out || fail "verify --all: $(cat verify.out)"
ok "an officer's policy and import, the operator's export and receipt: each event names its officer and role, ssh-keygen and git verify both signatures, the dataset and policy commits name the officer"

# the policy version as evidence: who committed it, checked with no node; an export is an officer's act here
expect_fail 1 "this node has officers: say who is to export evidence" "$STRATA" -C cn evidence export --policy community-to-street@2 -o pol.ev
S -C cn --as wang evidence export --policy community-to-street@2 -o pol.ev >/dev/null || fail "evidence export --policy"
mkdir pol-check && cp pol.ev pol-check/ && (cd pol-check && "$STRATA" evidence verify pol.ev >../pol.v) || fail "verify: $(cat pol.v)"
grep -q "committed policy community-to-street version 2, by officer zhang <SHA256:[^>]*> (their own signature checks" pol.v &&
	grep -q "the policy's text parses, and names itself and its version" pol.v || fail "the policy's evidence: $(cat pol.v)"
tar xOf pol.ev parts/1-cn-wangjiang-01.json | grep -q '"officer": "wang"' || fail "the part does not name the auditor who exported it"
before=$(node_state cn)
expect_fail 1 "has no version 7 committed here" "$STRATA" -C cn --as wang evidence export --policy community-to-street@7 -o pol7.ev
expect_fail 1 "expected NAME@VERSION" "$STRATA" -C cn --as wang evidence export --policy community-to-street -o pol7.ev
[ ! -e pol7.ev ] && [ "$(node_state cn)" = "$before" ] || fail "a refused export wrote a file or changed the node"
ok "a policy version as evidence: its commit, text and the event naming the officer who committed it, checked with no node; exported by a named officer"

# a record's evidence carries the events that record its hops, the officers' acts among them checked offline;
# an officer's act the node forged (its own signature good, the officer's not over these bytes) is refused
key=$(records cn/repo.git refs/strata/datasets/residents | head -1 | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
S -C cn --as wang evidence export residents "$key" -o rec.ev >/dev/null || fail "evidence export of a record"
S evidence verify rec.ev >rec.v || fail "verify: $(cat rec.v)"
grep -q "an officer's act, each with the officer's own signature checked" rec.v || fail "officers' acts: $(cat rec.v)"
cp -r cn cn-forger
h=$(head_event cn-forger)
git -C cn-forger/repo.git cat-file commit "$h" | sed '/^gpgsig /,/-----END SSH SIGNATURE-----/d' |
	awk -v h="$h" '!body && /^parent / { print "parent " h; next } !body && $0 == "" { body = 1; print; next }
		body == 1 { print "forged: " $0; body = 2; next } { print }' >forged.raw
grep -q "^Strata-Officer-Signature: " forged.raw || fail "the head event is no officer's act"
f=$("$FORGE" rawcommit cn-forger forged.raw) && git -C cn-forger/repo.git update-ref refs/strata/audit "$f" ||
	fail "forging an event"
S -C cn-forger --as wang evidence export residents "$key" -o forged.ev >/dev/null || fail "export at the forger"
expect_fail 3 "and their signature on it does not check with the key it names" "$STRATA" evidence verify forged.ev
ok "a record's evidence: the events that record its hops, officers' acts checked with no node; a forged act refused"

# --- through ssh-agent: the private key never given to strata ---
eval "$(ssh-agent -s)" >/dev/null
printf '#!/bin/sh\necho zhang-secret-1\n' >askpass && chmod +x askpass
SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=: setsid ssh-add zhang.key </dev/null >/dev/null 2>&1 ||
	{ ssh-agent -k >/dev/null; fail "ssh-add"; }
sed 's/^version: .*/version: 3/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v3.yaml
env -u STRATA_OFFICER_KEY -u STRATA_PASSPHRASE "$STRATA" -C cn --as zhang policy commit v3.yaml >/dev/null ||
	{ ssh-agent -k >/dev/null; fail "policy commit through ssh-agent"; }
ssh-agent -k >/dev/null
stock_verify cn/repo.git "$(head_event cn)" zhang zhang.key.pub || fail "the agent's signature does not verify"
ok "an officer signs through ssh-agent (so a hardware token works): no key file, no passphrase given to strata"

# --- four eyes: what exposes more waits for a second officer ---
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
STRATA_NEW_PASSPHRASE=zhou-secret-1 S -C cn --as wang officer add zhou --role officer --new-key zhou.key --display-name 周六 >/dev/null
STRATA_OFFICER_KEY=zhang.key STRATA_PASSPHRASE=zhang-secret-1
sed -e 's/^version: .*/version: 4/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v4.yaml
S -C cn --as zhang policy commit v4.yaml >/dev/null || fail "a version that asks for more officers is refused"
sed -e 's/^version: .*/version: 5/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' -e 's/name: {mask: \[1, 0\]}/name: keep/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" >v5.yaml
pol=$(git -C cn/repo.git rev-parse refs/strata/policies)
S -C cn --as zhang policy commit v5.yaml >propose.out || fail "proposing v5: $(cat propose.out)"
id=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" propose.out)
[ -n "$id" ] || fail "no proposal id: $(cat propose.out)"
[ "$(git -C cn/repo.git rev-parse refs/strata/policies)" = "$pol" ] || fail "a version that waits was committed"
S -C cn status | grep -q "waits for a second officer: $id" || fail "status does not list what waits: $(S -C cn status)"
S -C cn status --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d['pending'][0]['id'] == '$id' and d['pending'][0]['proposer'] == 'zhang'" ||
	fail "status --json has no pending"
ev=$(head_event cn)
[ "$(trailer_of cn "$ev" Strata-Pending)" = "$id" ] && stock_verify cn/repo.git "$ev" zhang zhang.key.pub ||
	fail "the proposal's event is not zhang's signed change-proposed"
node_state cn >before
expect_fail 1 "not the same one" "$STRATA" -C cn --as zhang approve "$id"
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
expect_fail 1 "'wang' is an operator and may not approve a change" "$STRATA" -C cn --as wang approve "$id"
STRATA_OFFICER_KEY=zhou.key STRATA_PASSPHRASE=zhou-secret-1
expect_fail 1 "no change waits" "$STRATA" -C cn --as zhou approve 0123456789abcdef
# the file changed behind the proposer's back: refused, byte for byte
cp "cn/pending/$id.json" pending.saved
sed -i 's/name: keep/name: keep  /' "cn/pending/$id.json"
expect_fail 3 "not what its proposer signed" "$STRATA" -C cn --as zhou approve "$id"
cp pending.saved "cn/pending/$id.json"
node_state cn >after
cmp -s before after || fail "a refused approval changed the node"
S -C cn --as zhou approve "$id" >approve.out || fail "zhou's approval: $(cat approve.out)"
[ "$(git -C cn/repo.git rev-parse refs/strata/policies)" != "$pol" ] || fail "the approval committed nothing"
[ "$(git -C cn/repo.git show refs/strata/policies:community-to-street.yaml 2>/dev/null | grep -c 'name: keep')" = 1 ] ||
	git -C cn/repo.git log -1 --format=%B refs/strata/policies | grep -q "version 5" || fail "version 5 is not what was committed"
ev=$(head_event cn)
[ "$(trailer_of cn "$ev" Strata-Officer | cut -d' ' -f1)" = zhou ] && [ "$(trailer_of cn "$ev" Strata-Approves)" = "$id" ] &&
	trailer_of cn "$ev" Strata-Proposed-By | grep -q "^zhang <SHA256:" || fail "the commit's event does not name both: $(git -C cn/repo.git log -1 --format=%B "$ev")"
stock_verify cn/repo.git "$ev" zhou zhou.key.pub || fail "zhou's approval does not verify"
[ ! -e "cn/pending/$id.json" ] || fail "the approved change still waits"
S -C cn approve | grep -q "nothing waits" || fail "approve lists something after the approval"
# less visible: one officer is enough
sed -e 's/^version: .*/version: 6/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' -e 's/^      phone: .*/      phone: drop/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" >v6.yaml
STRATA_OFFICER_KEY=zhang.key STRATA_PASSPHRASE=zhang-secret-1
S -C cn --as zhang policy commit v6.yaml >v6.out || fail "v6: $(cat v6.out)"
grep -q "committed as blob" v6.out || fail "a version that shows less waited: $(cat v6.out)"
ok "four eyes on a policy: a version that makes more visible waits (status and approve list it), the proposer, an operator and a changed file are refused, a second officer commits it, both named and signed; less visible needs one"

# an erasure by two officers, a refusal, and the rule itself
key=$(sed -n 5p "$TOP_SRCDIR/seeds/residents.csv" | cut -d, -f1)
S -C cn --as zhang approve --require erase=2 >/dev/null
S -C cn --as zhang erase residents "$key" --reason "申请 2026-0042" >erase.out || fail "proposing an erasure: $(cat erase.out)"
eid=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" erase.out)
S -C cn export residents | grep -q "^$key," || fail "an erasure that waits was made"
git -C cn/repo.git log --format=%B refs/strata/audit | grep -q "$key" && fail "the audit log names the key of a proposed erasure"
STRATA_OFFICER_KEY=zhou.key STRATA_PASSPHRASE=zhou-secret-1
expect_fail 2 "usage" "$STRATA" -C cn --as zhou approve "$eid" --refuse
S -C cn --as zhou approve "$eid" --refuse --reason "没有书面申请" >/dev/null
[ "$(trailer_of cn "$(head_event cn)" Strata-Reason)" = "没有书面申请" ] || fail "the refusal's reason is not in its event"
S -C cn export residents | grep -q "^$key," || fail "a refused erasure was made"
STRATA_OFFICER_KEY=zhang.key STRATA_PASSPHRASE=zhang-secret-1
S -C cn --as zhang erase residents "$key" --reason "申请 2026-0043" >erase.out
eid=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" erase.out)
STRATA_OFFICER_KEY=zhou.key STRATA_PASSPHRASE=zhou-secret-1
S -C cn --as zhou approve "$eid" >/dev/null || fail "zhou's approval of the erasure"
S -C cn export residents | grep -q "^$key," && fail "the approved erasure left the record"
[ "$(trailer_of cn "$(head_event cn)" Strata-Approves)" = "$eid" ] || fail "the erasure's event does not name the proposal"
# fewer officers waits in turn
S -C cn --as zhou approve --require erase=1 >rule.out
rid=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" rule.out)
[ -n "$rid" ] || fail "lowering the rule did not wait: $(cat rule.out)"
STRATA_OFFICER_KEY=zhang.key STRATA_PASSPHRASE=zhang-secret-1
S -C cn --as zhang approve "$rid" >/dev/null
grep -q "erase = 2" cn/node.conf && fail "the rule was not lowered"
S -C cn verify --all >verify.out || fail "verify --all after four eyes: $(cat verify.out)"
ok "four eyes on an erasure: it waits (the log does not name the key), a refusal with its reason changes nothing, a second officer makes it; fewer officers is itself approved by a second"

# --- removal: their events still verify; the last operator stays ---
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
S -C cn --as wang officer remove li >/dev/null
S -C cn officer list --format csv | grep -q "^li,auditor,,SHA256:[^,]*,[^,]*,[0-9]" || fail "li is not shown removed"
node_state cn >before
expect_fail 1 "was removed" env STRATA_OFFICER_KEY=li.key STRATA_PASSPHRASE=li-secret-123 "$STRATA" -C cn --as li view build
expect_fail 1 "the last operator" "$STRATA" -C cn --as wang officer remove wang
expect_fail 1 "a name is never used again" env STRATA_NEW_PASSPHRASE=li-secret-456 "$STRATA" -C cn --as wang officer add li --role auditor --new-key li2.key
expect_fail 1 "already officer 'zhang'" "$STRATA" -C cn --as wang officer add wu --role officer --key zhang.key.pub
expect_fail 1 "this node's own" "$STRATA" -C cn --as wang officer add wu --role officer --key cn/keys/node.pub
expect_fail 1 "pinned for 'st-wangjiang'" "$STRATA" -C cn --as wang officer add wu --role officer --key st/keys/node.pub
expect_fail 2 "usage" "$STRATA" -C cn --as wang officer add wu --role officer
expect_fail 1 "role 'boss'" "$STRATA" -C cn --as wang officer add wu --role boss --key li.key.pub
expect_fail 1 "the last operator" "$STRATA" -C cn --as wang officer set wang --role officer
expect_fail 1 "role 'chief'" "$STRATA" -C cn --as wang officer set zhang --role chief
expect_fail 1 "did you mean 'zhang'" "$STRATA" -C cn --as wang officer set zhangg --role auditor
node_state cn >after
cmp -s before after || fail "a refused removal or addition changed the node"
S -C cn --as wang officer set zhou --role auditor --display-name 周六六 >/dev/null
S -C cn officer list --format csv | grep -q "^zhou,auditor,周六六," || fail "officer set: $(S -C cn officer list --format csv)"
expect_fail 1 "auditor" env STRATA_OFFICER_KEY=zhou.key STRATA_PASSPHRASE=zhou-secret-1 "$STRATA" -C cn --as zhou view build
S -C cn --as wang officer set zhou --role officer >/dev/null
S -C cn verify --all >verify.out || fail "verify --all after a removal: $(cat verify.out)"
ok "a removed officer acts no more, their events still verify; the last operator, a name used before, a key in use, a node's key, a bad role are refused"

# --- the daemon's exchanges are its operator's ---
STRATA_OFFICER_KEY=wang.key STRATA_PASSPHRASE=wang-secret-1
S -C cn --as wang peer set st-wangjiang --direction push >/dev/null 2>&1 || true
node_state cn >before
expect_fail 1 "this node has officers" env -u STRATA_OFFICER_KEY "$STRATA" -C cn serve --listen 127.0.0.1:0
expect_fail 1 "may not run the daemon" env STRATA_OFFICER_KEY=zhang.key STRATA_PASSPHRASE=zhang-secret-1 "$STRATA" -C cn --as zhang serve --listen 127.0.0.1:0
node_state cn >after
cmp -s before after || fail "a refused daemon changed the node"
ok "the daemon starts only under an operator"

# --- every event after the first officer names one, with a valid signature ---
first=$(git -C cn/repo.git log --format='%H %s' refs/strata/audit | grep "officer added" | tail -1 | cut -d' ' -f1)
for c in $(git -C cn/repo.git rev-list "$first..refs/strata/audit"); do
	name=$(trailer_of cn "$c" Strata-Officer | cut -d' ' -f1)
	[ -n "$name" ] || fail "event $c names no officer"
	stock_verify cn/repo.git "$c" "$name" "$name.key.pub" || fail "event $c: $name's signature does not verify"
done
ok "every event after the first officer's naming names an officer whose signature stock ssh-keygen verifies"
