/* SPDX-License-Identifier: GPL-2.0-or-later */
/* console.c - hand a terminal's master over a unix socket (SCM_RIGHTS),
 * the OCI runtimes' --console-socket convention that conmon and podman
 * rely on: the container's pty (oci/runtime.c) and an exec's (exec.c). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/exec.h"
#include "nook/util.h"

int nook_console_send(const char *path, int fd, struct nook_error *err)
{
	struct sockaddr_un sa;
	if (nook_unix_addr(&sa, path) < 0)
		return nook_errx(err, ENAMETOOLONG, "the console socket path %s is too long (at most %zu bytes)",
				 path, sizeof sa.sun_path - 1);
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		return nook_err(err, errno, "cannot connect to the console socket %s", path);
	char name[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	memset(&u, 0, sizeof u);
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(s, &msg, MSG_NOSIGNAL) < 0)
		return nook_err(err, errno, "cannot send the terminal over the console socket %s", path);
	return 0;
}
