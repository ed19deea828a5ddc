/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mountutil.c - race-free mount helpers: openat2 RESOLVE_IN_ROOT, open_tree,
 * move_mount, mount_setattr. */
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "mountutil.h"
#include "nook/missing.h"

struct nook_mount_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static int sys_openat2(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

/* Open an existing path inside root; symlinks are resolved as if root were /. */
static int resolve(int rootfd, const char *path, uint64_t flags)
{
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	for (;;) {
		int fd = sys_openat2(rootfd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (fd >= 0 || errno != EAGAIN)
			return fd;
	}
}

int nook_resolve_in_root(int rootfd, const char *path, int flags)
{
	int fd = resolve(rootfd, path, (uint64_t)flags);
	return fd >= 0 ? fd : -errno;
}

int nook_open_in_root(int rootfd, const char *path, enum nook_mkpath mk, mode_t mode)
{
	int fd = resolve(rootfd, path, O_PATH | O_NOFOLLOW);
	if (fd >= 0 || errno != ENOENT || mk == NOOK_MK_NONE)
		return fd >= 0 ? fd : -errno;

	/* Create the missing components one by one, each relative to the
	 * resolved parent, so no component can escape the root. */
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -ENAMETOOLONG;
	size_t len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	char *p = buf;
	while (*p == '/')
		p++;
	_cleanup_close_ int cur = resolve(rootfd, "/", O_PATH | O_DIRECTORY);
	if (cur < 0)
		return -errno;
	while (*p) {
		char *slash = strchr(p, '/');
		bool last = !slash;
		if (slash)
			*slash = '\0';
		int next = sys_openat2(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC,
				       RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (next < 0 && errno == ENOENT) {
			if (last && mk == NOOK_MK_FILE) {
				int f = openat(cur, p, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW,
					       mode ? mode : 0644);
				if (f < 0 && errno != EEXIST)
					return -errno;
				if (f >= 0)
					close(f);
			} else if (mkdirat(cur, p, last && mode ? mode : 0755) < 0 && errno != EEXIST) {
				return -errno;
			}
			next = sys_openat2(cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC,
					   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		}
		if (next < 0)
			return -errno;
		/* an intermediate symlink: re-resolve it inside the root */
		if (!last) {
			struct stat st;
			if (fstat(next, &st) == 0 && S_ISLNK(st.st_mode)) {
				close(next);
				next = resolve(rootfd, buf, O_PATH | O_DIRECTORY);
				if (next < 0)
					return -errno;
			}
		}
		close(cur);
		cur = next;
		if (last)
			break;
		*slash = '/';
		p = slash + 1;
		while (*p == '/')
			p++;
	}
	return TAKE_FD(cur);
}

int nook_mount_setattr(int dirfd, const char *path, unsigned attrs_set, bool rec)
{
	return nook_mount_setattr_clr(dirfd, path, attrs_set, 0, rec);
}

int nook_mount_setattr_clr(int dirfd, const char *path, unsigned attrs_set, unsigned attrs_clr, bool rec)
{
	struct nook_mount_attr a = { .attr_set = attrs_set, .attr_clr = attrs_clr };
	unsigned flags = (rec ? AT_RECURSIVE : 0) | (path[0] ? 0 : AT_EMPTY_PATH);
	if (syscall(SYS_mount_setattr, dirfd, path, flags, &a, sizeof a) < 0)
		return -errno;
	return 0;
}

int nook_bind_fd(const char *src, int target_fd, bool rec, unsigned attrs)
{
	return nook_bind_fd_prop(src, target_fd, rec, attrs, 0);
}

int nook_bind_fd_prop(const char *src, int target_fd, bool rec, unsigned attrs, unsigned long propagation)
{
	_cleanup_close_ int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src,
						OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
	if (tree < 0)
		return -errno;
	if (attrs) {
		int r = nook_mount_setattr(tree, "", attrs, rec);
		if (r < 0)
			return r;
	}
	if (syscall(SYS_move_mount, tree, "", target_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return -errno;
	if (propagation) {
		/* once attached (a detached tree has no propagation to set);
		 * tree now names the mount in place */
		struct nook_mount_attr a = { .propagation = propagation & ~(unsigned long)MS_REC };
		unsigned flags = AT_EMPTY_PATH | ((propagation & MS_REC) ? AT_RECURSIVE : 0);
		if (syscall(SYS_mount_setattr, tree, "", flags, &a, sizeof a) < 0)
			return -errno;
	}
	return 0;
}

int nook_mount_on_fd(const char *proc_root, const char *source, int target_fd,
		     const char *fstype, unsigned long flags, const char *data)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/self/fd/%d", proc_root, target_fd);
	if (mount(source, path, fstype, flags, data) < 0)
		return -errno;
	return 0;
}
