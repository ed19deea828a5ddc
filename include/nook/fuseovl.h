/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuseovl.h - the overlay root served by fuse-overlayfs (src/lib/fs/fuseovl.c).
 *
 * Contract with spawn/child/rootfs:
 *  - nook_fuseovl_prepare() in the parent before the clone, for an overlay
 *    root whose driver is 'fuse' or 'auto': finds fuse-overlayfs and checks
 *    /dev/fuse and the layer paths. Driver fuse: a missing piece is an
 *    error. Driver auto: *out still comes back, and
 *    nook_fuseovl_unusable() says why fuse-overlayfs cannot be the fallback
 *    (NULL when it can). Other roots and driver kernel: *out == NULL.
 *  - In the child, rootfs.c mounts the kernel's overlayfs, or (driver fuse,
 *    or auto after the kernel refused) calls nook_fuseovl_mount() and hands
 *    the /dev/fuse fd to the parent (NOOK_MSG_FUSE, value = the kernel's
 *    errno, 0 for driver fuse). Its first access to the new root waits
 *    until fuse-overlayfs answers.
 *  - The parent's monitor passes that fd to nook_fuseovl_start(), which
 *    starts fuse-overlayfs in the child's user namespace and returns at once.
 *  - When the child reports a setup error, nook_fuseovl_failed() tells
 *    whether fuse-overlayfs died first (its message is the one to show).
 *  - nook_fuseovl_stop() at the end and on every error path (NULL is fine):
 *    stops and reaps the daemon. It also dies with nook (parent-death
 *    signal) and by itself when the container's mount namespace goes.
 */
#pragma once
#include <stdbool.h>
#include "nook/error.h"
#include "nook/spec.h"

struct nook_fuseovl;

int nook_fuseovl_prepare(const struct nook_spec *s, struct nook_fuseovl **out, struct nook_error *err);
/* Driver auto: why fuse-overlayfs cannot serve the root, NULL if it can. */
const char *nook_fuseovl_unusable(const struct nook_fuseovl *f);
/* Parent: start fuse-overlayfs on the already mounted /dev/fuse fd (the
 * caller keeps and closes its copy) inside the user namespace of the child
 * behind userns_pidfd. kernel_errno says why: 0 for driver fuse, else the
 * kernel's refusal of the overlay mount. */
int nook_fuseovl_start(struct nook_fuseovl *f, const struct nook_spec *s, int userns_pidfd, int fuse_fd,
		       int kernel_errno, struct nook_error *err);
/* True (with err filled from the daemon's exit status and last log lines)
 * if fuse-overlayfs has exited with a failure, waiting up to wait_ms. */
bool nook_fuseovl_failed(struct nook_fuseovl *f, int wait_ms, struct nook_error *err);
void nook_fuseovl_stop(struct nook_fuseovl *f);

/* Child, in the new user and mount namespaces: open dev (the host's
 * /dev/fuse) and mount an empty FUSE filesystem on target for
 * fuse-overlayfs to serve. Returns the /dev/fuse fd in *fd. */
int nook_fuseovl_mount(const char *dev, const char *target, int *fd, struct nook_error *err);
