/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.c - a container's cgroup v2 leaf: create it with the limits,
 * hand its fd to clone3, and at exit kill stragglers, read the stats and
 * remove it. Stale leaves of nooks that died are removed on the next run. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nook/cgroup.h"
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"

struct nook_cgroup {
	char *base;         /* directory the leaf lives in */
	char *leaf;         /* absolute path of the leaf */
	char leaf_name[1024]; /* relative to base (an OCI cgroupsPath may have several parts) */
	int base_fd;
	int leaf_fd;        /* O_RDONLY|O_DIRECTORY, for CLONE_INTO_CGROUP */
	uint64_t memory_limit;
	bool done;          /* killed, read and removed (or kept: nook_cgroup_keep) */          /* killed, read and removed */
};

int nook_cgroup_fd(const struct nook_cgroup *cg)
{
	return cg ? cg->leaf_fd : -1;
}

const char *nook_cgroup_path(const struct nook_cgroup *cg)
{
	return cg ? cg->leaf : NULL;
}

static unsigned long long self_starttime(void)
{
	_cleanup_free_ char *stat = nook_read_file("/proc/self/stat", 4096, NULL);
	return stat ? nook_cgroup_parse_starttime(stat) : 0;
}

/* Write one limit; explain a failure with the file, the value and the key. */
static int write_limit(int leaf_fd, const char *leaf, const char *file, const char *value,
		       const char *key, struct nook_error *err)
{
	int r = cg_write(leaf_fd, file, value);
	if (r == 0)
		return 0;
	if (r == -ENOENT)
		return nook_errx(err, ENOENT,
			"cannot enforce %s: %s/%s does not exist (the kernel does not offer it%s); "
			"remove the setting%s", key, leaf, file,
			strcmp(file, "memory.swap.max") == 0 ? ": swap accounting is off" : "",
			strncmp(key, "linux.", 6) == 0 ? "" : CG_HINT_OPTIONAL);
	return nook_err(err, r, "cannot enforce %s: writing '%s' to %s/%s failed", key, value, leaf, file);
}

#define KEY(s, nook, oci) ((s)->cgroup_oci_keys ? (oci) : (nook))

static int write_limits(int fd, const char *leaf, const struct nook_spec *s, struct nook_error *err)
{
	char buf[64];
	int r;
	if (s->memory) {
		snprintf(buf, sizeof buf, "%" PRIu64, s->memory);
		if ((r = write_limit(fd, leaf, "memory.max", buf, KEY(s, "resources.memory", "linux.resources.memory.limit"), err)) < 0)
			return r;
	}
	if (s->memory_low) {
		snprintf(buf, sizeof buf, "%" PRIu64, s->memory_low);
		if ((r = write_limit(fd, leaf, "memory.low", buf, "linux.resources.memory.reservation", err)) < 0)
			return r;
	}
	if (s->memory_swap) {
		if (s->memory_swap == UINT64_MAX)
			snprintf(buf, sizeof buf, "max");
		else
			snprintf(buf, sizeof buf, "%" PRIu64, s->memory_swap);
		if ((r = write_limit(fd, leaf, "memory.swap.max", buf, KEY(s, "resources.memory_swap", "linux.resources.memory.swap"), err)) < 0)
			return r;
	}
	if (s->cpu_quota_us) {
		const char *key = KEY(s, "resources.cpus", "linux.resources.cpu.quota");
		if (nook_cgroup_format_cpu_max(s->cpu_quota_us, s->cpu_period_us, buf, sizeof buf) < 0)
			return nook_errx(err, EINVAL,
				"%s: a quota of %" PRIu64 " us per %" PRIu64 " us period is out of range "
				"(the quota must be at least 1000 us, the period 1000..1000000 us)",
				key, s->cpu_quota_us, s->cpu_period_us ? s->cpu_period_us : 100000);
		if ((r = write_limit(fd, leaf, "cpu.max", buf, key, err)) < 0)
			return r;
	}
	if (s->cpu_weight) {
		const char *key = KEY(s, "resources.cpu_weight", "linux.resources.cpu.shares");
		if (s->cpu_weight > 10000)
			return nook_errx(err, EINVAL, "%s: %" PRIu64 " is out of range (1..10000)", key, s->cpu_weight);
		snprintf(buf, sizeof buf, "%" PRIu64, s->cpu_weight);
		if ((r = write_limit(fd, leaf, "cpu.weight", buf, key, err)) < 0)
			return r;
	}
	if (s->io_weight) {
		const char *key = KEY(s, "resources.io_weight", "linux.resources.blockIO.weight");
		if (s->io_weight > 10000)
			return nook_errx(err, EINVAL, "%s: %" PRIu64 " is out of range (1..10000)", key, s->io_weight);
		snprintf(buf, sizeof buf, "default %" PRIu64, s->io_weight);
		if ((r = write_limit(fd, leaf, "io.weight", buf, key, err)) < 0)
			return r;
	}
	if (s->pids) {
		if (s->pids == UINT64_MAX)
			snprintf(buf, sizeof buf, "max");
		else
			snprintf(buf, sizeof buf, "%" PRIu64, s->pids);
		if ((r = write_limit(fd, leaf, "pids.max", buf, KEY(s, "resources.pids", "linux.resources.pids.limit"), err)) < 0)
			return r;
	}
	if (s->cpuset_cpus && *s->cpuset_cpus &&
	    (r = write_limit(fd, leaf, "cpuset.cpus", s->cpuset_cpus, KEY(s, "resources.cpuset.cpus", "linux.resources.cpu.cpus"), err)) < 0)
		return r;
	if (s->cpuset_mems && *s->cpuset_mems &&
	    (r = write_limit(fd, leaf, "cpuset.mems", s->cpuset_mems, KEY(s, "resources.cpuset.mems", "linux.resources.cpu.mems"), err)) < 0)
		return r;
	return 0;
}

/* An OCI cgroupsPath: intermediate cgroups of rel are made (existing ones
 * are fine) and pass `bits` down; the last component is made by the
 * caller. 0 or -errno with err filled. */
static int make_parents(int base_fd, const char *base, const char *rel, unsigned bits, struct nook_error *err)
{
	char path[1024];
	snprintf(path, sizeof path, "%s", rel);
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdirat(base_fd, path, 0755) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot create the cgroup %s/%s", base, path);
		_cleanup_close_ int fd = openat(base_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return nook_err(err, errno, "cannot open the cgroup %s/%s", base, path);
		for (unsigned i = 0; i < NOOK_CG_N_CONTROLLERS; i++) {
			char cmd[32];
			if (!(bits & (1u << i)))
				continue;
			snprintf(cmd, sizeof cmd, "+%s", nook_cgroup_controller_name(1u << i));
			int r = cg_write(fd, "cgroup.subtree_control", cmd);
			if (r < 0)
				return nook_err(err, r, "cannot enable the %s controller in %s/%s/cgroup.subtree_control",
						nook_cgroup_controller_name(1u << i), base, path);
		}
		*slash = '/';
	}
	return 0;
}

/* An existing cgroup without processes or child cgroups. */
static bool leaf_empty(int base_fd, const char *name)
{
	_cleanup_close_ int fd = openat(base_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	_cleanup_free_ char *ev = nook_read_file_at(fd, "cgroup.events", CG_READ_MAX, NULL);
	uint64_t v = 1;
	return ev && nook_cgroup_keyed_value(ev, "populated", &v) == 0 && v == 0;
}

static int setup(const struct nook_spec *s, unsigned wanted, const char *what,
		 struct nook_cgroup **out, struct nook_error *err)
{
	_cleanup_(cg_env_free) struct cg_env e = {0};
	int r = cg_discover(&e, what, err);
	if (r < 0)
		return r;
	unsigned available = 0;
	if ((r = cg_check_controllers(&e, s, wanted, &available, err)) < 0)
		return r;
	/* Without nsdelegate a container with a writable /sys/fs/cgroup could
	 * write its own leaf's limits (its root owns them in self/subuid maps). */
	if (wanted && s->cgroup_writable && !e.nsdelegate) {
		r = nook_errx(err, EPERM,
			"cannot enforce %s together with security.cgroup_writable: the cgroup2 mount at %s "
			"lacks the nsdelegate option, so the container could raise its own limits; "
			"remount it with nsdelegate (systemd does) or drop security.cgroup_writable", what, e.mnt);
		err->exit_status = NOOK_EXIT_FAILURE;
		return r;
	}
	if ((r = cg_check_delegated(&e, what, err)) < 0)
		return r;

	struct nook_cgroup *cg = nook_xmalloc(sizeof *cg);
	cg->leaf_fd = -1;
	cg->base = nook_strdup(e.base);
	cg->base_fd = open(cg->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->base_fd < 0) {
		r = nook_err(err, errno, "cannot open %s", cg->base);
		goto fail;
	}
	/* Memory and pids are also enabled, when available, for the stats. */
	unsigned for_stats = available & (NOOK_CG_MEMORY | NOOK_CG_PIDS);
	if ((r = cg_prepare_base(&e, s, cg->base_fd, wanted, for_stats, err)) < 0)
		goto fail;
	if (s->cgroup_leaf) {
		snprintf(cg->leaf_name, sizeof cg->leaf_name, "%s", s->cgroup_leaf);
		if ((r = make_parents(cg->base_fd, cg->base, cg->leaf_name, wanted | for_stats, err)) < 0) {
			cg->leaf_name[0] = '\0';
			goto fail;
		}
	} else {
		nook_cgroup_leaf_name(getpid(), self_starttime(), s->name, cg->leaf_name, sizeof cg->leaf_name);
	}
	cg->leaf = nook_path_join(cg->base, cg->leaf_name);
	/* a named leaf left empty by a container that vanished (its runtime
	 * state lost with /run, say) is taken over; one in use is not */
	int mr = mkdirat(cg->base_fd, cg->leaf_name, 0755), me = errno;
	if (mr < 0 && me == EEXIST && s->cgroup_leaf && leaf_empty(cg->base_fd, cg->leaf_name) &&
	    unlinkat(cg->base_fd, cg->leaf_name, AT_REMOVEDIR) == 0) {
		mr = mkdirat(cg->base_fd, cg->leaf_name, 0755);
		me = errno;
	}
	if (mr < 0) {
		r = nook_err(err, me, "cannot create the cgroup %s%s", cg->leaf,
			     me == EEXIST ? " (it exists and is in use: another container's?)" : "");
		cg->leaf_name[0] = '\0';
		goto fail;
	}
	cg->leaf_fd = openat(cg->base_fd, cg->leaf_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->leaf_fd < 0) {
		r = nook_err(err, errno, "cannot open the cgroup %s", cg->leaf);
		goto fail;
	}
	if ((r = write_limits(cg->leaf_fd, cg->leaf, s, err)) < 0)
		goto fail;
	cg->memory_limit = s->memory;
	nook_verbose("cgroup: leaf %s", cg->leaf);
	*out = cg;
	return 0;
fail:
	nook_cgroup_free(cg);
	return r;
}

int nook_cgroup_setup(const struct nook_spec *s, struct nook_cgroup **out,
		      struct nook_error *err)
{
	*out = NULL;
	unsigned wanted = nook_cgroup_wanted(s);
	if (!wanted && !s->stats_json && !s->cgroup_leaf)
		return 0;
	/* leaves left by a nook that was killed are removed when a cgroup is
	 * used again (a start that needs none does not look at cgroups at all) */
	nook_cgroup_cleanup_stale();
	unsigned first = wanted & -wanted;
	const char *what = wanted ? nook_cgroup_key_for(s, first) : s->stats_json ? "--stats-json" : "the container's cgroup";
	int r = setup(s, wanted, what, out, err);
	if (r == 0)
		return 0;
	if (wanted && s->resources_required) {
		char *hint = s->cgroup_oci_keys ? strstr(err->msg, CG_HINT_OPTIONAL) : NULL;
		if (hint)
			*hint = '\0';
		return r;
	}
	if (wanted) {
		char *hint = strstr(err->msg, CG_HINT_OPTIONAL);
		if (hint)
			*hint = '\0';
		nook_warn("%s; running without resource limits because resources.required is false", err->msg);
	}
	else
		nook_verbose("cgroup: no cgroup for the statistics: %s", err->msg);
	nook_err_clear(err);
	return 0;
}

static void read_stats(struct nook_cgroup *cg, struct nook_result *res)
{
	_cleanup_free_ char *cpu = nook_read_file_at(cg->leaf_fd, "cpu.stat", CG_READ_MAX, NULL);
	uint64_t v;
	if (!cpu)
		return;
	res->have_stats = true;
	if (nook_cgroup_keyed_value(cpu, "user_usec", &v) == 0)
		res->cpu_user_us = v;
	if (nook_cgroup_keyed_value(cpu, "system_usec", &v) == 0)
		res->cpu_system_us = v;
	_cleanup_free_ char *peak = nook_read_file_at(cg->leaf_fd, "memory.peak", CG_READ_MAX, NULL);
	if (peak)
		res->memory_peak = strtoull(peak, NULL, 10);
	_cleanup_free_ char *events = nook_read_file_at(cg->leaf_fd, "memory.events", CG_READ_MAX, NULL);
	if (events && nook_cgroup_keyed_value(events, "oom_kill", &v) == 0)
		res->oom_kills = v;
	_cleanup_free_ char *pids = nook_read_file_at(cg->leaf_fd, "pids.peak", CG_READ_MAX, NULL);
	if (pids)
		res->pids_peak = strtoull(pids, NULL, 10);
}

static void note_oom(struct nook_cgroup *cg, struct nook_result *res)
{
	if (!res->oom_kills)
		return;
	char limit[64] = "";
	if (cg->memory_limit) {
		char size[48];
		nook_cgroup_format_size(cg->memory_limit, size, sizeof size);
		snprintf(limit, sizeof limit, " (limit %s)", size);
	}
	bool payload_killed = res->exit_status == 128 + SIGKILL ||
		(WIFSIGNALED(res->wait_status) && WTERMSIG(res->wait_status) == SIGKILL);
	if (payload_killed)
		snprintf(res->note, sizeof res->note, "killed by the kernel: out of memory%s", limit);
	else
		snprintf(res->note, sizeof res->note,
			 "warning: the kernel killed %" PRIu64 " process%s in the container: out of memory%s",
			 res->oom_kills, res->oom_kills == 1 ? "" : "es", limit);
}

int nook_cgroup_finish(struct nook_cgroup *cg, struct nook_result *res)
{
	if (!cg || cg->done)
		return 0;
	cg->done = true;
	int r = cg_kill_wait(cg->leaf_fd, 5000);
	if (r < 0)
		nook_warn("processes are left in the cgroup %s: %s", cg->leaf, strerror(-r));
	if (res) {
		read_stats(cg, res);
		note_oom(cg, res);
	}
	r = cg_rmdir_tree(cg->base_fd, cg->leaf_name);
	if (r < 0) {
		nook_warn("cannot remove the cgroup %s: %s", cg->leaf, strerror(-r));
		return r;
	}
	return 0;
}

void nook_cgroup_free(struct nook_cgroup *cg)
{
	if (!cg)
		return;
	if (!cg->done && cg->leaf_name[0] && cg->base_fd >= 0) {
		if (cg->leaf_fd >= 0)
			cg_kill_wait(cg->leaf_fd, 5000);
		cg_rmdir_tree(cg->base_fd, cg->leaf_name);
	}
	if (cg->leaf_fd >= 0)
		close(cg->leaf_fd);
	if (cg->base_fd >= 0)
		close(cg->base_fd);
	free(cg->base);
	free(cg->leaf);
	free(cg);
}

/* Is the nook that made this leaf still running? Same pid and start time. */
static bool owner_alive(pid_t pid, unsigned long long starttime)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *stat = nook_read_file(path, 4096, NULL);
	if (!stat)
		return errno != ENOENT && errno != ESRCH;
	return nook_cgroup_parse_starttime(stat) == starttime;
}

void nook_cgroup_cleanup_stale(void)
{
	_cleanup_(cg_env_free) struct cg_env e = {0};
	struct nook_error err = {0};
	if (cg_discover(&e, "cleanup", &err) < 0)
		return;
	_cleanup_close_ int base_fd = open(e.base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (base_fd < 0 || faccessat(base_fd, "cgroup.procs", W_OK, 0) < 0)
		return;
	_cleanup_closedir_ DIR *d = cg_opendir(base_fd, ".");
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		pid_t pid;
		unsigned long long start;
		if (de->d_type != DT_DIR || !nook_cgroup_parse_leaf_name(de->d_name, &pid, &start))
			continue;
		if (owner_alive(pid, start))
			continue;
		_cleanup_close_ int leaf = openat(base_fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (leaf < 0)
			continue;
		int r = cg_kill_wait(leaf, 2000);
		if (r == 0)
			r = cg_rmdir_tree(base_fd, de->d_name);
		if (r < 0)
			nook_verbose("cgroup: cannot remove the stale leaf %s/%s: %s", e.base, de->d_name,
				     strerror(-r));
		else
			nook_verbose("cgroup: removed the stale leaf %s/%s", e.base, de->d_name);
	}
}

/* ---- leaves that outlive their maker (the OCI runtime) ---------------- */

void nook_cgroup_keep(struct nook_cgroup *cg)
{
	if (cg)
		cg->done = true;
}

static int open_leaf(const char *leaf, struct nook_error *err)
{
	int fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return nook_err(err, errno, "cannot open the cgroup %s", leaf);
	return fd;
}

int nook_cgroup_apply(const char *leaf, const struct nook_spec *s, struct nook_error *err)
{
	_cleanup_close_ int fd = open_leaf(leaf, err);
	if (fd < 0)
		return fd;
	/* a controller the leaf did not need at create time is passed down
	 * now; when that fails, the write below names the missing file */
	_cleanup_free_ char *parent = nook_strdup(leaf);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		_cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		unsigned wanted = nook_cgroup_wanted(s);
		for (unsigned i = 0; pfd >= 0 && i < NOOK_CG_N_CONTROLLERS; i++) {
			char cmd[32];
			if (!(wanted & (1u << i)))
				continue;
			snprintf(cmd, sizeof cmd, "+%s", nook_cgroup_controller_name(1u << i));
			cg_write(pfd, "cgroup.subtree_control", cmd);
		}
	}
	return write_limits(fd, leaf, s, err);
}

int nook_cgroup_frozen(const char *leaf)
{
	_cleanup_close_ int fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_free_ char *ev = nook_read_file_at(fd, "cgroup.events", CG_READ_MAX, NULL);
	uint64_t v = 0;
	if (!ev)
		return -errno;
	if (nook_cgroup_keyed_value(ev, "frozen", &v) < 0)
		return -ENOENT;
	return v != 0;
}

int nook_cgroup_freeze(const char *leaf, bool freeze, unsigned timeout_ms, struct nook_error *err)
{
	_cleanup_close_ int fd = open_leaf(leaf, err);
	if (fd < 0)
		return fd;
	int r = cg_write(fd, "cgroup.freeze", freeze ? "1" : "0");
	if (r < 0)
		return nook_err(err, r, "cannot write %s to %s/cgroup.freeze%s", freeze ? "1" : "0", leaf,
				r == -ENOENT ? " (the kernel has no cgroup v2 freezer: Linux 5.2 or later has)" : "");
	/* the freeze is done when cgroup.events says so */
	for (unsigned waited = 0;; waited += 10) {
		int f = nook_cgroup_frozen(leaf);
		if (f == (freeze ? 1 : 0))
			return 0;
		if (f < 0)
			return nook_err(err, -f, "cannot read %s/cgroup.events", leaf);
		if (waited >= timeout_ms)
			return nook_errx(err, ETIMEDOUT, "%s/cgroup.events does not say frozen %d after %u ms",
					 leaf, freeze ? 1 : 0, timeout_ms);
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int nook_cgroup_procs(const char *leaf, pid_t **pids, size_t *n)
{
	*pids = NULL;
	*n = 0;
	_cleanup_close_ int fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_free_ char *procs = nook_read_file_at(fd, "cgroup.procs", CG_READ_MAX, NULL);
	if (!procs)
		return -errno;
	char *save = NULL;
	for (char *p = strtok_r(procs, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
		long pid = strtol(p, NULL, 10);
		if (pid <= 0)
			continue;
		*pids = nook_xrealloc(*pids, (*n + 1) * sizeof **pids);
		(*pids)[(*n)++] = (pid_t)pid;
	}
	return 0;
}

int nook_cgroup_remove(const char *leaf)
{
	_cleanup_free_ char *parent = nook_strdup(leaf);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return -EINVAL;
	*slash = '\0';
	_cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : -errno;
	_cleanup_close_ int fd = openat(pfd, slash + 1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* a frozen cgroup's processes die on SIGKILL all the same; thaw it
	 * anyway so that nothing is left waiting */
	cg_write(fd, "cgroup.freeze", "0");
	int r = cg_kill_wait(fd, 5000);
	if (r < 0)
		return r;
	r = cg_rmdir_tree(pfd, slash + 1);
	return r == -ENOENT ? 0 : r;
}
