#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# userns-holder.sh - the per-user user namespace holder (run/holder.c):
# containers with a subordinate-range map get their own user namespace
# inside the holder's; the same host ids as through newuidmap; the holder
# starts on demand, is listed by `nook ps --all`, is not dumpable, exits
# when idle, is replaced after SIGKILL, and nook falls back to
# newuidmap/newgidmap (--verbose says why) when it cannot be used.
# (A change of /etc/subuid is tested as root: asroot/holder-subuid.sh.)
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

t_subids
if [ "$have_subuid" != 1 ]; then
	echo "1..0 # SKIP no subordinate range for $me in /etc/subuid and /etc/subgid, or no newuidmap/newgidmap"
	exit 0
fi
R=$T/rootfs
if ! sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1; then
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
	t_done
fi
mkdir -p "$R/data"

# a state directory of this script's own: its holders are its own
unset XDG_RUNTIME_DIR
XDG_STATE_HOME=$T/state
mkdir -m 0700 "$XDG_STATE_HOME"
export XDG_STATE_HOME
HD=$XDG_STATE_HOME/nook/userns-holder
NOOK_HOLDER_IDLE=60
export NOOK_HOLDER_IDLE

# the holder's pid from nook ps --all ("" when none)
holder_pid() { "$NOOK" ps --all 2>/dev/null | awk '$1 == "-userns-holder-" { print $2 }'; }
# is PID a live process (not a zombie) called nook-holder?
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	[ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = nook-holder ]
}
stop_holder() { _p=$(holder_pid); [ -n "$_p" ] && kill "$_p" 2>/dev/null; wait_dead "$_p"; }
wait_dead() { _w=0; while alive "$1" && [ $_w -lt 100 ]; do sleep 0.05; _w=$((_w + 1)); done; ! alive "$1"; }
trap 'stop_holder; rm -rf "$T"' EXIT

# ---------------------------------------------------------------- on demand
chk "no holder before the first run" "" "$(holder_pid)"
nk run --verbose --rootfs "$R" -- /bin/true
chk "a run with a subordinate range succeeds" 0 "$rc"
chkre "--verbose says it started the holder" '^nook: user namespace holder started \(pid [0-9]+' "$err"
chkre "--verbose says the container's namespace is inside the holder's" '^nook: user namespace: subuid mode: .*inside the holder' "$err"
hp=$(holder_pid)
chkre "nook ps --all lists the holder" '^[0-9]+$' "$hp"
if alive "$hp"; then t_ok "the holder runs, called nook-holder"; else t_fail "the holder runs, called nook-holder" "pid '$hp'"; fi
out=$("$NOOK" ps --all)
chkre "nook ps --all shows its ranges and idle time" "uids 1-$subuid_count = $subuid_start-$((subuid_start + subuid_count - 1)).*exits after 60s idle" "$out"
out=$("$NOOK" ps)
chknore "nook ps without --all does not" 'holder' "$out"
if cat "/proc/$hp/environ" >/dev/null 2>&1 || ls "/proc/$hp/fd" >/dev/null 2>&1; then
	t_fail "the holder is not dumpable (its environ and fds are closed to its own user)"
else
	t_ok "the holder is not dumpable (its environ and fds are closed to its own user)"
fi
chk "the holder keeps no capability and has no_new_privs" "0000000000000000 0000000000000000 1" \
	"$(awk '/^CapEff:/ { e = $2 } /^CapBnd:/ { b = $2 } /^NoNewPrivs:/ { n = $2 } END { print e, b, n }' "/proc/$hp/status")"
chk "the holder's socket is in its private directory" "700 socket" \
	"$(stat -c %a "$HD" 2>/dev/null) $(stat -c %F "$HD/sock" 2>/dev/null | cut -d' ' -f1)"

nk run --verbose --rootfs "$R" -- /bin/true
chknore "a second run reuses the holder" 'holder started' "$err"
chk "... the same one" "$hp" "$(holder_pid)"

# ------------------------------------------------- a user namespace each
rm -f "$T/a" "$T/b" "$T/go"
mkdir -p "$T/x" && chmod 0777 "$T/x"
"$NOOK" run --rootfs "$R" -v "$T/x:/x" -- /bin/sh -c 'readlink /proc/self/ns/user > /x/a.t && mv /x/a.t /x/a; i=0; while [ ! -e /x/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done' </dev/null >/dev/null 2>&1 &
pa=$!
"$NOOK" run --rootfs "$R" -v "$T/x:/x" -- /bin/sh -c 'readlink /proc/self/ns/user > /x/b.t && mv /x/b.t /x/b; i=0; while [ ! -e /x/go ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done' </dev/null >/dev/null 2>&1 &
pb=$!
wait_file "$T/x/a" 10 && wait_file "$T/x/b" 10
a=$(cat "$T/x/a" 2>/dev/null) b=$(cat "$T/x/b" 2>/dev/null)
touch "$T/x/go"
wait "$pa"; sa=$?
wait "$pb"; sb=$?
chk "two concurrent containers ran" "0 0" "$sa $sb"
chkre "each reads its user namespace" '^user:\[[0-9]+\]$' "$a"
if [ -n "$a" ] && [ "$a" != "$b" ]; then t_ok "two concurrent containers have distinct user namespaces ($a, $b)"
else t_fail "two concurrent containers have distinct user namespaces" "a=$a b=$b"; fi
chknore "... neither is nook's own" "^$(readlink /proc/self/ns/user | sed 's/[][]/\\&/g')\$" "$a
$b"

# ------------------------------------------------ the same host ids
mkdir -p "$T/own-h" "$T/own-n" && chmod 0777 "$T/own-h" "$T/own-n"
files='echo x > /data/by-root; echo y > /data/chowned; chown 1000:1000 /data/chowned; mkdir /data/d; chown 65536:65536 /data/d'
nk run --rootfs "$R" -v "$T/own-h:/data" -- /bin/sh -c "$files"
chk "holder: container root writes a bound directory" 0 "$rc"
nk run --rootfs "$R" --uid 1000 --gid 1000 -v "$T/own-h:/data" -- /bin/sh -c 'echo z > /data/by-1000'
NOOK_HOLDER_IDLE=0 nk run --verbose --rootfs "$R" -v "$T/own-n:/data" -- /bin/sh -c "$files"
chkre "NOOK_HOLDER_IDLE=0: newuidmap writes the maps, and --verbose says why" \
	'^nook: user namespace holder not used: NOOK_HOLDER_IDLE=0 turns it off; newuidmap/newgidmap write the maps' "$err"
NOOK_HOLDER_IDLE=0 nk run --rootfs "$R" --uid 1000 --gid 1000 -v "$T/own-n:/data" -- /bin/sh -c 'echo z > /data/by-1000'
owners() { for f in by-root chowned d by-1000; do stat -c "$f %u:%g" "$1/$f" 2>/dev/null || echo "$f missing"; done; }
chk "files land on the same host ids through the holder as through newuidmap" "$(owners "$T/own-n")" "$(owners "$T/own-h")"
chk "... which are the caller and the subordinate range" \
	"by-root $myuid:$mygid chowned $((subuid_start + 999)):$((subgid_start + 999)) d $((subuid_start + 65535)):$((subgid_start + 65535)) by-1000 $((subuid_start + 999)):$((subgid_start + 999))" \
	"$(owners "$T/own-h" | tr '\n' ' ' | sed 's/ $//')"
# the map as the host sees it: the container's namespace is two levels down
"$NOOK" run --rootfs "$R" -v "$T/x:/x" -- /bin/sh -c 'touch /x/up; i=0; while [ ! -e /x/down ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done' </dev/null >/dev/null 2>&1 &
pc=$!
rm -f "$T/x/up" "$T/x/down"
wait_file "$T/x/up" 10
cpid=""
for p in $(pgrep -u "$myuid" -x sh); do
	[ "$(readlink "/proc/$p/ns/user" 2>/dev/null)" != "$(readlink /proc/self/ns/user)" ] &&
		tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null | grep -q '/x/down' && cpid=$p
done
hostmap=$(cat "/proc/$cpid/uid_map" 2>/dev/null | tr -s ' ' | sed 's/^ //' | tr '\n' ';')
touch "$T/x/down"
wait "$pc"
chk "the host reads the container's uid map as the subordinate range" "0 $myuid 1;1 $subuid_start $subuid_count;" "$hostmap"
# the network namespace (built by the holder's intermediate) belongs to the
# container's user namespace: its root configures it and writes its sysctls
# (a changed MTU; the ping range nook wrote: every mapped gid)
nk run --rootfs "$R" --cap-add NET_ADMIN -- /bin/sh -c 'ip link set lo mtu 1500 && cat /sys/class/net/lo/mtu; cat /proc/sys/net/ipv4/ping_group_range'
chk "holder: the network namespace is the container's own (its root sets lo's MTU; nook wrote its ping range)" \
	"1500 0 $subuid_count" "$(echo $out)"

# ---------------------------------------------------------------- SIGKILL
kill -9 "$hp"
wait_dead "$hp"
if [ -S "$HD/sock" ]; then t_ok "a killed holder leaves its socket"; else t_fail "a killed holder leaves its socket" "$(ls -la "$HD")"; fi
nk run --verbose --rootfs "$R" -- /bin/true
chk "after kill -9 of the holder a run works" 0 "$rc"
chkre "... and starts a new holder" '^nook: user namespace holder started' "$err"
hp2=$(holder_pid)
if alive "$hp2" && [ "$hp2" != "$hp" ]; then t_ok "... a new process ($hp2)"; else t_fail "... a new process" "old $hp new '$hp2'"; fi
chk "... one socket in the holder's directory" "sock" "$(ls "$HD")"

# ---------------------------------------------------------------- idle exit
stop_holder
chk "SIGTERM: the holder exits and removes its socket" "" "$(ls "$HD")"
NOOK_HOLDER_IDLE=1 nk run --verbose --rootfs "$R" -- /bin/true
chkre "NOOK_HOLDER_IDLE=1: a holder that exits after 1s" 'holder started \(pid [0-9]+, exits after 1s idle' "$err"
hp3=$(holder_pid)
sleep 1.5
if wait_dead "$hp3"; then t_ok "an idle holder exits by itself"; else t_fail "an idle holder exits by itself" "pid $hp3 still runs"; fi
chk "... and leaves nothing in its directory" "" "$(ls "$HD")"
chk "... nor in nook ps --all" "" "$(holder_pid)"

# ---------------------------------------------------------------- fallback
mkdir -m 0700 "$T/fb"
mkdir -p "$T/fb/nook" && chmod 0700 "$T/fb/nook"
: > "$T/fb/nook/userns-holder"
XDG_STATE_HOME=$T/fb nk run --verbose --rootfs "$R" -v "$T/own-n:/data" -- /bin/sh -c 'echo w > /data/fallback; cat /proc/self/uid_map'
chk "a holder that cannot be made: the run still works" 0 "$rc"
chkre "... --verbose says why newuidmap/newgidmap wrote the maps" \
	'^nook: user namespace holder not used: cannot open its directory userns-holder: not a directory; newuidmap/newgidmap write the maps' "$err"
chk "... with the usual map" "$(printf '0 %s 1\n1 %s %s' "$myuid" "$subuid_start" "$subuid_count")" "$(printf '%s\n' "$out" | tr -s ' ' | sed 's/^ //')"
chk "... and the usual owner" "$myuid:$mygid" "$(stat -c %u:%g "$T/own-n/fallback" 2>/dev/null)"

NOOK_HOLDER_IDLE=soon nk run --rootfs "$R" -- /bin/true
chk_error "a bad NOOK_HOLDER_IDLE is refused" 125 "NOOK_HOLDER_IDLE='soon' is not a number of seconds"
# self mode and the host's / never need the holder
nk run --verbose --userns self --rootfs "$R" -- /bin/true
chknore "self mode does not start a holder" 'holder' "$err"
chk "... none runs" "" "$(holder_pid)"

t_clean "holder"
t_done
