/* SPDX-License-Identifier: GPL-2.0-or-later */
/* missing.h - the kernel constants nook uses that older libc headers lack.
 * Each is the value the kernel's uapi headers give; one place, so that no
 * file carries its own copy. Include it after the system headers. */
#pragma once
#include <fcntl.h>

/* clone3 and namespaces (linux/sched.h) */
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* waitid on a pidfd (linux/wait.h) */
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* close_range (linux/close_range.h) */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* the new mount API (linux/mount.h) */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif

/* terminals (asm-generic/ioctls.h) */
#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
