/* SPDX-License-Identifier: GPL-2.0-or-later */
/* watch.c - the event loop shared by the monitor of `nook run` and the
 * exec monitor (see watch.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/missing.h"
#include "watch.h"

enum { W_PID, W_SIG, W_SYNC, W_TIMER, W_MASTER, W_STDIN, W_STDIO, W_N = W_STDIO + NOOK_STDIO_NPOLL };

/* What the process said before it went: messages still queued. */
static void drain_sync(struct nook_watch *w)
{
	for (bool reset_seen = false;;) {
		struct nook_msg m;
		int passed = -1;
		ssize_t n = recv(w->sync_fd, &m, sizeof m, MSG_DONTWAIT | MSG_PEEK);
		/* ECONNRESET comes once, before the queued messages (see
		 * nook_sync_recv_fd) */
		if (n < 0 && errno == ECONNRESET && !reset_seen) {
			reset_seen = true;
			continue;
		}
		if (n <= 0 || nook_sync_recv_fd(w->sync_fd, &m, &passed) <= 0)
			break;
		w->on_msg(w->ctx, &m, passed);
	}
}

int nook_watch_run(struct nook_watch *w, struct nook_error *err)
{
	bool exited = false, sync_open = true, master_open = true;
	struct pollfd p[W_N];

	while (!exited) {
		if (w->stop && *w->stop) {
			w->exited = false;
			return 0;
		}
		bool pty = w->pty->master >= 0;
		p[W_PID] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
		p[W_SIG] = (struct pollfd){ .fd = w->sfd, .events = POLLIN };
		p[W_SYNC] = (struct pollfd){ .fd = sync_open ? w->sync_fd : -1, .events = POLLIN };
		p[W_TIMER] = (struct pollfd){ .fd = w->tfd, .events = POLLIN };
		p[W_MASTER] = (struct pollfd){ .fd = pty && master_open ? w->pty->master : -1, .events = POLLIN };
		p[W_STDIN] = (struct pollfd){ .fd = pty && w->pty->in_open ? 0 : -1, .events = POLLIN };
		nook_stdio_pollfds(w->io, p + W_STDIO);
		if (poll(p, W_N, -1) < 0) {
			if (errno == EINTR)
				continue;
			return nook_err(err, errno, "poll");
		}
		if (p[W_SYNC].revents) {
			struct nook_msg m;
			int passed = -1;
			if (nook_sync_recv_fd(w->sync_fd, &m, &passed) > 0)
				w->on_msg(w->ctx, &m, passed);
			else
				sync_open = false;
		}
		if (p[W_MASTER].revents && !nook_pty_pump_out(w->pty))
			master_open = false;
		if (p[W_STDIN].revents)
			nook_pty_pump_in(w->pty);
		nook_stdio_handle(w->io, p + W_STDIO);
		if (p[W_SIG].revents & POLLIN) {
			struct signalfd_siginfo si;
			ssize_t got = read(w->sfd, &si, sizeof si);
			if (got == sizeof si && si.ssi_signo == SIGCHLD) {
				if (w->on_child)
					w->on_child(w->ctx);
			} else if (got == sizeof si) {
				if (si.ssi_signo == SIGWINCH && w->pty->master >= 0)
					nook_pty_resize(w->pty);
				else
					w->on_signal(w->ctx, (int)si.ssi_signo);
			}
		}
		if (w->tfd >= 0 && (p[W_TIMER].revents & POLLIN)) {
			uint64_t ticks;
			if (read(w->tfd, &ticks, sizeof ticks) == sizeof ticks && w->on_timer)
				w->on_timer(w->ctx);
		}
		if (p[W_PID].revents & POLLIN) {
			siginfo_t si;
			memset(&si, 0, sizeof si);
			if (waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED) == 0) {
				exited = true;
				w->wait_status = si.si_code == CLD_EXITED ? (si.si_status & 0xff) << 8 : si.si_status & 0x7f;
			}
		}
	}
	w->exited = true;
	if (sync_open)
		drain_sync(w);
	/* what the process wrote last is still in the pty */
	while (w->pty->master >= 0 && master_open && nook_pty_pump_out(w->pty)) {
		struct pollfd one = { .fd = w->pty->master, .events = POLLIN };
		if (poll(&one, 1, 0) <= 0)
			break;
	}
	nook_stdio_drain(w->io);
	return 0;
}
