/* SPDX-License-Identifier: GPL-2.0-or-later */
/* values.c - setters for profile values with a shape of their own:
 * names, namespaces, id maps, rootfs, mounts, env, capabilities, seccomp,
 * rlimits, cpu lists, network ports; and the checks that need the whole
 * profile (nook_keys_finish). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/net.h"
#include "nook/profile.h"
#include "nook/security.h"
#include "nook/util.h"
#include "keys.h"

#define FIELD(c, row, type) ((type *)((char *)(c)->s + (row)->off))

/* true (the default): the standard device nodes only; false: the host's
 * /dev (devfs.c). */
int nook_set_minimal_dev(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	bool b;
	(void)row;
	int r = nook_get_bool(c, n, &b);
	if (r < 0)
		return r;
	c->s->minimal_dev = b;
	return 0;
}

int nook_set_ignore(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	return nook_want_scalar(c, n, "a string");
}

static bool name_char(char ch, bool first)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (!first && (ch == '_' || ch == '.' || ch == '-'));
}

int nook_set_name(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const char *v;
	int r = nook_get_str(c, n, &v);
	if (r < 0)
		return r;
	size_t len = strlen(v);
	bool ok = len > 0 && len <= 64;
	for (size_t i = 0; ok && i < len; i++)
		ok = name_char(v[i], i == 0);
	if (!ok)
		return nook_node_err(c->err, n, "invalid name '%s' (1-64 letters, digits, '_', '.', '-'; starting with a letter or digit)", v);
	free(c->s->name);
	c->s->name = nook_strdup(v);
	return 0;
}

int nook_set_hostname(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const char *v;
	int r = nook_get_str(c, n, &v);
	if (r < 0)
		return r;
	if (!nook_hostname_valid(v))
		return nook_node_err(c->err, n, "invalid hostname '%s' (" NOOK_HOSTNAME_RULE ")", v);
	free(c->s->hostname);
	c->s->hostname = nook_strdup(v);
	return 0;
}

int nook_set_ns(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	bool on;
	int flag = 0, r = nook_get_bool(c, n, &on);
	if (r < 0)
		return r;
	const char *name = strrchr(row->path, '.') + 1;
	nook_tbl_lookup(nook_tbl_ns, name, &flag);
	if (!on && (flag == CLONE_NEWUSER || flag == CLONE_NEWNS))
		return nook_node_err(c->err, n, "nook always creates a new %s namespace; it cannot be turned off", name);
	if (flag == CLONE_NEWNET) {
		c->netns = on;
		c->netns_node = n;
	}
	if (on)
		c->s->ns_flags |= (unsigned long)flag;
	else
		c->s->ns_flags &= ~(unsigned long)flag;
	return 0;
}

/* ---------------------------------------------------------------- user */

int nook_set_idmap(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	bool gid = strcmp(row->path, "user.gid_map") == 0;
	struct nook_idmap **maps = gid ? &c->s->gid_maps : &c->s->uid_maps;
	size_t *count = gid ? &c->s->n_gid_maps : &c->s->n_uid_maps;
	static const char *const keys[] = { "inside", "outside", "count", NULL };
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of {inside, outside, count} maps");
	if (n->n > 8)
		return nook_node_err(c->err, n, "at most 8 id map lines are supported, got %zu", n->n);
	free(*maps);
	*maps = nook_xmalloc((n->n ? n->n : 1) * sizeof **maps);
	*count = 0;
	for (size_t i = 0; i < n->n; i++) {
		const struct nook_node *it = n->items[i];
		uint64_t v[3];
		if (it->kind != NOOK_NODE_MAP)
			return nook_node_err(c->err, it, "expected a map {inside: N, outside: N, count: N}");
		int r = nook_check_keys(c, it, row->path, keys);
		if (r < 0)
			return r;
		for (int k = 0; k < 3; k++) {
			const struct nook_node *x = nook_map_get(it, keys[k]);
			if (!x)
				return nook_node_err(c->err, it, "id map line needs '%s'", keys[k]);
			r = nook_get_u64(c, x, k == 2 ? 1 : 0, k == 2 ? 4294967295u : 4294967294u, &v[k]);
			if (r < 0)
				return r;
		}
		if (v[0] + v[2] > 4294967295u || v[1] + v[2] > 4294967295u)
			return nook_node_err(c->err, it, "id map range goes past 4294967295");
		(*maps)[i] = (struct nook_idmap){ v[0], v[1], v[2] };
		(*count)++;
	}
	return 0;
}

/* ---------------------------------------------------------------- rootfs */

int nook_set_rootfs_scalar(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "'empty', 'host', a directory or a map");
	if (r < 0)
		return r;
	if (strcmp(n->value, "empty") == 0 || strcmp(n->value, "host") == 0) {
		int kind;
		nook_tbl_lookup(nook_tbl_rootfs_kind, n->value, &kind);
		c->s->rootfs.kind = kind;
		c->rootfs_kind_set = true;
		c->rootfs_kind_node = n;
		return 0;
	}
	if (n->value[0] != '/')
		return nook_node_err(c->err, n, "rootfs: expected 'empty', 'host', an absolute directory or a map, got '%s'",
				     n->value);
	return nook_set_rootfs_path(c, row, n);
}

int nook_set_rootfs_kind(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int kind;
	int r = nook_get_enum(c, n, nook_tbl_rootfs_kind, &kind);
	if (r < 0)
		return r;
	c->s->rootfs.kind = kind;
	c->rootfs_kind_set = true;
	c->rootfs_kind_node = n;
	return 0;
}

int nook_set_rootfs_path(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	char *p;
	int r = nook_get_path(c, n, &p);
	if (r < 0)
		return r;
	free(c->s->rootfs.path);
	c->s->rootfs.path = p;
	c->rootfs_path_node = n;
	return 0;
}

/* rootfs.image: a reference checked when the container starts (the
 * store is image/'s; the profile only carries the name) */
int nook_set_rootfs_image(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "an image reference (e.g. debian:bookworm)");
	if (r < 0)
		return r;
	if (!n->value[0] || strspn(n->value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@") != strlen(n->value))
		return nook_node_err(c->err, n, "rootfs.image: '%s' is not an image reference (e.g. debian:bookworm)", n->value);
	free(c->s->rootfs.image);
	c->s->rootfs.image = nook_strdup(n->value);
	c->rootfs_image_node = n;
	return 0;
}

int nook_set_overlay_null(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind == NOOK_NODE_SCALAR && !nook_node_is_null(n))
		return nook_node_err(c->err, n, "overlay: expected a map (lower, upper, work, driver) or {}");
	c->overlay_seen = true;
	return 0;
}

int nook_set_overlay_lower(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of absolute paths (top layer first)");
	for (size_t i = 0; i < n->n; i++) {
		char *p;
		int r = nook_get_path(c, n->items[i], &p);
		if (r < 0)
			return r;
		nook_strv_push(&c->s->rootfs.lower, p);
		free(p);
	}
	c->overlay_seen = true;
	return 0;
}

/* an absolute path into the row's char * field */
int nook_set_path(struct kctx *c, const struct key_row *row, const struct nook_node *n)
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

int nook_set_overlay_path(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_set_path(c, row, n);
	if (r < 0)
		return r;
	c->overlay_seen = true;
	return 0;
}

int nook_set_overlay_driver(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "'kernel', 'fuse' or 'auto'");
	if (r < 0)
		return r;
	const char *v = n->value;
	if (strcmp(v, "kernel") && strcmp(v, "fuse") && strcmp(v, "auto"))
		return nook_node_err(c->err, n, "unknown overlay driver '%s' (expected 'kernel', 'fuse' or 'auto')", v);
	free(c->s->rootfs.overlay_driver);
	c->s->rootfs.overlay_driver = strcmp(v, "auto") ? nook_strdup(v) : NULL;
	c->overlay_seen = true;
	return 0;
}

/* ---------------------------------------------------------------- mounts */

static int parse_mode(struct kctx *c, const struct nook_node *n, int *out)
{
	int r = nook_want_scalar(c, n, "an octal mode such as 0755");
	if (r < 0)
		return r;
	const char *v = n->value;
	if (v[0] == '0' && (v[1] == 'o' || v[1] == 'O'))
		v += 2;
	unsigned long m = 0;
	if (!*v || strlen(v) > 5)
		return nook_node_err(c->err, n, "invalid mode '%s' (expected octal such as 0755)", n->value);
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '7')
			return nook_node_err(c->err, n, "invalid mode '%s' (expected octal such as 0755)", n->value);
		m = m * 8 + (unsigned long)(*p - '0');
	}
	if (m > 07777)
		return nook_node_err(c->err, n, "mode '%s' is larger than 07777", n->value);
	*out = (int)m;
	return 0;
}

static int parse_mount(struct kctx *c, const struct nook_node *it, struct nook_mount *m)
{
	static const char *const keys[] = { "type", "source", "target", "content", "options",
					    "size", "mode", "readonly", "optional", NULL };
	const struct nook_node *x;
	int r, type;
	if (it->kind != NOOK_NODE_MAP)
		return nook_node_err(c->err, it, "a mount is a map such as {type: bind, source: /a, target: /b}");
	r = nook_check_keys(c, it, "mounts", keys);
	if (r < 0)
		return r;
	x = nook_map_get(it, "type");
	if (!x)
		return nook_node_err(c->err, it, "mount needs a 'type' (bind, ro-bind, dev-bind, tmpfs, proc, dir, symlink or file)");
	r = nook_get_enum(c, x, nook_tbl_mount_type, &type);
	if (r < 0)
		return r;
	m->type = type;
	m->readonly = type == NOOK_MOUNT_RO_BIND;
	bool bindlike = nook_mount_is_bind(type);
	const char *tname = nook_tbl_name(nook_tbl_mount_type, type);

	x = nook_map_get(it, "target");
	if (!x || nook_node_is_null(x))
		return nook_node_err(c->err, it, "%s mount needs a 'target' (an absolute path in the container)", tname);
	if ((r = nook_get_path(c, x, &m->target)) < 0)
		return r;
	/* the target is normalised ("/..", "/a/../" become "/"): none may
	 * cover the container's whole root */
	if (strcmp(m->target, "/") == 0)
		return nook_node_err(c->err, x, "%s mount on '%s' would cover the container's whole root (that is /; choose the root with rootfs:)",
				     tname, x->value);

	x = nook_map_get(it, "source");
	if (bindlike || type == NOOK_MOUNT_SYMLINK) {
		if (!x || nook_node_is_null(x))
			return nook_node_err(c->err, it, "%s mount on %s needs a 'source'", tname, m->target);
		if (bindlike) {
			if ((r = nook_get_path(c, x, &m->source)) < 0)
				return r;
		} else {
			const char *v;
			if ((r = nook_get_str(c, x, &v)) < 0)
				return r;
			if (!v[0])
				return nook_node_err(c->err, x, "symlink source (the link's target) is empty");
			m->source = nook_strdup(v);
		}
	} else if (x) {
		return nook_node_err(c->err, x, "a %s mount takes no 'source'", tname);
	}

	x = nook_map_get(it, "content");
	if (type == NOOK_MOUNT_FILE) {
		const char *v;
		if (!x)
			return nook_node_err(c->err, it, "file mount on %s needs a 'content'", m->target);
		if ((r = nook_get_str(c, x, &v)) < 0)
			return r;
		m->content = nook_strdup(v);
	} else if (x) {
		return nook_node_err(c->err, x, "'content' is only for file mounts");
	}

	x = nook_map_get(it, "size");
	if (x && type != NOOK_MOUNT_TMPFS)
		return nook_node_err(c->err, x, "'size' is only for tmpfs mounts");
	if (x) {
		const char *why = "";
		if ((r = nook_want_scalar(c, x, "a size such as 64M")) < 0)
			return r;
		if (nook_parse_size(x->value, &m->size, &why) < 0)
			return nook_node_err(c->err, x, "invalid size '%s': %s", x->value, why);
	}
	x = nook_map_get(it, "options");
	if (x) {
		const char *v;
		if ((r = nook_get_str(c, x, &v)) < 0)
			return r;
		m->options = nook_strdup(v);
	}
	m->mode = -1;
	x = nook_map_get(it, "mode");
	if (x && (r = parse_mode(c, x, &m->mode)) < 0)
		return r;
	x = nook_map_get(it, "readonly");
	if (x && (r = nook_get_bool(c, x, &m->readonly)) < 0)
		return r;
	if (type == NOOK_MOUNT_RO_BIND && !m->readonly)
		return nook_node_err(c->err, x, "ro-bind with readonly: false; use type: bind instead");
	x = nook_map_get(it, "optional");
	if (x && (r = nook_get_bool(c, x, &m->optional)) < 0)
		return r;
	return 0;
}

int nook_set_mounts(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "mounts: expected a list of mounts");
	for (size_t i = 0; i < n->n; i++) {
		struct nook_mount m = { 0 };
		int r = parse_mount(c, n->items[i], &m);
		if (r < 0) {
			free(m.source);
			free(m.target);
			free(m.content);
			free(m.options);
			return r;
		}
		struct nook_spec *s = c->s;
		s->mounts = nook_xrealloc(s->mounts, (s->n_mounts + 1) * sizeof *s->mounts);
		s->mounts[s->n_mounts++] = m;
	}
	return 0;
}

/* ---------------------------------------------------------------- env */

/* What execve and every libc accept as a variable name: not empty, no '='
 * (podman and bwrap take "A-B" too; a host environment may hold names like
 * "BASH_FUNC_f%%" that `env.clear: false` passes on), and no blanks or
 * control characters, which are always a mistake. */
static bool env_name_ok(const char *s, bool pattern)
{
	(void)pattern;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s == '=' || (unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

static int env_names(struct kctx *c, const struct nook_node *n, char ***out)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of variable names (patterns like LC_* allowed)");
	for (size_t i = 0; i < n->n; i++) {
		const char *v;
		int r = nook_get_str(c, n->items[i], &v);
		if (r < 0)
			return r;
		if (!env_name_ok(v, true))
			return nook_node_err(c->err, n->items[i], "invalid variable name '%s'", v);
		nook_strv_push(out, v);
	}
	return 0;
}

int nook_set_env(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const char *leaf = strrchr(row->path, '.') + 1;
	if (strcmp(leaf, "clear") == 0) {
		bool b;
		int r = nook_get_bool(c, n, &b);
		if (r == 0)
			c->env_clear = b;
		return r;
	}
	if (strcmp(leaf, "keep") == 0)
		return env_names(c, n, &c->env_keep);
	if (strcmp(leaf, "unset") == 0)
		return env_names(c, n, &c->env_unset);
	/* set: NAME: value */
	if (n->kind != NOOK_NODE_MAP)
		return nook_node_err(c->err, n, "process.env.set: expected a map of NAME: value");
	size_t have = nook_strv_len(c->env_set);
	c->env_set = nook_xrealloc(c->env_set, (have + n->n + 1) * sizeof *c->env_set);
	c->env_set[have] = NULL;
	for (size_t i = 0; i < n->n; i++) {
		const struct nook_node *k = n->pairs[i].key, *v = n->pairs[i].val;
		if (!env_name_ok(k->value, false))
			return nook_node_err(c->err, k, "invalid environment variable name '%s'", k->value);
		if (v->kind != NOOK_NODE_SCALAR || nook_node_is_null(v))
			return nook_node_err(c->err, v, "value of %s must be a string (write \"\" for an empty one)",
					     k->value);
		c->env_set[have++] = nook_asprintf("%s=%s", k->value, v->value);
		c->env_set[have] = NULL;
	}
	return 0;
}

static bool env_matches(char *const *patterns, const char *entry)
{
	size_t len = strcspn(entry, "=");
	char name[256];
	if (len >= sizeof name)
		return false;
	memcpy(name, entry, len);
	name[len] = 0;
	for (size_t i = 0; patterns && patterns[i]; i++)
		if (fnmatch(patterns[i], name, 0) == 0)
			return true;
	return false;
}

extern char **environ;

static void build_env(struct kctx *c)
{
	char **env = NULL;
	bool clear = c->env_clear != 0; /* default: start from nothing */
	size_t n = nook_strv_len(environ), k = 0;
	_cleanup_free_ char **from = nook_xmalloc((n + 1) * sizeof *from);
	for (size_t i = 0; i < n; i++) {
		if (!strchr(environ[i], '='))
			continue;
		if (!clear || env_matches(c->env_keep, environ[i]))
			from[k++] = environ[i];
	}
	from[k] = NULL;
	/* linear: thousands of -e NAME=VALUE must not take seconds */
	nook_env_set_all(&env, from);
	nook_env_set_all(&env, c->env_set);
	if (c->env_unset) {
		size_t j = 0;
		for (size_t i = 0; env && env[i]; i++) {
			if (env_matches(c->env_unset, env[i]))
				free(env[i]);
			else
				env[j++] = env[i];
		}
		if (env)
			env[j] = NULL;
	}
	bool has_path = false;
	for (size_t i = 0; env && env[i]; i++)
		has_path |= strncmp(env[i], "PATH=", 5) == 0;
	if (!has_path)
		nook_env_set(&env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	nook_strv_free(c->s->env);
	c->s->env = env;
	/* one allocation: thousands of -e must stay linear */
	nook_strv_free(c->s->env_set_names);
	size_t ns = nook_strv_len(c->env_set);
	char **names = nook_xmalloc((ns + 1) * sizeof *names);
	for (size_t i = 0; i < ns; i++)
		names[i] = nook_asprintf("%.*s", (int)strcspn(c->env_set[i], "="), c->env_set[i]);
	names[ns] = NULL;
	c->s->env_set_names = names;
}

/* ---------------------------------------------------------------- security */

int nook_set_caps(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of capability names such as [NET_ADMIN]");
	char ***f = FIELD(c, row, char **);
	for (size_t i = 0; i < n->n; i++) {
		const char *v;
		int r = nook_get_str(c, n->items[i], &v);
		if (r < 0)
			return r;
		if (strncasecmp(v, "CAP_", 4) == 0)
			v += 4;
		char upper[64], lower[70];
		size_t len = strlen(v);
		if (len == 0 || len >= sizeof upper)
			return nook_node_err(c->err, n->items[i], "unknown capability '%s'", n->items[i]->value);
		for (size_t k = 0; k <= len; k++) {
			char ch = v[k];
			upper[k] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
		}
		snprintf(lower, sizeof lower, "cap_%s", v);
		for (char *p = lower; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		cap_value_t cv;
		if (strcmp(upper, "ALL") != 0 && cap_from_name(lower, &cv) != 0)
			return nook_node_err(c->err, n->items[i], "unknown capability '%s' (see capabilities(7))",
					     n->items[i]->value);
		if (!nook_strv_contains(*f, upper))
			nook_strv_push(f, upper);
	}
	return 0;
}

int nook_set_seccomp_profile(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = nook_want_scalar(c, n, "'default', 'unconfined' or a file");
	if (r < 0)
		return r;
	const char *v = n->value;
	free(c->s->seccomp_file);
	c->s->seccomp_file = NULL;
	if (strcmp(v, "default") == 0) {
		c->s->seccomp = NOOK_SECCOMP_DEFAULT;
		return 0;
	}
	if (strcmp(v, "unconfined") == 0) {
		c->s->seccomp = NOOK_SECCOMP_UNCONFINED;
		return 0;
	}
	if (!v[0])
		return nook_node_err(c->err, n, "seccomp: expected 'default', 'unconfined' or a file");
	if (!strchr(v, '/') && !strstr(v, ".json"))
		return nook_node_err(c->err, n, "unknown seccomp profile '%s' (expected 'default', 'unconfined' or a JSON file path)", v);
	char *path;
	if (v[0] == '/') {
		path = nook_path_normalize(v);
	} else if (n->line) {
		/* relative to the profile file */
		_cleanup_free_ char *d = nook_strdup(n->origin);
		path = nook_path_join(dirname(d), v);
	} else {
		char cwd[4096];
		if (!getcwd(cwd, sizeof cwd))
			return nook_node_err(c->err, n, "cannot resolve relative path '%s'", v);
		path = nook_path_join(cwd, v);
	}
	int fd = nook_open_regular(AT_FDCWD, path);
	if (fd < 0) {
		r = nook_node_err(c->err, n, "cannot read seccomp profile %s: %s", path, nook_file_strerror(fd));
		free(path);
		return r;
	}
	close(fd);
	c->s->seccomp = NOOK_SECCOMP_FILE;
	c->s->seccomp_file = path;
	return 0;
}

static int get_errno(struct kctx *c, const struct nook_node *n, int *out)
{
	int r = nook_want_scalar(c, n, "an errno name such as EPERM");
	if (r < 0)
		return r;
	if (nook_tbl_lookup(nook_tbl_errno, n->value, out) == 0)
		return 0;
	uint64_t v;
	if (n->value[0] >= '0' && n->value[0] <= '9') {
		r = nook_get_u64(c, n, 1, 4095, &v);
		if (r == 0)
			*out = (int)v;
		return r;
	}
	return nook_node_err(c->err, n, "unknown errno '%s' (use a name such as EPERM or ENOSYS, or a number)",
			     n->value);
}

int nook_set_errno(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	return get_errno(c, n, FIELD(c, row, int));
}

static int parse_rule_arg(struct kctx *c, const struct nook_node *it, struct nook_seccomp_arg *a)
{
	static const char *const keys[] = { "index", "op", "value", "value2", NULL };
	uint64_t v;
	int op, r;
	if (it->kind != NOOK_NODE_MAP)
		return nook_node_err(c->err, it, "expected {index, op, value, value2}");
	if ((r = nook_check_keys(c, it, "seccomp rule args", keys)) < 0)
		return r;
	const struct nook_node *x = nook_map_get(it, "index");
	if (!x)
		return nook_node_err(c->err, it, "seccomp argument needs an 'index' (0-5)");
	if ((r = nook_get_u64(c, x, 0, 5, &v)) < 0)
		return r;
	a->index = (unsigned)v;
	x = nook_map_get(it, "op");
	if (!x)
		return nook_node_err(c->err, it, "seccomp argument needs an 'op'");
	if ((r = nook_get_enum(c, x, nook_tbl_scmp_op, &op)) < 0)
		return r;
	a->op = op;
	x = nook_map_get(it, "value");
	if (!x)
		return nook_node_err(c->err, it, "seccomp argument needs a 'value'");
	if ((r = nook_get_u64(c, x, 0, UINT64_MAX - 1, &a->value)) < 0)
		return r;
	x = nook_map_get(it, "value2");
	if (x && (r = nook_get_u64(c, x, 0, UINT64_MAX - 1, &a->value2)) < 0)
		return r;
	return 0;
}

static int parse_rule(struct kctx *c, const struct nook_node *it, struct nook_seccomp_rule *rule)
{
	static const char *const keys[] = { "syscalls", "action", "errno", "args", NULL };
	int r, act;
	if (it->kind != NOOK_NODE_MAP)
		return nook_node_err(c->err, it, "a seccomp rule is a map {syscalls: [...], action: errno}");
	if ((r = nook_check_keys(c, it, "seccomp rules", keys)) < 0)
		return r;
	const struct nook_node *x = nook_map_get(it, "syscalls");
	if (!x || x->kind != NOOK_NODE_SEQ || x->n == 0)
		return nook_node_err(c->err, x ? x : it, "seccomp rule needs 'syscalls': a list of syscall names");
	for (size_t i = 0; i < x->n; i++) {
		const char *name;
		if ((r = nook_get_str(c, x->items[i], &name)) < 0)
			return r;
		if (!nook_sc_name_known(name))
			return nook_node_err(c->err, x->items[i], "unknown system call '%s'", name);
		nook_strv_push(&rule->names, name);
	}
	x = nook_map_get(it, "action");
	if (!x)
		return nook_node_err(c->err, it, "seccomp rule needs an 'action' (allow, errno, kill, log or trap)");
	if ((r = nook_get_enum(c, x, nook_tbl_scmp_action, &act)) < 0)
		return r;
	rule->action = act;
	x = nook_map_get(it, "errno");
	if (x && act != NOOK_SCMP_ERRNO)
		return nook_node_err(c->err, x, "'errno' only goes with action: errno");
	if (x && (r = get_errno(c, x, &rule->errno_ret)) < 0)
		return r;
	x = nook_map_get(it, "args");
	if (x) {
		if (x->kind != NOOK_NODE_SEQ || x->n > 6)
			return nook_node_err(c->err, x, "args: expected a list of at most 6 argument checks");
		rule->args = nook_xmalloc((x->n ? x->n : 1) * sizeof *rule->args);
		for (size_t i = 0; i < x->n; i++) {
			if ((r = parse_rule_arg(c, x->items[i], &rule->args[i])) < 0)
				return r;
			rule->n_args++;
		}
	}
	return 0;
}

int nook_set_seccomp_rules(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "seccomp rules: expected a list of rules");
	struct nook_spec *s = c->s;
	for (size_t i = 0; i < n->n; i++) {
		s->seccomp_rules = nook_xrealloc(s->seccomp_rules, (s->n_seccomp_rules + 1) * sizeof *s->seccomp_rules);
		struct nook_seccomp_rule *rule = &s->seccomp_rules[s->n_seccomp_rules++];
		memset(rule, 0, sizeof *rule);
		int r = parse_rule(c, n->items[i], rule);
		if (r < 0)
			return r;
	}
	return 0;
}

static int rlimit_value(struct kctx *c, const struct nook_node *n, uint64_t *out)
{
	int r = nook_want_scalar(c, n, "a number or 'unlimited'");
	if (r < 0)
		return r;
	if (strcmp(n->value, "unlimited") == 0 || strcmp(n->value, "infinity") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	const char *why = "";
	if (nook_parse_size(n->value, out, &why) < 0)
		return nook_node_err(c->err, n, "invalid limit '%s' (expected a number, a size such as 8M, or 'unlimited')",
				     n->value);
	return 0;
}

int nook_set_rlimits(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_MAP)
		return nook_node_err(c->err, n, "rlimits: expected a map such as {nofile: 1024}");
	for (size_t i = 0; i < n->n; i++) {
		const struct nook_node *k = n->pairs[i].key, *v = n->pairs[i].val;
		int res, r;
		if (nook_tbl_lookup(nook_tbl_rlimit, k->value, &res) < 0) {
			const char *cands[32];
			size_t nc = 0;
			for (const struct nook_name_val *t = nook_tbl_rlimit; t->name; t++)
				cands[nc++] = t->name;
			return nook_unknown_key(c, k, "security.rlimits", cands, nc);
		}
		uint64_t soft, hard;
		if (v->kind == NOOK_NODE_MAP) {
			static const char *const keys[] = { "soft", "hard", NULL };
			if ((r = nook_check_keys(c, v, k->value, keys)) < 0)
				return r;
			const struct nook_node *s = nook_map_get(v, "soft"), *h = nook_map_get(v, "hard");
			if (!s || !h)
				return nook_node_err(c->err, v, "rlimit %s needs both 'soft' and 'hard'", k->value);
			if ((r = rlimit_value(c, s, &soft)) < 0 || (r = rlimit_value(c, h, &hard)) < 0)
				return r;
			if (soft > hard)
				return nook_node_err(c->err, v, "rlimit %s: soft limit is above the hard limit", k->value);
		} else {
			if ((r = rlimit_value(c, v, &soft)) < 0)
				return r;
			hard = soft;
		}
		struct nook_spec *s = c->s;
		size_t j;
		for (j = 0; j < s->n_rlimits; j++)
			if (s->rlimits[j].resource == res)
				break;
		if (j == s->n_rlimits) {
			s->rlimits = nook_xrealloc(s->rlimits, (s->n_rlimits + 1) * sizeof *s->rlimits);
			s->n_rlimits++;
		}
		s->rlimits[j] = (struct nook_rlimit){ res, soft, hard };
	}
	return 0;
}

int nook_set_cpulist(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const char *v;
	int r = nook_get_str(c, n, &v);
	if (r < 0)
		return r;
	/* N or N-M, comma separated */
	const char *p = v;
	bool ok = *p != 0;
	while (ok && *p) {
		unsigned long a = 0, b;
		if (*p < '0' || *p > '9') { ok = false; break; }
		while (*p >= '0' && *p <= '9' && a < 100000)
			a = a * 10 + (unsigned long)(*p++ - '0');
		b = a;
		if (*p == '-') {
			p++;
			if (*p < '0' || *p > '9') { ok = false; break; }
			b = 0;
			while (*p >= '0' && *p <= '9' && b < 100000)
				b = b * 10 + (unsigned long)(*p++ - '0');
		}
		if (b < a || a >= 100000 || b >= 100000)
			ok = false;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			ok = false;
	}
	if (!ok)
		return nook_node_err(c->err, n, "invalid cpu list '%s' (expected such as 0-3,6)", v);
	char **f = FIELD(c, row, char *);
	free(*f);
	*f = nook_strdup(v);
	return 0;
}

/* ---------------------------------------------------------------- network */

int nook_set_net_mode(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int v;
	int r = nook_get_enum(c, n, nook_tbl_net_mode, &v);
	if (r < 0)
		return r;
	c->s->net = v;
	c->netmode_node = n;
	return 0;
}

/* The string form has one grammar, the networking module's. */
static int parse_port_string(struct kctx *c, const struct nook_node *n, struct nook_port *p)
{
	char why[256] = "invalid port";
	if (nook_port_parse(n->value, p, why, sizeof why) < 0)
		return nook_node_err(c->err, n, "%s", why);
	return 0;
}

int nook_set_ports(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "ports: expected a list such as [\"8080:80\"]");
	struct nook_spec *s = c->s;
	c->ports_node = n;
	for (size_t i = 0; i < n->n; i++) {
		const struct nook_node *it = n->items[i];
		struct nook_port p = { 0 };
		int r;
		if (it->kind == NOOK_NODE_SCALAR) {
			r = parse_port_string(c, it, &p);
		} else if (it->kind == NOOK_NODE_MAP) {
			static const char *const keys[] = { "host_addr", "host_port", "container_port", "protocol", NULL };
			uint64_t v;
			const struct nook_node *x;
			r = nook_check_keys(c, it, "network.ports", keys);
			if (r == 0 && !(x = nook_map_get(it, "container_port")))
				r = nook_node_err(c->err, it, "port needs 'container_port'");
			if (r == 0 && (r = nook_get_u64(c, x, 1, 65535, &v)) == 0)
				p.container_port = p.host_port = (unsigned)v;
			if (r == 0 && (x = nook_map_get(it, "host_port")) &&
			    (r = nook_get_u64(c, x, 1, 65535, &v)) == 0)
				p.host_port = (unsigned)v;
			if (r == 0 && (x = nook_map_get(it, "protocol"))) {
				if ((r = nook_want_scalar(c, x, "tcp or udp")) == 0 && strcmp(x->value, "tcp") &&
				    strcmp(x->value, "udp"))
					r = nook_node_err(c->err, x, "unknown protocol '%s' (tcp or udp)", x->value);
				if (r == 0)
					p.udp = strcmp(x->value, "udp") == 0;
			}
			if (r == 0 && (x = nook_map_get(it, "host_addr"))) {
				struct in_addr a;
				if ((r = nook_want_scalar(c, x, "an IPv4 address")) == 0 &&
				    inet_pton(AF_INET, x->value, &a) != 1)
					r = nook_node_err(c->err, x, "invalid IPv4 address '%s'", x->value);
				if (r == 0)
					p.host_addr = nook_strdup(x->value);
			}
		} else {
			r = nook_node_err(c->err, it, "a port is \"[ADDR:]HOSTPORT:PORT[/udp]\" or a map");
		}
		if (r < 0) {
			free(p.host_addr);
			return r;
		}
		if (!p.host_addr)
			p.host_addr = nook_strdup("127.0.0.1");
		s->ports = nook_xrealloc(s->ports, (s->n_ports + 1) * sizeof *s->ports);
		s->ports[s->n_ports++] = p;
	}
	return 0;
}

/* ---------------------------------------------------------------- finish */

/* A rootfs directory that is the host's / after normalisation ("DIR/../..")
 * or through a symlink: stat both (a path that does not exist is not /; the
 * run says it is missing). */
static bool is_host_root(const char *path)
{
	struct stat a, b;
	if (strcmp(path, "/") == 0)
		return true;
	return stat(path, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int nook_keys_finish(struct kctx *c)
{
	struct nook_spec *s = c->s;
	struct nook_rootfs *rf = &s->rootfs;

	/* rootfs kind: explicit, or overlay if overlay keys, or dir if a path */
	if (rf->image) {
		if (c->rootfs_kind_set && rf->kind != NOOK_ROOTFS_OVERLAY)
			return nook_node_err(c->err, c->rootfs_image_node, "rootfs.image needs rootfs kind 'overlay' (or no kind)");
		if (rf->lower)
			return nook_node_err(c->err, c->rootfs_image_node, "rootfs.image cannot be combined with "
					     "rootfs.overlay.lower (the image's layers are the lower layers)");
		/* the image takes the place of a directory (the ci profile's) */
		free(rf->path);
		rf->path = NULL;
		rf->kind = NOOK_ROOTFS_OVERLAY;
		c->rootfs_kind_set = true;
	}
	if (!c->rootfs_kind_set) {
		if (c->overlay_seen)
			rf->kind = NOOK_ROOTFS_OVERLAY;
		else if (rf->path)
			rf->kind = NOOK_ROOTFS_DIR;
	}
	switch (rf->kind) {
	case NOOK_ROOTFS_DIR:
		if (!rf->path)
			return nook_node_err(c->err, c->rootfs_kind_node, "rootfs kind 'dir' needs rootfs.path");
		/* "/" written as such is a choice (dev's NOOK_DEV_ROOTFS=/);
		 * reaching it through ".." or a symlink is a silent surprise */
		if (is_host_root(rf->path) && c->rootfs_path_node && strcmp(c->rootfs_path_node->value, "/") != 0)
			return nook_node_err(c->err, c->rootfs_path_node,
					     "rootfs '%s' is the host's / (write rootfs: host to run on the host's root)",
					     c->rootfs_path_node ? c->rootfs_path_node->value : rf->path);
		break;
	case NOOK_ROOTFS_OVERLAY:
		/* the path is the bottom layer; the spec keeps it there only */
		if (rf->path) {
			nook_strv_push(&rf->lower, rf->path);
			free(rf->path);
			rf->path = NULL;
		}
		if (!rf->lower && !rf->image)
			return nook_node_err(c->err, c->rootfs_kind_node, "an overlay rootfs needs rootfs.path or rootfs.overlay.lower");
		if (rf->work && !rf->upper)
			return nook_node_err(c->err, c->rootfs_kind_node, "rootfs.overlay.work needs rootfs.overlay.upper");
		break;
	case NOOK_ROOTFS_HOST:
	case NOOK_ROOTFS_EMPTY:
		if (rf->path)
			return nook_node_err(c->err, c->rootfs_path_node,
					     "rootfs.path has no effect with rootfs kind '%s' (remove one of them)",
					     nook_tbl_name(nook_tbl_rootfs_kind, (int)rf->kind));
		if (c->overlay_seen)
			return nook_node_err(c->err, c->rootfs_kind_node, "rootfs.overlay needs rootfs kind 'overlay'");
		break;
	}

	/* namespaces.net and network.mode */
	if (s->net == NOOK_NET_HOST) {
		if (c->netns == 1)
			return nook_node_err(c->err, c->netns_node, "namespaces.net: true contradicts network.mode: host");
		s->ns_flags &= ~(unsigned long)CLONE_NEWNET;
	} else if (c->netns == 0) {
		if (c->netmode_node && s->net != NOOK_NET_NONE)
			return nook_node_err(c->err, c->netns_node, "namespaces.net: false contradicts network.mode: %s (it needs its own network namespace)",
					     nook_tbl_name(nook_tbl_net_mode, (int)s->net));
		s->net = NOOK_NET_HOST;
	}
	if (!nook_net_ports_ok(s))
		return nook_node_err(c->err, c->ports_node,
				     "network.ports need network.mode slirp or pasta (add --network slirp)");

	build_env(c);
	return 0;
}

void nook_kctx_free(struct kctx *c)
{
	nook_strv_free(c->env_keep);
	nook_strv_free(c->env_unset);
	nook_strv_free(c->env_set);
}
