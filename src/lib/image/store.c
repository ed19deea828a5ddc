/* SPDX-License-Identifier: GPL-2.0-or-later */
/* store.c - the image store (layout in nook/image.h): its location and
 * lock, the index images.json (json-c), references, list, remove, prune. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"

bool nook_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) != 0 || strlen(d) != 7 + 64)
		return false;
	for (const char *p = d + 7; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
			return false;
	return true;
}

char *nook_image_store_dir(const char *opt)
{
	const char *e = getenv("NOOK_STORE");
	if (opt && *opt)
		return nook_strdup(opt);
	if (e && *e)
		return nook_strdup(e);
	e = getenv("XDG_DATA_HOME");
	if (e && e[0] == '/')
		return nook_asprintf("%s/nook/images", e);
	e = getenv("HOME");
	return nook_asprintf("%s/.local/share/nook/images", e && *e ? e : "/");
}

void nook_image_info_free(struct nook_image_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].name);
		free(v[i].manifest);
		free(v[i].config);
		nook_strv_free(v[i].layers);
	}
	free(v);
}

/* ---------------------------------------------------------------- references */

/* The registry part of a reference: the first component when it has a
 * '.' or ':' or is "localhost" (as the docker transport decides). */
static bool has_domain(const char *ref)
{
	const char *slash = strchr(ref, '/');
	if (!slash)
		return false;
	size_t len = (size_t)(slash - ref);
	return memchr(ref, '.', len) || memchr(ref, ':', len) || (len == 9 && strncmp(ref, "localhost", 9) == 0);
}

char *nook_image_ref_normalize(const char *ref, struct nook_error *err)
{
	if (!ref || !*ref)
		return nook_errx(err, EINVAL, "an empty image reference"), NULL;
	for (const char *p = ref; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("._-/:@", *p))
			return nook_errx(err, EINVAL, "'%s' is not an image reference (letters, digits and ._-/:@ only, "
					 "e.g. debian:bookworm or registry.example.org/team/app:1.0)", ref), NULL;
	}
	if (ref[0] == '/' || ref[0] == '.' || strstr(ref, "//") || ref[strlen(ref) - 1] == '/' ||
	    ref[strlen(ref) - 1] == ':')
		return nook_errx(err, EINVAL, "'%s' is not an image reference (e.g. debian:bookworm or "
				 "registry.example.org/team/app:1.0)", ref), NULL;
	const char *last = strrchr(ref, '/');
	last = last ? last + 1 : ref;
	bool tagged = strchr(last, ':') || strchr(ref, '@');
	const char *prefix = "";
	if (!has_domain(ref))
		prefix = strchr(ref, '/') ? "docker.io/" : "docker.io/library/";
	for (const char *p = ref; *p; p++)
		if (isupper((unsigned char)*p) && p < last)
			return nook_errx(err, EINVAL, "'%s' is not an image reference: repository names are lower case",
					 ref), NULL;
	return nook_asprintf("%s%s%s", prefix, ref, tagged ? "" : ":latest");
}

long nook_store_find(const struct nook_image_info *v, size_t n, const char *ref)
{
	struct nook_error e = { 0 };
	_cleanup_free_ char *norm = nook_image_ref_normalize(ref, &e);
	for (size_t i = 0; i < n; i++)
		if ((norm && strcmp(v[i].name, norm) == 0) || strcmp(v[i].name, ref) == 0)
			return (long)i;
	size_t len = strlen(ref);
	if (len >= 4 && len <= 64 && strspn(ref, "0123456789abcdef") == len) {
		long found = -1;
		for (size_t i = 0; i < n; i++)
			if (v[i].config && strncmp(v[i].config + 7, ref, len) == 0) {
				if (found >= 0 && strcmp(v[found].config, v[i].config) != 0)
					return -1; /* ambiguous */
				found = (long)i;
			}
		return found;
	}
	return -1;
}

/* ---------------------------------------------------------------- lock */

int nook_store_open(struct nook_store *st, const char *opt, bool exclusive, struct nook_error *err)
{
	st->lockfd = -1;
	st->dir = nook_image_store_dir(opt);
	static const char *const sub[] = { "", "/blobs/sha256", "/layers", "/tmp" };
	for (size_t i = 0; i < sizeof sub / sizeof *sub; i++) {
		_cleanup_free_ char *d = nook_asprintf("%s%s", st->dir, sub[i]);
		if (nook_mkdir_p(d, 0700) < 0) {
			int r = nook_err(err, errno, "cannot create the image store directory %s (set NOOK_STORE "
					 "or --store to a directory of your own)", d);
			nook_store_close(st);
			return r;
		}
	}
	_cleanup_free_ char *lock = nook_asprintf("%s/lock", st->dir);
	st->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (st->lockfd < 0) {
		int r = nook_err(err, errno, "cannot open the image store's lock %s", lock);
		nook_store_close(st);
		return r;
	}
	int op = exclusive ? LOCK_EX : LOCK_SH;
	if (flock(st->lockfd, op | LOCK_NB) < 0) {
		if (exclusive)
			nook_verbose("waiting for another nook changing the image store %s", st->dir);
		while (flock(st->lockfd, op) < 0) {
			if (errno != EINTR) {
				int r = nook_err(err, errno, "cannot lock the image store %s", lock);
				nook_store_close(st);
				return r;
			}
		}
	}
	return 0;
}

void nook_store_close(struct nook_store *st)
{
	if (st->lockfd >= 0)
		close(st->lockfd);
	st->lockfd = -1;
	free(st->dir);
	st->dir = NULL;
}

/* ---------------------------------------------------------------- index */

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

int nook_store_read_index(const char *dir, struct nook_image_info **out, size_t *n, struct nook_error *err)
{
	*out = NULL;
	*n = 0;
	_cleanup_free_ char *path = nook_asprintf("%s/images.json", dir);
	size_t len;
	_cleanup_free_ char *text = nook_read_file(path, 64 << 20, &len);
	if (!text)
		return errno == ENOENT ? 0 : nook_err(err, errno, "cannot read the image index %s", path);
	struct json_object *root = json_tokener_parse(text), *imgs;
	if (!root || !json_object_object_get_ex(root, "images", &imgs) || !json_object_is_type(imgs, json_type_array)) {
		json_object_put(root);
		return nook_errx(err, EINVAL, "the image index %s is damaged (remove it and pull again)", path);
	}
	size_t cnt = json_object_array_length(imgs);
	struct nook_image_info *v = nook_xmalloc((cnt + 1) * sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < cnt; i++) {
		struct json_object *o = json_object_array_get_idx(imgs, i), *layers, *x;
		const char *name = jstr(o, "name"), *man = jstr(o, "manifest"), *cfg = jstr(o, "config");
		if (!name || !nook_digest_valid(man) || !nook_digest_valid(cfg) ||
		    !json_object_object_get_ex(o, "layers", &layers) || !json_object_is_type(layers, json_type_array))
			continue;
		struct nook_image_info *e = &v[k];
		bool ok = true;
		for (size_t j = 0; j < json_object_array_length(layers); j++) {
			const char *d = json_object_get_string(json_object_array_get_idx(layers, j));
			ok = ok && nook_digest_valid(d);
			if (ok)
				nook_strv_push(&e->layers, d);
		}
		if (!ok) {
			nook_strv_free(e->layers);
			e->layers = NULL;
			continue;
		}
		e->name = nook_strdup(name);
		e->manifest = nook_strdup(man);
		e->config = nook_strdup(cfg);
		if (json_object_object_get_ex(o, "size", &x))
			e->size = (uint64_t)json_object_get_int64(x);
		if (json_object_object_get_ex(o, "created", &x))
			e->created = json_object_get_int64(x);
		k++;
	}
	json_object_put(root);
	*out = v;
	*n = k;
	return 0;
}

int nook_store_write_index(const char *dir, const struct nook_image_info *v, size_t n, struct nook_error *err)
{
	struct json_object *root = json_object_new_object(), *imgs = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object(), *l = json_object_new_array();
		json_object_object_add(o, "name", json_object_new_string(v[i].name));
		json_object_object_add(o, "manifest", json_object_new_string(v[i].manifest));
		json_object_object_add(o, "config", json_object_new_string(v[i].config));
		for (size_t j = 0; v[i].layers && v[i].layers[j]; j++)
			json_object_array_add(l, json_object_new_string(v[i].layers[j]));
		json_object_object_add(o, "layers", l);
		json_object_object_add(o, "size", json_object_new_int64((int64_t)v[i].size));
		json_object_object_add(o, "created", json_object_new_int64(v[i].created));
		json_object_array_add(imgs, o);
	}
	json_object_object_add(root, "images", imgs);
	const char *text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	_cleanup_free_ char *tmp = nook_asprintf("%s/images.json.tmp", dir);
	_cleanup_free_ char *path = nook_asprintf("%s/images.json", dir);
	int r = 0;
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || nook_write_all(fd, text, strlen(text)) < 0 || nook_write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0 || rename(tmp, path) < 0)
		r = nook_err(err, errno, "cannot write the image index %s", path);
	json_object_put(root);
	if (r < 0)
		unlink(tmp);
	return r;
}

/* ---------------------------------------------------------------- leftovers */

static int rm_stale(void *arg, struct nook_error *err)
{
	const char *dir = arg;
	_cleanup_close_ int tfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = tfd >= 0 ? fdopendir(fcntl(tfd, F_DUPFD_CLOEXEC, 0)) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int fd = openat(tfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* a pull in progress holds its directory's lock */
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue;
		int r = nook_image_rmtree_at(tfd, de->d_name);
		if (r < 0)
			nook_err(err, -r, "cannot remove %s/%s", dir, de->d_name);
	}
	if (d)
		closedir(d);
	return 0;
}

void nook_store_clean_tmp(const char *dir)
{
	_cleanup_free_ char *tmp = nook_asprintf("%s/tmp", dir);
	DIR *d = opendir(tmp);
	struct dirent *de;
	bool any = false;
	/* only a directory no pull holds is stale: no user namespace (and
	 * no setuid helpers) for the common case of our own pull's */
	while (d && !any && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		any = fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0;
	}
	if (d)
		closedir(d);
	if (!any)
		return;
	struct nook_error e = { 0 };
	if (nook_image_in_userns(rm_stale, tmp, &e) < 0 || e.msg[0])
		nook_warn("cannot remove what an interrupted pull left in %s: %s", tmp, e.msg);
}

/* ---------------------------------------------------------------- list, rm, prune */

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct nook_image_info *)a)->name, ((const struct nook_image_info *)b)->name);
}

int nook_image_list(const struct nook_image_opts *o, struct nook_image_info **out, size_t *n,
		    struct nook_error *err)
{
	struct nook_store st;
	int r = nook_store_open(&st, o->store, false, err);
	if (r < 0)
		return r;
	r = nook_store_read_index(st.dir, out, n, err);
	nook_store_close(&st);
	if (r == 0 && *n > 1)
		qsort(*out, *n, sizeof **out, cmp_info);
	return r;
}

bool nook_image_exists(const char *ref, const char *store)
{
	struct nook_image_info *v;
	size_t n;
	struct nook_error e = { 0 };
	_cleanup_free_ char *dir = nook_image_store_dir(store);
	_cleanup_free_ char *idx = nook_asprintf("%s/images.json", dir);
	if (access(idx, F_OK) < 0 || nook_store_read_index(dir, &v, &n, &e) < 0)
		return false;
	bool found = nook_store_find(v, n, ref) >= 0;
	nook_image_info_free(v, n);
	return found;
}

struct prune_work {
	const char *dir;
	char **keep_layers, **keep_blobs;
	size_t *count; /* [0] freed, [1] busy: shared with the userns child */
};

static bool wanted(char **keep, const char *hex)
{
	for (size_t i = 0; keep && keep[i]; i++)
		if (strcmp(keep[i] + 7, hex) == 0)
			return true;
	return false;
}

static int prune_in_userns(void *arg, struct nook_error *err)
{
	struct prune_work *w = arg;
	static const char *const sub[] = { "layers", "blobs/sha256" };
	for (size_t s = 0; s < 2; s++) {
		_cleanup_free_ char *path = nook_asprintf("%s/%s", w->dir, sub[s]);
		_cleanup_close_ int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = dfd >= 0 ? fdopendir(fcntl(dfd, F_DUPFD_CLOEXEC, 0)) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.' || wanted(s ? w->keep_blobs : w->keep_layers, de->d_name))
				continue;
			if (s == 0) {
				_cleanup_close_ int lfd = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
					w->count[1]++;
					continue;
				}
			}
			int r = nook_image_rmtree_at(dfd, de->d_name);
			if (r < 0) {
				closedir(d);
				return nook_err(err, -r, "cannot remove %s/%s", path, de->d_name);
			}
			w->count[0]++;
		}
		if (d)
			closedir(d);
	}
	return 0;
}

/* The store is locked exclusively. */
int nook_store_prune_locked(const char *dir, const struct nook_image_info *v, size_t n, size_t *freed,
			size_t *busy, struct nook_error *err)
{
	struct prune_work w = { .dir = dir };
	for (size_t i = 0; i < n; i++) {
		nook_strv_push(&w.keep_blobs, v[i].manifest);
		nook_strv_push(&w.keep_blobs, v[i].config);
		for (size_t j = 0; v[i].layers[j]; j++)
			nook_strv_push(&w.keep_layers, v[i].layers[j]);
	}
	nook_store_clean_tmp(dir);
	/* the child counts into memory it shares with us */
	w.count = mmap(NULL, 2 * sizeof(size_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int r = w.count == MAP_FAILED ? nook_err(err, errno, "mmap") : nook_image_in_userns(prune_in_userns, &w, err);
	nook_strv_free(w.keep_blobs);
	nook_strv_free(w.keep_layers);
	if (w.count != MAP_FAILED) {
		if (freed)
			*freed = w.count[0];
		if (busy)
			*busy = w.count[1];
		munmap(w.count, 2 * sizeof(size_t));
	}
	return r;
}

/* The store, locked for writing, and its index; nothing held on failure. */
static int open_indexed(struct nook_store *st, const struct nook_image_opts *o, struct nook_image_info **v,
			size_t *n, struct nook_error *err)
{
	*v = NULL;
	*n = 0;
	int r = nook_store_open(st, o->store, true, err);
	if (r < 0)
		return r;
	r = nook_store_read_index(st->dir, v, n, err);
	if (r < 0) {
		nook_image_info_free(*v, *n);
		nook_store_close(st);
	}
	return r;
}

int nook_image_prune(const struct nook_image_opts *o, size_t *freed, size_t *busy, struct nook_error *err)
{
	struct nook_store st;
	struct nook_image_info *v;
	size_t n;
	int r = open_indexed(&st, o, &v, &n, err);
	if (r < 0)
		return r;
	r = nook_store_prune_locked(st.dir, v, n, freed, busy, err);
	nook_image_info_free(v, n);
	nook_store_close(&st);
	return r;
}

int nook_image_remove(const char *ref, const struct nook_image_opts *o, struct nook_error *err)
{
	struct nook_store st;
	struct nook_image_info *v;
	size_t n;
	int r = open_indexed(&st, o, &v, &n, err);
	if (r < 0)
		return r;
	long i = nook_store_find(v, n, ref);
	if (i < 0)
		r = nook_errx(err, ENOENT, "no image '%s' in the store %s (see nook image ls)", ref, st.dir);
	if (r == 0) {
		struct nook_image_info gone = v[i];
		memmove(&v[i], &v[i + 1], (n - (size_t)i - 1) * sizeof *v);
		v[n - 1] = gone; /* freed with the rest */
		r = nook_store_write_index(st.dir, v, n - 1, err);
		if (r == 0)
			r = nook_store_prune_locked(st.dir, v, n - 1, NULL, NULL, err);
	}
	nook_image_info_free(v, n);
	nook_store_close(&st);
	return r;
}
