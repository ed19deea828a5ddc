#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# image.sh - images: start latency of `nook run IMAGE -- true` against
# bwrap on the same unpacked tree, and pull + unpack from a local registry
# against `podman pull` (wall time, and the disk use of two images that
# share a base layer).
#
#   NOOK=/path/to/nook sh tests/bench/image.sh
#
# Start latency, interleaved by benchrun.c (RUNS runs each, random order):
#   bwrap        bwrap --unshare-all --die-with-parent --new-session --ro-bind TREE / --proc /proc --dev /dev true
#                (TREE: the image's one layer, as nook unpacked it)
#   nook-image   nook run --userns self IMAGE -- true   (the default profile's
#                envelope; a self map as bwrap's; the overlay of the layer)
#   nook-image-auto  nook run IMAGE -- true  (auto map: the subordinate range)
#   nook-rootfs  nook run --userns self --rootfs TREE -- true  (the same tree
#                as a plain directory: what the image and its overlay add)
# Pull: PULLS rounds; each round removes the images and pulls IMAGE-A with
# nook and with podman (in random order), from docker-registry on
# 127.0.0.1 (started here). Then both pull IMAGE-B, which shares the base
# layer, and du -sk gives each store's size.
# Images (written offline with tests/integration/mkimage.py): a base layer
# of a busybox root plus /usr/lib/python3.11 (~54 MB, 1500 files, gzip),
# and a small top layer each.
#
# Environment: NOOK, RUNS (default 200), WARMUP (10), PULLS (default 5),
# BENCH_USER (when started as root; default nooktest), BENCH_DIR, SEED, CC.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}
if [ "$(id -u)" = 0 ]; then
	nook=${NOOK:-$(command -v nook || true)}
	exec runuser -u "$BENCH_USER" -- env NOOK="$nook" RUNS="${RUNS:-}" WARMUP="${WARMUP:-}" PULLS="${PULLS:-}" \
		BENCH_DIR="${BENCH_DIR:-}" SEED="${SEED:-}" CC="${CC:-}" NOOK_PROFILE_PATH="${NOOK_PROFILE_PATH:-}" \
		HOME="$(getent passwd "$BENCH_USER" | cut -d: -f6)" PATH="$PATH" sh "$here/image.sh" "$@"
fi
NOOK=${NOOK:-$(command -v nook || true)}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-10}
PULLS=${PULLS:-5}
SEED=${SEED:-$(date +%s)}
BENCH_NAME=image
. "$here/common.sh"
for c in skopeo docker-registry python3 bwrap; do
	command -v $c >/dev/null 2>&1 || { echo "image.sh: $c is needed" >&2; exit 2; }
done
NOOK_STORE=$W/store
export NOOK_STORE
MK=$here/../integration/mkimage.py

# ---------------------------------------------------------------- images
echo "tree / $ROOTFS" > "$W/base.txt"
echo "tree usr/lib/python3.11 /usr/lib/python3.11" >> "$W/base.txt"
echo "file etc/a 644 0 0 a" > "$W/a.txt"
echo "file etc/b 644 0 0 b" > "$W/b.txt"
echo '{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]}' > "$W/cfg.json"
python3 "$MK" "$W/img-a" "$W/cfg.json" "$W/base.txt" "$W/a.txt"
python3 "$MK" "$W/img-b" "$W/cfg.json" "$W/base.txt" "$W/b.txt"
echo "tree / $ROOTFS" > "$W/small.txt"
python3 "$MK" "$W/img-s" "$W/cfg.json" "$W/small.txt"

# ---------------------------------------------------------------- registry
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s/registry}}\nhttp: {addr: "127.0.0.1:%s"}\n' "$W" "$port" > "$W/registry.yml"
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
regpid=$!
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR:-/nonexistent}" ]; then
	XDG_RUNTIME_DIR=/tmp/nook-bench-run-$(id -u)
	[ -d "$XDG_RUNTIME_DIR" ] || made_rt=$XDG_RUNTIME_DIR
	mkdir -p "$XDG_RUNTIME_DIR"
	chmod 0700 "$XDG_RUNTIME_DIR"
	export XDG_RUNTIME_DIR
fi
# podman's rootless pause process (named catatonit, or podman here): the
# ones alive now are not ours
pauses() { pgrep -u "$(id -u)" -x catatonit; pgrep -u "$(id -u)" -x podman; }
pause_before=" $(pauses | tr '\n' ' ')"
PODMAN_ROOT=$W/podman-root
podman_p() { podman --root "$PODMAN_ROOT" --runroot "$W/podman-run" --storage-driver overlay "$@"; }
finish() {
	kill "$regpid" 2>/dev/null || true
	for i in a b s; do "$NOOK" image rm "$REG/bench/$i:1" >/dev/null 2>&1 || true; done
	"$NOOK" image prune >/dev/null 2>&1 || true
	podman_p unshare rm -rf "$PODMAN_ROOT" "$W/podman-run" >/dev/null 2>&1 || true
	for pid in $(pauses); do
		case $pause_before in
		*" $pid "*) ;;
		*) kill "$pid" 2>/dev/null || true ;;
		esac
	done
	# podman's state is in $W (--root, --runroot): a runtime directory
	# made here is not needed afterwards
	[ -z "${made_rt:-}" ] || rm -rf "$made_rt"
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
}
trap finish EXIT
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.1
done
REG=127.0.0.1:$port
for i in a b s; do
	skopeo copy --quiet --dest-tls-verify=false "oci:$W/img-$i:latest" "docker://$REG/bench/$i:1"
done

# ---------------------------------------------------------------- start latency
"$NOOK" image pull -q --tls-verify=false "$REG/bench/s:1" >/dev/null
TREE=$(ls -d "$NOOK_STORE"/layers/*)
IMG=$REG/bench/s:1
"$NOOK" run --userns self "$IMG" -- true || { echo "image.sh: nook cannot run the image" >&2; exit 1; }
# nook's user namespace holder (the default map of nook-image-auto) is
# started here, outside the harness: benchrun kills a process a candidate
# leaves running as an orphan, so every timed run would pay for a new one
"$NOOK" run "$IMG" -- true >/dev/null 2>&1 || true
set -- bwrap bwrap --unshare-all --die-with-parent --new-session --ro-bind "$TREE" / --proc /proc --dev /dev true ';'
set -- "$@" nook-image "$NOOK" run --userns self "$IMG" -- true ';'
set -- "$@" nook-image-auto "$NOOK" run "$IMG" -- true ';'
set -- "$@" nook-rootfs "$NOOK" run --userns self --rootfs "$TREE" -- true ';'
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$W/benchrun" -R -n "$RUNS" -w "$WARMUP" -s "$SEED" -e "$W" "$@" >"$W/results" 2>"$W/orphans"
field() { awk -v n="$1" -v k="$2" '$1 == "RESULT" && $2 == n {
	for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) print a[2] } }' "$W/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.3f\n", a / b }'; }

echo "nook images: start latency, $RUNS runs per candidate after $WARMUP warm-up rounds, interleaved (seed $SEED)"
echo "machine: $(nproc) CPUs, kernel $(uname -r); load average before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo "nook: $NOOK; image $IMG (one layer: a busybox root); user $(id -un)"
printf '%-16s %10s %10s %10s %10s %6s\n' candidate median_ms p10_ms p90_ms cpu_ms fails
for n in bwrap nook-image nook-image-auto nook-rootfs; do
	printf '%-16s %10s %10s %10s %10s %6s\n' "$n" "$(field $n median_ms)" "$(field $n p10_ms)" "$(field $n p90_ms)" \
		"$(field $n cpu_med_ms)" "$(field $n fails)"
done
b=$(field bwrap median_ms)
r=$(ratio "$(field nook-image median_ms)" "$b")
echo "nook-image / bwrap = $r (goal <= 1.2: $(awk -v r="$r" 'BEGIN { print (r != "n/a" && r <= 1.2) ? "PASS" : "MISS" }'))"
echo "nook-image-auto / bwrap = $(ratio "$(field nook-image-auto median_ms)" "$b")"
echo "nook-image / nook-rootfs = $(ratio "$(field nook-image median_ms)" "$(field nook-rootfs median_ms)") (what the image lookup and the overlay add)"
"$NOOK" image rm "$IMG" >/dev/null

# ---------------------------------------------------------------- pull + unpack
now() { date +%s%N; }
: > "$W/pulls"
podman_ok=yes
podman_p pull -q --tls-verify=false "$REG/bench/a:1" >/dev/null 2>"$W/podman.err" || podman_ok=no
podman_p rmi -a -f >/dev/null 2>&1 || true
if [ $podman_ok = no ]; then
	echo "podman pull failed: $(head -n 3 "$W/podman.err")"
fi
for round in $(seq "$PULLS"); do
	order="nook podman"
	[ $(( (SEED + round) % 2 )) = 0 ] && order="podman nook"
	for who in $order; do
		[ $who = podman ] && [ $podman_ok = no ] && continue
		t0=$(now)
		if [ $who = nook ]; then
			"$NOOK" image pull -q --tls-verify=false "$REG/bench/a:1" >/dev/null
		else
			podman_p pull -q --tls-verify=false "$REG/bench/a:1" >/dev/null
		fi
		t1=$(now)
		echo "$who $(( (t1 - t0) / 1000000 ))" >> "$W/pulls"
		if [ $who = nook ]; then
			"$NOOK" image rm "$REG/bench/a:1" >/dev/null
		else
			podman_p rmi -a -f >/dev/null 2>&1
		fi
	done
done
med() { awk -v w="$1" '$1 == w { print $2 }' "$W/pulls" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
pn=$(med nook); pp=$(med podman)
echo
echo "pull + unpack of $REG/bench/a:1 (2 layers, $(du -sk "$W/img-a/blobs" | cut -f1) KiB of blobs), $PULLS rounds each, alternating order:"
echo "  nook   median $pn ms ($(awk '$1 == "nook" { printf "%s ", $2 }' "$W/pulls"))"
echo "  podman median ${pp:-n/a} ms ($(awk '$1 == "podman" { printf "%s ", $2 }' "$W/pulls"))"
r=$(ratio "$pn" "$pp")
echo "  nook / podman = $r (goal <= 1.0: $(awk -v r="$r" 'BEGIN { print (r != "n/a" && r <= 1.0) ? "PASS" : "MISS" }'))"

# two images that share the base layer: the stores' disk use
"$NOOK" image pull -q --tls-verify=false "$REG/bench/a:1" >/dev/null
"$NOOK" image pull -q --tls-verify=false "$REG/bench/b:1" >/dev/null
dn=$(podman_p unshare du -sk "$NOOK_STORE" | cut -f1)
if [ $podman_ok = yes ]; then
	podman_p pull -q --tls-verify=false "$REG/bench/a:1" >/dev/null
	podman_p pull -q --tls-verify=false "$REG/bench/b:1" >/dev/null
	dp=$(podman_p unshare du -sk "$PODMAN_ROOT" | cut -f1)
fi
echo
echo "disk use with both images (sharing the base layer), du -sk:"
echo "  nook store   $dn KiB"
echo "  podman root  ${dp:-n/a} KiB"
r=$(ratio "$dn" "${dp:-}")
echo "  nook / podman = $r (goal <= 1.0: $(awk -v r="$r" 'BEGIN { print (r != "n/a" && r <= 1.0) ? "PASS" : "MISS" }'))"
