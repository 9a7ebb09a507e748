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
for t in csv jsonl record policy parcel sshsig net received sealed rotation console procmsg; do
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
"$STRATA" -q -C "$W/cn" export --to st-fuzz -o "$C/parcel/seed-small" --unsealed
"$STRATA" -q -C "$W/cn" export --to st-fuzz -o "$C/sealed/seed-small" --full
head -c 2048 "$C/sealed/seed-small" > "$C/sealed/seed-cut"
# rotations: one, then two in a chain
"$STRATA" -q -C "$W/cn" key rotate
cp "$W/cn/keys/rotations" "$C/rotation/seed-one"
"$STRATA" -q -C "$W/cn" key rotate
cp "$W/cn/keys/rotations" "$C/rotation/seed-two"
# console requests: a logged-in byte, the path, a newline, the query
printf '1/api/log\ndataset=dx-a%%2Fv-abc%%2Fresidents' >"$C/console/seed-log"
printf '0/api/audit\npeer=st-b&event=parcel-import&since=2026-01-01&until=2026-12-31' >"$C/console/seed-audit"
printf '1/api/records\ndataset=residents&offset=50' >"$C/console/seed-records"
printf '1/api/preview\npolicy=p&version=2&dataset=residents&peer=st-b' >"$C/console/seed-preview"
printf '0/api/policy-diff\npolicy=p&from=1&to=2' >"$C/console/seed-diff"
printf '1/api/history\ndataset=residents&key=%%2D-C' >"$C/console/seed-option"
(cd "$W" && bsdtar xf "$C/parcel/seed-small")
cp "$W/MANIFEST.sig" "$C/sshsig/seed-manifest-sig"
cp "$W/st/keys/node.pub" "$C/sshsig/seed-pubkey"
cp "$W/MANIFEST" "$C/record/seed-manifest"
# process messages: those the parcel's MANIFEST carries (cn-fuzz's catalogue); demo-* are
# envelopes of each kind taken from the demo's nodes (requests, answers, corrections)
python3 -c '
import json, sys
for i, m in enumerate(json.load(open(sys.argv[1])).get("messages", [])):
    open("%s/procmsg/seed-manifest-%d" % (sys.argv[2], i), "w").write(m)
' "$W/MANIFEST" "$C"

# received: the view commit just exported, in fuzz_received's format
# (sections separated by "%%": message, then objects children first)
G="git --git-dir=$W/cn/repo.git"
view=$($G for-each-ref --format='%(refname)' refs/strata/views/st-fuzz/ | head -1)
nobj=0
emit_tree() {	# emit_tree TREE: emits its children, then it; sets idx to its section
	local _lines="" _e _mode _rest _type _oid _name
	for _e in $($G ls-tree "$1" | tr ' \t' '::'); do
		_mode=${_e%%:*}; _rest=${_e#*:}; _type=${_rest%%:*}; _rest=${_rest#*:}
		_oid=${_rest%%:*}; _name=${_rest#*:}
		if [ "$_type" = tree ]; then
			_mode=40000	# as in the tree object; ls-tree pads it
			emit_tree "$_oid"
		else
			{ printf '%%%%\nblob\n'; $G cat-file blob "$_oid"; } >> "$out"
			nobj=$((nobj + 1)); idx=$nobj
		fi
		_lines="$_lines$_mode $_name $idx
"
	done
	printf '%%%%\ntree\n%s' "$_lines" >> "$out"
	nobj=$((nobj + 1)); idx=$nobj
}
out=$C/received/seed-view
$G cat-file commit "$view" | sed '1,/^$/d' > "$out"
emit_tree "$($G rev-parse "$view^{tree}")"
# the same commit, wrong in one way each
sed 's/^Strata-Recipient: .*/Strata-Recipient: st-other/' "$out" > "$C/received/seed-other-recipient"
sed '1s/^/parents 2\n/' "$out" > "$C/received/seed-merge"
sed 's/^100644 schema.json/100755 schema.json/' "$out" > "$C/received/seed-exec-mode"
sed 's/^40000 records/120000 records/' "$out" > "$C/received/seed-link-mode"
sed '0,/^100644 [0-9a-f]*\.jsonl .*/s//&\n100644 .. 1/' "$out" > "$C/received/seed-dotdot"
sed '0,/^{"/s/^{"/{"x/' "$out" > "$C/received/seed-bad-record"
sed '/^Strata-Source: /d' "$out" > "$C/received/seed-no-source"
# a pack, without the trailer fuzz_received appends
bsdtar xOf "$C/parcel/seed-small" objects.pack | head -c -20 > "$C/received/seed-pack"
echo "corpora written under $C"
