/* child.c - the container side: wait for the parent, build the root, then
 * either exec the payload as PID 1 or fork it and stay as a small reaper
 * that forwards signals and reports the payload's exit status. */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"
#include "nook/error.h"
#include "nook/idmap.h"
#include "nook/net.h"
#include "payload.h"
#include "pty.h"
#include "iorelay.h"
#include "nook/rootfs.h"
#include "nook/security.h"
#include "nook/sync.h"
#include "nook/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

const int nook_forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
const unsigned nook_n_forwarded_signals = sizeof nook_forwarded_signals / sizeof *nook_forwarded_signals;

int nook_forwarded_signalfd(sigset_t *oldmask, int flags)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (unsigned i = 0; i < nook_n_forwarded_signals; i++)
		sigaddset(&mask, nook_forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &mask, oldmask);
	/* never inherited by the payload or a helper */
	return signalfd(-1, &mask, flags | SFD_CLOEXEC);
}

__attribute__((noreturn)) static void fail(int sync_fd, struct nook_error *err)
{
	nook_sync_send_error(sync_fd, err);
	_exit(err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE);
}

__attribute__((noreturn)) static void exec_payload(struct nook_child_ctx *ctx, bool pid1)
{
	struct nook_error err = { 0 };
	nook_payload_exec(ctx->spec, ctx->security, ctx->tty_slave, pid1, &err);
	fail(ctx->sync_fd, &err);
}

static void drop_all_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	syscall(SYS_capset, &h, d);
}

/* PID 1: forward signals to the payload, reap orphans, report the status. */
__attribute__((noreturn)) static void reaper(struct nook_child_ctx *ctx, pid_t payload, int sfd)
{
	int status = 0;
	drop_all_caps();
	prctl(PR_SET_DUMPABLE, 0);
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = read(sfd, &si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof si)
			_exit(NOOK_EXIT_FAILURE);
		if (si.ssi_signo != SIGCHLD) {
			kill(payload, (int)si.ssi_signo);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == payload) {
				status = st;
				nook_sync_send(ctx->sync_fd, NOOK_MSG_EXIT, status, NULL);
				_exit(0);
			}
		}
	}
}

/* The network namespace the parent built beside us (netns.c). */
static int join_net(void *arg, struct nook_error *err)
{
	struct nook_child_ctx *ctx = arg;
	return nook_netns_join(ctx->sync_fd, err);
}

/* The overlay root is a FUSE mount: the parent starts fuse-overlayfs on it. */
static int fuse_handover(void *arg, int fd, int kernel_errno, struct nook_error *err)
{
	struct nook_child_ctx *ctx = arg;
	int r = nook_sync_send_fd(ctx->sync_fd, NOOK_MSG_FUSE, kernel_errno, fd);
	if (r < 0)
		return nook_err(err, -r, "cannot hand the FUSE mount of the overlay root to nook");
	return 0;
}

/* Tell the parent the payload is starting; hand over the pty master. */
static void send_ready(struct nook_child_ctx *ctx, int master)
{
	if (master >= 0) {
		nook_sync_send_fd(ctx->sync_fd, NOOK_MSG_READY, 1, master);
		close(master);
	} else {
		nook_sync_send(ctx->sync_fd, NOOK_MSG_READY, 0, NULL);
	}
}

void nook_child_main(struct nook_child_ctx *ctx)
{
	const struct nook_spec *s = ctx->spec;
	struct nook_error err = { 0 };
	struct nook_msg msg;

	close(ctx->parent_fd);
	/* pipes in place of the caller's terminals, for init and payload */
	nook_stdio_child(ctx->stdio);
	if (ctx->state_lock_fd >= 0)
		close(ctx->state_lock_fd);
	if (s->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(NOOK_EXIT_FAILURE);
	if (ctx->write_maps && nook_idmaps_apply_self(ctx->maps, &err) < 0)
		fail(ctx->sync_fd, &err);
	/* Wait for the parent: it writes our id maps (unless we did), starts
	 * the network helpers, then says go. If it died before we set the
	 * death signal, its end of the socket is closed and we see EOF here. */
	if (nook_sync_recv(ctx->sync_fd, &msg) <= 0 || msg.type != NOOK_MSG_GO)
		_exit(NOOK_EXIT_FAILURE);

	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		nook_err(&err, errno, "cannot set the hostname to '%s'", s->hostname), fail(ctx->sync_fd, &err);
	if ((s->ns_flags & CLONE_NEWNET) && !ctx->late_net && nook_net_loopback_up(&err) < 0)
		fail(ctx->sync_fd, &err);
	struct nook_rootfs_hooks hooks = { .join_net = ctx->late_net ? join_net : NULL,
					   .fuse_handover = ctx->fuse_ok ? fuse_handover : NULL,
					   .fuse_unusable = ctx->fuse_unusable, .arg = ctx };
	if (nook_rootfs_setup(s, &hooks, &err) < 0)
		fail(ctx->sync_fd, &err);
	/* the container's own /proc now; /proc/sys is made read-only below */
	if (s->ns_flags & CLONE_NEWNET)
		nook_net_allow_ping(nook_idmaps_max_gid(ctx->maps));
	if (nook_masks_apply(s, &err) < 0)
		fail(ctx->sync_fd, &err);

	int master = -1;
	if (s->tty && nook_pty_open(&master, &ctx->tty_slave, &err) < 0)
		fail(ctx->sync_fd, &err);

	if (!s->init) {
		send_ready(ctx, master);
		exec_payload(ctx, true);
	}

	int sfd = nook_forwarded_signalfd(NULL, SFD_CLOEXEC);
	if (sfd < 0)
		nook_err(&err, errno, "signalfd"), fail(ctx->sync_fd, &err);

	/* vfork: the payload borrows this address space until its execve, so
	 * nothing is copied and nothing is torn down twice. It only calls
	 * exec_payload(), which never returns, and we wait (suspended) until it
	 * has exec'ed or exited. */
	pid_t pid = vfork();
	if (pid < 0)
		nook_err(&err, errno, "cannot start the payload"), fail(ctx->sync_fd, &err);
	if (pid == 0) {
		close(sfd);
		if (master >= 0)
			close(master);
		exec_payload(ctx, false);
	}
	if (ctx->tty_slave >= 0)
		close(ctx->tty_slave);
	if (ctx->report_payload) {
		/* nook exec joins the payload: this reaper is not dumpable,
		 * which setns() with a pidfd refuses (ptrace access check) */
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			nook_sync_send_fd(ctx->sync_fd, NOOK_MSG_PID, 0, pfd);
			close(pfd);
		}
	}
	send_ready(ctx, master);
	reaper(ctx, pid, sfd);
}
