/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idmap.c - user namespace id maps: choose the mode, build the map lines,
 * look up subordinate ranges with libsubid, write maps (directly in self
 * mode, through newuidmap/newgidmap in subuid mode). */
#include <dlfcn.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>
#include <shadow/subid.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/idmap.h"
#include "nook/twin.h"
#include "nook/util.h"

extern char **environ;

void nook_idmaps_self(struct nook_idmaps *m, uid_t caller_uid, gid_t caller_gid,
		      uid_t inside_uid, gid_t inside_gid)
{
	m->mode = NOOK_USERNS_SELF;
	m->uid[0] = (struct nook_idmap){ inside_uid, caller_uid, 1 };
	m->gid[0] = (struct nook_idmap){ inside_gid, caller_gid, 1 };
	m->n_uid = m->n_gid = 1;
}

void nook_idmaps_subuid(struct nook_idmaps *m, uid_t caller_uid, gid_t caller_gid,
			unsigned long uid_start, unsigned long uid_count,
			unsigned long gid_start, unsigned long gid_count)
{
	m->mode = NOOK_USERNS_SUBUID;
	m->uid[0] = (struct nook_idmap){ 0, caller_uid, 1 };
	m->uid[1] = (struct nook_idmap){ 1, uid_start, uid_count };
	m->gid[0] = (struct nook_idmap){ 0, caller_gid, 1 };
	m->gid[1] = (struct nook_idmap){ 1, gid_start, gid_count };
	m->n_uid = m->n_gid = 2;
}

int nook_subid_pick(const unsigned long *starts, const unsigned long *counts, size_t n)
{
	int best = -1;
	(void)starts;
	for (size_t i = 0; i < n; i++)
		if (counts[i] > 0 && (best < 0 || counts[i] > counts[best]))
			best = (int)i;
	return best;
}

int nook_idmap_format(const struct nook_idmap *m, size_t n, char *buf, size_t size)
{
	size_t off = 0;
	if (size > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + off, size - off, "%lu %lu %lu\n",
				 m[i].inside, m[i].outside, m[i].count);
		if (w < 0 || (size_t)w >= size - off)
			return -ENOSPC;
		off += (size_t)w;
	}
	return (int)off;
}

char **nook_idmap_helper_args(const char *helper, pid_t pid, const struct nook_idmap *m, size_t n)
{
	char **argv = NULL;
	char num[32];
	nook_strv_push(&argv, helper);
	snprintf(num, sizeof num, "%d", (int)pid);
	nook_strv_push(&argv, num);
	for (size_t i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%lu", m[i].inside);
		nook_strv_push(&argv, num);
		snprintf(num, sizeof num, "%lu", m[i].outside);
		nook_strv_push(&argv, num);
		snprintf(num, sizeof num, "%lu", m[i].count);
		nook_strv_push(&argv, num);
	}
	return argv;
}

/* libsubid, loaded on first use. */
static struct {
	bool tried;
	void *handle;
	int (*uid_ranges)(const char *, struct subid_range **);
	int (*gid_ranges)(const char *, struct subid_range **);
	bool (*init)(const char *, FILE *);
	FILE *log;
	char why[256];
} subid;

/* libsubid logs to stderr by default; nook reports errors itself. While it
 * is used it gets a close-on-exec /dev/null (newuidmap must not inherit
 * it); subid_release() gives it stderr back and closes that file, so no fd
 * stays open after the ranges are read. No program name: subid_init()
 * keeps a strdup() of one and drops the previous copy (a leak per call);
 * without one it logs as "(libsubid)", which only /dev/null sees. */
static void subid_quiet(void)
{
	if (subid.init && !subid.log && (subid.log = fopen("/dev/null", "we")))
		subid.init(NULL, subid.log);
}

static void subid_release(void)
{
	if (subid.log) {
		subid.init(NULL, stderr);
		fclose(subid.log);
		subid.log = NULL;
	}
}

static bool subid_load(void)
{
	if (subid.tried)
		return subid.handle != NULL;
	subid.tried = true;
	if (nook_is_static()) {
		snprintf(subid.why, sizeof subid.why, "internal error: a static nook does not load %s", NOOK_LIBSUBID_SONAME);
		return false;
	}
	void *h = dlopen(NOOK_LIBSUBID_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(subid.why, sizeof subid.why, "cannot load %s (install it with: apt-get install libsubid4): %s",
			 NOOK_LIBSUBID_SONAME, dlerror());
		return false;
	}
	subid.init = (bool (*)(const char *, FILE *))dlsym(h, "subid_init");
	subid.uid_ranges = (int (*)(const char *, struct subid_range **))dlsym(h, "subid_get_uid_ranges");
	subid.gid_ranges = (int (*)(const char *, struct subid_range **))dlsym(h, "subid_get_gid_ranges");
	if (!subid.uid_ranges || !subid.gid_ranges) {
		snprintf(subid.why, sizeof subid.why, "%s lacks subid_get_uid_ranges", NOOK_LIBSUBID_SONAME);
		dlclose(h);
		return false;
	}
	subid.handle = h;
	return true;
}

/* A static nook cannot load libsubid (twin.h): its twin reads both
 * ranges of a user at once (`nook-dyn __subid USER` prints a line for
 * each, as nook_subid_lookup returned it), once per process. */
static struct {
	char user[256];
	struct twin_range {
		int r;
		unsigned long start, count;
		char msg[NOOK_ERR_MAX];
	} range[2];
} twin_subid;

static int lookup_by_twin(const char *user, bool gid, unsigned long *start,
			  unsigned long *count, struct nook_error *err)
{
	if (strcmp(twin_subid.user, user) != 0) {
		char out[2 * NOOK_ERR_MAX + 128];
		char *args[] = { (char *)"__subid", (char *)user, NULL };
		int st = nook_twin_run("reading subordinate ids (libsubid)", args, out, sizeof out, err);
		if (st < 0)
			return st;
		char *save = NULL;
		size_t got = 0;
		for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char kind[4];
			int r, at = 0;
			unsigned long a, b;
			if (sscanf(line, "%3s %d %lu %lu %n", kind, &r, &a, &b, &at) < 4)
				continue;
			struct twin_range *t = &twin_subid.range[strcmp(kind, "gid") == 0];
			*t = (struct twin_range){ r, a, b, "" };
			snprintf(t->msg, sizeof t->msg, "%s", line + at);
			got++;
		}
		if (st != 0 || got != 2)
			return nook_errx(err, EIO, "%s did not report the subordinate ids of '%s' (exit status %d)",
					 nook_twin_path(), user, st);
		snprintf(twin_subid.user, sizeof twin_subid.user, "%s", user);
	}
	const struct twin_range *t = &twin_subid.range[gid];
	if (t->r < 0 && t->r != -ENOENT)
		return nook_errx(err, -t->r, "%s", t->msg);
	*start = t->start;
	*count = t->count;
	return t->r;
}

int nook_subid_lookup(const char *user, bool gid, unsigned long *start,
		      unsigned long *count, struct nook_error *err)
{
	if (nook_is_static())
		return lookup_by_twin(user, gid, start, count, err);
	struct subid_range *ranges = NULL;
	if (!subid_load())
		return nook_errx(err, ELIBACC, "%s", subid.why);
	subid_quiet();
	int n = gid ? subid.gid_ranges(user, &ranges) : subid.uid_ranges(user, &ranges);
	if (n < 0) {
		free(ranges);
		return nook_errx(err, EIO, "cannot read the subordinate %s ranges of '%s' (check /etc/%s and /etc/nsswitch.conf)",
				 gid ? "gid" : "uid", user, gid ? "subgid" : "subuid");
	}
	unsigned long starts[64], counts[64];
	size_t k = (size_t)n < 64 ? (size_t)n : 64;
	for (size_t i = 0; i < k; i++) {
		starts[i] = ranges[i].start;
		counts[i] = ranges[i].count;
	}
	free(ranges);
	int best = nook_subid_pick(starts, counts, k);
	if (best < 0)
		return -ENOENT;
	*start = starts[best];
	*count = counts[best];
	return 0;
}

static const char *caller_name(char *buf, size_t size)
{
	const char *name, *home;
	/* unknown (or only NSS knows it and this nook is static): libsubid
	 * is asked by uid */
	if (nook_passwd_me(&name, &home) == 0)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%u", (unsigned)getuid());
	return buf;
}

static void remember_helpers(struct nook_idmaps *m, const char *nuid, const char *ngid)
{
	snprintf(m->newuidmap, sizeof m->newuidmap, "%s", nuid);
	snprintf(m->newgidmap, sizeof m->newgidmap, "%s", ngid);
}

bool nook_userns_admin(void)
{
	cap_t c = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;
	if (c)
		cap_get_flag(c, CAP_SYS_ADMIN, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

int nook_idmap_own(bool gid, struct nook_idmap *out, size_t max, size_t *n)
{
	FILE *f = fopen(gid ? "/proc/self/gid_map" : "/proc/self/uid_map", "re");
	if (!f)
		return -errno;
	unsigned long a, b, c;
	*n = 0;
	while (*n < max && fscanf(f, "%lu %lu %lu", &a, &b, &c) == 3)
		out[(*n)++] = (struct nook_idmap){ a, a, c };
	fclose(f);
	return *n ? 0 : -ENOENT;
}

bool nook_idmaps_may_subuid(const struct nook_spec *s)
{
	if (s->n_uid_maps > 0 || s->n_gid_maps > 0 || s->userns == NOOK_USERNS_SELF || s->userns == NOOK_USERNS_NONE)
		return false;
	return s->userns == NOOK_USERNS_SUBUID ||
	       (s->rootfs.kind != NOOK_ROOTFS_HOST && s->rootfs.kind != NOOK_ROOTFS_EMPTY);
}

int nook_idmaps_resolve(const struct nook_spec *s, struct nook_idmaps *m,
			struct nook_error *err)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	char user[256];
	memset(m, 0, sizeof *m);

	if (s->userns == NOOK_USERNS_NONE) {
		/* the container's ids are nook's own: the maps say which (the
		 * ownership checks read them), nothing writes them */
		if (!nook_userns_admin())
			return nook_errx(err, EPERM, "a container without a user namespace of its own needs CAP_SYS_ADMIN "
					 "in nook's user namespace, which uid %u does not have there", (unsigned)geteuid());
		m->mode = NOOK_USERNS_NONE;
		if (nook_idmap_own(false, m->uid, 8, &m->n_uid) < 0 || nook_idmap_own(true, m->gid, 8, &m->n_gid) < 0)
			return nook_err(err, errno ? errno : ENOENT, "cannot read nook's own id maps (/proc/self/uid_map)");
		snprintf(m->why, sizeof m->why, "none of its own: the container stays in nook's user namespace, "
			 "where nook has CAP_SYS_ADMIN (uid %u)", (unsigned)geteuid());
		return 0;
	}
	if (s->n_uid_maps > 0 || s->n_gid_maps > 0) {
		if (s->n_uid_maps > 8 || s->n_gid_maps > 8)
			return nook_errx(err, EINVAL, "at most 8 uid and 8 gid map lines are supported");
		m->mode = s->userns == NOOK_USERNS_PARENT ? NOOK_USERNS_PARENT : NOOK_USERNS_SUBUID;
		memcpy(m->uid, s->uid_maps, s->n_uid_maps * sizeof *m->uid);
		memcpy(m->gid, s->gid_maps, s->n_gid_maps * sizeof *m->gid);
		m->n_uid = s->n_uid_maps;
		m->n_gid = s->n_gid_maps;
		snprintf(m->why, sizeof m->why, "explicit maps, written by %s",
			 m->mode == NOOK_USERNS_PARENT ? "nook (it holds CAP_SETUID over its user namespace)" : "newuidmap/newgidmap");
		return 0;
	}

	if (s->userns == NOOK_USERNS_SELF) {
		nook_idmaps_self(m, uid, gid, s->uid, s->gid);
		snprintf(m->why, sizeof m->why, "self mode (asked for): uid %u inside is you", (unsigned)s->uid);
		return 0;
	}

	/* auto with the host's / (or an empty root filled from host paths):
	 * every file there belongs to host ids that no map covers, so more ids
	 * would only cost the setuid helpers' milliseconds on every start */
	if (s->userns != NOOK_USERNS_SUBUID &&
	    (s->rootfs.kind == NOOK_ROOTFS_HOST || s->rootfs.kind == NOOK_ROOTFS_EMPTY)) {
		nook_idmaps_self(m, uid, gid, s->uid, s->gid);
		snprintf(m->why, sizeof m->why, "self mode: the root is %s, whose files belong to host ids "
			 "(--userns subuid maps your subordinate range too)",
			 s->rootfs.kind == NOOK_ROOTFS_HOST ? "the host's /" : "empty, filled from host paths");
		return 0;
	}

	caller_name(user, sizeof user);
	_cleanup_free_ char *nuid = nook_find_program("newuidmap", getenv("PATH"));
	_cleanup_free_ char *ngid = nook_find_program("newgidmap", getenv("PATH"));
	unsigned long us = 0, uc = 0, gs = 0, gc = 0;
	struct nook_error lerr = { 0 };
	int ru = nook_subid_lookup(user, false, &us, &uc, &lerr);
	int rg = ru == 0 ? nook_subid_lookup(user, true, &gs, &gc, &lerr) : ru;
	subid_release();

	if (s->userns == NOOK_USERNS_SUBUID) {
		if (ru == -ENOENT)
			return nook_errx(err, ENOENT, "no subordinate uid range for user '%s' in /etc/subuid "
					 "(add one with: usermod --add-subuids 100000-165535 %s)", user, user);
		if (rg == -ENOENT)
			return nook_errx(err, ENOENT, "no subordinate gid range for user '%s' in /etc/subgid "
					 "(add one with: usermod --add-subgids 100000-165535 %s)", user, user);
		if (ru < 0 || rg < 0) {
			*err = lerr;
			return ru < 0 ? ru : rg;
		}
		if (!nuid || !ngid)
			return nook_errx(err, ENOENT, "%s not found in PATH (install it with: apt-get install uidmap)",
					 !nuid ? "newuidmap" : "newgidmap");
		if (s->uid > uc || s->gid > gc)
			return nook_errx(err, EINVAL, "uid %u/gid %u is outside the mapped range 0-%lu",
					 (unsigned)s->uid, (unsigned)s->gid, uc < gc ? uc : gc);
		nook_idmaps_subuid(m, uid, gid, us, uc, gs, gc);
		remember_helpers(m, nuid, ngid);
		snprintf(m->why, sizeof m->why, "subuid mode (asked for): 0 is you, 1-%lu are %lu-%lu from /etc/subuid",
			 uc, us, us + uc - 1);
		return 0;
	}

	/* auto */
	if (ru == 0 && rg == 0 && nuid && ngid && s->uid <= uc && s->gid <= gc) {
		nook_idmaps_subuid(m, uid, gid, us, uc, gs, gc);
		remember_helpers(m, nuid, ngid);
		snprintf(m->why, sizeof m->why, "subuid mode: user '%s' has %lu subordinate ids from %lu and newuidmap is installed",
			 user, uc, us);
	} else {
		nook_idmaps_self(m, uid, gid, s->uid, s->gid);
		snprintf(m->why, sizeof m->why, "self mode: %s",
			 ru == -ENOENT ? "no subordinate uid range in /etc/subuid" :
			 rg == -ENOENT ? "no subordinate gid range in /etc/subgid" :
			 (ru < 0 || rg < 0) ? "subordinate ranges could not be read" :
			 !nuid || !ngid ? "newuidmap/newgidmap not installed" :
			 "the requested uid/gid is outside the subordinate range");
	}
	return 0;
}

/* Start newuidmap/newgidmap with stderr into a pipe; return its pid. */
static pid_t run_helper(char **argv, int errfd)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		errno = r;
		return -1;
	}
	return pid;
}

static int wait_helper(pid_t pid, const char *what, int rfd, struct nook_error *err)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return nook_err(err, errno, "waiting for %s", what);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	char out[512] = "";
	ssize_t n = read(rfd, out, sizeof out - 1);
	out[n > 0 ? n : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return nook_errx(err, EPERM, "%s failed%s%s (check the ranges in /etc/subuid and /etc/subgid)",
			 what, out[0] ? ": " : "", out);
}

/* Self mode: setgroups "deny", then the one-line maps, to /proc/WHO/. The
 * child can do this for itself (it maps only its own ids), which saves the
 * parent a round trip; the parent can do it for the child too. */
static int write_self_maps(const struct nook_idmaps *m, const char *who, struct nook_error *err)
{
	char buf[1024], path[64];
	int r;
	/* without CAP_SETGID over our user namespace a gid map needs
	 * setgroups denied; with it (PARENT), groups stay usable */
	if (m->mode != NOOK_USERNS_PARENT) {
		snprintf(path, sizeof path, "/proc/%s/setgroups", who);
		r = nook_write_file(path, "deny", 4, 0);
		if (r < 0 && r != -ENOENT)
			return nook_err(err, -r, "cannot write %s", path);
	}
	const struct { const char *name; const struct nook_idmap *map; size_t n; } w[] = {
		{ "uid_map", m->uid, m->n_uid }, { "gid_map", m->gid, m->n_gid },
	};
	for (size_t i = 0; i < 2; i++) {
		int len = nook_idmap_format(w[i].map, w[i].n, buf, sizeof buf);
		if (len < 0)
			return nook_errx(err, ENOSPC, "id map too long");
		snprintf(path, sizeof path, "/proc/%s/%s", who, w[i].name);
		r = nook_write_file(path, buf, (size_t)len, 0);
		if (r < 0)
			return nook_err(err, -r, "cannot write %s '%.*s'", path, len - 1, buf);
	}
	return 0;
}

bool nook_idmap_covers(const struct nook_idmap *m, size_t n, unsigned long outside)
{
	for (size_t i = 0; i < n; i++)
		if (outside >= m[i].outside && outside - m[i].outside < m[i].count)
			return true;
	return false;
}

void nook_subid_caller_ranges(struct nook_idmap *uid, struct nook_idmap *gid)
{
	char user[256];
	struct nook_error lerr = { 0 };
	*uid = *gid = (struct nook_idmap){ 1, 0, 0 };
	caller_name(user, sizeof user);
	if (nook_subid_lookup(user, false, &uid->outside, &uid->count, &lerr) < 0)
		uid->count = 0;
	if (nook_subid_lookup(user, true, &gid->outside, &gid->count, &lerr) < 0)
		gid->count = 0;
	subid_release();
}

unsigned long nook_idmaps_max_gid(const struct nook_idmaps *m)
{
	unsigned long max = 0;
	for (size_t i = 0; i < m->n_gid; i++)
		if (m->gid[i].count && m->gid[i].inside + m->gid[i].count - 1 > max)
			max = m->gid[i].inside + m->gid[i].count - 1;
	return max;
}

int nook_idmaps_apply_self(const struct nook_idmaps *m, struct nook_error *err)
{
	return write_self_maps(m, "self", err);
}

int nook_idmaps_apply(const struct nook_idmaps *m, pid_t pid, struct nook_error *err)
{
	if (m->mode == NOOK_USERNS_NONE)
		return 0;
	if (m->mode == NOOK_USERNS_SELF || m->mode == NOOK_USERNS_PARENT) {
		char who[16];
		snprintf(who, sizeof who, "%d", (int)pid);
		return write_self_maps(m, who, err);
	}

	int r;
	/* the helpers were looked up when the maps were resolved */
	_cleanup_free_ char *nuid = m->newuidmap[0] ? nook_strdup(m->newuidmap)
						    : nook_find_program("newuidmap", getenv("PATH"));
	_cleanup_free_ char *ngid = m->newgidmap[0] ? nook_strdup(m->newgidmap)
						    : nook_find_program("newgidmap", getenv("PATH"));
	if (!nuid || !ngid)
		return nook_errx(err, ENOENT, "%s not found in PATH (install it with: apt-get install uidmap)",
				 !nuid ? "newuidmap" : "newgidmap");
	_cleanup_strv_ char **ua = nook_idmap_helper_args(nuid, pid, m->uid, m->n_uid);
	_cleanup_strv_ char **ga = nook_idmap_helper_args(ngid, pid, m->gid, m->n_gid);
	int up[2], gp[2];
	if (pipe2(up, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	if (pipe2(gp, O_CLOEXEC) < 0) {
		close(up[0]); close(up[1]);
		return nook_err(err, errno, "pipe");
	}
	/* run both helpers at once: they are independent */
	pid_t pu = run_helper(ua, up[1]);
	int eu = errno;
	pid_t pg = run_helper(ga, gp[1]);
	int eg = errno;
	close(up[1]);
	close(gp[1]);
	r = 0;
	if (pu < 0)
		r = nook_err(err, eu, "cannot run %s", nuid);
	else {
		r = wait_helper(pu, "newuidmap", up[0], err);
	}
	if (pg < 0) {
		if (r == 0)
			r = nook_err(err, eg, "cannot run %s", ngid);
	} else {
		struct nook_error gerr = { 0 };
		int r2 = wait_helper(pg, "newgidmap", gp[0], &gerr);
		if (r == 0 && r2 < 0) {
			*err = gerr;
			r = r2;
		}
	}
	close(up[0]);
	close(gp[0]);
	return r;
}
