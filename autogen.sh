#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Generate ./configure from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
# automake's "installing 'build-aux/...'" lines are noise: keep only errors
if ! out=$(autoreconf --force --install 2>&1); then
	printf '%s\n' "$out" >&2
	exit 1
fi
printf '%s\n' "$out" | grep -v "installing '\|^$" >&2 || true
echo "Now run ./configure && make"
