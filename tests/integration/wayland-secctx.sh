#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# wayland-secctx.sh - wayland.security_context (wp_security_context_v1)
# against a fake compositor (fake_wl_secctx.py) that speaks the Wayland
# wire protocol and advertises the manager global: no compositor on Debian
# 12 offers it (weston 10 does not; desktop.sh checks the fall-back with
# weston). The fake records what nook asks for and the two fds it gets:
# sandbox engine "nook", the app id, the container's name as instance id,
# commit; listen_fd is a listening unix socket and is the container's
# $WAYLAND_DISPLAY (a connection from inside arrives there); close_fd hangs
# up when nook exits, and when it is SIGKILLed, not before. Also: off binds
# the compositor's own socket, a compositor that never answers is an error
# after 5 s, and nothing is left behind.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

t_tag_runs wayland-secctx
t_need python3 "no python3 for the fake compositor"
if ! ldconfig -p 2>/dev/null | grep -q 'libwayland-client\.so\.0 ' && ! ls /usr/lib/*/libwayland-client.so.0 >/dev/null 2>&1; then
	echo "1..0 # SKIP no libwayland-client.so.0 (apt-get install libwayland-client0)"
	exit 0
fi

XDG=$T/xdg
mkdir -p "$XDG" "$T/home" && chmod 700 "$XDG"
WL=wl-fake
fake=
cleanup() {
	[ -n "$fake" ] && kill "$fake" 2>/dev/null && wait "$fake" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
python3 "$NOOK_SRCDIR/tests/integration/fake_wl_secctx.py" "$XDG/$WL" >"$T/fake.log" 2>&1 &
fake=$!
i=0; while ! grep -q ready "$T/fake.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q ready "$T/fake.log" || { echo "Bail out! the fake compositor did not start: $(cat "$T/fake.log")"; exit 1; }

# waitlog REGEX [SECONDS]: until the fake's log has a line matching REGEX
waitlog() {
	_i=0
	while ! grep -Eq "$1" "$T/fake.log" && [ $_i -lt $((${2:-5} * 10)) ]; do sleep 0.1; _i=$((_i + 1)); done
	grep -Eq "$1" "$T/fake.log"
}

cat > "$T/app.yaml" <<EOP
description: the test's Wayland app
extends: default
app_id: org.nook.App
process:
  env:
    set:
      XDG_RUNTIME_DIR: $XDG
wayland:
  socket: true
EOP
# from inside: the runtime dir, the display name, the pipes the payload
# inherited, then a connection to $XDG_RUNTIME_DIR/$WAYLAND_DISPLAY and what
# comes back on it
inside='ls -A "$XDG_RUNTIME_DIR" | tr "\n" " "; echo; echo "$WAYLAND_DISPLAY";
python3 -c "
import os, socket
fds = [\"/proc/self/fd/\" + f for f in os.listdir(\"/proc/self/fd\")]
print(sum(os.path.lexists(f) and os.readlink(f).startswith(\"pipe:\") for f in fds))
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(os.environ[\"XDG_RUNTIME_DIR\"] + \"/\" + os.environ[\"WAYLAND_DISPLAY\"])
try:
    print(s.recv(100).decode().strip() or \"closed\")
except TimeoutError:
    print(\"nothing\")"'
run_wl() { # PROFILE ARGS...: nook run --verbose PROFILE ARGS with the test's environment
	_p=$1; shift
	HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL nk run --verbose "$@" "$_p" -- /bin/sh -c "$inside"
}

# ---------------------------------------------------------------- auto, offered
run_wl "$T/app.yaml" --name wl-one
chk "auto: the app runs" 0 "$rc"
chk "auto: the runtime dir holds only the display's socket" "$WL " "$(printf '%s\n' "$out" | sed -n 1p)"
chk "auto: WAYLAND_DISPLAY names it" "$WL" "$(printf '%s\n' "$out" | sed -n 2p)"
chk "auto: the payload holds no pipe (close_fd's write end stays with nook)" 0 "$(printf '%s\n' "$out" | sed -n 3p)"
chk "auto: a connection from inside reaches the listen_fd nook gave the compositor" "fake-compositor 1" "$(printf '%s\n' "$out" | sed -n 4p)"
chkre "auto: --verbose says a security context is used" "nook: wayland: security context \\(sandbox engine nook, app id org.nook.App, instance wl-one\\)" "$err"
log=$(cat "$T/fake.log")
t_match "fake: nook bound the manager global, version 1" "req 1 wl_registry.bind 7 wp_security_context_manager_v1 1" "$log"
t_match "fake: create_listener came with two fds" "fds 1 2" "$log"
t_match "fake: listen_fd is a listening unix socket" "listen_fd 1 listening=1 family=1" "$log"
t_match "fake: set_sandbox_engine nook" "req 1 wp_security_context_v1.set_sandbox_engine nook$" "$log"
t_match "fake: set_app_id is the profile's app_id" "req 1 wp_security_context_v1.set_app_id org.nook.App$" "$log"
t_match "fake: set_instance_id is the container's name" "req 1 wp_security_context_v1.set_instance_id wl-one$" "$log"
t_match "fake: commit" "commit 1" "$log"
t_eq "fake: commit came before the connection from inside" "commit 1 accepted 1" \
	"$(grep -E '^(commit|accepted) 1$' "$T/fake.log" | tr '\n' ' ' | sed 's/ $//')"
t_match "fake: nook disconnected after its last round trip" "eof 1" "$log"
if waitlog "^hangup 1$" 5; then t_ok "fake: close_fd hung up once nook exited"; else t_fail "fake: close_fd hung up once nook exited" "$(cat "$T/fake.log")"; fi
t_clean "auto: after the run"

# ---------------------------------------------------------------- close_fd and SIGKILL
HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$WL "$NOOK" run --timeout 60s \
	--set 'process.env.keep+=["NOOK_TEST_TAG"]' "$T/app.yaml" -- sleep 50 >/dev/null 2>&1 &
nookpid=$!
if waitlog "^commit 2$" 10; then
	t_ok "kill: a second nook committed a second context"
	sleep 1
	if grep -q "^hangup 2$" "$T/fake.log"; then t_fail "kill: close_fd stays open while the container runs" "$(cat "$T/fake.log")"
	else t_ok "kill: close_fd stays open while the container runs"; fi
	t_match "kill: an unnamed container's instance id is nook-PID" "set_instance_id nook-$nookpid$" "$(cat "$T/fake.log")"
	kill -KILL "$nookpid"
	wait "$nookpid" 2>/dev/null
	if waitlog "^hangup 2$" 5; then t_ok "kill: close_fd hangs up when nook is SIGKILLed"
	else t_fail "kill: close_fd hangs up when nook is SIGKILLed" "$(ps -o pid,ppid,args -u "$(id -u)")"; fi
else
	t_fail "kill: a second nook committed a second context" "$(cat "$T/fake.log")"
	kill -KILL "$nookpid"; wait "$nookpid" 2>/dev/null
fi
# the killed nook's directory goes with the next run
run_wl "$T/app.yaml"
chk "kill: the next run works" "fake-compositor 3" "$(printf '%s\n' "$out" | sed -n 4p)"
waitlog "^hangup 3$" 5
t_clean "kill: after SIGKILL of nook and one more run"

# ---------------------------------------------------------------- off, required
before=$(grep -c "^commit" "$T/fake.log")
conns=$(grep -c "^conn" "$T/fake.log")
run_wl "$T/app.yaml" --set wayland.security_context=off
chk "off: the app runs" 0 "$rc"
chk "off: its connection goes to the compositor's own socket (which says nothing first)" "nothing" "$(printf '%s\n' "$out" | sed -n 4p)"
chk "off: ... where the fake saw one more connection, from the app" "$((conns + 1))" "$(grep -c "^conn" "$T/fake.log")"
chk "off: no security context was made" "$before" "$(grep -c "^commit" "$T/fake.log")"
chknore "off: no --verbose line about one" "security context" "$err"
run_wl "$T/app.yaml" --set wayland.security_context=required
chk "required and offered: the app runs with it" "fake-compositor 4" "$(printf '%s\n' "$out" | sed -n 4p)"
waitlog "^hangup 4$" 5

# no app_id: none is set; WAYLAND_DISPLAY a path: wayland-0 inside
printf 'extends: default\nprocess: {env: {set: {XDG_RUNTIME_DIR: %s}}}\nwayland: {socket: true}\n' "$XDG" > "$T/noid.yaml"
n=$(grep -c "^commit" "$T/fake.log")
HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=$XDG/$WL nk run "$T/noid.yaml" -- /bin/sh -c "$inside"
chk "a path in WAYLAND_DISPLAY: the socket is wayland-0 in the container" "wayland-0 
wayland-0" "$(printf '%s\n' "$out" | sed -n 1,2p)"
chk "... and reaches the new context's listen_fd" "fake-compositor $((n + 1))" "$(printf '%s\n' "$out" | sed -n 4p)"
waitlog "^hangup $((n + 1))$" 5
t_eq "no app_id: no set_app_id request, the rest as before" "set_sandbox_engine set_instance_id commit destroy" \
	"$(sed -n "/^listen_fd $((n + 1)) /,/^hangup $((n + 1))\$/p" "$T/fake.log" | sed -n 's/^req [0-9]* wp_security_context_v1\.\([a-z_]*\).*/\1/p' | tr '\n' ' ' | sed 's/ $//')"

# libwayland-client is loaded only when a Wayland socket is bound
nkx env HOME="$T/home" XDG_RUNTIME_DIR="$XDG" WAYLAND_DISPLAY=$WL LD_DEBUG=files "$NOOK" run default -- true
chknore "default: nook does not load libwayland-client" "file=libwayland-client" "$err"
nkx env HOME="$T/home" XDG_RUNTIME_DIR="$XDG" WAYLAND_DISPLAY=$WL LD_DEBUG=files "$NOOK" run "$T/app.yaml" -- true
chkre "wayland.socket: nook loads libwayland-client (the check can tell)" "file=libwayland-client\\.so\\.0 .*dynamically loaded" "$err"
waitlog "^hangup $((n + 2))$" 5

printf 'extends: %s\nwayland: {security_context: sometimes}\n' "$T/app.yaml" > "$T/bad.yaml"
run_wl "$T/bad.yaml"
chk_error "a bad value names the file, the line and the choices" 125 "bad.yaml:2.*sometimes.*auto.*required.*off"

# ---------------------------------------------------------------- a compositor that does not answer
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); print("ready", flush=True); time.sleep(60)' \
	"$XDG/wl-mute" > "$T/mute.log" 2>&1 &
mute=$!
i=0; while ! grep -q ready "$T/mute.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
start=$(date +%s)
HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=wl-mute nk run "$T/app.yaml" -- true
took=$(( $(date +%s) - start ))
chk_error "mute compositor: 125 and a message" 125 "wayland.security_context \\($XDG/wl-mute; off binds it without one\\): the Wayland compositor did not list its globals: no answer within 5 s"
t_match "mute compositor: after the 5 s limit, not much more (${took}s)" "^[5-7]$" "$took"
kill "$mute"; wait "$mute" 2>/dev/null
t_clean "mute compositor: after the run"

# ---------------------------------------------------------------- a socket that speaks no Wayland
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8); print("ready", flush=True)
c, _ = s.accept(); c.sendall(b"SSH-2.0-not-wayland\r\n"); c.close()' "$XDG/wl-other" > "$T/other.log" 2>&1 &
other=$!
i=0; while ! grep -q ready "$T/other.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=wl-other nk run "$T/app.yaml" -- true
chk_error "not a compositor: 125, naming the socket and asking" 125 \
	"wayland.security_context \\($XDG/wl-other; off binds it without one\\): the Wayland compositor did not list its globals: .* \\(is it a Wayland compositor\\?"
kill "$other" 2>/dev/null; wait "$other" 2>/dev/null
t_clean "not a compositor: after the run"
if kill -0 "$fake" 2>/dev/null; then t_ok "the fake compositor ran to the end"
else t_fail "the fake compositor ran to the end" "$(tail -5 "$T/fake.log")"; fi

t_done
