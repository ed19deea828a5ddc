/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuseovl.c - an overlay root served by fuse-overlayfs.
 *
 * Used for rootfs.overlay.driver 'fuse', and for 'auto' when the kernel
 * refuses the overlay mount (kernels before 5.11 have no overlayfs in user
 * namespaces; an upper directory on overlayfs, NFS and the like cannot be
 * an upper layer of the kernel's overlayfs).
 *
 * Who does what:
 *
 *   child   (in its new user and mount namespaces, while it builds the root)
 *           opens /dev/fuse and mounts an empty FUSE filesystem on the
 *           staging new root itself: "fd=N,rootmode=40000,user_id=0,
 *           group_id=0,allow_other,default_permissions". The kernel wants the
 *           /dev/fuse file opened in the user namespace that mounts, and only
 *           the child can mount in its mount namespace. It passes the fd to
 *           the parent over the sync socket (NOOK_MSG_FUSE), closes its own
 *           copy and goes on: its first access to the new root waits until
 *           the daemon has answered FUSE_INIT.
 *   parent  forks a helper that joins the child's user namespace
 *           (setns on the child's pidfd) and execs
 *             fuse-overlayfs -f -o lowerdir=...,upperdir=...,workdir=... /dev/fd/3
 *           with the passed fd as fd 3. libfuse (>= 3.3) takes a mount
 *           point of /dev/fd/N as "already mounted, serve this fd", which
 *           Debian 12's fuse-overlayfs 1.10 on libfuse 3.14 honours.
 *
 * Why the daemon joins the user namespace: it is root there, so the files
 * it creates in the upper directory get the owners the payload asked for
 * (uid 1000 inside is the subordinate uid 1000 maps to on the host), just
 * as with rootless podman, and the kernel checks permissions against the
 * container's ids (default_permissions). It does not join the container's
 * pid namespace (the payload can neither see nor signal it: it is nook's
 * child outside) nor its network namespace.
 *
 * Why the daemon stays in the host's mount namespace (a slave copy of it,
 * see below) rather than joining the container's: the layer paths are
 * the user's host paths and mean there exactly what the user meant; the
 * container's mount namespace is under the control of the container's root
 * (a payload with CAP_SYS_ADMIN could mount over the paths the daemon
 * resolves), it loses the host's tree at pivot_root, and its /proc belongs
 * to a pid namespace the daemon is not in (fuse-overlayfs uses
 * /proc/self/fd). Nothing the container does can change what the daemon
 * sees.
 *
 * The helper always unshares a mount namespace (owned by the container's
 * user namespace, a slave copy of the host's), so whatever the daemon
 * mounts or unmounts stays its own. Without an upper directory (writes are
 * discarded), it mounts a tmpfs there on an existing directory that holds
 * no lower layer (/mnt, /media, ...): the upper layer lives in memory, is
 * seen by nobody else, and vanishes with the daemon, like the kernel
 * driver's tmpfs upper. No file is ever created on the host.
 *
 * The daemon parses what the container writes into its filesystem, so it
 * runs confined (security/confine.c says what and why): no_new_privs, a
 * Landlock domain that opens only the layers (lower read-only, upper and
 * work read-write), its program and libraries, /dev/null and three
 * /proc/sys values, and the container's default seccomp allow-list. It keeps its
 * capabilities in the container's user namespace: it needs them to give
 * files the container's owners. FUSE is mounted by the child with the
 * /dev/fuse fd, so the setuid fusermount3 (which no_new_privs would
 * disarm) is never needed.
 *
 * Lifetime: the daemon is nook's child with a parent-death signal (SIGKILL)
 * and its own session; its stderr goes to a memfd that is read back when
 * it fails. When the container's mount namespace goes, the kernel aborts
 * the FUSE connection and the daemon exits by itself; nook_fuseovl_stop()
 * waits a moment for that, then sends SIGTERM, then SIGKILL, and reaps it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/fuseovl.h"
#include "nook/security.h"
#include "nook/util.h"

#define STOP_GRACE_MS 1000
#define DAEMON_FD 3
#define HELPER_FAILED 125   /* the helper's exit status when it fails before the exec */

struct nook_fuseovl {
	char *prog;            /* fuse-overlayfs, from PATH */
	char *scratch;         /* no upper: where the daemon's private tmpfs goes */
	char unusable[512];    /* driver auto: why it cannot be the fallback, "" if it can */
	pid_t pid;             /* the daemon, our child; 0 when not running */
	int pidfd;
	int log_fd;            /* memfd with the daemon's stderr */
	int status;            /* wait status once reaped */
	char layers[256];      /* "upper U, work W", for messages */
	bool reaped;
};

/* Directories the no-upper tmpfs may cover in the daemon's private mount
 * namespace: they exist on a usual system and rarely hold a root image. */
static const char *const scratch_candidates[] = {
	"/mnt", "/media", "/srv", "/opt", "/var/tmp", "/tmp", "/run", NULL,
};

/* A directory that is really there (no symlink) and holds none of the
 * layers (compared by their real paths). */
static char *pick_scratch(char *const *lower)
{
	for (size_t i = 0; scratch_candidates[i]; i++) {
		const char *c = scratch_candidates[i];
		struct stat st;
		if (lstat(c, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		bool clash = false;
		for (size_t k = 0; lower && lower[k] && !clash; k++) {
			_cleanup_free_ char *real = realpath(lower[k], NULL);
			clash = nook_path_contains(c, real ? real : lower[k]);
		}
		if (!clash)
			return nook_strdup(c);
	}
	return NULL;
}

static int check_layer_path(const char *what, const char *p, struct nook_error *err)
{
	/* fuse-overlayfs splits lowerdir at ':', libfuse splits options at ',' */
	const char *bad = strpbrk(p, ":,\\");
	if (bad)
		return nook_errx(err, EINVAL, "the overlay %s %s contains '%c', which fuse-overlayfs cannot take in a path "
				 "(rename it or use a symlink without it)", what, p, *bad);
	return 0;
}

/* Everything fuse-overlayfs needs that can be checked before the clone. */
static int check_usable(const struct nook_spec *s, struct nook_fuseovl *f, struct nook_error *err)
{
	const struct nook_rootfs *rf = &s->rootfs;
	f->prog = nook_find_program("fuse-overlayfs", getenv("PATH"));
	if (!f->prog)
		return nook_errx(err, ENOENT, "fuse-overlayfs is not installed (not found in PATH; install it with: "
				 "apt-get install fuse-overlayfs)");
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			return nook_errx(err, e, "/dev/fuse does not exist (load the fuse module as root with 'modprobe fuse', "
					 "or create the device: mknod -m 0666 /dev/fuse c 10 229)");
		if (e == EACCES || e == EPERM)
			return nook_errx(err, e, "cannot open /dev/fuse: %s (let users open it, as distributions ship it: "
					 "chmod 0666 /dev/fuse; contrib/setup-host.sh does that)", strerror(e));
		return nook_errx(err, e, "cannot open /dev/fuse: %s (is the fuse module loaded? modprobe fuse)", strerror(e));
	}
	close(fd);
	int r;
	for (size_t i = 0; rf->lower && rf->lower[i]; i++)
		if ((r = check_layer_path("lower layer", rf->lower[i], err)) < 0)
			return r;
	if (rf->upper && (r = check_layer_path("upper directory", rf->upper, err)) < 0)
		return r;
	if (rf->work && (r = check_layer_path("work directory", rf->work, err)) < 0)
		return r;
	if (!rf->upper) {
		f->scratch = pick_scratch(rf->lower);
		if (!f->scratch)
			return nook_errx(err, ENOENT, "fuse-overlayfs needs an upper directory: set rootfs.overlay.upper "
					 "(no directory such as /mnt is free of lower layers for a private tmpfs)");
	}
	return 0;
}

int nook_fuseovl_prepare(const struct nook_spec *s, struct nook_fuseovl **out, struct nook_error *err)
{
	*out = NULL;
	if (s->rootfs.kind != NOOK_ROOTFS_OVERLAY)
		return 0;
	const char *drv = s->rootfs.overlay_driver;
	if (drv && strcmp(drv, "kernel") == 0)
		return 0;
	bool required = drv && strcmp(drv, "fuse") == 0;

	struct nook_fuseovl *f = nook_xmalloc(sizeof *f);
	f->pidfd = f->log_fd = -1;
	struct nook_error why = { 0 };
	int r = check_usable(s, f, &why);
	if (r < 0 && required) {
		nook_errx(err, -r, "overlay driver 'fuse': %s", why.msg);
		nook_fuseovl_stop(f);
		return r;
	}
	if (r < 0)
		snprintf(f->unusable, sizeof f->unusable, "%s", why.msg);
	*out = f;
	return 0;
}

const char *nook_fuseovl_unusable(const struct nook_fuseovl *f)
{
	if (!f)
		return "the overlay driver is 'kernel'";
	return f->unusable[0] ? f->unusable : NULL;
}

/* ---------------------------------------------------------------- the daemon */


/* In the forked helper: say what failed on stderr (the log) and exit. */
__attribute__((noreturn, format(printf, 1, 2)))
static void helper_die(const char *fmt, ...)
{
	char buf[512];
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dprintf(2, "%s: %s\n", buf, strerror(e));
	_exit(HELPER_FAILED);
}

struct helper_args {
	int userns_pidfd, fuse_fd, log_fd, devnull;
	pid_t parent;
	const char *scratch;   /* no upper: mount a tmpfs here */
	const char *mkwork;    /* create this work directory if missing */
	char *upper_dir, *work_dir;
	const struct nook_confine *confine;
	const struct nook_ll_path *paths;  /* the daemon's Landlock rules */
	size_t n_paths;
};

/* What the daemon may open besides its layers: its program and libraries
 * (executed and loaded after the Landlock domain is in force), /dev/null
 * (libfuse opens it) and the /proc/sys values fuse-overlayfs reads. */
static const struct nook_ll_path daemon_paths[] = {
	{ "/usr", 'x' }, { "/lib", 'x' }, { "/lib64", 'x' }, { "/etc/ld.so.cache", 'r' },
	{ "/dev/null", 'w' },
	{ "/proc/sys/kernel/overflowuid", 'r' }, { "/proc/sys/kernel/overflowgid", 'r' },
	{ "/proc/sys/fs/pipe-max-size", 'r' },
};
#define N_DAEMON_PATHS (sizeof daemon_paths / sizeof daemon_paths[0])

__attribute__((noreturn))
static void helper(const struct helper_args *a, const char *prog, char *const argv[])
{
	/* the daemon dies with nook, even if nook is SIGKILLed; no terminal
	 * signals: Ctrl-C stops the container, which stops us */
	if (nook_helper_child_setup(a->parent) < 0)
		_exit(127);
	if (dup2(a->devnull, 0) < 0 || dup2(a->devnull, 1) < 0 || dup2(a->log_fd, 2) < 0)
		_exit(127);
	if (setns(a->userns_pidfd, CLONE_NEWUSER) < 0)
		helper_die("cannot join the container's user namespace");
	if (unshare(CLONE_NEWNS) < 0)
		helper_die("cannot create a mount namespace for fuse-overlayfs");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		helper_die("cannot make the mount namespace of fuse-overlayfs a slave");
	if (a->scratch) {
		if (mount("nook-upper", a->scratch, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
			helper_die("cannot mount a tmpfs on %s for the overlay's upper layer", a->scratch);
		if (mkdir(a->upper_dir, 0755) < 0 || mkdir(a->work_dir, 0700) < 0)
			helper_die("cannot create the overlay's upper and work directories in the tmpfs");
	} else if (a->mkwork && mkdir(a->mkwork, 0700) < 0 && errno != EEXIST) {
		helper_die("cannot create the overlay's work directory %s", a->mkwork);
	}
	if (chdir("/") < 0)
		helper_die("chdir /");
	if (a->fuse_fd != DAEMON_FD) {
		if (dup2(a->fuse_fd, DAEMON_FD) < 0)
			helper_die("dup2");
	} else if (fcntl(DAEMON_FD, F_SETFD, 0) < 0) {
		helper_die("fcntl");
	}
	/* nothing of nook's leaks in, even an fd opened without O_CLOEXEC */
	if (syscall(SYS_close_range, DAEMON_FD + 1, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		helper_die("cannot mark nook's file descriptors close-on-exec (close_range)");
	struct nook_error cerr = { 0 };
	if (nook_confine_apply(a->confine, a->paths, a->n_paths, &cerr) < 0) {
		dprintf(2, "cannot confine fuse-overlayfs: %s\n", cerr.msg);
		_exit(HELPER_FAILED);
	}
	execv(prog, argv);
	helper_die("cannot execute %s", prog);
}

int nook_fuseovl_start(struct nook_fuseovl *f, const struct nook_spec *s, int userns_pidfd, int fuse_fd,
		       int kernel_errno, struct nook_error *err)
{
	const struct nook_rootfs *rf = &s->rootfs;
	_cleanup_free_ char *upper = NULL, *work = NULL;
	_cleanup_close_ int devnull = -1;
	struct helper_args a = { .userns_pidfd = userns_pidfd, .fuse_fd = fuse_fd, .parent = getpid() };

	if (f->pid > 0)
		return nook_errx(err, EBUSY, "fuse-overlayfs is already running");
	if (rf->upper) {
		upper = nook_strdup(rf->upper);
		work = rf->work ? nook_strdup(rf->work) : nook_asprintf("%s.work", rf->upper);
		if (!rf->work)
			a.mkwork = work;
	} else {
		upper = nook_path_join(f->scratch, "upper");
		work = nook_path_join(f->scratch, "work");
		a.scratch = f->scratch;
	}
	a.upper_dir = upper;
	a.work_dir = work;
	if (rf->upper)
		snprintf(f->layers, sizeof f->layers, "upper %s, work %s", upper, work);
	else
		snprintf(f->layers, sizeof f->layers, "upper in a private tmpfs");

	char opts[8192];
	size_t off = 0;
	bool ok = nook_append(opts, sizeof opts, &off, "lowerdir=");
	for (size_t i = 0; ok && rf->lower && rf->lower[i]; i++)
		ok = nook_append(opts, sizeof opts, &off, "%s%s", i ? ":" : "", rf->lower[i]);
	ok = ok && nook_append(opts, sizeof opts, &off, ",upperdir=%s,workdir=%s", upper, work);
	if (!ok)
		return nook_errx(err, ENAMETOOLONG, "the overlay's layer paths are too long together (at most %zu bytes)",
				 sizeof opts);
	char fdpath[32];
	snprintf(fdpath, sizeof fdpath, "/dev/fd/%d", DAEMON_FD);
	char *const argv[] = { (char *)"fuse-overlayfs", (char *)"-f", (char *)"-o", opts, fdpath, NULL };

	/* the daemon's sandbox: its seccomp filter, and what it may open */
	_cleanup_(nook_confine_freep) struct nook_confine *conf = NULL;
	int r = nook_confine_prepare(NOOK_CONFINE_DAEMON, &conf, err);
	if (r < 0)
		return nook_err_prefix(err, "fuse-overlayfs"), r;
	size_t n_lower = nook_strv_len(rf->lower);
	_cleanup_free_ struct nook_ll_path *paths = nook_xmalloc((n_lower + 3 + N_DAEMON_PATHS) * sizeof *paths);
	size_t np = 0;
	for (size_t i = 0; i < n_lower; i++)
		paths[np++] = (struct nook_ll_path){ rf->lower[i], 'r' };
	paths[np++] = (struct nook_ll_path){ upper, 'w' };
	paths[np++] = (struct nook_ll_path){ work, 'w' };
	paths[np++] = (struct nook_ll_path){ f->prog, 'x' };
	for (size_t i = 0; i < N_DAEMON_PATHS; i++)
		paths[np++] = daemon_paths[i];
	a.confine = conf;
	a.paths = paths;
	a.n_paths = np;

	if (f->log_fd < 0) {
		f->log_fd = memfd_create("fuse-overlayfs-log", MFD_CLOEXEC);
		if (f->log_fd < 0)
			return nook_err(err, errno, "cannot create a log for fuse-overlayfs");
	}
	a.log_fd = f->log_fd;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return nook_err(err, errno, "cannot open /dev/null");
	a.devnull = devnull;
	/* the helper rearranges fds 0-3: keep ours out of its way */
	int fds[3] = { a.log_fd, a.devnull, a.fuse_fd };
	int moved[3] = { -1, -1, -1 };
	for (int i = 0; i < 3; i++) {
		if (fds[i] <= DAEMON_FD) {
			moved[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, DAEMON_FD + 1);
			if (moved[i] < 0)
				return nook_err(err, errno, "fcntl(F_DUPFD)");
		}
	}
	if (moved[0] >= 0)
		a.log_fd = moved[0];
	if (moved[1] >= 0)
		a.devnull = moved[1];
	if (moved[2] >= 0)
		a.fuse_fd = moved[2];

	if (nook_verbose_level > 0)
		nook_verbose("overlay driver: fuse-overlayfs, because %s%s%s; starting %s -f -o %s %s",
			     kernel_errno ? "the kernel refused the overlay mount (" : "the profile asks for driver 'fuse'",
			     kernel_errno ? strerror(kernel_errno) : "", kernel_errno ? ")" : "", f->prog, opts, fdpath);

	pid_t pid = fork();
	if (pid == 0)
		helper(&a, f->prog, argv);
	int e = errno;
	for (int i = 0; i < 3; i++)
		if (moved[i] >= 0)
			close(moved[i]);
	if (pid < 0)
		return nook_err(err, e, "cannot fork to start fuse-overlayfs");

	f->pid = pid;
	f->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	nook_verbose("fuse-overlayfs is serving the root (pid %d)", (int)pid);
	return 0;
}

/* Reap the daemon if it has exited; true when it is gone. */
static bool reap(struct nook_fuseovl *f)
{
	if (f->pid <= 0 || f->reaped)
		return true;
	int st;
	pid_t r = waitpid(f->pid, &st, WNOHANG);
	if (r == f->pid) {
		f->status = st;
		f->reaped = true;
		return true;
	}
	if (r < 0 && errno == ECHILD) {
		f->reaped = true;
		return true;
	}
	return false;
}

static bool wait_exit(struct nook_fuseovl *f, int ms)
{
	uint64_t deadline = nook_now_ns() + (uint64_t)ms * 1000000u;
	while (!reap(f)) {
		uint64_t now = nook_now_ns();
		if (now >= deadline)
			return false;
		int left = (int)((deadline - now) / 1000000u) + 1;
		if (f->pidfd >= 0) {
			struct pollfd p = { .fd = f->pidfd, .events = POLLIN };
			(void)poll(&p, 1, left);
		} else {
			usleep(5000);
		}
	}
	return true;
}

/* The last lines of the daemon's stderr, joined by "; ", without the
 * notes fuse-overlayfs prints on every start. */
static void log_tail(int fd, char *buf, size_t size)
{
	char log[2048];
	buf[0] = '\0';
	size_t got = nook_read_tail(fd, log, sizeof log);
	if (!got)
		return;
	char *p = log + got;
	for (int lines = 0; p > log && lines < 3; )
		if (*--p == '\n')
			lines++;
	if (*p == '\n')
		p++;
	size_t off = 0;
	for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "unknown argument ignored", 24) == 0)
			continue;
		if (off && off + 3 < size) {
			buf[off++] = ';';
			buf[off++] = ' ';
		}
		for (; *line && off + 1 < size; line++)
			if ((unsigned char)*line >= 0x20)
				buf[off++] = *line;
	}
	buf[off] = '\0';
}

bool nook_fuseovl_failed(struct nook_fuseovl *f, int wait_ms, struct nook_error *err)
{
	if (!f || f->pid <= 0)
		return false;
	if (!wait_exit(f, wait_ms) || !f->reaped)
		return false;
	char how[96], tail[700];
	int st = f->status;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return false;
	if (WIFEXITED(st))
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(how, sizeof how, "was killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(how, sizeof how, "failed");
	log_tail(f->log_fd, tail, sizeof tail);
	if (WIFEXITED(st) && WEXITSTATUS(st) == HELPER_FAILED && tail[0])
		nook_errx(err, EIO, "cannot start fuse-overlayfs for the overlay root: %s", tail);
	else
		nook_errx(err, EIO, "fuse-overlayfs %s before it served the overlay root (%s)%s%s", how, f->layers,
			  tail[0] ? ": " : "", tail);
	err->exit_status = NOOK_EXIT_FAILURE;
	return true;
}

void nook_fuseovl_stop(struct nook_fuseovl *f)
{
	if (!f)
		return;
	int saved = errno;
	if (f->pid > 0 && !f->reaped) {
		/* the container's mount namespace is gone: the kernel aborted the
		 * FUSE connection and the daemon is on its way out */
		if (!wait_exit(f, STOP_GRACE_MS)) {
			kill(f->pid, SIGTERM);
			if (!wait_exit(f, STOP_GRACE_MS)) {
				nook_kill_reap(f->pid);
				f->reaped = true;
			}
		}
	}
	if (f->pidfd >= 0)
		close(f->pidfd);
	if (f->log_fd >= 0)
		close(f->log_fd);
	free(f->prog);
	free(f->scratch);
	free(f);
	errno = saved;
}

/* ---------------------------------------------------------------- child side */

int nook_fuseovl_mount(const char *dev, const char *target, int *fd_out, struct nook_error *err)
{
	*fd_out = -1;
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return nook_err(err, errno, "cannot open /dev/fuse in the container's user namespace");
	char opts[128];
	snprintf(opts, sizeof opts, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fd);
	if (mount("fuse-overlayfs", target, "fuse.fuse-overlayfs", MS_NOSUID | MS_NODEV, opts) < 0) {
		int e = errno;
		close(fd);
		return nook_err(err, e, "cannot mount a FUSE filesystem for fuse-overlayfs (FUSE in a user namespace "
				"needs Linux 4.18 or later)");
	}
	*fd_out = fd;
	return 0;
}
