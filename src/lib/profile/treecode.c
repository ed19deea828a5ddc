/* SPDX-License-Identifier: GPL-2.0-or-later */
/* treecode.c - a profile's node tree as bytes and back.
 *
 * The build parses every shipped profile once (gen_ptree.c) and keeps the
 * tree in this form (shipped_trees.c), so that a start with a shipped
 * profile rebuilds its nodes instead of running libyaml over the text
 * again. Each node, depth first:
 *
 *   kind (1 byte: NOOK_NODE_*), flags (1 byte: 1 quoted, 2 a value,
 *   4 a tag), line and column (4 bytes each, little-endian), then the
 *   value and the tag when flagged (4-byte length, the bytes), then the
 *   number of children (4 bytes) and the children: key and value per
 *   pair of a map, one node per item of a sequence.
 *
 * The origin (the file's path) is not stored: the reader gives it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "nook/util.h"
#include "internal.h"

enum { F_QUOTED = 1, F_VALUE = 2, F_TAG = 4 };

struct out {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct out *o, const void *b, size_t n)
{
	if (o->n + n > o->cap) {
		o->cap = (o->n + n) * 2;
		o->p = nook_xrealloc(o->p, o->cap);
	}
	memcpy(o->p + o->n, b, n);
	o->n += n;
}

static void put32(struct out *o, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 24) };
	put(o, b, 4);
}

static void put_str(struct out *o, const char *s)
{
	size_t n = strlen(s);
	put32(o, (uint32_t)n);
	put(o, s, n);
}

static void enc(struct out *o, const struct nook_node *n)
{
	unsigned char head[2] = { (unsigned char)n->kind,
				  (unsigned char)((n->quoted ? F_QUOTED : 0) | (n->value ? F_VALUE : 0) |
						  (n->tag ? F_TAG : 0)) };
	put(o, head, 2);
	put32(o, n->line);
	put32(o, n->col);
	if (n->value)
		put_str(o, n->value);
	if (n->tag)
		put_str(o, n->tag);
	put32(o, (uint32_t)(n->kind == NOOK_NODE_SCALAR ? 0 : n->n));
	for (size_t i = 0; n->kind == NOOK_NODE_MAP && i < n->n; i++) {
		enc(o, n->pairs[i].key);
		enc(o, n->pairs[i].val);
	}
	for (size_t i = 0; n->kind == NOOK_NODE_SEQ && i < n->n; i++)
		enc(o, n->items[i]);
}

unsigned char *nook_node_encode(const struct nook_node *n, size_t *len)
{
	struct out o = { 0 };
	enc(&o, n);
	*len = o.n;
	return o.p;
}

struct in {
	const unsigned char *p;
	size_t left;
	const char *origin;
};

static int get32(struct in *in, uint32_t *v)
{
	if (in->left < 4)
		return -EINVAL;
	*v = (uint32_t)in->p[0] | (uint32_t)in->p[1] << 8 | (uint32_t)in->p[2] << 16 | (uint32_t)in->p[3] << 24;
	in->p += 4;
	in->left -= 4;
	return 0;
}

static int get_str(struct in *in, char **s)
{
	uint32_t n;
	if (get32(in, &n) < 0 || in->left < n)
		return -EINVAL;
	*s = nook_xmalloc((size_t)n + 1);
	memcpy(*s, in->p, n);
	(*s)[n] = '\0';
	in->p += n;
	in->left -= n;
	return 0;
}

static int dec(struct in *in, unsigned depth, struct nook_node **out)
{
	uint32_t line, col, count;
	if (depth > NOOK_PROFILE_MAX_DEPTH || in->left < 2)
		return -EINVAL;
	unsigned kind = in->p[0], flags = in->p[1];
	in->p += 2;
	in->left -= 2;
	if (kind < NOOK_NODE_SCALAR || kind > NOOK_NODE_SEQ || get32(in, &line) < 0 || get32(in, &col) < 0)
		return -EINVAL;
	struct nook_node *n = nook_node_new((enum nook_node_kind)kind, in->origin, line, col);
	n->quoted = flags & F_QUOTED;
	int r = 0;
	if ((flags & F_VALUE) && (r = get_str(in, &n->value)) < 0)
		goto fail;
	if ((flags & F_TAG) && (r = get_str(in, &n->tag)) < 0)
		goto fail;
	if ((r = get32(in, &count)) < 0 || (kind == NOOK_NODE_SCALAR && count)) {
		r = -EINVAL;
		goto fail;
	}
	for (uint32_t i = 0; i < count; i++) {
		struct nook_node *a = NULL, *b = NULL;
		if ((r = dec(in, depth + 1, &a)) < 0)
			goto fail;
		if (kind == NOOK_NODE_SEQ) {
			nook_seq_push(n, a);
			continue;
		}
		if (a->kind != NOOK_NODE_SCALAR || !a->value || (r = dec(in, depth + 1, &b)) < 0) {
			nook_node_free(a);
			r = -EINVAL;
			goto fail;
		}
		nook_map_append(n, a, b);
	}
	*out = n;
	return 0;
fail:
	nook_node_free(n);
	return r;
}

int nook_node_decode(const unsigned char *buf, size_t len, const char *origin, struct nook_node **out)
{
	struct in in = { buf, len, origin };
	*out = NULL;
	int r = dec(&in, 0, out);
	if (r == 0 && in.left) {
		nook_node_free(*out);
		*out = NULL;
		r = -EINVAL;
	}
	return r;
}
