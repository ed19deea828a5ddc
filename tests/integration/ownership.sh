#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# ownership.sh - a rootfs whose files belong to ids the container's user
# namespace does not map. Inside, such files show as owned by 65534, root
# there has no rights over them, and the kernel's overlayfs cannot copy
# them up (EOVERFLOW, "Value too large for defined data type"). nook must
# say which path, that its owner is not mapped, and how to fix it:
#   - a step of nook's own that fails on such a path: exit 125 and one line;
#   - a payload that cannot be executed for that reason: exit 126, one line;
#   - a rootfs (or overlay lower layer) whose top directory has such an
#     owner: one warning once the container starts, the payload runs.
# An unprivileged user makes such trees in subuid mode (chown/chgrp to ids
# of the subordinate range) and runs them in self mode, which maps only the
# caller's own uid and gid: the same situation as a tree unpacked as root,
# or `chown -R user dir` that left the group root.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
export NOOK_PROFILE_PATH
NOOK_TEST_TAG=ownership.$$.$(date +%s)
export NOOK_TEST_TAG
t_container_procs() { t_tagged_procs; }

t_subids
if [ "$have_subuid" != 1 ]; then
	echo "1..0 # SKIP needs a subordinate id range for $me and newuidmap/newgidmap"
	exit 0
fi

# the trees live in $W; give them back to this user at the end (subuid mode,
# where 0 inside is the caller), or the scratch directory cannot be removed
W=$T/trees
mkdir -p "$W"
give_back() {
	nkx "$NOOK" run --rootfs "$H" --userns subuid -v "$W:/w" -- /bin/chown -R 0:0 /w
}
mkroot() { sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$1" >"$T/mkrootfs.log" 2>&1; }
# as_sub CMD...: run CMD on the trees as root of a subuid-mode container
as_sub() { nkx "$NOOK" run --rootfs "$H" --userns subuid -v "$W:/w" -- "$@"; }

H=$T/helper
if ! mkroot "$H"; then
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
	t_done
fi
in_group=$((subgid_start + 4))   # gid 5 inside a subuid-mode container
in_owner=$((subuid_start))       # uid/gid 1 inside

# ---------------------------------------------------------------- group not mapped
# G: the caller's files, group unmapped (what `chown -R user dir` run as
# root leaves behind when the group was root), no /etc/hosts (which nook
# cannot create in the overlay: the copy-up of /etc fails, so /etc is
# staged instead, and the tree stays as it was)
G=$W/group
mkroot "$G"
rm -f "$G/etc/hosts"
as_sub /bin/chgrp -R 5 /w/group
chk "set-up: the tree's group is a subordinate gid" "$myuid:$in_group" "$(stat -c %u:%g "$G/etc" 2>/dev/null)"

nk run --verbose --rootfs "$G" --set 'rootfs.overlay={}' --userns self -- /bin/grep -c localhost /etc/hosts
chk "overlay, group not mapped, no /etc/hosts: runs with nook's, /etc staged" "0 2 1" \
	"$rc $out $(printf '%s' "$err" | grep -c 'so /etc is staged')"
t_match "... the verbose note says why: the overlay refused to create it" \
	"mount point /etc/hosts: cannot create it in /etc \\(Value too large for defined data type\\), staging that directory instead" "$err"
chkre "... the fix: --userns subuid (the group is in this user's subordinate range)" "fix: run with --userns subuid" "$err"
chkre "... the fix: chgrp the tree to this user's group (the files are this user's)" "chgrp -R $mygid $G\\)\$" "$err"

nk run --rootfs "$G" --set 'rootfs.overlay={}' --userns self --network host -- /bin/touch /etc/new
chkre "overlay, group not mapped: the payload's write fails with EOVERFLOW" "Value too large for defined data type" "$err"
chk "overlay, group not mapped: the payload's status is kept" 1 "$rc"
chkre "overlay, group not mapped: nook warns once, naming the layer and its group" \
	"^nook: warning: the overlay's lower layer $G has group $in_group, which the container's user namespace does not map: writing to a file that comes from it fails with 'Value too large for defined data type' \\(fix: .*chgrp -R $mygid $G\\)\$" \
	"$(printf '%s\n' "$err" | grep '^nook:')"
chk "overlay, group not mapped: one nook line" 1 "$(printf '%s\n' "$err" | grep -c '^nook:')"

nk run --rootfs "$G" --set 'rootfs.overlay={}' --set rootfs.readonly=true --userns self --network host -- /bin/cat /etc/group
chk "a read-only overlay is not warned about (nothing will be written)" "0 " "$rc $(printf '%s\n' "$err" | grep '^nook:')"

nk run --rootfs "$G" --set 'rootfs.overlay={}' --userns subuid -- /bin/sh -c 'echo x > /etc/new && stat -c %g /etc/new /etc'
chk "the same overlay in subuid mode: writes work, no warning" "0 0 5 " "$rc $(echo $out) $err"

# ---------------------------------------------------------------- owner not mapped
# U: a tree owned by a subordinate uid and gid, as one unpacked by another
# user (root, say) looks
U=$W/owner
mkroot "$U"
as_sub /bin/chown -R 1:1 /w/owner
chk "set-up: the tree belongs to a subordinate uid and gid" "$in_owner:$in_owner" "$(stat -c %u:%g "$U/etc" 2>/dev/null)"

nk run --rootfs "$U" --userns self -- /bin/stat -c %u:%g /etc
chk "directory rootfs, owner not mapped: the payload runs" 0 "$rc"
chk "directory rootfs, owner not mapped: its files show as 65534 inside" "65534:65534" "$out"
chkre "directory rootfs, owner not mapped: nook warns, naming the rootfs, its ids and the fix" \
	"^nook: warning: the rootfs $U is owned by uid $in_owner and gid $in_owner, which the container's user namespace does not map: inside, it shows as owned by 65534 \\(nobody\\) and root there cannot change it \\(fix: run with --userns subuid, which maps your subordinate ids\\)\$" \
	"$err"

mkdir -p "$T/src"
echo mounted > "$T/src/f"
nk run --rootfs "$U" --userns self -v "$T/src:/etc/newdir" -- /bin/cat /etc/newdir/f
chk "a mount point missing under such a directory: provided without writing into the tree" \
	"0 mounted no" "$rc $out $([ -e "$U/etc/newdir" ] && echo yes || echo no)"

nk run --rootfs "$U" --userns subuid -v "$T/src:/etc/newdir" -- /bin/stat -c %u:%g /etc
chk "the same tree in subuid mode: no warning, its owner is 1:1" "0 1:1 " "$rc $out $err"

# ---------------------------------------------------------------- one file not mapped
# P: the caller's tree with one program that belongs to a subordinate uid
# and is not executable by others: nothing to warn about at the start
P=$W/program
mkroot "$P"
printf '#!/bin/sh\necho secret-ran\n' > "$P/bin/secret"
chmod 0750 "$P/bin/secret"
as_sub /bin/chown 7:7 /w/program/bin/secret
nk run --rootfs "$P" --userns self -- /bin/secret
chk_error "a program whose owner is not mapped: exit 126, one line with the cause" 126 \
	"^nook: cannot execute /bin/secret: Permission denied \\(/bin/secret, $P/bin/secret on the host, is owned by uid $((subuid_start + 6)) and gid $((subgid_start + 6)), which the container's user namespace does not map: root inside cannot override its permissions; fix: run with --userns subuid"
nk run --rootfs "$P" --userns self -- secret
chk_error "... found through PATH (via the usr/sbin symlink): the real host path is named" 126 \
	"^nook: cannot execute secret: Permission denied \\(/usr/sbin/secret, $P/bin/secret on the host, is owned by uid"
nk run --rootfs "$P" --userns subuid -- /bin/secret
chk "the same program in subuid mode runs" "0 secret-ran " "$rc $out $err"
nk run --rootfs "$P" --userns self -- /etc/hostname
chk_error "a file that is simply not executable: no word about owners" 126 "^nook: cannot execute /etc/hostname: Permission denied\$"

give_back
chk "the trees are this user's again" "0 " "$rc $(find "$W" ! -user "$myuid" | head -n 3)"
t_clean "ownership"
t_done
