#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oci.sh - nook as an OCI runtime (nook-oci, src/lib/oci): a bundle's life
# through create, start, kill and delete with the states in between, the
# pid file, the console socket, preserved fds, hooks in order and a
# failing one, kill/delete edge cases, and invalid bundles that each fail
# with one message naming the key, exit status 1 and nothing left behind.
. "$NOOK_SRCDIR/tests/integration/lib.sh"
t_need busybox "the test rootfs is busybox (install busybox-static)"
t_need python3 "the console socket receiver is a python3 script"

OCI=$NOOK_BUILDDIR/nook-oci
[ -x "$OCI" ] || { echo "1..0 # SKIP no $OCI (make builds it next to nook)"; exit 0; }
ROOT=$T/state
B=$T/bundle
mkdir -p "$B" "$T/o"
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$B/rootfs" >/dev/null
mkdir -p "$B/rootfs/out"
oci() { nkx "$OCI" --root "$ROOT" "$@"; }
# cg_leaf_possible: the controllers of a delegated cgroup v2 the user could
# make a leaf in (its own cgroup's parent or itself, owned by it), or ""
cg_leaf_possible() {
	_cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
	_mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$_mnt" ] || return 0
	for _d in "$_mnt$_cg" "$(dirname "$_mnt$_cg")"; do
		[ -w "$_d/cgroup.subtree_control" ] && [ -O "$_d" ] && { cat "$_d/cgroup.controllers"; return 0; }
	done
}
# oci_error NAME REGEX: the last nook-oci failed with status 1 and one
# "nook-oci: " line matching REGEX
oci_error() {
	_ok=1 _why=
	[ "$rc" = 1 ] || { _ok=0; _why="want status 1"; }
	[ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || { _ok=0; _why="$_why; want one line on stderr"; }
	case $err in "nook-oci: "*) ;; *) _ok=0; _why="$_why; stderr must start with 'nook-oci: '" ;; esac
	printf '%s' "$err" | grep -Eq -- "$2" || { _ok=0; _why="$_why; stderr must match /$2/"; }
	if [ $_ok = 1 ]; then t_ok "$1"; else t_fail "$1" "$(printf '%s\n' "${_why#; }"; _diag)"; fi
}
# state ID: its status (or "none")
status_of() {
	"$OCI" --root "$ROOT" state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || echo none
}
pid_of() {
	"$OCI" --root "$ROOT" state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null
}
# config EDIT...: write $B/config.json from `nook-oci spec`, then apply the
# python statements EDIT to the dict c
config() {
	rm -f "$B/config.json"
	"$OCI" spec --bundle "$B" || return 1
	python3 - "$B/config.json" "$T/o" "$@" <<'EOF'
import json, sys
path, out = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c['process']['terminal'] = False
c['mounts'].append({'destination': '/out', 'type': 'bind', 'source': out, 'options': ['rbind', 'rw']})
for stmt in sys.argv[3:]:
    exec(stmt)
json.dump(c, open(path, 'w'), indent=1)
EOF
}

# ---------------------------------------------------------------- spec
rm -f "$B/config.json"
oci spec --bundle "$B"
chk "spec writes a config.json" "0 yes" "$rc $([ -s "$B/config.json" ] && echo yes)"
oci spec --bundle "$B"
oci_error "spec refuses to overwrite a config.json" "config.json exists already"
oci features
chkre "features lists the namespaces and hooks" '"namespaces".*"poststop"|"hooks"' "$(printf '%s' "$out" | tr -d '\n ')"

# ---------------------------------------------------------------- lifecycle
hooklog=$T/o/hooks
# a hook that appends its name and the status `state` gives at that moment
cat > "$T/hook.sh" <<EOF
st=\$("$OCI" --root "$ROOT" state c1 | sed -n 's/.*"status":"\\([a-z]*\\)".*/\\1/p')
echo "\$1 \$st" >> "$hooklog"
EOF
hk() { printf "{'path': '/bin/sh', 'args': ['sh', '$T/hook.sh', '%s'], 'env': ['PATH=/usr/bin:/bin']}" "$1"; }
config "c['process']['args'] = ['sh', '-c', 'echo go > /out/started; exec sleep 60']" \
	"c['hooks'] = {}" \
	"c['hooks']['prestart'] = [$(hk prestart)]" \
	"c['hooks']['createRuntime'] = [$(hk createRuntime), {'path': '/bin/sh', 'args': ['sh', '-c', 'cat > $T/o/hookstdin'], 'env': ['PATH=/usr/bin:/bin']}]" \
	"c['hooks']['createContainer'] = [$(hk createContainer)]" \
	"c['hooks']['startContainer'] = [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo startContainer inside-\$(hostname) >> /out/hooks']}]" \
	"c['hooks']['poststart'] = [$(hk poststart)]" \
	"c['hooks']['poststop'] = [$(hk poststop)]" \
	"c['annotations'] = {'org.example.test': 'yes'}"
chk "no status before create" none "$(status_of c1)"
oci create --bundle "$B" --pid-file "$T/pidfile" c1
chk "create succeeds" 0 "$rc"
chk "create leaves the container created" created "$(status_of c1)"
pid=$(pid_of c1)
chk "the pid file holds the container's pid" "$pid" "$(cat "$T/pidfile" 2>/dev/null)"
t_eq "the container's pid is its own pid namespace's init" yes \
	"$([ "$(readlink /proc/"$pid"/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] && grep -q '^NSpid:.*[[:space:]]1$' /proc/"$pid"/status && echo yes)"
t_eq "the payload has not started before start" no "$([ -e "$T/o/started" ] && echo yes || echo no)"
t_eq "the create process has gone; the container's init outlives it" yes "$([ -d "/proc/$pid" ] && echo yes)"
chkre "create hooks see the status creating" '^prestart creating' "$(cat "$hooklog")"
chkre "hooks get the state JSON on stdin" '"id":"c1".*"org.example.test":"yes"' "$(cat "$T/o/hookstdin" 2>/dev/null)"
oci start c1
chk "start succeeds" 0 "$rc"
wait_file "$T/o/started" 5
chk "start lets the payload run" go "$(cat "$T/o/started" 2>/dev/null)"
chk "the container is running" running "$(status_of c1)"
oci start c1
oci_error "a second start is refused" "it is running, not created"
oci ps --format json c1
chk "ps lists the container's process" "[$pid]" "$out"
oci list -q
chk "list names it" c1 "$out"
oci exec c1 cat /out/started
chk "exec runs a command inside" "0 go" "$rc $out"
oci delete c1
oci_error "delete of a running container without --force is refused" "it is running .*delete --force"
oci kill c1 NOSUCHSIG
oci_error "an unknown signal is refused" "unknown signal 'NOSUCHSIG'"
oci kill c1 SIGKILL
chk "kill SIGKILL succeeds" 0 "$rc"
wait_gone "$pid" 5
chk "the container is stopped" stopped "$(status_of c1)"
oci kill c1 TERM
oci_error "kill of a stopped container says so" "is stopped: there is no process to signal"
oci delete c1
chk "delete of a stopped container succeeds" 0 "$rc"
chk "the hooks ran in order, each once" "prestart creating
createRuntime creating
createContainer creating
startContainer inside-nook
poststart running
poststop stopped" "$(cat "$hooklog")"
chk "delete removes the state" "none " "$(status_of c1) $(ls "$ROOT")"
oci delete c1
oci_error "delete of an unknown container fails" "container 'c1' does not exist"
oci delete --force c1
chk "delete --force of an unknown container is not an error" 0 "$rc"

# a created container can be deleted; a running one with --force
config "c['process']['args'] = ['sleep', '60']"
oci create --bundle "$B" c2
pid=$(pid_of c2)
oci delete c2
chk "delete of a created container kills it" "0 none" "$rc $(status_of c2)"
wait_gone "$pid" 5
t_eq "its init is gone" gone "$([ -e "/proc/$pid" ] && [ "$(sed 's/.*) //' /proc/$pid/stat | cut -c1)" != Z ] && echo alive || echo gone)"
oci run --detach --bundle "$B" c3
pid=$(pid_of c3)
chk "run --detach leaves it running" "0 running" "$rc $(status_of c3)"
oci delete --force c3
chk "delete --force of a running container" "0 none" "$rc $(status_of c3)"
oci kill c3 9
oci_error "kill of a deleted container fails" "container 'c3' does not exist"

# delete --regex (crun's): every matching id, and only those
oci run --detach --bundle "$B" rx-1
oci run --detach --bundle "$B" rx-2
oci run --detach --bundle "$B" keep-1
oci delete --force --regex '^rx-'
chk "delete --force --regex removes the matching containers only" "0 none none running" "$rc $(status_of rx-1) $(status_of rx-2) $(status_of keep-1)"
oci delete --force keep-1

# run in the foreground: the exit status is the payload's
config "c['process']['args'] = ['sh', '-c', 'echo out; exit 7']"
oci run --bundle "$B" c4
chk "run waits and returns the payload's status" "7 out" "$rc $out"
chk "run removes the state when done" none "$(status_of c4)"

# ---------------------------------------------------------------- fds and terminal
config "c['process']['args'] = ['sh', '-c', 'echo via-fd3 >&3']"
nkx sh -c "exec 3>'$T/o/fd3'; exec '$OCI' --root '$ROOT' run --preserve-fds 1 --bundle '$B' c5"
chk "--preserve-fds 1 passes fd 3" "0 via-fd3" "$rc $(cat "$T/o/fd3" 2>/dev/null)"
nkx sh -c "exec 3>'$T/o/fd3b'; exec '$OCI' --root '$ROOT' run --bundle '$B' c6"
t_eq "without --preserve-fds fd 3 stays outside" "failed, empty" "$([ "$rc" != 0 ] && echo failed), $([ -s "$T/o/fd3b" ] && echo written || echo empty)"

config "c['process']['terminal'] = True" "c['process']['args'] = ['sh', '-c', 'tty; echo hi-from-pty']"
cat > "$T/recv.py" <<'EOF'
import array, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
open(path + '.ready', 'w').close()
c, _ = s.accept()
fds = array.array('i')
msg, anc, flags, addr = c.recvmsg(256, socket.CMSG_LEN(fds.itemsize))
for level, typ, data in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(data[:fds.itemsize])
data = b''
while True:
    try:
        b = os.read(fds[0], 4096)
    except OSError:
        break
    if not b:
        break
    data += b
open(out, 'wb').write(data)
EOF
python3 "$T/recv.py" "$T/console.sock" "$T/o/console" &
rpid=$!
wait_file "$T/console.sock.ready" 5
oci create --bundle "$B" --console-socket "$T/console.sock" c7
chk "create with --console-socket" 0 "$rc"
oci start c7
reap $rpid 10
chkre "the pty master came over the socket and carries the payload's output" '/dev/pts/[0-9]+.*hi-from-pty' "$(tr -d '\r' < "$T/o/console" | tr '\n' ' ')"
oci delete --force c7
# exec --tty --detach hands its own pty over the console socket (podman exec -t)
config "c['process']['args'] = ['sleep', '60']"
oci run --detach --bundle "$B" c7b
rm -f "$T/console.sock" "$T/console.sock.ready" "$T/o/console"
python3 "$T/recv.py" "$T/console.sock" "$T/o/console" &
rpid=$!
wait_file "$T/console.sock.ready" 5
oci exec --detach --tty --console-socket "$T/console.sock" --pid-file "$T/execpid" c7b sh -c 'tty; echo exec-pty'
chk "exec --detach --tty --console-socket" 0 "$rc"
reap $rpid 10
chkre "the exec's pty came over the socket" '/dev/pts/[0-9]+.*exec-pty' "$(tr -d '\r' < "$T/o/console" | tr '\n' ' ')"
t_eq "exec --detach --pid-file names its monitor (conmon waits for it)" yes "$([ -s "$T/execpid" ] && echo yes)"
# a long command: exec --detach returns once it runs (it waited for its end)
NK_TIMEOUT=10 oci exec --detach --pid-file "$T/execpid2" c7b sh -c 'echo long > /out/longexec; exec sleep 30'
chk "exec --detach of a long command returns once it runs" "0 long" "$rc $(cat "$T/o/longexec" 2>/dev/null)"
oci delete --force c7b
config "c['process']['terminal'] = True"
oci create --bundle "$B" c8
oci_error "a terminal without --console-socket is refused" "use --console-socket"

# ---------------------------------------------------------------- tmpcopyup, root.readonly
# a tmpfs with tmpcopyup starts with what it hides (podman's --tmpfs and
# --read-only ask for it); a read-only root is read-only once the mounts exist
config "c['process']['args'] = ['sh', '-c', 'echo \$(ls /etc) \$(stat -c %a /etc) > /out/cu; (touch /x 2>/dev/null && echo rw || echo ro) >> /out/cu; touch /etc/new && echo etc-writable >> /out/cu']" \
	"c['root']['readonly'] = True" \
	"c['mounts'].append({'destination': '/etc', 'type': 'tmpfs', 'source': 'tmpfs', 'options': ['tmpcopyup', 'nosuid']})"
oci run --bundle "$B" cu1
chk "tmpcopyup: the tmpfs holds the directory's files and mode; root.readonly applies" \
	"0 $(ls "$B/rootfs/etc" | tr '\n' ' ')$(stat -c %a "$B/rootfs/etc") ro etc-writable" "$rc $(cat "$T/o/cu" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
chk "tmpcopyup: the rootfs is untouched" no "$([ -e "$B/rootfs/etc/new" ] && echo yes || echo no)"

# ---------------------------------------------------------------- failing hook
config "c['process']['args'] = ['sleep', '60']" \
	"c['hooks'] = {'createRuntime': [{'path': '/bin/sh', 'args': ['sh', '-c', 'exit 3']}]}"
oci create --bundle "$B" c9
oci_error "a failing createRuntime hook fails create, naming it" "createRuntime hook failed with exit code 3 \(hooks.createRuntime\[0\], /bin/sh\)"
chk "the failed create leaves no state" none "$(status_of c9)"
config "c['process']['args'] = ['sleep', '60']" \
	"c['hooks'] = {'prestart': [{'path': '/bin/sleep', 'args': ['sleep', '10'], 'timeout': 1}]}"
oci create --bundle "$B" c10
oci_error "a hook past its timeout fails create" "hooks.prestart\[0\] \(/bin/sleep\) did not finish within its timeout of 1 s"

# ---------------------------------------------------------------- invalid bundles
bad() { # bad NAME REGEX EDIT...: create fails naming the key, nothing left
	_n=$1 _re=$2; shift 2
	config "$@"
	oci create --bundle "$B" bad1
	oci_error "invalid bundle: $_n" "$_re"
}
bad "unknown top-level key" "config.json: foo: nook does not support this key" "c['foo'] = 1"
bad "unknown process key" "process.bogus: nook does not support" "c['process']['bogus'] = True"
bad "no process.args" "process.args: missing" "del c['process']['args']"
bad "relative cwd" "process.cwd: 'tmp' must be an absolute path" "c['process']['cwd'] = 'tmp'"
bad "missing root.path" "root.path: missing" "del c['root']"
bad "root.path not a directory" "root.path: .*/nowhere is not a directory" "c['root']['path'] = 'nowhere'"
bad "unknown mount type" "mounts\[[0-9]+\]: the mount type 'nfs' is not supported" "c['mounts'].append({'destination': '/mnt', 'type': 'nfs', 'source': 'x'})"
# linux.namespaces paths: each checked (a namespace file of its type)
# before anything is joined; the message names the entry and the path
bad "a namespace path that is not a namespace file" "config.json: linux.namespaces\[[0-9]+\]: .*/config.json is not a namespace file \(give /proc/PID/ns/net" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '$B/config.json'}]"
bad "a namespace path of another type" "config.json: linux.namespaces\[[0-9]+\]: /proc/self/ns/ipc is a namespace of type ipc, not network" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/self/ns/ipc'}]"
bad "a namespace path that does not exist" "config.json: linux.namespaces\[[0-9]+\]: cannot open the namespace /nowhere/net: No such file" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/nowhere/net'}]"
bad "a relative namespace path" "linux.namespaces\[[0-9]+\]: path must be an absolute path" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts'] + [{'type': 'uts', 'path': 'ns/uts'}]"
bad "the same namespace type twice" "linux.namespaces\[[0-9]+\]: a second 'ipc' namespace" \
	"c['linux']['namespaces'] = c['linux']['namespaces'] + [{'type': 'ipc', 'path': '/proc/self/ns/ipc'}]"
# nook-oci's own network namespace: a file it can open, owned by the
# host's user namespace, where it has no privileges
bad "joining a namespace without privileges over it" "config.json: linux.namespaces\[[0-9]+\]: cannot join the namespace /proc/self/ns/net: it belongs to a user namespace where you have no privileges \\(join that user namespace too\\): Operation not permitted" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/self/ns/net'}]"
bad "unknown rlimit" "process.rlimits\[0\]: unknown rlimit type 'RLIMIT_BOGUS'" "c['process']['rlimits'] = [{'type': 'RLIMIT_BOGUS', 'soft': 1, 'hard': 1}]"
bad "unknown capability" "process.capabilities.bounding: unknown capability 'CAP_BOGUS'" "c['process']['capabilities']['bounding'] = ['CAP_BOGUS']"
# linux.resources limits need a cgroup leaf of the container's own, made
# only under a delegated cgroup v2 (tests/vm/oci-cgroup-tests.sh checks
# them there); elsewhere create refuses, naming the key and the reason
if [ -n "$(cg_leaf_possible)" ]; then
	t_skip "cgroup limits refused without a delegated cgroup v2" "this host delegates cgroup v2 controllers ($(cg_leaf_possible))"
	t_skip "pids limit refused without a delegated cgroup v2" "this host delegates cgroup v2 controllers"
else
	bad "cgroup limits" "cannot enforce linux.resources.memory.limit: .*(cgroup v1|cgroup v2|delegat)" "c['linux']['resources'] = {'memory': {'limit': 100000000}}"
	bad "pids limit" "cannot enforce linux.resources.pids.limit: " "c['linux']['resources'] = {'pids': {'limit': 100}}"
fi
bad "cpu.shares out of range" "linux.resources.cpu.shares: 1 is out of range \\(2..262144\\)" "c['linux']['resources'] = {'cpu': {'shares': 1}}"
bad "memory.swap without memory.limit" "linux.resources.memory.swap: needs memory.limit" "c['linux']['resources'] = {'memory': {'swap': 100000000}}"
bad "cgroupsPath with .." "linux.cgroupsPath: 'a/../b': empty, '.' and '..' parts are not allowed" "c['linux']['cgroupsPath'] = '/a/../b'"
bad "hostname without uts namespace" "hostname: needs a uts namespace" "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'uts']"
bad "ociVersion 2" "ociVersion: '2.0.0' is not a version 1" "c['ociVersion'] = '2.0.0'"
bad "seccomp listenerMetadata without listenerPath" "linux.seccomp.listenerMetadata: is only for the agent at listenerPath, which is not set" \
	"c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'listenerMetadata': 'm'}"
bad "SCMP_ACT_NOTIFY without a listenerPath" "SCMP_ACT_NOTIFY needs a seccomp agent: give its socket in listenerPath" \
	"c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'syscalls': [{'names': ['mkdir'], 'action': 'SCMP_ACT_NOTIFY'}]}"
bad "no seccomp agent at listenerPath" "cannot connect to the seccomp agent at .*/no-agent \(linux.seccomp.listenerPath\): (No such file|Connection refused)" \
	"c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '$T/no-agent'}"
printf '{ not json' > "$B/config.json"
oci create --bundle "$B" bad1
oci_error "invalid bundle: not JSON" "config.json: not valid JSON"
rm -f "$B/config.json"
oci create --bundle "$B" bad1
oci_error "invalid bundle: no config.json" "cannot read .*/config.json"
oci create --bundle "$T/nowhere" bad1
oci_error "invalid bundle: no such directory" "the bundle .*/nowhere is not a directory"
config
oci create --bundle "$B" 'bad/id'
oci_error "an invalid container ID" "invalid character in container ID 'bad/id'"
chk "no invalid bundle left a state entry" "" "$(ls "$ROOT")"

# nook's own CLI runs a bundle too, with its own exit statuses
config "c['process']['args'] = ['sh', '-c', 'echo bundle-\$(hostname); exit 3']"
nk run --bundle "$B"
chk "nook run --bundle runs the bundle with nook's monitor" "3 bundle-nook" "$rc $out"
config "c['bogus'] = 1"
nk run --bundle "$B"
chk_error "nook run --bundle with an invalid bundle fails with 125" 125 "config.json: bogus: nook does not support this key"

# nook profile show --oci: a profile as a config.json that nook-oci runs,
# with the profile's seccomp filter
rm -f "$B/config.json"
nk profile show --oci --set rootfs.kind=dir --set "rootfs.path=$B/rootfs" -- sh -c 'echo from-profile; grep Seccomp: /proc/self/status'
printf '%s\n' "$out" > "$B/config.json"
chk "profile show --oci writes a config.json" 0 "$rc"
oci run --bundle "$B" c11
chkre "nook-oci runs it, with the seccomp filter" "^from-profile Seccomp:[[:space:]]+2$" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
nk profile show --oci --set rootfs.kind=overlay --set 'rootfs.overlay.lower=["/"]'
chk_error "profile show --oci refuses what a config.json cannot say" 125 "rootfs.kind: an overlay root has no config.json form"

# seccomp user notification: create hands the filter's listener and the
# container process state to the agent at linux.seccomp.listenerPath; this
# agent answers the payload's first mkdir with ENOSPC and its second with
# a success of its own (the kernel creates nothing)
cat > "$T/agent.py" <<'EOF'
import array, fcntl, json, signal, socket, struct, sys
sock_path, report = sys.argv[1], sys.argv[2]
signal.alarm(30)
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock_path)
srv.listen(1)
open(report + '.ready', 'w').close()
conn, _ = srv.accept()
fds = array.array('i')
msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(4 * fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
more = conn.recv(65536)
while more:
    msg += more
    more = conn.recv(65536)
m = json.loads(msg)
st = m.get('state', {})
with open(report, 'w') as f:
    print(len(fds), m.get('ociVersion'), ','.join(m.get('fds', [])),
          'pid' if isinstance(m.get('pid'), int) and m['pid'] > 0 else 'nopid', m.get('metadata'),
          st.get('status'), st.get('id'), 'pid-matches' if st.get('pid') == m.get('pid') else 'pid-differs', file=f)
# struct seccomp_notif is 80 bytes, seccomp_notif_resp 24:
# SECCOMP_IOCTL_NOTIF_RECV = _IOWR('!', 0, 80), _SEND = _IOWR('!', 1, 24)
RECV, SEND = 0xC0502100, 0xC0182101
for val, error in ((0, -28), (0, 0)):
    buf = bytearray(80)
    fcntl.ioctl(fds[0], RECV, buf)
    nid, _, _, nr = struct.unpack_from('=QIIi', buf)
    with open(report, 'a') as f:
        print('syscall', nr, file=f)
    fcntl.ioctl(fds[0], SEND, bytearray(struct.pack('=QqiI', nid, val, error, 0)))
EOF
python3 "$T/agent.py" "$T/agent.sock" "$T/agent.out" 2>"$T/agent.err" &
agent=$!
_w=0
while [ ! -e "$T/agent.out.ready" ] && [ $_w -lt 100 ]; do sleep 0.1; _w=$((_w + 1)); done
config "c['process']['args'] = ['sh', '-c', 'mkdir /tmp/a 2>/dev/null; echo a=\$?; mkdir /tmp/b; echo b=\$?; [ -d /tmp/b ] && echo b-made || echo b-not-made']" \
	"c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '$T/agent.sock', 'listenerMetadata': 'nook-test-meta', 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_NOTIFY'}]}"
oci run --bundle "$B" c13
chk "seccomp agent: the payload's mkdir gets the agent's answers (ENOSPC, then a success that made nothing)" \
	"0 a=1 b=0 b-not-made" "$rc $(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
wait $agent
chk "seccomp agent: it exited cleanly" "0 " "$? $(cat "$T/agent.err")"
chk "seccomp agent: one fd and the container process state (version, fds, pid, metadata, status creating, id)" \
	"1 0.2.0 seccompFd pid nook-test-meta creating c13 pid-matches" "$(head -n 1 "$T/agent.out" 2>/dev/null)"
chkre "seccomp agent: two notifications, for mkdir or mkdirat (83 or 258 on x86_64)" \
	"^syscall (83|258) syscall (83|258)$" "$(sed -n '2,$p' "$T/agent.out" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"

# linux.resources without limits (device rules, unlimited pids) runs
# anywhere; without a leaf of its own, pause/resume/update explain why
config "c['process']['args'] = ['sh', '-c', 'exec sleep 60']" \
	"c['linux']['resources'] = {'devices': [{'allow': False, 'access': 'rwm'}], 'pids': {'limit': 0}, 'memory': {'limit': -1}}"
oci create --bundle "$B" c12
chk "linux.resources without limits: create" 0 "$rc"
oci start c12
chk "linux.resources without limits: start" "0 running" "$rc $(status_of c12)"
if [ -z "$(cg_leaf_possible)" ]; then
	oci pause c12
	oci_error "pause without a cgroup leaf explains why" "cannot pause container 'c12': the cgroup freezer needs the container in a cgroup leaf of its own, and it has none"
	oci resume c12
	oci_error "resume without a cgroup leaf explains why" "cannot resume container 'c12': .*cgroup leaf of its own"
	oci update --memory 100M c12
	oci_error "update without a cgroup leaf explains why" "cannot update container 'c12': it has no cgroup leaf of its own"
else
	t_skip "pause/resume/update refused without a leaf" "this host delegates cgroup v2 controllers"
	t_skip "resume refused" "this host delegates cgroup v2 controllers"
	t_skip "update refused" "this host delegates cgroup v2 controllers"
fi
oci update --memory lots c12
oci_error "update with a bad size names the option" "--memory: 'lots' is not a size"
oci update --bogus 1 c12
oci_error "update with an unknown option" "update: unknown option --bogus"
oci update --pids-limit -5 c12
oci_error "update with a negative count names the option" "--pids-limit: '-5' is not a number"
oci update --memory
oci_error "update with an option and no value" "update: --memory needs a value"
oci delete --force c12
chk "delete --force stops it" "0 none" "$rc $(status_of c12)"

# ---------------------------------------------------------------- mount propagation
# shared/slave/private/unbindable (and the r- forms) on binds and in
# rootfsPropagation are applied in the container's mount namespace; a
# mount made inside never reaches the host (its namespace is a slave of
# the host's, in a user namespace of its own)
mkdir -p "$T/prop/sub"
config "c['mounts'].append({'destination': '/p-shared', 'type': 'bind', 'source': '$T/prop', 'options': ['rbind', 'rshared']})" \
	"c['mounts'].append({'destination': '/p-private', 'type': 'bind', 'source': '$T/prop', 'options': ['rbind', 'rprivate']})" \
	"c['mounts'].append({'destination': '/p-unbindable', 'type': 'bind', 'source': '$T/prop', 'options': ['bind', 'unbindable']})" \
	"[c['process']['capabilities'][k].append('CAP_SYS_ADMIN') for k in c['process']['capabilities']]" \
	"c['process']['args'] = ['sh', '-c', 'for d in /p-shared /p-private /p-unbindable; do awk -v d=\$d \'\$5 == d { print (/ shared:/ ? \"shared\" : / unbindable/ ? \"unbindable\" : \"private\") }\' /proc/self/mountinfo; done; mount -t tmpfs inner /p-shared/sub && echo mounted']"
oci run --bundle "$B" prop1
chk "bind propagation: rshared, rprivate, unbindable as asked; a mount inside works" "0 shared private unbindable mounted" "$rc $(echo $out)"
chk "a mount under an rshared bind never reaches the host" no "$(grep -q " $T/prop/sub " /proc/self/mountinfo && echo yes || echo no)"
config "c['linux']['rootfsPropagation'] = 'rshared'" \
	"c['process']['args'] = ['sh', '-c', 'awk \'\$5 == \"/\" { print (/ shared:/ ? \"shared\" : \"not-shared\") }\' /proc/self/mountinfo']"
oci run --bundle "$B" prop2
chk "rootfsPropagation rshared: the container's root is shared (within its namespace)" "0 shared" "$rc $out"
bad "an unknown rootfsPropagation" "linux.rootfsPropagation: 'sideways' is not a propagation" "c['linux']['rootfsPropagation'] = 'sideways'"

# ---------------------------------------------------------------- linux.namespaces with paths
# A second container joins the first one's user, network, ipc and uts
# namespaces by /proc/PID/ns/*: same hostname, same ids, the first one's
# POSIX message queue (ipc) and its listening socket on 127.0.0.1 (net).
# (The ipc namespace is seen through its mqueue filesystem: busybox has
# no SysV shm tool.)
B2=$T/bundle2
mkdir -p "$B2"
# bundle2 PYTHON-EDIT...: $B2/config.json, the bundle's root, the edits
bundle2() {
	config "c['root']['path'] = '$B/rootfs'" "$@" && mv "$B/config.json" "$B2/config.json"
}
config "c['hostname'] = 'box-a'" \
	"c['process']['args'] = ['sh', '-c', 'touch /dev/mqueue/nookq; echo ready > /out/a-ready; nc -l -p 7777 > /out/a-got; exec sleep 60']"
rm -f "$T/o/a-ready" "$T/o/a-got"
oci run -d --bundle "$B" ns-a
wait_file "$T/o/a-ready"
pa=$(pid_of ns-a)
joins="c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('user', 'network', 'ipc', 'uts')] + [{'type': t, 'path': '/proc/$pa/ns/' + f} for t, f in (('user', 'user'), ('network', 'net'), ('ipc', 'ipc'), ('uts', 'uts'))]"
bundle2 "del c['hostname']" "$joins" \
	"c['process']['args'] = ['sh', '-c', 'echo \$(hostname) \$(ls /dev/mqueue) \$(cat /proc/self/uid_map); for n in user net ipc uts; do readlink /proc/self/ns/\$n; done > /out/b-ns; echo via-loopback | nc 127.0.0.1 7777']"
oci --debug run --bundle "$B2" ns-b
chk "joined uts, ipc, user: the first one's hostname, message queue and ids" "0 box-a nookq $(cat "/proc/$pa/uid_map" | tr -s ' \t' ' ' | sed 's/^ //; s/ $//')" "$rc $(printf '%s' "$out" | tr -s ' \t' ' ')"
chkre "--debug says the user namespace is the joined one" "nook-oci: user namespace: the one at /proc/$pa/ns/user \(linux.namespaces path\)" "$err"
_i=0
while [ ! -s "$T/o/a-got" ] && [ $_i -lt 250 ]; do sleep 0.02; _i=$((_i + 1)); done
chk "joined network: the first one's listening socket on 127.0.0.1" via-loopback "$(cat "$T/o/a-got" 2>/dev/null)"
chk "the same user, net, ipc and uts namespaces as the first" \
	"$(for n in user net ipc uts; do readlink "/proc/$pa/ns/$n"; done)" "$(cat "$T/o/b-ns" 2>/dev/null)"
# a joined container that runs on: exec enters the joined namespaces
bundle2 "del c['hostname']" "$joins" "c['process']['args'] = ['sleep', '60']"
oci run -d --bundle "$B2" ns-c
oci exec ns-c sh -c 'echo $(hostname) $(readlink /proc/self/ns/net)'
chk "exec in a container that joined namespaces enters them" "0 box-a $(readlink "/proc/$pa/ns/net")" "$rc $out"
oci delete -f ns-c
# mount and pid namespaces: the second one's root is built in a copy of
# the first one's mount namespace (root.path "/" is the first one's root;
# /out, bound there, is in it), and its processes are in the first one's
# pid namespace; the first one's mounts are left as they were
bundle2 "del c['hostname']" "c['root']['path'] = '/'" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/out']" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('user', 'mount', 'pid')] + [{'type': t, 'path': '/proc/$pa/ns/' + f} for t, f in (('user', 'user'), ('mount', 'mnt'), ('pid', 'pid'))]" \
	"c['process']['args'] = ['sh', '-c', 'cat /out/a-ready; ps -o comm | grep -c sleep; readlink /proc/self/ns/pid']"
mounts_before=$(wc -l < "/proc/$pa/mountinfo")
oci run --bundle "$B2" ns-d
chk "joined mount and pid: the first one's files and processes" "0 ready 1 $(readlink "/proc/$pa/ns/pid")" "$rc $(echo $out)"
chk "the joined mount namespace is left as it was" "$mounts_before" "$(wc -l < "/proc/$pa/mountinfo")"
# a mount namespace whose /proc does not show the container
bundle2 "del c['hostname']" "c['root']['path'] = '/'" "c['mounts'] = [m for m in c['mounts'] if m['destination'] != '/out']" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('user', 'mount')] + [{'type': t, 'path': '/proc/$pa/ns/' + f} for t, f in (('user', 'user'), ('mount', 'mnt'))]"
oci create --bundle "$B2" ns-e
oci_error "a joined mount namespace whose /proc cannot show the container" "the mount namespace /proc/$pa/ns/mnt \(linux.namespaces path\) has no /proc that shows the container \(join the pid namespace of its /proc too\)"
# a container in another's pid namespace owns only its own processes:
# ps lists them, delete --force kills them and leaves the other running
bundle2 "del c['hostname']" \
	"c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] not in ('user', 'pid')] + [{'type': t, 'path': '/proc/$pa/ns/' + f} for t, f in (('user', 'user'), ('pid', 'pid'))]" \
	"c['process']['args'] = ['sh', '-c', 'sleep 60 & wait']"
oci run -d --bundle "$B2" ns-f
_i=0
while [ $_i -lt 100 ]; do
	oci ps ns-f
	[ "$(printf '%s\n' "$out" | sed 1d | grep -c .)" = 2 ] && break
	sleep 0.05; _i=$((_i + 1))
done
chk "ps in a joined pid namespace: the container's own two processes, not the first one's" 2 "$(printf '%s\n' "$out" | sed 1d | grep -c .)"
oci delete -f ns-f
chk "delete --force of it leaves the first container running" "0 running" "$rc $(status_of ns-a)"
oci delete -f ns-a
chk "no container left" "" "$(ls "$ROOT")"

# ---------------------------------------------------------------- no user namespace asked for
# a plain user: the container gets one of its own all the same (as with
# crun; runc refuses), and --debug says why
config "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'user']" "c.get('linux', {}).pop('uidMappings', None)" \
	"c.get('linux', {}).pop('gidMappings', None)" "c['process']['args'] = ['readlink', '/proc/self/ns/user']"
oci --debug run --bundle "$B" nouser1
chkre "no user namespace asked for, as a plain user: one of its own" "^0 user:\[[0-9]+\]$" "$rc $out"
chk "and not ours" no "$([ "$out" = "$(readlink /proc/self/ns/user)" ] && echo yes || echo no)"
chkre "--debug says why" "user namespace: none asked for, but nook \(uid [0-9]+\) is not privileged in its own .* so the container gets one of its own" "$err"
# root with CAP_SYS_ADMIN in a user namespace (as under rootless podman):
# the container stays in it
nkx unshare -r sh -c 'readlink /proc/self/ns/user; cat /proc/self/uid_map; "$0" --root "$1" --debug run --bundle "$2" nouser2 && cat /proc/self/uid_map' "$OCI" "$ROOT" "$B"
chk "no user namespace asked for, as root in one: none made, the container is in it" \
	"0 $(printf '%s' "$out" | sed -n 1p) $(printf '%s' "$out" | sed -n 2p | tr -s ' ')" \
	"$rc $(printf '%s' "$out" | sed -n 3p) $(printf '%s' "$out" | sed -n 4p | tr -s ' ')"
chkre "--debug says so" "user namespace: none asked for, and none made" "$err"
config "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'user']" \
	"c['linux']['uidMappings'] = [{'containerID': 0, 'hostID': 0, 'size': 1}]"
nkx unshare -r "$OCI" --root "$ROOT" create --bundle "$B" nouser3
oci_error "id maps without a user namespace, as root in one: refused" "linux.uidMappings: needs a user namespace"

# `nook oci` is the same command line
nk oci --root "$ROOT" list -q
chk "nook oci works as nook-oci" "0 " "$rc $out"

t_clean "oci"
t_done
