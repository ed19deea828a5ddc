/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runspec.c - the spec the container runs with: a shallow copy of the
 * caller's, whose mounts and environment become arrays of our own as soon
 * as dbus.c or x11.c adds a bind or a variable; free_run() releases only
 * what was added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"

const char *nook_desktop_spec_env(const struct nook_spec *s, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; s->env && s->env[i]; i++)
		if (strncmp(s->env[i], name, len) == 0 && s->env[i][len] == '=')
			return s->env[i] + len + 1;
	return NULL;
}

const char *nook_desktop_runtime_dir(const struct nook_spec *s)
{
	static char buf[256];
	const char *v = nook_desktop_spec_env(s, "XDG_RUNTIME_DIR");
	if (!v || v[0] != '/')
		v = getenv("XDG_RUNTIME_DIR");
	if (v && v[0] == '/' && strlen(v) < sizeof buf - 32)
		snprintf(buf, sizeof buf, "%s", v);
	else
		snprintf(buf, sizeof buf, "/run/user/%u", (unsigned)getuid());
	return buf;
}

void nook_desktop_bind(struct nook_desktop *d, const char *source, const char *target, bool readonly)
{
	if (!d->own_mounts) {
		struct nook_mount *m = nook_xmalloc((d->run.n_mounts + 1) * sizeof *m);
		if (d->run.n_mounts)
			memcpy(m, d->run.mounts, d->run.n_mounts * sizeof *m);
		d->run.mounts = m;
		d->n_orig_mounts = d->run.n_mounts;
		d->own_mounts = true;
	} else {
		d->run.mounts = nook_xrealloc(d->run.mounts, (d->run.n_mounts + 1) * sizeof *d->run.mounts);
	}
	struct nook_mount *m = &d->run.mounts[d->run.n_mounts++];
	memset(m, 0, sizeof *m);
	m->type = readonly ? NOOK_MOUNT_RO_BIND : NOOK_MOUNT_BIND;
	m->readonly = readonly;
	m->source = nook_strdup(source);
	m->target = nook_strdup(target);
	m->mode = -1;
}

void nook_desktop_setenv(struct nook_desktop *d, const char *name, const char *value)
{
	if (!d->own_env) {
		d->own_env = nook_strv_copy(d->run.env);
		if (!d->own_env)
			d->own_env = nook_xmalloc(sizeof(char *)), d->own_env[0] = NULL;
		d->run.env = d->own_env;
	}
	_cleanup_free_ char *kv = nook_asprintf("%s=%s", name, value);
	nook_env_set(&d->own_env, kv);
	d->run.env = d->own_env;
}

void nook_desktop_free_run(struct nook_desktop *d)
{
	if (d->own_mounts) {
		for (size_t i = d->n_orig_mounts; i < d->run.n_mounts; i++) {
			free(d->run.mounts[i].source);
			free(d->run.mounts[i].target);
		}
		free(d->run.mounts);
	}
	nook_strv_free(d->own_env);
	memset(&d->run, 0, sizeof d->run);
	d->own_mounts = false;
	d->own_env = NULL;
}

