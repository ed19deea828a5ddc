/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_stop.c - `nook stop NAME... [--time SECONDS]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "nook/exec.h"
#include "nook/util.h"

int cmd_stop(int argc, char **argv)
{
	unsigned long timeout = 10;
	int status = 0, n = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			printf("Usage: nook stop [-t|--time SECONDS] NAME...\n\n"
			       "Send SIGTERM to the container's init, SIGKILL after SECONDS (default 10),\n"
			       "and wait until its nook run has cleaned up.\n");
			return 0;
		}
		if (strcmp(a, "-t") == 0 || strcmp(a, "--time") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "nook: stop: %s needs a number of seconds\n", a);
				return NOOK_EXIT_FAILURE;
			}
			v = argv[i];
		} else if (strncmp(a, "--time=", 7) == 0) {
			v = a + 7;
		}
		if (v) {
			char *end;
			timeout = strtoul(v, &end, 10);
			if (!*v || *end || timeout > 86400) {
				fprintf(stderr, "nook: stop: --time wants whole seconds (0-86400), not '%s'\n", v);
				return NOOK_EXIT_FAILURE;
			}
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-t") == 0 || strcmp(a, "--time") == 0) {
			i++;
			continue;
		}
		if (strncmp(a, "--time=", 7) == 0)
			continue;
		if (a[0] == '-') {
			static const char *const names[] = { "time", "help", NULL };
			cli_unknown_option("stop", a, names);
			return NOOK_EXIT_FAILURE;
		}
		n++;
		struct nook_error err = { 0 };
		if (nook_stop(a, (unsigned)timeout, &err) < 0) {
			fprintf(stderr, "nook: %s\n", err.msg);
			status = NOOK_EXIT_FAILURE;
		} else {
			printf("%s\n", a);
		}
	}
	if (n == 0) {
		fprintf(stderr, "nook: stop: which container? (nook stop NAME; nook ps lists them)\n");
		return NOOK_EXIT_FAILURE;
	}
	return status;
}
