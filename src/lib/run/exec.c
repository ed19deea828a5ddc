/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exec.c - `nook exec`: run a command inside a running named container.
 *
 * This process (the exec monitor) looks the container up (state.c), pins
 * its init with a pidfd (checking the start time against pid reuse),
 * reads back its resolved spec and prepares the same security envelope as
 * its payload. A helper forked from here joins the container: its cgroup
 * leaf, then setns(pidfd, user|mnt|pid|net|uts|ipc|cgroup) (the kernel
 * installs the user namespace first; the mount namespace brings the
 * container's root). setns(CLONE_NEWPID) only affects children, so the
 * helper vforks the command, which runs nook_payload_exec() (payload.c).
 * The helper hands us a pidfd of the command (for signals) and, with -t,
 * the pty master, then reports its wait status. We stay outside every
 * namespace, so our own /proc and files are untouched. */
#include <fcntl.h>
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
#include <sys/wait.h>
#include <unistd.h>
#include "child.h"
#include "nook/cleanup.h"
#include "nook/exec.h"
#include "nook/limits.h"
#include "payload.h"
#include "nook/profile.h"
#include "pty.h"
#include "watch.h"
#include "iorelay.h"
#include "nook/security.h"
#include "nook/spawn.h"
#include "nook/state.h"
#include "nook/sync.h"
#include "nook/util.h"
#include "nook/missing.h"

struct joiner {
	const char *name;
	const struct nook_spec *spec;
	struct nook_security *sec;
	const struct nook_stdio *io;
	int init_pidfd, cgroup_fd, sync_fd;
	unsigned long flags;
};

__attribute__((noreturn)) static void joiner_fail(const struct joiner *j, struct nook_error *err)
{
	nook_sync_send_error(j->sync_fd, err);
	_exit(err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE);
}

/* The helper: join, fork the command, report. Never returns. */
__attribute__((noreturn)) static void joiner_main(const struct joiner *j, pid_t parent)
{
	struct nook_error err = { 0 };
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(NOOK_EXIT_FAILURE);
	/* Not dumpable before we join: the command we vfork into the
	 * container shares this mm until its execve, and nothing in the
	 * container may reach our fds or memory through /proc. */
	if (prctl(PR_SET_DUMPABLE, 0) < 0) {
		nook_err(&err, errno, "cannot make nook exec's helper non-dumpable (prctl PR_SET_DUMPABLE)");
		joiner_fail(j, &err);
	}
	/* the command's stdio: pipes where nook's is a terminal */
	nook_stdio_child(j->io);
	if (j->cgroup_fd >= 0 && write(j->cgroup_fd, "0", 1) < 0) {
		nook_err(&err, errno, "cannot move into the cgroup of container '%s' (is its cgroup delegated to you?)", j->name);
		joiner_fail(j, &err);
	}
	if (setns(j->init_pidfd, (int)j->flags) < 0) {
		if (errno == ESRCH)
			nook_errx(&err, ESRCH, "container '%s' has exited", j->name);
		else
			nook_err(&err, errno, "cannot join the namespaces of container '%s' (it must belong to you)", j->name);
		joiner_fail(j, &err);
	}
	/* keep stdio, the sync socket and what the profile passes on purpose;
	 * the cgroup and pidfd above, the state directory and anything nook
	 * exec's caller leaked go before the command exists */
	int keep[NOOK_KEEP_FDS_MAX] = { 0, 1, 2, j->sync_fd };
	size_t nkeep = 4;
	for (size_t i = 0; i < j->spec->n_pass_fds && nkeep < NOOK_KEEP_FDS_MAX; i++)
		keep[nkeep++] = j->spec->pass_fds[i];
	int r = nook_close_fds_except(keep, nkeep, false);
	if (r < 0) {
		nook_err(&err, -r, "cannot close nook's file descriptors before entering container '%s'", j->name);
		joiner_fail(j, &err);
	}
	int master = -1, slave = -1;
	if (j->spec->tty && nook_pty_open(&master, &slave, &err) < 0)
		joiner_fail(j, &err);

	/* vfork: the command borrows this address space until its execve and
	 * fills perr if it cannot get there */
	struct nook_error perr = { 0 };
	volatile bool failed = false;
	pid_t pid = vfork();
	if (pid < 0) {
		nook_err(&err, errno, "cannot start the command in container '%s'", j->name);
		joiner_fail(j, &err);
	}
	if (pid == 0) {
		if (master >= 0)
			close(master);
		nook_payload_exec(j->spec, j->sec, slave, false, &perr);
		failed = true;
		_exit(perr.exit_status ? perr.exit_status : NOOK_EXIT_FAILURE);
	}
	if (slave >= 0)
		close(slave);
	int st = 0;
	if (failed) {
		waitpid(pid, NULL, 0);
		joiner_fail(j, &perr);
	}
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		nook_sync_send_fd(j->sync_fd, NOOK_MSG_PID, (int)pid, pfd);
		close(pfd);
	}
	if (master >= 0) {
		nook_sync_send_fd(j->sync_fd, NOOK_MSG_READY, 1, master);
		close(master);
	} else {
		nook_sync_send(j->sync_fd, NOOK_MSG_READY, 0, NULL);
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			_exit(NOOK_EXIT_FAILURE);
	}
	nook_sync_send(j->sync_fd, NOOK_MSG_EXIT, st, NULL);
	_exit(0);
}

struct exec_run {
	int sync_fd, sfd, helper_pidfd, payload_pidfd;
	bool helper_exited, got_exit, have_err;
	int helper_status, payload_status;
	struct nook_error child_err;
	struct nook_pty_relay pty;
	struct nook_stdio io;
	sigset_t pending;     /* signals that came before the command's pidfd */
	int ready_fd;         /* told "PID\n" once the command runs, or -1 */
	const char *console_socket; /* the pty master goes there, or NULL */
	pid_t payload_pid;
};

static void take_msg(struct exec_run *x, const struct nook_msg *m, int passed)
{
	switch (m->type) {
	case NOOK_MSG_PID:
		x->payload_pid = (pid_t)m->value;
		if (passed >= 0 && x->payload_pidfd < 0) {
			x->payload_pidfd = TAKE_FD(passed);
			/* a ^C typed as soon as the command printed something may
			 * have come before its pidfd */
			for (int sig = 1; sig < NSIG; sig++)
				if (sigismember(&x->pending, sig) == 1)
					syscall(SYS_pidfd_send_signal, x->payload_pidfd, sig, NULL, 0);
			sigemptyset(&x->pending);
		}
		break;
	case NOOK_MSG_READY:
		if (x->ready_fd >= 0) {
			dprintf(x->ready_fd, "%d\n", (int)x->payload_pid);
			close(x->ready_fd);
			x->ready_fd = -1;
		}
		if (passed >= 0 && x->console_socket) {
			struct nook_error cerr = { 0 };
			if (nook_console_send(x->console_socket, passed, &cerr) < 0 && !x->have_err) {
				x->have_err = true;
				x->child_err = cerr;
				if (x->payload_pidfd >= 0)
					syscall(SYS_pidfd_send_signal, x->payload_pidfd, SIGKILL, NULL, 0);
			}
		} else if (passed >= 0 && x->pty.master < 0) {
			fcntl(passed, F_SETFL, fcntl(passed, F_GETFL) | O_NONBLOCK);
			nook_pty_relay_init(&x->pty, TAKE_FD(passed));
		}
		break;
	case NOOK_MSG_ERROR:
		if (!x->have_err) {
			x->have_err = true;
			snprintf(x->child_err.msg, sizeof x->child_err.msg, "%s", m->text);
			nook_escape_controls(x->child_err.msg, sizeof x->child_err.msg);
			x->child_err.exit_status = m->value;
			x->child_err.code = -EINVAL;
		}
		break;
	case NOOK_MSG_EXIT:
		x->got_exit = true;
		x->payload_status = m->value;
		break;
	}
	if (passed >= 0)
		close(passed);
}

static void relay_msg(void *ctx, const struct nook_msg *m, int passed)
{
	take_msg(ctx, m, passed);
}

/* a signal for the command; one that comes before its pidfd waits */
static void relay_signal(void *ctx, int sig)
{
	struct exec_run *x = ctx;
	if (x->payload_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, x->payload_pidfd, sig, NULL, 0);
	else
		sigaddset(&x->pending, sig);
}

/* Watch the helper until it exits (watch.c). */
static int relay(struct exec_run *x, struct nook_error *err)
{
	struct nook_watch w = { .pidfd = x->helper_pidfd, .sfd = x->sfd, .sync_fd = x->sync_fd, .tfd = -1,
				.pty = &x->pty, .io = &x->io, .ctx = x, .on_msg = relay_msg,
				.on_signal = relay_signal };
	int r = nook_watch_run(&w, err);
	x->helper_exited = true;
	x->helper_status = w.wait_status;
	return r;
}

int nook_exec(const char *name, const struct nook_exec_opts *o, int *exit_status,
	      struct nook_error *err)
{
	struct nook_state_entry e;
	struct nook_spec spec;
	_cleanup_close_ int init_pidfd = -1;
	int r;

	*exit_status = NOOK_EXIT_FAILURE;
	if ((r = nook_self_limits_prepare(err)) < 0)
		return r;
	if ((r = nook_state_lookup(name, &e, err)) < 0)
		goto fail;
	/* the payload, not the init: nook's reaper is not dumpable, and
	 * setns() with a pidfd needs ptrace access to the target */
	init_pidfd = nook_state_open_payload(&e);
	if (init_pidfd < 0) {
		r = nook_errx(err, ESRCH, "container '%s' has exited (its nook run is cleaning up)", name);
		goto fail;
	}
	char spec_path[4200];
	snprintf(spec_path, sizeof spec_path, "%s/spec.yaml", e.dir);
	if ((r = nook_profile_resolve_ex(spec_path, NULL, o->argv, NOOK_PROFILE_ALLOW_NO_COMMAND, &spec, err)) < 0) {
		nook_err_prefix(err, "cannot read the spec of container '%s'", name);
		goto fail;
	}
	nook_env_set_all(&spec.env, o->env); /* linear in the number of -e */
	if (o->cwd) {
		free(spec.cwd);
		spec.cwd = nook_strdup(o->cwd);
	}
	spec.tty = o->tty;
	r = nook_exec_spec(name, init_pidfd, e.cgroup[0] ? e.cgroup : NULL, &spec, -1, NULL, exit_status, err);
	nook_spec_free(&spec);
	return r;
fail:
	if (err->exit_status == 0)
		err->exit_status = NOOK_EXIT_FAILURE;
	return r;
}

/* The namespaces of flags in which pid is not where we are: setns()
 * refuses to "join" the user namespace one is in already (a container
 * without a user namespace of its own, NOOK_USERNS_NONE), and the others
 * need no joining then. A namespace that cannot be compared stays in. */
static unsigned long other_namespaces(pid_t pid, unsigned long flags)
{
	static const struct { unsigned long flag; const char *name; } ns[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWNET, "net" },
		{ CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" }, { CLONE_NEWCGROUP, "cgroup" },
	};
	for (size_t i = 0; pid > 0 && i < sizeof ns / sizeof *ns; i++) {
		char p[64], q[64];
		struct stat a, b;
		snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)pid, ns[i].name);
		snprintf(q, sizeof q, "/proc/self/ns/%s", ns[i].name);
		if ((flags & ns[i].flag) && stat(p, &a) == 0 && stat(q, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			flags &= ~ns[i].flag;
	}
	return flags;
}

int nook_exec_spec(const char *name, int target_pidfd, const char *cgroup, const struct nook_spec *specp,
		   int ready_fd, const char *console_socket, int *exit_status, struct nook_error *err)
{
	const struct nook_spec *sp = specp;
	struct nook_security *sec = NULL;
	struct exec_run x = { .sync_fd = -1, .sfd = -1, .helper_pidfd = -1, .payload_pidfd = -1,
			      .pty = { .master = -1 }, .ready_fd = ready_fd, .console_socket = console_socket,
			      .io = { .child = { -1, -1, -1 }, .in_w = -1, .out_r = { -1, -1, -1 } } };
	_cleanup_close_ int cgroup_fd = -1;
	int sv[2] = { -1, -1 };
	sigset_t oldmask;
	bool blocked = false;
	int r;

	*exit_status = NOOK_EXIT_FAILURE;
	if ((r = nook_stdio_prepare(&x.io, sp->tty, err)) < 0)
		goto out;
	if ((r = nook_security_prepare(sp, &sec, err)) < 0)
		goto out;
	if (cgroup) {
		char procs[4200];
		snprintf(procs, sizeof procs, "%s/cgroup.procs", cgroup);
		cgroup_fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (cgroup_fd < 0) {
			r = nook_err(err, errno, "cannot join the cgroup %s of container '%s'", cgroup, name);
			goto out;
		}
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = nook_err(err, errno, "socketpair");
		goto out;
	}
	x.sfd = nook_forwarded_signalfd(&oldmask, SFD_CLOEXEC | SFD_NONBLOCK);
	blocked = true;
	if (x.sfd < 0) {
		r = nook_err(err, errno, "signalfd");
		goto out;
	}

	struct joiner j = { .name = name, .spec = sp, .sec = sec, .io = &x.io, .init_pidfd = target_pidfd,
			    .cgroup_fd = cgroup_fd, .sync_fd = sv[1],
			    .flags = other_namespaces(nook_pidfd_pid(target_pidfd),
						      (sp->ns_flags | CLONE_NEWUSER) & ~(unsigned long)CLONE_NEWTIME) };
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		r = nook_err(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		close(sv[0]);
		close(x.sfd);
		joiner_main(&j, parent);
	}
	close(sv[1]);
	sv[1] = -1;
	nook_stdio_started(&x.io);
	x.sync_fd = sv[0];
	x.helper_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (x.helper_pidfd < 0) {
		r = nook_err(err, errno, "pidfd_open");
		nook_kill_reap(pid);
		goto out;
	}
	sigemptyset(&x.pending);
	if (relay(&x, err) < 0) {
		r = -EIO;
		*exit_status = NOOK_EXIT_FAILURE;
	} else if (x.have_err) {
		*err = x.child_err;
		r = -EINVAL;
		*exit_status = err->exit_status ? err->exit_status : NOOK_EXIT_FAILURE;
	} else if (x.got_exit) {
		r = 0;
		*exit_status = nook_exit_code_of(x.payload_status);
	} else {
		r = nook_errx(err, EIO, "the helper that entered container '%s' died (%s %d)", name,
			      WIFSIGNALED(x.helper_status) ? "signal" : "status",
			      WIFSIGNALED(x.helper_status) ? WTERMSIG(x.helper_status) : WEXITSTATUS(x.helper_status));
	}
out:
	if (r < 0 && err->exit_status == 0)
		err->exit_status = NOOK_EXIT_FAILURE;
	nook_pty_relay_done(&x.pty);
	nook_stdio_done(&x.io);
	if (x.payload_pidfd >= 0)
		close(x.payload_pidfd);
	if (x.helper_pidfd >= 0)
		close(x.helper_pidfd);
	if (x.sfd >= 0)
		close(x.sfd);
	if (blocked)
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	nook_security_free(sec);
	return r;
}
