/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync.h - the parent/child channel: one SOCK_SEQPACKET socketpair. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "nook/error.h"

/* Room for one passed fd in a message's control data. */
union nook_fdbuf {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};
/* Attach fd to mh as SCM_RIGHTS, in b. */
void nook_msg_attach_fd(struct msghdr *mh, union nook_fdbuf *b, int fd);

enum nook_msg_type {
	NOOK_MSG_GO = 1,      /* parent -> child: maps written, helpers up */
	NOOK_MSG_READY,       /* child -> parent: root built, payload about to start */
	NOOK_MSG_ERROR,       /* child -> parent: setup failed, see msg/exit_status */
	NOOK_MSG_EXIT,        /* reaper -> parent: payload wait status in value */
	NOOK_MSG_PID,         /* reaper -> parent: a pidfd of the payload (named containers,
	                       * for nook exec); exec's helper -> exec: the same */
	NOOK_MSG_NETNS,       /* parent's helper -> child: the network namespace (fd) */
	NOOK_MSG_FUSE,        /* child -> parent: /dev/fuse fd of the overlay root's FUSE
				 mount; value: the kernel's errno that made auto fall back */
	NOOK_MSG_ERROR_PATH,  /* child -> parent, before NOOK_MSG_ERROR: the path
	                       * inside that error is about, its errno in value */
	NOOK_MSG_SECCOMP,     /* child -> parent, before NOOK_MSG_READY: the seccomp
	                       * user-notification listener (spec->seccomp_listener) */
};

struct nook_msg {
	int32_t type;
	int32_t value;        /* exit status / wait status / pid */
	char text[NOOK_ERR_MAX];
};

int nook_sync_send(int fd, int type, int value, const char *text);
/* Returns 1 with a message, 0 on EOF, negative errno on error. */
int nook_sync_recv(int fd, struct nook_msg *m);
/* The same, with one file descriptor passed alongside (SCM_RIGHTS); the
 * received fd (O_CLOEXEC) is stored in *passed, or -1. */
int nook_sync_send_fd(int fd, int type, int value, int pass);
int nook_sync_recv_fd(int fd, struct nook_msg *m, int *passed);
/* Send an error from a child: uses err->msg and err->exit_status, and
 * err->path (with the errno) first when it is set. */
void nook_sync_send_error(int fd, const struct nook_error *err);
