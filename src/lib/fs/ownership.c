/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ownership.c - say so when the user's rootfs holds files whose owner the
 * container's user namespace does not map (see ownership.h).
 *
 * Runs in the parent, which sees the host's ids: inside the namespace an
 * unmapped owner and a real owner 65534 look the same. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "mountutil.h"
#include "nook/ownership.h"
#include "nook/util.h"

#define MAX_LAYERS 64

/* The host directories the rootfs is made of, topmost first. */
static size_t rootfs_layers(const struct nook_spec *s, const char **out)
{
	size_t n = 0;
	if (s->rootfs.kind == NOOK_ROOTFS_DIR && s->rootfs.path) {
		out[n++] = s->rootfs.path;
	} else if (s->rootfs.kind == NOOK_ROOTFS_OVERLAY) {
		if (s->rootfs.upper)
			out[n++] = s->rootfs.upper;
		for (size_t i = 0; s->rootfs.lower && s->rootfs.lower[i] && n < MAX_LAYERS; i++)
			out[n++] = s->rootfs.lower[i];
	}
	return n;
}

struct owner {
	uid_t uid;
	gid_t gid;
	bool uid_ok, gid_ok;   /* covered by the maps */
};

static void owner_from(const struct nook_idmaps *m, const struct stat *st, struct owner *o)
{
	o->uid = st->st_uid;
	o->gid = st->st_gid;
	o->uid_ok = nook_idmap_covers(m->uid, m->n_uid, st->st_uid);
	o->gid_ok = nook_idmap_covers(m->gid, m->n_gid, st->st_gid);
}

/* The owner of comp inside the tree layerfd, resolved as the container
 * resolves it (symlinks stay inside; a final one is not followed), and its
 * real path on the host. False when it does not exist there. */
static bool owner_in(const struct nook_idmaps *m, int layerfd, const char *comp,
		     char *host, size_t size, struct owner *o)
{
	struct stat st;
	char link[64];
	_cleanup_close_ int fd = nook_open_in_root(layerfd, comp, NOOK_MK_NONE, 0);
	if (fd < 0 || fstat(fd, &st) < 0)
		return false;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, host, size - 1);
	host[n > 0 ? n : 0] = '\0';
	owner_from(m, &st, o);
	return true;
}

static void describe(char *buf, size_t size, const struct owner *o)
{
	if (!o->uid_ok && !o->gid_ok)
		snprintf(buf, size, "is owned by uid %u and gid %u", (unsigned)o->uid, (unsigned)o->gid);
	else if (!o->uid_ok)
		snprintf(buf, size, "is owned by uid %u", (unsigned)o->uid);
	else
		snprintf(buf, size, "has group %u", (unsigned)o->gid);
}

/* What the user can do about a tree with such an owner: the choices,
 * joined with ", or ". */
static void advice(char *buf, size_t size, const char *tree, const struct owner *o,
		   const struct nook_idmaps *m)
{
	size_t off = 0;
	bool sub = false;
	buf[0] = '\0';
	if (m->mode == NOOK_USERNS_SELF) {
		struct nook_idmap su, sg;
		nook_subid_caller_ranges(&su, &sg);
		sub = (o->uid_ok || nook_idmap_covers(&su, 1, o->uid)) &&
		      (o->gid_ok || nook_idmap_covers(&sg, 1, o->gid));
		if (sub)
			nook_append(buf, size, &off, "run with --userns subuid, which maps your subordinate ids");
	}
	if (o->uid_ok && o->uid == getuid() && !o->gid_ok)
		nook_append(buf, size, &off, "%schgrp -R %u %s", off ? ", or " : "", (unsigned)getgid(), tree);
	else if (!sub)
		nook_append(buf, size, &off, "make the tree yours with sudo chown -R %u:%u %s, or unpack it again as yourself",
			    (unsigned)getuid(), (unsigned)getgid(), tree);
}

bool nook_ownership_check(const struct nook_spec *s, const struct nook_idmaps *m, char *warning, size_t size)
{
	const char *layer[MAX_LAYERS];
	size_t n = rootfs_layers(s, layer);
	if (s->rootfs.readonly)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct owner o;
		struct stat st;
		bool upper = s->rootfs.kind == NOOK_ROOTFS_OVERLAY && layer[i] == s->rootfs.upper;
		/* the upper layer's own directory is never copied up; the host's
		 * / as a lower layer is root's on purpose */
		if (upper || strcmp(layer[i], "/") == 0 || stat(layer[i], &st) < 0)
			continue;
		owner_from(m, &st, &o);
		if (o.uid_ok && o.gid_ok)
			continue;
		char what[96], fix[PATH_MAX + 160];
		describe(what, sizeof what, &o);
		advice(fix, sizeof fix, layer[i], &o, m);
		if (s->rootfs.kind == NOOK_ROOTFS_OVERLAY)
			snprintf(warning, size, "the overlay's lower layer %s %s, which the container's user namespace "
				 "does not map: writing to a file that comes from it fails with 'Value too large for defined "
				 "data type' (fix: %s)", layer[i], what, fix);
		else
			snprintf(warning, size, "the rootfs %s %s, which the container's user namespace does not map: "
				 "inside, it shows as owned by 65534 (nobody) and root there cannot change it (fix: %s)",
				 layer[i], what, fix);
		return true;
	}
	return false;
}

/* Is comp (inside) covered by a mount other than the rootfs? */
static bool other_fs(const struct nook_spec *s, const char *comp)
{
	static const char *const fixed[] = { "/proc", "/sys", "/dev" };
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		if (nook_path_contains(fixed[i], comp) && strcmp(fixed[i], comp) != 0)
			return true;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct nook_mount *mt = &s->mounts[i];
		if (mt->type == NOOK_MOUNT_DIR || mt->type == NOOK_MOUNT_SYMLINK || !mt->target)
			continue;
		_cleanup_free_ char *t = nook_path_normalize(mt->target);
		if (t && nook_path_contains(t, comp) && strcmp(t, comp) != 0)
			return true;
	}
	return false;
}

/* The host file behind comp: the topmost layer that has it (for / every
 * layer counts: report the first that is not mapped). */
static bool host_file(const struct nook_idmaps *m, const int *layerfd, const char *const *layer, size_t n,
		      const char *comp, char *host, size_t size, const char **tree, struct owner *o)
{
	bool root = strcmp(comp, "/") == 0, found = false;
	for (size_t i = 0; i < n; i++) {
		char h[PATH_MAX];
		struct owner lo;
		if (layerfd[i] < 0 || !owner_in(m, layerfd[i], comp, h, sizeof h, &lo))
			continue;
		if (!found || (o->uid_ok && o->gid_ok)) {
			*o = lo;
			*tree = layer[i];
			snprintf(host, size, "%s", h);
		}
		found = true;
		if (!root)
			break;
	}
	return found;
}

/* Walk "/", "/a", "/a/b", ... of norm while the rootfs has them; keep the
 * deepest one whose owner is not mapped. False when there is none. */
static bool find_unmapped(const struct nook_spec *s, const struct nook_idmaps *m, const char *norm,
			  char *comp, char *host, const char **tree, struct owner *bad)
{
	const char *layer[MAX_LAYERS];
	int layerfd[MAX_LAYERS];
	size_t n = rootfs_layers(s, layer);
	char c[PATH_MAX] = "/", h[PATH_MAX];
	const char *p = norm + 1, *t;
	struct owner o;
	bool found = false;
	for (size_t i = 0; i < n; i++)
		layerfd[i] = open(layer[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
	while (!other_fs(s, c) && host_file(m, layerfd, layer, n, c, h, sizeof h, &t, &o)) {
		if (!o.uid_ok || !o.gid_ok) {
			*bad = o;
			*tree = t;
			snprintf(comp, PATH_MAX, "%s", c);
			snprintf(host, PATH_MAX, "%s", h);
			found = true;
		}
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		size_t cl = strlen(c), pl = (size_t)(e - p);
		if (cl + 1 + pl >= sizeof c)
			break;
		if (cl > 1)
			c[cl++] = '/';
		memcpy(c + cl, p, pl);
		c[cl + pl] = '\0';
		p = *e ? e + 1 : e;
	}
	for (size_t i = 0; i < n; i++)
		if (layerfd[i] >= 0)
			close(layerfd[i]);
	return found;
}

bool nook_ownership_explain(const struct nook_spec *s, const struct nook_idmaps *m,
			    const char *path, int errnum, struct nook_error *err)
{
	if (errnum < 0)
		errnum = -errnum;
	if (!path || (errnum != EOVERFLOW && errnum != EACCES && errnum != EPERM))
		return false;
	_cleanup_free_ char *norm = nook_path_normalize(path);
	char comp[PATH_MAX], host[PATH_MAX];
	const char *tree = NULL;
	struct owner bad;
	if (!norm || !find_unmapped(s, m, norm, comp, host, &tree, &bad))
		return false;

	char what[96], fix[PATH_MAX + 160];
	describe(what, sizeof what, &bad);
	advice(fix, sizeof fix, tree, &bad, m);
	size_t off = strnlen(err->msg, sizeof err->msg);
	nook_append(err->msg, sizeof err->msg, &off,
		    " (%s, %s on the host, %s, which the container's user namespace does not map: %s; fix: %s)",
		    comp, host, what,
		    errnum == EOVERFLOW ? "the overlay cannot copy it up to change it"
					: "root inside cannot override its permissions", fix);
	nook_escape_controls(err->msg, sizeof err->msg);
	return true;
}
