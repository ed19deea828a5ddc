/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.c - starting and stopping the network helper (slirp4netns or pasta)
 * for a container: the mode dispatch and the stop. The process handling
 * the helpers share is helper.c's. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/net.h"
#include "nook/util.h"
#include "helper.h"

#define STOP_GRACE_MS 1000

static int start_helper(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err)
{
	int r = nook_net_prepare(n, err);
	if (r < 0)
		return r;
	/* the relay (published UDP ports) comes up while the helper does */
	if ((r = nook_udprelay_spawn(s, child, n, err)) < 0)
		return r;
	if (s->net == NOOK_NET_SLIRP)
		r = nook_slirp_start(s, child, n, err);
	else
		r = nook_pasta_start(s, child, n, err);
	if (r < 0)
		return r;
	return nook_udprelay_wait(s, n, err);
}

int nook_net_start(const struct nook_spec *s, pid_t child, struct nook_net **out, struct nook_error *err)
{
	struct nook_net *n;
	int r;

	*out = NULL;
	if (!nook_net_user_mode(s->net))
		return 0;

	n = nook_xmalloc(sizeof(*n));
	n->mode = s->net;
	n->name = s->net == NOOK_NET_SLIRP ? "slirp4netns" : "pasta";
	n->pidfd = n->exit_fd = n->log_fd = n->relay_fd = n->tmpdir_fd = -1;
	r = start_helper(s, child, n, err);
	/* the socket and pid file were needed only to set the helper up */
	nook_net_remove_tmpdir(n);
	if (r < 0) {
		nook_net_stop(n);
		return r;
	}
	nook_verbose("%s is up (pid %d)", n->name, (int)n->pid);
	*out = n;
	return 0;
}

/* Wait up to ms for the helper to exit; true when it did. */
static bool wait_exit(struct nook_net *n, int ms)
{
	uint64_t deadline = nook_now_ns() + (uint64_t)ms * 1000000u;

	while (!nook_net_helper_exited(n)) {
		int left = nook_net_ms_left(deadline);
		if (left == 0)
			return false;
		if (n->pidfd >= 0) {
			struct pollfd pfd = { .fd = n->pidfd, .events = POLLIN };
			(void)poll(&pfd, 1, left);
		} else {
			usleep(5000);
		}
	}
	return true;
}

/* "exited with status N" / "was killed by signal N (NAME)" if pid has
 * exited (not reaped: nook_net_stop does that), else false. */
static bool died(pid_t pid, char *how, size_t size)
{
	siginfo_t si = { 0 };
	if (pid <= 0 || waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid != pid)
		return false;
	if (si.si_code == CLD_EXITED)
		snprintf(how, size, "exited with status %d", si.si_status);
	else
		snprintf(how, size, "was killed by signal %d (%s)", si.si_status, strsignal(si.si_status));
	return true;
}

bool nook_net_warn_dead(const struct nook_net *n, char *msg, size_t size)
{
	char how[96];
	if (!n)
		return false;
	if (died(n->pid, how, sizeof how)) {
		snprintf(msg, size, "%s %s while the container ran: the container had no network from then on",
			 n->name, how);
		nook_warn("%s", msg);
		return true;
	}
	if (died(n->relay_pid, how, sizeof how)) {
		snprintf(msg, size, "the UDP port relay (nook-udprelay) %s while the container ran: its UDP ports were no longer forwarded from then on",
			 how);
		nook_warn("%s", msg);
		return true;
	}
	return false;
}

void nook_net_stop(struct nook_net *n)
{
	int saved = errno;

	if (!n)
		return;
	nook_udprelay_stop(n);
	if (n->pid > 0) {
		if (n->exit_fd >= 0) {
			/* closing the exit fd is slirp4netns's signal to quit */
			close(n->exit_fd);
			n->exit_fd = -1;
		} else {
			kill(n->pid, SIGTERM);
		}
		if (!wait_exit(n, STOP_GRACE_MS)) {
			kill(n->pid, SIGKILL);
			(void)wait_exit(n, STOP_GRACE_MS);
		}
		if (n->pid > 0) {
			/* still not reaped: do it blocking, a SIGKILLed process goes */
			waitpid(n->pid, NULL, 0);
			n->pid = 0;
		}
	}
	if (n->exit_fd >= 0)
		close(n->exit_fd);
	if (n->pidfd >= 0)
		close(n->pidfd);
	if (n->log_fd >= 0)
		close(n->log_fd);
	nook_net_remove_tmpdir(n);
	free(n);
	errno = saved;
}
