#!/bin/sh
# Parcel files sealed to their recipient: a lost USB stick shows the
# sender, the recipient and the size, nothing else; only the recipient's
# node opens it; any change, cut, reorder or re-addressing is refused
# before anything is applied, with a refused.log line.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
"$STRATA" init other --name st-gudang --tier street >/dev/null
"$STRATA" -C other peer add cn-wangjiang-01 --key cn/keys/node.pub --tier community >/dev/null

"$STRATA" -C cn export --to st-wangjiang -o sealed.parcel >out
grep -q "sealed: only its recipient can open it" out || fail "export: $(cat out)"
bsdtar tvf sealed.parcel >list || fail "bsdtar cannot list a sealed parcel"
[ "$(awk '{print $NF}' list | tr '\n' ' ')" = "SEALED PARCEL " ] || fail "entries: $(cat list)"
bsdtar xOf sealed.parcel SEALED >header
python3 - header <<'EOF' || fail "SEALED header: $(cat header)"
import json, sys
h = json.load(open(sys.argv[1]))
assert sorted(h) == ["chunk", "enc", "format", "recipient", "sender", "size", "suite", "version"], h
assert h["sender"] == "cn-wangjiang-01" and h["recipient"] == "st-wangjiang" and h["version"] == 2, h
EOF
ok "a sealed parcel is a plain tar of SEALED (sender, recipient, size, the HPKE suite) and PARCEL"

# --- the canary scan: what the street's view holds is nowhere in the sealed file ---
# canaries: values of the view built for the street (surnames, masked phones, addresses)
records cn/repo.git refs/strata/views/st-wangjiang/residents | python3 -c '
import json, sys
vals = set()
for line in sys.stdin:
    for k, v in json.loads(line).items():
        if isinstance(v, str) and len(v.encode()) >= 4 and not v.isdigit():
            vals.add(v)
for v in sorted(vals)[:400]:
    print(v)
' >canaries
[ "$(wc -l <canaries)" -ge 100 ] || fail "too few canaries: $(wc -l <canaries)"
# scan FILE: canaries found in its bytes or in any zlib stream inside it (git packs deflate objects)
cat >scan.py <<'EOF'
import sys, zlib
data = open(sys.argv[1], "rb").read()
canaries = [l.rstrip("\n").encode() for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
texts = [data]
for i in range(len(data) - 1):
    if data[i] == 0x78 and data[i + 1] in (0x01, 0x5e, 0x9c, 0xda):
        try:
            texts.append(zlib.decompressobj().decompress(data[i:i + (1 << 20)]))
        except zlib.error:
            pass
found = sorted({c.decode() for c in canaries for t in texts if c in t})
for marker in (b"PACK", b"MANIFEST", b"residents", b"grid-events", b"community-to-street"):
    if any(marker in t for t in texts[:1]):
        found.append("marker " + marker.decode())
print(len(found))
for f in found[:5]:
    print(f, file=sys.stderr)
EOF
"$STRATA" -C cn export --to st-wangjiang -o plain.parcel --unsealed >/dev/null
[ "$(python3 scan.py plain.parcel canaries 2>/dev/null)" -gt 50 ] || fail "the scan finds nothing in an unsealed parcel: it proves nothing"
found=$(python3 scan.py sealed.parcel canaries 2>scan.err)
[ "$found" = 0 ] || fail "a sealed parcel shows $found canaries: $(cat scan.err)"
ok "the scan finds the view's values in an unsealed parcel and none of them (nor dataset names, nor a pack) in a sealed one"

# --- only the recipient opens it ---
before=$(node_state other)
expect_fail 1 "sealed for 'st-wangjiang', and this node is 'st-gudang'" "$STRATA" -C other import sealed.parcel
[ "$(node_state other)" = "$before" ] || fail "another node's refusal changed it"
grep -q '"reason":"[^"]*sealed for' other/refused.log || fail "no refused.log line"
# the other node renamed to the recipient's name, by hand: the key still does not open it
cp -r other impostor
git config --file impostor/node.conf node.name st-wangjiang
expect_fail 3 "does not open" "$STRATA" -C impostor import sealed.parcel
ok "another node cannot open it, even under the recipient's name: the key decides"

# --- every change refused, the node unchanged ---
before=$(node_state st)
size=$(stat -c %s sealed.parcel)
: "$size"
# where each entry's data lies, as tar says
eval "$(python3 -c '
import tarfile
t = tarfile.open("sealed.parcel")
for m in t.getmembers():
    print("%s_at=%d %s_len=%d" % (m.name.lower(), m.offset_data, m.name.lower(), m.size))
')"
for off in $((sealed_at + 3)) $((sealed_at + 60)) $((sealed_at + sealed_len - 2)) $((parcel_at + 5)) \
	$((parcel_at + 70000)) $((parcel_at + parcel_len - 1)) $((parcel_at + parcel_len - 20)); do
	cp sealed.parcel f.parcel
	python3 -c 'import sys; p, o = sys.argv[1], int(sys.argv[2]); d = bytearray(open(p, "rb").read()); d[o] ^= 1; open(p, "wb").write(d)' f.parcel "$off"
	set +e
	"$STRATA" -C st import f.parcel >out 2>err
	status=$?
	set -e
	[ "$status" -ne 0 ] || fail "a flipped byte at $off was accepted"
	[ "$(node_state st)" = "$before" ] || fail "a flipped byte at $off changed the node"
done
for len in 100 600 1536 $((parcel_at + 65536 + 16)) $((parcel_at + parcel_len - 1)) $((size - 1024 - 512))
do
	head -c "$len" sealed.parcel >t.parcel
	set +e
	"$STRATA" -C st import t.parcel >out 2>err
	status=$?
	set -e
	[ "$status" -ne 0 ] || fail "a sealed parcel cut at $len bytes was accepted"
	[ "$(node_state st)" = "$before" ] || fail "a sealed parcel cut at $len changed the node"
done
# the end-of-archive blocks cut off, every chunk intact: refused as a cut parcel is
head -c $((size - 1024)) sealed.parcel >noend.parcel
python3 -c 'import sys; d = open("noend.parcel", "rb").read(); sys.exit(d[-1024:] == bytes(1024))' ||
	fail "the cut file still ends in two zero blocks: the test proves nothing"
expect_fail 1 "truncated parcel: the end-of-archive marker is missing" "$STRATA" -C st import noend.parcel
[ "$(node_state st)" = "$before" ] || fail "a sealed parcel without its end blocks changed the node"
# the header rewritten (another size, another sender): the chunks no longer open
bsdtar xf sealed.parcel
python3 -c '
import json
h = json.load(open("SEALED"))
h["sender"] = "st-gudang"
open("SEALED2", "w").write(json.dumps(h, sort_keys=True, separators=(",", ":")))
'
mkdir re && cp SEALED2 re/SEALED && cp PARCEL re/PARCEL
"$STRATA" -C st peer add st-gudang --key other/keys/node.pub --tier street --direction pull >/dev/null
before=$(node_state st)
(cd re && bsdtar cf ../readdressed.parcel --format ustar SEALED PARCEL)
expect_fail 3 "does not open" "$STRATA" -C st import readdressed.parcel
# two chunks swapped
python3 -c '
d = open("PARCEL", "rb").read()
c = 65536 + 16
open("re/PARCEL", "wb").write(d[c:2 * c] + d[:c] + d[2 * c:]) if len(d) > 2 * c else open("re/PARCEL", "wb").write(d[::-1])
'
cp SEALED re/SEALED
(cd re && bsdtar cf ../swapped.parcel --format ustar SEALED PARCEL)
expect_fail 3 "does not open" "$STRATA" -C st import swapped.parcel
[ "$(node_state st)" = "$before" ] || fail "a re-addressed or reordered parcel changed the node"
[ "$(grep -c 'does not open' st/refused.log)" -ge 2 ] || fail "refusals not in refused.log"
ok "flipped bytes, cuts, a rewritten header and reordered chunks are refused before anything is applied"

# --- the recipient imports it, as from a file, sealed ---
"$STRATA" -C st import sealed.parcel >out || fail "the recipient cannot import: $(cat out)"
grep -q "parcel 1 from cn-wangjiang-01 verified" out || fail "import: $(cat out)"
git -C st/repo.git log -1 --format=%B --grep='^Strata-Event: parcel-import' refs/strata/audit |
	grep -qx "Strata-Via: file-sealed" || fail "no Strata-Via: file-sealed"
"$STRATA" -C st verify --all >/dev/null || fail "verify after a sealed import"
# an unsealed (version 1) parcel of an older peer is still read
"$STRATA" -C cn import sealed.parcel.receipt >/dev/null
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 50 == 0 {$5 = "19900000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >v2.csv
"$STRATA" -C cn import residents v2.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o old.parcel --unsealed >/dev/null
"$STRATA" -C st import old.parcel >/dev/null || fail "an unsealed version-1 parcel is no longer read"
ok "the recipient imports a sealed parcel (Strata-Via: file-sealed); version-1 parcels are still read"
