/* SPDX-License-Identifier: GPL-2.0-or-later */
/* holder.h - the per-user user-namespace holder (run/holder.c): a parent
 * user namespace with the caller's subordinate range, kept by a small
 * long-lived process, inside which each container gets its own user
 * namespace, mapped without newuidmap/newgidmap. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "nook/error.h"
#include "nook/idmap.h"
#include "nook/spec.h"

#define NOOK_HOLDER_IDLE_DEFAULT 300 /* seconds */

struct nook_holder_info {
	pid_t pid;                       /* the holder, as the host sees it */
	long long started;               /* CLOCK_REALTIME seconds */
	unsigned idle_s;                 /* it exits after this long unused */
	unsigned long us, uc, gs, gc;    /* the ranges it maps */
};

/* A request to the holder, sent early so that it wakes up while nook does
 * other work (nook_holder_request), then read by nook_holder_maps. */
struct nook_holder_req {
	int dirfd, conn;
	char why[NOOK_ERR_MAX];          /* why no request could be sent */
};
/* Send it, when the spec may use the holder; never fails (the holder
 * then is not used). Either nook_holder_maps or _drop must follow. */
void nook_holder_request(const struct nook_spec *s, struct nook_holder_req *q);
void nook_holder_request_drop(struct nook_holder_req *q);

/* Decide the maps for a run (nook_idmaps_resolve) and, when they are the
 * caller's subordinate range, get the holder's user namespace (starting a
 * holder when none runs or the one running was made from other
 * /etc/subuid or /etc/subgid contents). *userns_fd: an fd of the holder's
 * user namespace, or -1 when the maps are to be written the usual way
 * (self mode, or newuidmap/newgidmap: no holder could be used, and
 * --verbose says why). Fails only as nook_idmaps_resolve does, or on a bad
 * NOOK_HOLDER_IDLE. */
int nook_holder_maps(const struct nook_spec *s, struct nook_holder_req *q, struct nook_idmaps *m,
		     int *userns_fd, struct nook_error *err);

/* Clone the container (clone3 args a, without CLONE_NEWUSER: it is added)
 * in a new user namespace inside the holder's, with the maps m written as
 * the identity of the holder's range. Like clone3: returns 0 in the
 * child, its pid in the caller (a's pidfd filled), -1 with err filled. The
 * child is the caller's own child (CLONE_PARENT through a short-lived
 * intermediate process). With go_fd >= 0 the intermediate sends
 * NOOK_MSG_GO there once the maps are written, so that the child can go
 * on without waiting for the caller; with build_net too, it then builds
 * the child's network namespace and sends it there as nook_netns_build()
 * would (*net_built says whether it did: if not, the caller does). */
pid_t nook_holder_clone(int userns_fd, const void *clone_args, const struct nook_idmaps *m, int go_fd,
			bool build_net, bool *net_built, struct nook_error *err);

/* The running holder, for nook ps --all: 1 and info filled, 0 none. */
int nook_holder_status(struct nook_holder_info *info);
