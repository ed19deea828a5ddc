#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# setup-host.sh - prepare a Debian 12 machine to build and test nook (run as root).
#
# It is idempotent. It does exactly this and nothing else to the machine:
#  1. installs the Debian packages nook needs to build, run and be tested;
#  2. creates the unprivileged user $NOOK_TEST_USER (default: nooktest) with
#     subordinate uid/gid ranges in /etc/subuid and /etc/subgid;
#  3. gives /dev/fuse and /dev/net/tun mode 0666, as stock distributions ship
#     them (fuse-overlayfs and slirp4netns open them as a normal user).
# It does not touch cgroup mounts or kernel settings.
set -eu

NOOK_TEST_USER=${NOOK_TEST_USER:-nooktest}
SUBID_START=${NOOK_SUBID_START:-200000}
SUBID_COUNT=${NOOK_SUBID_COUNT:-65536}

if [ "$(id -u)" != 0 ]; then
	echo "setup-host.sh: run me as root (sudo $0)" >&2
	exit 1
fi

PACKAGES="build-essential autoconf automake libtool pkg-config
libcap-dev libseccomp-dev libyaml-dev libsubid-dev libjson-c-dev libarchive-dev
check uidmap slirp4netns fuse-overlayfs busybox-static bubblewrap scdoc
iproute2 procps util-linux python3 clang skopeo xdg-dbus-proxy"
# Only for the tests and benchmarks; installed with --test.
# Real components the tests start themselves: a registry, image tools, podman
# with runc/crun and conmon, a D-Bus daemon, X and Wayland servers and clients.
TEST_PACKAGES="hyperfine iperf3 passt qemu-system-x86 linux-image-amd64 cpio kmod strace
golang-github-containers-common docker-registry umoci podman runc crun conmon
dbus-daemon xvfb x11-apps x11-utils xauth weston wayland-utils libwayland-client0 python3-gi
desktop-file-utils libgtk-3-bin debootstrap"

want=$PACKAGES
[ "${1:-}" = "--test" ] && want="$PACKAGES $TEST_PACKAGES"
missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup-host.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if ! id "$NOOK_TEST_USER" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/sh "$NOOK_TEST_USER"
fi
for f in /etc/subuid /etc/subgid; do
	touch "$f"
	if ! grep -q "^$NOOK_TEST_USER:" "$f"; then
		echo "$NOOK_TEST_USER:$SUBID_START:$SUBID_COUNT" >> "$f"
	fi
done

# X servers the tests start (Xvfb) put their socket in /tmp/.X11-unix,
# which a desktop's boot creates (root's, mode 1777); a container has none
mkdir -p /tmp/.X11-unix && chmod 1777 /tmp/.X11-unix

for d in /dev/fuse /dev/net/tun; do
	[ -e "$d" ] && chmod 0666 "$d"
done
echo "setup-host.sh: ready (test user: $NOOK_TEST_USER)"
