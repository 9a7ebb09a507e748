#!/bin/sh
# The tour (contrib/tour.sh): a community node keeps the sample registry and grid-event log
# as signed commits; stock git verifies them; a policy redacts them for the
# street office, which receives them as a signed parcel and passes them on
# (redacted again) to the district and the province; an auditor traces one
# record back through the tiers.  Leaves the nodes for you to explore in
# $DEMO_DIR (default: ./demo-nodes).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
STRATA=${STRATA:-$top/build/strata}
DEMO_DIR=${DEMO_DIR:-$top/tour-nodes}
seeds=$top/seeds
node=$DEMO_DIR/cn-wangjiang-01
# the narration and the tool in the reader's language (LANG=zh_CN.UTF-8: Chinese),
# from the build tree's translations when it runs from there (as the demo)
[ -n "${STRATA_LOCALEDIR:-}" ] || [ ! -d "$(dirname "$STRATA")/locale" ] || STRATA_LOCALEDIR=$(cd "$(dirname "$STRATA")/locale" && pwd)
export STRATA_LOCALEDIR
TEXTDOMAIN=strata
TEXTDOMAINDIR=${STRATA_LOCALEDIR:-}
export TEXTDOMAIN TEXTDOMAINDIR
if command -v gettext.sh >/dev/null 2>&1; then
	. gettext.sh
else
	gettext() { printf '%s' "$1"; }
	eval_gettext() { eval "printf '%s' \"$1\""; }
fi

# bold headings on a terminal only: a log file gets plain text
if [ -t 1 ]; then
	say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	say() { printf '\n== %s\n' "$*"; }
fi

rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"

say "$(gettext "create a community node")"
"$STRATA" init "$node" --name cn-wangjiang-01 --tier community

say "$(gettext "import the resident registry and the grid-event log (signed commits)")"
"$STRATA" -C "$node" import residents "$seeds/residents.csv" --key id_number
"$STRATA" -C "$node" import grid-events "$seeds/grid-events.csv" --key event_id

say "$(gettext "a month later: two residents moved, one left, one arrived")"
tmp=$DEMO_DIR/residents-december.csv
awk -F, 'BEGIN {OFS=","} NR==1 {print; next} NR==3 {next}
	NR==5 || NR==9 {$5="19900000000"} {print}' "$seeds/residents.csv" > "$tmp"
echo '330106199003071236,新居民,男,1990-03-07,13800000000,"浙江省杭州市望江街道解放路1号1幢101室",望江社区,望江街道,wangjiang-001-001,Hwangjiang99999,1000-2999,true' >> "$tmp"
"$STRATA" -C "$node" import residents "$tmp"

say "$(gettext "strata log residents")"
"$STRATA" -C "$node" log residents

say "$(gettext "strata diff residents HEAD~1 HEAD")"
"$STRATA" -C "$node" diff residents HEAD~1 HEAD

say "$(gettext "strata verify (every signature, in-process)")"
"$STRATA" -C "$node" verify

say "$(gettext "stock git verifies the same commits")"
git -C "$node/repo.git" -c gpg.format=ssh \
	-c gpg.ssh.allowedSignersFile="$node/keys/allowed_signers" \
	log --show-signature --format='%h %s' refs/strata/datasets/residents 2>&1

say "$(gettext "record-level history with stock git (one canonical JSON line per record)")"
git -C "$node/repo.git" log -p --format='%h %s' -1 refs/strata/datasets/residents -- records | grep '^[-+]{' | head -4

say "$(gettext "first rows, exported as CSV")"
"$STRATA" -C "$node" export residents | head -3

say "$(gettext "privacy officer: check the community -> street policy against the data")"
"$STRATA" policy check "$top/policies/community-to-street.yaml" --node "$node"

say "$(gettext "privacy officer: what would the street office see? (preview on real records)")"
"$STRATA" -C "$node" policy preview "$top/policies/community-to-street.yaml" --dataset residents -n 1 2>/dev/null

say "$(gettext "privacy officer: what changes for the district if this policy were used for it instead?")"
"$STRATA" policy diff "$top/policies/community-to-street.yaml" "$top/policies/street-to-district.yaml" | head -8

say "$(gettext "commit the policy (signed), pin the street office's key, build its redacted views")"
street=$DEMO_DIR/st-wangjiang
"$STRATA" init "$street" --name st-wangjiang --tier street
"$STRATA" -C "$node" policy commit "$top/policies/community-to-street.yaml"
"$STRATA" -C "$node" peer add st-wangjiang --key "$street/keys/node.pub" --tier street --policy community-to-street
"$STRATA" -C "$node" view build

say "$(gettext "the view is a signed commit whose trailers name its source and policy")"
git -C "$node/repo.git" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$node/keys/allowed_signers" \
	log -1 --show-signature refs/strata/views/st-wangjiang/residents 2>&1 | sed -n '1,3p;/Strata-/p'

say "$(gettext "one record in the view (keys and leaf paths are pseudonyms, never raw ids)")"
V=refs/strata/views/st-wangjiang/residents
leaf=$(git -C "$node/repo.git" ls-tree -r --name-only "$V:records" | head -1)
echo "records/$leaf:"
git -C "$node/repo.git" show "$V:records/$leaf" | head -1

say "$(gettext "carry the views to the street office as a signed parcel (a USB stick)")"
"$STRATA" -C "$street" peer add cn-wangjiang-01 --key "$node/keys/node.pub" --tier community --direction pull
"$STRATA" -C "$node" export --to st-wangjiang -o "$DEMO_DIR/wangjiang.parcel"
bsdtar tvf "$DEMO_DIR/wangjiang.parcel"

say "$(gettext "the street office verifies it (signature, addressee, sequence, every commit and record) and applies it")"
cp "$DEMO_DIR/wangjiang.parcel" "$DEMO_DIR/wangjiang-copy.parcel"	# a second carrier's copy
"$STRATA" -C "$street" import "$DEMO_DIR/wangjiang.parcel"
gettext "the parcel file is gone once its content is held (an erasure reaches the node, not a file); a copy again changes nothing:"; echo
"$STRATA" -C "$street" import "$DEMO_DIR/wangjiang-copy.parcel" || true
"$STRATA" -C "$street" status

say "$(gettext "the street's signed audit log")"
"$STRATA" -C "$street" audit log

say "$(gettext "up the tiers by parcels: the street re-shares to the district, the district to the province")"
district=$DEMO_DIR/dx-gongshu
province=$DEMO_DIR/pv-zhejiang
"$STRATA" init "$district" --name dx-gongshu --tier district >/dev/null
"$STRATA" init "$province" --name pv-zhejiang --tier province >/dev/null
"$STRATA" -C "$street" policy commit "$top/policies/street-to-district.yaml" >/dev/null
"$STRATA" -C "$street" peer add dx-gongshu --key "$district/keys/node.pub" --tier district --policy street-to-district >/dev/null
"$STRATA" -C "$district" peer add st-wangjiang --key "$street/keys/node.pub" --tier street --direction pull >/dev/null
"$STRATA" -C "$district" policy commit "$top/policies/district-to-province.yaml" >/dev/null
"$STRATA" -C "$district" peer add pv-zhejiang --key "$province/keys/node.pub" --tier province --policy district-to-province >/dev/null
"$STRATA" -C "$province" peer add dx-gongshu --key "$district/keys/node.pub" --tier district --direction pull >/dev/null
"$STRATA" -C "$street" export --to dx-gongshu -o "$DEMO_DIR/to-district.parcel"
"$STRATA" -C "$district" import "$DEMO_DIR/to-district.parcel"
"$STRATA" -C "$district" export --to pv-zhejiang -o "$DEMO_DIR/to-province.parcel"
"$STRATA" -C "$province" import "$DEMO_DIR/to-province.parcel"

say "$(gettext "an auditor at the province traces one record back, tier by tier")"
# the received dataset by its name at the province (the district's policy hides
# the path it came by: dx-gongshu/v-<token>/residents), and its first record
received=$("$STRATA" -C "$province" datasets --received --format csv | tr -d '\r' | cut -d, -f1 | grep '/residents$' | head -1)
"$STRATA" -C "$province" datasets
key=$("$STRATA" -C "$province" export "$received" --format csv | sed -n 2p | cut -d, -f1)
# the next hop's key, read from the trace's JSON (the text is in the reader's language)
next_key() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["next"]["key"][0] if "next" in d else "")'; }
for tier in "$province" "$district" "$street" "$node"; do
	"$STRATA" -C "$tier" trace residents "$key"
	echo
	key=$("$STRATA" -C "$tier" trace residents "$key" --json | next_key)
done

say "$(gettext "the community's view for the street is exactly its policy applied to its data")"
"$STRATA" -C "$node" audit view refs/strata/views/st-wangjiang/residents

say "$(gettext "every signature at the province, and its audit log")"
"$STRATA" -C "$province" verify --all

say "$(gettext "done")"
eval_gettext "The nodes are in \$DEMO_DIR: \$node, \$street, \$district, \$province"; echo
eval_gettext "Try:  \$STRATA -C \$node datasets"; echo
echo "      $STRATA -C $node policy preview $top/policies/district-to-province.yaml --dataset residents -n 3"
echo "      git -C $node/repo.git log --show-signature refs/strata/datasets/residents"
