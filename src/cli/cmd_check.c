/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_check.c - `nook check [--json]`: print the doctor's report
 * (src/lib/check). Exit 0 when the default profile's needs are met, 1 when
 * not, 125 on a usage error. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "nook/check.h"
#include "nook/error.h"

static void check_usage(void)
{
	printf("Usage: nook check [--json]\n\n"
	       "Check what this host and user offer nook: user namespaces, subordinate ids,\n"
	       "newuidmap/newgidmap, cgroup v2 delegation, overlayfs, FUSE, /dev/net/tun,\n"
	       "slirp4netns and pasta, Landlock, seccomp, pidfd/clone3, XDG_RUNTIME_DIR.\n"
	       "One line per item (\u2714 present, \u2718 missing, with the fix). Exit status 0 when\n"
	       "everything the default profile needs is there, 1 when not.\n"
	       "  --json   the same as one JSON object, for programs\n");
}

static void print_json(const struct nook_check_report *r)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ready", json_object_new_boolean(r->ready));
	json_object_object_add(o, "profile", json_object_new_string(r->profile));
	json_object *items = json_object_new_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct nook_check_item *it = &r->items[i];
		json_object *j = json_object_new_object();
		json_object_object_add(j, "id", json_object_new_string(it->id));
		json_object_object_add(j, "title", json_object_new_string(it->title));
		json_object_object_add(j, "ok", json_object_new_boolean(it->ok));
		json_object_object_add(j, "needed", json_object_new_boolean(it->needed));
		json_object_object_add(j, "detail", json_object_new_string(it->detail));
		json_object_object_add(j, "fix", json_object_new_string(it->fix));
		json_object_array_add(items, j);
	}
	json_object_object_add(o, "items", items);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void print_text(const struct nook_check_report *r)
{
	size_t missing = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct nook_check_item *it = &r->items[i];
		printf("%s %s%s: %s\n", it->ok ? "\u2714" : "\u2718", it->title,
		       !it->ok && !it->needed ? " (optional)" : "", it->detail);
		if (!it->ok && it->fix[0])
			printf("    fix: %s\n", it->fix);
		if (!it->ok && it->needed)
			missing++;
	}
	if (r->ready)
		printf("\nnook check: ready: everything the %s profile needs is there\n", r->profile);
	else
		printf("\nnook check: not ready: %zu item%s the %s profile needs %s missing (see the fixes above)\n",
		       missing, missing == 1 ? "" : "s", r->profile, missing == 1 ? "is" : "are");
}

int cmd_check(int argc, char **argv)
{
	bool json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			check_usage();
			return 0;
		} else {
			static const char *const names[] = { "json", "help", NULL };
			cli_unknown_option("check", argv[i], names);
			return NOOK_EXIT_FAILURE;
		}
	}
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0)
		self[n] = 0;
	struct nook_check_report r;
	nook_check_run(&r, n > 0 ? self : NULL);
	if (json)
		print_json(&r);
	else
		print_text(&r);
	int status = r.ready ? 0 : 1;
	nook_check_report_free(&r);
	return status;
}
