/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hooks.c - the config's hooks: each runs on the host, in the runtime's
 * namespaces, with the container's state (JSON) on its stdin, its args
 * (args[0] is its argv[0]) and env, and stops the operation when it fails
 * or outlives its timeout. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/oci.h"
#include "nook/util.h"

extern char **environ;

static int run_one(const struct nook_oci_hook *h, const char *kind, size_t idx, const char *state_json,
		   struct nook_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return nook_err(err, errno, "fork");
	}
	if (pid == 0) {
		dup2(p[0], 0);
		char *const path_only[] = { h->path, NULL };
		char *const no_env[] = { NULL };
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* without an env of its own a hook inherits the runtime's, as
		 * crun does (it finds PATH) */
		execve(h->path, h->args && h->args[0] ? h->args : path_only, h->env ? h->env : environ);
		(void)no_env;
		dprintf(2, "nook: hooks.%s[%zu]: cannot execute %s: %s\n", kind, idx, h->path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	/* the state is small: one write; a hook that does not read it must
	 * not stop us (SIGPIPE is ignored around the write) */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigaction(SIGPIPE, &ign, &old);
	if (write(p[1], state_json, strlen(state_json)) < 0) {
		/* the hook closed its stdin: fine */
	}
	sigaction(SIGPIPE, &old, NULL);
	close(p[1]);
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool timed_out = false;
	if (pfd >= 0 && h->timeout_s > 0) {
		struct pollfd q = { .fd = pfd, .events = POLLIN };
		int r;
		while ((r = poll(&q, 1, h->timeout_s * 1000)) < 0 && errno == EINTR)
			;
		if (r == 0) {
			timed_out = true;
			kill(pid, SIGKILL);
		}
	}
	if (pfd >= 0)
		close(pfd);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return nook_err(err, errno, "waitpid");
	if (timed_out)
		return nook_errx(err, ETIMEDOUT, "hooks.%s[%zu] (%s) did not finish within its timeout of %d s",
				 kind, idx, h->path, h->timeout_s);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFSIGNALED(st))
		return nook_errx(err, ECANCELED, "hooks.%s[%zu] (%s) was killed by signal %d", kind, idx, h->path, WTERMSIG(st));
	return nook_errx(err, ECANCELED, "%s hook failed with exit code %d (hooks.%s[%zu], %s)", kind, WEXITSTATUS(st), kind,
			 idx, h->path);
}

int nook_oci_hooks_run(const struct nook_oci_config *c, enum nook_oci_hook_kind k, const char *state_json,
		       struct nook_error *err)
{
	for (size_t i = 0; i < c->n_hooks[k]; i++) {
		int r = run_one(&c->hooks[k][i], nook_oci_hook_name(k), i, state_json, err);
		if (r < 0 && k == NOOK_HOOK_POSTSTOP) {
			/* the container is gone either way: say it, run the rest */
			fprintf(stderr, "nook-oci: warning: %s\n", err->msg);
			continue;
		}
		if (r < 0) {
			err->exit_status = 1;
			return r;
		}
	}
	return 0;
}
