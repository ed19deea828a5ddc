#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup-tests.sh - cgroup v2 limits and stats; runs INSIDE the VM as the
# unprivileged test user, from a delegated cgroup that holds processes
# (guest-init.sh arranges that; tests/vm/cgroup-vm.sh relays the results).
#
# NOOK_VM_DELEGATED is the delegated user@UID.service cgroup, NOOK_VM_SCOPE
# the scope this script starts in.
. "$NOOK_SRCDIR/tests/integration/lib.sh"
: "${NOOK_VM_SCOPE:?run me through tests/vm/cgroup-vm.sh}"
: "${NOOK_VM_DELEGATED:?run me through tests/vm/cgroup-vm.sh}"

scope=$NOOK_VM_SCOPE
own_cgroup() { sed -n 's/^0:://p' /proc/self/cgroup; }
leaves() { ls -d "$scope"/nook-[0-9]* 2>/dev/null; }
have_leaf() { [ -n "$(leaves)" ]; }
# The payloads run as subordinate ids, so look for them by name, any user.
sleeping() { [ -n "$(leaves)" ] && pgrep -x sleep > /dev/null; }
# jget FILE KEY: a value from a JSON object (null, true/false, numbers, strings)
jget() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))[sys.argv[2]]
print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$1" "$2" 2>/dev/null
}
# num VALUE: VALUE if it is a whole number, else -1 (keeps $((...)) safe)
num() { case $1 in ''|*[!0-9]*) echo -1 ;; *) echo "$1" ;; esac; }
# wait_for CMD...: up to 20 s for CMD to succeed
wait_for() {
	_w=0
	while ! "$@"; do
		_w=$((_w + 1))
		[ $_w -gt 200 ] && return 1
		sleep 0.1
	done
}

t_eq "the kernel has cgroup2 at /sys/fs/cgroup" cgroup2fs "$(stat -f -c %T /sys/fs/cgroup)"
t_eq "tests start in the delegated scope" "${scope#/sys/fs/cgroup}" "$(own_cgroup)"

# --- placement ------------------------------------------------------------
out=$("$NOOK" run --memory 64M -- cat /proc/self/cgroup /sys/fs/cgroup/memory.max 2>&1)
t_eq "the payload sees its leaf as the cgroup root, with the limit" "0::/
67108864" "$out"
t_eq "nook moved the scope's processes into nook-init (no internal processes)" \
	"${scope#/sys/fs/cgroup}/nook-init" "$(own_cgroup)"
t_eq "the scope itself holds no process" "" "$(cat "$scope/cgroup.procs")"
t_match "controllers enabled for the leaves" "memory" "$(cat "$scope/cgroup.subtree_control")"
t_eq "no leaf left after exit" "" "$(leaves)"

out=$("$NOOK" run --memory 64M -- sh -c 'ls /sys/fs/cgroup | grep -c "^nook-"; touch /sys/fs/cgroup/x 2>&1 || echo read-only' 2>&1)
t_eq "/sys/fs/cgroup inside shows only the leaf, read-only" "0
read-only" "$(printf '%s\n' "$out" | grep -v '^touch')"

# Even with /sys/fs/cgroup delegated writable, the container cannot raise
# its own limit: the leaf is its cgroup namespace's root, whose files the
# kernel keeps out of reach (cgroup2 mounted with nsdelegate, as systemd does).
out=$("$NOOK" run --set security.cgroup_writable=true --memory 64M -- \
	sh -c 'mkdir /sys/fs/cgroup/sub && rmdir /sys/fs/cgroup/sub && echo writable
		echo max > /sys/fs/cgroup/memory.max || echo refused; cat /sys/fs/cgroup/memory.max' 2>/dev/null)
t_eq "a writable /sys/fs/cgroup, yet the container cannot raise its own memory.max" "writable
refused
67108864" "$out"

# The payload runs in the leaf from its first instruction (CLONE_INTO_CGROUP):
# seen from outside while it sleeps.
"$NOOK" run --pids 50 -- sleep 30 > "$T/sleep.out" 2>&1 &
nookpid=$!
wait_for sleeping
leaf=$(leaves)
sleeper=$(pgrep -x sleep | head -n 1)
t_match "a leaf named after the nook process exists while it runs" "/nook-$nookpid-[0-9]+\$" "$leaf"
t_eq "the payload is in the leaf" "0::${leaf#/sys/fs/cgroup}" "$(cat "/proc/$sleeper/cgroup" 2>&1)"
t_eq "the pids limit is in the leaf" 50 "$(cat "$leaf/pids.max")"
kill -TERM $nookpid
wait $nookpid
t_eq "SIGTERM reaches the payload; nook exits 143" 143 $?
t_eq "the leaf is gone after exit" "" "$(leaves)"

# The leaf goes on the other ways out too: a command that is not there, a timeout.
"$NOOK" run --memory 64M -- /no/such/command > /dev/null 2>&1
t_eq "a missing command under limits: exit 127" 127 $?
t_eq "no leaf left after a missing command" "" "$(leaves)"
"$NOOK" run --memory 64M --timeout 1s -- sleep 30 > /dev/null 2>&1
t_eq "a timeout under limits: exit 124" 124 $?
t_eq "no leaf left after a timeout" "" "$(leaves)"
t_eq "the timed-out payload is gone" "" "$(pgrep -x sleep)"

# --- memory ----------------------------------------------------------------
"$NOOK" run --memory 256M --stats-json "$T/oom.json" -- \
	python3 -c 'b = bytearray(b"\x01") * (400 << 20); print(len(b))' > "$T/oom.out" 2> "$T/oom.err"
st=$?
t_eq "allocating past --memory 256M is OOM-killed: exit 137" 137 "$st"
t_match "the OOM kill is reported plainly" \
	'^nook: killed by the kernel: out of memory \(limit 256 MiB\)$' "$(cat "$T/oom.err")"
t_eq "the allocation never completed" "" "$(cat "$T/oom.out")"
t_eq "stats: exit_status 137" 137 "$(jget "$T/oom.json" exit_status)"
t_match "stats: oom_kills counted" '^[1-9][0-9]*$' "$(jget "$T/oom.json" oom_kills)"
peak=$(num "$(jget "$T/oom.json" memory_peak_bytes)")
if [ "$peak" -le $((256 << 20)) ] && [ "$peak" -gt $((200 << 20)) ]; then
	t_ok "stats: memory peak $peak is at the limit, never above it"
else
	t_fail "stats: memory peak at the limit, never above it" "peak $peak"
fi
t_eq "no leaf left after the OOM kill" "" "$(leaves)"

out=$("$NOOK" run --memory 256M -- python3 -c 'b = bytearray(b"\x01") * (100 << 20); print(len(b))' 2>&1)
t_eq "an allocation below the limit works" 104857600 "$out"

# --- cpu -------------------------------------------------------------------
out=$("$NOOK" run --cpus 1.5 -- cat /sys/fs/cgroup/cpu.max 2>&1)
t_eq "--cpus 1.5 becomes cpu.max '150000 100000'" "150000 100000" "$out"

# A busy loop for two seconds of wall time under --cpus 0.5, measured from
# the leaf's cpu.stat (inside, before and after) and from the stats file.
cat > "$T/spin.sh" <<'EOF'
u0=$(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat)
t0=$(date +%s%N)
timeout 2 sh -c 'while :; do :; done'
u1=$(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat)
t1=$(date +%s%N)
echo "$(( (u1 - u0) * 1000 / ((t1 - t0) / 1000) ))"
EOF
permille=$("$NOOK" run --cpus 0.5 --stats-json "$T/cpu.json" -v "$T:$T" -- sh "$T/spin.sh" 2>&1)
if [ "$permille" -ge 350 ] 2>/dev/null && [ "$permille" -le 650 ]; then
	t_ok "--cpus 0.5: a busy loop got $permille/1000 of a CPU over 2 s (cpu.stat)"
else
	t_fail "--cpus 0.5: a busy loop gets about half a CPU over 2 s (cpu.stat)" "got: $permille"
fi
cpu_us=$(( $(num "$(jget "$T/cpu.json" cpu_user_us)") + $(num "$(jget "$T/cpu.json" cpu_system_us)") ))
wall_us=$(num "$(jget "$T/cpu.json" wall_time_us)")
if [ "$wall_us" -gt 0 ] && [ $((cpu_us * 1000 / wall_us)) -le 650 ] && [ "$cpu_us" -ge 700000 ]; then
	t_ok "stats: cpu ${cpu_us} us over ${wall_us} us wall, held to half a CPU"
else
	t_fail "stats: cpu about half the wall time" "cpu $cpu_us us, wall $wall_us us"
fi
# Without the limit the same loop takes a whole CPU: the limit is what held it.
permille=$("$NOOK" run --pids 100 -v "$T:$T" -- sh "$T/spin.sh" 2>&1)
if [ "$permille" -ge 750 ] 2>/dev/null; then
	t_ok "without --cpus the loop gets a whole CPU ($permille/1000)"
else
	t_fail "without --cpus the loop gets a whole CPU" "got: $permille"
fi

# --- the other limits --------------------------------------------------------
out=$("$NOOK" run --memory 128M --set resources.memory_swap=16M --set resources.cpu_weight=50 \
	--set resources.io_weight=200 --set resources.cpuset.cpus=0 --set resources.cpuset.mems=0 -- \
	sh -c 'cd /sys/fs/cgroup && cat memory.swap.max cpu.weight io.weight cpuset.cpus cpuset.mems' 2>&1)
t_eq "memory_swap, cpu_weight, io_weight and cpuset reach their files" "16777216
50
default 200
0
0" "$out"
t_eq "no leaf left" "" "$(leaves)"

# --- pids ------------------------------------------------------------------
# A fork bomb: processes that never exit, forked until fork fails.
cat > "$T/bomb.sh" <<'EOF'
i=0
while [ $i -lt 1000 ]; do
	sleep 30 &
	i=$((i + 1))
	echo $i > /tmp/forked
done
EOF
"$NOOK" run --pids 32 --stats-json "$T/pids.json" -v "$T:$T" -- \
	sh -c "sh $T/bomb.sh 2>/dev/null; read n < /tmp/forked; echo forked \$n" > "$T/bomb.out" 2>&1
forked=$(sed -n 's/^forked //p' "$T/bomb.out")
forked=$(num "$forked")
if [ "$forked" -lt 32 ] && [ "$forked" -gt 20 ]; then
	t_ok "--pids 32 caps a fork bomb ($forked forks succeeded)"
else
	t_fail "--pids 32 caps a fork bomb" "$(cat "$T/bomb.out")"
fi
t_eq "stats: pids_peak is the limit" 32 "$(jget "$T/pids.json" pids_peak)"
t_eq "the bomb's processes are all gone" "" "$(pgrep -x sleep)"
t_eq "no leaf left after the fork bomb" "" "$(leaves)"

# --- the stats file ------------------------------------------------------
"$NOOK" run --memory 256M --pids 64 --stats-json "$T/s.json" -- \
	python3 -c 'import sys; b = bytearray(b"\x01") * (64 << 20); sys.exit(3)' > /dev/null 2>&1
t_eq "stats run exits with the payload's status" 3 $?
t_eq "stats: exit_status" 3 "$(jget "$T/s.json" exit_status)"
t_eq "stats: no signal" null "$(jget "$T/s.json" signal)"
t_eq "stats: measured in a cgroup" true "$(jget "$T/s.json" cgroup)"
t_eq "stats: no OOM kill" 0 "$(jget "$T/s.json" oom_kills)"
peak=$(num "$(jget "$T/s.json" memory_peak_bytes)")
if [ "$peak" -ge $((64 << 20)) ] && [ "$peak" -lt $((256 << 20)) ]; then
	t_ok "stats: memory peak $peak covers the 64 MiB the payload touched"
else
	t_fail "stats: memory peak covers the 64 MiB the payload touched" "peak $peak"
fi
pp=$(num "$(jget "$T/s.json" pids_peak)")
if [ "$pp" -ge 2 ] && [ "$pp" -le 5 ]; then t_ok "stats: pids peak $pp"; else t_fail "stats: pids peak" "got $pp"; fi
cu=$(num "$(jget "$T/s.json" cpu_user_us)")
wall=$(num "$(jget "$T/s.json" wall_time_us)")
if [ "$cu" -gt 0 ] && [ "$wall" -gt "$cu" ]; then
	t_ok "stats: cpu user $cu us within wall $wall us"
else
	t_fail "stats: cpu user time within wall time" "user $cu wall $wall"
fi

# --- a SIGKILLed nook's leaf is removed by the next command --------------
"$NOOK" run --memory 64M -- sleep 60 > /dev/null 2>&1 &
nookpid=$!
wait_for have_leaf
stale=$(leaves)
kill -KILL $nookpid
wait $nookpid 2>/dev/null
t_match "the killed nook left its leaf behind" "/nook-$nookpid-" "$stale"
t_eq "the next nook command runs" ok "$("$NOOK" run --memory 64M -- echo ok 2>&1)"
if [ -d "$stale" ]; then t_fail "the stale leaf was removed" "$stale is still there"; else t_ok "the stale leaf was removed"; fi
t_eq "the killed nook's payload is gone" "" "$(pgrep -x sleep)"
t_eq "no leaf left at all" "" "$(leaves)"

# --- a controller that is not delegated -----------------------------------
# Our own corner of the delegated tree where only memory is passed down:
# asking for --cpus there must fail with 125, name the controller and say
# how to delegate it; nothing may be left behind.
lim=$NOOK_VM_DELEGATED/nook-test-memonly.slice
mkdir -p "$lim/job.scope"
echo +memory > "$lim/cgroup.subtree_control"
sh -c "echo \$\$ > $lim/job.scope/cgroup.procs && exec \"\$NOOK\" run --cpus 0.5 -- true" > "$T/nocpu.out" 2>&1
st=$?
t_eq "--cpus without a delegated cpu controller: exit 125" 125 "$st"
t_match "the message names the controller and the file" \
	"the cpu controller is not delegated.*$lim/cgroup.subtree_control" "$(cat "$T/nocpu.out")"
t_match "the message says how to delegate" "Delegate=yes.*delegate.conf" "$(cat "$T/nocpu.out")"
t_eq "no leaf left after the refusal" "" "$(ls -d "$lim"/job.scope/nook-[0-9]* 2>/dev/null)"
sh -c "echo \$\$ > $lim/job.scope/cgroup.procs && exec \"\$NOOK\" run --set resources.required=false --cpus 0.5 -- echo ran" > "$T/nocpu2.out" 2>&1
t_eq "required: false runs without the limit" 0 $?
t_match "required: false warns" "^nook: warning: .*cpu controller is not delegated.*running without resource limits" \
	"$(cat "$T/nocpu2.out")"
t_eq "the memory-only corner still works for --memory" ok \
	"$(sh -c "echo \$\$ > $lim/job.scope/cgroup.procs && exec \"\$NOOK\" run --memory 32M -- echo ok" 2>&1)"

# --- the init's fds with limits (issue 11) --------------------------------
# With limits the monitor holds the leaf's fds when it clones the init: the
# init closes them and is not dumpable before the payload exists. A payload
# racing to open /proc/1/fd/N as a directory (tests/probe init_fds) never
# wins; before the fix it won about 3 starts in 5 with --cap-add ALL.
"$NOOK" run --memory 64M --name vm-fds -- sleep 1000.5 > /dev/null 2>&1 < /dev/null &
nookpid=$!
wait_for sh -c 'pgrep -x -f "sleep 1000.5" > /dev/null'
pl=$(pgrep -x -f "sleep 1000.5" | head -n 1)
init=$(awk '$1 == "PPid:" { print $2 }' "/proc/$pl/status" 2>/dev/null)
if [ -n "$init" ] && [ "$(stat -c %u "/proc/$init/fd")" = 0 ] && ! ls "/proc/$init/fd" > /dev/null 2>&1; then
	t_ok "with limits: the init is not dumpable (its fds are out of reach)"
else
	t_fail "with limits: the init is not dumpable (its fds are out of reach)" "$(ls -l "/proc/$init/fd" 2>&1)"
fi
t_eq "with limits: the payload holds only stdio" "0 1 2" "$(ls "/proc/$pl/fd" 2>&1 | sort -n | tr '\n' ' ' | sed 's/ $//')"
kill "$nookpid"
wait "$nookpid" 2>/dev/null
cp "$NOOK_BUILDDIR/tests/probe" "$T/probe" && chmod 755 "$T/probe"
ran=0 wins=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	a=
	[ $((i % 2)) = 0 ] && a="--name vm-race-$i"
	# shellcheck disable=SC2086
	o=$("$NOOK" run --memory 64M --pids 100 --cap-add ALL $a -v "$T/probe:/tmp/nook-probe:ro" -- /tmp/nook-probe init_fds < /dev/null 2>&1)
	case $o in *"init_fds: "*) ran=$((ran + 1)) ;; esac
	case $o in *ESCAPED*) wins=$((wins + 1)); echo "# $o" ;; esac
done
t_eq "with limits: the prober ran in all 20 containers" 20 "$ran"
t_eq "with limits: no start reached the host through the init's fds" 0 "$wins"
t_eq "with limits: no leaf left" "" "$(leaves)"

t_clean "cgroup tests"
t_done
