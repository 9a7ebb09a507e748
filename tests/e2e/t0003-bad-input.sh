#!/bin/sh
# Every bad input: a clear message naming file and line, a non-zero exit,
# and the node's refs and objects exactly as before.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

"$STRATA" init n --name cn-wangjiang-01 --tier community >/dev/null
printf 'id,name\n1,a\n2,b\n' > good.csv
"$STRATA" -C n import people good.csv --key id >/dev/null
before=$(node_state n)

check() { # FILE MESSAGE [extra import args]
	f=$1 msg=$2
	shift 2
	expect_fail 1 "$msg" "$STRATA" -C n import people "$f" "$@"
	[ "$(node_state n)" = "$before" ] || fail "node changed after refusing $f"
	ok "refused: $msg"
}

printf 'id,name\n1,a\n2,"open\n3,c\n' > unterminated.csv
check unterminated.csv "'unterminated.csv': line 3, column 3: unterminated quoted field"
printf 'id,name\n1,a\n2,b,extra\n' > wide.csv
check wide.csv "'wide.csv': line 3: expected 2 fields, found 3"
printf 'id,name\n1,\377\376\n' > latin.csv
check latin.csv "'latin.csv': line 2: field 2 is not valid UTF-8"
printf 'id,name\n7,a\n8,b\n7,c\n' > dup.csv
check dup.csv "'dup.csv': duplicate key (id=7) at lines 2 and 4"
printf 'name\na\n' > nokey.csv
check nokey.csv "'nokey.csv': key field 'id' is not a column"
: > empty.csv
check empty.csv "'empty.csv': the file is empty"
printf 'id,name\n' > header.csv
check header.csv "'header.csv': no records"
head -c 2000 "$STRATA" > binary.csv
check binary.csv "NUL byte: not a text file"
printf '{"id":"1","name":"a"}\n{"id":"2","nom":"b"}\n' > bad.jsonl
check bad.jsonl "'bad.jsonl': line 2: unknown field 'nom'"
printf '{"id":"1","name":"a"}\n{"id":"2",\n' > broken.jsonl
check broken.jsonl "'broken.jsonl': line 2, column"
printf 'id,name,extra\n1,a,x\n' > wider.csv
check wider.csv "columns differ from the dataset (added 'extra'); give --schema-change"
check missing.csv "cannot open 'missing.csv'"
check good.csv "unknown format 'xml'" --format xml
mkdir adir
check adir "'adir' is a directory"

expect_fail 1 "invalid dataset name '../evil'" "$STRATA" -C n import ../evil good.csv --key id
[ "$(node_state n)" = "$before" ] || fail "node changed"
ok "refused: bad dataset name"

# the node lock: a second writer is refused while the first holds it
hold_lock n/lock
expect_fail 1 "node 'n' is busy" "$STRATA" -C n import people good.csv
release_lock
ok "refused: concurrent writer"
