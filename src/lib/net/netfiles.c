/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netfiles.c - the container's /etc/resolv.conf and /etc/hosts.
 *
 * Pure functions of the spec, called in the child while the root is built:
 * they write into the caller's buffer and never allocate. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nook/net.h"
#include "nook/util.h"

#define DEFAULT_HOSTNAME "nook"

int nook_net_resolv_conf(const struct nook_spec *s, char *buf, size_t size)
{
	size_t off = 0;

	if (!nook_net_user_mode(s->net))
		return -ENOENT;
	if (!buf || size == 0)
		return -ENOSPC;
	/* Both helpers forward DNS queries sent to this address to the host's
	 * resolvers; nothing of the host's own file leaks in. */
	if (!nook_append(buf, size, &off, "# written by nook for network mode %s\nnameserver %s\n",
			 s->net == NOOK_NET_SLIRP ? "slirp" : "pasta", NOOK_NET_DNS))
		return -ENOSPC;
	return 0;
}

int nook_net_hosts(const struct nook_spec *s, char *buf, size_t size)
{
	const char *host = s->hostname ? s->hostname : DEFAULT_HOSTNAME;
	size_t off = 0;
	bool fits;

	/* with the host's network the host's names are the right ones */
	if (s->net == NOOK_NET_HOST)
		return -ENOENT;
	if (!buf || size == 0)
		return -ENOSPC;
	if (!nook_hostname_valid(host))
		return -EINVAL;

	fits = nook_append(buf, size, &off,
			   "# written by nook\n"
			   "127.0.0.1\tlocalhost\n"
			   "::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (fits && nook_net_user_mode(s->net)) {
		fits = nook_append(buf, size, &off, "%s\t%s\n", NOOK_NET_GUEST_ADDR, host);
		if (fits && s->allow_host_loopback)
			fits = nook_append(buf, size, &off, "%s\thost.nook.internal\n", NOOK_NET_GATEWAY);
	} else if (fits) {
		fits = nook_append(buf, size, &off, "127.0.1.1\t%s\n", host);
	}
	return fits ? 0 : -ENOSPC;
}
