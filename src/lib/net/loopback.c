/* SPDX-License-Identifier: GPL-2.0-or-later */
/* loopback.c - bring up lo in a new network namespace. */
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/error.h"
#include "nook/net.h"
#include "nook/util.h"

/* Let the container's users send ICMP echo without CAP_NET_RAW (as podman
 * does): ping_group_range is per network namespace, and both ends of the
 * range must be mapped gids, so allow every gid the maps cover. */
void nook_net_allow_ping(unsigned long max_gid)
{
	char range[32];
	int n = snprintf(range, sizeof range, "0 %lu", max_gid);
	if (nook_write_file("/proc/sys/net/ipv4/ping_group_range", range, (size_t)n, 0) < 0)
		nook_verbose("ping_group_range '%s' refused; ping needs CAP_NET_RAW here", range);
}

int nook_net_loopback_up(struct nook_error *err)
{
	struct ifreq ifr;
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nook_err(err, errno, "cannot bring up the loopback interface: socket");
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return nook_err(err, errno, "cannot bring up the loopback interface: SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return nook_err(err, errno, "cannot bring up the loopback interface");
	return 0;
}
