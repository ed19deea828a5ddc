/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_image.c - `nook image pull|import|ls|rm|prune`: parse and print;
 * the store is image/'s. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "nook/error.h"
#include "nook/image.h"
#include "nook/util.h"

static void image_usage(FILE *f)
{
	fprintf(f, "Usage: nook image COMMAND [OPTIONS]\n\n"
		"Commands:\n"
		"  pull REF            fetch an image from a registry (skopeo; registries.conf, auth.json)\n"
		"  import FILE|DIR     add an OCI layout, an oci-archive or a docker-archive (podman save)\n"
		"  ls                  list the images of the store\n"
		"  rm REF...           remove images (and the layers no other image uses)\n"
		"  prune               remove layers and blobs no image uses, and interrupted pulls' leftovers\n\n"
		"Options:\n"
		"  --store DIR         the image store (default $NOOK_STORE, else $XDG_DATA_HOME/nook/images)\n"
		"  --tls-verify=false  pull: accept a registry without (valid) TLS, e.g. a local one\n"
		"  --authfile FILE     pull: credentials (default: skopeo's, ${XDG_RUNTIME_DIR}/containers/auth.json)\n"
		"  --name NAME         import: the name to give the image (default localhost/BASENAME:latest)\n"
		"  --format json       ls: JSON instead of a table\n"
		"  -q, --quiet         pull, import: no progress output\n\n"
		"Run an image: nook run IMAGE [-- COMMAND], or rootfs: {image: REF} in a profile.\n");
}

enum { O_STORE = 1000, O_TLS, O_AUTH, O_NAME, O_FORMAT };

static const struct option opts[] = {
	{ "store", required_argument, NULL, O_STORE },
	{ "tls-verify", required_argument, NULL, O_TLS },
	{ "authfile", required_argument, NULL, O_AUTH },
	{ "name", required_argument, NULL, O_NAME },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void human(uint64_t b, char *buf, size_t size)
{
	const char *u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)b;
	size_t i = 0;
	while (v >= 1000 && i < 4) {
		v /= 1000;
		i++;
	}
	snprintf(buf, size, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static int list(const struct nook_image_opts *o, bool json)
{
	struct nook_image_info *v = NULL;
	size_t n = 0;
	struct nook_error err = { 0 };
	if (nook_image_list(o, &v, &n, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	if (json) {
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_new_object(), *l = json_object_new_array();
			json_object_object_add(e, "name", json_object_new_string(v[i].name));
			json_object_object_add(e, "id", json_object_new_string(v[i].config + 7));
			json_object_object_add(e, "manifest", json_object_new_string(v[i].manifest));
			for (size_t j = 0; v[i].layers[j]; j++)
				json_object_array_add(l, json_object_new_string(v[i].layers[j]));
			json_object_object_add(e, "layers", l);
			json_object_object_add(e, "size", json_object_new_int64((int64_t)v[i].size));
			json_object_object_add(e, "created", json_object_new_int64(v[i].created));
			json_object_array_add(arr, e);
		}
		printf("%s\n", json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
	} else {
		printf("%-50s %-12s %6s %10s  %s\n", "NAME", "ID", "LAYERS", "SIZE", "ADDED");
		for (size_t i = 0; i < n; i++) {
			char size[32], when[32];
			time_t t = (time_t)v[i].created;
			struct tm tm;
			human(v[i].size, size, sizeof size);
			strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
			printf("%-50s %.12s %6zu %10s  %s\n", v[i].name, v[i].config + 7, nook_strv_len(v[i].layers),
			       size, when);
		}
	}
	nook_image_info_free(v, n);
	return 0;
}

int cmd_image(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		image_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? NOOK_EXIT_FAILURE : 0;
	}
	const char *sub = argv[1];
	static const char *const subs[] = { "pull", "import", "ls", "rm", "prune" };
	bool known = false;
	for (size_t i = 0; i < 5; i++)
		known = known || strcmp(sub, subs[i]) == 0;
	if (!known) {
		const char *s = nook_suggest(sub, subs, 5);
		fprintf(stderr, "nook: image: unknown command '%s'%s%s%s (see nook help image)\n", sub,
			s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
		return NOOK_EXIT_FAILURE;
	}
	struct nook_image_opts o = { .progress = isatty(2) };
	bool json = false;
	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc - 1, argv + 1, "+qh", opts, NULL)) != -1) {
		switch (c) {
		case O_STORE: o.store = optarg; break;
		case O_TLS:
			if (strcmp(optarg, "false") && strcmp(optarg, "true")) {
				fprintf(stderr, "nook: image: --tls-verify takes true or false, not '%s'\n", optarg);
				return NOOK_EXIT_FAILURE;
			}
			o.tls_verify_off = strcmp(optarg, "false") == 0;
			break;
		case O_AUTH: o.authfile = optarg; break;
		case O_NAME: o.name = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "json") && strcmp(optarg, "table")) {
				fprintf(stderr, "nook: image ls: --format takes json or table, not '%s'\n", optarg);
				return NOOK_EXIT_FAILURE;
			}
			json = strcmp(optarg, "json") == 0;
			break;
		case 'q': o.progress = false; break;
		case 'h': image_usage(stdout); return 0;
		case ':':
			fprintf(stderr, "nook: image %s: option '%s' needs a value\n", sub, argv[optind]);
			return NOOK_EXIT_FAILURE;
		default: {
			static const char *const names[] = { "store", "tls-verify", "authfile", "name", "format", "quiet", "help", NULL };
			cli_unknown_option("image", argv[optind], names);
			return NOOK_EXIT_FAILURE;
		}
		}
	}
	char **rest = argv + 1 + optind;
	int nrest = argc - 1 - optind;
	struct nook_error err = { 0 };
	int r = 0;
	bool one = strcmp(sub, "pull") == 0 || strcmp(sub, "import") == 0;
	if ((one && nrest != 1) || (strcmp(sub, "rm") == 0 && nrest < 1) ||
	    ((strcmp(sub, "ls") == 0 || strcmp(sub, "prune") == 0) && nrest != 0)) {
		fprintf(stderr, "nook: image %s: %s (see nook help image)\n", sub,
			one ? "give exactly one image" : nrest ? "takes no arguments" : "give the images to remove");
		return NOOK_EXIT_FAILURE;
	}
	if (strcmp(sub, "ls") == 0)
		return list(&o, json);
	if (one) {
		char *name = NULL;
		r = strcmp(sub, "pull") == 0 ? nook_image_pull(rest[0], &o, &name, &err)
					     : nook_image_import(rest[0], &o, &name, &err);
		if (r == 0)
			printf("%s\n", name);
		free(name);
	} else if (strcmp(sub, "rm") == 0) {
		for (int i = 0; i < nrest && r == 0; i++)
			r = nook_image_remove(rest[i], &o, &err);
	} else {
		size_t freed = 0, busy = 0;
		r = nook_image_prune(&o, &freed, &busy, &err);
		if (r == 0 && busy)
			fprintf(stderr, "nook: %zu unused layers kept: a running container uses them\n", busy);
		if (r == 0)
			printf("%zu removed\n", freed);
	}
	if (r < 0) {
		fprintf(stderr, "nook: image %s: %s\n", sub, err.msg);
		return err.exit_status ? err.exit_status : NOOK_EXIT_FAILURE;
	}
	return 0;
}
