#!/bin/sh
# bench/view.sh [ROWS] - a full view of the registry under the street
# policy, against the full import of the same rows in the same run; then
# the incremental view after 1% of the rows change, against the full view.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
STRATA=${STRATA:-$top/build/strata}
GEN=${GEN_REGISTRY:-$top/build/bench/gen-registry}
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", 100 * a / b }'; }

"$GEN" residents "$rows" > "$W/r.csv"
"$GEN" change 1 7 < "$W/r.csv" > "$W/r2.csv"
"$STRATA" init "$W/n" --name cn-bench --tier community >/dev/null
"$STRATA" init "$W/st" --name st-bench --tier street >/dev/null
t0=$(now); "$STRATA" -q -C "$W/n" import residents "$W/r.csv" --key id_number; t_import=$(secs "$t0" "$(now)")
"$STRATA" -q -C "$W/n" policy commit "$top/policies/community-to-street.yaml"
"$STRATA" -q -C "$W/n" peer add st-bench --key "$W/st/keys/node.pub" --tier street --policy community-to-street
t0=$(now); "$STRATA" -C "$W/n" view build > "$W/v1"; t_view=$(secs "$t0" "$(now)")
"$STRATA" -q -C "$W/n" import residents "$W/r2.csv"
t0=$(now); "$STRATA" -C "$W/n" view build > "$W/v2"; t_inc=$(secs "$t0" "$(now)")
grep -q incremental "$W/v2" || { echo "the second build was not incremental" >&2; exit 1; }
t0=$(now); "$STRATA" -C "$W/n" view build --full > "$W/v3"; t_full2=$(secs "$t0" "$(now)")
grep -q unchanged "$W/v3" || { echo "incremental and full views differ" >&2; exit 1; }

printf '%-44s %8ss\n' "import of $rows rows" "$t_import"
printf '%-44s %8ss  %sx the import\n' "full view under community-to-street" "$t_view" "$(awk -v a="$t_view" -v b="$t_import" 'BEGIN { printf "%.2f", a / b }')"
printf '%-44s %8ss  %s%% of the full view\n' "incremental view after 1% of rows changed" "$t_inc" "$(pct "$t_inc" "$t_view")"
printf '%-44s %8ss  (confirms the same tree)\n' "full rebuild after the change" "$t_full2"
cat "$W/v1"
