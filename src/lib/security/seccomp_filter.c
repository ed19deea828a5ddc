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

int nook_sc_compile_libseccomp(const struct nook_sc_filter *f, uint32_t badarch, void **bpf,
			       size_t *n_insns, struct nook_error *err)
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

	for (size_t i = 0; i < f->n_arches; i++) {
		r = seccomp_arch_add(ctx, f->arches[i]);
		if (r < 0 && r != -EEXIST) {
			nook_err(err, -r, "cannot add architecture %#x to the seccomp filter",
				 f->arches[i]);
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
