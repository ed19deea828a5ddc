#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# many-options.sh - how nook's option and environment handling scales:
# `nook run` with N -e options (N variables for the payload, `true`) for a
# small and a large N, and bubblewrap with as many --setenv options for the
# small N (bwrap refuses more than 9000 arguments), interleaved by
# benchrun. Linear handling gives a time ratio large/small near N's ratio
# (less: start-up is fixed); quadratic handling gives its square. (The
# payload is `true`: a busybox sh importing 40,000 variables takes seconds
# by itself; tests/integration/reliability.sh checks they all arrive.)
# Moved here from tests/integration/reliability.sh, which now checks only
# that 40,000 options all arrive (a timed check there failed under load).
#
#   NOOK=/path/to/nook sh tests/bench/many-options.sh
#
# Environment: NOOK, RUNS (default 5), SMALL (default 2500), LARGE
# (default 40000), BENCH_USER (when started as root; default nooktest).
# Prints the medians and ratios; fails only when a run itself fails.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}
if [ "$(id -u)" = 0 ]; then
	nook=${NOOK:-$(command -v nook || true)}
	exec runuser -u "$BENCH_USER" -- env NOOK="$nook" RUNS="${RUNS:-}" SMALL="${SMALL:-}" LARGE="${LARGE:-}" \
		NOOK_PROFILE_PATH="${NOOK_PROFILE_PATH:-}" PATH="$PATH" sh "$here/many-options.sh" "$@"
fi
NOOK=${NOOK:-$(command -v nook || true)}
RUNS=${RUNS:-5}
SMALL=${SMALL:-2500}
LARGE=${LARGE:-40000}
BENCH_NAME=many-options
. "$here/common.sh"

# each candidate's whole command line, one word a line (too long for a
# shell word list), run by a wrapper that splits on newlines only
cat > "$W/exec-lines.sh" <<'EOF_SH'
set -f
IFS='
'
# shellcheck disable=SC2046
exec $(cat "$1")
EOF_SH
set --
for n in "$SMALL" "$LARGE"; do
	{ printf '%s\n' "$NOOK" run --userns self --rootfs "$ROOTFS"
	  awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "-e\nV%d=v%d\n", i, i }'
	  printf '%s\n' -- true; } > "$W/nook-$n"
	set -- "$@" "nook-$n" sh "$W/exec-lines.sh" "$W/nook-$n" ';'
done
{ printf '%s\n' bwrap --unshare-all --die-with-parent --ro-bind "$ROOTFS" / --proc /proc --dev /dev
  awk -v n="$SMALL" 'BEGIN { for (i = 0; i < n; i++) printf "--setenv\nV%d\nv%d\n", i, i }'
  printf '%s\n' true; } > "$W/bwrap-$SMALL"
set -- "$@" "bwrap-$SMALL" sh "$W/exec-lines.sh" "$W/bwrap-$SMALL" ';'
mkdir -p "$W/errs"
"$W/benchrun" -n "$RUNS" -w 1 -e "$W/errs" "$@" > "$W/out" 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
cat "$W/out"
field() { awk -v n="$1" -v f="$2" '$2 == n { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$W/out"; }
fails=0
for c in "nook-$SMALL" "nook-$LARGE" "bwrap-$SMALL"; do
	f=$(field "$c" fails)
	[ "${f:-1}" = 0 ] || { echo "many-options: $c failed $f of $RUNS runs (see $W/errs/$c.err)" >&2; fails=1; }
done
ns=$(field "nook-$SMALL" median_ms); nl=$(field "nook-$LARGE" median_ms)
bs=$(field "bwrap-$SMALL" median_ms)
awk -v ns="$ns" -v nl="$nl" -v bs="$bs" -v s="$SMALL" -v l="$LARGE" 'BEGIN {
	printf "nook %d -> %d options: %.1f -> %.1f ms (x%.2f; N grew x%.1f)\n", s, l, ns, nl, nl / ns, l / s
	printf "nook / bwrap at %d options: %.1f / %.1f ms = %.3f\n", s, ns, bs, ns / bs
	printf "%s scaling: nook grew x%.2f for x%.1f options (quadratic would be about x%.0f)\n",
		(nl / ns <= l / s) ? "PASS" : "MISS", nl / ns, l / s, (l / s) * (l / s) }'
exit $fails
