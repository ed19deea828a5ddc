/* SPDX-License-Identifier: GPL-2.0-or-later */
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
#include "nook/cleanup.h"
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
#include "nook/missing.h"

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
	if (sync_fd < 0)
		dprintf(2, "nook: %s\n", err->msg);
	else
		nook_sync_send_error(sync_fd, err);
	_exit(err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE);
}

__attribute__((noreturn)) static void exec_payload(struct nook_child_ctx *ctx, bool pid1)
{
	struct nook_error err = { 0 };
	nook_payload_exec(ctx->spec, ctx->security, ctx->tty_slave, pid1, &err);
	fail(ctx->sync_fd, &err);
}

static int drop_all_caps(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	return (int)syscall(SYS_capset, &h, d);
}

/* Close every fd but 0, 1, 2, the n in keep and the ones the profile
 * passes to the payload: what the monitor had open when it cloned us (the
 * state directory, the cgroup, anything nook's caller leaked to it) must
 * not stay reachable through /proc/PID/fd once container code runs.
 * passed: keep the profile's pass_fds too (until the payload has them). */
static int keep_only(const struct nook_spec *s, const int *keep, size_t n, bool passed, struct nook_error *err)
{
	int k[NOOK_KEEP_FDS_MAX];
	size_t m = 0;
	for (int fd = 0; fd < 3; fd++)
		k[m++] = fd;
	for (size_t i = 0; i < n && m < NOOK_KEEP_FDS_MAX; i++)
		k[m++] = keep[i];
	if (passed && m + s->n_pass_fds > NOOK_KEEP_FDS_MAX)
		return nook_errx(err, E2BIG, "too many file descriptors to pass to the container (at most %d)",
				 NOOK_KEEP_FDS_MAX - (int)m);
	for (size_t i = 0; passed && i < s->n_pass_fds; i++)
		k[m++] = s->pass_fds[i];
	int r = nook_close_fds_except(k, m, false);
	if (r < 0)
		return nook_err(err, -r, "cannot close nook's file descriptors before the payload starts");
	return 0;
}

/* PID 1: forward signals to the payload, reap orphans, report the status. */
__attribute__((noreturn)) static void reaper(struct nook_child_ctx *ctx, pid_t payload, int sfd)
{
	int status = 0;
	if (drop_all_caps() < 0) {
		struct nook_error err = { 0 };
		nook_err(&err, errno, "the container's init cannot drop its capabilities");
		kill(payload, SIGKILL);
		fail(ctx->sync_fd, &err);
	}
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

/* While the parent may still be building our network namespace: the
 * masks outside /sys and /proc/sys, and the bounding set trimmed (the init
 * keeps its effective capabilities for the mounts still to come). */
static int before_net(void *arg, int rootfd, int emptydir, struct nook_error *err)
{
	struct nook_child_ctx *ctx = arg;
	int r = nook_masks_apply_at(ctx->spec, rootfd, NOOK_MASKS_EARLY, &ctx->mask_empty, emptydir, err);
	if (r == 0)
		r = nook_caps_trim_init(ctx->spec, err);
	ctx->masks_early = r == 0;
	return r;
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

/* linux.sysctl: each "key=value" written to /proc/sys/KEY (dots become
 * slashes), in the container's own /proc, before /proc/sys is read-only */
static int write_sysctls(const struct nook_spec *s, struct nook_error *err)
{
	for (size_t i = 0; s->sysctl && s->sysctl[i]; i++) {
		const char *eq = strchr(s->sysctl[i], '=');
		char path[PATH_MAX];
		if (!eq)
			continue;
		int n = snprintf(path, sizeof path, "/proc/sys/%.*s", (int)(eq - s->sysctl[i]), s->sysctl[i]);
		if (n < 0 || (size_t)n >= sizeof path)
			return nook_errx(err, ENAMETOOLONG, "sysctl %s: name too long", s->sysctl[i]);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		int r = nook_write_file(path, eq + 1, strlen(eq + 1), 0);
		if (r < 0)
			return nook_err(err, -r, "cannot set the sysctl %.*s (linux.sysctl; only namespaced ones can be set)",
					(int)(eq - s->sysctl[i]), s->sysctl[i]);
	}
	return 0;
}

/* The OCI startContainer hooks: inside the container, in order; the
 * first that fails (or outlives its timeout) stops the container. */
static void run_start_hooks(const struct nook_spec *s)
{
	for (size_t i = 0; i < s->n_start_hooks; i++) {
		const struct nook_hook *h = &s->start_hooks[i];
		char *const only[] = { h->path, NULL };
		pid_t pid = fork();
		if (pid < 0) {
			dprintf(2, "nook: cannot run the startContainer hook %s: %s\n", h->path, strerror(errno));
			_exit(NOOK_EXIT_FAILURE);
		}
		if (pid == 0) {
			sigset_t none;
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			if (h->timeout_s)
				alarm(h->timeout_s);
			execve(h->path, h->argv && h->argv[0] ? h->argv : only, h->env ? h->env : environ);
			dprintf(2, "nook: cannot execute the startContainer hook %s: %s\n", h->path, strerror(errno));
			_exit(127);
		}
		int st;
		while (waitpid(pid, &st, 0) < 0)
			if (errno != EINTR)
				_exit(NOOK_EXIT_FAILURE);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			dprintf(2, "nook: startContainer hook failed with %s %d (hooks.startContainer[%zu], %s)\n",
				WIFEXITED(st) ? "exit code" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), i, h->path);
			_exit(NOOK_EXIT_FAILURE);
		}
	}
}

/* The container is built: wait until `start` opens the FIFO for reading
 * (oci/), then say so with one byte and let the payload go. The monitor
 * of `create` is gone by now, so a failure is said on stderr. */
static void wait_for_start(struct nook_child_ctx *ctx, int fifo)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fifo);
	close(ctx->sync_fd);
	ctx->sync_fd = -1;
	int fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		dprintf(2, "nook: the container's init cannot wait for start: %s\n", strerror(errno));
		_exit(NOOK_EXIT_FAILURE);
	}
	close(fd);
	close(fifo);
	run_start_hooks(ctx->spec);
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
	/* the init's stdio once the payload has its own (see below) */
	int null_fd = -1;
	if (s->init && (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		nook_err(&err, errno, "cannot open /dev/null");
		fail(ctx->sync_fd, &err);
	}
	/* the OCI create/start split: the FIFO is on the host, so it is
	 * opened (as a path) before the root changes */
	int fifo = -1;
	if (s->start_fifo && (fifo = open(s->start_fifo, O_PATH | O_CLOEXEC)) < 0) {
		nook_err(&err, errno, "cannot open %s", s->start_fifo);
		fail(ctx->sync_fd, &err);
	}
	if (s->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(NOOK_EXIT_FAILURE);
	/* the monitor may have died before the death signal was set: then its
	 * pidfd is readable (the go and the network namespace may still come,
	 * from processes that outlive it) */
	if (ctx->parent_pidfd >= 0) {
		struct pollfd pp = { .fd = ctx->parent_pidfd, .events = POLLIN };
		if (poll(&pp, 1, 0) != 0)
			_exit(NOOK_EXIT_FAILURE);
		close(ctx->parent_pidfd);
		ctx->parent_pidfd = -1;
	}
	if (ctx->write_maps && nook_idmaps_apply_self(ctx->maps, &err) < 0)
		fail(ctx->sync_fd, &err);
	/* Wait for the parent when it has work to do first: it writes our id
	 * maps (unless we did), starts the network helpers, then says go.
	 * Without a death signal (a detached OCI container) its death shows
	 * as EOF here - or, with no go to wait for, as a hang-up right now;
	 * with one, its pidfd above has told already. */
	if (ctx->wait_go) {
		if (nook_sync_recv(ctx->sync_fd, &msg) <= 0 || msg.type != NOOK_MSG_GO)
			_exit(NOOK_EXIT_FAILURE);
	} else {
		struct pollfd p = { .fd = ctx->sync_fd, .events = 0 };
		if (poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR)))
			_exit(NOOK_EXIT_FAILURE);
	}
	/* A map that leaves the caller out (podman's --userns=nomap or auto
	 * hand such an OCI config): we are nobody inside until we take root,
	 * which the new namespace lets us (runc does the same). */
	if (ctx->take_root) {
		(void)setgroups(0, NULL); /* refused when setgroups is denied: then there are none */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			nook_err(&err, errno, "the user namespace's map leaves you out, and its uid/gid 0 cannot be taken "
				 "(map 0 inside the namespace, or map your own ids)");
			fail(ctx->sync_fd, &err);
		}
	}

	/* a mount namespace to start from (OCI linux.namespaces path): its
	 * mounts become the container's, in a copy of its own, so that the
	 * root built next changes nothing in the joined one */
	if (ctx->mnt_ns_fd >= 0) {
		if (setns(ctx->mnt_ns_fd, CLONE_NEWNS) < 0) {
			nook_err(&err, errno, "cannot enter the mount namespace %s (linux.namespaces path)%s", s->join_mnt_ns,
				 errno == EPERM ? ": it belongs to a user namespace the container has no privileges in "
						  "(join that user namespace too)" : "");
			fail(ctx->sync_fd, &err);
		}
		close(ctx->mnt_ns_fd);
		ctx->mnt_ns_fd = -1;
		if (unshare(CLONE_NEWNS) < 0) {
			nook_err(&err, errno, "cannot make a mount namespace of the container's own from %s", s->join_mnt_ns);
			fail(ctx->sync_fd, &err);
		}
		/* the root is built through /proc/self of that namespace */
		if (access("/proc/self/fd", F_OK) < 0) {
			nook_errx(&err, errno, "the mount namespace %s (linux.namespaces path) has no /proc that shows the "
				  "container (join the pid namespace of its /proc too)", s->join_mnt_ns);
			fail(ctx->sync_fd, &err);
		}
	}
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		nook_err(&err, errno, "cannot set the hostname to '%s'", s->hostname);
		fail(ctx->sync_fd, &err);
	}
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
		nook_err(&err, errno, "cannot set the domain name to '%s'", s->domainname);
		fail(ctx->sync_fd, &err);
	}
	if ((s->ns_flags & CLONE_NEWNET) && !ctx->late_net && nook_net_loopback_up(&err) < 0)
		fail(ctx->sync_fd, &err);
	if ((s->ns_flags & CLONE_NEWNET) && s->net == NOOK_NET_PASTA)
		nook_net_size_txqueue(s->mtu ? s->mtu : NOOK_NET_DEFAULT_MTU);
	struct nook_rootfs_hooks hooks = { .join_net = ctx->late_net ? join_net : NULL,
					   .before_net = ctx->late_net ? before_net : NULL,
					   .fuse_handover = ctx->fuse_ok ? fuse_handover : NULL,
					   .fuse_unusable = ctx->fuse_unusable, .arg = ctx };
	if (nook_rootfs_setup(s, &hooks, &err) < 0)
		fail(ctx->sync_fd, &err);
	/* the container's own /proc now; /proc/sys is made read-only below */
	/* (not without a user namespace of its own: the engine's sysctls
	 * decide then, as with runc) */
	if ((s->ns_flags & CLONE_NEWNET) && ctx->maps->mode != NOOK_USERNS_NONE)
		nook_net_allow_ping(nook_idmaps_max_gid(ctx->maps));
	if (write_sysctls(s, &err) < 0)
		fail(ctx->sync_fd, &err);
	if (ctx->masks_early) {
		_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0 || nook_masks_apply_at(s, rootfd, NOOK_MASKS_LATE, &ctx->mask_empty, -1, &err) < 0) {
			if (rootfd < 0)
				nook_err(&err, errno, "cannot open the container's root");
			fail(ctx->sync_fd, &err);
		}
		if (ctx->mask_empty >= 0)
			close(TAKE_FD(ctx->mask_empty));
	} else if (nook_masks_apply(s, &err) < 0 || nook_caps_trim_init(s, &err) < 0)
		fail(ctx->sync_fd, &err);

	int master = -1;
	if (s->tty && nook_pty_open(&master, &ctx->tty_slave, &err) < 0)
		fail(ctx->sync_fd, &err);

	if (!s->init) {
		/* Nothing but stdio, the sync socket and the pty survives into
		 * the payload-to-be. It stays dumpable until its execve (which
		 * sets that anew) so that `nook exec` can join it as soon as the
		 * state is published; it holds nothing then that names the host. */
		if (keep_only(s, (const int[]){ ctx->sync_fd, master, ctx->tty_slave, fifo }, 4, true, &err) < 0)
			fail(ctx->sync_fd, &err);
		if (s->seccomp_listener) {
			/* the agent gets its listener during create, so the
			 * filter is loaded now rather than right before execve */
			int lfd = nook_security_seccomp_listen(s, ctx->security, &err);
			if (lfd < 0)
				fail(ctx->sync_fd, &err);
			nook_sync_send_fd(ctx->sync_fd, NOOK_MSG_SECCOMP, 0, lfd);
			close(lfd);
		}
		send_ready(ctx, master);
		if (fifo >= 0)
			wait_for_start(ctx, fifo);
		exec_payload(ctx, true);
	}

	int sfd = nook_forwarded_signalfd(NULL, SFD_CLOEXEC);
	if (sfd < 0) {
		nook_err(&err, errno, "signalfd");
		fail(ctx->sync_fd, &err);
	}

	/* Before any container code exists: the init is not dumpable (so a
	 * payload in the same user namespace, even one with CAP_SYS_PTRACE
	 * there, cannot open /proc/1/fd, /proc/1/mem and the like: our mm
	 * belongs to the host's user namespace), and it holds none of the
	 * monitor's fds. Not earlier: the id maps (newuidmap checks
	 * /proc/PID), the network namespace and fuse-overlayfs (setns on our
	 * pidfd) need us dumpable while the root is built, but no container
	 * code runs then. The vforked payload shares this mm, so it is not
	 * dumpable either until its execve. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		nook_err(&err, errno, "cannot make the container's init non-dumpable (prctl PR_SET_DUMPABLE)");
		fail(ctx->sync_fd, &err);
	}
	if (keep_only(s, (const int[]){ ctx->sync_fd, sfd, master, ctx->tty_slave, null_fd }, 5, true, &err) < 0)
		fail(ctx->sync_fd, &err);

	/* vfork: the payload borrows this address space until its execve, so
	 * nothing is copied and nothing is torn down twice. It only calls
	 * exec_payload(), which never returns, and we wait (suspended) until it
	 * has exec'ed or exited. */
	pid_t pid = vfork();
	if (pid < 0) {
		nook_err(&err, errno, "cannot start the payload");
		fail(ctx->sync_fd, &err);
	}
	if (pid == 0) {
		close(sfd);
		close(null_fd);
		if (master >= 0)
			close(master);
		exec_payload(ctx, false);
	}
	if (ctx->tty_slave >= 0)
		close(ctx->tty_slave);
	/* The payload runs: from now on the init needs only the sync socket
	 * and its signalfd (and the pty master until it is handed over).
	 * Stdio (the caller's terminal or files) and the fds passed to the
	 * payload go too. */
	for (int fd = 0; fd < 3; fd++) {
		if (dup2(null_fd, fd) < 0) {
			nook_err(&err, errno, "the container's init cannot let go of its stdio");
			kill(pid, SIGKILL);
			fail(ctx->sync_fd, &err);
		}
	}
	if (keep_only(s, (const int[]){ ctx->sync_fd, sfd, master }, 3, false, &err) < 0) {
		kill(pid, SIGKILL);
		fail(ctx->sync_fd, &err);
	}
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
