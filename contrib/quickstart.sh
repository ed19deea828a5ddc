#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# quickstart.sh - the README's two commands (run as root, or with sudo).
#
#   sh contrib/quickstart.sh demo   set up the host, build, install nook to
#                                   /usr/local and run a demo container as the
#                                   unprivileged user nooktest
#   sh contrib/quickstart.sh test   set up the host, build nook (warnings are
#                                   errors, ASan+UBSan on) as nooktest in a
#                                   scratch copy and run the whole test suite
#
# The last line of `test` is "N passed, N failed[, N skipped]".
# Both build in a clean copy of the tree (never in the checkout itself), so
# they work in either order, as often as you like; `test` keeps its logs in
# $NOOK_CI_LOGS (default /var/tmp/nook-ci-logs) and prints where.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
NOOK_TEST_USER=${NOOK_TEST_USER:-nooktest}
export NOOK_TEST_USER
logs=${NOOK_CI_LOGS:-/var/tmp/nook-ci-logs}

# copy_tree DIR: the source files of the checkout into DIR, without what a
# build left in it (objects, config.status, Makefiles: an out-of-tree
# configure refuses a source tree configured in place). With git: the files
# git knows and the new ones it does not ignore; without: tar minus the
# build products .gitignore lists.
copy_tree() {
	mkdir -p "$1"
	if command -v git >/dev/null 2>&1 &&
	   git -c safe.directory='*' -C "$here" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$here" && git -c safe.directory='*' ls-files -z --cached --others --exclude-standard |
			tar -cf - --null --no-recursion --ignore-failed-read -T - 2>/dev/null) | tar -xf - -C "$1"
	else
		(cd "$here" && tar -cf - --exclude=.git --exclude=./build --exclude=./_build \
			--exclude=config.status --exclude=config.log --exclude=config.h --exclude=stamp-h1 \
			--exclude=Makefile --exclude='*.o' --exclude='*.a' --exclude=.deps --exclude=.dirstamp \
			--exclude='*.log' --exclude='*.trs' --exclude=autom4te.cache --exclude=./nook \
			--exclude=./tests/probe --exclude='./nook-*' .) | tar -xf - -C "$1"
	fi
}

case "$mode" in
demo)
	echo "quickstart: installing the build packages (a few minutes the first time)"
	sh "$here/contrib/setup-host.sh"
	# built in a copy (kept for make uninstall), so the checkout stays clean
	build=/var/tmp/nook-demo-build
	rm -rf "$build"
	copy_tree "$build"
	cd "$build"
	./autogen.sh >/dev/null
	./configure --quiet
	make -j"$(nproc)" >/dev/null
	make install >/dev/null
	echo "quickstart: nook installed to /usr/local (built in $build; make -C $build uninstall removes it)"
	cd /
	echo "--- nook check, as the unprivileged user $NOOK_TEST_USER ---"
	runuser -u "$NOOK_TEST_USER" -- nook check || true
	echo "--- nook run, as the unprivileged user $NOOK_TEST_USER ---"
	runuser -u "$NOOK_TEST_USER" -- nook run --hostname demo -- \
		sh -c 'echo "hello from $(hostname), I am $(id -un) (uid $(id -u)) inside"; echo "processes I can see:"; ps -o pid,comm; echo "network:"; ls /sys/class/net'
	;;
test)
	echo "quickstart: the first run installs the build and test packages, among them qemu and a"
	echo "quickstart: Debian kernel image for the cgroup v2 tests in a VM (tests/vm/): about 10 minutes;"
	echo "quickstart: later runs only check them. Then the build and the whole suite: 12-20 minutes (the first run also builds a Debian tree with debootstrap, a few minutes more)."
	sh "$here/contrib/setup-host.sh" --test
	# A second user with no subordinate range, for the error-path tests.
	if ! id nooknorange >/dev/null 2>&1; then
		useradd -M -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 nooknorange
	fi
	sed -i '/^nooknorange:/d' /etc/subuid /etc/subgid
	work=$(mktemp -d /var/tmp/nook-ci.XXXXXX)
	rm -rf "$logs"
	mkdir -p "$logs"
	# A minimal Debian tree for tests/integration/debian.sh (apt under the
	# ci and dev profiles; a root-owned tree nook must leave unchanged).
	# debootstrap needs root, so it runs here, once: later runs reuse the
	# tarball and the root-owned tree beside it.
	debian_tar=${NOOK_TEST_DEBIAN_TAR:-/var/tmp/nook-debian-bookworm.tar}
	if [ ! -s "$debian_tar" ] || [ ! -d "${debian_tar%.tar}/etc" ]; then
		# the Debian mirror apt uses here (the one outside host the tests reach)
		mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
			sed -n 's|^URIs: *\(http[^ ]*/debian\)/*$|\1|p' | head -1)
		: "${mirror:=http://deb.debian.org/debian}"
		echo "quickstart: building a minimal Debian tree with debootstrap from $mirror (once: cached as $debian_tar)"
		dbs=$(mktemp -d /var/tmp/nook-debootstrap.XXXXXX)
		if debootstrap --variant=minbase bookworm "$dbs/root" "$mirror" > "$logs/debootstrap.out" 2>&1 &&
		   tar -C "$dbs/root" --numeric-owner -cf "$debian_tar.tmp" .; then
			rm -rf "${debian_tar%.tar}"
			mv "$dbs/root" "${debian_tar%.tar}"
			chmod 0644 "$debian_tar.tmp"
			mv "$debian_tar.tmp" "$debian_tar"
		else
			rm -f "$debian_tar.tmp"
			echo "quickstart: debootstrap failed (see $logs/debootstrap.out): tests/integration/debian.sh skips"
		fi
		rm -rf "$dbs"
	fi
	# the logs stay in $logs; the scratch copy goes
	keep_logs() {
		cp "$work"/check.out "$work"/norange.tap "$work"/asroot.tap "$work"/build.out "$logs"/ 2>/dev/null || true
		if [ -d "$work/build" ]; then
			(cd "$work/build" && find . \( -name '*.log' -o -name '*.trs' \) -print | tar -cf - -T - 2>/dev/null) |
				tar -xf - -C "$logs" 2>/dev/null || true
		fi
		rm -rf "$work"
	}
	trap keep_logs EXIT
	chmod 0755 "$work"
	# the test user builds and tests its own copy of the tree
	copy_tree "$work"
	mkdir "$work/build"
	chown -R "$NOOK_TEST_USER" "$work"
	as_user() { runuser -u "$NOOK_TEST_USER" -- env -i HOME="$(getent passwd "$NOOK_TEST_USER" | cut -d: -f6)" PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 NOOK_TEST_DEBIAN_TAR="$debian_tar" "$@"; }
	if ! as_user sh -c "cd '$work' && ./autogen.sh >/dev/null 2>&1 &&
	     cd build && ../configure --quiet --enable-werror --enable-sanitizers &&
	     make -j$(nproc) >/dev/null" > "$work/build.out" 2>&1; then
		tail -50 "$work/build.out"
		echo "quickstart: the build failed (above; the whole output is in $logs/build.out)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	# and a build without sanitizers, for the few tests a sanitizer build
	# cannot run (it reserves terabytes of address space, so `ulimit -v`
	# stops it before main)
	if ! as_user sh -c "mkdir '$work/build-plain' && cd '$work/build-plain' &&
	     ../configure --quiet --enable-werror && make -j$(nproc) programs >/dev/null" >> "$work/build.out" 2>&1; then
		tail -50 "$work/build.out"
		echo "quickstart: the build without sanitizers failed (above; the whole output is in $logs/build.out)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	status=0
	# crun's suite, kept outside the repository (beside the checkout), is
	# run from where it is (tests/integration/oci-suite.sh)
	suite=
	[ -d "$here/../shared/oci-suites/crun-tests" ] && suite=$(cd "$here/../shared/oci-suites/crun-tests" && pwd)
	as_user sh -c "cd '$work/build' && NOOK_PLAIN='$work/build-plain/nook' OCI_SUITE_DIR='$suite' make -j1 check" > "$work/check.out" 2>&1 || status=$?
	grep -E '^(PASS|FAIL|SKIP|XFAIL|XPASS|ERROR):' "$work/check.out" | grep -v '^PASS:' || true
	# the tests that need a user without a subordinate range
	runuser -u nooknorange -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		NOOK="$work/build/nook" NOOK_SRCDIR="$work" NOOK_PROFILE_PATH="$work/profiles" \
		sh "$work/tests/integration/norange.sh" > "$work/norange.tap" 2>&1 || status=1
	grep -E '^not ok' "$work/norange.tap" || true
	# the tests that act as two users at once (tests/integration/asroot/):
	# they run as root and use runuser for $NOOK_TEST_USER and for
	# nooknorange, the "other local user" of the attacks they try
	: > "$work/asroot.tap"
	for t in "$work"/tests/integration/asroot/*.sh; do
		[ -e "$t" ] || continue
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 NOOK_TEST_AS_ROOT=1 \
			NOOK="$work/build/nook" NOOK_SRCDIR="$work" NOOK_BUILDDIR="$work/build" \
			NOOK_PROFILE_PATH="$work/profiles" NOOK_TEST_USER="$NOOK_TEST_USER" \
			NOOK_OTHER_USER=nooknorange \
			sh "$t" >> "$work/asroot.tap" 2>&1 || status=1
	done
	grep -E '^not ok' "$work/asroot.tap" || true
	for f in "$work"/build/test-suite.log; do
		[ "$status" = 0 ] || sed -n '/^FAIL\|^ERROR\|^not ok/,+20p' "$f" | head -200
	done
	echo "quickstart: logs in $logs (test-suite.log, tests/*/*.log, check.out, norange.tap, asroot.tap, debootstrap.out)"
	log=$work/build/test-suite.log
	p=$(sed -n 's/^# PASS: *//p' "$log"); f=$(sed -n 's/^# FAIL: *//p' "$log")
	s=$(sed -n 's/^# SKIP: *//p' "$log"); e=$(sed -n 's/^# ERROR: *//p' "$log")
	xp=$(sed -n 's/^# XPASS: *//p' "$log")
	np=$(cat "$work/norange.tap" "$work/asroot.tap" | grep -c '^ok ' || true)
	nf=$(cat "$work/norange.tap" "$work/asroot.tap" | grep -c '^not ok ' || true)
	ns=$(grep -c '^ok .*# SKIP' "$work/asroot.tap" || true)
	s=$((s + ns)); np=$((np - ns))
	passed=$((p + np)); failed=$((f + e + xp + nf))
	echo "${passed} passed, ${failed} failed, ${s} skipped"
	[ "$status" = 0 ] && [ "$failed" = 0 ]
	;;
*)
	echo "usage: sh contrib/quickstart.sh demo|test" >&2
	exit 2
	;;
esac
