/* SPDX-License-Identifier: GPL-2.0-or-later */
/* probe.c - a static program that runs inside a container and reports,
 * one line per check, what it could and could not do.
 *
 * Every line is "NAME: RESULT", where RESULT is "ok" (the kernel let it
 * through), an errno name such as EPERM or ENOSYS, or for files "masked"
 * (the path reads as /dev/null or an empty directory) and "absent". The
 * attacks use arguments that the kernel itself would reject with an error
 * other than EPERM where it can, so a seccomp denial is told apart from a
 * kernel refusal. Nothing here changes the host: the container is private.
 *
 * Every check runs in a child of its own: a check that crashes (int $0x80
 * on a kernel without the i386 ABI faults) is reported as "NAME: SIGSEGV"
 * and the checks after it still run.
 *
 * Build: static, so it runs in any root filesystem (tests/probe).
 * Usage: probe            run every check
 *        probe NAME...    run only the named checks; some run only when
 *                         named: crash (a deliberate SIGSEGV), init_fds
 *                         (a race for the init's fds, run first and in
 *                         this process) and the sweeps below
 *        probe --allowed FILE sweep_x86_64 sweep_i386 sweep_x32
 *                         call every number from 0 to 500 (x32: 0 to 600)
 *                         that FILE (the output of `nook profile seccomp`)
 *                         does not list for the ABI, with arguments the
 *                         kernel would reject; each must say EPERM or
 *                         ENOSYS. Prints "NAME: ok E EPERM N ENOSYS" or
 *                         the numbers that answered otherwise.
 *        probe --no-landlock CMD...  see exec_without_landlock()
 *        probe --no-i386 CMD...      see exec_without_i386()
 *        probe --connect PATH...   connect() to each unix socket PATH
 *                         (@NAME: the abstract socket NAME), one line
 *                         "connect PATH: ok|ERRNO" each
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif
#define X32_BIT 0x40000000L
#define X32_KEYCTL 250          /* x32 and x86_64 share this number */
#define I386_KEYCTL 288
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING (-3)
#define KEY_SPEC_PROCESS_KEYRING (-2)
#define UFFD_USER_MODE_ONLY 1

static pid_t orig_ppid;           /* the probe's parent, before any fork */
static const char *allowed_file;  /* --allowed FILE */

static const char *ename(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static void report(const char *name, long r, int e)
{
	printf("%s: %s\n", name, r < 0 ? ename(e) : "ok");
	fflush(stdout);
}

#define SYS(name, ...) do { errno = 0; long _r = syscall(__VA_ARGS__); report(name, _r, errno); } while (0)
/* the same for calls that return a new fd on success: close it again */
#define SYSFD(name, ...) do { errno = 0; long _r = syscall(__VA_ARGS__); report(name, _r, errno); \
			      if (_r >= 0) close((int)_r); } while (0)

static void check_tiocsti(void)
{
	char c = '#';
	long r;

	errno = 0;
	r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &c);
	report("tiocsti", r, errno);
	/* the kernel only looks at the low 32 bits of the command */
	errno = 0;
	r = syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI | (1UL << 32), &c);
	report("tiocsti_high", r, errno);
}

static void check_tioclinux(void)
{
	char sub = 0; /* an invalid subcode: harmless if it got through */
	errno = 0;
	long r = syscall(SYS_ioctl, 0, (unsigned long)TIOCLINUX, &sub);
	report("tioclinux", r, errno);
}

/* Run fn in a child so namespace changes do not leak into later checks. */
static void in_child(const char *name, int (*fn)(void))
{
	int st;
	pid_t p = fork();

	if (p < 0) {
		report(name, -1, errno);
		return;
	}
	if (p == 0)
		_exit(fn() < 0 ? (errno & 0xff) : 0);
	if (waitpid(p, &st, 0) < 0 || !WIFEXITED(st)) {
		printf("%s: killed\n", name);
		fflush(stdout);
		return;
	}
	report(name, WEXITSTATUS(st) ? -1 : 0, WEXITSTATUS(st));
}

static int do_unshare_user(void) { return unshare(CLONE_NEWUSER); }

static void check_clone_newns(void)
{
	errno = 0;
	long p = syscall(SYS_clone, (unsigned long)(CLONE_NEWNS | SIGCHLD), 0L, 0L, 0L, 0L);
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	report("clone_newns", p, errno);
}

static void check_clone3(void)
{
	struct clone_args a;

	memset(&a, 0, sizeof(a));
	a.exit_signal = SIGCHLD;
	errno = 0;
	long p = syscall(SYS_clone3, &a, sizeof(a));
	if (p == 0)
		_exit(0);
	if (p > 0)
		waitpid((pid_t)p, NULL, 0);
	report("clone3", p, errno);
}

static void check_read(const char *name, const char *path)
{
	struct stat st;
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		printf("%s: %s\n", name, errno == ENOENT ? "absent" : ename(errno));
		fflush(stdout);
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
		printf("%s: masked\n", name);
	} else {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0)
			printf("%s: %s\n", name, ename(errno));
		else
			printf("%s: ok\n", name);
	}
	fflush(stdout);
	close(fd);
}

/* A masked directory is an empty tmpfs on top of /proc or /sys. */
static void check_masked_dir(const char *name, const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0) {
		printf("%s: %s\n", name, errno == ENOENT ? "absent" : ename(errno));
		fflush(stdout);
		return;
	}
	printf("%s: %s\n", name, sf.f_type == TMPFS_MAGIC ? "masked" : "ok");
	fflush(stdout);
}

/* A sysctl of the container's own network namespace: its root may write
 * it, so only a read-only /proc/sys stops the write. The current value is
 * written back unchanged. */
static void check_write_proc_sys(void)
{
	const char *path = "/proc/sys/net/ipv4/ip_default_ttl";
	char val[64] = "64\n";
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t n = read(fd, val, sizeof(val) - 1);
		val[n > 0 ? n : 0] = 0;
		close(fd);
	}
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		report("write_proc_sys", -1, errno);
		return;
	}
	errno = 0;
	long r = write(fd, val, strlen(val));
	report("write_proc_sys", r, errno);
	close(fd);
}

static void check_write_sysrq(void)
{
	/* open for writing only; never write a command */
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		printf("write_sysrq: absent\n");
		fflush(stdout);
		return;
	}
	report("write_sysrq", fd, errno);
	if (fd >= 0)
		close(fd);
}

static void check_mknod(void)
{
	const char *dirs[] = { "/tmp", "/dev/shm", ".", NULL };
	char path[256];

	for (int i = 0; dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/nook-probe-node.%d", dirs[i], (int)getpid());
		errno = 0;
		int r = mknod(path, S_IFCHR | 0600, makedev(1, 3));
		if (r == 0)
			unlink(path);
		if (r == 0 || (errno != EROFS && errno != EACCES)) {
			report("mknod", r, errno);
			return;
		}
	}
	report("mknod", -1, errno);
}

static void check_i386_keyctl(void)
{
	long r;

	/* the i386 ABI through int $0x80 */
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"((long)I386_KEYCTL), "b"((long)KEYCTL_GET_KEYRING_ID),
			   "c"((long)KEY_SPEC_SESSION_KEYRING), "d"(0L)
			 : "memory");
	report("i386_keyctl", r < 0 && r > -4096 ? -1 : r, r < 0 && r > -4096 ? (int)-r : 0);
}

static void check_i386_tiocsti(void)
{
	static char c = '#';
	long r;

	/* ioctl(0, TIOCSTI, &c) through the i386 entry (ioctl is 54 there) */
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(54L), "b"(0L), "c"((long)TIOCSTI), "d"((long)(uintptr_t)&c)
			 : "memory");
	report("i386_tiocsti", r < 0 && r > -4096 ? -1 : r, r < 0 && r > -4096 ? (int)-r : 0);
}

/* socket(AF_NETLINK, SOCK_RAW, 0) through i386's socketcall multiplexer,
 * whose arguments lie in memory (below 4 GiB for the 32-bit pointer) */
static void check_i386_socketcall(void)
{
	uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long r;

	if (args == MAP_FAILED) {
		report("i386_socketcall", -1, errno);
		return;
	}
	args[0] = AF_NETLINK;
	args[1] = SOCK_RAW;
	args[2] = 0;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(102L), "b"(1L /* SYS_SOCKET */), "c"((long)(uintptr_t)args)
			 : "memory");
	report("i386_socketcall", r < 0 && r > -4096 ? -1 : r, r < 0 && r > -4096 ? (int)-r : 0);
}

static void check_personality(void)
{
	errno = 0;
	long r = syscall(SYS_personality, (unsigned long)(PER_LINUX | ADDR_NO_RANDOMIZE));
	report("personality", r, errno);
	if (r >= 0)
		syscall(SYS_personality, (unsigned long)r);
	/* a safe value and the query must keep working */
	errno = 0;
	r = syscall(SYS_personality, 0xffffffffUL);
	report("personality_query", r, errno);
}

static void check_ptrace_parent(void)
{
	pid_t pp = orig_ppid;

	if (pp <= 0) {
		printf("ptrace_parent: none\n");
		fflush(stdout);
		return;
	}
	errno = 0;
	/* SEIZE does not stop the tracee; our exit detaches */
	long r = ptrace(PTRACE_SEIZE, pp, NULL, NULL);
	report("ptrace_parent", r, errno);
	if (r == 0)
		ptrace(PTRACE_DETACH, pp, NULL, NULL);
}

static void check_umount_masked(void)
{
	const char *paths[] = { "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/acpi", NULL };

	for (int i = 0; paths[i]; i++) {
		if (access(paths[i], F_OK) < 0)
			continue;
		errno = 0;
		long r = umount2(paths[i], MNT_DETACH);
		report("umount_masked", r, errno);
		if (r == 0) /* what the mask hid */
			check_read("unmasked_read", paths[i]);
		return;
	}
	printf("umount_masked: absent\n");
	fflush(stdout);
}

/* The container's init (pid 1, nook's reaper) must hold nothing that
 * leads out of the container, and must not be dumpable (or /proc/1/fd
 * would let us reopen what it holds). Race for it the moment we start:
 * open each of its fds as a directory (nook's state directory, one the
 * caller leaked) and, on success, write MARKER there and in its parent.
 * Gives up once /proc/1 no longer belongs to the container's root (the
 * init is not dumpable any more) or after 50 ms. One line:
 * "init_fds: ESCAPED /proc/1/fd/N ..." or the last refusal (EACCES). */
#define INIT_FDS_MARKER "nook-escape-marker"
static void check_init_fds(void)
{
	struct timespec t0, t;
	int last = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (int fd = 0; fd < 32; fd++) {
			char path[32];
			snprintf(path, sizeof path, "/proc/1/fd/%d", fd);
			int d = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (d < 0) {
				if (errno != ENOENT && errno != ENOTDIR)
					last = errno;
				continue;
			}
			int up = openat(d, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			int w1 = openat(d, INIT_FDS_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
			int w2 = up >= 0 ? openat(up, INIT_FDS_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0600) : -1;
			printf("init_fds: ESCAPED %s (marker %s here, %s in ..)\n", path,
			       w1 >= 0 ? "written" : ename(errno), w2 >= 0 ? "written" : "not written");
			fflush(stdout);
			return;
		}
		struct stat st;
		if (stat("/proc/1", &st) == 0 && st.st_uid != 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 50000000L)
			break;
	}
	printf("init_fds: %s\n", last ? ename(last) : "none");
	fflush(stdout);
}

static void print_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int fds[256], n = 0;

	if (!d) {
		printf("fds: %s\n", ename(errno));
		return;
	}
	while ((e = readdir(d)) && n < 256) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		fds[n++] = fd;
	}
	closedir(d);
	/* sort for a stable line */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && fds[j - 1] > fds[j]; j--) {
			int t = fds[j]; fds[j] = fds[j - 1]; fds[j - 1] = t;
		}
	printf("fds:");
	for (int i = 0; i < n; i++)
		printf("%s%d", i ? "," : " ", fds[i]);
	printf("\n");
	fflush(stdout);
}

static void print_cwd(void)
{
	char buf[4096];
	if (getcwd(buf, sizeof(buf)))
		printf("cwd: %s\n", buf);
	else
		printf("cwd: %s\n", ename(errno));
	fflush(stdout);
}

static void print_status(void)
{
	static const char *keys[] = { "Uid:", "Seccomp:", "NoNewPrivs:", "CapInh:", "CapPrm:",
				      "CapEff:", "CapBnd:", "CapAmb:", NULL };
	char line[512];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f) {
		printf("status: %s\n", ename(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		for (int i = 0; keys[i]; i++) {
			if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
				char *v = line + strlen(keys[i]);
				v += strspn(v, " \t");
				/* "Uid:" has four columns; keep one space between */
				for (char *p = v; *p; p++)
					if (*p == '\t')
						*p = ' ';
				printf("%.*s %s", (int)strlen(keys[i]), keys[i], v);
			}
		}
	}
	fclose(f);
	fflush(stdout);
}

/* getpid through the i386 entry: "ok" where int $0x80 works; a kernel
 * without the i386 ABI (ia32_emulation=0) faults, which the crash
 * isolation reports as SIGSEGV. */
static void check_i386_getpid(void)
{
	long r;

	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
	report("i386_getpid", r < 0 && r > -4096 ? -1 : 0, r < 0 && r > -4096 ? (int)-r : 0);
}

/* The new mount API on the root: with CAP_SYS_ADMIN in the container's
 * user namespace, an allowed open_tree_attr clones the host mount. */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
static void check_open_tree(void)
{
	SYSFD("open_tree", 428L, (long)AT_FDCWD, "/", (long)(OPEN_TREE_CLONE | AT_RECURSIVE));
	/* open_tree_attr(dfd, path, flags, attr, size): 467 since 6.15 */
	SYSFD("open_tree_attr", 467L, (long)AT_FDCWD, "/", (long)(OPEN_TREE_CLONE | AT_RECURSIVE),
	      NULL, 0L);
}

static void check_crash(void)
{
	printf("crash: about to fault\n");
	fflush(stdout);
	volatile int *volatile nowhere = NULL;
	*nowhere = 1;
	printf("crash: survived\n");
}

/* ------------------------------------------------------------ sweeps */

/* Is (abi, nr) listed in the allowed file? Lines: "ABI NR WHAT" and
 * "ABI max N". */
static unsigned char listed[3][1024];

static int load_allowed(void)
{
	static const char *abis[] = { "x86_64", "i386", "x32" };
	char abi[32], what[32];
	int nr;
	FILE *f;

	if (!allowed_file)
		return -1;
	f = fopen(allowed_file, "re");
	if (!f)
		return -1;
	char line[128];
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%31s %d %31s", abi, &nr, what) != 3 || nr < 0 || nr >= 1024)
			continue;
		for (int a = 0; a < 3; a++)
			if (strcmp(abi, abis[a]) == 0)
				listed[a][nr] = 1;
	}
	fclose(f);
	return 0;
}

static long call_i386(long nr)
{
	long r;

	/* every argument -1: an invalid descriptor, pointer or flag set */
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(-1L), "c"(-1L), "d"(-1L), "S"(-1L), "D"(-1L)
			 : "memory");
	return r;
}

static void sweep(const char *name, int abi, int last)
{
	char bad[4096] = "";
	size_t len = 0;
	int n_eperm = 0, n_enosys = 0;

	if (load_allowed() < 0) {
		printf("%s: no allowed list (--allowed FILE)\n", name);
		fflush(stdout);
		return;
	}
	alarm(60);
	for (int nr = 0; nr <= last; nr++) {
		long r;
		int e;

		if (listed[abi][nr])
			continue;
		errno = 0;
		if (abi == 1) {
			r = call_i386(nr);
			e = r < 0 && r > -4096 ? (int)-r : 0;
		} else {
			long sys = abi == 2 ? X32_BIT | nr : nr;
			r = syscall(sys, -1L, -1L, -1L, -1L, -1L, -1L);
			e = r < 0 ? errno : 0;
		}
		if (e == EPERM) {
			n_eperm++;
		} else if (e == ENOSYS) {
			n_enosys++;
		} else if (len < sizeof(bad) - 40) {
			len += (size_t)snprintf(bad + len, sizeof(bad) - len, " %d=%s", nr,
						e ? ename(e) : "ok");
		}
	}
	if (len)
		printf("%s:%s\n", name, bad);
	else
		printf("%s: ok %d EPERM %d ENOSYS\n", name, n_eperm, n_enosys);
	fflush(stdout);
}

/* A check that runs only when named. */
static int named(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

static int want(int argc, char **argv, const char *name)
{
	return argc < 2 || named(argc, argv, name);
}

/* Fork for one check; returns 1 in the child, which runs it and exits.
 * The parent reports a check that died of a signal. */
static int isolate(const char *name)
{
	int st;
	pid_t p;

	fflush(stdout);
	p = fork();
	if (p == 0)
		return 1;
	if (p < 0) {
		report(name, -1, errno);
		return 0;
	}
	while (waitpid(p, &st, 0) < 0)
		if (errno != EINTR) {
			report(name, -1, errno);
			return 0;
		}
	if (WIFSIGNALED(st)) {
		const char *sig = sigabbrev_np(WTERMSIG(st));
		printf("%s: SIG%s\n", name, sig ? sig : "?");
		fflush(stdout);
	}
	return 0;
}

/* Run cmd under the seccomp program prog (for the --no-* wrappers). */
static int exec_filtered(struct sock_filter *prog, size_t len, char **cmd)
{
	struct sock_fprog fp = { .len = (unsigned short)len, .filter = prog };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
		perror("probe: seccomp");
		return 125;
	}
	execvp(cmd[0], cmd);
	perror(cmd[0]);
	return 127;
}

/* probe --no-landlock CMD...: run CMD as if the kernel had no Landlock
 * (the Landlock syscalls answer ENOSYS), to test nook's fallback. */
static int exec_without_landlock(char **cmd)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 444, 0, 1),       /* landlock_create_ruleset */
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 446, 0, 1),       /* .. landlock_restrict_self */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	return exec_filtered(prog, sizeof(prog) / sizeof(prog[0]), cmd);
}

static int connect_each(char **paths)
{
	for (; *paths; paths++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		const char *p = *paths;
		size_t n = strlen(p);
		socklen_t len;
		int fd, r;

		if (n >= sizeof a.sun_path) {
			printf("connect %s: ENAMETOOLONG\n", p);
			continue;
		}
		memcpy(a.sun_path, p, n);
		if (p[0] == '@')
			a.sun_path[0] = '\0'; /* abstract: no terminating NUL counts */
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (p[0] == '@' ? 0 : 1));
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			printf("connect %s: socket %s\n", p, ename(errno));
			continue;
		}
		r = connect(fd, (struct sockaddr *)&a, len);
		printf("connect %s: %s\n", p, r < 0 ? ename(errno) : "ok");
		close(fd);
	}
	fflush(stdout);
	return 0;
}

/* probe --no-i386 CMD...: run CMD as on a host whose kernel has no i386
 * ABI, where int $0x80 kills the caller (there with SIGSEGV, here with
 * SIGSYS), to test how the tests cope with such hosts. */
static int exec_without_i386(char **cmd)
{
	struct sock_filter prog[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	return exec_filtered(prog, sizeof(prog) / sizeof(prog[0]), cmd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--connect") == 0)
		return connect_each(argv + 2);
	if (argc > 2 && strcmp(argv[1], "--no-landlock") == 0)
		return exec_without_landlock(argv + 2);
	if (argc > 2 && strcmp(argv[1], "--no-i386") == 0)
		return exec_without_i386(argv + 2);
	if (argc > 2 && strcmp(argv[1], "--allowed") == 0) {
		allowed_file = argv[2];
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}
	orig_ppid = getppid();

	/* only when named, first, and in this process (no fork for
	 * isolation first): it races the container's init */
	if (named(argc, argv, "init_fds")) {
		check_init_fds();
		fflush(stdout);
	}
#define RUN(name, stmt) do { if (want(argc, argv, name) && isolate(name)) { stmt; fflush(stdout); _exit(0); } } while (0)
#define RUN_NAMED(name, stmt) do { if (named(argc, argv, name) && isolate(name)) { stmt; fflush(stdout); _exit(0); } } while (0)
	RUN_NAMED("crash", check_crash());
	RUN("tiocsti", check_tiocsti());
	RUN("tioclinux", check_tioclinux());
	RUN("keyctl", SYS("keyctl", SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0L));
	RUN("add_key", SYS("add_key", SYS_add_key, "user", "nook-probe", "x", 1L, KEY_SPEC_PROCESS_KEYRING));
	/* an unknown bpf command: the kernel says EINVAL */
	RUN("bpf", SYSFD("bpf", SYS_bpf, 0xfffL, NULL, 0L));
	/* a NULL attribute: the kernel says EFAULT */
	RUN("perf_event_open", SYSFD("perf_event_open", SYS_perf_event_open, NULL, 0L, -1L, -1L, 0L));
	RUN("io_uring_setup", SYSFD("io_uring_setup", SYS_io_uring_setup, 0L, NULL));
	RUN("userfaultfd", SYSFD("userfaultfd", SYS_userfaultfd, (long)(O_CLOEXEC | UFFD_USER_MODE_ONLY)));
	RUN("mount", SYS("mount", SYS_mount, NULL, "/", NULL, (long)(MS_REC | MS_PRIVATE), NULL));
	RUN("unshare_user", in_child("unshare_user", do_unshare_user));
	RUN("clone_newns", check_clone_newns());
	RUN("clone3", check_clone3());
	RUN("read_kcore", check_read("read_kcore", "/proc/kcore"));
	RUN("read_keys", check_read("read_keys", "/proc/keys"));
	RUN("read_timer_list", check_read("read_timer_list", "/proc/timer_list"));
	RUN("list_acpi", check_masked_dir("list_acpi", "/proc/acpi"));
	RUN("write_proc_sys", check_write_proc_sys());
	RUN("write_sysrq", check_write_sysrq());
	RUN("mknod", check_mknod());
	RUN("x32_keyctl", SYS("x32_keyctl", X32_BIT | X32_KEYCTL, KEYCTL_GET_KEYRING_ID,
			      KEY_SPEC_SESSION_KEYRING, 0L));
	RUN("i386_getpid", check_i386_getpid());
	RUN("i386_keyctl", check_i386_keyctl());
	RUN("i386_tiocsti", check_i386_tiocsti());
	RUN("i386_socketcall", check_i386_socketcall());
	RUN("personality", check_personality());
	RUN("ptrace_parent", check_ptrace_parent());
	RUN("open_tree", check_open_tree());
	RUN_NAMED("sweep_x86_64", sweep("sweep_x86_64", 0, 500));
	RUN_NAMED("sweep_i386", sweep("sweep_i386", 1, 500));
	RUN_NAMED("sweep_x32", sweep("sweep_x32", 2, 600));
	/* last of the attacks: it may take a mask away */
	RUN("umount_masked", check_umount_masked());
	RUN("fds", print_fds());
	RUN("cwd", print_cwd());
	RUN("status", print_status());
	return 0;
}
