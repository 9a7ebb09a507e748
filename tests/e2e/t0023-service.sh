#!/bin/sh
# What runs a node in production: the systemd units are hardened
# (systemd-analyze security: serve <= 2.5, sync <= 2.0) and verify; the
# sysusers and tmpfiles files parse; bash completion offers commands,
# options, peers, datasets and policies.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

U=$TOP_SRCDIR/contrib/systemd
command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed (Debian package systemd)"
for unit in strata-serve@.service:2.5 strata-sync@.service:2.0 strata-stamp@.service:2.0; do
	f=${unit%%:*} max=${unit#*:}
	cp "$U/$f" "$T/$f"
	score=$(systemd-analyze security --offline=true "$T/$f" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
	[ -n "$score" ] || fail "systemd-analyze gave no score for $f: $(systemd-analyze security --offline=true "$T/$f" 2>&1 | tail -3)"
	echo "systemd-analyze security $f: $score"
	awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' || fail "$f scores $score, over $max"
done
# the timer means what it says: a calendar (Persistent= needs one), every 15 minutes
grep -q '^OnCalendar=\*:0/15$' "$U/strata-sync@.timer" && grep -q '^Persistent=true$' "$U/strata-sync@.timer" ||
	fail "the timer is not a 15-minute calendar with Persistent="
systemd-analyze calendar '*:0/15' >/dev/null 2>&1 || fail "systemd does not parse the timer's calendar"
grep -q '^OnCalendar=hourly$' "$U/strata-stamp@.timer" && grep -q '^Persistent=true$' "$U/strata-stamp@.timer" &&
	grep -q '^ExecStart=.* audit stamp$' "$U/strata-stamp@.service" || fail "the stamp timer and service"
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$U/strata-serve@.service" || fail "the daemon's unit has no ExecReload"
grep -q '^u strata ' "$TOP_SRCDIR/contrib/sysusers.d/strata.conf" || fail "sysusers.d makes no strata user"
grep -q '^d /var/lib/strata 0750 strata strata' "$TOP_SRCDIR/contrib/tmpfiles.d/strata.conf" || fail "tmpfiles.d makes no /var/lib/strata"
ok "the units score serve <= 2.5 and sync <= 2.0 with systemd-analyze security; the timer is a calendar; sysusers and tmpfiles"

# --- bash completion ---
two_nodes
"$STRATA" -C st peer add dx-gongshu --key cn/keys/node.pub --tier district --direction pull >/dev/null 2>&1 || true
PATH=$(dirname "$STRATA"):$PATH
export PATH
cat >complete.bash <<'EOB'
. "$1"
complete -p strata | grep -q -- '-F _strata strata' || { echo "no completion registered: $(complete -p strata)"; exit 1; }
# c WORD...: the completions of the last word, one a line
c() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_strata
	printf '%s\n' "${COMPREPLY[@]}"
}
case ${2} in
commands) c strata "" ;;
peer-sub) c strata -C st peer "" ;;
peers) c strata -C st peer show "" ;;
datasets) c strata -C cn export "" ;;
options) c strata -C cn pull --l ;;
tiers) c strata peer add x --tier "" ;;
policies) c strata -C cn peer set st-wangjiang --policy "" ;;
key-sub) c strata key r ;;
esac
EOB
comp() { bash complete.bash "$TOP_SRCDIR/contrib/bash-completion/strata" "$1"; }
cmds=$("$STRATA" --help | sed -n 's/^  \([a-z]*\) .*/\1/p')
got=$(comp commands)
for c in $cmds; do echo "$got" | grep -qx "$c" || fail "completion lacks command '$c': $got"; done
[ "$(comp peer-sub | tr '\n' ' ')" = "add set remove show list " ] || fail "peer subcommands: $(comp peer-sub)"
comp peers | grep -qx cn-wangjiang-01 || fail "peer names: $(comp peers)"
comp datasets | grep -qx residents && comp datasets | grep -qx grid-events || fail "dataset names: $(comp datasets)"
[ "$(comp options)" = "--limit-rate" ] || fail "options of pull: $(comp options)"
[ "$(comp tiers | wc -l)" = 5 ] || fail "tiers: $(comp tiers)"
comp policies | grep -qx community-to-street || fail "policy names: $(comp policies)"
[ "$(comp key-sub | tr '\n' ' ')" = "rotate revoke " ] || fail "key subcommands: $(comp key-sub)"
ok "bash completion: every command of strata --help, subcommands, options from --help, peers, datasets, policies"

# --- under systemd (JOURNAL_STREAM set): a priority prefix, no timestamp of its own ---
"$STRATA" -C st policy commit "$TOP_SRCDIR/policies/street-to-district.yaml" >/dev/null
JOURNAL_STREAM=8:12345 serve_node st
set_url cn st-wangjiang "$SERVE_PORT"
"$STRATA" -C cn view build >/dev/null
"$STRATA" -C cn push st-wangjiang >/dev/null || fail "push: $(cat "$T/st.log")"
grep -q '^<6>cn-wangjiang-01 127\.0\.0\.1:[0-9]* POST /v1/push 200, ' "$T/st.log" || fail "no journal-style line: $(cat "$T/st.log")"
grep -q '^20[0-9][0-9]-' "$T/st.log" && fail "a timestamp of its own under the journal: $(cat "$T/st.log")"
ok "with JOURNAL_STREAM set, the daemon's lines carry a priority prefix and no timestamp of their own"

# --- serve --metrics: Prometheus text on a second, plain listener ---
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true
serve_node st --metrics 127.0.0.1:0
MPORT=$(sed -n 's|.*metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics$|\1|p' "$T/st.log" | tail -1)
[ -n "$MPORT" ] || fail "no metrics address in the log: $(cat "$T/st.log")"
set_url cn st-wangjiang "$SERVE_PORT"
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 30 == 0 {$5 = "19900000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >m.csv
"$STRATA" -C cn import residents m.csv >/dev/null
"$STRATA" -C cn push st-wangjiang >/dev/null || fail "push with metrics on: $(cat "$T/st.log")"
curl -sf "http://127.0.0.1:$MPORT/metrics" >metrics.txt || fail "no answer on /metrics"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")" = 404 ] || fail "the metrics listener answers more than /metrics"
# the exposition format, strictly: families together, TYPE before samples, names, labels, values
python3 - metrics.txt <<'EOP' || fail "not valid Prometheus text: $(cat metrics.txt)"
import re, sys
name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
sample = re.compile(r"^(" + name + r")(\{(" + name + r"=\"[^\"\\\n]*\")(," + name + r"=\"[^\"\\\n]*\")*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$")
types, seen, current, samples = {}, set(), None, {}
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    if line.startswith("# HELP "):
        continue
    if line.startswith("# TYPE "):
        _, _, fam, kind = line.split(" ", 3)
        assert fam not in types, "family twice: " + fam
        assert kind in ("counter", "gauge", "summary", "histogram", "untyped"), kind
        types[fam] = kind
        current = fam
        continue
    m = sample.match(line)
    assert m, "bad line: " + line
    base = m.group(1)
    fam = base if base in types else re.sub(r"_(sum|count|bucket)$", "", base)
    assert fam == current, "sample of %s outside its family (%s)" % (base, current)
    float(m.group(5))
    samples[line.rsplit(" ", 1)[0]] = float(m.group(5))
need = {
    'strata_requests_total{method="POST",endpoint="/v1/push",status="200"}': 1,
    'strata_requests_total{method="GET",endpoint="/v1/state",status="200"}': 1,
    'strata_operation_duration_seconds_count{op="push"}': 1,
    'strata_up': 1,
}
for k, v in need.items():
    assert samples.get(k, 0) >= v, "%s: %s" % (k, samples.get(k))
assert samples['strata_peer_last_received_timestamp_seconds{peer="cn-wangjiang-01"}'] > 1.7e9
assert samples['strata_received_bytes_total'] > 1000
EOP
ok "serve --metrics answers GET /metrics in valid Prometheus text: requests by endpoint and status, bytes, times, per-peer gauges"
