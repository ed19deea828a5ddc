/* keys.c - the key table: one row per profile key (path, setter,
 * field), the generic walker that validates a merged tree against it, and
 * the typed setters that fill struct nook_spec. Custom-shaped values
 * (mounts, ports, id maps, rlimits, seccomp rules) live in values.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "nook/cleanup.h"
#include "nook/profile.h"
#include "nook/security.h"
#include "nook/util.h"
#include "keys.h"

/* ---------------------------------------------------------------- names */

const struct nook_name_val nook_tbl_userns[] = {
	{ "auto", NOOK_USERNS_AUTO }, { "self", NOOK_USERNS_SELF },
	{ "subuid", NOOK_USERNS_SUBUID }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_rootfs_kind[] = {
	{ "host", NOOK_ROOTFS_HOST }, { "dir", NOOK_ROOTFS_DIR },
	{ "overlay", NOOK_ROOTFS_OVERLAY }, { "empty", NOOK_ROOTFS_EMPTY }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_mount_type[] = {
	{ "bind", NOOK_MOUNT_BIND }, { "ro-bind", NOOK_MOUNT_RO_BIND },
	{ "dev-bind", NOOK_MOUNT_DEV_BIND }, { "tmpfs", NOOK_MOUNT_TMPFS },
	{ "proc", NOOK_MOUNT_PROC }, { "dir", NOOK_MOUNT_DIR },
	{ "symlink", NOOK_MOUNT_SYMLINK }, { "file", NOOK_MOUNT_FILE }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_net_mode[] = {
	{ "none", NOOK_NET_NONE }, { "host", NOOK_NET_HOST },
	{ "slirp", NOOK_NET_SLIRP }, { "pasta", NOOK_NET_PASTA }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_rlimit[] = {
	{ "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE }, { "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_scmp_action[] = {
	{ "allow", NOOK_SCMP_ALLOW }, { "errno", NOOK_SCMP_ERRNO }, { "kill", NOOK_SCMP_KILL },
	{ "log", NOOK_SCMP_LOG }, { "trap", NOOK_SCMP_TRAP }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_scmp_op[] = {
	{ "eq", NOOK_SCMP_OP_EQ }, { "ne", NOOK_SCMP_OP_NE }, { "lt", NOOK_SCMP_OP_LT },
	{ "le", NOOK_SCMP_OP_LE }, { "gt", NOOK_SCMP_OP_GT }, { "ge", NOOK_SCMP_OP_GE },
	{ "masked_eq", NOOK_SCMP_OP_MASKED_EQ }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_errno[] = {
	{ "EPERM", EPERM }, { "ENOENT", ENOENT }, { "EIO", EIO }, { "E2BIG", E2BIG },
	{ "EBADF", EBADF }, { "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES },
	{ "EFAULT", EFAULT }, { "EBUSY", EBUSY }, { "EEXIST", EEXIST }, { "EINVAL", EINVAL },
	{ "ENOSPC", ENOSPC }, { "EROFS", EROFS }, { "ENOSYS", ENOSYS },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { "EAFNOSUPPORT", EAFNOSUPPORT }, { NULL, 0 },
};
const struct nook_name_val nook_tbl_ll_scope[] = {
	{ "abstract_unix_socket", NOOK_LL_SCOPE_ABSTRACT_UNIX }, { "signal", NOOK_LL_SCOPE_SIGNAL },
	{ NULL, 0 },
};
const struct nook_name_val nook_tbl_ns[] = {
	{ "user", CLONE_NEWUSER }, { "mount", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
	{ "net", CLONE_NEWNET }, { "uts", CLONE_NEWUTS }, { "ipc", CLONE_NEWIPC },
	{ "cgroup", CLONE_NEWCGROUP }, { NULL, 0 },
};

const char *nook_tbl_name(const struct nook_name_val *t, int val)
{
	for (; t->name; t++)
		if (t->val == val)
			return t->name;
	return NULL;
}

int nook_tbl_lookup(const struct nook_name_val *t, const char *name, int *val)
{
	for (; t->name; t++) {
		if (strcmp(t->name, name) == 0) {
			*val = t->val;
			return 0;
		}
	}
	return -ENOENT;
}

/* "'a', 'b' or 'c'" for error messages */
void nook_tbl_list(const struct nook_name_val *t, char *buf, size_t size)
{
	size_t n = 0, len = 0;
	for (const struct nook_name_val *p = t; p->name; p++)
		n++;
	buf[0] = 0;
	for (size_t i = 0; i < n && len < size; i++) {
		const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
		int w = snprintf(buf + len, size - len, "%s'%s'", sep, t[i].name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

unsigned nook_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	unsigned d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			/* a swap of two neighbours counts as one edit */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *nook_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	unsigned best_d = 99;
	for (size_t i = 0; i < n; i++) {
		unsigned d = nook_edit_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	size_t len = strlen(word);
	unsigned limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	return best_d <= limit ? best : NULL;
}

int nook_unknown_key(struct kctx *c, const struct nook_node *key, const char *where,
		     const char *const *cands, size_t n)
{
	const char *s = nook_suggest(key->value, cands, n);
	char in[160] = "";
	if (where && where[0])
		snprintf(in, sizeof in, " in %s", where);
	if (s)
		return nook_node_err(c->err, key, "unknown key '%s'%s (did you mean '%s'?)", key->value, in, s);
	char list[600] = "";
	size_t len = 0;
	for (size_t i = 0; i < n && len < sizeof list; i++) {
		int w = snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", cands[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return nook_node_err(c->err, key, "unknown key '%s'%s (known keys: %s)", key->value, in, list);
}

int nook_check_keys(struct kctx *c, const struct nook_node *map, const char *where,
		    const char *const *allowed)
{
	size_t n = 0;
	while (allowed[n])
		n++;
	for (size_t i = 0; i < map->n; i++) {
		bool ok = false;
		for (size_t j = 0; j < n; j++)
			if (strcmp(map->pairs[i].key->value, allowed[j]) == 0)
				ok = true;
		if (!ok)
			return nook_unknown_key(c, map->pairs[i].key, where, allowed, n);
	}
	return 0;
}

/* ---------------------------------------------------------------- scalars */

static const char *kind_name(const struct nook_node *n)
{
	return n->kind == NOOK_NODE_MAP ? "a map" : n->kind == NOOK_NODE_SEQ ? "a list" : "a single value";
}

int nook_want_scalar(struct kctx *c, const struct nook_node *n, const char *what)
{
	if (n->kind == NOOK_NODE_SCALAR)
		return 0;
	return nook_node_err(c->err, n, "expected %s, got %s", what, kind_name(n));
}

int nook_get_bool(struct kctx *c, const struct nook_node *n, bool *out)
{
	int r = nook_want_scalar(c, n, "true or false");
	if (r < 0)
		return r;
	const char *v = n->value;
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
		*out = false;
	else
		return nook_node_err(c->err, n, "expected true or false, got '%s'", v);
	return 0;
}

int nook_get_u64(struct kctx *c, const struct nook_node *n, uint64_t min, uint64_t max, uint64_t *out)
{
	int r = nook_want_scalar(c, n, "a whole number");
	if (r < 0)
		return r;
	const char *v = n->value;
	uint64_t x = 0;
	if (!*v)
		return nook_node_err(c->err, n, "expected a whole number, got an empty value");
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return nook_node_err(c->err, n, "expected a whole number, got '%s'", v);
		if (x > (UINT64_MAX - 9) / 10)
			return nook_node_err(c->err, n, "number '%s' is too large (at most %llu)", v,
					     (unsigned long long)max);
		x = x * 10 + (uint64_t)(*p - '0');
	}
	if (x < min || x > max)
		return nook_node_err(c->err, n, "%s is out of range (%llu to %llu)", v,
				     (unsigned long long)min, (unsigned long long)max);
	*out = x;
	return 0;
}

int nook_get_str(struct kctx *c, const struct nook_node *n, const char **out)
{
	int r = nook_want_scalar(c, n, "a string");
	if (r < 0)
		return r;
	*out = n->value;
	return 0;
}

/* An absolute path, normalized. Relative paths are an error that says how
 * to write an absolute one. */
int nook_get_path(struct kctx *c, const struct nook_node *n, char **out)
{
	int r = nook_want_scalar(c, n, "an absolute path");
	if (r < 0)
		return r;
	if (!n->value[0])
		return nook_node_err(c->err, n, "expected an absolute path, got an empty value");
	if (n->value[0] != '/')
		return nook_node_err(c->err, n, "path '%s' must be absolute (start with / or use ${HOME}, ${PWD})",
				     n->value);
	*out = nook_path_normalize(n->value);
	return 0;
}

int nook_get_enum(struct kctx *c, const struct nook_node *n, const struct nook_name_val *t, int *out)
{
	char list[256];
	nook_tbl_list(t, list, sizeof list);
	int r = nook_want_scalar(c, n, list);
	if (r < 0)
		return r;
	if (nook_tbl_lookup(t, n->value, out) == 0)
		return 0;
	return nook_node_err(c->err, n, "unknown value '%s' (expected %s)", n->value, list);
}

/* ---------------------------------------------------------------- generic setters */

#define OFF_MASKED offsetof(struct nook_spec, masked_paths)
#define FIELD(c, row, type) ((type *)((char *)(c)->s + (row)->off))

static int set_bool(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	return nook_get_bool(c, n, FIELD(c, row, bool));
}

static int set_path(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	char *p;
	int r = nook_get_path(c, n, &p);
	if (r < 0)
		return r;
	char **f = FIELD(c, row, char *);
	free(*f);
	*f = p;
	return 0;
}

static int set_enum(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int v;
	int r = nook_get_enum(c, n, row->arg, &v);
	if (r == 0)
		*FIELD(c, row, int) = v;
	return r;
}

static int set_u32(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const uint64_t *lim = row->arg;
	uint64_t v;
	int r = nook_get_u64(c, n, lim ? lim[0] : 0, lim ? lim[1] : UINT32_MAX - 1, &v);
	if (r == 0)
		*FIELD(c, row, uint32_t) = (uint32_t)v;
	return r;
}

static int set_u64(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const uint64_t *lim = row->arg;
	uint64_t v;
	int r = nook_get_u64(c, n, lim ? lim[0] : 0, lim ? lim[1] : UINT64_MAX - 1, &v);
	if (r == 0)
		*FIELD(c, row, uint64_t) = v;
	return r;
}

static int set_size(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "a size such as 512M or 2G");
	if (r < 0)
		return r;
	uint64_t v;
	const char *why = "";
	if (row->arg && strcmp(n->value, "unlimited") == 0) {
		*FIELD(c, row, uint64_t) = UINT64_MAX;
		return 0;
	}
	if (nook_parse_size(n->value, &v, &why) < 0)
		return nook_node_err(c->err, n, "invalid size '%s': %s", n->value, why);
	if (v == 0)
		return nook_node_err(c->err, n, "size must be greater than zero (leave the key out for no limit)");
	*FIELD(c, row, uint64_t) = v;
	return 0;
}

static int set_duration(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "a duration such as 90s or 10m");
	if (r < 0)
		return r;
	uint64_t v;
	const char *why = "";
	if (nook_parse_duration_ms(n->value, &v, &why) < 0)
		return nook_node_err(c->err, n, "invalid duration '%s': %s", n->value, why);
	*FIELD(c, row, uint64_t) = v;
	return 0;
}

static int set_cpus(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "a number of cpus such as 1.5");
	if (r < 0)
		return r;
	const char *why = "";
	if (nook_parse_cpus(n->value, &c->s->cpu_quota_us, &c->s->cpu_period_us, &why) < 0)
		return nook_node_err(c->err, n, "invalid cpus '%s': %s", n->value, why);
	return 0;
}

static int set_pathlist(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of absolute paths, got %s", kind_name(n));
	char ***f = FIELD(c, row, char **);
	for (size_t i = 0; i < n->n; i++) {
		char *p;
		int r = nook_get_path(c, n->items[i], &p);
		if (r < 0)
			return r;
		nook_strv_push(f, p);
		free(p);
	}
	return 0;
}

/* masked_paths and readonly_paths add to nook's built-in lists */
static int set_masklist(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	char ***f = FIELD(c, row, char **);
	if (!*f && n->tag && strcmp(n->tag, "!reset") == 0) {
		/* `!reset [...]`: the built-in list is dropped too */
		*f = nook_xmalloc(sizeof **f);
	} else if (!*f) {
		const char *const *def = row->off == OFF_MASKED ? nook_default_masked_paths
								: nook_default_readonly_paths;
		for (size_t i = 0; def[i]; i++)
			nook_strv_push(f, def[i]);
	}
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of absolute paths, got %s", kind_name(n));
	for (size_t i = 0; i < n->n; i++) {
		char *p;
		int r = nook_get_path(c, n->items[i], &p);
		if (r < 0)
			return r;
		if (!nook_strv_contains(*f, p))
			nook_strv_push(f, p);
		free(p);
	}
	return 0;
}

static int set_strlist(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of strings, got %s", kind_name(n));
	char ***f = FIELD(c, row, char **);
	nook_strv_free(*f);
	*f = NULL;
	for (size_t i = 0; i < n->n; i++) {
		const char *v;
		int r = nook_get_str(c, n->items[i], &v);
		if (r < 0)
			return r;
		nook_strv_push(f, v);
	}
	if (!*f)
		*f = nook_xmalloc(sizeof(char *)); /* an explicit empty list */
	return 0;
}

static int set_landlock_list(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	c->s->landlock_enabled = true;
	return set_pathlist(c, row, n);
}

/* security.landlock.scope: auto, or a list of scope names ([] = none) */
static int set_landlock_scope(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	(void)row;
	char names[128];
	nook_tbl_list(nook_tbl_ll_scope, names, sizeof names);
	if (n->kind == NOOK_NODE_SCALAR) {
		if (strcmp(n->value, "auto") != 0)
			return nook_node_err(c->err, n, "expected auto or a list of %s, got '%s'", names, n->value);
		c->s->landlock_scope = NOOK_LL_SCOPE_AUTO;
		return 0;
	}
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected auto or a list of %s, got %s", names, kind_name(n));
	int bits = 0;
	for (size_t i = 0; i < n->n; i++) {
		const char *v;
		int val, r = nook_get_str(c, n->items[i], &v);
		if (r < 0)
			return r;
		if (nook_tbl_lookup(nook_tbl_ll_scope, v, &val) < 0)
			return nook_node_err(c->err, n->items[i], "unknown Landlock scope '%s' (known: %s)", v, names);
		bits |= val;
	}
	c->s->landlock_scope = bits;
	return 0;
}

/* ---------------------------------------------------------------- the table */

static const uint64_t lim_id[] = { 0, 65535u * 65536u };
static const uint64_t lim_weight[] = { 1, 10000 };
static const uint64_t lim_pids[] = { 1, 4194304 };
static const uint64_t lim_mtu[] = { 1280, 65520 };

#define OFF(f) offsetof(struct nook_spec, f)

const struct key_row nook_key_table[] = {
	{ "description", nook_set_ignore, 0, NULL, 0 },
	{ "name", nook_set_name, OFF(name), NULL, 0 },
	{ "hostname", nook_set_hostname, OFF(hostname), NULL, 0 },

	{ "namespaces.user", nook_set_ns, 0, NULL, 0 },
	{ "namespaces.mount", nook_set_ns, 0, NULL, 0 },
	{ "namespaces.pid", nook_set_ns, 0, NULL, 0 },
	{ "namespaces.net", nook_set_ns, 0, NULL, 0 },
	{ "namespaces.uts", nook_set_ns, 0, NULL, 0 },
	{ "namespaces.ipc", nook_set_ns, 0, NULL, 0 },
	{ "namespaces.cgroup", nook_set_ns, 0, NULL, 0 },

	{ "user.mode", set_enum, OFF(userns), nook_tbl_userns, 0 },
	{ "user.uid", set_u32, OFF(uid), lim_id, 0 },
	{ "user.gid", set_u32, OFF(gid), lim_id, 0 },
	{ "user.uid_map", nook_set_idmap, 0, NULL, 0 },
	{ "user.gid_map", nook_set_idmap, 0, NULL, 0 },

	{ "rootfs", nook_set_rootfs_scalar, 0, NULL, K_SECTION },
	{ "rootfs.kind", nook_set_rootfs_kind, 0, NULL, 0 },
	{ "rootfs.path", nook_set_rootfs_path, 0, NULL, 0 },
	{ "rootfs.readonly", set_bool, OFF(rootfs.readonly), NULL, 0 },
	{ "rootfs.overlay", nook_set_overlay_null, 0, NULL, K_SECTION },
	{ "rootfs.overlay.lower", nook_set_overlay_lower, OFF(rootfs.lower), NULL, 0 },
	{ "rootfs.overlay.upper", nook_set_overlay_path, OFF(rootfs.upper), NULL, 0 },
	{ "rootfs.overlay.work", nook_set_overlay_path, OFF(rootfs.work), NULL, 0 },
	{ "rootfs.overlay.driver", nook_set_overlay_driver, OFF(rootfs.overlay_driver), NULL, 0 },

	{ "mounts", nook_set_mounts, 0, NULL, 0 },

	{ "process.args", set_strlist, OFF(argv), NULL, K_REPLACE },
	{ "process.env.clear", nook_set_env, 0, NULL, 0 },
	{ "process.env.keep", nook_set_env, 0, NULL, 0 },
	{ "process.env.set", nook_set_env, 0, NULL, K_FREEMAP },
	{ "process.env.unset", nook_set_env, 0, NULL, 0 },
	{ "process.cwd", set_path, OFF(cwd), NULL, 0 },
	{ "process.init", set_bool, OFF(init), NULL, 0 },
	{ "process.new_session", set_bool, OFF(new_session), NULL, 0 },
	{ "process.die_with_parent", set_bool, OFF(die_with_parent), NULL, 0 },
	{ "process.tty", set_bool, OFF(tty), NULL, 0 },
	{ "process.timeout", set_duration, OFF(timeout_ms), NULL, 0 },

	{ "security.capabilities.add", nook_set_caps, OFF(cap_add), NULL, 0 },
	{ "security.capabilities.drop", nook_set_caps, OFF(cap_drop), NULL, 0 },
	{ "security.capabilities.ambient", nook_set_caps, OFF(cap_ambient), NULL, 0 },
	{ "security.seccomp", nook_set_seccomp_profile, 0, NULL, K_SECTION },
	{ "security.seccomp.profile", nook_set_seccomp_profile, 0, NULL, 0 },
	{ "security.seccomp.default_errno", nook_set_errno, OFF(seccomp_default_errno), NULL, 0 },
	{ "security.seccomp.allow_nested_userns", set_bool, OFF(allow_nested_userns), NULL, 0 },
	{ "security.seccomp.rules", nook_set_seccomp_rules, 0, NULL, 0 },
	{ "security.no_new_privileges", set_bool, OFF(no_new_privs), NULL, 0 },
	{ "security.landlock.enabled", set_bool, OFF(landlock_enabled), NULL, 0 },
	{ "security.landlock.read", set_landlock_list, OFF(landlock_read), NULL, 0 },
	{ "security.landlock.write", set_landlock_list, OFF(landlock_write), NULL, 0 },
	{ "security.landlock.execute", set_landlock_list, OFF(landlock_execute), NULL, 0 },
	{ "security.landlock.required", set_bool, OFF(landlock_required), NULL, 0 },
	{ "security.landlock.scope", set_landlock_scope, 0, NULL, 0 },
	{ "security.masked_paths", set_masklist, OFF(masked_paths), NULL, 0 },
	{ "security.readonly_paths", set_masklist, OFF(readonly_paths), NULL, 0 },
	{ "security.rlimits", nook_set_rlimits, 0, NULL, K_FREEMAP },
	{ "security.minimal_dev", nook_set_minimal_dev, OFF(minimal_dev), NULL, 0 },
	{ "security.cgroup_writable", set_bool, OFF(cgroup_writable), NULL, 0 },

	{ "resources.memory", set_size, OFF(memory), NULL, 0 },
	{ "resources.memory_swap", set_size, OFF(memory_swap), "unlimited", 0 },
	{ "resources.cpus", set_cpus, 0, NULL, 0 },
	{ "resources.cpu_weight", set_u64, OFF(cpu_weight), lim_weight, 0 },
	{ "resources.io_weight", set_u64, OFF(io_weight), lim_weight, 0 },
	{ "resources.pids", set_u64, OFF(pids), lim_pids, 0 },
	{ "resources.cpuset.cpus", nook_set_cpulist, OFF(cpuset_cpus), NULL, 0 },
	{ "resources.cpuset.mems", nook_set_cpulist, OFF(cpuset_mems), NULL, 0 },
	{ "resources.required", set_bool, OFF(resources_required), NULL, 0 },
	{ "resources.stats_json", set_path, OFF(stats_json), NULL, 0 },

	{ "network.mode", nook_set_net_mode, OFF(net), nook_tbl_net_mode, 0 },
	{ "network.ports", nook_set_ports, 0, NULL, 0 },
	{ "network.allow_host_loopback", set_bool, OFF(allow_host_loopback), NULL, 0 },
	{ "network.mtu", set_u32, OFF(mtu), lim_mtu, 0 },
	{ NULL, NULL, 0, NULL, 0 },
};

const struct key_row *nook_key_find(const char *path)
{
	for (const struct key_row *r = nook_key_table; r->path; r++)
		if (strcmp(r->path, path) == 0)
			return r;
	return NULL;
}

/* True if some row lies below path ("resources" for "resources.memory"). */
static bool is_section(const char *path)
{
	size_t len = strlen(path);
	for (const struct key_row *r = nook_key_table; r->path; r++)
		if (strncmp(r->path, path, len) == 0 && r->path[len] == '.')
			return true;
	return false;
}

bool nook_key_is_section(const char *path)
{
	const struct key_row *r = nook_key_find(path);
	return is_section(path) && (!r || (r->flags & K_SECTION));
}

enum nook_key_merge nook_key_merge_mode(const char *path)
{
	const struct key_row *r = nook_key_find(path);
	return r && (r->flags & K_REPLACE) ? NOOK_MERGE_REPLACE : NOOK_MERGE_DEFAULT;
}

bool nook_key_is_freemap(const char *path)
{
	const struct key_row *r = nook_key_find(path);
	return r && (r->flags & K_FREEMAP);
}

/* The keys directly below section prefix ("" = top level), deduplicated. */
static size_t child_keys(const char *prefix, const char **out, size_t max)
{
	size_t n = 0, plen = strlen(prefix);
	static char names[128][40];
	for (const struct key_row *r = nook_key_table; r->path; r++) {
		const char *rest;
		if (plen == 0)
			rest = r->path;
		else if (strncmp(r->path, prefix, plen) == 0 && r->path[plen] == '.')
			rest = r->path + plen + 1;
		else
			continue;
		size_t seg = strcspn(rest, ".");
		if (seg == 0 || seg >= sizeof names[0])
			continue;
		bool dup = false;
		for (size_t i = 0; i < n; i++)
			if (strlen(out[i]) == seg && strncmp(out[i], rest, seg) == 0)
				dup = true;
		if (dup || n >= max)
			continue;
		memcpy(names[n], rest, seg);
		names[n][seg] = 0;
		out[n] = names[n];
		n++;
	}
	if (plen == 0 && n < max)
		out[n++] = "extends";
	return n;
}

static int walk(struct kctx *c, const struct nook_node *map, const char *prefix)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct nook_node *key = map->pairs[i].key, *val = map->pairs[i].val;
		_cleanup_free_ char *path = prefix[0] ? nook_asprintf("%s.%s", prefix, key->value)
						      : nook_strdup(key->value);
		const struct key_row *row = nook_key_find(path);
		int r;
		if (row && (row->flags & K_SECTION) && val->kind == NOOK_NODE_MAP) {
			r = walk(c, val, path);
			if (r == 0 && row->set == nook_set_overlay_null)
				r = row->set(c, row, val);
		} else if (row) {
			if (nook_node_is_null(val) && row->set != nook_set_overlay_null)
				continue; /* ~ leaves the default */
			r = row->set(c, row, val);
		} else if (is_section(path)) {
			if (nook_node_is_null(val))
				continue;
			if (val->kind != NOOK_NODE_MAP)
				return nook_node_err(c->err, val, "'%s' is a section: expected a map of keys, got %s",
						     path, kind_name(val));
			r = walk(c, val, path);
		} else {
			const char *cands[128];
			size_t n = child_keys(prefix, cands, 128);
			return nook_unknown_key(c, key, prefix, cands, n);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int nook_keys_apply(const struct nook_node *root, struct nook_spec *s, struct nook_error *err)
{
	struct kctx c = { .s = s, .err = err, .env_clear = -1, .netns = -1 };
	if (root->kind != NOOK_NODE_MAP)
		return nook_node_err(err, root, "a profile is a map of keys, not %s", kind_name(root));
	int r = walk(&c, root, "");
	if (r == 0)
		r = nook_keys_finish(&c);
	nook_kctx_free(&c);
	return r;
}
