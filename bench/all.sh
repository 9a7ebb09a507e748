#!/bin/sh
# bench/all.sh [ROWS] [SECTION...] - strata against its peers at ROWS rows
# (default 1,000,000), every work of the "cost follows the change" table,
# and one Markdown table at the end.  Sections (default: all):
#
#   import    strata import                  vs git add + git commit of the CSV
#   size      repository size                vs git after git gc (and loose)
#   reimport  full re-import, 1% and 0.01%   vs strata's own full import
#   upsert    --upsert of the 1% changed     vs strata's own full import
#   view      full view, into an empty store vs the import;
#             incremental view, 1% / 0.01%   vs the full view
#   parcel    incremental parcel import      vs git index-pack --fix-thin of its pack;
#             sealed import and full export  vs the same unsealed (the cost of sealing);
#             its size                       vs gzip of the changed view lines, git bundle
#   export    export --format csv            vs git show of the CSV
#   sql       sql GROUP BY over the dataset  vs sqlite3 .import of the CSV + the same query
#   verify    verify --all, 100,000 commits  vs openssl speed -multi 2 ed25519
#   erase     erase one record (3 versions)  vs git repack -a -d + git prune of the same store
#   encoding  import --encoding gb18030      vs iconv -f GB18030 piped into the same import
#   officer   20 changes, each signed by a named officer (passphrase key; ssh-agent)
#                                            vs the same 20 on a node with no officers
#   evidence  a record's evidence, street and community parts (100,000 rows)
#                                            vs strata trace at both nodes;
#             evidence verify with no node   vs the same checks with stock git and ssh-keygen
#             audit view --evidence (one record) vs audit view at the builder (the view recomputed)
#
# PAIRS=N pairs per row (default 3).  Needs a build (sh contrib/run.sh build).
set -eu
. "$(dirname "$0")/lib.sh"
rows=${1:-1000000}
[ $# -gt 0 ] && shift
sections=${*:-import size reimport upsert view parcel export sql verify erase encoding officer evidence}
want() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }
POL=$top/policies/community-to-street.yaml

echo "generating $rows rows..." >&2
"$GEN" residents "$rows" >"$W/r.csv"
"$GEN" change 1 7 <"$W/r.csv" >"$W/r1.csv"		# 1% of rows changed
"$GEN" change 0.01 9 <"$W/r.csv" >"$W/r001.csv"	# 0.01%
awk 'NR == FNR { a[FNR] = $0; next } FNR == 1 || $0 != a[FNR]' "$W/r.csv" "$W/r1.csv" >"$W/delta1.csv"
changed1=$(($(wc -l <"$W/delta1.csv") - 1))
changed001=$(($(awk 'NR == FNR { a[FNR] = $0; next } $0 != a[FNR]' "$W/r.csv" "$W/r001.csv" | wc -l)))
echo "1% variant: $changed1 rows changed; 0.01% variant: $changed001" >&2
header

# ---- the base: one imported node, one git repository of the CSV ----
import_strata() {
	rm -rf "$W/n"
	"$STRATA" init "$W/n" --name cn-bench --tier community >/dev/null
	timed "$STRATA" -q -C "$W/n" import residents "$W/r.csv" --key id_number
}
import_git() {
	rm -rf "$W/g"
	git init -q "$W/g"
	cp "$W/r.csv" "$W/g/residents.csv"
	timed sh -c 'git -C "$1" -c gc.auto=0 add residents.csv &&
		git -C "$1" -c user.name=b -c user.email=b@b -c gc.auto=0 commit -qm import' sh "$W/g"
}
if want import; then
	pair "import, $rows rows" "git add + commit" import_strata import_git "<= 1.0x" "<= 1.5x"
else
	import_strata
	import_git
fi
cp -a "$W/n" "$W/base"

# a registry saved by Excel in GB18030: strata's transcoding stream against iconv in a pipe
if want encoding; then
	iconv -f UTF-8 -t GB18030 "$W/r.csv" >"$W/r-gb.csv"
	encoding_strata() {
		rm -rf "$W/ne"
		"$STRATA" init "$W/ne" --name cn-bench --tier community >/dev/null
		timed "$STRATA" -q -C "$W/ne" import residents "$W/r-gb.csv" --key id_number --encoding gb18030
	}
	encoding_iconv() {
		rm -rf "$W/ne"
		"$STRATA" init "$W/ne" --name cn-bench --tier community >/dev/null
		timed sh -c 'iconv -f GB18030 -t UTF-8 "$1" | "$2" -q -C "$3" import residents - --key id_number' sh \
			"$W/r-gb.csv" "$STRATA" "$W/ne"
	}
	pair "import --encoding gb18030, $rows rows" "iconv | strata import -" encoding_strata encoding_iconv "<= 1.0x" "<= 1.2x"
fi

if want officer; then
	# a small node each: what is measured is the signing, not the data
	head -101 "$W/r.csv" >"$W/small.csv"
	for nd in no of; do
		rm -rf "$W/$nd" && "$STRATA" init "$W/$nd" --name "cn-$nd" --tier community >/dev/null
		"$STRATA" -q -C "$W/$nd" import residents "$W/small.csv" --key id_number
	done
	rm -f "$W/op.key"* "$W/zh.key"*
	STRATA_NEW_PASSPHRASE=bench-op-pass "$STRATA" -q -C "$W/of" officer add op --role operator --new-key "$W/op.key"
	STRATA_NEW_PASSPHRASE=bench-zh-pass STRATA_OFFICER_KEY=$W/op.key STRATA_PASSPHRASE=bench-op-pass \
		"$STRATA" -q -C "$W/of" --as op officer add zh --role officer --new-key "$W/zh.key"
	labels() { # NODE [--as zh]: 20 changes, each its own command and audit event
		timed sh -c 'n=$1; s=$2; shift 2; for i in $(seq 20); do "$s" -q -C "$n" "$@" datasets label residents "label $i"; done' sh "$@"
	}
	officer_changes() { STRATA_OFFICER_KEY=$W/zh.key STRATA_PASSPHRASE=bench-zh-pass labels "$W/of" "$STRATA" --as zh; }
	plain_changes() { labels "$W/no" "$STRATA"; }
	pair "20 changes, each signed by an officer (passphrase-protected key)" "the same, no officers" officer_changes plain_changes "-" "-"
	agent_changes() {
		eval "$(ssh-agent -s)" >/dev/null
		printf '#!/bin/sh\necho bench-zh-pass\n' >"$W/askpass" && chmod +x "$W/askpass"
		SSH_ASKPASS=$W/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=: setsid ssh-add "$W/zh.key" </dev/null >/dev/null 2>&1
		labels "$W/of" "$STRATA" --as zh
		ssh-agent -k >/dev/null
	}
	pair "20 changes, each signed by an officer through ssh-agent" "the same, no officers" agent_changes plain_changes "-" "-"
fi

if want evidence; then
	# a community of 100,000 rows and its street: the trace goes street -> community
	head -100001 "$W/r.csv" >"$W/ev.csv"
	rm -rf "$W/ecn" "$W/est"
	"$STRATA" init "$W/ecn" --name cn-ev --tier community >/dev/null
	"$STRATA" init "$W/est" --name st-ev --tier street >/dev/null
	"$STRATA" -q -C "$W/ecn" import residents "$W/ev.csv" --key id_number
	"$STRATA" -q -C "$W/ecn" policy commit "$POL"
	"$STRATA" -q -C "$W/ecn" peer add st-ev --key "$W/est/keys/node.pub" --tier street --policy community-to-street --direction push
	"$STRATA" -q -C "$W/est" peer add cn-ev --key "$W/ecn/keys/node.pub" --tier community --direction pull
	"$STRATA" -q -C "$W/ecn" export --to st-ev -o "$W/ev.parcel"
	"$STRATA" -q -C "$W/est" import "$W/ev.parcel"
	evkey=$("$STRATA" -C "$W/est" export cn-ev/residents --format csv | sed -n 2p | cut -d, -f1 | tr -d '\r')
	cnkey=$("$STRATA" -C "$W/est" trace residents "$evkey" --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["next"]["key"][0])')
	evidence_export() {
		rm -f "$W/ev1.tar" "$W/ev2.tar"
		timed sh -c '"$1" -q -C "$2" evidence export residents "$4" -o "$6/ev1.tar" &&
			"$1" -q -C "$3" evidence export residents "$5" -o "$6/ev2.tar" --continue "$6/ev1.tar"' sh \
			"$STRATA" "$W/est" "$W/ecn" "$evkey" "$cnkey" "$W"
	}
	trace_both() {
		timed sh -c '"$1" -C "$2" trace residents "$4" --json && "$1" -C "$3" trace residents "$5" --json' sh \
			"$STRATA" "$W/est" "$W/ecn" "$evkey" "$cnkey"
	}
	pair "evidence export, street and community parts ($(wc -l <"$W/ev.csv") lines)" "strata trace at both" evidence_export trace_both "-" "-"
	rm -rf "$W/evx" && mkdir "$W/evx" && (cd "$W/evx" && tar xf "$W/ev2.tar")
	evidence_verify() { timed "$STRATA" evidence verify "$W/ev2.tar"; }
	stock_verify() { # the same checks by hand: each object's id, each commit's signature, each part's
		timed sh -c 'cd "$1" && rm -rf check.git && git init -q --bare check.git &&
			for f in objects/*/*; do git -C check.git hash-object -w --literally -t "$(basename "$(dirname "$f")")" "$PWD/$f" >/dev/null; done &&
			for c in objects/commit/*; do git -C check.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$PWD/allowed_signers" verify-commit "$(basename "$c")" 2>/dev/null; done &&
			for s in parts/*.sig; do p=${s%.sig}; n=$(basename "$p" .json); ssh-keygen -Y verify -f allowed_signers -I "${n#*-}" -n strata-evidence -s "$s" <"$p" >/dev/null; done' sh "$W/evx"
	}
	pair "evidence verify with no node (2 parts)" "git hash-object + verify-commit, ssh-keygen -Y verify" evidence_verify stock_verify "<= 1.0x" "-"
	# the street checks one record of the view it received, with the community's part; the peer is the only
	# other check of that view: the community recomputing it whole (audit view at the builder)
	audit_evidence() { timed "$STRATA" -C "$W/est" audit view --evidence "$W/ev2.tar"; }
	audit_whole() { timed "$STRATA" -C "$W/ecn" audit view refs/strata/views/st-ev/residents; }
	pair "audit view --evidence at the street (one record, $(wc -l <"$W/ev.csv") lines)" "audit view at the community (the view recomputed)" audit_evidence audit_whole "-" "-"
fi

if want size; then
	st=$(du -sb "$W/base/repo.git" | cut -f1)
	loose=$(du -sb "$W/g/.git" | cut -f1)
	git -C "$W/g" gc -q
	gc=$(du -sb "$W/g/.git" | cut -f1)
	mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
	row "repository size, $rows rows" "$(mb "$st")" "git after gc (loose: $(mb "$loose"))" "$(mb "$gc")" \
		"$(div "$st" "$gc" | cut -c1-4)" "<= 1.2x" "<= 1.4x"
fi

# the peer of the re-imports and the upsert: a full import, timed in the same pair
full_import() { import_strata; }

reimport1() {
	rm -rf "$W/n1"
	cp -a "$W/base" "$W/n1"
	timed "$STRATA" -q -C "$W/n1" import residents "$W/r1.csv"
}
reimport001() {
	rm -rf "$W/n1"
	cp -a "$W/base" "$W/n1"
	timed "$STRATA" -q -C "$W/n1" import residents "$W/r001.csv"
}
upsert1() {
	rm -rf "$W/n2"
	cp -a "$W/base" "$W/n2"
	timed "$STRATA" -q -C "$W/n2" import residents "$W/delta1.csv" --upsert
}
if want reimport; then
	pair "full re-import, 1% changed ($changed1 rows)" "full import" reimport1 full_import "<= 0.15" "<= 0.30"
	pair "full re-import, 0.01% changed ($changed001 rows)" "full import" reimport001 full_import \
		"<= CSV parse + 10%" "<= 0.15"
fi
if want upsert; then
	pair "--upsert of the $changed1 changed rows" "full import" upsert1 full_import "<= 0.05" "<= 0.15"
	reimport1
	[ "$(git -C "$W/n1/repo.git" rev-parse refs/strata/datasets/residents^{tree})" = \
	  "$(git -C "$W/n2/repo.git" rev-parse refs/strata/datasets/residents^{tree})" ] ||
		{ echo "the upsert and the full re-import gave different trees" >&2; exit 1; }
fi

# ---- views: the base with a street peer and its policy ----
if want view || want parcel; then
	"$STRATA" init "$W/st" --name st-bench --tier street >/dev/null
	"$STRATA" -q -C "$W/base" policy commit "$POL"
	"$STRATA" -q -C "$W/base" peer add st-bench --key "$W/st/keys/node.pub" --tier street --policy community-to-street
	"$STRATA" -q -C "$W/st" peer add cn-bench --key "$W/base/keys/node.pub" --tier community --direction pull
	cp -a "$W/base" "$W/vbase"	# no view yet: a full build writes into a store without its objects
	cp -a "$W/base" "$W/vbuilt"
	"$STRATA" -q -C "$W/vbuilt" view build
fi
view_full() {
	rm -rf "$W/v"
	cp -a "$W/vbase" "$W/v"
	timed "$STRATA" -q -C "$W/v" view build
}
view_inc() { # VARIANT
	rm -rf "$W/v"
	cp -a "$W/vbuilt" "$W/v"
	"$STRATA" -q -C "$W/v" import residents "$W/$1.csv"
	timed "$STRATA" -C "$W/v" view build
	grep -q incremental "$W/last.out" || { echo "the view build was not incremental" >&2; exit 1; }
}
view_inc1() { view_inc r1; }
view_inc001() { view_inc r001; }
if want view; then
	pair "full view (street policy), empty store" "the import" view_full full_import "<= 0.8x" "<= 1.0x"
	pair "incremental view, 1% changed" "full view" view_inc1 view_full "<= 0.15" "<= 0.30"
	pair "incremental view, 0.01% changed" "full view" view_inc001 view_full "<= 0.02" "<= 0.05"
	# the incremental view equals a full rebuild
	view_inc r1
	"$STRATA" -C "$W/v" view build --full >"$W/full.out"
	grep -q unchanged "$W/full.out" || { echo "incremental and full views differ" >&2; exit 1; }
fi

# ---- parcels: full parcel to the street, receipt back, then the 1% change ----
if want parcel; then
	V=refs/strata/views/st-bench/residents
	cp -a "$W/vbuilt" "$W/cn"
	"$STRATA" -q -C "$W/cn" export --to st-bench -o "$W/p1.parcel"
	"$STRATA" -q -C "$W/st" import "$W/p1.parcel"
	"$STRATA" -q -C "$W/cn" import "$W/p1.parcel.receipt"
	v1=$(git -C "$W/cn/repo.git" rev-parse $V)
	"$STRATA" -q -C "$W/cn" import residents "$W/r1.csv"
	cp -a "$W/cn" "$W/cn-u"	# the same parcel unsealed, from a copy
	"$STRATA" -q -C "$W/cn" export --to st-bench -o "$W/p2.parcel"
	"$STRATA" -q -C "$W/cn-u" export --to st-bench -o "$W/p2u.parcel" --unsealed
	v2=$(git -C "$W/cn/repo.git" rev-parse $V)
	(cd "$W" && bsdtar xf p2u.parcel objects.pack && mv objects.pack p2.pack)
	cp -a "$W/st" "$W/st1"
	parcel_in() {
		rm -rf "$W/s"
		cp -a "$W/st1" "$W/s"
		timed "$STRATA" -q -C "$W/s" import "$W/p2.parcel"
	}
	parcel_git() {
		rm -rf "$W/s"
		cp -a "$W/st1" "$W/s"
		timed sh -c 'git -C "$1" index-pack --stdin --fix-thin <"$2" >/dev/null' sh "$W/s/repo.git" "$W/p2.pack"
	}
	pair "incremental parcel import, 1% changed" "git index-pack --fix-thin" parcel_in parcel_git "<= 1.0x" "<= 1.2x"
	parcel_in_unsealed() {
		rm -rf "$W/s"
		cp -a "$W/st1" "$W/s"
		timed "$STRATA" -q -C "$W/s" import "$W/p2u.parcel"
	}
	pair "incremental parcel import, 1% changed, sealed" "the same parcel unsealed" parcel_in parcel_in_unsealed "<= 1.1x" "<= 1.3x"
	# a full parcel of the whole view, sealed and not: the cost of sealing on the largest file a stick carries
	full_sealed() { rm -f "$W/pf.parcel"; timed "$STRATA" -q -C "$W/cn" export --to st-bench -o "$W/pf.parcel" --full; }
	full_unsealed() { rm -f "$W/pfu.parcel"; timed "$STRATA" -q -C "$W/cn-u" export --to st-bench -o "$W/pfu.parcel" --full --unsealed; }
	pair "full parcel export, sealed" "the same export unsealed" full_sealed full_unsealed "<= 1.1x" "<= 1.3x"
	# sizes: the changed lines as the view holds them (redacted), gzip -6; an incremental git bundle
	lines() { git -C "$W/cn/repo.git" ls-tree -r "$1:records" | awk '{print $3}' |
		git -C "$W/cn/repo.git" cat-file --batch='' | grep -v '^$' | LC_ALL=C sort; }
	lines "$v1" >"$W/l1"
	lines "$v2" >"$W/l2"
	LC_ALL=C comm -13 "$W/l1" "$W/l2" | gzip -6 >"$W/changed.gz"
	git -C "$W/cn/repo.git" bundle create -q "$W/b.bundle" "$v1..$V" 2>/dev/null
	p2=$(stat -c %s "$W/p2.parcel") gz=$(stat -c %s "$W/changed.gz") bu=$(stat -c %s "$W/b.bundle")
	row "incremental parcel size, 1% changed" "$p2 B" "gzip -6 of the changed view lines" "$gz B" \
		"$(div "$p2" "$gz" | cut -c1-5)" "-" "-"
	row "incremental parcel size, 1% changed" "$p2 B" "git bundle $(echo "$v1" | cut -c1-7)..view" "$bu B" \
		"$(div "$p2" "$bu" | cut -c1-5)" "-" "-"
fi

# ---- export ----
export_strata() { timed "$STRATA" -C "$W/base" export residents --format csv; }
export_git() { timed git -C "$W/g" show HEAD:residents.csv; }
if want export; then
	pair "export --format csv" "git show HEAD:file" export_strata export_git "<= 1.5x" "<= 2.5x"
fi

# ---- sql: the dataset as a table, then one query; sqlite3 loads the CSV into memory ----
if want sql; then
	command -v sqlite3 >/dev/null || { echo "the sql section needs sqlite3 (Debian package 'sqlite3')" >&2; exit 1; }
	Q="SELECT street, income_band, count(*) FROM residents GROUP BY 1, 2"
	sql_strata() {
		timed "$STRATA" -C "$W/base" sql "$Q" --format csv
		cp "$W/last.out" "$W/sql.strata"
	}
	sql_sqlite() {
		timed sqlite3 -list -separator , -cmd ".import --csv $W/r.csv residents" :memory: "$Q"
		cp "$W/last.out" "$W/sql.sqlite"
	}
	pair "sql GROUP BY over $rows rows" "sqlite3 .import + the query" sql_strata sql_sqlite "<= 1.5x" "<= 2.0x"
	# the same answer, or the figure means nothing (strata's CSV has a BOM, a header and CRLF)
	tail -n +2 "$W/sql.strata" | tr -d '\r' | sort >"$W/a"
	sort "$W/sql.sqlite" >"$W/b"
	cmp -s "$W/a" "$W/b" || { echo "sql: strata and sqlite3 answer differently" >&2; diff "$W/a" "$W/b" | head >&2; exit 1; }
fi

# ---- verify: rates, so the ratio is strata's commits/s over openssl's verify/s ----
if want verify; then
	commits=${VERIFY_COMMITS:-100000}
	"$STRATA" init "$W/vn" --name cn-verify --tier community >/dev/null
	"$top/build/bench/gen-commits" "$W/vn" "$commits"
	verify_strata() {
		timed "$STRATA" -q -C "$W/vn" verify --all
		T=$(awk -v n="$commits" -v t="$T" 'BEGIN { printf "%.0f", n / t }')
	}
	verify_openssl() {
		openssl speed -multi 2 -seconds 3 ed25519 >"$W/ossl" 2>/dev/null
		T=$(awk '/Ed25519/ && $NF ~ /^[0-9.]+$/ { v = $NF } END { print v }' "$W/ossl")
	}
	pair "verify --all, $commits commits (commits/s)" "openssl speed -multi 2 (verify/s)" verify_strata verify_openssl \
		">= 0.9x" ">= 0.8x"
fi

# ---- erase: one person out of a dataset and its history (3 versions); the least stock git does to drop
# objects from a store is to rewrite its packs: repack -a -d and prune, on a copy of the same node ----
if want erase; then
	"$STRATA" -q -C "$W/base" import residents "$W/r1.csv" >/dev/null
	"$STRATA" -q -C "$W/base" import residents "$W/r001.csv" >/dev/null
	ekey=$(sed -n 2p "$W/r.csv" | cut -d, -f1)
	erase_strata() {
		rm -rf "$W/e"
		cp -a "$W/base" "$W/e"
		timed "$STRATA" -q -C "$W/e" erase residents "$ekey" --reason bench
		# the figure means nothing unless the record is gone from every object
		! git -C "$W/e/repo.git" cat-file --batch-all-objects --batch | grep -a -q -F "$ekey," ||
			{ echo "erase: the record is still in an object" >&2; exit 1; }
	}
	erase_git() {
		rm -rf "$W/eg"
		cp -a "$W/base" "$W/eg"
		timed sh -c 'git -C "$1" repack -a -d -q && git -C "$1" prune --expire=now' sh "$W/eg/repo.git"
	}
	pair "erase one record, $rows rows, 3 versions" "git repack -a -d + prune" erase_strata erase_git "<= 1.5x" "<= 3.0x"
fi

echo
echo "strata $("$STRATA" --version 2>/dev/null | head -1), $rows rows, $PAIRS pairs a row, $(nproc) cores, $(date -u +%Y-%m-%d)"
cat "$TABLE"
