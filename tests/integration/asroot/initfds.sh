#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# asroot/initfds.sh - what nook's own processes in a container hold, read
# from the host (issue 11; tests/integration/initfds.sh is the unprivileged
# half and the attack).
#
# The container's init and nook exec's helper are not dumpable, so only
# root can list their fds: this script runs containers as $NOOK_TEST_USER
# (with a directory of the caller's leaked to nook as fd 7 and stderr in a
# file) and, as root, readlinks every fd of the init, of the payload, of a
# `nook exec` command and of its helper. The init may hold only anonymous
# fds (sockets, anon inodes, pipes), /dev/null and a pty; the payload and
# the command only their stdio; the helper (outside the container's pid
# namespace) its stdio and anonymous fds. Named and unnamed, with
# slirp4netns, a pty, without an init, and with limits where delegated.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

U=${NOOK_TEST_USER:-}
if [ "$(id -u)" != 0 ] || [ -z "$U" ]; then
	echo "1..0 # SKIP run as root with NOOK_TEST_USER (see tests/integration/asroot/README)"
	exit 0
fi
: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
uid=$(id -u "$U")
chown "$U" "$T" "$T/tmp"
as_user() {
	runuser -u "$U" -- env -i HOME="$(getent passwd "$U" | cut -d: -f6)" PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 XDG_RUNTIME_DIR="$T/run" TMPDIR="$T/tmp" NOOK_PROFILE_PATH="$NOOK_PROFILE_PATH" NOOK_HOLDER_IDLE=15 "$@"
}
as_user mkdir -m 0700 "$T/run" "$T/leak"

find_proc() {
	_w=0
	while [ $_w -lt 500 ]; do
		_p=$(pgrep -u "$uid" -x -f "$1" | head -n 1)
		[ -n "$_p" ] && { echo "$_p"; return 0; }
		sleep 0.02; _w=$((_w + 1))
	done
	return 1
}
field() { awk -v k="$2:" '$1 == k { print $NF; exit }' "/proc/$1/status" 2>/dev/null; }
fddiag() { for _f in /proc/"$1"/fd/*; do echo "${_f##*/} -> $(readlink "$_f")"; done; }
# named_host PID FROM: the fds of PID from FROM up that name something on
# the host: not a socket, anon inode or pipe, not /dev/null, not a pty
named_host() {
	for _f in /proc/"$1"/fd/*; do
		_fd=${_f##*/}
		[ "$_fd" -ge "$2" ] 2>/dev/null || continue
		_l=$(readlink "$_f") || continue
		case $_l in socket:*|anon_inode:*|pipe:*) continue ;; esac
		# by device, not by name: the init's /dev/null is the host's,
		# which it sees as /null after pivot_root
		case $(stat -L -c '%F %t:%T' "$_f" 2>/dev/null) in
		"character special file 1:3"|"character special file 88:"*|"character special file 5:2") continue ;;
		esac
		echo "$_fd -> $_l"
	done
}
only_anonymous() {
	_bad=$(named_host "$2" "${3:-0}")
	if [ -z "$_bad" ]; then t_ok "$1 holds nothing that names the host"
	else t_fail "$1 holds nothing that names the host" "$(fddiag "$2")"; fi
}
stdio_only() {
	_l=$(ls "/proc/$2/fd" | sort -n | tr '\n' ' ')
	if [ "$_l" = "0 1 2 " ]; then t_ok "$1 holds only stdio"; else t_fail "$1 holds only stdio" "$(fddiag "$2")"; fi
}

n=0
variant() {
	_label=$1 _name=$2; shift 2
	n=$((n + 1))
	_nm=
	[ "$_name" = - ] || _nm="--name $_name"
	# shellcheck disable=SC2086
	as_user sh -c 'exec 7<"$1"; shift; exec "$@"' sh "$T/leak" "$NOOK" run $_nm "$@" -- sleep "2000.$n" \
		</dev/null >/dev/null 2>"$T/err.$n" &
	_bg=$!
	if ! _pl=$(find_proc "sleep 2000[.]$n"); then
		t_fail "$_label: the container starts" "$(cat "$T/err.$n")"
		kill -9 $_bg 2>/dev/null; wait $_bg
		return 0
	fi
	case " $* " in
	*" process.init=false "*) ;;
	*)
		_init=$(field "$_pl" PPid)
		t_eq "$_label: the payload's parent is the container's init" 1 "$(field "$_init" NSpid)"
		only_anonymous "$_label: the init" "$_init"
		t_nomatch "$_label: the init dropped the caller's leaked fd" "$T/leak" "$(fddiag "$_init")"
		;;
	esac
	stdio_only "$_label: the payload" "$_pl"
	if [ "$_name" != - ]; then
		as_user sh -c 'exec 7<"$1"; shift; exec "$@"' sh "$T/leak" "$NOOK" exec "$_name" sleep "2000.${n}1" \
			</dev/null >/dev/null 2>"$T/xerr.$n" &
		_xbg=$!
		if _xp=$(find_proc "sleep 2000[.]${n}1"); then
			stdio_only "$_label: a nook exec command" "$_xp"
			only_anonymous "$_label: nook exec's helper" "$(field "$_xp" PPid)" 3
		else
			t_fail "$_label: nook exec starts a command" "$(cat "$T/xerr.$n")"
		fi
		kill -9 "$_xp" 2>/dev/null; wait $_xbg
	fi
	kill -9 "$_pl" 2>/dev/null; wait $_bg
}

variant "unnamed" -
variant "named" ar-named
variant "named, without an init" ar-noinit --set process.init=false
if command -v slirp4netns >/dev/null; then
	variant "named, slirp4netns" ar-slirp --network slirp
	variant "unnamed, slirp4netns" - --network slirp
else
	t_skip "slirp4netns networking" "slirp4netns is not installed"
fi
own=$(as_user sed -n 's/^0:://p' /proc/self/cgroup)
mnt=
for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
	[ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ] && { mnt=$m; break; }
done
case " $(cat "$mnt/cgroup.controllers" 2>/dev/null) " in
*" memory "*" pids "*|*" pids "*" memory "*)
	if [ "$(stat -c %u "$mnt$own" 2>/dev/null)" = "$uid" ]; then
		variant "named, with limits" ar-limits --memory 256M --pids 200
		variant "unnamed, with limits" - --memory 256M --pids 200
	else
		t_skip "with limits" "$U has no delegated cgroup v2 subtree ($mnt$own)"
	fi ;;
*) t_skip "with limits" "no cgroup v2 memory+pids controllers here (cgroup2 at '${mnt:-none}')" ;;
esac
if command -v script >/dev/null; then
	n=$((n + 1))
	as_user sh -c 'exec 7<"$1"; shift; exec "$@"' sh "$T/leak" \
		script -qec "'$NOOK' run -t --name ar-tty -- sleep 2000.$n" /dev/null </dev/null >/dev/null 2>&1 &
	bg=$!
	if pl=$(find_proc "sleep 2000[.]$n"); then
		only_anonymous "with a pty: the init" "$(field "$pl" PPid)"
		stdio_only "with a pty: the payload" "$pl"
	else
		t_fail "with a pty: the container starts"
	fi
	kill -9 "$pl" 2>/dev/null; wait $bg
else
	t_skip "with a pty" "script(1) is not installed"
fi

left=$(ls -A "$T/run/nook/containers" 2>/dev/null)
t_eq "no state left" "" "$left"
t_done
