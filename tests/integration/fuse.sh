#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# fuse.sh - integration tests for the overlay root served by fuse-overlayfs
# (rootfs.overlay.driver fuse, and auto's fallback when the kernel refuses
# the overlay): a root from lower layers, writes to the upper directory or
# discarded, owners under a subordinate map, the daemon out of the
# payload's sight and confined (no_new_privs, seccomp, a mount namespace of
# its own), nothing left behind after an exit, a SIGKILL of the payload or
# of nook, and the error messages. Run as the unprivileged test
# user.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
export NOOK_PROFILE_PATH

# ---------------------------------------------------------------- helpers
me=$(id -un)
myuid=$(id -u)
mygid=$(id -g)

# our fuse-overlayfs daemons (children of PID), one per line
daemons_of() { pgrep -u "$myuid" -x -P "$1" fuse-overlayfs 2>/dev/null; }
wait_no_daemon() {
	_w=0
	while [ -n "$(pgrep -u "$myuid" -x fuse-overlayfs 2>/dev/null)" ]; do
		[ $_w -ge 100 ] && return 1
		sleep 0.05; _w=$((_w + 1))
	done
	return 0
}

# profile FILE DRIVER UPPER LOWER...: an overlay profile (UPPER "-" for none)
profile() {
	_f=$1 _drv=$2 _up=$3; shift 3
	{
		echo "rootfs:"
		echo "  overlay:"
		echo "    driver: $_drv"
		[ "$_up" != - ] && echo "    upper: \"$_up\""
		echo "    lower:"
		for _l in "$@"; do echo "      - \"$_l\""; done
	} > "$_f"
}

subrange() {
	awk -F: -v u="$me" -v id="$myuid" \
		'($1 == u || $1 == id) && $3 + 0 > best { best = $3 + 0; s = $2 } END { if (best) print s, best }' "$1" 2>/dev/null
}
subuid=$(subrange /etc/subuid)
subgid=$(subrange /etc/subgid)
have_subuid=1
if [ -z "$subuid" ] || [ -z "$subgid" ] || ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
	have_subuid=0
fi
subuid_start=${subuid% *}
subgid_start=${subgid% *}

# ---------------------------------------------------------------- set-up
R=$T/rootfs
if ! sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1; then
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
	t_done
fi
echo from-base > "$R/etc/shadowed"
echo base-only > "$R/etc/base-only"
# a second lower layer on top of the busybox root
L=$T/layer
mkdir -p "$L/etc" "$L/opt"
echo from-layer > "$L/etc/shadowed"
echo layer-only > "$L/etc/layer-only"
echo doomed > "$L/opt/doomed"

# What the machine must have for driver fuse; without it only the error
# tests run (they need none of it).
fuse_ok=1 fuse_why=
if ! command -v fuse-overlayfs >/dev/null 2>&1; then
	fuse_ok=0 fuse_why="fuse-overlayfs is not installed (apt-get install fuse-overlayfs)"
elif ! { : <>/dev/fuse; } 2>/dev/null; then
	fuse_ok=0 fuse_why="/dev/fuse cannot be opened by $me (contrib/setup-host.sh makes it 0666)"
fi

if [ $fuse_ok = 1 ]; then
# ---------------------------------------------------------------- a root from lower layers
UP=$T/upper
mkdir -p "$UP"
profile "$T/fuse-up.yaml" fuse "$UP" "$L" "$R"
nk run --verbose "$T/fuse-up.yaml" -- /bin/sh -c \
	'cat /etc/shadowed /etc/layer-only /etc/base-only; awk "\$5 == \"/\" { sub(/.* - /, \"\"); print \$1 }" /proc/self/mountinfo; busybox true && echo busybox-runs'
chk "fuse: the payload runs in a root built from two lower layers" 0 "$rc"
chk "fuse: the top layer shadows the bottom one, both show through" \
	"from-layer layer-only base-only" "$(printf '%s\n' "$out" | sed -n 1,3p | tr '\n' ' ' | sed 's/ $//')"
chk "fuse: / is a fuse.fuse-overlayfs mount inside" "fuse.fuse-overlayfs" "$(printf '%s\n' "$out" | sed -n 4p)"
chkre "fuse: programs from the lower layers run" "^busybox-runs$" "$out"
chkre "--verbose: says driver fuse was used and why" "^nook: overlay driver: fuse-overlayfs, because the profile asks for driver 'fuse'" "$err"
chkre "--verbose: names the layers it passes to fuse-overlayfs" "lowerdir=$L:$R,upperdir=$UP,workdir=$UP.work" "$err"
chk "--verbose writes only lines starting with 'nook: ' on stderr" "" "$(printf '%s\n' "$err" | grep -v '^nook: ')"
t_clean "fuse: normal exit"

# ---------------------------------------------------------------- writes to the upper directory
nk run "$T/fuse-up.yaml" -- /bin/sh -c 'echo kept > /etc/written && mkdir -p /var/lib/x && echo deep > /var/lib/x/f &&
	echo changed > /etc/shadowed && rm /opt/doomed && echo ok'
chk "fuse: the payload writes, changes and deletes in its root" "0 ok" "$rc $out"
chk "fuse: a new file lands in the upper directory" "kept" "$(cat "$UP/etc/written" 2>/dev/null)"
chk "fuse: a new directory tree lands in the upper directory" "deep" "$(cat "$UP/var/lib/x/f" 2>/dev/null)"
chk "fuse: a changed lower file is copied up" "changed" "$(cat "$UP/etc/shadowed" 2>/dev/null)"
chk "fuse: the lower layers are unchanged" "from-layer from-base doomed no" \
	"$(cat "$L/etc/shadowed" "$R/etc/shadowed" "$L/opt/doomed" | tr '\n' ' ')$([ -e "$R/etc/written" ] && echo yes || echo no)"
chk "fuse: root's files in the upper directory belong to the caller on the host" "$myuid:$mygid" \
	"$(stat -c %u:%g "$UP/etc/written" 2>/dev/null)"
nk run "$T/fuse-up.yaml" -- /bin/sh -c 'cat /etc/written /var/lib/x/f /etc/shadowed; [ -e /opt/doomed ] && echo doomed-back; ls /opt | wc -l'
chk "fuse: writes persist across runs, a deletion stays deleted" "kept deep changed 0" "$(echo $out)"
t_clean "fuse: upper directory"

# ---------------------------------------------------------------- no upper: writes discarded
profile "$T/fuse-noup.yaml" fuse - "$R"
ls -A /mnt /media /srv /opt /var/tmp 2>/dev/null > "$T/scratch-before"
nk run "$T/fuse-noup.yaml" -- /bin/sh -c 'echo gone > /etc/scratch && rm /etc/base-only && cat /etc/scratch && ls /etc/base-only 2>&1; true'
chk "fuse without upper: the root is writable inside" "0 gone" "$rc $(printf '%s\n' "$out" | sed -n 1p)"
chkre "fuse without upper: a deleted lower file is gone inside" "No such file" "$out"
nk run "$T/fuse-noup.yaml" -- /bin/sh -c 'cat /etc/scratch 2>/dev/null || echo no-scratch; cat /etc/base-only'
chk "fuse without upper: the next run sees none of the writes" "no-scratch base-only" "$(echo $out)"
chk "fuse without upper: the lower layer is unchanged" "base-only no" \
	"$(cat "$R/etc/base-only") $([ -e "$R/etc/scratch" ] && echo yes || echo no)"
ls -A /mnt /media /srv /opt /var/tmp 2>/dev/null > "$T/scratch-after"
chk "fuse without upper: nothing appears in the host's /mnt, /media, /srv, /opt or /var/tmp" "" \
	"$(diff "$T/scratch-before" "$T/scratch-after")"
t_clean "fuse: no upper"

# ---------------------------------------------------------------- owners under a subordinate map
if [ $have_subuid = 1 ]; then
	SUP=$T/upper-sub
	mkdir -p "$SUP"
	profile "$T/fuse-sub.yaml" fuse "$SUP" "$R"
	nk run --userns subuid "$T/fuse-sub.yaml" -- /bin/sh -c \
		'echo y > /chowned && chown 1000:1000 /chowned && mkdir /data1000 && chown 1000:1000 /data1000 && stat -c %u:%g /chowned'
	chk "subuid: root's chown 1000:1000 inside works on the fuse root" "0 1000:1000" "$rc $out"
	chk "subuid: the chowned file is owned by the subordinate ids of 1000 on the host" \
		"$((subuid_start + 999)):$((subgid_start + 999))" "$(stat -c %u:%g "$SUP/chowned" 2>/dev/null)"
	nk run --userns subuid --uid 1000 --gid 1000 "$T/fuse-sub.yaml" -- /bin/sh -c \
		'id -u; echo mine > /data1000/by-1000; echo nope > /etc/by-1000 2>/dev/null || echo denied'
	chk "subuid --uid 1000: writes its own directory, the kernel denies root's" "1000 denied" "$(echo $out)"
	chk "subuid --uid 1000: a file uid 1000 creates is owned by its subordinate ids on the host" \
		"$((subuid_start + 999)):$((subgid_start + 999))" "$(stat -c %u:%g "$SUP/data1000/by-1000" 2>/dev/null)"
	chk "subuid --uid 1000: nothing written where it was denied" "no" "$([ -e "$SUP/etc/by-1000" ] && echo yes || echo no)"
	# the caller cannot remove a directory of a subordinate uid: root inside can
	nk run --userns subuid --rootfs "$R" -v "$SUP:/clean" -- /bin/rm -rf /clean/data1000
	t_clean "fuse: subordinate ids"
else
	t_skip "subuid: owners on the fuse root" "no range for $me in /etc/subuid and /etc/subgid, or no newuidmap/newgidmap"
fi

# ---------------------------------------------------------------- the daemon out of the payload's sight
S=$T/sync
mkdir -p "$S"
nk run "$T/fuse-up.yaml" -- /bin/sh -c 'ps -o pid,args; for f in /proc/[0-9]*/cmdline; do tr "\0" " " < "$f"; echo; done; cat /proc/[0-9]*/comm'
chk "the payload's ps runs" 0 "$rc"
chknore "the payload's ps and /proc do not show fuse-overlayfs" "fuse-overlayfs" "$out"
"$NOOK" run --userns self -v "$S:/sync" "$T/fuse-up.yaml" -- /bin/sh -c 'touch /sync/ready; exec sleep 31341' \
	>"$T/bg.out" 2>"$T/bg.err" </dev/null &
pid=$!
if wait_file "$S/ready" 10; then
	sleep 0.1 # let the shell exec sleep
	d=$(daemons_of "$pid")
	p=$(pgrep -u "$myuid" -x -f 'sleep 31341' | head -n 1)
	if [ -n "$d" ] && [ -n "$p" ]; then
		t_ok "fuse-overlayfs runs as nook's child while the container runs"
		chk "fuse-overlayfs is in the container's user namespace" "$(readlink "/proc/$p/ns/user")" "$(readlink "/proc/$d/ns/user")"
		chk "fuse-overlayfs is in the caller's pid namespace, not the container's" "$(readlink /proc/self/ns/pid) yes" \
			"$(readlink "/proc/$d/ns/pid") $([ "$(readlink "/proc/$d/ns/pid")" != "$(readlink "/proc/$p/ns/pid")" ] && echo yes || echo no)"
		chkre "fuse-overlayfs serves /dev/fd/3 with the profile's layers" "lowerdir=$L:$R,upperdir=$UP" "$(tr '\0' ' ' < "/proc/$d/cmdline")"
		# confined (security/confine.c), seen from the host
		chk "fuse-overlayfs runs with no_new_privs and a seccomp filter" "NoNewPrivs=1 Seccomp=2" \
			"$(awk '$1 == "NoNewPrivs:" { n = $2 } $1 == "Seccomp:" { s = $2 } END { print "NoNewPrivs=" n, "Seccomp=" s }' "/proc/$d/status")"
		d_mnt=$(readlink "/proc/$d/ns/mnt")
		if [ -n "$d_mnt" ] && [ "$d_mnt" != "$(readlink /proc/self/ns/mnt)" ] && [ "$d_mnt" != "$(readlink "/proc/$p/ns/mnt")" ]; then
			t_ok "fuse-overlayfs has a mount namespace of its own (neither the host's nor the container's)"
		else
			t_fail "fuse-overlayfs has a mount namespace of its own (neither the host's nor the container's)" \
				"daemon: '$d_mnt', host: $(readlink /proc/self/ns/mnt), payload: $(readlink "/proc/$p/ns/mnt")"
		fi
	else
		t_fail "fuse-overlayfs runs as nook's child while the container runs" "daemon: '$d' payload: '$p' $(ps -ef | grep -v grep | grep -E 'fuse|sleep|nook')"
	fi
	# SIGKILL of the payload
	[ -n "$p" ] && kill -9 "$p"
	reap "$pid"
	chk "SIGKILL of the payload: nook exits 137" 137 "$st"
else
	reap "$pid" 1
	t_fail "the container with a fuse root started" "$(cat "$T/bg.err")"
fi
if wait_no_daemon; then t_ok "SIGKILL of the payload: fuse-overlayfs is gone"
else t_fail "SIGKILL of the payload: fuse-overlayfs is gone" "$(pgrep -a -u "$myuid" -x fuse-overlayfs)"; fi
t_clean "fuse: SIGKILL of the payload"

# SIGKILL of nook
rm -f "$S/ready"
"$NOOK" run -v "$S:/sync" "$T/fuse-noup.yaml" -- /bin/sh -c 'trap "" INT TERM HUP; touch /sync/ready; sleep 1000' \
	>"$T/bg.out" 2>"$T/bg.err" </dev/null &
pid=$!
if wait_file "$S/ready" 10; then
	d=$(daemons_of "$pid")
	if [ -n "$d" ]; then t_ok "fuse-overlayfs runs before nook is killed"
	else t_fail "fuse-overlayfs runs before nook is killed" "$(pgrep -a -u "$myuid" -x fuse-overlayfs)"; fi
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	if wait_no_daemon; then t_ok "SIGKILL of nook: fuse-overlayfs dies with it"
	else t_fail "SIGKILL of nook: fuse-overlayfs dies with it" "$(pgrep -a -u "$myuid" -x fuse-overlayfs)"; fi
else
	kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	t_fail "SIGKILL of nook: fuse-overlayfs dies with it" "the payload never started: $(cat "$T/bg.err")"
fi
t_clean "fuse: SIGKILL of nook"

# SIGKILL of nook at random moments of the start-up
i=0
while [ $i -lt 8 ]; do
	"$NOOK" run "$T/fuse-noup.yaml" -- /bin/sleep 1000 >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "0.0$i"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	i=$((i + 1))
done
if wait_no_daemon; then t_ok "SIGKILL of nook during start-up leaves no fuse-overlayfs (8 tries)"
else t_fail "SIGKILL of nook during start-up leaves no fuse-overlayfs (8 tries)" "$(pgrep -a -u "$myuid" -x fuse-overlayfs)"; fi
t_clean "fuse: SIGKILL during start-up"

# ---------------------------------------------------------------- the daemon fails
# A work directory (upper.work by default) whose "work" inside is a file:
# fuse-overlayfs itself gives up
mkdir -p "$T/up-bad" "$T/up-bad.work"
echo not-a-dir > "$T/up-bad.work/work"
profile "$T/fuse-bad.yaml" fuse "$T/up-bad" "$R"
nk run "$T/fuse-bad.yaml" -- /bin/true
chk_error "fuse-overlayfs fails: one clear line with its exit status and its own message" 125 \
	"fuse-overlayfs exited with status [0-9]+ before it served the overlay root \\(upper $T/up-bad, work $T/up-bad.work\\): .*workdir"
t_clean "fuse: the daemon fails"
# upper.work that is a file or a symlink (to a directory elsewhere, which
# the overlay would otherwise use) is refused before anything starts
rm -rf "$T/up-bad.work"
for drv in fuse kernel; do
	profile "$T/work-bad.yaml" $drv "$T/up-bad" "$R"
	rm -f "$T/up-bad.work"; echo not-a-dir > "$T/up-bad.work"
	nk run "$T/work-bad.yaml" -- /bin/true
	chk_error "$drv: an upper.work that is a file is refused, naming it" 125 \
		"overlay work directory $T/up-bad.work is a file, not a directory"
	rm -f "$T/up-bad.work"; mkdir -p "$T/elsewhere"; ln -s "$T/elsewhere" "$T/up-bad.work"
	nk run "$T/work-bad.yaml" -- /bin/true
	chk_error "$drv: an upper.work that is a symlink is refused, naming it" 125 \
		"overlay work directory $T/up-bad.work is a symlink, not a directory"
	chk "$drv: nothing was written through the symlink" "" "$(ls -A "$T/elsewhere")"
done
rm -f "$T/up-bad.work"
t_clean "fuse: a bad upper.work"

# ---------------------------------------------------------------- auto: fallback when the kernel refuses
# nook inside a container whose root is overlayfs (an unprivileged user
# namespace with an overlay mount, as the test sets it up): the kernel's
# overlayfs cannot have its upper directory on overlayfs, fuse-overlayfs can.
O=$T/outer
mkdir -p "$O/lower" "$O/upper" "$O/work" "$O/merged"
profile "$T/auto.yaml" auto "$O/merged/upper" "$R"
outer_mount="mount -t overlay nook-outer -o lowerdir=$O/lower,upperdir=$O/upper,workdir=$O/work,userxattr $O/merged && mkdir -p $O/merged/upper"
if command -v unshare >/dev/null 2>&1 && unshare -rm sh -c "$outer_mount" 2>/dev/null; then
	rm -rf "$O/upper/upper"
	nkx unshare -rm sh -c "$outer_mount"' && exec "$@"' sh "$NOOK" run --verbose --userns self "$T/auto.yaml" -- \
		/bin/sh -c 'echo via-fuse > /etc/auto-written && awk "\$5 == \"/\" { sub(/.* - /, \"\"); print \$1 }" /proc/self/mountinfo'
	chk "auto: the kernel refuses an upper directory on overlayfs, fuse-overlayfs serves the root" "0 fuse.fuse-overlayfs" "$rc $out"
	chkre "auto --verbose: says fuse-overlayfs was used because the kernel refused" \
		"^nook: overlay driver: fuse-overlayfs, because the kernel refused the overlay mount \\(Invalid argument\\)" "$err"
	chk "auto: the write landed in the upper directory (on the outer overlay)" "via-fuse" "$(cat "$O/upper/upper/etc/auto-written" 2>/dev/null)"
	mkdir -p "$T/nopath"
	nkx unshare -rm sh -c "$outer_mount"' && exec "$@"' sh env PATH="$T/nopath" "$NOOK" run --userns self "$T/auto.yaml" -- /bin/true
	chk_error "auto without fuse-overlayfs: the kernel's refusal and why there is no fallback, in one line" 125 \
		"cannot mount the overlay root.*fuse-overlayfs cannot be used instead: fuse-overlayfs is not installed.*apt-get install fuse-overlayfs"
	# the outer overlay's work directory has a mode-0 directory in it
	chmod -R u+rwX "$O" 2>/dev/null
	t_clean "auto: fallback"
else
	t_skip "auto: falls back to fuse-overlayfs when the kernel refuses" "this kernel cannot mount overlayfs in an unprivileged user namespace (needs Linux 5.11), so the set-up that makes it refuse cannot be built"
fi

# auto where the kernel accepts: the kernel's overlayfs
profile "$T/auto-ok.yaml" auto - "$R"
nk run --verbose "$T/auto-ok.yaml" -- /bin/sh -c 'awk "\$5 == \"/\" { sub(/.* - /, \"\"); print \$1 }" /proc/self/mountinfo'
if [ "$rc" = 0 ] && [ "$out" = overlay ]; then
	t_ok "auto: the kernel's overlayfs when the kernel accepts the mount"
	chkre "auto --verbose: says the kernel's overlayfs was used and why" "^nook: overlay driver: the kernel's overlayfs \\(driver auto: the kernel accepted" "$err"
elif [ "$out" = fuse.fuse-overlayfs ]; then
	chkre "auto: this kernel refuses the overlay mount, --verbose says so" "because the kernel refused" "$err"
else
	t_fail "auto: a root from the kernel or from fuse-overlayfs" "$(_diag)"
fi
t_clean "auto"
else
	t_skip "fuse driver tests" "$fuse_why"
fi

# ---------------------------------------------------------------- errors (need no FUSE)
mkdir -p "$T/nopath" "$T/eup"
profile "$T/err.yaml" fuse "$T/eup" "$R"
nkx env PATH="$T/nopath" "$NOOK" run --userns self "$T/err.yaml" -- /bin/true
chk_error "fuse-overlayfs not installed: one clear line with the fix" 125 \
	"overlay driver 'fuse': fuse-overlayfs is not installed.*apt-get install fuse-overlayfs"
profile "$T/err-lower.yaml" fuse "$T/eup" "$T/no-such-layer" "$R"
nk run --userns self "$T/err-lower.yaml" -- /bin/true
chk_error "a missing lower layer: one clear line naming it" 125 "lower layer $T/no-such-layer is not accessible"
profile "$T/err-upper.yaml" fuse "$T/no-such-upper" "$R"
nk run --userns self "$T/err-upper.yaml" -- /bin/true
chk_error "a missing upper directory: one clear line naming it" 125 "upper directory $T/no-such-upper is not accessible.*mkdir"
mkdir -p "$T/a:b"
profile "$T/err-colon.yaml" fuse "$T/eup" "$T/a:b" "$R"
nk run --userns self "$T/err-colon.yaml" -- /bin/true
chk_error "a layer path with ':' is refused for fuse-overlayfs" 125 "$T/a:b contains ':'"
chk "the failed starts created no work directory" "no" "$([ -e "$T/eup.work" ] && echo yes || echo no)"
# /dev/fuse missing or closed to the user: nook under bubblewrap with a
# /dev of its own (bwrap's --dev has no fuse node)
if command -v bwrap >/dev/null 2>&1 && bwrap --bind / / --dev /dev true 2>/dev/null; then
	nkx bwrap --bind / / --dev /dev "$NOOK" run --userns self "$T/err.yaml" -- /bin/true
	chk_error "/dev/fuse missing: one clear line with the fix" 125 "/dev/fuse does not exist.*modprobe fuse"
	: > "$T/closed-fuse"
	chmod 000 "$T/closed-fuse"
	nkx bwrap --bind / / --dev /dev --bind "$T/closed-fuse" /dev/fuse "$NOOK" run --userns self "$T/err.yaml" -- /bin/true
	chk_error "/dev/fuse not accessible: one clear line with the fix" 125 "cannot open /dev/fuse: Permission denied.*chmod 0666 /dev/fuse"
	nkx bwrap --bind / / --dev /dev "$NOOK" run --userns self --set rootfs.overlay.driver=auto "$T/err.yaml" -- /bin/echo auto-runs
	chk "auto without /dev/fuse still runs on the kernel's overlayfs" "0 auto-runs" "$rc $out"
else
	t_skip "/dev/fuse missing or not accessible" "bubblewrap cannot build a sandbox with its own /dev here"
fi
t_clean "errors"

t_done
