/* SPDX-License-Identifier: GPL-2.0-or-later */
/* twin.c - hand work to nook-dyn, the dynamically linked twin of a
 * statically linked nook (twin.h says what and why). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/error.h"
#include "nook/limits.h"
#include "nook/twin.h"

#ifndef NOOK_PKGLIBEXECDIR
#define NOOK_PKGLIBEXECDIR "/usr/local/libexec/nook"
#endif
#define TWIN "nook-dyn"

static char **saved_argv;

bool nook_is_static(void)
{
	/* AT_BASE is where the kernel loaded the program's interpreter:
	 * none, for a static (or static-pie) program */
	return getauxval(AT_BASE) == 0;
}

void nook_twin_save_argv(char **argv)
{
	saved_argv = argv;
}

const char *nook_twin_path(void)
{
	static char path[PATH_MAX];
	if (path[0])
		return path;
	/* another place (a test, an unusual install); nook is no more
	 * privileged than whoever sets it */
	const char *env = getenv("NOOK_DYN");
	if (env && env[0] == '/') {
		snprintf(path, sizeof path, "%s", env);
		return path;
	}
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash && (size_t)(slash - self) + sizeof "/" TWIN <= sizeof path) {
			snprintf(path, sizeof path, "%.*s/" TWIN, (int)(slash - self), self);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof path, "%s/" TWIN, NOOK_PKGLIBEXECDIR);
	return path;
}

static int missing(const char *path, int e, const char *why, struct nook_error *err)
{
	nook_err(err, e, "%s needs %s, the dynamically linked nook installed with it: "
		 "reinstall nook (make install puts it there), or build it with --disable-static-nook", why, path);
	err->exit_status = NOOK_EXIT_FAILURE;
	/* not -ENOENT: a caller must not take it for "no such thing" */
	return -ELIBACC;
}

int nook_twin_exec(const char *why, struct nook_error *err)
{
	if (!nook_is_static())
		return 0;
	const char *path = nook_twin_path();
	if (!saved_argv)
		return missing(path, EINVAL, why, err);
	nook_verbose("%s: the dynamically linked nook (%s) takes over", why, path);
	/* the twin raises its own limits again, from the caller's (the
	 * stack's is lowered around the execve itself) */
	struct nook_error lerr = { 0 };
	nook_self_limits_restore(&lerr);
	extern char **environ;
	nook_self_limits_exec(path, saved_argv, environ);
	return missing(path, errno, why, err);
}

int nook_twin_run(const char *what_for, char *const *args, char *out, size_t size, struct nook_error *err)
{
	const char *path = nook_twin_path();
	const char *argv[16];
	size_t n = 0;
	argv[n++] = TWIN;
	for (size_t i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	pid_t pid = vfork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return nook_err(err, e, "cannot start %s", path);
	}
	if (pid == 0) {
		if (dup2(p[1], 1) < 0)
			_exit(127);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t got = 0;
	for (;;) {
		char tmp[512];
		ssize_t r = read(p[0], tmp, sizeof tmp);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size_t k = (size_t)r < size - 1 - got ? (size_t)r : size - 1 - got;
		memcpy(out + got, tmp, k);
		got += k;
	}
	out[got] = '\0';
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return nook_err(err, errno, "waitpid");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && !got) {
		int e = access(path, X_OK) < 0 ? errno : ENOEXEC;
		return missing(path, e, what_for, err);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

