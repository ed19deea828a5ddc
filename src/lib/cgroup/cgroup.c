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
#include <unistd.h>
#include "nook/cgroup.h"
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"

struct nook_cgroup {
	char *base;         /* directory the leaf lives in */
	char *leaf;         /* absolute path of the leaf */
	char leaf_name[160];
	int base_fd;
	int leaf_fd;        /* O_RDONLY|O_DIRECTORY, for CLONE_INTO_CGROUP */
	uint64_t memory_limit;
	bool done;          /* killed, read and removed */
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
static int write_limit(struct nook_cgroup *cg, const char *file, const char *value,
		       const char *key, struct nook_error *err)
{
	int r = cg_write(cg->leaf_fd, file, value);
	if (r == 0)
		return 0;
	if (r == -ENOENT)
		return nook_errx(err, ENOENT,
			"cannot enforce %s: %s/%s does not exist (the kernel does not offer it%s); "
			"remove the setting" CG_HINT_OPTIONAL, key, cg->leaf, file,
			strcmp(file, "memory.swap.max") == 0 ? ": swap accounting is off" : "");
	return nook_err(err, r, "cannot enforce %s: writing '%s' to %s/%s failed", key, value, cg->leaf, file);
}

static int write_limits(struct nook_cgroup *cg, const struct nook_spec *s, struct nook_error *err)
{
	char buf[64];
	int r;
	if (s->memory) {
		snprintf(buf, sizeof buf, "%" PRIu64, s->memory);
		if ((r = write_limit(cg, "memory.max", buf, "resources.memory", err)) < 0)
			return r;
		cg->memory_limit = s->memory;
	}
	if (s->memory_swap) {
		if (s->memory_swap == UINT64_MAX)
			snprintf(buf, sizeof buf, "max");
		else
			snprintf(buf, sizeof buf, "%" PRIu64, s->memory_swap);
		if ((r = write_limit(cg, "memory.swap.max", buf, "resources.memory_swap", err)) < 0)
			return r;
	}
	if (s->cpu_quota_us) {
		if (nook_cgroup_format_cpu_max(s->cpu_quota_us, s->cpu_period_us, buf, sizeof buf) < 0)
			return nook_errx(err, EINVAL,
				"resources.cpus: a quota of %" PRIu64 " us per %" PRIu64 " us period is out of range "
				"(the quota must be at least 1000 us, the period 1000..1000000 us)",
				s->cpu_quota_us, s->cpu_period_us ? s->cpu_period_us : 100000);
		if ((r = write_limit(cg, "cpu.max", buf, "resources.cpus", err)) < 0)
			return r;
	}
	if (s->cpu_weight) {
		if (s->cpu_weight > 10000)
			return nook_errx(err, EINVAL, "resources.cpu_weight: %" PRIu64 " is out of range (1..10000)",
					 s->cpu_weight);
		snprintf(buf, sizeof buf, "%" PRIu64, s->cpu_weight);
		if ((r = write_limit(cg, "cpu.weight", buf, "resources.cpu_weight", err)) < 0)
			return r;
	}
	if (s->io_weight) {
		if (s->io_weight > 10000)
			return nook_errx(err, EINVAL, "resources.io_weight: %" PRIu64 " is out of range (1..10000)",
					 s->io_weight);
		snprintf(buf, sizeof buf, "default %" PRIu64, s->io_weight);
		if ((r = write_limit(cg, "io.weight", buf, "resources.io_weight", err)) < 0)
			return r;
	}
	if (s->pids) {
		snprintf(buf, sizeof buf, "%" PRIu64, s->pids);
		if ((r = write_limit(cg, "pids.max", buf, "resources.pids", err)) < 0)
			return r;
	}
	if (s->cpuset_cpus && *s->cpuset_cpus &&
	    (r = write_limit(cg, "cpuset.cpus", s->cpuset_cpus, "resources.cpuset.cpus", err)) < 0)
		return r;
	if (s->cpuset_mems && *s->cpuset_mems &&
	    (r = write_limit(cg, "cpuset.mems", s->cpuset_mems, "resources.cpuset.mems", err)) < 0)
		return r;
	return 0;
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
	nook_cgroup_leaf_name(getpid(), self_starttime(), s->name, cg->leaf_name, sizeof cg->leaf_name);
	cg->leaf = nook_path_join(cg->base, cg->leaf_name);
	if (mkdirat(cg->base_fd, cg->leaf_name, 0755) < 0) {
		r = nook_err(err, errno, "cannot create the cgroup %s", cg->leaf);
		cg->leaf_name[0] = '\0';
		goto fail;
	}
	cg->leaf_fd = openat(cg->base_fd, cg->leaf_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg->leaf_fd < 0) {
		r = nook_err(err, errno, "cannot open the cgroup %s", cg->leaf);
		goto fail;
	}
	if ((r = write_limits(cg, s, err)) < 0)
		goto fail;
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
	if (!wanted && !s->stats_json)
		return 0;
	/* leaves left by a nook that was killed are removed when a cgroup is
	 * used again (a start that needs none does not look at cgroups at all) */
	nook_cgroup_cleanup_stale();
	unsigned first = wanted & -wanted;
	const char *what = wanted ? nook_cgroup_key_for(s, first) : "--stats-json";
	int r = setup(s, wanted, what, out, err);
	if (r == 0)
		return 0;
	if (wanted && s->resources_required)
		return r;
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
