/* SPDX-License-Identifier: GPL-2.0-or-later */
/* procattr.h - scheduling, I/O priority and memory policy of a payload. */
#pragma once
#include "nook/error.h"
#include "nook/spec.h"

/* Apply spec's sched_*, ioprio_* and mempolicy_* (those set) to the
 * calling process. */
int nook_procattr_apply(const struct nook_spec *s, struct nook_error *err);
