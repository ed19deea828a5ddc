/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_profile.c - `nook profile list|show|validate`, and the undocumented
 * `nook profile seccomp [--set ...] [PROFILE]`, which prints what the
 * built-in seccomp filter of the resolved profile lets through (the
 * security tests call every other number and expect a refusal). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/oci.h"
#include "nook/profile.h"
#include "nook/security.h"
#include "nook/spec.h"
#include "nook/util.h"

static void profile_usage(FILE *f)
{
	fprintf(f, "Usage: nook profile list\n"
		   "       nook profile show [--oci] [--set KEY.PATH=VALUE]... [PROFILE] [-- COMMAND [ARG...]]\n"
		   "       nook profile validate PROFILE...\n\n"
		   "PROFILE is a file (contains '/' or ends in .yaml) or a name looked up in:\n");
	_cleanup_strv_ char **dirs = nook_profile_search_path();
	for (size_t i = 0; dirs[i]; i++)
		fprintf(f, "  %s%s\n", dirs[i],
			nook_profile_is_builtin(dirs[i]) ? "  (the shipped profiles, compiled in)" : "");
	fprintf(f, "$NOOK_PROFILE_PATH (DIR[:DIR...]) adds directories in front.\n"
		   "show prints the fully resolved profile as YAML (with --oci: as an OCI config.json,\n"
		   "for nook-oci, runc or crun); see nook-profile(5).\n");
}

static int do_list(void)
{
	struct nook_profile_info *v = NULL;
	size_t n = 0;
	struct nook_error err = { 0 };
	if (nook_profile_list(&v, &n, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	size_t w = 4;
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].name) > w)
			w = strlen(v[i].name);
	printf("%-*s  %s\n", (int)w, "NAME", "DESCRIPTION (FILE)");
	for (size_t i = 0; i < n; i++)
		printf("%-*s  %s (%s)%s\n", (int)w, v[i].name,
		       v[i].description ? v[i].description : "-", v[i].path,
		       v[i].shadowed ? " [shadowed]" : "");
	nook_profile_info_free(v, n);
	return 0;
}

/* "ARCH NR WHAT" for every number the filter does not simply refuse with
 * its default errno; "ARCH max N": numbers above N say ENOSYS. */
static void print_plan(const struct nook_sc_plan *p, uint32_t deny)
{
	const char *arch = nook_sc_arch_name(p->arch);

	printf("%s max %d\n", arch, p->max);
	for (int nr = 0; nr <= p->max; nr++) {
		const struct nook_sc_leaf *l = &p->leaf[nr];
		uint32_t act = l->action;

		if (l->kind != NOOK_SC_LEAF_RET)
			printf("%s %d check\n", arch, nr);
		else if (act == SCMP_ACT_ALLOW)
			printf("%s %d allow\n", arch, nr);
		else if (l->conditional)
			printf("%s %d args\n", arch, nr);
		else if (act == deny)
			continue;
		else if ((act & 0xffff0000U) == SCMP_ACT_ERRNO(0))
			printf("%s %d errno %u\n", arch, nr, act & 0xffffU);
		else
			printf("%s %d action %#x\n", arch, nr, act);
	}
}

static int print_seccomp(const struct nook_spec *spec)
{
	struct nook_error err = { 0 };
	struct nook_sc_plan p64, p32;
	uint32_t deny;

	if (nook_security_seccomp_plan(spec, &p64, &p32, &deny, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	print_plan(&p64, deny);
	print_plan(&p32, deny);
	nook_sc_plan_free(&p64);
	nook_sc_plan_free(&p32);
	return 0;
}

static int do_show(int argc, char **argv, bool seccomp)
{
	bool oci = false;
	_cleanup_strv_ char **overrides = NULL;
	const char *profile = NULL;
	char **command = NULL;
	int i;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			command = argv + i + 1;
			break;
		} else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
			nook_strv_push(&overrides, argv[++i]);
		} else if (strncmp(argv[i], "--set=", 6) == 0) {
			nook_strv_push(&overrides, argv[i] + 6);
		} else if (strcmp(argv[i], "--oci") == 0 && !seccomp) {
			oci = true;
		} else if (argv[i][0] == '-') {
			static const char *const names[] = { "set", "oci", NULL };
			cli_unknown_option("profile", argv[i], names);
			return NOOK_EXIT_FAILURE;
		} else if (!profile) {
			profile = argv[i];
		} else {
			fprintf(stderr, "nook: profile show: more than one profile given ('%s' and '%s')\n",
				profile, argv[i]);
			return NOOK_EXIT_FAILURE;
		}
	}
	struct nook_spec spec;
	struct nook_error err = { 0 };
	if (nook_profile_resolve_ex(profile, overrides, command, NOOK_PROFILE_ALLOW_NO_COMMAND,
				    &spec, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return err.exit_status ? err.exit_status : NOOK_EXIT_FAILURE;
	}
	if (seccomp) {
		int st = print_seccomp(&spec);
		nook_spec_free(&spec);
		return st;
	}
	int r = oci ? nook_oci_emit_config(&spec, stdout, &err) : nook_spec_emit_yaml(&spec, stdout, &err);
	nook_spec_free(&spec);
	if (r < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	return 0;
}

static int do_validate(int argc, char **argv)
{
	int status = 0;
	if (argc < 2) {
		fprintf(stderr, "nook: profile validate: give one or more profiles (names or files)\n");
		return NOOK_EXIT_FAILURE;
	}
	for (int i = 1; i < argc; i++) {
		struct nook_error err = { 0 };
		_cleanup_free_ char *path = NULL;
		int r = nook_profile_find(argv[i], &path, &err);
		if (r == 0)
			r = nook_profile_validate(path, &err);
		if (r < 0) {
			fprintf(stderr, "nook: %s\n", err.msg);
			status = NOOK_EXIT_FAILURE;
		} else {
			printf("%s: ok\n", path);
		}
	}
	return status;
}

int cmd_profile(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		profile_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? NOOK_EXIT_FAILURE : 0;
	}
	if (strcmp(argv[1], "list") == 0)
		return do_list();
	if (strcmp(argv[1], "show") == 0)
		return do_show(argc - 1, argv + 1, false);
	if (strcmp(argv[1], "seccomp") == 0)
		return do_show(argc - 1, argv + 1, true);
	if (strcmp(argv[1], "validate") == 0)
		return do_validate(argc - 1, argv + 1);
	static const char *const subs[] = { "list", "show", "validate" };
	const char *hint = nook_suggest(argv[1], subs, 3);
	if (hint)
		fprintf(stderr, "nook: unknown profile command '%s' (did you mean '%s'? list, show or validate)\n",
			argv[1], hint);
	else
		fprintf(stderr, "nook: unknown profile command '%s' (list, show or validate)\n", argv[1]);
	return NOOK_EXIT_FAILURE;
}
