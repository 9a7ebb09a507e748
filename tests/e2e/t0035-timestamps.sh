#!/bin/sh
# Independent time: a node names a timestamp authority (openssl ts on
# 127.0.0.1); evidence parts carry its tokens, checked offline by strata and
# by openssl ts -verify; another authority's token, a removed token and a
# part whose time was changed are refused, named.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
two_nodes
to_province
start_tsa "$T/tsa-a" "Authority A"
URL_A=$TSA_URL PID_A=$TSA_PID
start_tsa "$T/tsa-b" "Authority B"
URL_B=$TSA_URL

R=$(pv_ref residents)
line=$(records pv/repo.git "$R" | head -1)
key=$(echo "$line" | sed 's/.*"id_number":"\([^"]*\)".*/\1/')
next_key() { sed -n 's/.* with the key \["\(.*\)"\]$/\1/p' "$1"; }

# bad input first: nothing changes
before=$(node_state pv)
expect_fail 1 "expected an http:// or https:// URL" "$STRATA" -C pv tsa set ftp://x --cert "$T/tsa-a/ca.pem"
expect_fail 1 "--cert 'nosuch.pem'" "$STRATA" -C pv tsa set "$URL_A" --cert nosuch.pem
expect_fail 1 "not a PEM certificate" "$STRATA" -C pv tsa set "$URL_A" --cert "$T/tsa-a/tsa.cnf"
# an authority whose answer does not chain to the certificate given
expect_fail 1 "its answer does not check" "$STRATA" -C pv tsa set "$URL_A" --cert "$T/tsa-b/ca.pem"
expect_fail 1 "timestamp authority http://127.0.0.1:1/" "$STRATA" -C pv tsa set "http://127.0.0.1:1/" --cert "$T/tsa-a/ca.pem"
[ "$(node_state pv)" = "$before" ] || fail "a refused tsa set changed the node"
"$STRATA" -C pv tsa show | grep -q "no timestamp authority" || fail "tsa show without one"
ok "tsa set refuses a bad URL, a missing or bad certificate, an authority that does not chain to it or does not answer; node unchanged"

for n in pv dx; do
	"$STRATA" -C $n tsa set "$URL_A" --cert "$T/tsa-a/ca.pem" >set.out || fail "tsa set at $n: $(cat set.out)"
done
grep -q "it answered, its time" set.out || fail "tsa set: $(cat set.out)"
"$STRATA" -C pv tsa show | grep -q "$URL_A" || fail "tsa show"
"$STRATA" -C pv audit log | grep -q "tsa-set" || fail "tsa set leaves no audit event"
ok "two nodes name authority A: it answered, the event is in the audit log"

"$STRATA" -C pv evidence export residents "$key" -o pv.ev >pv.out || fail "export at pv: $(cat pv.out)"
k_dx=$(next_key pv.out)
"$STRATA" -C dx evidence export residents "$k_dx" -o dx.ev --continue pv.ev >dx.out || fail "export at dx: $(cat dx.out)"
k_st=$(next_key dx.out)
# the street names no authority: its part's times are its own
"$STRATA" -C st evidence export residents "$k_st" -o st.ev --continue dx.ev >st.out || fail "export at st: $(cat st.out)"
"$STRATA" evidence verify st.ev >v.out || fail "verify: $(cat v.out)"
grep -q "parts/1-pv-zhejiang.json: timestamped at .* by the authority SHA256:" v.out &&
	grep -q "parts/2-dx-gongshu.json: timestamped at" v.out || fail "verify does not show the timestamps: $(cat v.out)"
grep -q "parts/3-st-wangjiang.json: timestamped" v.out && fail "the street's part is said to be timestamped"
grep -q "some parts' times are their nodes' own clocks" v.out || fail "verify: $(cat v.out)"
"$STRATA" evidence verify st.ev --tsa-cert "$T/tsa-a/ca.pem" >/dev/null || fail "--tsa-cert A"
expect_fail 3 "that is not the one you trust (--tsa-cert)" "$STRATA" evidence verify st.ev --tsa-cert "$T/tsa-b/ca.pem"
mkdir x && (cd x && tar xf ../st.ev)
for p in 1-pv-zhejiang 2-dx-gongshu; do
	openssl ts -verify -in x/parts/$p.json.tsr -data x/parts/$p.json -CAfile x/parts/$p.tsa.pem >ts.out 2>&1 ||
		fail "openssl ts -verify $p: $(cat ts.out)"
done
ok "evidence parts carry the authority's tokens: strata and openssl ts -verify check them; --tsa-cert pins the authority"

# tampering: another authority's token in a part's place; a token removed; a part's time changed
retar() {
	python3 - st.ev "$@" <<'PY'
import io, sys, tarfile
src, out, what, arg = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
tin = tarfile.open(src)
tout = tarfile.open(out, "w", format=tarfile.USTAR_FORMAT)
for m in tin.getmembers():
    data = tin.extractfile(m).read()
    if what == "remove" and m.name == arg[0]:
        continue
    if what == "replace" and m.name == arg[0]:
        data = open(arg[1], "rb").read()
    m.size = len(data)
    tout.addfile(m, io.BytesIO(data))
tout.close()
PY
}
# B's token over the same part, with B's certificate
openssl ts -query -data x/parts/1-pv-zhejiang.json -sha256 -cert -out q.tsq 2>/dev/null
openssl ts -reply -config "$T/tsa-b/tsa.cnf" -queryfile q.tsq -out b.tsr 2>/dev/null
retar other.ev replace parts/1-pv-zhejiang.json.tsr b.tsr
expect_fail 3 "parts/1-pv-zhejiang.json.tsr: its timestamp does not check" "$STRATA" evidence verify other.ev
retar other2.ev replace parts/1-pv-zhejiang.tsa.pem "$T/tsa-b/ca.pem"
expect_fail 3 "is not the one the part names (another authority)" "$STRATA" evidence verify other2.ev
retar gone.ev remove parts/2-dx-gongshu.json.tsr
expect_fail 3 "does not hold its token" "$STRATA" evidence verify gone.ev
ok "another authority's token or certificate, a removed token: refused, named"

# a node whose clock is a day behind: the authority's time gives it away
STRATA_TEST_NOW=$(($(date +%s) - 86400)) "$STRATA" -C pv evidence export residents "$key" -o late.ev >late.out 2>&1 ||
	fail "export with a clock a day behind: $(cat late.out)"
expect_fail 3 "the timestamp authority saw it at" "$STRATA" evidence verify late.ev
ok "a part whose node's clock is a day off the authority's is refused"

# without its authority answering: refused, or --no-timestamp
"$STRATA" -C pv tsa remove >/dev/null
"$STRATA" -C pv tsa show | grep -q "no timestamp authority" || fail "tsa remove"
"$STRATA" -C pv tsa set "$URL_A" --cert "$T/tsa-a/ca.pem" >/dev/null
kill -9 "$PID_A"; wait "$PID_A" 2>/dev/null || :
set +e; "$STRATA" -C pv evidence export residents "$key" -o down.ev 2>down.err; st=$?; set -e
[ $st -eq 1 ] && grep -q "timestamp authority $URL_A" down.err && [ ! -e down.ev ] || fail "export with the authority down: $st $(cat down.err)"
"$STRATA" -C pv evidence export residents "$key" -o nots.ev --no-timestamp >/dev/null || fail "--no-timestamp"
"$STRATA" evidence verify nots.ev | grep -q "the times are the nodes' own clocks" || fail "verify of an unstamped bundle"
ok "the authority down: export refused (nothing written), or --no-timestamp with the nodes' own times said"

# the audit log's head: stamped, checked by verify --all; a backdated event found
"$STRATA" -C pv tsa set "$URL_B" --cert "$T/tsa-b/ca.pem" >/dev/null
"$STRATA" -C pv audit stamp >stamp.out || fail "audit stamp: $(cat stamp.out)"
grep -q "the audit log up to [0-9a-f]\{12\} timestamped by $URL_B" stamp.out || fail "audit stamp: $(cat stamp.out)"
"$STRATA" -C pv audit log --event timestamp | grep -q timestamp || fail "no timestamp event"
"$STRATA" -C pv verify --all >va.out || fail "verify --all after a stamp: $(cat va.out)"
grep -q "audit log: 1 timestamp, no event dated against it" va.out || fail "verify --all: $(cat va.out)"
"$STRATA" -C pv verify --all --json | grep -q '"timestamps": 1' || fail "verify --all --json: timestamps"
before_st=$(node_state st)
expect_fail 1 "names no timestamp authority" "$STRATA" -C st audit stamp
expect_fail 1 "this node names no timestamp authority" "$STRATA" -C st tsa remove
[ "$(node_state st)" = "$before_st" ] || fail "a refused audit stamp or tsa remove changed the street"
# an event written after the stamp, dated a day before it
STRATA_TEST_NOW=$(($(date +%s) - 86400)) "$STRATA" -C pv peer set dx-gongshu --display-name "区" >/dev/null ||
	fail "a change with the clock a day behind"
expect_fail 3 "the audit log has problems" "$STRATA" -C pv verify --all
grep -q "is dated .*, before the timestamp authority saw the log before it (.*): backdated" "$T/out" ||
	fail "verify --all does not name the backdated event: $(cat "$T/out")"
ok "audit stamp: the authority's token over the log's head, checked by verify --all; an event dated a day before it refused as backdated"
