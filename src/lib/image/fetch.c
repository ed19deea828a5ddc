/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fetch.c - nook image pull and import: skopeo copies the image (from a
 * registry, honouring registries.conf, auth files and TLS settings, or
 * from an OCI layout, an oci-archive or a docker-archive) into an OCI
 * layout in the store's tmp/; nook reads that layout with json-c, unpacks
 * the layers it does not have yet (unpack.c, in the store's user
 * namespace), keeps the manifest and config blobs and adds the name to the
 * index.
 *
 * The download runs without the store's lock (two pulls download at
 * once); each pull's directory tmp/pull-XXXXXX is flocked by its pull, so
 * the cleaner of killed pulls' leftovers passes it by. Unpacking and the
 * index change run under the store's exclusive lock; a layer reaches
 * layers/ by one rename of its complete tree, and a layer another pull
 * unpacked meanwhile is not unpacked again. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "internal.h"
#include "libarchive.h"

#define MAX_LAYERS 120

struct layout {
	char manifest[72], config[72];
	char *layers[MAX_LAYERS + 1];
	size_t n_layers;
	uint64_t size;
};

static void layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->n_layers; i++)
		free(l->layers[i]);
	l->n_layers = 0;
}

static struct json_object *read_json(const char *path, struct nook_error *err)
{
	size_t len;
	_cleanup_free_ char *text = nook_read_file(path, 16 << 20, &len);
	if (!text)
		return nook_err(err, errno, "cannot read %s", path), NULL;
	struct json_object *o = json_tokener_parse(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return nook_errx(err, EINVAL, "%s is not a JSON object", path), NULL;
	}
	return o;
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : NULL;
}

/* index.json -> the manifest -> config and layers (digests checked) */
static int read_layout(const char *dir, struct layout *l, struct nook_error *err)
{
	_cleanup_free_ char *ipath = nook_asprintf("%s/index.json", dir);
	struct json_object *idx = read_json(ipath, err), *mans, *layers, *cfg;
	if (!idx)
		return -EINVAL;
	int r = 0;
	const char *md = NULL;
	if (json_object_object_get_ex(idx, "manifests", &mans) && json_object_is_type(mans, json_type_array) &&
	    json_object_array_length(mans) > 0)
		md = get_str(json_object_array_get_idx(mans, 0), "digest");
	if (!nook_digest_valid(md))
		r = nook_errx(err, EINVAL, "%s names no manifest with a sha256 digest", ipath);
	else
		snprintf(l->manifest, sizeof l->manifest, "%s", md);
	json_object_put(idx);
	if (r < 0)
		return r;
	_cleanup_free_ char *mpath = nook_asprintf("%s/blobs/sha256/%s", dir, l->manifest + 7);
	struct json_object *man = read_json(mpath, err);
	if (!man)
		return -EINVAL;
	const char *cd = json_object_object_get_ex(man, "config", &cfg) ? get_str(cfg, "digest") : NULL;
	if (!nook_digest_valid(cd))
		r = nook_errx(err, EINVAL, "the manifest %s has no config with a sha256 digest", mpath);
	else
		snprintf(l->config, sizeof l->config, "%s", cd);
	if (r == 0 && (!json_object_object_get_ex(man, "layers", &layers) ||
		       !json_object_is_type(layers, json_type_array)))
		r = nook_errx(err, EINVAL, "the manifest %s has no layer list", mpath);
	for (size_t i = 0; r == 0 && i < json_object_array_length(layers); i++) {
		struct json_object *ly = json_object_array_get_idx(layers, i), *sz;
		const char *d = get_str(ly, "digest"), *mt = get_str(ly, "mediaType");
		if (!nook_digest_valid(d))
			r = nook_errx(err, EINVAL, "layer %zu of the manifest %s has no sha256 digest", i, mpath);
		else if (mt && !strstr(mt, "tar"))
			r = nook_errx(err, EINVAL, "layer %zu of the manifest %s has media type %s, not a tar archive",
				      i, mpath, mt);
		else if (l->n_layers >= MAX_LAYERS)
			r = nook_errx(err, E2BIG, "the image has more than %d layers", MAX_LAYERS);
		else {
			l->layers[l->n_layers++] = nook_strdup(d);
			if (json_object_object_get_ex(ly, "size", &sz))
				l->size += (uint64_t)json_object_get_int64(sz);
		}
	}
	json_object_put(man);
	return r;
}

/* ---------------------------------------------------------------- skopeo */

static int prctl_pdeath(void)
{
	return prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* two counters the userns child can add to */
static size_t *mmap_counter(void)
{
	void *p = mmap(NULL, 2 * sizeof(size_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, 2 * sizeof(size_t));
	return p;
}

static void munmap_counter(size_t *p)
{
	if (p)
		munmap(p, 2 * sizeof *p);
}

static int run_skopeo(const char *src, const char *tmp, const struct nook_image_opts *o, struct nook_error *err)
{
	_cleanup_free_ char *skopeo = nook_find_program("skopeo", getenv("PATH"));
	if (!skopeo)
		return nook_errx(err, ENOENT, "skopeo not found in PATH: nook uses it to fetch and convert images "
				 "(install it with: apt-get install skopeo)");
	_cleanup_free_ char *dst = nook_asprintf("oci:%s/layout:image", tmp);
	_cleanup_free_ char *log = nook_asprintf("%s/skopeo.log", tmp);
	_cleanup_free_ char *tls = nook_strdup("--src-tls-verify=false");
	_cleanup_free_ char *auth = o->authfile ? nook_asprintf("--src-authfile=%s", o->authfile) : NULL;
	char *argv[16];
	size_t a = 0;
	argv[a++] = skopeo;
	/* without a policy skopeo refuses everything; nook's own policy
	 * then is podman's default: accept anything */
	if (access("/etc/containers/policy.json", F_OK) < 0 && !getenv("NOOK_SKOPEO_STRICT")) {
		_cleanup_free_ char *home = nook_asprintf("%s/.config/containers/policy.json", getenv("HOME") ? getenv("HOME") : "/");
		if (access(home, F_OK) < 0)
			argv[a++] = (char *)"--insecure-policy";
	}
	argv[a++] = (char *)"copy";
	if (!o->progress)
		argv[a++] = (char *)"--quiet";
	if (o->tls_verify_off && strncmp(src, "docker://", 9) == 0)
		argv[a++] = tls;
	if (auth && strncmp(src, "docker://", 9) == 0)
		argv[a++] = auth;
	argv[a++] = (char *)src;
	argv[a++] = dst;
	argv[a] = NULL;

	_cleanup_free_ char *tmpenv = nook_asprintf("TMPDIR=%s", tmp);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return nook_err(err, errno, "fork");
	if (pid == 0) {
		if (prctl_pdeath() < 0 || getppid() != parent)
			_exit(127);
		/* skopeo writes its progress to stdout: on nook's terminal
		 * (stderr), so that nook's stdout has only the name */
		if (o->progress && dup2(2, 1) < 0)
			_exit(127);
		if (!o->progress) {
			int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (fd < 0 || nul < 0 || dup2(fd, 2) < 0 || dup2(nul, 1) < 0 || dup2(nul, 0) < 0)
				_exit(127);
		}
		putenv(tmpenv);
		execv(skopeo, argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	/* skopeo's last message line, as one line */
	size_t len = 0;
	_cleanup_free_ char *text = o->progress ? NULL : nook_read_file(log, 1 << 20, &len);
	char *last = NULL;
	if (text) {
		while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
			text[--len] = '\0';
		last = strrchr(text, '\n');
		last = last ? last + 1 : text;
		/* skopeo prefixes time="..." level=fatal msg="..." */
		char *m = strstr(last, "msg=\"");
		if (m) {
			last = m + 5;
			size_t l2 = strlen(last);
			if (l2 && last[l2 - 1] == '"')
				last[l2 - 1] = '\0';
		}
	}
	return nook_errx(err, EIO, "skopeo could not copy %s: %s", src,
			 last && *last ? last : (o->progress ? "see its message above" : "no message"));
}

/* ---------------------------------------------------------------- unpack + commit */

struct unpack_work {
	const char *store, *tmp;
	struct layout *l;
	bool *need;
	size_t *count;    /* skipped, partial: shared memory */
};

static int unpack_in_userns(void *arg, struct nook_error *err)
{
	struct unpack_work *w = arg;
	for (size_t i = 0; i < w->l->n_layers; i++) {
		if (!w->need[i])
			continue;
		const char *hex = w->l->layers[i] + 7;
		_cleanup_free_ char *blob = nook_asprintf("%s/layout/blobs/sha256/%s", w->tmp, hex);
		_cleanup_free_ char *dir = nook_asprintf("%s/layer-%s", w->tmp, hex);
		_cleanup_free_ char *final = nook_asprintf("%s/layers/%s", w->store, hex);
		size_t skipped = 0, partial = 0;
		int r = nook_image_unpack(blob, dir, &skipped, &partial, err);
		if (r < 0)
			return r;
		w->count[0] += skipped;
		w->count[1] += partial;
		if (rename(dir, final) < 0) {
			if (errno != EEXIST && errno != ENOTEMPTY)
				return nook_err(err, errno, "cannot move the layer into %s", final);
			_cleanup_close_ int tfd = open(w->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			_cleanup_free_ char *name = nook_asprintf("layer-%s", hex);
			nook_image_rmtree_at(tfd, name);
		}
		unlink(blob); /* the unpacked tree is what the store keeps */
	}
	return 0;
}

static int commit(struct nook_store *st, const char *tmp, const char *name, struct layout *l,
		  struct nook_error *err)
{
	bool need[MAX_LAYERS] = { false };
	bool any = false;
	for (size_t i = 0; i < l->n_layers; i++) {
		_cleanup_free_ char *final = nook_asprintf("%s/layers/%s", st->dir, l->layers[i] + 7);
		need[i] = access(final, F_OK) < 0;
		/* the same blob twice in one image: unpack it once */
		for (size_t j = 0; j < i && need[i]; j++)
			if (strcmp(l->layers[j], l->layers[i]) == 0)
				need[i] = false;
		any = any || need[i];
	}
	/* the manifest and config blobs: checked by skopeo, moved as they are */
	const char *keep[] = { l->manifest, l->config };
	for (size_t k = 0; k < 2; k++) {
		_cleanup_free_ char *from = nook_asprintf("%s/layout/blobs/sha256/%s", tmp, keep[k] + 7);
		_cleanup_free_ char *to = nook_asprintf("%s/blobs/sha256/%s", st->dir, keep[k] + 7);
		if (access(to, F_OK) == 0)
			continue;
		if (link(from, to) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot store the blob %s", to);
	}
	if (any) {
		size_t *count = mmap_counter(), dummy[2] = { 0, 0 };
		if (!count)
			count = dummy;
		struct unpack_work w = { .store = st->dir, .tmp = tmp, .l = l, .need = need, .count = count };
		int r = nook_image_in_userns(unpack_in_userns, &w, err);
		size_t sk = count[0], pa = count[1];
		if (count != dummy)
			munmap_counter(count);
		if (r < 0)
			return r;
		if (sk)
			nook_warn("%zu device %s of the image %s skipped: a user namespace cannot create them (the "
				  "container's /dev has the standard ones)", sk, sk == 1 ? "node" : "nodes", sk == 1 ? "was" : "were");
		if (pa)
			nook_warn("%zu %s of the image could not get all %s attributes (an owner outside your "
				  "subordinate range, or an xattr the kernel refused)", pa, pa == 1 ? "file" : "files",
				  pa == 1 ? "its" : "their");
	}
	struct nook_image_info *v = NULL;
	size_t n = 0;
	int r = nook_store_read_index(st->dir, &v, &n, err);
	if (r < 0)
		return r;
	long at = -1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			at = (long)i;
	if (at < 0) {
		v = nook_xrealloc(v, (n + 1) * sizeof *v);
		memset(&v[n], 0, sizeof *v);
		at = (long)n++;
	}
	struct nook_image_info *e = &v[at];
	/* the name moves to another manifest: the old one's layers may be unused */
	bool moved = e->manifest && strcmp(e->manifest, l->manifest) != 0;
	free(e->name); free(e->manifest); free(e->config);
	nook_strv_free(e->layers);
	e->layers = NULL;
	e->name = nook_strdup(name);
	e->manifest = nook_strdup(l->manifest);
	e->config = nook_strdup(l->config);
	for (size_t i = 0; i < l->n_layers; i++)
		nook_strv_push(&e->layers, l->layers[i]);
	e->size = l->size;
	e->created = (int64_t)time(NULL);
	r = nook_store_write_index(st->dir, v, n, err);
	if (r == 0 && moved)
		r = nook_store_prune_locked(st->dir, v, n, NULL, NULL, err);
	nook_image_info_free(v, n);
	return r;
}

/* ---------------------------------------------------------------- pull, import */

static int rm_own_tmp(void *arg, struct nook_error *err)
{
	const char *tmp = arg;
	_cleanup_free_ char *parent = nook_strdup(tmp);
	char *slash = strrchr(parent, '/');
	*slash = '\0';
	_cleanup_close_ int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = nook_image_rmtree_at(fd, slash + 1);
	return r < 0 ? nook_err(err, -r, "cannot remove %s", tmp) : 0;
}

static int fetch(const char *src, const char *name, const struct nook_image_opts *o, struct nook_error *err)
{
	struct nook_store st;
	/* shared: no cleaner runs between creating our directory and locking it */
	int r = nook_store_open(&st, o->store, false, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *tmp = nook_asprintf("%s/tmp/pull-XXXXXX", st.dir);
	int tfd = -1;
	if (!mkdtemp(tmp) || (tfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || flock(tfd, LOCK_EX) < 0) {
		r = nook_err(err, errno, "cannot create a directory for the download in %s/tmp", st.dir);
		if (tfd >= 0)
			close(tfd);
		nook_store_close(&st);
		return r;
	}
	nook_store_close(&st);

	struct layout l = { .n_layers = 0 };
	r = run_skopeo(src, tmp, o, err);
	if (r == 0) {
		_cleanup_free_ char *lay = nook_asprintf("%s/layout", tmp);
		r = read_layout(lay, &l, err);
	}
	if (r == 0)
		r = nook_store_open(&st, o->store, true, err);
	if (r == 0) {
		nook_store_clean_tmp(st.dir);
		r = commit(&st, tmp, name, &l, err);
	}
	/* our own directory: any partly unpacked layer in it belongs to the
	 * namespace's ids */
	struct nook_error rerr = { 0 };
	struct stat sb;
	bool has_layers = false;
	for (size_t i = 0; i < l.n_layers; i++) {
		_cleanup_free_ char *d = nook_asprintf("%s/layer-%s", tmp, l.layers[i] + 7);
		has_layers = has_layers || lstat(d, &sb) == 0;
	}
	if (has_layers)
		nook_image_in_userns(rm_own_tmp, tmp, &rerr);
	else
		rm_own_tmp(tmp, &rerr);
	if (st.dir)
		nook_store_close(&st);
	close(tfd);
	layout_free(&l);
	return r;
}

int nook_image_pull(const char *ref, const struct nook_image_opts *o, char **name_out, struct nook_error *err)
{
	_cleanup_free_ char *name = nook_image_ref_normalize(ref, err);
	if (!name)
		return -EINVAL;
	_cleanup_free_ char *src = nook_asprintf("docker://%s", ref);
	int r = fetch(src, name, o, err);
	if (r == 0 && name_out)
		*name_out = TAKE_PTR(name);
	return r;
}

/* What kind of archive a file is: "oci-archive", "docker-archive" or NULL. */
static const char *archive_kind(const char *path, struct nook_error *err)
{
	if (nook_la_load(err) < 0)
		return NULL;
	struct archive *a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	const char *kind = NULL;
	if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
		nook_errx(err, EINVAL, "cannot read %s as an image archive: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	struct archive_entry *e;
	bool manifest = false;
	int ar;
	while (!kind && ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK || ar == ARCHIVE_WARN)) {
		const char *n = archive_entry_pathname(e);
		if (strncmp(n, "./", 2) == 0)
			n += 2;
		if (strcmp(n, "oci-layout") == 0)
			kind = "oci-archive";
		else if (strcmp(n, "manifest.json") == 0)
			manifest = true;
	}
	archive_read_free(a);
	if (!kind && manifest)
		kind = "docker-archive";
	if (!kind)
		nook_errx(err, EINVAL, "%s is neither an OCI image archive (oci-layout) nor a docker archive "
			  "(manifest.json), as podman save or skopeo copy write them", path);
	return kind;
}

/* localhost/BASENAME:latest, the name an import gets by default */
static char *default_name(const char *path)
{
	_cleanup_free_ char *copy = nook_strdup(path);
	size_t len = strlen(copy);
	while (len > 1 && copy[len - 1] == '/')
		copy[--len] = '\0';
	char *base = strrchr(copy, '/');
	base = base ? base + 1 : copy;
	static const char *const ext[] = { ".tar.gz", ".tgz", ".tar", ".oci" };
	for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
		size_t bl = strlen(base), el = strlen(ext[i]);
		if (bl > el && strcmp(base + bl - el, ext[i]) == 0) {
			base[bl - el] = '\0';
			break;
		}
	}
	for (char *p = base; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
			*p = '-';
	}
	if (!*base || *base == '.' || *base == '-')
		return nook_strdup("localhost/imported:latest");
	return nook_asprintf("localhost/%s:latest", base);
}

int nook_image_import(const char *path, const struct nook_image_opts *o, char **name_out, struct nook_error *err)
{
	struct stat sb;
	if (stat(path, &sb) < 0)
		return nook_err(err, errno, "cannot import %s", path);
	if (strchr(path, ':'))
		return nook_errx(err, EINVAL, "cannot import %s: skopeo takes ':' in a path for a tag separator "
				 "(rename or link it)", path);
	_cleanup_free_ char *abs = realpath(path, NULL);
	if (!abs)
		return nook_err(err, errno, "cannot import %s", path);
	_cleanup_free_ char *src = NULL;
	if (S_ISDIR(sb.st_mode)) {
		_cleanup_free_ char *marker = nook_asprintf("%s/oci-layout", abs);
		if (access(marker, F_OK) < 0)
			return nook_errx(err, EINVAL, "%s is not an OCI image layout (it has no oci-layout file)", path);
		src = nook_asprintf("oci:%s", abs);
	} else if (S_ISREG(sb.st_mode)) {
		const char *kind = archive_kind(abs, err);
		if (!kind)
			return -EINVAL;
		src = nook_asprintf("%s:%s", kind, abs);
	} else {
		return nook_errx(err, EINVAL, "cannot import %s: not a directory or a file", path);
	}
	_cleanup_free_ char *name = o->name ? nook_image_ref_normalize(o->name, err) : default_name(abs);
	if (!name)
		return -EINVAL;
	int r = fetch(src, name, o, err);
	if (r == 0 && name_out)
		*name_out = TAKE_PTR(name);
	return r;
}
