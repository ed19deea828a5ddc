/* sync.c - messages over the parent/child SOCK_SEQPACKET socketpair. */
#include <string.h>
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

int nook_sync_recv(int fd, struct nook_msg *m)
{
	for (;;) {
		ssize_t r = recv(fd, m, sizeof *m, 0);
		if (r < 0 && errno == EINTR)
			continue;
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
	nook_sync_send(fd, NOOK_MSG_ERROR, err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE,
		       err->msg);
}
