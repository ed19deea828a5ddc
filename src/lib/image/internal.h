/* SPDX-License-Identifier: GPL-2.0-or-later */
/* internal.h - what the files of image/ share. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "nook/error.h"
#include "nook/image.h"

/* userns.c: run fn(arg) in a child that is root of a new user namespace
 * mapped like a container's (the caller's subordinate ranges when there
 * are, else only the caller as 0). The child's error comes back in err. */
int nook_image_in_userns(int (*fn)(void *arg, struct nook_error *err), void *arg,
			 struct nook_error *err);
/* In such a child (or for trees of one's own): remove a tree, relative to
 * dirfd; no symlink is followed. 0 or -errno. */
int nook_image_rmtree_at(int dirfd, const char *name);

/* unpack.c: in the userns child, unpack the layer blob (tar, gzip, zstd)
 * into the new directory dir. *skipped counts the device nodes left out,
 * *partial the entries created without all they asked for (an owner
 * outside the subordinate range, an xattr the kernel refused). */
int nook_image_unpack(const char *blob, const char *dir, size_t *skipped, size_t *partial,
		      struct nook_error *err);

/* digests: "sha256:" and 64 lowercase hex digits */
bool nook_digest_valid(const char *d);

/* store.c */
struct nook_store {
	char *dir;
	int lockfd;     /* the store's lock file, flocked */
};
int nook_store_open(struct nook_store *st, const char *opt, bool exclusive, struct nook_error *err);
void nook_store_close(struct nook_store *st);
int nook_store_read_index(const char *dir, struct nook_image_info **out, size_t *n, struct nook_error *err);
int nook_store_write_index(const char *dir, const struct nook_image_info *v, size_t n, struct nook_error *err);
/* the entry matching ref (name after normalization, or an id prefix of at
 * least 4 hex digits), or -1 */
long nook_store_find(const struct nook_image_info *v, size_t n, const char *ref);
/* Remove the layers and blobs none of the n images uses, and stale pull
 * directories (the store is locked exclusively). */
int nook_store_prune_locked(const char *dir, const struct nook_image_info *v, size_t n, size_t *freed,
			    size_t *busy, struct nook_error *err);
/* Remove leftovers of killed pulls from tmp/ (the store is locked). */
void nook_store_clean_tmp(const char *dir);
