#!/bin/sh
# The demo as a test: eight nodes (4 communities, 2 streets, a district, a
# province) replicate over HTTPS on 127.0.0.1, one community by a parcel file.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

DEMO_CONSOLE_PORT=0 DEMO_DIR="$T/demo" STRATA="$STRATA" sh "$TOP_SRCDIR/contrib/demo.sh" >demo.out 2>&1 || fail "demo failed: $(tail -20 demo.out)"
D=$T/demo
# it ends with the district's console running, its URL and how to stop it
cpid=$(sed -n 's/^  stop it with: kill \([0-9]*\)$/\1/p' demo.out)
[ -n "$cpid" ] && echo "$cpid" >>"$T/daemons" || fail "the demo does not say how to stop its console: $(tail -5 demo.out)"
url=$(sed -n 's/^The console of dx-gongshu is running: open \(http:[^ ]*\)$/\1/p' demo.out)
[ -n "$url" ] || fail "the demo does not end with the console's URL: $(tail -5 demo.out)"
curl -s "${url}api/session" | grep -q '"node": "dx-gongshu"' || fail "the demo's console does not answer at $url"
kill "$cpid"
ok "the federation demo runs to the end, and leaves the district's console running at the URL it prints"

n=$(git -C "$D/pv-zhejiang/repo.git" for-each-ref refs/strata/peers/ | wc -l)
[ "$n" -eq 8 ] || fail "the province holds $n views, wanted 8 (4 communities x 2 datasets)"
# the province is not told which community a view comes from (the district's policy drops it);
# the district, which built the views, knows: each one's source names its origin
for r in $(git -C "$D/pv-zhejiang/repo.git" for-each-ref --format='%(refname)' 'refs/strata/peers/dx-gongshu/v-*/residents'); do
	src=$(git -C "$D/pv-zhejiang/repo.git" log -1 --format='%(trailers:key=Strata-Source,valueonly)' "$r" | head -1)
	git -C "$D/dx-gongshu/repo.git" log -1 --format='%(trailers:key=Strata-Origin,valueonly)' "$src" | head -1 | cut -d' ' -f1
done | sort >origins.txt
printf '%s\n' cn-cuiyuan cn-jinjiang cn-wangjiang cn-wenxin >want.txt
cmp -s origins.txt want.txt || fail "the province's views come from $(tr '\n' ' ' <origins.txt), not every community"
grep -r "cn-wenxin\|cn-jinjiang" "$D/pv-zhejiang/repo.git/refs" "$D/pv-zhejiang/repo.git/packed-refs" 2>/dev/null && fail "the province's refs name a community"
ok "every community's views reached the province, three over HTTPS and one by parcel"

for s in st-wangjiang st-cuiyuan dx-gongshu; do
	grep -q "push: parcel 1" "$D/$s.log" || fail "$s's daemon took no push: $(cat "$D/$s.log")"
done
grep -q "cn-jinjiang" "$D/st-wangjiang.log" && fail "the disconnected community reached its street over the network"
"$STRATA" -C "$D/st-wangjiang" audit log | grep -q "parcel 1 imported from cn-jinjiang" || fail "no parcel import at the street"
ok "the daemons logged each push; the disconnected community's data came by parcel"

origin=$(ls "$D"/seen-cn-*.json)
[ "$(echo "$origin" | wc -l)" -eq 1 ] || fail "the trace reached $(echo "$origin" | wc -l) communities"
grep -q '"id_number":"33' "$origin" || fail "the trace did not reach the raw record"
grep -q '"id_number":"33' "$D/seen-pv-zhejiang.json" && fail "the province sees a raw id number"
grep -q '"name"' "$D/seen-dx-gongshu.json" && fail "the district sees a name"
ok "the trace reaches the community's raw record; each tier above sees less"

"$STRATA" -C "$D/pv-zhejiang" verify --all >/dev/null || fail "verify --all at the province"
grep -q 'refs/strata/audit: Good "git" signature for pv-zhejiang' demo.out || fail "no stock git check in the demo"
for s in "$D"/*/; do git -C "$s/repo.git" fsck --strict 2>/dev/null || fail "fsck $s"; done
pgrep -f "strata -C $D" >/dev/null && fail "the demo left daemons running"
ok "every node verifies and fscks, and the demo stopped its daemons"

DEMO_DIR="$T/tour" STRATA="$STRATA" sh "$TOP_SRCDIR/contrib/tour.sh" >tour.out 2>&1 || fail "the tour failed: $(tail -20 tour.out)"
[ "$(grep -c '^trace of a residents record at' tour.out)" -eq 4 ] || fail "the tour's trace did not cross four tiers: $(grep -A3 'trace of' tour.out)"
grep -q "$(printf '\033')" demo.out tour.out && fail "the demo or the tour wrote terminal escape codes into a file"
ok "the tour runs to the end, its trace crosses four tiers, and neither script writes escape codes into a file"
