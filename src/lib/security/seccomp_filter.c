/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_filter.c - the rule list of a seccomp filter (struct
 * nook_sc_filter: create, add, remove, count, free) and its compilation
 * with libseccomp, for an OCI/Docker file's rules, the prefix program of a
 * profile's argument rules and the small filters of nook's helpers. The
 * built-in allow-list has a generator of its own (seccomp_allow.c). */
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

void nook_sc_filter_init(struct nook_sc_filter *f, uint32_t default_action)
{
	memset(f, 0, sizeof(*f));
	f->default_action = default_action;
	f->arches[f->n_arches++] = SCMP_ARCH_X86_64;
	f->arches[f->n_arches++] = SCMP_ARCH_X32;
	f->arches[f->n_arches++] = SCMP_ARCH_X86;
}

void nook_sc_filter_free(struct nook_sc_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_rules; i++) {
		if (!f->rules[i].static_name)
			free(f->rules[i].name);
		free(f->rules[i].args);
	}
	free(f->rules);
	f->rules = NULL;
	f->n_rules = f->cap_rules = 0;
}

static struct nook_sc_rule *new_rule(struct nook_sc_filter *f)
{
	if (f->n_rules == f->cap_rules) {
		/* the built-in list has ~400 rules: one allocation */
		f->cap_rules = f->cap_rules ? f->cap_rules * 2 : 512;
		f->rules = nook_xrealloc(f->rules, f->cap_rules * sizeof(*f->rules));
	}
	return &f->rules[f->n_rules++];
}

void nook_sc_filter_add_static(struct nook_sc_filter *f, const char *name, uint32_t action)
{
	struct nook_sc_rule *r = new_rule(f);

	r->name = (char *)name;
	r->static_name = true;
	r->list_idx = -1;
	r->action = action;
	r->n_args = 0;
	r->args = NULL;
}

void nook_sc_filter_add_listed(struct nook_sc_filter *f, size_t idx, uint32_t action)
{
	nook_sc_filter_add_static(f, nook_sc_allowlist[idx], action);
	f->rules[f->n_rules - 1].list_idx = (int)idx;
}

void nook_sc_filter_add(struct nook_sc_filter *f, const char *name, uint32_t action,
			unsigned n_args, const struct scmp_arg_cmp *args)
{
	struct nook_sc_rule *r = new_rule(f);

	memset(r, 0, sizeof(*r));
	r->list_idx = -1;
	r->name = nook_strdup(name);
	r->action = action;
	if (n_args > NOOK_SC_MAX_ARGS)
		n_args = NOOK_SC_MAX_ARGS;
	r->n_args = n_args;
	if (n_args) {
		r->args = nook_xmalloc(n_args * sizeof(*args));
		memcpy(r->args, args, n_args * sizeof(*args));
	}
}

size_t nook_sc_filter_remove(struct nook_sc_filter *f, const char *name)
{
	size_t j = 0, removed = 0;

	for (size_t i = 0; i < f->n_rules; i++) {
		if (strcmp(f->rules[i].name, name) == 0) {
			if (!f->rules[i].static_name)
				free(f->rules[i].name);
			free(f->rules[i].args);
			removed++;
			continue;
		}
		f->rules[j++] = f->rules[i];
	}
	f->n_rules = j;
	/* a custom rule replaces the built-in argument check too */
	if (strcmp(name, "personality") == 0)
		f->personality_guard = false;
	if (strcmp(name, "clone") == 0)
		f->clone_guard = false;
	if (strcmp(name, "ioctl") == 0 && f->allowlist)
		f->tty_guard = false;
	return removed;
}

size_t nook_sc_filter_count(const struct nook_sc_filter *f, const char *name)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_rules; i++)
		n += strcmp(f->rules[i].name, name) == 0;
	return n;
}

/* ------------------------------------------------------------ compile */

/* f's rules for the ABIs arches[n] (only: without_native drops the native
 * one libseccomp starts with when it is not among them). */
static int compile_for(const struct nook_sc_filter *f, const uint32_t *arches, size_t n_arches, bool without_native,
		       uint32_t badarch, void **bpf, size_t *n_insns, struct nook_error *err)
{
	scmp_filter_ctx ctx;
	_cleanup_close_ int fd = -1;
	struct stat st;
	void *buf = NULL;
	int r;

	*bpf = NULL;
	*n_insns = 0;
	ctx = seccomp_init(f->default_action);
	if (!ctx)
		return nook_errx(err, ENOMEM, "cannot create the seccomp filter (libseccomp)");
	/* A syscall from an ABI outside the filter kills the process. */
	seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, badarch);
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* binary search over syscall numbers: cheaper per syscall */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, NOOK_SC_OPTIMIZE);

	for (size_t i = 0; i < n_arches; i++) {
		r = seccomp_arch_add(ctx, arches[i]);
		if (r < 0 && r != -EEXIST) {
			nook_err(err, -r, "cannot add architecture %#x to the seccomp filter",
				 arches[i]);
			goto fail;
		}
	}
	if (without_native) {
		bool listed = false;
		for (size_t i = 0; i < n_arches; i++)
			listed |= arches[i] == seccomp_arch_native() || arches[i] == SCMP_ARCH_NATIVE;
		if (!listed && (r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0) {
			nook_err(err, -r, "cannot leave the native architecture out of a seccomp filter");
			goto fail;
		}
	}

	for (size_t i = 0; i < f->n_rules; i++) {
		const struct nook_sc_rule *rule = &f->rules[i];
		int nr = seccomp_syscall_resolve_name(rule->name);

		if (nr == __NR_SCMP_ERROR)
			continue; /* unknown to this libseccomp: cannot be named */
		if (rule->action == f->default_action)
			continue;
		r = seccomp_rule_add_array(ctx, rule->action, nr, rule->n_args, rule->args);
		if (r < 0) {
			nook_err(err, -r, "seccomp rule for '%s' is not valid", rule->name);
			goto fail;
		}
	}

	fd = memfd_create("nook-seccomp", MFD_CLOEXEC);
	if (fd < 0) {
		r = nook_err(err, errno, "memfd_create for the seccomp program");
		goto fail;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		nook_err(err, -r, "cannot compile the seccomp filter");
		goto fail;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter)) {
		r = nook_errx(err, EIO, "the compiled seccomp program has a bad size");
		goto fail;
	}
	buf = nook_xmalloc((size_t)st.st_size);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		free(buf);
		r = nook_err(err, errno ? errno : EIO, "cannot read back the seccomp program");
		goto fail;
	}
	*bpf = buf;
	*n_insns = (size_t)st.st_size / sizeof(struct sock_filter);
	seccomp_release(ctx);
	return 0;
fail:
	seccomp_release(ctx);
	return r < 0 ? r : -EINVAL;
}

int nook_sc_compile_libseccomp(const struct nook_sc_filter *f, uint32_t badarch, void **bpf,
			       size_t *n_insns, struct nook_error *err)
{
	return compile_for(f, f->arches, f->n_arches, false, badarch, bpf, n_insns, err);
}

/* ------------------------------------------------------------ split */

#define X32_BIT 0x40000000u

/* The ABI guard of a split filter: a syscall of an ABI the filter does not
 * list gets badarch (as libseccomp's own check would give it), the rest
 * pass to the per-ABI programs. x32 shares x86_64's audit arch and is told
 * apart by the syscall number's bit 30 (-1, a syscall a tracer skipped, is
 * x86_64's, as libseccomp has it). */
static void guard_program(bool x86_64, bool x32, bool i386, uint32_t badarch, struct nook_sc_prog *p)
{
	const uint32_t ALLOW = SECCOMP_RET_ALLOW;
	struct sock_filter prog[] = {
		/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),       /* else 7 */
		/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 2, 0),              /* -1: 6 */
		/* 4 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_BIT, 0, 1),                  /* else 6 */
		/* 5 */ BPF_STMT(BPF_RET | BPF_K, x32 ? ALLOW : badarch),
		/* 6 */ BPF_STMT(BPF_RET | BPF_K, x86_64 ? ALLOW : badarch),
		/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 1),         /* else 9 */
		/* 8 */ BPF_STMT(BPF_RET | BPF_K, i386 ? ALLOW : badarch),
		/* 9 */ BPF_STMT(BPF_RET | BPF_K, badarch),
	};
	p->n_insns = sizeof prog / sizeof *prog;
	p->bpf = nook_xmalloc(sizeof prog);
	memcpy(p->bpf, prog, sizeof prog);
}

int nook_sc_compile_split(const struct nook_sc_filter *f, uint32_t badarch, struct nook_sc_prog *progs,
			  size_t *n_progs, struct nook_error *err)
{
	bool have[3] = { false, false, false };
	static const uint32_t abis[3] = { SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_X86 };
	size_t n = 0;
	int r;

	*n_progs = 0;
	/* libseccomp keeps the native ABI in every filter */
	have[0] = true;
	for (size_t i = 0; i < f->n_arches; i++)
		for (size_t a = 0; a < 3; a++)
			have[a] |= f->arches[i] == abis[a];
	/* another host's ABIs never reach this kernel: only the guard's
	 * badarch would answer them, as in the whole program */
	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		if ((r = nook_sc_compile_libseccomp(f, badarch, &progs[0].bpf, &progs[0].n_insns, err)) < 0)
			return r;
		*n_progs = 1;
		return 0;
	}
	guard_program(have[0], have[1], have[2], badarch, &progs[n++]);
	for (size_t a = 0; a < 3; a++) {
		if (!have[a])
			continue;
		/* what is not this ABI's passes here: the guard and the
		 * other programs answer it */
		r = compile_for(f, &abis[a], 1, true, SCMP_ACT_ALLOW, &progs[n].bpf, &progs[n].n_insns, err);
		if (r < 0) {
			for (size_t i = 0; i < n; i++)
				free(progs[i].bpf);
			return r;
		}
		n++;
	}
	*n_progs = n;
	return 0;
}
