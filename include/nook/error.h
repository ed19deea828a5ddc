/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.h - error reporting that works after clone(): a fixed-size buffer. */
#pragma once
#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>

#define NOOK_ERR_MAX 1024

/* Exit codes, as podman uses them. */
enum {
	NOOK_EXIT_FAILURE = 125, /* nook itself failed */
	NOOK_EXIT_CANNOT_EXEC = 126,
	NOOK_EXIT_NOT_FOUND = 127,
};

struct nook_error {
	int code;              /* negative errno of the failure, 0 if none */
	int exit_status;       /* exit status the CLI should use (125 by default) */
	char msg[NOOK_ERR_MAX];
	/* the path inside the container the failure is about, when a step
	 * knows it (set with nook_err_at; points into the spec or the failing
	 * frame): the parent uses it to explain files whose owner the user
	 * namespace does not map (ownership.h) */
	const char *path;
};

/* Fill err with a formatted message; returns -errnum (or -EINVAL if errnum
 * is 0) so callers can write `return nook_err(err, errno, "...")`.
 * When errnum != 0, ": strerror(errnum)" is appended. */
int nook_err(struct nook_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same, but without appending strerror. */
int nook_errx(struct nook_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepend context to an existing message: "ctx: old message". */
void nook_err_prefix(struct nook_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nook_err_clear(struct nook_error *err);
/* Note the container path a failure (r < 0, already in err) is about;
 * returns r: `return nook_err_at(err, target, nook_err(err, ...))`. */
int nook_err_at(struct nook_error *err, const char *path, int r);

/* Make a message safe to print on a terminal, in place: control
 * characters (an escape sequence's ESC too), C1 controls and bytes that are
 * no valid UTF-8 become \xHH; printable ASCII and valid UTF-8 stay.
 * Idempotent. nook_err*, nook_err_prefix, nook_warn and nook_verbose apply
 * it; code that appends to err->msg itself calls it after. */
void nook_escape_controls(char *buf, size_t size);

/* Warnings and verbose output go through one place so tests can rely on
 * the "nook: warning: " prefix. */
void nook_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int nook_verbose_level;
void nook_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
