#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# phases.sh - where the time of one `nook run` goes, from kernel trace
# points (perf record of sched and raw_syscalls events: no ptrace, so the
# figures are close to an untraced run): the phases of a start and, per
# process (monitor, container init, network helper, payload), the system
# calls that took longest. Diagnosis, not a target: compare two builds or
# two profiles with it. Needs root (perf) and linux-perf; the runs are made
# as the test user.
#
#   NOOK=/path/to/nook sh tests/bench/phases.sh [nook run arguments...]
#
# Default arguments: --userns self --rootfs ROOTFS -- true (case (5) of
# start-latency.sh). Environment: NOOK, RUNS (default 40), BENCH_USER
# (default nooktest), ROOTFS, NOOK_PROFILE_PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}
RUNS=${RUNS:-40}
NOOK=${NOOK:-$(command -v nook || true)}
if [ "$(id -u)" != 0 ]; then
	echo "phases.sh: run as root (perf records kernel trace points); the runs are made as $BENCH_USER" >&2
	exit 2
fi
command -v perf >/dev/null || { echo "phases.sh: perf not found (apt-get install linux-perf)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "phases.sh: python3 not found" >&2; exit 2; }
[ -x "$NOOK" ] || { echo "phases.sh: nook not found (set NOOK=/path/to/nook)" >&2; exit 2; }
W=$(mktemp -d /tmp/nook-phases.XXXXXX)
trap 'rm -rf "$W"' EXIT
chown "$BENCH_USER" "$W"
if [ -z "${ROOTFS:-}" ]; then
	ROOTFS=$W/rootfs
	runuser -u "$BENCH_USER" -- sh "$here/../integration/mkrootfs.sh" "$ROOTFS" >/dev/null
fi
[ $# -gt 0 ] || set -- --userns self --rootfs "$ROOTFS" -- true
payload=true
for a in "$@"; do payload=$a; done
profiles=${NOOK_PROFILE_PATH:-$(cd "$here/../../profiles" && pwd)}
cat > "$W/loop.sh" <<'EOF_SH'
n=$1; shift
i=0
while [ "$i" -lt "$n" ]; do "$@" >/dev/null 2>&1 || exit 1; i=$((i + 1)); done
EOF_SH
chmod 0644 "$W/loop.sh"
perf record -q -o "$W/perf.data" \
	-e raw_syscalls:sys_enter,raw_syscalls:sys_exit,sched:sched_process_exec,sched:sched_process_fork,sched:sched_process_exit \
	-- runuser -u "$BENCH_USER" -- env -i HOME="$(getent passwd "$BENCH_USER" | cut -d: -f6)" \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin NOOK_PROFILE_PATH="$profiles" sh "$W/loop.sh" "$RUNS" "$NOOK" run "$@" ||
	{ echo "phases.sh: a run failed: $NOOK run $*" >&2; exit 1; }
perf script -i "$W/perf.data" -F comm,pid,time,event,trace 2>/dev/null > "$W/trace.txt"
python3 "$here/phases.py" "$W/trace.txt" "$NOOK" "$(basename "$payload")"
