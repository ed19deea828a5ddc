/* SPDX-License-Identifier: GPL-2.0-or-later */
/* record.c - the OCI runtime's state directory (its records).
 *
 * Layout: ROOT/ID/ (ROOT: --root, else $XDG_RUNTIME_DIR/nook-oci, else
 * /tmp/nook-oci-UID; every level 0700 and the caller's):
 *   status       what `create` recorded: id, bundle, the init's pid and
 *                start time, created, annotations, and what the caller's
 *                stdio was (external_descriptors, as runc and crun keep it)
 *   config.json  the bundle's config as `create` read it (exec uses it)
 *   exec.fifo    while it exists the init waits on it: "created"
 *   seccomp.json linux.seccomp, for the security envelope
 * The status is worked out, not stored: no pid yet, or create not done
 * (its hooks run) = creating; the init gone (or a zombie) = stopped;
 * exec.fifo there = created; else running (paused when its cgroup is
 * frozen). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/cgroup.h"
#include "nook/oci.h"
#include "nook/state.h"
#include "nook/util.h"

static int fail1(struct nook_error *err, int r)
{
	err->exit_status = 1;
	return r;
}

bool nook_oci_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > NOOK_OCI_ID_MAX || id[0] == '.')
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.' || c == '+'))
			return false;
	}
	return true;
}

static int mkdir_own(const char *p, struct nook_error *err)
{
	struct stat st;
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return fail1(err, nook_err(err, errno, "cannot create the state directory %s", p));
	if (lstat(p, &st) < 0)
		return fail1(err, nook_err(err, errno, "%s", p));
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid())
		return fail1(err, nook_errx(err, EPERM, "the state directory %s is not a directory of yours (pass --root DIR)", p));
	return 0;
}

int nook_oci_root(const char *opts_root, bool create, char *out, size_t size, struct nook_error *err)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	int n;
	if (opts_root && opts_root[0])
		n = snprintf(out, size, "%s", opts_root);
	else if (x && x[0] == '/' && access(x, W_OK) == 0)
		n = snprintf(out, size, "%s/nook-oci", x);
	else
		n = snprintf(out, size, "/tmp/nook-oci-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= size)
		return fail1(err, nook_errx(err, ENAMETOOLONG, "the state directory path is too long"));
	if (!create)
		return 0;
	/* --root may name a path whose parents do not exist yet */
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof tmp, "%s", out);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return fail1(err, nook_err(err, errno, "cannot create %s", tmp));
		}
		*p = '/';
	}
	return mkdir_own(out, err);
}

int nook_oci_state_create(const char *root, const char *id, struct nook_oci_state *st, struct nook_error *err)
{
	memset(st, 0, sizeof *st);
	if (!nook_oci_id_valid(id))
		return fail1(err, nook_errx(err, EINVAL, "invalid character in container ID '%s' (letters, digits, '-', '_', '.', '+'; not starting with '.')", id));
	snprintf(st->id, sizeof st->id, "%s", id);
	if ((size_t)snprintf(st->dir, sizeof st->dir, "%s/%s", root, id) >= sizeof st->dir)
		return fail1(err, nook_errx(err, ENAMETOOLONG, "the state path of '%s' is too long", id));
	if (mkdir(st->dir, 0700) < 0) {
		if (errno == EEXIST)
			return fail1(err, nook_errx(err, EEXIST, "container ID '%s' already exists (nook-oci delete %s removes it)", id, id));
		return fail1(err, nook_err(err, errno, "cannot create %s", st->dir));
	}
	st->created = (long long)time(NULL);
	st->status = NOOK_OCI_CREATING;
	return 0;
}

int nook_oci_state_write(const struct nook_oci_state *st, struct nook_error *err)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "pid_start", json_object_new_uint64(st->pid_start));
	json_object_object_add(o, "created", json_object_new_int64(st->created));
	json_object_object_add(o, "create_done", json_object_new_boolean(st->created_done));
	json_object_object_add(o, "creator", json_object_new_int(st->created_done ? 0 : (int)getpid()));
	if (st->cgroup[0])
		json_object_object_add(o, "cgroup", json_object_new_string(st->cgroup));
	json_object *a = st->annotations_json ? json_tokener_parse(st->annotations_json) : NULL;
	json_object_object_add(o, "annotations", a ? a : json_object_new_object());
	/* the targets of the caller's fds 0-2, as a JSON string of an array */
	json_object *fds = json_object_new_array();
	for (int fd = 0; fd < 3; fd++) {
		char p[64], t[PATH_MAX];
		snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(p, t, sizeof t - 1);
		t[n > 0 ? n : 0] = '\0';
		json_object_array_add(fds, json_object_new_string(t));
	}
	json_object_object_add(o, "external_descriptors",
			       json_object_new_string(json_object_to_json_string_ext(fds, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
	json_object_put(fds);
	const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char tmp[4200], path[4200];
	snprintf(tmp, sizeof tmp, "%s/status.tmp", st->dir);
	snprintf(path, sizeof path, "%s/status", st->dir);
	int r = nook_write_file(tmp, txt, strlen(txt), O_CREAT | O_TRUNC);
	json_object_put(o);
	if (r < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return fail1(err, nook_err(err, r < 0 ? -r : errno, "cannot write %s", path));
	}
	return 0;
}

/* Whether pid is alive (not a zombie) and, given start, the same process. */
static bool proc_alive(pid_t pid, unsigned long long start)
{
	char state;
	unsigned long long now;
	if (!nook_proc_stat(pid, &state, NULL, &now) || state == 'Z' || state == 'X')
		return false;
	return !start || now == start;
}

static bool frozen(pid_t pid)
{
	char p[64], buf[4200], path[4400];
	snprintf(p, sizeof p, "/proc/%d/cgroup", (int)pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return false;
	bool fr = false;
	while (fgets(buf, sizeof buf, f)) {
		if (strncmp(buf, "0::", 3) != 0)
			continue;
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(path, sizeof path, "/sys/fs/cgroup%s/cgroup.freeze", buf + 3);
		char v[8] = "";
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			fr = read(fd, v, sizeof v) > 0 && v[0] == '1';
			close(fd);
		}
	}
	fclose(f);
	return fr;
}

int nook_oci_state_read(const char *root, const char *id, struct nook_oci_state *st, struct nook_error *err)
{
	memset(st, 0, sizeof *st);
	if (!nook_oci_id_valid(id))
		return fail1(err, nook_errx(err, EINVAL, "invalid character in container ID '%s'", id));
	snprintf(st->id, sizeof st->id, "%s", id);
	snprintf(st->dir, sizeof st->dir, "%s/%s", root, id);
	char path[4200];
	snprintf(path, sizeof path, "%s/status", st->dir);
	struct stat sb;
	if (stat(st->dir, &sb) < 0) {
		nook_errx(err, ENOENT, "container '%s' does not exist", id);
		return fail1(err, -ENOENT);
	}
	json_object *o = json_object_from_file(path);
	if (!o) {
		/* create has made the directory but not yet the record */
		st->status = NOOK_OCI_CREATING;
		st->created = (long long)sb.st_mtime;
		return 0;
	}
	json_object *x;
	if (json_object_object_get_ex(o, "bundle", &x))
		snprintf(st->bundle, sizeof st->bundle, "%s", json_object_get_string(x));
	if (json_object_object_get_ex(o, "pid", &x))
		st->pid = (pid_t)json_object_get_int(x);
	if (json_object_object_get_ex(o, "pid_start", &x))
		st->pid_start = json_object_get_uint64(x);
	if (json_object_object_get_ex(o, "created", &x))
		st->created = json_object_get_int64(x);
	if (json_object_object_get_ex(o, "create_done", &x))
		st->created_done = json_object_get_boolean(x);
	if (json_object_object_get_ex(o, "creator", &x))
		st->creator = (pid_t)json_object_get_int(x);
	if (json_object_object_get_ex(o, "cgroup", &x))
		snprintf(st->cgroup, sizeof st->cgroup, "%s", json_object_get_string(x));
	if (json_object_object_get_ex(o, "annotations", &x))
		st->annotations_json = nook_strdup(json_object_to_json_string_ext(x, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	char fifo[4200];
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", st->dir);
	if (st->pid <= 0)
		st->status = NOOK_OCI_CREATING;
	else if (!proc_alive(st->pid, st->pid_start))
		st->status = NOOK_OCI_STOPPED;
	else if (!st->created_done)
		st->status = NOOK_OCI_CREATING;
	else if (access(fifo, F_OK) == 0)
		st->status = NOOK_OCI_CREATED;
	else
		st->status = (st->cgroup[0] ? nook_cgroup_frozen(st->cgroup) == 1 : frozen(st->pid)) ? NOOK_OCI_PAUSED
										: NOOK_OCI_RUNNING;
	return 0;
}

const char *nook_oci_status_name(enum nook_oci_status s)
{
	static const char *const n[] = { "creating", "created", "running", "stopped", "paused" };
	return s <= NOOK_OCI_PAUSED ? n[s] : "unknown";
}

char *nook_oci_state_json(const struct nook_oci_state *st, bool pretty)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "status", json_object_new_string(nook_oci_status_name(st->status)));
	/* creating: once the init exists, its pid too (the hooks and the
	 * seccomp agent of create find the container's namespaces by it) */
	bool live = st->status == NOOK_OCI_CREATED || st->status == NOOK_OCI_RUNNING || st->status == NOOK_OCI_PAUSED ||
		    (st->status == NOOK_OCI_CREATING && st->pid > 0);
	json_object_object_add(o, "pid", json_object_new_int(live ? st->pid : 0));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	if (st->cgroup[0])
		json_object_object_add(o, "cgroup", json_object_new_string(st->cgroup));
	json_object *a = st->annotations_json ? json_tokener_parse(st->annotations_json) : NULL;
	json_object_object_add(o, "annotations", a ? a : json_object_new_object());
	char created[64];
	time_t t = (time_t)st->created;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(o, "created", json_object_new_string(created));
	json_object_object_add(o, "owner", json_object_new_string(""));
	char *s = nook_strdup(json_object_to_json_string_ext(o, pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE
								    : JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

void nook_oci_state_remove(const struct nook_oci_state *st)
{
	static const char *const files[] = { "status", "status.tmp", "config.json", "exec.fifo", "seccomp.json", NULL };
	char p[4300];
	/* the container's cgroup leaf goes with its record (what is left in
	 * it is killed first) */
	if (st->cgroup[0]) {
		int r = nook_cgroup_remove(st->cgroup);
		if (r < 0)
			nook_warn("cannot remove the cgroup %s: %s", st->cgroup, strerror(-r));
	}
	for (size_t i = 0; files[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", st->dir, files[i]);
		unlink(p);
	}
	rmdir(st->dir);
}

void nook_oci_state_free(struct nook_oci_state *st)
{
	free(st->annotations_json);
	st->annotations_json = NULL;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nook_oci_state_ids(const char *root, char ***ids, struct nook_error *err)
{
	*ids = NULL;
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT) {
			*ids = nook_xmalloc(sizeof **ids);
			return 0;
		}
		return fail1(err, nook_err(err, errno, "cannot read %s", root));
	}
	char **v = nook_xmalloc(sizeof *v);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_type == DT_DIR)
			nook_strv_push(&v, de->d_name);
	closedir(d);
	qsort(v, nook_strv_len(v), sizeof *v, cmp);
	*ids = v;
	return 0;
}
