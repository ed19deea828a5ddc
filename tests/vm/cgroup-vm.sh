#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup-vm.sh - nook's cgroup v2 limits, proved in a real cgroup-v2 kernel.
#
# The hosts nook is developed on run a cgroup v1/v2 hybrid, so this test
# boots Debian's linux-image-amd64 kernel under qemu (KVM when usable,
# otherwise TCG) with a small initramfs (mkinitramfs.sh), the host's root
# shared read-only over 9p with a tmpfs overlay, cgroup2 at /sys/fs/cgroup
# with every controller and the test user's subtree delegated the way
# systemd delegates it (guest-init.sh). Inside, tests/vm/cgroup-tests.sh,
# tests/integration/cgroup.sh and tests/vm/oci-cgroup-tests.sh (nook-oci's
# cgroup leaves) run as the test user; their TAP lines come
# back over the second serial port and are reported here, one by one, so
# the test runner counts them.
# A guest that does not boot or does not finish is a failure, not a skip.
#
# Environment: NOOK (the binary), NOOK_SRCDIR; optional NOOK_VM_KERNEL
# (a vmlinuz; default the newest /boot/vmlinuz-*-amd64 with modules),
# NOOK_VM_TIMEOUT (seconds, default 900: under TCG the three scripts take
# about 400 s), NOOK_VM_TESTS (comma-separated test scripts to run in the
# guest instead of those three), NOOK_VM_USER (the guest's test user when
# this runs as root; default nooktest), NOOK_VM_KEEP=1 keeps
# the console log in $NOOK_BUILDDIR/vm-console.log.
set -u
: "${NOOK:?NOOK must point at the nook binary}"
: "${NOOK_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
PATH=$PATH:/usr/sbin:/sbin

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)); failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/#   /'
	return 0
}
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit $?
}

T=$(mktemp -d "${TMPDIR:-/tmp}/nook-vm.XXXXXX")
trap 'rm -rf "$T"' EXIT

# --- what we boot -------------------------------------------------------
kernel=${NOOK_VM_KERNEL:-}
if [ -z "$kernel" ]; then
	for k in $(ls -v /boot/vmlinuz-*-amd64 2>/dev/null); do
		[ -d "/lib/modules/${k#/boot/vmlinuz-}" ] && kernel=$k
	done
fi
qemu=$(command -v qemu-system-x86_64)
nook=$(cd "$(dirname "$NOOK")" && pwd)/$(basename "$NOOK")
src=$(cd "$NOOK_SRCDIR" && pwd)
if [ "$(id -u)" = 0 ]; then user=${NOOK_VM_USER:-nooktest}; else user=$(id -un); fi
why=
[ -n "$qemu" ] || why="qemu-system-x86_64 is missing (apt-get install qemu-system-x86, or contrib/setup-host.sh --test)"
[ -n "$kernel" ] && [ -r "$kernel" ] || why="no readable /boot/vmlinuz-*-amd64 with modules (apt-get install linux-image-amd64)"
[ -x "$nook" ] || why="$nook is not built"
case "$nook$src$user" in *[[:space:]]*) why="paths with blanks cannot go on the kernel command line: $nook $src" ;; esac
if [ -n "$why" ]; then
	notok "vm: set up the guest" "$why"
	finish
fi
kver=${kernel#*/vmlinuz-}

if ! "$src/tests/vm/mkinitramfs.sh" "$kver" "$T/initrd.gz" > "$T/mkinitramfs.log" 2>&1; then
	notok "vm: build the initramfs for $kver" "$(cat "$T/mkinitramfs.log")"
	finish
fi

accel=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then accel=kvm:tcg; fi
timeout=${NOOK_VM_TIMEOUT:-900}
run_qemu() {
	start=$(date +%s)
	timeout -k 5 "$timeout" "$qemu" \
		-machine "q35,accel=$accel" -cpu max -smp 2 -m 1536 \
		-nodefaults -display none -no-reboot -no-user-config \
		-kernel "$kernel" -initrd "$T/initrd.gz" \
		-append "console=ttyS0 panic=-1 quiet loglevel=4 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 nook.stage2=$src/tests/vm/guest-init.sh nook.bin=$nook nook.src=$src nook.user=$user${NOOK_VM_TESTS:+ nook.tests=$NOOK_VM_TESTS}" \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		-serial "file:$T/console.log" -serial "file:$T/tap.txt" \
		> "$T/qemu.log" 2>&1
	qemu_status=$?
	elapsed=$(( $(date +%s) - start ))
}
run_qemu
# a /dev/kvm that opens but cannot run this guest (nested virtualisation
# refusing an MSR: qemu aborts at once instead of falling back): TCG
if [ "$accel" != tcg ] && [ "$qemu_status" != 0 ] && ! grep -q '^nook-vm: booted' "$T/tap.txt" 2>/dev/null; then
	echo "# KVM failed ($(grep -m1 -i 'error\|assert' "$T/qemu.log")); again with TCG"
	accel=tcg
	: > "$T/tap.txt"
	run_qemu
fi
[ "${NOOK_VM_KEEP:-}" = 1 ] && cp "$T/console.log" "${NOOK_BUILDDIR:-.}/vm-console.log"
touch "$T/tap.txt"
# The serial port gives us \r\n.
tr -d '\r' < "$T/tap.txt" > "$T/tap"

console_tail() { tail -n 25 "$T/console.log" 2>/dev/null; cat "$T/qemu.log"; }

if ! grep -q '^nook-vm: booted' "$T/tap"; then
	notok "vm: the guest boots ($accel, kernel $kver)" "qemu exit status $qemu_status after ${elapsed}s" \
		"$(grep '^nook-vm:' "$T/tap")" "$(console_tail)"
	finish
fi
ok "vm: the guest boots ($accel, kernel $kver, $(sed -n 's/^nook-vm: booted .*uptime //p' "$T/tap"))"
if grep -q '^nook-vm: guest setup failed' "$T/tap"; then
	notok "vm: guest setup" "$(grep '^nook-vm:' "$T/tap")" "$(console_tail)"
	finish
fi

# Relay the guest's TAP lines with our own numbering; the plans of the
# guest's scripts add up.
plan=0 seen=0 script=
while IFS= read -r line; do
	case $line in
	"nook-vm: running "*)
		script=$(basename "${line#nook-vm: running }" .sh)
		echo "# guest: $line"
		;;
	"ok "*|"not ok "*)
		seen=$((seen + 1))
		case $line in "not ok "*) st=notok; rest=${line#not ok } ;; *) st=ok; rest=${line#ok } ;; esac
		desc=$(printf '%s' "$rest" | sed 's/^[0-9]* *-* *//')
		if [ $st = ok ]; then
			case $desc in
			*"# SKIP"*) n=$((n + 1)); echo "ok $n - vm $script: $desc" ;;
			*) ok "vm $script: $desc" ;;
			esac
		else
			notok "vm $script: $desc"
		fi
		;;
	"#"*) echo "$line" ;;
	1..*)
		p=${line#1..}
		p=${p%%[!0-9]*}
		plan=$((plan + ${p:-0}))
		;;
	*) printf '# guest: %s\n' "$line" ;;
	esac
done < "$T/tap"

done_line=$(grep '^nook-vm: done' "$T/tap")
if [ -z "$done_line" ]; then
	notok "vm: the guest tests finish within ${timeout}s" "qemu exit status $qemu_status after ${elapsed}s" "$(console_tail)"
elif [ "$plan" = 0 ] || [ "$plan" != "$seen" ]; then
	notok "vm: the guest ran its whole plan" "plans add up to $plan, saw $seen results; $done_line"
else
	ok "vm: the guest ran all $seen tests in ${elapsed}s ($done_line)"
fi
finish
