#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# debian.sh - a real Debian tree (issue 15): the root-owned tree that
# `debootstrap --variant=minbase bookworm` leaves (no /etc/hosts) runs in
# every mode and stays unchanged, and apt-get installs a package from the
# Debian mirror through slirp under the shipped `ci` profile (overlay, the
# install thrown away) and `dev` profile (the install kept), in a copy the
# test user unpacks into its own subordinate range. Without the
# capabilities root needs, apt fails and nook says which ones to add.
#
# debootstrap needs root: contrib/quickstart.sh test builds the tree once
# as root and caches it as $NOOK_TEST_DEBIAN_TAR (default
# /var/tmp/nook-debian-bookworm.tar) with the unpacked, root-owned tree
# beside it ($NOOK_TEST_DEBIAN_DIR, default: the same path without .tar).
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
t_tag_runs debian
t_subids

DEB_TAR=${NOOK_TEST_DEBIAN_TAR:-/var/tmp/nook-debian-bookworm.tar}
DEB_DIR=${NOOK_TEST_DEBIAN_DIR:-${DEB_TAR%.tar}}
if [ ! -r "$DEB_TAR" ]; then
	echo "1..0 # SKIP no Debian tree: $DEB_TAR is missing (contrib/quickstart.sh test builds it with debootstrap, as root; or set NOOK_TEST_DEBIAN_TAR)"
	exit 0
fi
t_need slirp4netns "the apt tests reach the Debian mirror through slirp4netns"
[ "$have_subuid" = 1 ] || { echo "1..0 # SKIP $me has no subordinate range (or newuidmap is missing): the tree is unpacked into it"; exit 0; }

sum() { find "$1" -printf '%p %m %u %g %s %T@ %C@\n' 2>/dev/null | sort | md5sum; }

# ---------------------------------------------------------------- the root-owned tree
if [ -d "$DEB_DIR/etc" ] && [ "$(stat -c %u "$DEB_DIR")" = 0 ]; then
	a=$(sum "$DEB_DIR")
	[ -e "$DEB_DIR/etc/hosts" ] && t_fail "set-up: a debootstrap tree has no /etc/hosts" "$DEB_DIR/etc/hosts exists"
	cat > "$T/ovl.yaml" <<EOF
rootfs: {path: $DEB_DIR, overlay: {}}
EOF
	cat > "$T/ovlf.yaml" <<EOF
rootfs: {path: $DEB_DIR, overlay: {driver: fuse}}
EOF
	cat > "$T/ro.yaml" <<EOF
rootfs: {path: $DEB_DIR, readonly: true}
EOF
	i=0
	for args in "--rootfs $DEB_DIR --userns self" "--rootfs $DEB_DIR --userns subuid" \
		"--rootfs $DEB_DIR --network slirp" "--rootfs $DEB_DIR --network none --hostname deb" \
		"--userns self $T/ro.yaml" "--userns self $T/ovl.yaml" "--userns subuid $T/ovl.yaml" "--userns self $T/ovlf.yaml"; do
		i=$((i + 1))
		# shellcheck disable=SC2086
		nk run -v "$T:/mnt/t$i" $args -- /bin/sh -c 'cat /etc/debian_version; grep -c localhost /etc/hosts; ls -d /mnt/t*'
		chkre "root-owned debootstrap tree, $args: runs, with nook's /etc/hosts and a --bind it lacks" \
			"^0 [0-9]+\\.[0-9]+ 2 /mnt/t$i\$" "$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
	done
	chk "root-owned debootstrap tree: unchanged after all those runs" "$a" "$(sum "$DEB_DIR")"
else
	t_skip "root-owned debootstrap tree" "$DEB_DIR is not there or not root's (quickstart.sh test unpacks it beside $DEB_TAR)"
fi

# ---------------------------------------------------------------- a copy of our own
# unpacked by root inside a container with our subordinate range, so _apt
# and the other system users own their files, as on a real system
W=$T/w
mkdir -p "$W/deb"
NK_TIMEOUT=300
nk run --userns subuid -v "$W/deb:/mnt/deb" -v "$DEB_TAR:/mnt/in.tar" -- \
	/bin/tar -xpf /mnt/in.tar -C /mnt/deb --numeric-owner --exclude='./dev/*'
chk "unpacked into our subordinate range (root is us, group shadow a subordinate gid)" "0 $myuid $((subgid_start + 41))" \
	"$rc $(stat -c %u "$W/deb/etc" 2>/dev/null) $(stat -c %g "$W/deb/etc/shadow" 2>/dev/null)"
# remove it at the end as root inside (its files are not ours outside)
cleanup_deb() {
	NK_TIMEOUT=120 nk run --userns subuid -v "$W:/mnt/w" -- /bin/rm -rf /mnt/w/deb
}
export NOOK_CI_ROOTFS="$W/deb" NOOK_DEV_ROOTFS="$W/deb"
cd "$T" || exit 1

# ci without its capabilities.add (drop ALL alone, as ci had before) breaks
# apt ("E: setgroups 65534 failed"); nook says what to add
nk run --set 'security.capabilities.add=[]' ci -- /bin/sh -c 'apt-get update -q'
chkre "ci without capabilities: apt-get fails as it does without them" "setgroups 65534 failed" "$out $err"
chkre "... and nook names the capabilities to add" \
	"^nook: hint: the command ran as root without CAP_SETUID,SETGID,CHOWN,FOWNER,DAC_OVERRIDE; .* --cap-add SETUID,SETGID,CHOWN,FOWNER,DAC_OVERRIDE" "$err"
nk run --set 'security.capabilities.add=[]' ci -- /bin/false
chknore "... but no hint for a command that is no package manager" "hint:" "$err"

a=$(sum "$W/deb")
nk run ci -- /bin/sh -c 'apt-get update -q >/dev/null && apt-get install -q -y hello >/dev/null && hello'
chk "ci: apt-get install hello through slirp, and hello runs" "0 Hello, world!" "$rc $out"
chk "ci: the install is thrown away (overlay), the tree is unchanged" "$a" "$(sum "$W/deb")"

# libpopt0 runs ldconfig (a rename onto /etc/ld.so.cache) and useradd
# renames onto /etc/passwd: the tree has no /etc/hosts, and nook must not
# put a mirror on /etc that refuses those renames
nk run dev -- /bin/sh -c 'apt-get update -q >/dev/null && apt-get install -q -y hello libpopt0 >/dev/null && hello && useradd nookbob && echo useradd-ok'
chk "dev: apt-get install hello and a library through slirp, hello runs, useradd works" "0 Hello, world! useradd-ok" \
	"$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
chk "dev: the install is kept in the tree" "yes yes" \
	"$([ -x "$W/deb/usr/bin/hello" ] && echo yes || echo no) $(grep -q '^nookbob:' "$W/deb/etc/passwd" && echo yes || echo no)"
nk run dev -- /usr/bin/hello
chk "dev: hello is still there in the next run" "0 Hello, world!" "$rc $out"
t_match "dev: nook left no /etc/hosts in the tree" "^no$" "$([ -e "$W/deb/etc/hosts" ] && echo yes || echo no)"

cleanup_deb
chk "the unpacked copy is removed" "0 no" "$rc $([ -e "$W/deb" ] && echo yes || echo no)"
t_clean "debian"
t_done
