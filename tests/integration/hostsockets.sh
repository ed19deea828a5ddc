#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# hostsockets.sh - the host's unix sockets are out of the container's reach
# (security issue 11): a read-only mount does not stop connect(), so every
# shipped profile must keep the places where sockets live empty unless it
# binds a socket on purpose.
#
# As the unprivileged test user, python3 listens on unix sockets in every
# place this user can write that a profile could show: a fake
# $XDG_RUNTIME_DIR, $HOME, the user's real home under /home (as another
# user's home would be), /var/tmp, /tmp, /run/lock, and an abstract socket.
# tests/probe --connect then tries each from inside default, strict,
# desktop, ci and dev. Positive controls (desktop's Wayland socket, dev's
# bound home, an explicit bind, scope: []) prove the probe does connect
# when a socket is reachable. The places only root can create (/run,
# /run/user/UID, other users' homes) are in asroot/hostsockets.sh.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

t_tag_runs hostsockets

t_need python3 "no python3 to listen on unix sockets"
t_need_probe
cp "$NOOK_BUILDDIR/tests/probe" "$T/probe" && chmod 755 "$T/probe"
P=/tmp/nook-probe

# ---------------------------------------------------------------- listeners
VT=$(mktemp -d /var/tmp/nook-hs.XXXXXX) || exit 1
XDG=$VT/xdg
mkdir -p "$XDG" "$T/home" && chmod 700 "$XDG"
# the user's real home, where another user's home would be: the default
# profile used to show /home read-only
realhome=$(getent passwd "$(id -un)" | cut -d: -f6)
RH=
case $realhome in
/home/?*) [ -d "$realhome" ] && [ -w "$realhome" ] && RH=$realhome/.nook-hs.$$ && mkdir -p "$RH" ;;
esac
LOCK=
[ -d /run/lock ] && [ -w /run/lock ] && LOCK=/run/lock/nook-hs.$$ && mkdir -p "$LOCK"
ABS=@nook-hs.$$
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	rm -rf "$VT" ${RH:+"$RH"} ${LOCK:+"$LOCK"} "$T"
}
trap cleanup EXIT

# places: NAME=PATH, one a line; each must stay out of reach
places="xdg-agent=$XDG/gnupg-agent
xdg-private=$XDG/systemd-private
home=$T/home/agent.sock
var-tmp=$VT/agent.sock
tmp=$T/agent.sock
abstract=$ABS"
[ -n "$RH" ] && places="$places
other-home=$RH/agent.sock"
[ -n "$LOCK" ] && places="$places
run-lock=$LOCK/agent.sock"
paths=$(printf '%s\n' "$places" | cut -d= -f2-)

cat > "$T/listen.py" <<'EOF'
import socket, sys, time
socks = []
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind("\0" + p[1:] if p.startswith("@") else p)
    s.listen(64)
    socks.append(s)
open(sys.argv[1], "w").close()
time.sleep(600)
EOF
# shellcheck disable=SC2086
python3 "$T/listen.py" "$T/ready" $paths "$XDG/wayland-hs" &
srv=$!
wait_file "$T/ready" 10 || { echo "Bail out! the socket listener did not start"; exit 1; }

# the host itself reaches every socket: the probe can tell
# shellcheck disable=SC2086
out=$("$T/probe" --connect $paths)
chk "on the host, the probe connects to all $(printf '%s\n' "$paths" | wc -l) sockets" \
	"$(printf '%s\n' "$paths" | wc -l)" "$(printf '%s\n' "$out" | grep -c ': ok$')"

# probe_run LABEL PROFILE [NOOK-OPTIONS...]: run the probe against every
# place and check that none connects. The environment: HOME=$T/home,
# XDG_RUNTIME_DIR=$XDG.
probe_run() {
	_label=$1 _prof=$2; shift 2
	# shellcheck disable=SC2086
	HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=wayland-hs \
		nk run -v "$T/probe:$P:ro" "$@" "$_prof" -- "$P" --connect $paths "$XDG/wayland-hs"
	if [ "$rc" != 0 ]; then
		t_fail "$_label: the probe ran" "$(_diag)"
		return 1
	fi
	printf '%s\n' "$places" | while IFS='=' read -r _name _path; do
		_got=$(printf '%s\n' "$out" | sed -n "s|^connect $_path: ||p")
		case $_got in
		ok) echo "not ok - $_label: $_name socket ($_path) is reachable" ;;
		E*) ;;
		*) echo "not ok - $_label: $_name ($_path): no answer from the probe" ;;
		esac
	done > "$T/bad"
	if [ -s "$T/bad" ]; then
		t_fail "$_label: no host socket is reachable" "$(cat "$T/bad")" "$(_diag)"
	else
		t_ok "$_label: no host socket is reachable ($(printf '%s\n' "$places" | wc -l) places)"
	fi
}
wayland() { printf '%s\n' "$out" | sed -n "s|^connect $XDG/wayland-hs: ||p"; }

# ---------------------------------------------------------------- default
probe_run default default
chkre "default: a socket in the runtime dir is not reachable either" "^E" "$(wayland)"

HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run default -- /bin/sh -c \
	'echo "run=$(ls -A /run | wc -l) home=$(ls -A /home | wc -l) vartmp=$(ls -A /var/tmp) xdg=$(ls -A '"$XDG"' | wc -l)"'
# (/var/tmp holds only the mount point of the runtime dir, $VT/xdg)
chk "default: /run, /home, /var/tmp and \$XDG_RUNTIME_DIR are empty" "run=0 home=0 vartmp=${VT#/var/tmp/} xdg=0" "$out"

# name resolution still works with /run hidden
nk run default -- /bin/sh -c 'getent hosts localhost >/dev/null && echo getent-ok; if [ -e /etc/resolv.conf ]; then cat /etc/resolv.conf >/dev/null && echo resolv-ok; else echo resolv-missing; fi'
want_resolv=resolv-ok
[ -e /etc/resolv.conf ] || want_resolv=resolv-missing
chk "default: getent hosts localhost works, /etc/resolv.conf reads as on the host" "getent-ok $want_resolv" "$(printf '%s' "$out" | tr '\n' ' ')"
nk run --network host default -- /bin/sh -c 'if [ -e /etc/resolv.conf ]; then cat /etc/resolv.conf >/dev/null && echo resolv-ok; else echo resolv-missing; fi'
chk "default --network host: /etc/resolv.conf reads as on the host" "$want_resolv" "$out"

# an explicit bind still shows a socket on purpose, and --verbose says so
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --verbose -v "$T/probe:$P:ro" \
	--set "mounts+=[{type: ro-bind, source: \"$VT\", target: \"$VT\"}]" default -- "$P" --connect "$VT/agent.sock"
chk "default + a bind of the socket's directory: reachable on purpose" "connect $VT/agent.sock: ok" "$out"
chkre "default + a bind: --verbose names the reachable socket" "nook: a host unix socket is reachable in the container: $VT/agent.sock" "$err"
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --verbose default -- /bin/true
chkre "default: --verbose counts no reachable host socket" "nook: host unix sockets reachable in the container: 0$" "$err"
chknore "default: --verbose names none" "a host unix socket is reachable" "$err"

# sharing the host's network namespace: Landlock scopes abstract sockets
# (ABI 6, Linux 6.12; the ABI asked of the kernel itself, not of nook)
ll_abi=$(python3 -c 'import ctypes; print(max(ctypes.CDLL(None, use_errno=True).syscall(444, None, 0, 1), 0))' 2>/dev/null)
if [ "${ll_abi:-0}" -ge 6 ]; then
	HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --verbose --network host -v "$T/probe:$P:ro" default -- "$P" --connect "$ABS"
	chkre "default --network host: the host's abstract socket is not reachable (Landlock scope)" "^connect $ABS: E" "$out"
	chkre "default --network host: --verbose says abstract sockets are scoped" "nook: landlock: scoped abstract unix sockets" "$err"
	nk run --network host -v "$T/probe:$P:ro" --set 'security.landlock.scope=[]' default -- "$P" --connect "$ABS"
	chk "default --network host, scope: [] - the abstract socket is reachable (the probe can tell)" "connect $ABS: ok" "$out"
	nk run --set 'security.landlock.scope=[signal]' default -- /bin/sh -c 'kill -0 1 2>/dev/null && echo signalled; echo done'
	chk "scope: [signal] - the payload cannot signal nook's reaper outside its domain" "done" "$out"
	nk run default -- /bin/sh -c 'kill -0 1 2>/dev/null && echo signalled; echo done'
	chk "without scope: the payload can signal its reaper (the check can tell)" "signalled done" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
else
	t_skip "default --network host: the host's abstract socket is not reachable" "this kernel's Landlock ABI is ${ll_abi:-0}; scoping needs 6"
fi

# ---------------------------------------------------------------- strict
probe_run strict strict --set "security.landlock.execute+=[$P]"

# ---------------------------------------------------------------- desktop
# the listener speaks no Wayland: no security context (wayland-secctx.sh tests that)
NOSC="--set wayland.security_context=off"
probe_run desktop desktop $NOSC
chk "desktop: its Wayland socket is reachable, bound on purpose" "ok" "$(wayland)"
HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=wayland-hs nk run $NOSC desktop -- /bin/sh -c 'ls -A "$XDG_RUNTIME_DIR" | tr "\n" " "; ls -A /run | tr "\n" " "'
chk "desktop: the runtime dir holds only the Wayland socket, /run nothing" "wayland-hs " "$out"
probe_run "desktop --network host" desktop --network host $NOSC

# ---------------------------------------------------------------- ci
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/rootfs" >/dev/null 2>&1 || t_fail "ci: build a busybox rootfs"
mkdir -p "$T/ws"
cd "$T/ws" || exit 1
export NOOK_CI_ROOTFS="$T/rootfs"
probe_run ci ci
unset NOOK_CI_ROOTFS
cd "$T" || exit 1

# ---------------------------------------------------------------- dev
t_subids
if [ "$have_subuid" = 1 ]; then
	sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/devroot" >/dev/null 2>&1
	# dev binds $HOME on purpose: leave the home socket out, check it apart
	places_all=$places
	places=$(printf '%s\n' "$places_all" | grep -v '^home=')
	export NOOK_DEV_ROOTFS="$T/devroot"
	probe_run "dev (but its bound home)" dev
	unset NOOK_DEV_ROOTFS
	places=$places_all
	chk "dev: the home it binds on purpose is reachable (the probe can tell)" "ok" \
		"$(printf '%s\n' "$out" | sed -n "s|^connect $T/home/agent.sock: ||p")"
else
	t_skip "dev: no host socket is reachable" "no subordinate id range for $(id -un)"
fi

# ---------------------------------------------------------------- resolv.conf
# a root whose /etc/resolv.conf links into /run (systemd-resolved): hiding
# /run keeps the file the link led to
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/rl" >/dev/null 2>&1
mkdir -p "$T/rl/run/systemd/resolve"
echo "nameserver 192.0.2.53" > "$T/rl/run/systemd/resolve/stub-resolv.conf"
rm -f "$T/rl/etc/resolv.conf"
ln -s ../run/systemd/resolve/stub-resolv.conf "$T/rl/etc/resolv.conf"
cat > "$T/rl.yaml" <<EOF
rootfs: {path: "$T/rl", readonly: true}
mounts:
  - {type: tmpfs, target: /run}
process: {args: [/bin/sh]}
EOF
nk run "$T/rl.yaml" -- /bin/sh -c 'cat /etc/resolv.conf; ls -A /run/systemd/resolve'
chk "resolv.conf linked into a hidden /run: the file it led to is kept" "0:nameserver 192.0.2.53 stub-resolv.conf" "$rc:$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
nk run --network slirp "$T/rl.yaml" -- /bin/cat /etc/resolv.conf
chkre "resolv.conf linked into a hidden /run, slirp network: nook's own" "^nameserver 10\\.0\\.2\\.3$" "$out"

kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; srv=
t_clean "hostsockets"
t_done
