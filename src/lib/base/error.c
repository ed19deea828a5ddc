/* SPDX-License-Identifier: GPL-2.0-or-later */
/* error.c - fixed-size error messages, usable after clone() without malloc. */
#include <stdio.h>
#include <string.h>
#include "nook/error.h"

int nook_verbose_level;

static int fill(struct nook_error *err, int errnum, bool with_strerror,
		const char *fmt, va_list ap)
{
	if (errnum < 0)
		errnum = -errnum;
	if (err) {
		int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		if (with_strerror && errnum && n >= 0 && (size_t)n < sizeof err->msg)
			snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(errnum));
		err->code = errnum ? -errnum : -EINVAL;
		if (!err->exit_status)
			err->exit_status = NOOK_EXIT_FAILURE;
	}
	return errnum ? -errnum : -EINVAL;
}

int nook_err(struct nook_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fill(err, errnum, true, fmt, ap);
	va_end(ap);
	return r;
}

int nook_errx(struct nook_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = fill(err, errnum, false, fmt, ap);
	va_end(ap);
	return r;
}

void nook_err_prefix(struct nook_error *err, const char *fmt, ...)
{
	char prefix[256], old[NOOK_ERR_MAX];
	va_list ap;
	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t n = strnlen(prefix, sizeof prefix);
	if (n + 2 >= sizeof err->msg)
		return;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t rest = sizeof err->msg - n - 3;
	size_t m = strnlen(old, rest);
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = '\0';
}

void nook_err_clear(struct nook_error *err)
{
	if (!err)
		return;
	err->code = 0;
	err->exit_status = 0;
	err->msg[0] = '\0';
	err->path = NULL;
}

int nook_err_at(struct nook_error *err, const char *path, int r)
{
	if (err && r < 0)
		err->path = path;
	return r;
}

void nook_warn(const char *fmt, ...)
{
	char buf[NOOK_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dprintf(2, "nook: warning: %s\n", buf);
}

void nook_verbose(const char *fmt, ...)
{
	char buf[NOOK_ERR_MAX];
	va_list ap;
	if (nook_verbose_level <= 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	dprintf(2, "nook: %s\n", buf);
}
