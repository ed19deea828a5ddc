#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# podman.sh - nook-oci as the OCI runtime of real rootless podman: the
# same podman commands run with --runtime nook-oci and --runtime runc, and
# each result is checked against what it must be and against runc's.
# run --rm (output, exit status), -i, -it under a pty, -d with exec,
# exec -t, exec -i, logs, stop (the payload's SIGTERM handler runs), kill
# and rm, --userns=keep-id, -p 127.0.0.1:PORT (podman's own networking),
# --read-only, --cap-drop/--cap-add, seccomp, --tmpfs, -v, --hostname, -e,
# -w, port 80 and the ids without a user namespace of nook's own, a pod,
# --network container:NAME, --pid container:NAME, -v :rshared and :rslave.
#
# podman's whole state lives in the scratch directory: storage.conf,
# containers.conf, XDG_RUNTIME_DIR, HOME; the image is imported from a
# tarball of the busybox test tree (no registry, no network). At the end
# the storage is reset and podman's pause process killed: no podman,
# conmon, pause or container process and no mount may be left.
. "$NOOK_SRCDIR/tests/integration/lib.sh"
t_need podman "the test drives rootless podman (install podman)"
t_need runc "results are compared with runc's (install runc)"
t_need conmon "podman needs conmon"
t_need busybox "the image is a busybox tree (install busybox-static)"
t_need python3 "the pty driver and the port check are python3 scripts"

OCI=$NOOK_BUILDDIR/nook-oci
[ -x "$OCI" ] || { echo "1..0 # SKIP no $OCI (make builds it next to nook)"; exit 0; }
RUNC=$(command -v runc)

# ---------------------------------------------------------------- podman's state, all under $T
. "$NOOK_SRCDIR/tests/integration/podman-state.sh"
mkdir -p "$T/ovl/l" "$T/ovl/u" "$T/ovl/w" "$T/ovl/m"
# native overlay in a user namespace (Linux 5.11 and later), else vfs
driver=vfs
unshare -rm sh -c "mount -t overlay ovl -o lowerdir=$T/ovl/l,upperdir=$T/ovl/u,workdir=$T/ovl/w $T/ovl/m" \
	2>/dev/null && driver=overlay
rm -rf "$T/ovl"
podman_state_init "$T" "$driver"
# _podman_procs: "PID COMM" of podman's processes of this user: by name
# (the pause process, which holds podman's user namespace, is "podman
# pause"), or, for its helpers (slirp4netns, rootlessport's child "exe"),
# by this script's XDG_RUNTIME_DIR in their environment - except this
# script's own shells and tools, which have it too
_ours() {
	_q=$1
	while [ -n "$_q" ] && [ "$_q" -gt 1 ]; do
		[ "$_q" = $$ ] && return 0
		_q=$(awk '/^PPid:/ { print $2 }' "/proc/$_q/status" 2>/dev/null)
	done
	return 1
}
_podman_procs() {
	for _p in $(pgrep -u "$(id -u)"); do
		_c=$(cat "/proc/$_p/comm" 2>/dev/null) || continue
		case $_c in
		podman|"podman pause"|conmon|catatonit|rootlessport|rootlessport-ch*) ;;
		*)
			{ tr '\0' '\n' < "/proc/$_p/environ"; } 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$T/xdg" || continue
			_ours "$_p" && continue ;;
		esac
		echo "$_p $_c"
	done
	return 0
}
# podman's processes that were there before (none, normally)
_podman0=$(_podman_procs | awk '{print $1}')

cleanup() {
	[ -e "$T/cleaned" ] && return 0
	podman_state_end "$T"
	: > "$T/cleaned"
	return 0
}
trap 'cleanup; rm -rf "$T"' EXIT

I=localhost/nook-podman-test:latest
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/rootfs" >/dev/null
# the pods' infra command (catatonit, podman's own pause binary, may not
# be installed)
printf '#!/bin/sh\nexec sleep 600\n' > "$T/rootfs/bin/nkp-pause"
chmod 755 "$T/rootfs/bin/nkp-pause"
tar -C "$T/rootfs" --owner=0 --group=0 -cf "$T/rootfs.tar" .
rm -rf "$T/rootfs"
if ! podman import --quiet --change 'CMD ["/bin/sh"]' "$T/rootfs.tar" "$I" >"$T/import.out" 2>&1; then
	echo "1..0 # SKIP rootless podman does not work here: $(grep -v 'shared mount' "$T/import.out" | head -1)"
	exit 0
fi
rm -f "$T/rootfs.tar"

# pm RUNTIME ARGS...: podman --runtime RUNTIME ARGS (bounded, stdin from
# /dev/null; sets rc, out, err without podman's "not a shared mount" note)
pm() {
	_rt=$1; shift
	nkx podman --runtime "$_rt" "$@"
	err=$(printf '%s\n' "$err" | grep -v 'is not a shared mount')
}
# both NAME WANT ARGS...: `podman run --rm ARGS` under nook-oci gives
# "STATUS OUTPUT" WANT, and runc gives the same
both() {
	_n=$1 _want=$2; shift 2
	pm "$RUNC" run --rm --pull=never "$@"
	_runc="$rc $out"
	pm "$OCI" run --rm --pull=never "$@"
	chk "$_n" "$_want" "$rc $out"
	chk "$_n: as runc" "$_runc" "$rc $out"
}

# ---------------------------------------------------------------- run --rm
both "run --rm: output and exit status" "0 hi" "$I" echo hi
both "run --rm: a non-zero exit status is passed through" "7 " "$I" sh -c 'exit 7'
for rt in "$RUNC" "$OCI"; do
	out=$(printf 'line1\nline2\n' | timeout -k 5 30 podman --runtime "$rt" run --rm -i --pull=never "$I" sh -c 'cat; echo end' 2>/dev/null)
	rc=$?
	[ "$rt" = "$RUNC" ] && _runc="$rc $out"
done
chk "run --rm -i: stdin reaches the payload" "0 line1
line2
end" "$rc $out"
chk "run --rm -i: as runc" "$_runc" "$rc $out"

# run -it: a pty from podman; what is typed reaches the payload, its exit status comes back
PTYDRIVE=$NOOK_SRCDIR/tests/integration/ptydrive.py
for rt in "$RUNC" "$OCI"; do
	nkx python3 "$PTYDRIVE" 'ready' 'typed-in\n' -- podman --runtime "$rt" run --rm -it --pull=never "$I" \
		sh -c 'tty; [ -t 0 ] && echo stdin-is-a-tty; echo ready; read x; echo "got:$x"; exit 5'
	out=$(printf '%s' "$out" | tr -d '\r' | grep -E '^(/dev/|stdin-is|got:)' | tr '\n' ' ')
	[ "$rt" = "$RUNC" ] && _runc="$rc $out"
done
chkre "run -it: a pty, typed input, the exit status" '^5 /dev/pts/[0-9]+ stdin-is-a-tty got:typed-in $' "$rc $out"
chk "run -it: as runc" "$_runc" "$rc $out"

# ---------------------------------------------------------------- run -d, exec, logs, stop, kill, rm
# life RUNTIME: one detached container through its life; sets L_* (and
# L, all of them in one line)
life() {
	_rt=$1
	pm "$_rt" run -d --pull=never --name nkp-life "$I" \
		sh -c 'trap "echo got-term; exit 3" TERM; echo started; while :; do sleep 0.1; done'
	L_run=$rc
	_i=0
	while [ $_i -lt 50 ]; do
		pm "$_rt" logs nkp-life
		[ "$out" = started ] && break
		sleep 0.1; _i=$((_i + 1))
	done
	L_logs=$out
	pm "$_rt" exec nkp-life sh -c 'echo in-exec; [ -t 0 ] || echo no-tty'
	L_exec="$rc $out"
	pm "$_rt" exec nkp-life sh -c 'exit 4'
	L_execrc=$rc
	pm "$_rt" exec -t nkp-life sh -c 'tty'
	L_exect="$rc $(printf '%s' "$out" | tr -d '\r' | sed 's/[0-9]*$/N/')"
	L_execi="$(printf 'to-exec\n' | timeout -k 5 30 podman --runtime "$_rt" exec -i nkp-life sh -c 'read x; echo "exec-read:$x"' 2>/dev/null; echo " $?")"
	_t0=$(date +%s)
	pm "$_rt" stop -t 20 nkp-life
	L_stoptime=$(($(date +%s) - _t0))
	pm "$_rt" logs nkp-life
	L_stoplogs=$(echo $out)
	pm "$_rt" inspect -f '{{.State.ExitCode}} {{.State.Status}}' nkp-life
	L_stopped=$out
	pm "$_rt" rm nkp-life
	L_rm=$rc
	pm "$_rt" run -d --pull=never --name nkp-kill "$I" sleep 60
	pm "$_rt" kill nkp-kill
	L_kill=$rc
	pm "$_rt" wait nkp-kill
	L_killed=$out
	pm "$_rt" rm nkp-kill
	pm "$_rt" ps -a --format '{{.Names}}'
	L_left=$out
	L="$L_run|$L_logs|$L_exec|$L_execrc|$L_exect|$L_execi|$L_stoplogs|$L_stopped|$L_rm|$L_kill|$L_killed|$L_left"
}
life "$RUNC"
_runc=$L
life "$OCI"
chk "run -d" 0 "$L_run"
chk "logs: the payload's output" started "$L_logs"
chk "exec: output, no terminal" "0 in-exec
no-tty" "$L_exec"
chk "exec: the command's exit status" 4 "$L_execrc"
chk "exec -t: a pty" "0 /dev/pts/N" "$L_exect"
chk "exec -i: stdin reaches the command" "exec-read:to-exec
 0" "$L_execi"
chk "stop: SIGTERM reaches the payload's handler" "started got-term" "$L_stoplogs"
chk "stop: its exit status is the handler's" "3 exited" "$L_stopped"
t_eq "stop: well within its timeout" yes "$([ "$L_stoptime" -le 5 ] && echo yes)"
chk "rm" 0 "$L_rm"
chk "kill: SIGKILL by default" "0 137" "$L_kill $L_killed"
chk "no container left" "" "$L_left"
chk "run -d, exec, logs, stop, kill, rm: as runc" "$_runc" "$L"

# ---------------------------------------------------------------- ids, network
both "--userns=keep-id: the caller's uid inside" "0 $(id -u) $(id -g)" --userns=keep-id "$I" sh -c 'echo $(id -u) $(id -g)'
# podman's other user namespace modes: its maps, the same under either runtime
both "--userns=nomap: root inside, the caller not mapped" "0 0 65536" --userns=nomap "$I" \
	sh -c 'echo $(id -u) $(awk "{ n += \$3 } END { print n }" /proc/self/uid_map)'
both "--userns=auto:size=2000: a range of its own" "0 0 2000" --userns=auto:size=2000 "$I" \
	sh -c 'echo $(id -u) $(awk "{ n += \$3 } END { print n }" /proc/self/uid_map)'

# -p: podman's rootlessport forwards 127.0.0.1:PORT to the container's
# port (8080; port 80 below)
freeport() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fetch() {
	python3 - "$1" <<'EOF'
import sys, time, urllib.request
for i in range(100):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/index.html" % sys.argv[1], timeout=2).read().decode().strip())
        break
    except Exception:
        time.sleep(0.1)
EOF
}
for rt in "$RUNC" "$OCI"; do
	port=$(freeport)
	pm "$rt" run -d --pull=never --name nkp-web -p "127.0.0.1:$port:8080" "$I" \
		sh -c 'echo "served-by-$(hostname)" > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'
	page=$(fetch "$port")
	pm "$rt" rm -f -t 0 nkp-web
	[ "$rt" = "$RUNC" ] && _runc=$(printf '%s' "$page" | sed 's/-[0-9a-f]*$//')
done
chkre "-p 127.0.0.1:PORT:8080: the container's httpd answers on the host" '^served-by-[0-9a-f]{12}$' "$page"
chk "-p: as runc" "$_runc" "$(printf '%s' "$page" | sed 's/-[0-9a-f]*$//')"
# port 80 inside: the container stays in podman's user namespace (the
# config asks for no user namespace, and nook-oci runs there as uid 0 with
# every capability), which owns podman's network namespace, so root inside
# binds below 1024 as with runc, no sysctl needed
port=$(freeport)
pm "$OCI" run -d --pull=never --name nkp-web80 -p "127.0.0.1:$port:80" "$I" \
	sh -c 'echo port-80 > /tmp/index.html; exec httpd -f -p 80 -h /tmp'
chk "-p 127.0.0.1:PORT:80: the payload binds port 80" port-80 "$(fetch "$port")"
pm "$OCI" rm -f -t 0 nkp-web80
both "a payload binds port 80 (nc -l -p 80)" "0 bound" "$I" \
	sh -c 'nc -l -p 80 >/dev/null 2>/tmp/e & p=$!; sleep 0.5; kill $p 2>/dev/null && echo bound || cat /tmp/e'

# ---------------------------------------------------------------- no user namespace of nook's own
# podman's config asks for none: the ids, the capabilities over the
# network namespace and its sysctls are podman's user namespace's, as
# with runc (nook-oci --debug says which it chose)
podman unshare cat /proc/self/uid_map /proc/self/gid_map > "$T/maps"
both "/proc/self/uid_map and gid_map are podman's user namespace's" "0 $(echo $(cat "$T/maps"))" "$I" \
	sh -c 'echo $(cat /proc/self/uid_map /proc/self/gid_map)'
pm "$RUNC" run --rm --pull=never "$I" sh -c 'echo $(cat /proc/sys/net/ipv4/ping_group_range)'
_runc="$rc $out"
pm "$OCI" run --rm --pull=never "$I" sh -c 'echo $(cat /proc/sys/net/ipv4/ping_group_range)'
chkre "ping_group_range: read" '^0 [0-9]+ [0-9]+$' "$rc $out"
chk "ping_group_range: as runc (nook-oci leaves podman's sysctls alone)" "$_runc" "$rc $out"
both "the user namespace is podman's (as seen from podman unshare)" "0 $(podman unshare readlink /proc/self/ns/user)" \
	"$I" readlink /proc/self/ns/user
# ---------------------------------------------------------------- namespaces joined by path
# a pod: podman gives the containers its infra container's network, ipc
# and uts namespaces as linux.namespaces paths; --network container:NAME
# another container's network namespace
sharing() {
	_rt=$1
	pm "$_rt" pod create --name nkp-pod --infra-image "$I" --infra-command /bin/nkp-pause
	P_pod=$rc
	pm "$_rt" run -d --pull=never --pod nkp-pod --name nkp-p1 "$I" \
		sh -c 'echo in-p1 > /tmp/index.html; exec httpd -f -p 8081 -h /tmp'
	P_p1=$rc
	pm "$_rt" run --rm --pull=never --pod nkp-pod "$I" \
		sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8081/index.html 2>/dev/null && break; sleep 0.2; done; for n in net uts ipc; do readlink /proc/self/ns/$n; done'
	P_p2=$(printf '%s' "$out" | head -1)
	P_p2ns=$(printf '%s' "$out" | sed 1d | tr '\n' ' ')
	pm "$_rt" exec nkp-p1 sh -c 'for n in net uts ipc; do readlink /proc/self/ns/$n; done'
	P_p1ns=$(printf '%s' "$out" | tr '\n' ' ')
	pm "$_rt" pod rm -f -t 0 nkp-pod
	P_rm=$rc
	pm "$_rt" run -d --pull=never --name nkp-srv "$I" \
		sh -c 'echo in-srv > /tmp/index.html; exec httpd -f -p 8082 -h /tmp'
	pm "$_rt" run --rm --pull=never --network container:nkp-srv "$I" \
		sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8082/index.html 2>/dev/null && break; sleep 0.2; done'
	P_cnet="$rc $out"
	pm "$_rt" run --rm --pull=never --pid container:nkp-srv "$I" sh -c 'ps -o comm | grep -c httpd'
	P_cpid="$rc $out"
	pm "$_rt" inspect -f '{{.State.Status}}' nkp-srv
	P_cpid="$P_cpid $out"
	pm "$_rt" rm -f -t 0 nkp-srv
	P="$P_pod $P_p1 $P_p2 $([ "$P_p1ns" = "$P_p2ns" ] && echo same-ns) $P_rm|$P_cnet|$P_cpid"
}
sharing "$RUNC"
_runc=$P
sharing "$OCI"
chk "pod: two containers share the infra container's network (one reaches the other's httpd on 127.0.0.1)" "0 0 in-p1" "$P_pod $P_p1 $P_p2"
chkre "pod: and its net, uts and ipc namespaces" '^net:\[[0-9]+\] uts:\[[0-9]+\] ipc:\[[0-9]+\] ?$' "$P_p2ns"
chk "pod: the same three in both containers" "$P_p1ns" "$P_p2ns"
chk "--network container:NAME: that container's network" "0 in-srv" "$P_cnet"
chk "--pid container:NAME: that container's processes; it runs on after" "0 1 running" "$P_cpid"
chk "pod, --network container: and --pid container: as runc" "$_runc" "$P"

# ---------------------------------------------------------------- the security envelope
both "--read-only: / is read-only, /tmp a writable tmpfs" "0 ro ok" --read-only "$I" \
	sh -c 'echo $(touch /x 2>/dev/null && echo rw || echo ro) $(touch /tmp/y && echo ok)'
both "--cap-drop ALL: no capability" "0 0000000000000000 0000000000000000" --cap-drop ALL "$I" \
	sh -c 'echo $(grep -E "^Cap(Eff|Bnd)" /proc/self/status | cut -f2)'
both "--cap-drop ALL --cap-add NET_BIND_SERVICE: that one" "0 0000000000000400 0000000000000400" \
	--cap-drop ALL --cap-add NET_BIND_SERVICE "$I" sh -c 'echo $(grep -E "^Cap(Eff|Bnd)" /proc/self/status | cut -f2)'
both "seccomp: a filter by default" "0 2" "$I" sh -c 'grep "^Seccomp:" /proc/self/status | cut -f2'
both "--security-opt seccomp=unconfined: none" "0 0" --security-opt seccomp=unconfined "$I" \
	sh -c 'grep "^Seccomp:" /proc/self/status | cut -f2'

# ---------------------------------------------------------------- mounts, environment
both "--tmpfs: a new directory, writable, mode 1777" "0 tmpfs 1777 w" --tmpfs /scratch "$I" \
	sh -c 'echo $(grep " /scratch " /proc/mounts | cut -d" " -f3) $(stat -c %a /scratch) $(touch /scratch/f && echo w)'
both "--tmpfs on a directory of the image: its contents copied up" "0 tmpfs 755 group hostname hosts passwd" \
	--tmpfs /etc "$I" sh -c 'echo $(grep " /etc " /proc/mounts | cut -d" " -f3) $(stat -c %a /etc) $(ls /etc | grep -E "^(group|hostname|hosts|passwd)$")'
mkdir "$T/vol"
echo from-host > "$T/vol/in"
both "-v: a bind mount, read and written" "0 from-host" -v "$T/vol:/vol" "$I" sh -c 'cat /vol/in; echo from-container > /vol/out'
chk "-v: the write reached the host" from-container "$(cat "$T/vol/out" 2>/dev/null)"
both "-v :ro: read-only" "0 from-host ro" -v "$T/vol:/vol:ro" "$I" sh -c 'echo $(cat /vol/in) $(touch /vol/x 2>/dev/null && echo rw || echo ro)'
both "--hostname, -e, -w" "0 box-1 bar /tmp" --hostname box-1 -e FOO=bar -w /tmp "$I" sh -c 'echo $(hostname) $FOO $(pwd)'

# ---------------------------------------------------------------- propagation
# -v :rshared: the bind is shared in the container's mount namespace, as
# with runc (a mount inside reaches no namespace but the container's)
both "-v :rshared: a shared bind" "0 shared mounted" --cap-add SYS_ADMIN -v "$T/vol:/vol:rshared" "$I" \
	sh -c 'echo $(awk '"'"'$5 == "/vol" { print (/ shared:/ ? "shared" : "private") }'"'"' /proc/self/mountinfo) $(mkdir -p /vol/sub && mount -t tmpfs x /vol/sub && echo mounted)'
chk "-v :rshared: a mount inside does not reach the host" no "$(grep -q " $T/vol/sub " /proc/self/mountinfo && echo yes || echo no)"
both "-v :rslave: not shared" "0 private" -v "$T/vol:/vol:rslave" "$I" \
	sh -c 'awk '"'"'$5 == "/vol" { print (/ shared:/ ? "shared" : "private") }'"'"' /proc/self/mountinfo'

# ---------------------------------------------------------------- nothing left
cleanup
_left=""
_i=0
while [ $_i -lt 50 ]; do
	_left=$(_podman_procs | while read -r _pid _rest; do
		printf '%s\n' "$_podman0" | grep -qx "$_pid" || echo "$_pid $_rest"
	done)
	[ -z "$_left" ] && break
	sleep 0.1; _i=$((_i + 1))
done
t_eq "no podman, conmon, pause or port helper left" "" "$_left"
t_eq "the storage is gone" no "$([ -e "$T/graph" ] && echo yes || echo no)"
t_clean "podman"
t_done
