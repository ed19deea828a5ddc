/* SPDX-License-Identifier: GPL-2.0-or-later */
/* landlock.c - restrict the payload's filesystem access with Landlock.
 *
 * Debian 12's headers predate the newer Landlock ABIs, so the few
 * constants and structures are spelled out here (they are kernel ABI).
 * The newest ABI the running kernel reports decides which rights nook
 * handles; rights the kernel does not know are left out.
 *
 * Scoping (ABI 6) keeps the payload from connecting to abstract unix
 * sockets and from signalling processes outside its Landlock domain. A new
 * network namespace already gives the container its own abstract socket
 * names, and a new pid namespace hides the host's processes, so the
 * default (scope: auto) asks for each scope only where its namespace is
 * shared with the host; a kernel without ABI 6 then runs without it,
 * quietly (--verbose says so).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nook/security.h"
#include "nook/cleanup.h"

#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#define __NR_landlock_add_rule 445
#define __NR_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE     (1ULL << 0)
#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_READ_FILE   (1ULL << 2)
#define LL_FS_READ_DIR    (1ULL << 3)
#define LL_FS_REMOVE_DIR  (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR   (1ULL << 6)
#define LL_FS_MAKE_DIR    (1ULL << 7)
#define LL_FS_MAKE_REG    (1ULL << 8)
#define LL_FS_MAKE_SOCK   (1ULL << 9)
#define LL_FS_MAKE_FIFO   (1ULL << 10)
#define LL_FS_MAKE_BLOCK  (1ULL << 11)
#define LL_FS_MAKE_SYM    (1ULL << 12)
#define LL_FS_REFER       (1ULL << 13) /* ABI 2 */
#define LL_FS_TRUNCATE    (1ULL << 14) /* ABI 3 */
#define LL_FS_IOCTL_DEV   (1ULL << 15) /* ABI 5 */

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ULL << 1) /* ABI 6 */

/* rights that make sense on a non-directory */
#define LL_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | \
			LL_FS_TRUNCATE | LL_FS_IOCTL_DEV)

/* handled_access_net (ABI 4) and scoped (ABI 6) are passed only to a
 * kernel that knows them: the size given says which fields are there */
struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

int nook_landlock_abi(void)
{
	long v = syscall(__NR_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

uint64_t nook_landlock_handled(int abi)
{
	uint64_t m;

	if (abi < 1)
		return 0;
	m = (LL_FS_MAKE_SYM << 1) - 1; /* ABI 1: bits 0..12 */
	if (abi >= 2)
		m |= LL_FS_REFER;
	if (abi >= 3)
		m |= LL_FS_TRUNCATE;
	if (abi >= 5)
		m |= LL_FS_IOCTL_DEV;
	return m;
}

uint64_t nook_landlock_rights(int abi, char kind, bool is_dir)
{
	uint64_t read = LL_FS_READ_FILE | LL_FS_READ_DIR;
	uint64_t m;

	switch (kind) {
	case 'r':
		m = read;
		break;
	case 'x':
		/* the dynamic loader reads what it maps */
		m = read | LL_FS_EXECUTE;
		break;
	case 'w':
		/* write includes read; not execute */
		m = nook_landlock_handled(abi) & ~LL_FS_EXECUTE;
		break;
	default:
		return 0;
	}
	m &= nook_landlock_handled(abi);
	if (!is_dir)
		m &= LL_FILE_RIGHTS;
	return m;
}

int nook_landlock_scope(const struct nook_spec *s)
{
	if (s->landlock_scope != NOOK_LL_SCOPE_AUTO)
		return s->landlock_scope;
	int bits = 0;
	if (!(s->ns_flags & CLONE_NEWNET) || s->net == NOOK_NET_HOST)
		bits |= NOOK_LL_SCOPE_ABSTRACT_UNIX;
	if (!(s->ns_flags & CLONE_NEWPID))
		bits |= NOOK_LL_SCOPE_SIGNAL;
	return bits;
}

uint64_t nook_landlock_scoped(int abi, int scope)
{
	uint64_t m = 0;

	if (abi < 6)
		return 0;
	if (scope & NOOK_LL_SCOPE_ABSTRACT_UNIX)
		m |= LL_SCOPE_ABSTRACT_UNIX_SOCKET;
	if (scope & NOOK_LL_SCOPE_SIGNAL)
		m |= LL_SCOPE_SIGNAL;
	return m;
}

static int add_paths(int ruleset, int abi, char *const *paths, char kind,
		     const char *key, struct nook_error *err)
{
	for (size_t i = 0; paths && paths[i]; i++) {
		_cleanup_close_ int fd = open(paths[i], O_PATH | O_CLOEXEC);
		struct ll_path_beneath_attr pb;
		struct stat st;

		if (fd < 0)
			return nook_err(err, errno,
					"landlock.%s: cannot open '%s' inside the container (remove it from the list or create it)",
					key, paths[i]);
		if (fstat(fd, &st) < 0)
			return nook_err(err, errno, "landlock.%s: stat '%s'", key, paths[i]);
		pb.allowed_access = nook_landlock_rights(abi, kind, S_ISDIR(st.st_mode));
		pb.parent_fd = fd;
		if (!pb.allowed_access)
			continue;
		if (syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
			return nook_err(err, errno, "landlock.%s: cannot add a rule for '%s'", key, paths[i]);
	}
	return 0;
}

/* Scopes asked for that this kernel cannot enforce: an error with
 * landlock.required, a warning when the profile named them, a --verbose
 * note when they came from scope: auto. */
static int scope_unsupported(const struct nook_spec *s, int abi, int scope, struct nook_error *err)
{
	if (!scope || abi >= 6)
		return 0;
	bool asked = s->landlock_scope != NOOK_LL_SCOPE_AUTO;
	if (asked && s->landlock_required)
		return nook_errx(err, EOPNOTSUPP,
				 "landlock.required is true but this kernel's Landlock (ABI %d) cannot scope abstract unix sockets or signals (that needs ABI 6, Linux 6.12; or set landlock.required: false)",
				 abi);
	if (asked)
		nook_warn("this kernel's Landlock (ABI %d) cannot scope abstract unix sockets or signals (needs ABI 6, Linux 6.12); running without security.landlock.scope", abi);
	else
		nook_verbose("landlock: this kernel (ABI %d) cannot scope abstract unix sockets or signals (needs ABI 6)", abi);
	return 0;
}

int nook_landlock_apply(const struct nook_spec *s, struct nook_error *err)
{
	struct ll_ruleset_attr attr = { 0 };
	_cleanup_close_ int ruleset = -1;
	int abi, r, scope = nook_landlock_scope(s);

	if (!s->landlock_enabled && !scope)
		return 0;
	abi = nook_landlock_abi();
	if (abi < 1) {
		if (s->landlock_required)
			return nook_errx(err, EOPNOTSUPP,
					 "landlock.required is true but this kernel has no Landlock support (enable CONFIG_SECURITY_LANDLOCK and add 'landlock' to the lsm= boot parameter, or set landlock.required: false)");
		if (s->landlock_enabled || s->landlock_scope != NOOK_LL_SCOPE_AUTO)
			nook_warn("this kernel has no Landlock support; running without the landlock restrictions of this profile");
		else
			nook_verbose("landlock: this kernel has no Landlock; abstract unix sockets and signals are not scoped");
		return 0;
	}
	if ((r = scope_unsupported(s, abi, scope, err)) < 0)
		return r;

	attr.handled_access_fs = s->landlock_enabled ? nook_landlock_handled(abi) : 0;
	attr.scoped = nook_landlock_scoped(abi, scope);
	if (!attr.handled_access_fs && !attr.scoped)
		return 0;
	ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr,
			       abi >= 6 ? sizeof(attr) : sizeof(attr.handled_access_fs), 0);
	if (ruleset < 0)
		return nook_err(err, errno, "cannot create the Landlock ruleset");

	if (s->landlock_enabled) {
		r = add_paths(ruleset, abi, s->landlock_read, 'r', "read", err);
		if (r == 0)
			r = add_paths(ruleset, abi, s->landlock_write, 'w', "write", err);
		if (r == 0)
			r = add_paths(ruleset, abi, s->landlock_execute, 'x', "execute", err);
		if (r < 0)
			return r;
	}

	if (syscall(__NR_landlock_restrict_self, ruleset, 0) < 0)
		return nook_err(err, errno, "cannot enforce the Landlock ruleset%s",
				errno == EPERM ? " (it needs no_new_privs or CAP_SYS_ADMIN)" : "");
	if (attr.scoped)
		nook_verbose("landlock: scoped%s%s (ABI %d)",
			     attr.scoped & LL_SCOPE_ABSTRACT_UNIX_SOCKET ? " abstract unix sockets" : "",
			     attr.scoped & LL_SCOPE_SIGNAL ? " signals" : "", abi);
	return 0;
}

/* ------------------------------------------------------------ helpers
 * The helper processes nook starts outside the container (the UDP relay,
 * fuse-overlayfs) get a domain of their own: every filesystem right the
 * kernel knows is handled and only the listed paths get some back; TCP
 * bind and connect (ABI 4) are handled with no port allowed; and (ABI 6)
 * abstract unix sockets and signals are scoped to the domain, so the
 * helper can neither connect to a host's abstract socket nor signal a
 * process outside its sandbox. Missing paths are skipped (a /lib64 that
 * does not exist needs no right). */

#define LL_NET_BIND_TCP    (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ULL << 1)

struct ll_ruleset_attr_v6 {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

int nook_landlock_confine(const struct nook_ll_path *paths, size_t n, struct nook_error *err)
{
	struct ll_ruleset_attr_v6 attr = { 0 };
	size_t size = sizeof(attr.handled_access_fs);
	_cleanup_close_ int ruleset = -1;
	int abi = nook_landlock_abi();

	if (abi < 1)
		return -EOPNOTSUPP;
	attr.handled_access_fs = nook_landlock_handled(abi);
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr_v6, scoped);
	}
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return nook_err(err, errno, "cannot create a Landlock ruleset");
	for (size_t i = 0; i < n; i++) {
		_cleanup_close_ int fd = open(paths[i].path, O_PATH | O_CLOEXEC);
		struct ll_path_beneath_attr pb;
		struct stat st;

		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
			continue;
		if (fd < 0 || fstat(fd, &st) < 0)
			return nook_err(err, errno, "Landlock: cannot open %s", paths[i].path);
		pb.allowed_access = nook_landlock_rights(abi, paths[i].kind, S_ISDIR(st.st_mode));
		pb.parent_fd = fd;
		if (pb.allowed_access &&
		    syscall(__NR_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0)
			return nook_err(err, errno, "Landlock: cannot add a rule for %s", paths[i].path);
	}
	if (syscall(__NR_landlock_restrict_self, ruleset, 0) < 0)
		return nook_err(err, errno, "cannot enforce the Landlock ruleset");
	return 0;
}
