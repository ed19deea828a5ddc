/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helper.h - internal to net/: the helper process
 * (slirp4netns or pasta) that serves the container's network namespace. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "nook/error.h"
#include "nook/net.h"

/* How long a helper may take to bring the network up. */
#define NOOK_NET_READY_TIMEOUT_MS 10000

struct nook_net {
	enum nook_net_mode mode;
	const char *name;     /* "slirp4netns" or "pasta", for messages */
	pid_t pid;            /* the helper, our child; 0 when not running */
	int pidfd;            /* pidfd of the helper, -1 if unavailable */
	int exit_fd;          /* slirp4netns: our end of --exit-fd, -1 otherwise */
	int log_fd;           /* unlinked file holding the helper's stderr */
	char *tmpdir;         /* private directory for the API socket / pid file */
	int tmpdir_fd;        /* tmpdir, flock()ed while it exists (see helper.c) */
	pid_t relay_pid;      /* UDP port relay (udprelay.c), 0 if none */
	int relay_fd;         /* our end of its status socket until it said "ok", else -1 */
};

/* Create n->tmpdir (mode 0700 under $TMPDIR or /tmp) and n->log_fd. */
int nook_net_prepare(struct nook_net *n, struct nook_error *err);
/* Remove n->tmpdir and what is in it (we only ever put flat files there). */
void nook_net_remove_tmpdir(struct nook_net *n);
/* Fork and exec the helper at path with argv. keep_fds (all >= 3) stay
 * open in the helper; stdin/stdout are /dev/null, stderr is n->log_fd. The
 * helper gets SIGKILL when nook dies and its own session. */
int nook_net_spawn(struct nook_net *n, const char *path, char *const argv[], const int *keep_fds,
		   size_t n_keep, struct nook_error *err);
/* The helper died or failed: reap it if it exited, and fill err with what
 * happened plus the last lines of its log. Returns the error. */
int nook_net_helper_failed(struct nook_net *n, const char *what, struct nook_error *err);
/* True if the helper has exited (reaps it). */
bool nook_net_helper_exited(struct nook_net *n);
/* Copy the last lines of the helper's log into buf, joined by "; ". */
void nook_net_log_tail(struct nook_net *n, char *buf, size_t size);
/* Duplicate fd to a number >= 3 (close-on-exec), closing the original. */
int nook_net_fd_above_stdio(int fd);
/* Milliseconds left until deadline (nook_now_ns() based), >= 0. */
int nook_net_ms_left(uint64_t deadline_ns);
/* Find a program in PATH, or fill err naming the Debian package. */
char *nook_net_find_helper(const char *prog, const char *package, struct nook_error *err);

int nook_slirp_start(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err);
/* UDP ports go through nook's own relay: see udprelay.c for why. It is
 * forked first (nothing to do without UDP ports) and comes up while the
 * helper does; nook_udprelay_wait() then waits for its "ok". */
int nook_udprelay_spawn(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err);
int nook_udprelay_wait(const struct nook_spec *s, struct nook_net *n, struct nook_error *err);
void nook_udprelay_stop(struct nook_net *n);
int nook_pasta_start(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err);
