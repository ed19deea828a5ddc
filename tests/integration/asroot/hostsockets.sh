#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# asroot/hostsockets.sh - the host's unix sockets in places only root can
# create are out of every shipped profile's reach (security issue 11; the
# places an unprivileged user can write are in ../hostsockets.sh).
#
# As root: listening sockets in /run/nook-test-XXXX/ (one of them like
# docker.sock: mode 0660, group of the test user), in /var/run/..., in
# $NOOK_TEST_USER's /run/user/UID (an ssh-agent, the session bus and
# systemd's private socket, as logind and systemd --user make them), and in
# $NOOK_OTHER_USER's home under /home. Every socket is one the test user
# can connect to on the host (checked first); then, as the test user, each
# shipped profile runs tests/probe --connect against all of them.
# Run by contrib/quickstart.sh as root (see README here).
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_TEST_USER:?NOOK_TEST_USER must name the user who owns the containers}"
: "${NOOK_OTHER_USER:?NOOK_OTHER_USER must name a second local user}"
: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP runs as root (contrib/quickstart.sh test does that)"
	exit 0
fi
t_need python3 "no python3 to listen on unix sockets"
t_need_probe
U=$NOOK_TEST_USER
uid=$(id -u "$U") gid=$(id -g "$U") || exit 1
uhome=$(getent passwd "$U" | cut -d: -f6)
O=$NOOK_OTHER_USER
ohome=$(getent passwd "$O" | cut -d: -f6)
case $ohome in /home/?*) ;; *) ohome=/home/$O ;; esac

# the test user's scratch directory (lib.sh's $T is root's)
W=$(mktemp -d /tmp/nook-hsroot.XXXXXX) || exit 1
chown "$U" "$W"
cp "$NOOK_BUILDDIR/tests/probe" "$W/probe" && chmod 755 "$W/probe"
P=/tmp/nook-probe

RUN=$(mktemp -d /run/nook-test-XXXXXX) && chmod 755 "$RUN"
VRUN=$(mktemp -d /var/run/nook-test-XXXXXX) && chmod 755 "$VRUN"
XDG=/run/user/$uid
made_xdg=
if [ ! -d "$XDG" ]; then
	mkdir -p /run/user && mkdir -m 700 "$XDG" && chown "$U:$gid" "$XDG" && made_xdg=1
fi
made_ohome=
if [ ! -d "$ohome" ]; then
	mkdir -p "$ohome" && chown "$O" "$ohome" && chmod 755 "$ohome" && made_ohome=1
fi
OH=$ohome/.nook-hs.$$
mkdir -m 755 "$OH" && chown "$O" "$OH"
XS="$XDG/nook-hs-ssh-agent $XDG/nook-hs-bus $XDG/nook-hs-systemd-private"

srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	rm -rf "$W" "$RUN" "$VRUN" "$OH" "$T"
	# shellcheck disable=SC2086
	rm -f $XS
	# nook keeps its state (and seccomp cache) in $XDG_RUNTIME_DIR/nook
	[ -n "$made_xdg" ] && rm -rf "$XDG"
	[ -n "$made_ohome" ] && rm -rf "$ohome"
}
trap cleanup EXIT

places="run=$RUN/agent.sock
docker-like=$RUN/docker.sock
var-run=$VRUN/agent.sock
user-runtime-ssh-agent=$XDG/nook-hs-ssh-agent
user-runtime-bus=$XDG/nook-hs-bus
user-runtime-systemd=$XDG/nook-hs-systemd-private
other-users-home=$OH/agent.sock"
paths=$(printf '%s\n' "$places" | cut -d= -f2-)

cat > "$W/listen.py" <<'EOF'
import socket, sys, time
socks = []
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind(p)
    s.listen(64)
    socks.append(s)
open(sys.argv[1], "w").close()
time.sleep(600)
EOF
# shellcheck disable=SC2086
python3 "$W/listen.py" "$W/ready" $paths &
srv=$!
wait_file "$W/ready" 10 || { echo "Bail out! the socket listener did not start"; exit 1; }
# the sockets as their owners would leave them
chmod 666 "$RUN/agent.sock" "$VRUN/agent.sock" "$OH/agent.sock"
chgrp "$gid" "$RUN/docker.sock" && chmod 660 "$RUN/docker.sock"
chown "$O" "$OH/agent.sock"
# shellcheck disable=SC2086
chown "$U:$gid" $XS && chmod 600 $XS

# as_user CMD...: run CMD as the test user with a clean environment; sets
# rc, out and err (lib.sh's nkx)
as_user() {
	nkx runuser -u "$U" -- env -i HOME="$uhome" USER="$U" PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		XDG_RUNTIME_DIR="$XDG" NOOK_PROFILE_PATH="$NOOK_PROFILE_PATH" NOOK_HOLDER_IDLE=15 \
		NOOK_CI_ROOTFS="$W/rootfs" NOOK_DEV_ROOTFS="$W/devroot" "$@"
}

# shellcheck disable=SC2086
as_user "$W/probe" --connect $paths
n=$(printf '%s\n' "$paths" | wc -l)
chk "on the host, $U connects to all $n sockets" "$n" "$(printf '%s\n' "$out" | grep -c ': ok$')"

# probe_run PROFILE [NOOK-OPTIONS...]
probe_run() {
	_prof=$1; shift
	# shellcheck disable=SC2086
	as_user sh -c 'cd "$1" && shift && exec "$@"' sh "$W/ws" \
		"$NOOK" run -v "$W/probe:$P:ro" "$@" "$_prof" -- "$P" --connect $paths
	if [ "$rc" != 0 ]; then
		t_fail "$_prof: the probe ran" "$(_diag)"
		return
	fi
	printf '%s\n' "$places" | while IFS='=' read -r _name _path; do
		_got=$(printf '%s\n' "$out" | sed -n "s|^connect $_path: ||p")
		case $_got in
		ok) echo "not ok - $_prof: $_name socket ($_path) is reachable" ;;
		E*) ;;
		*) echo "not ok - $_prof: $_name ($_path): no answer from the probe" ;;
		esac
	done > "$W/bad"
	if [ -s "$W/bad" ]; then
		t_fail "$_prof (as $U): no host socket in /run, /var/run, /run/user/$uid or $O's home is reachable" \
			"$(cat "$W/bad")" "$(_diag)"
	else
		t_ok "$_prof (as $U): no host socket in /run, /var/run, /run/user/$uid or $O's home is reachable"
	fi
}

as_user sh -c "mkdir -p '$W/ws' && sh '$NOOK_SRCDIR/tests/integration/mkrootfs.sh' '$W/rootfs' && sh '$NOOK_SRCDIR/tests/integration/mkrootfs.sh' '$W/devroot'"
[ "$rc" = 0 ] || t_fail "build the busybox rootfs for ci and dev" "$(_diag)"

probe_run default
probe_run strict --set "security.landlock.execute+=[$P]"
probe_run desktop
probe_run ci
if grep -q "^$U:" /etc/subuid 2>/dev/null || grep -q "^$uid:" /etc/subuid 2>/dev/null; then
	probe_run dev
else
	t_skip "dev (as $U): no host socket is reachable" "$U has no subordinate id range"
fi

# name resolution still works with /run hidden
as_user "$NOOK" run default -- /bin/sh -c 'getent hosts localhost >/dev/null && echo getent-ok; if [ -e /etc/resolv.conf ]; then cat /etc/resolv.conf >/dev/null && echo resolv-ok; else echo resolv-missing; fi'
want_resolv=resolv-ok
[ -e /etc/resolv.conf ] || want_resolv=resolv-missing
chk "default (as $U): getent hosts localhost works, /etc/resolv.conf reads as on the host" "getent-ok $want_resolv" "$(printf '%s' "$out" | tr '\n' ' ')"

t_done
