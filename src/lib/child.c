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
#include "nook/child.h"
#include "nook/error.h"
#include "nook/idmap.h"
#include "nook/net.h"
#include "nook/pty.h"
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

__attribute__((noreturn)) static void fail(int sync_fd, struct nook_error *err)
{
	nook_sync_send_error(sync_fd, err);
	_exit(err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE);
}

/* Mark every fd from 3 up close-on-exec except the ones passed on purpose. */
static void fd_hygiene(const struct nook_spec *s)
{
	if (s->n_pass_fds == 0) {
		if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
			return;
	}
	int max = (int)sysconf(_SC_OPEN_MAX);
	for (int fd = 3; fd < max && fd < 65536; fd++) {
		bool keep = false;
		for (size_t i = 0; i < s->n_pass_fds; i++)
			keep |= s->pass_fds[i] == fd;
		int fl = fcntl(fd, F_GETFD);
		if (fl < 0)
			continue;
		if (keep)
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
		else
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

/* Neither nook nor its reaper installs handlers, so the only dispositions
 * that survive execve are the signals ignored by whoever started nook: read
 * them from /proc/self/status (one read instead of 64 sigactions). */
static void reset_ignored_signals(void)
{
	char buf[2048];
	unsigned long long ign = ~0ULL;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof buf - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		char *p = strstr(buf, "\nSigIgn:");
		if (p)
			ign = strtoull(p + 9, NULL, 16);
	}
	for (int sig = 1; sig < 64 && sig < _NSIG; sig++)
		if ((ign & (1ULL << (sig - 1))) && sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
}

/* execve argv[0], searching the container's PATH (not nook's) when it has
 * no slash. Returns the errno that explains the failure: ENOENT when no
 * candidate exists at all, otherwise the first other error seen; tried
 * holds the path that error came from. */
static int exec_search(char *const *argv, char *const *envp, char *tried, size_t size)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	snprintf(tried, size, "%s", argv[0]);
	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, envp);
		return errno;
	}
	for (size_t i = 0; envp[i]; i++)
		if (strncmp(envp[i], "PATH=", 5) == 0)
			path = envp[i] + 5;
	int saved = ENOENT;
	char buf[PATH_MAX];
	size_t alen = strlen(argv[0]);
	for (const char *p = path; ; ) {
		const char *e = strchrnul(p, ':');
		size_t n = (size_t)(e - p);
		if (n == 0)
			n = 1, p = ".";
		if (n + alen + 2 <= sizeof buf) {
			memcpy(buf, p, n);
			buf[n] = '/';
			memcpy(buf + n + 1, argv[0], alen + 1);
			execve(buf, argv, envp);
			if (errno != ENOENT && errno != ENOTDIR && errno != EACCES) {
				snprintf(tried, size, "%s", buf);
				return errno;
			}
			/* EACCES from a file that is there beats "not found" */
			struct stat st;
			if (errno == EACCES && saved == ENOENT && stat(buf, &st) == 0 && S_ISREG(st.st_mode)) {
				saved = EACCES;
				snprintf(tried, size, "%s", buf);
			}
		}
		if (!*e)
			break;
		p = e + 1;
	}
	return saved;
}

__attribute__((noreturn)) static void exec_payload(struct nook_child_ctx *ctx, bool pid1)
{
	const struct nook_spec *s = ctx->spec;
	struct nook_error err = { 0 };
	sigset_t none;

	/* the payload starts as if from a fresh login: nothing blocked, nothing
	 * ignored (a shell's background job would otherwise ignore SIGINT) */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	reset_ignored_signals();

	if ((s->new_session || ctx->tty_slave >= 0) && setsid() < 0 && !pid1)
		nook_err(&err, errno, "setsid"), fail(ctx->sync_fd, &err);
	if (ctx->tty_slave >= 0 && nook_pty_make_controlling(ctx->tty_slave, &err) < 0)
		fail(ctx->sync_fd, &err);
	if (nook_security_before_setuid(s, ctx->security, &err) < 0)
		fail(ctx->sync_fd, &err);
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		nook_err(&err, errno, "setgroups"), fail(ctx->sync_fd, &err);
	if (setresgid(s->gid, s->gid, s->gid) < 0)
		nook_err(&err, errno, "cannot switch to gid %u inside the container", (unsigned)s->gid),
			fail(ctx->sync_fd, &err);
	if (setresuid(s->uid, s->uid, s->uid) < 0)
		nook_err(&err, errno, "cannot switch to uid %u inside the container", (unsigned)s->uid),
			fail(ctx->sync_fd, &err);
	/* credentials changed: the parent-death signal was reset; set it again */
	if (!pid1 && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		nook_err(&err, errno, "prctl(PR_SET_PDEATHSIG)"), fail(ctx->sync_fd, &err);

	const char *cwd = s->cwd ? s->cwd : "/";
	if (chdir(cwd) < 0)
		nook_err_at(&err, cwd, nook_err(&err, errno, "cannot change to the working directory %s", cwd)),
			fail(ctx->sync_fd, &err);
	char got[PATH_MAX];
	if (!getcwd(got, sizeof got) || got[0] != '/')
		nook_errx(&err, EPERM, "the working directory %s lies outside the container's root", cwd),
			fail(ctx->sync_fd, &err);

	fd_hygiene(s);
	if (nook_security_apply(s, ctx->security, &err) < 0)
		fail(ctx->sync_fd, &err);

	char *const *envp = s->env ? s->env : (char *const[]){ NULL };
	char tried[PATH_MAX];
	int e = exec_search(s->argv, envp, tried, sizeof tried);
	if (e == ENOENT) {
		nook_errx(&err, e, strchr(s->argv[0], '/') ? "%s: no such file or directory" : "%s: command not found",
			  s->argv[0]);
		err.exit_status = NOOK_EXIT_NOT_FOUND;
	} else {
		nook_err_at(&err, tried, nook_err(&err, e, "cannot execute %s", s->argv[0]));
		err.exit_status = NOOK_EXIT_CANNOT_EXEC;
	}
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

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (unsigned i = 0; i < nook_n_forwarded_signals; i++)
		sigaddset(&mask, nook_forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC);
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
	send_ready(ctx, master);
	reaper(ctx, pid, sfd);
}
