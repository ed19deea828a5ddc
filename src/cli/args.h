/* SPDX-License-Identifier: GPL-2.0-or-later */
/* args.h - parse `nook run` arguments into profile overrides. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

struct nook_run_args {
	char *profile;        /* NULL = the default profile */
	char **overrides;     /* "KEY.PATH=YAMLVALUE" / "KEY.PATH+=YAMLVALUE", in order */
	char **labels;        /* the option each override came from ("--network"; "" for --set) */
	size_t n_overrides, cap_overrides; /* so that N options cost O(N) */
	char **command;       /* NULL = the profile's process.args */
	int verbose;
	char *stats_json;
	char *image;          /* --image REF (also an override of rootfs.image) */
	char *store;          /* --store DIR: the image store (as $NOOK_STORE) */
	bool help;
};

/* Parse argv (argv[0] is "run"). On error returns -1 and writes a message
 * (without the "nook: " prefix) into errbuf. */
int nook_run_args_parse(int argc, char **argv, struct nook_run_args *out, char *errbuf, size_t errlen);
void nook_run_args_free(struct nook_run_args *a);
/* Quote s as a YAML double-quoted scalar (malloc'd). */
char *nook_yaml_quote(const char *s);
/* Run an image with the default profile: ref (NULL when --image gave it)
 * becomes the rootfs.image override, and the default profile's
 * process.args are cleared first, so the image's Entrypoint/Cmd apply. */
void nook_run_args_image(struct nook_run_args *a, const char *ref);
