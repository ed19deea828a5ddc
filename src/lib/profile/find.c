/* SPDX-License-Identifier: GPL-2.0-or-later */
/* find.c - the profile search path, and finding a profile (or the parent
 * an `extends:` names) on it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

#ifndef NOOK_SYSCONFDIR
#define NOOK_SYSCONFDIR "/etc"
#endif

char **nook_profile_search_path(void)
{
	char **v = NULL;
	const char *env = getenv("NOOK_PROFILE_PATH");
	if (env && *env) {
		_cleanup_free_ char *copy = nook_strdup(env);
		char *save = NULL;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
			if (*d)
				nook_strv_push(&v, d);
	}
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && xdg[0] == '/') {
		_cleanup_free_ char *d = nook_path_join(xdg, "nook/profiles");
		nook_strv_push(&v, d);
	} else if (home && home[0] == '/') {
		_cleanup_free_ char *d = nook_path_join(home, ".config/nook/profiles");
		nook_strv_push(&v, d);
	}
	nook_strv_push(&v, NOOK_SYSCONFDIR "/nook/profiles");
	nook_strv_push(&v, NOOK_PROFILE_BUILTIN_DIR);
	return v;
}

bool nook_profile_is_builtin(const char *path)
{
	size_t n = strlen(NOOK_PROFILE_BUILTIN_DIR);
	return strncmp(path, NOOK_PROFILE_BUILTIN_DIR, n) == 0 && (path[n] == '/' || !path[n]);
}

const char *nook_profile_builtin_text(const char *path)
{
	if (!nook_profile_is_builtin(path) || !path[strlen(NOOK_PROFILE_BUILTIN_DIR)])
		return NULL;
	const char *file = path + strlen(NOOK_PROFILE_BUILTIN_DIR) + 1;
	size_t len = strlen(file);
	for (size_t i = 0; nook_shipped_profile_name[i]; i++) {
		size_t nl = strlen(nook_shipped_profile_name[i]);
		if (len == nl + 5 && strncmp(file, nook_shipped_profile_name[i], nl) == 0 &&
		    strcmp(file + nl, ".yaml") == 0)
			return nook_shipped_profile_text[i];
	}
	return NULL;
}

bool nook_profile_is_file_arg(const char *arg)
{
	size_t len = strlen(arg);
	return strchr(arg, '/') || (len > 5 && strcmp(arg + len - 5, ".yaml") == 0);
}

static char *path_list(char *const *dirs)
{
	char *s = nook_strdup("");
	for (size_t i = 0; dirs && dirs[i]; i++) {
		char *n = nook_asprintf("%s%s%s", s, i ? ", " : "", dirs[i]);
		free(s);
		s = n;
	}
	return s;
}

/* Search dirs[start..] for NAME.yaml. */
static char *search(char *const *dirs, size_t start, const char *name)
{
	for (size_t i = start; dirs && dirs[i]; i++) {
		_cleanup_free_ char *f = nook_asprintf("%s/%s.yaml", dirs[i], name);
		if (nook_profile_is_builtin(dirs[i]) ? nook_profile_builtin_text(f) != NULL
						     : access(f, F_OK) == 0)
			return TAKE_PTR(f);
	}
	return NULL;
}

static int check_name(const char *name, struct nook_error *err)
{
	if (!name[0])
		return nook_errx(err, EINVAL, "empty profile name");
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.' || *p == '+' || *p == '@'))
			return nook_errx(err, EINVAL, "invalid profile name '%s' (letters, digits, '-', '_', '.')", name);
	return 0;
}

int nook_profile_find(const char *arg, char **path_out, struct nook_error *err)
{
	*path_out = NULL;
	if (!arg)
		arg = "default";
	if (nook_profile_is_file_arg(arg)) {
		if (access(arg, R_OK) != 0)
			return nook_err(err, errno, "cannot read profile %s", arg);
		*path_out = nook_strdup(arg);
		return 0;
	}
	int r = check_name(arg, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **dirs = nook_profile_search_path();
	*path_out = search(dirs, 0, arg);
	if (*path_out)
		return 0;
	_cleanup_free_ char *list = path_list(dirs);
	return nook_errx(err, ENOENT, "no profile named '%s' (searched %s; "
			 "NOOK_PROFILE_PATH=DIR[:DIR...] adds directories in front, nook profile list shows what there is)",
			 arg, list);
}

int nook_profile_find_parent(const char *name, const char *self_real, const char *dir,
			     char **path_out, struct nook_error *err)
{
	*path_out = NULL;
	if (nook_profile_is_file_arg(name)) {
		char *p = name[0] == '/' ? nook_strdup(name) : nook_path_join(dir, name);
		if (access(p, R_OK) != 0) {
			int e = errno;
			nook_err(err, e, "cannot read parent profile %s", p);
			free(p);
			return -e;
		}
		*path_out = p;
		return 0;
	}
	int r = check_name(name, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **dirs = nook_profile_search_path();
	size_t start = 0;
	_cleanup_free_ char *self_copy = nook_strdup(self_real);
	const char *base = basename(self_copy);
	size_t blen = strlen(base);
	if (blen == strlen(name) + 5 && strncmp(base, name, strlen(name)) == 0) {
		/* "extends: default" inside default.yaml: the next one on the path */
		for (size_t i = 0; dirs[i]; i++) {
			char real[PATH_MAX];
			if (strcmp(dirs[i], dir) == 0 || (realpath(dirs[i], real) && strcmp(real, dir) == 0))
				start = i + 1;
		}
		/* a file outside the search path: the whole path is "further down" */
	}
	*path_out = search(dirs, start, name);
	if (*path_out)
		return 0;
	_cleanup_free_ char *list = path_list(dirs + start);
	return nook_errx(err, ENOENT, "no parent profile named '%s' (searched %s)", name, list);
}
