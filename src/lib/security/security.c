/* SPDX-License-Identifier: GPL-2.0-or-later */
/* security.c - prepare the security envelope in the parent, apply it in
 * the payload right before execve.
 *
 * Everything that can fail because of the profile (capability names,
 * rlimit values, seccomp rules or file) is checked in
 * nook_security_prepare(), before any namespace exists, so a user error
 * leaves nothing behind. The payload side only issues syscalls.
 */
#include <linux/filter.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

#include "nook/limits.h"
#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"

struct nook_security {
	int last_cap;
	uint64_t keep;             /* bounding set (and P/E for uid 0) */
	uint64_t ambient;
	uint64_t inheritable;      /* with spec->cap_inheritable: that set, else ambient */
	bool filter;               /* a seccomp program is to be loaded */
	struct nook_sc_prog progs[NOOK_SC_MAX_PROGS]; /* stacked in this order */
	size_t n_progs;
	bool tty_guard;
	int default_errno;
};

void nook_kernel_version(int *major, int *minor)
{
	struct utsname u;

	*major = *minor = 0;
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", major, minor) < 1)
		*major = *minor = 0;
}

static int prepare_seccomp(const struct nook_spec *s, struct nook_security *sec,
			   struct nook_error *err)
{
	struct nook_sc_filter f;
	int major, minor, r;
	uint64_t t0 = nook_now_ns();

	if (s->seccomp == NOOK_SECCOMP_UNCONFINED)
		return 0;
	nook_kernel_version(&major, &minor);
	if (s->seccomp == NOOK_SECCOMP_FILE) {
		if (!s->seccomp_file)
			return nook_errx(err, EINVAL, "seccomp: a profile file was asked for but no path given");
		nook_sc_filter_init(&f, SCMP_ACT_ALLOW);
		/* the caps that decide includes/excludes are the ones the
		 * payload really holds: the kept set for uid 0, else ambient */
		r = nook_sc_load_oci(s->seccomp_file, s->uid == 0 ? sec->keep : sec->ambient,
				     major, minor, &f, err);
		if (r == 0)
			r = nook_sc_add_custom(s, &f, err);
		f.tty_guard = true;
	} else {
		r = nook_sc_default(s, major, minor, &f, err);
	}
	if (r == 0 && !f.allowlist && !s->seccomp_listener) {
		/* a file's rules: one small program per ABI, stacked */
		r = nook_sc_compile_split(&f, NOOK_SC_BADARCH, sec->progs, &sec->n_progs, err);
	} else if (r == 0) {
		r = nook_sc_compile(&f, &sec->progs[0].bpf, &sec->progs[0].n_insns, err);
		sec->n_progs = r == 0;
	}
	/* the allow-list program checks ioctl itself */
	sec->tty_guard = f.tty_guard && !f.allowlist;
	nook_sc_filter_free(&f);
	if (r < 0)
		return r;
	size_t total = 0;
	for (size_t i = 0; i < sec->n_progs; i++) {
		if (sec->progs[i].n_insns > BPF_MAXINSNS)
			return nook_errx(err, E2BIG,
					 "the seccomp filter compiles to %zu BPF instructions, more than the kernel's %d (use fewer rules or argument comparisons)",
					 sec->progs[i].n_insns, BPF_MAXINSNS);
		total += sec->progs[i].n_insns;
	}
	sec->filter = true;
	nook_verbose("seccomp: %zu BPF instructions compiled in %llu us (%zu program%s)", total,
		     (unsigned long long)((nook_now_ns() - t0) / 1000), sec->n_progs, sec->n_progs == 1 ? "" : "s");
	return 0;
}

int nook_security_seccomp_plan(const struct nook_spec *s, struct nook_sc_plan *p64,
			       struct nook_sc_plan *p32, uint32_t *deny, struct nook_error *err)
{
	struct nook_sc_filter f;
	int major, minor, r;

	if (s->seccomp != NOOK_SECCOMP_DEFAULT)
		return nook_errx(err, EINVAL, "the profile does not use the built-in seccomp filter (seccomp: default)");
	nook_kernel_version(&major, &minor);
	r = nook_sc_default(s, major, minor, &f, err);
	if (r == 0) {
		nook_sc_plan_build(&f, SCMP_ARCH_X86_64, p64);
		nook_sc_plan_build(&f, SCMP_ARCH_X86, p32);
		*deny = f.default_action;
	}
	nook_sc_filter_free(&f);
	return r;
}

int nook_security_prepare(const struct nook_spec *s, struct nook_security **out,
			  struct nook_error *err)
{
	struct nook_security *sec = nook_xmalloc(sizeof(*sec));
	int r;

	*out = NULL;
	sec->last_cap = nook_caps_last_cap();
	sec->default_errno = s->seccomp_default_errno > 0 ? s->seccomp_default_errno : EPERM;
	if (s->seccomp_default_errno < 0 || s->seccomp_default_errno > 4095) {
		r = nook_errx(err, EINVAL, "seccomp.default_errno: %d is not an errno value (1-4095)",
			      s->seccomp_default_errno);
		goto fail;
	}
	r = nook_caps_compute(s->cap_add, s->cap_drop, sec->last_cap, &sec->keep, err);
	if (r == 0)
		r = nook_caps_ambient(s->cap_ambient, sec->keep, sec->last_cap, &sec->ambient, err);
	sec->inheritable = sec->ambient;
	if (r == 0 && s->cap_inheritable) {
		char *none[] = { (char *)"ALL", NULL };
		r = nook_caps_compute(s->cap_inheritable, none, sec->last_cap, &sec->inheritable, err);
		sec->inheritable |= sec->ambient;
	}
	if (r == 0)
		r = nook_rlimits_check(s->rlimits, s->n_rlimits, err);
	if (r == 0)
		nook_verbose("capabilities: bounding set %#llx, ambient %#llx, payload uid %u",
			     (unsigned long long)sec->keep, (unsigned long long)sec->ambient,
			     (unsigned)s->uid);
	if (r == 0)
		r = prepare_seccomp(s, sec, err);
	if (r < 0)
		goto fail;
	*out = sec;
	return 0;
fail:
	if (err->exit_status == 0)
		err->exit_status = NOOK_EXIT_FAILURE;
	nook_security_free(sec);
	return r;
}

void nook_security_free(struct nook_security *sec)
{
	if (!sec)
		return;
	for (size_t i = 0; i < sec->n_progs; i++)
		free(sec->progs[i].bpf);
	free(sec);
}

int nook_security_before_setuid(const struct nook_spec *s, struct nook_security *sec,
				struct nook_error *err)
{
	/* setresuid() to a non-zero uid clears the permitted set; keep it
	 * until nook_security_apply() has trimmed and set it. */
	if (s->uid != 0 && prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) < 0)
		return nook_err(err, errno, "prctl(PR_SET_KEEPCAPS)");
	return 0;
}

static int load_filters(const struct nook_spec *s, struct nook_security *sec,
			struct nook_error *err)
{
	int r = nook_landlock_apply(s, err);

	if (r < 0)
		return r;
	if (!sec->filter)
		return 0;
	for (size_t i = 0; i < sec->n_progs; i++)
		if ((r = nook_sc_load(sec->progs[i].bpf, sec->progs[i].n_insns, i == 0 && sec->tty_guard,
				      sec->default_errno, err)) < 0)
			return r;
	return 0;
}

int nook_security_seccomp_listen(const struct nook_spec *s, struct nook_security *sec,
				 struct nook_error *err)
{
	if (!sec || !sec->filter || sec->n_progs != 1)
		return nook_errx(err, EINVAL, "a seccomp listener was asked for, but there is no seccomp filter to load");
	/* without CAP_SYS_ADMIN over our user namespace, loading needs
	 * no_new_privs, which the payload gets anyway when asked for */
	if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
		return nook_err(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	int fd = nook_sc_load_listener(sec->progs[0].bpf, sec->progs[0].n_insns, sec->tty_guard, sec->default_errno, err);
	if (fd >= 0)
		sec->filter = false; /* loaded: apply() must not stack it twice */
	return fd;
}

int nook_security_apply(const struct nook_spec *s, struct nook_security *sec,
			struct nook_error *err)
{
	uint64_t permitted, inheritable;
	int r;

	if (!sec)
		return nook_errx(err, EINVAL, "internal error: the security envelope was not prepared");

	/* the caller's own soft limits, which nook raised for itself */
	if ((r = nook_self_limits_restore(err)) < 0)
		return r;
	r = nook_rlimits_apply(s->rlimits, s->n_rlimits, err);
	if (r < 0)
		return r;

	/* After setresuid with PR_SET_KEEPCAPS only the effective set is
	 * empty; raise it from what is permitted (a no-op for uid 0). */
	if (s->uid != 0 && (r = nook_caps_raise_effective(err)) < 0)
		return r;
	r = nook_caps_apply_bounding(sec->keep, sec->last_cap, err);
	if (r < 0) {
		if (s->uid != 0)
			nook_err_prefix(err, "the payload lost its capabilities before the bounding set was trimmed (the launcher must call nook_security_before_setuid)");
		return r;
	}

	/* Without no_new_privs, loading seccomp and Landlock needs
	 * CAP_SYS_ADMIN: do it while the payload still holds it. */
	if (!s->no_new_privs && (r = load_filters(s, sec, err)) < 0)
		return r;

	if (s->uid != 0 && (sec->ambient & ~nook_caps_permitted_now()))
		return nook_errx(err, EPERM,
				 "cannot give uid %u its ambient capabilities: they were dropped when it changed uid (the launcher must call nook_security_before_setuid)",
				 (unsigned)s->uid);
	if (s->uid == 0) {
		permitted = sec->keep;
		inheritable = sec->inheritable;
	} else {
		permitted = sec->ambient;
		inheritable = sec->inheritable;
	}
	r = nook_caps_apply_sets(permitted, inheritable, sec->ambient, sec->last_cap, err);
	if (r < 0)
		return r;
	prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L);

	if (s->no_new_privs) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L) < 0)
			return nook_err(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
		r = load_filters(s, sec, err);
		if (r < 0)
			return r;
	}
	return 0;
}
