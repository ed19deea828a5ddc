/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c - an OCI bundle's config.json (runtime-spec 1.2) into nook's
 * spec: the one translation, so that the OCI runtime starts containers
 * with the same spawn code, security envelope and id maps as `nook run`.
 *
 * What nook provides by itself is not mounted twice: the OCI mounts of
 * proc on /proc, tmpfs on /dev, devpts on /dev/pts, tmpfs on /dev/shm,
 * mqueue on /dev/mqueue, sysfs on /sys and cgroup on /sys/fs/cgroup are
 * what nook's root already has (fs/rootfs.c, fs/devfs.c), so they are
 * skipped. Every other key is applied, accepted as a no-op with a note
 * (labels of LSMs nook does not drive), or refused with a message naming
 * the key. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/idmap.h"
#include "nook/oci.h"
#include "nook/security.h"
#include "nook/util.h"

struct tr {
	const char *file;
	struct nook_error *err;
	struct nook_oci_config *c;
};

static int bad(const char *file, struct nook_error *err, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int bad(const char *file, struct nook_error *err, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	nook_errx(err, EINVAL, "%s: %s: %s", file, key, msg);
	err->exit_status = 1;
	return -EINVAL;
}

static void note(struct nook_oci_config *c, const char *key)
{
	if (!c)
		return;
	size_t n = strlen(c->notes);
	snprintf(c->notes + n, sizeof c->notes - n, "%s%s", n ? ", " : "", key);
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;
	if (o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) &&
	    !json_object_is_type(v, json_type_null))
		return v;
	return NULL;
}

static int want(const char *file, struct nook_error *err, json_object *v, json_type t, const char *key)
{
	static const char *const names[] = { "null", "a boolean", "a number", "a number", "an object", "an array", "a string" };
	if (!v)
		return 0;
	if (json_object_is_type(v, t) || (t == json_type_double && json_object_is_type(v, json_type_int)))
		return 0;
	return bad(file, err, key, "must be %s", names[t]);
}

/* A string array into a NULL-terminated vector (NULL for a missing key). */
static int strv_of(const char *file, struct nook_error *err, json_object *a, const char *key, char ***out)
{
	*out = NULL;
	if (!a)
		return 0;
	if (want(file, err, a, json_type_array, key) < 0)
		return -EINVAL;
	size_t n = json_object_array_length(a);
	char **v = nook_xmalloc((n + 1) * sizeof *v);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		/* a number where a string belongs is taken as its digits, as
		 * the Go runtimes' decoders do not, but crun does */
		if (!json_object_is_type(e, json_type_string) && !json_object_is_type(e, json_type_int)) {
			nook_strv_free(v);
			return bad(file, err, key, "item %zu must be a string", i);
		}
		v[i] = nook_strdup(json_object_get_string(e));
	}
	*out = v;
	return 0;
}

static int u64_of(const char *file, struct nook_error *err, json_object *v, const char *key, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return bad(file, err, key, "must be an integer");
	int64_t x = json_object_get_int64(v);
	if (x < 0)
		return bad(file, err, key, "must not be negative");
	*out = (uint64_t)x;
	return 0;
}

/* Keys of obj that are not in known: refused, naming the first. */
static int only_keys(const char *file, struct nook_error *err, json_object *obj, const char *where,
		     const char *const *known)
{
	if (!obj || !json_object_is_type(obj, json_type_object))
		return 0;
	json_object_object_foreach(obj, k, v) {
		(void)v;
		bool ok = false;
		for (size_t i = 0; known[i] && !ok; i++)
			ok = strcmp(known[i], k) == 0;
		if (!ok) {
			char key[512];
			snprintf(key, sizeof key, "%s%s%s", where, where[0] ? "." : "", k);
			return bad(file, err, key, "nook does not support this key (remove it from the config)");
		}
	}
	return 0;
}

/* ---- process ---------------------------------------------------------- */

static const struct { const char *name; int res; } rlimits[] = {
	{ "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE }, { "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA }, { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE }, { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

int nook_oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++)
		if (strcasecmp(rlimits[i].name, name) == 0)
			return rlimits[i].res;
	return -1;
}

const char *nook_oci_rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++)
		if (rlimits[i].res == resource)
			return rlimits[i].name;
	return NULL;
}

static int process_rlimits(const char *file, struct nook_error *err, json_object *a, struct nook_spec *s)
{
	if (want(file, err, a, json_type_array, "process.rlimits") < 0)
		return -EINVAL;
	size_t n = a ? json_object_array_length(a) : 0;
	free(s->rlimits);
	s->rlimits = n ? nook_xmalloc(n * sizeof *s->rlimits) : NULL;
	s->n_rlimits = 0;
	for (size_t i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(a, i);
		json_object *t = get(r, "type");
		char key[64];
		snprintf(key, sizeof key, "process.rlimits[%zu]", i);
		int res = t && json_object_is_type(t, json_type_string) ? nook_oci_rlimit_from_name(json_object_get_string(t)) : -1;
		if (res < 0)
			return bad(file, err, key, "unknown rlimit type '%s' (see getrlimit(2), e.g. RLIMIT_NOFILE)",
				   t ? json_object_get_string(t) : "");
		struct nook_rlimit *l = &s->rlimits[s->n_rlimits++];
		l->resource = res;
		json_object *soft = get(r, "soft"), *hard = get(r, "hard");
		if (!soft || !hard)
			return bad(file, err, key, "needs both soft and hard");
		/* uint64 values above INT64_MAX come as json-c's uint64 */
		l->soft = json_object_get_uint64(soft);
		l->hard = json_object_get_uint64(hard);
	}
	return 0;
}

static int process_caps(const char *file, struct nook_error *err, json_object *caps, struct nook_spec *s)
{
	char **bounding = NULL, **ambient = NULL, **x = NULL;
	static const char *const known[] = { "bounding", "effective", "permitted", "inheritable", "ambient", NULL };
	if (want(file, err, caps, json_type_object, "process.capabilities") < 0 ||
	    only_keys(file, err, caps, "process.capabilities", known) < 0)
		return -EINVAL;
	/* nook's sets: bounding = permitted = effective (for root inside),
	 * ambient as given; the union of what the config grants is kept */
	nook_strv_free(s->cap_add);
	nook_strv_free(s->cap_drop);
	nook_strv_free(s->cap_ambient);
	s->cap_add = s->cap_ambient = NULL;
	s->cap_drop = NULL;
	nook_strv_push(&s->cap_drop, "ALL");
	const char *sets[] = { "bounding", "effective", "permitted" };
	for (size_t i = 0; i < 3; i++) {
		char key[64];
		snprintf(key, sizeof key, "process.capabilities.%s", sets[i]);
		if (strv_of(file, err, get(caps, sets[i]), key, &x) < 0)
			goto fail;
		for (size_t j = 0; x && x[j]; j++) {
			const char *name = strncasecmp(x[j], "CAP_", 4) == 0 ? x[j] + 4 : x[j];
			if (nook_strv_contains(bounding, name))
				continue;
			if (nook_cap_from_name(name) < 0) {
				bad(file, err, key, "unknown capability '%s' (names are listed in capabilities(7))", x[j]);
				goto fail;
			}
			nook_strv_push(&bounding, name);
		}
		nook_strv_free(x);
		x = NULL;
	}
	if (strv_of(file, err, get(caps, "ambient"), "process.capabilities.ambient", &x) < 0)
		goto fail;
	for (size_t j = 0; x && x[j]; j++) {
		if (nook_cap_from_name(x[j]) < 0) {
			bad(file, err, "process.capabilities.ambient", "unknown capability '%s' (names are listed in capabilities(7))", x[j]);
			goto fail;
		}
		nook_strv_push(&ambient, strncasecmp(x[j], "CAP_", 4) == 0 ? x[j] + 4 : x[j]);
	}
	nook_strv_free(x);
	x = NULL;
	char **inh = NULL;
	if (strv_of(file, err, get(caps, "inheritable"), "process.capabilities.inheritable", &x) < 0)
		goto fail;
	for (size_t j = 0; x && x[j]; j++) {
		if (nook_cap_from_name(x[j]) < 0) {
			nook_strv_free(inh);
			bad(file, err, "process.capabilities.inheritable", "unknown capability '%s' (names are listed in capabilities(7))", x[j]);
			goto fail;
		}
		nook_strv_push(&inh, strncasecmp(x[j], "CAP_", 4) == 0 ? x[j] + 4 : x[j]);
	}
	nook_strv_free(x);
	nook_strv_free(s->cap_inheritable);
	s->cap_inheritable = inh ? inh : nook_xmalloc(sizeof(char *));
	s->cap_add = bounding;
	s->cap_ambient = ambient;
	return 0;
fail:
	nook_strv_free(x);
	nook_strv_free(bounding);
	nook_strv_free(ambient);
	return -EINVAL;
}

static int process_user(const char *file, struct nook_error *err, json_object *u, struct nook_spec *s)
{
	static const char *const known[] = { "uid", "gid", "umask", "additionalGids", "username", NULL };
	if (want(file, err, u, json_type_object, "process.user") < 0 ||
	    only_keys(file, err, u, "process.user", known) < 0)
		return -EINVAL;
	uint64_t v;
	json_object *x;
	if ((x = get(u, "uid"))) {
		if (u64_of(file, err, x, "process.user.uid", &v) < 0)
			return -EINVAL;
		s->uid = (uid_t)v;
	}
	if ((x = get(u, "gid"))) {
		if (u64_of(file, err, x, "process.user.gid", &v) < 0)
			return -EINVAL;
		s->gid = (gid_t)v;
	}
	if ((x = get(u, "umask"))) {
		if (u64_of(file, err, x, "process.user.umask", &v) < 0)
			return -EINVAL;
		s->umask = (int)(v & 0777);
	}
	if ((x = get(u, "additionalGids"))) {
		if (want(file, err, x, json_type_array, "process.user.additionalGids") < 0)
			return -EINVAL;
		size_t n = json_object_array_length(x);
		free(s->groups);
		s->groups = n ? nook_xmalloc(n * sizeof *s->groups) : NULL;
		s->n_groups = 0;
		for (size_t i = 0; i < n; i++) {
			if (u64_of(file, err, json_object_array_get_idx(x, i), "process.user.additionalGids", &v) < 0)
				return -EINVAL;
			s->groups[s->n_groups++] = (gid_t)v;
		}
	}
	return 0;
}

static int name_value(const char *file, struct nook_error *err, const char *key, const char *name,
		      const char *const *names, const int *values)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return bad(file, err, key, "unknown value '%s'", name);
}

static int process_ioprio(const char *file, struct nook_error *err, json_object *o, struct nook_spec *s)
{
	static const char *const names[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
	static const int values[] = { 1, 2, 3 };
	json_object *c = get(o, "class"), *p = get(o, "priority");
	if (!c || !json_object_is_type(c, json_type_string))
		return bad(file, err, "process.ioPriority.class", "missing (IOPRIO_CLASS_RT, IOPRIO_CLASS_BE or IOPRIO_CLASS_IDLE)");
	int v = name_value(file, err, "process.ioPriority.class", json_object_get_string(c), names, values);
	if (v < 0)
		return v;
	s->ioprio_class = v;
	s->ioprio_level = p ? json_object_get_int(p) : 0;
	if (s->ioprio_level < 0 || s->ioprio_level > 7)
		return bad(file, err, "process.ioPriority.priority", "must be 0-7");
	return 0;
}

static int process_sched(const char *file, struct nook_error *err, json_object *o, struct nook_spec *s)
{
	static const char *const names[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH", "SCHED_ISO",
		"SCHED_IDLE", "SCHED_DEADLINE", NULL };
	static const int values[] = { 0, 1, 2, 3, 4, 5, 6 };
	static const char *const fnames[] = { "SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
		"SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
		"SCHED_FLAG_UTIL_CLAMP_MAX", NULL };
	static const int fvalues[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40 };
	json_object *x = get(o, "policy");
	if (!x || !json_object_is_type(x, json_type_string))
		return bad(file, err, "process.scheduler.policy", "missing (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, ...)");
	int v = name_value(file, err, "process.scheduler.policy", json_object_get_string(x), names, values);
	if (v < 0)
		return v;
	s->sched_policy = v;
	if ((x = get(o, "nice")))
		s->sched_nice = json_object_get_int(x);
	if ((x = get(o, "priority")))
		s->sched_priority = json_object_get_int(x);
	if ((x = get(o, "runtime")))
		s->sched_runtime = json_object_get_uint64(x);
	if ((x = get(o, "deadline")))
		s->sched_deadline = json_object_get_uint64(x);
	if ((x = get(o, "period")))
		s->sched_period = json_object_get_uint64(x);
	char **flags = NULL;
	if (strv_of(file, err, get(o, "flags"), "process.scheduler.flags", &flags) < 0)
		return -EINVAL;
	for (size_t i = 0; flags && flags[i]; i++) {
		int f = name_value(file, err, "process.scheduler.flags", flags[i], fnames, fvalues);
		if (f < 0) {
			nook_strv_free(flags);
			return f;
		}
		s->sched_flags |= (uint64_t)f;
	}
	nook_strv_free(flags);
	return 0;
}

/* "0-3,5": node numbers 0-63 as bits */
static int parse_nodes(const char *file, struct nook_error *err, const char *text, uint64_t *out)
{
	*out = 0;
	const char *p = text;
	while (*p) {
		char *end;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p)
			return bad(file, err, "linux.memoryPolicy.nodes", "'%s' is not a list of node numbers such as 0-3,5", text);
		if (*end == '-') {
			p = end + 1;
			b = strtoul(p, &end, 10);
			if (end == p)
				return bad(file, err, "linux.memoryPolicy.nodes", "'%s' is not a list of node numbers such as 0-3,5", text);
		}
		if (a > b || b > 63)
			return bad(file, err, "linux.memoryPolicy.nodes", "'%s': nodes are numbered 0-63", text);
		for (unsigned long n = a; n <= b; n++)
			*out |= UINT64_C(1) << n;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return bad(file, err, "linux.memoryPolicy.nodes", "'%s' is not a list of node numbers such as 0-3,5", text);
	}
	return 0;
}

static int memory_policy(const char *file, struct nook_error *err, json_object *o, struct nook_spec *s)
{
	static const char *const names[] = { "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
		"MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE", NULL };
	static const int values[] = { 0, 1, 2, 3, 4, 5, 6 };
	static const char *const fnames[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES", NULL };
	static const int fvalues[] = { 1 << 13, 1 << 14, 1 << 15 };
	json_object *x = get(o, "mode");
	if (!x || !json_object_is_type(x, json_type_string))
		return bad(file, err, "linux.memoryPolicy.mode", "missing (MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, ...)");
	int v = name_value(file, err, "linux.memoryPolicy.mode", json_object_get_string(x), names, values);
	if (v < 0)
		return v;
	s->mempolicy_mode = v;
	if ((x = get(o, "nodes")) && parse_nodes(file, err, json_object_get_string(x), &s->mempolicy_nodes) < 0)
		return -EINVAL;
	char **flags = NULL;
	if (strv_of(file, err, get(o, "flags"), "linux.memoryPolicy.flags", &flags) < 0)
		return -EINVAL;
	for (size_t i = 0; flags && flags[i]; i++) {
		int f = name_value(file, err, "linux.memoryPolicy.flags", flags[i], fnames, fvalues);
		if (f < 0) {
			nook_strv_free(flags);
			return f;
		}
		s->mempolicy_flags |= (unsigned)f;
	}
	nook_strv_free(flags);
	return 0;
}

int nook_oci_process_apply(json_object *p, const char *file, struct nook_spec *s, struct nook_error *err)
{
	static const char *const known[] = { "terminal", "consoleSize", "user", "args", "commandLine", "env", "cwd",
		"capabilities", "rlimits", "noNewPrivileges", "apparmorProfile", "oomScoreAdj", "selinuxLabel",
		"ioPriority", "scheduler", "execCPUAffinity", NULL };
	json_object *x;
	if (!p || !json_object_is_type(p, json_type_object))
		return bad(file, err, "process", "must be an object");
	if (only_keys(file, err, p, "process", known) < 0)
		return -EINVAL;
	if ((x = get(p, "ioPriority")) && process_ioprio(file, err, x, s) < 0)
		return -EINVAL;
	if ((x = get(p, "scheduler")) && process_sched(file, err, x, s) < 0)
		return -EINVAL;
	if (get(p, "execCPUAffinity"))
		return bad(file, err, "process.execCPUAffinity", "nook does not set CPU affinities (remove the key)");
	if (get(p, "commandLine"))
		return bad(file, err, "process.commandLine", "is for Windows; use process.args");
	char **args = NULL;
	if (strv_of(file, err, get(p, "args"), "process.args", &args) < 0)
		return -EINVAL;
	if (args) {
		if (!args[0] || !args[0][0]) {
			nook_strv_free(args);
			return bad(file, err, "process.args", "must name the program to run");
		}
		nook_strv_free(s->argv);
		s->argv = args;
	}
	char **env = NULL;
	if (strv_of(file, err, get(p, "env"), "process.env", &env) < 0)
		return -EINVAL;
	if (env) {
		nook_strv_free(s->env);
		s->env = env;
	}
	if ((x = get(p, "cwd"))) {
		if (want(file, err, x, json_type_string, "process.cwd") < 0)
			return -EINVAL;
		if (!nook_path_is_absolute(json_object_get_string(x)))
			return bad(file, err, "process.cwd", "'%s' must be an absolute path", json_object_get_string(x));
		free(s->cwd);
		s->cwd = nook_strdup(json_object_get_string(x));
	}
	if ((x = get(p, "terminal"))) {
		if (want(file, err, x, json_type_boolean, "process.terminal") < 0)
			return -EINVAL;
		s->tty = json_object_get_boolean(x);
	}
	if ((x = get(p, "noNewPrivileges"))) {
		if (want(file, err, x, json_type_boolean, "process.noNewPrivileges") < 0)
			return -EINVAL;
		s->no_new_privs = json_object_get_boolean(x);
	}
	if (process_user(file, err, get(p, "user"), s) < 0)
		return -EINVAL;
	if ((x = get(p, "capabilities")) && process_caps(file, err, x, s) < 0)
		return -EINVAL;
	if ((x = get(p, "rlimits")) && process_rlimits(file, err, x, s) < 0)
		return -EINVAL;
	return 0;
}

/* ---- mounts ----------------------------------------------------------- */

/* The mounts nook's own root already has. */
static bool provided(const char *type, const char *dest)
{
	static const struct { const char *type, *dest; } p[] = {
		{ "proc", "/proc" }, { "tmpfs", "/dev" }, { "devpts", "/dev/pts" }, { "tmpfs", "/dev/shm" },
		{ "mqueue", "/dev/mqueue" }, { "sysfs", "/sys" }, { "cgroup", "/sys/fs/cgroup" },
		{ "cgroup2", "/sys/fs/cgroup" },
	};
	_cleanup_free_ char *d = nook_path_normalize(dest);
	for (size_t i = 0; i < sizeof p / sizeof *p; i++)
		if (strcmp(type, p[i].type) == 0 && strcmp(d, p[i].dest) == 0)
			return true;
	return false;
}

/* A propagation option ("rshared", "slave", ...) as MS_* flags (| MS_REC
 * for the r- forms), or 0. The container's mounts are made in its own
 * mount namespace, which starts as a slave of nook's: "shared" makes a
 * mount a peer of its later copies there (and of the container's own
 * binds of it), never of the host's, which a user namespace's mounts
 * cannot reach anyway (the kernel makes a less privileged copy slave). */
static unsigned long propagation_of(const char *x)
{
	static const struct { const char *name; unsigned long flag; } p[] = {
		{ "shared", MS_SHARED }, { "slave", MS_SLAVE }, { "private", MS_PRIVATE }, { "unbindable", MS_UNBINDABLE },
	};
	bool r = x[0] == 'r';
	for (size_t i = 0; i < sizeof p / sizeof *p; i++)
		if (strcmp(x + r, p[i].name) == 0)
			return p[i].flag | (r ? MS_REC : 0);
	return 0;
}

static int one_mount(struct tr *t, json_object *m, size_t idx, struct nook_spec *s)
{
	static const char *const known[] = { "destination", "source", "type", "options", "uidMappings", "gidMappings", NULL };
	char key[64];
	snprintf(key, sizeof key, "mounts[%zu]", idx);
	if (only_keys(t->file, t->err, m, key, known) < 0)
		return -EINVAL;
	if (get(m, "uidMappings") || get(m, "gidMappings"))
		return bad(t->file, t->err, key, "id-mapped mounts (uidMappings/gidMappings) are not supported by nook");
	json_object *d = get(m, "destination"), *src = get(m, "source"), *ty = get(m, "type");
	if (!d || !json_object_is_type(d, json_type_string) || !nook_path_is_absolute(json_object_get_string(d)))
		return bad(t->file, t->err, key, "destination must be an absolute path");
	const char *dest = json_object_get_string(d);
	const char *type = ty && json_object_is_type(ty, json_type_string) ? json_object_get_string(ty) : "";
	const char *source = src && json_object_is_type(src, json_type_string) ? json_object_get_string(src) : NULL;
	char **opts = NULL;
	snprintf(key, sizeof key, "mounts[%zu].options", idx);
	if (strv_of(t->file, t->err, get(m, "options"), key, &opts) < 0)
		return -EINVAL;
	_cleanup_strv_ char **o = opts;

	unsigned long flags = 0, prop = 0;
	bool bind = strcmp(type, "bind") == 0, rec = false, copyup = false;
	int mode = -1;
	char data[1024] = "";
	for (size_t i = 0; o && o[i]; i++) {
		const char *x = o[i];
		if (!strcmp(x, "bind"))
			bind = true;
		else if (!strcmp(x, "rbind"))
			bind = rec = true;
		else if (!strcmp(x, "ro"))
			flags |= MS_RDONLY;
		else if (!strcmp(x, "nosuid") || !strcmp(x, "nodev"))
			; /* nook's mounts are always nosuid and nodev */
		else if (!strcmp(x, "noexec"))
			flags |= MS_NOEXEC;
		else if (!strcmp(x, "rw") || !strcmp(x, "suid") || !strcmp(x, "dev") || !strcmp(x, "exec") ||
			 !strcmp(x, "relatime") || !strcmp(x, "norelatime") || !strcmp(x, "strictatime") ||
			 !strcmp(x, "nostrictatime") || !strcmp(x, "noatime") || !strcmp(x, "atime") ||
			 !strcmp(x, "diratime") || !strcmp(x, "nodiratime") || !strcmp(x, "async") ||
			 !strcmp(x, "sync") || !strcmp(x, "newinstance") || !strcmp(x, "nosymfollow") ||
			 !strcmp(x, "lazytime") || !strcmp(x, "nolazytime") || !strcmp(x, "dirsync") ||
			 !strcmp(x, "silent") || !strcmp(x, "loud") || !strcmp(x, "mand") || !strcmp(x, "nomand"))
			; /* defaults of nook's mounts, or without effect on them */
		else if (propagation_of(x))
			prop = propagation_of(x);
		else if (!strcmp(x, "tmpcopyup") && !strcmp(type, "tmpfs"))
			copyup = true;
		else if (!strcmp(x, "tmpcopyup") || !strcmp(x, "idmap") || !strcmp(x, "ridmap") || !strcmp(x, "copy-symlink") ||
			 !strncmp(x, "src-nofollow", 12) || !strncmp(x, "dest-nofollow", 13))
			return bad(t->file, t->err, key, "the option '%s' is not supported by nook", x);
		else if (!strncmp(x, "mode=", 5))
			mode = (int)strtol(x + 5, NULL, 8);
		else {
			size_t n = strlen(data);
			snprintf(data + n, sizeof data - n, "%s%s", n ? "," : "", x);
		}
	}
	snprintf(key, sizeof key, "mounts[%zu]", idx);
	if (!bind && provided(type, dest))
		return 0;
	struct nook_mount *mt = nook_spec_add_mount(s);
	mt->target = nook_strdup(dest);
	mt->flags = flags;
	mt->readonly = flags & MS_RDONLY;
	mt->mode = mode;
	if (bind) {
		if (!source || !source[0])
			return bad(t->file, t->err, key, "a bind mount needs a source");
		mt->type = NOOK_MOUNT_BIND;
		mt->flags |= MS_BIND | (rec ? MS_REC : 0);
		mt->propagation = prop;
		mt->source = source[0] == '/' ? nook_strdup(source) : nook_path_join(t->c->bundle, source);
		char real[PATH_MAX];
		if (realpath(mt->source, real)) {
			free(mt->source);
			mt->source = nook_strdup(real);
		}
		if (data[0])
			return bad(t->file, t->err, key, "unknown mount option(s) '%s' for a bind mount", data);
		return 0;
	}
	if (!strcmp(type, "tmpfs")) {
		mt->type = NOOK_MOUNT_TMPFS;
		mt->copyup = copyup;
		if (data[0])
			mt->options = nook_strdup(data);
		if (mode < 0 && !copyup)
			mt->mode = 01777;
		return 0;
	}
	if (!strcmp(type, "proc") || !strcmp(type, "sysfs") || !strcmp(type, "mqueue") || !strcmp(type, "devpts") ||
	    !strcmp(type, "cgroup") || !strcmp(type, "cgroup2")) {
		mt->type = NOOK_MOUNT_FS;
		mt->fstype = nook_strdup(!strcmp(type, "cgroup") ? "cgroup2" : type);
		if (!strcmp(type, "devpts") && mode >= 0) {
			size_t n = strlen(data);
			snprintf(data + n, sizeof data - n, "%smode=%o", n ? "," : "", (unsigned)mode);
		}
		if (data[0] && strcmp(type, "devpts") == 0)
			mt->options = nook_strdup(data);
		return 0;
	}
	if (!type[0])
		return bad(t->file, t->err, key, "needs a type (bind, tmpfs, proc, sysfs, devpts, mqueue or cgroup)");
	return bad(t->file, t->err, key, "the mount type '%s' is not supported by nook (bind, tmpfs, proc, sysfs, devpts, mqueue and cgroup are)", type);
}

/* ---- linux ------------------------------------------------------------ */

static int namespaces(struct tr *t, json_object *a, struct nook_spec *s)
{
	static const struct { const char *name; unsigned long flag; } ns[] = {
		{ "pid", CLONE_NEWPID }, { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
		{ "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "user", CLONE_NEWUSER },
		{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
	};
	/* nook always makes a mount namespace (one with a path is where its
	 * own copy starts from); the user namespace is decided with the id
	 * maps (linux_section) */
	s->ns_flags = CLONE_NEWNS;
	unsigned long seen = 0;
	if (want(t->file, t->err, a, json_type_array, "linux.namespaces") < 0)
		return -EINVAL;
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i), *ty = get(e, "type");
		char key[64];
		snprintf(key, sizeof key, "linux.namespaces[%zu]", i);
		const char *name = ty && json_object_is_type(ty, json_type_string) ? json_object_get_string(ty) : "";
		unsigned long flag = 0;
		for (size_t j = 0; j < sizeof ns / sizeof *ns; j++)
			if (strcmp(ns[j].name, name) == 0)
				flag = ns[j].flag;
		if (!flag)
			return bad(t->file, t->err, key, "unknown namespace type '%s'", name);
		if (seen & flag)
			return bad(t->file, t->err, key, "a second '%s' namespace", name);
		seen |= flag;
		if (flag == CLONE_NEWUSER)
			t->c->user_ns = true;
		json_object *p = get(e, "path");
		if (p && !(json_object_is_type(p, json_type_string) && !*json_object_get_string(p))) {
			/* joined by create before the clone (runtime.c), user
			 * first; the pid namespace by spawn's clone, the mount
			 * namespace by the container's init */
			if (!json_object_is_type(p, json_type_string) || !nook_path_is_absolute(json_object_get_string(p)))
				return bad(t->file, t->err, key, "path must be an absolute path");
			if (t->c->n_join >= sizeof t->c->join / sizeof t->c->join[0])
				return bad(t->file, t->err, key, "too many namespaces to join");
			t->c->join[t->c->n_join].flag = flag;
			t->c->join[t->c->n_join].index = (unsigned)i;
			t->c->join[t->c->n_join++].path = nook_strdup(json_object_get_string(p));
			if (flag == CLONE_NEWNS)
				s->join_mnt_ns = nook_strdup(json_object_get_string(p));
			if (flag == CLONE_NEWPID)
				s->join_pid_ns = nook_strdup(json_object_get_string(p));
			continue;
		}
		if (flag == CLONE_NEWTIME)
			return bad(t->file, t->err, key, "nook cannot create time namespaces (it can join one by path)");
		s->ns_flags |= flag;
	}
	s->net = (s->ns_flags & CLONE_NEWNET) ? NOOK_NET_NONE : NOOK_NET_HOST;
	return 0;
}

int nook_oci_ns_open(const struct nook_oci_config *c, size_t i, struct nook_error *err)
{
	static const struct { unsigned long flag; const char *name; } ns[] = {
		{ CLONE_NEWPID, "pid" }, { CLONE_NEWNET, "network" }, { CLONE_NEWNS, "mount" },
		{ CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" }, { CLONE_NEWUSER, "user" },
		{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWTIME, "time" },
	};
	const char *want_name = "?", *is_name = "?";
	char key[64];
	snprintf(key, sizeof key, "linux.namespaces[%u]", c->join[i].index);
	const char *file = c->file ? c->file : "config.json";
	int fd = open(c->join[i].path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		nook_err(err, e, "%s: %s: cannot open the namespace %s", file, key, c->join[i].path);
		err->exit_status = 1;
		return -e;
	}
	struct statfs sf;
	int type = -1;
	if (fstatfs(fd, &sf) == 0 && sf.f_type == NSFS_MAGIC)
		type = ioctl(fd, NS_GET_NSTYPE);
	for (size_t j = 0; j < sizeof ns / sizeof *ns; j++) {
		if (ns[j].flag == c->join[i].flag)
			want_name = ns[j].name;
		if (type >= 0 && ns[j].flag == (unsigned long)type)
			is_name = ns[j].name;
	}
	if (type < 0 || (unsigned long)type != c->join[i].flag) {
		close(fd);
		if (type < 0)
			nook_errx(err, EINVAL, "%s: %s: %s is not a namespace file (give /proc/PID/ns/%s, or a bind mount of one)",
				  file, key, c->join[i].path, c->join[i].flag == CLONE_NEWNET ? "net" :
				  c->join[i].flag == CLONE_NEWNS ? "mnt" : want_name);
		else
			nook_errx(err, EINVAL, "%s: %s: %s is a namespace of type %s, not %s", file, key,
				  c->join[i].path, is_name, want_name);
		err->exit_status = 1;
		return -EINVAL;
	}
	return fd;
}

static int idmaps(struct tr *t, json_object *a, const char *key, struct nook_idmap **out, size_t *n)
{
	if (want(t->file, t->err, a, json_type_array, key) < 0)
		return -EINVAL;
	size_t len = a ? json_object_array_length(a) : 0;
	if (len > 8)
		return bad(t->file, t->err, key, "at most 8 ranges");
	*out = len ? nook_xmalloc(len * sizeof **out) : NULL;
	*n = len;
	for (size_t i = 0; i < len; i++) {
		json_object *e = json_object_array_get_idx(a, i);
		uint64_t c, h, s;
		json_object *jc = get(e, "containerID"), *jh = get(e, "hostID"), *js = get(e, "size");
		if (!jc || !jh || !js || u64_of(t->file, t->err, jc, key, &c) < 0 || u64_of(t->file, t->err, jh, key, &h) < 0 ||
		    u64_of(t->file, t->err, js, key, &s) < 0)
			return bad(t->file, t->err, key, "each item needs containerID, hostID and size");
		(*out)[i] = (struct nook_idmap){ c, h, s };
	}
	return 0;
}

/* An integer that may be negative (-1 = unlimited) or null; *set false
 * when absent or null. */
static int i64_of(struct tr *t, json_object *parent, const char *name, const char *key, int64_t *out, bool *set)
{
	json_object *x = get(parent, name);
	*set = false;
	if (!x || json_object_is_type(x, json_type_null))
		return 0;
	if (!json_object_is_type(x, json_type_int))
		return bad(t->file, t->err, key, "must be an integer");
	*out = json_object_get_int64(x);
	*set = true;
	return 0;
}

int nook_oci_resources_apply(json_object *r, const char *file, struct nook_spec *s, struct nook_error *err)
{
	struct tr tt = { file, err, NULL }, *t = &tt;
	static const char *const known[] = { "devices", "memory", "cpu", "pids", "blockIO", "hugepageLimits",
		"network", "rdma", "unified", NULL };
	if (only_keys(t->file, t->err, r, "linux.resources", known) < 0)
		return -EINVAL;
	/* device rules: a rootless container cannot create device nodes and
	 * gets only nook's few; nothing to allow or deny */
	int64_t v;
	bool set;
	/* cgroup v1-style values become v2 files as crun converts them */
	json_object *mem = get(r, "memory");
	if (i64_of(t, mem, "limit", "linux.resources.memory.limit", &v, &set) < 0)
		return -EINVAL;
	if (set && v > 0)
		s->memory = (uint64_t)v;
	if (i64_of(t, mem, "reservation", "linux.resources.memory.reservation", &v, &set) < 0)
		return -EINVAL;
	if (set && v > 0)
		s->memory_low = (uint64_t)v;
	if (i64_of(t, mem, "swap", "linux.resources.memory.swap", &v, &set) < 0)
		return -EINVAL;
	if (set && v == -1)
		s->memory_swap = UINT64_MAX;
	else if (set && v > 0) {
		/* v1's memsw is memory + swap; v2's swap.max is the swap alone */
		if (!s->memory)
			return bad(t->file, t->err, "linux.resources.memory.swap",
				   "needs memory.limit (it is the limit of memory and swap together)");
		if ((uint64_t)v < s->memory)
			return bad(t->file, t->err, "linux.resources.memory.swap",
				   "%lld is below memory.limit %llu (it counts memory and swap together)",
				   (long long)v, (unsigned long long)s->memory);
		/* swap == limit (no swap at all) cannot be told from "unset" in
		 * the spec (0); memory.swap.max is then left as it is */
		s->memory_swap = (uint64_t)v - s->memory;
	}
	if (i64_of(t, get(r, "pids"), "limit", "linux.resources.pids.limit", &v, &set) < 0)
		return -EINVAL;
	if (set && v > 0)
		s->pids = (uint64_t)v;
	json_object *cpu = get(r, "cpu");
	if (i64_of(t, cpu, "quota", "linux.resources.cpu.quota", &v, &set) < 0)
		return -EINVAL;
	if (set && v > 0) {
		s->cpu_quota_us = (uint64_t)v;
		if (i64_of(t, cpu, "period", "linux.resources.cpu.period", &v, &set) < 0)
			return -EINVAL;
		if (set && v > 0)
			s->cpu_period_us = (uint64_t)v;
	}
	if (i64_of(t, cpu, "shares", "linux.resources.cpu.shares", &v, &set) < 0)
		return -EINVAL;
	if (set && v > 0) {
		if (v < 2 || v > 262144)
			return bad(t->file, t->err, "linux.resources.cpu.shares", "%lld is out of range (2..262144)", (long long)v);
		s->cpu_weight = 1 + (uint64_t)(v - 2) * 9999 / 262142;
	}
	json_object *x;
	if ((x = get(cpu, "cpus")) && json_object_is_type(x, json_type_string) && *json_object_get_string(x)) {
		free(s->cpuset_cpus);
		s->cpuset_cpus = nook_strdup(json_object_get_string(x));
	}
	if ((x = get(cpu, "mems")) && json_object_is_type(x, json_type_string) && *json_object_get_string(x)) {
		free(s->cpuset_mems);
		s->cpuset_mems = nook_strdup(json_object_get_string(x));
	}
	if (i64_of(t, get(r, "blockIO"), "weight", "linux.resources.blockIO.weight", &v, &set) < 0)
		return -EINVAL;
	if (set && v > 0) {
		if (v < 10 || v > 1000)
			return bad(t->file, t->err, "linux.resources.blockIO.weight", "%lld is out of range (10..1000)", (long long)v);
		s->io_weight = 1 + (uint64_t)(v - 10) * 9999 / 990;
	}
	s->cgroup_oci_keys = true;
	return 0;
}

static int resources(struct tr *t, json_object *r, struct nook_spec *s)
{
	if (nook_oci_resources_apply(r, t->file, s, t->err) < 0)
		return -EINVAL;
	if (s->memory || s->memory_low || s->memory_swap || s->pids || s->cpu_quota_us || s->cpu_weight ||
	    s->io_weight || s->cpuset_cpus || s->cpuset_mems) {
		/* enforced in a cgroup leaf of the container's own, or refused
		 * at create (naming the key) where none can be made */
		t->c->has_resources = true;
		s->resources_required = true;
	}
	json_object *b = get(r, "blockIO");
	if ((b && json_object_object_length(b) > (get(b, "weight") ? 1 : 0)) || get(r, "hugepageLimits") ||
	    get(r, "rdma") || get(r, "network") ||
	    (get(r, "unified") && json_object_object_length(get(r, "unified")) > 0))
		note(t->c, "linux.resources (blockIO devices/hugepages/rdma/network/unified)");
	return 0;
}

/* linux.cgroupsPath: relative to the delegated cgroup the leaves go in
 * (a leading '/' is dropped); the systemd form slice:prefix:name is not
 * used (nook makes no systemd units): the leaf is then named after the id. */
static int cgroups_path(struct tr *t, json_object *x)
{
	if (!json_object_is_type(x, json_type_string))
		return bad(t->file, t->err, "linux.cgroupsPath", "must be a string");
	const char *p = json_object_get_string(x);
	if (strchr(p, ':')) {
		note(t->c, "linux.cgroupsPath in the systemd form (the leaf is named after the container id)");
		return 0;
	}
	while (*p == '/')
		p++;
	if (!*p)
		return 0;
	if (strlen(p) > 900)
		return bad(t->file, t->err, "linux.cgroupsPath", "is too long");
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return bad(t->file, t->err, "linux.cgroupsPath", "'%s': empty, '.' and '..' parts are not allowed", p);
		c += n;
		if (*c == '/')
			c++;
	}
	free(t->c->cgroups_path);
	t->c->cgroups_path = nook_strdup(p);
	return 0;
}

static int devices(struct tr *t, json_object *a, struct nook_spec *s)
{
	static const char *const builtin[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
		"/dev/tty", NULL };
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *d = json_object_array_get_idx(a, i), *p = get(d, "path");
		char key[64];
		snprintf(key, sizeof key, "linux.devices[%zu]", i);
		if (!p || !json_object_is_type(p, json_type_string))
			return bad(t->file, t->err, key, "needs a path");
		const char *path = json_object_get_string(p);
		if (nook_strv_contains((char *const *)builtin, path))
			continue;
		/* a rootless runtime cannot mknod: bind the host's node when it
		 * is the same device */
		struct stat st;
		json_object *ma = get(d, "major"), *mi = get(d, "minor");
		if (stat(path, &st) < 0 || !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ||
		    (ma && (unsigned)json_object_get_int(ma) != major(st.st_rdev)) ||
		    (mi && (unsigned)json_object_get_int(mi) != minor(st.st_rdev)))
			return bad(t->file, t->err, key, "%s: a rootless runtime cannot create device nodes, and the host has no such device at that path to bind", path);
		struct nook_mount *m = nook_spec_add_mount(s);
		m->type = NOOK_MOUNT_DEV_BIND;
		m->source = nook_strdup(path);
		m->target = nook_strdup(path);
	}
	return 0;
}

/* Whether this process runs in a user namespace other than the initial one. */
static bool in_user_namespace(void)
{
	char buf[256] = "";
	FILE *f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	unsigned long a, b, c;
	return !(sscanf(buf, "%lu %lu %lu", &a, &b, &c) == 3 && a == 0 && b == 0 && c == 4294967295UL);
}

/* The user namespace: joined, none, or one of the container's own with
 * its maps (linux.namespaces and linux.uidMappings/gidMappings read). */
static int user_namespace(struct tr *t, struct nook_spec *s)
{
	const char *joined = NULL;
	for (size_t i = 0; i < t->c->n_join; i++)
		if (t->c->join[i].flag == CLONE_NEWUSER)
			joined = t->c->join[i].path;
	bool parent = getuid() == 0 && in_user_namespace();
	if (joined) {
		/* create joins it first (runtime.c) and holds every capability
		 * there: the container makes no user namespace of its own, and
		 * the joined one's maps are what they are */
		s->userns = NOOK_USERNS_NONE;
		if (s->n_uid_maps || s->n_gid_maps)
			note(t->c, "linux.uidMappings/gidMappings (the joined user namespace has its maps)");
		snprintf(t->c->userns_note, sizeof t->c->userns_note, "user namespace: the one at %.200s (linux.namespaces path), "
			 "none of the container's own", joined);
		return 0;
	}
	if (!t->c->user_ns) {
		/* no user namespace asked for: as runc and crun, the container
		 * stays in ours when we are root with CAP_SYS_ADMIN in it (an
		 * engine's, such as rootless podman's); else one is made, as
		 * crun does (runc refuses), or a plain user could not run it */
		if (geteuid() == 0 && nook_userns_admin()) {
			if (s->n_uid_maps || s->n_gid_maps)
				return bad(t->file, t->err, s->n_uid_maps ? "linux.uidMappings" : "linux.gidMappings",
					   "needs a user namespace (linux.namespaces: {\"type\": \"user\"})");
			s->userns = NOOK_USERNS_NONE;
			snprintf(t->c->userns_note, sizeof t->c->userns_note,
				 "user namespace: none asked for, and none made (nook is uid 0 with CAP_SYS_ADMIN in its own)");
			return 0;
		}
		snprintf(t->c->userns_note, sizeof t->c->userns_note,
			 "user namespace: none asked for, but nook (uid %u) is not privileged in its own (uid 0 with "
			 "CAP_SYS_ADMIN), so the container gets one of its own, as with crun", (unsigned)geteuid());
	}
	s->ns_flags |= CLONE_NEWUSER;
	if (!s->n_uid_maps && !s->n_gid_maps && parent) {
		/* root inside an engine's user namespace (rootless podman runs
		 * its runtime there) and no maps asked for: the container shares
		 * every id of it, as if it had no user namespace of its own */
		s->uid_maps = nook_xmalloc(8 * sizeof *s->uid_maps);
		s->gid_maps = nook_xmalloc(8 * sizeof *s->gid_maps);
		if (nook_idmap_own(false, s->uid_maps, 8, &s->n_uid_maps) < 0 ||
		    nook_idmap_own(true, s->gid_maps, 8, &s->n_gid_maps) < 0)
			return bad(t->file, t->err, "linux.uidMappings", "cannot read this process's own id maps");
	}
	if (s->n_uid_maps || s->n_gid_maps) {
		bool self = s->n_uid_maps == 1 && s->n_gid_maps == 1 && s->uid_maps[0].count == 1 && s->gid_maps[0].count == 1 &&
			    s->uid_maps[0].outside == getuid() && s->gid_maps[0].outside == getgid();
		s->userns = parent ? NOOK_USERNS_PARENT : self ? NOOK_USERNS_SELF : NOOK_USERNS_SUBUID;
	}
	return 0;
}

static int linux_section(struct tr *t, json_object *l, struct nook_spec *s)
{
	static const char *const known[] = { "namespaces", "uidMappings", "gidMappings", "timeOffsets", "devices",
		"netDevices", "cgroupsPath", "rootfsPropagation", "resources", "unified", "sysctl", "seccomp",
		"maskedPaths", "readonlyPaths", "mountLabel", "intelRdt", "personality", "memoryPolicy", NULL };
	if (want(t->file, t->err, l, json_type_object, "linux") < 0 || only_keys(t->file, t->err, l, "linux", known) < 0)
		return -EINVAL;
	if (namespaces(t, get(l, "namespaces"), s) < 0)
		return -EINVAL;
	if (idmaps(t, get(l, "uidMappings"), "linux.uidMappings", &s->uid_maps, &s->n_uid_maps) < 0 ||
	    idmaps(t, get(l, "gidMappings"), "linux.gidMappings", &s->gid_maps, &s->n_gid_maps) < 0)
		return -EINVAL;
	if (user_namespace(t, s) < 0)
		return -EINVAL;
	if (get(l, "timeOffsets"))
		return bad(t->file, t->err, "linux.timeOffsets", "time namespaces are not supported by nook");
	if (get(l, "netDevices"))
		return bad(t->file, t->err, "linux.netDevices", "moving network devices needs privileges a rootless runtime does not have");
	if (get(l, "intelRdt"))
		return bad(t->file, t->err, "linux.intelRdt", "not supported by nook");
	if (get(l, "personality"))
		return bad(t->file, t->err, "linux.personality", "not supported by nook");
	json_object *x;
	if ((x = get(l, "memoryPolicy")) && memory_policy(t->file, t->err, x, s) < 0)
		return -EINVAL;
	if ((x = get(l, "rootfsPropagation"))) {
		const char *p = json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
		if (!(s->rootfs.propagation = propagation_of(p)))
			return bad(t->file, t->err, "linux.rootfsPropagation", "'%s' is not a propagation (shared, slave, private, "
				   "unbindable, or their recursive r- forms)", p);
	}
	if (get(l, "mountLabel"))
		note(t->c, "linux.mountLabel (SELinux is not driven by nook)");
	if ((x = get(l, "cgroupsPath")) && cgroups_path(t, x) < 0)
		return -EINVAL;
	if ((x = get(l, "resources")) && resources(t, x, s) < 0)
		return -EINVAL;
	if ((x = get(l, "devices")) && devices(t, x, s) < 0)
		return -EINVAL;
	if ((x = get(l, "sysctl"))) {
		if (want(t->file, t->err, x, json_type_object, "linux.sysctl") < 0)
			return -EINVAL;
		json_object_object_foreach(x, k, v) {
			char line[1024];
			snprintf(line, sizeof line, "%s=%s", k, json_object_get_string(v));
			nook_strv_push(&s->sysctl, line);
		}
	}
	char **v = NULL;
	if (strv_of(t->file, t->err, get(l, "maskedPaths"), "linux.maskedPaths", &v) < 0)
		return -EINVAL;
	nook_strv_free(s->masked_paths);
	s->masked_paths = v;
	v = NULL;
	if (strv_of(t->file, t->err, get(l, "readonlyPaths"), "linux.readonlyPaths", &v) < 0)
		return -EINVAL;
	nook_strv_free(s->readonly_paths);
	s->readonly_paths = v;
	if ((x = get(l, "seccomp"))) {
		if (want(t->file, t->err, x, json_type_object, "linux.seccomp") < 0)
			return -EINVAL;
		/* a seccomp agent: create sends it the filter's listener */
		json_object *lp = get(x, "listenerPath"), *lm = get(x, "listenerMetadata");
		if (want(t->file, t->err, lp, json_type_string, "linux.seccomp.listenerPath") < 0 ||
		    want(t->file, t->err, lm, json_type_string, "linux.seccomp.listenerMetadata") < 0)
			return -EINVAL;
		if (lm && !lp)
			return bad(t->file, t->err, "linux.seccomp.listenerMetadata", "is only for the agent at listenerPath, which is not set");
		if (lp) {
			const char *p = json_object_get_string(lp);
			if (!p[0])
				return bad(t->file, t->err, "linux.seccomp.listenerPath", "give the path of the seccomp agent's unix socket");
			free(t->c->seccomp_listener);
			free(t->c->seccomp_metadata);
			t->c->seccomp_listener = nook_strdup(p);
			t->c->seccomp_metadata = lm ? nook_strdup(json_object_get_string(lm)) : NULL;
			s->seccomp_listener = true;
		}
		t->c->seccomp_json = nook_strdup(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN));
		s->seccomp = NOOK_SECCOMP_FILE;
	}
	return 0;
}

static int hooks(struct tr *t, json_object *h)
{
	static const char *const known[] = { "prestart", "createRuntime", "createContainer", "startContainer",
		"poststart", "poststop", NULL };
	if (want(t->file, t->err, h, json_type_object, "hooks") < 0 || only_keys(t->file, t->err, h, "hooks", known) < 0)
		return -EINVAL;
	for (int k = 0; k < NOOK_HOOK_N; k++) {
		json_object *a = get(h, nook_oci_hook_name(k));
		char key[64];
		snprintf(key, sizeof key, "hooks.%s", nook_oci_hook_name(k));
		if (!a)
			continue;
		if (want(t->file, t->err, a, json_type_array, key) < 0)
			return -EINVAL;
		size_t n = json_object_array_length(a);
		t->c->hooks[k] = n ? nook_xmalloc(n * sizeof *t->c->hooks[k]) : NULL;
		for (size_t i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(a, i), *p = get(e, "path"), *to;
			struct nook_oci_hook *hk = &t->c->hooks[k][t->c->n_hooks[k]++];
			snprintf(key, sizeof key, "hooks.%s[%zu]", nook_oci_hook_name(k), i);
			if (!p || !json_object_is_type(p, json_type_string) || !nook_path_is_absolute(json_object_get_string(p)))
				return bad(t->file, t->err, key, "path must be an absolute path");
			hk->path = nook_strdup(json_object_get_string(p));
			if (strv_of(t->file, t->err, get(e, "args"), key, &hk->args) < 0 ||
			    strv_of(t->file, t->err, get(e, "env"), key, &hk->env) < 0)
				return -EINVAL;
			if ((to = get(e, "timeout"))) {
				if (!json_object_is_type(to, json_type_int) || json_object_get_int(to) <= 0)
					return bad(t->file, t->err, key, "timeout must be a positive number of seconds");
				hk->timeout_s = json_object_get_int(to);
			}
		}
	}
	/* startContainer hooks run inside the container: the init runs them */
	struct nook_spec *s = &t->c->spec;
	size_t n = t->c->n_hooks[NOOK_HOOK_START_CONTAINER];
	s->start_hooks = n ? nook_xmalloc(n * sizeof *s->start_hooks) : NULL;
	for (size_t i = 0; i < n; i++) {
		const struct nook_oci_hook *hk = &t->c->hooks[NOOK_HOOK_START_CONTAINER][i];
		s->start_hooks[i] = (struct nook_hook){ .path = nook_strdup(hk->path),
							.argv = hk->args ? nook_strv_copy(hk->args) : NULL,
							.env = hk->env ? nook_strv_copy(hk->env) : NULL, .timeout_s = (unsigned)hk->timeout_s };
	}
	s->n_start_hooks = n;
	return 0;
}

const char *nook_oci_hook_name(enum nook_oci_hook_kind k)
{
	static const char *const names[] = { "prestart", "createRuntime", "createContainer", "startContainer",
		"poststart", "poststop" };
	return k < NOOK_HOOK_N ? names[k] : "?";
}

int nook_oci_config_load(const char *bundle, const char *config, struct nook_oci_config *c, struct nook_error *err)
{
	char file[PATH_MAX + 64];
	memset(c, 0, sizeof *c);
	nook_spec_init(&c->spec);
	c->oom_score_adj = INT32_MIN;
	struct nook_spec *s = &c->spec;
	/* OCI defaults that differ from nook's */
	s->init = false;              /* the payload is the container's pid 1 */
	s->die_with_parent = false;   /* it outlives `create` */
	s->no_new_privs = false;
	s->seccomp = NOOK_SECCOMP_UNCONFINED;
	s->resources_required = false;
	s->new_session = true;

	char cwd[PATH_MAX];
	if (!bundle || !bundle[0]) {
		if (!getcwd(cwd, sizeof cwd))
			return nook_err(err, errno, "getcwd");
		bundle = cwd;
	}
	if (bundle[0] != '/') {
		if (!getcwd(cwd, sizeof cwd))
			return nook_err(err, errno, "getcwd");
		c->bundle = nook_path_join(cwd, bundle);
	} else {
		c->bundle = nook_strdup(bundle);
	}
	const char *cfg = config && config[0] ? config : "config.json";
	if (cfg[0] == '/')
		snprintf(file, sizeof file, "%s", cfg);
	else
		snprintf(file, sizeof file, "%s/%s", c->bundle, cfg);
	c->file = nook_strdup(file);
	struct stat st;
	if (stat(c->bundle, &st) < 0 || !S_ISDIR(st.st_mode)) {
		nook_errx(err, ENOENT, "the bundle %s is not a directory", c->bundle);
		err->exit_status = 1;
		nook_oci_config_free(c);
		return -ENOENT;
	}
	if (access(file, R_OK) < 0) {
		nook_err(err, errno, "cannot read %s (a bundle holds config.json; `nook oci spec` writes one)", file);
		err->exit_status = 1;
		nook_oci_config_free(c);
		return -ENOENT;
	}
	json_object *root = json_object_from_file(file);
	if (!root) {
		const char *why = json_util_get_last_err();
		nook_errx(err, EINVAL, "%s: not valid JSON: %.*s", file, why ? (int)strcspn(why, "\n") : 0, why ? why : "");
		err->exit_status = 1;
		nook_oci_config_free(c);
		return -EINVAL;
	}
	struct tr t = { .file = file, .err = err, .c = c };
	int r = -EINVAL;
	static const char *const known[] = { "ociVersion", "process", "root", "hostname", "domainname", "mounts",
		"hooks", "annotations", "linux", "solaris", "windows", "vm", "zos", "hooks", NULL };
	if (!json_object_is_type(root, json_type_object)) {
		bad(file, err, "(top level)", "must be an object");
		goto out;
	}
	if (only_keys(file, err, root, "", known) < 0)
		goto out;
	json_object *x;
	if (!(x = get(root, "ociVersion")) || !json_object_is_type(x, json_type_string)) {
		bad(file, err, "ociVersion", "missing (e.g. \"1.2.0\")");
		goto out;
	}
	if (strncmp(json_object_get_string(x), "1.", 2) != 0) {
		bad(file, err, "ociVersion", "'%s' is not a version 1 runtime spec", json_object_get_string(x));
		goto out;
	}
	if (get(root, "solaris") || get(root, "windows") || get(root, "vm") || get(root, "zos")) {
		bad(file, err, "(platform)", "only the linux section applies to nook");
		goto out;
	}
	json_object *rootobj = get(root, "root");
	if (!rootobj || !(x = get(rootobj, "path")) || !json_object_is_type(x, json_type_string)) {
		bad(file, err, "root.path", "missing: the path of the root filesystem (relative to the bundle)");
		goto out;
	}
	const char *rp = json_object_get_string(x);
	s->rootfs.kind = NOOK_ROOTFS_DIR;
	s->rootfs.path = rp[0] == '/' ? nook_strdup(rp) : nook_path_join(c->bundle, rp);
	if (stat(s->rootfs.path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		bad(file, err, "root.path", "%s is not a directory", s->rootfs.path);
		goto out;
	}
	/* nook opens it below its staging root: symlinks are resolved here */
	char real[PATH_MAX];
	if (realpath(s->rootfs.path, real)) {
		free(s->rootfs.path);
		s->rootfs.path = nook_strdup(real);
	}
	if ((x = get(rootobj, "readonly"))) {
		if (want(file, err, x, json_type_boolean, "root.readonly") < 0)
			goto out;
		s->rootfs.readonly = json_object_get_boolean(x);
		s->rootfs.late_readonly = true;
	}
	if (!(x = get(root, "process"))) {
		bad(file, err, "process", "missing: what to run");
		goto out;
	}
	if (nook_oci_process_apply(x, file, s, err) < 0)
		goto out;
	if (!s->argv) {
		bad(file, err, "process.args", "missing: the program to run and its arguments");
		goto out;
	}
	/* a working directory the root lacks is created, as runc does */
	if (s->cwd && strcmp(s->cwd, "/") != 0) {
		_cleanup_free_ char *host = nook_path_join(s->rootfs.path, s->cwd);
		if (lstat(host, &st) < 0 && errno == ENOENT) {
			struct nook_mount *m = nook_spec_add_mount(s);
			m->type = NOOK_MOUNT_DIR;
			m->target = nook_strdup(s->cwd);
			m->mode = 0755;
		}
	}
		if ((x = get(get(root, "process"), "apparmorProfile")) && json_object_get_string(x)[0])
		note(c, "process.apparmorProfile (AppArmor is not driven by nook)");
	if ((x = get(get(root, "process"), "selinuxLabel")) && json_object_get_string(x)[0])
		note(c, "process.selinuxLabel (SELinux is not driven by nook)");
	if ((x = get(get(root, "process"), "oomScoreAdj")))
		c->oom_score_adj = json_object_get_int(x);
	if ((x = get(root, "hostname"))) {
		const char *h = json_object_get_string(x);
		if (h[0] && !nook_hostname_valid(h)) {
			bad(file, err, "hostname", "'%s' is not a valid hostname (" NOOK_HOSTNAME_RULE ")", h);
			goto out;
		}
		if (h[0])
			s->hostname = nook_strdup(h);
	}
	if ((x = get(root, "domainname")) && json_object_get_string(x)[0])
		s->domainname = nook_strdup(json_object_get_string(x));
	json_object *mounts = get(root, "mounts");
	if (want(file, err, mounts, json_type_array, "mounts") < 0)
		goto out;
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++)
		if (one_mount(&t, json_object_array_get_idx(mounts, i), i, s) < 0)
			goto out;
	json_object *lin = get(root, "linux");
	if (linux_section(&t, lin, s) < 0)
		goto out;
	bool uts_joined = false;
	for (size_t i = 0; i < c->n_join; i++)
		uts_joined |= c->join[i].flag == CLONE_NEWUTS;
	if ((s->hostname || s->domainname) && !(s->ns_flags & CLONE_NEWUTS) && !uts_joined) {
		bad(file, err, s->hostname ? "hostname" : "domainname", "needs a uts namespace (linux.namespaces: {\"type\": \"uts\"})");
		goto out;
	}
	if ((x = get(root, "hooks")) && hooks(&t, x) < 0)
		goto out;
	x = get(root, "annotations");
	if (want(file, err, x, json_type_object, "annotations") < 0)
		goto out;
	c->annotations_json = nook_strdup(x ? json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN) : "{}");
	r = 0;
out:
	json_object_put(root);
	if (r < 0) {
		if (err->exit_status == 0 || err->exit_status == NOOK_EXIT_FAILURE)
			err->exit_status = 1;
		nook_oci_config_free(c);
	}
	return r;
}

void nook_oci_default_home(struct nook_spec *s)
{
	for (size_t i = 0; s->env && s->env[i]; i++)
		if (strncmp(s->env[i], "HOME=", 5) == 0)
			return;
	char home[PATH_MAX + 8] = "HOME=/";
	/* /etc/passwd resolved inside the root (it may be a symlink) */
	_cleanup_close_ int rfd = s->rootfs.path ? open(s->rootfs.path, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	int fd = rfd < 0 ? -1 : (int)syscall(SYS_openat2, rfd, "etc/passwd", &how, sizeof how);
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;
	char line[1024];
	while (f && fgets(line, sizeof line, f)) {
		/* name:pw:uid:gid:gecos:home:shell */
		char *fld[7] = { 0 };
		char *p = line;
		for (int k = 0; k < 7 && p; k++) {
			fld[k] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (fld[2] && fld[5] && strtoul(fld[2], NULL, 10) == s->uid && fld[5][0]) {
			fld[5][strcspn(fld[5], "\n")] = '\0';
			snprintf(home, sizeof home, "HOME=%s", fld[5]);
			break;
		}
	}
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	nook_strv_push(&s->env, home);
}

void nook_oci_config_free(struct nook_oci_config *c)
{
	if (!c)
		return;
	nook_spec_free(&c->spec);
	free(c->cgroups_path);
	free(c->bundle);
	free(c->file);
	free(c->annotations_json);
	free(c->seccomp_json);
	free(c->seccomp_listener);
	free(c->seccomp_metadata);
	for (size_t i = 0; i < c->n_join; i++)
		free(c->join[i].path);
	for (int k = 0; k < NOOK_HOOK_N; k++) {
		for (size_t i = 0; i < c->n_hooks[k]; i++) {
			free(c->hooks[k][i].path);
			nook_strv_free(c->hooks[k][i].args);
			nook_strv_free(c->hooks[k][i].env);
		}
		free(c->hooks[k]);
	}
	memset(c, 0, sizeof *c);
}
