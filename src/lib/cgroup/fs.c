/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fs.c - finding our place in the cgroup v2 hierarchy, checking
 * that it is delegated and has the controllers, arranging the base for
 * our leaves (no-internal-process rule), killing and removing cgroups. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"

/* How users can get a delegated cgroup; appended to the messages. */
#define HOW_TO_DELEGATE \
	"run nook in a delegated cgroup, e.g. 'systemd-run --user --scope -p Delegate=yes nook run ...', " \
	"and make systemd delegate the controllers to users with contrib/systemd/delegate.conf " \
	"(install it as /etc/systemd/system/user@.service.d/delegate.conf, run 'systemctl daemon-reload' " \
	"and log in again)" CG_HINT_OPTIONAL

void cg_env_free(struct cg_env *e)
{
	free(e->mnt);
	free(e->mnt_root);
	free(e->own);
	free(e->base);
	*e = (struct cg_env){0};
}

int cg_discover(struct cg_env *e, const char *what, struct nook_error *err)
{
	*e = (struct cg_env){0};
	_cleanup_free_ char *mi = nook_read_file("/proc/self/mountinfo", 1 << 22, NULL);
	if (!mi)
		return nook_err(err, errno, "cannot enforce %s: cannot read /proc/self/mountinfo", what);
	_cleanup_free_ char *pc = nook_read_file("/proc/self/cgroup", 1 << 16, NULL);
	if (!pc)
		return nook_err(err, errno, "cannot enforce %s: cannot read /proc/self/cgroup", what);
	_cleanup_free_ char *rel = NULL;
	int r = nook_cgroup_parse_proc(pc, &rel, &e->v1_bits);
	if (r < 0 || nook_cgroup_parse_mountinfo(mi, &e->mnt, &e->mnt_root, &e->nsdelegate) < 0)
		return nook_errx(err, ENOENT,
			"cannot enforce %s: no cgroup v2 hierarchy is mounted (this host uses cgroup v1 only); "
			"nook's limits need cgroup v2: boot with systemd.unified_cgroup_hierarchy=1" CG_HINT_OPTIONAL, what);
	e->own = nook_cgroup_resolve(e->mnt, e->mnt_root, rel);
	if (!e->own)
		return nook_errx(err, ENOENT,
			"cannot enforce %s: your cgroup %s (from /proc/self/cgroup) is not visible below "
			"the cgroup2 mount %s; run nook from a cgroup inside that mount" CG_HINT_OPTIONAL,
			what, rel, e->mnt);
	e->base = nook_cgroup_pick_base(e->own, &e->in_init);
	return 0;
}

int cg_write(int dirfd, const char *file, const char *s)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	size_t len = strlen(s);
	ssize_t n;
	do
		n = write(fd, s, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static unsigned read_controllers(const char *dir, const char *file, char **raw)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	_cleanup_free_ char *text = nook_read_file_at(fd, file, CG_READ_MAX, NULL);
	unsigned bits = text ? nook_cgroup_parse_controllers(text) : 0;
	if (raw && text) {
		size_t l = strlen(text);
		while (l > 0 && text[l - 1] == '\n')
			text[--l] = '\0';
		*raw = TAKE_PTR(text);
	}
	return bits;
}

int cg_check_controllers(const struct cg_env *e, const struct nook_spec *s,
			 unsigned wanted, unsigned *available, struct nook_error *err)
{
	unsigned have = read_controllers(e->base, "cgroup.controllers", NULL);
	if (available)
		*available = have;
	unsigned missing = wanted & ~have;
	if (!missing)
		return 0;
	unsigned bit = missing & -missing;
	/* every limit that is not enforced, not only the first: "resources.cpus,
	 * resources.memory and resources.pids" and "the cpu, memory and pids
	 * controllers" (the reason given is the first controller's) */
	char key[256] = "", name[128] = "";
	unsigned nmiss = 0, total = (unsigned)__builtin_popcount(missing);
	for (unsigned b = 1; b && b <= missing; b <<= 1) {
		if (!(missing & b))
			continue;
		nmiss++;
		const char *sep = nmiss == 1 ? "" : nmiss == total ? " and " : ", ";
		size_t kl = strlen(key), nl = strlen(name);
		snprintf(key + kl, sizeof key - kl, "%s%s", sep, nook_cgroup_key_for(s, b));
		snprintf(name + nl, sizeof name - nl, "%s%s", sep, nook_cgroup_controller_name(b));
	}
	if (total > 1) {
		size_t nl = strlen(name);
		snprintf(name + nl, sizeof name - nl, " controllers");
	} else {
		size_t nl = strlen(name);
		snprintf(name + nl, sizeof name - nl, " controller");
	}
	const char *is = total > 1 ? "are" : "is";

	_cleanup_free_ char *root_list = NULL;
	unsigned root_bits = read_controllers(e->mnt, "cgroup.controllers", &root_list);
	if (!(root_bits & bit)) {
		if (e->v1_bits & bit)
			return nook_errx(err, EOPNOTSUPP,
				"cannot enforce %s: the %s %s bound to cgroup v1 on this host, "
				"not to the cgroup v2 hierarchy at %s (a v1/v2 hybrid whose v2 part offers only: %s); "
				"nook's limits need cgroup v2: boot with systemd.unified_cgroup_hierarchy=1 "
				"(and cgroup_no_v1=all) and delegate the controllers to users "
				"(contrib/systemd/delegate.conf)" CG_HINT_OPTIONAL,
				key, name, is, e->mnt, root_list && *root_list ? root_list : "no controllers");
		return nook_errx(err, EOPNOTSUPP,
			"cannot enforce %s: the %s %s not available in the cgroup v2 hierarchy at %s "
			"(the kernel lacks it, or it is disabled with cgroup_disable=)" CG_HINT_OPTIONAL,
			key, name, is, e->mnt);
	}
	/* Walk down from the mount to base: the first directory whose
	 * cgroup.subtree_control lacks the controller stops the delegation. */
	_cleanup_free_ char *dir = nook_strdup(e->mnt);
	const char *rest = e->base + strlen(e->mnt);
	for (;;) {
		if (strcmp(dir, e->base) == 0)
			break;
		if (!(read_controllers(dir, "cgroup.subtree_control", NULL) & bit))
			return nook_errx(err, EPERM,
				"cannot enforce %s: the %s %s not delegated to your cgroup %s: "
				"%s/cgroup.subtree_control does not enable %s; " HOW_TO_DELEGATE,
				key, name, is, e->base, dir, total > 1 ? "them" : "it");
		while (*rest == '/')
			rest++;
		size_t n = strcspn(rest, "/");
		if (n == 0)
			break;
		char *next = nook_asprintf("%s/%.*s", dir, (int)n, rest);
		free(dir);
		dir = next;
		rest += n;
	}
	return nook_errx(err, EPERM,
		"cannot enforce %s: the %s %s not in %s/cgroup.controllers; " HOW_TO_DELEGATE,
		key, name, is, e->base);
}

int cg_check_delegated(const struct cg_env *e, const char *what, struct nook_error *err)
{
	struct stat st;
	uid_t me = geteuid();
	if (stat(e->base, &st) < 0)
		return nook_err(err, errno, "cannot enforce %s: %s", what, e->base);
	_cleanup_free_ char *procs = nook_path_join(e->base, "cgroup.procs");
	_cleanup_free_ char *ctl = nook_path_join(e->base, "cgroup.subtree_control");
	char why[256] = "";
	if (st.st_uid != me && me != 0)
		snprintf(why, sizeof why, "it is owned by uid %u", (unsigned)st.st_uid);
	else if (access(procs, W_OK) < 0)
		snprintf(why, sizeof why, "%s is not writable", procs);
	else if (access(ctl, W_OK) < 0)
		snprintf(why, sizeof why, "%s is not writable", ctl);
	if (!why[0])
		return 0;
	return nook_errx(err, EPERM,
		"cannot enforce %s: your cgroup %s is not delegated to uid %u (%s); " HOW_TO_DELEGATE,
		what, e->base, (unsigned)me, why);
}

/* The root of a hierarchy has no cgroup.type and no internal-process rule. */
static bool is_root_cgroup(int dirfd)
{
	return faccessat(dirfd, "cgroup.type", F_OK, 0) < 0 && errno == ENOENT;
}

static int move_procs(const struct cg_env *e, int base_fd, struct nook_error *err)
{
	_cleanup_close_ int init_fd = -1;
	for (int round = 0; round < 16; round++) {
		_cleanup_free_ char *procs = nook_read_file_at(base_fd, "cgroup.procs", CG_READ_MAX, NULL);
		if (!procs)
			return nook_err(err, errno, "cannot read %s/cgroup.procs", e->base);
		if (!*procs)
			return 0;
		if (init_fd < 0) {
			if (mkdirat(base_fd, NOOK_CGROUP_INIT_LEAF, 0755) < 0 && errno != EEXIST)
				return nook_err(err, errno, "cannot create %s/" NOOK_CGROUP_INIT_LEAF
						" (a cgroup with processes cannot give controllers to its children, "
						"so nook moves them there)", e->base);
			init_fd = openat(base_fd, NOOK_CGROUP_INIT_LEAF, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (init_fd < 0)
				return nook_err(err, errno, "cannot open %s/" NOOK_CGROUP_INIT_LEAF, e->base);
		}
		char *save = NULL;
		for (char *pid = strtok_r(procs, "\n", &save); pid; pid = strtok_r(NULL, "\n", &save)) {
			int r = cg_write(init_fd, "cgroup.procs", pid);
			if (r < 0 && r != -ESRCH)
				return nook_err(err, r, "cannot move process %s from %s into %s/" NOOK_CGROUP_INIT_LEAF
						" (a cgroup with processes cannot give controllers to its children)",
						pid, e->base, e->base);
		}
	}
	return nook_errx(err, EBUSY, "%s keeps getting new processes; cannot move them into %s/"
			 NOOK_CGROUP_INIT_LEAF, e->base, e->base);
}

int cg_prepare_base(const struct cg_env *e, const struct nook_spec *s, int base_fd,
		    unsigned bits, unsigned optional, struct nook_error *err)
{
	if (!is_root_cgroup(base_fd)) {
		int r = move_procs(e, base_fd, err);
		if (r < 0) {
			unsigned first = bits & -bits;
			nook_err_prefix(err, "cannot enforce %s",
					first ? nook_cgroup_key_for(s, first) : "--stats-json");
			return r;
		}
	}
	_cleanup_free_ char *ctl = nook_read_file_at(base_fd, "cgroup.subtree_control", CG_READ_MAX, NULL);
	if (!ctl)
		return nook_err(err, errno, "cannot read %s/cgroup.subtree_control", e->base);
	unsigned enabled = nook_cgroup_parse_controllers(ctl);
	for (unsigned i = 0; i < NOOK_CG_N_CONTROLLERS; i++) {
		unsigned bit = 1u << i;
		if (enabled & bit || !((bits | optional) & bit))
			continue;
		char cmd[32];
		snprintf(cmd, sizeof cmd, "+%s", nook_cgroup_controller_name(bit));
		int r = cg_write(base_fd, "cgroup.subtree_control", cmd);
		if (r < 0 && (bits & bit))
			return nook_err(err, r, "cannot enforce %s: cannot enable the %s controller in %s/cgroup.subtree_control%s",
					nook_cgroup_key_for(s, bit), nook_cgroup_controller_name(bit), e->base,
					r == -EBUSY ? " (the cgroup holds processes)" :
					r == -EPERM ? " (a process in this subtree belongs to another user)" : "");
	}
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

DIR *cg_opendir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

/* SIGKILL every process in the cgroup at dirfd and its descendants. */
static void kill_tree(int dirfd, int depth)
{
	_cleanup_free_ char *procs = nook_read_file_at(dirfd, "cgroup.procs", CG_READ_MAX, NULL);
	char *save = NULL;
	for (char *p = procs ? strtok_r(procs, "\n", &save) : NULL; p; p = strtok_r(NULL, "\n", &save)) {
		long pid = strtol(p, NULL, 10);
		if (pid > 1)
			kill((pid_t)pid, SIGKILL);
	}
	if (depth > 32)
		return;
	_cleanup_closedir_ DIR *d = cg_opendir(dirfd, ".");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_close_ int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0)
			kill_tree(sub, depth + 1);
	}
}

static bool populated(int dirfd)
{
	_cleanup_free_ char *ev = nook_read_file_at(dirfd, "cgroup.events", CG_READ_MAX, NULL);
	uint64_t v = 0;
	if (!ev || nook_cgroup_keyed_value(ev, "populated", &v) < 0)
		return false; /* gone or unreadable: nothing more to wait for */
	return v != 0;
}

int cg_kill_wait(int dirfd, unsigned timeout_ms)
{
	if (!populated(dirfd))
		return 0;
	bool have_kill = cg_write(dirfd, "cgroup.kill", "1") == 0;
	bool frozen = false;
	if (!have_kill) {
		/* Before 5.14: freeze so nothing forks while we kill, then kill. */
		frozen = cg_write(dirfd, "cgroup.freeze", "1") == 0;
		kill_tree(dirfd, 0);
	}
	unsigned waited = 0;
	while (populated(dirfd)) {
		if (waited >= timeout_ms) {
			if (frozen)
				cg_write(dirfd, "cgroup.freeze", "0");
			return -ETIMEDOUT;
		}
		sleep_ms(2);
		waited += 2;
		if (!have_kill && waited % 100 == 0)
			kill_tree(dirfd, 0);
	}
	if (frozen)
		cg_write(dirfd, "cgroup.freeze", "0");
	return 0;
}

int cg_rmdir_tree(int parent_fd, const char *name)
{
	DIR *d = cg_opendir(parent_fd, name);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR && de->d_name[0] != '.')
			cg_rmdir_tree(dirfd(d), de->d_name);
	}
	closedir(d);
	/* The kernel may still be tearing the last task down. */
	for (int i = 0; i < 500; i++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		sleep_ms(2);
	}
	return -EBUSY;
}
