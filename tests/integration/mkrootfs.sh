#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mkrootfs.sh - build a minimal busybox root filesystem for the tests.
#
#   sh mkrootfs.sh DIR
#
# DIR gets bin/busybox (busybox-static) with one symlink per applet, sbin,
# usr/bin and usr/sbin pointing at bin, etc/passwd, etc/group, etc/hosts,
# etc/resolv.conf, etc/hostname, and empty proc/ dev/ sys/ tmp/ mnt/ root/
# run/ home/ directories. It needs no privileges and is idempotent: an
# existing DIR is completed, not wiped. $BUSYBOX overrides the binary.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: sh mkrootfs.sh DIR" >&2
	exit 2
fi
dir=$1

bb=${BUSYBOX:-}
if [ -z "$bb" ]; then
	for c in /bin/busybox /usr/bin/busybox; do
		[ -x "$c" ] && { bb=$c; break; }
	done
fi
if [ -z "$bb" ] || [ ! -x "$bb" ]; then
	echo "mkrootfs.sh: busybox not found (install busybox-static)" >&2
	exit 1
fi
# A dynamically linked busybox would not run inside the rootfs.
if command -v file >/dev/null 2>&1 && file -L "$bb" | grep -q 'dynamically linked'; then
	echo "mkrootfs.sh: $bb is dynamically linked (install busybox-static)" >&2
	exit 1
fi

mkdir -p "$dir"
cd "$dir"
mkdir -p bin etc proc dev sys tmp mnt root run home usr
chmod 1777 tmp
chmod 0700 root

if [ ! -x bin/busybox ] || ! cmp -s "$bb" bin/busybox; then
	cp "$bb" bin/busybox.new
	chmod 0755 bin/busybox.new
	mv -f bin/busybox.new bin/busybox
fi
for a in $("$bb" --list); do
	case $a in
	busybox|*/*) continue ;;
	esac
	[ -e "bin/$a" ] || [ -L "bin/$a" ] || ln -s busybox "bin/$a"
done
[ -e sbin ] || ln -s bin sbin
[ -e usr/bin ] || ln -s ../bin usr/bin
[ -e usr/sbin ] || ln -s ../bin usr/sbin

cat > etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > etc/group <<'EOF'
root:x:0:
user:x:1000:
nogroup:x:65534:
EOF
cat > etc/hosts <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
cat > etc/resolv.conf <<'EOF'
nameserver 127.0.0.1
EOF
echo nook > etc/hostname
mkdir -p home/user
chmod 0644 etc/passwd etc/group etc/hosts etc/resolv.conf etc/hostname
exit 0
