#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oci-suite.sh - crun's own integration suite against nook-oci, rootless, as
# TAP for make check: one line per test file of the suite (ok when every
# failure in it is a known one, listed with its reason in tests/oci-suite.sh),
# the pass/fail/skip counts per file and every failure as comments.
# The suite is external (../shared/oci-suites/crun-tests beside the source
# tree, or OCI_SUITE_DIR); it is run from there, never copied here.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

if [ -z "${OCI_SUITE_DIR:-}" ]; then
	for d in "$NOOK_SRCDIR/../shared/oci-suites/crun-tests" /work/shared/oci-suites/crun-tests; do
		[ -d "$d" ] && { OCI_SUITE_DIR=$d; break; }
	done
fi
if [ -z "${OCI_SUITE_DIR:-}" ] || [ ! -d "$OCI_SUITE_DIR" ]; then
	echo "1..0 # SKIP the external crun suite (../shared/oci-suites/crun-tests) is not on this machine"
	exit 0
fi
t_need python3 "no python3 (the crun suite is written in it)"
t_need cc "no C compiler (the crun suite's init is built with cc -static)"
export OCI_SUITE_DIR
OCI_SUITE_LOGDIR=$T
export OCI_SUITE_LOGDIR
sh "$NOOK_SRCDIR/tests/oci-suite.sh" >"$T/suite.out" 2>&1
st=$?
sed 's/^/# /' "$T/suite.out"
# the table: FILE PASS FAIL SKIP TOTAL SECS, then TOTAL
_files=$(awk '$1 ~ /^test_.*\.py$/ { print $1 }' "$T/suite.out")
[ -n "$_files" ] || t_fail "the crun suite ran" "$(tail -5 "$T/suite.out")"
for f in $_files; do
	_row=$(awk -v f="$f" '$1 == f { printf "%s pass, %s fail, %s skip of %s", $2, $3, $4, $5 }' "$T/suite.out")
	if grep -q "^  FAILED  $f" "$T/suite.out"; then
		t_fail "crun suite $f: $_row" "$(grep "^  FAILED  $f" "$T/suite.out")"
	else
		t_ok "crun suite $f: $_row (failures, if any, are known ones)"
	fi
done
chk "the crun suite: no unexpected failure (exit status of tests/oci-suite.sh)" 0 "$st"
t_clean "the crun suite"
t_done
