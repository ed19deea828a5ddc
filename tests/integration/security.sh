#!/bin/sh
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

# probe PROFILE [NOOK OPTIONS...] -- runs the probe with stdin from /dev/null
probe() {
	_prof=$1; shift
	timeout -k 5 60 "$NOOK" run -v "$T/probe:$P:ro" "$@" "$_prof" -- "$P" </dev/null 2>&1
}

# expect NAME OUTPUT CHECK RESULT-REGEX
expect() {
	t_match "$1: $3" "^$3: ($4)\$" "$2"
}

# ---------------------------------------------------------------- default
out=$(probe default)
t_match "default: the probe ran" '^status|^Seccomp:' "$out"
for chk in tiocsti tiocsti_high tioclinux keyctl add_key bpf perf_event_open \
	io_uring_setup userfaultfd mount unshare_user clone_newns mknod \
	x32_keyctl i386_keyctl i386_tiocsti personality ptrace_parent umount_masked; do
	expect default "$out" "$chk" EPERM
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
	x32_keyctl i386_keyctl i386_tiocsti personality ptrace_parent umount_masked; do
	expect strict "$out" "$chk" EPERM
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
	i386_keyctl personality umount_masked; do
	expect unconfined "$out" "$chk" ok
done
# (ptrace of the parent stays refused: nook's init is not dumpable)
# where the kernel refuses, it refuses with its own error, not the filter's
expect unconfined "$out" tiocsti ENOTTY
expect unconfined "$out" tiocsti_high ENOTTY
expect unconfined "$out" tioclinux ENOTTY
expect unconfined "$out" i386_tiocsti 'ENOTTY|EFAULT'
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

# the compiled program is cached per user; a cached one works the same
mkdir -m 700 "$T/xdg"
out=$(XDG_RUNTIME_DIR=$T/xdg probe default --verbose)
t_match "seccomp cache: first run compiles" 'seccomp: [0-9]+ BPF instructions compiled' "$out"
expect "seccomp cache: first run" "$out" keyctl EPERM
out=$(XDG_RUNTIME_DIR=$T/xdg probe default --verbose)
t_match "seccomp cache: second run reuses it" 'seccomp: compiled program taken from the cache' "$out"
expect "seccomp cache: second run" "$out" keyctl EPERM
expect "seccomp cache: second run" "$out" x32_keyctl EPERM
out=$(XDG_RUNTIME_DIR=$T/xdg NOOK_SECCOMP_CACHE=0 probe default --verbose)
t_nomatch "seccomp cache: NOOK_SECCOMP_CACHE=0 turns it off" 'taken from the cache' "$out"

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
else
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
fi
t_clean "busybox root"

t_done
