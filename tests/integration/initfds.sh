#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# initfds.sh - nothing in a container reaches the host through the fds of
# nook's own processes in it (issue 11).
#
# The container's init (pid 1, nook's reaper) was cloned with every fd of
# the monitor (the state directory of a named container and its parent,
# anything nook's caller leaked) and became non-dumpable only after the
# payload ran: a payload could open /proc/1/fd/N and walk .. onto the host.
#
# 1. For named and unnamed runs, with networking, a pty, limits (where the
#    host delegates them) and without an init: seen from the host, the
#    init is not dumpable (its /proc/PID/fd is out of reach even for its
#    owner, so for anything in the container too), and the payload and a
#    `nook exec` command hold only stdio: not the directory this script
#    leaks to nook as fd 7. (What the init holds is listed, as root, by
#    tests/integration/asroot/initfds.sh.)
# 2. The attack: a payload (tests/probe init_fds) that races, the moment
#    it starts, to open /proc/1/fd/N as a directory and write a marker
#    there and in its parent, over $NOOK_INITFDS_STARTS (1000) starts:
#    named, with --cap-add SYS_PTRACE and ALL, and unnamed with ALL (the
#    leaked fd). It must never win. Before the fix it won about 1 in 100
#    with the default profile and 3 in 5 with --cap-add ALL.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
export NOOK_PROFILE_PATH

# a private runtime directory, so the state is this script's own
XDG_RUNTIME_DIR=$T/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
S=$XDG_RUNTIME_DIR/nook/containers

cp "$NOOK_BUILDDIR/tests/probe" "$T/probe" && chmod 755 "$T/probe"
P=/tmp/nook-probe

# a directory of the caller's that nook inherits (as podman users leak
# fds to podman): neither the init nor the payload may keep it
mkdir "$T/leak"
exec 7<"$T/leak"

me=$(id -u)
# find_proc REGEX: the pid of our process whose command line is exactly
# REGEX (waits up to 10 s)
find_proc() {
	_w=0
	while [ $_w -lt 500 ]; do
		_p=$(pgrep -u "$me" -x -f "$1" | head -n 1)
		[ -n "$_p" ] && { echo "$_p"; return 0; }
		sleep 0.02; _w=$((_w + 1))
	done
	return 1
}
field() { awk -v k="$2:" '$1 == k { print $NF; exit }' "/proc/$1/status" 2>/dev/null; }
fdlist() { ls "/proc/$1/fd" 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//'; }
fddiag() { for _f in /proc/"$1"/fd/*; do echo "${_f##*/} -> $(readlink "$_f")"; done; }

# not_dumpable WHAT PID: PID's /proc files are root's and its fds out of reach
not_dumpable() {
	if [ "$(stat -c %u "/proc/$2/fd" 2>/dev/null)" = 0 ] && ! ls "/proc/$2/fd" >/dev/null 2>&1; then
		t_ok "$1 is not dumpable: its fds are out of reach"
	else
		t_fail "$1 is not dumpable: its fds are out of reach" "$(ls -ld "/proc/$2"; fddiag "$2")"
	fi
}
# stdio_only WHAT PID: PID holds fds 0, 1 and 2 and nothing else
stdio_only() {
	_l=$(fdlist "$2")
	if [ "$_l" = "0 1 2" ]; then t_ok "$1 holds only stdio"
	else t_fail "$1 holds only stdio" "$(fddiag "$2")"; fi
}

# ---------------------------------------------------------------- limits?
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
mnt=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && { mnt=$m; break; }
done
limits=
case " $(cat "$mnt/cgroup.controllers" 2>/dev/null) " in
*" memory "*" pids "*|*" pids "*" memory "*)
	[ -O "$mnt$own" ] && [ -w "$mnt$own/cgroup.procs" ] && limits="--memory 256M --pids 200" ;;
esac

# ---------------------------------------------------------------- 1. who holds what
n=0
# variant LABEL NAME|- [NOOK RUN OPTIONS...]: start a container that sleeps,
# check its init, its payload and (when named) a nook exec command in it
variant() {
	_label=$1 _name=$2; shift 2
	n=$((n + 1))
	_tag=1000.$n
	if [ "$_name" = - ]; then
		"$NOOK" run "$@" -- sleep "$_tag" </dev/null >/dev/null 2>"$T/v$n.err" &
	else
		"$NOOK" run --name "$_name" "$@" -- sleep "$_tag" </dev/null >/dev/null 2>"$T/v$n.err" &
	fi
	_bg=$!
	if ! _pl=$(find_proc "sleep ${_tag%.*}[.]$n"); then
		t_fail "$_label: the container starts" "$(cat "$T/v$n.err")"
		kill -9 $_bg 2>/dev/null; reap $_bg
		return 0
	fi
	_init=$(field "$_pl" PPid)
	case " $* " in
	*" process.init=false "*)
		t_eq "$_label: the payload is pid 1" 1 "$(field "$_pl" NSpid)" ;;
	*)
		t_eq "$_label: the payload's parent is the container's init" 1 "$(field "$_init" NSpid)"
		not_dumpable "$_label: the init" "$_init" ;;
	esac
	stdio_only "$_label: the payload" "$_pl"
	if [ "$_name" != - ]; then
		"$NOOK" exec "$_name" sleep "$_tag"1 </dev/null >/dev/null 2>"$T/x$n.err" &
		_xbg=$!
		if _xp=$(find_proc "sleep ${_tag%.*}[.]${n}1"); then
			stdio_only "$_label: a nook exec command" "$_xp"
			not_dumpable "$_label: nook exec's helper" "$(field "$_xp" PPid)"
		else
			t_fail "$_label: nook exec starts a command" "$(cat "$T/x$n.err")"
		fi
		kill -9 "$_xp" 2>/dev/null; reap $_xbg
	fi
	# (a payload that is pid 1 ignores SIGTERM)
	kill -9 "$_pl" 2>/dev/null; reap $_bg
}

variant "unnamed" -
variant "named" fd-named
variant "named, without an init" fd-noinit --set process.init=false
if command -v slirp4netns >/dev/null; then
	variant "named, slirp4netns" fd-slirp --network slirp
	variant "unnamed, slirp4netns" - --network slirp
else
	t_skip "slirp4netns networking" "slirp4netns is not installed"
fi
if [ -n "$limits" ]; then
	# shellcheck disable=SC2086
	variant "named, with limits" fd-limits $limits
	# shellcheck disable=SC2086
	variant "unnamed, with limits" - $limits
else
	t_skip "with limits" "no delegated cgroup v2 memory+pids controllers here (cgroup2 at '${mnt:-none}'); cgroup.sh and the VM test cover limits"
fi
if command -v script >/dev/null; then
	n=$((n + 1))
	script -qec "'$NOOK' run -t --name fd-tty -- sleep 1000.$n" /dev/null </dev/null >/dev/null 2>&1 &
	bg=$!
	if pl=$(find_proc "sleep 1000[.]$n"); then
		not_dumpable "with a pty: the init" "$(field "$pl" PPid)"
		stdio_only "with a pty: the payload" "$pl"
		t_match "with a pty: the payload's stdio is the container's pty" '^/dev/pts/' "$(readlink "/proc/$pl/fd/0")"
	else
		t_fail "with a pty: the container starts"
	fi
	kill -9 "$pl" 2>/dev/null; reap $bg
else
	t_skip "with a pty" "script(1) is not installed"
fi

# ---------------------------------------------------------------- 2. the attack
starts=${NOOK_INITFDS_STARTS:-1000}
race_worker() {
	_w=$1 _cnt=$2 _i=0
	while [ $_i -lt "$_cnt" ]; do
		case $((_i % 4)) in
		0) _a="--name r$_w-$_i" ;;
		1) _a="--name r$_w-$_i --cap-add SYS_PTRACE" ;;
		2) _a="--name r$_w-$_i --cap-add ALL" ;;
		3) _a="--cap-add ALL" ;;
		esac
		# shellcheck disable=SC2086
		_o=$(timeout -k 5 30 "$NOOK" run $_a -v "$T/probe:$P:ro" -- "$P" init_fds </dev/null 2>&1)
		printf '%s\n' "$_o" | sed "s/^/$((_i % 4)) /"
		_i=$((_i + 1))
	done
}
# two at a time; leak checks are other scripts' business (they cost a
# third of a start under ASan)
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS
t0=$(date +%s)
race_worker a $((starts / 2)) > "$T/race.a" &
wa=$!
race_worker b $((starts - starts / 2)) > "$T/race.b"
wait $wa
echo "# $starts starts in $(($(date +%s) - t0)) s"
cat "$T/race.a" "$T/race.b" > "$T/race"
ran=$(grep -c '^[0-3] init_fds: ' "$T/race")
wins=$(grep -c 'ESCAPED' "$T/race")
markers=$(find "$T" -name nook-escape-marker 2>/dev/null)
if [ "$ran" = "$starts" ]; then t_ok "the prober ran in all $starts containers"
else t_fail "the prober ran in all $starts containers" "it ran in $ran: $(grep -v '^[0-3] init_fds: ' "$T/race" | sort | uniq -c | head -n 5)"; fi
t_eq "no start reached the host through the init's fds (wins of $starts)" 0 "$wins"
[ "$wins" = 0 ] || echo "# wins: $(grep -c '^0 .*ESCAPED' "$T/race") named, $(grep -c '^1 .*ESCAPED' "$T/race") named with SYS_PTRACE, $(grep -c '^2 .*ESCAPED' "$T/race") named with ALL, $(grep -c '^3 .*ESCAPED' "$T/race") unnamed with ALL (each $((starts / 4)))"
t_eq "no marker written on the host" "0" "$(printf '%s' "$markers" | grep -c .)"
left=$(ls -A "$S" 2>/dev/null | head -n 5)
t_eq "no state left" "" "$left"

exec 7<&-
t_clean "initfds"
t_done
