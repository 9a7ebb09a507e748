#!/bin/sh
# Hold under load (127.0.0.1 only, bounded in count and time): a daemon and
# a console, each under a lowered descriptor limit, get more connections
# than the limit allows from twelve addresses, plus slow clients, while
# honest pulls and pushes and a logged-in console user keep being answered.
# accept() failing as at the descriptor limit (EMFILE, through the fault
# shim) pauses accepting instead of spinning, and is logged once.  Peak
# memory and log size stay bounded; every figure is printed.
. "$TOP_SRCDIR/tests/e2e/lib.sh"
: "${FAULTSHIM:?FAULTSHIM must name tests/fault/faultshim.so (make check sets it)}"
: "${GEN_REGISTRY:?GEN_REGISTRY must name bench/gen-registry (make check sets it)}"
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export ASAN_OPTIONS
command -v prlimit >/dev/null || skip "no prlimit (util-linux)"
# what an honest request may take while the flood holds (it takes well under a second when quiet)
HONEST_SECONDS=60

two_nodes
"$STRATA" init dx --name dx-gongshu --tier district >/dev/null
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
"$STRATA" -C st peer add dx-gongshu --key dx/keys/node.pub --tier district --policy street-to-district >/dev/null
"$STRATA" -C dx peer add st-wangjiang --key st/keys/node.pub --tier street --direction pull >/dev/null

# flood.py PORT ADDRS PER_ADDR OUT: PER_ADDR connections from each of 127.0.0.2.., held open
# (sending nothing) until stdin closes; OUT says how many were opened and how many the server closed
cat >flood.py <<'PY'
import select, socket, sys
port, naddr, per, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
socks = {}
for a in range(naddr):
    for i in range(per):
        s = socket.socket()
        s.bind(("127.0.0.%d" % (a + 2), 0))
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        socks[s.fileno()] = s
p = select.poll()
p.register(sys.stdin.fileno(), select.POLLIN)
for fd in socks:
    p.register(fd, select.POLLIN)
closed = 0
def say():
    with open(out + ".tmp", "w") as f:
        f.write("opened %d closed %d\n" % (len(socks), closed))
    import os; os.rename(out + ".tmp", out)
say()
while True:
    for fd, ev in p.poll(500):
        if fd == sys.stdin.fileno():
            if not sys.stdin.readline():
                sys.exit(0)
            continue
        try:
            d = socks[fd].recv(4096)
        except OSError:
            d = b""
        if not d:
            p.unregister(fd)
            closed += 1
    say()
PY
# slow.py PORT tls|http BYTES: one connection sending BYTES bytes, one every 0.1 s; says
# "closed after N" if the server closed it first, else "finished"
cat >slow.py <<'PY'
import select, socket, sys, time
port, kind, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
# a TLS handshake record announcing 16 KiB, or an HTTP request that never ends
msg = (b"\x16\x03\x01\x40\x00" if kind == "tls" else b"GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ") + b"a" * n
sent = 0
for i in range(len(msg)):
    if select.select([s], [], [], 0)[0]:
        try:
            if not s.recv(4096):
                break
        except OSError:
            break
    try:
        s.send(msg[i:i + 1])
    except OSError:
        break
    sent += 1
    time.sleep(0.1)
print("closed after %d of %d bytes" % (sent, len(msg)) if sent < len(msg) else "finished %d bytes" % sent)
PY
now_ms() { date +%s%3N; }
# honest CMD...: runs CMD, which must succeed within HONEST_SECONDS; prints its time
honest() {
	_t0=$(now_ms)
	"$@" >honest.out 2>honest.err || fail "'$*' failed under load: $(cat honest.err)"
	_ms=$(($(now_ms) - _t0))
	[ "$_ms" -le $((HONEST_SECONDS * 1000)) ] || fail "'$*' took $_ms ms under load (stated: ${HONEST_SECONDS} s)"
	echo "# $* took $_ms ms under load"
}
# wait_file FILE PATTERN: until FILE matches PATTERN (a background helper's progress)
wait_file() {
	_i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt 1200 ] || fail "$1 never said '$2': $(cat "$1" 2>/dev/null)"
		sleep 0.1
	done
}
# peak_kb PID: the process's peak resident memory (VmHWM), in KiB
peak_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# --- the daemon: a descriptor limit of 200; its first four accept() calls fail with EMFILE ---
: >st.log
LD_PRELOAD="$FAULTSHIM" STRATA_FAULT_ACCEPT=4 prlimit --nofile=200:200 \
	"$STRATA" -C st serve --listen 127.0.0.1:0 --timeout 3 --metrics 127.0.0.1:0 2>>st.log &
SERVE_PID=$!
echo "$SERVE_PID" >>"$T/daemons"
wait_log st.log "serving on" || fail "the daemon did not start: $(cat st.log)"
ST_PORT=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' st.log | tail -1)
METRICS_PORT=$(sed -n "s,.*metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics.*,\1,p" st.log | tail -1)
set_url cn st-wangjiang "$ST_PORT"
set_url dx st-wangjiang "$ST_PORT"
# the first push meets the four failing accepts: accepting pauses (a second each), no busy loop
honest "$STRATA" -C cn push st-wangjiang
n=$(grep -c "cannot accept a connection" st.log || true)
[ "$n" = 1 ] || fail "EMFILE from accept() logged $n times, not once: $(grep -c . st.log) log lines"
! grep -q "Error from accept" st.log || fail "libevent's own accept loop still runs: $(grep -c 'Error from accept' st.log) lines"
ok "accept() failing with EMFILE pauses accepting (logged once, with its count), and the push that met it completes"

mkfifo flood.in
python3 flood.py "$ST_PORT" 12 40 flood.out <flood.in &
FLOOD=$!
exec 7>flood.in
wait_file flood.out "^opened 480 "
python3 slow.py "$ST_PORT" tls 400 >slow.out &
SLOW=$!
for round in 1 2 3; do
	awk -F, -v r=$round 'BEGIN {OFS=","} NR > 1 && NR % 50 == r {$5 = "1390000000" r} {print}' \
		"$TOP_SRCDIR/seeds/residents.csv" >v$round.csv
	"$STRATA" -C cn import residents v$round.csv >/dev/null
	honest "$STRATA" -C cn push st-wangjiang
	honest "$STRATA" -C dx pull st-wangjiang
	grep -q "pull st-wangjiang: parcel [0-9]*, [0-9]* of [0-9]* views changed\|up to date" honest.out ||
		fail "pull $round: $(cat honest.out)"
done
wait "$SLOW" || true
grep -q "^closed after" slow.out || fail "a client sending a byte every 0.1 s was never dropped: $(cat slow.out)"
# the limit held: the flood's idle connections made room for the honest ones
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" >metrics || fail "no metrics under load"
limit=$(sed -n 's/^strata_connections{kind="limit"} //p' metrics)
evicted=$(sed -n 's/^strata_refusals_total{reason="evicted"} //p' metrics)
[ -n "$limit" ] && [ "$limit" -le 168 ] || fail "the connection limit is $limit, not below the descriptor limit of 200 less its reserve"
[ "${evicted:-0}" -gt 0 ] || fail "480 idle connections against a limit of $limit, and none made room: $(grep strata_ metrics | head -20)"
NET=$(pgrep -P "$SERVE_PID" | head -1)
peak=$(peak_kb "$NET")
echo "# daemon under 480 idle connections: limit $limit, $evicted evicted; network process peak RSS $peak KiB; log $(wc -c <st.log) bytes"
exec 7>&-
wait "$FLOOD" || true
[ "$peak" -lt 307200 ] || fail "the network process peaked at $peak KiB under the flood"
[ "$(wc -c <st.log)" -lt 65536 ] || fail "the daemon's log grew to $(wc -c <st.log) bytes under the flood"
ok "480 idle connections from 12 addresses against a limit of 200 descriptors, and a slow client: three rounds of honest pushes and pulls answered (each within ${HONEST_SECONDS} s), the slow client dropped, memory and log bounded"

# --- the console: a descriptor limit of 128, 64 connections at most, a request whole within 2 s ---
# a community of 120,000 residents, whose risk answer takes a while
"$GEN_REGISTRY" residents 120000 >big.csv
"$STRATA" init big --name cn-big --tier community >/dev/null
"$STRATA" -C big import residents big.csv --key id_number >/dev/null
"$STRATA" -C big policy commit "$TOP_SRCDIR/policies/community-to-street.yaml" >/dev/null 2>&1
"$STRATA" -C big peer add st-wangjiang --key st/keys/node.pub --tier street --policy community-to-street >/dev/null
: >console.out
prlimit --nofile=128:128 "$STRATA" -C big console --listen 127.0.0.1:0 --max-connections 64 --request-timeout 2 \
	>console.out 2>console.err &
echo $! >>"$T/daemons"
wait_log console.out "console of this node:" || fail "the console did not start: $(cat console.err)"
BASE=$(sed -n 's/^console of this node: \(http[^ ]*\) .*/\1/p' console.out)
CPORT=$(echo "$BASE" | sed 's|.*:\([0-9]*\)/$|\1|')
TOKEN=$(sed -n '2s/^ *\([0-9a-f]\{48\}\)$/\1/p' console.err)
curl -s -c jar -o /dev/null -X POST -H "Origin: ${BASE%/}" --data "token=$TOKEN" "${BASE}login"
grep -q strata_console jar || fail "no console login"
mkfifo flood2.in
python3 flood.py "$CPORT" 10 30 flood2.out <flood2.in &
FLOOD=$!
exec 7>flood2.in
wait_file flood2.out "^opened 300 "
python3 slow.py "$CPORT" http 300 >slow2.out &
SLOW=$!
# eight risk answers asked at once (one run answers them all) and the status asked after them:
# the status is answered first, for a slow answer holds up no other
RISKS=
for i in 1 2 3 4 5 6 7 8; do
	(curl -s -b jar -D risk$i.h -o risk$i.json "${BASE}api/risk?policy=community-to-street"; now_ms >risk$i.done) &
	RISKS="$RISKS $!"
done
# (the status is asked once the risk command runs)
_i=0
until pgrep -f "policy risk community-to-street" >/dev/null; do
	_i=$((_i + 1))
	[ "$_i" -lt 600 ] || fail "the console never ran the risk command"
	sleep 0.05
done
honest curl -s -f -b jar -o status.json "${BASE}api/status"
now_ms >status.done
honest curl -s -f -b jar -o history.json "${BASE}api/history?dataset=residents&key=$(sed -n '2s/^\([^,]*\),.*/\1/p' big.csv)"
for p in $RISKS; do wait "$p"; done
for i in 1 2 3 4 5 6 7 8; do
	grep -q '"risk"' risk$i.json || fail "risk answer $i: $(head -c 300 risk$i.json)"
	cmp -s risk1.json risk$i.json || fail "risk answers 1 and $i differ"
done
grep -q '"node": "cn-big"' status.json || fail "status under load: $(head -c 300 status.json)"
[ "$(cat status.done)" -le "$(sort -n risk*.done | tail -1)" ] ||
	fail "the status waited for eight risk answers ($(cat status.done) ms, last risk $(sort -n risk*.done | tail -1) ms)"
shared=$(grep -il "^X-Strata-Answer: shared" risk*.h | wc -l)
curl -s -b jar -D again.h -o again.json "${BASE}api/risk?policy=community-to-street"
grep -qi "^X-Strata-Answer: hit" again.h || fail "the same risk on the same node state was run again: $(cat again.h)"
sed 's/^version: 1$/version: 2/' "$TOP_SRCDIR/policies/community-to-street.yaml" >v2.yaml
"$STRATA" -C big policy commit v2.yaml >/dev/null
curl -s -b jar -D changed.h -o changed.json "${BASE}api/risk?policy=community-to-street"
! grep -qi "^X-Strata-Answer: hit" changed.h || fail "a risk answer was served from the cache after the data changed"
wait "$SLOW" || true
grep -q "^closed after" slow2.out || fail "a request arriving a byte every 0.1 s was never cut off: $(cat slow2.out)"
CPID=$(tail -1 "$T/daemons")
peak=$(peak_kb "$CPID")
exec 7>&-
wait "$FLOOD" || true
echo "# console under 300 idle connections: $shared of 8 risk requests shared one run; slow request: $(cat slow2.out); peak RSS $peak KiB; log $(wc -c <console.err) bytes"
[ "$peak" -lt 307200 ] || fail "the console peaked at $peak KiB under the flood"
[ "$(wc -c <console.err)" -lt 200000 ] || fail "the console's log grew to $(wc -c <console.err) bytes"
ok "the console under 300 idle connections (limit 64, 128 descriptors) and a slow request: a logged-in user's status and history answered (each within ${HONEST_SECONDS} s) while eight risk answers ran as one, later served from the cache until the data changed; the slow request cut off"
