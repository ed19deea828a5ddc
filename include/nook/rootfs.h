/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rootfs.h - build the container's root filesystem (child side). */
#pragma once
#include "nook/spec.h"
#include "nook/error.h"

/* What the child side of the spawn lends the root builder. */
struct nook_rootfs_hooks {
	/* Called just before /sys is mounted (the child joins the network
	 * namespace the parent built beside it); NULL when there is none. */
	int (*join_net)(void *arg, struct nook_error *err);
	/* Called before join_net when /sys comes last (no mount of the list
	 * goes there): work that needs neither the network namespace nor /sys,
	 * done while the parent may still be building the namespace. rootfd
	 * is the new root (not yet pivoted into), emptydir an empty directory
	 * of nook's own (O_PATH) to bind over masked directories. NULL: none. */
	int (*before_net)(void *arg, int rootfd, int emptydir, struct nook_error *err);
	/* The overlay root is a FUSE mount: hand its /dev/fuse fd to the parent,
	 * which starts fuse-overlayfs on it (fuseovl.h). kernel_errno is why
	 * (0: driver fuse). The callee does not take fd. */
	int (*fuse_handover)(void *arg, int fd, int kernel_errno, struct nook_error *err);
	/* Driver auto: why fuse-overlayfs cannot be the fallback when the
	 * kernel refuses the overlay (NULL: it can). */
	const char *fuse_unusable;
	void *arg;
};

/* In the new mount namespace: make / slave, build the new root under a
 * private staging tmpfs, mount dev/proc/tmp/sys and the spec's mounts,
 * then pivot_root into it and detach the old root. */
int nook_rootfs_setup(const struct nook_spec *s, const struct nook_rootfs_hooks *hooks, struct nook_error *err);

/* The minimal /dev inside the new root (sg: the new root being built,
 * fs/mountutil.h). */
struct nook_stage;
int nook_devfs_setup(const struct nook_spec *s, struct nook_stage *sg, struct nook_error *err);
