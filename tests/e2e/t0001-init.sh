#!/bin/sh
# init: node layout, key permissions, refusals; usage errors.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

"$STRATA" init n1 --name cn-wangjiang-01 --tier community >/dev/null
for f in node.conf repo.git/HEAD keys/node.key keys/node.pub keys/allowed_signers; do
	[ -e "n1/$f" ] || fail "missing n1/$f"
done
[ -d n1/secrets ] || fail "missing secrets/"
[ "$(stat -c %a n1/keys/node.key)" = 600 ] || fail "node.key mode is $(stat -c %a n1/keys/node.key)"
[ "$(stat -c %a n1/keys)" = 700 ] || fail "keys/ mode"
[ "$(git config -f n1/node.conf node.name)" = cn-wangjiang-01 ] || fail "node.name"
[ "$(git config -f n1/node.conf node.tier)" = community ] || fail "node.tier"
grep -q '^cn-wangjiang-01 namespaces="git" ssh-ed25519 ' n1/keys/allowed_signers || fail "allowed_signers"
ssh-keygen -l -f n1/keys/node.pub >/dev/null || fail "node.pub is not an OpenSSH public key"
ok "init creates the node layout"

expect_fail 1 "already exists and is not an empty directory" "$STRATA" init n1 --name x --tier street
mkdir empty && "$STRATA" init empty --name x1 --tier street >/dev/null
ok "init refuses a non-empty directory, fills an empty one"

expect_fail 1 "invalid node name 'Bad Name'" "$STRATA" init n2 --name "Bad Name" --tier street
expect_fail 1 "unknown tier 'city'" "$STRATA" init n2 --name ok --tier city
[ ! -e n2 ] || fail "a refused init left n2 behind"
[ -z "$(ls -d n2.init-* 2>/dev/null)" ] || fail "a refused init left a temporary directory"
ok "init refuses bad names and tiers and leaves nothing"

expect_fail 2 "usage: strata init" "$STRATA" init
expect_fail 2 "'frobnicate' is not a strata command" "$STRATA" frobnicate
expect_fail 1 "node directory 'nowhere' does not exist" "$STRATA" -C nowhere log residents
mkdir notanode
expect_fail 1 "'notanode' is not a strata node" "$STRATA" -C notanode log residents
expect_fail 1 "no dataset 'residents' on node 'cn-wangjiang-01': it holds none yet" "$STRATA" -C n1 log residents
ok "usage errors exit 2, missing nodes and datasets exit 1 with a message"

# every command of the table and every subcommand answers --help: its usage, exit 0, no node needed
cmds=$("$STRATA" --help | sed -n 's/^  \([a-z]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -w)" -ge 20 ] || fail "strata --help lists only: $cmds"
for c in $cmds "peer add" "peer set" "peer remove" "peer show" "peer list" "key show" "key rotate" "key revoke" "erase" "erasures" "policy secret" "policy check" "policy preview" "policy diff" "policy impact" "policy risk" \
	"policy commit" "policy list" "policy show" "audit log" "audit refused" "audit view" "view build"; do
	# shellcheck disable=SC2086
	(cd "$T/notanode" && "$STRATA" $c --help) >help.out 2>help.err || fail "'strata $c --help' exited $?: $(cat help.err)"
	grep -q "^usage: strata" help.out || fail "'strata $c --help' prints no usage: $(cat help.out)"
	[ ! -s help.err ] || fail "'strata $c --help' wrote to stderr: $(cat help.err)"
done
ok "every command and subcommand answers --help with its usage (exit 0), without a node"
