/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netns.c - build the container's network namespace beside the child.
 *
 * Creating a network namespace is the slowest single step of a start
 * (loopback device, sysctl tables, proc entries: about half a millisecond
 * here, more than all of nook's mounts). When no network helper needs the
 * namespace first (network: none), the child is cloned without
 * CLONE_NEWNET and the parent builds the namespace while the child builds
 * its root, so on a machine with a free CPU the two overlap:
 *
 *   parent: a vfork'ed helper joins the child's user namespace (so the new
 *           network namespace belongs to it, exactly as with CLONE_NEWNET),
 *           unshares a network namespace, brings lo up and passes the
 *           namespace to the child over the sync socket (NOOK_MSG_NETNS);
 *   child:  joins it before it mounts /sys (sysfs shows the network
 *           namespace of the task that mounts it), long before the payload
 *           starts.
 *
 * Through the user namespace holder (holder.c) the intermediate that
 * cloned the child builds it right after writing the maps, instead of a
 * helper the parent starts only once the intermediate is gone.
 *
 * Nothing outlives a start: the helper exits as soon as it has passed the
 * namespace on, and the namespace lives only as long as the container. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/net.h"
#include "nook/sync.h"

/* The helper's work; runs in the vfork'ed child, reports into *err. */
static __attribute__((noinline)) int build(int pidfd, int sync_fd, struct nook_error *err)
{
	if (setns(pidfd, CLONE_NEWUSER) < 0)
		return nook_err(err, errno, "cannot join the container's user namespace to build its network");
	if (unshare(CLONE_NEWNET) < 0)
		return nook_err(err, errno, "cannot create the container's network namespace "
				"(is /proc/sys/user/max_net_namespaces 0?)");
	int r = nook_net_loopback_up(err);
	if (r < 0)
		return r;
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nook_err(err, errno, "cannot open the new network namespace");
	/* if the child has died meanwhile the send fails; the caller's monitor
	 * then reports why the child died, which is the error that matters */
	nook_sync_send_fd(sync_fd, NOOK_MSG_NETNS, 0, fd);
	close(fd);
	return 0;
}

int nook_netns_build_here(int pidfd, int sync_fd, struct nook_error *err)
{
	return build(pidfd, sync_fd, err);
}

int nook_netns_build(int pidfd, int sync_fd, struct nook_error *err)
{
	struct nook_error herr = { 0 };
	pid_t pid = vfork();
	if (pid < 0)
		return nook_err(err, errno, "cannot start the network namespace helper");
	if (pid == 0)
		_exit(build(pidfd, sync_fd, &herr) < 0 ? 1 : 0);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return nook_err(err, errno, "waiting for the network namespace helper");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	/* the helper shared our memory until it exited: herr is its report */
	if (herr.msg[0]) {
		*err = herr;
		return herr.code ? herr.code : -EINVAL;
	}
	return nook_errx(err, EINVAL, "the network namespace helper failed");
}

int nook_netns_join(int sync_fd, struct nook_error *err)
{
	struct nook_msg m;
	int fd = -1;
	int r = nook_sync_recv_fd(sync_fd, &m, &fd);
	if (r <= 0 || m.type != NOOK_MSG_NETNS || fd < 0) {
		if (fd >= 0)
			close(fd);
		return nook_errx(err, EPROTO, "the network namespace did not arrive from nook");
	}
	r = setns(fd, CLONE_NEWNET);
	int e = errno;
	close(fd);
	if (r < 0)
		return nook_err(err, e, "cannot join the container's network namespace");
	return 0;
}
