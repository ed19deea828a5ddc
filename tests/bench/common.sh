# SPDX-License-Identifier: GPL-2.0-or-later
# common.sh - set-up shared by the benchmarks (sourced, after the switch to
# the unprivileged user). In: here, NOOK, BENCH_NAME (for messages and the
# work directory). Out: NOOK_PROFILE_PATH exported, W (work directory, removed
# at exit unless BENCH_DIR was given), W/benchrun and W/vmhwm built,
# ROOTFS (a busybox rootfs unless given).

# an uninstalled nook finds its profiles (default.yaml) in the source tree
if [ -z "${NOOK_PROFILE_PATH:-}" ] && [ -d "$here/../../profiles" ]; then
	NOOK_PROFILE_PATH=$(cd "$here/../../profiles" && pwd)
fi
[ -n "${NOOK_PROFILE_PATH:-}" ] && export NOOK_PROFILE_PATH
if [ -z "$NOOK" ] || [ ! -x "$NOOK" ]; then
	echo "$BENCH_NAME.sh: nook not found (set NOOK=/path/to/nook)" >&2
	exit 2
fi

if [ -n "${BENCH_DIR:-}" ]; then
	W=$BENCH_DIR
	mkdir -p "$W"
else
	W=$(mktemp -d "/tmp/nook-$BENCH_NAME.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	trap 'exit 130' INT TERM
fi

"${CC:-cc}" -O2 -o "$W/benchrun" "$here/benchrun.c" -lm
"${CC:-cc}" -O2 -o "$W/vmhwm" "$here/vmhwm.c"
if [ -z "${ROOTFS:-}" ]; then
	ROOTFS=$W/rootfs
	sh "$here/../integration/mkrootfs.sh" "$ROOTFS" >/dev/null
fi
case $ROOTFS in
*[[:space:]]*) echo "$BENCH_NAME.sh: ROOTFS must not contain white space: $ROOTFS" >&2; exit 2 ;;
esac
