/* SPDX-License-Identifier: GPL-2.0-or-later */
/* udprelay.c - published UDP ports, relayed by a small process of nook's.
 *
 * Neither helper can answer a UDP client on the host's loopback here:
 * libslirp sends the container's replies to the gateway 10.0.2.2 literally
 * when --disable-host-loopback is on (which it must be), and the packaged
 * pasta loses replies on its loopback path. So UDP ports are served like
 * this instead: a forked process binds the host sockets in the host's
 * network namespace, then joins the container's user and network
 * namespaces and forwards each client's datagrams to 127.0.0.1:PORT inside
 * over a socket of its own, and the replies back. It dies with nook
 * (parent-death signal) and is killed by nook_net_stop().
 *
 * It handles datagrams anyone on the host and the container can send, so
 * once it holds what it needs it is confined (security/confine.c): an
 * empty mount namespace of its own, no capabilities, no_new_privs, a
 * Landlock domain without any filesystem right, and a seccomp allow-list
 * of the few calls its loop makes. Only then does it say "ok". */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <poll.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/net.h"
#include "nook/security.h"
#include "nook/util.h"
#include "helper.h"

#define MAX_SESSIONS 256
#define SESSION_IDLE_S 60
#define DGRAM_MAX 65536

struct session {
	int fd;                   /* inside the container, connected to 127.0.0.1:port */
	size_t port;              /* index into the published UDP ports */
	struct sockaddr_in client;
	time_t last;
};

struct relay {
	size_t n_ports;
	int *host_fd;             /* bound on the host, one per UDP port */
	unsigned *inside_port;
	struct session s[MAX_SESSIONS];
	size_t n_s;
};

/* The status line sent to nook: "ok" or "ERR <port index> <errno> <what>". */
static void report(int fd, const char *msg)
{
	size_t len = strlen(msg);
	while (len > 0) {
		/* a socket, and send: the seccomp filter allows sendto, not write */
		ssize_t w = send(fd, msg, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		msg += w;
		len -= (size_t)w;
	}
}

static void drop_session(struct relay *r, size_t i)
{
	close(r->s[i].fd);
	r->s[i] = r->s[--r->n_s];
}

static void bigger_buffers(int fd);

static struct session *find_session(struct relay *r, size_t port, const struct sockaddr_in *from)
{
	size_t oldest = 0;
	int fd;

	for (size_t i = 0; i < r->n_s; i++)
		if (r->s[i].port == port && r->s[i].client.sin_port == from->sin_port &&
		    r->s[i].client.sin_addr.s_addr == from->sin_addr.s_addr)
			return &r->s[i];
	if (r->n_s == MAX_SESSIONS) {
		for (size_t i = 1; i < r->n_s; i++)
			if (r->s[i].last < r->s[oldest].last)
				oldest = i;
		drop_session(r, oldest);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)r->inside_port[port]),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
		close(fd);
		return NULL;
	}
	bigger_buffers(fd);
	r->s[r->n_s] = (struct session){ .fd = fd, .port = port, .client = *from, .last = time(NULL) };
	return &r->s[r->n_s++];
}

/* Datagrams move in batches (recvmmsg, then sendmmsg or one UDP_SEGMENT
 * sendmsg): one poll wake-up and two system calls carry up to BATCH
 * datagrams where one datagram each cost a poll, a recvfrom and a send
 * (0.15-0.17 Gbit/s of 1400-byte datagrams before, 0.6-1.1 after,
 * tests/bench/RESULTS.md). The buffers (2 MiB) are mapped by the relay
 * process alone, before it confines itself: as static data they would
 * count against every nook process's address space (`ulimit -v`). A batch
 * of small datagrams touches one page of each. */
#define BATCH 32
#define ROUNDS 8      /* batches per socket per wake-up, so no socket starves */
#define SOCK_BUF (4 << 20)

static char (*bufs)[DGRAM_MAX];
static struct iovec iov[BATCH];
static struct mmsghdr mm[BATCH];
static struct sockaddr_in from[BATCH];

/* Receive a batch from fd (with the senders' addresses when named). */
static int recv_batch(int fd, bool named)
{
	for (int k = 0; k < BATCH; k++) {
		iov[k] = (struct iovec){ bufs[k], DGRAM_MAX };
		mm[k].msg_hdr = (struct msghdr){ .msg_iov = &iov[k], .msg_iovlen = 1,
						 .msg_name = named ? &from[k] : NULL,
						 .msg_namelen = named ? sizeof from[k] : 0 };
		mm[k].msg_len = 0;
	}
	return recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
}

/* Send datagrams [k, k + n) of the batch on fd, to `to` (or connected). */
static void send_batch(int fd, int k, int n, struct sockaddr_in *to)
{
	for (int j = k; j < k + n; j++) {
		iov[j].iov_len = mm[j].msg_len;
		mm[j].msg_hdr.msg_name = to;
		mm[j].msg_hdr.msg_namelen = to ? sizeof *to : 0;
	}
	while (n > 0) {
		int sent = sendmmsg(fd, &mm[k], (unsigned)n, MSG_DONTWAIT);
		if (sent <= 0)
			return; /* a full buffer drops, as UDP would */
		k += sent;
		n -= sent;
	}
}

static void bigger_buffers(int fd)
{
	int size = SOCK_BUF;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

/* Into the container, datagrams [k, k + n) of one client as few sends as
 * possible: a run of equal-sized ones (the last may be shorter) is one
 * sendmsg with UDP_SEGMENT, which the kernel splits into the same
 * datagrams after one trip down the stack. */
static void send_segmented(int fd, int k, int n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(uint16_t))];
	} u;
	while (n > 0) {
		size_t seg = mm[k].msg_len;
		int m = 1;
		while (m < n && m < 64 && mm[k + m - 1].msg_len == seg && mm[k + m].msg_len <= seg &&
		       (m + 1) * seg <= 65000 && seg > 0)
			m++;
		if (m == 1 || seg == 0) {
			send_batch(fd, k, 1, NULL);
		} else {
			for (int j = k; j < k + m; j++)
				iov[j].iov_len = mm[j].msg_len;
			struct msghdr mh = { .msg_iov = &iov[k], .msg_iovlen = (size_t)m,
					     .msg_control = u.buf, .msg_controllen = sizeof u.buf };
			struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
			uint16_t g = (uint16_t)seg;
			memcpy(CMSG_DATA(c), &g, sizeof g);
			if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS)
				send_batch(fd, k, m, NULL); /* no UDP GSO here: one by one */
		}
		k += m;
		n -= m;
	}
}

__attribute__((noreturn)) static void relay_loop(struct relay *r)
{
	struct pollfd pfd[MAX_SESSIONS + 64];

	for (;;) {
		size_t n = 0;
		time_t now = time(NULL);

		for (size_t i = 0; i < r->n_s;)
			if (now - r->s[i].last > SESSION_IDLE_S)
				drop_session(r, i);
			else
				i++;
		for (size_t i = 0; i < r->n_ports; i++)
			pfd[n++] = (struct pollfd){ .fd = r->host_fd[i], .events = POLLIN };
		for (size_t i = 0; i < r->n_s; i++)
			pfd[n++] = (struct pollfd){ .fd = r->s[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t)n, 10000) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		/* host -> container: consecutive datagrams of one client go
		 * out in one sendmmsg on its session's socket */
		for (size_t i = 0; i < r->n_ports; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			for (int round = 0; round < ROUNDS; round++) {
				int got = recv_batch(r->host_fd[i], true);
				if (got <= 0)
					break;
				for (int k = 0; k < got;) {
					int j = k + 1;
					while (j < got && from[j].sin_port == from[k].sin_port &&
					       from[j].sin_addr.s_addr == from[k].sin_addr.s_addr)
						j++;
					struct session *s = mm[k].msg_hdr.msg_namelen == sizeof from[k]
						? find_session(r, i, &from[k]) : NULL;
					if (s) {
						s->last = now;
						send_segmented(s->fd, k, j - k);
					}
					k = j;
				}
				if (got < BATCH)
					break;
			}
		}
		/* container -> host; sessions may have moved, match by fd */
		for (size_t k = r->n_ports; k < n; k++) {
			if (!(pfd[k].revents & (POLLIN | POLLERR)))
				continue;
			for (size_t i = 0; i < r->n_s; i++) {
				if (r->s[i].fd != pfd[k].fd)
					continue;
				for (int round = 0; round < ROUNDS; round++) {
					int got = recv_batch(r->s[i].fd, false);
					if (got <= 0)
						break;
					r->s[i].last = now;
					send_batch(r->host_fd[r->s[i].port], 0, got, &r->s[i].client);
					if (got < BATCH)
						break;
				}
				break;
			}
		}
	}
}

/* In the forked relay, holding its sockets: give up everything else. */
static int confine(const struct nook_confine *c, struct nook_error *err)
{
	int r, null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* nook's stdio is no business of the relay's */
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0)
		return nook_err(err, errno, "redirect its stdio to /dev/null");
	close(null);
	/* root of the container's user namespace here: enough to unshare */
	if ((r = nook_confine_empty_root(err)) < 0 || (r = nook_confine_drop_caps(c, err)) < 0)
		return r;
	/* Landlock: no path at all */
	return nook_confine_apply(c, NULL, 0, err);
}

/* In the forked relay: bind, join the container, confine, report, serve. */
__attribute__((noreturn)) static void relay_main(const struct nook_spec *spec, pid_t child, int status_fd,
						 const struct nook_confine *c)
{
	struct nook_error cerr = { 0 };
	struct relay *r = nook_xmalloc(sizeof(*r));
	char msg[NOOK_ERR_MAX + 64], path[64];
	int fd;

	bufs = nook_xmalloc(sizeof(*bufs) * BATCH);
	r->host_fd = nook_xmalloc(sizeof(int) * spec->n_ports);
	r->inside_port = nook_xmalloc(sizeof(unsigned) * spec->n_ports);
	for (size_t i = 0; i < spec->n_ports; i++) {
		const struct nook_port *p = &spec->ports[i];
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port) };
		if (!p->udp)
			continue;
		if (inet_pton(AF_INET, p->host_addr ? p->host_addr : "127.0.0.1", &sa.sin_addr) != 1) {
			errno = EINVAL;
			fd = -1;
		} else if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0) {
			/* no SO_REUSEADDR (or SO_REUSEPORT): for UDP it would let
			 * anyone, another user too, bind the same address and port
			 * beside us and take the container's datagrams */
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				int e = errno;
				close(fd);
				fd = -1;
				errno = e;
			}
		}
		if (fd < 0) {
			snprintf(msg, sizeof(msg), "ERR %zu %d bind\n", i, errno);
			report(status_fd, msg);
			_exit(1);
		}
		bigger_buffers(fd);
		r->host_fd[r->n_ports] = fd;
		r->inside_port[r->n_ports++] = p->container_port;
	}
	/* the user namespace first: it gives the rights over its network ns */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWUSER) < 0) {
		snprintf(msg, sizeof(msg), "ERR - %d join the user namespace of pid %d\n", errno, (int)child);
		report(status_fd, msg);
		_exit(1);
	}
	close(fd);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)child);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
		snprintf(msg, sizeof(msg), "ERR - %d join the network namespace of pid %d\n", errno, (int)child);
		report(status_fd, msg);
		_exit(1);
	}
	close(fd);
	if (confine(c, &cerr) < 0) {
		snprintf(msg, sizeof(msg), "FAIL %d cannot confine itself: %s\n", -cerr.code, cerr.msg);
		report(status_fd, msg);
		_exit(1);
	}
	report(status_fd, "ok\n");
	close(status_fd);
	relay_loop(r);
}

int nook_udprelay_spawn(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err)
{
	int p[2];
	pid_t parent = getpid(), pid;
	bool any = false;

	for (size_t i = 0; i < s->n_ports; i++)
		any |= s->ports[i].udp;
	if (!any)
		return 0;
	_cleanup_(nook_confine_freep) struct nook_confine *c = NULL;
	int r = nook_confine_prepare(NOOK_CONFINE_RELAY, &c, err);
	if (r < 0)
		return nook_err_prefix(err, "UDP port relay"), r;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return nook_err(err, errno, "socketpair");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return nook_err(err, errno, "cannot fork the UDP port relay");
	}
	if (pid == 0) {
		close(p[0]);
		if (nook_helper_child_setup(parent) < 0)
			_exit(1);
		(void)prctl(PR_SET_NAME, "nook-udprelay");
		/* keep none of nook's fds (the slirp4netns exit fd above all) */
		if ((p[1] > 3 && close_range(3, (unsigned)p[1] - 1, 0) < 0) ||
		    close_range((unsigned)p[1] + 1, ~0U, 0) < 0)
			_exit(1);
		relay_main(s, child, p[1], c);
	}
	close(p[1]);
	n->relay_pid = pid;
	n->relay_fd = nook_net_fd_above_stdio(p[0]);
	return 0;
}

int nook_udprelay_wait(const struct nook_spec *s, struct nook_net *n, struct nook_error *err)
{
	char buf[NOOK_ERR_MAX + 128];
	size_t off = 0;

	if (n->relay_fd < 0)
		return 0;
	for (;;) {
		struct pollfd pfd = { .fd = n->relay_fd, .events = POLLIN };
		int pr = poll(&pfd, 1, NOOK_NET_READY_TIMEOUT_MS);
		ssize_t got;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		got = read(n->relay_fd, buf + off, sizeof(buf) - 1 - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		off += (size_t)got;
		if (memchr(buf, '\n', off) || off == sizeof(buf) - 1)
			break;
	}
	close(n->relay_fd);
	n->relay_fd = -1;
	buf[off] = '\0';
	if (strncmp(buf, "ok\n", 3) == 0)
		return 0;

	size_t idx;
	int e;
	char what[NOOK_ERR_MAX];
	if (sscanf(buf, "ERR %zu %d", &idx, &e) == 2 && idx < s->n_ports) {
		if (nook_port_diagnose(&s->ports[idx], "nook", err) < 0)
			return err->code;
		return nook_errx(err, e, "cannot publish UDP port %u: %s", s->ports[idx].host_port, strerror(e));
	}
	if (sscanf(buf, "FAIL %d %1023[^\n]", &e, what) == 2)
		return nook_errx(err, e, "UDP port relay %s", what);
	if (sscanf(buf, "ERR - %d %1023[^\n]", &e, what) == 2)
		return nook_errx(err, e, "UDP port relay cannot %s: %s", what, strerror(e));
	return nook_errx(err, EIO, "UDP port relay failed to start");
}

void nook_udprelay_stop(struct nook_net *n)
{
	if (n->relay_fd >= 0) {
		close(n->relay_fd);
		n->relay_fd = -1;
	}
	nook_kill_reap(n->relay_pid);
	n->relay_pid = 0;
}
