/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_security.c - the pure parts of the security envelope: capability
 * sets, the seccomp rule tables and custom rules, OCI seccomp files,
 * Landlock rights per ABI, rlimit names and checks; and, against the
 * real kernel in forked children, the sandbox of nook's helpers
 * (confine.c). */
#include <errno.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nook/security.h"
#include "nook/spec.h"
#include "nook/util.h"
#include "tap.h"

#define B(c) NOOK_CAP_BIT(c)
static char *sv(const char *a) { return (char *)a; }

/* ------------------------------------------------------------ capabilities */

START_TEST(cap_names)
{
	ck_assert_int_eq(nook_cap_from_name("NET_ADMIN"), CAP_NET_ADMIN);
	ck_assert_int_eq(nook_cap_from_name("cap_net_admin"), CAP_NET_ADMIN);
	ck_assert_int_eq(nook_cap_from_name("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
	ck_assert_int_eq(nook_cap_from_name("chown"), CAP_CHOWN);
	ck_assert_int_eq(nook_cap_from_name("NOT_A_CAP"), -1);
	ck_assert_int_eq(nook_cap_from_name("12"), -1);
	ck_assert_int_eq(nook_cap_from_name(""), -1);
	ck_assert_int_eq(nook_cap_from_name(NULL), -1);
	ck_assert_int_eq(nook_cap_from_name("ALL"), -1);
}
END_TEST

START_TEST(cap_default_set)
{
	uint64_t want = B(CAP_CHOWN) | B(CAP_DAC_OVERRIDE) | B(CAP_FOWNER) | B(CAP_FSETID) |
			B(CAP_KILL) | B(CAP_NET_BIND_SERVICE) | B(CAP_SETFCAP) | B(CAP_SETGID) |
			B(CAP_SETPCAP) | B(CAP_SETUID) | B(CAP_SYS_CHROOT);
	uint64_t keep = 0;
	struct nook_error err = { 0 };

	ck_assert_uint_eq(nook_caps_default(), want);
	ck_assert_int_eq(nook_caps_compute(NULL, NULL, 40, &keep, &err), 0);
	ck_assert_uint_eq(keep, want);
	ck_assert(!(keep & B(CAP_SYS_ADMIN)));
	ck_assert(!(keep & B(CAP_NET_RAW)));
}
END_TEST

START_TEST(cap_add_drop)
{
	struct nook_error err = { 0 };
	uint64_t keep = 0;
	char *add[] = { sv("NET_ADMIN"), sv("cap_sys_ptrace"), NULL };
	char *drop[] = { sv("CHOWN"), sv("SETUID"), NULL };
	char *all[] = { sv("ALL"), NULL };
	char *one[] = { sv("KILL"), NULL };

	ck_assert_int_eq(nook_caps_compute(add, drop, 40, &keep, &err), 0);
	ck_assert(keep & B(CAP_NET_ADMIN));
	ck_assert(keep & B(CAP_SYS_PTRACE));
	ck_assert(!(keep & B(CAP_CHOWN)));
	ck_assert(!(keep & B(CAP_SETUID)));
	ck_assert(keep & B(CAP_FOWNER));

	/* drop ALL, add one: only that one */
	ck_assert_int_eq(nook_caps_compute(one, all, 40, &keep, &err), 0);
	ck_assert_uint_eq(keep, B(CAP_KILL));
	/* add ALL, drop one: everything the kernel knows but that one */
	ck_assert_int_eq(nook_caps_compute(all, one, 40, &keep, &err), 0);
	ck_assert_uint_eq(keep, ((UINT64_C(1) << 41) - 1) & ~B(CAP_KILL));
	/* add ALL is limited to the running kernel's last cap */
	ck_assert_int_eq(nook_caps_compute(all, NULL, 37, &keep, &err), 0);
	ck_assert_uint_eq(keep, (UINT64_C(1) << 38) - 1);
	/* drop ALL */
	ck_assert_int_eq(nook_caps_compute(NULL, all, 40, &keep, &err), 0);
	ck_assert_uint_eq(keep, 0);
}
END_TEST

START_TEST(cap_unknown_name)
{
	struct nook_error err = { 0 };
	uint64_t keep = 0;
	char *bad[] = { sv("NET_ADMN"), NULL };

	ck_assert_int_eq(nook_caps_compute(bad, NULL, 40, &keep, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "capabilities.add"));
	ck_assert_ptr_nonnull(strstr(err.msg, "NET_ADMN"));
	ck_assert_int_eq(nook_caps_compute(NULL, bad, 40, &keep, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "capabilities.drop"));
}
END_TEST

START_TEST(cap_ambient)
{
	struct nook_error err = { 0 };
	uint64_t amb = 1;
	char *nbs[] = { sv("NET_BIND_SERVICE"), NULL };
	char *adm[] = { sv("SYS_ADMIN"), NULL };
	char *all[] = { sv("ALL"), NULL };

	ck_assert_int_eq(nook_caps_ambient(NULL, nook_caps_default(), 40, &amb, &err), 0);
	ck_assert_uint_eq(amb, 0);
	ck_assert_int_eq(nook_caps_ambient(nbs, nook_caps_default(), 40, &amb, &err), 0);
	ck_assert_uint_eq(amb, B(CAP_NET_BIND_SERVICE));
	/* not in the kept set: refused with a hint */
	ck_assert_int_eq(nook_caps_ambient(adm, nook_caps_default(), 40, &amb, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "cap_sys_admin"));
	ck_assert_ptr_nonnull(strstr(err.msg, "--cap-add"));
	ck_assert_int_eq(nook_caps_ambient(all, B(CAP_KILL) | B(CAP_CHOWN), 40, &amb, &err), 0);
	ck_assert_uint_eq(amb, B(CAP_KILL) | B(CAP_CHOWN));
}
END_TEST

/* ------------------------------------------------------------ seccomp */

static const struct nook_sc_rule *find_rule(const struct nook_sc_filter *f, const char *name,
					    size_t nth)
{
	for (size_t i = 0; i < f->n_rules; i++)
		if (strcmp(f->rules[i].name, name) == 0 && nth-- == 0)
			return &f->rules[i];
	return NULL;
}

/* A classic-BPF interpreter for seccomp programs, enough for what nook's
 * generator and libseccomp emit, to check the compiled program's answer
 * for any (arch, nr, args) without loading it. */
struct sd {
	int nr;
	uint32_t arch;
	uint64_t ip;
	uint64_t args[6];
};

static uint32_t run_bpf(const void *bpf, size_t n, uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	const struct sock_filter *p = bpf;
	struct sd d = { .nr = nr, .arch = arch, .args = { a0, a1 } };
	uint32_t A = 0, X = 0, M[16] = { 0 };
	size_t pc = 0;

	ck_assert_uint_eq(sizeof(d), 64);
	while (pc < n) {
		const struct sock_filter *i = &p[pc++];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? X : i->k;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			ck_assert_uint_le(i->k, sizeof(d) - 4);
			memcpy(&A, (const char *)&d + i->k, 4);
			break;
		case BPF_LD | BPF_MEM: A = M[i->k & 15]; break;
		case BPF_LDX | BPF_MEM: X = M[i->k & 15]; break;
		case BPF_LD | BPF_IMM: A = i->k; break;
		case BPF_LDX | BPF_IMM: X = i->k; break;
		case BPF_ST: M[i->k & 15] = A; break;
		case BPF_STX: M[i->k & 15] = X; break;
		case BPF_MISC | BPF_TAX: X = A; break;
		case BPF_MISC | BPF_TXA: A = X; break;
		case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X: A &= src; break;
		case BPF_ALU | BPF_OR | BPF_K: A |= src; break;
		case BPF_JMP | BPF_JA: pc += i->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
			pc += A == src ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
			pc += A > src ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
			pc += A >= src ? i->jt : i->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
			pc += (A & src) ? i->jt : i->jf; break;
		case BPF_RET | BPF_K: return i->k;
		case BPF_RET | BPF_A: return A;
		default:
			ck_abort_msg("BPF opcode %#x at %zu is not interpreted", i->code, pc - 1);
		}
	}
	ck_abort_msg("the program ran off its end");
	return 0;
}

#define EPERM_ACT SCMP_ACT_ERRNO(EPERM)
#define ENOSYS_ACT SCMP_ACT_ERRNO(ENOSYS)
#define X32 0x40000000
#define A64 AUDIT_ARCH_X86_64
#define A32 AUDIT_ARCH_I386

/* The program gives, for every number of both ABIs, what the plan says. */
static void check_against_plan(const struct nook_sc_filter *f, const void *bpf, size_t n)
{
	static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86 };

	for (size_t a = 0; a < 2; a++) {
		struct nook_sc_plan p;
		uint32_t audit = arches[a] == SCMP_ARCH_X86_64 ? A64 : A32;

		nook_sc_plan_build(f, arches[a], &p);
		for (int nr = 0; nr < 1100; nr++) {
			uint32_t got = run_bpf(bpf, n, audit, nr, 0, 0);
			if (nr > p.max)
				ck_assert_msg(got == ENOSYS_ACT, "%s %d: %#x, want ENOSYS",
					      nook_sc_arch_name(arches[a]), nr, got);
			else if (p.leaf[nr].kind == NOOK_SC_LEAF_RET && !p.leaf[nr].conditional)
				ck_assert_msg(got == p.leaf[nr].action, "%s %d: %#x, want %#x",
					      nook_sc_arch_name(arches[a]), nr, got, p.leaf[nr].action);
		}
		nook_sc_plan_free(&p);
	}
	/* x32 refused as a whole, other ABIs killed */
	for (int nr = 0; nr < 600; nr++)
		ck_assert_uint_eq(run_bpf(bpf, n, A64, X32 | nr, 0, 0), f->default_action);
	/* -1, a syscall a tracer skipped, keeps the tracer's answer */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, -1, 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, -1, 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, -2, 0, 0), f->default_action);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, -2, 0, 0), ENOSYS_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, AUDIT_ARCH_AARCH64, 0, 0, 0), SCMP_ACT_KILL_PROCESS);
}

static uint32_t answer(const struct nook_sc_filter *f, uint32_t arch, const char *name,
		       uint64_t a0, uint64_t a1)
{
	struct nook_error err = { 0 };
	void *bpf = NULL;
	size_t n = 0;
	int nr = nook_sc_resolve(arch == A64 ? SCMP_ARCH_X86_64 : SCMP_ARCH_X86, name);
	uint32_t r;

	ck_assert_msg(nr >= 0, "%s has no number", name);
	ck_assert_msg(nook_sc_compile(f, &bpf, &n, &err) == 0, "%s", err.msg);
	r = run_bpf(bpf, n, arch, nr, a0, a1);
	free(bpf);
	return r;
}

/* The numbers of the allow-list are resolved at build time (gen_scnr.c):
 * a plan built from the default filter must hold, for every listed name,
 * what a fresh resolution through libseccomp says. */
START_TEST(sc_listed_numbers)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86 };

	nook_spec_init(&s);
	ck_assert_int_eq(nook_sc_default(&s, 6, 18, &f, &err), 0);
	size_t listed = 0;
	for (size_t i = 0; i < f.n_rules; i++)
		listed += f.rules[i].list_idx >= 0;
	ck_assert_uint_gt(listed, 300);
	for (size_t a = 0; a < 2; a++) {
		struct nook_sc_plan p;
		nook_sc_plan_build(&f, arches[a], &p);
		size_t checked = 0;
		for (size_t i = 0; nook_sc_allowlist[i]; i++) {
			int nr = nook_sc_resolve(arches[a], nook_sc_allowlist[i]);
			/* clone3 answers ENOSYS (its flags cannot be checked) */
			if (nr < 0 || strcmp(nook_sc_allowlist[i], "clone3") == 0)
				continue;
			ck_assert_msg(nr <= p.max, "%s on %s: %d is above the plan's highest number %d",
				      nook_sc_allowlist[i], nook_sc_arch_name(arches[a]), nr, p.max);
			ck_assert_msg(p.leaf[nr].action == SCMP_ACT_ALLOW,
				      "%s (%d) on %s is not allowed by the plan: the build-time numbers differ",
				      nook_sc_allowlist[i], nr, nook_sc_arch_name(arches[a]));
			checked++;
		}
		ck_assert_uint_gt(checked, 250);
		/* and nothing the list does not name is allowed */
		size_t allowed = 0;
		for (int nr = 0; nr <= p.max; nr++)
			allowed += p.leaf[nr].action == SCMP_ACT_ALLOW;
		ck_assert_uint_eq(allowed, checked);
		nook_sc_plan_free(&p);
	}
	nook_sc_filter_free(&f);
	nook_spec_free(&s);
}
END_TEST

START_TEST(sc_default_allowlist)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	const char *refused[] = { "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
				  "kexec_load", "kexec_file_load", "init_module", "finit_module",
				  "delete_module", "mount", "umount2", "fsopen", "fsconfig",
				  "fsmount", "fspick", "move_mount", "open_tree", "open_tree_attr",
				  "mount_setattr", "pivot_root", "userfaultfd", "io_uring_setup",
				  "io_uring_enter", "io_uring_register", "open_by_handle_at",
				  "clock_settime", "settimeofday", "clock_adjtime", "reboot",
				  "swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
				  "lookup_dcookie", "unshare", "setns", "syslog", "iopl", "ioperm",
				  "kcmp", "fanotify_init", "uselib", NULL };
	const char *allowed[] = { "read", "write", "openat", "execve", "exit_group", "mmap",
				  "futex", "rseq", "socket", "chroot", "seccomp", "ptrace",
				  "landlock_create_ruleset", "statmount", "mseal", "file_setattr",
				  "getxattrat", NULL };
	void *bpf = NULL;
	size_t n = 0;

	nook_spec_init(&s);
	ck_assert_int_eq(nook_sc_default(&s, 6, 18, &f, &err), 0);
	ck_assert(f.allowlist);
	ck_assert_uint_eq(f.default_action, EPERM_ACT);
	/* the ABIs the program handles by itself; x32 is refused */
	ck_assert_uint_eq(f.n_arches, 2);
	ck_assert_uint_eq(f.arches[0], SCMP_ARCH_X86_64);
	ck_assert_uint_eq(f.arches[1], SCMP_ARCH_X86);
	for (size_t i = 0; refused[i]; i++)
		ck_assert_msg(nook_sc_filter_count(&f, refused[i]) == 0, "%s is allowed", refused[i]);
	for (size_t i = 0; allowed[i]; i++)
		ck_assert_msg(nook_sc_filter_count(&f, allowed[i]) == 1, "%s is not allowed", allowed[i]);
	ck_assert_uint_eq(find_rule(&f, "clone3", 0)->action, ENOSYS_ACT);
	ck_assert(f.clone_guard && f.personality_guard && f.tty_guard);

	ck_assert_msg(nook_sc_compile(&f, &bpf, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_lt(n, 1000);
	check_against_plan(&f, bpf, n);
	/* what the tests at the kernel also check */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 0, 0, 0), SCMP_ACT_ALLOW);          /* read */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 250, 0, 0), EPERM_ACT);             /* keyctl */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 467, 0, 0), EPERM_ACT);             /* open_tree_attr */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 469, 0, 0), SCMP_ACT_ALLOW);        /* file_setattr */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 470, 0, 0), ENOSYS_ACT);            /* newer */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 435, 0, 0), ENOSYS_ACT);            /* clone3 */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 102, 0, 0), SCMP_ACT_ALLOW);        /* socketcall */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 359, 0, 0), SCMP_ACT_ALLOW);        /* socket */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 288, 0, 0), EPERM_ACT);             /* keyctl */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 467, 0, 0), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 470, 0, 0), ENOSYS_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, X32 | 0, 0, 0), EPERM_ACT);         /* x32 read */
	/* clone: no namespace flag (the kernel reads the low 32 bits) */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 56, 0x11, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 56, 0x11 | 0x10000000, 0), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 56, 0x11 | 0x00020000, 0), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 120, 0x11 | 0x40000000, 0), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 56, 0x11 | (1ULL << 40), 0), SCMP_ACT_ALLOW);
	/* personality: the safe values and the query only */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 135, 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 135, 0xffffffff, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 135, 0x0040000, 0), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 136, 0x8, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 136, 0x0040008, 0), EPERM_ACT);
	/* ioctl: not TIOCSTI / TIOCLINUX, whatever the high bits */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 16, 0, TCGETS), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 16, 0, TIOCSTI), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 16, 0, TIOCSTI | (1ULL << 32)), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 16, 0, 0x541C), EPERM_ACT);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 54, 0, TIOCSTI), EPERM_ACT);
	free(bpf);

	/* ptrace is allowed on a recent kernel, refused before 4.8 */
	nook_sc_filter_free(&f);
	ck_assert_int_eq(nook_sc_default(&s, 4, 4, &f, &err), 0);
	ck_assert_uint_eq(nook_sc_filter_count(&f, "ptrace"), 0);
	ck_assert_uint_eq(answer(&f, A64, "ptrace", 0, 0), EPERM_ACT);
	nook_sc_filter_free(&f);
	nook_spec_free(&s);
}
END_TEST

START_TEST(sc_nested_userns_and_errno)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };

	nook_spec_init(&s);
	s.allow_nested_userns = true;
	s.seccomp_default_errno = EACCES;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), 0);
	ck_assert_uint_eq(f.default_action, SCMP_ACT_ERRNO(EACCES));
	ck_assert(!f.clone_guard);
	ck_assert_uint_eq(answer(&f, A64, "unshare", 0x10000000, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "setns", 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "clone", 0x10000011, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "clone3", 0, 0), SCMP_ACT_ALLOW);
	/* the rest stays, with the configured errno (and ENOSYS above) */
	ck_assert_uint_eq(answer(&f, A64, "keyctl", 0, 0), SCMP_ACT_ERRNO(EACCES));
	ck_assert_uint_eq(answer(&f, A32, "mount", 0, 0), SCMP_ACT_ERRNO(EACCES));
	{
		void *bpf = NULL;
		size_t n = 0;
		ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
		check_against_plan(&f, bpf, n);
		free(bpf);
	}
	nook_sc_filter_free(&f);
	nook_spec_free(&s);
}
END_TEST

START_TEST(sc_custom_rules)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	struct nook_seccomp_arg arg = { .index = 0, .op = NOOK_SCMP_OP_EQ, .value = 42 };
	struct nook_seccomp_arg unix_only = { .index = 0, .op = NOOK_SCMP_OP_EQ, .value = 1 };
	char *n_allow[] = { sv("keyctl"), sv("open_tree_attr"), NULL };
	char *n_kill[] = { sv("uname"), NULL };
	char *n_errno[] = { sv("getcpu"), NULL };
	char *n_pers[] = { sv("personality"), NULL };
	char *n_sock[] = { sv("socket"), NULL };
	char *n_shm[] = { sv("shmget"), NULL };
	struct nook_seccomp_arg private_only = { .index = 0, .op = NOOK_SCMP_OP_EQ, .value = 0 };
	struct nook_seccomp_rule rules[] = {
		{ .names = n_allow, .action = NOOK_SCMP_ALLOW },
		{ .names = n_kill, .action = NOOK_SCMP_KILL },
		{ .names = n_errno, .action = NOOK_SCMP_ERRNO, .errno_ret = ENODEV, .args = &arg, .n_args = 1 },
		{ .names = n_pers, .action = NOOK_SCMP_LOG },
		{ .names = n_sock, .action = NOOK_SCMP_ALLOW, .args = &unix_only, .n_args = 1 },
		{ .names = n_shm, .action = NOOK_SCMP_ALLOW, .args = &private_only, .n_args = 1 },
	};
	void *bpf = NULL;
	size_t n = 0;

	nook_spec_init(&s);
	s.seccomp_rules = rules;
	s.n_seccomp_rules = 6;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), 0);
	/* allow: added, also a syscall libseccomp does not know */
	ck_assert_uint_eq(find_rule(&f, "keyctl", 0)->action, SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "keyctl", 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A32, "keyctl", 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "open_tree_attr", 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "add_key", 0, 0), EPERM_ACT);
	/* an action without conditions replaces the built-in allow */
	ck_assert_uint_eq(nook_sc_filter_count(&f, "uname"), 1);
	ck_assert_uint_eq(answer(&f, A64, "uname", 0, 0), SCMP_ACT_KILL_PROCESS);
	/* a refusal with a condition narrows: the other values stay allowed */
	const struct nook_sc_rule *r = find_rule(&f, "getcpu", 1);
	ck_assert_uint_eq(r->action, SCMP_ACT_ERRNO(ENODEV));
	ck_assert_uint_eq(r->n_args, 1);
	ck_assert_uint_eq(answer(&f, A64, "getcpu", 42, 0), SCMP_ACT_ERRNO(ENODEV));
	ck_assert_uint_eq(answer(&f, A64, "getcpu", 7, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A32, "getcpu", 42, 0), SCMP_ACT_ERRNO(ENODEV));
	/* an allow with a condition: only that value */
	ck_assert_uint_eq(answer(&f, A64, "socket", 1, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A64, "socket", 2, 0), EPERM_ACT);
	ck_assert_uint_eq(answer(&f, A32, "socket", 1, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A32, "socket", 16, 0), EPERM_ACT);
	/* i386's multiplexers hide the arguments: the call they carry is
	 * refused as a whole (libseccomp alone allowed socketcall(SOCKET)
	 * for every family), the other calls stay allowed */
	ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 102, 1, 0), EPERM_ACT);       /* socketcall(SOCKET) */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 102, 3, 0), SCMP_ACT_ALLOW);  /* socketcall(CONNECT) */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 117, 23, 0), EPERM_ACT);      /* ipc(SHMGET) */
	ck_assert_uint_eq(run_bpf(bpf, n, A32, 117, 21, 0), SCMP_ACT_ALLOW); /* ipc(SHMAT) */
	ck_assert_uint_eq(run_bpf(bpf, n, A64, 102, 1, 0), SCMP_ACT_ALLOW);  /* getuid on x86_64 */
	ck_assert_uint_eq(answer(&f, A32, "shmget", 0, 0), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(answer(&f, A32, "shmget", 5, 0), EPERM_ACT);
	free(bpf);
	bpf = NULL;
	/* a custom personality rule replaces the built-in value check */
	ck_assert(!f.personality_guard);
	ck_assert_uint_eq(find_rule(&f, "personality", 0)->action, SCMP_ACT_LOG);
	ck_assert_uint_eq(answer(&f, A64, "personality", 0x0040000, 0), SCMP_ACT_LOG);
	/* the rest of the program is untouched by the prefix */
	ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
	ck_assert_uint_le(n, BPF_MAXINSNS);
	check_against_plan(&f, bpf, n);
	free(bpf);
	nook_sc_filter_free(&f);
	s.seccomp_rules = NULL;
	s.n_seccomp_rules = 0;
	nook_spec_free(&s);
}
END_TEST

/* A long alternation of answers: subtrees longer than a conditional jump
 * can skip (255 instructions) go through BPF_JA. */
START_TEST(sc_generator_long_jumps)
{
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	void *bpf = NULL;
	size_t n = 0, ja = 0;

	nook_sc_filter_init(&f, EPERM_ACT);
	f.allowlist = true;
	for (int nr = 0; nr <= 450; nr += 2) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (!name)
			continue;
		nook_sc_filter_add(&f, name, nr % 4 ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(nr), 0, NULL);
		free(name);
	}
	ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		ja += ((struct sock_filter *)bpf)[i].code == (BPF_JMP | BPF_JA);
	ck_assert_uint_ge(ja, 2); /* one is the jump to the i386 part */
	check_against_plan(&f, bpf, n);
	free(bpf);
	nook_sc_filter_free(&f);
}
END_TEST

START_TEST(sc_custom_errors)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	char *bogus[] = { sv("no_such_syscall"), NULL };
	char *keyctl[] = { sv("keyctl"), NULL };
	char *late[] = { sv("open_tree_attr"), NULL };
	struct nook_seccomp_arg two[2] = { { .index = 0, .value = 1 }, { .index = 0, .value = 2 } };
	struct nook_seccomp_rule r1 = { .names = bogus, .action = NOOK_SCMP_ERRNO };
	struct nook_seccomp_rule r2 = { .names = keyctl, .action = NOOK_SCMP_ERRNO, .args = two, .n_args = 2 };
	struct nook_seccomp_rule r3 = { .names = keyctl, .action = NOOK_SCMP_ALLOW, .args = two, .n_args = 1 };
	struct nook_seccomp_rule r4 = { .names = late, .action = NOOK_SCMP_ERRNO, .args = two, .n_args = 1 };

	nook_spec_init(&s);
	s.n_seccomp_rules = 1;
	s.seccomp_rules = &r1;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "no_such_syscall"));
	nook_sc_filter_free(&f);
	s.seccomp_rules = &r2;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "compared twice"));
	nook_sc_filter_free(&f);
	/* comparisons are compiled by libseccomp, which must know the name */
	s.seccomp_rules = &r4;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not know the syscall 'open_tree_attr'"));
	nook_sc_filter_free(&f);
	/* an allow with conditions narrows the allow-list, but cannot narrow
	 * a file's filter that allows by default */
	s.seccomp_rules = &r3;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), 0);
	nook_sc_filter_free(&f);
	nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
	ck_assert_int_eq(nook_sc_add_custom(&s, &f, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot narrow"));
	nook_sc_filter_free(&f);
	s.seccomp_rules = NULL;
	s.n_seccomp_rules = 0;
	nook_spec_free(&s);
}
END_TEST

START_TEST(sc_actions)
{
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_ALLOW, 0, EPERM), SCMP_ACT_ALLOW);
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_ERRNO, 0, EPERM), SCMP_ACT_ERRNO(EPERM));
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_ERRNO, 0, ENOSYS), SCMP_ACT_ERRNO(ENOSYS));
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_ERRNO, EACCES, EPERM), SCMP_ACT_ERRNO(EACCES));
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_KILL, 0, EPERM), SCMP_ACT_KILL_PROCESS);
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_LOG, 0, EPERM), SCMP_ACT_LOG);
	ck_assert_uint_eq(nook_sc_action(NOOK_SCMP_TRAP, 0, EPERM), SCMP_ACT_TRAP);
}
END_TEST

/* Numbers libseccomp 2.5.4 does not resolve come from nook's table. */
START_TEST(sc_resolve)
{
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86_64, "read"), 0);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86, "read"), 3);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86_64, "open_tree_attr"), 467);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86, "open_tree_attr"), 467);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86, "socket"), 359);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86, "socketcall"), 102);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86_64, "socketcall"), -1);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86, "uretprobe"), -1);
	ck_assert_int_eq(nook_sc_resolve(SCMP_ARCH_X86_64, "no_such_syscall"), -1);
	ck_assert(nook_sc_name_known("mseal"));
	ck_assert(nook_sc_name_known("keyctl"));
	ck_assert(!nook_sc_name_known("no_such_syscall"));
	/* every name on the list exists on at least one ABI */
	for (size_t i = 0; nook_sc_allowlist[i]; i++)
		ck_assert_msg(nook_sc_resolve(SCMP_ARCH_X86_64, nook_sc_allowlist[i]) >= 0 ||
			      nook_sc_resolve(SCMP_ARCH_X86, nook_sc_allowlist[i]) >= 0,
			      "%s is on no ABI", nook_sc_allowlist[i]);
}
END_TEST

/* ------------------------------------------------------------ OCI files */

static char *write_tmp(const char *text)
{
	char *path = nook_strdup("/tmp/nook-unit-seccomp.XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(oci_small)
{
	const char *json =
		"{\n"
		"  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
		"  \"defaultErrnoRet\": 38,\n"
		"  \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_AARCH64\"],\n"
		"  \"syscalls\": [\n"
		"    {\"names\": [\"read\", \"write\", \"exit_group\"], \"action\": \"SCMP_ACT_ALLOW\"},\n"
		"    {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\",\n"
		"     \"args\": [{\"index\": 0, \"value\": 8, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"}]},\n"
		"    {\"names\": [\"chroot\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_CHROOT\"]}},\n"
		"    {\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
		"    {\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}},\n"
		"    {\"names\": [\"arch_prctl\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"amd64\", \"x32\"]}},\n"
		"    {\"names\": [\"arm_fadvise64_64\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"arches\": [\"arm\"]}},\n"
		"    {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"minKernel\": \"4.8\"}},\n"
		"    {\"name\": \"uname\", \"action\": \"SCMP_ACT_LOG\", \"comment\": \"ignored key\"}\n"
		"  ]\n"
		"}\n";
	char *path = write_tmp(json);
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	void *bpf = NULL;
	size_t n = 0;

	nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
	ck_assert_int_eq(nook_sc_load_oci(path, nook_caps_default(), 6, 1, &f, &err), 0);
	ck_assert_uint_eq(f.default_action, SCMP_ACT_ERRNO(38));
	/* aarch64 cannot run here and is left out */
	ck_assert_uint_eq(f.n_arches, 2);
	ck_assert_uint_eq(find_rule(&f, "write", 0)->action, SCMP_ACT_ALLOW);
	ck_assert_uint_eq(find_rule(&f, "personality", 0)->n_args, 1);
	ck_assert_uint_eq(find_rule(&f, "personality", 0)->args[0].datum_a, 8);
	ck_assert_ptr_nonnull(find_rule(&f, "chroot", 0));     /* SYS_CHROOT is kept */
	ck_assert_uint_eq(nook_sc_filter_count(&f, "bpf"), 1);  /* SYS_ADMIN is not */
	ck_assert_uint_eq(find_rule(&f, "bpf", 0)->action, SCMP_ACT_ERRNO(EPERM));
	ck_assert_ptr_nonnull(find_rule(&f, "arch_prctl", 0));
	ck_assert_ptr_null(find_rule(&f, "arm_fadvise64_64", 0));
	ck_assert_ptr_nonnull(find_rule(&f, "ptrace", 0));
	ck_assert_uint_eq(find_rule(&f, "uname", 0)->action, SCMP_ACT_LOG);
	ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
	ck_assert_uint_gt(n, 10);
	free(bpf);
	nook_sc_filter_free(&f);

	/* with CAP_SYS_ADMIN and an old kernel the other branches apply */
	nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
	ck_assert_int_eq(nook_sc_load_oci(path, nook_caps_default() | B(CAP_SYS_ADMIN), 4, 4, &f, &err), 0);
	ck_assert_uint_eq(find_rule(&f, "bpf", 0)->action, SCMP_ACT_ALLOW);
	ck_assert_uint_eq(nook_sc_filter_count(&f, "bpf"), 1);
	ck_assert_ptr_null(find_rule(&f, "ptrace", 0));
	nook_sc_filter_free(&f);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(oci_errors)
{
	struct {
		const char *json, *want;
	} cases[] = {
		{ "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_NOPE\"}]}",
		  ":2:45: unknown action 'SCMP_ACT_NOPE'" },
		{ "{\"syscalls\": []}", "no defaultAction" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\",\n \"args\": [{\"index\": 7, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
		  ":3:21: index must be 0-5" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_ALMOST\"}]}]}",
		  "unknown comparison 'SCMP_CMP_ALMOST'" },
		{ "{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "seccomp agent" },
		{ "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\": \"SCMP_ACT_ERRNO\"}]}", "names no syscall" },
		{ "{\"defaultAction\": [", "not valid JSON/YAML" },
		{ "[1, 2]", "must be a JSON object" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = write_tmp(cases[i].json);
		struct nook_sc_filter f;
		struct nook_error err = { 0 };

		nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
		ck_assert_int_lt(nook_sc_load_oci(path, 0, 6, 1, &f, &err), 0);
		ck_assert_msg(strstr(err.msg, cases[i].want) != NULL, "case %zu: '%s' not in '%s'",
			      i, cases[i].want, err.msg);
		ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "case %zu: no file name in '%s'", i, err.msg);
		nook_sc_filter_free(&f);
		unlink(path);
		free(path);
	}
	{
		struct nook_sc_filter f;
		struct nook_error err = { 0 };
		nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
		ck_assert_int_eq(nook_sc_load_oci("/nonexistent/seccomp.json", 0, 6, 1, &f, &err), -ENOENT);
		ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/seccomp.json"));
		nook_sc_filter_free(&f);
	}
}
END_TEST

/* containers-common's profile (a test package in contrib/setup-host.sh) */
START_TEST(oci_containers_common)
{
	const char *path = "/usr/share/containers/seccomp.json";
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	void *bpf = NULL;
	size_t n = 0;

	ck_assert_msg(access(path, R_OK) == 0,
		      "%s is missing: install golang-github-containers-common (contrib/setup-host.sh --test)", path);
	nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
	ck_assert_msg(nook_sc_load_oci(path, nook_caps_default(), 6, 1, &f, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(f.default_action, SCMP_ACT_ERRNO(ENOSYS));
	ck_assert_uint_eq(f.n_arches, 3);
	ck_assert_uint_eq(find_rule(&f, "read", 0)->action, SCMP_ACT_ALLOW);
	ck_assert_uint_eq(find_rule(&f, "kexec_load", 0)->action, SCMP_ACT_ERRNO(EPERM));
	ck_assert_uint_eq(nook_sc_filter_count(&f, "personality"), 5);
	ck_assert_msg(nook_sc_compile(&f, &bpf, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_gt(n, 100);
	free(bpf);
	nook_sc_filter_free(&f);
}
END_TEST

/* ------------------------------------------------------------ split filters */

/* Classic BPF as the kernel runs a seccomp program over d. */
static uint32_t bpf_run(const struct sock_filter *p, size_t n, const struct seccomp_data *d)
{
	uint32_t A = 0, X = 0, M[16] = { 0 };
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *in = &p[pc];
		uint32_t k = in->k, v = BPF_SRC(in->code) == BPF_X ? X : k;
		bool t = false;
		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			if (BPF_MODE(in->code) == BPF_ABS) {
				ck_assert_uint_le(k + 4, sizeof *d);
				memcpy(&A, (const char *)d + k, 4);
			} else if (BPF_MODE(in->code) == BPF_IMM) {
				A = k;
			} else if (BPF_MODE(in->code) == BPF_MEM) {
				A = M[k & 15];
			} else {
				A = sizeof *d;
			}
			break;
		case BPF_LDX:
			X = BPF_MODE(in->code) == BPF_MEM ? M[k & 15] : BPF_MODE(in->code) == BPF_LEN ? sizeof *d : k;
			break;
		case BPF_ST:
			M[k & 15] = A;
			break;
		case BPF_STX:
			M[k & 15] = X;
			break;
		case BPF_ALU:
			switch (BPF_OP(in->code)) {
			case BPF_ADD: A += v; break;
			case BPF_SUB: A -= v; break;
			case BPF_MUL: A *= v; break;
			case BPF_DIV: A = v ? A / v : 0; break;
			case BPF_MOD: A = v ? A % v : 0; break;
			case BPF_OR: A |= v; break;
			case BPF_AND: A &= v; break;
			case BPF_XOR: A ^= v; break;
			case BPF_LSH: A <<= v & 31; break;
			case BPF_RSH: A >>= v & 31; break;
			case BPF_NEG: A = -A; break;
			default: ck_abort_msg("ALU op %#x", in->code);
			}
			break;
		case BPF_JMP:
			switch (BPF_OP(in->code)) {
			case BPF_JA: pc += k; continue;
			case BPF_JEQ: t = A == v; break;
			case BPF_JGT: t = A > v; break;
			case BPF_JGE: t = A >= v; break;
			case BPF_JSET: t = (A & v) != 0; break;
			default: ck_abort_msg("JMP op %#x", in->code);
			}
			pc += t ? in->jt : in->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(in->code) == BPF_A ? A : k;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		}
	}
	ck_abort_msg("the program ran off its end");
	return 0;
}

/* Stacked programs: the most restrictive answer (kernel/seccomp.c). */
static uint32_t stack_run(const struct nook_sc_prog *p, size_t n, const struct seccomp_data *d)
{
	uint32_t ret = SECCOMP_RET_ALLOW;
	for (size_t i = n; i-- > 0;) {
		uint32_t cur = bpf_run(p[i].bpf, p[i].n_insns, d);
		if ((int32_t)(cur & SECCOMP_RET_ACTION_FULL) < (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
			ret = cur;
	}
	return ret;
}

/* The split programs answer every syscall (each ABI, the numbers of all
 * three, -1, the argument values the rules compare with) as the one
 * program libseccomp makes for the same filter. */
static void check_split_same(const struct nook_sc_filter *f, const char *what)
{
	struct nook_error err = { 0 };
	struct nook_sc_prog one = { 0 }, split[NOOK_SC_MAX_PROGS];
	size_t n = 0, checked = 0;
	uint64_t vals[64];
	size_t nv = 0;

	ck_assert_msg(nook_sc_compile_libseccomp(f, NOOK_SC_BADARCH, &one.bpf, &one.n_insns, &err) == 0, "%s", err.msg);
	ck_assert_msg(nook_sc_compile_split(f, NOOK_SC_BADARCH, split, &n, &err) == 0, "%s", err.msg);
	ck_assert_uint_ge(n, 2);
	vals[nv++] = 0;
	vals[nv++] = 0xffffffffULL;
	vals[nv++] = ~0ULL;
	for (size_t i = 0; i < f->n_rules; i++)
		for (unsigned a = 0; a < f->rules[i].n_args; a++)
			for (int w = 0; w < 2; w++) {
				uint64_t v = w ? f->rules[i].args[a].datum_b : f->rules[i].args[a].datum_a;
				bool seen = false;
				for (size_t j = 0; j < nv; j++)
					seen |= vals[j] == v;
				if (!seen && nv < sizeof vals / sizeof *vals)
					vals[nv++] = v;
			}
	static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64 };
	for (size_t ai = 0; ai < 3; ai++)
		for (uint32_t k = 0; k < 1066; k++) {
			/* x86_64 and i386 numbers, x32's (bit 30), -1, around bit 30, high ones */
			static const uint32_t odd[] = { 0xffffffffu, 0xfffffffeu, 0x80000000u, 0x7fffffffu, 0xc0000001u, 0x40001000u };
			uint32_t nr = k < 480 ? k : k < 1050 ? 0x40000000u + (k - 480) : k < 1056 ? odd[k - 1050] : 0x3ffffffbu + (k - 1056);
			for (size_t vi = 0; vi < nv; vi++)
				for (int slot = -1; slot < 3; slot++) {
					struct seccomp_data d = { .nr = (int)nr, .arch = arches[ai] };
					for (int a = 0; a < 6; a++)
						d.args[a] = slot < 0 || slot == a ? vals[vi] : 0;
					uint32_t want = bpf_run(one.bpf, one.n_insns, &d), got = stack_run(split, n, &d);
					ck_assert_msg(want == got, "%s: arch %#x nr %#x args[%d]=%#llx: one program says %#x, the split ones %#x",
						      what, arches[ai], nr, slot, (unsigned long long)vals[vi], want, got);
					checked++;
				}
		}
	ck_assert_uint_gt(checked, 10000);
	free(one.bpf);
	for (size_t i = 0; i < n; i++)
		free(split[i].bpf);
}

START_TEST(split_same_answers)
{
	const char *path = "/usr/share/containers/seccomp.json";
	struct nook_sc_filter f;
	struct nook_error err = { 0 };

	ck_assert_msg(access(path, R_OK) == 0,
		      "%s is missing: install golang-github-containers-common (contrib/setup-host.sh --test)", path);
	/* podman's profile: three ABIs, argument rules, ERRNO default */
	nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
	ck_assert_msg(nook_sc_load_oci(path, nook_caps_default(), 6, 1, &f, &err) == 0, "%s", err.msg);
	check_split_same(&f, "containers-common");
	/* the same rules for x86_64 alone: the guard refuses x32 and i386 */
	f.n_arches = 1;
	f.arches[0] = SCMP_ARCH_X86_64;
	check_split_same(&f, "containers-common, x86_64 only");
	/* and x86_64 + i386 */
	f.arches[f.n_arches++] = SCMP_ARCH_X86;
	check_split_same(&f, "containers-common, x86_64 and i386");
	nook_sc_filter_free(&f);

	/* an allowing default with refusals, kills and masked comparisons */
	char *p = write_tmp("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X32\"],\n"
			    " \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 5},\n"
			    "  {\"names\": [\"ptrace\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},\n"
			    "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 2114060288, \"valueTwo\": 268435456, \"op\": \"SCMP_CMP_MASKED_EQ\"}]},\n"
			    "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_TRAP\", \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_GT\"}]}]}");
	nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
	ck_assert_msg(nook_sc_load_oci(p, nook_caps_default(), 6, 1, &f, &err) == 0, "%s", err.msg);
	check_split_same(&f, "allowing default");
	nook_sc_filter_free(&f);
	unlink(p);
	free(p);
}
END_TEST

/* ------------------------------------------------------------ Landlock */

START_TEST(landlock_rights)
{
	const uint64_t EXEC = 1, WFILE = 2, RFILE = 4, RDIR = 8, REFER = 1 << 13,
		       TRUNC = 1 << 14, IOCTL = 1 << 15;

	ck_assert_uint_eq(nook_landlock_handled(0), 0);
	ck_assert_uint_eq(nook_landlock_handled(1), 0x1fff);
	ck_assert_uint_eq(nook_landlock_handled(2), 0x1fff | REFER);
	ck_assert_uint_eq(nook_landlock_handled(3), 0x1fff | REFER | TRUNC);
	ck_assert_uint_eq(nook_landlock_handled(4), 0x1fff | REFER | TRUNC);
	ck_assert_uint_eq(nook_landlock_handled(7), 0x1fff | REFER | TRUNC | IOCTL);

	ck_assert_uint_eq(nook_landlock_rights(7, 'r', true), RFILE | RDIR);
	ck_assert_uint_eq(nook_landlock_rights(7, 'r', false), RFILE);
	ck_assert_uint_eq(nook_landlock_rights(7, 'x', true), RFILE | RDIR | EXEC);
	ck_assert_uint_eq(nook_landlock_rights(7, 'x', false), RFILE | EXEC);
	/* write: everything but execute; on a file only file rights */
	ck_assert_uint_eq(nook_landlock_rights(7, 'w', true), nook_landlock_handled(7) & ~EXEC);
	ck_assert_uint_eq(nook_landlock_rights(7, 'w', false), WFILE | RFILE | TRUNC | IOCTL);
	ck_assert_uint_eq(nook_landlock_rights(1, 'w', false), WFILE | RFILE);
	ck_assert(!(nook_landlock_rights(1, 'w', true) & REFER));
	ck_assert_uint_eq(nook_landlock_rights(7, 'q', true), 0);
}
END_TEST

/* scope: auto asks for each scope only where its namespace is shared */
START_TEST(landlock_scope)
{
	struct nook_spec s;

	nook_spec_init(&s);
	ck_assert_int_eq(s.landlock_scope, NOOK_LL_SCOPE_AUTO);
	ck_assert_int_eq(nook_landlock_scope(&s), 0);
	s.net = NOOK_NET_HOST;
	ck_assert_int_eq(nook_landlock_scope(&s), NOOK_LL_SCOPE_ABSTRACT_UNIX);
	s.net = NOOK_NET_NONE;
	s.ns_flags &= ~(unsigned long)CLONE_NEWNET;
	ck_assert_int_eq(nook_landlock_scope(&s), NOOK_LL_SCOPE_ABSTRACT_UNIX);
	s.ns_flags &= ~(unsigned long)CLONE_NEWPID;
	ck_assert_int_eq(nook_landlock_scope(&s), NOOK_LL_SCOPE_ABSTRACT_UNIX | NOOK_LL_SCOPE_SIGNAL);
	s.landlock_scope = 0;
	ck_assert_int_eq(nook_landlock_scope(&s), 0);
	s.landlock_scope = NOOK_LL_SCOPE_SIGNAL;
	ck_assert_int_eq(nook_landlock_scope(&s), NOOK_LL_SCOPE_SIGNAL);

	/* the kernel's bits, only from ABI 6 on */
	ck_assert_uint_eq(nook_landlock_scoped(5, NOOK_LL_SCOPE_ABSTRACT_UNIX | NOOK_LL_SCOPE_SIGNAL), 0);
	ck_assert_uint_eq(nook_landlock_scoped(6, NOOK_LL_SCOPE_ABSTRACT_UNIX), 1);
	ck_assert_uint_eq(nook_landlock_scoped(6, NOOK_LL_SCOPE_SIGNAL), 2);
	ck_assert_uint_eq(nook_landlock_scoped(7, NOOK_LL_SCOPE_ABSTRACT_UNIX | NOOK_LL_SCOPE_SIGNAL), 3);
	nook_spec_free(&s);
}
END_TEST

/* ------------------------------------------------------------ helpers' sandbox */

START_TEST(relay_filter_table)
{
	struct nook_sc_filter f;
	const char *allowed[] = { "poll", "ppoll", "recvfrom", "sendto", "recvmmsg", "sendmmsg", "sendmsg", "connect", "close",
				  "clock_gettime", "exit", "exit_group", "socket" };

	nook_sc_relay(&f);
	ck_assert_uint_eq(f.default_action, SCMP_ACT_KILL_PROCESS);
	ck_assert_uint_eq(f.n_arches, 1);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ck_assert_msg(nook_sc_filter_count(&f, allowed[i]) == 1, "%s", allowed[i]);
	/* nothing that reaches a file, a process or another namespace */
	const char *never[] = { "open", "openat", "openat2", "execve", "execveat", "write", "read",
				"bind", "kill", "ptrace", "setns", "unshare", "mount", "ioctl", "mmap",
				"clone", "clone3", "fork", "prctl" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		ck_assert_msg(nook_sc_filter_count(&f, never[i]) == 0, "%s", never[i]);
	for (size_t i = 0; i < f.n_rules; i++) {
		ck_assert_uint_eq(f.rules[i].action, SCMP_ACT_ALLOW);
		if (strcmp(f.rules[i].name, "socket") == 0) {
			/* AF_INET, one datagram type, protocol 0: all three pinned */
			ck_assert_uint_eq(f.rules[i].n_args, 3);
			ck_assert_uint_eq(f.rules[i].args[0].datum_a, AF_INET);
			ck_assert_uint_eq(f.rules[i].args[1].datum_a, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK);
			ck_assert_uint_eq(f.rules[i].args[2].datum_a, 0);
		}
		if (strcmp(f.rules[i].name, "setsockopt") == 0) {
			/* a session socket's buffer sizes, nothing else */
			ck_assert_uint_eq(f.rules[i].n_args, 2);
			ck_assert_uint_eq(f.rules[i].args[0].arg, 1);
			ck_assert_uint_eq(f.rules[i].args[0].datum_a, SOL_SOCKET);
			ck_assert_uint_eq(f.rules[i].args[1].arg, 2);
			ck_assert(f.rules[i].args[1].datum_a == SO_RCVBUF || f.rules[i].args[1].datum_a == SO_SNDBUF);
		}
	}
	ck_assert_uint_eq(nook_sc_filter_count(&f, "setsockopt"), 2);
	nook_sc_filter_free(&f);
}
END_TEST

/* Fork; the child confines itself as the helper of kind does (no paths),
 * then runs what. Returns the child's wait status. */
static int confined_child(enum nook_confine_kind kind, int (*what)(void))
{
	struct nook_confine *c = NULL;
	struct nook_error err = { 0 };
	int st;

	setenv("NOOK_SECCOMP_CACHE", "0", 1);
	ck_assert_msg(nook_confine_prepare(kind, &c, &err) == 0, "%s", err.msg);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (nook_confine_apply(c, NULL, 0, &err) < 0)
			syscall(SYS_exit_group, 99);
		/* straight syscalls: the sanitizers' exit path is not the helper's */
		syscall(SYS_exit_group, what());
	}
	nook_confine_free(c);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* prctl is not on the relay's list */
static int relay_prctl(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 2; }
static int relay_open(void) { return (int)syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY) >= 0 ? 0 : 3; }
static int relay_unix(void) { return (int)syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0) >= 0 ? 0 : 3; }
static int relay_tcp(void) { return (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 3; }
static int relay_calls_ok(void)
{
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	struct timespec ts;
	int size = 1 << 20;
	if (fd < 0 || syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) < 0 ||
	    syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) < 0 ||
	    syscall(SYS_close, fd) < 0 || syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) < 0)
		return 1;
	return 0;
}

/* any other socket option kills the relay */
static int relay_reuse(void)
{
	int fd = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	return 0;
}

START_TEST(relay_filter_enforced)
{
	int st = confined_child(NOOK_CONFINE_RELAY, relay_calls_ok);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the relay's own calls: status %#x", st);
	st = confined_child(NOOK_CONFINE_RELAY, relay_reuse);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "setsockopt SO_REUSEADDR: status %#x", st);
	st = confined_child(NOOK_CONFINE_RELAY, relay_prctl);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "prctl: status %#x", st);
	st = confined_child(NOOK_CONFINE_RELAY, relay_open);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "openat: status %#x", st);
	st = confined_child(NOOK_CONFINE_RELAY, relay_unix);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "AF_UNIX socket: status %#x", st);
	st = confined_child(NOOK_CONFINE_RELAY, relay_tcp);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "TCP socket: status %#x", st);
}
END_TEST

static int daemon_denied(void)
{
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 1;
	if (syscall(SYS_unshare, CLONE_NEWUSER) == 0 || errno != EPERM)
		return 2;
	if (syscall(SYS_keyctl, 0, 0, 0, 0, 0) == 0 || errno != EPERM)
		return 3;
	if (syscall(SYS_bpf, 0, NULL, 0) == 0 || errno != EPERM)
		return 4;
	/* an ordinary call still works */
	return syscall(SYS_getppid) > 0 ? 0 : 5;
}

START_TEST(daemon_filter_enforced)
{
	int st = confined_child(NOOK_CONFINE_DAEMON, daemon_denied);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}
END_TEST

/* In a forked child: a Landlock domain with dir readable (or nothing at
 * all), then try the accesses; the exit status is a bit mask of what
 * worked: 1 read the file in dir, 2 write it, 4 read /etc/passwd, 8 create
 * a file in dir. */
static int landlock_probe(const char *dir, char kind)
{
	struct nook_ll_path p = { dir, kind };
	struct nook_error err = { 0 };
	char *file = nook_path_join(dir, "f"), *newf = nook_path_join(dir, "g");
	int st, fd;

	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int got = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0 ||
		    nook_landlock_confine(&p, kind ? 1 : 0, &err) < 0)
			_exit(100);
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) >= 0)
			got |= 1, close(fd);
		if ((fd = open(file, O_WRONLY | O_CLOEXEC)) >= 0)
			got |= 2, close(fd);
		if ((fd = open("/etc/passwd", O_RDONLY | O_CLOEXEC)) >= 0)
			got |= 4, close(fd);
		if ((fd = open(newf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0)
			got |= 8, close(fd), unlink(newf);
		syscall(SYS_exit_group, got);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	free(file);
	free(newf);
	ck_assert_msg(WIFEXITED(st), "status %#x", st);
	return WEXITSTATUS(st);
}

START_TEST(landlock_confine)
{
	char dir[] = "/tmp/nook-unit-landlock.XXXXXX";
	char *file;
	int fd;

	if (nook_landlock_abi() < 1)
		return; /* nothing to enforce on this kernel: nook_landlock_confine says -EOPNOTSUPP */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	file = nook_path_join(dir, "f");
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* the relay's domain: nothing at all */
	ck_assert_int_eq(landlock_probe(dir, 0), 0);
	/* a lower layer: read only */
	ck_assert_int_eq(landlock_probe(dir, 'r'), 1);
	/* an upper directory: read, write, create; still nothing outside */
	ck_assert_int_eq(landlock_probe(dir, 'w'), 1 | 2 | 8);
	unlink(file);
	rmdir(dir);
	free(file);
}
END_TEST

/* ------------------------------------------------------------ rlimits */

START_TEST(rlimit_names)
{
	ck_assert_int_eq(nook_rlimit_from_name("nofile"), RLIMIT_NOFILE);
	ck_assert_int_eq(nook_rlimit_from_name("NPROC"), RLIMIT_NPROC);
	ck_assert_int_eq(nook_rlimit_from_name("RLIMIT_CORE"), RLIMIT_CORE);
	ck_assert_int_eq(nook_rlimit_from_name("as"), RLIMIT_AS);
	ck_assert_int_eq(nook_rlimit_from_name("cpu"), RLIMIT_CPU);
	ck_assert_int_eq(nook_rlimit_from_name("fsize"), RLIMIT_FSIZE);
	ck_assert_int_eq(nook_rlimit_from_name("memlock"), RLIMIT_MEMLOCK);
	ck_assert_int_eq(nook_rlimit_from_name("stack"), RLIMIT_STACK);
	ck_assert_int_eq(nook_rlimit_from_name("files"), -1);
	ck_assert_int_eq(nook_rlimit_from_name(NULL), -1);
	ck_assert_str_eq(nook_rlimit_name(RLIMIT_NOFILE), "nofile");
}
END_TEST

START_TEST(rlimit_check)
{
	struct nook_error err = { 0 };
	struct nook_rlimit ok[] = { { RLIMIT_NOFILE, 64, 128 }, { RLIMIT_CORE, 0, UINT64_MAX } };
	struct nook_rlimit inverted[] = { { RLIMIT_NOFILE, 256, 128 } };
	struct nook_rlimit twice[] = { { RLIMIT_NPROC, 1, 2 }, { RLIMIT_NPROC, 1, 2 } };
	struct nook_rlimit unlimited_soft[] = { { RLIMIT_CPU, UINT64_MAX, 10 } };

	ck_assert_int_eq(nook_rlimits_check(ok, 2, &err), 0);
	ck_assert_int_eq(nook_rlimits_check(inverted, 1, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "rlimits.nofile"));
	ck_assert_ptr_nonnull(strstr(err.msg, "above the hard limit"));
	ck_assert_int_eq(nook_rlimits_check(twice, 2, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
	ck_assert_int_eq(nook_rlimits_check(unlimited_soft, 1, &err), -EINVAL);
}
END_TEST

START_TEST(default_paths)
{
	const char *want_masked[] = { "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
				      "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
				      "/proc/sched_debug", "/proc/scsi", "/proc/interrupts",
				      "/sys/firmware", "/sys/devices/virtual/powercap", NULL };
	const char *want_ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
				  "/proc/sysrq-trigger", NULL };
	size_t i;

	for (i = 0; want_masked[i]; i++)
		ck_assert_str_eq(nook_default_masked_paths[i], want_masked[i]);
	ck_assert_ptr_null(nook_default_masked_paths[i]);
	for (i = 0; want_ro[i]; i++)
		ck_assert_str_eq(nook_default_readonly_paths[i], want_ro[i]);
	ck_assert_ptr_null(nook_default_readonly_paths[i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("security");
	TCase *t = tcase_create("security");

	tcase_add_test(t, cap_names);
	tcase_add_test(t, sc_listed_numbers);
	tcase_add_test(t, cap_default_set);
	tcase_add_test(t, cap_add_drop);
	tcase_add_test(t, cap_unknown_name);
	tcase_add_test(t, cap_ambient);
	tcase_add_test(t, sc_default_allowlist);
	tcase_add_test(t, sc_nested_userns_and_errno);
	tcase_add_test(t, sc_custom_rules);
	tcase_add_test(t, sc_generator_long_jumps);
	tcase_add_test(t, sc_custom_errors);
	tcase_add_test(t, sc_actions);
	tcase_add_test(t, sc_resolve);
	tcase_add_test(t, oci_small);
	tcase_add_test(t, oci_errors);
	tcase_add_test(t, oci_containers_common);
	tcase_add_test(t, landlock_rights);
	tcase_add_test(t, landlock_scope);
	tcase_add_test(t, relay_filter_table);
	tcase_add_test(t, relay_filter_enforced);
	tcase_add_test(t, daemon_filter_enforced);
	tcase_add_test(t, landlock_confine);
	tcase_add_test(t, rlimit_names);
	tcase_add_test(t, rlimit_check);
	tcase_add_test(t, default_paths);
	suite_add_tcase(s, t);
	TCase *sp = tcase_create("split");
	/* ~10^5 syscalls through five programs, slow under ASan */
	tcase_set_timeout(sp, 300);
	tcase_add_test(sp, split_same_answers);
	suite_add_tcase(s, sp);
	return s;
}

int main(void)
{
	return nook_check_main(suite());
}
