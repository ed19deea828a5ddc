/* SPDX-License-Identifier: GPL-2.0-or-later */
/* loopback.c - bring up lo in a new network namespace; size the tap
 * device's transmit queue. */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
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

/* pasta leaves the tap device's transmit queue at the kernel's 1000
 * packets while it advertises a receive window of several MiB: at MTU 1500
 * a window's worth of segments overflows the queue, and TCP from the
 * container crawls (0.06 Gbit/s against 1.1-1.5 with a longer queue,
 * tests/bench/RESULTS.md). Queue about 8 MiB of full-size frames, never
 * fewer than the kernel's default. Through rtnetlink: the SIOCSIFTXQLEN
 * ioctl wants CAP_NET_ADMIN in the host's user namespace. A failure only
 * costs throughput. */
void nook_net_size_txqueue(unsigned mtu)
{
	unsigned qlen = mtu ? (8u << 20) / mtu : 0;
	if (qlen <= 1000)
		return;
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
		struct rtattr a;
		uint32_t qlen;
	} req;
	memset(&req, 0, sizeof req);
	req.h.nlmsg_len = sizeof req;
	req.h.nlmsg_type = RTM_NEWLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.h.nlmsg_seq = 1;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = (int)if_nametoindex(NOOK_NET_IFNAME);
	req.a.rta_type = IFLA_TXQLEN;
	req.a.rta_len = RTA_LENGTH(sizeof req.qlen);
	req.qlen = qlen;
	_cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct {
		struct nlmsghdr h;
		struct nlmsgerr e;
	} ack;
	int e = 0;
	if (req.i.ifi_index == 0 || fd < 0 || send(fd, &req, sizeof req, 0) != (ssize_t)sizeof req ||
	    recv(fd, &ack, sizeof ack, 0) < (ssize_t)sizeof ack)
		e = errno;
	else if (ack.h.nlmsg_type == NLMSG_ERROR && ack.e.error)
		e = -ack.e.error;
	if (e)
		nook_verbose("cannot set the transmit queue of %s to %u packets: %s", NOOK_NET_IFNAME, qlen, strerror(e));
}
