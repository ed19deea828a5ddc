#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oci-cgroup-tests.sh - nook-oci's cgroup leaf (linux.resources, cgroupsPath,
# pause/resume, update, ps, delete); runs INSIDE the VM as the
# unprivileged test user, from the delegated scope guest-init.sh makes
# (tests/vm/cgroup-vm.sh relays the results). On the host, where no cgroup
# v2 is delegated, tests/integration/oci.sh checks the refusals instead.
. "$NOOK_SRCDIR/tests/integration/lib.sh"
: "${NOOK_VM_SCOPE:?run me through tests/vm/cgroup-vm.sh}"

OCI=$NOOK_BUILDDIR/nook-oci
ROOT=$T/state
B=$T/bundle
O=$T/o
mkdir -p "$B" "$O"
chmod 0777 "$O"
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$B/rootfs" > /dev/null
mkdir -p "$B/rootfs/out"
oci() { nkx "$OCI" --root "$ROOT" "$@"; }
# the leaves live where nook builds: the scope, or its parent when this
# shell already sits in the scope's nook-init (cgroup-tests.sh ran first)
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
base=/sys/fs/cgroup$own
case $base in */nook-init) base=${base%/nook-init} ;; esac
jkey() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1" 2>/dev/null; }
status_of() { "$OCI" --root "$ROOT" state "$1" 2>/dev/null | jkey status || echo none; }
pid_of() { "$OCI" --root "$ROOT" state "$1" 2>/dev/null | jkey pid; }
# config EDIT...: a config.json from `nook-oci spec` with the python
# statements EDIT applied to the dict c; /out is $O
config() {
	rm -f "$B/config.json"
	"$OCI" spec --bundle "$B" || return 1
	python3 - "$B/config.json" "$O" "$@" <<'EOF'
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
count() { cat "$O/count" 2>/dev/null || echo 0; }
# grows SECONDS: whether the counter moved within SECONDS
grows() {
	_a=$(count)
	sleep "$1"
	[ "$(count)" != "$_a" ]
}
wait_count() {
	_w=0
	while [ "$(count)" -lt 3 ]; do
		_w=$((_w + 1))
		[ $_w -gt 300 ] && return 1
		sleep 0.1
	done
}
counter="c['process']['args'] = ['sh', '-c', 'i=0; while :; do i=\$((i+1)); echo \$i > /out/count.tmp; mv /out/count.tmp /out/count; sleep 0.05; done']"

# --- limits from linux.resources -------------------------------------------
config "$counter" \
	"c['linux']['resources'] = {'memory': {'limit': 67108864, 'reservation': 33554432}, 'pids': {'limit': 50}, 'cpu': {'shares': 1024, 'quota': 50000, 'period': 100000}}"
oci create --bundle "$B" o1
chk "create with memory, pids and cpu limits" 0 "$rc"
leaf=$base/oci-o1
t_eq "the record names the leaf oci-o1 in the delegated cgroup" "$leaf" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cgroup"])' "$ROOT/o1/status" 2>&1)"
t_eq "memory.max holds linux.resources.memory.limit" 67108864 "$(cat "$leaf/memory.max" 2>&1)"
t_eq "memory.low holds memory.reservation" 33554432 "$(cat "$leaf/memory.low" 2>&1)"
t_eq "pids.max holds pids.limit" 50 "$(cat "$leaf/pids.max" 2>&1)"
t_eq "cpu.max holds quota and period" "50000 100000" "$(cat "$leaf/cpu.max" 2>&1)"
# crun's conversion: 1 + (shares - 2) * 9999 / 262142
t_eq "cpu.shares 1024 became cpu.weight 39" 39 "$(cat "$leaf/cpu.weight" 2>&1)"
pid=$(pid_of o1)
t_eq "the init was cloned into the leaf" "0::${leaf#/sys/fs/cgroup}" \
	"$(grep '^0::' "/proc/$pid/cgroup" 2>&1)"
t_eq "the init is the leaf's only process before start" "$pid" "$(cat "$leaf/cgroup.procs" 2>&1)"

oci start o1
chk "start" 0 "$rc"
wait_count
t_run "the counter grows while it runs" grows 1
oci exec o1 cat /proc/self/cgroup
chkre "exec runs the command in the container's leaf" "^0::(/|${leaf#/sys/fs/cgroup})\$" "$out"

# --- pause / resume --------------------------------------------------------
oci pause o1
chk "pause" 0 "$rc"
t_eq "state says paused" paused "$(status_of o1)"
t_match "cgroup.events says frozen 1" "frozen 1" "$(cat "$leaf/cgroup.events")"
# frozen, the leaf's processes stay put: ps must list exactly them
oci ps --format json o1
t_eq "ps lists the leaf's cgroup.procs" "$(sort -n "$leaf/cgroup.procs" | tr '\n' ' ')" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(str(p) for p in sorted(json.load(sys.stdin))) + " ")' 2>&1)"

sleep 0.3
if grows 1.5; then t_fail "the payload makes no progress while paused" "count moved to $(count)"; else t_ok "the payload makes no progress while paused"; fi
oci pause o1
chkre "pausing a paused container fails" "1 .*cannot pause container 'o1': it is paused" "$rc $err"
oci resume o1
chk "resume" "0 running" "$rc $(status_of o1)"
t_match "cgroup.events says frozen 0" "frozen 0" "$(cat "$leaf/cgroup.events")"
t_run "the counter grows again after resume" grows 1.5
oci resume o1
chkre "resuming a running container fails" "1 .*cannot resume container 'o1': it is running, not paused" "$rc $err"

# --- update ----------------------------------------------------------------
oci update --memory 128M o1
chk "update --memory" "0 134217728" "$rc $(cat "$leaf/memory.max")"
oci update --pids-limit 77 --cpu-quota 20000 --cpu-period 50000 o1
chk "update --pids-limit --cpu-quota --cpu-period" "0 77 20000 50000" "$rc $(cat "$leaf/pids.max") $(cat "$leaf/cpu.max")"
printf '{"memory": {"limit": 100663296}, "cpu": {"shares": 2}}' > "$T/res.json"
oci update -r "$T/res.json" o1
chk "update -r resources.json" "0 100663296 1" "$rc $(cat "$leaf/memory.max") $(cat "$leaf/cpu.weight")"

# --- kill / delete ---------------------------------------------------------
oci kill o1 KILL
chk "kill" 0 "$rc"
_w=0
while [ "$(status_of o1)" != stopped ] && [ $_w -lt 100 ]; do sleep 0.1; _w=$((_w + 1)); done
t_eq "stopped after kill" stopped "$(status_of o1)"
oci delete o1
chk "delete" 0 "$rc"
t_eq "delete removed the leaf" no "$([ -d "$leaf" ] && echo yes || echo no)"

# delete --force of a paused container: its processes are killed, the
# leaf removed
config "$counter" "c['linux']['resources'] = {'pids': {'limit': 20}}" "c['linux']['cgroupsPath'] = '/mine/o2'"
rm -f "$O/count"
oci run -d --bundle "$B" o2
chk "run -d with cgroupsPath /mine/o2" 0 "$rc"
leaf2=$base/mine/o2
t_eq "the leaf is cgroupsPath below the delegated cgroup" 20 "$(cat "$leaf2/pids.max" 2>&1)"
wait_count
oci pause o2
chk "pause o2" "0 paused" "$rc $(status_of o2)"
procs=$(cat "$leaf2/cgroup.procs")
oci delete --force o2
chk "delete --force a paused container" "0 none" "$rc $(status_of o2)"
t_eq "its leaf is gone" no "$([ -d "$leaf2" ] && echo yes || echo no)"
left=
for p in $procs; do [ -d "/proc/$p" ] && left="$left $p"; done
t_eq "no process of it is left" "" "$left"

# a container without limits gets a leaf too: pause works
config "$counter"
rm -f "$O/count"
oci run -d --bundle "$B" o3
chk "run -d without linux.resources" 0 "$rc"
t_eq "it has a leaf all the same" yes "$([ -d "$base/oci-o3" ] && echo yes || echo no)"
wait_count
oci pause o3
chk "pause o3" "0 paused" "$rc $(status_of o3)"
oci delete --force o3
t_eq "delete --force removed it" "0 no" "$rc $([ -d "$base/oci-o3" ] && echo yes || echo no)"

# the limit is enforced: a fork bomb stops at pids.max
config "c['process']['args'] = ['sh', '-c', 'n=0; while [ \$n -lt 30 ]; do sleep 5 & n=\$((n+1)); done 2>/out/forkerr; echo \$n > /out/started; wait']" \
	"c['linux']['resources'] = {'pids': {'limit': 8}}"
oci run --bundle "$B" o4
t_match "pids.limit 8 stops the payload's forks" "Resource temporarily unavailable|fork|Cannot" "$(cat "$O/forkerr" 2>&1)"
oci delete --force o4

# an empty leaf of the same name, left by a container whose runtime state
# was lost, is taken over
mkdir "$base/oci-o5"
config "c['process']['args'] = ['true']" "c['linux']['resources'] = {'pids': {'limit': 9}}"
oci create --bundle "$B" o5
chk "create takes over an empty leftover leaf" "0 9" "$rc $(cat "$base/oci-o5/pids.max" 2>&1)"
oci delete --force o5

# a limit out of range fails create naming the key, and leaves nothing
config "$counter" "c['linux']['resources'] = {'cpu': {'quota': 500, 'period': 100000}}"
oci create --bundle "$B" o6
chkre "a cpu.quota below 1000 us fails naming the key" "^1 nook-oci: linux.resources.cpu.quota: a quota of 500 us" "$rc $err"
t_eq "it left no leaf and no state" "no none" "$([ -d "$base/oci-o6" ] && echo yes || echo no) $(status_of o6)"

t_eq "no oci leaf left" "" "$(ls -d "$base"/oci-* "$base"/mine/o* 2>/dev/null)"
t_done
