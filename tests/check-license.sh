#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-license.sh - nook's license is stated where a newcomer looks: a
# LICENSE file, the README, and an SPDX line near the top of every source
# file, script and build file of the project (build-aux/ and m4/ hold
# autotools' own files, under their own licenses).
set -u
: "${NOOK_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
tag='SPDX-License-Identifier: GPL-2.0-or-later'
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

if grep -q 'GNU GENERAL PUBLIC LICENSE' "$NOOK_SRCDIR/LICENSE" 2>/dev/null &&
   grep -q 'Version 2' "$NOOK_SRCDIR/LICENSE"; then
	ok "LICENSE holds the GPL, version 2"
else
	notok "LICENSE holds the GPL, version 2"
fi
if grep -q 'GPL-2.0-or-later\|version 2 or' "$NOOK_SRCDIR/README.md"; then
	ok "the README names the license"
else
	notok "the README names the license"
fi

total=0
missing=""
for f in $(cd "$NOOK_SRCDIR" && find src include tests contrib -type f \( -name '*.c' -o -name '*.h' -o -name '*.sh' -o -name '*.py' \) | sort) \
	Makefile.am configure.ac autogen.sh; do
	[ -f "$NOOK_SRCDIR/$f" ] || continue
	total=$((total + 1))
	head -n 3 "$NOOK_SRCDIR/$f" | grep -q "$tag" || missing="$missing $f"
done
if [ "$total" -gt 50 ] && [ -z "$missing" ]; then
	ok "all $total source files carry '$tag' in their first three lines"
else
	notok "all source files carry '$tag' in their first three lines ($total checked)"
	for f in $missing; do echo "#   missing: $f"; done
fi
echo "1..$n"
[ "$failed" = 0 ]
