/* SPDX-License-Identifier: GPL-2.0-or-later */
/* slirp.c - user-mode networking with slirp4netns.
 *
 * slirp4netns runs outside the container as nook's child. It gets the
 * container's pid, --configure brings tap0 up (10.0.2.100/24, gateway
 * 10.0.2.2, DNS 10.0.2.3), --ready-fd tells us when that is done,
 * --exit-fd is a pipe whose other end only nook holds (it quits when nook
 * closes it or dies), and port forwards are added through --api-socket,
 * which speaks one JSON request and one JSON reply per connection. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml.h>

#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/net.h"
#include "nook/limits.h"
#include "nook/util.h"
#include "helper.h"

extern char **environ;

#define API_TIMEOUT_MS 5000

/* ---------------------------------------------------------------- JSON */

/* Append s as a JSON string (with quotes) at buf+*off. */
static int json_string(char *buf, size_t size, size_t *off, const char *s)
{
	static const char hex[] = "0123456789abcdef";

#define PUT(c) do { if (*off + 1 >= size) return -ENOSPC; buf[(*off)++] = (c); } while (0)
	PUT('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': PUT('\\'); PUT('"'); break;
		case '\\': PUT('\\'); PUT('\\'); break;
		case '\n': PUT('\\'); PUT('n'); break;
		case '\r': PUT('\\'); PUT('r'); break;
		case '\t': PUT('\\'); PUT('t'); break;
		default:
			if (*p < 0x20) {
				PUT('\\'); PUT('u'); PUT('0'); PUT('0');
				PUT(hex[*p >> 4]); PUT(hex[*p & 15]);
			} else {
				PUT((char)*p);
			}
		}
	}
	PUT('"');
#undef PUT
	buf[*off] = '\0';
	return 0;
}

static int json_raw(char *buf, size_t size, size_t *off, const char *s)
{
	size_t len = strlen(s);
	if (*off + len >= size)
		return -ENOSPC;
	memcpy(buf + *off, s, len + 1);
	*off += len;
	return 0;
}

int nook_slirp_hostfwd_request(const struct nook_port *p, char *buf, size_t size)
{
	char num[32];
	size_t off = 0;
	int r = 0;

	if (size == 0)
		return -ENOSPC;
	r = r ?: json_raw(buf, size, &off, "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": ");
	r = r ?: json_string(buf, size, &off, p->udp ? "udp" : "tcp");
	r = r ?: json_raw(buf, size, &off, ", \"host_addr\": ");
	r = r ?: json_string(buf, size, &off, p->host_addr ? p->host_addr : "127.0.0.1");
	snprintf(num, sizeof(num), ", \"host_port\": %u", p->host_port);
	r = r ?: json_raw(buf, size, &off, num);
	r = r ?: json_raw(buf, size, &off, ", \"guest_addr\": ");
	r = r ?: json_string(buf, size, &off, NOOK_NET_GUEST_ADDR);
	snprintf(num, sizeof(num), ", \"guest_port\": %u}}\n", p->container_port);
	r = r ?: json_raw(buf, size, &off, num);
	return r < 0 ? r : (int)off;
}

/* JSON is YAML: the reply is parsed with libyaml. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = yaml_document_get_node(doc, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pr->value);
	}
	return NULL;
}

int nook_slirp_parse_reply(const char *reply, size_t len, char *errbuf, size_t errlen)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *e, *desc;
	int r = -EPROTO;

	if (errlen)
		errbuf[0] = '\0';
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)reply, len);
	if (!yaml_parser_load(&parser, &doc)) {
		if (errlen)
			snprintf(errbuf, errlen, "unparsable reply: %s", parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		return -EPROTO;
	}
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_MAPPING_NODE) {
		if (map_get(&doc, root, "return")) {
			r = 0;
		} else if ((e = map_get(&doc, root, "error"))) {
			desc = map_get(&doc, e, "desc");
			if (errlen)
				snprintf(errbuf, errlen, "%s",
					 desc && desc->type == YAML_SCALAR_NODE ? (const char *)desc->data.scalar.value
										: "error without a description");
			r = -EIO;
		}
	}
	if (r == -EPROTO && errlen)
		snprintf(errbuf, errlen, "reply is neither \"return\" nor \"error\"");
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return r;
}

/* ---------------------------------------------------------------- API */

static int api_call(struct nook_net *n, const char *sock, const char *req, char *reply, size_t size,
		    struct nook_error *err)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_un sa;
	uint64_t deadline = nook_now_ns() + (uint64_t)API_TIMEOUT_MS * 1000000u;
	size_t len = strlen(req), off = 0;

	if (nook_unix_addr(&sa, sock) < 0)
		return nook_errx(err, ENAMETOOLONG, "API socket path %s is too long", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nook_err(err, errno, "cannot create a socket for the %s API", n->name);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return nook_err(err, errno, "cannot connect to the %s API socket %s", n->name, sock);
	while (off < len) {
		ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return nook_err(err, errno, "cannot send a request to %s", n->name);
		off += (size_t)w;
	}
	off = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = nook_net_ms_left(deadline), pr;
		ssize_t got;

		if (left == 0)
			return nook_errx(err, ETIMEDOUT, "%s did not answer on its API socket within %d s", n->name,
					 API_TIMEOUT_MS / 1000);
		pr = poll(&pfd, 1, left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return nook_err(err, errno, "poll on the %s API socket", n->name);
		if (pr == 0)
			continue;
		if (off + 1 >= size)
			return nook_errx(err, EPROTO, "%s sent an oversized API reply", n->name);
		got = read(fd, reply + off, size - off - 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return nook_err(err, errno, "cannot read the %s API reply", n->name);
		if (got == 0)
			break;
		off += (size_t)got;
	}
	reply[off] = '\0';
	return (int)off;
}

static int add_port(struct nook_net *n, const char *sock, const struct nook_port *p, struct nook_error *err)
{
	char req[512], reply[2048], why[512], name[64];
	int r, len;

	r = nook_slirp_hostfwd_request(p, req, sizeof(req));
	if (r < 0)
		return nook_errx(err, -r, "port forward request too long");
	len = api_call(n, sock, req, reply, sizeof(reply), err);
	if (len < 0) {
		if (nook_net_helper_exited(n))
			return nook_net_helper_failed(n, "quit while adding port forwards and", err);
		return len;
	}
	r = nook_slirp_parse_reply(reply, (size_t)len, why, sizeof(why));
	if (r == 0)
		return 0;
	/* slirp4netns does not say why; find out by binding the port ourselves */
	if (r == -EIO && nook_port_diagnose(p, n->name, err) < 0)
		return err->code;
	nook_port_format(p, name, sizeof(name));
	return nook_errx(err, EIO, "%s cannot publish port %s: %s", n->name, name, why);
}

/* ---------------------------------------------------------------- start */

struct slirp_features {
	bool sandbox, seccomp;
};

/* Which options this slirp4netns has, from its --help. */
static int probe_features(const char *path, struct slirp_features *f, struct nook_error *err)
{
	int p[2], status;
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"slirp4netns", (char *)"--help", NULL };
	char out[8192];
	size_t off = 0;
	pid_t pid;
	int r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return nook_err(err, r, "cannot run %s --help", path);
	}
	for (;;) {
		ssize_t got = read(p[0], out + off, sizeof(out) - 1 - off);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		off += (size_t)got;
		if (off == sizeof(out) - 1)
			break;
	}
	out[off] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* a probe that could not run says nothing about the version */
	if (WIFSIGNALED(status))
		return nook_errx(err, ECHILD, "%s --help was killed by signal %d (%s)%s", path,
				 WTERMSIG(status), strsignal(WTERMSIG(status)), nook_limits_hint());
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !strstr(out, "--"))
		return nook_errx(err, ENOEXEC, "%s --help could not start (exit status 127: a library or the loader failed)%s",
				 path, nook_limits_hint());
	f->sandbox = strstr(out, "--enable-sandbox") != NULL;
	f->seccomp = strstr(out, "--enable-seccomp") != NULL;
	if (!strstr(out, "--ready-fd") || !strstr(out, "--exit-fd"))
		return nook_errx(err, ENOTSUP, "%s is too old (no --ready-fd/--exit-fd); install slirp4netns >= 0.4", path);
	return 0;
}

static int wait_ready(struct nook_net *n, int fd, pid_t child, struct nook_error *err)
{
	uint64_t deadline = nook_now_ns() + (uint64_t)NOOK_NET_READY_TIMEOUT_MS * 1000000u;
	char what[96];

	snprintf(what, sizeof(what), "could not set up the network of pid %d and", (int)child);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int left = nook_net_ms_left(deadline), pr;
		char c;
		ssize_t got;

		if (left == 0) {
			nook_net_helper_failed(n, "did not bring the network up within 10 s; it", err);
			return -ETIMEDOUT;
		}
		pr = poll(&pfd, 1, left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return nook_err(err, errno, "poll on the %s ready fd", n->name);
		if (pr == 0)
			continue;
		got = read(fd, &c, 1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got == 1)
			return 0;
		/* EOF: the only writer, slirp4netns, is gone */
		return nook_net_helper_failed(n, what, err);
	}
}

int nook_slirp_start(const struct nook_spec *s, pid_t child, struct nook_net *n, struct nook_error *err)
{
	_cleanup_free_ char *path = NULL, *sock = NULL;
	_cleanup_close_ int ready_r = -1, ready_w = -1, exit_r = -1;
	struct slirp_features f = { 0 };
	char a_mtu[32], a_ready[32], a_exit[32], a_pid[32];
	char *a_api = NULL;
	const char *argv[16];
	int p[2], keep[2], r;
	size_t i = 0;
	bool tcp_ports = false;

	for (size_t k = 0; k < s->n_ports; k++)
		tcp_ports |= !s->ports[k].udp;
	path = nook_net_find_helper("slirp4netns", "slirp4netns", err);
	if (!path)
		return err->code;
	r = probe_features(path, &f, err);
	if (r < 0)
		return r;

	if (pipe2(p, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	ready_r = nook_net_fd_above_stdio(p[0]);
	ready_w = nook_net_fd_above_stdio(p[1]);
	if (pipe2(p, O_CLOEXEC) < 0)
		return nook_err(err, errno, "pipe");
	exit_r = nook_net_fd_above_stdio(p[0]);
	n->exit_fd = nook_net_fd_above_stdio(p[1]);
	if (ready_r < 0 || ready_w < 0 || exit_r < 0 || n->exit_fd < 0)
		return nook_err(err, EMFILE, "cannot set up pipes for %s", n->name);

	snprintf(a_mtu, sizeof(a_mtu), "--mtu=%u", s->mtu ? s->mtu : NOOK_NET_DEFAULT_MTU);
	snprintf(a_ready, sizeof(a_ready), "--ready-fd=%d", ready_w);
	snprintf(a_exit, sizeof(a_exit), "--exit-fd=%d", exit_r);
	snprintf(a_pid, sizeof(a_pid), "%d", (int)child);
	argv[i++] = "slirp4netns";
	argv[i++] = "--configure";
	argv[i++] = a_mtu;
	if (!s->allow_host_loopback)
		argv[i++] = "--disable-host-loopback";
	if (f.sandbox)
		argv[i++] = "--enable-sandbox";
	if (f.seccomp)
		argv[i++] = "--enable-seccomp";
	argv[i++] = a_ready;
	argv[i++] = a_exit;
	if (tcp_ports) {
		sock = nook_path_join(n->tmpdir, "api.sock");
		a_api = nook_asprintf("--api-socket=%s", sock);
		argv[i++] = a_api;
	}
	argv[i++] = a_pid;
	argv[i++] = NOOK_NET_IFNAME;
	argv[i] = NULL;

	keep[0] = ready_w;
	keep[1] = exit_r;
	r = nook_net_spawn(n, path, (char *const *)argv, keep, 2, err);
	free(a_api);
	if (r < 0)
		return r;
	/* only slirp4netns may hold these now: EOF on ready_r means it died */
	close(TAKE_FD(ready_w));
	close(TAKE_FD(exit_r));

	r = wait_ready(n, ready_r, child, err);
	if (r < 0)
		return r;
	for (size_t k = 0; k < s->n_ports; k++) {
		if (s->ports[k].udp)
			continue; /* udprelay.c */
		r = add_port(n, sock, &s->ports[k], err);
		if (r < 0)
			return r;
	}
	return 0;
}
