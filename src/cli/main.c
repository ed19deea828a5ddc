/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c - nook's command table, `nook help [COMMAND]` and the "did you
 * mean" of unknown commands and options. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "config.h"
#include "nook/error.h"
#include "nook/limits.h"
#include "nook/idmap.h"
#include "nook/twin.h"
#include "nook/util.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a command in a new rootless container" },
	{ "exec", cmd_exec, "run a command inside a running named container" },
	{ "ps", cmd_ps, "list the running named containers" },
	{ "stop", cmd_stop, "stop a running named container" },
	{ "image", cmd_image, "pull, import, list and remove OCI images (nook run IMAGE runs one)" },
	{ "profile", cmd_profile, "list, show (resolved) or validate profiles" },
	{ "desktop", cmd_desktop, "install or remove a desktop launcher for a profile" },
	{ "oci", cmd_oci, "the OCI runtime command line (also installed as nook-oci, for podman --runtime)" },
	{ "check", cmd_check, "check that this host and user can run containers, and say how to fix what is missing" },
	{ "help", cmd_help, "show the options of a command (nook help COMMAND)" },
	{ NULL, NULL, NULL },
};

void cli_usage(FILE *f)
{
	fprintf(f, "Usage: nook COMMAND [OPTIONS]\n\nCommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f, "\nnook help COMMAND (or nook COMMAND --help) shows its options; man nook(1) has the rest.\n"
		"New here? nook check says what this machine still needs.\n");
}

static const struct command *find_command(const char *name)
{
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(name, c->name) == 0)
			return c;
	return NULL;
}

static const char *suggest_command(const char *name)
{
	const char *cands[sizeof commands / sizeof commands[0]];
	size_t n = 0;
	for (const struct command *c = commands; c->name; c++)
		cands[n++] = c->name;
	return nook_suggest(name, cands, n);
}

static int unknown_command(const char *name)
{
	const char *s = suggest_command(name);
	if (s)
		fprintf(stderr, "nook: unknown command '%s' (did you mean '%s'? see nook help)\n", name, s);
	else
		fprintf(stderr, "nook: unknown command '%s' (see nook help)\n", name);
	return NOOK_EXIT_FAILURE;
}

void cli_unknown_option(const char *cmd, const char *arg, const char *const *cands)
{
	const char *hint = NULL;
	if (strncmp(arg, "--", 2) == 0 && arg[2]) {
		char word[128];
		snprintf(word, sizeof word, "%s", arg + 2);
		word[strcspn(word, "=")] = 0;
		hint = nook_suggest(word, cands, nook_strv_len((char *const *)cands));
	}
	if (hint)
		fprintf(stderr, "nook: %s: unknown option '%s' (did you mean '--%s'? see nook help %s)\n",
			cmd, arg, hint, cmd);
	else
		fprintf(stderr, "nook: %s: unknown option '%s' (see nook help %s)\n", cmd, arg, cmd);
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		cli_usage(stdout);
		return 0;
	}
	if (argc > 2) {
		fprintf(stderr, "nook: help: one command at a time (nook help COMMAND)\n");
		return NOOK_EXIT_FAILURE;
	}
	const struct command *c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	if (c->fn == cmd_help) {
		cli_usage(stdout);
		return 0;
	}
	char *args[] = { argv[1], (char *)"--help", NULL };
	return c->fn(2, args);
}

/* nook-dyn __subid USER: the subordinate uid and gid ranges of USER, for
 * a statically linked nook (idmap.c reads this): per line "uid" or "gid",
 * what the lookup returned (0, or -errno: -2 is no range), the range's
 * start and count, and the error message. Not a command of its own. */
static int internal_subid(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "nook: __subid USER is for nook itself\n");
		return NOOK_EXIT_FAILURE;
	}
	for (int gid = 0; gid < 2; gid++) {
		struct nook_error err = { 0 };
		unsigned long start = 0, count = 0;
		int r = nook_subid_lookup(argv[2], gid, &start, &count, &err);
		printf("%s %d %lu %lu %s\n", gid ? "gid" : "uid", r, start, count, r < 0 ? err.msg : "");
	}
	return fflush(stdout) == 0 ? 0 : NOOK_EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	nook_twin_save_argv(argv);
	/* the OCI runtime: nook-oci is the same binary under a second name */
	const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : (argc > 0 ? argv[0] : "");
	if (strcmp(base, "nook-oci") == 0)
		return cmd_oci(argc, argv);
	/* `nook` alone is a mistake: usage on stderr, 125; asked for, on stdout */
	if (argc < 2) {
		cli_usage(stderr);
		return 125;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("nook %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "__subid") == 0)
		return internal_subid(argc, argv);
	const struct command *c = find_command(argv[1]);
	if (c && nook_is_static() && (c->fn == cmd_image || c->fn == cmd_check)) {
		/* libarchive for image layers; libsubid and NSS for the
		 * report: the dynamically linked twin does these (twin.h) */
		struct nook_error err = { 0 };
		nook_twin_exec(c->fn == cmd_image ? "nook image (libarchive)" : "nook check (libsubid, NSS)", &err);
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	if (c) {
		/* before anything deep: under a tight `ulimit` nook says which
		 * limit stops it instead of dying of it (SIGSEGV, SIGXFSZ) */
		struct nook_error err = { 0 };
		if (nook_self_limits_prepare(&err) < 0) {
			fprintf(stderr, "nook: %s\n", err.msg);
			return NOOK_EXIT_FAILURE;
		}
		return c->fn(argc - 1, argv + 1);
	}
	if (argv[1][0] == '-') {
		static const char *const top[] = { "help", "version" };
		const char *hint = strncmp(argv[1], "--", 2) == 0 ? nook_suggest(argv[1] + 2, top, 2) : NULL;
		if (hint)
			fprintf(stderr, "nook: unknown option '%s' (did you mean '--%s'? see nook help)\n", argv[1], hint);
		else
			fprintf(stderr, "nook: unknown option '%s' (see nook help)\n", argv[1]);
		return NOOK_EXIT_FAILURE;
	}
	return unknown_command(argv[1]);
}
