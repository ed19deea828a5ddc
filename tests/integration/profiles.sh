#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# profiles.sh - integration tests for YAML profiles (issue 3): `nook profile
# list|show|validate`, command-line overrides, the "no profile named" hint,
# and every shipped profile (default, strict, desktop, ci, dev) run through
# `nook run` against the real kernel, checking what each one promises.
# Run as the unprivileged test user, with NOOK_PROFILE_PATH pointing at the
# source tree's profiles/ (the Makefile does that).
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

# Other test scripts (and a podman pause process, say) may have processes
# in other user namespaces at the same time: t_clean counts only the
# containers and helpers that carry this script's tag in their environment
# (nook's helpers inherit it; nk run keeps it in the payload's environment).
t_tag_runs profiles
# chk, chkre and _diag come from lib.sh

# ---------------------------------------------------------------- nook profile

nk profile list
chk "profile list exits 0" 0 "$rc"
for p in default strict desktop ci dev; do
	chkre "profile list shows $p with its description" "^$p +[^ (].* \\($NOOK_PROFILE_PATH/$p.yaml\\)" "$out"
done

for p in default strict desktop ci dev; do
	nk profile validate "$p"
	chk "profile validate $p" "0:$NOOK_PROFILE_PATH/$p.yaml: ok" "$rc:$out"
done

# show prints a profile that is itself valid and resolves to the same thing
for p in default strict desktop ci dev; do
	nk profile show "$p"
	printf '%s\n' "$out" > "$T/show-$p.yaml"
	chk "profile show $p exits 0" 0 "$rc"
	nk profile show "$T/show-$p.yaml"
	chk "profile show $p is a profile that resolves to itself" "$(cat "$T/show-$p.yaml")" "$out"
done

nk profile show --set hostname=box --set resources.memory=1.5G default -- /bin/echo hi
chkre "show applies --set hostname" "^hostname: box$" "$out"
chkre "show applies --set resources.memory (bytes)" "^  memory: 1610612736$" "$out"
chkre "show takes the command after --" "^  args: \\[/bin/echo, hi\\]$" "$out"

nk profile show --set resources.memory=lots default
chk "a bad --set value exits 125" 125 "$rc"
chk "a bad --set value names the flag" "nook: --set resources.memory: invalid size 'lots': expected a size such as 512M, 2G or 1.5G (units: K, M, G, T, P)" "$err"

nk profile show nosuchprofile
chk "show of a missing profile exits 125" 125 "$rc"
chkre "show of a missing profile says where it looked" "^nook: no profile named 'nosuchprofile' \\(searched $NOOK_PROFILE_PATH, " "$err"

# the user's own profile directory comes after NOOK_PROFILE_PATH and can
# extend a shipped profile of the same name
mkdir -p "$T/xdg/nook/profiles"
printf 'extends: default\nhostname: mine\n' > "$T/xdg/nook/profiles/mine.yaml"
XDG_CONFIG_HOME=$T/xdg nk profile show mine
chkre "a profile in \$XDG_CONFIG_HOME/nook/profiles is found and extends default" "^hostname: mine$" "$out"

# ---------------------------------------------------------------- nook run

nk run sh
chk "nook run sh (no such profile) exits 125" 125 "$rc"
chk "nook run sh explains how to run a command" "nook: no profile named 'sh' (to run a command: nook run -- sh)" "$err"

# options are overrides: their errors name the option typed and start nothing
nk run --memory lots -- /bin/echo started
chk "nook run --memory lots: 125, the option named, nothing started" \
	"125:nook: --memory: invalid size 'lots': expected a size such as 512M, 2G or 1.5G (units: K, M, G, T, P):" "$rc:$err:$out"
nk run --timeout 10 -- /bin/echo started
chk "nook run --timeout 10: a duration needs a unit" \
	"125:nook: --timeout: invalid duration '10': a duration needs a unit (90s, 10m, 1h):" "$rc:$err:$out"
nk run --set hostnme=x -- /bin/echo started
chk "nook run --set with a mistyped key: did you mean" \
	"125:nook: --set hostnme: unknown key 'hostnme' (did you mean 'hostname'?):" "$rc:$err:$out"

# default: host / read-only, private empty home, private /tmp, no network
nk run default -- /bin/sh -c 'echo "home=$HOME cwd=$(pwd) c=$container"; ls -A "$HOME" | wc -l; touch /usr/nook-x 2>/dev/null && echo usr-writable; touch /tmp/x && echo tmp-ok; ls /sys/class/net'
chk "default: runs" 0 "$rc"
chkre "default: HOME is the caller's home path, container=nook" "^home=$HOME cwd=/ c=nook$" "$out"
chkre "default: the home is empty" "^0$" "$out"
if printf '%s' "$out" | grep -q usr-writable; then t_fail "default: /usr is read-only" "$out"; else t_ok "default: /usr is read-only"; fi
chkre "default: /tmp is writable" "^tmp-ok$" "$out"
chk "default: no network but loopback" "lo" "$(printf '%s\n' "$out" | tail -n 1)"
if [ -e "$HOME/nook-x" ] || [ -e /usr/nook-x ]; then t_fail "default: nothing written to the host"; else t_ok "default: nothing written to the host"; fi

# the default profile is the one used when none is named; flags override it
nk run --hostname flagged -e FOO=bar --set process.env.set.BAZ=qux -- /bin/sh -c 'echo "$(hostname) $FOO $BAZ"'
chk "no profile named: default is used, flags override it" "0:flagged bar qux" "$rc:$out"

# strict: no home, minimal /dev, no capabilities, no_new_privs, seccomp
nk run strict -- /bin/sh -c 'echo "cwd=$(pwd) home=${HOME:-unset}"; test -e '"$HOME"' && echo has-home; ls /dev | tr "\n" " "; echo; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -s "\t " " "'
chk "strict: runs" 0 "$rc"
chkre "strict: cwd /tmp and no HOME variable" "^cwd=/tmp home=unset$" "$out"
if printf '%s' "$out" | grep -q has-home; then t_fail "strict: no home directory" "$out"; else t_ok "strict: no home directory"; fi
chkre "strict: no capabilities" "^CapEff: 0000000000000000$" "$out"
chkre "strict: no_new_privs" "^NoNewPrivs: 1$" "$out"
chkre "strict: seccomp filter on" "^Seccomp: 2$" "$out"
chk "strict: a minimal /dev" "core fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " "$(printf '%s\n' "$out" | sed -n 2p)"
nk run strict -- /bin/sh -c 'cp /bin/true /tmp/t && /tmp/t && echo ran-from-tmp; touch /usr/x 2>/dev/null && echo usr-writable; echo done'
chkre "strict: still runs programs from /usr" "done" "$out"
if printf '%s' "$err" | grep -q "Landlock"; then
	t_skip "strict: Landlock forbids running programs from /tmp" "no Landlock in this kernel"
elif printf '%s' "$out" | grep -q ran-from-tmp; then
	t_fail "strict: Landlock forbids running programs from /tmp" "$(_diag)"
else
	t_ok "strict: Landlock forbids running programs from /tmp"
fi

# desktop: ~/Downloads writable, the rest of home private; missing sockets are skipped
mkdir -p "$T/home/Downloads"
HOME=$T/home nk run desktop -- /bin/sh -c 'echo saved > "$HOME/Downloads/file" && echo ok; echo "$XDG_RUNTIME_DIR"'
chk "desktop: runs with the optional sockets missing" 0 "$rc"
chk "desktop: ~/Downloads is writable" "saved" "$(cat "$T/home/Downloads/file" 2>/dev/null)"
chkre "desktop: XDG_RUNTIME_DIR is set" "^/run/user/[0-9]+$" "$out"

# desktop: the Wayland socket is reachable in an otherwise private runtime dir
if command -v python3 >/dev/null 2>&1; then
	mkdir -p "$T/run" && chmod 700 "$T/run"
	echo secret > "$T/run/other-file"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(1); s.settimeout(30)
c, _ = s.accept(); c.sendall(b"hi-wayland"); c.close()
' "$T/run/wl-test" &
	srv=$!
	i=0; while [ ! -S "$T/run/wl-test" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	# the stand-in speaks no Wayland: no security context (wayland-secctx.sh tests that)
	HOME=$T/home XDG_RUNTIME_DIR=$T/run WAYLAND_DISPLAY=wl-test nk run --set wayland.security_context=off desktop -- /bin/sh -c \
		'ls -A "$XDG_RUNTIME_DIR"; python3 -c "import socket,os; s=socket.socket(socket.AF_UNIX); s.connect(os.environ[\"XDG_RUNTIME_DIR\"]+\"/wl-test\"); print(s.recv(64).decode())"'
	kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null
	chk "desktop: the runtime dir holds only the Wayland socket" "wl-test" "$(printf '%s\n' "$out" | head -n 1)"
	chkre "desktop: the app talks to the Wayland socket" "^hi-wayland$" "$out"
else
	t_skip "desktop: the Wayland socket is reachable" "no python3 to play the compositor"
fi

# ci: overlay rootfs (writes discarded), $PWD at /workspace, slirp network
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/rootfs" >/dev/null 2>&1 || t_fail "ci: build a busybox rootfs"
mkdir -p "$T/ws"
cd "$T/ws" || exit 1
NOOK_CI_ROOTFS=$T/rootfs nk run ci -- /bin/sh -c 'pwd; echo built > /workspace/out; echo x > /etc/written && echo etc-ok; ls /sys/class/net | tr "\n" " "'
cd "$T" || exit 1
chk "ci: runs" 0 "$rc"
chkre "ci: the working directory is /workspace" "^/workspace$" "$out"
chk "ci: /workspace is the caller's directory, writable" "built" "$(cat "$T/ws/out" 2>/dev/null)"
chkre "ci: the root is writable inside" "^etc-ok$" "$out"
if [ -e "$T/rootfs/etc/written" ]; then t_fail "ci: writes to the root are discarded"; else t_ok "ci: writes to the root are discarded"; fi
chkre "ci: a user-mode network interface besides lo" "(tap0|eth0)" "$out"

# dev: persistent rootfs with the full subordinate range, home bound, named
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$T/devroot" >/dev/null 2>&1
mkdir -p "$T/devhome"
HOME=$T/devhome NOOK_DEV_ROOTFS=$T/devroot nk run dev -- /bin/sh -c 'id -u; hostname; echo kept > /persist; echo mine > "$HOME/f"; awk "{print \$3}" /proc/self/uid_map | sort -n | tail -n 1'
chk "dev: runs" 0 "$rc"
chkre "dev: root inside" "^0$" "$out"
chkre "dev: hostname dev" "^dev$" "$out"
chk "dev: writes to the rootfs persist" "kept" "$(cat "$T/devroot/persist" 2>/dev/null)"
chk "dev: the home is bound read-write" "mine" "$(cat "$T/devhome/f" 2>/dev/null)"
chkre "dev: a subordinate range of 65536 ids is mapped" "^65536$" "$(printf '%s\n' "$out" | tail -n 1)"

t_clean "profiles"
t_done
