/* SPDX-License-Identifier: GPL-2.0-or-later */
/* userns.c - work on the store's layer trees as root of a user namespace
 * that maps the ids a container maps (see internal.h).
 *
 * Layer files belong to ids of the caller's subordinate range, which only
 * such a namespace can create, change or remove. The child unshares a user
 * namespace, the parent has newuidmap/newgidmap (or, without a range, the
 * kernel directly) write its maps, then the child runs the work and sends
 * its error message back over a pipe. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/idmap.h"
#include "nook/spec.h"
#include "nook/util.h"
#include "internal.h"

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int nook_image_in_userns(int (*fn)(void *arg, struct nook_error *err), void *arg,
			 struct nook_error *err)
{
	struct nook_spec spec;
	struct nook_idmaps m;
	nook_spec_init(&spec);
	spec.rootfs.kind = NOOK_ROOTFS_DIR; /* maps as for a rootfs of one's own */
	int r = nook_idmaps_resolve(&spec, &m, err);
	nook_spec_free(&spec);
	if (r < 0)
		return r;

	int go[2], back[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	if (pipe2(back, O_CLOEXEC) < 0) {
		close(go[0]); close(go[1]);
		return nook_err(err, errno, "pipe");
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		r = nook_err(err, errno, "fork");
		close(go[0]); close(go[1]); close(back[0]); close(back[1]);
		return r;
	}
	if (pid == 0) {
		struct nook_error cerr = { 0 };
		char c;
		close(go[1]);
		close(back[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		if (unshare(CLONE_NEWUSER) < 0) {
			nook_err(&cerr, errno, "cannot create a user namespace for the image store");
			c = 0;
			(void)!write(back[1], &c, 1);
		} else {
			c = 1;
			(void)!write(back[1], &c, 1);
			if (read(go[0], &c, 1) != 1)
				_exit(1);
			if (m.mode == NOOK_USERNS_SELF)
				nook_idmaps_apply_self(&m, &cerr);
			if (!cerr.msg[0] && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
				nook_err(&cerr, errno, "cannot become root in the user namespace");
			if (!cerr.msg[0])
				fn(arg, &cerr);
		}
		int status = cerr.msg[0] ? 1 : 0;
		(void)!write(back[1], &cerr, sizeof cerr);
		_exit(status);
	}
	close(go[0]);
	close(back[1]);
	char c;
	r = 0;
	bool unshared = read_full(back[0], &c, 1) == 0 && c == 1;
	if (unshared && m.mode != NOOK_USERNS_SELF)
		r = nook_idmaps_apply(&m, pid, err);
	if (unshared && r == 0) {
		c = 1;
		(void)!write(go[1], &c, 1);
	}
	close(go[1]);
	struct nook_error cerr;
	bool got = read_full(back[0], &cerr, sizeof cerr) == 0;
	close(back[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	if (got && cerr.msg[0]) {
		memcpy(err->msg, cerr.msg, sizeof err->msg);
		err->code = cerr.code ? cerr.code : -EIO;
		return err->code;
	}
	if (!got || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return nook_errx(err, EIO, "the process unpacking in a user namespace died (status %d)", status);
	return 0;
}

int nook_image_rmtree_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == EACCES && fchmodat(dfd, name, 0700, 0) == 0)
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int e = nook_image_rmtree_at(dirfd(d), de->d_name);
		if (e < 0 && r == 0)
			r = e;
	}
	closedir(d);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}
