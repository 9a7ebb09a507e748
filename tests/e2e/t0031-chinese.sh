#!/bin/sh
# The officials' own language and files: a GB18030 (Excel) CSV read with
# --encoding and the hint to use it, a rare four-byte character (𠈌) byte
# for byte through import, a view, a parcel and export, and the interface
# in Chinese under LANG=zh_CN.UTF-8 with everything a script reads unchanged.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

locale -a 2>/dev/null | grep -qix 'zh_CN.utf8' ||
	fail "the zh_CN.UTF-8 locale is missing: contrib/install-deps.sh generates it"
zh() { LC_ALL=zh_CN.UTF-8 "$@"; }
# unchanged NODE STATE WHAT: the node's refs, objects, audit log and link files are as they were
unchanged() { [ "$(node_state "$1")" = "$2" ] || fail "$3 changed $1"; }

two_nodes
# a resident whose surname is the rare 𠈌 (U+2020C, GB 18030-2022), in a spreadsheet saved as GB18030
{
	head -1 "$TOP_SRCDIR/seeds/residents.csv"
	printf '330108199001010010,𠈌桂英,女,1990-01-01,13800000000,"浙江省杭州市望江街道𠈌江路1号",望江社区,望江街道,wangjiang-001-001,Hwangjiang00001,3000-4999,true\n'
	tail -n +2 "$TOP_SRCDIR/seeds/residents.csv"
} > all.csv
iconv -f UTF-8 -t GB18030 all.csv > excel.csv
cmp -s all.csv excel.csv && fail "the GB18030 file is the UTF-8 one"
before=$(node_state cn)

expect_fail 1 "strata: 'excel.csv': line 2: field 2 is not valid UTF-8: the file reads as GB18030 (as Excel saves Chinese text): import it with --encoding gb18030" \
	"$STRATA" -C cn import residents excel.csv
[ "$(node_state cn)" = "$before" ] || fail "the node changed after refusing excel.csv"
ok "a GB18030 file read as UTF-8: refused, with the hint to give --encoding gb18030; node unchanged"

printf 'id_number,name\n1,\201\040x\n' > broken.csv
expect_fail 1 "strata: 'broken.csv': line 2: bytes 81 20 are not GB18030 text (is the file in another encoding?)" \
	"$STRATA" -C cn import people broken.csv --key id_number --encoding gb18030
[ "$(node_state cn)" = "$before" ] || fail "the node changed after refusing broken.csv"
expect_fail 2 "strata: --encoding: unknown encoding 'big5' (utf-8, gb18030 or gbk)" \
	"$STRATA" -C cn import residents excel.csv --encoding big5
unchanged cn "$before" "an unknown encoding"
expect_fail 1 "strata: --kind 'id_number=passport': expected FIELD=KIND, KIND resident-id, mobile, date or text" \
	"$STRATA" -C cn import residents all.csv --kind id_number=passport
expect_fail 1 "strata: --kind 'idnumber=text': 'idnumber' is not a column of 'all.csv' (its columns: 'id_number', 'name'," \
	"$STRATA" -C cn import residents all.csv --kind idnumber=text
unchanged cn "$before" "a bad --kind"
ok "bytes GB18030 does not allow: refused with file, line and bytes; an unknown encoding is a usage error"

"$STRATA" -C cn import residents excel.csv --encoding GB18030 >/dev/null
"$STRATA" -C cn export residents -o back.csv
tr -d '\r' < back.csv | sed '1s/^\xef\xbb\xbf//' > back.lf
grep -q '𠈌桂英' back.lf || fail "export lost the rare character"
"$STRATA" -C cn export residents --encoding gb18030 -o back-gb.csv
iconv -f UTF-8 -t GB18030 back.csv | sed '1s/^\xef\xbb\xbf//' | cmp - back-gb.csv ||
	iconv -f GB18030 -t UTF-8 back-gb.csv | cmp - back.csv || fail "export --encoding gb18030 is not the UTF-8 export in GB18030"
printf '\225\062\267\060' > rare.gb
grep -qF "$(cat rare.gb)" back-gb.csv || fail "𠈌 is not its four GB18030 bytes in the export"
ok "import --encoding gb18030, export and export --encoding gb18030: 𠈌 byte for byte both ways"

line=$(grep -n '𠈌' back.lf | head -1 | cut -d: -f1)
expect_fail 1 "'gbk.csv': line $line: GBK cannot hold the character U+2020C: use --encoding gb18030, which holds every character" \
	"$STRATA" -C cn export residents --encoding gbk -o gbk.csv
[ ! -e gbk.csv ] || fail "a refused export left gbk.csv behind"
before=$(node_state cn)
ok "GBK cannot hold 𠈌: export refused with the line and the character, no partial file"

"$STRATA" -C cn export --to st-wangjiang -o p.parcel >/dev/null
"$STRATA" -C st import p.parcel >/dev/null
"$STRATA" -C st export cn-wangjiang-01/residents -o street.csv
grep -q '^[^,]*,𠈌\*\*,' street.csv || fail "the street's masked surname is not 𠈌: $(grep -c '𠈌' street.csv) lines hold it"
ok "𠈌 through a view and a sealed parcel: the street's masked surname is the same four bytes"

# the interface in Chinese
zh "$STRATA" --help > help.zh
grep -q '^命令：' help.zh && grep -q '创建节点' help.zh || fail "strata --help is not in Chinese: $(head -3 help.zh)"
"$STRATA" --help | grep -q '^commands:' || fail "English is no longer the default"
expect_fail 1 "strata：节点目录 'nope' 不存在" zh "$STRATA" -C nope status
expect_fail 1 "strata：'excel.csv'：第 2 行：第 2 个字段不是有效的 UTF-8" zh "$STRATA" -C st import x excel.csv --key id_number
grep -q 'import it with --encoding gb18030\|--encoding gb18030' "$T/err" || fail "the hint is gone in Chinese"
ok "LANG=zh_CN.UTF-8: help and errors in Chinese, the hint too; English by default"

zh "$STRATA" -C cn peer list > peers.zh
head -1 peers.zh | grep -q '对等节点' || fail "peer list's header is not Chinese: $(head -1 peers.zh)"
grep -q '街道' peers.zh || fail "peer list does not show the tier in Chinese"
[ "$(zh "$STRATA" -C cn peer list --format csv)" = "$("$STRATA" -C cn peer list --format csv)" ] ||
	fail "peer list --format csv differs by language"
for cmd in "status --json" "datasets --format json" "peer list --format json" "log residents --json" "verify --json"; do
	# shellcheck disable=SC2086
	a=$("$STRATA" -C cn $cmd || true)
	# shellcheck disable=SC2086
	b=$(zh "$STRATA" -C cn $cmd || true)
	[ "$a" = "$b" ] || fail "'$cmd' differs by language"
done
zh "$STRATA" -C cn status > status.zh || true
grep -q '^节点 cn-wangjiang-01' status.zh || fail "status is not in Chinese: $(head -3 status.zh)"
ok "tables in Chinese (header, tier); CSV and every --json the same in both languages"

# mistakes a newcomer makes get the fix
expect_fail 2 "strata: 'improt' is not a strata command; did you mean 'import'? (see 'strata --help')" "$STRATA" improt
expect_fail 2 "strata: 'chek' is not a 'policy' command; did you mean 'check'? ('check', 'preview', 'diff', 'impact', 'risk', 'commit', 'list', 'show', 'secret')" \
	"$STRATA" -C cn policy chek x.yaml
expect_fail 2 "strata: 'lsit' is not a 'peer' command; did you mean 'set', 'list'? ('add', 'set', 'remove', 'show', 'list')" "$STRATA" -C cn peer lsit
expect_fail 2 "strata：'improt' 不是 strata 命令；您是不是要找 'import'？" zh "$STRATA" improt
ok "a mistyped command or subcommand: did you mean, in English and in Chinese"

"$STRATA" status -C cn > status.after || true
grep -q '^node cn-wangjiang-01' status.after || fail "status -C after the command did not open the node: $(cat status.after)"
ok "-C NODEDIR after the command (strata status -C node)"

before=$(node_state cn)
expect_fail 1 "strata: no peer 'st-wangjiang-x' in node.conf; did you mean 'st-wangjiang'? ('strata peer list')" \
	"$STRATA" -C cn sync st-wangjiang-x
expect_fail 1 "strata: no peer 'st-wangjang' in node.conf; did you mean 'st-wangjiang'?" "$STRATA" -C cn status st-wangjang
unchanged cn "$before" "a misspelt peer"
[ ! -e cn/links/st-wangjiang-x.json ] || fail "a misspelt peer left a link file"
ok "a misspelt peer is named as unknown, with the nearest known peer (sync, status)"

before=$(node_state cn)
expect_fail 1 "'all.csv': key field 'idnumber' is not a column of the input; did you mean 'id_number'? (its columns: 'id_number', 'name', 'gender'," \
	"$STRATA" -C cn import people all.csv --key idnumber
[ "$(node_state cn)" = "$before" ] || fail "the node changed after a wrong --key"
ok "--key with a column that is not there: did you mean, and the columns listed"

printf 'policy: p\nversion: 1\npurpose: test it\nrecipients:\n  tiers: [street]\ndatasets:\n  residents:\n    fields:\n      id_number: keep\n     name: drop\n' > indent.yaml
expect_fail 1 "strata: 'indent.yaml':10:6: this line is not indented" "$STRATA" policy check indent.yaml
printf "strata: 'indent.yaml':10:6: this line is not indented like the keys around it: indent it with spaces, as far as the key it belongs with\n         name: drop\n         ^\n" > want.err
cmp -s want.err "$T/err" || fail "the YAML error is not the line with a caret: $(cat "$T/err")"
expect_fail 1 "'indent.yaml':10:6：此行的缩进与周围的键不一致" zh "$STRATA" policy check indent.yaml
ok "a policy indented wrong: file:line:column in plain words, the line shown with a caret, in Chinese too"

# their identifiers: resident ID numbers (GB 11643), mobiles, dates
before=$(node_state cn)
{ head -4 all.csv; printf '330108199001010011,错号,女,1990-01-01,13800000000,"x",望江社区,望江街道,wangjiang-001-001,Hx,3000-4999,true\n'; } > badid.csv
expect_fail 1 "strata: 'badid.csv': line 5: id_number '330108199001010011' is not a valid resident ID number: its check digit is 0, not 1 (GB 11643); if the field is free text, import with --kind id_number=text" \
	"$STRATA" -C cn import residents badid.csv
{ head -4 all.csv; printf '330108199001010010,错日,女,1990-02-30,13800000000,"x",望江社区,望江街道,wangjiang-001-001,Hx,3000-4999,true\n'; } > baddate.csv
expect_fail 1 "strata: 'baddate.csv': line 5: birth_date '1990-02-30' is not a date that exists; if the field is free text, import with --kind birth_date=text" \
	"$STRATA" -C cn import residents baddate.csv
expect_fail 1 "strata：'baddate.csv'：第 5 行：birth_date '1990-02-30' 不是实际存在的日期" zh "$STRATA" -C cn import residents baddate.csv
[ "$(node_state cn)" = "$before" ] || fail "the node changed after refusing a wrong ID number or date"
ok "a wrong check digit, an impossible date: refused with file, line and the way out, in Chinese too; node unchanged"

{ head -1 all.csv; sed -n 2,3p all.csv; printf '330108199001010029,手机,女,1990-01-01,1380000,"x",望江社区,望江街道,wangjiang-001-001,Hx,3000-4999,true\n'; } > phone.csv
"$STRATA" -C cn import people phone.csv --key id_number >/dev/null
before=$(node_state cn)
expect_fail 1 "strata: 'phone.csv': line 4: phone '1380000' is not a mobile number (11 digits, 13 to 19 first)" \
	"$STRATA" -C cn import people phone.csv --kind phone=mobile
git -C cn/repo.git show refs/strata/datasets/people:schema.json | grep -q '"kind"' && fail "a refused declaration was kept"
unchanged cn "$before" "a refused mobile number"
"$STRATA" -C cn import people badid.csv --kind id_number=text >/dev/null
git -C cn/repo.git show refs/strata/datasets/people:schema.json | grep -q '{"kind":"text","name":"id_number"' ||
	fail "the declaration is not in schema.json"
"$STRATA" -C cn import people badid.csv >/dev/null || fail "a field declared free text was checked on the next import"
ok "--kind declares a field (mobile checked; text: nothing checked), kept in schema.json for the imports after"

# people's names for nodes: a display name beside the a-z name, wherever a person reads a node
"$STRATA" init dn --name cn-daguan --tier community --display-name 大关社区 >/dev/null
grep -q 'displayname = 大关社区' dn/node.conf || fail "init --display-name is not in node.conf"
"$STRATA" -C dn status | grep -q '^node cn-daguan · 大关社区 (community)' || fail "status does not show the display name"
[ "$("$STRATA" -C dn status --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["display_name"])')" = 大关社区 ] ||
	fail "status --json has no display_name"
"$STRATA" -C st peer set cn-wangjiang-01 --display-name 望江社区 >/dev/null
zh "$STRATA" -C st peer list | grep -q '^cn-wangjiang-01 .*望江社区$' || fail "peer list does not show the peer's display name"
zh "$STRATA" -C st status | grep -q '^对等节点 cn-wangjiang-01 · 望江社区（社区' || fail "status does not show the peer's display name in Chinese"
before=$(node_state st)
conf=$(cat st/node.conf)
expect_fail 1 "display name 'a" "$STRATA" -C st peer set cn-wangjiang-01 --display-name "$(printf 'a\tb')"
unchanged st "$before" "a refused display name"
[ "$(cat st/node.conf)" = "$conf" ] || fail "a refused display name changed node.conf"
expect_fail 1 "one line, no control character" "$STRATA" init bad --name cn-bad --tier community --display-name "$(printf 'two\nlines')"
[ ! -e bad ] || fail "a refused display name left a node behind"
stkey=$("$STRATA" -C st export cn-wangjiang-01/residents --format csv | tr -d '\r' | sed 's/^\xef\xbb\xbf//' | sed -n 2p | cut -d, -f1)
zh "$STRATA" -C st trace cn-wangjiang-01/residents "$stkey" | grep -q '^1\. 收到的视图：cn-wangjiang-01 · 望江社区（社区）' ||
	fail "trace does not show the peer's display name: $(zh "$STRATA" -C st trace cn-wangjiang-01/residents "$stkey" | head -4)"
"$STRATA" -C st trace cn-wangjiang-01/residents "$stkey" --json | grep -q '"display_name": "望江社区"' || fail "trace --json has no display_name"
ok "display names: init --display-name and peer set --display-name, shown by status, peer list and trace (and --json); a bad one is refused, nothing made"

# a label for a received dataset whose path the sender hides, set where it is read, never sent
name=$("$STRATA" -C st datasets --received --format csv | tr -d '\r' | sed 's/^\xef\xbb\xbf//' | cut -d, -f1 | grep '/residents$' | head -1)
before=$(git -C st/repo.git for-each-ref --format='%(refname) %(objectname)' refs/strata/peers refs/strata/views)
"$STRATA" -C st datasets label "$name" 望江社区登记 >/dev/null
"$STRATA" -C st datasets | grep -q "^$name .*望江社区登记\$" || fail "datasets does not show the label: $("$STRATA" -C st datasets)"
[ "$(git -C st/repo.git for-each-ref --format='%(refname) %(objectname)' refs/strata/peers refs/strata/views)" = "$before" ] ||
	fail "a label changed data or views"
"$STRATA" -C st audit log --event dataset-label | grep -q 'dataset labelled' || fail "the label is not in the audit log"
before=$(node_state st)
conf=$(cat st/node.conf)
expect_fail 1 "no dataset 'cn-wangjiang-01/residentz'" "$STRATA" -C st datasets label cn-wangjiang-01/residentz x
expect_fail 1 "one line, no control character" "$STRATA" -C st datasets label "$name" "$(printf 'a\nb')"
unchanged st "$before" "a refused label"
[ "$(cat st/node.conf)" = "$conf" ] || fail "a refused label changed node.conf"
"$STRATA" -C st datasets label "$name" >/dev/null
"$STRATA" -C st datasets | grep -q '望江社区登记' && fail "the label did not go"
ok "datasets label NAME TEXT: a local label shown by datasets (audited, data and views untouched); without TEXT it goes"

# the manual in Chinese: every command the English page documents, with the same synopsis
cmds() { awk '/^\.TP$/ { tp = 1; next } tp && /^\.B [a-z]/ { print } { tp = 0 }' "$1" | LC_ALL=C sort; }
cmds "$TOP_SRCDIR/doc/strata.1" >en.cmds
cmds "$TOP_SRCDIR/doc/zh_CN/strata.1" >zh.cmds
[ "$(wc -l <en.cmds)" -gt 40 ] || fail "the English manual's commands were not found"
diff en.cmds zh.cmds >man.diff || fail "the Chinese manual's commands differ from the English one's: $(cat man.diff)"
if command -v man >/dev/null 2>&1; then
	LC_ALL=zh_CN.UTF-8 MANWIDTH=80 man -l "$TOP_SRCDIR/doc/zh_CN/strata.1" 2>/dev/null >man.zh
	grep -q '^名称' man.zh && grep -q '^语言' man.zh || fail "the Chinese manual does not render: $(head -5 man.zh)"
fi
ok "doc/zh_CN/strata.1 documents every command of strata.1 with the same synopsis, and renders"

# field labels: the catalogue's, in an export's header (own, and received: the owner's description came with the parcel)
"$STRATA" -C cn catalog describe residents --label id_number=公民身份号码 --label name=姓名 >/dev/null
"$STRATA" -C cn export residents --labels | head -1 | grep -q '^公民身份号码,姓名,gender,' ||
	fail "export --labels: $("$STRATA" -C cn export residents --labels | head -1)"
"$STRATA" -C cn export residents | head -1 | grep -q '^id_number,name,' || fail "export without --labels changed its header"
"$STRATA" -C cn export --to st-wangjiang -o p2.parcel >/dev/null
"$STRATA" -C st import p2.parcel >/dev/null
"$STRATA" -C st export cn-wangjiang-01/residents --labels | head -1 | grep -q '^公民身份号码,姓名,' ||
	fail "a received dataset's export --labels: $("$STRATA" -C st export cn-wangjiang-01/residents --labels | head -1)"
before=$(node_state cn)
expect_fail 2 "--labels is for a CSV of one dataset" "$STRATA" -C cn export residents --labels --format jsonl
unchanged cn "$before" "export --labels with JSON Lines"
ok "export --labels: the header in the catalogue's labels, for an own and a received dataset"
