/* SPDX-License-Identifier: GPL-2.0-or-later */
/* main.c - nook's command table. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "config.h"

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
	{ "profile", cmd_profile, "list, show (resolved) or validate profiles" },
	{ NULL, NULL, NULL },
};

void cli_usage(FILE *f)
{
	fprintf(f, "Usage: nook COMMAND [OPTIONS]\n\nCommands:\n");
	for (const struct command *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->help);
	fprintf(f, "\nnook run --help shows the options of run; man nook(1) has the rest.\n");
}

int main(int argc, char **argv)
{
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
	for (const struct command *c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->fn(argc - 1, argv + 1);
	fprintf(stderr, "nook: unknown command '%s' (see nook --help)\n", argv[1]);
	return 125;
}
