/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dbuskeys.c - the setters of the desktop keys with a syntax of their
 * own: app_id, persist.paths and the dbus.session / dbus.system name and
 * rule lists,
 * checked here (desktop/dbusname.c holds the syntax) so that a bad name
 * is reported with its file and line before anything starts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/util.h"
#include "keys.h"

#define FIELD(c, row, type) ((type *)((char *)(c)->s + (row)->off))

int nook_set_app_id(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	const char *v, *why = "";
	int r = nook_get_str(c, n, &v);
	if (r < 0)
		return r;
	if (!nook_dbus_name_valid(v, false, &why))
		return nook_node_err(c->err, n, "invalid app_id '%s': %s (an app id is a D-Bus name such as org.example.App)",
				     v, why);
	char **f = FIELD(c, row, char *);
	free(*f);
	*f = nook_strdup(v);
	return 0;
}

/* dbus.*.talk/own/see (names, "org.example.*" allowed) and call/broadcast
 * (rules "NAME=[METHOD][@PATH]") */
int nook_set_dbus_list(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	bool rules = row->arg != NULL;
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of %s, got %s",
				     rules ? "rules NAME=[METHOD][@PATH]" : "D-Bus names such as org.freedesktop.portal.*",
				     nook_node_kind_name(n));
	char ***f = FIELD(c, row, char **);
	nook_strv_free(*f);
	*f = nook_xmalloc(sizeof(char *)); /* set, even when empty: the bus is proxied */
	(*f)[0] = NULL;
	for (size_t i = 0; i < n->n; i++) {
		const char *v, *why = "";
		int r = nook_get_str(c, n->items[i], &v);
		if (r < 0)
			return r;
		bool ok = rules ? nook_dbus_rule_valid(v, &why) : nook_dbus_name_valid(v, true, &why);
		if (!ok)
			return nook_node_err(c->err, n->items[i], "invalid D-Bus %s '%s' in %s: %s", rules ? "rule" : "name", v,
					     row->path, why);
		nook_strv_push(f, v);
	}
	return 0;
}

/* persist.paths: relative paths below $HOME, without "." or ".." */
int nook_set_persist_paths(struct kctx *c, const struct key_row *row, const struct nook_node *n)
{
	if (n->kind != NOOK_NODE_SEQ)
		return nook_node_err(c->err, n, "expected a list of paths below your home, such as .mozilla, got %s",
				     nook_node_kind_name(n));
	char ***f = FIELD(c, row, char **);
	for (size_t i = 0; i < n->n; i++) {
		const char *v;
		int r = nook_get_str(c, n->items[i], &v);
		if (r < 0)
			return r;
		bool bad = !*v || v[0] == '/';
		for (const char *p = v; !bad && *p; p += strcspn(p, "/"), p += *p == '/') {
			size_t len = strcspn(p, "/");
			bad = len == 0 || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.');
		}
		if (bad)
			return nook_node_err(c->err, n->items[i],
					     "invalid persist path '%s': a path relative to your home, without '.', '..' or empty parts (such as .config/app)", v);
		if (!*f || !nook_strv_contains(*f, v))
			nook_strv_push(f, v);
	}
	return 0;
}
