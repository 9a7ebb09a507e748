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
expect_fail 1 "exists; refusing to overwrite it" "$STRATA" -C pv evidence export residents "$key" -o pv.ev
expect_fail 1 "no record of 'residents' with that key" "$STRATA" -C pv evidence export residents nosuchkey -o y.ev
[ ! -e x.ev ] && [ ! -e y.ev ] || fail "a refused export wrote a file"
[ "$(node_state st)" = "$before" ] || fail "a refused export changed the node"
ok "exports refused where the trace does not go on, for a wrong key or a bad bundle; nothing written, node unchanged"
