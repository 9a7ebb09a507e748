#!/bin/sh
# bench/daemon-push.sh [MIB] [PEERS] - the daemon's memory while PEERS peers
# (default 4) push a parcel of MIB MiB each (default 1024) at the same time.
# Prints each daemon process's peak RSS (VmHWM) next to the bytes pushed, as
# a ratio: a daemon that held bodies whole would be near or above 1.
# The parcels are well-formed and signed, and refused only at their last
# object (a duplicate), so the whole body goes through the import path.
# Needs a build in build/ with its test tools (make check builds them).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-1024}
peers=${2:-4}
STRATA=${STRATA:-$top/build/strata}
FORGE=${FORGE:-$top/build/tests/tools/parcel-forge}
NET_POST=${NET_POST:-$top/build/tests/tools/net-post}
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
daemon=""
trap '[ -z "$daemon" ] || kill "$daemon" 2>/dev/null; rm -rf "$W"' EXIT
cd "$W"

# blobs of 60 MiB (under the 64 MiB object limit), the last a repeat of the first
n=$(( mib / 60 - 1 ))
"$FORGE" delta big.pack big "$n" 60
count=$(od -An -tu1 -j8 -N4 big.pack | awk '{print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4}')
"$STRATA" init st --name st-bench --tier street >/dev/null
i=1
while [ "$i" -le "$peers" ]; do
	"$STRATA" init "q$i" --name "cn-q$i" --tier community >/dev/null
	"$STRATA" -q -C st peer add "cn-q$i" --key "q$i/keys/node.pub" --tier community --direction pull
	"$STRATA" -q -C "q$i" peer add st-bench --key st/keys/node.pub --tier street --direction pull
	printf '{"created": "%s", "format": "strata-parcel", "pack": {"objects": %s, "sha256": "%s", "size": %s}, "prerequisites": [], "recipient": "st-bench", "refs": [{"name": "residents", "commit": "0123456789abcdef0123456789abcdef01234567"}], "sender": "cn-q%s", "sequence": 1, "version": 1}\n' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$count" "$(sha256sum big.pack | cut -c1-64)" "$(stat -c %s big.pack)" "$i" >"m$i"
	"$FORGE" sign "q$i" "m$i" big.pack "q$i.parcel"
	i=$((i + 1))
done
bytes=$(stat -c %s q1.parcel)
rm -f big.pack
"$STRATA" -C st serve --listen 127.0.0.1:0 --max-body $(((4 << 30) - 65536)) 2>st.log &
daemon=$!
until grep -q "serving on" st.log; do
	kill -0 "$daemon" 2>/dev/null || { cat st.log; exit 1; }
	sleep 0.05
done
port=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' st.log)
net=$(pgrep -P "$daemon")
posts=""
i=1
t0=$(date +%s.%N)
while [ "$i" -le "$peers" ]; do
	git config --file "q$i/node.conf" peer.st-bench.url "https://127.0.0.1:$port"
	"$NET_POST" "q$i" st-bench /v1/push "q$i.parcel" >"resp$i" 2>&1 &
	posts="$posts $!"
	i=$((i + 1))
done
for p in $posts; do wait "$p" || true; done
t1=$(date +%s.%N)
grep -l "holds blob" resp* >/dev/null || { cat resp1; exit 1; }
total=$((bytes * peers))
for p in "$daemon" $net; do
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$p/status")
	awk -v p="$p" -v h="$hwm" -v t="$total" -v k="$peers" -v b="$bytes" 'BEGIN {
		printf "daemon process %s: peak RSS %.1f MiB while %d peers pushed %.1f MiB each (%.1f MiB in all): ratio %.3f\n",
			p, h / 1024, k, b / 1048576, t / 1048576, h * 1024 / t }'
done
awk -v a="$t0" -v b="$t1" -v t="$total" 'BEGIN { printf "all pushes through the import path in %.1f s (%.0f MiB/s)\n", b - a, t / 1048576 / (b - a) }'
