/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ownership.h - files of the user's root filesystem whose owner the
 * container's user namespace does not map.
 *
 * Inside a user namespace a file owned by an unmapped uid or gid shows as
 * owned by the overflow id (65534, nobody), root inside has no privilege
 * over it, and overlayfs cannot copy it up to write to it (EOVERFLOW,
 * "Value too large for defined data type"). Typical causes: a tree
 * unpacked as root, or `chown -R user dir` that left the group root, or a
 * tree written in subuid mode and used in self mode.
 *
 * nook does not scan trees. When it starts it looks at the top directory
 * of the rootfs (one stat per directory or overlay layer); when a step
 * inside the container fails, it looks at the components of the path that
 * step failed on. */
#pragma once
#include <stdbool.h>
#include "nook/error.h"
#include "nook/idmap.h"
#include "nook/spec.h"

/* Start: when the top directory of a writable rootfs directory or of an
 * overlay's lower layer is owned by an id the maps do not cover, put a
 * warning that says so and how to fix it in warning and return true. */
bool nook_ownership_check(const struct nook_spec *s, const struct nook_idmaps *m, char *warning, size_t size);

/* Failure path: errnum (EOVERFLOW, EACCES or EPERM; others are ignored)
 * came from a step on path, inside the container. When a component of
 * that path that comes from the rootfs (its directory, or the overlay's
 * layers; not another mount) is owned by an id the maps do not cover,
 * append which one, where it is on the host and how to fix it to
 * err->msg, and return true. */
bool nook_ownership_explain(const struct nook_spec *s, const struct nook_idmaps *m,
			    const char *path, int errnum, struct nook_error *err);
