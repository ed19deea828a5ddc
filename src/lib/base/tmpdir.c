/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tmpdir.c - private, locked temporary directories that a SIGKILLed nook
 * cannot leave behind for long (the helpers' nook-net-XXXXXX, the desktop's
 * nook-desktop-XXXXXX).
 *
 * Each directory is flock()ed by its nook for as long as it exists, so the
 * next nook that makes one of the same kind removes those of this uid whose
 * lock it can take: their owner is gone. A sweeper can also take the lock
 * of a directory another nook has just made and not yet locked; that nook
 * then finds its directory gone (open fails, or the directory it locked
 * has no links left) and makes another. No lock is ever taken on the
 * parent: $TMPDIR is usually /tmp, shared with other users, any of whom
 * could hold such a lock to stall every nook.
 * Only flat files are ever put in these directories.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/util.h"

/* Remove the files in fd, then the directory name below pfd. */
static bool remove_flat(int pfd, const char *name, int fd)
{
	int cfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *c = cfd >= 0 ? fdopendir(cfd) : NULL;
	struct dirent *ce;
	while (c && (ce = readdir(c)))
		if (strcmp(ce->d_name, ".") && strcmp(ce->d_name, ".."))
			unlinkat(fd, ce->d_name, 0);
	if (c)
		closedir(c);
	else if (cfd >= 0)
		close(cfd);
	return unlinkat(pfd, name, AT_REMOVEDIR) == 0;
}

static void sweep_stale(int pfd, const char *parent, const char *prefix)
{
	size_t plen = strlen(prefix);
	int dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		/* exactly what mkdtemp made: the prefix and six characters */
		if (strncmp(de->d_name, prefix, plen) != 0 || strlen(de->d_name) != plen + 6 ||
		    strchr(de->d_name + plen, '.') ||
		    fstatat(pfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode) || st.st_uid != getuid())
			continue;
		_cleanup_close_ int fd = openat(pfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* its nook is alive */
		if (remove_flat(pfd, de->d_name, fd))
			nook_verbose("removed %s/%s, left by a nook that was killed", parent, de->d_name);
	}
	closedir(d);
}

int nook_locked_tmpdir(const char *prefix, size_t reserve, char **path, int *fd)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || tmp[0] != '/')
		tmp = "/tmp";
	/* sun_path holds 108 bytes: room for what the caller puts inside */
	if (strlen(tmp) + 1 + strlen(prefix) + 6 + reserve > 100)
		tmp = "/tmp";
	_cleanup_close_ int pfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0)
		sweep_stale(pfd, tmp, prefix);
	int e = EAGAIN;
	for (int attempt = 0; attempt < 8; attempt++) {
		char *tmpl = nook_asprintf("%s/%sXXXXXX", tmp, prefix);
		if (!mkdtemp(tmpl)) {
			e = errno;
			*path = tmpl;
			return -e;
		}
		int dfd = open(tmpl, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (dfd >= 0 && flock(dfd, LOCK_EX) == 0 && fstat(dfd, &st) == 0 && st.st_nlink > 0) {
			*path = tmpl;
			*fd = dfd;
			return 0;
		}
		/* swept between mkdtemp and flock by another nook of ours (or
		 * an error): try a new name */
		e = dfd < 0 ? errno : EAGAIN;
		if (dfd >= 0)
			close(dfd);
		rmdir(tmpl);
		free(tmpl);
		if (e != ENOENT && e != EAGAIN)
			break;
	}
	*path = nook_asprintf("%s/%sXXXXXX", tmp, prefix);
	return -e;
}

void nook_locked_tmpdir_remove(char **path, int *fd)
{
	if (*path) {
		_cleanup_free_ char *parent = nook_strdup(*path);
		char *slash = strrchr(parent, '/');
		*slash = '\0';
		_cleanup_close_ int pfd = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0 && *fd >= 0)
			remove_flat(pfd, slash + 1, *fd);
		else
			rmdir(*path);
		free(*path);
		*path = NULL;
	}
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
