/* test_security.c - the pure parts of the security envelope: capability
 * sets, the seccomp rule tables and custom rules, OCI seccomp files,
 * Landlock rights per ABI, rlimit names and checks; and, against the
 * real kernel in forked children, the sandbox of nook's helpers
 * (confine.c). */
#include <errno.h>
#include <sched.h>
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

START_TEST(sc_default_table)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	const char *denied[] = { "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
				 "kexec_load", "kexec_file_load", "init_module", "finit_module",
				 "delete_module", "mount", "umount2", "fsopen", "fsmount",
				 "move_mount", "open_tree", "mount_setattr", "pivot_root",
				 "userfaultfd", "io_uring_setup", "io_uring_enter",
				 "io_uring_register", "open_by_handle_at", "clock_settime",
				 "settimeofday", "reboot", "swapon", "swapoff", "acct", "quotactl",
				 "lookup_dcookie", "unshare", "setns", NULL };

	nook_spec_init(&s);
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), 0);
	ck_assert_uint_eq(f.default_action, SCMP_ACT_ALLOW);
	for (size_t i = 0; denied[i]; i++) {
		const struct nook_sc_rule *r = find_rule(&f, denied[i], 0);
		ck_assert_msg(r != NULL, "%s is not denied", denied[i]);
		ck_assert_uint_eq(r->action, SCMP_ACT_ERRNO(EPERM));
		ck_assert_uint_eq(r->n_args, 0);
	}
	/* every ABI of the machine */
	ck_assert_uint_eq(f.n_arches, 3);
	ck_assert_uint_eq(f.arches[0], SCMP_ARCH_X86_64);
	ck_assert_uint_eq(f.arches[1], SCMP_ARCH_X32);
	ck_assert_uint_eq(f.arches[2], SCMP_ARCH_X86);
	/* clone3 says ENOSYS; clone is denied per namespace flag */
	ck_assert_uint_eq(find_rule(&f, "clone3", 0)->action, SCMP_ACT_ERRNO(ENOSYS));
	ck_assert_uint_eq(nook_sc_filter_count(&f, "clone"), 7);
	for (size_t i = 0; i < 7; i++) {
		const struct nook_sc_rule *r = find_rule(&f, "clone", i);
		ck_assert_uint_eq(r->n_args, 1);
		ck_assert_int_eq(r->args[0].op, SCMP_CMP_MASKED_EQ);
		ck_assert_uint_eq(r->args[0].datum_a, r->args[0].datum_b);
	}
	/* TIOCSTI and TIOCLINUX: masked compare on the low 32 bits only */
	ck_assert_uint_eq(nook_sc_filter_count(&f, "ioctl"), 2);
	for (size_t i = 0; i < 2; i++) {
		const struct nook_sc_rule *r = find_rule(&f, "ioctl", i);
		ck_assert_uint_eq(r->args[0].arg, 1);
		ck_assert_int_eq(r->args[0].op, SCMP_CMP_MASKED_EQ);
		ck_assert_uint_eq(r->args[0].datum_a, 0xffffffffULL);
		ck_assert(r->args[0].datum_b == TIOCSTI || r->args[0].datum_b == 0x541C);
	}
	ck_assert(f.personality_guard);
	/* ptrace is allowed on a recent kernel, denied before 4.8 */
	ck_assert_ptr_null(find_rule(&f, "ptrace", 0));
	nook_sc_filter_free(&f);
	ck_assert_int_eq(nook_sc_default(&s, 4, 4, &f, &err), 0);
	ck_assert_ptr_nonnull(find_rule(&f, "ptrace", 0));
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
	ck_assert_ptr_null(find_rule(&f, "unshare", 0));
	ck_assert_ptr_null(find_rule(&f, "setns", 0));
	ck_assert_ptr_null(find_rule(&f, "clone", 0));
	ck_assert_ptr_null(find_rule(&f, "clone3", 0));
	/* the rest stays, with the configured errno */
	ck_assert_uint_eq(find_rule(&f, "keyctl", 0)->action, SCMP_ACT_ERRNO(EACCES));
	ck_assert_uint_eq(find_rule(&f, "mount", 0)->action, SCMP_ACT_ERRNO(EACCES));
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
	char *n_allow[] = { sv("keyctl"), NULL };
	char *n_kill[] = { sv("uname"), NULL };
	char *n_errno[] = { sv("getcpu"), NULL };
	char *n_pers[] = { sv("personality"), NULL };
	struct nook_seccomp_rule rules[] = {
		{ .names = n_allow, .action = NOOK_SCMP_ALLOW },
		{ .names = n_kill, .action = NOOK_SCMP_KILL },
		{ .names = n_errno, .action = NOOK_SCMP_ERRNO, .errno_ret = ENODEV, .args = &arg, .n_args = 1 },
		{ .names = n_pers, .action = NOOK_SCMP_LOG },
	};
	void *bpf = NULL;
	size_t n = 0;

	nook_spec_init(&s);
	s.seccomp_rules = rules;
	s.n_seccomp_rules = 4;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), 0);
	/* allow: the built-in denial is gone, nothing added */
	ck_assert_ptr_null(find_rule(&f, "keyctl", 0));
	ck_assert_ptr_nonnull(find_rule(&f, "add_key", 0));
	ck_assert_uint_eq(find_rule(&f, "uname", 0)->action, SCMP_ACT_KILL_PROCESS);
	const struct nook_sc_rule *r = find_rule(&f, "getcpu", 0);
	ck_assert_uint_eq(r->action, SCMP_ACT_ERRNO(ENODEV));
	ck_assert_uint_eq(r->n_args, 1);
	ck_assert_uint_eq(r->args[0].datum_a, 42);
	/* a custom personality rule replaces the built-in value check */
	ck_assert(!f.personality_guard);
	ck_assert_uint_eq(find_rule(&f, "personality", 0)->action, SCMP_ACT_LOG);
	/* and it all compiles to BPF */
	ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
	ck_assert_uint_gt(n, 20);
	ck_assert_uint_le(n, BPF_MAXINSNS);
	free(bpf);
	nook_sc_filter_free(&f);
	s.seccomp_rules = NULL;
	s.n_seccomp_rules = 0;
	nook_spec_free(&s);
}
END_TEST

START_TEST(sc_custom_errors)
{
	struct nook_spec s;
	struct nook_sc_filter f;
	struct nook_error err = { 0 };
	char *bogus[] = { sv("no_such_syscall"), NULL };
	char *keyctl[] = { sv("keyctl"), NULL };
	struct nook_seccomp_arg two[2] = { { .index = 0, .value = 1 }, { .index = 0, .value = 2 } };
	struct nook_seccomp_rule r1 = { .names = bogus, .action = NOOK_SCMP_ERRNO };
	struct nook_seccomp_rule r2 = { .names = keyctl, .action = NOOK_SCMP_ERRNO, .args = two, .n_args = 2 };
	struct nook_seccomp_rule r3 = { .names = keyctl, .action = NOOK_SCMP_ALLOW, .args = two, .n_args = 1 };

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
	s.seccomp_rules = &r3;
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), -EINVAL);
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

START_TEST(sc_describe_and_cache)
{
	struct nook_spec s;
	struct nook_sc_filter f, g;
	struct nook_error err = { 0 };
	char dir[] = "/tmp/nook-unit-cache.XXXXXX";
	char *d1, *d2, *path;
	size_t l1, l2, n = 0, n2 = 0;
	void *bpf = NULL, *bpf2 = NULL;

	nook_spec_init(&s);
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &f, &err), 0);
	ck_assert_int_eq(nook_sc_default(&s, 6, 1, &g, &err), 0);
	d1 = nook_sc_describe(&f, &l1);
	d2 = nook_sc_describe(&g, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_int_eq(memcmp(d1, d2, l1), 0);
	ck_assert_ptr_nonnull(strstr(d1, "\nkeyctl 0x50001 0\n"));
	free(d2);
	/* one changed errno changes the description */
	g.rules[0].action = SCMP_ACT_ERRNO(EACCES);
	d2 = nook_sc_describe(&g, &l2);
	ck_assert(l1 != l2 || memcmp(d1, d2, l1) != 0);

	/* store, then find it again; a different rule list misses */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("XDG_RUNTIME_DIR", dir, 1);
	unsetenv("NOOK_SECCOMP_CACHE");
	ck_assert_int_eq(nook_sc_cache_lookup(&f, &bpf2, &n2), -ENOENT);
	ck_assert_int_eq(nook_sc_compile(&f, &bpf, &n, &err), 0);
	nook_sc_cache_store(&f, bpf, n);
	ck_assert_int_eq(nook_sc_cache_lookup(&f, &bpf2, &n2), 0);
	ck_assert_uint_eq(n2, n);
	ck_assert_int_eq(memcmp(bpf, bpf2, n * sizeof(struct sock_filter)), 0);
	free(bpf2);
	ck_assert_int_eq(nook_sc_cache_lookup(&g, &bpf2, &n2), -ENOENT);
	/* turned off */
	setenv("NOOK_SECCOMP_CACHE", "0", 1);
	ck_assert_int_eq(nook_sc_cache_lookup(&f, &bpf2, &n2), -ENOENT);
	unsetenv("NOOK_SECCOMP_CACHE");
	/* a file writable by others is not trusted */
	path = nook_asprintf("rm -f %s/nook/seccomp/*.bpf; rmdir %s/nook/seccomp %s/nook %s", dir, dir, dir, dir);
	{
		char *glob = nook_asprintf("chmod 666 %s/nook/seccomp/*.bpf", dir);
		ck_assert_int_eq(system(glob), 0);
		free(glob);
	}
	ck_assert_int_eq(nook_sc_cache_lookup(&f, &bpf2, &n2), -ENOENT);
	ck_assert_int_eq(system(path), 0);
	unsetenv("XDG_RUNTIME_DIR");
	free(path);
	free(bpf);
	free(d1);
	free(d2);
	nook_sc_filter_free(&f);
	nook_sc_filter_free(&g);
	nook_spec_free(&s);
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
	const char *allowed[] = { "poll", "ppoll", "recvfrom", "sendto", "connect", "close",
				  "clock_gettime", "exit", "exit_group", "socket" };

	nook_sc_relay(&f);
	ck_assert_uint_eq(f.default_action, SCMP_ACT_KILL_PROCESS);
	ck_assert_uint_eq(f.n_arches, 1);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		ck_assert_msg(nook_sc_filter_count(&f, allowed[i]) == 1, "%s", allowed[i]);
	/* nothing that reaches a file, a process or another namespace */
	const char *never[] = { "open", "openat", "openat2", "execve", "execveat", "write", "read",
				"bind", "kill", "ptrace", "setns", "unshare", "mount", "ioctl", "mmap",
				"clone", "clone3", "fork", "prctl", "setsockopt" };
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
	}
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
	if (fd < 0 || syscall(SYS_close, fd) < 0 || syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) < 0)
		return 1;
	return 0;
}

START_TEST(relay_filter_enforced)
{
	int st = confined_child(NOOK_CONFINE_RELAY, relay_calls_ok);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the relay's own calls: status %#x", st);
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
	tcase_add_test(t, cap_default_set);
	tcase_add_test(t, cap_add_drop);
	tcase_add_test(t, cap_unknown_name);
	tcase_add_test(t, cap_ambient);
	tcase_add_test(t, sc_default_table);
	tcase_add_test(t, sc_nested_userns_and_errno);
	tcase_add_test(t, sc_custom_rules);
	tcase_add_test(t, sc_custom_errors);
	tcase_add_test(t, sc_actions);
	tcase_add_test(t, sc_describe_and_cache);
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
	return s;
}

int main(void)
{
	return nook_check_main(suite());
}
