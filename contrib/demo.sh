#!/bin/sh
# The demo: a community node keeps the sample registry and grid-event log
# as signed commits; stock git verifies them.  Leaves the node for you to
# explore in $DEMO_DIR (default: ./demo-nodes).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$top/build/strata}
DEMO_DIR=${DEMO_DIR:-$top/demo-nodes}
seeds=$top/seeds
node=$DEMO_DIR/cn-wangjiang-01

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"

say "create a community node"
"$STRATA" init "$node" --name cn-wangjiang-01 --tier community

say "import the resident registry and the grid-event log (signed commits)"
"$STRATA" -C "$node" import residents "$seeds/residents.csv" --key id_number
"$STRATA" -C "$node" import grid-events "$seeds/grid-events.csv" --key event_id

say "a month later: two residents moved, one left, one arrived"
tmp=$DEMO_DIR/residents-december.csv
awk -F, 'BEGIN {OFS=","} NR==1 {print; next} NR==3 {next}
	NR==5 || NR==9 {$5="19900000000"} {print}' "$seeds/residents.csv" > "$tmp"
echo '330106199003071234,新居民,男,1990-03-07,13800000000,"浙江省杭州市望江街道解放路1号1幢101室",望江社区,望江街道,wangjiang-001-001,Hwangjiang99999,1000-2999,true' >> "$tmp"
"$STRATA" -C "$node" import residents "$tmp"

say "strata log residents"
"$STRATA" -C "$node" log residents

say "strata diff residents HEAD~1 HEAD"
"$STRATA" -C "$node" diff residents HEAD~1 HEAD

say "strata verify (every signature, in-process)"
"$STRATA" -C "$node" verify

say "stock git verifies the same commits"
git -C "$node/repo.git" -c gpg.format=ssh \
	-c gpg.ssh.allowedSignersFile="$node/keys/allowed_signers" \
	log --show-signature --format='%h %s' refs/strata/datasets/residents 2>&1

say "record-level history with stock git (one canonical JSON line per record)"
git -C "$node/repo.git" log -p --format='%h %s' -1 refs/strata/datasets/residents -- records | grep '^[-+]{' | head -4

say "first rows, exported as CSV"
"$STRATA" -C "$node" export residents | head -3

say "done"
echo "The node is in $node"
echo "Try:  $STRATA -C $node datasets"
echo "      git -C $node/repo.git log --show-signature refs/strata/datasets/residents"
