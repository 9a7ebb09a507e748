#!/bin/sh
# Keys over time across a 3-tier chain: the community and the street
# rotate their keys between two rounds of ordinary changes; the rotation
# reaches the street by a sealed parcel file and the district over HTTPS;
# the old keys stay valid for what they signed before, and stock git at
# each tier verifies commits signed before and after.  A rotation not
# signed by the pinned key is refused; a revoked key's later commits are
# refused and flagged.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
test_clock

two_nodes
"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
"$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district >/dev/null
"$STRATA" -C dx peer add st-wangjiang --key st/keys/node.pub --tier street >/dev/null
grep -q '^cn-wangjiang-01 namespaces="git" ' st/keys/allowed_signers || fail "st's allowed_signers lacks its peer: $(cat st/keys/allowed_signers)"
serve_node dx
DX_PID=$SERVE_PID
set_url st dx-gongshu "$SERVE_PORT"

# round: a change at the community, carried up: a sealed file to the street, HTTPS to the district
round() {
	awk -F, -v r="$1" 'BEGIN {OFS=","} NR > 1 && NR % 40 == r {$5 = "1990000" r "000"} {print}' \
		"$TOP_SRCDIR/seeds/residents.csv" >"v$1.csv"
	"$STRATA" -C cn import residents "v$1.csv" >/dev/null
	"$STRATA" -C cn export --to st-wangjiang -o "r$1.parcel" >/dev/null
	"$STRATA" -C st import "r$1.parcel" >/dev/null || fail "round $1: st import: $(cat "$T/err" 2>/dev/null)"
	"$STRATA" -C cn import "r$1.parcel.receipt" >/dev/null || fail "round $1: the receipt"
	"$STRATA" -C st push dx-gongshu >/dev/null || fail "round $1: push to dx: $(tail -3 "$T/dx.log")"
}
round 1
cn_old=$(ssh-keygen -lf cn/keys/node.pub | awk '{print $2}')
st_old=$(ssh-keygen -lf st/keys/node.pub | awk '{print $2}')
old_cn_commit=$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents)
old_st_commit=$(git -C dx/repo.git rev-parse refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents)
tick 2	# commit times are whole seconds: the rotation comes after round 1's

# --- both rotate ---
"$STRATA" -C cn key rotate >out
grep -q "node key rotated: $cn_old -> SHA256:" out || fail "key rotate: $(cat out)"
"$STRATA" -C st key rotate >/dev/null
[ "$(ssh-keygen -lf cn/keys/node.pub | awk '{print $2}')" != "$cn_old" ] || fail "cn's key did not change"
[ -f cn/keys/retired/1.key ] && [ "$(stat -c %a cn/keys/retired/1.key)" = 600 ] || fail "the old key is not kept for opening"
"$STRATA" -C cn key show | grep -q "rotated .*: $cn_old -> " || fail "key show: $("$STRATA" -C cn key show)"
"$STRATA" -C cn audit log | grep -q "key-rotate" || fail "no key-rotate event"
grep -q "valid-before=\"[0-9]\{14\}Z\" ssh-ed25519" cn/keys/allowed_signers || fail "cn's old key has no valid-before"
"$STRATA" -C cn verify --all >/dev/null || fail "cn's own history no longer verifies: $("$STRATA" -C cn verify --all | tail -3)"
# the daemon presents st's key as it was when it started; it is restarted, as key rotate says
kill -TERM "$DX_PID"; wait "$DX_PID" || true
serve_node dx
DX_PID=$SERVE_PID
set_url st dx-gongshu "$SERVE_PORT"
ok "key rotate: a new key signed in by the old one; the old one kept (to open, never to sign), valid-before in allowed_signers"

# --- the next round carries the rotations: a sealed file (to st's old key), a receipt, HTTPS ---
tick 2
round 2
[ "$(git config --file st/node.conf peer.cn-wangjiang-01.key)" = "$(cut -d' ' -f1,2 cn/keys/node.pub)" ] ||
	fail "st did not pin cn's new key"
git config --file st/node.conf peer.cn-wangjiang-01.retired | grep -q "before [0-9]*$" || fail "st does not keep cn's old key"
[ "$(git config --file cn/node.conf peer.st-wangjiang.key)" = "$(cut -d' ' -f1,2 st/keys/node.pub)" ] ||
	fail "cn did not learn st's new key from the receipt"
[ "$(git config --file dx/node.conf peer.st-wangjiang.key)" = "$(cut -d' ' -f1,2 st/keys/node.pub)" ] ||
	fail "dx did not learn st's new key over HTTPS"
"$STRATA" -C st audit log | grep -q "peer-key-rotated" || fail "st has no peer-key-rotated event"
"$STRATA" -C dx audit log | grep -q "peer-key-rotated" || fail "dx has no peer-key-rotated event"
ok "the rotations travel: a sealed parcel sealed to st's old key opens, the receipt and an HTTPS push carry them"

# --- stock git verifies commits signed before and after, at every tier ---
new_cn_commit=$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents)
new_st_commit=$(git -C dx/repo.git rev-parse refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents)
for c in "$old_cn_commit" "$new_cn_commit"; do
	sgit "$T/st" verify-commit "$c" 2>/dev/null || fail "stock git at st does not verify cn's commit $c"
done
for c in "$old_st_commit" "$new_st_commit"; do
	sgit "$T/dx" verify-commit "$c" 2>/dev/null || fail "stock git at dx does not verify st's commit $c"
done
sgit "$T/st" verify-commit "$old_cn_commit" 2>&1 | grep -q "$cn_old" || fail "the old commit is not verified by the old key"
sgit "$T/st" verify-commit "$new_cn_commit" 2>&1 | grep -q "$cn_old" && fail "the new commit is verified by the old key"
for n in cn st dx; do
	"$STRATA" -C "$n" verify --all >out || fail "verify --all at $n: $(tail -3 out)"
	grep -q " 0 bad, 0 unsigned, 0 untrusted" out || fail "verify --all at $n: $(cat out)"
done
ok "stock git at the street and the district verifies commits signed before and after the rotations; verify --all is clean"

# --- a rotation the pinned key did not sign is refused ---
# an impostor makes a node of cn's name, rotates it and sends: its statement starts from a key st never pinned
"$STRATA" init evil --name cn-wangjiang-01 --tier community >/dev/null
"$STRATA" -C evil import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >/dev/null
"$STRATA" -C evil policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C evil peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
"$STRATA" -C evil key rotate >/dev/null
"$STRATA" -C evil export --to st-wangjiang -o evil.parcel >/dev/null
before=$(node_state st)
conf_before=$(sha1sum st/node.conf)
expect_fail 3 "no rotation statement leads from the pinned key to it" "$STRATA" -C st import evil.parcel
[ "$(node_state st)" = "$before" ] && [ "$(sha1sum st/node.conf)" = "$conf_before" ] || fail "a forged rotation changed st"
grep -q "no rotation statement leads" st/refused.log || fail "no refused.log line"
# a receipt whose rotation statement was altered
"$STRATA" -C st key rotate >/dev/null
tick 2
round_receipt() {
	"$STRATA" -C cn import residents "$TOP_SRCDIR/seeds/residents.csv" >/dev/null
	"$STRATA" -C cn export --to st-wangjiang -o r3.parcel >/dev/null
	"$STRATA" -C st import r3.parcel >/dev/null
}
round_receipt
sed 's/^time \([0-9]*\)$/time 1\1/' r3.parcel.receipt >forged.receipt
cn_before=$(node_state cn)
expect_fail 3 "a signature does not verify" "$STRATA" -C cn import forged.receipt
[ "$(node_state cn)" = "$cn_before" ] || fail "a forged receipt changed cn"
"$STRATA" -C cn import r3.parcel.receipt >/dev/null || fail "the genuine receipt"
ok "a rotation statement not signed by the pinned key, or altered, is refused; nothing changes"

# --- revocation: what a stolen key signs from then on is refused, and flagged ---
# dx revokes st's first key from before round 1's commits: they are flagged, the newer ones not
"$STRATA" -C dx key revoke st-wangjiang --key "$st_old" --after "1 hour ago" >out
grep -q "revoked from" out || fail "key revoke: $(cat out)"
"$STRATA" -C dx audit log | grep -q "key-revoke" || fail "no key-revoke event"
set +e
"$STRATA" -C dx verify --all >out 2>&1
status=$?
set -e
[ "$status" -eq 3 ] || fail "verify --all after a revocation exited $status: $(cat out)"
grep -q "revoked from" out || fail "verify --all does not say why: $(cat out)"
sgit "$T/dx" verify-commit "$old_st_commit" 2>/dev/null && fail "stock git still verifies a commit of a revoked key"
sgit "$T/dx" verify-commit "$new_st_commit" 2>/dev/null || fail "stock git no longer verifies a commit of the new key"
expect_fail 1 "has no key SHA256:" "$STRATA" -C dx key revoke st-wangjiang --key SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
expect_fail 1 "no peer 'nobody'" "$STRATA" -C dx key revoke nobody --key "$st_old"
expect_fail 2 "expected a fingerprint" "$STRATA" -C dx key revoke st-wangjiang --key notafingerprint
# the street's current key stolen: st revokes cn's pinned key, and cn's next parcel is refused
cn_now=$(ssh-keygen -lf cn/keys/node.pub | awk '{print $2}')
"$STRATA" -C st key revoke cn-wangjiang-01 --key "$cn_now" >out
grep -q "nothing more is accepted from it" out || fail "revoking the pinned key: $(cat out)"
tick 2
"$STRATA" -C cn import residents v1.csv >/dev/null
"$STRATA" -C cn export --to st-wangjiang -o stolen.parcel >/dev/null
before=$(node_state st)
expect_fail 3 "is a key of 'cn-wangjiang-01' revoked from" "$STRATA" -C st import stolen.parcel
[ "$(node_state st)" = "$before" ] || fail "a parcel signed by a revoked key changed st"
ok "a revoked key: its later commits flagged by verify --all and by stock git; a parcel under a revoked pinned key refused"
