/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_exec.c - `nook exec NAME [--] COMMAND [ARG...]`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "nook/cleanup.h"
#include "nook/exec.h"
#include "nook/util.h"

static void exec_usage(void)
{
	printf("Usage: nook exec [OPTIONS] NAME [--] COMMAND [ARG...]\n\n"
	       "Run COMMAND inside the running container NAME (started with nook run --name NAME),\n"
	       "in its namespaces, root and cgroup, with its payload's uid, capabilities and seccomp.\n\n"
	       "Options:\n"
	       "  -e, --env NAME=VALUE    set an environment variable\n"
	       "  -w, --workdir DIR       working directory inside\n"
	       "  -t, --tty               give the command its own terminal (a pty)\n"
	       "  --verbose               explain what nook decides\n");
}

int cmd_exec(int argc, char **argv)
{
	static const struct option options[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' },
		{ "tty", no_argument, NULL, 't' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nook_exec_opts o = { 0 };
	char **env = NULL;
	int c, status = NOOK_EXIT_FAILURE;

	optind = 1;
	opterr = 0;
	/* '+': options end at NAME, so the command's own options stay its own */
	while ((c = getopt_long(argc, argv, "+e:w:tih", options, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				fprintf(stderr, "nook: exec: -e wants NAME=VALUE, not '%s'\n", optarg);
				goto out;
			}
			nook_strv_push(&env, optarg);
			break;
		case 'w':
			if (optarg[0] != '/') {
				fprintf(stderr, "nook: exec: the working directory must be absolute, not '%s'\n", optarg);
				goto out;
			}
			o.cwd = optarg;
			break;
		case 't':
			o.tty = true;
			break;
		case 'i':
			break; /* stdin is always passed on */
		case 'V':
			nook_verbose_level++;
			break;
		case 'h':
			exec_usage();
			status = 0;
			goto out;
		default:
			{
				static const char *const names[] = { "env", "workdir", "tty", "interactive",
								     "verbose", "help", NULL };
				cli_unknown_option("exec", argv[optind - 1], names);
			}
			goto out;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "nook: exec: which container? (nook exec NAME COMMAND; nook ps lists them)\n");
		goto out;
	}
	const char *name = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc) {
		fprintf(stderr, "nook: exec: no command given (nook exec %s COMMAND [ARG...])\n", name);
		goto out;
	}
	o.argv = argv + optind;
	o.env = env;
	struct nook_error err = { 0 };
	if (nook_exec(name, &o, &status, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		status = err.exit_status ? err.exit_status : NOOK_EXIT_FAILURE;
	}
out:
	nook_strv_free(env);
	return status;
}
