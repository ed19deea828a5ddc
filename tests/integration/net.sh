#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# net.sh - integration tests for networking (issue 6): none, host, slirp4netns
# and pasta; the host's loopback through 10.0.2.2 only when allowed;
# resolv.conf and hosts; TCP and UDP ports published on 127.0.0.1; two
# containers at once; a port conflict; helpers gone after exit, after the
# payload is killed and after nook is SIGKILLed; the UDP relay confined
# (no_new_privs, seccomp, no capabilities, an empty mount namespace). Traffic stays on
# 127.0.0.0/8 and inside the containers' own namespaces.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# Other test runs share this user: t_clean counts only the processes that
# carry this script's tag in their environment (nook, its container init,
# slirp4netns/pasta and the UDP relay inherit it); lib.sh's private TMPDIR
# holds nook's temporary directories.
NOOK_TEST_TAG=net.$$.$(date +%s)
export NOOK_TEST_TAG
t_container_procs() { t_tagged_procs; }

# nkx, nk, chk, chkre, chknore, chk_error, wait_file, wait_gone and reap
# come from lib.sh
# helper_of PID: pid of the network helper that is a child of PID (Debian's
# pasta re-executes itself, it shows as passt.avx2)
helper_of() { pgrep -P "$1" -x 'slirp4netns|pasta|pasta\.avx2|passt|passt\.avx2' 2>/dev/null | head -n1; }
# start_bg ARGS...: start nook ARGS in the background and wait until its
# helper runs; sets N (nook), h (helper) and c (the container's init)
start_bg() {
	"$NOOK" "$@" >"$T/bg.out" 2>&1 </dev/null &
	N=$! h= c=
	for _ in $(seq 200); do h=$(helper_of "$N"); [ -n "$h" ] && break; sleep 0.05; done
	c=$(pgrep -P "$N" 2>/dev/null | grep -vx "${h:-none}" | head -n1)
}
# chk_gone NAME PID: PID exits within 5 s
chk_gone() {
	if [ -z "$2" ]; then t_fail "$1" "no such process was found"
	elif wait_gone "$2" 5; then t_ok "$1"
	else t_fail "$1" "$(ps -o pid,ppid,stat,args -p "$2")"; fi
}

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is needed for the network test servers"
	exit 0
fi

# Ports: a block of 20 per run so concurrent runs do not collide.
BASE=$((20000 + ($$ % 2000) * 20))
P_LOOP=$BASE             # a server on the host's loopback
P_BUSY=$((BASE + 1))     # a port something on the host already listens on
TOKEN="nook-token-$$-$(date +%s)"

# The scripts live in $T, which containers see as /tmp/out (-v "$T:/tmp/out").
cat > "$T/serve_tcp.py" <<'EOF'
# serve_tcp.py PORT REPLY READYFILE [COUNT]: answer COUNT connections with REPLY
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0" if len(sys.argv) < 6 else sys.argv[5], int(sys.argv[1])))
s.listen(8)
open(sys.argv[3], "w").close()
for _ in range(int(sys.argv[4]) if len(sys.argv) > 4 else 1):
    c, a = s.accept()
    c.sendall(sys.argv[2].encode())
    c.close()
time.sleep(0.5)
EOF
cat > "$T/serve_udp.py" <<'EOF'
# serve_udp.py PORT REPLY READYFILE: answer one datagram with REPLY + it
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
open(sys.argv[3], "w").close()
d, a = s.recvfrom(2048)
s.sendto(sys.argv[2].encode() + b" " + d, a)
time.sleep(0.5)
EOF
cat > "$T/get_tcp.py" <<'EOF'
# get_tcp.py HOST PORT [TRIES]: print what the server sends; retries while
# the forward accepts but nothing listens behind it yet
import socket, sys, time
tries = int(sys.argv[3]) if len(sys.argv) > 3 else 50
err = "no data"
for i in range(tries):
    try:
        c = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)
        c.settimeout(3)
        d = c.recv(200)
        if d:
            print(d.decode(errors="replace"))
            sys.exit(0)
    except OSError as e:
        err = e
    time.sleep(0.1)
print("ERROR", err)
sys.exit(1)
EOF
cat > "$T/get_udp.py" <<'EOF'
# get_udp.py HOST PORT: send "ping", print the reply (retrying)
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
for i in range(20):
    s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(2048).decode(errors="replace"))
        sys.exit(0)
    except OSError as e:
        err = e
print("ERROR", err)
sys.exit(1)
EOF

# a host server on 127.0.0.1 that answers every connection with $TOKEN
python3 "$T/serve_tcp.py" "$P_LOOP" "$TOKEN" "$T/loop.ready" 1000 127.0.0.1 >/dev/null 2>&1 &
LOOP_PID=$!
# something that holds $P_BUSY, TCP and UDP
python3 "$T/serve_tcp.py" "$P_BUSY" busy "$T/busy.ready" 1000 127.0.0.1 >/dev/null 2>&1 &
BUSY_PID=$!
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close(); time.sleep(3600)' "$P_BUSY" "$T/busyu.ready" >/dev/null 2>&1 &
BUSYU_PID=$!
trap 'kill $LOOP_PID $BUSY_PID $BUSYU_PID 2>/dev/null; rm -rf "$T"' EXIT
wait_file "$T/loop.ready" || t_fail "start the host loopback server" "no $T/loop.ready"
wait_file "$T/busy.ready" || t_fail "start the busy-port server" "no $T/busy.ready"
wait_file "$T/busyu.ready" || t_fail "start the busy UDP port" "no $T/busyu.ready"

RUN="run --userns self -v $T:/tmp/out"

# ---------------------------------------------------------------- none
nk $RUN --network none -- sh -c 'ls /sys/class/net; ip -o link show lo'
chkre "none: only lo" "^lo$" "$(printf '%s\n' "$out" | head -n1)"
chk "none: exactly one interface" 1 "$(printf '%s\n' "$out" | grep -vc ' lo:')"
chkre "none: lo is up" "<[^>]*\bUP\b" "$out"
nk $RUN --network none -- python3 /tmp/out/get_tcp.py 10.0.2.2 "$P_LOOP" 3
chkre "none: a connect to 10.0.2.2 fails" "^ERROR .*(unreachable|Errno)" "$out"
chknore "none: the host's loopback server is not reached" "$TOKEN" "$out"
# with no helper, nook builds the namespace beside the container (netns.c):
# it must be a new one, owned by the container's user namespace (root in
# the container may configure it), with ping opened to every mapped gid
nk $RUN --network none -- readlink /proc/self/ns/net
chkre "none: a network namespace of its own" '^net:\[[0-9]+\]$' "$out"
[ "$out" != "$(readlink /proc/self/ns/net)" ] && t_ok "none: not the host's network namespace" ||
	t_fail "none: not the host's network namespace" "$(_diag)"
nk $RUN --network none --cap-add NET_ADMIN -- sh -c 'ip addr add 127.0.0.2/8 dev lo && ip -o addr show dev lo'
chkre "none: the namespace belongs to the container's user namespace (root may configure it)" "inet 127\.0\.0\.2/8" "$out"
nk $RUN --network none -- cat /proc/sys/net/ipv4/ping_group_range
chk "none: ping allowed for the one mapped gid (self map)" "0	0" "$out"
nk run --userns subuid --network none -- sh -c 'cat /proc/sys/net/ipv4/ping_group_range; ls /sys/class/net'
chk "none: ping allowed for every mapped gid (subuid map)" "0	65536
lo" "$out"
nk $RUN --network none --hostname boxn -- cat /etc/hosts
chkre "none: /etc/hosts names the hostname" "127.0.1.1[[:space:]]+boxn" "$out"

# ---------------------------------------------------------------- host
nk $RUN --network host -- readlink /proc/self/ns/net
chk "host: the host's network namespace is shared" "$(readlink /proc/self/ns/net)" "$out"
nk $RUN --network host -- python3 /tmp/out/get_tcp.py 127.0.0.1 "$P_LOOP" 3
chk "host: the host's 127.0.0.1 is reachable" "$TOKEN" "$out"
t_clean "none and host"

# ---------------------------------------------------------------- slirp and pasta
modes=slirp
if command -v pasta >/dev/null; then modes="$modes pasta"; else t_skip "pasta" "pasta (package passt) is not installed"; fi
resolv_sum=$(cksum < /etc/resolv.conf)
hosts_sum=$(cksum < /etc/hosts)
i=0
for m in $modes; do
	i=$((i + 1))
	HP1=$((BASE + 2 + i * 4)) HP2=$((BASE + 3 + i * 4)) HPU=$((BASE + 4 + i * 4))
	helper=slirp4netns; [ "$m" = pasta ] && helper=pasta

	nk $RUN --network "$m" --hostname box -- sh -c 'ip -o -4 addr show tap0; cat /sys/class/net/tap0/mtu; ip route show default'
	chkre "$m: tap0 has 10.0.2.100/24" "inet 10\.0\.2\.100/24" "$out"
	chkre "$m: the default MTU is 65520" "^65520$" "$(printf '%s\n' "$out" | sed -n 2p)"
	chkre "$m: the default route goes through 10.0.2.2" "default via 10\.0\.2\.2" "$out"
	nk $RUN --network "$m" --set network.mtu=1500 -- cat /sys/class/net/tap0/mtu /sys/class/net/tap0/tx_queue_len
	chk "$m: network.mtu sets the MTU" 1500 "$(printf '%s\n' "$out" | sed -n 1p)"
	# pasta's receive window in 1500-byte frames overflows the kernel's
	# default queue of 1000 (loopback.c): about 8 MiB of frames instead
	want=1000; [ "$m" = pasta ] && want=5592
	chk "$m: the tap device's transmit queue at MTU 1500" "$want" "$(printf '%s\n' "$out" | sed -n 2p)"

	nk $RUN --network "$m" --hostname box -- sh -c 'cat /etc/resolv.conf; echo ---; cat /etc/hosts'
	chkre "$m: resolv.conf points at the DNS forwarder 10.0.2.3" "^nameserver 10\.0\.2\.3$" "$(printf '%s\n' "$out" | grep '^nameserver')"
	chk "$m: resolv.conf has one nameserver" 1 "$(printf '%s\n' "$out" | grep -c '^nameserver')"
	chkre "$m: /etc/hosts maps the hostname to 10.0.2.100" "10\.0\.2\.100[[:space:]]+box" "$out"
	chkre "$m: /etc/hosts has localhost" "127\.0\.0\.1[[:space:]]+localhost" "$out"
	chk "$m: the host's resolv.conf and hosts are untouched" "$resolv_sum $hosts_sum" "$(cksum < /etc/resolv.conf) $(cksum < /etc/hosts)"

	nk $RUN --network "$m" --set network.allow_host_loopback=true -- python3 /tmp/out/get_tcp.py 10.0.2.2 "$P_LOOP" 20
	chk "$m: allow_host_loopback: 10.0.2.2 is the host's 127.0.0.1" "$TOKEN" "$out"
	nk $RUN --network "$m" -- python3 /tmp/out/get_tcp.py 10.0.2.2 "$P_LOOP" 3
	chknore "$m: without allow_host_loopback the host's 127.0.0.1 is not reached" "$TOKEN" "$out"

	# TCP and UDP published on 127.0.0.1, two containers at once
	rm -f "$T/a.ready" "$T/b.ready" "$T/u.ready"
	"$NOOK" $RUN --network "$m" -p "$HP1:8000" -p "127.0.0.1:$HPU:5353/udp" -- sh -c \
		'python3 /tmp/out/serve_udp.py 5353 udp-a /tmp/out/u.ready & python3 /tmp/out/serve_tcp.py 8000 tcp-a /tmp/out/a.ready; wait' \
		>"$T/a.out" 2>&1 </dev/null &
	A=$!
	"$NOOK" $RUN --network "$m" -p "127.0.0.1:$HP2:8000/tcp" -- python3 /tmp/out/serve_tcp.py 8000 tcp-b /tmp/out/b.ready \
		>"$T/b.out" 2>&1 </dev/null &
	B=$!
	wait_file "$T/a.ready" 20; wait_file "$T/b.ready" 20; wait_file "$T/u.ready" 20
	# the UDP relay is confined (security/confine.c): seen from the host
	R=$(pgrep -P "$A" -x nook-udprelay 2>/dev/null | head -n1)
	if [ -n "$R" ]; then
		chk "$m: the UDP relay runs with no_new_privs and a seccomp filter" "NoNewPrivs=1 Seccomp=2" \
			"$(awk '$1 == "NoNewPrivs:" { n = $2 } $1 == "Seccomp:" { s = $2 } END { print "NoNewPrivs=" n, "Seccomp=" s }' "/proc/$R/status")"
		chk "$m: the UDP relay holds no capability, not even in its bounding set" "0000000000000000 0000000000000000 0000000000000000" \
			"$(awk '$1 ~ /^Cap(Prm|Eff|Bnd):$/ { printf "%s%s", sep, $2; sep = " " }' "/proc/$R/status")"
		relay_mnt=$(readlink "/proc/$R/ns/mnt")
		if [ -n "$relay_mnt" ] && [ "$relay_mnt" != "$(readlink /proc/self/ns/mnt)" ]; then
			t_ok "$m: the UDP relay has a mount namespace of its own"
		else
			t_fail "$m: the UDP relay has a mount namespace of its own" "relay: '$relay_mnt', host: $(readlink /proc/self/ns/mnt)"
		fi
		chk "$m: the UDP relay's only mount is an empty read-only tmpfs as /" "1 / tmpfs ro" \
			"$(awk '{ for (i = 7; i <= NF; i++) if ($i == "-") t = $(i + 1); n++; mp = $5; o = $6 } END { sub(/,.*/, "", o); print n, mp, t, o }' "/proc/$R/mountinfo")"
		chk "$m: the UDP relay's root holds nothing of the host" "" "$(ls -A "/proc/$R/root/" 2>&1)"
	else
		t_fail "$m: the UDP relay runs" "no nook-udprelay child of $A: $(ps -o pid,ppid,args -u "$(id -u)")"
	fi
	got_a=$(python3 "$T/get_tcp.py" 127.0.0.1 "$HP1")
	got_b=$(python3 "$T/get_tcp.py" 127.0.0.1 "$HP2")
	got_u=$(python3 "$T/get_udp.py" 127.0.0.1 "$HPU")
	chk "$m: TCP port $HP1 on 127.0.0.1 reaches container A" "tcp-a" "$got_a"
	chk "$m: TCP port $HP2 on 127.0.0.1 reaches container B at the same time" "tcp-b" "$got_b"
	chk "$m: UDP port $HPU on 127.0.0.1 reaches container A and the reply comes back" "udp-a ping" "$got_u"
	reap "$A"; st_a=$st
	reap "$B"; st_b=$st
	chk "$m: both containers exit 0" "0 0" "$st_a $st_b"
	[ "$st_a $st_b" = "0 0" ] || cat "$T/a.out" "$T/b.out" | sed 's/^/# /'
	chknore "$m: published ports are not exposed beyond 127.0.0.1" "^(0\.0\.0\.0|\*):($HP1|$HP2)" \
		"$(ss -Hltn 2>/dev/null | awk '{print $4}')"

	# errors
	nk $RUN --network "$m" -p "$P_BUSY:8000" -- true
	chk_error "$m: a host port in use is a clear error" 125 "port 127\.0\.0\.1:$P_BUSY/tcp is already in use"
	nk $RUN --network "$m" -p "$HP1:8000" -p "127.0.0.1:$HPU:53/udp" -p "$P_BUSY:1" -- true
	chk_error "$m: a port in use among several: the busy one is named" 125 "port 127\.0\.0\.1:$P_BUSY/tcp"
	nk $RUN --network "$m" -p "$HP1:8000" -p "$P_BUSY:53/udp" -- true
	chk_error "$m: a UDP host port in use is a clear error" 125 "port 127\.0\.0\.1:$P_BUSY/udp is already in use"

	# the helper goes away with the container in every case
	start_bg $RUN --network "$m" -p "$HP1:8000" -p "127.0.0.1:$HPU:53/udp" -- sleep 1
	reap "$N"
	chk "$m: a normal exit" 0 "$st"
	chk_gone "$m: $helper is gone after a normal exit" "$h"
	start_bg $RUN --network "$m" -- sh -c 'sleep 1; kill -KILL $$'
	reap "$N"
	chk "$m: the payload killed by SIGKILL gives 137" 137 "$st"
	chk_gone "$m: $helper is gone after the payload is killed" "$h"
	start_bg $RUN --network "$m" -p "$HP1:8000" -p "127.0.0.1:$HPU:53/udp" -- sleep 60
	kill -KILL "$N"
	wait "$N" 2>/dev/null
	chk_gone "$m: $helper is gone after nook is SIGKILLed" "$h"
	chk_gone "$m: the container is gone after nook is SIGKILLed" "$c"
	nkx python3 "$T/get_tcp.py" 127.0.0.1 "$HP1" 1
	chkre "$m: the published port is closed after nook is SIGKILLed" "^ERROR .*refused" "$out"
	t_clean "$m"
done

# ---------------------------------------------------------------- profile keys
cat > "$T/netprof.yaml" <<EOF
extends: default
network:
  mode: slirp
  mtu: 1500
  allow_host_loopback: true
EOF
nk $RUN "$T/netprof.yaml" -- sh -c "cat /sys/class/net/tap0/mtu; python3 /tmp/out/get_tcp.py 10.0.2.2 $P_LOOP 20"
chk "profile: network.mode, mtu and allow_host_loopback" "1500 $TOKEN" "$(echo $out)"
cat > "$T/badports.yaml" <<'EOF'
extends: default
network:
  mode: slirp
  ports:
    - "8080:80"
    - "127.0.0.1:70000:53/udp"
EOF
nk $RUN "$T/badports.yaml" -- true
chk_error "profile: an invalid port spec names file:line:column" 125 "badports\.yaml:6:[0-9]+: .*70000"

# ---------------------------------------------------------------- errors
nk $RUN --network slirp -p 99999:80 -- true
chk_error "-p with an invalid port spec" 125 "99999"
mkdir -p "$T/emptybin"
nkx env PATH="$T/emptybin" "$NOOK" $RUN --network slirp -- /bin/true
chk_error "slirp4netns missing: the package is named" 125 "slirp4netns.*apt-get install slirp4netns"
nkx env PATH="$T/emptybin" "$NOOK" $RUN --network pasta -p "$HP1:80" -- /bin/true
chk_error "pasta missing: the package is named" 125 "pasta.*apt-get install passt"
t_clean "errors"

t_done
