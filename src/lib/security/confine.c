/* SPDX-License-Identifier: GPL-2.0-or-later */
/* confine.c - the sandbox of the helper processes nook starts outside the
 * container, which handle data the container controls.
 *
 * The UDP port relay (net/udprelay.c) is nook's own code, forked from nook.
 * Once it holds its sockets (host sockets bound, the container's user and
 * network namespaces joined) it needs nothing but a few socket calls, so
 * it gets everything:
 *   - a mount namespace of its own whose only mount is an empty read-only
 *     tmpfs it is pivoted into (nook_confine_empty_root): the host's tree
 *     is gone, not just hidden;
 *   - no capabilities (it joined the container's user namespace as its
 *     root: without the drop it could configure the container's network);
 *   - no_new_privs;
 *   - a Landlock domain with every filesystem right handled and none
 *     given, TCP bind/connect denied, signals and abstract unix sockets
 *     scoped to the domain;
 *   - a seccomp allow-list of exactly the calls its loop makes
 *     (nook_sc_relay); anything else kills it. socket() is allowed only
 *     for AF_INET datagram sockets.
 *   No pid namespace: it would need an extra process (only a child of the
 *   unsharer enters it) and would add nothing, since nothing that can see
 *   or touch another process (kill, ptrace, pidfd_*, /proc, which is not
 *   even mounted) is left to the relay.
 *
 * fuse-overlayfs (fs/fuseovl.c) is an external program and serves the
 * whole overlay, so it keeps its capabilities in the container's user
 * namespace (it creates files with the container's owners) and its file
 * access to the layers. It gets:
 *   - a mount namespace of its own (a slave copy of the host's: the layer
 *     paths are host paths, see fuseovl.c);
 *   - no_new_privs (harmless: nook mounts the FUSE filesystem itself and
 *     passes the /dev/fuse fd, fusermount3, which is setuid, is never run);
 *   - a Landlock domain: read on the lower layers, read-write on the upper
 *     and work directories, read and execute on the system's program and
 *     library directories (/usr, /lib*: it has to be executed and its
 *     libraries loaded after the domain is in force), /dev/null, and the
 *     three /proc/sys values it reads. Its /dev/fuse fd was opened before
 *     and is not affected. Nothing else of the host (the user's home above
 *     all) can be opened, written or created;
 *   - the container's default seccomp allow-list (no keyrings, bpf, perf,
 *     io_uring, mount family, unshare/setns or namespace flags of clone,
 *     ...), none of which fuse-overlayfs calls;
 *   - no pid namespace either: fuse-overlayfs is exec'ed, so a pid
 *     namespace would need a waiting parent in between, and nook's
 *     process handling (pidfd, exit status and log for the error
 *     message) is built on the daemon being its child. Landlock's ptrace
 *     rule and its signal scope keep it from touching processes outside
 *     its domain.
 *
 * Costs: the filters are compiled in the parent before the fork (about
 * 0.1 ms; there is no cache, see seccomp.c) and only when the helper is
 * started, i.e. with published UDP ports or an overlay root served by
 * fuse-overlayfs. Unsharing a mount namespace copies the host's mount
 * table once.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"

struct nook_confine {
	enum nook_confine_kind kind;
	void *bpf;
	size_t n_insns;
	int last_cap;
};

/* What the relay's loop calls (glibc: recv/send are recvfrom/sendto;
 * time() and clock_gettime() are vDSO calls unless the vDSO is missing). */
static const char *const relay_syscalls[] = {
	"poll", "ppoll", "recvfrom", "sendto", "recvmmsg", "sendmmsg", "sendmsg", "connect", "close",
	"clock_gettime", "gettimeofday", "time",
	"exit", "exit_group", "rt_sigreturn", "restart_syscall",
	NULL,
};

void nook_sc_relay(struct nook_sc_filter *f)
{
	struct scmp_arg_cmp a[3] = {
		SCMP_A0(SCMP_CMP_EQ, AF_INET),
		SCMP_A1(SCMP_CMP_EQ, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK),
		SCMP_A2(SCMP_CMP_EQ, 0),
	};

	nook_sc_filter_init(f, SCMP_ACT_KILL_PROCESS);
	/* the relay is a native binary: the other ABIs are refused outright */
	f->arches[0] = SCMP_ARCH_NATIVE;
	f->n_arches = 1;
	for (size_t i = 0; relay_syscalls[i]; i++)
		nook_sc_filter_add(f, relay_syscalls[i], SCMP_ACT_ALLOW, 0, NULL);
	nook_sc_filter_add(f, "socket", SCMP_ACT_ALLOW, 3, a);
	/* the buffer sizes of a new session's socket, nothing else */
	struct scmp_arg_cmp rb[2] = { SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_RCVBUF) };
	struct scmp_arg_cmp sb[2] = { SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET), SCMP_A2(SCMP_CMP_EQ, SO_SNDBUF) };
	nook_sc_filter_add(f, "setsockopt", SCMP_ACT_ALLOW, 2, rb);
	nook_sc_filter_add(f, "setsockopt", SCMP_ACT_ALLOW, 2, sb);
}

int nook_confine_prepare(enum nook_confine_kind kind, struct nook_confine **out,
			 struct nook_error *err)
{
	struct nook_confine *c = nook_xmalloc(sizeof(*c));
	struct nook_sc_filter f;
	int r = 0;

	*out = NULL;
	c->kind = kind;
	c->last_cap = nook_caps_last_cap();
	if (kind == NOOK_CONFINE_RELAY) {
		nook_sc_relay(&f);
	} else {
		/* the container's own default allow-list, for a spec with
		 * nothing added (EPERM, no nested namespaces) */
		struct nook_spec defaults;
		int major, minor;
		nook_kernel_version(&major, &minor);
		nook_spec_init(&defaults);
		r = nook_sc_default(&defaults, major, minor, &f, err);
		nook_spec_free(&defaults);
	}
	if (r == 0)
		r = nook_sc_compile(&f, &c->bpf, &c->n_insns, err);
	nook_sc_filter_free(&f);
	if (r < 0) {
		nook_confine_free(c);
		return r;
	}
	*out = c;
	return 0;
}

void nook_confine_free(struct nook_confine *c)
{
	if (!c)
		return;
	free(c->bpf);
	free(c);
}

int nook_confine_empty_root(struct nook_error *err)
{
	_cleanup_close_ int fs = -1, mnt = -1;

	if (unshare(CLONE_NEWNS) < 0)
		return nook_err(err, errno, "cannot create a mount namespace");
	/* nothing we do here reaches the host, nothing of the host reaches us */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return nook_err(err, errno, "cannot make the mounts private");
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return nook_err(err, errno, "fsopen(tmpfs)");
	if (fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return nook_err(err, errno, "cannot create an empty tmpfs");
	mnt = fsmount(fs, FSMOUNT_CLOEXEC,
		      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (mnt < 0)
		return nook_err(err, errno, "fsmount(tmpfs)");
	/* on top of /, which is a mount point whatever the host looks like;
	 * then the tmpfs becomes the root and the old one is detached */
	if (move_mount(mnt, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return nook_err(err, errno, "cannot mount the empty tmpfs on /");
	if (fchdir(mnt) < 0)
		return nook_err(err, errno, "cannot enter the empty tmpfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return nook_err(err, errno, "cannot pivot_root into the empty tmpfs");
	if (umount2(".", MNT_DETACH) < 0)
		return nook_err(err, errno, "cannot detach the old root");
	if (chdir("/") < 0)
		return nook_err(err, errno, "chdir /");
	return 0;
}

int nook_confine_drop_caps(const struct nook_confine *c, struct nook_error *err)
{
	int r = nook_caps_apply_bounding(0, c->last_cap, err);
	if (r == 0)
		r = nook_caps_apply_sets(0, 0, 0, c->last_cap, err);
	return r;
}

int nook_confine_apply(const struct nook_confine *c, const struct nook_ll_path *paths, size_t n,
		       struct nook_error *err)
{
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		return nook_err(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	r = nook_landlock_confine(paths, n, err);
	if (r < 0 && r != -EOPNOTSUPP)
		return r;
	return nook_sc_load(c->bpf, c->n_insns, false, EPERM, err);
}
