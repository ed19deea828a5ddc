/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.h - internals of the profile loader, shared by its files:
 * yaml_tree.c (libyaml -> node tree), ptree.c and treecode.c (the
 * shipped profiles' trees parsed at build time), merge.c (extends, overrides),
 * vars.c (${...}), units.c (sizes, durations, cpus), keys.c (the
 * key table and the setters), profile.c (lookup and resolve), emit.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nook/error.h"
#include "nook/spec.h"

/* Limits that keep hostile input cheap. */
#define NOOK_PROFILE_MAX_BYTES (1024 * 1024)
#define NOOK_PROFILE_MAX_DEPTH 32
#define NOOK_PROFILE_MAX_NODES 20000
#define NOOK_PROFILE_MAX_SCALAR 16384
#define NOOK_PROFILE_MAX_EXTENDS 16

enum nook_node_kind {
	NOOK_NODE_SCALAR = 1,
	NOOK_NODE_MAP,
	NOOK_NODE_SEQ,
};

struct nook_node;

struct nook_pair {
	struct nook_node *key;   /* always a scalar */
	struct nook_node *val;
};

struct nook_node {
	enum nook_node_kind kind;
	char *origin;            /* file name, or "--set KEY.PATH" (line 0) */
	unsigned line, col;      /* 1-based; 0 = no position (overrides) */
	char *tag;               /* "!reset" or NULL */
	/* scalar */
	char *value;
	bool quoted;             /* quoted or block scalar: never null/bool */
	/* map */
	struct nook_pair *pairs;
	/* seq */
	struct nook_node **items;
	size_t n;                /* pairs or items */
	size_t cap;              /* room in pairs or items (grows by doubling) */
	/* a map with many keys (thousands of -e NAME=VALUE) gets a hash index
	 * of its keys, built on the first lookup and kept by nook_map_append:
	 * slots hold pair index + 1, 0 is free; NULL when not built */
	size_t *index;
	size_t index_cap;
};

/* ptree.c */
/* Parse one YAML document. origin names the source in errors. An empty
 * document is an error. A text that is byte for byte a shipped profile
 * is rebuilt from the tree its build-time parse left (shipped_trees.c),
 * the same nodes libyaml would give. */
int nook_yaml_parse(const char *buf, size_t len, const char *origin,
		    struct nook_node **out, struct nook_error *err);
int nook_yaml_parse_file(const char *path, struct nook_node **out, struct nook_error *err);
/* shipped_trees.c (gen_ptree.c writes it at build time): per shipped
 * profile, in nook_shipped_profile_text's order, its text's length and
 * its tree as nook_node_encode() wrote it (origin "") */
extern const size_t nook_shipped_text_len[];
extern const unsigned char *const nook_shipped_tree[];
extern const size_t nook_shipped_tree_len[];

/* treecode.c: a node tree as bytes and back (positions, values, tags;
 * the origin is given when it is read back) */
unsigned char *nook_node_encode(const struct nook_node *n, size_t *len);
/* Returns 0, or -EINVAL for bytes nook_node_encode did not write. */
int nook_node_decode(const unsigned char *buf, size_t len, const char *origin, struct nook_node **out);

/* yaml_tree.c */
/* nook_yaml_parse with libyaml, always. */
int nook_yaml_parse_text(const char *buf, size_t len, const char *origin,
			 struct nook_node **out, struct nook_error *err);
void nook_node_free(struct nook_node *n);
struct nook_node *nook_node_new(enum nook_node_kind kind, const char *origin,
				unsigned line, unsigned col);
struct nook_node *nook_node_copy(const struct nook_node *n);
struct nook_node *nook_map_get(const struct nook_node *map, const char *key);
/* Add (or replace) key in map; takes ownership of val. */
void nook_map_set(struct nook_node *map, const char *key, struct nook_node *val);
void nook_map_del(struct nook_node *map, const char *key);
/* The pair of key in map, or NULL (hash lookup on large maps). */
struct nook_pair *nook_map_find(const struct nook_node *map, const char *key);
/* Append a pair whose key is not in the map yet; takes key and val. */
void nook_map_append(struct nook_node *map, struct nook_node *key, struct nook_node *val);
void nook_seq_push(struct nook_node *seq, struct nook_node *item);
bool nook_node_is_null(const struct nook_node *n);
/* Set the error "ORIGIN:LINE:COL: message" for node n. Returns -EINVAL. */
int nook_node_err(struct nook_error *err, const struct nook_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* merge.c */
/* Merge over into base (both consumed); path is the dotted key path of
 * the two nodes ("" for the document). Returns the merged node. */
struct nook_node *nook_node_merge(struct nook_node *base, struct nook_node *over,
				  const char *path);
/* Apply one "KEY.PATH=VALUE" or "KEY.PATH+=VALUE" override to the tree. */
int nook_override_apply(struct nook_node *root, const char *override, struct nook_error *err);
/* Same, its errors (and those of the values it sets) naming label (such as
 * "--network", the option that made the override) instead of "--set KEY". */
int nook_override_apply_as(struct nook_node *root, const char *override, const char *label,
			   struct nook_error *err);
/* Load a profile file and its extends: chain into one tree. */
int nook_profile_load_tree(const char *path, struct nook_node **out, struct nook_error *err);

/* vars.c */
/* Substitute ${...} in every scalar value of the tree. */
int nook_vars_expand_tree(struct nook_node *root, struct nook_error *err);
/* Expand one string; on error *why is set (static text or into whybuf). */
char *nook_vars_expand(const char *s, char *whybuf, size_t whysize);

/* shipped.c, generated by embed.awk from profiles/: names and texts of the
 * built-in profiles, NULL-terminated. */
extern const char *const nook_shipped_profile_name[];
extern const char *const nook_shipped_profile_text[];

/* keys.c */
enum nook_key_merge { NOOK_MERGE_DEFAULT = 0, NOOK_MERGE_REPLACE };
/* How a list at path merges (process.args replaces, others append). */
enum nook_key_merge nook_key_merge_mode(const char *path);
/* True if path is a section of keys ("resources", "security.seccomp"). */
bool nook_key_is_section(const char *path);
/* True if the map at path has free-form keys (env names, rlimit names). */
bool nook_key_is_freemap(const char *path);
/* Validate the tree with the key table and fill s (already initialized). */
int nook_keys_apply(const struct nook_node *root, struct nook_spec *s, struct nook_error *err);

/* Name tables (read.c), shared by parsing (keys.c, values.c) and printing
 * (emit.c). */
struct nook_name_val {
	const char *name;
	int val;
};
extern const struct nook_name_val nook_tbl_userns[], nook_tbl_rootfs_kind[],
	nook_tbl_mount_type[], nook_tbl_net_mode[], nook_tbl_rlimit[],
	nook_tbl_scmp_action[], nook_tbl_scmp_op[], nook_tbl_errno[], nook_tbl_ns[],
	nook_tbl_ll_scope[], nook_tbl_wl_secctx[];
const char *nook_tbl_name(const struct nook_name_val *t, int val);
/* Returns 0 and *val, or -ENOENT. */
int nook_tbl_lookup(const struct nook_name_val *t, const char *name, int *val);

/* find.c */
/* True if arg names a file (has a '/' or ends in .yaml), not a profile name. */
bool nook_profile_is_file_arg(const char *arg);
/* Find the file of a parent named in extends: of the profile self_real (a
 * realpath) in directory dir: a file name is relative to dir; a name equal
 * to the profile's own name continues the search after its directory. */
int nook_profile_find_parent(const char *name, const char *self_real, const char *dir,
			     char **path_out, struct nook_error *err);
