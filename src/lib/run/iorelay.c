/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iorelay.c - relay the caller's terminals through pipes (see iorelay.h). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "nook/util.h"
#include "iorelay.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Keep our pipes off 0-2 (which may be closed when nook starts), so that
 * putting the container's ends there never overwrites another end. */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return n;
}

static int make_pipe(int p[2], struct nook_error *err)
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return nook_err(err, errno, "cannot create a pipe for the command's terminal input/output");
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		int e = errno;
		close_fd(&p[0]);
		close_fd(&p[1]);
		return nook_err(err, e, "cannot create a pipe for the command's terminal input/output");
	}
	return 0;
}

/* Reading our terminal from the background would stop nook (SIGTTIN). A
 * terminal that is not our controlling one has no job control. */
static bool may_read_terminal(void)
{
	pid_t fg = tcgetpgrp(0);
	return fg < 0 || fg == getpgrp();
}

int nook_stdio_prepare(struct nook_stdio *io, bool tty, struct nook_error *err)
{
	memset(io, 0, sizeof *io);
	io->in_w = -1;
	for (int i = 0; i < 3; i++)
		io->child[i] = io->out_r[i] = -1;
	if (tty)
		return 0;
	for (int fd = 0; fd < 3; fd++) {
		if (!isatty(fd))
			continue;
		int p[2];
		int r = make_pipe(p, err);
		if (r < 0) {
			nook_stdio_done(io);
			return r;
		}
		if (fd == 0) {
			io->child[0] = p[0];
			io->in_w = p[1];
			io->in_open = may_read_terminal();
			if (!io->in_open)
				close_fd(&io->in_w);
			else
				fcntl(io->in_w, F_SETFL, O_NONBLOCK);
		} else {
			io->child[fd] = p[1];
			io->out_r[fd] = p[0];
			fcntl(io->out_r[fd], F_SETFL, O_NONBLOCK);
		}
	}
	return 0;
}

void nook_stdio_child(const struct nook_stdio *io)
{
	if (!io)
		return;
	for (int fd = 0; fd < 3; fd++)
		if (io->child[fd] >= 0)
			dup2(io->child[fd], fd); /* the copy on fd is not close-on-exec */
	for (int fd = 0; fd < 3; fd++) {
		if (io->child[fd] >= 0)
			close(io->child[fd]);
		if (io->out_r[fd] >= 0)
			close(io->out_r[fd]);
	}
	if (io->in_w >= 0)
		close(io->in_w);
}

void nook_stdio_started(struct nook_stdio *io)
{
	for (int fd = 0; fd < 3; fd++)
		close_fd(&io->child[fd]);
}

void nook_stdio_pollfds(const struct nook_stdio *io, struct pollfd *p)
{
	/* input: read our terminal while the pipe has taken everything, else
	 * wait until it has room */
	if (io->in_w >= 0 && io->in_len > io->in_off)
		p[0] = (struct pollfd){ .fd = io->in_w, .events = POLLOUT };
	else
		p[0] = (struct pollfd){ .fd = io->in_w >= 0 && io->in_open ? 0 : -1, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = io->out_r[1], .events = POLLIN };
	p[2] = (struct pollfd){ .fd = io->out_r[2], .events = POLLIN };
}

/* Write what is buffered into the input pipe. A pipe nobody reads any more
 * would raise SIGPIPE: it is blocked around the write and a pending one
 * taken back, so that nook neither dies of it nor passes it on. */
static void push_input(struct nook_stdio *io)
{
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	ssize_t n = write(io->in_w, io->in_buf + io->in_off, io->in_len - io->in_off);
	int e = errno;
	if (n < 0 && e == EPIPE) {
		struct timespec zero = { 0, 0 };
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (n > 0)
		io->in_off += (size_t)n;
	else if (n < 0 && e != EAGAIN && e != EINTR)
		close_fd(&io->in_w); /* the command closed its stdin: stop reading ours */
	if (io->in_off == io->in_len) {
		io->in_off = io->in_len = 0;
		if (!io->in_open)
			close_fd(&io->in_w);
	}
}

static void pull_input(struct nook_stdio *io)
{
	ssize_t n = read(0, io->in_buf, sizeof io->in_buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* end of input (^D), or a terminal that hung up: the command
		 * sees the end of its stdin */
		io->in_open = false;
		close_fd(&io->in_w);
		return;
	}
	io->in_off = 0;
	io->in_len = (size_t)n;
	push_input(io);
}

/* Pass on one read of the command's output; false at its end. */
static bool pump_output(struct nook_stdio *io, int fd)
{
	char buf[8192];
	ssize_t n = read(io->out_r[fd], buf, sizeof buf);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return false;
	if (n <= 0) {
		close_fd(&io->out_r[fd]);
		return false;
	}
	/* a terminal that went away loses the output; the command goes on */
	(void)nook_write_all(fd, buf, (size_t)n);
	return true;
}

void nook_stdio_handle(struct nook_stdio *io, const struct pollfd *p)
{
	if (p[0].fd >= 0 && p[0].revents) {
		if (p[0].fd == 0)
			pull_input(io);
		else
			push_input(io);
	}
	for (int fd = 1; fd < 3; fd++)
		if (p[fd].fd >= 0 && p[fd].revents)
			pump_output(io, fd);
}

void nook_stdio_drain(struct nook_stdio *io)
{
	/* Only what is there now, and not for ever: a process the command
	 * left behind may hold the pipe open and keep writing. */
	for (int fd = 1; fd < 3; fd++)
		for (int i = 0; i < 1024 && io->out_r[fd] >= 0 && pump_output(io, fd); i++)
			;
}

void nook_stdio_done(struct nook_stdio *io)
{
	for (int fd = 0; fd < 3; fd++) {
		close_fd(&io->child[fd]);
		close_fd(&io->out_r[fd]);
	}
	close_fd(&io->in_w);
	io->in_open = false;
}
