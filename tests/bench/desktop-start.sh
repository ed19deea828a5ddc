#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# desktop-start.sh - what the D-Bus proxy costs at start, against the peer
# that does the same (flatpak's way: xdg-dbus-proxy --fd, then bubblewrap
# with only the proxy's socket), with hyperfine, interleaved runs of:
#   bwrap-proxy   xdg-dbus-proxy (waited for on its --fd pipe) + bwrap
#                 --ro-bind / / with the proxy's socket, running a D-Bus call
#   nook-desktop  nook run desktop, running the same call
#   bwrap-true    bwrap --ro-bind / / true (no bus)
#   nook-nobus    nook run desktop -- true with no session bus (no proxy)
#   nook-bus      nook run desktop -- true (the proxy started and stopped)
# The call is `gdbus call ... org.freedesktop.DBus.GetId` through the proxy
# to a dbus-daemon this script starts. Timing never fails the script.
#
#   NOOK=/path/to/nook sh tests/bench/desktop-start.sh
# Environment: NOOK, RUNS (default 50), BENCH_USER (when run as root,
# default nooktest), NOOK_PROFILE_PATH (default: the source tree's).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}
if [ "$(id -u)" = 0 ]; then
	exec runuser -u "$BENCH_USER" -- env NOOK="${NOOK:-$(command -v nook || true)}" RUNS="${RUNS:-}" \
		NOOK_PROFILE_PATH="${NOOK_PROFILE_PATH:-}" PATH="$PATH" sh "$here/desktop-start.sh" "$@"
fi
NOOK=${NOOK:-$(command -v nook || true)}
RUNS=${RUNS:-50}
[ -n "${NOOK_PROFILE_PATH:-}" ] || NOOK_PROFILE_PATH=$(cd "$here/../../profiles" && pwd)
export NOOK_PROFILE_PATH
for c in hyperfine bwrap xdg-dbus-proxy dbus-daemon gdbus; do
	command -v "$c" >/dev/null || { echo "desktop-start.sh: $c is not installed" >&2; exit 2; }
done
W=$(mktemp -d /tmp/nook-bench-desktop.XXXXXX)
dbus-daemon --session --address="unix:path=$W/bus" --nofork --nopidfile --print-address=3 3>"$W/addr" 2>/dev/null &
dpid=$!
trap 'kill $dpid 2>/dev/null; rm -rf "$W"' EXIT
i=0; while [ ! -s "$W/addr" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
mkdir -p "$W/xdg" "$W/home" && chmod 700 "$W/xdg"
export DBUS_SESSION_BUS_ADDRESS="unix:path=$W/bus" XDG_RUNTIME_DIR="$W/xdg" HOME="$W/home"
CALL="gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m org.freedesktop.DBus.GetId"

# the peer, as flatpak does it: the proxy's --fd is a pipe (here a FIFO the
# shell keeps open for the sandbox's lifetime), one byte = ready
cat > "$W/peer.sh" <<'EOP'
d=$(mktemp -d "$W/p.XXXXXX")
mkfifo "$d/sync"
exec 4<>"$d/sync"
xdg-dbus-proxy --fd=5 "$DBUS_SESSION_BUS_ADDRESS" "$d/bus" --filter --talk=org.freedesktop.portal.* \
	--talk=org.freedesktop.Notifications 5>"$d/sync" &
p=$!
head -c1 <&4 >/dev/null
bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp \
	--tmpfs /run --tmpfs "$XDG_RUNTIME_DIR" --bind "$d/bus" "$XDG_RUNTIME_DIR/bus" \
	--setenv DBUS_SESSION_BUS_ADDRESS "unix:path=$XDG_RUNTIME_DIR/bus" "$@"
r=$?
kill $p; wait $p 2>/dev/null
rm -rf "$d"
exit $r
EOP
export W
echo "nook: $NOOK ($(ldd "$NOOK" | grep -c asan) asan libs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 5 -r "$RUNS" --export-markdown "$W/res.md" \
	-n bwrap-proxy "sh $W/peer.sh $CALL" \
	-n nook-desktop "$NOOK run desktop -- $CALL" \
	-n bwrap-true "bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp true" \
	-n nook-nobus "env DBUS_SESSION_BUS_ADDRESS=unix:path=$W/none $NOOK run desktop -- true" \
	-n nook-bus "$NOOK run desktop -- true" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
cat "$W/res.md"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
