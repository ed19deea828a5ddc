/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upperlock.h - one container at a time per overlay upper directory. */
#pragma once
#include "nook/error.h"
#include "nook/spec.h"

/* For an overlay root with an upper directory: flock() the directory
 * (exclusive) for the caller's life and set *fd_out to the fd that holds
 * the lock (-1 when there is nothing to lock). A directory that another
 * running container holds fails with 125 and a message that names the
 * directory and that container (its nook's pid, and its name if any). The
 * lock goes away by itself when the holder exits or is killed. */
int nook_upper_lock(const struct nook_spec *s, int *fd_out, struct nook_error *err);
