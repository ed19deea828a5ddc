#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oci-suite.sh - run crun's integration suite (../shared/oci-suites/crun-tests,
# kept outside this repository) against nook-oci, rootless, and report the
# pass count per test file and every failure with the reason its log gives.
#
#   tests/oci-suite.sh [test_start.py ...]     (default: every test_*.py)
# Environment: NOOK_BUILDDIR (holds nook-oci; default the build dir of the
# caller's cwd), OCI_SUITE_DIR (default /work/shared/oci-suites/crun-tests),
# OCI_SUITE_TIMEOUT (seconds per file, default 300).
# Exit status: 0 when nothing failed, 1 otherwise.
set -u
: "${NOOK_BUILDDIR:=$(pwd)}"
: "${OCI_SUITE_DIR:=/work/shared/oci-suites/crun-tests}"
: "${OCI_SUITE_TIMEOUT:=300}"
runtime=$NOOK_BUILDDIR/nook-oci
[ -x "$runtime" ] || { echo "oci-suite: no $runtime (build nook first)" >&2; exit 2; }
[ -d "$OCI_SUITE_DIR" ] || { echo "oci-suite: no suite at $OCI_SUITE_DIR" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/nook-oci-suite.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
# the suite's init, static, as its README says (init.c includes config.h)
: > "$work/config.h"
cc -static -O2 -I"$work" -o "$work/init" "$OCI_SUITE_DIR/init.c" 2>"$work/cc.log" ||
	{ echo "oci-suite: cannot build the suite's init:" >&2; cat "$work/cc.log" >&2; exit 2; }
export INIT="$work/init" OCI_RUNTIME="$runtime"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$work/xdg}"
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

if [ $# -eq 0 ]; then
	set -- $(cd "$OCI_SUITE_DIR" && ls test_*.py)
fi
total_ok=0 total_fail=0 total_skip=0
start=$(date +%s)
printf '%-28s %5s %5s %5s %5s %6s\n' FILE PASS FAIL SKIP TOTAL SECS
for f in "$@"; do
	t0=$(date +%s)
	log="$work/${f%.py}.log"
	# the suite makes its scratch directories in the working directory
	# under script(1) when there is one: the terminal tests need a TTY
	if command -v script >/dev/null 2>&1; then
		script -qec "cd '$work' && timeout -k 10 '$OCI_SUITE_TIMEOUT' python3 '$OCI_SUITE_DIR/$f'" /dev/null </dev/null 2>&1 |
			tr -d '\r' >"$log"
	else
		(cd "$work" && timeout -k 10 "$OCI_SUITE_TIMEOUT" python3 "$OCI_SUITE_DIR/$f") >"$log" 2>&1
	fi
	rc=$?
	t1=$(date +%s)
	ok=$(grep -c '^ok ' "$log" | tr -d ' ')
	skip=$(grep -c '^ok .*# *SKIP' "$log" | tr -d ' ')
	fail=$(grep -c '^not ok ' "$log" | tr -d ' ')
	pass=$((ok - skip))
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n 1)
	[ -n "$plan" ] || plan=0
	# tests that never reported (a crash or the timeout) count as failures
	missing=$((plan - ok - fail))
	[ $missing -gt 0 ] && fail=$((fail + missing))
	[ $rc -eq 124 ] && echo "# $f: timed out after ${OCI_SUITE_TIMEOUT}s" >>"$log"
	printf '%-28s %5d %5d %5d %5d %6d\n' "$f" "$pass" "$fail" "$skip" "$plan" $((t1 - t0))
	total_ok=$((total_ok + pass)); total_fail=$((total_fail + fail)); total_skip=$((total_skip + skip))
	cp "$log" "${OCI_SUITE_LOGDIR:-$work}/" 2>/dev/null
done
end=$(date +%s)
printf '%-28s %5d %5d %5d %5s %6d\n' TOTAL "$total_ok" "$total_fail" "$total_skip" "" $((end - start))
echo
echo "failures (with the first nook-oci message of each):"
for f in "$@"; do
	log="$work/${f%.py}.log"
	# each "not ok" line, and the last error line logged before it
	awk -v file="$f" '
		/nook-oci: / { m = $0; sub(/.*nook-oci: /, "", m) }
		/^# .*(Output|Exception message|failed|error|Error)/ && !m { m = $0 }
		/^not ok / { sub(/^not ok [0-9]+ - /, ""); sub(/ # [0-9.]+s$/, ""); printf "  %s %s: %s\n", file, $0, (m ? m : "(no message)"); m = "" }
		/^ok / { m = "" }
	' "$log"
done
[ $total_fail -eq 0 ]
