#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# mkinitramfs.sh - build the small initramfs the VM tests boot with.
#
#   mkinitramfs.sh KVERSION OUTPUT
#
# The image holds busybox-static, the kernel modules needed to mount the
# host's root over 9p (virtio) and to put a tmpfs overlay on top of it,
# and a first-stage /init. /init mounts the host root read-only, makes it
# writable with an overlay whose upper layer is a tmpfs, and switch_roots
# into it to run the second stage named by nook.stage2= on the kernel
# command line (tests/vm/guest-init.sh from the source tree, which the
# guest sees at the same path as the host). No root privileges needed.
set -eu

kver=${1:?usage: mkinitramfs.sh KVERSION OUTPUT}
out=${2:?usage: mkinitramfs.sh KVERSION OUTPUT}
moddir=/lib/modules/$kver
busybox=${NOOK_VM_BUSYBOX:-/bin/busybox}

die() { echo "mkinitramfs.sh: $*" >&2; exit 1; }
[ -d "$moddir" ] || die "no modules for kernel $kver in $moddir (apt-get install linux-image-amd64)"
[ -x "$busybox" ] || die "$busybox missing (apt-get install busybox-static)"
command -v cpio >/dev/null || die "cpio missing (apt-get install cpio)"
command -v modprobe >/dev/null || PATH=$PATH:/sbin:/usr/sbin
command -v modprobe >/dev/null || die "modprobe missing (apt-get install kmod)"
# A dynamically linked busybox would need the host's libc in the initramfs.
if file -L "$busybox" 2>/dev/null | grep -q 'dynamically linked'; then
	die "$busybox is dynamically linked; install busybox-static"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/nook-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/proc" "$work/sys" "$work/dev" "$work/host" \
	"$work/rw" "$work/newroot" "$work/modules"
cp "$busybox" "$work/bin/busybox"
for app in sh mount umount mkdir insmod switch_root cat sleep echo reboot poweroff; do
	ln -s busybox "$work/bin/$app"
done

# Modules in dependency order, each once, as modprobe would load them.
: > "$work/modules/order"
for m in virtio_pci 9pnet_virtio 9p overlay; do
	modprobe -S "$kver" --show-depends "$m" | while read -r verb path _rest; do
		[ "$verb" = insmod ] || continue
		base=$(basename "$path")
		grep -qx "$base" "$work/modules/order" && continue
		case $path in
		*.ko) cp "$path" "$work/modules/$base" ;;
		*.ko.xz) base=${base%.xz}; xz -dc "$path" > "$work/modules/$base" ;;
		*.ko.zst) base=${base%.zst}; zstd -qdc "$path" > "$work/modules/$base" ;;
		*) die "unexpected module file $path" ;;
		esac
		echo "$base" >> "$work/modules/order"
	done
done

cat > "$work/init" <<'INIT'
#!/bin/sh
# First stage: host root over 9p, tmpfs overlay on top, switch_root.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
fail() {
	echo "nook-vm: stage1: $*" > /dev/ttyS1
	echo "nook-vm: stage1: $*"
	reboot -f
}
while read -r m; do
	insmod "/modules/$m" || fail "insmod $m failed"
done < /modules/order
stage2=
for arg in $(cat /proc/cmdline); do
	case $arg in nook.stage2=*) stage2=${arg#nook.stage2=} ;; esac
done
[ -n "$stage2" ] || fail "no nook.stage2= on the kernel command line"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,ro hostroot /host \
	|| fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 rw /rw || fail "cannot mount the tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
	|| fail "cannot mount the overlay over the host root"
mount --move /proc /newroot/proc
mount --move /sys /newroot/sys
mount --move /dev /newroot/dev
exec switch_root /newroot /bin/sh "$stage2"
INIT
chmod 0755 "$work/init"

(cd "$work" && find . -print | cpio -o -H newc --quiet) | gzip -1 > "$out"
