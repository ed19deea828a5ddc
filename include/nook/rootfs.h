/* rootfs.h - build the container's root filesystem (child side). */
#pragma once
#include "nook/spec.h"
#include "nook/error.h"

/* In the new mount namespace: make / slave, build the new root under a
 * private staging tmpfs, mount dev/proc/tmp/sys and the spec's mounts,
 * then pivot_root into it and detach the old root. join_net, when not
 * NULL, is called just before /sys is mounted (the child joins the network
 * namespace the parent built beside it). */
int nook_rootfs_setup(const struct nook_spec *s, int (*join_net)(void *, struct nook_error *),
		      void *join_arg, struct nook_error *err);

/* The minimal /dev inside the new root (rootfd is the new root, root its path). */
int nook_devfs_setup(const struct nook_spec *s, int rootfd, const char *root, struct nook_error *err);
