#!/bin/sh
# tests/i18n/check.sh - every message a person reads is marked for
# translation, and po/zh_CN.po translates every one of them: no message
# untranslated, none fuzzy, every format string the same as its English
# (msgfmt -c).  TAP output for make check.
set -u
top=${TOP_SRCDIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..3"
failed=0

# the catalogue as the sources mark it now, with po/Makevars' keywords
opts=$(sed -n '/^XGETTEXT_OPTIONS/,/[^\\]$/p' "$top/po/Makevars" | sed 's/^XGETTEXT_OPTIONS = //; s/\\$//' | tr '\n' ' ')
# shellcheck disable=SC2086
if (cd "$top" && eval xgettext $opts -o "$tmp/strata.pot" -f po/POTFILES.in) 2>"$tmp/xgettext.err"; then
	echo "ok 1 - xgettext reads every source ($(grep -c '^msgid ' "$tmp/strata.pot") messages)"
else
	cat "$tmp/xgettext.err" | sed 's/^/# /'
	failed=1
	echo "not ok 1 - xgettext reads every source"
fi

if (cd "$top" && python3 tests/i18n/unmarked.py "$tmp/strata.pot" . $(grep '\.c$' po/POTFILES.in)) >"$tmp/unmarked" 2>&1; then
	echo "ok 2 - every message in src/ is marked for translation"
else
	sed 's/^/# /' "$tmp/unmarked"
	failed=1
	echo "not ok 2 - every message in src/ is marked for translation"
fi

# zh_CN.po against the catalogue as it is now: nothing missing, nothing fuzzy
msgmerge -q --no-wrap --no-fuzzy-matching -o "$tmp/zh_CN.po" "$top/po/zh_CN.po" "$tmp/strata.pot" 2>&1 | sed 's/^/# /'
stats=$(msgfmt -c --statistics -o /dev/null "$tmp/zh_CN.po" 2>&1)
echo "# zh_CN: $stats"
if echo "$stats" | grep -q 'untranslated\|fuzzy\|error\|warning'; then
	msgattrib --untranslated --no-obsolete "$tmp/zh_CN.po" 2>/dev/null | grep '^msgid' | head -20 | sed 's/^/# untranslated: /'
	failed=1
	echo "not ok 3 - po/zh_CN.po translates every message (msgfmt -c --statistics)"
else
	echo "ok 3 - po/zh_CN.po translates every message (msgfmt -c --statistics)"
fi
exit $failed
