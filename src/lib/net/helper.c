/* SPDX-License-Identifier: GPL-2.0-or-later */
/* helper.c - the process handling slirp4netns, pasta and nook's UDP relay
 * share: a private temporary directory, the log capture, spawning with a
 * parent-death signal and only the fds asked for, telling whether the
 * helper is still there, and failure reports with the tail of its log.
 * net.c (the mode dispatch) and the helpers' own files call these; this
 * file calls none of them. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/limits.h"
#include "nook/net.h"
#include "nook/util.h"
#include "helper.h"

int nook_net_ms_left(uint64_t deadline_ns)
{
	uint64_t now = nook_now_ns();
	if (now >= deadline_ns)
		return 0;
	return (int)((deadline_ns - now) / 1000000u) + 1;
}

int nook_net_fd_above_stdio(int fd)
{
	int nfd;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

char *nook_net_find_helper(const char *prog, const char *package, struct nook_error *err)
{
	char *path = nook_find_program(prog, getenv("PATH"));
	if (!path)
		nook_errx(err, ENOENT, "%s is not installed (not found in PATH): install it with 'apt-get install %s'",
			  prog, package);
	return path;
}

int nook_net_prepare(struct nook_net *n, struct nook_error *err)
{
	_cleanup_free_ char *logpath = NULL;

	/* a SIGKILLed nook cannot remove it: the next one sweeps (tmpdir.c);
	 * the API socket is tmpdir + "/api.sock" */
	int r = nook_locked_tmpdir("nook-net-", sizeof("/api.sock"), &n->tmpdir, &n->tmpdir_fd);
	if (r < 0) {
		nook_err(err, -r, "cannot create a private directory %s for %s", n->tmpdir, n->name);
		free(n->tmpdir);
		n->tmpdir = NULL;
		return r;
	}
	n->tmpdir_fd = nook_net_fd_above_stdio(n->tmpdir_fd);

	/* The helper's stderr goes to a file that has no name, so nothing is
	 * left behind whatever happens; we read it back when it fails. */
	n->log_fd = open(n->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (n->log_fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		logpath = nook_path_join(n->tmpdir, "log");
		n->log_fd = open(logpath, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
		if (n->log_fd >= 0)
			unlink(logpath);
	}
	if (n->log_fd < 0)
		return nook_err(err, errno, "cannot create a log file in %s for %s", n->tmpdir, n->name);
	n->log_fd = nook_net_fd_above_stdio(n->log_fd);
	return 0;
}

void nook_net_remove_tmpdir(struct nook_net *n)
{
	nook_locked_tmpdir_remove(&n->tmpdir, &n->tmpdir_fd);
}

int nook_net_spawn(struct nook_net *n, const char *path, char *const argv[], const int *keep_fds,
		   size_t n_keep, struct nook_error *err)
{
	_cleanup_close_ int devnull = -1;
	pid_t parent = getpid();
	pid_t pid;

	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return nook_err(err, errno, "cannot open /dev/null");

	if (nook_verbose_level > 0) {
		char line[NOOK_ERR_MAX];
		size_t off = 0;
		line[0] = '\0';
		for (size_t i = 0; argv[i] && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s", i ? " " : "", argv[i]);
		nook_verbose("starting %s", line);
	}

	pid = fork();
	if (pid < 0)
		return nook_err(err, errno, "cannot fork to start %s", n->name);
	if (pid == 0) {
		/* Async-signal-safe calls only from here on. */
		if (nook_helper_child_setup(parent) < 0)
			_exit(127);
		if (dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(n->log_fd, 2) < 0)
			_exit(127);
		/* nothing of nook's leaks in, even an fd opened without O_CLOEXEC */
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
			_exit(127);
		for (size_t i = 0; i < n_keep; i++)
			if (fcntl(keep_fds[i], F_SETFD, 0) < 0)
				_exit(127);
		execv(path, argv);
		_exit(127);
	}
	n->pid = pid;
	n->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (n->pidfd >= 0)
		n->pidfd = nook_net_fd_above_stdio(n->pidfd);
	return 0;
}

static void reap_status(struct nook_net *n, int status, char *buf, size_t size)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(buf, size, "could not be executed (exit status 127)");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "stopped");
	(void)n;
}

bool nook_net_helper_exited(struct nook_net *n)
{
	int status;
	pid_t r;

	if (n->pid <= 0)
		return true;
	r = waitpid(n->pid, &status, WNOHANG);
	if (r == n->pid || (r < 0 && errno == ECHILD)) {
		n->pid = 0;
		return true;
	}
	return false;
}

void nook_net_log_tail(struct nook_net *n, char *buf, size_t size)
{
	char log[4096];
	off_t len;
	ssize_t got;
	size_t off = 0, start;
	int lines = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (n->log_fd < 0)
		return;
	len = lseek(n->log_fd, 0, SEEK_END);
	if (len <= 0)
		return;
	start = (size_t)len > sizeof(log) - 1 ? (size_t)len - (sizeof(log) - 1) : 0;
	got = pread(n->log_fd, log, sizeof(log) - 1, (off_t)start);
	if (got <= 0)
		return;
	log[got] = '\0';
	while (got > 0 && (log[got - 1] == '\n' || log[got - 1] == '\r' || log[got - 1] == ' '))
		log[--got] = '\0';
	/* the last three lines, oldest first */
	char *p = log + got;
	while (p > log && lines < 3) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	for (; *p && off + 3 < size; p++) {
		if (*p == '\n') {
			buf[off++] = ';';
			buf[off++] = ' ';
		} else if ((unsigned char)*p >= 0x20) {
			buf[off++] = *p;
		}
	}
	buf[off] = '\0';
}

int nook_net_helper_failed(struct nook_net *n, const char *what, struct nook_error *err)
{
	char how[128] = "failed";
	char tail[600];
	int status;

	/* give a dying helper a moment to finish writing its message */
	if (n->pid > 0 && n->pidfd >= 0) {
		struct pollfd pfd = { .fd = n->pidfd, .events = POLLIN };
		(void)poll(&pfd, 1, 200);
	}
	if (n->pid > 0 && waitpid(n->pid, &status, WNOHANG) == n->pid) {
		reap_status(n, status, how, sizeof(how));
		n->pid = 0;
	}
	nook_net_log_tail(n, tail, sizeof(tail));
	return nook_errx(err, EIO, "%s %s %s%s%s%s", n->name, what, how, tail[0] ? ": " : "", tail,
			 nook_limits_hint());
}
