#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# static.sh - the statically linked nook and its twin (include/nook/twin.h):
# a plain build links nook with -static-pie and builds nook-dyn beside it;
# what a static glibc must not do goes to the twin: nook image
# (libarchive), nook check (libsubid, NSS), subordinate ids (libsubid, the
# twin as a helper: newuidmap's fallback and the holder's start), a Wayland
# security context (libwayland-client) and a user /etc/passwd lacks (NSS).
# A plain start uses no twin. A missing twin is one clear error.
# Runs the build without sanitizers, $NOOK_PLAIN (contrib/quickstart.sh
# test makes one), or $NOOK when that is static.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

t_need readelf "no readelf (apt-get install binutils)"
is_static() { [ -x "$1" ] && ! readelf -l "$1" 2>/dev/null | grep -q 'Requesting program interpreter'; }
S=${NOOK_PLAIN:-}
[ -n "$S" ] && is_static "$S" || S=$NOOK
if ! is_static "$S"; then
	echo "1..0 # SKIP no statically linked nook to test (NOOK_PLAIN=${NOOK_PLAIN:-unset}; configure without --enable-sanitizers builds one)"
	exit 0
fi
TWIN=$(dirname "$S")/nook-dyn
NOOK=$S
export NOOK

t_ok "nook is linked statically: $S"
if [ -x "$TWIN" ] && readelf -l "$TWIN" | grep -q 'Requesting program interpreter'; then
	t_ok "its twin, nook-dyn, lies beside it and is linked dynamically"
else
	t_fail "its twin, nook-dyn, lies beside it and is linked dynamically" "$(ls -l "$TWIN" 2>&1)"
fi

R=$T/rootfs
if ! sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1; then
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
	t_done
fi

# ---------------------------------------------------------------- no twin on a plain start
nk run --verbose -- sh -c 'echo "$USER $HOME"'
chk "the default profile runs" 0 "$rc"
chk "\${USER} and \${HOME} come from /etc/passwd (no NSS in a static glibc)" \
	"$(id -un) $(getent passwd "$(id -u)" | cut -d: -f6)" "$out"
chknore "a plain start needs no twin" 'takes over' "$err"
nk run --verbose --userns self --rootfs "$R" -- true
chk "a directory root with a self map runs" 0 "$rc"
chknore "... without the twin" 'takes over' "$err"
# NOOK_DYN names a twin that is not there: nothing above may need it
NOOK_DYN=/nonexistent/nook-dyn nk run --rootfs "$R" --userns self -- /bin/echo alone
chk "a start never runs the twin (it is not there)" "0 alone" "$rc $out"

# ---------------------------------------------------------------- whole commands
nk image ls
chk "nook image ls works (the twin runs it: libarchive)" 0 "$rc"
chkre "... and prints the store's table" '^NAME +ID' "$out"
nk check
chkre "nook check reads the subordinate ranges (the twin: libsubid)" 'subordinate uid/gid ranges' "$out"
NOOK_DYN=/nonexistent/nook-dyn nk image ls
chk_error "without its twin, nook image is one clear error naming it" 125 \
	"nook image \(libarchive\) needs /nonexistent/nook-dyn, the dynamically linked nook installed with it: reinstall nook"
t_clean "whole commands"

# ---------------------------------------------------------------- subordinate ids through the twin
t_subids
if [ "$have_subuid" = 1 ]; then
	XDG_STATE_HOME=$T/state
	mkdir -m 0700 "$XDG_STATE_HOME"
	export XDG_STATE_HOME
	want="0 $myuid 1 1 $subuid_start $subuid_count"
	NOOK_HOLDER_IDLE=0 nk run --verbose --userns subuid --rootfs "$R" -- cat /proc/self/uid_map
	chk "--userns subuid without the holder: newuidmap gets the range the twin read with libsubid" \
		"0 $want" "$rc $(echo $out)"
	NOOK_HOLDER_IDLE=0 NOOK_DYN=/nonexistent/nook-dyn nk run --userns subuid --rootfs "$R" -- true
	chk_error "... and without the twin, one clear error" 125 "reading subordinate ids \(libsubid\) needs /nonexistent/nook-dyn"
	NOOK_HOLDER_IDLE=30 nk run --verbose --rootfs "$R" -- cat /proc/self/uid_map
	chk "the default map starts the holder with the ranges the twin read" "0" "$rc"
	chkre "... (--verbose)" 'user namespace holder started' "$err"
	hp=$("$NOOK" ps --all 2>/dev/null | awk '$1 == "-userns-holder-" { print $2 }')
	NOOK_HOLDER_IDLE=30 NOOK_DYN=/nonexistent/nook-dyn nk run --verbose --rootfs "$R" -- cat /proc/self/uid_map
	chk "a start through the running holder needs no twin" "0" "$rc"
	chkre "... and gets the subordinate range, inside the holder's namespace" \
		"subuid mode: 0 is you, 1-$subuid_count are $subuid_start-.*inside the holder's" "$err"
	[ -n "$hp" ] && kill "$hp" 2>/dev/null
	_w=0; while [ -n "$hp" ] && kill -0 "$hp" 2>/dev/null && [ $_w -lt 100 ]; do sleep 0.05; _w=$((_w + 1)); done
	t_clean "subordinate ids"
else
	t_skip "subordinate ids through the twin" "no subordinate range for $me, or no newuidmap/newgidmap"
fi

# ---------------------------------------------------------------- a Wayland security context
if command -v python3 >/dev/null && { ldconfig -p 2>/dev/null | grep -q 'libwayland-client\.so\.0 ' ||
     ls /usr/lib/*/libwayland-client.so.0 >/dev/null 2>&1; }; then
	XDG=$T/xdg
	mkdir -p "$XDG" "$T/home" && chmod 700 "$XDG"
	python3 "$NOOK_SRCDIR/tests/integration/fake_wl_secctx.py" "$XDG/wl-fake" >"$T/fake.log" 2>&1 &
	fake=$!
	i=0; while ! grep -q ready "$T/fake.log" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	cat > "$T/app.yaml" <<EOP
extends: default
app_id: org.nook.Static
process:
  env:
    set:
      XDG_RUNTIME_DIR: $XDG
wayland:
  socket: true
  security_context: required
EOP
	HOME=$T/home XDG_RUNTIME_DIR=$XDG WAYLAND_DISPLAY=wl-fake nk run --verbose "$T/app.yaml" -- sh -c 'echo "$WAYLAND_DISPLAY"'
	chk "a Wayland security context: the app runs" "0 wl-fake" "$rc $out"
	chkre "... started by the twin (libwayland-client)" 'Wayland security context \(libwayland-client\): the dynamically linked nook .* takes over' "$err"
	if grep -q 'org.nook.Static' "$T/fake.log"; then
		t_ok "... which asked the compositor for a context with the app id"
	else
		t_fail "... which asked the compositor for a context with the app id" "$(cat "$T/fake.log")"
	fi
	kill "$fake" 2>/dev/null
	wait "$fake" 2>/dev/null
	t_clean "wayland"
else
	t_skip "a Wayland security context through the twin" "no python3 or no libwayland-client.so.0"
fi

t_done
