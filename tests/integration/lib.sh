# SPDX-License-Identifier: GPL-2.0-or-later
# lib.sh - a tiny TAP library for nook's integration tests.
#
# Source it from a test script:   . "$NOOK_SRCDIR/tests/integration/lib.sh"
# Every check prints one TAP line; t_done prints the plan and exits with
# the number of failures. Tests run as an unprivileged user against the
# real kernel; as root they would prove nothing, so they refuse to run.
#
#   t_ok NAME | t_fail NAME WHY | t_skip NAME WHY
#   t_run NAME CMD...            passes if CMD exits 0
#   t_status NAME WANT CMD...    passes if CMD exits with status WANT
#   t_eq NAME WANT GOT           passes if the strings are equal
#   t_match NAME REGEX TEXT      passes if TEXT matches the extended REGEX
#   t_nomatch NAME REGEX TEXT
#   t_clean NAME                 no container process, mount or temp file left
#   nk ARGS...                   run $NOOK ARGS (bounded); sets rc, out, err
#   chk / chkre / chknore NAME WANT|REGEX GOT   as t_eq/t_match/t_nomatch,
#                                and show the last nook run on failure
#   chk_error NAME STATUS REGEX  the last run failed with STATUS and one
#                                "nook: " line on stderr matching REGEX
#   wait_file FILE [SECONDS]     wait until FILE exists (false on timeout)
#   wait_gone PID [SECONDS]      wait until our child PID has exited
#   reap PID [SECONDS]           wait for a background nook; st = its status
#   t_tagged_procs               container processes that carry this
#                                script's $NOOK_TEST_TAG (see there)
#   t_subids                     me, myuid, mygid and the subordinate ranges
#   t_tag_runs NAME              count only this script's containers (see there)
#   t_need CMD WHY / t_need_probe   skip the whole script without CMD / tests/probe
#
# $NOOK is the nook binary under test; $T is a private scratch directory
# (and $T/tmp is $TMPDIR, for nook's temporary files).

: "${NOOK:?NOOK must point at the nook binary}"
: "${NOOK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${NOOK_BUILDDIR:=$(dirname "$NOOK")}"
export NOOK NOOK_SRCDIR NOOK_BUILDDIR

_t_n=0
_t_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/nook-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
# nook and the tests put their temporary files here, so the leftover check
# sees only this script's own
mkdir "$T/tmp"
TMPDIR=$T/tmp
export TMPDIR

if [ "$(id -u)" = 0 ] && [ -z "$NOOK_TEST_AS_ROOT" ]; then
	echo "1..0 # SKIP integration tests must run as an unprivileged user (contrib/quickstart.sh test does that)"
	exit 0
fi

t_ok() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1"; }
t_fail() {
	_t_n=$((_t_n + 1)); _t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$*" | sed 's/^/#   /'
	return 0
}
t_skip() { _t_n=$((_t_n + 1)); echo "ok $_t_n - $1 # SKIP $2"; }

t_run() {
	_name=$1; shift
	if _out=$("$@" 2>&1); then t_ok "$_name"; else t_fail "$_name" "exit $?: $_out"; fi
}
t_status() {
	_name=$1; _want=$2; shift 2
	_out=$("$@" 2>&1); _got=$?
	if [ "$_got" = "$_want" ]; then t_ok "$_name"; else t_fail "$_name" "want status $_want, got $_got: $_out"; fi
}
t_eq() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1" "want: $2" "got:  $3"; fi
}
t_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then t_ok "$1"; else t_fail "$1" "no match for /$2/ in: $3"; fi
}
t_nomatch() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then t_fail "$1" "unexpected match for /$2/ in: $3"; else t_ok "$1"; fi
}

# Processes of ours that live in another user namespace are container
# processes; none may survive a test. Mounts are compared with the start.
_t_myuserns=$(readlink /proc/self/ns/user)
_t_mounts0=$(wc -l < /proc/self/mountinfo)
t_container_procs() {
	_me=$(id -u)
	for _p in /proc/[0-9]*; do
		# nook's reaper is not dumpable, so its /proc files belong to root:
		# go by the real uid in status, which anyone may read
		_uid=$(awk '/^Uid:/ { print $2; exit }' "$_p/status" 2>/dev/null) || continue
		[ "$_uid" = "$_me" ] || continue
		# nook's user namespace holder outlives runs by design (its
		# life is tested by userns-holder.sh)
		[ "$(cat "$_p/comm" 2>/dev/null)" = nook-holder ] && continue
		_ns=$(readlink "$_p/ns/user" 2>/dev/null) || _ns=unreadable
		[ "$_ns" != "$_t_myuserns" ] && echo "${_p#/proc/} $(tr '\0' ' ' < "$_p/cmdline" 2>/dev/null)"
	done
	# helpers nook starts outside the container
	pgrep -u "$(id -u)" -a -x 'slirp4netns|pasta|pasta.avx2|passt|passt.avx2|nook-udprelay|fuse-overlayfs|xdg-dbus-proxy' 2>/dev/null
	return 0
}
# Processes that were there before this script started are not its own.
_t_baseline=$(t_container_procs | awk '{print $1}')
t_own_container_procs() {
	t_container_procs | while read -r _pid _rest; do
		printf '%s\n' "$_t_baseline" | grep -qx "$_pid" || echo "$_pid $_rest"
	done
}
# Scripts that share this user with other test runs count only their own
# containers: a script sets NOOK_TEST_TAG (exported, so nook, its helpers
# and, where the profile keeps it, the payload inherit it) and defines
# t_container_procs() { t_tagged_procs; }. t_other_ns_procs lists, as
# "PID COMM", the processes of this uid whose /proc files we can read that
# run in another user namespace, and nook's helpers (in ours).
t_other_ns_procs() {
	for _p in /proc/[0-9]*; do
		[ -O "$_p" ] || continue
		_ns=$(readlink "$_p/ns/user" 2>/dev/null) || continue
		_comm=$(cat "$_p/comm" 2>/dev/null) || continue
		case $_comm in
		slirp4netns|pasta|pasta.avx2|passt|passt.avx2|nook-udprelay|fuse-overlayfs|xdg-dbus-proxy) ;;
		*) [ "$_ns" = "$_t_myuserns" ] && continue ;;
		esac
		echo "${_p#/proc/} $_comm"
	done
	return 0
}
t_tagged_procs() {
	t_other_ns_procs | while read -r _pid _comm; do
		tr '\0' '\n' 2>/dev/null < "/proc/$_pid/environ" | grep -qx "NOOK_TEST_TAG=$NOOK_TEST_TAG" || continue
		[ -e "/proc/$_pid" ] && echo "$_pid $_comm $(tr '\0' ' ' < "/proc/$_pid/cmdline" 2>/dev/null)"
	done
	return 0
}
t_clean() {
	_i=0
	while [ $_i -lt 50 ]; do
		_left=$(t_own_container_procs)
		[ -z "$_left" ] && break
		sleep 0.1; _i=$((_i + 1))
	done
	_m=$(wc -l < /proc/self/mountinfo)
	_tmp=$(ls -d "${TMPDIR:-/tmp}"/nook-* 2>/dev/null | grep -v "^$T\$" | grep -v 'nook-test\.' )
	if [ -n "$_left" ]; then t_fail "$1: no process left" "$_left"
	elif [ "$_m" != "$_t_mounts0" ]; then t_fail "$1: no mount left" "mountinfo had $_t_mounts0 lines, now $_m"
	elif [ -n "$_tmp" ]; then t_fail "$1: no temp file left" "$_tmp"
	else t_ok "$1: nothing left behind"; fi
}

# ---------------------------------------------------------------- nook runs
# nkx CMD...: run CMD with a time limit and stdin from /dev/null; sets
# rc (exit status), out (stdout) and err (stderr). nk ARGS: nkx "$NOOK" ARGS.
nkx() {
	timeout -k 5 "${NK_TIMEOUT:-30}" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
nk() { nkx "$NOOK" "$@"; }

_diag() { printf 'nook status %s\nstdout: %s\nstderr: %s' "$rc" "$out" "$err"; }
# chk NAME WANT GOT: t_eq that also shows the last nook run on failure
chk() {
	if [ "$2" = "$3" ]; then t_ok "$1"
	else t_fail "$1" "$(printf 'want: %s\ngot:  %s\n' "$2" "$3"; _diag)"; fi
}
# chkre NAME REGEX TEXT: t_match that also shows the last nook run
chkre() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then t_ok "$1"
	else t_fail "$1" "$(printf 'no match for /%s/ in: %s\n' "$2" "$3"; _diag)"; fi
}
chknore() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then
		t_fail "$1" "$(printf 'unexpected match for /%s/ in: %s\n' "$2" "$3"; _diag)"
	else t_ok "$1"; fi
}
# chk_error NAME WANT_STATUS REGEX: the last run failed with WANT_STATUS and
# exactly one line on stderr that starts with "nook: " and matches REGEX.
chk_error() {
	_ok=1 _why=
	[ "$rc" = "$2" ] || { _ok=0; _why="want status $2"; }
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || { _ok=0; _why="$_why; want one line on stderr"; }
	case $err in "nook: "*) ;; *) _ok=0; _why="$_why; stderr must start with 'nook: '" ;; esac
	printf '%s' "$err" | grep -Eq -- "$3" || { _ok=0; _why="$_why; stderr must match /$3/"; }
	printf '%s' "$err" | grep -Eqi -- 'child exited' && { _ok=0; _why="$_why; bare 'child exited' message"; }
	if [ $_ok = 1 ]; then t_ok "$1"; else t_fail "$1" "$(printf '%s\n' "${_why#; }"; _diag)"; fi
}

# ---------------------------------------------------------------- ids
# t_subids: set me, myuid, mygid, and the subordinate ranges nook picks for
# this user (the largest in /etc/subuid and /etc/subgid; ties: the first):
# subuid_start subuid_count subgid_start subgid_count; have_subuid=1 when
# there are both and newuidmap/newgidmap are installed, else 0.
t_subids() {
	me=$(id -un) myuid=$(id -u) mygid=$(id -g)
	_subrange() {
		awk -F: -v u="$me" -v id="$myuid" \
			'($1 == u || $1 == id) && $3 + 0 > best { best = $3 + 0; s = $2 } END { if (best) print s, best }' "$1" 2>/dev/null
	}
	_su=$(_subrange /etc/subuid) _sg=$(_subrange /etc/subgid)
	have_subuid=1
	if [ -z "$_su" ] || [ -z "$_sg" ] || ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
		have_subuid=0
	fi
	subuid_start=${_su% *} subuid_count=${_su#* }
	subgid_start=${_sg% *} subgid_count=${_sg#* }
}

# ---------------------------------------------------------------- waiting
# wait_file FILE [SECONDS]: wait until FILE exists; false on timeout
wait_file() {
	_w=0 _max=$((${2:-10} * 50))
	while [ ! -e "$1" ]; do
		[ $_w -ge $_max ] && return 1
		sleep 0.02; _w=$((_w + 1))
	done
	return 0
}
# wait_gone PID [SECONDS]: wait until our child PID has exited (zombies
# count as exited); false on timeout
wait_gone() {
	_w=0 _max=$((${2:-10} * 50))
	while [ -e "/proc/$1" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" != Z ]; do
		[ $_w -ge $_max ] && return 1
		sleep 0.02; _w=$((_w + 1))
	done
	return 0
}
# reap PID [SECONDS]: wait for a background nook (15 s unless told); kill
# it if it hangs. Sets st to its exit status (or "hung").
reap() {
	if wait_gone "$1" "${2:-15}"; then
		wait "$1"; st=$?
	else
		kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; st=hung
	fi
}

t_done() {
	echo "1..$_t_n"
	[ "$_t_failed" -eq 0 ]
	exit $?
}

# t_tag_runs NAME: count only this script's containers. Sets
# NOOK_TEST_TAG (nook's helpers inherit it), makes t_container_procs list
# the tagged processes, and wraps nk so that `nk run` keeps the tag in the
# payload's environment too; NK_TIMEOUT defaults to 60 s and
# NOOK_PROFILE_PATH to the source tree's profiles.
t_tag_runs() {
	NOOK_TEST_TAG=$1.$$.$(date +%s)
	export NOOK_TEST_TAG
	: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
	export NOOK_PROFILE_PATH
	: "${NK_TIMEOUT:=60}"
	t_container_procs() { t_tagged_procs; }
	nk() {
		if [ "$1" = run ]; then
			shift
			set -- run --set 'process.env.keep+=["NOOK_TEST_TAG"]' "$@"
		fi
		nkx "$NOOK" "$@"
	}
}

# t_need CMD WHY: skip the whole script (before any check) when CMD is
# not installed, saying WHY the script needs it.
t_need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "1..0 # SKIP $2"
	exit 0
}
# t_need_probe: skip the whole script when tests/probe is not built.
t_need_probe() {
	[ -x "$NOOK_BUILDDIR/tests/probe" ] && return 0
	echo "1..0 # SKIP tests/probe is not built (make check builds it)"
	exit 0
}
