/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sync.c - messages over the parent/child SOCK_SEQPACKET socketpair. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include "nook/sync.h"

int nook_sync_send(int fd, int type, int value, const char *text)
{
	struct nook_msg m;
	size_t len = offsetof(struct nook_msg, text);
	m.type = type;
	m.value = value;
	if (text) {
		size_t n = strnlen(text, sizeof m.text - 1);
		memcpy(m.text, text, n);
		m.text[n] = '\0';
		len += n + 1;
	}
	for (;;) {
		ssize_t w = send(fd, &m, len, MSG_NOSIGNAL);
		if (w >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

void nook_msg_attach_fd(struct msghdr *mh, union nook_fdbuf *b, int fd)
{
	memset(b, 0, sizeof *b);
	mh->msg_control = b->buf;
	mh->msg_controllen = sizeof b->buf;
	struct cmsghdr *c = CMSG_FIRSTHDR(mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
}

int nook_sync_send_fd(int fd, int type, int value, int pass)
{
	struct nook_msg m = { .type = type, .value = value };
	struct iovec iov = { .iov_base = &m, .iov_len = offsetof(struct nook_msg, text) };
	union nook_fdbuf u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	nook_msg_attach_fd(&msg, &u, pass);
	while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int nook_sync_recv(int fd, struct nook_msg *m)
{
	int passed = -1;
	int r = nook_sync_recv_fd(fd, m, &passed);
	if (passed >= 0)
		close(passed);
	return r;
}

int nook_sync_recv_fd(int fd, struct nook_msg *m, int *passed)
{
	bool reset_seen = false;
	*passed = -1;
	for (;;) {
		struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
		union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
				      .msg_controllen = sizeof u.buf };
		ssize_t r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
		if (r > 0) {
			struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
			if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
				memcpy(passed, CMSG_DATA(c), sizeof *passed);
		}
		if (r < 0 && errno == EINTR)
			continue;
		/* The peer closed its end with messages of ours still unread (the
		 * child failed before it took the network namespace the parent
		 * sent): the kernel reports ECONNRESET once, ahead of what the peer
		 * sent us, which is still queued. Read on. */
		if (r < 0 && errno == ECONNRESET && !reset_seen) {
			reset_seen = true;
			continue;
		}
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		if ((size_t)r < offsetof(struct nook_msg, text))
			return -EBADMSG;
		if ((size_t)r == offsetof(struct nook_msg, text))
			m->text[0] = '\0';
		m->text[sizeof m->text - 1] = '\0';
		return 1;
	}
}

void nook_sync_send_error(int fd, const struct nook_error *err)
{
	if (err->path)
		nook_sync_send(fd, NOOK_MSG_ERROR_PATH, -err->code, err->path);
	nook_sync_send(fd, NOOK_MSG_ERROR, err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE,
		       err->msg);
}
