/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_names.c - the built-in seccomp allow-list (names) and the
 * resolution of system call names to numbers per ABI.
 *
 * Names come from libseccomp (seccomp_syscall_resolve_name_arch); system
 * calls it does not know (newer than the library, or the direct i386
 * socket calls it folds into socketcall) are resolved from the table of
 * numbers below, taken from the kernel's syscall_64.tbl / syscall_32.tbl.
 * This file has no other dependency: gen_scnr.c links it at build time to
 * write the numbers of the listed names (sc_numbers.h), so that a start
 * does not resolve ~700 names through libseccomp (0.15 ms).
 */
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "nook/security.h"

/* What a container payload may call. Names that do not exist on an ABI
 * are skipped for it. Not here, so refused: keyrings (keyctl, add_key,
 * request_key), bpf, perf_event_open, userfaultfd, io_uring_*,
 * open_by_handle_at, fanotify_init, kcmp, lookup_dcookie, kexec_*,
 * modules, the whole mount family old and new (mount, umount*, fsopen,
 * fsconfig, fsmount, fspick, move_mount, open_tree, open_tree_attr,
 * mount_setattr, pivot_root), unshare/setns (unless
 * allow_nested_userns), clock and time setting, reboot, swap, acct,
 * quotactl*, syslog, vhangup, iopl/ioperm, vm86, uselib, ustat, sysfs,
 * _sysctl, nfsservctl and the never-implemented numbers. */
const char *const nook_sc_allowlist[] = {
	/* files and descriptors */
	"read", "write", "open", "openat", "openat2", "creat", "close", "close_range",
	"lseek", "_llseek", "pread64", "pwrite64", "readv", "writev", "preadv",
	"pwritev", "preadv2", "pwritev2", "dup", "dup2", "dup3", "pipe", "pipe2",
	"fcntl", "fcntl64", "flock", "fsync", "fdatasync", "sync", "syncfs",
	"sync_file_range", "truncate", "truncate64", "ftruncate", "ftruncate64",
	"fallocate", "fadvise64", "fadvise64_64", "readahead", "sendfile",
	"sendfile64", "splice", "tee", "vmsplice", "copy_file_range", "ioctl",
	"stat", "stat64", "fstat", "fstat64", "lstat", "lstat64", "newfstatat",
	"fstatat64", "statx", "oldstat", "oldfstat", "oldlstat", "statfs",
	"statfs64", "fstatfs", "fstatfs64", "access", "faccessat", "faccessat2",
	"getdents", "getdents64", "readdir", "getcwd", "chdir", "fchdir", "chroot",
	"rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link",
	"linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink",
	"readlinkat", "mknod", "mknodat", "chmod", "fchmod", "fchmodat",
	"fchmodat2", "chown", "fchown", "lchown", "fchownat", "chown32",
	"fchown32", "lchown32", "umask", "utime", "utimes", "futimesat",
	"utimensat", "utimensat_time64", "name_to_handle_at",
	"setxattr", "lsetxattr", "fsetxattr", "getxattr", "lgetxattr", "fgetxattr",
	"listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr",
	"fremovexattr", "setxattrat", "getxattrat", "listxattrat", "removexattrat",
	"file_getattr", "file_setattr", "cachestat",
	/* mount information (read-only, this mount namespace) */
	"statmount", "listmount",
	/* polling and event descriptors */
	"poll", "ppoll", "ppoll_time64", "select", "_newselect", "pselect6",
	"pselect6_time64", "epoll_create", "epoll_create1", "epoll_ctl",
	"epoll_wait", "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
	"signalfd", "signalfd4", "timerfd_create", "timerfd_settime",
	"timerfd_settime64", "timerfd_gettime", "timerfd_gettime64",
	"inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
	"fanotify_mark",
	/* memory */
	"brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "pkey_mprotect",
	"pkey_alloc", "pkey_free", "msync", "mincore", "madvise", "mlock",
	"mlock2", "munlock", "mlockall", "munlockall", "remap_file_pages", "mbind",
	"set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
	"migrate_pages", "move_pages", "memfd_create", "memfd_secret", "mseal",
	"map_shadow_stack", "membarrier", "process_madvise", "process_mrelease",
	/* processes and threads */
	"clone", "clone3", "fork", "vfork", "execve", "execveat", "exit",
	"exit_group", "wait4", "waitid", "waitpid", "kill", "tkill", "tgkill",
	"pidfd_open", "pidfd_send_signal", "pidfd_getfd", "getpid", "getppid",
	"gettid", "getpgid", "setpgid", "getpgrp", "getsid", "setsid",
	"set_tid_address", "set_robust_list", "get_robust_list", "futex",
	"futex_time64", "futex_waitv", "futex_wake", "futex_wait", "futex_requeue",
	"rseq", "arch_prctl", "set_thread_area", "get_thread_area", "modify_ldt",
	"prctl", "personality", "seccomp", "landlock_create_ruleset",
	"landlock_add_rule", "landlock_restrict_self", "ptrace",
	"process_vm_readv", "process_vm_writev",
	/* only work from a uprobe trampoline; the kernel does not filter them */
	"uretprobe", "uprobe",
	"restart_syscall",
	/* credentials and limits */
	"getuid", "geteuid", "getgid", "getegid", "getuid32", "geteuid32",
	"getgid32", "getegid32", "setuid", "setuid32", "setgid", "setgid32",
	"setreuid", "setreuid32", "setregid", "setregid32", "setresuid",
	"setresuid32", "getresuid", "getresuid32", "setresgid", "setresgid32",
	"getresgid", "getresgid32", "setfsuid", "setfsuid32", "setfsgid",
	"setfsgid32", "getgroups", "getgroups32", "setgroups", "setgroups32",
	"capget", "capset", "getrlimit", "ugetrlimit", "setrlimit", "prlimit64",
	"getrusage", "getpriority", "setpriority", "nice", "ioprio_get",
	"ioprio_set", "sched_yield", "sched_setparam", "sched_getparam",
	"sched_setscheduler", "sched_getscheduler", "sched_get_priority_max",
	"sched_get_priority_min", "sched_rr_get_interval",
	"sched_rr_get_interval_time64", "sched_setaffinity", "sched_getaffinity",
	"sched_setattr", "sched_getattr", "getcpu",
	"lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules",
	/* signals */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending",
	"rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo",
	"rt_tgsigqueueinfo", "rt_sigsuspend", "sigaltstack", "sigaction",
	"sigprocmask", "sigreturn", "sigpending", "sigsuspend", "signal",
	"sgetmask", "ssetmask", "pause",
	/* time (reading it, sleeping, timers) */
	"time", "gettimeofday", "clock_gettime", "clock_gettime64", "clock_getres",
	"clock_getres_time64", "clock_nanosleep", "clock_nanosleep_time64",
	"nanosleep", "alarm", "getitimer", "setitimer", "times", "adjtimex",
	"timer_create", "timer_settime", "timer_settime64", "timer_gettime",
	"timer_gettime64", "timer_getoverrun", "timer_delete",
	/* system information; names of this UTS namespace */
	"uname", "olduname", "oldolduname", "sysinfo", "getrandom", "sethostname",
	"setdomainname",
	/* sockets (i386 also through socketcall) */
	"socket", "socketpair", "bind", "connect", "listen", "accept", "accept4",
	"getsockname", "getpeername", "getsockopt", "setsockopt", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg",
	"recvmmsg_time64", "shutdown", "socketcall",
	/* System V and POSIX IPC (i386 also through ipc) */
	"ipc", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl",
	"semtimedop", "semtimedop_time64", "msgget", "msgsnd", "msgrcv", "msgctl",
	"mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64",
	"mq_timedreceive", "mq_timedreceive_time64", "mq_notify", "mq_getsetattr",
	/* asynchronous I/O (not io_uring) */
	"io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
	"io_pgetevents", "io_pgetevents_time64",
	NULL,
};

/* Numbers for names libseccomp 2.5.4 does not resolve for an ABI: system
 * calls added after it (the same number on both ABIs since 4.x's unified
 * table), and the direct i386 socket and IPC calls, for which it answers
 * with a pseudo number (it rewrites rules to socketcall/ipc). -1: the ABI
 * has no such call. */
static const struct {
	const char *name;
	int x86_64, i386;
} late_numbers[] = {
	{ "uretprobe", 335, -1 },
	{ "uprobe", 336, -1 },
	{ "statmount", 457, 457 },
	{ "listmount", 458, 458 },
	{ "lsm_get_self_attr", 459, 459 },
	{ "lsm_set_self_attr", 460, 460 },
	{ "lsm_list_modules", 461, 461 },
	{ "mseal", 462, 462 },
	{ "setxattrat", 463, 463 },
	{ "getxattrat", 464, 464 },
	{ "listxattrat", 465, 465 },
	{ "removexattrat", 466, 466 },
	{ "open_tree_attr", 467, 467 },
	{ "file_getattr", 468, 468 },
	{ "file_setattr", 469, 469 },
	{ "recvmmsg", -1, 337 },
	{ "sendmmsg", -1, 345 },
	{ "socket", -1, 359 },
	{ "socketpair", -1, 360 },
	{ "bind", -1, 361 },
	{ "connect", -1, 362 },
	{ "listen", -1, 363 },
	{ "accept4", -1, 364 },
	{ "getsockopt", -1, 365 },
	{ "setsockopt", -1, 366 },
	{ "getsockname", -1, 367 },
	{ "getpeername", -1, 368 },
	{ "sendto", -1, 369 },
	{ "sendmsg", -1, 370 },
	{ "recvfrom", -1, 371 },
	{ "recvmsg", -1, 372 },
	{ "shutdown", -1, 373 },
	{ "semget", -1, 393 },
	{ "semctl", -1, 394 },
	{ "shmget", -1, 395 },
	{ "shmctl", -1, 396 },
	{ "shmat", -1, 397 },
	{ "shmdt", -1, 398 },
	{ "msgget", -1, 399 },
	{ "msgsnd", -1, 400 },
	{ "msgrcv", -1, 401 },
	{ "msgctl", -1, 402 },
};

int nook_sc_resolve(uint32_t arch, const char *name)
{
	int nr = seccomp_syscall_resolve_name_arch(arch, name);

	if (nr >= 0)
		return nr;
	for (size_t i = 0; i < sizeof(late_numbers) / sizeof(late_numbers[0]); i++) {
		if (strcmp(late_numbers[i].name, name) != 0)
			continue;
		if (arch == SCMP_ARCH_X86_64)
			return late_numbers[i].x86_64;
		if (arch == SCMP_ARCH_X86)
			return late_numbers[i].i386;
		return -1;
	}
	return -1;
}

bool nook_sc_name_known(const char *name)
{
	if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
		return true;
	for (size_t i = 0; i < sizeof(late_numbers) / sizeof(late_numbers[0]); i++)
		if (strcmp(late_numbers[i].name, name) == 0)
			return true;
	return false;
}

