#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# soak.sh - 1000 sequential runs of `nook run --userns self --rootfs ROOTFS
# -- true` (the full default envelope, start-latency.sh's (5)): does the
# time per run grow, and does anything leak (processes, fds, mounts,
# cgroups, state files)? SOAK_USERNS=auto soaks (5a) instead, with the
# default map (a subordinate range: through nook's user namespace holder,
# started by the first run outside the harness, or newuidmap/newgidmap).
#
#   NOOK=/path/to/nook sh tests/bench/soak.sh
#
# The runs are timed by benchrun.c as a child subreaper, so any process
# that outlives its nook (a helper, a payload, a stuck init) is re-parented
# to the harness and counted. A control (bubblewrap with the same rootfs,
# or the kernel floor `unshare ... true` without bwrap) runs interleaved
# with nook, so a change in the machine's load (other jobs) is not mistaken
# for growth: the verdict uses nook's growth divided by the control's.
# Reported, never enforced: exits 0 unless the soak itself cannot run.
#
# Environment: NOOK, ROOTFS, BENCH_USER (default nooktest, when started as
# root), BENCH_DIR, CC as in start-latency.sh; SOAK_RUNS (default 1000);
# GROWTH_LIMIT (default 1.10: nook's median of the last 100 runs may be at
# most this many times its median of the first 100, relative to the
# control's).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}

if [ "$(id -u)" = 0 ]; then
	nook=${NOOK:-$(command -v nook || true)}
	exec runuser -u "$BENCH_USER" -- env NOOK="$nook" ROOTFS="${ROOTFS:-}" BENCH_DIR="${BENCH_DIR:-}" \
		SOAK_RUNS="${SOAK_RUNS:-}" SOAK_USERNS="${SOAK_USERNS:-}" GROWTH_LIMIT="${GROWTH_LIMIT:-}" CC="${CC:-}" NOOK_PROFILE_PATH="${NOOK_PROFILE_PATH:-}" PATH="$PATH" \
		sh "$here/soak.sh" "$@"
fi

NOOK=${NOOK:-$(command -v nook || true)}
SOAK_RUNS=${SOAK_RUNS:-1000}
SOAK_USERNS=${SOAK_USERNS:-self}
GROWTH_LIMIT=${GROWTH_LIMIT:-1.10}
CC=${CC:-cc}
if [ "$SOAK_RUNS" -lt 200 ]; then
	echo "soak.sh: SOAK_RUNS must be at least 200 (first and last 100 are compared)" >&2
	exit 2
fi
BENCH_NAME=soak
. "$here/common.sh"

# nook gets a private TMPDIR and XDG_RUNTIME_DIR: whatever state it leaves
# behind shows up there.
mkdir -p "$W/tmp" "$W/xdg"
chmod 0700 "$W/xdg"
TMPDIR=$W/tmp
XDG_RUNTIME_DIR=$W/xdg
export TMPDIR XDG_RUNTIME_DIR

# ------------------------------------------------------------ snapshots
snapshot() { # NAME: what a leak would change, outside the container
	{
		echo "mounts $(wc -l </proc/self/mountinfo)"
		echo "cgroups $(find /sys/fs/cgroup -type d -name '*nook*' 2>/dev/null | wc -l)"
		echo "state $(find "$W/tmp" "$W/xdg" -mindepth 1 2>/dev/null | wc -l)"
		echo "shm $(find /dev/shm -mindepth 1 -user "$(id -u)" 2>/dev/null | wc -l)"
		echo "procs $(ps -u "$(id -u)" -o comm= | grep -c -E '^(nook|newuidmap|newgidmap|slirp4netns|pasta|fuse-overlayfs)$' || true)"
	} >"$W/snap.$1"
	# inside: the payload's fds and the container's mounts
	"$W/vmhwm" "$W/hwm.$1" \
		"$NOOK" run --userns "$SOAK_USERNS" --rootfs "$ROOTFS" -- sh -c 'echo "payload_fds $(ls /proc/self/fd | wc -l)"; echo "container_mounts $(wc -l </proc/self/mountinfo)"' \
		>>"$W/snap.$1" 2>"$W/snap.$1.err" || echo "inside_failed 1" >>"$W/snap.$1"
	echo "nook_fds_at_exit $(awk '{ print $4 }' "$W/hwm.$1" 2>/dev/null | tail -n1)" >>"$W/snap.$1"
	echo "nook_vmhwm_kib $(awk '{ print $3 }' "$W/hwm.$1" 2>/dev/null | tail -n1)" >>"$W/snap.$1"
}
val() { awk -v k="$2" '$1 == k { print $2 }' "$W/snap.$1"; }

if command -v bwrap >/dev/null 2>&1; then
	control="bwrap --unshare-all --die-with-parent --new-session --ro-bind $ROOTFS / --proc /proc --dev /dev true"
	control_name=bwrap
else
	control="unshare --user --map-root-user --pid --fork --mount --net --uts --ipc true"
	control_name="the kernel floor"
fi

# one run first: what nook keeps on purpose between runs (the per-user
# seccomp program cache under $XDG_RUNTIME_DIR/nook) is then in both
# snapshots, and only growth counts
"$NOOK" run --userns "$SOAK_USERNS" --rootfs "$ROOTFS" -- true >/dev/null 2>&1 || true
hpid_first=$("$NOOK" ps --all 2>/dev/null | awk '$1 == "-userns-holder-" { print $2 }')
snapshot before
# shellcheck disable=SC2086
"$W/benchrun" -R -n "$SOAK_RUNS" -w 0 -r "$W/raw" -e "$W" \
	nook-default "$NOOK" run --userns "$SOAK_USERNS" --rootfs "$ROOTFS" -- true ';' \
	control $control ';' >"$W/results" 2>"$W/orphans"
snapshot after

# ---------------------------------------------------------------- report
result() { awk -v k="$1" '$1 == "RESULT" && $2 == "nook-default" { for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$W/results"; }
median_of() { # NAME FIRST LAST [COLUMN] (1-based run numbers) -> median ms
	awk -v n="$1" -v a="$2" -v b="$3" -v c="${4:-3}" '$2 == n && $1 + 1 >= a && $1 + 1 <= b { print $c }' "$W/raw" | sort -n |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
first=$(median_of nook-default 1 100)
last=$(median_of nook-default $((SOAK_RUNS - 99)) "$SOAK_RUNS")
growth=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.3f\n", b / a }')
cpufirst=$(median_of nook-default 1 100 6)
cpulast=$(median_of nook-default $((SOAK_RUNS - 99)) "$SOAK_RUNS" 6)
ccpufirst=$(median_of control 1 100 6)
ccpulast=$(median_of control $((SOAK_RUNS - 99)) "$SOAK_RUNS" 6)
cfirst=$(median_of control 1 100)
clast=$(median_of control $((SOAK_RUNS - 99)) "$SOAK_RUNS")
cgrowth=$(awk -v a="$cfirst" -v b="$clast" 'BEGIN { printf "%.3f\n", b / a }')
ngrowth=$(awk -v a="$growth" -v b="$cgrowth" 'BEGIN { printf "%.3f\n", a / b }')
# least-squares slope of ms against run number, as ms per 1000 runs
slope=$(awk '$2 == "nook-default" { n++; x = $1 + 1; y = $3; sx += x; sy += y; sxx += x * x; sxy += x * y }
	END { d = n * sxx - sx * sx; printf "%.3f\n", d ? 1000 * (n * sxy - sx * sy) / d : 0 }' "$W/raw")
fails=$(result fails)
# bwrap's sandbox can be re-parented to the harness only after the next
# candidate started: an orphan named after the control is the control's
ctl_comm=${control%% *}
late=$(grep -c " after nook-default .* $ctl_comm [A-Z]\$" "$W/orphans" || true)
orphans=$(( $(result orphans) - late ))

echo "nook soak: $SOAK_RUNS sequential runs of: nook run --userns $SOAK_USERNS --rootfs ROOTFS -- true"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nook: $NOOK; user $(id -un); failures: $fails"
echo "time per run: median of runs 1-100 $first ms, of runs $((SOAK_RUNS - 99))-$SOAK_RUNS $last ms (x$growth); overall median $(result median_ms) ms; trend $slope ms per 1000 runs"
echo "CPU time per run (process tree): median $cpufirst ms in runs 1-100, $cpulast ms in the last 100 (control: $ccpufirst ms, then $ccpulast ms)"
echo "control ($control_name, interleaved): $cfirst ms, then $clast ms (x$cgrowth)"
verdict() { [ "$1" = "$2" ] && echo PASS || echo MISS; }
gv=$(awk -v g="$ngrowth" -v l="$GROWTH_LIMIT" 'BEGIN { print (g <= l) ? "PASS" : "MISS" }')
echo
echo "  $gv no growth in time per run (last 100 / first 100 = $growth, control $cgrowth, nook relative to the control $ngrowth, limit $GROWTH_LIMIT)"
echo "  $(verdict "$orphans" 0) no leaked process: $orphans processes outlived their nook (re-parented to the harness); nook-related processes of the user before/after: $(val before procs)/$(val after procs)"
echo "  $(verdict "$(val before mounts)" "$(val after mounts)") no leaked host mount: $(val before mounts) mounts before, $(val after mounts) after"
echo "  $(verdict "$(val before cgroups)" "$(val after cgroups)") no leaked cgroup: $(val before cgroups) nook cgroups before, $(val after cgroups) after"
echo "  $(verdict "$(val before state)/$(val before shm)" "$(val after state)/$(val after shm)") no leaked state file: TMPDIR+XDG_RUNTIME_DIR entries $(val before state) before, $(val after state) after; /dev/shm $(val before shm)/$(val after shm)"
echo "  $(verdict "$(val before payload_fds)/$(val before nook_fds_at_exit)" "$(val after payload_fds)/$(val after nook_fds_at_exit)") no leaked fd: the payload sees $(val before payload_fds) fds before, $(val after payload_fds) after (ls's own directory fd included); nook opened and still holds $(val before nook_fds_at_exit)/$(val after nook_fds_at_exit) fds at exit"
echo "  $(verdict "$(val before container_mounts)" "$(val after container_mounts)") same container: $(val before container_mounts) mounts inside before, $(val after container_mounts) after; nook VmHWM $(val before nook_vmhwm_kib)/$(val after nook_vmhwm_kib) KiB"
[ "$orphans" = 0 ] || echo "orphans: $(grep ' after nook-default ' "$W/orphans" | grep -v " $ctl_comm [A-Z]\$" | head -n 5)"
[ "$late" = 0 ] || echo "note: $late of the control's ($ctl_comm) processes were re-parented late, during nook's turn; not counted against nook"
# the user namespace holder (auto: a subordinate range) that this soak's
# private XDG_RUNTIME_DIR got: one for all the runs, the same pid at the
# end as after the first run; stopped here, by its pid
hpid_now=$("$NOOK" ps --all 2>/dev/null | awk '$1 == "-userns-holder-" { print $2 }')
if [ -n "$hpid_now" ]; then
	echo "  $(verdict "$hpid_first" "$hpid_now") one user namespace holder served every run: pid $hpid_first after the first run, $hpid_now at the end"
	kill "$hpid_now" 2>/dev/null || true
fi
kept=$(val after nook_fds_at_exit)
[ "${kept:-0}" = 0 ] || echo "note: nook itself leaves $kept fd(s) open at exit (not growing from run to run; see tests/bench/RESULTS.md)"
[ "$fails" = 0 ] || echo "warning: $fails runs failed; last error: $(tail -n 3 "$W/nook-default.err")"
exit 0
