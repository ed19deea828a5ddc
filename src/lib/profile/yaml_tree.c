/* SPDX-License-Identifier: GPL-2.0-or-later */
/* yaml_tree.c - parse one YAML document with libyaml into a node tree that
 * remembers where every node came from (file, line, column). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "nook/profile.h"
#include "internal.h"

#define TAG_STR "tag:yaml.org,2002:str"

struct nook_node *nook_node_new(enum nook_node_kind kind, const char *origin,
				unsigned line, unsigned col)
{
	struct nook_node *n = nook_xmalloc(sizeof *n);
	n->kind = kind;
	n->origin = nook_strdup(origin ? origin : "?");
	n->line = line;
	n->col = col;
	return n;
}

void nook_node_free(struct nook_node *n)
{
	if (!n)
		return;
	if (n->kind == NOOK_NODE_MAP) {
		for (size_t i = 0; i < n->n; i++) {
			nook_node_free(n->pairs[i].key);
			nook_node_free(n->pairs[i].val);
		}
		free(n->pairs);
		free(n->index);
	} else if (n->kind == NOOK_NODE_SEQ) {
		for (size_t i = 0; i < n->n; i++)
			nook_node_free(n->items[i]);
		free(n->items);
	}
	free(n->value);
	free(n->tag);
	free(n->origin);
	free(n);
}

struct nook_node *nook_node_copy(const struct nook_node *n)
{
	if (!n)
		return NULL;
	struct nook_node *c = nook_node_new(n->kind, n->origin, n->line, n->col);
	c->tag = nook_strdup(n->tag);
	c->value = nook_strdup(n->value);
	c->quoted = n->quoted;
	if (n->kind == NOOK_NODE_MAP) {
		c->pairs = nook_xmalloc((n->n ? n->n : 1) * sizeof *c->pairs);
		for (size_t i = 0; i < n->n; i++) {
			c->pairs[i].key = nook_node_copy(n->pairs[i].key);
			c->pairs[i].val = nook_node_copy(n->pairs[i].val);
		}
	} else if (n->kind == NOOK_NODE_SEQ) {
		c->items = nook_xmalloc((n->n ? n->n : 1) * sizeof *c->items);
		for (size_t i = 0; i < n->n; i++)
			c->items[i] = nook_node_copy(n->items[i]);
	}
	c->n = n->n;
	c->cap = n->n ? n->n : 1;
	return c;
}

/* ---------------------------------------------------------------- maps
 * Lookups are linear on small maps (a profile's sections) and hashed on
 * large ones, so that N keys cost O(N), not O(N^2), to build and search. */
#define MAP_INDEX_MIN 16

static size_t key_hash(const char *s)
{
	size_t h = 14695981039346656037ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void index_put(struct nook_node *map, size_t i)
{
	size_t mask = map->index_cap - 1;
	size_t h = key_hash(map->pairs[i].key->value) & mask;
	while (map->index[h])
		h = (h + 1) & mask;
	map->index[h] = i + 1;
}

static void index_build(struct nook_node *map, size_t want)
{
	size_t cap = 64;
	while (cap < 2 * want)
		cap *= 2;
	free(map->index);
	map->index = nook_xmalloc(cap * sizeof *map->index);
	map->index_cap = cap;
	for (size_t i = 0; i < map->n; i++)
		index_put(map, i);
}

static void index_drop(struct nook_node *map)
{
	free(map->index);
	map->index = NULL;
	map->index_cap = 0;
}

struct nook_pair *nook_map_find(const struct nook_node *cmap, const char *key)
{
	if (!cmap || cmap->kind != NOOK_NODE_MAP)
		return NULL;
	if (cmap->n < MAP_INDEX_MIN) {
		for (size_t i = 0; i < cmap->n; i++)
			if (strcmp(cmap->pairs[i].key->value, key) == 0)
				return &cmap->pairs[i];
		return NULL;
	}
	/* the index is a cache: building it does not change the map */
	struct nook_node *map = (struct nook_node *)cmap;
	if (!map->index)
		index_build(map, map->n);
	size_t mask = map->index_cap - 1;
	for (size_t h = key_hash(key) & mask; map->index[h]; h = (h + 1) & mask) {
		struct nook_pair *p = &map->pairs[map->index[h] - 1];
		if (strcmp(p->key->value, key) == 0)
			return p;
	}
	return NULL;
}

struct nook_node *nook_map_get(const struct nook_node *map, const char *key)
{
	struct nook_pair *p = nook_map_find(map, key);
	return p ? p->val : NULL;
}

void nook_map_append(struct nook_node *map, struct nook_node *key, struct nook_node *val)
{
	if (map->n + 1 > map->cap) {
		map->cap = map->cap ? 2 * map->cap : 4;
		map->pairs = nook_xrealloc(map->pairs, map->cap * sizeof *map->pairs);
	}
	map->pairs[map->n].key = key;
	map->pairs[map->n].val = val;
	map->n++;
	if (map->index) {
		if (2 * map->n > map->index_cap)
			index_build(map, map->n);
		else
			index_put(map, map->n - 1);
	}
}

void nook_map_set(struct nook_node *map, const char *key, struct nook_node *val)
{
	struct nook_pair *p = nook_map_find(map, key);
	if (p) {
		nook_node_free(p->val);
		p->val = val;
		return;
	}
	struct nook_node *k = nook_node_new(NOOK_NODE_SCALAR, val->origin, val->line, val->col);
	k->value = nook_strdup(key);
	nook_map_append(map, k, val);
}

void nook_map_del(struct nook_node *map, const char *key)
{
	struct nook_pair *p = nook_map_find(map, key);
	if (!p)
		return;
	size_t i = (size_t)(p - map->pairs);
	nook_node_free(p->key);
	nook_node_free(p->val);
	memmove(&map->pairs[i], &map->pairs[i + 1], (map->n - i - 1) * sizeof *map->pairs);
	map->n--;
	index_drop(map); /* the indices moved: rebuilt on the next lookup */
}

void nook_seq_push(struct nook_node *seq, struct nook_node *item)
{
	if (seq->n + 1 > seq->cap) {
		seq->cap = seq->cap ? 2 * seq->cap : 4;
		seq->items = nook_xrealloc(seq->items, seq->cap * sizeof *seq->items);
	}
	seq->items[seq->n++] = item;
}

bool nook_node_is_null(const struct nook_node *n)
{
	if (!n)
		return true;
	if (n->kind != NOOK_NODE_SCALAR || n->quoted)
		return false;
	const char *v = n->value;
	return !v[0] || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* Errors are one line: control characters from values become '?'. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

int nook_node_err(struct nook_error *err, const struct nook_node *n, const char *fmt, ...)
{
	char msg[NOOK_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	one_line(msg);
	if (!n)
		return nook_errx(err, EINVAL, "%s", msg);
	if (n->line)
		return nook_errx(err, EINVAL, "%s:%u:%u: %s", n->origin, n->line, n->col, msg);
	return nook_errx(err, EINVAL, "%s: %s", n->origin, msg);
}

struct parse_ctx {
	yaml_parser_t parser;
	const char *origin;
	size_t nodes;
	bool file_positions; /* false for overrides: no line/column in errors */
	const char *buf;     /* the input, to place reader (encoding) errors */
	size_t len;
	struct nook_error *err;
};

static int pos_err(struct parse_ctx *c, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int pos_err(struct parse_ctx *c, yaml_mark_t mark, const char *fmt, ...)
{
	char msg[NOOK_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!c->file_positions)
		return nook_errx(c->err, EINVAL, "%s: %s", c->origin, msg);
	return nook_errx(c->err, EINVAL, "%s:%zu:%zu: %s", c->origin, mark.line + 1,
			 mark.column + 1, msg);
}

static int next_event(struct parse_ctx *c, yaml_event_t *ev)
{
	if (yaml_parser_parse(&c->parser, ev))
		return 0;
	const char *problem = c->parser.problem ? c->parser.problem : "invalid YAML";
	if (c->parser.error == YAML_MEMORY_ERROR)
		problem = "out of memory";
	if (c->parser.error == YAML_READER_ERROR) {
		/* the reader reports a byte offset, not a line and column */
		yaml_mark_t m = { 0, 0, 0 };
		for (size_t i = 0; i < c->parser.problem_offset && i < c->len; i++) {
			if (c->buf[i] == '\n') {
				m.line++;
				m.column = 0;
			} else if (((unsigned char)c->buf[i] & 0xc0) != 0x80) {
				m.column++;
			}
		}
		return pos_err(c, m, "invalid YAML: %s", problem);
	}
	if (c->parser.context)
		return pos_err(c, c->parser.problem_mark, "invalid YAML: %s %s", problem,
			       c->parser.context);
	return pos_err(c, c->parser.problem_mark, "invalid YAML: %s", problem);
}

static struct nook_node *mk(struct parse_ctx *c, enum nook_node_kind kind, yaml_mark_t m)
{
	if (c->file_positions)
		return nook_node_new(kind, c->origin, m.line + 1, m.column + 1);
	return nook_node_new(kind, c->origin, 0, 0);
}

static int check_tag_anchor(struct parse_ctx *c, yaml_mark_t m, const yaml_char_t *anchor,
			    const yaml_char_t *tag, bool scalar, struct nook_node *n)
{
	if (anchor)
		return pos_err(c, m, "YAML anchors and aliases are not supported (use extends: to share settings)");
	if (!tag)
		return 0;
	if (strcmp((const char *)tag, "!reset") == 0) {
		if (scalar)
			return pos_err(c, m, "!reset applies to a list or a map, not to a single value");
		n->tag = nook_strdup("!reset");
		return 0;
	}
	if (scalar && strcmp((const char *)tag, TAG_STR) == 0) {
		n->quoted = true;
		return 0;
	}
	return pos_err(c, m, "unknown tag '%s' (the only tag nook knows is !reset)", (const char *)tag);
}

static int parse_node(struct parse_ctx *c, yaml_event_t *ev, unsigned depth, struct nook_node **out);

static int parse_children(struct parse_ctx *c, struct nook_node *n, unsigned depth)
{
	for (;;) {
		yaml_event_t ev;
		int r = next_event(c, &ev);
		if (r < 0)
			return r;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		struct nook_node *child = NULL;
		yaml_mark_t key_mark = ev.start_mark;
		r = parse_node(c, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (r < 0)
			return r;
		if (n->kind == NOOK_NODE_SEQ) {
			nook_seq_push(n, child);
			continue;
		}
		/* map: child is the key */
		if (child->kind != NOOK_NODE_SCALAR) {
			nook_node_free(child);
			return pos_err(c, key_mark, "a key must be a plain string, not a list or a map");
		}
		const struct nook_pair *dup = nook_map_find(n, child->value);
		if (dup) {
			r = pos_err(c, key_mark, "duplicate key '%s' (first given at line %u)",
				    child->value, dup->key->line);
			nook_node_free(child);
			return r;
		}
		struct nook_node *val = NULL;
		r = next_event(c, &ev);
		if (r < 0) {
			nook_node_free(child);
			return r;
		}
		r = parse_node(c, &ev, depth + 1, &val);
		yaml_event_delete(&ev);
		if (r < 0) {
			nook_node_free(child);
			return r;
		}
		nook_map_append(n, child, val);
	}
}

static int parse_node(struct parse_ctx *c, yaml_event_t *ev, unsigned depth, struct nook_node **out)
{
	struct nook_node *n = NULL;
	int r;
	if (depth > NOOK_PROFILE_MAX_DEPTH)
		return pos_err(c, ev->start_mark, "nested too deeply (more than %d levels)",
			       NOOK_PROFILE_MAX_DEPTH);
	if (++c->nodes > NOOK_PROFILE_MAX_NODES)
		return pos_err(c, ev->start_mark, "too many values (more than %d)", NOOK_PROFILE_MAX_NODES);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return pos_err(c, ev->start_mark, "YAML anchors and aliases are not supported (use extends: to share settings)");
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.length > NOOK_PROFILE_MAX_SCALAR)
			return pos_err(c, ev->start_mark, "value is too long (%zu bytes, at most %d)",
				       ev->data.scalar.length, NOOK_PROFILE_MAX_SCALAR);
		if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
			return pos_err(c, ev->start_mark, "value contains a NUL character");
		n = mk(c, NOOK_NODE_SCALAR, ev->start_mark);
		n->value = nook_strdup((const char *)ev->data.scalar.value);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		r = check_tag_anchor(c, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag, true, n);
		break;
	case YAML_MAPPING_START_EVENT:
		n = mk(c, NOOK_NODE_MAP, ev->start_mark);
		r = check_tag_anchor(c, ev->start_mark, ev->data.mapping_start.anchor,
				     ev->data.mapping_start.tag, false, n);
		if (r == 0)
			r = parse_children(c, n, depth);
		break;
	case YAML_SEQUENCE_START_EVENT:
		n = mk(c, NOOK_NODE_SEQ, ev->start_mark);
		r = check_tag_anchor(c, ev->start_mark, ev->data.sequence_start.anchor,
				     ev->data.sequence_start.tag, false, n);
		if (r == 0)
			r = parse_children(c, n, depth);
		break;
	default:
		return pos_err(c, ev->start_mark, "unexpected YAML event");
	}
	if (r < 0) {
		nook_node_free(n);
		return r;
	}
	*out = n;
	return 0;
}

static int parse(struct parse_ctx *c, struct nook_node **out)
{
	yaml_event_t ev;
	struct nook_node *root = NULL;
	int r = next_event(c, &ev); /* stream start */
	if (r < 0)
		return r;
	yaml_event_delete(&ev);
	r = next_event(c, &ev);
	if (r < 0)
		return r;
	if (ev.type == YAML_STREAM_END_EVENT) {
		r = pos_err(c, ev.start_mark, "empty profile (a profile is a map of keys, see nook-profile(5))");
		yaml_event_delete(&ev);
		return r;
	}
	yaml_event_delete(&ev); /* document start */
	r = next_event(c, &ev);
	if (r < 0)
		return r;
	r = parse_node(c, &ev, 0, &root);
	yaml_event_delete(&ev);
	if (r < 0)
		return r;
	r = next_event(c, &ev); /* document end */
	if (r < 0)
		goto fail;
	yaml_event_delete(&ev);
	r = next_event(c, &ev);
	if (r < 0)
		goto fail;
	if (ev.type != YAML_STREAM_END_EVENT) {
		r = pos_err(c, ev.start_mark, "more than one YAML document (remove the '---' separator)");
		yaml_event_delete(&ev);
		goto fail;
	}
	yaml_event_delete(&ev);
	*out = root;
	return 0;
fail:
	nook_node_free(root);
	return r;
}

static int parse_buf(const char *buf, size_t len, const char *origin, bool positions,
		     struct nook_node **out, struct nook_error *err)
{
	struct parse_ctx c = { .origin = origin, .err = err, .file_positions = positions,
			       .buf = buf, .len = len };
	if (!yaml_parser_initialize(&c.parser))
		return nook_errx(err, ENOMEM, "%s: cannot initialize the YAML parser", origin);
	yaml_parser_set_input_string(&c.parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&c.parser, YAML_UTF8_ENCODING);
	int r = parse(&c, out);
	yaml_parser_delete(&c.parser);
	return r;
}

int nook_yaml_parse_text(const char *buf, size_t len, const char *origin,
			 struct nook_node **out, struct nook_error *err)
{
	*out = NULL;
	if (len > NOOK_PROFILE_MAX_BYTES)
		return nook_errx(err, EFBIG, "%s: file is too large (more than %d bytes)", origin,
				 NOOK_PROFILE_MAX_BYTES);
	/* overrides are named "--set KEY": no line and column in their errors */
	bool positions = strncmp(origin, "--", 2) != 0;
	return parse_buf(buf, len, origin, positions, out, err);
}
