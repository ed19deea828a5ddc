/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dbus.c - the session (and system) bus through xdg-dbus-proxy.
 *
 * The proxy runs outside the sandbox as nook's child, listens on sockets
 * in nook's private directory and forwards only what the profile's policy
 * allows (--filter); the container gets the proxy's socket bound at the
 * usual place and never the real one. It is started with --fd=N, the
 * write end of a pipe: it writes one byte there when its sockets listen,
 * and exits when the read end, held by nook, is closed - so it cannot
 * outlive nook, even one killed by SIGKILL; a parent-death signal backs
 * that up. The proxy answers a call to a name outside the policy with an
 * error at once (it does not drop it). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/desktop.h"
#include "nook/error.h"
#include "nook/util.h"
#include "internal.h"

#define SYSTEM_BUS_SOCKET "/run/dbus/system_bus_socket"

/* The bus's address from nook's environment; for a unix:path= address the
 * socket must exist. NULL (and *why) when there is no usable bus. */
static char *bus_address(bool system, char *why, size_t size)
{
	const char *env = getenv(system ? "DBUS_SYSTEM_BUS_ADDRESS" : "DBUS_SESSION_BUS_ADDRESS");
	_cleanup_free_ char *addr = NULL;
	if (env && *env) {
		addr = nook_strdup(env);
	} else if (system) {
		addr = nook_strdup("unix:path=" SYSTEM_BUS_SOCKET);
	} else {
		const char *rt = getenv("XDG_RUNTIME_DIR");
		if (!rt || rt[0] != '/') {
			snprintf(why, size, "DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR are not set");
			return NULL;
		}
		addr = nook_asprintf("unix:path=%s/bus", rt);
	}
	if (strncmp(addr, "unix:path=", 10) == 0) {
		/* the path ends at the next ',' (further key=value pairs) */
		_cleanup_free_ char *path = nook_strdup(addr + 10);
		path[strcspn(path, ",")] = '\0';
		struct stat st;
		if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
			snprintf(why, size, "no bus listens at %s (%s)", path,
				 stat(path, &st) < 0 ? strerror(errno) : "not a socket");
			return NULL;
		}
	}
	return TAKE_PTR(addr);
}

static void push_rules(char ***argv, const char *opt, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++) {
		_cleanup_free_ char *a = nook_asprintf("--%s=%s", opt, v[i]);
		nook_strv_push(argv, a);
	}
}

/* ADDRESS PATH --filter and the policy, for one bus */
static void push_bus(char ***argv, const char *addr, const char *path, const struct nook_dbus_bus *b,
		     const char *app_id, bool log)
{
	nook_strv_push(argv, addr);
	nook_strv_push(argv, path);
	nook_strv_push(argv, "--filter");
	if (log)
		nook_strv_push(argv, "--log");
	push_rules(argv, "see", b->see);
	push_rules(argv, "talk", b->talk);
	push_rules(argv, "own", b->own);
	if (app_id) {
		/* the app's own name, and those below it (flatpak's convention) */
		_cleanup_free_ char *a = nook_asprintf("--own=%s", app_id);
		_cleanup_free_ char *b2 = nook_asprintf("--own=%s.*", app_id);
		nook_strv_push(argv, a);
		nook_strv_push(argv, b2);
	}
	push_rules(argv, "call", b->call);
	push_rules(argv, "broadcast", b->broadcast);
}

static void log_tail(int fd, char *buf, size_t size)
{
	char log[2048];
	buf[0] = '\0';
	if (!nook_read_tail(fd, log, sizeof log))
		return;
	char *last = strrchr(log, '\n');
	snprintf(buf, size, ": %s", last ? last + 1 : log);
	nook_escape_controls(buf, size);
}

static int spawn_proxy(struct nook_desktop *d, const char *path, char **argv, int sync_w, bool log,
		       struct nook_error *err)
{
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return nook_err(err, errno, "cannot open /dev/null");
	if (!log) {
		d->log_fd = open(d->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (d->log_fd < 0)
			return nook_err(err, errno, "cannot create a log file in %s for xdg-dbus-proxy", d->dir);
	}
	if (nook_verbose_level > 0) {
		char line[NOOK_ERR_MAX];
		size_t off = 0;
		line[0] = '\0';
		for (size_t i = 0; argv[i] && off < sizeof line; i++)
			off += (size_t)snprintf(line + off, sizeof line - off, "%s%s", i ? " " : "", argv[i]);
		nook_verbose("starting %s", line);
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0)
		return nook_err(err, errno, "cannot fork to start xdg-dbus-proxy");
	if (pid == 0) {
		/* async-signal-safe calls only */
		if (nook_helper_child_setup(parent) < 0)
			_exit(127);
		int out = log ? 2 : d->log_fd;
		if (dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
			_exit(127);
		if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 || fcntl(sync_w, F_SETFD, 0) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	d->proxy_pid = pid;
	d->proxy_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

/* Wait for the proxy's byte on the sync pipe; fail if it exits first. */
static int wait_ready(struct nook_desktop *d, struct nook_error *err)
{
	uint64_t deadline = nook_now_ns() + (uint64_t)NOOK_DBUS_READY_TIMEOUT_MS * 1000000u;
	for (;;) {
		struct pollfd p[2] = { { .fd = d->proxy_sync, .events = POLLIN },
				       { .fd = d->proxy_pidfd, .events = POLLIN } };
		uint64_t now = nook_now_ns();
		int ms = now >= deadline ? 0 : (int)((deadline - now) / 1000000u) + 1;
		int n = poll(p, d->proxy_pidfd >= 0 ? 2 : 1, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return nook_err(err, errno, "poll");
		if (n == 0)
			return nook_errx(err, ETIMEDOUT, "xdg-dbus-proxy did not get ready within %d s",
					 NOOK_DBUS_READY_TIMEOUT_MS / 1000);
		if (p[0].revents & POLLIN) {
			char c;
			ssize_t got = read(d->proxy_sync, &c, 1);
			if (got == 1)
				return 0;
		}
		if (p[0].revents || p[1].revents) {
			/* EOF on the pipe or the proxy exited: it failed */
			char how[64] = "failed", tail[400];
			int status;
			if (d->proxy_pidfd >= 0) {
				struct pollfd q = { .fd = d->proxy_pidfd, .events = POLLIN };
				(void)poll(&q, 1, 1000);
			}
			if (waitpid(d->proxy_pid, &status, WNOHANG) == d->proxy_pid) {
				d->proxy_pid = 0;
				if (WIFEXITED(status))
					snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
				else if (WIFSIGNALED(status))
					snprintf(how, sizeof how, "was killed by signal %d", WTERMSIG(status));
			}
			log_tail(d->log_fd, tail, sizeof tail);
			return nook_errx(err, EIO, "xdg-dbus-proxy %s before its sockets were ready%s", how, tail);
		}
	}
}

int nook_dbus_start(const struct nook_spec *s, struct nook_desktop *d, struct nook_error *err)
{
	char why[300] = "";
	_cleanup_free_ char *session = NULL, *system = NULL;
	bool want_session = nook_dbus_bus_on(&s->dbus_session), want_system = nook_dbus_bus_on(&s->dbus_system);

	if (want_session && !(session = bus_address(false, why, sizeof why))) {
		if (s->dbus_required)
			return nook_errx(err, ENOENT, "the profile proxies the session D-Bus (dbus.session), but there is no session bus: %s "
					 "(start one, or set dbus.required: false to run without it)", why);
		nook_warn("no session D-Bus (%s): the container runs without one", why);
	}
	if (want_system && !(system = bus_address(true, why, sizeof why))) {
		if (s->dbus_required)
			return nook_errx(err, ENOENT, "the profile proxies the system D-Bus (dbus.system), but there is no system bus: %s "
					 "(or set dbus.required: false to run without it)", why);
		nook_warn("no system D-Bus (%s): the container runs without one", why);
	}
	if (!session && !system)
		return 0;

	_cleanup_free_ char *prog = nook_find_program("xdg-dbus-proxy", getenv("PATH"));
	if (!prog) {
		if (s->dbus_required)
			return nook_errx(err, ENOENT, "the profile filters D-Bus (dbus:), but xdg-dbus-proxy is not installed (not found in PATH): "
					 "install it with 'apt-get install xdg-dbus-proxy' (or set dbus.required: false to run without D-Bus)");
		nook_warn("xdg-dbus-proxy is not installed (apt-get install xdg-dbus-proxy): the container runs without D-Bus");
		return 0;
	}

	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	d->proxy_sync = pfd[0];
	_cleanup_strv_ char **argv = NULL;
	_cleanup_free_ char *fdopt = nook_asprintf("--fd=%d", pfd[1]);
	_cleanup_free_ char *spath = nook_path_join(d->dir, "bus");
	_cleanup_free_ char *ypath = nook_path_join(d->dir, "system_bus");
	nook_strv_push(&argv, "xdg-dbus-proxy");
	nook_strv_push(&argv, fdopt);
	if (session)
		push_bus(&argv, session, spath, &s->dbus_session, s->app_id, s->dbus_log);
	if (system)
		push_bus(&argv, system, ypath, &s->dbus_system, NULL, s->dbus_log);
	int r = spawn_proxy(d, prog, argv, pfd[1], s->dbus_log, err);
	close(pfd[1]);
	if (r < 0)
		return r;
	if ((r = wait_ready(d, err)) < 0)
		return r;

	if (session) {
		_cleanup_free_ char *target = nook_path_join(nook_desktop_runtime_dir(&d->run), "bus");
		_cleanup_free_ char *addr = nook_asprintf("unix:path=%s", target);
		nook_desktop_bind(d, spath, target, false);
		nook_desktop_setenv(d, "DBUS_SESSION_BUS_ADDRESS", addr);
		nook_verbose("session D-Bus: %s filtered by xdg-dbus-proxy, at %s in the container", session, target);
	}
	if (system) {
		nook_desktop_bind(d, ypath, SYSTEM_BUS_SOCKET, false);
		nook_desktop_setenv(d, "DBUS_SYSTEM_BUS_ADDRESS", "unix:path=" SYSTEM_BUS_SOCKET);
		nook_verbose("system D-Bus: %s filtered by xdg-dbus-proxy", system);
	}
	return 0;
}

void nook_dbus_stop(struct nook_desktop *d)
{
	if (d->proxy_pid > 0) {
		kill(d->proxy_pid, SIGKILL);
		while (waitpid(d->proxy_pid, NULL, 0) < 0 && errno == EINTR)
			;
		d->proxy_pid = 0;
	}
	if (d->proxy_pidfd >= 0)
		close(d->proxy_pidfd);
	if (d->proxy_sync >= 0)
		close(d->proxy_sync);
	if (d->log_fd >= 0)
		close(d->log_fd);
	d->proxy_pidfd = d->proxy_sync = d->log_fd = -1;
}
