#!/bin/sh
# contrib/console/po2json.sh OUT.json LANG.po - the console's catalogue: every
# translated message of LANG.po (the tool's own catalogue, one source for
# both) as one JSON object {"English": "translation"}.  PO strings escape as
# JSON does (\n, \t, \", \\), so they go over as they are.
set -eu
out=$1 po=$2
tmp=$out.tmp
msgattrib --translated --no-obsolete --no-fuzzy --no-wrap "$po" | awk '
function flush() {
	if (id != "" && str != "" && !plural) { printf "%s\n  \"%s\": \"%s\"", (n++ ? "," : "{"), id, str }
	id = ""; str = ""; plural = 0
}
/^msgid "/ { flush(); s = substr($0, 8); id = substr(s, 1, length(s) - 1); cur = "id"; next }
/^msgid_plural / { plural = 1; cur = ""; next }
/^msgstr "/ { s = substr($0, 9); str = substr(s, 1, length(s) - 1); cur = "str"; next }
/^"/ { s = substr($0, 2, length($0) - 2); if (cur == "id") id = id s; else if (cur == "str") str = str s; next }
{ cur = "" }
END { flush(); print (n ? "\n}" : "{}") }' >"$tmp"
mv "$tmp" "$out"
