/* seccomp_cache.c - a per-user cache of compiled seccomp programs.
 *
 * libseccomp needs about 0.5 ms to compile the built-in filter and 20-60 ms
 * for containers-common's seccomp.json (three ABIs, ~400 syscalls), which
 * would dominate nook's start time. The compiled program only depends on
 * the rule list, so it is cached under $XDG_RUNTIME_DIR/nook/seccomp (or
 * ~/.cache/nook/seccomp), in a file named after a hash of the rule list.
 *
 * The file holds the complete description next to the program, and a hit
 * requires the stored description to equal the current one byte for byte:
 * the hash only names the file, it never vouches for the contents. The
 * directory and files must belong to the caller and be writable by nobody
 * else. Any problem with the cache means "compile again", never an error.
 * NOOK_SECCOMP_CACHE=0 turns the cache off.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nook/security.h"
#include "nook/cleanup.h"
#include "nook/util.h"

#define MAGIC "NOOKBPF1"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n >= 0 && b->p && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap ? b->cap * 2 : 4096) + (size_t)(n > 0 ? n : 0);
		b->p = nook_xrealloc(b->p, b->cap);
	}
}

char *nook_sc_describe(const struct nook_sc_filter *f, size_t *len)
{
	const struct scmp_version *v = seccomp_version();
	struct buf b = { 0 };

	put(&b, "nook-seccomp 1 libseccomp %u.%u.%u\n", v ? v->major : 0, v ? v->minor : 0,
	    v ? v->micro : 0);
	put(&b, "badarch %#x optimize %d\n", NOOK_SC_BADARCH, NOOK_SC_OPTIMIZE);
	put(&b, "default %#x guards %d %d\narches", f->default_action, f->personality_guard,
	    f->tty_guard);
	for (size_t i = 0; i < f->n_arches; i++)
		put(&b, " %#x", f->arches[i]);
	put(&b, "\n");
	for (size_t i = 0; i < f->n_rules; i++) {
		const struct nook_sc_rule *r = &f->rules[i];
		put(&b, "%s %#x %u", r->name, r->action, r->n_args);
		for (unsigned a = 0; a < r->n_args; a++)
			put(&b, " %u:%d:%llx:%llx", r->args[a].arg, (int)r->args[a].op,
			    (unsigned long long)r->args[a].datum_a,
			    (unsigned long long)r->args[a].datum_b);
		put(&b, "\n");
	}
	*len = b.len;
	return b.p;
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

static bool enabled(void)
{
	const char *e = getenv("NOOK_SECCOMP_CACHE");
	return !e || strcmp(e, "0") != 0;
}

/* Create (if needed) and check one directory level: ours, 0700-ish. */
static bool safe_dir(const char *path, bool create)
{
	struct stat st;

	if (create && mkdir(path, 0700) < 0 && errno != EEXIST)
		return false;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	return st.st_uid == getuid() && !(st.st_mode & 022);
}

static char *cache_dir(bool create)
{
	const char *rt = getenv("XDG_RUNTIME_DIR"), *home = getenv("HOME");
	_cleanup_free_ char *base = NULL, *nook = NULL;
	char *dir;

	if (rt && *rt == '/' && safe_dir(rt, false)) {
		base = nook_strdup(rt);
	} else if (home && *home == '/') {
		base = nook_asprintf("%s/.cache", home);
		if (create)
			mkdir(base, 0700);
		if (!safe_dir(base, false))
			return NULL;
	} else {
		return NULL;
	}
	nook = nook_asprintf("%s/nook", base);
	if (!safe_dir(nook, create))
		return NULL;
	dir = nook_asprintf("%s/seccomp", nook);
	if (!safe_dir(dir, create)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static char *cache_path(const char *dir, const char *desc, size_t len)
{
	return nook_asprintf("%s/%016llx.bpf", dir, (unsigned long long)fnv1a(desc, len));
}

int nook_sc_cache_lookup(const struct nook_sc_filter *f, void **bpf, size_t *n_insns)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *desc = NULL, *data = NULL;
	_cleanup_close_ int fd = -1;
	size_t len, size;
	struct stat st;
	uint32_t hdr[2];

	if (!enabled() || !(dir = cache_dir(false)))
		return -ENOENT;
	desc = nook_sc_describe(f, &len);
	path = cache_path(dir, desc, len);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 022) || st.st_size > 4 * 1024 * 1024)
		return -ENOENT;
	size = (size_t)st.st_size;
	if (size < sizeof(MAGIC) - 1 + sizeof(hdr))
		return -ENOENT;
	data = nook_xmalloc(size);
	if (pread(fd, data, size, 0) != (ssize_t)size || memcmp(data, MAGIC, sizeof(MAGIC) - 1))
		return -ENOENT;
	memcpy(hdr, data + sizeof(MAGIC) - 1, sizeof(hdr));
	/* hdr[0]: description length, hdr[1]: instructions */
	if (hdr[0] != len || hdr[1] == 0 || hdr[1] > BPF_MAXINSNS ||
	    size != sizeof(MAGIC) - 1 + sizeof(hdr) + len + hdr[1] * sizeof(struct sock_filter))
		return -ENOENT;
	if (memcmp(data + sizeof(MAGIC) - 1 + sizeof(hdr), desc, len) != 0)
		return -ENOENT; /* a hash collision or a stale file: compile */
	*n_insns = hdr[1];
	*bpf = nook_xmalloc(hdr[1] * sizeof(struct sock_filter));
	memcpy(*bpf, data + sizeof(MAGIC) - 1 + sizeof(hdr) + len, hdr[1] * sizeof(struct sock_filter));
	return 0;
}

void nook_sc_cache_store(const struct nook_sc_filter *f, const void *bpf, size_t n_insns)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL, *desc = NULL;
	_cleanup_close_ int fd = -1;
	uint32_t hdr[2];
	size_t len;
	bool ok;

	if (!enabled() || n_insns == 0 || n_insns > BPF_MAXINSNS || !(dir = cache_dir(true)))
		return;
	desc = nook_sc_describe(f, &len);
	path = cache_path(dir, desc, len);
	tmp = nook_asprintf("%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	hdr[0] = (uint32_t)len;
	hdr[1] = (uint32_t)n_insns;
	ok = write(fd, MAGIC, sizeof(MAGIC) - 1) == (ssize_t)(sizeof(MAGIC) - 1) &&
	     write(fd, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr) &&
	     write(fd, desc, len) == (ssize_t)len &&
	     write(fd, bpf, n_insns * sizeof(struct sock_filter)) ==
		     (ssize_t)(n_insns * sizeof(struct sock_filter));
	if (!ok || rename(tmp, path) < 0)
		unlink(tmp);
}
