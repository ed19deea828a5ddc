/* SPDX-License-Identifier: GPL-2.0-or-later */
/* state.c - the per-user record of named, running containers (state.h).
 *
 * The monitor of `nook run --name NAME` holds an exclusive flock on
 * containers/NAME/lock while it lives; readers test it without waiting.
 * A lock nobody holds means the monitor is gone (killed): the entry is
 * stale, and whoever finds it (the next run, exec, ps) removes it. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "nook/cgroup.h"
#include "nook/cleanup.h"
#include "nook/profile.h"
#include "nook/state.h"
#include "nook/util.h"

struct nook_state {
	int root_fd;   /* containers/ */
	int dir_fd;    /* containers/NAME/ */
	int lock_fd;   /* containers/NAME/lock, flock()ed */
	char name[NOOK_NAME_MAX + 1];
};

static const char *const entry_files[] = { "state", "state.tmp", "spec.yaml", "spec.yaml.tmp", NULL };

bool nook_state_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > NOOK_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return false;
	}
	return true;
}

bool nook_proc_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char path[64], st = 0;
	int pp = 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *stat = nook_read_file(path, 4096, NULL);
	/* "pid (comm) state ppid ...": comm may hold spaces and ')' */
	const char *e = stat ? strrchr(stat, ')') : NULL;
	if (!e || sscanf(e + 1, " %c %d", &st, &pp) != 2)
		return false;
	if (state)
		*state = st;
	if (ppid)
		*ppid = (pid_t)pp;
	if (start)
		*start = nook_cgroup_parse_starttime(stat);
	return true;
}

unsigned long long nook_proc_starttime(pid_t pid)
{
	unsigned long long start = 0;
	return nook_proc_stat(pid, NULL, NULL, &start) ? start : 0;
}

/* A private directory of ours: owned by us, no group/other bits, no symlink. */
static int private_dir(const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		return -ENOTDIR;
	if (st->st_uid != getuid() || (st->st_mode & 077))
		return -EPERM;
	return 0;
}

/* Open (and with create, make) the directory name below dfd, checked. */
static int sub_dir(int dfd, const char *name, bool create, const char *shown, struct nook_error *err)
{
	if (create && mkdirat(dfd, name, 0700) < 0 && errno != EEXIST)
		return nook_err(err, errno, "cannot create the state directory %s", shown);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return -ENOENT;
		if (errno == ELOOP || errno == ENOTDIR)
			return nook_errx(err, errno, "the state directory %s is a symlink or not a directory; nook refuses it (remove it)", shown);
		return nook_err(err, errno, "cannot open the state directory %s", shown);
	}
	struct stat st;
	int r = fstat(fd, &st) < 0 ? -errno : private_dir(&st);
	if (r < 0) {
		close(fd);
		return nook_errx(err, -r, "the state directory %s is not a private directory of uid %u (owner %u, mode %04o); nook refuses it (remove it)",
				 shown, (unsigned)getuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
	return fd;
}

/* The directory nook's state goes below when XDG_RUNTIME_DIR is not a
 * private directory of ours: $XDG_STATE_HOME, else ~/.local/state (made
 * 0700 where missing, as the XDG base directory spec says). Unlike a fixed
 * name in /tmp, nobody else can create it first. It must be ours and
 * writable by nobody else. Fills buf with its path. */
static int state_home(bool create, char *buf, size_t size, struct nook_error *err)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	int fd;

	if (xdg && xdg[0] == '/') {
		snprintf(buf, size, "%s", xdg);
		if (create && mkdir(xdg, 0700) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot create the state directory %s (XDG_STATE_HOME) for named containers", xdg);
	} else if (home && home[0] == '/') {
		snprintf(buf, size, "%s/.local/state", home);
		_cleanup_close_ int hfd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (hfd < 0)
			return nook_err(err, errno, "cannot open the home directory %s for nook's state (set XDG_RUNTIME_DIR to a private directory)", home);
		if (create && mkdirat(hfd, ".local", 0700) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot create %s/.local for nook's state", home);
		_cleanup_close_ int lfd = openat(hfd, ".local", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (lfd < 0 && errno == ENOENT && !create)
			return -ENOENT;
		if (lfd < 0)
			return nook_err(err, errno, "cannot open %s/.local for nook's state", home);
		if (create && mkdirat(lfd, "state", 0700) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot create the state directory %s", buf);
	} else {
		return nook_errx(err, ENOENT, "nook keeps named containers below XDG_RUNTIME_DIR, XDG_STATE_HOME or HOME, and none is set to an absolute path");
	}
	fd = open(buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && !create)
		return -ENOENT;
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		return nook_errx(err, errno, "the state directory %s is a symlink or not a directory; nook refuses it", buf);
	if (fd < 0)
		return nook_err(err, errno, "cannot open the state directory %s", buf);
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_uid != getuid() || (st.st_mode & 022)) {
		close(fd);
		return nook_errx(err, EPERM, "the state directory %s is not owned by uid %u or is writable by others (owner %u, mode %04o); nook refuses it (fix it, or set XDG_RUNTIME_DIR to a private directory)",
				 buf, (unsigned)getuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	}
	return fd;
}

int nook_state_root(bool create, char *path, size_t size, struct nook_error *err)
{
	_cleanup_close_ int base = -1;
	char buf[4096];
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	int r;

	if (xdg && xdg[0] == '/') {
		/* usable only when it is a private directory of ours */
		base = open(xdg, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (base >= 0 && (fstat(base, &st) < 0 || private_dir(&st) < 0)) {
			close(base);
			base = -1;
		}
		size_t off = 0;
		if (base >= 0 && !nook_append(buf, sizeof buf - 16, &off, "%s/nook", xdg)) {
			close(base);
			base = -1; /* too long to name: use the state home below */
		}
	}
	if (base < 0) {
		base = state_home(create, buf, sizeof buf - 16, err);
		if (base < 0)
			return base;
		size_t off = strlen(buf);
		if (!nook_append(buf, sizeof buf - 10, &off, "/nook"))
			return nook_errx(err, ENAMETOOLONG, "the state directory %s is too long a path (set XDG_STATE_HOME to a shorter one)", buf);
	}
	_cleanup_close_ int nook = sub_dir(base, "nook", create, buf, err);
	if (nook < 0)
		return nook;
	size_t len = strlen(buf);
	snprintf(buf + len, sizeof buf - len, "/containers");
	r = sub_dir(nook, "containers", create, buf, err);
	if (r >= 0 && path)
		snprintf(path, size, "%s", buf);
	return r;
}

static void remove_entry(int root_fd, int dir_fd, const char *name)
{
	for (size_t i = 0; entry_files[i]; i++)
		unlinkat(dir_fd, entry_files[i], 0);
	unlinkat(dir_fd, "lock", 0);
	unlinkat(root_fd, name, AT_REMOVEDIR);
}

/* Is the open lock fd still the one linked at NAME/lock? */
static bool same_file(int fd, int dir_fd, const char *name)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && fstatat(dir_fd, name, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int read_entry(int dir_fd, struct nook_state_entry *e)
{
	char buf[8192];
	int fd = openat(dir_fd, "state", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *v = strchr(line, '=');
		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(line, "monitor_pid") == 0)
			e->monitor_pid = (pid_t)atoi(v);
		else if (strcmp(line, "monitor_start") == 0)
			e->monitor_start = strtoull(v, NULL, 10);
		else if (strcmp(line, "init_pid") == 0)
			e->init_pid = (pid_t)atoi(v);
		else if (strcmp(line, "init_start") == 0)
			e->init_start = strtoull(v, NULL, 10);
		else if (strcmp(line, "payload_pid") == 0)
			e->payload_pid = (pid_t)atoi(v);
		else if (strcmp(line, "payload_start") == 0)
			e->payload_start = strtoull(v, NULL, 10);
		else if (strcmp(line, "created") == 0)
			e->created = strtoll(v, NULL, 10);
		else if (strcmp(line, "command") == 0)
			snprintf(e->command, sizeof e->command, "%s", v);
		else if (strcmp(line, "cgroup") == 0)
			snprintf(e->cgroup, sizeof e->cgroup, "%s", v);
	}
	return e->init_pid > 0 && e->monitor_pid > 0 ? 0 : -EIO;
}

int nook_state_claim(const char *name, struct nook_state **out, struct nook_error *err)
{
	char root[4096];
	int r;

	*out = NULL;
	if (!nook_state_name_valid(name))
		return nook_errx(err, EINVAL, "'%s' is not a valid container name (letters, digits, '_', '.', '-', starting with a letter or digit, at most %d bytes)",
				 name, NOOK_NAME_MAX);
	_cleanup_close_ int root_fd = nook_state_root(true, root, sizeof root, err);
	if (root_fd < 0)
		return root_fd;
	for (int tries = 0; tries < 10; tries++) {
		if (mkdirat(root_fd, name, 0700) < 0 && errno != EEXIST)
			return nook_err(err, errno, "cannot create the state directory %s/%s", root, name);
		char shown[4200];
		snprintf(shown, sizeof shown, "%s/%s", root, name);
		_cleanup_close_ int dir_fd = sub_dir(root_fd, name, false, shown, err);
		if (dir_fd == -ENOENT)
			continue;  /* removed under us: try again */
		if (dir_fd < 0)
			return dir_fd;
		_cleanup_close_ int lock_fd = openat(dir_fd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (lock_fd < 0) {
			if (errno == ENOENT)
				continue;
			return nook_err(err, errno, "cannot create %s/lock", shown);
		}
		if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno != EWOULDBLOCK)
				return nook_err(err, errno, "cannot lock %s/lock", shown);
			struct nook_state_entry e = { 0 };
			if (read_entry(dir_fd, &e) == 0)
				return nook_errx(err, EEXIST, "a container named '%s' is already running (nook run pid %d); stop it with 'nook stop %s', or choose another --name",
						 name, (int)e.monitor_pid, name);
			return nook_errx(err, EEXIST, "a container named '%s' is already starting; choose another --name", name);
		}
		/* the lock must still be the linked one (a reader may have
		 * removed a stale entry between our open and flock) */
		if (!same_file(lock_fd, dir_fd, "lock") || !same_file(dir_fd, root_fd, name))
			continue;
		/* what a killed monitor left behind */
		for (size_t i = 0; entry_files[i]; i++)
			unlinkat(dir_fd, entry_files[i], 0);
		struct nook_state *st = nook_xmalloc(sizeof *st);
		st->root_fd = TAKE_FD(root_fd);
		st->dir_fd = TAKE_FD(dir_fd);
		st->lock_fd = TAKE_FD(lock_fd);
		snprintf(st->name, sizeof st->name, "%s", name);
		*out = st;
		return 0;
	}
	r = nook_errx(err, EAGAIN, "cannot claim the container name '%s': its state directory %s/%s keeps changing", name, root, name);
	return r;
}

int nook_state_lock_fd(const struct nook_state *st)
{
	return st ? st->lock_fd : -1;
}

/* Write name atomically (name.tmp, then rename). */
static int write_atomic(int dir_fd, const char *name, const char *data, size_t len)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int r = nook_write_all(fd, data, len);
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dir_fd, tmp, 0);
	return r;
}

int nook_state_publish(struct nook_state *st, pid_t init_pid, pid_t payload_pid, const struct nook_spec *s,
		       const char *cgroup, struct nook_error *err)
{
	char *yaml = NULL;
	size_t ylen = 0;
	int r;

	FILE *f = open_memstream(&yaml, &ylen);
	if (!f)
		return nook_err(err, errno, "open_memstream");
	r = nook_spec_emit_yaml(s, f, err);
	fclose(f);
	if (r == 0 && (r = write_atomic(st->dir_fd, "spec.yaml", yaml, ylen)) < 0)
		nook_err(err, -r, "cannot record the spec of container '%s'", st->name);
	free(yaml);
	if (r < 0)
		return r;

	char cmd[256] = "";
	size_t off = 0;
	for (size_t i = 0; s->argv && s->argv[i]; i++)
		nook_append(cmd, sizeof cmd, &off, "%s%s", i ? " " : "", s->argv[i]);
	for (char *p = cmd; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = '?';
	char buf[8192];
	int n = snprintf(buf, sizeof buf,
			 "monitor_pid=%d\nmonitor_start=%llu\ninit_pid=%d\ninit_start=%llu\npayload_pid=%d\npayload_start=%llu\ncreated=%lld\ncommand=%s\ncgroup=%s\n",
			 (int)getpid(), nook_proc_starttime(getpid()), (int)init_pid,
			 nook_proc_starttime(init_pid), (int)payload_pid,
			 payload_pid > 0 ? nook_proc_starttime(payload_pid) : 0ULL, (long long)time(NULL), cmd, cgroup ? cgroup : "");
	if ((r = write_atomic(st->dir_fd, "state", buf, (size_t)n)) < 0)
		return nook_err(err, -r, "cannot record the state of container '%s'", st->name);
	return 0;
}

void nook_state_release(struct nook_state *st)
{
	if (!st)
		return;
	remove_entry(st->root_fd, st->dir_fd, st->name);
	close(st->lock_fd);
	close(st->dir_fd);
	close(st->root_fd);
	free(st);
}

/* 0 and e filled for a running container; -ENOENT none or stale (removed);
 * -EAGAIN starting. No message. */
static int lookup_at(int root_fd, const char *root, const char *name, struct nook_state_entry *e)
{
	struct nook_error ignored = { 0 };
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	snprintf(e->dir, sizeof e->dir, "%s/%s", root, name);
	_cleanup_close_ int dir_fd = sub_dir(root_fd, name, false, e->dir, &ignored);
	if (dir_fd < 0)
		return -ENOENT;
	_cleanup_close_ int lock_fd = openat(dir_fd, "lock", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (lock_fd < 0)
		return -ENOENT;
	if (flock(lock_fd, LOCK_EX | LOCK_NB) == 0) {
		/* nobody holds it: the monitor is gone */
		if (same_file(lock_fd, dir_fd, "lock"))
			remove_entry(root_fd, dir_fd, name);
		return -ENOENT;
	}
	if (read_entry(dir_fd, e) < 0)
		return -EAGAIN;
	e->running = true;
	return 0;
}

int nook_state_lookup(const char *name, struct nook_state_entry *e, struct nook_error *err)
{
	char root[4096];
	if (!nook_state_name_valid(name))
		return nook_errx(err, EINVAL, "'%s' is not a valid container name (see nook ps for the running ones)", name);
	_cleanup_close_ int root_fd = nook_state_root(false, root, sizeof root, err);
	int r = root_fd < 0 ? root_fd : lookup_at(root_fd, root, name, e);
	if (r == -ENOENT)
		return nook_errx(err, ENOENT, "no container named '%s' is running (start one with: nook run --name %s ...; nook ps lists the running ones)",
				 name, name);
	if (r == -EAGAIN)
		return nook_errx(err, EAGAIN, "container '%s' is still starting; try again in a moment", name);
	return r;
}

int nook_state_list(struct nook_state_entry **out, size_t *n_out, struct nook_error *err)
{
	char root[4096];
	*out = NULL;
	*n_out = 0;
	int root_fd = nook_state_root(false, root, sizeof root, err);
	if (root_fd == -ENOENT)
		return 0;
	if (root_fd < 0)
		return root_fd;
	int dup_fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		int e = errno;
		if (dup_fd >= 0)
			close(dup_fd);
		close(root_fd);
		return nook_err(err, e, "cannot list %s", root);
	}
	struct nook_state_entry *v = NULL;
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d)); ) {
		if (!nook_state_name_valid(de->d_name))
			continue;
		struct nook_state_entry e;
		if (lookup_at(root_fd, root, de->d_name, &e) < 0)
			continue;
		v = nook_xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = e;
	}
	closedir(d);
	close(root_fd);
	*out = v;
	*n_out = n;
	return 0;
}

static int open_checked(pid_t pid, unsigned long long start)
{
	if (pid <= 0)
		return -ESRCH;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -ESRCH;
	/* the pid may have been reused: the start time says whether this is
	 * still the container's process (checked after the pidfd pins it) */
	if (nook_proc_starttime(pid) != start) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

int nook_state_open_init(const struct nook_state_entry *e)
{
	return open_checked(e->init_pid, e->init_start);
}

int nook_state_open_payload(const struct nook_state_entry *e)
{
	return open_checked(e->payload_pid, e->payload_start);
}

pid_t nook_pidfd_pid(int pidfd)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
	_cleanup_free_ char *buf = nook_read_file(path, 4096, NULL);
	char *p = buf ? strstr(buf, "\nPid:") : NULL;
	long v = p ? strtol(p + 5, NULL, 10) : 0;
	return v > 0 ? (pid_t)v : 0;
}
