#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# reliability.sh - the long form of tests/integration/reliability.sh
# (issue 13): many more early SIGTERM/SIGINT runs (with and without slirp)
# and many more SIGKILLs of nook spread over the start-up of each mode
# (slirp, slirp with ports, pasta, named, overlay), each followed by a run
# that must leave nothing behind. Run as the unprivileged test user:
#
#   NOOK=/path/to/nook sh tests/bench/reliability.sh
#
# Environment: NOOK; RELIABILITY_ITER (default 1000: early signals per
# network mode), RELIABILITY_KILL_ITER (default 300: SIGKILLs per mode),
# RELIABILITY_MAXMS (how far into the start-up the signals and kills are
# spread, in ms; by default 80-200 depending on the mode, as in the CI
# form). Prints TAP; exits non-zero when a run lost a signal or left
# something behind.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${NOOK:?NOOK must point at the nook binary}"
: "${NOOK_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${NOOK_PROFILE_PATH:=$NOOK_SRCDIR/profiles}"
RELIABILITY_ITER=${RELIABILITY_ITER:-1000}
RELIABILITY_KILL_ITER=${RELIABILITY_KILL_ITER:-300}
export NOOK NOOK_SRCDIR NOOK_PROFILE_PATH RELIABILITY_ITER RELIABILITY_KILL_ITER
exec sh "$NOOK_SRCDIR/tests/integration/reliability.sh"
