/* SPDX-License-Identifier: GPL-2.0-or-later */
/* update.c - `nook-oci update`: new limits for a running container's
 * cgroup leaf, from a linux.resources file (-r FILE) and from runc's
 * options (--memory 512M, --pids-limit N, ...), which are turned into a
 * linux.resources object here (json-c) so that both go through the one
 * translation config.c makes for create (nook_oci_resources_apply). */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nook/cgroup.h"
#include "nook/cleanup.h"
#include "nook/oci.h"
#include "nook/profile.h"
#include "nook/util.h"

/* runc's option, the linux.resources group and key it sets, and whether
 * its value is a size (512M) rather than a plain number */
static const struct {
	const char *opt, *group, *key;
	bool size;
} options[] = {
	{ "--memory", "memory", "limit", true },
	{ "--memory-reservation", "memory", "reservation", true },
	{ "--memory-swap", "memory", "swap", true },
	{ "--pids-limit", "pids", "limit", false },
	{ "--cpu-quota", "cpu", "quota", false },
	{ "--cpu-period", "cpu", "period", false },
	{ "--cpu-share", "cpu", "shares", false },
	{ "--blkio-weight", "blockIO", "weight", false },
};
#define N_OPTIONS (sizeof options / sizeof *options)

static int fail1(struct nook_error *err, int r)
{
	if (err->exit_status == 0 || err->exit_status == NOOK_EXIT_FAILURE)
		err->exit_status = 1;
	return r;
}

const char *nook_oci_update_option(size_t i)
{
	return i < N_OPTIONS ? options[i].opt : NULL;
}

/* One option's value as a JSON number: -1 (no limit), a size, or a
 * non-negative count. */
static int option_value(size_t k, const char *value, json_object **out, struct nook_error *err)
{
	if (strcmp(value, "-1") == 0) {
		*out = json_object_new_int64(-1);
		return 0;
	}
	if (options[k].size) {
		uint64_t n = 0;
		const char *why = NULL;
		if (nook_parse_size(value, &n, &why) < 0)
			return fail1(err, nook_errx(err, EINVAL, "%s: '%s' is not a size (%s)", options[k].opt, value,
						    why ? why : "e.g. 512M"));
		if (n > INT64_MAX)
			return fail1(err, nook_errx(err, ERANGE, "%s: '%s' is too large", options[k].opt, value));
		*out = json_object_new_int64((int64_t)n);
		return 0;
	}
	char *end = NULL;
	errno = 0;
	long long n = strtoll(value, &end, 10);
	if (errno || end == value || *end || n < 0)
		return fail1(err, nook_errx(err, EINVAL, "%s: '%s' is not a number", options[k].opt, value));
	*out = json_object_new_int64(n);
	return 0;
}

int nook_oci_update_resources(const struct nook_oci_update *u, struct json_object **out, struct nook_error *err)
{
	json_object *res = json_object_new_object();
	*out = NULL;
	for (size_t i = 0; i < u->n; i++) {
		size_t k;
		for (k = 0; k < N_OPTIONS && strcmp(options[k].opt, u->opts[i]) != 0; k++)
			;
		if (k == N_OPTIONS) {
			json_object_put(res);
			return fail1(err, nook_errx(err, EINVAL, "update: unknown option %s", u->opts[i]));
		}
		json_object *num = NULL, *group;
		if (option_value(k, u->values[i], &num, err) < 0) {
			json_object_put(res);
			return -EINVAL;
		}
		/* keys of one group share its object; a repeated option: the last wins */
		if (!json_object_object_get_ex(res, options[k].group, &group)) {
			group = json_object_new_object();
			json_object_object_add(res, options[k].group, group);
		}
		json_object_object_add(group, options[k].key, num);
	}
	*out = res;
	return 0;
}

int nook_oci_do_update(const struct nook_oci_opts *o, const char *id, const struct nook_oci_update *u,
		       struct nook_error *err)
{
	struct nook_oci_state st;
	struct nook_spec s;
	char root[4096];
	json_object *opts = NULL;
	/* the options are checked first: a bad value is named whatever the
	 * container's state */
	int r = u->n ? nook_oci_update_resources(u, &opts, err) : 0;
	if (r < 0)
		return r;
	nook_spec_init(&s);
	s.cgroup_oci_keys = true;
	if ((r = nook_oci_root(o->root, false, root, sizeof root, err)) < 0 ||
	    (r = nook_oci_state_read(root, id, &st, err)) < 0)
		goto out0;
	if (!st.cgroup[0]) {
		r = fail1(err, nook_errx(err, ENOTSUP, "cannot update container '%s': it has no cgroup leaf of its own "
					 "(nook makes one only under a delegated cgroup v2; see nook check)", id));
		goto out;
	}
	if (st.status == NOOK_OCI_STOPPED) {
		r = fail1(err, nook_errx(err, EINVAL, "cannot update container '%s': it is stopped", id));
		goto out;
	}
	const char *file = u->resources_file;
	if (file) {
		json_object *j = strcmp(file, "-") == 0 ? json_object_from_fd(0) : json_object_from_file(file);
		if (!j || !json_object_is_type(j, json_type_object)) {
			if (j)
				json_object_put(j);
			r = fail1(err, nook_errx(err, EINVAL, "%s: not a JSON object (linux.resources of config.json)", file));
			goto out;
		}
		r = nook_oci_resources_apply(j, file, &s, err);
		json_object_put(j);
		if (r < 0) {
			r = fail1(err, r);
			goto out;
		}
	}
	/* options on the command line win over the file */
	if (opts && (r = nook_oci_resources_apply(opts, "the command line", &s, err)) < 0) {
		r = fail1(err, r);
		goto out;
	}
	if (s.cpu_period_us && !s.cpu_quota_us) {
		/* a new period alone keeps the quota that is there */
		char path[4200];
		snprintf(path, sizeof path, "%s/cpu.max", st.cgroup);
		_cleanup_free_ char *cur = nook_read_file(path, 256, NULL);
		unsigned long long q = cur ? strtoull(cur, NULL, 10) : 0;
		if (!q) {
			r = fail1(err, nook_errx(err, EINVAL, "cannot update container '%s': a CPU period needs a quota "
						 "(--cpu-quota), as %s has none", id, path));
			goto out;
		}
		s.cpu_quota_us = q;
	}
	if ((r = nook_cgroup_apply(st.cgroup, &s, err)) < 0)
		r = fail1(err, r);
out:
	nook_oci_state_free(&st);
out0:
	if (opts)
		json_object_put(opts);
	nook_spec_free(&s);
	return r;
}
