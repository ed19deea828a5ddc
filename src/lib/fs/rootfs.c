/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.c - build the container's root filesystem and pivot into it.
 *
 * In the new mount namespace (child side, full capabilities in the new user
 * namespace):
 *   1. make every mount a slave, so nothing we mount reaches the host;
 *   2. mount a private staging tmpfs on /tmp and pivot_root into it, so the
 *      host's tree is reachable only as /oldroot (bind sources are opened
 *      there, under their real host paths); besides the new root it holds
 *      the files nook writes (/files), the container's minimal /dev
 *      (/devfs, bound on /dev: no tmpfs of its own) and an empty directory
 *      for the masked ones (/empty), so those cost no filesystem each;
 *   3. build /newroot: the rootfs (host / read-only, a directory, an overlay
 *      of the kernel or of fuse-overlayfs, or an empty tmpfs), /proc, /dev, /sys, /tmp, then the profile's mounts
 *      in order, each target resolved inside /newroot without escaping it;
 *      a target the tree lacks is never created in it (stage.c: a tmpfs
 *      mirror of its parent), only on nook's own filesystems;
 *   4. pivot_root into /newroot and detach the staging tree (and with it
 *      every trace of the host's root).
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/fuseovl.h"
#include "mountutil.h"
#include "stage.h"
#include "nook/net.h"
#include "nook/rootfs.h"
#include "nook/util.h"

#define STAGE "/tmp"
#define OLD "/oldroot"
#define NEW "/newroot"
#define HOSTPROC OLD "/proc"

static int host_path(char *buf, size_t size, const char *p)
{
	if (snprintf(buf, size, OLD "%s", p) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

static int enter_staging(struct nook_error *err)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return nook_err(err, errno, "cannot make / a slave mount");
	if (mount("nook", STAGE, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0)
		return nook_err(err, errno, "cannot mount the staging tmpfs on " STAGE);
	if (chdir(STAGE) < 0)
		return nook_err(err, errno, "cannot enter " STAGE);
	if (mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0 || mkdir("files", 0755) < 0 ||
	    mkdir("devfs", 0755) < 0 || mkdir("empty", 0555) < 0 || chmod("empty", 0555) < 0)
		return nook_err(err, errno, "cannot create the staging directories");
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
		return nook_err(err, errno, "cannot pivot_root into the staging tmpfs");
	if (chdir("/") < 0)
		return nook_err(err, errno, "chdir /");
	return 0;
}

/* *refused: the kernel refused the mount itself (or its options would not
 * fit into one page), which fuse-overlayfs can stand in for. */
static int mount_kernel_overlay(const struct nook_spec *s, bool *refused, struct nook_error *err)
{
	*refused = false;
	char opts[4096];
	size_t off = 0;
	bool ok = nook_append(opts, sizeof opts, &off, "lowerdir=");
	for (size_t i = 0; ok && s->rootfs.lower && s->rootfs.lower[i]; i++)
		ok = nook_append(opts, sizeof opts, &off, "%s" OLD "%s", i ? ":" : "", s->rootfs.lower[i]);
	if (s->rootfs.upper) {
		ok = ok && nook_append(opts, sizeof opts, &off, ",upperdir=" OLD "%s", s->rootfs.upper);
		if (s->rootfs.work)
			ok = ok && nook_append(opts, sizeof opts, &off, ",workdir=" OLD "%s", s->rootfs.work);
		else
			ok = ok && nook_append(opts, sizeof opts, &off, ",workdir=" OLD "%s.work", s->rootfs.upper);
	} else {
		/* writes go to a tmpfs and are discarded at exit */
		if (mkdir("/ovl", 0755) < 0 ||
		    mount("nook-upper", "/ovl", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0 ||
		    mkdir("/ovl/upper", 0755) < 0 || mkdir("/ovl/work", 0755) < 0)
			return nook_err(err, errno, "cannot create the overlay's tmpfs upper layer");
		ok = ok && nook_append(opts, sizeof opts, &off, ",upperdir=/ovl/upper,workdir=/ovl/work");
	}
	ok = ok && nook_append(opts, sizeof opts, &off, ",userxattr");
	if (!ok) {
		*refused = true;
		return nook_errx(err, ENAMETOOLONG, "the overlay's layer paths are too long together (at most %zu bytes)",
				 sizeof opts);
	}
	if (s->rootfs.upper && !s->rootfs.work) {
		char work[PATH_MAX];
		snprintf(work, sizeof work, OLD "%s.work", s->rootfs.upper);
		if (mkdir(work, 0700) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot create the overlay's work directory %s.work", s->rootfs.upper);
	}
	if (mount("overlay", NEW, "overlay", MS_NOSUID | MS_NODEV, opts) < 0) {
		*refused = true;
		return nook_err_at(err, "/", nook_err(err, errno, "cannot mount the overlay root (lower %s, upper %s; the kernel's overlayfs needs "
				"Linux 5.11 or later and the upper and work directories on one filesystem that "
				"supports user xattrs, not on overlayfs or NFS; rootfs.overlay.driver: fuse uses "
				"fuse-overlayfs instead)",
				s->rootfs.lower && s->rootfs.lower[0] ? s->rootfs.lower[0] : "?",
				s->rootfs.upper ? s->rootfs.upper : "a tmpfs"));
	}
	return 0;
}

/* The overlay root: the kernel's overlayfs, or a FUSE mount that the
 * parent's fuse-overlayfs serves (fuseovl.c). Driver auto tries the kernel
 * first and falls back to fuse-overlayfs when the kernel refuses. */
static int mount_overlay(const struct nook_spec *s, const struct nook_rootfs_hooks *h, struct nook_error *err)
{
	const char *drv = s->rootfs.overlay_driver;
	int kernel_errno = 0;
	if (!drv || strcmp(drv, "fuse") != 0) {
		bool refused;
		int r = mount_kernel_overlay(s, &refused, err);
		if (r == 0) {
			nook_verbose("overlay driver: the kernel's overlayfs (%s)",
				     drv ? "the profile asks for driver 'kernel'" : "driver auto: the kernel accepted the mount");
			return 0;
		}
		if (drv || !refused)
			return r;
		if (h->fuse_unusable || !h->fuse_handover) {
			size_t n = strlen(err->msg);
			snprintf(err->msg + n, sizeof err->msg - n, "; fuse-overlayfs cannot be used instead: %s",
				 h->fuse_unusable ? h->fuse_unusable : "no helper");
			nook_escape_controls(err->msg, sizeof err->msg);
			return r;
		}
		kernel_errno = -r;
		nook_err_clear(err);
	}
	int fd;
	int r = nook_fuseovl_mount(OLD "/dev/fuse", NEW, &fd, err);
	if (r < 0)
		return r;
	r = h->fuse_handover(h->arg, fd, kernel_errno, err);
	close(fd);
	return r;
}

static int mount_rootfs(const struct nook_spec *s, const struct nook_rootfs_hooks *h, struct nook_error *err)
{
	char src[PATH_MAX];
	_cleanup_close_ int nfd = open(NEW, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nfd < 0)
		return nook_err(err, errno, "open " NEW);
	int r;
	switch (s->rootfs.kind) {
	case NOOK_ROOTFS_HOST:
		/* host / read-only, no setuid, no device nodes (our /dev comes later) */
		r = nook_bind_fd(OLD, nfd, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
		if (r < 0)
			return nook_err(err, -r, "cannot bind the host's / read-only");
		return 0;
	case NOOK_ROOTFS_DIR:
		if (host_path(src, sizeof src, s->rootfs.path) < 0)
			return nook_errx(err, ENAMETOOLONG, "rootfs path too long");
		/* no device nodes: a rootfs unpacked by root may hold some that
		 * the container could open (our /dev comes later) */
		r = nook_bind_fd(src, nfd, true, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				 (s->rootfs.readonly && !s->rootfs.late_readonly ? MOUNT_ATTR_RDONLY : 0));
		if (r < 0)
			return nook_err_at(err, "/", nook_err(err, -r, "cannot bind the rootfs %s", s->rootfs.path));
		return 0;
	case NOOK_ROOTFS_EMPTY:
		if (mount("nook-root", NEW, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			return nook_err(err, errno, "cannot mount an empty tmpfs root");
		return 0;
	case NOOK_ROOTFS_OVERLAY:
		return mount_overlay(s, h, err);
	}
	return nook_errx(err, EINVAL, "unknown rootfs kind");
}

static int mount_proc(const struct nook_spec *s, struct nook_stage *sg, struct nook_error *err)
{
	bool host = s->rootfs.kind == NOOK_ROOTFS_HOST;
	_cleanup_close_ int pfd = nook_open_special_dir(sg, "/proc", !host, 0555, err);
	if (pfd < 0)
		return pfd;
	int r = nook_mount_on_fd(HOSTPROC, "proc", pfd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0)
		return nook_err(err, -r, "cannot mount proc on /proc");
	return 0;
}

static int mount_tmp(const struct nook_spec *s, struct nook_stage *sg, struct nook_error *err)
{
	bool host = s->rootfs.kind == NOOK_ROOTFS_HOST;
	/* an OCI config (late_readonly) says itself whether /tmp is a tmpfs */
	bool want_tmp = host || s->rootfs.kind == NOOK_ROOTFS_EMPTY || (s->rootfs.readonly && !s->rootfs.late_readonly);
	if (!want_tmp)
		return 0;
	_cleanup_close_ int tfd = nook_open_special_dir(sg, "/tmp", !host, 01777, err);
	if (tfd < 0)
		return tfd;
	int r = nook_mount_on_fd(HOSTPROC, "tmpfs", tfd, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	if (r < 0)
		return nook_err(err, -r, "cannot mount a private tmpfs on /tmp");
	nook_stage_own_path(sg, "/tmp");
	return 0;
}

/* sysfs shows the network namespace of the task that mounts it: the caller
 * has joined the container's network namespace by now */
static int mount_sys(const struct nook_spec *s, struct nook_stage *sg, struct nook_error *err)
{
	bool host = s->rootfs.kind == NOOK_ROOTFS_HOST;
	_cleanup_close_ int sfd = nook_open_special_dir(sg, "/sys", !host, 0555, err);
	if (sfd < 0)
		return sfd;
	/* A fresh sysfs shows this network namespace's devices; if the kernel
	 * refuses it, fall back to a read-only bind of the host's /sys. */
	int r = nook_mount_on_fd(HOSTPROC, "sysfs", sfd, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0) {
		r = nook_bind_fd(OLD "/sys", sfd, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
				 MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
		if (r < 0)
			return nook_err(err, -r, "cannot mount sysfs on /sys");
		return 0;
	}
	/* the cgroup namespace's root, read-only unless delegated */
	_cleanup_close_ int cfd = nook_open_in_root(sg->rootfd, "/sys/fs/cgroup", NOOK_MK_NONE, 0);
	if (cfd >= 0) {
		unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC | (s->cgroup_writable ? 0 : MS_RDONLY);
		r = nook_mount_on_fd(HOSTPROC, "cgroup2", cfd, "cgroup2", fl, NULL);
		if (r < 0)
			nook_verbose("no cgroup2 mounted on /sys/fs/cgroup: %s", strerror(-r));
	}
	return 0;
}

static int write_stage_file(const char *content, char *path, size_t size, unsigned idx)
{
	snprintf(path, size, "/files/%u", idx);
	int r = nook_write_file(path, content, strlen(content), O_CREAT | O_TRUNC);
	return r;
}

/* An earlier tmpfs of the profile's list already sits on the directory
 * fd names (a link such as /var/run -> /run, after a tmpfs on /run). */
static bool tmpfs_already(const struct nook_spec *s, unsigned idx, int rootfd, int fd)
{
	struct stat a, b;
	if (fstat(fd, &a) < 0)
		return false;
	for (size_t j = 0; j < idx && j < s->n_mounts; j++) {
		if (s->mounts[j].type != NOOK_MOUNT_TMPFS)
			continue;
		_cleanup_close_ int o = nook_open_in_root(rootfd, s->mounts[j].target, NOOK_MK_NONE, 0);
		if (o >= 0 && fstat(o, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return true;
	}
	return false;
}

/* A tmpfs target that is a symlink (/var/run -> /run on merged systems):
 * the tmpfs goes on the directory it points to inside the root, unless an
 * earlier tmpfs of the list is already there. *dirfd is that directory,
 * or -1 when the target is no symlink. Returns 0, 1 to skip the mount, or
 * -errno. */
static int tmpfs_link_target(const struct nook_spec *s, const struct nook_mount *m, unsigned idx,
			     int rootfd, int tfd, int *dirfd)
{
	struct stat st;
	*dirfd = -1;
	if (fstat(tfd, &st) < 0)
		return -errno;
	if (!S_ISLNK(st.st_mode))
		return 0;
	int fd = nook_resolve_in_root(rootfd, m->target, O_PATH | O_DIRECTORY);
	if (fd < 0)
		return fd;
	if (tmpfs_already(s, idx, rootfd, fd)) {
		nook_verbose("tmpfs on %s: it is a link to a directory that an earlier tmpfs already hides", m->target);
		close(fd);
		return 1;
	}
	*dirfd = fd;
	return 0;
}

static int apply_mount(const struct nook_spec *s, const struct nook_mount *m, unsigned idx, struct nook_stage *sg,
		       struct nook_error *err)
{
	int rootfd = sg->rootfd;
	char src[PATH_MAX];
	struct stat st;
	int r;
	bool is_bind = nook_mount_is_bind(m->type);

	if (is_bind) {
		if (host_path(src, sizeof src, m->source) < 0)
			return nook_errx(err, ENAMETOOLONG, "bind source too long");
		if (stat(src, &st) < 0) {
			if (m->optional && errno == ENOENT)
				return 0;
			return nook_err(err, errno, "cannot bind %s on %s", m->source, m->target);
		}
		_cleanup_close_ int tfd = nook_stage_open(sg, m->target,
							  S_ISDIR(st.st_mode) ? NOOK_MK_DIR : NOOK_MK_FILE, 0, err);
		if (tfd < 0)
			return tfd;
		unsigned attrs = MOUNT_ATTR_NOSUID;
		if (m->type != NOOK_MOUNT_DEV_BIND)
			attrs |= MOUNT_ATTR_NODEV;
		if (m->type == NOOK_MOUNT_RO_BIND || m->readonly || (m->flags & MS_RDONLY))
			attrs |= MOUNT_ATTR_RDONLY;
		if (m->flags & MS_NOEXEC)
			attrs |= MOUNT_ATTR_NOEXEC;
		r = nook_bind_fd_prop(src, tfd, !(m->flags & MS_BIND) || (m->flags & MS_REC), attrs, m->propagation);
		if (r < 0)
			return nook_err(err, -r, "cannot bind %s on %s", m->source, m->target);
		return 0;
	}

	switch (m->type) {
	case NOOK_MOUNT_TMPFS: {
		/* tmpcopyup of a directory the tree lacks: an empty tmpfs, mode 1777 as runc's */
		int had = m->copyup ? nook_open_in_root(sg->rootfd, m->target, NOOK_MK_NONE, 0) : -1;
		if (had >= 0)
			close(had);
		unsigned long flags = MS_NOSUID | MS_NODEV | (m->readonly ? MS_RDONLY : 0) |
				      (m->flags & (MS_NOEXEC | MS_RDONLY));
		/* plain: writable, no size, no options. Its mount point missing
		 * inside an earlier plain tmpfs of the same flags (the home
		 * directory in /home, $XDG_RUNTIME_DIR in /run), a directory
		 * there with the tmpfs's mode is the same private empty
		 * directory without a filesystem of its own to set up and tear
		 * down (its space counts against the outer one's, both without
		 * a size: half the memory) */
		bool plain = !(flags & MS_RDONLY) && !m->copyup && !m->size && !(m->options && m->options[0]);
		bool as_dir = false;
		/* optional: a mount point the given tree lacks is left out, not
		 * staged (a --rootfs without /var gets no /var/tmp); on nook's
		 * own filesystems (a $HOME in its /home) it is made */
		bool left_out = false;
		_cleanup_close_ int tfd = nook_stage_open_tmpfs(sg, m->target, plain ? flags : 0, &as_dir,
								m->optional ? &left_out : NULL, err);
		if (as_dir) {
			char p[64];
			snprintf(p, sizeof p, HOSTPROC "/self/fd/%d", tfd);
			if (chmod(p, (mode_t)(m->mode >= 0 ? m->mode : 0755)) < 0)
				return nook_err_at(err, m->target, nook_err(err, errno, "cannot set the mode of %s", m->target));
			nook_verbose("tmpfs on %s: a directory of the tmpfs it lies in (same options), not a tmpfs of its own",
				     m->target);
			return 0;
		}
		if (left_out) {
			nook_verbose("tmpfs on %s left out: the root filesystem lacks it (optional)", m->target);
			return 0;
		}
		if (tfd < 0 && m->optional) {
			nook_err_clear(err);
			return 0;
		}
		if (tfd < 0)
			return tfd;
		rootfd = sg->rootfd;
		int dirfd;
		r = tmpfs_link_target(s, m, idx, rootfd, tfd, &dirfd);
		if (r > 0 || (r < 0 && m->optional))
			return 0;
		if (r < 0)
			return nook_err_at(err, m->target, nook_err(err, -r, "cannot mount tmpfs on %s: it is a symbolic link, and what it points to inside the container is not a directory", m->target));
		if (dirfd >= 0) {
			close(tfd);
			tfd = dirfd;
		}
		/* tmpcopyup: what the tmpfs will hide, opened before it does */
		_cleanup_close_ int below = -1;
		int mode = m->mode >= 0 ? m->mode : 0755;
		if (m->copyup && had < 0 && m->mode < 0)
			mode = 01777;
		else if (m->copyup) {
			struct stat bst;
			below = openat(tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (below < 0 || fstat(below, &bst) < 0)
				return nook_err(err, errno, "cannot read %s to copy it into its tmpfs", m->target);
			/* without a mode of its own the tmpfs keeps the directory's */
			if (m->mode < 0)
				mode = (int)(bst.st_mode & 07777);
		}
		char opts[512];
		int n = snprintf(opts, sizeof opts, "mode=%o", mode);
		if (m->size)
			n += snprintf(opts + n, sizeof opts - (size_t)n, ",size=%llu", (unsigned long long)m->size);
		if (m->options && m->options[0])
			snprintf(opts + n, sizeof opts - (size_t)n, ",%s", m->options);
		r = nook_mount_on_fd(HOSTPROC, "tmpfs", tfd, "tmpfs", flags, opts);
		if (r < 0)
			return nook_err(err, -r, "cannot mount tmpfs on %s", m->target);
		if (below >= 0) {
			_cleanup_close_ int top = nook_resolve_in_root(rootfd, m->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			r = top < 0 ? top : nook_copy_tree(below, top);
			if (r < 0)
				return nook_err(err, -r, "cannot copy the contents of %s into its tmpfs (tmpcopyup)", m->target);
		}
		if (plain)
			nook_stage_plain_tmpfs(sg, m->target, flags);
		else
			nook_stage_own_path(sg, m->target);
		return 0;
	}
	case NOOK_MOUNT_PROC: {
		_cleanup_close_ int tfd = nook_stage_open(sg, m->target, NOOK_MK_DIR, 0, err);
		if (tfd < 0)
			return tfd;
		r = nook_mount_on_fd(HOSTPROC, "proc", tfd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		if (r < 0)
			return nook_err(err, -r, "cannot mount proc on %s", m->target);
		return 0;
	}
	case NOOK_MOUNT_DIR: {
		_cleanup_close_ int tfd = nook_stage_open(sg, m->target, NOOK_MK_DIR,
							  m->mode >= 0 ? (mode_t)m->mode : 0755, err);
		if (tfd < 0)
			return tfd;
		return 0;
	}
	case NOOK_MOUNT_SYMLINK: {
		_cleanup_free_ char *norm = nook_path_normalize(m->target);
		char *slash = strrchr(norm, '/');
		*slash = '\0';
		/* the link is made in a directory of nook's own: staged if need be */
		_cleanup_close_ int lfd = nook_open_in_root(rootfd, m->target, NOOK_MK_NONE, 0);
		if (lfd >= 0)
			return 0;
		_cleanup_close_ int pfd = nook_stage_open(sg, m->target, NOOK_MK_FILE, 0600, err);
		if (pfd < 0)
			return pfd;
		/* the placeholder made for it goes again; a link takes its place */
		close(TAKE_FD(pfd));
		pfd = nook_open_in_root(sg->rootfd, norm[0] ? norm : "/", NOOK_MK_NONE, 0);
		if (pfd < 0)
			return nook_err_at(err, m->target, nook_err(err, -pfd, "cannot open the parent of %s", m->target));
		_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0 && unlinkat(dfd, slash + 1, 0) < 0)
			return nook_err_at(err, m->target, nook_err(err, errno, "cannot replace the placeholder of %s", m->target));
		if (dfd < 0 || symlinkat(m->source, dfd, slash + 1) < 0) {
			if (errno == EEXIST)
				return 0;
			return nook_err_at(err, m->target, nook_err(err, errno, "cannot create the symlink %s -> %s",
								      m->target, m->source));
		}
		return 0;
	}
	case NOOK_MOUNT_FILE: {
		char path[64];
		r = write_stage_file(m->content ? m->content : "", path, sizeof path, idx);
		if (r < 0)
			return nook_err(err, -r, "cannot write the content of %s", m->target);
		if (m->mode >= 0 && chmod(path, (mode_t)m->mode) < 0)
			return nook_err_at(err, m->target, nook_err(err, errno, "cannot set mode %04o on the content of %s",
								      (unsigned)m->mode, m->target));
		_cleanup_close_ int tfd = nook_stage_open(sg, m->target, NOOK_MK_FILE, 0644, err);
		if (tfd < 0)
			return tfd;
		r = nook_bind_fd(path, tfd, false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				 (m->readonly ? MOUNT_ATTR_RDONLY : 0));
		if (r < 0)
			return nook_err(err, -r, "cannot bind the content of %s", m->target);
		return 0;
	}
	case NOOK_MOUNT_FS: {
		_cleanup_close_ int tfd = nook_stage_open(sg, m->target, NOOK_MK_DIR, 0, err);
		if (tfd < 0)
			return tfd;
		r = nook_mount_on_fd(HOSTPROC, m->source ? m->source : m->fstype, tfd, m->fstype,
				     MS_NOSUID | MS_NODEV | (m->flags & (MS_NOEXEC | MS_RDONLY)) |
				     (m->readonly ? MS_RDONLY : 0), m->options);
		if (r < 0)
			return nook_err(err, -r, "cannot mount %s on %s", m->fstype, m->target);
		return 0;
	}
	default:
		return nook_errx(err, EINVAL, "unknown mount type for %s", m->target);
	}
}

/* Writes the container's /etc/resolv.conf and /etc/hosts when the network
 * mode calls for nook's own; *own_resolv says whether it wrote the first. */
static int net_files(const struct nook_spec *s, struct nook_stage *sg, bool *own_resolv, struct nook_error *err)
{
	char buf[4096];
	const struct { const char *target; int (*fn)(const struct nook_spec *, char *, size_t); } f[] = {
		{ "/etc/resolv.conf", nook_net_resolv_conf },
		{ "/etc/hosts", nook_net_hosts },
	};
	for (unsigned i = 0; i < 2; i++) {
		if (f[i].fn(s, buf, sizeof buf) < 0)
			continue;
		/* a tree of the user's own that lacks the file: the payload may
		 * write in its /etc, which a mirror would hamper, so the file is
		 * left out rather than staged */
		char dir[PATH_MAX];
		if (nook_stage_would_hide_writes(sg, f[i].target, dir, sizeof dir)) {
			if (i == 0)
				nook_warn("the rootfs has no %s and nook does not write into it: names will not resolve "
					  "in the container (create an empty %s in the tree; nook mounts its own on it)",
					  f[i].target, f[i].target);
			else
				nook_verbose("%s: the rootfs has none and nook does not write into it, so the container has "
					     "none either (create an empty one in the tree to get nook's; staging %s "
					     "would keep the payload from renaming files there)", f[i].target, dir);
			continue;
		}
		struct nook_mount m = { .type = NOOK_MOUNT_FILE, .target = (char *)f[i].target,
					.content = buf, .mode = 0644, .readonly = true };
		int r = apply_mount(s, &m, 10000 + i, sg, err);
		if (r < 0)
			return r;
		if (i == 0)
			*own_resolv = true;
	}
	return 0;
}

/* The root's /etc/resolv.conf as a file, when it is a symlink (Debian with
 * systemd-resolved: /run/systemd/resolve/stub-resolv.conf): a tmpfs the
 * profile puts on /run must not take name resolution with it. Returns an
 * O_PATH fd of the file the link leads to, or -1. */
static int resolv_conf_link(int rootfd)
{
	struct stat st;
	_cleanup_close_ int l = nook_open_in_root(rootfd, "/etc/resolv.conf", NOOK_MK_NONE, 0);
	if (l < 0 || fstat(l, &st) < 0 || !S_ISLNK(st.st_mode))
		return -1;
	int fd = nook_resolve_in_root(rootfd, "/etc/resolv.conf", O_PATH);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* After the profile's mounts: if the link no longer leads to a file, bind
 * the file it led to read-only at the same path (inside the tmpfs that hid
 * it). Best effort: a root where the path cannot be made is left alone. */
static void keep_resolv_conf(struct nook_stage *sg, int filefd)
{
	int rootfd = sg->rootfd;
	_cleanup_close_ int now = nook_resolve_in_root(rootfd, "/etc/resolv.conf", O_PATH);
	if (now >= 0)
		return;
	char fdpath[64], path[PATH_MAX];
	snprintf(fdpath, sizeof fdpath, HOSTPROC "/self/fd/%d", filefd);
	ssize_t n = readlink(fdpath, path, sizeof path - 1);
	if (n <= (ssize_t)strlen(NEW) || strncmp(path, NEW "/", strlen(NEW "/")) != 0)
		return;
	path[n] = '\0';
	const char *inside = path + strlen(NEW);
	struct nook_error e2 = { 0 };
	_cleanup_close_ int tfd = nook_stage_open(sg, inside, NOOK_MK_FILE, 0644, &e2);
	int r = tfd < 0 ? tfd : nook_bind_fd(fdpath, tfd, false, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					       MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		nook_verbose("/etc/resolv.conf links to %s, which the profile's mounts hide, and it cannot be bound back: %s",
			     inside, strerror(-r));
	else
		nook_verbose("/etc/resolv.conf links to %s, which the profile's mounts hide: bound it back read-only", inside);
}

/* Whether a mount of the list goes on /sys or below, or is a sysfs: then
 * /sys is mounted before the list, as it always was. */
static bool mounts_need_sys(const struct nook_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct nook_mount *m = &s->mounts[i];
		const char *t = m->target;
		while (t && t[0] == '/' && t[1] == '/')
			t++;
		if (!t || strncmp(t, "/sys", 4) == 0 || (m->type == NOOK_MOUNT_FS && m->fstype &&
							   strcmp(m->fstype, "sysfs") == 0))
			return true;
	}
	return false;
}

/* Everything between the rootfs mount and the pivot; sg->rootfd is the new
 * root (staging the root itself replaces it). */
static int build_root(const struct nook_spec *s, const struct nook_rootfs_hooks *h, struct nook_stage *sg,
		      struct nook_error *err)
{
	int r;
	/* nook's own filesystems: what it creates there touches no one's tree */
	if (s->rootfs.kind == NOOK_ROOTFS_EMPTY || s->rootfs.kind == NOOK_ROOTFS_OVERLAY)
		nook_stage_own_fd(sg, sg->rootfd);
	/* a read-only root is read-only from the start: a missing mount point
	 * is staged rather than created in it */
	if (s->rootfs.readonly && s->rootfs.kind != NOOK_ROOTFS_HOST && s->rootfs.kind != NOOK_ROOTFS_DIR) {
		r = nook_mount_setattr(sg->rootfd, "", MOUNT_ATTR_RDONLY, false);
		if (r < 0)
			return nook_err(err, -r, "cannot make the root read-only");
	}
	/* /dev, /proc and /tmp first: they give a network namespace built
	 * beside us (netns.c) time to arrive before /sys needs it; when no
	 * mount of the list goes on /sys, the list and /etc/hosts come
	 * before /sys too, for more of that time */
	if ((r = nook_devfs_setup(s, sg, err)) < 0 || (r = mount_proc(s, sg, err)) < 0 ||
	    (r = mount_tmp(s, sg, err)) < 0)
		return r;
	bool sys_last = h->join_net && !mounts_need_sys(s);
	if (!sys_last && ((h->join_net && (r = h->join_net(h->arg, err)) < 0) || (r = mount_sys(s, sg, err)) < 0))
		return r;
	bool own_resolv = false;
	if ((r = net_files(s, sg, &own_resolv, err)) < 0)
		return r;
	_cleanup_close_ int resolv = own_resolv || !s->n_mounts ? -1 : resolv_conf_link(sg->rootfd);
	for (size_t i = 0; i < s->n_mounts; i++)
		if ((r = apply_mount(s, &s->mounts[i], (unsigned)i, sg, err)) < 0)
			return r;
	if (resolv >= 0)
		keep_resolv_conf(sg, resolv);
	if (sys_last && h->before_net) {
		_cleanup_close_ int empty = open("/empty", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if ((r = h->before_net(h->arg, sg->rootfd, empty, err)) < 0)
			return r;
	}
	if (sys_last && ((r = h->join_net(h->arg, err)) < 0 || (r = mount_sys(s, sg, err)) < 0))
		return r;
	if (nook_verbose_level > 0)
		nook_scan_sockets(s, sg->rootfd);
	if ((r = nook_stage_finish(sg, err)) < 0)
		return r;
	/* an OCI root.readonly: read-only now that its mount points exist */
	if (s->rootfs.readonly && s->rootfs.late_readonly && s->rootfs.kind == NOOK_ROOTFS_DIR) {
		r = nook_mount_setattr(sg->rootfd, "", MOUNT_ATTR_RDONLY, false);
		if (r < 0)
			return nook_err(err, -r, "cannot make the root read-only");
	}

	/* Switch to the new root and drop the staging tree with the host's root. */
	if (fchdir(sg->rootfd) < 0)
		return nook_err(err, errno, "cannot enter the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return nook_err(err, errno, "cannot pivot_root into the new root");
	if (umount2(".", MNT_DETACH) < 0)
		return nook_err(err, errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return nook_err(err, errno, "chdir /");
	/* not before: pivot_root refuses a shared new root, and the old
	 * root's detach would propagate */
	if (s->rootfs.propagation && mount(NULL, "/", NULL, s->rootfs.propagation, NULL) < 0)
		return nook_err(err, errno, "cannot set the propagation of the container's mounts (linux.rootfsPropagation)");
	return 0;
}

int nook_rootfs_setup(const struct nook_spec *s, const struct nook_rootfs_hooks *h, struct nook_error *err)
{
	int r;
	/* the parent checked that the rootfs and the bind sources exist */
	if ((r = enter_staging(err)) < 0)
		return r;
	if ((r = mount_rootfs(s, h, err)) < 0)
		return r;
	struct nook_stage sg;
	int rootfd = open(NEW, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return nook_err(err, errno, "open " NEW);
	nook_stage_init(&sg, rootfd, NEW);
	r = build_root(s, h, &sg, err);
	close(sg.rootfd);
	for (size_t i = 0; i < sg.n_ro; i++)
		close(sg.ro[i]);
	return r;
}
