/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iorelay.h - the caller's terminal is never handed to the container.
 *
 * Without a pty of its own (-t), a container process would inherit nook's
 * stdin, stdout and stderr. When one of them is a terminal, a process the
 * payload leaves behind (nook exec returns while it lives on) would keep the
 * terminal and read what the user types next; a terminal fd opened read-write
 * serves as stdout and as stdin alike. So each of the three that is a
 * terminal is replaced in the container by a pipe, and nook relays between
 * the pipe and its own fd while the command runs (as podman does without
 * -t). When nook returns it closes its ends: what is left in the container
 * holds a pipe to nobody. Fds that are not terminals pass through as they
 * are. The caller's input is read only while nook is in the foreground of
 * its terminal (reading it from the background would stop nook); otherwise
 * the command's stdin is at its end at once. */
#pragma once
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include "nook/error.h"

#define NOOK_STDIO_NPOLL 3

struct nook_stdio {
	int child[3];      /* the container's ends, for fds 0-2; -1: pass the caller's */
	int in_w;          /* we write the caller's input into this pipe, or -1 */
	int out_r[3];      /* [1], [2]: we read the command's output here, or -1 */
	bool in_open;      /* still reading our fd 0 */
	size_t in_len, in_off;
	char in_buf[4096]; /* input read but not yet taken by the pipe */
};

/* Set up the pipes for the terminals among fds 0-2 (nothing when tty: the
 * command gets a pty of its own). nook_stdio_done() undoes it. */
int nook_stdio_prepare(struct nook_stdio *io, bool tty, struct nook_error *err);
/* In the container process (before the payload is started): put the
 * container's ends on 0-2 and close every other end. */
void nook_stdio_child(const struct nook_stdio *io);
/* In nook, once the container process has its copies: close the container's ends. */
void nook_stdio_started(struct nook_stdio *io);
/* Fill NOOK_STDIO_NPOLL entries (fd -1 for the unused ones) and handle what poll returned. */
void nook_stdio_pollfds(const struct nook_stdio *io, struct pollfd *p);
void nook_stdio_handle(struct nook_stdio *io, const struct pollfd *p);
/* The command ended: pass on what it wrote and is still in the pipes. */
void nook_stdio_drain(struct nook_stdio *io);
void nook_stdio_done(struct nook_stdio *io);
