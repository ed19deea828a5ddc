#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# image.sh - nook image pull/import/ls/rm/prune and nook run IMAGE, against
# a real registry (Debian's docker-registry, started here on 127.0.0.1)
# serving images this script writes offline (mkimage.py): a busybox base
# layer with owners other than 0 and a top layer with a whiteout and an
# opaque directory. Also: imports of an OCI layout, an oci-archive and a
# docker-archive; the image config under the profile's keys; hostile
# layers; two pulls at once; a pull killed half-way; bad references and a
# missing skopeo; nothing left behind. Run as the unprivileged test user.
. "${NOOK_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"

: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
export NOOK_PROFILE_PATH
t_need skopeo "skopeo is not installed (apt-get install skopeo)"
t_need docker-registry "docker-registry is not installed (apt-get install docker-registry)"
t_need python3 "python3 is needed to write the test images"
[ -x /bin/busybox ] || { echo "1..0 # SKIP busybox-static is not installed"; exit 0; }
t_subids
[ -n "$subuid_start" ] || { echo "1..0 # SKIP $me has no subordinate uid range (image layers are unpacked with it)"; exit 0; }

NOOK_STORE=$T/store
export NOOK_STORE
MK=$NOOK_SRCDIR/tests/integration/mkimage.py
NK_TIMEOUT=120

# ---------------------------------------------------------------- the images
cat > "$T/base.txt" <<EOT
dir bin 755 0 0
host bin/busybox 755 0 0 /bin/busybox
link bin/sh busybox
link bin/ls busybox
link bin/cat busybox
link bin/id busybox
link bin/stat busybox
link bin/env busybox
link bin/pwd busybox
link bin/sleep busybox
link bin/echo busybox
link bin/find busybox
dir etc 755 0 0
file etc/passwd 644 0 0 root:x:0:0:root:/root:/bin/sh
dir srv 755 0 0
dir srv/app 750 1000 1000
file srv/app/owned 640 1000 1001 mine
dir gone 755 0 0
file gone/file 644 0 0 old
dir opq 755 0 0
file opq/old 644 0 0 old
dir w 755 0 0
chr dev-null 1 3
EOT
cat > "$T/top.txt" <<EOT
wh gone
opq opq
file opq/new 644 0 0 new
file etc/top 644 0 0 top
EOT
cat > "$T/top2.txt" <<EOT
file etc/passwd 644 0 0 root:x:0:0:root:/root:/bin/sh app:x:1234:1235::/w:/bin/sh
EOT
# passwd needs its lines: write it with a real newline
printf 'host etc/passwd 644 0 0 %s\n' "$T/passwd" > "$T/top2.txt"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1234:1235::/w:/bin/sh\n' > "$T/passwd"
echo '{"Env":["PATH=/bin","GREETING=hello"],"Cmd":["/bin/sh","-c","echo $GREETING from $(pwd)"],"WorkingDir":"/w"}' > "$T/cfg.json"
echo '{"Env":["PATH=/bin"],"Entrypoint":["/bin/id"],"Cmd":["-u"],"User":"app"}' > "$T/cfg2.json"
python3 "$MK" "$T/bb" "$T/cfg.json" "$T/base.txt" "$T/top.txt:zstd" || { echo "Bail out! mkimage.py failed"; exit 1; }
python3 "$MK" "$T/bb2" "$T/cfg2.json" "$T/base.txt" "$T/top2.txt:none" || { echo "Bail out! mkimage.py failed"; exit 1; }
# a big third layer (random bytes: nothing to compress), for the killed pull
echo "rand big.bin 50000000" > "$T/bigl.txt"
python3 "$MK" "$T/bbig" "$T/cfg.json" "$T/base.txt" "$T/bigl.txt:none"

# ---------------------------------------------------------------- the registry
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/registry.yml" <<EOT
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOT
docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
regpid=$!
cleanup() {
	kill "$regpid" 2>/dev/null
	wait "$regpid" 2>/dev/null
	# the store's layers belong to the subordinate ids: nook removes them
	for i in $("$NOOK" image ls --format json 2>/dev/null | python3 -c 'import json,sys; [print(i["id"][:12]) for i in json.load(sys.stdin)]' 2>/dev/null); do
		"$NOOK" image rm "$i" >/dev/null 2>&1
	done
	"$NOOK" image prune >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
up=no
for i in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && { up=yes; break; }
	sleep 0.1
done
[ $up = yes ] || { echo "Bail out! docker-registry did not start: $(cat "$T/registry.log")"; exit 1; }
REG=127.0.0.1:$port
push() { skopeo copy --quiet --dest-tls-verify=false "oci:$1:latest" "docker://$REG/$2" >"$T/push.log" 2>&1 ||
	{ echo "Bail out! skopeo could not push $1: $(cat "$T/push.log")"; exit 1; }; }
push "$T/bb" test/bb:1
push "$T/bb2" test/bb2:1
push "$T/bbig" test/big:1

layers() { ls "$NOOK_STORE/layers" 2>/dev/null | wc -l; }

# ---------------------------------------------------------------- pull, ls
nk image pull --tls-verify=false "$REG/test/bb:1"
chk "pull from the local registry" "0 $REG/test/bb:1" "$rc $out"
t_eq "pull is quiet when stderr is no terminal (only the skipped device node is reported)" \
	"nook: warning: 1 device node of the image was skipped: a user namespace cannot create them (the container's /dev has the standard ones)" "$err"
# on a terminal skopeo shows its progress (a line per blob)
cat > "$T/pty.py" <<'PYEOF'
import fcntl, os, struct, subprocess, sys, termios
m, s = os.openpty()
fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=s)
os.close(s)
out = b""
while True:
    try:
        d = os.read(m, 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.buffer.write(out)
sys.exit(p.wait())
PYEOF
nkx python3 "$T/pty.py" "$NOOK" image pull --tls-verify=false "$REG/test/bb:1"
chkre "pull on a terminal: skopeo's progress per blob" "Copying blob.*Copying config" "$(printf '%s' "$out" | tr -d '\r\n')"
nk image pull "$REG/test/bb:1"
chk_error "pull with TLS verification from a plain-http registry fails" 125 "skopeo could not copy docker://$REG/test/bb:1: .*(http|tls|TLS|HTTP)"
nk image ls
t_match "ls lists the image with its 2 layers" "^$REG/test/bb:1 +[0-9a-f]{12} +2 " "$out"
nk image ls --format json
got=$(printf '%s' "$out" | python3 -c 'import json,sys; i=json.load(sys.stdin); print(len(i), i[0]["name"], len(i[0]["layers"]), len(i[0]["id"]))')
chk "ls --format json" "1 $REG/test/bb:1 2 64" "$got"
chk "the layers are unpacked once each" 2 "$(layers)"

# ---------------------------------------------------------------- run
nk run "$REG/test/bb:1"
chk "run IMAGE: the config's Cmd, Env and WorkingDir apply" "0 hello from /w" "$rc $out"
# --store names the store as nook image --store does (no $NOOK_STORE here)
nkx env -u NOOK_STORE "$NOOK" run --store "$NOOK_STORE" "$REG/test/bb:1"
chk "run --store DIR IMAGE: the image of that store" "0 hello from /w" "$rc $out"
mkdir -p "$T/otherstore"
nkx env -u NOOK_STORE "$NOOK" run --store "$T/otherstore" --image "$REG/test/bb:1" -- true
chk_error "run --store with a store that lacks the image: says which store" 125 "no image '$REG/test/bb:1' in the store $T/otherstore"
nk run --image "$REG/test/bb:1" -- sh -c 'ls -d /gone 2>&1; ls /opq; stat -c "%u %g %a" /srv/app /srv/app/owned; cat /etc/top'
chk "whiteout, opaque directory and owners (kernel overlay)" "0 ls: /gone: No such file or directory
new
1000 1000 750
1000 1001 640
top" "$rc $out"
nk run --set rootfs.overlay.driver=fuse --image "$REG/test/bb:1" -- sh -c 'ls -d /gone 2>&1; ls /opq; stat -c "%u %g" /srv/app/owned'
chk "whiteout, opaque directory and owners (fuse-overlayfs)" "0 ls: /gone: No such file or directory
new
1000 1001" "$rc $out"
# on the host the owners are the subordinate ids
owned=$(ls "$NOOK_STORE"/layers/*/srv/app -d)
chk "on the host, uid 1000 of the image is subordinate id start+999" "$((subuid_start + 999))" "$(stat -c %u "$owned")"
nk run --image "$REG/test/bb:1" -- sh -c 'echo $PATH'
chk "the image's PATH replaces the one the default profile keeps from the host" "0 /bin" "$rc $out"
nk run -e PATH=/usr/bin:/bin --image "$REG/test/bb:1" -- sh -c 'echo $PATH'
chk "an -e PATH wins over the image's" "0 /usr/bin:/bin" "$rc $out"
nk run -e GREETING=bye -w /srv "$REG/test/bb:1"
chk "the command line wins over the image config" "0 bye from /srv" "$rc $out"
cat > "$T/prof.yaml" <<EOT
rootfs: {image: "$REG/test/bb:1"}
process:
  cwd: /etc
  env:
    set: {GREETING: profile}
EOT
nk run "$T/prof.yaml"
chk "rootfs: {image: REF} in a profile; the profile's cwd and env win" "0 profile from /etc" "$rc $out"
mkdir "$T/ws" && echo data > "$T/ws/f"
printf 'extends: ci\nrootfs: {image: "%s"}\nprocess: {timeout: 60s}\n' "$REG/test/bb:1" > "$T/job.yaml"
nkx sh -c "cd '$T/ws' && exec '$NOOK' run '$T/job.yaml' -- sh -c 'echo \$CI \$GREETING \$PATH; pwd; cat f'"
chk "a CI job: the ci profile with an image instead of its rootfs directory (its PATH wins)" "0 true hello /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
/workspace
data" "$rc $out"
nk run "$T/prof.yaml" -- sh -c 'echo $GREETING; echo x > /opq/new; cat /opq/new'
chk "writes go to a throw-away upper" "0 profile
x" "$rc $out"
nk run --image "$REG/test/bb:1" -- cat /opq/new
chk "the next run sees the image unchanged" "0 new" "$rc $out"
# a run does not wait for the store's lock (a pull unpacking, a prune)
flock -o "$NOOK_STORE/lock" sh -c 'echo $$ > "$1"; exec sleep 5' sh "$T/holder" &
fl=$!
wait_file "$T/holder" 5
t0=$(date +%s)
nk run --image "$REG/test/bb:1" -- cat /etc/top
chk "a run while another nook holds the store's lock does not wait for it" "0 top 0" "$rc $out $(( $(date +%s) - t0 > 3 ))"
kill "$(cat "$T/holder")" $fl 2>/dev/null; wait $fl 2>/dev/null
name=nook-img-$$
"$NOOK" run --name "$name" --image "$REG/test/bb:1" -- sleep 20 >"$T/named.out" 2>&1 &
bg=$!
for i in $(seq 100); do "$NOOK" ps -q 2>/dev/null | grep -qx "$name" && break; sleep 0.1; done
nk exec "$name" sh -c 'echo $GREETING; pwd; ls /opq'
chk "nook exec into an image's container: its env, cwd and layers" "0 hello
/w
new" "$rc $out"
nk stop --time 1 "$name"
reap $bg 20

# ---------------------------------------------------------------- a second image sharing the base
nk image pull --tls-verify=false "$REG/test/bb2:1"
chk "pull an image sharing the base layer" 0 "$rc"
chk "the shared base is not unpacked again" 3 "$(layers)"
nk run "$REG/test/bb2:1"
chk "Entrypoint + Cmd and User (by name, from the image's passwd)" "0 1234" "$rc $out"
nk run --uid 7 "$REG/test/bb2:1"
chk "--uid wins over the image's User" "0 7" "$rc $out"
nk run "$REG/test/bb2:1" -- id -g
chk "a command replaces Entrypoint and Cmd; User gives the gid too" "0 1235" "$rc $out"

# ---------------------------------------------------------------- import
skopeo copy --quiet "oci:$T/bb:latest" "oci-archive:$T/bb-oci.tar" &&
skopeo copy --quiet "oci:$T/bb2:latest" "docker-archive:$T/bb-docker.tar:test/bbd:1" ||
	t_fail "skopeo writes the archives"
nk image import "$T/bb"
chk "import an OCI layout directory" "0 localhost/bb:latest" "$rc $out"
nk image import --name imp/oci:2 "$T/bb-oci.tar"
chk "import an oci-archive" "0 docker.io/imp/oci:2" "$rc $out"
chk "imports of layer blobs the store has add none" 3 "$(layers)"
nk image import "$T/bb-docker.tar"
chk "import a docker-archive" "0 localhost/bb-docker:latest" "$rc $out"
nk run --uid 0 localhost/bb-docker -- sh -c 'ls /opq; stat -c "%u %g" /srv/app/owned'
chk "run the docker-archive's image (--uid 0 wins over its User)" "0 old
1000 1001" "$rc $out"
# skopeo compresses the uncompressed layer for the docker-archive: one new blob
chk "imports of the same layer blobs add none" 4 "$(layers)"
echo junk > "$T/junk.tar"
nk image import "$T/junk.tar"
chk_error "import of a file that is no image archive" 125 "junk.tar"
nk image import "$T/nonexistent"
chk_error "import of a missing path" 125 "nonexistent"

# ---------------------------------------------------------------- rm, prune
nk image rm localhost/bb-docker imp/oci:2 localhost/bb
chk "rm three images" 0 "$rc"
nk image ls
t_nomatch "rm: gone from ls" "bb-docker|imp/oci|localhost/bb" "$out"
chk "rm keeps layers other images use" 3 "$(layers)"
nk image rm localhost/bb
chk_error "rm of an image that is not there" 125 "no image 'localhost/bb'"
# rm while a container runs the image: the container is not disturbed
"$NOOK" run --image "$REG/test/bb2:1" -- sh -c 'sleep 2; cat /etc/passwd' >"$T/bg.out" 2>&1 &
bg=$!
sleep 0.7
nk image rm "$REG/test/bb2:1"
chk "rm of an image a container runs" 0 "$rc"
reap $bg 20
chk "the running container is not disturbed" "0 $(cat "$T/passwd")" "$st $(cat "$T/bg.out")"
chk "its layer was kept" 3 "$(layers)"
nk image prune
chk "prune after the container exited removes its layer" "0 2 1 removed" "$rc $(layers) $out"

# ---------------------------------------------------------------- two pulls at once
nk image rm "$REG/test/bb:1"
chk "rm the last image empties the store" "0 0" "$rc $(layers)"
"$NOOK" image pull --tls-verify=false "$REG/test/bb:1" >"$T/p1" 2>&1 &
p1=$!
"$NOOK" image pull --tls-verify=false "$REG/test/bb:1" >"$T/p2" 2>&1 &
p2=$!
reap $p1 60; s1=$st
reap $p2 60; s2=$st
chk "two pulls at once both succeed" "0 0" "$s1 $s2"
nk image ls --format json
chk "two pulls at once: one image, each layer once" "1 2" "$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))') $(layers)"
chk "no pull directory is left" "" "$(ls "$NOOK_STORE/tmp")"

# ---------------------------------------------------------------- a tag that moves
push "$T/bb2" test/bb:1
nk image pull --tls-verify=false "$REG/test/bb:1"
chk "a pull of a tag that moved: the old top layer goes, the new one comes" "0 2" "$rc $(layers)"
nk run "$REG/test/bb:1"
chk "the name runs the new image" "0 1234" "$rc $out"

# ---------------------------------------------------------------- a pull killed half-way
"$NOOK" image pull --tls-verify=false "$REG/test/big:1" >"$T/pk" 2>&1 &
pk=$!
# kill it while it unpacks the big layer (a busy loop without forks: the
# unpacking takes a fraction of a second)
phase=download
i=0
while [ $i -lt 2000000 ] && kill -0 $pk 2>/dev/null; do
	for f in "$NOOK_STORE"/tmp/pull-*/layer-*; do [ -e "$f" ] && break 2; done
	i=$((i + 1))
done
[ -e "$f" ] && phase=unpack
kill -9 $pk
reap $pk 10
left=$(ls "$NOOK_STORE/tmp" | wc -l)
chk "a pull killed during the $phase left its directory only in tmp/" "137 1" "$st $left"
nk image ls
t_nomatch "the killed pull added no image" "test/big" "$out"
chk "the killed pull added no layer" 2 "$(layers)"
nk image pull --tls-verify=false "$REG/test/big:1"
chk "the pull again succeeds" 0 "$rc"
chk "and cleaned up the killed one's leftovers" "" "$(ls "$NOOK_STORE/tmp")"
nk run "$REG/test/big:1" -- stat -c %s /big.bin
chk "the image pulled again runs" "0 50000000" "$rc $out"
nk image rm "$REG/test/big:1"

# ---------------------------------------------------------------- hostile layers
hostile() { # NAME SPEC-LINES: an image of base + one hostile layer, imported
	printf '%s\n' "$2" > "$T/h-$1.txt"
	python3 "$MK" "$T/h-$1" "$T/cfg.json" "$T/base.txt" "$T/h-$1.txt:none" >/dev/null 2>&1
	nk image import --name "hostile/$1" "$T/h-$1"
}
mkdir "$T/outside"
hostile dotdot "raw ../../../../escaped"
chk_error "a layer entry with '..' is refused" 125 "'\.\./\.\./\.\./\.\./escaped' climbs out"
hostile abs "file $T/outside/abs 644 0 0 x"
chk "an absolute entry path is made relative" 0 "$rc"
t_eq "nothing was written at the absolute path" "" "$(ls "$T/outside")"
nk run hostile/abs -- cat "$T/outside/abs"
chk "the absolute entry is inside the image" "0 x" "$rc $out"
hostile symlink "link evil $T/outside
file evil/pwned 644 0 0 x"
chk "writing through a symlink out of the layer: libarchive replaces the link" 0 "$rc"
nk run hostile/symlink -- sh -c 'stat -c %F /evil; cat /evil/pwned'
chk "the link became a directory of the image" "0 directory
x" "$rc $out"
hostile hardlink "hard hl /etc/shadow"
chk_error "a hard link to a file outside the layer is refused" 125 "hard link to '/etc/shadow'"
hostile hardlink2 "hard hl ../../../../../etc/passwd"
chk_error "a hard link with '..' is refused" 125 "hard link"
hostile whsym "link d $T/outside
wh d/victim"
chk_error "a whiteout through a symlink out of the layer is refused" 125 "d/\.wh\.victim.*cannot reach its directory"
hostile opqsym "link d $T/outside
opq d"
chk_error "an opaque marker through a symlink out of the layer is refused" 125 "d/\.wh\.\.wh\.\.opq.*cannot reach its directory"
hostile whdot "raw .wh.."
chk_error "a whiteout of '..' is refused" 125 "(not a valid whiteout|climbs out)"
hostile huge "big huge 1000000000000000"
chk_error "an entry larger than the free space is refused" 125 "does not fit"
hostile dev "chr sda 8 0"
chk "a device node is skipped, with a count" "0 1" "$rc $(printf '%s' "$err" | grep -c '1 device node of the image was skipped')"
hostile owner "file far 644 4000000 4000000 x"
chk "an owner outside the subordinate range: the file is created, with a count" "0 1" \
	"$rc $(printf '%s' "$err" | grep -c '1 file of the image could not get all its attributes')"
nk run hostile/owner -- stat -c '%u %s' /far
chk "that file belongs to root inside" "0 0 2" "$rc $out"
t_eq "nothing of the hostile layers reached outside the store" "" "$(ls "$T/outside"; ls / | grep -x escaped)"
find "$T" -name escaped > "$T/esc" 2>/dev/null
t_eq "no 'escaped' file anywhere" "" "$(cat "$T/esc")"
nk image rm hostile/abs hostile/dev hostile/symlink hostile/owner
chk "rm the hostile images" 0 "$rc"
chk "no partly unpacked layer is left" "" "$(ls "$NOOK_STORE/tmp")"

# ---------------------------------------------------------------- bad input
nk image pull 'Bad//Ref'
chk_error "a malformed reference" 125 "is not an image reference"
nk image pull --tls-verify=false "$REG/test/none:1"
chk_error "an image the registry does not have" 125 "skopeo could not copy docker://$REG/test/none:1"
nkx env PATH=/nonexistent "$NOOK" image pull "$REG/test/bb:1"
chk_error "no skopeo: a clear message" 125 "skopeo not found in PATH.*apt-get install skopeo"
nk run --image no/such:image -- true
chk_error "run of an image that is not in the store" 125 "no image 'no/such:image' in the store"
nk run no/such:image
chk_error "neither a profile nor an image" 125 "no profile and no image named 'no/such:image' \(get the image with: nook image pull no/such:image"
nk image frobnicate
chk_error "an unknown image command" 125 "unknown command 'frobnicate'"
nk image ls --format yaml
chk_error "an unknown format" 125 "--format takes json or table"

nk image rm "$REG/test/bb:1"
nk image prune
nk image ls --format json
chk "the store is empty at the end" "[] 0" "$(printf '%s' "$out" | tr -d ' \n') $(layers)"
t_clean "image"
t_done
