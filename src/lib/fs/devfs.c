/* SPDX-License-Identifier: GPL-2.0-or-later */
/* devfs.c - a minimal /dev for the container.
 *
 * Device nodes cannot be created in a user namespace, so the few safe ones
 * are bind-mounted from the host onto empty files in a directory of
 * nook's staging tmpfs (rootfs.c), bound on /dev. A new
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
#include "mountutil.h"
#include "stage.h"
#include "nook/rootfs.h"
#include "nook/util.h"

static const char *const devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

static const struct { const char *name, *target; } links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
	{ "core", "/proc/kcore" },
	{ "ptmx", "pts/ptmx" },
};

/* Whether gid is mapped in our user namespace (a devpts mount that is
 * refused costs more than reading the map). */
static bool gid_mapped(unsigned gid)
{
	char buf[1024];
	/* while the root is built, the host's /proc is under /oldroot */
	int fd = open("/oldroot/proc/self/gid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/self/gid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* then let the kernel say */
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	for (char *line = buf; line && *line; ) {
		unsigned long in, out, count;
		if (sscanf(line, "%lu %lu %lu", &in, &out, &count) == 3 && gid >= in && gid - in < count)
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/* A private devpts, /dev/shm and /dev/mqueue under dev (the path of the
 * container's /dev while the root is built). In our own tmpfs the mount
 * points are made first; in the host's /dev (which we must not change) an
 * instance whose directory the host lacks is left out. */
static int private_instances(const char *dev, bool own_tmpfs, struct nook_error *err)
{
	static const struct { const char *dir, *type, *opts; unsigned long flags; mode_t mode; } inst[] = {
		{ "pts", "devpts", "newinstance,ptmxmode=0666,mode=0620", MS_NOSUID | MS_NOEXEC, 0755 },
		{ "shm", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV | MS_NOEXEC, 01777 },
		{ "mqueue", "mqueue", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, 0755 },
	};
	char p[PATH_MAX + 16];
	for (size_t i = 0; i < sizeof inst / sizeof *inst; i++) {
		snprintf(p, sizeof p, "%s/%s", dev, inst[i].dir);
		if (own_tmpfs && mkdir(p, inst[i].mode) < 0)
			return nook_err(err, errno, "cannot create /dev/%s", inst[i].dir);
		struct stat st;
		if (!own_tmpfs && (lstat(p, &st) < 0 || !S_ISDIR(st.st_mode))) {
			nook_verbose("the host's /dev has no %s directory: no private %s there", inst[i].dir, inst[i].type);
			continue;
		}
		/* new ptys in the tty group (gid 5) as on a host, so that a
		 * terminal's chown(pty, uid, tty) changes nothing and succeeds
		 * without CAP_CHOWN (xterm: "Cannot chown /dev/pts/0 to 0,5");
		 * the kernel refuses gid=5 when 5 is not mapped (self mode) */
		if (strcmp(inst[i].type, "devpts") == 0 && gid_mapped(5) &&
		    mount(inst[i].dir, p, inst[i].type, inst[i].flags, "newinstance,ptmxmode=0666,mode=0620,gid=5") == 0)
			continue;
		if (mount(inst[i].dir, p, inst[i].type, inst[i].flags, inst[i].opts) < 0)
			return nook_err(err, errno, "cannot mount %s on /dev/%s", inst[i].type, inst[i].dir);
	}
	return 0;
}

/* security.minimal_dev: false - the host's whole /dev, recursively, nosuid
 * and noexec, with private pts/shm/mqueue instances over the host's (the
 * host's /dev/ptmx opens the devpts instance next to it, ours). */
static int host_dev(int dfd, const char *dev, struct nook_error *err)
{
	int r = nook_bind_fd("/oldroot/dev", dfd, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return nook_err(err, -r, "cannot bind the host's /dev for security.minimal_dev: false (drop that setting to get the minimal /dev)");
	return private_instances(dev, false, err);
}

int nook_devfs_setup(const struct nook_spec *s, struct nook_stage *sg, struct nook_error *err)
{
	char dev[PATH_MAX], p[PATH_MAX + 64];
	_cleanup_close_ int dfd = nook_open_special_dir(sg, "/dev", true, 0755, err);
	if (dfd < 0)
		return dfd;
	snprintf(dev, sizeof dev, "%s/dev", sg->root);
	if (!s->minimal_dev)
		return host_dev(dfd, dev, err);
	/* the staging tmpfs's /devfs (rootfs.c), bound there: a directory of
	 * nook's own, without a filesystem of its own to set up and tear down
	 * on every start */
	int r = nook_bind_fd("/devfs", dfd, false, 0);
	if (r < 0)
		return nook_err(err, -r, "cannot bind nook's /dev directory on /dev");
	/* work with the path of the bound directory from here on */

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

	if ((r = private_instances(dev, true, err)) < 0)
		return r;

	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		snprintf(p, sizeof p, "%s/%s", dev, links[i].name);
		if (symlink(links[i].target, p) < 0)
			return nook_err(err, errno, "cannot create /dev/%s", links[i].name);
	}
	r = nook_mount_setattr(AT_FDCWD, dev, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, true);
	/* /dev itself as a tmpfs of its own would be: nodev is the staging
	 * tmpfs's, not the container's /dev's */
	if (r == 0)
		r = nook_mount_setattr_clr(AT_FDCWD, dev, 0, MOUNT_ATTR_NODEV, false);
	if (r < 0)
		return nook_err(err, -r, "cannot make /dev nosuid and noexec");
	nook_stage_own_path(sg, "/dev");
	return 0;
}
