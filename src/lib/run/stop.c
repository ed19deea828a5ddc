/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stop.c - `nook stop`: SIGTERM a named container's init through a pidfd,
 * SIGKILL it after the grace time, then wait for its `nook run` (the
 * monitor) to finish cleaning up and exit. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "nook/exec.h"
#include "nook/state.h"
#include "nook/util.h"

#define MONITOR_WAIT_MS 30000

/* Wait until pidfd's process exits; false on timeout. */
static bool wait_exit(int pidfd, int ms)
{
	uint64_t end = nook_now_ns() + (uint64_t)ms * 1000000ULL;
	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		uint64_t now = nook_now_ns();
		int left = now >= end ? 0 : (int)((end - now) / 1000000ULL);
		int n = poll(&p, 1, left);
		if (n > 0)
			return true;
		if (n == 0)
			return false;
		if (errno != EINTR)
			return false;
	}
}

int nook_stop(const char *name, unsigned timeout_s, struct nook_error *err)
{
	struct nook_state_entry e;
	int r = nook_state_lookup(name, &e, err);
	if (r < 0)
		return r;
	/* the monitor, pinned before anything is signalled */
	int mon = (int)syscall(SYS_pidfd_open, e.monitor_pid, 0);
	if (mon >= 0 && nook_proc_starttime(e.monitor_pid) != e.monitor_start) {
		close(mon);
		mon = -1;
	}
	int init = nook_state_open_init(&e);
	if (init >= 0) {
		if (syscall(SYS_pidfd_send_signal, init, SIGTERM, NULL, 0) < 0 && errno != ESRCH) {
			r = nook_err(err, errno, "cannot signal container '%s'", name);
			close(init);
			if (mon >= 0)
				close(mon);
			return r;
		}
		if (!wait_exit(init, (int)timeout_s * 1000)) {
			nook_verbose("container '%s' did not stop within %us: SIGKILL", name, timeout_s);
			syscall(SYS_pidfd_send_signal, init, SIGKILL, NULL, 0);
			wait_exit(init, MONITOR_WAIT_MS);
		}
		close(init);
	}
	if (mon >= 0) {
		bool gone = wait_exit(mon, MONITOR_WAIT_MS);
		close(mon);
		if (!gone)
			return nook_errx(err, ETIMEDOUT, "container '%s' stopped, but its nook run (pid %d) has not exited after %ds",
					 name, (int)e.monitor_pid, MONITOR_WAIT_MS / 1000);
	}
	return 0;
}
