/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stage.c - mount targets that the container's tree lacks, provided
 * without writing into the tree (see mountutil.h, struct nook_stage).
 *
 * nook never creates anything in a root filesystem it was given: a
 * --rootfs directory, an overlay's layers, the host's /, a bind source.
 * When a mount target is missing, the deepest directory of its path that
 * exists is "staged": a fresh tmpfs goes over it that holds one entry for
 * each of the directory's own (a recursive bind of the original, or a copy
 * of a symbolic link), and the missing components are created in that
 * tmpfs. The payload sees the same directory plus the new mount point.
 * What the payload creates directly in a staged directory lives in the
 * tmpfs and is gone at exit, and the original entries there cannot be
 * renamed or removed (each is a mount point): --verbose says which
 * directory was staged and why.
 *
 * The filesystems nook mounted itself (an empty root, its /dev and /tmp,
 * the profile's tmpfs mounts, the staging tmpfs, an overlay whose upper
 * layer is nook's throw-away tmpfs) are written directly, and staging is
 * the fallback when that fails (an overlay that cannot copy up a directory
 * whose owner the user namespace does not map, a read-only tmpfs). A
 * target that exists costs nothing extra: the same single openat2.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "mountutil.h"
#include "stage.h"

/* The overflow id the kernel shows for an owner the namespace does not map. */
#define OVERFLOW_ID 65534

void nook_stage_init(struct nook_stage *st, int rootfd, const char *root)
{
	memset(st, 0, sizeof *st);
	st->rootfd = rootfd;
	st->root = root;
}

static void own_dev(struct nook_stage *st, dev_t dev)
{
	for (size_t i = 0; i < st->n_own; i++)
		if (st->own[i] == dev)
			return;
	if (st->n_own < NOOK_STAGE_MAX)
		st->own[st->n_own++] = dev;
}

void nook_stage_own_fd(struct nook_stage *st, int fd)
{
	struct stat sb;
	if (fd >= 0 && fstat(fd, &sb) == 0)
		own_dev(st, sb.st_dev);
}

void nook_stage_own_path(struct nook_stage *st, const char *path)
{
	_cleanup_close_ int fd = nook_resolve_in_root(st->rootfd, path, O_PATH | O_DIRECTORY);
	nook_stage_own_fd(st, fd);
}

static bool is_own(const struct nook_stage *st, int fd)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return false;
	for (size_t i = 0; i < st->n_own; i++)
		if (st->own[i] == sb.st_dev)
			return true;
	return false;
}

/* Whether fd lies in a plain tmpfs of mount flags flags. */
static bool in_plain(const struct nook_stage *st, int fd, unsigned long flags)
{
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return false;
	for (size_t i = 0; i < st->n_plain; i++)
		if (st->plain[i] == sb.st_dev && st->plain_flags[i] == flags)
			return true;
	return false;
}

/* One entry of the directory being staged, recreated in the tmpfs (at
 * mdir): a symbolic link is copied, anything else gets an empty mount
 * point with the original bound on it (recursively, so mounts below it
 * come along; read-only when the original's mount is). */
static int stage_entry(int odir, int mdir, const char *name, bool ro)
{
	struct stat e;
	if (fstatat(odir, name, &e, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(e.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(odir, name, target, sizeof target - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		if (symlinkat(target, mdir, name) < 0)
			return -errno;
		return 0;
	}
	if (S_ISDIR(e.st_mode)) {
		if (mkdirat(mdir, name, 0755) < 0)
			return -errno;
	} else {
		int f = openat(mdir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (f < 0)
			return -errno;
		close(f);
	}
	_cleanup_close_ int tree = (int)syscall(SYS_open_tree, odir, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						AT_RECURSIVE | AT_SYMLINK_NOFOLLOW);
	if (tree < 0)
		return -errno;
	if (ro) {
		int r = nook_mount_setattr(tree, "", MOUNT_ATTR_RDONLY, false);
		if (r < 0)
			return r;
	}
	if (syscall(SYS_move_mount, tree, "", mdir, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return -errno;
	return 0;
}

static int stage_fail(struct nook_error *err, int e, const char *shown, const char *target, const char *what)
{
	err->path = target;
	return nook_errx(err, e, "cannot provide the mount point %s without writing into the container's tree: "
			 "%s %s failed: %s (fix: create %s in the tree, or mount somewhere it has)",
			 target, what, shown[0] ? shown : "/", strerror(e), target);
}

/* Put a tmpfs mirror over the directory dirfd (shown: its path inside). */
static int stage_dir(struct nook_stage *st, int dirfd, const char *shown, const char *target,
		     struct nook_error *err)
{
	struct stat sd;
	struct statvfs sv;
	if (fstat(dirfd, &sd) < 0 || fstatvfs(dirfd, &sv) < 0)
		return stage_fail(err, errno, shown, target, "stat of");
	bool ro = sv.f_flag & ST_RDONLY;
	_cleanup_close_ int odir = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (odir < 0)
		return stage_fail(err, errno, shown, target, "listing");

	/* the tmpfs is built in the staging tree (the current root), then moved */
	char mp[64], opts[96];
	snprintf(mp, sizeof mp, "/stage%u", st->seq++);
	if (mkdir(mp, 0755) < 0)
		return stage_fail(err, errno, shown, target, "a staging directory for");
	int n = snprintf(opts, sizeof opts, "mode=%04o", (unsigned)(sd.st_mode & 07777));
	bool mapped = sd.st_uid != OVERFLOW_ID && sd.st_gid != OVERFLOW_ID;
	if (mapped)
		snprintf(opts + n, sizeof opts - (size_t)n, ",uid=%u,gid=%u", (unsigned)sd.st_uid, (unsigned)sd.st_gid);
	if (mount("nook-stage", mp, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0 &&
	    (!mapped || (opts[n] = '\0', mount("nook-stage", mp, "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)))
		return stage_fail(err, errno, shown, target, "a tmpfs to stage");
	_cleanup_close_ int mdir = open(mp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mdir < 0)
		return stage_fail(err, errno, shown, target, "opening the tmpfs to stage");

	int dup_fd = fcntl(odir, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return stage_fail(err, errno, shown, target, "listing");
	}
	struct dirent *de;
	unsigned count = 0;
	int r = 0;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((r = stage_entry(odir, mdir, de->d_name, ro)) < 0) {
			char what[NAME_MAX + 64];
			snprintf(what, sizeof what, "mirroring the entry '%s' of", de->d_name);
			closedir(d);
			return stage_fail(err, -r, shown, target, what);
		}
		count++;
	}
	closedir(d);

	_cleanup_close_ int keep = open(mp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (keep < 0 || syscall(SYS_move_mount, AT_FDCWD, mp, dirfd, "", MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return stage_fail(err, errno, shown, target, "mounting the staged copy over");
	rmdir(mp);
	nook_stage_own_fd(st, keep);
	if (ro && st->n_ro < NOOK_STAGE_MAX)
		st->ro[st->n_ro++] = TAKE_FD(keep);
	nook_verbose("mount point %s: the container's tree lacks it, so %s is staged (a tmpfs holding its %u "
		     "entries as mounts; new files created directly in %s are not kept)",
		     target, shown[0] ? shown : "/", count, shown[0] ? shown : "/");
	return 0;
}

/* The deepest existing directory above path (inside the root, symbolic
 * links followed inside it): its fd, and its path in dir. */
static int deepest_dir(int rootfd, const char *path, char *dir, size_t size)
{
	if (snprintf(dir, size, "%s", path) >= (int)size)
		return -ENAMETOOLONG;
	for (;;) {
		size_t len = strlen(dir);
		while (len > 0 && dir[len - 1] == '/')
			dir[--len] = '\0';
		char *slash = strrchr(dir, '/');
		if (!slash)
			dir[0] = '\0';
		else
			*slash = '\0';
		int fd = nook_resolve_in_root(rootfd, dir[0] ? dir : "/", O_PATH | O_DIRECTORY);
		if (fd >= 0 || fd != -ENOENT || !dir[0])
			return fd;
	}
}

bool nook_stage_would_stage(struct nook_stage *st, const char *path, char *dir, size_t size)
{
	_cleanup_close_ int fd = nook_open_in_root(st->rootfd, path, NOOK_MK_NONE, 0);
	if (fd >= 0 || fd != -ENOENT)
		return false;
	_cleanup_close_ int dfd = deepest_dir(st->rootfd, path, dir, size);
	if (dfd < 0 || is_own(st, dfd))
		return false;
	if (!dir[0])
		snprintf(dir, size, "/");
	return true;
}

bool nook_stage_would_hide_writes(struct nook_stage *st, const char *path, char *dir, size_t size)
{
	if (!nook_stage_would_stage(st, path, dir, size))
		return false;
	_cleanup_close_ int dfd = nook_resolve_in_root(st->rootfd, dir, O_PATH | O_DIRECTORY);
	/* root inside could change this directory: a mirror would get in its way */
	return dfd >= 0 && faccessat(dfd, "", W_OK, AT_EACCESS | AT_EMPTY_PATH) == 0;
}

void nook_stage_plain_tmpfs(struct nook_stage *st, const char *path, unsigned long flags)
{
	struct stat sb;
	_cleanup_close_ int fd = nook_resolve_in_root(st->rootfd, path, O_PATH | O_DIRECTORY);
	if (fd < 0 || fstat(fd, &sb) < 0)
		return;
	own_dev(st, sb.st_dev);
	if (st->n_plain < NOOK_STAGE_MAX) {
		st->plain[st->n_plain] = sb.st_dev;
		st->plain_flags[st->n_plain++] = flags;
	}
}

int nook_stage_open(struct nook_stage *st, const char *path, enum nook_mkpath mk, mode_t mode,
		    struct nook_error *err)
{
	return nook_stage_open_ex(st, path, mk, mode, NULL, err);
}

/* nook_stage_open_ex, and with plain (mount flags, 0 for none) a missing
 * path inside a plain tmpfs of those flags made there (*as_dir set). */
static int stage_open(struct nook_stage *st, const char *path, enum nook_mkpath mk, mode_t mode,
		      unsigned long plain, bool *as_dir, bool *left_out, struct nook_error *err)
{
	int fd = nook_open_in_root(st->rootfd, path, NOOK_MK_NONE, 0);
	if (fd >= 0)
		return fd;
	if (fd != -ENOENT || mk == NOOK_MK_NONE)
		return nook_err_at(err, path, nook_err(err, -fd, "cannot open the mount point %s in the new root", path));

	char dir[PATH_MAX];
	_cleanup_close_ int dfd = deepest_dir(st->rootfd, path, dir, sizeof dir);
	if (dfd < 0)
		return nook_err_at(err, path, nook_err(err, -dfd, "cannot create the mount point %s", path));
	if (plain && in_plain(st, dfd, plain)) {
		fd = nook_open_in_root(st->rootfd, path, NOOK_MK_DIR, 0755);
		if (fd < 0)
			return nook_err_at(err, path, nook_err(err, -fd, "cannot create the directory %s in its tmpfs", path));
		*as_dir = true;
		return fd;
	}
	if (is_own(st, dfd)) {
		fd = nook_open_in_root(st->rootfd, path, mk, mode);
		if (fd >= 0)
			return fd;
		nook_verbose("mount point %s: cannot create it in %s (%s), staging that directory instead",
			     path, dir[0] ? dir : "/", strerror(-fd));
	}
	if (left_out) {
		*left_out = true;
		return -ENOENT;
	}
	struct stat a, b;
	bool is_root = fstat(dfd, &a) == 0 && fstat(st->rootfd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	int r = stage_dir(st, dfd, dir, path, err);
	if (r < 0)
		return r;
	if (is_root) {
		/* the new root itself is covered: from now on it is the tmpfs */
		int nr = open(st->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (nr < 0)
			return nook_err(err, errno, "cannot open the staged root %s", st->root);
		close(st->rootfd);
		st->rootfd = nr;
	}
	fd = nook_open_in_root(st->rootfd, path, mk, mode);
	if (fd < 0)
		return nook_err_at(err, path, nook_err(err, -fd, "cannot create the mount point %s in the staged %s",
						      path, dir[0] ? dir : "/"));
	return fd;
}

int nook_stage_open_ex(struct nook_stage *st, const char *path, enum nook_mkpath mk, mode_t mode,
		       bool *left_out, struct nook_error *err)
{
	return stage_open(st, path, mk, mode, 0, NULL, left_out, err);
}

int nook_stage_open_tmpfs(struct nook_stage *st, const char *path, unsigned long plain, bool *as_dir,
			  bool *left_out, struct nook_error *err)
{
	*as_dir = false;
	return stage_open(st, path, NOOK_MK_DIR, 0, plain, as_dir, left_out, err);
}

int nook_stage_finish(struct nook_stage *st, struct nook_error *err)
{
	int r = 0;
	for (size_t i = 0; i < st->n_ro; i++) {
		if (r == 0 && (r = nook_mount_setattr(st->ro[i], "", MOUNT_ATTR_RDONLY, false)) < 0)
			nook_err(err, -r, "cannot make a staged directory read-only");
		close(st->ro[i]);
	}
	st->n_ro = 0;
	return r;
}

/* /proc, /sys, /dev and /tmp must be real directories of the new root: a
 * symlink there could point a kernel filesystem somewhere the payload was
 * never meant to see it. */
int nook_open_special_dir(struct nook_stage *sg, const char *path, bool create, mode_t mode, struct nook_error *err)
{
	struct stat st;
	int fd = nook_stage_open(sg, path, create ? NOOK_MK_DIR : NOOK_MK_NONE, mode, err);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return nook_errx(err, ENOTDIR, "refusing to mount on %s: in the new root it is %s, not a directory",
				 path, S_ISLNK(st.st_mode) ? "a symlink" : "something else");
	}
	return fd;
}
