/* SPDX-License-Identifier: GPL-2.0-or-later */
/* payload.c - the last steps of a container process before execve: the
 * same envelope for `nook run`'s payload (child.c) and for a process that
 * `nook exec` starts in a running container (exec.c): signals, session and
 * terminal, uid/gid, working directory, fd hygiene, the security envelope
 * (security.c), then the search of the container's PATH. */
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "nook/error.h"
#include "nook/limits.h"
#include "payload.h"
#include "procattr.h"
#include "pty.h"
#include "nook/security.h"
#include "nook/missing.h"
#include "nook/util.h"

/* Mark every fd from 3 up close-on-exec except the ones passed on
 * purpose: a payload never inherits what nook's caller leaked to nook. */
static int fd_hygiene(const struct nook_spec *s, struct nook_error *err)
{
	int keep[NOOK_KEEP_FDS_MAX] = { 0, 1, 2 };
	size_t n = 3;
	if (s->n_pass_fds > NOOK_KEEP_FDS_MAX - n)
		return nook_errx(err, E2BIG, "too many file descriptors to pass to the container (at most %d)",
				 NOOK_KEEP_FDS_MAX - (int)n);
	for (size_t i = 0; i < s->n_pass_fds; i++)
		keep[n++] = s->pass_fds[i];
	int r = nook_close_fds_except(keep, n, true);
	if (r < 0)
		return nook_err(err, -r, "cannot mark nook's file descriptors close-on-exec");
	for (size_t i = 0; i < s->n_pass_fds; i++)
		if (fcntl(s->pass_fds[i], F_SETFD, 0) < 0)
			return nook_err(err, errno, "cannot pass file descriptor %d to the container", s->pass_fds[i]);
	return 0;
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
		nook_self_limits_exec(argv[0], argv, envp);
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
		if (n == 0) {
			n = 1;
			p = ".";
		}
		if (n + alen + 2 <= sizeof buf) {
			memcpy(buf, p, n);
			buf[n] = '/';
			memcpy(buf + n + 1, argv[0], alen + 1);
			nook_self_limits_exec(buf, argv, envp);
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

void nook_payload_exec(const struct nook_spec *s, struct nook_security *sec, int tty_slave,
		       bool pid1, struct nook_error *err)
{
	sigset_t none;

	/* the payload starts as if from a fresh login: nothing blocked, nothing
	 * ignored (a shell's background job would otherwise ignore SIGINT);
	 * in this order, so that a signal already pending is not discarded as
	 * ignored when it is unblocked */
	reset_ignored_signals();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if ((s->new_session || tty_slave >= 0) && setsid() < 0 && !pid1) {
		nook_err(err, errno, "setsid");
		return;
	}
	if (tty_slave >= 0 && nook_pty_make_controlling(tty_slave, err) < 0)
		return;
	if (nook_security_before_setuid(s, sec, err) < 0)
		return;
	if (s->n_groups > 0) {
		if (setgroups(s->n_groups, s->groups) < 0) {
			nook_err(err, errno, "cannot set the additional groups of the process (setgroups)");
			return;
		}
	} else if (setgroups(0, NULL) < 0 && errno != EPERM) {
		nook_err(err, errno, "setgroups");
		return;
	}
	if (setresgid(s->gid, s->gid, s->gid) < 0) {
		nook_err(err, errno, "cannot switch to gid %u inside the container", (unsigned)s->gid);
		return;
	}
	if (setresuid(s->uid, s->uid, s->uid) < 0) {
		nook_err(err, errno, "cannot switch to uid %u inside the container", (unsigned)s->uid);
		return;
	}
	/* credentials changed: the parent-death signal was reset; set it again */
	if (!pid1 && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		nook_err(err, errno, "prctl(PR_SET_PDEATHSIG)");
		return;
	}

	if (s->umask >= 0)
		umask((mode_t)s->umask);
	const char *cwd = s->cwd ? s->cwd : "/";
	if (chdir(cwd) < 0) {
		nook_err_at(err, cwd, nook_err(err, errno, "cannot change to the working directory %s", cwd));
		return;
	}
	char got[PATH_MAX];
	if (!getcwd(got, sizeof got) || got[0] != '/') {
		nook_errx(err, EPERM, "the working directory %s lies outside the container's root", cwd);
		return;
	}

	if (fd_hygiene(s, err) < 0)
		return;
	if (nook_procattr_apply(s, err) < 0)
		return;
	if (nook_security_apply(s, sec, err) < 0)
		return;

	char *const *envp = s->env ? s->env : (char *const[]){ NULL };
	char tried[PATH_MAX];
	int e = exec_search(s->argv, envp, tried, sizeof tried);
	if (e == ENOENT) {
		if (strchr(s->argv[0], '/') && s->argv[0][0] != '/')
			/* a relative path is looked up from the working directory inside */
			nook_errx(err, e, "%s: no such file or directory (relative to the working directory "
				  "inside the container, %s; use -w DIR or an absolute path)", s->argv[0], got);
		else
			nook_errx(err, e, strchr(s->argv[0], '/') ? "%s: no such file or directory" : "%s: command not found",
				  s->argv[0]);
		err->exit_status = NOOK_EXIT_NOT_FOUND;
	} else {
		nook_err_at(err, tried, nook_err(err, e, "cannot execute %s", s->argv[0]));
		err->exit_status = NOOK_EXIT_CANNOT_EXEC;
	}
}

