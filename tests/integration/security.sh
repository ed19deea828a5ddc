#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# security.sh - the security envelope, seen from inside the container.
#
# tests/probe (static) runs inside containers under the default, strict and
# an unconfined configuration and reports what it could do. Under default
# and strict every attack must fail with the documented error; under
# unconfined the same attacks succeed where the kernel allows them, which
# proves the probe can tell the difference.
. "${NOOK_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

PROBE_SRC=${NOOK_BUILDDIR}/tests/probe
if [ ! -x "$PROBE_SRC" ]; then
	echo "1..0 # SKIP $PROBE_SRC is not built (make check builds it)"
	exit 0
fi
cp "$PROBE_SRC" "$T/probe"
chmod 755 "$T/probe"
P=/tmp/nook-probe

# Some kernels have no i386 ABI (ia32_emulation=0, or IA32_EMULATION off):
# there int $0x80 faults even outside any sandbox, so the i386 checks are
# skipped. Asked once, outside nook. NOOK_TEST_I386=faults takes that
# branch on a host where int $0x80 works (to test the skips).
i386_out=$("$T/probe" i386_getpid 2>&1)
case $i386_out in
*"i386_getpid: ok"*) i386=works ;;
*) i386=faults; i386_why="int \$0x80 faults on this host even outside nook (no i386 ABI): $i386_out" ;;
esac
if [ "${NOOK_TEST_I386:-}" = faults ]; then
	i386=faults
	i386_why="NOOK_TEST_I386=faults: run as on a host whose int \$0x80 faults"
fi

# probe PROFILE [NOOK OPTIONS...] -- runs the probe with stdin from /dev/null
probe() {
	_prof=$1; shift
	timeout -k 5 60 "$NOOK" run -v "$T/probe:$P:ro" "$@" "$_prof" -- "$P" </dev/null 2>&1
}

# expect NAME OUTPUT CHECK RESULT-REGEX
expect() {
	t_match "$1: $3" "^$3: ($4)\$" "$2"
}
# the same for a check through the i386 entry (int $0x80)
expect_i386() {
	if [ $i386 = works ]; then expect "$@"; else t_skip "$1: $3" "$i386_why"; fi
}

# ---------------------------------------------------------------- default
out=$(probe default)
t_match "default: the probe ran" '^status|^Seccomp:' "$out"
for chk in tiocsti tiocsti_high tioclinux keyctl add_key bpf perf_event_open \
	io_uring_setup userfaultfd mount unshare_user clone_newns mknod \
	x32_keyctl personality ptrace_parent open_tree open_tree_attr umount_masked; do
	expect default "$out" "$chk" EPERM
done
for chk in i386_keyctl i386_tiocsti; do
	expect_i386 default "$out" "$chk" EPERM
done
expect default "$out" clone3 ENOSYS
expect default "$out" personality_query ok
expect default "$out" read_kcore 'masked|absent'
expect default "$out" read_keys masked
expect default "$out" read_timer_list masked
expect default "$out" list_acpi 'masked|absent'
# without CAP_NET_ADMIN the sysctl's permissions refuse first (EACCES)
expect default "$out" write_proc_sys 'EROFS|EACCES'
expect default "$out" write_sysrq 'EROFS|absent'
t_match "default: only 0, 1, 2 open at exec" '^fds: 0,1,2$' "$out"
t_match "default: cwd inside the root" '^cwd: /' "$out"
t_match "default: no_new_privs" '^NoNewPrivs: 1$' "$out"
t_match "default: seccomp filter mode" '^Seccomp: 2$' "$out"
t_match "default: podman's capability set" '^CapEff: 00000000800405fb$' "$out"
t_match "default: bounding set trimmed" '^CapBnd: 00000000800405fb$' "$out"
t_match "default: inheritable empty" '^CapInh: 0000000000000000$' "$out"
t_match "default: no ambient" '^CapAmb: 0000000000000000$' "$out"

# an fd open in the caller does not leak into the payload
out=$(exec 7</dev/null; probe default)
t_match "default: caller's fd 7 does not leak" '^fds: 0,1,2$' "$out"

# with CAP_NET_ADMIN it is the read-only /proc/sys that refuses
out=$(probe default --cap-add NET_ADMIN)
expect "default + NET_ADMIN" "$out" write_proc_sys EROFS

# ---------------------------------------------------------------- strict
out=$(probe strict --set "security.landlock.execute+=[$P]")
t_match "strict: the probe ran" '^Seccomp:' "$out"
for chk in tiocsti tiocsti_high tioclinux keyctl add_key bpf perf_event_open \
	io_uring_setup userfaultfd mount unshare_user clone_newns mknod \
	x32_keyctl personality ptrace_parent open_tree open_tree_attr umount_masked; do
	expect strict "$out" "$chk" EPERM
done
for chk in i386_keyctl i386_tiocsti; do
	expect_i386 strict "$out" "$chk" EPERM
done
expect strict "$out" clone3 ENOSYS
expect strict "$out" read_keys masked
expect strict "$out" write_proc_sys 'EROFS|EACCES'
t_match "strict: only 0, 1, 2 open at exec" '^fds: 0,1,2$' "$out"
t_match "strict: no capabilities" '^CapEff: 0000000000000000$' "$out"
t_match "strict: empty bounding set" '^CapBnd: 0000000000000000$' "$out"
t_match "strict: no_new_privs" '^NoNewPrivs: 1$' "$out"
t_match "strict: seccomp" '^Seccomp: 2$' "$out"

# ---------------------------------------------------------------- unconfined
cat > "$T/unconfined.yaml" <<'EOF'
description: the default profile with the security envelope off (probe tests only)
extends: default
security:
  capabilities:
    add: [ALL]
  no_new_privileges: false
  seccomp: unconfined
EOF
out=$(probe "$T/unconfined.yaml")
t_match "unconfined: no seccomp" '^Seccomp: 0$' "$out"
t_match "unconfined: every capability" '^CapEff: 0000[0-9a-f]*ffffffff$' "$out"
t_match "unconfined: no no_new_privs" '^NoNewPrivs: 0$' "$out"
for chk in keyctl add_key userfaultfd mount unshare_user clone_newns clone3 \
	personality open_tree open_tree_attr umount_masked; do
	expect unconfined "$out" "$chk" ok
done
expect_i386 unconfined "$out" i386_keyctl ok
# (ptrace of the parent stays refused: nook's init is not dumpable)
# where the kernel refuses, it refuses with its own error, not the filter's
expect unconfined "$out" tiocsti ENOTTY
expect unconfined "$out" tiocsti_high ENOTTY
expect unconfined "$out" tioclinux ENOTTY
expect_i386 unconfined "$out" i386_tiocsti 'ENOTTY|EFAULT'
expect unconfined "$out" bpf 'EINVAL|ok'
expect unconfined "$out" perf_event_open 'EFAULT|ok'
expect unconfined "$out" io_uring_setup 'EFAULT|EINVAL'
expect unconfined "$out" x32_keyctl 'ENOSYS|ok'
expect unconfined "$out" unmasked_read ok

# ---------------------------------------------------------------- a real terminal
# With -t the payload gets its own pty. TIOCSTI on it is what an attacker
# would use; unconfined, the kernel accepts it (also with the high bits set,
# which the filter must not be fooled by), under default it is refused.
if command -v script >/dev/null 2>&1; then
	out=$(script -qec "timeout -k 5 60 $NOOK run -t -v $T/probe:$P:ro default -- $P tiocsti tioclinux" /dev/null </dev/null 2>&1)
	t_match "tty default: TIOCSTI refused" 'tiocsti: EPERM' "$out"
	t_match "tty default: TIOCSTI with high bits refused" 'tiocsti_high: EPERM' "$out"
	t_match "tty default: TIOCLINUX refused" 'tioclinux: EPERM' "$out"
	out=$(script -qec "timeout -k 5 60 $NOOK run -t -v $T/probe:$P:ro --seccomp unconfined default -- $P tiocsti" /dev/null </dev/null 2>&1)
	# kernels with dev.tty.legacy_tiocsti=0 refuse it themselves (EIO)
	want=ok
	[ "$(cat /proc/sys/dev/tty/legacy_tiocsti 2>/dev/null)" = 0 ] && want=EIO
	t_match "tty unconfined: TIOCSTI reaches the kernel" "tiocsti: $want" "$out"
	t_match "tty unconfined: so does the high-bits variant" "tiocsti_high: $want" "$out"
else
	t_fail "tty tests" "script(1) is missing (package util-linux / bsdutils)"
fi

# no_new_privs off: the filter is loaded while the payload still holds
# CAP_SYS_ADMIN, then the capabilities are dropped as usual
out=$(probe default --set security.no_new_privileges=false)
t_match "no_new_privs off: NoNewPrivs 0" '^NoNewPrivs: 0$' "$out"
t_match "no_new_privs off: filter still loaded" '^Seccomp: 2$' "$out"
expect "no_new_privs off" "$out" keyctl EPERM
t_match "no_new_privs off: capabilities still trimmed" '^CapEff: 00000000800405fb$' "$out"
out=$(probe strict --set security.no_new_privileges=false --set "security.landlock.execute+=[$P]")
t_match "no_new_privs off, strict: filter loaded" '^Seccomp: 2$' "$out"
t_match "no_new_privs off, strict: no capabilities left" '^CapEff: 0000000000000000$' "$out"

# ---------------------------------------------------------------- seccomp options
out=$(probe default --set 'security.seccomp.rules=[{syscalls: [getcwd], action: errno, errno: 2}]')
t_match "custom rule: getcwd answers ENOENT" '^cwd: ENOENT$' "$out"
expect "custom rule" "$out" keyctl EPERM

out=$(probe default --set 'security.seccomp.rules=[{syscalls: [keyctl], action: allow}]')
expect "custom allow" "$out" keyctl ok
expect "custom allow" "$out" add_key EPERM

out=$(probe default --set 'security.seccomp.rules=[{syscalls: [uname], action: errno, args: [{index: 0, op: eq, value: 0}]}]')
t_match "custom rule with an argument compare compiles and runs" '^Seccomp: 2$' "$out"

# i386's socketcall hides socket()'s arguments from the filter: a rule
# that allows socket only for AF_UNIX must not let netlink through it
expect_i386 default "$(probe default)" i386_socketcall ok
out=$(probe default --set 'security.seccomp.rules=[{syscalls: [socket], action: allow, args: [{index: 0, op: eq, value: 1}]}]')
expect_i386 "socket allowed for AF_UNIX only" "$out" i386_socketcall EPERM

out=$(probe default --set security.seccomp.default_errno=EACCES)
expect "default_errno EACCES" "$out" keyctl EACCES
expect "default_errno EACCES" "$out" clone3 ENOSYS

out=$(probe default --set security.seccomp.allow_nested_userns=true)
expect "allow_nested_userns" "$out" unshare_user ok
expect "allow_nested_userns" "$out" keyctl EPERM

if [ -r /usr/share/containers/seccomp.json ]; then
	out=$(probe default --seccomp /usr/share/containers/seccomp.json)
	t_match "seccomp.json: loaded" '^Seccomp: 2$' "$out"
	# the file allows keyctl, knows nothing of io_uring (ENOSYS by default)
	expect "seccomp.json" "$out" keyctl ok
	expect "seccomp.json" "$out" io_uring_setup ENOSYS
	expect "seccomp.json" "$out" personality ENOSYS
	# nook stacks the terminal-injection check on top of any file
	expect "seccomp.json" "$out" tiocsti EPERM
	expect "seccomp.json" "$out" tiocsti_high EPERM
else
	t_fail "seccomp.json" "/usr/share/containers/seccomp.json is missing (contrib/setup-host.sh --test installs it)"
fi

printf '{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [{"names": ["read"], "action": "SCMP_ACT_BOGUS"}]}\n' > "$T/bad.json"
t_status "bad seccomp file: exit 125" 125 "$NOOK" run --seccomp "$T/bad.json" default -- true
out=$("$NOOK" run --seccomp "$T/bad.json" default -- true 2>&1)
t_match "bad seccomp file: file:line:column named" "bad.json:2:45: unknown action 'SCMP_ACT_BOGUS'" "$out"
t_clean "bad seccomp file"

# the program is compiled for each container, never cached: an earlier
# nook cached it per user, and a container with a writable bind of the
# cache directory could swap in an allow-all program for the next one
mkdir -m 700 "$T/xdg"
out=$(XDG_RUNTIME_DIR=$T/xdg probe default --verbose)
t_match "seccomp: compiled for this container" 'seccomp: [0-9]+ BPF instructions compiled' "$out"
t_nomatch "seccomp: nothing taken from a cache" 'from the cache' "$out"
t_eq "seccomp: no cache directory written" "" "$(ls -A "$T/xdg")"
# what such a container would do to a cached program: every instruction
# becomes "return allow" (8 bytes: code 6, k 0x7fff0000)
for f in "$T"/xdg/nook/seccomp/*.bpf; do
	[ -f "$f" ] || continue
	size=$(wc -c < "$f")
	# header: 8 bytes magic, description length, instruction count
	len=$(od -An -tu4 -j8 -N4 "$f" | tr -d ' ')
	i=$((16 + len))
	while [ $i -lt "$size" ]; do
		printf '\006\000\000\000\000\000\377\177' | dd of="$f" bs=1 seek=$i conv=notrunc 2>/dev/null
		i=$((i + 8))
	done
done
out=$(XDG_RUNTIME_DIR=$T/xdg probe default)
expect "seccomp: a tampered cache cannot matter" "$out" keyctl EPERM
expect "seccomp: a tampered cache cannot matter" "$out" unshare_user EPERM

# ---------------------------------------------------------------- the allow-list
# CAP_SYS_ADMIN in the container's user namespace would let the mount
# family through to the kernel; the filter refuses all of it, including
# calls newer than the filter (open_tree_attr, 6.15, cloned host mounts)
out=$(probe default --cap-add SYS_ADMIN)
t_match "SYS_ADMIN: the probe ran" '^Seccomp: 2$' "$out"
for chk in mount open_tree open_tree_attr unshare_user clone_newns umount_masked keyctl; do
	expect "default + SYS_ADMIN" "$out" "$chk" EPERM
done

# Every number from 0 to 500 that is not on the allow-list (as `nook
# profile seccomp` prints it for the same profile) says EPERM, or ENOSYS
# above the highest number the list knows; x32 is refused as a whole.
# sweep NAME PROFILE [SET [NOOK RUN OPTIONS...]]: SET is one --set value
sweep() {
	_name=$1 _prof=$2 _set=${3:-}
	shift 2; [ $# -gt 0 ] && shift
	if [ -n "$_set" ]; then
		set -- --set "$_set" "$@"
		"$NOOK" profile seccomp --set "$_set" "$_prof" > "$T/allowed" 2>"$T/allowed.err"
	else
		"$NOOK" profile seccomp "$_prof" > "$T/allowed" 2>"$T/allowed.err"
	fi || { t_fail "$_name: nook profile seccomp" "$(cat "$T/allowed.err")"; return; }
	t_match "$_name: the list has both ABIs" '^i386 max [0-9]+' "$(cat "$T/allowed")"
	_abis="sweep_x86_64 sweep_x32"
	[ $i386 = works ] && _abis="$_abis sweep_i386"
	# shellcheck disable=SC2086 # $_abis is a word list
	_out=$(timeout -k 5 120 "$NOOK" run -v "$T/probe:$P:ro" -v "$T/allowed:/tmp/nook-allowed:ro" \
		"$@" "$_prof" -- "$P" --allowed /tmp/nook-allowed $_abis </dev/null 2>&1)
	t_match "$_name: x86_64 0-500 off the list: EPERM or ENOSYS" '^sweep_x86_64: ok [0-9]+ EPERM [0-9]+ ENOSYS$' "$_out"
	t_match "$_name: x32 0-600: refused" '^sweep_x32: ok [0-9]+ EPERM [0-9]+ ENOSYS$' "$_out"
	if [ $i386 = works ]; then
		t_match "$_name: i386 0-500 off the list: EPERM or ENOSYS" '^sweep_i386: ok [0-9]+ EPERM [0-9]+ ENOSYS$' "$_out"
	else
		t_skip "$_name: i386 0-500 off the list" "$i386_why"
	fi
}
sweep "sweep default" default
sweep "sweep default + SYS_ADMIN" default "" --cap-add SYS_ADMIN
sweep "sweep strict" strict "security.landlock.execute+=[$P]"
sweep "sweep nested userns" default security.seccomp.allow_nested_userns=true
sweep "sweep custom rules" default 'security.seccomp.rules=[{syscalls: [keyctl], action: allow}, {syscalls: [uname], action: errno, args: [{index: 0, op: eq, value: 0}]}]'
out=$("$NOOK" profile seccomp default)
t_match "the list: open_tree_attr (467) is not on it" '^x86_64 max [0-9]+$' "$out"
t_nomatch "the list: open_tree_attr (467) is not allowed" '^(x86_64|i386) 467 ' "$out"
t_match "the list: clone is allowed with a check" '^x86_64 56 check$' "$out"
t_match "the list: clone3 says ENOSYS" '^x86_64 435 errno 38$' "$out"
out=$("$NOOK" profile seccomp --set 'security.seccomp.rules=[{syscalls: [open_tree_attr], action: allow}]' default)
t_match "a rule can allow a syscall libseccomp does not know" '^x86_64 467 allow$' "$out"
t_status "profile seccomp of a profile without the built-in filter: exit 125" 125 \
	"$NOOK" profile seccomp --set security.seccomp=unconfined default

# a custom rule that narrows an allowed syscall leaves its other values
out=$(probe default --set 'security.seccomp.rules=[{syscalls: [personality], action: errno, errno: 2, args: [{index: 0, op: eq, value: 4294967295}]}]')
expect "narrowing rule" "$out" personality_query ENOENT
expect "narrowing rule: the built-in value check stays" "$out" personality EPERM
t_match "narrowing rule: the rest still runs" '^Seccomp: 2$' "$out"

# ---------------------------------------------------------------- hosts without int $0x80
# A check that crashes is reported as such, and the checks after it run.
out=$("$T/probe" crash cwd 2>&1)
t_match "probe: a crashing check is reported" '^crash: SIGSEGV$' "$out"
t_match "probe: the next check still runs" '^cwd: /' "$out"
# As on a host whose kernel has no i386 ABI (probe --no-i386 kills int $0x80
# callers): the detection says so, and under nook only the i386 checks fail.
out=$("$T/probe" --no-i386 "$T/probe" i386_getpid 2>&1)
t_match "no i386 ABI: the detection sees the fault" '^i386_getpid: SIG[A-Z]+$' "$out"
out=$("$T/probe" --no-i386 timeout -k 5 60 "$NOOK" run --userns self -v "$T/probe:$P:ro" default -- "$P" </dev/null 2>&1)
t_match "no i386 ABI: i386_keyctl reported as a crash" '^i386_keyctl: SIG[A-Z]+$' "$out"
t_match "no i386 ABI: i386_tiocsti reported as a crash" '^i386_tiocsti: SIG[A-Z]+$' "$out"
expect "no i386 ABI" "$out" personality EPERM
expect "no i386 ABI" "$out" ptrace_parent EPERM
expect "no i386 ABI" "$out" umount_masked EPERM
t_match "no i386 ABI: the last check still reported" '^Seccomp: 2$' "$out"
t_clean "probe crashes"

# ---------------------------------------------------------------- capabilities
out=$(probe default --cap-drop ALL --cap-add NET_BIND_SERVICE)
t_match "cap-drop ALL + cap-add one" '^CapEff: 0000000000000400$' "$out"
t_match "cap-drop ALL + cap-add one: bounding" '^CapBnd: 0000000000000400$' "$out"
out=$(probe default --cap-add NET_ADMIN --cap-drop CHOWN)
t_match "cap-add NET_ADMIN, cap-drop CHOWN" '^CapEff: 00000000800415fa$' "$out"
out=$(probe default --uid 1000 --gid 1000 -w /tmp)
t_match "uid 1000: no capabilities" '^CapEff: 0000000000000000$' "$out"
t_match "uid 1000: no permitted" '^CapPrm: 0000000000000000$' "$out"
t_match "uid 1000: bounding set trimmed" '^CapBnd: 00000000800405fb$' "$out"
out=$(probe default --uid 1000 --gid 1000 -w /tmp --set 'security.capabilities.ambient=[NET_BIND_SERVICE]')
t_match "uid 1000 + ambient NET_BIND_SERVICE" '^CapAmb: 0000000000000400$' "$out"
t_match "uid 1000 + ambient: effective" '^CapEff: 0000000000000400$' "$out"
t_status "unknown capability: exit 125" 125 "$NOOK" run --cap-add NET_ADMN default -- true
out=$("$NOOK" run --cap-add NET_ADMN default -- true 2>&1)
t_match "unknown capability: named" "unknown capability 'NET_ADMN'" "$out"
t_status "ambient outside the kept set: exit 125" 125 \
	"$NOOK" run --set 'security.capabilities.ambient=[SYS_ADMIN]' default -- true
t_clean "capabilities"

# ---------------------------------------------------------------- rlimits
out=$("$NOOK" run --set 'security.rlimits={nofile: {soft: 123, hard: 456}, core: 0}' default -- cat /proc/self/limits 2>&1)
t_match "rlimit nofile soft/hard" 'Max open files +123 +456 ' "$out"
t_match "rlimit core 0" 'Max core file size +0 +0 ' "$out"
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ]; then
	t_status "rlimit above the caller's hard limit: exit 125" 125 \
		"$NOOK" run --set "security.rlimits={nofile: $((hard + 1))}" default -- true
	out=$("$NOOK" run --set "security.rlimits={nofile: $((hard + 1))}" default -- true 2>&1)
	t_match "rlimit above the hard limit: explained" "rlimits.nofile: cannot raise the hard limit above $hard" "$out"
fi
t_clean "rlimits"

# ---------------------------------------------------------------- Landlock
LL="--tmpfs /mnt --set security.landlock.read=[/] --set security.landlock.write=[/tmp] --set security.landlock.execute=[/usr,/bin,/lib,/lib64]"
# shellcheck disable=SC2086
out=$("$NOOK" run $LL default -- sh -c 'echo a > /tmp/x && echo tmp-written; echo b > /mnt/y && echo mnt-written; cat /tmp/x' 2>&1)
t_match "landlock: allowed write" '^tmp-written$' "$out"
t_nomatch "landlock: denied write" '^mnt-written$' "$out"
t_match "landlock: denied write says permission denied" '/mnt/y: Permission denied' "$out"
t_match "landlock: read allowed" '^a$' "$out"
# shellcheck disable=SC2086
t_status "landlock: exec outside the execute list fails" 126 \
	"$NOOK" run $LL -v "$T/probe:$P:ro" default -- "$P" cwd

# a kernel without Landlock: warn and run, or fail with required: true
# (the probe makes the Landlock syscalls answer ENOSYS for nook)
# shellcheck disable=SC2086
out=$("$T/probe" --no-landlock "$NOOK" run --userns self $LL default -- echo ran 2>&1)
t_match "no landlock: warns" 'nook: warning: .*no Landlock support' "$out"
t_match "no landlock: runs anyway" '^ran$' "$out"
# shellcheck disable=SC2086
t_status "no landlock + required: exit 125" 125 \
	"$T/probe" --no-landlock "$NOOK" run --userns self $LL --set security.landlock.required=true default -- echo ran
# shellcheck disable=SC2086
out=$("$T/probe" --no-landlock "$NOOK" run --userns self $LL --set security.landlock.required=true default -- echo ran 2>&1)
t_match "no landlock + required: explained" 'landlock.required is true' "$out"
t_clean "landlock"

# ---------------------------------------------------------------- masks
t_status "masked symlink target refused: exit 125" 125 \
	"$NOOK" run --set 'security.masked_paths=[/proc/self]' default -- true
out=$("$NOOK" run --set 'security.masked_paths=[/proc/self]' default -- true 2>&1)
t_match "masked symlink target refused: explained" "refusing '/proc/self'.*symlink" "$out"
out=$("$NOOK" run --set 'security.masked_paths=[/etc/hostname]' default -- cat /etc/hostname 2>&1)
t_eq "extra masked file reads empty" "" "$out"
out=$("$NOOK" run --set 'security.readonly_paths=[/tmp]' default -- sh -c 'echo x > /tmp/f' 2>&1)
t_match "extra read-only path" 'Read-only file system' "$out"
out=$("$NOOK" run default -- sh -c 'mkdir /sys/fs/cgroup/nook-x 2>&1; true')
t_match "/sys/fs/cgroup is read-only" 'Read-only file system|Permission denied|No such file' "$out"
# masked directories (one empty read-only directory bound on each, before
# and after /sys is mounted) and an extra one: empty, nothing can be made
mkdir -p "$T/maskme/sub"
out=$("$NOOK" run -v "$T/maskme:/mnt/maskme" --set 'security.masked_paths+=[/mnt/maskme]' default -- sh -c '
	for d in /proc/acpi /sys/firmware /mnt/maskme; do
		[ -d "$d" ] || { echo "$d absent"; continue; }
		touch "$d/nk-x" 2>/dev/null && echo "$d writable"
		echo "$d $(ls -A "$d" | wc -l)"
	done' 2>&1)
t_match "masked directories are empty and read-only" '^(/proc/acpi (0|absent)) (/sys/firmware (0|absent)) /mnt/maskme 0$' "$(echo $out)"
t_clean "masks"

# ---------------------------------------------------------------- a busybox root
R=$T/rootfs
if sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1; then
	cp "$T/probe" "$R/probe"
	ln -s /etc "$R/linkdir"
	out=$(timeout -k 5 60 "$NOOK" run --rootfs "$R" default -- /probe </dev/null 2>&1)
	expect "busybox root" "$out" keyctl EPERM
	expect "busybox root" "$out" x32_keyctl EPERM
	expect "busybox root" "$out" read_keys masked
	t_match "busybox root: only 0, 1, 2 open at exec" '^fds: 0,1,2$' "$out"
	t_match "busybox root: seccomp" '^Seccomp: 2$' "$out"
	# a masked path behind a symlink of the rootfs is refused, not followed
	out=$("$NOOK" run --rootfs "$R" --set 'security.masked_paths=[/linkdir/hostname]' default -- true 2>&1)
	t_match "symlink in a masked path's parents refused" "refusing '/linkdir/hostname'.*symlink" "$out"
	t_status "symlink in a masked path's parents: exit 125" 125 \
		"$NOOK" run --rootfs "$R" --set 'security.masked_paths=[/linkdir/hostname]' default -- true
	out=$("$NOOK" run --rootfs "$R" --set 'security.readonly_paths=[/linkdir]' default -- true 2>&1)
	t_match "symlinked read-only path refused" "refusing '/linkdir'.*symlink" "$out"
	# busybox applets under the allow-list, in the profiles that take a root
	# shellcheck disable=SC2016
	BB='set -e; ls / >/dev/null; ps >/dev/null; id -u >/dev/null; date >/dev/null
	    echo x | gzip | gzip -d >/dev/null; tar cf /tmp/a.tar /etc 2>/dev/null; tar tf /tmp/a.tar >/dev/null
	    find /etc >/dev/null; printf "b\na\n" | sort >/dev/null; echo 1 2 | awk "{print \$2}" >/dev/null
	    echo a | sed s/a/b/ >/dev/null; f=$(mktemp); rm "$f"; sleep 0.1 & wait $!; kill -0 $$
	    nproc >/dev/null; uname -a >/dev/null; df >/dev/null; top -bn1 >/dev/null; timeout 5 true
	    echo bb-ok'
	out=$(timeout -k 5 60 "$NOOK" run --rootfs "$R" default -- /bin/sh -c "$BB" </dev/null 2>&1)
	t_match "busybox payload under default" '^bb-ok$' "$out"
	out=$(NOOK_CI_ROOTFS=$R timeout -k 5 60 "$NOOK" run ci -- /bin/sh -c "$BB" </dev/null 2>&1)
	t_match "busybox payload under ci" '^bb-ok$' "$out"
	mkdir -p "$T/devhome"
	out=$(HOME=$T/devhome NOOK_DEV_ROOTFS=$R timeout -k 5 60 "$NOOK" run dev -- /bin/sh -c "$BB" </dev/null 2>&1)
	t_match "busybox payload under dev" '^bb-ok$' "$out"
else
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
fi
t_clean "busybox root"

# ---------------------------------------------------------------- payloads
# What the shipped profiles are for still runs under the allow-list:
# python3 (threads, subprocess, multiprocessing, sockets, sqlite, ssl,
# asyncio) and apt from the host's Debian root.
PY=$(cat "$NOOK_SRCDIR/tests/integration/payload.py")
if command -v python3 >/dev/null 2>&1; then
	for prof in default strict desktop; do
		out=$(timeout -k 5 120 "$NOOK" run "$prof" -- python3 -c "$PY" </dev/null 2>&1)
		t_match "python3 under $prof" '^python-ok$' "$out"
	done
	out=$(NOOK_CI_ROOTFS=/ timeout -k 5 120 "$NOOK" run ci -- python3 -c "$PY" </dev/null 2>&1)
	t_match "python3 under ci (the host's root as the overlay's lower layer)" '^python-ok$' "$out"
else
	t_skip "python3 payloads" "no python3 on this host"
fi
if command -v apt-get >/dev/null 2>&1 && [ -r /etc/debian_version ]; then
	APT='apt-get --version | head -n 1; apt-cache policy dpkg | head -n 2; dpkg -s dpkg | head -n 1; apt-get -s install --reinstall dpkg 2>&1 | grep -c "^Inst"'
	out=$(timeout -k 5 120 "$NOOK" run default -- sh -c "$APT" </dev/null 2>&1)
	t_match "apt under default" '^apt [0-9.]+ ' "$out"
	t_match "apt under default: dpkg database read" '^Package: dpkg$' "$out"
	out=$(HOME=$T/devhome NOOK_DEV_ROOTFS=/ timeout -k 5 120 "$NOOK" run dev -- sh -c "$APT" </dev/null 2>&1)
	t_match "apt under dev (the host's Debian root)" '^apt [0-9.]+ ' "$out"
	t_match "apt under dev: a simulated install" '^[1-9][0-9]*$' "$out"
	out=$(NOOK_CI_ROOTFS=/ timeout -k 5 120 "$NOOK" run ci -- sh -c "$APT" </dev/null 2>&1)
	t_match "apt under ci (the host's Debian root)" '^apt [0-9.]+ ' "$out"
	t_match "apt under ci: a simulated install" '^[1-9][0-9]*$' "$out"
else
	t_skip "apt payloads" "not a Debian host"
fi
t_clean "payloads"

t_done
