#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# start-latency.sh - time `true` under nook and its peers, interleaved.
#
#   NOOK=/path/to/nook sh tests/bench/start-latency.sh
#
# Candidates, run round-robin in a fresh random order each round by
# benchrun.c (compiled here, a child subreaper so that processes a
# candidate leaves behind are reaped and their CPU time counted), as the
# unprivileged user:
#   1 floor          unshare --user --map-root-user --pid --fork --mount --net --uts --ipc true
#   2 bwrap          bwrap --unshare-all --die-with-parent --new-session --ro-bind ROOTFS / --proc /proc --dev /dev true
#   3 nook-self      nook run --userns self --rootfs ROOTFS [envelope off as far as nook accepts] -- true
#   4 nook-subuid    nook run --userns subuid --rootfs ROOTFS [envelope off ...] -- true
#   5 nook-default   nook run --userns self --rootfs ROOTFS -- true
#                    (the full default envelope: seccomp, capabilities, masked
#                    and read-only paths, no_new_privs; a self map, as (3))
#   5a nook-default-auto  nook run --rootfs ROOTFS -- true   (the same with the
#                    default map, auto: a subordinate range when the user has
#                    one, so (5) plus the setuid helpers of (4))
#   6 podman         podman run --rm --rootfs ROOTFS true   (when podman works rootless)
# and, for what users type most (no target, reported):
#   h-bwrap          bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp true
#   h-nook           nook run -- true   (the default profile: the host's / read-only, private
#                    /tmp and home, the full envelope; auto = a self map with the host's /)
# Prints each median, the ratios, nook's peak RSS, and PASS/MISS per
# target. Timing never fails the script: it exits 0 unless the benchmark
# itself cannot run (nook missing, nook cannot start a container).
#
# Environment:
#   NOOK        the nook binary (default: nook in PATH)
#   NOOK_BASELINE  another nook binary (an older build) to time in the same
#               run: adds base-default and h-base (as (5) and h-nook) and
#               the ratios of the two builds, to show a change is not slower;
#               it runs with its own default profile, NOOK_BASELINE_PROFILES
#               (default: the profiles/ folder beside that binary)
#   NOOK_PROFILE_PATH  where nook finds its profiles (default: the source
#               tree's profiles/, for a nook that is not installed)
#   RUNS        timed runs per candidate (default 200); WARMUP (default 10)
#   ROOTFS      a busybox rootfs (default: built with tests/integration/mkrootfs.sh)
#   BENCH_USER  the user to run as when started as root (default nooktest)
#   BENCH_DIR   work directory (default: a fresh mktemp -d, removed at exit)
#   PODMAN      set to "no" to leave podman out
#   SEED        the shuffle seed (default: the time)
#   CC          the C compiler for the harness (default cc)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}

if [ "$(id -u)" = 0 ]; then
	nook=${NOOK:-$(command -v nook || true)}
	exec runuser -u "$BENCH_USER" -- env NOOK="$nook" NOOK_BASELINE="${NOOK_BASELINE:-}" NOOK_BASELINE_PROFILES="${NOOK_BASELINE_PROFILES:-}" RUNS="${RUNS:-}" WARMUP="${WARMUP:-}" \
		ROOTFS="${ROOTFS:-}" BENCH_DIR="${BENCH_DIR:-}" PODMAN="${PODMAN:-}" SEED="${SEED:-}" \
		CC="${CC:-}" NOOK_PROFILE_PATH="${NOOK_PROFILE_PATH:-}" PATH="$PATH" sh "$here/start-latency.sh" "$@"
fi

NOOK=${NOOK:-$(command -v nook || true)}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-10}
SEED=${SEED:-$(date +%s)}
CC=${CC:-cc}
BENCH_NAME=bench
. "$here/common.sh"

# ------------------------------------------------------------ candidates
# The envelope turned off, as a profile: no seccomp filter, no_new_privs
# off, every capability, and no masked or read-only paths (`!reset []`
# drops the built-in lists too).
cat > "$W/envelope-off.yaml" <<'EOF_PROFILE'
extends: default
security:
  seccomp: unconfined
  no_new_privileges: false
  masked_paths: !reset []
  readonly_paths: !reset []
  capabilities: {add: [ALL]}
EOF_PROFILE
chmod 0644 "$W/envelope-off.yaml"
off_flags="$W/envelope-off.yaml"
if ! "$NOOK" run --userns self --rootfs "$ROOTFS" $off_flags -- true >/dev/null 2>"$W/probe.err"; then
	echo "start-latency.sh: the envelope-off profile is refused: $(head -n1 "$W/probe.err")" >&2
	exit 1
fi

# (with a subordinate range this also starts nook's user namespace holder,
# here, outside the harness: benchrun would count it as an orphan)
if ! "$NOOK" run --verbose --rootfs "$ROOTFS" -- true 2>"$W/nook.err"; then
	echo "start-latency.sh: nook cannot run a container: $(cat "$W/nook.err")" >&2
	exit 1
fi
auto_map=$(grep -E '^nook: user namespace( holder not used)?:' "$W/nook.err" | sed 's/^nook: //' | tr '\n' ' ')

# rootless podman: a runtime dir of our own (the same one every time:
# podman remembers it in its database); runc when crun refuses this host.
podman_args=""
podman_why=""
if [ "${PODMAN:-}" = no ]; then
	podman_why="left out (PODMAN=no)"
elif ! command -v podman >/dev/null 2>&1; then
	podman_why="podman is not installed"
else
	if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR:-/nonexistent}" ]; then
		XDG_RUNTIME_DIR=/tmp/nook-bench-run-$(id -u)
		mkdir -p "$XDG_RUNTIME_DIR"
		chmod 0700 "$XDG_RUNTIME_DIR"
		export XDG_RUNTIME_DIR
	fi
	# podman's rootless pause process: the ones alive now are not ours
	pause_before=" $(pgrep -u "$(id -u)" -x catatonit | tr '\n' ' ')"
	if podman run --rm --rootfs "$ROOTFS" true >/dev/null 2>"$W/podman.err"; then
		podman_args="run --rm --rootfs $ROOTFS true"
	elif command -v runc >/dev/null 2>&1 &&
	     podman run --runtime runc --rm --rootfs "$ROOTFS" true >/dev/null 2>"$W/podman-runc.err"; then
		podman_args="run --runtime runc --rm --rootfs $ROOTFS true"
		podman_why="crun refused: $(grep -v '^time=' "$W/podman.err" | head -n1); using runc"
	else
		podman_why="podman failed: $(grep -v '^time=' "$W/podman.err" | head -n1)"
		command -v runc >/dev/null 2>&1 || podman_why="$podman_why (and runc, which would work with hybrid cgroups, is not installed: apt-get install runc)"
	fi
fi

# --------------------------------------------------------------- the run
floor="unshare --user --map-root-user --pid --fork --mount --net --uts --ipc true"
bwrap_cmd="bwrap --unshare-all --die-with-parent --new-session --ro-bind $ROOTFS / --proc /proc --dev /dev true"
# (the command strings are split on purpose; ROOTFS has no white space)
# shellcheck disable=SC2086
set -- floor $floor ';'
# shellcheck disable=SC2086
command -v bwrap >/dev/null 2>&1 && set -- "$@" bwrap $bwrap_cmd ';'
# shellcheck disable=SC2086
set -- "$@" nook-self "$NOOK" run --userns self --rootfs "$ROOTFS" $off_flags -- true ';'
# shellcheck disable=SC2086
set -- "$@" nook-subuid "$NOOK" run --userns subuid --rootfs "$ROOTFS" $off_flags -- true ';'
set -- "$@" nook-default "$NOOK" run --userns self --rootfs "$ROOTFS" -- true ';'
set -- "$@" nook-default-auto "$NOOK" run --rootfs "$ROOTFS" -- true ';'
# shellcheck disable=SC2086
[ -n "$podman_args" ] && set -- "$@" podman podman $podman_args ';'
command -v bwrap >/dev/null 2>&1 &&
	set -- "$@" h-bwrap bwrap --unshare-all --die-with-parent --new-session --ro-bind / / --proc /proc --dev /dev --tmpfs /tmp true ';'
set -- "$@" h-nook "$NOOK" run -- true ';'
if [ -n "${NOOK_BASELINE:-}" ]; then
	# the baseline's own default profile (a newer one may use keys it lacks)
	base_default=${NOOK_BASELINE_PROFILES:-$(dirname "$NOOK_BASELINE")/profiles}/default.yaml
	[ -f "$base_default" ] || base_default=default
	set -- "$@" base-default "$NOOK_BASELINE" run --userns self --rootfs "$ROOTFS" "$base_default" -- true ';'
	set -- "$@" h-base "$NOOK_BASELINE" run "$base_default" -- true ';'
	# this build with the baseline's profile: the code's share of a change
	set -- "$@" h-cross "$NOOK" run "$base_default" -- true ';'
	# the default map (5a) with the baseline: what a subordinate-range
	# start cost before this build
	set -- "$@" base-auto "$NOOK_BASELINE" run --rootfs "$ROOTFS" "$base_default" -- true ';'
fi

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$W/benchrun" -R -n "$RUNS" -w "$WARMUP" -s "$SEED" -e "$W" "$@" >"$W/results" 2>"$W/orphans"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# nook's own peak RSS and the fds it opened and left open at exit (vmhwm.c
# stops nook as it exits and reads them; its children are not counted), 20
# runs of each mode
: >"$W/hwm"
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	for mode in self subuid default auto; do
		case $mode in
		default) set -- --userns self --rootfs "$ROOTFS" ;;
		auto) set -- --rootfs "$ROOTFS" ;;
		*) # shellcheck disable=SC2086
		   set -- --userns "$mode" --rootfs "$ROOTFS" $off_flags ;;
		esac
		"$W/vmhwm" "$W/hwm.$mode" "$NOOK" run "$@" -- true >/dev/null 2>&1 || true
	done
done

# ---------------------------------------------------------------- report
field() { # NAME KEY -> value from the RESULT line
	awk -v n="$1" -v k="$2" '$1 == "RESULT" && $2 == n {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$W/results"
}
hwm_max() { [ -s "$W/hwm.$1" ] && awk '$3 > m { m = $3 } END { print m + 0 }' "$W/hwm.$1" || echo "?"; }
fds_max() { [ -s "$W/hwm.$1" ] && awk '$4 > m { m = $4 } END { print m + 0 }' "$W/hwm.$1" || echo "?"; }
ratio() { # A B -> A/B with 3 decimals, or "n/a"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.3f\n", a / b }'
}
check() { # VALUE LIMIT -> PASS/MISS/n/a
	awk -v v="$1" -v l="$2" 'BEGIN { if (v == "n/a" || v == "" || v == "?") print "n/a"; else if (v + 0 <= l + 0) print "PASS"; else print "MISS" }'
}

echo "nook start latency: $RUNS timed runs per candidate after $WARMUP warm-up rounds, interleaved in random order (seed $SEED)"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), kernel $(uname -r); load average before $load_before, after $load_after"
echo "nook: $NOOK ($("$NOOK" --version 2>/dev/null || echo '?')); rootfs $ROOTFS; user $(id -un)"
echo "envelope-off flags accepted for (3)/(4): ${off_flags:-none}"
echo "the default map of (5a): $auto_map"
[ -n "$podman_why" ] && echo "podman: $podman_why"
echo
printf '%-16s %10s %10s %10s %10s %6s %12s\n' candidate median_ms p10_ms p90_ms cpu_ms fails maxrss_KiB
for n in floor bwrap nook-self nook-subuid nook-default nook-default-auto podman h-bwrap h-nook base-default h-base h-cross base-auto; do
	m=$(field "$n" median_ms)
	[ -n "$m" ] || continue
	printf '%-16s %10s %10s %10s %10s %6s %12s\n' "$n" "$m" "$(field "$n" p10_ms)" "$(field "$n" p90_ms)" \
		"$(field "$n" cpu_med_ms)" "$(field "$n" fails)" "$(field "$n" maxrss_kib)"
done
echo "(cpu_ms: median user+system CPU time of the whole process tree; maxrss_KiB: wait4's ru_maxrss,"
echo " the largest process of the tree, GNU time's %M, which includes the harness's own ~1.7 MiB for short commands)"
echo

f1=$(field floor median_ms); f2=$(field bwrap median_ms); f3=$(field nook-self median_ms)
f4=$(field nook-subuid median_ms); f5=$(field nook-default median_ms); f6=$(field podman median_ms)
r32=$(ratio "$f3" "$f2"); r42=$(ratio "$f4" "$f2"); r52=$(ratio "$f5" "$f2")
r31=$(ratio "$f3" "$f1"); r51=$(ratio "$f5" "$f1"); r56=$(ratio "$f5" "$f6")
f5a=$(field nook-default-auto median_ms); r5a2=$(ratio "$f5a" "$f2"); r5a6=$(ratio "$f5a" "$f6")
rss=$(hwm_max auto)
[ "$(hwm_max default)" != "?" ] && [ "$rss" != "?" ] && [ "$(hwm_max default)" -gt "$rss" ] && rss=$(hwm_max default)
echo "ratios of medians:"
echo "  nook-self/bwrap    (3)/(2) = $r32"
echo "  nook-subuid/bwrap  (4)/(2) = $r42"
echo "  nook-default/bwrap (5)/(2) = $r52"
echo "  nook-default-auto/bwrap (5a)/(2) = $r5a2   (the default map: a subordinate range, so newuidmap and newgidmap run)"
echo "  nook-self/floor    (3)/(1) = $r31"
echo "  nook-default/floor (5)/(1) = $r51"
echo "  nook-default/podman (5)/(6) = $r56"
echo "  nook-default-auto/podman (5a)/(6) = $r5a6   (both map a subordinate range)"
echo "  h-nook/h-bwrap = $(ratio "$(field h-nook median_ms)" "$(field h-bwrap median_ms)")   (nook run -- true, the default profile, against bwrap with the host's / read-only)"
echo "  until every process of the run is gone (bwrap returns while its pid 1 still tears the namespaces down;"
echo "  nook and unshare return after): bwrap $(field bwrap gone_med_ms) ms against its median $f2 ms;"
echo "  (5)/(2) $(ratio "$(field nook-default gone_med_ms)" "$(field bwrap gone_med_ms)"), (3)/(2) $(ratio "$(field nook-self gone_med_ms)" "$(field bwrap gone_med_ms)"), (5a)/(2) $(ratio "$(field nook-default-auto gone_med_ms)" "$(field bwrap gone_med_ms)")"
if [ -n "${NOOK_BASELINE:-}" ]; then
	echo "  nook-default/base-default = $(ratio "$f5" "$(field base-default median_ms)")   (this build against NOOK_BASELINE=$NOOK_BASELINE, same flags)"
	echo "  h-nook/h-base = $(ratio "$(field h-nook median_ms)" "$(field h-base median_ms)")   (nook run -- true, this build against the baseline)"
	echo "  h-cross/h-base = $(ratio "$(field h-cross median_ms)" "$(field h-base median_ms)")   (both builds with the baseline's default profile: the code alone)"
	echo "  nook-default-auto/base-auto = $(ratio "$f5a" "$(field base-auto median_ms)")   (the default map for a directory root, this build against the baseline)"
	echo "  base-auto/bwrap = $(ratio "$(field base-auto median_ms)" "$f2")   ((5a)/(2) of the baseline)"
fi
echo "nook's own peak RSS (VmHWM at exit, max of 20 runs): self $(hwm_max self) KiB, subuid $(hwm_max subuid) KiB, default $(hwm_max default) KiB, default-auto $(hwm_max auto) KiB"
echo "fds nook opened and still holds at exit (0 expected): self $(fds_max self), subuid $(fds_max subuid), default $(fds_max default), default-auto $(fds_max auto)"
echo
echo "targets:"
echo "  $(check "$r32" 0.8) (3)/(2) <= 0.8   ($r32)"
echo "  $(check "$r52" 0.8) (5)/(2) <= 0.8   ($r52)"
echo "  $(check "$r5a2" 1.0) (5a)/(2) <= 1.0   ($r5a2)"
echo "  $(check "$r31" 1.15) (3)/(1) <= 1.15   ($r31)"
echo "  $(check "$r56" 0.05) (5)/(6) <= 0.05  ($r56)"
echo "  $(check "$r5a6" 0.05) (5a)/(6) <= 0.05  ($r5a6)"
echo "  $(check "$rss" 4096) nook peak RSS <= 4096 KiB  ($rss KiB)"
for n in nook-self nook-subuid nook-default nook-default-auto; do
	o=$(field "$n" orphans)
	if [ -n "$o" ] && [ "$o" != 0 ]; then
		echo "warning: $o processes outlived $n (bwrap's sandbox outlives bwrap by design; nook's must not): $(grep " after $n " "$W/orphans" | head -n 3)"
	fi
done
for n in floor bwrap nook-self nook-subuid nook-default podman; do
	fl=$(field "$n" fails)
	if [ -n "$fl" ] && [ "$fl" != 0 ]; then
		echo "warning: $n failed $fl times; its last error: $(tail -n 3 "$W/$n.err" 2>/dev/null)"
	fi
done
# podman's rootless pause process (catatonit, it keeps podman's user
# namespace; its pid file lives in whatever runtime directory podman's
# database remembers): stop the ones this benchmark started, by pid.
if [ -n "$podman_args" ]; then
	for pid in $(pgrep -u "$(id -u)" -x catatonit); do
		case $pause_before in
		*" $pid "*) ;;
		*) kill "$pid" 2>/dev/null || true ;;
		esac
	done
fi
exit 0
