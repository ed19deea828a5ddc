#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# newcomer.sh - the first hour of a new user (issue 14): a built but not
# installed nook finds the shipped profiles (compiled in), nook check (the
# doctor) and its JSON and exit status, nook help, "did you mean" for
# commands, options and values, errors naming the option typed, the 127
# message for a relative command, and the bash completion.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

XDG_RUNTIME_DIR=$T/run
mkdir -m 0700 "$XDG_RUNTIME_DIR"
export XDG_RUNTIME_DIR
# a fresh user: no profile directory of its own
HOME=$T/home
mkdir -p "$HOME"
export HOME
unset XDG_CONFIG_HOME

# ---------------------------------------------------------------- built-in profiles

for pp in unset empty; do
	if [ $pp = unset ]; then
		nkx env -u NOOK_PROFILE_PATH "$NOOK" run -- /bin/echo hello-from-nook
	else
		nkx env NOOK_PROFILE_PATH= "$NOOK" run -- /bin/echo hello-from-nook
	fi
	chk "NOOK_PROFILE_PATH $pp: nook run -- CMD runs with the compiled-in default profile" \
		"0:hello-from-nook" "$rc:$out"
done

nkx env NOOK_PROFILE_PATH= "$NOOK" profile list
chk "profile list with no profile directory exits 0" 0 "$rc"
for p in default strict desktop ci dev; do
	chkre "profile list shows the built-in $p with its description" \
		"^$p +[^ (].* \\(<built-in>/$p\\.yaml\\)$" "$out"
done

# the compiled-in text is the file's: both resolve to the same profile
nkx env NOOK_PROFILE_PATH= "$NOOK" profile show ci
builtin_show=$out
nkx env NOOK_PROFILE_PATH="$NOOK_SRCDIR/profiles" "$NOOK" profile show ci
chk "the built-in ci resolves as profiles/ci.yaml does" "$out" "$builtin_show"

# a file of the same name earlier on the path wins, and may extend the built-in one
mkdir "$T/p"
printf 'extends: default\nhostname: mine\n' > "$T/p/default.yaml"
nkx env NOOK_PROFILE_PATH="$T/p" "$NOOK" profile show default
chkre "a default.yaml on the path wins over the built-in one" "^hostname: mine$" "$out"
chkre "... and extends the built-in default" "/run" "$out"
nkx env NOOK_PROFILE_PATH="$T/p" "$NOOK" profile list
chkre "profile list marks the built-in default as shadowed" \
	"^default .*\\(<built-in>/default\\.yaml\\) \\[shadowed\\]$" "$out"

nkx env NOOK_PROFILE_PATH= "$NOOK" profile show nosuchprofile
chk_error "a missing profile: the message lists the path and names NOOK_PROFILE_PATH" 125 \
	"^nook: no profile named 'nosuchprofile' \\(searched .*<built-in>.*NOOK_PROFILE_PATH="

# ---------------------------------------------------------------- nook check

nkx env NOOK_PROFILE_PATH= "$NOOK" check
check_rc=$rc check_out=$out
case $check_rc in 0|1) t_ok "nook check exits 0 or 1 ($check_rc)" ;; *) t_fail "nook check exits 0 or 1" "$(_diag)" ;; esac
# its overlay probe works in a temporary directory ($TMPDIR) it removes again
left=$(ls -A "$TMPDIR" | grep '^nook-check' || true)
chk "nook check leaves no temporary directory behind" "" "$left"
for what in "unprivileged user namespaces" "subordinate uid/gid ranges" newuidmap newgidmap \
	"cgroup v2" "kernel overlayfs in a user namespace" "/dev/fuse and fuse-overlayfs" \
	"/dev/net/tun" slirp4netns pasta Landlock seccomp "pidfd_open and clone3" XDG_RUNTIME_DIR; do
	chkre "nook check has a line for $what" "^(✔|✘) $what" "$check_out"
done
nf=$(printf '%s\n' "$check_out" | grep -c '^✘' || true)
nfix=$(printf '%s\n' "$check_out" | grep -c '^    fix: ' || true)
chk "every ✘ line comes with a fix" "$nf" "$nfix"
nkx "$NOOK" run -- /bin/true
if [ "$rc" = 0 ]; then
	chk "nook run works here, so nook check says ready and exits 0" "0" "$check_rc"
	chkre "... and says so on its last line" "^nook check: ready" "$(printf '%s\n' "$check_out" | tail -1)"
fi
t_subids
if [ "$subuid_count" -gt 0 ] 2>/dev/null; then
	chkre "nook check gives the size of the subordinate range" \
		"^✔ subordinate uid/gid ranges: uids $subuid_start-[0-9]+ \\($subuid_count ids\\)" "$check_out"
fi
chkre "nook check names where nook would create cgroup leaves" "cgroup v2 .*nook would create its leaves in /" "$check_out"

nkx env NOOK_PROFILE_PATH= "$NOOK" check --json
json_rc=$rc
chk "nook check --json exits as nook check does" "$check_rc" "$json_rc"
printf '%s' "$out" > "$T/check.json"
if command -v python3 >/dev/null 2>&1; then
	t_run "nook check --json is valid JSON" python3 -m json.tool "$T/check.json"
	got=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
ids = [i["id"] for i in d["items"]]
need = ["profile", "userns", "subid", "newuidmap", "newgidmap", "cgroup", "overlay", "fuse", "tun",
        "slirp4netns", "pasta", "landlock", "seccomp", "pidfd", "xdg_runtime_dir"]
missing = [n for n in need if n not in ids]
bad = [i["id"] for i in d["items"] if not i["ok"] and not i["fix"]]
ready = all(i["ok"] for i in d["items"] if i["needed"])
print("missing=%s bad=%s ready=%s consistent=%s" % (missing, bad, d["ready"], ready == d["ready"]))' "$T/check.json" 2>&1)
	chk "nook check --json has every item, a fix for each missing one, and a consistent ready" \
		"missing=[] bad=[] ready=$( [ "$check_rc" = 0 ] && echo True || echo False) consistent=True" "$got"
else
	t_skip "nook check --json is valid JSON" "python3 is not installed"
fi

# a default profile whose needs are not met: exit 1, and the fix
mkdir "$T/needs"
printf 'extends: default\nnetwork: {mode: slirp}\n' > "$T/needs/default.yaml"
mkdir "$T/emptybin"
nkx env NOOK_PROFILE_PATH="$T/needs" PATH="$T/emptybin" "$NOOK" check
chk "nook check: a default profile needing slirp4netns, none installed: exit 1" 1 "$rc"
chkre "... the slirp4netns line is a ✘ with the package to install" \
	"^✘ slirp4netns \\(--network slirp\\): not found in PATH" "$out"
chkre "... its fix" "^    fix: as root: apt-get install slirp4netns$" "$out"
chkre "... and the last line says not ready" "^nook check: not ready: " "$(printf '%s\n' "$out" | tail -1)"
printf 'hostname: [broken\n' > "$T/needs/default.yaml"
nkx env NOOK_PROFILE_PATH="$T/needs" "$NOOK" check
chk "nook check: a broken default profile: exit 1" 1 "$rc"
chkre "... named on a ✘ line" "^✘ the default profile: .*default\\.yaml" "$out"
nkx "$NOOK" check --jsn
chk_error "nook check --jsn: did you mean --json" 125 "unknown option '--jsn' \\(did you mean '--json'\\?"

# ---------------------------------------------------------------- help, did you mean

nkx "$NOOK" help
chk "nook help exits 0" 0 "$rc"
for c in run exec ps stop profile check help; do
	chkre "nook help lists $c" "^  $c " "$out"
done
nkx "$NOOK" help run
chkre "nook help run shows the options of run" "^Usage: nook run .*" "$out"
chkre "... including --network" "--network MODE" "$out"
chk "... and exits 0" 0 "$rc"
nkx "$NOOK" help check
chkre "nook help check shows nook check's usage" "^Usage: nook check \\[--json\\]" "$out"
nkx "$NOOK" help rnu
chk_error "nook help rnu: did you mean run" 125 "unknown command 'rnu' \\(did you mean 'run'\\?"
nkx "$NOOK" rnu -- true
chk_error "nook rnu: did you mean run" 125 "^nook: unknown command 'rnu' \\(did you mean 'run'\\?"
nkx "$NOOK" stpo box
chk_error "nook stpo: did you mean stop" 125 "did you mean 'stop'\\?"
nkx "$NOOK" run --netwrk none -- true
chk_error "nook run --netwrk: did you mean --network" 125 "^nook: unknown option '--netwrk' \\(did you mean '--network'\\?"
nkx "$NOOK" run --rotofs=/x -- true
chk_error "nook run --rotofs=/x: did you mean --rootfs" 125 "unknown option '--rotofs=/x' \\(did you mean '--rootfs'\\?"
nkx "$NOOK" exec --wrkdir / box true
chk_error "nook exec --wrkdir: did you mean --workdir" 125 "did you mean '--workdir'\\?"
nkx "$NOOK" profile lsit
chk_error "nook profile lsit: did you mean list" 125 "did you mean 'list'\\?"

# ---------------------------------------------------------------- errors name the option typed

nkx "$NOOK" run --network slrip -- /bin/echo started
chk_error "--network slrip: reported against --network" 125 \
	"^nook: --network: unknown value 'slrip' \\(did you mean 'slirp'\\? expected 'none', 'host', 'slirp' or 'pasta'\\)$"
chk "... nothing started" "" "$out"
nkx "$NOOK" run --memory 12Q -- /bin/true
chk_error "--memory 12Q: reported against --memory" 125 "^nook: --memory: invalid size '12Q'"
nkx "$NOOK" run --cpus lots -- /bin/true
chk_error "--cpus lots: reported against --cpus" 125 "^nook: --cpus: invalid cpus 'lots'"
nkx "$NOOK" run -p 99999 -- /bin/true
chk_error "-p 99999: reported against --publish" 125 "^nook: --publish: invalid port spec '99999'"
nkx "$NOOK" run --set network.mode=slrip -- /bin/true
chk_error "--set network.mode=slrip: still reported against --set network.mode" 125 \
	"^nook: --set network.mode: unknown value 'slrip'"

# ---------------------------------------------------------------- 127

nkx "$NOOK" run -- ./bin/tool
chk_error "a relative command not found: 127, saying the working directory inside is /" 127 \
	"^nook: \\./bin/tool: no such file or directory \\(relative to the working directory inside the container, /; use -w DIR or an absolute path\\)$"
nkx "$NOOK" run -w /tmp -- bin/tool
chk_error "... and with -w /tmp, that it is /tmp" 127 "working directory inside the container, /tmp;"
nkx "$NOOK" run -- no-such-command-here
chk_error "a command not in PATH: still 'command not found'" 127 "^nook: no-such-command-here: command not found$"

# ---------------------------------------------------------------- bash completion

if command -v bash >/dev/null 2>&1; then
	# complete WORDS...: the candidates bash offers for the last word
	complete_words() {
		NOOK_COMPLETION="$NOOK_SRCDIR/contrib/completions/nook.bash" bash -c '
			. "$NOOK_COMPLETION"
			COMP_WORDS=("$@")
			COMP_CWORD=$(($# - 1))
			_nook
			printf "%s\n" "${COMPREPLY[@]}" | sort' complete "$@"
	}
	got=$(complete_words "$NOOK" "" | tr '\n' ' ')
	chk "bash: nook <TAB> offers the commands" "--help --version check desktop exec help image profile ps run stop " "$got"
	got=$(complete_words "$NOOK" ru | tr '\n' ' ')
	chk "bash: nook ru<TAB> is run" "run " "$got"
	got=$(complete_words "$NOOK" run --netw | tr '\n' ' ')
	chk "bash: nook run --netw<TAB> is --network" "--network " "$got"
	got=$(complete_words "$NOOK" run --network "" | tr '\n' ' ')
	chk "bash: nook run --network <TAB> offers the modes" "host none pasta slirp " "$got"
	got=$(NOOK_PROFILE_PATH="$T/p" complete_words "$NOOK" run "" | tr '\n' ' ')
	chk "bash: nook run <TAB> offers the profiles on the search path" "chromium ci default desktop dev evince firefox gedit gimp inkscape libreoffice mpv strict thunderbird vlc xterm " "$got"
	got=$(NOOK_PROFILE_PATH="$T/p" complete_words "$NOOK" desktop install fi | tr '\n' ' ')
	chk "bash: nook desktop install fi<TAB> is firefox" "firefox " "$got"
	got=$(NOOK_PROFILE_PATH="$T/p" complete_words "$NOOK" profile show st | tr '\n' ' ')
	chk "bash: nook profile show st<TAB> is strict" "strict " "$got"
	# every option nook help run lists is offered
	opts=$(complete_words "$NOOK" run -)
	missing=
	for o in $("$NOOK" help run | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		printf '%s\n' "$opts" | grep -qx -- "$o" || missing="$missing $o"
	done
	chk "bash: every option of nook help run is completed" "" "$missing"
	# container names for exec and stop, from nook ps
	"$NOOK" run --name newcomer-box -- /bin/sleep 60 >/dev/null 2>&1 </dev/null &
	box=$!
	i=0
	while [ $i -lt 100 ] && ! "$NOOK" ps -q 2>/dev/null | grep -qx newcomer-box; do
		sleep 0.1
		i=$((i + 1))
	done
	got=$(complete_words "$NOOK" exec newc | tr '\n' ' ')
	chk "bash: nook exec newc<TAB> is the running container" "newcomer-box " "$got"
	got=$(complete_words "$NOOK" stop "" | tr '\n' ' ')
	chkre "bash: nook stop <TAB> offers the running container" "(^| )newcomer-box " "$got"
	"$NOOK" stop -t 1 newcomer-box >/dev/null 2>&1
	reap $box 20
else
	t_skip "bash completion" "bash is not installed"
fi
if command -v fish >/dev/null 2>&1; then
	mkdir -p "$T/fishbin"
	ln -s "$NOOK" "$T/fishbin/nook"
	got=$(PATH="$T/fishbin:$PATH" NOOK_PROFILE_PATH= fish --no-config -c \
		"source '$NOOK_SRCDIR/contrib/completions/nook.fish'; complete -C'nook run --network '; complete -C'nook profile show st'" \
		2>&1 | cut -f1 | tr '\n' ' ')
	chk "fish: network modes and profile names" "host none pasta slirp strict " "$got"
else
	t_skip "fish completion" "fish is not installed"
fi

t_done
