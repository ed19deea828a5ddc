/* SPDX-License-Identifier: GPL-2.0-or-later */
/* net.h - container networking: none, host, slirp4netns, pasta.
 *
 * Contract with spawn/child:
 *  - nook_net_check() from nook_spawn(), after nook_spec_check() and before
 *    anything is started: ports only with slirp/pasta, no two ports on one host port, MTU
 *    in range, a hostname usable in /etc/hosts.
 *  - nook_net_loopback_up() in the child (new netns): bring lo up
 *    (src/lib/net/loopback.c). Mode host: no CLONE_NEWNET, nothing to do.
 *    Mode none: the parent builds the namespace beside the child instead
 *    (netns.c), and the child joins it while it builds its root.
 *  - nook_net_start() in the parent after the id maps are written and before
 *    GO: starts slirp4netns/pasta for the child's netns, adds the port
 *    forwards and returns only when the network is up; *out == NULL for
 *    none/host. On failure nothing is left running and no file is left.
 *  - nook_net_stop() in the parent at the end and on every error path after
 *    a successful start (NULL is fine); it reaps the helper, so the caller
 *    must wait for its own children by pid, never waitpid(-1). The helper
 *    also exits by itself when nook dies, even of SIGKILL (exit fd and
 *    parent-death signal), so does the UDP relay (udprelay.c).
 *  - While the root is built, the child calls nook_net_resolv_conf() and
 *    nook_net_hosts() and binds the contents over /etc/resolv.conf and
 *    /etc/hosts of the container (-ENOENT: keep the rootfs's own file).
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "nook/spec.h"
#include "nook/error.h"

/* The user-mode network both helpers are configured with (slirp4netns's
 * defaults): the container is 10.0.2.100/24, the gateway 10.0.2.2 (the
 * host's 127.0.0.1 when allow_host_loopback), DNS at 10.0.2.3. */
#define NOOK_NET_GUEST_ADDR "10.0.2.100"
#define NOOK_NET_GATEWAY "10.0.2.2"
#define NOOK_NET_DNS "10.0.2.3"
#define NOOK_NET_IFNAME "tap0"
#define NOOK_NET_DEFAULT_MTU 65520u
#define NOOK_NET_MIN_MTU 68u      /* smallest IPv4 MTU */
#define NOOK_NET_MAX_MTU 65520u   /* pasta and slirp4netns both accept it */

struct nook_net;

/* Bring lo up in the caller's (new) network namespace. */
int nook_net_loopback_up(struct nook_error *err);
/* In the child, once pasta configured the tap device: a transmit queue
 * sized for its receive window at this MTU (loopback.c). */
void nook_net_size_txqueue(unsigned mtu);
/* Let every mapped gid (0..max_gid) send ICMP echo without CAP_NET_RAW;
 * needs the id maps written. Failure only costs ping, so it is not fatal. */
void nook_net_allow_ping(unsigned long max_gid);

/* ---- the network namespace built beside the child (netns.c) ---- */

/* Parent, after GO: build a network namespace owned by the child's user
 * namespace (pidfd) in a vfork'ed helper and pass it over sync_fd. */
int nook_netns_build(int pidfd, int sync_fd, struct nook_error *err);
/* The same in the calling process, which joins the child's user namespace
 * for it (a short-lived process of its own: the holder's intermediate). */
int nook_netns_build_here(int pidfd, int sync_fd, struct nook_error *err);
/* Child: receive that namespace and join it. */
int nook_netns_join(int sync_fd, struct nook_error *err);
int nook_net_start(const struct nook_spec *s, pid_t child, struct nook_net **out,
		   struct nook_error *err);
void nook_net_stop(struct nook_net *n);
/* After the payload: if a helper (slirp4netns, pasta, the UDP relay) died
 * while the container ran, warn on stderr what that meant, copy the
 * message to msg and return true. */
bool nook_net_warn_dead(const struct nook_net *n, char *msg, size_t size);

/* Pure: the contents of the container's /etc/resolv.conf and /etc/hosts for
 * this spec, written into buf (NUL-terminated). Returns 0, -ENOENT when the
 * spec's network mode needs no such file (then the rootfs keeps its own),
 * -ENOSPC when buf is too small, -EINVAL for an unusable hostname. Called in
 * the child while the root is built; does not allocate. */
int nook_net_resolv_conf(const struct nook_spec *s, char *buf, size_t size);
int nook_net_hosts(const struct nook_spec *s, char *buf, size_t size);

/* ---- ports (ports.c) ---- */

/* Parse a publish spec: "[ADDR:]HOSTPORT[:CONTAINERPORT][/tcp|/udp]", e.g.
 * "8080:80", "127.0.0.1:5353:53/udp", "0.0.0.0:8080:80". ADDR defaults to
 * 127.0.0.1 (nothing is exposed beyond the machine unless asked); a single
 * port forwards to the same port inside. Fills out (out->host_addr is
 * malloc'd: free it, or let nook_spec_free do it). On error returns -EINVAL
 * and writes a one-line reason (without file:line, the caller adds that)
 * into errbuf. */
int nook_port_parse(const char *spec, struct nook_port *out, char *errbuf, size_t errlen);
/* "127.0.0.1:8080->80/tcp" */
int nook_port_format(const struct nook_port *p, char *buf, size_t size);
/* slirp and pasta, the user-mode networks: the only modes that publish
 * ports and let the container reach the host's loopback. */
bool nook_net_user_mode(enum nook_net_mode m);
/* The rule "ports need slirp or pasta", kept here only: false when s
 * publishes ports in another mode. The profile loader reports it with the
 * file position, nook_net_check() for any other spec. */
bool nook_net_ports_ok(const struct nook_spec *s);
/* Spec-level checks (see above). */
int nook_net_check(const struct nook_spec *s, struct nook_error *err);
/* Explain why host_addr:host_port cannot be bound, by trying it: fills err
 * with "host port ... is already in use" (or the errno) and returns it; 0 if
 * the port can be bound right now. */
int nook_port_diagnose(const struct nook_port *p, const char *helper, struct nook_error *err);

/* ---- slirp4netns API messages (slirp.c), pure, exposed for the tests ---- */

/* Write the one-line JSON add_hostfwd request for p into buf. Returns the
 * length, or -ENOSPC. Strings are JSON-escaped. */
int nook_slirp_hostfwd_request(const struct nook_port *p, char *buf, size_t size);
/* Parse a reply of the API socket: 0 for {"return": ...}, -EIO for
 * {"error": {"desc": "..."}} (desc copied into errbuf), -EPROTO when the
 * reply is not what the API sends. */
int nook_slirp_parse_reply(const char *reply, size_t len, char *errbuf, size_t errlen);
