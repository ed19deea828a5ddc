/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payload.h - the envelope a container process gets right before execve. */
#pragma once
#include <stdbool.h>
#include "nook/error.h"
#include "nook/spec.h"

struct nook_security;

/* In the process that becomes the payload (run's or exec's): reset signal
 * mask and ignored signals, setsid (spec->new_session or a tty), make
 * tty_slave (or -1) the controlling terminal, switch to spec->uid/gid, set
 * the parent-death signal (unless pid1), chdir to spec->cwd, mark fds
 * close-on-exec, apply the security envelope prepared by
 * nook_security_prepare(), and execve spec->argv searching the container's
 * PATH. Returns only on failure, with err->exit_status 125, 126 or 127. */
void nook_payload_exec(const struct nook_spec *s, struct nook_security *sec, int tty_slave,
		       bool pid1, struct nook_error *err);
