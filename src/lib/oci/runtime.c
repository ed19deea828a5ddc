/* SPDX-License-Identifier: GPL-2.0-or-later */
/* runtime.c - the operations of the OCI command line.
 *
 * create: read the bundle (config.c), make the state entry (record.c) and
 * its exec.fifo, and start the container with nook's own spawn code in
 * its detached form: the container's init builds everything, then waits
 * on exec.fifo before the payload's envelope; nook_spawn returns as soon
 * as it waits. The createRuntime/prestart/createContainer hooks run, the
 * pid file is written, and create exits: the init (already the payload's
 * process, pid 1 of its namespace) is left to the caller's subreaper
 * (conmon) or to the system's init, as runc leaves it.
 * start: open exec.fifo for reading, which lets the init's open() return;
 * read its byte, remove the FIFO (the status becomes "running").
 * run: create + start in one process, which stays the init's parent and
 * waits for it (unless --detach). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/exec.h"
#include "nook/cgroup.h"
#include "nook/oci.h"
#include "nook/spawn.h"
#include "nook/state.h"
#include "nook/util.h"

static int fail1(struct nook_error *err, int r)
{
	if (err->exit_status == 0 || err->exit_status == NOOK_EXIT_FAILURE)
		err->exit_status = 1;
	return r;
}

static int pidfd_open_checked(const struct nook_oci_state *st)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return -errno;
	/* the pid may have been reused since create */
	if (st->pid_start && nook_proc_starttime(st->pid) != st->pid_start) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int write_pid_file(const char *path, pid_t pid, struct nook_error *err)
{
	char buf[32], tmp[PATH_MAX];
	int n = snprintf(buf, sizeof buf, "%d", (int)pid);
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return fail1(err, nook_errx(err, ENAMETOOLONG, "the pid file path %s is too long", path));
	int r = nook_write_file(tmp, buf, (size_t)n, O_CREAT | O_TRUNC);
	if (r < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return fail1(err, nook_err(err, r < 0 ? -r : errno, "cannot write the pid file %s", path));
	}
	return 0;
}

static char *state_json_of(struct nook_oci_state *st, enum nook_oci_status status)
{
	enum nook_oci_status old = st->status;
	st->status = status;
	char *j = nook_oci_state_json(st, false);
	st->status = old;
	return j;
}

/* Wait (up to ms) until pid has gone (or is a zombie). */
static bool wait_gone(const struct nook_oci_state *st, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		struct nook_oci_state now;
		struct nook_error e = { 0 };
		char root[4200];
		snprintf(root, sizeof root, "%s", st->dir);
		char *slash = strrchr(root, '/');
		*slash = '\0';
		if (nook_oci_state_read(root, st->id, &now, &e) < 0 || now.status == NOOK_OCI_STOPPED) {
			nook_oci_state_free(&now);
			return true;
		}
		nook_oci_state_free(&now);
		/* our own child (run): reap it */
		waitpid(st->pid, NULL, WNOHANG);
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
	}
	return false;
}

static void kill_init(struct nook_oci_state *st)
{
	int fd = pidfd_open_checked(st);
	if (fd >= 0) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	}
	wait_gone(st, 5000);
}

/* The sysctls of a namespace create joined (not one the container makes)
 * are written from here, where we hold the privileges over it that the
 * container's own user namespace lacks; the rest stay for the init. */
static int joined_sysctls(struct nook_oci_config *cfg, struct nook_error *err)
{
	bool net = false, ipc = false;
	for (size_t i = 0; i < cfg->n_join; i++) {
		net |= cfg->join[i].flag == CLONE_NEWNET;
		ipc |= cfg->join[i].flag == CLONE_NEWIPC;
	}
	char **keep = NULL;
	for (size_t i = 0; cfg->spec.sysctl && cfg->spec.sysctl[i]; i++) {
		const char *kv = cfg->spec.sysctl[i], *eq = strchr(kv, '=');
		bool here = (net && strncmp(kv, "net.", 4) == 0) ||
			    (ipc && (strncmp(kv, "kernel.shm", 10) == 0 || strncmp(kv, "kernel.msg", 10) == 0 ||
				     strncmp(kv, "kernel.sem", 10) == 0 || strncmp(kv, "fs.mqueue.", 10) == 0));
		if (!here || !eq) {
			nook_strv_push(&keep, kv);
			continue;
		}
		char path[512];
		int n = snprintf(path, sizeof path, "/proc/sys/%.*s", (int)(eq - kv), kv);
		for (char *p = path + 10; n > 0 && *p; p++)
			if (*p == '.')
				*p = '/';
		int r = nook_write_file(path, eq + 1, strlen(eq + 1), 0);
		if (r < 0) {
			nook_strv_free(keep);
			return fail1(err, nook_err(err, -r, "cannot set the sysctl %.*s (linux.sysctl)", (int)(eq - kv), kv));
		}
	}
	nook_strv_free(cfg->spec.sysctl);
	cfg->spec.sysctl = keep;
	return 0;
}

/* The part of create that run shares; leaves the init waiting on the
 * FIFO and fills st (and *cfg, which the caller frees). */
static int create_container(const struct nook_oci_opts *o, const struct nook_oci_create *c, struct nook_oci_state *st,
			    struct nook_oci_config *cfg, int *master, struct nook_error *err)
{
	_cleanup_free_ char *text = NULL, *sj = NULL;
	char root[4096];
	int r;
	bool made = false;
	memset(cfg, 0, sizeof *cfg);
	memset(st, 0, sizeof *st);
	if ((r = nook_oci_root(o->root, true, root, sizeof root, err)) < 0)
		return r;
	if (!nook_oci_id_valid(c->id))
		return fail1(err, nook_errx(err, EINVAL, "invalid character in container ID '%s' (letters, digits, '-', '_', '.', '+'; not starting with '.')", c->id));
	if ((r = nook_oci_config_load(c->bundle, c->config, cfg, err)) < 0)
		return r;
	if (cfg->spec.tty && !c->console_socket && !c->foreground) {
		r = fail1(err, nook_errx(err, EINVAL, "process.terminal is true: use --console-socket to receive the terminal "
					 "(the container outlives this command)"));
		goto fail;
	}
	if (o->debug && cfg->notes[0])
		fprintf(stderr, "nook-oci: accepted without effect: %s\n", cfg->notes);
	if ((r = nook_oci_state_create(root, c->id, st, err)) < 0)
		goto fail;
	made = true;
	snprintf(st->bundle, sizeof st->bundle, "%s", cfg->bundle);
	st->annotations_json = nook_strdup(cfg->annotations_json);
	if ((r = nook_oci_state_write(st, err)) < 0)
		goto fail;

	/* what exec and delete read back */
	char path[4200], cfgfile[PATH_MAX + 64];
	const char *cn = c->config && c->config[0] ? c->config : "config.json";
	if (cn[0] == '/')
		snprintf(cfgfile, sizeof cfgfile, "%s", cn);
	else
		snprintf(cfgfile, sizeof cfgfile, "%s/%s", cfg->bundle, cn);
	size_t len = 0;
	snprintf(path, sizeof path, "%s/config.json", st->dir);
	text = nook_read_file(cfgfile, 16 << 20, &len);
	if (!text || (r = nook_write_file(path, text, len, O_CREAT | O_TRUNC)) < 0) {
		r = fail1(err, nook_err(err, text ? -r : errno, "cannot keep a copy of %s in %s", cfgfile, st->dir));
		goto fail;
	}
	if (cfg->seccomp_json) {
		snprintf(path, sizeof path, "%s/seccomp.json", st->dir);
		if ((r = nook_write_file(path, cfg->seccomp_json, strlen(cfg->seccomp_json), O_CREAT | O_TRUNC)) < 0) {
			r = fail1(err, nook_err(err, -r, "cannot write %s", path));
			goto fail;
		}
		cfg->spec.seccomp_file = nook_strdup(path);
	}
	snprintf(path, sizeof path, "%s/exec.fifo", st->dir);
	if (mkfifo(path, 0600) < 0) {
		r = fail1(err, nook_err(err, errno, "cannot create %s", path));
		goto fail;
	}
	/* the container's root opens it for writing once it has taken uid 0
	 * of its map: when that is not us (podman's --userns=nomap or auto),
	 * it must be its (as runc does) */
	for (size_t i = 0; i < cfg->spec.n_uid_maps; i++) {
		if (cfg->spec.uid_maps[i].inside != 0)
			continue;
		gid_t g = (gid_t)-1;
		for (size_t k = 0; k < cfg->spec.n_gid_maps; k++)
			if (cfg->spec.gid_maps[k].inside == 0)
				g = (gid_t)cfg->spec.gid_maps[k].outside;
		if ((uid_t)cfg->spec.uid_maps[i].outside != getuid() && chown(path, (uid_t)cfg->spec.uid_maps[i].outside, g) < 0)
			nook_verbose("cannot give %s to the container's root (%lu): %s", path,
				     cfg->spec.uid_maps[i].outside, strerror(errno));
	}
	cfg->spec.start_fifo = nook_strdup(path);
	cfg->spec.detach = true;
	/* socket activation (LISTEN_FDS in our environment): the fds after
	 * stdio go on, and the payload, pid 1, is their LISTEN_PID */
	unsigned nfds = c->preserve_fds;
	const char *lf = getenv("LISTEN_FDS");
	if (lf && atoi(lf) > 0 && atoi(lf) < 1000) {
		char kv[64];
		nfds += (unsigned)atoi(lf);
		snprintf(kv, sizeof kv, "LISTEN_FDS=%d", atoi(lf));
		nook_env_set_all(&cfg->spec.env, (char *const[]){ kv, (char *)"LISTEN_PID=1", NULL });
	}
	nook_oci_default_home(&cfg->spec);
	for (unsigned i = 0; i < nfds; i++) {
		/* --preserve-fds N counts fds; the ones not open are left out */
		if (fcntl(3 + (int)i, F_GETFD) < 0)
			continue;
		cfg->spec.pass_fds = nook_xrealloc(cfg->spec.pass_fds, (cfg->spec.n_pass_fds + 1) * sizeof(int));
		cfg->spec.pass_fds[cfg->spec.n_pass_fds++] = 3 + (int)i;
	}

	/* namespaces to join: each path checked first (a namespace file of
	 * its type), then this process enters them, the user namespace
	 * first (it gives us the privileges over the others it owns), and
	 * the container is cloned into them (needs CAP_SYS_ADMIN over them:
	 * an engine such as rootless podman runs us inside its own user
	 * namespace). The mount namespace is the container init's to enter
	 * (spec.join_mnt_ns): this process keeps its view of the files; the
	 * pid namespace is spawn's to clone it into (spec.join_pid_ns). */
	int nsfd[8];
	size_t nopen = 0;
	for (; nopen < cfg->n_join; nopen++)
		if ((nsfd[nopen] = nook_oci_ns_open(cfg, nopen, err)) < 0)
			break;
	r = nopen < cfg->n_join ? -EINVAL : 0;
	for (int pass = 0; pass < 2 && r == 0; pass++) {
		for (size_t i = 0; i < cfg->n_join && r == 0; i++) {
			unsigned long f = cfg->join[i].flag;
			if ((pass == 0) != (f == CLONE_NEWUSER) || f == CLONE_NEWNS || f == CLONE_NEWPID)
				continue;
			if (setns(nsfd[i], (int)f) < 0)
				r = nook_err(err, errno, "%s: linux.namespaces[%u]: cannot join the namespace %s%s", cfg->file,
					     cfg->join[i].index, cfg->join[i].path,
					     errno == EPERM ? ": it belongs to a user namespace where you have no privileges "
							      "(join that user namespace too)" : "");
		}
	}
	for (size_t i = 0; i < nopen; i++)
		close(nsfd[i]);
	if (r < 0) {
		fail1(err, r);
		goto fail;
	}
	if (o->debug && cfg->userns_note[0])
		fprintf(stderr, "nook-oci: %s\n", cfg->userns_note);

	if ((r = joined_sysctls(cfg, err)) < 0)
		goto fail;

	/* a cgroup leaf of its own: cgroupsPath, else one named after the id
	 * (made where a delegated cgroup v2 allows; limits need it) */
	char leaf[1024];
	if (cfg->cgroups_path)
		snprintf(leaf, sizeof leaf, "%s", cfg->cgroups_path);
	else
		snprintf(leaf, sizeof leaf, "oci-%.*s", 240, st->id);
	cfg->spec.cgroup_leaf = nook_strdup(leaf);

	struct nook_result res;
	if ((r = nook_spawn(&cfg->spec, &res, err)) < 0) {
		fail1(err, r);
		goto fail;
	}
	snprintf(st->cgroup, sizeof st->cgroup, "%s", res.cgroup_path);
	st->pid = res.init_pid;
	st->pid_start = nook_proc_starttime(res.init_pid);
	if (cfg->seccomp_listener && res.seccomp_fd < 0) {
		if (res.pty_master >= 0)
			close(res.pty_master);
		r = fail1(err, nook_errx(err, EPROTO, "the container's init did not hand over its seccomp listener "
					 "(linux.seccomp.listenerPath)"));
		goto kill;
	}
	if (res.seccomp_fd >= 0) {
		/* the seccomp agent gets the listener before anything else runs */
		_cleanup_free_ char *pj = state_json_of(st, NOOK_OCI_CREATING);
		r = nook_oci_seccomp_send(cfg, res.seccomp_fd, st->pid, pj, err);
		close(res.seccomp_fd);
		if (r < 0) {
			if (res.pty_master >= 0)
				close(res.pty_master);
			fail1(err, r);
			goto kill;
		}
	}
	if (res.pty_master >= 0) {
		if (c->console_socket)
			r = nook_console_send(c->console_socket, res.pty_master, err) < 0 ? fail1(err, -EIO) : 0;
		if (c->console_socket || !master)
			close(res.pty_master);
		else
			*master = res.pty_master; /* run in the foreground relays it */
		if (r < 0)
			goto kill;
	}
	if (cfg->oom_score_adj != INT32_MIN) {
		char p[64], v[32];
		snprintf(p, sizeof p, "/proc/%d/oom_score_adj", (int)st->pid);
		int n = snprintf(v, sizeof v, "%d", cfg->oom_score_adj);
		if ((r = nook_write_file(p, v, (size_t)n, 0)) < 0) {
			r = fail1(err, nook_err(err, -r, "cannot set process.oomScoreAdj to %d (a rootless runtime may only raise it)",
						cfg->oom_score_adj));
			goto kill;
		}
	}
	if ((r = nook_oci_state_write(st, err)) < 0)
		goto kill;
	sj = state_json_of(st, NOOK_OCI_CREATING);
	static const enum nook_oci_hook_kind create_hooks[] = { NOOK_HOOK_PRESTART, NOOK_HOOK_CREATE_RUNTIME,
								NOOK_HOOK_CREATE_CONTAINER };
	for (size_t i = 0; i < 3; i++)
		if ((r = nook_oci_hooks_run(cfg, create_hooks[i], sj, err)) < 0)
			goto kill;
	if (c->pid_file && (r = write_pid_file(c->pid_file, st->pid, err)) < 0)
		goto kill;
	st->created_done = true;
	if ((r = nook_oci_state_write(st, err)) < 0)
		goto kill;
	st->status = NOOK_OCI_CREATED;
	return 0;
kill:
	kill_init(st);
	if (st->cgroup[0])
		nook_cgroup_remove(st->cgroup);
fail:
	if (made)
		nook_oci_state_remove(st);
	nook_oci_state_free(st);
	nook_oci_config_free(cfg);
	return fail1(err, r);
}

int nook_oci_do_create(const struct nook_oci_opts *o, const struct nook_oci_create *c, struct nook_error *err)
{
	struct nook_oci_state st;
	struct nook_oci_config cfg;
	int r = create_container(o, c, &st, &cfg, NULL, err);
	if (r < 0)
		return r;
	nook_oci_state_free(&st);
	nook_oci_config_free(&cfg);
	return 0;
}

static int load_copy(const struct nook_oci_state *st, struct nook_oci_config *cfg, struct nook_error *err)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/config.json", st->dir);
	int r = nook_oci_config_load(st->bundle, path, cfg, err);
	if (r < 0)
		return fail1(err, r);
	if (cfg->seccomp_json) {
		snprintf(path, sizeof path, "%s/seccomp.json", st->dir);
		cfg->spec.seccomp_file = nook_strdup(path);
	}
	return 0;
}

static int read_state(const struct nook_oci_opts *o, const char *id, struct nook_oci_state *st, struct nook_error *err)
{
	char root[4096];
	int r = nook_oci_root(o->root, false, root, sizeof root, err);
	if (r < 0)
		return r;
	return nook_oci_state_read(root, id, st, err);
}

static int start_container(struct nook_oci_state *st, struct nook_error *err)
{
	_cleanup_free_ char *rj = NULL;
	struct nook_oci_config cfg;
	int r;
	if (st->status != NOOK_OCI_CREATED)
		return fail1(err, nook_errx(err, EINVAL, "cannot start container '%s': it is %s, not created", st->id,
					    nook_oci_status_name(st->status)));
	if ((r = load_copy(st, &cfg, err)) < 0)
		return r;
	char fifo[4200];
	snprintf(fifo, sizeof fifo, "%s/exec.fifo", st->dir);
	_cleanup_close_ int pidfd = pidfd_open_checked(st);
	_cleanup_close_ int fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || pidfd < 0) {
		r = fail1(err, nook_err(err, fd < 0 ? errno : ESRCH, "cannot start container '%s'", st->id));
		goto out;
	}
	char b;
	bool exited = false;
	for (int tries = 0;; tries++) {
		ssize_t n = read(fd, &b, 1);
		if (n == 1)
			break;
		/* the init may have taken its byte's way and exited already:
		 * one more read after it is gone decides */
		if (exited || tries > 100) {
			r = fail1(err, nook_errx(err, ESRCH, "cannot start container '%s': its init has exited", st->id));
			goto out;
		}
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		if (poll(p, 2, 100) < 0 && errno != EINTR) {
			r = fail1(err, nook_err(err, errno, "poll"));
			goto out;
		}
		exited = p[1].revents & POLLIN;
	}
	unlink(fifo);
	rj = state_json_of(st, NOOK_OCI_RUNNING);
	/* a failing poststart hook fails start and removes the container,
	 * as crun does */
	if ((r = nook_oci_hooks_run(&cfg, NOOK_HOOK_POSTSTART, rj, err)) < 0) {
		kill_init(st);
		nook_oci_state_remove(st);
	}
out:
	nook_oci_config_free(&cfg);
	return r < 0 ? fail1(err, r) : 0;
}

int nook_oci_do_start(const struct nook_oci_opts *o, const char *id, struct nook_error *err)
{
	struct nook_oci_state st;
	int r = read_state(o, id, &st, err);
	if (r < 0)
		return r;
	r = start_container(&st, err);
	nook_oci_state_free(&st);
	return r;
}

static void poststop(struct nook_oci_state *st)
{
	struct nook_oci_config cfg;
	struct nook_error e = { 0 };
	if (load_copy(st, &cfg, &e) < 0)
		return;
	_cleanup_free_ char *sj = state_json_of(st, NOOK_OCI_STOPPED);
	if (nook_oci_hooks_run(&cfg, NOOK_HOOK_POSTSTOP, sj, &e) < 0)
		fprintf(stderr, "nook-oci: %s\n", e.msg);
	nook_oci_config_free(&cfg);
}

/* the foreground run's terminal: copy between our stdio and the pty master */
static void relay_pty(int master, int pidfd)
{
	char buf[4096];
	/* a terminal is read only by its foreground process group (else
	 * SIGTTIN would stop us) */
	bool in_open = !isatty(0) || tcgetpgrp(0) == getpgrp();
	for (;;) {
		struct pollfd p[3] = { { .fd = master, .events = POLLIN }, { .fd = in_open ? 0 : -1, .events = POLLIN },
				       { .fd = pidfd, .events = POLLIN } };
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			return;
		if (p[0].revents) {
			ssize_t n = read(master, buf, sizeof buf);
			if (n <= 0)
				return;
			if (write(1, buf, (size_t)n) < 0)
				return;
			continue;
		}
		if (p[1].revents) {
			ssize_t n = read(0, buf, sizeof buf);
			if (n <= 0 || write(master, buf, (size_t)n) < 0)
				in_open = false;
		}
		if (p[2].revents)
			return;
	}
}

int nook_oci_do_run(const struct nook_oci_opts *o, const struct nook_oci_create *c, int *exit_code,
		    struct nook_error *err)
{
	struct nook_oci_state st;
	struct nook_oci_config cfg;
	struct nook_oci_create fc = *c;
	fc.foreground = !c->detach;
	*exit_code = 1;
	int master = -1;
	int r = create_container(o, &fc, &st, &cfg, c->detach ? NULL : &master, err);
	if (r < 0)
		return r;
	nook_oci_config_free(&cfg);
	if ((r = start_container(&st, err)) < 0) {
		if (master >= 0)
			close(master);
		kill_init(&st);
		nook_oci_state_remove(&st);
		nook_oci_state_free(&st);
		return r;
	}
	if (c->detach) {
		if (master >= 0)
			close(master);
		nook_oci_state_free(&st);
		*exit_code = 0;
		return 0;
	}
	int pidfd = (int)syscall(SYS_pidfd_open, st.pid, 0);
	if (master >= 0) {
		relay_pty(master, pidfd);
		close(master);
	}
	if (pidfd >= 0)
		close(pidfd);
	int ws;
	while (waitpid(st.pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			ws = 0;
			break;
		}
	}
	*exit_code = nook_exit_code_of(ws);
	if (!c->keep) {
		st.status = NOOK_OCI_STOPPED;
		poststop(&st);
		nook_oci_state_remove(&st);
	}
	nook_oci_state_free(&st);
	return 0;
}

/* Whether pid is pid 1 of its own pid namespace (the last NSpid). */
static bool is_ns_init(pid_t pid)
{
	char p[64], line[256];
	snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	FILE *f = fopen(p, "re");
	bool one = false;
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "NSpid:", 6) == 0) {
			char *last = strrchr(line, '\t');
			one = last && atoi(last + 1) == 1;
			break;
		}
	}
	if (f)
		fclose(f);
	return one;
}

/* The init and its descendants (host pids): a container that joined
 * another's pid namespace owns only these. */
static int init_and_descendants(pid_t init, pid_t **out, size_t *n)
{
	*out = nook_xmalloc(sizeof **out);
	(*out)[(*n)++] = init;
	DIR *d = opendir("/proc");
	if (!d)
		return 0;
	/* parents before children is not guaranteed: go round until
	 * nothing is added */
	for (bool added = true; added;) {
		added = false;
		rewinddir(d);
		struct dirent *de;
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			pid_t ppid;
			if (*end || pid <= 0 || !nook_proc_stat((pid_t)pid, NULL, &ppid, NULL))
				continue;
			bool mine = false, have = false;
			for (size_t i = 0; i < *n; i++) {
				have |= (*out)[i] == (pid_t)pid;
				mine |= (*out)[i] == ppid;
			}
			if (mine && !have) {
				*out = nook_xrealloc(*out, (*n + 1) * sizeof **out);
				(*out)[(*n)++] = (pid_t)pid;
				added = true;
			}
		}
	}
	closedir(d);
	return 0;
}

/* Every process in the init's pid namespace (host pids), or the init
 * alone when it shares ours, or the init and its descendants when it
 * joined another's (linux.namespaces path: the others there are not
 * the container's). */
static int container_pids(const struct nook_oci_state *st, pid_t **out, size_t *n)
{
	char p[64], ns[128], mine[128];
	*out = NULL;
	*n = 0;
	/* with a leaf of its own: what is in its cgroup.procs */
	if (st->cgroup[0] && nook_cgroup_procs(st->cgroup, out, n) == 0)
		return 0;
	snprintf(p, sizeof p, "/proc/%d/ns/pid", (int)st->pid);
	ssize_t l = readlink(p, ns, sizeof ns - 1);
	ssize_t m = readlink("/proc/self/ns/pid", mine, sizeof mine - 1);
	if (l <= 0 || m <= 0)
		return -ESRCH;
	ns[l] = mine[m] = '\0';
	if (strcmp(ns, mine) == 0) {
		*out = nook_xmalloc(sizeof **out);
		(*out)[(*n)++] = st->pid;
		return 0;
	}
	if (!is_ns_init(st->pid))
		return init_and_descendants(st->pid, out, n);
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		char q[64], x[128];
		snprintf(q, sizeof q, "/proc/%ld/ns/pid", pid);
		ssize_t k = readlink(q, x, sizeof x - 1);
		if (k <= 0)
			continue;
		x[k] = '\0';
		if (strcmp(x, ns) == 0) {
			*out = nook_xrealloc(*out, (*n + 1) * sizeof **out);
			(*out)[(*n)++] = (pid_t)pid;
		}
	}
	closedir(d);
	return 0;
}

int nook_oci_do_kill(const struct nook_oci_opts *o, const char *id, int sig, bool all, struct nook_error *err)
{
	struct nook_oci_state st;
	int r = read_state(o, id, &st, err);
	if (r < 0)
		return r;
	if (st.status != NOOK_OCI_CREATED && st.status != NOOK_OCI_RUNNING && st.status != NOOK_OCI_PAUSED) {
		r = fail1(err, nook_errx(err, ESRCH, "container '%s' is %s: there is no process to signal", id,
					 nook_oci_status_name(st.status)));
		goto out;
	}
	if (all) {
		pid_t *pids;
		size_t n;
		if (container_pids(&st, &pids, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				kill(pids[i], sig);
			free(pids);
		}
	}
	int fd = pidfd_open_checked(&st);
	if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0) {
		int e = fd < 0 ? -fd : errno;
		if (!all || e != ESRCH)
			r = fail1(err, nook_err(err, e, "cannot signal container '%s'", id));
	}
	if (fd >= 0)
		close(fd);
out:
	nook_oci_state_free(&st);
	return r;
}

int nook_oci_do_delete(const struct nook_oci_opts *o, const char *id, bool force, struct nook_error *err)
{
	struct nook_oci_state st;
	int r = read_state(o, id, &st, err);
	if (r == -ENOENT && force)
		return 0;
	if (r < 0)
		return r;
	if (st.status != NOOK_OCI_STOPPED && !(st.status == NOOK_OCI_CREATING && st.pid <= 0)) {
		if (!force && st.status != NOOK_OCI_CREATED && st.status != NOOK_OCI_CREATING) {
			r = fail1(err, nook_errx(err, EBUSY, "cannot delete container '%s': it is %s (stop it with kill, or use delete --force)",
						 id, nook_oci_status_name(st.status)));
			goto out;
		}
		/* a created container never ran its payload: delete kills it,
		 * as runc does */
		pid_t *pids;
		size_t n;
		if (container_pids(&st, &pids, &n) == 0) {
			for (size_t i = 0; i < n; i++)
				kill(pids[i], SIGKILL);
			free(pids);
		}
		kill_init(&st);
		if (!wait_gone(&st, 5000)) {
			r = fail1(err, nook_errx(err, EBUSY, "container '%s' did not stop after SIGKILL", id));
			goto out;
		}
		st.status = NOOK_OCI_STOPPED;
	}
	if (st.cgroup[0] && (r = nook_cgroup_remove(st.cgroup)) < 0) {
		r = fail1(err, nook_err(err, -r, "cannot remove the cgroup %s of container '%s'", st.cgroup, id));
		goto out;
	}
	if (st.pid > 0)
		poststop(&st);
	nook_oci_state_remove(&st);
out:
	nook_oci_state_free(&st);
	return r;
}

/* Whether pid is this process or one of its ancestors. */
static bool descends_from(pid_t pid)
{
	pid_t p = getpid();
	for (int depth = 0; pid > 0 && p > 1 && depth < 32; depth++) {
		if (p == pid)
			return true;
		if (!nook_proc_stat(p, NULL, &p, NULL))
			return false;
	}
	return false;
}

int nook_oci_do_state(const struct nook_oci_opts *o, const char *id, char **json, struct nook_error *err)
{
	struct nook_oci_state st;
	int r = read_state(o, id, &st, err);
	if (r < 0)
		return r;
	/* as runc and crun: a container exists for `state` once create has
	 * finished; engines and crun's suite poll state after an asynchronous
	 * create and take the first answer as the result of create. Its own
	 * hooks (descendants of the create process) see "creating". */
	if (st.status == NOOK_OCI_CREATING && !descends_from(st.creator)) {
		nook_oci_state_free(&st);
		nook_errx(err, ENOENT, "container '%s' does not exist yet (it is being created)", id);
		return fail1(err, -ENOENT);
	}
	*json = nook_oci_state_json(&st, true);
	nook_oci_state_free(&st);
	return 0;
}

int nook_oci_do_ps(const struct nook_oci_opts *o, const char *id, pid_t **pids, size_t *n, struct nook_error *err)
{
	struct nook_oci_state st;
	int r = read_state(o, id, &st, err);
	if (r < 0)
		return r;
	*pids = NULL;
	*n = 0;
	if (st.status == NOOK_OCI_CREATED || st.status == NOOK_OCI_RUNNING || st.status == NOOK_OCI_PAUSED)
		container_pids(&st, pids, n);
	nook_oci_state_free(&st);
	return 0;
}

int nook_oci_do_exec(const struct nook_oci_opts *o, const struct nook_oci_exec *x, int *exit_code,
		     struct nook_error *err)
{
	_cleanup_close_ int pidfd = -1;
	struct nook_oci_state st;
	struct nook_oci_config cfg;
	*exit_code = 1;
	int r = read_state(o, x->id, &st, err);
	if (r < 0)
		return r;
	if (st.status != NOOK_OCI_RUNNING && st.status != NOOK_OCI_CREATED) {
		r = fail1(err, nook_errx(err, EINVAL, "cannot exec in container '%s': it is %s", x->id,
					 nook_oci_status_name(st.status)));
		nook_oci_state_free(&st);
		return r;
	}
	if ((r = load_copy(&st, &cfg, err)) < 0) {
		nook_oci_state_free(&st);
		return r;
	}
	struct nook_spec *s = &cfg.spec;
	/* the command enters the namespaces the container joined as well as
	 * the ones it made (exec.c leaves out those it is in already) */
	for (size_t i = 0; i < cfg.n_join; i++)
		s->ns_flags |= cfg.join[i].flag;
	if (x->process_file) {
		json_object *p = json_object_from_file(x->process_file);
		if (!p) {
			r = fail1(err, nook_errx(err, EINVAL, "%s: not valid JSON", x->process_file));
			goto out;
		}
		/* a fresh process: nothing of the config's own carries over */
		nook_strv_free(s->argv);
		s->argv = NULL;
		s->tty = false;
		r = nook_oci_process_apply(p, x->process_file, s, err);
		json_object_put(p);
		if (r < 0)
			goto out;
		if (!s->argv) {
			r = fail1(err, nook_errx(err, EINVAL, "%s: process.args: missing", x->process_file));
			goto out;
		}
	} else {
		if (!x->argv || !x->argv[0]) {
			r = fail1(err, nook_errx(err, EINVAL, "exec: no command given"));
			goto out;
		}
		nook_strv_free(s->argv);
		s->argv = nook_strv_copy(x->argv);
		s->tty = x->tty;
	}
	if (x->tty)
		s->tty = true;
	if (!x->process_file)
		s->no_new_privs = x->no_new_privs; /* as crun: only when asked for */
	else if (x->no_new_privs)
		s->no_new_privs = true;
	nook_env_set_all(&s->env, x->env);
	nook_oci_default_home(s);
	if (x->cwd) {
		free(s->cwd);
		s->cwd = nook_strdup(x->cwd);
	}
	if (x->user) {
		char *end;
		unsigned long u = strtoul(x->user, &end, 10);
		unsigned long g = s->gid;
		if (*end == ':')
			g = strtoul(end + 1, &end, 10);
		if (*end || end == x->user) {
			r = fail1(err, nook_errx(err, EINVAL, "--user %s: give UID[:GID] as numbers", x->user));
			goto out;
		}
		s->uid = (uid_t)u;
		s->gid = (gid_t)g;
	}
	for (size_t i = 0; x->caps && x->caps[i]; i++)
		nook_strv_push(&s->cap_add, strncasecmp(x->caps[i], "CAP_", 4) == 0 ? x->caps[i] + 4 : x->caps[i]);
	free(s->pass_fds);
	s->pass_fds = NULL;
	s->n_pass_fds = 0;
	for (unsigned i = 0; i < x->preserve_fds; i++) {
		if (fcntl(3 + (int)i, F_GETFD) < 0)
			continue;
		s->pass_fds = nook_xrealloc(s->pass_fds, (s->n_pass_fds + 1) * sizeof(int));
		s->pass_fds[s->n_pass_fds++] = 3 + (int)i;
	}
	if (s->tty && x->detach && !x->console_socket) {
		r = fail1(err, nook_errx(err, EINVAL, "exec --detach with a terminal: use --console-socket to receive it"));
		goto out;
	}
	if (x->detach) {
		/* the exec monitor stays as the command's parent, in the
		 * background; it says the command's pid once it runs, or why
		 * it could not start it */
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0) {
			r = fail1(err, nook_err(err, errno, "pipe"));
			goto out;
		}
		pid_t pid = fork();
		if (pid < 0) {
			close(p[0]);
			close(p[1]);
			r = fail1(err, nook_err(err, errno, "fork"));
			goto out;
		}
		if (pid == 0) {
			close(p[0]);
			setsid();
			int code = 1;
			struct nook_error e = { 0 };
			int cpidfd = pidfd_open_checked(&st);
			if (cpidfd < 0)
				nook_errx(&e, ESRCH, "container '%s' has exited", x->id);
			int dfd = fcntl(p[1], F_DUPFD_CLOEXEC, 0);
			if (cpidfd < 0 || nook_exec_spec(x->id, cpidfd, st.cgroup[0] ? st.cgroup : NULL, s, p[1], x->console_socket, &code, &e) < 0)
				dprintf(dfd, "E%s\n", e.msg);
			_exit(code);
		}
		close(p[1]);
		char buf[NOOK_ERR_MAX + 8] = "";
		size_t got = 0;
		ssize_t n;
		/* one line: the monitor keeps a copy of the pipe for a late
		 * error, so EOF would wait for the command to end */
		while (got < sizeof buf - 1 && !memchr(buf, '\n', got) &&
		       (n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
			got += (size_t)n;
		close(p[0]);
		buf[got] = '\0';
		if (buf[0] < '0' || buf[0] > '9') {
			buf[strcspn(buf, "\n")] = '\0';
			r = fail1(err, nook_errx(err, EINVAL, "%s", buf[0] == 'E' ? buf + 1 : "the command did not start"));
			goto out;
		}
		/* the pid file names the monitor, not the command: the one
		 * whose exit status conmon (a subreaper, the monitor's new
		 * parent once we exit) can wait for. The monitor exits with
		 * the command's status and forwards signals to it. */
		if (x->pid_file && (r = write_pid_file(x->pid_file, pid, err)) < 0)
			goto out;
		*exit_code = 0;
		r = 0;
		goto out;
	}
	pidfd = pidfd_open_checked(&st);
	if (pidfd < 0) {
		r = fail1(err, nook_errx(err, ESRCH, "container '%s' has exited", x->id));
		goto out;
	}
	if (x->pid_file && (r = write_pid_file(x->pid_file, getpid(), err)) < 0)
		goto out;
	r = nook_exec_spec(x->id, pidfd, st.cgroup[0] ? st.cgroup : NULL, s, -1, x->console_socket, exit_code, err);
	if (r < 0 && err->exit_status == NOOK_EXIT_FAILURE)
		err->exit_status = 1;
out:
	nook_oci_config_free(&cfg);
	nook_oci_state_free(&st);
	return r;
}

int nook_oci_do_pause(const struct nook_oci_opts *o, const char *id, bool pause, struct nook_error *err)
{
	struct nook_oci_state st;
	int r = read_state(o, id, &st, err);
	if (r < 0)
		return r;
	if (!st.cgroup[0]) {
		r = fail1(err, nook_errx(err, ENOTSUP, "cannot %s container '%s': the cgroup freezer needs the container in a "
					 "cgroup leaf of its own, and it has none (nook makes one only under a delegated cgroup v2; "
					 "see nook check)", pause ? "pause" : "resume", id));
	} else if (pause && st.status != NOOK_OCI_RUNNING) {
		r = fail1(err, nook_errx(err, EINVAL, "cannot pause container '%s': it is %s", id,
					 nook_oci_status_name(st.status)));
	} else if (!pause && st.status != NOOK_OCI_PAUSED) {
		r = fail1(err, nook_errx(err, EINVAL, "cannot resume container '%s': it is %s, not paused", id,
					 nook_oci_status_name(st.status)));
	} else if ((r = nook_cgroup_freeze(st.cgroup, pause, 10000, err)) < 0) {
		nook_err_prefix(err, "cannot %s container '%s'", pause ? "pause" : "resume", id);
		r = fail1(err, r);
	}
	nook_oci_state_free(&st);
	return r;
}
