/* SPDX-License-Identifier: GPL-2.0-or-later */
/* unpack.c - unpack one layer blob into a new directory, as root of the
 * store's user namespace (userns.c), with libarchive.
 *
 * OCI whiteouts become what overlayfs reads: ".wh.NAME" a character device
 * 0:0 named NAME (a user namespace's root may create that one since Linux
 * 5.8), ".wh..wh..opq" the xattr user.overlay.opaque=y on its directory
 * (the kernel's overlay with the userxattr option, which nook mounts in a
 * user namespace, reads it; fuse-overlayfs reads it too and
 * user.fuseoverlayfs.opaque, set as well).
 *
 * A layer is untrusted input. libarchive's ARCHIVE_EXTRACT_SECURE_* flags
 * refuse "..", absolute paths and writes through symlinks; on top of that
 * every path is made relative, a ".." component refuses the layer, hard
 * link targets must already be non-directories inside the layer reached
 * without symlinks, entries larger than the free space refuse the layer,
 * and device nodes other than whiteouts are skipped (and counted). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"
#include "libarchive.h"

#define EXTRACT_FLAGS (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
		       ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_SYMLINKS | \
		       ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

/* Make an entry path relative and clean: leading "/" and "./" go, "."
 * components and doubled slashes go. False when a component is "..". */
static bool clean_path(const char *in, char *out, size_t size)
{
	size_t o = 0;
	const char *p = in;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t len = (size_t)(e - p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (len && !(len == 1 && p[0] == '.')) {
			if (o + len + 2 >= size)
				return false;
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, len);
			o += len;
		}
		p = e;
	}
	out[o] = '\0';
	return true;
}

/* Open the directory holding rel's last component, below rootfd, one
 * component at a time and never through a symlink; create missing ones
 * when create. *base points at the last component. -errno on failure. */
static int open_parent(int rootfd, char *rel, bool create, const char **base)
{
	int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	char *p = rel, *slash;
	while (fd >= 0 && (slash = strchr(p, '/'))) {
		*slash = '\0';
		int nfd = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && create && mkdirat(fd, p, 0755) == 0)
			nfd = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int e = errno;
		*slash = '/';
		close(fd);
		if (nfd < 0)
			return -e;
		fd = nfd;
		p = slash + 1;
	}
	*base = p;
	return fd < 0 ? -errno : fd;
}

static int whiteout(int rootfd, char *rel, const char *entry, struct nook_error *err)
{
	const char *base;
	_cleanup_close_ int fd = open_parent(rootfd, rel, true, &base);
	if (fd < 0)
		return nook_err(err, -fd, "layer entry '%s': cannot reach its directory", entry);
	_cleanup_close_ int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return nook_err(err, errno, "layer entry '%s'", entry);
	if (strcmp(base, ".wh..wh..opq") == 0) {
		if (fsetxattr(dfd, "user.overlay.opaque", "y", 1, 0) < 0 ||
		    fsetxattr(dfd, "user.fuseoverlayfs.opaque", "y", 1, 0) < 0)
			return nook_err(err, errno, "layer entry '%s': cannot mark the directory opaque "
					"(the store's filesystem needs user xattrs)", entry);
		return 0;
	}
	const char *name = base + 4;
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return nook_errx(err, EINVAL, "layer entry '%s' is not a valid whiteout", entry);
	(void)nook_image_rmtree_at(dfd, name);
	if (mknodat(dfd, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
		return nook_err(err, errno, "layer entry '%s': cannot create the whiteout for '%s' "
				"(overlay whiteouts in a user namespace need Linux 5.8 or later)", entry, name);
	return 0;
}

/* A hard link must name something the layer already has, reached
 * without symlinks, that is not a directory. */
static int check_hardlink(int rootfd, const char *target, char *clean, size_t size, const char *entry,
			  struct nook_error *err)
{
	if (!clean_path(target, clean, size) || !clean[0])
		return nook_errx(err, EPERM, "refusing the layer: entry '%s' is a hard link to '%s', outside the layer",
				 entry, target);
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", clean);
	const char *base;
	_cleanup_close_ int fd = open_parent(rootfd, tmp, false, &base);
	struct stat st;
	if (fd < 0 || fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
		return nook_errx(err, EPERM, "refusing the layer: entry '%s' is a hard link to '%s', which is not a "
				 "file earlier in the layer (or lies behind a symlink)", entry, target);
	return 0;
}

static int copy_data(struct archive *in, struct archive *out)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;
	while ((r = archive_read_data_block(in, &buf, &len, &off)) == ARCHIVE_OK) {
		if (archive_write_data_block(out, buf, len, off) < ARCHIVE_WARN)
			return ARCHIVE_FATAL;
	}
	return r == ARCHIVE_EOF ? ARCHIVE_OK : r;
}

static uint64_t free_bytes(int fd)
{
	struct statvfs sv;
	if (fstatvfs(fd, &sv) < 0)
		return UINT64_MAX;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

int nook_image_unpack(const char *blob, const char *dir, size_t *skipped, size_t *partial, struct nook_error *err)
{
	*skipped = 0;
	*partial = 0;
	int lr = nook_la_load(err);
	if (lr < 0)
		return lr;
	if (mkdir(dir, 0755) < 0)
		return nook_err(err, errno, "cannot create %s", dir);
	_cleanup_close_ int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rootfd < 0 || fchdir(rootfd) < 0)
		return nook_err(err, errno, "cannot enter %s", dir);

	struct archive *in = archive_read_new();
	struct archive *out = archive_write_disk_new();
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	archive_read_support_format_gnutar(in);
	archive_write_disk_set_options(out, EXTRACT_FLAGS);
	int r = 0;
	if (archive_read_open_filename(in, blob, 1 << 16) != ARCHIVE_OK) {
		r = nook_errx(err, EIO, "cannot read the layer %s: %s", blob, archive_error_string(in));
		goto out;
	}
	uint64_t budget = free_bytes(rootfd), used = 0;
	struct archive_entry *e;
	int ar;
	while ((ar = archive_read_next_header(in, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN) {
		char rel[PATH_MAX], link[PATH_MAX];
		const char *name = archive_entry_pathname(e);
		if (!name || !clean_path(name, rel, sizeof rel)) {
			r = nook_errx(err, EPERM, "refusing the layer %s: entry '%s' %s", blob, name ? name : "(no name)",
				      name && strlen(name) >= sizeof rel - 2 ? "has a path too long" : "climbs out of the layer with '..'");
			break;
		}
		if (!rel[0])
			continue; /* the layer's own root: the store owns it */
		const char *slash = strrchr(rel, '/');
		const char *base = slash ? slash + 1 : rel;
		if (strncmp(base, ".wh.", 4) == 0) {
			r = whiteout(rootfd, rel, name, err);
			if (r < 0)
				break;
			continue;
		}
		mode_t type = archive_entry_filetype(e);
		if ((type == AE_IFCHR || type == AE_IFBLK) &&
		    !(type == AE_IFCHR && archive_entry_rdev(e) == makedev(0, 0))) {
			(*skipped)++;
			continue;
		}
		const char *hl = archive_entry_hardlink(e);
		if (hl) {
			r = check_hardlink(rootfd, hl, link, sizeof link, name, err);
			if (r < 0)
				break;
			archive_entry_copy_hardlink(e, link);
		}
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
			used += (uint64_t)archive_entry_size(e);
			if (used > budget) {
				r = nook_errx(err, ENOSPC, "refusing the layer %s: entry '%s' (%lld bytes) does not fit "
					      "into the free space of the store", blob, name,
					      (long long)archive_entry_size(e));
				break;
			}
		}
		archive_entry_copy_pathname(e, rel);
		int w = archive_write_header(out, e);
		if (w < ARCHIVE_WARN) {
			r = nook_errx(err, EPERM, "refusing the layer %s: entry '%s': %s", blob, name,
				      archive_error_string(out));
			break;
		}
		if (w == ARCHIVE_WARN)
			(*partial)++;
		if (archive_entry_size(e) > 0 && !hl && copy_data(in, out) < ARCHIVE_WARN) {
			r = nook_errx(err, EIO, "layer %s: entry '%s': %s", blob, name,
				      archive_error_string(out) ? archive_error_string(out) : archive_error_string(in));
			break;
		}
		if (archive_write_finish_entry(out) == ARCHIVE_WARN)
			(*partial)++;
	}
	if (r == 0 && ar != ARCHIVE_EOF)
		r = nook_errx(err, EIO, "the layer %s is damaged: %s", blob, archive_error_string(in));
out:
	archive_write_close(out);
	archive_write_free(out);
	archive_read_free(in);
	if (fchdir(rootfd) == 0 && chdir("/") < 0)
		return r ? r : nook_err(err, errno, "chdir /");
	return r;
}
