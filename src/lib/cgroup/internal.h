/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.h - shared between fs.c and cgroup.c; not an API. */
#pragma once
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include "nook/cgroup.h"
#include "nook/error.h"

/* Every "cannot enforce" message ends with this; a warning (required:
 * false) drops it. */
#define CG_HINT_OPTIONAL "; or set resources.required: false to run without limits"

/* What discovery found out about the caller's place in the hierarchy. */
struct cg_env {
	char *mnt;        /* cgroup2 mount point, e.g. /sys/fs/cgroup/unified */
	char *mnt_root;   /* the mount's root inside the hierarchy ("/") */
	char *own;        /* directory of the caller's cgroup */
	char *base;       /* where nook makes its leaves (own, or own/.. from nook-init) */
	bool in_init;     /* the caller already sits in base/nook-init */
	bool nsdelegate;  /* the mount keeps a cgroupns root's files from its members */
	unsigned v1_bits; /* controllers bound to cgroup v1 (hybrid hosts) */
};

void cg_env_free(struct cg_env *e);
/* Fill e from /proc/self/{mountinfo,cgroup}. `what` names the setting that
 * needs the cgroup, for messages ("resources.memory"). */
int cg_discover(struct cg_env *e, const char *what, struct nook_error *err);

/* Read a small cgroup file under dir (NUL-terminated, trailing newline
 * kept); NULL with errno set on failure. */
/* cgroup files are small; reads stop at this many bytes */
#define CG_READ_MAX (1u << 24)
/* Open the directory name (relative to dirfd; "." for dirfd itself) for
 * readdir; NULL with errno set on failure. */
DIR *cg_opendir(int dirfd, const char *name);
/* Write s to dir/file in one write(2); 0 or -errno. */
int cg_write(int dirfd, const char *file, const char *s);

/* Check `wanted` controllers are in base's cgroup.controllers; else explain
 * the first missing one: hybrid host, kernel without it, or which
 * ancestor's cgroup.subtree_control does not pass it down. */
int cg_check_controllers(const struct cg_env *e, const struct nook_spec *s,
			 unsigned wanted, unsigned *available, struct nook_error *err);
/* Owned by us with writable cgroup.procs and cgroup.subtree_control. */
int cg_check_delegated(const struct cg_env *e, const char *what, struct nook_error *err);
/* Move every process out of base into base/nook-init (no-internal-process
 * rule), then enable `bits` in base/cgroup.subtree_control. `optional`
 * controllers are enabled when possible, silently skipped otherwise. */
int cg_prepare_base(const struct cg_env *e, const struct nook_spec *s, int base_fd,
		    unsigned bits, unsigned optional, struct nook_error *err);

/* Kill everything in the cgroup at dirfd (cgroup.kill, else freeze and
 * SIGKILL each process, recursively), wait up to timeout_ms for it to be
 * empty; 0 or -errno (-ETIMEDOUT). */
int cg_kill_wait(int dirfd, unsigned timeout_ms);
/* rmdir name under parent_fd, its child cgroups first; 0 or -errno. */
int cg_rmdir_tree(int parent_fd, const char *name);
