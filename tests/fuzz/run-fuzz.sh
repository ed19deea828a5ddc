#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzz.sh - build the profile loader's libFuzzer target with clang and
# run it for a bounded time ($NOOK_FUZZ_SECONDS, default 30) on a seed
# corpus of the shipped profiles and the broken-profile corpus, under
# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer. Any crash,
# leak or sanitizer report fails the test. Without clang's libFuzzer the
# seeds are still replayed through a gcc ASan/UBSan build of the target.
# It needs no privileges; like the other scripts it runs as the test user.
. "$NOOK_SRCDIR/tests/integration/lib.sh"

src=$NOOK_SRCDIR
lib=$NOOK_BUILDDIR/src/lib/libnook.a
seconds=${NOOK_FUZZ_SECONDS:-30}
# the whole profile layer, built with the fuzzer's instrumentation (not
# the build-time generators, programs of their own)
files="tests/fuzz/fuzz_profile.c $(cd "$src" && ls src/lib/profile/*.c | grep -v '/gen_' | tr '\n' ' ')"
libs="-lyaml -lcap -lseccomp"
pkg-config --exists json-c 2>/dev/null && libs="$libs $(pkg-config --libs json-c)"
[ -e /usr/lib/x86_64-linux-gnu/libsubid.so ] || [ -n "$(ls /usr/lib/*/libsubid.so 2>/dev/null)" ] && libs="$libs -lsubid"

mkdir -p "$T/corpus"
cp "$src"/profiles/*.yaml "$T/corpus/"
for f in "$src"/tests/profiles-bad/*.yaml; do cp "$f" "$T/corpus/bad-$(basename "$f")"; done
nseeds=$(ls "$T/corpus" | wc -l)

build() { # CC FLAGS... -> $T/fuzz
	_cc=$1; shift
	(cd "$src" && $_cc -std=gnu11 -g -O1 -D_GNU_SOURCE -Iinclude "$@" $files "$lib" $libs -o "$T/fuzz") >"$T/build.log" 2>&1
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

if command -v clang >/dev/null 2>&1 &&
   build clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined; then
	t_ok "build the libFuzzer target with clang"
	mkdir -p "$T/found"
	if "$T/fuzz" -runs=0 "$T/corpus" >"$T/seeds.log" 2>&1; then
		t_ok "replay $nseeds seed profiles without a sanitizer report"
	else
		t_fail "replay $nseeds seed profiles without a sanitizer report" "$(tail -n 40 "$T/seeds.log")"
	fi
	if "$T/fuzz" -max_total_time="$seconds" -max_len=8192 -rss_limit_mb=2048 -timeout=10 \
		-artifact_prefix="$T/found/" "$T/corpus" >"$T/fuzz.log" 2>&1; then
		t_ok "fuzz the loader for ${seconds}s: no crash, leak or sanitizer report ($(grep -c . "$T/fuzz.log") log lines)"
	else
		t_fail "fuzz the loader for ${seconds}s: no crash, leak or sanitizer report" \
			"$(tail -n 60 "$T/fuzz.log")" "reproducer: $(ls "$T/found")"
		for a in "$T"/found/*; do [ -f "$a" ] && od -c "$a" | head -n 20; done
	fi
else
	t_skip "build the libFuzzer target with clang" "no clang with libFuzzer: $(tail -n 3 "$T/build.log" 2>/dev/null)"
	if build "${CC:-cc}" -DNOOK_FUZZ_STANDALONE -fsanitize=address,undefined -fno-sanitize-recover=undefined; then
		if "$T/fuzz" "$T"/corpus/* >"$T/seeds.log" 2>&1; then
			t_ok "replay $nseeds seed profiles without a sanitizer report (gcc build)"
		else
			t_fail "replay $nseeds seed profiles without a sanitizer report (gcc build)" "$(tail -n 40 "$T/seeds.log")"
		fi
	else
		t_fail "build the fuzz target with ${CC:-cc}" "$(tail -n 20 "$T/build.log")"
	fi
fi
t_done
