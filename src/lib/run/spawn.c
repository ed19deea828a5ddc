/* SPDX-License-Identifier: GPL-2.0-or-later */
/* spawn.c - the parent (monitor) side of `nook run`.
 *
 * Prepare everything that can fail before any namespace exists, clone the
 * child into new namespaces (and into its cgroup leaf), write its id maps
 * (subuid mode: newuidmap/newgidmap; self mode: the child writes its own),
 * start outside helpers, tell it to go, build its network namespace beside
 * it when no helper needs one first (netns.c), then forward signals,
 * enforce the timeout and collect the exit status. Every exit path kills
 * what it started and removes what it created. */
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/cgroup.h"
#include "nook/desktop.h"
#include "child.h"
#include "nook/cleanup.h"
#include "nook/holder.h"
#include "nook/fuseovl.h"
#include "nook/idmap.h"
#include "nook/net.h"
#include "nook/ownership.h"
#include "pty.h"
#include "watch.h"
#include "iorelay.h"
#include "upperlock.h"
#include "nook/security.h"
#include "nook/limits.h"
#include "nook/spawn.h"
#include "nook/state.h"
#include "nook/sync.h"
#include "nook/util.h"
#include "nook/missing.h"

#define KILL_GRACE_MS 2000

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Whether one of the maps' outside ranges holds id. */
static bool maps_cover(const struct nook_idmap *m, size_t n, uid_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].outside && id - m[i].outside < m[i].count)
			return true;
	return false;
}

/* Whether uid 0 and gid 0 inside are mapped. */
static bool maps_inside0(const struct nook_idmaps *m)
{
	bool u = false, g = false;
	for (size_t i = 0; i < m->n_uid; i++)
		u |= m->uid[i].inside == 0 && m->uid[i].count > 0;
	for (size_t i = 0; i < m->n_gid; i++)
		g |= m->gid[i].inside == 0 && m->gid[i].count > 0;
	return u && g;
}

/* Whether the parent has something to do before the child may go on:
 * write its id maps with newuidmap/newgidmap, lock the overlay's upper
 * directory, start slirp4netns or pasta; then it sends NOOK_MSG_GO.
 * Otherwise nobody does (a self map the child writes itself: it starts
 * building at once) or, through the holder, the intermediate does as soon
 * as it has written the maps. */
static bool parent_goes(const struct nook_spec *s, bool child_maps, bool holder)
{
	return !(child_maps || holder) || (s->rootfs.kind == NOOK_ROOTFS_OVERLAY && s->rootfs.upper) ||
	       s->net == NOOK_NET_SLIRP || s->net == NOOK_NET_PASTA;
}

/* clone3 a in the pid namespace pidns_fd (OCI linux.namespaces "pid" with
 * a path): a short-lived intermediate joins it, sharing our fd table (the
 * pidfd it gets is ours), and clones the container as our child
 * (CLONE_PARENT). The monitor itself never joins it: its later threads
 * and helpers (and the sanitizers' leak checker, which a thread in
 * another pid namespace than its process's hangs) stay in ours. Like
 * clone3: 0 in the child, its pid here, -1 with errno. */
static pid_t clone_in_pidns(int pidns_fd, struct clone_args *a)
{
	struct { int32_t pid, pidfd, err; } res = { -1, -1, EPROTO };
	int *pidfd_out = (int *)(uintptr_t)a->pidfd;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	struct clone_args ia;
	memset(&ia, 0, sizeof ia);
	ia.flags = CLONE_FILES;
	ia.exit_signal = SIGCHLD;
	pid_t ip = (pid_t)syscall(SYS_clone3, &ia, sizeof ia);
	if (ip == 0) {
		/* with CLONE_PARENT the exit signal is our parent's */
		a->flags |= CLONE_PARENT;
		a->exit_signal = 0;
		pid_t pid = -1;
		if (setns(pidns_fd, CLONE_NEWPID) == 0 && (pid = (pid_t)syscall(SYS_clone3, a, sizeof *a)) == 0) {
			close(p[0]);
			close(p[1]);
			return 0;
		}
		res.pid = pid;
		res.pidfd = *pidfd_out; /* our copy of it: the fd is in the shared table */
		res.err = pid < 0 ? errno : 0;
		_exit(write(p[1], &res, sizeof res) == sizeof res ? 0 : 2);
	}
	int e = errno;
	if (ip > 0) {
		/* not closed before: the fd table is the intermediate's too */
		while (waitpid(ip, NULL, 0) < 0 && errno == EINTR)
			;
		if (read(p[0], &res, sizeof res) != sizeof res)
			res.pid = -1, res.err = EPROTO;
		else if (res.pid > 0)
			*pidfd_out = res.pidfd;
	} else {
		res.err = e;
	}
	close(p[0]);
	close(p[1]);
	errno = res.err;
	return res.pid > 0 ? res.pid : -1;
}

static pid_t clone_child(const struct nook_spec *s, bool late_net, int cgroup_fd, int *pidfd,
			 int holder_fd, int go_fd, int pidns_fd, const struct nook_idmaps *maps, bool *net_built,
			 struct nook_error *herr)
{
	struct clone_args a;
	memset(&a, 0, sizeof a);
	a.flags = (s->ns_flags | CLONE_NEWUSER | CLONE_PIDFD) & ~(unsigned long)CLONE_NEWTIME;
	if (maps->mode == NOOK_USERNS_NONE)
		a.flags &= ~(unsigned long)CLONE_NEWUSER;
	if (late_net)
		a.flags &= ~(unsigned long)CLONE_NEWNET;
	a.pidfd = (uint64_t)(uintptr_t)pidfd;
	a.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
	}
	if (holder_fd >= 0) {
		/* a user namespace of its own inside the holder's (holder.c) */
		a.flags &= ~(unsigned long)(CLONE_NEWUSER | CLONE_PIDFD);
		pid_t pid = nook_holder_clone(holder_fd, &a, maps, go_fd, late_net, net_built, herr);
		if (pid >= 0)
			return pid;
		errno = 0; /* the caller falls back to newuidmap/newgidmap */
		return -1;
	}
	if (pidns_fd >= 0)
		return clone_in_pidns(pidns_fd, &a);
	return (pid_t)syscall(SYS_clone3, &a, sizeof a);
}

int nook_exit_code_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return NOOK_EXIT_FAILURE;
}

static int check_dir(const char *what, const char *path, const char *fix, struct nook_error *err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return nook_errx(err, errno, "the overlay %s %s is not accessible: %s (%s)", what, path, strerror(errno), fix);
	if (!S_ISDIR(st.st_mode))
		return nook_errx(err, ENOTDIR, "the overlay %s %s is not a directory", what, path);
	return 0;
}

/* UPPER.work, the work directory nook makes beside the upper directory
 * when the profile names none: one that is already there must be a real
 * directory of the caller's, not a symlink, nor one that someone who may
 * write beside UPPER created first to watch or swap the overlay's files. */
static int check_implied_work(const char *upper, struct nook_error *err)
{
	char work[PATH_MAX];
	struct stat st;
	if ((size_t)snprintf(work, sizeof work, "%s.work", upper) >= sizeof work)
		return nook_errx(err, ENAMETOOLONG, "the overlay upper directory path %s is too long", upper);
	if (lstat(work, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return nook_err(err, errno, "the overlay work directory %s is not accessible", work);
	}
	if (!S_ISDIR(st.st_mode))
		return nook_errx(err, ENOTDIR, "the overlay work directory %s is %s, not a directory (remove it; nook creates it)",
				 work, S_ISLNK(st.st_mode) ? "a symlink" : "a file");
	if (st.st_uid != getuid())
		return nook_errx(err, EPERM, "the overlay work directory %s belongs to uid %u, not to you (uid %u); remove it, "
				 "or set rootfs.overlay.work to a directory of yours", work, (unsigned)st.st_uid, (unsigned)getuid());
	return 0;
}

static int precheck(const struct nook_spec *s, struct nook_error *err)
{
	struct stat st;
	int r;
	if (s->rootfs.kind == NOOK_ROOTFS_DIR) {
		if (stat(s->rootfs.path, &st) < 0)
			return nook_err(err, errno, "rootfs %s does not exist (create it, or drop --rootfs to use the host's / read-only)",
					s->rootfs.path);
		if (!S_ISDIR(st.st_mode))
			return nook_errx(err, ENOTDIR, "rootfs %s is not a directory", s->rootfs.path);
	}
	if (s->rootfs.kind == NOOK_ROOTFS_OVERLAY) {
		const struct { const char *what, *fix; } k[] = {
			{ "lower layer", "create it, or fix rootfs.path / rootfs.overlay.lower" },
			{ "upper directory", "create it with mkdir -p" },
			{ "work directory", "create it with mkdir -p, next to the upper directory" },
		};
		for (size_t i = 0; s->rootfs.lower && s->rootfs.lower[i]; i++)
			if ((r = check_dir(k[0].what, s->rootfs.lower[i], k[0].fix, err)) < 0)
				return r;
		if (s->rootfs.upper && (r = check_dir(k[1].what, s->rootfs.upper, k[1].fix, err)) < 0)
			return r;
		if (s->rootfs.work && (r = check_dir(k[2].what, s->rootfs.work, k[2].fix, err)) < 0)
			return r;
		if (s->rootfs.upper && !s->rootfs.work && (r = check_implied_work(s->rootfs.upper, err)) < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct nook_mount *m = &s->mounts[i];
		if (!nook_mount_is_bind(m->type))
			continue;
		if (stat(m->source, &st) < 0 && !m->optional)
			return nook_err(err, errno, "bind source %s (for %s) is not accessible", m->source, m->target);
	}
	return 0;
}

struct run_state {
	int pidfd, sync_fd, sfd, tfd;
	pid_t pid;
	bool exited, got_exit_msg, ready, timed_out, term_sent;
	int init_status, payload_status;
	struct nook_error child_err;
	bool have_child_err;
	char err_path[NOOK_ERR_MAX]; /* the path inside child_err is about, or "" */
	int err_errno;
	char warning[NOOK_ERR_MAX];  /* said once the root is built, or "" */
	struct nook_pty_relay pty;
	struct nook_stdio io;          /* the caller's terminals, relayed (iorelay.h) */
	const struct nook_spec *spec;
	struct nook_fuseovl *fuse;     /* fuse-overlayfs for an overlay root, or NULL */
	struct nook_error helper_err;  /* a helper the monitor started failed */
	bool have_helper_err;
	struct nook_state *state;      /* --name: the state entry, or NULL */
	pid_t payload_pid;             /* with state: the payload (NOOK_MSG_PID) */
	const char *cgroup_path;       /* the cgroup leaf, or NULL */
	struct nook_net *net;          /* the network helpers, or NULL */
	struct nook_result *res;       /* helper_died is filled in as it happens */
	bool net_warned;               /* a network helper's death was reported */
	bool fuse_died;                /* fuse-overlayfs died under a running payload */
	bool detached;                 /* spec->detach: the init waits for start */
	int detached_master;           /* its pty master, or -1 */
	int seccomp_fd;                /* its seccomp listener (NOOK_MSG_SECCOMP), or -1 */
};

static void handle_msg(struct run_state *rs, const struct nook_msg *m, int passed)
{
	switch (m->type) {
	case NOOK_MSG_PID:
		if (passed >= 0)
			rs->payload_pid = nook_pidfd_pid(passed);
		break;
	case NOOK_MSG_READY:
		rs->ready = true;
		if (rs->state) {
			struct nook_error serr = { 0 };
			pid_t payload = rs->spec->init ? rs->payload_pid : rs->pid;
			if (nook_state_publish(rs->state, rs->pid, payload, rs->spec, rs->cgroup_path, &serr) < 0)
				nook_warn("%s (nook exec, ps and stop will not find it)", serr.msg);
		}
		/* not before: when a step fails, its error explains enough */
		if (rs->warning[0])
			nook_warn("%s", rs->warning);
		if (rs->spec->detach) {
			rs->detached = true;
			if (passed >= 0)
				rs->detached_master = passed;
			return;
		}
		if (passed >= 0 && rs->pty.master < 0) {
			fcntl(passed, F_SETFL, fcntl(passed, F_GETFL) | O_NONBLOCK);
			nook_pty_relay_init(&rs->pty, passed);
			passed = -1;
		}
		break;
	case NOOK_MSG_ERROR:
		if (!rs->have_child_err) {
			rs->have_child_err = true;
			snprintf(rs->child_err.msg, sizeof rs->child_err.msg, "%s", m->text);
			nook_escape_controls(rs->child_err.msg, sizeof rs->child_err.msg);
			rs->child_err.exit_status = m->value;
			rs->child_err.code = -EINVAL;
		}
		break;
	case NOOK_MSG_ERROR_PATH:
		if (!rs->have_child_err) {
			snprintf(rs->err_path, sizeof rs->err_path, "%s", m->text);
			rs->err_errno = m->value;
		}
		break;
	case NOOK_MSG_EXIT:
		rs->got_exit_msg = true;
		rs->payload_status = m->value;
		break;
	case NOOK_MSG_SECCOMP:
		if (passed >= 0 && rs->seccomp_fd < 0) {
			rs->seccomp_fd = passed;
			passed = -1;
		}
		break;
	case NOOK_MSG_FUSE:
		/* the child mounted the overlay root's FUSE filesystem and waits
		 * for fuse-overlayfs to serve it */
		if (rs->have_helper_err)
			break;
		if (passed < 0 || !rs->fuse) {
			nook_errx(&rs->helper_err, EPROTO, "the container asked for fuse-overlayfs, which nook did not prepare");
			rs->have_helper_err = true;
		} else if (nook_fuseovl_start(rs->fuse, rs->spec, rs->pidfd, passed, m->value, &rs->helper_err) < 0) {
			rs->have_helper_err = true;
		}
		if (rs->have_helper_err)
			pidfd_signal(rs->pidfd, SIGKILL);
		break;
	}
	if (passed >= 0)
		close(passed);
}

/* The child's error becomes ours, with what can be said about the owner
 * of the path it failed on (ownership.c). */
static void take_child_err(const struct run_state *rs, const struct nook_spec *s,
			   const struct nook_idmaps *maps, struct nook_error *err)
{
	*err = rs->child_err;
	err->path = NULL;
	if (rs->err_path[0])
		nook_ownership_explain(s, maps, rs->err_path, rs->err_errno, err);
}

static void monitor_msg(void *ctx, const struct nook_msg *m, int passed)
{
	handle_msg(ctx, m, passed);
}

static void monitor_signal(void *ctx, int sig)
{
	struct run_state *rs = ctx;
	pidfd_signal(rs->pidfd, sig);
}

/* --timeout: SIGTERM at the deadline, SIGKILL a grace period later */
static void monitor_timer(void *ctx)
{
	struct run_state *rs = ctx;
	if (!rs->term_sent) {
		rs->timed_out = rs->term_sent = true;
		pidfd_signal(rs->pidfd, SIGTERM);
		struct itimerspec its = { .it_value = { KILL_GRACE_MS / 1000, (KILL_GRACE_MS % 1000) * 1000000L } };
		timerfd_settime(rs->tfd, 0, &its, NULL);
	} else {
		pidfd_signal(rs->pidfd, SIGKILL);
	}
}

/* Watch the container's init until it exits (watch.c). */
/* A helper that dies while the container runs is reported when it happens,
 * not when the payload ends: without slirp4netns or the UDP relay the
 * container carries on unreachable (a warning now, helper_died in the
 * stats); without fuse-overlayfs its root is gone, so the container is
 * stopped at once and nook ends with 125 (spawn, below). */
static void monitor_child(void *ctx)
{
	struct run_state *rs = ctx;
	struct nook_error ferr = { 0 };

	if (!rs->net_warned && rs->res &&
	    nook_net_warn_dead(rs->net, rs->res->helper_died, sizeof rs->res->helper_died))
		rs->net_warned = true;
	if (rs->ready && !rs->fuse_died && nook_fuseovl_failed(rs->fuse, 0, &ferr)) {
		rs->fuse_died = true;
		pidfd_signal(rs->pidfd, SIGKILL);
	}
}

static int monitor(struct run_state *rs, struct nook_error *err)
{
	struct nook_watch w = { .pidfd = rs->pidfd, .sfd = rs->sfd, .sync_fd = rs->sync_fd, .tfd = rs->tfd,
				.pty = &rs->pty, .io = &rs->io, .ctx = rs, .on_msg = monitor_msg,
				.on_signal = monitor_signal, .on_timer = monitor_timer,
				.on_child = monitor_child, .stop = &rs->detached };
	int r = nook_watch_run(&w, err);
	rs->exited = w.exited;
	rs->init_status = w.wait_status;
	return r;
}

int nook_spawn(const struct nook_spec *s, struct nook_result *res, struct nook_error *err)
{
	struct nook_idmaps maps;
	struct nook_security *sec = NULL;
	struct nook_cgroup *cg = NULL;
	struct nook_net *net = NULL;
	struct nook_fuseovl *fuse = NULL;
	struct nook_desktop *desk = NULL;
	struct run_state rs = { .pidfd = -1, .sync_fd = -1, .sfd = -1, .tfd = -1, .pid = -1,
				.pty = { .master = -1 }, .spec = s, .detached_master = -1, .seccomp_fd = -1,
				.io = { .child = { -1, -1, -1 }, .in_w = -1, .out_r = { -1, -1, -1 } } };
	int sv[2] = { -1, -1 };
	_cleanup_close_ int upper_lock = -1;
	_cleanup_close_ int mnt_ns_fd = -1, pid_ns_fd = -1;
	_cleanup_close_ int holder_fd = -1;
	sigset_t oldmask;
	bool blocked = false;
	int r;

	memset(res, 0, sizeof *res);
	res->pty_master = -1;
	res->seccomp_fd = -1;
	if ((r = nook_self_limits_prepare(err)) < 0)
		return r;
	uint64_t t0 = nook_now_ns();
	/* From here on a signal to nook is never lost: it waits in the
	 * signalfd until the monitor forwards it to the child, whose mask
	 * keeps it queued (a pid 1 drops an unblocked one it has no handler
	 * for) until its reaper passes it on to the payload. */
	rs.sfd = nook_forwarded_signalfd(&oldmask, SFD_CLOEXEC | SFD_NONBLOCK);
	blocked = true;
	if (rs.sfd < 0)
		return nook_err(err, errno, "signalfd");

	if ((r = nook_spec_check(s, err)) < 0 || (r = nook_net_check(s, err)) < 0 || (r = precheck(s, err)) < 0)
		goto out;
	/* a named container claims its name first (state.c) */
	if (s->name && (r = nook_state_claim(s->name, &rs.state, err)) < 0)
		goto out;
	/* the caller's subordinate range: through the user namespace holder
	 * when one can be had (holder.c), else newuidmap/newgidmap; the
	 * holder is asked first and answers while the security envelope is
	 * prepared (the seccomp program is the longest step before clone) */
	struct nook_holder_req hreq;
	nook_holder_request(s, &hreq);
	/* the D-Bus proxy and the X cookie: s becomes the spec with their
	 * binds and variables added (desktop.h) */
	if ((r = nook_desktop_start(s, &desk, &s, err)) < 0) {
		nook_holder_request_drop(&hreq);
		goto out;
	}
	rs.spec = s;
	if ((r = nook_security_prepare(s, &sec, err)) < 0) {
		nook_holder_request_drop(&hreq);
		goto out;
	}
	if ((r = nook_holder_maps(s, &hreq, &maps, &holder_fd, err)) < 0)
		goto out;
	nook_verbose("user namespace: %s", maps.why);
	nook_ownership_check(s, &maps, rs.warning, sizeof rs.warning);
	if ((r = nook_fuseovl_prepare(s, &fuse, err)) < 0)
		goto out;
	rs.fuse = fuse;
	if ((r = nook_cgroup_setup(s, &cg, err)) < 0)
		goto out;
	rs.cgroup_path = cg ? nook_cgroup_path(cg) : NULL;

	/* a detached container keeps the caller's stdio as it is */
	if ((r = nook_stdio_prepare(&rs.io, s->tty || s->detach, err)) < 0)
		goto out;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = nook_err(err, errno, "socketpair");
		goto out;
	}
	if (s->join_mnt_ns && (mnt_ns_fd = open(s->join_mnt_ns, O_RDONLY | O_CLOEXEC)) < 0) {
		r = nook_err(err, errno, "cannot open the mount namespace %s", s->join_mnt_ns);
		goto out;
	}
	if (s->join_pid_ns && (pid_ns_fd = open(s->join_pid_ns, O_RDONLY | O_CLOEXEC)) < 0) {
		r = nook_err(err, errno, "cannot open the pid namespace %s", s->join_pid_ns);
		goto out;
	}
	if (pid_ns_fd >= 0 && holder_fd >= 0) {
		/* the holder's intermediate cannot also join it */
		close(holder_fd);
		holder_fd = -1;
	}

	/* With no network helper, the network namespace is built beside the
	 * child while it builds its root (netns.c)
	 * (not without a user namespace of its own: the helper would join
	 * the child's, which is ours). */
	bool late_net = (s->ns_flags & CLONE_NEWNET) && s->net == NOOK_NET_NONE && maps.mode != NOOK_USERNS_NONE;
	/* A self map is written by the child itself, in parallel with what
	 * the parent does next - except when a network helper is started
	 * next: slirp4netns and pasta join the child's user namespace and
	 * fail (setegid(0): EINVAL) if they get there before its map, which
	 * a loaded machine made happen; then the parent writes it first. */
	bool child_maps = maps.mode == NOOK_USERNS_SELF && s->net != NOOK_NET_SLIRP && s->net != NOOK_NET_PASTA;
	struct nook_error herr = { 0 };
	/* A map that leaves us out but maps 0 (podman's --userns=nomap or
	 * auto hand such an OCI config): the child is nobody inside until it
	 * takes root, which its namespace lets it (runc does the same). */
	bool take_root = maps.mode != NOOK_USERNS_NONE && !maps_cover(maps.uid, maps.n_uid, getuid()) &&
			 maps_inside0(&maps);
	bool net_built = false;
	/* the child's proof that we still live once its death signal is set
	 * (getppid() says 0 across its pid namespace, and the processes that
	 * may send it the go and the network namespace - the holder's
	 * intermediate, the network helper - can outlive us) */
	int self_pidfd = s->die_with_parent ? (int)syscall(SYS_pidfd_open, getpid(), 0) : -1;
	rs.pid = clone_child(s, late_net, cg ? nook_cgroup_fd(cg) : -1, &rs.pidfd, holder_fd,
			     parent_goes(s, child_maps, true) ? -1 : sv[0], pid_ns_fd, &maps, &net_built, &herr);
	if (rs.pid < 0 && holder_fd >= 0) {
		nook_verbose("user namespace holder not used: %s; newuidmap/newgidmap write the maps", herr.msg);
		close(holder_fd);
		holder_fd = -1;
		/* a go the intermediate may have sent for the child it lost */
		char drain[64];
		while (recv(sv[1], drain, sizeof drain, MSG_DONTWAIT) > 0)
			;
		rs.pid = clone_child(s, late_net, cg ? nook_cgroup_fd(cg) : -1, &rs.pidfd, -1, -1, pid_ns_fd, &maps,
				     &net_built, &herr);
	}
	if (rs.pid < 0) {
		int e = errno;
		if (self_pidfd >= 0)
			close(self_pidfd);
		if (pid_ns_fd >= 0 && e == EPERM)
			r = nook_err(err, e, "cannot join the pid namespace %s (linux.namespaces path): it belongs to a user namespace "
				     "where you have no privileges (join that user namespace too)", s->join_pid_ns);
		else if (e == ENOSPC || e == EPERM || e == EINVAL)
			r = nook_err(err, e, "cannot create the container's namespaces (are unprivileged user namespaces enabled? see /proc/sys/user/max_user_namespaces)");
		else
			r = nook_err(err, e, "clone3");
		goto out;
	}
	if (rs.pid == 0) {
		/* the forwarded signals stay blocked (see above); the payload
		 * starts with an empty mask (payload.c) */
		struct nook_child_ctx ctx = { .spec = s, .sync_fd = sv[1], .parent_fd = sv[0], .security = sec,
					      .tty_slave = -1, .mask_empty = -1, .parent_pidfd = self_pidfd,
					      .stdio = &rs.io,
					      .state_lock_fd = nook_state_lock_fd(rs.state),
					      .maps = &maps, .write_maps = child_maps,
					      .wait_go = holder_fd >= 0 || parent_goes(s, child_maps, false),
					      .take_root = take_root,
					      .late_net = late_net, .mnt_ns_fd = mnt_ns_fd,
					      .report_payload = rs.state != NULL,
					      .fuse_ok = fuse && !nook_fuseovl_unusable(fuse),
					      .fuse_unusable = fuse ? nook_fuseovl_unusable(fuse) : NULL };
		nook_child_main(&ctx);
	}
	if (self_pidfd >= 0)
		close(self_pidfd);
	close(sv[1]);
	sv[1] = -1;
	nook_stdio_started(&rs.io);
	rs.sync_fd = sv[0];
	/* before the child may mount anything; it never holds the lock's fd */
	if ((r = nook_upper_lock(s, &upper_lock, err)) < 0)
		goto kill;

	/* in self mode the child writes its own maps; through the holder
	 * the intermediate wrote them */
	bool go = parent_goes(s, child_maps, holder_fd >= 0);
	if (holder_fd >= 0) {
		close(holder_fd);
		holder_fd = -1;
	} else if (!child_maps && (r = nook_idmaps_apply(&maps, rs.pid, err)) < 0)
		goto kill;
	if ((r = nook_net_start(s, rs.pid, &net, err)) < 0)
		goto kill;
	rs.net = net;
	rs.res = res;
	if (s->timeout_ms) {
		rs.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		struct itimerspec its = { .it_value = { (time_t)(s->timeout_ms / 1000), (long)(s->timeout_ms % 1000) * 1000000L } };
		if (rs.tfd < 0 || timerfd_settime(rs.tfd, 0, &its, NULL) < 0) {
			r = nook_err(err, errno, "timerfd");
			goto kill;
		}
	}
	if (go && nook_sync_send(rs.sync_fd, NOOK_MSG_GO, 0, NULL) < 0) {
		/* the child died already; monitor() collects the reason */
	} else if (late_net && !net_built && (r = nook_netns_build(rs.pidfd, rs.sync_fd, err)) < 0) {
		/* the child may have failed first (then the helper found no user
		 * namespace to join): its own message explains more */
		struct nook_error nerr = *err;
		pidfd_signal(rs.pidfd, SIGKILL);
		if (monitor(&rs, err) == 0 && rs.have_child_err) {
			take_child_err(&rs, s, &maps, err);
			res->exit_status = err->exit_status;
		} else {
			*err = nerr;
		}
		goto out;
	}
	if ((r = monitor(&rs, err)) < 0)
		goto kill;
	if (!rs.exited) {
		/* spec->detach: the init waits for start; it stays, we go */
		if (cg) {
			/* only a leaf that was named for it (the OCI runtime's)
			 * outlives us; the caller records and later removes it */
			if (!s->cgroup_leaf) {
				r = nook_errx(err, ENOTSUP, "a detached container cannot keep nook's cgroup leaf");
				goto kill;
			}
			snprintf(res->cgroup_path, sizeof res->cgroup_path, "%s", nook_cgroup_path(cg));
			nook_cgroup_keep(cg);
		}
		res->init_pid = rs.pid;
		res->pty_master = rs.detached_master;
		rs.detached_master = -1;
		res->seccomp_fd = rs.seccomp_fd;
		rs.seccomp_fd = -1;
		r = 0;
		goto out;
	}
	/* helpers that died while the container ran (issue 13.4) */
	if (!rs.net_warned)
		nook_net_warn_dead(net, res->helper_died, sizeof res->helper_died);
	struct nook_error ferr = { 0 };
	bool fuse_died = !rs.have_child_err && !rs.have_helper_err && nook_fuseovl_failed(fuse, 0, &ferr);

	res->wall_ns = nook_now_ns() - t0;
	res->timed_out = rs.timed_out;
	if (rs.got_exit_msg) {
		res->wait_status = rs.payload_status;
		res->exit_status = nook_exit_code_of(rs.payload_status);
	} else {
		res->wait_status = rs.init_status;
		res->exit_status = nook_exit_code_of(rs.init_status);
	}
	if (rs.have_helper_err) {
		*err = rs.helper_err;
		r = -EIO;
		res->exit_status = NOOK_EXIT_FAILURE;
	} else if (rs.have_child_err) {
		take_child_err(&rs, s, &maps, err);
		/* a setup failure after fuse-overlayfs died (the kernel aborted
		 * the FUSE connection under the child): the daemon's own message
		 * is the cause */
		if (err->exit_status == NOOK_EXIT_FAILURE)
			nook_fuseovl_failed(fuse, 1000, err);
		/* the payload's exec failed (126/127) or setup failed (125) */
		r = -EINVAL;
		res->exit_status = err->exit_status;
	} else if (fuse_died) {
		/* ferr: "fuse-overlayfs HOW before it served the overlay root (LAYERS)..." */
		char *cut = strstr(ferr.msg, " before it served");
		if (cut)
			*cut = '\0';
		nook_errx(err, EIO, "%s while the container ran: the payload lost its root filesystem (the overlay root it served)",
			  ferr.msg);
		snprintf(res->helper_died, sizeof res->helper_died, "%s", err->msg);
		r = -EIO;
		res->exit_status = NOOK_EXIT_FAILURE;
	} else if (rs.timed_out) {
		res->exit_status = 124;
		snprintf(res->note, sizeof res->note, "timed out after %llu.%03llus",
			 (unsigned long long)(s->timeout_ms / 1000), (unsigned long long)(s->timeout_ms % 1000));
	} else if (res->exit_status != 0) {
		nook_caps_hint(s, res->note, sizeof res->note);
	}
	goto out;

kill:
	nook_pidfd_kill_reap(rs.pidfd);
out:
	if (cg) {
		nook_cgroup_finish(cg, res);
		nook_cgroup_free(cg);
	}
	nook_net_stop(net);
	nook_desktop_stop(desk);
	nook_fuseovl_stop(fuse);
	nook_security_free(sec);
	nook_pty_relay_done(&rs.pty);
	nook_stdio_done(&rs.io);
	if (rs.pidfd >= 0)
		close(rs.pidfd);
	if (rs.sfd >= 0)
		close(rs.sfd);
	if (blocked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (rs.tfd >= 0)
		close(rs.tfd);
	nook_state_release(rs.state);
	if (rs.detached_master >= 0)
		close(rs.detached_master);
	if (rs.seccomp_fd >= 0)
		close(rs.seccomp_fd);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return r;
}
