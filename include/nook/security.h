/* SPDX-License-Identifier: GPL-2.0-or-later */
/* security.h - the payload's security envelope: rlimits, capabilities,
 * no_new_privs, Landlock, seccomp, and the masked/read-only path lists.
 *
 * Contract with spawn/child (call sites in spawn.c and child.c):
 *  - nook_security_prepare() runs in the parent BEFORE clone. It checks the
 *    capability names, loads an OCI seccomp file if asked, and compiles the
 *    seccomp filter to BPF in memory, so the child does no libseccomp work.
 *    *out is never NULL on success. User errors (unknown capability, bad
 *    seccomp file) fail here with exit status 125 and a message naming the
 *    key or file:line:column.
 *  - nook_masks_apply() and then nook_caps_trim_init() run in the
 *    container's init after pivot_root, with /proc, /sys and /dev mounted,
 *    before the payload is forked (the init still holds its capabilities
 *    in the user namespace).
 *  - nook_security_before_setuid() runs in the payload right before
 *    setgroups/setresgid/setresuid. It sets PR_SET_KEEPCAPS when the payload
 *    runs as a non-zero uid, so nook_security_apply() can still trim the
 *    bounding set and raise ambient capabilities afterwards.
 *  - nook_security_apply() runs in the payload right before execve, after
 *    setsid/setresuid/setresgid/chdir. Order inside: rlimits, bounding set,
 *    (seccomp/Landlock here if no_new_privs is off, while CAP_SYS_ADMIN is
 *    still held), inheritable/permitted/effective, ambient, no_new_privs,
 *    Landlock, seccomp last.
 *  - nook_security_free() in the parent after the container exits.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <seccomp.h>
#include "nook/spec.h"
#include "nook/error.h"

struct nook_security;

int nook_security_prepare(const struct nook_spec *s, struct nook_security **out,
			  struct nook_error *err);
int nook_security_before_setuid(const struct nook_spec *s, struct nook_security *sec,
				struct nook_error *err);
/* spec->seccomp_listener (OCI linux.seccomp.listenerPath): load the
 * payload's filter now, in the container's init before it reports ready,
 * with a user-notification listener, and return that fd (or -errno); the
 * create process hands it to the seccomp agent. nook_security_apply()
 * then loads no filter again. The syscalls the init makes after this one
 * (exec.fifo, setresuid, capset, execve) go through the filter. */
int nook_security_seccomp_listen(const struct nook_spec *s, struct nook_security *sec,
				 struct nook_error *err);
int nook_security_apply(const struct nook_spec *s, struct nook_security *sec,
			struct nook_error *err);
void nook_security_free(struct nook_security *sec);
int nook_masks_apply(const struct nook_spec *s, struct nook_error *err);
/* The same in parts, on the root rootfd: NOOK_MASKS_EARLY is every path
 * neither under /sys (mounted last: it needs the container's network
 * namespace) nor under /proc/sys (writable until the sysctls and
 * ping_group_range are written), NOOK_MASKS_LATE the rest. */
enum nook_masks_part { NOOK_MASKS_ALL, NOOK_MASKS_EARLY, NOOK_MASKS_LATE };
/* *empty (when not NULL, -1 at first): the empty read-only mount that hides
 * masked directories, kept between the parts so that one serves both; the
 * caller closes it. emptydir: an empty directory to make it of (bound
 * read-only), or -1 for an empty tmpfs of its own. */
int nook_masks_apply_at(const struct nook_spec *s, int rootfd, enum nook_masks_part part, int *empty,
			int emptydir, struct nook_error *err);

/* ------------------------------------------------------------ defaults
 * Used when spec->masked_paths / spec->readonly_paths are NULL. A profile
 * that sets its own list replaces the defaults (the loader is expected to
 * start from these arrays and append). NULL-terminated. */
extern const char *const nook_default_masked_paths[];
extern const char *const nook_default_readonly_paths[];

/* ------------------------------------------------------------ capabilities
 * (caps.c) Capability sets are bit masks: bit N is capability N. */
#define NOOK_CAP_BIT(c) (UINT64_C(1) << (c))
uint64_t nook_caps_default(void);          /* podman's default set */
/* "NET_ADMIN", "cap_net_admin" (any case) -> number; -1 if unknown.
 * "ALL" is not a capability: callers check it first. */
int nook_cap_from_name(const char *name);
/* Pure: the bounding set the payload keeps, from the default set and the
 * spec's add/drop lists ("ALL" allowed in both), limited to caps
 * 0..last_cap. Fails on unknown names, naming the list. */
int nook_caps_compute(char *const *add, char *const *drop, int last_cap,
		      uint64_t *keep, struct nook_error *err);
/* Pure: the ambient set from names; every ambient cap must be kept. */
int nook_caps_ambient(char *const *ambient, uint64_t keep, int last_cap,
		      uint64_t *out, struct nook_error *err);
int nook_caps_last_cap(void);              /* from /proc or libcap */
/* After a failed payload: when it ran as root inside without the
 * capabilities package managers need (apt's setgroups/setuid to _apt,
 * dpkg's chown) and its command line names one, a hint for the CLI to
 * print ("" otherwise). */
void nook_caps_hint(const struct nook_spec *s, char *buf, size_t size);
/* In the payload: drop the bounding set to keep, set I/P/E and ambient.
 * root: P = E = keep; other uids: P = E = I = ambient. */
int nook_caps_apply_bounding(uint64_t keep, int last_cap, struct nook_error *err);
/* In the container's init, before it forks the payload: trim the bounding
 * set to what the payload keeps. The init keeps its own effective
 * capabilities (the bounding set only limits what execve and capset can
 * add), and every process forked from it, the payload included, inherits
 * the trimmed set even before it changes uid. */
int nook_caps_trim_init(const struct nook_spec *s, struct nook_error *err);
int nook_caps_apply_sets(uint64_t permitted, uint64_t inheritable, uint64_t ambient,
			 int last_cap, struct nook_error *err);
/* Raise the effective set to the permitted set (after setresuid with
 * PR_SET_KEEPCAPS the effective set is empty). */
int nook_caps_raise_effective(struct nook_error *err);
uint64_t nook_caps_permitted_now(void);

/* ------------------------------------------------------------ seccomp
 * (seccomp.c, seccomp_allow.c, seccomp_oci.c) A filter is first described
 * as a plain rule list, then compiled to BPF: the built-in allow-list by
 * nook's own generator, an OCI file with libseccomp. */
#define NOOK_SC_MAX_ARGS 6
/* How a syscall from an ABI outside the filter is answered. */
#define NOOK_SC_BADARCH SCMP_ACT_KILL_PROCESS
#define NOOK_SC_OPTIMIZE 2
struct nook_sc_rule {
	char *name;                   /* syscall name */
	bool static_name;             /* name is not ours to free */
	int list_idx;                 /* index in nook_sc_allowlist, or -1 */
	uint32_t action;              /* SCMP_ACT_* */
	unsigned n_args;
	struct scmp_arg_cmp *args;    /* [n_args], NULL without conditions */
};

struct nook_sc_filter {
	uint32_t default_action;
	uint32_t arches[8]; size_t n_arches;  /* SCMP_ARCH_* */
	struct nook_sc_rule *rules; size_t n_rules, cap_rules;
	/* The built-in allow-list: default_action refuses what no rule
	 * names (numbers above the highest named one say ENOSYS), the x32
	 * ABI is refused, and the guards below are part of the program. */
	bool allowlist;
	bool clone_guard;             /* allowed clone: no namespace flags */
	bool personality_guard;       /* allowed personality: safe values only */
	bool tty_guard;               /* ioctl: not TIOCSTI/TIOCLINUX (stacked
				       * as its own program for a file) */
};

void nook_sc_filter_init(struct nook_sc_filter *f, uint32_t default_action);
void nook_sc_filter_free(struct nook_sc_filter *f);
void nook_sc_filter_add(struct nook_sc_filter *f, const char *name, uint32_t action,
			unsigned n_args, const struct scmp_arg_cmp *args);
/* The same without conditions, for a name that outlives the filter. */
void nook_sc_filter_add_static(struct nook_sc_filter *f, const char *name, uint32_t action);
/* The same for nook_sc_allowlist[idx]: its numbers are known at build time. */
void nook_sc_filter_add_listed(struct nook_sc_filter *f, size_t idx, uint32_t action);
/* Remove every rule for name (and its built-in argument check); returns
 * how many rules were removed. */
size_t nook_sc_filter_remove(struct nook_sc_filter *f, const char *name);
size_t nook_sc_filter_count(const struct nook_sc_filter *f, const char *name);
/* Pure: the built-in default filter for this spec, with the spec's custom
 * rules merged in (a custom rule for a syscall replaces the built-in rules
 * for that syscall, except a refusing rule with argument comparisons,
 * which only narrows them). kernel_major/minor decide "ptrace on old
 * kernels". */
int nook_sc_default(const struct nook_spec *s, int kernel_major, int kernel_minor,
		    struct nook_sc_filter *f, struct nook_error *err);
/* The running kernel's version from uname(2); 0.0 if it cannot be read. */
void nook_kernel_version(int *major, int *minor);
int nook_sc_add_custom(const struct nook_spec *s, struct nook_sc_filter *f,
		       struct nook_error *err);
/* Parse an OCI/Docker seccomp JSON profile (libyaml) into f. caps is the
 * kept capability set (for includes/excludes.caps). */
int nook_sc_load_oci(const char *path, uint64_t caps, int kernel_major, int kernel_minor,
		     struct nook_sc_filter *f, struct nook_error *err);
/* Map a spec action (+errno) to SCMP_ACT_*. */
uint32_t nook_sc_action(enum nook_seccomp_action a, int errno_ret, int default_errno);
/* Compile f to classic BPF (malloc'd instructions, 8 bytes each). */
int nook_sc_compile(const struct nook_sc_filter *f, void **bpf, size_t *n_insns,
		    struct nook_error *err);
/* A filter as up to NOOK_SC_MAX_PROGS programs that the kernel stacks
 * (the most restrictive answer wins): an ABI guard, then one libseccomp
 * program per ABI (x86_64, x32, i386) that lets the other ABIs pass.
 * Same answers as nook_sc_compile_libseccomp's one program (tested
 * syscall by syscall in test_security.c), but libseccomp compiles three
 * small programs in a third of the time of one for all three ABIs (8 ms
 * against 24 ms for podman's default profile). Not for a filter with a
 * user-notification listener: the kernel allows one listener. */
#define NOOK_SC_MAX_PROGS 4
struct nook_sc_prog {
	void *bpf;
	size_t n_insns;
};
int nook_sc_compile_split(const struct nook_sc_filter *f, uint32_t badarch, struct nook_sc_prog *progs,
			  size_t *n_progs, struct nook_error *err);
int nook_sc_compile_libseccomp(const struct nook_sc_filter *f, uint32_t badarch, void **bpf,
			       size_t *n_insns, struct nook_error *err);
int nook_sc_compile_allowlist(const struct nook_sc_filter *f, void **bpf, size_t *n_insns,
			      struct nook_error *err);
/* Load a compiled program, after the stacked terminal guard when asked
 * (a file's rules cannot say "allow ioctl except TIOCSTI"). */
int nook_sc_load(const void *bpf, size_t n_insns, bool tty_guard, int default_errno,
		 struct nook_error *err);
/* The same with SECCOMP_FILTER_FLAG_NEW_LISTENER: returns the listener
 * fd (SCMP_ACT_NOTIFY's syscalls wait on it for an agent), or -errno. */
int nook_sc_load_listener(const void *bpf, size_t n_insns, bool tty_guard, int default_errno,
			  struct nook_error *err);

/* (seccomp_allow.c) The allow-list (NULL-terminated names). */
extern const char *const nook_sc_allowlist[];
/* The number of a syscall on an ABI (SCMP_ARCH_X86_64 or SCMP_ARCH_X86),
 * from libseccomp or nook's table of calls it does not know; -1 if the
 * ABI has no such call. */
int nook_sc_resolve(uint32_t arch, const char *name);
/* Whether nook can name the syscall on some ABI. */
bool nook_sc_name_known(const char *name);
const char *nook_sc_arch_name(uint32_t arch);

/* What the generated program answers for each number of one ABI. */
enum nook_sc_leaf_kind {
	NOOK_SC_LEAF_RET = 0,         /* action, whatever the arguments */
	NOOK_SC_LEAF_CLONE,           /* allowed without namespace flags */
	NOOK_SC_LEAF_PERSONALITY,     /* allowed with the safe values */
	NOOK_SC_LEAF_IOCTL,           /* allowed except TIOCSTI/TIOCLINUX */
};
struct nook_sc_leaf {
	uint32_t action;              /* SCMP_ACT_* (for NOOK_SC_LEAF_RET) */
	uint8_t kind;
	bool conditional;             /* a profile rule compares arguments first */
};
struct nook_sc_plan {
	uint32_t arch;
	int max;                      /* highest number named; above: ENOSYS */
	struct nook_sc_leaf *leaf;    /* [max + 1] */
};
int nook_sc_plan_build(const struct nook_sc_filter *f, uint32_t arch, struct nook_sc_plan *p);
void nook_sc_plan_free(struct nook_sc_plan *p);
/* The plans of the spec's built-in filter (x86_64, i386) and its answer
 * for what it refuses; fails unless the spec uses the built-in filter. */
int nook_security_seccomp_plan(const struct nook_spec *s, struct nook_sc_plan *p64,
			       struct nook_sc_plan *p32, uint32_t *deny, struct nook_error *err);

/* ------------------------------------------------------------ Landlock
 * (landlock.c) */
int nook_landlock_abi(void);               /* 0 when unsupported */
/* Pure: the handled access mask for an ABI version, and the rights given
 * to a read / write / execute path for that ABI. */
uint64_t nook_landlock_handled(int abi);
uint64_t nook_landlock_rights(int abi, char kind /* 'r', 'w', 'x' */, bool is_dir);
/* Pure: the scopes (NOOK_LL_SCOPE_* bits) a spec asks for, with auto
 * resolved (abstract unix sockets when the host's network namespace is
 * shared, signals when its pid namespace is), and their Landlock bits for
 * an ABI version (0 below ABI 6). */
int nook_landlock_scope(const struct nook_spec *s);
uint64_t nook_landlock_scoped(int abi, int scope);
/* In the payload: build and enforce the ruleset. Warns and returns 0 when
 * the kernel has no Landlock, unless spec->landlock_required. */
int nook_landlock_apply(const struct nook_spec *s, struct nook_error *err);

/* Helpers outside the container (UDP relay, fuse-overlayfs): a domain in
 * which only paths get rights (kind 'r', 'w', 'x' as above; missing paths
 * are skipped), TCP bind/connect is denied (ABI 4) and abstract unix
 * sockets and signals are scoped to the domain (ABI 6). Needs
 * no_new_privs. -EOPNOTSUPP (err untouched) when the kernel has no
 * Landlock. */
struct nook_ll_path {
	const char *path;
	char kind;
};
int nook_landlock_confine(const struct nook_ll_path *paths, size_t n, struct nook_error *err);

/* ------------------------------------------------------------ helper
 * confinement (confine.c): the sandbox of the processes nook starts
 * outside the container. See confine.c for what each helper gets and why. */
enum nook_confine_kind {
	NOOK_CONFINE_RELAY,   /* nook's UDP relay: an allow-list, kill otherwise */
	NOOK_CONFINE_DAEMON,  /* an external daemon (fuse-overlayfs): the default allow-list */
};
struct nook_confine;
/* Parent, before the fork: compile (or take from the cache) the filter. */
int nook_confine_prepare(enum nook_confine_kind kind, struct nook_confine **out,
			 struct nook_error *err);
void nook_confine_free(struct nook_confine *c);
static inline void nook_confine_freep(struct nook_confine **c) { nook_confine_free(*c); }
/* Pure: the relay's allow-list (exposed for the tests). */
void nook_sc_relay(struct nook_sc_filter *f);
/* In the forked helper. Its own mount namespace whose only mount is an
 * empty read-only tmpfs it is pivoted into (needs CAP_SYS_ADMIN in its user
 * namespace). */
int nook_confine_empty_root(struct nook_error *err);
/* In the forked helper: drop every capability (bounding, permitted,
 * effective, inheritable, ambient). */
int nook_confine_drop_caps(const struct nook_confine *c, struct nook_error *err);
/* In the forked helper: no_new_privs, then the Landlock domain of paths
 * (skipped on a kernel without Landlock), then the seccomp filter. Nothing
 * after this may open a path outside paths or make a syscall the filter
 * refuses. */
int nook_confine_apply(const struct nook_confine *c, const struct nook_ll_path *paths, size_t n,
		       struct nook_error *err);

/* ------------------------------------------------------------ rlimits
 * (rlimits.c) */
int nook_rlimit_from_name(const char *name);  /* "nofile" -> RLIMIT_NOFILE, -1 */
const char *nook_rlimit_name(int resource);
int nook_rlimits_check(const struct nook_rlimit *r, size_t n, struct nook_error *err);
int nook_rlimits_apply(const struct nook_rlimit *r, size_t n, struct nook_error *err);
