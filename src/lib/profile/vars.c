/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vars.c - ${VARIABLE} substitution in profile values.
 *
 *   ${HOME} ${USER} ${UID} ${GID} ${XDG_RUNTIME_DIR} ${PWD}   built in
 *   ${env:NAME}                                               the environment
 *   ${NAME:-default}                                          default when undefined
 *   $$                                                        a literal '$'
 *
 * A '$' followed by anything else is kept as it is. An unknown variable
 * name is always an error (typos must not expand to nothing); a known one
 * that is undefined is an error unless a default is given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/twin.h"
#include "nook/util.h"
#include "internal.h"

#define MAX_EXPANDED (64 * 1024)
#define MAX_NESTING 8

struct buf {
	char *s;
	size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = nook_xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

/* The caller's name or home directory (util.h: nook_passwd_me). A static
 * nook without NSS hands the whole command to its twin when /etc/passwd
 * lacks the caller (twin.h), before the profile has made anything. */
static const char *me(bool home)
{
	static bool handed;
	const char *name, *dir;
	if (nook_passwd_me(&name, &dir) < 0 && nook_is_static() && !handed) {
		struct nook_error err = { 0 };
		handed = true;
		nook_twin_exec("your user is not in /etc/passwd (NSS knows it)", &err);
		nook_warn("%s", err.msg);
	}
	return home ? dir : name;
}

/* The value of a variable name, or NULL when undefined; *known false when
 * the name is not a variable nook knows. Returns malloc'd text. */
static char *lookup(const char *name, bool *known)
{
	*known = true;
	if (strncmp(name, "env:", 4) == 0) {
		const char *v = getenv(name + 4);
		return nook_strdup(v);
	}
	if (strcmp(name, "HOME") == 0) {
		const char *h = getenv("HOME");
		if (h && h[0] == '/')
			return nook_strdup(h);
		return nook_strdup(me(true));
	}
	if (strcmp(name, "USER") == 0) {
		const char *n = me(false);
		return nook_strdup(n ? n : getenv("USER"));
	}
	if (strcmp(name, "UID") == 0)
		return nook_asprintf("%u", (unsigned)getuid());
	if (strcmp(name, "GID") == 0)
		return nook_asprintf("%u", (unsigned)getgid());
	if (strcmp(name, "XDG_RUNTIME_DIR") == 0) {
		const char *v = getenv("XDG_RUNTIME_DIR");
		return v && v[0] == '/' ? nook_strdup(v) : NULL;
	}
	if (strcmp(name, "PWD") == 0) {
		char cwd[4096];
		return getcwd(cwd, sizeof cwd) ? nook_strdup(cwd) : NULL;
	}
	*known = false;
	return NULL;
}

static bool valid_env_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int expand(const char *s, struct buf *out, unsigned nesting, char *why, size_t whysize)
{
	if (nesting > MAX_NESTING) {
		snprintf(why, whysize, "variables nested too deeply");
		return -EINVAL;
	}
	while (*s) {
		const char *d = strchr(s, '$');
		if (!d) {
			buf_add(out, s, strlen(s));
			break;
		}
		buf_add(out, s, (size_t)(d - s));
		if (d[1] == '$') {
			buf_add(out, "$", 1);
			s = d + 2;
			continue;
		}
		if (d[1] != '{') {
			buf_add(out, "$", 1);
			s = d + 1;
			continue;
		}
		/* find the matching brace, allowing ${...} inside a default */
		const char *p = d + 2;
		int depth = 1;
		for (; *p; p++) {
			if (p[0] == '$' && p[1] == '{') {
				depth++;
				p++;
			} else if (*p == '}' && --depth == 0) {
				break;
			}
		}
		if (!*p) {
			snprintf(why, whysize, "unterminated variable '%.40s' (missing '}')", d);
			return -EINVAL;
		}
		_cleanup_free_ char *inner = strndup(d + 2, (size_t)(p - d - 2));
		if (!inner)
			abort();
		char *def = strstr(inner, ":-");
		if (def) {
			*def = 0;
			def += 2;
		}
		if (!inner[0]) {
			snprintf(why, whysize, "empty variable name '${}'");
			return -EINVAL;
		}
		if (strncmp(inner, "env:", 4) == 0 && !valid_env_name(inner + 4)) {
			snprintf(why, whysize, "invalid environment variable name '%.64s'", inner + 4);
			return -EINVAL;
		}
		bool known;
		_cleanup_free_ char *val = lookup(inner, &known);
		if (!known) {
			snprintf(why, whysize,
				 "unknown variable '${%.64s}' (known: HOME, USER, UID, GID, XDG_RUNTIME_DIR, PWD; "
				 "use ${env:%.64s} for the environment)", inner, inner);
			return -EINVAL;
		}
		if (val) {
			buf_add(out, val, strlen(val));
		} else if (def) {
			int r = expand(def, out, nesting + 1, why, whysize);
			if (r < 0)
				return r;
		} else {
			snprintf(why, whysize, "variable '${%.64s}' is not defined (give a default: ${%.64s:-VALUE})",
				 inner, inner);
			return -EINVAL;
		}
		if (out->len > MAX_EXPANDED) {
			snprintf(why, whysize, "value is too long after substituting variables");
			return -EINVAL;
		}
		s = p + 1;
	}
	return 0;
}

char *nook_vars_expand(const char *s, char *whybuf, size_t whysize)
{
	struct buf b = { 0 };
	buf_add(&b, "", 0);
	if (expand(s, &b, 0, whybuf, whysize) < 0) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* depth 0 is the document: its description is free text, not expanded */
static int expand_tree(struct nook_node *n, unsigned depth, struct nook_error *err)
{
	switch (n->kind) {
	case NOOK_NODE_SCALAR: {
		if (!strchr(n->value, '$'))
			return 0;
		char why[512];
		char *v = nook_vars_expand(n->value, why, sizeof why);
		if (!v)
			return nook_node_err(err, n, "%s", why);
		free(n->value);
		n->value = v;
		/* an expanded value is data, never null or a boolean keyword */
		n->quoted = true;
		return 0;
	}
	case NOOK_NODE_MAP:
		for (size_t i = 0; i < n->n; i++) {
			if (depth == 0 && strcmp(n->pairs[i].key->value, "description") == 0)
				continue;
			int r = expand_tree(n->pairs[i].val, depth + 1, err);
			if (r < 0)
				return r;
		}
		return 0;
	case NOOK_NODE_SEQ:
		for (size_t i = 0; i < n->n; i++) {
			int r = expand_tree(n->items[i], depth + 1, err);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return 0;
}

int nook_vars_expand_tree(struct nook_node *root, struct nook_error *err)
{
	return expand_tree(root, 0, err);
}
