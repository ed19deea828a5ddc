#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# desktop.sh - a graphical app's sandbox (issue 17) with real components
# this script starts itself: a session dbus-daemon with a test service
# (python3 + GLib) owning names, xdg-dbus-proxy started by nook, Xvfb with
# a cookie, and X clients (xdpyinfo, xlogo, xwd) from inside the sandbox.
#
# D-Bus: a call the policy allows reaches the service, a call to a name it
# does not gets an error at once (the service answers both when called
# directly); the app owns its app_id and nothing else; the real socket is
# not bound; the proxy dies with nook, even after SIGKILL. X11: only the
# display's socket and a wildcard cookie, which works whatever the
# container's hostname; a screenshot of xlogo drawn from inside is not
# blank. Bad input is one "nook: " line and status 125.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

t_tag_runs desktop
t_need dbus-daemon "no dbus-daemon (apt-get install dbus-daemon)"
t_need xdg-dbus-proxy "no xdg-dbus-proxy (apt-get install xdg-dbus-proxy)"
t_need gdbus "no gdbus (libglib2.0-bin)"
python3 -c 'from gi.repository import Gio' 2>/dev/null || { echo "1..0 # SKIP no python3-gi for the test D-Bus service"; exit 0; }

XDG=$T/xdg
mkdir -p "$XDG" "$T/home" && chmod 700 "$XDG"
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

# ---------------------------------------------------------------- the bus
dbus-daemon --session --address="unix:path=$T/bus" --print-address=3 --nofork --nopidfile 3>"$T/bus.addr" 2>"$T/bus.log" &
pids="$pids $!"
i=0; while [ ! -s "$T/bus.addr" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/bus.addr" ] || { echo "Bail out! dbus-daemon did not start"; exit 1; }
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/bus
export DBUS_SESSION_BUS_ADDRESS
python3 "$NOOK_SRCDIR/tests/integration/dbus_service.py" org.nook.Allowed org.nook.Secret \
	org.freedesktop.Notifications > "$T/svc.out" 2>&1 &
pids="$pids $!"
i=0; while ! grep -q ready "$T/svc.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q ready "$T/svc.out" || { echo "Bail out! the test D-Bus service did not start: $(cat "$T/svc.out")"; exit 1; }

echo_call() { # NAME: the service's Echo method, bounded
	echo "timeout 10 gdbus call --session -d $1 -o /org/nook/Test -m org.nook.Test.Echo hi"
}
out=$(eval "$(echo_call org.nook.Secret)" 2>&1)
t_eq "on the host, the service answers on org.nook.Secret (the check can tell)" "('echo:hi',)" "$out"

cat > "$T/talk.yaml" <<EOP
description: the test's app
extends: desktop
app_id: org.nook.App
dbus:
  session:
    talk: [org.nook.Allowed]
  required: true
EOP
run_desk() { # PROFILE CMD: nook run with the test's environment (--verbose when V=1)
	_p=$1; shift
	HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run ${V:+--verbose} "$_p" -- /bin/sh -c "$*"
}
V=1

run_desk "$T/talk.yaml" "$(echo_call org.nook.Allowed)"
chk "dbus: a call to a name the policy allows reaches the service" "('echo:hi',)" "$out"
chkre "dbus: --verbose shows the proxy's policy" "starting xdg-dbus-proxy --fd=[0-9]+ unix:path=$T/bus [^ ]+/bus --filter .*--talk=org.nook.Allowed --own=org.nook.App --own=org.nook.App.\\*" "$err"

start=$(date +%s)
run_desk "$T/talk.yaml" "$(echo_call org.nook.Secret) 2>&1; echo status=\$?"
took=$(( $(date +%s) - start ))
chkre "dbus: a call to a name outside the policy gets an error" "Error.*(ServiceUnknown|AccessDenied).*status=1" "$(printf '%s' "$out" | tr '\n' ' ')"
t_match "dbus: ... at once, not after a time-out (${took}s)" "^[0-4]$" "$took"
run_desk "$T/talk.yaml" "$(echo_call org.freedesktop.Notifications) 2>&1; echo status=\$?"
chkre "dbus: a name the test profile's own list does not name but desktop's does (Notifications) is allowed" "echo:hi.*status=0" "$(printf '%s' "$out" | tr '\n' ' ')"

rn() { # NAME: RequestName, 1 = primary owner
	echo "timeout 10 gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m org.freedesktop.DBus.RequestName $1 0 2>&1; echo status=\$?"
}
run_desk "$T/talk.yaml" "$(rn org.nook.App)"
chkre "dbus: the app may own its app_id" "\\(uint32 1,\\).*status=0" "$(printf '%s' "$out" | tr '\n' ' ')"
run_desk "$T/talk.yaml" "$(rn org.nook.Other)"
chkre "dbus: ... and no other name" "Error.*status=1" "$(printf '%s' "$out" | tr '\n' ' ')"
run_desk "$T/talk.yaml" "timeout 10 gdbus call --session -d org.freedesktop.DBus -o /org/freedesktop/DBus -m org.freedesktop.DBus.ListNames"
chknore "dbus: names outside the policy are not even listed" "org.nook.Secret" "$out"
chkre "dbus: ... the allowed one is" "org.nook.Allowed" "$out"

HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --set dbus.log=true "$T/talk.yaml" -- /bin/sh -c "$(echo_call org.nook.Secret) >/dev/null 2>&1; $(echo_call org.nook.Allowed)"
chk "dbus: with dbus.log the app still works" "('echo:hi',)" "$out"
chkre "dbus: dbus.log prints the proxy's log of the calls on nook's stderr" "org\\.nook\\.Allowed.*" "$err"
chkre "dbus: ... the denied one included" "org\\.nook\\.Secret" "$err"

# the default desktop policy: portals and notifications only
run_desk desktop "$(echo_call org.nook.Allowed) 2>&1; echo status=\$?; $(echo_call org.freedesktop.Notifications)"
chkre "dbus: desktop denies a name it does not list" "Error.*status=1" "$(printf '%s' "$out" | tr '\n' ' ')"
chkre "dbus: desktop allows org.freedesktop.Notifications" "echo:hi" "$out"
chkre "dbus: desktop talks to the portals" "--talk=org.freedesktop.portal.\\* --talk=org.freedesktop.Notifications" "$err"

# only the proxy's socket is there, bound from nook's private directory
run_desk "$T/talk.yaml" 'echo "$DBUS_SESSION_BUS_ADDRESS"; ls -A "$XDG_RUNTIME_DIR"; awk -v t="$XDG_RUNTIME_DIR/bus" "\$5 == t { print \$4 }" /proc/self/mountinfo; ls '"$T"'/bus 2>&1'
chk "dbus: DBUS_SESSION_BUS_ADDRESS points to the runtime dir's bus" "unix:path=$XDG/bus" "$(printf '%s\n' "$out" | sed -n 1p)"
chk "dbus: the runtime dir holds only the bus" "bus" "$(printf '%s\n' "$out" | sed -n 2p)"
chkre "dbus: the bus in the container is the proxy's socket" "/nook-desktop-[A-Za-z0-9]+/bus$" "$(printf '%s\n' "$out" | sed -n 3p)"
chkre "dbus: the real socket is not in the container" "No such file" "$(printf '%s\n' "$out" | sed -n 4p)"

# the system bus, through the same proxy: a second dbus-daemon stands in
dbus-daemon --session --address="unix:path=$T/sysbus" --print-address=3 --nofork --nopidfile 3>"$T/sysbus.addr" 2>>"$T/bus.log" &
pids="$pids $!"
i=0; while [ ! -s "$T/sysbus.addr" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/sysbus python3 "$NOOK_SRCDIR/tests/integration/dbus_service.py" org.nook.Sys org.nook.SysHidden > "$T/sys.out" 2>&1 &
pids="$pids $!"
i=0; while ! grep -q ready "$T/sys.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
printf 'extends: desktop\ndbus: {system: {talk: [org.nook.Sys]}}\n' > "$T/sys.yaml"
sys_call() { echo "timeout 10 gdbus call --system -d $1 -o /org/nook/Test -m org.nook.Test.Echo hi 2>&1; echo status=\$?"; }
DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/sysbus run_desk "$T/sys.yaml" "echo \$DBUS_SYSTEM_BUS_ADDRESS; $(sys_call org.nook.Sys); $(sys_call org.nook.SysHidden)"
chkre "dbus: system bus: the proxy's socket at /run/dbus/system_bus_socket, an allowed call answered" \
	"^unix:path=/run/dbus/system_bus_socket echo:hi.*status=0" "$(printf '%s' "$out" | tr '\n' ' ' | tr -d "()',")"
chkre "dbus: system bus: a name outside its policy gets an error" "Error.*status=1 *$" "$(printf '%s' "$out" | tr '\n' ' ')"

# --- bad input
V=
cat > "$T/badname.yaml" <<EOP
extends: desktop
dbus:
  session:
    talk: [org.nook.Allowed, "org..x"]
EOP
run_desk "$T/badname.yaml" true
chk_error "dbus: a bad name is refused with its file and line" 125 "badname.yaml:4.*invalid D-Bus name 'org..x'.*empty element"
cat > "$T/badrule.yaml" <<EOP
extends: desktop
dbus: {session: {call: ["org.nook.Allowed=org.nook.Test.Echo@nopath"]}}
EOP
run_desk "$T/badrule.yaml" true
chk_error "dbus: a bad call rule is refused" 125 "badrule.yaml:2.*invalid D-Bus rule.*object path"
printf 'extends: desktop\ndbus: {sesion: {talk: []}}\n' > "$T/typo.yaml"
run_desk "$T/typo.yaml" true
chk_error "dbus: a misspelt key gets a suggestion" 125 "typo.yaml:2.*sesion.*did you mean.*session"
printf 'extends: desktop\napp_id: 9lives\n' > "$T/appid.yaml"
run_desk "$T/appid.yaml" true
chk_error "dbus: a bad app_id is refused" 125 "appid.yaml:2.*invalid app_id '9lives'"
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/nobus run_desk "$T/talk.yaml" true
chk_error "dbus: required and no session bus: 125" 125 "no session bus: no bus listens at $T/nobus"
DBUS_SESSION_BUS_ADDRESS=unix:path=$T/nobus run_desk desktop 'echo ran; echo "${DBUS_SESSION_BUS_ADDRESS:-unset}"'
chk "dbus: not required (desktop) and no bus: the app runs without one" "ran unset" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
chkre "dbus: ... and a warning says so" "nook: warning: no session D-Bus" "$err"
mkdir -p "$T/bin" && ln -sf /bin/sh "$T/bin/sh"
nkx env HOME="$T/home" XDG_RUNTIME_DIR="$XDG" PATH="$T/bin" "$NOOK" run "$T/talk.yaml" -- /bin/true
chk_error "dbus: required and no xdg-dbus-proxy in PATH: 125 naming the package" 125 "xdg-dbus-proxy is not installed.*apt-get install xdg-dbus-proxy"
t_clean "dbus: after the runs"

# --- the proxy never outlives nook
HOME=$T/home XDG_RUNTIME_DIR=$XDG "$NOOK" run --timeout 60s --set 'process.env.keep+=["NOOK_TEST_TAG"]' "$T/talk.yaml" -- sleep 50 >/dev/null 2>&1 &
nookpid=$!
proxy=
i=0; while [ -z "$proxy" ] && [ $i -lt 100 ]; do proxy=$(pgrep -P "$nookpid" -x xdg-dbus-proxy); sleep 0.1; i=$((i + 1)); done
if [ -z "$proxy" ]; then
	t_fail "dbus: nook started xdg-dbus-proxy as its child"
else
	t_ok "dbus: nook started xdg-dbus-proxy as its child"
	kill -KILL "$nookpid"
	wait "$nookpid" 2>/dev/null
	i=0; while [ -e "/proc/$proxy" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if [ -e "/proc/$proxy" ]; then t_fail "dbus: the proxy is gone after SIGKILL of nook" "$(ps -o pid,ppid,args -p "$proxy")"
	else t_ok "dbus: the proxy is gone after SIGKILL of nook"; fi
fi
# ... nor a container stopped by its time-out
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --timeout 1s "$T/talk.yaml" -- sleep 30
chk "dbus: a container that times out: status 124" 124 "$rc"
chk "dbus: ... its proxy is gone with it" "" "$(pgrep -u "$(id -u)" -f "xdg-dbus-proxy --fd=[0-9]+ unix:path=$T/bus" 2>/dev/null)"
ls -d "$TMPDIR"/nook-desktop-* >/dev/null 2>&1 && left=yes || left=no
mkdir "$TMPDIR/nook-desktop-bench.keep" && touch "$TMPDIR/nook-desktop-bench.keep/file"
V=1 run_desk "$T/talk.yaml" true
chkre "dbus: the next nook removes the directory a killed nook left" "$([ $left = yes ] && echo 'removed .*/nook-desktop-' || echo .)" "$err"
[ -e "$TMPDIR/nook-desktop-bench.keep/file" ] && t_ok "dbus: ... and not a directory of the user's that only looks alike" || t_fail "dbus: ... and not a directory of the user's that only looks alike"
rm -rf "$TMPDIR/nook-desktop-bench.keep"
t_clean "dbus: after SIGKILL of nook"

# ---------------------------------------------------------------- Wayland
# weston's headless backend; desktop binds only its socket
# (wayland.socket). weston 10 (Debian 12) does not offer
# wp_security_context_v1: desktop's security_context auto falls back to
# the compositor's socket, required is an error. The protocol itself is
# tested against a fake compositor that offers it (wayland-secctx.sh).
wayland_tests() {
	if ! command -v weston >/dev/null || ! command -v wayland-info >/dev/null; then
		t_skip "wayland" "weston or wayland-info is not installed (weston wayland-utils)"
		return
	fi
	WL=wl-nook-$$
	XDG_RUNTIME_DIR=$XDG weston --backend=headless-backend.so --socket="$WL" --idle-time=0 >"$T/weston.log" 2>&1 &
	wpid=$!
	pids="$wpid $pids"
	i=0; while [ ! -S "$XDG/$WL" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	if [ ! -S "$XDG/$WL" ]; then
		t_fail "wayland: weston --backend=headless-backend.so started" "$(tail -5 "$T/weston.log")"
		return
	fi
	host=$(XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL wayland-info 2>&1 | grep -c "interface: ")
	HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL nk run --verbose desktop -- /bin/sh -c \
		'ls -A "$XDG_RUNTIME_DIR" | tr "\n" " "; echo; wayland-info | grep "interface: "'
	chk "wayland: the runtime dir holds only the compositor's socket and the bus" "bus $WL " "$(printf '%s\n' "$out" | sed -n 1p)"
	chkre "wayland: wayland-info from inside sees the compositor" "interface: 'wl_compositor'" "$out"
	chk "wayland: ... and every global the host's client sees" "$host" "$(printf '%s\n' "$out" | grep -c "interface: ")"
	if printf '%s\n' "$out" | grep -q wp_security_context_manager_v1; then
		echo "# wayland: this compositor offers wp_security_context_v1"
		chkre "wayland: --verbose says nook uses the compositor's security context" "nook: wayland: security context \\(sandbox engine nook" "$err"
	else
		echo "# wayland: this compositor offers no wp_security_context_v1 (weston 10)"
		chkre "wayland: security_context auto: --verbose says the compositor offers none" \
			"nook: wayland: the compositor offers no security context, wp_security_context_v1 \\($XDG/$WL\\): binding its socket as it is" "$err"
		HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL nk run --set wayland.security_context=required desktop -- /bin/sh -c 'echo ran'
		chk_error "wayland: security_context required and a compositor without it: 125" 125 \
			"wayland.security_context is required, but the compositor offers no security context, wp_security_context_v1 \\($XDG/$WL\\); set wayland.security_context: auto or off"
		chknore "wayland: ... and the app did not run" "ran" "$out"
	fi
	HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL nk run --set wayland.security_context=off desktop -- /bin/sh -c 'wayland-info | grep -c "interface: "'
	chk "wayland: security_context off: wayland-info from inside sees every global too" "$host" "$out"
	HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL nk run default -- /bin/sh -c 'wayland-info >/dev/null 2>&1; echo $?'
	chknore "wayland: default binds no compositor socket: wayland-info fails there" "^0$" "$out"
	kill "$wpid"; wait "$wpid" 2>/dev/null
}
wayland_tests
t_clean "wayland: after the runs"

# ---------------------------------------------------------------- the rest of the sandbox
# audio: stand-in sound servers (python3 listeners where PipeWire and
# PulseAudio put their sockets) and a PulseAudio cookie; no sound server
# is installed, and what nook does is bind the sockets, which this tests
mkdir -p "$XDG/pulse" "$T/home/.config/pulse"
head -c 256 /dev/urandom > "$T/home/.config/pulse/cookie"
cat > "$T/listen.py" <<'EOP'
import socket, sys, time
socks = []
for p in sys.argv[2:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind(p)
    s.listen(8)
    socks.append(s)
open(sys.argv[1], "w").close()
time.sleep(300)
EOP
python3 "$T/listen.py" "$T/audio.ready" "$XDG/pipewire-0" "$XDG/pulse/native" &
lpid=$!
pids="$lpid $pids"
wait_file "$T/audio.ready" 10 || t_fail "audio: the stand-in servers listen"
cat > "$T/conn.py" <<'EOP'
import socket, sys
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(p)
        print("ok")
    except OSError as e:
        print(e.strerror)
EOP
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run -v "$T/conn.py:/tmp/conn.py:ro" desktop -- /bin/sh -c \
	'python3 /tmp/conn.py "$PIPEWIRE_RUNTIME_DIR/pipewire-0" "${PULSE_SERVER#unix:}"; echo "$PULSE_SERVER"; cksum < "$PULSE_COOKIE"; echo x >> "$PULSE_COOKIE" 2>/dev/null || echo cookie-ro'
chk "audio: the PipeWire and PulseAudio sockets answer from inside, at the usual places, with the cookie read-only" \
	"ok ok unix:$XDG/pulse/native $(cksum < "$T/home/.config/pulse/cookie") cookie-ro" "$(printf '%s' "$out" | tr '\n' ' ')"
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run -v "$T/conn.py:/tmp/conn.py:ro" --set audio.pipewire=false --set audio.pulseaudio=false desktop -- /bin/sh -c \
	'ls -A "$XDG_RUNTIME_DIR"; echo "${PULSE_SERVER:-unset}"'
chk "audio: with both keys false, neither socket is there (the bus only)" "bus unset" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
kill "$lpid"; wait "$lpid" 2>/dev/null
rm -rf "$XDG/pulse" "$XDG/pipewire-0" "$T/home/.config"
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --verbose desktop -- /bin/true
chkre "audio: no sound server: the app runs, --verbose says why" "audio.pipewire: no PipeWire socket.*" "$(printf '%s' "$err" | tr '\n' ' ')"

# /home shows only the user's own, empty home; /var/tmp is private
realhome=$(getent passwd "$(id -un)" | cut -d: -f6)
case $realhome in
/home/?*)
	HOME=$realhome XDG_RUNTIME_DIR=$XDG nk run desktop -- /bin/sh -c 'ls -A /home; ls -A "$HOME" | grep -v "^Downloads$" | wc -l'
	chk "home: /home holds only the user's own home, empty (but for what desktop binds)" "${realhome#/home/} 0" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')" ;;
*) t_skip "home: /home holds only the user's own home" "this user's home ($realhome) is not under /home" ;;
esac
vt=$(mktemp /var/tmp/nook-desktop-test.XXXXXX)
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run desktop -- /bin/sh -c "ls -A /var/tmp | grep -c . ; touch /var/tmp/mine && echo writable"
rm -f "$vt"
chk "vartmp: /var/tmp is private (the host's file is not there) and writable" "0 writable" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
[ -e /var/tmp/mine ] && t_fail "vartmp: a file written there stays in the container" || t_ok "vartmp: a file written there stays in the container"

# fonts, locale and time zone from the host, read-only
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run desktop -- /bin/sh -c \
	'ls /usr/share/fonts >/dev/null && echo fonts; [ -r /etc/localtime ] && echo tz; touch /usr/share/fonts/x 2>/dev/null || echo ro'
chk "fonts: the host's fonts and time zone are there, read-only" "fonts tz ro" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"

# /dev/pts: a terminal chowns its pty to (uid, tty): with gid 5 mapped
# (subuid mode) devpts hands out ptys of group tty, so that works without
# CAP_CHOWN; in self mode gid 5 does not exist in the container
cat > "$T/ptycheck.py" <<'EOP'
import os, pty
m, s = pty.openpty()
os.write(m, b"hi\n")
got = os.read(s, 3)
name = os.ttyname(s)
try:
    os.chown(name, os.getuid(), 5)
    r = "chown-ok"
except OSError as e:
    r = "chown-" + e.strerror
print("pty-" + ("ok" if got == b"hi\n" else "broken"), os.stat(name).st_gid, oct(os.stat(name).st_mode & 0o777), r)
EOP
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --userns self -v "$T/ptycheck.py:/tmp/ptycheck.py:ro" desktop -- python3 /tmp/ptycheck.py
chkre "pts: self mode: a pty works (group: the payload's, tty does not exist)" "^pty-ok 0 0o620 " "$out"
t_subids
if [ "$have_subuid" = 1 ]; then
	HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --userns subuid -v "$T/ptycheck.py:/tmp/ptycheck.py:ro" desktop -- python3 /tmp/ptycheck.py
	chk "pts: subuid mode: ptys belong to group tty (5), and chown(pty, uid, 5) succeeds without CAP_CHOWN" "pty-ok 5 0o620 chown-ok" "$out"
else
	t_skip "pts: subuid mode: ptys belong to group tty" "this user has no subordinate ids or newuidmap"
fi
t_clean "desktop: after the audio, home and pty runs"

# ---------------------------------------------------------------- app profiles
APPS="firefox chromium thunderbird libreoffice evince mpv vlc gimp inkscape xterm gedit"
NET_APPS="firefox chromium thunderbird"
for a in $APPS; do
	nk profile validate "$a"
	chkre "profiles: $a validates" "^[^ ]*/$a.yaml: ok$" "$rc:$out"
	HOME=$T/home nk profile show "$a"
	want_net=none
	case " $NET_APPS " in *" $a "*) want_net=slirp ;; esac
	got="$(printf '%s\n' "$out" | sed -n 's/^app_id: //p') $(printf '%s\n' "$out" | awk '/^network:/ { n = 1 } n && /mode:/ { print $2; exit }') $(printf '%s\n' "$out" | awk '/^persist:/ { p = 1 } p && /dir:/ { print $2; exit }')"
	chkre "profiles: $a has an app_id, network $want_net, its state in apps/$a" \
		"^[a-zA-Z0-9_.-]+\\.[a-zA-Z0-9_.-]+ $want_net \"?$T/home/.local/share/nook/apps/$a\"?$" "$got"
done
# what show prints is a profile that resolves to itself (every key read back)
for a in $APPS; do
	HOME=$T/home nk profile show "$a"
	printf '%s\n' "$out" > "$T/show-$a.yaml"
	HOME=$T/home nk profile show "$T/show-$a.yaml"
	[ "$out" = "$(cat "$T/show-$a.yaml")" ] || echo "$a"
done > "$T/notsame"
chk "profiles: profile show of each app profile resolves to itself" "" "$(cat "$T/notsame")"
HOME=$T/home nk profile list
for a in $APPS; do printf '%s\n' "$out" | grep -q "^$a " || echo "$a"; done > "$T/missing"
chk "profiles: profile list shows every app profile" "" "$(cat "$T/missing")"
# the apps Debian installed here (none may be): each starts in its profile
ran=0
for a in $APPS; do
	bin=$a
	command -v "$bin" >/dev/null 2>&1 || continue
	ran=$((ran + 1))
	HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run "$a" -- "$bin" --version
	chk "profiles: $bin --version runs in the $a profile" 0 "$rc"
done
[ $ran = 0 ] && echo "# profiles: none of $APPS is installed; stand-ins below"
# persistence, with evince's profile and a shell standing in for evince
rm -rf "$T/home/.local"
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run evince -- /bin/sh -c 'echo kept > "$HOME/.config/evince/state"; echo lost > "$HOME/scratch"'
chk "profiles: evince's settings directory is kept in apps/evince on the host" "kept" "$(cat "$T/home/.local/share/nook/apps/evince/.config/evince/state" 2>&1)"
HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run evince -- /bin/sh -c 'cat "$HOME/.config/evince/state"; ls "$HOME/scratch" 2>&1 | grep -c "No such"'
chk "profiles: ... and seen again by the next run, while the rest of the home is gone" "kept 1" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
stat -c %a "$T/home/.local/share/nook/apps/evince/.config/evince" > "$T/mode"
chk "profiles: the kept directory is private (0700)" "700" "$(cat "$T/mode")"
printf 'extends: desktop\npersist: {dir: /tmp/x, paths: [../escape]}\n' > "$T/persist.yaml"
HOME=$T/home nk run "$T/persist.yaml" -- /bin/true
chk_error "profiles: a persist path that leaves the home is refused" 125 "persist.yaml:2.*invalid persist path '../escape'"
printf 'extends: desktop\npersist: {paths: [.app]}\n' > "$T/persist2.yaml"
HOME=$T/home nk run "$T/persist2.yaml" -- /bin/true
chk_error "profiles: persist.paths without persist.dir is refused" 125 "persist.paths is set but persist.dir is not"
t_clean "profiles: after the runs"

# ---------------------------------------------------------------- X11
if ! command -v Xvfb >/dev/null || ! command -v xauth >/dev/null || ! command -v xdpyinfo >/dev/null; then
	t_skip "x11" "Xvfb, xauth or xdpyinfo is not installed (xvfb xauth x11-utils)"
	t_done
fi
if [ ! -d /tmp/.X11-unix ] || [ ! -w /tmp/.X11-unix ]; then
	t_skip "x11" "/tmp/.X11-unix is missing or not writable (contrib/setup-host.sh creates it)"
	t_done
fi
n=$((100 + $$ % 400))
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
XA=$T/xauth
xauth -f "$XA" add ":$n" . "$(mcookie)" 2>/dev/null
Xvfb ":$n" -auth "$XA" -nolisten tcp -screen 0 320x240x24 >"$T/xvfb.log" 2>&1 &
xvfb=$!
pids="$xvfb $pids"
i=0; while [ ! -S "/tmp/.X11-unix/X$n" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "/tmp/.X11-unix/X$n" ] || { t_fail "x11: Xvfb :$n started" "$(cat "$T/xvfb.log")"; t_done; }
DISPLAY=:$n
export DISPLAY
XAUTHORITY=$XA xdpyinfo >/dev/null 2>&1 && t_ok "x11: the host's client gets in with the cookie" || t_fail "x11: the host's client gets in with the cookie"
XAUTHORITY=/dev/null xdpyinfo >/dev/null 2>&1 && t_fail "x11: ... and not without it (Xvfb -auth enforces it)" || t_ok "x11: ... and not without it (Xvfb -auth enforces it)"

cat > "$T/x11.yaml" <<EOP
extends: desktop
hostname: nook-x11-test
x11: true
EOP
XAUTHORITY=$XA HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run --verbose "$T/x11.yaml" -- /bin/sh -c \
	'hostname; ls -A /tmp/.X11-unix; echo "$DISPLAY $XAUTHORITY"; xdpyinfo | sed -n "s/^name of display: *//p"'
chk "x11: xdpyinfo works from inside, under another hostname, with only the display's socket" \
	"nook-x11-test X$n :$n /tmp/.nook-Xauthority :$n" "$(printf '%s' "$out" | tr '\n' ' ' | sed 's/ $//')"
t_nomatch "x11: (the container's hostname is not the host's)" "^$(hostname)$" "$(printf '%s\n' "$out" | sed -n 1p)"
chkre "x11: --verbose warns that X11 does not isolate clients" "nook: x11: X11 does not isolate its clients.*input" "$err"
XAUTHORITY=$XA HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run "$T/x11.yaml" -- /bin/sh -c \
	'od -An -tx1 "$XAUTHORITY" | tr -d " \n" | cut -c1-8'
chk "x11: the container's cookie has the wildcard family (ffff) and an empty address" "ffff0000" "$out"
# a cookie file written under another hostname (the host was renamed since)
python3 - "$XA" "$T/xauth-renamed" <<'EOP'
import struct, sys
data = open(sys.argv[1], "rb").read()
out, off = b"", 0
while off < len(data):
    fam = struct.unpack(">H", data[off:off + 2])[0]; off += 2
    fields = []
    for _ in range(4):
        n = struct.unpack(">H", data[off:off + 2])[0]; off += 2
        fields.append(data[off:off + n]); off += n
    if fam == 256:
        fields[0] = b"renamed-host"
    out += struct.pack(">H", fam) + b"".join(struct.pack(">H", len(f)) + f for f in fields)
open(sys.argv[2], "wb").write(out)
EOP
XAUTHORITY=$T/xauth-renamed xdpyinfo >/dev/null 2>&1 && t_fail "x11: (the renamed cookie file does not work on the host by itself)" || t_ok "x11: (the renamed cookie file does not work on the host by itself)"
XAUTHORITY=$T/xauth-renamed HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run "$T/x11.yaml" -- /bin/sh -c 'xdpyinfo >/dev/null && echo display-ok'
chk "x11: a cookie stored under an old hostname still gets the sandbox in" "display-ok" "$out"
XAUTHORITY=$XA HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run desktop -- /bin/sh -c 'ls -A /tmp/.X11-unix 2>&1; echo "${DISPLAY:-nodisplay}"'
chkre "x11: without x11: true, no X socket and no DISPLAY" "No such file.*nodisplay" "$(printf '%s' "$out" | tr '\n' ' ')"

# a screenshot of an app drawn from inside
if command -v xwd >/dev/null && command -v xlogo >/dev/null; then
	XAUTHORITY=$XA xwd -root -silent > "$T/blank.xwd"
	blank=$(python3 "$NOOK_SRCDIR/tests/integration/xwd_count.py" "$T/blank.xwd")
	XAUTHORITY=$XA HOME=$T/home XDG_RUNTIME_DIR=$XDG "$NOOK" run --timeout 30s --set 'process.env.keep+=["NOOK_TEST_TAG"]' \
		"$T/x11.yaml" -- xlogo -geometry 300x220+0+0 >"$T/xlogo.log" 2>&1 &
	xl=$!
	i=0; while ! XAUTHORITY=$XA xwininfo -root -tree 2>/dev/null | grep -q '"xlogo"' && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
	XAUTHORITY=$XA xwd -root -silent > "$T/shot.xwd"
	kill -TERM "$xl"; wait "$xl" 2>/dev/null
	drawn=$(python3 "$NOOK_SRCDIR/tests/integration/xwd_count.py" "$T/shot.xwd")
	t_eq "x11: the empty screen has one colour (the count can tell)" 1 "$blank"
	if [ "${drawn:-0}" -ge 2 ]; then t_ok "x11: xlogo drawn from inside the sandbox is on the screenshot ($drawn colours)"
	else t_fail "x11: xlogo drawn from inside the sandbox is on the screenshot" "$drawn colours; $(cat "$T/xlogo.log")"; fi
else
	t_skip "x11: screenshot" "xwd or xlogo is not installed (x11-apps)"
fi

# bad input
(unset DISPLAY; HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run "$T/x11.yaml" -- /bin/true; echo "$rc" > "$T/rc"; printf '%s' "$err" > "$T/errx")
rc=$(cat "$T/rc") err=$(cat "$T/errx") out=
chk_error "x11: x11: true without DISPLAY: 125" 125 "x11: true, but DISPLAY is not set"
DISPLAY=:$((n + 1000)) HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run "$T/x11.yaml" -- /bin/true
chk_error "x11: a display whose socket is missing: 125" 125 "/tmp/.X11-unix/X$((n + 1000)) is not a socket"
DISPLAY=localhost:3 HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run "$T/x11.yaml" -- /bin/true
chk_error "x11: a TCP display: 125" 125 "not a local display"
# the shipped terminal profile (xterm: x11: true) under this display; xdpyinfo
# stands in for xterm when Debian did not install it
term=xdpyinfo
command -v xterm >/dev/null 2>&1 && term="xterm -e true"
XAUTHORITY=$XA HOME=$T/home XDG_RUNTIME_DIR=$XDG nk run xterm -- $term
chk "x11: the xterm profile reaches the display ($term)" 0 "$rc"
t_clean "x11: after the runs"

# ---------------------------------------------------------------- launchers
export XDG_DATA_HOME="$T/data"
APPDIR=$XDG_DATA_HOME/applications
HOME=$T/home nk desktop install firefox
chk "launchers: install firefox names the file it wrote" "0 $APPDIR/nook-firefox.desktop" "$rc $out"
f=$APPDIR/nook-firefox.desktop
chk "launchers: Name, Icon and Exec (nook run firefox, nook's absolute path)" \
	"Name=Firefox web browser (nook)|Icon=firefox|Exec=$(readlink -f "$NOOK") run firefox" \
	"$(grep -E '^(Name|Icon|Exec)=' "$f" | tr '\n' '|' | sed 's/|$//')"
if command -v desktop-file-validate >/dev/null; then
	t_run "launchers: desktop-file-validate accepts it" desktop-file-validate "$f"
else
	t_skip "launchers: desktop-file-validate accepts it" "desktop-file-utils is not installed"
fi
# a profile file whose path needs quoting in Exec, started by gtk-launch
mkdir -p "$T/my apps"
cat > "$T/my apps/launchme.yaml" <<EOP
description: the test's launched app - writes a mark
extends: desktop
persist: {dir: "$T/persist", paths: [out]}
process:
  args: [/bin/sh, -c, 'echo "launched \$(hostname)" > "\$HOME/out/mark"']
EOP
HOME=$T/home nk desktop install "$T/my apps/launchme.yaml"
chk "launchers: install a profile file" "0 $APPDIR/nook-launchme.desktop" "$rc $out"
chk "launchers: its path is quoted in Exec" "Exec=$(readlink -f "$NOOK") run \"$T/my apps/launchme.yaml\"" "$(grep '^Exec=' "$APPDIR/nook-launchme.desktop")"
if command -v gtk-launch >/dev/null; then
	NO_AT_BRIDGE=1 XAUTHORITY=$XA HOME=$T/home XDG_RUNTIME_DIR=$XDG gtk-launch nook-launchme >"$T/gtk.log" 2>&1
	wait_file "$T/persist/out/mark" 20
	chk "launchers: gtk-launch starts the sandboxed app" "launched nook-desktop" "$(cat "$T/persist/out/mark" 2>&1)$(tail -2 "$T/gtk.log")"
else
	t_skip "launchers: gtk-launch starts the sandboxed app" "gtk-launch is not installed (libgtk-3-bin)"
fi
HOME=$T/home nk desktop remove launchme
chk "launchers: remove deletes it" "0 $APPDIR/nook-launchme.desktop no" "$rc $out $([ -e "$APPDIR/nook-launchme.desktop" ] && echo yes || echo no)"
HOME=$T/home nk desktop remove launchme
chk_error "launchers: removing one that is not there: 125" 125 "no launcher for 'launchme' is installed"
HOME=$T/home nk desktop install no-such-profile
chk_error "launchers: installing an unknown profile: 125" 125 "no-such-profile"
HOME=$T/home nk desktop remove firefox
ls -A "$APPDIR" > "$T/left"
chk "launchers: nothing else was written" "" "$(cat "$T/left")"
sleep 1
t_clean "launchers: after the runs"

t_done
