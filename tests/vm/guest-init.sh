#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# guest-init.sh - second stage of the VM tests; PID 1 inside the guest.
#
# The first stage (mkinitramfs.sh) has made the host's root, shared
# read-only over 9p, writable with a tmpfs overlay and switch_rooted here.
# This script sets the guest up the way a systemd host with cgroup v2 is
# set up for a logged-in user, then runs tests/vm/cgroup-tests.sh as that
# user and sends its TAP output to the second serial port, which the host
# runner (cgroup-vm.sh) reads. Kernel command line parameters:
#   nook.bin=PATH   the nook binary under test
#   nook.src=DIR    the source tree
#   nook.user=NAME  the unprivileged test user
#   nook.tests=F,G  test scripts, comma-separated (default: tests/vm/cgroup-tests.sh
#                   and tests/integration/cgroup.sh, both from the source tree)
# Whatever happens, the guest powers off at the end.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
out=/dev/ttyS1

say() { echo "$*" > "$out"; }
bye() {
	sync
	/bin/busybox reboot -f
	sleep 5
	echo o > /proc/sysrq-trigger
}
die() {
	say "nook-vm: guest setup failed: $*"
	bye
}

bin= src= user= tests=
for arg in $(cat /proc/cmdline); do
	case $arg in
	nook.bin=*) bin=${arg#nook.bin=} ;;
	nook.src=*) src=${arg#nook.src=} ;;
	nook.user=*) user=${arg#nook.user=} ;;
	nook.tests=*) tests=${arg#nook.tests=} ;;
	esac
done
[ -n "$bin" ] && [ -n "$src" ] && [ -n "$user" ] || die "nook.bin, nook.src or nook.user missing from the kernel command line"
uid=$(id -u "$user") || die "no user $user"
gid=$(id -g "$user") || die "no group for $user"
home=$(getent passwd "$user" | cut -d: -f6)
say "nook-vm: booted $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime)s"

# --- file systems a system has ------------------------------------------
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts || die "devpts"
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || die "/dev/shm"
mount -t tmpfs -o mode=0755 tmpfs /run || die "/run"
# A fresh /tmp, so that nothing the host left in its /tmp confuses the
# tests; directories of the build and source trees under /tmp stay visible.
mkdir -p /run/hosttmp
mount --bind /tmp /run/hosttmp || die "bind /tmp"
mount -t tmpfs -o mode=1777 tmpfs /tmp || die "/tmp"
for keep in "$(dirname "$bin")" "$src"; do
	case $keep in
	/tmp/*)
		mkdir -p "$keep"
		mount --bind "/run/hosttmp/${keep#/tmp/}" "$keep" || die "bind $keep"
		;;
	esac
done
[ -x "$bin" ] || die "$bin is not an executable in the guest"
for d in /dev/fuse /dev/net/tun; do [ -e "$d" ] && chmod 0666 "$d"; done
hostname nook-vm
ip link set lo up 2>/dev/null

# --- cgroup v2 with every controller, delegated like systemd does -------
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup || die "cannot mount cgroup2"
cg=/sys/fs/cgroup
enable_all() {
	for c in $(cat "$1/cgroup.controllers"); do
		echo "+$c" > "$1/cgroup.subtree_control" 2>/dev/null
	done
}
svc=$cg/user.slice/user-$uid.slice/user@$uid.service
mkdir -p "$svc" || die "mkdir $svc"
enable_all "$cg"
enable_all "$cg/user.slice"
enable_all "$cg/user.slice/user-$uid.slice"
# systemd's Delegate=yes: the unit's directory and these files belong to the user
chown "$uid:$gid" "$svc"
for f in cgroup.procs cgroup.threads cgroup.subtree_control memory.oom.group memory.reclaim; do
	[ -e "$svc/$f" ] && chown "$uid:$gid" "$svc/$f"
done
# The user's manager then makes its own tree (as the user). A test run
# from a shell lands in a scope like `systemd-run --user --scope` gives:
# a delegated cgroup that holds the shell's processes.
scope=$svc/app.slice/nook-tests.scope
setpriv --reuid="$uid" --regid="$gid" --init-groups sh -c "
	for c in \$(cat '$svc/cgroup.controllers'); do echo +\$c > '$svc/cgroup.subtree_control'; done
	mkdir -p '$scope' &&
	for c in \$(cat '$svc/app.slice/cgroup.controllers'); do echo +\$c > '$svc/app.slice/cgroup.subtree_control'; done
" || die "cannot build the user's cgroup tree"
say "nook-vm: cgroup2 ready: $(cat $cg/cgroup.subtree_control); test cgroup $scope"

# --- the tests ------------------------------------------------------------
mkdir -p "/run/user/$uid"
chown "$uid:$gid" "/run/user/$uid"
chmod 0700 "/run/user/$uid"
status=0
for t in $(echo "${tests:-$src/tests/vm/cgroup-tests.sh,$src/tests/integration/cgroup.sh,$src/tests/vm/oci-cgroup-tests.sh}" | tr ',' ' '); do
	say "nook-vm: running $t"
	# Only the test user's processes go into its scope (PID 1 stays in the
	# root cgroup, as on a real system); once nook has arranged the scope,
	# the user's shell lives on in its nook-init leaf.
	into=$scope
	[ -d "$scope/nook-init" ] && into=$scope/nook-init
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$into" \
	setpriv --reuid="$uid" --regid="$gid" --init-groups \
		env -i HOME="$home" USER="$user" LOGNAME="$user" PATH="$PATH" \
		XDG_RUNTIME_DIR="/run/user/$uid" TMPDIR=/tmp \
		NOOK="$bin" NOOK_SRCDIR="$src" NOOK_BUILDDIR="$(dirname "$bin")" NOOK_PROFILE_PATH="$src/profiles" \
		NOOK_VM_DELEGATED="$svc" NOOK_VM_SCOPE="$scope" \
		sh "$t" > "$out" 2>&1 || status=$?
done
say "nook-vm: done status=$status"
bye
