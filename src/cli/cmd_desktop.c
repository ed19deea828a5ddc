/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_desktop.c - `nook desktop install|remove PROFILE`: put a sandboxed
 * app in the desktop's menu (a launcher that runs nook run PROFILE), or
 * take it out again. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/error.h"
#include "nook/profile.h"
#include "nook/spec.h"
#include "nook/util.h"

static void desktop_usage(FILE *f)
{
	fprintf(f, "Usage: nook desktop install PROFILE\n"
		   "       nook desktop remove PROFILE\n\n"
		   "install writes a launcher, nook-PROFILE.desktop, to $XDG_DATA_HOME/applications\n"
		   "(~/.local/share/applications) that runs 'nook run PROFILE': the app appears in\n"
		   "the desktop's menu and gtk-launch nook-PROFILE starts it. remove deletes it.\n");
}

static bool is_file_arg(const char *a)
{
	size_t len = strlen(a);
	return strchr(a, '/') || (len > 5 && strcmp(a + len - 5, ".yaml") == 0);
}

/* "Firefox web browser - network, ..." -> "Firefox web browser" */
static char *short_name(const char *description, const char *fallback)
{
	if (!description || !*description)
		return nook_strdup(fallback);
	char *s = nook_strdup(description);
	char *dash = strstr(s, " - ");
	if (dash)
		*dash = '\0';
	return s;
}

static int install(const char *arg)
{
	struct nook_error err = { 0 };
	struct nook_spec spec;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		fprintf(stderr, "nook: desktop install: cannot tell where nook is (/proc/self/exe)\n");
		return NOOK_EXIT_FAILURE;
	}
	exe[n] = '\0';
	_cleanup_free_ char *profile = NULL;
	if (is_file_arg(arg)) {
		profile = realpath(arg, NULL);
		if (!profile) {
			fprintf(stderr, "nook: desktop install: no profile file %s\n", arg);
			return NOOK_EXIT_FAILURE;
		}
	} else {
		profile = nook_strdup(arg);
	}
	if (nook_profile_resolve_ex(profile, NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &spec, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	/* the description, from the profile list (named profiles) */
	struct nook_profile_info *v = NULL;
	size_t nv = 0;
	const char *description = NULL;
	if (!is_file_arg(arg) && nook_profile_list(&v, &nv, &err) == 0)
		for (size_t i = 0; i < nv && !description; i++)
			if (strcmp(v[i].name, arg) == 0 && !v[i].shadowed)
				description = v[i].description;
	const char *base = strrchr(profile, '/') ? strrchr(profile, '/') + 1 : profile;
	_cleanup_free_ char *name = short_name(description, base);
	const char *icon = "application-x-executable";
	if (spec.argv && spec.argv[0])
		icon = strrchr(spec.argv[0], '/') ? strrchr(spec.argv[0], '/') + 1 : spec.argv[0];
	struct nook_launcher l = { .profile = profile, .name = name, .comment = description, .icon = icon,
				   .app_id = spec.app_id, .nook_path = exe };
	_cleanup_free_ char *path = NULL;
	int r = nook_launcher_install(&l, &path, &err);
	nook_profile_info_free(v, nv);
	nook_spec_free(&spec);
	if (r < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	printf("%s\n", path);
	return 0;
}

static int remove_launcher(const char *arg)
{
	struct nook_error err = { 0 };
	_cleanup_free_ char *path = NULL;
	if (nook_launcher_remove(arg, &path, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	printf("%s\n", path);
	return 0;
}

int cmd_desktop(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		desktop_usage(stdout);
		return 0;
	}
	if (argc != 3 || (strcmp(argv[1], "install") != 0 && strcmp(argv[1], "remove") != 0)) {
		if (argc >= 2 && argv[1][0] == '-') {
			static const char *const names[] = { "help", NULL };
			cli_unknown_option("desktop", argv[1], names);
		} else {
			fprintf(stderr, "nook: desktop: expected 'install PROFILE' or 'remove PROFILE' (nook help desktop)\n");
		}
		return NOOK_EXIT_FAILURE;
	}
	return strcmp(argv[1], "install") == 0 ? install(argv[2]) : remove_launcher(argv[2]);
}
