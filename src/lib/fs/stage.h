/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stage.h - mount targets the new root lacks, provided without writing
 * into the tree (stage.c). Used by rootfs.c and devfs.c while the root is
 * built. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "nook/error.h"
#include "mountutil.h"
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
	/* the profile's writable tmpfs mounts without size or options, and
	 * their mount flags: a later one of the same flags inside one of them
	 * becomes a directory there (nook_stage_plain_dir) */
	dev_t plain[NOOK_STAGE_MAX];
	unsigned long plain_flags[NOOK_STAGE_MAX];
	size_t n_plain;
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
/* The same; with left_out, a path that only staging could provide is not
 * provided: *left_out is set and -ENOENT returned, err untouched. */
int nook_stage_open_ex(struct nook_stage *st, const char *path, enum nook_mkpath mk, mode_t mode,
		       bool *left_out, struct nook_error *err);
/* Whether providing the missing path would stage a directory the
 * container's root could write to (a writable tree of the user's own):
 * there a mirror would hide new files and refuse renames over its entries
 * (dpkg, ldconfig, useradd all rename into /etc), so an optional file is
 * better left out. dir gets the directory's path. */
bool nook_stage_would_hide_writes(struct nook_stage *st, const char *path, char *dir, size_t size);
/* Whether providing the missing path would stage a directory of the tree
 * (its deepest existing directory is not on one of nook's own
 * filesystems). dir gets that directory's path. False when path exists. */
bool nook_stage_would_stage(struct nook_stage *st, const char *path, char *dir, size_t size);
/* Record the tmpfs now mounted on path (inside the root) as a plain one
 * (writable, no size, no options) of mount flags flags. */
void nook_stage_plain_tmpfs(struct nook_stage *st, const char *path, unsigned long flags);
/* nook_stage_open_ex for the mount point of a tmpfs of mount flags plain
 * (0: not a plain one): when path is missing and its deepest existing
 * directory lies in a plain tmpfs of the same flags, path is made there as
 * a directory (missing parents 0755) and *as_dir set; the caller gives it
 * the tmpfs's mode instead of mounting one. */
int nook_stage_open_tmpfs(struct nook_stage *st, const char *path, unsigned long plain, bool *as_dir,
			  bool *left_out, struct nook_error *err);
/* Make the staged copies of read-only directories read-only themselves. */
int nook_stage_finish(struct nook_stage *st, struct nook_error *err);

/* A directory of the new root that a kernel filesystem goes on (/proc,
 * /sys, /dev, /tmp): provided when asked (never written into the tree),
 * refused when it is a symlink or not a directory. Returns an O_PATH fd,
 * or fails with a message. */
int nook_open_special_dir(struct nook_stage *st, const char *path, bool create, mode_t mode,
			  struct nook_error *err);
