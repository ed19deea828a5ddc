/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.c - `nook check`: one probe per thing nook may need from the host,
 * each filling a struct nook_check_item with what it found and the fix.
 * The probes read /proc and /sys, look programs up, open device nodes and
 * try namespaces and mounts in a child process that exits: nothing on the
 * host changes. Which items are needed comes from the default profile. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "nook/cgroup.h"
#include "nook/check.h"
#include "nook/twin.h"
#include "nook/cleanup.h"
#include "nook/idmap.h"
#include "nook/profile.h"
#include "nook/security.h"
#include "nook/spec.h"
#include "nook/util.h"

extern char **environ;

#ifndef NOOK_DATADIR
#define NOOK_DATADIR "/usr/local/share/nook"
#endif

/* ---------------------------------------------------------------- helpers */

static struct nook_check_item *add(struct nook_check_report *r, const char *id, const char *title)
{
	r->items = nook_xrealloc(r->items, (r->n + 1) * sizeof *r->items);
	struct nook_check_item *it = &r->items[r->n++];
	memset(it, 0, sizeof *it);
	snprintf(it->id, sizeof it->id, "%s", id);
	snprintf(it->title, sizeof it->title, "%s", title);
	return it;
}

__attribute__((format(printf, 3, 4)))
static void put(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len >= size - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}
#define DETAIL(it, ...) put((it)->detail, sizeof (it)->detail, __VA_ARGS__)
#define FIX(it, ...) put((it)->fix, sizeof (it)->fix, __VA_ARGS__)

/* An integer sysctl under /proc/sys, or -1 when the file is not there. */
static long sysctl_long(const char *path)
{
	_cleanup_free_ char *s = nook_read_file(path, 64, NULL);
	return s ? strtol(s, NULL, 10) : -1;
}

/* The first line of `prog ARG` (stdout and stderr), or "" */
static void first_line(const char *prog, const char *arg, char *out, size_t size, char *all, size_t allsize)
{
	int p[2];
	pid_t pid;
	out[0] = 0;
	if (all)
		all[0] = 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	char *argv[] = { (char *)prog, (char *)arg, NULL };
	int r = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return;
	}
	char buf[8192];
	size_t off = 0;
	for (;;) {
		ssize_t got = read(p[0], buf + off, sizeof buf - 1 - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		off += (size_t)got;
		if (off == sizeof buf - 1)
			break;
	}
	buf[off] = 0;
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (all)
		snprintf(all, allsize, "%s", buf);
	/* the line naming the program (fuse-overlayfs prints fusermount's first) */
	const char *base = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
	char *line = strstr(buf, base);
	if (line) {
		while (line > buf && line[-1] != '\n')
			line--;
	} else {
		line = buf;
	}
	line[strcspn(line, "\n")] = 0;
	snprintf(out, size, "%s", line);
}

/* ---------------------------------------------------------------- namespaces */

enum { STEP_USERNS = 1, STEP_SETGROUPS, STEP_UIDMAP, STEP_GIDMAP, STEP_MOUNTNS, STEP_MOUNT, STEP_OVERLAY };

static const char *step_name(int step)
{
	switch (step) {
	case STEP_USERNS: return "unshare(CLONE_NEWUSER)";
	case STEP_SETGROUPS: return "writing /proc/self/setgroups";
	case STEP_UIDMAP: return "writing /proc/self/uid_map";
	case STEP_GIDMAP: return "writing /proc/self/gid_map";
	case STEP_MOUNTNS: return "unshare(CLONE_NEWNS)";
	case STEP_MOUNT: return "mounting a tmpfs";
	case STEP_OVERLAY: return "mounting an overlay";
	default: return "the probe";
	}
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* In a child: a user namespace mapping us to 0, a mount namespace, a tmpfs
 * mount and (with overlay_dir) an overlay of overlay_dir/{l,u,w} on
 * overlay_dir/m. Returns 0, or the step that failed and *errno_out. */
static int try_namespaces(const char *overlay_dir, int *errno_out)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return *errno_out = errno, STEP_USERNS;
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return *errno_out = errno, STEP_USERNS;
	}
	if (pid == 0) {
		int step = 0;
		char map[64];
		close(p[0]);
		if (unshare(CLONE_NEWUSER) < 0)
			step = STEP_USERNS;
		else if (write_str("/proc/self/setgroups", "deny") < 0 && errno != ENOENT)
			step = STEP_SETGROUPS;
		else if (snprintf(map, sizeof map, "0 %u 1\n", (unsigned)uid), write_str("/proc/self/uid_map", map) < 0)
			step = STEP_UIDMAP;
		else if (snprintf(map, sizeof map, "0 %u 1\n", (unsigned)gid), write_str("/proc/self/gid_map", map) < 0)
			step = STEP_GIDMAP;
		else if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			step = STEP_MOUNTNS;
		else if (!overlay_dir && mount("nook-check", "/tmp", "tmpfs", 0, "size=64k") < 0 && errno != ENOENT)
			step = STEP_MOUNT;
		else if (overlay_dir) {
			char opts[3 * 4096];
			char target[4096];
			snprintf(opts, sizeof opts, "lowerdir=%s/l,upperdir=%s/u,workdir=%s/w", overlay_dir,
				 overlay_dir, overlay_dir);
			snprintf(target, sizeof target, "%s/m", overlay_dir);
			if (mount("overlay", target, "overlay", 0, opts) < 0)
				step = STEP_OVERLAY;
		}
		int e = step ? errno : 0;
		char msg[2] = { (char)step, (char)e };
		if (write(p[1], msg, 2) != 2)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	char msg[2] = { STEP_USERNS, 0 };
	ssize_t got;
	while ((got = read(p[0], msg, 2)) < 0 && errno == EINTR)
		;
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (got != 2)
		return *errno_out = EIO, STEP_USERNS;
	*errno_out = (unsigned char)msg[1];
	return (unsigned char)msg[0];
}

static void check_userns(struct nook_check_report *r, const char *self)
{
	struct nook_check_item *it = add(r, "userns", "unprivileged user namespaces");
	long clone = sysctl_long("/proc/sys/kernel/unprivileged_userns_clone");
	long max = sysctl_long("/proc/sys/user/max_user_namespaces");
	long aa = sysctl_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
	int e = 0;
	int step = try_namespaces(NULL, &e);
	it->ok = step == 0;
	if (it->ok)
		DETAIL(it, "a user namespace with a mount namespace works");
	else
		DETAIL(it, "%s failed: %s", step_name(step), strerror(e));
	if (clone >= 0)
		DETAIL(it, "; kernel.unprivileged_userns_clone=%ld", clone);
	if (max >= 0)
		DETAIL(it, "; user.max_user_namespaces=%ld", max);
	if (aa >= 0)
		DETAIL(it, "; kernel.apparmor_restrict_unprivileged_userns=%ld", aa);
	if (it->ok)
		return;
	if (clone == 0)
		FIX(it, "as root: sysctl -w kernel.unprivileged_userns_clone=1, and put "
			"'kernel.unprivileged_userns_clone = 1' in /etc/sysctl.d/90-nook.conf. ");
	if (max == 0)
		FIX(it, "as root: sysctl -w user.max_user_namespaces=15000, and put "
			"'user.max_user_namespaces = 15000' in /etc/sysctl.d/90-nook.conf. ");
	if (aa > 0) {
		/* the profile names nook and its twin (twin.h), which runs
		 * this check for a static nook: then self is the twin */
		char nook[4096], twin[4096];
		const char *base = self ? strrchr(self, '/') : NULL;
		if (base && strcmp(base + 1, "nook-dyn") == 0) {
			snprintf(twin, sizeof twin, "%s", self);
			snprintf(nook, sizeof nook, "%.*s/nook", (int)(base - self), self);
			if (access(nook, X_OK) < 0)
				snprintf(nook, sizeof nook, "%s/nook", NOOK_BINDIR);
		} else {
			snprintf(nook, sizeof nook, "%s", self ? self : NOOK_BINDIR "/nook");
			snprintf(twin, sizeof twin, "%s", nook_twin_path());
		}
		FIX(it, "AppArmor restricts unprivileged user namespaces: as root, install nook's profile "
			"(from the source tree: sed -e 's|@NOOK@|%s|' -e 's|@NOOK_DYN@|%s|' contrib/apparmor/nook > /etc/apparmor.d/nook; "
			"after make install: cp %s/apparmor/nook /etc/apparmor.d/nook) and run "
			"apparmor_parser -r /etc/apparmor.d/nook. ",
		    nook, twin, NOOK_DATADIR);
	}
	if (!it->fix[0])
		FIX(it, "this kernel or a security module refuses user namespaces to unprivileged users; "
			"inside a container, give the container user namespaces (podman --security-opt "
			"seccomp=unconfined, docker --privileged) or run nook on the host.");
}

/* ---------------------------------------------------------------- ids */

static void check_subid(struct nook_check_report *r, bool needed)
{
	struct nook_check_item *it = add(r, "subid", "subordinate uid/gid ranges");
	it->needed = needed;
	struct nook_idmap u, g;
	nook_subid_caller_ranges(&u, &g);
	const char *user, *home;
	if (nook_passwd_me(&user, &home) < 0)
		user = "USER";
	it->ok = u.count > 0 && g.count > 0;
	if (u.count)
		DETAIL(it, "uids %lu-%lu (%lu ids)", u.outside, u.outside + u.count - 1, u.count);
	else
		DETAIL(it, "no subordinate uids");
	if (g.count)
		DETAIL(it, ", gids %lu-%lu (%lu ids)", g.outside, g.outside + g.count - 1, g.count);
	else
		DETAIL(it, ", no subordinate gids");
	DETAIL(it, " for %s (looked up with libsubid)", user);
	if (!it->ok) {
		struct nook_error err = { 0 };
		unsigned long s = 0, c = 0;
		if (nook_subid_lookup(user, u.count > 0, &s, &c, &err) < 0 && err.msg[0])
			DETAIL(it, ": %s", err.msg);
		FIX(it, "as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s "
			"(pick a range no other user has in /etc/subuid and /etc/subgid); "
			"only --userns subuid and the ci and dev profiles need it", user);
	} else if (u.count < 65536 || g.count < 65536) {
		DETAIL(it, "; fewer than 65536 ids: some images use ids up to 65534");
	}
}

static void check_helper(struct nook_check_report *r, const char *name, bool needed)
{
	char id[32], title[64];
	snprintf(id, sizeof id, "%s", name);
	snprintf(title, sizeof title, "%s", name);
	struct nook_check_item *it = add(r, id, title);
	it->needed = needed;
	_cleanup_free_ char *path = nook_find_program(name, getenv("PATH"));
	if (!path) {
		DETAIL(it, "not found in PATH");
		FIX(it, "as root: apt-get install uidmap (Fedora: shadow-utils); only needed for subordinate ids");
		return;
	}
	struct stat st;
	if (stat(path, &st) < 0) {
		DETAIL(it, "%s: %s", path, strerror(errno));
		return;
	}
	bool suid = (st.st_mode & S_ISUID) && st.st_uid == 0;
	bool caps = getxattr(path, "security.capability", NULL, 0) > 0;
	it->ok = suid || caps;
	DETAIL(it, "%s, %s", path, suid ? "setuid root" : caps ? "with file capabilities" : "neither setuid root nor with file capabilities");
	if (!it->ok)
		FIX(it, "as root: chmod u+s %s (or setcap cap_set%cid+ep %s)", path,
		    strcmp(name, "newuidmap") == 0 ? 'u' : 'g', path);
}

/* ---------------------------------------------------------------- cgroup */

static void check_cgroup(struct nook_check_report *r, bool needed)
{
	struct nook_check_item *it = add(r, "cgroup", "cgroup v2 delegation (resource limits)");
	it->needed = needed;
	struct stat st;
	const char *mode = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0 ? "unified"
			 : stat("/sys/fs/cgroup/unified/cgroup.controllers", &st) == 0 ? "hybrid"
			 : "v1";
	DETAIL(it, "cgroup %s", strcmp(mode, "unified") == 0 ? "v2 (unified)" : strcmp(mode, "hybrid") == 0 ? "v1/v2 hybrid" : "v1");
	_cleanup_free_ char *proc = nook_read_file("/proc/self/cgroup", 1 << 16, NULL);
	_cleanup_free_ char *mi = nook_read_file("/proc/self/mountinfo", 1 << 20, NULL);
	_cleanup_free_ char *cgpath = NULL, *mp = NULL, *root = NULL, *own = NULL, *base = NULL;
	unsigned v1 = 0;
	if (!proc || !mi || nook_cgroup_parse_proc(proc, &cgpath, &v1) < 0 ||
	    nook_cgroup_parse_mountinfo(mi, &mp, &root, NULL) < 0 ||
	    !(own = nook_cgroup_resolve(mp, root, cgpath))) {
		DETAIL(it, "; no cgroup v2 hierarchy this process belongs to");
		FIX(it, "boot with cgroup v2 only (systemd.unified_cgroup_hierarchy=1 on the kernel command line); "
			"limits are skipped when a profile says resources.required: false");
		return;
	}
	bool in_init = false;
	base = nook_cgroup_pick_base(own, &in_init);
	_cleanup_free_ char *cf = nook_path_join(base, "cgroup.controllers");
	_cleanup_free_ char *ctl = nook_read_file(cf, 4096, NULL);
	if (ctl)
		ctl[strcspn(ctl, "\n")] = 0;
	unsigned have = ctl ? nook_cgroup_parse_controllers(ctl) : 0;
	bool writable = access(base, W_OK) == 0;
	DETAIL(it, "; controllers delegated here: %s", ctl && ctl[0] ? ctl : "none");
	DETAIL(it, "; nook would create its leaves in %s%s", base, writable ? "" : " (not writable by you)");
	unsigned want = NOOK_CG_CPU | NOOK_CG_MEMORY | NOOK_CG_PIDS;
	it->ok = strcmp(mode, "unified") == 0 && writable && (have & want) == want;
	if (it->ok)
		return;
	if (strcmp(mode, "unified") != 0)
		FIX(it, "the limits need cgroup v2 for every controller: boot with "
			"systemd.unified_cgroup_hierarchy=1 (without cgroup_no_v1=...). ");
	if (!writable || (have & want) != want)
		FIX(it, "Run nook from a cgroup you own (systemd-run --user --scope -p Delegate=yes nook run ...) "
			"and let systemd delegate cpu, memory and pids: as root install "
			"contrib/systemd/delegate.conf as /etc/systemd/system/user@.service.d/delegate.conf, "
			"systemctl daemon-reload, log in again. ");
}

/* ---------------------------------------------------------------- overlay, fuse */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP || flag == FTW_D)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static bool check_overlay(struct nook_check_report *r)
{
	struct nook_check_item *it = add(r, "overlay", "kernel overlayfs in a user namespace");
	int major = 0, minor = 0;
	nook_kernel_version(&major, &minor);
	char dir[] = "/tmp/nook-check.XXXXXX";
	const char *tmpdir = getenv("TMPDIR");
	_cleanup_free_ char *tmpl = nook_asprintf("%s/nook-check.XXXXXX",
						  tmpdir && tmpdir[0] == '/' ? tmpdir : "/var/tmp");
	char *d = mkdtemp(tmpl);
	if (!d)
		d = mkdtemp(dir);
	if (!d) {
		DETAIL(it, "cannot make a temporary directory: %s", strerror(errno));
		return false;
	}
	static const char *const subs[] = { "l", "u", "w", "m" };
	for (size_t i = 0; i < 4; i++) {
		_cleanup_free_ char *s = nook_path_join(d, subs[i]);
		mkdir(s, 0700);
	}
	int e = 0;
	int step = try_namespaces(d, &e);
	/* overlayfs leaves w/work with mode 000: open it up so the walk can
	 * enter and remove it */
	_cleanup_free_ char *work = nook_path_join(d, "w/work");
	(void)chmod(work, 0700);
	nftw(d, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	it->ok = step == 0;
	if (it->ok)
		DETAIL(it, "works (Linux %d.%d)", major, minor);
	else if (step == STEP_OVERLAY)
		DETAIL(it, "refused on %s: %s (Linux %d.%d; 5.11 or later allows it)", d, strerror(e), major, minor);
	else
		DETAIL(it, "not tried: %s failed", step_name(step));
	if (!it->ok)
		FIX(it, "overlay roots then use fuse-overlayfs (below); a kernel before 5.11 or an upper "
			"directory on NFS or overlayfs refuses it");
	return it->ok;
}

static bool check_fuse(struct nook_check_report *r)
{
	struct nook_check_item *it = add(r, "fuse", "/dev/fuse and fuse-overlayfs");
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	int e = errno;
	if (fd >= 0)
		close(fd);
	_cleanup_free_ char *prog = nook_find_program("fuse-overlayfs", getenv("PATH"));
	char ver[256] = "";
	if (prog)
		first_line(prog, "--version", ver, sizeof ver, NULL, 0);
	it->ok = fd >= 0 && prog;
	DETAIL(it, "/dev/fuse %s", fd >= 0 ? "opens" : strerror(e));
	if (prog)
		DETAIL(it, "; %s%s%s", prog, ver[0] ? ": " : "", ver);
	else
		DETAIL(it, "; fuse-overlayfs not found in PATH");
	if (fd < 0)
		FIX(it, "as root: modprobe fuse and chmod 0666 /dev/fuse (the mode distributions ship). ");
	if (!prog)
		FIX(it, "as root: apt-get install fuse-overlayfs. ");
	return it->ok;
}

/* ---------------------------------------------------------------- network */

static void check_tun(struct nook_check_report *r, bool needed)
{
	struct nook_check_item *it = add(r, "tun", "/dev/net/tun (slirp and pasta networks)");
	it->needed = needed;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	it->ok = fd >= 0;
	if (fd >= 0) {
		close(fd);
		DETAIL(it, "opens");
	} else {
		DETAIL(it, "%s", strerror(errno));
		FIX(it, "as root: modprobe tun and chmod 0666 /dev/net/tun");
	}
}

static void check_slirp(struct nook_check_report *r, bool needed)
{
	struct nook_check_item *it = add(r, "slirp4netns", "slirp4netns (--network slirp)");
	it->needed = needed;
	_cleanup_free_ char *prog = nook_find_program("slirp4netns", getenv("PATH"));
	if (!prog) {
		DETAIL(it, "not found in PATH");
		FIX(it, "as root: apt-get install slirp4netns");
		return;
	}
	char ver[256], help[8192];
	first_line(prog, "--version", ver, sizeof ver, NULL, 0);
	char dummy[8];
	first_line(prog, "--help", dummy, sizeof dummy, help, sizeof help);
	bool ready = strstr(help, "--ready-fd") && strstr(help, "--exit-fd");
	it->ok = ready;
	DETAIL(it, "%s: %s; sandbox %s, seccomp %s", prog, ver[0] ? ver : "(no version)",
	       strstr(help, "--enable-sandbox") ? "yes" : "no", strstr(help, "--enable-seccomp") ? "yes" : "no");
	if (!ready)
		FIX(it, "this slirp4netns has no --ready-fd/--exit-fd: install slirp4netns 0.4 or later");
}

/* An optional helper program: found in PATH (with its --version line), or
 * the package that brings it. */
static void check_program(struct nook_check_report *r, const char *name, const char *title, bool needed,
			  const char *missing, const char *package)
{
	struct nook_check_item *it = add(r, name, title);
	it->needed = needed;
	_cleanup_free_ char *prog = nook_find_program(name, getenv("PATH"));
	if (!prog) {
		DETAIL(it, "%s", missing);
		FIX(it, "as root: apt-get install %s", package);
		return;
	}
	char ver[256];
	first_line(prog, "--version", ver, sizeof ver, NULL, 0);
	it->ok = true;
	DETAIL(it, "%s: %s", prog, ver[0] ? ver : "(no version)");
}

/* nook image pull/import (never needed by a profile: images are optional) */
static void check_skopeo(struct nook_check_report *r)
{
	check_program(r, "skopeo", "skopeo (nook image pull and import)", false, "not found in PATH", "skopeo");
}

static void check_pasta(struct nook_check_report *r, bool needed)
{
	check_program(r, "pasta", "pasta (--network pasta)", needed, "not found in PATH", "passt");
}

/* the desktop profiles' D-Bus filter (desktop/dbus.c) */
static void check_dbus_proxy(struct nook_check_report *r, bool needed)
{
	check_program(r, "xdg-dbus-proxy", "xdg-dbus-proxy (D-Bus filter of desktop apps)", needed,
		      "not found in PATH: desktop apps run without D-Bus", "xdg-dbus-proxy");
}

/* ---------------------------------------------------------------- kernel features */

static void check_landlock(struct nook_check_report *r, bool needed)
{
	struct nook_check_item *it = add(r, "landlock", "Landlock");
	it->needed = needed;
	int abi = nook_landlock_abi();
	it->ok = abi > 0;
	if (abi > 0) {
		DETAIL(it, "ABI %d", abi);
		if (abi < 6)
			DETAIL(it, " (landlock.scope needs ABI 6, Linux 6.12)");
	} else {
		_cleanup_free_ char *lsm = nook_read_file("/sys/kernel/security/lsm", 4096, NULL);
		DETAIL(it, "not available");
		if (lsm) {
			lsm[strcspn(lsm, "\n")] = 0;
			DETAIL(it, " (active LSMs: %s)", lsm);
		}
		FIX(it, "Linux 5.13 or later with landlock in the lsm= boot parameter; without it nook warns and "
			"runs, unless a profile says landlock.required: true");
	}
}

static void check_seccomp(struct nook_check_report *r, bool needed)
{
	struct nook_check_item *it = add(r, "seccomp", "seccomp filters");
	it->needed = needed;
	int mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	_cleanup_free_ char *acts = nook_read_file("/proc/sys/kernel/seccomp/actions_avail", 4096, NULL);
	if (acts)
		acts[strcspn(acts, "\n")] = 0;
	it->ok = mode >= 0 && acts != NULL;
	if (mode < 0)
		DETAIL(it, "prctl(PR_GET_SECCOMP): %s", strerror(errno));
	else
		DETAIL(it, "available%s; actions: %s", mode ? " (nook itself already runs under a filter)" : "",
		       acts ? acts : "unknown");
	if (!it->ok)
		FIX(it, "a kernel built with CONFIG_SECCOMP_FILTER; or run with --seccomp unconfined");
}

static void check_pidfd(struct nook_check_report *r)
{
	struct nook_check_item *it = add(r, "pidfd", "pidfd_open and clone3");
	it->needed = true;
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int e1 = errno;
	if (fd >= 0)
		close(fd);
	errno = 0;
	/* a size of 0 is invalid: EINVAL if clone3 exists, ENOSYS if not */
	long c = syscall(SYS_clone3, NULL, 0);
	int e2 = errno;
	bool clone3 = c < 0 && e2 != ENOSYS;
	it->ok = fd >= 0 && clone3;
	DETAIL(it, "pidfd_open %s, clone3 %s", fd >= 0 ? "works" : strerror(e1), clone3 ? "present" : strerror(e2));
	if (!it->ok)
		FIX(it, "nook needs Linux 5.7 or later (clone3 with CLONE_INTO_CGROUP, pidfds); inside a "
			"container, a seccomp profile that allows clone3 and pidfd_open");
}

static void check_runtime_dir(struct nook_check_report *r)
{
	struct nook_check_item *it = add(r, "xdg_runtime_dir", "XDG_RUNTIME_DIR");
	const char *d = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (!d || d[0] != '/') {
		/* where state.c keeps them then (nook_state_root) */
		const char *sh = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
		if (sh && sh[0] == '/')
			DETAIL(it, "not set: named containers are recorded in %s/nook/containers", sh);
		else if (home && home[0] == '/')
			DETAIL(it, "not set: named containers are recorded in %s/.local/state/nook/containers", home);
		else
			DETAIL(it, "not set, and neither XDG_STATE_HOME nor HOME: named containers cannot be recorded");
		FIX(it, "log in through a session manager (ssh, a display manager, machinectl shell) that sets it, "
			"or export XDG_RUNTIME_DIR=/run/user/%u when it exists", (unsigned)getuid());
		return;
	}
	if (stat(d, &st) < 0) {
		DETAIL(it, "%s: %s", d, strerror(errno));
		FIX(it, "unset it, or log in again so that systemd-logind creates it");
		return;
	}
	it->ok = S_ISDIR(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0;
	DETAIL(it, "%s%s", d, it->ok ? "" : " is not a directory of yours with mode 0700");
	if (!it->ok)
		FIX(it, "unset it, or log in again so that systemd-logind creates it");
}

/* ---------------------------------------------------------------- all */

void nook_check_run(struct nook_check_report *r, const char *self)
{
	memset(r, 0, sizeof *r);
	snprintf(r->profile, sizeof r->profile, "default");

	struct nook_spec spec;
	struct nook_error err = { 0 };
	struct nook_check_item *prof = add(r, "profile", "the default profile");
	prof->needed = true;
	_cleanup_free_ char *path = NULL;
	bool have_spec = nook_profile_find("default", &path, &err) == 0 &&
			 nook_profile_resolve_ex("default", NULL, NULL, NOOK_PROFILE_ALLOW_NO_COMMAND, &spec, &err) == 0;
	prof->ok = have_spec;
	if (have_spec)
		DETAIL(prof, "%s", path);
	else {
		DETAIL(prof, "%s", err.msg);
		FIX(prof, "fix or remove that file (nook profile validate default)");
	}

	bool subuid = have_spec && spec.userns == NOOK_USERNS_SUBUID;
	bool overlay = have_spec && spec.rootfs.kind == NOOK_ROOTFS_OVERLAY;
	bool limits = have_spec && nook_cgroup_wanted(&spec) && spec.resources_required;
	bool slirp = have_spec && spec.net == NOOK_NET_SLIRP;
	bool pasta = have_spec && spec.net == NOOK_NET_PASTA;
	bool seccomp = !have_spec || spec.seccomp != NOOK_SECCOMP_UNCONFINED;
	bool landlock = have_spec && spec.landlock_required;

	check_userns(r, self);
	r->items[r->n - 1].needed = true;
	check_subid(r, subuid);
	check_helper(r, "newuidmap", subuid);
	check_helper(r, "newgidmap", subuid);
	check_cgroup(r, limits);
	bool kovl = check_overlay(r);
	size_t ovl_i = r->n - 1;
	bool fuse = check_fuse(r);
	/* an overlay root needs one of the two drivers */
	if (overlay) {
		r->items[ovl_i].needed = !fuse;
		r->items[r->n - 1].needed = !kovl;
	}
	check_tun(r, slirp || pasta);
	check_slirp(r, slirp);
	check_pasta(r, pasta);
	check_dbus_proxy(r, have_spec && spec.dbus_required &&
				    (nook_dbus_bus_on(&spec.dbus_session) || nook_dbus_bus_on(&spec.dbus_system)));
	check_skopeo(r);
	check_landlock(r, landlock);
	check_seccomp(r, seccomp);
	check_pidfd(r);
	check_runtime_dir(r);

	r->ready = true;
	for (size_t i = 0; i < r->n; i++) {
		/* fixes are built of sentences "... . " */
		char *f = r->items[i].fix;
		size_t l = strlen(f);
		while (l && f[l - 1] == ' ')
			f[--l] = 0;
		if (r->items[i].needed && !r->items[i].ok)
			r->ready = false;
	}
	if (have_spec)
		nook_spec_free(&spec);
}

void nook_check_report_free(struct nook_check_report *r)
{
	free(r->items);
	memset(r, 0, sizeof *r);
}
