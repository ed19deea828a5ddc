/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keys.h - the key table and its setters (keys.c,
 * values.c). Internal to the profile loader. */
#pragma once
#include "internal.h"

struct kctx {
	struct nook_spec *s;
	struct nook_error *err;
	/* process.env, built into s->env when the walk is done */
	int env_clear;                 /* -1 unset */
	char **env_keep, **env_unset;
	char **env_set;                /* "NAME=value", later ones win */
	/* rootfs kind inference */
	const struct nook_node *rootfs_kind_node, *rootfs_path_node, *rootfs_image_node;
	bool rootfs_kind_set, overlay_seen;
	/* namespaces.net / network.mode consistency */
	const struct nook_node *netns_node, *netmode_node, *ports_node;
	int netns;                     /* -1 unset */
};

enum {
	K_SECTION = 1 << 0,  /* a map of keys; a single value goes to the setter */
	K_REPLACE = 1 << 1,  /* a list that replaces, not appends, on merge */
	K_FREEMAP = 1 << 2,  /* a map with free-form keys (names of env vars...) */
};

struct key_row;
struct nook_em;
typedef int (*key_setter)(struct kctx *c, const struct key_row *row, const struct nook_node *n);
/* Writes the row's key and its value from the spec, or nothing (emit.c). */
typedef void (*key_emitter)(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);

/* One row per profile key. The same row parses the key (set) and prints it
 * back (emit): a key with a setter and no emitter is caught by the unit
 * tests, as is a key nook-profile(5) does not document. Only a K_SECTION
 * row may have no emitter: the rows of its keys print it. */
struct key_row {
	const char *path;
	key_setter set;
	key_emitter emit;
	size_t off;          /* offset of the field in struct nook_spec */
	const void *arg;     /* per-setter: limits, name table */
	unsigned flags;
};

extern const struct key_row nook_key_table[];
const struct key_row *nook_key_find(const char *path);

/* readers (read.c) */
const char *nook_node_kind_name(const struct nook_node *n); /* "a map", "a list", "a single value" */
int nook_want_scalar(struct kctx *c, const struct nook_node *n, const char *what);
int nook_get_bool(struct kctx *c, const struct nook_node *n, bool *out);
int nook_get_u64(struct kctx *c, const struct nook_node *n, uint64_t min, uint64_t max, uint64_t *out);
int nook_get_str(struct kctx *c, const struct nook_node *n, const char **out);
int nook_get_path(struct kctx *c, const struct nook_node *n, char **out);
int nook_get_enum(struct kctx *c, const struct nook_node *n, const struct nook_name_val *t, int *out);
int nook_check_keys(struct kctx *c, const struct nook_node *map, const char *where,
		    const char *const *allowed);
int nook_unknown_key(struct kctx *c, const struct nook_node *key, const char *where,
		     const char *const *cands, size_t n);
void nook_tbl_list(const struct nook_name_val *t, char *buf, size_t size);

/* setters with a shape of their own (values.c) */
int nook_set_minimal_dev(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_ignore(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_name(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_hostname(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_ns(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_idmap(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_rootfs_scalar(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_rootfs_kind(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_rootfs_path(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_rootfs_image(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_overlay_null(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_overlay_lower(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_path(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_overlay_path(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_overlay_driver(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_mounts(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_env(struct kctx *c, const struct key_row *row, const struct nook_node *n);
/* dbuskeys.c: arg non-NULL = call/broadcast rules, else names */
int nook_set_app_id(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_dbus_list(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_persist_paths(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_caps(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_seccomp_profile(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_errno(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_seccomp_rules(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_rlimits(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_cpulist(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_net_mode(struct kctx *c, const struct key_row *row, const struct nook_node *n);
int nook_set_ports(struct kctx *c, const struct key_row *row, const struct nook_node *n);

/* Print s as YAML through the emitters of rows (emit.c); keys.c's
 * nook_spec_emit_yaml() hands it nook_key_table. */
int nook_emit_rows(const struct key_row *rows, const struct nook_spec *s, FILE *f, struct nook_error *err);
/* emitters (emit.c): generic ones read the field at row->off */
void nook_emit_ll_scope(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_none(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_bool(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_u32(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_u32_set(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_u64_set(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_size(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_duration(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_str(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_enum(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_strv(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_strv_set(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_strv_reset(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_errno(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
/* and those with a shape of their own */
void nook_emit_ns(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_idmap(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_rootfs_path(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_rootfs_image(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_overlay(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_mounts(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_env(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_seccomp_profile(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_seccomp_rules(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_rlimits(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_cpus(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);
void nook_emit_ports(struct nook_em *m, const struct key_row *row, const struct nook_spec *s);

/* after the walk: infer the rootfs kind, build the env, check namespaces */
int nook_keys_finish(struct kctx *c);
void nook_kctx_free(struct kctx *c);
