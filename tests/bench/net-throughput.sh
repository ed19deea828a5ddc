#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# net-throughput.sh - TCP throughput out of a nook container, per network
# helper and MTU, against plain loopback as the ceiling.
#
#   NOOK=/path/to/nook sh tests/bench/net-throughput.sh
#
# An iperf3 server listens on the host's 127.0.0.1. Each candidate runs
# `iperf3 -c` for DURATION seconds; the containers reach the server through
# 10.0.2.2 (network.allow_host_loopback: true):
#   loopback      iperf3 -c 127.0.0.1 on the host (the ceiling)
#   slirp-1500    nook run --network slirp --set network.mtu=1500
#   slirp-65520   nook run --network slirp              (nook's default MTU)
#   pasta-1500    nook run --network pasta --set network.mtu=1500
#   pasta-65520   nook run --network pasta
#   udp-relay     UDP the other way: iperf3 -s in a slirp container whose
#                 port is published for TCP (iperf3's control) and UDP (nook's
#                 relay, udprelay.c); `iperf3 -u -b 0 -l 1400 -w 4M` on the
#                 host (-w: the server's socket buffer too; with the default
#                 208 KiB the server itself drops most datagrams, whatever
#                 the relay does); the figure is what the server received
#                 (sent x (1 - loss))
# Rounds are interleaved (every candidate once per round) so drift on a
# shared machine spreads evenly; the median of the rounds is reported in
# Gbit/s with the ratios to the ceiling, 65520 vs 1500, and pasta vs slirp.
# It exits 0 unless the benchmark itself cannot run.
#
# Environment:
#   NOOK        the nook binary (default: nook in PATH)
#   ROUNDS      rounds (default 3); DURATION seconds per run (default 5)
#   PORT        the iperf3 port on 127.0.0.1 (default 5201 + pid % 1000)
#   NOOK_PROFILE_PATH  where nook finds its profiles (for an uninstalled
#               build: the source tree's profiles/)
#   BENCH_USER  the user to run as when started as root (default nooktest)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BENCH_USER=${BENCH_USER:-nooktest}

if [ "$(id -u)" = 0 ]; then
	nook=${NOOK:-$(command -v nook || true)}
	exec runuser -u "$BENCH_USER" -- env NOOK="$nook" ROUNDS="${ROUNDS:-}" DURATION="${DURATION:-}" \
		PORT="${PORT:-}" NOOK_PROFILE_PATH="${NOOK_PROFILE_PATH:-}" PATH="$PATH" sh "$here/net-throughput.sh" "$@"
fi

NOOK=${NOOK:-$(command -v nook || true)}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
PORT=${PORT:-$((5201 + $$ % 1000))}
die() { echo "net-throughput.sh: $*" >&2; exit 2; }
[ -n "$NOOK" ] && [ -x "$NOOK" ] || die "nook not found (set NOOK=/path/to/nook)"
command -v iperf3 >/dev/null || die "iperf3 is not installed (apt-get install iperf3)"
command -v python3 >/dev/null || die "python3 is needed to read iperf3's JSON"

W=$(mktemp -d /tmp/nook-bench.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

iperf3 -s -B 127.0.0.1 -p "$PORT" >"$W/server.log" 2>&1 &
SRV=$!
i=0
until timeout 5 iperf3 -c 127.0.0.1 -p "$PORT" -n 1K >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 50 ] || die "the iperf3 server on 127.0.0.1:$PORT did not start: $(cat "$W/server.log")"
	sleep 0.1
done

cands="loopback slirp-1500 slirp-65520 udp-relay"
if command -v pasta >/dev/null; then cands="$cands pasta-1500 pasta-65520"
else echo "# pasta (package passt) is not installed: its rows are left out"; fi

# run CAND: the receiver's bits per second of one iperf3 run, on stdout
run() {
	[ "$1" = udp-relay ] && { run_udp; return 0; }
	case $1 in
	loopback) set -- iperf3 -c 127.0.0.1 ;;
	*) mode=${1%-*} mtu=${1#*-}
	   set -- "$NOOK" run --userns self --network "$mode" --set network.mtu="$mtu" \
		--set network.allow_host_loopback=true -- iperf3 -c 10.0.2.2 ;;
	esac
	timeout $((DURATION + 30)) "$@" -p "$PORT" -t "$DURATION" -J >"$W/run.json" 2>"$W/run.err" || {
		echo "net-throughput.sh: failed: $* ($(tail -n3 "$W/run.err" "$W/run.json" | tr '\n' ' '))" >&2
		echo 0; return 0; }
	python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$W/run.json"
}

# run_udp: the received bits per second of UDP through nook's relay
UPORT=$((PORT + 1))
run_udp() {
	"$NOOK" run --userns self --network slirp -p "127.0.0.1:$UPORT:5201" -p "127.0.0.1:$UPORT:5201/udp" \
		-- iperf3 -s -1 >"$W/udp-server.log" 2>&1 </dev/null &
	srv=$!
	i=0
	until ss -Hltn "sport = :$UPORT" 2>/dev/null | grep -q .; do
		i=$((i + 1)); [ $i -lt 100 ] || break
		sleep 0.05
	done
	sleep 0.2
	if timeout $((DURATION + 30)) iperf3 -c 127.0.0.1 -p "$UPORT" -u -b 0 -l 1400 -w 4M -t "$DURATION" -J >"$W/run.json" 2>"$W/run.err"; then
		python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["end"]["sum"]; print(int(s["bits_per_second"] * (1 - s["lost_percent"] / 100)))' "$W/run.json"
	else
		echo "net-throughput.sh: failed: UDP through the relay ($(tail -n3 "$W/run.err" "$W/udp-server.log" | tr '\n' ' '))" >&2
		echo 0
	fi
	kill "$srv" 2>/dev/null || true
	wait "$srv" 2>/dev/null || true
	return 0
}

r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $cands; do
		bps=$(run "$c")
		echo "$c $bps" >> "$W/results"
		printf '# round %d %-12s %6.2f Gbit/s\n' "$r" "$c" "$(echo "$bps" | awk '{ print $1 / 1e9 }')"
	done
	r=$((r + 1))
done

python3 - "$W/results" "$DURATION" "$ROUNDS" <<'EOF'
import sys, statistics
res = {}
for line in open(sys.argv[1]):
    c, b = line.split()
    res.setdefault(c, []).append(int(b))
med = {c: statistics.median(v) for c, v in res.items()}
g = lambda c: med.get(c, 0) / 1e9
ceil = med.get("loopback", 0)
print(f"\nTCP throughput, container -> host 127.0.0.1 via 10.0.2.2 (udp-relay: UDP host -> container), median of {sys.argv[3]} x {sys.argv[2]} s")
print(f"{'candidate':<14}{'Gbit/s':>9}{'of loopback':>13}")
for c in ["loopback", "slirp-1500", "slirp-65520", "pasta-1500", "pasta-65520", "udp-relay"]:
    if c in med:
        ratio = med[c] / ceil if ceil else 0
        print(f"{c:<14}{g(c):>9.2f}{ratio:>12.1%}")
def ratio(a, b):
    return f"{med[a] / med[b]:.2f}x" if a in med and b in med and med[b] else "n/a"
print()
print(f"MTU 65520 vs 1500:  slirp {ratio('slirp-65520', 'slirp-1500')}, pasta {ratio('pasta-65520', 'pasta-1500')}")
print(f"pasta vs slirp:     MTU 1500 {ratio('pasta-1500', 'slirp-1500')}, MTU 65520 {ratio('pasta-65520', 'slirp-65520')}")
print(f"UDP relay vs slirp TCP (MTU 65520): {ratio('udp-relay', 'slirp-65520')}  (target >= 0.50x)")
EOF
