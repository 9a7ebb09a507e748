#!/bin/sh
# The console officials work in: on a node with officers, every answer
# needs an officer's login (name and their key's passphrase, loopback or
# not); an officer approves, refuses and erases from it, each change
# re-authenticated with the passphrase, carrying the session's CSRF token
# from the console's own origin, and landing in the audit log under their
# name and signature; an auditor reads and is refused every change; a
# session ends at logout, and when its officer is removed; failed logins
# are bounded and logged; form values cannot become options.  Then the
# same in headless Chromium.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
S() { "$STRATA" "$@"; }
mkdir -p cn/officers
STRATA_NEW_PASSPHRASE=wang-secret-1 S -C cn officer add wang --role operator --new-key cn/officers/wang.key >/dev/null
export STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1
STRATA_NEW_PASSPHRASE=zhang-secret-1 S -C cn --as wang officer add zhang --role officer --new-key cn/officers/zhang.key --display-name 张三 >/dev/null
STRATA_NEW_PASSPHRASE=zhou-secret-1 S -C cn --as wang officer add zhou --role officer --new-key cn/officers/zhou.key >/dev/null
STRATA_NEW_PASSPHRASE=li-secret-123 S -C cn --as wang officer add li --role auditor --new-key cn/officers/li.key >/dev/null
# a policy version that waits for a second officer
STRATA_OFFICER_KEY=cn/officers/zhang.key STRATA_PASSPHRASE=zhang-secret-1
sed -e 's/^version: .*/version: 2/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v2.yaml
sed -e 's/^version: .*/version: 3/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' -e 's/name: {mask: \[1, 0\]}/name: keep/' \
	"$TOP_SRCDIR/policies/community-to-street.yaml" >v3.yaml
S -C cn --as zhang policy commit v2.yaml >/dev/null
S -C cn --as zhang policy commit v3.yaml >p.out
pid=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" p.out)
[ -n "$pid" ] || fail "no proposal: $(cat p.out)"
unset STRATA_OFFICER_KEY STRATA_PASSPHRASE

"$STRATA" -C cn console --listen 127.0.0.1:0 >console.out 2>console.err &
echo $! >>"$T/daemons"
wait_log console.out "console of this node:" || fail "console: $(cat console.err)"
BASE=$(sed -n 's/^console of this node: \(http[^ ]*\) .*/\1/p' console.out)
HOST=${BASE#http://}
HOST=${HOST%/}
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# login NAME PASS JAR: 204 or the status
login() { curl -s -o login.out -w '%{http_code}' -c "$3" -H "Origin: http://$HOST" --data-urlencode "officer=$1" --data-urlencode "passphrase=$2" "${BASE}login"; }
csrf() { curl -s -b "$1" "${BASE}api/session" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("csrf", ""))'; }
# act JAR NAME [CURL ARGS...]: POST /api/act/NAME with the session's token and origin
act() { jar=$1 name=$2; shift 2; curl -s -o act.out -w '%{http_code}' -b "$jar" -H "Origin: http://$HOST" -H "X-Strata-CSRF: $(csrf "$jar")" "$@" "${BASE}api/act/$name"; }

# --- logins ---
[ "$(code "${BASE}api/status")" = 401 ] || fail "a node with officers answers without a login, on loopback"
curl -s "${BASE}api/session" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["officers"] and d["login_required"] and not d["logged_in"], d' ||
	fail "the session does not say officers log in"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: http://$HOST" --data "token=0123" "${BASE}login")" = 400 ] ||
	fail "the shared token is still a login on a node with officers"
[ "$(login zhou wrong-pass jar0)" = 401 ] || fail "a wrong passphrase logs in"
grep -q '"console-login"' cn/refused.log || fail "a failed login is not in refused.log"
[ "$(login zhou zhou-secret-1 jar1)" = 204 ] || fail "zhou's login: $(cat login.out)"
grep -q 'SameSite=Strict' jar1 2>/dev/null || grep -q "HttpOnly" jar1 || true
curl -s -D hdr -o /dev/null -H "Origin: http://$HOST" --data-urlencode "officer=zhou" --data-urlencode "passphrase=zhou-secret-1" "${BASE}login"
grep -qi "Set-Cookie: strata_console=[0-9a-f]\{64\}; Path=/; HttpOnly; SameSite=Strict" hdr || fail "the session cookie: $(grep -i set-cookie hdr)"
curl -s -b jar1 "${BASE}api/session" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["officer"] == "zhou" and d["role"] == "officer" and len(d["csrf"]) == 64, d' ||
	fail "the session does not name zhou"
[ "$(code -b jar1 "${BASE}api/status")" = 200 ] || fail "zhou cannot read"
[ "$(code -b jar1 "${BASE}api/pending")" = 200 ] || fail "no pending answer"
curl -s -b jar1 "${BASE}api/pending" | grep -q "$pid" || fail "the console does not list the proposal"
ok "a node with officers: nothing without a login (loopback too), no shared token; an officer logs in with their key's passphrase (a failure is refused and logged), a SameSite=Strict HttpOnly cookie"

# --- a change: its guards ---
before=$(node_state cn)
[ "$(curl -s -o /dev/null -w '%{http_code}' -b jar1 -H "Origin: http://$HOST" --data "id=$pid&passphrase=zhou-secret-1" "${BASE}api/act/approve")" = 403 ] ||
	fail "a change without the session's CSRF token"
[ "$(curl -s -o /dev/null -w '%{http_code}' -b jar1 -H "Origin: http://evil.example" -H "X-Strata-CSRF: $(csrf jar1)" --data "id=$pid&passphrase=zhou-secret-1" "${BASE}api/act/approve")" = 403 ] ||
	fail "a change from another origin"
[ "$(act jar1 approve --data "id=$pid")" = 400 ] || fail "a change without the passphrase again"
[ "$(act jar1 approve --data "id=-x&passphrase=zhou-secret-1")" = 400 ] || fail "an option as an id"
[ "$(act jar1 refuse --data-urlencode "id=$pid" --data-urlencode "reason=--as wang" --data "passphrase=zhou-secret-1")" = 400 ] ||
	fail "an option as a reason"
[ "$(act jar1 erase --data "dataset=st-wangjiang/residents&key=1&reason=x&passphrase=zhou-secret-1")" = 400 ] || fail "a received dataset erased"
[ "$(act jar1 nothing --data "passphrase=zhou-secret-1")" = 404 ] || fail "an unknown action"
[ "$(act jar1 approve --data "id=$pid&passphrase=not-it-at-all")" = 400 ] || fail "a change with a wrong passphrase"
[ "$(node_state cn)" = "$before" ] || fail "a refused change changed the node"
ok "a change needs the session's CSRF token, the console's own origin, the passphrase again and valid values (no option injection); refused, the node is as it was"

# --- the second officer approves from the console ---
[ "$(act jar1 approve --data "id=$pid&passphrase=zhou-secret-1")" = 200 ] || fail "zhou's approval: $(cat act.out)"
python3 -c 'import json,sys; d=json.load(open("act.out")); assert d["ok"] and "committed" in d["output"], d' || fail "the answer: $(cat act.out)"
ev=$(git -C cn/repo.git rev-parse refs/strata/audit)
msg=$(git -C cn/repo.git log -1 --format=%B "$ev")
echo "$msg" | grep -q "^Strata-Officer: zhou <SHA256:" && echo "$msg" | grep -q "^Strata-Approves: $pid$" &&
	echo "$msg" | grep -q "^Strata-Proposed-By: zhang " || fail "the console's change is not zhou's: $msg"
git -C cn/repo.git cat-file commit "$ev" | awk '/^gpgsig /{skip=1; next} skip && /^ /{next} {skip=0; print}' >ev.full
head -n -1 ev.full >ev.payload
printf -- '-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n' "$(tail -n 1 ev.full | sed 's/^Strata-Officer-Signature: //')" >ev.sig
printf 'zhou %s\n' "$(cut -d' ' -f1,2 cn/officers/zhou.key.pub)" >allowed
ssh-keygen -Y verify -f allowed -I zhou -n strata-officer -s ev.sig <ev.payload >/dev/null 2>&1 || fail "ssh-keygen does not verify zhou's console change"
# an erasure ordered from the console
key=$(sed -n 4p "$TOP_SRCDIR/seeds/residents.csv" | cut -d, -f1)
[ "$(act jar1 erase --data-urlencode "dataset=residents" --data-urlencode "key=$key" --data-urlencode "reason=居民申请 2026-7" --data "passphrase=zhou-secret-1")" = 200 ] ||
	fail "an erasure from the console: $(cat act.out)"
S -C cn export residents | grep -q "^$key," && fail "the console's erasure left the record"
git -C cn/repo.git log -1 --format=%B refs/strata/audit | grep -q "^Strata-Officer: zhou " || fail "the erasure is not zhou's"
S -C cn verify --all >/dev/null || fail "verify --all after the console's changes"
ok "an officer approves a waiting policy and orders an erasure from the console: each event is theirs, signed (ssh-keygen verifies), the proposer named"

# --- a request and a correction from the street, answered from the console ---
xround() { # cn -> st by parcel, the receipt back (it carries the street's messages)
	rm -f x.parcel x.parcel.receipt
	STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1 S -C cn --as wang export --to st-wangjiang -o x.parcel >/dev/null
	S -C st import x.parcel >/dev/null
	STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1 S -C cn --as wang import x.parcel.receipt >/dev/null
}
xround
S -C st request cn-wangjiang-01/residents --fields name --purpose "核对低保名单" --basis "政务数据共享条例" >req.out
rid=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req.out)
[ -n "$rid" ] || fail "no request: $(cat req.out)"
ck=$(S -C st export cn-wangjiang-01/residents --format jsonl | head -1 | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id_number"])')
S -C st correct cn-wangjiang-01/residents "$ck" --field income_band --value "0-2999" --note "民政核对" >/dev/null
xround
cid=$(curl -s -b jar1 "${BASE}api/corrections" | python3 -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["role"] == "owner"][0])')
curl -s -b jar1 "${BASE}api/requests" | python3 -c "import json,sys; assert any(r['id'] == '$rid' and r['role'] == 'owner' for r in json.load(sys.stdin))" ||
	fail "the request did not reach the console: $(curl -s -b jar1 "${BASE}api/requests")"
[ "$(act jar1 answer --data "id=$rid&passphrase=zhou-secret-1")" = 200 ] || fail "answering from the console: $(cat act.out)"
git -C cn/repo.git log -1 --format=%B refs/strata/audit | grep -q "^Strata-Officer: zhou " || fail "the answer is not zhou's"
S -C cn requests --json | python3 -c "import json,sys; assert [r for r in json.load(sys.stdin) if r['id'] == '$rid'][0]['status'] == 'approved'" ||
	fail "the request is not approved: $(S -C cn requests --json)"
[ "$(act jar1 correction-accept --data "id=$cid&passphrase=zhou-secret-1")" = 200 ] || fail "accepting from the console: $(cat act.out)"
git -C cn/repo.git log -1 --format=%B refs/strata/audit | grep -q "^Strata-Officer: zhou " || fail "the acceptance is not zhou's"
S -C cn corrections --json | python3 -c "import json,sys; assert [c for c in json.load(sys.stdin) if c['id'] == '$cid'][0]['status'] == 'accepted'" ||
	fail "the correction is not accepted: $(S -C cn corrections --json)"
S -C cn verify --all >/dev/null || fail "verify --all after the answers"
ok "a request for data and a correction filed at the street reach the community, and an officer answers both from the console, under their name"

# --- an auditor reads, changes nothing ---
[ "$(login li li-secret-123 jar2)" = 204 ] || fail "li's login"
[ "$(code -b jar2 "${BASE}api/audit")" = 200 ] && [ "$(code -b jar2 "${BASE}api/records?dataset=residents")" = 200 ] || fail "the auditor cannot read"
before=$(node_state cn)
for a in "approve|id=$pid" "refuse|id=$pid&reason=x" "erase|dataset=residents&key=$key&reason=x" "answer|id=0123456789abcdef" "correction-accept|id=0123456789abcdef"; do
	[ "$(act jar2 "${a%%|*}" --data "${a#*|}&passphrase=li-secret-123")" = 403 ] || fail "the auditor's ${a%%|*}: $(cat act.out)"
done
[ "$(node_state cn)" = "$before" ] || fail "an auditor's refused change changed the node"
ok "an auditor reads everything, and every change of theirs is refused"

# --- sessions end: at logout (a replayed cookie is dead), and when the officer is removed ---
curl -s -o /dev/null -b jar2 -H "Origin: http://$HOST" -X POST "${BASE}logout"
[ "$(code -b jar2 "${BASE}api/status")" = 401 ] || fail "a cookie replayed after logout still reads"
[ "$(code -b jar1 "${BASE}api/status")" = 200 ] || fail "zhou's session ended with li's"
STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1 S -C cn --as wang officer remove zhou >/dev/null
[ "$(code -b jar1 "${BASE}api/status")" = 401 ] || fail "a removed officer's session still reads"
[ "$(act jar1 approve --data "id=0123456789abcdef&passphrase=zhou-secret-1")" = 401 ] || fail "a removed officer's session still acts"
ok "a session ends at logout (the cookie replayed is refused) and when its officer is removed mid-session"

# --- brute force: bounded per officer, on loopback too, and logged ---
n=0
while [ $n -lt 10 ]; do
	[ "$(login li "guess-$n" jar3)" = 401 ] || fail "guess $n"
	n=$((n + 1))
done
[ "$(login li li-secret-123 jar3)" = 429 ] || fail "the right passphrase after ten wrong ones is not held off: $(cat login.out)"
[ "$(grep -c '"console-login"' cn/refused.log)" -ge 11 ] || fail "failed logins are not all logged"
[ "$(login zhang zhang-secret-1 jar4)" = 204 ] || fail "another officer is locked out by li's failures"
ok "failed logins: an officer is held off after ten, even from loopback, each logged; others are not"

# --- a role changed mid-session ends the session ---
[ "$(code -b jar4 "${BASE}api/status")" = 200 ] || fail "zhang's session does not read"
STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1 S -C cn --as wang officer set zhang --role auditor >/dev/null
[ "$(code -b jar4 "${BASE}api/status")" = 401 ] || fail "a session whose officer's role changed still reads"
[ "$(act jar4 approve --data "id=0123456789abcdef&passphrase=zhang-secret-1")" = 401 ] || fail "a session whose role changed still acts"
STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1 S -C cn --as wang officer set zhang --role officer >/dev/null
ok "a role changed mid-session ends the session: the officer logs in again"

# --- the same in a real browser: an officer approves from the page, an auditor gets no button ---
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
	ok "# SKIP the browser checks: chromium and chromedriver are not installed (sh contrib/run.sh test installs them)"
	exit 0
fi
ART=${ARTIFACTS:-$(cd "$(dirname "$STRATA")" && pwd)/tests/artifacts}/console
mkdir -p "$ART"
STRATA_OFFICER_KEY=cn/officers/wang.key STRATA_PASSPHRASE=wang-secret-1 \
	STRATA_NEW_PASSPHRASE=wu-secret-123 S -C cn --as wang officer add wu --role officer --new-key cn/officers/wu.key --display-name 吴七 >/dev/null
sed -e 's/^version: .*/version: 4/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' -e 's/name: {mask: \[1, 0\]}/name: keep/' \
	-e 's/^      phone: .*/      phone: keep/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v4.yaml
STRATA_OFFICER_KEY=cn/officers/zhang.key STRATA_PASSPHRASE=zhang-secret-1 S -C cn --as zhang policy commit v4.yaml >p.out
pid=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" p.out)
[ -n "$pid" ] || fail "no second proposal: $(cat p.out)"
# a fresh console: li's failed logins above hold that one off
kill "$(tail -1 "$T/daemons")" 2>/dev/null || true
"$STRATA" -C cn console --listen 127.0.0.1:0 >console.out 2>console.err &
echo $! >>"$T/daemons"
wait_log console.out "console of this node:" || fail "console: $(cat console.err)"
BASE=$(sed -n 's/^console of this node: \(http[^ ]*\) .*/\1/p' console.out)
cat >auditor.json <<EOF2
[
 {"lang": "en", "base": "${BASE}"},
 {"login": "${BASE}#/login", "officer": "li", "passphrase": "li-secret-123"},
 {"go": "${BASE}#/pending", "wait": "pending", "expect": ["$pid", "makes more visible", "zhang", "li (auditor)"], "absent": ["Approve", "Refuse"], "shot": "officers-auditor-pending"},
 {"go": "${BASE}#/disclosures/residents/$(sed -n 2p "$TOP_SRCDIR/seeds/residents.csv" | cut -d, -f1)", "wait": "disclosures", "expect": ["Disclosures of one record", "st-wangjiang"], "shot": "officers-disclosures"}
]
EOF2
python3 "$TOP_SRCDIR/tests/e2e/browser.py" auditor.json "$ART" >browser.out 2>&1 || fail "the auditor's console in Chromium: $(cat browser.out)"
cat >officer.json <<EOF2
[
 {"lang": "en", "base": "${BASE}"},
 {"login": "${BASE}#/login", "officer": "wu", "passphrase": "wu-secret-123"},
 {"go": "${BASE}#/pending", "wait": "pending", "click": ["Review"], "expect": ["$pid", "吴七 · wu (officer)", "What changes", "residents.phone", "mask [3, 4] → keep", "phone ~", "On this node's data", "Re-identification risk"], "shot": "officers-pending"},
 {"go": "${BASE}#/federation", "wait": "federation", "expect": ["cn-wangjiang-01"], "shot": "officers-federation"},
 {"go": "${BASE}#/pending", "wait": "pending", "act": [{"button": "Approve", "passphrase": "wu-secret-123"}], "expect": ["Done: it is in the audit log under your name.", "committed"], "shot": "officers-approved"}
]
EOF2
python3 "$TOP_SRCDIR/tests/e2e/browser.py" officer.json "$ART" >browser.out 2>&1 || fail "the officer's console in Chromium: $(cat browser.out)"
msg=$(git -C cn/repo.git log -1 --format=%B refs/strata/audit)
echo "$msg" | grep -q "^Strata-Officer: wu " && echo "$msg" | grep -q "^Strata-Approves: $pid$" || fail "the page's approval is not wu's: $msg"
[ ! -e "cn/pending/$pid.json" ] || fail "the approved change still waits"
ev=$(git -C cn/repo.git rev-parse refs/strata/audit)
cat >story.json <<EOF2
[
 {"lang": "en", "base": "${BASE}"},
 {"login": "${BASE}#/login", "officer": "li", "passphrase": "li-secret-123"},
 {"go": "${BASE}#/audit", "wait": "audit", "expect": ["policy-commit", "wu", "change-proposed", "zhang"], "shot": "officers-audit"},
 {"go": "${BASE}#/event/$ev", "wait": "event", "expect": ["One action: policy-commit", "By wu (officer); their signature: good", "change-proposed", "Strata-Approves", "$pid"], "shot": "officers-event"}
]
EOF2
python3 "$TOP_SRCDIR/tests/e2e/browser.py" story.json "$ART" >browser.out 2>&1 || fail "the story of one action in Chromium: $(cat browser.out)"
# each of an officer's changes from the page: a request answered, a correction accepted, an erasure ordered, a proposal refused
S -C st request cn-wangjiang-01/residents --fields gender --purpose "按性别统计" --basis "统计法" >req2.out
rid2=$(sed -n 's/^request \([0-9a-f]\{16\}\) filed.*/\1/p' req2.out)
ck2=$(S -C st export cn-wangjiang-01/residents --format jsonl | sed -n 3p | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id_number"])')
S -C st correct cn-wangjiang-01/residents "$ck2" --field income_band --value "3000-4999" --note "复核" >/dev/null
xround
ekey=$(sed -n 6p "$TOP_SRCDIR/seeds/residents.csv" | cut -d, -f1)
sed -e 's/^version: .*/version: 5/' -e 's/^purpose: .*/&\napproval: {expose_more: 2}/' -e 's/name: {mask: \[1, 0\]}/name: keep/' \
	-e 's/^      phone: .*/      phone: keep/' -e 's/^      address: .*/      address: keep/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v5.yaml
STRATA_OFFICER_KEY=cn/officers/zhang.key STRATA_PASSPHRASE=zhang-secret-1 S -C cn --as zhang policy commit v5.yaml >p5.out
pid5=$(sed -n "s/.*'strata approve \([0-9a-f]\{16\}\)'.*/\1/p" p5.out)
[ -n "$rid2" ] && [ -n "$pid5" ] || fail "the second request or proposal: $(cat req2.out p5.out)"
cat >acts.json <<EOF2
[
 {"lang": "en", "base": "${BASE}"},
 {"login": "${BASE}#/login", "officer": "wu", "passphrase": "wu-secret-123"},
 {"go": "${BASE}#/sharing", "wait": "sharing", "act": [{"button": "Approve", "passphrase": "wu-secret-123"}], "expect": ["Done: it is in the audit log under your name."], "shot": "officers-answer"},
 {"go": "${BASE}#/federation", "wait": "federation", "expect": ["cn-wangjiang-01"], "shot": "officers-between-1"},
 {"go": "${BASE}#/sharing", "wait": "sharing", "act": [{"button": "Accept", "passphrase": "wu-secret-123"}], "expect": ["Done: it is in the audit log under your name."], "shot": "officers-accept"},
 {"go": "${BASE}#/dataset/residents/records/$ekey", "wait": "dataset", "act": [{"button": "Order its erasure", "reason": "居民申请", "passphrase": "wu-secret-123"}], "expect": ["Done: it is in the audit log under your name."], "shot": "officers-erase"},
 {"go": "${BASE}#/pending", "wait": "pending", "act": [{"button": "Refuse", "reason": "地址不应公开", "passphrase": "wu-secret-123"}], "expect": ["Done: it is in the audit log under your name.", "refused: policy community-to-street version 5"], "shot": "officers-refuse"}
]
EOF2
python3 "$TOP_SRCDIR/tests/e2e/browser.py" acts.json "$ART" >browser.out 2>&1 || fail "an officer's changes in Chromium: $(cat browser.out)"
S -C cn requests --json | python3 -c "import json,sys; assert [r for r in json.load(sys.stdin) if r['id'] == '$rid2'][0]['status'] == 'approved'" || fail "the page's answer"
S -C cn corrections --json | python3 -c "import json,sys; assert all(c['status'] != 'open' for c in json.load(sys.stdin) if c['role'] == 'owner')" || fail "the page's acceptance"
S -C cn export residents | grep -q "^$ekey," && fail "the page's erasure left the record"
git -C cn/repo.git log -1 --format=%B refs/strata/audit | grep -q "^Strata-Reason: 地址不应公开$" || fail "the page's refusal and its reason"
[ "$(git -C cn/repo.git log --format=%B refs/strata/audit | grep -c '^Strata-Officer: wu ')" -ge 5 ] || fail "the page's changes are not all wu's"
S -C cn verify --all >/dev/null || fail "verify --all after the page's changes"
ok "in Chromium: an auditor sees what waits and the disclosures of one resident with no button to change anything; an officer approves from the page with their passphrase, the event theirs; the audit log names who did what, and one action's story (its proposal, both officers, the signature checked)"
