/* SPDX-License-Identifier: GPL-2.0-or-later */
/* profile.c - resolve a profile plus command-line overrides into a struct
 * nook_spec, validate one, and list the profiles on the search path (the
 * search itself is find.c's). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/profile.h"
#include "nook/util.h"
#include "internal.h"

static int resolve(const char *arg, const char *path, char *const *overrides,
		   char *const *labels, char *const *command, bool need_command, struct nook_spec *out,
		   struct nook_error *err)
{
	struct nook_node *root = NULL;
	int r = nook_profile_load_tree(path, &root, err);
	size_t n_labels = nook_strv_len(labels); /* once: thousands of -e */
	for (size_t i = 0; r == 0 && overrides && overrides[i]; i++)
		r = nook_override_apply_as(root, overrides[i], i < n_labels ? labels[i] : NULL, err);
	if (r == 0)
		r = nook_vars_expand_tree(root, err);
	if (r == 0)
		r = nook_keys_apply(root, out, err);
	nook_node_free(root);
	if (r < 0)
		return r;
	if (command && command[0]) {
		nook_strv_free(out->argv);
		out->argv = nook_strv_copy(command);
	}
	/* an image's Entrypoint/Cmd may give the command (image.h) */
	if (need_command && (!out->argv || !out->argv[0]) && !out->rootfs.image)
		return nook_errx(err, EINVAL, "profile '%s' (%s) has no process.args: give a command (nook run %s -- COMMAND)",
				 arg, path, arg);
	return 0;
}

int nook_profile_resolve(const char *arg, char *const *overrides, char *const *command,
			 struct nook_spec *out, struct nook_error *err)
{
	return nook_profile_resolve_ex(arg, overrides, command, 0, out, err);
}

int nook_profile_resolve_ex(const char *arg, char *const *overrides, char *const *command,
			    unsigned flags, struct nook_spec *out, struct nook_error *err)
{
	return nook_profile_resolve_labeled(arg, overrides, NULL, command, flags, out, err);
}

int nook_profile_resolve_labeled(const char *arg, char *const *overrides, char *const *labels,
				 char *const *command, unsigned flags, struct nook_spec *out,
				 struct nook_error *err)
{
	_cleanup_free_ char *path = NULL;
	nook_spec_init(out);
	if (!arg)
		arg = "default";
	int r = nook_profile_find(arg, &path, err);
	if (r == -ENOENT && !nook_profile_is_file_arg(arg) && (!command || !command[0]) &&
	    !(flags & NOOK_PROFILE_ALLOW_NO_COMMAND))
		nook_errx(err, ENOENT, "no profile named '%s' (to run a command: nook run -- %s)", arg, arg);
	if (r == 0)
		r = resolve(arg, path, overrides, labels, command, !(flags & NOOK_PROFILE_ALLOW_NO_COMMAND), out, err);
	if (r < 0) {
		if (err && !err->exit_status)
			err->exit_status = NOOK_EXIT_FAILURE;
		nook_spec_free(out);
		return r;
	}
	return 0;
}

int nook_profile_validate(const char *path, struct nook_error *err)
{
	struct nook_spec s;
	nook_spec_init(&s);
	int r = resolve(path, path, NULL, NULL, NULL, false, &s, err);
	nook_spec_free(&s);
	return r;
}

/* ---------------------------------------------------------------- list */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *description_of(const char *path)
{
	struct nook_node *root = NULL;
	struct nook_error e = { 0 };
	if (nook_yaml_parse_file(path, &root, &e) < 0)
		return nook_strdup("(invalid: run nook profile validate)");
	const struct nook_node *d = nook_map_get(root, "description");
	char *s = d && d->kind == NOOK_NODE_SCALAR ? nook_strdup(d->value) : NULL;
	nook_node_free(root);
	if (s) {
		/* first line only */
		s[strcspn(s, "\n")] = 0;
	}
	return s;
}

int nook_profile_list(struct nook_profile_info **out, size_t *n_out, struct nook_error *err)
{
	_cleanup_strv_ char **dirs = nook_profile_search_path();
	struct nook_profile_info *v = NULL;
	size_t n = 0;
	for (size_t i = 0; dirs[i]; i++) {
		_cleanup_strv_ char **names = NULL;
		if (nook_profile_is_builtin(dirs[i])) {
			for (size_t k = 0; nook_shipped_profile_name[k]; k++) {
				_cleanup_free_ char *f = nook_asprintf("%s.yaml", nook_shipped_profile_name[k]);
				nook_strv_push(&names, f);
			}
		}
		_cleanup_closedir_ DIR *d = nook_profile_is_builtin(dirs[i]) ? NULL : opendir(dirs[i]);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".yaml") != 0)
				continue;
			nook_strv_push(&names, de->d_name);
		}
		size_t nn = nook_strv_len(names);
		if (nn)
			qsort(names, nn, sizeof *names, cmp_str);
		for (size_t k = 0; k < nn; k++) {
			v = nook_xrealloc(v, (n + 1) * sizeof *v);
			struct nook_profile_info *p = &v[n];
			p->name = strndup(names[k], strlen(names[k]) - 5);
			if (!p->name)
				abort();
			p->path = nook_asprintf("%s/%s", dirs[i], names[k]);
			p->description = description_of(p->path);
			p->shadowed = false;
			for (size_t j = 0; j < n; j++)
				if (strcmp(v[j].name, p->name) == 0)
					p->shadowed = true;
			n++;
		}
	}
	*out = v;
	*n_out = n;
	return 0;
}

void nook_profile_info_free(struct nook_profile_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].path);
		free(v[i].description);
	}
	free(v);
}
