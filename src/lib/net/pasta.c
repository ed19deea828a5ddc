/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pasta.c - user-mode networking with pasta (package passt).
 *
 * pasta joins the container's user and network namespaces by pid and is
 * configured to look like slirp4netns: tap0 with 10.0.2.100/24, gateway
 * 10.0.2.2 (mapped to the host's loopback only with allow_host_loopback),
 * DNS forwarded from 10.0.2.3. It stays in the foreground as nook's child
 * with a parent-death signal, so it dies with nook; it writes its pid file
 * once the namespace is configured and the ports are bound, which is our
 * "ready". Nothing is forwarded automatically: every -t/-u/-T/-U is given. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/net.h"
#include "nook/util.h"
#include "helper.h"

#define MAX_ARGS 64

/* One -t/-u argument per published port: "ADDR/HOST:CONTAINER". */
static char *port_arg(const struct nook_port *p)
{
	return nook_asprintf("%s/%u:%u", p->host_addr ? p->host_addr : "127.0.0.1", p->host_port,
			     p->container_port);
}

/* A complete pid file has a number and a newline. */
static bool pidfile_written(int dirfd)
{
	char buf[32];
	ssize_t got;
	int fd = openat(dirfd, "pasta.pid", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return got > 1 && buf[got - 1] == '\n';
}

static int wait_ready(struct nook_net *n, pid_t child, struct nook_error *err)
{
	uint64_t deadline = nook_now_ns() + (uint64_t)NOOK_NET_READY_TIMEOUT_MS * 1000000u;
	_cleanup_close_ int ino = -1, dirfd = -1;
	char what[96], evbuf[4096];

	snprintf(what, sizeof(what), "could not set up the network of pid %d and", (int)child);
	dirfd = open(n->tmpdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return nook_err(err, errno, "cannot open %s", n->tmpdir);
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ino >= 0 && inotify_add_watch(ino, n->tmpdir, IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO) < 0) {
		close(ino);
		ino = -1;
	}
	for (;;) {
		struct pollfd pfd[2];
		int nfd = 0, left, pr;

		if (pidfile_written(dirfd))
			return 0;
		if (nook_net_helper_exited(n))
			return nook_net_helper_failed(n, what, err);
		left = nook_net_ms_left(deadline);
		if (left == 0) {
			nook_net_helper_failed(n, "did not bring the network up within 10 s; it", err);
			return -ETIMEDOUT;
		}
		if (ino >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = ino, .events = POLLIN };
		if (n->pidfd >= 0)
			pfd[nfd++] = (struct pollfd){ .fd = n->pidfd, .events = POLLIN };
		/* without inotify or a pidfd, look again every few ms */
		pr = poll(pfd, (nfds_t)nfd, ino >= 0 && n->pidfd >= 0 ? left : (left < 5 ? left : 5));
		if (pr < 0 && errno != EINTR)
			return nook_err(err, errno, "poll while waiting for pasta");
		if (ino >= 0)
			while (read(ino, evbuf, sizeof(evbuf)) > 0)
				;
	}
}

/* pasta exits when it cannot bind a port; name the port if that is why. */
static int explain_failure(const struct nook_spec *s, struct nook_net *n, int r, struct nook_error *err)
{
	struct nook_error why = { 0 };

	if (r == -ETIMEDOUT)
		return r;
	for (size_t i = 0; i < s->n_ports; i++) {
		if (!s->ports[i].udp && nook_port_diagnose(&s->ports[i], n->name, &why) < 0) {
			*err = why;
			return why.code;
		}
	}
	return r;
}

int nook_pasta_start(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err)
{
	_cleanup_free_ char *path = NULL, *pidfile = NULL;
	char a_mtu[16], a_pid[16];
	char *owned[MAX_ARGS];
	const char *argv[MAX_ARGS + 40];
	size_t i = 0, n_owned = 0;
	bool tcp = false;
	int r;

	if (s->n_ports > MAX_ARGS)
		return nook_errx(err, E2BIG, "too many published ports for pasta (at most %d)", MAX_ARGS);
	path = nook_net_find_helper("pasta", "passt", err);
	if (!path)
		return err->code;
	pidfile = nook_path_join(n->tmpdir, "pasta.pid");
	snprintf(a_mtu, sizeof(a_mtu), "%u", s->mtu ? s->mtu : NOOK_NET_DEFAULT_MTU);
	snprintf(a_pid, sizeof(a_pid), "%d", (int)child);

	argv[i++] = "pasta";
	argv[i++] = "--foreground";  /* stay our child: the parent-death signal holds */
	argv[i++] = "--quiet";
	argv[i++] = "--ipv4-only";   /* the same network as slirp4netns */
	argv[i++] = "--config-net";
	argv[i++] = "--ns-ifname"; argv[i++] = NOOK_NET_IFNAME;
	argv[i++] = "--address"; argv[i++] = NOOK_NET_GUEST_ADDR;
	argv[i++] = "--netmask"; argv[i++] = "24";
	argv[i++] = "--gateway"; argv[i++] = NOOK_NET_GATEWAY;
	argv[i++] = "--dns-forward"; argv[i++] = NOOK_NET_DNS;
	argv[i++] = "--mtu"; argv[i++] = a_mtu;
	/* the gateway reaches the host's loopback only when asked for */
	if (!s->allow_host_loopback)
		argv[i++] = "--no-map-gw";
	for (size_t k = 0; k < s->n_ports; k++) {
		if (s->ports[k].udp)
			continue; /* udprelay.c */
		owned[n_owned] = port_arg(&s->ports[k]);
		argv[i++] = "--tcp-ports";
		argv[i++] = owned[n_owned++];
		tcp = true;
	}
	/* never pasta's default "auto", which would publish whatever listens */
	if (!tcp) { argv[i++] = "--tcp-ports"; argv[i++] = "none"; }
	argv[i++] = "--udp-ports"; argv[i++] = "none";
	/* and nothing from the container to the host's ports */
	argv[i++] = "--tcp-ns"; argv[i++] = "none";
	argv[i++] = "--udp-ns"; argv[i++] = "none";
	argv[i++] = "--pid"; argv[i++] = pidfile;
	argv[i++] = a_pid;         /* joins the user and network ns of this pid */
	argv[i] = NULL;

	r = nook_net_spawn(n, path, (char *const *)argv, NULL, 0, err);
	for (size_t k = 0; k < n_owned; k++)
		free(owned[k]);
	if (r < 0)
		return r;
	r = wait_ready(n, child, err);
	if (r < 0)
		return explain_failure(s, n, r, err);
	return 0;
}
