#!/bin/sh
# import the sample registry; stock git verifies every commit; forged history is caught.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

"$STRATA" init n --name cn-wangjiang-01 --tier community >/dev/null
"$STRATA" -C n import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >out
grep -q "residents: 2400 added, 0 changed, 0 removed; 2400 records" out || fail "import summary: $(cat out)"
ok "import of the sample registry"

loose=$(find n/repo.git/objects -type f -path '*/objects/??/*' | wc -l)
[ "$loose" -le 1 ] || fail "$loose loose objects: records must go into a pack"
git -C n/repo.git fsck --strict --full 2>&1 | grep -v "^notice: HEAD points to an unborn branch" | grep . && fail "git fsck complained"
ok "records are packed and git fsck --strict is clean"

sgit "$T/n" verify-commit refs/strata/datasets/residents 2>err || fail "git verify-commit: $(cat err)"
grep -q 'Good "git" signature for cn-wangjiang-01 with ED25519 key' err || fail "no Good signature: $(cat err)"
sgit "$T/n" log --show-signature refs/strata/datasets/residents | grep -q 'Good "git" signature' || fail "git log --show-signature"
# the repository is configured so that plain git verifies too
git -C n/repo.git log --show-signature -1 refs/strata/datasets/residents 2>&1 | grep -q 'Good "git" signature' || fail "plain git log"
ok "stock git says Good signature"

msg=$(git -C n/repo.git log -1 --format=%B refs/strata/datasets/residents)
for t in "Strata-Dataset: residents" "Strata-Node: cn-wangjiang-01" "Strata-Tier: community"; do
	echo "$msg" | grep -qx "$t" || fail "missing trailer '$t'"
done
git -C n/repo.git interpret-trailers --parse <<EOF2 >/dev/null
$msg
EOF2
ok "commit message has the trailers"

"$STRATA" -C n verify >out || fail "strata verify: $(cat out)"
grep -q "1 commits: 1 good, 0 bad" out || fail "verify output: $(cat out)"
"$STRATA" -C n log residents | grep -q "^Signature: good (cn-wangjiang-01)" || fail "log signature status"
ok "strata verify and log"

# a commit signed by nobody, and one whose content was altered after signing
tree=$(git -C n/repo.git rev-parse refs/strata/datasets/residents^{tree})
parent=$(git -C n/repo.git rev-parse refs/strata/datasets/residents)
unsigned=$(echo forged | GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x GIT_COMMITTER_NAME=x GIT_COMMITTER_EMAIL=x git -C n/repo.git commit-tree "$tree" -p "$parent")
git -C n/repo.git update-ref refs/strata/datasets/forged "$unsigned"
expect_fail 3 "1 of 2 commits failed verification" "$STRATA" -C n verify
grep -q "^$unsigned unsigned" "$T/out" || fail "verify did not name the unsigned commit"
git -C n/repo.git cat-file commit "$parent" | sed 's/^2400 records\./2401 records./' > altered
grep -q '^2401 records' altered || fail 'could not alter the commit'
altered=$(git -C n/repo.git hash-object -t commit -w "$T/altered")
git -C n/repo.git update-ref refs/strata/datasets/forged "$altered"
expect_fail 3 "failed verification" "$STRATA" -C n verify
grep -q "^$altered BAD" "$T/out" || fail "verify did not flag the altered commit: $(cat "$T/out")"
sgit "$T/n" verify-commit "$altered" 2>/dev/null && fail "stock git accepted the altered commit"
ok "unsigned and altered commits are named and exit 3"

# a second node's key is not trusted
"$STRATA" init other --name cn-other-01 --tier community >/dev/null
printf 'id,v\n1,a\n' > small.csv
"$STRATA" -C other import d small.csv --key id >/dev/null
git -C n/repo.git fetch -q "$T/other/repo.git" refs/strata/datasets/d:refs/strata/datasets/foreign
expect_fail 3 "failed verification" "$STRATA" -C n verify
grep -q "untrusted: ssh-ed25519" "$T/out" || fail "verify did not flag the foreign key: $(cat "$T/out")"
ok "a commit by an unknown key is untrusted"

# the same numbers as CSV and as JSON Lines: the same records, the same tree
"$STRATA" init nn --name nn --tier community >/dev/null
printf 'id,x,y\n1,0.1,1e23\n2,2.50,-0\n3,12345678901234567890123,7\n' >nums.csv
printf '{"id":"1","x":0.1,"y":1e23}\n{"y":-0,"id":"2","x":2.50}\n{"id":"3","x":12345678901234567890123,"y":7}\n' >nums.jsonl
"$STRATA" -C nn import nums-csv nums.csv --key id >/dev/null
"$STRATA" -C nn import nums-jsonl nums.jsonl --key id >/dev/null
[ "$(git -C nn/repo.git rev-parse refs/strata/datasets/nums-csv^{tree})" = \
  "$(git -C nn/repo.git rev-parse refs/strata/datasets/nums-jsonl^{tree})" ] || fail "CSV and JSON Lines numbers differ"
"$STRATA" -C nn export nums-jsonl --format csv | tr -d '\r' | grep -qx '2,2.50,-0' || fail "a number was rewritten"
ok "numbers keep their text: CSV and JSON Lines give the same tree (0.1, 1e23, 2.50, -0, 23 digits)"
