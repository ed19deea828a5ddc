/* SPDX-License-Identifier: GPL-2.0-or-later */
/* mountutil.h - race-free mount helpers used while the new root is built.
 *
 * Targets are resolved inside a root directory fd with openat2 and
 * RESOLVE_IN_ROOT, so a symlink in the container's tree can never send a
 * mount outside it. Mounts go onto the resolved O_PATH fd (new mount API:
 * open_tree + move_mount), never onto a path string that could change. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "nook/error.h"
#include "nook/missing.h"

enum nook_mkpath {
	NOOK_MK_NONE = 0,  /* must exist */
	NOOK_MK_DIR,       /* create missing directories (mode 0755) */
	NOOK_MK_FILE,      /* create missing parents and an empty file */
};

/* Open path (absolute, inside root) as O_PATH, creating it when asked.
 * Refuses a final symlink (O_NOFOLLOW semantics). Returns fd or -errno. */
int nook_open_in_root(int rootfd, const char *path, enum nook_mkpath mk, mode_t mode);
/* Open path inside root following symlinks (each resolved as if root
 * were /), with open flags such as O_PATH. Returns fd or -errno. */
int nook_resolve_in_root(int rootfd, const char *path, int flags);
/* Print a --verbose note for each unix socket the payload could connect
 * to in the new root (sockscan.c): beneath the bind targets and, with the
 * host's root, /run, /var/run, /var/tmp, /tmp, /home, $HOME and
 * $XDG_RUNTIME_DIR, a few levels deep. */
struct nook_spec;
void nook_scan_sockets(const struct nook_spec *s, int rootfd);

/* Mount targets the new root lacks, provided without writing into the tree
 * (stage.c): the deepest existing directory above a missing target gets a
 * tmpfs over it that mirrors its entries, unless it lies on a filesystem
 * nook mounted itself ("own"), where the target is created directly. */
#define NOOK_STAGE_MAX 32
struct nook_stage {
	int rootfd;              /* the new root (O_PATH); replaced when / itself is staged */
	const char *root;        /* its path while it is built */
	dev_t own[NOOK_STAGE_MAX];
	size_t n_own;
	int ro[NOOK_STAGE_MAX];  /* staged copies of read-only directories, made read-only at the end */
	size_t n_ro;
	unsigned seq;
};
void nook_stage_init(struct nook_stage *st, int rootfd, const char *root);
/* Record the filesystem of fd (or of path inside the root) as nook's own. */
void nook_stage_own_fd(struct nook_stage *st, int fd);
void nook_stage_own_path(struct nook_stage *st, const char *path);
/* Open path inside the root as nook_open_in_root does; a missing path
 * (with mk) is provided by staging or, on nook's own filesystems, created.
 * Returns an O_PATH fd, or -errno with err filled. */
int nook_stage_open(struct nook_stage *st, const char *path, enum nook_mkpath mk, mode_t mode,
		    struct nook_error *err);
/* Make the staged copies of read-only directories read-only themselves. */
int nook_stage_finish(struct nook_stage *st, struct nook_error *err);

/* A directory of the new root that a kernel filesystem goes on (/proc,
 * /sys, /dev, /tmp): provided when asked (never written into the tree),
 * refused when it is a symlink or not a directory. Returns an O_PATH fd,
 * or fails with a message. */
int nook_open_special_dir(struct nook_stage *st, const char *path, bool create, mode_t mode,
			  struct nook_error *err);
/* Clone the mount tree at src (recursively when rec), apply attrs
 * (MOUNT_ATTR_*) to the whole clone, and attach it on target_fd. */
int nook_bind_fd(const char *src, int target_fd, bool rec, unsigned attrs);
/* Set attrs recursively on the mount tree at path (mount_setattr). */
int nook_mount_setattr(int dirfd, const char *path, unsigned attrs_set, bool rec);
/* Classic mount(2) onto an O_PATH fd (via /proc/self/fd of a given proc). */
int nook_mount_on_fd(const char *proc_root, const char *source, int target_fd,
		     const char *fstype, unsigned long flags, const char *data);
