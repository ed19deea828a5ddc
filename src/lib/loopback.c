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
 * range must be mapped gids, so try the widest range the maps allow. */
static void allow_ping(void)
{
	static const char *const ranges[] = { "0 65536", "0 0" };
	for (size_t i = 0; i < sizeof ranges / sizeof *ranges; i++)
		if (nook_write_file("/proc/sys/net/ipv4/ping_group_range", ranges[i], strlen(ranges[i]), 0) == 0)
			return;
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
	allow_ping();
	return 0;
}
