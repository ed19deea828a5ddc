/* SPDX-License-Identifier: GPL-2.0-or-later */
/* run.c - what `nook run` takes from an image: its layers become the
 * overlay's lower list (top first), and its config's Env, Entrypoint/Cmd,
 * WorkingDir and User fill what the profile and the command line left
 * unset (they win; for Env: what process.env.set or -e set wins, a value
 * passed on from the host's environment or the default PATH does not). ExposedPorts are only reported (--verbose): nook
 * publishes what -p or network.ports asks for, as podman without -P. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"

void nook_image_release(struct nook_image_hold *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->fds[i] >= 0)
			close(h->fds[i]);
	h->n = 0;
}

/* Did the profile or the command line set kv's name (process.env.set, -e)? */
static bool env_set_by_profile(char **names, const char *kv)
{
	size_t len = strcspn(kv, "=");
	for (size_t i = 0; names && names[i]; i++)
		if (strlen(names[i]) == len && strncmp(names[i], kv, len) == 0)
			return true;
	return false;
}

static void push_strings(char ***v, struct json_object *arr)
{
	if (!arr || !json_object_is_type(arr, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *x = json_object_array_get_idx(arr, i);
		if (json_object_is_type(x, json_type_string))
			nook_strv_push(v, json_object_get_string(x));
	}
}

/* NAME's ids in the image's passwd or group file (fields 3 and 4): the
 * topmost layer that has the file wins; resolved inside the layer. False
 * when not found. */
static bool lookup_id(char *const *lower, const char *file, const char *name, long *id, long *id2)
{
	for (size_t i = 0; lower && lower[i]; i++) {
		_cleanup_close_ int root = open(lower[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
		struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK, .resolve = RESOLVE_IN_ROOT };
		int fd = root < 0 ? -1 : (int)syscall(SYS_openat2, root, file, &how, sizeof how);
		if (fd < 0)
			continue;
		FILE *f = fdopen(fd, "r");
		char line[1024];
		bool found = false;
		size_t nl = strlen(name);
		while (f && !found && fgets(line, sizeof line, f)) {
			if (strncmp(line, name, nl) != 0 || line[nl] != ':')
				continue;
			char *p = strchr(line + nl + 1, ':'), *end;
			if (!p)
				break;
			*id = strtol(p + 1, &end, 10);
			*id2 = *end == ':' ? strtol(end + 1, NULL, 10) : 0;
			found = end != p + 1;
		}
		if (f)
			fclose(f);
		else
			close(fd);
		return found;
	}
	return false;
}

static bool numeric(const char *s, long *out)
{
	char *end;
	if (!*s)
		return false;
	*out = strtol(s, &end, 10);
	return !*end;
}

static int apply_user(struct nook_spec *s, const char *user, struct nook_error *err)
{
	_cleanup_free_ char *u = nook_strdup(user);
	char *g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	long uid = -1, gid = 0, dummy;
	bool ok = numeric(u, &uid) || lookup_id(s->rootfs.lower, "etc/passwd", u, &uid, &gid);
	if (ok && g && *g)
		ok = numeric(g, &gid) || lookup_id(s->rootfs.lower, "etc/group", g, &gid, &dummy);
	if (!ok || uid < 0 || uid > 65534 || gid < 0 || gid > 65534)
		return nook_errx(err, EINVAL, "the image's User '%s' is not a user of the image (set user.uid and "
				 "user.gid in the profile, or --uid/--gid)", user);
	s->uid = (uid_t)uid;
	s->gid = (gid_t)gid;
	return 0;
}

static int apply_config(struct nook_spec *s, const char *text, struct nook_error *err)
{
	struct json_object *root = json_tokener_parse(text), *cfg = NULL, *x;
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return nook_errx(err, EINVAL, "the config of the image %s is not JSON (pull it again)", s->rootfs.image);
	}
	json_object_object_get_ex(root, "config", &cfg);
	int r = 0;
	if (cfg && json_object_is_type(cfg, json_type_object)) {
		if (json_object_object_get_ex(cfg, "Env", &x) && json_object_is_type(x, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(x); i++) {
				const char *kv = json_object_get_string(json_object_array_get_idx(x, i));
				/* over a value kept from the host or the default PATH */
				if (kv && strchr(kv, '=') && kv[0] != '=' && !env_set_by_profile(s->env_set_names, kv))
					nook_env_set(&s->env, kv);
			}
		}
		if (!s->argv || !s->argv[0]) {
			char **argv = NULL;
			json_object_object_get_ex(cfg, "Entrypoint", &x);
			push_strings(&argv, x);
			x = NULL;
			json_object_object_get_ex(cfg, "Cmd", &x);
			push_strings(&argv, x);
			nook_strv_free(s->argv);
			s->argv = argv;
		}
		const char *wd = json_object_object_get_ex(cfg, "WorkingDir", &x) ? json_object_get_string(x) : NULL;
		if (!s->cwd && wd && wd[0] == '/')
			s->cwd = nook_strdup(wd);
		const char *user = json_object_object_get_ex(cfg, "User", &x) ? json_object_get_string(x) : NULL;
		if (user && *user && !s->user_set)
			r = apply_user(s, user, err);
		if (json_object_object_get_ex(cfg, "ExposedPorts", &x) && json_object_is_type(x, json_type_object)) {
			json_object_object_foreach(x, port, v) {
				(void)v;
				nook_verbose("the image exposes port %s (publish it with -p HOST:CONTAINER)", port);
			}
		}
	}
	json_object_put(root);
	if (r == 0 && (!s->argv || !s->argv[0]))
		r = nook_errx(err, EINVAL, "the image %s has no Entrypoint or Cmd: give a command (nook run IMAGE -- COMMAND)",
			      s->rootfs.image);
	return r;
}

/* One look at the store: find the image, hold its layers (top first) with
 * shared flocks, read its config. Without the store's lock (the common
 * case: a pull unpacking elsewhere does not hold a run up) a prune may
 * remove what the index still named a moment ago: *stale then asks for a
 * second look under the lock. */
static int look(struct nook_spec *s, bool locked, struct nook_image_hold *hold, char ***lower, char **config,
		bool *stale, struct nook_error *err)
{
	struct nook_store st = { .lockfd = -1 };
	struct nook_image_info *v = NULL;
	size_t n = 0;
	int r = 0;
	*stale = false;
	if (locked)
		r = nook_store_open(&st, NULL, false, err);
	else
		st.dir = nook_image_store_dir(NULL);
	if (r < 0)
		return r;
	r = nook_store_read_index(st.dir, &v, &n, err);
	long at = r == 0 ? nook_store_find(v, n, s->rootfs.image) : -1;
	if (r == 0 && at < 0)
		r = nook_errx(err, ENOENT, "no image '%s' in the store %s (get it with: nook image pull %s, or nook image import FILE)",
			      s->rootfs.image, st.dir, s->rootfs.image);
	size_t nl = at >= 0 ? nook_strv_len(v[at].layers) : 0;
	if (r == 0 && nl > sizeof hold->fds / sizeof *hold->fds)
		r = nook_errx(err, E2BIG, "the image %s has too many layers (%zu)", s->rootfs.image, nl);
	for (size_t i = nl; r == 0 && !*stale && i > 0; i--) {
		_cleanup_free_ char *dir = nook_asprintf("%s/layers/%s", st.dir, v[at].layers[i - 1] + 7);
		int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat sb;
		if (fd >= 0)
			hold->fds[hold->n++] = fd;
		/* a prune removing this layer holds it exclusively until it is gone */
		if (fd >= 0 && flock(fd, LOCK_SH) == 0 && fstat(fd, &sb) == 0 && sb.st_nlink > 0) {
			nook_strv_push(lower, dir);
		} else if (!locked) {
			*stale = true;
		} else {
			r = nook_err(err, fd < 0 ? errno : ENOENT, "the layer %s of the image %s is missing "
				     "(pull or import it again)", dir, s->rootfs.image);
		}
	}
	if (r == 0 && !*stale) {
		_cleanup_free_ char *path = nook_asprintf("%s/blobs/sha256/%s", st.dir, v[at].config + 7);
		size_t len;
		*config = nook_read_file(path, 16 << 20, &len);
		if (!*config && !locked)
			*stale = true;
		else if (!*config)
			r = nook_err(err, errno, "cannot read the image config %s (the store is damaged: pull the image again)",
				     path);
		else
			nook_verbose("image %s: %zu layers from %s", v[at].name, nl, st.dir);
	}
	nook_image_info_free(v, n);
	nook_store_close(&st);
	return r;
}

int nook_image_prepare(struct nook_spec *s, struct nook_image_hold *hold, struct nook_error *err)
{
	hold->n = 0;
	if (!s->rootfs.image)
		return 0;
	char **lower = NULL, *config = NULL;
	bool stale = false;
	int r = 0;
	for (int locked = 0; locked < 2 && r == 0; locked++) {
		r = look(s, locked, hold, &lower, &config, &stale, err);
		if (r == 0 && !stale)
			break;
		nook_image_release(hold);
		nook_strv_free(lower);
		lower = NULL;
	}
	if (r == 0) {
		nook_strv_free(s->rootfs.lower);
		s->rootfs.lower = TAKE_PTR(lower);
		s->rootfs.kind = NOOK_ROOTFS_OVERLAY;
		r = apply_config(s, config, err);
	}
	free(config);
	nook_strv_free(lower);
	if (r < 0)
		nook_image_release(hold);
	return r;
}
