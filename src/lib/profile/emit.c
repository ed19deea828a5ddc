/* SPDX-License-Identifier: GPL-2.0-or-later */
/* emit.c - print a resolved spec as a YAML profile (libyaml emitter). The
 * output uses the profile schema, so it is itself a valid profile: every
 * value is written out in full, '$' is escaped as '$$', and strings that
 * YAML would read as something else are quoted.
 *
 * The key table (keys.c) drives the output as it drives parsing: each row
 * names its emitter, one of the functions below, and nook_emit_rows()
 * walks the rows in order (keys.c hands it the table, so that this file
 * does not depend on the file that depends on it). A row's emitter writes its leaf key with
 * em_key() and then the value, or nothing at all; the sections above the
 * key ("security", "seccomp") are opened when the first key below them is
 * written and closed when a row outside them comes, so a section with
 * nothing in it does not appear. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "nook/profile.h"
#include "nook/util.h"
#include "keys.h"

struct nook_em {
	yaml_emitter_t e;
	bool failed;
	const char *want;  /* the current row's section path ("rootfs.overlay") */
	size_t want_len;
	const char *open;  /* the sections open now: a prefix of some row's path */
	size_t open_len;
};

static void emit(struct nook_em *m, yaml_event_t *ev, int ok)
{
	if (m->failed)
		return;
	if (!ok || !yaml_emitter_emit(&m->e, ev))
		m->failed = true;
}

static void map_start(struct nook_em *m, bool flow)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
			flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void map_end(struct nook_em *m)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void seq_start_tagged(struct nook_em *m, bool flow, const char *tag)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_sequence_start_event_initialize(&ev, NULL, (yaml_char_t *)tag, !tag,
			flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE));
}

static void seq_start(struct nook_em *m, bool flow)
{
	seq_start_tagged(m, flow, NULL);
}

static void seq_end(struct nook_em *m)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* a value that must be read back as this exact string */
static void str(struct nook_em *m, const char *s)
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
static void raw(struct nook_em *m, const char *s)
{
	yaml_event_t ev;
	emit(m, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
						  YAML_PLAIN_SCALAR_STYLE));
}

static void key(struct nook_em *m, const char *k) { raw(m, k); }
static void kv_str(struct nook_em *m, const char *k, const char *v) { if (v) { key(m, k); str(m, v); } }
static void kv_raw(struct nook_em *m, const char *k, const char *v) { key(m, k); raw(m, v); }
static void kv_bool(struct nook_em *m, const char *k, bool v) { kv_raw(m, k, v ? "true" : "false"); }

static void kv_u64(struct nook_em *m, const char *k, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	kv_raw(m, k, b);
}

static void kv_strv(struct nook_em *m, const char *k, char *const *v)
{
	key(m, k);
	seq_start(m, true);
	for (size_t i = 0; v && v[i]; i++)
		str(m, v[i]);
	seq_end(m);
}

static void kv_enum(struct nook_em *m, const char *k, const struct nook_name_val *t, int v)
{
	const char *n = nook_tbl_name(t, v);
	kv_raw(m, k, n ? n : "?");
}

/* ---------------------------------------------------------------- sections */

static bool seg_prefix(const char *p, size_t plen, const char *s, size_t slen)
{
	return plen == 0 || (plen <= slen && strncmp(p, s, plen) == 0 && (plen == slen || s[plen] == '.'));
}

/* Close the open sections that are not above the section want. */
static void em_close_to(struct nook_em *m, const char *want, size_t want_len)
{
	m->want = want;
	m->want_len = want_len;
	while (!seg_prefix(m->open, m->open_len, want, want_len)) {
		map_end(m);
		const char *p = m->open + m->open_len;
		while (p > m->open && p[-1] != '.')
			p--;
		m->open_len = p > m->open ? (size_t)(p - 1 - m->open) : 0;
	}
}

/* Enter the section of row's key (its path without the leaf). */
static void em_enter_row(struct nook_em *m, const struct key_row *row)
{
	const char *dot = strrchr(row->path, '.');
	em_close_to(m, row->path, dot ? (size_t)(dot - row->path) : 0);
}

/* Write the leaf key of row, opening the sections above it first. */
static void em_key(struct nook_em *m, const struct key_row *row)
{
	while (m->open_len < m->want_len) {
		size_t from = m->open_len ? m->open_len + 1 : 0;
		const char *seg = m->want + from;
		size_t len = strcspn(seg, ".");
		if (from + len > m->want_len)
			len = m->want_len - from;
		char name[64];
		snprintf(name, sizeof name, "%.*s", (int)len, seg);
		key(m, name);
		map_start(m, false);
		m->open = m->want;
		m->open_len = from + len;
	}
	key(m, strrchr(row->path, '.') ? strrchr(row->path, '.') + 1 : row->path);
}

/* ---------------------------------------------------------------- emitters */

#define FIELD(s, row, type) ((type const *)((const char *)(s) + (row)->off))

static void val_u64(struct nook_em *m, uint64_t v)
{
	char b[32];
	snprintf(b, sizeof b, "%llu", (unsigned long long)v);
	raw(m, b);
}

static void val_strv(struct nook_em *m, char *const *v, const char *tag)
{
	seq_start_tagged(m, true, tag);
	for (size_t i = 0; v && v[i]; i++)
		str(m, v[i]);
	seq_end(m);
}

static void val_errno(struct nook_em *m, int e)
{
	const char *n = nook_tbl_name(nook_tbl_errno, e);
	if (n)
		raw(m, n);
	else
		val_u64(m, (uint64_t)e);
}

static void val_limit(struct nook_em *m, uint64_t v)
{
	if (v == UINT64_MAX)
		raw(m, "unlimited");
	else
		val_u64(m, v);
}

/* not part of the spec (description) */
void nook_emit_none(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	(void)m;
	(void)row;
	(void)s;
}

void nook_emit_bool(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	em_key(m, row);
	raw(m, *FIELD(s, row, bool) ? "true" : "false");
}

/* a uint32_t, always written */
void nook_emit_u32(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	em_key(m, row);
	val_u64(m, *FIELD(s, row, uint32_t));
}

/* a uint32_t, 0 = unset */
void nook_emit_u32_set(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (*FIELD(s, row, uint32_t))
		nook_emit_u32(m, row, s);
}

/* a uint64_t, 0 = unset */
void nook_emit_u64_set(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	uint64_t v = *FIELD(s, row, uint64_t);
	if (!v)
		return;
	em_key(m, row);
	val_u64(m, v);
}

/* a size in bytes, 0 = unset, UINT64_MAX = unlimited */
void nook_emit_size(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	uint64_t v = *FIELD(s, row, uint64_t);
	if (!v)
		return;
	em_key(m, row);
	val_limit(m, v);
}

/* milliseconds, 0 = none: the largest unit that divides the value exactly */
void nook_emit_duration(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	static const struct { const char *unit; uint64_t ms; } u[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};
	uint64_t v = *FIELD(s, row, uint64_t);
	if (!v)
		return;
	size_t k = 0;
	while (v % u[k].ms)
		k++;
	char b[32];
	snprintf(b, sizeof b, "%llu%s", (unsigned long long)(v / u[k].ms), u[k].unit);
	em_key(m, row);
	raw(m, b);
}

/* a string or path, NULL = unset */
void nook_emit_str(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	const char *v = *FIELD(s, row, char *);
	if (!v)
		return;
	em_key(m, row);
	str(m, v);
}

/* an enum, named by the row's table */
void nook_emit_enum(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	const char *n = nook_tbl_name(row->arg, *FIELD(s, row, int));
	em_key(m, row);
	raw(m, n ? n : "?");
}

/* a list of strings, always written ([] for none) */
void nook_emit_strv(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	em_key(m, row);
	val_strv(m, *FIELD(s, row, char **), NULL);
}

/* security.landlock.scope: auto, or the list of scope names */
void nook_emit_ll_scope(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	int scope = *FIELD(s, row, int);
	em_key(m, row);
	if (scope == NOOK_LL_SCOPE_AUTO) {
		raw(m, "auto");
		return;
	}
	seq_start(m, true);
	for (const struct nook_name_val *t = nook_tbl_ll_scope; t->name; t++)
		if (scope & t->val)
			raw(m, t->name);
	seq_end(m);
}

/* a list of strings, NULL = unset */
void nook_emit_strv_set(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (*FIELD(s, row, char **))
		nook_emit_strv(m, row, s);
}

/* masked_paths, readonly_paths: the resolved list is complete, and !reset
 * keeps the built-in list from being added again when it is read back */
void nook_emit_strv_reset(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	char **v = *FIELD(s, row, char **);
	if (!v)
		return;
	em_key(m, row);
	val_strv(m, v, "!reset");
}

void nook_emit_errno(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	em_key(m, row);
	val_errno(m, *FIELD(s, row, int));
}

/* namespaces.NAME: the flag named by the key */
void nook_emit_ns(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	int flag = 0;
	nook_tbl_lookup(nook_tbl_ns, strrchr(row->path, '.') + 1, &flag);
	em_key(m, row);
	raw(m, (s->ns_flags & (unsigned long)flag) ? "true" : "false");
}

void nook_emit_idmap(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	bool gid = strcmp(row->path, "user.gid_map") == 0;
	const struct nook_idmap *v = gid ? s->gid_maps : s->uid_maps;
	size_t n = gid ? s->n_gid_maps : s->n_uid_maps;
	if (!n)
		return;
	em_key(m, row);
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

/* rootfs.path: a dir root's path (an overlay's is the last lower layer) */
void nook_emit_rootfs_path(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (s->rootfs.kind == NOOK_ROOTFS_DIR)
		nook_emit_str(m, row, s);
}

void nook_emit_rootfs_image(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (s->rootfs.image)
		nook_emit_str(m, row, s);
}

/* rootfs.overlay.*: written for an overlay root only */
void nook_emit_overlay(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (s->rootfs.kind != NOOK_ROOTFS_OVERLAY)
		return;
	const char *leaf = strrchr(row->path, '.') + 1;
	if (strcmp(leaf, "lower") == 0) {
		if (!s->rootfs.image)
			nook_emit_strv(m, row, s);
	} else if (strcmp(leaf, "driver") == 0) {
		em_key(m, row);
		raw(m, s->rootfs.overlay_driver ? s->rootfs.overlay_driver : "auto");
	} else {
		nook_emit_str(m, row, s);
	}
}

static void emit_mount(struct nook_em *m, const struct nook_mount *mt)
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

void nook_emit_mounts(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	em_key(m, row);
	seq_start(m, false);
	for (size_t i = 0; i < s->n_mounts; i++)
		emit_mount(m, &s->mounts[i]);
	seq_end(m);
}

/* process.env.*: the resolved environment is complete, so it is written as
 * clear: true and set: {...}; keep and unset have nothing left to say */
void nook_emit_env(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	const char *leaf = strrchr(row->path, '.') + 1;
	if (strcmp(leaf, "clear") == 0) {
		em_key(m, row);
		raw(m, "true");
		return;
	}
	if (strcmp(leaf, "set") != 0)
		return;
	em_key(m, row);
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
}

void nook_emit_seccomp_profile(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	em_key(m, row);
	if (s->seccomp == NOOK_SECCOMP_FILE)
		str(m, s->seccomp_file ? s->seccomp_file : "");
	else
		raw(m, s->seccomp == NOOK_SECCOMP_DEFAULT ? "default" : "unconfined");
}

void nook_emit_seccomp_rules(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (!s->n_seccomp_rules)
		return;
	em_key(m, row);
	seq_start(m, false);
	for (size_t i = 0; i < s->n_seccomp_rules; i++) {
		const struct nook_seccomp_rule *r = &s->seccomp_rules[i];
		map_start(m, false);
		kv_strv(m, "syscalls", r->names);
		kv_enum(m, "action", nook_tbl_scmp_action, (int)r->action);
		if (r->action == NOOK_SCMP_ERRNO && r->errno_ret) {
			key(m, "errno");
			val_errno(m, r->errno_ret);
		}
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

void nook_emit_rlimits(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (!s->n_rlimits)
		return;
	em_key(m, row);
	map_start(m, false);
	for (size_t i = 0; i < s->n_rlimits; i++) {
		const char *n = nook_tbl_name(nook_tbl_rlimit, s->rlimits[i].resource);
		key(m, n ? n : "?");
		map_start(m, true);
		key(m, "soft");
		val_limit(m, s->rlimits[i].soft);
		key(m, "hard");
		val_limit(m, s->rlimits[i].hard);
		map_end(m);
	}
	map_end(m);
}

/* resources.cpus = quota / period, exact to 5 decimals */
void nook_emit_cpus(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (!s->cpu_quota_us || !s->cpu_period_us)
		return;
	unsigned long long scaled = (unsigned long long)(s->cpu_quota_us * 100000ull / s->cpu_period_us);
	char b[48];
	snprintf(b, sizeof b, "%llu.%05llu", scaled / 100000, scaled % 100000);
	char *end = b + strlen(b) - 1;
	while (*end == '0')
		*end-- = 0;
	if (*end == '.')
		*end = 0;
	em_key(m, row);
	raw(m, b);
}

void nook_emit_ports(struct nook_em *m, const struct key_row *row, const struct nook_spec *s)
{
	if (!s->n_ports)
		return;
	em_key(m, row);
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

static void emit_spec(struct nook_em *m, const struct key_row *rows, const struct nook_spec *s)
{
	map_start(m, false);
	m->open = "";
	m->open_len = 0;
	for (const struct key_row *row = rows; row->path; row++) {
		if (!row->emit)
			continue; /* a section whose keys have their own rows */
		em_enter_row(m, row);
		row->emit(m, row, s);
	}
	em_close_to(m, "", 0);
	map_end(m);
}

int nook_emit_rows(const struct key_row *rows, const struct nook_spec *s, FILE *f, struct nook_error *err)
{
	struct nook_em m = { .failed = false };
	yaml_event_t ev;
	if (!yaml_emitter_initialize(&m.e))
		return nook_errx(err, ENOMEM, "cannot initialize the YAML emitter");
	yaml_emitter_set_output_file(&m.e, f);
	yaml_emitter_set_unicode(&m.e, 1);
	yaml_emitter_set_width(&m.e, 100);
	emit(&m, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(&m, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	emit_spec(&m, rows, s);
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
