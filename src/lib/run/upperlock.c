/* SPDX-License-Identifier: GPL-2.0-or-later */
/* upperlock.c - one container at a time per overlay upper directory.
 *
 * Two overlays that write into one upper (and work) directory at once
 * corrupt it, and neither kernel overlayfs nor fuse-overlayfs stops it. The
 * monitor holds an exclusive flock() on the upper directory itself for the
 * container's life: nothing is created beside it, and the kernel drops the
 * lock when the monitor exits or is killed (SIGKILL included). The lock is
 * taken after clone and before the child is told to go, so the container's
 * init never holds the fd. The holder of a lock is found in /proc/locks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/state.h"
#include "nook/util.h"
#include "upperlock.h"

/* The pid that holds an flock() on dev:ino, from /proc/locks; 0 if none. */
static pid_t flock_holder(dev_t dev, ino_t ino)
{
	_cleanup_free_ char *locks = nook_read_file("/proc/locks", 1 << 22, NULL);
	for (char *line = locks, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		int pid;
		unsigned maj, min;
		unsigned long long i;
		/* "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF" (waiters have "->") */
		if (sscanf(line, "%*d: FLOCK %*s WRITE %d %x:%x:%llu", &pid, &maj, &min, &i) == 4 &&
		    maj == major(dev) && min == minor(dev) && i == (unsigned long long)ino)
			return pid;
	}
	return 0;
}

int nook_upper_lock(const struct nook_spec *s, int *fd_out, struct nook_error *err)
{
	const char *upper = s->rootfs.upper;
	struct stat st;
	*fd_out = -1;
	if (s->rootfs.kind != NOOK_ROOTFS_OVERLAY || !upper)
		return 0;
	int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nook_err(err, errno, "cannot open the overlay upper directory %s", upper);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		*fd_out = fd;
		return 0;
	}
	int e = errno;
	pid_t pid = fstat(fd, &st) == 0 ? flock_holder(st.st_dev, st.st_ino) : 0;
	close(fd);
	if (e != EWOULDBLOCK)
		return nook_err(err, e, "cannot lock the overlay upper directory %s", upper);
	char who[128] = "another running container";
	if (pid > 0) {
		size_t off = 0;
		_cleanup_free_ struct nook_state_entry *es = NULL;
		size_t n = 0;
		struct nook_error ignore = { 0 };
		nook_append(who, sizeof who, &off, "the running container of nook pid %d", (int)pid);
		if (nook_state_list(&es, &n, &ignore) == 0)
			for (size_t i = 0; i < n; i++)
				if (es[i].monitor_pid == pid)
					nook_append(who, sizeof who, &off, " (named '%s')", es[i].name);
	}
	return nook_errx(err, EBUSY,
			 "the overlay upper directory %s is in use by %s: two containers cannot share one upper directory (stop that one, or give this one another upper)",
			 upper, who);
}
