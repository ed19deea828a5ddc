#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# reliability.sh - nook under faults (issue 13): files that are not regular
# files (a FIFO with no writer must not hang nook), paths with "..", usage,
# many -e options, a shared overlay upper directory, tight limits, helpers
# that die mid-run, SIGKILL of nook at random moments of its start-up and
# signals that arrive while the container starts. The loops run a CI-sized
# number of iterations; tests/bench/reliability.sh runs them longer
# (RELIABILITY_ITER). Run as the unprivileged test user.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
export NOOK_PROFILE_PATH
NOOK_TEST_TAG=reliability-$$
export NOOK_TEST_TAG
t_container_procs() { t_tagged_procs; }
_t_baseline=

# ---------------------------------------------------------------- 3: FIFOs and other non-files
mkfifo "$T/fifo.yaml"
printf 'extends: %s\n' "$T/fifo.yaml" > "$T/ext.yaml"
NK_TIMEOUT=10
nk run "$T/fifo.yaml" -- true
chk_error "a profile that is a FIFO: refused, no hang" 125 "$T/fifo.yaml.*not a regular file"
nk run "$T/ext.yaml" -- true
chk_error "an extends: target that is a FIFO: refused, no hang" 125 "$T/fifo.yaml.*not a regular file"
nk run --seccomp "$T/fifo.yaml" -- true
chk_error "--seccomp FILE that is a FIFO: refused, no hang" 125 "$T/fifo.yaml.*not a regular file"
nk run --seccomp "$T" -- true
chk_error "--seccomp DIR: refused" 125 "$T.*(directory|not a regular file)"
nk run "$T" -- true
chk_error "a profile that is a directory: refused" 125 "$T.*(directory|not a regular file)"
nk profile show "$T/fifo.yaml"
chk_error "nook profile show FIFO: refused, no hang" 125 "not a regular file"
unset NK_TIMEOUT
t_clean "non-regular files"
# ---------------------------------------------------------------- 7: paths with ..
mkdir -p "$T/r/a"
ln -s / "$T/r/toroot"
nk run --rootfs "$T/r/a/../../../../../../../.." -- true
chk_error "rootfs DIR/../.. that is the host's /: refused" 125 "is the host's /.*rootfs: host"
nk run --rootfs "$T/r/toroot" -- true
chk_error "rootfs through a symlink to /: refused" 125 "is the host's /"
nk run --tmpfs /.. -- true
chk_error "a tmpfs on /..: refused" 125 "'/\.\.'.*whole root"
printf 'extends: default\nmounts:\n  - {type: tmpfs, target: /tmp/../}\n' > "$T/dotdot.yaml"
nk run "$T/dotdot.yaml" -- true
chk_error "a profile mount on /tmp/../: refused" 125 "dotdot.yaml:3:.*whole root"
nk run --tmpfs /srv/x/.. -- sh -c 'grep -c " /srv tmpfs " /proc/self/mounts'
chk "a target with .. is normalised (/srv/x/.. is /srv)" "0 1" "$rc $out"
t_clean "paths with .."

# ---------------------------------------------------------------- 9: usage
nkx "$NOOK"
chk "nook alone: status 125, nothing on stdout" "125 " "$rc $out"
chkre "nook alone: the usage on stderr" "^Usage: nook COMMAND" "$err"
nk --help
chk "nook --help: status 0, nothing on stderr" "0 " "$rc $err"
chkre "nook --help: the usage on stdout" "^Usage: nook COMMAND" "$out"
nk profile
chk "nook profile alone: status 125, nothing on stdout" "125 " "$rc $out"
nk exec
chk "nook exec alone: status 125, nothing on stdout" "125 " "$rc $out"

# ---------------------------------------------------------------- 8: many -e options
# 40,000 -e options (and 40,000 variables in the payload) all arrive; the
# timeout catches quadratic handling (minutes here: it took 8 s for 20,000
# without sanitizers). How the time scales is measured, against bwrap, by
# tests/bench/many-options.sh.
# (the words have no blanks or glob characters: split unquoted, in one go)
_many=$(awk 'BEGIN { for (i = 0; i < 40000; i++) printf " -e V%d=v%d", i, i }')
# shellcheck disable=SC2086
NK_TIMEOUT=60 nk run $_many -e V7=last -e V39999=end -- sh -c 'env | grep -c "^V[0-9]*="; echo "$V0 $V7 $V39999"'
unset _many
chk "40,000 -e options: every variable, the last value wins" "0 40000 v0 last end" "$rc $(echo $out)"

# a large map (hashed keys) still finds a duplicate key, and a later key
{ printf 'extends: default\nprocess:\n  env:\n    set:\n'
  _i=0; while [ $_i -lt 100 ]; do printf '      K%s: "%s"\n' $_i $_i; _i=$((_i + 1)); done
  printf '      K57: again\n'; } > "$T/bigmap.yaml"
nk profile validate "$T/bigmap.yaml"
chk_error "a duplicate key in a map of 100 keys is found" 125 "bigmap.yaml:105:.*duplicate key 'K57' \(first given at line 62\)"

# ---------------------------------------------------------------- 5: one upper directory, one container
R=$T/rootfs
if sh "$NOOK_SRCDIR/tests/integration/mkrootfs.sh" "$R" >"$T/mkrootfs.log" 2>&1; then
	mkdir -p "$T/upper"
	printf 'rootfs:\n  overlay:\n    upper: "%s"\n    lower: ["%s"]\n' "$T/upper" "$R" > "$T/ovl.yaml"
	"$NOOK" run --name "rel-up-$$" "$T/ovl.yaml" -- /bin/sh -c 'echo one > /f; touch /ready; exec sleep 60' </dev/null >/dev/null 2>"$T/first.err" &
	_first=$!
	wait_file "$T/upper/ready" 20
	nk run "$T/ovl.yaml" -- /bin/sh -c 'echo two > /f'
	chk_error "a second container on the same upper directory: refused" 125 \
		"upper directory $T/upper is in use by the running container of nook pid $_first \(named 'rel-up-$$'\)"
	chk "the first container's upper directory is untouched" "one" "$(cat "$T/upper/f" 2>/dev/null)"
	kill -9 "$_first"; reap "$_first"
	_i=0; while [ -n "$(t_container_procs)" ] && [ $_i -lt 100 ]; do sleep 0.05; _i=$((_i + 1)); done
	nk run "$T/ovl.yaml" -- /bin/sh -c 'echo three > /f'
	chk "after the holder is killed (-9), the upper directory is free again" "0 three" "$rc $(cat "$T/upper/f" 2>/dev/null)"
	t_clean "shared upper directory"
else
	t_fail "mkrootfs.sh" "$(cat "$T/mkrootfs.log")"
fi

# ---------------------------------------------------------------- 1: signals while the container starts
# A signal at a random moment of the start-up (up to MAXMS ms after nook
# starts, which covers all of it here) must reach the payload: nook ends
# with 128+N, never with the payload's own 0 and never after the payload's
# 20 s. RELIABILITY_ITER sets the number of runs per mode (tests/bench/
# reliability.sh runs many more).
ITER=${RELIABILITY_ITER:-80}
# delays ITER MAXMS: ITER random delays in seconds, one per line
# (a small seed: awk's srand misbehaves with huge ones)
delays() {
	_ns=$(date +%N)
	awk -v n="$1" -v m="$2" -v seed="$(( ($$ * 7919 + 1$_ns) % 1000003 ))" \
		'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.3f\n", rand() * m / 1000 }'
}
# early_signals ARGS...: ITER runs of nook ARGS, each sent SIGTERM or
# SIGINT after a random delay; prints the runs that went wrong
_nook_exe=$(readlink -f "$NOOK")
early_signals() {
	_i=0
	delays "$ITER" "$MAXMS" | while read -r _d; do
		if [ $((_i % 2)) = 0 ]; then _sig=TERM _want=143; else _sig=INT _want=130; fi
		_i=$((_i + 1))
		# a background job of sh starts with SIGINT ignored: not nook
		env --default-signal=INT,QUIT "$NOOK" run "$@" -- sleep 20 </dev/null >/dev/null 2>"$T/sig.err" &
		_p=$!
		# the delay counts from nook's start (a signal to env before
		# it has reset SIGINT would be ignored: not nook's fault)
		_w=0
		until [ "$(readlink "/proc/$_p/exe" 2>/dev/null)" = "$_nook_exe" ] || [ $_w -ge 500 ]; do _w=$((_w + 1)); done
		sleep "$_d"
		kill -s "$_sig" "$_p" 2>/dev/null
		reap "$_p" 10
		[ "$st" = "$_want" ] || echo "SIG$_sig after ${_d}s: status $st (want $_want) $(head -c 300 "$T/sig.err")"
	done
}
# startms ARGS...: how long `nook run ARGS -- true` takes here, in ms (the
# slowest of 3): the signals and kills are spread over 1.5 times that
startms() {
	_max=1
	for _k in 1 2 3; do
		_t0=$(date +%s%N)
		"$NOOK" run "$@" -- true </dev/null >/dev/null 2>&1
		_ms=$((($(date +%s%N) - _t0) / 1000000))
		[ "$_ms" -gt "$_max" ] && _max=$_ms
	done
	echo $((_max * 3 / 2 + 2))
}
MAXMS=${RELIABILITY_MAXMS:-$(startms)}
_bad=$(early_signals)
chk "$ITER early SIGTERM/SIGINT (network none): every one reaches the payload" "" "$_bad"
t_clean "early signals (network none)"
if command -v slirp4netns >/dev/null; then
	MAXMS=${RELIABILITY_MAXMS:-$(startms --network slirp)}
	_bad=$(early_signals --network slirp)
	chk "$ITER early SIGTERM/SIGINT (network slirp): every one reaches the payload" "" "$_bad"
	t_clean "early signals (network slirp)"
else
	t_skip "early signals (network slirp)" "slirp4netns is not installed"
fi
# a --timeout that fires while the container starts: SIGTERM, not SIGKILL 2 s later
_bad=
for _t in 1ms 5ms 10ms 20ms 30ms 40ms; do
	_t0=$(date +%s%N)
	nk run --timeout "$_t" -- sleep 20
	_ms=$((($(date +%s%N) - _t0) / 1000000))
	# SIGKILL would come only after the 2 s grace
	[ "$rc" = 124 ] && [ "$_ms" -lt 1500 ] || _bad="$_bad $_t:status=$rc,${_ms}ms"
done
chk "a --timeout during the start-up ends the payload with SIGTERM (124)" "" "$_bad"

# ---------------------------------------------------------------- 2: SIGKILL at any moment of the start-up
# nook is SIGKILLed at a random moment of its start-up; the next nook run
# (the same mode) must leave nothing of the killed one: no temp directory or
# socket, no process, no mount, no state record.
KITER=${RELIABILITY_KILL_ITER:-30}
# kill_loop NAME MAXMS ARGS...: prints what the killed runs left behind
kill_loop() {
	_name=$1 _max=$2; shift 2
	delays "$KITER" "$_max" | while read -r _d; do
		# timeout's timer is precise (a shell's sleep is not), and
		# --foreground sends the SIGKILL to nook alone, not its group
		timeout --foreground -s KILL "$_d" "$NOOK" run "$@" -- sleep 20 </dev/null >/dev/null 2>&1
		# the next run: $NEXT (the killed one's ports may still be
		# closing, a name would be taken)
		"$NOOK" run $NEXT -- true </dev/null >/dev/null 2>"$T/next.err" ||
			echo "after a kill at ${_d}s the next run failed: $(head -c 300 "$T/next.err")"
		_w=0; while [ -n "$(t_container_procs)" ] && [ $_w -lt 100 ]; do sleep 0.05; _w=$((_w + 1)); done
		_left=$(ls -d "$TMPDIR"/nook-* 2>/dev/null)
		[ -n "$_left" ] && echo "killed at ${_d}s: left $_left"
		_procs=$(t_container_procs)
		[ -n "$_procs" ] && echo "killed at ${_d}s: left processes $_procs"
		[ "$(wc -l < /proc/self/mountinfo)" = "$_t_mounts0" ] || echo "killed at ${_d}s: left a mount"
		case " $* " in *" --name "*)
			"$NOOK" ps 2>/dev/null | grep -q "rel-k-$$" && echo "killed at ${_d}s: nook ps still lists it" ;;
		esac
	done
}
if command -v slirp4netns >/dev/null; then
	NEXT="--network slirp"
	_bad=$(kill_loop slirp "${RELIABILITY_MAXMS:-$(startms --network slirp)}" --network slirp)
	chk "$KITER SIGKILLs during a slirp start-up: the next run leaves nothing" "" "$_bad"
	_port=$((20000 + $$ % 20000))
	_bad=$(kill_loop ports "${RELIABILITY_MAXMS:-$(startms --network slirp -p "127.0.0.1:$_port:80")}" --network slirp -p "127.0.0.1:$_port:80" -p "127.0.0.1:$_port:53/udp")
	chk "$KITER SIGKILLs during a slirp start-up with ports: the next run leaves nothing" "" "$_bad"
else
	t_skip "SIGKILL during slirp start-up" "slirp4netns is not installed"
fi
if command -v pasta >/dev/null; then
	NEXT="--network pasta"
	_bad=$(kill_loop pasta "${RELIABILITY_MAXMS:-$(startms --network pasta)}" --network pasta)
	chk "$KITER SIGKILLs during a pasta start-up: the next run leaves nothing" "" "$_bad"
else
	t_skip "SIGKILL during pasta start-up" "pasta is not installed"
fi
NEXT="--name rel-k2-$$"
_bad=$(kill_loop named "${RELIABILITY_MAXMS:-$(startms --name "rel-k3-$$")}" --name "rel-k-$$")
chk "$KITER SIGKILLs during a named start-up: the next run leaves nothing" "" "$_bad"
if [ -f "$T/ovl.yaml" ]; then
	rm -rf "$T/upper"; mkdir -p "$T/upper"
	NEXT=$T/ovl.yaml
	_bad=$(kill_loop overlay "${RELIABILITY_MAXMS:-$(startms "$T/ovl.yaml")}" "$T/ovl.yaml")
	chk "$KITER SIGKILLs during an overlay start-up: the next run leaves nothing" "" "$_bad"
fi
if grep -q "^$(id -un):" /etc/subuid 2>/dev/null; then
	NEXT="--userns subuid"
	_bad=$(kill_loop subuid "${RELIABILITY_MAXMS:-$(startms --userns subuid)}" --userns subuid)
	chk "$KITER SIGKILLs during a start-up with a subordinate-id map: the next run leaves nothing" "" "$_bad"
else
	t_skip "SIGKILL during a subuid start-up" "$(id -un) has no range in /etc/subuid"
fi
if [ -d "$R" ] && command -v fuse-overlayfs >/dev/null && [ -w /dev/fuse ]; then
	rm -rf "$T/kfupper"; mkdir -p "$T/kfupper"
	printf 'rootfs:\n  overlay:\n    driver: fuse\n    upper: "%s"\n    lower: ["%s"]\n' "$T/kfupper" "$R" > "$T/kfuse.yaml"
	NEXT=$T/kfuse.yaml
	_bad=$(kill_loop fuse "${RELIABILITY_MAXMS:-$(startms "$T/kfuse.yaml")}" "$T/kfuse.yaml")
	chk "$KITER SIGKILLs during a fuse-overlayfs start-up: the next run leaves nothing" "" "$_bad"
else
	t_skip "SIGKILL during a fuse-overlayfs start-up" "no fuse-overlayfs or /dev/fuse"
fi
t_clean "SIGKILL during start-up"

# ---------------------------------------------------------------- 6: tight limits
# sh's ulimit sets the soft and the hard limit: below what nook needs, it
# stops with 125 and names the limit (it used to die of SIGSEGV or SIGXFSZ,
# or say "poll: Invalid argument"); a low soft limit only is raised for
# nook itself, and the payload still gets the caller's.
# nk_limited LIMIT ARGS...: nook ARGS under `ulimit LIMIT`, as nkx; its
# output goes through pipes (under `ulimit -f 0` a write to a file fails)
nk_limited() {
	_l=$1; shift
	{ { timeout -k 5 30 sh -c "ulimit $_l && exec \"\$@\"" sh "$@" </dev/null 2>&4 3>&-
	    echo $? >"$T/rc"; } 4>&1 >&3 | cat >"$T/err"; } 3>&1 | cat >"$T/out"
	rc=$(cat "$T/rc"); out=$(cat "$T/out"); err=$(cat "$T/err")
}
nk_limited "-f 0" "$NOOK" run -- true
chk_error "ulimit -f 0: 125, the file size limit named" 125 "file size limit \(.ulimit -f.\) is 0 bytes.*needs at least 1 MiB"
nk_limited "-s 32" "$NOOK" run -- true
chk_error "ulimit -s 32: 125, the stack size limit named" 125 "stack size limit \(.ulimit -s.\) is 32 KiB.*needs at least 64 KiB"
nk_limited "-n 8" "$NOOK" run --network slirp -- true
chk_error "ulimit -n 8: 125, the open files limit named" 125 "number of open files limit \(.ulimit -n.\) is 8"
nk_limited "-S -n 20" "$NOOK" run --network slirp -- sh -c 'ulimit -n'
chk "soft ulimit -n 20: a slirp run works and the payload has the caller's 20" "0 20" "$rc $out"
nk_limited "-S -f 64" "$NOOK" run --network slirp -- sh -c 'ulimit -f'
chk "soft ulimit -f 64: a slirp run works and the payload has the caller's limit" "0 64" "$rc $out"
# An address-space limit that a helper cannot start under is named as the
# cause (it used to read "slirp4netns is too old"). A sanitizer build
# reserves terabytes of address space and cannot start under any such
# limit itself: the test uses $NOOK_PLAIN, a build without sanitizers
# (contrib/quickstart.sh test makes one), or $NOOK when it is one.
_plain=${NOOK_PLAIN:-}
[ -z "$_plain" ] && ! grep -qa __asan_init "$NOOK" && _plain=$NOOK
# (The same for a raised soft stack limit: ASan takes the main stack's
# bounds from the limit it started under, and a stack that then grows past
# them looks like a wild write to it.)
if [ -n "$_plain" ] && [ -x "$_plain" ]; then
	nk_limited "-S -s 40" "$_plain" run -- sh -c 'ulimit -s'
	chk "soft ulimit -s 40: the run works and the payload has the caller's 40 KiB" "0 40" "$rc $out"
else
	t_skip "soft ulimit -s 40" "needs a nook built without sanitizers (set NOOK_PLAIN)"
fi
if [ -n "$_plain" ] && [ -x "$_plain" ] && command -v slirp4netns >/dev/null; then
	nk_limited "-v 4096" "$_plain" run -- true
	chk "ulimit -v 4096: a run without network works" "0" "$rc"
	nk_limited "-v 4096" "$_plain" run --network slirp -- true
	chk_error "ulimit -v 4096: slirp4netns cannot start, the address-space limit is named" 125 \
		"slirp4netns --help could not start.*address-space limit \(.ulimit -v.\) is 4 MiB"
else
	t_skip "ulimit -v 4096" "needs a nook built without sanitizers (set NOOK_PLAIN) and slirp4netns"
fi
t_clean "tight limits"

# ---------------------------------------------------------------- 4: a helper that dies mid-run
if command -v slirp4netns >/dev/null; then
	"$NOOK" run --network slirp --stats-json "$T/st.json" -- sh -c 'sleep 4; echo done' </dev/null >"$T/out" 2>"$T/err" &
	_p=$!
	_w=0; until pgrep -x -P "$_p" slirp4netns >/dev/null || [ $_w -ge 100 ]; do sleep 0.02; _w=$((_w + 1)); done
	pkill -9 -x -P "$_p" slirp4netns
	# said when it happens, while the payload still runs
	_w=0; until [ -s "$T/err" ] || [ $_w -ge 100 ]; do sleep 0.02; _w=$((_w + 1)); done
	if [ -s "$T/err" ] && kill -0 "$_p" 2>/dev/null; then t_ok "slirp4netns killed mid-run: the warning comes at once, while the payload runs"
	else t_fail "slirp4netns killed mid-run: the warning comes at once, while the payload runs" "stderr: $(cat "$T/err")"; fi
	reap "$_p" 15
	rc=$st out=$(cat "$T/out") err=$(cat "$T/err")
	chkre "slirp4netns killed mid-run: nook warns which helper died and what it meant" \
		"^nook: warning: slirp4netns was killed by signal 9.*no network" "$err"
	chkre "slirp4netns killed mid-run: --stats-json has helper_died" '"helper_died": "slirp4netns was killed' "$(cat "$T/st.json" 2>/dev/null)"
	t_clean "slirp4netns killed mid-run"
fi
if [ -d "$R" ] && command -v fuse-overlayfs >/dev/null && [ -w /dev/fuse ]; then
	mkdir -p "$T/fupper"
	printf 'rootfs:\n  overlay:\n    driver: fuse\n    upper: "%s"\n    lower: ["%s"]\n' "$T/fupper" "$R" > "$T/fuse.yaml"
	"$NOOK" run "$T/fuse.yaml" -- /bin/sh -c 'sleep 20; cat /etc/passwd >/dev/null; echo done' </dev/null >"$T/out" 2>"$T/err" &
	_p=$!
	_w=0; until pgrep -x -P "$_p" fuse-overlayfs >/dev/null || [ $_w -ge 100 ]; do sleep 0.02; _w=$((_w + 1)); done
	sleep 0.3
	pkill -9 -x -P "$_p" fuse-overlayfs
	_t0=$(date +%s%N)
	reap "$_p" 15
	_ms=$((($(date +%s%N) - _t0) / 1000000))
	rc=$st out=$(cat "$T/out") err=$(cat "$T/err")
	# at once, not when the payload next touches its root (20 s here)
	[ "$_ms" -lt 5000 ] && t_ok "fuse-overlayfs killed mid-run: the container is stopped at once (${_ms} ms)" ||
		t_fail "fuse-overlayfs killed mid-run: the container is stopped at once" "nook ended ${_ms} ms after the kill"
	chk_error "fuse-overlayfs killed mid-run: 125 and a message" 125 "fuse-overlayfs was killed by signal 9.*while the container ran"
	t_clean "fuse-overlayfs killed mid-run"
else
	t_skip "fuse-overlayfs killed mid-run" "no fuse-overlayfs or /dev/fuse"
fi

t_done
