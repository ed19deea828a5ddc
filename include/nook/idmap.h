/* SPDX-License-Identifier: GPL-2.0-or-later */
/* idmap.h - user-namespace id maps: range selection, map lines, writing them. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "nook/spec.h"

struct nook_error;

/* The maps nook will write, uid and gid side. */
struct nook_idmaps {
	enum nook_userns_mode mode;     /* SELF, SUBUID, PARENT or NONE after resolution */
	struct nook_idmap uid[8]; size_t n_uid;
	struct nook_idmap gid[8]; size_t n_gid;
	char why[256];                  /* why this mode was chosen (for --verbose) */
	char newuidmap[256], newgidmap[256]; /* the helpers found while resolving */
};

/* Pure: build maps for "self" mode: inside_uid -> caller uid, count 1. */
void nook_idmaps_self(struct nook_idmaps *m, uid_t caller_uid, gid_t caller_gid,
		      uid_t inside_uid, gid_t inside_gid);
/* Pure: build maps for "subuid" mode: 0 -> caller, 1..count -> range start. */
void nook_idmaps_subuid(struct nook_idmaps *m, uid_t caller_uid, gid_t caller_gid,
			unsigned long uid_start, unsigned long uid_count,
			unsigned long gid_start, unsigned long gid_count);
/* Pure: pick the range to use from a list: the largest one; ties -> first.
 * Returns the index, or -1 if n == 0 or all are empty. */
int nook_subid_pick(const unsigned long *starts, const unsigned long *counts, size_t n);
/* Pure: format maps as the kernel expects ("inside outside count\n" lines). */
int nook_idmap_format(const struct nook_idmap *m, size_t n, char *buf, size_t size);
/* Pure: format the argument list for newuidmap/newgidmap after the pid. */
char **nook_idmap_helper_args(const char *helper, pid_t pid, const struct nook_idmap *m, size_t n);

/* Look up the caller's subordinate ranges with libsubid. Returns 0 and fills
 * start/count, -ENOENT if the user has no range, other negative on error. */
int nook_subid_lookup(const char *user, bool gid, unsigned long *start,
		      unsigned long *count, struct nook_error *err);

/* Could the maps for this spec be the caller's subordinate range (no
 * explicit map lines, not self mode, not auto with the host's or an empty
 * root)? Reads nothing. */
bool nook_idmaps_may_subuid(const struct nook_spec *s);
/* Decide the mode and the maps for this spec (AUTO resolved here). */
int nook_idmaps_resolve(const struct nook_spec *s, struct nook_idmaps *m,
			struct nook_error *err);
/* Whether this process has CAP_SYS_ADMIN (effective) in its own user
 * namespace: enough to make a container's namespaces, mount its root and
 * join namespaces owned there without a user namespace of the
 * container's own (NOOK_USERNS_NONE). */
bool nook_userns_admin(void);
/* This process's own ranges (/proc/self/uid_map, or gid_map) as identity
 * map lines (inside = outside = its ids): at most max into out, *n of
 * them. 0, or -errno (-ENOENT: none). */
int nook_idmap_own(bool gid, struct nook_idmap *out, size_t max, size_t *n);
/* Write the maps for process pid (parent side); none in NOOK_USERNS_NONE. */
int nook_idmaps_apply(const struct nook_idmaps *m, pid_t pid, struct nook_error *err);
/* Pure: does one of the n map lines cover the host (outside) id? */
bool nook_idmap_covers(const struct nook_idmap *m, size_t n, unsigned long outside);
/* The caller's subordinate uid and gid ranges as map lines from inside 1
 * (count 0 when there are none or they cannot be read). For advice on a
 * failure path: it reads /etc/subuid and /etc/subgid (or NSS) again. */
void nook_subid_caller_ranges(struct nook_idmap *uid, struct nook_idmap *gid);
/* Pure: the highest inside gid the maps cover (0 when there are none). */
unsigned long nook_idmaps_max_gid(const struct nook_idmaps *m);
/* Self mode only: the child writes its own maps (it maps only its own ids). */
int nook_idmaps_apply_self(const struct nook_idmaps *m, struct nook_error *err);
