#!/bin/sh
# Replication over HTTPS: push, pull and sync against real daemons on
# 127.0.0.1, and every way a connection can be wrong: refused, and the
# daemon keeps serving the others.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
"$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district >/dev/null
"$STRATA" -C dx peer add st-wangjiang --key st/keys/node.pub --tier street --direction pull >/dev/null

serve_node st --timeout 2
ST_PID=$SERVE_PID ST_PORT=$SERVE_PORT
set_url cn st-wangjiang "$ST_PORT"
set_url dx st-wangjiang "$ST_PORT"

# --- mistakes a user makes: clear errors, nothing recorded ---
expect_fail 1 "no peer 'nobody' in node.conf" "$STRATA" -C cn pull nobody
[ ! -e cn/links/nobody.json ] || fail "a pull from an unknown peer left link state"
expect_fail 1 "has no url in node.conf" "$STRATA" -C st pull cn-wangjiang-01
expect_fail 2 "expected 1 to 86400 seconds" "$STRATA" -C cn push st-wangjiang --timeout 0
expect_fail 2 "--limit-rate '5q'" "$STRATA" -C cn push st-wangjiang --limit-rate 5q
expect_fail 1 "cannot listen on '127.0.0.1:$ST_PORT'" "$STRATA" -C st serve --listen "127.0.0.1:$ST_PORT"
"$STRATA" init lonely --name lonely --tier district >/dev/null
expect_fail 1 "node.conf pins no peer" "$STRATA" -C lonely serve --listen 127.0.0.1:0
ok "unknown peers, peers without a url, bad options and a busy port get clear errors"

# --- push, then nothing left to push ---
"$STRATA" -C cn push st-wangjiang >out
grep -q "push st-wangjiang: parcel 1, 2 of 2 views changed" out || fail "push: $(cat out)"
[ "$(git -C st/repo.git rev-parse refs/strata/peers/cn-wangjiang-01/residents)" = \
  "$(git -C cn/repo.git rev-parse refs/strata/views/st-wangjiang/residents)" ] || fail "push did not land"
git -C st/repo.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/cn/keys/allowed_signers" \
	verify-commit refs/strata/peers/cn-wangjiang-01/residents 2>/dev/null || fail "stock git rejects the pushed commit"
"$STRATA" -C st audit log | grep -q "parcel 1 imported from cn-wangjiang-01" || fail "no audit event: $("$STRATA" -C st audit log)"
ok "push delivers a signed parcel through the import path, with its audit event"

"$STRATA" -C cn push st-wangjiang >out
grep -q "up to date (2 views)" out || fail "second push: $(cat out)"
ok "a second push finds the peer up to date and sends nothing"

# --- pull, then up to date; status and its JSON ---
"$STRATA" -C dx pull st-wangjiang >out
grep -q "pull st-wangjiang: parcel 1, 2 of 2 views changed" out || fail "pull: $(cat out)"
git -C dx/repo.git -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/st/keys/allowed_signers" \
	verify-commit refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents 2>vc.err || fail "stock git rejects the pulled commit: $(cat vc.err)"
"$STRATA" -C dx pull st-wangjiang | grep -q "up to date" || fail "second pull fetched again"
ok "pull fetches the views built for the puller, then finds them up to date"

# the access log: one line per request, with peer, address, endpoint, status, bytes and duration, at a level
grep -q " info cn-wangjiang-01 127\.0\.0\.1:[0-9]* POST /v1/push 200, [0-9]* bytes in, [0-9]* out, [0-9]* ms$" "$T/st.log" ||
	fail "no access log line for the push: $(cat "$T/st.log")"
grep -q " info dx-gongshu 127\.0\.0\.1:[0-9]* POST /v1/pull 204, [0-9]* bytes in, 0 out, [0-9]* ms$" "$T/st.log" ||
	fail "no access log line for the pull that found nothing new: $(cat "$T/st.log")"
ok "the daemon logs each request: peer, address, endpoint, status, bytes in and out, duration, level"

"$STRATA" -C dx status --json >status.json
grep -q '"last_success"' status.json || fail "status --json has no last success: $(cat status.json)"
"$STRATA" -C dx status | grep -q "last network success" || fail "status: $("$STRATA" -C dx status)"
ok "status shows the last network success, also as JSON"

# a new import at the community travels on with sync, per each peer's direction
printf 'id_number,name,gender,birth_date,phone,address,community,street,household_id,income_band,grid_code\n' >more.csv
tail -n +2 "$TOP_SRCDIR/seeds/residents.csv" | head -3 | sed 's/^3301/9901/' | fix_rid >>more.csv
cat "$TOP_SRCDIR/seeds/residents.csv" more.csv | awk 'NR==1 || !/^id_number/' >all.csv
"$STRATA" -C cn import residents all.csv --key id_number >/dev/null
"$STRATA" -C cn sync >out
grep -q "push st-wangjiang: parcel 2, 1 of 2 views changed" out || fail "sync at the community: $(cat out)"
"$STRATA" -C dx sync >out
grep -q "pull st-wangjiang: parcel 2" out || fail "sync at the district: $(cat out)"
ok "sync pushes or pulls per each peer's direction, and new records travel two hops"

# --- refusals: each refused, and the daemon keeps serving ---
# (an honest pull first: the daemon keeps what the district now says it holds, once)
"$STRATA" -C dx pull st-wangjiang >out 2>&1 && grep -q "up to date" out || fail "pull: $(cat out)"
before=$(node_state st)

# a node claiming the community's name, with another key
"$STRATA" init evilkey --name cn-wangjiang-01 --tier community >/dev/null
cp -r cn evil
cp evilkey/keys/* evil/keys/
expect_fail 1 "v1/state" "$STRATA" -C evil push st-wangjiang
grep -q "warning refused TLS from 127\.0\.0\.1:[0-9][0-9]*: .*not vouched for by a key pinned" "$T/st.log" ||
	fail "no log of the refusal, with the address: $(cat "$T/st.log")"
ok "a peer with the wrong key is refused during the handshake, and the daemon says why"

# the daemon, as seen with the wrong pinned key
cp -r dx dx2
git config --file dx2/node.conf peer.st-wangjiang.key "$(cat cn/keys/node.pub)"
expect_fail 1 "not vouched for by a key pinned for it" "$STRATA" -C dx2 pull st-wangjiang
ok "a client refuses a daemon whose key is not the one pinned for it"

# no client certificate at all, and plain HTTP
set +e
curl -sk --max-time 5 "https://127.0.0.1:$ST_PORT/v1/state" >curl.out 2>&1
rc_nocert=$?
curl -s --max-time 5 "http://127.0.0.1:$ST_PORT/v1/state" >plain.out 2>&1
rc_plain=$?
set -e
[ $rc_nocert -ne 0 ] && ! grep -q sequence curl.out || fail "a client without a certificate got an answer ($rc_nocert)"
[ $rc_plain -ne 0 ] && ! grep -q sequence plain.out || fail "a plain-HTTP client got an answer ($rc_plain)"
ok "a client without a certificate and a plain-HTTP client get nothing"

# an authenticated peer sending garbage
head -c 5000 /dev/urandom >garbage
"$NET_POST" cn st-wangjiang /v1/push garbage >resp
grep -q "HTTP 422" resp || fail "garbage push: $(cat resp)"
"$NET_POST" dx st-wangjiang /v1/pull garbage >resp
grep -q "HTTP 422" resp && grep -q "state: line 1" resp || fail "garbage pull state: $(cat resp)"
"$NET_POST" dx st-wangjiang /v1/nothing garbage >resp
grep -q "HTTP 404" resp || fail "unknown endpoint: $(cat resp)"
"$NET_POST" dx st-wangjiang /v1/push >resp
grep -q "HTTP 405" resp || fail "GET on push: $(cat resp)"
ok "garbage bodies, unknown endpoints and wrong methods get 4xx with a reason"

# the daemon's node does not send to this peer (direction pull), or is busy
set_url cn st-wangjiang "$ST_PORT"
expect_fail 1 "answered 403: peer 'cn-wangjiang-01' is configured with direction pull" "$STRATA" -C cn pull st-wangjiang
hold_lock st/lock
expect_fail 1 "answered 503: node" "$STRATA" -C dx pull st-wangjiang
release_lock
ok "a direction that forbids it gets 403, a busy node 503, each with the reason"

# a parcel from someone else, relayed by an authenticated peer
"$STRATA" -C cn export --to st-wangjiang -o relayed.parcel --full >/dev/null
"$NET_POST" dx st-wangjiang /v1/push relayed.parcel >resp
grep -q "HTTP 422" resp && grep -q "a peer may push only its own parcels" resp || fail "relay: $(cat resp)"
ok "a peer cannot push a parcel another node signed"

# a slow client: one byte a second never completes its request
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:'"$ST_PORT"'") or die "connect: $!";
	$s->autoflush(1);
	my $t0 = time;
	for (1..30) { last unless print $s "G"; sleep 1; my $r = ""; $s->blocking(0);
		my $n = sysread($s, $r, 1); $s->blocking(1); last if defined $n && $n == 0; }
	print time - $t0, "\n";' >slow.out 2>/dev/null &
SLOW=$!
"$STRATA" -C dx pull st-wangjiang >out 2>&1 && grep -q "up to date" out || fail "pull during a slow client: $(cat out)"
wait $SLOW || true
secs=$(cat slow.out)
[ -n "$secs" ] && [ "$secs" -lt 15 ] || fail "slow client held on for ${secs:-?} s"
grep -q "dropped 127.0.0.1:.*too slowly" "$T/st.log" || fail "slow client not dropped: $(cat "$T/st.log")"
ok "a client sending a byte a second is dropped after a few seconds; others are served meanwhile"

[ "$before" = "$(node_state st)" ] || fail "refused connections changed the daemon's node"
kill -0 "$ST_PID" || fail "the daemon died"
"$STRATA" -C dx pull st-wangjiang | grep -q "up to date" || fail "daemon stopped serving"
ok "after every refusal the daemon's node is unchanged and it still serves"

# --- an oversized body ---
"$STRATA" init cn2 --name cn-xixi-02 --tier community >/dev/null
"$STRATA" -C cn2 import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >/dev/null
"$STRATA" -C cn2 policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C cn2 peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street --direction push >/dev/null
"$STRATA" -C st peer add cn-xixi-02 --key cn2/keys/node.pub --tier community --direction pull >/dev/null
kill -TERM "$ST_PID"
wait "$ST_PID" || fail "daemon did not exit cleanly on SIGTERM: $(tail -3 "$T/st.log")"
grep -q "st-wangjiang stopped" "$T/st.log" || fail "no clean stop in the log"
# the push will send exactly the full parcel (tar blocks: the same size every time)
cp -r cn2 cn2-probe
"$STRATA" -C cn2-probe export --to st-wangjiang -o probe.parcel --unsealed >/dev/null	# what a push sends
size=$(stat -c %s probe.parcel)
serve_node st --max-body $((size - 1))
ST_PID=$SERVE_PID ST_PORT=$SERVE_PORT
set_url cn2 st-wangjiang "$ST_PORT"
before=$(node_state st)
expect_fail 1 "413" "$STRATA" -C cn2 push st-wangjiang
[ "$before" = "$(node_state st)" ] || fail "an oversized body changed the node"
"$STRATA" -C cn2 status --json | grep -q '"last_error"' || fail "status has no last error"
ok "a body one byte over --max-body is refused with 413, the node unchanged, the error in status"

kill -TERM "$ST_PID"; wait "$ST_PID" || true
cp -r st st-limit
serve_node st-limit --max-body "$size"
set_url cn2-probe st-wangjiang "$SERVE_PORT"
"$STRATA" -C cn2-probe push st-wangjiang >out 2>&1 || fail "a body exactly at --max-body: $(cat out)"
grep -q "$size bytes" out || fail "the pushed parcel is not $size bytes: $(cat out)"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true
serve_node st
ST_PID=$SERVE_PID ST_PORT=$SERVE_PORT
ok "a body of exactly --max-body bytes is accepted"

# --- the daemon killed in the middle of a transfer ---
kill -TERM "$ST_PID"; wait "$ST_PID" || true
serve_node st
ST_PID=$SERVE_PID ST_PORT=$SERVE_PORT
set_url cn2 st-wangjiang "$ST_PORT"
# pushes in parts of 256 KiB (the protocol's are up to 4 MiB), so that the
# daemon says "part accepted" while the rest is still on its way
"$GEN_REGISTRY" residents 12000 >big.csv	# a parcel of a few MB: parts still on their way at 300 KB/s
"$STRATA" -C cn2 import residents big.csv --key id_number >/dev/null
"$STRATA" -C cn2 view build >/dev/null

# SIGTERM in the middle of a push's upload: the push completes, then the daemon exits
STRATA_TEST_PUSH_PART=262144 "$STRATA" -C cn2 push st-wangjiang --limit-rate 300K >push.out 2>push.err &
PUSH=$!
wait_log "$T/st.log" "cn-xixi-02: push: part accepted" || fail "no push part arrived: $(cat push.err)"
kill -TERM "$ST_PID"
wait $PUSH || fail "a push in flight at SIGTERM failed: $(cat push.err)"
grep -q "push st-wangjiang: parcel 1" push.out || fail "push at SIGTERM: $(cat push.out)"
wait "$ST_PID" || fail "the daemon did not exit cleanly after draining: $(tail -3 "$T/st.log")"
grep -q "finishing open connections" "$T/st.log" || fail "the push was not in flight at SIGTERM: $(cat "$T/st.log")"
ok "SIGTERM lets a transfer in flight finish, then the daemon exits"

"$GEN_REGISTRY" residents 12000 17 >big2.csv
"$STRATA" -C cn2 import residents big2.csv >/dev/null
"$STRATA" -C cn2 view build >/dev/null
serve_node st
ST_PID=$SERVE_PID ST_PORT=$SERVE_PORT
set_url cn2 st-wangjiang "$ST_PORT"
before=$(node_state st)
STRATA_TEST_PUSH_PART=262144 "$STRATA" -C cn2 push st-wangjiang --limit-rate 300K >push.out 2>push.err &
PUSH=$!
wait_log "$T/st.log" "cn-xixi-02: push: part accepted" || fail "no push part arrived: $(cat push.err)"
pkill -9 -P "$ST_PID" || true
kill -9 "$ST_PID" 2>/dev/null || true	# it may already have gone with its network process
set +e
wait $PUSH
rc=$?
set -e
[ $rc -ne 0 ] || fail "the push did not notice the daemon died: $(cat push.out)"
grep -q "strata:" push.err || fail "no error from the cut push"
"$STRATA" -C st verify --all >/dev/null || fail "verify --all after the kill"
git -C st/repo.git fsck --strict 2>/dev/null || fail "fsck after the kill"
[ "$before" = "$(node_state st | grep -v '^leftover: ')" ] || fail "a cut push half-applied"
serve_node st
ST_PID=$SERVE_PID ST_PORT=$SERVE_PORT
set_url cn2 st-wangjiang "$ST_PORT"
"$STRATA" -C cn2 sync >out || fail "sync after the kill: $(cat out)"
grep -q "push st-wangjiang: parcel" out || fail "sync after the kill sent nothing: $(cat out)"
[ "$(git -C st/repo.git rev-parse refs/strata/peers/cn-xixi-02/residents)" = \
  "$(git -C cn2/repo.git rev-parse refs/strata/views/st-wangjiang/residents)" ] || fail "sync after the kill did not land"
ok "a daemon killed mid-transfer: the client reports it, nothing half-applied, the next sync completes"

# --- 32 peers pulling at once ---
i=0
while [ $i -lt 32 ]; do
	"$STRATA" init "d$i" --name "dx-$i" --tier district >/dev/null
	"$STRATA" -C st peer add "dx-$i" --key "d$i/keys/node.pub" --tier district --policy street-to-district >/dev/null
	"$STRATA" -C "d$i" peer add st-wangjiang --key st/keys/node.pub --tier street --direction pull >/dev/null
	i=$((i + 1))
done
kill -TERM "$ST_PID"; wait "$ST_PID" || true
serve_node st
i=0
while [ $i -lt 32 ]; do
	set_url "d$i" st-wangjiang "$SERVE_PORT"
	i=$((i + 1))
done
pids=""
i=0
while [ $i -lt 32 ]; do
	"$STRATA" -C "d$i" pull st-wangjiang --timeout 600 >"pull$i.out" 2>&1 &	# they wait their turn
	pids="$pids $!"
	i=$((i + 1))
done
bad=0
for p in $pids; do wait "$p" || bad=$((bad + 1)); done
[ $bad -eq 0 ] || fail "$bad of 32 concurrent pulls failed: $(cat pull*.out | grep strata: | head -3)"
i=0
while [ $i -lt 32 ]; do
	git -C "d$i/repo.git" rev-parse -q --verify refs/strata/peers/st-wangjiang/cn-wangjiang-01/residents >/dev/null ||
		fail "dx-$i holds no view after its pull"
	i=$((i + 1))
done
ok "32 peers pull at once with no errors"

# status tells the truth after a failure: the peer down, new data waiting; exit 1 for monitoring
"$STRATA" init cn9 --name cn-nine --tier community >/dev/null
"$STRATA" -C cn9 import residents "$TOP_SRCDIR/seeds/residents.csv" --key id_number >/dev/null
"$STRATA" -C cn9 policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null
"$STRATA" -C cn9 peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street --direction push \
	--url https://127.0.0.1:9 >/dev/null
expect_fail 1 "needs attention (1 problem): exit 1" "$STRATA" -C cn9 status
head -1 "$T/out" | grep -qx "needs attention: 1 view for st-wangjiang waiting to be sent" || fail "status before any sync: $(cat "$T/out")"
grep -q "residents .* waiting: not built yet" "$T/out" || fail "status: a view never built: $(cat "$T/out")"
"$STRATA" -C cn9 sync --timeout 2 >/dev/null 2>&1 && fail "sync to a closed port succeeded"
expect_fail 1 "needs attention (2 problems): exit 1" "$STRATA" -C cn9 status
head -1 "$T/out" | grep -q "^needs attention: peer st-wangjiang unreachable since 20.*; 1 view for st-wangjiang waiting to be sent" ||
	fail "status after a failed sync: $(cat "$T/out")"
"$STRATA" -C cn9 status --json >s.json 2>/dev/null || true
python3 - <<'PY' || fail "status --json health: $(cat s.json)"
import json
d = json.load(open("s.json"))
assert d["health"]["ok"] is False and len(d["health"]["problems"]) == 2, d["health"]
p = d["peers"][0]
assert p["unreachable"] is True and p["waiting"] == 1 and p["url"] == "https://127.0.0.1:9", p
PY
ok "status after a failed sync: the peer unreachable since when and why, the view waiting; exit 1, also in --json"
