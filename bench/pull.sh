#!/bin/sh
# bench/pull.sh [ROWS] [SMALL_ROWS] - replication over HTTPS on loopback.
#
# 1. One pull of the full ROWS-row view (default 1,000,000): the daemon
#    builds the parcel, sends it over TLS, and the puller verifies and
#    imports it; against curl fetching the same number of bytes from nginx
#    (Debian's, plain HTTP, a static file) in the same run.
# 2. 32 nodes pull a SMALL_ROWS-row view (default 100,000) at once:
#    throughput, and the daemon's two processes' RSS before and after (and
#    their peak).
# Installs nginx if it is missing (contrib/install-deps.sh nginx).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
rows=${1:-1000000}
small=${2:-100000}
STRATA=${STRATA:-$top/build/strata}
GEN=${GEN_REGISTRY:-$top/build/bench/gen-registry}
sh "$top/contrib/install-deps.sh" nginx
W=$(mktemp -d "${TMPDIR:-/tmp}/strata-bench.XXXXXX")
chmod 755 "$W"
pids=""
trap 'for p in $pids; do pkill -P "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; rm -rf "$W"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
rss() { awk '/^VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }
free_port() { perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")->sockport'; }

# serve NODE: starts its daemon; sets PORT and DPID (the node process; its child does the network)
serve() {
	: >"$W/$1.log"
	"$STRATA" -C "$W/$1" serve --listen 127.0.0.1:0 2>>"$W/$1.log" &
	DPID=$!
	pids="$pids $DPID"
	until grep -q "serving on" "$W/$1.log"; do sleep 0.05; done
	PORT=$(sed -n 's/.*serving on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$W/$1.log")
}

# source node with a view for each puller (built before timing)
setup() { # NODE ROWS PULLERS...
	node=$1 n=$2
	shift 2
	"$STRATA" init "$W/$node" --name "$node" --tier community >/dev/null
	"$GEN" residents "$n" >"$W/$node.csv"
	"$STRATA" -q -C "$W/$node" import residents "$W/$node.csv" --key id_number
	"$STRATA" -q -C "$W/$node" policy commit "$top/policies/community-to-street.yaml"
	for p in "$@"; do
		"$STRATA" init "$W/$p" --name "$p" --tier street >/dev/null
		"$STRATA" -q -C "$W/$node" peer add "$p" --key "$W/$p/keys/node.pub" --tier street --policy community-to-street
		"$STRATA" -q -C "$W/$p" peer add "$node" --key "$W/$node/keys/node.pub" --tier community --direction pull
	done
	"$STRATA" -q -C "$W/$node" view build
}

# --- 1. one full pull against nginx + curl ---
setup cn-big "$rows" st-big st-file
serve cn-big
git config --file "$W/st-big/node.conf" peer.cn-big.url "https://127.0.0.1:$PORT"
t0=$(now); "$STRATA" -C "$W/st-big" pull cn-big >"$W/pull.out"; t_pull=$(secs "$t0" "$(now)")
bytes=$(sed -n 's/.*objects, \([0-9]*\) bytes.*/\1/p' "$W/pull.out")
# the same parcel work without the network: export to a file, import it
t0=$(now); "$STRATA" -q -C "$W/cn-big" export --to st-file -o "$W/file.parcel"; t_exp=$(secs "$t0" "$(now)")
t0=$(now); "$STRATA" -q -C "$W/st-file" import "$W/file.parcel"; t_imp=$(secs "$t0" "$(now)")
head -c "$bytes" /dev/urandom >"$W/www-file"
mkdir -p "$W/www" "$W/nginx/logs"
mv "$W/www-file" "$W/www/parcel"
NPORT=$(free_port)
cat >"$W/nginx/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $W/nginx/tmp;
	proxy_temp_path $W/nginx/tmp;
	fastcgi_temp_path $W/nginx/tmp;
	uwsgi_temp_path $W/nginx/tmp;
	scgi_temp_path $W/nginx/tmp;
	server { listen 127.0.0.1:$NPORT; root $W/www; }
}
EOF
nginx -p "$W/nginx" -c "$W/nginx/nginx.conf" 2>>"$W/nginx/error.log" &
pids="$pids $!"
until curl -s -o /dev/null "http://127.0.0.1:$NPORT/parcel"; do sleep 0.05; done
t0=$(now); curl -s -o "$W/fetched" "http://127.0.0.1:$NPORT/parcel"; t_curl=$(secs "$t0" "$(now)")
[ "$(stat -c %s "$W/fetched")" = "$bytes" ] || { echo "curl fetched the wrong size" >&2; exit 1; }

# --- 2. 32 pulls at once ---
pullers=""
i=0
while [ $i -lt 32 ]; do pullers="$pullers st-$i"; i=$((i + 1)); done
# shellcheck disable=SC2086
setup cn-small "$small" $pullers
serve cn-small
NET=$(pgrep -P "$DPID")
rss_before="node $(rss "$DPID"), network $(rss "$NET")"
for p in $pullers; do git config --file "$W/$p/node.conf" peer.cn-small.url "https://127.0.0.1:$PORT"; done
t0=$(now)
cpids=""
for p in $pullers; do "$STRATA" -C "$W/$p" pull cn-small >"$W/$p.out" 2>&1 & cpids="$cpids $!"; done
bad=0
for p in $cpids; do wait "$p" || bad=$((bad + 1)); done
t_32=$(secs "$t0" "$(now)")
total=$(cat "$W"/st-*.out | sed -n 's/.*objects, \([0-9]*\) bytes.*/\1/p' | awk '{ s += $1 } END { print s }')
rss_after="node $(rss "$DPID"), network $(rss "$NET")"
rss_peak="node $(hwm "$DPID"), network $(hwm "$NET")"

printf '%-46s %12s bytes\n' "full parcel of $rows rows (street's view)" "$bytes"
printf '%-46s %8ss\n' "strata pull over HTTPS (build+send+verify+import)" "$t_pull"
printf '%-46s %8ss  strata is %sx the time\n' "curl of the same bytes from nginx (plain HTTP)" "$t_curl" "$(ratio "$t_pull" "$t_curl")"
printf '%-46s %8ss + %ss: the pull is %sx the parcel work alone\n' "the same parcel by file: export + import" \
	"$t_exp" "$t_imp" "$(ratio "$t_pull" "$(awk -v a="$t_exp" -v b="$t_imp" 'BEGIN { print a + b }')")"
printf '%-46s %8ss  %s failed, %.1f MB/s (%s bytes)\n' "32 pulls of a $small-row view at once" "$t_32" "$bad" \
	"$(awk -v b="$total" -v t="$t_32" 'BEGIN { print b / t / 1048576 }')" "$total"
echo "daemon RSS before: $rss_before"
echo "daemon RSS after:  $rss_after"
echo "daemon RSS peak:   $rss_peak"
