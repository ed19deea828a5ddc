/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmd_run.c - `nook run`: parse, resolve, spawn, report. */
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "args.h"
#include "cli.h"
#include "nook/desktop.h"
#include "nook/twin.h"
#include "nook/error.h"
#include "nook/image.h"
#include "nook/oci.h"
#include "nook/profile.h"
#include "nook/spawn.h"
#include "nook/stats.h"
#include "nook/spec.h"
#include "nook/util.h"


static void run_usage(void)
{
	printf("Usage: nook run [OPTIONS] [PROFILE|IMAGE] [-- COMMAND [ARG...]]\n"
	       "       nook run --bundle DIR   (an OCI bundle: DIR/config.json)\n\n"
	       "A PROFILE argument that names no profile but an image of the store (nook image ls)\n"
	       "runs that image with the default profile.\n\n"
	       "Options:\n"
	       "  --rootfs DIR            use DIR as the root filesystem (default: host / read-only)\n"
	       "  --image REF             use an image of the store as the root (overlay, writes discarded)\n"
	       "  --store DIR             the image store (default $NOOK_STORE, else $XDG_DATA_HOME/nook/images)\n"
	       "  --hostname NAME         hostname inside the container\n"
	       "  --userns MODE           self, subuid or auto (default: auto)\n"
	       "  --uid N, --gid N        run the command as this uid/gid inside\n"
	       "  -v, --bind SRC:DST[:ro] bind a host path into the container\n"
	       "  --tmpfs DST[:size=S]    mount a tmpfs\n"
	       "  -e, --env NAME=VALUE    set an environment variable\n"
	       "  -w, --workdir DIR       working directory inside\n"
	       "  -t, --tty               give the command its own terminal (a pty)\n"
	       "  --network MODE          none, host, slirp or pasta\n"
	       "  -p, --publish SPEC      forward a host port ([ADDR:]HOST:CONTAINER[/udp])\n"
	       "  --memory S, --cpus N, --pids N   resource limits (cgroup v2)\n"
	       "  --cap-add C, --cap-drop C        adjust capabilities\n"
	       "  --seccomp MODE|FILE     default, unconfined or an OCI seccomp JSON file\n"
	       "  --timeout D             stop the container after D (e.g. 90s, 10m)\n"
	       "  --set KEY.PATH=VALUE    override any profile key\n"
	       "  --name NAME             name the container (for nook exec, ps and stop)\n"
	       "  --stats-json FILE       write exit status and resource usage as JSON\n"
	       "  --verbose               explain what nook decides\n");
}

/* nook run --bundle DIR: an OCI bundle (its config.json, oci/config.c)
 * run by nook's own monitor, as `nook run` runs a profile. */
static int run_bundle(const char *dir)
{
	struct nook_oci_config c;
	struct nook_error err = { 0 };
	struct nook_result res;
	if (nook_oci_config_load(dir, NULL, &c, &err) < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return NOOK_EXIT_FAILURE;
	}
	if (c.seccomp_json) {
		fprintf(stderr, "nook: %s/config.json: linux.seccomp: nook run --bundle does not load it yet; use nook-oci run\n", c.bundle);
		nook_oci_config_free(&c);
		return NOOK_EXIT_FAILURE;
	}
	if (c.n_join) {
		fprintf(stderr, "nook: %s: linux.namespaces[%u]: nook run --bundle does not join namespaces (path); use nook-oci run\n",
			c.file, c.join[0].index);
		nook_oci_config_free(&c);
		return NOOK_EXIT_FAILURE;
	}
	for (int k = 0; k < NOOK_HOOK_N; k++) {
		if (c.n_hooks[k]) {
			fprintf(stderr, "nook: %s/config.json: hooks: nook run --bundle does not run hooks; use nook-oci run\n", c.bundle);
			nook_oci_config_free(&c);
			return NOOK_EXIT_FAILURE;
		}
	}
	/* nook's monitor stays: the container dies with it */
	c.spec.die_with_parent = true;
	int r = nook_spawn(&c.spec, &res, &err);
	nook_oci_config_free(&c);
	if (r < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		return err.exit_status ? (err.exit_status == 1 ? NOOK_EXIT_FAILURE : err.exit_status) : NOOK_EXIT_FAILURE;
	}
	return res.exit_status;
}

int cmd_run(int argc, char **argv)
{
	struct nook_run_args a;
	struct nook_spec spec;
	struct nook_error err = { 0 };
	struct nook_result res;
	char msg[512];

	if (argc == 3 && strcmp(argv[1], "--bundle") == 0)
		return run_bundle(argv[2]);
	if (argc == 2 && strncmp(argv[1], "--bundle=", 9) == 0)
		return run_bundle(argv[1] + 9);
	if (nook_run_args_parse(argc, argv, &a, msg, sizeof msg) < 0) {
		fprintf(stderr, "nook: %s\n", msg);
		nook_run_args_free(&a);
		return NOOK_EXIT_FAILURE;
	}
	if (a.help) {
		run_usage();
		nook_run_args_free(&a);
		return 0;
	}
	nook_verbose_level = a.verbose;
	/* the store the image functions use, as nook image --store does */
	if (a.store && setenv("NOOK_STORE", a.store, 1) < 0) {
		fprintf(stderr, "nook: --store %s: %s\n", a.store, strerror(errno));
		nook_run_args_free(&a);
		return NOOK_EXIT_FAILURE;
	}

	/* a profile is found first; else an image of the store */
	if (a.profile && !a.image) {
		char *path = NULL;
		struct nook_error perr = { 0 };
		bool found = nook_profile_find(a.profile, &path, &perr) == 0;
		free(path);
		if (!found && nook_image_exists(a.profile, NULL)) {
			char *ref = a.profile;
			a.profile = NULL;
			nook_run_args_image(&a, ref);
			free(ref);
		} else if (!found && strchr(a.profile, ':') && !strstr(a.profile, ".yaml") && access(a.profile, F_OK) < 0) {
			/* NAME:TAG is no profile name: an image not pulled yet */
			fprintf(stderr, "nook: no profile and no image named '%s' (get the image with: nook image pull %s; "
				"nook image ls and nook profile list show what there is)\n", a.profile, a.profile);
			nook_run_args_free(&a);
			return NOOK_EXIT_FAILURE;
		}
	} else if (!a.profile && a.image) {
		nook_run_args_image(&a, NULL);
	}

	struct nook_image_hold hold = { .n = 0 };
	int r = nook_profile_resolve_labeled(a.profile, a.overrides, a.labels, a.command, 0, &spec, &err);
	/* a static nook has no libwayland-client: its twin starts this one */
	if (r == 0 && nook_is_static() && nook_wayland_needs_twin(&spec))
		r = nook_twin_exec("a Wayland security context (libwayland-client)", &err);
	if (r == 0) {
		spec.verbose = a.verbose;
		r = nook_image_prepare(&spec, &hold, &err);
	}
	if (r == 0) {
		if (a.stats_json) {
			free(spec.stats_json);
			spec.stats_json = strdup(a.stats_json);
		}
		r = nook_spawn(&spec, &res, &err);
		/* the stats file is written whenever the payload was started */
		if (spec.stats_json && (r == 0 || res.wall_ns > 0)) {
			struct nook_error serr = { 0 };
			if (r < 0)
				res.exit_status = err.exit_status;
			if (nook_stats_write_json(spec.stats_json, &res, &serr) < 0)
				fprintf(stderr, "nook: warning: %s\n", serr.msg);
		}
	}
	int status;
	if (r < 0) {
		fprintf(stderr, "nook: %s\n", err.msg);
		status = err.exit_status ? err.exit_status : NOOK_EXIT_FAILURE;
	} else {
		if (res.note[0])
			fprintf(stderr, "nook: %s\n", res.note);
		status = res.exit_status;
	}
	nook_image_release(&hold);
	nook_spec_free(&spec);
	nook_run_args_free(&a);
	return status;
}
