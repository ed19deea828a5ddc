#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# otheruser.sh - what another local user can do to a user's containers (run
# as root, see README): $NOOK_OTHER_USER must not be able to bind a TCP or
# UDP port that $NOOK_TEST_USER's container published (with SO_REUSEADDR or
# SO_REUSEPORT, on the same or the wildcard address), nor take the
# datagrams sent to it; and must not be able to deny the owner named
# containers by creating a state directory at a predictable path first.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
if [ "$(id -u)" != 0 ] || [ -z "$NOOK_TEST_USER" ] || [ -z "$NOOK_OTHER_USER" ]; then
	echo "1..0 # SKIP needs root with NOOK_TEST_USER and NOOK_OTHER_USER (see tests/integration/asroot/README)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is needed for the port checks"
	exit 0
fi
owner=$NOOK_TEST_USER other=$NOOK_OTHER_USER
ouid=$(id -u "$owner")
ohome=$(getent passwd "$owner" | cut -d: -f6)

# a scratch directory the owner owns and everyone may read
W=$(mktemp -d /tmp/nook-otheruser.XXXXXX)
mkdir "$W/tmp" "$W/out"
chown -R "$owner" "$W"
chmod 0755 "$W" "$W/out"
trap 'rm -rf "$T" "$W"' EXIT
PATHS=/usr/sbin:/usr/bin:/sbin:/bin
as_owner() {
	runuser -u "$owner" -- env -i HOME="$ohome" PATH=$PATHS LANG=C.UTF-8 TMPDIR="$W/tmp" \
		NOOK_PROFILE_PATH="$NOOK_PROFILE_PATH" NOOK_HOLDER_IDLE=15 "$@"
}
as_other() { runuser -u "$other" -- env -i HOME=/ PATH=$PATHS LANG=C.UTF-8 "$@"; }

# ---------------------------------------------------------------- published ports
# serve.py: in the container, answer UDP datagrams on 5353 and TCP
# connections on 8000 with "container ..."; ends when /tmp/out/stop appears
cat > "$W/serve.py" <<'PYEOF'
import os, select, socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("0.0.0.0", 5353))
t = socket.socket()
t.bind(("0.0.0.0", 8000))
t.listen(8)
open("/tmp/out/ready", "w").close()
end = time.time() + 90
while time.time() < end and not os.path.exists("/tmp/out/stop"):
    r, _, _ = select.select([u, t], [], [], 0.2)
    if u in r:
        d, a = u.recvfrom(2048)
        u.sendto(b"container " + d, a)
    if t in r:
        c, _ = t.accept()
        c.sendall(b"container tcp")
        c.close()
PYEOF
# grab.py PROTO ADDR PORT OPTS SECONDS: the attack. Bind ADDR:PORT with the
# socket options OPTS (reuseaddr, reuseport, both); print "refused ERRNO",
# or "bound" and then (UDP) what arrives within SECONDS, answered as "thief"
cat > "$W/grab.py" <<'PYEOF'
import socket, sys, time
proto, addr, port, opts, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM)
if opts in ("reuseaddr", "both"):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if opts in ("reuseport", "both"):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
try:
    s.bind((addr, port))
    if proto == "tcp":
        s.listen(8)
except OSError as e:
    print("refused", e.errno)
    sys.exit(0)
print("bound", flush=True)
if proto == "udp":
    s.settimeout(0.2)
    end = time.time() + secs
    while time.time() < end:
        try:
            d, a = s.recvfrom(2048)
        except socket.timeout:
            continue
        print("got", d.decode(errors="replace"), flush=True)
        s.sendto(b"thief " + d, a)
PYEOF
# ask.py PROTO PORT: what 127.0.0.1:PORT answers ("ping" for UDP, retrying)
cat > "$W/ask.py" <<'PYEOF'
import socket, sys, time
proto, port = sys.argv[1], int(sys.argv[2])
err = "no answer"
for i in range(30):
    try:
        if proto == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(0.3)
            s.sendto(b"ping", ("127.0.0.1", port))
            print(s.recv(2048).decode(errors="replace"))
        else:
            c = socket.create_connection(("127.0.0.1", port), 2)
            c.settimeout(2)
            print(c.recv(200).decode(errors="replace"))
        sys.exit(0)
    except OSError as e:
        err = e
    time.sleep(0.1)
print("ERROR", err)
PYEOF
chmod 0644 "$W"/*.py

BASE=$((31000 + ($$ % 1000) * 8))
modes=slirp
if command -v pasta >/dev/null; then modes="$modes pasta"; else t_skip "pasta" "pasta (package passt) is not installed"; fi
i=0
for m in $modes; do
	PT=$((BASE + i)) PU=$((BASE + i + 1)); i=$((i + 2))
	rm -f "$W/out/ready" "$W/out/stop"
	as_owner "$NOOK" run --userns self --network "$m" -v "$W:/tmp/out-ro" -v "$W/out:/tmp/out" \
		-p "127.0.0.1:$PT:8000" -p "127.0.0.1:$PU:5353/udp" -- python3 /tmp/out-ro/serve.py \
		>"$W/run.log" 2>&1 </dev/null &
	runpid=$!
	wait_file "$W/out/ready" 30
	got=$(python3 "$W/ask.py" udp "$PU"); got_t=$(python3 "$W/ask.py" tcp "$PT")
	if [ "$got $got_t" = "container ping container tcp" ]; then t_ok "$m: the owner's published TCP and UDP ports answer"
	else t_fail "$m: the owner's published TCP and UDP ports answer" "udp: $got; tcp: $got_t; $(cat "$W/run.log")"; fi

	for proto in udp tcp; do
		port=$PU; [ $proto = tcp ] && port=$PT
		for addr in 127.0.0.1 0.0.0.0; do
			for opts in reuseaddr reuseport both; do
				res=$(as_other python3 "$W/grab.py" $proto $addr "$port" $opts 0 2>&1)
				chkre "$m: $other cannot bind $proto $addr:$port ($opts) that $owner published" '^refused 98$' "$res"
			done
		done
	done
	# the datagrams go to the container, never to the other user
	as_other python3 "$W/grab.py" udp 127.0.0.1 "$PU" reuseaddr 3 >"$W/grab.out" 2>&1 &
	gpid=$!
	sleep 0.5
	got=$(python3 "$W/ask.py" udp "$PU")
	wait "$gpid"
	chk "$m: a datagram to the published UDP port is answered by the container" "container ping" "$got"
	chknore "$m: the other user receives none of it" '^got' "$(cat "$W/grab.out")"

	touch "$W/out/stop"
	reap "$runpid" 20
	chk "$m: the owner's container ends normally" 0 "$st"
done

# the owner's state home: a scratch HOME, as the test cannot tell whether
# the real one holds containers of the owner's own
OH=$W/home
as_owner mkdir -m 0700 "$OH"
# own CMD...: CMD as the owner with that HOME and no XDG_RUNTIME_DIR (a
# script, so that nkx can run it under timeout)
cat > "$W/own" <<OWNEOF
#!/bin/sh
exec runuser -u "$owner" -- env -i HOME="$OH" PATH=$PATHS LANG=C.UTF-8 TMPDIR="$W/tmp" \\
	NOOK_PROFILE_PATH="$NOOK_PROFILE_PATH" NOOK_HOLDER_IDLE=15 "\$@"
OWNEOF
chmod 0755 "$W/own"
own() { "$W/own" "$@"; }

# ---------------------------------------------------------------- the overlay's work directory
# The owner's upper directory sits in a directory others may write to (a
# sticky one, as /tmp): the other user creates UPPER.work there first, open
# to all, to watch or swap the overlay's files. nook must refuse it.
mkdir -m 1777 "$W/shared"
chmod 1777 "$W/shared"
as_owner sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$W/lower" >"$W/mkrootfs.log" 2>&1 ||
	t_fail "build the busybox test rootfs" "$(cat "$W/mkrootfs.log")"
as_owner mkdir "$W/shared/up"
as_other mkdir -m 0777 "$W/shared/up.work"
as_other chmod 0777 "$W/shared/up.work"
for drv in kernel fuse; do
	printf 'rootfs:\n  overlay:\n    driver: %s\n    upper: "%s"\n    lower: ["%s"]\n' \
		"$drv" "$W/shared/up" "$W/lower" > "$W/ovl-$drv.yaml"
	chmod 0644 "$W/ovl-$drv.yaml"
	nkx "$W/own" "$NOOK" run "$W/ovl-$drv.yaml" -- /bin/true
	chk_error "$drv: an UPPER.work that $other created is refused, naming it" 125 \
		"overlay work directory $W/shared/up.work belongs to uid $(id -u "$other"), not to you"
done
chk "$other's UPPER.work was not used" "" "$(ls -A "$W/shared/up.work")"

# ---------------------------------------------------------------- the state directory
# The other user creates the old fallback state directory first (and the
# old layout below it); the owner, without XDG_RUNTIME_DIR, still runs a
# named container, finds it with ps and execs into it.
old=/tmp/nook-run-$ouid
if [ -e "$old" ] && [ "$(stat -c %U "$old")" = "$owner" ]; then
	mv "$old" "$old.saved.$$"   # the owner's own, from an older nook
fi
if [ ! -e "$old" ]; then
	as_other mkdir -m 0700 "$old"
	as_other mkdir -p -m 0700 "$old/nook/containers"
fi
if [ "$(stat -c %U "$old")" = "$other" ]; then t_ok "$other created $old first"
else t_fail "$other created $old first" "$(ls -ld "$old")"; fi
rm -f "$W/out/ready"
own "$NOOK" run --name otheruser-x -v "$W/out:/tmp/out" -- sh -c 'touch /tmp/out/ready; exec sleep 60' \
	>"$W/run.log" 2>&1 </dev/null &
runpid=$!
wait_file "$W/out/ready" 30
nkx "$W/own" "$NOOK" ps -q
chk "without XDG_RUNTIME_DIR, despite $old: nook ps lists the named container" otheruser-x "$out"
nkx "$W/own" "$NOOK" exec otheruser-x echo inside
chk "without XDG_RUNTIME_DIR, despite $old: nook exec reaches it" inside "$out"
nkx "$W/own" "$NOOK" stop --time 1 otheruser-x
reap "$runpid" 20
chk "the named container ran and stopped (143)" 143 "$st"
[ "$st" = 143 ] || sed 's/^/# /' "$W/run.log"
if [ -z "$(ls -A "$old/nook/containers" 2>/dev/null)" ]; then t_ok "nothing was written into $other's $old"
else t_fail "nothing was written into $other's $old" "$(ls -lAR "$old")"; fi
# tidy up what the other user made, and put back the owner's own
[ "$(stat -c %U "$old")" = "$other" ] && rm -rf "$old"
[ -e "$old.saved.$$" ] && mv "$old.saved.$$" "$old"

t_done
