/* SPDX-License-Identifier: GPL-2.0-or-later */
/* masks.c - masked and read-only paths inside the new root.
 *
 * Runs in the container's init after pivot_root, with /proc, /sys and /dev
 * mounted - or in two parts: what lies outside /sys and /proc/sys before
 * the pivot (on the new root, while the network namespace /sys needs is
 * still being built), the rest after it. Every target is opened relative to the new root with openat2
 * (RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) as an O_PATH fd, and the mounts go
 * onto that fd with the fd-based mount API, so nothing can be raced onto a
 * different path. A target that is a symlink, or lies behind one, is
 * refused. A target that does not exist is skipped: there is nothing to hide.
 *
 *  - masked directory: an empty, read-only directory on top (a bind of
 *    the staging tmpfs's /empty, or an empty tmpfs)
 *  - masked file: a bind of /dev/null (opened once, checked to be 1:3)
 *  - read-only path: a recursive read-only bind of itself
 */
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"
#include "nook/missing.h"

const char *const nook_default_masked_paths[] = {
	"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/proc/interrupts",
	"/sys/firmware", "/sys/devices/virtual/powercap",
	NULL,
};

const char *const nook_default_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
	NULL,
};

struct mask_ctx {
	int rootfd;
	int nullfd;     /* opened on first use */
	int emptyfd;    /* the empty mount for directories, made on first use */
	int emptydir;   /* an empty directory to make it of, or -1: a tmpfs */
	bool empty_attached;
};

/* Open path inside the root without following any symlink. Returns the fd,
 * -ENOENT when it does not exist, or fails with a message. */
static int open_target(struct mask_ctx *c, const char *what, const char *path, struct stat *stp,
		       struct nook_error *err)
{
	struct open_how how = {
		.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	const char *rel = path;
	struct stat st;
	int fd;

	if (!nook_path_is_absolute(path))
		return nook_errx(err, EINVAL, "%s: '%s' is not an absolute path", what, path);
	while (*rel == '/')
		rel++;
	if (!*rel)
		return nook_errx(err, EINVAL, "%s: refusing to cover the whole root '/'", what);
	do
		fd = (int)syscall(SYS_openat2, c->rootfd, rel, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return -ENOENT;
		if (errno == ELOOP)
			return nook_errx(err, ELOOP,
					 "%s: refusing '%s': a symlink is in its path inside the container (list the real path instead)",
					 what, path);
		return nook_err(err, errno, "%s: cannot open '%s' inside the container", what, path);
	}
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return nook_err(err, e, "%s: stat '%s'", what, path);
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		return nook_errx(err, ELOOP,
				 "%s: refusing '%s': it is a symlink inside the container (list the real path instead)",
				 what, path);
	}
	if (stp)
		*stp = st;
	return fd;
}

static int get_null(struct mask_ctx *c, struct nook_error *err)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	struct stat st;

	if (c->nullfd >= 0)
		return c->nullfd;
	c->nullfd = (int)syscall(SYS_openat2, c->rootfd, "dev/null", &how, sizeof(how));
	if (c->nullfd < 0)
		return nook_err(err, errno, "masked_paths: cannot open /dev/null inside the container");
	if (fstat(c->nullfd, &st) < 0)
		return nook_err(err, errno, "masked_paths: stat /dev/null");
	if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
		return nook_errx(err, EPERM,
				 "masked_paths: /dev/null inside the container is not the 1:3 character device; refusing to use it to mask files");
	return c->nullfd;
}

static int attach(int mnt, int target, const char *what, const char *path,
		  struct nook_error *err)
{
	if (move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return nook_err(err, errno, "%s: cannot mount over '%s'", what, path);
	return 0;
}

/* One empty read-only mount serves every masked directory: each gets a
 * clone of it, which costs one superblock at most instead of one each (none
 * when the caller has an empty directory of its own to bind). */
static int get_empty(struct mask_ctx *c, const char *path, struct nook_error *err)
{
	if (c->emptyfd >= 0)
		return c->emptyfd;
	if (c->emptydir >= 0) {
		struct stat st;
		if (fstat(c->emptydir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_nlink != 2)
			return nook_errx(err, EINVAL, "masked_paths: the directory to mask '%s' with is not empty", path);
		int fd = open_tree(c->emptydir, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (fd < 0)
			return nook_err(err, errno, "masked_paths: cannot bind an empty directory for '%s'", path);
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
						       MOUNT_ATTR_NOEXEC };
		if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
			int e = errno;
			close(fd);
			return nook_err(err, e, "masked_paths: cannot make the empty directory for '%s' read-only", path);
		}
		return c->emptyfd = fd;
	}
	_cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return nook_err(err, errno, "masked_paths: fsopen(tmpfs) for '%s'", path);
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return nook_err(err, errno, "masked_paths: cannot create the tmpfs for '%s'", path);
	c->emptyfd = fsmount(fs, FSMOUNT_CLOEXEC,
			     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (c->emptyfd < 0)
		return nook_err(err, errno, "masked_paths: fsmount for '%s'", path);
	return c->emptyfd;
}

static int mask_dir(struct mask_ctx *c, int target, const char *path, struct nook_error *err)
{
	int empty = get_empty(c, path, err);
	if (empty < 0)
		return empty;
	/* the first directory gets the tmpfs itself; the others get clones of
	 * it once it is attached (kernels before 6.x cannot clone a detached
	 * mount) */
	if (!c->empty_attached) {
		int r = attach(empty, target, "masked_paths", path, err);
		c->empty_attached = r == 0;
		return r;
	}
	_cleanup_close_ int mnt = open_tree(empty, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (mnt < 0)
		return nook_err(err, errno, "masked_paths: cannot clone the empty tmpfs to mask '%s'", path);
	return attach(mnt, target, "masked_paths", path, err);
}

static int mask_file(struct mask_ctx *c, int target, const char *path, struct nook_error *err)
{
	int null = get_null(c, err);
	_cleanup_close_ int mnt = -1;

	if (null < 0)
		return null;
	mnt = open_tree(null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (mnt < 0)
		return nook_err(err, errno, "masked_paths: cannot clone /dev/null to mask '%s'", path);
	return attach(mnt, target, "masked_paths", path, err);
}

static int make_readonly(int target, const char *path, struct nook_error *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	_cleanup_close_ int mnt = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					    AT_EMPTY_PATH | AT_RECURSIVE);

	if (mnt < 0)
		return nook_err(err, errno, "readonly_paths: cannot bind '%s'", path);
	if (mount_setattr(mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return nook_err(err, errno, "readonly_paths: cannot make '%s' read-only", path);
	return attach(mnt, target, "readonly_paths", path, err);
}

static bool seen_before(char *const *list, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(list[j], list[i]) == 0)
			return true;
	return false;
}

/* p names dir or lies below it ("sys" matches /sys and /sys/x, not /system) */
static bool below(const char *p, const char *dir)
{
	while (*p == '/')
		p++;
	size_t n = strlen(dir);
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static bool in_part(const char *p, enum nook_masks_part part)
{
	bool late = below(p, "sys") || below(p, "proc/sys");
	return part == NOOK_MASKS_ALL || (part == NOOK_MASKS_LATE) == late;
}

static int apply_masked(struct mask_ctx *c, char *const *list, enum nook_masks_part part, struct nook_error *err)
{
	for (size_t i = 0; list && list[i]; i++) {
		_cleanup_close_ int fd = -1;
		struct stat st;
		int r;

		if (seen_before(list, i) || !in_part(list[i], part))
			continue;
		fd = open_target(c, "masked_paths", list[i], &st, err);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		r = S_ISDIR(st.st_mode) ? mask_dir(c, fd, list[i], err) : mask_file(c, fd, list[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_readonly(struct mask_ctx *c, char *const *list, enum nook_masks_part part, struct nook_error *err)
{
	for (size_t i = 0; list && list[i]; i++) {
		_cleanup_close_ int fd = -1;
		int r;

		if (seen_before(list, i) || !in_part(list[i], part))
			continue;
		fd = open_target(c, "readonly_paths", list[i], NULL, err);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		r = make_readonly(fd, list[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int nook_masks_apply_at(const struct nook_spec *s, int rootfd, enum nook_masks_part part, int *empty,
			int emptydir, struct nook_error *err)
{
	/* an empty mount from an earlier part is attached already */
	struct mask_ctx c = { .rootfd = rootfd, .nullfd = -1, .emptyfd = empty ? *empty : -1,
			      .emptydir = emptydir, .empty_attached = empty && *empty >= 0 };
	char *const *masked = s->masked_paths ? s->masked_paths : (char *const *)nook_default_masked_paths;
	char *const *ro = s->readonly_paths ? s->readonly_paths : (char *const *)nook_default_readonly_paths;
	int r = apply_masked(&c, masked, part, err);
	if (r == 0)
		r = apply_readonly(&c, ro, part, err);
	/* /sys/fs/cgroup: rootfs.c mounts the cgroup namespace's root there
	 * read-only unless the profile delegates it (cgroup_writable) */
	if (c.nullfd >= 0)
		close(c.nullfd);
	if (empty && c.empty_attached)
		*empty = c.emptyfd;
	else if (c.emptyfd >= 0)
		close(c.emptyfd);
	return r;
}

int nook_masks_apply(const struct nook_spec *s, struct nook_error *err)
{
	_cleanup_close_ int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return nook_err(err, errno, "cannot open the container's root");
	return nook_masks_apply_at(s, rootfd, NOOK_MASKS_ALL, NULL, -1, err);
}
