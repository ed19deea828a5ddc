#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oci-suite.sh - run crun's integration suite (../shared/oci-suites/crun-tests,
# kept outside this repository) against nook-oci, rootless, and report the
# pass count per test file and every failure with the reason its log gives.
#
#   tests/oci-suite.sh [test_start.py ...]     (default: every test_*.py)
# Environment: NOOK_BUILDDIR (holds nook-oci; default the build dir of the
# caller's cwd), OCI_SUITE_DIR (default: ../shared/oci-suites/crun-tests
# beside the source tree, else /work/shared/oci-suites/crun-tests),
# OCI_SUITE_TIMEOUT (seconds per file, default 300).
# Exit status: 0 when every failure is a known one (listed below with its
# reason), 1 when another test failed.
set -u
: "${NOOK_BUILDDIR:=$(pwd)}"
if [ -z "${OCI_SUITE_DIR:-}" ]; then
	OCI_SUITE_DIR=/work/shared/oci-suites/crun-tests
	_src=${NOOK_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
	[ -d "$_src/../shared/oci-suites/crun-tests" ] && OCI_SUITE_DIR=$(cd "$_src/../shared/oci-suites/crun-tests" && pwd)
fi
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

# The tests nook is known to fail, FILE:TEST and why (runtime-neutral
# tests that fail are bugs: they do not belong here).
known_failures='
test_commands.py:version-command	crun-only: expects "crun version" in --version
test_start.py:help	crun-only: expects crun'"'"'s usage text ("Usage: crun [OPTION...] start")
test_exec.py:exec-help	crun-only: expects crun'"'"'s usage text
test_delete.py:test_help_delete	crun-only: expects crun'"'"'s usage text
test_oci_features.py:crun-features	crun-only: crun'"'"'s features fields and build commit
test_seccomp.py:annotation-seccomp-fail-unknown-syscall	crun-only: the run.oci.seccomp_fail_unknown_syscall annotation
test_terminal.py:terminal-allocation	test bug: runs "init isatty" without its second argument (fails on any runtime)
test_terminal.py:console-socket	test bug: calls run_and_get_output() with an argument it does not take
test_terminal.py:terminal-detach	nook refuses a detached terminal without --console-socket, as runc does (test_tty.py test-detach-tty expects that refusal; crun accepts it)
test_terminal.py:terminal-exec	as terminal-detach
test_terminal.py:terminal-exec-no-tty	as terminal-detach
test_cgroup_setup.py:cgroup-v1-subsystems	by design: the test sets cpu.shares and memory.limit and passes when the run succeeds, i.e. when the limits are dropped (crun ignores them rootless on a hybrid host); nook-oci enforces linux.resources only in a leaf under a delegated cgroup v2 and refuses a limit it cannot enforce, naming the key (on stderr, which this test does not capture), rather than run the container without it
'

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
	if [ $missing -gt 0 ]; then
		fail=$((fail + missing))
		echo "$f	$missing" >>"$work/missing"
	fi
	[ $rc -eq 124 ] && echo "# $f: timed out after ${OCI_SUITE_TIMEOUT}s" >>"$log"
	printf '%-28s %5d %5d %5d %5d %6d\n' "$f" "$pass" "$fail" "$skip" "$plan" $((t1 - t0))
	total_ok=$((total_ok + pass)); total_fail=$((total_fail + fail)); total_skip=$((total_skip + skip))
	cp "$log" "${OCI_SUITE_LOGDIR:-$work}/" 2>/dev/null
done
end=$(date +%s)
printf '%-28s %5d %5d %5d %5s %6d\n' TOTAL "$total_ok" "$total_fail" "$total_skip" "" $((end - start))
echo
echo "failures (with the first nook-oci message of each, or the known reason):"
unexpected=0
for f in "$@"; do
	log="$work/${f%.py}.log"
	# each "not ok" line, and the last error line logged before it
	awk -v file="$f" '
		/nook-oci: / { m = $0; sub(/.*nook-oci: /, "", m) }
		/^# .*(Output|Exception message|failed|error|Error)/ && !m { m = $0 }
		/^not ok / { sub(/^not ok [0-9]+ - /, ""); sub(/ # [0-9.]+s$/, ""); printf "%s\t%s\t%s\n", file, $0, (m ? m : "(no message)"); m = "" }
		/^ok / { m = "" }
	' "$log" >"$work/failed"
	while IFS='	' read -r file test msg; do
		why=$(printf '%s\n' "$known_failures" | awk -F'\t' -v k="$file:$test" '$1 == k { print $2 }')
		if [ -n "$why" ]; then
			echo "  known   $file $test: $why"
		else
			echo "  FAILED  $file $test: $msg"
			unexpected=$((unexpected + 1))
		fi
	done <"$work/failed"
done
if [ -s "$work/missing" ]; then
	while IFS='	' read -r file n; do
		echo "  FAILED  $file: $n tests never reported (a crash or the timeout; see its log)"
		unexpected=$((unexpected + n))
	done <"$work/missing"
fi
echo "unexpected failures: $unexpected"
[ $unexpected -eq 0 ]
