/* SPDX-License-Identifier: GPL-2.0-or-later */
/* read.c - reading typed values out of a profile's YAML tree: the name
 * tables (namespaces, mount types, errno names, ...), scalars (booleans,
 * numbers, strings, absolute paths, enums) and the "unknown key, did you
 * mean" errors. Used by the generic setters (keys.c), the custom ones
 * (values.c) and the emitters (emit.c); it knows nothing of the key table. */
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
	{ "slirp", NOOK_NET_SLIRP }, { "pasta", NOOK_NET_PASTA },
	{ "slirp4netns", NOOK_NET_SLIRP }, /* podman's name */ { NULL, 0 },
};
const struct nook_name_val nook_tbl_wl_secctx[] = {
	{ "auto", NOOK_WL_SECCTX_AUTO }, { "required", NOOK_WL_SECCTX_REQUIRED },
	{ "off", NOOK_WL_SECCTX_OFF }, { NULL, 0 },
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

/* A later name for a value an earlier entry has: an alias (accepted,
 * never listed). */
static bool tbl_alias(const struct nook_name_val *t, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (t[j].val == t[i].val)
			return true;
	return false;
}

/* "'a', 'b' or 'c'" for error messages */
void nook_tbl_list(const struct nook_name_val *t, char *buf, size_t size)
{
	size_t n = 0, len = 0, shown = 0;
	for (const struct nook_name_val *p = t; p->name; p++)
		n += !tbl_alias(t, (size_t)(p - t));
	buf[0] = 0;
	for (size_t i = 0; t[i].name && len < size; i++) {
		if (tbl_alias(t, i))
			continue;
		const char *sep = shown == 0 ? "" : shown + 1 == n ? " or " : ", ";
		shown++;
		int w = snprintf(buf + len, size - len, "%s'%s'", sep, t[i].name);
		if (w < 0)
			break;
		len += (size_t)w;
	}
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

const char *nook_node_kind_name(const struct nook_node *n)
{
	return n->kind == NOOK_NODE_MAP ? "a map" : n->kind == NOOK_NODE_SEQ ? "a list" : "a single value";
}

int nook_want_scalar(struct kctx *c, const struct nook_node *n, const char *what)
{
	if (n->kind == NOOK_NODE_SCALAR)
		return 0;
	return nook_node_err(c->err, n, "expected %s, got %s", what, nook_node_kind_name(n));
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
	const char *cands[64];
	size_t nc = 0;
	for (const struct nook_name_val *e = t; e->name && nc < 64; e++)
		cands[nc++] = e->name;
	const char *hint = nook_suggest(n->value, cands, nc);
	if (hint)
		return nook_node_err(c->err, n, "unknown value '%s' (did you mean '%s'? expected %s)", n->value,
				     hint, list);
	return nook_node_err(c->err, n, "unknown value '%s' (expected %s)", n->value, list);
}
