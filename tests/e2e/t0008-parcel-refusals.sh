#!/bin/sh
# Every way a parcel can be wrong is refused with a reason, and the node is
# left exactly as it was: refs (so the audit log), objects, sequence state.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
: "${FORGE:?FORGE must name tests/tools/parcel-forge (make check sets it)}"
seed=$TOP_SRCDIR/seeds/residents.csv
two_nodes
"$STRATA" -C cn export --to st-wangjiang -o p1.parcel --unsealed >/dev/null
cp p1.parcel p1-copy.parcel	# a second carrier's: the sender removes its own once confirmed
cp -r st st-old	# the street as a backup from before parcel 1 would restore it
"$STRATA" -C st import --keep p1.parcel >/dev/null
"$STRATA" -C cn import p1.parcel.receipt >/dev/null	# so later parcels build on parcel 1
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 100 == 0 {$5 = "19900000000"} {print}' "$seed" >v2.csv
"$STRATA" -C cn import residents v2.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o p2.parcel --unsealed >/dev/null
before=$(node_state st)
refused=0

# refuse STATUS MESSAGE PARCEL: refused with that status and reason, node unchanged
refuse() {
	expect_fail "$1" "$2" "$STRATA" -C st import "$3"
	refused=$((refused + 1))
	[ "$(node_state st)" = "$before" ] || fail "refusing $3 ($2) changed the node"
}
# the offset and size of a tar entry's data (entries are MANIFEST, MANIFEST.sig, objects.pack)
entry() { # FILE INDEX -> "OFFSET SIZE"
	bsdtar tvf "$1" | awk -v i="$2" 'NR == i + 1 {print $5}' | {
		read -r size
		off=512 k=0
		for s in $(bsdtar tvf "$1" | awk '{print $5}'); do
			[ $k = "$2" ] && break
			off=$((off + (s + 511) / 512 * 512 + 512))
			k=$((k + 1))
		done
		echo "$off $size"
	}
}

# --- flipped bytes: check_replica flips every byte of MANIFEST and MANIFEST.sig
# through the import path in process; here the real binary, 24 offsets per entry
for idx in 0 1 2; do
	set -- $(entry p2.parcel $idx)
	off=$1 size=$2 i=0
	while [ $i -lt 24 ]; do
		at=$((off + i * (size - 1) / 23))
		"$FORGE" flip p2.parcel f.parcel $at
		set +e
		"$STRATA" -C st import f.parcel >/dev/null 2>err
		status=$?
		set -e
		[ $status = 1 ] || [ $status = 3 ] || fail "flipped byte at $at (entry $idx): exit $status: $(cat err)"
		case $idx in
		2) grep -q "objects.pack does not match the SHA-256 in the manifest" err && [ $status = 3 ] ;;	# integrity: 3
		*) grep -q "MANIFEST" err ;;
		esac || fail "flipped byte at $at (entry $idx): $(cat err)"
		refused=$((refused + 1))
		i=$((i + 1))
	done
done
[ "$(node_state st)" = "$before" ] || fail "a flipped byte changed the node"
ok "flipped bytes across MANIFEST, MANIFEST.sig and objects.pack: refused, node unchanged"

total=$(stat -c %s p2.parcel)
for n in 0 100 511 700 $((total / 2)) $((total - 1024)) $((total - 1)); do
	head -c $n p2.parcel >t.parcel
	set +e
	"$STRATA" -C st import t.parcel >/dev/null 2>err
	status=$?
	set -e
	[ $status = 1 ] || fail "truncated to $n bytes: exit $status"
	grep -Eq "truncated|not a valid parcel|not a parcel|missing" err || fail "truncated to $n: $(cat err)"
	refused=$((refused + 1))
done
[ "$(node_state st)" = "$before" ] || fail "a truncated parcel changed the node"
ok "a truncated parcel is refused at every length"

# --- replay, rollback, prerequisites, addressing, keys ---
# the same parcel again (a second carrier): a quiet success that changes nothing, not a refusal
"$STRATA" -C st import --no-receipt p1-copy.parcel >out 2>err || fail "the same parcel twice: $(cat err)"
grep -q "parcel 1 from cn-wangjiang-01 already imported: nothing to do" out || fail "already imported: $(cat out)"
[ "$(node_state st)" = "$before" ] || fail "importing the same parcel twice changed the node"
"$STRATA" -C cn export --to st-wangjiang -o p3.parcel --full --unsealed >/dev/null
awk -F, 'BEGIN {OFS=","} NR == 2 {$5 = "19900000001"} {print}' v2.csv >v3.csv
"$STRATA" -C cn import residents v3.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o p4.parcel --unsealed >/dev/null
# parcels build on what st confirmed (parcel 1); a node restored from an older backup lacks that
old_state=$(node_state st-old)
expect_fail 1 "builds on commit" "$STRATA" -C st-old import p4.parcel
grep -q "import the earlier parcels from 'cn-wangjiang-01' first, or ask for a full one" err || fail "prereq hint"
[ "$(node_state st-old)" = "$old_state" ] || fail "a parcel with missing prerequisites changed the node"
"$STRATA" -C st import p3.parcel >/dev/null
before=$(node_state st)
# older genuine parcels (one lost and found later, a copy of one imported): already held, quietly, nothing changes
"$STRATA" -C st import --no-receipt p2.parcel >out 2>err || fail "a genuine older parcel: $(cat err)"
grep -q "parcel 2 from cn-wangjiang-01 already held (superseded by parcel 3)" out || fail "older parcel: $(cat out)"
"$STRATA" -C st import --no-receipt p1-copy.parcel >out 2>err || fail "a copy of parcel 1: $(cat err)"
grep -q "parcel 1 from cn-wangjiang-01 already held (superseded by parcel 3)" out || fail "parcel 1 again: $(cat out)"
[ "$(node_state st)" = "$before" ] || fail "an older genuine parcel changed the node"

"$STRATA" init st2 --name st-gudang --tier street >/dev/null
"$STRATA" -C cn peer add st-gudang --key st2/keys/node.pub --tier street --policy community-to-street >/dev/null 2>&1 ||
	{ sed 's/^recipients:/recipients:\n  peers: [st-gudang]/' "$TOP_SRCDIR/policies/community-to-street.yaml" |
	  sed 's/^version: 1/version: 2/' >cts2.yaml
	  "$STRATA" -C cn policy commit cts2.yaml >/dev/null
	  "$STRATA" -C cn peer add st-gudang --key st2/keys/node.pub --tier street --policy community-to-street >/dev/null; }
"$STRATA" -C cn export --to st-gudang -o other.parcel --unsealed >/dev/null
refuse 1 "addressed to 'st-gudang', and this node is 'st-wangjiang'" other.parcel

# an impostor with the community's name but not its key, and a stranger
"$STRATA" init imp --name cn-wangjiang-01 --tier community >/dev/null
"$STRATA" -C imp import residents "$seed" --key id_number >/dev/null
"$STRATA" -C imp policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C imp peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C imp export --to st-wangjiang -o imp.parcel --unsealed >/dev/null
refuse 3 "signed by a key that is not the one pinned for 'cn-wangjiang-01'" imp.parcel
"$STRATA" init xx --name cn-unknown --tier community >/dev/null
"$STRATA" -C xx import residents "$seed" --key id_number >/dev/null
"$STRATA" -C xx policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C xx peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C xx export --to st-wangjiang -o xx.parcel --unsealed >/dev/null
refuse 3 "sender 'cn-unknown' is not a peer of this node" xx.parcel
# a peer this node only sends to (a policy named for it: node.conf must be whole)
git config -f st/node.conf peer.cn-wangjiang-01.direction push
git config -f st/node.conf peer.cn-wangjiang-01.policy street-to-community
refuse 1 "peer 'cn-wangjiang-01' is configured with direction push: this node does not accept data from it" p4.parcel
git config -f st/node.conf peer.cn-wangjiang-01.direction pull
git config -f st/node.conf --unset peer.cn-wangjiang-01.policy
ok "replay, rollback, missing prerequisites, another recipient, an impostor key, an unknown sender, a push-only peer: refused"

# --- validly signed by the sender, wrong inside (a compromised or buggy sender) ---
# manifest SEQ PACK NAME=COMMIT...: a manifest from cn to st for this pack
manifest() {
	seq=$1 pack=$2
	shift 2
	refs=""
	for r in "$@"; do refs="$refs${refs:+, }{\"name\": \"${r%%=*}\", \"commit\": \"${r#*=}\"}"; done
	count=$(od -An -tu1 -j8 -N4 "$pack" | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}')
	printf '{"created": "%s", "format": "strata-parcel", "pack": {"objects": %s, "sha256": "%s", "size": %s}, "prerequisites": [], "recipient": "st-wangjiang", "refs": [%s], "sender": "cn-wangjiang-01", "sequence": %s, "version": 1}\n' \
		"${CREATED:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}" "$count" "$(sha256sum "$pack" | cut -c1-64)" "$(stat -c %s "$pack")" \
		"$refs" "$seq" >MANIFEST.forged
}
forge() { # OUT SEQ PACK NAME=COMMIT...
	out=$1
	shift
	manifest "$@"
	"$FORGE" sign cn MANIFEST.forged "$2" "$out"
}
V=$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/residents)
G=$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/grid-events)
echo "$V" | git -C cn/repo.git pack-objects --revs --stdout >v.pack 2>/dev/null
forge f1.parcel 10 v.pack residents=0123456789abcdef0123456789abcdef01234567
refuse 1 "ref 'residents' names commit 0123456789ab, which is neither in objects.pack nor on this node" f1.parcel
forge f2.parcel 10 v.pack grid-events="$G"
refuse 1 "objects.pack holds" f2.parcel
grep -q "new objects that no ref in the manifest reaches" err || fail "unreachable objects: $(cat err)"
forge f3.parcel 10 v.pack residents="$V" newset="$G"
refuse 1 "is dataset 'grid-events' but arrives as 'newset'" f3.parcel
own=$(git -C st/repo.git rev-parse refs/strata/audit)
forge f3b.parcel 10 v.pack residents="$V" residents2="$own"
refuse 3 "for 'residents2' is signed by 'st-wangjiang', not signed by 'cn-wangjiang-01''s pinned key" f3b.parcel
old=$(git -C st/repo.git rev-list --reverse refs/strata/peers/cn-wangjiang-01/residents | head -1)
printf 'PACK\0\0\0\2\0\0\0\0' >empty.body && { cat empty.body; openssl sha1 -binary empty.body; } >empty.pack
forge f4.parcel 10 empty.pack residents="$old"
refuse 1 "would move from" f4.parcel
grep -q "which does not descend from it (a rewind" err || fail "rewind reason: $(cat err)"

# a commit by another node (trusted by nobody here) inside a parcel signed by cn
"$STRATA" -C xx view build >/dev/null
XV=$(git -C xx/repo.git rev-parse refs/strata/views/st-wangjiang/residents)
echo "$XV" | git -C xx/repo.git pack-objects --revs --stdout >xv.pack 2>/dev/null
forge f5.parcel 10 xv.pack x/residents="$XV"
refuse 3 "is untrusted, not signed by 'cn-wangjiang-01''s pinned key" f5.parcel
# signed by cn, but for someone else
vtree=$(git -C cn/repo.git rev-parse "$V^{tree}")
git -C cn/repo.git log -1 --format=%B "$V" | sed 's/^Strata-Recipient: .*/Strata-Recipient: st-gudang/' >msg
C=$("$FORGE" commit cn "$vtree" - msg)
echo "$C" | git -C cn/repo.git pack-objects --revs --stdout >c.pack 2>/dev/null
forge f6.parcel 10 c.pack y/residents="$C"
refuse 1 "was built for 'st-gudang', not for this node 'st-wangjiang'" f6.parcel
ok "signed by the sender but wrong inside: refs not in the pack, extra objects, a rewind, a foreign commit"

# hostile trees and records, signed by cn: a path escape, a bad mode, a bad record
git -C cn/repo.git log -1 --format=%B "$V" >msg
blob=$(printf '{"id_number":"x"}\n' | git -C cn/repo.git hash-object -w --stdin)
badrec=$(printf 'not json\n' | git -C cn/repo.git hash-object -w --stdin)
schema=$(git -C cn/repo.git rev-parse "$V:schema.json")
# tree ENTRY... -> id (entries "MODE NAME HEX", written raw: git mktree would refuse some)
tree() {
	perl -e 'for (@ARGV) { my ($m, $n, $h) = split / /; print "$m $n\0", pack("H*", $h) }' "$@" |
		git -C cn/repo.git hash-object -w -t tree --literally --stdin
}
case_tree() { # NAME MESSAGE RECORDS-TREE
	root=$(tree "40000 records $3" "100644 schema.json $schema")
	c=$("$FORGE" commit cn "$root" - msg)
	echo "$c" | git -C cn/repo.git pack-objects --revs --stdout >t.pack 2>/dev/null
	forge "$1.parcel" 10 t.pack "$1/residents=$c"
	refuse 1 "$2" "$1.parcel"
}
case_tree dotdot "has an entry named '..', which is not allowed" "$(tree "100644 .. $blob")"
case_tree dotgit "has an entry named '.git', which is not allowed" "$(tree "100644 .git $blob")"
case_tree exec "has mode 100755; only 40000 (directory) and 100644 (plain file) are allowed" "$(tree "100755 0.jsonl $blob")"
case_tree link "has mode 120000" "$(tree "120000 0.jsonl $blob")"
case_tree stray "has an unexpected entry 'notes.txt' for the dataset layout" "$(tree "100644 notes.txt $blob")"
# the first dir of the view and its first leaf (both named by the first record's key hash)
set -- $(git -C cn/repo.git ls-tree "$V:records" | awk 'NR == 1 {print $3, $4}')
dir1=$1 dname1=$2
set -- $(git -C cn/repo.git ls-tree "$dir1" | awk 'NR == 1 {print $3, $4}')
leaf1=$1 name1=$2
in_dir() { tree "40000 $dname1 $(tree "100644 $name1 $1")"; }	# records/ of one dir of one leaf
case_tree record "leaf 'records/$dname1/$name1' line 1 is not a record" "$(in_dir "$badrec")"
# what git fsck --strict refuses, and what the layout rules out, though cn's key signed it
case_root() { # NAME MESSAGE ROOT-TREE
	c=$("$FORGE" commit cn "$3" - msg)
	echo "$c" | git -C cn/repo.git pack-objects --revs --stdout >t.pack 2>/dev/null
	forge "$1.parcel" 10 t.pack "$1/residents=$c"
	refuse 1 "$2" "$1.parcel"
}
recs=$(git -C cn/repo.git rev-parse "$V:records")
case_root zeropad "entry 'records' has mode 040000; only 40000 (directory) and 100644" "$(tree "040000 records $recs" "100644 schema.json $schema")"
case_tree dup "entry '$dname1' appears twice" "$(tree "40000 $dname1 $dir1" "40000 $dname1 $dir1")"
# git itself cannot walk this tree: the pack lists its objects one by one
typed=$(tree "40000 $dname1 $leaf1")
root=$(tree "40000 records $typed" "100644 schema.json $schema")
c=$("$FORGE" commit cn "$root" - msg)
printf '%s\n' "$c" "$root" "$typed" "$leaf1" "$schema" | git -C cn/repo.git pack-objects --stdout >t.pack 2>/dev/null
forge typed.parcel 10 t.pack "typed/residents=$c"
refuse 1 "has mode 40000 but its object is a blob" typed.parcel
twice=$(git -C cn/repo.git cat-file blob "$leaf1" | head -1 | awk '{print; print}' | git -C cn/repo.git hash-object -w --stdin)
case_tree twice "line 2: the same record key twice" "$(in_dir "$twice")"
f64=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
case_tree misplaced "line 1: the leaf is not named by its first record's key hash" \
	"$(tree "40000 $f64 $(tree "100644 $f64.jsonl $leaf1")")"
case_tree unsorted "entry '$dname1' is out of order" "$(tree "40000 $f64 $dir1" "40000 $dname1 $dir1")"
case_tree uncut "starts where the layout does not cut a leaf" \
	"$(tree "40000 $dname1 $(tree "100644 $name1 $leaf1" "100644 $f64.jsonl $leaf1")")"
# commits git fsck --strict refuses, though cn's key signed them
msgbody=$(git -C cn/repo.git log -1 --format=%B "$V")
vt=$(git -C cn/repo.git rev-parse "$V^{tree}")
raw_case() { # NAME MESSAGE TREE-LINE-ID AUTHOR-ZONE OBJECT...
	name=$1 want=$2 treeid=$3 zone=$4
	shift 4
	{ printf 'tree %s\nauthor cn <cn@strata> 1700000000 %s\ncommitter cn <cn@strata> 1700000000 +0000\n\n' "$treeid" "$zone"
	  printf '%s\n' "$msgbody"; } >raw.txt
	c=$("$FORGE" rawcommit cn raw.txt)
	printf '%s\n' "$c" "$@" | git -C cn/repo.git pack-objects --stdout >t.pack 2>/dev/null
	forge "$name.parcel" 10 t.pack "$name/residents=$c"
	refuse 1 "$want" "$name.parcel"
}
raw_case zone "has a malformed author line" "$vt" +9999 "$vt" $(git -C cn/repo.git ls-tree -r -t "$vt" | awk '{print $3}')
raw_case blobtree "its tree line does not name a tree" "$schema" +0000 "$schema"
ok "trees with '..', '.git', executable or link modes, stray files, and bad records: refused"
ok "what git fsck --strict refuses (zero-padded modes, duplicate or unsorted entries, wrong object types, a commit's tree naming a blob, a timezone of +9999) and records twice, in the wrong leaf or cut where the layout does not cut: refused"

# a sequence that would stall the link for ever, a creation time in the year 9999
forge q1.parcel 9223372036854775807 empty.pack residents="$V"
refuse 1 "jumps more than 1048576 past the last accepted" q1.parcel
CREATED=9999-01-01T00:00:00Z forge q2.parcel 11 empty.pack residents="$V"
refuse 1 "says it was created at 9999-01-01T00:00:00Z, more than a day from now" q2.parcel
ok "a sequence of 2^63-1 and a creation time in the year 9999: refused"

# --- archives that are not the three plain files ---
bsdtar xf p2.parcel
forge_tar() { out=$1; shift; "$FORGE" tar "$out" "$@"; }
forge_tar a1.parcel f:../x:3:MANIFEST
refuse 1 "unexpected entry '../x'" a1.parcel
forge_tar a2.parcel f:/etc/x:3:MANIFEST
refuse 1 "unexpected entry '/etc/x'" a2.parcel
forge_tar a3.parcel l:MANIFEST:0:-:/etc/passwd
refuse 1 "entry 'MANIFEST' is a symbolic link" a3.parcel
forge_tar a4.parcel f:MANIFEST:$(stat -c %s MANIFEST):MANIFEST h:MANIFEST.sig:0:-:MANIFEST
refuse 1 "entry 'MANIFEST.sig' is a hard link" a4.parcel
forge_tar a5.parcel c:MANIFEST:0:-
refuse 1 "entry 'MANIFEST' is a device" a5.parcel
forge_tar a6.parcel p:MANIFEST:0:-
refuse 1 "entry 'MANIFEST' is a FIFO" a6.parcel
forge_tar a7.parcel d:MANIFEST:0:-
refuse 1 "entry 'MANIFEST' is a directory" a7.parcel
M=$(stat -c %s MANIFEST) S=$(stat -c %s MANIFEST.sig) K=$(stat -c %s objects.pack)
forge_tar a8.parcel f:MANIFEST:$M:MANIFEST f:MANIFEST:$M:MANIFEST
refuse 1 "duplicate entry 'MANIFEST'" a8.parcel
forge_tar a9.parcel f:MANIFEST:$M:MANIFEST f:MANIFEST.sig:$S:MANIFEST.sig f:objects.pack:$K:objects.pack f:extra:3:MANIFEST
refuse 1 "unexpected extra entry 'extra' after objects.pack" a9.parcel
forge_tar a10.parcel f:MANIFEST:10737418240:MANIFEST
refuse 1 "entry 'MANIFEST' declares 10737418240 bytes, over the limit" a10.parcel
forge_tar a11.parcel f:MANIFEST:$M:MANIFEST f:MANIFEST.sig:$S:MANIFEST.sig f:objects.pack:10737418240:objects.pack
refuse 1 "entry 'objects.pack' declares 10737418240 bytes, over the limit of 4294967296" a11.parcel
forge_tar a12.parcel f:objects.pack:$K:objects.pack
refuse 1 "entry 'objects.pack' out of order; expected 'MANIFEST'" a12.parcel
# a GNU sparse entry with an empty map: libarchive reads it as a regular file, its raw header says otherwise
forge_tar a13.parcel f:MANIFEST:$M:MANIFEST f:MANIFEST.sig:$S:MANIFEST.sig S:objects.pack:$K:objects.pack
refuse 1 "entry 'objects.pack' is sparse; a parcel holds plain files only" a13.parcel
head -c 100000000 /dev/zero | gzip -9 >bomb.parcel
refuse 1 "is gzip-compressed; a parcel is a plain tar archive" bomb.parcel
gzip -9 <p2.parcel >gz.parcel
refuse 1 "is gzip-compressed" gz.parcel
# inside a validly signed parcel: a pack object declaring 10 GB, and a deflate bomb
"$FORGE" pack huge.pack huge
forge h1.parcel 10 huge.pack residents="$V"
refuse 1 "objects.pack entry 0 declares 10737418240 bytes, over the limit" h1.parcel
"$FORGE" pack bomb.pack bomb
forge h2.parcel 10 bomb.pack residents="$V"
refuse 1 "objects.pack entry 0 inflates past its declared 1024 bytes" h2.parcel
# bsdtar's pax format (extended headers before each entry) reads the same; a pax sparse entry is refused
mkdir paxdir && (cd paxdir && bsdtar xf ../p4.parcel && bsdtar --format pax -cf ../pax.parcel MANIFEST MANIFEST.sig objects.pack)
cp -r st st-pax
"$STRATA" -C st-pax import --no-receipt pax.parcel >out 2>err || fail "a pax parcel: $(cat err)"
grep -q "verified" out || fail "pax parcel: $(cat out)"
rm -rf st-pax
(cd paxdir && truncate -s 2M objects.pack && bsdtar --format pax -cf ../sparse.parcel MANIFEST MANIFEST.sig objects.pack)
refuse 1 "entry 'objects.pack' is sparse; a parcel holds plain files only" sparse.parcel
ok "a parcel in bsdtar's pax format imports; a sparse pax entry is refused with its reason"

# deltas the indexer would follow for ever: refused before indexing, each with its reason
T0=$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents^{tree})
L0=$(git -C st/repo.git ls-tree -r refs/strata/peers/cn-wangjiang-01/residents records | awk 'NR == 1 {print $3}')
"$FORGE" delta self.pack selfdelta st/repo.git "$T0"
forge d1.parcel 10 self.pack residents="$V"
refuse 1 "objects.pack entry 0 is a delta whose base is itself (tree ${T0%${T0#????????????}})" d1.parcel
"$FORGE" delta cycle.pack cycle st/repo.git "$L0"
forge d2.parcel 10 cycle.pack residents="$V"
refuse 1 "and also a delta against it taken from this node's store: the deltas form a cycle" d2.parcel
"$FORGE" delta chain64.pack chain 64
forge d3.parcel 10 chain64.pack residents="$V"
expect_fail 1 "" "$STRATA" -C st import d3.parcel
refused=$((refused + 1))
if grep -q "chain of more than" err; then fail "a chain of 64 deltas is within the limit: $(cat err)"; fi
"$FORGE" delta chain65.pack chain 65
forge d4.parcel 10 chain65.pack residents="$V"
refuse 1 "objects.pack entry 65 ends a chain of more than 64 deltas" d4.parcel
ok "self-referential deltas, delta cycles and over-long chains: refused before indexing"

ok "tar attacks (../x, /etc/x, links, devices, FIFOs, directories, duplicates, extras, 10 GB sizes, order) and gzip or deflate bombs: refused"

# refusals are recorded (outside the repository), with their reasons
[ "$(wc -l <st/refused.log)" = "$refused" ] || fail "refused.log has $(wc -l <st/refused.log) lines for $refused refusals"
"$STRATA" -C st audit log | grep -q "refused input" || fail "audit log does not show refusals"
grep -q '"reason":"' st/refused.log && grep -q '"sender":"cn-wangjiang-01"' st/refused.log || fail "refusal records"
"$STRATA" -C st import p4.parcel >/dev/null || fail "after all that, the next good parcel does not import"
ok "each refusal is recorded with its reason, and the next good parcel still imports"
