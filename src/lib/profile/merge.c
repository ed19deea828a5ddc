/* SPDX-License-Identifier: GPL-2.0-or-later */
/* merge.c - profile inheritance (extends:) and command-line overrides.
 *
 * Merge rules, child over parent (and override over profile):
 *   map  + map  -> keys merged recursively
 *   list + list -> parent items, then child items (process.args replaces)
 *   anything else, or a value tagged !reset -> the child's value replaces
 */
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cleanup.h"
#include "nook/profile.h"
#include "nook/util.h"
#include "internal.h"

static char *subpath(const char *path, const char *key)
{
	return path[0] ? nook_asprintf("%s.%s", path, key) : nook_strdup(key);
}

struct nook_node *nook_node_merge(struct nook_node *base, struct nook_node *over, const char *path)
{
	if (!base)
		return over;
	if (over->tag) {
		/* !reset: drop what the parent had */
		free(over->tag);
		over->tag = NULL;
		nook_node_free(base);
		return over;
	}
	if (base->kind == NOOK_NODE_MAP && over->kind == NOOK_NODE_MAP) {
		for (size_t i = 0; i < over->n; i++) {
			struct nook_node *key = over->pairs[i].key, *val = over->pairs[i].val;
			struct nook_pair *bp = nook_map_find(base, key->value);
			if (bp) {
				_cleanup_free_ char *sub = subpath(path, key->value);
				bp->val = nook_node_merge(bp->val, val, sub);
				nook_node_free(key);
			} else {
				nook_map_append(base, key, val);
			}
		}
		free(over->pairs);
		over->pairs = NULL;
		over->n = 0;
		nook_node_free(over);
		return base;
	}
	if (base->kind == NOOK_NODE_SEQ && over->kind == NOOK_NODE_SEQ &&
	    nook_key_merge_mode(path) != NOOK_MERGE_REPLACE) {
		for (size_t i = 0; i < over->n; i++)
			nook_seq_push(base, over->items[i]);
		free(over->items);
		over->items = NULL;
		over->n = 0;
		nook_node_free(over);
		return base;
	}
	nook_node_free(base);
	return over;
}

/* ---------------------------------------------------------------- overrides */

static bool valid_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

int nook_override_apply(struct nook_node *root, const char *ov, struct nook_error *err)
{
	return nook_override_apply_as(root, ov, NULL, err);
}

int nook_override_apply_as(struct nook_node *root, const char *ov, const char *label,
			   struct nook_error *err)
{
	const char *eq = strchr(ov, '=');
	if (!eq || eq == ov)
		return nook_errx(err, EINVAL, "--set %s: expected KEY.PATH=VALUE or KEY.PATH+=VALUE", ov);
	bool append = eq[-1] == '+';
	_cleanup_free_ char *key = strndup(ov, (size_t)(eq - ov - (append ? 1 : 0)));
	if (!key)
		abort();
	/* errors name what the user typed: "--network" for an option, else "--set KEY" */
	_cleanup_free_ char *origin = label && label[0] ? nook_strdup(label) : nook_asprintf("--set %s", key);
	const char *value = eq + 1;

	/* split the path; inside a free-form map the rest is one key */
	char *segs[NOOK_PROFILE_MAX_DEPTH];
	size_t nseg = 0;
	_cleanup_free_ char *walked = nook_strdup("");
	char *p = key;
	while (p) {
		if (nseg == NOOK_PROFILE_MAX_DEPTH)
			return nook_errx(err, EINVAL, "%s: key path is too deep", origin);
		char *dot = nook_key_is_freemap(walked) ? NULL : strchr(p, '.');
		if (dot)
			*dot = 0;
		if (!*p)
			return nook_errx(err, EINVAL, "%s: empty key in the path (write KEY.SUBKEY=VALUE)", origin);
		if (!nook_key_is_freemap(walked))
			for (const char *c = p; *c; c++)
				if (!valid_key_char(*c))
					return nook_errx(err, EINVAL, "%s: invalid character '%c' in key '%s'",
							 origin, *c, p);
		segs[nseg++] = p;
		char *w = walked[0] ? nook_asprintf("%s.%s", walked, p) : nook_strdup(p);
		free(walked);
		walked = w;
		p = dot ? dot + 1 : NULL;
	}

	struct nook_node *val = NULL;
	if (!value[0]) {
		val = nook_node_new(NOOK_NODE_SCALAR, origin, 0, 0);
		val->value = nook_strdup("");
	} else {
		int r = nook_yaml_parse(value, strlen(value), origin, &val, err);
		if (r < 0)
			return r;
	}

	struct nook_node *cur = root;
	for (size_t i = 0; i + 1 < nseg; i++) {
		struct nook_node *next = nook_map_get(cur, segs[i]);
		if (next && next->kind == NOOK_NODE_SEQ) {
			nook_node_free(val);
			return nook_errx(err, EINVAL, "%s: '%s' is a list; replace it whole or append with %s+=VALUE",
					 origin, segs[i], segs[i]);
		}
		if (!next || next->kind != NOOK_NODE_MAP) {
			/* a key below a single value replaces that value */
			next = nook_node_new(NOOK_NODE_MAP, origin, 0, 0);
			nook_map_set(cur, segs[i], next);
		}
		cur = next;
	}
	const char *last = segs[nseg - 1];
	struct nook_node *old = nook_map_get(cur, last);
	if (!append || !old) {
		if (append && val->kind != NOOK_NODE_SEQ && val->kind != NOOK_NODE_MAP) {
			struct nook_node *seq = nook_node_new(NOOK_NODE_SEQ, origin, 0, 0);
			nook_seq_push(seq, val);
			val = seq;
		} else if (append && val->kind == NOOK_NODE_MAP && !nook_key_is_freemap(walked) &&
			   !nook_key_is_section(walked)) {
			/* KEY+={...} on a missing key: a list with one map (mounts+={...}) */
			struct nook_node *seq = nook_node_new(NOOK_NODE_SEQ, origin, 0, 0);
			nook_seq_push(seq, val);
			val = seq;
		}
		nook_map_set(cur, last, val);
		return 0;
	}
	if (old->kind == NOOK_NODE_SEQ) {
		if (val->kind == NOOK_NODE_SEQ) {
			for (size_t i = 0; i < val->n; i++)
				nook_seq_push(old, val->items[i]);
			val->n = 0;
			nook_node_free(val);
		} else {
			nook_seq_push(old, val);
		}
		return 0;
	}
	if (old->kind == NOOK_NODE_MAP && val->kind == NOOK_NODE_MAP) {
		nook_map_find(cur, last)->val = nook_node_merge(old, val, walked);
		return 0;
	}
	nook_node_free(val);
	return nook_errx(err, EINVAL, "%s: += appends to a list or merges into a map, but '%s' is a single value (use = to replace it)",
			 origin, key);
}

/* ---------------------------------------------------------------- extends */

struct load_ctx {
	char *stack[NOOK_PROFILE_MAX_EXTENDS + 1];
	size_t depth;
};

static char *stack_text(const struct load_ctx *c, const char *last)
{
	char *s = nook_strdup("");
	for (size_t i = 0; i < c->depth; i++) {
		char *n = nook_asprintf("%s%s -> ", s, c->stack[i]);
		free(s);
		s = n;
	}
	char *n = nook_asprintf("%s%s", s, last);
	free(s);
	return n;
}

static int load(struct load_ctx *c, const char *path, const struct nook_node *from,
		struct nook_node **out, struct nook_error *err)
{
	char real[PATH_MAX];
	if (nook_profile_builtin_text(path)) {
		snprintf(real, sizeof real, "%s", path);
	} else if (!realpath(path, real)) {
		int e = errno;
		if (from)
			return nook_node_err(err, from, "cannot read parent profile %s: %s", path, strerror(e));
		return nook_err(err, e, "cannot read profile %s", path);
	}
	for (size_t i = 0; i < c->depth; i++) {
		if (strcmp(c->stack[i], real) == 0) {
			_cleanup_free_ char *chain = stack_text(c, real);
			return nook_node_err(err, from, "extends cycle: %s", chain);
		}
	}
	if (c->depth >= NOOK_PROFILE_MAX_EXTENDS)
		return nook_node_err(err, from, "extends chain is longer than %d profiles", NOOK_PROFILE_MAX_EXTENDS);

	struct nook_node *root = NULL;
	int r = nook_yaml_parse_file(path, &root, err);
	if (r < 0)
		return r;
	if (root->kind != NOOK_NODE_MAP) {
		r = nook_node_err(err, root, "a profile is a map of keys (like 'hostname: box'), not a %s",
				  root->kind == NOOK_NODE_SEQ ? "list" : "single value");
		nook_node_free(root);
		return r;
	}
	struct nook_node *ext = nook_map_get(root, "extends");
	if (!ext) {
		*out = root;
		return 0;
	}
	/* collect parent names */
	struct nook_node *list = NULL;
	if (ext->kind == NOOK_NODE_SCALAR) {
		list = nook_node_new(NOOK_NODE_SEQ, ext->origin, ext->line, ext->col);
		nook_seq_push(list, nook_node_copy(ext));
	} else if (ext->kind == NOOK_NODE_SEQ) {
		list = nook_node_copy(ext);
	} else {
		r = nook_node_err(err, ext, "extends: expects a profile name or a list of names");
		nook_node_free(root);
		return r;
	}
	nook_map_del(root, "extends");
	c->stack[c->depth++] = nook_strdup(real);
	struct nook_node *base = NULL;
	_cleanup_free_ char *dir_buf = nook_strdup(real);
	const char *dir = dirname(dir_buf);
	for (size_t i = 0; i < list->n && r == 0; i++) {
		const struct nook_node *item = list->items[i];
		if (item->kind != NOOK_NODE_SCALAR || !item->value[0]) {
			r = nook_node_err(err, item, "extends: expects profile names");
			break;
		}
		_cleanup_free_ char *ppath = NULL;
		r = nook_profile_find_parent(item->value, real, dir, &ppath, err);
		if (r < 0) {
			char msg[NOOK_ERR_MAX];
			snprintf(msg, sizeof msg, "%s", err->msg);
			r = nook_node_err(err, item, "%s", msg);
			break;
		}
		struct nook_node *parent = NULL;
		r = load(c, ppath, item, &parent, err);
		if (r < 0)
			break;
		base = base ? nook_node_merge(base, parent, "") : parent;
	}
	free(c->stack[--c->depth]);
	nook_node_free(list);
	if (r < 0) {
		nook_node_free(base);
		nook_node_free(root);
		return r;
	}
	*out = nook_node_merge(base, root, "");
	return 0;
}

int nook_profile_load_tree(const char *path, struct nook_node **out, struct nook_error *err)
{
	struct load_ctx c = { 0 };
	*out = NULL;
	return load(&c, path, NULL, out, err);
}
