/* SPDX-License-Identifier: GPL-2.0-or-later */
/* limits.h - nook's own resource limits (base/limits.c). */
#ifndef NOOK_LIMITS_H
#define NOOK_LIMITS_H

#include "nook/error.h"

/* Raise nook's soft stack, open-file and file-size limits to what it needs
 * (where the hard limit allows); fail naming the limit where it does not. */
int nook_self_limits_prepare(struct nook_error *err);
/* Give the caller's soft limits back (in the payload, before its rlimits). */
int nook_self_limits_restore(struct nook_error *err);
/* execve with the caller's soft stack limit (see limits.c); -1 and errno. */
int nook_self_limits_exec(const char *path, char *const *argv, char *const *envp);
/* " (perhaps because the address-space limit is 4096 (`ulimit -v`))" when a
 * limit is low enough to explain a helper that could not start; else "". */
const char *nook_limits_hint(void);

#endif
