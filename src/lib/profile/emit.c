/* emit.c - print a resolved spec as a YAML profile (libyaml emitter). The
 * output uses the profile schema, so it is itself a valid profile: every
 * value is written out in full, '$' is escaped as '$$', and strings that
 * YAML would read as something else are quoted. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "nook/profile.h"
#include "nook/util.h"
#include "internal.h"

struct em {
	yaml_emitter_t e;
	bool failed;
};

static void emit(struct em *m, yaml_event_t *ev, int ok)
{
	if (m->failed)
		return;
	if (!ok || !yaml_emitter_emit(&m->e, ev))
		m->failed = true;
}

static void map_start(struct em *m, bool flow)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void map_end(struct em *m)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void seq_start_tagged(struct em *m, bool flow, const char *tag)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)tag, !tag,
			flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static void seq_start(struct em *m, bool flow)
{
	seq_start_tagged(m, flow, NULL);
}

static void seq_end(struct em *m)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* a value that must be read back as this exact string */
static void str(struct em *m, const char *s)
{
	yaml_event_t ev;
	char *esc = NULL;
	if (strchr(s, '$')) {
		size_t n = 0;
		for (const char *p = s; *p; p++)
			n += *p == '$' ? 2 : 1;
		esc = nook_xmalloc(n + 1);
		char *q = esc;
		for (const char *p = s; *p; p++) {
			*q++ = *p;
			if (*p == '$')
				*q++ = '$';
		}
		s = esc;
	}
	bool quote = !s[0] || !strcmp(s, "~") || !strcasecmp(s, "null") || !strcasecmp(s, "true") ||
		     !strcasecmp(s, "false");
	emit(m, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
			quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE));
	free(esc);
}

/* a number, keyword or other value written as it is */
static void raw(struct em *m, const char *s)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
						  YAML_PLAIN_SCALAR_STYLE));
}

static void key(struct em *m, const char *k) { raw(m, k); }
static void kv_str(struct em *m, const char *k, const char *v) { if (v) { key(m, k); str(m, v); } }
static void kv_raw(struct em *m, const char *k, const char *v) { key(m, k); raw(m, v); }
static void kv_bool(struct em *m, const char *k, bool v) { kv_raw(m, k, v ? "true" : "false"); }

static void kv_u64(struct em *m, const char *k, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	kv_raw(m, k, b);
}

static void kv_strv(struct em *m, const char *k, char *const *v, bool always)
{
	if (!v && !always)
		return;
	key(m, k);
	seq_start(m, true);
	for (size_t i = 0; v && v[i]; i++)
		str(m, v[i]);
	seq_end(m);
}

static void kv_strv_reset(struct em *m, const char *k, char *const *v)
{
	if (!v)
		return;
	key(m, k);
	seq_start_tagged(m, true, "!reset");
	for (size_t i = 0; v[i]; i++)
		str(m, v[i]);
	seq_end(m);
}

static void kv_enum(struct em *m, const char *k, const struct nook_name_val *t, int v)
{
	const char *n = nook_tbl_name(t, v);
	kv_raw(m, k, n ? n : "?");
}

static void emit_idmaps(struct em *m, const char *k, const struct nook_idmap *v, size_t n)
{
	if (!n)
		return;
	key(m, k);
	seq_start(m, false);
	for (size_t i = 0; i < n; i++) {
		map_start(m, true);
		kv_u64(m, "inside", v[i].inside);
		kv_u64(m, "outside", v[i].outside);
		kv_u64(m, "count", v[i].count);
		map_end(m);
	}
	seq_end(m);
}

static void emit_mount(struct em *m, const struct nook_mount *mt)
{
	map_start(m, true);
	kv_enum(m, "type", nook_tbl_mount_type, (int)mt->type);
	kv_str(m, "source", mt->source);
	kv_str(m, "target", mt->target);
	kv_str(m, "content", mt->content);
	kv_str(m, "options", mt->options);
	if (mt->size)
		kv_u64(m, "size", mt->size);
	if (mt->mode >= 0) {
		char b[16];
		snprintf(b, sizeof b, "0%o", (unsigned)mt->mode);
		kv_str(m, "mode", b);
	}
	if (mt->readonly && mt->type != NOOK_MOUNT_RO_BIND)
		kv_bool(m, "readonly", true);
	if (mt->optional)
		kv_bool(m, "optional", true);
	map_end(m);
}

static void emit_limit(struct em *m, const char *k, uint64_t v)
{
	if (v == UINT64_MAX)
		kv_raw(m, k, "unlimited");
	else
		kv_u64(m, k, v);
}

static void emit_errno(struct em *m, const char *k, int e)
{
	const char *n = nook_tbl_name(nook_tbl_errno, e);
	if (n)
		kv_raw(m, k, n);
	else
		kv_u64(m, k, (uint64_t)e);
}

static void emit_security(struct em *m, const struct nook_spec *s)
{
	key(m, "security");
	map_start(m, false);
	key(m, "capabilities");
	map_start(m, false);
	kv_strv(m, "add", s->cap_add, true);
	kv_strv(m, "drop", s->cap_drop, true);
	kv_strv(m, "ambient", s->cap_ambient, true);
	map_end(m);
	key(m, "seccomp");
	map_start(m, false);
	if (s->seccomp == NOOK_SECCOMP_FILE)
		kv_str(m, "profile", s->seccomp_file);
	else
		kv_raw(m, "profile", s->seccomp == NOOK_SECCOMP_DEFAULT ? "default" : "unconfined");
	emit_errno(m, "default_errno", s->seccomp_default_errno);
	kv_bool(m, "allow_nested_userns", s->allow_nested_userns);
	if (s->n_seccomp_rules) {
		key(m, "rules");
		seq_start(m, false);
		for (size_t i = 0; i < s->n_seccomp_rules; i++) {
			const struct nook_seccomp_rule *r = &s->seccomp_rules[i];
			map_start(m, false);
			kv_strv(m, "syscalls", r->names, true);
			kv_enum(m, "action", nook_tbl_scmp_action, (int)r->action);
			if (r->action == NOOK_SCMP_ERRNO && r->errno_ret)
				emit_errno(m, "errno", r->errno_ret);
			if (r->n_args) {
				key(m, "args");
				seq_start(m, false);
				for (size_t j = 0; j < r->n_args; j++) {
					map_start(m, true);
					kv_u64(m, "index", r->args[j].index);
					kv_enum(m, "op", nook_tbl_scmp_op, (int)r->args[j].op);
					kv_u64(m, "value", r->args[j].value);
					if (r->args[j].value2)
						kv_u64(m, "value2", r->args[j].value2);
					map_end(m);
				}
				seq_end(m);
			}
			map_end(m);
		}
		seq_end(m);
	}
	map_end(m);
	kv_bool(m, "no_new_privileges", s->no_new_privs);
	key(m, "landlock");
	map_start(m, false);
	kv_bool(m, "enabled", s->landlock_enabled);
	kv_strv(m, "read", s->landlock_read, false);
	kv_strv(m, "write", s->landlock_write, false);
	kv_strv(m, "execute", s->landlock_execute, false);
	kv_bool(m, "required", s->landlock_required);
	if (s->landlock_scope == NOOK_LL_SCOPE_AUTO) {
		kv_raw(m, "scope", "auto");
	} else {
		key(m, "scope");
		seq_start(m, true);
		for (const struct nook_name_val *t = nook_tbl_ll_scope; t->name; t++)
			if (s->landlock_scope & t->val)
				raw(m, t->name);
		seq_end(m);
	}
	map_end(m);
	/* the resolved lists are complete: !reset keeps the built-in lists
	 * from being added again when this output is read back */
	kv_strv_reset(m, "masked_paths", s->masked_paths);
	kv_strv_reset(m, "readonly_paths", s->readonly_paths);
	if (s->n_rlimits) {
		key(m, "rlimits");
		map_start(m, false);
		for (size_t i = 0; i < s->n_rlimits; i++) {
			const char *n = nook_tbl_name(nook_tbl_rlimit, s->rlimits[i].resource);
			key(m, n ? n : "?");
			map_start(m, true);
			emit_limit(m, "soft", s->rlimits[i].soft);
			emit_limit(m, "hard", s->rlimits[i].hard);
			map_end(m);
		}
		map_end(m);
	}
	kv_bool(m, "minimal_dev", s->minimal_dev);
	kv_bool(m, "cgroup_writable", s->cgroup_writable);
	map_end(m);
}

static void emit_resources(struct em *m, const struct nook_spec *s)
{
	key(m, "resources");
	map_start(m, false);
	if (s->memory)
		kv_u64(m, "memory", s->memory);
	if (s->memory_swap)
		emit_limit(m, "memory_swap", s->memory_swap);
	if (s->cpu_quota_us && s->cpu_period_us) {
		/* cpus = quota / period, exact to 5 decimals */
		unsigned long long scaled = (unsigned long long)(s->cpu_quota_us * 100000ull / s->cpu_period_us);
		char b[48];
		snprintf(b, sizeof b, "%llu.%05llu", scaled / 100000, scaled % 100000);
		char *end = b + strlen(b) - 1;
		while (*end == '0')
			*end-- = 0;
		if (*end == '.')
			*end = 0;
		kv_raw(m, "cpus", b);
	}
	if (s->cpu_weight)
		kv_u64(m, "cpu_weight", s->cpu_weight);
	if (s->io_weight)
		kv_u64(m, "io_weight", s->io_weight);
	if (s->pids)
		kv_u64(m, "pids", s->pids);
	if (s->cpuset_cpus || s->cpuset_mems) {
		key(m, "cpuset");
		map_start(m, false);
		kv_str(m, "cpus", s->cpuset_cpus);
		kv_str(m, "mems", s->cpuset_mems);
		map_end(m);
	}
	kv_bool(m, "required", s->resources_required);
	kv_str(m, "stats_json", s->stats_json);
	map_end(m);
}

static void emit_spec(struct em *m, const struct nook_spec *s)
{
	map_start(m, false);
	kv_str(m, "name", s->name);
	kv_str(m, "hostname", s->hostname);

	key(m, "namespaces");
	map_start(m, false);
	for (const struct nook_name_val *t = nook_tbl_ns; t->name; t++)
		kv_bool(m, t->name, (s->ns_flags & (unsigned long)t->val) != 0);
	map_end(m);

	key(m, "user");
	map_start(m, false);
	kv_enum(m, "mode", nook_tbl_userns, (int)s->userns);
	kv_u64(m, "uid", s->uid);
	kv_u64(m, "gid", s->gid);
	emit_idmaps(m, "uid_map", s->uid_maps, s->n_uid_maps);
	emit_idmaps(m, "gid_map", s->gid_maps, s->n_gid_maps);
	map_end(m);

	key(m, "rootfs");
	map_start(m, false);
	kv_enum(m, "kind", nook_tbl_rootfs_kind, (int)s->rootfs.kind);
	if (s->rootfs.kind == NOOK_ROOTFS_DIR)
		kv_str(m, "path", s->rootfs.path);
	kv_bool(m, "readonly", s->rootfs.readonly);
	if (s->rootfs.kind == NOOK_ROOTFS_OVERLAY) {
		key(m, "overlay");
		map_start(m, false);
		kv_strv(m, "lower", s->rootfs.lower, true);
		kv_str(m, "upper", s->rootfs.upper);
		kv_str(m, "work", s->rootfs.work);
		kv_raw(m, "driver", s->rootfs.overlay_driver ? s->rootfs.overlay_driver : "auto");
		map_end(m);
	}
	map_end(m);

	key(m, "mounts");
	seq_start(m, false);
	for (size_t i = 0; i < s->n_mounts; i++)
		emit_mount(m, &s->mounts[i]);
	seq_end(m);

	key(m, "process");
	map_start(m, false);
	kv_strv(m, "args", s->argv, true);
	key(m, "env");
	map_start(m, false);
	kv_bool(m, "clear", true);
	key(m, "set");
	map_start(m, false);
	for (size_t i = 0; s->env && s->env[i]; i++) {
		const char *eq = strchr(s->env[i], '=');
		if (!eq)
			continue;
		char name[256];
		size_t len = (size_t)(eq - s->env[i]);
		if (len >= sizeof name)
			continue;
		memcpy(name, s->env[i], len);
		name[len] = 0;
		key(m, name);
		str(m, eq + 1);
	}
	map_end(m);
	map_end(m);
	kv_str(m, "cwd", s->cwd);
	kv_bool(m, "init", s->init);
	kv_bool(m, "new_session", s->new_session);
	kv_bool(m, "die_with_parent", s->die_with_parent);
	kv_bool(m, "tty", s->tty);
	if (s->timeout_ms) {
		/* the largest unit that divides the value exactly */
		static const struct { const char *unit; uint64_t ms; } u[] = {
			{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
		};
		size_t k = 0;
		while (s->timeout_ms % u[k].ms)
			k++;
		char b[32];
		snprintf(b, sizeof b, "%llu%s", (unsigned long long)(s->timeout_ms / u[k].ms), u[k].unit);
		kv_raw(m, "timeout", b);
	}
	map_end(m);

	emit_security(m, s);
	emit_resources(m, s);

	key(m, "network");
	map_start(m, false);
	kv_enum(m, "mode", nook_tbl_net_mode, (int)s->net);
	if (s->n_ports) {
		key(m, "ports");
		seq_start(m, true);
		for (size_t i = 0; i < s->n_ports; i++) {
			const struct nook_port *p = &s->ports[i];
			char b[96];
			snprintf(b, sizeof b, "%s:%u:%u%s", p->host_addr ? p->host_addr : "127.0.0.1",
				 p->host_port, p->container_port, p->udp ? "/udp" : "");
			str(m, b);
		}
		seq_end(m);
	}
	kv_bool(m, "allow_host_loopback", s->allow_host_loopback);
	if (s->mtu)
		kv_u64(m, "mtu", s->mtu);
	map_end(m);

	map_end(m);
}

int nook_spec_emit_yaml(const struct nook_spec *s, FILE *f, struct nook_error *err)
{
	struct em m = { .failed = false };
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&m.e))
		return nook_errx(err, ENOMEM, "cannot initialize the YAML emitter");
	yaml_emitter_set_output_file(&m.e, f);
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_width(&m.e, 100);
	emit(&m, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(&m, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	emit_spec(&m, s);
	emit(&m, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(&m, &ev, yaml_stream_end_event_initialize(&ev));
	if (!m.failed && !yaml_emitter_flush(&m.e))
		m.failed = true;
	const char *problem = m.e.problem;
	yaml_emitter_delete(&m.e);
	if (m.failed)
		return nook_errx(err, EIO, "cannot write the profile as YAML: %s", problem ? problem : "write error");
	return 0;
}
