#!/bin/sh
# Freshness: a source that stops publishing (a freeze) is noticed.  A
# recipient sets a max age for what a peer sends; past it without a newer
# signed word (a parcel, by the time its sender signed in it, or a pull
# answered over TLS), status says the data is stale and since when, and
# verify --all says so.  One clock, the test's.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
test_clock
two_nodes
day=86400
# stale NODE PEER: status exits 1 and says what PEER sent is stale
stale() {
	"$STRATA" -C "$1" status >stale.out 2>stale.err && fail "status at $1 says all is well: $(cat stale.out)"
	grep -q "what $2 sent is stale since " stale.out || fail "status at $1: $(cat stale.out stale.err)"
}

# bad input first: nothing changes
before=$(node_state st)
expect_fail 1 "--max-age '2 days': expected a duration like 7d, 48h or 90m" \
	"$STRATA" -C st peer set cn-wangjiang-01 --max-age "2 days"
expect_fail 1 "--max-age '0d'" "$STRATA" -C st peer set cn-wangjiang-01 --max-age 0d
[ "$(node_state st)" = "$before" ] || fail "a refused --max-age changed the node"
"$STRATA" -C st peer set cn-wangjiang-01 --max-age 2d >/dev/null || fail "peer set --max-age"
"$STRATA" -C st peer list --format json | grep -q '"max_age": "2d"' || fail "peer list: no max_age"
# nothing received yet: no word to be old
"$STRATA" -C st status >s0.out || fail "status before anything was received: $(cat s0.out)"
grep -q "fresh: its newest signed word is from (nothing yet) (max age 2d)" s0.out || fail "status: $(cat s0.out)"

# a parcel made now and carried at once: fresh, for two days
"$STRATA" -C cn export --to st-wangjiang -o p1.parcel >/dev/null
made=$(cat "$T/clock")
"$STRATA" -C st import p1.parcel >/dev/null
"$STRATA" -C st status >s1.out || fail "status after a parcel: $(cat s1.out)"
grep -q "^health: ok" s1.out && grep -q "  fresh: its newest signed word is from " s1.out || fail "status: $(cat s1.out)"
tick $((2 * day))
"$STRATA" -C st status >/dev/null || fail "stale at exactly its max age"
tick 1
expect_fail 1 "needs attention (1 problem)" "$STRATA" -C st status
"$STRATA" -C st status >s2.out 2>/dev/null || true
grep -q "what cn-wangjiang-01 sent is stale since .*: its newest signed word is from .*, older than the max age of 2d" s2.out &&
	grep -q "  STALE since " s2.out || fail "status, stale: $(cat s2.out)"
"$STRATA" -C st status --json >s2.json 2>/dev/null || true
python3 - "$made" <<'PY' || fail "status --json: $(cat s2.json)"
import json, sys, datetime
d = json.load(open("s2.json"))
p = [x for x in d["peers"] if x["peer"] == "cn-wangjiang-01"][0]
asof = datetime.datetime.fromisoformat(p["fresh_as_of"].replace("Z", "+00:00")).timestamp()
since = datetime.datetime.fromisoformat(p["stale_since"].replace("Z", "+00:00")).timestamp()
assert p["max_age"] == "2d", p
assert int(asof) == int(sys.argv[1]), (asof, sys.argv[1])
assert int(since) == int(sys.argv[1]) + 2 * 86400, since
assert not d["health"]["ok"]
PY
"$STRATA" -C st verify --all >v.out || fail "stale data is no integrity failure: $(cat v.out)"
grep -q "^stale: what cn-wangjiang-01 sent, since .* max age 2d)" v.out || fail "verify --all: $(cat v.out)"
"$STRATA" -C st verify --all --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["ok"] and d["stale"][0]["peer"] == "cn-wangjiang-01", d' ||
	fail "verify --all --json: no stale row"
# the old parcel again (a replay): refused, still stale
before=$(node_state st)
expect_fail 1 "" "$STRATA" -C st import p1.parcel
[ "$(node_state st)" = "$before" ] || fail "a replayed parcel changed the node"
expect_fail 1 "needs attention" "$STRATA" -C st status
ok "a parcel's signed time keeps its data fresh for the max age; past it status says stale and since when (exit 1), verify --all says so (exit 0); a replay refreshes nothing"

# a new parcel: fresh again; one made days ago and carried late is as old as when it was made
"$STRATA" -C cn export --to st-wangjiang -o p2.parcel >/dev/null
"$STRATA" -C st import p2.parcel >/dev/null
"$STRATA" -C st status >/dev/null || fail "a new parcel did not make the data fresh"
"$STRATA" -C cn export --to st-wangjiang -o p3.parcel >/dev/null
made3=$(cat "$T/clock")
tick $((3 * day))
"$STRATA" -C st import p3.parcel >/dev/null || fail "the late parcel"
stale st cn-wangjiang-01
"$STRATA" -C st status --json 2>/dev/null | python3 -c '
import json, sys, datetime
p = [x for x in json.load(sys.stdin)["peers"] if x["peer"] == "cn-wangjiang-01"][0]
assert p["in"]["sequence"] == 3, p
t = datetime.datetime.fromisoformat(p["fresh_as_of"].replace("Z", "+00:00")).timestamp()
assert int(t) == int(sys.argv[1]), (t, sys.argv[1])' "$made3" || fail "the late parcel: fresh as of when it was made"
# no max age: never stale
"$STRATA" -C st peer set cn-wangjiang-01 --no-max-age >/dev/null
"$STRATA" -C st status >/dev/null || fail "stale with no max age"
"$STRATA" -C st peer list --format json | grep -q '"max_age": null' || fail "--no-max-age"
ok "a new parcel makes the data fresh; a parcel made days ago and carried late is as old as when it was made; --no-max-age: never stale"

# over HTTPS: a pull the source answers (nothing new) is a newer word
"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
"$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district >/dev/null
"$STRATA" -C dx peer add st-wangjiang --key st/keys/node.pub --tier street --direction pull --max-age 12h >/dev/null
serve_node st --timeout 5
set_url dx st-wangjiang "$SERVE_PORT"
"$STRATA" -C dx pull st-wangjiang >/dev/null || fail "pull"
"$STRATA" -C dx status >/dev/null || fail "fresh after a pull"
tick $((13 * 3600))
stale dx st-wangjiang
"$STRATA" -C dx pull st-wangjiang >/dev/null || fail "pull with nothing new"
"$STRATA" -C dx status >s4.out || fail "an answered pull did not refresh: $(cat s4.out)"
# the source down: no answer, no newer word
kill "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null
tick $((13 * 3600))
"$STRATA" -C dx pull st-wangjiang >/dev/null 2>&1 && fail "a pull from a stopped daemon succeeded"
stale dx st-wangjiang
ok "over HTTPS an answered pull is a newer signed word; a source that stops answering goes stale"

# a maxage node.conf cannot read is named where it is written
printf '\tmaxage = forever\n' >>dx/node.conf
expect_fail 1 "maxage 'forever' is not a duration" "$STRATA" -C dx status
ok "a max age node.conf cannot read: named, nothing runs on it"
