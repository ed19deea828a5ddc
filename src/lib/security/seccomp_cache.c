/* SPDX-License-Identifier: GPL-2.0-or-later */
/* seccomp_cache.c - compiled seccomp programs kept between runs.
 *
 * libseccomp needs 20-30 ms to compile a large OCI profile (podman's
 * default one, three ABIs), most of a container's creation time, and an
 * engine hands the same profile to every container. The program is a pure
 * function of the rule list, the libseccomp version and nook's compile
 * settings, so the first compilation is written to
 * $XDG_RUNTIME_DIR/nook/seccomp/ (a directory of the user's own, 0700,
 * gone at logout) and later ones read it back.
 *
 * The key is the whole rule list written out as text, stored at the head
 * of the entry and compared byte for byte on lookup: the file name (a
 * 64-bit FNV-1a of the key) only finds the entry, a collision can only
 * miss. Anything unexpected (no runtime directory, one not ours, a short
 * or foreign entry) falls back to compiling; the cache never fails a run.
 * NOOK_SECCOMP_CACHE=0 turns it off. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"

#define MAGIC "nook-seccomp-cache 1\n"
#define MAX_ENTRY (8u << 20)

struct keybuf {
	char *p;
	size_t len, cap;
};

static void put(struct keybuf *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct keybuf *k, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(k->p ? k->p + k->len : NULL, k->p ? k->cap - k->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (k->p && k->len + (size_t)n < k->cap) {
			k->len += (size_t)n;
			return;
		}
		k->cap = (k->cap + (size_t)n + 1) * 2;
		k->p = nook_xrealloc(k->p, k->cap);
	}
}

/* Everything the compiled program depends on, as text. */
static char *cache_key(const struct nook_sc_filter *f, uint32_t badarch, size_t *len)
{
	struct keybuf k = { 0 };
	const struct scmp_version *v = seccomp_version();
	put(&k, "libseccomp %u.%u.%u badarch %#x optimize %d default %#x arches", v ? v->major : 0,
	    v ? v->minor : 0, v ? v->micro : 0, badarch, NOOK_SC_OPTIMIZE, f->default_action);
	for (size_t i = 0; i < f->n_arches; i++)
		put(&k, " %#x", f->arches[i]);
	put(&k, "\n");
	for (size_t i = 0; i < f->n_rules; i++) {
		const struct nook_sc_rule *r = &f->rules[i];
		put(&k, "%s %#x", r->name, r->action);
		for (unsigned a = 0; a < r->n_args; a++)
			put(&k, " %u:%d:%#llx:%#llx", r->args[a].arg, (int)r->args[a].op,
			    (unsigned long long)r->args[a].datum_a, (unsigned long long)r->args[a].datum_b);
		put(&k, "\n");
	}
	*len = k.len;
	return k.p;
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The cache directory, made if need be; NULL when there is none to trust. */
static char *cache_dir(void)
{
	const char *e = getenv("NOOK_SECCOMP_CACHE");
	const char *rt = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if ((e && strcmp(e, "0") == 0) || !rt || !nook_path_is_absolute(rt))
		return NULL;
	char *dir = nook_asprintf("%s/nook/seccomp", rt);
	if (nook_mkdir_p(dir, 0700) < 0 || lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static char *entry_path(const char *dir, const char *key, size_t klen)
{
	return nook_asprintf("%s/%016llx", dir, (unsigned long long)fnv1a(key, klen));
}

/* Entry: MAGIC, "<key length> <instructions>\n", key, instructions. */
int nook_sc_cache_get(const struct nook_sc_filter *f, uint32_t badarch, void **bpf, size_t *n_insns)
{
	_cleanup_free_ char *dir = cache_dir();
	if (!dir)
		return -ENOENT;
	size_t klen, len;
	_cleanup_free_ char *key = cache_key(f, badarch, &klen);
	_cleanup_free_ char *path = entry_path(dir, key, klen);
	_cleanup_free_ char *data = nook_read_file(path, MAX_ENTRY, &len);
	if (!data)
		return -ENOENT;
	size_t ml = strlen(MAGIC);
	unsigned long long kl, ni;
	int hl = 0;
	if (len < ml || memcmp(data, MAGIC, ml) != 0 ||
	    sscanf(data + ml, "%llu %llu\n%n", &kl, &ni, &hl) != 2 || hl <= 0)
		return -EINVAL;
	size_t off = ml + (size_t)hl;
	if (kl != klen || ni == 0 || ni > BPF_MAXINSNS || len != off + klen + ni * sizeof(struct sock_filter) ||
	    memcmp(data + off, key, klen) != 0)
		return -EINVAL;
	size_t sz = (size_t)ni * sizeof(struct sock_filter);
	*bpf = nook_xmalloc(sz);
	memcpy(*bpf, data + off + klen, sz);
	*n_insns = (size_t)ni;
	return 0;
}

void nook_sc_cache_put(const struct nook_sc_filter *f, uint32_t badarch, const void *bpf, size_t n_insns)
{
	_cleanup_free_ char *dir = cache_dir();
	if (!dir)
		return;
	size_t klen;
	_cleanup_free_ char *key = cache_key(f, badarch, &klen);
	_cleanup_free_ char *path = entry_path(dir, key, klen);
	_cleanup_free_ char *tmp = nook_asprintf("%s.XXXXXX", path);
	char head[64];
	int hl = snprintf(head, sizeof head, "%zu %zu\n", klen, n_insns);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return;
	bool ok = nook_write_all(fd, MAGIC, strlen(MAGIC)) == 0 && nook_write_all(fd, head, (size_t)hl) == 0 &&
		  nook_write_all(fd, key, klen) == 0 &&
		  nook_write_all(fd, (const char *)bpf, n_insns * sizeof(struct sock_filter)) == 0;
	ok = close(fd) == 0 && ok;
	/* rename is atomic: a concurrent reader sees the old entry or the new */
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}
