/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_allow.c - the built-in seccomp allow-list and its BPF program.
 *
 * The default filter lets through only the system calls named below (per
 * ABI: x86_64 and i386; the x32 ABI is refused as a whole) and refuses the
 * rest: with the profile's errno (EPERM) for every number up to the
 * highest one the list knows for that ABI, and with ENOSYS above it, so a
 * program that tries a system call newer than nook falls back as it would
 * on an older kernel. An unknown system call is therefore refused until
 * someone looks at it and adds it here (a deny-list let every new one
 * through: open_tree_attr, for one, cloned host mounts).
 *
 * The program is generated here rather than by libseccomp: libseccomp
 * 2.5 needs 10-15 ms for ~350 rules on two ABIs, this needs a few
 * microseconds. It is a binary search over the syscall number; the kernel
 * (5.11+) also caches every number whose answer does not depend on the
 * arguments, so allowed calls do not even run it. Three calls are allowed
 * with a check of one argument (the low 32 bits, which is all the kernel
 * looks at): clone without namespace flags, personality with the usual
 * values only, ioctl except TIOCSTI and TIOCLINUX. Profile rules with
 * argument comparisons are compiled by libseccomp into a prefix program
 * whose "no rule matched" answer continues into this one.
 *
 * The list itself and the resolution of names to numbers are in
 * seccomp_names.c; the numbers of the listed names are resolved once, at
 * build time (gen_scnr.c writes sc_numbers.h), not on every start.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"
#include "nook/missing.h"
#include "sc_numbers.h"

#define X32_SYSCALL_BIT 0x40000000U

/* ------------------------------------------------------------ the plan */

const char *nook_sc_arch_name(uint32_t arch)
{
	return arch == SCMP_ARCH_X86_64 ? "x86_64" : arch == SCMP_ARCH_X86 ? "i386" : "?";
}

void nook_sc_plan_free(struct nook_sc_plan *p)
{
	if (!p)
		return;
	free(p->leaf);
	p->leaf = NULL;
	p->max = -1;
}

int nook_sc_plan_build(const struct nook_sc_filter *f, uint32_t arch, struct nook_sc_plan *p)
{
	_cleanup_free_ int *nrs = nook_xmalloc((f->n_rules ? f->n_rules : 1) * sizeof(*nrs));
	int clone_nr = -1, pers_nr = -1, ioctl_nr = -1;

	memset(p, 0, sizeof(*p));
	p->arch = arch;
	p->max = -1;
	int col = arch == SCMP_ARCH_X86_64 ? 0 : arch == SCMP_ARCH_X86 ? 1 : -1;
	for (size_t i = 0; i < f->n_rules; i++) {
		int li = f->rules[i].list_idx;
		if (col >= 0 && li >= 0 && (size_t)li < sizeof(nook_sc_listed_nr) / sizeof(nook_sc_listed_nr[0]))
			nrs[i] = nook_sc_listed_nr[li][col];
		else
			nrs[i] = nook_sc_resolve(arch, f->rules[i].name);
		if (nrs[i] > p->max)
			p->max = nrs[i];
	}
	p->leaf = nook_xmalloc(((size_t)p->max + 1 + 1) * sizeof(*p->leaf));
	for (int nr = 0; nr <= p->max; nr++)
		p->leaf[nr] = (struct nook_sc_leaf){ .kind = NOOK_SC_LEAF_RET,
						     .action = f->default_action };
	for (size_t i = 0; i < f->n_rules; i++) {
		if (nrs[i] < 0)
			continue;
		if (f->rules[i].n_args) {
			p->leaf[nrs[i]].conditional = true;
			continue;
		}
		p->leaf[nrs[i]].action = f->rules[i].action;
	}
	/* the argument checks for allowed clone, personality and ioctl */
	if (f->clone_guard)
		clone_nr = nook_sc_resolve(arch, "clone");
	if (f->personality_guard)
		pers_nr = nook_sc_resolve(arch, "personality");
	if (f->tty_guard)
		ioctl_nr = nook_sc_resolve(arch, "ioctl");
	if (clone_nr >= 0 && clone_nr <= p->max && p->leaf[clone_nr].action == SCMP_ACT_ALLOW)
		p->leaf[clone_nr].kind = NOOK_SC_LEAF_CLONE;
	if (pers_nr >= 0 && pers_nr <= p->max && p->leaf[pers_nr].action == SCMP_ACT_ALLOW)
		p->leaf[pers_nr].kind = NOOK_SC_LEAF_PERSONALITY;
	if (ioctl_nr >= 0 && ioctl_nr <= p->max && p->leaf[ioctl_nr].action == SCMP_ACT_ALLOW)
		p->leaf[ioctl_nr].kind = NOOK_SC_LEAF_IOCTL;
	return 0;
}

/* ------------------------------------------------------------ BPF */

struct prog {
	struct sock_filter *p;
	size_t n, cap;
};

static void put(struct prog *g, struct sock_filter ins)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 512;
		g->p = nook_xrealloc(g->p, g->cap * sizeof(*g->p));
	}
	g->p[g->n++] = ins;
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define RET(k) STMT(BPF_RET | BPF_K, k)
#define LD(off) STMT(BPF_LD | BPF_W | BPF_ABS, off)
/* the low 32 bits of an argument (x86 is little-endian) */
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[i]))

/* namespace flags clone(2) refuses (the kernel reads the low 32 bits) */
#define CLONE_NS_MASK (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
		       CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP)

static void put_leaf(struct prog *g, const struct nook_sc_leaf *l, uint32_t deny)
{
	switch (l->kind) {
	case NOOK_SC_LEAF_CLONE:
		put(g, LD(ARG_LO(0)));
		put(g, JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NS_MASK, 0, 1));
		put(g, RET(deny));
		put(g, RET(SECCOMP_RET_ALLOW));
		break;
	case NOOK_SC_LEAF_PERSONALITY:
		/* PER_LINUX, PER_LINUX32, UNAME26 with either, the query */
		put(g, LD(ARG_LO(0)));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0, 5, 0));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x8, 4, 0));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20000, 3, 0));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x20008, 2, 0));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffff, 1, 0));
		put(g, RET(deny));
		put(g, RET(SECCOMP_RET_ALLOW));
		break;
	case NOOK_SC_LEAF_IOCTL:
		put(g, LD(ARG_LO(1)));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 1, 0));
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 0, 1));
		put(g, RET(deny));
		put(g, RET(SECCOMP_RET_ALLOW));
		break;
	default:
		put(g, RET(l->action));
		break;
	}
}

struct seg {
	uint32_t start;
	struct nook_sc_leaf leaf;
};

/* if (nr >= seg[mid].start) right half, else left half; the left half
 * follows the comparison, so only the "greater" branch jumps, and a jump
 * over more than 255 instructions goes through a BPF_JA. */
static void put_tree(struct prog *g, const struct seg *s, size_t lo, size_t hi, uint32_t deny)
{
	size_t mid, at, left;

	if (lo == hi) {
		put_leaf(g, &s[lo].leaf, deny);
		return;
	}
	mid = lo + (hi - lo + 1) / 2;
	at = g->n;
	put(g, JUMP(BPF_JMP | BPF_JGE | BPF_K, s[mid].start, 0, 0));
	put_tree(g, s, lo, mid - 1, deny);
	left = g->n - at - 1;
	if (left <= 255) {
		g->p[at].jt = (uint8_t)left;
	} else {
		/* the code is position-independent: open a slot for the JA */
		put(g, RET(0));
		memmove(&g->p[at + 2], &g->p[at + 1], left * sizeof(*g->p));
		g->p[at].jt = 0;
		g->p[at].jf = 1;
		g->p[at + 1] = STMT(BPF_JMP | BPF_JA, (uint32_t)left);
	}
	put_tree(g, s, mid, hi, deny);
}

/* The compact layout: the same tree, but a plain leaf (a bare RET) is not
 * emitted where it stands: the comparison above it jumps straight to one
 * RET per action, placed once after the tree. That halves the program
 * (~360 -> ~200 instructions for the built-in list), and the kernel's
 * work on seccomp(2) (checking, converting and JIT-compiling the program,
 * then running it for every number to fill its cache) is proportional to
 * the length: ~0.3 us an instruction here, on every start. It only works
 * while every jump stays within the 255 instructions a conditional jump
 * can reach; put_arch falls back to put_tree otherwise. */
#define TGT_SHARED 0x80000000u  /* | index into shared[] */

struct compact {
	struct prog *g;
	uint32_t *jt, *jf;      /* per instruction: absolute target or TGT_SHARED|i, ~0 none */
	size_t cap;
	uint32_t shared[8];
	size_t n_shared;
	bool failed;
};

static void c_track(struct compact *c)
{
	if (c->g->n > c->cap) {
		size_t cap = c->cap ? c->cap : 256;
		while (cap < c->g->n)
			cap *= 2;
		c->jt = nook_xrealloc(c->jt, cap * sizeof *c->jt);
		c->jf = nook_xrealloc(c->jf, cap * sizeof *c->jf);
		for (size_t i = c->cap; i < cap; i++)
			c->jt[i] = c->jf[i] = ~0u;
		c->cap = cap;
	}
}

static uint32_t c_tree(struct compact *c, const struct seg *s, size_t lo, size_t hi, uint32_t deny)
{
	if (lo == hi && s[lo].leaf.kind == NOOK_SC_LEAF_RET) {
		for (size_t i = 0; i < c->n_shared; i++)
			if (c->shared[i] == s[lo].leaf.action)
				return TGT_SHARED | (uint32_t)i;
		if (c->n_shared == sizeof c->shared / sizeof c->shared[0]) {
			c->failed = true;
			return TGT_SHARED;
		}
		c->shared[c->n_shared] = s[lo].leaf.action;
		return TGT_SHARED | (uint32_t)c->n_shared++;
	}
	uint32_t at = (uint32_t)c->g->n;
	if (lo == hi) {
		put_leaf(c->g, &s[lo].leaf, deny);
		c_track(c);
		return at;
	}
	size_t mid = lo + (hi - lo + 1) / 2;
	put(c->g, JUMP(BPF_JMP | BPF_JGE | BPF_K, s[mid].start, 0, 0));
	c_track(c);
	uint32_t left = c_tree(c, s, lo, mid - 1, deny);
	uint32_t right = c_tree(c, s, mid, hi, deny);
	c->jf[at] = left;
	c->jt[at] = right;
	return at;
}

/* Lays the tree out compactly from g->n on; false (and g->n back where it
 * was) when a jump would not reach. */
static bool put_tree_compact(struct prog *g, const struct seg *s, size_t n, uint32_t deny)
{
	size_t start = g->n;
	struct compact c = { .g = g };
	c_track(&c);
	c_tree(&c, s, 0, n - 1, deny);
	size_t first_shared = g->n;
	for (size_t i = 0; i < c.n_shared; i++)
		put(g, RET(c.shared[i]));
	c_track(&c);
	for (size_t i = start; i < first_shared && !c.failed; i++) {
		uint32_t *t[2] = { &c.jt[i], &c.jf[i] };
		uint8_t *f[2] = { &g->p[i].jt, &g->p[i].jf };
		for (size_t k = 0; k < 2; k++) {
			if (*t[k] == ~0u)
				continue;
			size_t abs = (*t[k] & TGT_SHARED) ? first_shared + (*t[k] & ~TGT_SHARED) : *t[k];
			if (abs <= i || abs - i - 1 > 255) {
				c.failed = true;
				break;
			}
			*f[k] = (uint8_t)(abs - i - 1);
		}
	}
	free(c.jt);
	free(c.jf);
	if (c.failed)
		g->n = start;
	return !c.failed;
}

static bool same_leaf(const struct nook_sc_leaf *a, const struct nook_sc_leaf *b)
{
	return a->kind == NOOK_SC_LEAF_RET && b->kind == NOOK_SC_LEAF_RET && a->action == b->action;
}

/* The whole number range of one ABI, after "ld nr". */
static void put_arch(struct prog *g, const struct nook_sc_plan *p, uint32_t deny)
{
	_cleanup_free_ struct seg *s = nook_xmalloc(((size_t)p->max + 5) * sizeof(*s));
	size_t n = 0;

	for (int nr = 0; nr <= p->max; nr++) {
		if (n && same_leaf(&s[n - 1].leaf, &p->leaf[nr]))
			continue;
		s[n++] = (struct seg){ .start = (uint32_t)nr, .leaf = p->leaf[nr] };
	}
	/* newer than the list: as if the kernel had no such call */
	s[n++] = (struct seg){ .start = (uint32_t)(p->max + 1),
			       .leaf = { .kind = NOOK_SC_LEAF_RET,
					 .action = SECCOMP_RET_ERRNO | ENOSYS } };
	/* x86_64's entry also takes x32 numbers: refused as a whole */
	if (p->arch == SCMP_ARCH_X86_64)
		s[n++] = (struct seg){ .start = X32_SYSCALL_BIT,
				       .leaf = { .kind = NOOK_SC_LEAF_RET, .action = deny } };
	/* -1 is no system call at all: what a tracer sets to skip one,
	 * keeping the return value it chose (an errno would replace it) */
	s[n++] = (struct seg){ .start = UINT32_MAX,
			       .leaf = { .kind = NOOK_SC_LEAF_RET, .action = SECCOMP_RET_ALLOW } };
	if (!put_tree_compact(g, s, n, deny))
		put_tree(g, s, 0, n - 1, deny);
}

/* libseccomp's answer for "no rule of the prefix matched": a value no
 * profile rule can produce (nook offers no trace action). */
#define PREFIX_FALLTHROUGH SCMP_ACT_TRACE(0x6e6b)

/* i386 reaches the socket and System V IPC calls through two multiplexers
 * as well, socketcall(call, args) and ipc(call, ...), whose real arguments
 * lie in memory where a filter cannot look. libseccomp turns a rule with
 * argument comparisons into one on the multiplexer's call number alone:
 * for a refusing rule that refuses the call outright (safe), for an
 * allowing one ("socket only for AF_UNIX") it allows it outright, and
 * i386 code got every socket that way. Those call numbers are refused
 * here, before the rules run: through the multiplexer the call is refused
 * as a whole, as a refusing rule has it; the direct i386 calls and x86_64
 * keep the comparisons. */
static const struct {
	const char *name;
	uint32_t nr;    /* i386: 102 socketcall, 117 ipc */
	uint32_t call[2];
} muxed[] = {
	{ "socket", 102, { 1, 0 } }, { "bind", 102, { 2, 0 } }, { "connect", 102, { 3, 0 } },
	{ "listen", 102, { 4, 0 } }, { "accept", 102, { 5, 0 } }, { "getsockname", 102, { 6, 0 } },
	{ "getpeername", 102, { 7, 0 } }, { "socketpair", 102, { 8, 0 } },
	{ "sendto", 102, { 11, 9 } }, { "recvfrom", 102, { 12, 10 } }, { "shutdown", 102, { 13, 0 } },
	{ "setsockopt", 102, { 14, 0 } }, { "getsockopt", 102, { 15, 0 } }, { "sendmsg", 102, { 16, 0 } },
	{ "recvmsg", 102, { 17, 0 } }, { "accept4", 102, { 18, 5 } }, { "recvmmsg", 102, { 19, 0 } },
	{ "sendmmsg", 102, { 20, 0 } },
	{ "semop", 117, { 1, 0 } }, { "semget", 117, { 2, 0 } }, { "semctl", 117, { 3, 0 } },
	{ "semtimedop", 117, { 4, 0 } }, { "msgsnd", 117, { 11, 0 } }, { "msgrcv", 117, { 12, 0 } },
	{ "msgget", 117, { 13, 0 } }, { "msgctl", 117, { 14, 0 } }, { "shmat", 117, { 21, 0 } },
	{ "shmdt", 117, { 22, 0 } }, { "shmget", 117, { 23, 0 } }, { "shmctl", 117, { 24, 0 } },
};

/* The multiplexer call numbers (nr 102 or 117) to refuse: those of every
 * allowing rule with argument comparisons. Returns how many. */
static size_t muxed_calls(const struct nook_sc_filter *f, uint32_t nr, uint32_t *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < f->n_rules; i++) {
		if (!f->rules[i].n_args || f->rules[i].action != SCMP_ACT_ALLOW)
			continue;
		for (size_t m = 0; m < sizeof muxed / sizeof *muxed; m++) {
			if (muxed[m].nr != nr || strcmp(muxed[m].name, f->rules[i].name) != 0)
				continue;
			for (size_t c = 0; c < 2 && muxed[m].call[c]; c++) {
				bool seen = false;
				for (size_t k = 0; k < n; k++)
					seen |= out[k] == muxed[m].call[c];
				if (!seen && n < max)
					out[n++] = muxed[m].call[c];
			}
		}
	}
	return n;
}

/* if i386 and the multiplexer's number: refuse the listed call numbers */
static void put_mux_guard(struct prog *g, const struct nook_sc_filter *f, uint32_t deny)
{
	static const uint32_t mux_nr[2] = { 102, 117 };
	uint32_t calls[2][32];
	size_t n[2] = { muxed_calls(f, 102, calls[0], 32), muxed_calls(f, 117, calls[1], 32) };
	if (!n[0] && !n[1])
		return;
	/* jumps to patch: to the end (false branch or JA), to the refusal */
	size_t to_end[8], to_deny[64], ne = 0, nd = 0;
	put(g, LD(offsetof(struct seccomp_data, arch)));
	to_end[ne++] = g->n;
	put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 0));
	put(g, LD(offsetof(struct seccomp_data, nr)));
	size_t next = SIZE_MAX; /* the previous block's number test, whose false branch comes here */
	for (int b = 0; b < 2; b++) {
		if (!n[b])
			continue;
		if (next != SIZE_MAX)
			g->p[next].jf = (uint8_t)(g->n - next - 1);
		next = g->n;
		put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, mux_nr[b], 0, 0));
		put(g, LD(ARG_LO(0)));
		for (size_t k = 0; k < n[b]; k++) {
			to_deny[nd++] = g->n;
			put(g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, calls[b][k], 0, 0));
		}
		to_end[ne++] = g->n;
		put(g, STMT(BPF_JMP | BPF_JA, 0));
	}
	/* the last number test's false branch: the end */
	size_t deny_at = g->n;
	put(g, RET(deny));
	size_t end = g->n;
	g->p[next].jf = (uint8_t)(end - next - 1);
	for (size_t i = 0; i < nd; i++)
		g->p[to_deny[i]].jt = (uint8_t)(deny_at - to_deny[i] - 1);
	for (size_t i = 0; i < ne; i++) {
		if (BPF_OP(g->p[to_end[i]].code) == BPF_JA)
			g->p[to_end[i]].k = (uint32_t)(end - to_end[i] - 1);
		else
			g->p[to_end[i]].jf = (uint8_t)(end - to_end[i] - 1);
	}
}

int nook_sc_compile_allowlist(const struct nook_sc_filter *f, void **bpf, size_t *n_insns,
			      struct nook_error *err)
{
	struct nook_sc_plan p64, p32;
	struct nook_sc_filter cond;
	struct prog g = { 0 };
	_cleanup_free_ void *pre = NULL;
	size_t n_pre = 0, ja32;
	uint32_t deny = f->default_action;
	int r = 0;

	*bpf = NULL;
	*n_insns = 0;

	/* i386's multiplexers, for the allowing rules with comparisons */
	put_mux_guard(&g, f, deny);
	/* rules with argument comparisons: a libseccomp prefix */
	nook_sc_filter_init(&cond, PREFIX_FALLTHROUGH);
	cond.n_arches = 0;
	cond.arches[cond.n_arches++] = SCMP_ARCH_X86_64;
	cond.arches[cond.n_arches++] = SCMP_ARCH_X86;
	for (size_t i = 0; i < f->n_rules; i++)
		if (f->rules[i].n_args)
			nook_sc_filter_add(&cond, f->rules[i].name, f->rules[i].action,
					   f->rules[i].n_args, f->rules[i].args);
	if (cond.n_rules) {
		r = nook_sc_compile_libseccomp(&cond, PREFIX_FALLTHROUGH, &pre, &n_pre, err);
		if (r < 0) {
			nook_sc_filter_free(&cond);
			return r;
		}
		/* every "no match" continues at the first instruction after it */
		for (size_t i = 0; i < n_pre; i++) {
			struct sock_filter *ins = &((struct sock_filter *)pre)[i];
			if (ins->code == (BPF_RET | BPF_K) && ins->k == PREFIX_FALLTHROUGH)
				*ins = STMT(BPF_JMP | BPF_JA, (uint32_t)(n_pre - i - 1));
		}
		for (size_t i = 0; i < n_pre; i++)
			put(&g, ((struct sock_filter *)pre)[i]);
	}
	nook_sc_filter_free(&cond);

	nook_sc_plan_build(f, SCMP_ARCH_X86_64, &p64);
	nook_sc_plan_build(f, SCMP_ARCH_X86, &p32);

	put(&g, LD(offsetof(struct seccomp_data, arch)));
	put(&g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 1));
	ja32 = g.n;
	put(&g, STMT(BPF_JMP | BPF_JA, 0));
	put(&g, JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	put(&g, RET(NOOK_SC_BADARCH));
	put(&g, LD(offsetof(struct seccomp_data, nr)));
	put_arch(&g, &p64, deny);
	g.p[ja32].k = (uint32_t)(g.n - ja32 - 1);
	put(&g, LD(offsetof(struct seccomp_data, nr)));
	put_arch(&g, &p32, deny);
	nook_sc_plan_free(&p64);
	nook_sc_plan_free(&p32);

	if (g.n > BPF_MAXINSNS) {
		free(g.p);
		return nook_errx(err, E2BIG,
				 "the seccomp filter compiles to %zu BPF instructions, more than the kernel's %d (use fewer rules or argument comparisons)",
				 g.n, BPF_MAXINSNS);
	}
	*bpf = g.p;
	*n_insns = g.n;
	return 0;
}
