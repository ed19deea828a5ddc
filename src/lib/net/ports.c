/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ports.c - published ports: parsing "[ADDR:]HOST[:CONTAINER][/PROTO]",
 * formatting, spec checks and diagnosing a host port that cannot be bound. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/net.h"
#include "nook/util.h"

#define DEFAULT_HOST_ADDR "127.0.0.1"

static int port_err(char *errbuf, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int port_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	if (errbuf && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A decimal port 1..65535 in s[0..len). */
static int parse_port_number(const char *s, size_t len, const char *what, const char *spec,
			     unsigned *out, char *errbuf, size_t errlen)
{
	unsigned v = 0;

	if (len == 0)
		return port_err(errbuf, errlen, "invalid port spec '%s': %s port is empty", spec, what);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '-')
			return port_err(errbuf, errlen,
					"invalid port spec '%s': port ranges are not supported, publish each port on its own",
					spec);
		if (!isdigit((unsigned char)s[i]))
			return port_err(errbuf, errlen,
					"invalid port spec '%s': %s port '%.*s' is not a number (want 1-65535)",
					spec, what, (int)len, s);
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 65535)
			break;
	}
	if (v == 0 || v > 65535)
		return port_err(errbuf, errlen, "invalid port spec '%s': %s port '%.*s' is out of range (want 1-65535)",
				spec, what, (int)len, s);
	*out = v;
	return 0;
}

int nook_port_parse(const char *spec, struct nook_port *out, char *errbuf, size_t errlen)
{
	const char *proto, *end, *colon1, *colon2, *p;
	char addr[INET_ADDRSTRLEN + 1];
	struct in_addr ia;
	bool udp = false;
	unsigned host_port, container_port;
	int r;

	if (!spec || !*spec)
		return port_err(errbuf, errlen, "empty port spec (want [ADDR:]HOSTPORT[:CONTAINERPORT][/tcp|/udp], e.g. 8080:80)");
	for (p = spec; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return port_err(errbuf, errlen, "invalid port spec '%s': it contains white space", spec);
	if (spec[0] == '[' || strchr(spec, '[') || strchr(spec, ']'))
		return port_err(errbuf, errlen, "invalid port spec '%s': IPv6 host addresses are not supported, use an IPv4 address such as 127.0.0.1",
				spec);

	proto = strchr(spec, '/');
	end = proto ? proto : spec + strlen(spec);
	if (proto) {
		if (strcmp(proto, "/tcp") == 0)
			udp = false;
		else if (strcmp(proto, "/udp") == 0)
			udp = true;
		else
			return port_err(errbuf, errlen, "invalid port spec '%s': unknown protocol '%s' (want /tcp or /udp)",
					spec, proto + 1);
	}

	/* Split on ':' within [spec, end): one, two or three fields. */
	colon1 = memchr(spec, ':', (size_t)(end - spec));
	colon2 = colon1 ? memchr(colon1 + 1, ':', (size_t)(end - colon1 - 1)) : NULL;
	if (colon2 && memchr(colon2 + 1, ':', (size_t)(end - colon2 - 1)))
		return port_err(errbuf, errlen, "invalid port spec '%s': too many ':' (want [ADDR:]HOSTPORT[:CONTAINERPORT])", spec);

	if (colon2) {
		size_t alen = (size_t)(colon1 - spec);
		if (alen == 0)
			return port_err(errbuf, errlen, "invalid port spec '%s': the host address before ':' is empty", spec);
		if (alen >= sizeof(addr))
			return port_err(errbuf, errlen, "invalid port spec '%s': '%.*s' is not an IPv4 address", spec,
					(int)alen, spec);
		memcpy(addr, spec, alen);
		addr[alen] = '\0';
		if (inet_pton(AF_INET, addr, &ia) != 1)
			return port_err(errbuf, errlen, "invalid port spec '%s': '%s' is not an IPv4 address", spec, addr);
		r = parse_port_number(colon1 + 1, (size_t)(colon2 - colon1 - 1), "host", spec, &host_port, errbuf, errlen);
		if (r < 0)
			return r;
		r = parse_port_number(colon2 + 1, (size_t)(end - colon2 - 1), "container", spec, &container_port,
				      errbuf, errlen);
		if (r < 0)
			return r;
	} else if (colon1) {
		/* "ADDR:PORT" is ambiguous with "HOST:CONTAINER"; a dot means an address. */
		if (memchr(spec, '.', (size_t)(colon1 - spec)))
			return port_err(errbuf, errlen,
					"invalid port spec '%s': give both ports after an address, e.g. %.*s:%s:%s",
					spec, (int)(colon1 - spec), spec, "8080", "80");
		r = parse_port_number(spec, (size_t)(colon1 - spec), "host", spec, &host_port, errbuf, errlen);
		if (r < 0)
			return r;
		r = parse_port_number(colon1 + 1, (size_t)(end - colon1 - 1), "container", spec, &container_port,
				      errbuf, errlen);
		if (r < 0)
			return r;
		snprintf(addr, sizeof addr, "%s", DEFAULT_HOST_ADDR);
	} else {
		r = parse_port_number(spec, (size_t)(end - spec), "host", spec, &host_port, errbuf, errlen);
		if (r < 0)
			return r;
		container_port = host_port;
		snprintf(addr, sizeof addr, "%s", DEFAULT_HOST_ADDR);
	}

	out->host_addr = nook_strdup(addr);
	out->host_port = host_port;
	out->container_port = container_port;
	out->udp = udp;
	return 0;
}

int nook_port_format(const struct nook_port *p, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s:%u->%u/%s", p->host_addr ? p->host_addr : DEFAULT_HOST_ADDR,
			 p->host_port, p->container_port, p->udp ? "udp" : "tcp");
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return 0;
}

static const char *mode_name(enum nook_net_mode m)
{
	switch (m) {
	case NOOK_NET_NONE: return "none";
	case NOOK_NET_HOST: return "host";
	case NOOK_NET_SLIRP: return "slirp";
	case NOOK_NET_PASTA: return "pasta";
	}
	return "?";
}

/* Two binds conflict when protocol and port match and the addresses are
 * equal or one of them is the wildcard. */
static bool ports_conflict(const struct nook_port *a, const struct nook_port *b)
{
	const char *aa = a->host_addr ? a->host_addr : DEFAULT_HOST_ADDR;
	const char *ba = b->host_addr ? b->host_addr : DEFAULT_HOST_ADDR;

	if (a->udp != b->udp || a->host_port != b->host_port)
		return false;
	return strcmp(aa, ba) == 0 || strcmp(aa, "0.0.0.0") == 0 || strcmp(ba, "0.0.0.0") == 0;
}

bool nook_net_user_mode(enum nook_net_mode m)
{
	return m == NOOK_NET_SLIRP || m == NOOK_NET_PASTA;
}

bool nook_net_ports_ok(const struct nook_spec *s)
{
	return s->n_ports == 0 || nook_net_user_mode(s->net);
}

int nook_net_check(const struct nook_spec *s, struct nook_error *err)
{
	char a[64], b[64];
	struct in_addr ia;

	if (!nook_net_ports_ok(s))
		return nook_errx(err, EINVAL,
				 "ports are published only with network mode slirp or pasta, not '%s' (add --network slirp, set network.mode: slirp, or drop the ports)",
				 mode_name(s->net));
	if (s->allow_host_loopback && !nook_net_user_mode(s->net))
		return nook_errx(err, EINVAL,
				 "allow_host_loopback needs network mode slirp or pasta, not '%s'", mode_name(s->net));
	if (s->mtu != 0 && (s->mtu < NOOK_NET_MIN_MTU || s->mtu > NOOK_NET_MAX_MTU))
		return nook_errx(err, EINVAL, "network MTU %u is out of range (want %u-%u, default %u)", s->mtu,
				 NOOK_NET_MIN_MTU, NOOK_NET_MAX_MTU, NOOK_NET_DEFAULT_MTU);
	for (size_t i = 0; i < s->n_ports; i++) {
		const struct nook_port *p = &s->ports[i];
		if (p->host_port == 0 || p->host_port > 65535 || p->container_port == 0 || p->container_port > 65535)
			return nook_errx(err, EINVAL, "published port %u:%u is out of range (want 1-65535)",
					 p->host_port, p->container_port);
		if (p->host_addr && inet_pton(AF_INET, p->host_addr, &ia) != 1)
			return nook_errx(err, EINVAL, "published port host address '%s' is not an IPv4 address",
					 p->host_addr);
		for (size_t j = 0; j < i; j++) {
			if (!ports_conflict(p, &s->ports[j]))
				continue;
			nook_port_format(&s->ports[j], a, sizeof(a));
			nook_port_format(p, b, sizeof(b));
			return nook_errx(err, EINVAL, "published ports %s and %s use the same host port; give each its own", a, b);
		}
	}
	if (s->hostname && !nook_hostname_valid(s->hostname))
		return nook_errx(err, EINVAL, "invalid hostname '%s' (" NOOK_HOSTNAME_RULE ")", s->hostname);
	return 0;
}

int nook_port_diagnose(const struct nook_port *p, const char *helper, struct nook_error *err)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port) };
	const char *addr = p->host_addr ? p->host_addr : DEFAULT_HOST_ADDR;
	const char *proto = p->udp ? "udp" : "tcp";
	int one = 1;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return nook_errx(err, EINVAL, "cannot publish port %s:%u/%s: not an IPv4 address", addr, p->host_port, proto);
	fd = socket(AF_INET, (p->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nook_err(err, errno, "cannot publish port %s:%u/%s: socket", addr, p->host_port, proto);
	/* as the helpers bind: TCP with SO_REUSEADDR (TIME_WAIT is no
	 * conflict; a listening socket still is), UDP without (udprelay.c) */
	if (!p->udp)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return 0;
	switch (errno) {
	case EADDRINUSE:
		return nook_errx(err, EADDRINUSE,
				 "host port %s:%u/%s is already in use; stop what listens there or publish another port (-p OTHER:%u)",
				 addr, p->host_port, proto, p->container_port);
	case EACCES:
		return nook_errx(err, EACCES,
				 "host port %s:%u/%s is privileged; publish a port >= 1024 or lower net.ipv4.ip_unprivileged_port_start",
				 addr, p->host_port, proto);
	case EADDRNOTAVAIL:
		return nook_errx(err, EADDRNOTAVAIL,
				 "cannot publish port %s:%u/%s: %s is not an address of this host", addr, p->host_port,
				 proto, addr);
	default:
		return nook_err(err, errno, "%s cannot bind host port %s:%u/%s", helper, addr, p->host_port, proto);
	}
}
