#!/bin/sh
# self-contained.sh - the repository documents itself: no source, header,
# test, script or document points at a design, facts or style file kept
# outside it (the design is doc/design.md).
#
# Run by make check; by hand: TOP_SRCDIR=. sh tests/self-contained.sh
set -eu
top=${1:-${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}}
cd "$top"
found=$(grep -rnE '(^|[^a-z/])(DESIGN|FACTS|STYLE)\.md|\.\./shared/' \
	--include='*.c' --include='*.h' --include='*.md' --include='*.sh' --include='*.py' --include='*.js' \
	--include='*.1' --include='*.5' --include='*.am' --include='*.ac' --include='*.in' --include='*.yaml' \
	src include tests doc contrib policies seeds bench README.md configure.ac Makefile.am 2>/dev/null |
	grep -v '^tests/self-contained.sh:' || true)
echo "1..1"
if [ -n "$found" ]; then
	echo "$found" | sed 's/^/# /'
	echo "not ok 1 - every reference points inside the repository (doc/design.md)"
	exit 1
fi
echo "ok 1 - every reference points inside the repository (doc/design.md)"
