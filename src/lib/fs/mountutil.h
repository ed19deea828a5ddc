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

/* Clone the mount tree at src (recursively when rec), apply attrs
 * (MOUNT_ATTR_*) to the whole clone, and attach it on target_fd. */
int nook_bind_fd(const char *src, int target_fd, bool rec, unsigned attrs);
/* The same, then the propagation of the attached mount set (MS_SHARED,
 * MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE, | MS_REC for its whole tree; 0:
 * as the kernel makes it). */
int nook_bind_fd_prop(const char *src, int target_fd, bool rec, unsigned attrs, unsigned long propagation);
/* Set attrs recursively on the mount tree at path (mount_setattr). */
int nook_mount_setattr(int dirfd, const char *path, unsigned attrs_set, bool rec);
/* The same, clearing attrs_clr too. */
int nook_mount_setattr_clr(int dirfd, const char *path, unsigned attrs_set, unsigned attrs_clr, bool rec);
/* Copy the contents of directory from into directory to (copyup.c: the
 * OCI tmpcopyup option). Returns 0 or -errno. */
int nook_copy_tree(int from, int to);
/* Classic mount(2) onto an O_PATH fd (via /proc/self/fd of a given proc). */
int nook_mount_on_fd(const char *proc_root, const char *source, int target_fd,
		     const char *fstype, unsigned long flags, const char *data);
