#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# rootfs-untouched.sh - nook never writes into a root filesystem it was
# given (issue 15): a directory rootfs and an overlay's lower layer keep
# the same checksum (path, mode, owner, group, size, mtime and ctime of
# every entry) after runs in every mode - self and subuid maps, readonly
# true and false, kernel and fuse overlays, network none and slirp (nook's
# /etc/hosts and resolv.conf), named containers, --bind targets and
# profile mounts the tree lacks, a hostname - and a tree without
# /etc/hosts, /etc/resolv.conf, /home, /tmp, /dev and /proc runs, also
# when it is on read-only media. The mount points nook needs are provided
# by staging (src/lib/fs/stage.c): the payload still sees the directory's
# own entries, and a read-only root stays read-only there.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
t_tag_runs rootfs-untouched
t_subids

sum() { find "$1" -printf '%p %m %u %g %s %T@ %C@\n' 2>/dev/null | sort | md5sum; }

# R: a busybox tree with all the usual mount points; B: a bare one, without
# /etc/hosts, /etc/resolv.conf, /home, /tmp, /dev, /proc (and /sys, /run)
R=$T/full
B=$T/bare
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >/dev/null 2>&1 || { t_fail "set-up: mkrootfs.sh"; t_done; }
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$B" >/dev/null 2>&1
rm -rf "$B/etc/hosts" "$B/etc/resolv.conf" "$B/home" "$B/tmp" "$B/dev" "$B/proc" "$B/sys" "$B/run"
mkdir -p "$T/src/sub"
echo from-host > "$T/src/file"
echo from-host > "$T/srcfile"

# fresh TREE: a pristine copy of TREE at $T/run (each run gets its own, so
# what one run left behind cannot hide what the next one does)
fresh() {
	chmod -R u+w "$T/run" 2>/dev/null; rm -rf "$T/run"
	cp -a "$1" "$T/run"
}
# runs_unchanged NAME TREE ARGS...: nook run ARGS exits 0 and TREE's
# checksum is the same afterwards
runs_unchanged() {
	_n=$1 _tree=$2; shift 2
	_a=$(sum "$_tree")
	nk run "$@"
	chk "$_n: runs" 0 "$rc"
	chk "$_n: the tree is unchanged" "$_a" "$(sum "$_tree")"
}

have_fuse=1
command -v fuse-overlayfs >/dev/null 2>&1 && [ -c /dev/fuse ] || have_fuse=0
have_slirp=1
command -v slirp4netns >/dev/null 2>&1 || have_slirp=0
maps="self"
[ "$have_subuid" = 1 ] && maps="self subuid"

for orig in "$R" "$B"; do
	tn=${orig##*/}
	tree=$T/run
	for map in $maps; do
		for ro in false true; do
			fresh "$orig"
			cat > "$T/p.yaml" <<EOF
rootfs: {path: $tree, readonly: $ro}
user: {mode: $map}
network: {mode: none}
hostname: box-$tn
mounts:
  - {type: tmpfs, target: /var/cache/nook-missing}
  - {type: dir, target: /opt/made/by/profile}
  - {type: symlink, source: /etc/passwd, target: /etc/nook-link}
  - {type: file, target: /etc/nook-file, content: "hello\n"}
  - {type: bind, source: $T/srcfile, target: /etc/nook-bound}
EOF
			runs_unchanged "$tn, map $map, readonly $ro, profile mounts and --bind targets it lacks" "$tree" \
				-v "$T/src:/no/such/dir" "$T/p.yaml" -- /bin/sh -c \
				'cat /no/such/dir/file /etc/nook-file /etc/nook-bound; readlink /etc/nook-link; ls -d /opt/made/by/profile /var/cache/nook-missing; grep box- /etc/hosts; hostname'
			# nook's /etc/hosts: over the tree's, or in a read-only tree
			# that lacks it on a staged /etc; a writable tree that lacks
			# it gets none (a staged /etc would refuse the payload's
			# renames there: dpkg, ldconfig, useradd)
			hosts="127.0.1.1 box-$tn "
			[ "$tn/$ro" = bare/false ] && hosts=
			chk "$tn, map $map, readonly $ro: the payload sees what the profile asked for" \
				"from-host hello from-host /etc/passwd /opt/made/by/profile /var/cache/nook-missing ${hosts}box-$tn" \
				"$(printf '%s' "$out" | tr '\n\t' '  ' | sed 's/ $//')"
		done
	done
	# a staged directory still shows the tree's own entries, and keeps a
	# read-only root read-only
	fresh "$orig"
	nk run --rootfs "$tree" --set rootfs.readonly=true --network none -- /bin/sh -c \
		'ls /etc | tr "\n" " "; echo x >> /etc/passwd && echo wrote-passwd; : > /etc/new && echo made-new'
	want=$(ls "$tree/etc" | tr '\n' ' ')
	case $tn in bare) want=$(printf '%s\n' $want hosts | sort | tr '\n' ' ') ;; esac
	chkre "$tn, readonly: /etc lists the tree's entries (and nook's hosts)" "^$want" "$out"
	chknore "$tn, readonly: the tree's files stay read-only" "wrote-passwd|made-new" "$out"
	fresh "$orig"
	runs_unchanged "$tn, a named container" "$tree" --rootfs "$tree" --network none --name "untouched-$$" -- /bin/true
	fresh "$orig"
	runs_unchanged "$tn, a hostname" "$tree" --rootfs "$tree" --hostname "untouched-$$" -- /bin/true
	if [ "$have_slirp" = 1 ]; then
		for ro in false true; do
			fresh "$orig"
			runs_unchanged "$tn, readonly $ro, slirp network (nook's hosts and resolv.conf)" "$tree" \
				--rootfs "$tree" --set rootfs.readonly=$ro --network slirp -- /bin/sh -c 'cat /etc/resolv.conf /etc/hosts 2>/dev/null | grep -c "^nameserver 10.0.2.3\|10.0.2.100"; exit 0'
			if [ "$tn/$ro" = bare/false ]; then
				chk "$tn, readonly $ro, slirp: no resolv.conf or hosts (the tree is writable and has none)" 0 "$out"
				chkre "... and nook warns that names will not resolve, and what to do" \
					"^nook: warning: the rootfs has no /etc/resolv.conf and nook does not write into it: names will not resolve in the container \\(create an empty /etc/resolv.conf in the tree" "$err"
			else
				chk "$tn, readonly $ro, slirp: nook's resolv.conf and hosts are there" 2 "$out"
			fi
		done
	else
		t_skip "$tn, slirp network" "slirp4netns is not installed"
	fi
	# overlays: the lower layer is never written, whether nook creates the
	# mount points in its throw-away upper layer or stages them
	for drv in kernel fuse; do
		if [ $drv = fuse ] && [ $have_fuse = 0 ]; then
			t_skip "$tn, overlay driver fuse" "fuse-overlayfs or /dev/fuse is missing"
			continue
		fi
		for map in $maps; do
			fresh "$orig"
			cat > "$T/o.yaml" <<EOF
rootfs: {path: $tree, overlay: {driver: $drv}}
user: {mode: $map}
network: {mode: none}
mounts:
  - {type: bind, source: $T/src, target: /srv/missing/src}
EOF
			runs_unchanged "$tn, overlay $drv, map $map: lower layer" "$tree" "$T/o.yaml" -- \
				/bin/sh -c 'cat /srv/missing/src/file; : > /etc/payload-writes && echo wrote'
			chk "$tn, overlay $drv, map $map: the payload writes to its upper layer" "from-host wrote" \
				"$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
		done
	done
done

# a payload may write into its own writable tree; only nook must not
cp -a "$R" "$T/mine"
nk run --rootfs "$T/mine" --network none -- /bin/sh -c 'echo changed > /etc/hostname'
chk "readonly false: the payload itself may write into its tree" "0 changed" "$rc $(cat "$T/mine/etc/hostname")"

# both trees on read-only media: a read-only bind made in a user and mount
# namespace of our own, where nook runs (self map) as bwrap does; bwrap
# runs the full tree and cannot run the bare one (it would mkdir /proc)
if unshare -rm true 2>/dev/null; then
	mkdir -p "$T/romedia"
	for orig in "$R" "$B"; do
		tn=${orig##*/}
		fresh "$orig"
		tree=$T/run
		a=$(sum "$tree")
		nkx unshare -rm sh -c 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" || exit 8
			touch "$2/x" 2>/dev/null && exit 9
			"$3" run --rootfs "$2" --userns self -- /bin/sh -c "grep -c localhost /etc/hosts; ls -d /dev/null /proc/self"' \
			sh "$tree" "$T/romedia" "$NOOK"
		chk "$tn tree on read-only media: runs" "0 2 /dev/null /proc/self" \
			"$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
		chk "$tn tree on read-only media: unchanged" "$a" "$(sum "$tree")"
	done
	if command -v bwrap >/dev/null 2>&1; then
		nkx unshare -rm sh -c 'mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" &&
			bwrap --ro-bind "$2" / --proc /proc --dev /dev -- /bin/sh -c "ls -d /dev/null /proc/self"' \
			sh "$R" "$T/romedia"
		chk "full tree on read-only media: bwrap runs it as nook does" "0 /dev/null /proc/self" \
			"$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
	fi
else
	t_skip "trees on read-only media" "unshare -rm (an unprivileged user and mount namespace) does not work here"
fi

# a tree whose directories are all 0555, as on a read-only copy
rm -rf "$T/r555"; cp -a "$B" "$T/r555"
find "$T/r555" -type d -exec chmod 0555 {} +
runs_unchanged "bare tree with 0555 directories" "$T/r555" --rootfs "$T/r555" --network none \
	-v "$T/src:/home/someone" -- /bin/sh -c 'cat /home/someone/file'
chmod -R u+w "$T/r555"

# the host's read-only root: a --bind target it lacks is staged too
nk run -v "$T/src:/nook-no-such-dir-$$/x" -- /bin/cat "/nook-no-such-dir-$$/x/file"
chk "host root: a --bind target it lacks is provided" "0 from-host" "$rc $out"
t_match "host root: the host's / is unchanged" "^no$" "$([ -e "/nook-no-such-dir-$$" ] && echo yes || echo no)"

# a mount point under a directory nook may not read (its owner is not
# mapped): one clear error, exit 125, the tree unchanged
if [ "$have_subuid" = 1 ]; then
	for mode in 0700 0711; do
		fresh "$R"
		chmod $mode "$T/run/root"
		nk run --userns subuid -v "$T:/w" -- /bin/chown 5:5 /w/run/root
		a=$(sum "$T/run")
		nk run --userns self --rootfs "$T/run" -v "$T/src:/root/x" -- /bin/true
		if [ $mode = 0700 ]; then
			chk_error "a mount point below a directory mode $mode of an unmapped owner: 125, one line" 125 \
				"^nook: cannot open the mount point /root/x in the new root: Permission denied \\(/root, "
		else
			chk_error "a mount point in a directory mode $mode of an unmapped owner: 125, one line" 125 \
				"^nook: cannot provide the mount point /root/x without writing into the container's tree: listing /root failed: Permission denied \\(fix: create /root/x in the tree"
		fi
		chk "... the tree is unchanged" "$a" "$(sum "$T/run")"
		nk run --userns subuid -v "$T:/w" -- /bin/chown 0:0 /w/run/root
	done
fi

# the verbose note says what was staged
fresh "$B"
nk run --verbose --rootfs "$T/run" --set rootfs.readonly=true --network none -- /bin/true
chkre "--verbose names the staged directory" "nook: mount point /etc/hosts: the container's tree lacks it, so /etc is staged" "$err"
nk run --verbose --rootfs "$T/run" --network none -- /bin/true
chkre "--verbose says why a writable tree gets no /etc/hosts" \
	"nook: /etc/hosts: the rootfs has none and nook does not write into it, so the container has none either \\(create an empty one in the tree" "$err"

t_clean "rootfs-untouched"
t_done
