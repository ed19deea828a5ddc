/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_ps.c - `nook ps`: the running named containers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "nook/holder.h"
#include "nook/state.h"

static void fmt_uptime(long long s, char *buf, size_t size)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(buf, size, "%llds", s);
	else if (s < 3600)
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", s / 86400, (s % 86400) / 3600);
}

int cmd_ps(int argc, char **argv)
{
	bool quiet = false, all = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			quiet = true;
		} else if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0) {
			all = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			printf("Usage: nook ps [-q] [-a]\n\nList the running named containers (nook run --name NAME):\n"
			       "NAME, the pid of the container's init, the uptime, the command.\n"
			       "  -q, --quiet   print the names only\n"
			       "  -a, --all     also nook's own long-lived processes: the user namespace holder\n"
			       "                (its NAME is -userns-holder-)\n");
			return 0;
		} else {
			static const char *const names[] = { "quiet", "all", "help", NULL };
			cli_unknown_option("ps", argv[i], names);
			return NOOK_EXIT_FAILURE;
		}
	}
	struct nook_state_entry *v;
	size_t n;
	struct nook_error err = { 0 };
	if (nook_state_list(&v, &n, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	if (!quiet)
		printf("%-20s %-8s %-9s %s\n", "NAME", "PID", "UPTIME", "COMMAND");
	long long now = (long long)time(NULL);
	for (size_t i = 0; i < n; i++) {
		char up[32];
		if (quiet) {
			printf("%s\n", v[i].name);
			continue;
		}
		fmt_uptime(now - v[i].created, up, sizeof up);
		printf("%-20s %-8d %-9s %s\n", v[i].name, (int)v[i].init_pid, up, v[i].command);
	}
	free(v);
	struct nook_holder_info h;
	if (all && nook_holder_status(&h)) {
		char up[32];
		fmt_uptime(now - h.started, up, sizeof up);
		if (quiet)
			printf("-userns-holder-\n");
		else
			printf("%-20s %-8d %-9s nook user namespace holder: uids 1-%lu = %lu-%lu, gids 1-%lu = %lu-%lu, exits after %us idle\n",
			       "-userns-holder-", (int)h.pid, up, h.uc, h.us, h.us + h.uc - 1, h.gc, h.gs, h.gs + h.gc - 1, h.idle_s);
	}
	return 0;
}
