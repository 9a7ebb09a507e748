#!/bin/sh
# Evidence: a record traced from the province down to its community, as a
# bundle each tier adds its part to, checked offline in an empty directory
# by strata and by stock tools; tampering of every kind refused, named.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
two_nodes
to_province

R=$(pv_ref residents)
line=$(records pv/repo.git "$R" | head -1)
key=$(echo "$line" | sed 's/.*"id_number":"\([^"]*\)".*/\1/')

# next_key: the key the export says to go on with
next_key() { sed -n 's/.* with the key \["\(.*\)"\]$/\1/p' "$1"; }

"$STRATA" -C pv evidence export residents "$key" -o pv.ev >pv.out || fail "export at the province: $(cat pv.out)"
grep -q "the trace goes on at dx-gongshu" pv.out || fail "province export: $(cat pv.out)"
k_dx=$(next_key pv.out)
"$STRATA" -C dx evidence export residents "$k_dx" -o dx.ev --continue pv.ev >dx.out || fail "district: $(cat dx.out)"
k_st=$(next_key dx.out)
"$STRATA" -C st evidence export residents "$k_st" -o st.ev --continue dx.ev >st.out || fail "street: $(cat st.out)"
k_cn=$(next_key st.out)
"$STRATA" -C cn evidence export residents "$k_cn" -o all.ev --continue st.ev >cn.out || fail "community: $(cat cn.out)"
grep -q "the trace reaches the owner's commit" cn.out || fail "community export: $(cat cn.out)"
ok "evidence: each tier adds its part, province to community, to the owner's commit"

# across tiers: each recipient checks the view it received against the source and policy its builder's part brings
for n in pv dx st; do
	before=$(node_state $n)
	"$STRATA" -C $n audit view --evidence all.ev >av-$n.out 2>&1 || fail "audit view --evidence at $n: $(cat av-$n.out)"
	[ "$(node_state $n)" = "$before" ] || fail "audit view --evidence changed node $n"
	grep -q "^view [0-9a-f]\{12\} (residents, for " av-$n.out && grep -q "  as the policy gives$" av-$n.out &&
		grep -q "the policy's row filter lets the record through" av-$n.out || fail "audit view --evidence at $n: $(cat av-$n.out)"
	! grep -q "NOT what the policy gives" av-$n.out || fail "an honest view differs at $n: $(cat av-$n.out)"
done
# the street's view from the community: phone masked, name dropped, the pseudonyms said and not checked
grep -q "^phone  *mask  *1[0-9]\{10\}  *[0-9]\{3\}\*\*\*\*[0-9]\{4\}  *as the policy gives$" av-st.out ||
	fail "street: the masked phone is not checked: $(cat av-st.out)"
grep -q "  absent, as the policy says$" av-dx.out || fail "district: no field left unshared: $(cat av-dx.out)"
grep -q "that the source holds it is cn-wangjiang-01's signed word" av-st.out || fail "street: leaf: $(cat av-st.out)"
# the view the district built for the province, named; with the district's part only, the source is not reached
"$STRATA" -C pv audit view "$R" --evidence all.ev >/dev/null || fail "audit view REF --evidence"
expect_fail 1 "add that node's part there" "$STRATA" -C pv audit view --evidence pv.ev
expect_fail 1 "holds no view node 'cn-wangjiang-01' received" "$STRATA" -C cn audit view --evidence all.ev
# a view its builder altered after the build (one value, re-signed by the builder itself) and sent: the recipient,
# with no source of its own, finds the field the policy does not give
cp -r cn cnf && cp -r st stf
V=refs/strata/views/st-wangjiang/residents
git -C cnf/repo.git log -1 --format=%B $V >fmsg
dir=$(git -C cnf/repo.git ls-tree "$V:records" | awk 'NR == 1 {print $3}')
leaf=$(git -C cnf/repo.git ls-tree "$dir" | awk 'NR == 1 {print $3}')
git -C cnf/repo.git show "$leaf" | sed '1s/"income_band":"[^"]*"/"income_band":"FORGED"/' >fleaf
fkey=$(head -1 fleaf | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
new=$(git -C cnf/repo.git hash-object -w "$T/fleaf")
newdir=$(git -C cnf/repo.git ls-tree "$dir" | sed "s/$leaf/$new/" | git -C cnf/repo.git mktree)
recs=$(git -C cnf/repo.git ls-tree "$V:records" | sed "s/$dir/$newdir/" | git -C cnf/repo.git mktree)
root=$(git -C cnf/repo.git ls-tree "$V" | sed "s/$(git -C cnf/repo.git rev-parse "$V:records")/$recs/" | git -C cnf/repo.git mktree)
forged=$("$FORGE" commit cnf "$root" "$(git -C cnf/repo.git rev-parse $V)" fmsg)
git -C cnf/repo.git update-ref $V "$forged"
"$STRATA" -C cnf export --to st-wangjiang -o forged.parcel >/dev/null && "$STRATA" -C stf import forged.parcel >/dev/null ||
	fail "the altered view does not reach the street"
"$STRATA" -C stf evidence export residents "$fkey" -o f1.ev >f1.out || fail "street, altered view: $(cat f1.out)"
"$STRATA" -C cnf evidence export residents "$(next_key f1.out)" -o f2.ev --continue f1.ev >f2.out ||
	fail "community, altered view: $(cat f2.out)"
before=$(node_state stf)
expect_fail 3 "1 field(s) of the record are not what policy community-to-street gives" \
	"$STRATA" -C stf audit view --evidence f2.ev
grep -q '^income_band  *keep  *[^ ]*  *FORGED  *NOT what the policy gives (it gives [^ ]*)$' "$T/out" ||
	fail "the altered field is not named: $(cat "$T/out")"
[ "$(node_state stf)" = "$before" ] || fail "a refused audit view --evidence changed the node"
# a bundle altered on the way is refused before any field is read
cp f2.ev f3.ev && printf 'X' | dd of=f3.ev bs=1 seek=700 conv=notrunc 2>/dev/null
expect_fail 3 "" "$STRATA" -C stf audit view --evidence f3.ev
! grep -q "^field " "$T/out" || fail "an altered bundle's fields were read: $(cat "$T/out")"
expect_fail 1 "'nothere.ev'" "$STRATA" -C stf audit view --evidence nothere.ev
expect_fail 2 "usage" "$STRATA" -C stf audit view a b --evidence f2.ev
ok "audit view --evidence: the province, the district and the street each check the view they received against its source and policy, field by field; an altered view is caught at its recipient, node unchanged"

# offline, in an empty directory, with no node and no HOME
mkdir empty && cp all.ev empty/
(cd empty && HOME=/nonexistent "$STRATA" evidence verify all.ev >../v.out 2>../v.err) || fail "verify offline: $(cat v.out v.err)"
[ "$(ls empty)" = "all.ev" ] || fail "verify wrote into the directory: $(ls empty)"
grep -q "the evidence holds: 4 part(s)" v.out || fail "verify: $(cat v.out)"
for n in pv-zhejiang dx-gongshu st-wangjiang cn-wangjiang-01; do
	grep -q "parts/[0-9]-$n.json: signed by $n" v.out || fail "verify does not name $n's part: $(cat v.out)"
done
grep -q "holds the record shown\|its leaf .* is in its tree" v.out || fail "verify: record checks: $(cat v.out)"
# the keys the reader holds: each node's pinned key, as the province and the district list them
"$STRATA" -C pv evidence verify all.ev --keys empty/nothing 2>err >/dev/null && fail "--keys of a missing file accepted"
: >nokeys
expect_fail 3 "is not one your keys list for it" "$STRATA" evidence verify all.ev --keys nokeys
tar xOf all.ev allowed_signers >mine
"$STRATA" evidence verify all.ev --keys mine >/dev/null || fail "--keys with every node's key"
ok "evidence verify: offline in an empty directory, every part and hop named; --keys pins the nodes' keys"

# stock tools: sha1 of each object is its name; git verify-commit; ssh-keygen -Y verify
mkdir stock && (cd stock && tar xf ../all.ev)
git init -q --bare stock.git
for f in stock/objects/*/*; do
	t=$(basename "$(dirname "$f")")
	id=$(git -C stock.git hash-object -w -t "$t" --literally "$PWD/$f")
	[ "$id" = "$(basename "$f")" ] || fail "git hash-object gives $id for $f"
done
ncommits=0
for c in stock/objects/commit/*; do
	git -C stock.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$PWD/stock/allowed_signers" \
		verify-commit "$(basename "$c")" 2>vc.err || fail "git verify-commit $(basename "$c"): $(cat vc.err)"
	ncommits=$((ncommits + 1))
done
[ "$ncommits" -ge 4 ] || fail "only $ncommits commits in the bundle"
for s in stock/parts/*.sig; do
	p=${s%.sig}; n=$(basename "$p" .json); n=${n#*-}
	ssh-keygen -Y verify -f stock/allowed_signers -I "$n" -n strata-evidence -s "$s" <"$p" >/dev/null 2>sk.err && [ ! -s sk.err ] ||
		fail "ssh-keygen -Y verify $p as $n: $(cat sk.err)"
done
ok "stock tools: git hash-object gives each object's name, git verify-commit checks $ncommits commits, ssh-keygen each part"

# tampering: each refused, the item named, exit 3
size=$(wc -c <all.ev)
i=0
while [ $i -lt 40 ]; do
	off=$(( (i * 7919 + 13) % size ))
	python3 - all.ev flip.ev "$off" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[int(sys.argv[3])] ^= 0x01
open(sys.argv[2], "wb").write(d)
PY
	set +e; "$STRATA" evidence verify flip.ev >/dev/null 2>flip.err; st=$?; set -e
	[ $st -eq 3 ] || fail "a flipped byte at $off was not refused (exit $st): $(cat flip.err)"
	i=$((i + 1))
done
ok "40 single-byte flips across the bundle, each refused (exit 3)"

# python's tarfile rewrites the bundle: without one object, with another key, with an extra file
retar() {
	python3 - all.ev "$@" <<'PY'
import io, sys, tarfile
src, out, what = sys.argv[1], sys.argv[2], sys.argv[3]
arg = sys.argv[4] if len(sys.argv) > 4 else None
tin = tarfile.open(src)
tout = tarfile.open(out, "w", format=tarfile.USTAR_FORMAT)
for m in tin.getmembers():
    data = tin.extractfile(m).read()
    if what == "remove" and m.name.startswith(arg):
        arg = "\0"
        continue
    if what == "swapkey" and m.name.startswith("parts/1-"):
        data = data.replace(arg.split("|")[0].encode(), arg.split("|")[1].encode())
    m.size = len(data)
    tout.addfile(m, io.BytesIO(data))
if what == "extra":
    m = tarfile.TarInfo("objects/blob/" + "0" * 40); m.size = 2
    tout.addfile(m, io.BytesIO(b"hi"))
tout.close()
PY
}
retar gone.ev remove objects/tree/
expect_fail 3 "and the bundle does not hold it (removed?)" "$STRATA" evidence verify gone.ev
pvkey=$(sed -n 's/.*"node_key": "\(ssh-ed25519 [^"]*\)".*/\1/p' stock/parts/1-pv-zhejiang.json)
dxkey=$(sed -n 's/.*"node_key": "\(ssh-ed25519 [^"]*\)".*/\1/p' stock/parts/2-dx-gongshu.json)
retar swapped.ev swapkey "$pvkey|$dxkey"
expect_fail 3 "parts/1-pv-zhejiang.json: its signature does not check with pv-zhejiang's key" "$STRATA" evidence verify swapped.ev
retar extra.ev extra
expect_fail 3 "is in the bundle, and no part lists it" "$STRATA" evidence verify extra.ev
retar same.ev none
expect_fail 3 "not as strata writes them" "$STRATA" evidence verify same.ev
ok "a removed object, a swapped key, an added file, rewritten tar headers: each refused, named"

# bad input: a node the trace does not go on at, a wrong key, a bundle that is not one; nothing written
before=$(node_state st)
expect_fail 1 "the bundle's trace goes on at 'dx-gongshu'" "$STRATA" -C st evidence export residents "$k_st" -o x.ev --continue pv.ev
expect_fail 1 "add its part there, with that key" "$STRATA" -C dx evidence export residents wrongkey -o x.ev --continue pv.ev
printf 'not a tar' >junk.ev
expect_fail 1 "--continue 'junk.ev'" "$STRATA" -C st evidence export residents "$k_st" -o x.ev --continue junk.ev
expect_fail 3 "junk.ev" "$STRATA" evidence verify junk.ev
before_pv=$(node_state pv)
expect_fail 1 "exists; refusing to overwrite it" "$STRATA" -C pv evidence export residents "$key" -o pv.ev
expect_fail 1 "no record of 'residents' with that key" "$STRATA" -C pv evidence export residents nosuchkey -o y.ev
[ ! -e x.ev ] && [ ! -e y.ev ] || fail "a refused export wrote a file"
[ "$(node_state st)" = "$before" ] && [ "$(node_state pv)" = "$before_pv" ] || fail "a refused export changed the node"
ok "exports refused where the trace does not go on, for a wrong key or a bad bundle; nothing written, node unchanged"

# an erasure: its certificate, in a bundle of one part, signed, in words; checked with no node
victim=$(records cn/repo.git refs/strata/datasets/residents | sed -n 3p | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
"$STRATA" -C cn erase residents "$victim" --reason "resident's request 7" >/dev/null || fail "erase"
"$STRATA" -C cn export --to st-wangjiang -o cut.parcel >/dev/null && "$STRATA" -C st import cut.parcel >/dev/null &&
	"$STRATA" -C cn import cut.parcel.receipt >/dev/null || fail "the cut to the street and its receipt back"
eid=$("$STRATA" -C cn erasures --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["erasure"])')
"$STRATA" -C cn evidence export --erasure "$eid" -o erasure.ev >er.out || fail "evidence export --erasure: $(cat er.out)"
mkdir er-empty && cp erasure.ev er-empty/ && (cd er-empty && "$STRATA" evidence verify erasure.ev >../er.v 2>../er.err) ||
	fail "verify the erasure's bundle offline: $(cat er.v er.err)"
grep -q "the evidence holds: 1 part(s)" er.v && grep -q "st-wangjiang" er.v || fail "erasure verify: $(cat er.v)"
grep -q "$victim" er.v && fail "the erasure's evidence names the person"
tar xOf erasure.ev "erasure/$eid.json" >cert.json
"$STRATA" certificate verify cert.json >/dev/null || fail "the bundle's certificate does not verify on its own"
tar xOf erasure.ev report.html | grep -q "resident's request 7" || fail "the report does not say why"
tar xOf erasure.ev | grep -c . >/dev/null
# the certificate changed inside the bundle; a bundle for a cut this node never made; an erasure added to a trace
python3 - erasure.ev er-flip.ev "erasure/$eid.json" <<'PY'
import io, sys, tarfile
tin = tarfile.open(sys.argv[1]); tout = tarfile.open(sys.argv[2], "w", format=tarfile.USTAR_FORMAT)
for m in tin.getmembers():
    d = tin.extractfile(m).read()
    if m.name == sys.argv[3]:
        d = d.replace(b'"residents"', b'"residentz"', 1)
    m.size = len(d); tout.addfile(m, io.BytesIO(d))
tout.close()
PY
expect_fail 3 "its SHA-256 differs" "$STRATA" evidence verify er-flip.ev
before_cn=$(node_state cn)
expect_fail 1 "no cut '0123456789abcdef'" "$STRATA" -C cn evidence export --erasure 0123456789abcdef -o none.ev
[ ! -e none.ev ] && [ "$(node_state cn)" = "$before_cn" ] || fail "a refused erasure export wrote a file or changed the node"
expect_fail 2 "usage" "$STRATA" -C cn evidence export --erasure "$eid" -o x2.ev --continue pv.ev
ok "an erasure's evidence: its certificate signed and in words, checked with no node; a changed certificate refused"

# the reports in Chromium: the four tiers' in English, the province's and the erasure's in Chinese
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
	ok "# SKIP the reports in Chromium: chromium and chromedriver are not installed (sh contrib/run.sh test installs them)"
	exit 0
fi
ART=${ARTIFACTS:-$(cd "$(dirname "$STRATA")" && pwd)/tests/artifacts}/evidence
mkdir -p en zh zher "$ART"
(cd en && tar xf ../all.ev report.html)
LC_ALL=zh_CN.UTF-8 "$STRATA" -C pv evidence export residents "$key" -o zh.ev >/dev/null && (cd zh && tar xf ../zh.ev report.html)
LC_ALL=zh_CN.UTF-8 "$STRATA" -C cn evidence export --erasure "$eid" -o zh-er.ev >/dev/null && (cd zher && tar xf ../zh-er.ev report.html)
cat >reports.json <<JSON
[
 {"go": "file://$T/en/report.html", "static": true, "expect": ["Evidence: a record traced through the tiers", "Part 4: node cn-wangjiang-01", "the owner's dataset commit, where the record was recorded", "yes"], "shot": "en-four-tiers"},
 {"go": "file://$T/zh/report.html", "static": true, "expect": ["证据：一条记录逐级溯源", "第 1 部分：节点 pv-zhejiang（省）", "本节点收到的视图", "核验了什么，以及如何自行核验"], "shot": "zh-province", "chinese": true},
 {"go": "file://$T/zher/report.html", "static": true, "expect": ["证据：一次删除及其确认者", "st-wangjiang", "resident's request 7"], "shot": "zh-erasure", "chinese": true}
]
JSON
python3 "$TOP_SRCDIR/tests/e2e/browser.py" reports.json "$ART" >browser.out 2>&1 || fail "the reports in Chromium: $(cat browser.out)"
ok "the reports in Chromium: four tiers in English, the province's and an erasure's in Chinese (no English words on them), screenshots in $ART"
