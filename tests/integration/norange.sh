#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# norange.sh - run as a user WITHOUT a subordinate id range (contrib/quickstart.sh
# test runs it as the user nooknorange): subuid mode must fail clearly,
# auto mode must fall back to self mode and work.
. "$NOOK_SRCDIR/tests/integration/lib.sh"

me=$(id -un)
out=$("$NOOK" run --userns subuid -- true 2>&1); st=$?
t_eq "subuid mode without a range exits 125" 125 "$st"
t_match "the message names the user and /etc/subuid" "no subordinate uid range for user '$me' in /etc/subuid" "$out"
t_match "the message says how to fix it" "usermod --add-subuids" "$out"
t_eq "the message is one line" 1 "$(printf '%s\n' "$out" | wc -l)"

# a directory root is where auto would want the range (with the host's /
# it maps only the caller anyway)
R=$T/rootfs
sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1 ||
	t_fail "build the busybox test rootfs" "$(cat "$T/mkrootfs.log")"
out=$("$NOOK" run --verbose --rootfs "$R" -- cat /proc/self/uid_map 2>&1); st=$?
t_eq "auto mode falls back to self mode and runs" 0 "$st"
t_match "verbose says self mode and why" "self mode: no subordinate uid range" "$out"
t_match "self map: 0 is the caller" "^ +0 +$(id -u) +1" "$(printf '%s\n' "$out" | grep -v '^nook:')"
t_clean "norange"
t_done
