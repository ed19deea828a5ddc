/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.c - strings, string vectors, paths and small file helpers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "nook/cleanup.h"
#include "nook/util.h"
#include "nook/missing.h"

static void oom(void)
{
	static const char msg[] = "nook: out of memory\n";
	if (write(2, msg, sizeof msg - 1) < 0) { /* nothing more to do */ }
	abort();
}

void *nook_xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *nook_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *nook_strdup(const char *s)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

char *nook_asprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

bool nook_append(char *buf, size_t size, size_t *off, const char *fmt, ...)
{
	va_list ap;
	if (*off >= size)
		return false;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *off)
		return false;
	*off += (size_t)n;
	return true;
}

size_t nook_strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

char **nook_strv_copy(char *const *v)
{
	size_t n = nook_strv_len(v);
	char **c = nook_xmalloc((n + 1) * sizeof *c);
	for (size_t i = 0; i < n; i++)
		c[i] = nook_strdup(v[i]);
	return c;
}

void nook_strv_push(char ***v, const char *s)
{
	size_t n = nook_strv_len(*v);
	*v = nook_xrealloc(*v, (n + 2) * sizeof **v);
	(*v)[n] = nook_strdup(s);
	(*v)[n + 1] = NULL;
}

bool nook_strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

void nook_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

bool nook_path_is_absolute(const char *p)
{
	return p && p[0] == '/';
}

char *nook_path_normalize(const char *p)
{
	if (!nook_path_is_absolute(p))
		return NULL;
	size_t len = strlen(p);
	char *out = nook_xmalloc(len + 2);
	size_t o = 0;
	const char *s = p;
	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 1 && s[0] == '.') {
			/* skip */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* drop the slash too */
		} else {
			out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
		}
		s += n;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

char *nook_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);
	while (la > 0 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	return nook_asprintf("%.*s/%s", (int)la, a, b);
}

bool nook_path_contains(const char *dir, const char *path)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return strncmp(dir, path, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int nook_write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

int nook_write_file_at(int dirfd, const char *path, const char *data, size_t len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	return nook_write_all(fd, data, len);
}

int nook_write_file(const char *path, const char *data, size_t len, int flags)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags, 0644);
	if (fd < 0)
		return -errno;
	return nook_write_all(fd, data, len);
}

char *nook_read_file(const char *path, size_t max, size_t *len_out)
{
	return nook_read_file_at(AT_FDCWD, path, max, len_out);
}

int nook_open_regular(int dirfd, const char *path)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO without a writer must not hang; nothing
	 * but a regular file is read, so the flag never matters afterwards */
	int fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		close(fd);
		return r;
	}
	return fd;
}

const char *nook_file_strerror(int errnum)
{
	if (errnum < 0)
		errnum = -errnum;
	return errnum == EINVAL ? "not a regular file" : strerror(errnum);
}

char *nook_read_file_at(int dirfd, const char *path, size_t max, size_t *len_out)
{
	_cleanup_close_ int fd = nook_open_regular(dirfd, path);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	size_t cap = 4096 < max ? 4096 : max, len = 0;
	char *buf = nook_xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap >= max)
				break;
			cap = cap * 2 < max ? cap * 2 : max;
			buf = nook_xrealloc(buf, cap + 1);
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

int nook_mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = nook_strdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, mode) < 0) {
		struct stat st;
		if (errno != EEXIST)
			return -errno;
		if (stat(p, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}

char *nook_find_program(const char *name, const char *path_env)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? nook_strdup(name) : NULL;
	if (!path_env)
		path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	const char *s = path_env;
	while (*s) {
		const char *e = strchrnul(s, ':');
		if (e > s) {
			char *cand = nook_asprintf("%.*s/%s", (int)(e - s), s, name);
			struct stat st;
			if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
				return cand;
			free(cand);
		}
		s = *e ? e + 1 : e;
	}
	return NULL;
}

uint64_t nook_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* close_range(first, last, flags) for kernels without it (before 5.9) or
 * without CLOSE_RANGE_CLOEXEC (before 5.11): walk /proc/self/fd with
 * getdents64 into a stack buffer (no allocation). */
static int close_range_by_hand(unsigned first, unsigned last, bool cloexec)
{
	struct dirent64_hdr { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; };
	char buf[4096] __attribute__((aligned(8)));
	int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;
	if (d < 0)
		return -errno;
	for (;;) {
		long n = syscall(SYS_getdents64, d, buf, sizeof buf);
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			const struct dirent64_hdr *de = (const void *)(buf + off);
			unsigned fd = 0;
			bool num = de->name[0] != '\0';
			for (const char *c = de->name; *c && num; c++) {
				num = *c >= '0' && *c <= '9';
				fd = fd * 10 + (unsigned)(*c - '0');
			}
			off += de->reclen;
			if (!num || (int)fd == d || fd < first || fd > last)
				continue;
			if (cloexec ? fcntl((int)fd, F_SETFD, FD_CLOEXEC) < 0 : (close((int)fd) < 0 && errno != EINTR)) {
				r = -errno;
				break;
			}
		}
		if (r < 0)
			break;
	}
	close(d);
	return r;
}

int nook_close_fds_except(const int *keep, size_t n, bool cloexec)
{
	int k[NOOK_KEEP_FDS_MAX];
	size_t m = 0;
	unsigned flags = cloexec ? CLOSE_RANGE_CLOEXEC : 0;

	if (n > NOOK_KEEP_FDS_MAX)
		return -E2BIG;
	/* sorted, without duplicates or negatives (insertion sort: n is small) */
	for (size_t i = 0; i < n; i++) {
		int fd = keep[i];
		size_t j = m;
		if (fd < 0)
			continue;
		while (j > 0 && k[j - 1] > fd)
			j--;
		if (j > 0 && k[j - 1] == fd)
			continue;
		memmove(k + j + 1, k + j, (m - j) * sizeof *k);
		k[j] = fd;
		m++;
	}
	unsigned first = 0;
	for (size_t i = 0; i <= m; i++) {
		unsigned last = i < m ? (unsigned)k[i] - 1 : ~0U;
		if (i < m && (unsigned)k[i] == first) {
			first++;
			continue;
		}
		if (syscall(SYS_close_range, first, last, flags) < 0) {
			int r = -errno;
			if (r != -ENOSYS && r != -EINVAL)
				return r;
			if ((r = close_range_by_hand(first, last, cloexec)) < 0)
				return r;
		}
		if (i < m)
			first = (unsigned)k[i] + 1;
	}
	return 0;
}

void nook_env_set(char ***env, const char *kv)
{
	size_t len = strcspn(kv, "=");
	for (size_t i = 0; *env && (*env)[i]; i++) {
		if (strncmp((*env)[i], kv, len) == 0 && (*env)[i][len] == '=') {
			free((*env)[i]);
			(*env)[i] = nook_strdup(kv);
			return;
		}
	}
	nook_strv_push(env, kv);
}

int nook_helper_child_setup(pid_t parent)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		return -1;
	setsid();
	return 0;
}

void nook_kill_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

void nook_pidfd_kill_reap(int pidfd)
{
	siginfo_t si;

	if (pidfd < 0)
		return;
	(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 && errno == EINTR)
		;
}

/* ---------------------------------------------------------------- did you mean */

unsigned nook_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	unsigned d[65][65];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			/* a swap of two neighbours counts as one edit */
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *nook_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	unsigned best_d = 99;
	for (size_t i = 0; i < n; i++) {
		unsigned d = nook_edit_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	size_t len = strlen(word);
	unsigned limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	return best_d <= limit ? best : NULL;
}

static size_t env_name_hash(const char *kv, size_t len)
{
	size_t h = 14695981039346656037ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)kv[i]) * 1099511628211ull;
	return h;
}

void nook_env_set_all(char ***env, char *const *kvs)
{
	size_t m = nook_strv_len(*env), k = nook_strv_len(kvs), cap = 16;
	if (!k)
		return;
	while (cap < 2 * (m + k))
		cap *= 2;
	/* open addressing over the names: slot = index in the result + 1 */
	_cleanup_free_ size_t *slot = nook_xmalloc(cap * sizeof *slot);
	char **v = nook_xrealloc(*env, (m + k + 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < m + k; i++) {
		const char *kv = i < m ? v[i] : kvs[i - m];
		size_t len = strcspn(kv, "="), h = env_name_hash(kv, len) & (cap - 1);
		while (slot[h]) {
			const char *o = v[slot[h] - 1];
			if (strncmp(o, kv, len) == 0 && o[len] == '=')
				break;
			h = (h + 1) & (cap - 1);
		}
		if (i < m) {
			/* the environment as it was: kept as it is, duplicates too */
			if (!slot[h])
				slot[h] = n + 1;
			v[n++] = v[i];
		} else if (slot[h]) {
			free(v[slot[h] - 1]);
			v[slot[h] - 1] = nook_strdup(kv);
		} else {
			v[n] = nook_strdup(kv);
			slot[h] = ++n;
		}
	}
	v[n] = NULL;
	*env = v;
}

int nook_unix_addr(struct sockaddr_un *sa, const char *path)
{
	size_t len = strlen(path);
	if (len >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len + 1);
	return 0;
}

size_t nook_read_tail(int fd, char *buf, size_t size)
{
	if (!size)
		return 0;
	buf[0] = '\0';
	if (fd < 0)
		return 0;
	off_t len = lseek(fd, 0, SEEK_END);
	if (len <= 0)
		return 0;
	off_t start = len > (off_t)(size - 1) ? len - (off_t)(size - 1) : 0;
	ssize_t got = pread(fd, buf, size - 1, start);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
		buf[--got] = '\0';
	return (size_t)got;
}

int nook_unix_connect(const char *path)
{
	struct sockaddr_un sa;
	if (nook_unix_addr(&sa, path) < 0)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}
