/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pty.c - the payload's own pseudo-terminal and the parent's relay. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "pty.h"
#include "nook/util.h"
#include "nook/missing.h"

int nook_pty_open(int *master, int *slave, struct nook_error *err)
{
	int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0)
		return nook_err(err, errno, "cannot open /dev/pts/ptmx for the container's terminal");
	int unlock = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0) {
		int e = errno;
		close(m);
		return nook_err(err, e, "cannot unlock the container's pty");
	}
	/* open the peer through the master: no path lookup that could be raced */
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0) {
		int e = errno;
		close(m);
		return nook_err(err, e, "cannot open the container's pty");
	}
	*master = m;
	*slave = s;
	return 0;
}

int nook_pty_make_controlling(int slave, struct nook_error *err)
{
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return nook_err(err, errno, "cannot make the pty the controlling terminal");
	for (int fd = 0; fd < 3; fd++)
		if (dup2(slave, fd) < 0)
			return nook_err(err, errno, "dup2 pty");
	if (slave > 2)
		close(slave);
	return 0;
}

/* End of input: pass EOF on as the terminal would (^D). */
static void send_eof(struct nook_pty_relay *r)
{
	char eof = 4;
	if (write(r->master, &eof, 1) < 0) { /* the payload is gone */ }
}

/* Our terminal is in canonical mode still: hand on what it holds as
 * input the payload's terminal sees the same way, and notice an end of
 * file already typed (or sent by a program such as script(1) whose own
 * input ended). The line discipline keeps such an EOF as a NUL byte with
 * an end-of-line mark; the switch to raw mode drops the marks, and the EOF
 * would reach the payload as a stray NUL. Each read returns one line, or
 * text a ^D pushed out without a newline (passed on with a ^D, so it is
 * pushed out there too), or nothing for an EOF. What follows the last line
 * stays queued and arrives as raw bytes. Returns false after an EOF. */
static bool drain_canonical(struct nook_pty_relay *r)
{
	const cc_t *cc = r->saved.c_cc;
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char buf[4096];
	while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		ssize_t n = read(0, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return true;
		if (n == 0)
			return false;
		nook_write_all(r->master, buf, (size_t)n);
		cc_t last = (cc_t)buf[n - 1];
		if (last != '\n' && last != cc[VEOL] && last != cc[VEOL2])
			send_eof(r);
	}
	return true;
}

void nook_pty_relay_init(struct nook_pty_relay *r, int master)
{
	memset(r, 0, sizeof *r);
	r->master = master;
	r->in_open = true;
	if (master < 0)
		return;
	if (isatty(0) && tcgetpgrp(0) != getpgrp()) {
		/* started in the background of a terminal: touching it would stop
		 * us with SIGTTOU/SIGTTIN, so the payload gets no input from it */
		r->in_open = false;
	} else if (isatty(0) && tcgetattr(0, &r->saved) == 0) {
		if ((r->saved.c_lflag & ICANON) && !drain_canonical(r)) {
			r->in_open = false;
			send_eof(r);
		}
		struct termios raw = r->saved;
		cfmakeraw(&raw);
		if (tcsetattr(0, TCSANOW, &raw) == 0)
			r->raw = true;
	}
	nook_pty_resize(r);
}

void nook_pty_resize(struct nook_pty_relay *r)
{
	struct winsize ws;
	if (r->master >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0)
		ioctl(r->master, TIOCSWINSZ, &ws);
}

static bool copy(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	return nook_write_all(to, buf, (size_t)n) == 0;
}

bool nook_pty_pump_in(struct nook_pty_relay *r)
{
	if (!copy(0, r->master)) {
		r->in_open = false;
		/* in raw mode a typed ^D came through as a byte already */
		if (!r->raw)
			send_eof(r);
	}
	return true;
}

bool nook_pty_pump_out(struct nook_pty_relay *r)
{
	return copy(r->master, 1);
}

void nook_pty_relay_done(struct nook_pty_relay *r)
{
	if (r->raw)
		tcsetattr(0, TCSADRAIN, &r->saved);
	if (r->master >= 0)
		close(r->master);
	r->master = -1;
	r->raw = false;
}
