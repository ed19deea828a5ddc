/* SPDX-License-Identifier: GPL-2.0-or-later */
/* copyup.c - the OCI "tmpcopyup" mount option: a directory's contents
 * are copied into the tmpfs that is mounted over it, so the container
 * sees the image's files there, writable (podman asks for it on every
 * --tmpfs and on the tmpfs mounts of --read-only). Directories, regular
 * files, symbolic links and fifos are copied with their mode, owner and
 * times; sockets and device nodes are left out (a user namespace cannot
 * make device nodes, and a socket without its server means nothing). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mountutil.h"

static int copy_data(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			off += w;
		}
	}
}

/* Owner, mode and times of name in to, as st says. An owner outside the
 * container's id map cannot be given; the file keeps root's then. */
static void set_attrs(int to, const char *name, const struct stat *st)
{
	(void)!fchownat(to, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (!S_ISLNK(st->st_mode))
		(void)!fchmodat(to, name, st->st_mode & 07777, 0);
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	(void)!utimensat(to, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int copy_entries(int from, int to, int depth)
{
	if (depth > 256)
		return -ELOOP;
	int dfd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = errno;
		close(dfd);
		return -e;
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		const char *name = e->d_name;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		struct stat st;
		if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, name, 0700) < 0) {
				r = -errno;
				break;
			}
			int a = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int b = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = a < 0 || b < 0 ? -errno : copy_entries(a, b, depth + 1);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISREG(st.st_mode)) {
			int a = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			int b = a < 0 ? -1 : openat(to, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			r = a < 0 || b < 0 ? -errno : copy_data(a, b);
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(from, name, target, sizeof target - 1);
			if (n < 0)
				r = -errno;
			else {
				target[n] = '\0';
				if (symlinkat(target, to, name) < 0)
					r = -errno;
			}
		} else if (S_ISFIFO(st.st_mode)) {
			if (mkfifoat(to, name, 0600) < 0)
				r = -errno;
		} else
			continue;
		if (r == 0)
			set_attrs(to, name, &st);
	}
	closedir(d);
	return r;
}

int nook_copy_tree(int from, int to)
{
	return copy_entries(from, to, 0);
}
