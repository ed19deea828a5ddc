#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# cgroup.sh - resource limits on this host, as an unprivileged user.
#
# The development hosts are cgroup v1/v2 hybrids (memory, cpu and pids on
# v1), where nook cannot enforce limits: asking for one must fail with 125
# and a message that names the controller and the way out, and leave
# nothing behind; resources.required: false must warn and run. On a
# cgroup v2 host without delegation the "not delegated" message is
# checked instead; on a delegated v2 host, a limit is simply applied.
# The limits themselves are proved in a cgroup-v2 VM (tests/vm/).
. "${NOOK_SRCDIR:-$(dirname "$0")/../..}/tests/integration/lib.sh"

# Other test scripts (and a podman pause process, say) may have processes
# in other user namespaces at the same time: of those whose environment we
# can read, t_clean counts only the ones that carry this script's tag (nook
# passes the caller's environment on); the others (nook's reaper is not
# dumpable) count when they were not there before this script started.
NOOK_TEST_TAG=cgroup.$$.$(date +%s)
export NOOK_TEST_TAG
t_own_container_procs() {
	t_container_procs | while read -r _pid _rest; do
		if _env=$(tr '\0' '\n' 2>/dev/null < "/proc/$_pid/environ"); then
			printf '%s\n' "$_env" | grep -qx "NOOK_TEST_TAG=$NOOK_TEST_TAG" || continue
		else
			printf '%s\n' "$_t_baseline" | grep -qx "$_pid" && continue
		fi
		[ -e "/proc/$_pid" ] && echo "$_pid $_rest"
	done
	return 0
}

own=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then
	mnt=/sys/fs/cgroup
elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	mnt=/sys/fs/cgroup/unified
else
	mnt=
fi
dir=$mnt$own
ctl=$(cat "$mnt/cgroup.controllers" 2>/dev/null)
mode=delegated
case " $ctl " in
*" memory "*) [ -O "$dir" ] && [ -w "$dir/cgroup.procs" ] || mode=undelegated ;;
*) mode=hybrid ;;
esac
[ -z "$mnt" ] && mode=v1
echo "# cgroup2 at '${mnt:-none}', controllers '$ctl', caller in $own: $mode"
snapshot() { find "$mnt" -maxdepth 8 -type d -name 'nook-*' 2>/dev/null | sort; }
before=$(snapshot)

# --- limits that cannot be enforced ----------------------------------------
"$NOOK" run --memory 256M -- echo payload-ran > "$T/mem.out" 2> "$T/mem.err"
st=$?
case $mode in
hybrid|v1|undelegated)
	t_eq "--memory without a usable memory controller: exit 125" 125 "$st"
	t_nomatch "the payload did not run" payload-ran "$(cat "$T/mem.out")"
	t_eq "one line on stderr" 1 "$(wc -l < "$T/mem.err")"
	t_match "the message names the setting and the controller" \
		'^nook: cannot enforce resources\.memory: .*the memory controller' "$(cat "$T/mem.err")"
	case $mode in
	hybrid)
		t_match "the message explains the hybrid host" \
			"bound to cgroup v1.*$mnt.*systemd\.unified_cgroup_hierarchy=1" "$(cat "$T/mem.err")" ;;
	v1)
		t_match "the message explains cgroup v1" "no cgroup v2 hierarchy" "$(cat "$T/mem.err")" ;;
	undelegated)
		t_match "the message says the cgroup is not delegated" "not delegated" "$(cat "$T/mem.err")" ;;
	esac
	t_match "the message says how to delegate" "delegate" "$(cat "$T/mem.err")"
	t_match "the message offers resources.required: false" \
		"set resources\.required: false to run without limits" "$(cat "$T/mem.err")"

	out=$("$NOOK" run --cpus 0.5 -- true 2>&1)
	t_eq "--cpus 0.5: exit 125" 125 $?
	t_match "--cpus names resources.cpus and the cpu controller" \
		"cannot enforce resources\.cpus: .*the cpu controller" "$out"
	out=$("$NOOK" run --pids 20 -- true 2>&1)
	t_eq "--pids 20: exit 125" 125 $?
	t_match "--pids names resources.pids and the pids controller" \
		"cannot enforce resources\.pids: .*the pids controller" "$out"

	# resources.required: false -> a warning, and the payload runs unlimited
	"$NOOK" run --set resources.required=false --memory 256M --pids 20 -- echo payload-ran \
		> "$T/opt.out" 2> "$T/opt.err"
	t_eq "required: false: the payload's status" 0 $?
	t_eq "required: false: the payload ran" payload-ran "$(cat "$T/opt.out")"
	t_match "required: false: one warning naming every limit not enforced" \
		'^nook: warning: cannot enforce resources\.memory and resources\.pids: .*memory and pids controllers.*; running without resource limits because resources\.required is false$' \
		"$(cat "$T/opt.err")"
	t_eq "required: false: just that one line" 1 "$(wc -l < "$T/opt.err")"
	"$NOOK" run --set resources.required=false --memory 256M -- sh -c 'exit 7' 2>/dev/null
	t_eq "required: false: the payload's own exit status comes through" 7 $?
	;;
delegated)
	t_eq "--memory on a delegated cgroup v2 host runs" 0 "$st"
	out=$("$NOOK" run --memory 256M -- cat /sys/fs/cgroup/memory.max 2>&1)
	t_eq "the limit is in the container's cgroup" 268435456 "$out"
	;;
esac

# --- the stats file without limits ------------------------------------------
"$NOOK" run --stats-json "$T/stats.json" -- sh -c 'exit 3' 2>/dev/null
t_eq "--stats-json: the payload's status" 3 $?
if [ -s "$T/stats.json" ] && python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
assert s["exit_status"] == 3, s
assert s["signal"] is None, s
assert s["timed_out"] is False, s
assert isinstance(s["wall_time_us"], int) and s["wall_time_us"] > 0, s
for k in ("cpu_user_us", "cpu_system_us", "memory_peak_bytes", "oom_kills", "pids_peak"):
    assert k in s, k
    assert (s[k] is None) == (not s["cgroup"]), (k, s)
' "$T/stats.json" 2> "$T/stats.err"; then
	t_ok "--stats-json: a valid JSON object with the exit status and wall time"
else
	t_fail "--stats-json: a valid JSON object with the exit status and wall time" \
		"$(cat "$T/stats.json" "$T/stats.err" 2>&1)"
fi
ls "$T" | grep -q '\.tmp\.' && t_fail "--stats-json: no temporary file left" "$(ls "$T")" \
	|| t_ok "--stats-json: no temporary file left"
"$NOOK" run --stats-json "$T/no/such/dir/stats.json" -- true > /dev/null 2> "$T/bad.err"
t_match "--stats-json into a missing directory names the path" "$T/no/such/dir/stats.json" "$(cat "$T/bad.err")"

t_eq "no nook cgroup is left anywhere" "$before" "$(snapshot)"
t_clean "cgroup"
t_done
