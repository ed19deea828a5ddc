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
t_done
