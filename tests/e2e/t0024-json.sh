#!/bin/sh
# The JSON every reading command writes (doc/json.md): one style (nulls,
# not "-"; RFC 3339 times; integers), each schema checked on real output of
# a two-tier federation, over HTTPS and by files.
. "$TOP_SRCDIR/tests/e2e/lib.sh"

two_nodes
"$STRATA" -C cn view build >/dev/null
serve_node st
set_url cn st-wangjiang "$SERVE_PORT"
awk -F, 'BEGIN {OFS=","} NR > 1 && NR % 25 == 0 {$5 = "19900000000"} {print}' "$TOP_SRCDIR/seeds/residents.csv" >v2.csv
"$STRATA" -C cn import residents v2.csv >/dev/null
key=$(sed -n 25p "$TOP_SRCDIR/seeds/residents.csv" | cut -d, -f1)	# row NR 25: its phone changed

"$STRATA" -C cn log residents --json >log.json
"$STRATA" -C cn diff residents --json >diff.json
"$STRATA" -C cn diff residents --json --stat >diffstat.json
"$STRATA" -C cn history residents "$key" --json >history.json
"$STRATA" -C cn verify --all --json >verify.json
"$STRATA" -C cn view build --json >view.json
"$STRATA" -C cn push st-wangjiang --json >push.json
"$STRATA" -C cn sync --json >sync.json
# sharing as a process: the catalogue, a request and a correction, over the same link
"$STRATA" -C st catalog --json >catalog.json
"$STRATA" -C st request cn-wangjiang-01/residents --fields gender --purpose "核对" --basis "条例" >/dev/null
stkey=$("$STRATA" -C st export cn-wangjiang-01/residents --format csv | tr -d '\r' | sed -n 2p | cut -d, -f1)
"$STRATA" -C st correct cn-wangjiang-01/residents "$stkey" --field gender --value 女 --note "户籍核对" >/dev/null
"$STRATA" -C cn sync >/dev/null
"$STRATA" -C cn requests --json >requests.json
"$STRATA" -C cn corrections --json >corrections.json
"$STRATA" -C cn status --json >status.json || true
"$STRATA" -C cn peer show st-wangjiang --json >peer.json
"$STRATA" -C cn peer list --format json >peers.json
"$STRATA" -C cn datasets --format json >datasets.json
"$STRATA" -C cn doctor --json >doctor.json
"$STRATA" -C st datasets --format json >st-datasets.json
"$STRATA" -C cn policy check "$TOP_SRCDIR/policies/community-to-street.yaml" --json >pcheck.json
"$STRATA" -C cn policy preview "$TOP_SRCDIR/policies/community-to-street.yaml" --dataset residents -n 3 --json >preview.json
printf 'policy: x\nversion: 1\nfoo: bar\n' >bad.yaml
"$STRATA" policy check bad.yaml --json >pbad.json 2>/dev/null && fail "a bad policy checked"
# a failure is JSON too: a peer whose daemon is gone
kill -TERM "$SERVE_PID"; wait "$SERVE_PID" || true
"$STRATA" -C cn push st-wangjiang --json >pushfail.json 2>/dev/null && fail "a push to a stopped daemon succeeded"

python3 - <<'EOP' || fail "a JSON schema does not hold"
import json, re, sys
T = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$")
H = re.compile(r"^[0-9a-f]{40}$")
def load(f):
    return json.load(open(f))
def no_dash(v, where):
    # the one style: no "-" or "" standing for nothing, anywhere
    if isinstance(v, dict):
        for k, x in v.items():
            assert re.match(r"^[a-z][a-z0-9_]*$", k) or where in ("history", "diff", "verify"), "key %r in %s" % (k, where)
            no_dash(x, where)
    elif isinstance(v, list):
        for x in v:
            no_dash(x, where)
    else:
        assert v != "-", "a '-' in %s" % where
def obj(o, keys, where):
    assert isinstance(o, dict), where
    missing = [k for k in keys if k not in o]
    assert not missing, "%s lacks %s: %s" % (where, missing, o)
def time_or_null(v, where):
    assert v is None or T.match(v), "%s: not a time: %r" % (where, v)

def no_empty(v, where):
    # the reports of sharing as a process: a value that is not there is null, never ""
    for row in v:
        for k, x in row.items():
            assert x != "", "%s: %s is \"\" (null, when not there)" % (where, k)

cat = load("catalog.json"); no_dash(cat, "catalog"); no_empty(cat, "catalog")
assert len(cat) == 2, cat
for r in cat:
    obj(r, ["owner", "tier", "dataset", "title", "attribute", "records", "fields", "frequency", "contact", "description",
            "path", "via", "as_of"], "catalog")
    assert r["owner"] == "cn-wangjiang-01" and r["attribute"] == "conditional" and isinstance(r["records"], int), r
    assert T.match(r["as_of"]) and r["title"] is None, r

req = load("requests.json"); no_dash(req, "requests"); no_empty(req, "requests")
assert len(req) == 1, req
obj(req[0], ["id", "role", "status", "from", "owner", "dataset", "fields", "purpose", "basis", "filed", "deadline", "until",
             "waiting_on", "decision", "reason", "policy", "legs", "came_by", "impact"], "requests")
assert req[0]["role"] == "owner" and req[0]["status"] == "open" and req[0]["decision"] is None, req
assert T.match(req[0]["filed"]) and T.match(req[0]["deadline"]) and req[0]["until"] is None, req

cor = load("corrections.json"); no_dash(cor, "corrections"); no_empty(cor, "corrections")
assert len(cor) == 1, cor
obj(cor[0], ["id", "role", "status", "filer", "dataset", "record", "field", "value", "current", "note", "filed",
             "decision", "reason", "came_by"], "corrections")
assert cor[0]["role"] == "owner" and cor[0]["status"] == "open" and cor[0]["value"] == "女", cor
assert T.match(cor[0]["filed"]) and cor[0]["decision"] is None and cor[0]["came_by"] == "st-wangjiang", cor

log = load("log.json"); no_dash(log, "log")
assert isinstance(log, list) and len(log) == 2, log
for c in log:
    obj(c, ["commit", "time", "signature", "signer", "subject", "message"], "log")
    assert H.match(c["commit"]) and T.match(c["time"]) and c["signature"] == "good" and c["signer"] == "cn-wangjiang-01", c

d = load("diff.json"); no_dash(d, "diff")
obj(d, ["added", "changed", "removed", "added_records", "changed_records", "removed_records"], "diff")
assert d["changed"] == len(d["changed_records"]) > 0 and all(isinstance(d[k], int) for k in ("added", "changed", "removed"))
for c in d["changed_records"]:
    obj(c, ["key", "fields"], "diff change")
    assert c["fields"]["phone"]["new"] == "19900000000", c
ds = load("diffstat.json")
assert set(ds) == {"added", "changed", "removed"} and ds["changed"] == d["changed"]

h = load("history.json"); no_dash(h, "history")
assert len(h) == 2 and h[0]["change"] == "changed" and h[1]["change"] == "added", h
for v in h:
    obj(v, ["commit", "time", "change", "node", "signature", "signer", "record"], "history")
    assert isinstance(v["record"], dict) and T.match(v["time"])

v = load("verify.json"); no_dash(v, "verify")
obj(v, ["ok", "commits", "good", "bad", "unsigned", "untrusted", "failed", "missing", "signers", "audit"], "verify")
assert v["ok"] is True and v["good"] == v["commits"] and v["failed"] == [] and v["audit"]["problems"] == []

vb = load("view.json"); no_dash(vb, "view")
assert vb and all(set(x) == {"peer", "view", "commit", "records", "suppressed", "build", "withdrawn"} for x in vb)
assert {x["build"] for x in vb} <= {"unchanged", "incremental", "full", "withdrawn"} and all(x["withdrawn"] is None for x in vb if x["build"] != "withdrawn")

for f in ("push.json", "sync.json"):
    p = load(f); no_dash(p, f)
    assert isinstance(p, list) and p, f
    for x in p:
        obj(x, ["peer", "verb", "up_to_date", "sequence", "views", "changed", "objects", "bytes", "error"], f)
        assert x["error"] is None and isinstance(x["up_to_date"], bool)
pf = load("pushfail.json")
assert len(pf) == 1 and pf[0]["peer"] == "st-wangjiang" and isinstance(pf[0]["error"], str) and pf[0]["error"], pf

s = load("status.json"); no_dash(s, "status")
obj(s, ["node", "tier", "health", "peers"], "status")
for p in s["peers"]:
    obj(p, ["peer", "tier", "url", "direction", "policy", "out", "in", "network", "views", "received"], "status peer")
    time_or_null(p["out"]["time"], "status out")
    time_or_null(p["in"]["time"], "status in")

ps = load("peer.json"); no_dash(ps, "peer show")
obj(ps, ["peer", "key", "fingerprint", "tier", "policy", "url", "direction", "direction_from", "sent", "received", "network"], "peer show")
assert ps["fingerprint"].startswith("SHA256:") and ps["direction_from"] in ("node.conf", "tiers")
time_or_null(ps["sent"]["time"], "peer sent")
for row in load("peers.json"):
    obj(row, ["peer", "fingerprint", "tier", "direction"], "peer list")

for f in ("datasets.json", "st-datasets.json"):
    rows = load(f); no_dash(rows, f)
    assert rows and all("name" in r and "records" in r for r in rows), rows

pc = load("pcheck.json"); no_dash(pc, "policy check")
assert pc["ok"] is True and pc["policy"] == "community-to-street" and pc["error"] is None and isinstance(pc["warnings"], list)
pv = load("preview.json")
assert len(pv["records"]) == 3 and pv["dataset"] == "residents"
for r in pv["records"]:
    obj(r, ["before", "after"], "preview")
    assert r["after"]["id_number"] != r["before"]["id_number"], "an id went through in the clear"
pb = load("pbad.json")
assert pb["ok"] is False and "bad.yaml':3:1: unknown key 'foo'" in pb["error"], pb

doc = load("doctor.json"); no_dash(doc, "doctor")
assert doc["ok"] is True and doc["problems"] == [] and doc["node"] == "cn-wangjiang-01"
EOP
ok "log, diff, history, verify, view build, push, sync (a failure too), status, peer show and list, datasets, doctor: one JSON style, each schema as doc/json.md says"

# --- progress: on a terminal only, never in a file ---
"$STRATA" -C cn import residents "$TOP_SRCDIR/seeds/residents.csv" >/dev/null
"$STRATA" -C cn view build >vb.out 2>vb.err
! grep -q "$(printf '\033')" vb.out vb.err || fail "escape codes in files"
if command -v script >/dev/null; then
	"$STRATA" -C cn import residents v2.csv >/dev/null
	script -qec "'$STRATA' -C cn view build" /dev/null >tty.out </dev/null
	grep -q "view build: reading sources and policies" tty.out || fail "no progress on a terminal: $(cat -v tty.out)"
fi
ok "progress shows on a terminal, and nothing of it reaches a file"
