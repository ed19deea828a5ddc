/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp.c - the payload's seccomp filter: the built-in allow-list
 * (table and program generator in seccomp_allow.c), the profile's custom
 * rules on top, the choice of compiler (the list's own generator, or
 * libseccomp for an OCI/Docker file: seccomp_filter.c), and loading the
 * program in the payload with the plain seccomp(2) call.
 *
 * The built-in filter refuses, with the profile's errno (EPERM unless
 * configured), every system call that is not on its allow-list, in the
 * spirit of Docker's and podman's default profiles. It covers every ABI
 * an x86-64 kernel can be entered through: x86_64, i386 and (refused as a
 * whole) x32.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/audit.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"
#include "nook/missing.h"


uint32_t nook_sc_action(enum nook_seccomp_action a, int errno_ret, int default_errno)
{
	switch (a) {
	case NOOK_SCMP_ALLOW: return SCMP_ACT_ALLOW;
	case NOOK_SCMP_KILL:  return SCMP_ACT_KILL_PROCESS;
	case NOOK_SCMP_LOG:   return SCMP_ACT_LOG;
	case NOOK_SCMP_TRAP:  return SCMP_ACT_TRAP;
	case NOOK_SCMP_ERRNO:
	default:
		return SCMP_ACT_ERRNO(errno_ret > 0 ? errno_ret : default_errno);
	}
}

static enum scmp_compare to_scmp_op(enum nook_scmp_op op)
{
	switch (op) {
	case NOOK_SCMP_OP_NE: return SCMP_CMP_NE;
	case NOOK_SCMP_OP_LT: return SCMP_CMP_LT;
	case NOOK_SCMP_OP_LE: return SCMP_CMP_LE;
	case NOOK_SCMP_OP_GT: return SCMP_CMP_GT;
	case NOOK_SCMP_OP_GE: return SCMP_CMP_GE;
	case NOOK_SCMP_OP_MASKED_EQ: return SCMP_CMP_MASKED_EQ;
	case NOOK_SCMP_OP_EQ:
	default: return SCMP_CMP_EQ;
	}
}

static int spec_errno(const struct nook_spec *s)
{
	return s->seccomp_default_errno > 0 ? s->seccomp_default_errno : EPERM;
}

/* A rule with argument comparisons that does not allow: it only narrows
 * what the built-in list does for that syscall. */
static bool narrows(const struct nook_seccomp_rule *r)
{
	return r->n_args && r->action != NOOK_SCMP_ALLOW;
}

int nook_sc_add_custom(const struct nook_spec *s, struct nook_sc_filter *f,
		       struct nook_error *err)
{
	int eno = spec_errno(s);

	/* First drop the built-in rules for every syscall a custom rule names,
	 * then add the custom rules, so several custom rules for one syscall
	 * (e.g. different argument values) all survive. With the allow-list,
	 * a refusing rule with argument conditions keeps the built-in rule:
	 * the syscall stays allowed (or not) for the other values. */
	for (size_t i = 0; i < s->n_seccomp_rules; i++) {
		if (f->allowlist && narrows(&s->seccomp_rules[i]))
			continue;
		for (char **n = s->seccomp_rules[i].names; n && *n; n++)
			nook_sc_filter_remove(f, *n);
	}

	for (size_t i = 0; i < s->n_seccomp_rules; i++) {
		const struct nook_seccomp_rule *r = &s->seccomp_rules[i];
		struct scmp_arg_cmp args[NOOK_SC_MAX_ARGS];
		uint32_t action = nook_sc_action(r->action, r->errno_ret, eno);

		if (!r->names || !r->names[0])
			return nook_errx(err, EINVAL, "seccomp.rules[%zu]: the rule names no syscall", i);
		if (r->n_args > NOOK_SC_MAX_ARGS)
			return nook_errx(err, EINVAL, "seccomp.rules[%zu]: at most %d argument comparisons",
					 i, NOOK_SC_MAX_ARGS);
		for (size_t a = 0; a < r->n_args; a++) {
			if (r->args[a].index > 5)
				return nook_errx(err, EINVAL,
						 "seccomp.rules[%zu]: argument index %u is out of range (0-5)",
						 i, r->args[a].index);
			for (size_t b = 0; b < a; b++)
				if (r->args[b].index == r->args[a].index)
					return nook_errx(err, EINVAL,
							 "seccomp.rules[%zu]: argument %u is compared twice; libseccomp allows one comparison per argument (write two rules)",
							 i, r->args[a].index);
			args[a].arg = r->args[a].index;
			args[a].op = to_scmp_op(r->args[a].op);
			/* for masked_eq, value is the mask and value2 the value */
			args[a].datum_a = r->args[a].value;
			args[a].datum_b = r->args[a].value2;
		}
		for (char **n = r->names; *n; n++) {
			if (!nook_sc_name_known(*n))
				return nook_errx(err, EINVAL,
						 "seccomp.rules[%zu]: unknown syscall '%s' (check the spelling; see syscalls(2))",
						 i, *n);
			/* libseccomp compiles comparisons (and --seccomp files):
			 * it must know the name */
			if ((r->n_args || !f->allowlist) &&
			    seccomp_syscall_resolve_name(*n) == __NR_SCMP_ERROR) {
				const struct scmp_version *v = seccomp_version();
				return nook_errx(err, EINVAL,
						 "seccomp.rules[%zu]: libseccomp %u.%u.%u does not know the syscall '%s'; %s",
						 i, v ? v->major : 0, v ? v->minor : 0, v ? v->micro : 0, *n,
						 f->allowlist ? "only a rule without 'args' can name it"
							      : "only the built-in filter (seccomp: default) can name it");
			}
			if (action == f->default_action && !f->allowlist) {
				/* Same as the default: removing the built-in rules was
				 * all it takes; conditions cannot narrow it further. */
				if (r->n_args)
					return nook_errx(err, EINVAL,
							 "seccomp.rules[%zu]: an 'allow' rule with argument conditions cannot narrow a filter that allows by default; write a deny rule for the other values instead",
							 i);
				continue;
			}
			nook_sc_filter_add(f, *n, action, (unsigned)r->n_args, args);
		}
	}
	return 0;
}

int nook_sc_default(const struct nook_spec *s, int kernel_major, int kernel_minor,
		    struct nook_sc_filter *f, struct nook_error *err)
{
	bool old_ptrace = kernel_major < 4 || (kernel_major == 4 && kernel_minor < 8);

	nook_sc_filter_init(f, SCMP_ACT_ERRNO(spec_errno(s)));
	f->allowlist = true;
	/* x32 is refused as a whole by the generated program */
	f->n_arches = 0;
	f->arches[f->n_arches++] = SCMP_ARCH_X86_64;
	f->arches[f->n_arches++] = SCMP_ARCH_X86;
	for (size_t i = 0; nook_sc_allowlist[i]; i++) {
		const char *name = nook_sc_allowlist[i];
		/* ptrace could escape seccomp before 4.8 */
		if (old_ptrace && strcmp(name, "ptrace") == 0)
			continue;
		/* clone3 cannot be filtered on its flags (they live in memory):
		 * it says ENOSYS and libc falls back to clone */
		if (!s->allow_nested_userns && strcmp(name, "clone3") == 0) {
			nook_sc_filter_add_listed(f, i, SCMP_ACT_ERRNO(ENOSYS));
			continue;
		}
		nook_sc_filter_add_listed(f, i, SCMP_ACT_ALLOW);
	}
	if (s->allow_nested_userns) {
		nook_sc_filter_add_static(f, "unshare", SCMP_ACT_ALLOW);
		nook_sc_filter_add_static(f, "setns", SCMP_ACT_ALLOW);
	}
	/* clone without namespace flags; personality with the safe values;
	 * ioctl except the terminal injections (TIOCSTI, TIOCLINUX) */
	f->clone_guard = !s->allow_nested_userns;
	f->personality_guard = true;
	f->tty_guard = true;

	return nook_sc_add_custom(s, f, err);
}

/* ------------------------------------------------------------ compile */

int nook_sc_compile(const struct nook_sc_filter *f, void **bpf, size_t *n_insns,
		    struct nook_error *err)
{
	if (f->allowlist)
		return nook_sc_compile_allowlist(f, bpf, n_insns, err);
	return nook_sc_compile_libseccomp(f, NOOK_SC_BADARCH, bpf, n_insns, err);
}

/* ------------------------------------------------------------ load */

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARCH_OFF offsetof(struct seccomp_data, arch)

/* With a file profile whose default is to refuse, libseccomp cannot say
 * "allow ioctl except TIOCSTI/TIOCLINUX" (an unconditional allow swallows
 * the conditional denial), so the terminal-injection check is stacked as
 * its own program. Only the low 32 bits of the command count. */
#define ARG1_LO offsetof(struct seccomp_data, args[1])

static int load_tty_guard(int eno, struct nook_error *err)
{
	struct sock_filter prog[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),  /* else 7 */
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 16, 6, 0),                 /* x86_64: 10 */
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40000000 | 514, 5, 0),   /* x32: 10 */
		/* 5 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x40000000 | 16, 4, 0),    /* x32 alias: 10 */
		/* 6 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 6),    /* else 14 */
		/* 8 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 54, 0, 4),                 /* i386; else 14 */
		/* 10 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG1_LO),
		/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0),
		/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1),
		/* 13 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (eno & SECCOMP_RET_DATA)),
		/* 14 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0)
		return nook_err(err, errno, "cannot load the seccomp terminal filter");
	return 0;
}

/* The filter with flags; the seccomp() result (a listener fd with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER), or -errno. */
static int load_flags(const void *bpf, size_t n_insns, bool tty_guard, int default_errno, unsigned flags,
		      struct nook_error *err)
{
	struct sock_fprog fp = {
		.len = (unsigned short)n_insns,
		.filter = (struct sock_filter *)bpf,
	};
	int r;

	if (n_insns == 0 || n_insns > BPF_MAXINSNS)
		return nook_errx(err, E2BIG, "the seccomp program has %zu instructions (limit %d)",
				 n_insns, BPF_MAXINSNS);
	if (tty_guard) {
		r = load_tty_guard(default_errno > 0 ? default_errno : EPERM, err);
		if (r < 0)
			return r;
	}
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fp);
	if (fd < 0)
		return nook_err(err, errno, "cannot load the seccomp filter%s",
				flags & SECCOMP_FILTER_FLAG_NEW_LISTENER ? " with a user-notification listener" : "");
	return (int)fd;
}

int nook_sc_load(const void *bpf, size_t n_insns, bool tty_guard, int default_errno,
		 struct nook_error *err)
{
	int r = load_flags(bpf, n_insns, tty_guard, default_errno, 0, err);
	return r < 0 ? r : 0;
}

int nook_sc_load_listener(const void *bpf, size_t n_insns, bool tty_guard, int default_errno,
			  struct nook_error *err)
{
	return load_flags(bpf, n_insns, tty_guard, default_errno, SECCOMP_FILTER_FLAG_NEW_LISTENER, err);
}
