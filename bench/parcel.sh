#!/bin/sh
# bench/parcel.sh [ROWS] - parcels for the registry under the street policy:
# the full parcel's size against gzip of the CSV; after 1% of the rows
# change, the next parcel's size against gzip of just the changed rows;
# and the import of the full parcel against stock `git index-pack` of the
# same pack, in the same run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
STRATA=${STRATA:-$top/build/strata}
GEN=${GEN_REGISTRY:-$top/build/bench/gen-registry}
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
size() { stat -c %s "$1"; }

"$GEN" residents "$rows" > "$W/r.csv"
"$GEN" change 1 7 < "$W/r.csv" > "$W/r2.csv"
"$STRATA" init "$W/cn" --name cn-bench --tier community >/dev/null
"$STRATA" init "$W/st" --name st-bench --tier street >/dev/null
"$STRATA" -q -C "$W/cn" import residents "$W/r.csv" --key id_number
"$STRATA" -q -C "$W/cn" policy commit "$top/policies/community-to-street.yaml"
"$STRATA" -q -C "$W/cn" peer add st-bench --key "$W/st/keys/node.pub" --tier street --policy community-to-street
"$STRATA" -q -C "$W/st" peer add cn-bench --key "$W/cn/keys/node.pub" --tier community --direction pull
"$STRATA" -q -C "$W/cn" view build

t0=$(now); "$STRATA" -C "$W/cn" export --to st-bench -o "$W/p1.parcel" > "$W/e1"; t_export=$(secs "$t0" "$(now)")
gzip -6 < "$W/r.csv" > "$W/r.csv.gz"
t0=$(now); "$STRATA" -C "$W/st" import "$W/p1.parcel" > "$W/i1"; t_import=$(secs "$t0" "$(now)")
(cd "$W" && bsdtar xf p1.parcel objects.pack)
git init -q --bare "$W/plain.git"
t0=$(now); git -C "$W/plain.git" index-pack --stdin < "$W/objects.pack" > /dev/null; t_git=$(secs "$t0" "$(now)")

"$STRATA" -q -C "$W/cn" import residents "$W/r2.csv"
# the street's receipt for parcel 1 goes back: the next parcel builds on it
"$STRATA" -q -C "$W/cn" import "$W/p1.parcel.receipt"
t0=$(now); "$STRATA" -C "$W/cn" export --to st-bench -o "$W/p2.parcel" > "$W/e2"; t_export2=$(secs "$t0" "$(now)")
t0=$(now); "$STRATA" -C "$W/st" import "$W/p2.parcel" > "$W/i2"; t_import2=$(secs "$t0" "$(now)")
LC_ALL=C sort "$W/r.csv" > "$W/a"
LC_ALL=C sort "$W/r2.csv" > "$W/b"
{ head -1 "$W/r.csv"; LC_ALL=C comm -13 "$W/a" "$W/b"; } > "$W/changed.csv"
changed=$(($(wc -l < "$W/changed.csv") - 1))
gzip -6 < "$W/changed.csv" > "$W/changed.csv.gz"

printf '%-52s %12s bytes\n' "CSV of $rows rows" "$(size "$W/r.csv")"
printf '%-52s %12s bytes\n' "gzip -6 of the CSV" "$(size "$W/r.csv.gz")"
printf '%-52s %12s bytes  %sx the gzip\n' "full parcel (the street's view, redacted)" "$(size "$W/p1.parcel")" \
	"$(ratio "$(size "$W/p1.parcel")" "$(size "$W/r.csv.gz")")"
printf '%-52s %12s bytes\n' "gzip -6 of the $changed changed rows" "$(size "$W/changed.csv.gz")"
printf '%-52s %12s bytes  %sx the gzip\n' "parcel after 1% of rows changed" "$(size "$W/p2.parcel")" \
	"$(ratio "$(size "$W/p2.parcel")" "$(size "$W/changed.csv.gz")")"
printf '%-52s %8ss\n' "export of the full parcel (view already built)" "$t_export"
printf '%-52s %8ss  %sx git index-pack (%ss)\n' "import of the full parcel, every check" "$t_import" \
	"$(ratio "$t_import" "$t_git")" "$t_git"
printf '%-52s %8ss\n' "export after the change (incl. incremental view)" "$t_export2"
printf '%-52s %8ss\n' "import of that parcel" "$t_import2"
cat "$W/e1" "$W/e2" "$W/i1" "$W/i2"
