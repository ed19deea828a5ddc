/* pty.c - the payload's own pseudo-terminal and the parent's relay. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "nook/pty.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

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
	for (ssize_t off = 0; off < n; ) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return false;
		}
		off += w;
	}
	return true;
}

bool nook_pty_pump_in(struct nook_pty_relay *r)
{
	if (!copy(0, r->master)) {
		r->in_open = false;
		/* end of input: pass EOF on as the terminal would (^D) */
		if (!r->raw) {
			char eof = 4;
			if (write(r->master, &eof, 1) < 0) { /* the payload is gone */ }
		}
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
