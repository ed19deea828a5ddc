/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keys.c - the key table: one row per profile key (path, setter,
 * emitter, field), the generic walker that validates a merged tree against
 * it, the typed setters that fill struct nook_spec, and the walk that
 * prints a spec back through the rows' emitters. Custom-shaped values
 * (mounts, ports, id maps, rlimits, seccomp rules) live in values.c, the
 * emitters in emit.c, the name tables and scalar readers in read.c.
 *
 * A new key is a row here, a field in struct nook_spec, a line in the KEYS
 * section of nook-profile(5) and a sample in tests/unit/test_profile.c;
 * the unit tests fail until each is there (and until the emitted spec
 * reads back as the same spec). */
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

/* ---------------------------------------------------------------- generic setters */

#define OFF_MASKED offsetof(struct nook_spec, masked_paths)
#define FIELD(c, row, type) ((type *)((char *)(c)->s + (row)->off))

static int set_bool(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	return nook_get_bool(c, n, FIELD(c, row, bool));
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

/* user.uid, user.gid: also noted as given (an image's User then does not apply) */
static int set_user_id(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	int r = set_u32(c, row, n);
	if (r == 0)
		c->s->user_set = true;
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
		return nook_node_err(c->err, n, "expected a list of absolute paths, got %s", nook_node_kind_name(n));
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
		return nook_node_err(c->err, n, "expected a list of absolute paths, got %s", nook_node_kind_name(n));
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
		return nook_node_err(c->err, n, "expected a list of strings, got %s", nook_node_kind_name(n));
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
		return nook_node_err(c->err, n, "expected auto or a list of %s, got %s", names, nook_node_kind_name(n));
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
	{ "description", nook_set_ignore, nook_emit_none, 0, NULL, 0 },
	{ "name", nook_set_name, nook_emit_str, OFF(name), NULL, 0 },
	{ "hostname", nook_set_hostname, nook_emit_str, OFF(hostname), NULL, 0 },

	{ "namespaces.user", nook_set_ns, nook_emit_ns, 0, NULL, 0 },
	{ "namespaces.mount", nook_set_ns, nook_emit_ns, 0, NULL, 0 },
	{ "namespaces.pid", nook_set_ns, nook_emit_ns, 0, NULL, 0 },
	{ "namespaces.net", nook_set_ns, nook_emit_ns, 0, NULL, 0 },
	{ "namespaces.uts", nook_set_ns, nook_emit_ns, 0, NULL, 0 },
	{ "namespaces.ipc", nook_set_ns, nook_emit_ns, 0, NULL, 0 },
	{ "namespaces.cgroup", nook_set_ns, nook_emit_ns, 0, NULL, 0 },

	{ "user.mode", set_enum, nook_emit_enum, OFF(userns), nook_tbl_userns, 0 },
	{ "user.uid", set_user_id, nook_emit_u32, OFF(uid), lim_id, 0 },
	{ "user.gid", set_user_id, nook_emit_u32, OFF(gid), lim_id, 0 },
	{ "user.uid_map", nook_set_idmap, nook_emit_idmap, 0, NULL, 0 },
	{ "user.gid_map", nook_set_idmap, nook_emit_idmap, 0, NULL, 0 },

	{ "rootfs", nook_set_rootfs_scalar, NULL, 0, NULL, K_SECTION },
	{ "rootfs.kind", nook_set_rootfs_kind, nook_emit_enum, OFF(rootfs.kind), nook_tbl_rootfs_kind, 0 },
	{ "rootfs.path", nook_set_rootfs_path, nook_emit_rootfs_path, OFF(rootfs.path), NULL, 0 },
	{ "rootfs.image", nook_set_rootfs_image, nook_emit_rootfs_image, OFF(rootfs.image), NULL, 0 },
	{ "rootfs.readonly", set_bool, nook_emit_bool, OFF(rootfs.readonly), NULL, 0 },
	{ "rootfs.overlay", nook_set_overlay_null, NULL, 0, NULL, K_SECTION },
	{ "rootfs.overlay.lower", nook_set_overlay_lower, nook_emit_overlay, OFF(rootfs.lower), NULL, 0 },
	{ "rootfs.overlay.upper", nook_set_overlay_path, nook_emit_overlay, OFF(rootfs.upper), NULL, 0 },
	{ "rootfs.overlay.work", nook_set_overlay_path, nook_emit_overlay, OFF(rootfs.work), NULL, 0 },
	{ "rootfs.overlay.driver", nook_set_overlay_driver, nook_emit_overlay, OFF(rootfs.overlay_driver), NULL, 0 },

	{ "mounts", nook_set_mounts, nook_emit_mounts, 0, NULL, 0 },

	{ "process.args", set_strlist, nook_emit_strv_set, OFF(argv), NULL, K_REPLACE },
	{ "process.env.clear", nook_set_env, nook_emit_env, 0, NULL, 0 },
	{ "process.env.keep", nook_set_env, nook_emit_env, 0, NULL, 0 },
	{ "process.env.set", nook_set_env, nook_emit_env, 0, NULL, K_FREEMAP },
	{ "process.env.unset", nook_set_env, nook_emit_env, 0, NULL, 0 },
	{ "process.cwd", nook_set_path, nook_emit_str, OFF(cwd), NULL, 0 },
	{ "process.init", set_bool, nook_emit_bool, OFF(init), NULL, 0 },
	{ "process.new_session", set_bool, nook_emit_bool, OFF(new_session), NULL, 0 },
	{ "process.die_with_parent", set_bool, nook_emit_bool, OFF(die_with_parent), NULL, 0 },
	{ "process.tty", set_bool, nook_emit_bool, OFF(tty), NULL, 0 },
	{ "process.timeout", set_duration, nook_emit_duration, OFF(timeout_ms), NULL, 0 },

	{ "security.capabilities.add", nook_set_caps, nook_emit_strv, OFF(cap_add), NULL, 0 },
	{ "security.capabilities.drop", nook_set_caps, nook_emit_strv, OFF(cap_drop), NULL, 0 },
	{ "security.capabilities.ambient", nook_set_caps, nook_emit_strv, OFF(cap_ambient), NULL, 0 },
	{ "security.seccomp", nook_set_seccomp_profile, NULL, 0, NULL, K_SECTION },
	{ "security.seccomp.profile", nook_set_seccomp_profile, nook_emit_seccomp_profile, 0, NULL, 0 },
	{ "security.seccomp.default_errno", nook_set_errno, nook_emit_errno, OFF(seccomp_default_errno), NULL, 0 },
	{ "security.seccomp.allow_nested_userns", set_bool, nook_emit_bool, OFF(allow_nested_userns), NULL, 0 },
	{ "security.seccomp.rules", nook_set_seccomp_rules, nook_emit_seccomp_rules, 0, NULL, 0 },
	{ "security.no_new_privileges", set_bool, nook_emit_bool, OFF(no_new_privs), NULL, 0 },
	{ "security.landlock.enabled", set_bool, nook_emit_bool, OFF(landlock_enabled), NULL, 0 },
	{ "security.landlock.read", set_landlock_list, nook_emit_strv_set, OFF(landlock_read), NULL, 0 },
	{ "security.landlock.write", set_landlock_list, nook_emit_strv_set, OFF(landlock_write), NULL, 0 },
	{ "security.landlock.execute", set_landlock_list, nook_emit_strv_set, OFF(landlock_execute), NULL, 0 },
	{ "security.landlock.required", set_bool, nook_emit_bool, OFF(landlock_required), NULL, 0 },
	{ "security.landlock.scope", set_landlock_scope, nook_emit_ll_scope, OFF(landlock_scope), NULL, 0 },
	{ "security.masked_paths", set_masklist, nook_emit_strv_reset, OFF(masked_paths), NULL, 0 },
	{ "security.readonly_paths", set_masklist, nook_emit_strv_reset, OFF(readonly_paths), NULL, 0 },
	{ "security.rlimits", nook_set_rlimits, nook_emit_rlimits, 0, NULL, K_FREEMAP },
	{ "security.minimal_dev", nook_set_minimal_dev, nook_emit_bool, OFF(minimal_dev), NULL, 0 },
	{ "security.cgroup_writable", set_bool, nook_emit_bool, OFF(cgroup_writable), NULL, 0 },

	{ "resources.memory", set_size, nook_emit_size, OFF(memory), NULL, 0 },
	{ "resources.memory_swap", set_size, nook_emit_size, OFF(memory_swap), "unlimited", 0 },
	{ "resources.cpus", set_cpus, nook_emit_cpus, 0, NULL, 0 },
	{ "resources.cpu_weight", set_u64, nook_emit_u64_set, OFF(cpu_weight), lim_weight, 0 },
	{ "resources.io_weight", set_u64, nook_emit_u64_set, OFF(io_weight), lim_weight, 0 },
	{ "resources.pids", set_u64, nook_emit_u64_set, OFF(pids), lim_pids, 0 },
	{ "resources.cpuset.cpus", nook_set_cpulist, nook_emit_str, OFF(cpuset_cpus), NULL, 0 },
	{ "resources.cpuset.mems", nook_set_cpulist, nook_emit_str, OFF(cpuset_mems), NULL, 0 },
	{ "resources.required", set_bool, nook_emit_bool, OFF(resources_required), NULL, 0 },
	{ "resources.stats_json", nook_set_path, nook_emit_str, OFF(stats_json), NULL, 0 },

	{ "network.mode", nook_set_net_mode, nook_emit_enum, OFF(net), nook_tbl_net_mode, 0 },
	{ "network.ports", nook_set_ports, nook_emit_ports, 0, NULL, 0 },
	{ "network.allow_host_loopback", set_bool, nook_emit_bool, OFF(allow_host_loopback), NULL, 0 },
	{ "network.mtu", set_u32, nook_emit_u32_set, OFF(mtu), lim_mtu, 0 },

	{ "app_id", nook_set_app_id, nook_emit_str, OFF(app_id), NULL, 0 },
	{ "x11", set_bool, nook_emit_bool, OFF(x11), NULL, 0 },
	{ "dbus.session.talk", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_session.talk), NULL, 0 },
	{ "dbus.session.own", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_session.own), NULL, 0 },
	{ "dbus.session.see", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_session.see), NULL, 0 },
	{ "dbus.session.call", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_session.call), "rules", 0 },
	{ "dbus.session.broadcast", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_session.broadcast), "rules", 0 },
	{ "dbus.system.talk", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_system.talk), NULL, 0 },
	{ "dbus.system.own", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_system.own), NULL, 0 },
	{ "dbus.system.see", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_system.see), NULL, 0 },
	{ "dbus.system.call", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_system.call), "rules", 0 },
	{ "dbus.system.broadcast", nook_set_dbus_list, nook_emit_strv_set, OFF(dbus_system.broadcast), "rules", 0 },
	{ "dbus.log", set_bool, nook_emit_bool, OFF(dbus_log), NULL, 0 },
	{ "dbus.required", set_bool, nook_emit_bool, OFF(dbus_required), NULL, 0 },
	{ "wayland.socket", set_bool, nook_emit_bool, OFF(wayland_socket), NULL, 0 },
	{ "wayland.security_context", set_enum, nook_emit_enum, OFF(wayland_secctx), nook_tbl_wl_secctx, 0 },
	{ "audio.pipewire", set_bool, nook_emit_bool, OFF(audio_pipewire), NULL, 0 },
	{ "audio.pulseaudio", set_bool, nook_emit_bool, OFF(audio_pulse), NULL, 0 },
	{ "persist.dir", nook_set_path, nook_emit_str, OFF(persist_dir), NULL, 0 },
	{ "persist.paths", nook_set_persist_paths, nook_emit_strv_set, OFF(persist_paths), NULL, 0 },
	{ NULL, NULL, NULL, 0, NULL, 0 },
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

#define KEY_SEG_MAX 40

/* The keys directly below section prefix ("" = top level), deduplicated:
 * out[i] points into names[i] (both of max entries, given by the caller)
 * or at a constant. */
static size_t child_keys(const char *prefix, char (*names)[KEY_SEG_MAX], const char **out, size_t max)
{
	size_t n = 0, plen = strlen(prefix);
	for (const struct key_row *r = nook_key_table; r->path; r++) {
		const char *rest;
		if (plen == 0)
			rest = r->path;
		else if (strncmp(r->path, prefix, plen) == 0 && r->path[plen] == '.')
			rest = r->path + plen + 1;
		else
			continue;
		size_t seg = strcspn(rest, ".");
		if (seg == 0 || seg >= KEY_SEG_MAX)
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
						     path, nook_node_kind_name(val));
			r = walk(c, val, path);
		} else {
			char names[128][KEY_SEG_MAX];
			const char *cands[128];
			size_t n = child_keys(prefix, names, cands, 128);
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
		return nook_node_err(err, root, "a profile is a map of keys, not %s", nook_node_kind_name(root));
	int r = walk(&c, root, "");
	if (r == 0)
		r = nook_keys_finish(&c);
	nook_kctx_free(&c);
	return r;
}

int nook_spec_emit_yaml(const struct nook_spec *s, FILE *f, struct nook_error *err)
{
	return nook_emit_rows(nook_key_table, s, f, err);
}
