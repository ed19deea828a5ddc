#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# holder.sh - the user namespace holder (run/holder.c) against what only
# root can do (run as root, see README): a change of /etc/subuid and
# /etc/subgid reaches the next container (the holder is replaced; a new
# range is used), and the holder's socket answers nobody but its user
# (root connects past the file permissions; SO_PEERCRED refuses it).
# It edits /etc/subuid and /etc/subgid (a touch, then a second range for
# $NOOK_TEST_USER, removed again at the end): never run it while that user's
# unprivileged tests run, which would see the extra range.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
if [ "$(id -u)" != 0 ] || [ -z "$NOOK_TEST_USER" ]; then
	echo "1..0 # SKIP needs root with NOOK_TEST_USER (see tests/integration/asroot/README)"
	exit 0
fi
for c in python3 newuidmap; do
	if ! command -v $c >/dev/null; then
		echo "1..0 # SKIP $c is needed"
		exit 0
	fi
done
owner=$NOOK_TEST_USER
ouid=$(id -u "$owner") ogid=$(id -g "$owner")
if ! grep -q "^$owner:" /etc/subuid || ! grep -q "^$owner:" /etc/subgid; then
	echo "1..0 # SKIP $owner has no subordinate range"
	exit 0
fi
W=$(mktemp -d /tmp/nook-holder.XXXXXX)
mkdir -m 0700 "$W/state"
mkdir -m 0777 "$W/data"
mkdir "$W/tmp" "$W/home"
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$W/rootfs" >/dev/null 2>&1
chown -R "$owner" "$W/state" "$W/tmp" "$W/home" "$W/rootfs"
chmod 0755 "$W"
PATHS=/usr/sbin:/usr/bin:/sbin:/bin
# (a script, not a function: nkx runs it under timeout)
printf '#!/bin/sh\nexec runuser -u "%s" -- env -i HOME=%s PATH=%s LANG=C.UTF-8 TMPDIR="%s" XDG_STATE_HOME="%s" NOOK_HOLDER_IDLE=60 NOOK_PROFILE_PATH="%s" "$@"\n' \
	"$owner" "$W/home" "$PATHS" "$W/tmp" "$W/state" "$NOOK_PROFILE_PATH" > "$W/as-owner"
chmod 0755 "$W/as-owner"
as_owner() { "$W/as-owner" "$@"; }
# subid USER add|del START COUNT: a line of USER in /etc/subuid and
# /etc/subgid, written as a new file renamed over the old (as usermod does;
# usermod itself refuses while the user has processes, the holder included)
subid() {
	python3 - "$@" <<'PY'
import os, sys
user, op, start, count = sys.argv[1:5]
line = "%s:%s:%s\n" % (user, start, count)
for f in ("/etc/subuid", "/etc/subgid"):
    st = os.stat(f)
    lines = open(f).readlines()
    if op == "add":
        lines = lines + [line] if line not in lines else lines
    else:
        lines = [l for l in lines if l != line]
    tmp = f + ".nook-test"
    with open(tmp, "w") as o:
        o.writelines(lines)
    os.chmod(tmp, st.st_mode & 0o7777)
    os.chown(tmp, st.st_uid, st.st_gid)
    os.rename(tmp, f)
PY
}
holder_pid() { as_owner "$NOOK" ps --all 2>/dev/null | awk '$1 == "-userns-holder-" { print $2 }'; }
added=""
cleanup() {
	p=$(holder_pid); [ -n "$p" ] && kill "$p" 2>/dev/null
	[ -n "$added" ] && subid "$owner" del $added
	rm -rf "$T" "$W"
}
trap cleanup EXIT

nkx "$W/as-owner" "$NOOK" run --verbose --rootfs "$W/rootfs" -- /bin/true
chkre "the owner's run starts a holder" 'holder started' "$err"
hp=$(holder_pid)
chkre "nook ps --all shows it" '^[0-9]+$' "$hp"

# ---------------------------------------------------------------- SO_PEERCRED
# root gets past the directory's and the socket's modes; the holder must
# still refuse it (another host uid)
res=$(python3 - "$W/state/nook/userns-holder/sock" <<'PY'
import array, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(3)
s.connect(sys.argv[1])
try:
    # the holder may close before our request is even sent
    s.send(b"G")
    msg, anc, flags, addr = s.recvmsg(256, socket.CMSG_SPACE(4))
    print("reply" if msg else "refused", "fd" if anc else "nofd")
except (BrokenPipeError, ConnectionResetError, socket.timeout) as e:
    print("refused", type(e).__name__)
PY
)
chkre "another uid (root) connecting to the holder gets nothing" '^refused' "$res"
nkx "$W/as-owner" "$NOOK" run --rootfs "$W/rootfs" -- /bin/true
chk "... and the holder still serves its user" "0 $hp" "$rc $(holder_pid)"

# ---------------------------------------------------------------- /etc/subuid changes
touch /etc/subuid /etc/subgid
nkx "$W/as-owner" "$NOOK" run --verbose --rootfs "$W/rootfs" -- /bin/true
chkre "a touched /etc/subuid: the next run replaces the holder" "holder pid $hp replaced: /etc/subuid or /etc/subgid changed" "$err"
hp2=$(holder_pid)
if [ -n "$hp2" ] && [ "$hp2" != "$hp" ]; then t_ok "... by a new one"; else t_fail "... by a new one" "old $hp new '$hp2'"; fi

# a new range, larger than any the owner has, above every range in the files
top=$(awk -F: '{ e = $2 + $3; if (e > m) m = e } END { print m }' /etc/subuid /etc/subgid)
start=$(( (top / 65536 + 2) * 65536 ))
count=$(( $(awk -F: -v u="$owner" '$1 == u && $3 > m { m = $3 } END { print m + 0 }' /etc/subuid /etc/subgid) + 65536 ))
if subid "$owner" add "$start" "$count"; then
	added="$start $count"
	nkx "$W/as-owner" "$NOOK" run --verbose --rootfs "$W/rootfs" -v "$W/data:/data" -- /bin/sh -c 'echo x > /data/f; chown 1000:1000 /data/f'
	chk "a new range: the run works" 0 "$rc"
	chkre "... through a new holder" 'holder started' "$err"
	chk "... and a file chowned to 1000 inside lands in the new range" "$((start + 999)):$((start + 999))" "$(stat -c %u:%g "$W/data/f")"
	subid "$owner" del $added && added=""
	nkx "$W/as-owner" "$NOOK" run --verbose --rootfs "$W/rootfs" -v "$W/data:/data" -- /bin/sh -c 'echo y > /data/g; chown 1000:1000 /data/g'
	chkre "the range removed again: a new holder" 'holder started' "$err"
	nr=$(awk -F: -v u="$owner" '$1 == u && $3 > m { m = $3; s = $2 } END { print s }' /etc/subuid)
	chk "... and the old range" "$((nr + 999))" "$(stat -c %u "$W/data/g")"
else
	t_fail "add $start $count for $owner to /etc/subuid and /etc/subgid"
fi
t_done
