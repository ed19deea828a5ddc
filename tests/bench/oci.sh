#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# oci.sh - nook as an OCI runtime against runc and crun, interleaved.
#
#   NOOK=/path/to/nook sh tests/bench/oci.sh
#
# Candidates (benchrun.c, round-robin in a fresh random order each round,
# as the unprivileged user), each one life of a container on the same
# bundle (a busybox rootfs, `true`, the rootless config of `nook-oci spec`):
#   nook-oci   nook-oci create ID; nook-oci start ID; nook-oci delete --force ID
#   runc       the same commands with runc (when it runs rootless here)
#   crun       the same commands with crun (when it runs rootless here)
# and, when rootless podman works and PODMAN is not "no", issue 16's
# measure (the same busybox rootfs given with --rootfs):
#   podman-nook   podman --runtime NOOK_OCI run --rm --rootfs ROOTFS true
#   podman-runc   podman --runtime runc run --rm --rootfs ROOTFS true
# (PODMAN=image: an image made offline with `podman import` of that rootfs
# instead, so podman's storage copies it for each container, as the
# figures before 2026-12 were taken)
# Prints the medians and the ratios against the goals of issue 16:
# nook-oci/runc <= 0.5, podman-nook/podman-runc <= 0.9. Timing never fails
# the script; it exits 0 unless nook-oci cannot run the bundle at all.
#
# Environment: NOOK (the nook binary; nook-oci is the symlink beside it, or
# made in the work directory), RUNS (default 100), WARMUP (default 5),
# PODMAN (no: leave podman out; image: run an imported image), ROOTFS, BENCH_DIR, BENCH_USER (when
# started as root; default nooktest), SEED, CC.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}
if [ "$(id -u)" = 0 ]; then
	nook=${NOOK:-$(command -v nook || true)}
	exec runuser -u "$BENCH_USER" -- env NOOK="$nook" RUNS="${RUNS:-}" WARMUP="${WARMUP:-}" ROOTFS="${ROOTFS:-}" \
		BENCH_DIR="${BENCH_DIR:-}" PODMAN="${PODMAN:-}" SEED="${SEED:-}" CC="${CC:-}" PATH="$PATH" \
		HOME="$(getent passwd "$BENCH_USER" | cut -d: -f6)" sh "$here/oci.sh" "$@"
fi

NOOK=${NOOK:-$(command -v nook || true)}
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
SEED=${SEED:-$(date +%s)}
BENCH_NAME=oci
. "$here/common.sh"

OCI=$(dirname "$NOOK")/nook-oci
if [ ! -x "$OCI" ]; then
	ln -s "$NOOK" "$W/nook-oci"
	OCI=$W/nook-oci
fi
# podman's state, all under $W (tests/integration/podman-state.sh), and
# gone at the end with podman's pause process
. "$here/../integration/podman-state.sh"
podman_state_init "$W" vfs
end_podman() {
	command -v podman >/dev/null && podman_state_end "$W"
	[ -z "${BENCH_DIR:-}" ] && rm -rf "$W"
	return 0
}
trap end_podman EXIT
mkdir -p -m 700 "$XDG_RUNTIME_DIR"

B=$W/bundle
mkdir -p "$B"
"$OCI" spec --bundle "$B"
# runc wants a root path without symlinks; crun 1.8 knows specs up to 1.0.x
python3 - "$B/config.json" "$(cd "$ROOTFS" && pwd -P)" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c['ociVersion'] = '1.0.2'
c['root']['path'] = sys.argv[2]
c['process']['terminal'] = False
c['process']['args'] = ['true']
json.dump(c, open(sys.argv[1], 'w'))
EOF

# one life of a container: create, start, delete (the payload is `true`)
cat > "$W/cycle.sh" <<'EOF'
rt=$1 root=$2 b=$3
id=c$$
"$rt" --root "$root" create --bundle "$b" "$id" </dev/null >/dev/null || exit 1
"$rt" --root "$root" start "$id" || { "$rt" --root "$root" delete --force "$id"; exit 1; }
exec "$rt" --root "$root" delete --force "$id"
EOF

set --
works() { sh "$W/cycle.sh" "$1" "$W/root-$2" "$B" >"$W/$2.try" 2>&1; }
if ! works "$OCI" nook; then
	echo "oci.sh: nook-oci cannot run the bundle:" >&2
	cat "$W/nook.try" >&2
	exit 1
fi
set -- nook-oci sh "$W/cycle.sh" "$OCI" "$W/root-nook" "$B" ';'
for rt in runc crun; do
	if command -v $rt >/dev/null && works "$(command -v $rt)" $rt; then
		set -- "$@" $rt sh "$W/cycle.sh" "$(command -v $rt)" "$W/root-$rt" "$B" ';'
	else
		echo "# $rt left out: $(tail -n 1 "$W/$rt.try" 2>/dev/null || echo not installed)"
	fi
done

img=
if [ "${PODMAN:-}" != no ] && command -v podman >/dev/null; then
	what="--rootfs $(cd "$ROOTFS" && pwd -P)"
	if [ "${PODMAN:-}" = image ]; then
		img=localhost/nook-bench-busybox:latest
		what=$img
		tar -C "$ROOTFS" -cf - . | podman import - "$img" >/dev/null 2>&1 || what=
	fi
	if [ -n "$what" ]; then
		for rt in nook runc; do
			p=$OCI
			[ $rt = runc ] && p=$(command -v runc)
			# $what is split on purpose (no white space in ROOTFS)
			if podman --runtime "$p" run --rm $what true >"$W/podman-$rt.try" 2>&1; then
				set -- "$@" podman-$rt podman --runtime "$p" run --rm $what true ';'
			else
				echo "# podman-$rt left out: $(tail -n 1 "$W/podman-$rt.try")"
			fi
		done
	else
		echo "# podman left out: podman import failed"
	fi
fi

"$W/benchrun" -n "$RUNS" -w "$WARMUP" -s "$SEED" -e "$W" -R "$@" | tee "$W/results"
med() { awk -v n="$1" '$1 == "RESULT" && $2 == n { for (i = 3; i <= NF; i++) if ($i ~ /^median_ms=/) { sub(/median_ms=/, "", $i); print $i } }' "$W/results"; }
ratio() {
	a=$(med "$1") b=$(med "$2")
	[ -n "$a" ] && [ -n "$b" ] || { echo "$1/$2: n/a"; return 0; }
	awk -v a="$a" -v b="$b" -v goal="$3" -v n="$1/$2" 'BEGIN { r = a / b; printf "%s: %.2f (goal <= %s) %s\n", n, r, goal, (r <= goal ? "PASS" : "MISS") }'
}
echo "runs=$RUNS seed=$SEED"
ratio nook-oci runc 0.5
ratio nook-oci crun 1.0
ratio podman-nook podman-runc 0.9
[ -n "$img" ] && podman rmi -f "$img" >/dev/null 2>&1
exit 0
