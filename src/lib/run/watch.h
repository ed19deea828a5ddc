/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.h - the event loop of a process nook watches from outside: the
 * monitor of `nook run` (spawn.c) watching the container's init, and the
 * exec monitor (exec.c) watching its helper in the container. One loop
 * for both: it relays the terminal (pty.c) or the caller's stdio
 * (iorelay.c), reads the sync socket, forwards signals, fires a timer,
 * and ends when the watched process has exited, after draining what it
 * said and wrote last. */
#pragma once
#include <stdbool.h>
#include "nook/error.h"
#include "nook/sync.h"
#include "iorelay.h"
#include "pty.h"

struct nook_watch {
	int pidfd;                   /* the watched process (our child) */
	int sfd;                     /* signalfd of the forwarded signals */
	int sync_fd;                 /* its sync socket */
	int tfd;                     /* a timerfd, or -1 */
	struct nook_pty_relay *pty;  /* master -1 when there is no pty */
	struct nook_stdio *io;       /* the caller's stdio relay */
	void *ctx;
	/* a message (and the fd it carried, -1 if none; the callee owns it) */
	void (*on_msg)(void *ctx, const struct nook_msg *m, int passed);
	/* a signal to forward (SIGWINCH is handled here when there is a pty) */
	void (*on_signal)(void *ctx, int sig);
	/* the timer fired */
	void (*on_timer)(void *ctx);
	/* a child of nook changed state (a helper may have died), or NULL */
	void (*on_child)(void *ctx);
	const bool *stop;            /* when set and true, return before the process exits
				      * (checked after each round; nothing is drained) */
	int wait_status;             /* out: the watched process's, as waitpid */
	bool exited;                 /* out: the process exited (false: stopped) */
};

/* Run until the watched process exits; 0, or an error if poll fails. */
int nook_watch_run(struct nook_watch *w, struct nook_error *err);
