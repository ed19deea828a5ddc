/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sockscan.c - with --verbose, name the unix sockets of the host that the
 * container can still connect to.
 *
 * A read-only bind does not stop connect(): a socket under a path the
 * profile shows is as reachable inside as outside. After the root is
 * built (before pivot_root), this walks the places sockets live - the
 * bind targets, and with the host's root /run, /var/run, /var/tmp, /tmp,
 * /home, $HOME and $XDG_RUNTIME_DIR - a few levels deep, and prints one
 * note per socket the payload could connect to (write permission, as the
 * kernel checks it for connect()). Only with --verbose: it costs a
 * directory walk, which a normal start does not pay.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/spec.h"
#include "mountutil.h"

#define SCAN_DEPTH 3        /* /run/user/UID/bus is three below /run */
#define SCAN_MAX_ENTRIES 20000
#define SCAN_MAX_DIRS 256   /* directories remembered, so none is walked twice */

struct scan {
	struct { dev_t dev; ino_t ino; } seen[SCAN_MAX_DIRS];
	unsigned n_seen, entries, found;
};

static bool seen_before(struct scan *sc, const struct stat *st)
{
	for (unsigned i = 0; i < sc->n_seen; i++)
		if (sc->seen[i].dev == st->st_dev && sc->seen[i].ino == st->st_ino)
			return true;
	if (sc->n_seen < SCAN_MAX_DIRS) {
		sc->seen[sc->n_seen].dev = st->st_dev;
		sc->seen[sc->n_seen].ino = st->st_ino;
		sc->n_seen++;
	}
	return false;
}

static void note(struct scan *sc, int dirfd, const char *name, const char *path)
{
	if (faccessat(dirfd, name, W_OK, AT_EACCESS | (name[0] ? 0 : AT_EMPTY_PATH)) < 0)
		return;
	sc->found++;
	nook_verbose("a host unix socket is reachable in the container: %s", path);
}

/* fd is open O_RDONLY | O_DIRECTORY and is consumed. */
static void walk(struct scan *sc, int fd, const char *path, int depth)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && sc->entries < SCAN_MAX_ENTRIES) {
		sc->entries++;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		unsigned char type = e->d_type;
		if (type == DT_UNKNOWN) {
			struct stat st;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			type = S_ISSOCK(st.st_mode) ? DT_SOCK : S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
		}
		char sub[4096];
		if (snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "", e->d_name) >= (int)sizeof sub)
			continue;
		if (type == DT_SOCK) {
			note(sc, dirfd(d), e->d_name, sub);
		} else if (type == DT_DIR && depth > 1) {
			struct stat st;
			int sfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sfd < 0)
				continue;
			if (fstat(sfd, &st) < 0 || seen_before(sc, &st))
				close(sfd);
			else
				walk(sc, sfd, sub, depth - 1);
		}
	}
	closedir(d);
}

/* One starting point, resolved inside the root (a link such as /var/run
 * leads where it leads there); each directory is walked once. */
static void scan_path(struct scan *sc, int rootfd, const char *path)
{
	struct stat st;
	_cleanup_close_ int p = nook_resolve_in_root(rootfd, path, O_PATH);
	if (p < 0 || fstat(p, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode)) {
		note(sc, p, "", path);
		return;
	}
	if (!S_ISDIR(st.st_mode) || seen_before(sc, &st))
		return;
	int fd = nook_resolve_in_root(rootfd, path, O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
		walk(sc, fd, path, SCAN_DEPTH);
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

void nook_scan_sockets(const struct nook_spec *s, int rootfd)
{
	struct scan sc = { 0 };

	if (s->rootfs.kind == NOOK_ROOTFS_HOST) {
		static const char *const fixed[] = { "/run", "/var/run", "/var/tmp", "/tmp", "/home", NULL };
		for (size_t i = 0; fixed[i]; i++)
			scan_path(&sc, rootfd, fixed[i]);
		const char *home = env_get(s->env, "HOME"), *xdg = env_get(s->env, "XDG_RUNTIME_DIR");
		if (home && home[0] == '/')
			scan_path(&sc, rootfd, home);
		if (xdg && xdg[0] == '/')
			scan_path(&sc, rootfd, xdg);
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct nook_mount *m = &s->mounts[i];
		if (m->type == NOOK_MOUNT_BIND || m->type == NOOK_MOUNT_RO_BIND || m->type == NOOK_MOUNT_DEV_BIND)
			scan_path(&sc, rootfd, m->target);
	}
	nook_verbose("host unix sockets reachable in the container: %u%s", sc.found,
		     sc.entries >= SCAN_MAX_ENTRIES ? " (the scan stopped early: too many entries)" : "");
}
