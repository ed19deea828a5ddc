#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check.sh - the broken-profile corpus.
#
# Every NN-name.yaml here is a broken profile and NN-name.expect holds the
# one line nook must print for it (after "nook: "), FILE:LINE:COLUMN first;
# DIR stands for this directory's absolute path. For each one:
# `nook profile validate` and `nook run` must print exactly that line, exit
# with 125, and start nothing (the command would print "started").
# parents/ holds profiles the corpus extends; they are not cases.
. "$NOOK_SRCDIR/tests/integration/lib.sh"

# A podman pause process or another script's container may live in another
# user namespace already: t_clean reports only processes in other user
# namespaces (and nook's helpers) that were not there when this started.
_others() {
	t_other_ns_procs | while read -r _pid _comm; do
		echo "$_pid:$(cut -d' ' -f22 "/proc/$_pid/stat" 2>/dev/null)"
	done
}
_before=$(_others)
t_container_procs() {
	for _e in $(_others); do
		case "
$_before
" in *"
$_e
"*) continue ;; esac
		_pid=${_e%%:*}
		echo "$_pid $(tr '\0' ' ' < "/proc/$_pid/cmdline" 2>/dev/null)"
	done
	return 0
}

dir=$(cd "$NOOK_SRCDIR/tests/profiles-bad" && pwd -P)
cd "$dir" || exit 1

count=$(ls [0-9]*.expect | wc -l)
if [ "$count" -ge 40 ]; then t_ok "corpus has $count broken profiles"; else t_fail "corpus has at least 40 broken profiles" "only $count"; fi

for exp in [0-9]*.expect; do
	f=${exp%.expect}.yaml
	want="nook: $(cat "$exp")"
	got=$("$NOOK" profile validate "$f" 2>&1 >/dev/null)
	st=$?
	got=$(printf '%s' "$got" | sed "s|$dir|DIR|g")
	t_eq "$f: validate prints the expected line" "$want" "$got"
	t_eq "$f: validate exits 125" 125 "$st"
	out=$("$NOOK" run "$f" -- /bin/echo started 2>"$T/err")
	st=$?
	got=$(sed "s|$dir|DIR|g" "$T/err")
	if [ "$st" = 125 ] && [ "$got" = "$want" ] && [ -z "$out" ]; then
		t_ok "$f: nook run exits 125 with the same line and starts nothing"
	else
		t_fail "$f: nook run exits 125 with the same line and starts nothing" \
			"status $st, stdout '$out'" "want: $want" "got:  $got"
	fi
done
t_clean "broken profiles"
t_done
