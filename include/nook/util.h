/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h - small helpers: strings, string vectors, paths, files. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct nook_error;

char *nook_strdup(const char *s);            /* aborts on OOM; NULL -> NULL */
char *nook_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *nook_xmalloc(size_t n);                /* zeroed; aborts on OOM */
void *nook_xrealloc(void *p, size_t n);

/* Append formatted text at *off of a bounded buffer and advance *off;
 * false (and *off unchanged) once it would overflow. */
bool nook_append(char *buf, size_t size, size_t *off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* NULL-terminated string vectors */
size_t nook_strv_len(char *const *v);
char **nook_strv_copy(char *const *v);
void nook_strv_push(char ***v, const char *s);   /* copies s */
/* Set NAME=VALUE in the environment list env (kv is "NAME=VALUE"),
 * replacing an earlier value of NAME. */
void nook_env_set(char ***env, const char *kv);
/* In a helper process nook just forked (async-signal-safe): default signal
 * dispositions and an empty mask, death with parent (SIGKILL, even when
 * nook is SIGKILLed) and a session of its own, so that a terminal's ^C
 * reaches the container, not the helper. -1 when parent is gone already. */
int nook_helper_child_setup(pid_t parent);
/* SIGKILL a child of ours and reap it (by pid, or by pidfd). */
void nook_kill_reap(pid_t pid);
void nook_pidfd_kill_reap(int pidfd);
/* nook_env_set for every "NAME=VALUE" of kvs, in order (the last value of
 * a name wins), in time linear in the sizes of env and kvs. */
void nook_env_set_all(char ***env, char *const *kvs);
bool nook_strv_contains(char *const *v, const char *s);
/* The end of what fd holds (a helper's log): up to size - 1 bytes read
 * from the end into buf, NUL-terminated, trailing newlines and blanks
 * dropped. Returns the length kept (0 when there is nothing). */
size_t nook_read_tail(int fd, char *buf, size_t size);
/* nook_strv_free() is declared in cleanup.h */

/* The caller's name and home directory, looked up once per process: from
 * /etc/passwd when NSS would answer from that file (/etc/nsswitch.conf
 * names files first for passwd; NSS's setup costs ~0.1 ms, more than the
 * file), else from NSS (getpwuid). 0, or -ENOENT when neither knows the
 * caller, or when only NSS could and this nook is static, which has no NSS
 * (twin.h). The strings stay valid until exit; NULL on -ENOENT. */
int nook_passwd_me(const char **name, const char **home);

/* Paths */
bool nook_path_is_absolute(const char *p);
/* Normalize an absolute path lexically: collapse //, remove ., resolve ..
 * without going above /. Returns a new string; NULL if p is not absolute. */
char *nook_path_normalize(const char *p);
/* Join a and b with exactly one '/'. */
char *nook_path_join(const char *a, const char *b);
/* True if path (normalized, absolute) is prefix or equal to other at a
 * component boundary: "/a" contains "/a/b" but not "/ab". */
bool nook_path_contains(const char *dir, const char *path);

/* Files */
/* write() all of data, again after EINTR and EAGAIN; 0 or -errno. */
int nook_write_all(int fd, const char *data, size_t len);
int nook_write_file(const char *path, const char *data, size_t len, int flags);
int nook_write_file_at(int dirfd, const char *path, const char *data, size_t len);
/* Open a file nook reads (a profile, a seccomp file, ...) without blocking:
 * returns the fd of a regular file, or -errno: -EISDIR for a directory,
 * -EINVAL for anything else that is not a regular file (a FIFO with no
 * writer would block forever, a device or socket is no file to read). */
int nook_open_regular(int dirfd, const char *path);
/* strerror for nook_open_regular's errors ("not a regular file" for EINVAL). */
const char *nook_file_strerror(int errnum);
/* Read at most max bytes of a regular file (nook_open_regular); returns a
 * NUL-terminated malloc'd buffer or NULL with errno. */
char *nook_read_file(const char *path, size_t max, size_t *len_out);
/* The same, path relative to dirfd (or AT_FDCWD). */
char *nook_read_file_at(int dirfd, const char *path, size_t max, size_t *len_out);
int nook_mkdir_p(const char *path, mode_t mode);
/* Look a program up in PATH (or the given search path); returns malloc'd path or NULL. */
char *nook_find_program(const char *name, const char *path_env);
/* A new private directory $TMPDIR/PREFIXXXXXXX (or under /tmp when that
 * path plus reserve bytes would not fit a unix socket path), flock()ed
 * while *fd is open; stale ones of a killed nook are swept first
 * (tmpdir.c). 0, or -errno with *path the template that failed. */
struct sockaddr_un;
/* sa = { AF_UNIX, path }; -ENAMETOOLONG (sa untouched) when path does not
 * fit sun_path with its NUL. */
int nook_unix_addr(struct sockaddr_un *sa, const char *path);
/* A stream socket (close-on-exec) connected to the unix socket at path:
 * its fd, or -ENAMETOOLONG (path too long), or -errno. */
int nook_unix_connect(const char *path);
int nook_locked_tmpdir(const char *prefix, size_t reserve, char **path, int *fd);
/* Remove it (flat files only) and close its fd; idempotent. */
void nook_locked_tmpdir_remove(char **path, int *fd);

/* Close (cloexec: mark close-on-exec) every fd except the n in keep
 * (negative entries are ignored; 0, 1 and 2 are closed too unless kept),
 * with close_range(2) over the gaps. At most NOOK_KEEP_FDS_MAX entries.
 * Async-signal-safe (no allocation): usable after clone and vfork.
 * Kernels without close_range (before 5.9) or CLOSE_RANGE_CLOEXEC (5.11)
 * get the same through /proc/self/fd. Returns 0 or -errno (E2BIG: too
 * many; otherwise why neither way worked). */
#define NOOK_KEEP_FDS_MAX 64
int nook_close_fds_except(const int *keep, size_t n, bool cloexec);

/* Monotonic clock in nanoseconds */
uint64_t nook_now_ns(void);

/* "Did you mean": the edit distance of a and b (a swap of two neighbours
 * is one edit; 99 for words longer than 64), and the candidate closest to
 * word if it is close enough for its length, else NULL. Used by the profile
 * keys and the command line alike. */
unsigned nook_edit_distance(const char *a, const char *b);
const char *nook_suggest(const char *word, const char *const *cands, size_t n);
