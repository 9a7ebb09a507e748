#!/bin/sh
# Forgetting that holds up, finding by finding: confirmations that arrive
# over HTTPS when nothing else moves, a disclosure ledger that outlives
# every cut, and an erasure pending too long flagged by status.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
many_processes

two_nodes
seed=$TOP_SRCDIR/seeds/residents.csv
# consenting residents (the street receives them): the first few of the seed file
consenting() { # N -> the Nth consenting resident's id
	"$STRATA" -C cn export residents --format jsonl | python3 -c '
import json, sys
n = int(sys.argv[1])
for l in sys.stdin:
    r = json.loads(l)
    if r.get("consent") == "true":
        n -= 1
        if n == 0:
            print(r["id_number"]); break' "$1"
}
a=$(consenting 1)
b=$(consenting 2)
c=$(consenting 3)
d=$(consenting 4)

# --- confirmations arrive over HTTPS: pulled ---
serve_node cn
CN_PID=$SERVE_PID
set_url st cn-wangjiang-01 "$SERVE_PORT"
"$STRATA" -C st sync >out 2>&1 || fail "first sync: $(cat out)"
"$STRATA" -C st sync >out 2>&1 || fail "second sync: $(cat out)"
grep -q "up to date" out || fail "the second sync moved data: $(cat out)"
first_sent=$("$STRATA" -C cn disclosures residents "$a" --format json | python3 -c '
import json, sys
print(min(d["sent"] for d in json.load(sys.stdin)["disclosures"] if d.get("event", "carried") == "carried" and d["sent"]))')
"$STRATA" -C cn erase residents "$b" --reason "request 1" >/dev/null
"$STRATA" -C st sync >out 2>&1 || fail "sync with the cut: $(cat out)"
"$STRATA" -C st audit log | grep -q "erasure-applied" || fail "the street did not apply the cut"
# the street now holds the cut; the next round, with nothing else to move, carries its word up
"$STRATA" -C st sync >out 2>&1 || fail "sync after the cut: $(cat out)"
grep -q "up to date" out || fail "the round after the cut moved data: $(cat out)"
"$STRATA" -C cn erasures >out 2>&1 || fail "the erasure is still pending after a round with the street up to date: $(cat out)"
grep -q "st-wangjiang  *residents  *confirmed" out || fail "erasures: $(cat out)"
"$STRATA" -C cn status >out 2>&1 || fail "status after a confirmed erasure: $(cat out)"
ok "over HTTPS (pull), an erasure is confirmed in the first round after the street applied it, though nothing else moved"

# --- pushed: the daemon's answer carries its new state ---
kill "$CN_PID"
wait "$CN_PID" 2>/dev/null || true
serve_node st
set_url cn st-wangjiang "$SERVE_PORT"
"$STRATA" -C cn sync >out 2>&1 || fail "push: $(cat out)"
"$STRATA" -C cn erase residents "$c" --reason "request 2" >/dev/null
"$STRATA" -C cn erasures --pending >/dev/null && fail "nothing pending right after the erasure"
"$STRATA" -C cn sync >out 2>&1 || fail "push of the cut: $(cat out)"
"$STRATA" -C cn erasures >out 2>&1 || fail "the pushed erasure is not confirmed by the push that carried it: $(cat out)"
[ "$(grep -c "confirmed" out)" -ge 2 ] || fail "erasures: both confirmed: $(cat out)"
ok "over HTTPS (push), the push that carries the cut brings back its confirmation"

# --- the ledger outlives cuts ---
# another person's erasure cut every view: the first disclosure of a is still the first
now_first=$("$STRATA" -C cn disclosures residents "$a" --format json | python3 -c '
import json, sys
print(min(d["sent"] for d in json.load(sys.stdin)["disclosures"] if d.get("event", "carried") == "carried" and d["sent"]))')
[ "$now_first" = "$first_sent" ] || fail "a's first disclosure moved from $first_sent to $now_first after another person's erasure"
# the erased person: when, to whom, with which fields, erased, confirmed
"$STRATA" -C cn disclosures residents "$b" --format json >b.json || fail "disclosures of an erased person: $(cat b.json)"
python3 - b.json <<'PY' || fail "disclosures of the erased person: $(cat b.json)"
import json, sys
d = json.load(open(sys.argv[1]))["disclosures"]
carried = [x for x in d if x["event"] == "carried"]
removed = [x for x in d if x["event"] == "removed"]
erased = [x for x in d if x["event"] == "erased"]
assert carried and all(x["recipient"] == "st-wangjiang" and x["sent"] for x in carried), carried
assert all(x["gone"] and x["fields"] is None for x in carried), "a value of the erased person is reported"
assert carried[0]["shared"]["phone"] == "mask" and carried[0]["policy_version"] == "1", carried[0]
assert len(removed) == 1 and removed[0]["kind"] == "erasure" and removed[0]["confirmed"], removed
assert len(erased) == 1 and erased[0]["reason"] == "request 1" and erased[0]["cut"] == removed[0]["cut"], erased
PY
"$STRATA" -C cn disclosures residents "$b" >b.txt
grep -q "removed .*: cut [0-9a-f]\{16\} (erasure); the recipient confirmed holding the cut" b.txt || fail "text: $(cat b.txt)"
grep -q "^erased here .* request 1" b.txt || fail "text: $(cat b.txt)"
# a retraction: the phone goes, and the ledger still says it was sent, masked
sed -e 's/^version: .*/version: 2/' -e '/^      phone:/d' "$TOP_SRCDIR/policies/community-to-street.yaml" >tight.yaml
"$STRATA" -C cn policy commit tight.yaml >/dev/null
"$STRATA" -C cn sync >out 2>&1 || fail "push of the retraction: $(cat out)"
"$STRATA" -C cn disclosures residents "$a" --format json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["disclosures"] if x["event"] == "carried"]
v1 = [x for x in d if x["policy_version"] == "1"]
v2 = [x for x in d if x["policy_version"] == "2"]
assert v1 and all(x["shared"].get("phone") == "mask" for x in v1), v1
assert v2 and all("phone" not in x["shared"] for x in v2), v2
' || fail "after a retraction the ledger does not say the masked phone was sent"
# every cut keeps its row: two erasures and a retraction, all confirmed
"$STRATA" -C cn erasures --format json >e.json || fail "erasures: $(cat e.json)"
python3 - e.json <<'PY' || fail "erasures lost a row: $(cat e.json)"
import json, sys
rows = json.load(open(sys.argv[1]))
kinds = sorted({(r["erasure"], r["kind"]) for r in rows if r["peer"] == "st-wangjiang" and r["view"] == "residents"})
assert [k for _, k in kinds].count("erasure") == 2 and [k for _, k in kinds].count("retraction") == 1, kinds
assert all(r["state"] == "confirmed" and r["cut_at"] for r in rows), rows
assert any(r["reason"] == "request 1" for r in rows) and any(r["reason"] == "request 2" for r in rows), rows
PY
# the ledger is the audit log's tree: signed with every event, read by stock git
git -C cn/repo.git ls-tree -r --name-only refs/strata/audit | grep -q "^ledger/views/st-wangjiang/residents/" ||
	fail "no ledger in the audit tree"
git -C cn/repo.git ls-tree -r --name-only refs/strata/audit | grep -q "^ledger/erased/" || fail "no erased keys in the ledger"
"$STRATA" -C cn verify --all >out || fail "verify --all: $(cat out)"
ok "the disclosure ledger outlives cuts: first disclosure kept, the erased person's story told (no value), a retracted field still on record, every cut's row kept"

# --- an erasure certificate, checked with no node, by strata and by stock tools ---
e2=$("$STRATA" -C cn erasures --format json | python3 -c '
import json, sys
print([r["erasure"] for r in json.load(sys.stdin) if r.get("reason") == "request 2"][0])')
e1=$("$STRATA" -C cn erasures --format json | python3 -c '
import json, sys
print([r["erasure"] for r in json.load(sys.stdin) if r.get("reason") == "request 1"][0])')
"$STRATA" -C cn certificate erasure "$e2" -o cert2.json >/dev/null || fail "certificate: $(cat cert2.json)"
"$STRATA" -C cn certificate erasure "$e1" -o cert1.json >/dev/null
expect_fail 1 "exists; refusing to overwrite it" "$STRATA" -C cn certificate erasure "$e2" -o cert2.json
expect_fail 1 "no cut '0123456789abcdef'" "$STRATA" -C cn certificate erasure 0123456789abcdef
mkdir nowhere
(cd nowhere && env -u STRATA_NODE "$STRATA" certificate verify ../cert2.json) >v2.out || fail "verify: $(cat v2.out)"
grep -q "erase, .*the erasure $e2 of residents: request 2" v2.out || fail "verify: $(cat v2.out)"
grep -q "st-wangjiang holds residents on the cut, as its own signed receipt" v2.out || fail "the push's receipt: $(cat v2.out)"
(cd nowhere && "$STRATA" certificate verify ../cert1.json) >v1.out || fail "verify (pulled): $(cat v1.out)"
grep -q "confirmed it over its pinned-key TLS connection, as cn-wangjiang-01's signed audit log records" v1.out ||
	fail "a pulled confirmation: $(cat v1.out)"
# forged: a commit's byte, the header's reason, a receipt's byte, a key: each refused, exit 3, the item named
python3 - cert2.json <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
def save(name, doc): json.dump(doc, open(name, "w"), sort_keys=True)
x = json.loads(json.dumps(d)); k = sorted(x["commits"])[0]
raw = bytearray(base64.b64decode(x["commits"][k])); raw[-2] ^= 1; x["commits"][k] = base64.b64encode(bytes(raw)).decode(); save("f-commit.json", x)
x = json.loads(json.dumps(d)); x["reason"] = "request 99"; save("f-reason.json", x)
x = json.loads(json.dumps(d)); r = sorted(x["receipts"])[0]; x["receipts"][r] = x["receipts"][r].replace("have ", "have  ", 1); save("f-receipt.json", x)
x = json.loads(json.dumps(d)); x["keys"]["st-wangjiang"] = x["keys"]["cn-wangjiang-01"]; save("f-key.json", x)
x = json.loads(json.dumps(d)); x["receipts"] = {}; save("f-gone.json", x)
PY
for f in commit reason receipt key gone; do
	set +e
	(cd nowhere && "$STRATA" certificate verify "../f-$f.json") >vf.out 2>&1
	st=$?
	set -e
	[ $st = 3 ] || fail "a certificate forged ($f) exits $st: $(cat vf.out)"
	grep -q "^FAILED: " vf.out || fail "a certificate forged ($f) names no failing item: $(cat vf.out)"
done
# the same pieces with stock tools: the erase event with git verify-commit, the receipt with ssh-keygen -Y verify
git init -q --bare stock.git
python3 - cert2.json <<'PY'
import base64, json, subprocess, sys
d = json.load(open(sys.argv[1]))
for k, v in d["commits"].items():
    out = subprocess.run(["git", "-C", "stock.git", "hash-object", "-t", "commit", "-w", "--stdin"], input=base64.b64decode(v),
                         capture_output=True, check=True).stdout.decode().strip()
    assert out == k, (out, k)
with open("signers", "w") as f:
    for name, key in d["keys"].items():
        f.write('%s namespaces="git,strata-receipt" %s\n' % (name, " ".join(key.split()[:2])))
r = d["receipts"][sorted(d["receipts"])[0]]
i = r.index("-----BEGIN SSH SIGNATURE-----"); j = r.index("-----END SSH SIGNATURE-----") + len("-----END SSH SIGNATURE-----")
open("receipt.body", "w").write(r[:i]); open("receipt.sig", "w").write(r[i:j] + "\n")
PY
ev=$(git -C stock.git rev-list --all 2>/dev/null | head -1 || true)
for c in $(python3 -c 'import json,sys; print(" ".join(json.load(open("cert2.json"))["commits"]))'); do
	git -C stock.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/signers" verify-commit "$c" 2>vc.out ||
		fail "git verify-commit $c: $(cat vc.out)"
	grep -q 'Good "git" signature' vc.out || fail "git verify-commit $c: $(cat vc.out)"
done
ssh-keygen -Y verify -f signers -I st-wangjiang -n strata-receipt -s receipt.sig <receipt.body >/dev/null 2>&1 ||
	fail "ssh-keygen does not verify the receipt in the certificate"
ok "an erasure certificate: checked with no node (exit 0), every forgery refused (exit 3, the item named); git verify-commit and ssh-keygen -Y verify check its pieces"

# --- an erasure not confirmed for a day needs attention ---
kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null || true
"$STRATA" -C cn erase residents "$d" --reason "request 3" >/dev/null
"$STRATA" -C cn status >out 2>&1 || true
! grep -q "erasure [0-9a-f]\{16\} of residents not confirmed" out || fail "status flags an erasure made a moment ago: $(cat out)"
later=$(($(date +%s) + 2 * 86400))
STRATA_TEST_NOW=$later "$STRATA" -C cn status >out 2>&1 && fail "status two days on, the erasure unconfirmed: $(cat out)"
grep -q "needs attention:.* erasure [0-9a-f]\{16\} of residents not confirmed by st-wangjiang: not confirmed for more than a day" out ||
	fail "status: $(cat out)"
ok "status flags an erasure a recipient has not confirmed for a day"

# --- withdrawal is retraction: a record that leaves the filter leaves the recipient's history ---
w=$(consenting 6)
"$STRATA" -C cn export residents --format jsonl | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["id_number"] == sys.argv[1]:
        print(r["phone"][-4:])' "$w" >/dev/null
wtok=$("$STRATA" -C cn disclosures residents "$w" --format json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin)["disclosures"] if x["event"] == "carried" and x["key"]]
print(d[0]["key"][0])')
[ -n "$wtok" ] || fail "the street does not hold the resident who will withdraw"
git -C st/repo.git cat-file --batch-all-objects --batch | grep -a -q -F "$wtok" || fail "no object at the street holds $wtok"
"$STRATA" -C cn export residents --format csv | python3 -c '
import csv, sys
rows = list(csv.reader(sys.stdin))
h = rows[0]
for r in rows[1:]:
    if r[h.index("id_number")] == sys.argv[1]:
        r[h.index("consent")] = "false"
csv.writer(sys.stdout, lineterminator="\n").writerows(rows)' "$w" >withdrawn.csv
"$STRATA" -C cn import residents withdrawn.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o wd.parcel >/dev/null
"$STRATA" -C st import wd.parcel >/dev/null || fail "the street refuses the withdrawal"
"$STRATA" -C cn import wd.parcel.receipt >/dev/null
! git -C st/repo.git cat-file --batch-all-objects --batch | grep -a -q -F "$wtok" || fail "the street still holds the resident who withdrew consent"
"$STRATA" -C cn erasures --format json | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["kind"] == "withdrawal"]
assert rows and all(r["state"] == "confirmed" for r in rows), rows' || fail "the withdrawal is not in erasures, confirmed"
"$STRATA" -C cn disclosures residents "$w" --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)["disclosures"]
assert any(x["event"] == "removed" and x["kind"] == "withdrawal" for x in d), d' || fail "disclosures does not show the withdrawal"
# on_filter_exit: keep_history says otherwise, and policy diff says it shows more
sed -e 's/^version: .*/version: 3/' -e 's/^  residents:$/  residents:\n    on_filter_exit: keep_history/' tight.yaml >keephist.yaml
"$STRATA" -C cn policy diff community-to-street keephist.yaml | grep -q "on_filter_exit.*MORE visible\|MORE visible.*on_filter_exit\|on_filter_exit: cut -> keep_history" ||
	fail "policy diff: $("$STRATA" -C cn policy diff community-to-street keephist.yaml)"
ok "a resident who withdraws consent leaves the street's history too (a withdrawal cut, confirmed, in disclosures)"

# --- an erased key does not come back by accident ---
before=$(node_state cn)
expect_fail 1 "bring back a key this node erased" "$STRATA" -C cn import residents "$seed"
grep -q "(erasure [0-9a-f]\{16\} of residents: request 1)" "$T/err" || fail "the refusal names no erasure: $(cat "$T/err")"
grep -q -- "--allow-erased --reason" "$T/err" || fail "the refusal says not what to do: $(cat "$T/err")"
[ "$(node_state cn)" = "$before" ] || fail "a refused re-import changed the community (objects included)"
expect_fail 2 "usage" "$STRATA" -C cn import residents "$seed" --reason "no flag"
expect_fail 1 "--allow-erased needs --reason" "$STRATA" -C cn import residents "$seed" --allow-erased
[ "$(node_state cn)" = "$before" ] || fail "a refused re-import changed the community"
"$STRATA" -C cn import residents "$seed" --allow-erased --reason "court order 12" >out || fail "--allow-erased: $(cat out)"
grep -q "keys\? erased before imported again" out || fail "import --allow-erased: $(cat out)"
"$STRATA" -C cn audit log | grep -q "erased-reimported .*erased keys\? imported again into residents" || fail "no audit event"
"$STRATA" -C cn erasures --format json | python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r.get("reimported")]
assert rows and all("court order 12" in r["reimported"] for r in rows), rows' || fail "erasures does not show the re-import"
ok "re-importing an erased key is refused naming the erasure, the node unchanged; --allow-erased --reason brings it back, audited, in erasures"

# --- an old genuine parcel is met calmly; one signed twice under a number is evidence of a fork ---
newseq() { sed -n 's/.*parcel \([0-9]*\).*/\1/p' "$1" | head -1; }
"$STRATA" -C cn export --to st-wangjiang -o o1.parcel >o1.out || fail "export: $(cat o1.out)"
"$STRATA" -C st import --keep o1.parcel >/dev/null || fail "import o1"
cp -r cn cn-fork	# the same key, a copy of the node: what a stolen key or a restored backup is
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 7 == 0 {$5 = "13700000000"} {print}' "$seed" >changed.csv
"$STRATA" -C cn import residents changed.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o o2.parcel >o2.out
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 9 == 0 {$5 = "13900000000"} {print}' "$seed" >forked.csv
"$STRATA" -C cn-fork import residents forked.csv >/dev/null
"$STRATA" -C cn-fork export --to st-wangjiang -o fork2.parcel >fork.out
[ "$(newseq o2.out)" = "$(newseq fork.out)" ] || fail "the fork's parcel has another number: $(cat o2.out fork.out)"
"$STRATA" -C cn import residents "$seed" >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o o3.parcel >o3.out	# lost on the way, found later
"$STRATA" -C cn import residents changed.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o o4.parcel >o4.out
"$STRATA" -C st import o2.parcel >/dev/null || fail "import o2"
"$STRATA" -C st import o4.parcel >/dev/null || fail "import o4"
before=$(node_state st)
refused_before=$(wc -l <st/refused.log 2>/dev/null || echo 0)
"$STRATA" -C st import o1.parcel >out 2>&1 || fail "an old genuine parcel is refused: $(cat out)"
grep -q "parcel $(newseq o1.out) from cn-wangjiang-01 already held (superseded by parcel $(newseq o4.out))" out || fail "old parcel: $(cat out)"
"$STRATA" -C st import o3.parcel >out 2>&1 || fail "a lost parcel found later is refused: $(cat out)"
grep -q "already held (superseded by parcel $(newseq o4.out))" out || fail "lost parcel found later: $(cat out)"
[ "$(node_state st)" = "$before" ] || fail "an old parcel changed the street"
[ "$(wc -l <st/refused.log 2>/dev/null || echo 0)" = "$refused_before" ] || fail "an old genuine parcel was logged as refused: $(tail -1 st/refused.log)"
"$STRATA" -C st status >out 2>&1; ! grep -q "forked" out || fail "status: $(cat out)"
ok "an old genuine parcel (a copy found later, or one lost and found after the next) is already held: exit 0, not refused"
# the fork: the same number, other content, the same key
before=$(node_state st)
expect_fail 3 "'cn-wangjiang-01' signed two different parcels numbered $(newseq o2.out)" "$STRATA" -C st import fork2.parcel
grep -q "kept as evidence in .*/evidence/cn-wangjiang-01-parcel-$(newseq o2.out)-" "$T/err" || fail "no evidence named: $(cat "$T/err")"
[ "$(node_state st)" = "$before" ] || fail "a forked parcel changed the street"
ls st/evidence/cn-wangjiang-01-parcel-"$(newseq o2.out)"-*.sig >/dev/null || fail "no signature kept as evidence"
# the evidence stands on its own: the signed manifest checks with the sender's key and stock ssh-keygen
ev=$(ls st/evidence/cn-wangjiang-01-parcel-*.sig | head -1)
printf 'cn-wangjiang-01 namespaces="strata-parcel" %s\n' "$(cut -d' ' -f1,2 cn/keys/node.pub)" >signers
ssh-keygen -Y verify -f signers -I cn-wangjiang-01 -n strata-parcel -s "$ev" <"${ev%.sig}" >/dev/null 2>&1 ||
	fail "the evidence's signature does not verify with ssh-keygen"
"$STRATA" -C st status >out 2>&1 && fail "status is ok with evidence of a fork"
grep -q "1 parcel refused as evidence of a forked sender" out || fail "status: $(cat out)"
ok "a parcel signed under a number already used, with other content, is refused (exit 3), kept as evidence ssh-keygen verifies, reported by status"
# a number never accepted (the lost o3's), other content, commits not in the street's history: a rollback, refused
"$STRATA" -C cn-fork export --to st-wangjiang -o fork3.parcel >fork3.out
[ "$(newseq fork3.out)" = "$(newseq o3.out)" ] || fail "the fork's next parcel: $(cat fork3.out o3.out)"
before=$(node_state st)
expect_fail 1 "is older than one already imported: the last accepted was $(newseq o4.out) (replay or rollback)" "$STRATA" -C st import fork3.parcel
[ "$(node_state st)" = "$before" ] || fail "a rollback changed the street"
ok "an older number never accepted, whose commits the street's history does not hold, is refused as a replay or rollback"

# --- no parcel left behind ---
"$STRATA" -C cn export --to st-wangjiang -o n1.parcel >/dev/null
cp n1.parcel carried.parcel	# what the carrier's stick holds; n1.parcel is the community's own file
"$STRATA" -C st import carried.parcel >out || fail "import: $(cat out)"
[ ! -e carried.parcel ] || fail "the imported parcel file is still there"
grep -q "carried.parcel: removed" out || fail "import does not say it removed the file: $(cat out)"
[ -f carried.parcel.receipt ] || fail "no receipt"
[ -f n1.parcel ] || fail "the community's file went before the street confirmed it"
"$STRATA" -C cn import carried.parcel.receipt >out || fail "receipt: $(cat out)"
[ ! -e n1.parcel ] || fail "the community keeps a parcel file the street confirmed"
grep -q "1 parcel file exported to st-wangjiang and now held there removed" out || fail "receipt import: $(cat out)"
# --keep keeps it, and says erasure cannot reach it
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 11 == 0 {$5 = "13511111111"} {print}' "$seed" >k.csv
"$STRATA" -C cn import residents k.csv --allow-erased --reason "test data" >/dev/null 2>&1 || "$STRATA" -C cn import residents k.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o n2.parcel >/dev/null
cp n2.parcel kept.parcel
"$STRATA" -C st import --keep kept.parcel >out || fail "import --keep: $(cat out)"
[ -f kept.parcel ] || fail "--keep did not keep the file"
grep -q "strata cannot erase what this file holds" out || fail "import --keep: $(cat out)"
# an erasure lists the files it cannot reach: the community's unconfirmed parcel for the street
x=$(consenting 7)
"$STRATA" -C cn export --to st-wangjiang -o n3.parcel >/dev/null
"$STRATA" -C cn erase residents "$x" --reason "request 9" >out || fail "erase: $(cat out)"
grep -q "parcel files strata knows of that may still hold the record" out || fail "erase lists no parcel file: $(cat out)"
grep -q "$T/n3.parcel (for st-wangjiang)" out || fail "erase does not name n3.parcel: $(cat out)"
! grep -q "n1.parcel" out || fail "erase names a file already removed: $(cat out)"
ok "no parcel left behind: an imported parcel is removed once its receipt is written (--keep keeps it, said to be out of erasure's reach), the sender's once confirmed; erase names the files it cannot reach"

# --- a kill at any point of an erasure: the next writer (or doctor --repair) completes it, or it never happened ---
# every point where the node's files change visibly (each fsync, rename, link, unlink: a write to a file not
# yet renamed into place changes nothing a reader sees); the sanitizer build samples every STRATA_CRASH_STRIDE-th
: "${FAULTSHIM:?FAULTSHIM must name tests/fault/faultshim.so (make check sets it)}"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export ASAN_OPTIONS
mkdir kill && cd kill
# a community of 400 residents: the points of an erasure are the same as on thousands, each run quicker
"$STRATA" init cn --name cn-wangjiang-01 --tier community >/dev/null
"$STRATA" init st --name st-wangjiang --tier street >/dev/null
head -401 "$seed" >small.csv
"$STRATA" -C cn import residents small.csv --key id_number >/dev/null
"$STRATA" -C cn policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C cn peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o p.parcel >/dev/null	# a view holds the person too
e=$(consenting 5)
"$STRATA" -C cn export residents --format jsonl | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["id_number"] == sys.argv[1]:
        print(r["id_number"]); print(r["phone"])' "$e" >canaries
[ "$(wc -l <canaries)" = 2 ] || fail "no canaries for the person to erase"
gone() { # NODE: no object of NODE holds any of the person's values
	git -C "$1/repo.git" cat-file --batch-all-objects --batch >objects
	while IFS= read -r v; do ! grep -a -q -F -- "$v" objects || return 1; done <canaries
}
! gone cn || fail "the person is in no object to begin with"
kinds=fsync,fdatasync,rename,renameat,link,unlink
rm -rf w && cp -r cn w
rm -f "$T/etrace"
STRATA_TEST_FSYNC=1 LD_PRELOAD=$FAULTSHIM STRATA_FAULT_KINDS=$kinds STRATA_FAULT_COUNT=$T/ecount STRATA_FAULT_TRACE=$T/etrace \
	"$STRATA" -C w erase residents "$e" --reason "kill test" >/dev/null
k=$(cat "$T/ecount")
gone w || fail "an erasure run whole leaves the person"
# every point but the prune's runs of unlinks (old objects removed one by one, each leaving the same kind of
# state): of those, every 8th and the last of each run; the sanitizer build every STRATA_CRASH_STRIDE_ERASE-th
points=$(awk -v stride="${STRATA_CRASH_STRIDE_ERASE:-1}" '
	{ n[NR] = $1; kind[NR] = $2 }
	END {
		run = 0
		for (i = 1; i <= NR; i++) {
			if (kind[i] == "unlink") run++; else run = 0
			pick = kind[i] != "unlink" || run % 8 == 1 || kind[i + 1] != "unlink"
			if (pick && ++picked % stride == 0) print n[i]
		}
	}' "$T/etrace")
[ -n "$points" ] || fail "no kill points traced"
runs=0 owed=0
for n in $points; do
	rm -rf w && cp -r cn w
	set +e
	env STRATA_TEST_FSYNC=1 LD_PRELOAD="$FAULTSHIM" STRATA_FAULT_KINDS=$kinds STRATA_FAULT_N=$n STRATA_FAULT_CRASH=1 \
		"$STRATA" -C w erase residents "$e" --reason "kill test" >/dev/null 2>&1
	status=$?
	set -e
	[ $status = 137 ] || [ $status = 0 ] || fail "erase, kill at $n: exit $status"
	if [ -f w/cut-owed ]; then
		owed=$((owed + 1))
		"$STRATA" -C w doctor >d 2>&1 && fail "erase, kill at $n: doctor sees no unfinished erasure"
		grep -q "a history cut was interrupted" d || fail "erase, kill at $n: doctor: $(cat d)"
	fi
	# the next writer completes what the kill left: doctor --repair, or any command that writes
	if [ $((runs % 2)) = 0 ]; then
		"$STRATA" -C w doctor --repair >d 2>&1 || fail "erase, kill at $n: doctor --repair: $(cat d)"
	else
		"$STRATA" -C w view build >d 2>&1 || fail "erase, kill at $n: the next writer: $(cat d)"
	fi
	[ ! -f w/cut-owed ] || fail "erase, kill at $n: the cut is still owed"
	# erased then, or never: run again, it erases or says there is nothing left to erase
	if ! "$STRATA" -C w erase residents "$e" --reason "kill test" >out 2>&1; then
		grep -q "no version of dataset 'residents' holds a record with that key" out || fail "erase, kill at $n: rerun: $(cat out)"
	fi
	gone w || fail "erase, kill at $n: an object still holds the person after the next writer and a rerun"
	"$STRATA" -C w verify --all >v 2>&1 || fail "erase, kill at $n: verify --all: $(cat v)"
	"$STRATA" -C w doctor >d 2>&1 || fail "erase, kill at $n: doctor: $(cat d)"
	runs=$((runs + 1))
done
[ "$owed" -gt 0 ] || fail "no kill fell between the ref move and the prune: the test did not reach the window"
cd "$T"
ok "erase killed at $runs of its $k visible file operations ($owed with the cut owed; of the prune's runs of unlinks every 8th and the last): the next writer or doctor --repair completes it; no object keeps the person"
