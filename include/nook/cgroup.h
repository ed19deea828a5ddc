/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup.h - delegated cgroup v2 leaves: discovery, limits, stats, cleanup.
 *
 * Contract with spawn (parent side, in this order):
 *  1. nook_cgroup_cleanup_stale(): removes leaves of nooks that died
 *     (SIGKILL); silent, never fails. nook_cgroup_setup() calls it when
 *     the start uses a cgroup (a start that needs none skips cgroups).
 *  2. nook_cgroup_setup() before clone3: sets *out to NULL when the spec
 *     asks for no limits (and no --stats-json), or when limits cannot be
 *     enforced and resources.required is false (it then warns once).
 *     Otherwise it creates the leaf, enables the controllers, writes the
 *     limits and returns 0. Fails (err->exit_status 125, message naming
 *     the controller and how to delegate it) when a limit cannot be
 *     enforced and resources.required is true; nothing is left behind.
 *  3. clone3 with CLONE_INTO_CGROUP and .cgroup = nook_cgroup_fd(cg)
 *     when cg != NULL (with CLONE_NEWCGROUP the leaf becomes the
 *     container's cgroup root).
 *  4. nook_cgroup_finish() after the payload (the container's pid 1) was
 *     reaped: kills stragglers (cgroup.kill, or freeze + SIGKILL on old
 *     kernels), reads the stats into res (have_stats, cpu, memory peak,
 *     oom_kills, pids peak), writes res->note for an OOM kill, removes the
 *     leaf. Also call it on error paths after a failed clone.
 *  5. nook_cgroup_free() (accepts NULL; removes the leaf if finish was not
 *     called).
 *
 * Layout: the caller's cgroup C must be delegated (owned by the caller,
 * cgroup.procs and cgroup.subtree_control writable). Because of the
 * no-internal-process rule, nook moves the processes in C into
 * C/nook-init, enables controllers in C/cgroup.subtree_control and creates
 * one leaf C/nook-<pid>-<starttime>[-<name>] per container. When the
 * caller already lives in C/nook-init, C is used directly.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "nook/spec.h"
#include "nook/error.h"
#include "nook/spawn.h"

struct nook_cgroup;

int nook_cgroup_setup(const struct nook_spec *s, struct nook_cgroup **out,
		      struct nook_error *err);
int nook_cgroup_fd(const struct nook_cgroup *cg);
/* Absolute path of the leaf (for messages and tests). */
const char *nook_cgroup_path(const struct nook_cgroup *cg);
int nook_cgroup_finish(struct nook_cgroup *cg, struct nook_result *res);
void nook_cgroup_free(struct nook_cgroup *cg);
void nook_cgroup_cleanup_stale(void);

/* Leaves that outlive the process that made them (the OCI runtime: spec
 * cgroup_leaf names the leaf relative to the delegated base; the leaf's
 * absolute path is recorded and used by the later commands). */
/* After a detached spawn: free() leaves the leaf in place. */
void nook_cgroup_keep(struct nook_cgroup *cg);
/* Write the limits s sets (update); messages name s's keys. */
int nook_cgroup_apply(const char *leaf, const struct nook_spec *s, struct nook_error *err);
/* Write cgroup.freeze and wait (up to timeout_ms) for cgroup.events to
 * say frozen 1 (or 0). */
int nook_cgroup_freeze(const char *leaf, bool freeze, unsigned timeout_ms, struct nook_error *err);
/* 1 frozen, 0 not, -errno when the leaf or its cgroup.events is gone. */
int nook_cgroup_frozen(const char *leaf);
/* The pids in leaf's cgroup.procs (free *pids); 0 or -errno. */
int nook_cgroup_procs(const char *leaf, pid_t **pids, size_t *n);
/* Kill what is left in leaf, then remove it; 0 (also when it is gone
 * already) or -errno. */
int nook_cgroup_remove(const char *leaf);

/* ------------------------------------------------------------------ */
/* Pure helpers (src/lib/cgroup/parse.c), exposed for the unit tests.  */

#define NOOK_CGROUP_INIT_LEAF "nook-init"
#define NOOK_CGROUP_LEAF_PREFIX "nook-"

/* Controllers nook can use, as bits. */
enum {
	NOOK_CG_CPU = 1 << 0,
	NOOK_CG_CPUSET = 1 << 1,
	NOOK_CG_IO = 1 << 2,
	NOOK_CG_MEMORY = 1 << 3,
	NOOK_CG_PIDS = 1 << 4,
};
#define NOOK_CG_N_CONTROLLERS 5
/* "cpu", "cpuset", ... for one bit; NULL for anything else. */
const char *nook_cgroup_controller_name(unsigned bit);
/* Bits of the controllers named in a space-separated list such as the
 * content of cgroup.controllers; unknown names are ignored. */
unsigned nook_cgroup_parse_controllers(const char *list);
/* Controllers the spec's resource settings need (0 = no limits). */
unsigned nook_cgroup_wanted(const struct nook_spec *s);
/* The spec key that needs controller bit (for messages): "resources.memory". */
const char *nook_cgroup_key_for(const struct nook_spec *s, unsigned bit);

/* /proc/self/cgroup: the cgroup v2 path ("0::/a/b") as a new string, and
 * (optional) the controllers bound to v1 hierarchies as bits. Returns 0,
 * or -ENOENT when there is no v2 line (a pure v1 host). */
int nook_cgroup_parse_proc(const char *text, char **v2path, unsigned *v1_bits);

/* /proc/self/mountinfo: the cgroup2 mount point and the mount's root within
 * the hierarchy. Prefers /sys/fs/cgroup, then /sys/fs/cgroup/unified, then
 * the first cgroup2 mount. *nsdelegate (may be NULL) tells whether that
 * mount has the nsdelegate option. Returns 0 or -ENOENT. Mountinfo escapes
 * (\040 etc.) are decoded. */
int nook_cgroup_parse_mountinfo(const char *text, char **mountpoint, char **mount_root,
				bool *nsdelegate);

/* Directory of cgroup `cgpath` (from /proc/self/cgroup) below a cgroup2
 * mount of `mount_root` at `mountpoint`; NULL when the cgroup is not
 * visible through that mount. */
char *nook_cgroup_resolve(const char *mountpoint, const char *mount_root,
			  const char *cgpath);

/* The cgroup nook builds under, given the caller's cgroup directory: its
 * parent when the caller already sits in a nook-init leaf, else itself.
 * Returns a new string; *in_init tells which case it was. */
char *nook_cgroup_pick_base(const char *own, bool *in_init);

/* cpu.max content for quota/period in microseconds ("150000 100000"; a
 * quota of 0 gives "max PERIOD"; a period of 0 means 100000). Returns 0, or
 * -EINVAL for a quota below 1000 us or a period outside 1000..1000000 us. */
int nook_cgroup_format_cpu_max(uint64_t quota_us, uint64_t period_us,
			       char *buf, size_t len);
/* A size for people: "256 MiB", "1.5 GiB", "4096 bytes". */
void nook_cgroup_format_size(uint64_t bytes, char *buf, size_t len);

/* Leaf names: "nook-<pid>-<starttime>" plus "-<name>" with the name cut to
 * [A-Za-z0-9_.-] (others become '_', at most 64 bytes). */
void nook_cgroup_leaf_name(pid_t pid, unsigned long long starttime, const char *name,
			   char *buf, size_t len);
/* Parse a leaf name; false for nook-init and anything not made by
 * nook_cgroup_leaf_name(). */
bool nook_cgroup_parse_leaf_name(const char *leaf, pid_t *pid, unsigned long long *starttime);

/* Field 22 (starttime) of a /proc/PID/stat line; 0 on a parse error. */
unsigned long long nook_cgroup_parse_starttime(const char *stat_line);

/* Value of `key` in a flat keyed file ("usage_usec 123\nuser_usec 45\n").
 * Returns 0, or -ENOENT when the key is missing. */
int nook_cgroup_keyed_value(const char *text, const char *key, uint64_t *value);
