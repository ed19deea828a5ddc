#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# core.sh - integration tests for the core launcher (issue 2): namespaces,
# root filesystem, /proc /dev /sys, loopback, id maps and file ownership,
# exit status, signal forwarding, death of the container with nook, error
# messages, and nothing left behind. Run as the unprivileged test user.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# `nook run` without a profile uses the default profile; find it in the tree.
: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
export NOOK_PROFILE_PATH

# ---------------------------------------------------------------- helpers

# nkx, nk, chk, chkre, chknore, chk_error, wait_file, wait_gone and reap
# come from lib.sh
# squeeze whitespace the kernel uses to align uid_map columns
norm() { printf '%s\n' "$1" | awk '{ $1 = $1; print }'; }

# wait_no_container [SECONDS]: wait until no container process is left
wait_no_container() {
	_w=0 _max=$((${1:-5} * 20))
	while [ -n "$(t_container_procs)" ]; do
		[ $_w -ge $_max ] && return 1
		sleep 0.05; _w=$((_w + 1))
	done
	return 0
}
# kill_container_procs: make sure a failed test does not poison the next
kill_container_procs() {
	t_container_procs | while read -r _p _rest; do kill -9 "$_p" 2>/dev/null; done
	wait_no_container 5
}

# Other test scripts, and anything else this account runs (a podman pause
# process, say), may have processes in other user namespaces at the same
# time: count only ours. A candidate is a process of this uid whose user
# namespace differs from ours or cannot be read (nook's reaper is not
# dumpable, so even its ns links are closed to us). It is ours when it or an
# ancestor carries this script's tag in its environment (the payload's
# environment may be cleared by the profile; its reaper, nook and this shell
# still have the tag). A process orphaned to PID 1 whose environment and
# ancestors' environments could not be read at all also counts: that is how
# a leaked reaper looks. Zombies hold nothing and do not count.
NOOK_TEST_TAG=core.$$.$(date +%s)
export NOOK_TEST_TAG
_core_candidates() {
	for _p in /proc/[0-9]*; do
		[ -O "$_p" ] || continue
		[ "${_p#/proc/}" = "$$" ] && continue
		# nook's user namespace holder outlives runs by design (its
		# life is tested by userns-holder.sh)
		[ "$(cat "$_p/comm" 2>/dev/null)" = nook-holder ] && continue
		if _ns=$(readlink "$_p/ns/user" 2>/dev/null); then
			[ "$_ns" = "$_t_myuserns" ] && continue
		elif [ ! -e "$_p" ]; then
			continue
		fi
		echo "${_p#/proc/} $({ tr '\0' ' ' < "$_p/cmdline"; } 2>/dev/null)"
	done
	pgrep -u "$(id -u)" -x 'slirp4netns|pasta|pasta.avx2|fuse-overlayfs' 2>/dev/null | sed 's/$/ (helper)/'
	return 0
}
_core_ours() {
	_q=$1 _unreadable_only=1
	case $(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$_q/status" 2>/dev/null) in
	''|Z|X) return 1 ;;
	esac
	for _up in 1 2 3 4 5 6 7 8; do
		if _env=$({ tr '\0' '\n' < "/proc/$_q/environ"; } 2>/dev/null); then
			printf '%s\n' "$_env" | grep -qx "NOOK_TEST_TAG=$NOOK_TEST_TAG" && return 0
			_unreadable_only=0
		fi
		_q=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$_q/status" 2>/dev/null)
		case $_q in ''|0|1) [ $_unreadable_only = 1 ]; return ;; esac
	done
	return 1
}
t_container_procs() {
	_core_candidates | while read -r _p _rest; do
		_core_ours "$_p" && echo "$_p $_rest"
	done
	return 0
}

# me, myuid, mygid, have_subuid, subuid_start/count, subgid_start/count
# come from t_subids (lib.sh)
t_subids

R=$T/rootfs
if ! sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1; then
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
	t_done
fi
mkdir -p "$R/sync" "$R/data"
printf '#!/bin/sh\necho only-in-rootfs\n' > "$R/bin/only-in-rootfs"
chmod 0755 "$R/bin/only-in-rootfs"
printf 'not a program\n' > "$R/etc/not-executable"
chmod 0644 "$R/etc/not-executable"

# ---------------------------------------------------------------- basics
if [ -u "$NOOK" ] || [ -g "$NOOK" ]; then t_fail "nook has no setuid or setgid bit" "$(ls -l "$NOOK")"
else t_ok "nook has no setuid or setgid bit"; fi
if command -v getcap >/dev/null 2>&1; then
	chk "nook has no file capabilities" "" "$(getcap "$NOOK" 2>/dev/null)"
fi
nk run --rootfs "$R" -- /bin/true
chk "run /bin/true in a busybox rootfs" 0 "$rc"
nk run --rootfs "$R" -- /bin/sh -c 'echo hello from $(uname -s)'
chk "payload stdout reaches the caller" "hello from Linux" "$out"
nk run --rootfs "$R" -- only-in-rootfs
chk "a bare command name is looked up inside the rootfs" "only-in-rootfs" "$out"
got=$(echo "from stdin" | timeout 30 "$NOOK" run --rootfs "$R" -- /bin/cat 2>"$T/err")
chk "stdin reaches the payload" "from stdin" "$got"
nk run -- /bin/sh -c 'echo host-root'
chk "run with the host's / (no --rootfs)" "0 host-root" "$rc $out"
nk run --rootfs "$R" -e NOOK_A=bar -e NOOK_B=x=y -- /bin/sh -c 'echo "$NOOK_A $NOOK_B"'
chk "-e K=V sets the payload's environment" "bar x=y" "$out"
nk run --rootfs "$R" -w /etc -- /bin/sh -c pwd
chk "-w DIR sets the working directory" "/etc" "$out"
exec 7</dev/null
nk run --rootfs "$R" -- /bin/sh -c 'ls /proc/$$/fd; true'
exec 7<&-
chk "the payload inherits only fds 0 1 2 (fd 7 of the caller is closed)" "0 1 2" "$(echo $out)"
t_clean "basics"

# ---------------------------------------------------------------- PID 1
sleep 31337 &
marker=$!
probe='cd /proc && echo "pids=" [0-9]*; echo "self=$$"
while read -r k v; do [ "$k" = PPid: ] && echo "ppid=$v"; done < /proc/$$/status'
for mode in rootfs host; do
	if [ $mode = rootfs ]; then nk run --rootfs "$R" -- /bin/sh -c "$probe"
	else nk run -- /bin/sh -c "$probe"; fi
	pids=$(printf '%s\n' "$out" | sed -n 's/^pids= //p')
	self=$(printf '%s\n' "$out" | sed -n 's/^self=//p')
	ppid=$(printf '%s\n' "$out" | sed -n 's/^ppid=//p')
	chkre "$mode: PID 1 exists in the container's /proc" '(^| )1( |$)' "$pids"
	if [ "$self" = 1 ] || [ "$ppid" = 1 ]; then t_ok "$mode: the payload is PID 1 or a child of PID 1 (nook's reaper)"
	else t_fail "$mode: the payload is PID 1 or a child of PID 1 (nook's reaper)" "$(_diag)"; fi
	if [ "$self" = 1 ]; then want="1"; else want="1 $self"; fi
	chk "$mode: /proc shows only the payload and the reaper (process count $(echo $want | wc -w))" "$want" "$pids"
	if [ $mode = rootfs ]; then nk run --rootfs "$R" -- /bin/ps -o pid,args
	else nk run -- ps -e -o pid,args; fi
	chknore "$mode: ps inside does not see a host process" 'sleep 31337' "$out"
	n=$(printf '%s\n' "$out" | sed 1d | wc -l)
	if [ "$rc" = 0 ] && [ "$n" -ge 1 ] && [ "$n" -le 2 ]; then t_ok "$mode: ps inside lists at most the reaper and the payload"
	else t_fail "$mode: ps inside lists at most the reaper and the payload" "$(_diag)"; fi
done
kill "$marker"; wait "$marker" 2>/dev/null
t_clean "PID namespace"

# ---------------------------------------------------------------- hostname
h0=$(cat /proc/sys/kernel/hostname)
nk run --rootfs "$R" --hostname nook-box -- /bin/sh -c 'hostname; cat /proc/sys/kernel/hostname; hostname nook-renamed 2>/dev/null; hostname'
chk "--hostname sets the name in the new UTS namespace" "nook-box nook-box" "$(printf '%s\n' "$out" | sed -n 1,2p | tr '\n' ' ' | sed 's/ $//')"
chk "the host keeps its hostname while the payload renames its own" "$h0" "$(cat /proc/sys/kernel/hostname)"
nk run --hostname nook-box2 -- hostname
chk "--hostname in host-root mode" "nook-box2" "$out"
chk "the host keeps its hostname" "$h0" "$(cat /proc/sys/kernel/hostname)"
t_clean "UTS namespace"

# ---------------------------------------------------------------- network
nk run --rootfs "$R" -- /bin/ip -o link show
chk "ip link inside lists exactly one interface" 1 "$(printf '%s\n' "$out" | grep -c '^[0-9]*:')"
chkre "the only interface is lo and it is UP" '^1: lo: <([A-Z_]+,)*UP(,[A-Z_]+)*>' "$out"
nk run --rootfs "$R" -- /bin/sh -c 'ls /sys/class/net; cat /sys/class/net/lo/flags'
chk "/sys/class/net inside shows only lo" "lo" "$(printf '%s\n' "$out" | sed -n 1p)"
flags=$(printf '%s\n' "$out" | sed -n 2p)
case $flags in
0x*) chk "/sys/class/net/lo/flags has IFF_UP" 1 "$((flags & 1))" ;;
*) t_fail "/sys/class/net/lo/flags has IFF_UP" "$(_diag)" ;;
esac
# (busybox nc gives no sign that its listener is ready: the whole exchange
# is tried up to three times, and the listener must receive the line)
nk run --rootfs "$R" -- /bin/sh -c '
	for attempt in 1 2 3; do
		timeout 10 nc -l -p 7777 > /tmp/got &
		i=0; while [ $i -lt 100 ]; do echo hello-lo | nc -w 2 127.0.0.1 7777 2>/dev/null && break; sleep 0.05; i=$((i + 1)); done
		wait; [ -s /tmp/got ] && break
	done
	cat /tmp/got; rm -f /tmp/got'
chk "loopback carries TCP traffic (nc on 127.0.0.1)" "hello-lo" "$out"
if [ -x /usr/sbin/ip ]; then
	nk run -- /usr/sbin/ip -o link show
	chk "host-root mode: host's ip sees only lo" "lo:" "$(printf '%s\n' "$out" | grep -E '^[0-9]+:' | awk '{ print $2 }')"
	chkre "host-root mode: lo is UP" '<([A-Z_]+,)*UP(,[A-Z_]+)*>' "$out"
else
	t_skip "host-root mode: host's ip sees only lo" "/usr/sbin/ip missing"
fi
t_clean "network namespace"

# ---------------------------------------------------------------- namespaces
for n in user mnt pid net uts ipc cgroup; do
	eval "host_$n=\$(readlink /proc/self/ns/$n)"
done
nk run --rootfs "$R" -- /bin/sh -c 'for n in user mnt pid net uts ipc cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
for n in user mnt pid net uts ipc cgroup; do
	inside=$(printf '%s\n' "$out" | sed -n "s/^$n //p")
	eval "host=\$host_$n"
	if [ -n "$inside" ] && [ -n "$host" ] && [ "$inside" != "$host" ]; then
		t_ok "/proc/self/ns/$n differs from the host's ($inside vs $host)"
	else
		t_fail "/proc/self/ns/$n differs from the host's" "$(printf 'host: %s inside: %s\n' "$host" "$inside"; _diag)"
	fi
done
t_clean "namespaces"

# ---------------------------------------------------------------- mounts
# A tmpfs is invisible from the host while the container still runs: one
# from --tmpfs, and one the payload mounts itself (that needs CAP_SYS_ADMIN
# and no seccomp filter, which the default envelope takes away).
S=$T/sync-mnt
mkdir -p "$R/tmp/selfmount"
m0=$(wc -l < /proc/self/mountinfo)
for kind in tmpfs self; do
	rm -rf "$S"; mkdir -p "$S"
	if [ $kind = tmpfs ]; then
		set -- --tmpfs /mnt
		script='echo hidden > /mnt/tmpfs-marker && grep " /mnt " /proc/self/mountinfo > /sync/mi'
		where=/mnt host_dir=$R/mnt
	else
		set -- --cap-add SYS_ADMIN --seccomp unconfined
		script='mount -t tmpfs nook-selfmade /tmp/selfmount 2>/sync/mount.err &&
			echo hidden > /tmp/selfmount/self-marker && grep " /tmp/selfmount " /proc/self/mountinfo > /sync/mi'
		where=/tmp/selfmount host_dir=$R/tmp/selfmount
	fi
	"$NOOK" run --rootfs "$R" -v "$S:/sync" "$@" -- /bin/sh -c "$script"'
		touch /sync/ready
		i=0; while [ ! -e /sync/go ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i + 1)); done' \
		>"$T/bg.out" 2>"$T/bg.err" </dev/null &
	pid=$!
	if wait_file "$S/ready" 10; then
		chkre "$kind: the payload sees a tmpfs on $where" " $where .* - tmpfs " "$(cat "$S/mi" 2>/dev/null) $(cat "$S/mount.err" 2>/dev/null)"
		cpid=
		for p in $(t_container_procs | awk '{ print $1 }'); do
			grep -q " $where .* - tmpfs " "/proc/$p/mountinfo" 2>/dev/null && { cpid=$p; break; }
		done
		if [ -n "$cpid" ]; then t_ok "$kind: /proc/$cpid/mountinfo, read from the host, has the tmpfs on $where"
		else t_fail "$kind: a container process's mountinfo, read from the host, has the tmpfs on $where" "$(t_container_procs)"; fi
		chk "$kind: the host's mount table is unchanged while the container runs" "$m0" "$(wc -l < /proc/self/mountinfo)"
		chknore "$kind: the host's mountinfo has no mount under the rootfs" " $R/" "$(cat /proc/self/mountinfo)"
		chk "$kind: the tmpfs contents are not visible in the rootfs dir on the host" "" "$(ls -A "$host_dir")"
	else
		t_fail "$kind: the container with a tmpfs started" "$(cat "$T/bg.err")"
	fi
	touch "$S/go"
	reap "$pid"
	chk "$kind: the container exits 0" 0 "$st"
	chk "$kind: no mount left on the host after it exits" "$m0" "$(wc -l < /proc/self/mountinfo)"
done
set --

nk run --rootfs "$R" -- /bin/sh -c "cat /etc/not-executable; awk '\$5 == \"/sys\" { print \$6 }' /proc/self/mountinfo"
chk "--rootfs DIR becomes /" "not a program" "$(printf '%s\n' "$out" | sed -n 1p)"
chkre "/sys is mounted read-only" '^ro(,|$)' "$(printf '%s\n' "$out" | sed -n 2p)"
nk run --rootfs "$R" -- /bin/sh -c "awk '\$5 == \"/proc\" { print \$0 }' /proc/self/mountinfo"
chkre "a proc filesystem is mounted on /proc" ' - proc ' "$out"
# the old root is detached: nothing of the host is reachable
hostonly=$T/host-only-marker.$$
touch "$hostonly"
nk run --rootfs "$R" -- /bin/sh -c "timeout 20 find / \\( -path /proc -o -path /sys \\) -prune -o \\( -name ${hostonly##*/} -o -name debian_version -o -name os-release \\) -print; echo end"
chk "no host file is reachable from inside --rootfs (old root detached)" "end" "$out"
rm -f "$hostonly"

# --bind / -v
mkdir -p "$T/rw" "$T/ro"
echo content > "$T/ro/existing"
nk run --rootfs "$R" --bind "$T/rw:/data" -- /bin/sh -c 'echo written > /data/new'
chk "--bind SRC:DST is writable" "written" "$(cat "$T/rw/new" 2>/dev/null)"
nk run --rootfs "$R" -v "$T/ro:/data:ro" -- /bin/sh -c 'cat /data/existing; echo x > /data/new 2>/dev/null && echo writable'
chk "-v SRC:DST:ro is readable but not writable" "content" "$out"
chk "-v SRC:DST:ro: nothing written on the host" "no" "$([ -e "$T/ro/new" ] && echo yes || echo no)"

# /dev
nk run --rootfs "$R" -- /bin/sh -c 'for d in null zero full random urandom tty ptmx; do [ -c /dev/$d ] && echo $d; done'
chk "/dev has null zero full random urandom tty ptmx" "null zero full random urandom tty ptmx" "$(echo $out)"
nk run --rootfs "$R" -- /bin/sh -c 'ls /dev'
extra=$(printf '%s\n' "$out" | grep -Ev '^(null|zero|full|random|urandom|tty|ptmx|pts|shm|mqueue|fd|stdin|stdout|stderr|core|console)$')
chk "/dev is minimal (no host device)" "" "$extra"
nk run --rootfs "$R" -- /bin/sh -c 'for d in shm mqueue pts; do [ -d /dev/$d ] && echo $d; done; ls /dev/pts; [ -c /dev/pts/ptmx ] && echo pts-ptmx'
chk "/dev/shm /dev/mqueue /dev/pts are dirs, pts is a new instance with ptmx" "shm mqueue pts ptmx pts-ptmx" "$(echo $out)"
nk run --rootfs "$R" -- /bin/sh -c "awk '\$5 == \"/dev/pts\" || \$5 == \"/dev/mqueue\" || \$5 == \"/dev/shm\" { sub(/.* - /, \"\"); print \$1 }' /proc/self/mountinfo"
chk "devpts, mqueue and tmpfs are mounted on /dev/pts /dev/mqueue /dev/shm" "devpts mqueue tmpfs" "$(echo $out | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
nk run --rootfs "$R" -- /bin/sh -c 'head -c 8 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c; echo x > /dev/null && echo null-ok; echo x 2>/dev/null > /dev/full || echo full-fails'
chk "/dev nodes work (zero, urandom, null, full)" "8 16 null-ok full-fails" "$(echo $out)"
nk run --rootfs "$R" -- /bin/sh -c 'exec 3<>/dev/ptmx && ls /dev/pts'
chkre "opening /dev/ptmx creates a pty in the new devpts" '(^|[[:space:]])0($|[[:space:]])' "$out"
# /dev is a directory of nook's staging tmpfs bound there: nosuid and
# noexec as a tmpfs of its own would be, not nodev, writable by root inside
nk run --rootfs "$R" -- /bin/sh -c "awk '\$5 == \"/dev\" { print \$6 }' /proc/self/mountinfo; mkdir /dev/nk-dir && echo made"
chk "/dev is mounted nosuid,noexec (not nodev) and root inside can add to it" "rw,nosuid,noexec,relatime made" "$(echo $out)"

# a directory rootfs is bound nosuid and nodev: device nodes a rootfs
# unpacked by root may hold open nothing
nk run --rootfs "$R" -- /bin/sh -c "awk '\$5 == \"/\" { print \$6 }' /proc/self/mountinfo"
chkre "a directory rootfs is mounted nosuid and nodev" '(^|,)nosuid,nodev(,|$)' "$out"

# security.minimal_dev: false - the host's /dev, nosuid and noexec, with
# private devpts, shm and mqueue instances on top
nk run --rootfs "$R" --set security.minimal_dev=false -- /bin/sh -c 'ls /dev'
chk "minimal_dev false: every name in the host's /dev is there" "$(ls /dev | sort)" "$(printf '%s\n' "$out" | sort)"
nk run --rootfs "$R" --set security.minimal_dev=false -- /bin/sh -c "awk '\$5 == \"/dev\" { print \$6 }' /proc/self/mountinfo"
chkre "minimal_dev false: /dev is nosuid and noexec" '(^|,)nosuid,.*noexec|noexec.*nosuid' "$out"
nk run --rootfs "$R" --set security.minimal_dev=false -- /bin/sh -c 'exec 3<>/dev/ptmx && ls /dev/pts; echo secret > /dev/shm/nook-dev-test && echo shm-written'
chk "minimal_dev false: /dev/ptmx opens a pty of the container's own devpts" "0 ptmx shm-written" "$(echo $out)"
[ -e /dev/shm/nook-dev-test ] && t_fail "minimal_dev false: /dev/shm stays private" "/dev/shm/nook-dev-test appeared on the host" ||
	t_ok "minimal_dev false: /dev/shm stays private"
nk run --rootfs "$R" --set security.minimal_dev=false -- /bin/sh -c 'touch /dev/nook-created 2>&1 || echo refused'
chkre "minimal_dev false: the host's /dev cannot be changed" 'refused' "$out"
[ -e /dev/nook-created ] && t_fail "minimal_dev false: nothing created in the host's /dev" "/dev/nook-created exists" ||
	t_ok "minimal_dev false: nothing created in the host's /dev"
t_clean "minimal_dev false"

# host-root mode: / read-only, private /tmp
nk run -- /bin/sh -c "awk '\$5 == \"/\" { print \$6 }' /proc/self/mountinfo"
chkre "host-root mode: / is read-only" '^ro(,|$)' "$out"
# A host directory we can write to, outside /tmp (private inside) and
# outside $HOME (the default profile puts a private tmpfs there). The
# default profile hides /var/tmp and /home too: this runs the bare
# host-root mode, a profile with only rootfs: host.
printf 'rootfs: host\nprocess: {args: [/bin/sh]}\n' > "$T/hostroot.yaml"
probe_dir=
for d in /var/tmp "$NOOK_BUILDDIR" "$NOOK_SRCDIR"; do
	case $d in ''|/tmp|/tmp/*) continue ;; esac
	case $d/ in "${HOME:-/nonexistent}"/*) continue ;; esac
	case ${HOME:-/nonexistent}/ in "$d"/*) continue ;; esac
	[ -d "$d" ] && [ -w "$d" ] && { probe_dir=$d; break; }
done
if [ -n "$probe_dir" ]; then
	probe_file=$probe_dir/nook-core-ro-probe.$$
	rm -f "$probe_file"
	nk run "$T/hostroot.yaml" -- /bin/sh -c "echo x > $probe_file"
	chkre "host-root mode: writing to the host's $probe_dir fails with EROFS" 'Read-only file system' "$out $err"
	chk "host-root mode: nothing written on the host" "no" "$([ -e "$probe_file" ] && echo yes || echo no)"
	rm -f "$probe_file"
else
	t_skip "host-root mode: writing to a host directory fails with EROFS" "no writable directory outside /tmp and \$HOME"
fi
nk run -- /bin/sh -c "[ -e '$T' ] && echo host-tmp-visible; echo inside > /tmp/nook-private-probe.$$ && cat /tmp/nook-private-probe.$$"
chk "host-root mode: /tmp is private and writable" "inside" "$out"
chk "host-root mode: the private /tmp does not reach the host" "no" "$([ -e "/tmp/nook-private-probe.$$" ] && echo yes || echo no)"
nk run --tmpfs /mnt -- /bin/sh -c "awk '\$5 == \"/mnt\" { sub(/.* - /, \"\"); print \$1 }' /proc/self/mountinfo"
chk "host-root mode: --tmpfs /mnt" "tmpfs" "$out"
# a plain tmpfs whose mount point lies in an earlier plain one (the home
# directory in /home, the runtime directory in /run) is a directory there:
# same mode, private and writable, no filesystem of its own
cat > "$T/mnt-of.sh" <<'EOF_SH'
for d in "$@"; do
	echo "$d $(stat -c %a "$d") $(awk -v t="$d" '$5 == t { print "mount" }' /proc/self/mountinfo)"
done
echo x > /home/nk-probe/f && cat /home/nk-probe/f
EOF_SH
nkx env HOME=/home/nk-probe XDG_RUNTIME_DIR=/run/user/4242 "$NOOK" run --rootfs "$R" --userns self \
	-v "$T/mnt-of.sh:/mnt-of.sh:ro" -- /bin/sh /mnt-of.sh /home /home/nk-probe /run/user/4242
chk "default profile: \$HOME and \$XDG_RUNTIME_DIR are private 0700 directories of the /home and /run tmpfs" \
	"$(printf '/home 755 mount\n/home/nk-probe 700 \n/run/user/4242 700 \nx')" "$out"
nkx env HOME=/home/nk-probe "$NOOK" run --rootfs "$R" --userns self --tmpfs /home/nk-probe/big:size=1m -- \
	/bin/sh -c "awk '\$5 == \"/home/nk-probe/big\" { print \$5 }' /proc/self/mountinfo"
chk "a tmpfs with a size inside /home's stays a mount of its own" "/home/nk-probe/big" "$out"
t_clean "mounts"

# ---------------------------------------------------------------- id maps
maps='cat /proc/self/uid_map; echo -; cat /proc/self/gid_map; echo -; cat /proc/self/setgroups; echo -; id -u; id -g'
nk run --rootfs "$R" --userns self -- /bin/sh -c "$maps"
chk "self: uid_map gid_map setgroups and ids" "$(printf '0 %s 1\n-\n0 %s 1\n-\ndeny\n-\n0\n0' "$myuid" "$mygid")" "$(norm "$out")"
nk run --rootfs "$R" --userns self --uid 1000 --gid 1000 -- /bin/sh -c "$maps"
chk "self --uid 1000 --gid 1000: the caller is 1000 inside" "$(printf '1000 %s 1\n-\n1000 %s 1\n-\ndeny\n-\n1000\n1000' "$myuid" "$mygid")" "$(norm "$out")"
nk run --userns self -- /bin/cat /proc/self/uid_map
chk "self mode with the host root" "0 $myuid 1" "$(norm "$out")"

mkdir -p "$T/own-self"
nk run --rootfs "$R" --userns self -v "$T/own-self:/data" -- /bin/sh -c 'echo x > /data/by-root; stat -c %u:%g /data/by-root'
chk "self: a file root creates is 0:0 inside" "0:0" "$out"
chk "self: a file root creates in a bind is owned by the caller on the host" "$myuid:$mygid" "$(stat -c %u:%g "$T/own-self/by-root" 2>/dev/null)"

if [ $have_subuid = 1 ]; then
	# newuidmap/newgidmap write the maps (no holder): inside, the
	# container reads them against the host
	NOOK_HOLDER_IDLE=0 nk run --rootfs "$R" --userns subuid -- /bin/sh -c "$maps"
	chk "subuid: uid_map gid_map setgroups and ids" \
		"$(printf '0 %s 1\n1 %s %s\n-\n0 %s 1\n1 %s %s\n-\nallow\n-\n0\n0' "$myuid" "$subuid_start" "$subuid_count" "$mygid" "$subgid_start" "$subgid_count")" \
		"$(norm "$out")"
	# through the user namespace holder (the default): inside, the
	# container reads its map against the holder's namespace, whose own
	# map is the one above (userns-holder.sh checks the host's view)
	nk run --rootfs "$R" --userns subuid -- /bin/sh -c "$maps"
	chk "subuid via the holder: uid_map gid_map setgroups and ids" \
		"$(printf '0 0 1\n1 1 %s\n-\n0 0 1\n1 1 %s\n-\nallow\n-\n0\n0' "$subuid_count" "$subgid_count")" \
		"$(norm "$out")"
	nk run --rootfs "$R" --userns subuid --uid 1000 --gid 1000 -- /bin/sh -c 'id -u; id -g'
	chk "subuid --uid 1000 --gid 1000: the payload runs as 1000:1000" "1000 1000" "$(echo $out)"
	NOOK_HOLDER_IDLE=0 nk run --userns subuid -- /bin/cat /proc/self/uid_map
	chk "subuid mode with the host root" "$(printf '0 %s 1\n1 %s %s' "$myuid" "$subuid_start" "$subuid_count")" "$(norm "$out")"

	mkdir -p "$T/own-sub"
	chmod 0777 "$T/own-sub"
	nk run --rootfs "$R" --userns subuid --uid 1000 --gid 1000 -v "$T/own-sub:/data" -- /bin/sh -c 'echo x > /data/by-1000'
	chk "subuid: a file uid 1000 creates is owned by the subordinate uid on the host" \
		"$((subuid_start + 999)):$((subgid_start + 999))" "$(stat -c %u:%g "$T/own-sub/by-1000" 2>/dev/null)"
	nk run --rootfs "$R" --userns subuid -v "$T/own-sub:/data" -- /bin/sh -c 'echo x > /data/by-root; echo y > /data/chowned; chown 1000:1000 /data/chowned'
	chk "subuid: a file root creates is owned by the caller on the host" "$myuid:$mygid" "$(stat -c %u:%g "$T/own-sub/by-root" 2>/dev/null)"
	chk "subuid: root's chown 1000:1000 inside is the subordinate uid on the host" \
		"$((subuid_start + 999)):$((subgid_start + 999))" "$(stat -c %u:%g "$T/own-sub/chowned" 2>/dev/null)"

	NOOK_HOLDER_IDLE=0 nk run --rootfs "$R" --verbose -- /bin/cat /proc/self/uid_map
	chk "auto: subuid mode when the caller has a range and newuidmap exists" \
		"$(printf '0 %s 1\n1 %s %s' "$myuid" "$subuid_start" "$subuid_count")" "$(norm "$out")"
	chkre "--verbose says subuid mode was chosen" '^nook: .*subuid' "$err"
	chk "--verbose writes only lines starting with 'nook: ' on stderr" "" "$(printf '%s\n' "$err" | grep -v '^nook: ')"
	# the host's / (default profile) and an empty root: self mode, no helper
	nk run --verbose -- /bin/cat /proc/self/uid_map
	chk "auto with the host's /: self mode although the caller has a range" "0 $myuid 1" "$(norm "$out")"
	chkre "--verbose says why self mode suits the host's /" "^nook: .*self mode: the root is the host's /" "$err"
	nk run --verbose --set rootfs=empty --set 'mounts=[{type: ro-bind, source: /usr, target: /usr}, {type: symlink, source: usr/bin, target: /bin}, {type: symlink, source: usr/lib, target: /lib}, {type: symlink, source: usr/lib64, target: /lib64}]' -- /bin/cat /proc/self/uid_map
	chk "auto with an empty root: self mode" "0 $myuid 1" "$(norm "$out")"
	NOOK_HOLDER_IDLE=0 nk run --userns subuid -- /bin/cat /proc/self/uid_map
	chk "an explicit subuid still maps the range with the host's /" "$(printf '0 %s 1\n1 %s %s' "$myuid" "$subuid_start" "$subuid_count")" "$(norm "$out")"
else
	t_skip "subuid mode tests" "no range for $me in /etc/subuid and /etc/subgid, or no newuidmap/newgidmap"
fi
mkdir -p "$T/nopath"
nkx env PATH="$T/nopath" "$NOOK" run --rootfs "$R" --verbose -- /bin/cat /proc/self/uid_map
chk "auto: self mode when newuidmap is not in PATH" "0 $myuid 1" "$(norm "$out")"
chkre "--verbose says self mode was chosen and why" '^nook: .*self.*newuidmap|^nook: .*newuidmap.*self' "$err"
t_clean "id maps"

# ---------------------------------------------------------------- exit status
st_case() { # NAME WANT NOOK-RUN-ARGS...
	_n=$1 _want=$2; shift 2
	nk run "$@"
	chk "exit status: $_n" "$_want" "$rc"
}
st_case "true is 0" 0 --rootfs "$R" -- /bin/true
st_case "false is 1" 1 --rootfs "$R" -- /bin/false
st_case "exit 42 is 42" 42 --rootfs "$R" -- /bin/sh -c 'exit 42'
st_case "exit 255 is 255" 255 --rootfs "$R" -- /bin/sh -c 'exit 255'
st_case "the payload's own exit 126 passes through" 126 --rootfs "$R" -- /bin/sh -c 'exit 126'
st_case "killed by SIGTERM is 143" 143 --rootfs "$R" -- /bin/sh -c 'kill -TERM $$; sleep 5'
st_case "killed by SIGKILL is 137" 137 --rootfs "$R" -- /bin/sh -c 'kill -KILL $$; sleep 5'
st_case "killed by SIGUSR1 is 138" 138 --rootfs "$R" -- /bin/sh -c 'kill -USR1 $$; sleep 5'
st_case "not executable is 126" 126 --rootfs "$R" -- /etc/not-executable
st_case "a directory is 126" 126 --rootfs "$R" -- /etc
st_case "a missing absolute path is 127" 127 --rootfs "$R" -- /no/such/program
st_case "a missing command name is 127" 127 --rootfs "$R" -- no-such-program-xyz
st_case "a missing rootfs is 125" 125 --rootfs "$T/no-such-rootfs" -- /bin/true
st_case "an unknown option is 125" 125 --no-such-option-xyz -- /bin/true
st_case "a bad --userns value is 125" 125 --userns bogus -- /bin/true
st_case "host-root: false is 1" 1 -- /bin/false
st_case "host-root: a missing program is 127" 127 -- /no/such/program
st_case "host-root: killed by SIGTERM is 143" 143 -- /bin/sh -c 'kill -TERM $$; sleep 5'
t_clean "exit status"

# ---------------------------------------------------------------- errors
nk run --rootfs "$T/no-such-rootfs" -- /bin/true
chk_error "missing rootfs: one clear 'nook: ' line naming the path" 125 "no-such-rootfs"
nk run --rootfs "$R" -- no-such-program-xyz
chk_error "missing command: one clear 'nook: ' line naming it" 127 "no-such-program-xyz"
nk run --rootfs "$R" -- /no/such/program
chk_error "missing absolute command: one clear 'nook: ' line naming it" 127 "/no/such/program"
nk run --rootfs "$R" -- /etc/not-executable
chk_error "non-executable command: one clear 'nook: ' line naming it" 126 "not-executable"
nkx env PATH="$T/nopath" "$NOOK" run --rootfs "$R" --userns subuid -- /bin/true
chk_error "--userns subuid without newuidmap in PATH: one clear 'nook: ' line" 125 "newuidmap"
nk run --rootfs "$R" -v "$T/no-such-source:/data" -- /bin/true
chk_error "missing bind source: the real cause reaches the user" 125 "no-such-source|/data"
nk run --rootfs "$R" -w /no/such/dir -- /bin/true
if [ "$rc" != 0 ]; then t_ok "missing working directory fails"; else t_fail "missing working directory fails" "$(_diag)"; fi
chkre "missing working directory: the error names it" '^nook: .*/no/such/dir' "$err"
nk run --rootfs "$R" -v /etc/passwd:/bin -- /bin/true
chk_error "a mount that fails inside the child: its real cause reaches the user" 125 "/bin"
nk run --rootfs "$R/etc/passwd" -- /bin/true
chk_error "a rootfs that is a file: one clear 'nook: ' line" 125 "passwd"
if [ $have_subuid = 1 ]; then
	nk run --rootfs "$R" --userns subuid --uid $((subuid_count + 1)) -- /bin/true
	chk_error "--uid beyond the subordinate range: one clear 'nook: ' line" 125 "$((subuid_count + 1))"
fi
nk run --rootfs "$R" --hostname "$(printf '%070d' 0 | tr 0 a)" -- /bin/true
chk_error "an invalid --hostname: one clear 'nook: ' line" 125 "hostname"
nk run --no-such-option-xyz -- /bin/true
chk_error "unknown option: one clear 'nook: ' line naming it" 125 "no-such-option-xyz"
nk run --rootfs
chk_error "an option without its value: one clear 'nook: ' line naming it" 125 "--rootfs"
# a name from the rootfs that holds a terminal escape sequence (clear the
# screen, set the window title) reaches the terminal escaped, as text
printf x > "$R/$(printf 'evil\033[2J\033]0;owned\007name')"
evil=$(cd "$R" && ls -d evil*)
nk run --rootfs "$R" -- "/$evil"
chk_error "a rootfs name with an escape sequence: the error shows it escaped" 126 'evil\\x1b\[2J\\x1b\]0;owned\\x07name'
chknore "a rootfs name with an escape sequence: no control character reaches the terminal" "$(printf '[\001-\010\013-\037\177]')" "$err"
rm -f "$R/$evil"
# --userns subuid for a user without a range: norange.sh, run as such a user.
t_clean "errors"

# ---------------------------------------------------------------- signals
# A caller that ignores or blocks signals (a script's background job ignores
# SIGINT and SIGQUIT) must not pass that on: the payload starts clean.
# (busybox sh ignores SIGQUIT itself, so grep is the payload here). Only the
# standard signals 1-31 count: glibc reserves 32 and 33, nook cannot reset
# those through sigaction(), and a harness may start us with them ignored.
nkx sh -c 'trap "" HUP INT QUIT USR1 USR2 PIPE ALRM TERM TSTP TTIN TTOU XFSZ VTALRM; exec "$0" "$@"' "$NOOK" run --rootfs "$R" -- \
	/bin/grep -E '^Sig(Blk|Ign):' /proc/self/status
blk=$(printf '%s\n' "$out" | sed -n 's/^SigBlk:[[:space:]]*//p')
ign=$(printf '%s\n' "$out" | sed -n 's/^SigIgn:[[:space:]]*//p')
chk "the payload starts with no ignored and no blocked standard signal" \
	"blocked 0 ignored 0" "blocked $(printf %#x $((0x${blk:-1} & 0x7fffffff))) ignored $(printf %#x $((0x${ign:-1} & 0x7fffffff)))"
# The payload traps the signal, writes a marker and exits 7. nook is started
# with default dispositions (a background job of sh has SIGINT and SIGQUIT
# ignored), so that forwarding is tested apart from the reset checked above.
S=$T/sync-sig
for sig in INT TERM HUP QUIT USR1 USR2; do
	rm -rf "$S"; mkdir -p "$S"
	env --default-signal "$NOOK" run --rootfs "$R" -v "$S:/sync" -- /bin/sh -c "
		trap 'echo $sig > /sync/got; exit 7' $sig
		touch /sync/ready
		i=0; while [ \$i -lt 400 ]; do sleep 0.05; i=\$((i + 1)); done; exit 3" \
		>"$T/bg.out" 2>"$T/bg.err" </dev/null &
	pid=$!
	if wait_file "$S/ready" 10; then
		kill -s "$sig" "$pid"
		reap "$pid"
		chk "SIG$sig sent to nook reaches the payload's trap" "$sig" "$(cat "$S/got" 2>/dev/null)"
		chk "SIG$sig: nook exits with the payload's status" 7 "$st"
	else
		reap "$pid" 1
		t_fail "SIG$sig sent to nook reaches the payload's trap" "the payload never started: $(cat "$T/bg.err")"
	fi
done
rm -rf "$S"; mkdir -p "$S"
env --default-signal "$NOOK" run --rootfs "$R" -v "$S:/sync" -- /bin/sh -c 'touch /sync/ready; exec sleep 20' \
	>"$T/bg.out" 2>"$T/bg.err" </dev/null &
pid=$!
if wait_file "$S/ready" 10; then
	sleep 0.1 # let the shell exec sleep
	kill -TERM "$pid"
	reap "$pid"
	chk "an untrapped SIGTERM forwarded to the payload: nook exits 143" 143 "$st"
else
	reap "$pid" 1
	t_fail "an untrapped SIGTERM forwarded to the payload: nook exits 143" "$(cat "$T/bg.err")"
fi
kill_container_procs
t_clean "signal forwarding"

# ---------------------------------------------------------------- SIGKILL
for mode in rootfs host; do
	rm -rf "$S"; mkdir -p "$S"
	if [ $mode = rootfs ]; then
		"$NOOK" run --rootfs "$R" -v "$S:/sync" -- /bin/sh -c \
			'trap "" INT TERM HUP; sleep 1000 & touch /sync/ready; sleep 1000' \
			>"$T/bg.out" 2>"$T/bg.err" </dev/null &
	else
		"$NOOK" run -v "$S:/mnt" -- /bin/sh -c \
			'trap "" INT TERM HUP; sleep 1000 & touch /mnt/ready; sleep 1000' \
			>"$T/bg.out" 2>"$T/bg.err" </dev/null &
	fi
	pid=$!
	if wait_file "$S/ready" 10; then
		caps=$(sed -n 's/^Cap\(Prm\|Eff\|Amb\):[[:space:]]*/\1=/p' "/proc/$pid/status" | tr '\n' ' ')
		uids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$pid/status" | tr -s '\t ' ' ')
		chk "$mode: nook itself runs with no capability on the host" "Prm=0000000000000000 Eff=0000000000000000 Amb=0000000000000000 " "$caps"
		chk "$mode: nook itself runs with the caller's uid only (no setuid)" "$myuid $myuid $myuid $myuid" "$uids"
		left=$(t_container_procs)
		if [ -n "$left" ]; then t_ok "$mode: the container's processes are visible before the kill"
		else t_fail "$mode: the container's processes are visible before the kill" "t_container_procs found nothing"; fi
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		if wait_no_container 5; then t_ok "$mode: SIGKILL of nook kills the whole container"
		else t_fail "$mode: SIGKILL of nook kills the whole container" "left: $(t_container_procs)"; fi
	else
		kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
		t_fail "$mode: SIGKILL of nook kills the whole container" "the payload never started: $(cat "$T/bg.err")"
	fi
	kill_container_procs
	t_clean "$mode: SIGKILL"
done
# SIGKILL at moments spread over the start-up (the race with the death
# signal: the holder's intermediate and the network helper, which can
# outlive nook, may still send the child its go and its network namespace)
i=0
while [ $i -lt 40 ]; do
	"$NOOK" run --rootfs "$R" -- /bin/sleep 1000 >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "$(printf '0.%06d' $(( (i * 211) % 8000 )))"
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	i=$((i + 1))
done
if wait_no_container 5; then t_ok "SIGKILL of nook during start-up leaves no container (40 tries over its first 8 ms)"
else t_fail "SIGKILL of nook during start-up leaves no container (40 tries over its first 8 ms)" "left: $(t_container_procs)"; fi
kill_container_procs
t_clean "SIGKILL during start-up"

# A rootfs whose /proc or /dev is a symlink is refused, not followed
for d in proc dev; do
	rm -rf "$T/evil" && sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/evil" >/dev/null 2>&1
	rm -rf "$T/evil/$d" && ln -s /etc "$T/evil/$d"
	nk run --rootfs "$T/evil" -- /bin/true
	chk "a rootfs whose /$d is a symlink: exit 125" 125 "$rc"
	chkre "a rootfs whose /$d is a symlink: the error says why" "refusing to mount on /$d" "$err"
done
t_clean "symlinked /proc and /dev"

# A bind onto a path the read-only host root does not have: staged (a tmpfs
# over / that mirrors it), the host's / untouched
nk run -v "$T:/nook-no-such-dir-$$" -- /bin/sh -c "ls -d /nook-no-such-dir-$$ /usr/bin"
chk "a mount point missing from the read-only host root: provided without writing to it" \
	"0 /nook-no-such-dir-$$ /usr/bin no" "$rc $(printf '%s' "$out" | tr '\n' ' ') $([ -e "/nook-no-such-dir-$$" ] && echo yes || echo no)"

# process.timeout (--timeout): SIGTERM at the deadline, SIGKILL 2 s later,
# exit status 124 and one line that says so
start=$(date +%s)
nk run --timeout 1s --rootfs "$R" -- /bin/sleep 30
chk "--timeout: a payload that outlives it ends with 124" 124 "$rc"
t_match "--timeout: nook says it timed out" "^nook: timed out after 1" "$err"
t_eq "--timeout: the payload was stopped at the deadline, not at its end" yes \
	"$([ $(( $(date +%s) - start )) -lt 10 ] && echo yes || echo no)"
nk run --timeout 1s --rootfs "$R" -- /bin/sh -c 'trap "" TERM; sleep 30'
chk "--timeout: a payload that ignores SIGTERM is killed too" 124 "$rc"
nk run --timeout 5s --rootfs "$R" -- /bin/true
chk "--timeout: a payload that ends in time keeps its status" 0 "$rc"
t_clean "timeout"

# ---------------------------------------------------------------- terminal
# -t when the caller's terminal already holds an end of file: script(1)
# whose own input ended sends ^D into its pty, often before nook has put
# that pty in raw mode. The line discipline keeps such an EOF as a NUL
# byte, which the switch to raw mode turns into data: it must reach the
# payload as the end of its input, not as a NUL its pty echoes as "^@".
# ptyrun.py makes that state on purpose (^D written before nook starts),
# so the check does not depend on script's timing.
cat > "$T/ptyrun.py" <<'PYEOF'
# ptyrun.py PREFILL CMD...: run CMD in the foreground of a new pty whose
# input already holds PREFILL; copy everything CMD writes to stdout and
# exit with CMD's status
import fcntl, os, subprocess, sys, termios
m, s = os.openpty()
os.write(m, sys.argv[1].encode().decode("unicode_escape").encode("latin-1"))
def ctty():
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
p = subprocess.Popen(sys.argv[2:], stdin=s, stdout=s, stderr=s, preexec_fn=ctty)
os.close(s)
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    sys.stdout.buffer.write(d)
sys.exit(p.wait())
PYEOF
bytes() { od -An -c "$1" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
if command -v python3 >/dev/null 2>&1; then
	nkx python3 "$T/ptyrun.py" '\x04' "$NOOK" run -t --rootfs "$R" -- echo hi
	chk "-t, an EOF queued on the caller's terminal: the output is exactly 'hi' CR LF, no NUL" \
		'h i \r \n' "$(bytes "$T/out")"
	nkx python3 "$T/ptyrun.py" '\x04' "$NOOK" run -t --rootfs "$R" -- cat
	chk "-t, an EOF queued on the caller's terminal: cat inside sees the end of its input" "0 " "$rc $(bytes "$T/out")"
	# a line, text pushed out by ^D, then EOF: cat reads all three
	nkx python3 "$T/ptyrun.py" 'line one\nrest\x04\x04' "$NOOK" run -t --rootfs "$R" -- cat
	chk "-t, input typed ahead (a line, ^D-pushed text, EOF): cat reads it all and ends" 0 "$rc"
	chkre "-t, input typed ahead: cat prints the line and the pushed text" 'line one.*rest' "$(tr -d '\r\n' < "$T/out")"
	chknore "-t, input typed ahead: no NUL reaches the payload" '\^@' "$out"
else
	t_skip "-t with an EOF queued on the caller's terminal" "python3 is not installed"
fi
if command -v script >/dev/null 2>&1; then
	nkx script -qec "'$NOOK' run -t --rootfs '$R' -- echo hi" /dev/null
	chk "-t under script(1) with input at EOF: the output is exactly 'hi' CR LF" 'h i \r \n' "$(bytes "$T/out")"
	nkx script -qec "'$NOOK' run -t --rootfs '$R' -- sh -c 'exit 3'" /dev/null
	chk "-t under script(1): the payload's status passes through" 3 "$rc"
else
	t_skip "-t under script(1)" "script(1) is not installed"
fi
t_clean "terminal"

t_done
