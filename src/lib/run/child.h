/* SPDX-License-Identifier: GPL-2.0-or-later */
/* child.h - everything that runs inside the new namespaces. */
#pragma once
#include <signal.h>
#include "nook/spec.h"

struct nook_security;
struct nook_idmaps;
struct nook_stdio;

struct nook_child_ctx {
	const struct nook_spec *spec;
	int sync_fd;                   /* child's end of the socketpair */
	int parent_fd;                 /* parent's end, closed first thing */
	int state_lock_fd;             /* the monitor's state lock (state.h), or -1;
					  closed first thing */
	struct nook_security *security; /* prepared in the parent, may be NULL */
	int tty_slave;                 /* the payload's pty, -1 if none */
	const struct nook_stdio *stdio; /* pipes for the caller's terminals (iorelay.h) */
	const struct nook_idmaps *maps; /* the id maps of the new user namespace */
	bool write_maps;               /* self mode: the child writes them itself */
	bool masks_early;              /* before_net applied the early masks */
	int mask_empty;                /* their empty tmpfs, for the late ones (-1: none) */
	int parent_pidfd;              /* the monitor (die_with_parent), or -1 */
	bool take_root;                /* the map leaves the caller out but maps 0:
					  become root of the namespace first */
	bool wait_go;                  /* the parent has work to do first (maps,
					  the upper's lock, a network helper):
					  wait for its NOOK_MSG_GO */
	bool late_net;                 /* cloned without CLONE_NEWNET: the parent builds
					  the network namespace and sends it (netns.c) */
	int mnt_ns_fd;                 /* spec->join_mnt_ns opened by the monitor, or -1 */
	bool report_payload;           /* send a pidfd of the payload (NOOK_MSG_PID) */
	bool fuse_ok;                  /* fuse-overlayfs may serve an overlay root */
	const char *fuse_unusable;     /* driver auto: why it may not, or NULL */
};

/* Never returns. */
__attribute__((noreturn)) void nook_child_main(struct nook_child_ctx *ctx);

/* The signals nook forwards to the payload. */
extern const int nook_forwarded_signals[];
/* Block SIGCHLD and the forwarded signals (the old mask into *oldmask when
 * not NULL) and return a signalfd for them (flags: SFD_*), or -1 with
 * errno set. Used by nook's monitor, nook exec and the container's init. */
int nook_forwarded_signalfd(sigset_t *oldmask, int flags);
extern const unsigned nook_n_forwarded_signals;
