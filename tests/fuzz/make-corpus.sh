#!/bin/sh
# tests/fuzz/make-corpus.sh STRATA - regenerates the seed corpora in
# tests/fuzz/corpus/<target>/ from seeds/, policies/ and a small parcel
# made by the strata binary given.  Inputs found by fuzzing that once
# failed are kept beside them as crash-* files (never regenerated).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
STRATA=${1:?usage: make-corpus.sh STRATA}
C=$top/tests/fuzz/corpus
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
for t in csv jsonl record policy parcel sshsig net; do
	mkdir -p "$C/$t"
	find "$C/$t" -name 'seed-*' -delete
done

head -20 "$top/seeds/residents.csv" > "$C/csv/seed-residents"
head -20 "$top/seeds/grid-events.csv" > "$C/csv/seed-grid-events"
printf '\357\273\277a,b\r\n"x, ""y""",2\r\n"multi\nline",3\r\n' > "$C/csv/seed-quotes-bom-crlf"
printf 'a,b\n1\n' > "$C/csv/seed-short-row"
printf 'a,b\n"open,1\n' > "$C/csv/seed-unterminated"

printf '{"id":"1","v":2,"ok":true,"n":null}\n{"id":"2","v":3.5,"ok":false,"n":"x"}\n' > "$C/jsonl/seed-types"
printf '{"id":"1"}\n[1,2]\n' > "$C/jsonl/seed-not-object"
printf '{"a":"\\u00e9\\ud834\\udd1e"}\n' > "$C/jsonl/seed-escapes"

printf '{"a":"1","b":"x\\"y"}' > "$C/record/seed-basic"
printf '{"id":"\\u0001","name":"\344\270\211"}' > "$C/record/seed-escapes"
printf '{"b":"1","a":"2"}' > "$C/record/seed-unsorted"
printf '{"fields":[{"name":"id","type":"string"},{"name":"n","type":"integer"}],"format":1,"key":["id"]}\n' > "$C/record/seed-schema"

printf 'sequence 3\nhave residents 0123456789abcdef0123456789abcdef01234567\nhave cn-a/grid-events aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n' > "$C/net/seed-state"
printf 'sequence 0\n' > "$C/net/seed-state-empty"
printf '\002\000\000\000\014st-wangjiang\001\000\000\000\010\000\000\000\000\000\000\000\007\003\000\000\000\000' > "$C/net/seed-msg"

for p in "$top"/policies/*.yaml; do cp "$p" "$C/policy/seed-$(basename "$p" .yaml)"; done

"$STRATA" init "$W/cn" --name cn-fuzz --tier community >/dev/null
"$STRATA" init "$W/st" --name st-fuzz --tier street >/dev/null
head -30 "$top/seeds/residents.csv" > "$W/r.csv"
"$STRATA" -q -C "$W/cn" import residents "$W/r.csv" --key id_number
sed 's/^recipients:/recipients:\n  peers: [st-fuzz]/' "$top/policies/community-to-street.yaml" > "$W/p.yaml"
"$STRATA" -q -C "$W/cn" policy commit "$W/p.yaml"
"$STRATA" -q -C "$W/cn" peer add st-fuzz --key "$W/st/keys/node.pub" --tier street --policy community-to-street
"$STRATA" -q -C "$W/cn" export --to st-fuzz -o "$C/parcel/seed-small"
(cd "$W" && bsdtar xf "$C/parcel/seed-small")
cp "$W/MANIFEST.sig" "$C/sshsig/seed-manifest-sig"
cp "$W/st/keys/node.pub" "$C/sshsig/seed-pubkey"
cp "$W/MANIFEST" "$C/record/seed-manifest"
echo "corpora written under $C"
