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
#include "nook/sync.h"
#include "nook/util.h"

int nook_console_send(const char *path, int fd, struct nook_error *err)
{
	_cleanup_close_ int s = nook_unix_connect(path);
	if (s == -ENAMETOOLONG)
		return nook_errx(err, ENAMETOOLONG, "the console socket path %s is too long (at most %zu bytes)",
				 path, sizeof ((struct sockaddr_un *)0)->sun_path - 1);
	if (s < 0)
		return nook_err(err, -s, "cannot connect to the console socket %s", path);
	char name[] = "/dev/ptmx";
	struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
	union nook_fdbuf u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	nook_msg_attach_fd(&msg, &u, fd);
	if (sendmsg(s, &msg, MSG_NOSIGNAL) < 0)
		return nook_err(err, errno, "cannot send the terminal over the console socket %s", path);
	return 0;
}
