#!/bin/sh
# Every limit strata(1) documents for outside input, tried with one input
# at the limit (accepted, or refused only by a later check) and one just
# over it (refused, saying which limit, the node unchanged).
. "$TOP_SRCDIR/tests/e2e/lib.sh"
: "${FORGE:?FORGE must name tests/tools/parcel-forge (make check sets it)}"
command -v python3 >/dev/null || skip "python3 is needed to write the inputs"
MiB=1048576
"$STRATA" init cn --name cn-a --tier community >/dev/null
"$STRATA" init st --name st-b --tier street >/dev/null

# at NAME FILE: imported; over MESSAGE FILE: refused with MESSAGE, node unchanged
at() { "$STRATA" -q -C cn import "$1" "$2" --key id || fail "$2 at the limit was refused"; }
over() {
	before=$(node_state cn)
	expect_fail 1 "$1" "$STRATA" -C cn import over "$2" --key id
	[ "$(node_state cn)" = "$before" ] || fail "refusing $2 changed the node"
}

# --- records: 1 MiB, not counting the line ending ---
# csv_line FILE BYTES: a header and one record of BYTES (separators counted)
csv_line() { python3 -c "import sys; open(sys.argv[1], 'w').write('id,v\n1,' + 'x' * (int(sys.argv[2]) - 2) + '\r\n')" "$1" "$2"; }
jsonl_line() { python3 -c "import sys; p = '{\"id\":\"1\",\"v\":\"'; open(sys.argv[1], 'w').write(p + 'x' * (int(sys.argv[2]) - len(p) - 2) + '\"}\n')" "$1" "$2"; }
csv_line r1.csv $MiB
csv_line r2.csv $((MiB + 1))
at rec-csv r1.csv
over "'r2.csv': line 2: record longer than 1048576 bytes" r2.csv
jsonl_line r1.jsonl $MiB
jsonl_line r2.jsonl $((MiB + 1))
at rec-jsonl r1.jsonl
over "'r2.jsonl': line 1: line longer than 1048576 bytes" r2.jsonl
[ "$("$STRATA" -C cn export rec-csv | wc -c)" -gt $MiB ] || fail "the 1 MiB record did not survive the import"
ok "records of exactly 1 MiB import (CSV and JSON Lines); one byte more is refused, naming the line"

# --- columns: 1024, each name at most 128 bytes ---
# cols FORMAT FILE N NAMELEN: a record of N fields, the first 'id', the others NAMELEN bytes long
cols() {
	python3 - "$@" <<'PY'
import sys, json
fmt, path, n, namelen = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
names = ['id'] + [('c%05d' % i).ljust(namelen, 'x') for i in range(1, n)]
with open(path, 'w') as f:
    if fmt == 'csv':
        f.write(','.join(names) + '\n' + ','.join(['1'] + ['v'] * (n - 1)) + '\n')
    else:
        f.write(json.dumps(dict([('id', '1')] + [(k, 'v') for k in names[1:]])) + '\n')
PY
}
cols csv c1.csv 1024 8
cols csv c2.csv 1025 8
cols jsonl c1.jsonl 1024 8
cols jsonl c2.jsonl 1025 8
at cols-csv c1.csv
over "'c2.csv': line 1: more than 1024 fields" c2.csv
at cols-jsonl c1.jsonl
over "'c2.jsonl': line 1: more than 1024 fields" c2.jsonl
cols csv n1.csv 2 128
cols csv n2.csv 2 129
cols jsonl n1.jsonl 2 128
cols jsonl n2.jsonl 2 129
at name-csv n1.csv
over "longer than 128 bytes" n2.csv
at name-jsonl n1.jsonl
over "longer than 128 bytes" n2.jsonl
ok "1024 columns and column names of 128 bytes import; 1025 columns or a 129-byte name are refused"

# --- policies: 1 MiB ---
pad() { python3 -c "import sys; d = open(sys.argv[1]).read(); open(sys.argv[2], 'w').write(d + '#' * (int(sys.argv[3]) - len(d.encode()) - 1) + '\n')" "$@"; }
pad "$TOP_SRCDIR/policies/community-to-street.yaml" p1.yaml $MiB
pad "$TOP_SRCDIR/policies/community-to-street.yaml" p2.yaml $((MiB + 1))
"$STRATA" policy check p1.yaml >/dev/null || fail "a 1 MiB policy was refused"
expect_fail 1 "p2.yaml" "$STRATA" policy check p2.yaml
grep -q "1048576" err || fail "the refusal of a large policy does not name the limit: $(cat err)"
ok "a policy file of exactly 1 MiB is read; one byte more is refused"

# --- parcels ---
"$STRATA" -q -C cn policy commit "$TOP_SRCDIR/policies/community-to-street.yaml"
"$STRATA" -q -C cn import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number
"$STRATA" -q -C cn peer add st-b --key st/keys/node.pub --tier street --policy community-to-street --direction push
"$STRATA" -q -C st peer add cn-a --key cn/keys/node.pub --tier community --direction pull
"$STRATA" -q -C cn export --to st-b -o p.parcel --unsealed
mkdir x && (cd x && bsdtar xf ../p.parcel)
before=$(node_state st)
refuse() {
	expect_fail 1 "$1" "$STRATA" -C st import "$2"
	[ "$(node_state st)" = "$before" ] || fail "refusing $2 ($1) changed the node"
}
# MANIFEST: padded with trailing blanks (still the same JSON) and signed again by the sender
python3 -c "import sys; d = open('x/MANIFEST').read(); open('m1', 'w').write(d + ' ' * ($MiB - len(d)))"
python3 -c "import sys; d = open('x/MANIFEST').read(); open('m2', 'w').write(d + ' ' * ($MiB + 1 - len(d)))"
"$FORGE" sign cn m2 x/objects.pack big2.parcel
refuse "entry 'MANIFEST' declares 1048577 bytes, over the limit of 1048576" big2.parcel
"$FORGE" sign cn m1 x/objects.pack big1.parcel
"$STRATA" -q -C st import big1.parcel || fail "a parcel with a 1 MiB MANIFEST was refused"
before=$(node_state st)
ok "a parcel whose MANIFEST is exactly 1 MiB imports; one byte more is refused"

# MANIFEST.sig 16 KiB, objects.pack 4 GiB: the size each header declares is
# checked before anything is read, so a sig of 16 KiB fails only on its content,
# and a pack declaring 4 GiB only for being cut short
head -c 16384 /dev/zero | tr '\0' 'A' >s1
head -c 16385 /dev/zero | tr '\0' 'A' >s2
m=$(stat -c %s x/MANIFEST) pk=$(stat -c %s x/objects.pack)
"$FORGE" tar s1.parcel f:MANIFEST:$m:x/MANIFEST f:MANIFEST.sig:16384:s1 f:objects.pack:$pk:x/objects.pack
"$FORGE" tar s2.parcel f:MANIFEST:$m:x/MANIFEST f:MANIFEST.sig:16385:s2 f:objects.pack:$pk:x/objects.pack
refuse "entry 'MANIFEST.sig' declares 16385 bytes, over the limit of 16384" s2.parcel
expect_fail 3 "MANIFEST.sig does not verify" "$STRATA" -C st import s1.parcel
sig=$(stat -c %s x/MANIFEST.sig)
"$FORGE" tar k1.parcel f:MANIFEST:$m:x/MANIFEST f:MANIFEST.sig:$sig:x/MANIFEST.sig f:objects.pack:4294967296:-
"$FORGE" tar k2.parcel f:MANIFEST:$m:x/MANIFEST f:MANIFEST.sig:$sig:x/MANIFEST.sig f:objects.pack:4294967297:-
refuse "entry 'objects.pack' declares 4294967297 bytes, over the limit of 4294967296" k2.parcel
refuse "entry 'objects.pack' is truncated: it declares 4294967296 bytes" k1.parcel
[ "$(node_state st)" = "$before" ] || fail "a refusal changed the node"
ok "MANIFEST.sig of 16 KiB and objects.pack declaring 4 GiB pass the size check; one byte more is refused"

# views per parcel: 4096 names pass the manifest's cap (then fail: they name
# no view of the sender's); 4097 are refused by the cap
views() {
	python3 - "$@" <<'PY'
import sys, json
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = json.load(open(src))
c = m['refs'][0]['commit']
m['refs'] = [{'name': 'v%04d' % i, 'commit': c} for i in range(n)]
m['sequence'] = 100
open(out, 'w').write(json.dumps(m, indent=1, sort_keys=True) + '\n')
PY
}
views x/MANIFEST v1 4096
views x/MANIFEST v2 4097
"$FORGE" sign cn v1 x/objects.pack v1.parcel
"$FORGE" sign cn v2 x/objects.pack v2.parcel
refuse "MANIFEST: refs must be an array of at most 4096" v2.parcel
refuse "is dataset 'residents' but arrives as 'v0000'" v1.parcel
ok "a parcel naming 4096 views passes the cap and is refused for what they are; 4097 are refused by the cap"

# --- a parcel larger than the memory the import may use: read in pieces, never whole ---
# 5 distinct blobs of 40 MiB and the first again (240 MiB), refused only at the end, under
# a 200 MB cap on address space (sanitizer builds reserve terabytes: there, no cap)
# (STRATA_LIMITS_BLOB_MIB: the sanitizer run, which has no cap and reports only the figures, uses smaller blobs)
blob=${STRATA_LIMITS_BLOB_MIB:-40}
big=$((blob * 6))
"$FORGE" delta huge.pack big 5 "$blob"
count=$(od -An -tu1 -j8 -N4 huge.pack | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}')
printf '{"created": "%s", "format": "strata-parcel", "pack": {"objects": %s, "sha256": "%s", "size": %s}, "prerequisites": [], "recipient": "st-b", "refs": [{"name": "residents", "commit": "0123456789abcdef0123456789abcdef01234567"}], "sender": "cn-a", "sequence": 99, "version": 1}\n' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$count" "$(sha256sum huge.pack | cut -c1-64)" "$(stat -c %s huge.pack)" >mh
"$FORGE" sign cn mh huge.pack huge.parcel
cap=200000
case "${ASAN_OPTIONS:-}" in *detect_leaks*) cap=unlimited ;; esac
before=$(node_state st)
set +e
(ulimit -v $cap; exec "$STRATA" -C st import huge.parcel) >out 2>err
status=$?
set -e
[ $status = 1 ] && grep -q "objects.pack holds blob [0-9a-f]* twice" err ||
	fail "a 240 MiB parcel under a 200 MB cap: exit $status: $(cat err)"
[ "$(node_state st)" = "$before" ] || fail "refusing the large parcel changed the node"
rm -f huge.parcel
ok "a $big MiB parcel is read in pieces under a $cap kB address-space cap, to its last object"

# --- the daemon: 4 peers push 240 MiB each at once; neither process grows with that ---
for i in 1 2 3 4; do
	"$STRATA" init "q$i" --name "cn-q$i" --tier community >/dev/null
	"$STRATA" -q -C st peer add "cn-q$i" --key "q$i/keys/node.pub" --tier community --direction pull
	"$STRATA" -q -C "q$i" peer add st-b --key st/keys/node.pub --tier street --direction pull
	sed "s/\"sender\": \"cn-a\"/\"sender\": \"cn-q$i\"/" mh >"mh$i"
	"$FORGE" sign "q$i" "mh$i" huge.pack "q$i.parcel"
done
rm -f huge.pack
serve_node st	# after the peers are added: it reads them when it starts
pids="$SERVE_PID $(pgrep -P "$SERVE_PID" | tr '\n' ' ')"
posts=""
for i in 1 2 3 4; do
	set_url "q$i" st-b "$SERVE_PORT"
	"$NET_POST" "q$i" st-b /v1/push "q$i.parcel" >"resp$i" 2>&1 &
	posts="$posts $!"
done
for p in $posts; do wait "$p" || true; done
for i in 1 2 3 4; do
	grep -q "HTTP 422" "resp$i" && grep -q "holds blob [0-9a-f]* twice" "resp$i" || fail "push $i: $(cat "resp$i")"
done
# (a sanitizer build keeps freed memory in quarantine, 256 MiB of it: there, only the figure)
for p in $pids; do
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status")
	echo "daemon process $p: peak RSS ${hwm} kB while 4 peers pushed $big MiB each"
	[ "$cap" = unlimited ] || [ "$hwm" -lt 262144 ] || fail "daemon process $p peaked at $hwm kB: it grows with the pushed bodies"
done
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true
rm -f q?.parcel
ok "4 peers pushing $big MiB each at once: the daemon's processes stay under 256 MiB (parts, spooled)$([ "$cap" = unlimited ] && echo ': figures only, a sanitizer build')"

# --- refused.log: no line is added once it holds 16 MiB ---
log=st/refused.log
before=$(node_state st)	# the peers added above are audit events
python3 -c "import sys; open(sys.argv[1], 'a').write('x' * (16777215 - __import__('os').path.getsize(sys.argv[1])) )" $log
refuse "over the limit" k2.parcel
[ "$(stat -c %s $log)" -gt 16777215 ] || fail "refused.log under 16 MiB did not grow"
python3 -c "import sys; open(sys.argv[1], 'w').write('x' * 16777216)" $log
refuse "over the limit" k2.parcel
[ "$(stat -c %s $log.1)" = 16777216 ] || fail "a full refused.log was not rotated to refused.log.1"
[ "$(wc -l <$log)" = 1 ] && grep -q "over the limit" $log || fail "the newest refusal is not in the fresh refused.log: $(head -c 300 $log)"
"$STRATA" -C st audit log | grep -q "older refusals, rotated out at 16 MiB" || fail "audit log does not point at refused.log.1"
ok "refused.log grows up to 16 MiB, then rotates to refused.log.1: the newest refusals are always kept"

# --- network: a pull's state body 1 MiB (its process messages too) and 1024 views ---
: "${NET_POST:?NET_POST must name tests/tools/net-post (make check sets it)}"
serve_node cn
set_url st cn-a "$SERVE_PORT"
# state FILE BYTES VIEWS [PAD]: "sequence 0" and VIEWS have-lines, BYTES in all (PAD: the rest
# in one "message" line, which the daemon refuses on its own without refusing the pull)
state() {
	python3 - "$@" <<'PY'
import sys
path, n, views = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pad = len(sys.argv) > 4
total = n - len('sequence 0\n') - 47 * views - (len('message \n') + 4000 if pad else 0)
base, extra = divmod(total, views)
s = 'sequence 0\n' + ''.join('have %s %s\n' % (('v%04d' % i).ljust(base + (i < extra), 'y'), '0' * 40)
                             for i in range(views))
if pad:
    s = 'sequence 0\nhave v0 %s\n' % ('0' * 40)
    s += 'message ' + 'A' * (n - len(s) - len('message \n')) + '\n'
else:
    assert 5 <= base < 255
assert len(s) == n
open(path, 'w').write(s)
PY
}
state b1 1048576 1 pad
state b2 1048577 1 pad
state r1 60000 1024
state r2 60000 1025
"$NET_POST" st cn-a /v1/pull b1 >resp
head -1 resp | grep -q "HTTP 200" || fail "a 1 MiB pull state: $(head -2 resp)"
"$NET_POST" st cn-a /v1/pull b2 >resp
head -2 resp | tr '\n' ' ' | grep -q "HTTP 413 state too large" || fail "a pull state one byte over 1 MiB: $(head -2 resp)"
"$NET_POST" st cn-a /v1/pull r1 >resp
head -1 resp | grep -q "HTTP 200" || fail "a pull state of 1024 views: $(head -2 resp)"
"$NET_POST" st cn-a /v1/pull r2 >resp
head -2 resp | grep -q "more than 1024 views" || fail "a pull state of 1025 views: $(head -2 resp)"
ok "a pull's state of 1 MiB or 1024 views is answered; one byte or one view more is refused"

# --- network: request line and headers 16 KiB (line endings not counted) ---
: "${NET_RAW:?NET_RAW must name tests/tools/net-raw (make check sets it)}"
headers() { # FILE BYTES: a GET whose request line and header lines add up to BYTES
	python3 - "$@" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
lines = ['GET /v1/state HTTP/1.1', 'Host: 127.0.0.1', 'Connection: close']
pad = 'X-Pad: '
lines.append(pad + 'y' * (n - sum(map(len, lines)) - len(pad)))
assert sum(map(len, lines)) == n
open(path, 'w').write('\r\n'.join(lines) + '\r\n\r\n')
PY
}
headers h1 16384
headers h2 16385
"$NET_RAW" st "$SERVE_PORT" h1 >resp
head -1 resp | grep -q "^HTTP/1.1 200" || fail "16 KiB of headers: $(head -1 resp)"
grep -q "^sequence " resp || fail "16 KiB of headers: no state in the answer"
"$NET_RAW" st "$SERVE_PORT" h2 >resp
head -1 resp | grep -q "^HTTP/1.1 400" || fail "16 KiB + 1 of headers: $(head -1 resp)"
"$NET_RAW" st "$SERVE_PORT" h1 >resp
head -1 resp | grep -q "^HTTP/1.1 200" || fail "the daemon did not serve after refusing oversized headers"
# two Host headers, the good one first: evhttp reads the first, so the daemon must refuse the request (RFC 9112 3.2)
printf 'GET /v1/state HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n' >h3
"$NET_RAW" st "$SERVE_PORT" h3 >resp
head -1 resp | grep -q "^HTTP/1.1 400" || fail "two Host headers: $(head -1 resp)"
ok "a request whose line and headers hold 16 KiB is served; one byte more gets 400, two Host headers get 400, and the daemon serves on"
