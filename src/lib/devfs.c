/* devfs.c - a minimal /dev for the container.
 *
 * Device nodes cannot be created in a user namespace, so the few safe ones
 * are bind-mounted from the host onto empty files in a fresh tmpfs. A new
 * devpts instance gives the container its own ptys; shm and mqueue are
 * private. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/mountutil.h"
#include "nook/rootfs.h"

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct { const char *name, *target; } links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
	{ "core", "/proc/kcore" },
	{ "ptmx", "pts/ptmx" },
};

int nook_devfs_setup(const struct nook_spec *s, int rootfd, const char *root, struct nook_error *err)
{
	char dev[PATH_MAX], p[PATH_MAX + 64];
	(void)s;
	_cleanup_close_ int dfd = nook_open_special_dir(rootfd, "/dev", true, 0755, err);
	if (dfd < 0)
		return dfd;
	int r = nook_mount_on_fd("/oldroot/proc", "nook-dev", dfd, "tmpfs", MS_NOSUID | MS_NOEXEC,
				 "mode=0755,size=64k");
	if (r < 0)
		return nook_err(err, -r, "cannot mount a tmpfs on /dev");
	/* work with the path of the fresh tmpfs from here on */
	snprintf(dev, sizeof dev, "%s/dev", root);

	/* an empty file to mount on, then a plain bind (two syscalls each: this
	 * is on every start's path); nosuid and noexec are set once, for the
	 * whole of /dev, at the end */
	for (size_t i = 0; i < sizeof devices / sizeof *devices; i++) {
		char src[64];
		snprintf(p, sizeof p, "%s/%s", dev, devices[i]);
		if (mknod(p, S_IFREG | 0666, 0) < 0)
			return nook_err(err, errno, "cannot create /dev/%s", devices[i]);
		snprintf(src, sizeof src, "/oldroot/dev/%s", devices[i]);
		if (mount(src, p, NULL, MS_BIND, NULL) < 0)
			return nook_err(err, errno, "cannot bind /dev/%s from the host", devices[i]);
	}

	const char *dirs[] = { "pts", "shm", "mqueue" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s/%s", dev, dirs[i]);
		if (mkdir(p, i == 1 ? 01777 : 0755) < 0)
			return nook_err(err, errno, "cannot create /dev/%s", dirs[i]);
	}
	snprintf(p, sizeof p, "%s/pts", dev);
	if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0)
		return nook_err(err, errno, "cannot mount devpts on /dev/pts");
	snprintf(p, sizeof p, "%s/shm", dev);
	if (mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777") < 0)
		return nook_err(err, errno, "cannot mount a tmpfs on /dev/shm");
	snprintf(p, sizeof p, "%s/mqueue", dev);
	if (mount("mqueue", p, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return nook_err(err, errno, "cannot mount mqueue on /dev/mqueue");

	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		snprintf(p, sizeof p, "%s/%s", dev, links[i].name);
		if (symlink(links[i].target, p) < 0)
			return nook_err(err, errno, "cannot create /dev/%s", links[i].name);
	}
	r = nook_mount_setattr(AT_FDCWD, dev, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true);
	if (r < 0)
		return nook_err(err, -r, "cannot make /dev nosuid and noexec");
	return 0;
}
